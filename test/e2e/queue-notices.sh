#!/bin/bash
# Delivery notices on a live system (master with the whole mail system,
# mail by SMTP and sendmail, a local test user whose mbox is in the test
# folder):
#   delay_warning_time 1s with the destination down: one "Delayed Mail
#     (still being retried)" notice, exactly once, however many retries;
#   maximal_queue_lifetime 8s: the same message then expires ("status=
#     expired, returned to sender"), the sender gets "Undelivered Mail
#     Returned to Sender", and the queue is empty;
#   DSN: NOTIFY=SUCCESS to a local user -> "Successful Mail Delivery
#     Report"; NOTIFY=NEVER to an unknown user -> no notice; a null-sender
#     message to an unknown user -> no notice with the default
#     notify_classes, and with 2bounce in it a notice to postmaster (aliased
#     to the test user); never one to the null sender.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

U=pstqn$$
inst_setup
MAIL=$T/mail
mkdir -p "$MAIL"
chmod 1777 "$MAIL"
trap 'userdel "$U" 2>/dev/null; inst_cleanup' EXIT
useradd -M -d /nonexistent -s /bin/sh "$U"
ok $? "test user $U"

INST_SMTPD_PORT=$(inst_port)
DOWN_PORT=$(inst_port)
inst_master_cf_full
inst_param mydestination '$myhostname, localhost, example.com'
inst_param mail_spool_directory "$MAIL"
inst_param alias_maps "hash:$C/aliases"
inst_param alias_database "hash:$C/aliases"
inst_param local_recipient_maps ''
inst_param smtpd_error_sleep_time 0
inst_param transport_maps "inline:{down.test=smtp:[127.0.0.1]:$DOWN_PORT}"
inst_param delay_warning_time 1s
inst_param maximal_queue_lifetime 8s
inst_param bounce_queue_lifetime 8s
inst_param minimal_backoff_time 1s
inst_param maximal_backoff_time 1s
inst_param queue_run_delay 1s
inst_param smtp_connect_timeout 5s
printf 'postmaster: %s\n' "$U" >"$C/aliases"
postalias "hash:$C/aliases"
ok $? "postalias: postmaster -> $U"
inst_start
ok $? "master runs the whole mail system"
inst_wait_sock public/qmgr && inst_wait_sock private/local && inst_wait_sock private/bounce
ok $? "qmgr, local and bounce are listening"

# smtp_send FROM TO SUBJECT [RCPT-OPTION]: Message-ID <SUBJECT@test>
smtp_send() {
    python3 - "$ADDR" "$INST_SMTPD_PORT" "$@" <<'PY'
import smtplib, sys
addr, port, frm, to, subj = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ropts = sys.argv[6:]
msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\nbody of %s\r\n"
       % (frm or "nobody@client.example.org", to, subj, subj, subj))
with smtplib.SMTP(addr, port, local_hostname="client.example.org", timeout=20) as s:
    s.ehlo()
    s.mail(frm)
    code, resp = s.rcpt(to, ropts)
    if code != 250: sys.exit("RCPT: %d %s" % (code, resp))
    code, resp = s.data(msg.encode())
    if code != 250: sys.exit("DATA: %d %s" % (code, resp))
PY
}
qid() {
    inst_wait grep -qE "cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$1@test>" "$LOG" || return 1
    grep -E "cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$1@test>" "$LOG" | tail -1 |
        sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'
}
# subjects: the Subject lines in the user's mbox, one a line
subjects() { python3 - "$MAIL/$U" <<'PY'
import mailbox, sys, os
if os.path.exists(sys.argv[1]):
    for m in mailbox.mbox(sys.argv[1]):
        print(m["Subject"])
PY
}
count_subject() { subjects | grep -cxF "$1"; }
has_subject() { [ "$(count_subject "$1")" -ge 1 ]; }
queue_empty() { [ -z "$(find "$Q/incoming" "$Q/active" "$Q/deferred" "$Q/hold" -type f 2>/dev/null)" ]; }

# --- DSN NOTIFY=SUCCESS to a local user ----------------------------------------------
smtp_send "$U@example.com" "$U@example.com" success1 NOTIFY=SUCCESS
ok $? "by SMTP: RCPT TO:<$U@example.com> NOTIFY=SUCCESS"
S=$(qid success1)
inst_wait has_subject success1
ok $? "the message is delivered to $U"
inst_wait has_subject "Successful Mail Delivery Report"
ok $? "$U gets a Successful Mail Delivery Report"
inst_log_wait "bounce\[[0-9]+\]: $S: sender delivery status notification: [0-9A-F]+"
ok $? "log: $S: sender delivery status notification: NEWID"
python3 - "$MAIL/$U" "$U@example.com" <<'PY'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m["Subject"] != "Successful Mail Delivery Report":
        continue
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    status = m.get_payload()[1].as_string()
    assert "Final-Recipient: rfc822; %s" % sys.argv[2] in status, status
    assert "Action: delivered" in status and "Status: 2.0.0" in status, status
    assert m["Return-Path"] == "<>", m["Return-Path"]
    sys.exit(0)
sys.exit(1)
PY
ok $? "the report says Action: delivered, Status: 2.0.0, from the null sender"

# --- DSN NOTIFY=NEVER to an unknown user -----------------------------------------------
smtp_send "$U@example.com" "nosuch1@example.com" never1 NOTIFY=NEVER
ok $? "by SMTP: RCPT TO:<nosuch1@example.com> NOTIFY=NEVER"
N=$(qid never1)
inst_wait grep -qE "$N: to=<nosuch1@example.com>, relay=local, .*dsn=5\.1\.1, status=bounced" "$LOG"
ok $? "log: nosuch1 bounced (5.1.1)"
inst_log_wait "qmgr\[[0-9]+\]: $N: removed"
ok $? "log: $N: removed"
! grep -qE "$N: sender non-delivery notification" "$LOG"
ok $? "no non-delivery notification for $N"
is "$(count_subject "Undelivered Mail Returned to Sender")" 0 "no bounce notice in $U's mailbox"

# --- a bounce of a bounce: dropped by default, to postmaster with 2bounce -------------
smtp_send "" "nosuch3@example.com" nullsender0
ok $? "by SMTP: MAIL FROM:<> to nosuch3@example.com (default notify_classes)"
B0=$(qid nullsender0)
inst_wait grep -qE "$B0: to=<nosuch3@example.com>, relay=local, .*dsn=5\.1\.1, status=bounced" "$LOG"
ok $? "log: nosuch3 bounced (5.1.1)"
inst_log_wait "bounce\[[0-9]+\]: $B0: null sender: no non-delivery notification"
ok $? "log: null sender: no non-delivery notification (as Postfix: no 2bounce in notify_classes)"
inst_log_wait "qmgr\[[0-9]+\]: $B0: removed"
ok $? "log: $B0: removed"
is "$(count_subject "Postmaster Copy: Undelivered Mail")" 0 "no postmaster notice"

old_bounce=$(inst_workers bounce)
inst_param notify_classes "resource, software, 2bounce"
postfix reload >/dev/null 2>&1
ok $? "notify_classes gets 2bounce; postfix reload"
gone() { local p; for p in $old_bounce; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
inst_wait gone
ok $? "the bounce processes of the old configuration have exited"
smtp_send "" "nosuch2@example.com" nullsender1
ok $? "by SMTP: MAIL FROM:<> to nosuch2@example.com"
B=$(qid nullsender1)
inst_wait grep -qE "$B: to=<nosuch2@example.com>, relay=local, .*dsn=5\.1\.1, status=bounced" "$LOG"
ok $? "log: nosuch2 bounced (5.1.1)"
inst_wait has_subject "Postmaster Copy: Undelivered Mail"
ok $? "postmaster ($U, by alias) gets the notice"
inst_log_wait "bounce\[[0-9]+\]: $B: postmaster non-delivery notification: [0-9A-F]+"
ok $? "log: $B: postmaster non-delivery notification: NEWID"
P=$(grep -E "bounce\[[0-9]+\]: $B: postmaster non-delivery notification: " "$LOG" | head -1 | sed -E 's/.*: //')
inst_log_wait "qmgr\[[0-9]+\]: $P: from=<double-bounce@example.com>"
ok $? "the postmaster notice comes from double-bounce"
python3 - "$MAIL/$U" <<'PY'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m["Subject"] != "Postmaster Copy: Undelivered Mail":
        continue
    status = m.get_payload()[1].as_string()
    assert "Final-Recipient: rfc822; nosuch2@example.com" in status, status
    assert "Action: failed" in status and "Status: 5.1.1" in status, status
    assert "Subject: nullsender1" in m.as_string(), "original headers missing"
    sys.exit(0)
sys.exit(1)
PY
ok $? "the postmaster notice reports nosuch2 as failed, with the original headers"
inst_log_wait "qmgr\[[0-9]+\]: $B: removed"
ok $? "log: $B: removed"
! grep -qE "$B: sender non-delivery notification|to=<>" "$LOG"
ok $? "nothing is ever sent to the null sender"

# --- delay warning, then expiry, to a destination that is down -------------------------
printf 'To: x@down.test\nSubject: delayed1\nMessage-ID: <delayed1@test>\n\nbody\n' |
    sendmail -f "$U@example.com" x@down.test
ok $? "by sendmail: to x@down.test (down)"
W=$(qid delayed1)
inst_wait grep -qE "$W: to=<x@down.test>, .*status=deferred" "$LOG"
ok $? "log: $W deferred"
inst_wait has_subject "Delayed Mail (still being retried)"
ok $? "$U gets a Delayed Mail (still being retried) notice"
inst_log_wait "bounce\[[0-9]+\]: $W: sender delay notification: [0-9A-F]+"
ok $? "log: $W: sender delay notification: NEWID"
INST_WAIT=200 inst_log_wait "$W: from=<$U@example.com>, status=expired, returned to sender"
ok $? "log: $W: status=expired, returned to sender"
INST_WAIT=150 inst_wait has_subject "Undelivered Mail Returned to Sender"
ok $? "$U gets an Undelivered Mail Returned to Sender notice"
retries=$(grep -cE "$W: to=<x@down.test>, .*status=deferred" "$LOG")
[ "$retries" -ge 3 ]
ok $? "the message was tried several times ($retries) before it expired"
is "$(count_subject "Delayed Mail (still being retried)")" 1 "exactly one delay notice"
is "$(grep -cE "$W: sender delay notification" "$LOG")" 1 "log: one delay notification"
python3 - "$MAIL/$U" <<'PY'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m["Subject"] != "Undelivered Mail Returned to Sender":
        continue
    status = m.get_payload()[1].as_string()
    assert "Final-Recipient: rfc822; x@down.test" in status, status
    assert "Action: failed" in status, status
    sys.exit(0)
sys.exit(1)
PY
ok $? "the expiry notice reports x@down.test as failed"
inst_log_wait "qmgr\[[0-9]+\]: $W: removed"
ok $? "log: $W: removed"
inst_wait queue_empty
ok $? "the queue is empty"
is "$(mailq 2>&1)" "Mail queue is empty" "mailq: Mail queue is empty"

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status|killed by signal" "$LOG"
ok $? "no panic, fatal error, crash or sanitizer report in the log"
done_testing
