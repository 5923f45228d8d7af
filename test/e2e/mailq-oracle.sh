#!/bin/bash
# mailq against the oracle, live: on a queue that Postern itself made (its
# cleanup wrote the files, its retry agent the defer logs) with messages in
# incoming/, active/ (*), hold/ (!) and deferred/ (with reasons), Postern's
# mailq prints line for line what Debian's Postfix 3.7 postqueue -p prints:
# once with Postfix's postqueue talking to Postern's showq (public/showq),
# once with the system down, where Postfix's postqueue runs Postfix's own
# showq on the queue directory and Postern's mailq reads it directly.
# (postqueue-fixtures.sh and showq.sh compare with a recorded Postfix queue;
# this one checks Postern's queue files and defer logs against Postfix's
# reader.)
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/lib/oracle.sh"
inst_require showq error cleanup master postlogd
SEND=$POSTERN_BUILD/test/tools/deliver_send
export TZ=UTC LANG=C

inst_setup
ORACLE_SYSTEM_ACCOUNTS=1
if ! oracle_setup; then
    echo "1..0 # SKIP no Postfix oracle: $ORACLE_WHY"
    exit 0
fi
trap 'inst_cleanup; _oracle_cleanup' EXIT    # oracle_setup took the EXIT trap
sed -i "s|^queue_directory = .*|queue_directory = $Q|" "$ORACLE_CONF/main.cf"
# postqueue cleans the environment before it runs showq: keep the path to
# the unpacked libraries.
printf 'import_environment = MAIL_CONFIG TZ LANG=C LD_LIBRARY_PATH=%s\n' \
    "$ORACLE_ROOT/usr/lib/postfix" >>"$ORACLE_CONF/main.cf"
inst_service "retry     unix  -       -       y       -       -       error"
inst_service "showq     unix  n       -       y       -       -       showq"
check "postfix start" inst_start
check "public/showq exists" inst_wait_sock public/showq
check "private/retry exists" inst_wait_sock private/retry

# submit FROM RCPT...: a queued message in incoming/; prints its id.
submit() {
    local from=$1 args=() id
    shift
    for r in "$@"; do args+=(-r "$r"); done
    printf 'Subject: listing %s\n\n%s\n' "$from" "$(head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 60)" |
        inst_submit -f "$from" "${args[@]}" || return 1
    sed -n 's/^queue_id=//p' "$T/submit.out"
}
to_queue() { # ID QUEUE: move from incoming/ (or active/) as qmgr or postsuper would
    local src=$Q/incoming/$1 dst=$Q/$2
    [ -e "$src" ] || src=$Q/active/$1
    if [ "$2" = deferred ]; then dst=$dst/${1:0:1}; mkdir -p "$dst"; chown postfix "$dst"; fi
    mv "$src" "$dst/$1"
}

i1=$(submit alice@example.com bob@relay.test carol@relay.test)
i2=$(submit "" postmaster@example.com)
to_queue "$i2" active
i3=$(submit someone.with.a.rather.long.address@sub.example.org a@soft.test b@soft.test c@other.test)
to_queue "$i3" active
(cd "$Q" && "$SEND" -s private/retry \
    -n "4.4.1 host mx.soft.test[192.0.2.1] said: 450 4.2.0 <a@soft.test>: mailbox temporarily unavailable (in reply to RCPT TO command)" \
    "$i3") >"$T/send.out" 2>&1
ok $? "the retry agent defers $i3 (defer log written)"
to_queue "$i3" deferred
i4=$(submit dave@example.net eve@example.net)
to_queue "$i4" hold
i5=$(submit frank@example.com short@soft.test)
to_queue "$i5" active
(cd "$Q" && "$SEND" -s private/retry -n "4.4.2 lost connection" "$i5") >"$T/send.out" 2>&1
to_queue "$i5" deferred
like "$i1 $i2 $i3 $i4 $i5" '^([0-9A-F]{6,} ){4}[0-9A-F]{6,}$' "five messages queued"

mailq_postern() { MAIL_CONFIG=$C mailq; }
mailq_postfix() { oracle_run postqueue -p; }

mailq_postern >"$T/ours" 2>"$T/ours.err"
ok $? "Postern's mailq exits 0 (through its showq)"
mailq_postfix >"$T/theirs" 2>"$T/theirs.err"
ok $? "Postfix's postqueue -p exits 0 (through Postern's showq)"
like "$(cat "$T/ours")" "$i2\*" "the active message has its *"
like "$(cat "$T/ours")" "$i4!" "the held message has its !"
like "$(cat "$T/ours")" "\(host mx.soft.test\[192.0.2.1\] said: 450 4.2.0 <a@soft.test>: mailbox" "a deferral reason is shown"
is "$(cat "$T/ours")" "$(cat "$T/theirs")" "line for line the same as Postfix's postqueue -p"
diff "$T/ours" "$T/theirs" | head -20 | sed 's/^/# /'

inst_stop
rm -f "$Q/public/showq"
mailq_postern >"$T/ours2" 2>"$T/ours2.err"
ok $? "system down: Postern's mailq as root reads the queue itself"
mailq_postfix >"$T/theirs2" 2>"$T/theirs2.err"
ok $? "system down: Postfix's postqueue -p runs Postfix's showq on Postern's queue"
like "$(cat "$T/theirs2")" "Requests\.$" "(Postfix's showq listed the queue)"
is "$(cat "$T/ours2")" "$(cat "$T/theirs2")" "line for line the same"
diff "$T/ours2" "$T/theirs2" | head -20 | sed 's/^/# /'
is "$(cat "$T/ours2")" "$(cat "$T/ours")" "and the same as through showq"
done_testing
