# test/data/tls/lib.sh - helpers of test/e2e/tls*.sh; source after test/lib.sh
# and tmpdir. Every server runs on 127.0.0.1, on a port of its own, and is
# stopped by its pid (tls_stop) or ends by itself after one connection.
#
#   tls_setup                 certificates in $T (mkcerts.sh); $TLS_TOOL
#   tool_server NAME ARGS...  tls_tool server on a free port, in the background;
#                             $T/NAME.out and $T/NAME.err; sets SRV_PID, SRV_PORT
#   ossl_server NAME ARGS...  openssl s_server -naccept 1 likewise (port 0 too)
#   ossl_client NAME ARGS...  openssl s_client to 127.0.0.1:$SRV_PORT, sends
#                             "hello"; output in $T/NAME.cli; status returned
#   tool_client NAME ARGS...  tls_tool client to 127.0.0.1:$SRV_PORT;
#                             $T/NAME.cout and $T/NAME.cerr; status returned
#   tls_wait PID [TENTHS]     waits (bounded) for PID to end; kills it and
#                             fails when it does not; returns its status
#   wait_for FILE REGEX [TENTHS]  waits (bounded) until FILE has a line matching

TLS_TOOL=$POSTERN_BUILD/test/tools/tls_tool

tls_setup() {
    if [ ! -x "$TLS_TOOL" ]; then
        echo "1..0 # SKIP $TLS_TOOL not built (make tests)"
        exit 0
    fi
    "$POSTERN_SRC/test/data/tls/mkcerts.sh" "$T" || exit 1
    trap 'tls_stop_all; rm -rf "$T"' EXIT
}

TLS_PIDS=""
tls_stop_all() {
    local p
    for p in $TLS_PIDS; do
        kill "$p" 2>/dev/null
    done
}

wait_for() {
    local i
    for ((i = 0; i < ${3:-50}; i++)); do
        grep -qE -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

tls_wait() {
    local i
    for ((i = 0; i < ${2:-100}; i++)); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1"
            return $?
        fi
        sleep 0.1
    done
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 124
}

tool_server() {
    local name=$1
    shift
    : >"$T/$name.out" # here, not in the background child: no stale "listening"
    "$TLS_TOOL" server -l 127.0.0.1:0 "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
    SRV_PID=$!
    TLS_PIDS="$TLS_PIDS $SRV_PID"
    SRV_PORT=
    wait_for "$T/$name.out" '^listening ' 50 || return 1
    SRV_PORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$T/$name.out")
}

ossl_server() {
    local name=$1
    shift
    : >"$T/$name.out"
    openssl s_server -accept 127.0.0.1:0 -naccept 1 "$@" \
        >"$T/$name.out" 2>"$T/$name.err" </dev/null &
    SRV_PID=$!
    TLS_PIDS="$TLS_PIDS $SRV_PID"
    SRV_PORT=
    wait_for "$T/$name.out" '^ACCEPT 127\.0\.0\.1:[0-9]+$' 50 || return 1
    SRV_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$name.out")
}

ossl_client() {
    local name=$1
    shift
    echo hello | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$SRV_PORT" "$@" \
        >"$T/$name.cli" 2>&1
}

tool_client() {
    local name=$1
    shift
    timeout 20 "$TLS_TOOL" client -a "127.0.0.1:$SRV_PORT" -t 5 "$@" \
        >"$T/$name.cout" 2>"$T/$name.cerr" </dev/null
}

# diag_if_failed N FILE...: after a check, show the files when failures grew past N
diag_if_failed() {
    local n=$1 f
    shift
    [ "$T_FAILED" -gt "$n" ] || return 0
    for f in "$@"; do
        echo "# --- $f"
        head -c 3000 "$f" 2>/dev/null | sed 's/^/#   /'
    done
}
