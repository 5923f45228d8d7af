# test/data/smtpd/tls-lib.sh - certificates and SASL users for the smtpd
# TLS/AUTH tests, the tutorials' way. Source it after smtpd-lib.sh (or
# instance.sh) and inst_setup/sd_setup.
#
#   tls_cert NAME CN     a self-signed RSA certificate made with openssl:
#                        $C/NAME.pem and $C/NAME.key
#   tls_fprint FILE      the SHA-256 fingerprint of a PEM certificate
#   tls_peer_fprint [s_client args...]  the fingerprint of the certificate
#                        the server shows to `openssl s_client ARGS`
#   sasl_sasldb USER PASS [PATH]  a Cyrus sasldb with USER@example.com made
#                        by `saslpasswd2 -c -u example.com USER`, in the
#                        chroot ($Q/etc/sasldb2, readable by postfix), and
#                        $C/sasl/smtpd.conf (pwcheck_method: auxprop,
#                        auxprop_plugin: sasldb, mech_list: PLAIN LOGIN
#                        CRAM-MD5 DIGEST-MD5, sasldb_path: PATH, default
#                        /etc/sasldb2 as a chrooted smtpd sees it)
#   swaks_run ARGS...    swaks against $ADDR:${SPORT:-$PORT}; transcript
#                        in $out, status in $rc
#   tls_dialog NAME PORT [smtp_tls.py args...] < DIALOG
#                        runs the dialog (stdin, kept as $T/NAME.dialog)
#                        with test/tools/smtp_tls.py against $ADDR:PORT;
#                        transcript in $T/NAME.out, errors in $T/NAME.err
#                        (1 check: the dialog went as written)

TLS="python3 $POSTERN_SRC/test/tools/smtp_tls.py"

tls_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=$2" \
        -keyout "$C/$1.key" -out "$C/$1.pem" >/dev/null 2>&1
}

tls_fprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'
}

tls_peer_fprint() {
    timeout 10 openssl s_client "$@" </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=//'
}

sasl_sasldb() {
    mkdir -p "$Q/etc" "$C/sasl"
    printf '%s' "$2" | saslpasswd2 -p -f "$Q/etc/sasldb2" -c -u example.com "$1"
    chgrp postfix "$Q/etc/sasldb2"
    chmod 640 "$Q/etc/sasldb2"
    cat >"$C/sasl/smtpd.conf" <<EOF2
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN CRAM-MD5 DIGEST-MD5
sasldb_path: ${3:-/etc/sasldb2}
EOF2
}

swaks_run() {
    out=$(timeout 30 swaks --server "$ADDR" --port "${SPORT:-$PORT}" --helo client.example.org \
        --timeout 20 "$@" 2>&1)
    rc=$?
}

tls_dialog() {
    local name=$1 port=$2
    shift 2
    cat >"$T/$name.dialog"
    $TLS "$@" "$ADDR" "$port" "$T/$name.dialog" >"$T/$name.out" 2>"$T/$name.err"
    ok $? "dialog: $name $(head -c 300 "$T/$name.err")"
}
