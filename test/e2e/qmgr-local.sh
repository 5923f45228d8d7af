#!/bin/bash
# The whole local path with the real programs: sendmail -> postdrop ->
# maildrop/ -> pickup -> cleanup -> incoming/ -> qmgr -> local -> the
# user's mbox, then the queue file is removed. Two local recipients go as
# two requests (local_destination_recipient_limit 1), an address literal
# of inet_interfaces is local, and the Postfix log lines come in order:
# qmgr's "(queue active)", local's "status=sent", qmgr's "removed".
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr local pickup cleanup master postlogd
getent passwd nobody >/dev/null || { echo "1..0 # SKIP no user nobody (default_privs)"; exit 0; }

inst_setup
U1=pstqa$$ U2=pstqb$$
SP=$T/spool
mkdir -p "$SP"
useradd -M -d /nonexistent -s /bin/sh -U "$U1" || { echo "1..0 # SKIP cannot add a user"; exit 0; }
useradd -M -d /nonexistent -s /bin/sh -U "$U2" || { userdel "$U1"; echo "1..0 # SKIP cannot add a user"; exit 0; }
cleanup_users() {
    local u
    for u in "$U1" "$U2"; do
        userdel "$u" 2>/dev/null
        getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
    done
}
trap 'cleanup_users; inst_cleanup' EXIT
inst_param mail_spool_directory "$SP"
inst_param alias_maps ""
inst_service "pickup    unix  n       -       y       60      1       pickup"
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_service "local     unix  -       n       n       -       -       local"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr
check "pickup listens" inst_wait_sock public/pickup

printf 'Subject: through the whole system\n\nhello %s\n' "$U1" |
    sendmail -f sender@example.org "$U1@mail.example.com" "$U2@[$ADDR]"
ok $? "sendmail exits 0"
check "the first mbox gets the message" inst_wait grep -q "^Subject: through the whole system" "$SP/$U1"
check "the second one too (address literal of inet_interfaces)" inst_wait grep -q "^Subject: through the whole system" "$SP/$U2"
id=$(grep -oE "postfix/qmgr\[[0-9]+\]: [0-9A-F]+: from=<sender@example.org>" "$LOG" | head -1 | sed -E 's/.*: ([0-9A-F]+): from.*/\1/')
like "$id" '^[0-9A-F]{6,}$' "qmgr logged the message active"
check "removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
like_flat "$(grep -E "$id: (from=|to=|removed)" "$LOG" | sed -E 's/^.*postfix\/([a-z]+)\[[0-9]+\]: [0-9A-F]+: /\1: /; s/, delay=.*status=/ status=/')" \
    "^qmgr: from=<sender@example.org>, size=[0-9]+, nrcpt=2 \(queue active\)~local: to=<pstq[ab]$$@[^>]*>, relay=local status=sent \(delivered to mailbox\)~local: to=<pstq[ab]$$@[^>]*>, relay=local status=sent \(delivered to mailbox\)~qmgr: removed$" \
    "the log: (queue active), two status=sent lines from local, removed"
is "$(inst_queue_files incoming)$(inst_queue_files active)$(inst_queue_files deferred)$(inst_queue_files maildrop)" "" "the queue is empty"
is "$(stat -c %U "$SP/$U1")" "$U1" "the mbox belongs to the user"

inst_stop
check "qmgr exited cleanly" bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
done_testing
