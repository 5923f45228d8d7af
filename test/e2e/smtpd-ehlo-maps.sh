#!/bin/bash
# Per-client EHLO keywords and non-SMTP commands.
# smtpd_discard_ehlo_keyword_address_maps (a cidr: and a texthash: table,
# searched in order by the client address) overrides
# smtpd_discard_ehlo_keywords for the clients it lists: their keywords are
# hidden, the matching ESMTP parameters refused (SIZE, RET, BDAT) and the
# "discarding EHLO keywords" line logged unless silent-discard is among
# them; unlisted clients get the parameter's list.
# smtpd_forbidden_commands: Postfix 3.7's default (CONNECT GET POST and the
# inline regexp:{{/^[^A-Z]/ Bogus}}) and a header-like "Label:" command end
# the session with 221 and Postfix's "non-SMTP command" warning; a list set
# with -o replaces the default, while the header rule stays. The inline
# regexp table form also answers postmap -q.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup
cat >"$T/ehlo.cidr" <<'EOF'
# client           EHLO keywords to hide
127.0.5.5/32       silent-discard, dsn, chunking, size
127.0.5.0/24       vrfy etrn
EOF
printf '127.0.6.6 pipelining\n' >"$T/ehlo.txt"
inst_param smtpd_discard_ehlo_keywords "etrn"
inst_param smtpd_discard_ehlo_keyword_address_maps "cidr:$T/ehlo.cidr, texthash:$T/ehlo.txt"
PORT2=$(inst_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(inst_port); done
inst_service "$ADDR:$PORT2 inet n - y - - smtpd -o syslog_name=postfix/own -o smtpd_forbidden_commands=CONNECT,GET,POST,FOOBAR"
sd_start
ok $? "master, smtpd and cleanup run"

# --- an unlisted client: smtpd_discard_ehlo_keywords ----------------------------------
sd_dialog unlisted --bind 127.0.0.1 <<'D'
S~ 220 .*
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S~ 250-SIZE \d+
S: 250-VRFY
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "discarding EHLO keywords: ETRN$")" "discarding EHLO keywords: ETRN$" \
    "unlisted client: the parameter's list, logged"

# --- the cidr table's exact entry, with silent-discard -----------------------------------
sd_dialog cidr-host --bind 127.0.5.5 <<'D'
S~ 220 .*
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-VRFY
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250 SMTPUTF8
C: MAIL FROM:<alice@example.com> SIZE=100
S: 555 5.5.4 Unsupported option: SIZE
C: MAIL FROM:<alice@example.com> RET=FULL
S: 555 5.5.4 Unsupported option: RET
C: MAIL FROM:<alice@example.com> BODY=8BITMIME
S: 250 2.1.0 Ok
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: BDAT 0 LAST
S: 502 5.5.1 Error: command not implemented
C: QUIT
S: 221 2.0.0 Bye
D

# --- the cidr table's network entry --------------------------------------------------
sd_dialog cidr-net --bind 127.0.5.9 <<'D'
S~ 220 .*
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S~ 250-SIZE \d+
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "discarding EHLO keywords: ETRN VRFY$")" "discarding EHLO keywords: ETRN VRFY$" \
    "cidr network entry: its own list replaces the parameter's, logged in Postfix's order"

# --- the second table ------------------------------------------------------------------
sd_dialog texthash --bind 127.0.6.6 <<'D'
S~ 220 .*
C: EHLO client.example.org
S: 250-mail.example.com
S~ 250-SIZE \d+
S: 250-VRFY
S: 250-ETRN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250 CHUNKING
C: QUIT
S: 221 2.0.0 Bye
D
sd_log "disconnect from unknown\[127.0.6.6\]" >/dev/null
like "$(sd_log "discarding EHLO keywords: PIPELINING$")" "discarding EHLO keywords: PIPELINING$" \
    "a client only the second table lists"
is "$(grep -c "discarding EHLO keywords" "$LOG")" 3 "silent-discard: nothing logged for 127.0.5.5"

# --- smtpd_forbidden_commands: Postfix 3.7's default ----------------------------------------
forbidden() { # NAME PORT COMMAND: the session ends with 221 after COMMAND
    PORT=$2 sd_dialog "$1" --bind 127.0.0.1 < <(printf 'S~ 220 .*\nC: EHLO client.example.org\nM: 250\nC: %s\nS: 221 2.7.0 Error: I can break rules, too. Goodbye.\nEOF\n' "$3")
}
forbidden http-get "$PORT" "GET / HTTP/1.0"
forbidden http-connect "$PORT" "connect mail.example.com:25 HTTP/1.1"
forbidden html "$PORT" "<html><body>"
forbidden digits "$PORT" "123 go"
forbidden header "$PORT" "Subject: hello there"
like "$(sd_log "non-SMTP command from unknown\[127.0.0.1\]: GET")" \
    "postfix/smtpd\[[0-9]+\]: warning: non-SMTP command from unknown\[127\.0\.0\.1\]: GET / HTTP/1\.0$" \
    "Postfix's warning, with the whole line"
like "$(sd_log "non-SMTP command from unknown\[127.0.0.1\]: <html>")" "non-SMTP command from unknown\[127\.0\.0\.1\]: <html><body>$" \
    "the inline regexp: a command that does not start with a letter"
sd_dialog not-forbidden --bind 127.0.0.1 <<'D'
S~ 220 .*
C: FOOBAR baz
S: 502 5.5.2 Error: command not recognized
C: GETX /
S: 502 5.5.2 Error: command not recognized
C: QUIT
S: 221 2.0.0 Bye
D

# --- a list of one's own (master.cf -o) ---------------------------------------------------
forbidden own-foobar "$PORT2" "FOOBAR baz"
forbidden own-header "$PORT2" "X-Mailer: something"
PORT=$PORT2 sd_dialog own-allowed --bind 127.0.0.1 <<'D'
S~ 220 .*
C: <html>
S: 502 5.5.2 Error: command not recognized
C: 123
S: 502 5.5.2 Error: command not recognized
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "postfix/own.*non-SMTP command.*FOOBAR")" "warning: non-SMTP command from unknown\[127\.0\.0\.1\]: FOOBAR baz$" \
    "the configured list is used"

# --- the inline regexp table itself -----------------------------------------------------
is "$(postmap -q 1abc 'regexp:{{/^[^A-Z]/ Bogus}}' 2>&1)" "Bogus" "postmap -q: an inline regexp table matches"
postmap -q abc 'regexp:{ {/^[^A-Z]/ Bogus}, {/^a(b)c$/ got=$1} }' >"$T/pm.out" 2>&1
is "$?:$(cat "$T/pm.out")" "0:got=b" "postmap -q: several inline rules, substitution"
postmap -q abd 'regexp:{{/^[^A-Z]/ Bogus}}' >"$T/pm2.out" 2>&1
is "$?:$(cat "$T/pm2.out")" "1:" "postmap -q: no match, exit 1"
postmap -q abc 'regexp:{ /a/ b }' >"$T/pm3.out" 2>&1
like "$?:$(cat "$T/pm3.out")" "^[1-9][0-9]*:.*a rule must be enclosed in \{ \}" "postmap -q: a malformed inline table is an error"
postmap -q abc 'regexp:{ {/a/ b }' >"$T/pm4.out" 2>&1
like "$?:$(cat "$T/pm4.out")" "^[1-9][0-9]*:.*unbalanced" "postmap -q: unbalanced braces are an error"

done_testing
