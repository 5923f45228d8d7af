#!/bin/bash
# master's process management: maxproc limits concurrent workers and more are
# spawned on demand up to it; a worker killed with SIGKILL is logged and
# replaced while the others keep serving; max_use ends a worker after N
# clients; a worker that fails at start throttles its service (no fork loop);
# wakeup timers send triggers, "N?" only once the service was used.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
P1=$(mt_port) P2=$(mt_port) P3=$(mt_port) P4=$(mt_port) P5=$(mt_port) P6=$(mt_port) P7=$(mt_port)
mkdir "$T/abs" && cp "$D/test_echo" "$T/abs/"
cp "$POSTERN_BUILD/test/daemons/test_multi" "$D/"
mt_master_cf "$ADDR:$P1 inet n - n - 2 test_echo
$ADDR:$P2 inet n - n - 1 test_echo -o max_use=2
$ADDR:$P3 inet n - n - - test_echo fail
$ADDR:$P4 inet n - n - - test_echo
tick unix n - n 1 1 test_trigger $T/ticks
lazy unix n - n 1? 1 test_trigger $T/lazy
fifotick fifo n - n 1 1 test_trigger $T/fifoticks
$ADDR:$P5 inet n - n - 1 test_multi
passer pass n - n - - test_echo
$ADDR:$P6 inet n - n - - test_echo -o max_idle=1
$ADDR:$P7 inet n - n - - $T/abs/test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
mt_start
ok $? "master runs"

# maxproc 2: two clients get two workers, a third waits.
exec 5<>"/dev/tcp/$ADDR/$P1"
h5=$(mt_hello 5)
exec 6<>"/dev/tcp/$ADDR/$P1"
h6=$(mt_hello 6)
w5=$(echo "$h5" | sed 's/.* pid=\([0-9]*\) .*/\1/')
w6=$(echo "$h6" | sed 's/.* pid=\([0-9]*\) .*/\1/')
ok $([ -n "$w5" ] && [ -n "$w6" ] && [ "$w5" != "$w6" ] && echo 0 || echo 1) \
    "two concurrent clients are served by two workers spawned on demand"
exec 7<>"/dev/tcp/$ADDR/$P1"
h7=$(mt_hello 7 1)
is "$h7" "" "maxproc 2: a third concurrent client is not served while both are busy"
is "$(mt_count_workers "$ADDR:$P1")" "2" "maxproc 2: never more than two workers"
mt_wait grep -q "warning: service \"$ADDR:$P1\" ($P1) has reached its process limit \"2\": new clients may experience noticeable delays" "$LOG"
ok $? "master warns that the service has reached its process limit"

# SIGKILL one: logged, the other keeps serving, the waiting client gets a new worker.
kill -KILL "$w5"
mt_wait grep -q "warning: process $D/test_echo pid $w5 killed by signal 9" "$LOG"
ok $? "master logs the killed worker the way Postfix does"
h7=$(mt_hello 7)
w7=$(echo "$h7" | sed 's/.* pid=\([0-9]*\) .*/\1/')
ok $([ -n "$w7" ] && [ "$w7" != "$w5" ] && [ "$w7" != "$w6" ] && echo 0 || echo 1) \
    "a replacement worker serves the waiting client"
echo "still here" >&6
is "$(mt_hello 6)" "still here" "the other worker keeps serving its client"
kill -0 "$MPID"
ok $? "master survives"
exec 5>&- 6>&- 7>&-

# max_use=2 (maxproc 1): the worker serves two clients, then a new one takes over.
pids=""
for i in 1 2 3; do
    exec 5<>"/dev/tcp/$ADDR/$P2"
    h=$(mt_hello 5)
    pids="$pids $(echo "$h" | sed 's/.* pid=\([0-9]*\) .*/\1/')"
    echo quit >&5
    IFS= read -r -t 5 _ <&5
    exec 5>&-
done
set -- $pids
ok $([ "$1" = "$2" ] && [ "$3" != "$1" ] && [ -n "$3" ] && echo 0 || echo 1) \
    "max_use=2: clients 1 and 2 share a worker, client 3 gets a new one ($pids)"
mt_wait mt_gone "$1"
ok $? "the used-up worker has exited"
ok $(grep -q "pid $1 exit status" "$LOG" && echo 1 || echo 0) "and it exited normally"

exec 5<>"/dev/tcp/$ADDR/$P7"
like "$(mt_hello 5)" "^hello service=$ADDR:$P7 " "a command given as an absolute path name is run as is"
exec 5>&-

# max_idle=1: an idle worker exits on its own after a second, normally.
exec 5<>"/dev/tcp/$ADDR/$P6"
wi=$(mt_hello 5 | sed 's/.* pid=\([0-9]*\) .*/\1/')
exec 5>&-
mt_alive "$wi"
ok $? "the worker outlives its client ($wi)"
MT_WAIT=40 mt_wait mt_gone "$wi"
ok $? "max_idle=1: the idle worker exits"
ok $(grep -q "pid $wi exit status" "$LOG" && echo 1 || echo 0) "normally"

# A worker that fails at start: logged, throttled, not respawned in a loop.
exec 5<>"/dev/tcp/$ADDR/$P3"
mt_wait grep -q "warning: $D/test_echo: bad command startup -- throttling" "$LOG"
ok $? "a startup failure throttles the service"
sleep 1.5   # a window in which an unthrottled master would fork many times
is "$(grep -c "fatal: failing at start" "$LOG")" "1" "only one attempt during the throttle time"
exec 5>&-
exec 6<>"/dev/tcp/$ADDR/$P4"
like "$(mt_hello 6)" "^hello " "other services are not throttled"
exec 6>&-

# Wakeup timers: "1" sends a trigger every second, "1?" only after a first use.
mt_wait bash -c "[ \$(grep -c 'bytes=W' '$T/ticks' 2>/dev/null) -ge 3 ]"
ok $? "wakeup 1: master sends a trigger every second"
is "$(sed 's/.*pid=\([0-9]*\).*/\1/' "$T/ticks" | sort -u | wc -l | tr -d ' ')" "1" \
    "one trigger-server worker handles them all"
ok $([ -e "$T/lazy" ] && echo 1 || echo 0) "wakeup 1?: no trigger before the service is used"
is "$(stat -c '%F %a' "$Q/public/fifotick")" "fifo 622" "a fifo service is a FIFO in public/, mode 622"
mt_wait bash -c "[ \$(grep -c 'bytes=W' '$T/fifoticks' 2>/dev/null) -ge 2 ]"
ok $? "wakeup triggers reach a fifo trigger server"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.send(b'X')
s.close()" "$Q/public/lazy"
mt_wait grep -q "bytes=X" "$T/lazy"
ok $? "a client's trigger reaches the trigger server"
mt_wait bash -c "[ \$(grep -c 'bytes=W' '$T/lazy' 2>/dev/null) -ge 1 ]"
ok $? "wakeup 1?: triggers follow once the service was used"

# The multi-server model: one process, many clients.
exec 5<>"/dev/tcp/$ADDR/$P5"
h5=$(mt_hello 5)
exec 6<>"/dev/tcp/$ADDR/$P5"
h6=$(mt_hello 6)
m5=$(echo "$h5" | sed 's/.* pid=\([0-9]*\) .*/\1/')
like "$h6" "^hello multi pid=$m5 clients=2\$" "a multi server takes a second client in the same process"
echo one >&5
echo two >&6
is "$(mt_hello 5) $(mt_hello 6)" "one two" "and serves both"
exec 5>&- 6>&-

# A pass service: the client arrives as a descriptor sent over the socket.
out=$(python3 - "$Q/public/passer" <<'PY'
import socket, sys
a, b = socket.socketpair()
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
socket.send_fds(s, [b"x"], [b.fileno()])
s.close()
b.close()
a.settimeout(5)
print(a.makefile().readline().strip())
PY
)
like "$out" "^hello service=passer " "a pass service serves the descriptor it receives"

postfix stop >/dev/null 2>&1
ok $? "stop"
done_testing
