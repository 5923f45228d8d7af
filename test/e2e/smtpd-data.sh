#!/bin/bash
# smtpd + cleanup under master, end to end: swaks and smtplib put mail into
# incoming/ with the records Postfix's smtpd sends (client attributes, DSN
# data, the Received: header's exact shape); 250 comes only with a complete
# file; pipelined sessions; BDAT; 8BITMIME and SMTPUTF8; the size limit;
# every SMTP smuggling variant gives exactly one transaction; access-table
# HOLD, DISCARD and PREPEND.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
sd_setup "message_size_limit = 20000" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{held@relay.test = HOLD}, {dropped@relay.test = DISCARD}, {tagged@relay.test = PREPEND X-Tagged: by access map}}"
sd_start
ok $? "master, smtpd and cleanup run"

# The queue id from "250 2.0.0 Ok: queued as ID" in a transcript.
queued_id() { grep -oE 'queued as [0-9A-Za-z]+' "$1" | head -1 | awk '{print $3}'; }

# --- swaks: a plain message ---------------------------------------------
swaks --server "$ADDR:$PORT" --helo client.example.org --from alice@example.com \
    --to bob@relay.test --h-Subject 'Plain one-recipient message' \
    --body 'Hello Bob' >"$T/swaks.out" 2>&1
ok $? "swaks: the message is accepted"
id=$(queued_id "$T/swaks.out")
like "$id" '^[0-9A-F]{10,}$' "swaks: 250 names a short queue id ($id)"
inst_complete "$Q/incoming/$id"
ok $? "swaks: incoming/$id exists and is complete"
inst_postcat "$Q/incoming/$id" >"$T/plain.postcat" 2>&1
ok $? "postcat reads the file"
is "$(grep '^named_attribute:' "$T/plain.postcat" | sed 's/=.*//; s/^named_attribute: //' | tr '\n' ' ')" \
    "log_ident rewrite_context log_client_name log_client_address log_client_port log_message_origin log_helo_name log_protocol_name client_name reverse_client_name client_address client_port server_address server_port helo_name protocol_name client_address_type dsn_orig_rcpt " \
    "the named attributes Postfix's smtpd sends, in its order"
grep -qx "named_attribute: rewrite_context=local" "$T/plain.postcat"
ok $? "a client on one of this host's addresses (127.0.0.1): rewrite_context=local (permit_inet_interfaces)"
grep -qx "named_attribute: client_address=127.0.0.1" "$T/plain.postcat" &&
    grep -qx "named_attribute: server_address=$ADDR" "$T/plain.postcat" &&
    grep -qx "named_attribute: server_port=$PORT" "$T/plain.postcat" &&
    grep -qx "named_attribute: helo_name=client.example.org" "$T/plain.postcat" &&
    grep -qx "named_attribute: client_address_type=2" "$T/plain.postcat" &&
    grep -qx "named_attribute: log_ident=$id" "$T/plain.postcat" &&
    grep -qx "named_attribute: dsn_orig_rcpt=rfc822;bob@relay.test" "$T/plain.postcat"
ok $? "attribute values: client, server, helo, address type, default ORCPT"
received=$(sed -n '/MESSAGE CONTENTS/,$p' "$T/plain.postcat" | sed -n '2,4p')
like_flat "$received" "^Received: from client.example.org \(unknown \[127.0.0.1\]\)
	by mail.example.com \(Postfix\) with ESMTP id $id
	for <bob@relay.test>; [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4} \([A-Z]+\)$" \
    "Received: header in Postfix's shape (one recipient: 'for <rcpt>')"
like "$(sd_log "$id: client=")" "smtpd\[[0-9]+\]: $id: client=unknown\[127.0.0.1\]$" "log: QUEUEID: client=..."
like "$(sd_log "disconnect from unknown\[127.0.0.1\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")" \
    "commands=5" "log: disconnect summary"

# --- no HELO at all: the client name stands in for it ----------------------
sd_dialog nohelo <<'D'
S~ 220 .*
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: without helo
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id=$(sd_queue_id "^Subject: without helo")
like_flat "$(inst_postcat "$Q/incoming/$id" | sed -n '/MESSAGE CONTENTS/,$p' | sed -n '2,3p')" \
    "^Received: from unknown \(unknown \[127.0.0.1\]\)
	by mail.example.com \(Postfix\) with SMTP id $id$" "no HELO: 'from unknown (unknown [addr])', with SMTP"

# --- DSN parameters, two recipients, pipelined -------------------------
sd_dialog dsn <<'D'
S~ 220 .*
R: EHLO client.example.org\r\nMAIL FROM:<alice@example.com> RET=HDRS ENVID=QQ314159+2Benvid\r\nRCPT TO:<bob@relay.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob.Original@relay.test\r\nRCPT TO:<carol@relay.test> NOTIFY=NEVER\r\nDATA\r\n
M: 250
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
R: Subject: DSN parameters test\r\n\r\n..a dot-stuffed line\r\n.\r\nQUIT\r\n
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
S: 221 2.0.0 Bye
EOF
D
id=$(sd_queue_id "QQ314159")
inst_postcat "$Q/incoming/$id" >"$T/dsn.postcat" 2>&1
is "$(grep -E '^(named_attribute: (envelope_id|ret_flags|notify_flags|dsn_orig_rcpt)|original_recipient|recipient|sender)' "$T/dsn.postcat")" \
"named_attribute: envelope_id=QQ314159+envid
named_attribute: ret_flags=2
sender: alice@example.com
named_attribute: notify_flags=6
named_attribute: dsn_orig_rcpt=rfc822;Bob.Original@relay.test
original_recipient: bob@relay.test
recipient: bob@relay.test
named_attribute: notify_flags=1
named_attribute: dsn_orig_rcpt=rfc822;carol@relay.test
original_recipient: carol@relay.test
recipient: carol@relay.test" "DSN: ENVID, RET, NOTIFY and ORCPT in the queue file as Postfix writes them"
like_flat "$(sed -n '/MESSAGE CONTENTS/,$p' "$T/dsn.postcat" | sed -n '3,4p')" \
    "^	by mail.example.com \(Postfix\) with ESMTP id $id;
	[A-Z][a-z]{2}, " "Received: with two recipients, no 'for', the date on its own line"
grep -qx ".a dot-stuffed line" "$T/dsn.postcat"
ok $? "DATA: the leading dot is removed"

# --- BDAT ------------------------------------------------------------------
sd_dialog bdat <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com> BODY=8BITMIME
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
R: BDAT 26\r\nSubject: chunked\r\n\r\nfirst 
S: 250 2.0.0 Ok: 26 bytes
R: BDAT 29 LAST\r\nhalf, second\r\n.\r\nno dot-stuff
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id=$(sd_queue_id "Subject: chunked")
inst_postcat "$Q/incoming/$id" >"$T/bdat.postcat" 2>&1
is "$(sed -n '/MESSAGE CONTENTS/,/HEADER EXTRACTED/p' "$T/bdat.postcat" | sed '1,/^$/d' | sed '$d')" \
    "first half, second
.
no dot-stuff" "BDAT: a line split across chunks is one line; no dot-unstuffing; the last partial line kept"
grep -qx "named_attribute: encoding=8bit" "$T/bdat.postcat"
ok $? "BODY=8BITMIME: encoding=8bit"

# --- SMTPUTF8 ----------------------------------------------------------------
sd_dialog smtputf8 <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<jörg@bücher.example> SMTPUTF8 BODY=8BITMIME
S: 250 2.1.0 Ok
C: RCPT TO:<用户@例子.test>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: SMTPUTF8 テスト
C:
C: Grüße
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id=$(sd_queue_id "SMTPUTF8 テスト")
inst_postcat "$Q/incoming/$id" >"$T/utf8.postcat" 2>&1
grep -qx "sender: jörg@bücher.example" "$T/utf8.postcat" && grep -qx "recipient: 用户@例子.test" "$T/utf8.postcat"
ok $? "SMTPUTF8: UTF-8 sender and recipient in the queue file"
grep -q "with UTF8SMTP id $id" "$T/utf8.postcat"
ok $? "SMTPUTF8: Received says 'with UTF8SMTP'"

# --- size limit ------------------------------------------------------------
before=$(sd_queue_count)
big=$(head -c 30000 /dev/zero | tr '\0' x | fold -w 70)
printf '%s\n' "S~ 220 .*" "C: EHLO c.example" "M: 250" "C: MAIL FROM:<alice@example.com> SIZE=30000" \
    "S: 552 5.3.4 Message size exceeds fixed limit" "C: MAIL FROM:<alice@example.com>" "S: 250 2.1.0 Ok" \
    "C: RCPT TO:<bob@relay.test>" "S: 250 2.1.5 Ok" "C: DATA" "S~ 354 .*" >"$T/size.in"
printf 'C: %s\n' $big >>"$T/size.in"
printf '%s\n' "C: ." "S: 552 5.3.4 Error: message file too big" "C: NOOP" "S: 250 2.0.0 Ok" "C: QUIT" "S: 221 2.0.0 Bye" >>"$T/size.in"
SD_WHAT="size limit: 552 at MAIL SIZE= and after DATA, and the session goes on" sd_dialog size <"$T/size.in"
is "$(sd_queue_count)" "$before" "size limit: no queue file left behind"

# --- SMTP smuggling: each variant is one transaction -------------------------
n=0
for variant in '\n.\n' '\n.\r\n' '\r\n.\n' '\r.\r' '\r\n.\r' '\r.\r\n'; do
    n=$((n + 1))
    before=$(sd_queue_count)
    SD_WHAT="smuggling '$variant': one 250, then QUIT's 221" sd_dialog "smuggle$n" <<D
S~ 220 .*
C: EHLO c.example
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
R: Subject: smuggle $n\r\n\r\nbody${variant}MAIL FROM:<evil@evil.test>\r\nRCPT TO:<carol@relay.test>\r\nDATA\r\nSubject: smuggled $n\r\n\r\nevil\r\n.\r\nQUIT\r\n
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
S: 221 2.0.0 Bye
EOF
D
    is "$(sd_queue_count)" "$((before + 1))" "smuggling '$variant': exactly one queue file"
    id=$(sd_queue_id "^Subject: smuggle $n\$")
    inst_postcat "$Q/incoming/$id" | grep -qx "MAIL FROM:<evil@evil.test>"
    ok $? "smuggling '$variant': the smuggled command is message text"
done
! grep -q "evil@evil.test" <(grep "from=<evil" "$LOG")
ok $? "smuggling: no transaction from evil@evil.test in the log"

# --- smtplib: two messages in one session, one recipient refused ---------------
python3 - "$ADDR" "$PORT" >"$T/smtplib.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
s.ehlo("py.example")
refused = s.sendmail("alice@example.com", ["bob@relay.test", "nosuch@mail.example.com"],
                     b"Subject: smtplib one\r\n\r\nfirst\r\n")
print("refused", sorted(refused.items()))
refused = s.sendmail("alice@example.com", ["carol@relay.test"],
                     b"Subject: smtplib two\r\n\r\nsecond\r\n")
print("refused2", refused)
s.quit()
PY
ok $? "smtplib: two messages in one session $(tail -3 "$T/smtplib.out")"
like "$(cat "$T/smtplib.out")" "refused \[\('nosuch@mail.example.com', \(550, b'5.1.1 <nosuch@mail.example.com>: Recipient address rejected: User unknown in local recipient table'\)\)\]" \
    "smtplib: the unknown local user is refused with 550 5.1.1"
like "$(sd_log "ehlo=1 mail=2 rcpt=2/3 data=2 quit=1")" "commands=8/9" "smtplib: the summary counts both transactions"

# --- HOLD, DISCARD, PREPEND from an access table -------------------------------
swaks --server "$ADDR:$PORT" --from alice@example.com --to held@relay.test \
    --h-Subject 'to be held' --body 'held' >"$T/hold.out" 2>&1
id=$(queued_id "$T/hold.out")
inst_wait inst_complete "$Q/hold/$id"
ok $? "HOLD: the message is in hold/ ($id)"
like "$(sd_log "hold: RCPT from")" "hold: RCPT from unknown\[127.0.0.1\]: <held@relay.test>: Recipient address triggers HOLD action; from=<alice@example.com> to=<held@relay.test> proto=ESMTP helo=<" \
    "HOLD: Postfix's log line"
before=$(sd_queue_count)
swaks --server "$ADDR:$PORT" --from alice@example.com --to dropped@relay.test \
    --body 'dropped' >"$T/discard.out" 2>&1
ok $? "DISCARD: the client is told 250"
is "$(sd_queue_count)" "$before" "DISCARD: nothing is queued"
swaks --server "$ADDR:$PORT" --from alice@example.com --to tagged@relay.test \
    --h-Subject tagged --body 'tagged' >"$T/prepend.out" 2>&1
id=$(queued_id "$T/prepend.out")
is "$(inst_postcat "$Q/incoming/$id" | sed -n '/MESSAGE CONTENTS/{n;p}')" "X-Tagged: by access map" \
    "PREPEND: the header comes first"

# smtpd_forbid_bare_newline = yes: a bare LF fails the message (normalise
# is the default, above); mynetworks is excluded by default, so empty it.
sd_reload "smtpd_forbid_bare_newline = yes" "smtpd_forbid_bare_newline_exclusions ="
before=$(sd_queue_count)
SD_RETRY=1 SD_WHAT="smtpd_forbid_bare_newline = yes: 550 5.5.2 for a bare LF" sd_dialog bare <<'D'
S~ 220 .*
C: EHLO c.example
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
R: Subject: bare\r\n\r\nline one\nline two\r\n.\r\n
S: 550 5.5.2 Error: bare <LF> received
C: QUIT
S: 221 2.0.0 Bye
D
is "$(sd_queue_count)" "$before" "smtpd_forbid_bare_newline = yes: nothing queued"

sd_finish
done_testing
