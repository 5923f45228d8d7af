#!/bin/bash
# The same SMTP conversation that made Postfix 3.7's queue file
# test/data/queue/hold-dsn.C6647106031 (DSN parameters, two recipients,
# from localhost), replayed against Postern's smtpd and cleanup: postcat
# prints the same records, byte for byte, except what must differ (queue
# id, times, the client port, the server address and port, and the offset
# those lengths move).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
grep -qE '^127\.0\.0\.1[[:space:]]+localhost' /etc/hosts ||
    { echo "1..0 # SKIP /etc/hosts does not name 127.0.0.1 localhost"; exit 0; }
sd_setup "smtpd_peername_lookup = yes"
sd_start
ok $? "master, smtpd and cleanup run"

cat >"$T/dsn.dialog" <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com> RET=HDRS ENVID=QQ314159+2Benvid
S: 250 2.1.0 Ok
C: RCPT TO:<bob@relay.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob.Original@relay.test
S: 250 2.1.5 Ok
C: RCPT TO:<carol@relay.test> NOTIFY=NEVER
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: From: Alice Example <alice@example.com>
C: To: Bob <bob@relay.test>, Carol <carol@relay.test>
C: Subject: DSN parameters test
C: Message-ID: <dsn-test-1@client.example.org>
C: Date: Sat, 21 Nov 2026 12:00:00 +0000
C:
C: This message was sent with RET=HDRS ENVID=... and per-recipient NOTIFY/ORCPT.
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
$DIALOG --bind 127.0.0.1 "$ADDR" "$PORT" "$T/dsn.dialog" 2>"$T/dsn.err"
ok $? "the conversation $(cat "$T/dsn.err")"
id=$(inst_queue_files incoming | head -1)
inst_postcat -v "$Q/incoming/$id" >"$T/ours" 2>/dev/null
ok $? "postcat reads the file"

# Postfix's server was 127.0.0.1:25; ours is $ADDR:$PORT: the data offset
# (message_size field 2) moves by the difference in length.
shift_by=$((${#ADDR} - 9 + ${#PORT} - 2))
norm() {
    sed -E "s/$1/QUEUEID/g; s/(client_port|server_port|server_address)=.*/\\1=X/;
            s/^(message_arrival_time|create_time): .*/\\1: X/;
            s/^(regular_text: 	)[A-Z][a-z]{2}, [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \\+0000 \\(UTC\\)$/\\1DATE/;
            s#\\*\\*\\* ([A-Z ]+) .*\\*\\*\\*#*** \\1 ***#"
}
norm C6647106031 <"$POSTERN_SRC/test/data/queue/hold-dsn.C6647106031.postcat" |
    awk -v d="$shift_by" '/^message_size:/ { $3 = $3 + d; printf "message_size: %15s %15s %15s %15s %15s %15s\n", $2, $3, $4, $5, $6, $7; next } { print }' >"$T/theirs.norm"
norm "$id" <"$T/ours" |
    awk '/^message_size:/ { printf "message_size: %15s %15s %15s %15s %15s %15s\n", $2, $3, $4, $5, $6, $7; next } { print }' >"$T/ours.norm"
diff "$T/theirs.norm" "$T/ours.norm" >"$T/diff"
ok $? "the same records as Postfix's queue file $(head -c 1500 "$T/diff")"

inst_stop
done_testing
