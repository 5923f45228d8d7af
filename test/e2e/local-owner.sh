#!/bin/bash
# Per-owner notices (aliases(5), owner_request_special): when local
# delivers an alias that has an owner-NAME companion and a /file or
# |command of its expansion fails for good, the non-delivery notice goes
# to owner-NAME@$myorigin, at once, through the bounce daemon (its
# single-recipient request), not to the original sender; nothing is left
# in bounce/ID for the sender. Under master with local, bounce and
# cleanup; deliver_send plays qmgr.
#   - a command (exit 67, 5.1.1) and a file (over mailbox_size_limit,
#     5.2.2) under an owner alias: a notice to the owner, with the failed
#     recipient, its status, the returned message, no ENVID;
#   - a nested alias without an owner of its own keeps the parent's owner
#     (reset_owner_alias = no);
#   - the same command under an alias without an owner: the usual bounce/ID
#     record for the sender, no owner notice;
#   - owner_request_special = no: the sender's, too;
#   - a command that works under an owner alias: no notice;
#   - the bounce service unreachable: the recipient is deferred 4.3.0, not
#     lost, and a retry reports to the owner;
#   - hostile single-recipient requests (no sender, control characters, an
#     extra attribute, no recipient group, a bad status) get no notice;
#   - no sanitizer report from local or bounce (bounce runs unchrooted here
#     so that LeakSanitizer works).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/local/local-lib.sh"
inst_require local bounce cleanup master postlogd

B=pstob$$
local_setup "$B"
F=$T/files
mkdir -p "$F"
chmod 1777 "$F"

cat >"$C/aliases" <<EOF2
cmdlist: "|exit 67"
owner-cmdlist: $B
filelist: $F/list.mbox
owner-filelist: $B
nested: sublist
owner-nested: $B
sublist: "|exit 67"
plain: "|exit 67"
goodlist: "|cat >/dev/null"
owner-goodlist: $B
EOF2
postalias -c "$C" "$C/aliases"
check "postalias built the table" test -f "$C/aliases.db"
inst_param alias_maps "hash:$C/aliases"
inst_param biff no
inst_param max_use 1 # each worker exits after its client: the leak check runs
inst_service "local-lim unix  -       n       n       -       -       local -o mailbox_size_limit=100"
inst_service "local-no  unix  -       n       n       -       -       local -o owner_request_special=no"
# not chrooted: LeakSanitizer needs /proc; reports go to $Q/sanitizer/
inst_service "bounce    unix  -       -       n       -       0       bounce"
local_start
check "private/bounce exists" inst_wait_sock private/bounce

# notice_for ID: the owner notice's queue id that local logged for ID
notice_for() {
    sed -nE "s/.*postfix\/local\[[0-9]+\]: $1: .*: failure reported to the alias owner [^ ]+: ([0-9A-F]+)$/\1/p" "$LOG" | tail -1
}
env_of() { inst_postcat -e "$Q/incoming/$1" 2>&1; }
body_of() { inst_postcat -h -b "$Q/incoming/$1" 2>&1; }

# 1. A command under an owner alias.
id=$(msg cmd | queue -a envelope_id=ENV$$ -r "cmdlist@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "rcpt=cmdlist@mail.example.com offset=[0-9]+ result=bounced dsn=5.1.1" \
    "a failing command under owner-cmdlist: the recipient is bounced"
check "local logs the owner notice" inst_log_wait \
    "$id: cmdlist@mail.example.com: failure reported to the alias owner owner-cmdlist@example.com: [0-9A-F]+$"
nid=$(notice_for "$id")
check "the bounce daemon logs it" inst_log_wait "postfix/bounce\[[0-9]+\]: $id: sender non-delivery notification: $nid$"
check "nothing in bounce/$id for the sender" test ! -e "$Q/bounce/$id"
env=$(env_of "$nid")
like_flat "$env" $'\nsender: \n' "the notice has the null sender"
like_flat "$env" $'\nrecipient: owner-cmdlist@example.com\n' "it goes to owner-cmdlist@\$myorigin"
hdr=$(body_of "$nid")
like_flat "$hdr" $'\nTo: owner-cmdlist@example.com\n' "To: the owner"
like_flat "$hdr" $'\nSubject: Undelivered Mail Returned to Sender\n' "a non-delivery notice"
like_flat "$hdr" $'\nFinal-Recipient: rfc822; cmdlist@mail.example.com\n(Original-Recipient: [^\n]*\n)?Action: failed\nStatus: 5.1.1\n' \
    "the failed recipient and its status"
like "$hdr" 'Command died with status 67|user unknown' "the command's failure as the reason"
like_flat "$hdr" $'\nContent-Type: message/rfc822\n\nReturn-Path: <owner-cmdlist@example.com>\n' \
    "the message is returned (with the expansion's envelope sender)"
like "$hdr" "^Subject: test cmd$" "the original's subject"
check "without the original's ENVID" bash -c "! grep -q 'ENV$$' <<<\"\$1\"" _ "$hdr"
like_flat "$(inst_postcat -e "$Q/active/$id")" $'\ndone_recipient: cmdlist@mail.example.com\n' \
    "the recipient is marked done"

# 2. A file under an owner alias (5.2.2: over mailbox_size_limit).
id=$(msg file | queue -r "filelist@mail.example.com")
send -s private/local-lim "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.2.2" "a file over mailbox_size_limit under owner-filelist: bounced"
check "the owner is told" inst_log_wait \
    "$id: filelist@mail.example.com: failure reported to the alias owner owner-filelist@example.com: [0-9A-F]+$"
nid=$(notice_for "$id")
like_flat "$(env_of "$nid")" $'\nrecipient: owner-filelist@example.com\n' "the notice goes to owner-filelist"
like "$(body_of "$nid")" "^Status: 5.2.2$" "with 5.2.2"
like "$(body_of "$nid")" "$F/list.mbox" "naming the file"
check "nothing in bounce/$id" test ! -e "$Q/bounce/$id"

# 3. Nested: nested (owner) -> sublist (no owner) -> a failing command.
id=$(msg nested | queue -r "nested@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced" "nested: bounced"
check "nested: the parent's owner is told" inst_log_wait \
    "$id: sublist@example.com: failure reported to the alias owner owner-nested@example.com: [0-9A-F]+$"
check "nested: nothing in bounce/$id" test ! -e "$Q/bounce/$id"

# 4. No owner: the sender's bounce/ID, as before.
id=$(msg plain | queue -r "plain@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.1.1" "no owner: bounced"
check "no owner: a bounce/$id record for the sender" grep -q '^recipient=plain@mail.example.com$' "$Q/bounce/$id"
check "no owner: no owner notice" bash -c "! grep -q '$id: .*failure reported to the alias owner' '$LOG'"
# owner_request_special = no: the same.
id=$(msg ors | queue -r "cmdlist@mail.example.com")
send -s private/local-no "$id"
like "$(cat "$T/send.out")" "result=bounced" "owner_request_special = no: bounced"
check "owner_request_special = no: bounce/$id for the sender" grep -q '^recipient=cmdlist@mail.example.com$' "$Q/bounce/$id"
check "owner_request_special = no: no owner notice" bash -c "! grep -q '$id: .*failure reported to the alias owner' '$LOG'"

# 5. A command that works: no notice.
id=$(msg good | queue -r "goodlist@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0" "a working command under an owner alias: sent"
check "no owner notice" bash -c "! grep -q '$id: .*failure reported to the alias owner' '$LOG'"

# 6. The bounce service unreachable: deferred, then reported on a retry.
id=$(msg down | queue -r "cmdlist@mail.example.com")
mv "$Q/private/bounce" "$Q/private/bounce.off"
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=bounce failed: " "bounce service down: deferred 4.3.0"
like_flat "$(inst_postcat -e "$Q/active/$id")" $'\nrecipient: cmdlist@mail.example.com\n' "the recipient stays undone"
mv "$Q/private/bounce.off" "$Q/private/bounce"
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.1.1" "a retry: bounced"
check "and the owner is told" inst_log_wait \
    "$id: cmdlist@mail.example.com: failure reported to the alias owner owner-cmdlist@example.com: [0-9A-F]+$"

# 7. Hostile single-recipient requests on private/bounce: no reply, a warning.
raw_one() {
    python3 - "$Q/private/bounce" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10)
s.connect(sys.argv[1])
kind = sys.argv[2]
def group(items): return b"\0".join(items) + b"\0\0"
head = [b"nrequest", b"5", b"flags", b"0", b"queue_name", b"active", b"queue_id", b"ABCDEF12345",
        b"encoding", b"", b"smtputf8", b"0", b"sender", b"owner-x@example.com",
        b"envelope_id", b"", b"ret_flags", b"0"]
one = [b"recipient", b"x@example.com", b"orig_rcpt", b"", b"dsn_orig_rcpt", b"",
       b"notify_flags", b"0", b"status", b"5.1.1", b"reason", b"no"]
if kind == "nosender":
    data = group(head[:13] + [b""] + head[14:]) + group(one)
elif kind == "ctl":
    data = group(head) + group(one[:11] + [b"bad\nstatus=2.0.0"])
elif kind == "extra":
    data = group(head) + group(one + [b"action", b"delivered"])
elif kind == "badstatus":
    data = group(head) + group(one[:9] + [b"9.9"] + one[10:])
else:   # the recipient group never comes
    data = group(head)
try:
    s.sendall(data)
    if kind == "nogroup":
        s.shutdown(socket.SHUT_WR)
    r = s.recv(100)
    print("reply=" + r.replace(b"\0", b"|").decode() if r else "reply=0")
except OSError:
    print("reply=0")
PY
}
for k in nosender ctl extra nogroup; do
    is "$(raw_one $k)" "reply=0" "a hostile single-recipient request ($k): no reply"
done
check "logged: the sender is needed" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: warning: bad bounce request .*a single-recipient notice needs a sender"
check "logged: control characters" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: warning: bad bounce request .*control characters in the recipient group"
is "$(raw_one badstatus)" "reply=status|-1|queue_id|||" "a bad status: the record is refused, status -1, no notice"
check "logged: the bad record" inst_log_wait "postfix/bounce\[[0-9]+\]: warning: ABCDEF12345: bad single-recipient request for x@example.com"

inst_stop
reports=$(ls "$Q"/sanitizer/ 2>/dev/null)
is "$reports" "" "no sanitizer report from local or bounce (leaks included)"
check "no local or bounce process died" \
    bash -c "! grep -E 'libexec/(local|bounce) pid [0-9]+ (exit status|killed)|(local|bounce)\[[0-9]+\]: (panic|fatal)' '$LOG'"
done_testing
