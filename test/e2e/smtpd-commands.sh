#!/bin/bash
# smtpd commands and session rules the other smtpd tests leave out:
# smtpd_banner as configured; disable_vrfy_command (252 without looking at the address, no VRFY keyword);
# ETRN through the flush service (fast_flush_domains decides, 250 / 459,
# smtpd_etrn_restrictions with check_etrn_access, syntax errors); the
# transaction reset by HELO/EHLO and after each message (no envelope data
# of one message in the next); a DATA line longer than line_length_limit
# arrives whole; BDAT over message_size_limit gets 552 5.3.4 and queues
# nothing; refused BDAT chunks are skipped, never read as commands, and
# RSET ends a transfer; SMTPUTF8 ends with its transaction; one smtpd
# process serves max_use sessions and nothing of one
# client survives into the next; soft_bounce turns every 5xx into 4xx;
# the HELO name is neutered; smtpd_noop_commands.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$POSTERN_INST/libexec/postern/flush" ] || { echo "1..0 # SKIP flush is not installed"; exit 0; }
sd_setup 'smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)' \
    "disable_vrfy_command = yes" \
    "relay_domains = relay.test" \
    "message_size_limit = 20000" \
    "smtpd_noop_commands = xusr, EXPN"
PORT2=$(inst_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(inst_port); done
cp "$POSTERN_BUILD/test/daemons/test_trigger" "$D/"
TRIG=$T/qmgr.triggers
inst_service "flush     unix  n       -       y       1000?   0       flush"
inst_service "qmgr      unix  n       -       n       300     1       test_trigger $TRIG"
inst_service "$ADDR:$PORT2 inet n - y - 1 smtpd -o max_use=2 -o syslog_name=postfix/reuse"
sd_start
ok $? "master, smtpd, cleanup and flush run"

# --- banner and VRFY ------------------------------------------------------------
sd_dialog banner-vrfy <<'D'
S: 220 mail.example.com ESMTP Postfix (Debian/GNU)
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 20000
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: VRFY bob
S: 252 2.0.0 VRFY is disabled; send RCPT to attempt delivery
C: VRFY <bob@mail.example.com>
S: 252 2.0.0 VRFY is disabled; send RCPT to attempt delivery
C: VRFY <nosuchuser-x9@mail.example.com>
S: 252 2.0.0 VRFY is disabled; send RCPT to attempt delivery
C: QUIT
S: 221 2.0.0 Bye
D

# --- smtpd_noop_commands: answered 250 and otherwise ignored -----------------------
sd_dialog noop-commands <<'D'
S~ 220 .*
C: XUSR
S: 250 2.0.0 Ok
C: expn bob
S: 250 2.0.0 Ok
C: XUSRX
S: 502 5.5.2 Error: command not recognized
C: QUIT
S: 221 2.0.0 Bye
D

# --- ETRN -----------------------------------------------------------------------
# A message deferred for relay.test (as qmgr leaves one: in deferred/H/ with
# its next retry time in the future); ETRN relay.test makes it due now and
# wakes qmgr ("FD"), through the flush service.
FUTURE=$(($(date +%s) + 7200))
printf 'Subject: deferred\n\nbody\n' | inst_submit -f alice@example.com -r bob@relay.test
did=$(sed -n 's/^queue_id=//p' "$T/submit.out")
mkdir -p "$Q/deferred/${did:0:1}"
chown postfix "$Q/deferred/${did:0:1}"
mv "$Q/incoming/$did" "$Q/deferred/${did:0:1}/$did"
touch -d "@$FUTURE" "$Q/deferred/${did:0:1}/$did"
is "$(stat -c %Y "$Q/deferred/${did:0:1}/$did")" "$FUTURE" "a message deferred for relay.test ($did), due in two hours"
sd_dialog etrn <<'D'
S~ 220 .*
C: ETRN relay.test
S: 250 Queuing started
C: EHLO client.example.org
M: 250
C: ETRN
S: 500 5.5.2 Syntax: ETRN domain
C: ETRN bad..domain
S: 501 5.5.4 Error: invalid parameter syntax
C: ETRN @relay.test
S: 250 Queuing started
C: ETRN elsewhere.test
S: 459 4.7.1 <elsewhere.test>: service unavailable
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: ETRN relay.test
S: 503 5.5.1 Error: MAIL transaction in progress
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "reject: ETRN elsewhere.test")" "warning: reject: ETRN elsewhere.test\.\.\. from unknown\[127.0.0.1\]" \
    "ETRN for a site outside fast_flush_domains: Postfix's warning"
is "$(grep -c "flush.*bad request\|flush.*malformed" "$LOG")" 0 "the flush service took smtpd's requests"
m=$(stat -c %Y "$Q/deferred/${did:0:1}/$did")
ok "$([ "$m" -le "$(date +%s)" ] && echo 0 || echo 1)" "ETRN relay.test: the deferred message is due now"
check "ETRN relay.test: qmgr gets the \"FD\" trigger" inst_wait grep -q 'bytes=FD$' "$TRIG"

sd_reload "smtpd_etrn_restrictions = check_etrn_access inline:{{relay.test = REJECT no flush for you}}"
SD_RETRY=1 SD_WHAT="smtpd_etrn_restrictions: check_etrn_access refuses the site" sd_dialog etrn-restrict <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: ETRN relay.test
S: 554 5.7.1 <relay.test>: Etrn command rejected: no flush for you
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "reject: ETRN from")" "NOQUEUE: reject: ETRN from unknown\[127.0.0.1\]: 554 5.7.1 <relay.test>: Etrn command rejected: no flush for you; proto=ESMTP helo=<client.example.org>$" \
    "smtpd_etrn_restrictions: Postfix's log line"
sd_reload "smtpd_etrn_restrictions ="

# --- transaction reset by HELO and EHLO ------------------------------------------
before=$(sd_queue_count)
sd_dialog helo-reset <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: EHLO client.example.org
M: 250
C: RCPT TO:<bob@relay.test>
S: 503 5.5.1 Error: need MAIL command
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: HELO client.example.org
S: 250 mail.example.com
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
is "$(sd_queue_count)" "$before" "HELO/EHLO in a transaction: the abandoned transactions queue nothing"

# --- the HELO name is neutered as Postfix does before Received: and the logs ---------
sd_dialog helo-neuter <<'D'
S~ 220 .*
C: EHLO evil>(x);"y"@z\w:1
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: neutered helo
C:
C: body
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id=$(sd_queue_id -x "Subject: neutered helo")
inst_postcat "$Q/incoming/$id" >"$T/neuter.postcat" 2>&1
grep -qxF "Received: from evil??x???y??z?w?1 (unknown [127.0.0.1])" "$T/neuter.postcat" &&
    grep -qxF "named_attribute: helo_name=evil??x???y??z?w?1" "$T/neuter.postcat"
ok $? "HELO <>()\\\";:@ become '?' in Received: and in the queue file's helo_name"

# --- reset after each message: nothing of the first envelope in the second ----------
sd_dialog message-reset <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com> RET=HDRS ENVID=first-envid
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test> NOTIFY=NEVER ORCPT=rfc822;first@relay.test
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: reset one
C:
C: one
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: RCPT TO:<carol@relay.test>
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<carol@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<carol@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: reset two
C:
C: two
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id1=$(sd_queue_id -x "Subject: reset one")
id2=$(sd_queue_id -x "Subject: reset two")
inst_postcat "$Q/incoming/$id1" >"$T/reset1.postcat" 2>&1
inst_postcat "$Q/incoming/$id2" >"$T/reset2.postcat" 2>&1
grep -qx "named_attribute: envelope_id=first-envid" "$T/reset1.postcat"
ok $? "the first message has its ENVID ($id1)"
is "$(grep -E '^(sender|recipient|original_recipient|named_attribute: (envelope_id|ret_flags|notify_flags|dsn_orig_rcpt))' "$T/reset2.postcat")" \
"sender: carol@example.com
named_attribute: dsn_orig_rcpt=rfc822;carol@relay.test
original_recipient: carol@relay.test
recipient: carol@relay.test" "the second message ($id2): its own envelope only, no ENVID, RET, NOTIFY or recipient of the first"

# --- SMTPUTF8 is one transaction's: the next message is ESMTP again ------------------
sd_dialog utf8-reset <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<jörg@example.com> SMTPUTF8
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: utf8 first
C:
C: one
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: ascii second
C:
C: two
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id1=$(sd_queue_id -x "Subject: utf8 first")
id2=$(sd_queue_id -x "Subject: ascii second")
inst_postcat "$Q/incoming/$id1" | grep -q "with UTF8SMTP id $id1"
ok $? "the SMTPUTF8 message: Received says UTF8SMTP"
inst_postcat "$Q/incoming/$id2" | grep -q "with ESMTP id $id2"
ok $? "the next message in the session: Received says ESMTP again"

# --- a DATA line longer than line_length_limit (2048) arrives whole ------------------
long=$(head -c 5000 /dev/zero | tr '\0' L)
sd_dialog long-line <<D
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: long line
C:
C: $long
C: after
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id=$(sd_queue_id -x "Subject: long line")
inst_postcat "$Q/incoming/$id" >"$T/long.postcat" 2>&1
is "$(sed -n '/MESSAGE CONTENTS/,/HEADER EXTRACTED/p' "$T/long.postcat" | sed '1,/^$/d' | sed '$d' | awk '{ print length($0) }' | tr '\n' ' ')" \
    "5000 5 " "a 5000-byte DATA line is one line of 5000 bytes in the queue file, the next line intact"

# --- BDAT beyond message_size_limit ---------------------------------------------------
before=$(sd_queue_count)
python3 - "$T/bdat-big.in" <<'PY'
import sys
c1 = "x" * 98 + "\\r\\n"
c2 = "y" * 98 + "\\r\\n"
with open(sys.argv[1], "w") as f:
    f.write("S~ 220 .*\nC: EHLO client.example.org\nM: 250\n")
    f.write("C: MAIL FROM:<alice@example.com>\nS: 250 2.1.0 Ok\n")
    f.write("C: RCPT TO:<bob@relay.test>\nS: 250 2.1.5 Ok\n")
    f.write("R: BDAT 15000\\r\\n" + c1 * 150 + "\n")
    f.write("S: 250 2.0.0 Ok: 15000 bytes\n")
    f.write("R: BDAT 10000 LAST\\r\\n" + c2 * 100 + "\n")
    f.write("S: 552 5.3.4 Error: message file too big\n")
    f.write("C: NOOP\nS: 250 2.0.0 Ok\nC: QUIT\nS: 221 2.0.0 Bye\n")
PY
SD_WHAT="BDAT over message_size_limit: 552 5.3.4 after the last chunk, the session goes on" \
    sd_dialog bdat-big <"$T/bdat-big.in"
is "$(sd_queue_count)" "$before" "BDAT over message_size_limit: nothing queued"

# --- BDAT: a refused chunk is skipped, never read as commands (a refused LAST
# chunk fails the transaction, RFC 3030); RSET ends a transfer ----------------------
before=$(sd_queue_count)
sd_dialog bdat-edges <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
R: BDAT 28\r\nMAIL FROM:<evil@evil.test>\r\n
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
R: BDAT 28 LAST\r\nMAIL FROM:<evil@evil.test>\r\n
S: 554 5.5.1 Error: no valid recipients
C: RCPT TO:<bob@relay.test>
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
R: BDAT 16\r\nSubject: partial
S: 250 2.0.0 Ok: 16 bytes
C: MAIL FROM:<alice@example.com>
S: 503 5.5.1 Error: MAIL after BDAT
C: RSET
S: 250 2.0.0 Ok
C: RCPT TO:<bob@relay.test>
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
is "$(sd_queue_count)" "$before" "BDAT: refused chunks and a transfer ended by RSET queue nothing"
! grep -q "from=<evil@evil.test>" "$LOG"
ok $? "BDAT: the bytes of a refused chunk never became a MAIL command"

# --- max_use: one process, several sessions, nothing carried over ----------------------
# The "reuse" service: maxproc 1, max_use 2. Session 1 leaves a transaction
# open and drops the connection; session 2 is served by the same process and
# starts clean; session 3 needs a new process.
reuse_pids() { grep -E "postfix/reuse(/smtpd)?\[[0-9]+\]: disconnect from" "$LOG" | sed -E 's/.*postfix\/reuse(\/smtpd)?\[([0-9]+)\].*/\2/'; }
PORT=$PORT2 SD_WHAT="reuse: session 1 opens a transaction and leaves" sd_dialog reuse1 <<'D'
S~ 220 .*
C: EHLO first.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
D
inst_wait bash -c "[ \$(grep -cE 'postfix/reuse(/smtpd)?\[[0-9]+\]: disconnect from' $LOG) -ge 1 ]"
PORT=$PORT2 SD_WHAT="reuse: session 2 starts without the first client's HELO or transaction" sd_dialog reuse2 <<'D'
S~ 220 .*
C: RCPT TO:<bob@relay.test>
S: 503 5.5.1 Error: need MAIL command
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: MAIL FROM:<x@example.com>
S: 250 2.1.0 Ok
C: QUIT
S: 221 2.0.0 Bye
D
printf 'S~ 220 .*\nC: QUIT\nS: 221 2.0.0 Bye\n' >"$T/reuse3.dialog"
inst_wait bash -c "[ \$(grep -cE 'postfix/reuse(/smtpd)?\[[0-9]+\]: disconnect from' $LOG) -ge 2 ]"
$DIALOG "$ADDR" "$PORT2" "$T/reuse3.dialog" 2>"$T/reuse3.err"
inst_wait bash -c "[ \$(grep -cE 'postfix/reuse(/smtpd)?\[[0-9]+\]: disconnect from' $LOG) -ge 3 ]"
pids=($(reuse_pids))
is "${#pids[@]}" 3 "reuse: three sessions logged"
is "${pids[1]}" "${pids[0]}" "reuse: sessions 1 and 2 were served by one process (${pids[0]})"
ok "$([ -n "${pids[2]}" ] && [ "${pids[2]}" != "${pids[0]}" ] && echo 0 || echo 1)" "reuse: after max_use = 2 sessions a new process serves the third (${pids[2]})"

# --- soft_bounce: every 5xx becomes 4xx (and 5.x.x 4.x.x), in replies and logs ---------
sd_reload "soft_bounce = yes"
SD_RETRY=1 SD_WHAT="soft_bounce = yes: no 5xx reply" sd_dialog soft <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: XYZZY
S: 402 4.5.2 Error: command not recognized
C: MAIL FROM:<alice@@example.com>
S: 401 4.1.7 Bad sender address syntax
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<nosuch@mail.example.com>
S: 450 4.1.1 <nosuch@mail.example.com>: Recipient address rejected: User unknown in local recipient table
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "reject: RCPT from .*nosuch@mail.example.com")" "NOQUEUE: reject: RCPT from unknown\[127.0.0.1\]: 450 4.1.1 <nosuch@mail.example.com>" \
    "soft_bounce = yes: the log shows the 450 the client got"

sd_finish
done_testing
