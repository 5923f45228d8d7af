#!/bin/bash
# Hostile and broken clients: every malformed command or parameter
# (overlong, NUL, bare CR, control and 8-bit bytes in the wrong place) gets a
# reply and the same smtpd process goes on serving; HTTP and message
# header lines sent as commands are turned away; an empty line is 500;
# too many errors end the session with 421; a client that dribbles a byte
# at a time is cut at the deadline of its request (command and DATA), not
# kept forever.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "smtpd_timeout = 2s" "smtpd_hard_error_limit = 30" "smtpd_min_data_rate = 500" \
    "smtpd_junk_command_limit = 5"
sd_start
ok $? "master and smtpd run"

long=$(head -c 3000 /dev/zero | tr '\0' a)
longaddr=$(head -c 300 /dev/zero | tr "\0" b)
longparam=$(head -c 600 /dev/zero | tr '\0' c)
sd_dialog malformed <<D
S~ 220 .*
R: EHLO c.example\r\n
M: 250
R: MAIL\x00FROM:<a@example.com>\r\n
S: 500 5.5.2 Error: bad syntax
R: EHLO a\rb\r\n
S: 500 5.5.2 Error: bad syntax
R: NOOP \x01\x02\x1b[2J\r\n
S: 500 5.5.2 Error: bad syntax
C: NOOP $long
S: 500 5.5.2 Error: line too long
R: NOOP\n
S: 250 2.0.0 Ok
R: MAIL FROM:<a@example.com> BODY=8BIT\xc3\xa9\r\n
S: 501 5.5.4 Unsupported BODY parameter
R: MAIL FROM:<a@example.com> \xc3\xa9=1\r\n
S: 555 5.5.4 Unsupported option: ??
C: MAIL FROM:<a@$longaddr.example.com>
S: 501 5.1.7 Bad sender address syntax
C: MAIL FROM:<a@example.com> ENVID=$longparam
S: 501 5.5.4 Error: parameter too long
R: MAIL FROM:<a@exa\xffmple.com>\r\n
S: 501 5.1.7 Bad sender address syntax
R: MAIL FROM:<a@ex\xc3\xa4mple.com>\r\n
S: 553 5.6.7 Must declare SMTPUTF8 to send unicode address
R: MAIL FROM:<a@\xff\xfe> SMTPUTF8\r\n
S: 501 5.1.7 Bad sender address syntax
R: MAIL FROM:<a@example.com> ENVID=caf\xc3\xa9\r\n
S: 501 5.5.4 Bad ENVID parameter syntax
C: MAIL FROM:<a@example.com> SMTPUTF8
S: 250 2.1.0 Ok
R: RCPT TO:<bob@mail.example.com> ORCPT=rfc822;\xc3\xa9@example.com\r\n
S: 501 5.5.4 Error: Bad ORCPT parameter syntax
R: RCPT TO:<bob@mail.example.com> ORCPT=rfc822;a+00\r\n
S: 501 5.5.4 Error: Bad ORCPT parameter syntax
R: RCPT TO:<bob@[999.1.1.1]>\r\n
S: 501 5.1.3 Bad recipient address syntax
R: RCPT TO:<"unterminated@mail.example.com>\r\n
S: 501 5.1.3 Bad recipient address syntax
C: BDAT
S: 501 5.5.4 Syntax: BDAT count [LAST]
C: BDAT -1
S: 501 5.5.4 Syntax: BDAT count [LAST]
C: BDAT 99999999999999999999
S: 501 5.5.4 Syntax: BDAT count [LAST]
C: BDAT 1 LAST EXTRA
S: 501 5.5.4 Syntax: BDAT count [LAST]
C: QUIT
S: 221 2.0.0 Bye
EOF
D

sd_dialog http <<'D'
S~ 220 .*
R: GET / HTTP/1.0\r\nHost: x\r\n\r\n
S: 221 2.7.0 Error: I can break rules, too. Goodbye.
EOF
D
like "$(sd_log "non-SMTP command")" "warning: non-SMTP command from unknown\[127.0.0.1\]: GET / HTTP/1.0" \
    "HTTP: a warning names the client"

# A line still unended after smtpd's 1 MB discard allowance: 421 and the end
# of the session. Exactly line_length_limit + 1 MB + 1 bytes are sent, all of
# which smtpd must read to decide, so its close cannot race the reply.
python3 - "$ADDR" "$PORT" >"$T/huge.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"NOOP " + b"a" * (2048 - 5 + 1048576 + 1))
print(f.readline().decode().rstrip())
print("EOF" if f.readline() == b"" else "more")
PY
is "$(cat "$T/huge.out")" "421 4.7.0 mail.example.com Error: line too long
EOF" "a line unended after 1 MB: 421 4.7.0 line too long, then the end of the session"
like "$(sd_log "line too long after")" "line too long after CONNECT from unknown\[127.0.0.1\]" \
    "a line unended after 1 MB: logged"

# Message text sent as commands (a header line, as after a refused DATA):
# Postfix's answer is to hang up. An empty line is a syntax error.
sd_dialog header-as-command <<'D'
S~ 220 .*
C: EHLO c.example
M: 250
C:
S: 500 5.5.2 Error: bad syntax
R:  \t \r\n
S: 500 5.5.2 Error: bad syntax
R:   NOOP\r\n
S: 250 2.0.0 Ok
C: X-Custom:value
S: 221 2.7.0 Error: I can break rules, too. Goodbye.
EOF
D
like "$(sd_log "non-SMTP command from .*X-Custom")" "warning: non-SMTP command from unknown\[127.0.0.1\]: X-Custom:value" \
    "a header line as a command: a warning names the client"
sd_dialog header-subject <<'D'
S~ 220 .*
C: Subject: hello
S: 221 2.7.0 Error: I can break rules, too. Goodbye.
EOF
D

{
    echo 'S~ 220 .*'
    for i in $(seq 29); do echo 'C: BOGUS'; echo 'S: 502 5.5.2 Error: command not recognized'; done
    echo 'C: BOGUS'
    echo 'S: 502 5.5.2 Error: command not recognized'
    echo 'S: 421 4.7.0 mail.example.com Error: too many errors'
    echo 'EOF'
} >"$T/error-limit.in"
sd_dialog error-limit <"$T/error-limit.in"
like "$(sd_log "too many errors")" "too many errors after UNKNOWN from unknown\[127.0.0.1\]" \
    "error limit: logged"

# NOOP forever: past smtpd_junk_command_limit each one is an error.
{
    echo 'S~ 220 .*'
    for i in $(seq 34); do echo 'C: NOOP'; echo 'S: 250 2.0.0 Ok'; done
    echo 'C: NOOP'
    echo 'S: 250 2.0.0 Ok'
    echo 'S: 421 4.7.0 mail.example.com Error: too many errors'
    echo 'EOF'
} >"$T/junk-limit.in"
sd_dialog junk-limit <"$T/junk-limit.in"

# A byte every half second: the command's 2 s are up long before the line ends.
start=$(date +%s.%N)
sd_dialog slow-command <<'D'
S~ 220 .*
SLOW: 0.5 EHLO aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n
S: 421 4.4.2 mail.example.com Error: timeout exceeded
EOF
D
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
ok $(echo "$elapsed < 6" | bc | grep -q 1; echo $?) "slow command: cut after ${elapsed}s (deadline 2 s)"
like "$(sd_log "timeout after CONNECT")" "timeout after CONNECT from unknown\[127.0.0.1\]" \
    "slow command: Postfix's log line"

sd_dialog slow-data <<'D'
S~ 220 .*
C: EHLO c.example
M: 250
C: MAIL FROM:<a@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
SLOW: 0.3 Subject: slow\r\n\r\nbody body body body body body body body\r\n
S: 421 4.4.2 mail.example.com Error: timeout exceeded
EOF
D
like "$(sd_log "timeout after DATA")" "timeout after DATA \\([0-9]+ bytes\\) from unknown\\[127.0.0.1\\]" "slow DATA: cut, and logged"

# Random bytes, in lines and not (fixed seed): answered or dropped, never a
# crash. Words that make commands are mixed in so the parsers get exercised.
python3 - "$ADDR" "$PORT" >"$T/fuzz.out" 2>&1 <<'PY'
import random, socket, sys
r = random.Random(4711)
words = [b"EHLO", b"HELO", b"MAIL FROM:<", b"RCPT TO:<", b"DATA", b"BDAT ", b"RSET", b"NOOP",
         b"VRFY ", b"ETRN ", b"@", b">", b"<>", b" SIZE=", b" BODY=8BITMIME", b" NOTIFY=",
         b" ORCPT=rfc822;", b" ENVID=", b" RET=", b" SMTPUTF8", b"+2B", b"\r", b"\n", b"\0",
         b"\r\n.\r\n", b"\xff", b"\xc3\xa9", b"[", b"]", b"\"", b"."]
for session in range(20):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    payload = b"EHLO fuzz.example\r\n"
    for _ in range(60):
        parts = [r.choice(words) if r.random() < 0.6 else bytes(r.getrandbits(8) for _ in range(r.randint(1, 12)))
                 for _ in range(r.randint(1, 8))]
        payload += b"".join(parts) + b"\r\n"
    payload += b"QUIT\r\n"
    try:
        s.sendall(payload)
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()
print("done")
PY
is "$(tail -1 "$T/fuzz.out")" "done" "random input: every session ends"

# No crash: master logs any smtpd killed by a signal or ending with an exit
# status (checked below). Counting smtpd pids would not do: under load master
# rightly starts a second smtpd on demand.
postfix stop >/dev/null 2>&1
ok $? "postfix stop"
! grep -E "panic|fatal|AddressSanitizer|runtime error|signal [0-9]|exit status" "$LOG" | grep -v "terminating on signal"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
