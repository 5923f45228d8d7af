#!/bin/bash
# check_sasl_access: the SASL login name of an authenticated client looked
# up in an access table (Cyrus sasldb, as smtpd-auth.sh makes it): a listed
# login's REJECT text is the reply; a login that is not listed and a client
# that did not authenticate go on to the next restriction.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/auth-lib.sh"
auth_require saslpasswd2

auth_setup "smtpd_relay_restrictions = check_sasl_access texthash:\$config_directory/sasl_access, permit_sasl_authenticated, reject_unauth_destination"
printf '%s\n' 'smtp@example.com REJECT account suspended' >"$C/sasl_access"
P_OTHER=$(inst_port)
inst_service "$ADDR:$P_OTHER inet n - y - - smtpd -o smtpd_relay_restrictions=check_sasl_access,texthash:$C/sasl_other,permit_sasl_authenticated,reject_unauth_destination"
printf '%s\n' 'someone@example.com REJECT not this one' >"$C/sasl_other"
auth_start

login_dialog listed "$PORT" yes smtp@example.com \
    "554 5.7.1 <smtp@example.com>: SASL login name rejected: account suspended"
like "$(sd_log "reject: RCPT from .*SASL login name rejected")" \
    "NOQUEUE: reject: RCPT from .*: 554 5.7.1 <smtp@example.com>: SASL login name rejected: account suspended; from=<smtp@example.com> to=<bob@mail.example.com>" \
    "check_sasl_access: the log line"
login_dialog unlisted "$P_OTHER" yes smtp@example.com "250 2.1.5 Ok"
# bob@mail.example.com is a local recipient: without AUTH the table has no key.
login_dialog no-auth "$PORT" no smtp@example.com "250 2.1.5 Ok"

sd_finish
done_testing
