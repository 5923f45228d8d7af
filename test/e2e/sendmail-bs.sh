#!/bin/bash
# sendmail -bs: a stand-alone SMTP server on stdin/stdout, run as a plain
# user. Each transaction becomes one maildrop file through postdrop (the
# -bm path) with the envelope the dialog gave; errors are SMTP replies, not
# crashes; with the system running the message reaches incoming/.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"

sub_setup || { echo "# set-up failed"; exit 1; }
printf 'myhostname = mail.example.com\n' >>"$C/main.cf"

# bs TEXT: pipes TEXT (\n becomes CR LF) into sendmail -bs as the user.
bs() {
    printf '%s' "$1" | sed 's/$/\r/' | as_user sendmail -bs >"$T/out" 2>"$T/err"
    RC=$?
    OUT=$(tr -d '\r' <"$T/out")
}
# The maildrop file of the only/nth (sorted by time) file.
mfile() { ls -tr "$Q/maildrop" | sed -n "${1:-1}p"; }

# One transaction, EHLO, DSN parameters, dot-stuffing.
bs 'EHLO client.example
MAIL FROM:<alice@example.com> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=env+2B1
RCPT TO:<bob@example.com> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob@example.com
RCPT TO:<carol@relay.test>
DATA
Subject: hi

..leading dot
body
.
QUIT
'
is "$RC" 0 "a dialog ending in QUIT exits 0"
is "$(echo "$OUT" | head -1)" "220 mail.example.com ESMTP Postfix" "greeting is smtpd_banner expanded"
for kw in PIPELINING "SIZE 10240000" 8BITMIME ENHANCEDSTATUSCODES DSN; do
    like "$OUT" "^250[- ]$kw\$" "EHLO advertises $kw"
done
like "$OUT" "354 " "DATA: 354"
like "$OUT" "250 2.0.0 Ok: queued" "250 after postdrop succeeded"
like "$OUT" "221 2.0.0" "QUIT: 221"
is "$(maildrop_files | wc -l)" 1 "one maildrop file"
f=$Q/maildrop/$(mfile)
is "$(stat -c %U "$f")" "$SUB_USER" "owned by the user (written by postdrop)"
pc=$(postcat "$f")
like "$pc" "sender: alice@example.com" "envelope sender"
like "$(echo "$pc" | tr '\n' '~')" "named_attribute: notify_flags=10~recipient: bob@example.com~" \
    "NOTIFY=SUCCESS,DELAY -> notify_flags=10 right before the recipient"
like "$pc" "recipient: carol@relay.test" "second recipient"
like "$pc" "named_attribute: envelope_id=env\+1" "ENVID xtext-decoded"
like "$pc" "named_attribute: ret_flags=2" "RET=HDRS"
like "$pc" "named_attribute: encoding=8bit" "BODY=8BITMIME"
like "$pc" "^(regular_text: )?\.leading dot\$" "dot-unstuffing"
ok $(echo "$pc" | grep -qE '^(regular_text: )?\.$'; echo $((!$?))) "the final dot is not content"

# Two transactions in one session, RSET in between, pipelined.
rm -f "$Q"/maildrop/*
bs 'HELO x
MAIL FROM:<a1@example.com>
RCPT TO:<r1@example.com>
DATA
Subject: one
.
MAIL FROM:<dropped@example.com>
RCPT TO:<never@example.com>
RSET
MAIL FROM:<>
RCPT TO:<r2@example.com>
DATA
Subject: two
.
QUIT
'
is "$RC" 0 "two transactions: exit 0"
is "$(echo "$OUT" | grep -c '^250 2.0.0 Ok: queued')" 2 "two messages queued"
is "$(maildrop_files | wc -l)" 2 "two maildrop files"
all=$(for x in $(maildrop_files); do postcat "$Q/maildrop/$x"; done)
like "$all" "sender: a1@example.com" "first sender"
like "$(echo "$all" | tr '\n' '~')" "~sender: ~" "null sender of the second"
ok $(echo "$all" | grep -q 'dropped\|never'; echo $((!$?))) "RSET dropped the transaction"

# Errors: 5xx replies, no crash, no file.
rm -f "$Q"/maildrop/*
bs 'FOO bar
MAIL FROM:<a b c>
MAIL TO:<x@y>
RCPT TO:<x@y>
MAIL FROM:<ok@example.com> FOO=1
MAIL FROM:<ok@example.com>
RCPT TO:<bad@@host>
RCPT TO:<>
RCPT TO:<z@example.com> NOTIFY=bogus
DATA
VRFY bob
NOOP
HELP
QUIT
'
is "$RC" 0 "errors: the session goes on to QUIT"
like "$OUT" "^502 5.5.2" "unknown command: 502"
like "$OUT" "^501 5.1.7 Bad sender address syntax" "bad sender path: 501"
like "$OUT" "^501 5.5.4 Syntax: MAIL FROM" "MAIL without FROM: 501"
like "$OUT" "^503 5.5.1 Error: need MAIL" "RCPT before MAIL: 503"
like "$OUT" "^555 5.5.4 Unsupported option: FOO" "unknown parameter: 555"
like "$OUT" "^501 5.1.3 Bad recipient address syntax" "bad recipient path: 501"
like "$OUT" "^553 5.1.3" "null recipient: 553"
like "$OUT" "^501 5.5.4 Error: Bad NOTIFY" "bad NOTIFY: 501"
like "$OUT" "^554 5.5.1 Error: no valid recipients" "DATA without recipients: 554"
like "$OUT" "^252 " "VRFY: 252"
like "$OUT" "^214 " "HELP: 214"
is "$(maildrop_files)" "" "no maildrop file from failed transactions"

# A too long command, binary garbage, then the error limit.
long=$(head -c 6000 /dev/zero | tr '\0' x)
bs "NOOP $long
$(printf 'a\001\377b')
QUIT
"
like "$OUT" "^500 5.5.2 Error: command line too long" "an overlong command: 500"
like "$OUT" "221 " "and the session survives it"
printf 'smtpd_hard_error_limit = 3\n' >>"$C/main.cf"
bs 'x
x
x
x
x
'
like "$OUT" "^421 4.7.0 mail.example.com Error: too many errors" "error limit: 421"
is "$(echo "$OUT" | grep -c '^502')" 3 "after smtpd_hard_error_limit errors"
sed -i '/^smtpd_hard_error_limit/d' "$C/main.cf"

# The client disappears in DATA: nothing is queued.
bs 'MAIL FROM:<a@example.com>
RCPT TO:<b@example.com>
DATA
Subject: cut
'
is "$RC" 75 "EOF in DATA: exit 75"
is "$(maildrop_files)" "" "EOF in DATA: nothing queued"

# Size limit.
printf 'message_size_limit = 1000\n' >>"$C/main.cf"
big=$(head -c 3000 /dev/zero | tr '\0' y | fold -w 100)
bs "EHLO x
MAIL FROM:<a@example.com> SIZE=5000
MAIL FROM:<a@example.com>
RCPT TO:<b@example.com>
DATA
$big
.
QUIT
"
like "$OUT" "250-SIZE 1000" "SIZE shows message_size_limit"
like "$OUT" "^552 5.3.4 Message size exceeds fixed limit" "SIZE= over the limit: 552"
like "$OUT" "^552 5.3.4 Error: message file too big" "content over the limit: 552"
is "$(maildrop_files)" "" "too big: nothing queued"
sed -i '/^message_size_limit/d' "$C/main.cf"

# Timeout: smtpd_timeout bounds each read.
printf 'smtpd_timeout = 1s\n' >>"$C/main.cf"
start=$(date +%s)
(printf 'NOOP\r\n'; sleep 4) | { as_user sendmail -bs >"$T/out" 2>/dev/null; date +%s >"$T/end"; }
like "$(tr -d '\r' <"$T/out")" "421 4.4.2 mail.example.com Error: timeout exceeded" "smtpd_timeout: 421"
ok $(( $(cat "$T/end") - start < 4 ? 0 : 1 )) "and the session ends before the client does"
sed -i '/^smtpd_timeout/d' "$C/main.cf"

# With the system running, the message reaches incoming/.
for p in pickup cleanup master postlogd; do
    if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
        skip "$p not installed"; skip "$p not installed"
        done_testing
        exit 0
    fi
done
sub_user_cleanup
trap - EXIT
rm -rf "$T"
sub_inst_setup || { echo "# instance set-up failed"; exit 1; }
inst_start
bs 'HELO x
MAIL FROM:<alice@example.com>
RCPT TO:<bob@example.com> NOTIFY=FAILURE
DATA
Subject: via -bs

hello
.
QUIT
'
like "$OUT" "250 2.0.0 Ok: queued" "running system: queued"
has_incoming() { [ -n "$(ls -A "$Q/incoming" 2>/dev/null)" ]; }
inst_wait has_incoming
ok $? "the message reaches incoming/"
qf=$Q/incoming/$(ls -A "$Q/incoming" | head -1)
inst_wait inst_complete "$qf"
q=$(postcat "$qf")
like "$q" "named_attribute: notify_flags=4" "NOTIFY=FAILURE survives to the queue file"
like "$q" "Subject: via -bs" "the content arrives"

done_testing
