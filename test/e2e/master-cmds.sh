#!/bin/bash
# The postfix command as postfix(1) and Debian's postfix-script have it, with
# -c DIR and no MAIL_CONFIG: every command reaches the instance named by -c;
# status says "not running" at info level (exit 1); check warns in
# Postfix's words about owners, writable files and damaged messages, and is
# fatal without master.cf or without a postlog service while maillog_file is
# set; flush sends qmgr the flush trigger (and fails when the system is down);
# postmulti -i - -p reload; only root may run postfix, -c wants an absolute
# path, -v makes master verbose.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
unset MAIL_CONFIG
PORT=$(mt_port)
mt_master_cf "$ADDR:$PORT inet n - n - - test_echo
qmgr unix n - n 300 1 test_trigger $T/qmgr
pickup unix n - n 60 1 test_trigger $T/pickup
postlog unix-dgram n - n - 1 postlogd"
pf() { postfix -c "$C" "$@"; }

out=$(pf status 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "status -c exits 1 when master is not running"
is "$out" "postfix/postfix-script: the Postfix mail system is not running" \
    "and says so at info level, as postfix-script does"

# As Postfix: root only, -c absolute, a command.
out=$(runuser -u nobody -- "$POSTERN_INST/sbin/postfix" -c "$C" status 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "postfix as another user than root exits 1"
like_flat "$out" "^postfix: error: to submit mail, use the Postfix sendmail command~postfix: fatal: the postfix command is reserved for the superuser\$" \
    "with Postfix's two lines"
out=$(postfix -c etc status 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "postfix -c with a relative path exits 1"
is "$out" "postfix: fatal: -c requires absolute pathname" "and says why"
out=$(postfix -c "$C" 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "postfix without a command exits 1"
is "$out" "postfix: fatal: usage: postfix [-c config_dir] [-Dv] command" "with Postfix's usage line"

# check: Postfix's warnings.
out=$(pf check 2>&1)
ok $? "check -c exits 0 and creates the queue"
is "$out" "" "a clean instance gives no warnings"
[ -d "$Q/incoming" ] && [ -d "$Q/pid" ]
ok $? "check -c created the queue directories of the -c instance"
chown postfix "$C/main.cf"
echo "x y" >"$C/table"
chmod 666 "$C/table"
chown root "$Q/incoming"
chgrp root "$Q/public"
mkdir -p "$Q/deferred/B"
chown postfix "$Q/deferred/B"
touch "$Q/deferred/B/B1234567" "$Q/corrupt/C7654321"
chown postfix "$Q/corrupt/C7654321"
out=$(pf check 2>&1)
ok $? "check still exits 0 with warnings"
like "$out" "^postfix/postfix-script: warning: not owned by root: $C/main.cf\$" "not owned by root: main.cf"
like "$out" "warning: group or other writable: $C/table\$" "group or other writable: a file in the configuration directory"
like "$out" "warning: not owned by postfix: $Q/incoming\$" "not owned by postfix: a queue directory"
like "$out" "warning: not owned by group postdrop: $Q/public\$" "not owned by group postdrop: public/"
like "$out" "warning: not owned by postfix: $Q/deferred/B/B1234567\$" "not owned by postfix: a queue file"
like "$out" "warning: damaged message: $Q/corrupt/C7654321\$" "damaged message: a file in corrupt/"
grep -q "postfix/postfix-script\[[0-9]*\]: warning: not owned by root: $C/main.cf" "$LOG"
ok $? "the warnings are logged too"
pf set-permissions >/dev/null 2>&1
ok $? "set-permissions -c exits 0"
is "$(stat -c %U "$Q/incoming") $(stat -c %U "$Q/deferred/B/B1234567") $(stat -c %G "$Q/public")" \
    "postfix postfix postdrop" "and repairs the queue's owners"
chown root "$C/main.cf"
rm -f "$C/table" "$Q/corrupt/C7654321"
rm -rf "$Q/deferred/B"
is "$(pf check 2>&1)" "" "no warnings once repaired"

mv "$C/master.cf" "$T/master.cf.keep"
out=$(pf check 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "check exits 1 without master.cf"
like "$out" "^postfix/postfix-script: fatal: no $C/master.cf file found\$" "and says so"
grep -v '^postlog' "$T/master.cf.keep" >"$C/master.cf"
out=$(pf start 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "start exits 1 with maillog_file set and no postlog service"
like "$out" "fatal: missing 'postlog' service in master.cf - run 'postfix upgrade-configuration'" \
    "with Postfix's message"
[ -s "$Q/pid/master.pid" ] && grep -q '[0-9]' "$Q/pid/master.pid"
ok $([ $? -ne 0 ] && echo 0 || echo 1) "and no master was started"
cp "$T/master.cf.keep" "$C/master.cf"

# start, status, reload, flush, stop, abort: all with -c only.
pf start >"$T/start.out" 2>&1
ok $? "start -c"
mt_wait test -s "$Q/pid/master.pid"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
is "$(pf status 2>&1)" "postfix/postfix-script: the Postfix mail system is running: PID: $MPID" "status -c"
is "$(tr '\0' '\n' <"/proc/$MPID/environ" | grep '^MAIL_CONFIG=')" "MAIL_CONFIG=$C" \
    "master runs with the -c directory"
exec 5<>"/dev/tcp/$ADDR/$PORT"
like "$(mt_hello 5)" "^hello service=$ADDR:$PORT " "the instance serves"
exec 5>&-

pf reload >/dev/null 2>&1
ok $? "reload -c"
mt_wait grep -q "postfix/master\[$MPID\]: reload -- version .*, configuration $C\$" "$LOG"
ok $? "master reloaded"

pf flush
ok $? "flush -c exits 0"
mt_wait grep -q "bytes=FADI" "$T/qmgr"
ok $? "flush sends qmgr the flush trigger (flush dead destinations, deliver deferred mail)"
mt_wait grep -q "bytes=W" "$T/pickup"
ok $? "and wakes pickup"

postmulti -c "$C" -i - -p reload >/dev/null 2>&1
ok $? "postmulti -i - -p reload"
mt_wait bash -c "[ \$(grep -c 'postfix/master\[$MPID\]: reload -- version' '$LOG') -ge 2 ]"
ok $? "master reloaded again"

kids=$(pgrep -P "$MPID" | tr '\n' ' ')
out=$(pf stop 2>&1)
ok $? "stop -c"
like "$out" "^postfix/postfix-script: stopping the Postfix mail system" "stop says so"
alive=""
for p in $MPID $kids; do mt_alive "$p" && alive="$alive $p"; done
is "$alive" "" "stop -c leaves no process behind"

out=$(pf flush 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "flush fails when the mail system is down"
like "$out" "Cannot flush mail queue - mail system is down" "with postqueue's message"
for cmd in stop abort reload; do
    out=$(pf $cmd 2>&1)
    ok $([ $? -eq 1 ] && echo 0 || echo 1) "$cmd -c exits 1 when master is not running"
    is "$out" "postfix/postfix-script: fatal: the Postfix mail system is not running" "and says so"
done

postfix -v -c "$C" start >/dev/null 2>&1
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
mt_alive "$MPID"
ok $? "start -v -c again"
exec 5<>"/dev/tcp/$ADDR/$PORT"
w=$(mt_hello 5 | sed 's/.* pid=\([0-9]*\) .*/\1/')
exec 5>&-
mt_wait grep -q "postfix/master\[$MPID\]: spawned $D/test_echo pid $w " "$LOG"
ok $? "postfix -v makes master verbose"
tr '\0' ' ' <"/proc/$w/cmdline" | grep -q -- " -v "
ok $([ $? -ne 0 ] && echo 0 || echo 1) "but not the workers"
out=$(pf abort 2>&1)
ok $? "abort -c"
is "$out" "postfix/postfix-script: aborting the Postfix mail system" "abort says so"
mt_gone "$MPID"
ok $? "master is gone"

postfix -c "$C" start-fg >/dev/null 2>&1 &
FG=$!
mt_wait test -s "$Q/pid/master.pid"
mt_wait bash -c "postfix -c '$C' status >/dev/null 2>&1"
ok $? "start-fg -c"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
is "$MPID" "$FG" "start-fg -c: master in the foreground"
kill -TERM "$FG"
wait "$FG"
ok $? "the foreground master exits 0 on SIGTERM"
MPID=
done_testing
