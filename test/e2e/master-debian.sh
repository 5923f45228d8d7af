#!/bin/bash
# Debian's stock master.cf (etc/master.cf) loads under master: every entry
# gets its endpoint, programs Postern does not ship are reported by postfix
# check and logged when a client needs them, never fatal; a program that
# appears later is started on demand.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
PORT=$(mt_port)
# The stock file, with smtp moved to a scratch address and port.
sed "s/^smtp      inet /$ADDR:$PORT inet /" "$POSTERN_SRC/etc/master.cf" >"$C/master.cf"
grep -q "^$ADDR:$PORT inet" "$C/master.cf"
ok $? "stock master.cf with smtp on $ADDR:$PORT"

out=$(postfix check 2>&1)
ok $? "postfix check exits 0 on the stock master.cf"
like "$out" "master.cf, line [0-9]+: service $ADDR:$PORT/inet: program $D/smtpd is not installed" \
    "check reports smtpd as not installed"
like "$out" "service maildrop/unix: program $D/pipe is not installed" "and pipe"
ok $(echo "$out" | grep -q "postlog/unix-dgram" && echo 1 || echo 0) "but not postlogd, which is installed"

unset MAIL_CONFIG
postfix start -c "$C" >/dev/null 2>&1
ok $? "postfix start -c DIR runs master with the stock master.cf"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
grep -q "daemon started -- version 3.7.11, configuration $C\$" "$LOG"
ok $? "master reads the configuration directory given with -c"
export MAIL_CONFIG=$C
n_unix=$(grep -cE '^[a-z][-a-z]* +unix ' "$C/master.cf")
n_sock=$(find "$Q/private" "$Q/public" -type s | wc -l | tr -d ' ')
is "$n_sock" "$((n_unix + 1))" "a socket for every unix and unix-dgram entry ($n_unix + postlog)"
[ -S "$Q/public/pickup" ] && [ -S "$Q/private/smtp" ] && [ -S "$Q/public/postlog" ] && [ -S "$Q/private/scalemail-backend" ]
ok $? "pickup in public/ (column 2 n), smtp and scalemail-backend in private/, postlog in public/"
is "$(stat -c '%U %G %a' "$Q/public/pickup")" "postfix postdrop 666" "a public socket: postfix:postdrop 666"
is "$(stat -c '%U %G %a' "$Q/private/smtp")" "postfix $(id -gn postfix) 666" "a private socket: postfix 666"
ss -Hltn "sport = :$PORT" | grep -q "$ADDR:$PORT"
ok $? "smtp listens on $ADDR:$PORT"

exec 5<>"/dev/tcp/$ADDR/$PORT"
IFS= read -r -t 5 line <&5
is "$line" "" "a client of a program that is not installed gets end-of-file"
exec 5>&-
mt_wait grep -q "warning: service $ADDR:$PORT/inet (master.cf line [0-9]*): program $D/smtpd is not installed" "$LOG"
ok $? "master logs it"
mt_wait grep -q "warning: service pickup/unix .*program $D/pickup is not installed" "$LOG"
ok $? "the wakeup timer's trigger for pickup is logged the same way"
kill -0 "$MPID"
ok $? "master keeps running"

ln -s test_echo "$D/smtpd"
exec 5<>"/dev/tcp/$ADDR/$PORT"
like "$(mt_hello 5)" "^hello service=$ADDR:$PORT " "once the program exists it is started on demand"
exec 5>&-

postfix stop >/dev/null 2>&1
ok $? "stop"

unit=$POSTERN_INST/lib/systemd/system/postfix.service
grep -q "^ExecStart=$POSTERN_INST/sbin/postfix start-fg\$" "$unit" && grep -q "^Type=simple" "$unit"
ok $? "the installed systemd unit runs postfix start-fg as Type=simple"
grep -q "^ExecReload=$POSTERN_INST/sbin/postfix reload\$" "$unit"
ok $? "and reloads with postfix reload"
if command -v systemd-analyze >/dev/null 2>&1; then
    out=$(cd "$T" && systemd-analyze verify --man=no "$unit" 2>&1)
    ok $? "systemd-analyze verify accepts the unit ($out)"
else
    skip "no systemd-analyze"
fi
done_testing
