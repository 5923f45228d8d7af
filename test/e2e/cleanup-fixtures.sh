#!/bin/bash
# cleanup writes what Postfix 3.7's cleanup wrote for the same input: the
# queue files of test/data/cleanup/*.postcat-odr (copied from the Postfix
# fixtures) are compared record by record with postcat -o -d -r of ours,
# queue ids, create_time and the generated Message-Id's time stamp set
# aside:
#   hold-sendmail-t  pickup of a sendmail -t file: Received "from userid",
#                    Message-Id, Date and From (with the full name) added,
#                    Bcc removed, the X recipients in the extracted segment
#   hold-valias      virtual alias to two addresses, O and dsn_orig_rcpt kept
#   hold-dsn         DSN ENVID/RET attributes, NOTIFY and ORCPT per recipient
#                    and the NOTIFY bits in the size record's qmgr_opts
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
DATA=$POSTERN_SRC/test/data/cleanup
inst_setup
printf 'team@example.com carol@relay.test, dave@down.test\nsales@example.com alice\n' >"$C/virtual"
inst_param virtual_alias_maps "texthash:$C/virtual"
inst_param append_dot_mydomain no
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup

# Normalise postcat -o -d -r output: no offsets, the queue id as ID, no
# create_time value, no Message-Id time stamp. With ids of another length
# than the fixture's the sizes differ: then the message_size line goes too.
norm() {
    local id=$1 flen=$2 other=${3:-$1}
    awk '{ if ($1 ~ /^[0-9]+$/) $1 = ""; print }' | sed -E "s/^ //; s/$id/ID/g; s/$other/ID/g; s/create_time: .*/create_time: CT/; s/\*\*\* (.*) [^ ]*ID \*\*\*/*** \1 ID ***/; s/<[0-9]{14}\.ID@/<STAMP.ID@/; s/ +/ /g; s/ $//" |
        if [ "${#id}" -ne "$flen" ]; then sed '/message_size:/d'; else cat; fi
}
# The content lines of a fixture (type 78/76 between M and X).
content() {
    awk '/MESSAGE CONTENTS/ { on = 1; next } /HEADER EXTRACTED/ { on = 0 } on { sub(/^ *[0-9]+ +[0-9]+ /, ""); print }' "$1"
}
postcat_id() {
    (cd "$Q/$1" && inst_postcat -o -d -r "$2")
}

# 1. sendmail -t through pickup: the maildrop file's records, replayed.
content "$DATA/maildrop-sendmail-t.D846B106586.postcat-odr" >"$T/st.msg"
inst_submit -x 2 -T "$(date -u -d 'Sat Nov 21 12:14:02 2026' +%s).123456" -a rewrite_context=local \
    -F "Alice Example" -u 2001 -f alice \
    -X bob@example.com -X carol@relay.test -X dave@down.test <"$T/st.msg"
ok $? "a sendmail -t submission is accepted"
id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
check "complete in incoming/" inst_complete "$Q/incoming/$id"
is "$(postcat_id incoming "$id" | norm "$id" 11)" \
    "$(norm CA61510605D 11 <"$DATA/hold-sendmail-t.CA61510605D.postcat-odr")" \
    "records as Postfix wrote them (hold-sendmail-t)"
check "the generated message-id is logged" inst_log_wait "$id: message-id=<[0-9]{14}\.$id@mail\.example\.com>"

# 2. virtual alias: team@example.com -> carol@relay.test, dave@down.test
content "$DATA/hold-valias.A8EBF1060E2.postcat-odr" >"$T/va.msg"
smtpd_attrs() {
    printf -- '-a\nlog_client_name=localhost\n-a\nlog_client_address=127.0.0.1\n-a\nlog_client_port=%s\n' "$1"
    printf -- '-a\nlog_message_origin=localhost[127.0.0.1]\n-a\nlog_helo_name=client.example.org\n'
    printf -- '-a\nlog_protocol_name=ESMTP\n-a\nclient_name=localhost\n-a\nreverse_client_name=localhost\n'
    printf -- '-a\nclient_address=127.0.0.1\n-a\nclient_port=%s\n-a\nserver_address=127.0.0.1\n' "$1"
    printf -- '-a\nserver_port=25\n-a\nhelo_name=client.example.org\n-a\nprotocol_name=ESMTP\n'
    printf -- '-a\nclient_address_type=2\n'
}
mapfile -t A <<<"$(smtpd_attrs 36404)"
inst_submit -x 34 -T "$(date -u -d 'Sat Nov 21 12:14:55 2026' +%s).123456" -a 'log_ident={queue_id}' \
    -a rewrite_context=local -f alice@example.com "${A[@]}" \
    -O team@example.com -r team@example.com <"$T/va.msg"
ok $? "a message to a virtual alias is accepted"
id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
is "$(postcat_id incoming "$id" | norm "$id" 11 A8EBF1060E2)" \
    "$(norm A8EBF1060E2 11 <"$DATA/hold-valias.A8EBF1060E2.postcat-odr")" \
    "records as Postfix wrote them (hold-valias)"

# 3. DSN
content "$DATA/hold-dsn.C6647106031.postcat-odr" >"$T/dsn.msg"
mapfile -t A <<<"$(smtpd_attrs 50534)"
inst_submit -x 34 -T "$(date -u -d 'Sat Nov 21 12:14:36 2026' +%s).123456" -a 'log_ident={queue_id}' \
    -a rewrite_context=local -a envelope_id=QQ314159+envid -a ret_flags=2 \
    -f alice@example.com "${A[@]}" \
    -N 6 -D 'rfc822;Bob.Original@relay.test' -O bob@relay.test -r bob@relay.test \
    -N 1 -O carol@relay.test -r carol@relay.test <"$T/dsn.msg"
ok $? "a message with DSN parameters is accepted"
id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
is "$(postcat_id incoming "$id" | norm "$id" 11 C6647106031)" \
    "$(norm C6647106031 11 <"$DATA/hold-dsn.C6647106031.postcat-odr")" \
    "records as Postfix wrote them (hold-dsn)"
like "$(postcat_id incoming "$id" | grep message_size)" ' 2 +14 ' "qmgr_opts holds the NOTIFY bits (14)"

inst_stop
done_testing
