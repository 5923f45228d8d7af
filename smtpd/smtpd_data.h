/*
 * smtpd_data - message content as a client sends it after DATA or in BDAT
 * chunks, turned into lines for cleanup, with the SMTP smuggling rules.
 *
 * Framing (why this module exists): only <CR><LF>.<CR><LF> ends DATA, that
 * is a line "." ended by CR LF whose preceding line also ended by CR LF (or
 * which is the first line). A bare LF or a bare CR is a line break for the
 * content ("normalize", the default of smtpd_forbid_bare_newline) or makes
 * the message fail ("reject"); in neither case can it end the content, so
 * "<LF>.<LF>MAIL FROM:..." stays message text and never starts a second
 * transaction. DATA lines that start with "." lose that dot (RFC 5321
 * 4.5.2); BDAT content is taken as it is.
 *
 * Usage:
 *   SMTPD_DATA *d = smtpd_data_new(SMTPD_DATA_DOT, size_limit, bare_mode,
 *                                  line_fn, ctx);
 *   DATA: r = smtpd_data_read_dot(d, stream, deadline_fn, ctx)
 *         reads the stream up to and including the end marker, never a byte
 *         past it (pipelined commands stay in the stream); 1 at the end
 *         marker, 0 on EOF or a stream error (the session is then over).
 *   BDAT: smtpd_data_feed(d, buf, len) for each piece of a chunk, and
 *         smtpd_data_finish(d) after the LAST chunk (a pending partial line
 *         becomes the last line).
 *   d->too_big  the content passed size_limit (lines stop going out)
 *   d->bare     a bare CR or LF was seen; with SMTPD_BARE_REJECT the lines
 *               after it stop going out and the caller rejects the message
 *   d->bytes    content bytes counted against the limit (lines + CR LF)
 *   smtpd_data_free(d);
 * line_fn(ctx, text, len) gets each content line without its line break.
 * A line is held whole in memory until it ends: the size limit bounds it,
 * and without one (message_size_limit = 0) SMTPD_DATA_LINE_CAP does: a
 * longer line makes the message too big.
 *
 * Error policy: nothing here logs or exits; stream errors are the caller's
 * to report (stream_why()).
 */
#ifndef POSTERN_SMTPD_DATA_H
#define POSTERN_SMTPD_DATA_H

#include <stddef.h>

#include "../lib/stream.h"
#include "../lib/vstr.h"

#define SMTPD_DATA_DOT 1    /* DATA: dot-stuffing and the end marker */
#define SMTPD_DATA_RAW 2    /* BDAT */

#define SMTPD_DATA_LINE_CAP (64 * 1024 * 1024)  /* bytes in one line, always */

typedef void (*SMTPD_LINE_FN)(void *ctx, const char *text, size_t len);
/* Called before each read: how many ms may the next read take (0: none). */
typedef int (*SMTPD_DEADLINE_FN)(void *ctx, long long bytes_so_far);

typedef struct SMTPD_DATA {
    int mode;
    int bare_mode;              /* SMTPD_BARE_* (smtpd.h) */
    long long limit;            /* 0: none */
    long long bytes;
    int too_big;
    int bare;
    int done;                   /* end marker seen (DATA) */
    int cr_pending;
    int prev_crlf;              /* the previous line ended with CR LF */
    long lines;
    VSTR *line;
    SMTPD_LINE_FN line_fn;
    void *ctx;
} SMTPD_DATA;

SMTPD_DATA *smtpd_data_new(int mode, long long limit, int bare_mode, SMTPD_LINE_FN fn,
                           void *ctx);
void smtpd_data_feed(SMTPD_DATA *d, const char *buf, size_t len);
void smtpd_data_finish(SMTPD_DATA *d);
int smtpd_data_read_dot(SMTPD_DATA *d, STREAM *s, SMTPD_DEADLINE_FN deadline, void *ctx);
void smtpd_data_free(SMTPD_DATA *d);

#endif
