#!/bin/bash
# The flush daemon under master (chrooted, unprivileged, as in the stock
# master.cf) behind postqueue -i and -s, with a test trigger listener as
# public/qmgr. Deferred messages are made as qmgr would leave them: a
# queued file renamed from incoming/ into deferred/H/ with a modification
# time in the future (its next retry). postqueue -i ID sets that time to
# now and sends qmgr "FD"; an id not in deferred/ is an error (exit 1);
# postqueue -s SITE does the same for every deferred message with an
# undelivered recipient @SITE, and only for sites in fast_flush_domains
# (default $relay_domains: Postfix's "not configured" message, exit 69).
# The request protocol is checked strictly (status 3, a warning); master's
# "W" wakeup is ignored quietly.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require flush cleanup master postlogd
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

inst_setup
cp "$POSTERN_BUILD/test/daemons/test_trigger" "$D/"
TRIG=$T/qmgr.triggers
inst_param relay_domains "relay.test, .sub.test"
inst_service "flush     unix  n       -       y       1000?   0       flush"
inst_service "qmgr      unix  n       -       n       300     1       test_trigger $TRIG"
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup
check "public/flush exists" inst_wait_sock public/flush
check "public/qmgr (the test listener) exists" inst_wait_sock public/qmgr

FUTURE=$(($(date +%s) + 7200))
# deferred RCPT...: a deferred message; prints its id.
deferred() {
    local args=() id h
    for r in "$@"; do args+=(-r "$r"); done
    printf 'Subject: deferred\n\nbody\n' | inst_submit -f alice@example.com "${args[@]}" || return 1
    id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
    h=${id:0:1}
    mkdir -p "$Q/deferred/$h"
    chown postfix "$Q/deferred/$h"
    mv "$Q/incoming/$id" "$Q/deferred/$h/$id" || return 1
    touch -d "@$FUTURE" "$Q/deferred/$h/$id"
    echo "$id"
}
mtime() { stat -c %Y "$Q/deferred/${1:0:1}/$1"; }
triggers() { grep -c 'bytes=FD$' "$TRIG" 2>/dev/null || echo 0; }
# recent ID: its time stamp is now (not in the future any more)
recent() {
    local m
    m=$(mtime "$1") && [ "$m" -le "$(date +%s)" ] && [ "$m" -ge "$(($(date +%s) - 60))" ]
}

a=$(deferred bob@relay.test)
b=$(deferred carol@other.test)
c=$(deferred dave@other.test erin@RELAY.test)
d=$(deferred frank@x.sub.test)
like "$a $b $c $d" '^[0-9A-F]{6,} [0-9A-F]{6,} [0-9A-F]{6,} [0-9A-F]{6,}$' "four deferred messages"
is "$(mtime "$a")" "$FUTURE" "their retry time is in the future"

# -i ID
postqueue -c "$C" -i "$b" 2>"$T/err"
ok $? "postqueue -i ID exits 0"
ok "$(recent "$b"; echo $?)" "-i: the message's time stamp is now"
is "$(stat -c %X "$Q/deferred/${b:0:1}/$b")" "$(mtime "$b")" "-i: access time too"
check "-i: qmgr gets the \"FD\" trigger" inst_wait grep -q 'bytes=FD$' "$TRIG"
is "$(mtime "$a")" "$FUTURE" "-i: other messages are left alone"
postqueue -c "$C" -i ABCDEF12345 2>"$T/err"
is "$?" 1 "-i with an id that is not deferred: exit 1"
is "$(cat "$T/err")" 'postqueue: fatal: Message "ABCDEF12345" not found in the deferred queue' \
    "-i: says so"
postqueue -c "$C" -i ../etc 2>"$T/err"
is "$?" 64 "-i with a malformed id: exit 64"

# -s SITE
n0=$(triggers)
postqueue -c "$C" -s relay.test 2>"$T/err"
ok $? "postqueue -s relay.test exits 0"
ok "$(recent "$a"; echo $?)" "-s: the message for bob@relay.test is touched"
ok "$(recent "$c"; echo $?)" "-s: and the one with erin@RELAY.test among others (case folded)"
is "$(mtime "$d")" "$FUTURE" "-s: a message for another site is left alone"
check "-s: qmgr gets another \"D\"" inst_wait test "$(triggers)" -gt "$n0"
postqueue -c "$C" -s x.sub.test 2>"$T/err"
ok $? "-s for a subdomain listed as .sub.test"
ok "$(recent "$d"; echo $?)" "-s: frank@x.sub.test's message is touched"

postqueue -c "$C" -s other.test 2>"$T/err"
is "$?" 69 "-s for a site not in fast_flush_domains: exit 69"
is "$(cat "$T/err")" 'postqueue: fatal: Flush service is not configured for destination "other.test"' \
    "-s: Postfix's message"
postqueue -c "$C" -s 'a/../b' 2>"$T/err"
is "$?" 64 "-s with a site that is no domain name: exit 64"

# A plain user's postqueue (set-gid postdrop) reaches public/flush too; a
# configuration other than the default must be listed in the default
# main.cf's alternate_config_directories.
USER_=pstflush$$
# (other tests list their own directories there at the same time: each
# adds and removes its own)
trap 'default_cf_disallow "$C"; userdel "$USER_" 2>/dev/null; inst_cleanup' EXIT
if useradd -M -d /nonexistent -s /bin/sh "$USER_" &&
    chgrp postdrop "$POSTERN_INST/sbin/postqueue" && chmod 2555 "$POSTERN_INST/sbin/postqueue"; then
    default_cf_allow "$C"
    touch -d "@$FUTURE" "$Q/deferred/${b:0:1}/$b"
    runuser -u "$USER_" -- env MAIL_CONFIG="$C" PATH="$PATH" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" postqueue -i "$b" 2>"$T/err"
    ok $? "a plain user's postqueue -i exits 0"
    ok "$(recent "$b"; echo $?)" "and the message's time stamp is now"
else
    skip "cannot make a plain user"
    skip "cannot make a plain user"
fi

# The protocol, strictly: raw requests to public/flush.
raw() {
    python3 - "$Q/public/flush" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].replace("|", "\0").encode())
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(4096)
    if not b: break
    data += b
print(data.decode().replace("\0", "|"))
PY
}
is "$(raw "request|send_file|queue_id|$a||")" "status|0||" "a well-formed request: status 0"
is "$(raw "request|send_site|site|relay.test|extra|x||")" "status|3||" "an extra attribute: status 3"
check "with a warning" inst_log_wait "postfix/flush\[[0-9]+\]: warning: malformed request"
is "$(raw "request|send_file|site|relay.test||")" "status|3||" "the wrong attribute for the request: status 3"
is "$(raw "request|purge||")" "status|3||" "an unknown request: status 3"
is "$(raw "request|send_file|queue_id|../../etc/passwd||")" "status|3||" "a queue id that is a path: status 3"
is "$(raw "request|send_site|site|relay.test|request|send_site||")" "status|3||" "a duplicate: status 3"
warnings=$(grep -c 'postfix/flush.*warning' "$LOG")
raw "W" >/dev/null 2>&1
is "$(raw "request|send_file|queue_id|$a||")" "status|0||" "after master's wakeup \"W\" the service still works"
is "$(grep -c 'postfix/flush.*warning' "$LOG")" "$warnings" "the wakeup is not a warning"
check "no panics or fatals" bash -c "! grep -E 'postfix/flush.*(panic|fatal)' '$LOG'"
done_testing
