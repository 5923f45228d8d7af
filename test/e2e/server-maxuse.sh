#!/bin/bash
# max_use counts requests that came, not waits for one (lib/server.h,
# server_single_request): cleanup serves several messages on smtpd's kept
# connection and a delivery agent several requests on qmgr's, and a kept
# connection that ends without another request (its client closed it, or it
# sat idle) costs the process no use. With cleanup and discard at
# max_use = 3: message 1, the idle ends of both kept connections, then
# messages 2 and 3: one cleanup writes all three and one discard delivers
# all three, and both then exit; message 4 goes to new processes.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
inst_require master smtpd cleanup qmgr discard postlogd
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
sd_setup "default_transport = discard"
inst_master_cf "$ADDR:$PORT inet n - y - 1 smtpd
cleanup   unix  n       -       y       -       1       cleanup -o max_use=3
qmgr      unix  n       -       n       300     1       qmgr
discard   unix  -       -       n       -       1       discard -v -o max_use=3
postlog   unix-dgram n  -       n       -       1       postlogd"
sd_start
ok $? "master, smtpd, cleanup, qmgr and discard run"

# send N: message N in its own SMTP session; prints its queue id
send() {
    swaks --server "$ADDR:$PORT" --from alice@example.com --to bob@relay.test \
        --h-Subject "max_use $1" --body "message $1" >"$T/swaks.$1" 2>&1
    grep -oE 'queued as [0-9A-F]+' "$T/swaks.$1" | awk '{print $3}'
}
# writer ID / deliverer ID: the pid of the cleanup that wrote message ID,
# of the discard that delivered it (waits, bounded, for the log line)
writer() { sd_log "cleanup\[[0-9]+\]: $1: message-id=" | sed -E 's/.*cleanup\[([0-9]+)\].*/\1/'; }
deliverer() {
    sd_log "discard\[[0-9]+\]: $1: to=<bob@relay.test>.*status=sent" | sed -E 's/.*discard\[([0-9]+)\].*/\1/'
}
# conns A B: UNIX stream connections between processes A and B (from ss:
# a socket of A whose peer inode is a socket of B)
conns() {
    ss -Hxp state established 2>/dev/null | awk -v a="pid=$1,fd=" -v b="pid=$2,fd=" '
        $1 == "u_str" && index($0, b) { theirs[$5] = 1 }
        $1 == "u_str" && index($0, a) { peers[$7] = 1 }
        END { n = 0; for (i in peers) if (i in theirs) n++; print n }'
}
gone() { ! kill -0 "$1" 2>/dev/null; }

id1=$(send 1)
like "$id1" '^[0-9A-F]+$' "message 1 queued ($id1)"
c=$(writer "$id1")
d=$(deliverer "$id1")
like "$c $d" '^[0-9]+ [0-9]+$' "message 1: written by cleanup $c, delivered by discard $d"
# Both kept connections end without a second request: qmgr lets its idle
# agent connection go after 2 s, cleanup its idle smtpd connection.
inst_log_wait "discard\[$d\]: connection closed after 1 request"
ok $? "qmgr's kept connection to discard $d ended after one request"
smtpd=$(inst_workers "$ADDR:$PORT")
idle_closed() { [ -n "$smtpd" ] && [ "$(conns "$c" "$smtpd")" = 0 ]; }
inst_wait idle_closed
ok $? "smtpd's kept connection to cleanup $c ended after one message"

id2=$(send 2)
id3=$(send 3)
like "$id2 $id3" '^[0-9A-F]+ [0-9A-F]+$' "messages 2 and 3 queued ($id2, $id3)"
is "$(writer "$id2") $(writer "$id3")" "$c $c" \
    "cleanup $c wrote messages 2 and 3 too: the connection that ended idle cost no use"
is "$(deliverer "$id2") $(deliverer "$id3")" "$d $d" \
    "discard $d delivered messages 2 and 3 too: the connection qmgr closed cost no use"
inst_wait gone "$c"
ok $? "cleanup $c exits after its third message (max_use 3)"
inst_wait gone "$d"
ok $? "discard $d exits after its third request (max_use 3)"

id4=$(send 4)
c4=$(writer "$id4")
d4=$(deliverer "$id4")
ok "$([ -n "$c4" ] && [ "$c4" != "$c" ] && [ -n "$d4" ] && [ "$d4" != "$d" ] && echo 0 || echo 1)" \
    "message 4 goes to a new cleanup ($c4) and a new discard ($d4)"
sd_finish
done_testing
