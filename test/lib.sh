# test/lib.sh - TAP helpers for the shell tests; source it.
#
#   ok STATUS "what"          passes when STATUS is 0 (use: ok $? "...")
#   check "what" CMD ARGS...  runs the command, passes when it exits 0
#   is "$got" "$want" "what"  exact string comparison
#   like "$got" REGEX "what"  grep -E match (a one-line REGEX)
#   like_flat "$got" REGEX "what"  the same over several lines: newlines in
#                             both become "~", so REGEX may span lines
#   skip "why"                one skipped check
#   done_testing              prints the plan; exit status 1 if anything failed
#   tmpdir                    a scratch directory removed at exit (in $T)
#   wait_until TENTHS CMD...  retries CMD until it succeeds, bounded by
#                             TENTHS tenths of a second (details below)
# The runner exports POSTERN_SRC, POSTERN_BUILD, POSTERN_INST and puts the
# installed sbin/ and bin/ first on PATH.

T_N=0
T_FAILED=0

# The runner runs several tests at once, and useradd/userdel/groupadd/
# groupdel refuse to work while another holds the lock on /etc/passwd:
# tests take a lock of their own around them, so that they wait instead.
_t_accounts() {
    local cmd=$1
    shift
    flock -w 60 /run/lock/postern-test-accounts.lock "$cmd" "$@"
}
useradd() { _t_accounts /usr/sbin/useradd "$@"; }
userdel() { _t_accounts /usr/sbin/userdel "$@"; }
usermod() { _t_accounts /usr/sbin/usermod "$@"; }
groupadd() { _t_accounts /usr/sbin/groupadd "$@"; }
groupdel() { _t_accounts /usr/sbin/groupdel "$@"; }
export -f _t_accounts useradd userdel usermod groupadd groupdel

# test_exclusive NAME: hold a lock for the rest of the test, for state that
# tests share and change (the installed default main.cf that set-gid
# postdrop and postqueue read for alternate_config_directories). Another
# test asking for NAME waits until this one has ended (bounded).
# test_exclusive_release lets go of every lock the test holds; the test's
# end does it (inst_cleanup, or the shell exiting). The lock lives on an
# open descriptor of the test's shell: a process the test starts inherits
# it, so one that outlives the test would hold the lock (master closes what
# it inherits; a test's own background helpers must end with the test).
test_exclusive() {
    local fd held=" ${_T_EXCLUSIVE-} "
    # Once per test: a second open of the file would wait for the first.
    [[ "$held" == *" $1 "* ]] && return 0
    exec {fd}>"/run/lock/postern-test-$1.lock"
    if flock -w 900 "$fd"; then
        _T_EXCLUSIVE="${_T_EXCLUSIVE-} $1"
        _T_EXCLUSIVE_FDS="${_T_EXCLUSIVE_FDS-} $fd"
        return 0
    fi
    exec {fd}>&-
    return 1
}

test_exclusive_release() {
    local fd
    for fd in ${_T_EXCLUSIVE_FDS-}; do
        exec {fd}>&-
    done
    _T_EXCLUSIVE=''
    _T_EXCLUSIVE_FDS=''
}

# default_cf_allow DIR / default_cf_disallow DIR: add DIR to (remove it
# from) alternate_config_directories of the installed default main.cf, the
# one list of configuration directories that set-gid postdrop and postqueue
# honour. Tests running side by side each add their own directory: every
# edit is made under a short lock of its own and replaces the file
# atomically, and removing the last directory removes the line, so that
# the file is as it was once every test has called default_cf_disallow
# (call it from the EXIT trap).
_t_default_cf_edit() {
    local op=$1 dir=$2 cf=$POSTERN_INST/etc/postfix/main.cf fd rc
    mkdir -p "${cf%/*}" && touch "$cf" || return 1
    exec {fd}>"/run/lock/postern-test-default-main-cf-edit.lock"
    flock -w 60 "$fd" || { exec {fd}>&-; return 1; }
    awk -v op="$op" -v dir="$dir" '
        function edit(words,   n, a, i, out) {
            n = split(words, a, /[ \t,]+/); out = ""
            for (i = 1; i <= n; i++)
                # (folders of tests that have ended, cleanly or not, go too)
                if (a[i] != "" && a[i] != dir && system("test -d \"" a[i] "\"") == 0)
                    out = out (out == "" ? "" : " ") a[i]
            if (op == "add") out = out (out == "" ? "" : " ") dir
            return out
        }
        # Every such line (a file an interrupted run left several in
        # would otherwise hide the new entry: the last line wins) becomes
        # one, where the first was.
        /^alternate_config_directories[ \t]*=/ {
            v = $0; sub(/^[^=]*=[ \t]*/, "", v); all = all " " v; n++
            if (n == 1) { lines[++k] = "\001"; }
            next
        }
        { lines[++k] = $0 }
        END {
            v = edit(all)
            for (i = 1; i <= k; i++) {
                if (lines[i] == "\001") {
                    if (v != "") print "alternate_config_directories = " v
                } else print lines[i]
            }
            if (n == 0 && op == "add") print "alternate_config_directories = " dir
        }
    ' "$cf" >"$cf.tmp.$$" && chmod --reference="$cf" "$cf.tmp.$$" && mv -f "$cf.tmp.$$" "$cf"
    rc=$?
    rm -f "$cf.tmp.$$"
    exec {fd}>&-
    return $rc
}
default_cf_allow() { _t_default_cf_edit add "$1"; }
default_cf_disallow() { _t_default_cf_edit remove "$1"; }

# wait_until TENTHS CMD...: retry CMD until it exits 0; 1 when it never
# did. The bound: TENTHS tenths of a second of sleeping between tries (the
# tries' own time on top), and at least TENTHS tries (a caller whose try is
# slow, a whole session, gets that many) - never shorter than the fixed
# 0.1 s polls this replaces. The first tries come quickly (10 ms apart,
# then 20 ms), since most conditions hold within a moment; later ones
# 50 ms apart.
wait_until() {
    # (names of its own: CMD may set variables of the caller's, which a
    # local of the same name here would catch)
    local _wu_n=$1 _wu_i=0 _wu_ms _wu_s _wu_left _wu_start
    shift
    _wu_left=$((_wu_n * 100)) _wu_start=${EPOCHREALTIME/./}
    while :; do
        "$@" && return 0
        _wu_i=$((_wu_i + 1))
        [ "$_wu_left" -gt 0 ] || return 1
        [ "$_wu_i" -ge "$_wu_n" ] && [ $((${EPOCHREALTIME/./} - _wu_start)) -ge $((_wu_n * 100000)) ] && return 1
        if [ "$_wu_i" -le 20 ]; then _wu_ms=10; elif [ "$_wu_i" -le 45 ]; then _wu_ms=20; else _wu_ms=50; fi
        [ "$_wu_ms" -le "$_wu_left" ] || _wu_ms=$_wu_left
        printf -v _wu_s '%d.%03d' $((_wu_ms / 1000)) $((_wu_ms % 1000))
        sleep "$_wu_s"
        _wu_left=$((_wu_left - _wu_ms))
    done
}

_t_result() {
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $T_N - $2"
    else
        T_FAILED=$((T_FAILED + 1))
        echo "not ok $T_N - $2"
    fi
}

ok() { _t_result "$1" "$2"; }

check() {
    local what=$1
    shift
    "$@"
    _t_result $? "$what"
}

is() {
    if [ "$1" == "$2" ]; then
        _t_result 0 "$3"
    else
        _t_result 1 "$3"
        printf '#   got:  %s\n#   want: %s\n' "$(printf '%s' "$1" | head -c 2000 | sed '2,$s/^/#         /')" \
            "$(printf '%s' "$2" | head -c 2000 | sed '2,$s/^/#         /')"
    fi
}

like() {
    # grep takes each line of a pattern as an alternative: a multi-line
    # pattern would match far too much, so it is a test bug.
    case "$2" in
    *$'\n'*)
        _t_result 1 "$3"
        echo "#   like: the pattern has a newline; compare a flattened string instead"
        return
        ;;
    esac
    if printf '%s' "$1" | grep -qE -- "$2"; then
        _t_result 0 "$3"
    else
        _t_result 1 "$3"
        printf '#   got:  %s\n#   want (regex): %s\n' "$(printf '%s' "$1" | head -c 2000)" "$2"
    fi
}

like_flat() {
    like "$(printf '%s' "$1" | tr '\n' '~')" "$(printf '%s' "$2" | tr '\n' '~')" "$3"
}

skip() {
    T_N=$((T_N + 1))
    echo "ok $T_N # SKIP $1"
}

done_testing() {
    echo "1..$T_N"
    [ "$T_FAILED" -eq 0 ]
}

tmpdir() {
    T=$(mktemp -d /tmp/postern-test.XXXXXX)
    chmod 755 "$T"
    trap 'rm -rf "$T"' EXIT
}
