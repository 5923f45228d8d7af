# test/lib/postfix-deb.sh - Debian's real Postfix programs as a test oracle.
# Source it after test/lib.sh and tmpdir. Never installs Postfix: the .deb is
# downloaded once into a cache (apt-get download) and unpacked with dpkg -x
# into the test's scratch directory.
#
#   postfix_deb_setup     returns 1 (after printing why on a "# " line) when
#                         the package cannot be had; else sets PFX_ROOT (the
#                         unpacked tree) and PFX_CONFIG (a config dir whose
#                         main.cf names existing accounts, daemon and mail,
#                         as mail_owner and setgid_group, so no postfix user
#                         or postdrop group has to be created)
#   pfx_run PROG ARGS...  runs usr/sbin/PROG from the package with its
#                         libraries and -c "$PFX_CONFIG" first
#
# POSTERN_DEB_CACHE overrides the cache (default /var/cache/postern-test/debs).

postfix_deb_setup() {
    local cache=${POSTERN_DEB_CACHE:-/var/cache/postern-test/debs}
    local deb
    mkdir -p "$cache" 2>/dev/null
    deb=$(ls "$cache"/postfix_[0-9]*.deb 2>/dev/null | sort | tail -1)
    if [ -z "$deb" ]; then
        (cd "$cache" && timeout 120 apt-get download postfix) >"$T/apt-download.log" 2>&1
        deb=$(ls "$cache"/postfix_[0-9]*.deb 2>/dev/null | sort | tail -1)
    fi
    if [ -z "$deb" ]; then
        echo "# postfix .deb not available: $(tail -1 "$T/apt-download.log" 2>/dev/null)"
        return 1
    fi
    PFX_ROOT=$T/postfix-deb
    mkdir -p "$PFX_ROOT" && dpkg -x "$deb" "$PFX_ROOT" || return 1
    [ -x "$PFX_ROOT/usr/sbin/postcat" ] || return 1
    PFX_CONFIG=$T/postfix-deb-etc
    mkdir -p "$PFX_CONFIG"
    printf 'compatibility_level = 3.6\nmail_owner = daemon\nsetgid_group = mail\n' \
        >"$PFX_CONFIG/main.cf"
    export PFX_ROOT PFX_CONFIG
    return 0
}

pfx_run() {
    local prog=$1
    shift
    LD_LIBRARY_PATH=$PFX_ROOT/usr/lib/postfix "$PFX_ROOT/usr/sbin/$prog" -c "$PFX_CONFIG" "$@"
}
