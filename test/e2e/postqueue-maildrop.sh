#!/bin/bash
# Mail submitted with sendmail while the system is down waits in maildrop/:
# root's postqueue -p and -j list it (no status mark, queue_name maildrop,
# the submitting user as sender), and postsuper -d ALL maildrop removes it.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
sub_setup || { echo "# set-up failed"; exit 1; }
export TZ=UTC

printf 'Subject: queued\n\nhello\n' | as_user sendmail -f alice@example.com bob@example.org
ok $? "sendmail with the system down exits 0"
id=$(maildrop_files)
is "$(echo "$id" | wc -l)" 1 "one file in maildrop/"
size=$(stat -c %s "$Q/maildrop/$id")
out=$(postqueue -p)
like "$(echo "$out" | sed -n 2p)" "^$id +$size [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8}  alice@example.com\$" \
    "postqueue -p: the maildrop message, its file size, no mark"
is "$(echo "$out" | sed -n 3p | sed 's/^ *//')" "bob@example.org" "its recipient"
is "$(echo "$out" | tail -1)" "-- 0 Kbytes in 1 Request." "one Request, singular"
like "$(postqueue -j)" "^\\{\"queue_name\": \"maildrop\", \"queue_id\": \"$id\", .*\"sender\": \"alice@example.com\", \"recipients\": \\[\\{\"address\": \"bob@example.org\"\\}\\]\\}\$" \
    "postqueue -j: the maildrop message"
postsuper -d ALL maildrop 2>"$T/err"
is "$(cat "$T/err")" "postsuper: Deleted: 1 message" "postsuper -d ALL maildrop"
is "$(maildrop_files)" "" "maildrop/ is empty"
is "$(postqueue -p)" "Mail queue is empty" "and so is the queue"
done_testing
