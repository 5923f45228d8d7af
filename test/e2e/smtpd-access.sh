#!/bin/bash
# Restrictions the other smtpd tests leave out: the defaults make no open
# relay (no mynetworks, no restriction lists set: 127.0.0.2 may not relay,
# this host may); an access table's OK; the bare restriction names permit,
# reject and defer (Postfix's replies); reject_unauth_destination in
# smtpd_relay_restrictions with the issue's exact "554 5.7.1 ... Relay
# access denied" log line; the named reject_unlisted_recipient with the
# implicit one off; smtpd_end_of_data_restrictions; and the enhanced status
# code following a reply code an administrator changed (550 -> 5.7.25);
# reject_unauth_pipelining and reject_multi_recipient_bounce in
# smtpd_data_restrictions; with smtpd_delay_reject = no, a client refused
# at connect.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup
sed -i '/^mynetworks *=/d' "$C/main.cf"
sd_start
ok $? "master, smtpd and cleanup run"

# --- defaults: not an open relay ---------------------------------------------------
sd_dialog default-outside --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO laptop.example.net
M: 250
C: MAIL FROM:<someone@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<victim@elsewhere.test>
S: 454 4.7.1 <victim@elsewhere.test>: Relay access denied
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
sd_dialog default-local --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO localhost.example.net
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<friend@elsewhere.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D

# --- the configured restrictions -----------------------------------------------------
sd_reload "mynetworks = 127.0.0.1/32" \
    "smtpd_relay_restrictions = check_recipient_access inline:{{vip@elsewhere.test = OK}}, permit_mynetworks, reject_unauth_destination" \
    "smtpd_restriction_classes = c_permit, c_reject, c_defer" \
    "c_permit = permit" \
    "c_reject = reject" \
    "c_defer = defer" \
    "smtpd_sender_restrictions = check_sender_access inline:{{p@example.net = c_permit}, {r@example.net = c_reject}, {d@example.net = c_defer}}, check_sender_access inline:{{example.net = REJECT domain blocked}}" \
    "smtpd_reject_unlisted_recipient = no" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{nocheck@mail.example.com = OK}}, reject_unlisted_recipient" \
    "smtpd_client_restrictions = check_client_access inline:{{127.0.0.3 = reject_unknown_client_hostname}}" \
    "unknown_client_reject_code = 550" \
    "smtpd_end_of_data_restrictions = check_sender_access inline:{{eod@example.com = REJECT no end for you}}" \
    "smtpd_data_restrictions = reject_unauth_pipelining, reject_multi_recipient_bounce"

SD_RETRY=1 sd_dialog relay --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO laptop.example.net
M: 250
C: MAIL FROM:<p@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<victim@elsewhere.test>
S: 554 5.7.1 <victim@elsewhere.test>: Relay access denied
C: RCPT TO:<vip@elsewhere.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
line=$(sd_log "reject: RCPT from unknown\[127.0.0.2\]: 554 5.7.1 <victim@elsewhere.test>")
is "${line#*]: }" "NOQUEUE: reject: RCPT from unknown[127.0.0.2]: 554 5.7.1 <victim@elsewhere.test>: Relay access denied; from=<p@example.net> to=<victim@elsewhere.test> proto=ESMTP helo=<laptop.example.net>" \
    "reject_unauth_destination: the issue's exact log line"

sd_dialog bare-names --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO laptop.example.net
M: 250
C: MAIL FROM:<r@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 554 5.7.1 <r@example.net>: Sender address rejected: Access denied
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<d@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 450 4.3.2 <d@example.net>: Sender address rejected: Try again later
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<x@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 554 5.7.1 <x@example.net>: Sender address rejected: domain blocked
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<p@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog unlisted --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO localhost.example.net
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<nosuch@mail.example.com>
S: 550 5.1.1 <nosuch@mail.example.com>: Recipient address rejected: User unknown in local recipient table
C: RCPT TO:<nocheck@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog code-550 --bind 127.0.0.3 <<'D'
S~ 220 .*
C: EHLO other.example.net
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 550 5.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]
C: QUIT
S: 221 2.0.0 Bye
D

before=$(sd_queue_count)
sd_dialog end-of-data --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO localhost.example.net
M: 250
C: MAIL FROM:<eod@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: refused at the end
C:
C: body
C: .
S: 554 5.7.1 <eod@example.com>: Sender address rejected: no end for you
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: accepted at the end
C:
C: body
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
is "$(sd_queue_count)" "$((before + 1))" "smtpd_end_of_data_restrictions: only the second message is queued"
like "$(sd_log "reject: END-OF-MESSAGE from")" \
    "[0-9A-F]+: reject: END-OF-MESSAGE from unknown\[127.0.0.1\]: 554 5.7.1 <eod@example.com>: Sender address rejected: no end for you; from=<eod@example.com> .*proto=ESMTP helo=<localhost.example.net>$" \
    "smtpd_end_of_data_restrictions: logged with the queue id"

# reject_unauth_pipelining: pipelining up to DATA is fine after EHLO; text
# sent after DATA before the 354 is not.
sd_dialog unauth-pipelining --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO localhost.example.net
M: 250
R: MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@mail.example.com>\r\nDATA\r\n
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: pipelined properly
C:
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
R: DATA\r\nSubject: too early\r\n
S: 503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining
S: 221 2.7.0 Error: I can break rules, too. Goodbye.
EOF
D

# ... and a BDAT command followed by its chunk is not improper pipelining.
sd_dialog bdat-not-pipelining --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO localhost.example.net
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
R: BDAT 24 LAST\r\nSubject: chunk\r\n\r\nbody\r\n
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D

# reject_multi_recipient_bounce: a null sender with two recipients.
sd_dialog multi-recipient-bounce --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO localhost.example.net
M: 250
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<carol@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S: 550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: one bounce
C:
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D

# smtpd_delay_reject = no: a client refused at connect is greeted with the
# refusal and may only QUIT (Postfix: 503 5.7.0 to everything else).
sd_reload "smtpd_delay_reject = no"
SD_RETRY=1 sd_dialog connect-refused --bind 127.0.0.3 <<'D'
S: 550 5.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]
C: EHLO other.example.net
S: 503 5.7.0 Error: access denied for unknown[127.0.0.3]
C: MAIL FROM:<alice@example.com>
S: 503 5.7.0 Error: access denied for unknown[127.0.0.3]
C: QUIT
S: 221 2.0.0 Bye
EOF
D
line=$(sd_log "reject: CONNECT from unknown\[127.0.0.3\]")
is "${line#*]: }" "NOQUEUE: reject: CONNECT from unknown[127.0.0.3]: 550 5.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]; proto=SMTP" \
    "smtpd_delay_reject = no: the CONNECT rejection in Postfix's shape"
sd_dialog connect-allowed --bind 127.0.0.2 <<'D'
S~ 220 .*
C: EHLO laptop.example.net
M: 250
C: QUIT
S: 221 2.0.0 Bye
D

sd_finish
done_testing
