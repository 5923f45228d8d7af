#!/bin/bash
# qmgr talks to the bounce service without waiting for it: while a slow
# bounce daemon (test/tools/fake_bounce.py with a delay) sits on a FLUSH
# request, other mail is delivered and removed; the slow request's message
# is removed once the answer comes.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
for p in qmgr cleanup master postlogd error; do
    if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
        echo "1..0 # SKIP $p is not installed"
        exit 0
    fi
done

inst_setup
A=$T/agent B=$T/bounce.out
mkdir -p "$A"
cp "$POSTERN_BUILD/test/daemons/test_agent" "$D/"
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_service "error     unix  -       -       y       -       -       error"
inst_service "test      unix  -       n       n       -       4       test_agent $A"
inst_param default_transport test
inst_param transport_maps "inline:{{err.test=error:5.1.1 no such user}}"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr
echo 8 >"$T/slow"
python3 "$POSTERN_SRC/test/tools/fake_bounce.py" "$Q" "$B" "" "$T/slow" &
FB=$!
trap 'kill "$FB" 2>/dev/null; inst_cleanup' EXIT
check "the stand-in bounce service listens" inst_wait test -s "$B.ready"

MSG="Subject: slow bounce

hello"
submit() {
    inst_submit -f alice@example.com "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}

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
