#!/bin/bash
# The tree builds warning-free with clang too (the suite itself is built with
# gcc, -Werror and the sanitizers), and "make install" with DESTDIR installs
# the commands and the default configuration without overwriting an existing
# main.cf or master.cf.
. "$POSTERN_SRC/test/lib.sh"
tmpdir

cd "$T" || exit 1
if command -v clang >/dev/null; then
    CC=clang "$POSTERN_SRC/configure" --enable-werror --prefix=/usr --sysconfdir=/etc \
        >configure.log 2>&1
    ok $? "configure with clang"
    make -j"$(nproc)" all tests >make.log 2>&1
    rc=$?
    ok $rc "clang -Wall -Wextra -Werror build"
    [ $rc -eq 0 ] || grep -E 'warning|error' make.log | head -20 | sed 's/^/# /'
else
    skip "clang is not installed"
fi

make install DESTDIR="$T/root" >install.log 2>&1
ok $? "make install with DESTDIR"
missing=""
for f in usr/sbin/postconf usr/sbin/postmap usr/sbin/postalias etc/postfix/main.cf \
    etc/postfix/master.cf usr/share/postern/main.cf.dist; do
    [ -e "$T/root/$f" ] || missing="$missing $f"
done
is "$missing" "" "installed files are in place under DESTDIR"
echo "# admin's own setting" >>"$T/root/etc/postfix/main.cf"
cp "$T/root/etc/postfix/main.cf" "$T/main.cf.before"
make install DESTDIR="$T/root" >install2.log 2>&1
check "reinstall keeps the existing main.cf" cmp -s "$T/main.cf.before" "$T/root/etc/postfix/main.cf"
like "$(cat install2.log)" "keeping existing .*/etc/postfix/master.cf" "reinstall says it keeps master.cf"
done_testing
