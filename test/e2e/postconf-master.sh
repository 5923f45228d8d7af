#!/bin/bash
# postconf -M prints master.cf entries one per line like Postfix, with
# name/type selection; a malformed master.cf is an error naming file and line.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
unset MAIL_CONFIG
D=$POSTERN_SRC/test/data/config
cp "$D/master.cf.dist.entries" "$T/master.cf"
: >"$T/main.cf"   # parameters are listed only from a main.cf that exists

postconf -c "$T" -M >"$T/M.out" 2>"$T/M.err"
ok $? "postconf -M exits 0 on Debian's master.cf"
is "$(cat "$T/M.err")" "" "no warnings"
is "$(wc -l <"$T/M.out" | tr -d ' ')" "31" "one line per entry"
is "$(head -5 "$T/M.out")" "smtp       inet  n       -       y       -       -       smtpd
pickup     unix  n       -       y       60      1       pickup
cleanup    unix  n       -       y       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       y       1000?   1       tlsmgr" "Postfix's column layout"
is "$(postconf -c "$T" -M relay/unix)" \
    'relay      unix  -       -       y       -       -       smtp -o syslog_name=postfix/$service_name' \
    "-M name/type, -o joined onto the line"
is "$(postconf -c "$T" -M smtp | cut -c1-16)" "smtp       inet 
smtp       unix " "-M name selects every type"
is "$(postconf -c "$T" -M postlog/unix-dgram)" \
    "postlog    unix-dgram n  -       n       -       1       postlogd" "unix-dgram entry, later fields back at their columns"
is "$(postconf -c "$T" -M scalemail-backend)" \
    'scalemail-backend unix - n       n       -       2       pipe flags=R user=scalemail argv=/usr/lib/scalemail/bin/scalemail-store ${nexthop} ${user} ${extension}' \
    "a long name and a pipe argv= continuation"
is "$(postconf -c "$T" -M nosuch/unix 2>/dev/null)" "" "an absent service prints nothing"
is "$(postconf -c "$T" -M nosuch/unix 2>&1)" 'postconf: warning: unmatched request: "nosuch/unix"' "and is warned about"
is "$(postconf -c "$T" -P)" 'relay/unix/syslog_name = postfix/$service_name' "-P lists -o settings"
is "$(postconf -c "$T" -F tlsmgr/unix)" "tlsmgr/unix/service = tlsmgr
tlsmgr/unix/type = unix
tlsmgr/unix/private = -
tlsmgr/unix/unprivileged = -
tlsmgr/unix/chroot = y
tlsmgr/unix/wakeup = 1000?
tlsmgr/unix/process_limit = 1
tlsmgr/unix/command = tlsmgr" "-F lists the fields of an entry"
is "$(postconf -c "$T" -Fh uucp/unix/command)" 'pipe flags=Fqhu user=uucp argv=uux -r -n -z -a$sender - $nexthop!rmail ($recipient)' \
    "-F service/type/field selects one field"
is "$(postconf -c "$T" -o myhostname=o.example -xh smtpd_banner)" "o.example ESMTP Postfix" \
    "-o name=value overrides main.cf for one command"

cat >"$T/master.cf" <<'MASTER'
127.0.0.1:2525 inet n - n - - smtpd
  -o { smtpd_client_restrictions = permit_mynetworks, reject }
  -o smtpd_tls_security_level=encrypt
MASTER
is "$(postconf -c "$T" -M)" \
    "127.0.0.1:2525 inet n    -       n       -       -       smtpd -o {smtpd_client_restrictions=permit_mynetworks, reject} -o smtpd_tls_security_level=encrypt" \
    "-o { name = value } is shown normalised, in braces"

# Editing: -F, -P, -M with -e/-X/-#; other lines stay byte for byte.
cat >"$T/master.cf" <<'MASTER'
# header comment
smtp      inet  n       -       y       -       -       smtpd
#submission inet n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
# comment between entries
maildrop  unix  -       n       n       -       -       pipe
  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
MASTER
cp "$T/master.cf" "$T/master.orig"
inode=$(stat -c %i "$T/master.cf")
postconf -c "$T" -F '*/*/chroot = n'
ok $? "postconf -F '*/*/chroot = n' exits 0"
is "$(postconf -c "$T" -Fh '*/*/chroot' | sort -u)" "n" "every chroot field is n"
is "$(grep -c '^#' "$T/master.cf")" "3" "comments are kept"
ok $([ "$(stat -c %i "$T/master.cf")" != "$inode" ] && echo 0 || echo 1) "master.cf was replaced by rename"
is "$(postconf -c "$T" -M maildrop)" \
    'maildrop   unix  -       n       n       -       -       pipe flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}' \
    "a pipe entry keeps its arguments"
cp "$T/master.orig" "$T/master.cf"
postconf -c "$T" -P 'smtp/inet/smtpd_tls_security_level=encrypt' 'relay/unix/syslog_name=postfix/relay'
is "$(postconf -c "$T" -P)" "smtp/inet/smtpd_tls_security_level = encrypt
relay/unix/syslog_name = postfix/relay" "-P name=value adds or replaces -o settings"
is "$(diff "$T/master.orig" "$T/master.cf" | grep -c '^<')" "3" "only the edited entries' lines changed"
postconf -c "$T" -PX 'relay/unix/syslog_name'
is "$(postconf -c "$T" -M relay)" "relay      unix  -       -       y       -       -       smtp" "-PX removes an -o setting"
postconf -c "$T" -M 'submission/inet = submission inet n - y - - smtpd -o smtpd_sasl_auth_enable=yes'
is "$(postconf -c "$T" -M submission/inet)" \
    "submission inet  n       -       y       -       -       smtpd -o smtpd_sasl_auth_enable=yes" "-M adds an entry"
like "$(cat "$T/master.cf")" "#submission inet n" "the commented-out entry stays"
postconf -c "$T" -M 'pickup/unix = pickup unix n - y 30 1 pickup'
is "$(postconf -c "$T" -Fh pickup/unix/wakeup)" "30" "-M replaces an entry"
postconf -c "$T" -MX relay/unix
is "$(postconf -c "$T" -M relay 2>/dev/null)" "" "-MX removes an entry"
postconf -c "$T" -M# maildrop/unix
is "$(grep -c '^#maildrop\|^#  flags=DRXhu' "$T/master.cf")" "2" "-M# comments out an entry and its continuation"
cp "$T/master.cf" "$T/master.before"
postconf -c "$T" -F 'smtp/inet/wakeup=soon' 2>"$T/err"
ok $([ $? -ne 0 ] && echo 0 || echo 1) "an invalid field value is refused"
like "$(cat "$T/err")" "bad wakeup time: soon" "with the reason"
check "master.cf is unchanged after a refused edit" cmp -s "$T/master.before" "$T/master.cf"
is "$(ls -A "$T" | grep -c postconf)" "0" "no temporary file is left behind"

printf 'smtp inet n - y - - smtpd\n# comment\npickup unix n - y sixty 1 pickup\n' >"$T/master.cf"
out=$(postconf -c "$T" -M 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "a malformed master.cf is an error"
is "$out" "postconf: fatal: $T/master.cf, line 3: bad wakeup time: sixty" "naming the file and line"
done_testing
