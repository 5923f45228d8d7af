#!/bin/bash
# postconf -M prints master.cf entries one per line like Postfix, with
# name/type selection; a malformed master.cf is an error naming file and line.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
unset MAIL_CONFIG
D=$POSTERN_SRC/test/data/config
cp "$D/master.cf.dist.entries" "$T/master.cf"

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
    "postlog    unix-dgram n       -       n       -       1       postlogd" "unix-dgram entry"
is "$(postconf -c "$T" -M scalemail-backend)" \
    'scalemail-backend unix  -       n       n       -       2       pipe flags=R user=scalemail argv=/usr/lib/scalemail/bin/scalemail-store ${nexthop} ${user} ${extension}' \
    "a long name and a pipe argv= continuation"
is "$(postconf -c "$T" -M nosuch/unix)" "" "an absent service prints nothing"
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
    "127.0.0.1:2525 inet  n       -       n       -       -       smtpd -o { smtpd_client_restrictions = permit_mynetworks, reject } -o smtpd_tls_security_level=encrypt" \
    "-o { name = value } is kept in braces"

printf 'smtp inet n - y - - smtpd\n# comment\npickup unix n - y sixty 1 pickup\n' >"$T/master.cf"
out=$(postconf -c "$T" -M 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "a malformed master.cf is an error"
is "$out" "postconf: fatal: $T/master.cf, line 3: bad wakeup time: sixty" "naming the file and line"
done_testing
