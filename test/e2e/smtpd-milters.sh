#!/bin/bash
# smtpd_milters in a Postfix main.cf (e.g. OpenDKIM): Postern has no Milter
# client, so every milter counts as one that cannot be reached and
# milter_default_action decides, as Postfix does for a dead milter: tempfail
# (the default) answers MAIL FROM with 451 4.7.1, reject with 550 5.7.1,
# accept takes the mail as if there were no milter, quarantine takes it
# into the hold queue. Each smtpd says why once in the maillog; cleanup
# says that non_smtpd_milters are not applied. Without smtpd_milters
# nothing changes.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "smtpd_milters = inet:127.0.0.1:8891" "non_smtpd_milters = inet:127.0.0.1:8891"
# quarantine on a service of its own: after a reload an smtpd of before may
# still take a connection, and an accepted message would be in the wrong queue.
PORT_Q=$(inst_port)
inst_service "$ADDR:$PORT_Q inet n - y - - smtpd -o milter_default_action=quarantine"
sd_start
ok $? "master, smtpd and cleanup run"

# mail NAME FROM CODE-LINE: one transaction whose MAIL FROM gets CODE-LINE.
mail() {
    local name=$1 from=$2 reply=$3
    if [ "${reply:0:1}" = 2 ]; then
        SD_RETRY=1 sd_dialog "$name" <<D
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<$from>
S: $reply
C: RCPT TO:<bob@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: $name
C:
C: body
C: .
S~ 250 2\\.0\\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
    else
        SD_RETRY=1 sd_dialog "$name" <<D
S~ 220 .*
C: EHLO client.example.org
M: 250
C: MAIL FROM:<$from>
S: $reply
C: RCPT TO:<bob@mail.example.com>
S: 503 5.5.1 Error: need MAIL command
C: QUIT
S: 221 2.0.0 Bye
D
    fi
}

mail tempfail alice@example.com "451 4.7.1 Service unavailable - try again later"
like "$(sd_log 'milter-reject: MAIL from')" \
    "NOQUEUE: milter-reject: MAIL from [^ ]+: 451 4\.7\.1 Service unavailable - try again later; from=<alice@example\.com> proto=ESMTP helo=<client\.example\.org>$" \
    "the refusal is logged as Postfix logs a milter's"
like "$(sd_log 'Postern has no Milter support')" \
    "warning: smtpd_milters = inet:127\.0\.0\.1:8891: Postern has no Milter support; .*milter_default_action = tempfail" \
    "smtpd says why (milter_default_action tempfail, the default)"
is "$(sd_queue_count)" 0 "tempfail: nothing queued"

sd_reload "milter_default_action = reject"
mail reject carol@example.com "550 5.7.1 Command rejected"
is "$(sd_queue_count)" 0 "reject: nothing queued"

sd_reload "milter_default_action = accept"
mail accept dave@example.com "250 2.1.0 Ok"
inst_wait bash -c "[ \"\$(ls '$Q/incoming' | wc -l)\" -ge 1 ]"
is "$(ls "$Q/incoming" | wc -l)" 1 "accept: the message is queued"
like "$(sd_log 'non_smtpd_milters')" \
    "warning: non_smtpd_milters = inet:127\.0\.0\.1:8891: Postern has no Milter support; mail submitted with sendmail is not passed to any milter" \
    "cleanup says non_smtpd_milters are not applied"

PORT_MAIN=$PORT PORT=$PORT_Q
mail quarantine erin@example.com "250 2.1.0 Ok"
PORT=$PORT_MAIN
inst_wait bash -c "[ \"\$(ls '$Q/hold' 2>/dev/null | wc -l)\" -ge 1 ]"
ok $? "quarantine: the message goes to the hold queue"
like "$(inst_postcat "$Q/hold/$(ls "$Q/hold" | head -1)" 2>&1)" "erin@example\.com" "the held message is the quarantined one"

sd_reload "milter_default_action = bogus"
mail bogus frank@example.com "451 4.7.1 Service unavailable - try again later"
like "$(sd_log 'bad milter_default_action')" 'bad milter_default_action value: "bogus"; using tempfail' \
    "a bad milter_default_action is a warning and tempfail"

sd_reload "smtpd_milters ="
mail nomilter grace@example.com "250 2.1.0 Ok"

sd_finish
done_testing
