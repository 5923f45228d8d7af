#!/bin/bash
# qmgr_message_recipient_limit: qmgr keeps at most that many recipients of
# a message in memory; when they are all done or deferred it reads the next
# ones from the queue file. Seen at the agent (test_agent): requests never
# hold more than the limit even when the transport's recipient limit is
# larger, every recipient is tried exactly once per run, and recipients
# deferred in an early batch are retried on the next run.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd

inst_setup
A=$T/agent
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_agent test "$A"
inst_param default_transport test
inst_param qmgr_message_recipient_limit 5
inst_param test_destination_recipient_limit 10
inst_param test_destination_concurrency_limit 1
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

MSG="Subject: many recipients

hello"
submit() {
    inst_submit -f alice@example.com "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
ndelivered() { grep -c "^$1 " "$A/delivered" 2>/dev/null; }
atleast() { local n; n=$(ndelivered "$1"); [ "${n:-0}" -ge "$2" ]; }
# Removed: no file left in active/ or deferred/ (the file, not the log
# line, which postlogd may deliver late under load).
gone() { [ -z "$(find "$Q/active" "$Q/deferred" "$Q/incoming" -name "$1" 2>/dev/null)" ]; }
sizes() { grep " id=$1 " "$A/requests" | sed 's/.* n=\([0-9]*\) .*/\1/' | tr '\n' ' '; }

# Twelve recipients at one next hop: batches of 5, 5 and 2.
args=
for i in $(seq 1 12); do args="$args -r u$i@one.test"; done
id=$(submit $args)
check "twelve delivered" inst_wait atleast "$id" 12
check "removed" inst_wait gone "$id"
is "$(sizes "$id")" "5 5 2 " "requests of at most 5 recipients (the in-memory limit), not 10"
is "$(grep "^$id " "$A/delivered" | sort -u | wc -l)" 12 "each recipient delivered once"
check "nrcpt counts all twelve" inst_log_wait "$id: from=<alice@example.com>, size=[0-9]+, nrcpt=12 \(queue active\)"

# Six recipients deferred, six delivered, in batches across both.
echo "try later" >"$A/defer@defer.test"
args=
for i in 1 2 3 4 5 6; do args="$args -r d$i@defer.test"; done
for i in 1 2 3 4 5 6; do args="$args -r o$i@ok.test"; done
id=$(submit $args)
indeferred() { [ -e "$Q/deferred/${id:0:1}/$id" ]; }
check "the message is deferred after the run" inst_wait indeferred
is "$(ndelivered "$id")" 6 "the six ok.test recipients were delivered in the same run"
is "$(grep " id=$id " "$A/requests" | grep -c 'nexthop=defer.test')" 2 \
    "defer.test was asked twice in the run (batches 5 + 1), never again for the same recipients"
rm -f "$A/defer@defer.test"
postqueue -f
check "the deferred six are delivered on the next run" inst_wait atleast "$id" 12
check "then removed" inst_wait gone "$id"
is "$(grep "^$id " "$A/delivered" | sort -u | wc -l)" 12 "twelve distinct recipients, none twice"
is "$(grep "^$id " "$A/delivered" | wc -l)" 12 "no recipient delivered twice"
# Postfix logs "(queue active)" each time a message enters active/, the
# retry from deferred/ included; once per activation, not per batch.
nactive() { [ "$(grep -c "$id: from=<alice@example.com>, size=[0-9]*, nrcpt=[0-9]* (queue active)" "$LOG")" -eq 2 ]; }
check "(queue active) logged once per activation: first try and retry" inst_wait nactive

inst_stop
check "qmgr never crashed (sanitizers)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)' '$LOG'"
done_testing
