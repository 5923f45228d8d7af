#!/bin/bash
# postdrop is a privilege boundary: a user can feed it anything. Hostile
# record streams (truncated, oversized, misplaced or forbidden records) are
# refused cleanly, and nothing is left in maildrop/; what is accepted has
# postdrop's own arrival time and only the attributes a user may set.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
MKREC=$POSTERN_SRC/test/data/submit/mkrec.py

sub_setup || { echo "# set-up failed"; exit 1; }

# feed WHO RECORDS...: runs postdrop as WHO (user or root) on the records.
feed() {
    local who=$1
    shift
    python3 "$MKREC" "$@" >"$T/in"
    if [ "$who" = root ]; then
        postdrop <"$T/in" >"$T/out" 2>"$T/err"
    else
        as_user postdrop <"$T/in" >"$T/out" 2>"$T/err"
    fi
    RC=$?
}

GOOD_HEAD=(T:"1 2" A:rewrite_context=local S:alice)
refused() {
    local what=$1 want=$2
    shift 2
    for who in user root; do
        rm -f "$Q"/maildrop/* "$Q"/maildrop/.[!.]* 2>/dev/null
        feed "$who" "$@"
        is "$RC" 65 "$what ($who): refused (EX_DATAERR)"
        like "$(cat "$T/err")" "^postdrop: fatal: uid=[0-9]+: .*$want" "$what ($who): says why"
        is "$(ls -A "$Q/maildrop")" "" "$what ($who): nothing left in maildrop/"
    done
}

refused "truncated inside a record" "unexpected EOF in data" "${GOOD_HEAD[@]}" M: raw:4e10616263
refused "truncated length" "unexpected EOF reading length" "${GOOD_HEAD[@]}" M: raw:4e80
refused "record over line_length_limit" "exceeds the limit" "${GOOD_HEAD[@]}" M: big:N:2049 X: R:a@b E:
refused "length encoding too long" "bad record length encoding" "${GOOD_HEAD[@]}" raw:4e8080808080808001
refused "pointer record" "unexpected record type" "${GOOD_HEAD[@]}" p:"              0"
refused "size record" "unexpected record type" C:"x" "${GOOD_HEAD[@]}"
refused "two senders" "more than one sender" "${GOOD_HEAD[@]}" S:bob M: X: R:a@b E:
refused "no sender" "no sender record" T:"1 2" M: X: R:a@b E:
refused "recipient inside the content" "unexpected record type in the message content" \
    "${GOOD_HEAD[@]}" M: N:x R:a@b X: E:
refused "data after the end record" "after the end record" "${GOOD_HEAD[@]}" M: X: R:a@b E: N:x
refused "NUL in the sender" "NUL byte" T:"1 2" S:'a\x00b' M: X: R:a@b E:
refused "malformed attribute" "malformed attribute" "${GOOD_HEAD[@]}" A:noequals M: X: R:a@b E:
refused "garbage" "unexpected record type" raw:0001020304ff

# A client that stops at a record boundary cancels: exit 0, no file.
rm -f "$Q"/maildrop/*
feed user "${GOOD_HEAD[@]}" M: N:x
is "$RC" 0 "input ending before the end record: cancelled, exit 0"
is "$(ls -A "$Q/maildrop")" "" "cancelled: nothing left in maildrop/"
feed user
is "$RC" 0 "empty input: cancelled"
is "$(ls -A "$Q/maildrop")" "" "empty input: nothing left"

# Over message_size_limit.
printf 'message_size_limit = 1000\n' >>"$C/main.cf"
refused "content over message_size_limit" "message too large" "${GOOD_HEAD[@]}" M: big:N:600 big:N:600 X: R:a@b E:
sed -i '/^message_size_limit/d' "$C/main.cf"

# Accepted: our own time, forbidden attributes dropped with a warning.
rm -f "$Q"/maildrop/*
feed user T:"1 0" A:rewrite_context=local A:trace_flags=1 A:encoding=binary F:Me S:alice \
    R:a@b M: N:line X: A:notify_flags=2 R:c@d E:
is "$RC" 0 "a valid stream is accepted"
like "$(cat "$T/err")" "postdrop: warning: uid=$SUB_UID: ignoring attribute record: trace_flags=1" \
    "a forbidden attribute is dropped with a warning"
f=$Q/maildrop/$(ls "$Q/maildrop")
out=$(postcat "$f")
like "$out" "message_arrival_time: $(LC_ALL=C date +'%a %b %e' | tr -s ' ')" "the client's arrival time is replaced by postdrop's"
ok $(echo "$out" | grep -qE 'trace_flags|encoding=binary'; echo $((!$?))) "forbidden attributes are not in the file"
like "$out" "named_attribute: notify_flags=2" "allowed attributes are kept"
is "$(stat -c '%A %U %G' "$f")" "-rwxr--r-- $SUB_USER postdrop" "owned by the user, group postdrop, complete"

# Closed standard descriptors: the queue file never becomes stderr.
rm -f "$Q"/maildrop/*
python3 "$MKREC" T:"1 2" S:alice M: N:x X: R:a@b E: >"$T/in"
runuser -u "$SUB_USER" -- env MAIL_CONFIG="$C" sh -c "exec postdrop <'$T/in' >&- 2>&-"
is "$?" 0 "postdrop with stdout and stderr closed"
f=$Q/maildrop/$(ls "$Q/maildrop")
check "the file is still a clean maildrop file" postcat "$f"
ok $(postcat "$f" | grep -q 'warning'; echo $((!$?))) "no message text went into it"

# Long queue ids when enable_long_queue_ids = yes.
rm -f "$Q"/maildrop/*
printf 'enable_long_queue_ids = yes\n' >>"$C/main.cf"
feed user "${GOOD_HEAD[@]}" M: X: R:a@b E:
like "$(ls "$Q/maildrop")" '^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+$' \
    "enable_long_queue_ids: the maildrop file has a long id"
sed -i '/^enable_long_queue_ids/d' "$C/main.cf"

# The user cannot name another queue through MAIL_CONFIG.
mkdir -p "$T/etc3" "$T/q3/maildrop"
printf 'queue_directory = %s/q3\n' "$T" >"$T/etc3/main.cf"
runuser -u "$SUB_USER" -- env MAIL_CONFIG="$T/etc3" postdrop </dev/null 2>"$T/err"
is "$?" 1 "set-gid postdrop refuses an unlisted configuration directory"
like "$(cat "$T/err")" "is not a known configuration directory" "and says so"

done_testing
