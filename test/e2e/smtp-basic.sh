#!/bin/bash
# The smtp delivery agent against capturing SMTP servers (test/tools/
# smtp_sink.py) on 127.0.0.x:25 in a network namespace whose nsd serves
# the test domains: a virtual alias (cleanup) forwarded to the right MX with
# the envelope intact, MX preference order (DSN
# NOTIFY/ORCPT passed on), fallback to the secondary MX when the primary
# refuses connections, a domain without MX (its A record), null MX and
# NXDOMAIN bounced, an MX pointing at this host bounced, a dead destination
# deferred with hop_status, per-recipient 2xx/4xx/5xx results with the
# server's text, [host] without MX lookup, IPv6 per inet_protocols, CNAMEs
# (a loop ends), native lookups without DNS (smtp_dns_support_level =
# disabled), and connection reuse for a burst to one destination.
# deliver_send plays qmgr.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
smtp_setup
inst_param smtp_connection_cache_time_limit 30s
inst_param virtual_alias_maps "inline:{ me@example.com=foo@two.smtp.test }"
inst_service "smtp      unix  -       -       y       -       1       smtp"
inst_service "reuse2    unix  -       -       y       -       1       smtp
    -o smtp_connection_reuse_count_limit=2 -o smtp_connection_cache_time_limit=30s"
inst_service "smtp4     unix  -       -       y       -       -       smtp
    -o inet_protocols=ipv4"
inst_service "smtp6     unix  -       -       y       -       -       smtp
    -o inet_protocols=all"
inst_service "native    unix  -       -       n       -       -       smtp
    -o smtp_dns_support_level=disabled -o smtp_host_lookup=native"

{
    nsd_soa smtp.test
    echo 'two IN MX 10 mx1.smtp.test.'
    echo 'two IN MX 20 mx2.smtp.test.'
    echo 'one IN MX 10 mx1.smtp.test.'
    echo 'down IN MX 10 mxdown.smtp.test.'
    echo 'down IN MX 20 mx2.smtp.test.'
    echo 'dead IN MX 10 mxdown.smtp.test.'
    echo 'nullmx IN MX 0 .'
    echo 'loop IN MX 10 me.smtp.test.'
    echo 'amx IN A 127.0.0.34'
    echo 'mx1 IN A 127.0.0.31'
    echo 'mx2 IN A 127.0.0.32'
    echo 'mxdown IN A 127.0.0.33'
    echo 'me IN A 127.0.0.10'
    echo 'v6 IN MX 10 mx6.smtp.test.'
    echo 'mx6 IN AAAA ::1'
    echo 'alias IN CNAME amx.smtp.test.'
    echo 'cloop1 IN CNAME cloop2.smtp.test.'
    echo 'cloop2 IN CNAME cloop1.smtp.test.'
} >"$T/smtp.test.zone"
nsd_start smtp.test "$T/smtp.test.zone"
ok $? "nsd runs in namespace $NSD_NS"

check "sink mx1 (127.0.0.31) runs" sink_start mx1 \
    --rcpt "soft@one.smtp.test=450 4.2.0 <soft@one.smtp.test>: mailbox busy" \
    --rcpt "hard@one.smtp.test=550 5.1.1 <hard@one.smtp.test>: Recipient address rejected: no such user" \
    127.0.0.31:25
check "sink mx2 (127.0.0.32) runs" sink_start mx2 127.0.0.32:25
check "sink amx (127.0.0.34) runs" sink_start amx 127.0.0.34:25
check "sink mx6 ([::1]:25) runs" sink_start mx6 "[::1]:25"

nsd_exec postfix start >"$T/start.out" 2>&1
inst_wait test -s "$Q/pid/master.pid"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
check "master runs in the namespace, private/smtp exists" inst_wait_sock private/smtp

MSG="Subject: outbound test
From: alice@example.com

line one
.a line that starts with a dot
last line"
D='[0-9]+(\.[0-9]+)?'

# 1. Two MX: the preferred one gets the mail, envelope and DSN intact.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -O team@example.com -D "rfc822;team@example.com" \
    -N 12 -r bob@two.smtp.test -r carol@two.smtp.test)
like "$id" '^[0-9A-F]{6,}$' "a message for two.smtp.test is queued"
smtp_send -s private/smtp -n two.smtp.test "$id"
ok $? "deliver_send gets a result from smtp"
is "$(smtp_result bob@two.smtp.test)" "result=sent dsn=2.0.0 reason=250 2.0.0 Ok: queued as SINK1" \
    "bob: sent, with the server's reply as the reason"
is "$(smtp_result carol@two.smtp.test)" "result=sent dsn=2.0.0 reason=250 2.0.0 Ok: queued as SINK1" \
    "carol: sent in the same transaction"
m=$(sink_msg mx1 1)
like "$m" '^mail=<alice@example.com> SIZE=[0-9]+$' "mx1 (preference 10) got MAIL FROM with SIZE"
like "$m" '^rcpt=<bob@two.smtp.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;team@example.com$' \
    "RCPT TO carries NOTIFY and ORCPT (the server offers DSN)"
like "$m" '^rcpt=<carol@two.smtp.test> ORCPT=rfc822;carol@two.smtp.test$' \
    "the second recipient: no NOTIFY, ORCPT from its original recipient (as Postfix)"
like "$m" '^helo=EHLO mail.example.com$' "EHLO with smtp_helo_name (\$myhostname)"
like "$m" '^\.a line that starts with a dot' "dot-stuffing undone by the server: the line is intact"
is "$(ls "$T/sink-mx2" | grep -c msg-)" "0" "mx2 (preference 20) got nothing"
check "Postfix's sent line" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: $id: to=<bob@two.smtp.test>, orig_to=<team@example.com>, relay=mx1.smtp.test\[127.0.0.31\]:25, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \(250 2.0.0 Ok: queued as SINK1\)$"
is "$(inst_postcat -e "$Q/active/$id" | grep -cE '^done_recipient:')" "2" \
    "both recipients are marked done in the queue file"

# The tutorials' forwarding: cleanup's virtual_alias_maps turns
# me@example.com into foo@two.smtp.test; the MX gets the new recipient with
# the original as ORCPT, and the log says orig_to.
id=$(echo "$MSG" | smtp_queue -x 34 -f alice@example.com -r me@example.com)
smtp_send -s private/smtp -n two.smtp.test "$id"
like "$(smtp_result foo@two.smtp.test)" "^result=sent dsn=2.0.0 " "the aliased recipient is sent"
m=$(sink_msg mx1 2)
like "$m" '^rcpt=<foo@two.smtp.test> ORCPT=rfc822;me@example.com$' "the MX got foo@ with ORCPT me@"
like "$m" '^mail=<alice@example.com> ' "the envelope sender is intact"
check "orig_to in the log" inst_log_wait \
    "$id: to=<foo@two.smtp.test>, orig_to=<me@example.com>, relay=mx1.smtp.test\[127.0.0.31\]:25, .*status=sent"

# 2. The primary MX refuses connections: the secondary gets it.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r dave@down.smtp.test)
smtp_send -s private/smtp -n down.smtp.test "$id"
like "$(smtp_result dave@down.smtp.test)" "^result=sent dsn=2.0.0 " "down.smtp.test: sent via the secondary MX"
check "the refused connection is logged" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: connect to mxdown.smtp.test\[127.0.0.33\]:25: Connection refused$"
check "relay=mx2" inst_log_wait "$id: to=<dave@down.smtp.test>, relay=mx2.smtp.test\[127.0.0.32\]:25, .*status=sent"
like "$(sink_msg mx2 1)" '^rcpt=<dave@down.smtp.test> ' "mx2 recorded the recipient"

# 3. Per-recipient results in one transaction: 250, 450, 550.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r ok@one.smtp.test -r soft@one.smtp.test \
    -r hard@one.smtp.test)
smtp_send -s private/smtp -n one.smtp.test "$id"
is "$(sed -n 's/^status=//p' "$T/send.out")" "1" "status: some recipients must be tried again"
like "$(smtp_result ok@one.smtp.test)" "^result=sent dsn=2.0.0 reason=250 2.0.0 Ok: queued as SINK[0-9]+$" "2xx: sent"
is "$(smtp_result soft@one.smtp.test)" \
    "result=deferred dsn=4.2.0 reason=host mx1.smtp.test[127.0.0.31] said: 450 4.2.0 <soft@one.smtp.test>: mailbox busy (in reply to RCPT TO command)" \
    "4xx: deferred with the server's text"
is "$(smtp_result hard@one.smtp.test)" \
    "result=bounced dsn=5.1.1 reason=host mx1.smtp.test[127.0.0.31] said: 550 5.1.1 <hard@one.smtp.test>: Recipient address rejected: no such user (in reply to RCPT TO command)" \
    "5xx: bounced with the server's text"
check "bounced line" inst_log_wait \
    "$id: to=<hard@one.smtp.test>, relay=mx1.smtp.test\[127.0.0.31\]:25, delay=$D, delays=$D/$D/$D/$D, dsn=5.1.1, status=bounced \(host mx1.smtp.test\[127.0.0.31\] said: 550 5.1.1 <hard@one.smtp.test>: Recipient address rejected: no such user \(in reply to RCPT TO command\)\)$"
check "deferred line" inst_log_wait \
    "$id: to=<soft@one.smtp.test>, relay=mx1.smtp.test\[127.0.0.31\]:25, .*dsn=4.2.0, status=deferred \(host mx1.smtp.test\[127.0.0.31\] said: 450 4.2.0"
h=${id:0:1}
grep -q "^<soft@one.smtp.test>: host mx1" "$Q/defer/$h/$id" 2>/dev/null
ok $? "the deferred recipient has a record in defer/$h/$id"
grep -q "^<hard@one.smtp.test>: host mx1" "$Q/bounce/$id" 2>/dev/null
ok $? "the bounced recipient has a record in bounce/$id"
is "$(inst_postcat -e "$Q/active/$id" | grep -E '^(done_)?recipient:' | tr '\n' ' ')" \
    "done_recipient: ok@one.smtp.test recipient: soft@one.smtp.test done_recipient: hard@one.smtp.test " \
    "sent and bounced are done, the deferred one is not"
m=$(ls "$T/sink-mx1" | grep msg- | sort -t- -k2 -n | tail -1)
is "$(grep -c '^rcpt=' "$T/sink-mx1/$m")" "1" "the server's transaction holds only the accepted recipient"
# The next attempt (qmgr's retry; here to [mx2], which takes everything)
# carries only the deferred recipient: nothing is sent twice.
n2=$(ls "$T/sink-mx2" | grep -c msg-)
smtp_send -s private/smtp -n "[mx2.smtp.test]" "$id"
is "$(grep -c '^rcpt=' "$T/send.out")" "1" "the retry holds one recipient"
like "$(smtp_result soft@one.smtp.test)" "^result=sent " "the deferred recipient is delivered on the retry"
m=$(sink_msg mx2 $((n2 + 1)))
is "$(grep '^rcpt=' <<<"$m" | tr '\n' ' ')" "rcpt=<soft@one.smtp.test> ORCPT=rfc822;soft@one.smtp.test " \
    "the server got only that recipient"
is "$(inst_postcat -e "$Q/active/$id" | grep -cE '^done_recipient:')" "3" "now every recipient is done"

# 4. A domain without MX: its A record.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r erin@amx.smtp.test)
smtp_send -s private/smtp -n amx.smtp.test "$id"
like "$(smtp_result erin@amx.smtp.test)" "^result=sent " "no MX: delivered to the domain's A record"
check "relay=amx" inst_log_wait "$id: to=<erin@amx.smtp.test>, relay=amx.smtp.test\[127.0.0.34\]:25, .*status=sent"

# 5. Null MX, NXDOMAIN and an MX that is this host: bounced.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r x@nullmx.smtp.test)
smtp_send -s private/smtp -n nullmx.smtp.test "$id"
is "$(smtp_result x@nullmx.smtp.test)" \
    "result=bounced dsn=5.1.0 reason=Domain nullmx.smtp.test does not accept mail (nullMX)" "null MX: bounced"
check "null MX line" inst_log_wait "$id: to=<x@nullmx.smtp.test>, relay=none, .*dsn=5.1.0, status=bounced \(Domain nullmx.smtp.test does not accept mail \(nullMX\)\)$"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r x@nosuch.smtp.test)
smtp_send -s private/smtp -n nosuch.smtp.test "$id"
is "$(smtp_result x@nosuch.smtp.test)" \
    "result=bounced dsn=5.4.4 reason=Host or domain name not found. Name service error for name=nosuch.smtp.test type=MX: Host not found" \
    "NXDOMAIN: bounced"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r x@loop.smtp.test)
smtp_send -s private/smtp -n loop.smtp.test "$id"
is "$(smtp_result x@loop.smtp.test)" "result=bounced dsn=5.4.6 reason=mail for loop.smtp.test loops back to myself" \
    "an MX at this host's address (inet_interfaces): loops back to myself"

# 6. Nobody answers: deferred, and hop_status tells qmgr the site is dead.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r x@dead.smtp.test)
smtp_send -s private/smtp -n dead.smtp.test "$id"
is "$(smtp_result x@dead.smtp.test)" \
    "result=deferred dsn=4.4.1 reason=connect to mxdown.smtp.test[127.0.0.33]:25: Connection refused" \
    "connection refused everywhere: deferred"
is "$(sed -n 's/^hop_status=//p' "$T/send.out")" "4.4.1" "hop_status marks the destination dead"
check "deferred line with relay=none" inst_log_wait \
    "$id: to=<x@dead.smtp.test>, relay=none, delay=$D, delays=$D/$D/$D/$D, dsn=4.4.1, status=deferred \(connect to mxdown.smtp.test\[127.0.0.33\]:25: Connection refused\)$"

# 7. [host] skips the MX lookup: [mx2.smtp.test] goes to mx2, not mx1.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r fred@two.smtp.test)
smtp_send -s private/smtp -n "[mx2.smtp.test]" "$id"
check "[mx2.smtp.test]: relay=mx2" inst_log_wait "$id: to=<fred@two.smtp.test>, relay=mx2.smtp.test\[127.0.0.32\]:25, .*status=sent"

# 8. IPv6 per inet_protocols: the AAAA record with "all", nothing with "ipv4".
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r gina@v6.smtp.test)
smtp_send -s private/smtp6 -n v6.smtp.test "$id"
check "inet_protocols = all: delivered over IPv6" inst_log_wait \
    "$id: to=<gina@v6.smtp.test>, relay=mx6.smtp.test\[::1\]:25, .*status=sent"
like "$(sink_msg mx6 1)" '^rcpt=<gina@v6.smtp.test>' "the IPv6 server got it"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r gina@v6.smtp.test)
smtp_send -s private/smtp4 -n v6.smtp.test "$id"
like "$(smtp_result gina@v6.smtp.test)" "^result=bounced dsn=5.4.4 reason=Host or domain name not found. Name service error for name=mx6.smtp.test type=A: Host found but no data record of requested type" \
    "inet_protocols = ipv4: the AAAA-only MX has no address"

# 9. CNAMEs: followed for the domain; a loop ends, deferred.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r hal@alias.smtp.test)
smtp_send -s private/smtp -n alias.smtp.test "$id"
like "$(smtp_result hal@alias.smtp.test)" "^result=sent " "a CNAME to a domain without MX: its A record"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r x@cloop1.smtp.test)
timeout 20 bash -c "cd '$Q' && '$SEND' -s private/smtp -n cloop1.smtp.test '$id'" >"$T/send.out" 2>&1
like "$(smtp_result x@cloop1.smtp.test)" "^result=(deferred|bounced) " "a CNAME loop ends with a result"

# 10. smtp_dns_support_level = disabled (native lookups): no MX lookup.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r ivy@amx.smtp.test)
smtp_send -s private/native -n amx.smtp.test "$id"
check "native lookup of the domain's address" inst_log_wait \
    "$id: to=<ivy@amx.smtp.test>, relay=amx.smtp.test\[127.0.0.34\]:25, .*status=sent"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r ivy@two.smtp.test)
smtp_send -s private/native -n two.smtp.test "$id"
like "$(smtp_result ivy@two.smtp.test)" "^result=(bounced|deferred) dsn=[45].4.[34] reason=Host or domain name not found" \
    "without DNS the MX records of two.smtp.test are not used"
is "$(cat "$T"/sink-mx1/msg-* | grep -c 'ivy@')" "0" "mx1 never saw it"

# 11. Connection reuse: a burst of four messages to one destination.
before=$(sink_conns amx)
for i in 1 2 3 4; do
    id=$(echo "$MSG" | smtp_queue -f alice@example.com -r "burst$i@amx.smtp.test")
    smtp_send -s private/smtp -n amx.smtp.test "$id"
    like "$(smtp_result "burst$i@amx.smtp.test")" "^result=sent " "burst message $i sent"
done
after=$(sink_conns amx)
is "$((after - before))" "0" "four messages over the session kept from test 4: no new connection"
is "$(ls "$T/sink-amx" | grep -c msg-)" "7" "the server has seven transactions"

# smtp_connection_reuse_count_limit = 2: a connection carries up to 2 + 1
# messages (N reuses after the first, as in Postfix), so four messages take two.
before=$(sink_conns mx2)
for i in 1 2 3 4; do
    id=$(echo "$MSG" | smtp_queue -f alice@example.com -r "limit$i@two.smtp.test")
    smtp_send -s private/reuse2 -n "[mx2.smtp.test]" "$id"
    like "$(smtp_result "limit$i@two.smtp.test")" "^result=sent " "reuse-limited message $i sent"
done
is "$(($(sink_conns mx2) - before))" "2" "four messages, two connections (up to three each)"

nsd_exec postfix stop >/dev/null 2>&1
inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
MPID=
check "the cached sessions are closed with QUIT at exit" inst_wait bash -c \
    "[ \$(grep -c . '$T/sink-amx/connections') -ge 1 ]"
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status|warning" "$LOG"
ok $? "no panic, fatal error, warning or sanitizer report in the log"
done_testing
