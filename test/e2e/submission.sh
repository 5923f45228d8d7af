#!/bin/bash
# The tutorials' submission setup, verbatim: main.cf with a certificate
# made by openssl and Cyrus SASL (smtpd.conf, sasldb user made with
# saslpasswd2 -c -u example.com), and master.cf's submission and smtps
# entries copied as the tutorials write them (on test ports). Real clients:
# openssl s_client sees the certificate on both (STARTTLS and wrapper mode),
# Python's smtplib and swaks log in and relay; without TLS nothing is
# accepted (530), without AUTH or with a wrong password relaying is refused
# (554 5.7.1); `postfix reload` with a renewed certificate serves it to the
# next session.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
if ! command -v swaks >/dev/null || ! command -v saslpasswd2 >/dev/null; then
    skip "swaks or saslpasswd2 missing"
    done_testing
    exit
fi

sd_setup "smtpd_tls_cert_file = \$config_directory/server.pem" \
    "smtpd_tls_key_file = \$config_directory/server.key" \
    "smtpd_tls_security_level = may" \
    "smtpd_tls_loglevel = 1" \
    "smtpd_sasl_type = cyrus" \
    "smtpd_sasl_path = smtpd" \
    "smtpd_sasl_security_options = noanonymous" \
    "smtpd_sasl_local_domain = example.com" \
    "mynetworks = 192.0.2.0/24"
tls_cert server mail.example.com
# submission/smtps below run unchrooted: the sasldb by its real path.
sasl_sasldb smtp Secret123 "$Q/etc/sasldb2"
P587=$(inst_port) P465=$(inst_port)
cat >>"$C/master.cf" <<EOF
$ADDR:$P587 inet n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
$ADDR:$P465     inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
EOF
sd_start
ok $? "master and smtpd run"

# --- the certificate on 587 (STARTTLS) and 465 (wrapper mode) -------------------------
want=$(tls_fprint "$C/server.pem")
is "$(tls_peer_fprint -connect "$ADDR:$P587" -starttls smtp)" "$want" \
    "openssl s_client -starttls smtp on submission sees the certificate"
is "$(tls_peer_fprint -connect "$ADDR:$P465")" "$want" \
    "openssl s_client on smtps (wrapper mode) sees the certificate"
sd_log "postfix/smtps.*Anonymous TLS connection established from unknown\[127\.0\.0\.1\]" >/dev/null
ok $? "smtps: the TLS summary under syslog_name postfix/smtps"

# --- Python smtplib: STARTTLS + login on 587, SMTP_SSL on 465 ----------------------
python3 - "$ADDR" "$P587" "$P465" >"$T/py.out" 2>&1 <<'PY'
import smtplib, ssl, sys
host, p587, p465 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = "From: smtp@example.com\r\nTo: bob@outside.test\r\nSubject: %s\r\n\r\nhello\r\n"
s = smtplib.SMTP(host, p587, timeout=15)
s.ehlo("client.example.org")
print("587 before STARTTLS: auth offered:", s.has_extn("auth"))
s.starttls(context=ctx)
s.ehlo("client.example.org")
print("587 after STARTTLS: auth:", s.esmtp_features.get("auth", "").strip())
s.login("smtp", "Secret123")
print("587 refused:", s.sendmail("smtp@example.com", ["bob@outside.test"], msg % "via 587"))
s.quit()
s = smtplib.SMTP_SSL(host, p465, timeout=15, context=ctx)
s.ehlo("client.example.org")
s.login("smtp@example.com", "Secret123")
print("465 refused:", s.sendmail("smtp@example.com", ["bob@outside.test"], msg % "via 465"))
s.quit()
PY
is "$?" 0 "Python smtplib sends through submission and smtps $(tail -1 "$T/py.out")"
like "$(cat "$T/py.out")" "587 before STARTTLS: auth offered: False" "submission: no AUTH before STARTTLS (encrypt)"
like "$(cat "$T/py.out")" "587 after STARTTLS: auth: PLAIN LOGIN CRAM-MD5 DIGEST-MD5" "submission: AUTH after STARTTLS"
like "$(cat "$T/py.out")" "587 refused: \{\}" "submission: smtplib's message accepted"
like "$(cat "$T/py.out")" "465 refused: \{\}" "smtps: smtplib's message accepted"
sd_log "postfix/submission/smtpd\[[0-9]+\]: [0-9A-F]+: client=unknown\[127\.0\.0\.1\], sasl_method=[A-Z0-9-]+, sasl_username=smtp@example\.com" >/dev/null
ok $? "submission: smtpd_sasl_local_domain makes smtp into smtp@example.com"

# --- swaks ------------------------------------------------------------------------
SPORT=$P587 swaks_run --tls --auth PLAIN --auth-user smtp@example.com --auth-password Secret123 \
    --from smtp@example.com --to bob@outside.test
is "$rc" 0 "swaks --tls --auth PLAIN on submission relays"
SPORT=$P465 swaks_run --tlsc --auth LOGIN --auth-user smtp@example.com --auth-password Secret123 \
    --from smtp@example.com --to bob@outside.test
is "$rc" 0 "swaks --tlsc --auth LOGIN on smtps relays"
SPORT=$P587 swaks_run --tls --auth CRAM-MD5 --auth-user smtp@example.com --auth-password wrong \
    --from smtp@example.com --to bob@outside.test
like "$out" "535 5\.7\.8 Error: authentication failed" "a wrong password: 535"

# --- no open relay ------------------------------------------------------------------
cat >"$T/plain.dialog" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: MAIL FROM:<smtp@example.com>
S: 530 5.7.0 Must issue a STARTTLS command first
C: AUTH PLAIN AHNtdHBAZXhhbXBsZS5jb20AU2VjcmV0MTIz
S: 530 5.7.0 Must issue a STARTTLS command first
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: EHLO client.example.org
M: 250
C: MAIL FROM:<smtp@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 554 5.7.1 <bob@outside.test>: Recipient address rejected: Access denied
C: RCPT TO:<bob@mail.example.com>
S: 554 5.7.1 <bob@mail.example.com>: Recipient address rejected: Access denied
C: RSET
S: 250 2.0.0 Ok
C: AUTH PLAIN AHNtdHBAZXhhbXBsZS5jb20Ad3Jvbmc=
S: 535 5.7.8 Error: authentication failed: authentication failure
C: MAIL FROM:<smtp@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 554 5.7.1 <bob@outside.test>: Recipient address rejected: Access denied
C: QUIT
S: 221 2.0.0 Bye
D
$TLS "$ADDR" "$P587" "$T/plain.dialog" >"$T/plain.out" 2>"$T/plain.err"
ok $? "submission: nothing before STARTTLS, no relaying without AUTH or with a wrong password $(head -c 300 "$T/plain.err")"
sd_log "postfix/submission.*NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 554 5\.7\.1 <bob@outside\.test>" >/dev/null
ok $? "submission: the refusal is logged"
SPORT=$P465 swaks_run --tlsc --from smtp@example.com --to bob@outside.test
like "$out" "554 5\.7\.1 <bob@outside\.test>: Recipient address rejected: Access denied" "smtps: no relaying without AUTH"

# --- wrapper mode: a plain-text client gets nothing -----------------------------------------
printf 'EHLO client.example.org\r\nMAIL FROM:<smtp@example.com>\r\n' |
    timeout 10 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=8)
s.sendall(sys.stdin.buffer.read())
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
sys.stdout.write(repr(data))' "$ADDR" "$P465" >"$T/plain465.out" 2>&1
is "$(grep -c "250\|220" "$T/plain465.out")" 0 "smtps: a plain-text client gets no SMTP reply"
sd_log "postfix/smtps.*SSL_accept error from unknown\[127\.0\.0\.1\]" >/dev/null
ok $? "smtps: the failed handshake is logged"

# --- a renewed certificate after postfix reload ----------------------------------------
# A session open across the reload goes on undisturbed.
cat >"$T/long.dialog" <<D
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: EHLO client.example.org
M: 250
WAITFILE: $T/reloaded
C: MAIL FROM:<smtp@example.com>
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
$TLS "$ADDR" "$P587" "$T/long.dialog" >"$T/long.out" 2>"$T/long.err" &
LONG=$!
inst_wait grep -q "^S: 250 CHUNKING" "$T/long.out"
ok $? "a session is open before the reload"
old=$want
tls_cert server mail.example.com
new=$(tls_fprint "$C/server.pem")
[ "$old" != "$new" ]
ok $? "a new certificate was made"
postfix reload >"$T/reload.out" 2>&1
ok $? "postfix reload"
peer_is_new() {
    [ "$(tls_peer_fprint -connect "$ADDR:$P587" -starttls smtp)" = "$new" ] &&
        [ "$(tls_peer_fprint -connect "$ADDR:$P465")" = "$new" ]
}
inst_wait peer_is_new
ok $? "after reload the next sessions on 587 and 465 get the new certificate"
touch "$T/reloaded"
wait "$LONG"
ok $? "the session opened before the reload finished normally $(head -c 200 "$T/long.err")"

inst_stop
done_testing
