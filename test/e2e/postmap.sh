#!/bin/bash
# postmap and postalias against the files Postfix 3.7.11 wrote (test/data/tables/db):
# Postern reads Postfix's .db files, and builds .db files that dump to the
# same bytes; then the command line: queries, deletes, incremental updates,
# errors, atomic rebuilds, locking, and a hostile DB_CONFIG.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
D=$POSTERN_SRC/test/data/tables/db
mkdir -p "$T/etc" "$T/pf" "$T/b"
printf 'myhostname = mail.example.com\nalias_database = hash:%s/b/aliases\n' "$T" >"$T/etc/main.cf"
PM="postmap -c $T/etc"
PA="postalias -c $T/etc"
for f in virtual access aliases; do cp "$D/$f.db" "$T/pf/"; cp "$D/$f" "$T/b/"; done

# --- Postern reads Postfix's files ---------------------------------------
is "$($PM -s hash:$T/pf/virtual)" "$(cat "$D/virtual.postmap-s")" "postmap -s of Postfix's virtual.db"
is "$($PM -s hash:$T/pf/access)" "$(cat "$D/access.postmap-s")" "postmap -s of Postfix's access.db"
is "$($PA -s hash:$T/pf/aliases)" "$(cat "$D/aliases.postalias-s")" "postalias -s of Postfix's aliases.db"
bad=0
while IFS=$'\t' read -r k v; do
    got=$($PM -q "$k" hash:$T/pf/virtual) || bad=$((bad + 1))
    [ "$got" == "$v" ] || { bad=$((bad + 1)); echo "# $k: got '$got' want '$v'"; }
done <"$D/virtual.postmap-s"
while IFS=$'\t' read -r k v; do
    got=$($PM -q "$k" hash:$T/pf/access) || bad=$((bad + 1))
    [ "$got" == "$v" ] || { bad=$((bad + 1)); echo "# $k: got '$got' want '$v'"; }
done <"$D/access.postmap-s"
is "$bad" 0 "postmap -q finds every key of Postfix's virtual.db and access.db"
is "$($PM -q INFO@example.com hash:$T/pf/virtual)" "alice@example.com" "postmap -q folds the key"
$PM -q nobody@example.com hash:$T/pf/virtual >/dev/null
is "$?" 1 "postmap -q of a missing key exits 1"
is "$($PA -q staff hash:$T/pf/aliases)" "alice, bob, carol@relay.test" "postalias -q of Postfix's aliases.db"
is "$($PA -f -q YP_MASTER_NAME hash:$T/pf/aliases)" "mail.example.com" "postalias -q of a YP_ entry (no NUL)"
is "$(printf 'Root\nnobody\nstaff\n' | $PA -q - hash:$T/pf/aliases)" \
    "$(printf 'Root:\talice, bob\nstaff:\talice, bob, carol@relay.test')" "postalias -q - prints key: value"
is "$(printf 'Info@Example.COM\nnobody\n' | $PM -q - hash:$T/pf/virtual)" \
    "$(printf 'Info@Example.COM\talice@example.com')" "postmap -q - prints the key as given"

# --- Postern builds the same bytes ----------------------------------------
cd "$T/b" || exit 1
$PM hash:virtual 2>virtual.err
is "$?" 0 "postmap hash:virtual"
is "$(cat virtual.err)" "$(cat "$D/virtual.postmap-stderr")" "postmap warns about the duplicate as Postfix"
is "$(db5.3_dump -p virtual.db)" "$(cat "$D/virtual.db_dump")" "virtual.db dumps to Postfix's bytes"
$PM access 2>access.err
is "$(cat access.err)" "$(cat "$D/access.postmap-stderr")" "postmap access (default type): warnings"
is "$(db5.3_dump -p access.db)" "$(cat "$D/access.db_dump")" "access.db dumps to Postfix's bytes"
$PA hash:aliases 2>aliases.err
is "$(cat aliases.err)" "$(cat "$D/aliases.postalias-stderr")" "postalias: warnings as Postfix"
is "$(db5.3_dump -p aliases.db | sed '/^ YP_LAST_MODIFIED$/{n;s/.*/ TIME/}')" \
    "$(sed '/^ YP_LAST_MODIFIED$/{n;s/.*/ TIME/}' "$D/aliases.db_dump")" \
    "aliases.db dumps to Postfix's bytes (but the time)"
now=$(date +%s)
ts=$($PA -f -q YP_LAST_MODIFIED hash:aliases)
ok $(( !(ts >= now - 60 && ts <= now) )) "YP_LAST_MODIFIED is the build time"
is "$($PA -s aliases | grep -v YP_LAST_MODIFIED)" "$(grep -v YP_LAST_MODIFIED "$D/aliases.postalias-s")" \
    "postalias -s of Postern's aliases.db"
mode=$(stat -c %a virtual.db)
is "$mode" 644 "a new table is mode 0644 (source readable by all)"
chmod 600 access
rm -f access.db
$PM access 2>/dev/null
is "$(stat -c %a access.db)" 600 "a new table keeps the source's group and other read permissions"
rm -f access.db
$PM -p access 2>/dev/null
is "$(stat -c %a access.db)" 644 "-p: mode 0644 whatever the source"

# The other types hold the same entries.
for type in btree lmdb cdb; do
    $PM $type:virtual 2>/dev/null
    is "$($PM -s $type:virtual | sort)" "$(sort "$D/virtual.postmap-s")" "$type: postmap -s lists the same entries"
    is "$($PM -q sales@example.com $type:virtual)" "bob@example.com,                            carol@relay.test" \
        "$type: postmap -q"
    $PA $type:aliases 2>/dev/null
    is "$($PA -s $type:aliases | grep -v YP_LAST | sort)" "$(grep -v YP_LAST "$D/aliases.postalias-s" | sort)" \
        "$type: postalias -s lists the same entries"
done
is "$(stat -c %s virtual.cdb)" 2598 "cdb: the same size as Postfix's (keys and values without NUL)"
# Back to hash: for what follows.
$PM hash:virtual 2>/dev/null
$PA hash:aliases 2>/dev/null
ls -A | grep -q '^\.' && ls -A | grep '^\.' | sed 's/^/# left over: /'
ls -A | grep -q '^\.'
is "$?" 1 "no temporary files left"

# --- Source format: warnings name file and line ---------------------------
printf 'novalue\nkey: value\n"quoted key" qv\n"unterminated x\n  continued\nk2   v2   \n' >src
$PM src 2>src.err
is "$?" 0 "bad lines are warnings, not errors"
is "$(cat src.err)" "postmap: warning: src, line 1: expected format: key whitespace value
postmap: warning: src, line 2: record is in \"key: value\" format; is this an alias file?
postmap: warning: src, line 4: unbalanced '\"' in '\"unterminated x  continued' -- ignoring this line" \
    "postmap warnings as Postfix's"
is "$($PM -s src | sort)" "$(printf '"quoted key"\tqv\nk2\tv2\nkey:\tvalue')" "what postmap stored"
printf 'a: b\nnocolon x\nb@dom: x\n' >asrc
$PA asrc 2>asrc.err
is "$(cat asrc.err)" "postalias: warning: asrc, line 2: need name:value pair
postalias: warning: asrc, line 3: name must be local" "postalias warnings as Postfix's"

# --- UTF-8 (smtputf8_enable, on from compatibility_level 1) -----------------
mkdir -p "$T/etc8"
printf 'compatibility_level = 3.6\n' >"$T/etc8/main.cf"
cp "$D/utf8" u8
postmap -c "$T/etc8" u8 2>err
is "$(cat err)" "postmap: warning: u8, line 2: non-UTF-8 input \"bad?key v2\" -- ignoring this line
postmap: warning: u8, line 3: non-UTF-8 input \"k3 bad?val\" -- ignoring this line" "UTF-8: bad lines are skipped"
is "$(postmap -c "$T/etc8" -s u8 | sort)" "$(printf 'äbc@exämple.com\tv1\nösterreich@example.com\tv4')" \
    "UTF-8: keys are folded beyond ASCII"
is "$(postmap -c "$T/etc8" -q 'ÄBC@EXÄMPLE.com' u8)" "v1" "UTF-8: queries are folded beyond ASCII"
postmap -c "$T/etc8" -u u8 2>err
is "$(cat err):$(postmap -c "$T/etc8" -s u8 | wc -l)" ":4" "-u: no UTF-8 checks"
is "$(postmap -c "$T/etc8" -u -q 'Äbc@exämple.com' u8)" "v1" "-u: ASCII folding only"

# --- Options -----------------------------------------------------------------
printf 'UPPER value\n' >fsrc
$PM -f fsrc
is "$($PM -f -q UPPER fsrc)" "value" "-f: keys are not folded"
$PM -q upper fsrc >/dev/null
is "$?" 1 "-f: the lower-case key is absent"
printf 'k v1\nk v2\n' >dsrc
$PM -r dsrc 2>d.err
is "$($PM -q k dsrc):$(cat d.err)" "v2:" "-r: the last entry wins, silently"
$PM -w dsrc 2>d.err
is "$($PM -q k dsrc):$(cat d.err)" "v1:" "-w: the first entry wins, silently"
$PM -n dsrc 2>/dev/null
is "$(db5.3_dump -p dsrc.db | sed -n '/HEADER=END/,/DATA=END/p' | sed -n 2p)" " k" "-n: no trailing NUL"
is "$($PM -q k dsrc)" "v1" "-n files are read"
$PM -N cdb:dsrc 2>/dev/null
is "$(cdb -d dsrc.cdb | head -1 | tr '\0' '@')" "+2,3:k@->v1@" "-N cdb: with NUL"
is "$($PM -q k cdb:dsrc)" "v1" "-N cdb files are read"

# -h/-b: a message's headers and body lines as keys (message.postmap-hb is Postfix's output).
is "$($PM -h -b -q - static:X <"$D/message")" "$(cat "$D/message.postmap-hb")" "-h -b -q -: keys from a message"
is "$($PM -h -q - static:X <"$D/message" | wc -l)" 4 "-h: the headers only (one spans two lines)"

# -F: values are files, stored base64-encoded (TLS SNI maps).
printf 'line1\nline2\n' >f1
printf 'noeol' >f2
printf 'third\n' >f3
printf 'a.example %s/f1, %s/f2 %s/f3\nb.example %s/f2\nc.example %s/nosuch\n' "$PWD" "$PWD" "$PWD" "$PWD" "$PWD" >sni
$PM -F sni 2>err
is "$(cat err)" "postmap: warning: sni, line 3: open $PWD/nosuch: No such file or directory: skipping this entry" \
    "-F: a missing file skips the entry"
is "$($PM -q a.example sni)" "bGluZTEKbGluZTIKCm5vZW9sCnRoaXJkCg==" "-F: files joined by newlines, base64"
is "$($PM -F -q a.example sni)" "$(printf 'line1\nline2\n\nnoeol\nthird\n')" "-F -q decodes"
is "$($PM -F -s sni)" "$(printf 'b.example\tnoeol\na.example\tline1\nline2\n\nnoeol\nthird\n')" "-F -s decodes"
$PM -F -q k dsrc 2>err >/dev/null
like "$(cat err)" "malformed BASE64 value: v1" "-F: a value that is not base64 is a warning"

# Incremental updates and deletes.
printf 'new@example.com new\ninfo@example.com other\n' | $PM -i hash:virtual 2>inc.err
is "$($PM -q new@example.com virtual)" "new" "-i adds entries"
is "$(cat inc.err)" 'postmap: warning: virtual.db: duplicate entry: "info@example.com"' "-i: duplicates warned about"
$PM -d new@example.com virtual
is "$?" 0 "-d of a present key exits 0"
$PM -d new@example.com virtual
is "$?" 1 "-d of a missing key exits 1"
printf 'dup@example.com\nnope\n' | $PM -d - virtual
is "$?" 0 "-d - removes keys read from stdin"
$PM -q dup@example.com virtual >/dev/null
is "$?" 1 "... and they are gone"
printf 'x: y\n' | $PA -i aliases
is "$($PA -q x aliases)" "y" "postalias -i"
$PM -d x cdb:virtual 2>err
is "$?:$(cat err)" "1:postmap: fatal: cdb:virtual: a cdb table cannot be updated in place; rebuild it" "cdb: no -d"

# --- Errors --------------------------------------------------------------
$PM nosuch 2>err
is "$?:$(cat err)" "1:postmap: fatal: open nosuch: No such file or directory" "missing source"
$PM -q x nosuch 2>err
is "$?:$(cat err)" "1:postmap: fatal: open database nosuch.db: No such file or directory" "missing table"
$PM -q x bogus:src 2>err
is "$?:$(cat err)" "1:postmap: fatal: unsupported dictionary type: bogus" "unknown type"
$PM bogus:src 2>err
is "$?:$(cat err)" "1:postmap: fatal: unsupported dictionary type: bogus. Is the postfix-bogus package installed?" \
    "unknown type for a build"
$PM -q x -s src 2>err
is "$?:$(cat err)" "1:postmap: fatal: specify only one of -s or -q or -d" "-q with -s"
$PM 2>err
like "$(cat err)" "^postmap: fatal: usage: postmap " "usage"
printf 'garbage, not a database\n' >junk.db
$PM -q x junk 2>err
like "$?:$(cat err)" "^1:postmap: fatal: open database junk.db: " "a corrupt .db is a clean error"

# --- Atomic rebuild: a failing build leaves the old table ----------------
ino=$(stat -c %i virtual.db)
cp virtual virtual.good
printf 'bad\0line value\n' >>virtual
$PM virtual 2>err
is "$?" 1 "a source with a NUL byte fails the build"
like "$(cat err)" "^postmap: fatal: virtual, line 1[0-9]: NUL character in line" "... naming file and line"
is "$(stat -c %i virtual.db):$($PM -q info@example.com virtual)" "$ino:alice@example.com" \
    "the old table is untouched"
ls -A | grep -q '^\.virtual'
is "$?" 1 "the half-built file is removed"
cp virtual.good virtual

# --- Locking: postmap waits for a holder of the table's lock ---------------
# This shell holds Postfix's lock (flock on the .db file) on descriptor 9.
exec 9<virtual.db
flock -x 9
echo "k v" | timeout 1 $PM -i virtual
is "$?" 124 "postmap -i waits while another process holds the lock"
timeout 1 $PM virtual 2>/dev/null
is "$?" 124 "a rebuild waits too"
exec 9<&-
echo "k v" | timeout 10 $PM -i virtual
is "$?" 0 "... and proceeds once it is released"

# --- Rebuilds under load: readers always see a whole table -----------------
for type in hash lmdb cdb; do
    $PM $type:virtual 2>/dev/null
    (for i in $(seq 8); do $PM $type:virtual 2>/dev/null || echo "rebuild failed" >>"$T/b/load.err"; done) &
    builder=$!
    (for i in $(seq 8); do $PM $type:virtual 2>/dev/null || echo "rebuild failed" >>"$T/b/load.err"; done) &
    builder2=$!
    misses=0 n=0
    while kill -0 $builder 2>/dev/null || kill -0 $builder2 2>/dev/null; do
        [ "$($PM -q sales@example.com $type:virtual 2>&1)" = "bob@example.com,                            carol@relay.test" ] ||
            misses=$((misses + 1))
        n=$((n + 1))
        [ $n -ge 400 ] && break
    done
    wait $builder $builder2
    is "$misses:$(cat "$T/b/load.err" 2>/dev/null)" "0:" "$type: $n queries during 16 concurrent rebuilds all answered"
    ls -A | grep -q '^\.virtual'
    is "$?" 1 "$type: no temporary files left after concurrent rebuilds"
done

# --- Berkeley DB must not read a DB_CONFIG from the current directory ----
mkdir -p "$T/evil"
cd "$T/evil" || exit 1
printf 'bogus_directive here\nset_data_dir /nonexistent\n' >DB_CONFIG
cp "$T/b/virtual.good" v
$PM hash:v 2>err
is "$?:$(cat err)" "0:postmap: warning: v.db: duplicate entry: \"dup@example.com\"" "build beside a hostile DB_CONFIG"
is "$($PM -q info@example.com hash:v)" "alice@example.com" "query beside a hostile DB_CONFIG"
is "$($PM -q info@example.com hash:$T/b/virtual)" "alice@example.com" "query of another directory's table"

# --- A source owned by another user is processed with that user's rights --
mkdir -p "$T/u"
cp "$T/b/virtual.good" "$T/u/v"
chown -R nobody:nogroup "$T/u"
$PM "$T/u/v" 2>/dev/null
is "$?:$(stat -c %U "$T/u/v.db")" "0:nobody" "root builds a user's table as that user"
rm -f "$T/u/v.db"
$PM -o "$T/u/v" 2>/dev/null
is "$(stat -c %U "$T/u/v.db")" "root" "-o: as root"
chown root "$T/u"
rm -f "$T/u/v.db"
$PM "$T/u/v" 2>err
is "$?" 1 "the user may not write the directory: the build fails"
like "$(tail -1 err)" "^postmap: fatal: create $T/u/\.v\.db\.[A-Za-z0-9]+: Permission denied" "... saying why"

# --- newaliases ------------------------------------------------------------
cd "$T/b" || exit 1
cp "$D/aliases" aliases
cp aliases aliases2
printf 'myhostname = mail.example.com\nalias_database = hash:%s/b/aliases, btree:%s/b/aliases2\n' "$T" "$T" \
    >"$T/etc/main.cf"
rm -f aliases.db aliases2.db
MAIL_CONFIG=$T/etc newaliases 2>err
is "$?" 0 "newaliases"
is "$($PA -q root aliases):$($PA -q root btree:aliases2)" "alice, bob:alice, bob" \
    "newaliases builds every alias_database table"

done_testing
