#!/bin/bash
# master's limits and failure handling, beyond master-procs.sh: a "-" in the
# process limit column means default_process_limit, 0 means no limit; a
# worker that exits with a non-zero status while serving is logged with that
# status and replaced, without throttling; a service throttled for failing
# at start is tried again once service_throttle_time has passed and serves
# again when the cause is gone; when master is killed its workers go too
# (a busy one after its client) and the system starts again; a spawn that
# fails (no descriptors left) throttles the service, a worker that cannot
# accept exits and gives way to a new one; a master that
# does not stop is stopped with force by postfix stop.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
# A worker here runs out of descriptors: the sanitizer's exit check could not
# open a report file then, and would fail the worker; keep it on stderr.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS=$ASAN_OPTIONS:log_path=stderr
mt_setup
P1=$(mt_port) P2=$(mt_port) P3=$(mt_port) P4=$(mt_port) P5=$(mt_port) P6=$(mt_port)
inst_param default_process_limit 2
inst_param service_throttle_time 2s
touch "$T/broken"
mt_master_cf "$ADDR:$P1 inet n - n - - test_echo
$ADDR:$P2 inet n - n - - test_echo failif=$T/broken
$ADDR:$P3 inet n - n - 0 test_echo
$ADDR:$P4 inet n - n - - test_echo
$ADDR:$P5 inet n - n - - nosuchprogram
$ADDR:$P6 inet n n n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
mt_start
ok $? "master runs"
pid_of() { sed 's/.* pid=\([0-9]*\) .*/\1/'; }

# "-": default_process_limit (2).
exec 5<>"/dev/tcp/$ADDR/$P1" 6<>"/dev/tcp/$ADDR/$P1" 7<>"/dev/tcp/$ADDR/$P1"
w5=$(mt_hello 5 | pid_of)
w6=$(mt_hello 6 | pid_of)
is "$(mt_hello 7 1)" "" "maxproc -: a third client waits with default_process_limit = 2"
is "$(mt_count_workers "$ADDR:$P1")" "2" "maxproc -: two workers"
mt_wait grep -q "service \"$ADDR:$P1\" ($P1) has reached its process limit \"2\"" "$LOG"
ok $? "the limit master names is default_process_limit's"

# A worker that fails while serving: logged with its exit status, replaced, no throttle.
echo "exit 3" >&5
mt_wait grep -q "warning: process $D/test_echo pid $w5 exit status 3" "$LOG"
ok $? "master logs a worker's non-zero exit status the way Postfix does"
w7=$(mt_hello 7 | pid_of)
ok $([ -n "$w7" ] && [ "$w7" != "$w5" ] && [ "$w7" != "$w6" ] && echo 0 || echo 1) \
    "a new worker takes the waiting client"
ok $(grep -q "test_echo: bad command startup" "$LOG" && echo 1 || echo 0) \
    "a worker that served before it failed does not throttle the service"
echo "still" >&6
is "$(mt_hello 6)" "still" "the other worker keeps serving"
exec 5>&- 6>&- 7>&-

# 0: no limit, whatever default_process_limit says.
exec 5<>"/dev/tcp/$ADDR/$P3" 6<>"/dev/tcp/$ADDR/$P3" 7<>"/dev/tcp/$ADDR/$P3"
n=0
for fd in 5 6 7; do mt_hello $fd 5 | grep -q '^hello' && n=$((n + 1)); done
is "$n" "3" "maxproc 0: three concurrent clients, three workers"
is "$(mt_count_workers "$ADDR:$P3")" "3" "maxproc 0: not limited by default_process_limit"
exec 5>&- 6>&- 7>&-

# service_throttle_time: tried again after 2 s, serving once the cause is gone.
exec 5<>"/dev/tcp/$ADDR/$P2"
mt_wait grep -q "warning: $D/test_echo: bad command startup -- throttling" "$LOG"
ok $? "a startup failure throttles the service"
mt_wait grep -q "warning: process $D/test_echo pid [0-9]* exit status 1" "$LOG"
ok $? "the failed start is logged with its exit status"
MT_WAIT=60 mt_wait bash -c "[ \$(grep -c 'failing at start: $T/broken exists' '$LOG') -ge 2 ]"
ok $? "the service is tried again after service_throttle_time"
t1=$(grep 'failing at start' "$LOG" | sed -n 1p | cut -c1-15)
t2=$(grep 'failing at start' "$LOG" | sed -n 2p | cut -c1-15)
d=$(($(date -d "$t2" +%s) - $(date -d "$t1" +%s)))
ok $([ "$d" -ge 1 ] && echo 0 || echo 1) "not before the throttle time has passed (${d}s apart)"
rm -f "$T/broken"
like "$(mt_hello 5 8)" "^hello service=$ADDR:$P2 " "once the cause is gone the waiting client is served"
exec 5>&-

# master out of descriptors (its limit lowered to what it holds): the spawn
# fails, the service is throttled instead of master retrying in a loop, and
# serves once descriptors are back and service_throttle_time has passed.
# (the limit is the lowest free descriptor number: no new one can be had)
free=0
while [ -e "/proc/$MPID/fd/$free" ]; do free=$((free + 1)); done
soft=$(prlimit --pid "$MPID" --nofile -o SOFT --noheadings | tr -d ' ')
prlimit --pid "$MPID" --nofile="$free:"
exec 5<>"/dev/tcp/$ADDR/$P4"
mt_wait grep -q "warning: service $ADDR:$P4/inet: cannot start a process -- throttling" "$LOG"
ok $? "a spawn that fails for want of descriptors throttles the service"
sleep 1   # a window in which an unthrottled master would retry thousands of times
is "$(grep -c 'socketpair: Too many open files' "$LOG")" "1" "master tried once, not in a loop"
# The same for a service whose program is missing: master cannot take the
# client to turn it away, and must not spin on it.
exec 6<>"/dev/tcp/$ADDR/$P5"
mt_wait grep -q "warning: service $ADDR:$P5/inet: accept: Too many open files -- throttling" "$LOG"
ok $? "a client master cannot accept to refuse throttles the service"
cpu() { awk '{print $14 + $15}' "/proc/$MPID/stat"; }
c0=$(cpu)
sleep 1   # master should be idle here
c1=$(cpu)
ok $([ $((c1 - c0)) -lt 10 ] && echo 0 || echo 1) "master does not spin on it ($((c1 - c0)) ticks of CPU in 1 s)"
exec 6>&-
prlimit --pid "$MPID" --nofile="$soft:"
like "$(mt_hello 5 8)" "^hello service=$ADDR:$P4 " "with descriptors back, the waiting client is served after the throttle"
exec 5>&-

# A worker out of descriptors: it cannot accept the client; after a few
# tries it exits, and a new worker serves the client (no spinning worker).
# (A root worker, unprivileged n: prlimit(1) may not reach one that dropped
# its privileges.)
exec 5<>"/dev/tcp/$ADDR/$P6"
w=$(mt_hello 5 | pid_of)
exec 5>&-
# The worker let go of it: not only the client's side closed (the
# server's socket in CLOSE-WAIT still holds a descriptor, which would make
# the count below one too high) but the worker's socket gone too.
mt_wait bash -c "! ss -Htn state connected 'sport = :$P6' | grep -q ."
free=0
while [ -e "/proc/$w/fd/$free" ]; do free=$((free + 1)); done
prlimit --pid "$w" --nofile="$free:"
exec 5<>"/dev/tcp/$ADDR/$P6"
h=$(mt_hello 5 8)
w2=$(echo "$h" | pid_of)
ok $([ -n "$w2" ] && [ "$w2" != "$w" ] && echo 0 || echo 1) "a worker that cannot accept gives way to a new one, which serves the client"
exec 5>&-
mt_wait grep -q "test_echo\[$w\]: fatal: accept: 13 errors in a row - program terminated" "$LOG"
ok $? "the worker said why it exited"
is "$(grep -c "test_echo\[$w\]: warning: accept: Too many open files" "$LOG")" "13" "after 13 tries, not in a loop"

# master killed outright: its workers notice and go (an idle one at once, a
# busy one once its client is done); the lock goes with master, so the
# mail system starts again.
exec 5<>"/dev/tcp/$ADDR/$P1" 6<>"/dev/tcp/$ADDR/$P3"
busy=$(mt_hello 5 | pid_of)
idle=$(mt_hello 6 | pid_of)
exec 6>&-
kill -KILL "$MPID"
mt_wait mt_gone "$MPID"
ok $? "master is gone"
mt_wait mt_gone "$idle"
ok $? "an idle worker exits when master dies"
echo "orphan" >&5
is "$(mt_hello 5)" "orphan" "a busy worker finishes serving its client"
exec 5>&-
mt_wait mt_gone "$busy"
ok $? "and then exits"
out=$(postfix status 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "postfix status: not running"
mt_start
ok $? "postfix start works again after master was killed"
exec 5<>"/dev/tcp/$ADDR/$P1"
like "$(mt_hello 5)" "^hello service=$ADDR:$P1 " "and the service serves"
exec 5>&-

# A master that does not stop (SIGSTOP here): postfix stop waits, then
# stops it "with force", its workers with it, as Postfix does.
exec 5<>"/dev/tcp/$ADDR/$P1"
w=$(mt_hello 5 | pid_of)
exec 5>&-
kill -STOP "$MPID"
out=$(postfix stop 2>&1)
ok $? "postfix stop exits 0 when it had to use force"
like "$out" "postfix/postfix-script: waiting for the Postfix mail system to terminate" "it says it waits"
like "$out" "postfix/postfix-script: warning: stopping the Postfix mail system with force" "then that it uses force"
mt_wait mt_gone "$MPID" "$w"
ok $? "master and its worker are gone"
MPID=

done_testing
