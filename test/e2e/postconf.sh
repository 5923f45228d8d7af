#!/bin/bash
# postconf shows parameters like Postfix 3.7's: -n on Debian's "Internet
# Site" main.cf, -d against Postfix's own `postconf -d`, names, -h, -x, -H,
# and the unknown/unused parameter warnings.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
D=$POSTERN_SRC/test/data/config
unset MAIL_CONFIG

# -d: every built-in default, compared with Postfix 3.7.11's output.
mkdir "$T/empty"
cp "$D/master.cf.dist.entries" "$T/empty/master.cf"
postconf -c "$T/empty" -d >"$T/d.out" 2>"$T/d.err"
ok $? "postconf -d exits 0"
is "$(cat "$T/d.err")" "" "postconf -d prints no warnings"
is "$(wc -l <"$T/d.out" | tr -d ' ')" "1044" "postconf -d prints Postfix's 1043 parameters and Postern's own"
is "$(grep '^queue_directory_fsync = ' "$T/d.out")" "queue_directory_fsync = yes" \
    "Postern's own parameter queue_directory_fsync defaults to yes"
# Parameters whose default depends on this host or on the build (configure's
# prefix and directories), not on Postern's defaults table.
host_or_build='^(myhostname|mydomain|mynetworks|process_id|process_name|config_directory|daemon_directory|command_directory|queue_directory|data_directory|meta_directory|shlib_directory|sendmail_path|newaliases_path|mailq_path) '
diff <(grep -Ev "$host_or_build" "$D/postconf-d.txt") \
    <(grep -Ev "$host_or_build|^queue_directory_fsync " "$T/d.out") >"$T/d.diff"
ok $? "postconf -d equals Postfix's postconf -d except host/build-dependent values"
[ -s "$T/d.diff" ] && head -20 "$T/d.diff" | sed 's/^/# /'
is "$(grep -Ec "$host_or_build" "$T/d.out")" "15" "the host/build-dependent parameters are all there"
like "$(grep '^myhostname = ' "$T/d.out")" '^myhostname = [^.]+\..+' "default myhostname is qualified"
like "$(grep '^process_id = ' "$T/d.out")" '^process_id = [0-9]+$' "process_id is a number"
like "$(grep '^mynetworks = ' "$T/d.out")" '127\.0\.0\.0/8' "default mynetworks (subnet style) has 127.0.0.0/8"
is "$(grep '^config_directory = ' "$T/d.out")" "config_directory = $POSTERN_INST/etc/postfix" \
    "config_directory default comes from the build"
is "$(grep '^compatibility_level = ' "$T/d.out")" "compatibility_level = 0" "compatibility_level default"

# -n on the main.cf Debian's postinst writes for "Internet Site".
mkdir "$T/deb"
cp "$D/main.cf.debian-internet-site" "$T/deb/main.cf"
cp "$D/master.cf.dist.entries" "$T/deb/master.cf"
postconf -c "$T/deb" -n >"$T/n.out" 2>"$T/n.err"
ok $? "postconf -n exits 0"
is "$(cat "$T/n.err")" "" "no warnings for Debian's main.cf"
want=$(sed -E 's/^([^ =]+) *= *(.*)$/\1 = \2/; s/ = $/ =/' "$D/main.cf.debian-internet-site";
       echo "config_directory = $T/deb")
is "$(cat "$T/n.out")" "$(printf '%s\n' "$want" | LC_ALL=C sort)" "postconf -n prints main.cf's settings, sorted, in Postfix's form"
is "$(grep -c '^relayhost =$' "$T/n.out")" "1" "an empty value prints as 'name =' without a trailing space"
is "$(MAIL_CONFIG=$T/deb postconf -n | grep -c '^myhostname = mail.example.com$')" "1" "MAIL_CONFIG selects the directory"

# Names, -h, -x, -H.
is "$(postconf -c "$T/deb" myhostname mail_name)" "myhostname = mail.example.com
mail_name = Postfix" "named parameters in the order given"
is "$(postconf -c "$T/deb" -h smtpd_banner)" '$myhostname ESMTP $mail_name (Debian/GNU)' "-h prints the value only"
is "$(postconf -c "$T/deb" -xh smtpd_banner)" 'mail.example.com ESMTP Postfix (Debian/GNU)' "-x expands"
is "$(postconf -c "$T/deb" -x smtp_tls_session_cache_database)" \
    "smtp_tls_session_cache_database = btree:/var/lib/postfix/smtp_scache" "-x expands \${data_directory}"
is "$(postconf -c "$T/deb" -xh relay_domains mynetworks_style)" "
host" "-x evaluates compatibility_level expressions (3.6: empty relay_domains, host)"
is "$(postconf -c "$T/deb" -H biff)" "biff" "-H prints the name only"
is "$(postconf -c "$T/deb" -h relayhost)" "" "-h of an empty value is an empty line"
is "$(postconf -c "$T/deb" -n -h biff relayhost mail_name | wc -l | tr -d ' ')" "2" "-n with names shows only those set"
mkdir "$T/mn"
echo "origin.example.net" >"$T/mn/mailname"
echo "myorigin = $T/mn/mailname" >"$T/mn/main.cf"
is "$(postconf -c "$T/mn" -xh myorigin)" "origin.example.net" "Debian's myorigin = /file reads the name from the file"
is "$(postconf -c "$T/mn" -h myorigin)" "$T/mn/mailname" "without -x the setting shows as written"

# Full listing.
postconf -c "$T/deb" >"$T/all.out" 2>"$T/all.err"
ok $? "postconf with no arguments exits 0"
is "$(wc -l <"$T/all.out" | tr -d ' ')" "1044" "it prints every parameter once"
is "$(grep -c '^myhostname = mail.example.com$' "$T/all.out")" "1" "main.cf values replace defaults"
check "the listing is sorted" bash -c "LC_ALL=C sort -c '$T/all.out'"

# Unknown and unused parameters.
out=$(postconf -c "$T/deb" no_such_parameter 2>&1 >/dev/null)
is "$out" "postconf: warning: no_such_parameter: unknown parameter" "unknown parameter warning"
mkdir "$T/u"
cp "$D/master.cf.dist.entries" "$T/u/master.cf"
cat >"$T/u/main.cf" <<'MAIN'
foo = bar
my_list = a b
mydestination = $myhostname, $my_list
relay_destination_concurrency_limit = 5
uucp_destination_recipient_limit = 2
nowhere_destination_recipient_limit = 3
MAIN
postconf -c "$T/u" -n >"$T/u.out" 2>"$T/u.err"
is "$(cat "$T/u.err")" "postconf: warning: $T/u/main.cf: unused parameter: foo=bar
postconf: warning: $T/u/main.cf: unused parameter: nowhere_destination_recipient_limit=3" \
    "unused parameters are warned about; \$-referenced and per-transport ones are not"
like "$(cat "$T/u.out")" "my_list = a b" "a user-defined parameter used as \$my_list is shown"
like "$(cat "$T/u.out")" "relay_destination_concurrency_limit = 5" "a per-transport parameter is shown"
printf 'relay unix - - n - - smtp\n  -o smtp_helo_timeout=5s -o my_bogus=1 -o smtp_bind_address=$my_list\n' >"$T/u/master.cf"
like "$(postconf -c "$T/u" -n 2>&1 >/dev/null)" "warning: $T/u/master.cf: unused parameter: my_bogus=1" \
    "an unused master.cf -o setting is warned about"
is "$(postconf -c "$T/u" -n 2>&1 >/dev/null | grep -c 'smtp_helo_timeout\|smtp_bind_address')" "0" \
    "known -o settings are not"
cp "$D/master.cf.dist.entries" "$T/u/master.cf"
is "$(postconf -c "$T/u" relay_destination_rate_delay 2>/dev/null)" \
    'relay_destination_rate_delay = $default_destination_rate_delay' "per-transport default of a master.cf service"

# A bad main.cf is fatal with file and line.
mkdir "$T/bad"
printf 'a = 1\nthis line has no equals\n' >"$T/bad/main.cf"
out=$(postconf -c "$T/bad" -n 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "a malformed main.cf makes postconf fail"
like "$out" "^postconf: fatal: $T/bad/main.cf, line 2: missing '='" "the error names file and line"
printf 'a = $b\nb = $a\n' >"$T/bad/main.cf"
out=$(postconf -c "$T/bad" -x a 2>&1)
like "$out" "fatal: .*main.cf, line 1: parameter a: recursion" "an expansion loop is fatal with -x"

# A main.cf that is not there: fatal when parameters are listed (a mistyped
# -c), as in Postfix; the defaults need none.
mkdir -p "$T/nomain"
out=$(postconf -c "$T/nomain" -n 2>&1)
is "$?:$out" "1:postconf: fatal: open $T/nomain/main.cf: No such file or directory" \
    "postconf -n with no main.cf is fatal, naming the file"
out=$(postconf -c "$T/nosuchdir" myhostname 2>&1)
is "$?:$out" "1:postconf: fatal: open $T/nosuchdir/main.cf: No such file or directory" \
    "so is a directory that does not exist"
is "$(postconf -c "$T/nomain" -d -h mail_name)" "Postfix" "postconf -d needs no main.cf"
done_testing
