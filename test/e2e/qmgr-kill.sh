#!/bin/bash
# Durability: qmgr is SIGKILLed (twice) in the middle of a run of 300
# messages; nothing is lost. After each kill the files it had in active/
# are still there; the next qmgr moves active/ back to incoming/ at start
# and delivers everything: every message reaches the agent at least once
# and is removed, and the queue ends empty.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd
N=300

inst_setup
A=$T/agent
inst_agent test "$A"
inst_param default_transport test
inst_param test_destination_concurrency_limit 3
inst_param test_destination_recipient_limit 2
echo 30 >"$A/delay"
# Queue everything first (no qmgr yet), then add qmgr: a long run to kill.
check "postfix start" inst_start
echo "# $(date +%T) started"

MSG="Subject: durability

hello"
# Four submitters in parallel (each with its own output file).
batch() {
    local i
    for i in $(seq "$1" 4 $N); do
        (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" -f alice@example.com \
            -r r$((i % 7))@d$((i % 5)).test -r s$i@d$((i % 3)).test <<<"$MSG") |
            sed -n 's/^queue_id=//p' >>"$T/ids.$1"
    done
}
for b in 1 2 3 4; do batch $b & done
wait
cat "$T"/ids.? >"$T/ids"
is "$(sort -u "$T/ids" | wc -l)" $N "$N messages queued"
echo "# $(date +%T) queued"
is "$(inst_queue_files incoming | wc -l)" $N "all in incoming/"
first_active=$(inst_queue_files incoming | head -5)
# Five of them in active/ already, as a qmgr that died would leave them.
for f in $(inst_queue_files incoming | head -5); do mv "$Q/incoming/$f" "$Q/active/$f"; done
is "$(inst_queue_files active | wc -l)" 5 "five messages left in active/ before qmgr starts"
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
postfix reload >/dev/null 2>&1
check "qmgr listens after postfix reload" inst_wait_sock public/qmgr
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"I"); s.close()' "$Q/public/qmgr"

delivered_ids() { cut -d' ' -f1 "$A/delivered" 2>/dev/null | sort -u | wc -l; }
atleast() { [ "$(delivered_ids)" -ge "$1" ]; }
qmgr_pid() { inst_workers qmgr | head -1; }
wake() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"I"); s.close()' "$Q/public/qmgr"; }

new_qmgr() { local q; q=$(qmgr_pid); [ -n "$q" ] && [ "$q" != "$1" ]; }
kills=0
for at in 40 140; do
    INST_WAIT=300 check "some messages delivered ($at)" inst_wait atleast $at
    p=$(qmgr_pid)
    if [ -n "$p" ]; then
        kill -KILL "$p" && kills=$((kills + 1))
        inst_wait bash -c "! kill -0 $p 2>/dev/null"
        n=$(inst_queue_files active | wc -l)
        note="$n in active/ at the kill"
        check "after SIGKILL, qmgr's messages are still in active/ ($note)" test "$n" -gt 0
        wake
        check "master starts a new qmgr" inst_wait new_qmgr "$p"
    fi
done
is "$kills" 2 "qmgr was killed twice during the run"

INST_WAIT=400 check "every message delivered at least once" inst_wait atleast $N
done_all() { [ -z "$(inst_queue_files incoming)$(inst_queue_files active)$(inst_queue_files deferred)" ]; }
INST_WAIT=200 check "the queue ends empty" inst_wait done_all
# (a kill between the unlink and its log line loses that line, not the
# message; and the skeleton drops a log line rather than block when
# postlogd's queue is full under this load: allow one line per kill)
removed=$(grep -oE 'qmgr\[[0-9]+\]: [0-9A-F]+: removed' "$LOG" | awk '{print $2}' | sort -u | wc -l)
check "every message logged removed ($removed of $N; at most $kills lines lost to the kills)" \
    test "$removed" -ge $((N - kills)) -a "$removed" -le $N
missing=$(sort -u "$T/ids" | while read -r id; do grep -q "^$id " "$A/delivered" || echo "$id"; done | wc -l)
is "$missing" 0 "no queued message missing from the agent's deliveries"
echo "# deliveries counted: $(wc -l <"$A/delivered") for $((2 * N)) recipients (repeats are allowed, losses are not)"
is "$(awk '{print $1, $2}' "$A/delivered" | sort -u | wc -l)" $((2 * N)) "every recipient delivered"
check "qmgr started three times" test "$(grep -oE 'postfix/qmgr\[[0-9]+\]' "$LOG" | sort -u | wc -l)" -ge 3
for f in $first_active; do
    check "$f (left in active/ before the start) was delivered" grep -q "^$f " "$A/delivered"
done
check "no corrupt files" test -z "$(inst_queue_files corrupt)"
inst_stop
done_testing
