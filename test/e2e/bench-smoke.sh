#!/bin/bash
# bench/run cannot rot: a quick run (20 messages, one run per figure)
# against Debian's Postfix prints the side-by-side table, every Postfix
# figure is a number, Postern's acceptance rate is a number, and every other
# Postern figure is a number or "n/a (not built)" (a service the workload
# needs is not installed yet). Bounded: the whole run must end within 240 s (it runs beside other tests).
. "$POSTERN_SRC/test/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v strace >/dev/null || { echo "1..0 # SKIP no strace"; exit 0; }
tmpdir
out=$T/result.md
# The accounts bench/run may create (postfix, postdrop, its local user) are
# removed by bench/run itself; its scratch folder is removed at its exit.
POSTERN_BENCH_TMP=$T timeout -k 5 240 "$POSTERN_SRC/bench/run" --postern "$POSTERN_INST" --quick --runs 1 -n 20 \
    --latency-n 5 --only disk,accept1k,relay1k,maildir,mbox,latency,syscalls \
    --out "$out" >"$T/stdout" 2>"$T/stderr"
rc=$?
is "$rc" 0 "bench/run --quick ends in time with status 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$T/stderr" | tail -20
check "the result file is written" test -s "$out"
check "stdout is the same table" cmp -s "$out" "$T/stdout"
like "$(grep -c '^| ' "$out")" '^[0-9]+$' "the table has rows"
like "$(sed -n 's/^| figure | \(.*\) |$/\1/p' "$out")" '^Postern \| Postfix \| Postern/Postfix$' \
    "the header is figure | Postern | Postfix | Postern/Postfix"
like "$(grep '^Disk limit' "$out")" '^Disk limit .*: [0-9.]+ per second$' "the disk's limit is measured"
like "$(grep -A1 '^Disk limit' "$out" | tail -1)" '^with one writer, [0-9.]+ per second with 20 writers at once\.$' \
    "with one writer and with 20"
like "$(grep '^Machine:' "$out")" '^Machine: [0-9]+ CPUs' "machine information is given"

# One table row: "| figure | Postern | Postfix | ratio |".
col() { awk -F' \\| ' -v f="| $1" -v c="$2" '$1 == f { print $c }' "$out"; }
num='^[0-9]+(\.[0-9]+)?$'
for f in "accept 1 KB msgs/s" "accept 1 KB: CPU ms/msg" "accept 1 KB: peak RSS MB" \
    "relay 1 KB msgs/s" "relay 1 KB: acceptance msgs/s" "relay 1 KB: CPU ms/msg" \
    "local Maildir msgs/s" "local mbox msgs/s" "latency median ms" "latency p99 ms" \
    "fsyncs/msg (accept 1 KB)" "syscalls/msg (relay 1 KB)"; do
    like "$(col "$f" 3)" "$num" "Postfix: $f is a number ($(col "$f" 3))"
done
like "$(col "accept 1 KB msgs/s" 2)" "$num" "Postern: the acceptance rate is a number ($(col "accept 1 KB msgs/s" 2))"
like "$(col "accept 1 KB msgs/s" 4)" '^[0-9]+\.[0-9]+ \|$' "and it has a ratio"
bad=$(awk -F' \\| ' '/^\| / && $1 != "| figure" {
    if ($2 !~ /^[0-9]+(\.[0-9]+)?$/ && $2 != "n/a (not built)") print $1 ": " $2 }' "$out")
is "$bad" "" "every Postern figure is a number or n/a (not built)"
# Once Postern installs the delivery services, their cells are numbers.
has() { local p; for p in "$@"; do [ -x "$POSTERN_INST/libexec/postern/$p" ] || return 1; done; }
if has qmgr smtp; then
    for f in "relay 1 KB msgs/s" "latency median ms" "syscalls/msg (relay 1 KB)"; do
        like "$(col "$f" 2)" "$num" "Postern has qmgr and smtp: $f is a number ($(col "$f" 2))"
    done
else
    skip "Postern has no qmgr or no smtp yet"
fi
if has qmgr local; then
    for f in "local Maildir msgs/s" "local mbox msgs/s"; do
        like "$(col "$f" 2)" "$num" "Postern has qmgr and local: $f is a number ($(col "$f" 2))"
    done
else
    skip "Postern has no qmgr or no local yet"
fi
# Nothing is left running: no master of ours, no smtp-sink (processes of
# this run name its scratch folder, made under $T; another bench run on the
# machine is not ours to count).
left=$(pgrep -f "$T/postern-bench\." | tr '\n' ' ')
is "$left" "" "no process of the run is left"
done_testing
