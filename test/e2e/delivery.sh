#!/bin/bash
# The whole local mail path under master, as a user runs it: smtpd and
# sendmail -> cleanup -> qmgr -> local, with bounce notices through the
# bounce daemon. Mail to a local user lands in mbox (From line, Return-Path,
# Delivered-To) and, through ~/.forward, in a Maildir; an alias fans out to
# two users; an unknown user bounces with an RFC 3464 report that reaches
# the sender's own mailbox; a destination that is down leaves the message in
# deferred/, visible in mailq with its reason, and postqueue -f delivers it
# once the destination is back; pflogsumm counts the run from the maillog.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

U1=pstd1$$ U2=pstd2$$
inst_setup
MAIL=$T/mail
mkdir -p "$MAIL" "$T/home"
chmod 1777 "$MAIL"
cleanup_users() { userdel "$U1" 2>/dev/null; userdel "$U2" 2>/dev/null; inst_cleanup; }
trap cleanup_users EXIT
useradd -M -d "$T/home/$U1" -s /bin/sh "$U1" && useradd -M -d "$T/home/$U2" -s /bin/sh "$U2"
ok $? "test users $U1 and $U2"
mkdir -p "$T/home/$U1" "$T/home/$U2"
chown "$U1:" "$T/home/$U1"
chown "$U2:" "$T/home/$U2"
chmod 755 "$T/home"

INST_SMTPD_PORT=$(inst_port)
DOWN_PORT=$(inst_port)
inst_master_cf_full
inst_param mydestination '$myhostname, localhost, example.com'
inst_param mail_spool_directory "$MAIL"
inst_param alias_maps "hash:$C/aliases"
inst_param alias_database "hash:$C/aliases"
inst_param local_recipient_maps ''
inst_param smtpd_error_sleep_time 0
inst_param transport_maps "inline:{down.test=smtp:[127.0.0.1]:$DOWN_PORT}"
inst_param minimal_backoff_time 300s
inst_param maximal_backoff_time 600s
inst_param queue_run_delay 300s
inst_param smtp_connect_timeout 5s
printf 'postmaster: root\nteam: %s, %s\n' "$U1" "$U2" >"$C/aliases"
postalias "hash:$C/aliases"
ok $? "postalias builds the aliases"
printf '%s\n' "$T/home/$U2/Maildir/" >"$T/home/$U2/.forward"
chown "$U2:" "$T/home/$U2/.forward"
inst_start
ok $? "master runs the whole mail system"
inst_wait_sock public/qmgr && inst_wait_sock private/local
ok $? "qmgr and local are listening"

smtp_send() { # FROM TO SUBJECT
    python3 - "$ADDR" "$INST_SMTPD_PORT" "$@" <<'PY'
import smtplib, sys
addr, port, frm, to, subj = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
msg = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nFrom the start of a line.\r\nbody\r\n" % (frm, to, subj)
with smtplib.SMTP(addr, port, local_hostname="client.example.org", timeout=20) as s:
    s.sendmail(frm, [to], msg.encode())
PY
}

mbox_has() { [ -f "$MAIL/$1" ] && grep -q "^Subject: $2\$" "$MAIL/$1"; }
maildir_has() { grep -lqs "^Subject: $2\$" "$T/home/$1/Maildir/new/"* 2>/dev/null; }
queue_empty() { [ -z "$(find "$Q/incoming" "$Q/active" "$Q/deferred" -type f 2>/dev/null)" ]; }

# --- SMTP to a local user: mbox ------------------------------------------------
smtp_send "carol@client.example.org" "$U1@example.com" "to the mbox"
ok $? "smtpd accepts mail for $U1@example.com"
inst_wait mbox_has "$U1" "to the mbox"
ok $? "it lands in $MAIL/$U1"
is "$(stat -c %U "$MAIL/$U1")" "$U1" "the mbox belongs to the user"
like "$(head -1 "$MAIL/$U1")" "^From carol@client.example.org  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$" \
    "mbox From line: sender, two spaces and the date, as Postfix writes it"
grep -qx "Return-Path: <carol@client.example.org>" "$MAIL/$U1"
ok $? "Return-Path: added"
grep -qx "Delivered-To: $U1@example.com" "$MAIL/$U1"
ok $? "Delivered-To: added"
grep -qx ">From the start of a line." "$MAIL/$U1"
ok $? "a body line starting with 'From ' is quoted"
like "$(grep -E "local\[[0-9]+\]: [0-9A-F]+: to=<$U1@example.com>" "$LOG" | head -1)" \
    "relay=local, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2.0.0, status=sent \(delivered to mailbox\)$" \
    "log: to=<...>, relay=local, ... status=sent (delivered to mailbox)"
id1=$(grep -E "local\[[0-9]+\]: [0-9A-F]+: to=<$U1@example.com>" "$LOG" | head -1 | sed -E 's/.*: ([0-9A-F]+): to=.*/\1/')
like "$(grep -E "qmgr\[[0-9]+\]: $id1: from=" "$LOG" | head -1)" "$id1: from=<carol@client.example.org>, size=[0-9]+, nrcpt=1 \(queue active\)$" \
    "log: qmgr's from=<...>, size=, nrcpt= (queue active)"
inst_log_wait "qmgr\[[0-9]+\]: $id1: removed"
ok $? "log: QUEUEID: removed"

# --- sendmail, to .forward -> Maildir ------------------------------------------------
# (as root: set-gid postdrop accepts a non-default config directory only when
# the default main.cf lists it in alternate_config_directories)
printf 'To: %s@example.com\nSubject: via forward\n\nhello\n' "$U2" |
    sendmail -f "$U1@example.com" -t
ok $? "sendmail -f $U1@example.com -t"
inst_wait maildir_has "$U2" "via forward"
ok $? "~/.forward names a Maildir: the message is in $U2's Maildir/new"
f=$(grep -ls "^Subject: via forward" "$T/home/$U2/Maildir/new/"* | head -1)
is "$(stat -c %U "$f")" "$U2" "the Maildir file belongs to the user"
grep -qx "Return-Path: <$U1@example.com>" "$f"
ok $? "Maildir message: Return-Path of the local sender"

# --- an alias to two users ---------------------------------------------------------
smtp_send "carol@client.example.org" "team@example.com" "to the team"
inst_wait mbox_has "$U1" "to the team"
ok $? "alias team: $U1 got it"
inst_wait maildir_has "$U2" "to the team"
ok $? "alias team: $U2 got it (through .forward)"

# --- an unknown user: a bounce that comes back to the sender -------------------------
printf 'To: nosuchuser@example.com\nSubject: to nobody\n\nhello\n' |
    sendmail -f "$U1@example.com" -t
inst_wait grep -qE "to=<nosuchuser@example.com>, relay=local, .*dsn=5\.1\.1, status=bounced \(unknown user: \"nosuchuser\"\)" "$LOG"
ok $? "log: unknown user bounced with dsn=5.1.1"
inst_wait mbox_has "$U1" "Undelivered Mail Returned to Sender"
ok $? "the non-delivery notice reaches the sender's mailbox"
inst_log_wait "bounce\[[0-9]+\]: [0-9A-F]+: sender non-delivery notification: [0-9A-F]+"
ok $? "log: sender non-delivery notification: NEWID"
python3 - "$MAIL/$U1" <<'PY'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m["Subject"] != "Undelivered Mail Returned to Sender":
        continue
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "delivery-status"
    parts = [p.get_content_type() for p in m.get_payload()]
    assert parts[0] == "text/plain" and parts[1] == "message/delivery-status", parts
    status = m.get_payload()[1].as_string()
    assert "Final-Recipient: rfc822; nosuchuser@example.com" in status, status
    assert "Action: failed" in status and "Status: 5.1.1" in status, status
    assert m["Return-Path"] == "<>", m["Return-Path"]
    sys.exit(0)
sys.exit(1)
PY
ok $? "the notice is a multipart/report with Action: failed, Status: 5.1.1, from the null sender"

# --- a destination that is down: deferred, mailq, postqueue -f ------------------------
smtp_send "$U1@example.com" "someone@down.test" "to a host that is down"
inst_wait grep -qE "to=<someone@down.test>, .*status=deferred \(connect to 127.0.0.1\[127.0.0.1\]:$DOWN_PORT: Connection refused\)" "$LOG"
ok $? "log: status=deferred (connect to ...: Connection refused)"
inst_wait bash -c "[ -n \"\$(find '$Q/deferred' -type f)\" ]"
ok $? "the message waits in deferred/"
mailq >"$T/mailq.out" 2>&1
like_flat "$(cat "$T/mailq.out")" "^-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
[0-9A-F]+ +[0-9]+ [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}  $U1@example.com
 +\(connect to 127.0.0.1\[127.0.0.1\]:$DOWN_PORT: Connection refused\)
 +someone@down.test

-- [0-9]+ Kbytes in 1 Request.$" "mailq shows it with its reason"
python3 - "$DOWN_PORT" "$T/sink.out" >"$T/sink.log" 2>&1 <<'PY' &
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(5); srv.settimeout(60)
c, _ = srv.accept(); c.settimeout(30)
f = c.makefile("rb")
def say(t): c.sendall(t.encode() + b"\r\n")
say("220 sink.test ESMTP")
data = []
while True:
    line = f.readline()
    if not line: break
    cmd = line.decode(errors="replace").strip()
    u = cmd.upper()
    if u.startswith("EHLO") or u.startswith("HELO"): say("250 sink.test")
    elif u == "DATA":
        say("354 go")
        while True:
            l = f.readline()
            if l in (b".\r\n", b""): break
            data.append(l.decode(errors="replace"))
        open(out, "w").write("".join(data)); say("250 2.0.0 Ok: queued")
    elif u == "QUIT": say("221 bye"); break
    else: say("250 ok")
PY
SINK=$!
inst_wait bash -c "ss -Hltn 'sport = :$DOWN_PORT' | grep -q ."
postqueue -f
ok $? "postqueue -f"
inst_wait grep -q "^Subject: to a host that is down" "$T/sink.out"
ok $? "after the flush the message reaches the destination"
inst_wait grep -qE "to=<someone@down.test>, relay=127.0.0.1\[127.0.0.1\]:$DOWN_PORT, .*status=sent \(250 2.0.0 Ok: queued\)" "$LOG"
ok $? "log: status=sent with the server's reply"
kill "$SINK" 2>/dev/null
wait "$SINK" 2>/dev/null
inst_wait queue_empty
ok $? "the queue is empty"
is "$(mailq 2>&1)" "Mail queue is empty" "mailq: Mail queue is empty"

# --- pflogsumm reads the log ------------------------------------------------------------
if command -v pflogsumm >/dev/null; then
    pflogsumm --detail 0 "$LOG" >"$T/pflogsumm.out" 2>&1
    ok $? "pflogsumm runs over the maillog"
    # received: what smtpd (3) and pickup (2) took in; delivered: mbox,
    # maildir, two alias copies, the notice, the relayed one
    like "$(grep -E '^ +[0-9]+ +received' "$T/pflogsumm.out")" "^ +5 +received" "pflogsumm: 5 received"
    like "$(grep -E '^ +[0-9]+ +delivered' "$T/pflogsumm.out")" "^ +6 +delivered" "pflogsumm: 6 delivered"
    like "$(grep -E '^ +[0-9]+ +bounced' "$T/pflogsumm.out")" "^ +1 +bounced" "pflogsumm: 1 bounced"
    like "$(grep -E '^ +[0-9]+ +deferred' "$T/pflogsumm.out")" "^ +1 +deferred" "pflogsumm: 1 deferred"
else
    skip "pflogsumm is not installed" 5
fi

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status|killed by signal" "$LOG"
ok $? "no panic, fatal error, crash or sanitizer report in the log"
done_testing
