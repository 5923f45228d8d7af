#!/bin/bash
# sendmail -bv end to end (postfix sendmail(1): "Do not collect mail ...
# verify the given recipient addresses"), under master with the whole mail
# system, sent by a plain user: one probe to
#   $SUB_USER (a mailbox), team (an alias: $SUB_USER, root, a file and
#   ext@relay.test, which a probe does not forward),
#   cmd (an alias: a command), nobody (a .forward: \nobody and a file),
#   valias (virtual_alias_maps in cleanup: root), nosuch (unknown),
#   bob@relay.test (smtp to a probe server with PIPELINING that accepts
#   him), nobody@relay.test (the same server answers 550), carol@plain.test
#   (smtp to a server without PIPELINING), frank@down.test (smtp to a port where nothing listens: a
#   deferral, final for a probe), v@virt.test (a virtual Maildir),
#   dave@gone.test (error:) and eve@void.test (discard:).
# The sender gets exactly one "Mail Delivery Status Report" (multipart/
# report, the verify template) with each destination's action (deliverable
# or undeliverable) and what would happen ("delivery via local: delivers to
# mailbox", "... delivers to file: PATH", "... delivers to command: CMD",
# "delivery via virtual: delivers to maildir: PATH", error's and discard's
# usual answers, the RCPT TO reply of the remote server); the servers see
# MAIL FROM and RCPT TO, never DATA; nothing is delivered (no mailbox,
# Maildir, file or command touched), nothing is bounced, no status log is
# left, the queue is empty.
# The queue file carries trace_flags=512 (a held probe: Postern's postcat,
# and Debian's Postfix postcat when the oracle is at hand). sendmail -bv
# with -v, -t, -N or -R is refused as Postfix 3.7 refuses it (status 75).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
getent passwd nobody >/dev/null || { echo "1..0 # SKIP no user nobody"; exit 0; }
sub_inst_setup || { echo "# set-up failed"; exit 1; }
. "$POSTERN_SRC/test/lib/oracle.sh"
HAVE_ORACLE=1
oracle_setup || HAVE_ORACLE=0
PROBE_PIDS=
probe_stop_all() {
    local p
    for p in $PROBE_PIDS; do kill "$p" 2>/dev/null; done
    for p in $PROBE_PIDS; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    PROBE_PIDS=
}
trap 'probe_stop_all; sub_user_cleanup; inst_cleanup' EXIT
U=$SUB_USER

# A test-only SMTP server that logs every command line it reads (one a
# line, in $T/probe-NAME.log) and never takes a message: RCPT TO:<nobody@...>
# gets 550, others 250; DATA gets 554 (a client in verify mode never sends it).
cat >"$T/probe_server.py" <<'PY'
import socket, sys, threading, os, signal
addr, port, log, pipelining = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
lock = threading.Lock()
def note(line):
    with lock, open(log, "a") as f:
        f.write(line + "\n")
def serve(c):
    f = c.makefile("rb")
    def say(s):
        c.sendall(s.encode() + b"\r\n")
    say("220 probe.test ESMTP")
    for raw in f:
        line = raw.decode("latin-1").rstrip("\r\n")[:1000]
        note(line)
        cmd = line[:4].upper()
        if cmd == "EHLO":
            say("250-probe.test" + ("\r\n250-PIPELINING" if pipelining else "") + "\r\n250 8BITMIME")
        elif cmd == "HELO" or cmd == "RSET" or cmd == "NOOP":
            say("250 2.0.0 Ok")
        elif cmd == "MAIL":
            say("250 2.1.0 Ok")
        elif cmd == "RCPT":
            say("550 5.1.1 <nobody>: no such user here" if "nobody@" in line.lower() else "250 2.1.5 Ok")
        elif cmd == "DATA":
            say("554 5.5.1 no message in a test of addresses")
        elif cmd == "QUIT":
            say("221 2.0.0 Bye")
            break
        else:
            say("502 5.5.2 unknown command")
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(16)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
open(log + ".ready", "w").close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
probe_start() {
    python3 "$T/probe_server.py" "$ADDR" "$2" "$T/probe-$1.log" "$3" >"$T/probe-$1.err" 2>&1 &
    PROBE_PIDS="$PROBE_PIDS $!"
    inst_wait test -e "$T/probe-$1.log.ready"
}

MAIL=$T/mail
mkdir -p "$MAIL"
chmod 1777 "$MAIL"
FILE=$T/team.file
MARK=$T/cmd-ran
FWDFILE=$T/fwd.file
mkdir -p "$T/fwd"
chmod 755 "$T" "$T/fwd"
printf '\\nobody, %s\n' "$FWDFILE" >"$T/fwd/nobody.forward"
chmod 644 "$T/fwd/nobody.forward"
inst_master_cf_full
inst_param mydestination '$myhostname, localhost, example.com'
inst_param mail_spool_directory "$MAIL"
inst_param alias_maps "hash:$C/aliases"
inst_param alias_database "hash:$C/aliases"
inst_param local_recipient_maps ''
inst_param header_checks "regexp:$C/header_checks"
inst_param forward_path "$T/fwd/\${user}.forward"
inst_param virtual_alias_maps "inline:{valias@example.com=root@example.com}"
PPORT=$(inst_port)
NPORT=$(inst_port)
DPORT=$(inst_port)
inst_param transport_maps \
    "inline:{relay.test=smtp:[$ADDR]:$PPORT, plain.test=smtp:[$ADDR]:$NPORT, down.test=smtp:[$ADDR]:$DPORT, gone.test=error:gone, void.test=discard:}"
VMAIL=$T/vmail
mkdir -p "$VMAIL"
inst_param virtual_mailbox_domains virt.test
inst_param virtual_mailbox_base "$VMAIL"
inst_param virtual_mailbox_maps "inline:{v@virt.test=virt.test/v/}"
inst_param virtual_uid_maps "static:$SUB_UID"
inst_param virtual_gid_maps "static:$(id -g "$U")"
check "a probe server with PIPELINING on $ADDR:$PPORT" probe_start pipe "$PPORT" 1
check "a probe server without PIPELINING on $ADDR:$NPORT" probe_start plain "$NPORT" 0
printf 'team: %s, root, %s, ext@relay.test\ncmd: "|touch %s"\n' "$U" "$FILE" "$MARK" >"$C/aliases"
postalias "hash:$C/aliases"
ok $? "postalias: team -> $U, root, a file, ext@relay.test; cmd -> a command"
printf '/holdme@/ HOLD\n' >"$C/header_checks"
postfix check >"$T/check.out" 2>&1
ok $? "postfix check"
inst_start
ok $? "master runs the whole mail system"
inst_wait_sock public/qmgr && inst_wait_sock public/pickup && inst_wait_sock private/local \
    && inst_wait_sock private/trace && inst_wait_sock private/smtp
ok $? "pickup, qmgr, local, smtp and trace are listening"

REPORT="Mail Delivery Status Report"
subjects() { python3 - "$MAIL/$U" <<'PY'
import mailbox, sys, os
if os.path.exists(sys.argv[1]):
    for m in mailbox.mbox(sys.argv[1]):
        print(m["Subject"])
PY
}
count_subject() { subjects | grep -cxF "$1"; }
has_subject() { [ "$(count_subject "$1")" -ge 1 ]; }
queue_empty() {
    [ -z "$(find "$Q/maildrop" "$Q/incoming" "$Q/active" "$Q/deferred" "$Q/hold" -type f 2>/dev/null)" ]
}
[ -e "$MAIL/root" ] && ROOT_BEFORE=$(md5sum <"$MAIL/root") || ROOT_BEFORE=none

# --- the flag in the queue file: a held probe -----------------------------------------
as_user sendmail -bv holdme@example.com >"$T/hold.out" 2>"$T/hold.err"
ok $? "sendmail -bv holdme@example.com exits 0"
held() { [ -n "$(inst_queue_files hold)" ]; }
inst_wait held
ok $? "the probe to holdme is held (header_checks HOLD)"
H=$(inst_queue_files hold | head -1)
like "$(postcat "$Q/hold/$H" 2>&1)" "trace_flags=512" "the queue file carries trace_flags=512 (USR_VRFY)"
if [ "$HAVE_ORACLE" = 1 ]; then
    out=$(oracle_run postcat "$Q/hold/$H" 2>"$T/oracle.err")
    ok $? "Debian's Postfix postcat reads the probe's queue file"
    like "$out" "named_attribute: trace_flags=512" "Postfix's postcat: named_attribute: trace_flags=512"
    like_flat "$out" "MESSAGE CONTENTS.*~Subject: probe~To:.holdme@example.com~" \
        "Postfix's postcat: the made-up content (Subject: probe, To: holdme)"
else
    for _ in 1 2 3; do skip "no Postfix oracle: $ORACLE_WHY"; done
fi
postsuper -d "$H" >/dev/null 2>&1
ok $? "postsuper -d the held probe"

# --- refused as Postfix refuses them ---------------------------------------------------
for opt in -v -t "-N success" "-R full"; do
    # shellcheck disable=SC2086
    as_user sendmail -bv $opt "$U@example.com" </dev/null >"$T/bad.out" 2>"$T/bad.err"
    is "$?" 75 "sendmail -bv $opt: status 75, as Postfix 3.7"
    like "$(cat "$T/bad.err")" "fatal: ${opt%% *} option cannot be used with -bv" \
        "sendmail -bv $opt: Postfix's message"
done

# --- the probe ----------------------------------------------------------------------
as_user sendmail -bv "$U@example.com" team@example.com cmd@example.com nobody@example.com valias@example.com \
    nosuch@example.com \
    bob@relay.test nobody@relay.test carol@plain.test frank@down.test v@virt.test dave@gone.test \
    eve@void.test \
    </dev/null >"$T/send.out" 2>"$T/send.err"
ok $? "sendmail -bv with thirteen addresses exits 0 (stdin is not read)"
is "$(cat "$T/send.out")" "Mail Delivery Status Report will be mailed to <$U>." \
    "sendmail -bv says a report will come"
inst_wait has_subject "$REPORT"
ok $? "$U gets a \"$REPORT\""
V=$(grep -E "qmgr\[[0-9]+\]: [0-9A-F]+: from=<$U@example.com>, .*nrcpt=13" "$LOG" | tail -1 |
    sed -E 's/.*qmgr\[[0-9]+\]: ([0-9A-F]+): .*/\1/')
ok $([ -n "$V" ]; echo $?) "the probe is queued as $V with 13 recipients (valias rewritten by cleanup)"
inst_log_wait "bounce\[[0-9]+\]: $V: sender delivery status notification: [0-9A-F]+"
ok $? "log: $V: sender delivery status notification: NEWID"
inst_log_wait "$V: removed"
ok $? "log: $V: removed after the report"
inst_wait queue_empty
ok $? "the queue is empty (maildrop, incoming, active, deferred, hold)"

python3 - "$MAIL/$U" "$U" "$V" "$REPORT" "$FILE" "$MARK" "$ADDR" "$PPORT" "$NPORT" "$VMAIL" "$FWDFILE" "$DPORT" <<'PY'
import mailbox, sys, re
box, user, qid, subj, path, mark, addr, pport, nport, vmail, fwdfile, dport = sys.argv[1:13]
msgs = list(mailbox.mbox(box))
assert len(msgs) == 1, "%d messages in %s's mailbox: %s" % (len(msgs), user, [m["Subject"] for m in msgs])
m = msgs[0]
assert m["Subject"] == subj, m["Subject"]
assert m.get_content_type() == "multipart/report", m.get_content_type()
assert m.get_param("report-type") == "delivery-status"
assert m["Return-Path"] == "<>", m["Return-Path"]
parts = m.get_payload()
text = re.sub(r"\s+", " ", parts[0].get_payload())
assert "delivery report you asked for" in text, text
assert "(sendmail -bv) nothing was delivered" in text, text
assert "could not be delivered" not in text, text
groups = parts[1].get_payload()
assert groups[0]["X-Postfix-Queue-ID"] == qid, groups[0]["X-Postfix-Queue-ID"]
got = {}
for g in groups[1:]:
    key = tuple(re.sub(r";\s*", "; ", h or "") for h in (g["Final-Recipient"], g["Original-Recipient"]))
    diag = re.sub(r"\s+", " ", g["Diagnostic-Code"] or "")
    got.setdefault(key, []).append((g["Action"], g["Status"], diag, g["Remote-MTA"] or ""))
def one(rcpt, orig, action, cls, diag_re, mta=None):
    key = ("rfc822; " + rcpt, "rfc822; " + orig if orig else "")
    if key not in got and not orig:
        key = ("rfc822; " + rcpt, "rfc822; " + rcpt)
    assert key in got, "%s missing: %s" % (key, sorted(got))
    hits = [x for x in got[key] if re.search(diag_re, x[2])]
    assert hits, "%s: no diagnostic like %r in %s" % (key, diag_re, got[key])
    a, st, d, r = hits[0]
    assert a == action, "%s: action %s" % (key, a)
    assert st.startswith(cls), "%s: status %s" % (key, st)
    if mta:
        assert r.startswith("dns; " + mta), "%s: Remote-MTA %s" % (key, r)
dom = "example.com"
one(user + "@" + dom, None, "deliverable", "2.", r"delivery via local: delivers to mailbox")
one(user + "@" + dom, "team@" + dom, "deliverable", "2.", r"delivery via local: delivers to mailbox")
one("root@" + dom, "team@" + dom, "deliverable", "2.", r"delivery via local: delivers to mailbox")
one("team@" + dom, None, "deliverable", "2.", r"delivery via local: delivers to file: " + re.escape(path))
one("cmd@" + dom, None, "deliverable", "2.", r"delivery via local: delivers to command: touch " + re.escape(mark))
one("nosuch@" + dom, None, "undeliverable", "5.1.1", r"unknown user")
one("bob@relay.test", None, "deliverable", "2.1.5", r"smtp; 250 2.1.5 Ok", addr)
one("nobody@relay.test", None, "undeliverable", "5.1.1", r"550 5.1.1", addr)
one("carol@plain.test", None, "deliverable", "2.1.5", r"smtp; 250 2.1.5 Ok", addr)
one("v@virt.test", None, "deliverable", "2.", r"delivery via virtual: delivers to maildir: " + re.escape(vmail + "/virt.test/v/"))
one("dave@gone.test", None, "undeliverable", "5.", r"gone")
one("eve@void.test", None, "deliverable", "2.", r"void.test")
one("nobody@" + dom, None, "deliverable", "2.", r"delivery via local: delivers to mailbox")
one("nobody@" + dom, None, "deliverable", "2.", r"delivery via local: delivers to file: " + re.escape(fwdfile))
one("root@" + dom, "valias@" + dom, "deliverable", "2.", r"delivery via local: delivers to mailbox")
one("ext@relay.test", "team@" + dom, "deliverable", "2.", r"delivery via local: forwards to ext@relay.test")
one("frank@down.test", None, "undeliverable", "4.", r"connect to %s\[%s\]:%s" % (re.escape(addr), re.escape(addr), dport))
n = sum(len(v) for v in got.values())
assert n == 17, "%d delivery-status groups: %s" % (n, got)
for want in ("<%s@%s>: delivery via local: delivers to mailbox" % (user, dom),
             "<root@%s> (expanded from <team@%s>): delivery via local: delivers to mailbox" % (dom, dom),
             "<bob@relay.test>: delivery via %s[%s]:%s: 250 2.1.5 Ok" % (addr, addr, pport),
             "<carol@plain.test>: delivery via %s[%s]:%s: 250 2.1.5 Ok" % (addr, addr, nport),
             "<nosuch@%s>: delivery via local: unknown user" % dom,
             "<root@%s> (expanded from <valias@%s>): delivery via local: delivers to mailbox" % (dom, dom)):
    assert want in text, "%r not in the text part: %s" % (want, text)
PY
ok $? "one report: 13 deliverable (mailbox, alias members, files, command, a remote alias member, .forward, virtual alias, smtp RCPT 250, virtual maildir, discard), nosuch, nobody@relay.test, frank (no server: 4.x) and dave (error:) undeliverable"

inst_log_wait "$V: to=<nosuch@example.com>, relay=local, .*dsn=5\.1\.1, status=undeliverable \(unknown user: \"nosuch\"\)"
ok $? "log: nosuch status=undeliverable"
inst_log_wait "$V: to=<root@example.com>, orig_to=<team@example.com>, relay=local, .*status=deliverable \(delivers to mailbox\)"
ok $? "log: root (from team) status=deliverable"
inst_log_wait "$V: to=<bob@relay.test>, relay=$ADDR\[$ADDR\]:$PPORT, .*status=deliverable \(250 2\.1\.5 Ok\)"
ok $? "log: bob@relay.test status=deliverable with the server's RCPT reply"
inst_log_wait "$V: to=<frank@down.test>, relay=.*dsn=4\.[0-9.]+, status=undeliverable \(connect to "
ok $? "log: frank@down.test status=undeliverable (a deferral is a final answer for a probe)"
ok $(grep -E "$V: .*status=(sent|bounced|deferred)" "$LOG" | grep -q .; echo $((!$?))) \
    "log: nothing sent, bounced or deferred for $V"
ok $(grep -qE "$V: sender non-delivery notification" "$LOG"; echo $((!$?))) \
    "no non-delivery notification for $V"
is "$(find "$Q/bounce" "$Q/defer" "$Q/trace" -type f 2>/dev/null | wc -l)" 0 \
    "no bounce, defer or trace log is left"

# the servers: MAIL FROM and RCPT TO, no DATA
inst_wait grep -q "^RCPT TO:<carol@plain.test>" "$T/probe-plain.log"
ok $? "the server without PIPELINING saw RCPT TO:<carol@plain.test>"
like_flat "$(cat "$T/probe-pipe.log")" "MAIL FROM:<$U@example.com>.*RCPT TO:<bob@relay.test>.*RCPT TO:<nobody@relay.test>" \
    "the PIPELINING server saw MAIL FROM and both RCPT TO"
ok $(grep -q "^DATA" "$T/probe-pipe.log" "$T/probe-plain.log"; echo $((!$?))) "neither server saw DATA"
ok $(grep -q "ext@relay.test" "$T/probe-pipe.log"; echo $((!$?))) "team's ext@relay.test was not forwarded (the probe says where it would go)"
like_flat "$(cat "$T/probe-pipe.log")" "RCPT TO:<nobody@relay.test>[^~]*~(RSET|QUIT)" \
    "after the RCPT replies the client ends the transaction (RSET or QUIT)"

# nothing delivered
ok $([ ! -e "$FILE" ]; echo $?) "the alias's file was not written"
ok $([ ! -e "$MARK" ]; echo $?) "the alias's command did not run"
ok $([ ! -e "$FWDFILE" ] && [ ! -e "$MAIL/nobody" ]; echo $?) "nobody's .forward file and mailbox were not written"
ok $([ ! -e "$VMAIL/virt.test" ]; echo $?) "no virtual Maildir was made"
[ -e "$MAIL/root" ] && ROOT_AFTER=$(md5sum <"$MAIL/root") || ROOT_AFTER=none
is "$ROOT_AFTER" "$ROOT_BEFORE" "root's mailbox is unchanged"
is "$(count_subject probe)" 0 "no probe in $U's mailbox (only the report)"

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|killed by signal|verification record" "$LOG" |
    grep -v "option cannot be used with -bv"
ok $? "no panic, crash, sanitizer report or record failure in the log"
done_testing
