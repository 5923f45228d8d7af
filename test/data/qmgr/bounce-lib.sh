# test/data/qmgr/bounce-lib.sh - the instance that qmgr-bounce.sh and
# qmgr-bounce-slow.sh share: qmgr, error and a test_agent transport under
# master, and test/tools/fake_bounce.py standing in for the bounce
# services. Source it after test/lib.sh and test/lib/instance.sh.
#
#   bounce_setup         skips the test (1..0) unless root, python3 and the
#                        daemons are there; inst_setup; master.cf with qmgr,
#                        error and "test" (test_agent writing to $A);
#                        default_transport test, err.test routed to
#                        error:5.1.1. Add parameters after it.
#   bounce_start [FAIL] [SLOW]  postfix start (2 checks), then the stand-in
#                        bounce service writing its requests to $B (FAIL:
#                        a file whose presence makes it fail; SLOW: a file
#                        holding the seconds it waits) and stopped at exit
#                        (1 check: it listens)
#   submit ARGS...       submits $MSG from alice@example.com; prints the id

bounce_setup() {
    inst_require qmgr cleanup master postlogd error
    command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
    inst_setup
    A=$T/agent B=$T/bounce.out
    inst_service "qmgr      unix  n       -       n       300     1       qmgr"
    inst_service "error     unix  -       -       y       -       -       error"
    inst_agent test "$A"
    inst_param default_transport test
    inst_param transport_maps "inline:{{err.test=error:5.1.1 no such user}}"
}

bounce_start() {
    check "postfix start" inst_start
    check "qmgr listens" inst_wait_sock public/qmgr
    python3 "$POSTERN_SRC/test/tools/fake_bounce.py" "$Q" "$B" "${1:-}" "${2:-}" &
    FB=$!
    trap 'kill "$FB" 2>/dev/null; inst_cleanup' EXIT
    check "the stand-in bounce service listens" inst_wait test -s "$B.ready"
}

submit() {
    inst_submit -f alice@example.com "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
