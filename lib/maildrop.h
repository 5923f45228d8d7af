/*
 * maildrop - the rules for maildrop/ files: what sendmail may hand to
 * postdrop, what postdrop writes, and what pickup accepts.
 *
 * A maildrop file is Postfix's postdrop format (the fixture
 * test/data/queue/maildrop-sendmail-t.*): queue-file records (qfile.h)
 * without a C record, in three segments:
 *   envelope   T "sec usec" (postdrop writes its own), A name=value,
 *              F full name, S sender (exactly one), R recipients given on
 *              the command line (each may be preceded by A notify_flags=N),
 *              then M
 *   content    N lines and L pieces of longer lines, then X
 *   extracted  R recipients that sendmail -t took from the headers (each
 *              may be preceded by A notify_flags=N), then E
 * Nothing may follow E. Every record must fit the record limit given to
 * maildrop_check_init() (line_length_limit, as Postfix's postdrop reads),
 * S, R, F and A may not hold NUL bytes, content may hold anything.
 *
 * Usage (postdrop on its input stream, pickup on a file):
 *   MAILDROP_CHECK mc;
 *   maildrop_check_init(&mc, size_limit);
 *   for each record:
 *       switch (maildrop_check(&mc, type, data, len, &why)) {
 *       case MAILDROP_OK:   use it
 *       case MAILDROP_SKIP: drop it (an attribute a user may not set; warn)
 *       case MAILDROP_BAD:  refuse the whole input/file (why says what)
 *       }
 *   at the end: maildrop_check_done(&mc) is 1 only after a valid E.
 * Only these attributes are allowed (others are SKIP, as Postfix's postdrop
 * ignores them): rewrite_context=local|remote, encoding=7bit|8bit|none,
 * envelope_id (printable, at most MAILDROP_ENVID_MAX bytes), ret_flags and
 * notify_flags (small integers in their DSN ranges), trace_flags (Postfix's
 * delivery-trace bits: 256, 512, 1024 or a combination; sendmail -v writes 1024).
 * Bounds: content bytes (data plus one per N record) at most size_limit
 * when it is positive; at most MAILDROP_RCPT_MAX recipients in all.
 *
 * maildrop_notify_parse("success,delay") gives the DSN notify bits
 * (NEVER 1, SUCCESS 2, FAILURE 4, DELAY 8; -1 for bad text) and
 * maildrop_ret_parse("hdrs"|"full") the ret_flags (2, 1; -1 bad), as
 * sendmail's -N and -R take them.
 *
 * maildrop_submit_allowed(login, why) applies authorized_submit_users (a
 * match list of login names; default static:anyone) as sendmail and
 * postdrop must: 1 allowed, 0 not, -1 the list could not be evaluated (why
 * says so; the caller treats it as a temporary failure). Root is not
 * exempt (Postfix's sendmail refuses root too when the list says so).
 * Call it after conf_init().
 *
 * Error policy: nothing here logs or exits: bad input is a return value
 * with a fixed English reason.
 */
#ifndef POSTERN_MAILDROP_H
#define POSTERN_MAILDROP_H

#include <stddef.h>

#define MAILDROP_OK 0
#define MAILDROP_SKIP 1
#define MAILDROP_BAD (-1)

#define MAILDROP_RCPT_MAX 100000
#define MAILDROP_ENVID_MAX 100
#define MAILDROP_TRACE_MASK (256 | 512 | 1024)

#define MAILDROP_NOTIFY_NEVER 1
#define MAILDROP_NOTIFY_SUCCESS 2
#define MAILDROP_NOTIFY_FAILURE 4
#define MAILDROP_NOTIFY_DELAY 8
#define MAILDROP_RET_FULL 1
#define MAILDROP_RET_HDRS 2

enum { MAILDROP_SEG_ENV, MAILDROP_SEG_CONTENT, MAILDROP_SEG_EXTRACT, MAILDROP_SEG_DONE };

typedef struct MAILDROP_CHECK {
    int segment;             /* MAILDROP_SEG_* */
    int senders;             /* S records seen */
    int times;               /* T records seen */
    int full_names;          /* F records seen */
    long rcpts;              /* R records, both segments */
    long extracted;          /* R records after X */
    long long content;       /* content bytes */
    long long size_limit;    /* 0: none */
} MAILDROP_CHECK;

void maildrop_check_init(MAILDROP_CHECK *mc, long long size_limit);
int maildrop_check(MAILDROP_CHECK *mc, int type, const char *data, size_t len,
                   const char **why);
int maildrop_check_done(const MAILDROP_CHECK *mc);
int maildrop_attr_allowed(const char *name, const char *value);
int maildrop_notify_parse(const char *text);
int maildrop_ret_parse(const char *text);

#include "vstr.h"
int maildrop_submit_allowed(const char *login, VSTR *why);

#endif
