#!/bin/bash
# bench/profile-intake.sh - profile Postern's intake path (smtpd -> cleanup ->
# queue file, with postlogd) under master, driven by Postfix's smtp-source.
#
#   bench/profile-intake.sh BUILD MODE [N]
#     BUILD  a build dir with `make install` done (BUILD/inst)
#     MODE   rate      wall-clock messages/second (no tracing)
#            strace    system calls per accepted message per process kind
#                      (strace -f -ff on master and its workers, attached
#                      before the load starts)
#            callgrind instructions per message in smtpd and cleanup (run
#                      them under valgrind, chroot off, max_use unlimited;
#                      the counts are dumped when the workers exit, so they
#                      include each worker's start-up, spread over N/5
#                      messages per worker)
#     N      messages (default 500)
# PERF=FILE (rate mode) records `perf record -g` of master and its workers
# during the load, max_use unlimited.
# RELAY=1 adds the delivery side: qmgr, bounce/defer/trace and smtp relay
# every message to a Postfix smtp-sink on $ADDR (strace mode counts qmgr and
# smtp too, and waits until the sink has them all; callgrind and rate
# wait the same way).
# Needs Postfix's smtp-source unpacked at $PF (default /tmp/pf; see
# test/lib/oracle.sh). Runs as root; removes its instance at exit.
# Copied in shape from the lead's quick script /tmp/perf1.sh.
BUILD=${1:?build dir}
MODE=${2:-rate}
N=${3:-500}
PF=${PF:-/tmp/pf}
SRC=$(cd "$(dirname "$0")/.." && pwd)
export POSTERN_SRC=$SRC POSTERN_INST=$BUILD/inst POSTERN_BUILD=$BUILD
. "$SRC/test/lib.sh"
. "$SRC/test/lib/instance.sh"
export PATH=$POSTERN_INST/sbin:$PATH
inst_setup
PORT=$(inst_port)
SRCBIN() { LD_LIBRARY_PATH=$PF/usr/lib/postfix "$PF/usr/sbin/smtp-source" "$@"; }
inst_param smtpd_error_sleep_time 0
inst_param mydestination localhost
CHROOT=y
if [ -n "$PERF" ]; then
    inst_param max_use 1000000
fi
if [ "$MODE" = callgrind ]; then
    CHROOT=n
    mkdir "$T/cg" && chown postfix "$T/cg"
    for p in smtpd cleanup; do
        mv "$D/$p" "$D/$p.real"
        # valgrind creates its output file as root, before the worker drops
        # to mail_owner, and reopens it at exit: give the file away first
        printf '#!/bin/sh\n(sleep 3; chown postfix %s/cg/cg.%s.$$) &\nexec valgrind -q --vgdb=no --log-file=%s/cg/vg.%s.%%p --tool=callgrind --callgrind-out-file=%s/cg/cg.%s.%%p %s/%s.real "$@"\n' \
            "$T" "$p" "$T" "$p" "$T" "$p" "$D" "$p" >"$D/$p"
        chmod 755 "$D/$p"
    done
    # valgrind is slow: keep the workers alive through the whole run
    inst_param max_use 1000000
    inst_param daemon_timeout 36000s
fi
inst_master_cf "$ADDR:$PORT inet n - $CHROOT - - smtpd
cleanup   unix  n       -       $CHROOT       -       0       cleanup
postlog   unix-dgram n  -       n       -       1       postlogd"
SINK_PID=
if [ -n "$RELAY" ]; then
    SINK_PORT=$(inst_port)
    LD_LIBRARY_PATH=$PF/usr/lib/postfix "$PF/usr/sbin/smtp-sink" -u nobody -c \
        "$ADDR:$SINK_PORT" 1024 >"$T/sink.out" 2>"$T/sink.err" &
    SINK_PID=$!
    trap '[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null' EXIT
    inst_param relayhost "[$ADDR]:$SINK_PORT"
    inst_param smtp_bind_address "$ADDR"
    inst_service "qmgr unix n - n 300 1 qmgr"
    for s in bounce defer trace; do inst_service "$s unix - - n - 0 bounce"; done
    inst_service "smtp unix - - n - - smtp"
    inst_service "relay unix - - n - - smtp"
fi
# sink_count: messages smtp-sink has taken (the last mesg=N of its -c output)
sink_count() { tail -c 256 "$T/sink.out" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1 | sed 's/^$/0/'; }
queued_count() { ls "$Q/incoming" | wc -l; }
# wait_done TOTAL: until TOTAL messages are queued (or, RELAY, at the sink); 120 s at most
wait_done() {
    local i count=queued_count
    [ -n "$RELAY" ] && count=sink_count
    for ((i = 0; i < 1200; i++)); do
        [ "$($count)" -ge "$1" ] && return 0
        sleep 0.1
    done
    echo "wait_done: only $($count) of $1" >&2
    return 1
}
inst_start || { echo "master did not start"; exit 1; }
inst_wait test -S "$Q/public/postlog"
# warm up: every worker started, tables opened
SRCBIN -s 5 -m 20 -l 1000 -f a@b.test -t c@d.test "$ADDR:$PORT" || exit 1
wait_done 20
if [ -n "$RELAY" ]; then before=$(sink_count); else before=$(queued_count); fi

case $MODE in
rate)
    # PERF=FILE: perf record -g on master and its workers during the load
    # (with max_use unlimited, so they all live through it)
    PERF_PID=
    if [ -n "$PERF" ]; then
        perf record -g -o "$PERF" -p "$(echo $MPID $(pgrep -P "$MPID") | tr ' ' ,)" \
            >"$T/perf.out" 2>&1 &
        PERF_PID=$!
        sleep 1
    fi
    start=$(date +%s.%N)
    SRCBIN -s 5 -m "$N" -l 1000 -f a@b.test -t c@d.test "$ADDR:$PORT"
    wait_done $((before + N))
    end=$(date +%s.%N)
    [ -z "$PERF_PID" ] || { kill -INT "$PERF_PID"; wait "$PERF_PID"; }
    echo "rate: $(echo "$N / ($end - $start)" | bc -l | cut -c1-7) msg/s"
    ;;
strace)
    mkdir "$T/st"
    pids="$MPID $(pgrep -P "$MPID" | tr '\n' ' ')"
    for p in $pids; do echo "$p $(cat /proc/$p/comm)"; done >"$T/names"
    strace -f -ff -o "$T/st/tr" $(for p in $pids; do echo "-p $p"; done) 2>"$T/strace.err" &
    ST=$!
    # wait for the attach: every traced pid shows a TracerPid
    for p in $pids; do
        inst_wait bash -c "grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$p/status"
    done
    SRCBIN -s 5 -m "$N" -l 1000 -f a@b.test -t c@d.test "$ADDR:$PORT"
    wait_done $((before + N))
    # the names of the traced processes, before they go
    for f in "$T"/st/tr.*; do
        p=${f##*.}
        grep -q "^$p " "$T/names" && continue
        name=$(grep -o 'execve("[^"]*' "$f" | head -1 | sed 's,.*/,,')
        [ -n "$name" ] || name=$(cat /proc/$p/comm 2>/dev/null)
        echo "$p ${name:-unknown}"
    done >>"$T/names"
    kill -INT $ST; wait $ST
    [ -z "$KEEPTRACE" ] || { rm -rf "$KEEPTRACE"; cp -r "$T/st" "$KEEPTRACE"; cp "$T/names" "$KEEPTRACE/"; }
    # system calls per message, per process kind
    for f in "$T"/st/tr.*; do
        p=${f##*.}
        name=$(awk -v p="$p" '$1 == p { print $2 }' "$T/names")
        sed -n 's/^\([a-z_0-9]*\)(.*/\1/p' "$f" | sed "s/^/$name /"
    done | sort | uniq -c | awk -v n="$N" '{ printf "%-10s %-16s %7.2f\n", $2, $3, $1 / n }' |
        sort -k1,1 -k3,3nr >"$T/per-msg"
    awk '{ t[$1] += $3 } END { for (k in t) printf "%-10s %-16s %7.2f\n", k, "TOTAL", t[k] }' "$T/per-msg" | sort
    cat "$T/per-msg"
    ;;
callgrind)
    SRCBIN -s 5 -m "$N" -l 1000 -f a@b.test -t c@d.test "$ADDR:$PORT"
    wait_done $((before + N))
    if [ -n "$RELAY" ]; then echo "relayed: $(( $(sink_count) - before ))"; else echo "queued: $(( $(queued_count) - before ))"; fi
    inst_stop
    # per message: everything (start-up included), and the request
    # handler alone (smtpd_client, cleanup_service: inclusive cost)
    for kind in smtpd:smtpd_client cleanup:cleanup_service; do
        tot=0 req=0
        for f in "$T"/cg/cg.${kind%%:*}.*; do
            [ -f "$f" ] || continue
            ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$f")
            tot=$((tot + ir))
            ir=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
                awk -v fn=":${kind#*:} " 'index($0, fn) { gsub(",", "", $1); print $1; exit }')
            req=$((req + ${ir:-0}))
        done
        echo "${kind%%:*} Ir/msg: $((tot / (N + 20))) (in ${kind#*:}: $((req / (N + 20))))"
    done
    mkdir -p "${CGOUT:-/tmp/cg-intake}"
    cp "$T"/cg/* "${CGOUT:-/tmp/cg-intake}/" 2>/dev/null
    exit 0
    ;;
esac
if [ -n "$RELAY" ]; then echo "relayed: $(( $(sink_count) - before ))"; else echo "queued: $(( $(queued_count) - before ))"; fi
inst_stop
