#!/bin/bash
# The smtp client's second pass: NOTIFY=SUCCESS to a server without DSN is
# reported as action=relayed (with the server's reply as Remote-MTA and
# Diagnostic-Code), a 4xx reply is kept in the defer log as the delay
# notice's Remote-MTA / Diagnostic-Code, and smtp_generic_maps rewrites the
# envelope sender and recipients on output (the queue file and logs keep
# the originals). deliver_send plays qmgr; capturing sinks in a namespace.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
smtp_setup
inst_service "smtp      unix  -       -       n       -       1       smtp"
printf 'alice@example.local alice@example.com\n@corp.local @corp.example\n' >"$T/generic"
inst_service "generic   unix  -       -       n       -       1       smtp
    -o smtp_generic_maps=texthash:$T/generic"
cat >"$T/hc" <<'HC'
/^Subject: secret/ REPLACE Subject: public
/^X-Internal:/ IGNORE
/^X-Warn:/ WARN header seen
/^X-Info:/ PREPEND X-Pre: yes
/^X-Bad:/ REJECT no
/^X-Odd:/ BOGUS action
HC
cat >"$T/bc" <<'BC'
/^password/ REPLACE [removed]
/^drop me/ IGNORE
BC
inst_service "checks    unix  -       -       n       -       1       smtp
    -o smtp_header_checks=regexp:$T/hc -o smtp_body_checks=regexp:$T/bc"
inst_service "defer     unix  -       -       n       -       0       bounce"
inst_service "trace     unix  -       -       n       -       0       bounce"
inst_service "noconv    unix  -       -       n       -       1       smtp
    -o disable_mime_output_conversion=yes"

{
    nsd_soa gaps.test
    echo 'nodsn IN A 127.0.0.41'
    echo 'dsn IN A 127.0.0.42'
    echo 'no8 IN A 127.0.0.43'
} >"$T/gaps.test.zone"
nsd_start gaps.test "$T/gaps.test.zone"
ok $? "nsd runs in namespace $NSD_NS"

check "sink nodsn (127.0.0.41, no DSN) runs" sink_start nodsn --no-dsn \
    --rcpt "soft@nodsn.gaps.test=450 4.2.1 <soft@nodsn.gaps.test>: try later" 127.0.0.41:25
check "sink dsn (127.0.0.42, DSN) runs" sink_start dsn 127.0.0.42:25
check "sink no8 (127.0.0.43, no 8BITMIME) runs" sink_start no8 --no-8bitmime 127.0.0.43:25

nsd_exec postfix start >"$T/start.out" 2>&1
inst_wait test -s "$Q/pid/master.pid"
MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
check "master runs in the namespace, private/smtp exists" inst_wait_sock private/smtp
check "private/generic exists" inst_wait_sock private/generic
check "private/trace exists" inst_wait_sock private/trace
BSEND=$POSTERN_BUILD/test/tools/bounce_send
# notice SERVICE CMD ID: the notice the bounce daemon queues, as text
notice() {
    local nid
    nid=$( (cd "$Q" && "$BSEND" -s "$1" -c "$2" -f alice@example.com "$3") 2>/dev/null |
        sed -n 's/^status=0 notice=//p')
    [ -n "$nid" ] && inst_postcat -h -b "$Q/incoming/$nid" | tr -d '\r'
}

MSG="Subject: gaps
From: alice@example.com

body"

# 1. NOTIFY=SUCCESS to a server without DSN: trace record action=relayed.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -N 2 -r bob@nodsn.gaps.test)
smtp_send -s private/smtp -n nodsn.gaps.test "$id"
like "$(smtp_result bob@nodsn.gaps.test)" "^result=sent dsn=2.0.0 " "bob: sent to the server without DSN"
like "$(sink_msg nodsn 1)" '^rcpt=<bob@nodsn.gaps.test>$' "no NOTIFY passed to a server without DSN"
tr=$(cat "$Q/trace/$id" 2>/dev/null)
like "$tr" '^action=relayed$' "the trace record says action=relayed"
like "$tr" '^diag_text=250 2.0.0 Ok' "with the server's reply as diag_text"
like "$tr" '^mta_mname=nodsn.gaps.test$' "and the server as Remote-MTA"
n=$(notice trace trace "$id")
like_flat "$n" $'\nAction: relayed\nStatus: 2.0.0\n' "the success notice says Action: relayed"
like "$n" '^Remote-MTA: dns; nodsn.gaps.test$' "  with Remote-MTA"
like "$n" '^Diagnostic-Code: smtp; 250 2.0.0 Ok' "  and Diagnostic-Code"

# The same to a server with DSN: action=delivered, NOTIFY passed on.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -N 2 -r bob@dsn.gaps.test)
smtp_send -s private/smtp -n dsn.gaps.test "$id"
like "$(sink_msg dsn 1)" '^rcpt=<bob@dsn.gaps.test> NOTIFY=SUCCESS' "NOTIFY=SUCCESS passed to a DSN server"
tr=$(cat "$Q/trace/$id" 2>/dev/null)
like "$tr" '^action=delivered$' "the trace record says action=delivered there"

# 2. A 4xx reply: the defer log keeps the remote reply for the delay notice.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r soft@nodsn.gaps.test)
smtp_send -s private/smtp -n nodsn.gaps.test "$id"
like "$(smtp_result soft@nodsn.gaps.test)" "^result=deferred dsn=4.2.1 " "soft: deferred"
df=$(cat "$Q/defer/${id:0:1}/$id" 2>/dev/null)
like "$df" '^diag_text=450 4.2.1 <soft@nodsn.gaps.test>: try later$' "the defer record keeps the server's reply"
like "$df" '^mta_mname=nodsn.gaps.test$' "and the server's name"
like "$df" '^action=delayed$' "action=delayed"
n=$(notice defer warn "$id")
like_flat "$n" $'\nAction: delayed\nStatus: 4.2.1\n' "the delay notice: Action: delayed"
like "$n" '^Remote-MTA: dns; nodsn.gaps.test$' "  Remote-MTA from the 4xx reply"
like "$n" '^Diagnostic-Code: smtp; 450 4.2.1 <soft@nodsn.gaps.test>: try later$' "  Diagnostic-Code: the 4xx reply"

# 3. smtp_generic_maps: sender and recipients rewritten on output only.
id=$(echo "$MSG" | smtp_queue -f alice@example.local -r joe@corp.local -r ann@dsn.gaps.test)
smtp_send -s private/generic -n dsn.gaps.test "$id"
like "$(smtp_result joe@corp.local)" "^result=sent dsn=2.0.0 " "joe@corp.local: sent"
m=$(sink_msg dsn 2)
like "$m" '^mail=<alice@example.com>' "the envelope sender is rewritten (full address key)"
like "$m" '^rcpt=<joe@corp.example>' "the recipient is rewritten (@domain key, local part kept)"
like "$m" '^rcpt=<ann@dsn.gaps.test>' "an unmatched recipient is unchanged"
check "the log keeps the original recipient" inst_log_wait "$id: to=<joe@corp.local>, .*status=sent"
# Header addresses: From/To/Cc rewritten, other headers and the body not.
GH="Subject: from alice@example.local
From: Alice Example <alice@example.local>
To: joe@corp.local, \"Team, Corp\" <team@corp.local>
Cc: other@elsewhere.test,
 ann@corp.local
Reply-To: alice@example.local

body alice@example.local"
id=$(echo "$GH" | smtp_queue -f alice@example.local -r joe@corp.local)
smtp_send -s private/generic -n dsn.gaps.test "$id"
m=$(sink_msg dsn 3 | tr -d "\r")
like "$m" '^From: Alice Example <alice@example.com>$' "From: rewritten, display name kept"
like "$m" '^To: joe@corp.example, "Team, Corp" <team@corp.example>$' "To: every address rewritten"
like "$m" '^Cc: other@elsewhere.test, ann@corp.example$' "a folded Cc: rewritten (unfolded)"
like "$m" '^Reply-To: alice@example.com$' "Reply-To: rewritten"
like "$m" '^Subject: from alice@example.local$' "Subject: untouched"
like "$m" '^body alice@example.local$' "the body untouched"
# Without the map the same message goes out unchanged.
id=$(echo "$MSG" | smtp_queue -f alice@example.local -r joe@corp.local)
smtp_send -s private/smtp -n dsn.gaps.test "$id"
like "$(sink_msg dsn 4)" '^mail=<alice@example.local>' "no map: the sender is unchanged"

# 4. 8BITMIME downgrade: 8bit parts become quoted-printable for a server
# without 8BITMIME; a 7bit part, boundaries and the preamble pass unchanged.
MIME="Subject: mime
From: alice@example.com
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"XX\"

preamble
--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

caf\xc3\xa9 = ok
trailing space 
$(printf 'x%.0s' $(seq 100))\xc3\xa9
.dot
--XX
Content-Type: text/plain
Content-Transfer-Encoding: 7bit

plain ascii = same
--XX--
epilogue"
id=$(printf "$MIME\n" | smtp_queue -a encoding=8bit -f alice@example.com -r m@no8.gaps.test)
smtp_send -s private/smtp -n no8.gaps.test "$id"
like "$(smtp_result m@no8.gaps.test)" "^result=sent dsn=2.0.0 " "the 8-bit message is sent"
m=$(sink_msg no8 1 | tr -d "\r")
like "$m" '^mail=<alice@example.com> SIZE=[0-9]+$' "no BODY=8BITMIME to a server without 8BITMIME"
like "$m" '^caf=C3=A9 =3D ok$' "8-bit text is quoted-printable"
like "$m" '^trailing space=20$' "a trailing space is encoded"
like "$m" '^x{75}=$' "a long line gets a soft line break within 76 characters"
like "$m" '^x{25}=C3=A9$' "and goes on on the next line"
like "$m" '^\.dot$' "a line starting with a dot arrives intact"
is "$(printf '%s\n' "$m" | grep -c '^Content-Transfer-Encoding: quoted-printable$')" "1" \
    "the converted part's header says quoted-printable"
like "$m" '^Content-Transfer-Encoding: 7bit$' "the 7bit part's header is kept"
like "$m" '^plain ascii = same$' "the 7bit part is unchanged"
like "$m" '^--XX--$' "the closing boundary is intact"
like "$m" '^epilogue$' "the epilogue is intact"
! printf '%s' "$m" | LC_ALL=C grep -q "$(printf '[\x80-\xff]')"
ok $? "no 8-bit byte reached the server"
# The same to a server with 8BITMIME: BODY=8BITMIME, sent as is.
id=$(printf "$MIME\n" | smtp_queue -a encoding=8bit -f alice@example.com -r m@dsn.gaps.test)
smtp_send -s private/smtp -n dsn.gaps.test "$id"
m=$(sink_msg dsn 5 | tr -d "\r")
like "$m" '^mail=<alice@example.com> SIZE=[0-9]+ BODY=8BITMIME' "BODY=8BITMIME to a server with it"
like "$m" "^caf$(printf '\xc3\xa9') = ok\$" "8-bit text sent as is"
# disable_mime_output_conversion = yes: sent as is even without 8BITMIME.
id=$(printf "$MIME\n" | smtp_queue -a encoding=8bit -f alice@example.com -r n@no8.gaps.test)
smtp_send -s private/noconv -n no8.gaps.test "$id"
m=$(sink_msg no8 2 | tr -d "\r")
like "$m" "^caf$(printf '\xc3\xa9') = ok\$" "disable_mime_output_conversion: sent as is"
like "$m" '^Content-Transfer-Encoding: 8bit$' "and its header is kept"

# 5. smtp_header_checks / smtp_body_checks on output.
CK="Subject: secret plans
X-Internal: folded
 continuation line
X-Warn: w
X-Info: i
X-Bad: b
X-Odd: o
From: alice@example.com

password=hunter2
drop me
keep me"
id=$(echo "$CK" | smtp_queue -f alice@example.com -r ck@dsn.gaps.test)
smtp_send -s private/checks -n dsn.gaps.test "$id"
like "$(smtp_result ck@dsn.gaps.test)" "^result=sent dsn=2.0.0 " "the checked message is sent"
m=$(sink_msg dsn 6 | tr -d "\r")
like "$m" '^Subject: public$' "REPLACE replaces the header"
unlike_flat=$(printf '%s\n' "$m" | grep -cE '^(Subject: secret|X-Internal| continuation line)')
is "$unlike_flat" "0" "IGNORE drops the whole folded header; the old Subject is gone"
like "$m" '^X-Warn: w$' "WARN keeps the header"
check "WARN is logged" inst_log_wait "$id: warning: header X-Warn: w: header seen"
is "$(printf '%s\n' "$m" | grep -A1 '^X-Pre: yes$' | tail -1)" "X-Info: i" "PREPEND inserts before the header"
like "$m" '^X-Bad: b$' "REJECT is not available here: the header passes"
check "and is warned about" inst_log_wait "warning: $id: header_checks: action \"REJECT no\" is not available"
like "$m" '^X-Odd: o$' "an unknown action: the header passes"
check "and is warned about as unknown" inst_log_wait "warning: $id: unknown header_checks action: BOGUS action"
like "$m" '^\[removed\]$' "body REPLACE"
is "$(printf '%s\n' "$m" | grep -c '^password\|^drop me')" "0" "body IGNORE and the replaced line are gone"
like "$m" '^keep me$' "other body lines pass"
# Without checks the same message is unchanged.
id=$(echo "$CK" | smtp_queue -f alice@example.com -r ck2@dsn.gaps.test)
smtp_send -s private/smtp -n dsn.gaps.test "$id"
like "$(sink_msg dsn 7 | tr -d "\r")" '^Subject: secret plans$' "no checks: the header is unchanged"

nsd_exec postfix stop >/dev/null 2>&1
inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
MPID=
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
