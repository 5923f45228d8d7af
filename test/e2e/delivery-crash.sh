#!/bin/bash
# No mail is lost when delivery processes die: 300 messages go to a local
# user's Maildir while local workers and qmgr are killed with SIGKILL again
# and again. Every message must arrive at least once (DESIGN.md: at least
# once, never lost), the queue must drain, and master must replace the dead.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

N=300
U=pstc$$
inst_setup
cleanup_user() { userdel "$U" 2>/dev/null; inst_cleanup; }
trap cleanup_user EXIT
mkdir -p "$T/home/$U"
useradd -M -d "$T/home/$U" -s /bin/sh "$U" && chown "$U:" "$T/home/$U" && chmod 755 "$T/home"
ok $? "test user $U"

INST_SMTPD_PORT=$(inst_port)
inst_master_cf_full
inst_param mydestination '$myhostname, localhost, example.com'
inst_param home_mailbox Maildir/
inst_param alias_maps ''
inst_param local_recipient_maps ''
inst_param smtpd_error_sleep_time 0
# a killed delivery is retried soon, so the test ends in bounded time
inst_param minimal_backoff_time 2s
inst_param maximal_backoff_time 4s
inst_param queue_run_delay 2s
# killing a worker that had not yet taken a client is a failed start to
# master, which then throttles the service (as Postfix's does): keep that
# pause short here, the test is about losing nothing
inst_param service_throttle_time 2s
inst_start
ok $? "master runs the whole mail system"
inst_wait_sock public/qmgr && inst_wait_sock private/local
ok $? "qmgr and local are listening"

python3 - "$ADDR" "$INST_SMTPD_PORT" "$U@example.com" "$N" >"$T/send.out" 2>&1 <<'PY' &
import smtplib, sys
addr, port, rcpt, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = smtplib.SMTP(addr, port, local_hostname="client.example.org", timeout=30)
for i in range(1, n + 1):
    s.sendmail("load@client.example.org", [rcpt],
               ("From: load@client.example.org\r\nSubject: load %d\r\n\r\nmessage %d\r\n" % (i, i)).encode())
s.quit()
print("sent", n)
PY
SENDER=$!

# Kill local workers (and qmgr twice) while the load runs and the queue
# drains: every 0.25 s, at most 60 rounds, and at least 8 kills.
kills=0 qkills=0
for round in $(seq 60); do
    if ! kill -0 "$SENDER" 2>/dev/null && [ "$kills" -ge 8 ]; then
        break
    fi
    for p in $(inst_workers local); do kill -KILL "$p" 2>/dev/null && kills=$((kills + 1)); done
    # qmgr: twice, each time only once it has run for 3 s (master throttles
    # a service whose process dies before it has served anything, as
    # Postfix's does, and a loaded machine restarts it slowly)
    if [ "$round" -ge 5 ] && [ "$qkills" -lt 2 ]; then
        for p in $(inst_workers qmgr); do
            [ "$(ps -o etimes= -p "$p" 2>/dev/null | tr -d ' ')" -ge 3 ] 2>/dev/null || continue
            kill -KILL "$p" 2>/dev/null && kills=$((kills + 1)) qkills=$((qkills + 1))
        done
    fi
    sleep 0.25
done
wait "$SENDER"
ok $? "all $N messages were accepted ($(cat "$T/send.out"))"
[ "$kills" -ge 8 ]
ok $? "delivery processes were killed $kills times during the run"

delivered() {
    grep -h '^Subject: load ' "$T/home/$U/Maildir/new/"* 2>/dev/null | sort -u | wc -l
}
INST_WAIT=900 inst_wait bash -c "[ \$(grep -h '^Subject: load ' '$T/home/$U/Maildir/new/'* 2>/dev/null | sort -u | wc -l) -ge $N ]"
arrived=$?
ok $arrived "every message arrived at least once ($(delivered) of $N distinct)"
if [ "$arrived" -ne 0 ]; then # what the log says, for the reader of a failure
    grep -E "warning|throttl|fatal|panic" "$LOG" | tail -25 | sed 's/^/# /'
    find "$Q/incoming" "$Q/active" "$Q/deferred" -type f -printf '# queued: %p %TT\n' | head -5
    date '+# now %T'
    cp "$LOG" "/tmp/delivery-crash-maillog.$$" && echo "# maillog kept in /tmp/delivery-crash-maillog.$$"
fi
missing=$(for i in $(seq "$N"); do grep -lqs "^Subject: load $i\$" "$T/home/$U/Maildir/new/"* || echo "$i"; done | head -5)
is "$missing" "" "no message is missing"
INST_WAIT=300 inst_wait bash -c "[ -z \"\$(find '$Q/incoming' '$Q/active' '$Q/deferred' -type f)\" ]"
ok $? "the queue drains"
inst_stop
! grep -E "panic|AddressSanitizer|runtime error" "$LOG"
ok $? "no panic or sanitizer report (the SIGKILLs are logged as such)"
done_testing
