#!/bin/bash
# The smtp agent's cached session is checked with RSET before reuse, and
# with PIPELINING that RSET goes out in the same write as MAIL FROM, RCPT TO
# and DATA (one round trip less per reused session). A server that drops a
# session after its transaction leaves a stale cached session: the next
# message fails the pipelined RSET and goes over a new connection at once,
# not deferred. Relay through qmgr (relayhost) to small Python servers on
# 127.0.0.0/8 that log what each read(2) of theirs got.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
for p in qmgr cleanup master postlogd smtp; do
    if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
        echo "1..0 # SKIP $p is not installed"
        exit 0
    fi
done
command -v python3 >/dev/null || { echo "1..0 # SKIP needs python3"; exit 0; }

inst_setup
SRV_PIDS=
trap 'for p in $SRV_PIDS; do kill "$p" 2>/dev/null; done; inst_cleanup' EXIT

# srv.py PORT MODE LOG: MODE keep (sessions stay open) or drop (the server
# closes the connection after each message's 250). LOG gets "conn" per
# connection and "chunk <commands>" per read that held commands.
cat >"$T/srv.py" <<'EOF'
import socket, sys, threading
addr, port, mode, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
def note(text):
    with lock:
        with open(log, "a") as f:
            f.write(text + "\n")
def serve(c):
    note("conn")
    c.sendall(b"220 srv.test ESMTP\r\n")
    buf, data = b"", False
    while True:
        try:
            got = c.recv(65536)
        except OSError:
            break
        if not got:
            break
        buf += got
        cmds = []
        while True:
            if data:
                end = buf.find(b"\r\n.\r\n")
                if end < 0:
                    break
                buf, data = buf[end + 5:], False
                c.sendall(b"250 2.0.0 queued\r\n")
                if mode == "drop":
                    c.close()
                    note("chunk " + " ".join(cmds))
                    return
                continue
            nl = buf.find(b"\r\n")
            if nl < 0:
                break
            line, buf = buf[:nl].decode("ascii", "replace"), buf[nl + 2:]
            verb = line.split(" ")[0].split(":")[0].upper()
            cmds.append(verb)
            if verb == "EHLO":
                c.sendall(b"250-srv.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == "DATA":
                c.sendall(b"354 go\r\n")
                data = True
            elif verb == "QUIT":
                c.sendall(b"221 bye\r\n")
                c.close()
                note("chunk " + " ".join(cmds))
                return
            else:
                c.sendall(b"250 ok\r\n")
        if cmds:
            note("chunk " + " ".join(cmds))
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
start_srv() { # start_srv MODE LOGFILE: sets PORT
    PORT=$(inst_port)
    python3 "$T/srv.py" "$ADDR" "$PORT" "$1" "$2" >"$2.out" 2>&1 &
    SRV_PIDS="$SRV_PIDS $!"
    inst_wait grep -q ready "$2.out"
}
start_srv keep "$T/keep.log"
KEEP_PORT=$PORT
start_srv drop "$T/drop.log"
DROP_PORT=$PORT

inst_param transport_maps "inline:{keep.test=smtp:[$ADDR]:$KEEP_PORT, drop.test=smtp:[$ADDR]:$DROP_PORT}"
inst_param smtp_connection_cache_on_demand yes
inst_param smtp_connection_cache_time_limit 30s
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_service "smtp      unix  -       -       n       -       1       smtp"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

send() { # send RCPT: one message through cleanup; its queue id in $T/ids
    (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" -f alice@example.com -r "$1" \
        <<<"Subject: reuse

hello") | sed -n 's/^queue_id=//p' >>"$T/ids"
}
sent() { grep -qE "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<$1>.*status=sent" "$LOG"; }

# 1. keep: three messages one after another over one session.
for i in 1 2 3; do
    send "k$i@keep.test"
    check "keep message $i sent" inst_wait sent "k$i@keep.test"
done
is "$(grep -c '^conn' "$T/keep.log")" 1 "one connection for three messages"
like_flat "$(grep '^chunk' "$T/keep.log")" "RSET MAIL RCPT DATA" \
    "a reused session's RSET came in one read with MAIL FROM, RCPT TO and DATA"
is "$(grep -c '^chunk RSET$' "$T/keep.log")" 0 "no RSET alone (no extra round trip)"

# 2. drop: the server closes after each message; the cached session is stale.
for i in 1 2 3; do
    send "d$i@drop.test"
    check "drop message $i sent" inst_wait sent "d$i@drop.test"
done
is "$(grep -c '^conn' "$T/drop.log")" 3 "a new connection for each message"
check "nothing deferred" bash -c "! grep -q 'status=deferred' '$LOG'"
check "the queue is empty" inst_wait bash -c "[ -z \"\$(find '$Q/incoming' '$Q/active' '$Q/deferred' -type f)\" ]"

inst_stop
check "no panic, fatal error, sanitizer report or crash" bash -c \
    "! grep -E 'panic|fatal|runtime error|Sanitizer|exit status|killed' '$LOG'"
done_testing
