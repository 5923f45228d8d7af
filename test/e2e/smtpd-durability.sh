#!/bin/bash
# What the client is told matches what is on disk: cleanup killed with
# SIGKILL in the middle of a message leaves no complete queue file and the
# client gets a 4xx, never 250; a message that got 250 survives
# `postfix abort` and a restart.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup
sd_start
ok $? "master, smtpd and cleanup run"

# The client stops in the middle of DATA and waits for a line on stdin
# (the coprocess pipe; the script itself is a file).
cat >"$T/client.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode().rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line
reply()
for cmd in ("EHLO c.example", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@relay.test>", "DATA"):
    s.sendall(cmd.encode() + b"\r\n")
    reply()
s.sendall(b"Subject: interrupted\r\n\r\nfirst half\r\n")
print("HALF", flush=True)
sys.stdin.readline()
s.sendall(b"second half\r\n.\r\n")
print("REPLY " + reply(), flush=True)
s.sendall(b"QUIT\r\n")
print("QUIT " + reply(), flush=True)
PY
client() { python3 -u "$T/client.py" "$ADDR" "$PORT"; }

coproc CLIENT { client; }
read -r -t 20 half <&"${CLIENT[0]}"
is "$half" "HALF" "the client is in the middle of DATA"
# master may be forking a spare cleanup right now: wait until the list of
# cleanup workers is stable, then kill them all (the spare does no harm).
stable() {
    local a b
    a=$(inst_workers cleanup | sort)
    sleep 0.2
    b=$(inst_workers cleanup | sort)
    [ -n "$a" ] && [ "$a" = "$b" ]
}
inst_wait stable
victims=$(inst_workers cleanup | tr '\n' ' ')
ok $([ -n "$victims" ] && echo 0 || echo 1) "cleanup serves it (pids $victims)"
kill -KILL $victims
echo go >&"${CLIENT[1]}"
read -r -t 20 answer <&"${CLIENT[0]}"
like "$answer" "^REPLY 4[0-9][0-9] " "cleanup killed: the client gets a 4xx ($answer), not 250"
read -r -t 20 quit <&"${CLIENT[0]}"
is "$quit" "QUIT 221 2.0.0 Bye" "the session goes on"
wait "$CLIENT_PID" 2>/dev/null
complete=0
for f in $(inst_queue_files incoming); do inst_complete "$Q/incoming/$f" && complete=$((complete + 1)); done
is "$complete" "0" "no complete queue file after the kill"

# 250 means on disk: abort master at once, start again, the file is there.
swaks --server "$ADDR:$PORT" --from alice@example.com --to bob@relay.test \
    --h-Subject survivor --body 'must survive' >"$T/swaks.out" 2>&1
id=$(grep -oE 'queued as [0-9A-F]+' "$T/swaks.out" | awk '{print $3}')
like "$id" '^[0-9A-F]+$' "a message is queued ($id)"
kids=$(pgrep -P "$MPID" | tr '\n' ' ')
postfix abort >/dev/null 2>&1
inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
ok $? "postfix abort stops master"
# Its workers see master go and exit on their own; wait for them (they hold
# the listening sockets) before starting again.
gone() { local p; for p in $kids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
inst_wait gone
sd_start
ok $? "started again"
inst_complete "$Q/incoming/$id" && inst_postcat "$Q/incoming/$id" | grep -qx "must survive"
ok $? "the message that got 250 is complete and intact after abort and restart"

inst_stop
! grep -E "panic|AddressSanitizer|runtime error" "$LOG"
ok $? "no panic or sanitizer report in the log"
done_testing
