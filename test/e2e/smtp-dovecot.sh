#!/bin/bash
# lmtp to a real Dovecot LMTP server (Debian's dovecot-lmtpd), the
# tutorials' "mailbox_transport = lmtp:unix:private/dovecot-lmtp" set-up:
# the lmtp service is chrooted into the queue directory and the next hop is
# relative to it. A known user gets the message in its Maildir; an unknown
# one is bounced with Dovecot's reply.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
. "$POSTERN_SRC/test/data/smtp/smtp-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x /usr/lib/dovecot/lmtp ] || { echo "1..0 # SKIP dovecot-lmtpd is not installed"; exit 0; }
[ -x "$POSTERN_INST/libexec/postern/lmtp" ] || { echo "1..0 # SKIP lmtp is not installed"; exit 0; }

DPID=
inst_setup
dovecot_stop() {
    [ -n "$DPID" ] || return 0
    kill "$DPID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DPID" 2>/dev/null
    DPID=
}
trap 'dovecot_stop; inst_cleanup' EXIT
inst_param mydestination '$myhostname, localhost'
inst_service "lmtp      unix  -       -       y       -       -       lmtp"
check "postfix start" inst_start
check "private/lmtp exists" inst_wait_sock private/lmtp

mkdir -p "$T/mail" && chmod 777 "$T/mail"
echo "ann::65534:65534::$T/mail/ann::" >"$T/dovecot-users"
sed -e "s|@T@|$T|g" -e "s|@SOCK@|$Q/private/dovecot-lmtp|" \
    "$POSTERN_SRC/test/data/smtp/dovecot-lmtp.conf.in" >"$T/dovecot.conf"
dovecot -F -c "$T/dovecot.conf" >"$T/dovecot.out" 2>&1 3>&- &
DPID=$!
check "Dovecot's LMTP socket appears in private/" inst_wait test -S "$Q/private/dovecot-lmtp"

id=$(printf 'Subject: to Dovecot\nFrom: alice@example.com\n\nhello ann\n' |
    smtp_queue -f alice@example.com -r ann@example.org -r nobody-here@example.org)
smtp_send -s private/lmtp -n unix:private/dovecot-lmtp "$id"
ok $? "deliver_send gets a result from lmtp"
like "$(smtp_result ann@example.org)" "^result=sent dsn=2.0.0 reason=250 2.0.0 <ann@example.org> [^ ]+ Saved$" \
    "ann: Dovecot saved it"
is "$(smtp_result nobody-here@example.org)" \
    "result=bounced dsn=5.1.1 reason=host mail.example.com[private/dovecot-lmtp] said: 550 5.1.1 <nobody-here@example.org> User doesn't exist: nobody-here@example.org (in reply to RCPT TO command)" \
    "an unknown user: bounced with Dovecot's text"
f=$(find "$T/mail/ann/new" -type f 2>/dev/null | head -1)
[ -n "$f" ] && grep -q "^hello ann" "$f" && grep -q "^Subject: to Dovecot" "$f"
ok $? "the message is in ann's Maildir"
check "Postfix's line: relay=myhostname[private/dovecot-lmtp]" inst_log_wait \
    "postfix/lmtp\[[0-9]+\]: $id: to=<ann@example.org>, relay=mail.example.com\[private/dovecot-lmtp\], delay=.*, dsn=2.0.0, status=sent \(250 2.0.0 <ann@example.org> [^ ]+ Saved\)$"

dovecot_stop
inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
