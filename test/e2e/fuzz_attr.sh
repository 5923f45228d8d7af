#!/bin/bash
# Fuzz the attribute protocol reader (lib/attr.c, lib/stream.c) for a
# bounded time with libFuzzer, ASan and UBSan, from the seed corpus in
# test/data/attr/corpus/ (Postfix's showq bytes and hand-made cases).
# Fails on any crash, sanitizer report, leak or broken round-trip property
# (see test/fuzz/attr_fuzz.c). Skipped when clang has no libFuzzer.
# FUZZ_SECONDS overrides the 20 seconds.
. "$POSTERN_SRC/test/lib.sh"
tmpdir

secs=${FUZZ_SECONDS:-20}
src=$POSTERN_SRC

if ! command -v clang >/dev/null; then
    skip "clang is not installed"
    done_testing
    exit
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void) d; (void) n; return 0; }' \
    >"$T/probe.c"
if ! clang -fsanitize=fuzzer "$T/probe.c" -o "$T/probe" >"$T/probe.log" 2>&1; then
    skip "clang -fsanitize=fuzzer does not work here (libclang-rt-dev missing?)"
    done_testing
    exit
fi

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Werror -I"$POSTERN_BUILD" -I"$src/lib" \
    "$src/test/fuzz/attr_fuzz.c" "$src/lib/attr.c" "$src/lib/stream.c" "$src/lib/vstr.c" \
    "$src/lib/mem.c" "$src/lib/msg.c" "$src/lib/htable.c" "$src/lib/argv.c" \
    "$src/lib/strutil.c" -o "$T/attr_fuzz" >"$T/build.log" 2>&1
rc=$?
ok $rc "build the libFuzzer target with clang, ASan and UBSan"
if [ $rc -ne 0 ]; then
    sed 's/^/# /' "$T/build.log" | head -20
    done_testing
    exit
fi

# The seeds alone first: every one must run clean.
"$T/attr_fuzz" -runs=0 "$src/test/data/attr/corpus" >"$T/seeds.log" 2>&1
ok $? "the seed corpus runs clean"

mkdir -p "$T/corpus" "$T/artifacts"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    "$T/attr_fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$T/artifacts/" \
    "$T/corpus" "$src/test/data/attr/corpus" >"$T/fuzz.log" 2>&1
rc=$?
ok $rc "fuzzing for ${secs}s finds no crash, leak or broken property"
if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|property failed|panic|runtime error' "$T/fuzz.log" | head -10 | sed 's/^/# /'
    for f in "$T"/artifacts/*; do
        [ -e "$f" ] && echo "# input: $(od -An -c "$f" | head -5 | tr -s ' ')"
    done
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/fuzz.log")
like "${runs:-0}" '^[0-9]{4,}$' "the fuzzer really ran (${runs:-0} inputs)"
is "$(ls "$T/artifacts" | wc -l | tr -d ' ')" "0" "no crash artifacts"
done_testing
