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

# First one run of each postmap with every key on standard input (-q -:
# the same lookups, "key<TAB>value" for each key found); only when the two
# runs differ in output, warnings or status is each key asked for on its
# own, as postmap -q KEY, to name the keys answered differently.
compare() {   # WHAT OUR-SPEC THEIR-SPEC [KEYS]
    local k a b bad="" hits=0 list
    list=$(printf '%s\n' ${4:-$keys})
    a=$(postmap -c "$T/etc" -q - "$2" 2>"$T/ours.err" <<<"$list"; echo "rc=$?")
    b=$(oracle_postmap -q - "$3" 2>"$T/theirs.err" <<<"$list"; echo "rc=$?")
    if [ "$a" == "$b" ] && cmp -s "$T/ours.err" "$T/theirs.err"; then
        hits=$(grep -c $'\t' <<<"$b")
    else
        while read -r k; do
            a=$(postmap -c "$T/etc" -q "$k" "$2" 2>&1; echo "rc=$?")
            b=$(oracle_postmap -q "$k" "$3" 2>&1; echo "rc=$?")
            [ "${b: -4}" == "rc=0" ] && hits=$((hits + 1))
            [ "$a" == "$b" ] || bad="$bad [$k: ours '${a//$'\n'/ }', Postfix '${b//$'\n'/ }']"
        done <<<"$list"
    fi
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

# cidr: the same results and the same warnings for rules it cannot use.
cat >t.cidr <<'EOF'
# comment
192.168.1.0/24   lan
10.0.0.1         one
1.2.3.4/24       badbits
[2001:db8::]/32  v6
2001:db9::/32    v6b
!127.0.0.0/8     not local
if 172.16.0.0/12
172.16.5.0/24    inner $1
if !172.16.5.128/25
172.16.5.0/24    low half
endif
endif
bogus line
300.1.1.1 bad
10.1.0.0/33 badlen
[::ffff:1.2.3.4] mapped
[2001:db8::1]/32 a
10.0.0.0/ c
10.0.0.0/abc d
if 10.0.0.0/8 extra
IF ! 11.0.0.0/8
endif extra
ENDIF
endif
10.0.0.0/08 i
1.2.3.4.5 j
::ffff:1.2.3.4/120 k
2001:db8::/032 l
[10.0.0.0/8] m
10.0.0.0/8 x
0.0.0.0/0
    cont inued
EOF
printf 'if 10.0.0.0/8\n10.0.0.0/8 y\n' >u.cidr
cidr_keys='192.168.1.7 10.0.0.1 010.0.0.1 1.2.3.9 2001:db8::1 2001:DB8::1 [2001:db8::1] 2001:db9::5
172.16.5.5 172.16.5.200 172.16.6.1 127.0.0.1 foo 1.2.3.4 ::ffff:1.2.3.4 ::1 11.1.1.1 10.1.1.1 2001:db8::5'
compare "cidr" cidr:t.cidr cidr:t.cidr "$cidr_keys"
compare "cidr, an if without endif" cidr:u.cidr cidr:u.cidr "10.1.1.1 11.1.1.1"

# unionmap:, pipemap:, randmap: made of the tables above.
compare "unionmap" 'unionmap:{inline:{a=1, Ka=2}, texthash:src, static:{s p}}' \
    'unionmap:{inline:{a=1, Ka=2}, texthash:src, static:{s p}}' "ka KA lower nobody"
compare "pipemap" 'pipemap:{inline:{ka=kb, kb=lower}, texthash:src}' \
    'pipemap:{inline:{ka=kb, kb=lower}, texthash:src}' "ka KA kb kc"
compare "randmap of one value" 'randmap:{ {x y} }' 'randmap:{ {x y} }' "a"
for spec in 'unionmap:{}' 'unionmap:inline:{a=1}' 'unionmap:{inline:{a=1}' 'randmap:{}' 'pipemap:{nosuch:x}'; do
    is "$(postmap -c "$T/etc" -q a "$spec" 2>&1; echo "rc=$?")" "$(oracle_postmap -q a "$spec" 2>&1; echo "rc=$?")" \
        "$spec: the same error as Postfix's"
done
postmap -c "$T/etc" -q a 'unionmap:{inline:{a=1}, fail:x}' >/dev/null 2>"$T/fail.err"
is "$?:$(grep -c 'query error' "$T/fail.err")" "1:1" "a fail: member makes the unionmap lookup fail"
done_testing
