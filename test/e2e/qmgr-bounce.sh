#!/bin/bash
# qmgr's requests to the bounce daemon (lib/bounce_client.h), against a
# stand-in (test/tools/fake_bounce.py) until the real one is merged:
# a message whose recipients are all done but one bounced -> "bounce"
# FLUSH, then removed; a failing bounce service keeps the message queued
# and a later run flushes it; NOTIFY=SUCCESS -> "trace" TRACE; a message
# deferred past delay_warning_time -> "defer" WARN once (the W record is
# zeroed in place); past maximal_queue_lifetime (bounce_queue_lifetime for
# the null sender) -> "defer" EXPIRE, removed.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/qmgr/bounce-lib.sh"

bounce_setup
inst_param delay_warning_time 1s
inst_param bounce_queue_lifetime 1d
bounce_start "$T/fail"

MSG="Subject: bounce test

hello"
requests() { grep -c "queue_id=$1 " "$B" 2>/dev/null; }
deferred_file() { echo "$Q/deferred/${1:0:1}/$1"; }
flush() { postqueue -f; }

# 1. One bounced, one delivered recipient: FLUSH, then removed.
id=$(submit -r nobody@err.test -r ok@ok.test)
check "FLUSH request to the bounce service" inst_wait grep -q "^service=bounce nrequest=1 queue_id=$id sender=alice@example.com$" "$B"
check "then removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
check "no file left" test ! -e "$Q/active/$id" -a ! -e "$(deferred_file "$id")"
is "$(requests "$id")" 1 "one request"

# 2. The bounce service fails: the message stays; next run flushes it.
touch "$T/fail"
id=$(submit -r nobody@err.test)
check "FLUSH tried" inst_wait grep -q "queue_id=$id " "$B"
check "the message is kept in deferred/" inst_wait test -e "$(deferred_file "$id")"
check "with a warning" inst_log_wait "warning: $id: bounce service request failed: .* could not do the request: message kept"
rm -f "$T/fail"
flush
check "next run: removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
is "$(requests "$id")" 2 "two FLUSH requests in all"

# 3. NOTIFY=SUCCESS: the trace log -> TRACE.
id=$(submit -N 2 -r dsn@ok.test)
check "TRACE request to the trace service" inst_wait grep -q "^service=trace nrequest=3 queue_id=$id " "$B"
check "removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"

# 4. Delay warning, then expiry.
echo "test agent says later" >"$A/defer@later.test"
id=$(submit -r bob@later.test)
check "deferred" inst_wait test -e "$(deferred_file "$id")"
like "$(inst_postcat "$(deferred_file "$id")" | grep -i warning)" "warning_message_time: .* 20[0-9][0-9]$" "the W record holds the warning time"
is "$(requests "$id")" 0 "no warning yet (first attempt within delay_warning_time)"
sleep 1.2
flush
check "WARN request to the defer service" inst_wait grep -q "^service=defer nrequest=2 queue_id=$id " "$B"
check "deferred again" inst_wait bash -c "grep -c 'postfix/test.*$id: to=<bob@later.test>.*status=deferred' '$LOG' | grep -qx 2"
check "back in deferred/" inst_wait test -e "$(deferred_file "$id")"
like "$(inst_postcat "$(deferred_file "$id")" | grep -i warning)" "warning_message_time: .* 1970$" "the W record is zeroed in place"
flush
check "a third attempt" inst_wait bash -c "grep -c 'postfix/test.*$id: to=<bob@later.test>.*status=deferred' '$LOG' | grep -qx 3"
check "back in deferred/" inst_wait test -e "$(deferred_file "$id")"
is "$(grep -c "nrequest=2 queue_id=$id " "$B")" 1 "the warning is sent once"

# Queued six days ago (maximal_queue_lifetime 5d) and deferred: expired at
# once; the null sender's bounce_queue_lifetime (5d) too.
exp=$(submit -T $(($(date +%s) - 6 * 86400)) -r gone@later.test)
check "an old deferred message: EXPIRE" inst_wait grep -q "^service=defer nrequest=4 queue_id=$exp sender=alice@example.com$" "$B"
check "and removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $exp: removed$"
# bounce_queue_lifetime 1d: a two-day-old bounce (null sender) expires, a
# two-day-old message from alice does not.
inst_submit -f "" -T $(($(date +%s) - 2 * 86400)) -r gone2@later.test <<<"$MSG"
exp=$(sed -n 's/^queue_id=//p' "$T/submit.out")
check "a two-day-old bounce (null sender): EXPIRE (bounce_queue_lifetime 1d)" \
    inst_wait grep -q "^service=defer nrequest=4 queue_id=$exp sender=$" "$B"
keep=$(submit -T $(($(date +%s) - 2 * 86400)) -r kept@later.test)
check "a two-day-old message from alice is only deferred" inst_wait test -e "$(deferred_file "$keep")"
is "$(grep -c "nrequest=4 queue_id=$keep " "$B")" 0 "no EXPIRE for it"

# postsuper -e's mark (group execute) on a deferred message: at its next
# run it is not tried again; every recipient is deferred as
# administratively expired, then EXPIRE.
fx=$(submit -r forced@later.test)
check "a message to force-expire is deferred" inst_wait test -e "$(deferred_file "$fx")"
n_before=$(grep -c "id=$fx " "$A/requests")
chmod g+x "$(deferred_file "$fx")"
flush
check "forced expiry: EXPIRE" inst_wait grep -q "^service=defer nrequest=4 queue_id=$fx " "$B"
check "removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $fx: removed$"
is "$(grep -c "id=$fx " "$A/requests")" "$n_before" "not delivered (no new request to the agent)"
check "qmgr logged why" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: $fx: to=<forced@later.test>, .*status=deferred \(message is administratively expired\)$"

old=$(inst_workers qmgr)
inst_param maximal_queue_lifetime 2s
postfix reload >/dev/null 2>&1
check "the old qmgr exits on reload" inst_wait bash -c "! kill -0 $old 2>/dev/null"
sleep 1
flush
check "EXPIRE request to the defer service" inst_wait grep -q "^service=defer nrequest=4 queue_id=$id " "$B"
check "expired message removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
check "no file left" test ! -e "$(deferred_file "$id")" -a ! -e "$Q/active/$id"

inst_stop
check "qmgr never crashed and exited cleanly (sanitizers, leaks)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
done_testing
