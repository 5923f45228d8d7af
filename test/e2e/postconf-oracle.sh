#!/bin/bash
# postconf prints what Debian's Postfix 3.7 postconf prints for the same
# main.cf and master.cf: white space normalised, -f folding of parameters
# and master.cf entries, -M/-F/-P (sorted -o settings, braces kept), -h, -x,
# -o; and -m/-a/-A/-l list what this build supports.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
tmpdir

# -m, -a, -A, -l need no oracle.
is "$(postconf -m | tr '\n' ' ')" "btree cdb cidr fail hash inline lmdb pcre pipemap proxy randmap regexp static texthash unionmap unix " \
    "-m lists the table types, sorted"
for t in $(postconf -m); do
    postmap -q x "$t:/nonexistent/x" 2>&1 | grep -q "unsupported dictionary type" && echo "# $t is not supported"
done >"$T/m.err"
is "$(cat "$T/m.err")" "" "every type -m lists is one postmap knows"
is "$(postconf -a | tr '\n' ' ')" "cyrus dovecot " "-a: the SASL server types"
is "$(postconf -A | tr '\n' ' ')" "cyrus " "-A: the SASL client types"
is "$(postconf -l | tr '\n' ' ')" "flock fcntl dotlock " "-l: the mailbox lock methods"

if ! oracle_setup; then
    skip "no Postfix oracle: $ORACLE_WHY"
    # (Postfix 3.7's "postconf -hF */*/command" drops the space after the first
# word of some commands, "pipeflags=DRXhu": a bug not copied.)
is "$(postconf -c "$T/etc" -hF maildrop/unix/command)" \
    'pipe flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient} ${nexthop} aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb' \
    "-hF command: the command and its arguments"
done_testing
    exit 0
fi
long=$(printf 'x%.0s' $(seq 100))
cat >"$T/settings" <<EOF
mydestination = one   two		three,
	four,
    five
smtpd_banner = \$myhostname    ESMTP   x
alias_maps = hash:/etc/aliases, hash:/etc/postfix/a-rather-long-alias-table-name, hash:/etc/postfix/another-one
smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, check_policy_service unix:private/policy, reject_rbl_client zen.spamhaus.org
relay_domains = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bb cc
virtual_alias_domains = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbb cc
virtual_alias_maps = $long $long short
relayhost =
EOF
cat >"$T/master.cf" <<'EOF'
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }
  -o milter_macro_daemon_name=ORIGINATING
maildrop  unix  -       n       n       -       -       pipe
  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient} ${nexthop} aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb
x unix - - n - - a -o b=c
y unix - - n - - smtp -v -o smtp_helo_name=c d
z unix - - n - - pipe argv=/bin/x -o y
w unix - - n - - smtpd -o { smtpd_banner = b c } -v -v
v15 unix - - n - - smtpd aaaaaaaaaaaaaaa
v16 unix - - n - - smtpd aaaaaaaaaaaaaaaa
v17 unix - - n - - smtpd aaaaaaaaaaaaaaaaa
q unix - - n - - smtpd -o smtpd_banner=b -v x
r unix - - n - - smtpd -v x -o a=b
dup unix - - n - - smtpd -o smtpd_banner=1 -o smtpd_banner=2
EOF
mkdir -p "$T/etc"
cp "$T/master.cf" "$T/etc/master.cf"
cp "$T/master.cf" "$ORACLE_CONF/master.cf"
printf 'myhostname = %s\n' "$ORACLE_HOSTNAME" | cat - "$T/settings" >"$T/etc/main.cf"
cat "$T/settings" >>"$ORACLE_CONF/main.cf"

set -f   # the selectors below are not file names
names="mydestination smtpd_banner alias_maps smtpd_recipient_restrictions relay_domains virtual_alias_domains virtual_alias_maps relayhost"
while read -r args; do
    # shellcheck disable=SC2086
    ours=$(postconf -c "$T/etc" $args 2>/dev/null)
    # shellcheck disable=SC2086
    theirs=$(oracle_run postconf $args 2>/dev/null)
    is "$ours" "$theirs" "postconf $args: the same output as Postfix's"
done <<EOF
$names
-h $names
-f $names
-hf $names
-x smtpd_banner
-xf smtpd_recipient_restrictions
-o smtpd_banner=a\tb -h smtpd_banner
-M
-Mf
-M submission/inet maildrop
-Mf submission
-F
-Ff
-F */*/command
-Ff */*/command
-P
-Pf
-P submission/inet/smtpd_client_restrictions
EOF
# (Postfix 3.7's "postconf -hF */*/command" drops the space after the first
# word of some commands, "pipeflags=DRXhu": a bug not copied.)
is "$(postconf -c "$T/etc" -hF maildrop/unix/command)" \
    'pipe flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient} ${nexthop} aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb' \
    "-hF command: the command and its arguments"
done_testing
