#!/bin/bash
# postcat prints every real Postfix 3.7.11 queue file exactly as Postfix's own
# postcat did (-v, -e -h -b, -o -d -r), finds files by queue id with -q
# (hashed deferred/, long ids, hostile ids refused), reads standard input,
# and reports damaged files with an offset instead of crashing.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
data=$POSTERN_SRC/test/data/queue
cd "$data" || exit 1

for f in $(ls | grep -v -E '\.(postcat.*|defer|md)$'); do
    check "$f: postcat -v equals Postfix's" cmp -s <(postcat -v "$f" 2>/dev/null) "$f.postcat"
    check "$f: postcat -e -h -b equals Postfix's" cmp -s <(postcat -e -h -b "$f" 2>/dev/null) \
        "$f.postcat-ehb"
    if [ -f "$f.postcat-odr" ]; then
        check "$f: postcat -o -d -r equals Postfix's" cmp -s <(postcat -o -d -r "$f" 2>/dev/null) \
            "$f.postcat-odr"
    fi
done

# Options alone, checked against the fixture: -h stops at the first body
# line, -b starts there, -e has no text, -d without -o keeps L pieces joined.
f=hold-longlines.73D571060EC
is "$(postcat -h $f | tail -1)" "X-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/" \
    "-h ends with the last header line"
is "$(postcat -b $f | head -2 | tail -1)" \
    "This body has lines longer than line_length_limit (2048)." "-b starts at the empty line"
is "$(postcat -b $f | awk '{ print length($0) }' | tr '\n' ' ')" "0 57 0 2048 2049 5000 18 10000 4 0 0 " \
    "-b joins L pieces into whole lines"
is "$(postcat -e $f | grep -c -v -E '^(\*\*\*|[a-z_]+: )')" "0" "-e prints only envelope records and banners"
is "$(postcat -d $f | grep -o ' 76 ' | wc -l)" "8" "-d prints the type of each L piece"
is "$(postcat - < hold-plain.A2E0D10605F 2>&1 | head -1)" "postcat: fatal: open -: No such file or directory" \
    "a file named - is a file name"
is "$(postcat < hold-plain.A2E0D10605F | head -1)" "*** ENVELOPE RECORDS stdin ***" \
    "no file argument reads standard input"

is "$(postcat -s 1157 hold-plain.A2E0D10605F | tr '\n' '|')" \
    "*** HEADER EXTRACTED hold-plain.A2E0D10605F ***|*** MESSAGE FILE END hold-plain.A2E0D10605F ***|" \
    "-s starts at an offset, without the envelope banner"

# -q: the queue directory from main.cf, the hashed deferred/ queue.
mkdir -p "$T/etc" "$T/q"/{maildrop,incoming,active,deferred/A,hold,saved}
printf 'queue_directory = %s/q\n' "$T" >"$T/etc/main.cf"
cp hold-plain.A2E0D10605F "$T/q/deferred/A/A2E0D10605F"
cp hold-longid.4jWrkh4kddz84ZY "$T/q/hold/4jWrkh4kddz84ZY"
cp maildrop-sendmail-t.D846B106586 "$T/q/maildrop/D846B106586"
is "$(postcat -c "$T/etc" -q A2E0D10605F | sed 's|deferred/A/A2E0D10605F|hold-plain.A2E0D10605F|')" \
    "$(cat hold-plain.A2E0D10605F.postcat-ehb)" "-q finds deferred/A/ID (hash_queue_depth 1)"
like "$(MAIL_CONFIG=$T/etc postcat -q 4jWrkh4kddz84ZY | head -1)" '^\*\*\* ENVELOPE RECORDS hold/4jWrkh4kddz84ZY \*\*\*$' \
    "-q finds a long id in hold/ (MAIL_CONFIG)"
like "$(postcat -c "$T/etc" -q D846B106586 | head -1)" "maildrop/D846B106586" "-q looks in maildrop/"
printf 'hash_queue_depth = 2\n' >>"$T/etc/main.cf"
mkdir -p "$T/q/deferred/A/2"
mv "$T/q/deferred/A/A2E0D10605F" "$T/q/deferred/A/2/"
like "$(postcat -c "$T/etc" -q A2E0D10605F | head -1)" "deferred/A/2/A2E0D10605F" "-q with hash_queue_depth 2"
for bad in ../../etc/passwd A2E0D.10605F 'A2E0D/10605F' '' a2e0d10605f; do
    out=$(postcat -c "$T/etc" -q "$bad" 2>&1)
    rc=$?
    ok $([ $rc -ne 0 ] && [[ "$out" == *"bad mail queue ID"* ]]; echo $?) "-q refuses the id \"$bad\""
done
out=$(postcat -c "$T/etc" -q 0123456789 2>&1)
ok $([ $? -ne 0 ] && [[ "$out" == *"open queue file 0123456789: No such file or directory"* ]]; echo $?) \
    "-q reports a missing queue file"

# Damaged files: an error with an offset, exit status 1, no crash.
head -c 700 hold-plain.A2E0D10605F >"$T/cut"
out=$(postcat "$T/cut" 2>&1 >/dev/null)
ok $([ $? -eq 1 ]; echo $?) "a truncated file gives exit status 1"
like "$out" "offset 671: unexpected EOF in data, record type 78 length 57" "the offset and the reason are reported"
head -c 1159 hold-plain.A2E0D10605F >"$T/noend"
like "$(postcat "$T/noend" 2>&1 >/dev/null)" "no end record" "a missing end record is reported"
echo "hello world" >"$T/text"
like "$(postcat "$T/text" 2>&1)" "input is not a valid queue file" "a text file is not a queue file"
# A pointer record that points at itself: Postfix's postcat loops forever.
printf 'S\001aM\000N\001xp\017%15d' 8 >"$T/loop"
printf 'X\000E\000' >>"$T/loop"
out=$(timeout 10 postcat "$T/loop" 2>&1)
rc=$?
ok $([ $rc -eq 1 ]; echo $?) "a pointer loop ends with status 1 (got $rc)"
like "$out" "pointer loop" "a pointer loop is reported"
head -c 3000000 /dev/urandom >"$T/random"
timeout 20 postcat "$T/random" >/dev/null 2>&1
rc=$?
ok $([ $rc -le 1 ]; echo $?) "random bytes: no crash (status $rc)"
for cut in 1 2 97 98 99 700 1157 1158; do
    head -c $cut hold-plain.A2E0D10605F >"$T/cut"
    timeout 10 postcat -v "$T/cut" >/dev/null 2>&1
    rc=$?
    ok $([ $rc -le 1 ]; echo $?) "truncated at $cut bytes: no crash (status $rc)"
done
done_testing
