#!/bin/bash
# qmgr under master: messages move incoming/ -> active/ and reach the
# service the resolver picks, with the right next hop: transport_maps
# (domain, full address, [host]:port, discard:), relayhost for the
# default class, mydestination -> local_transport (local:$myhostname
# shape), recipients of one next hop share a request (up to the transport's
# recipient limit: 1 for our "local"), and the Postfix log lines
# "ID: from=<...>, size=N, nrcpt=N (queue active)" and "ID: removed".
# The delivery agent is test_agent (test/daemons), which records each
# request and marks the recipients done.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd discard

inst_setup
A=$T/agent
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_agent test "$A"
inst_agent loc "$A"
inst_service "discard   unix  -       -       y       -       -       discard"
inst_param default_transport test
inst_param relayhost "[smart.example]"
inst_param local_transport 'loc:$myhostname'
inst_param loc_destination_recipient_limit 1
inst_param transport_maps "inline:{route.test=test:[hop.example]:2525, vip@other.test=test:vip-hop, null.test=discard:}"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr
check "cleanup listens" inst_wait_sock public/cleanup

MSG="Subject: route test

hello"
submit() {
    inst_submit -f alice@example.com "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
delivered() { [ "$(cat "$A/delivered" 2>/dev/null | grep -c "^$1 ")" -ge "$2" ]; }

# Three recipients at one next hop: one request.
id=$(submit -r a@route.test -r b@route.test -r c@route.test)
like "$id" '^[0-9A-F]{6,}$' "a message with three recipients is queued"
check "all three are delivered" inst_wait delivered "$id" 3
is "$(grep -c "id=$id " "$A/requests")" 1 "one request for the three"
like "$(grep "id=$id " "$A/requests")" "^service=test nexthop=\[hop.example\]:2525 id=$id n=3 rcpt=a@route.test,b@route.test,c@route.test$" \
    "transport_maps: test with the [host]:port next hop"
check "qmgr logs the (queue active) line" inst_log_wait \
    "postfix/qmgr\[[0-9]+\]: $id: from=<alice@example.com>, size=[0-9]+, nrcpt=3 \(queue active\)$"
check "qmgr logs removed" inst_log_wait "postfix/qmgr\[[0-9]+\]: $id: removed$"
check "the queue file is gone" inst_wait test ! -e "$Q/active/$id"
is "$(inst_queue_files incoming)$(inst_queue_files active)$(inst_queue_files deferred)" "" \
    "incoming, active and deferred are empty"
like "$(grep "$id: to=<a@route.test>" "$LOG")" "relay=test, delay=.*status=sent \(delivered to test agent\)" \
    "the agent's status=sent line"

# Default class with relayhost; a full-address key; mydestination -> loc.
id=$(submit -r x@other.test -r vip@other.test -r bob@mail.example.com -r carol@localhost)
check "four recipients delivered" inst_wait delivered "$id" 4
like "$(grep "id=$id .*rcpt=x@other.test" "$A/requests")" "^service=test nexthop=\[smart.example\] id=$id n=1 " \
    "default class: default_transport with relayhost as next hop"
like "$(grep "id=$id .*rcpt=vip@other.test" "$A/requests")" "^service=test nexthop=vip-hop id=$id n=1 " \
    "transport_maps full address key"
like "$(grep "id=$id .*rcpt=bob@mail.example.com" "$A/requests")" "^service=loc nexthop=mail.example.com id=$id n=1 rcpt=bob@mail.example.com$" \
    "mydestination: local_transport with its next hop"
like "$(grep "id=$id .*rcpt=carol@localhost" "$A/requests")" "^service=loc nexthop=mail.example.com id=$id n=1 rcpt=carol@localhost$" \
    "localhost is in the default mydestination; loc's recipient limit 1: its own request"
is "$(grep -c "id=$id " "$A/requests")" 4 "four requests (two next hops for test, two for loc)"
check "removed" inst_log_wait "$id: removed$"

# discard: through transport_maps.
id=$(submit -r z@null.test)
check "discard: removed" inst_log_wait "$id: removed$"
like "$(grep "$id: to=<z@null.test>" "$LOG")" "relay=none, .*status=sent" "discard logged status=sent"
is "$(grep -c "id=$id " "$A/requests")" 0 "nothing reached the test agent"

# A trigger alone (no new mail) changes nothing; an incomplete file in
# incoming/ (no owner-execute bit) is left alone.
printf 'not a queue file' >"$Q/incoming/ABCDEF12345"
chmod 600 "$Q/incoming/ABCDEF12345"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"I"); s.close()' "$Q/public/qmgr"
id=$(submit -r after@route.test)
check "a later message is still delivered" inst_wait delivered "$id" 1
check "the incomplete file is still in incoming/" test -e "$Q/incoming/ABCDEF12345"
rm -f "$Q/incoming/ABCDEF12345"

# A damaged complete file goes to corrupt/, never delivered, never deleted.
printf 'garbage' >"$Q/incoming/ABCDEF12346"
chown postfix "$Q/incoming/ABCDEF12346"
chmod 700 "$Q/incoming/ABCDEF12346"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"I"); s.close()' "$Q/public/qmgr"
check "a damaged file goes to corrupt/" inst_wait test -e "$Q/corrupt/ABCDEF12346"
check "with a warning" inst_log_wait "postfix/qmgr\[[0-9]+\]: warning: ABCDEF12346: .*corrupt"

# A reload ends qmgr (EOF on its status channel) while master and postlogd
# still run: its exit status is logged if it is not 0 (a leak report of
# the sanitizer build, a crash).
old=$(inst_workers qmgr)
postfix reload >/dev/null 2>&1
check "qmgr exits on reload" inst_wait bash -c "! kill -0 $old 2>/dev/null"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"I"); s.close()' "$Q/public/qmgr"
newq() { local p; p=$(inst_workers qmgr); [ -n "$p" ] && [ "$p" != "$old" ]; }
check "a new qmgr starts" inst_wait newq
check "the old one exited with status 0" bash -c "! grep -E 'qmgr pid $old (exit status|killed)' '$LOG'"
inst_stop
check "qmgr never crashed and exited cleanly (sanitizers, leaks)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)|qmgr pid [0-9]+ (exit status|killed)' '$LOG'"
done_testing
