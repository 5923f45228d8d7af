#!/bin/bash
# postfix check / start / status / stop / abort and master's pid file: check
# creates Postfix's queue layout with Debian's owners and modes and warns about
# unsafe files and programs Postern does not ship; start brings up every
# service; a second start and a second master are refused; status says the
# pid; stop leaves no process behind; start-fg stays in the foreground.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
PORT=$(mt_port)
mt_master_cf "$ADDR:$PORT inet n - y - - test_echo
echo2 unix - - n - - test_echo
postlog unix-dgram n - n - 1 postlogd
nosuch unix - - n - - pipe flags=R user=nobody argv=/bin/true"

out=$(postfix status 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "status exits 1 when master is not running"
is "$out" "postfix/postfix-script: the Postfix mail system is not running" "and says so (at info level, as postfix-script)"

out=$(postfix check 2>&1)
ok $? "check exits 0"
like "$out" "master.cf, line 4: service nosuch/unix: program $D/pipe is not installed" \
    "check names a master.cf program that is not installed"
layout=""
for d in pid maildrop public private incoming active deferred hold corrupt bounce defer trace flush saved; do
    layout="$layout$(stat -c '%n %U %a' "$Q/$d" | sed "s|$Q/||") "
done
is "$layout" "pid root 755 maildrop postfix 730 public postfix 710 private postfix 700 incoming postfix 700 active postfix 700 deferred postfix 700 hold postfix 700 corrupt postfix 700 bounce postfix 700 defer postfix 700 trace postfix 700 flush postfix 700 saved postfix 700 " \
    "check creates the queue layout with Postfix's owners and modes"
is "$(stat -c '%G' "$Q/maildrop" "$Q/public" | tr '\n' ' ')" "postdrop postdrop " \
    "maildrop/ and public/ belong to group postdrop"

chmod 777 "$Q/active"
chmod 666 "$C/master.cf"
out=$(postfix check 2>&1)
like "$out" "warning: wrong mode: $Q/active \\(mode 0777, want 0700" "check warns about a queue directory's mode"
like "$out" "warning: group or other writable: $C/master.cf" "check warns about a world-writable master.cf"
chmod 644 "$C/master.cf"
mkdir -p "$Q/deferred/A"
touch "$Q/deferred/A/ABCDEF123" "$Q/maildrop/userfile"
postfix set-permissions >/dev/null 2>&1
is "$(stat -c %a "$Q/active")" "700" "set-permissions repairs it"
is "$(stat -c %U "$Q/deferred/A" "$Q/deferred/A/ABCDEF123" | tr '\n' ' ')" "postfix postfix " \
    "set-permissions gives queue files to mail_owner"
is "$(stat -c %U "$Q/maildrop/userfile")" "root" "but leaves maildrop/ files to their submitters"
rm -rf "$Q/deferred/A" "$Q/maildrop/userfile"

mt_start
ok $? "postfix start brings master up"
like "$(cat "$T/start.out")" "starting the Postfix mail system" "start says so"
like "$(cat "$Q/pid/master.pid")" "^ +$MPID\$" "the pid file holds master's pid, right-aligned"
is "$(wc -c <"$Q/pid/master.pid" | tr -d ' ')" "33" "in Postfix's 32 columns and a newline"
out=$(postfix status 2>&1)
ok $? "status exits 0 while master runs"
is "$out" "postfix/postfix-script: the Postfix mail system is running: PID: $MPID" "status names the pid"
for s in "private/echo2" "public/postlog" "private/nosuch"; do
    [ -S "$Q/$s" ]
    ok $? "socket $s exists"
done
ss -Hltn "sport = :$PORT" | grep -q "$ADDR:$PORT"
ok $? "the inet service listens on $ADDR:$PORT"

exec 5<>"/dev/tcp/$ADDR/$PORT"
like "$(mt_hello 5)" "^hello service=$ADDR:$PORT " "a client of the inet service is served"
exec 5>&-

out=$(postfix start 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "a second postfix start exits 1"
like "$out" "fatal: the Postfix mail system is already running" "with a clear message"
out=$("$D/master" 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "a second master refuses to start"
like "$out" "fatal: the Postfix mail system is already running \\(master pid $MPID" \
    "and names the running one"
kill -0 "$MPID"
ok $? "the first master still runs"

out=$("$D/test_echo" -n x -t unix 2>&1 </dev/null 3>&-)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "a worker run by hand exits 1"
like "$out" "fatal: no status channel on descriptor 3: this program is started by master" "and says why"
out=$("$D/test_echo" -n x -t unix -o nonsense 2>&1 3>&-)
like "$out" "fatal: bad -o option: nonsense \(want name=value\)" "a bad -o is fatal"

# A client of a service whose program is not shipped: logged, refused, master goes on.
python3 - "$Q/private/nosuch" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
sys.exit(0 if s.recv(10) == b"" else 1)
PY
ok $? "a client of a missing program gets end-of-file"
mt_wait grep -q "service nosuch/unix (master.cf line 4): program $D/pipe is not installed" "$LOG"
ok $? "master logs the missing program when a client needs it"
kill -0 "$MPID"
ok $? "master keeps running"

kids=$(pgrep -P "$MPID" | tr '\n' ' ')
ok $([ -n "$kids" ] && echo 0 || echo 1) "master has workers before stop"
out=$(postfix stop 2>&1)
ok $? "postfix stop exits 0"
like "$out" "stopping the Postfix mail system" "stop says so"
alive=""
for p in $MPID $kids; do mt_alive "$p" && alive="$alive $p"; done
is "$alive" "" "stop leaves no process behind"
[ -n "$alive" ] && ps -o pid,ppid,stat,cmd -p $alive | sed 's/^/# /'
out=$(postfix stop 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "stop exits 1 when nothing runs"
grep -q "postfix/master\[$MPID\]: terminating on signal 15" "$LOG"
ok $? "master logged its termination"

# SIGTERM is graceful: a busy worker finishes its client; a second SIGTERM stops at once.
mt_start
exec 5<>"/dev/tcp/$ADDR/$PORT"
w=$(mt_hello 5 | sed 's/.* pid=\([0-9]*\) .*/\1/')
kill -TERM "$MPID"
mt_wait bash -c "! ss -Hltn 'sport = :$PORT' | grep -q ."
ok $? "after SIGTERM master stops listening"
echo "still served" >&5
is "$(mt_hello 5)" "still served" "a client in progress is still served after SIGTERM"
mt_alive "$MPID"
ok $? "master waits for its busy worker"
kill -TERM "$MPID"
MT_WAIT=30 mt_wait mt_gone "$MPID" "$w"
ok $? "a second SIGTERM stops master and the busy worker at once"
exec 5>&-

# abort: at once, busy workers included.
mt_start
exec 5<>"/dev/tcp/$ADDR/$PORT"
mt_hello 5 >/dev/null
kids=$(pgrep -P "$MPID" | tr '\n' ' ')
postfix abort >/dev/null 2>&1
ok $? "postfix abort exits 0"
alive=""
for p in $MPID $kids; do mt_alive "$p" && alive="$alive $p"; done
is "$alive" "" "abort leaves no process behind, a busy worker included"
exec 5>&-

# start-fg: master in the foreground (the process postfix execs), stopped by pid.
postfix start-fg >"$T/fg.out" 2>&1 &
FG=$!
mt_wait test -s "$Q/pid/master.pid"
mt_wait bash -c "postfix status >/dev/null 2>&1"
ok $? "start-fg runs master"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
is "$MPID" "$FG" "start-fg's master is the process that was started (no detach)"
exec 5<>"/dev/tcp/$ADDR/$PORT"
mt_hello 5 >/dev/null
postfix reload >/dev/null 2>&1
mt_wait grep -q "master\[$FG\]: reload -- version" "$LOG"
ok $? "the foreground master reloads"
exec 5>&-
kill -TERM "$FG"
wait "$FG"
ok $? "after a reload, the foreground master exits 0 on SIGTERM (no leak, no error)"

# A start that fails: the reason reaches the administrator, nothing stays behind.
cp "$C/master.cf" "$T/master.cf.good"
printf '%s:%s inet n - n - - test_echo\n' "$ADDR" "$PORT" >>"$C/master.cf"
out=$(postfix start 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "start exits 1 when master cannot open a socket"
like "$out" "master: fatal: bind $ADDR port $PORT: Address already in use" "and shows master's reason"
like "$out" "postfix/postfix-script: fatal: mail system startup failed" "and says the start failed"
postfix status >/dev/null 2>&1
ok $([ $? -eq 1 ] && echo 0 || echo 1) "no master is left running"
cp "$T/master.cf.good" "$C/master.cf"
out=$(postfix frobnicate 2>&1)
ok $([ $? -eq 1 ] && echo 0 || echo 1) "an unknown command exits 1"
like "$out" "fatal: unknown command: 'frobnicate'" "and names it"

# postmulti -i - -p, as Ubuntu's systemd unit calls it.
postmulti -i - -p start >/dev/null 2>&1
ok $? "postmulti -i - -p start"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
is "$(postmulti -i - -p status 2>&1)" "postfix/postfix-script: the Postfix mail system is running: PID: $MPID" \
    "postmulti -i - -p status"
out=$(postmulti -i other -p status 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "postmulti refuses an unknown instance"
is "$(postmulti -l)" "-               -               y         $C" "postmulti -l lists the default instance"
postmulti -i - -p stop >/dev/null 2>&1
ok $? "postmulti -i - -p stop"
mt_alive "$MPID"
ok $([ $? -ne 0 ] && echo 0 || echo 1) "master is gone"
done_testing
