# test/lib/instance.sh - a scratch Postern instance for the intake tests
# (cleanup, smtpd, sendmail/postdrop/pickup). Source it after test/lib.sh.
#
#   inst_require PROG...  skips the test (1..0) unless it runs as root and
#                         the daemons PROG... are installed
#   inst_setup            makes the instance in $T: $C (config_directory),
#                         $Q (queue_directory), $D (daemon_directory: a copy
#                         of the installed daemons), $LOG (maillog_file),
#                         $ADDR (a free-looking 127.0.0.x, or $INST_ADDR
#                         when the caller pins it), a main.cf with
#                         myhostname mail.example.com, mydomain example.com,
#                         myorigin $mydomain, mail_owner postfix,
#                         setgid_group postdrop, inet_interfaces $ADDR;
#                         exports MAIL_CONFIG=$C. Users/groups postfix and
#                         postdrop are created when missing (removed at
#                         exit). At exit everything started is stopped (by
#                         pid) and $T removed (INST_KEEP=1 keeps it).
#   inst_param NAME VALUE sets a main.cf parameter (before or after start;
#                         after start, `postfix reload` or inst_restart)
#   inst_master_cf TEXT   writes $C/master.cf (default: inst_master_cf_default)
#   inst_master_cf_default  cleanup (chrooted, unprivileged) and postlogd
#   inst_master_cf_full   the whole mail system as Debian's master.cf has it
#                         (smtpd on $ADDR:$INST_SMTPD_PORT when that is set,
#                         pickup, cleanup, qmgr, bounce/defer/trace, showq,
#                         flush, error, retry, discard, local, virtual, smtp,
#                         relay, lmtp, proxymap, postlog)
#   inst_service LINE     appends a service line to master.cf
#   inst_agent NAME DIR [MAXPROC]  a master.cf service NAME running the
#                         test-only delivery agent test/daemons/test_agent
#                         (copied into $D), which records its requests in
#                         DIR (made when missing); maxproc MAXPROC, default 4
#   inst_port             a free TCP port on $ADDR
#   inst_start            postfix start, waits (bounded) for master; sets MPID
#   inst_stop             postfix stop, then by pid
#   inst_wait CMD...      retries CMD for up to 10 s (INST_WAIT tenths)
#   inst_wait_sock NAME   waits until $Q/NAME (e.g. public/cleanup) exists
#   inst_workers NAME     pids of master's children serving service NAME
#   inst_log_wait REGEX   waits until the maillog has a line matching REGEX
#   inst_queue_files Q    the file names in $Q/Q (one per line, sorted)
#   inst_complete FILE    true when FILE is complete (owner execute bit)
#   inst_submit ARGS...   runs test/tools/cleanup_submit in $Q with ARGS
#                         (stdin is the message); output in $T/submit.out
#   inst_submit_active ARGS...  inst_submit, then the file moved to active/
#                         as qmgr would for a delivery agent; prints the
#                         queue id (cleanup_submit's errors on stderr)
#   inst_postcat FILE     Postern's postcat of a queue file (-c $C)
# The daemons are copied so a test may add test-only daemons to $D.

INST_CREATED_USER=
INST_CREATED_GROUP=
INST_CREATED_POSTFIX_GROUP=
MPID=

inst_cleanup() {
    local p kids
    # the test is over: another may have the state test_exclusive guarded
    declare -F test_exclusive_release >/dev/null && test_exclusive_release
    [ -n "${Q:-}" ] && inst_sanitizer_reports
    if [ -n "$MPID" ] && kill -0 "$MPID" 2>/dev/null; then
        kids=$(pgrep -P "$MPID")
        kill -TERM "$MPID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$MPID" 2>/dev/null
        for p in $kids; do kill -KILL "$p" 2>/dev/null; done
    fi
    [ -n "$INST_CREATED_USER" ] && userdel postfix 2>/dev/null
    [ -n "$INST_CREATED_POSTFIX_GROUP" ] && groupdel postfix 2>/dev/null
    [ -n "$INST_CREATED_GROUP" ] && groupdel postdrop 2>/dev/null
    # file systems a test mounted in the instance (tmpfs for "disk full")
    awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
        umount "$m" 2>/dev/null
    done
    [ -n "$INST_KEEP" ] || rm -rf "$T"
}

inst_require() {
    local p
    [ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
    for p in "$@"; do
        if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
            echo "1..0 # SKIP $p is not installed"
            exit 0
        fi
    done
}

inst_setup() {
    T=$(mktemp -d /tmp/postern-inst.XXXXXX)
    chmod 755 "$T"
    trap inst_cleanup EXIT
    if ! getent group postdrop >/dev/null; then
        groupadd --system postdrop && INST_CREATED_GROUP=1
    fi
    if ! getent passwd postfix >/dev/null; then
        getent group postfix >/dev/null || { groupadd --system postfix && INST_CREATED_POSTFIX_GROUP=1; }
        useradd --system -g postfix -d /nonexistent -s /usr/sbin/nologin postfix && INST_CREATED_USER=1
    fi
    C=$T/etc Q=$T/queue D=$T/libexec LOG=$T/log/maillog
    mkdir -p "$C" "$Q" "$D" "$T/log"
    cp "$POSTERN_INST"/libexec/postern/* "$D/"
    ADDR=${INST_ADDR:-127.0.0.$((RANDOM % 200 + 20))}
    cat >"$C/main.cf" <<EOF
queue_directory = $Q
data_directory = $T/data
daemon_directory = $D
command_directory = $POSTERN_INST/sbin
maillog_file = $LOG
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.com
mydomain = example.com
myorigin = \$mydomain
inet_interfaces = $ADDR
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
compatibility_level = 3.6
service_throttle_time = 60s
import_environment = MAIL_CONFIG TZ LANG=C $(inst_sanitizer_env)
EOF
    # Workers' standard error is /dev/null: a sanitizer report goes to a file
    # under the queue (relative log_path: chrooted or not, a daemon's working
    # folder is the queue), and inst_stop shows it in the test's log.
    mkdir -p "$Q/sanitizer" && chmod 1733 "$Q/sanitizer"
    mkdir -p "$T/data"
    export MAIL_CONFIG=$C
    export TZ=UTC
    inst_master_cf_default
}

inst_param() {
    local name=$1 value=$2
    if grep -q "^$name *=" "$C/main.cf"; then
        sed -i "/^$name *=/d" "$C/main.cf"
    fi
    printf '%s = %s\n' "$name" "$value" >>"$C/main.cf"
}

inst_master_cf() {
    printf '%s\n' "$1" >"$C/master.cf"
}

inst_master_cf_default() {
    inst_master_cf "cleanup   unix  n       -       y       -       0       cleanup
postlog   unix-dgram n  -       n       -       1       postlogd"
}

inst_master_cf_full() {
    {
        [ -n "$INST_SMTPD_PORT" ] && echo "$ADDR:$INST_SMTPD_PORT inet n - y - - smtpd"
        cat <<'EOF2'
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
showq     unix  n       -       y       -       -       showq
flush     unix  n       -       y       1000?   0       flush
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
lmtp      unix  -       -       y       -       -       lmtp
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
EOF2
    } >"$C/master.cf"
}

inst_service() {
    printf '%s\n' "$1" >>"$C/master.cf"
}

# A free TCP port below the kernel's ephemeral range (so no client
# connection holds it), never one this test was given before: callers take
# several before anything listens ($(inst_port) runs in a subshell, so the
# ports given are kept in a file of the instance).
inst_port() {
    local p given=${T:+$T/.ports-given}
    for _ in $(seq 100); do
        p=$((RANDOM % 12000 + 20000))
        [ -n "$given" ] && grep -qx "$p" "$given" 2>/dev/null && continue
        if ! ss -Hatn "sport = :$p" | grep -q .; then
            [ -n "$given" ] && echo "$p" >>"$given"
            echo "$p"
            return 0
        fi
    done
    return 1
}

# (wait_until of test/lib.sh: the first tries come quickly)
inst_wait() {
    wait_until "${INST_WAIT:-100}" "$@"
}

inst_start() {
    postfix start >"$T/start.out" 2>&1 || { cat "$T/start.out" >&2; return 1; }
    inst_wait test -s "$Q/pid/master.pid" || return 1
    MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
    [ -n "$MPID" ] && kill -0 "$MPID"
}

inst_stop() {
    postfix stop >/dev/null 2>&1
    if [ -n "$MPID" ]; then
        inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
        kill -KILL "$MPID" 2>/dev/null
    fi
    MPID=
    inst_sanitizer_reports
}

# ASAN/UBSAN options for the daemons: the caller's, with reports to files.
inst_sanitizer_env() {
    local n v
    for n in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        v=${!n-}
        if [ -z "$v" ]; then
            echo -n "$n "
        elif [ "$n" = LSAN_OPTIONS ] || [[ "$v" == *log_path=* ]]; then
            echo -n "$n=$v "
        else
            echo -n "$n=$v:log_path=sanitizer/${n%%_*} "
        fi
    done
}

# Any sanitizer report a daemon wrote, on standard error (the test's log).
inst_sanitizer_reports() {
    local f
    for f in "$Q"/sanitizer/*; do
        [ -f "$f" ] || continue
        echo "# sanitizer report $f:" >&2
        sed 's/^/# /' "$f" | head -60 >&2
    done
}

inst_wait_sock() {
    inst_wait test -S "$Q/$1"
}

inst_workers() {
    local p
    for p in $(pgrep -P "$MPID"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-n $1 " && echo "$p"
    done
}

inst_log_wait() {
    inst_wait grep -qE -- "$1" "$LOG"
}

inst_queue_files() {
    (cd "$Q/$1" 2>/dev/null && find . -type f | sed 's|^\./||' | sort)
}

inst_complete() {
    [ -f "$1" ] && [ -x "$1" ]
}

inst_agent() {
    [ -x "$D/test_agent" ] || cp "$POSTERN_BUILD/test/daemons/test_agent" "$D/" || return 1
    mkdir -p "$2"
    inst_service "$(printf '%-9s unix  -       n       n       -       %-7s test_agent %s' "$1" "${3:-4}" "$2")"
}

inst_submit() {
    (cd "$Q" && "$POSTERN_BUILD/test/tools/cleanup_submit" "$@") >"$T/submit.out" 2>"$T/submit.err"
}

inst_submit_active() {
    local id
    inst_submit "$@" || { cat "$T/submit.err" >&2; return 1; }
    id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
    mv "$Q/incoming/$id" "$Q/active/$id" || return 1
    echo "$id"
}

inst_postcat() {
    postcat -c "$C" "$@"
}
