#!/bin/bash
# cleanup's content checks and limits under master: header_checks (regexp:)
# HOLD puts the complete file in hold/, REJECT answers the reason and logs
# Postfix's line, DISCARD accepts and keeps nothing, IGNORE/REPLACE/PREPEND
# edit headers; body_checks (pcre:) REJECT; message_size_limit; the
# virtual alias catch-all; and a cleanup killed with SIGKILL mid-message
# leaves no complete file while its client gets no success.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
inst_setup
cat >"$C/header_checks" <<'EOF2'
/^Subject: .*hold me/ HOLD
/^Subject: .*reject me/ REJECT Spam not wanted here
/^Subject: .*discard me/ DISCARD
/^X-Drop:/ IGNORE
/^X-Old: (.*)/ REPLACE X-New: $1
/^X-Mark:/ PREPEND X-Tag: tagged
/^Subject: .*warn me/ WARN suspicious
EOF2
cat >"$C/body_checks" <<'EOF2'
/forbidden phrase/ REJECT 5.7.9 Body rejected
EOF2
printf '@catch.test catchall@example.com\nknown@catch.test known-target@relay.test\n' >"$C/virtual"
inst_param header_checks "regexp:$C/header_checks"
inst_param body_checks "pcre:$C/body_checks"
inst_param virtual_alias_maps "texthash:$C/virtual"
inst_param message_size_limit 4000
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup

msg() {  # msg SUBJECT [extra header lines...]
    local s=$1
    shift
    printf 'From: alice@example.com\nTo: bob@relay.test\nSubject: %s\nMessage-Id: <%s@test>\n' "$s" "$RANDOM"
    [ $# -gt 0 ] && printf '%s\n' "$@"
    printf '\nbody line\n'
}
submit() {  # submit SUBJECT [headers...]: a remote SMTP message
    msg "$@" | inst_submit -x 34 -a rewrite_context=remote -a log_message_origin='client.test[192.0.2.7]' \
        -a log_helo_name=helo.test -a log_protocol_name=ESMTP -f alice@example.com -r bob@relay.test
}
field() { sed -n "s/^$1=//p" "$T/submit.out"; }

submit "please hold me"
ok $? "HOLD: accepted"
id=$(field queue_id)
check "HOLD: the file is in hold/" inst_complete "$Q/hold/$id"
ok $([ ! -e "$Q/incoming/$id" ]; echo $?) "HOLD: and not in incoming/"
check "HOLD: logged" inst_log_wait "$id: hold: header Subject: please hold me from client.test\[192.0.2.7\]; from=<alice@example.com> to=<bob@relay.test> proto=ESMTP helo=<helo.test>"

submit "please reject me"
is "$(field status)" 8 "REJECT: status CLEANUP_STAT_CONT"
is "$(field reason)" "5.7.1 Spam not wanted here" "REJECT: the reason is the table's text"
id=$(field queue_id)
ok $([ ! -e "$Q/incoming/$id" ]; echo $?) "REJECT: no file"
check "REJECT: Postfix's log line" inst_log_wait "$id: reject: header Subject: please reject me from client.test\[192.0.2.7\]; from=<alice@example.com> to=<bob@relay.test> proto=ESMTP helo=<helo.test>: 5.7.1 Spam not wanted here"

submit "please discard me"
is "$(field status)" 0 "DISCARD: the client is told success"
id=$(field queue_id)
ok $([ ! -e "$Q/incoming/$id" ] && [ ! -e "$Q/hold/$id" ]; echo $?) "DISCARD: but nothing is queued"
check "DISCARD: logged" inst_log_wait "$id: discard: header Subject: please discard me"

submit "edit headers, warn me" "X-Drop: gone" "X-Old: value" "X-Mark: here"
is "$(field status)" 0 "edits: accepted"
id=$(field queue_id)
hdrs=$(cd "$Q/incoming" && inst_postcat -h "$id")
ok $(grep -q '^X-Drop:' <<<"$hdrs"; [ $? -ne 0 ]; echo $?) "IGNORE removes the header"
like "$hdrs" $'X-New: value' "REPLACE rewrites it with the match"
like_flat "$hdrs" $'X-Tag: tagged\nX-Mark: here' "PREPEND inserts a line before it"
check "WARN is logged" inst_log_wait "$id: warning: header Subject: edit headers, warn me .*: suspicious"

printf 'From: a@example.com\nSubject: body\n\nclean\nthis has a forbidden phrase in it\n' |
    inst_submit -x 34 -a rewrite_context=remote -f a@example.com -r b@relay.test
is "$(field status) $(field reason)" "8 5.7.9 Body rejected" "body_checks REJECT with a DSN code"

# message_size_limit = 4000
{ msg "big"; for i in $(seq 100); do echo "line $i of a message that is much too large for the limit"; done; } |
    inst_submit -x 34 -a rewrite_context=remote -f a@example.com -r b@relay.test
is "$(field status) $(field reason)" "4 5.3.4 Message too big for system" "message_size_limit: CLEANUP_STAT_SIZE"
id=$(field queue_id)
ok $([ ! -e "$Q/incoming/$id" ]; echo $?) "and no file"

# Virtual alias catch-all and an exact entry in the same domain.
msg "valias" | inst_submit -x 34 -a rewrite_context=remote -f a@example.com \
    -r other@catch.test -r known@catch.test
ok $? "catch-all: accepted"
id=$(field queue_id)
rcpts=$(cd "$Q/incoming" && inst_postcat -e "$id" | grep -E '^(original_)?recipient:' | tr '\n' ' ')
is "$rcpts" "original_recipient: other@catch.test recipient: catchall@example.com original_recipient: known@catch.test recipient: known-target@relay.test " \
    "@domain catches other@, known@ uses its own entry"

# SIGKILL in the middle of a message.
{ msg "killed"; for i in $(seq 40); do echo "line $i"; done; } >"$T/kill.msg"
rm -f "$T/pause"
(cd "$Q" && exec "$POSTERN_BUILD/test/tools/cleanup_submit" -P "$T/pause" -x 34 -f a@example.com -r b@relay.test \
    <"$T/kill.msg" >"$T/kill.out" 2>&1) &
SUB=$!
check "the client paused mid-message" inst_wait test -e "$T/pause"
kid=$(sed -n 's/^queue_id=//p' "$T/kill.out")
like "$kid" '^[0-9A-F]{6,}$' "it has a queue id"
ls -l "$Q/incoming" >"$T/incoming.ls"
like "$(cat "$T/incoming.ls")" "^-rw------- .* $kid$" "its partial file is in incoming/, not executable"
pids=$(inst_workers cleanup)
ok $([ -n "$pids" ]; echo $?) "a cleanup process serves it"
for p in $pids; do kill -KILL "$p"; done
rm -f "$T/pause"
wait "$SUB"
rc=$?
ok $([ "$rc" -ne 0 ]; echo $?) "the client did not get success (exit $rc)"
like "$(cat "$T/kill.out")" "status=2$" "it got CLEANUP_STAT_WRITE"
ok $(inst_complete "$Q/incoming/$kid"; [ $? -ne 0 ]; echo $?) "no complete file $kid in incoming/"
is "$(find "$Q/incoming" "$Q/hold" -type f -perm -u+x -name "$kid")" "" "nor anywhere"

inst_stop
done_testing
