#!/bin/bash
# smtpd's DNS, against an nsd of the test's own in a network namespace
# (test/lib/nsd.sh): master, smtpd and the clients run in that namespace,
# whose /etc/resolv.conf names our nsd. A client whose PTR name maps back
# to its address is logged and recorded by name; one whose PTR name does
# not is "unknown" (its reverse name kept); reject_unknown_client_hostname,
# reject_rbl_client (with the TXT reason) and reject_unknown_sender_domain
# answer as Postfix does, reject_unknown_recipient_domain and
# reject_unknown_helo_hostname (and its old name reject_unknown_hostname)
# too, and with
# unknown_address_reject_code = 550 the enhanced code follows (5.1.8,
# 5.1.2). The resolver configuration is read before chroot.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
nsd_available || { echo "1..0 # SKIP needs root, ip, nsd and python3"; exit 0; }

# The clients below bind 127.0.0.2, .21 and .22: the server address must be
# none of them, or a client "is this host" (rewrite_context=local).
INST_ADDR=127.0.0.10

sd_setup "smtpd_peername_lookup = yes" \
    "mynetworks = 127.0.0.0/8" \
    "smtpd_restriction_classes = need_name, rcpt_domain" \
    "need_name = reject_unknown_client_hostname" \
    "rcpt_domain = reject_unknown_recipient_domain" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{smtpd.test = rcpt_domain}}, permit_mynetworks, reject_unauth_destination" \
    "unknown_address_reject_code = 550" \
    "smtpd_helo_restrictions = check_helo_access inline:{{nohost.smtpd.test = reject_unknown_hostname}, {client.smtpd.test = reject_unknown_helo_hostname}}" \
    "smtpd_client_restrictions = check_client_access inline:{127.0.0.22=need_name}, reject_rbl_client rbl.test" \
    "smtpd_sender_restrictions = reject_unknown_sender_domain"
{
    nsd_soa smtpd.test
    echo 'client IN A 127.0.0.21'
    echo 'good IN MX 10 client.smtpd.test.'
    echo 'aonly IN A 127.0.0.30'
} >"$T/smtpd.test.zone"
{
    nsd_soa rbl.test
    echo '2.0.0.127 IN A 127.0.0.2'
    echo '2.0.0.127 IN TXT "listed for testing"'
} >"$T/rbl.test.zone"
{
    nsd_soa 0.0.127.in-addr.arpa
    echo '21 IN PTR client.smtpd.test.'
    echo '22 IN PTR liar.smtpd.test.'
} >"$T/reverse.zone"
nsd_start smtpd.test "$T/smtpd.test.zone" rbl.test "$T/rbl.test.zone" \
    0.0.127.in-addr.arpa "$T/reverse.zone"
ok $? "nsd runs in namespace $NSD_NS"

SD_IN=nsd_exec # master, smtpd and the clients
$SD_IN postfix start >"$T/start.out" 2>&1
inst_wait test -s "$Q/pid/master.pid"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
inst_wait sd_banner
ok $? "master and smtpd run inside the namespace"

sd_dialog verified --bind 127.0.0.21 <<'D'
S~ 220 .*
C: EHLO helo.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: from a named client
C:
C: hello
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "connect from client")" "connect from client.smtpd.test\[127.0.0.21\]$" \
    "PTR name confirmed by its A record: logged by name"
id=$(sd_queue_id "from a named client")
inst_postcat "$Q/incoming/$id" >"$T/named.postcat"
grep -qx "named_attribute: client_name=client.smtpd.test" "$T/named.postcat" &&
    grep -qx "named_attribute: reverse_client_name=client.smtpd.test" "$T/named.postcat" &&
    grep -qx "Received: from helo.smtpd.test (client.smtpd.test \[127.0.0.21\])" "$T/named.postcat"
ok $? "client_name, reverse_client_name and Received: carry the verified name"
grep -qx "named_attribute: rewrite_context=remote" "$T/named.postcat"
ok $? "a client that is not this host: rewrite_context=remote"

sd_dialog unverified --bind 127.0.0.22 <<'D'
S~ 220 .*
C: EHLO helo.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.22]
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "connect from unknown\[127.0.0.22\]")" "connect from unknown\[127.0.0.22\]$" \
    "a PTR name without a matching A record: the client is unknown"

sd_dialog rbl --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO helo.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using rbl.test; listed for testing
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog sender-domain --bind 127.0.0.21 <<'D'
S~ 220 .*
C: EHLO helo.smtpd.test
M: 250
C: MAIL FROM:<alice@nosuch.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 550 5.1.8 <alice@nosuch.smtpd.test>: Sender address rejected: Domain not found
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@aonly.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog recipient-domain --bind 127.0.0.21 <<'D'
S~ 220 .*
C: EHLO helo.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@nosuch.smtpd.test>
S: 550 5.1.2 <bob@nosuch.smtpd.test>: Recipient address rejected: Domain not found
C: RCPT TO:<bob@good.smtpd.test>
S: 250 2.1.5 Ok
C: RCPT TO:<bob@aonly.smtpd.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
sd_dialog helo-host --bind 127.0.0.21 <<'D'
S~ 220 .*
C: EHLO nohost.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 550 5.7.1 <nohost.smtpd.test>: Helo command rejected: Host not found
C: RSET
S: 250 2.0.0 Ok
C: EHLO client.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
# A resolver that never answers: every lookup ends at the resolver's
# timeout (resolv.conf "options timeout:1 attempts:1", read before chroot
# by each new smtpd), the client is "unknown", and a domain check that could
# not be made is a temporary 450 whatever unknown_address_reject_code says.
ip netns exec "$NSD_NS" python3 -c '
import socket, select
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.54", 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.54", 53)); t.listen(8)
held = []
while True:
    r, _, _ = select.select([u, t], [], [], 60)
    if not r:
        break
    for s in r:
        if s is u:
            u.recvfrom(4096)
        else:
            held.append(t.accept()[0])
' &
BLACKHOLE=$!
printf 'nameserver 127.0.0.54\noptions timeout:1 attempts:1\n' >"/etc/netns/$NSD_NS/resolv.conf"
sd_reload
cat >"$T/silent.dialog" <<'D'
S~ 220 .*
C: EHLO helo.smtpd.test
M: 250
C: MAIL FROM:<alice@good.smtpd.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 450 4.1.8 <alice@good.smtpd.test>: Sender address rejected: Domain not found
C: QUIT
S: 221 2.0.0 Bye
D
# An smtpd started before the reload may still take one connection: retry
# (a few times) until a new one answers; time the session that passed.
silent_session() {
    start=$(date +%s.%N)
    sd_dialog_run silent --bind 127.0.0.21 --timeout 20
}
INST_WAIT=5 inst_wait silent_session
ok $? "dialog: silent-resolver $(head -c 300 "$T/silent.err")"
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
ok $(echo "$elapsed < 12" | bc | grep -q 1; echo $?) "a silent resolver: the session took ${elapsed}s, bounded by the resolver timeout"
like "$(sd_log "connect from unknown\[127.0.0.21\]")" "connect from unknown\[127.0.0.21\]$" \
    "a silent resolver: the client whose PTR lookup timed out is unknown"
kill "$BLACKHOLE" 2>/dev/null
wait "$BLACKHOLE" 2>/dev/null

sd_finish
done_testing
