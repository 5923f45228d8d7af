#!/bin/bash
# The smtp client's protocol rules against capturing servers in a network
# namespace with its own nsd: SIZE (bounce when the server's limit is
# smaller), SMTPUTF8 (bounce when needed and not offered, passed on when
# offered), 8BITMIME and DSN RET/ENVID on MAIL FROM, HELO after a refused
# EHLO, commands one at a time without PIPELINING, a 4xx greeting -> the
# next MX (and, when every server answers so, hop_status within
# smtp_mx_session_limit; smtp_mx_address_limit), smtp_helo_timeout for a silent server, and a
# failed TLS handshake under "may" retried in plaintext.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
smtp_setup
inst_param smtp_helo_timeout 2s
inst_param smtp_mx_session_limit 2
inst_param smtp_tls_security_level may
inst_param smtp_connection_cache_time_limit 2s
inst_service "smtp      unix  -       -       y       -       -       smtp"
inst_service "bound     unix  -       -       y       -       -       smtp
    -o smtp_bind_address=127.0.0.77 -o smtp_discard_ehlo_keywords=dsn,silent-discard"
inst_service "no5xx     unix  -       -       y       -       -       smtp
    -o smtp_skip_5xx_greeting=no"
inst_service "onlyone   unix  -       -       y       -       -       smtp
    -o smtp_mx_address_limit=1 -o smtp_mx_session_limit=5"

{
    nsd_soa smtp.test
    for d in size nopipe helo plain utf btls slow; do echo "$d IN MX 10 mx$d.smtp.test."; done
    echo 'g5 IN MX 10 mxg5.smtp.test.'
    echo 'g5 IN MX 20 mxplain.smtp.test.'
    echo 'mxg5 IN A 127.0.0.61'
    echo 'rej IN MX 10 mxrej.smtp.test.'
    echo 'mxrej IN A 127.0.0.60'
    echo 'greet IN MX 10 mxg1.smtp.test.'
    echo 'greet IN MX 20 mxplain.smtp.test.'
    echo 'allgreet IN MX 10 mxg1.smtp.test.'
    echo 'allgreet IN MX 20 mxg2.smtp.test.'
    echo 'allgreet IN MX 30 mxg3.smtp.test.'
    n=50
    for h in size nopipe helo plain utf btls slow g1 g2 g3; do
        echo "mx$h IN A 127.0.0.$n"
        n=$((n + 1))
    done
} >"$T/smtp.test.zone"
nsd_start smtp.test "$T/smtp.test.zone"
ok $? "nsd runs in namespace $NSD_NS"
check "sinks run" sink_start size --size 100 127.0.0.50:25
check "no-pipelining sink" sink_start nopipe --no-pipelining 127.0.0.51:25
check "HELO-only sink" sink_start helo --no-ehlo 127.0.0.52:25
check "plain sink" sink_start plain 127.0.0.53:25
check "sink without SMTPUTF8" sink_start utf --no-smtputf8 127.0.0.54:25
check "sink with a broken STARTTLS" sink_start btls --tls-broken 127.0.0.55:25
check "silent sink" sink_start slow --greeting-delay 8 127.0.0.56:25
check "sink that refuses every sender" sink_start rej --mail-reply "553 5.7.1 <alice@example.com>: Sender address rejected" 127.0.0.60:25
check "554 sink" sink_start g5 --greeting "554 5.3.2 No mail here" 127.0.0.61:25
check "421 sinks" sink_start g --greeting "421 4.3.2 Service shutting down" \
    127.0.0.57:25 127.0.0.58:25 127.0.0.59:25

nsd_exec postfix start >"$T/start.out" 2>&1
inst_wait test -s "$Q/pid/master.pid"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
check "private/smtp exists" inst_wait_sock private/smtp

MSG="Subject: protocol test
From: alice@example.com

a body line that makes the message larger than one hundred bytes, surely
and another one"

# SIZE: larger than the server's limit -> bounced without a transaction.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@size.smtp.test)
smtp_send -s private/smtp -n size.smtp.test "$id"
like "$(smtp_result a@size.smtp.test)" \
    "^result=bounced dsn=5.3.4 reason=message size [0-9]+ exceeds size limit 100 of server mxsize.smtp.test\[127.0.0.50\]$" \
    "SIZE 100: bounced"
is "$(ls "$T/sink-size" | grep -c msg-)" "0" "no transaction at the small server"

# Without PIPELINING: still delivered (one command at a time).
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@nopipe.smtp.test -r b@nopipe.smtp.test)
smtp_send -s private/smtp -n nopipe.smtp.test "$id"
like "$(smtp_result b@nopipe.smtp.test)" "^result=sent " "no PIPELINING: sent"
is "$(grep -c '^rcpt=' "$T/sink-nopipe/msg-1")" "2" "both recipients in one transaction"

# smtp_line_length_limit (998): a longer line is broken with CRLF SPACE.
long=$(printf 'x%.0s' $(seq 1200))
id=$(printf 'Subject: long\n\n%s\nend\n' "$long" | smtp_queue -f alice@example.com -r c@nopipe.smtp.test)
smtp_send -s private/smtp -n nopipe.smtp.test "$id"
like "$(smtp_result c@nopipe.smtp.test)" "^result=sent " "a 1200-byte line: sent"
sed -n '/^--$/,$p' "$T/sink-nopipe/msg-2" | tr -d '\r' >"$T/long.out"
is "$(awk '/^x/ { print length($0) } /^ x/ { print length($0) }' "$T/long.out" | tr '\n' ' ')" "998 203 " \
    "broken after 998 bytes, the rest after a space"

# EHLO refused: HELO, and no ESMTP parameters.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@helo.smtp.test)
smtp_send -s private/smtp -n helo.smtp.test "$id"
like "$(smtp_result a@helo.smtp.test)" "^result=sent " "HELO fallback: sent"
m=$(sink_msg helo 1)
like "$m" '^helo=HELO mail.example.com$' "HELO after the 502 to EHLO"
like "$m" '^mail=<alice@example.com>$' "MAIL FROM without SIZE (no ESMTP)"

# 8BITMIME, DSN RET and ENVID (xtext), SMTPUTF8 passed on.
id=$(echo "$MSG" | smtp_queue -x 162 -a encoding=8bit -a envelope_id=env+1 -a ret_flags=2 \
    -f alice@example.com -r a@plain.smtp.test)
smtp_send -s private/smtp -n plain.smtp.test "$id"
like "$(smtp_result a@plain.smtp.test)" "^result=sent " "8bit SMTPUTF8 message: sent"
like "$(sink_msg plain 1)" '^mail=<alice@example.com> SIZE=[0-9]+ BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=env\+2B1$' \
    "MAIL FROM carries BODY=8BITMIME, SMTPUTF8, RET=HDRS and ENVID as xtext"

# The session kept for reuse is closed when smtp_connection_cache_time_limit
# (2 s) has passed, while the agent waits for work.
is "$(grep -c '^close ' "$T/sink-plain/connections")" "0" "the session to mxplain is kept after the delivery"
INST_WAIT=60 inst_wait grep -q '^close ' "$T/sink-plain/connections"
ok $? "and closed by the idle timer (the worker itself stays)"

# smtp_bind_address: the connection comes from 127.0.0.77;
# smtp_discard_ehlo_keywords = dsn: no NOTIFY/ORCPT although the server has DSN.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -N 4 -r d@plain.smtp.test)
smtp_send -s private/bound -n plain.smtp.test "$id"
like "$(smtp_result d@plain.smtp.test)" "^result=sent " "sent through the bound service"
like "$(tail -n 3 "$T/sink-plain/connections")" '^conn 127.0.0.53:25 from 127.0.0.77$' \
    "smtp_bind_address: the server saw 127.0.0.77"
like "$(sink_msg plain 2)" '^rcpt=<d@plain.smtp.test>$' "DSN discarded from EHLO: RCPT TO without NOTIFY or ORCPT"

# MAIL FROM refused (pipelined): every recipient gets that reply.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@rej.smtp.test -r b@rej.smtp.test)
smtp_send -s private/smtp -n rej.smtp.test "$id"
for r in a b; do
    is "$(smtp_result $r@rej.smtp.test)" \
        "result=bounced dsn=5.7.1 reason=host mxrej.smtp.test[127.0.0.60] said: 553 5.7.1 <alice@example.com>: Sender address rejected (in reply to MAIL FROM command)" \
        "MAIL FROM 553: $r bounced"
done
is "$(ls "$T/sink-rej" | grep -c msg-)" "0" "no message went to the server"

# 250 recipients with PIPELINING: sent in batches of 100, all accepted.
args=()
for i in $(seq 250); do args+=(-r "r$i@plain.smtp.test"); done
id=$(echo "$MSG" | smtp_queue -f alice@example.com "${args[@]}")
smtp_send -s private/smtp -n plain.smtp.test "$id"
is "$(grep -c 'result=sent' "$T/send.out")" "250" "250 recipients: all sent"
m=$(ls "$T/sink-plain" | grep msg- | sort -t- -k2 -n | tail -1)
is "$(grep -c '^rcpt=' "$T/sink-plain/$m")" "250" "in one transaction"

# SMTPUTF8 needed (a UTF-8 address), not offered: bounced; asked for but
# not needed (all ASCII): sent without it.
id=$(echo "$MSG" | smtp_queue -x 162 -f alice@example.com -r "jösé@utf.smtp.test")
smtp_send -s private/smtp -n utf.smtp.test "$id"
is "$(smtp_result "jösé@utf.smtp.test")" \
    "result=bounced dsn=5.6.7 reason=SMTPUTF8 is required, but was not offered by host mxutf.smtp.test[127.0.0.54]" \
    "SMTPUTF8 required but not offered: bounced"
id=$(echo "$MSG" | smtp_queue -x 162 -f alice@example.com -r a@utf.smtp.test)
smtp_send -s private/smtp -n utf.smtp.test "$id"
like "$(smtp_result a@utf.smtp.test)" "^result=sent " "SMTPUTF8 requested, all ASCII: sent to the server without it"
like "$(sink_msg utf 1)" '^mail=<alice@example.com> SIZE=[0-9]+$' "  without the SMTPUTF8 parameter"

# A 421 greeting: the next MX.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@greet.smtp.test)
smtp_send -s private/smtp -n greet.smtp.test "$id"
check "4xx greeting: delivered by the next MX" inst_log_wait \
    "$id: to=<a@greet.smtp.test>, relay=mxplain.smtp.test\[127.0.0.53\]:25, .*status=sent"
check "the refusal is logged" inst_log_wait \
    "host mxg1.smtp.test\[127.0.0.57\] refused to talk to me: 421 4.3.2 Service shutting down$"

# A 5xx greeting: the next MX by default (smtp_skip_5xx_greeting = yes),
# a bounce with smtp_skip_5xx_greeting = no.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@g5.smtp.test)
smtp_send -s private/smtp -n g5.smtp.test "$id"
check "5xx greeting skipped: the next MX took it" inst_log_wait \
    "$id: to=<a@g5.smtp.test>, relay=mxplain.smtp.test\[127.0.0.53\]:25, .*status=sent"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r b@g5.smtp.test)
smtp_send -s private/no5xx -n g5.smtp.test "$id"
is "$(smtp_result b@g5.smtp.test)" \
    "result=bounced dsn=5.3.2 reason=host mxg5.smtp.test[127.0.0.61] refused to talk to me: 554 5.3.2 No mail here" \
    "smtp_skip_5xx_greeting = no: bounced"

# smtp_mx_address_limit = 1: only the first address is tried.
before=$(sink_conns plain)
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r b@greet.smtp.test)
smtp_send -s private/onlyone -n greet.smtp.test "$id"
like "$(smtp_result b@greet.smtp.test)" "^result=deferred dsn=4.3.2 reason=host mxg1.smtp.test\[127.0.0.57\] refused to talk to me" \
    "smtp_mx_address_limit = 1: deferred after the first MX"
is "$(sink_conns plain)" "$before" "the second MX was not tried"

# Every server says 421: deferred, hop_status, at most 2 sessions.
before=$(sink_conns g)
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@allgreet.smtp.test)
smtp_send -s private/smtp -n allgreet.smtp.test "$id"
is "$(smtp_result a@allgreet.smtp.test)" \
    "result=deferred dsn=4.3.2 reason=host mxg2.smtp.test[127.0.0.58] refused to talk to me: 421 4.3.2 Service shutting down" \
    "every greeting 4xx: deferred with the last server's reply"
is "$(sed -n 's/^hop_status=//p' "$T/send.out")" "4.3.2" "hop_status set"
check "the deferral names the server that answered last" inst_log_wait \
    "$id: to=<a@allgreet.smtp.test>, relay=mxg2.smtp.test\[127.0.0.58\]:25, .*dsn=4.3.2, status=deferred \(host mxg2.smtp.test\[127.0.0.58\] refused to talk to me: 421 4.3.2 Service shutting down\)$"
is "$(($(sink_conns g) - before))" "2" "smtp_mx_session_limit = 2: the third MX is not tried"
! grep -q "127.0.0.59" "$T/sink-g/connections"
ok $? "mxg3 never saw a connection"

# A server that never greets: smtp_helo_timeout.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@slow.smtp.test)
start=$(date +%s)
smtp_send -s private/smtp -n slow.smtp.test "$id"
is "$(smtp_result a@slow.smtp.test)" \
    "result=deferred dsn=4.4.2 reason=conversation with mxslow.smtp.test[127.0.0.56] timed out while receiving the initial server greeting" \
    "a silent server: deferred after smtp_helo_timeout"
ok $(($(date +%s) - start < 7 ? 0 : 1)) "within the 2 s timeout, not the server's 8 s"

# STARTTLS offered but the handshake fails: plaintext under "may".
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@btls.smtp.test)
smtp_send -s private/smtp -n btls.smtp.test "$id"
like "$(smtp_result a@btls.smtp.test)" "^result=sent " "may: a broken TLS handshake, then plaintext"
like "$(sink_msg btls 1)" '^tls=0$' "delivered in plaintext"
check "the retry is logged" inst_log_wait "mxbtls.smtp.test\[127.0.0.55\]: TLS handshake failed .*; trying again without TLS$"

nsd_exec postfix stop >/dev/null 2>&1
inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
MPID=
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
