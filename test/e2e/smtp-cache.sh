#!/bin/bash
# The smtp client's connection cache within one process (Postern has no
# scache daemon): smtp_connection_reuse_count_limit N gives a connection up
# to N + 1 transactions, smtp_connection_cache_on_demand = no caches
# nothing unless the next hop is in smtp_connection_cache_destinations,
# smtp_connection_reuse_time_limit ends reuse that long after the connect.
# One agent process per service (maxproc 1); deliver_send plays qmgr;
# smtp_xsink.py servers on 127.0.0.0/8 log each connection.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
xs_setup
conns() { grep -c '^conn$' "$T/$1.log" 2>/dev/null || echo 0; }
for s in count nocache dest other rtime; do
    check "server $s runs" xs_start $s --ehlo PIPELINING
done

inst_param smtp_connection_cache_time_limit 30s
inst_service "count     unix  -       -       n       -       1       smtp
    -o smtp_connection_reuse_count_limit=1"
inst_service "nocache   unix  -       -       n       -       1       smtp
    -o smtp_connection_cache_on_demand=no"
inst_service "dest      unix  -       -       n       -       1       smtp
    -o smtp_connection_cache_on_demand=no -o smtp_connection_cache_destinations=$ADDR"
inst_service "other     unix  -       -       n       -       1       smtp
    -o smtp_connection_cache_on_demand=no -o smtp_connection_cache_destinations=elsewhere.test"
inst_service "rtime     unix  -       -       n       -       1       smtp
    -o smtp_connection_reuse_time_limit=1s"
check "postfix start" inst_start
for s in count nocache dest other rtime; do
    check "private/$s exists" inst_wait_sock private/$s
done

N=0
# deliver SERVICE: one message through the agent SERVICE to server SERVICE
deliver() {
    local id
    N=$((N + 1))
    id=$(printf 'Subject: cache %s\n\nbody\n' "$N" | smtp_queue -f alice@example.com -r "m$N@x.test")
    smtp_send -s "private/$1" -n "[$ADDR]:$(cat "$T/$1.port")" "$id"
    smtp_result "m$N@x.test" | grep -q '^result=sent '
}

for i in 1 2 3 4; do check "count: message $i sent" deliver count; done
is "$(conns count)" 2 "reuse count limit 1: four messages, two connections"
is "$(awk '/^conn$/ { c++ } /^MAIL/ { n[c]++ } END { print n[1], n[2] }' "$T/count.log")" "2 2" \
    "  each connection carried two transactions (N + 1 with N = 1)"

for i in 1 2 3; do check "nocache: message $i sent" deliver nocache; done
is "$(conns nocache)" 3 "on demand off, no destinations: a connection per message"
is "$(grep -c '^QUIT$' "$T/nocache.log")" 3 "  each closed with QUIT at once"

for i in 1 2 3; do check "dest: message $i sent" deliver dest; done
is "$(conns dest)" 1 "the next hop in smtp_connection_cache_destinations: one connection"

for i in 1 2; do check "other: message $i sent" deliver other; done
is "$(conns other)" 2 "another next hop listed there: not cached"

check "rtime: message 1 sent" deliver rtime
check "rtime: message 2 sent" deliver rtime
is "$(conns rtime)" 1 "reuse time limit 1 s: reused at once"
sleep 2.2 # the limit counts time since the connect: let it pass
check "rtime: message 3 sent" deliver rtime
is "$(conns rtime)" 2 "  a new connection once the limit is past"

inst_stop
check "no panic, fatal error, sanitizer report or crash" bash -c \
    "! grep -E 'panic|fatal|runtime error|Sanitizer|exit status|killed' '$LOG'"
done_testing
