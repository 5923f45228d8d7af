#!/bin/bash
# smtpd under master, spoken to byte for byte (test/tools/smtp_dialog.py):
# the greeting and EHLO keywords, command order errors, ESMTP parameter
# errors, relay denied from a client outside mynetworks with Postfix's log
# line, unknown local users, access tables, pipelined rejections, and the
# disconnect summary. Everything here stops at RCPT (no cleanup needed).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "mynetworks = 127.0.0.1/32" \
    "smtpd_discard_ehlo_keywords = etrn" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{blocked@mail.example.com = REJECT go away}, {tempfail@mail.example.com = 451 4.3.2 try later}, {restrict@mail.example.com = reject_unauth_destination}, {deferred@mail.example.com = DEFER}}, check_client_access inline:{127.0.0.3=REJECT}, check_helo_access inline:{{bad.helo.test=550 bad helo}}, check_sender_access inline:{{spam.test=REJECT spam domain}}" \
    "smtpd_recipient_limit = 3" \
    "virtual_alias_domains = virt.test" \
    "virtual_alias_maps = inline:{team@virt.test=bob@mail.example.com, @catch.test=carol}" \
    "relay_domains = relay.test"
sd_start
ok $? "master and smtpd run"

# dialog NAME [--bind ADDR]: runs the script on stdin.
sd_dialog ehlo <<'D'
S: 220 mail.example.com ESMTP Postfix
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: HELO client.example.org
S: 250 mail.example.com
C: NOOP
S: 250 2.0.0 Ok
C: RSET
S: 250 2.0.0 Ok
C: VRFY bob
S: 252 2.0.0 bob
C: VRFY <nosuch@mail.example.com>
S: 550 5.1.1 <nosuch@mail.example.com>: Recipient address rejected: User unknown in local recipient table
C: HELP
S~ 214 2.0.0 .*
C: STARTTLS
S: 502 5.5.1 Error: command not implemented
C: QUIT
S: 221 2.0.0 Bye
EOF
D

like "$(sd_log "discarding EHLO keywords")" "smtpd\[[0-9]+\]: discarding EHLO keywords: ETRN$" \
    "smtpd_discard_ehlo_keywords: Postfix's log line"

sd_dialog order <<'D'
S~ 220 .*
C: RCPT TO:<bob@mail.example.com>
S: 503 5.5.1 Error: need MAIL command
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: EHLO
S: 501 5.5.4 Syntax: EHLO hostname
C: EHLO c.example
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: MAIL FROM:<alice@example.com>
S: 503 5.5.1 Error: nested MAIL command
C: DATA
S: 554 5.5.1 Error: no valid recipients
C: DATA extra
S: 501 5.5.4 Syntax: DATA
C: RSET
S: 250 2.0.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 503 5.5.1 Error: need MAIL command
C: ETRN example.com
S: 458 4.3.0 Unable to queue messages
C: XYZZY
S: 502 5.5.2 Error: command not recognized
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog params <<'D'
S~ 220 .*
C: EHLO c.example
M: 250
C: MAIL FROM:alice@example.com
S: 250 2.1.0 Ok
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM <alice@example.com>
S: 501 5.5.4 Syntax: MAIL FROM:<address>
C: MAIL FROM:<alice@example.com> SIZE=99999999999
S: 552 5.3.4 Message size exceeds fixed limit
C: MAIL FROM:<alice@example.com> SIZE=12x
S: 501 5.5.4 Bad message size syntax
C: MAIL FROM:<alice@example.com> BODY=BINARYMIME
S: 501 5.5.4 Unsupported BODY parameter
C: MAIL FROM:<alice@example.com> RET=SOMETIMES
S: 501 5.5.4 Bad RET parameter syntax
C: MAIL FROM:<alice@example.com> ENVID=a+zz
S: 501 5.5.4 Bad ENVID parameter syntax
C: MAIL FROM:<alice@example.com> FOO=BAR
S: 555 5.5.4 Unsupported option: FOO
C: MAIL FROM:<alice@@example.com>
S: 501 5.1.7 Bad sender address syntax
C: MAIL FROM:<jörg@example.com>
S: 553 5.6.7 Must declare SMTPUTF8 to send unicode address
C: MAIL FROM:<> RET=HDRS ENVID=QQ+2B1
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com> NOTIFY=NEVER,SUCCESS
S: 501 5.5.4 Error: Bad NOTIFY parameter syntax
C: RCPT TO:<bob@mail.example.com> ORCPT=rfc822
S: 501 5.5.4 Error: Bad ORCPT parameter syntax
C: RCPT TO:<>
S: 501 5.1.3 Bad recipient address syntax
C: RCPT TO:<用户@mail.example.com>
S: 553 5.6.7 Must declare SMTPUTF8 to send unicode address
C: QUIT
S: 221 2.0.0 Bye
D

like "$(sd_log "Illegal address syntax")" "warning: Illegal address syntax from unknown\[127.0.0.1\] in MAIL command: <alice@@example.com>$" \
    "a bad address: Postfix's warning"

# Pipelined: everything in one write, the replies in order.
sd_dialog pipelined <<'D'
S~ 220 .*
R: EHLO c.example\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<nosuch@mail.example.com>\r\nRCPT TO:<blocked@mail.example.com>\r\nRCPT TO:<tempfail@mail.example.com>\r\nRCPT TO:<deferred@mail.example.com>\r\nRCPT TO:<bob@mail.example.com> NOTIFY=BAD\r\nDATA\r\nQUIT\r\n
M: 250
S: 250 2.1.0 Ok
S: 550 5.1.1 <nosuch@mail.example.com>: Recipient address rejected: User unknown in local recipient table
S: 554 5.7.1 <blocked@mail.example.com>: Recipient address rejected: go away
S: 451 4.3.2 try later
S: 450 4.7.1 <deferred@mail.example.com>: Recipient address rejected: Access denied
S: 501 5.5.4 Error: Bad NOTIFY parameter syntax
S: 554 5.5.1 Error: no valid recipients
S: 221 2.0.0 Bye
EOF
D
like "$(sd_log "improper command pipelining")" \
    "improper command pipelining after EHLO from unknown\[127.0.0.1\]: MAIL FROM:<alice@example.com>\\\\r\\\\nRCPT TO:<nosuch@mail.example.com>\\\\r\\\\nRCPT TO:<blocked@mail.example.com>$" \
    "commands sent behind EHLO: Postfix's 'improper command pipelining' line, the pending text escaped"
is "$(grep -c "improper command pipelining" "$LOG")" 1 "clients that wait for each reply are not reported; the pipelining one once"
line=$(sd_log "reject: RCPT from unknown\[127.0.0.1\]: 550 5.1.1 <nosuch")
is "${line#*]: }" "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 <nosuch@mail.example.com>: Recipient address rejected: User unknown in local recipient table; from=<alice@example.com> to=<nosuch@mail.example.com> proto=ESMTP helo=<c.example>" \
    "unknown local user: Postfix's log line"
line=$(sd_log "disconnect from unknown\[127.0.0.1\] ehlo=1 mail=1 rcpt=0/5")
is "${line#*]: }" "disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=0/5 data=0/1 quit=1 commands=3/9" \
    "the disconnect summary counts good and bad commands"

# From outside mynetworks (127.0.0.1/32): relaying is refused.
sd_dialog relay --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO laptop.example.net
M: 250
C: MAIL FROM:<spammer@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<victim@elsewhere.test>
S: 454 4.7.1 <victim@elsewhere.test>: Relay access denied
C: RCPT TO:<restrict@elsewhere.test>
S: 454 4.7.1 <restrict@elsewhere.test>: Relay access denied
C: QUIT
S: 221 2.0.0 Bye
D
line=$(sd_log "reject: RCPT from unknown\[127.0.0.2\]")
is "${line#*]: }" "NOQUEUE: reject: RCPT from unknown[127.0.0.2]: 454 4.7.1 <victim@elsewhere.test>: Relay access denied; from=<spammer@example.net> to=<victim@elsewhere.test> proto=ESMTP helo=<laptop.example.net>" \
    "relay denied: Postfix's exact log line"

# What is ours decides, not the client: virtual alias domains (known
# aliases only), relay_domains, a catch-all in virtual_alias_maps.
sd_dialog domains --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO laptop.example.net
M: 250
C: MAIL FROM:<someone@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<team@virt.test>
S: 250 2.1.5 Ok
C: RCPT TO:<nobody@virt.test>
S: 550 5.1.1 <nobody@virt.test>: Recipient address rejected: User unknown in virtual alias table
C: RCPT TO:<anyone@relay.test>
S: 250 2.1.5 Ok
C: RCPT TO:<anyone@catch.test>
S: 454 4.7.1 <anyone@catch.test>: Relay access denied
C: RSET
S: 250 2.0.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog access-client --bind 127.0.0.3 <<'D'
S~ 220 .*
C: EHLO ok.example
M: 250
C: MAIL FROM:<x@ok.example>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 554 5.7.1 <unknown[127.0.0.3]>: Client host rejected: Access denied
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog access-sender-helo --bind 127.0.0.4 <<'D'
S~ 220 .*
C: HELO ok.example
S: 250 mail.example.com
C: MAIL FROM:<x@sub.spam.test>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 554 5.7.1 <x@sub.spam.test>: Sender address rejected: spam domain
C: RSET
S: 250 2.0.0 Ok
C: HELO bad.helo.test
S: 250 mail.example.com
C: MAIL FROM:<x@ok.example>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 550 5.7.1 bad helo
C: RCPT TO:<restrict@mail.example.com>
S: 550 5.7.1 bad helo
C: QUIT
S: 221 2.0.0 Bye
D
line=$(sd_log "reject: RCPT from unknown\[127.0.0.4\]: 550")
like "$line" "proto=SMTP helo=<bad.helo.test>$" "HELO (not EHLO) is logged as proto=SMTP"

postfix stop >/dev/null 2>&1
ok $? "postfix stop"
! grep -E "panic|fatal|AddressSanitizer|runtime error|signal 11|status 1" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
