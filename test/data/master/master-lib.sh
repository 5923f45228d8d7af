# test/data/master/master-lib.sh - the master end-to-end tests' names for
# the shared instance helper test/lib/instance.sh, plus what only they
# need; source it after test/lib.sh.
#
#   mt_setup            inst_setup, with only master, postlogd and the
#                       test-only daemons test_echo and test_trigger in $D;
#                       POSTFIX_UID/POSTFIX_GID
#   mt_port, mt_master_cf TEXT, mt_start (sets MPID), mt_workers NAME:
#                       inst_port, inst_master_cf, inst_start, inst_workers
#   mt_wait CMD...      inst_wait (MT_WAIT tenths of a second, default 100)
#   mt_count_workers NAME  how many workers serve NAME
#   mt_hello FD         reads the echo daemon's greeting line from FD
#   mt_alive PID, mt_gone PID..., mt_uid PID, mt_gid PID, mt_root PID
. "$POSTERN_SRC/test/lib/instance.sh"

mt_setup() {
    inst_setup
    # Only master and postlogd: the tests show how master treats the
    # programs that are missing from daemon_directory.
    rm -f "$D"/*
    cp "$POSTERN_INST/libexec/postern/master" "$POSTERN_INST/libexec/postern/postlogd" "$D/"
    cp "$POSTERN_BUILD/test/daemons/test_echo" "$POSTERN_BUILD/test/daemons/test_trigger" "$D/"
    POSTFIX_UID=$(id -u postfix)
    POSTFIX_GID=$(id -g postfix)
}

mt_port() { inst_port; }
mt_master_cf() { inst_master_cf "$1"; }
mt_start() { inst_start; }
mt_wait() { INST_WAIT=${MT_WAIT:-100} inst_wait "$@"; }
mt_workers() { inst_workers "$1"; }

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
