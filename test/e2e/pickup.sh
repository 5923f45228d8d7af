#!/bin/bash
# pickup under master: mail submitted while the system is stopped waits in
# maildrop/ and goes through cleanup into incoming/ once it starts; mail
# submitted while it runs is picked up at once (postdrop's trigger); the
# queue file has what Postfix's pickup + cleanup give (Received from userid,
# Message-Id, Date, From, Bcc gone, recipients extracted); bad maildrop
# files are removed with a warning, incomplete ones left alone.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
DATA=$POSTERN_SRC/test/data/submit
MKREC=$DATA/mkrec.py
for p in pickup cleanup master postlogd; do
    if [ ! -x "$POSTERN_INST/libexec/postern/$p" ]; then
        echo "1..0 # SKIP $p is not installed"
        exit 0
    fi
done

sub_inst_setup || { echo "# set-up failed"; exit 1; }

# Submitted while stopped: waits in maildrop/.
as_user sendmail -t -F "Alice Example" <"$DATA/sendmail-t.txt" 2>/dev/null
ok $? "sendmail -t while the system is stopped exits 0"
is "$(maildrop_files | wc -l)" 1 "the message waits in maildrop/"

incoming() { ls -A "$Q/incoming" 2>/dev/null; }
# The queue file that is in incoming/ now but was not when $BEFORE was taken.
newest() { comm -13 <(echo "$BEFORE") <(incoming) | head -1; }
count_incoming() { [ "$(incoming | wc -l)" -eq "$1" ]; }
inst_start
ok $? "postfix start"
wait_for count_incoming 1
ok $? "after start the message reaches incoming/"
is "$(maildrop_files)" "" "and maildrop/ is empty"
id=$(incoming)
qf=$Q/incoming/$id
wait_for test -x "$qf"
is "$(stat -c '%A %U' "$qf")" "-rwx------ postfix" "the queue file is complete and belongs to postfix"

# Compare with Postfix's hold-sendmail-t (ids, times, sizes and user made equal).
norm() {
    sed -E -e "s/$1/QUEUEID/g" -e 's/^(message_size:).*/\1 X/' \
        -e 's/^(message_arrival_time|create_time): .*/\1: X/' \
        -e 's/[A-Z][a-z][a-z], [0-9]+ [A-Z][a-z][a-z] [0-9]{4} [0-9:]{8} [-+][0-9]{4} \([A-Z]+\)/DATE/' \
        -e 's/<[0-9]{14}\.QUEUEID@/<STAMP.QUEUEID@/' -e 's/^regular_text: //' \
        -e "s/userid $SUB_UID/userid 2001/; s/\\b$SUB_USER\\b/alice/g" -e 's|\*\*\* (.*) .* \*\*\*|*** \1 ***|'
}
postcat "$qf" | norm "$id" >"$T/ours"
norm CA61510605D <"$DATA/hold-sendmail-t.CA61510605D.postcat" >"$T/fixture"
diff "$T/fixture" "$T/ours" | sed 's/^/# /'
check "the queue file matches Postfix's pickup+cleanup result (hold-sendmail-t)" diff "$T/fixture" "$T/ours"
body=$(postcat -h "$qf")
like "$body" "^Received: by mail.example.com \(Postfix, from userid $SUB_UID\)" "Received: names the submitting uid"
like "$body" "id $id; " "and cleanup's queue id"
ok $(echo "$body" | grep -qi '^Bcc:'; echo $((!$?))) "Bcc: is removed"
like "$body" "From: Alice Example <$SUB_USER@example.com>" "From: added from the full name"
like "$(cat "$LOG")" "postfix/pickup\[[0-9]+\]: $id: uid=$SUB_UID from=<$SUB_USER>" \
    "pickup logs QUEUEID: uid=N from=<user>"

# While running: postdrop's trigger wakes pickup at once.
BEFORE=$(incoming)
printf 'Subject: now\n\nbody\n' | as_user sendmail -f "$SUB_USER" bob@example.com 2>"$T/err"
ok $? "sendmail while running exits 0"
is "$(cat "$T/err")" "" "no warning: pickup's socket answered"
wait_for count_incoming 2
ok $? "picked up within seconds (not the 60 s timer)"

qf2=$Q/incoming/$(newest)
wait_for test -x "$qf2"
env2=$(postcat -e "$qf2")
like "$env2" "sender: $SUB_USER@example.com" "-f user: the sender is qualified by cleanup (myorigin)"
like "$env2" "recipient: bob@example.com" "the command-line recipient is an envelope recipient"
like "$env2" "named_attribute: rewrite_context=local" "rewrite_context=local"

# DSN options survive pickup and cleanup.
BEFORE=$(incoming)
printf 'Subject: dsn\n\nbody\n' | as_user sendmail -v -G -N success,delay -R hdrs -V env-1 carol@relay.test \
    >/dev/null 2>&1
wait_for count_incoming 3
qf3=$Q/incoming/$(newest)
wait_for test -x "$qf3"
env3=$(postcat "$qf3")
like "$env3" "envelope_id=env-1" "-V: the envelope id reaches the queue file"
like "$env3" "ret_flags=2" "-R hdrs: ret_flags=2"
like "$env3" "notify_flags=10" "-N success,delay: notify_flags=10 on the recipient"
like "$env3" "named_attribute: trace_flags=1024" "-v: trace_flags=1024 survives pickup and cleanup"
like "$env3" "named_attribute: rewrite_context=remote" "-G: rewrite_context=remote survives pickup"

# -t with -N: the extracted recipients keep their notify flags (pickup passes
# them on after the content; cleanup does not extract them again).
BEFORE=$(incoming)
as_user sendmail -t -N success,delay <"$DATA/sendmail-t.txt" 2>/dev/null
ok $? "sendmail -t -N success,delay"
wait_for count_incoming 4
qf5=$Q/incoming/$(newest)
wait_for test -x "$qf5"
ext=$(postcat "$qf5" | sed -n '/HEADER EXTRACTED/,$p')
is "$(echo "$ext" | grep -c '^named_attribute: notify_flags=10$')" 3 \
    "-t -N: each of the three extracted recipients carries notify_flags=10"
like "$(echo "$ext" | tr '\n' '~')" \
    "notify_flags=10~named_attribute: dsn_orig_rcpt=rfc822;dave@down.test~original_recipient: dave@down.test~recipient: dave@down.test~" \
    "in the extracted segment, right before its recipient's records"
ok $(postcat -h "$qf5" | grep -qi '^Bcc:'; echo $((!$?))) "-t -N: Bcc: is still removed"

# A large message with long lines, 8-bit bytes and dots arrives intact.
python3 -c '
import random
r = random.Random(7)
lines = ["Subject: big", ""]
for i in range(300):
    n = r.choice([0, 1, 80, 2047, 2048, 2049, 5000])
    lines.append("".join(chr(r.choice(list(range(32, 127)) + [0xe9, 0xfc])) for _ in range(n)))
lines.append(".")
lines.append("last")
open("'"$T"'/big.txt", "w", encoding="latin-1").write("\n".join(lines) + "\n")
'
BEFORE=$(incoming)
as_user sendmail -i bob@example.com <"$T/big.txt" 2>/dev/null
ok $? "a large message is submitted"
wait_for count_incoming 5
qf4=$Q/incoming/$(newest)
wait_for test -x "$qf4"
sed '1,2d' "$T/big.txt" >"$T/big.body"
postcat -b "$qf4" | sed '1{/^$/d}' >"$T/big.got"
check "the body arrives byte for byte (long lines rejoined, 8-bit, dots)" cmp "$T/big.body" "$T/big.got"

# A maildrop file that Postfix's postdrop wrote (left over after a switch).
BEFORE=$(incoming)
cp "$DATA/maildrop-sendmail-t.D846B106586" "$Q/maildrop/D846B106586"
chown "$SUB_USER:postdrop" "$Q/maildrop/D846B106586"
chmod 744 "$Q/maildrop/D846B106586"
printf 'Subject: kick\n\nb\n' | as_user sendmail bob@example.com 2>/dev/null
wait_for count_incoming 7
ok $? "Postfix's maildrop file is picked up"
pf=""
for f in $(newest; comm -13 <(echo "$BEFORE") <(incoming) | tail -1); do
    postcat "$Q/incoming/$f" | grep -q 'Lunch on Friday' && pf=$Q/incoming/$f
done
wait_for test -x "$pf"
pfc=$(postcat "$pf")
like "$pfc" "message_arrival_time: Sat Nov 21 12:14:02 2026" "its arrival time is kept"
is "$(echo "$pfc" | grep -c '^recipient: ')" 3 "its three extracted recipients are queued"
like "$pfc" "sender: alice@example.com" "its sender is qualified"

# A malformed maildrop file is removed with a warning; nothing is queued.
python3 "$MKREC" T:"1 2" S:alice M: N:x R:a@b X: E: >"$Q/maildrop/ABCDE123"
chmod 744 "$Q/maildrop/ABCDE123"
# an incomplete one (no owner-execute bit) is left for postdrop to finish
python3 "$MKREC" T:"1 2" S:alice M: N:x X: R:a@b E: >"$Q/maildrop/ABCDE456"
chmod 644 "$Q/maildrop/ABCDE456"
printf 'Subject: kick\n\nb\n' | as_user sendmail bob@example.com 2>/dev/null
wait_for count_incoming 8
ok $? "the next message still goes through"
wait_for grep -q 'ABCDE123: uid=0: removing malformed maildrop file' "$LOG"
ok $? "the malformed file is logged"
ok $([ ! -e "$Q/maildrop/ABCDE123" ]; echo $?) "and removed"
ok $([ -e "$Q/maildrop/ABCDE456" ]; echo $?) "an incomplete file is left alone"
is "$(incoming | wc -l)" 8 "nothing was queued from them"

# Process model: pickup runs as postfix, chrooted to the queue.
pp=$(pgrep -P "$MPID" -f 'pickup' | head -1)
is "$(awk '/^Uid:/ {print $2}' "/proc/$pp/status")" "$(id -u postfix)" "pickup runs as mail_owner"
is "$(readlink "/proc/$pp/root")" "$Q" "pickup is chrooted to the queue directory"

# Memory stays flat whatever the message size: a 9 MB message (just under
# the default message_size_limit) through sendmail, postdrop and the same
# pickup process.
hwm1=$(awk '/^VmHWM/ {print $2}' "/proc/$pp/status")
python3 -c '
import sys
w = sys.stdout.write
w("Subject: huge\n\n")
for i in range(120000):
    w("x" * 75 + "\n")
' >"$T/huge.txt"
rm -f "$Q"/maildrop/ABCDE456
as_user /usr/bin/time -f 'maxrss=%M' sendmail -q30m 2>"$T/time0.err"
rss0=$(sed -n 's/^maxrss=//p' "$T/time0.err")
BEFORE=$(incoming)
as_user /usr/bin/time -f 'maxrss=%M' sendmail bob@example.com <"$T/huge.txt" 2>"$T/time.err"
ok $? "a 9 MB message is submitted"
INST_WAIT=300 inst_wait count_incoming 9
ok $? "and picked up"
qf9=$Q/incoming/$(newest)
wait_for test -x "$qf9"
is "$(pgrep -P "$MPID" -f pickup | head -1)" "$pp" "by the same pickup process"
hwm2=$(awk '/^VmHWM/ {print $2}' "/proc/$pp/status")
ok $((hwm2 - hwm1 < 4096 ? 0 : 1)) "pickup's peak memory grew by less than 4 MB ($hwm1 kB -> $hwm2 kB)"
rss=$(sed -n 's/^maxrss=//p' "$T/time.err")
ok $((${rss:-99999} - ${rss0:-0} < 4096 ? 0 : 1)) "sendmail's peak memory stays flat (${rss0} kB for nothing, ${rss} kB for 9 MB)"
ok $(($(stat -c %s "$qf9") > 9000000 ? 0 : 1)) "the whole message is in the queue file"

# A recipient argument with no address in it is the null recipient (as
# Postfix's sendmail writes it); cleanup sends it to empty_address_recipient.
BEFORE=$(incoming)
printf 'Subject: nobody\n\nb\n' | as_user sendmail 'undisclosed-recipients:;' 2>/dev/null
ok $? "sendmail 'undisclosed-recipients:;' exits 0 (as Postfix)"
inst_wait count_incoming 10
ok $? "and the message is picked up, not removed as malformed"
qf10=$Q/incoming/$(newest)
wait_for test -x "$qf10"
like "$(postcat -e "$qf10")" "recipient: MAILER-DAEMON@example.com" \
    "its recipient is empty_address_recipient, qualified"

done_testing
