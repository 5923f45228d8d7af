#!/bin/bash
# Restriction lists beyond access tables: HELO checks (required, invalid,
# non-FQDN), non-FQDN sender and recipient, reject_unlisted_sender, DATA
# restrictions, the recipient limit, smtpd_delay_reject = no (a HELO
# rejection at HELO), the error sleep after the soft error limit, and
# mynetworks_style deciding who may relay.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "smtpd_helo_required = yes" \
    "smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname" \
    "smtpd_sender_restrictions = reject_non_fqdn_sender, reject_unlisted_sender" \
    "smtpd_recipient_restrictions = reject_non_fqdn_recipient, permit_mynetworks, reject_unauth_destination" \
    "smtpd_data_restrictions = check_sender_access inline:{{nodata@example.com=REJECT no data for you}}" \
    "smtpd_recipient_limit = 2" \
    "mynetworks = 127.0.0.1/32"
sd_start
ok $? "master, smtpd and cleanup run"

sd_dialog helo <<'D'
S~ 220 .*
C: MAIL FROM:<alice@example.com>
S: 503 5.5.1 Error: send HELO/EHLO first
C: HELO bad_host!name
S: 250 mail.example.com
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 501 5.5.2 <bad_host!name>: Helo command rejected: Invalid name
C: RSET
S: 250 2.0.0 Ok
C: HELO localhost
S: 250 mail.example.com
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname
C: QUIT
S: 221 2.0.0 Bye
D

sd_dialog envelope <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 504 5.5.2 <alice>: Sender address rejected: need fully-qualified address
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<nobody@mail.example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 550 5.1.0 <nobody@mail.example.com>: Sender address rejected: User unknown in local recipient table
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<bob>
S: 504 5.5.2 <bob>: Recipient address rejected: need fully-qualified address
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<carol@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<alice@mail.example.com>
S: 452 4.5.3 Error: too many recipients
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<nodata@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S: 554 5.7.1 <nodata@example.com>: Sender address rejected: no data for you
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "reject: DATA from")" "NOQUEUE: reject: DATA from unknown\[127.0.0.1\]: 554 5.7.1 <nodata@example.com>: Sender address rejected: no data for you; from=<nodata@example.com> proto=ESMTP helo=<client.example.org>|[0-9A-F]+: reject: DATA from" \
    "DATA restriction: logged"

# mynetworks_style: with mynetworks unset, "host" trusts only this host's
# addresses (127.0.0.1, not 127.0.0.2); "subnet" trusts 127.0.0.0/8.
relay_dialog() {
    cat >"$T/relay.dialog" <<D
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<someone@elsewhere.test>
S: $1
C: QUIT
S: 221 2.0.0 Bye
D
    $DIALOG --bind 127.0.0.2 "$ADDR" "$PORT" "$T/relay.dialog" 2>"$T/relay.err"
}
sed -i '/^mynetworks *=/d' "$C/main.cf"
inst_param mynetworks_style host
postfix reload >/dev/null 2>&1
inst_wait relay_dialog "454 4.7.1 <someone@elsewhere.test>: Relay access denied"
ok $? "mynetworks_style = host: 127.0.0.2 may not relay $(cat "$T/relay.err")"
inst_param mynetworks_style subnet
postfix reload >/dev/null 2>&1
inst_wait relay_dialog "250 2.1.5 Ok"
ok $? "mynetworks_style = subnet: 127.0.0.2 may relay $(cat "$T/relay.err")"

# smtpd_delay_reject = no: the HELO restrictions answer at HELO; the
# error sleep starts at the soft error limit.
inst_param smtpd_delay_reject no
inst_param smtpd_soft_error_limit 2
inst_param smtpd_error_sleep_time 1s
postfix reload >/dev/null 2>&1
cat >"$T/nodelay.dialog" <<'D'
S~ 220 .*
C: HELO localhost
S: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname
C: MAIL FROM:<alice@example.com>
S: 503 5.5.1 Error: send HELO/EHLO first
C: QUIT
S: 221 2.0.0 Bye
D
inst_wait bash -c "$DIALOG $ADDR $PORT $T/nodelay.dialog 2>$T/nodelay.err"
ok $? "smtpd_delay_reject = no: rejected at HELO, which is not recorded: MAIL wants a HELO $(cat "$T/nodelay.err")"
# As in Postfix, a refused HELO changes nothing: the earlier HELO and the
# transaction stay.
cat >"$T/nodelay-keep.dialog" <<'D'
S~ 220 .*
C: HELO client.example.org
S: 250 mail.example.com
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: HELO localhost
S: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
$DIALOG "$ADDR" "$PORT" "$T/nodelay-keep.dialog" 2>"$T/nodelay-keep.err"
ok $? "smtpd_delay_reject = no: a refused HELO keeps the earlier HELO and the transaction $(cat "$T/nodelay-keep.err")"
like "$(sd_log "reject: HELO from")" "NOQUEUE: reject: HELO from unknown\[127.0.0.1\]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<localhost>" \
    "smtpd_delay_reject = no: logged at HELO"
start=$(date +%s.%N)
$DIALOG "$ADDR" "$PORT" "$T/nodelay.dialog" 2>/dev/null
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
ok $(echo "$elapsed >= 1.0" | bc | grep -q 1; echo $?) "the second error (soft limit 2) is answered after smtpd_error_sleep_time (${elapsed}s)"

# The client's name: 127.0.0.1 is "localhost" in /etc/hosts (read before
# the chroot) and maps back to 127.0.0.1, so it is verified.
if grep -qE '^127\.0\.0\.1[[:space:]]+localhost' /etc/hosts; then
    inst_param smtpd_delay_reject yes
    inst_param smtpd_error_sleep_time 0
    inst_param smtpd_peername_lookup yes
    inst_param smtpd_client_restrictions reject_unknown_client_hostname
    postfix reload >/dev/null 2>&1
    cat >"$T/peer.dialog" <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
    inst_wait bash -c "$DIALOG $ADDR $PORT $T/peer.dialog 2>$T/peer.err"
    ok $? "a verified client name passes reject_unknown_client_hostname $(cat "$T/peer.err")"
    like "$(sd_log "connect from localhost")" "connect from localhost\[127.0.0.1\]" "the client is logged as localhost[127.0.0.1]"
    inst_param smtpd_peername_lookup no
    postfix reload >/dev/null 2>&1
    sed -i 's/^S: 250 2.1.5 Ok$/S: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.1]/' "$T/peer.dialog"
    inst_wait bash -c "$DIALOG $ADDR $PORT $T/peer.dialog 2>$T/peer.err"
    ok $? "without a name: 450 4.7.25 from reject_unknown_client_hostname $(cat "$T/peer.err")"
else
    skip "/etc/hosts has no 127.0.0.1 localhost"
    skip "/etc/hosts has no 127.0.0.1 localhost"
    skip "/etc/hosts has no 127.0.0.1 localhost"
fi

# smtpd_discard_ehlo_keywords turns an extension off, not only its keyword.
inst_param smtpd_discard_ehlo_keywords "dsn, chunking, smtputf8"
inst_param smtpd_client_restrictions ""
postfix reload >/dev/null 2>&1
cat >"$T/discard.dialog" <<'D'
S~ 220 .*
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250 8BITMIME
C: MAIL FROM:<alice@example.com> RET=HDRS
S: 555 5.5.4 Unsupported option: RET
C: MAIL FROM:<alice@example.com> SMTPUTF8
S: 555 5.5.4 Unsupported option: SMTPUTF8
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com> NOTIFY=NEVER
S: 555 5.5.4 Unsupported option: NOTIFY
C: BDAT 1 LAST
S: 502 5.5.1 Error: command not implemented
C: QUIT
S: 221 2.0.0 Bye
D
inst_wait bash -c "$DIALOG $ADDR $PORT $T/discard.dialog 2>$T/discard.err"
ok $? "discarded EHLO keywords: DSN, SMTPUTF8 and CHUNKING are refused $(cat "$T/discard.err")"
like "$(sd_log "discarding EHLO keywords: DSN")" "discarding EHLO keywords: DSN SMTPUTF8 CHUNKING$" \
    "discarded EHLO keywords: logged in Postfix's order"

# An unknown restriction: a warning, and 451 when it is reached (Postfix).
inst_param smtpd_discard_ehlo_keywords ""
inst_param mynetworks 127.0.0.1/32
inst_param smtpd_recipient_restrictions "permit_mynetworks, no_such_restriction"
postfix reload >/dev/null 2>&1
cat >"$T/unknown.dialog" <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 451 4.3.5 Server configuration error
C: QUIT
S: 221 2.0.0 Bye
D
inst_wait bash -c "$DIALOG --bind 127.0.0.2 $ADDR $PORT $T/unknown.dialog 2>$T/unknown.err"
ok $? "an unknown restriction: 451 4.3.5 when reached $(cat "$T/unknown.err")"
like "$(sd_log "unknown smtpd restriction")" 'warning: .*unknown smtpd restriction: "no_such_restriction"' \
    "an unknown restriction: a warning names it"

# Pattern tables get whole strings: a client's name, then its address.
printf '/^127\\.0\\.0\\.1$/ REJECT regexp says no\n' >"$T/client.regexp"
printf '/^spammer@/ 550 5.7.1 pcre says no\n' >"$T/sender.pcre"
inst_param smtpd_peername_lookup yes
inst_param smtpd_recipient_restrictions "check_sender_access pcre:$T/sender.pcre, check_client_access regexp:$T/client.regexp"
postfix reload >/dev/null 2>&1
cat >"$T/pattern.dialog" <<'D'
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<spammer@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 550 5.7.1 pcre says no
C: RSET
S: 250 2.0.0 Ok
C: MAIL FROM:<alice@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: regexp says no
C: QUIT
S: 221 2.0.0 Bye
D
if grep -qE '^127\.0\.0\.1[[:space:]]+localhost' /etc/hosts; then
    inst_wait bash -c "$DIALOG --bind 127.0.0.1 $ADDR $PORT $T/pattern.dialog 2>$T/pattern.err"
    ok $? "pcre: and regexp: access tables; a named client's address is matched too $(cat "$T/pattern.err")"
else
    skip "/etc/hosts has no 127.0.0.1 localhost"
fi

# smtpd_client_port_logging: name[addr]:port in the logs.
inst_param smtpd_client_port_logging yes
inst_param smtpd_peername_lookup no
postfix reload >/dev/null 2>&1
printf 'S~ 220 .*\nC: QUIT\nS: 221 2.0.0 Bye\n' >"$T/port.dialog"
inst_wait bash -c "$DIALOG --bind 127.0.0.2 $ADDR $PORT $T/port.dialog && grep -qE 'connect from unknown\[127.0.0.2\]:[0-9]+$' $LOG"
ok $? "smtpd_client_port_logging = yes: the client port is logged"

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
