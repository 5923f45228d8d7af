#!/bin/bash
# sasl.sh - lib/net's SASL server (Cyrus back-end) and client against the
# real Cyrus libsasl2, with a sasldb made by saslpasswd2: mechanisms,
# success and failure per mechanism, Postfix's log lines, security options,
# TLS, malformed and overlong responses, the configuration path, chroot.
. "$POSTERN_SRC/test/lib.sh"
tmpdir

TOOL=$POSTERN_BUILD/test/tools/sasl_tool
DATA=$POSTERN_SRC/test/data/sasl
if ! command -v saslpasswd2 >/dev/null || [ ! -x "$TOOL" ]; then
    skip "saslpasswd2 (sasl2-bin) or sasl_tool missing"
    done_testing
    exit
fi

mkdir -p "$T/etc/sasl"
: >"$T/etc/main.cf"
sed "s|@SASLDB@|$T/sasldb2|" "$DATA/smtpd.conf.in" >"$T/etc/sasl/smtpd.conf"
printf '%s' Secret123 | saslpasswd2 -p -f "$T/sasldb2" -c -u example.com alice
check "saslpasswd2 made the sasldb with alice@example.com" test -s "$T/sasldb2"

# tool ARGS: run sasl_tool on $T/etc; stdout in $out, stderr in $err, status in $rc.
tool() {
    out=$("$TOOL" -c "$T/etc" "$@" 2>"$T/err" </dev/null)
    rc=$?
    err=$(cat "$T/err")
}
# server_tool ARGS: the same with standard input from $input (one line per step).
server_tool() {
    out=$(printf '%s' "$input" | "$TOOL" -c "$T/etc" "$@" 2>"$T/err")
    rc=$?
    err=$(cat "$T/err")
}
b64() { printf "$1" | base64 -w0; }
# The client's default smtp_sasl_security_options (noplaintext) would refuse PLAIN and LOGIN.
CLI="-o smtp_sasl_security_options=noanonymous"

# --- mechanisms -------------------------------------------------------------
tool mechs
is "$out" "PLAIN LOGIN CRAM-MD5 DIGEST-MD5" "mech_list of \$config_directory/sasl/smtpd.conf, noanonymous"
is "$rc" 0 "mechs exits 0"

# --- each mechanism, right and wrong password ---------------------------------
for mech in PLAIN LOGIN CRAM-MD5 DIGEST-MD5; do
    tool $CLI auth $mech alice@example.com Secret123
    is "$rc" 0 "$mech with the right password authenticates"
    like "$out" "^S: 235 2\.7\.0 Authentication successful" "$mech: 235 reply"
    like "$out" "result: user=alice@example.com mech=$mech\$" "$mech: user name and mechanism"
    tool $CLI -a 127.0.0.10 auth $mech alice@example.com wrong-password
    is "$rc" 1 "$mech with a wrong password fails"
    like "$out" "S: 535 5\.7\.8 Error: authentication failed: authentication failure" "$mech: 535 reply"
    like "$err" "warning: unknown\[127\.0\.0\.10\]: SASL $mech authentication failed: authentication failure, sasl_username=alice@example.com" \
        "$mech: the failure is logged as Postfix does"
done

# The exact lines Postfix 3.7 logged for a wrong PLAIN password (test/data/sasl/maillog).
tool $CLI -a 127.0.0.10 auth PLAIN alice@example.com wrong-password
want=$(sed -n '1,2s/^.* postfix\/smtpd\[[0-9]*\]: //p' "$DATA/maillog")
is "$(sed 's/^sasl_tool: //' "$T/err")" "$want" "wrong PLAIN password: the same two warnings as Postfix"
# A successful LOGIN: Postfix logged sasl_method=LOGIN, sasl_username=alice@example.com.
tool $CLI auth LOGIN alice@example.com Secret123
want=$(sed -n '3s/^.*, \(sasl_method=.*\)$/\1/p' "$DATA/maillog")
is "$(sed -n 's/^result: user=\(.*\) mech=\(.*\)$/sasl_method=\2, sasl_username=\1/p' <<<"$out")" "$want" \
    "LOGIN: the method and user name Postfix logged"

tool $CLI auth PLAIN nosuch@example.com Secret123
is "$rc" 1 "an unknown user fails"
tool $CLI auth PLAIN alice Secret123
is "$rc" 1 "alice without the realm is not alice@example.com (no smtpd_sasl_local_domain)"
tool $CLI -o smtpd_sasl_local_domain=example.com auth PLAIN alice Secret123
is "$rc" 0 "smtpd_sasl_local_domain=example.com: alice is alice@example.com"
like "$out" "result: user=alice@example.com mech=PLAIN" "local domain: the authenticated name has the realm"

# --- raw exchanges: what a client may send ------------------------------------
PLAIN_OK=$(b64 '\0alice@example.com\0Secret123')
input="" server_tool server PLAIN "$PLAIN_OK"
is "$rc" 0 "raw PLAIN initial response authenticates"
input="$PLAIN_OK"$'\n' server_tool server PLAIN
is "$(sed -n 2p <<<"$out")" "S: 334 " "PLAIN without an initial response: an empty 334 challenge"
is "$rc" 0 "PLAIN answered after the 334 authenticates"
input="$(b64 alice@example.com)"$'\n'"$(b64 Secret123)"$'\n' server_tool server LOGIN
is "$(sed -n 2p <<<"$out")" "S: 334 VXNlcm5hbWU6" "LOGIN asks Username:"
is "$(sed -n 4p <<<"$out")" "S: 334 UGFzc3dvcmQ6" "LOGIN asks Password:"
is "$rc" 0 "raw LOGIN authenticates"
input="" server_tool server PLAIN 'AGFsaWNl!!!'
like "$out" "S: 501 5\.5\.2 Cannot decode response" "malformed base64 initial response: 501 5.5.2"
is "$rc" 1 "malformed base64: not authenticated"
input="" server_tool server PLAIN 'AGFsaWNlQGV4YW1wbGUuY29tAFNlY3JldDEyMw'
like "$out" "S: 501 5\.5\.2" "base64 without its padding: 501 5.5.2"
input="$(b64 alice@example.com)"$'\n''%%%%'$'\n' server_tool server LOGIN
like "$(sed -n 6p <<<"$out")" "^S: 501 5\.5\.2 Cannot decode response" "malformed base64 response to a challenge: 501 5.5.2"
input=$'*\n' server_tool server LOGIN
like "$(sed -n 4p <<<"$out")" "^S: 501 5\.7\.0 Authentication aborted" "\"*\" cancels the exchange: 501 5.7.0"
is "$rc" 1 "cancelled: not authenticated"
long=$(head -c 150 /dev/zero | base64 -w0)
input="" server_tool -o smtpd_sasl_response_limit=100 server PLAIN "$long"
like "$out" "S: 500 5\.5\.6 Authentication exchange line is too long" "initial response over smtpd_sasl_response_limit: 500 5.5.6"
input="$long"$'\n' server_tool -o smtpd_sasl_response_limit=100 server LOGIN
like "$out" "S: 500 5\.5\.6" "response over smtpd_sasl_response_limit: 500 5.5.6"
long=$(head -c 30000 /dev/zero | base64 -w0)
input="" server_tool server PLAIN "$long"
like "$out" "S: 500 5\.5\.6" "a 40000-character response with the default limit (12288): 500 5.5.6"
input="" server_tool server PLAIN =
like "$out" "S: 535 5\.7\.8" "PLAIN with an empty initial response (=) fails"
input="" server_tool server PLAIN "$(b64 'no-nul-bytes-at-all')"
like "$out" "S: 535 5\.7\.8" "PLAIN with a response lacking NULs fails"
input="" server_tool server FOO
like "$out" "S: 504 5\.5\.4" "an unknown mechanism: 504 5.5.4"
input="" server_tool server 'PL@IN'
like "$out" "S: 504 5\.5\.4" "a bad mechanism name: 504 5.5.4"
input="" server_tool server "$(printf 'X%.0s' $(seq 30))"
like "$out" "S: 504 5\.5\.4" "a 30-character mechanism name: 504 5.5.4"
input="" server_tool server plain "$PLAIN_OK"
is "$rc" 0 "mechanism names are case-insensitive"

# several exchanges in one session
input="AUTH PLAIN $PLAIN_OK"$'\n'"AUTH LOGIN"$'\n' server_tool server PLAIN "$(b64 '\0alice@example.com\0wrong')"
is "$(grep '^S:' <<<"$out" | cut -c1-12 | tr '\n' ' ')" "S: 535 5.7.8 S: 235 2.7.0 S: 503 5.5.1 " \
    "one session: a failure, then a success, then AUTH again is refused (503)"
like "$out" "result: user=alice@example.com mech=PLAIN" "the second exchange authenticated alice"
input=$'*\n'"AUTH PLAIN $PLAIN_OK"$'\n' server_tool server LOGIN
is "$(grep '^S:' <<<"$out" | cut -c1-12 | tr '\n' ' ')" "S: 334 VXNlc S: 501 5.7.0 S: 235 2.7.0 " \
    "one session: LOGIN cancelled, then PLAIN succeeds"
is "$rc" 0 "after a cancelled exchange the next one authenticates"

# --- security options and TLS --------------------------------------------------
tool -o smtpd_sasl_security_options=noanonymous,noplaintext mechs
is "$out" "CRAM-MD5 DIGEST-MD5" "noplaintext hides PLAIN and LOGIN"
tool -o smtpd_sasl_security_options=noanonymous,noplaintext -t mechs
is "$out" "CRAM-MD5 DIGEST-MD5" "with TLS, smtpd_sasl_tls_security_options defaults to the same"
tool -o smtpd_sasl_security_options=noanonymous,noplaintext -o smtpd_sasl_tls_security_options=noanonymous -t mechs
is "$out" "PLAIN LOGIN CRAM-MD5 DIGEST-MD5" "with TLS and tls options noanonymous, PLAIN and LOGIN are back"
input="" server_tool -o smtpd_sasl_security_options=noplaintext server PLAIN "$PLAIN_OK"
like "$out" "S: 504 5\.5\.4" "noplaintext without TLS: AUTH PLAIN is refused"
input="" server_tool -o smtpd_sasl_security_options=noplaintext -o smtpd_sasl_tls_security_options=noanonymous -t server PLAIN "$PLAIN_OK"
is "$rc" 0 "noplaintext, but TLS active and allowed: AUTH PLAIN works"
tool $CLI -o smtpd_sasl_security_options=noplaintext auth PLAIN alice@example.com Secret123
like "$out" "client: no mechanism available" "noplaintext: the client finds no PLAIN to use"
tool -o smtpd_sasl_security_options=mutual_auth mechs
is "$out" "DIGEST-MD5" "mutual_auth leaves DIGEST-MD5"
tool -o smtpd_sasl_security_options=forward_secrecy mechs
is "$out" "" "forward_secrecy: none of these mechanisms"
tool -o "smtpd_sasl_security_options=noactive" mechs
is "$out" "" "noactive: none of these mechanisms"
tool -o smtpd_sasl_mechanism_filter=login,cram-md5 mechs
is "$out" "LOGIN CRAM-MD5" "smtpd_sasl_mechanism_filter keeps only the listed ones"
tool -o "smtpd_sasl_mechanism_filter=!plain, static:all" mechs
is "$out" "LOGIN CRAM-MD5 DIGEST-MD5" "smtpd_sasl_mechanism_filter !plain, static:all"
sed -i 's/^mech_list:.*/& ANONYMOUS/' "$T/etc/sasl/smtpd.conf"
tool mechs
is "$out" "PLAIN LOGIN CRAM-MD5 DIGEST-MD5" "noanonymous (the default) hides ANONYMOUS"
tool -o smtpd_sasl_security_options= mechs
is "$out" "PLAIN LOGIN CRAM-MD5 DIGEST-MD5 ANONYMOUS" "empty security options show ANONYMOUS"
sed -i 's/ ANONYMOUS$//' "$T/etc/sasl/smtpd.conf"
tool -o smtpd_sasl_security_options=noanonymous,bogus mechs
is "$rc" 3 "an unknown security option stops the server's set-up"
like "$err" "unknown SASL security option: bogus" "and says which"
tool -o smtpd_sasl_type=bogus mechs
is "$rc" 3 "an unknown smtpd_sasl_type stops the set-up"
like "$err" "unsupported SASL server implementation: bogus" "and says so"

# --- client choices ---------------------------------------------------------------
tool client "PLAIN LOGIN CRAM-MD5" alice@example.com Secret123
is "$out" "mech=CRAM-MD5 initial=" "client default (noplaintext): CRAM-MD5, no initial response"
tool $CLI -o smtp_sasl_mechanism_filter=plain client "PLAIN LOGIN CRAM-MD5" alice@example.com Secret123
is "$out" "mech=PLAIN initial=$PLAIN_OK" "smtp_sasl_mechanism_filter=plain: PLAIN with its initial response"
tool $CLI -o send_cyrus_sasl_authzid=yes -o smtp_sasl_mechanism_filter=plain client "PLAIN" alice@example.com Secret123
is "$out" "mech=PLAIN initial=$(b64 'alice@example.com\0alice@example.com\0Secret123')" "send_cyrus_sasl_authzid=yes sends the authorization id"
tool -o smtp_sasl_mechanism_filter=plain client "PLAIN LOGIN CRAM-MD5" alice@example.com Secret123
like "$out" "^nomech: no mechanism available" "filter plain with noplaintext: no mechanism"
tool -o smtp_sasl_tls_security_options=noanonymous -o smtp_sasl_mechanism_filter=login -t client "PLAIN LOGIN" a b
is "$out" "mech=LOGIN initial=" "with TLS, smtp_sasl_tls_security_options allows LOGIN"
tool $CLI client "X-BOGUS! PLAIN" alice@example.com Secret123
like "$out" "^mech=PLAIN" "a bad name in the server's list is ignored"
tool $CLI client "GSSAPI-UNKNOWN" a b
like "$out" "^nomech:" "a list of mechanisms the client lacks: no mechanism"
tool -o smtp_sasl_security_options=bogus client PLAIN a b
is "$rc" 3 "an unknown smtp_sasl_security_options entry stops the client's set-up"

# --- where smtpd.conf is found --------------------------------------------------------
mkdir -p "$T/other"
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: LOGIN\nsasldb_path: %s\n' "$T/sasldb2" >"$T/other/smtpd.conf"
tool -o cyrus_sasl_config_path="$T/other" mechs
is "$out" "LOGIN" "cyrus_sasl_config_path is searched instead of \$config_directory/sasl"
cp "$T/other/smtpd.conf" "$T/etc/sasl/submission.conf"
sed -i 's/^mech_list:.*/mech_list: CRAM-MD5/' "$T/etc/sasl/submission.conf"
tool -o smtpd_sasl_path=submission mechs
is "$out" "CRAM-MD5" "smtpd_sasl_path names the application: submission.conf"
tool -o smtpd_sasl_path=submission $CLI auth - alice@example.com Secret123
is "$rc" 0 "submission.conf uses the same sasldb"

# --- chroot: sasldb_path as the chrooted server sees it -------------------------------------
mkdir -p "$T/jail/db" "$T/etc2/sasl"
cp "$T/sasldb2" "$T/jail/db/sasldb2"
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: /db/sasldb2\n' >"$T/etc2/sasl/smtpd.conf"
# LeakSanitizer cannot work inside a chroot (no /proc): leak checks off for these two.
out=$(ASAN_OPTIONS=detect_leaks=0 "$TOOL" -c "$T/etc2" -r "$T/jail" server PLAIN "$PLAIN_OK" 2>"$T/err" </dev/null)
is "$?" 0 "chrooted after set-up, the sasldb inside the chroot authenticates"
like "$out" "result: user=alice@example.com mech=PLAIN" "chroot: user and mechanism"
out=$(ASAN_OPTIONS=detect_leaks=0 "$TOOL" -c "$T/etc2" server PLAIN "$PLAIN_OK" 2>"$T/err" </dev/null)
is "$?" 1 "without the chroot the same sasldb_path is not found"

done_testing
