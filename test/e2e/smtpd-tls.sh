#!/bin/bash
# smtpd with TLS under master (chrooted, unprivileged): STARTTLS offered in
# EHLO only when available and not yet active, the EHLO state reset after
# it, the certificate openssl s_client sees, swaks --tls, the log summary
# (smtpd_tls_loglevel), the Received: header (smtpd_tls_received_header),
# commands pipelined after STARTTLS discarded (CVE-2011-0411), and
# smtpd_tls_security_level none/encrypt plus the legacy smtpd_use_tls and
# smtpd_enforce_tls on extra services of the same instance.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v swaks >/dev/null || { skip "swaks missing"; done_testing; exit; }

sd_setup "smtpd_tls_security_level = may" \
    "smtpd_tls_cert_file = \$config_directory/server.pem" \
    "smtpd_tls_key_file = \$config_directory/server.key" \
    "smtpd_tls_loglevel = 1" \
    "smtpd_tls_received_header = yes" \
    "smtpd_helo_required = yes" "mynetworks = 127.0.0.0/8"
tls_cert server mail.example.com
P_NONE=$(inst_port) P_ENC=$(inst_port) P_LEG=$(inst_port) P_LEGENF=$(inst_port)
inst_service "$ADDR:$P_NONE inet n - y - - smtpd -o smtpd_tls_security_level=none"
inst_service "$ADDR:$P_ENC inet n - y - - smtpd -o smtpd_tls_security_level=encrypt"
inst_service "$ADDR:$P_LEG inet n - y - - smtpd -o smtpd_tls_security_level= -o smtpd_use_tls=yes"
inst_service "$ADDR:$P_LEGENF inet n - y - - smtpd -o smtpd_tls_security_level= -o smtpd_enforce_tls=yes"
P_DUAL=$(inst_port) P_CHAIN=$(inst_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
    -subj "/CN=mail.example.com" -keyout "$C/ec.key" -out "$C/ec.pem" >/dev/null 2>&1
tls_cert chain mail.example.com
cat "$C/chain.key" "$C/chain.pem" >"$C/chain-all.pem"
inst_service "$ADDR:$P_DUAL inet n - y - - smtpd -o smtpd_tls_eccert_file=$C/ec.pem -o smtpd_tls_eckey_file=$C/ec.key"
inst_service "$ADDR:$P_CHAIN inet n - y - - smtpd -o smtpd_tls_cert_file= -o smtpd_tls_key_file= -o smtpd_tls_chain_files=$C/chain-all.pem"
P_CCERT=$(inst_port)
tls_cert client client.example.org
inst_service "$ADDR:$P_CCERT inet n - y - - smtpd -o smtpd_tls_ask_ccert=yes -o smtpd_tls_CAfile=$C/client.pem"
P_QUIET=$(inst_port)
inst_service "$ADDR:$P_QUIET inet n - y - - smtpd -o syslog_name=postfix/quiet -o smtpd_tls_loglevel=0"
sd_start
ok $? "master and smtpd run"

tls_dialog starttls "$PORT" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ETRN
S: 250-STARTTLS
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: STARTTLS
S: 503 5.5.1 Error: MAIL transaction in progress
C: RSET
S: 250 2.0.0 Ok
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: MAIL FROM:<alice@example.com>
S: 503 5.5.1 Error: send HELO/EHLO first
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: STARTTLS
S: 554 5.5.1 Error: TLS already active
C: QUIT
S: 221 2.0.0 Bye
D
sd_log "Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.[23] with cipher " >/dev/null
ok $? "smtpd_tls_loglevel = 1: the TLS summary line is logged"

# The certificate openssl s_client sees after STARTTLS is ours.
want=$(tls_fprint "$C/server.pem")
got=$(tls_peer_fprint -connect "$ADDR:$PORT" -starttls smtp)
is "$got" "$want" "openssl s_client -starttls smtp sees the configured certificate"

# RSA and ECDSA side by side: the client's signature algorithms pick one.
is "$(tls_peer_fprint -connect "$ADDR:$P_DUAL" -starttls smtp -sigalgs ecdsa_secp256r1_sha256)" \
    "$(tls_fprint "$C/ec.pem")" "RSA + ECDSA: an ECDSA-only client gets the ECDSA certificate"
is "$(tls_peer_fprint -connect "$ADDR:$P_DUAL" -starttls smtp -sigalgs rsa_pss_rsae_sha256)" \
    "$want" "RSA + ECDSA: an RSA-only client gets the RSA certificate"
is "$(tls_peer_fprint -connect "$ADDR:$P_CHAIN" -starttls smtp)" "$(tls_fprint "$C/chain.pem")" \
    "smtpd_tls_chain_files: key and certificate from one file"

# --- a message through swaks --tls: Received: with the TLS details ---------------
swaks_run --tls --from alice@example.com --to bob@mail.example.com
is "$rc" 0 "swaks --tls delivers into the queue"
like "$out" "250 2\.0\.0 Ok: queued as" "swaks: queued"
id=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' <<<"$out" | tail -1)
f=$(cd "$Q" && ls incoming/"$id" hold/"$id" active/"$id" 2>/dev/null | head -1)
inst_postcat "$Q/$f" >"$T/pc.out" 2>&1
like "$(cat "$T/pc.out")" "Received: from client\.example\.org \(unknown \[127\.0\.0\.1\]\)" "Received: header present"
like_flat "$(cat "$T/pc.out")" "\(using TLSv1\.[23] with cipher [A-Z0-9_-]+ \([0-9]+/[0-9]+ bits\)" "Received: says which TLS protocol and cipher"
like "$(cat "$T/pc.out")" "No client certificate requested" "Received: no client certificate"
like "$(cat "$T/pc.out")" "with ESMTPS id $id" "Received: protocol ESMTPS"

# --- a client certificate (smtpd_tls_ask_ccert, smtpd_tls_CAfile) -----------------------
SPORT=$P_CCERT swaks_run --tls --tls-cert "$C/client.pem" --tls-key "$C/client.key" \
    --from alice@example.com --to bob@mail.example.com
is "$rc" 0 "swaks --tls with a client certificate"
sd_log "Trusted TLS connection established from unknown\[127\.0\.0\.1\]" >/dev/null
ok $? "a client certificate from smtpd_tls_CAfile: a Trusted TLS connection"
id=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' <<<"$out" | tail -1)
f=$(cd "$Q" && ls incoming/"$id" hold/"$id" active/"$id" 2>/dev/null | head -1)
inst_postcat "$Q/$f" >"$T/pc2.out" 2>&1
like "$(cat "$T/pc2.out")" '\(Client CN "client\.example\.org", Issuer "client\.example\.org" \(verified OK\)\)' \
    "Received: names the verified client certificate"

# --- STARTTLS injection: pipelined commands are discarded ---------------------
tls_dialog inject "$PORT" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
R: STARTTLS\r\nMAIL FROM:<injected@example.com>\r\nRCPT TO:<bob@mail.example.com>\r\n
S: 220 2.0.0 Ready to start TLS
TLS
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
sd_log "improper command pipelining after STARTTLS from unknown\[127\.0\.0\.1\]: MAIL FROM:<injected@example.com>" >/dev/null
ok $? "the discarded bytes are logged"
is "$(grep "injected@example.com" "$LOG" | grep -vc "improper command pipelining")" 0 \
    "the injected MAIL was never executed (no other log line names its sender)"

# --- smtpd_tls_security_level = none: no STARTTLS ------------------------------
tls_dialog none "$P_NONE" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: STARTTLS
S: 502 5.5.1 Error: command not implemented
C: QUIT
S: 221 2.0.0 Bye
D

# --- encrypt: nothing before STARTTLS -------------------------------------------
enc_dialog() {
    tls_dialog "$1" "$2" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 530 5.7.0 Must issue a STARTTLS command first
C: VRFY bob
S: 530 5.7.0 Must issue a STARTTLS command first
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
}
enc_dialog encrypt "$P_ENC"
enc_dialog legacy-enforce "$P_LEGENF"
grep -q "^S: 250-STARTTLS" "$T/encrypt.out"
ok $? "encrypt: STARTTLS offered"

# --- smtpd_tls_loglevel = 0: no summary line -------------------------------------------
tls_dialog quiet "$P_QUIET" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: QUIT
S: 221 2.0.0 Bye
D
sd_log "postfix/quiet.*disconnect from unknown\[127\.0\.0\.1\] ehlo=1 starttls=1 quit=1" >/dev/null
ok $? "loglevel 0: the session is logged (starttls=1 in the summary)"
is "$(grep -c "postfix/quiet.*TLS connection established" "$LOG")" 0 "loglevel 0: no TLS summary line"

# --- legacy smtpd_use_tls = yes: may --------------------------------------------
tls_dialog legacy-use "$P_LEG" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RSET
S: 250 2.0.0 Ok
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
TLS
C: QUIT
S: 221 2.0.0 Bye
D
grep -q "^S: 250-STARTTLS" "$T/legacy-use.out"
ok $? "smtpd_use_tls = yes: STARTTLS offered"

inst_stop
done_testing
