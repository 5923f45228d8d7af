#!/bin/bash
# master's pid file lock against Debian's real Postfix 3.7 master (the
# oracle, test/lib/oracle.sh) on the same queue_directory, as during a switch
# from Postfix to Postern: Postfix's `master -t` sees Postern's master
# running, a Postfix master refuses to start next to it, and while a Postfix
# master runs Postern's postfix start refuses and postfix status names it.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
trap inst_cleanup EXIT
PORT=$(mt_port)
mt_master_cf "$ADDR:$PORT inet n - n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
ORACLE_SYSTEM_ACCOUNTS=1
if ! oracle_setup; then
    skip "no Postfix oracle: $ORACLE_WHY"
    done_testing
    exit 0
fi
# oracle_setup's own trap removes only $T: stop what we start first.
trap 'inst_cleanup; _oracle_cleanup' EXIT
sed -i "s|^queue_directory = .*|queue_directory = $Q|" "$ORACLE_CONF/main.cf"
printf 'oracletest unix - - n - - showq\n' >"$ORACLE_CONF/master.cf"
chown postfix "$T/oracle-data"   # Postfix's master makes its master.lock there as mail_owner
pmaster() { LD_LIBRARY_PATH=$ORACLE_ROOT/usr/lib/postfix "$ORACLE_ROOT/usr/lib/postfix/sbin/master" -c "$ORACLE_CONF" "$@"; }

pmaster -t 2>/dev/null
ok $? "Postfix's master -t: nothing runs yet"
mt_start
ok $? "Postern's master runs"
pmaster -t 2>/dev/null
ok $([ $? -eq 1 ] && echo 0 || echo 1) "Postfix's master -t sees Postern's master running"
out=$(timeout 10 env LD_LIBRARY_PATH="$ORACLE_ROOT/usr/lib/postfix" \
    "$ORACLE_ROOT/usr/lib/postfix/sbin/master" -c "$ORACLE_CONF" -d 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "a Postfix master refuses to start next to it (it logs why to syslog)"
postfix stop >/dev/null 2>&1
ok $? "Postern's master stops"
MPID=

# The other way round: a Postfix master holds the queue.
LD_LIBRARY_PATH=$ORACLE_ROOT/usr/lib/postfix "$ORACLE_ROOT/usr/lib/postfix/sbin/master" \
    -c "$ORACLE_CONF" -d >"$T/pmaster.out" 2>&1 &
PM=$!
mt_wait test -S "$Q/private/oracletest"
ok $? "Debian's Postfix master runs on the same queue_directory"
out=$(postfix start 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "Postern's postfix start refuses"
# Should it have started anyway, the cleanup must stop it.
p=$(pgrep -f "^$D/master" | head -1)
[ -n "$p" ] && MPID=$p
like "$out" "fatal: the Postfix mail system is already running" "with the usual message"
is "$(postfix status 2>&1)" "postfix/postfix-script: the Postfix mail system is running: PID: $PM" \
    "postfix status names the Postfix master's pid"
out=$("$D/master" -w 2>&1)
like "$out" "already running \\(master pid $PM" "Postern's master refuses and names it"
kill -TERM "$PM"
wait "$PM"
mt_wait bash -c "! postfix status >/dev/null 2>&1"
ok $? "once it is gone, nothing runs"
done_testing
