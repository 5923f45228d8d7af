#!/bin/bash
# The bounce daemon under master, serving bounce, defer and trace (one
# program, chrooted, unprivileged), with cleanup and postlogd. The status
# logs are written for real by the error, retry and discard agents (driven
# by deliver_send, which plays qmgr); bounce_send (lib/bounce_client.h)
# then asks for the notice, and the notice's queue file in incoming/ is
# checked with postcat and Python's email module: headers, the three MIME
# parts, Action/Status per recipient, the null sender, the recipient, the
# removed log; NOTIFY=NEVER gives no notice; a null-sender message gives a
# double bounce to postmaster from double-bounce; RET=HDRS returns the
# headers only; a delay notice keeps the log, EXPIRE logs "status=expired";
# a success notice for NOTIFY=SUCCESS; a bad request gets no reply.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
inst_require bounce error discard cleanup master postlogd
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
MSG=$POSTERN_SRC/test/data/deliver/two-rcpt.msg
DSEND=$POSTERN_BUILD/test/tools/deliver_send
BSEND=$POSTERN_BUILD/test/tools/bounce_send

inst_setup
inst_service "error     unix  -       -       y       -       -       error"
inst_service "retry     unix  -       -       y       -       -       error"
inst_service "discard   unix  -       -       y       -       -       discard"
inst_service "bounce    unix  -       -       y       -       0       bounce"
inst_service "defer     unix  -       -       y       -       0       bounce"
inst_service "trace     unix  -       -       y       -       0       bounce"
check "postfix start" inst_start
for s in public/cleanup private/error private/retry private/discard private/bounce \
    private/defer private/trace; do
    check "$s exists" inst_wait_sock $s
done

# queue_one SENDER NOTIFY [cleanup_submit options...]: a message with two
# recipients (the first expanded from team@example.com), moved to active/.
queue_one() {
    local sender=$1 notify=$2
    shift 2
    inst_submit_active -a rewrite_context=local "$@" -f "$sender" -O team@example.com \
        -D "rfc822;team@example.com" -N "$notify" -r bob@relay.test -N "$notify" \
        -r carol@relay.test <"$MSG"
}
# deliver ID SERVICE NEXTHOP: one delivery request to an agent.
deliver() {
    (cd "$Q" && "$DSEND" -s "private/$2" -n "$3" "$1") >"$T/deliver.out" 2>&1
}
# bsend ARGS...: bounce_send in $Q; prints its answer line.
bsend() {
    (cd "$Q" && "$BSEND" "$@") 2>"$T/bsend.err"
}
notice_of() {
    sed -n 's/^status=0 notice=//p' <<<"$1"
}
# The notice's content as a message file, and its envelope.
content() {
    inst_postcat -h -b "$Q/incoming/$1"
}
envelope() {
    inst_postcat -e "$Q/incoming/$1"
}
# Python's verdict on a notice: the MIME structure, one line per fact.
pycheck() {
    content "$1" >"$T/notice.eml"
    python3 - "$T/notice.eml" <<'EOF'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.compat32)
print("type=%s report-type=%s defects=%d" % (m.get_content_type(), m.get_param('report-type'),
      len(m.defects)))
parts = m.get_payload()
print("parts=" + ",".join(p.get_content_type() for p in parts))
for p in parts:
    if p.get_content_type() == 'message/delivery-status':
        blocks = p.get_payload()
        print("per-message: Reporting-MTA=%s" % blocks[0]['Reporting-MTA'])
        for b in blocks[1:]:
            print("rcpt: %s action=%s status=%s" % (b['Final-Recipient'], b['Action'], b['Status']))
    if p.get_content_type() == 'message/rfc822':
        inner = p.get_payload()[0]
        print("returned: subject=%s body=%d" % (inner['Subject'], len(inner.get_payload())))
EOF
}

# 1. FLUSH: the error agent bounces both recipients, the daemon returns them.
id=$(queue_one alice@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
check "the bounce log bounce/$id is written" test -s "$Q/bounce/$id"
out=$(bsend -c flush -f alice@example.com "$id")
like "$out" '^status=0 notice=[0-9A-F]+$' "flush: status 0 and the notice's queue id"
nid=$(notice_of "$out")
check "the notice is queued in incoming/" inst_complete "$Q/incoming/$nid"
check "the bounce log is removed" test ! -e "$Q/bounce/$id"
check "bounce logs the notification" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: sender non-delivery notification: $nid$"
env=$(envelope "$nid")
like_flat "$env" $'\nsender: \n' "the notice has the null sender"
like_flat "$env" $'\nrecipient: alice@example.com\n' "it goes to the original sender"
hdr=$(content "$nid")
like_flat "$hdr" $'\nFrom: MAILER-DAEMON@mail.example.com \\(Mail Delivery System\\)\n' "From: MAILER-DAEMON"
like_flat "$hdr" $'\nSubject: Undelivered Mail Returned to Sender\n' "Subject"
like_flat "$hdr" $'\nTo: alice@example.com\n' "To: the sender"
like_flat "$hdr" $'\nAuto-Submitted: auto-replied\n' "Auto-Submitted"
like_flat "$hdr" $'\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary="'"$id"'\.[0-9]+/mail.example.com"'$'\n' \
    "multipart/report with the boundary"
like_flat "$hdr" $'\nMessage-I[dD]: <[^>]+@mail.example.com>\n' "cleanup added a Message-Id"
like_flat "$hdr" $'\n<bob@relay.test> \\(expanded from <team@example.com>\\): mailbox unavailable\n' \
    "the text part names the recipient, its original and the reason"
like_flat "$hdr" $'\nReporting-MTA: dns; mail.example.com\nX-Postfix-Queue-ID: '"$id"$'\nX-Postfix-Sender: rfc822; alice@example.com\nArrival-Date: ' \
    "the per-message DSN fields"
like_flat "$hdr" $'\nFinal-Recipient: rfc822; bob@relay.test\nOriginal-Recipient: rfc822;team@example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: X-Postfix; mailbox unavailable\n' \
    "the per-recipient DSN fields"
like_flat "$hdr" $'\nContent-Type: message/rfc822\n\nReturn-Path: <alice@example.com>\n' "the original follows, as message/rfc822"
like "$hdr" "this message goes to an agent that delivers nothing." "with its body (RET default: full)"
is "$(pycheck "$nid")" "type=multipart/report report-type=delivery-status defects=0
parts=text/plain,message/delivery-status,message/rfc822
per-message: Reporting-MTA=dns; mail.example.com
rcpt: rfc822; bob@relay.test action=failed status=5.1.1
rcpt: rfc822; carol@relay.test action=failed status=5.1.1
returned: subject=Two recipients for the delivery agents body=75" \
    "Python's email module parses a valid multipart/report"
out=$(bsend -c flush -f alice@example.com "$id")
is "$out" "status=0 notice=" "asked again (no log left): nothing to do, status 0"

# 2. NOTIFY=NEVER: no notice, the log is removed anyway.
id=$(queue_one alice@example.com 1)
deliver "$id" error "5.1.1 mailbox unavailable"
out=$(bsend -c flush -f alice@example.com "$id")
is "$out" "status=0 notice=" "NOTIFY=NEVER: status 0, no notice"
check "the log is removed" test ! -e "$Q/bounce/$id"
check "and why is logged" inst_log_wait "postfix/bounce\[[0-9]+\]: $id: non-delivery notification: no recipient asked"
# NOTIFY=SUCCESS only: no failure notice either.
id=$(queue_one alice@example.com 2)
deliver "$id" error "5.1.1 mailbox unavailable"
is "$(bsend -c flush -f alice@example.com "$id")" "status=0 notice=" "NOTIFY=SUCCESS: no failure notice"

# 3. A null-sender message: with the default notify_classes, nothing (as
# Postfix); with 2bounce in it, the double bounce goes to postmaster.
id=$(queue_one "" 0)
deliver "$id" error "5.1.1 mailbox unavailable"
is "$(bsend -c flush "$id")" "status=0 notice=" "a null-sender message, default notify_classes: no notice"
check "and why is logged" inst_log_wait "postfix/bounce\[[0-9]+\]: $id: null sender: no non-delivery notification"
check "its log is removed" test ! -e "$Q/bounce/$id"
inst_param notify_classes "resource, software, 2bounce"
postfix reload >/dev/null 2>&1
id=$(queue_one "" 0)
deliver "$id" error "5.1.1 mailbox unavailable"
out=$(bsend -c flush "$id")
nid=$(notice_of "$out")
like "$nid" '^[0-9A-F]+$' "a null-sender message: a notice is queued"
env=$(envelope "$nid")
like_flat "$env" $'\nsender: double-bounce@example.com\n' "from double_bounce_sender"
like_flat "$env" $'\nrecipient: postmaster@example.com\n' "to 2bounce_notice_recipient"
hdr=$(content "$nid")
like_flat "$hdr" $'\nX-Postfix-Sender: rfc822; MAILER-DAEMON\n' "X-Postfix-Sender: MAILER-DAEMON"
like_flat "$hdr" $'\nSubject: Postmaster Copy: Undelivered Mail\n' "Postfix's double-bounce subject"
like_flat "$hdr" $'\nContent-Type: message/rfc822\n' "with the whole original"
check "logged as a postmaster notification" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: postmaster non-delivery notification: $nid$"
# A message from double-bounce itself is never notified again.
id=$(queue_one double-bounce@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
is "$(bsend -c flush -f double-bounce@example.com "$id")" "status=0 notice=" \
    "a failed double bounce: no notice"
check "logged and discarded" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: warning: $id: undeliverable postmaster notification discarded"
check "its log is removed" test ! -e "$Q/bounce/$id"
inst_param notify_classes "resource, software"
postfix reload >/dev/null 2>&1

# 4. RET=HDRS and ENVID.
id=$(queue_one alice@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
nid=$(notice_of "$(bsend -c flush -f alice@example.com -r hdrs -i confirm-0001 "$id")")
hdr=$(content "$nid")
like_flat "$hdr" $'\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\nReturn-Path: <alice@example.com>\n' \
    "RET=HDRS: text/rfc822-headers"
check "without the body" bash -c "! grep -q 'delivers nothing' <<<\"\$1\"" _ "$hdr"
like_flat "$hdr" $'\nOriginal-Envelope-Id: confirm-0001\n' "ENVID: Original-Envelope-Id"
is "$(pycheck "$nid" | sed -n 2p)" "parts=text/plain,message/delivery-status,text/rfc822-headers" \
    "Python sees the headers part"
# A message larger than bounce_size_limit: headers only too, as Postfix does.
inst_param bounce_size_limit 100
postfix reload >/dev/null 2>&1
id=$(queue_one alice@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
nid=$(notice_of "$(bsend -c flush -f alice@example.com "$id")")
like "$(content "$nid")" "Content-Type: text/rfc822-headers" "over bounce_size_limit: headers only"
inst_param bounce_size_limit 50000
postfix reload >/dev/null 2>&1

# notify_classes bounce, delay: a copy of each sender notice for the postmaster.
inst_param notify_classes "resource, software, bounce, delay"
postfix reload >/dev/null 2>&1
id=$(queue_one alice@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
nid=$(notice_of "$(bsend -c flush -f alice@example.com "$id")")
like "$nid" '^[0-9A-F]+$' "notify_classes=bounce: the sender's notice"
check "and the postmaster's copy is logged" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: postmaster non-delivery notification: [0-9A-F]+$"
cid=$(sed -n "s/.*postfix\/bounce\[[0-9]*\]: $id: postmaster non-delivery notification: //p" "$LOG")
like_flat "$(envelope "$cid")" $'\nsender: double-bounce@example.com\n.*recipient: postmaster@example.com\n' \
    "the copy goes to bounce_notice_recipient from double-bounce"
hdr=$(content "$cid")
like_flat "$hdr" $'\nSubject: Postmaster Copy: Undelivered Mail\n' "Subject: Postmaster Copy"
like_flat "$hdr" $'\nContent-Type: text/rfc822-headers\n' "with the headers only"
id=$(queue_one alice@example.com 0)
deliver "$id" retry "4.4.1 connection refused"
bsend -s defer -c warn -f alice@example.com "$id" >/dev/null
check "notify_classes=delay: a postmaster delay copy" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: postmaster delay notification: [0-9A-F]+$"
inst_param notify_classes "resource, software"
postfix reload >/dev/null 2>&1

# 5. defer: WARN keeps the log, EXPIRE returns the message and removes it.
id=$(queue_one alice@example.com 0)
deliver "$id" retry "4.4.1 connection refused"
h=${id:0:1}
check "the defer log defer/$h/$id is written" test -s "$Q/defer/$h/$id"
nid=$(notice_of "$(bsend -s defer -c warn -f alice@example.com "$id")")
like "$nid" '^[0-9A-F]+$' "warn: a delay notice is queued"
hdr=$(content "$nid")
like_flat "$hdr" $'\nSubject: Delayed Mail \\(still being retried\\)\n' "Subject: Delayed Mail"
like_flat "$hdr" $'\nAction: delayed\nStatus: 4.4.1\n' "Action: delayed"
like_flat "$hdr" $'\nWill-Retry-Until: ' "Will-Retry-Until"
like "$hdr" "Content-Type: text/rfc822-headers" "a delay notice returns the headers"
check "warn: the defer log stays" test -s "$Q/defer/$h/$id"
check "bounce logs the delay notification" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: sender delay notification: $nid$"
deliver "$id" retry "4.4.2 still refused"
is "$(grep -c '^recipient=bob@relay.test' "$Q/defer/$h/$id")" 2 "a second attempt appends a second record"
nid=$(notice_of "$(bsend -s defer -c expire -f alice@example.com "$id")")
like "$nid" '^[0-9A-F]+$' "expire: a non-delivery notice is queued"
hdr=$(content "$nid")
like_flat "$hdr" $'\nSubject: Undelivered Mail Returned to Sender\n' "expire: Undelivered Mail"
like_flat "$hdr" $'\nAction: failed\nStatus: 4.4.2\n' "expire: Action: failed with the last status"
is "$(grep -c '^Final-Recipient: rfc822; bob@relay.test' <<<"$hdr")" 1 "each recipient once, with its latest record"
check "expire: the defer log is removed" test ! -e "$Q/defer/$h/$id"
check "expire logs status=expired" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: from=<alice@example.com>, status=expired, returned to sender$"
check "and the notification" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: sender non-delivery notification: $nid$"

# Files Postfix 3.7 wrote: its deferred queue file and defer log, expired.
FX=$POSTERN_SRC/test/data/bounce
if [ -f "$FX/postfix-2reasons.F39411061AA" ]; then
    install -d -o postfix -m 700 "$Q/deferred/F" "$Q/defer/F"
    install -m 700 -o postfix "$FX/postfix-2reasons.F39411061AA" "$Q/deferred/F/F39411061AA"
    install -m 600 -o postfix "$FX/postfix-2reasons.defer" "$Q/defer/F/F39411061AA"
    nid=$(notice_of "$(bsend -s defer -c expire -q deferred -f alice@example.com F39411061AA)")
    like "$nid" '^[0-9A-F]+$' "Postfix's queue file and defer log: a notice"
    hdr=$(content "$nid")
    like_flat "$hdr" $'\n<x@soft.test>: host 127.0.0.3\[127.0.0.3\] said: 450 4.3.0 Error: command failed\n    \(in reply to RCPT TO command\)\n' \
        "its reason, wrapped as Postfix wraps it"
    like_flat "$hdr" $'\nArrival-Date: Sat, 21 Nov 2026 12:15:42 \+0000 \(UTC\)\n' "the arrival time from its T record"
    like_flat "$hdr" $'\nFinal-Recipient: rfc822; x@soft.test\nOriginal-Recipient: rfc822;x@soft.test\nAction: failed\nStatus: 4.3.0\nRemote-MTA: dns; 127.0.0.3\nDiagnostic-Code: smtp; 450 4.3.0 Error: command failed\n' \
        "Remote-MTA and the smtp Diagnostic-Code from diag_*/mta_* fields"
    like_flat "$hdr" $'\nFinal-Recipient: rfc822; y@down.test\nOriginal-Recipient: rfc822;y@down.test\nAction: failed\nStatus: 4.4.1\nDiagnostic-Code: X-Postfix; connect to 127.0.0.9\[127.0.0.9\]:25: Connection\n    refused\n' \
        "X-Postfix Diagnostic-Code without a remote reply"
    like "$hdr" "Subject: Three deferral reasons" "the whole original is returned"
    check "Postfix's defer log is removed" test ! -e "$Q/defer/F/F39411061AA"
else
    skip "no Postfix fixtures"
fi

# 8-bit content: kept intact, declared 8bit, still a valid report.
id=$(printf 'From: alice@example.com\nSubject: caf\xc3\xa9\n\nd\xc3\xa9j\xc3\xa0 vu\n' |
    inst_submit -a rewrite_context=local -a encoding=8bit -f alice@example.com -r bob@relay.test &&
    sed -n 's/^queue_id=//p' "$T/submit.out")
mv "$Q/incoming/$id" "$Q/active/$id"
deliver "$id" error "5.1.1 mailbox unavailable"
nid=$(notice_of "$(bsend -c flush -f alice@example.com -e 8bit "$id")")
content "$nid" >"$T/8bit.eml"
is "$(grep -c '^Content-Transfer-Encoding: 8bit$' "$T/8bit.eml")" 2 "8BITMIME: 8bit on the notice and on its message/rfc822 part"
check "the 8-bit body is intact" grep -q $'^d\xc3\xa9j\xc3\xa0 vu$' "$T/8bit.eml"
like "$(envelope "$nid")" "encoding=8bit" "the notice is queued as 8bit"
like "$(pycheck "$nid" | sed -n 2p)" "^parts=text/plain,message/delivery-status,message/rfc822$" "and parses"

# 6. trace: NOTIFY=SUCCESS gives a success notice.
id=$(queue_one alice@example.com 2)
deliver "$id" discard ""
check "the trace log trace/$id is written" test -s "$Q/trace/$id"
nid=$(notice_of "$(bsend -s trace -c trace -f alice@example.com "$id")")
like "$nid" '^[0-9A-F]+$' "trace: a success notice is queued"
hdr=$(content "$nid")
like_flat "$hdr" $'\nSubject: Successful Mail Delivery Report\n' "Subject: Successful Mail Delivery Report"
like_flat "$hdr" $'\nAction: delivered\nStatus: 2.0.0\n' "Action: delivered"
check "trace: the log is removed" test ! -e "$Q/trace/$id"
check "bounce logs the delivery status notification" inst_log_wait \
    "postfix/bounce\[[0-9]+\]: $id: sender delivery status notification: $nid$"

# 7. Bad requests and bad logs.
out=$(bsend -c flush -f alice@example.com "AB/CD")
like "$out" '^status=-1 why=' "an invalid queue id: no reply"
check "the daemon logs why" inst_log_wait "postfix/bounce\[[0-9]+\]: warning: bad bounce request .*invalid queue id"
out=$(bsend -q maildrop -c flush -f alice@example.com "ABCDEF12345")
like "$out" '^status=-1 why=' "a queue that is not allowed: no reply"
id=$(queue_one alice@example.com 0)
printf 'garbage\n\nrecipient=x@y\nstatus=bad\nreason=r\n' >"$Q/bounce/$id"
chown postfix "$Q/bounce/$id"
is "$(bsend -c flush -f alice@example.com "$id")" "status=0 notice=" "a log of bad records only: no notice"
check "the bad records are logged" inst_log_wait "postfix/bounce\[[0-9]+\]: warning: $id: status log: record with"
# Hostile bytes on private/bounce: each connection is refused with a
# warning, no reply, no crash.
raw() {
    python3 - "$Q/private/bounce" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10)
s.connect(sys.argv[1])
kind = sys.argv[2]
good = [b"nrequest", b"1", b"flags", b"0", b"queue_name", b"active", b"queue_id", b"ABCDEF12345",
        b"encoding", b"", b"smtputf8", b"0", b"sender", b"a@b", b"envelope_id", b"", b"ret_flags", b"0"]
if kind == "missing":
    data = b"\0".join(good[:4]) + b"\0\0"
elif kind == "extra":
    data = b"\0".join(good + [b"bogus", b"1"]) + b"\0\0"
elif kind == "dup":
    data = b"\0".join(good + [b"flags", b"0"]) + b"\0\0"
elif kind == "long":
    data = b"\0".join(good[:12] + [b"sender", b"x" * 20000]) + b"\0\0"
elif kind == "cmd":
    data = b"\0".join([b"nrequest", b"9"] + good[2:]) + b"\0\0"
elif kind == "flags":    # the sendmail -v flag belongs to TRACE only
    data = b"\0".join(good[:2] + [b"flags", b"1024"] + good[4:]) + b"\0\0"
else:
    data = bytes(range(256)) * 10
try:
    s.sendall(data)
    print("reply=%d" % len(s.recv(100)))
except OSError:
    print("reply=0")
EOF
}
for k in missing extra dup long cmd flags garbage; do
    is "$(raw $k)" "reply=0" "hostile request ($k): no reply"
done
check "each is logged as a bad request" inst_log_wait "postfix/bounce\[[0-9]+\]: warning: bad bounce request.*unknown command"
check "FLUSH with flags 1024 (sendmail -v, TRACE only): unknown flags" \
    inst_log_wait "postfix/bounce\[[0-9]+\]: warning: bad bounce request.*unknown flags"
like "$(bsend -c flush -f alice@example.com ABCDEF12345)" '^status=0 notice=$' "the service still answers"

# cleanup unreachable: status -1, the log stays for the next try.
id=$(queue_one alice@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
mv "$Q/public/cleanup" "$Q/public/cleanup.off"
like "$(bsend -c flush -f alice@example.com "$id")" '^status=-1 why=' "cleanup unreachable: status -1"
check "the log stays" test -s "$Q/bounce/$id"
mv "$Q/public/cleanup.off" "$Q/public/cleanup"
like "$(bsend -c flush -f alice@example.com "$id")" '^status=0 notice=[0-9A-F]+$' "asked again: the notice"
check "no bounce worker died" bash -c "! grep -E 'postfix/bounce.*(panic|fatal)|bounce.*terminated' '$LOG'"

inst_stop

# 8. Under the sanitizers without the chroot (LeakSanitizer needs /proc):
# the bounce workers' reports go to $T/asan/; max_use 1 makes each worker
# exit normally after its client, which runs the leak check.
inst_param max_use 1
inst_param notify_classes "resource, software, 2bounce"
sed -i -E 's/^(bounce|defer|trace)( +unix +- +- +)y/\1\2n/' "$C/master.cf"
mkdir -p "$T/asan" && chmod 1777 "$T/asan" # the workers run as mail_owner
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/asan/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/asan/ubsan"
check "postfix start (bounce not chrooted)" inst_start
check "private/bounce exists" inst_wait_sock private/bounce
id=$(queue_one alice@example.com 0)
deliver "$id" error "5.1.1 mailbox unavailable"
like "$(bsend -c flush -f alice@example.com -r hdrs "$id")" '^status=0 notice=[0-9A-F]+$' "flush, unchrooted"
id=$(queue_one "" 0)
deliver "$id" error "5.1.1 mailbox unavailable"
like "$(bsend -c flush "$id")" '^status=0 notice=[0-9A-F]+$' "a double bounce, unchrooted"
id=$(queue_one alice@example.com 2)
deliver "$id" discard ""
like "$(bsend -s trace -c trace -f alice@example.com "$id")" '^status=0 notice=[0-9A-F]+$' "trace, unchrooted"
printf 'garbage\n' >"$Q/bounce/$id"
bsend -c flush -f alice@example.com "$id" >/dev/null
bsend -c flush -f alice@example.com "AB/CD" >/dev/null
no_bounce_workers() {
    [ -z "$(inst_workers bounce)$(inst_workers defer)$(inst_workers trace)" ]
}
check "every bounce worker has exited (max_use 1)" inst_wait no_bounce_workers
inst_stop
reports=$(grep -l -E 'bounce' "$T"/asan/* 2>/dev/null)
is "$reports" "" "no sanitizer report from a bounce worker"
[ -n "$reports" ] && head -30 $reports | sed 's/^/# /'
done_testing
