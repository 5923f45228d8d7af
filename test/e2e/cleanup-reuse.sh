#!/bin/bash
# smtpd keeps its cleanup connection for the next message (one connection,
# several messages): after a session smtpd still holds the connection and
# the next session's message goes over the same one to the same cleanup;
# cleanup lets an idle connection go after its short idle time and smtpd
# then connects anew without a word; a cleanup killed between messages
# costs the next client nothing; each message counts as one of cleanup's
# max_use; a reload makes the cleanup that holds a connection exit.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup
# One smtpd: the sessions below follow each other through the same process.
inst_master_cf "$ADDR:$PORT inet n - y - 1 smtpd
cleanup   unix  n       -       y       -       0       cleanup
postlog   unix-dgram n  -       n       -       1       postlogd"
sd_start
ok $? "master, smtpd and cleanup run"

# send N: one message in its own SMTP session; prints its queue id
send() {
    swaks --server "$ADDR:$PORT" --from alice@example.com --to bob@relay.test \
        --h-Subject "reuse $1" --body "message $1" >"$T/swaks.$1" 2>&1
    grep -oE 'queued as [0-9A-F]+' "$T/swaks.$1" | awk '{print $3}'
}

# kept_conn PID: the inode of the one connected UNIX stream socket PID holds
# besides its status channel to master (fd 3); empty when none.
kept_conn() {
    local fd ino
    for fd in /proc/"$1"/fd/*; do
        [ "${fd##*/}" = 3 ] && continue
        ino=$(readlink "$fd" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
        [ -n "$ino" ] || continue
        # /proc/net/unix: Num RefCount Protocol Flags Type St Inode [Path]
        awk -v i="$ino" '$7 == i && $5 == "0001" && $6 == "03" { print i }' /proc/net/unix
    done
}

# cleanup_pid ID: the pid of the cleanup process that logged ID's message-id
cleanup_pid() {
    sd_log "cleanup\[[0-9]+\]: $1: message-id=" | sed -n 's/.*cleanup\[\([0-9]*\)\].*/\1/p'
}

id1=$(send 1)
like "$id1" '^[0-9A-F]+$' "message 1 queued ($id1)"
smtpd=$(inst_workers "$ADDR:$PORT")
conn1=$(kept_conn "$smtpd")
like "$conn1" '^[0-9]+$' "after the session, smtpd $smtpd still holds a connection to cleanup ($conn1)"
id2=$(send 2)
like "$id2" '^[0-9A-F]+$' "message 2 queued ($id2)"
is "$(inst_workers "$ADDR:$PORT")" "$smtpd" "the same smtpd served it"
is "$(kept_conn "$smtpd")" "$conn1" "over the same cleanup connection"
p1=$(cleanup_pid "$id1")
p2=$(cleanup_pid "$id2")
ok $([ -n "$p1" ] && [ "$p1" = "$p2" ] && echo 0 || echo 1) "one cleanup process wrote both ($p1, $p2)"
is "$(sd_queue_count)" "2" "both are complete queue files"

# Idle: cleanup lets the connection go after 2 s; the next message connects anew.
like "$(kept_conn "$p1")" '^[0-9]+$' "cleanup $p1 holds the connection between messages"
idle_closed() { [ -z "$(kept_conn "$p1")" ]; }
inst_wait idle_closed
ok $? "cleanup $p1 closes the idle connection"
id3=$(send 3)
like "$id3" '^[0-9A-F]+$' "after cleanup's idle time, message 3 is queued ($id3)"
conn3=$(kept_conn "$smtpd")
ok $([ -n "$conn3" ] && [ "$conn3" != "$conn1" ] && echo 0 || echo 1) \
    "over a new connection ($conn1 -> $conn3)"

# The cleanup holding the connection is killed: the next client sees nothing of it.
p3=$(cleanup_pid "$id3")
kill -KILL "$p3"
inst_wait bash -c "! kill -0 $p3 2>/dev/null"
id4=$(send 4)
like "$id4" '^[0-9A-F]+$' "cleanup $p3 killed between messages: message 4 is queued ($id4)"
is "$(sd_queue_count)" "4" "four complete queue files"
grep -E "smtpd\[[0-9]+\]: (warning|error|fatal)" "$LOG" >"$T/warnings"
is "$(wc -l <"$T/warnings")" "0" "smtpd logged no warning for a closed or dead connection"

# max_use counts messages: with cleanup -o max_use=2 no process writes more than two.
inst_master_cf "$ADDR:$PORT inet n - y - 1 smtpd
cleanup   unix  n       -       y       -       0       cleanup -o max_use=2
postlog   unix-dgram n  -       n       -       1       postlogd"
old=$(inst_workers cleanup | tr '\n' ' ')
postfix reload >/dev/null 2>&1
ok $? "postfix reload"
gone() { local p; for p in $old; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
inst_wait gone
ok $? "the cleanup processes of before the reload exit ($old)"
ids=
for n in 5 6 7 8 9; do
    ids="$ids $(send $n)"
done
is "$(echo $ids | wc -w)" "5" "five more messages queued"
for id in $ids; do cleanup_pid "$id"; done | sort | uniq -c | sort -rn >"$T/per-pid"
most=$(awk 'NR == 1 { print $1 }' "$T/per-pid")
ok $([ -n "$most" ] && [ "$most" -le 2 ] && echo 0 || echo 1) \
    "with max_use=2, each cleanup wrote at most two of them ($(tr '\n' ' ' <"$T/per-pid"))"
is "$(sd_queue_count)" "9" "nine complete queue files"
done_testing
