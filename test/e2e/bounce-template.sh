#!/bin/bash
# bounce_template_file (bounce(5)) on a live instance: the bounce daemon
# under master, the status logs written by the error, retry and discard
# agents (deliver_send plays qmgr), bounce_send asking for the notices.
#   - a template file with failure and delay templates: the failure notice
#     has the template's From (qualified), Subject, Charset and expanded
#     text ($myhostname, $delay_warning_time_hours,
#     $maximal_queue_lifetime_days, $$), and keeps the multipart/report,
#     the delivery-status part and the returned message; the postmaster
#     copy has Postmaster-Subject and no template text; the delay notice
#     its own text; the success notice (not in the file) the built-in one;
#   - `postfix reload` picks up a changed file;
#   - a malformed file, a template with an unknown header, a template with
#     an undefined $name and a missing file: a warning in the log, and the
#     notice goes out with the built-in template, no worker dies;
#   - postconf -t / -b with a file, with "" (built-in) and with the
#     parameter; -b exits 1 on an undefined $name; the structure of
#     `postconf -t ""` matches Debian's Postfix 3.7 (labels and names only,
#     not the wording) when the oracle is available.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
inst_require bounce error discard cleanup master postlogd
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
MSG=$POSTERN_SRC/test/data/deliver/two-rcpt.msg
DSEND=$POSTERN_BUILD/test/tools/deliver_send
BSEND=$POSTERN_BUILD/test/tools/bounce_send

inst_setup
HAVE_ORACLE=0
oracle_setup && HAVE_ORACLE=1
trap 'inst_cleanup; _oracle_cleanup' EXIT # oracle_setup took the EXIT trap
TF=$C/bounce.cf
cat >"$TF" <<'TPL'
# Site templates (bounce(5) format).

failure_template = <<EOF
Charset: us-ascii
from: Bounce Robot <bounces>
Subject: Your mail to our site came back
Postmaster-Subject: Site copy: returned mail

Hello from $myhostname ($$ signs stay: $$5).
We tried for up to $maximal_queue_lifetime_days day(s) and ${maximal_queue_lifetime_hours} hour(s).
EOF

delay_template = <<END
Subject: Still trying your mail

Slow mail at $myhostname: $delay_warning_time_hours hour(s) so far,
$delay_warning_time_minutes minute(s); we give up after $maximal_queue_lifetime_days day(s).
END
TPL
inst_param bounce_template_file "$TF"
inst_param delay_warning_time 2h
inst_param maximal_queue_lifetime 3d
inst_param notify_classes "resource, software, bounce"
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

queue_one() {
    local sender=$1 notify=$2
    inst_submit_active -a rewrite_context=local -f "$sender" -O team@example.com \
        -D "rfc822;team@example.com" -N "$notify" -r bob@relay.test -N "$notify" \
        -r carol@relay.test <"$MSG"
}
deliver() {
    (cd "$Q" && "$DSEND" -s "private/$2" -n "$3" "$1") >"$T/deliver.out" 2>&1
}
bsend() {
    (cd "$Q" && "$BSEND" "$@") 2>"$T/bsend.err"
}
notice_of() {
    sed -n 's/^status=0 notice=//p' <<<"$1"
}
content() {
    inst_postcat -h -b "$Q/incoming/$1"
}
# failed_notice: a failure notice for a fresh message; prints its queue id
failed_notice() {
    local id
    id=$(queue_one alice@example.com 0)
    deliver "$id" error "5.1.1 mailbox unavailable"
    notice_of "$(bsend -c flush -f alice@example.com "$id")"
}
# reload_bounce: postfix reload, then wait until the old bounce workers
# have gone, so the next request meets a process that read the file anew
reload_bounce() {
    local old p
    old=$(inst_workers bounce)
    postfix reload >/dev/null 2>&1
    for p in $old; do
        inst_wait bash -c "! kill -0 $p 2>/dev/null" || return 1
    done
}
parts() {
    content "$1" >"$T/notice.eml"
    python3 - "$T/notice.eml" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.compat32)
print("type=%s defects=%d parts=%s" % (m.get_content_type(), len(m.defects),
      ",".join(p.get_content_type() for p in m.get_payload())))
PY
}

# 1. The failure template.
nid=$(failed_notice)
like "$nid" '^[0-9A-F]+$' "a failure notice is queued"
hdr=$(content "$nid")
like_flat "$hdr" $'\nFrom: Bounce Robot <bounces@mail.example.com>\n' "From: the template's, its address qualified"
like_flat "$hdr" $'\nSubject: Your mail to our site came back\n' "Subject: the template's"
like_flat "$hdr" $'\nContent-Type: text/plain; charset=us-ascii\n\nHello from mail.example.com \\(\\$ signs stay: \\$5\\).\nWe tried for up to 3 day\\(s\\) and 72 hour\\(s\\).\n\n<bob@relay.test> \\(expanded from <team@example.com>\\): mailbox unavailable\n' \
    "the expanded template text, then the recipients"
check "no built-in wording" bash -c "! grep -q 'Delivery report from' <<<\"\$1\"" _ "$hdr"
like_flat "$hdr" $'\nFinal-Recipient: rfc822; bob@relay.test\nOriginal-Recipient: rfc822;team@example.com\nAction: failed\nStatus: 5.1.1\n' \
    "the delivery-status part stays"
is "$(parts "$nid")" "type=multipart/report defects=0 parts=text/plain,message/delivery-status,message/rfc822" \
    "Python: the same multipart/report structure"
check "the postmaster copy is logged" inst_log_wait "postfix/bounce\[[0-9]+\]: [0-9A-F]+: postmaster non-delivery notification: [0-9A-F]+$"
cid=$(sed -nE 's/.*postfix\/bounce\[[0-9]+\]: [0-9A-F]+: postmaster non-delivery notification: ([0-9A-F]+)$/\1/p' "$LOG" | tail -1)
chdr=$(content "$cid")
like_flat "$chdr" $'\nSubject: Site copy: returned mail\n' "postmaster copy: Postmaster-Subject"
check "postmaster copy: no template text" bash -c "! grep -q 'Hello from' <<<\"\$1\"" _ "$chdr"

# 2. The delay template; success is not in the file: the built-in one.
id=$(queue_one alice@example.com 0)
deliver "$id" retry "4.4.1 connection refused"
nid=$(notice_of "$(bsend -s defer -c warn -f alice@example.com "$id")")
hdr=$(content "$nid")
like_flat "$hdr" $'\nSubject: Still trying your mail\n' "delay: the template's Subject"
like_flat "$hdr" $'\nFrom: MAILER-DAEMON@mail.example.com \\(Mail Delivery System\\)\n' "delay: no From: in it: the built-in From"
like_flat "$hdr" $'\n\nSlow mail at mail.example.com: 2 hour\\(s\\) so far,\n120 minute\\(s\\); we give up after 3 day\\(s\\).\n' \
    "delay: \$delay_warning_time_hours/_minutes, \$maximal_queue_lifetime_days"
like_flat "$hdr" $'\nAction: delayed\nStatus: 4.4.1\n' "delay: the delivery-status part"
id=$(queue_one alice@example.com 2)
deliver "$id" discard ""
nid=$(notice_of "$(bsend -s trace -c trace -f alice@example.com "$id")")
hdr=$(content "$nid")
like_flat "$hdr" $'\nSubject: Successful Mail Delivery Report\n' "success: the built-in Subject"
like_flat "$hdr" $'\n\nDelivery report from the mail system at mail.example.com.\n' "success: the built-in text, expanded"

# 3. postfix reload picks up a changed file.
sed -i 's/^Subject: Your mail to our site came back$/Subject: Returned (second edition)/' "$TF"
check "reload: the old bounce workers are gone" reload_bounce
hdr=$(content "$(failed_notice)")
like_flat "$hdr" $'\nSubject: Returned \\(second edition\\)\n' "after reload: the new Subject"

# 4. Bad files: a warning, and the built-in template; never a lost notice.
bad_case() { # NAME FILE-CONTENT WARNING-REGEX
    printf '%s\n' "$2" >"$TF"
    check "$1: reload" reload_bounce
    local nid
    nid=$(failed_notice)
    like "$nid" '^[0-9A-F]+$' "$1: the notice is still sent"
    like_flat "$(content "$nid")" $'\nSubject: Undelivered Mail Returned to Sender\n.*\n\nDelivery report from the mail system at mail.example.com.\n' \
        "$1: with the built-in template"
    check "$1: a warning in the log" inst_log_wait "postfix/bounce\[[0-9]+\]: warning: $3"
}
bad_case "no '='" $'failure_template = <<EOF\nSubject: x\n\ntext\nEOF\nthis line has no equals sign' \
    "$TF, line 6: missing '=' after the template name: the built-in templates are used"
bad_case "unknown header" $'failure_template = <<EOF\nX-Color: blue\n\ntext\nEOF' \
    "$TF: unknown \"X-Color\" header label in failure template: the built-in one is used"
bad_case "undefined \$name" $'failure_template = <<EOF\nSubject: x\n\ntext $no_such_parameter_here\nEOF' \
    "$TF: failure template: undefined \\\$no_such_parameter_here in .*: the built-in one is used"
rm -f "$TF"
check "missing file: reload" reload_bounce
like "$(failed_notice)" '^[0-9A-F]+$' "missing file: the notice is still sent"
check "missing file: the warning" inst_log_wait "postfix/bounce\[[0-9]+\]: warning: open bounce template file $TF: No such file"
check "no bounce worker died" bash -c "! grep -E 'postfix/bounce.*(panic|fatal)|bounce.*terminated' '$LOG'"

# 5. postconf -b / -t.
cat >"$T/pv.cf" <<'TPL'
success_template = <<EOF
Subject: Done

Delivered by $myhostname after at most $maximal_queue_lifetime_weeks week(s), costs $$0.
EOF
TPL
out=$(postconf -b "$T/pv.cf" 2>"$T/pc.err")
is "$?" 0 "postconf -b FILE: exit 0"
like_flat "$out" $'\nexpanded_success_text = <<EOF\nDelivered by mail.example.com after at most 0 week\\(s\\), costs \\$0.\nEOF\n' \
    "postconf -b FILE: the file's template, expanded"
like_flat "$out" '^expanded_failure_text = <<EOF'$'\n''Delivery report from the mail system at mail.example.com.' \
    "postconf -b FILE: the others built-in, expanded"
out=$(postconf -t "$T/pv.cf")
like_flat "$out" $'\nsuccess_template = <<EOF\nCharset: us-ascii\nFrom: MAILER-DAEMON \\(Mail Delivery System\\)\nSubject: Done\n\nDelivered by \\$myhostname after at most \\$maximal_queue_lifetime_weeks week\\(s\\), costs \\$\\$0.\nEOF\n' \
    "postconf -t FILE: as written, with the default headers filled in"
out=$(postconf -t "")
like "$out" '^failure_template = <<EOF$' "postconf -t \"\": the built-in set"
like "$out" '^Delivery has been failing for more than \$delay_warning_time_hours hour\(s\)\.$' \
    "postconf -t \"\": unexpanded"
inst_param bounce_template_file "$T/pv.cf"
like "$(postconf -b)" "^Delivered by mail.example.com" "postconf -b: bounce_template_file when no file is named"
like "$(postconf -b "")" "^Your message reached the destinations listed below" "postconf -b \"\": built-in"
printf 'failure_template = <<EOF\nSubject: x\n\nhi $nope_not_here\nEOF\n' >"$T/undef.cf"
out=$(postconf -b "$T/undef.cf" 2>"$T/pc.err")
is "$?" 1 "postconf -b with an undefined \$name: exit 1"
like "$(cat "$T/pc.err")" "undefined \\\$nope_not_here" "and says why on stderr"
like "$out" "^Delivery report from the mail system" "and shows the built-in text the daemon would use"
postconf -b "$T/nonexistent.cf" >/dev/null 2>"$T/pc.err"
is "$?" 1 "postconf -b with a missing file: exit 1"

# 6. The structure of the built-in set against Debian's Postfix 3.7.
skeleton() { # template names, header labels and end markers, in order
    awk '/^[a-z]+_template = <<EOF$/ { print; h = 1; next }
         h && /^$/ { h = 0; next }
         h { sub(/:.*/, ":"); print; next }
         /^EOF$/ { print }'
}
if [ "$HAVE_ORACLE" = 1 ]; then
    want=$(oracle_run postconf -t "" 2>"$T/oracle.err" | skeleton)
    like "$want" "^verify_template = <<EOF$" "Debian's postconf -t runs"
    is "$(postconf -t "" | skeleton)" "$want" "postconf -t \"\": the same templates and header labels as Postfix 3.7"
else
    skip "no Postfix oracle: $ORACLE_WHY"
    skip "no Postfix oracle"
fi

inst_stop
done_testing
