#!/bin/bash
# The issue's "done when": `postfix start -c DIR` with Debian's stock
# master.cf (etc/master.cf; smtp moved to a scratch address) and every daemon
# Postern installs brings up master and every service: each entry has its
# endpoint, each installed program starts when a client comes (or its wakeup
# timer fires) without failing, and each worker runs, as /proc shows, with
# the root directory and uid its master.cf columns 4 and 5 ask for: no
# worker that should be unprivileged runs as root.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
cp "$POSTERN_INST"/libexec/postern/* "$D/"
PORT=$(mt_port)
sed "s/^smtp      inet /$ADDR:$PORT inet /" "$POSTERN_SRC/etc/master.cf" >"$C/master.cf"
printf 'root: postmaster\n' >"$C/aliases"
postalias -c "$C" "hash:$C/aliases"
inst_param alias_maps "hash:$C/aliases"
inst_param alias_database "hash:$C/aliases"
# virtual(8) insists on an absolute virtual_mailbox_base, as Postfix's does.
inst_param virtual_mailbox_base "$T/vmail"
unset MAIL_CONFIG

postfix -c "$C" check >/dev/null 2>&1
ok $? "postfix check -c DIR"
postfix -c "$C" start >"$T/start.out" 2>&1
ok $? "postfix start -c DIR with the stock master.cf and every Postern daemon"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
mt_alive "$MPID"
ok $? "master runs"

# Every entry: its endpoint. Fields: name type private unpriv chroot wakeup maxproc command.
grep -vE '^(#|[[:space:]]|$)' "$C/master.cf" | awk '{print $1, $2, $3, $4, $5, $6, $7, $8}' >"$T/entries"
missing=""
while read -r name type priv unpriv chroot wakeup maxproc cmd; do
    case $type in
    inet) ss -Hltn "sport = :${name##*:}" | grep -q "${name%:*}:${name##*:}" || missing="$missing $name/$type" ;;
    unix | unix-dgram)
        dir=private
        [ "$priv" = n ] && dir=public
        [ -S "$Q/$dir/$name" ] || missing="$missing $name/$type" ;;
    *) missing="$missing $name/$type" ;;
    esac
done <"$T/entries"
is "$missing" "" "every master.cf entry has its endpoint ($(wc -l <"$T/entries") entries)"

# A client for every unix service whose program is installed (one that takes
# requests from clients); the wakeup timers start the trigger servers.
python3 - "$Q" "$T/entries" "$D" <<'PY'
import os, socket, sys
q, entries, d = sys.argv[1:4]
for line in open(entries):
    name, typ, priv, unpriv, chroot, wakeup, maxproc, cmd = line.split()
    if typ != "unix" or not os.access(os.path.join(d, cmd), os.X_OK):
        continue
    path = os.path.join(q, "public" if priv == "n" else "private", name)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(path)
    except OSError as e:
        print("connect %s: %s" % (path, e), file=sys.stderr)
    s.close()
PY
exec 5<>"/dev/tcp/$ADDR/$PORT"
IFS= read -r -t 10 banner <&5
like "$banner" "^220 mail.example.com ESMTP" "smtpd (chroot y) answers on $ADDR:$PORT"
printf 'QUIT\r\n' >&5
exec 5>&-

# Every installed program's service has a worker, with the right root and uid.
compat_chroot=n
POSTFIX_UID=$(id -u postfix)
unserved="" wrong="" checked=0
while read -r name type priv unpriv chroot wakeup maxproc cmd; do
    [ -x "$D/$cmd" ] || continue
    mt_wait bash -c "[ -n \"\$(pgrep -P $MPID | while read p; do tr '\\0' ' ' </proc/\$p/cmdline 2>/dev/null | grep -q -- '-n $name -t $type ' && echo \$p; done)\" ]" ||
        { unserved="$unserved $name/$type"; continue; }
    [ "$chroot" = - ] && chroot=$compat_chroot
    want_root=/
    [ "$chroot" = y ] && want_root=$Q
    want_uid=$POSTFIX_UID
    [ "$unpriv" = n ] && want_uid=0
    for p in $(pgrep -P "$MPID"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-n $name -t $type " || continue
        got="$(mt_root "$p") $(mt_uid "$p")"
        [ "$got" = "$want_root $want_uid" ] || wrong="$wrong $name/$type:pid=$p:got=$got:want=$want_root,$want_uid"
        checked=$((checked + 1))
    done
done <"$T/entries"
is "$unserved" "" "every service whose program is installed got a worker"
is "$wrong" "" "every worker has the root (column 5) and uid (column 4) master.cf asks for ($checked checked)"
ok $([ "$checked" -ge 20 ] && echo 0 || echo 1) "at least 20 workers checked ($checked)"
root_bad=""
for p in $(pgrep -P "$MPID"); do
    set -- $(tr '\0' ' ' <"/proc/$p/cmdline")
    n=$3 t=$5
    u=$(awk -v n="$n" -v t="$t" '$1 == n && $2 == t {print $4}' "$T/entries")
    [ "$u" != n ] && [ "$(mt_uid "$p")" = 0 ] && root_bad="$root_bad $n/$t:$p"
done
is "$root_bad" "" "no worker runs as root where master.cf says unprivileged"

# Started without failing: no fatal start, no throttle for what is installed.
grep -E "bad command startup|fatal|panic|killed by signal|exit status" "$LOG" | grep -v "is not installed" >"$T/bad"
is "$(cat "$T/bad")" "" "no daemon failed at start, none was throttled"
kill -0 "$MPID"
ok $? "master still runs"

kids=$(pgrep -P "$MPID" | tr '\n' ' ')
postfix -c "$C" stop >/dev/null 2>&1
ok $? "postfix stop -c DIR"
alive=""
for p in $MPID $kids; do mt_alive "$p" && alive="$alive $p"; done
is "$alive" "" "stop leaves none of the $(echo $kids | wc -w) workers behind"
MPID=
done_testing
