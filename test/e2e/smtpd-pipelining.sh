#!/bin/bash
# Postfix's "improper command pipelining after CMD from CLIENT: TEXT" line
# shows the start of the input that came too early, whether smtpd had it
# in its own buffer already (one write: EHLO and MAIL) or it was still in
# the socket when smtpd looked (NOOP, then MAIL once smtpd has read NOOP:
# strace holds smtpd's read back meanwhile, so the order is certain). The
# text is never empty.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup
# One smtpd: the one the test slows down is the one the client talks to.
inst_master_cf "$ADDR:$PORT inet n - y - 1 smtpd
cleanup   unix  n       -       y       -       0       cleanup
postlog   unix-dgram n  -       n       -       1       postlogd"
sd_start
ok $? "master, smtpd and cleanup run"

# Buffered: MAIL arrives in the same write as EHLO.
sd_dialog buffered <<'D'
S~ 220 .*
R: EHLO c.example\r\nMAIL FROM:<early@example.com>\r\n
M: 250
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "improper command pipelining after EHLO")" \
    "improper command pipelining after EHLO from unknown\[127.0.0.1\]: MAIL FROM:<early@example.com>\\\\r\\\\n$" \
    "buffered: the pipelined command's text is logged, escaped"

# Not yet read: MAIL reaches the socket after smtpd read NOOP, before it
# looked for more.
STRACE=
if command -v strace >/dev/null; then
    python3 "$POSTERN_SRC/test/data/smtpd/pipeline-late.py" "$ADDR" "$PORT" "$T/ready" "$T/go" \
        2>"$T/late.err" &
    CLIENT=$!
    inst_wait test -s "$T/ready"
    pid=$(inst_workers "$ADDR:$PORT")
    # Every read smtpd makes returns 2 s late: NOOP stays in smtpd's hands
    # that long, and the client sends MAIL as soon as NOOP left the socket.
    strace -p "$pid" -o "$T/strace.out" -e trace=read,recvfrom \
        -e inject=read,recvfrom:delay_exit=2000000 2>"$T/strace.err" &
    STRACE=$!
    if inst_wait grep -q "attached" "$T/strace.err"; then
        : >"$T/go"
        wait "$CLIENT"
        ok $? "not yet read: the client's dialog went as written $(head -c 300 "$T/late.err")"
        kill -INT "$STRACE" 2>/dev/null
        wait "$STRACE" 2>/dev/null
        like "$(sd_log "improper command pipelining after NOOP")" \
            "improper command pipelining after NOOP from unknown\[127.0.0.1\]: MAIL FROM:<late@example.com>\\\\r\\\\n$" \
            "not yet read: the text waiting in the socket is logged, escaped"
    else
        kill "$STRACE" "$CLIENT" 2>/dev/null
        wait "$STRACE" "$CLIENT" 2>/dev/null
        skip "strace cannot attach to smtpd $pid: $(head -c 200 "$T/strace.err")"
        skip "strace cannot attach to smtpd"
    fi
else
    skip "strace is not installed"
    skip "strace is not installed"
fi
is "$(grep -c "improper command pipelining after .*: $" "$LOG")" 0 "no line with an empty text"
sd_finish
done_testing
