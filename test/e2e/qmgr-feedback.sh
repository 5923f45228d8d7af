#!/bin/bash
# qmgr's per-destination concurrency feedback, counted at the agent
# (test_agent keeps the deliveries in flight and their maximum):
# slow start at <transport>_initial_destination_concurrency, the window
# opened by positive feedback up to the concurrency limit, closed by
# negative feedback on next-hop failures (hop_status), and the destination
# marked dead only after <transport>_destination_concurrency_failed_cohort_limit
# failed pseudo-cohorts (0: never).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd

inst_setup
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_agent flat "$T/flat" 20
inst_agent grow "$T/grow" 20
inst_agent fail "$T/fail" 20
inst_agent never "$T/never" 20
inst_param transport_maps "inline:{flat.test=flat:, grow.test=grow:, fail.test=fail:, never.test=never:}"
inst_param default_destination_concurrency_limit 10
# flat: starts at 2 and never grows (no positive feedback).
inst_param flat_initial_destination_concurrency 2
inst_param flat_destination_concurrency_positive_feedback 0
# grow: starts at 1, +1 per successful delivery (Postfix's default feedback).
inst_param grow_initial_destination_concurrency 1
# fail: 3 at once; dead after 2 failed pseudo-cohorts.
inst_param fail_initial_destination_concurrency 3
inst_param fail_destination_concurrency_limit 3
inst_param fail_destination_concurrency_failed_cohort_limit 2
# never: failures throttle, but never kill.
inst_param never_initial_destination_concurrency 2
inst_param never_destination_concurrency_limit 2
inst_param never_destination_concurrency_failed_cohort_limit 0
for d in flat grow fail never; do echo 500 >"$T/$d/delay"; done
touch "$T/fail/hopfail" "$T/never/hopfail"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

MSG="Subject: feedback

hello"
count() { cat "$1" 2>/dev/null | wc -l; }
atleast() { [ "$(count "$1")" -ge "$2" ]; }
field() { awk "{print \$$2}" "$1/state"; }
burst() { # domain count
    local i
    for i in $(seq 1 "$2"); do
        (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" -f alice@example.com -r u$i@$1 <<<"$MSG" >/dev/null) &
    done
    wait
}

# Slow start without growth: eight messages, limit 10, window 2.
burst flat.test 8
check "flat: eight deliveries" inst_wait atleast "$T/flat/delivered" 8
is "$(field "$T/flat" 2)" 2 "flat: the initial concurrency (2) is kept without positive feedback"

# Slow start with growth: from 1, opened by each success, not 12 at once.
burst grow.test 12
check "grow: twelve deliveries" inst_wait atleast "$T/grow/delivered" 12
max=$(field "$T/grow" 2)
check "grow: the window opened beyond the initial 1 (max $max)" test "$max" -ge 3
check "grow: but did not start at the limit (max $max < 12)" test "$max" -le 8

# Failures: 3 requests at window 3 fail (one pseudo-cohort), the window
# closes to 1, one more failure makes the second cohort: dead, and the
# other two messages are deferred without a request.
burst fail.test 6
check "fail: destination marked dead" inst_log_wait "fail:fail.test: destination marked dead"
indeferred() { [ "$(inst_queue_files deferred | wc -l)" -ge 6 ]; }
check "fail: all six messages deferred" inst_wait indeferred
is "$(count "$T/fail/requests")" 4 "fail: four requests (a cohort of 3, then 1 at window 1) before the destination is dead"
is "$(field "$T/fail" 2)" 3 "fail: three at once at first"
like "$(grep -c 'delivery temporarily suspended' "$LOG")" '^[1-9]' "fail: the rest deferred as 'delivery temporarily suspended'"

# Cohort limit 0: the destination throttles but is never dead; each
# message is tried.
burst never.test 5
check "never: five requests" inst_wait atleast "$T/never/requests" 5
check "never: five messages deferred" inst_wait bash -c "[ \$(find '$Q/deferred' -type f | wc -l) -ge 11 ]"
check "never: not marked dead" bash -c "! grep -q 'never:never.test: destination marked dead' '$LOG'"

inst_stop
check "qmgr never crashed (sanitizers)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)' '$LOG'"
done_testing
