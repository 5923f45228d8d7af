#!/bin/bash
# qmgr talks to the bounce service without waiting for it: while a slow
# bounce daemon (test/tools/fake_bounce.py with a delay) sits on a FLUSH
# request, other mail is delivered and removed; the slow request's message
# is removed once the answer comes.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/qmgr/bounce-lib.sh"

bounce_setup
echo 8 >"$T/slow"
bounce_start "" "$T/slow"

MSG="Subject: slow bounce

hello"

# A bounce: its FLUSH request waits 8 s at the bounce service.
slow=$(submit -r nobody@err.test)
check "FLUSH request sent" inst_wait grep -q "^service=bounce nrequest=1 queue_id=$slow " "$B"
t0=$(date +%s)
# Meanwhile three messages to a working destination are delivered and removed.
ids=
for i in 1 2 3; do ids="$ids $(submit -r u$i@ok.test)"; done
for id in $ids; do
    check "$id removed while the bounce service is busy" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
done
t1=$(date +%s)
check "other mail flowed within 5 s (took $((t1 - t0)) s), not after the 8 s bounce request" \
    test $((t1 - t0)) -lt 5
check "the slow message is still waiting for its reply" \
    bash -c "! grep -q 'qmgr\[[0-9]*\]: $slow: removed' '$LOG'"
check "it is removed once the bounce service answers" inst_log_wait "postfix/qmgr\[[0-9]+\]: $slow: removed$"
rm -f "$T/slow"

inst_stop
check "qmgr never crashed (sanitizers)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)' '$LOG'"
done_testing
