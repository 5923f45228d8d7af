# test/data/smtp/smtp-lib.sh - helpers for the smtp client tests; source it
# after test/lib.sh, test/lib/instance.sh (and test/lib/nsd.sh).
#
#   sink_start NAME ARGS...   starts test/tools/smtp_sink.py (in the nsd
#                             namespace when NSD_NS is set) with --out
#                             $T/sink-NAME; waits (bounded) until it is
#                             ready; its pid goes to SINK_PIDS (stopped at
#                             exit by sink_stop_all, which the caller's
#                             cleanup runs)
#   sink_conns NAME           connections the sink NAME accepted so far
#   sink_msg NAME N           the N-th transaction file of sink NAME
#   smtp_queue ARGS...        submits the message on stdin through cleanup
#                             (inst_submit ARGS) and moves it to active/;
#                             prints the queue id
#   smtp_send ARGS...         deliver_send in $Q: output in $T/send.out
#   smtp_result RCPT          the "result=... dsn=... reason=..." part of
#                             RCPT's line in $T/send.out
#   smtp_setup [CMD...]       the start of the tests that run sinks in an
#                             nsd namespace: skips the test (1..0) unless
#                             nsd_available, the commands CMD... and the
#                             smtp daemon are there; inst_setup on
#                             127.0.0.10 with sink_stop_all at exit;
#                             mydestination $myhostname, localhost
#   xs_setup                  the start of the tests that run
#                             test/tools/smtp_xsink.py on 127.0.0.0/8 (no
#                             namespace): skips the test unless root,
#                             python3 and the daemons are there;
#                             inst_setup with the xsinks stopped at exit
#   xs_start NAME ARGS...     starts an xsink logging every command line to
#                             $T/NAME.log, with ARGS (--ehlo, --drip, --msgs
#                             ...); waits (bounded) for its port in
#                             $T/NAME.port; its pid goes to XS_PIDS
#   xs_port NAME              that port
SINK=$POSTERN_SRC/test/tools/smtp_sink.py
SEND=$POSTERN_BUILD/test/tools/deliver_send
SINK_PIDS=

sink_start() {
    local name=$1
    shift
    mkdir -p "$T/sink-$name"
    if [ -n "${NSD_NS:-}" ]; then
        ip netns exec "$NSD_NS" python3 "$SINK" --out "$T/sink-$name" "$@" \
            >"$T/sink-$name.log" 2>&1 &
    else
        python3 "$SINK" --out "$T/sink-$name" "$@" >"$T/sink-$name.log" 2>&1 &
    fi
    SINK_PIDS="$SINK_PIDS $!"
    inst_wait test -e "$T/sink-$name/ready"
}

sink_stop_all() {
    local p
    for p in $SINK_PIDS; do
        kill "$p" 2>/dev/null
    done
    for p in $SINK_PIDS; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    SINK_PIDS=
}

sink_conns() {
    grep -c "^conn " "$T/sink-$1/connections" 2>/dev/null || echo 0
}

sink_msg() {
    cat "$T/sink-$1/msg-$2" 2>/dev/null
}

smtp_queue() {
    inst_submit_active "$@"
}

smtp_send() {
    (cd "$Q" && "$SEND" "$@") >"$T/send.out" 2>"$T/send.err"
}

smtp_result() {
    sed -n "s/^rcpt=$1 offset=[0-9]* //p" "$T/send.out"
}

smtp_setup() {
    local c
    nsd_available || { echo "1..0 # SKIP needs root, ip, nsd and python3"; exit 0; }
    for c in "$@"; do
        command -v "$c" >/dev/null || { echo "1..0 # SKIP needs $c"; exit 0; }
    done
    [ -x "$POSTERN_INST/libexec/postern/smtp" ] || { echo "1..0 # SKIP smtp is not installed"; exit 0; }
    INST_ADDR=127.0.0.10
    inst_setup
    trap 'sink_stop_all; inst_cleanup' EXIT
    inst_param mydestination '$myhostname, localhost'
}

xs_setup() {
    local p
    [ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
    command -v python3 >/dev/null || { echo "1..0 # SKIP needs python3"; exit 0; }
    for p in cleanup master postlogd smtp; do
        [ -x "$POSTERN_INST/libexec/postern/$p" ] || { echo "1..0 # SKIP $p is not installed"; exit 0; }
    done
    inst_setup
    XS_PIDS=
    trap 'for p in $XS_PIDS; do kill "$p" 2>/dev/null; done; inst_cleanup' EXIT
}

xs_start() {
    local name=$1
    shift
    python3 "$POSTERN_SRC/test/tools/smtp_xsink.py" --log "$T/$name.log" --port-file "$T/$name.port" \
        "$@" "$ADDR" >"$T/$name.out" 2>&1 &
    XS_PIDS="$XS_PIDS $!"
    inst_wait test -s "$T/$name.port"
}

xs_port() { cat "$T/$1.port"; }
