#!/bin/bash
# sasl-dovecot.sh - lib/net's SASL server with smtpd_sasl_type = dovecot:
# against a real Dovecot (only its auth service, started here with a
# configuration in the scratch directory and stopped by pid), then against
# a scripted fake auth socket that breaks the protocol in many ways.
. "$POSTERN_SRC/test/lib.sh"
tmpdir

TOOL=$POSTERN_BUILD/test/tools/sasl_tool
DATA=$POSTERN_SRC/test/data/sasl
DPID=
FPID=

cleanup() {
    dovecot_stop
    fake_stop
    rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/etc" "$T/run" "$T/state"
: >"$T/etc/main.cf"

# tool ARGS: sasl_tool for the Dovecot socket at $T/auth; $out, $err, $rc.
tool() {
    out=$(printf '%s' "${input:-}" | "$TOOL" -c "$T/etc" -o smtpd_sasl_type=dovecot \
        -o smtpd_sasl_path="$T/auth" -o smtp_sasl_security_options=noanonymous "$@" 2>"$T/err")
    rc=$?
    err=$(cat "$T/err")
}
b64() { printf "$1" | base64 -w0; }

# dovecot_start: start Dovecot and wait, bounded, for its auth socket.
dovecot_start() {
    sed -e "s|@T@|$T|g" -e "s|@PORT@|$PORT|" "$DATA/dovecot.conf.in" >"$T/dovecot.conf"
    rm -f "$T/auth"
    dovecot -F -c "$T/dovecot.conf" >>"$T/dovecot.out" 2>&1 3>&- &
    DPID=$!
    for _ in $(seq 100); do
        [ -S "$T/auth" ] && return 0
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/dovecot.out" "$T/dovecot.log" 2>/dev/null | sed 's/^/# /'
    return 1
}
dovecot_stop() {
    [ -n "$DPID" ] || return 0
    kill "$DPID" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=
}

# fake SCENARIO: start the scripted auth socket for one connection.
fake_start() {
    rm -f "$T/auth" "$T/record"
    python3 "$DATA/fake_dovecot.py" "$T/auth" "$1" "$T/record" &
    FPID=$!
    for _ in $(seq 100); do
        [ -S "$T/auth" ] && return 0
        sleep 0.05
    done
    return 1
}
fake_stop() {
    [ -n "$FPID" ] || return 0
    for _ in $(seq 100); do
        kill -0 "$FPID" 2>/dev/null || break
        sleep 0.05
    done
    kill "$FPID" 2>/dev/null
    wait "$FPID" 2>/dev/null
    FPID=
}

PLAIN_BOB=$(b64 '\0bob@example.com\0Dove-pass1')
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)

# --- a real Dovecot -------------------------------------------------------------
if ! command -v dovecot >/dev/null; then
    skip "dovecot-core is not installed: the checks against a real Dovecot"
else
    # bob may log in always; sam only over TLS (Dovecot's passdb is users-%c,
    # where %c is "secured" when we say the session is).
    printf 'bob@example.com:{PLAIN}Dove-pass1::::::\n' >"$T/users-"
    printf 'bob@example.com:{PLAIN}Dove-pass1::::::\nsam@example.com:{PLAIN}Sam-pass2::::::\n' \
        >"$T/users-secured"
    check "dovecot starts and its auth socket appears" dovecot_start

    # Dovecot delays answers to an address after its failures (auth penalty):
    # each failure below comes from an address of its own.
    tool mechs
    is "$out" "PLAIN LOGIN CRAM-MD5" "Dovecot's mechanisms"
    n=10
    for mech in PLAIN LOGIN CRAM-MD5; do
        n=$((n + 1))
        tool auth $mech bob@example.com Dove-pass1
        is "$rc" 0 "$mech with the right password authenticates"
        like "$out" "result: user=bob@example.com mech=$mech\$" "$mech: user name and mechanism"
        tool -a 127.0.0.$n auth $mech bob@example.com wrong
        like "$out" "S: 535 5\.7\.8 Error: authentication failed: authentication failure" "$mech with a wrong password: 535"
        like "$err" "warning: unknown\[127\.0\.0\.$n\]: SASL $mech authentication failed: authentication failure, sasl_username=bob@example.com" \
            "$mech: the failure is logged as Postfix does"
    done
    tool -a 127.0.0.20 auth PLAIN nobody@example.com Dove-pass1
    is "$rc" 1 "an unknown user fails"
    tool -o smtpd_sasl_security_options=noplaintext mechs
    is "$out" "CRAM-MD5" "noplaintext hides Dovecot's plaintext mechanisms"
    tool -o smtpd_sasl_security_options=noplaintext -o smtpd_sasl_tls_security_options= -t mechs
    is "$out" "PLAIN LOGIN CRAM-MD5" "with TLS and empty tls options they are back"
    tool -o smtpd_sasl_security_options=nodictionary mechs
    is "$out" "PLAIN LOGIN" "nodictionary: Dovecot marks CRAM-MD5 as open to dictionary attacks"
    input=$'*\n' tool -a 127.0.0.21 server LOGIN
    like "$out" "S: 501 5\.7\.0 Authentication aborted" "\"*\" cancels a Dovecot exchange"

    input=$'*\n'"AUTH PLAIN $PLAIN_BOB"$'\n' tool -a 127.0.0.24 server LOGIN
    is "$(grep '^S:' <<<"$out" | cut -c1-12 | tr '\n' ' ')" "S: 334 VXNlc S: 501 5.7.0 S: 235 2.7.0 " \
        "one session: LOGIN cancelled, then PLAIN succeeds with Dovecot"
    input="AUTH PLAIN $PLAIN_BOB"$'\n' tool -a 127.0.0.25 server PLAIN "$(b64 '\0bob@example.com\0wrong')"
    is "$(grep '^S:' <<<"$out" | cut -c1-12 | tr '\n' ' ')" "S: 535 5.7.8 S: 235 2.7.0 " \
        "one session: a failure, then a success with Dovecot"
    # smtpd_sasl_path = inet:host:port
    tool -o smtpd_sasl_path=inet:127.0.0.1:$PORT auth PLAIN bob@example.com Dove-pass1
    is "$rc" 0 "inet:127.0.0.1:$PORT: Dovecot over TCP authenticates"
    closed=$(free_port)
    tool -o smtpd_sasl_path=inet:127.0.0.1:$closed mechs
    like "$err" "warning: SASL: Connect to inet:127\.0\.0\.1:$closed failed: Connection refused" \
        "inet: nobody listening is a warning in Postfix's words"

    # A session that outlives a Dovecot restart reconnects.
    mkfifo "$T/in"
    "$TOOL" -c "$T/etc" -o smtpd_sasl_type=dovecot -o smtpd_sasl_path="$T/auth" -a 127.0.0.26 \
        server PLAIN "$(b64 '\0bob@example.com\0wrong')" <"$T/in" >"$T/out" 2>"$T/err" &
    tpid=$!
    exec 3>"$T/in"
    for _ in $(seq 100); do
        grep -q '^result:' "$T/out" && break
        sleep 0.1
    done
    dovecot_stop
    dovecot_start
    echo "AUTH PLAIN $PLAIN_BOB" >&3
    exec 3>&-
    for _ in $(seq 100); do
        kill -0 "$tpid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$tpid" 2>/dev/null
    wait "$tpid"
    is "$?" 0 "after Dovecot restarted, the same session reconnects and authenticates"
    is "$(grep '^S:' "$T/out" | cut -c1-12 | tr '\n' ' ')" "S: 535 5.7.8 S: 235 2.7.0 " \
        "the failure before the restart, the success after it"
    # "secured" reaches Dovecot with TLS only.
    tool -a 127.0.0.22 auth PLAIN sam@example.com Sam-pass2
    is "$rc" 1 "without TLS sam is not in Dovecot's passdb (not secured)"
    tool -a 127.0.0.23 -t auth PLAIN sam@example.com Sam-pass2
    is "$rc" 0 "with TLS we send \"secured\" and Dovecot finds sam"
    dovecot_stop

    tool mechs
    like "$out" "^S: 454 4\.7\.0 Temporary authentication failure" "Dovecot stopped: 454"
    like "$err" "^sasl_tool: warning: SASL: Connect to $T/auth failed: (Connection refused|No such file or directory)\$" \
        "and the warning says why in Postfix's words"
fi

# --- a scripted auth socket ----------------------------------------------------------------
# broken handshakes: no AUTH offered, a warning, no crash
while read -r scenario want; do
    fake_start "$scenario"
    tool -T 1 mechs
    fake_stop
    like "$out" "^S: 454 4\.7\.0" "handshake $scenario: no AUTH (454)"
    like "$err" "$want" "handshake $scenario: $want"
done <<'EOF'
version2 protocol version 2 is not supported
noversion did not start with a VERSION line
longline sent a line longer than 32768 bytes
nul sent a NUL byte
manymech offered too many mechanisms
badmech sent a bad MECH line
dupmech offered a mechanism twice
badspid sent a bad SPID line
silent time-out reading from the Dovecot auth socket
EOF

fake_start private
tool mechs
fake_stop
is "$out" "PLAIN SCRAM-SHA-1 X-FS" "private mechanisms are never offered; noanonymous drops ANONYMOUS"
fake_start private
tool -o smtpd_sasl_security_options=mutual_auth mechs
fake_stop
is "$out" "SCRAM-SHA-1" "mutual_auth keeps mechanisms marked mutual-auth"
fake_start private
tool -o smtpd_sasl_security_options=forward_secrecy mechs
fake_stop
is "$out" "X-FS" "forward_secrecy keeps mechanisms marked forward-secrecy"

# what we send
fake_start record
input="" tool -a 127.0.0.10 -t -V server PLAIN "$PLAIN_BOB"
fake_stop
is "$rc" 0 "OK with user= authenticates"
like "$out" "result: user=rec@example.com mech=PLAIN" "the user name comes from Dovecot"
like "$(head -1 "$T/record")" "^VERSION	1	[0-9]+$" "we announce protocol version 1"
like "$(sed -n 2p "$T/record")" "^CPID	[0-9]+$" "and our pid"
is "$(grep '^AUTH' "$T/record")" \
    "AUTH	1	PLAIN	service=smtp	nologin	lip=127.0.0.1	rip=127.0.0.10	lport=25	rport=40000	secured	valid-client-cert	resp=$PLAIN_BOB" \
    "the AUTH request: service, addresses, secured, valid-client-cert, initial response"
fake_start record
input="" tool server PLAIN =
fake_stop
like "$(grep '^AUTH' "$T/record")" "	resp=$" "an empty initial response is an empty resp="
fake_start record
input="" tool server PLAIN
fake_stop
like "$(grep '^AUTH' "$T/record")" "nologin	lip=127\.0\.0\.1	rip=127\.0\.0\.1	lport=25	rport=40000$" "no initial response: no resp= and no secured without TLS"
fake_start cont
input=$(b64 bob)$'\n' tool server LOGIN
fake_stop
is "$(sed -n 2p <<<"$out")" "S: 334 VXNlcm5hbWU6" "CONT from Dovecot becomes a 334 challenge"
is "$(grep '^CONT' "$T/record")" "CONT	1	$(b64 bob)" "our answer goes back as CONT with the same id"
like "$out" "result: user=cont@example.com mech=LOGIN" "then OK"

# broken or unusual replies
while read -r scenario want; do
    fake_start "$scenario"
    input="" tool -T 3 server PLAIN "$PLAIN_BOB"
    fake_stop
    like "$out" "$want" "reply $scenario: $want"
done <<'EOF'
nouser ^S: 454 4\.7\.0 Temporary authentication failure: Dovecot auth server unavailable
badcont ^S: 454 4\.7\.0
close ^S: 454 4\.7\.0
garbage ^S: 454 4\.7\.0
badid ^S: 454 4\.7\.0
tempfail ^S: 454 4\.7\.0 Temporary authentication failure: try later
reason ^S: 535 5\.7\.8 Error: authentication failed: bad\?thing
stale result: user=carol@example\.com mech=PLAIN
escape result: user=a\?b.c mech=PLAIN
EOF
fake_start garbage
input="" tool -T 3 server PLAIN "$PLAIN_BOB"
fake_stop
like "$err" "warning: SASL: Dovecot auth server sent an unexpected line: HELLO" "an unexpected line is logged"
fake_start nouser
input="" tool -T 3 server PLAIN "$PLAIN_BOB"
fake_stop
like "$err" "OK without a user name" "OK without user= is logged"
fake_start reason
input="" tool -a 127.0.0.10 server PLAIN "$PLAIN_BOB"
fake_stop
like "$err" "warning: unknown\[127\.0\.0\.10\]: SASL PLAIN authentication failed: bad.thing, sasl_username=eve@example.com" \
    "FAIL's reason and user name go into the log line"

done_testing
