#!/bin/bash
# The tutorials' forwarding through the whole mail system with real DNS
# answers: master with Debian's master.cf runs in a network namespace whose
# nsd serves the zone "test"; mail enters by SMTP (Python's smtplib) to
# smtpd, cleanup rewrites me@theirdomain.test to foo@gmail.test
# (virtual_alias_domains, a postmap-built hash: virtual_alias_maps), qmgr
# hands it to smtp, and the primary MX of gmail.test gets it with the
# envelope intact. Also: the secondary MX when the primary is down; a 5xx
# at RCPT and a null MX / NXDOMAIN bounce back to a local sender's mbox as
# multipart/report notices; a 450 for one recipient and 250 for another
# defers only the first (mailq shows the server's text), and postqueue -f
# delivers it once the server accepts, re-sending only that recipient.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
. "$POSTERN_SRC/test/data/smtp/e2e-lib.sh"
nsd_available || { echo "1..0 # SKIP needs root, ip, nsd and python3"; exit 0; }
[ -x "$POSTERN_INST/libexec/postern/smtp" ] || { echo "1..0 # SKIP smtp is not installed"; exit 0; }

e2e_setup
ok $? "instance with the whole master.cf and test user $EU"
inst_param virtual_alias_domains theirdomain.test
inst_param virtual_alias_maps "hash:$C/virtual"
printf 'me@theirdomain.test foo@gmail.test\n' >"$C/virtual"
postmap "hash:$C/virtual"
ok $? "postmap builds the virtual alias table"

e2e_zone >"$T/test.zone" <<'EOF'
gmail IN MX 10 mx1.gmail.test.
gmail IN MX 20 mx2.gmail.test.
mx1.gmail IN A 127.0.0.31
mx2.gmail IN A 127.0.0.32
down IN MX 10 mxdown.down.test.
down IN MX 20 mx2.gmail.test.
mxdown.down IN A 127.0.0.33
part IN MX 10 mx.part.test.
mx.part IN A 127.0.0.34
nullmx IN MX 0 .
EOF
nsd_start test "$T/test.zone"
ok $? "nsd serves the zone test in namespace $NSD_NS"

SOFT="450 4.2.0 <soft@part.test>: mailbox busy"
HARD="550 5.1.1 <hard@part.test>: no such user"
check "sink mx1.gmail.test (127.0.0.31) runs" sink_start mx1 127.0.0.31:25
check "sink mx2.gmail.test (127.0.0.32) runs" sink_start mx2 127.0.0.32:25
check "sink mx.part.test (127.0.0.34: 450 soft@, 550 hard@) runs" sink_start part \
    --rcpt "soft@part.test=$SOFT" --rcpt "hard@part.test=$HARD" 127.0.0.34:25
PART_PID=$!
check "master runs the whole mail system inside the namespace" e2e_start

# 1. Virtual alias forwarding to the primary MX, envelope intact.
id=$(e2e_smtp alice@example.org me@theirdomain.test "forward me")
like "$id" '^[0-9A-F]{6,}$' "smtpd accepts mail for me@theirdomain.test: $id"
check "mx1 (preference 10) gets the message" inst_wait test -e "$T/sink-mx1/msg-1"
m=$(sink_msg mx1 1)
like "$m" '^mail=<alice@example.org>( |$)' "the envelope sender is intact"
like "$m" '^rcpt=<foo@gmail.test>( .*)? ORCPT=rfc822;me@theirdomain.test$' \
    "the MX gets foo@gmail.test with the original recipient as ORCPT"
is "$(grep -c '^rcpt=' <<<"$m")" "1" "one recipient"
like "$m" '^Subject: forward me 1.?$' "the content arrives"
check "qmgr's from= line" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: $id: from=<alice@example.org>, size=[0-9]+, nrcpt=1 \(queue active\)$"
check "smtp's sent line: to=, orig_to=, relay=mx1...[addr]:25, status=sent (250 ...)" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: $id: to=<foo@gmail.test>, orig_to=<me@theirdomain.test>, relay=mx1.gmail.test\[127.0.0.31\]:25, delay=$D_RE, delays=$D_RE/$D_RE/$D_RE/$D_RE, dsn=2.0.0, status=sent \(250 2.0.0 Ok: queued as SINK1\)$"
check "removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
is "$(ls "$T/sink-mx2" | grep -c msg-)" "0" "mx2 (preference 20) got nothing"
# The client's own DSN parameters travel through the alias as well.
id=$(e2e_smtp alice@example.org "me@theirdomain.test NOTIFY=FAILURE,DELAY ORCPT=rfc822;boss@theirdomain.test" \
    "forward with DSN")
check "mx1 gets the second message" inst_wait test -e "$T/sink-mx1/msg-2"
like "$(sink_msg mx1 2)" '^rcpt=<foo@gmail.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;boss@theirdomain.test$' \
    "the client's NOTIFY and ORCPT reach the MX"
check "sent, orig_to the address the client gave" inst_log_wait \
    "$id: to=<foo@gmail.test>, orig_to=<me@theirdomain.test>, relay=mx1.gmail.test\[127.0.0.31\]:25, .*status=sent \(250 2.0.0 Ok: queued as SINK2\)$"

# 2. The primary MX is down: the secondary gets it.
id=$(e2e_smtp alice@example.org dave@down.test "primary down")
check "the refused connection to the primary is logged" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: connect to mxdown.down.test\[127.0.0.33\]:25: Connection refused$"
check "relay=mx2 (the secondary), status=sent" inst_log_wait \
    "$id: to=<dave@down.test>, relay=mx2.gmail.test\[127.0.0.32\]:25, .*status=sent \(250 "
like "$(sink_msg mx2 1)" '^rcpt=<dave@down.test>' "mx2 recorded the recipient"

# 4. 5xx at RCPT: a non-delivery notice in the local sender's mbox.
id=$(e2e_smtp "$EU@example.com" hard@part.test "to a hard failure")
check "status=bounced with the server's text" inst_log_wait \
    "$id: to=<hard@part.test>, relay=mx.part.test\[127.0.0.34\]:25, .*dsn=5.1.1, status=bounced \(host mx.part.test\[127.0.0.34\] said: $HARD \(in reply to RCPT TO command\)\)$"
check "bounce: sender non-delivery notification" inst_log_wait \
    "bounce\[[0-9]+\]: $id: sender non-delivery notification: [0-9A-F]+"
check "the notice in $EU's mbox: multipart/report, hard@part.test, Action: failed, the server's Diagnostic-Code" \
    inst_wait e2e_notice hard@part.test "Status: 5.1.1" "Remote-MTA: dns; mx.part.test" \
    "Diagnostic-Code: smtp; $HARD"
grep -q "^Subject: Undelivered Mail Returned to Sender$" "$MAIL/$EU"
ok $? "the notice's subject"

# 5. Null MX and NXDOMAIN: bounced, notices to the sender.
id=$(e2e_smtp "$EU@example.com" x@nullmx.test "to a null MX")
check "null MX: bounced" inst_log_wait \
    "$id: to=<x@nullmx.test>, relay=none, .*dsn=5.1.0, status=bounced \(Domain nullmx.test does not accept mail \(nullMX\)\)$"
check "null MX: the notice names x@nullmx.test" inst_wait e2e_notice x@nullmx.test "Status: 5.1.0" \
    "Diagnostic-Code: X-Postfix; Domain nullmx.test does not accept mail (nullMX)"
id=$(e2e_smtp "$EU@example.com" y@nosuch.test "to nowhere")
check "NXDOMAIN: bounced" inst_log_wait \
    "$id: to=<y@nosuch.test>, relay=none, .*dsn=5.4.4, status=bounced \(Host or domain name not found. Name service error for name=nosuch.test type=MX: Host not found"
check "NXDOMAIN: the notice names y@nosuch.test" inst_wait e2e_notice y@nosuch.test "Status: 5.4.4" \
    "Diagnostic-Code: X-Postfix; Host or domain name not found"

# 3. 250 for one recipient, 450 for another: only the second is deferred.
id=$(e2e_smtp "$EU@example.com" "ok@part.test|soft@part.test" "partly deferred")
check "ok@part.test: sent" inst_log_wait "$id: to=<ok@part.test>, relay=mx.part.test\[127.0.0.34\]:25, .*status=sent \(250 "
check "soft@part.test: deferred with the server's text" inst_log_wait \
    "$id: to=<soft@part.test>, relay=mx.part.test\[127.0.0.34\]:25, .*dsn=4.2.0, status=deferred \(host mx.part.test\[127.0.0.34\] said: $SOFT \(in reply to RCPT TO command\)\)$"
inst_wait bash -c "[ -n \"\$(find '$Q/deferred' -type f -name '$id')\" ]"
ok $? "the message waits in deferred/"
mailq >"$T/mailq.out" 2>&1
like_flat "$(cat "$T/mailq.out")" "
$id +[0-9]+ [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}  $EU@example.com
 *\(host mx.part.test\[127.0.0.34\] said: $SOFT \(in reply to RCPT TO command\)\)
 +soft@part.test
" "mailq shows the deferred recipient with the server's text"
! grep -q "ok@part.test" "$T/mailq.out"
ok $? "mailq does not list the delivered recipient"
is "$(grep -h '^rcpt=' "$T"/sink-part/msg-* | tr '\n' ' ')" "rcpt=<ok@part.test> ORCPT=rfc822;ok@part.test " \
    "the server's only transaction holds the accepted recipient"
# The server now accepts everything: the flush re-sends soft@ only.
kill "$PART_PID" && inst_wait bash -c "! kill -0 $PART_PID 2>/dev/null"
ok $? "the refusing sink is stopped"
check "sink mx.part.test restarted, accepting everything" sink_start part2 127.0.0.34:25
postqueue -f
ok $? "postqueue -f"
check "after the flush the server gets the message" inst_wait test -e "$T/sink-part2/msg-1"
is "$(grep '^rcpt=' "$T/sink-part2/msg-1" | tr '\n' ' ')" "rcpt=<soft@part.test> ORCPT=rfc822;soft@part.test " \
    "only the deferred recipient is re-sent"
check "soft@part.test: sent" inst_log_wait "$id: to=<soft@part.test>, relay=mx.part.test\[127.0.0.34\]:25, .*status=sent \(250 "
check "removed after the flush" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
check "the queue is empty" inst_wait e2e_queue_empty
is "$(grep -c "to=<ok@part.test>" "$LOG")" "1" "ok@part.test was delivered once"

check "master stops" e2e_stop
! grep -E "panic|fatal|warning|AddressSanitizer|runtime error|exit status|killed by signal" "$LOG"
ok $? "no panic, fatal error, warning, crash or sanitizer report in the log"
done_testing
