#!/bin/bash
# postqueue -f, -i, -s against stand-in services (no qmgr or flush daemon
# is needed): -f writes Postfix's flush trigger "FADI" to public/qmgr and
# "W" to public/pickup; -i and -s send Postfix's flush requests to
# public/flush and map its status to Postfix's messages; unreachable
# services give "mail system is down" (exit 69).
. "$POSTERN_SRC/test/lib.sh"
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
tmpdir
Q=$T/queue C=$T/etc
mkdir -p "$Q/public" "$C"
printf 'queue_directory = %s\n' "$Q" >"$C/main.cf"

# fake NAME OUTFILE [REPLY-STATUS]: one connection, record what came in.
fake() {
    python3 - "$Q/public/$1" "$2" "${3:-}" <<'PY' &
import os, socket, sys
path, out, status = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path + ".tmp"); os.rename(path + ".tmp", path); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.settimeout(5)
data = b""
while True:
    b = c.recv(4096)
    if not b: break
    data += b
    if status and data.endswith(b"\0\0"): break
if status:
    c.sendall(b"status\0" + status.encode() + b"\0\0")
open(out, "wb").write(data)
c.close()
PY
    for _ in $(seq 100); do [ -S "$Q/public/$1" ] && return 0; sleep 0.05; done
    return 1
}

fake qmgr "$T/qmgr.in" && fake pickup "$T/pickup.in"
postqueue -c "$C" -f 2>"$T/err"
ok $? "postqueue -f exits 0"
wait
is "$(cat "$T/qmgr.in")" "FADI" "-f: Postfix's flush trigger to qmgr"
is "$(cat "$T/pickup.in")" "W" "-f: a wakeup to pickup"
rm -f "$Q"/public/*

fake flush "$T/flush.in" 0
postqueue -c "$C" -s example.org 2>"$T/err"
ok $? "postqueue -s site: status 0 -> exit 0"
wait
is "$(tr '\0' '|' <"$T/flush.in")" "request|send_site|site|example.org||" "-s: request=send_site site=..."
rm -f "$Q"/public/*
fake flush "$T/flush.in" 4
postqueue -c "$C" -s example.org 2>"$T/err"
is "$?" 69 "-s: status 4 -> exit 69"
is "$(cat "$T/err")" 'postqueue: fatal: Flush service is not configured for destination "example.org"' \
    "-s: Postfix's message for a site not on the list"
wait
rm -f "$Q"/public/*
fake flush "$T/flush.in" 0
postqueue -c "$C" -i 8C4FE106096 2>"$T/err"
ok $? "postqueue -i id: exit 0"
wait
is "$(tr '\0' '|' <"$T/flush.in")" "request|send_file|queue_id|8C4FE106096||" "-i: request=send_file queue_id=..."
rm -f "$Q"/public/*

postqueue -c "$C" -i ../etc 2>"$T/err"
is "$?" 64 "-i with a bad id: exit 64"
postqueue -c "$C" -f 2>"$T/err"
is "$?" 69 "-f without qmgr: exit 69"
is "$(cat "$T/err")" "postqueue: fatal: Cannot flush mail queue - mail system is down" "-f: Postfix's message"
postqueue -c "$C" -s example.org 2>"$T/err"
is "$?" 69 "-s without the flush service: exit 69"
done_testing
