/*
 * smtpd_access - what an access(5) table value means.
 *
 * smtpd_access_parse(value, &a) classifies the right-hand side of an
 * access table entry:
 *   OK, or all digits            SMTPD_ACC_OK
 *   DUNNO (and FILTER, REDIRECT, BCC: not done here, treated as DUNNO)
 *   REJECT [[dsn] text]          SMTPD_ACC_REJECT (a.dsn: the enhanced
 *                                status code when the text starts with
 *                                one, as for the DEFER* results; else "")
 *   DEFER [text]                 SMTPD_ACC_DEFER
 *   DEFER_IF_REJECT / DEFER_IF_PERMIT [text]
 *   4NN text, 5NN text           SMTPD_ACC_REPLY (a.code, a.dsn if the
 *                                text starts with one, else derived)
 *   HOLD [text], DISCARD [text]  SMTPD_ACC_HOLD / SMTPD_ACC_DISCARD
 *   PREPEND header: value        SMTPD_ACC_PREPEND (text = the header)
 *   WARN text, INFO text         SMTPD_ACC_WARN / SMTPD_ACC_INFO
 *   anything else                SMTPD_ACC_RESTRICT: restriction names
 *                                (text) to evaluate in place
 * Keywords are case-insensitive; text is what follows the keyword and its
 * white space (may be empty). a.text points into an internal buffer of a
 * (valid until the next parse with the same struct; smtpd_access_free()).
 * A malformed value ("PREPEND" without a header, "450" without text, a
 * code that is not 4xx/5xx) is SMTPD_ACC_BAD with a.text saying why: the
 * caller logs a warning and answers with a temporary error, as Postfix
 * does for a table it cannot use. Nothing here logs or exits.
 */
#ifndef POSTERN_SMTPD_ACCESS_H
#define POSTERN_SMTPD_ACCESS_H

#include "../lib/vstr.h"

enum {
    SMTPD_ACC_DUNNO, SMTPD_ACC_OK, SMTPD_ACC_REJECT, SMTPD_ACC_DEFER,
    SMTPD_ACC_DEFER_IF_REJECT, SMTPD_ACC_DEFER_IF_PERMIT, SMTPD_ACC_REPLY,
    SMTPD_ACC_HOLD, SMTPD_ACC_DISCARD, SMTPD_ACC_PREPEND, SMTPD_ACC_WARN,
    SMTPD_ACC_INFO, SMTPD_ACC_RESTRICT, SMTPD_ACC_BAD
};

typedef struct SMTPD_ACCESS {
    int action;
    int code;               /* SMTPD_ACC_REPLY */
    char dsn[16];           /* "5.7.1"; SMTPD_ACC_REPLY: given or derived */
    const char *text;
    VSTR *buf;
} SMTPD_ACCESS;

void smtpd_access_init(SMTPD_ACCESS *a);
int smtpd_access_parse(const char *value, SMTPD_ACCESS *a);
void smtpd_access_free(SMTPD_ACCESS *a);
int smtpd_dsn_valid(const char *text, size_t *len);

#endif
