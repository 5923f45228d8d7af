#!/bin/bash
# The same program as `lmtp` (by its name): LHLO, then one reply per
# recipient after DATA, to an LMTP server (test/tools/smtp_sink.py --lmtp)
# over unix:/path and inet:host:port. Recipients rejected at RCPT TO and
# after DATA get their own results with the server's text.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$POSTERN_INST/libexec/postern/lmtp" ] || { echo "1..0 # SKIP lmtp is not installed"; exit 0; }

inst_setup
trap 'sink_stop_all; inst_cleanup' EXIT
inst_param mydestination '$myhostname, localhost'
inst_service "lmtp      unix  -       -       n       -       -       lmtp"
LPORT=$(inst_port)
check "LMTP sink on a UNIX socket and $ADDR:$LPORT" sink_start lmtp --lmtp \
    --rcpt "bad@example.org=550 5.1.1 <bad@example.org> User doesn't exist: bad@example.org" \
    --data-rcpt "full@example.org=452 4.2.2 <full@example.org> Mailbox is full" \
    --data-rcpt "gone@example.org=552 5.2.2 <gone@example.org> Quota exceeded (mailbox for user is full)" \
    "unix:$T/lmtp.sock" "$ADDR:$LPORT"
check "postfix start" inst_start
check "private/lmtp exists" inst_wait_sock private/lmtp

MSG="Subject: lmtp test
From: alice@example.com

hello mailbox"

id=$(echo "$MSG" | smtp_queue -f alice@example.com -r ann@example.org -r bad@example.org \
    -r full@example.org -r gone@example.org -r ben@example.org)
smtp_send -s private/lmtp -n "unix:$T/lmtp.sock" "$id"
ok $? "deliver_send gets a result from lmtp"
like "$(smtp_result ann@example.org)" "^result=sent dsn=2.0.0 reason=250 2.0.0 <ann@example.org> Saved as 1$" \
    "ann: the server's own reply after DATA"
like "$(smtp_result ben@example.org)" "^result=sent dsn=2.0.0 reason=250 2.0.0 <ben@example.org> Saved as 1$" \
    "ben: likewise"
is "$(smtp_result bad@example.org)" \
    "result=bounced dsn=5.1.1 reason=host mail.example.com[$T/lmtp.sock] said: 550 5.1.1 <bad@example.org> User doesn't exist: bad@example.org (in reply to RCPT TO command)" \
    "bad: bounced at RCPT TO"
is "$(smtp_result full@example.org)" \
    "result=deferred dsn=4.2.2 reason=host mail.example.com[$T/lmtp.sock] said: 452 4.2.2 <full@example.org> Mailbox is full (in reply to end of DATA command)" \
    "full: deferred by its own reply after DATA"
like "$(smtp_result gone@example.org)" "^result=bounced dsn=5.2.2 reason=.*552 5.2.2 <gone@example.org> Quota exceeded.*\(in reply to end of DATA command\)$" \
    "gone: bounced by its own reply after DATA"
m=$(sink_msg lmtp 1)
like "$m" '^helo=LHLO mail.example.com$' "LHLO, not EHLO"
is "$(grep -c '^rcpt=' <<<"$m")" "4" "four recipients accepted at RCPT TO"
check "lmtp logs Postfix's line, relay=myhostname[path]" inst_log_wait \
    "postfix/lmtp\[[0-9]+\]: $id: to=<ann@example.org>, relay=mail.example.com\[$T/lmtp.sock\], delay=.*, dsn=2.0.0, status=sent \(250 2.0.0 <ann@example.org> Saved as 1\)$"

id=$(echo "$MSG" | smtp_queue -f alice@example.com -r carl@example.org)
smtp_send -s private/lmtp -n "inet:$ADDR:$LPORT" "$id"
like "$(smtp_result carl@example.org)" "^result=sent dsn=2.0.0 " "inet:host:port: sent"
check "relay=host[addr]:port" inst_log_wait "$id: to=<carl@example.org>, relay=$ADDR\[$ADDR\]:$LPORT, .*status=sent"

id=$(echo "$MSG" | smtp_queue -f alice@example.com -r dora@example.org)
smtp_send -s private/lmtp -n "unix:$T/nosuch.sock" "$id"
is "$(smtp_result dora@example.org)" \
    "result=deferred dsn=4.4.1 reason=connect to mail.example.com[$T/nosuch.sock]: No such file or directory" \
    "a missing socket: deferred"

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
