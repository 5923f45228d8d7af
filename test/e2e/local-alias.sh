#!/bin/bash
# The local delivery agent's expansions, under master, driven by
# deliver_send: alias_maps built by postalias (an alias to two users, to a
# file and to a command run as default_privs, :include:, an alias that
# names itself, a non-local address forwarded through cleanup as a new
# message "forwarded as ID" with Delivered-To:), ~/.forward (files and
# commands as the user, "\user" to the mailbox), .forward+ext for user+ext,
# luser_relay, a file in a .forward that is not allowed.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/local/local-lib.sh"

A=pstla$$ B=pstlb$$
local_setup "$A" "$B"
F=$T/files
mkdir -p "$F"
chmod 1777 "$F"

printf '# the list\n%s\n' "$B" >"$F/list"
cat >"$C/aliases" <<EOF2
# test aliases
team: $A, $B
tofile: $F/alias.mbox
tocmd: "|env >$F/cmd.env; cat >$F/cmd.out"
incl: :include:$F/list
self: \\$A, $A@example.com
remote: someone@elsewhere.test, $A
mixed: $B, $F/nosuchdir/file
EOF2
postalias -c "$C" "$C/aliases"
check "postalias built the table" test -f "$C/aliases.db"

inst_param alias_maps "hash:$C/aliases"
inst_service "local-nf  unix  -       n       n       -       -       local -o allow_mail_to_files=alias -o allow_mail_to_commands=alias"
inst_service "local-lr  unix  -       n       n       -       -       local -o luser_relay=$B+lost"
local_start

MA=$SP/$A MB=$SP/$B

# 1. an alias to two local users.
id=$(msg team | queue -r "team@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "rcpt=team@mail.example.com offset=[0-9]+ result=sent dsn=2.0.0 reason=delivered to mailbox" \
    "the alias is sent"
is "$(rcpts "$id")" "done_recipient: team@mail.example.com " "and marked done"
check "logged for the first user, orig_to the alias" inst_log_wait \
    "postfix/local\[[0-9]+\]: $id: to=<$A@example.com>, orig_to=<team@mail.example.com>, relay=local, delay=$DELAY_RE, delays=$DELAY_RE/$DELAY_RE/0/$DELAY_RE, dsn=2.0.0, status=sent \(delivered to mailbox\)$"
check "and for the second" inst_log_wait \
    "$id: to=<$B@example.com>, orig_to=<team@mail.example.com>, relay=local, .*status=sent \(delivered to mailbox\)$"
like "$(cat "$MA" 2>&1)" "^Subject: test team$" "the first user has it"
like "$(cat "$MB" 2>&1)" "^Subject: test team$" "the second user has it"
like "$(cat "$MA")" "^Delivered-To: team@mail.example.com$" "Delivered-To: is the alias (frozen_delivered_to)"
is "$(stat -c %U "$MA" "$MB" 2>&1 | tr '\n' ' ')" "$A $B " "each mbox is its user's"

# 2. an alias to a file: as default_privs.
id=$(msg tofile | queue -r "tofile@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to file: $F/alias.mbox" "an alias to a file"
is "$(stat -c %U "$F/alias.mbox" 2>&1)" nobody "the file is written as default_privs (nobody)"
like "$(head -1 "$F/alias.mbox")" "^From sender@example.org " "in mbox format"
check "logged as delivered to file" inst_log_wait "$id: to=<tofile@mail.example.com>, relay=local, .*status=sent \(delivered to file: $F/alias.mbox\)$"

# 3. an alias to a command.
id=$(msg tocmd | queue -r "tocmd@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to command: env >$F/cmd.env; cat >$F/cmd.out" "an alias to a command"
is "$(stat -c %U "$F/cmd.out" 2>&1)" nobody "the command runs as nobody"
like "$(cat "$F/cmd.out")" "^Hello tocmd$" "the command got the message"
like "$(cat "$F/cmd.env")" "^RECIPIENT=tocmd@mail.example.com$" "with RECIPIENT"

# 4. :include:
id=$(msg incl | queue -r "incl@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent" ":include: is expanded"
like "$(cat "$MB")" "^Subject: test incl$" "the listed user has it"
check "logged with orig_to" inst_log_wait "$id: to=<$B@example.com>, orig_to=<incl@mail.example.com>, relay=local, .*status=sent \(delivered to mailbox\)$"

# 5. an alias that names its own user and itself: each once.
id=$(msg self | queue -r "self@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent" "an alias to \\\\user"
is "$(grep -c '^Subject: test self$' "$MA")" 1 "delivered once"

# 6. a non-local address: forwarded through cleanup as a new message.
id=$(msg remote | queue -r "remote@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent" "an alias with a remote address"
check "forwarded as a new message" inst_log_wait \
    "$id: to=<someone@elsewhere.test>, orig_to=<remote@mail.example.com>, relay=local, .*dsn=2.0.0, status=sent \(forwarded as [0-9A-F]+\)$"
nid=$(sed -nE "s/.*$id: to=<someone@elsewhere.test>.*forwarded as ([0-9A-F]+)\)$/\1/p" "$LOG" | head -1)
check "the new message is queued" test -f "$Q/incoming/$nid"
out=$(inst_postcat -q "$nid" 2>/dev/null || inst_postcat "$Q/incoming/$nid")
like "$out" "^sender: sender@example.org$" "with the same sender"
like "$out" "^recipient: someone@elsewhere.test$" "to the remote address only"
like "$out" "^Delivered-To: remote@mail.example.com$" "and a Delivered-To: header"
like "$(cat "$MA")" "^Subject: test remote$" "the local address of the alias is delivered directly"

# 7. a message that was delivered to an alias before (Delivered-To:) loops.
id=$(printf 'Delivered-To: team@mail.example.com\nSubject: looped\n\nx\n' | queue -r "team@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.4.6 reason=mail forwarding loop for team@mail.example.com" \
    "an alias whose Delivered-To: is in the message bounces 5.4.6"

# 8. ~/.forward: a file and a command as the user, \user to the mailbox.
HA=$T/home/$A
printf '\\%s, %s/fwd.mbox\n"|cat >%s/fwd.out"\n' "$A" "$HA" "$HA" >"$HA/.forward"
chown "$A:$A" "$HA/.forward"
id=$(msg forward | queue -r "$A@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent" ".forward is used"
is "$(stat -c %U "$HA/fwd.mbox" "$HA/fwd.out" 2>&1 | tr '\n' ' ')" "$A $A " "its file and command run as the user"
like "$(cat "$HA/fwd.out")" "^Hello forward$" "the command got the message"
like "$(cat "$MA")" "^Subject: test forward$" "\\\\user delivers to the mailbox too"
check "the file delivery is logged" inst_log_wait "$id: to=<$A@mail.example.com>, relay=local, .*status=sent \(delivered to file: $HA/fwd.mbox\)$"

# 9. .forward+ext for user+ext.
printf '"|cat >%s/ext.out"\n' "$HA" >"$HA/.forward+box"
chown "$A:$A" "$HA/.forward+box"
id=$(msg ext | queue -r "$A+box@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to command: cat >$HA/ext.out" ".forward+box for $A+box"
like "$(cat "$HA/ext.out" 2>&1)" "^Hello ext$" "the extension's .forward ran"

# forward_expansion_filter: other characters of the extension become '_'.
printf '"|cat >%s/filtered.out"\n' "$HA" >"$HA/.forward+a_b"
chown "$A:$A" "$HA/.forward+a_b"
id=$(msg filtered | queue -r "$A+a#b@mail.example.com")
send -s private/local "$id"
like "$(cat "$HA/filtered.out" 2>&1)" "^Hello filtered$" "'#' in the extension is '_' in the .forward path"

# 10. a .forward that someone else owns is ignored.
HB=$T/home/$B
printf '%s/bad.mbox\n' "$HB" >"$HB/.forward"
chown "$A:$A" "$HB/.forward"
id=$(msg owner | queue -r "$B@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to mailbox" "a .forward owned by another user is ignored"
check "with a warning" inst_log_wait "warning: file $HB/.forward is not owned by user $B: ignored"
check "no file was written" test ! -e "$HB/bad.mbox"
rm -f "$HB/.forward"

# 11. luser_relay.
id=$(msg lost | queue -r "nosuch$$@mail.example.com")
send -s private/local-lr "$id"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0 reason=delivered to mailbox" "an unknown user goes to luser_relay"
check "logged with orig_to" inst_log_wait "$id: to=<$B\+lost@example.com>, orig_to=<nosuch$$@mail.example.com>, relay=local, .*status=sent \(delivered to mailbox\)$"
like "$(cat "$MB")" "^Subject: test lost$" "the relay user has it"
id=$(msg nolr | queue -r "nosuch$$@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.1.1" "without luser_relay it bounces"

# 14. one destination of an alias fails: the alias recipient is deferred
# (not marked done), the other destination is delivered.
id=$(msg mixed | queue -r "mixed@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "rcpt=mixed@mail.example.com offset=[0-9]+ result=deferred dsn=4\.[0-9]\.[0-9] reason=.*nosuchdir" \
    "a failed file destination defers the alias"
is "$(rcpts "$id")" "recipient: mixed@mail.example.com " "the alias recipient stays undone"
like "$(cat "$MB")" "^Subject: test mixed$" "the user destination was delivered"
check "both outcomes are logged" inst_log_wait "$id: to=<mixed@mail.example.com>, relay=local, .*status=deferred \(.*nosuchdir"
check "the defer record names the alias" grep -q "^recipient=mixed@mail.example.com$" "$Q/defer/${id:0:1}/$id"

# 13. address probes (DELIVER_FLAG_VERIFY): nothing is delivered.
size=$(stat -c %s "$MA")
id=$(msg probe | queue -r "team@mail.example.com" -r "nosuch$$@mail.example.com" -r "tocmd@mail.example.com")
send -s private/local -f $((0x103)) "$id"
like "$(cat "$T/send.out")" "rcpt=team@mail.example.com offset=[0-9]+ result=sent dsn=2.0.0 reason=delivers to mailbox" "a probe: deliverable"
like "$(cat "$T/send.out")" "rcpt=nosuch$$@mail.example.com offset=[0-9]+ result=bounced dsn=5.1.1" "a probe of an unknown user: undeliverable"
like "$(cat "$T/send.out")" "rcpt=tocmd@mail.example.com offset=[0-9]+ result=sent dsn=2.0.0 reason=delivers to command: " "a probe of a command alias"
check "logged as deliverable" inst_log_wait "$id: to=<$A@example.com>, orig_to=<team@mail.example.com>, relay=local, .*status=deliverable \(delivers to mailbox\)$"
check "and undeliverable" inst_log_wait "$id: to=<nosuch$$@mail.example.com>, relay=local, .*status=undeliverable \(unknown user: \"nosuch$$\"\)$"
is "$(stat -c %s "$MA")" "$size" "the mailbox is unchanged"
check "no bounce record for a probe" test ! -e "$Q/bounce/$id"

# 12. files and commands in .forward not allowed by allow_mail_to_files/_commands.
printf '%s/nf.mbox, "|cat >%s/nf.out"\n' "$HA" "$HA" >"$HA/.forward"
chown "$A:$A" "$HA/.forward"
id=$(msg restricted | queue -r "$A@mail.example.com")
send -s private/local-nf "$id"
like "$(cat "$T/send.out")" "result=bounced dsn=5.7.1 reason=mail to (file|command) is restricted" "restricted file and command bounce 5.7.1"
check "logged for the file" inst_log_wait "$id: to=<$A@mail.example.com>, relay=local, .*dsn=5.7.1, status=bounced \(mail to file is restricted\)$"
check "logged for the command" inst_log_wait "$id: to=<$A@mail.example.com>, relay=local, .*dsn=5.7.1, status=bounced \(mail to command is restricted\)$"
check "nothing was written" test ! -e "$HA/nf.mbox" -a ! -e "$HA/nf.out"

inst_stop
check "no local process died or failed" bash -c "! grep -E 'libexec/local pid [0-9]+ (exit status|killed)' '$LOG'"

done_testing
