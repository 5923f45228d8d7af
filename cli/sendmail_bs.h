/*
 * sendmail_bs - `sendmail -bs`: a stand-alone SMTP server on a pair of
 * descriptors (standard input and output), run as the invoking user with
 * no privileges.
 *
 * It speaks enough ESMTP for local clients that submit by SMTP over a
 * pipe: HELO, EHLO (PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, DSN),
 * MAIL FROM (SIZE, BODY, RET, ENVID), RCPT TO (NOTIFY, ORCPT: checked, not
 * kept, since a maildrop file has no place for it), DATA, RSET, NOOP, VRFY
 * (252), HELP and QUIT. Paths are parsed with addr_parse_path(). Lines end
 * with LF (CR LF is accepted: this is a local pipe); DATA ends at a line
 * ".", leading dots are unstuffed.
 *
 * Each DATA hands one message to the caller's submission callbacks, which
 * write it to postdrop the way sendmail does for -bm/-t:
 *   h = ops->open(ops->ctx, &env, why)       (envelope known; NULL: 451)
 *   ops->line(h, text, len, complete)        (content; complete = 0 for a
 *                                             piece of a longer line)
 *   st = ops->close(h, commit, why)          (commit 0 discards; returns 0
 *                                             when the message is durable,
 *                                             65 (EX_DATAERR) for a too
 *                                             large one, else a failure)
 * and the client gets 250 only when close() said 0.
 *
 * Usage:
 *   SENDMAIL_BS_CONF conf = { banner, hostname, size_limit, line_limit,
 *                             timeout, error_limit, rcpt_limit };
 *   status = sendmail_bs_run(0, 1, &conf, &ops);
 * It returns 0 after QUIT, 1 when the client went away or too many errors
 * or a timeout ended the session (421).
 *
 * Bounds: a command line is at most SENDMAIL_BS_CMD_MAX bytes (longer:
 * 500, the rest of the line dropped); a content line is cut into pieces of
 * line_limit bytes; the content is at most size_limit bytes (0: no limit;
 * more: 552 after the final dot); at most rcpt_limit recipients; each read
 * waits at most timeout seconds; error_limit errors end the session.
 * Error policy: protocol errors are SMTP replies; nothing here exits.
 */
#ifndef POSTERN_SENDMAIL_BS_H
#define POSTERN_SENDMAIL_BS_H

#include <stddef.h>

#include "vstr.h"

#define SENDMAIL_BS_CMD_MAX 4096

/* One transaction's envelope. */
typedef struct SENDMAIL_BS_ENV {
    const char *sender;     /* internal form, "" for <> */
    char **rcpts;           /* internal form */
    int *notify;            /* DSN notify bits per recipient, 0 = none */
    size_t rcpt_count;
    const char *envid;      /* ENVID (xtext decoded) or NULL */
    int ret;                /* RET: 1 full, 2 hdrs, 0 none */
    const char *encoding;   /* "8bit", "7bit" or NULL */
} SENDMAIL_BS_ENV;

typedef struct SENDMAIL_BS_OPS {
    void *(*open)(void *ctx, const SENDMAIL_BS_ENV *env, VSTR *why);
    void (*line)(void *h, const char *text, size_t len, int complete);
    int (*close)(void *h, int commit, VSTR *why);
    void *ctx;
} SENDMAIL_BS_OPS;

typedef struct SENDMAIL_BS_CONF {
    const char *banner;     /* expanded smtpd_banner */
    const char *hostname;   /* myhostname */
    long long size_limit;   /* message_size_limit, 0 = none */
    size_t line_limit;      /* content record size */
    int timeout;            /* smtpd_timeout, seconds */
    int error_limit;        /* smtpd_hard_error_limit */
    size_t rcpt_limit;      /* smtpd_recipient_limit */
} SENDMAIL_BS_CONF;

int sendmail_bs_run(int in_fd, int out_fd, const SENDMAIL_BS_CONF *conf,
                    const SENDMAIL_BS_OPS *ops);

#endif
