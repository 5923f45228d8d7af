#!/bin/bash
# postsuper on a copy of the queue Postfix left (test/data/showq): -h and
# -H move files between deferred/ and hold/, -r moves to incoming/ and drops
# the defer log, -d and -d - remove files with their logs; Postfix's log
# lines and summaries; -s puts misplaced files back and renames short ids
# that do not match their inode; root only.
. "$POSTERN_SRC/test/lib.sh"
DATA=$POSTERN_SRC/test/data/showq
tmpdir
export TZ=UTC LANG=C
Q=$T/queue C=$T/etc LOG=$T/maillog
mkdir -p "$Q" "$C"
tar -C "$Q" -xf "$DATA/queue-state.tar" --no-same-owner
cat >"$C/main.cf" <<EOT
queue_directory = $Q
command_directory = $POSTERN_INST/sbin
maillog_file = $LOG
myhostname = mail.example.com
EOT
export MAIL_CONFIG=$C
logged() { grep -qE "mail postfix/postsuper\[[0-9]+\]: $1\$" "$LOG"; }

# -h: deferred -> hold
postsuper -h 8C4FE106096 2>"$T/err"
ok $? "postsuper -h exits 0"
check "-h: the file is in hold/" test -f "$Q/hold/8C4FE106096"
check "-h: not in deferred/ any more" test ! -e "$Q/deferred/8/8C4FE106096"
check "-h: the defer log stays" test -f "$Q/defer/8/8C4FE106096"
is "$(cat "$T/err")" "postsuper: Placed on hold: 1 message" "-h: summary on stderr"
check "-h: logged ID: placed on hold" logged "8C4FE106096: placed on hold"
check "-h: logged the summary" logged "Placed on hold: 1 message"
like "$(postqueue -p | grep 8C4FE106096)" '^8C4FE106096!' "postqueue -p marks it held with !"

# -H: hold -> deferred, due now
touch -d '2000-01-01' "$Q/hold/8C4FE106096"
postsuper -H 8C4FE106096 2>"$T/err"
check "-H: back in deferred/8/" test -f "$Q/deferred/8/8C4FE106096"
check "-H: not in hold/" test ! -e "$Q/hold/8C4FE106096"
check "-H: its mtime is now (due for delivery)" test "$(stat -c %Y "$Q/deferred/8/8C4FE106096")" -ge $(($(date +%s) - 60))
is "$(cat "$T/err")" "postsuper: Released from hold: 1 message" "-H: summary on stderr"
check "-H: logged ID: released from hold" logged "8C4FE106096: released from hold"
postsuper -H ALL 2>"$T/err"
check "-H ALL: 15B5F1065AE to deferred/1/" test -f "$Q/deferred/1/15B5F1065AE"
is "$(ls -A "$Q/hold")" "" "-H ALL: hold/ is empty"

# -r: to maildrop/ (pickup sends it through cleanup again), owned by
# mail_owner, logs dropped
postsuper -r A14D11060A0 2>"$T/err"
check "-r: the file is in maildrop/" test -f "$Q/maildrop/A14D11060A0"
is "$(stat -c %U "$Q/maildrop/A14D11060A0")" postfix "-r: owned by mail_owner"
check "-r: not in deferred/ any more" test ! -e "$Q/deferred/A/A14D11060A0"
check "-r: the defer log is gone" test ! -e "$Q/defer/A/A14D11060A0"
is "$(cat "$T/err")" "postsuper: Requeued: 1 message" "-r: summary on stderr"
check "-r: logged ID: requeued" logged "A14D11060A0: requeued"

# -d -: ids on standard input
printf 'B6100106186\nDFB371061D5 NOTANID\n' | postsuper -d - 2>"$T/err"
check "-d -: B6100106186 removed" test ! -e "$Q/deferred/B/B6100106186"
check "-d -: DFB371061D5 removed" test ! -e "$Q/deferred/D/DFB371061D5"
check "-d -: their defer logs removed" test ! -e "$Q/defer/B/B6100106186" -a ! -e "$Q/defer/D/DFB371061D5"
like "$(cat "$T/err")" "postsuper: warning: invalid mail queue id: NOTANID" "-d -: a bad id is a warning"
like "$(cat "$T/err")" "postsuper: Deleted: 2 messages" "-d -: summary on stderr"
check "-d -: logged ID: removed" logged "DFB371061D5: removed"
check "-d -: logged Deleted: 2 messages" logged "Deleted: 2 messages"

# -d ALL deferred: only that queue
postsuper -d ALL deferred 2>"$T/err"
is "$(find "$Q/deferred" -type f | wc -l)" 0 "-d ALL deferred: deferred/ is empty"
check "-d ALL deferred: active/ untouched" test -f "$Q/active/76D8F1060C7"
check "-d ALL deferred: maildrop/ untouched" test -f "$Q/maildrop/A14D11060A0"
postsuper -d 76D8F1060C7 bogus 2>"$T/err"
is "$?" 1 "an unknown queue name is fatal"
like "$(cat "$T/err")" "fatal: invalid directory name: bogus" "and named"

# Not root.
if id nobody >/dev/null 2>&1; then
    out=$(runuser -u nobody -- env ASAN_OPTIONS=detect_leaks=0 "$POSTERN_INST/sbin/postsuper" -d ALL 2>&1)
    is "$out" "postsuper: fatal: use of this command is reserved for the superuser" "not root: refused"
else
    skip "no user nobody"
fi

# -s: structure.
rm -rf "$Q" && mkdir -p "$Q" && tar -C "$Q" -xf "$DATA/queue-state.tar" --no-same-owner
mv "$Q/deferred/9/4jWrnD4DmPz84cQ" "$Q/deferred/0/4jWrnD4DmPz84cQ"
mv "$Q/defer/9/4jWrnD4DmPz84cQ" "$Q/defer/E/4jWrnD4DmPz84cQ"
ino=$(stat -c %i "$Q/active/76D8F1060C7")
new=$(printf '76D8F%X' "$ino")
postsuper -s 2>"$T/err"
check "-s: a misplaced file goes back to deferred/9/" test -f "$Q/deferred/9/4jWrnD4DmPz84cQ"
check "-s: a misplaced defer log goes back to defer/9/" test -f "$Q/defer/9/4jWrnD4DmPz84cQ"
if [ "$new" != 76D8F1060C7 ]; then
    check "-s: a short id that is not its inode is renamed to $new" test -f "$Q/active/$new"
    check "-s: the old name is gone" test ! -e "$Q/active/76D8F1060C7"
    like "$(cat "$T/err")" "warning: 76D8F1060C7: renamed to $new" "-s: the rename is reported"
    check "-s: a renamed message keeps its defer log" bash -c "ls $Q/defer/8/ | grep -q '^8C4FE' && ! test -e $Q/defer/8/8C4FE106096 -a ! -e $Q/deferred/8/8C4FE106096"
else
    skip "inode happens to match"; skip "."; skip "."; skip "."
fi
is "$(postqueue -p | tail -1)" "-- 5 Kbytes in 8 Requests." "-s: all 8 messages are still listed"
done_testing
