# test/data/local/local-lib.sh - what the local delivery agent's tests
# (local-alias.sh, local-extra.sh, local-mailbox.sh) share: the users, the
# instance and the helpers that play qmgr. Source it after test/lib.sh and
# test/lib/instance.sh.
#
#   local_setup USER...  skips the test (1..0) unless it runs as root, the
#                        daemons are installed and the user nobody
#                        (default_privs) exists; inst_setup; $SP (the
#                        mail_spool_directory) and $T/home; each USER added
#                        with useradd (home $T/home/USER owned by it, mode
#                        755, a group of its name; the test is skipped when
#                        that fails) and removed with its group at exit;
#                        main.cf: mail_spool_directory $SP,
#                        recipient_delimiter +, mydestination $myhostname,
#                        localhost, $mydomain; master.cf: a "local" service.
#                        $SEND is deliver_send.
#   LOCAL_PIDS           pids the test started and wants killed at exit
#   local_start          postfix start; cleanup and private/local there
#                        (3 checks)
#   queue ARGS...        cleanup_submit from sender@example.org (stdin is the
#                        message), the file moved to active/ as qmgr would;
#                        prints the queue id
#   msg NAME             a small message, "Subject: test NAME"
#   send ARGS...         deliver_send in $Q; output in $T/send.out, $T/send.err
#   rcpts ID             active/ID's recipient records on one line
#   DELAY_RE             a regex for a delay in a log line ("0.12")

LOCAL_USERS=
LOCAL_PIDS=

local_cleanup() {
    local p u
    for p in $LOCAL_PIDS; do kill "$p" 2>/dev/null; done
    for u in $LOCAL_USERS; do
        userdel "$u" 2>/dev/null
        getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
    done
    inst_cleanup
}

local_setup() {
    local u
    inst_require local cleanup master postlogd
    getent passwd nobody >/dev/null || { echo "1..0 # SKIP no user nobody (default_privs)"; exit 0; }
    SEND=$POSTERN_BUILD/test/tools/deliver_send
    inst_setup
    trap local_cleanup EXIT
    SP=$T/spool
    mkdir -p "$T/home" "$SP"
    for u in "$@"; do
        useradd -M -d "$T/home/$u" -s /bin/sh -U "$u" || { echo "1..0 # SKIP cannot add a user"; exit 0; }
        LOCAL_USERS="$LOCAL_USERS $u"
        mkdir -p "$T/home/$u" && chown "$u:$u" "$T/home/$u" && chmod 755 "$T/home/$u"
    done
    inst_param mail_spool_directory "$SP"
    inst_param recipient_delimiter "+"
    inst_param mydestination '$myhostname, localhost, $mydomain'
    inst_service "local     unix  -       n       n       -       -       local"
}

local_start() {
    check "postfix start" inst_start
    check "cleanup listens" inst_wait_sock public/cleanup
    check "private/local exists" inst_wait_sock private/local
}

queue() {
    inst_submit_active -f sender@example.org "$@"
}

msg() {
    printf 'Subject: test %s\nFrom: sender@example.org\n\nHello %s\n' "$1" "$1"
}

send() {
    (cd "$Q" && "$SEND" "$@") >"$T/send.out" 2>"$T/send.err"
}

rcpts() {
    inst_postcat -e "$Q/active/$1" | grep -E '^(done_)?recipient:' | tr '\n' ' '
}

DELAY_RE='[0-9]+(\.[0-9]+)?'
