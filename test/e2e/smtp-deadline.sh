#!/bin/bash
# smtp_per_request_deadline against servers that drip their replies a byte
# at a time (smtp_xsink.py --drip): with the deadline, the whole greeting
# must arrive within smtp_helo_timeout, so a server dripping one byte per
# second is given up within that bound, with Postfix's reason text; without
# it (Postfix's default) the time limit is per read, so a short greeting
# dripped faster than the limit still gets through. (smtp_min_data_rate,
# the DATA phase's share of the deadline, is tested in test/unit/smtp_test.)
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
xs_setup
port() { xs_port "$1"; }
now_ms() { date +%s%3N; }

# slow: 22 bytes, one per second; short: 7 bytes ("220 d" CR LF), one per 0.5 s
check "a server dripping one byte per second runs" xs_start slow --drip 1 \
    --greeting "220 slow.test ESMTP"
check "a server dripping a short greeting runs" xs_start short --drip 0.5 --greeting "220 d"

inst_service "dl        unix  -       -       n       -       1       smtp
    -o smtp_per_request_deadline=yes -o smtp_helo_timeout=2s"
inst_service "nodl      unix  -       -       n       -       1       smtp
    -o smtp_helo_timeout=2s"
check "postfix start" inst_start
check "private/dl exists" inst_wait_sock private/dl
check "private/nodl exists" inst_wait_sock private/nodl

MSG="Subject: deadline

body"

# 1. The deadline: given up within smtp_helo_timeout (2 s), not 22 s.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r a@slow.test)
t0=$(now_ms)
smtp_send -s private/dl -n "[$ADDR]:$(port slow)" "$id"
t1=$(now_ms)
is "$(smtp_result a@slow.test)" \
    "result=deferred dsn=4.4.2 reason=conversation with $ADDR[$ADDR] timed out while receiving the initial server greeting" \
    "deferred with Postfix's reason text"
ok "$([ $((t1 - t0)) -lt 6000 ]; echo $?)" "within the bound ($((t1 - t0)) ms < 6000 ms for a 2 s deadline)"
ok "$([ $((t1 - t0)) -ge 1900 ]; echo $?)" "  and not before it ($((t1 - t0)) ms)"

# 2. Without the deadline a limit per read: 3.5 s of greeting, no gap of 2 s.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r b@short.test)
t0=$(now_ms)
smtp_send -s private/nodl -n "[$ADDR]:$(port short)" "$id"
t1=$(now_ms)
like "$(smtp_result b@short.test)" "^result=sent dsn=2.0.0 " \
    "no deadline: a greeting dripped over 3.5 s is read (each byte within 2 s)"
ok "$([ $((t1 - t0)) -ge 3000 ]; echo $?)" "  it took the whole drip ($((t1 - t0)) ms)"

# 3. The same greeting with the deadline: too slow as a whole.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r c@short.test)
smtp_send -s private/dl -n "[$ADDR]:$(port short)" "$id"
like "$(smtp_result c@short.test)" \
    "^result=deferred dsn=4.4.2 reason=conversation with .* timed out while receiving the initial server greeting$" \
    "with the deadline the same greeting is too slow"
check "the log says so" inst_log_wait "$id: to=<c@short.test>.*status=deferred \(conversation with .* timed out"

inst_stop
check "no panic, fatal error, sanitizer report or crash" bash -c \
    "! grep -E 'panic|fatal|runtime error|Sanitizer|exit status|killed' '$LOG'"
done_testing
