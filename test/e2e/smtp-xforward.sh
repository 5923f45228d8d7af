#!/bin/bash
# The smtp client's side of XFORWARD (smtp_send_xforward_command): to a
# server whose EHLO announces XFORWARD, the original client's attributes
# from the queue file (NAME, ADDR, PORT, PROTO, HELO, IDENT = its queue id,
# SOURCE from the rewrite context) go before MAIL FROM, only those
# announced, xtext-encoded, [UNAVAILABLE] when unknown, packed into as few
# commands as the 512-byte line allows; pipelined with MAIL/RCPT/DATA (the
# server holds its replies until DATA, so a client that waited would time
# out); sent again for each message on a cached session; a refused
# XFORWARD is a warning only; nothing without the parameter or without the
# server's announcement. deliver_send plays qmgr; smtp_xsink.py on
# 127.0.0.0/8 logs every command line.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
xs_setup
port() { xs_port "$1"; }
# conn_log NAME N: the command lines of connection N of server NAME
conn_log() {
    awk -v n="$2" '/^conn$/ { c++; next } /^close$/ { next } c == n' "$T/$1.log" |
        sed 's/^<data [0-9]* lines>$/<data>/'
}

ALL="XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE"
check "pipelining server runs" xs_start pipe --ehlo PIPELINING --ehlo "$ALL"
check "server without PIPELINING runs" xs_start nopipe --ehlo "XFORWARD name addr proto helo source" \
    --xforward-reply "550 5.7.1 not authorized"
check "server without XFORWARD runs" xs_start plain --ehlo PIPELINING

inst_param smtp_connection_cache_on_demand yes
inst_param smtp_connection_cache_time_limit 30s
inst_service "xf        unix  -       -       n       -       1       smtp
    -o smtp_send_xforward_command=yes -o smtp_xforward_timeout=5s
    -o smtp_mail_timeout=5s -o smtp_rcpt_timeout=5s"
inst_service "noxf      unix  -       -       n       -       1       smtp"
check "postfix start" inst_start
check "private/xf exists" inst_wait_sock private/xf
check "private/noxf exists" inst_wait_sock private/noxf

REMOTE=(-a log_client_name=client.example -a log_client_address=192.0.2.7
    -a log_client_port=52614 -a log_protocol_name=ESMTP -a log_helo_name=helo.example
    -a "log_ident={queue_id}" -a rewrite_context=remote)
MSG="Subject: xforward
From: alice@example.com

body"

# 1. A message that came in over SMTP, to a pipelining server.
id1=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@x.test "${REMOTE[@]}")
smtp_send -s private/xf -n "[$ADDR]:$(port pipe)" "$id1"
like "$(smtp_result bob@x.test)" "^result=sent dsn=2.0.0 " "sent (the XFORWARD was pipelined with MAIL, RCPT, DATA)"
is "$(conn_log pipe 1)" "EHLO mail.example.com
XFORWARD NAME=client.example ADDR=192.0.2.7 PORT=52614 PROTO=ESMTP HELO=helo.example IDENT=$id1 SOURCE=REMOTE
MAIL FROM:<alice@example.com>
RCPT TO:<bob@x.test>
DATA
<data>" "one XFORWARD with every attribute, in order, before MAIL FROM"

# 2. The next message over the cached session: RSET, then its own attributes.
id2=$(echo "$MSG" | smtp_queue -f alice@example.com -r carol@x.test -a rewrite_context=local)
smtp_send -s private/xf -n "[$ADDR]:$(port pipe)" "$id2"
like "$(smtp_result carol@x.test)" "^result=sent dsn=2.0.0 " "the second message is sent"
is "$(grep -c '^conn$' "$T/pipe.log")" 1 "over the same connection"
is "$(conn_log pipe 1 | sed -n '7,$p')" "RSET
XFORWARD NAME=[UNAVAILABLE] ADDR=[UNAVAILABLE] PORT=[UNAVAILABLE] PROTO=[UNAVAILABLE] HELO=[UNAVAILABLE] IDENT=[UNAVAILABLE] SOURCE=LOCAL
MAIL FROM:<alice@example.com>
RCPT TO:<carol@x.test>
DATA
<data>" "a local submission on the reused session: [UNAVAILABLE], SOURCE=LOCAL"

# 3. Long values: two commands, each within the 512-byte command line.
n250=$(printf 'n%.0s' $(seq 250))
h250=$(printf 'h%.0s' $(seq 250))
id3=$(echo "$MSG" | smtp_queue -f alice@example.com -r dave@x.test -a "log_client_name=$n250" \
    -a log_client_address=192.0.2.8 -a log_client_port=25 -a log_protocol_name=SMTP \
    -a "log_helo_name=$h250" -a "log_ident={queue_id}" -a rewrite_context=remote)
smtp_send -s private/xf -n "[$ADDR]:$(port pipe)" "$id3"
like "$(smtp_result dave@x.test)" "^result=sent dsn=2.0.0 " "the message with long attributes is sent"
xf=$(conn_log pipe 1 | grep '^XFORWARD' | tail -2)
is "$xf" "XFORWARD NAME=$n250 ADDR=192.0.2.8 PORT=25 PROTO=SMTP
XFORWARD HELO=$h250 IDENT=$id3 SOURCE=REMOTE" "a 250-byte NAME and HELO: split into two commands"
is "$(printf '%s\n' "$xf" | awk 'length > 510' | wc -l)" 0 "neither longer than 510 bytes"

# 4. No PIPELINING, some attributes, xtext, a refused XFORWARD.
id4=$(echo "$MSG" | smtp_queue -f alice@example.com -r erin@x.test -a log_client_name=client.example \
    -a log_client_address=192.0.2.7 -a log_protocol_name=ESMTP -a "log_helo_name=odd+helo x=1" \
    -a rewrite_context=remote)
smtp_send -s private/xf -n "[$ADDR]:$(port nopipe)" "$id4"
like "$(smtp_result erin@x.test)" "^result=sent dsn=2.0.0 " "sent despite the 550 to XFORWARD"
is "$(conn_log nopipe 1 | sed -n 2p)" \
    "XFORWARD NAME=client.example ADDR=192.0.2.7 PROTO=ESMTP HELO=odd+2Bhelo+20x=1 SOURCE=REMOTE" \
    "only the announced attributes (lower case in EHLO), xtext for '+' and space"
check "the refusal is a warning" inst_log_wait \
    "warning: .*\[$ADDR\]:$(port nopipe) said: 550 5.7.1 not authorized \(in reply to XFORWARD name/address command\)"

# 5. A server without XFORWARD, and the parameter off: no XFORWARD.
id5=$(echo "$MSG" | smtp_queue -f alice@example.com -r fay@x.test "${REMOTE[@]}")
smtp_send -s private/xf -n "[$ADDR]:$(port plain)" "$id5"
like "$(smtp_result fay@x.test)" "^result=sent " "sent to the server without XFORWARD"
is "$(grep -c XFORWARD "$T/plain.log")" 0 "  no XFORWARD there"
before=$(grep -c '^XFORWARD' "$T/pipe.log")
id6=$(echo "$MSG" | smtp_queue -f alice@example.com -r gus@x.test "${REMOTE[@]}")
smtp_send -s private/noxf -n "[$ADDR]:$(port pipe)" "$id6"
like "$(smtp_result gus@x.test)" "^result=sent " "sent with smtp_send_xforward_command = no"
is "$(grep -c '^XFORWARD' "$T/pipe.log")" "$before" "  no XFORWARD (the default)"

inst_stop
check "no panic, fatal error, sanitizer report or crash" bash -c \
    "! grep -E 'panic|fatal|runtime error|Sanitizer|exit status|killed' '$LOG'"
done_testing
