#!/bin/bash
# XFORWARD end to end between Postern's own programs: the smtp client with
# smtp_send_xforward_command = yes relays a queued message whose original
# client came over SMTP, and a message that was a local submission, to
# Postern's smtpd (smtpd_authorized_xforward_hosts = 127.0.0.0/8); the new queue files name the original client (log_*
# attributes, log_ident = the first queue id, rewrite_context), the second
# one nothing of the first, and smtpd logs Postfix's orig_queue_id and
# orig_client. deliver_send plays qmgr.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$POSTERN_INST/libexec/postern/smtp" ] || { echo "1..0 # SKIP smtp is not installed"; exit 0; }
[ -x "$SEND" ] || { echo "1..0 # SKIP deliver_send is not built"; exit 0; }
sd_setup "smtpd_authorized_xforward_hosts = 127.0.0.0/8"
inst_service "xf        unix  -       -       n       -       1       smtp
    -o smtp_send_xforward_command=yes"
sd_start
ok $? "master, smtpd, cleanup run"
check "private/xf exists" inst_wait_sock private/xf

MSG="Subject: relayed one
From: alice@example.com

body"
id1=$(echo "$MSG" | smtp_queue -f alice@example.com -r bob@mail.example.com \
    -a log_client_name=client.example -a log_client_address=192.0.2.7 -a log_client_port=52614 \
    -a log_protocol_name=ESMTP -a log_helo_name=helo.example -a "log_ident={queue_id}" \
    -a rewrite_context=remote)
smtp_send -s private/xf -n "[$ADDR]:$PORT" "$id1"
like "$(smtp_result bob@mail.example.com)" "^result=sent dsn=2\.0\.0 " "the first message is relayed ($id1)"
id2=$(printf 'Subject: relayed two\nFrom: alice@example.com\n\nbody\n' |
    smtp_queue -f alice@example.com -r bob@mail.example.com -a rewrite_context=local)
smtp_send -s private/xf -n "[$ADDR]:$PORT" "$id2"
like "$(smtp_result bob@mail.example.com)" "^result=sent dsn=2\.0\.0 " "the second, a local submission ($id2)"

queue_id_of() { # SUBJECT: the incoming/ file whose message has it
    local f
    for f in $(inst_queue_files incoming); do
        inst_postcat "$Q/incoming/$f" 2>/dev/null | grep -qx "Subject: $1" && echo "$f"
    done
}
new1=$(queue_id_of "relayed one")
new2=$(queue_id_of "relayed two")
ok "$([ -n "$new1" ] && [ -n "$new2" ] && echo 0 || echo 1)" "smtpd queued both ($new1 $new2)"
attrs() {
    inst_postcat "$Q/incoming/$1" 2>/dev/null |
        grep -E '^named_attribute: (log_[a-z_]+|rewrite_context)='
}
is "$(attrs "$new1")" "named_attribute: log_ident=$id1
named_attribute: rewrite_context=remote
named_attribute: log_client_name=client.example
named_attribute: log_client_address=192.0.2.7
named_attribute: log_client_port=52614
named_attribute: log_message_origin=client.example[192.0.2.7]
named_attribute: log_helo_name=helo.example
named_attribute: log_protocol_name=ESMTP" "the relayed copy names the original client, with the first queue id"
is "$(attrs "$new2")" "named_attribute: log_ident=$new2
named_attribute: rewrite_context=local
named_attribute: log_client_name=unknown
named_attribute: log_client_address=unknown
named_attribute: log_client_port=unknown
named_attribute: log_message_origin=unknown
named_attribute: log_protocol_name=unknown" \
    "the local submission: unknown client, local context, nothing of the first message"
like "$(sd_log "$new1: client=")" \
    "$new1: client=unknown\[127\.[0-9.]+\], orig_queue_id=$id1, orig_client=client\.example\[192\.0\.2\.7\]$" \
    "smtpd's client= line: orig_queue_id and orig_client"
done_testing
