#!/bin/bash
# The error, retry and discard delivery agents under master, driven by the
# test-only client deliver_send (it plays qmgr: reads a queue file in
# active/, sends one delivery request, prints the per-recipient results).
# error bounces every recipient (bounce/ID record, R -> D), retry defers
# (defer/H/ID record, R stays), discard marks done and logs sent (and a
# trace/ID record when NOTIFY=SUCCESS asked for it); each logs
# Postfix's "ID: to=<...>, orig_to=<...>, relay=none, delay=..,
# delays=a/b/c/d, dsn=..., status=... (...)" line; a malformed request is
# refused with a warning and no reply.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require error discard cleanup master postlogd
MSG=$POSTERN_SRC/test/data/deliver/two-rcpt.msg
SEND=$POSTERN_BUILD/test/tools/deliver_send

inst_setup
inst_service "error     unix  -       -       y       -       -       error"
inst_service "retry     unix  -       -       y       -       -       error"
inst_service "discard   unix  -       -       y       -       -       discard"
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup
for s in error retry discard; do
    check "private/$s exists" inst_wait_sock private/$s
done

# A message with two recipients (the first with an original recipient and
# DSN options, as virtual alias expansion leaves them) moved to
# active/ as qmgr would.
queue_one() {
    inst_submit_active -a rewrite_context=local -a log_client_name=localhost \
        -f alice@example.com -O team@example.com -D "rfc822;team@example.com" -N 6 \
        -r bob@relay.test -r carol@relay.test <"$MSG"
}
send() {
    (cd "$Q" && "$SEND" "$@") >"$T/send.out" 2>"$T/send.err"
}
# The done/undone recipients as postcat shows them.
rcpts() {
    inst_postcat -e "$Q/active/$1" | grep -E '^(done_)?recipient:' | tr '\n' ' '
}
D='[0-9]+(\.[0-9]+)?'

# error: bounce, with the detail code of the next hop.
id=$(queue_one)
like "$id" '^[0-9A-F]{6,}$' "a message is queued and moved to active/"
is "$(rcpts "$id")" "recipient: bob@relay.test recipient: carol@relay.test " "two undone recipients"
send -s private/error -n "5.1.1 mailbox unavailable" "$id"
ok $? "deliver_send gets a result from error"
want="status=0
hop_status=
rcpt=bob@relay.test offset=OFF result=bounced dsn=5.1.1 reason=mailbox unavailable
rcpt=carol@relay.test offset=OFF result=bounced dsn=5.1.1 reason=mailbox unavailable"
is "$(sed -E 's/offset=[0-9]+/offset=OFF/' "$T/send.out")" "$want" "error: both recipients bounced (per-recipient results in the reply)"
is "$(rcpts "$id")" "done_recipient: bob@relay.test done_recipient: carol@relay.test " \
    "error: both recipients are marked done in the queue file"
check "error logs the bounce line with orig_to" inst_log_wait \
    "postfix/error\[[0-9]+\]: $id: to=<bob@relay.test>, orig_to=<team@example.com>, relay=none, delay=$D, delays=$D/$D/$D/$D, dsn=5.1.1, status=bounced \(mailbox unavailable\)$"
check "and for the second recipient" inst_log_wait \
    "postfix/error\[[0-9]+\]: $id: to=<carol@relay.test>, relay=none, delay=$D, delays=$D/$D/0/$D, dsn=5.1.1, status=bounced \(mailbox unavailable\)$"
off=$(sed -n 's/^rcpt=bob@relay.test offset=\([0-9]*\).*/\1/p' "$T/send.out")
want="
<bob@relay.test>: mailbox unavailable
recipient=bob@relay.test
orig_rcpt=team@example.com
offset=$off
dsn_orig_rcpt=rfc822;team@example.com
notify_flags=6
status=5.1.1
action=failed
reason=mailbox unavailable"
is "$(head -10 "$Q/bounce/$id")" "$want" "the bounce log has the recipient's record"
is "$(grep -c '^recipient=' "$Q/bounce/$id")" 2 "one record per recipient"

# A second request for the same file: no undone recipient left, so the
# request (no recipients) is refused and nothing is bounced twice.
send -s private/error -n "bounce again" "$id"
is "$?" 1 "a request without recipients gets no result"
check "the agent logs why" inst_log_wait "postfix/error\[[0-9]+\]: warning: $id: bad recipient count 0"
is "$(grep -c '^recipient=' "$Q/bounce/$id")" 2 "still one bounce record per recipient"

# error without a code: 5.0.0; a 4.x.x code keeps error's class.
id=$(queue_one)
send -s private/error -n "no such domain" "$id"
like "$(cat "$T/send.out")" "rcpt=bob@relay.test offset=[0-9]+ result=bounced dsn=5.0.0 reason=no such domain" "error: default 5.0.0"
id=$(queue_one)
send -s private/error -n "4.4.1 not a deferral" "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.4.1 reason=not a deferral" "error: a 4.x.x code is bounced as 5.x.x"

# retry: defer, recipients stay undone, defer log in defer/H/.
id=$(queue_one)
send -s private/retry -n "4.4.1 try later" "$id"
ok $? "deliver_send gets a result from retry"
want="status=1
hop_status=
rcpt=bob@relay.test offset=OFF result=deferred dsn=4.4.1 reason=try later
rcpt=carol@relay.test offset=OFF result=deferred dsn=4.4.1 reason=try later"
is "$(sed -E 's/offset=[0-9]+/offset=OFF/' "$T/send.out")" "$want" "retry: both deferred, status 1"
is "$(rcpts "$id")" "recipient: bob@relay.test recipient: carol@relay.test " "retry: recipients are NOT marked done"
# (the program is error, so its lines say postfix/error, as Postfix's do)
check "retry logs status=deferred" inst_log_wait \
    "postfix/error\[[0-9]+\]: $id: to=<bob@relay.test>, orig_to=<team@example.com>, relay=none, delay=$D, delays=$D/$D/$D/$D, dsn=4.4.1, status=deferred \(try later\)$"
h=${id:0:1}
like "$(cat "$Q/defer/$h/$id" 2>&1)" "action=delayed" "the defer log is defer/$h/$id"
check "no bounce log for a deferral" test ! -e "$Q/bounce/$id"
id=$(queue_one)
send -s private/retry -n "" "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.0.0 reason=$" "retry: default 4.0.0"

# discard: done, sent.
id=$(queue_one)
send -s private/discard "$id"
ok $? "deliver_send gets a result from discard"
want="status=0
hop_status=
rcpt=bob@relay.test offset=OFF result=sent dsn=2.0.0 reason=discarded
rcpt=carol@relay.test offset=OFF result=sent dsn=2.0.0 reason=discarded"
is "$(sed -E 's/offset=[0-9]+/offset=OFF/' "$T/send.out")" "$want" "discard: both sent"
is "$(rcpts "$id")" "done_recipient: bob@relay.test done_recipient: carol@relay.test " \
    "discard: both marked done"
check "discard logs status=sent (discarded)" inst_log_wait \
    "postfix/discard\[[0-9]+\]: $id: to=<carol@relay.test>, relay=none, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \(discarded\)$"
h=${id:0:1}
check "no bounce or defer log for discarded mail" test ! -e "$Q/bounce/$id" -a ! -e "$Q/defer/$h/$id"
like "$(cat "$Q/trace/$id" 2>&1)" "recipient=bob@relay.test" "NOTIFY=SUCCESS: a trace/ID record for the success notice"
is "$(grep -c '^action=delivered' "$Q/trace/$id")" 1 "only for the recipient that asked (action=delivered)"
id=$(queue_one)
send -s private/discard -n "example.org" "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=example.org" "discard: the next hop is the reason"

# Malformed requests: refused with a warning, no reply, nothing marked.
id=$(queue_one)
send -s private/error -I "AB/CD" "$id"
is "$?" 1 "a queue id with '/' gets no result"
like "$(cat "$T/send.err")" "error: no result: connection closed" "deliver_send says so"
check "the agent logs why" inst_log_wait "postfix/error\[[0-9]+\]: warning: invalid queue id"
send -s private/error -I "ABCDEF12345" "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=cannot open the queue file" \
    "a queue file that is not there: deferred"
send -s private/error -q incoming "$id" 2>/dev/null
is "$?" 2 "(deliver_send cannot read a file that is not in incoming/)"
is "$(rcpts "$id")" "recipient: bob@relay.test recipient: carol@relay.test " "nothing was marked"

done_testing
