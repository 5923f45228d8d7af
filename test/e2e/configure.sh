#!/bin/bash
# configure stops on each missing library with a message that names the
# Debian package to install. A library is made "missing" the way configure
# itself would see it: its header or link check answers no (autoconf cache
# variables), or pkg-config does not know the module (a pkg-config wrapper).
# One full configure fills a cache file first, so each failing run is quick.
. "$POSTERN_SRC/test/lib.sh"
tmpdir

real_pkg_config=$(command -v pkg-config)
if [ -z "$real_pkg_config" ]; then
    skip "pkg-config is not installed"
    done_testing
    exit
fi
cat >"$T/pkg-config" <<EOF
#!/bin/sh
# pkg-config that does not know the module named in \$PST_NO_PKG
if [ -n "\$PST_NO_PKG" ]; then
    for a in "\$@"; do
        case "\$a" in "\$PST_NO_PKG"|"\$PST_NO_PKG "*) exit 1 ;; esac
    done
fi
exec "$real_pkg_config" "\$@"
EOF
chmod 755 "$T/pkg-config"

# Each configure runs in a folder of its own (config.log, conftest files),
# the failing runs from their own copy of the full run's cache; they are
# independent, so they run three at a time.
mkdir "$T/b" && cd "$T/b" || exit 1
# in_dir DIR CMD...: CMD in DIR (made), its output in DIR/out, status in DIR/rc.
in_dir() {
    local d=$1
    shift
    mkdir -p "$d" && (cd "$d" && "$@" >"$d/out" 2>&1; echo $? >"$d/rc")
}
# at_most N: wait until fewer than N background jobs run.
at_most() {
    while [ "$(jobs -rp | wc -l)" -ge "$1" ]; do wait -n; done
}
run_configure() { # DIR VAR=VALUE...
    local d=$1
    shift
    mkdir -p "$d" && cp "$T/cache.full" "$d/cache" &&
        in_dir "$d" env "$@" "$POSTERN_SRC/configure" --cache-file="$d/cache" PKG_CONFIG="$T/pkg-config"
}

# Without pkg-config the modules below cannot be looked for at all: that is
# what must be said, not that PCRE2 is missing (no cache: started beside the
# full run).
in_dir "$T/nopkg" "$POSTERN_SRC/configure" PKG_CONFIG=/nonexistent/pkg-config &

"$POSTERN_SRC/configure" --cache-file="$T/cache.full" PKG_CONFIG="$T/pkg-config" >"$T/out" 2>&1
ok $? "configure with every library present"

# what is missing | how configure is made not to find it | the package named
cases=$(cat <<'EOF'
Berkeley DB 5.3 headers (db.h) not found|ac_cv_header_db_h=no|libdb5.3-dev
Berkeley DB 5.3 library not found|ac_cv_search_db_create=no|libdb5.3-dev
LMDB headers (lmdb.h) not found|ac_cv_header_lmdb_h=no|liblmdb-dev
LMDB library not found|ac_cv_search_mdb_env_create=no|liblmdb-dev
tinycdb headers (cdb.h) not found|ac_cv_header_cdb_h=no|libcdb-dev
tinycdb library not found|ac_cv_search_cdb_init=no|libcdb-dev
PCRE2 not found|PST_NO_PKG=libpcre2-8|libpcre2-dev
OpenSSL 3 not found|PST_NO_PKG=openssl|libssl-dev
libevent 2.1 not found|PST_NO_PKG=libevent|libevent-dev
Cyrus SASL headers (sasl/sasl.h) not found|ac_cv_header_sasl_sasl_h=no|libsasl2-dev
Cyrus SASL library not found|ac_cv_search_sasl_server_init=no|libsasl2-dev
ldns headers (ldns/ldns.h) not found|ac_cv_header_ldns_ldns_h=no|libldns-dev
ldns library not found|ac_cv_search_ldns_resolver_new_frm_file=no|libldns-dev
EOF
)
n=0
while IFS='|' read -r what how package; do
    n=$((n + 1))
    at_most 3
    # shellcheck disable=SC2086
    run_configure "$T/case.$n" $how &
done <<<"$cases"
wait
n=0
while IFS='|' read -r what how package; do
    n=$((n + 1))
    out=$(grep -E '^configure: error:' "$T/case.$n/out")
    is "$(cat "$T/case.$n/rc"):$out" "1:configure: error: $what: install the Debian package $package" \
        "$how: configure stops and names $package"
done <<<"$cases"

is "$(cat "$T/nopkg/rc"):$(grep -E '^configure: error:' "$T/nopkg/out")" \
    "1:configure: error: pkg-config not found: install the Debian package pkgconf" \
    "no pkg-config: configure stops and names pkgconf"

# The wrapper really hides a module (else the checks above prove nothing).
PST_NO_PKG=openssl "$T/pkg-config" --exists openssl
is "$?" "1" "the pkg-config wrapper hides a module"
"$T/pkg-config" --exists openssl
is "$?" "0" "and passes the others through"
done_testing
