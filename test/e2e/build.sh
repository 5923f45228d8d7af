#!/bin/bash
# The tree builds warning-free with clang too (the suite itself is built with
# gcc, -Werror and the sanitizers), and "make install" with DESTDIR installs
# the commands and the default configuration without overwriting an existing
# main.cf or master.cf. --sysconfdir chooses the compiled-in
# config_directory; postmap, postalias and postconf, built from the core
# library alone, do not link the network libraries.
. "$POSTERN_SRC/test/lib.sh"
tmpdir

cd "$T" || exit 1
if command -v clang >/dev/null; then
    # -O0: clang's -Wall -Wextra do not depend on the optimiser, and the
    # build takes half the time (the gcc build of the suite is optimised).
    # No dependency tracking: a build made once does not need it.
    CC=clang CFLAGS="-O0" "$POSTERN_SRC/configure" --enable-werror --prefix=/usr --sysconfdir=/etc \
        --disable-dependency-tracking >configure.log 2>&1
    ok $? "configure with clang"
    make -j"$(nproc)" all >make.log 2>&1
    rc=$?
    ok $rc "clang -Wall -Wextra -Werror build"
    [ $rc -eq 0 ] || grep -E 'warning|error' make.log | head -20 | sed 's/^/# /'
else
    skip "clang is not installed"
    "$POSTERN_SRC/configure" --prefix=/usr --sysconfdir=/etc >configure.log 2>&1
    ok $? "configure with the default compiler"
    make -j"$(nproc)" >make.log 2>&1
    ok $? "build with the default compiler"
fi

make install DESTDIR="$T/root" >install.log 2>&1
ok $? "make install with DESTDIR"
missing=""
for f in usr/sbin/postconf usr/sbin/postmap usr/sbin/postalias usr/sbin/postfix usr/sbin/postqueue \
    usr/sbin/postsuper usr/sbin/postcat usr/sbin/postdrop usr/sbin/postmulti usr/sbin/sendmail \
    usr/bin/mailq usr/bin/newaliases usr/libexec/postern/master usr/libexec/postern/smtpd \
    usr/libexec/postern/cleanup usr/libexec/postern/qmgr usr/libexec/postern/local \
    usr/libexec/postern/smtp etc/postfix/main.cf etc/postfix/master.cf usr/share/postern/main.cf.dist; do
    [ -e "$T/root/$f" ] || [ -L "$T/root/$f" ] || missing="$missing $f"
done
is "$missing" "" "commands (Postfix's names), daemons and configuration are in place under DESTDIR"
is "$(readlink "$T/root/usr/bin/mailq"):$(readlink "$T/root/usr/bin/newaliases")" \
    "/usr/sbin/sendmail:/usr/sbin/sendmail" "mailq and newaliases are sendmail under other names"
echo "# admin's own setting" >>"$T/root/etc/postfix/main.cf"
cp "$T/root/etc/postfix/main.cf" "$T/main.cf.before"
make install DESTDIR="$T/root" >install2.log 2>&1
check "reinstall keeps the existing main.cf" cmp -s "$T/main.cf.before" "$T/root/etc/postfix/main.cf"
like "$(cat install2.log)" "keeping existing .*/etc/postfix/master.cf" "reinstall says it keeps master.cf"

# The installed programs carry the directories configure was given.
pc=$T/root/usr/sbin/postconf
# (without --sysconfdir it would be \$prefix/etc/postfix: /usr/etc/postfix)
is "$("$pc" -d -h config_directory)" "/etc/postfix" "--sysconfdir=/etc: config_directory is /etc/postfix"
is "$("$pc" -d -h daemon_directory)" "/usr/libexec/postern" "daemon_directory is \$libexecdir/postern"
is "$("$pc" -d -h command_directory)" "/usr/sbin" "command_directory is \$sbindir"

# The core programs do not link OpenSSL, ldns or SASL (DESIGN.md: two libraries).
for p in postmap postalias postconf; do
    is "$(ldd "$T/root/usr/sbin/$p" | grep -cE 'libssl|libcrypto|libldns|libsasl2|libevent')" "0" \
        "$p links no network library"
done
done_testing
