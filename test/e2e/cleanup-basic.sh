#!/bin/bash
# cleanup under master, driven by the test-only client cleanup_submit: a
# message lands in incoming/ as a complete queue file in Postfix's record
# order (compare test/data/queue's hold-plain: T, create_time, attributes,
# S, dsn_orig_rcpt, O, R, M, content, X, E) and postcat reads it; the
# message-id is logged; a client that goes away before E leaves nothing.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
inst_setup
check "postfix start" inst_start
check "cleanup listens on public/cleanup" inst_wait_sock public/cleanup

inst_submit -T 1795263260 -a rewrite_context=local -f alice@example.com \
    -a log_client_name=localhost -a client_name=localhost \
    -O bob@relay.test -r bob@relay.test <"$POSTERN_SRC/test/data/cleanup/plain.msg"
ok $? "cleanup accepts a plain message"
id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
like "$id" '^[0-9A-F]{6,}$' "the client got a short queue id"
is "$(sed -n 's/^status=//p' "$T/submit.out")" "0" "status 0"
is "$(inst_queue_files incoming)" "$id" "the file is incoming/ID"
check "and it is complete (execute bit)" inst_complete "$Q/incoming/$id"
is "$(stat -c '%U %a' "$Q/incoming/$id")" "postfix 700" "owned by mail_owner, mode 0700"

out=$(cd "$Q/incoming" && inst_postcat -o -d -r "$id" | awk '{ $1 = ""; print }' | sed 's/^ //')
want="ENVELOPE RECORDS $id ***
67 message_size: 228 298 1 0 228 0
84 message_arrival_time: Sat Nov 21 12:14:20 2026
65 create_time: CT
65 named_attribute: rewrite_context=local
83 sender: alice@example.com
65 named_attribute: log_client_name=localhost
65 named_attribute: client_name=localhost
65 named_attribute: dsn_orig_rcpt=rfc822;bob@relay.test
79 original_recipient: bob@relay.test
82 recipient: bob@relay.test
77 *** MESSAGE CONTENTS $id ***
78 Date: Sat, 21 Nov 2026 12:14:20 +0000
78 To: bob@relay.test
78 From: alice@example.com
78 Subject: Plain one-recipient message
78 Message-Id: <20261121121420.027050@vm>
78 
78 Hello Bob,
78 
78 this is a plain test message with one recipient.
88 *** HEADER EXTRACTED $id ***
69 *** MESSAGE FILE END $id ***"
out=$(printf '%s\n' "$out" | sed -E 's/create_time: .*/create_time: CT/; s/ +/ /g; s/ $//')
want=$(printf '%s\n' "$want" | sed -E 's/ +/ /g; s/ $//')
is "$out" "$want" "postcat shows Postfix's records in Postfix's order"
check "the log has the message-id" inst_log_wait "cleanup\[[0-9]+\]: $id: message-id=<20261121121420.027050@vm>"

# A client that closes before E: no reply, the file is removed.
inst_submit -q -f a@example.com -r b@example.com <"$POSTERN_SRC/test/data/cleanup/plain.msg"
id2=$(sed -n 's/^queue_id=//p' "$T/submit.out")
like "$id2" '^[0-9A-F]{6,}$' "a second request got a queue id"
check "an aborted request leaves no file" inst_wait test ! -e "$Q/incoming/$id2"
check "and cleanup logs it" inst_log_wait "$id2: unexpected EOF from the client"

# No recipients: refused with CLEANUP_STAT_RCPT, nothing queued.
inst_submit -f a@example.com <"$POSTERN_SRC/test/data/cleanup/plain.msg"
is "$(grep -E '^(status|reason)=' "$T/submit.out" | tr '\n' ' ')" "status=32 reason=5.1.0 No recipients specified " \
    "a message without recipients is refused"
is "$(inst_queue_files incoming)" "$id" "and leaves no file"

inst_stop
done_testing
