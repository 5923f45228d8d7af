#!/bin/bash
# Client connection and rate limits through the anvil service, on a whole
# instance under master: a third concurrent connection from one client gets
# 421 with smtpd_client_connection_count_limit = 2, the fourth connection
# within the time unit with smtpd_client_connection_rate_limit = 3, the
# third MAIL and the third RCPT 450 with the message and recipient rate
# limits at 2; a client in smtpd_client_event_limit_exceptions is not
# limited; with smtpd_client_auth_rate_limit = 2 the third AUTH that
# passes smtpd's own checks gets 450 (an AUTH refused before EHLO is not
# counted); with smtpd_client_new_tls_session_rate_limit = 2 the third new
# TLS session gets 421 and ends (a resumed one is not counted), after it
# STARTTLS gets 454, in wrapper mode the connection is dropped; anvil's statistics lines (periodic and at exit); anvil gone
# or killed: mail still flows, with a warning. Clients bind their own 127.0.1.x addresses.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
inst_require master smtpd cleanup anvil
command -v python3 >/dev/null || { echo "1..0 # SKIP needs python3"; exit 0; }

inst_setup
INST_SMTPD_PORT=$(inst_port)
inst_master_cf_full
inst_service "anvil     unix  -       -       y       -       1       anvil"
inst_param mynetworks 127.0.1.250/32
inst_param smtpd_client_connection_count_limit 2
inst_param smtpd_client_connection_rate_limit 3
inst_param smtpd_client_message_rate_limit 2
inst_param smtpd_client_recipient_rate_limit 2
inst_param anvil_status_update_time 2s
# AUTH and new TLS session limits, each on a service of its own
P_AUTH=$(inst_port) P_TLS=$(inst_port) P_WRAP=$(inst_port)
HAVE_SASL=; command -v saslpasswd2 >/dev/null && HAVE_SASL=1
if [ -n "$HAVE_SASL" ]; then
    sasl_sasldb smtp Secret123
    inst_service "$ADDR:$P_AUTH inet n - y - - smtpd -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=cyrus -o smtpd_sasl_path=smtpd -o smtpd_client_auth_rate_limit=2"
fi
tls_cert server mail.example.com
# one process (maxproc 1) with a session cache: its tickets resume sessions
inst_service "$ADDR:$P_TLS inet n - y - 1 smtpd -o smtpd_tls_session_cache_database=btree:\$data_directory/smtpd_scache -o smtpd_tls_security_level=may -o smtpd_tls_cert_file=$C/server.pem -o smtpd_tls_key_file=$C/server.key -o smtpd_client_new_tls_session_rate_limit=2 -o smtpd_client_connection_rate_limit=0"
inst_service "$ADDR:$P_WRAP inet n - y - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt -o smtpd_tls_cert_file=$C/server.pem -o smtpd_tls_key_file=$C/server.key -o smtpd_client_new_tls_session_rate_limit=2 -o smtpd_client_connection_rate_limit=0"
check "master starts with anvil in master.cf" inst_start
check "smtpd listens" inst_wait bash -c "ss -Hltn 'sport = :$INST_SMTPD_PORT' | grep -q ."

# cli.py SRC MODE...: "hold N": N connections at once, print each greeting;
# "dialog CMD...": one session, print every reply's first line;
# "tls new|resume...": one session per word, EHLO STARTTLS EHLO QUIT, a new
# TLS session or one resuming the last one; prints "reused=0|1 REPLY" with
# the first reply after the handshake, or "starttls REPLY" when STARTTLS
# is refused; "wrap N": N sessions in wrapper mode (each a new TLS
# session), printing the greeting, or "EOF" when the server hangs up.
cat >"$T/cli.py" <<'PY'
import os, socket, ssl, sys
src, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
dst, port = os.environ["ADDR"], int(os.environ["PORT"])
def conn():
    s = socket.socket()
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((dst, port))
    return s, s.makefile("rb")
def reply(f):
    first = None
    while True:
        l = f.readline().decode("ascii", "replace").rstrip("\r\n")
        if first is None:
            first = l
        if len(l) < 4 or l[3] != "-":
            return first
if mode == "hold":
    held = []
    for i in range(int(args[0])):
        s, f = conn()
        held.append((s, f))
        print(reply(f) or "EOF", flush=True)
    for s, f in held:
        s.close()
elif mode == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    last = None
    for how in args:
        s, f = conn()
        reply(f)
        for c in ("EHLO c.example.org", "STARTTLS"):
            s.sendall(c.encode() + b"\r\n")
            r = reply(f)
        if not r.startswith("220"):
            print("starttls %s" % r, flush=True)
            s.close()
            continue
        t = ctx.wrap_socket(s, session=last if how == "resume" else None)
        tf = t.makefile("rb")
        t.sendall(b"EHLO c.example.org\r\n")
        r = reply(tf) or "EOF"
        print("reused=%d %s" % (t.session_reused, r), flush=True)
        if r.startswith("250"):
            last = t.session
            t.sendall(b"QUIT\r\n")
            reply(tf)
        t.close()
elif mode == "wrap":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for i in range(int(args[0])):
        s = socket.socket()
        s.settimeout(10)
        s.bind((src, 0))
        s.connect((dst, port))
        try:
            t = ctx.wrap_socket(s)
            print(reply(t.makefile("rb")) or "EOF", flush=True)
            t.close()
        except (ssl.SSLError, OSError):
            print("EOF", flush=True)
            s.close()
else:
    s, f = conn()
    print(reply(f))
    for c in args:
        s.sendall(c.replace("\n", "\r\n").encode() + b"\r\n")
        print(reply(f) or "EOF")
    s.close()
PY
cli() { ADDR=$ADDR PORT=$INST_SMTPD_PORT timeout 20 python3 "$T/cli.py" "$@"; }
NL=$'\n'

# 1. Concurrency: the third connection held at once is refused.
out=$(cli 127.0.1.1 hold 3)
like "$out" "^220 " "the first connections are greeted"
is "$(sed -n 3p <<<"$out")" "421 4.7.0 mail.example.com Error: too many connections from 127.0.1.1" \
    "the third concurrent connection gets 421"
check "the concurrency warning is logged" inst_log_wait \
    "postfix/smtpd\[[0-9]+\]: warning: Connection concurrency limit exceeded: 3 from [^ ]*\[127\.0\.1\.1\] for service $ADDR:$INST_SMTPD_PORT$"

# 2. Rate: four connections one after the other; the fourth is refused.
r=
for i in 1 2 3 4; do
    r="$r$(cli 127.0.1.2 dialog QUIT | head -1)$NL"
done
is "$(grep -c '^220 ' <<<"$r")" "3" "three connections in the time unit are greeted"
is "$(sed -n 4p <<<"$r")" "421 4.7.0 mail.example.com Error: too many connections from 127.0.1.2" \
    "the fourth connection in the time unit gets 421"
check "the rate warning is logged" inst_log_wait \
    "warning: Connection rate limit exceeded: 4 from [^ ]*\[127\.0\.1\.2\] for service $ADDR:$INST_SMTPD_PORT$"

# 3. Message rate: the third MAIL is refused.
out=$(cli 127.0.1.3 dialog "EHLO c.example.org" "MAIL FROM:<a@example.org>" RSET \
    "MAIL FROM:<a@example.org>" RSET "MAIL FROM:<a@example.org>" QUIT)
is "$(sed -n 3p <<<"$out"),$(sed -n 5p <<<"$out")" "250 2.1.0 Ok,250 2.1.0 Ok" "two MAIL commands are accepted"
is "$(sed -n 7p <<<"$out")" "450 4.7.1 Error: too much mail from 127.0.1.3" "the third MAIL gets 450"
check "the message rate warning is logged" inst_log_wait \
    "warning: Message delivery request rate limit exceeded: 3 from [^ ]*\[127\.0\.1\.3\]"

# 4. Recipient rate: the third RCPT is refused.
out=$(cli 127.0.1.4 dialog "EHLO c.example.org" "MAIL FROM:<a@example.org>" \
    "RCPT TO:<root@mail.example.com>" "RCPT TO:<root@mail.example.com>" \
    "RCPT TO:<root@mail.example.com>" QUIT)
like "$(sed -n 4p <<<"$out")" "^250 " "the first RCPT is accepted"
like "$(sed -n 5p <<<"$out")" "^250 " "the second RCPT is accepted"
is "$(sed -n 6p <<<"$out")" "450 4.7.1 Error: too many recipients from 127.0.1.4" "the third RCPT gets 450"
check "the recipient rate warning is logged" inst_log_wait \
    "warning: Recipient address rate limit exceeded: 3 from [^ ]*\[127\.0\.1\.4\]"

# 5. A client in smtpd_client_event_limit_exceptions ($mynetworks) is not limited.
out=$(cli 127.0.1.250 hold 4)
is "$(grep -c '^220 ' <<<"$out")" "4" "an excepted client holds four connections"
r=
for i in 1 2 3 4 5; do
    r="$r$(cli 127.0.1.250 dialog QUIT | head -1)$NL"
done
is "$(grep -c '^220 ' <<<"$r")" "5" "an excepted client makes five connections in the time unit"
out=$(cli 127.0.1.250 dialog "EHLO c.example.org" "MAIL FROM:<a@example.org>" RSET \
    "MAIL FROM:<a@example.org>" RSET "MAIL FROM:<a@example.org>" QUIT)
is "$(sed -n 7p <<<"$out")" "250 2.1.0 Ok" "an excepted client's third MAIL is accepted"

# 6. AUTH rate: an AUTH before EHLO (503) is not counted; after EHLO the
# first two AUTH commands reach SASL (an unknown mechanism), the third gets 450.
if [ -n "$HAVE_SASL" ]; then
    out=$(ADDR=$ADDR PORT=$P_AUTH timeout 20 python3 "$T/cli.py" 127.0.1.9 dialog "AUTH FOO" \
        "EHLO c.example.org" "AUTH FOO" "AUTH FOO" "AUTH FOO" QUIT)
    is "$(sed -n 2p <<<"$out")" "503 5.5.1 Error: send HELO/EHLO first" "AUTH before EHLO is refused"
    like "$(sed -n 3p <<<"$out")" "^250" "EHLO"
    like "$(sed -n 4p <<<"$out"),$(sed -n 5p <<<"$out")" "^5[0-9][0-9] [^,]*,5[0-9][0-9] " \
        "the first two AUTH commands after EHLO are answered by SASL"
    is "$(sed -n 6p <<<"$out")" "450 4.7.1 Error: too many AUTH commands from 127.0.1.9" \
        "the third counted AUTH gets 450"
    check "the AUTH rate warning is logged" inst_log_wait \
        "warning: AUTH command rate limit exceeded: 3 from [^ ]*\[127\.0\.1\.9\] for service $ADDR:$P_AUTH$"
else
    for i in 1 2 3 4 5; do skip "saslpasswd2 is not installed"; done
fi

# 6b. New TLS sessions: two new ones, a resumed one (not counted), the
# third new one gets 421 right after the handshake and the session ends.
out=$(ADDR=$ADDR PORT=$P_TLS timeout 30 python3 "$T/cli.py" 127.0.1.10 tls new new resume new new)
is "$(sed -n 1p <<<"$out"),$(sed -n 2p <<<"$out")" "reused=0 250-mail.example.com,reused=0 250-mail.example.com" \
    "two new TLS sessions are accepted"
is "$(sed -n 3p <<<"$out")" "reused=1 250-mail.example.com" "a resumed TLS session is accepted and not counted"
like "$(sed -n 4p <<<"$out")" "^reused=0 421 4\.7\.0 mail\.example\.com Error: too many new TLS sessions from [^ ]*\[127\.0\.1\.10\]$" \
    "the third new TLS session gets 421"
check "the new TLS session rate warning is logged" inst_log_wait \
    "warning: New TLS session rate limit exceeded: 3 from [^ ]*\[127\.0\.1\.10\] for service $ADDR:$P_TLS$"
like "$(sed -n 5p <<<"$out")" "^starttls 454 4\.7\.0 Error: too many new TLS sessions from [^ ]*\[127\.0\.1\.10\]$" \
    "over the limit, STARTTLS itself is refused with 454"
check "the STARTTLS refusal is logged" inst_log_wait \
    "warning: Refusing STARTTLS request from [^ ]*\[127\.0\.1\.10\] for service $ADDR:$P_TLS$"
# Wrapper mode: the third new session gets 421 after the handshake, the
# fourth is dropped before it.
out=$(ADDR=$ADDR PORT=$P_WRAP timeout 30 python3 "$T/cli.py" 127.0.1.11 wrap 4)
is "$(sed -n 1,2p <<<"$out" | grep -c '^220 ')" "2" "wrapper mode: two new TLS sessions are greeted"
like "$(sed -n 3p <<<"$out")" "^421 4\.7\.0 mail\.example\.com Error: too many new TLS sessions from [^ ]*\[127\.0\.1\.11\]$" \
    "wrapper mode: the third new TLS session gets 421"
is "$(sed -n 4p <<<"$out")" "EOF" "wrapper mode: the fourth is dropped before TLS"
check "the TLS service refusal is logged" inst_log_wait \
    "warning: Refusing TLS service request from [^ ]*\[127\.0\.1\.11\] for service $ADDR:$P_WRAP$"

# 6c. anvil's periodic statistics (anvil_status_update_time = 2s, logged
# with the first request after that time; the peak may be any service's).
# A fresh statistics line: the next window then holds only what follows.
n0=$(grep -c 'postfix/anvil.*statistics: max connection rate' "$LOG")
check "anvil logs its peaks every anvil_status_update_time" inst_wait bash -c \
    "ADDR=$ADDR PORT=$INST_SMTPD_PORT python3 $T/cli.py 127.0.1.7 dialog QUIT >/dev/null;
     test \$(grep -cE 'postfix/anvil\[[0-9]+\]: statistics: max connection rate [0-9]+/60s for \($ADDR:[0-9]+:127\.0\.1\.[0-9]+\) at [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8}$' $LOG) -gt $n0"
like "$(grep 'postfix/anvil' "$LOG")" "statistics: max connection count [0-9]+ for \($ADDR:[0-9]+:127\.0\.1\.[0-9]+\) at " \
    "the peak connection count is in them"

# 7. anvil gone from master.cf: it logs its statistics as it exits; then
# no limits, a warning, and mail flows.
SEND=("EHLO c.example.org" "MAIL FROM:<a@example.org>" "RCPT TO:<root@mail.example.com>" DATA
      "Subject: anvil test${NL}${NL}body${NL}." QUIT)
cli 127.0.1.8 dialog QUIT >/dev/null
grep -v '^anvil ' "$C/master.cf" >"$T/m.cf" && cat "$T/m.cf" >"$C/master.cf"
postfix reload >/dev/null 2>&1
check "private/anvil goes away with its service" inst_wait bash -c "! test -e $Q/private/anvil"
check "anvil logs its statistics at exit" inst_log_wait \
    "postfix/anvil\[[0-9]+\]: statistics: max connection rate 1/60s for \($ADDR:$INST_SMTPD_PORT:127\.0\.1\.8\) at "
out=$(cli 127.0.1.6 hold 3)
is "$(grep -c '^220 ' <<<"$out")" "3" "without anvil there is no concurrency limit"
out=$(cli 127.0.1.6 dialog "${SEND[@]}")
like "$(sed -n 6p <<<"$out")" "^250 2\.0\.0 Ok: queued as " "mail flows without anvil"
check "the unreachable anvil is a warning" inst_log_wait \
    "postfix/smtpd\[[0-9]+\]: warning: connect to private/anvil: "

# 8. anvil killed: the next session still gets its mail in, with a warning.
inst_service "anvil     unix  -       -       y       -       1       anvil"
postfix reload >/dev/null 2>&1
check "private/anvil is back" inst_wait test -S "$Q/private/anvil"
out=$(cli 127.0.1.5 hold 3)
is "$(sed -n 3p <<<"$out")" "421 4.7.0 mail.example.com Error: too many connections from 127.0.1.5" \
    "limits apply again with anvil back"
apid=$(inst_workers anvil)
ok "$([ -n "$apid" ]; echo $?)" "anvil runs (pid $apid)"
kill -KILL $apid
out=$(cli 127.0.1.5 dialog "${SEND[@]}")
like "$(sed -n 6p <<<"$out")" "^250 2\.0\.0 Ok: queued as " "mail flows after anvil was killed"
check "the lost anvil is a warning" inst_log_wait \
    "postfix/smtpd\[[0-9]+\]: warning: problem talking to service private/anvil"
inst_stop
done_testing
