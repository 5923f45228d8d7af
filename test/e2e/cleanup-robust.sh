#!/bin/bash
# cleanup against a misbehaving client (raw protocol bytes: bad length
# encodings, an oversized record, bad flags, a record out of place, EOF in
# a record: no success, no file left), qmgr's wake-up ('A' on public/qmgr
# after a complete file, none for a held one, no error without qmgr),
# long queue ids, flat memory for a large message, and Debian's real
# postcat reading the files cleanup wrote.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
DATA=$POSTERN_SRC/test/data/cleanup
# Freed memory goes back at once, so the size of the process means something.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
inst_setup
inst_param message_size_limit 0
inst_param header_checks "regexp:$C/header_checks"
echo '/^Subject: hold/ HOLD' >"$C/header_checks"
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup

raw() {
    python3 "$DATA/rawclient.py" "$Q/public/cleanup" "$1" >"$T/raw.out" 2>&1
}
for mode in badlen huge badflags eof; do
    raw "$mode"
    id=$(head -1 "$T/raw.out")
    like "$id" '^[0-9A-F]{6,}$' "$mode: got a queue id"
    is "$(sed -n 's/^reply=//p' "$T/raw.out")" "b''" "$mode: cleanup hangs up without a reply"
    check "$mode: the file is removed" inst_wait test ! -e "$Q/incoming/$id"
done
check "the bad length is logged" inst_log_wait "bad input: malformed record length"
check "the oversized record is logged" inst_log_wait "bad input: record of 10000000 bytes exceeds the limit"
raw badtype
like "$(sed -n 's/^reply=//p' "$T/raw.out")" 'status\\x001\\x00reason\\x004.3.0 Internal protocol error' \
    "a record out of place: status 1 (CLEANUP_STAT_BAD)"
id=$(head -1 "$T/raw.out")
ok $([ ! -e "$Q/incoming/$id" ]; echo $?) "and no file"

# qmgr's wake-up: a listener on public/qmgr, as the queue manager would be.
python3 - "$Q/public/qmgr" >"$T/qmgr.out" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(5); s.settimeout(15)
print("listening", flush=True)
for _ in range(2):
    try:
        c, _a = s.accept()
    except socket.timeout:
        break
    c.settimeout(5)
    print("got=%r" % c.recv(10), flush=True)
    c.close()
PY
QM=$!
check "fake qmgr listening" inst_wait grep -q listening "$T/qmgr.out"
printf 'Subject: hold me\n\nx\n' | inst_submit -f a@example.com -r b@relay.test
printf 'Subject: x\n\nx\n' | inst_submit -f a@example.com -r b@relay.test
ok $? "a message is queued"
check "qmgr got one 'A'" inst_wait grep -q "got=b'A'" "$T/qmgr.out"
sleep 0.3
is "$(grep -c got= "$T/qmgr.out")" 1 "and only one: the held message woke nobody"
kill "$QM" 2>/dev/null
wait "$QM" 2>/dev/null
rm -f "$Q/public/qmgr"

# Long queue ids.
inst_param enable_long_queue_ids yes
postfix reload >/dev/null 2>&1
long_id() {  # submit until a cleanup started after the reload answers
    printf 'Subject: x\n\nx\n' | inst_submit -f a@example.com -r b@relay.test
    id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
    [ "${#id}" -gt 12 ]
}
check "after reload a new cleanup serves" inst_wait long_id
like "$id" '^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{6,}[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{4}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+$' \
    "enable_long_queue_ids = yes: a long id ($id)"
check "in incoming/ under that name" inst_complete "$Q/incoming/$id"

# Memory stays flat: a 40 MB message after a small one.
printf 'Subject: small\n\nx\n' | inst_submit -f a@example.com -r b@relay.test
pid=$(inst_workers cleanup | head -1)
hwm1=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
python3 -c '
import sys
w = sys.stdout.write
w("Subject: large\n\n")
line = "x" * 75 + "\n"
for i in range(540000):
    w(line)
w("y" * 300000 + "\n")
' >"$T/big.msg"
inst_submit -f a@example.com -r b@relay.test <"$T/big.msg"
ok $? "a 40 MB message is queued"
id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
pid2=$(inst_workers cleanup | head -1)
hwm2=$(awk '/^VmHWM/ {print $2}' "/proc/$pid2/status")
is "$pid2" "$pid" "the same cleanup process served both"
ok $([ $((hwm2 - hwm1)) -lt 8192 ]; echo $?) "its peak memory grew by less than 8 MB ($hwm1 kB -> $hwm2 kB)"
size=$(stat -c %s "$Q/incoming/$id")
ok $([ "$size" -gt 41000000 ]; echo $?) "the whole message is in the file ($size bytes)"

# Debian's postcat reads what cleanup wrote.
if oracle_setup; then
    trap 'inst_cleanup; _oracle_cleanup' EXIT    # oracle_setup took the EXIT trap
    printf 'To: Bob <bob>\nSubject: oracle\n\n%s\nend\n' "$(head -c 5000 /dev/zero | tr '\0' 'q')" |
        inst_submit -a rewrite_context=local -u 1000 -f alice -r bob
    id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
    ours=$(cd "$Q/incoming" && inst_postcat "$id" 2>&1)
    theirs=$(cd "$Q/incoming" && oracle_run postcat "$id" 2>&1)
    ok $? "Debian's postcat reads cleanup's file"
    is "$theirs" "$ours" "and prints what Postern's postcat prints"
    odr=$(cd "$Q/incoming" && oracle_run postcat -o -d -r "$id" 2>&1)
    is "$(grep -cE '^ *[0-9]+ +76 q{2048}$' <<<"$odr")" 2 "a 5000-byte line is two L records of 2048 (then N)"
else
    skip "no Postfix oracle: $ORACLE_WHY"
    skip "no Postfix oracle: $ORACLE_WHY"
    skip "no Postfix oracle: $ORACLE_WHY"
fi

inst_stop
done_testing
