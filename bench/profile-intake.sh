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
inst_start || { echo "master did not start"; exit 1; }
inst_wait test -S "$Q/public/postlog"
# warm up: every worker started, tables opened
SRCBIN -s 5 -m 20 -l 1000 -f a@b.test -t c@d.test "$ADDR:$PORT" || exit 1
inst_wait test "$(ls "$Q/incoming" | wc -l)" -ge 20
before=$(ls "$Q/incoming" | wc -l)

case $MODE in
rate)
    start=$(date +%s.%N)
    SRCBIN -s 5 -m "$N" -l 1000 -f a@b.test -t c@d.test "$ADDR:$PORT"
    end=$(date +%s.%N)
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
    inst_wait test "$(ls "$Q/incoming" | wc -l)" -ge $((before + N))
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
    inst_wait test "$(ls "$Q/incoming" | wc -l)" -ge $((before + N))
    echo "queued: $(( $(ls "$Q/incoming" | wc -l) - before ))"
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
echo "queued: $(( $(ls "$Q/incoming" | wc -l) - before ))"
inst_stop
