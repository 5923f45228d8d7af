#!/bin/bash
# The README's first command: ./quickstart writes the demo configuration,
# builds the tables, starts the whole mail system under master, sends one
# message over SMTP and one with `sendmail -t`, and both land in the local
# user's mbox. Run here on the suite's own build (POSTERN_DEMO_INST: no
# second build), in a scratch folder and on a port of its own, so that the
# script cannot rot between the sessions that run it by hand.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
tmpdir
demo=$T/demo
port=$(inst_port)

# Stop what the demo started, by master's pid, and wait (bounded) until
# master has gone; then remove the scratch folder.
stop_demo() {
    local pid
    pid=$(tr -d ' \n' <"$demo/queue/pid/master.pid" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        MAIL_CONFIG=$demo/etc "$POSTERN_INST/sbin/postfix" stop >/dev/null 2>&1
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -rf "$T"
}
trap stop_demo EXIT

env -u SUDO_USER POSTERN_DEMO_DIR="$demo" POSTERN_DEMO_INST="$POSTERN_INST" \
    POSTERN_DEMO_PORT="$port" "$POSTERN_SRC/quickstart" >"$T/out" 2>&1
rc=$?
ok $rc "quickstart exits 0 (exit $rc)"
[ $rc -eq 0 ] || sed 's/^/# /' "$T/out"

like "$(cat "$T/out")" 'accepted \(250\)' "the SMTP message is accepted"
mbox=$demo/mail/root
is "$(grep -c '^Subject: ' "$mbox" 2>/dev/null)" 2 "two messages in root's mbox"
like "$(grep '^Subject: ' "$mbox" | sort | tr '\n' '|')" \
    'Subject: Hello from the Postern demo\|Subject: from the command line\|' \
    "one from SMTP, one from sendmail -t"
like "$(cat "$mbox")" 'Delivered-To: root@localhost' "delivered through the virtual alias me@demo.test -> root@localhost"
is "$(grep -c '^From ' "$mbox")" 2 "mbox 'From ' separators, one per message"

pid=$(tr -d ' \n' <"$demo/queue/pid/master.pid" 2>/dev/null)
kill -0 "${pid:-0}" 2>/dev/null
ok $? "master still runs after quickstart (pid ${pid:-none})"
ss -Hltn "sport = :$port" | grep -q "127.0.0.1:$port"
ok $? "smtpd listens on 127.0.0.1:$port"
like "$(MAIL_CONFIG=$demo/etc "$POSTERN_INST/bin/mailq" 2>&1)" 'Mail queue is empty' "mailq: the queue is empty"
is "$(grep -c 'status=sent (delivered to mailbox)' "$demo/maillog")" 2 "maillog: two deliveries to the mailbox"

done_testing
