#!/bin/bash
# The smtp client's STARTTLS and SASL AUTH against capturing servers
# (test/tools/smtp_sink.py) in a network namespace with its own nsd:
# smtp_tls_security_level = may with a self-signed server ("Untrusted TLS
# connection established to ..."), verify (via smtp_tls_policy_maps) refuses
# that certificate and defers, encrypt defers when STARTTLS is not offered;
# AUTH PLAIN to a relay [host]:587 that requires it, through the relay
# service, the password from a postmap-built smtp_sasl_password_maps keyed by
# [host]:port (or the host name), port 465 with smtp_tls_wrappermode, and
# never a password over a plaintext session under the
# default smtp_sasl_security_options (noplaintext).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
smtp_setup openssl
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mxt.smtp.test \
    -addext subjectAltName=DNS:mxt.smtp.test,DNS:relay.smtp.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
ok $? "a self-signed certificate for mxt.smtp.test"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Postern Test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
    -keyout "$T/ca.key" -out "$T/ca.pem" >/dev/null 2>&1 &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=mxv.smtp.test -keyout "$T/v.key" \
        -out "$T/v.csr" >/dev/null 2>&1 &&
    printf 'subjectAltName=DNS:mxv.smtp.test\n' >"$T/v.ext" &&
    openssl x509 -req -in "$T/v.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
        -days 2 -extfile "$T/v.ext" -out "$T/v.pem" >/dev/null 2>&1
ok $? "a test CA and a certificate it signed for mxv.smtp.test"
printf '[relay.smtp.test]:587 relayuser:s3cret\n[plainrelay.smtp.test]:587 relayuser:s3cret\nsmtps.smtp.test relayuser:s3cret\ncarol@example.com carol:wrong\n' >"$T/sasl_passwd"
postmap -c "$C" "hash:$T/sasl_passwd"
ok $? "postmap builds the password map"
inst_param smtp_tls_security_level may
inst_param smtp_tls_loglevel 1
inst_param smtp_tls_CAfile "$T/ca.pem"
inst_param smtp_tls_servername hostname
FP=$(openssl x509 -in "$T/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
inst_param smtp_tls_policy_maps "inline:{ vrfy.smtp.test=verify, plain.smtp.test=encrypt, vok.smtp.test=verify, sec.smtp.test=secure, { secm.smtp.test = secure match=mxv.smtp.test }, { fp.smtp.test = fingerprint match=$FP }, { fpbad.smtp.test = fingerprint match=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF } }"
inst_param smtp_sasl_auth_enable yes
inst_param smtp_sasl_password_maps "hash:$T/sasl_passwd"
inst_param smtp_sasl_tls_security_options noanonymous
inst_service "smtp      unix  -       -       y       -       -       smtp"
inst_service "smtps     unix  -       -       y       -       -       smtp
    -o smtp_tls_wrappermode=yes -o smtp_tls_security_level=encrypt"
inst_service "sdauth    unix  -       -       y       -       -       smtp
    -o smtp_sender_dependent_authentication=yes"
inst_service "relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/\$service_name"

{
    nsd_soa smtp.test
    echo 'tls IN MX 10 mxt.smtp.test.'
    echo 'vrfy IN MX 10 mxt.smtp.test.'
    echo 'plain IN MX 10 mxp.smtp.test.'
    echo 'fp IN MX 10 mxt.smtp.test.'
    echo 'fpbad IN MX 10 mxt.smtp.test.'
    echo 'trusted IN MX 10 mxv.smtp.test.'
    echo 'vok IN MX 10 mxv.smtp.test.'
    echo 'sec IN MX 10 mxv.smtp.test.'
    echo 'secm IN MX 10 mxv.smtp.test.'
    echo 'mxv IN A 127.0.0.45'
    echo 'mxt IN A 127.0.0.41'
    echo 'mxp IN A 127.0.0.42'
    echo 'relay IN A 127.0.0.43'
    echo 'plainrelay IN A 127.0.0.44'
    echo 'smtps IN A 127.0.0.46'
} >"$T/smtp.test.zone"
nsd_start smtp.test "$T/smtp.test.zone"
ok $? "nsd runs in namespace $NSD_NS"
check "TLS sink runs" sink_start tls --tls "$T/cert.pem" "$T/key.pem" 127.0.0.41:25
check "plain sink runs" sink_start plain 127.0.0.42:25
check "sink with the CA-signed certificate runs" sink_start v --tls "$T/v.pem" "$T/v.key" 127.0.0.45:25
check "relay sink (STARTTLS, AUTH required) runs" sink_start relay --tls "$T/cert.pem" "$T/key.pem" \
    --auth relayuser:s3cret 127.0.0.43:587
check "port 465 sink (TLS at once, AUTH) runs" sink_start smtps --wrapper --tls "$T/cert.pem" "$T/key.pem" \
    --auth relayuser:s3cret 127.0.0.46:465
check "plaintext relay sink (AUTH, no TLS) runs" sink_start plainrelay --auth relayuser:s3cret 127.0.0.44:587

nsd_exec postfix start >"$T/start.out" 2>&1
inst_wait test -s "$Q/pid/master.pid"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
check "private/smtp and private/relay exist" inst_wait_sock private/relay

MSG="Subject: tls test
From: alice@example.com

hello"

# may: STARTTLS with a certificate nobody vouches for.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@tls.smtp.test)
smtp_send -s private/smtp -n tls.smtp.test "$id"
like "$(smtp_result bob@tls.smtp.test)" "^result=sent dsn=2.0.0 " "may: sent"
check "Untrusted TLS connection established line" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: Untrusted TLS connection established to mxt.smtp.test\[127.0.0.41\]:25: TLSv1.3 with cipher [A-Z0-9_]+ \([0-9]+/[0-9]+ bits\)"
like "$(sink_msg tls 1)" '^tls=1$' "the server saw the message inside TLS"
like "$(cat "$T/sink-tls/connections")" '^tls 127.0.0.41:25$' "STARTTLS was used"

# verify (smtp_tls_policy_maps): the self-signed certificate is refused.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@vrfy.smtp.test)
smtp_send -s private/smtp -n vrfy.smtp.test "$id"
like "$(smtp_result bob@vrfy.smtp.test)" "^result=deferred dsn=4.7.5 reason=.*[Cc]ertificate" \
    "verify: deferred, the certificate is not trusted"
check "the verification failure is logged" inst_log_wait \
    "server certificate verification failed for mxt.smtp.test\[127.0.0.41\]:25"
is "$(ls "$T/sink-tls" | grep -c msg-)" "1" "nothing was sent under verify"

# fingerprint (policy match= with the certificate's SHA-256 digest): the
# self-signed certificate is accepted; a different digest is refused.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@fp.smtp.test)
smtp_send -s private/smtp -n fp.smtp.test "$id"
like "$(smtp_result bob@fp.smtp.test)" "^result=sent " "fingerprint: the pinned self-signed certificate is accepted"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@fpbad.smtp.test)
smtp_send -s private/smtp -n fpbad.smtp.test "$id"
like "$(smtp_result bob@fpbad.smtp.test)" "^result=deferred dsn=4.7.5 " "fingerprint: another digest is refused"
is "$(ls "$T/sink-tls" | grep -c msg-)" "2" "the self-signed server got the may and the fingerprint message only"

# A certificate from smtp_tls_CAfile: Trusted under may, Verified under
# verify (name matches the MX host name), refused under secure (nexthop
# names) unless the policy's match= names the host.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@trusted.smtp.test)
smtp_send -s private/smtp -n trusted.smtp.test "$id"
like "$(smtp_result bob@trusted.smtp.test)" "^result=sent " "may, CA-signed: sent"
check "Trusted TLS connection established line" inst_log_wait \
    "Trusted TLS connection established to mxv.smtp.test\[127.0.0.45\]:25: TLSv1.3 with cipher"
like "$(cat "$T/sink-v/connections")" '^sni 127.0.0.45:25 mxv.smtp.test$' "SNI (smtp_tls_servername = hostname) names the MX host"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@vok.smtp.test)
smtp_send -s private/smtp -n vok.smtp.test "$id"
like "$(smtp_result bob@vok.smtp.test)" "^result=sent " "verify, CA-signed, name matches: sent"
check "Verified TLS connection established line" inst_log_wait \
    "Verified TLS connection established to mxv.smtp.test\[127.0.0.45\]:25: TLSv1.3 with cipher"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@sec.smtp.test)
smtp_send -s private/smtp -n sec.smtp.test "$id"
like "$(smtp_result bob@sec.smtp.test)" "^result=deferred dsn=4.7.5 " "secure: the certificate does not name sec.smtp.test: deferred"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@secm.smtp.test)
smtp_send -s private/smtp -n secm.smtp.test "$id"
like "$(smtp_result bob@secm.smtp.test)" "^result=sent " "secure with match=mxv.smtp.test in the policy: sent"
is "$(ls "$T/sink-v" | grep -c msg-)" "3" "three messages reached mxv, none under the failed secure policy"

# encrypt (policy) against a server without STARTTLS.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@plain.smtp.test)
smtp_send -s private/smtp -n plain.smtp.test "$id"
is "$(smtp_result bob@plain.smtp.test)" \
    "result=deferred dsn=4.7.4 reason=TLS is required, but was not offered by host mxp.smtp.test[127.0.0.42]" \
    "encrypt: deferred when STARTTLS is not offered"
is "$(ls "$T/sink-plain" | grep -c msg-)" "0" "nothing was sent in the clear"
check "the deferral is logged with the server as relay" inst_log_wait \
    "$id: to=<bob@plain.smtp.test>, relay=mxp.smtp.test\[127.0.0.42\]:25, .*dsn=4.7.4, status=deferred \(TLS is required, but was not offered by host mxp.smtp.test\[127.0.0.42\]\)$"

# AUTH PLAIN to the relay, after STARTTLS, through the relay service.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r someone@gmail.example)
smtp_send -s private/relay -n "[relay.smtp.test]:587" "$id"
like "$(smtp_result someone@gmail.example)" "^result=sent dsn=2.0.0 " "relay: sent after AUTH"
like "$(cat "$T/sink-relay/connections")" '^auth relayuser$' "the relay saw AUTH PLAIN as relayuser"
m=$(sink_msg relay 1)
like "$m" '^tls=1$' "the password and the mail went over TLS"
like "$m" '^rcpt=<someone@gmail.example>' "the relay got the recipient"
check "the relay service logs under Debian's syslog_name, as Postfix: postfix/relay/smtp" inst_log_wait \
    "postfix/relay/smtp\[[0-9]+\]: $id: to=<someone@gmail.example>, relay=relay.smtp.test\[127.0.0.43\]:587, .*status=sent"

# smtp_tls_wrappermode (port 465): TLS before the greeting, then AUTH; the
# password found under the server's host name.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r other@gmail.example)
smtp_send -s private/smtps -n "[smtps.smtp.test]:465" "$id"
like "$(smtp_result other@gmail.example)" "^result=sent dsn=2.0.0 " "port 465 with smtp_tls_wrappermode: sent"
like "$(cat "$T/sink-smtps/connections")" '^auth relayuser$' "AUTH with the password keyed by host name"
like "$(sink_msg smtps 1)" '^tls=1$' "all of it inside TLS"

# smtp_sender_dependent_authentication: carol's own entry wins over the
# relay's (the server refuses it); alice, who has none, uses the relay's.
id=$(echo "$MSG" | smtp_queue -f carol@example.com -r someone@gmail.example)
smtp_send -s private/sdauth -n "[relay.smtp.test]:587" "$id"
is "$(smtp_result someone@gmail.example)" \
    "result=deferred dsn=4.7.0 reason=SASL authentication failed; server relay.smtp.test[127.0.0.43] said: 535 5.7.8 Authentication failed" \
    "sender-dependent: carol's credentials are used (and refused)"
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r someone@gmail.example)
smtp_send -s private/sdauth -n "[relay.smtp.test]:587" "$id"
like "$(smtp_result someone@gmail.example)" "^result=sent " "sender-dependent: alice falls back to the relay's entry"

# No password over plaintext (smtp_sasl_security_options = noplaintext).
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r someone@gmail.example)
smtp_send -s private/relay -n "[plainrelay.smtp.test]:587" "$id"
is "$(smtp_result someone@gmail.example)" \
    "result=deferred dsn=4.7.0 reason=SASL authentication failed; cannot authenticate to server plainrelay.smtp.test[127.0.0.44]: no mechanism available" \
    "plaintext relay: deferred, no password sent"
! grep -q "^auth " "$T/sink-plainrelay/connections"
ok $? "the plaintext relay never saw AUTH"

nsd_exec postfix stop >/dev/null 2>&1
inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
MPID=
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
