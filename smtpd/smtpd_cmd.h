/*
 * smtpd_cmd - SMTP command lines and ESMTP parameters, parsed without I/O.
 *
 * smtpd_cmd_check() looks at one raw command line (its CR LF already
 * removed by the reader) and refuses bytes that have no business there: NUL,
 * a bare CR, other control characters except TAB. smtpd_cmd_verb() finds the
 * command word (case-insensitive) and returns its SMTPD_C_* number or
 * SMTPD_C_UNKNOWN, with *arg pointing at the argument text.
 * smtpd_cmd_keyword() skips "FROM:" / "TO:" (case-insensitive, spaces
 * allowed around the colon as Postfix tolerates) and returns the rest or
 * NULL.
 *
 * ESMTP parameters (the text after the path): smtpd_cmd_mail_params() reads
 * SIZE, BODY, SMTPUTF8, RET, ENVID and AUTH (RFC 4954 section 5: "<>" or an
 * xtext-encoded mailbox, decoded into p->auth; whether to believe it is the
 * caller's business); smtpd_cmd_rcpt_params()
 * reads NOTIFY and ORCPT. Each returns 0, or -1 with the whole SMTP reply
 * ("501 5.5.4 Bad NOTIFY parameter syntax") in err. The caller sets
 * p->disabled to the SMTPD_EXT_* bits of the extensions it does not offer
 * (smtpd_discard_ehlo_keywords): their parameters are then unsupported
 * options, as if unknown. smtpd_xtext_decode()
 * decodes RFC 3461 xtext ("+2B" -> "+"), -1 when malformed.
 *
 * Bounds: a parameter value longer than SMTPD_PARAM_MAX is refused, so no
 * client text grows without limit. Nothing here logs or exits.
 */
#ifndef POSTERN_SMTPD_CMD_H
#define POSTERN_SMTPD_CMD_H

#include <stddef.h>

#include "../lib/vstr.h"

/* DSN NOTIFY bits, as Postfix stores them in notify_flags. */
#define SMTPD_NOTIFY_NEVER 1
#define SMTPD_NOTIFY_SUCCESS 2
#define SMTPD_NOTIFY_FAILURE 4
#define SMTPD_NOTIFY_DELAY 8
/* Extensions whose parameters can be turned off. */
#define SMTPD_EXT_SIZE 1
#define SMTPD_EXT_8BITMIME 2
#define SMTPD_EXT_DSN 4
#define SMTPD_EXT_SMTPUTF8 8

/* DSN RET, as ret_flags. */
#define SMTPD_RET_FULL 1
#define SMTPD_RET_HDRS 2

typedef struct SMTPD_MAIL_PARAMS {
    int disabled;       /* in: SMTPD_EXT_* not offered */
    long long size;     /* -1: not given */
    int body_8bit;
    int smtputf8;
    int ret;            /* 0: not given */
    VSTR *envid;        /* decoded; empty: not given */
    int auth_given;     /* an AUTH= parameter was given */
    VSTR *auth;         /* its mailbox, decoded; empty: AUTH=<> (or none) */
} SMTPD_MAIL_PARAMS;

typedef struct SMTPD_RCPT_PARAMS {
    int disabled;       /* in: SMTPD_EXT_* not offered */
    int notify;         /* 0: not given */
    VSTR *orcpt;        /* "rfc822;addr" decoded; empty: not given */
} SMTPD_RCPT_PARAMS;

int smtpd_cmd_check(const char *line, size_t len, const char **why);
int smtpd_cmd_verb(const char *line, const char **arg);
const char *smtpd_cmd_name(int verb);
const char *smtpd_cmd_keyword(const char *arg, const char *keyword);
int smtpd_cmd_mail_params(const char *rest, SMTPD_MAIL_PARAMS *p, VSTR *err);
int smtpd_cmd_rcpt_params(const char *rest, int smtputf8, SMTPD_RCPT_PARAMS *p, VSTR *err);
int smtpd_xtext_decode(const char *in, size_t len, VSTR *out);

#endif
