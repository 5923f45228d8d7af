#!/bin/bash
# smtpd with SASL AUTH (Cyrus libsasl2, a sasldb made with saslpasswd2 the
# tutorial's way, smtpd chrooted): AUTH in EHLO, swaks --auth PLAIN, LOGIN
# and CRAM-MD5 relaying to an outside domain, no relaying without AUTH or
# with a wrong password (554 5.7.1) and the fail2ban warning, initial
# responses, 334 continuations, "*" cancel, the client= log line with
# sasl_method/sasl_username, the sasl_* queue file attributes,
# smtpd_sasl_authenticated_header, broken_sasl_auth_clients,
# smtpd_tls_auth_only, smtpd_sender_login_maps with the three
# reject_*sender_login_mismatch restrictions, and the slow-down and
# disconnect after repeated failures.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/auth-lib.sh"
auth_require swaks saslpasswd2

auth_setup "smtpd_sasl_authenticated_header = yes"
check "saslpasswd2 made the sasldb" test -s "$Q/etc/sasldb2"
P_BROKEN=$(inst_port) P_TLSONLY=$(inst_port) P_SLM=$(inst_port) P_ASLM=$(inst_port)
P_USLM=$(inst_port) P_SLOW=$(inst_port)
inst_service "$ADDR:$P_BROKEN inet n - y - - smtpd -o broken_sasl_auth_clients=yes"
inst_service "$ADDR:$P_TLSONLY inet n - y - - smtpd -o smtpd_tls_auth_only=yes"
inst_service "$ADDR:$P_SLM inet n - y - - smtpd -o smtpd_sender_restrictions=reject_sender_login_mismatch"
inst_service "$ADDR:$P_ASLM inet n - y - - smtpd -o smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch"
inst_service "$ADDR:$P_USLM inet n - y - - smtpd -o smtpd_sender_restrictions=reject_unauthenticated_sender_login_mismatch"
inst_service "$ADDR:$P_SLOW inet n - y - - smtpd -o smtpd_error_sleep_time=1 -o smtpd_soft_error_limit=1 -o smtpd_hard_error_limit=3"
P_SECOPT=$(inst_port) P_CPATH=$(inst_port)
inst_service "$ADDR:$P_SECOPT inet n - y - - smtpd -o smtpd_sasl_security_options=noanonymous,noplaintext -o smtpd_sasl_tls_security_options=noanonymous"
# smtpd_sasl_path names the application: smtpd.conf found in cyrus_sasl_config_path.
mkdir -p "$T/cyrus-other"
sed 's/^mech_list:.*/mech_list: PLAIN/' "$C/sasl/smtpd.conf" >"$T/cyrus-other/smtpd.conf"
inst_service "$ADDR:$P_CPATH inet n - y - - smtpd -o cyrus_sasl_config_path=$T/cyrus-other"
auth_start

BAD=$(b64 '\0smtp@example.com\0wrong')
LONG=$(head -c 30000 /dev/zero | base64 -w0)     # 40000 characters, over the 12288 limit

# --- EHLO, AUTH exchanges ------------------------------------------------------
cat >"$T/x.dialog" <<D
S: 220 mail.example.com ESMTP Postfix
C: AUTH PLAIN $GOOD
S: 503 5.5.1 Error: send HELO/EHLO first
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ETRN
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: MAIL FROM:<smtp@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 554 5.7.1 <bob@outside.test>: Relay access denied
C: RSET
S: 250 2.0.0 Ok
C: AUTH PLAIN $BAD
S: 535 5.7.8 Error: authentication failed: authentication failure
C: MAIL FROM:<smtp@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 554 5.7.1 <bob@outside.test>: Relay access denied
C: RSET
S: 250 2.0.0 Ok
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: *
S: 501 5.7.0 Authentication aborted
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: $LONG
S: 500 5.5.6 Authentication exchange line is too long
C: NOOP
S: 250 2.0.0 Ok
C: AUTH
S: 501 5.5.4 Syntax: AUTH mechanism
C: AUTH NOSUCH
S: 504 5.5.4 Unsupported authentication mechanism
C: AUTH PLAIN
S: 334 
C: $GOOD
S: 235 2.7.0 Authentication successful
C: AUTH PLAIN $GOOD
S: 503 5.5.1 Error: already authenticated
C: MAIL FROM:<smtp@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
tls_dialog exchange "$PORT" <"$T/x.dialog"
sd_log "NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 554 5\.7\.1 <bob@outside\.test>: Relay access denied; from=<smtp@example\.com> to=<bob@outside\.test> proto=ESMTP helo=<client\.example\.org>" >/dev/null
ok $? "relay refusal logged"
sd_log "warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: authentication failure, sasl_username=smtp@example\.com" >/dev/null
ok $? "the failed login is logged with the warning fail2ban matches"

# --- swaks: PLAIN, LOGIN, CRAM-MD5 relay to an outside domain -------------------
for mech in PLAIN LOGIN CRAM-MD5; do
    swaks_run --tls --auth "$mech" --auth-user smtp@example.com --auth-password Secret123 \
        --from smtp@example.com --to "bob-$mech@outside.test"
    is "$rc" 0 "swaks --tls --auth $mech relays to an outside domain"
    like "$out" "235 2\.7\.0 Authentication successful" "$mech: 235"
    like "$out" "250 2\.0\.0 Ok: queued as" "$mech: queued"
    id=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' <<<"$out" | tail -1)
    sd_log "$id: client=unknown\[127\.0\.0\.1\], sasl_method=$mech, sasl_username=smtp@example\.com" >/dev/null
    ok $? "$mech: the client= line names the method and the user"
done
f=$(cd "$Q" && ls incoming/"$id" active/"$id" 2>/dev/null | head -1)
inst_postcat "$Q/$f" >"$T/pc.out" 2>&1
like "$(cat "$T/pc.out")" "named_attribute: sasl_method=CRAM-MD5" "queue file: sasl_method attribute"
like "$(cat "$T/pc.out")" "named_attribute: sasl_username=smtp@example\.com" "queue file: sasl_username attribute"
like "$(cat "$T/pc.out")" "\(Authenticated sender: smtp@example\.com\)" "smtpd_sasl_authenticated_header: Received: names the user"
like "$(cat "$T/pc.out")" "with ESMTPSA id $id" "Received: protocol ESMTPSA"
is "$(grep -c "(using TLS" "$T/pc.out")" 0 "smtpd_tls_received_header = no: no TLS details in Received:"

swaks_run --tls --auth PLAIN --auth-user smtp@example.com --auth-password wrong \
    --from smtp@example.com --to bob@outside.test
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "swaks with a wrong password fails"
like "$out" "535 5\.7\.8 Error: authentication failed" "wrong password: 535 5.7.8"
swaks_run --from smtp@example.com --to bob@outside.test
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "swaks without AUTH cannot relay"
like "$out" "554 5\.7\.1 <bob@outside\.test>: Relay access denied" "without AUTH: 554 5.7.1"
swaks_run --from smtp@example.com --to bob@mail.example.com
is "$rc" 0 "without AUTH, mail for the local domain is still accepted"

# --- broken_sasl_auth_clients ------------------------------------------------------
tls_dialog broken "$P_BROKEN" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: QUIT
S: 221 2.0.0 Bye
D
grep -q "^S: 250-AUTH=PLAIN LOGIN CRAM-MD5 DIGEST-MD5$" "$T/broken.out"
ok $? "broken_sasl_auth_clients = yes: the AUTH= line too"
is "$(grep -c "^S: 250-AUTH=" "$T/exchange.out")" 0 "broken_sasl_auth_clients = no: no AUTH= line"

# --- smtpd_tls_auth_only -------------------------------------------------------------
cat >"$T/x.dialog" <<D
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: AUTH PLAIN $GOOD
S: 538 5.7.11 Encryption required for requested authentication mechanism
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: EHLO client.example.org
M: 250
C: AUTH PLAIN $GOOD
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 2.0.0 Bye
D
tls_dialog tlsonly "$P_TLSONLY" <"$T/x.dialog"
is "$(grep -c '^S: 250-AUTH PLAIN' "$T/tlsonly.out")" 1 \
    "smtpd_tls_auth_only: AUTH offered only after STARTTLS"
is "$(awk '/^S: 220 2.0.0/{exit} /AUTH/' "$T/tlsonly.out" | wc -l)" 0 \
    "smtpd_tls_auth_only: no AUTH keyword before STARTTLS"

# --- security options: noplaintext before TLS, the TLS options after ----------------------
tls_dialog secopt "$P_SECOPT" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: EHLO client.example.org
M: 250
C: QUIT
S: 221 2.0.0 Bye
D
is "$(grep '^S: 250-AUTH' "$T/secopt.out" | tr '\n' '|')" "S: 250-AUTH CRAM-MD5 DIGEST-MD5|S: 250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5|" \
    "smtpd_sasl_security_options noplaintext hides PLAIN/LOGIN; smtpd_sasl_tls_security_options shows them over TLS"
tls_dialog cpath "$P_CPATH" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: QUIT
S: 221 2.0.0 Bye
D
is "$(grep '^S: 250-AUTH' "$T/cpath.out")" "S: 250-AUTH PLAIN" "cyrus_sasl_config_path: its smtpd.conf's mech_list"

# --- smtpd_sender_login_maps ------------------------------------------------------
OWNED="553 5.7.1 <other@example.com>: Sender address rejected: not owned by user smtp@example.com"
NOTIN="553 5.7.1 <smtp@example.com>: Sender address rejected: not logged in"
login_dialog slm-own "$P_SLM" yes smtp@example.com "250 2.1.5 Ok"
login_dialog slm-other "$P_SLM" yes other@example.com "$OWNED"
login_dialog slm-unowned "$P_SLM" yes nobody@elsewhere.test "553 5.7.1 <nobody@elsewhere.test>: Sender address rejected: not owned by user smtp@example.com"
login_dialog slm-unauth "$P_SLM" no smtp@example.com "$NOTIN"
login_dialog slm-unauth-free "$P_SLM" no free@elsewhere.test "250 2.1.5 Ok"
login_dialog aslm-other "$P_ASLM" yes other@example.com "$OWNED"
login_dialog aslm-unauth "$P_ASLM" no smtp@example.com "250 2.1.5 Ok"
login_dialog uslm-unauth "$P_USLM" no smtp@example.com "$NOTIN"
login_dialog uslm-auth "$P_USLM" yes other@example.com "250 2.1.5 Ok"

# --- repeated failures: slowed down, then disconnected ------------------------------
cat >"$T/x.dialog" <<D
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: AUTH PLAIN $BAD
S: 535 5.7.8 Error: authentication failed: authentication failure
C: AUTH PLAIN $BAD
S: 535 5.7.8 Error: authentication failed: authentication failure
C: AUTH PLAIN $BAD
S: 535 5.7.8 Error: authentication failed: authentication failure
S: 421 4.7.0 mail.example.com Error: too many errors
EOF
D
start=$(date +%s%N)
tls_dialog slow "$P_SLOW" <"$T/x.dialog"
ms=$((($(date +%s%N) - start) / 1000000))
ok "$([ "$ms" -ge 2500 ] && echo 0 || echo 1)" "three failures took ${ms} ms: each one slowed down by smtpd_error_sleep_time"
sd_log "too many errors after AUTH from unknown\[127\.0\.0\.1\]" >/dev/null
ok $? "disconnected after smtpd_hard_error_limit failures"

inst_stop
done_testing
