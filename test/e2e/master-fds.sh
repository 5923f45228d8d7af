#!/bin/bash
# master keeps no descriptor it inherited (as Postfix's master closes
# everything above standard error at start-up): `postfix start` from a
# shell with a file open on descriptor 9 and test_exclusive's lock held
# leaves neither open in master or in any worker, the instance works, and
# test_exclusive_release frees the lock while master still runs (before,
# master held it until it stopped: the next test waited up to 900 s).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require master cleanup postlogd
inst_setup
LOCK=master-fds-$$
LOCKFILE=/run/lock/postern-test-$LOCK.lock
trap 'test_exclusive_release; exec 9>&-; rm -f "$LOCKFILE"; inst_cleanup' EXIT

# holders PATH: master and the workers that have PATH open, one pid a line
holders() {
    local p fd
    for p in $MPID $(pgrep -P "$MPID"); do
        for fd in /proc/"$p"/fd/*; do
            [ "$(readlink "$fd" 2>/dev/null)" = "$1" ] && { echo "$p"; break; }
        done
    done
}
locked() { ! flock -n "$LOCKFILE" true; }

exec 9>"$T/inherited"
test_exclusive "$LOCK"
ok $? "test_exclusive $LOCK takes its lock"
check "postfix start, with descriptor 9 open and the lock held" inst_start
printf 'Subject: fds\n\nbody\n' | inst_submit -f alice@example.com -r bob@example.com
ok $? "the instance works: cleanup queues a message $(head -c 200 "$T/submit.err")"
workers=$(pgrep -P "$MPID" | wc -l)
ok "$([ "$workers" -ge 1 ] && echo 0 || echo 1)" "workers run ($workers: $(inst_workers cleanup) for cleanup)"
is "$(holders "$T/inherited")" "" "neither master ($MPID) nor a worker has the caller's file open"
is "$(holders "$LOCKFILE")" "" "nor test_exclusive's lock file"
locked
ok $? "the test holds the lock"
test_exclusive_release
! locked
ok $? "test_exclusive_release frees it while master runs"
exec 9>&-
inst_stop
done_testing
