#!/bin/bash
# showq under master (chrooted, unprivileged): on the queue state Postfix
# 3.7.11 listed, public/showq sends the very bytes Postfix's showq sent
# (test/data/showq/*.bin), also after postsuper -d ID and -d ALL; a plain
# user's postqueue -p (set-gid postdrop) gets the listing through it; with
# the system down the user gets Postfix's "mail system is down", root the
# listing read directly.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
DATA=$POSTERN_SRC/test/data/showq
for p in showq master postlogd; do
    if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
        echo "1..0 # SKIP $p is not installed"
        exit 0
    fi
done
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

USER_=pstshowq$$
inst_setup
# $C in the installed default main.cf's alternate_config_directories
# (beside other tests' directories: each adds and removes its own).
trap 'default_cf_disallow "$C"; userdel "$USER_" 2>/dev/null; inst_cleanup' EXIT
useradd -M -d /nonexistent -s /bin/sh "$USER_" || { echo "# useradd failed"; exit 1; }
chgrp postdrop "$POSTERN_INST/sbin/postqueue" && chmod 2555 "$POSTERN_INST/sbin/postqueue"
default_cf_allow "$C"
# The queue as Postfix left it, unpacked before anything else makes the
# directories, so that the directory order is the tar's (Postfix's).
tar -C "$Q" -xf "$DATA/queue-state.tar"
chown -R postfix "$Q/active" "$Q/deferred" "$Q/defer" "$Q/hold" "$Q/incoming"
inst_param enable_long_queue_ids yes
inst_service "showq     unix  n       -       y       -       -       showq"
postfix check >"$T/check.out" 2>&1 || cat "$T/check.out" | sed 's/^/# /'
inst_start
ok $? "postfix start"
inst_wait_sock public/showq
ok $? "public/showq exists"

capture() {
    python3 - "$Q/public/showq" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10)
s.connect(sys.argv[1])
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
open(sys.argv[2], "wb").write(data)
PY
}
same() { # FILE EXPECTED NAME
    if cmp -s "$1" "$2"; then ok 0 "$3"; else ok 1 "$3"; cmp "$1" "$2" | sed 's/^/# /'; fi
}
as_user() {
    runuser -u "$USER_" -- env MAIL_CONFIG="$C" PATH="$PATH" TZ=UTC \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}

capture "$T/showq.bin"
same "$T/showq.bin" "$DATA/showq.bin" "showq sends the bytes Postfix's showq sent"
as_user postqueue -p >"$T/p" 2>"$T/err"
ok $? "postqueue -p as a plain user exits 0"
same "$T/p" "$DATA/postqueue-p.txt" "a plain user's postqueue -p through showq: Postfix's listing"
as_user postqueue -j >"$T/j" 2>>"$T/err"
same "$T/j" "$DATA/postqueue-j.txt" "a plain user's postqueue -j"
as_user mailq >"$T/m" 2>>"$T/err"
same "$T/m" "$DATA/mailq.txt" "a plain user's mailq"
is "$(cat "$T/err")" "" "nothing on standard error"
is "$(inst_workers showq | wc -l)" 1 "one showq process served them"
pid=$(inst_workers showq)
is "$(stat -c %U /proc/"$pid" 2>/dev/null)" postfix "showq runs as mail_owner"
is "$(readlink /proc/"$pid"/root 2>/dev/null)" "$Q" "showq is chrooted into queue_directory"

postsuper -d 4jWrnD4DmPz84cQ 2>/dev/null
capture "$T/showq.bin"
same "$T/showq.bin" "$DATA/showq.short-ids.bin" "after postsuper -d ID: Postfix's bytes"
inst_param enable_long_queue_ids no
as_user postqueue -p >"$T/p"
same "$T/p" "$DATA/postqueue-p.short-ids.txt" "the client's enable_long_queue_ids = no: short header"
postsuper -d ALL 2>/dev/null
capture "$T/showq.bin"
same "$T/showq.bin" "$DATA/empty.showq.bin" "empty queue: the 36-byte announcement and end"
as_user postqueue -p >"$T/p"
same "$T/p" "$DATA/empty.postqueue-p.txt" "empty queue: Mail queue is empty"

# set-gid: only the default configuration or an alternate one listed there.
default_cf_disallow "$C"
as_user postqueue -p >"$T/p" 2>"$T/err"
is "$?" 1 "a plain user with an unlisted MAIL_CONFIG is refused"
like "$(cat "$T/err")" "postqueue: fatal: $C is not a known configuration directory" "and told why"
default_cf_allow "$C"

# The system down.
tar -C "$Q" -xf "$DATA/queue-state.tar"
inst_stop
inst_param enable_long_queue_ids yes
rm -f "$Q/public/showq"
as_user postqueue -p >"$T/p" 2>"$T/err"
is "$?" 69 "system down, plain user: exit 69"
is "$(cat "$T/err")" "postqueue: fatal: Queue report unavailable - mail system is down" \
    "system down, plain user: Postfix's message"
postqueue -p >"$T/p" 2>"$T/err"
same "$T/p" "$DATA/postqueue-p.txt" "system down, root: the listing read directly"
as_user postqueue -f 2>"$T/err"
is "$?" 69 "postqueue -f with the system down: exit 69"
is "$(cat "$T/err")" "postqueue: fatal: Cannot flush mail queue - mail system is down" \
    "postqueue -f with the system down: Postfix's message"
done_testing
