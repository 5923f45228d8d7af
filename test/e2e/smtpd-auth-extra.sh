#!/bin/bash
# smtpd AUTH and STARTTLS details beyond smtpd-auth.sh and smtpd-tls.sh:
# MAIL FROM AUTH= (RFC 4954 section 5: xtext-decoded, bounded, once; believed
# only from an authenticated client, then logged as sasl_sender and kept in
# the queue file), smtpd_sasl_exceptions_networks, the
# reject_known_sender_login_mismatch restriction, plain text that reaches
# the socket after STARTTLS (still in the kernel when smtpd purges, or after
# the 220 before the handshake: discarded, logged, never executed), and no
# cleanup warning when a client quits or resets after RCPT.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/auth-lib.sh"
auth_require saslpasswd2

auth_setup "smtpd_sasl_exceptions_networks = 192.0.2.0/24"
P_EXC=$(inst_port) P_KSLM=$(inst_port) P_KNOSASL=$(inst_port) P_SLOW=$(inst_port) P_ABORT=$(inst_port)
inst_service "$ADDR:$P_EXC inet n - y - - smtpd -o smtpd_sasl_exceptions_networks=127.0.0.0/8,[::1]/128"
inst_service "$ADDR:$P_KSLM inet n - y - - smtpd -o smtpd_sender_restrictions=reject_known_sender_login_mismatch"
inst_service "$ADDR:$P_KNOSASL inet n - y - - smtpd -o smtpd_sasl_auth_enable=no -o smtpd_sender_restrictions=reject_known_sender_login_mismatch"
inst_service "$ADDR:$P_SLOW inet n - y - - smtpd -o syslog_name=postfix/slow -o smtpd_error_sleep_time=1 -o smtpd_soft_error_limit=1"
inst_service "$ADDR:$P_ABORT inet n - y - - smtpd -o syslog_name=postfix/abort"
auth_start

queued_ids() { sed -n 's/^S: 250 2\.0\.0 Ok: queued as \([0-9A-F]*\)$/\1/p' "$1"; }

# --- an abort after RCPT (QUIT, RSET) is not a cleanup warning ---------------------
tls_dialog abort "$P_ABORT" <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<carol@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
inst_log_wait "postfix/abort(/smtpd)?\[[0-9]+\]: disconnect from" >/dev/null
ABORTED=$(grep -E "postfix/abort(/smtpd)?\[[0-9]+\]: [0-9A-F]+: client=" "$LOG" | sed -E 's/.*: ([0-9A-F]+): client=.*/\1/')
is "$(wc -w <<<"$ABORTED")" 2 "two transactions opened cleanup: $(echo $ABORTED)"
for id in $ABORTED; do
    check "aborted $id: its queue file is removed" inst_wait test ! -e "$Q/incoming/$id"
done

# --- MAIL FROM AUTH= from a client that has not authenticated ----------------------
LONGAUTH=$(head -c 600 /dev/zero | tr '\0' a)
tls_dialog auth-unauth "$PORT" <<D
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com> AUTH=a+zzb@example.com
S: 501 5.5.4 Bad AUTH parameter syntax
C: MAIL FROM:<alice@example.com> AUTH=
S: 501 5.5.4 Bad AUTH parameter syntax
C: MAIL FROM:<alice@example.com> AUTH=$LONGAUTH
S: 501 5.5.4 Error: parameter too long
C: MAIL FROM:<alice@example.com> AUTH=<> AUTH=<>
S: 503 5.5.4 Error: multiple AUTH= options
C: MAIL FROM:<alice@example.com> AUTH=<>
S: 250 2.1.0 Ok
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@example.com> AUTH=boss@example.com
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Message-Id: <unauth@client.example.org>
C: Subject: AUTH= without a login
C:
C: hello
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
ID0=$(queued_ids "$T/auth-unauth.out")
sd_log "$ID0: client=unknown\[127\.0\.0\.1\]$" >/dev/null
ok $? "unauthenticated AUTH=: the client= line has no sasl_sender"
inst_postcat "$Q/incoming/$ID0" >"$T/pc0.out" 2>&1
like "$(cat "$T/pc0.out")" "sender: alice@example\.com" "postcat reads the unauthenticated client's file"
is "$(grep -c "sasl_sender" "$T/pc0.out")" 0 "unauthenticated AUTH= is not believed: no sasl_sender in the queue file"

# --- MAIL FROM AUTH= after AUTH: xtext-decoded, logged, in the queue file ---------
tls_dialog auth-ok "$PORT" <<D
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: AUTH PLAIN $GOOD
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<smtp@example.com> AUTH=smtp+2Bsales@example.com
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Message-Id: <auth1@client.example.org>
C: Subject: AUTH= with a login
C:
C: hello
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: MAIL FROM:<smtp@example.com> AUTH=<>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@outside.test>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Message-Id: <auth2@client.example.org>
C: Subject: AUTH=<> with a login
C:
C: hello
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
set -- $(queued_ids "$T/auth-ok.out")
ID1=$1 ID2=$2
sd_log "$ID1: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=smtp@example\.com, sasl_sender=smtp\+sales@example\.com$" >/dev/null
ok $? "AUTH=xtext after AUTH: logged decoded as sasl_sender"
inst_postcat "$Q/incoming/$ID1" >"$T/pc1.out" 2>&1
like "$(cat "$T/pc1.out")" "named_attribute: sasl_sender=smtp\+sales@example\.com" "the queue file has the sasl_sender attribute"
sd_log "$ID2: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=smtp@example\.com$" >/dev/null
ok $? "AUTH=<> after AUTH: no sasl_sender logged"
inst_postcat "$Q/incoming/$ID2" >"$T/pc2.out" 2>&1
like "$(cat "$T/pc2.out")" "named_attribute: sasl_username=smtp@example\.com" "AUTH=<>: the file has the login"
is "$(grep -c "sasl_sender" "$T/pc2.out")" 0 "AUTH=<>: no sasl_sender in the queue file"

# --- smtpd_sasl_exceptions_networks ------------------------------------------------
tls_dialog exc "$P_EXC" <<D
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
M: 250
C: AUTH PLAIN $GOOD
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 2.0.0 Bye
D
is "$(grep -c "^S: 250-AUTH" "$T/exc.out")" 0 \
    "a client in smtpd_sasl_exceptions_networks is not told about AUTH (and may still use it, as with Postfix)"
is "$(grep -c "^S: 250-AUTH PLAIN LOGIN" "$T/auth-ok.out")" 1 "a client outside the exceptions list is offered AUTH"

# --- reject_known_sender_login_mismatch -------------------------------------------------
login_dialog kslm-own "$P_KSLM" yes smtp@example.com "250 2.1.5 Ok"
login_dialog kslm-other "$P_KSLM" yes other@example.com \
    "553 5.7.1 <other@example.com>: Sender address rejected: not owned by user smtp@example.com"
login_dialog kslm-unlisted "$P_KSLM" yes nobody@elsewhere.test "250 2.1.5 Ok"
login_dialog kslm-unauth "$P_KSLM" no smtp@example.com \
    "553 5.7.1 <smtp@example.com>: Sender address rejected: not logged in"
login_dialog kslm-unauth-free "$P_KSLM" no free@elsewhere.test "250 2.1.5 Ok"
login_dialog kslm-nosasl "$P_KNOSASL" no smtp@example.com "250 2.1.5 Ok"

# --- STARTTLS: plain text still in the socket when smtpd purges ----------------------
# smtpd sleeps a second before its 502 (smtpd_error_sleep_time), so all the
# bytes after STARTTLS are in the kernel before smtpd reads the STARTTLS
# line; more than its 64 KB buffer holds, so the rest waits in the socket.
cat >"$T/deep.py" <<'PY'
import socket, ssl, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=20)
buf = b""
def line(sock):
    global buf
    while b"\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise SystemExit("EOF")
        buf += data
    l, buf = buf.split(b"\n", 1)
    print("S: " + l.rstrip(b"\r").decode("latin-1"), flush=True)
    return l
def reply(sock):
    while True:
        l = line(sock)
        if l[3:4] != b"-":
            return l
reply(s)
s.sendall(b"EHLO client.example.org\r\n")
reply(s)
junk = b"MAIL FROM:<deep@example.com>\r\n"
junk += b"".join(b"NOOP " + b"x" * 993 + b"\r\n" for _ in range(90))
junk += b"RCPT TO:<bob@mail.example.com>\r\n"
s.sendall(b"XYZZY\r\n")
s.sendall(b"STARTTLS\r\n" + junk)
reply(s)
if not reply(s).startswith(b"220 "):
    raise SystemExit("no 220")
print("JUNK %d" % len(junk), flush=True)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname=host)
print("TLS-OK", flush=True)
t.sendall(b"EHLO client.example.org\r\n")
reply(t)
t.sendall(b"MAIL FROM:<alice@example.com>\r\n")
reply(t)
t.sendall(b"QUIT\r\n")
reply(t)
PY
timeout 60 python3 "$T/deep.py" "$ADDR" "$P_SLOW" >"$T/deep.out" 2>&1
ok $? "deep: the dialog ran $(tail -1 "$T/deep.out")"
JUNK=$(sed -n 's/^JUNK //p' "$T/deep.out")
ok "$([ "${JUNK:-0}" -gt 65536 ] && echo 0 || echo 1)" "deep: $JUNK bytes pipelined after STARTTLS, more than smtpd's buffer"
like "$(cat "$T/deep.out")" "TLS-OK" "deep: the TLS handshake after the purge succeeds"
like "$(cat "$T/deep.out")" "S: 250 2\.1\.0 Ok" "deep: MAIL inside TLS is served"
sd_log "postfix/slow(/smtpd)?\[[0-9]+\]: improper command pipelining after STARTTLS from unknown\[127\.0\.0\.1\]: MAIL FROM:<deep@example\.com>\?\?NOOP x+ \($JUNK bytes discarded\)" >/dev/null
ok $? "deep: every pipelined byte, buffered and still in the socket, is discarded and logged"
is "$(grep "deep@example.com" "$LOG" | grep -vc "improper command pipelining")" 0 \
    "deep: the pipelined MAIL was never executed"
is "$(grep -E "postfix/slow(/smtpd)?\[" "$LOG" | grep -c "NOOP")" 1 "deep: no pipelined NOOP was executed"

# --- STARTTLS: plain text that arrives after the 220, before the handshake -----------
cat >"$T/late.py" <<'PY'
import socket, ssl, sys, time
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=20)
f = s.makefile("rb", buffering=0)
def reply():
    while True:
        l = f.readline()
        print("S: " + l.rstrip(b"\r\n").decode("latin-1"), flush=True)
        if l[3:4] != b"-":
            return l
reply()
s.sendall(b"EHLO client.example.org\r\n")
reply()
s.sendall(b"STARTTLS\r\n")
time.sleep(0.5)            # smtpd has answered and waits for the handshake
s.sendall(b"MAIL FROM:<late@example.com>\r\nRCPT TO:<bob@mail.example.com>\r\n")
if not reply().startswith(b"220 "):
    raise SystemExit("no 220")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    t = ctx.wrap_socket(s, server_hostname=host)
    t.sendall(b"QUIT\r\n")
    print("TLS-OK", flush=True)
except (OSError, ssl.SSLError) as e:
    print("TLS-REFUSED %s" % e, flush=True)
PY
timeout 60 python3 "$T/late.py" "$ADDR" "$PORT" >"$T/late.out" 2>&1
ok $? "late: the dialog ran $(tail -1 "$T/late.out")"
sd_log "improper command pipelining after STARTTLS from unknown\[127\.0\.0\.1\]: MAIL FROM:<late@example\.com>\?\?RCPT TO:<bob@mail\.example\.com>\?\? \(62 bytes discarded\)" >/dev/null
ok $? "late: the plain text after the 220 is discarded and logged"
is "$(grep "late@example.com" "$LOG" | grep -vc "improper command pipelining")" 0 \
    "late: the pipelined MAIL was never executed"
is "$(grep -c "SSL_accept error" "$LOG")" 0 "late: the plain text never reached the TLS handshake"
echo "# late: $(tail -1 "$T/late.out")"

# --- and no cleanup warning for the aborts ------------------------------------------
# Everything cleanup logged before the messages above were queued is in the
# log by now: wait for the last one's line, then look.
sd_log "cleanup\[[0-9]+\]: $ID2: message-id=" >/dev/null
ok $? "cleanup logged the last message"
is "$(grep -E "cleanup\[[0-9]+\]: warning:" "$LOG" | head -3)" "" "no cleanup warning at all (no empty 'cleanup request:')"
for id in $ABORTED; do
    is "$(grep -c "$id" "$LOG")" 1 "aborted $id: only smtpd's client= line names it"
done

inst_stop
done_testing
