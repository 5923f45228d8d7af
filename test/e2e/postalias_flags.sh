#!/bin/bash
# postalias -r, -w, -d and -d - against Debian's Postfix 3.7 postalias:
# the same warnings, the same bytes, and deletes the other side sees.
# (postmap_oracle.sh covers the default, -N and -n; postmap.sh -i, -q -, -s.)
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
tmpdir
if ! oracle_setup; then
    skip "no Postfix oracle: $ORACLE_WHY"
    done_testing
    exit 0
fi
D=$POSTERN_SRC/test/data/tables/db
mkdir -p "$T/etc" "$T/ours" "$T/theirs"
printf 'myhostname = %s\ncompatibility_level = 3.6\n' "$ORACLE_HOSTNAME" >"$T/etc/main.cf"
PA="postalias -c $T/etc"

# The fixture has "dup: alice" then "dup: bob", and "Root" in upper case.
no_time() { sed -n '/HEADER=END/,$p' | sed '/^ YP_LAST_MODIFIED$/{n;d}'; }
dump() {   # TYPE FILE-WITHOUT-SUFFIX
    case $1 in
    hash | btree) db5.3_dump -p "$2.db" | no_time ;;
    lmdb) mdb_dump -n -p "$2.lmdb" | no_time ;;
    cdb) cdb -d "$2.cdb" | tr '\0' @ | grep -v YP_LAST | sort ;;
    esac
}

for type in hash btree lmdb cdb; do
    for flag in -r -w; do
        what="$type $flag"
        for d in ours theirs; do cp "$D/aliases" "$T/$d/"; done
        (cd "$T/ours" && $PA $flag $type:aliases 2>"$T/ours.err")
        (cd "$T/theirs" && oracle_postalias $flag $type:aliases 2>"$T/theirs.err")
        is "$(cat "$T/ours.err")" "$(cat "$T/theirs.err")" "$what: the same warnings (none)"
        a=$(dump $type "$T/ours/aliases")
        is "${a:-(empty)}" "$(dump $type "$T/theirs/aliases")" "$what: both files hold the same bytes"
        want=alice
        [ $flag = -r ] && want=bob
        is "$(oracle_postalias -q dup $type:$T/ours/aliases)" "$want" \
            "$what: Postfix's postalias finds the $([ $flag = -r ] && echo last || echo first) dup in Postern's file"
        is "$($PA -q dup $type:$T/theirs/aliases)" "$want" "$what: and Postern's in Postfix's file"
    done
    [ $type = cdb ] && continue   # cdb files are read-only: no -d

    # Postern deletes from Postfix's file, Postfix deletes from Postern's.
    (cd "$T/theirs" && oracle_postalias $type:aliases 2>/dev/null)
    (cd "$T/ours" && $PA $type:aliases 2>/dev/null)
    $PA -d Root $type:$T/theirs/aliases
    is "$?" 0 "$type: postalias -d of a present name exits 0"
    oracle_postalias -q root $type:$T/theirs/aliases >/dev/null
    is "$?" 1 "$type: Postfix no longer finds it (the key was folded)"
    $PA -d nosuch $type:$T/theirs/aliases
    is "$?" 1 "$type: postalias -d of a missing name exits 1"
    printf 'staff\nnosuch\nquoted name\n' | $PA -d - $type:$T/theirs/aliases
    is "$?" 0 "$type: postalias -d - deletes the names read from stdin"
    is "$(oracle_postalias -q - $type:$T/theirs/aliases <<<$'staff\nquoted name\npostmaster')" \
        "$(printf 'postmaster:\troot')" "$type: Postfix finds only the name not deleted"
    is "$(oracle_postalias -q @ $type:$T/theirs/aliases)" "@" "$type: the @ sentinel is kept"
    printf 'staff\nmailer-daemon\n' | oracle_postalias -d - $type:$T/ours/aliases
    is "$($PA -q - $type:$T/ours/aliases <<<$'staff\nMAILER-DAEMON\nroot')" "$(printf 'root:\talice, bob')" \
        "$type: Postern no longer finds what Postfix deleted from its file"
done
done_testing
