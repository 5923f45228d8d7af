#!/bin/bash
# qmgr's limits, counted at the agent (test_agent keeps the number of
# deliveries in flight and its maximum): <transport>_destination_
# concurrency_limit per destination, the transport's master.cf process
# limit across destinations, <transport>_destination_recipient_limit per
# request, qmgr_message_active_limit, and round-robin across messages of one destination (a small
# message is not starved behind a big one).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd

inst_setup
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_agent conc "$T/conc" 10
inst_agent procs "$T/procs" 3
inst_agent rr "$T/rr" 10
inst_agent per "$T/per" 10
inst_param transport_maps "inline:{one.test=conc:, .many.test=procs:, same.test=rr:, mbox.test=per:}"
inst_param parent_domain_matches_subdomains ""
inst_param conc_destination_concurrency_limit 2
inst_param rr_destination_concurrency_limit 1
inst_param rr_destination_recipient_limit 5
inst_param qmgr_message_active_limit 5
inst_param per_destination_recipient_limit 1
inst_param per_destination_concurrency_limit 1
echo 400 >"$T/per/delay"
echo 400 >"$T/conc/delay"
echo 400 >"$T/procs/delay"
echo 400 >"$T/rr/delay"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

MSG="Subject: concurrency

hello"
submit() {
    inst_submit -f alice@example.com "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
count() { cat "$1/delivered" 2>/dev/null | wc -l; }
atleast() { [ "$(count "$1")" -ge "$2" ]; }
field() { awk "{print \$$2}" "$1/state"; }

# Eight messages to one destination, concurrency limit 2.
for i in 1 2 3 4 5 6 7 8; do
    (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" -f alice@example.com -r u$i@one.test <<<"$MSG" >/dev/null) &
done
wait
check "eight deliveries" inst_wait atleast "$T/conc" 8
is "$(field "$T/conc" 2)" 2 "at most 2 deliveries at once to one destination (limit 2), and 2 were reached"
is "$(field "$T/conc" 3)" 8 "eight requests"

# Nine destinations on a transport whose master.cf maxproc is 3.
# (qmgr_message_active_limit 5: never more than 5 files in active/; a
# sampler watches active/ while nine submitters run at once)
(
    m=0 k=0
    while [ ! -e "$T/stop-sampler" ] && [ $((k += 1)) -le 1500 ]; do
        n=$(find "$Q/active" -type f | wc -l)
        [ "$n" -gt "$m" ] && m=$n && echo "$m" >"$T/maxactive"
        sleep 0.02
    done
) &
SAMPLER=$!
for i in 1 2 3 4 5 6 7 8 9; do
    (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" -f alice@example.com -r u@d$i.many.test <<<"$MSG" >/dev/null) &
done
wait $(jobs -p | grep -vx "$SAMPLER")
check "nine deliveries" inst_wait atleast "$T/procs" 9
touch "$T/stop-sampler"
wait "$SAMPLER"
maxactive=$(cat "$T/maxactive" 2>/dev/null || echo 0)
check "at most 5 messages in active/ at once (qmgr_message_active_limit 5; saw $maxactive)" \
    test "$maxactive" -le 5 -a "$maxactive" -ge 3
is "$(field "$T/procs" 2)" 3 "at most 3 at once on a transport with process limit 3 (and 3 reached)"
is "$(cut -d' ' -f2 "$T/procs/requests" | sort -u | wc -l)" 9 "nine different next hops"

# Recipient limit 5 and round-robin: a 20-recipient message, then a
# 1-recipient one for the same destination (concurrency 1).
args=
for i in $(seq 1 20); do args="$args -r big$i@same.test"; done
big=$(submit $args)
small=$(submit -r small@same.test)
check "21 recipients delivered" inst_wait atleast "$T/rr" 21
is "$(grep -c "id=$big n=5 " "$T/rr/requests")" 4 "the big message: four requests of 5 recipients"
pos=$(grep -n "id=$small " "$T/rr/requests" | cut -d: -f1)
check "the small message is not starved: its request is among the first three (was $pos)" test "${pos:-99}" -le 3
is "$(field "$T/rr" 2)" 1 "concurrency 1 kept"
check "both removed" inst_log_wait "$small: removed"
check "the big one removed" inst_log_wait "$big: removed"

# Recipient limit 1: the concurrency limit is per recipient (Postfix's
# rule), so six mailboxes of one domain are delivered in parallel.
submit -r m1@mbox.test -r m2@mbox.test -r m3@mbox.test -r m4@mbox.test -r m5@mbox.test -r m6@mbox.test >/dev/null
check "six deliveries" inst_wait atleast "$T/per" 6
is "$(field "$T/per" 3)" 6 "six requests of one recipient"
check "recipient limit 1: in parallel across recipients despite concurrency limit 1 (saw $(field "$T/per" 2))" \
    test "$(field "$T/per" 2)" -ge 3

# Eight deferred messages and an active limit of 5: postqueue -f brings
# all eight back (the interrupted deferred scan goes on when room is made).
echo "later" >"$T/conc/defer@one.test"
ids=
for i in 1 2 3 4 5 6 7 8; do ids="$ids $(submit -r w$i@one.test)"; done
indeferred() { [ "$(inst_queue_files deferred | wc -l)" -ge 8 ]; }
check "eight messages deferred" inst_wait indeferred
rm -f "$T/conc/defer@one.test"
postqueue -f
for id in $ids; do
    check "$id delivered after postqueue -f" inst_wait grep -q "^$id " "$T/conc/delivered"
done
check "deferred/ is empty" inst_wait bash -c "[ -z \"\$(find '$Q/deferred' -type f)\" ]"

inst_stop
check "qmgr never crashed and exited cleanly (sanitizers, leaks)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
done_testing
