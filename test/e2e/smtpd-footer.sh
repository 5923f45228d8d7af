#!/bin/bash
# smtpd_reject_footer and smtpd_reject_footer_maps (postconf(5)): text after
# every 4XX/5XX reply and only those; "\c" joins the footer to the reply's
# line, "\n" starts a new line that repeats the reply code and enhanced
# status code, every line but the last with "NNN-"; $client_address,
# $server_name, $sender, $recipient, $localtime expanded (the parameter is
# not $name-expanded by main.cf); a regexp: map keyed by the whole reply
# picks another footer ($$name in the map), an empty map result means no
# footer, an unknown $name expands to nothing with Postfix's warning;
# soft_bounce turns every footer line's 5 into 4, and the 421 of "too many
# errors" gets the footer too.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "message_size_limit = 100000"
cat >>"$C/main.cf" <<'EOF'
smtpd_reject_footer = \c. Call 800-555-0101 about ($client_address) at $server_name.\nsender=$sender rcpt=$recipient time=$localtime
EOF
cat >"$T/footer.re" <<'EOF'
/^502 / See $$server_name help for $$client_address
/^552 /
/^501 / $$nosuchname here
EOF
inst_param smtpd_reject_footer_maps "regexp:$T/footer.re"
PORT2=$(inst_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(inst_port); done
inst_service "$ADDR:$PORT2 inet n - y - - smtpd -o syslog_name=postfix/soft -o soft_bounce=yes -o smtpd_hard_error_limit=2"
sd_start
ok $? "master, smtpd and cleanup run"
is "$(postconf -h smtpd_reject_footer)" \
    '\c. Call 800-555-0101 about ($client_address) at $server_name.\nsender=$sender rcpt=$recipient time=$localtime' \
    "postconf shows the footer as written"

TIME='[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
cat >"$T/footer.dialog" <<D
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<nobody@mail.example.com>
S: 550-5.1.1 <nobody@mail.example.com>: Recipient address rejected: User unknown in local recipient table. Call 800-555-0101 about (127.0.0.1) at mail.example.com.
S~ 550 5\\.1\\.1 sender=alice@example\\.com rcpt=nobody@mail\\.example\\.com time=$TIME
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: FOO bar
S: 502-5.5.2 Error: command not recognized
S: 502 5.5.2 See mail.example.com help for 127.0.0.1
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@example.com> SIZE=200000
S: 552 5.3.4 Message size exceeds fixed limit
C: MAIL TO:<alice@example.com>
S: 501-5.5.4 Syntax: MAIL FROM:<address>
S: 501 5.5.4  here
C: NOOP
S: 250 2.0.0 Ok
C: QUIT
S: 221 2.0.0 Bye
EOF
D
$DIALOG --bind 127.0.0.1 "$ADDR" "$PORT" "$T/footer.dialog" 2>"$T/footer.err"
ok $? "footers: default, from the map, none from an empty map result, never after 2XX $(head -c 300 "$T/footer.err")"
like "$(sd_log 'unknown macro name')" 'warning: unknown macro name "nosuchname" in expansion request$' \
    "an unknown \$name: Postfix's warning"
! grep -q "Call 800-555-0101" "$LOG"
ok $? "the footer is not logged (postconf(5): the text itself is not logged)"

cat >"$T/soft.dialog" <<D
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<nobody@mail.example.com>
S: 450-4.1.1 <nobody@mail.example.com>: Recipient address rejected: User unknown in local recipient table. Call 800-555-0101 about (127.0.0.1) at mail.example.com.
S~ 450 4\\.1\\.1 sender=alice@example\\.com rcpt=nobody@mail\\.example\\.com time=$TIME
C: FOO
S: 402-4.5.2 Error: command not recognized
S: 402 4.5.2 See mail.example.com help for 127.0.0.1
S: 421-4.7.0 mail.example.com Error: too many errors. Call 800-555-0101 about (127.0.0.1) at mail.example.com.
S~ 421 4\\.7\\.0 sender=alice@example\\.com rcpt= time=$TIME
EOF
D
$DIALOG --bind 127.0.0.1 "$ADDR" "$PORT2" "$T/soft.dialog" 2>"$T/soft.err"
ok $? "soft_bounce: every footer line's code is 4XX; the map is keyed by the reply before soft_bounce; 421 too many errors has the footer $(head -c 300 "$T/soft.err")"

done_testing
