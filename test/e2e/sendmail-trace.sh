#!/bin/bash
# sendmail -v end to end (postfix sendmail(1): "Send an email report of the
# first delivery attempt"), under master with the whole mail system, sent by
# a plain user:
#   one message to three local recipients: one delivered ($SUB_USER), one
#   unknown (bounced, 5.1.1), one whose alias is a command that exits 75
#   (deferred), and one relayed by smtp to a sink (Postfix's action word for
#   an SMTP hand-off is "relayed", with the server as Remote-MTA).
#   The sender's mailbox gets exactly one "Mail Delivery Status Report"
#   (RFC 3464 multipart/report) listing all four with their actions
#   (delivered, failed, delayed, relayed), besides the delivered message
#   and the usual non-delivery notice;
#   the queue file's trace request is cleared in place (trace_flags=0000,
#   which Debian's Postfix postcat reads when the oracle is at hand), and a
#   second attempt (postqueue -f) defers again without a second report;
#   the same message without -v: no report, no trace/ log.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
sub_inst_setup || { echo "# set-up failed"; exit 1; }
. "$POSTERN_SRC/test/lib/oracle.sh"
HAVE_ORACLE=1
oracle_setup || HAVE_ORACLE=0
trap 'sink_stop_all; sub_user_cleanup; inst_cleanup' EXIT
U=$SUB_USER

MAIL=$T/mail
mkdir -p "$MAIL"
chmod 1777 "$MAIL"
inst_master_cf_full
inst_param mydestination '$myhostname, localhost, example.com'
inst_param mail_spool_directory "$MAIL"
inst_param alias_maps "hash:$C/aliases"
inst_param alias_database "hash:$C/aliases"
inst_param local_recipient_maps ''
SPORT=$(inst_port)
inst_param transport_maps "inline:{relay.test=smtp:[$ADDR]:$SPORT}"
check "an SMTP sink on $ADDR:$SPORT" sink_start relay "$ADDR:$SPORT"
printf 'later: "|exit 75"\n' >"$C/aliases"
postalias "hash:$C/aliases"
ok $? "postalias: later -> a command that exits 75 (EX_TEMPFAIL)"
postfix check >"$T/check.out" 2>&1
ok $? "postfix check"
inst_start
ok $? "master runs the whole mail system"
inst_wait_sock public/qmgr && inst_wait_sock public/pickup && inst_wait_sock private/local \
    && inst_wait_sock private/trace
ok $? "pickup, qmgr, local and trace are listening"

# send ID SENDMAIL-ARGS...: a message with Message-ID <ID@test> from $U
send() {
    local id=$1
    shift
    printf 'Subject: %s\nMessage-ID: <%s@test>\n\nbody of %s\n' "$id" "$id" "$id" |
        as_user sendmail "$@" >"$T/send.out" 2>"$T/send.err"
}
qid() {
    inst_wait grep -qE "cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$1@test>" "$LOG" || return 1
    grep -E "cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$1@test>" "$LOG" | tail -1 |
        sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'
}
subjects() { python3 - "$MAIL/$U" <<'PY'
import mailbox, sys, os
if os.path.exists(sys.argv[1]):
    for m in mailbox.mbox(sys.argv[1]):
        print(m["Subject"])
PY
}
count_subject() { subjects | grep -cxF "$1"; }
has_subject() { [ "$(count_subject "$1")" -ge "${2:-1}" ]; }
# deferred_n QID N: the later@ recipient of QID was deferred N times
deferred_n() {
    [ "$(grep -cE "$1: to=<later@example.com>, .*status=deferred" "$LOG")" -ge "$2" ]
}
in_deferred() { [ -n "$(find "$Q/deferred" -type f -name "$1" 2>/dev/null)" ]; }
qfile() { find "$Q/deferred" -type f -name "$1" | head -1; }
REPORT="Mail Delivery Status Report"

# --- sendmail -v: the report of the first attempt ----------------------------------
send trace1 -v "$U@example.com" nosuch@example.com later@example.com bob@relay.test
ok $? "sendmail -v to $U, nosuch, later and bob@relay.test exits 0"
is "$(cat "$T/send.out")" "Mail Delivery Status Report will be mailed to <$U>." \
    "sendmail -v says a report will come"
V=$(qid trace1)
ok $? "the message is queued as $V"
inst_wait has_subject trace1
ok $? "the message is delivered to $U"
inst_wait grep -qE "$V: to=<nosuch@example.com>, relay=local, .*dsn=5\.1\.1, status=bounced" "$LOG"
ok $? "log: nosuch bounced (5.1.1)"
inst_wait deferred_n "$V" 1
ok $? "log: later deferred (the command exited 75)"
inst_wait grep -qE "$V: to=<bob@relay.test>, relay=$ADDR\[$ADDR\]:$SPORT, .*status=sent" "$LOG"
ok $? "log: bob@relay.test sent to the sink"
inst_wait has_subject "$REPORT"
ok $? "$U gets a \"$REPORT\""
inst_log_wait "bounce\[[0-9]+\]: $V: sender delivery status notification: [0-9A-F]+"
ok $? "log: $V: sender delivery status notification: NEWID"
inst_wait has_subject "Undelivered Mail Returned to Sender"
ok $? "and the usual non-delivery notice for nosuch"
python3 - "$MAIL/$U" "$U" "$V" "$REPORT" <<'PY'
import mailbox, sys, re
box, user, qid, subj = sys.argv[1:5]
reports = [m for m in mailbox.mbox(box) if m["Subject"] == subj]
assert len(reports) == 1, "%d reports" % len(reports)
m = reports[0]
assert m.get_content_type() == "multipart/report", m.get_content_type()
assert m.get_param("report-type") == "delivery-status", m.get_param("report-type")
assert m["Return-Path"] == "<>", m["Return-Path"]
assert m["To"] == "%s@example.com" % user, m["To"]
parts = m.get_payload()
assert parts[0].get_content_type() == "text/plain", parts[0].get_content_type()
text = parts[0].get_payload()
assert "delivery report you asked for" in text, text
assert parts[1].get_content_type() == "message/delivery-status", parts[1].get_content_type()
groups = parts[1].get_payload()        # per-message group, then one per recipient
assert len(groups) == 5, "%d groups" % len(groups)
assert groups[0]["X-Postfix-Queue-ID"] == qid, groups[0]["X-Postfix-Queue-ID"]
got = {}
for g in groups[1:]:
    got[g["Final-Recipient"]] = (g["Action"], g["Status"])
    if g["Final-Recipient"] == "rfc822; bob@relay.test":
        assert g["Remote-MTA"] and g["Remote-MTA"].startswith("dns; "), g["Remote-MTA"]
        assert g["Diagnostic-Code"].startswith("smtp; 250"), g["Diagnostic-Code"]
want = {
    "rfc822; %s@example.com" % user: ("delivered", "2.0.0"),
    "rfc822; nosuch@example.com": ("failed", "5.1.1"),
    "rfc822; later@example.com": ("delayed", "4.3.0"),
    "rfc822; bob@relay.test": ("relayed", "2.0.0"),
}
for k, v in want.items():
    assert k in got, "%s missing: %s" % (k, got)
    assert got[k][0] == v[0], "%s: %s" % (k, got[k])
    assert got[k][1][0] == v[1][0], "%s: %s" % (k, got[k])
for r in ("<%s@example.com>" % user, "<nosuch@example.com>", "<later@example.com>",
          "<bob@relay.test>"):
    assert r in text, "%s not in the text part" % r
PY
ok $? "one multipart/report: delivered $U, failed nosuch (5.x), delayed later (4.x), relayed bob, each in the text"
inst_wait in_deferred "$V"
ok $? "$V waits in deferred/ for later@"
F=$(qfile "$V")
like "$(postcat "$F" 2>&1)" "trace_flags=0000" "the trace request is cleared in place (trace_flags=0000)"
if [ "$HAVE_ORACLE" = 1 ]; then
    out=$(oracle_run postcat "$F" 2>"$T/oracle.err")
    ok $? "Debian's Postfix postcat reads the edited queue file"
    like "$out" "named_attribute: trace_flags=0000" "Postfix's postcat: named_attribute: trace_flags=0000"
    is "$(grep -c -i 'warning\|fatal' "$T/oracle.err")" 0 "Postfix's postcat: no warning"
else
    for _ in 1 2 3; do skip "no Postfix oracle: $ORACLE_WHY"; done
fi
ok $([ ! -e "$Q/trace/$V" ]; echo $?) "trace/$V is gone"

# --- the second attempt reports nothing -------------------------------------------
postqueue -f
ok $? "postqueue -f"
inst_wait deferred_n "$V" 2
ok $? "log: later deferred again at the second attempt"
inst_wait in_deferred "$V"
ok $? "$V is back in deferred/: its second run is over"
is "$(grep -cE "bounce\[[0-9]+\]: $V: sender delivery status notification" "$LOG")" 1 \
    "no second delivery status notification for $V"
is "$(count_subject "$REPORT")" 1 "still one report in $U's mailbox"
ok $([ ! -e "$Q/trace/$V" ]; echo $?) "no trace/$V after the second attempt"

# --- without -v: no report ----------------------------------------------------------
send plain1 "$U@example.com" later@example.com
ok $? "sendmail without -v to $U and later exits 0"
is "$(cat "$T/send.out")" "" "sendmail without -v prints nothing"
P=$(qid plain1)
ok $? "the message is queued as $P"
inst_wait has_subject plain1
ok $? "the message is delivered to $U"
inst_wait deferred_n "$P" 1
ok $? "log: later deferred"
inst_wait in_deferred "$P"
ok $? "$P is in deferred/: its run is over"
ok $(grep -qE "$P: sender delivery status notification" "$LOG"; echo $((!$?))) \
    "no delivery status notification for $P"
is "$(count_subject "$REPORT")" 1 "no new report in $U's mailbox"
ok $([ ! -e "$Q/trace/$P" ]; echo $?) "no trace/$P"
ok $(postcat "$(qfile "$P")" 2>&1 | grep -q trace_flags; echo $((!$?))) "no trace_flags in $P's file"
inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|killed by signal|cannot clear the trace|trace record for" "$LOG"
ok $? "no panic, crash, sanitizer report or trace failure in the log"
done_testing
