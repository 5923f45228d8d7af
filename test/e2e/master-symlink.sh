#!/bin/bash
# private/ and public/ belong to mail_owner, so a compromised worker may put
# symbolic links there: master, which runs as root, must never follow one.
# A FIFO service swapped for a link to a root file gets its wakeups on
# master's own descriptor, and the file is untouched; making the sockets and
# FIFOs, master changes modes and owners only without following links
# (strace: no chmod/fchmodat, no chown/fchownat that follows a link); a
# worker, still root when it connects to the postlog socket, does not
# follow a link planted there.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
mt_master_cf "fifotick fifo n - n 1 1 test_trigger $T/fifoticks
tick unix n - n 1 1 test_trigger $T/ticks
echo2 unix - - n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
mt_start
ok $? "master runs"
mt_wait bash -c "[ \$(cat '$T/fifoticks' 2>/dev/null | grep -c 'bytes=W') -ge 1 ]"
ok $? "the FIFO service gets its wakeups"

# The attack: the FIFO becomes a link to a file only root may write.
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/victim"
chmod 600 "$T/victim"
before=$(sha256sum <"$T/victim")
rm -f "$Q/public/fifotick"
ln -s "$T/victim" "$Q/public/fifotick"
chown -h postfix "$Q/public/fifotick"
n=$(grep -c 'bytes=W' "$T/fifoticks")
mt_wait bash -c "[ \$(grep -c 'bytes=W' '$T/fifoticks') -ge $((n + 2)) ]"
ok $? "two more wakeups reach the trigger server after the swap (master's own descriptor)"
is "$(sha256sum <"$T/victim")" "$before" "the file behind the link is untouched"
is "$(stat -c '%U %a' "$T/victim")" "root 600" "its owner and mode too"

# A worker connects to the postlog socket as root: a link there is not followed.
python3 - "$T/evil.sock" "$T/evil.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(4)
try:
    got = s.recv(8192).decode(errors="replace")
except socket.timeout:
    got = "nothing"
open(sys.argv[2], "w").write(got + "\n")
PY
EVIL=$!
mt_wait test -S "$T/evil.sock"
rm -f "$Q/public/postlog"
ln -s "$T/evil.sock" "$Q/public/postlog"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
print(s.makefile().readline().strip())" "$Q/private/echo2" >"$T/echo2.out"
like "$(cat "$T/echo2.out")" "^hello service=echo2 " "a new worker serves its client"
wait "$EVIL"
is "$(cat "$T/evil.out")" "nothing" "and sent no log line through a link planted in place of public/postlog"
postfix stop >/dev/null 2>&1
ok $? "stop"
MPID=

# How master makes sockets and FIFOs: under strace, in the foreground.
if command -v strace >/dev/null 2>&1; then
    strace -f -qq -o "$T/strace" -e trace=chmod,fchmodat,chown,fchownat,lchown,fchown,fchmod \
        "$D/master" -d 2>/dev/null &
    S=$!
    mt_wait test -S "$Q/private/echo2"
    mt_wait bash -c "postfix status >/dev/null 2>&1"
    MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
    modes=$(stat -c '%a' "$Q/private/echo2" "$Q/public/tick" "$Q/public/fifotick" 2>/dev/null | tr '\n' ' ')
    kill -TERM "$MPID"
    wait "$S"
    MPID=
    grep -E "$Q/(private|public)/" "$T/strace" >"$T/calls"
    grep -qE 'lchown\(|fchownat\(.*AT_SYMLINK_NOFOLLOW' "$T/calls"
    ok $? "sockets get their owner with lchown (does not follow a link)"
    bad=$(grep -E 'chmod\(|fchmodat\(|[^l]chown\(|^[0-9]+ chown\(|fchownat\(' "$T/calls" | grep -v AT_SYMLINK_NOFOLLOW)
    is "$bad" "" "no chmod and no link-following chown by name in private/ or public/"
    is "$modes" "666 666 622 " "the modes are still 0666 for sockets, 0622 for the FIFO"
else
    skip "no strace"
    skip "no strace"
    skip "no strace"
fi
done_testing
