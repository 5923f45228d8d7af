#!/bin/bash
# qmgr: deferral and retries. A recipient the agent defers leaves the
# message in deferred/H/ID with its mtime in the future (the next attempt),
# shown by mailq with its reason; `postqueue -f` delivers it once the
# destination is back. A next hop reported dead (hop_status) makes qmgr
# defer the rest of that destination itself ("delivery temporarily
# suspended: ..."), until 'F' / postqueue -f. A transport without a socket
# defers with "mail transport unavailable"; an agent that dies or answers
# garbage defers what it did not report; a bounced recipient whose bounce cannot be
# flushed (no bounce service yet) keeps the message queued.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd error showq

inst_setup
A=$T/agent S=$T/slow
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_service "showq     unix  n       -       y       -       -       showq"
inst_service "error     unix  -       -       y       -       -       error"
inst_agent test "$A"
inst_agent slow "$S"
inst_param default_transport test
inst_param slow_destination_concurrency_limit 1
inst_param transport_maps "inline:{dead.test=slow:, {err.test=error:5.1.1 no such user here}, nosock.test=nosuch:}"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

MSG="Subject: defer test

hello"
submit() {
    inst_submit -f alice@example.com "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
delivered() { [ "$(cat "$1/delivered" 2>/dev/null | grep -c "^$2 ")" -ge "$3" ]; }
deferred_file() { h=${1:0:1}; echo "$Q/deferred/$h/$1"; }

# 1. The agent defers: deferred/H/ID, mtime in the future, mailq shows why.
echo "test agent says later" >"$A/defer@later.test"
id=$(submit -r bob@later.test)
f=$(deferred_file "$id")
check "deferred: the message is in deferred/${id:0:1}/" inst_wait test -e "$f"
now=$(date +%s)
mt=$(stat -c %Y "$f")
check "its mtime is the next attempt: now + minimal_backoff_time (300s) (mtime - now = $((mt - now)))" \
    test "$mt" -gt $((now + 200)) -a "$mt" -le $((now + 310))
like "$(grep "$id: to=<bob@later.test>" "$LOG")" "status=deferred \(test agent says later\)" "the agent logged status=deferred"
mailq >"$T/mailq" 2>&1
like "$(cat "$T/mailq")" "$id .* alice@example.com" "mailq lists the message"
like "$(cat "$T/mailq")" "\(test agent says later\)" "with its reason"
is "$(inst_queue_files active)" "" "nothing left in active/"
check "not removed" bash -c "! grep -q '$id: removed' '$LOG'"

# The backoff grows with the message's age: queued 1000 s ago -> next
# attempt in 1000 s (between minimal_backoff_time 300s and
# maximal_backoff_time 4000s); queued a day ago -> 4000 s.
echo "test agent says later" >"$A/defer@later.test"
old=$(submit -T $(($(date +%s) - 1000)) -r old@later.test)
check "an older message is deferred" inst_wait test -e "$(deferred_file "$old")"
delta=$(($(stat -c %Y "$(deferred_file "$old")") - $(date +%s)))
check "its next attempt is about its age away (1000 s; got $delta)" test "$delta" -ge 900 -a "$delta" -le 1001
older=$(submit -T $(($(date +%s) - 86400)) -r older@later.test)
check "a day-old message is deferred" inst_wait test -e "$(deferred_file "$older")"
delta=$(($(stat -c %Y "$(deferred_file "$older")") - $(date +%s)))
check "its next attempt is maximal_backoff_time away (4000 s; got $delta)" test "$delta" -ge 3900 -a "$delta" -le 4000

# A deferred scan does not take it before its time ('D' respects mtime).
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"D"); s.close()' "$Q/public/qmgr"
sleep 1
check "a D trigger leaves a message whose time has not come" test -e "$f"
is "$(grep -c "id=$id " "$A/requests")" 1 "and sends no second request"

# postqueue -f: the destination is back; FADI ignores the retry time.
rm -f "$A/defer@later.test"
postqueue -f
ok $? "postqueue -f exits 0"
check "postqueue -f: delivered" inst_wait delivered "$A" "$id" 1
check "the older ones too" inst_wait delivered "$A" "$older" 1
check "and the oldest" inst_wait delivered "$A" "$old" 1
check "and removed" inst_log_wait "$id: removed$"
check "deferred/ file gone" test ! -e "$f"
check "the defer log is removed" test ! -e "$Q/defer/${id:0:1}/$id"
is "$(grep -c "$id: from=<alice@example.com>, size=[0-9]*, nrcpt=1 (queue active)" "$LOG")" 2 \
    "(queue active) logged at each activation"

# 2. Dead destination: the first request reports the hop down; the
# messages behind it (concurrency 1) are deferred by qmgr itself.
touch "$S/hopfail@dead.test"
echo 500 >"$S/delay@dead.test"
ids=
for i in 1 2 3; do ids="$ids $(submit -r u$i@dead.test)"; done
for id in $ids; do
    check "dead: $id deferred" inst_wait test -e "$(deferred_file "$id")"
done
is "$(grep -c "nexthop=dead.test" "$S/requests")" 1 "only one request reached the dead destination"
like "$(grep "postfix/qmgr.*to=<u[23]@dead.test>" "$LOG" | head -1)" \
    "relay=none, delay=.*, dsn=4.4.1, status=deferred \(delivery temporarily suspended: test destination down\)$" \
    "qmgr logs its own deferral with the hop's reason"
check "the destination is logged dead" inst_log_wait "slow:dead.test: destination marked dead: test destination down"
# A new message for it is deferred at once, without a request.
id=$(submit -r u4@dead.test)
check "a new message for the dead destination is deferred" inst_wait test -e "$(deferred_file "$id")"
is "$(grep -c "nexthop=dead.test" "$S/requests")" 1 "still one request"
ids="$ids $id"
# The destination comes back; postqueue -f forgets dead destinations.
rm -f "$S/hopfail@dead.test" "$S/delay@dead.test"
postqueue -f
for id in $ids; do
    check "after postqueue -f $id is delivered" inst_wait delivered "$S" "$id" 1
done

# 3. A transport without a socket.
id=$(submit -r x@nosock.test)
check "no socket: deferred" inst_wait test -e "$(deferred_file "$id")"
check "logged: mail transport unavailable" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: $id: to=<x@nosock.test>, relay=none, .*status=deferred \(mail transport unavailable\)$"

# 4. An agent that dies without answering.
touch "$A/crash@crash.test"
id=$(submit -r x@crash.test -r y@ok.test)
check "the other recipient is delivered" inst_wait delivered "$A" "$id" 1
check "crash: deferred" inst_wait test -e "$(deferred_file "$id")"
check "qmgr defers what the agent did not report" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: $id: to=<x@crash.test>, .*status=deferred \(unknown mail transport error\)$"
check "and warns" inst_log_wait "postfix/qmgr\[[0-9]+\]: warning: $id: delivery via test:crash.test failed"
rm -f "$A/crash@crash.test"
postqueue -f
check "after postqueue -f the rest is delivered" inst_wait delivered "$A" "$id" 2
check "removed" inst_log_wait "$id: removed$"

# An agent that answers garbage: the same.
touch "$A/garbage@junk.test"
id=$(submit -r x@junk.test)
check "garbage answer: deferred" inst_wait test -e "$(deferred_file "$id")"
check "qmgr defers it" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: $id: to=<x@junk.test>, .*status=deferred \(unknown mail transport error\)$"
check "and warns why" inst_log_wait "postfix/qmgr\[[0-9]+\]: warning: $id: delivery via test:junk.test failed: "

# 5. A bounce with no bounce service: the message is kept.
id=$(submit -r nobody@err.test)
check "bounced by error" inst_log_wait "$id: to=<nobody@err.test>, .*status=bounced \(no such user here\)"
check "kept in deferred/" inst_wait test -e "$(deferred_file "$id")"
check "qmgr warns about the bounce service" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: warning: $id: bounce service request failed: .*message kept in the queue"
check "the bounce log is kept" test -e "$Q/bounce/$id"

inst_stop
check "qmgr never crashed and exited cleanly (sanitizers, leaks)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
done_testing
