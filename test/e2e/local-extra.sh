#!/bin/bash
# The local delivery agent, the second pass, under master, driven by
# deliver_send: owner-NAME aliases set the envelope sender of NAME's
# expansion (owner_request_special, expand_owner_alias; the forwarded copy
# drops ENVID); propagate_unmatched_extensions with "alias" and "forward";
# files and commands of an alias run as the owner of the alias database
# (an owner without a passwd entry defers); an alias table that cannot be
# opened defers 4.3.0 with one warning per process and is used once it is
# there; biff sends "user@offset" to UDP 127.0.0.1:512 (skipped when that
# port is taken).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/local/local-lib.sh"

A=pstxa$$ B=pstxb$$
local_setup "$A" "$B"
F=$T/files
mkdir -p "$F"
chmod 1777 "$F"

cat >"$C/aliases" <<EOF2
list: $A, someone@elsewhere.test
owner-list: $B
plain: $A, other@elsewhere.test
team: $A, far@elsewhere.test
EOF2
postalias -c "$C" "$C/aliases"
# the same commands and files in two tables: one owned by $A, one by a uid
# without a passwd entry
for t in own orphan; do
    printf 'ocmd: "|id -un >%s/%s.out"\nofile: %s/%s.mbox\n' "$F" "$t" "$F" "$t" >"$C/$t"
    postalias -c "$C" "$C/$t"
done
chown "$A" "$C/own.db"
NOUID=$((4000000 + $$ % 100000))
chown "$NOUID" "$C/orphan.db"
check "postalias built the tables" test -f "$C/aliases.db" -a -f "$C/own.db" -a -f "$C/orphan.db"

inst_param alias_maps "hash:$C/aliases"
inst_param biff no
inst_service "local-eo  unix  -       n       n       -       -       local -o expand_owner_alias=yes"
inst_service "local-no  unix  -       n       n       -       -       local -o owner_request_special=no"
inst_service "local-px  unix  -       n       n       -       -       local -o propagate_unmatched_extensions=canonical,virtual,alias,forward"
inst_service "local-own unix  -       n       n       -       -       local -o alias_maps=hash:$C/own"
inst_service "local-orp unix  -       n       n       -       -       local -o alias_maps=hash:$C/orphan"
inst_service "local-bad unix  -       n       n       -       1       local -o alias_maps=hash:$C/missing"
inst_service "local-bf  unix  -       n       n       -       1       local -o biff=yes"
local_start

# the queue id of the message that forwarded $1 to $2
fwd_id() {
    sed -nE "s/.*$1: to=<$2>.*forwarded as ([0-9A-F]+)\)$/\1/p" "$LOG" | head -1
}
fwd_cat() {
    inst_postcat -e "$Q/incoming/$1" 2>&1
}
MA=$SP/$A MB=$SP/$B

# 1. owner-list: the expansion of "list" has the sender owner-list@$myorigin.
id=$(msg list | queue -a envelope_id=ENV$$ -r "list@mail.example.com")
send -s private/local "$id"
like "$(cat "$T/send.out")" "rcpt=list@mail.example.com offset=[0-9]+ result=sent dsn=2.0.0" "a list with an owner- alias"
like "$(cat "$MA" 2>&1)" "^Return-Path: <owner-list@example.com>$" "the member's copy has Return-Path: owner-list"
like "$(cat "$MA" 2>&1)" "^From owner-list@example.com " "and the From_ line"
check "the remote member is forwarded" inst_log_wait "$id: to=<someone@elsewhere.test>, .*status=sent \(forwarded as [0-9A-F]+\)$"
nid=$(fwd_id "$id" someone@elsewhere.test)
out=$(fwd_cat "$nid")
like "$out" "^sender: owner-list@example.com$" "the forwarded copy is from owner-list, so its bounces go to the owner"
case "$out" in *ENV$$*) r=1 ;; *) r=0 ;; esac
ok "$r" "without the original's ENVID"

# an alias without owner-: the sender stays, and so does the ENVID.
id=$(msg plain | queue -a envelope_id=ENV$$ -r "plain@mail.example.com")
send -s private/local "$id"
check "an alias without an owner is forwarded" inst_log_wait "$id: to=<other@elsewhere.test>, .*forwarded as"
out=$(fwd_cat "$(fwd_id "$id" other@elsewhere.test)")
like "$out" "^sender: sender@example.org$" "an alias without owner- keeps the sender"
like "$out" "ENV$$" "and the ENVID"
is "$(grep -c '^Return-Path: <sender@example.org>$' "$MA")" 1 "the member's copy has the original Return-Path"

# expand_owner_alias = yes: the value of owner-list.
id=$(msg listeo | queue -r "list@mail.example.com")
send -s private/local-eo "$id"
check "expand_owner_alias: forwarded" inst_log_wait "$id: to=<someone@elsewhere.test>, .*forwarded as"
like "$(fwd_cat "$(fwd_id "$id" someone@elsewhere.test)")" "^sender: $B@example.com$" \
    "expand_owner_alias = yes: the sender is the owner- alias's value"

# owner_request_special = no: no owner- processing.
id=$(msg listno | queue -r "list@mail.example.com")
send -s private/local-no "$id"
check "owner_request_special=no: forwarded" inst_log_wait "$id: to=<someone@elsewhere.test>, .*forwarded as"
like "$(fwd_cat "$(fwd_id "$id" someone@elsewhere.test)")" "^sender: sender@example.org$" \
    "owner_request_special = no: the sender stays"

# 2. propagate_unmatched_extensions.
id=$(msg teamext | queue -r "team+foo@mail.example.com")
send -s private/local-px "$id"
like "$(cat "$T/send.out")" "result=sent" "team+foo with \"alias\" propagation"
check "the local member gets +foo" inst_log_wait \
    "$id: to=<$A\+foo@example.com>, orig_to=<team\+foo@mail.example.com>, relay=local, .*status=sent \(delivered to mailbox\)$"
check "the remote member gets +foo" inst_log_wait "$id: to=<far\+foo@elsewhere.test>, .*forwarded as"
id=$(msg teamplain | queue -r "team+foo@mail.example.com")
send -s private/local "$id"
check "by default (canonical, virtual) the member has no extension" inst_log_wait \
    "$id: to=<$A@example.com>, orig_to=<team\+foo@mail.example.com>, relay=local, .*status=sent"
check "nor the remote member" inst_log_wait "$id: to=<far@elsewhere.test>, .*forwarded as"

HB=$T/home/$B
printf '%s, fwd@elsewhere.test\n' "$A" >"$HB/.forward"
chown "$B:$B" "$HB/.forward"
id=$(msg fwdext | queue -r "$B+bar@mail.example.com")
send -s private/local-px "$id"
check "\"forward\": $B+bar's .forward gives $A+bar" inst_log_wait \
    "$id: to=<$A\+bar@example.com>, orig_to=<$B\+bar@mail.example.com>, relay=local, .*status=sent \(delivered to mailbox\)$"
check "and fwd+bar" inst_log_wait "$id: to=<fwd\+bar@elsewhere.test>, .*forwarded as"
printf '%s\n' "$A" >"$HB/.forward+baz"
chown "$B:$B" "$HB/.forward+baz"
id=$(msg fwdbaz | queue -r "$B+baz@mail.example.com")
send -s private/local-px "$id"
check "a .forward+baz (the path has the extension): no propagation" inst_log_wait \
    "$id: to=<$A@example.com>, orig_to=<$B\+baz@mail.example.com>, relay=local, .*status=sent"
id=$(msg fwdplain | queue -r "$B+bar@mail.example.com")
send -s private/local "$id"
check "\"forward\" not listed: no propagation" inst_log_wait \
    "$id: to=<$A@example.com>, orig_to=<$B\+bar@mail.example.com>, relay=local, .*status=sent"
rm -f "$HB/.forward" "$HB/.forward+baz"

# 3. the alias database owner's rights.
id=$(msg ocmd | queue -r "ocmd@mail.example.com" -r "ofile@mail.example.com")
send -s private/local-own "$id"
like "$(cat "$T/send.out")" "rcpt=ocmd@mail.example.com offset=[0-9]+ result=sent" "a command from a table owned by $A"
is "$(cat "$F/own.out" 2>&1)" "$A" "runs as $A, the owner of own.db"
is "$(stat -c %U "$F/own.out" "$F/own.mbox" 2>&1 | tr '\n' ' ')" "$A $A " "its file and output are $A's"
id=$(msg orphan | queue -r "ocmd@mail.example.com")
send -s private/local-orp "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=cannot find alias database owner" \
    "an alias database owned by a uid without a passwd entry defers"
check "nothing ran" test ! -e "$F/orphan.out"
check "with a warning" inst_log_wait "warning: cannot find the owner \(uid $NOUID\) of alias database hash:$C/orphan"

# 4. an alias table that cannot be opened: deferral, one warning per process.
id=$(msg bad1 | queue -r "$A@mail.example.com")
send -s private/local-bad "$id"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=alias database unavailable" "a missing alias table defers"
id2=$(msg bad2 | queue -r "$A@mail.example.com")
send -s private/local-bad "$id2"
like "$(cat "$T/send.out")" "result=deferred dsn=4.3.0 reason=alias database unavailable" "again"
W="warning: alias_maps: table hash:$C/missing is unavailable"
check "the warning is logged" inst_log_wait "$W"
is "$(grep -c "$W" "$LOG")" 1 "once per process"
check "the local process kept running" bash -c "! grep -E 'libexec/local pid [0-9]+ (exit status|killed)' '$LOG'"
printf '%s: %s\n' "$A" "$B" >"$C/missing"
postalias -c "$C" "$C/missing"
retry_send() {
    send -s private/local-bad "$1" && grep -q "result=sent" "$T/send.out"
}
INST_WAIT=50 inst_wait retry_send "$id2"
like "$(cat "$T/send.out")" "result=sent dsn=2.0.0" "once the table exists it is used, without a restart"
check "logged as available" inst_log_wait "alias_maps: table hash:$C/missing is available again"
check "and the alias applies" inst_log_wait "$id2: to=<$B@example.com>, orig_to=<$A@mail.example.com>, .*status=sent"

# 5. biff: "user@offset" to comsat on UDP 127.0.0.1:512.
if ss -Hlun 'sport = :512' | grep -q . || ! command -v python3 >/dev/null; then
    skip "UDP port 512 is in use (or no python3): biff not tested"
else
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 512))
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        d = s.recv(1024)
        f.write(d.replace(b"\0", b"<NUL>") + b"\n")
' "$F/biff" &
    BIFF_PID=$!
    LOCAL_PIDS=$BIFF_PID
    check "the comsat stand-in listens" inst_wait test -e "$F/biff.ready"
    s1=$(stat -c %s "$MB" 2>/dev/null || echo 0)
    id=$(msg nobiff | queue -r "$B@mail.example.com")
    send -s private/local "$id"
    s2=$(stat -c %s "$MB")
    id=$(msg biff | queue -r "$B@mail.example.com")
    send -s private/local-bf "$id"
    check "biff = yes: comsat is told user@offset" inst_wait grep -qx "$B@$s2<NUL>" "$F/biff"
    check "biff = no (main.cf): nothing was sent" bash -c "! grep -q '@$s1<NUL>' '$F/biff'"
    kill "$BIFF_PID" 2>/dev/null
    wait "$BIFF_PID" 2>/dev/null
    LOCAL_PIDS=
fi

inst_stop
check "no local process died or failed" bash -c "! grep -E 'libexec/local pid [0-9]+ (exit status|killed)' '$LOG'"

done_testing
