#!/bin/bash
# header_checks and body_checks, every action, with the other table type
# than cleanup-checks.sh uses: header_checks as pcre:, body_checks as
# regexp:. Each action is seen from outside: the client's status and
# reason, where the file is (incoming/, hold/, nowhere), what the queued
# content looks like, and Postfix's log line.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
inst_setup
cat >"$C/header_checks" <<'EOF2'
/^Subject: .*hold me/i HOLD held by pcre
/^Subject: .*reject me/ REJECT 5.7.2 pcre says no
/^Subject: .*discard me/ DISCARD
/^X-Drop:/ IGNORE
/^X-Old: (\w+)/ REPLACE X-New: $1
/^X-Mark:/ PREPEND X-Tag: pcre-tagged
/^Subject: .*warn me/ WARN pcre-suspicious
EOF2
cat >"$C/body_checks" <<'EOF2'
/^hold this body/ HOLD
/^reject this body/ REJECT 5.7.3 body says no
/^discard this body/ DISCARD
/^drop this line/ IGNORE
/^secret: ([0-9]+)/ REPLACE secret: redacted
/^mark this line/ PREPEND >> marked
/^warn about this line/ WARN odd body line
EOF2
inst_param header_checks "pcre:$C/header_checks"
inst_param body_checks "regexp:$C/body_checks"
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup

field() { sed -n "s/^$1=//p" "$T/submit.out"; }
# submit SUBJECT BODY [extra header lines...]: a remote SMTP message
submit() {
    local s=$1 b=$2
    shift 2
    {
        printf 'From: alice@example.com\nTo: bob@relay.test\nSubject: %s\nMessage-Id: <%s@test>\n' "$s" "$RANDOM"
        [ $# -gt 0 ] && printf '%s\n' "$@"
        printf '\n%b\n' "$b"
    } | inst_submit -x 34 -a rewrite_context=remote -a log_message_origin='client.test[192.0.2.7]' \
        -a log_helo_name=helo.test -a log_protocol_name=ESMTP -f alice@example.com -r bob@relay.test
    id=$(field queue_id)
}
gone() { [ ! -e "$Q/incoming/$id" ] && [ ! -e "$Q/hold/$id" ]; }
content() { (cd "$Q/$1" && inst_postcat -b "$id" | grep -v '^\*\*\*'); }

# header_checks, pcre:
# The i flag toggles pcre's default case folding: this rule is case-sensitive.
submit "please HOLD me" "x"
is "$(field status)" 0 "pcre /i: accepted"
check "pcre /i: case-sensitive, so HOLD does not match 'hold me': queued, not held" inst_complete "$Q/incoming/$id"
submit "please hold me" "x"
is "$(field status)" 0 "pcre HOLD: accepted"
check "pcre HOLD: the complete file is in hold/" inst_complete "$Q/hold/$id"
check "pcre HOLD: logged with the text" inst_log_wait "$id: hold: header Subject: please hold me from client.test\[192.0.2.7\]; from=<alice@example.com> to=<bob@relay.test> proto=ESMTP helo=<helo.test>: held by pcre"

submit "please reject me" "x"
is "$(field status) $(field reason)" "8 5.7.2 pcre says no" "pcre REJECT: the table's code and text"
check "pcre REJECT: no file" gone
check "pcre REJECT: logged" inst_log_wait "$id: reject: header Subject: please reject me .*: 5.7.2 pcre says no"

submit "please discard me" "x"
is "$(field status)" 0 "pcre DISCARD: the client is told success"
check "pcre DISCARD: nothing is queued" gone
check "pcre DISCARD: logged" inst_log_wait "$id: discard: header Subject: please discard me"

submit "edits, warn me" "x" "X-Drop: gone" "X-Old: value rest" "X-Mark: here"
is "$(field status)" 0 "pcre edits: accepted"
hdrs=$(cd "$Q/incoming" && inst_postcat -h "$id")
ok $(grep -q '^X-Drop:' <<<"$hdrs"; echo $((!$?))) "pcre IGNORE removes the header"
ok $(grep -qx 'X-New: value' <<<"$hdrs"; echo $?) "pcre REPLACE with a \\w+ capture"
ok $(grep -q '^X-Old:' <<<"$hdrs"; echo $((!$?))) "and the old header is gone"
like_flat "$hdrs" $'X-Tag: pcre-tagged\nX-Mark: here' "pcre PREPEND inserts a line before the header"
check "pcre WARN is logged" inst_log_wait "$id: warning: header Subject: edits, warn me .*: pcre-suspicious"

# body_checks, regexp:
submit "b1" "first\nhold this body please"
is "$(field status)" 0 "body HOLD: accepted"
check "body HOLD: in hold/" inst_complete "$Q/hold/$id"
check "body HOLD: logged" inst_log_wait "$id: hold: body hold this body please from client.test"

submit "b2" "first\nreject this body now"
is "$(field status) $(field reason)" "8 5.7.3 body says no" "body REJECT: code and text"
check "body REJECT: no file" gone

submit "b3" "discard this body"
is "$(field status)" 0 "body DISCARD: success for the client"
check "body DISCARD: nothing is queued" gone

submit "b4" "keep 1\ndrop this line\nsecret: 1234\nmark this line\nwarn about this line\nkeep 2"
is "$(field status)" 0 "body edits: accepted"
is "$(content incoming)" "
keep 1
secret: redacted
>> marked
mark this line
warn about this line
keep 2" "body IGNORE drops the line, REPLACE rewrites it, PREPEND adds one before it, WARN keeps it"
check "body WARN is logged" inst_log_wait "$id: warning: body warn about this line from client.test.*: odd body line"

inst_stop
done_testing
