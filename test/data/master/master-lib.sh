# test/data/master/master-lib.sh - shared set-up for the master end-to-end
# tests; source it after test/lib.sh.
#
#   mt_setup            scratch instance in $T: $C (config), $Q (queue),
#                       $D (daemon_directory with master, postlogd and the
#                       test-only daemons), $LOG (maillog_file), $ADDR (a
#                       127.0.0.x address); users postfix/postdrop created if
#                       missing (and removed at exit); everything started is
#                       stopped at exit, by pid
#   mt_port             a free TCP port on $ADDR
#   mt_master_cf TEXT   writes $C/master.cf
#   mt_start            postfix start; sets MPID
#   mt_wait CMD...      retries CMD for up to 10 s (MT_WAIT tenths to change)
#   mt_workers NAME     pids of master's children serving service NAME
#   mt_hello FD         reads the echo daemon's greeting line from FD
MT_CREATED_USER=
MT_CREATED_GROUP=
MT_CREATED_POSTFIX_GROUP=
MPID=

mt_cleanup() {
    local p kids
    if [ -n "$MPID" ] && kill -0 "$MPID" 2>/dev/null; then
        kids=$(pgrep -P "$MPID")
        kill -TERM "$MPID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$MPID" 2>/dev/null
        for p in $kids; do kill -KILL "$p" 2>/dev/null; done
    fi
    [ -n "$MT_CREATED_USER" ] && userdel postfix 2>/dev/null
    [ -n "$MT_CREATED_POSTFIX_GROUP" ] && groupdel postfix 2>/dev/null
    [ -n "$MT_CREATED_GROUP" ] && groupdel postdrop 2>/dev/null
    [ -n "$MT_KEEP" ] || rm -rf "$T"
}

mt_setup() {
    T=$(mktemp -d /tmp/postern-master.XXXXXX)
    chmod 755 "$T"
    trap mt_cleanup EXIT
    if ! getent group postdrop >/dev/null; then
        groupadd --system postdrop && MT_CREATED_GROUP=1
    fi
    if ! getent passwd postfix >/dev/null; then
        getent group postfix >/dev/null || { groupadd --system postfix && MT_CREATED_POSTFIX_GROUP=1; }
        useradd --system -g postfix -d /nonexistent -s /usr/sbin/nologin postfix && MT_CREATED_USER=1
    fi
    POSTFIX_UID=$(id -u postfix)
    POSTFIX_GID=$(id -g postfix)
    C=$T/etc Q=$T/queue D=$T/libexec LOG=$T/log/maillog
    mkdir -p "$C" "$Q" "$D" "$T/log"
    cp "$POSTERN_INST/libexec/postern/master" "$POSTERN_INST/libexec/postern/postlogd" \
        "$POSTERN_BUILD/test/daemons/test_echo" "$POSTERN_BUILD/test/daemons/test_trigger" "$D/"
    ADDR=127.0.0.$((RANDOM % 200 + 20))
    cat >"$C/main.cf" <<EOF
queue_directory = $Q
daemon_directory = $D
command_directory = $POSTERN_INST/sbin
maillog_file = $LOG
inet_interfaces = $ADDR
inet_protocols = ipv4
service_throttle_time = 60s
import_environment = MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS
EOF
    export MAIL_CONFIG=$C
}

mt_port() {
    local p
    for _ in $(seq 50); do
        p=$((RANDOM % 30000 + 20000))
        if ! ss -Hltn "sport = :$p" | grep -q .; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

mt_master_cf() {
    printf '%s\n' "$1" >"$C/master.cf"
}

mt_start() {
    postfix start >"$T/start.out" 2>&1 || return 1
    MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
    [ -n "$MPID" ] && kill -0 "$MPID"
}

mt_wait() {
    local i n=${MT_WAIT:-100}
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# Children of master whose command line names service $1 (-n NAME).
mt_workers() {
    local p
    for p in $(pgrep -P "$MPID"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-n $1 " && echo "$p"
    done
}

mt_count_workers() {
    mt_workers "$1" | wc -l | tr -d ' '
}

mt_hello() {
    local line
    IFS= read -r -t "${2:-5}" line <&"$1" || return 1
    printf '%s\n' "$line"
}

# Whether a process exists and is not a zombie (init reaps a detached master).
mt_alive() {
    local st
    case $1 in '' | *[!0-9]*) return 1 ;; esac
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}

# Whether every pid given is gone (an empty or non-numeric pid is not: no vacuous pass).
mt_gone() {
    local p
    [ $# -gt 0 ] || return 1
    for p in "$@"; do
        case $p in '' | *[!0-9]*) return 1 ;; esac
        mt_alive "$p" && return 1
    done
    return 0
}

# uid and root directory of a process, as /proc shows them.
mt_uid() { awk '/^Uid:/ {print $2}' "/proc/$1/status"; }
mt_gid() { awk '/^Gid:/ {print $2}' "/proc/$1/status"; }
mt_root() { readlink "/proc/$1/root"; }
