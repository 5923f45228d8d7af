/*
 * Unit tests for smtpd/smtpd_access.c: every access(5) result form, and
 * malformed values.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../smtpd/smtpd_access.h"
#include "tap.h"

int main(void)
{
    const struct {
        const char *value;
        int action;
        int code;
        const char *dsn;
        const char *text;
    } cases[] = {
        {"OK", SMTPD_ACC_OK, 0, "", ""},
        {"ok", SMTPD_ACC_OK, 0, "", ""},
        {"1234", SMTPD_ACC_OK, 0, "", ""},
        {"DUNNO", SMTPD_ACC_DUNNO, 0, "", ""},
        {"REJECT", SMTPD_ACC_REJECT, 0, "", ""},
        {"REJECT go away", SMTPD_ACC_REJECT, 0, "", "go away"},
        {"DEFER later", SMTPD_ACC_DEFER, 0, "", "later"},
        {"DEFER_IF_PERMIT x", SMTPD_ACC_DEFER_IF_PERMIT, 0, "", "x"},
        {"DEFER_IF_REJECT", SMTPD_ACC_DEFER_IF_REJECT, 0, "", ""},
        {"REJECT 5.7.25 no PTR", SMTPD_ACC_REJECT, 0, "5.7.25", "no PTR"},
        {"DEFER_IF_PERMIT 4.2.0 Greylisted, see x", SMTPD_ACC_DEFER_IF_PERMIT, 0, "4.2.0",
         "Greylisted, see x"},
        {"DEFER 4.x later", SMTPD_ACC_DEFER, 0, "", "4.x later"},
        {"550 no such user", SMTPD_ACC_REPLY, 550, "5.7.1", "no such user"},
        {"550 5.1.1 no such user", SMTPD_ACC_REPLY, 550, "5.1.1", "no such user"},
        {"421 4.7.0 busy", SMTPD_ACC_REPLY, 421, "4.7.0", "busy"},
        {"450 5.1.1 mismatch", SMTPD_ACC_REPLY, 450, "4.7.1", "5.1.1 mismatch"},
        {"HOLD", SMTPD_ACC_HOLD, 0, "", ""},
        {"HOLD suspicious", SMTPD_ACC_HOLD, 0, "", "suspicious"},
        {"DISCARD", SMTPD_ACC_DISCARD, 0, "", ""},
        {"PREPEND X-Seen: yes", SMTPD_ACC_PREPEND, 0, "", "X-Seen: yes"},
        {"WARN odd", SMTPD_ACC_WARN, 0, "", "odd"},
        {"INFO note", SMTPD_ACC_INFO, 0, "", "note"},
        {"FILTER smtp:[127.0.0.1]:10025", SMTPD_ACC_DUNNO, 0, "", "smtp:[127.0.0.1]:10025"},
        {"reject_unauth_destination", SMTPD_ACC_RESTRICT, 0, "", "reject_unauth_destination"},
        {"permit_mynetworks, reject", SMTPD_ACC_RESTRICT, 0, "", "permit_mynetworks, reject"},
        {"REJECTED", SMTPD_ACC_RESTRICT, 0, "", "REJECTED"},
        {"PREPEND", SMTPD_ACC_BAD, 0, "", NULL},
        {"PREPEND no colon", SMTPD_ACC_BAD, 0, "", NULL},
        {"PREPEND Bad Name: x", SMTPD_ACC_BAD, 0, "", NULL},
        {"550", SMTPD_ACC_OK, 0, "", ""},       /* all digits: Postfix's OK */
        {"550 ", SMTPD_ACC_BAD, 0, "", NULL},
        {"250 fine", SMTPD_ACC_BAD, 0, "", NULL},
        {"", SMTPD_ACC_BAD, 0, "", NULL},
    };
    size_t i;
    SMTPD_ACCESS a;

    smtpd_access_init(&a);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = smtpd_access_parse(cases[i].value, &a);

        TAP_INT(r, cases[i].action, "action of '%s'", cases[i].value);
        if (r == SMTPD_ACC_BAD)
            continue;
        TAP_INT(a.code, cases[i].code, "code of '%s'", cases[i].value);
        TAP_STR(a.dsn, cases[i].dsn, "dsn of '%s'", cases[i].value);
        TAP_STR(a.text, cases[i].text, "text of '%s'", cases[i].value);
    }
    smtpd_access_free(&a);
    return tap_done();
}
