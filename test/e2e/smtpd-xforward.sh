#!/bin/bash
# XFORWARD, the server side (Postfix's XFORWARD_README): only clients in
# smtpd_authorized_xforward_hosts see "XFORWARD NAME ADDR PROTO HELO SOURCE
# PORT IDENT" in the EHLO reply, and the others get 550 for the command;
# 501 for bad syntax (no attributes, unknown name, no value, bad ADDR/PORT/
# SOURCE, a value longer than 255), 503 inside a transaction. Accepted
# attributes (xtext-decoded, [UNAVAILABLE] erasing one) become what the
# queue file records as the message's client for later stages (log_client_*,
# log_helo_name, log_protocol_name, log_ident, rewrite_context) and the
# "client=..., orig_queue_id=..., orig_client=..." log line, while the
# Received: header and the client_* attributes keep the real client, as in
# Postfix. The next transaction (after the dot, or RSET) has the real client
# again; the disconnect line counts xforward=.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
FILTER=127.0.7.7    # the authorized "content filter"
OTHER=127.0.0.1
# The restrictions look at the real client: the forwarded 192.0.2.7 is
# refused by them, and its message is accepted all the same.
sd_setup "smtpd_authorized_xforward_hosts = $FILTER/32" \
    "smtpd_client_restrictions = check_client_access inline:{192.0.2.7=REJECT}"
sd_start
ok $? "master, smtpd and cleanup run"

queue_id_of() { # SUBJECT: the incoming/ file whose message has it
    local f
    for f in $(inst_queue_files incoming); do
        inst_postcat "$Q/incoming/$f" 2>/dev/null | grep -qx "Subject: $1" && echo "$f"
    done
}

# --- who may use it ---------------------------------------------------------------
sd_dialog unauthorized --bind $OTHER <<'D'
S~ 220 .*
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S~ 250-SIZE.*
S: 250-VRFY
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: XFORWARD NAME=spoofed.example ADDR=192.0.2.66
S: 550 5.7.0 Error: insufficient authorization
C: XFORWARD
S: 501 5.5.4 Syntax: XFORWARD attribute=value...
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog syntax --bind $FILTER <<'D'
S~ 220 .*
C: EHLO filter.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S~ 250-SIZE.*
S: 250-VRFY
S: 250-ETRN
S: 250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: XFORWARD
S: 501 5.5.4 Syntax: XFORWARD attribute=value...
C: XFORWARD COLOR=blue
S: 501 5.5.4 Bad XFORWARD attribute name: COLOR
C: XFORWARD NAME
S: 501 5.5.4 Error: attribute=value expected
C: XFORWARD ADDR=300.1.2.3
S: 501 5.5.4 Bad ADDR syntax: 300.1.2.3
C: XFORWARD PORT=70000
S: 501 5.5.4 Bad PORT syntax: 70000
C: XFORWARD SOURCE=SOMEWHERE
S: 501 5.5.4 Bad SOURCE syntax: SOMEWHERE
C: XFORWARD HELO=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
S: 501 5.5.4 Error: attribute value too long
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: XFORWARD NAME=late.example
S: 503 5.5.1 Error: MAIL transaction in progress
C: QUIT
S: 221 2.0.0 Bye
D

# --- forwarded attributes for one transaction, then the real client again -----------
sd_dialog forward --bind $FILTER <<'D'
S~ 220 .*
C: EHLO filter.example.org
M: 250
C: XFORWARD NAME=spike.example.org ADDR=192.0.2.7 PORT=4567 PROTO=ESMTP
S: 250 2.0.0 Ok
C: xforward helo=spike+2Eexample.org ident=ABC123 source=LOCAL
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: forwarded one
C:
C: body
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: not forwarded two
C:
C: body
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: XFORWARD NAME=gone.example ADDR=192.0.2.9
S: 250 2.0.0 Ok
C: RSET
S: 250 2.0.0 Ok
C: XFORWARD ADDR=[UNAVAILABLE] NAME=local.example PROTO=[unavailable]
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: forwarded local three
C:
C: body
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
id1=$(queue_id_of "forwarded one")
id2=$(queue_id_of "not forwarded two")
id3=$(queue_id_of "forwarded local three")
ok "$([ -n "$id1" ] && [ -n "$id2" ] && [ -n "$id3" ] && echo 0 || echo 1)" "three messages queued ($id1 $id2 $id3): restrictions saw the real client, not 192.0.2.7"
inst_postcat "$Q/incoming/$id1" >"$T/one.postcat" 2>&1
inst_postcat "$Q/incoming/$id2" >"$T/two.postcat" 2>&1
inst_postcat "$Q/incoming/$id3" >"$T/three.postcat" 2>&1
attrs() { grep -E '^named_attribute: (log_[a-z_]+|rewrite_context|client_address|client_name|helo_name|protocol_name)=' "$1"; }
is "$(attrs "$T/one.postcat")" "named_attribute: log_ident=ABC123
named_attribute: rewrite_context=local
named_attribute: log_client_name=spike.example.org
named_attribute: log_client_address=192.0.2.7
named_attribute: log_client_port=4567
named_attribute: log_message_origin=spike.example.org[192.0.2.7]
named_attribute: log_helo_name=spike.example.org
named_attribute: log_protocol_name=ESMTP
named_attribute: client_name=unknown
named_attribute: client_address=127.0.7.7
named_attribute: helo_name=filter.example.org
named_attribute: protocol_name=ESMTP" \
    "message one: the forwarded client for later stages (log_*, log_ident, rewrite_context), the real one in client_*"
grep -q "^Received: from filter.example.org (unknown \[127.0.7.7\])" "$T/one.postcat"
ok $? "message one: Received: names the real client, as Postfix's does"
like "$(sd_log ": client=unknown\[127.0.7.7\], orig_queue_id")" \
    "$id1: client=unknown\[127\.0\.7\.7\], orig_queue_id=ABC123, orig_client=spike\.example\.org\[192\.0\.2\.7\]$" \
    "message one: Postfix's client= line with orig_queue_id and orig_client"
is "$(attrs "$T/two.postcat" | grep -E 'log_(ident|client_address|message_origin)|rewrite_context')" \
"named_attribute: log_ident=$id2
named_attribute: rewrite_context=remote
named_attribute: log_client_address=127.0.7.7
named_attribute: log_message_origin=unknown[127.0.7.7]" \
    "message two (no XFORWARD after the dot): the real client again (and its own rewrite context)"
like "$(sd_log "$id2: client=")" "$id2: client=unknown\[127\.0\.7\.7\]$" "message two: plain client= line"
is "$(attrs "$T/three.postcat" | grep -E 'log_')" "named_attribute: log_ident=$id3
named_attribute: log_client_name=local.example
named_attribute: log_client_address=unknown
named_attribute: log_client_port=unknown
named_attribute: log_message_origin=local.example
named_attribute: log_protocol_name=unknown" \
    "message three: RSET dropped gone.example; ADDR=[UNAVAILABLE] and PROTO=[unavailable] are unknown, nothing of the real client mixed in"
like "$(sd_log "disconnect from unknown\[127.0.7.7\] ehlo=1 xforward=4 ")" \
    "disconnect from unknown\[127\.0\.7\.7\] ehlo=1 xforward=4 mail=3 rcpt=3 data=3 rset=1 quit=1 commands=16$" \
    "the disconnect line counts xforward="
like "$(sd_log "disconnect from unknown\[127.0.0.1\] .*xforward=")" "xforward=0/2" \
    "refused XFORWARD commands count as failed"

done_testing
