# test/data/smtpd/auth-lib.sh - what the smtpd SASL tests (smtpd-auth.sh,
# smtpd-auth-extra.sh) share. Source it after test/lib.sh, smtpd-lib.sh and
# tls-lib.sh.
#
#   auth_require CMD...  skips the test unless it runs as root and CMD...
#                        are installed
#   auth_setup [main.cf lines...]  sd_setup with STARTTLS (may; the
#                        certificate server.pem for mail.example.com) and
#                        Cyrus SASL (smtpd.conf and a sasldb holding
#                        smtp@example.com, password Secret123), mynetworks
#                        192.0.2.0/24, relaying for SASL clients only,
#                        smtpd_sender_login_maps with smtp@example.com
#                        owning itself and someone@example.com owning
#                        other@example.com; the lines are added after
#   auth_start           sd_start (1 check)
#   b64 FORMAT           printf FORMAT | base64, one line
#   GOOD                 the AUTH PLAIN response for smtp@example.com
#   login_dialog NAME PORT yes|no FROM WANT
#                        EHLO, AUTH PLAIN $GOOD when yes, MAIL FROM:<FROM>,
#                        RCPT TO:<bob@mail.example.com> answered WANT, QUIT
#                        (1 check, tls_dialog)

auth_require() {
    local c
    [ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
    for c in "$@"; do
        if ! command -v "$c" >/dev/null; then
            skip "$* missing"
            done_testing
            exit
        fi
    done
}

b64() { printf "$1" | base64 -w0; }

auth_setup() {
    sd_setup "smtpd_tls_security_level = may" \
        "smtpd_tls_cert_file = \$config_directory/server.pem" \
        "smtpd_tls_key_file = \$config_directory/server.key" \
        "smtpd_sasl_auth_enable = yes" \
        "smtpd_sasl_type = cyrus" \
        "smtpd_sasl_path = smtpd" \
        "smtpd_sasl_security_options = noanonymous" \
        "mynetworks = 192.0.2.0/24" \
        "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" \
        "smtpd_sender_login_maps = inline:{{smtp@example.com=smtp@example.com}, {other@example.com=someone@example.com}}" \
        "$@"
    tls_cert server mail.example.com
    sasl_sasldb smtp Secret123
    GOOD=$(b64 '\0smtp@example.com\0Secret123')
}

auth_start() {
    sd_start
    ok $? "master and smtpd run"
}

login_dialog() {
    local name=$1 port=$2 auth=$3 from=$4 want=$5
    {
        echo "S: 220 mail.example.com ESMTP Postfix"
        echo "C: EHLO client.example.org"
        echo "M: 250"
        if [ "$auth" = yes ]; then
            echo "C: AUTH PLAIN $GOOD"
            echo "S: 235 2.7.0 Authentication successful"
        fi
        echo "C: MAIL FROM:<$from>"
        echo "S: 250 2.1.0 Ok"
        echo "C: RCPT TO:<bob@mail.example.com>"
        echo "S: $want"
        echo "C: QUIT"
        echo "S: 221 2.0.0 Bye"
    } >"$T/login.dialog"
    tls_dialog "$name" "$port" <"$T/login.dialog"
}
