#!/bin/bash
# sendmail and postdrop with the mail system stopped: what lands in maildrop/
# (records, owner, mode, Postfix's postcat agrees), the command-line flags,
# dot handling, no recipients, and the helper modes (mailq, newaliases, -q).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
DATA=$POSTERN_SRC/test/data/submit

sub_setup || { echo "# set-up failed"; exit 1; }

# postdrop is installed set-gid postdrop, never set-uid.
mode=$(stat -c '%a %U %G' "$POSTERN_INST/sbin/postdrop")
is "$mode" "2555 root postdrop" "postdrop is root:postdrop 2555 (set-gid, not set-uid)"
for p in sendmail postdrop; do
    ok $(( 0$(stat -c '%a' "$POSTERN_INST/sbin/$p") & 04000 )) "$p is not set-uid"
done

# The fixture message, sendmail -t by a plain user.
as_user sendmail -t -F "Alice Example" <"$DATA/sendmail-t.txt" 2>"$T/err"
ok $? "sendmail -t from a plain user exits 0"
is "$(cat "$T/err")" "postdrop: warning: unable to look up public/pickup: No such file or directory" \
    "pickup not running: only Postfix's warning"
files=$(maildrop_files)
is "$(echo "$files" | wc -l)" 1 "one file in maildrop/"
f=$Q/maildrop/$files
like "$files" '^[0-9A-F]{10,}$' "named by a short queue id"
is "$(stat -c '%A %U %G' "$f")" "-rwxr--r-- $SUB_USER postdrop" "mode, owner and group as Postfix's (-rwxr--r-- user:postdrop)"
postcat "$f" | sed -e '1,2s/^message_arrival_time: .*/message_arrival_time: X/' \
    -e "s|$f|FILE|; s|sender: $SUB_USER\$|sender: alice|; s/^regular_text: //" >"$T/ours.postcat"
sed -e '1,2s/^message_arrival_time: .*/message_arrival_time: X/' -e 's|maildrop-sendmail-t.D846B106586|FILE|' -e 's/^regular_text: //' \
    "$DATA/maildrop-sendmail-t.D846B106586.postcat" >"$T/fixture.postcat"
check "postcat output matches Postfix's maildrop file (time, name, user aside)" \
    diff "$T/fixture.postcat" "$T/ours.postcat"
# The T record holds "seconds microseconds" as decimal text, so its length
# varies with the time: set it aside on both sides.
t_len() {
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
assert d[0:1] == b"T", "first record is not T"
n = 0; shift = 0; i = 1
while True:
    b = d[i]; n |= (b & 0x7f) << shift; i += 1; shift += 7
    if not b & 0x80: break
print(n)' "$1"
}
is "$(($(stat -c %s "$f") - ${#SUB_USER} - $(t_len "$f")))" \
    "$((291 - 5 - $(t_len "$DATA/maildrop-sendmail-t.D846B106586")))" \
    "same size as the fixture, user name and arrival time text aside"
arrival=$(postcat -e "$f" | sed -n 's/^message_arrival_time: //p')
like "$(date -d "$arrival" +%s)" "^[0-9]+$" "arrival time is a real date"
now=$(date +%s)
ok $(( $(date -d "$arrival" +%s) > now - 60 ? 0 : 1 )) "arrival time is now (postdrop's own)"
. "$POSTERN_SRC/test/lib/oracle.sh"
if oracle_setup; then
    trap 'sub_user_cleanup; _oracle_cleanup' EXIT
    oracle_run postcat "$f" >"$T/pfx.out" 2>&1
    ok $? "Debian's postcat reads the maildrop file"
    check "and prints the same as ours" diff <(sed 's/^message_arrival_time: .*//; s/^regular_text: //' "$T/pfx.out") \
        <(postcat "$f" | sed 's/^message_arrival_time: .*//; s/^regular_text: //')
else
    trap 'sub_user_cleanup; rm -rf "$T"' EXIT
    skip "no Postfix oracle: $ORACLE_WHY"
    skip "no Postfix oracle: $ORACLE_WHY"
fi
rm -f "$Q"/maildrop/*

# A message, as the user, with options; $1 = stdin text, the rest = sendmail args.
submit() {
    local text=$1
    shift
    rm -f "$Q"/maildrop/*
    printf "$text" | as_user sendmail "$@" 2>"$T/err"
    RC=$?
    F=$Q/maildrop/$(maildrop_files | head -1)
    OUT=$( [ -f "$F" ] && postcat "$F" | grep -v '^\*\*\*' | grep -v '^message_arrival_time')
}

# No recipients: Postfix 3.7 exits 75 (EX_TEMPFAIL) and leaves nothing.
submit 'Subject: x\n\nbody\n' -t
is "$RC" 75 "-t without recipients: exit 75"
like "$(cat "$T/err")" "^sendmail: fatal: $SUB_USER\($SUB_UID\): No recipient addresses found in message header$" \
    "-t without recipients: Postfix's message"
is "$(maildrop_files)" "" "no file left in maildrop/"
submit 'Subject: x\n\nbody\n'
is "$RC" 75 "no recipients at all: exit 75"
like "$(cat "$T/err")" "Recipient addresses must be specified on the command line or via the -t option" \
    "no recipients at all: Postfix's message"
is "$(maildrop_files)" "" "no file left in maildrop/"

# -f / -r / -F, recipients in address syntax.
submit 'To: t@x\n\nb\n' -f 'Someone <s@example.org>' -F 'Full Name' 'A <a@b>' c@d,e@f
is "$RC" 0 "-f -F with recipients: exit 0"
is "$OUT" "named_attribute: rewrite_context=local
sender_fullname: Full Name
sender: s@example.org
recipient: a@b
recipient: c@d
recipient: e@f
To: t@x

b" "-f address, -F name, command-line recipients parsed"
submit 'b\n' -r r@example.org x@y
like "$OUT" "sender: r@example.org" "-r is -f"
like "$OUT" "sender_fullname: Alice Example" "full name from GECOS without -F"
submit 'b\n' -f '<>' x@y
is "$(echo "$OUT" | grep '^sender:')" "sender: " "-f '<>' is the null sender"

# Dot handling: "." ends the message unless -i / -oi.
submit 'To: t@x\n\nb\n.\nafter\n..\n' x@y
is "$(echo "$OUT" | tail -2)" "
b" "a lone dot ends the message"
submit 'To: t@x\n\nb\n.\nafter\n..\n' -i x@y
is "$(echo "$OUT" | tail -4 | tr '\n' '|')" "b|.|after|..|" "-i: dots are data, never unstuffed"
submit 'To: t@x\n\nb\n.\nafter\n' -oi x@y
like "$(echo "$OUT" | tail -1)" "^after$" "-oi as -i"

# Line endings, From_ lines, long lines, 8-bit, last line without newline.
submit 'From someone Sat Nov 21\n>From x\nSubject: crlf\r\n\r\nline\r\n\xe9t\xe9 8bit\r\nno newline' x@y
is "$(echo "$OUT" | sed -n '/^Subject/,/8bit/p' | od -An -c | tr -s ' ' | tr -d '\n')" \
    " S u b j e c t : c r l f \n \n l i n e \n 351 t 351 8 b i t \n" \
    "CRLF becomes LF, leading From_ lines dropped, 8-bit kept"
is "$(postcat -d -o "$F" | grep -c ' 76 no newline$')" 1 "a last line without newline is an L record (as Postfix)"
long=$(head -c 3000 /dev/zero | tr '\0' x)
submit "$long\nend\n" x@y
types=$(postcat -d -o "$F" | awk '$2 == 76 || $2 == 78 {print $2}' | tr '\n' ' ')
is "$types" "76 78 78 " "a 3000-byte line is L 2048 + N 952, as Postfix's sendmail writes it"
is "$(echo "$OUT" | sed -n 's/^\(x*\)$/\1/p' | head -1 | wc -c)" 3001 "the long line survives whole in postcat"

# DSN and body type options; options after the first recipient are recipients.
submit 'To: t@x\n\nb\n' -N success,delay -V envid1 -R hdrs -B 8BITMIME -t
is "$(echo "$OUT" | grep named_attribute | tr '\n' '|')" \
    "named_attribute: envelope_id=envid1|named_attribute: ret_flags=2|named_attribute: rewrite_context=local|named_attribute: encoding=8bit|named_attribute: notify_flags=10|" \
    "-V -R -B -N become Postfix's attributes, in Postfix's order"
submit 'b\n' a@b -o foo -v
is "$(echo "$OUT" | grep '^recipient' | tr '\n' '|')" "recipient: a@b|recipient: -o|recipient: foo|recipient: -v|" \
    "arguments after the first recipient are recipients (as Postfix)"
submit 'b\n' -oem -odb -x -G -U a@b
is "$RC" 0 "other Sendmail options accepted and ignored"
submit 'b\n' -N bogus a@b
is "$RC" 0 "bad -N value: a warning, the message still goes (as Postfix)"
like "$(cat "$T/err")" "bad -N option value -- ignored" "and the warning says so"
ok $(echo "$OUT" | grep -q notify_flags; echo $((!$?))) "and no notify_flags"

# -bm is the default mode, said explicitly.
submit 'Subject: bm\n\nb\n' -bm a@b
is "$RC $(echo "$OUT" | grep '^recipient')" "0 recipient: a@b" "-bm reads the message and queues it"

# One -v: a report of the first delivery attempt (Postfix's trace_flags=1024).
rm -f "$Q"/maildrop/*
printf 'b\n' | as_user sendmail -v a@b >"$T/out" 2>"$T/err"
is "$?" 0 "-v: exit 0"
is "$(cat "$T/out")" "Mail Delivery Status Report will be mailed to <$SUB_USER>." "-v: says a report will come"
F=$Q/maildrop/$(maildrop_files | head -1)
like "$(postcat "$F")" "named_attribute: trace_flags=1024" "-v: trace_flags=1024 in the maildrop file"
rm -f "$Q"/maildrop/*

# -t: Resent- recipients win; command-line recipients are kept.
submit 'Resent-To: r1@x\nResent-Cc: r2@x\nTo: t@x\n\nb\n' -t cmd@x
is "$(echo "$OUT" | grep '^recipient' | tr '\n' '|')" "recipient: cmd@x|recipient: r1@x|recipient: r2@x|" \
    "-t with Resent-To: the resent recipients, plus the command line"

# -C: another configuration directory (main.cf or its directory).
submit 'b\n' -C "$C/main.cf" a@b
is "$RC" 0 "-C path/main.cf"
# -C names the configuration: a directory with a main.cf whose queue is elsewhere.
mkdir -p "$T/etc-c" "$T/q-c/maildrop" "$T/q-c/public"
chown postfix:postdrop "$T/q-c/maildrop"
chmod 1733 "$T/q-c/maildrop"
printf 'queue_directory = %s/q-c\n' "$T" >"$T/etc-c/main.cf"
rm -f "$Q"/maildrop/*
printf 'b\n' | env -u MAIL_CONFIG sendmail -C "$T/etc-c" a@b 2>/dev/null
is "$? $(ls "$T/q-c/maildrop" | wc -l) $(maildrop_files | wc -l)" "0 1 0" \
    "-C dir: the message goes to that configuration's queue, not the default one"

# Over message_size_limit: postdrop refuses it, sendmail exits 65 (permanent).
printf 'message_size_limit = 2000\n' >>"$C/main.cf"
submit "$(head -c 3000 /dev/zero | tr '\0' x)\n" a@b
is "$RC" 65 "a message over message_size_limit: exit 65 (EX_DATAERR), not a retry"
like "$(cat "$T/err")" "postdrop: fatal: uid=$SUB_UID: bad input: message too large" "postdrop says why"
is "$(maildrop_files)" "" "nothing left in maildrop/"
# Far larger than a pipe holds: postdrop stops reading before sendmail is done.
head -c 2000000 /dev/zero | tr '\0' x | fold -w 70 >"$T/huge"
as_user sendmail a@b <"$T/huge" 2>"$T/err"
is "$?" 65 "a message far over the limit: exit 65 too, not a broken pipe's 75"
ok $(grep -q "Broken pipe" "$T/err"; echo $((!$?))) "and no broken pipe message"
is "$(maildrop_files)" "" "nothing left in maildrop/"
sed -i '/^message_size_limit/d' "$C/main.cf"

# authorized_submit_users: sendmail says so (77), postdrop enforces it.
printf 'authorized_submit_users = !%s, static:anyone\n' "$SUB_USER" >>"$C/main.cf"
submit 'b\n' a@b
is "$RC" 77 "a user outside authorized_submit_users: exit 77 (EX_NOPERM)"
like "$(cat "$T/err")" "^sendmail: fatal: User $SUB_USER\($SUB_UID\) is not allowed to submit mail" \
    "with Postfix's message"
python3 "$DATA/mkrec.py" T:"1 2" S:x M: X: R:a@b E: | as_user postdrop 2>"$T/err"
is "$?" 1 "postdrop refuses that user too (the boundary)"
like "$(cat "$T/err")" "^postdrop: fatal: User $SUB_USER\($SUB_UID\) is not allowed to submit mail" \
    "postdrop says why"
is "$(maildrop_files)" "" "nothing left in maildrop/"
printf 'b\n' | sendmail a@b 2>/dev/null
is "$?" 0 "root is allowed by static:anyone"
rm -f "$Q"/maildrop/*
sed -i '/^authorized_submit_users/d' "$C/main.cf"
printf 'authorized_submit_users = !root, static:anyone\n' >>"$C/main.cf"
printf 'b\n' | sendmail a@b 2>"$T/err"
is "$?" 77 "root is not exempt when the list refuses it (as Postfix)"
like "$(cat "$T/err")" "User root\(0\) is not allowed to submit mail" "and is told so"
is "$(maildrop_files)" "" "nothing left in maildrop/"
sed -i '/^authorized_submit_users/d' "$C/main.cf"

# newaliases with the real postalias: every alias_database table is built.
if [ -x "$POSTERN_INST/sbin/postalias" ]; then
    C3=$T/etc-alias
    mkdir -p "$C3"
    printf 'postmaster: root\nteam: a@example.com, b@example.com\n' >"$C3/aliases"
    printf 'other: c@example.com\n' >"$C3/aliases2"
    printf 'alias_database = hash:%s/aliases, cdb:%s/aliases2\nalias_maps = $alias_database\n' "$C3" "$C3" >"$C3/main.cf"
    MAIL_CONFIG=$C3 newaliases
    is "$?" 0 "newaliases with the real postalias exits 0"
    is "$(MAIL_CONFIG=$C3 postalias -q team "hash:$C3/aliases")" "a@example.com, b@example.com" \
        "the first alias_database table is built"
    is "$(MAIL_CONFIG=$C3 postalias -q other "cdb:$C3/aliases2")" "c@example.com" "and the second"
else
    skip "postalias not installed"; skip "postalias not installed"; skip "postalias not installed"
fi

# Helper modes: mailq, newaliases, -q run the other commands.
FAKE=$T/fakebin C2=$T/etc2
mkdir -p "$FAKE" "$C2"
for p in postqueue postalias postfix; do
    printf '#!/bin/sh\necho "%s $*"\n' "$p" >"$FAKE/$p"
    chmod 755 "$FAKE/$p"
done
printf 'command_directory = %s\ndaemon_directory = %s\nalias_database = hash:/etc/a1, hash:/etc/a2\nqueue_directory = %s\n' \
    "$FAKE" "$FAKE" "$Q" >"$C2/main.cf"
like "$(printf 'QUIT\r\n' | MAIL_CONFIG=$C2 sendmail -bs)" "^220 .* ESMTP" \
    "sendmail -bs speaks SMTP itself (no smtpd -S; see sendmail-bs.sh)"
is "$(MAIL_CONFIG=$C2 mailq)" "postqueue -p" "mailq runs postqueue -p"
is "$(MAIL_CONFIG=$C2 sendmail -bp)" "postqueue -p" "sendmail -bp runs postqueue -p"
is "$(MAIL_CONFIG=$C2 sendmail -q)" "postqueue -f" "sendmail -q runs postqueue -f"
is "$(MAIL_CONFIG=$C2 sendmail -qRexample.com)" "postqueue -s example.com" "sendmail -qR runs postqueue -s"
is "$(MAIL_CONFIG=$C2 sendmail -qIABCDEF123)" "postqueue -i ABCDEF123" "sendmail -qI runs postqueue -i"
is "$(MAIL_CONFIG=$C2 sendmail -bl)" "postfix start" "sendmail -bl runs postfix start"
is "$(MAIL_CONFIG=$C2 newaliases)" "postalias hash:/etc/a1 hash:/etc/a2" \
    "newaliases runs postalias on every alias_database table"
is "$(MAIL_CONFIG=$C2 sendmail -bi)" "postalias hash:/etc/a1 hash:/etc/a2" "sendmail -bi likewise"
is "$(MAIL_CONFIG=$C2 sendmail -I -oA/x/y)" "postalias /x/y" "-oA names the alias file"
MAIL_CONFIG=$C2 sendmail -q30m
is "$?" 0 "-q30m (a queue interval) is accepted and does nothing"
printf 'command_directory = %s/nothing\n' "$T" >"$C2/main.cf"
MAIL_CONFIG=$C2 mailq 2>"$T/err"
is "$?" 69 "mailq without postqueue: exit 69"
like "$(cat "$T/err")" "^mailq: fatal: execv $T/nothing/postqueue: No such file or directory" \
    "mailq without postqueue: a clear fatal message"
mailq a@b 2>"$T/err"
is "$?" 64 "mailq with a recipient: usage error"

done_testing
