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
relay_dialog() { # RCPT-REPLY: the dialog, with that reply to RCPT
    cat <<D
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
}
sed -i '/^mynetworks *=/d' "$C/main.cf"
sd_reload "mynetworks_style = host"
SD_RETRY=1 SD_WHAT="mynetworks_style = host: 127.0.0.2 may not relay" sd_dialog relay-host --bind 127.0.0.2 \
    < <(relay_dialog "454 4.7.1 <someone@elsewhere.test>: Relay access denied")
sd_reload "mynetworks_style = subnet"
SD_RETRY=1 SD_WHAT="mynetworks_style = subnet: 127.0.0.2 may relay" sd_dialog relay-subnet --bind 127.0.0.2 \
    < <(relay_dialog "250 2.1.5 Ok")

# smtpd_delay_reject = no: the HELO restrictions answer at HELO; the
# error sleep starts at the soft error limit.
sd_reload "smtpd_delay_reject = no" "smtpd_soft_error_limit = 2" "smtpd_error_sleep_time = 1s"
SD_RETRY=1 SD_WHAT="smtpd_delay_reject = no: rejected at HELO, which is not recorded: MAIL wants a HELO" \
    sd_dialog nodelay <<'D'
S~ 220 .*
C: HELO localhost
S: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname
C: MAIL FROM:<alice@example.com>
S: 503 5.5.1 Error: send HELO/EHLO first
C: QUIT
S: 221 2.0.0 Bye
D
# As in Postfix, a refused HELO changes nothing: the earlier HELO and the
# transaction stay.
SD_WHAT="smtpd_delay_reject = no: a refused HELO keeps the earlier HELO and the transaction" \
    sd_dialog nodelay-keep <<'D'
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
like "$(sd_log "reject: HELO from")" "NOQUEUE: reject: HELO from unknown\[127.0.0.1\]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<localhost>" \
    "smtpd_delay_reject = no: logged at HELO"
start=$(date +%s.%N)
$DIALOG "$ADDR" "$PORT" "$T/nodelay.dialog" 2>/dev/null
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
ok $(echo "$elapsed >= 1.0" | bc | grep -q 1; echo $?) "the second error (soft limit 2) is answered after smtpd_error_sleep_time (${elapsed}s)"

# The client's name: 127.0.0.1 is "localhost" in /etc/hosts (read before
# the chroot) and maps back to 127.0.0.1, so it is verified.
if grep -qE '^127\.0\.0\.1[[:space:]]+localhost' /etc/hosts; then
    sd_reload "smtpd_delay_reject = yes" "smtpd_error_sleep_time = 0" "smtpd_peername_lookup = yes" \
        "smtpd_client_restrictions = reject_unknown_client_hostname"
    SD_RETRY=1 SD_WHAT="a verified client name passes reject_unknown_client_hostname" sd_dialog peer <<'D'
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
    like "$(sd_log "connect from localhost")" "connect from localhost\[127.0.0.1\]" "the client is logged as localhost[127.0.0.1]"
    sd_reload "smtpd_peername_lookup = no"
    SD_RETRY=1 SD_WHAT="without a name: 450 4.7.25 from reject_unknown_client_hostname" sd_dialog peer-unnamed \
        < <(sed 's/^S: 250 2.1.5 Ok$/S: 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.1]/' "$T/peer.dialog")
else
    skip "/etc/hosts has no 127.0.0.1 localhost"
    skip "/etc/hosts has no 127.0.0.1 localhost"
    skip "/etc/hosts has no 127.0.0.1 localhost"
fi

# smtpd_discard_ehlo_keywords turns an extension off, not only its keyword.
sd_reload "smtpd_discard_ehlo_keywords = dsn, chunking, smtputf8" "smtpd_client_restrictions ="
SD_RETRY=1 SD_WHAT="discarded EHLO keywords: DSN, SMTPUTF8 and CHUNKING are refused" sd_dialog discard <<'D'
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
like "$(sd_log "discarding EHLO keywords: DSN")" "discarding EHLO keywords: DSN SMTPUTF8 CHUNKING$" \
    "discarded EHLO keywords: logged in Postfix's order"

# An unknown restriction: a warning, and 451 when it is reached (Postfix).
sd_reload "smtpd_discard_ehlo_keywords =" "mynetworks = 127.0.0.1/32" \
    "smtpd_recipient_restrictions = permit_mynetworks, no_such_restriction"
SD_RETRY=1 SD_WHAT="an unknown restriction: 451 4.3.5 when reached" sd_dialog unknown --bind 127.0.0.2 <<'D'
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
like "$(sd_log "unknown smtpd restriction")" 'warning: .*unknown smtpd restriction: "no_such_restriction"' \
    "an unknown restriction: a warning names it"

# Pattern tables get whole strings: a client's name, then its address.
printf '/^127\\.0\\.0\\.1$/ REJECT regexp says no\n' >"$T/client.regexp"
printf '/^spammer@/ 550 5.7.1 pcre says no\n' >"$T/sender.pcre"
sd_reload "smtpd_peername_lookup = yes" \
    "smtpd_recipient_restrictions = check_sender_access pcre:$T/sender.pcre, check_client_access regexp:$T/client.regexp"
if grep -qE '^127\.0\.0\.1[[:space:]]+localhost' /etc/hosts; then
    SD_RETRY=1 SD_WHAT="pcre: and regexp: access tables; a named client's address is matched too" \
        sd_dialog pattern --bind 127.0.0.1 <<'D'
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
else
    skip "/etc/hosts has no 127.0.0.1 localhost"
fi

# smtpd_client_port_logging: name[addr]:port in the logs.
sd_reload "smtpd_client_port_logging = yes" "smtpd_peername_lookup = no"
printf 'S~ 220 .*\nC: QUIT\nS: 221 2.0.0 Bye\n' >"$T/port.dialog"
inst_wait bash -c "$DIALOG --bind 127.0.0.2 $ADDR $PORT $T/port.dialog && grep -qE 'connect from unknown\[127.0.0.2\]:[0-9]+$' $LOG"
ok $? "smtpd_client_port_logging = yes: the client port is logged"

sd_finish
done_testing
