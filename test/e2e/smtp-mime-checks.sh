#!/bin/bash
# smtp_mime_header_checks and smtp_nested_header_checks on output, as
# Postfix applies them: MIME headers (Content-*, MIME-Version) of the
# message and every header of a MIME part go to smtp_mime_header_checks,
# the headers of an attached message/rfc822 to smtp_nested_header_checks,
# the other headers of the message to smtp_header_checks, body lines (not
# part headers) to smtp_body_checks; the actions are smtp_header_checks'.
# deliver_send plays qmgr; smtp_xsink.py on 127.0.0.0/8 keeps the content.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
xs_setup
mkdir -p "$T/msgs"
check "the server runs" xs_start srv --msgs "$T/msgs" --ehlo PIPELINING --ehlo 8BITMIME
PORT=$(cat "$T/srv.port")

cat >"$T/hc" <<'EOF'
/^Subject: secret/ REPLACE Subject: public
/^Content-Type:/ REPLACE X-Wrong: header_checks saw a MIME header
/^X-Part-Tag:/ REPLACE X-Wrong: header_checks saw a part header
EOF
cat >"$T/mc" <<'EOF'
/^Content-Type: application\/x-evil/ REPLACE Content-Type: text/plain
/^Content-Disposition: attachment; filename="evil/ IGNORE
/^X-Part-Tag:/ WARN part header seen
/^MIME-Version:/ PREPEND X-Mime-Seen: yes
/^X-Primary:/ REPLACE X-Wrong: mime checks saw a primary header
/^Subject:/ REPLACE X-Wrong: mime checks saw a nested header
EOF
cat >"$T/nc" <<'EOF'
/^Subject: inner secret/ REPLACE Subject: inner public
/^X-Nested:/ IGNORE
/^X-Primary: stays/ REPLACE X-Wrong: nested checks saw a primary header
EOF
cat >"$T/bc" <<'EOF'
/^drop this line/ IGNORE
/^X-Part-Tag:/ REPLACE X-Wrong: body checks saw a part header
EOF
inst_service "mc        unix  -       -       n       -       1       smtp
    -o smtp_header_checks=regexp:$T/hc -o smtp_mime_header_checks=regexp:$T/mc
    -o smtp_nested_header_checks=regexp:$T/nc -o smtp_body_checks=regexp:$T/bc"
inst_service "hc        unix  -       -       n       -       1       smtp
    -o smtp_header_checks=regexp:$T/hc"
check "postfix start" inst_start
check "private/mc exists" inst_wait_sock private/mc
check "private/hc exists" inst_wait_sock private/hc

MSG='Subject: secret plan
From: alice@example.com
X-Primary: stays
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BB"

preamble
--BB
Content-Type: application/x-evil
Content-Disposition: attachment; filename="evil.exe"
X-Part-Tag: one

drop this line
keep this line
--BB
Content-Type: message/rfc822

Subject: inner secret
X-Nested: gone
X-Primary: nested copy

inner body
--BB--
epilogue'

# 1. Every kind of table configured.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r m@x.test)
smtp_send -s private/mc -n "[$ADDR]:$PORT" "$id"
like "$(smtp_result m@x.test)" "^result=sent dsn=2.0.0 " "sent"
m=$(tr -d '\r' <"$T/msgs/msg-1")
like "$m" '^Subject: public$' "smtp_header_checks: the message's Subject"
like "$m" '^X-Primary: stays$' "  a primary header no table matches"
is "$(printf '%s\n' "$m" | grep -B1 '^MIME-Version: 1.0$' | head -1)" "X-Mime-Seen: yes" \
    "smtp_mime_header_checks: MIME-Version of the message itself (PREPEND)"
like "$m" '^Content-Type: multipart/mixed; boundary="BB"$' "  its Content-Type: no mime rule, header_checks not asked"
like_flat "$m" $'\n--BB\nContent-Type: text/plain\nX-Part-Tag: one\n\nkeep this line\n--BB\n' \
    "a part's headers: REPLACE and IGNORE by the mime table; the body table dropped a body line"
check "WARN on a part header is logged" inst_log_wait "$id: warning: header X-Part-Tag: one: part header seen"
like_flat "$m" $'\nContent-Type: message/rfc822\n\nSubject: inner public\nX-Primary: nested copy\n\ninner body\n--BB--\nepilogue' \
    "smtp_nested_header_checks: the attached message's headers (REPLACE, IGNORE)"
is "$(printf '%s\n' "$m" | grep -c X-Wrong)" 0 "no table saw another kind's headers"

# 2. Only smtp_header_checks: MIME, part and attached headers pass unchecked.
id=$(echo "$MSG" | smtp_queue -f alice@example.com -r h@x.test)
smtp_send -s private/hc -n "[$ADDR]:$PORT" "$id"
like "$(smtp_result h@x.test)" "^result=sent dsn=2.0.0 " "sent through header_checks alone"
m=$(tr -d '\r' <"$T/msgs/msg-2")
like "$m" '^Subject: public$' "the message's Subject is checked"
like "$m" '^Content-Type: multipart/mixed; boundary="BB"$' "its Content-Type is not (a MIME header)"
like "$m" '^Content-Type: application/x-evil$' "a part's Content-Type passes"
like "$m" '^X-Part-Tag: one$' "a part's other headers pass"
like "$m" '^Subject: inner secret$' "the attached message's Subject passes"
like "$m" '^drop this line$' "no body checks: body lines pass"

inst_stop
check "no panic, fatal error, sanitizer report or crash" bash -c \
    "! grep -E 'panic|fatal|runtime error|Sanitizer|exit status|killed' '$LOG'"
done_testing
