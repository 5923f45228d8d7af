# test/lib/oracle.sh - Debian's real Postfix 3.7 programs as a compatibility
# oracle, without installing postfix. Source it after test/lib.sh and tmpdir.
#
#   if oracle_setup; then
#       oracle_postmap hash:$T/x         # Postfix's postmap -c <oracle config>
#       oracle_postalias -q root $T/aliases
#       oracle_timeout 1 postmap -q key hash:$T/x   # 124 when it hangs
#   else
#       skip "no Postfix oracle: $ORACLE_WHY"
#   fi
#
# oracle_setup downloads the postfix, postfix-lmdb, postfix-cdb and postfix-pcre packages
# with `apt-get download` into $ORACLE_CACHE (default
# /var/cache/postern-test/debs, kept across runs), unpacks them with
# `dpkg -x` into $ORACLE_CACHE/root (once), and writes a configuration
# directory $ORACLE_CONF under $T whose main.cf points shlib_directory and
# meta_directory into the unpacked tree, with a dynamicmaps.cf for the lmdb
# and cdb plugins. Postfix's programs insist that mail_owner and setgid_group
# name an existing user and group (postfix and postdrop by default). Tests
# on this machine run in parallel with other tests that create and delete
# those accounts, so by default the oracle's main.cf names accounts every
# Debian system has (mail_owner = nobody, default_privs = daemon,
# setgid_group = mail), which is all postmap and postalias need. A test that
# needs the real accounts sets ORACLE_SYSTEM_ACCOUNTS=1: oracle_setup then
# creates the user postfix and the group postdrop when missing and removes
# exactly those at exit. The EXIT trap also removes $T. oracle_setup returns
# 1 with the reason in ORACLE_WHY when the packages cannot be had (no
# network): the caller must then skip, never pass.
#
# ORACLE_HOSTNAME (mail.example.com) is the oracle's myhostname.

ORACLE_CACHE=${ORACLE_CACHE:-/var/cache/postern-test/debs}
ORACLE_HOSTNAME=${ORACLE_HOSTNAME:-mail.example.com}
ORACLE_WHY=
ORACLE_ROOT=
ORACLE_CONF=
_oracle_made_user=0
_oracle_made_group=0

_oracle_cleanup() {
    if [ "$_oracle_made_user" = 1 ]; then
        userdel postfix >/dev/null 2>&1
        getent group postfix >/dev/null && groupdel postfix >/dev/null 2>&1
    fi
    [ "$_oracle_made_group" = 1 ] && groupdel postdrop >/dev/null 2>&1
    [ -n "${T:-}" ] && rm -rf "$T"
    return 0
}

# Unpack the cached packages once; a stamp file marks a complete tree.
_oracle_unpack() {
    local root=$ORACLE_CACHE/root deb
    [ -f "$root/.complete" ] && [ -x "$root/usr/sbin/postmap" ] \
        && [ -f "$root/usr/lib/postfix/postfix-pcre.so" ] && return 0
    rm -rf "$root.tmp.$$"
    mkdir -p "$root.tmp.$$" || return 1
    for deb in "$ORACLE_CACHE"/postfix_*.deb "$ORACLE_CACHE"/postfix-lmdb_*.deb \
        "$ORACLE_CACHE"/postfix-cdb_*.deb "$ORACLE_CACHE"/postfix-pcre_*.deb; do
        dpkg -x "$deb" "$root.tmp.$$" || return 1
    done
    touch "$root.tmp.$$/.complete"
    rm -rf "$root"
    mv "$root.tmp.$$" "$root"
}

_oracle_download() {
    local p missing=()
    for p in postfix postfix-lmdb postfix-cdb postfix-pcre; do
        ls "$ORACLE_CACHE/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    mkdir -p "$ORACLE_CACHE" || return 1
    # apt's sandbox user cannot write a root-owned cache; download as root.
    (cd "$ORACLE_CACHE" && timeout 120 apt-get -q -o APT::Sandbox::User=root download \
        "${missing[@]}") >"$ORACLE_CACHE/download.log" 2>&1 && return 0
    # The package lists may be missing or stale: refresh them once.
    timeout 300 apt-get -q update >>"$ORACLE_CACHE/download.log" 2>&1
    (cd "$ORACLE_CACHE" && timeout 120 apt-get -q -o APT::Sandbox::User=root download \
        "${missing[@]}") >>"$ORACLE_CACHE/download.log" 2>&1
}

oracle_setup() {
    if [ -z "${T:-}" ] || [ ! -d "$T" ]; then
        ORACLE_WHY="call tmpdir before oracle_setup"
        return 1
    fi
    trap _oracle_cleanup EXIT
    mkdir -p "$ORACLE_CACHE" || { ORACLE_WHY="cannot create $ORACLE_CACHE"; return 1; }
    # Test runs on one machine share the cache: one downloads and unpacks
    # at a time, and nobody replaces a tree another run is using.
    exec {_oracle_lock}>"$ORACLE_CACHE/.lock"
    flock -w 300 "$_oracle_lock" || { ORACLE_WHY="cannot lock $ORACLE_CACHE"; return 1; }
    if ! _oracle_download; then
        ORACLE_WHY="cannot download Debian's postfix packages: $(tail -1 "$ORACLE_CACHE/download.log" 2>/dev/null)"
        flock -u "$_oracle_lock"
        return 1
    fi
    if ! _oracle_unpack; then
        ORACLE_WHY="cannot unpack Debian's postfix packages"
        flock -u "$_oracle_lock"
        return 1
    fi
    flock -u "$_oracle_lock"
    ORACLE_ROOT=$ORACLE_CACHE/root
    local accounts='mail_owner = nobody
default_privs = daemon
setgid_group = mail'
    if [ "${ORACLE_SYSTEM_ACCOUNTS:-0}" = 1 ]; then
        accounts=
        if ! getent group postdrop >/dev/null; then
            groupadd --system postdrop || { ORACLE_WHY="cannot create group postdrop"; return 1; }
            _oracle_made_group=1
        fi
        if ! getent passwd postfix >/dev/null; then
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
                --user-group postfix || { ORACLE_WHY="cannot create user postfix"; return 1; }
            _oracle_made_user=1
        fi
    fi
    ORACLE_CONF=$T/oracle-etc
    mkdir -p "$ORACLE_CONF/dynamicmaps.cf.d" "$T/oracle-queue" "$T/oracle-data"
    cat >"$ORACLE_CONF/main.cf" <<EOF
compatibility_level = 3.6
shlib_directory = $ORACLE_ROOT/usr/lib/postfix
meta_directory = $ORACLE_CONF
daemon_directory = $ORACLE_ROOT/usr/lib/postfix/sbin
command_directory = $ORACLE_ROOT/usr/sbin
queue_directory = $T/oracle-queue
data_directory = $T/oracle-data
myhostname = $ORACLE_HOSTNAME
mydomain = example.com
$accounts
EOF
    printf 'cdb\t%s\tdict_cdb_open\tmkmap_cdb_open\nlmdb\t%s\tdict_lmdb_open\tmkmap_lmdb_open\npcre\t%s\tdict_pcre_open\n' \
        "$ORACLE_ROOT/usr/lib/postfix/postfix-cdb.so" "$ORACLE_ROOT/usr/lib/postfix/postfix-lmdb.so" \
        "$ORACLE_ROOT/usr/lib/postfix/postfix-pcre.so" >"$ORACLE_CONF/dynamicmaps.cf"
    if ! oracle_postmap -q nothing inline:{a=b} >/dev/null 2>"$T/oracle-check.err" \
        && [ -s "$T/oracle-check.err" ]; then
        ORACLE_WHY="Postfix's postmap does not run: $(head -1 "$T/oracle-check.err")"
        return 1
    fi
    return 0
}

oracle_run() {
    local prog=$1
    shift
    LD_LIBRARY_PATH=$ORACLE_ROOT/usr/lib/postfix "$ORACLE_ROOT/usr/sbin/$prog" -c "$ORACLE_CONF" "$@"
}

# oracle_timeout SECONDS PROGRAM ARGS...: oracle_run under timeout(1) (exit 124 when it expires).
oracle_timeout() {
    local secs=$1 prog=$2
    shift 2
    LD_LIBRARY_PATH=$ORACLE_ROOT/usr/lib/postfix timeout "$secs" "$ORACLE_ROOT/usr/sbin/$prog" \
        -c "$ORACLE_CONF" "$@"
}

oracle_postmap() { oracle_run postmap "$@"; }
oracle_postalias() { oracle_run postalias "$@"; }
