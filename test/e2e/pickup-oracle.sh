#!/bin/bash
# Maildrop files that Debian's real Postfix 3.7 sendmail + postdrop write
# (test/lib/oracle.sh), left in maildrop/ as after a switch from Postfix,
# are all picked up by Postern's pickup at start and queued by cleanup with
# what their flags asked for: none is removed as malformed.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/submit/submit-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sub_inst_setup || { echo "# set-up failed"; exit 1; }
. "$POSTERN_SRC/test/lib/oracle.sh"
if ! oracle_setup; then
    trap 'sub_user_cleanup; inst_cleanup' EXIT
    skip "no Postfix oracle: $ORACLE_WHY"
    done_testing
    exit 0
fi
trap 'sub_user_cleanup; inst_cleanup' EXIT

# Postfix's sendmail runs command_directory/postdrop with a clean
# environment: a wrapper there points the loader at the unpacked libraries.
PF=$T/pf
mkdir -p "$PF/bin" "$PF/queue/maildrop" "$PF/queue/public"
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/usr/lib/postfix exec %s/usr/sbin/postdrop "$@"\n' \
    "$ORACLE_ROOT" "$ORACLE_ROOT" >"$PF/bin/postdrop"
chmod 755 "$PF/bin/postdrop"
{ grep -v -E '^(command|queue)_directory' "$ORACLE_CONF/main.cf"; printf 'command_directory = %s/bin\nqueue_directory = %s/queue\n' "$PF" "$PF"; } \
    >"$PF/main.cf"
# pfsend SUBJECT ARGS...: one message through Postfix's sendmail; its file
# goes to our maildrop/ as the user's, complete (u+x), as postdrop leaves it.
pfsend() {
    local subject=$1 f
    shift
    printf 'Subject: %s\nTo: t@example.com\n\nbody of %s\n' "$subject" "$subject" |
        MAIL_CONFIG=$PF LD_LIBRARY_PATH=$ORACLE_ROOT/usr/lib/postfix "$ORACLE_ROOT/usr/sbin/sendmail" "$@" \
            >/dev/null 2>&1
    for f in "$PF/queue/maildrop/"*; do
        [ -f "$f" ] || return 1
        mv "$f" "$Q/maildrop/"
        chown "$SUB_USER:postdrop" "$Q/maildrop/${f##*/}"
        chmod 744 "$Q/maildrop/${f##*/}"
    done
}
check "Postfix writes a plain message" pfsend plain bob@example.com
check "Postfix writes -t -i" pfsend extract -t -i
check "Postfix writes -v -G -N -R -V -B" pfsend flags -v -G -N success,delay -R hdrs -V env-7 -B 8BITMIME carol@relay.test
check "Postfix writes a null recipient" pfsend nobody 'undisclosed-recipients:;'
check "Postfix writes a null sender" pfsend nullsender -f '<>' dave@relay.test
is "$(maildrop_files | wc -l)" 5 "five Postfix maildrop files wait in maildrop/"

incoming() { ls -A "$Q/incoming" 2>/dev/null; }
all_in() { [ "$(incoming | wc -l)" -eq 5 ] && [ -z "$(maildrop_files)" ]; }
check "postfix start" inst_start
check "all five reach incoming/ and maildrop/ is empty" inst_wait all_in
ok $(grep -q 'malformed' "$LOG"; echo $((!$?))) "none was called malformed"
# by_subject SUBJECT: postcat of the queue file holding that subject
by_subject() {
    local f
    for f in $(incoming); do
        inst_wait test -x "$Q/incoming/$f"
        if postcat "$Q/incoming/$f" | grep -q "^Subject: $1\$"; then
            postcat "$Q/incoming/$f"
            return
        fi
    done
}
like "$(by_subject plain)" "recipient: bob@example.com" "plain: its recipient"
like "$(by_subject extract)" "recipient: t@example.com" "-t: the To: recipient, extracted"
flags=$(by_subject flags)
like "$flags" "named_attribute: trace_flags=1024" "-v: trace_flags kept"
like "$flags" "named_attribute: rewrite_context=remote" "-G: remote context kept"
like "$flags" "named_attribute: envelope_id=env-7" "-V: envelope id kept"
like "$flags" "named_attribute: ret_flags=2" "-R hdrs kept"
like "$flags" "named_attribute: notify_flags=10" "-N success,delay kept"
like "$(by_subject nobody)" "recipient: MAILER-DAEMON@example.com" \
    "the null recipient goes to empty_address_recipient"
is "$(by_subject nullsender | grep '^sender:')" "sender: " "the null sender stays null"

inst_stop
done_testing
