#!/bin/bash
# smtpd's DNS list, server access and TLS client certificate restrictions,
# against an nsd of the test's own in a network namespace (test/lib/nsd.sh):
# reject_rbl_client with a filter pattern, reject_rhsbl_client,
# _reverse_client, _sender, _helo, _recipient (default_rbl_reply with the
# TXT reason; an rbl_reply_maps template, and a broken one: 451),
# permit_dnswl_client (a filter that leaves out dnswl.org's 127.0.0.255;
# never past reject_unauth_destination), permit_rhswl_client,
# check_sender_mx_access (OK refused there), check_helo_ns_access,
# check_recipient_a_access, reject_plaintext_session,
# permit_tls_clientcerts (relay_clientcerts), permit_tls_all_clientcerts,
# check_ccert_access, and reject_unverified_recipient (a warning, then the
# next restriction). Each restriction is a class that the recipient picks.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
nsd_available || { echo "1..0 # SKIP needs root, ip, nsd and python3"; exit 0; }

INST_ADDR=127.0.0.10
L=lists.test

sd_setup "smtpd_peername_lookup = yes" \
    "mynetworks = 127.0.0.1/32" \
    "relay_domains = relay.test" \
    "smtpd_relay_restrictions =" \
    "smtpd_restriction_classes = c_rbl, c_rblf, c_rhs_sender, c_rhs_helo, c_rhs_rcpt, c_rhs_client, c_rhs_rev, c_tmpl, c_badtmpl, c_dnswl, c_rhswl, c_mx, c_ns, c_a, c_tls, c_tlsall, c_unverified" \
    "c_rbl = reject_rbl_client rbl.$L" \
    "c_rblf = reject_rbl_client rbl.$L=127.0.0.[3..4]" \
    "c_rhs_sender = reject_rhsbl_sender rhs.$L" \
    "c_rhs_helo = reject_rhsbl_helo rhs.$L" \
    "c_rhs_rcpt = reject_rhsbl_recipient rhs.$L" \
    "c_rhs_client = reject_rhsbl_client rhs.$L" \
    "c_rhs_rev = reject_rhsbl_reverse_client rhs.$L" \
    "c_tmpl = reject_rbl_client tmpl.$L" \
    "c_badtmpl = reject_rbl_client badtmpl.$L" \
    "c_dnswl = permit_dnswl_client wl.$L=127.0.[0..255].[0..254], reject_unauth_destination, reject" \
    "c_rhswl = permit_rhswl_client wl.$L, reject" \
    "c_mx = check_sender_mx_access texthash:\$config_directory/mx_access" \
    "c_ns = check_helo_ns_access texthash:\$config_directory/ns_access" \
    "c_a = check_recipient_a_access texthash:\$config_directory/a_access" \
    "c_tls = reject_plaintext_session, permit_tls_clientcerts, check_ccert_access texthash:\$config_directory/ccert_access, reject" \
    "c_tlsall = permit_tls_all_clientcerts, reject" \
    "c_unverified = reject_unverified_recipient, reject_rbl_client rbl.$L" \
    "smtpd_recipient_restrictions = check_recipient_access texthash:\$config_directory/pick, reject_unauth_destination" \
    "rbl_reply_maps = texthash:\$config_directory/rbl_reply" \
    "relay_clientcerts = texthash:\$config_directory/relay_ccerts" \
    "smtpd_tls_security_level = may" \
    "smtpd_tls_cert_file = \$config_directory/server.pem" \
    "smtpd_tls_key_file = \$config_directory/server.key" \
    "smtpd_tls_ask_ccert = yes" \
    "smtpd_tls_CAfile = \$config_directory/client1.pem" \
    "smtpd_tls_fingerprint_digest = sha256"
tls_cert server mail.example.com
tls_cert client1 client1.example.org
tls_cert client2 client2.example.org
cat >"$C/pick" <<P
rbl@relay.test c_rbl
rblf@relay.test c_rblf
rhs-sender@relay.test c_rhs_sender
rhs-helo@relay.test c_rhs_helo
bad.smtpd.test c_rhs_rcpt
rhs-client@relay.test c_rhs_client
rhs-rev@relay.test c_rhs_rev
tmpl@relay.test c_tmpl
badtmpl@relay.test c_badtmpl
dnswl@relay.test c_dnswl
elsewhere.test c_dnswl
rhswl@relay.test c_rhswl
mx@relay.test c_mx
ns@relay.test c_ns
aonly.smtpd.test c_a
tls@relay.test c_tls
tlsall@relay.test c_tlsall
unverified@relay.test c_unverified
P
printf '%s\n' '127.0.0.66 REJECT bad mail exchanger' 'mx.good.smtpd.test OK' \
    '127.0.0.30 REJECT no MX, bad address' >"$C/mx_access"
printf '%s\n' 'ns.smtpd.test REJECT bad name server' >"$C/ns_access"
printf '%s\n' '127.0.0 REJECT bad address' >"$C/a_access"
printf '%s\n' "tmpl.$L \$rbl_code 5.7.9 Go away \$client_address (\$rbl_class \$rbl_what via \$rbl_domain)\${rbl_reason?: \$rbl_reason}" \
    "badtmpl.$L hello \$rbl_what" >"$C/rbl_reply"
echo "$(tls_fprint "$C/client1.pem") ok" >"$C/relay_ccerts"
echo "$(tls_fprint "$C/client2.pem") REJECT cert2 refused" >"$C/ccert_access"

{
    nsd_soa smtpd.test
    echo 'client IN A 127.0.0.21'
    echo 'listed IN A 127.0.0.25'
    echo 'good IN MX 10 mx.good.smtpd.test.'
    echo 'mx.good IN A 127.0.0.40'
    echo 'badmx IN MX 10 mx.bad.smtpd.test.'
    echo 'mx.bad IN A 127.0.0.66'
    echo 'aonly IN A 127.0.0.30'
    echo 'bad IN A 127.0.0.31'
} >"$T/smtpd.test.zone"
{
    nsd_soa $L
    for z in rbl tmpl badtmpl; do
        echo "2.0.0.127.$z IN A 127.0.0.2"
        echo "2.0.0.127.$z IN TXT \"listed for testing\""
    done
    echo '3.0.0.127.rbl IN A 127.0.0.3'
    echo 'bad.smtpd.test.rhs IN A 127.0.0.2'
    echo 'bad.smtpd.test.rhs IN TXT "bad domain"'
    echo 'listed.smtpd.test.rhs IN A 127.0.0.2'
    echo 'liar.smtpd.test.rhs IN A 127.0.0.2'
    echo '23.0.0.127.wl IN A 127.0.9.2'
    echo '24.0.0.127.wl IN A 127.0.0.255'
    echo 'client.smtpd.test.wl IN A 127.0.0.2'
} >"$T/lists.zone"
{
    nsd_soa 0.0.127.in-addr.arpa
    echo '21 IN PTR client.smtpd.test.'
    echo '25 IN PTR listed.smtpd.test.'
    echo '26 IN PTR liar.smtpd.test.'
} >"$T/reverse.zone"
nsd_start smtpd.test "$T/smtpd.test.zone" $L "$T/lists.zone" \
    0.0.127.in-addr.arpa "$T/reverse.zone"
ok $? "nsd runs in namespace $NSD_NS"

SD_IN=nsd_exec
$SD_IN postfix start >"$T/start.out" 2>&1
inst_wait test -s "$Q/pid/master.pid"
inst_wait sd_banner
ok $? "master and smtpd run inside the namespace"

# rcpt NAME BIND HELO SENDER RCPT REPLY: one transaction, the RCPT reply.
rcpt() {
    sd_dialog "$1" --bind "$2" <<D
S~ 220 .*
C: EHLO $3
M: 250
C: MAIL FROM:<$4>
S: 250 2.1.0 Ok
C: RCPT TO:<$5>
S: $6
C: QUIT
S: 221 2.0.0 Bye
D
}

SU="554 5.7.1 Service unavailable"
rcpt rbl 127.0.0.2 helo.smtpd.test a@relay.test rbl@relay.test \
    "$SU; Client host [127.0.0.2] blocked using rbl.$L; listed for testing"
like "$(sd_log "reject: RCPT from unknown\[127.0.0.2\]")" \
    "NOQUEUE: reject: RCPT from unknown\[127.0.0.2\]: $SU; Client host \[127.0.0.2\] blocked using rbl.$L; listed for testing; from=<a@relay.test> to=<rbl@relay.test> proto=ESMTP helo=<helo.smtpd.test>" \
    "reject_rbl_client: the log line"
rcpt rbl-unlisted 127.0.0.21 helo.smtpd.test a@relay.test rbl@relay.test "250 2.1.5 Ok"
rcpt rbl-filter-miss 127.0.0.2 helo.smtpd.test a@relay.test rblf@relay.test "250 2.1.5 Ok"
rcpt rbl-filter-hit 127.0.0.3 helo.smtpd.test a@relay.test rblf@relay.test \
    "$SU; Client host [127.0.0.3] blocked using rbl.$L=127.0.0.[3..4]"
rcpt rhs-sender 127.0.0.21 helo.smtpd.test a@bad.smtpd.test rhs-sender@relay.test \
    "$SU; Sender address [a@bad.smtpd.test] blocked using rhs.$L; bad domain"
rcpt rhs-sender-unlisted 127.0.0.21 helo.smtpd.test a@good.smtpd.test rhs-sender@relay.test \
    "250 2.1.5 Ok"
rcpt rhs-helo 127.0.0.21 bad.smtpd.test a@relay.test rhs-helo@relay.test \
    "$SU; Helo command [bad.smtpd.test] blocked using rhs.$L; bad domain"
rcpt rhs-rcpt 127.0.0.21 helo.smtpd.test a@relay.test b@bad.smtpd.test \
    "$SU; Recipient address [b@bad.smtpd.test] blocked using rhs.$L; bad domain"
rcpt rhs-client 127.0.0.25 helo.smtpd.test a@relay.test rhs-client@relay.test \
    "$SU; Client host [listed.smtpd.test] blocked using rhs.$L"
rcpt rhs-client-unlisted 127.0.0.21 helo.smtpd.test a@relay.test rhs-client@relay.test \
    "250 2.1.5 Ok"
rcpt rhs-rev 127.0.0.26 helo.smtpd.test a@relay.test rhs-rev@relay.test \
    "$SU; Unverified Client host [liar.smtpd.test] blocked using rhs.$L"
rcpt template 127.0.0.2 helo.smtpd.test a@relay.test tmpl@relay.test \
    "554 5.7.9 Go away 127.0.0.2 (Client host 127.0.0.2 via tmpl.$L): listed for testing"
rcpt bad-template 127.0.0.2 helo.smtpd.test a@relay.test badtmpl@relay.test \
    "451 4.3.5 Server configuration error"
like "$(sd_log "RBL reply template for badtmpl")" \
    "warning: RBL reply template for badtmpl.$L does not start with a 4XX or 5XX code: \"hello 127.0.0.2\"" \
    "a template without a reply code: logged"
rcpt dnswl 127.0.0.23 helo.smtpd.test a@relay.test dnswl@relay.test "250 2.1.5 Ok"
rcpt dnswl-255 127.0.0.24 helo.smtpd.test a@relay.test dnswl@relay.test \
    "554 5.7.1 <dnswl@relay.test>: Recipient address rejected: Access denied"
rcpt dnswl-relay 127.0.0.23 helo.smtpd.test a@relay.test x@elsewhere.test \
    "554 5.7.1 <x@elsewhere.test>: Relay access denied"
rcpt rhswl 127.0.0.21 helo.smtpd.test a@relay.test rhswl@relay.test "250 2.1.5 Ok"
rcpt rhswl-unlisted 127.0.0.25 helo.smtpd.test a@relay.test rhswl@relay.test \
    "554 5.7.1 <rhswl@relay.test>: Recipient address rejected: Access denied"
rcpt mx-bad 127.0.0.21 helo.smtpd.test a@badmx.smtpd.test mx@relay.test \
    "554 5.7.1 <a@badmx.smtpd.test>: Sender address rejected: bad mail exchanger"
rcpt mx-none 127.0.0.21 helo.smtpd.test a@aonly.smtpd.test mx@relay.test \
    "554 5.7.1 <a@aonly.smtpd.test>: Sender address rejected: no MX, bad address"
rcpt mx-ok 127.0.0.21 helo.smtpd.test a@good.smtpd.test mx@relay.test "250 2.1.5 Ok"
like "$(sd_log "action OK is unavailable")" \
    "warning: access table texthash:.*/mx_access: with check_sender_mx_access specified, action OK is unavailable" \
    "OK in an MX access table: logged, treated as DUNNO"
rcpt ns 127.0.0.21 sub.smtpd.test a@relay.test ns@relay.test \
    "554 5.7.1 <sub.smtpd.test>: Helo command rejected: bad name server"
rcpt a 127.0.0.21 helo.smtpd.test a@relay.test b@aonly.smtpd.test \
    "554 5.7.1 <b@aonly.smtpd.test>: Recipient address rejected: bad address"
rcpt unverified 127.0.0.21 helo.smtpd.test a@relay.test unverified@relay.test "250 2.1.5 Ok"
rcpt unverified-next 127.0.0.2 helo.smtpd.test a@relay.test unverified@relay.test \
    "$SU; Client host [127.0.0.2] blocked using rbl.$L; listed for testing"
like "$(sd_log "reject_unverified_recipient")" \
    "warning: restriction reject_unverified_recipient is not implemented in Postern; treated as DUNNO" \
    "reject_unverified_recipient: a warning, then the next restriction"
rcpt plaintext 127.0.0.21 helo.smtpd.test a@relay.test tls@relay.test \
    "450 4.7.1 Session encryption is required"

# TLS sessions with and without a client certificate: the RCPT reply.
tls_rcpt() {
    $SD_IN python3 - "$ADDR" "$PORT" "$1" "$2" "$C" <<'PY'
import socket, ssl, sys
addr, port, rcpt, cert, cdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
s = socket.create_connection((addr, port), timeout=15, source_address=("127.0.0.21", 0))
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline().decode().rstrip("\r\n")
        if len(l) < 4 or l[3] != "-":
            return l
reply()
s.sendall(b"EHLO helo.smtpd.test\r\n"); reply()
s.sendall(b"STARTTLS\r\n"); reply()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if cert != "none":
    ctx.load_cert_chain(cdir + "/" + cert + ".pem", cdir + "/" + cert + ".key")
s = ctx.wrap_socket(s, server_hostname="mail.example.com")
f = s.makefile("rb")
s.sendall(b"EHLO helo.smtpd.test\r\n"); reply()
s.sendall(b"MAIL FROM:<a@relay.test>\r\n"); reply()
s.sendall(("RCPT TO:<%s>\r\n" % rcpt).encode()); print(reply())
s.sendall(b"QUIT\r\n"); reply()
PY
}
is "$(tls_rcpt tls@relay.test client1)" "250 2.1.5 Ok" \
    "permit_tls_clientcerts: a certificate listed in relay_clientcerts"
is "$(tls_rcpt tls@relay.test client2)" \
    "554 5.7.1 <client2.example.org>: Client certificate rejected: cert2 refused" \
    "check_ccert_access: the fingerprint's REJECT"
is "$(tls_rcpt tls@relay.test none)" \
    "554 5.7.1 <tls@relay.test>: Recipient address rejected: Access denied" \
    "TLS without a client certificate: the next restriction"
is "$(tls_rcpt tlsall@relay.test client1)" "250 2.1.5 Ok" \
    "permit_tls_all_clientcerts: a certificate that chains to smtpd_tls_CAfile"
is "$(tls_rcpt tlsall@relay.test client2)" \
    "554 5.7.1 <tlsall@relay.test>: Recipient address rejected: Access denied" \
    "permit_tls_all_clientcerts: an untrusted certificate is not enough"
! grep -q "unknown smtpd restriction" "$LOG"
ok $? "every restriction is known"

sd_finish
done_testing
