#!/bin/bash
# qmgr with the real bounce daemon and local: mail to an unknown local user
# bounces (local, 5.1.1), qmgr asks the bounce service to FLUSH, the
# notice goes through cleanup and qmgr back to the sender's mailbox, and
# both messages are removed. A message deferred past
# maximal_queue_lifetime is returned (EXPIRE: "status=expired, returned to
# sender"). The log has Postfix's lines for all of it.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr local bounce cleanup master postlogd
getent passwd nobody >/dev/null || { echo "1..0 # SKIP no user nobody (default_privs)"; exit 0; }

inst_setup
U=pstqn$$
SP=$T/spool A=$T/agent
mkdir -p "$SP"
useradd -M -d /nonexistent -s /bin/sh -U "$U" || { echo "1..0 # SKIP cannot add a user"; exit 0; }
trap 'userdel "$U" 2>/dev/null; getent group "$U" >/dev/null && groupdel "$U" 2>/dev/null; inst_cleanup' EXIT
inst_param mail_spool_directory "$SP"
inst_param alias_maps ""
inst_param transport_maps "inline:{later.test=test:}"
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_service "local     unix  -       n       n       -       -       local"
inst_service "bounce    unix  -       -       y       -       0       bounce"
inst_service "defer     unix  -       -       y       -       0       bounce"
inst_service "trace     unix  -       -       y       -       0       bounce"
inst_agent test "$A"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

MSG="Subject: to nobody known

hello"
submit() {
    inst_submit -f "$U@mail.example.com" "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}

# 1. Unknown local user: bounce, notice to the sender's mailbox.
id=$(submit -r nosuchuser$$@mail.example.com)
check "local bounces the unknown user" inst_log_wait \
    "postfix/local\[[0-9]+\]: $id: to=<nosuchuser$$@mail.example.com>, relay=local, .*dsn=5.1.1, status=bounced"
check "the bounce service queues a notice" inst_log_wait "postfix/bounce\[[0-9]+\]: $id: sender non-delivery notification: [0-9A-F]+"
nid=$(grep -oE "$id: sender non-delivery notification: [0-9A-F]+" "$LOG" | awk '{print $NF}')
check "the original is removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
check "the notice is activated (null sender)" inst_log_wait "postfix/qmgr\[[0-9]+\]: $nid: from=<>, size=[0-9]+, nrcpt=1 \(queue active\)$"
check "and delivered to the sender's mailbox" inst_wait grep -q "^Subject: Undelivered Mail Returned to Sender" "$SP/$U"
check "the notice is removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $nid: removed$"
check "no bounce log left" test ! -e "$Q/bounce/$id"

# 2. Deferred past the queue lifetime: returned to the sender.
echo "test agent says later" >"$A/defer@later.test"
id=$(submit -T $(($(date +%s) - 6 * 86400)) -r bob@later.test)
check "expired and returned" inst_log_wait "postfix/bounce\[[0-9]+\]: $id: from=<$U@mail.example.com>, status=expired, returned to sender"
check "the expired message is removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
check "its notice reaches the sender" inst_wait bash -c "[ \$(grep -c '^Subject: Undelivered Mail Returned to Sender' '$SP/$U') -ge 2 ]"
done_q() { [ -z "$(inst_queue_files incoming)$(inst_queue_files active)$(inst_queue_files deferred)" ]; }
check "the queue ends empty" inst_wait done_q

inst_stop
check "qmgr exited cleanly" bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
done_testing
