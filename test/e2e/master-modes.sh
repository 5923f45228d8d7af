#!/bin/bash
# master's ways of running, as master(8) has them: -d -v (foreground,
# standard error, verbose, -v for the workers); -e (exit after a time); no option (foreground, own
# session, standard input/output/error on /dev/null once ready); -s (the
# same, standard output kept); -i (init mode: only as process 1, here of a
# new PID namespace); and `postfix start-fg` with "maillog_file =
# /dev/stdout", the container setup: every log line on standard output,
# nothing on standard error.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
P1=$(mt_port)
mt_master_cf "$ADDR:$P1 inet n - n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
pid_of() { sed 's/.* pid=\([0-9]*\) .*/\1/'; }
pidfile() { tr -d ' \n' <"$Q/pid/master.pid"; }
stop_fg() { # pid: SIGTERM, then it must exit 0
    kill -TERM "$1"
    wait "$1"
}

# master -d -v: foreground, standard error, verbose, -v for the workers.
"$D/master" -d -v 2>"$T/d.err" &
MPID=$!
mt_wait bash -c "grep -q 'daemon started' '$T/d.err' 2>/dev/null"
ok $? "master -d logs to standard error"
is "$(pidfile)" "$MPID" "master -d stays in the foreground (no detach)"
exec 5<>"/dev/tcp/$ADDR/$P1"
w=$(mt_hello 5 | pid_of)
mt_wait grep -q "spawned $D/test_echo pid $w for service $ADDR:$P1/inet" "$T/d.err"
ok $? "master -v logs each spawn"
tr '\0' ' ' <"/proc/$w/cmdline" | grep -q -- " -l -v "
ok $? "the worker is started with -l (log to standard error too) and -v"
mt_wait grep -q "test_echo: starting service $ADDR:$P1 type inet" "$T/d.err"
ok $? "and logs verbosely, to master's standard error"
exec 5>&-
stop_fg "$MPID"
ok $? "master -d exits 0 on SIGTERM"

# -e: master ends itself after that many seconds, its workers with it.
"$D/master" -d -e 3 2>"$T/e.err" &
MPID=$!
mt_wait bash -c "grep -q 'daemon started' '$T/e.err' 2>/dev/null"
exec 5<>"/dev/tcp/$ADDR/$P1"
w=$(mt_hello 5 | pid_of)
exec 5>&-
MT_WAIT=100 mt_wait mt_gone "$MPID" "$w"
ok $? "master -e 3 exits by itself, and its worker too"
wait "$MPID"
ok $? "with status 0"
grep -q "terminating: the -e time is up" "$T/e.err"
ok $? "and says why"

# No option: foreground, a session of its own, standard streams on /dev/null.
"$D/master" >"$T/plain.out" 2>"$T/plain.err" &
MPID=$!
mt_wait bash -c "postfix status >/dev/null 2>&1"
ok $? "master without options runs"
is "$(pidfile)" "$MPID" "in the foreground (no detach)"
is "$(awk '{print $6}' "/proc/$MPID/stat")" "$MPID" "in a session of its own"
is "$(readlink "/proc/$MPID/fd/0") $(readlink "/proc/$MPID/fd/1") $(readlink "/proc/$MPID/fd/2")" \
    "/dev/null /dev/null /dev/null" "standard input, output and error on /dev/null once ready"
stop_fg "$MPID"
ok $? "exits 0 on SIGTERM"
is "$(cat "$T/plain.out" "$T/plain.err")" "" "and wrote nothing to its standard streams"

# -s: standard output kept.
"$D/master" -s >"$T/s.out" 2>"$T/s.err" &
MPID=$!
mt_wait bash -c "postfix status >/dev/null 2>&1"
is "$(readlink "/proc/$MPID/fd/1") $(readlink "/proc/$MPID/fd/2")" "$T/s.out /dev/null" \
    "master -s keeps standard output, standard error goes to /dev/null"
stop_fg "$MPID"
ok $? "master -s exits 0 on SIGTERM"

# -i: only as process 1.
out=$("$D/master" -i 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "master -i exits 1 unless it is process 1"
like "$out" "fatal: -i is allowed only for PID 1 process" "and says why"
out=$("$D/master" -i -d 2>&1)
like "$out" "fatal: the -i option cannot be used with -d or -w" "-i with -d is refused"
if unshare --pid --fork true 2>/dev/null; then
    # The pid file then says 1 (the namespace's pid): no postfix status/stop here.
    unshare --pid --fork "$D/master" -i >"$T/i.out" 2>&1 &
    U=$!
    mt_wait bash -c "[ -n \"\$(pgrep -P $U)\" ]"
    MPID=$(pgrep -P "$U")
    mt_wait grep -q "master\[1\]: daemon started" "$LOG"
    ok $? "master -i runs as process 1 of a new PID namespace"
    exec 5<>"/dev/tcp/$ADDR/$P1"
    like "$(mt_hello 5)" "^hello service=$ADDR:$P1 " "and serves clients"
    exec 5>&-
    kill -TERM "$MPID"
    wait "$U"
    ok $? "and exits 0 on SIGTERM"
    MPID=
else
    skip "no PID namespaces here (unshare --pid)"
    skip "no PID namespaces here"
    skip "no PID namespaces here"
fi

# postfix start-fg with maillog_file = /dev/stdout: the container setup.
sed -i 's|^maillog_file = .*|maillog_file = /dev/stdout|' "$C/main.cf"
postfix start-fg >"$T/fg.out" 2>"$T/fg.err" &
MPID=$!
mt_wait bash -c "postfix status >/dev/null 2>&1"
ok $? "postfix start-fg runs master"
is "$(pidfile)" "$MPID" "as the process that was started"
exec 5<>"/dev/tcp/$ADDR/$P1"
w=$(mt_hello 5 | pid_of)
exec 5>&-
mt_wait grep -q "postfix/test_echo\[$w\]: connect from a client" "$T/fg.out"
ok $? "a worker's log line (through postlogd) is on start-fg's standard output"
grep -q "postfix/master\[$MPID\]: daemon started" "$T/fg.out"
ok $? "and master's"
grep -q "postfix/postfix-script\[[0-9]*\]: starting the Postfix mail system" "$T/fg.out"
ok $? "and the postfix command's"
stop_fg "$MPID"
ok $? "start-fg's master exits 0 on SIGTERM"
grep -v "^postfix/postfix-script: starting the Postfix mail system\$" "$T/fg.err" >"$T/fg.err2"
is "$(cat "$T/fg.err2")" "" "nothing else on standard error: no line twice"
MPID=
done_testing
