#!/bin/bash
# Interoperation with Debian's real Postfix 3.7 (test/lib/oracle.sh): for
# hash:, btree:, lmdb: and cdb:, a table Postern's postmap/postalias builds
# answers Postfix's queries and listing, and a table Postfix builds answers
# Postern's; with the default, -N and -n NUL conventions; and both print the
# same warnings for the same source.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
tmpdir
D=$POSTERN_SRC/test/data/tables/db
if ! oracle_setup; then
    skip "no Postfix oracle: $ORACLE_WHY"
    done_testing
    exit 0
fi
mkdir -p "$T/etc" "$T/ours" "$T/theirs"
printf 'myhostname = %s\ncompatibility_level = 3.6\n' "$ORACLE_HOSTNAME" >"$T/etc/main.cf"
PM="postmap -c $T/etc"
PA="postalias -c $T/etc"
for d in ours theirs; do cp "$D/virtual" "$D/aliases" "$T/$d/"; done
# Keys that are in the table, with their values, from Postfix's own listing.
keys=$(cut -f1 "$D/virtual.postmap-s")

# query_all PROGRAM TABLE: every key of virtual, and its value, as PROGRAM
# finds them ("key<TAB>value" a line). One run with every key on standard
# input (-q -) when it finds them all; otherwise each key on its own
# (postmap -q KEY), so that a key not found shows as "key<TAB>".
query_all() {
    local prog=$1 table=$2 k out
    out=$(printf '%s\n' $keys | $prog -q - "$table") &&
        [ "$(printf '%s\n' "$out" | cut -f1)" = "$(printf '%s\n' $keys)" ] && {
        printf '%s\n' "$out"
        return
    }
    for k in $keys; do
        printf '%s\t%s\n' "$k" "$($prog -q "$k" "$table")"
    done
}

for type in hash btree lmdb cdb; do
    for nul in "" -N -n; do
        what="$type${nul:+ $nul}"
        # Postern builds, Postfix reads.
        (cd "$T/ours" && $PM $nul $type:virtual 2>"$T/ours.err")
        (cd "$T/theirs" && oracle_postmap $nul $type:virtual 2>"$T/theirs.err")
        is "$(cat "$T/ours.err")" "$(cat "$T/theirs.err")" "$what: same build warnings"
        is "$(query_all oracle_postmap $type:$T/ours/virtual)" "$(cat "$D/virtual.postmap-s")" \
            "$what: Postfix's postmap -q finds every key of Postern's table"
        oracle_postmap -q nobody@example.com $type:$T/ours/virtual >/dev/null
        is "$?" 1 "$what: Postfix's postmap -q of a missing key in Postern's table exits 1"
        # Postfix's cdb has no sequence operation: there, the listing is checked
        # against the fixture instead of Postfix's own.
        if [ "$type" != cdb ]; then
            is "$(oracle_postmap -s $type:$T/ours/virtual | sort)" "$(sort "$D/virtual.postmap-s")" \
                "$what: Postfix's postmap -s of Postern's table"
        fi
        # Postfix builds, Postern reads.
        is "$(query_all "$PM" $type:$T/theirs/virtual)" "$(query_all oracle_postmap $type:$T/theirs/virtual)" \
            "$what: Postern's postmap -q finds every key of Postfix's table"
        $PM -q nobody@example.com $type:$T/theirs/virtual >/dev/null
        is "$?" 1 "$what: Postern's postmap -q of a missing key in Postfix's table exits 1"
        if [ "$type" != cdb ]; then
            is "$($PM -s $type:$T/theirs/virtual)" "$(oracle_postmap -s $type:$T/theirs/virtual)" \
                "$what: Postern's postmap -s of Postfix's table, in the same order"
        else
            is "$($PM -s $type:$T/theirs/virtual | sort)" "$(sort "$D/virtual.postmap-s")" \
                "$what: Postern's postmap -s of Postfix's table"
        fi
        # The files hold the same entries, byte for byte where the format allows.
        if [ "$type" = hash ] || [ "$type" = btree ]; then
            is "$(db5.3_dump -p "$T/ours/virtual.db")" "$(db5.3_dump -p "$T/theirs/virtual.db")" \
                "$what: db5.3_dump of both files is the same"
        elif [ "$type" = cdb ]; then
            is "$(cdb -d "$T/ours/virtual.cdb" | tr '\0' '@' | sort)" \
                "$(cdb -d "$T/theirs/virtual.cdb" | tr '\0' '@' | sort)" "$what: cdb -d of both files is the same"
        else
            is "$(mdb_dump -n -p "$T/ours/virtual.lmdb" | sed -n '/HEADER=END/,$p')" \
                "$(mdb_dump -n -p "$T/theirs/virtual.lmdb" | sed -n '/HEADER=END/,$p')" \
                "$what: mdb_dump of both files is the same"
        fi

        # postalias, both ways, with the sentinel entries.
        (cd "$T/ours" && $PA $nul $type:aliases 2>"$T/ours.err")
        (cd "$T/theirs" && oracle_postalias $nul $type:aliases 2>"$T/theirs.err")
        is "$(cat "$T/ours.err")" "$(cat "$T/theirs.err")" "$what: same postalias warnings"
        # Byte for byte, but the value of YP_LAST_MODIFIED.
        no_time() { sed -n '/HEADER=END/,$p' | sed '/^ YP_LAST_MODIFIED$/{n;d}'; }
        case $type in
        hash | btree) a=$(db5.3_dump -p "$T/ours/aliases.db" | no_time)
            b=$(db5.3_dump -p "$T/theirs/aliases.db" | no_time) ;;
        lmdb) a=$(mdb_dump -n -p "$T/ours/aliases.lmdb" | no_time)
            b=$(mdb_dump -n -p "$T/theirs/aliases.lmdb" | no_time) ;;
        cdb) a=$(cdb -d "$T/ours/aliases.cdb" | tr '\0' @ | grep -v YP_LAST | sort)
            b=$(cdb -d "$T/theirs/aliases.cdb" | tr '\0' @ | grep -v YP_LAST | sort) ;;
        esac
        is "${a:-(empty)}" "$b" "$what: both alias files hold the same bytes"
        if [ "$type" != cdb ]; then
            is "$(oracle_postalias -s $type:$T/ours/aliases | grep -v YP_LAST | sort)" \
                "$(oracle_postalias -s $type:$T/theirs/aliases | grep -v YP_LAST | sort)" \
                "$what: Postfix's postalias -s of Postern's aliases"
            is "$($PA -s $type:$T/theirs/aliases)" "$(oracle_postalias -s $type:$T/theirs/aliases)" \
                "$what: Postern's postalias -s of Postfix's aliases"
        else
            is "$($PA -s $type:$T/theirs/aliases | grep -v YP_LAST | sort)" \
                "$(grep -v YP_LAST "$D/aliases.postalias-s" | sort)" "$what: Postern's postalias -s of Postfix's aliases"
        fi
        got=$(oracle_postalias -q staff $type:$T/ours/aliases; oracle_postalias -q @ $type:$T/ours/aliases
            oracle_postalias -f -q YP_MASTER_NAME $type:$T/ours/aliases)
        is "$got" "$(printf 'alice, bob, carol@relay.test\n@\n%s' "$ORACLE_HOSTNAME")" \
            "$what: Postfix's postalias -q of Postern's aliases, sentinels included"
        ts=$(oracle_postalias -f -q YP_LAST_MODIFIED $type:$T/ours/aliases)
        like "$ts" '^[0-9]{10}$' "$what: Postfix reads Postern's YP_LAST_MODIFIED"
        got=$($PA -q "quoted name" $type:$T/theirs/aliases; $PA -q @ $type:$T/theirs/aliases
            $PA -f -q YP_MASTER_NAME $type:$T/theirs/aliases)
        is "$got" "$(printf 'alice\n@\n%s' "$ORACLE_HOSTNAME")" \
            "$what: Postern's postalias -q of Postfix's aliases, sentinels included"
    done
done

# Incremental updates and deletes on the other side's files.
for type in hash btree lmdb; do
    (cd "$T/theirs" && oracle_postmap $type:virtual 2>/dev/null)
    printf 'added@example.com ours\n' | $PM -i $type:$T/theirs/virtual
    is "$(oracle_postmap -q added@example.com $type:$T/theirs/virtual)" "ours" \
        "$type: Postfix reads what Postern's postmap -i added to its table"
    $PM -d info@example.com $type:$T/theirs/virtual
    oracle_postmap -q info@example.com $type:$T/theirs/virtual >/dev/null
    is "$?" 1 "$type: Postern's postmap -d removed from Postfix's table"
    (cd "$T/ours" && $PM $type:virtual 2>/dev/null)
    printf 'added@example.com theirs\n' | oracle_postmap -i $type:$T/ours/virtual
    is "$($PM -q added@example.com $type:$T/ours/virtual)" "theirs" \
        "$type: Postern reads what Postfix's postmap -i added to its table"
done

# UTF-8 sources: the same lines skipped, the same keys folded.
for u in "" -u; do
    cp "$D/utf8" "$T/ours/u8"
    cp "$D/utf8" "$T/theirs/u8"
    (cd "$T/ours" && $PM $u u8 2>"$T/ours.err")
    (cd "$T/theirs" && oracle_postmap $u u8 2>"$T/theirs.err")
    is "$(cat "$T/ours.err")" "$(cat "$T/theirs.err")" "UTF-8 ${u:-on}: the same warnings"
    is "$(db5.3_dump -p "$T/ours/u8.db")" "$(db5.3_dump -p "$T/theirs/u8.db")" "UTF-8 ${u:-on}: the same file"
done

# -F: the same base64 values, both ways.
printf 'line1\nline2\n' >"$T/f1"
printf 'noeol' >"$T/f2"
printf 'a.example %s/f1, %s/f2\nb.example %s/f2\n' "$T" "$T" "$T" >"$T/ours/sni"
cp "$T/ours/sni" "$T/theirs/sni"
(cd "$T/ours" && $PM -F sni)
(cd "$T/theirs" && oracle_postmap -F sni)
is "$(db5.3_dump -p "$T/ours/sni.db")" "$(db5.3_dump -p "$T/theirs/sni.db")" "-F: the same file"
is "$($PM -F -s "$T/theirs/sni")" "$(oracle_postmap -F -s "$T/theirs/sni")" "-F -s: the same output"

# -h and -b make the same keys of a message.
for o in -h -b "-h -b"; do
    is "$($PM $o -q - static:X <"$D/message")" "$(oracle_postmap $o -q - static:X <"$D/message")" \
        "postmap $o -q -: the same keys as Postfix's"
done
# -m: the headers of MIME parts and attached messages too.
for o in "-m -h" "-m -b" "-m -h -b" "-h -b"; do
    is "$($PM $o -q - static:X <"$D/mime-message")" "$(oracle_postmap $o -q - static:X <"$D/mime-message")" \
        "postmap $o -q - of a MIME message: the same keys as Postfix's"
done

# Both programs take the same lock: while a third process holds Postfix's
# writer lock (flock for Berkeley DB, fcntl for LMDB), Postfix's and
# Postern's queries and updates wait for it.
hold_lock() {   # FILE STYLE: hold until descriptor 8 is closed
    rm -f "$T/locked"
    exec 8> >(exec python3 -c '
import fcntl, sys
f = open(sys.argv[1], "r+")
(fcntl.flock if sys.argv[2] == "flock" else fcntl.lockf)(f, fcntl.LOCK_EX)
open(sys.argv[3], "w").close()
sys.stdin.read()' "$1" "$2" "$T/locked")
    for i in $(seq 100); do [ -e "$T/locked" ] && return 0; sleep 0.1; done
    return 1
}
for type in hash lmdb; do
    style=flock file=$T/theirs/virtual.db
    [ $type = lmdb ] && style=fcntl file=$T/theirs/virtual.lmdb
    (cd "$T/theirs" && oracle_postmap $type:virtual 2>/dev/null)
    check "$type: a third process holds the $style lock" hold_lock "$file" $style
    oracle_timeout 1 postmap -q info@example.com $type:$T/theirs/virtual >/dev/null
    is "$?" 124 "$type: Postfix's postmap -q waits for it"
    timeout 1 $PM -q info@example.com $type:$T/theirs/virtual >/dev/null
    is "$?" 124 "$type: Postern's postmap -q waits for it"
    echo "k v" | timeout 1 $PM -i $type:$T/theirs/virtual
    is "$?" 124 "$type: Postern's postmap -i waits for it"
    (cd "$T/theirs" && timeout 1 $PM $type:virtual 2>/dev/null)
    is "$?" 124 "$type: Postern's rebuild waits for it"
    exec 8>&-
    is "$(timeout 10 $PM -q info@example.com $type:$T/theirs/virtual)" "alice@example.com" \
        "$type: once released, the query is answered"
done

done_testing
