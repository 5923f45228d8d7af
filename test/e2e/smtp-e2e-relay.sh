#!/bin/bash
# The whole mail system (smtpd -> cleanup -> qmgr -> smtp) in a network
# namespace with its own nsd, part two: a burst of 20 messages to one
# destination travels over fewer connections than messages (the smtp
# workers reuse their sessions), and, after a restart with
# relayhost = [relay.test]:587, smtp_tls_security_level = encrypt and
# smtp_sasl_auth_enable with a postmap-built password map, a message for a
# domain that has no DNS at all reaches the relay after STARTTLS and AUTH
# PLAIN, with the TLS line in the log.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
. "$POSTERN_SRC/test/data/smtp/e2e-lib.sh"
nsd_available || { echo "1..0 # SKIP needs root, ip, nsd and python3"; exit 0; }
command -v openssl >/dev/null || { echo "1..0 # SKIP needs openssl"; exit 0; }
[ -x "$POSTERN_INST/libexec/postern/smtp" ] || { echo "1..0 # SKIP smtp is not installed"; exit 0; }

e2e_setup
ok $? "instance with the whole master.cf and test user $EU"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=relay.test \
    -addext subjectAltName=DNS:relay.test -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
ok $? "a self-signed certificate for relay.test"
printf '[relay.test]:587 relayuser:s3cret\n' >"$T/sasl_passwd"
postmap "hash:$T/sasl_passwd"
ok $? "postmap builds the SASL password map"

e2e_zone >"$T/test.zone" <<'EOF'
burst IN MX 10 mx.burst.test.
mx.burst IN A 127.0.0.35
relay IN A 127.0.0.43
EOF
nsd_start test "$T/test.zone"
ok $? "nsd serves the zone test in namespace $NSD_NS"
check "sink mx.burst.test (127.0.0.35) runs" sink_start burst 127.0.0.35:25
check "relay sink (STARTTLS, AUTH PLAIN required) runs" sink_start relay \
    --tls "$T/cert.pem" "$T/key.pem" --auth relayuser:s3cret 127.0.0.43:587
check "master runs the whole mail system inside the namespace" e2e_start

# 6. A burst of 20 messages to one destination.
e2e_smtp alice@example.org r@burst.test "burst" 20 >"$T/burst.ids"
is "$(grep -cE '^[0-9A-F]{6,}$' "$T/burst.ids")" "20" "smtpd accepts 20 messages in one session"
check "the server gets all 20" inst_wait bash -c "[ \$(ls '$T/sink-burst' | grep -c msg-) -eq 20 ]"
n=$(grep -c . "$T/burst.ids")
sent=0
while read -r id; do
    grep -qE "$id: to=<r@burst.test>, relay=mx.burst.test\[127.0.0.35\]:25, .*status=sent" "$LOG" &&
        sent=$((sent + 1))
done <"$T/burst.ids"
is "$sent" "$n" "a status=sent line for every message"
c=$(sink_conns burst)
[ "$c" -ge 1 ] && [ "$c" -lt 20 ]
ok $? "fewer connections than messages: $c for 20 (connection reuse)"
check "the queue is empty" inst_wait e2e_queue_empty
check "master stops" e2e_stop

# 7. relayhost with STARTTLS (encrypt) and AUTH PLAIN.
inst_param relayhost '[relay.test]:587'
inst_param smtp_tls_security_level encrypt
inst_param smtp_tls_loglevel 1
inst_param smtp_sasl_auth_enable yes
inst_param smtp_sasl_password_maps "hash:$T/sasl_passwd"
inst_param smtp_sasl_security_options noanonymous
check "master restarts with the relayhost" e2e_start
id=$(e2e_smtp alice@example.org someone@faraway.test "via the relay")
like "$id" '^[0-9A-F]{6,}$' "smtpd accepts mail for someone@faraway.test (no DNS at all)"
check "the relay gets the message" inst_wait test -e "$T/sink-relay/msg-1"
m=$(sink_msg relay 1)
like "$m" '^tls=1$' "inside TLS"
like "$m" '^mail=<alice@example.org>( |$)' "the relay gets the sender"
like "$m" '^rcpt=<someone@faraway.test>' "and the recipient"
is "$(grep -E '^(tls|auth) ' "$T/sink-relay/connections" | tr '\n' ' ')" "tls 127.0.0.43:587 auth relayuser " \
    "STARTTLS first, then AUTH PLAIN as relayuser"
check "the TLS line" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: (Untrusted|Anonymous|Trusted|Verified) TLS connection established to relay.test\[127.0.0.43\]:587: TLSv1\.[23] with cipher "
check "status=sent through relay.test:587" inst_log_wait \
    "postfix/smtp\[[0-9]+\]: $id: to=<someone@faraway.test>, relay=relay.test\[127.0.0.43\]:587, delay=$D_RE, delays=$D_RE/$D_RE/$D_RE/$D_RE, dsn=2.0.0, status=sent \(250 2.0.0 Ok: queued as SINK1\)$"
check "removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"

check "master stops" e2e_stop
! grep -E "panic|fatal|warning|AddressSanitizer|runtime error|exit status|killed by signal" "$LOG"
ok $? "no panic, fatal error, warning, crash or sanitizer report in the log"
done_testing
