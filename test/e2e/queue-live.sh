#!/bin/bash
# The queue commands on a live system: master runs the whole mail system
# (inst_master_cf_full), mail enters by SMTP and by sendmail, and a
# transport_maps entry sends down.test and flush.test to
# smtp:[127.0.0.1]:PORT where nothing listens, so the mail waits in
# deferred/; a small python sink on PORT lets it through when we want.
#   mailq / postqueue -j: deferred messages with their reason, an active
#     one (its connection stalled) with '*'
#   postcat -q ID -e/-h/-b on a message waiting in deferred/
#   postsuper -h: '!' in mailq, not delivered by postqueue -f; -H releases
#     it and it is delivered; -d ID, -d - (ids on stdin), -d ALL deferred;
#     -r requeues: pickup sends the queue file through cleanup again (a new
#     queue id) and the message is delivered
#   postqueue -i ID and postqueue -s SITE (fast_flush_domains) retry
#     exactly that mail and nothing else
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

U=pstql$$
inst_setup
MAIL=$T/mail SINKDIR=$T/sink
mkdir -p "$MAIL" "$SINKDIR"
chmod 1777 "$MAIL"
SINK= STALL=
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
cleanup_all() { stop_pid "$SINK"; stop_pid "$STALL"; userdel "$U" 2>/dev/null; inst_cleanup; }
trap cleanup_all EXIT
useradd -M -d /nonexistent -s /bin/sh "$U"
ok $? "test user $U"

INST_SMTPD_PORT=$(inst_port)
DOWN_PORT=$(inst_port)
STALL_PORT=$(inst_port)
inst_master_cf_full
inst_param mydestination '$myhostname, localhost, example.com'
inst_param mail_spool_directory "$MAIL"
inst_param alias_maps ""
inst_param local_recipient_maps ''
inst_param smtpd_error_sleep_time 0
inst_param transport_maps "inline:{down.test=smtp:[127.0.0.1]:$DOWN_PORT, flush.test=smtp:[127.0.0.1]:$DOWN_PORT, stall.test=smtp:[127.0.0.1]:$STALL_PORT}"
inst_param fast_flush_domains "flush.test"
inst_param minimal_backoff_time 300s
inst_param maximal_backoff_time 600s
inst_param queue_run_delay 300s
inst_param smtp_connect_timeout 5s
inst_start
ok $? "master runs the whole mail system"
inst_wait_sock public/qmgr && inst_wait_sock public/showq && inst_wait_sock public/flush
ok $? "qmgr, showq and flush are listening"

# smtp_send FROM TO SUBJECT: one message by SMTP, Message-ID <SUBJECT@test>
smtp_send() {
    python3 - "$ADDR" "$INST_SMTPD_PORT" "$@" <<'PY'
import smtplib, sys
addr, port, frm, to, subj = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\nbody of %s\r\n"
       % (frm, to, subj, subj, subj))
with smtplib.SMTP(addr, port, local_hostname="client.example.org", timeout=20) as s:
    s.sendmail(frm, [to], msg.encode())
PY
}
# sm_send FROM TO SUBJECT: the same by sendmail
sm_send() {
    printf 'To: %s\nSubject: %s\nMessage-ID: <%s@test>\n\nbody of %s\n' "$2" "$3" "$3" "$3" |
        sendmail -f "$1" "$2"
}
# qid SUBJECT: the queue id cleanup logged for Message-ID <SUBJECT@test>
qid() {
    inst_wait grep -qE "cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$1@test>" "$LOG" || return 1
    grep -E "cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$1@test>" "$LOG" | tail -1 |
        sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'
}
in_q() { [ -f "$Q/$1/${2:0:1}/$2" ] || [ -f "$Q/$1/$2" ]; }
deferred_ok() { in_q deferred "$1" && grep -qE "$1: to=<.*status=deferred" "$LOG"; }
# new_deferred HOW SUBJECT RCPT: submit, wait until it is deferred, print its id
new_deferred() {
    local id
    "$1" "$U@example.com" "$3" "$2" || return 1
    id=$(qid "$2") || return 1
    inst_wait deferred_ok "$id" || return 1
    echo "$id"
}
sink_has() { grep -qls "^Subject: $1\$" "$SINKDIR"/* 2>/dev/null; }
sink_count() { cat "$SINKDIR"/* 2>/dev/null | grep -c "^Subject: $1\$"; }
sink_start() {
    python3 - "$DOWN_PORT" "$SINKDIR" >>"$T/sink.log" 2>&1 <<'PY' &
import socket, sys, os, itertools
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(10); srv.settimeout(120)
n = itertools.count(len(os.listdir(out)))
while True:
    c, _ = srv.accept(); c.settimeout(30)
    f = c.makefile("rb")
    def say(t): c.sendall(t.encode() + b"\r\n")
    say("220 sink.test ESMTP")
    while True:
        line = f.readline()
        if not line: break
        u = line.decode(errors="replace").strip().upper()
        if u.startswith("EHLO") or u.startswith("HELO"): say("250 sink.test")
        elif u == "DATA":
            say("354 go")
            data = []
            while True:
                l = f.readline()
                if l in (b".\r\n", b""): break
                data.append(l.decode(errors="replace").rstrip("\r\n") + "\n")
            tmp = os.path.join(out, ".tmp")
            open(tmp, "w").write("".join(data))
            os.rename(tmp, os.path.join(out, "msg.%d" % next(n)))
            say("250 2.0.0 Ok: queued")
        elif u == "QUIT": say("221 bye"); break
        else: say("250 ok")
    c.close()
PY
    SINK=$!
    inst_wait bash -c "ss -Hltn 'sport = :$DOWN_PORT' | grep -q ."
}
sink_stop() { stop_pid "$SINK"; SINK=; }

# --- deferred mail by SMTP and sendmail; mailq, postqueue -j, postcat -q -----
H=$(new_deferred smtp_send held1 a@down.test)
ok $? "by SMTP: held1 ($H) is deferred"
K=$(new_deferred sm_send control1 b@down.test)
ok $? "by sendmail: control1 ($K) is deferred"
X=$(new_deferred smtp_send delete1 c@down.test)
ok $? "delete1 ($X) is deferred"
R=$(new_deferred sm_send requeue1 d@down.test)
ok $? "requeue1 ($R) is deferred"

mailq >"$T/mailq.out" 2>&1
# the first is refused, the others wait for a destination marked dead; a
# reason longer than the line starts at column 0, as in Postfix
reason="\((delivery temporarily suspended: )?connect to 127.0.0.1\[127.0.0.1\]:$DOWN_PORT: Connection refused\)"
is "$(head -1 "$T/mailq.out")" "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------" \
    "mailq: Postfix's header line"
for id in "$H" "$K" "$X" "$R"; do
    grep -A1 -E "^$id +[0-9]+ " "$T/mailq.out" | tail -1 | grep -qE "^ *$reason\$"
    ok $? "mailq: $id with its reason on the next line"
done
like "$(tail -1 "$T/mailq.out")" "^-- [0-9]+ Kbytes in 4 Requests\.$" "mailq: 4 Requests"

postqueue -j >"$T/json.out" 2>&1
ok $? "postqueue -j"
python3 - "$T/json.out" "$H" "$K" "$X" "$R" "$DOWN_PORT" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ids, port = set(sys.argv[2:6]), sys.argv[6]
objs = [json.loads(l) for l in lines]
assert {o["queue_id"] for o in objs} == ids, objs
for o in objs:
    assert o["queue_name"] == "deferred", o
    assert o["sender"] == "%s@example.com" % o["sender"].split("@")[0], o
    (r,) = o["recipients"]
    assert r["address"].endswith("@down.test"), r
    assert r["delay_reason"].replace("delivery temporarily suspended: ", "") == "connect to 127.0.0.1[127.0.0.1]:%s: Connection refused" % port, r
    assert isinstance(o["arrival_time"], int) and isinstance(o["message_size"], int), o
PY
ok $? "postqueue -j: one JSON object per message, queue_name deferred, delay_reason"

postcat -q "$H" >"$T/pc.all" 2>&1
ok $? "postcat -q $H"
grep -q "^\*\*\* ENVELOPE RECORDS deferred/" "$T/pc.all" && grep -q "^Subject: held1$" "$T/pc.all" &&
    grep -q "^body of held1$" "$T/pc.all"
ok $? "postcat -q: envelope, header and body of the deferred message"
postcat -e -q "$H" >"$T/pc.e" 2>&1
grep -qx "sender: $U@example.com" "$T/pc.e" && grep -qx "recipient: a@down.test" "$T/pc.e" &&
    ! grep -q "^Subject:" "$T/pc.e"
ok $? "postcat -e -q: sender and recipient records, no header"
postcat -h -q "$H" >"$T/pc.h" 2>&1
grep -qx "Subject: held1" "$T/pc.h" && ! grep -q "body of held1" "$T/pc.h" && ! grep -q "^sender:" "$T/pc.h"
ok $? "postcat -h -q: the header only"
postcat -b -q "$H" >"$T/pc.b" 2>&1
grep -qx "body of held1" "$T/pc.b" && ! grep -q "^Subject:" "$T/pc.b"
ok $? "postcat -b -q: the body only"
postcat -q 0123456789AB >"$T/pc.none" 2>&1
[ $? -ne 0 ]
ok $? "postcat -q of an id that is not queued fails"

# --- an active message: its connection stalls --------------------------------------
python3 - "$STALL_PORT" >"$T/stall.log" 2>&1 <<'PY' &
import socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(5); srv.settimeout(60)
c, _ = srv.accept()
time.sleep(60)
PY
STALL=$!
inst_wait bash -c "ss -Hltn 'sport = :$STALL_PORT' | grep -q ."
smtp_send "$U@example.com" "s@stall.test" stall1
A=$(qid stall1)
ok $? "stall1 ($A) accepted"
active_listed() { mailq 2>/dev/null | grep -qE "^$A\* +[0-9]+ "; }
inst_wait active_listed
ok $? "mailq: the active message has '*' after its id"
postqueue -j | grep -F "\"queue_id\": \"$A\"" | grep -qF '"queue_name": "active"'
ok $? "postqueue -j: queue_name active"
stop_pid "$STALL"; STALL=
inst_wait deferred_ok "$A"
ok $? "the stalled connection ends: $A is deferred"
postsuper -d "$A" 2>/dev/null
ok $? "postsuper -d $A"

# --- postsuper -d, -h, -H, -r ----------------------------------------------------------
postsuper -d "$X" 2>"$T/ps.err"
ok $? "postsuper -d $X"
! in_q deferred "$X"
ok $? "$X is gone from deferred/"
inst_log_wait "postsuper\[[0-9]+\]: $X: removed"
ok $? "log: $X: removed"
like "$(cat "$T/ps.err")" "Deleted: 1 message" "postsuper -d: Deleted: 1 message"
! mailq | grep -q "^$X"
ok $? "mailq no longer lists $X"

postsuper -h "$H" 2>/dev/null
ok $? "postsuper -h $H"
in_q hold "$H"
ok $? "$H is in hold/"
mailq | grep -qE "^$H! +[0-9]+ "
ok $? "mailq: '!' after the held message's id"
postqueue -j | grep -F "\"queue_id\": \"$H\"" | grep -qF '"queue_name": "hold"'
ok $? "postqueue -j: queue_name hold"
inst_log_wait "postsuper\[[0-9]+\]: $H: placed on hold"
ok $? "log: placed on hold"

sink_start
ok $? "the sink listens on $DOWN_PORT"
postsuper -r "$R" 2>/dev/null
ok $? "postsuper -r $R"
inst_log_wait "postsuper\[[0-9]+\]: $R: requeued"
ok $? "log: $R: requeued"
! in_q deferred "$R"
ok $? "$R left deferred/"
inst_log_wait "pickup\[[0-9]+\]: $R: requeued as [0-9A-F]+"
ok $? "log: pickup sends it through cleanup again: $R: requeued as NEWID"
R2=$(grep -E "pickup\[[0-9]+\]: $R: requeued as " "$LOG" | tail -1 | sed -E 's/.*requeued as //')
inst_log_wait "cleanup\[[0-9]+\]: $R2: message-id=<requeue1@test>"
ok $? "log: cleanup wrote it as $R2"
inst_log_wait "qmgr\[[0-9]+\]: $R2: from=<$U@example.com>, size=[0-9]+, nrcpt=1 \(queue active\)"
ok $? "log: qmgr takes $R2 with its one recipient"
# qmgr still holds the destination for dead: the flush makes it forget that
postqueue -f
ok $? "postqueue -f"
inst_wait sink_has requeue1
ok $? "the requeued message is delivered"
inst_wait sink_has control1
ok $? "postqueue -f delivers the deferred control message"
inst_wait bash -c "! [ -f '$Q/deferred/${K:0:1}/$K' ]"
! sink_has held1 && in_q hold "$H"
ok $? "... but not the held one: it stays in hold/"

postsuper -H "$H" 2>/dev/null
ok $? "postsuper -H $H"
inst_log_wait "postsuper\[[0-9]+\]: $H: released from hold"
ok $? "log: released from hold"
! in_q hold "$H"
ok $? "$H left hold/"
postqueue -f
inst_wait sink_has held1
ok $? "the released message is delivered"
is "$(sink_count held1)$(sink_count control1)$(sink_count requeue1)" "111" "each was delivered once"

# --- -r leaves out the recipients already done ------------------------------------------
sink_stop
printf 'To: %s@example.com, m@down.test\nSubject: mixed1\nMessage-ID: <mixed1@test>\n\nbody\n' "$U" |
    sendmail -f "$U@example.com" "$U@example.com" m@down.test
ok $? "by sendmail: mixed1 to $U (local) and m@down.test"
M=$(qid mixed1)
inst_wait deferred_ok "$M"
ok $? "mixed1 ($M): delivered to $U, deferred for m@down.test"
is "$(grep -c '^Subject: mixed1$' "$MAIL/$U" 2>/dev/null)" 1 "$U has one copy"
sink_start
postsuper -r "$M" 2>/dev/null
inst_log_wait "pickup\[[0-9]+\]: $M: requeued as [0-9A-F]+"
ok $? "log: $M: requeued as NEWID"
M2=$(grep -E "pickup\[[0-9]+\]: $M: requeued as " "$LOG" | tail -1 | sed -E 's/.*requeued as //')
inst_log_wait "qmgr\[[0-9]+\]: $M2: from=<$U@example.com>, size=[0-9]+, nrcpt=1 \(queue active\)"
ok $? "log: $M2 has one recipient left"
postqueue -f
inst_wait sink_has mixed1
ok $? "m@down.test gets it"
inst_log_wait "qmgr\[[0-9]+\]: $M2: removed"
is "$(grep -c '^Subject: mixed1$' "$MAIL/$U")" 1 "$U still has one copy: done recipients are not requeued"

# a requeued file that is not a queue file goes to corrupt/, not to cleanup
printf 'garbage' >"$Q/maildrop/0123456789AB"
chown postfix "$Q/maildrop/0123456789AB"
chmod 700 "$Q/maildrop/0123456789AB"
postqueue -f
inst_wait test -f "$Q/corrupt/0123456789AB"
ok $? "a damaged requeued file goes to corrupt/"
inst_log_wait "pickup\[[0-9]+\]: warning: 0123456789AB: requeued file is damaged: .*moved to corrupt/"
ok $? "log: warning: ID: requeued file is damaged"
rm -f "$Q/corrupt/0123456789AB"
sink_stop

# --- postqueue -i ID and -s SITE: that mail and nothing else ---------------------------
I1=$(new_deferred smtp_send only1 e@down.test)
ok $? "only1 ($I1) is deferred"
I2=$(new_deferred smtp_send other1 f@down.test)
ok $? "other1 ($I2) is deferred"
S1=$(new_deferred sm_send site1 g@flush.test)
ok $? "site1 ($S1) to flush.test is deferred"
sink_start
postqueue -i "$I1"
ok $? "postqueue -i $I1"
inst_wait sink_has only1
ok $? "postqueue -i: that message is delivered"
inst_log_wait "$I1: removed"
ok $? "log: $I1: removed"
! sink_has other1 && ! sink_has site1 && in_q deferred "$I2" && in_q deferred "$S1"
ok $? "... and nothing else: other1 and site1 still wait in deferred/"
postqueue -s down.test >"$T/site.out" 2>&1
[ $? -ne 0 ]
ok $? "postqueue -s down.test fails: not in fast_flush_domains"
like "$(cat "$T/site.out")" "Flush service is not configured for destination \"down.test\"" \
    "... saying so as Postfix does"
postqueue -s flush.test
ok $? "postqueue -s flush.test"
inst_wait sink_has site1
ok $? "postqueue -s: the message to flush.test is delivered"
inst_log_wait "$S1: removed"
! sink_has other1 && in_q deferred "$I2"
ok $? "... and other1 still waits in deferred/"
sink_stop

# --- postsuper -d - and -d ALL deferred -------------------------------------------------
D1=$(new_deferred smtp_send stdin1 h@down.test)
D2=$(new_deferred sm_send stdin2 i@down.test)
[ -n "$D1" ] && [ -n "$D2" ]
ok $? "two more deferred messages ($D1, $D2)"
printf '%s\n%s\n' "$D1" "$D2" | postsuper -d - 2>"$T/ps.err"
ok $? "postsuper -d - (ids on stdin)"
! in_q deferred "$D1" && ! in_q deferred "$D2" && in_q deferred "$I2"
ok $? "both are gone, the other deferred message stays"
like "$(cat "$T/ps.err")" "Deleted: 2 messages" "postsuper: Deleted: 2 messages"
D3=$(new_deferred smtp_send all1 j@down.test)
ok $? "all1 ($D3) is deferred"
postsuper -d ALL deferred 2>"$T/ps.err"
ok $? "postsuper -d ALL deferred"
like "$(cat "$T/ps.err")" "Deleted: 2 messages" "postsuper -d ALL deferred: Deleted: 2 messages"
inst_log_wait "postsuper\[[0-9]+\]: $I2: removed" && inst_log_wait "postsuper\[[0-9]+\]: $D3: removed"
ok $? "log: other1 ($I2) and all1 ($D3) removed"
is "$(find "$Q/deferred" "$Q/incoming" "$Q/active" "$Q/hold" -type f | wc -l)" 0 "the queue is empty"
is "$(mailq 2>&1)" "Mail queue is empty" "mailq: Mail queue is empty"
is "$(sink_count other1)$(sink_count stdin1)$(sink_count all1)" "000" "no deleted message was delivered"

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status|killed by signal" "$LOG"
ok $? "no panic, fatal error, crash or sanitizer report in the log"
done_testing
