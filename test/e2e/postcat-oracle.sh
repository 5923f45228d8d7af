#!/bin/bash
# The reverse proof, with Debian's real Postfix 3.7 postcat (from the postfix
# .deb, unpacked, never installed): it reads queue files written by
# Postern's writer (a done recipient, L/N line splitting, a reserved pointer
# slot, a header patched in through a pointer to a heap after the end
# record), and Postern's postcat prints exactly what it prints, byte for
# byte, for every fixture and Postern-written file under many option sets.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
tmpdir

if ! oracle_setup; then
    skip "no Postfix oracle: $ORACLE_WHY"
    done_testing
    exit
fi
mkfile=$POSTERN_BUILD/test/unit/qfile_mkfile
cd "$T" || exit 1
check "Postern's writer makes a queue file" "$mkfile" written
check "Postern's writer makes a queue file with a pointer edit" "$mkfile" edited pointers
like "$(stat -c %A written)" '^-rwx' "the written file carries the completeness mark (u+x)"

want=$(cat <<'END'
*** ENVELOPE RECORDS written ***
message_size:            5088             327               3               0            5088               0
message_arrival_time: Sat Nov 21 12:14:20 2026
create_time: Sat Nov 21 12:14:20 2026
named_attribute: log_ident=A2E0D10605F
named_attribute: rewrite_context=local
sender_fullname: Postern Writer
sender: alice@example.com
named_attribute: dsn_orig_rcpt=rfc822;bob@relay.test
original_recipient: bob@relay.test
done_recipient: bob@relay.test
recipient: carol@relay.test
pointer_record:               0
*** MESSAGE CONTENTS written ***
regular_text: Subject: written by Postern
regular_text: From: alice@example.com
pointer_record:               0
regular_text: 
unterminated_text: x...
unterminated_text: x...
regular_text: x...
regular_text: end.
*** HEADER EXTRACTED written ***
recipient: dave@down.test
*** MESSAGE FILE END written ***
END
)
got=$(oracle_run postcat -v written 2>"$T/err" | sed 's/xxxxxxxxxx*/x.../')
is "$got" "$want" "Postfix's postcat -v reads Postern's file record by record"
is "$(grep -v -E 'name_mask|inet_addr_local|been_here|mynetworks_core' "$T/err")" "" \
    "Postfix's postcat has no complaint"
is "$(oracle_run postcat -b written 2>/dev/null | awk '{ print length($0) }' | tr '\n' ' ')" "0 5000 4 " \
    "Postfix's postcat joins the L pieces of the 5000-byte line"
want=$(cat <<'END'
*** MESSAGE CONTENTS edited ***
Subject: written by Postern
From: alice@example.com
X-Added: by a milter

x...
end.
*** HEADER EXTRACTED edited ***
recipient: dave@down.test
*** MESSAGE FILE END edited ***
END
)
got=$(oracle_run postcat edited 2>/dev/null | sed -n '/CONTENTS/,$p' | sed 's/xxxxxxxxxx*/x.../')
is "$got" "$want" "Postfix's postcat follows Postern's pointer records to the added header"
like "$(oracle_run postcat -o -d -r -v edited 2>/dev/null | tail -2 | tr '\n' '|')" \
    '^ +[0-9]+  78 regular_text: X-Added: by a milter\| +[0-9]+ 112 pointer_record: +[0-9]+\|$' \
    "in file order the heap follows the end record"

# Postern's postcat against Postfix's, byte for byte.
data=$POSTERN_SRC/test/data/queue
cp "$data"/*[0-9A-Z] .
opts=("" -v -e -h -b -o -d -r "-o -d" "-o -v" "-o -d -r -v" "-e -h" "-h -b" "-e -b" "-h -v" "-b -o"
    "-d -h" "-s 97")
files=($(ls | grep -E '^[a-z]+-[a-z0-9-]+\.[0-9A-Za-z]+$') written edited)
# One run of each program per option set over all the queue files (both
# read them in turn); only when the two outputs differ, or a run fails, are
# they compared one by one to name the ones that differ. Any other file the
# pattern matches (the oracle's own oracle-check.err) is compared on its own.
queue=() other=()
for f in "${files[@]}"; do
    if [ -e "$data/$f" ] || [ "$f" = written ] || [ "$f" = edited ]; then queue+=("$f"); else other+=("$f"); fi
done
declare -A bad
for o in "${opts[@]}"; do
    one_by_one=("${other[@]}")
    # shellcheck disable=SC2086
    oracle_run postcat $o "${queue[@]}" >"$T/real" 2>/dev/null
    rc_real=$?
    # shellcheck disable=SC2086
    postcat $o "${queue[@]}" >"$T/ours" 2>/dev/null
    [ "$rc_real:$?" = 0:0 ] && cmp -s "$T/real" "$T/ours" || one_by_one+=("${queue[@]}")
    for f in "${one_by_one[@]}"; do
        # shellcheck disable=SC2086
        oracle_run postcat $o "$f" >"$T/real" 2>/dev/null
        # shellcheck disable=SC2086
        postcat $o "$f" >"$T/ours" 2>/dev/null
        cmp -s "$T/real" "$T/ours" || bad[$f]="${bad[$f]-} [$o]"
    done
done
for f in "${files[@]}"; do
    is "${bad[$f]-}" "" "$f: Postern's postcat equals Postfix's under ${#opts[@]} option sets"
done
done_testing
