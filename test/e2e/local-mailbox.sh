#!/bin/bash
# The local delivery agent under master, driven by deliver_send (it plays
# qmgr): mbox delivery into a test mail_spool_directory (From_ line,
# ">From " quoting, Return-Path:, X-Original-To:, Delivered-To:, the file
# owned by the user), Maildir and a home mbox (home_mailbox),
# mailbox_command (environment, exit codes 75 -> deferred, 67 -> bounced
# 5.1.1), user+ext, an unknown user (bounce 5.1.1, bounce/ID owned by
# postfix), the Delivered-To: loop check (5.4.6), a mailbox that is a
# directory (deferred, nothing written, recipient not done) and
# mailbox_size_limit (bounced 5.2.2, the mbox truncated back).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/local/local-lib.sh"

U=pstlm$$
local_setup "$U"
H=$T/home/$U

cat >"$T/mbcmd.sh" <<EOS
#!/bin/sh
# a mailbox_command: the message and the environment into the home
env >"\$HOME/mc.env"
cat >"\$HOME/mc.out"
if [ -e "$T/mc.exit" ]; then echo "mbcmd: no thanks" >&2; exit \$(cat "$T/mc.exit"); fi
exit 0
EOS
chmod 755 "$T/mbcmd.sh"
printf '%s %s\n' "$U" "$T/mbcmd.sh" >"$T/mcmaps"
printf '#!/bin/sh\necho $$ >"%s/slow.pid"\nexec sleep 60\n' "$T" >"$T/slow.sh"
chmod 755 "$T/slow.sh"

inst_param alias_maps ""
inst_service "local-md  unix  -       n       n       -       -       local -o home_mailbox=Maildir/"
inst_service "local-hm  unix  -       n       n       -       -       local -o home_mailbox=Mailbox"
inst_service "local-mc  unix  -       n       n       -       -       local -o mailbox_command=$T/mbcmd.sh"
inst_service "local-tl  unix  -       n       n       -       -       local -o mailbox_command=$T/slow.sh -o command_time_limit=2s"
inst_service "local-mt  unix  -       n       n       -       -       local -o mailbox_transport=discard:kept-elsewhere"
inst_service "local-fb  unix  -       n       n       -       -       local -o fallback_transport=error:nobody-here"
inst_service "local-nt  unix  -       n       n       -       -       local -o mailbox_transport=nosuchtransport"
inst_service "local-cm  unix  -       n       n       -       -       local -o mailbox_command_maps=texthash:$T/mcmaps"
inst_service "discard   unix  -       -       y       -       -       discard"
inst_service "error     unix  -       -       y       -       -       error"
inst_service "local-sl  unix  -       n       n       -       -       local -o mailbox_size_limit=2000 -o message_size_limit=1000"
local_start

# msg NAME [HEADER]: a message with a From_-like body line to quote
msg() {
    printf 'Subject: test %s\nFrom: sender@example.org\n%s\nHello,\nFrom the body, a line to quote.\n>From stays.\nbye\n' "$1" "${2:+$2
}"
}

# 1. mbox in the spool directory.
id=$(msg one | queue -r "$U@mail.example.com")
like "$id" '^[0-9A-F]{6,}$' "a message is queued"
send -s private/local "$id"
ok $? "deliver_send gets a result from local"
like "$(cat "$T/send.out")" "^rcpt=$U@mail.example.com offset=[0-9]+ result=sent dsn=2.0.0 reason=delivered to mailbox$" \
    "sent: delivered to mailbox"
check "local logs Postfix's line" inst_log_wait \
    "postfix/local\[[0-9]+\]: $id: to=<$U@mail.example.com>, relay=local, delay=$DELAY_RE, delays=$DELAY_RE/$DELAY_RE/0/$DELAY_RE, dsn=2.0.0, status=sent \(delivered to mailbox\)$"
is "$(rcpts "$id")" "done_recipient: $U@mail.example.com " "the recipient is marked done"
MB=$SP/$U
is "$(stat -c '%U %a' "$MB" 2>&1)" "$U 600" "the mbox is the user's, mode 600"
like "$(head -1 "$MB")" "^From sender@example.org  [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8} [0-9]{4}$" "the From_ line"
is "$(sed -n 2,4p "$MB")" "Return-Path: <sender@example.org>
X-Original-To: $U@mail.example.com
Delivered-To: $U@mail.example.com" "Return-Path:, X-Original-To:, Delivered-To: on top"
like "$(cat "$MB")" "^>From the body, a line to quote.$" "a body line 'From ' is quoted"
like "$(cat "$MB")" "^>From stays.$" "'>From ' is left alone (only 'From ' is quoted, as Postfix does)"
is "$(tail -c 5 "$MB" | od -An -c | tr -s ' ')" " b y e \n \n" "a blank line ends the message"
check "no dot-lock left behind" test ! -e "$MB.lock"

# 2. a second message appends.
id=$(msg two | queue -r "$U@mail.example.com")
send -s private/local "$id"
is "$(grep -c '^From ' "$MB")" 2 "a second message is appended"

# 3. user+ext: delivered to the user's mailbox.
id=$(msg ext | queue -r "$U+box@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to mailbox" "user+ext is delivered"
like "$(cat "$MB")" "^Delivered-To: $U\+box@mail.example.com$" "Delivered-To: keeps the extension"

# 4. unknown user.
id=$(msg unknown | queue -r "nosuch$$@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.1.1 reason=unknown user: \"nosuch$$\"" "an unknown user bounces 5.1.1"
check "the bounce is logged" inst_log_wait \
    "$id: to=<nosuch$$@mail.example.com>, relay=local, .*dsn=5.1.1, status=bounced \(unknown user: \"nosuch$$\"\)$"
is "$(stat -c %U "$Q/bounce/$id" 2>&1)" postfix "bounce/$id is written and owned by postfix"
like "$(cat "$Q/bounce/$id")" "^action=failed$" "with action=failed"
is "$(rcpts "$id")" "done_recipient: nosuch$$@mail.example.com " "the bounced recipient is marked done"

# 5. Delivered-To: loop.
size_before=$(stat -c %s "$MB")
id=$(msg loop "Delivered-To: $U@mail.example.com" | queue -r "$U@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.4.6 reason=mail forwarding loop for $U@mail.example.com" \
    "a message that was delivered to this recipient before bounces 5.4.6"
is "$(stat -c %s "$MB")" "$size_before" "and is not delivered"

# 6. Maildir in the home directory.
id=$(msg maildir | queue -r "$U@mail.example.com")
send -s private/local-md "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to maildir" "home_mailbox = Maildir/"
f=$(ls "$H/Maildir/new/" 2>/dev/null | head -1)
like "$f" "^[0-9]+\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\." "one file in Maildir/new"
is "$(ls "$H/Maildir/tmp" | wc -l)" 0 "nothing left in Maildir/tmp"
is "$(stat -c %U "$H/Maildir/new/$f" "$H/Maildir" 2>&1 | sort -u)" "$U" "the Maildir and its file are the user's"
is "$(head -3 "$H/Maildir/new/$f")" "Return-Path: <sender@example.org>
X-Original-To: $U@mail.example.com
Delivered-To: $U@mail.example.com" "no From_ line, the same headers"
like "$(cat "$H/Maildir/new/$f")" "^From the body" "no quoting in a Maildir"
check "the Maildir delivery is logged" inst_log_wait "$id: to=<$U@mail.example.com>, relay=local, .*status=sent \(delivered to maildir\)$"

# 7. home_mailbox = Mailbox (an mbox in the home, as the user).
id=$(msg homembox | queue -r "$U@mail.example.com")
send -s private/local-hm "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to mailbox" "home_mailbox = Mailbox"
is "$(stat -c %U "$H/Mailbox" 2>&1)" "$U" "the home mbox is the user's"
like "$(head -1 "$H/Mailbox")" "^From sender@example.org " "with a From_ line"

# 8. mailbox_command.
id=$(msg command | queue -r "$U+tag@mail.example.com")
send -s private/local-mc "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to command: $T/mbcmd.sh" "mailbox_command: delivered"
check "logged as delivered to command" inst_log_wait "$id: to=<$U\+tag@mail.example.com>, relay=local, .*status=sent \(delivered to command: $T/mbcmd.sh\)$"
is "$(stat -c %U "$H/mc.out" 2>&1)" "$U" "the command ran as the user"
like "$(head -1 "$H/mc.out")" "^From sender@example.org " "the command gets a From_ line"
like "$(cat "$H/mc.out")" "^Delivered-To: $U\+tag@mail.example.com$" "and Delivered-To:"
like "$(cat "$H/mc.env")" "^SENDER=sender@example.org$" "SENDER"
like "$(cat "$H/mc.env")" "^RECIPIENT=$U\+tag@mail.example.com$" "RECIPIENT"
like "$(cat "$H/mc.env")" "^EXTENSION=tag$" "EXTENSION"
like "$(cat "$H/mc.env")" "^USER=$U$" "USER"
like "$(cat "$H/mc.env")" "^HOME=$H$" "HOME"
like "$(cat "$H/mc.env")" "^LOCAL=$U\+tag$" "LOCAL"
like "$(cat "$H/mc.env")" "^DOMAIN=mail.example.com$" "DOMAIN"
echo 75 >"$T/mc.exit"
id=$(msg tempfail | queue -r "$U@mail.example.com")
send -s private/local-mc "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=temporary failure" "exit 75 (EX_TEMPFAIL): deferred"
is "$(rcpts "$id")" "recipient: $U@mail.example.com " "a deferred recipient is not marked done"
check "a defer log is written" test -s "$Q/defer/${id:0:1}/$id"
echo 67 >"$T/mc.exit"
id=$(msg nouser | queue -r "$U@mail.example.com")
send -s private/local-mc "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.1.1 reason=user unknown" "exit 67 (EX_NOUSER): bounced 5.1.1"
echo 1 >"$T/mc.exit"
id=$(msg fail | queue -r "$U@mail.example.com")
send -s private/local-mc "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.3.0 reason=Command died with status 1: \"$T/mbcmd.sh\". Command output: mbcmd: no thanks$" \
    "exit 1: bounced, with the command's output"
rm -f "$T/mc.exit"

# 9. a mailbox that cannot be written: deferred, nothing written.
mv "$MB" "$T/mbox.saved"
mkdir "$MB"
id=$(msg dir | queue -r "$U@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4\.[0-9]\.[0-9] reason=.*$MB" "a directory where the mbox should be: deferred"
is "$(rcpts "$id")" "recipient: $U@mail.example.com " "the recipient stays undone"
is "$(ls -A "$MB")" "" "nothing was written"
check "the deferral is logged" inst_log_wait "$id: to=<$U@mail.example.com>, relay=local, .*status=deferred \("
rmdir "$MB"
mv "$T/mbox.saved" "$MB"

# 10. mailbox_size_limit: bounced, the mbox truncated back.
head -c 1900 /dev/zero | tr '\0' 'x' | fold -w 60 >"$MB"
chown "$U:$U" "$MB"
sum_before=$(md5sum <"$MB")
id=$(msg big | queue -r "$U@mail.example.com")
send -s private/local-sl "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.2.2 reason=" "over mailbox_size_limit: bounced 5.2.2"
is "$(md5sum <"$MB")" "$sum_before" "the mbox is truncated back to what it was"

# 11. command_time_limit: the command is killed, the recipient deferred.
id=$(msg slow | queue -r "$U@mail.example.com")
start=$(date +%s)
send -s private/local-tl "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=Command time limit exceeded: \"$T/slow.sh\"" \
    "a command over command_time_limit is deferred"
ok $(( $(date +%s) - start < 15 ? 0 : 1 )) "after about the time limit"
check "and it is killed" bash -c "! kill -0 \$(cat '$T/slow.pid') 2>/dev/null"

# 12. several recipients in one request, each with its own outcome.
id=$(msg multi | queue -r "$U@mail.example.com" -r "nosuch$$@mail.example.com" -r "root@mail.example.com")
send -s private/local "$id"
want="status=0
hop_status=
rcpt=$U@mail.example.com offset=OFF result=sent dsn=2.0.0 reason=delivered to mailbox
rcpt=nosuch$$@mail.example.com offset=OFF result=bounced dsn=5.1.1 reason=unknown user: \"nosuch$$\"
rcpt=root@mail.example.com offset=OFF result=sent dsn=2.0.0 reason=delivered to mailbox"
is "$(sed -E 's/offset=[0-9]+/offset=OFF/' "$T/send.out")" "$want" "three recipients, three outcomes"
is "$(rcpts "$id")" "done_recipient: $U@mail.example.com done_recipient: nosuch$$@mail.example.com done_recipient: root@mail.example.com " \
    "all three are done"
is "$(stat -c '%U %a' "$SP/root" 2>&1)" "root 600" "root's mail goes to the spool mbox, as root"

# 13. mailbox_transport: the mailbox goes to another agent, which logs it;
# local marks the recipient done.
check "private/discard exists" inst_wait_sock private/discard
id=$(msg mt | queue -r "$U@mail.example.com")
send -s private/local-mt "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=kept-elsewhere$" "mailbox_transport: the other agent's result"
check "the other agent logs the delivery" inst_log_wait \
    "postfix/discard\[[0-9]+\]: $id: to=<$U@mail.example.com>, relay=none, .*status=sent \(kept-elsewhere\)$"
is "$(rcpts "$id")" "done_recipient: $U@mail.example.com " "local marks the recipient done"
check "local does not log it a second time" bash -c "! grep -q 'postfix/local.*$id: to=' '$LOG'"
id=$(msg mt2 | queue -r "nosuch$$@mail.example.com")
send -s private/local-mt "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=kept-elsewhere$" "mailbox_transport takes unknown users too"

# 14. fallback_transport: unknown users go there.
id=$(msg fb | queue -r "nosuch$$@mail.example.com")
send -s private/local-fb "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.0.0 reason=nobody-here$" "fallback_transport gets the unknown user"
check "the error agent logs the bounce" inst_log_wait \
    "postfix/error\[[0-9]+\]: $id: to=<nosuch$$@mail.example.com>, relay=none, .*status=bounced \(nobody-here\)$"
like "$(cat "$Q/bounce/$id" 2>&1)" "^recipient=nosuch$$@mail.example.com$" "and writes the bounce record"
is "$(rcpts "$id")" "done_recipient: nosuch$$@mail.example.com " "local marks the recipient done"
id=$(msg fb2 | queue -r "$U@mail.example.com")
send -s private/local-fb "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to mailbox" "known users still get their mailbox"

# 15. a mailbox_transport that does not answer: deferred by local.
id=$(msg nt | queue -r "$U@mail.example.com")
send -s private/local-nt "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=mail transport unavailable" "an unreachable mailbox_transport defers"
check "local logs the deferral" inst_log_wait "postfix/local\[[0-9]+\]: $id: to=<$U@mail.example.com>, relay=local, .*status=deferred \(mail transport unavailable\)$"
is "$(rcpts "$id")" "recipient: $U@mail.example.com " "and leaves the recipient undone"

# 16. mailbox_command_maps: a per-user command.
rm -f "$H/mc.out"
id=$(msg cm | queue -r "$U@mail.example.com")
send -s private/local-cm "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to command: $T/mbcmd.sh" "mailbox_command_maps"
like "$(cat "$H/mc.out" 2>&1)" "^Subject: test cm$" "the user's command got the message"

# 17. a malformed request is refused; a missing queue file defers.
id=$(msg bad | queue -r "$U@mail.example.com")
send -s private/local -I "AB/CD" "$id"
is "$?" 1 "a request with a bad queue id gets no result"
check "local logs why" inst_log_wait "postfix/local\[[0-9]+\]: warning: invalid queue id"
send -s private/local -I "ABCDEF12345" "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=cannot open the queue file" "a queue file that is not there: deferred"
is "$(rcpts "$id")" "recipient: $U@mail.example.com " "nothing was marked"

# The agents exited cleanly (a sanitizer report makes the exit status 99).
inst_stop
check "no local process died or failed" bash -c "! grep -E 'libexec/local pid [0-9]+ (exit status|killed)' '$LOG'"

done_testing
