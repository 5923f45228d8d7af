#!/bin/bash
# postqueue -p/-j, mailq and sendmail -bp on the queue state Postfix 3.7.11
# listed (test/data/showq/queue-state.tar), read directly as root with the
# system down: output byte-identical to Postfix's, with long and short id
# headers (the client's enable_long_queue_ids); postsuper -d ID and -d ALL
# then give Postfix's short-ids and empty-queue outputs.
. "$POSTERN_SRC/test/lib.sh"
DATA=$POSTERN_SRC/test/data/showq
tmpdir
export TZ=UTC LANG=C
Q=$T/queue C=$T/etc CS=$T/etc-short
mkdir -p "$Q" "$C" "$CS"
tar -C "$Q" -xf "$DATA/queue-state.tar" --no-same-owner
printf 'queue_directory = %s\ncommand_directory = %s\nenable_long_queue_ids = yes\n' \
    "$Q" "$POSTERN_INST/sbin" >"$C/main.cf"
sed 's/^enable_long_queue_ids = yes/enable_long_queue_ids = no/' "$C/main.cf" >"$CS/main.cf"

same() { # FILE EXPECTED NAME
    if cmp -s "$1" "$2"; then ok 0 "$3"; else ok 1 "$3"; diff "$1" "$2" | head -20 | sed 's/^/# /'; fi
}

postqueue -c "$C" -p >"$T/p" 2>"$T/err"
ok $? "postqueue -p as root with the system down exits 0"
same "$T/p" "$DATA/postqueue-p.txt" "postqueue -p: Postfix's listing, long-id header"
postqueue -c "$C" -j >"$T/j"
same "$T/j" "$DATA/postqueue-j.txt" "postqueue -j: Postfix's JSON lines"
MAIL_CONFIG=$C mailq >"$T/m" 2>>"$T/err"
same "$T/m" "$DATA/mailq.txt" "mailq: the same listing"
MAIL_CONFIG=$C sendmail -bp >"$T/m2" 2>>"$T/err"
same "$T/m2" "$DATA/mailq.txt" "sendmail -bp: the same listing"
is "$(cat "$T/err")" "" "nothing on standard error"

postsuper -c "$C" -d 4jWrnD4DmPz84cQ 2>"$T/err"
ok $? "postsuper -d ID exits 0"
is "$(cat "$T/err")" "postsuper: Deleted: 1 message" "postsuper -d ID: summary on stderr"
postqueue -c "$CS" -p >"$T/p"
same "$T/p" "$DATA/postqueue-p.short-ids.txt" "short-id header after -d: Postfix's listing"
postqueue -c "$CS" -j >"$T/j"
same "$T/j" "$DATA/postqueue-j.short-ids.txt" "postqueue -j after -d"
MAIL_CONFIG=$CS mailq >"$T/m"
same "$T/m" "$DATA/mailq.short-ids.txt" "mailq after -d"

postsuper -c "$C" -d ALL 2>"$T/err"
is "$(cat "$T/err")" "postsuper: Deleted: 7 messages" "postsuper -d ALL: 7 messages"
is "$(find "$Q" -type f | wc -l)" 0 "no queue file nor defer log is left"
postqueue -c "$C" -p >"$T/p"
same "$T/p" "$DATA/empty.postqueue-p.txt" "empty queue: Mail queue is empty"
postqueue -c "$CS" -p >"$T/p"
same "$T/p" "$DATA/empty.postqueue-p.txt" "empty queue, short ids: the same"
MAIL_CONFIG=$C mailq >"$T/m"
same "$T/m" "$DATA/empty.mailq.txt" "empty queue: mailq"
postqueue -c "$C" -j >"$T/j"
same "$T/j" "$DATA/empty.postqueue-j.txt" "empty queue: postqueue -j prints nothing"

# Usage errors.
postqueue -c "$C" -p -j 2>"$T/err"
is "$?" 64 "two modes: usage error, exit 64"
like "$(cat "$T/err")" "^postqueue: fatal: usage: postqueue" "usage message"
done_testing
