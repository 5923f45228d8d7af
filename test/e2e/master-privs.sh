#!/bin/bash
# The worker skeleton's privilege separation, read from /proc: a chrooted
# service's workers have queue_directory as their root and mail_owner's uid
# and gid; unprivileged "n" stays root; files the daemon needs are opened as
# root before the drop; -o overrides reach the worker; a chrooted,
# unprivileged worker logs to maillog_file through postlogd, a burst of
# lines included.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
P1=$(mt_port) P2=$(mt_port) P3=$(mt_port)
echo "root only" >"$T/secret"
chmod 600 "$T/secret"
mt_master_cf "$ADDR:$P1 inet n - y - - test_echo
  -o syslog_name=postfix/jailed $T/secret
$ADDR:$P2 inet n - n - - test_echo
$ADDR:$P3 inet n n n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
mt_start
ok $? "master runs"

exec 5<>"/dev/tcp/$ADDR/$P1"
hello=$(mt_hello 5)
like "$hello" "uid=$POSTFIX_UID gid=$POSTFIX_GID groups=1 " \
    "chroot y, unpriv -: the worker says it runs as mail_owner with one group"
like "$hello" "prejail_uid=0 secret=root only\$" \
    "the pre-jail callback ran as root and read a root-only file"
w=$(mt_workers "$ADDR:$P1")
ok $([ -n "$w" ] && echo 0 || echo 1) "the worker is master's child"
is "$(mt_root "$w")" "$Q" "/proc: its root is queue_directory"
is "$(mt_uid "$w") $(mt_gid "$w")" "$POSTFIX_UID $POSTFIX_GID" "/proc: its uid and gid are mail_owner's"
is "$(awk '/^Groups:/ {print $2}' "/proc/$w/status")" "$POSTFIX_GID" "/proc: no supplementary groups but its own"
is "$(awk '/^CapEff:/ {print $2}' "/proc/$w/status")" "0000000000000000" "/proc: no capabilities left"

exec 6<>"/dev/tcp/$ADDR/$P2"
mt_hello 6 >/dev/null
w2=$(mt_workers "$ADDR:$P2")
is "$(mt_root "$w2")" "/" "chroot n: the worker's root is /"
is "$(mt_uid "$w2")" "$POSTFIX_UID" "chroot n, unpriv -: it still runs as mail_owner"

exec 7<>"/dev/tcp/$ADDR/$P3"
like "$(mt_hello 7)" "uid=0 " "unpriv n: the worker stays root"
w3=$(mt_workers "$ADDR:$P3")
is "$(mt_uid "$w3")" "0" "/proc: uid 0"

# Every worker that should drop privileges did: none of them runs as root.
bad=""
for p in $(mt_workers "$ADDR:$P1") $(mt_workers "$ADDR:$P2") $(mt_workers postlog); do
    [ "$(mt_uid "$p")" = 0 ] && bad="$bad $p"
done
is "$bad" "" "no worker runs as root where master.cf says unprivileged"

echo "ping" >&5
is "$(mt_hello 5)" "ping" "the chrooted worker serves its client"
mt_wait grep -q "postfix/jailed/test_echo\\[$w\\]: connect from a client" "$LOG"
ok $? "a chrooted, unprivileged worker logs through postlogd to maillog_file, -o syslog_name applied"
echo "burst 500" >&5
is "$(mt_hello 5)" "burst 500" "the chrooted worker logs a burst of 500 lines"
mt_wait grep -q "postfix/jailed/test_echo\\[$w\\]: burst line 500 of 500" "$LOG"
ok $? "the last one reaches maillog_file"
is "$(grep -c "postfix/jailed/test_echo\\[$w\\]: burst line " "$LOG")" "500" \
    "and none is lost, though the kernel queues only $(cat /proc/sys/net/unix/max_dgram_qlen) datagrams"
pl=$(mt_workers postlog)
is "$(mt_uid "$pl")" "$POSTFIX_UID" "postlogd runs as mail_owner"
is "$(stat -c '%U %a' "$LOG")" "root 600" "maillog_file was created by root, mode 600"

# postlogd takes only well-formed records from its public socket.
python3 - "$Q/public/postlog" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
s.send(b"evil\nline without tag")
s.send(b"postfix/forged[12]: text\x01with control\nand newline")
PY
mt_wait grep -q "postfix/forged\\[12\\]: text?with control?and newline" "$LOG"
ok $? "postlogd writes a record with its control characters replaced, on one line"
ok $(grep -q "^evil\|line without tag" "$LOG" && echo 1 || echo 0) "a malformed record is dropped"

exec 5>&- 6>&- 7>&-
postfix stop >/dev/null 2>&1
ok $? "stop"
done_testing
