#!/bin/bash
# postconf -e / name=value, -X and -# edit main.cf in place: comments, order
# and continuation lines kept, a setting replaced with its continuation
# lines, new ones appended; the file is replaced atomically (new inode via
# rename, same mode and owner, no temporary file left behind).
. "$POSTERN_SRC/test/lib.sh"
tmpdir
unset MAIL_CONFIG
C=$T/etc
mkdir "$C"
cat >"$C/main.cf" <<'MAIN'
# Debian-like header comment
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no

# a comment between settings
mydestination = $myhostname,
    localhost.$mydomain,
    localhost
relayhost = first
smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem
relayhost = duplicate
    continued duplicate
inet_interfaces = all
# trailing comment
MAIN
chmod 640 "$C/main.cf"
chown nobody:nogroup "$C/main.cf" 2>/dev/null || chown nobody "$C/main.cf"
owner_before=$(stat -c %U:%G "$C/main.cf")
ln "$C/main.cf" "$T/old-link"
inode_before=$(stat -c %i "$C/main.cf")

postconf -c "$C" -e 'mydestination = example.com, localhost' relayhost= 'myhostname=mail.example.com' \
    'home_mailbox=Maildir/'
ok $? "postconf -e exits 0"
is "$(cat "$C/main.cf")" '# Debian-like header comment
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no

# a comment between settings
mydestination = example.com, localhost
relayhost = 
smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem
inet_interfaces = all
# trailing comment
myhostname = mail.example.com
home_mailbox = Maildir/' "edits keep comments and order, replace continuation lines and duplicates, append new settings"
is "$(stat -c %a "$C/main.cf")" "640" "the mode is kept"
is "$(stat -c %U:%G "$C/main.cf")" "$owner_before" "the owner is kept"
ok $([ "$(stat -c %i "$C/main.cf")" != "$inode_before" ] && echo 0 || echo 1) "main.cf was replaced by rename (new inode)"
like "$(cat "$T/old-link")" "relayhost = first" "the old file was never written in place"
is "$(ls -A "$C")" "main.cf" "no temporary file is left behind"
is "$(postconf -c "$C" -h relayhost mydestination)" "
example.com, localhost" "postconf reads the edited values back"

postconf -c "$C" biff=yes
is "$(postconf -c "$C" -h biff)" "yes" "name=value edits without -e"
postconf -c "$C" -e a_new=1 a_new=2
is "$(grep -c '^a_new' "$C/main.cf")" "1" "the same name twice is written once"
is "$(grep '^a_new' "$C/main.cf")" "a_new = 2" "the last value given wins"

postconf -c "$C" -X biff a_new no_such_setting
ok $? "postconf -X exits 0"
is "$(grep -Ec '^(biff|a_new)' "$C/main.cf")" "0" "-X removes the settings"
like "$(cat "$C/main.cf")" "# a comment between settings" "-X keeps comments"

postconf -c "$C" -# inet_interfaces
is "$(grep inet_interfaces "$C/main.cf")" "#inet_interfaces = all" "-# comments a setting out"
is "$(postconf -c "$C" -n inet_interfaces)" "" "a commented-out setting is no longer set"

# Refused edits leave main.cf alone.
cp "$C/main.cf" "$T/before"
postconf -c "$C" -e "evil=x
injected = yes" 2>"$T/err"
ok $([ $? -ne 0 ] && echo 0 || echo 1) "a value with a newline is refused"
postconf -c "$C" -e "bad name=x" 2>>"$T/err"
ok $([ $? -ne 0 ] && echo 0 || echo 1) "a bad parameter name is refused"
like "$(cat "$T/err")" "postconf: fatal: bad parameter name" "with a clear message"
check "main.cf is unchanged after refused edits" cmp -s "$T/before" "$C/main.cf"
is "$(ls -A "$C")" "main.cf" "still no temporary file"

# A missing main.cf is created by -e, 0644.
mkdir "$T/new"
postconf -c "$T/new" -e myhostname=new.example
is "$(cat "$T/new/main.cf")" "myhostname = new.example" "-e creates main.cf when there is none"
is "$(stat -c %a "$T/new/main.cf")" "644" "with mode 644"
mkdir "$T/none"
postconf -c "$T/none" -X myhostname
is "$(ls -A "$T/none")" "" "-X on a missing main.cf creates nothing"

# A main.cf without a final newline.
printf 'a = 1\nmydomain = x' >"$T/new/main.cf"
postconf -c "$T/new" -e mydomain=y b=2
is "$(cat "$T/new/main.cf")" "a = 1
mydomain = y
b = 2" "a last line without newline is handled"
done_testing
