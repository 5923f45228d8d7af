#!/bin/bash
# qmgr routes by sender as well as by recipient:
# sender_dependent_relayhost_maps (the Gmail/SES relay tutorials' setup:
# the sender address, then @domain, decide the relay host; the null sender
# is looked up as empty_address_relayhost_maps_lookup_key; DUNNO keeps
# relayhost) and sender_dependent_default_transport_maps (replaces
# default_transport). transport_maps still wins. The delivery agent is
# test_agent, which records each request's service and next hop.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require qmgr cleanup master postlogd

inst_setup
A=$T/agent
inst_service "qmgr      unix  n       -       n       300     1       qmgr"
inst_agent test "$A"
inst_agent bulk "$A"
inst_param default_transport test
inst_param relayhost "[global.example]"
inst_param empty_address_relayhost_maps_lookup_key "<null>"
inst_param sender_dependent_relayhost_maps \
    "inline:{alice@gmail.test=[smtp.gmail.com]:587, @corp.test=[ses.example]:587, <null>=[bounces.example], @dunno.test=DUNNO}"
inst_param sender_dependent_default_transport_maps "inline:{bob@bulk.test=bulk:[bulk.example]}"
inst_param transport_maps "inline:{pinned.test=test:[pinned.example]}"
check "postfix start" inst_start
check "qmgr listens" inst_wait_sock public/qmgr

MSG="Subject: sender routing

hello"
submit() {
    inst_submit "$@" <<<"$MSG" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
delivered() { grep -q "^$1 " "$A/delivered" 2>/dev/null; }
# The request line of a message: "service=S nexthop=H".
route() { grep " id=$1 " "$A/requests" | awk '{print $1, $2}'; }

check_route() { # sender recipient expected-service expected-nexthop what
    local id
    id=$(submit -f "$1" -r "$2")
    if [ -z "$id" ]; then
        ok 0 "$5: queued"
        return
    fi
    check "$5: delivered" inst_wait delivered "$id"
    is "$(route "$id")" "service=$3 nexthop=$4" "$5"
}

check_route alice@gmail.test u@other.test test "[smtp.gmail.com]:587" "sender address -> its relay host"
check_route Alice@Gmail.TEST u@other.test test "[smtp.gmail.com]:587" "the sender is looked up case-insensitively"
check_route carol@corp.test u@other.test test "[ses.example]:587" "@domain of the sender -> its relay host"
check_route "" u@other.test test "[bounces.example]" "null sender -> empty_address_relayhost_maps_lookup_key"
check_route dan@dunno.test u@other.test test "[global.example]" "DUNNO keeps relayhost"
check_route eve@else.test u@other.test test "[global.example]" "no match: relayhost"
check_route bob@bulk.test u@other.test bulk "[bulk.example]" "sender_dependent_default_transport_maps"
check_route carol@corp.test u@pinned.test test "[pinned.example]" "transport_maps overrides the sender's relay host"

# Two senders, one recipient domain: two next hops, so two requests.
id=$(submit -f carol@corp.test -r x@other.test)
id2=$(submit -f alice@gmail.test -r y@other.test)
check "both delivered" inst_wait bash -c "grep -q '^$id ' '$A/delivered' && grep -q '^$id2 ' '$A/delivered'"
check "the same recipient domain goes to different relays by sender" test "$(route "$id")" != "$(route "$id2")"

inst_stop
check "qmgr never crashed (sanitizers)" \
    bash -c "! grep -E 'qmgr.*(panic|fatal|runtime error|Sanitizer)' '$LOG'"
done_testing
