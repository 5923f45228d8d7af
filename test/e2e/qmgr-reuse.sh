#!/bin/bash
# qmgr keeps an agent connection for several requests (deliver_agent_serve
# on the agent side, QMGR_CONN in qmgr): messages queued one after another
# go to one discard process over one connection; the agent's max_use still
# ends the process (so requests per pid <= max_use); an agent SIGKILLed
# while qmgr keeps its connection, and one SIGKILLed in the middle of a
# burst, lose no mail: every message is delivered and the queue ends empty.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
for p in qmgr cleanup master postlogd discard; do
    if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
        echo "1..0 # SKIP $p is not installed"
        exit 0
    fi
done
MAXUSE=8

inst_setup
inst_param default_transport discard
inst_param minimal_backoff_time 1s
inst_param maximal_backoff_time 2s
inst_param queue_run_delay 1s
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_service "discard   unix  -       -       n       -       1       discard -v -o max_use=$MAXUSE"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

# submit N FIRST: N messages, one recipient each (uN@example.net), ids appended to $T/ids
submit() {
    local i
    for i in $(seq "$2" $(($2 + $1 - 1))); do
        (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" -f alice@example.com \
            -r "u$i@example.net" <<<"Subject: reuse $i

hello") | sed -n 's/^queue_id=//p' >>"$T/ids"
    done
}
sent_count() { grep -cE 'postfix/discard\[[0-9]+\]: [0-9A-F]+: to=<u[0-9]+@example.net>.*status=sent' "$LOG"; }
sent_atleast() { [ "$(sent_count)" -ge "$1" ]; }
all_sent() {
    local id
    for id in $(cat "$T/ids"); do
        grep -qE "postfix/discard\[[0-9]+\]: $id: to=.*status=sent" "$LOG" || return 1
    done
}
queue_empty() {
    [ -z "$(inst_queue_files incoming)$(inst_queue_files active)$(inst_queue_files deferred)" ]
}

# 1. Twenty messages, one at a time: few connections carry them all.
submit 20 1
check "20 messages delivered" inst_wait sent_atleast 20
check "every request's connection was closed (verbose line)" inst_wait bash -c \
    "[ \$(grep -oE 'discard\[[0-9]+\]: connection closed after [0-9]+ request' '$LOG' | awk '{s+=\$(NF-1)} END {print s+0}') -ge 20 ]"
conns=$(grep -oE 'discard\[[0-9]+\]: connection closed after [0-9]+ request' "$LOG")
nconn=$(wc -l <<<"$conns")
maxreq=$(awk '{print $(NF-1)}' <<<"$conns" | sort -n | tail -1)
echo "# $nconn connections for 20 requests, at most $maxreq on one"
ok "$([ "$maxreq" -ge 2 ] && echo 0 || echo 1)" "one connection carried several requests ($maxreq)"
ok "$([ "$nconn" -lt 20 ] && echo 0 || echo 1)" "fewer connections than requests ($nconn < 20)"
# max_use: no agent process served more than MAXUSE requests
perpid=$(grep -oE 'postfix/discard\[[0-9]+\]: [0-9A-F]+: to=<u[0-9]+@example.net>' "$LOG" |
    sed -E 's/.*discard\[([0-9]+)\].*/\1/' | sort | uniq -c | awk '{print $1}' | sort -n | tail -1)
ok "$([ "$perpid" -le $MAXUSE ] && echo 0 || echo 1)" "no agent served more than max_use=$MAXUSE requests ($perpid)"
npids=$(grep -oE 'postfix/discard\[[0-9]+\]: [0-9A-F]+: to=' "$LOG" | sed -E 's/.*discard\[([0-9]+)\].*/\1/' | sort -u | wc -l)
ok "$([ "$npids" -ge 3 ] && echo 0 || echo 1)" "max_use ended agents: $npids processes for 20 requests"
check "nothing deferred" bash -c "! grep -q 'unknown mail transport error' '$LOG'"

# 2. SIGKILL the agent while qmgr keeps its connection, then more mail.
submit 1 21
check "message 21 delivered" inst_wait sent_atleast 21
pid=$(inst_workers discard | head -1)
like "$pid" '^[0-9]+$' "an agent holds the kept connection ($pid)"
kill -9 "$pid" 2>/dev/null
check "the killed agent is gone" inst_wait bash -c "! kill -0 $pid 2>/dev/null"
submit 5 22
check "five more delivered after the kill" inst_wait sent_atleast 26
check "no delivery failed over the dead connection" bash -c "! grep -q 'delivery via .* failed' '$LOG'"

# 3. SIGKILL the agent in the middle of a burst of 60.
submit 60 27 &
spid=$!
inst_wait sent_atleast 40
pid=$(inst_workers discard | head -1)
[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
echo "# killed agent ${pid:-none} at $(sent_count) delivered"
wait $spid
is "$(sort -u "$T/ids" | wc -l)" 86 "86 messages queued in all"
INST_WAIT=300 check "every message delivered (at least once)" inst_wait all_sent
INST_WAIT=300 check "the queue is empty" inst_wait queue_empty

inst_stop
check "qmgr exited cleanly" bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
check "no agent crashed on its own" bash -c "! grep -E 'discard.*(panic|fatal|runtime error|Sanitizer)' '$LOG'"
done_testing
