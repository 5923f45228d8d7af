#!/bin/bash
# The virtual delivery agent under master (root, not chrooted, as in the
# stock master.cf), driven by deliver_send (it plays qmgr). Mailboxes from
# virtual_mailbox_maps (hash: built by postmap), relative to
# virtual_mailbox_base; "/" at the end is a Maildir (created as the user),
# else an mbox; owners from virtual_uid_maps/virtual_gid_maps (static: and
# hash:); recipient_delimiter; the @domain catch-all; an unknown user
# bounces 5.1.1; a uid below virtual_minimum_uid defers 4.3.5 with a
# warning; a Delivered-To: loop bounces 5.4.6; virtual_mailbox_limit
# bounces 5.2.2 and leaves the mbox as it was.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require virtual cleanup master postlogd
SEND=$POSTERN_BUILD/test/tools/deliver_send
VUID=5000 VGID=5000

inst_setup
V=$T/vmail
mkdir -p "$V/example.net" "$V/catchall.test"
chown -R $VUID:$VGID "$V"
cat >"$C/vmailbox" <<EOF
alice@example.net   example.net/alice/
bob@example.net     example.net/bob
big@example.net     example.net/big
lowuid@example.net  example.net/lowuid
ro@example.net      readonly/ro/
grp@example.net     example.net/grp/
@catchall.test      catchall.test/all/
EOF
printf 'lowuid@example.net 50\n' >"$C/vuids"
printf 'grp@example.net 5001\n' >"$C/vgids"
mkdir -m 755 "$V/readonly"
check "postmap builds the mailbox map" postmap -c "$C" "hash:$C/vmailbox"
check "postmap builds the uid map" postmap -c "$C" "hash:$C/vuids"
check "postmap builds the gid map" postmap -c "$C" "hash:$C/vgids"
inst_param virtual_mailbox_domains "example.net, catchall.test"
inst_param virtual_mailbox_base "$V"
inst_param virtual_mailbox_maps "hash:$C/vmailbox"
inst_param virtual_uid_maps "hash:$C/vuids, static:$VUID"
inst_param virtual_gid_maps "hash:$C/vgids static:$VGID"
inst_param virtual_minimum_uid 100
inst_param recipient_delimiter +
inst_param message_size_limit 10000
inst_param virtual_mailbox_limit 20000
inst_service "virtual   unix  -       n       n       -       -       virtual"
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup
check "private/virtual exists" inst_wait_sock private/virtual

# queue_one [-m FILE] RCPT...: a message moved to active/ as qmgr would.
queue_one() {
    local msg=$T/plain.msg args=()
    if [ "$1" = -m ]; then msg=$2; shift 2; fi
    for r in "$@"; do args+=(-r "$r"); done
    inst_submit_active -f carol@example.org "${args[@]}" <"$msg"
}
send() {
    (cd "$Q" && "$SEND" -s private/virtual "$@") >"$T/send.out" 2>"$T/send.err"
}
cat >"$T/plain.msg" <<'EOF'
From: carol@example.org
To: somebody
Subject: virtual test

From the start of a line.
EOF
D='[0-9]+(\.[0-9]+)?'

# Maildir, created as the user.
id=$(queue_one alice@example.net)
send "$id"
ok $? "deliver_send gets a result"
like "$(cat "$T/send.out")" "rcpt=alice@example.net offset=[0-9]+ result=sent dsn=2.0.0 reason=delivered to maildir" \
    "alice: sent to her Maildir"
check "logs status=sent (delivered to maildir)" inst_log_wait \
    "postfix/virtual\[[0-9]+\]: $id: to=<alice@example.net>, relay=virtual, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \(delivered to maildir\)$"
md=$V/example.net/alice
for d in tmp new cur; do
    is "$(stat -c '%u:%g %a' "$md/$d" 2>&1)" "$VUID:$VGID 700" "Maildir $d/ made by uid $VUID, mode 700"
done
f=$(ls "$md/new" | head -1)
is "$(ls "$md/new" | wc -l)" 1 "one message in new/"
is "$(stat -c '%u:%g' "$md/new/$f" 2>&1)" "$VUID:$VGID" "the message file belongs to $VUID:$VGID"
is "$(head -4 "$md/new/$f")" "Return-Path: <carol@example.org>
X-Original-To: alice@example.net
Delivered-To: alice@example.net
From: carol@example.org" "Return-Path, X-Original-To and Delivered-To come first (no From_ line)"
like "$(tail -1 "$md/new/$f")" "^From the start of a line\.$" "no >From quoting in a Maildir"
like "$(inst_postcat -e "$Q/active/$id" 2>&1 | grep recipient:)" "^done_recipient: alice@example.net$" \
    "the recipient is marked done"

# mbox, found through the recipient delimiter.
id=$(queue_one BOB+lists@Example.NET)
send "$id"
like "$(cat "$T/send.out")" "rcpt=BOB\+lists@Example.NET offset=[0-9]+ result=sent dsn=2.0.0 reason=delivered to mailbox" \
    "bob+lists: sent to bob's mbox (delimiter, case folded)"
check "logs status=sent (delivered to mailbox)" inst_log_wait \
    "$id: to=<BOB\+lists@Example.NET>, relay=virtual, .* status=sent \(delivered to mailbox\)$"
mb=$V/example.net/bob
is "$(stat -c '%u:%g %a' "$mb" 2>&1)" "$VUID:$VGID 600" "the mbox is created by $VUID:$VGID, mode 600"
like "$(head -1 "$mb")" "^From carol@example.org  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$" "mbox From_ line"
is "$(sed -n 2,4p "$mb")" "Return-Path: <carol@example.org>
X-Original-To: BOB+lists@Example.NET
Delivered-To: bob+lists@example.net" "Return-Path, X-Original-To, Delivered-To (lower case) after the From_ line"
check "mbox quotes From in the body" grep -qx ">From the start of a line." "$mb"
is "$(tail -c 2 "$mb" | od -An -c | tr -d ' ')" '\n\n' "an empty line ends the message"
test ! -e "$mb.lock"
ok $? "the dotlock is gone"

# The catch-all, two recipients in one request.
id=$(queue_one one@catchall.test two@catchall.test)
send "$id"
is "$(grep -c 'result=sent dsn=2.0.0 reason=delivered to maildir' "$T/send.out")" 2 "@catchall.test: both sent"
is "$(ls "$V/catchall.test/all/new" | wc -l)" 2 "two messages in the catch-all Maildir"
is "$(grep -h '^Delivered-To:' "$V"/catchall.test/all/new/* | sort | tr '\n' ' ')" \
    "Delivered-To: one@catchall.test Delivered-To: two@catchall.test " "each with its own Delivered-To"

# An address probe (DELIVER_FLAG_VERIFY, 256) looks up but writes nothing.
id=$(queue_one probe@catchall.test)
send -f 256 "$id"
like "$(cat "$T/send.out")" "rcpt=probe@catchall.test offset=[0-9]+ result=sent dsn=2.0.0 reason=delivers to maildir" \
    "an address probe: delivers to maildir"
is "$(ls "$V/catchall.test/all/new" | wc -l)" 2 "and nothing was written"

# Unknown user: bounce 5.1.1 with a bounce record.
id=$(queue_one nobody@example.net)
send "$id"
like "$(cat "$T/send.out")" 'rcpt=nobody@example.net offset=[0-9]+ result=bounced dsn=5.1.1 reason=unknown user: "nobody@example.net"' \
    "unknown user bounces 5.1.1"
like_flat "$(cat "$Q/bounce/$id" 2>&1)" 'recipient=nobody@example.net.*status=5\.1\.1.*action=failed.*reason=unknown user: "nobody@example.net"' \
    "the bounce log has the record"
check "logs status=bounced" inst_log_wait \
    "$id: to=<nobody@example.net>, relay=virtual, .* dsn=5.1.1, status=bounced \(unknown user: \"nobody@example.net\"\)$"

# uid below virtual_minimum_uid: deferred, nothing written.
id=$(queue_one lowuid@example.net)
send "$id"
like "$(cat "$T/send.out")" "rcpt=lowuid@example.net offset=[0-9]+ result=deferred dsn=4.3.5 reason=mail system configuration error" \
    "a uid below virtual_minimum_uid defers 4.3.5"
check "with a warning naming the table" inst_log_wait \
    "postfix/virtual\[[0-9]+\]: warning: recipient lowuid@example.net: bad uid 50 in virtual_uid_maps"
check "the defer log has it" grep -q "^action=delayed" "$Q/defer/${id:0:1}/$id"
test ! -e "$V/example.net/lowuid"
ok $? "no mailbox was made"
like "$(inst_postcat -e "$Q/active/$id" 2>&1 | grep recipient:)" "^recipient: lowuid@example.net$" "not marked done"

# A gid from the hash: table before the static: one.
id=$(queue_one grp@example.net)
send "$id"
like "$(cat "$T/send.out")" "rcpt=grp@example.net offset=[0-9]+ result=sent" "grp: delivered"
is "$(stat -c '%u:%g' "$V/example.net/grp/new/"* 2>&1)" "$VUID:5001" "with the gid of virtual_gid_maps' first table"

# A mailbox the user may not create: deferred with the reason, not marked.
id=$(queue_one ro@example.net)
send "$id"
like "$(cat "$T/send.out")" "rcpt=ro@example.net offset=[0-9]+ result=deferred dsn=4\.[0-9.]+ reason=.*Permission denied" \
    "a Maildir the user cannot create: deferred (Permission denied)"
test ! -e "$V/readonly/ro"
ok $? "nothing was made as root"
like "$(inst_postcat -e "$Q/active/$id" 2>&1 | grep recipient:)" "^recipient: ro@example.net$" "not marked done"

# Delivered-To loop: bounce 5.4.6, the other recipient is delivered.
cat >"$T/loop.msg" <<'EOF'
Delivered-To: Alice@Example.NET
From: carol@example.org
Subject: loop

body
EOF
id=$(queue_one -m "$T/loop.msg" alice@example.net one@catchall.test)
send "$id"
like "$(cat "$T/send.out")" "rcpt=alice@example.net offset=[0-9]+ result=bounced dsn=5.4.6 reason=mail forwarding loop for alice@example.net" \
    "Delivered-To: alice (any case) -> 5.4.6 for alice"
like "$(cat "$T/send.out")" "rcpt=one@catchall.test offset=[0-9]+ result=sent" "the other recipient is delivered"
is "$(ls "$md/new" | wc -l)" 1 "alice's Maildir got nothing new"

# virtual_mailbox_limit: the mbox would pass 20000 bytes: 5.2.2, unchanged.
head -c 19900 /dev/zero | tr '\0' 'x' | fold -w 70 >"$V/example.net/big"
chown $VUID:$VGID "$V/example.net/big"
chmod 600 "$V/example.net/big"
before=$(md5sum <"$V/example.net/big")
id=$(queue_one big@example.net)
send "$id"
like "$(cat "$T/send.out")" "rcpt=big@example.net offset=[0-9]+ result=bounced dsn=5.2.2 reason=.*File too large" \
    "over virtual_mailbox_limit: bounced 5.2.2"
is "$(md5sum <"$V/example.net/big")" "$before" "the mbox is truncated back"

# The agent's process keeps mail_owner's effective ids between deliveries.
pid=$(inst_workers virtual | head -1)
if [ -n "$pid" ]; then
    is "$(awk '/^Uid:/ { print $2 "/" $3 } /^Gid:/ { print $2 "/" $3 }' /proc/$pid/status | tr '\n' ' ')" \
        "0/$(id -u postfix) 0/$(id -g postfix) " "virtual: real root, effective mail_owner between deliveries"
else
    skip "no idle virtual process to look at"
fi
check "no panics or fatals" bash -c "! grep -E 'postfix/virtual.*(panic|fatal)' '$LOG'"
done_testing
