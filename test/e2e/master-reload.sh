#!/bin/bash
# postfix reload: master re-reads main.cf and master.cf, starts new services,
# stops removed ones, tells every worker to finish its client and exit
# (connections in progress are not cut), keeps unchanged sockets; a broken
# master.cf or a main.cf value master cannot use is logged and the old
# configuration kept; postfix logrotate
# renames maillog_file, logging goes on in a new file, and the old one is
# compressed once nothing writes to it any more.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
P1=$(mt_port) P2=$(mt_port) P3=$(mt_port)
mt_master_cf "$ADDR:$P1 inet n - n - - test_echo
$ADDR:$P2 inet n - n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
mt_start
ok $? "master runs"

listening() { ss -Hltn "sport = :$1" | grep -q "$ADDR:$1"; }
exec 5<>"/dev/tcp/$ADDR/$P1"
old1=$(mt_hello 5 | sed 's/.* pid=\([0-9]*\) .*/\1/')
exec 6<>"/dev/tcp/$ADDR/$P2"
old2=$(mt_hello 6 | sed 's/.* pid=\([0-9]*\) .*/\1/')

# Keep P1 (with a changed -o), remove P2, add P3.
mt_master_cf "$ADDR:$P1 inet n - n - - test_echo -o syslog_name=postfix/changed
$ADDR:$P3 inet n - n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
out=$(postfix reload 2>&1)
ok $? "postfix reload exits 0"
is "$out" "postfix/postfix-script: refreshing the Postfix mail system" "and says so"
mt_wait listening "$P3"
ok $? "reload starts a new service"
mt_wait bash -c "! ss -Hltn 'sport = :$P2' | grep -q ."
ok $? "reload stops a removed service"
listening "$P1"
ok $? "an unchanged endpoint keeps listening"
echo "after reload" >&5
is "$(mt_hello 5)" "after reload" "a connection to a kept service survives the reload"
echo "removed but alive" >&6
is "$(mt_hello 6)" "removed but alive" "a connection to a removed service survives the reload"
exec 7<>"/dev/tcp/$ADDR/$P3"
like "$(mt_hello 7)" "^hello service=$ADDR:$P3 " "the new service serves clients"
exec 8<>"/dev/tcp/$ADDR/$P1"
new1=$(mt_hello 8 | sed 's/.* pid=\([0-9]*\) .*/\1/')
ok $([ -n "$new1" ] && [ "$new1" != "$old1" ] && echo 0 || echo 1) \
    "a new client of the kept service gets a new worker"
mt_wait grep -q "postfix/changed/test_echo\\[$new1\\]: connect from a client" "$LOG"
ok $? "the new worker runs with the new -o settings"
exec 5>&- 6>&- 7>&- 8>&-
mt_wait mt_gone "$old1" "$old2"
ok $? "the old workers exit once their clients are done"
ok $(grep -qE "pid ($old1|$old2) (exit status|killed)" "$LOG" && echo 1 || echo 0) \
    "and they exit normally"
kill -0 "$MPID"
ok $? "master is the same process"

# A broken master.cf: logged, the old configuration stays.
cp "$C/master.cf" "$T/master.cf.good"
printf 'broken inet n - n sixty - test_echo\n' >"$C/master.cf"
postfix reload >/dev/null 2>&1
mt_wait grep -q "error: reload: .*master.cf, line 1: bad wakeup time: sixty; keeping the old configuration" "$LOG"
ok $? "a broken master.cf at reload is logged"
exec 5<>"/dev/tcp/$ADDR/$P3"
like "$(mt_hello 5)" "^hello " "and the old configuration keeps serving"
exec 5>&-
cp "$T/master.cf.good" "$C/master.cf"

# A main.cf value master cannot use: logged, master lives on with the old configuration.
cp "$C/main.cf" "$T/main.cf.good"
echo "default_process_limit = lots" >>"$C/main.cf"
postfix reload >/dev/null 2>&1
mt_wait grep -q "bad numerical configuration: default_process_limit = lots" "$LOG"
ok $? "a bad main.cf value at reload is logged"
mt_wait grep -q "error: reload: the new configuration is not usable .*keeping the old configuration" "$LOG"
ok $? "and the old configuration is kept"
kill -0 "$MPID"
ok $? "master is still running"
exec 5<>"/dev/tcp/$ADDR/$P3"
like "$(mt_hello 5)" "^hello " "and serving"
exec 5>&-
cp "$T/main.cf.good" "$C/main.cf"
n=$(grep -c "reload -- version" "$LOG")
postfix reload >/dev/null 2>&1
mt_wait bash -c "[ \$(grep -c 'reload -- version' '$LOG') -gt $n ]"
ok $? "a fixed main.cf reloads again"

# logrotate: the old file is renamed (and compressed), logging goes on in a new one.
echo "maillog_file_rotate_suffix = old" >>"$C/main.cf"
echo "maillog_file_compressor =" >>"$C/main.cf"
out=$(postfix logrotate 2>&1)
ok $? "postfix logrotate exits 0"
[ -f "$LOG.old" ] && grep -q "daemon started" "$LOG.old"
ok $? "the old log is renamed with maillog_file_rotate_suffix"
exec 5<>"/dev/tcp/$ADDR/$P1"
w=$(mt_hello 5 | sed 's/.* pid=\([0-9]*\) .*/\1/')
mt_wait grep -q "postfix/changed/test_echo\\[$w\\]: connect from a client" "$LOG"
ok $? "workers log into the new maillog_file through a new postlogd"
exec 5>&-

# With maillog_file_compressor (gzip): every line written up to the rotation
# is in the compressed file or the new one, none lost to the compressor.
sed -i '/^maillog_file_rotate_suffix/d; /^maillog_file_compressor/d' "$C/main.cf"
printf 'maillog_file_rotate_suffix = old2\nmaillog_file_compressor = gzip\n' >>"$C/main.cf"
python3 - "$Q/public/postlog" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
for i in range(200):
    s.send(b"postfix/burst[7]: line %d" % i)
PY
# A writer that still holds the old file and writes a moment after the rename
# (as an old postlogd finishing its queue may).
(exec 9>>"$LOG"; sleep 1.5; echo "late writer line" >&9) &
LATE=$!
out=$(postfix logrotate 2>&1)
ok $? "postfix logrotate with gzip exits 0 ($out)"
wait "$LATE"
gzip -dc "$LOG.old2.gz" 2>/dev/null | grep -q "late writer line"
ok $? "the compressor waits until nothing writes to the old file"
[ -f "$LOG.old2.gz" ] && [ ! -e "$LOG.old2" ]
ok $? "the old log is compressed to maillog.old2.gz"
n=$( (gzip -dc "$LOG.old2.gz"; cat "$LOG") | grep -c "postfix/burst\[7\]: line ")
is "$n" "200" "no line written before the rotation is lost"
grep -q "postfix/postfix-script\[[0-9]*\]: refreshing" "$LOG"
ok $? "postfix logs its own line into the new file"
sed -i 's/^maillog_file_compressor = gzip/maillog_file_compressor = false/' "$C/main.cf"
out=$(postfix logrotate 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "logrotate exits 1 when the compressor fails"
like "$out" "fatal: logfile '$LOG' rotation failed" "with Postfix's message"

postfix stop >/dev/null 2>&1
ok $? "stop"
done_testing
