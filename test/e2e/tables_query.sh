#!/bin/bash
# The non-database table types through the installed postmap: "postmap -q"
# and "postmap -s" on texthash:, regexp:, pcre:, inline:, static: and unix:
# tables, and the errors a broken table gives (file and line named, exit 1).
. "$POSTERN_SRC/test/lib.sh"
tmpdir

if [ ! -x "$POSTERN_INST/sbin/postmap" ]; then
    skip "postmap is not installed"
    done_testing
    exit
fi

cat >"$T/access" <<'TXT'
# texthash source, postmap(1) format
Example.COM      OK
spam.example     REJECT go away
long.example     550 first part
    second part
TXT
cat >"$T/checks.regexp" <<'TXT'
/^(.*)@example\.com$/     local:$1
if /\.test$/
!/^admin@/                NOTADMIN
endif
TXT
cat >"$T/checks.pcre" <<'TXT'
/^(\w+)\+(\w+)@/          ${1}@plus-$2
/^CaSe$/i                 exact
TXT
cat >"$T/bad.regexp" <<'TXT'
/ok/ OK
/(a)/ $2
TXT

is "$(postmap -q example.com texthash:"$T/access")" "OK" "texthash: folded key found"
is "$(postmap -q LONG.example texthash:"$T/access")" "550 first part    second part" \
    "texthash: continuation line joined"
postmap -q nothere texthash:"$T/access" >/dev/null
is "$?" "1" "texthash: a missing key exits 1"
is "$(postmap -s texthash:"$T/access" | sort | tr '\t' ' ')" \
    "$(printf '%s\n' 'example.com OK' 'long.example 550 first part    second part' \
        'spam.example REJECT go away')" "texthash: postmap -s lists every entry"
is "$(postmap -q joe@Example.com regexp:"$T/checks.regexp")" "local:joe" "regexp: \$1 substitution"
is "$(postmap -q bob@x.test regexp:"$T/checks.regexp")" "NOTADMIN" "regexp: if and negation"
postmap -q admin@x.test regexp:"$T/checks.regexp" >/dev/null
is "$?" "1" "regexp: no rule matches"
is "$(postmap -q a+b@x pcre:"$T/checks.pcre")" "a@plus-b" "pcre: \${1} and \$2 substitution"
is "$(postmap -q CaSe pcre:"$T/checks.pcre")" "exact" "pcre: the i flag makes a rule case-sensitive"
postmap -q case pcre:"$T/checks.pcre" >/dev/null
is "$?" "1" "pcre: case-sensitive rule does not match other case"
is "$(postmap -q B 'inline:{ a=1, { b = two words } }')" "two words" "inline: braced element"
is "$(postmap -q anything 'static:{ some text }')" "some text" "static: braced value"
like "$(postmap -q root unix:passwd.byname)" "^root:[^:]*:0:0:" "unix:passwd.byname"
err=$(postmap -q x regexp:"$T/bad.regexp" 2>&1)
is "$?" "1" "regexp: a broken table exits 1"
like "$err" "bad\.regexp, line 2: replacement index \\\$2 is beyond" "regexp: the error names file and line"
err=$(postmap -q x nosuch:"$T/access" 2>&1)
like "$err" "unsupported dictionary type: nosuch" "an unknown type is reported"
done_testing
