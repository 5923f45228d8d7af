#!/bin/bash
# Every table type answers postmap -q as Debian's Postfix 3.7 does for the
# same table and the same keys: case folding per type (fixed-string tables
# fold the key, pattern tables match per their flags), $n substitution,
# quoted keys, and what is not found. The indexed files are built by each
# side's own postmap.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
tmpdir
if ! oracle_setup; then
    skip "no Postfix oracle: $ORACLE_WHY"
    done_testing
    exit 0
fi
mkdir -p "$T/etc" "$T/ours" "$T/theirs"
printf 'myhostname = %s\ncompatibility_level = 3.6\n' "$ORACLE_HOSTNAME" >"$T/etc/main.cf"
cd "$T" || exit 1

printf 'MixedKey@Example.COM v1\nlower v2\n"Quoted Key" v3\nUser@ v4\n@Example.Org v5\n' >src
cp src ours/src
cp src theirs/src
cat >re <<'EOF'
/^User(.*)@(.*)$/ re:$1:$2
/^lc$/ lc
/^CaseSensitive$/i cs
!/^keep/ not-keep
EOF
cat >pc <<'EOF'
/^User(.*)@(.*)$/ pc:$1:${2}
/^lc$/ lc
/^CaseSensitive$/i cs
if /^in/
/^in(side)$/ in:$1
endif
!/^keep/ not-keep
EOF
keys='mixedkey@example.com MIXEDKEY@EXAMPLE.COM LOWER Lower lower "quoted key" "Quoted Key" user@ USER@
@example.org @EXAMPLE.ORG ka KA Kb kc KC Userfoo@x USERFOO@Y lc LC casesensitive CaseSensitive
inside INSIDE keepme root ROOT Root nobody NoSuchUser'

compare() {   # WHAT OUR-SPEC THEIR-SPEC
    local k a b bad="" hits=0
    while read -r k; do
        a=$(postmap -c "$T/etc" -q "$k" "$2" 2>&1; echo "rc=$?")
        b=$(oracle_postmap -q "$k" "$3" 2>&1; echo "rc=$?")
        [ "${b: -4}" == "rc=0" ] && hits=$((hits + 1))
        [ "$a" == "$b" ] || bad="$bad [$k: ours '${a//$'\n'/ }', Postfix '${b//$'\n'/ }']"
    done < <(printf '%s\n' $keys)
    is "$bad" "" "$1: every key answered as Postfix's postmap answers it ($hits found)"
    [ "$hits" -gt 0 ]
    ok $? "$1: Postfix finds keys in it (the comparison is not vacuous)"
}

for type in texthash "inline:{ Ka=Va, kb=vb, { Kc = V c } }" regexp:re pcre:pc unix:passwd.byname static:X; do
    case $type in
    texthash) compare texthash texthash:src texthash:src ;;
    *) compare "${type%%:*}" "$type" "$type" ;;
    esac
done
for type in hash btree lmdb cdb; do
    (cd ours && postmap -c "$T/etc" "$type:src")
    (cd theirs && oracle_postmap "$type:src")
    compare "$type (each side's own file)" "$type:$T/ours/src" "$type:$T/theirs/src"
    compare "$type (the other side's file)" "$type:$T/theirs/src" "$type:$T/ours/src"
done
done_testing
