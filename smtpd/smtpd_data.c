/*
 * smtpd_data - DATA/BDAT content framing (see smtpd_data.h).
 */
#include <string.h>

#include "../lib/mem.h"
#include "smtpd.h"
#include "smtpd_data.h"

#define SMTPD_DATA_SEGMENT 65536    /* bytes taken from the stream per read */

SMTPD_DATA *smtpd_data_new(int mode, long long limit, int bare_mode, SMTPD_LINE_FN fn,
                           void *ctx)
{
    SMTPD_DATA *d = mem_calloc(1, sizeof(*d));

    d->mode = mode;
    d->limit = limit;
    d->bare_mode = bare_mode;
    d->line_fn = fn;
    d->ctx = ctx;
    d->prev_crlf = 1;
    d->line = vstr_new(256);
    return d;
}

void smtpd_data_free(SMTPD_DATA *d)
{
    if (d == NULL)
        return;
    vstr_free(d->line);
    mem_free(d);
}

/* One line is complete; crlf says whether CR LF ended it. */
static void smtpd_data_end_line(SMTPD_DATA *d, int crlf)
{
    const char *text = vstr_str(d->line);
    size_t len = vstr_len(d->line);

    if (d->mode == SMTPD_DATA_DOT && crlf && d->prev_crlf && len == 1 && text[0] == '.') {
        d->done = 1;
        vstr_reset(d->line);
        return;
    }
    if (d->mode == SMTPD_DATA_DOT && len > 1 && text[0] == '.') {
        text++;
        len--;
    }
    d->prev_crlf = crlf;
    if (!crlf) {
        d->bare = 1;
    }
    if (!d->too_big) {
        d->bytes += (long long) len + 2;
        if (d->limit > 0 && d->bytes > d->limit)
            d->too_big = 1;
    }
    if (!d->too_big && !(d->bare && d->bare_mode == SMTPD_BARE_REJECT)) {
        d->lines++;
        d->line_fn(d->ctx, text, len);
    }
    vstr_reset(d->line);
}

static void smtpd_data_add(SMTPD_DATA *d, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (!d->too_big
        && ((d->limit > 0 && (long long) (vstr_len(d->line) + n) + d->bytes > d->limit)
            || vstr_len(d->line) + n > SMTPD_DATA_LINE_CAP)) {
        d->too_big = 1;
        vstr_truncate(d->line, vstr_len(d->line) > 2 ? 2 : vstr_len(d->line));
    }
    /*
     * Past the limit only the framing matters: keep at most two bytes of a
     * line, enough to tell the end marker "." from anything else.
     */
    if (d->too_big) {
        size_t room = vstr_len(d->line) < 2 ? 2 - vstr_len(d->line) : 0;

        vstr_addmem(d->line, p, n < room ? n : room);
        return;
    }
    vstr_addmem(d->line, p, n);
}

void smtpd_data_feed(SMTPD_DATA *d, const char *buf, size_t len)
{
    size_t i = 0, start;

    while (i < len && !d->done) {
        if (d->cr_pending) {
            d->cr_pending = 0;
            if (buf[i] == '\n') {
                i++;
                smtpd_data_end_line(d, 1);
                continue;
            }
            smtpd_data_end_line(d, 0);      /* a bare CR */
            continue;
        }
        start = i;
        while (i < len && buf[i] != '\r' && buf[i] != '\n')
            i++;
        smtpd_data_add(d, buf + start, i - start);
        if (i == len)
            break;
        if (buf[i] == '\r') {
            d->cr_pending = 1;
        } else {
            smtpd_data_end_line(d, 0);      /* a bare LF */
        }
        i++;
    }
}

void smtpd_data_finish(SMTPD_DATA *d)
{
    if (d->cr_pending) {
        d->cr_pending = 0;
        smtpd_data_end_line(d, 0);
    }
    if (vstr_len(d->line) > 0)
        smtpd_data_end_line(d, 1);
}

int smtpd_data_read_dot(SMTPD_DATA *d, STREAM *s, SMTPD_DEADLINE_FN deadline, void *ctx)
{
    VSTR *seg = vstr_new(SMTPD_DATA_SEGMENT);
    int r, ret = 0;

    while (!d->done) {
        int ms = deadline ? deadline(ctx, d->bytes + (long long) vstr_len(d->line)) : 0;

        if (ms < 0) {
            stream_set_why(s, STREAM_ERR_TIMEOUT, "timeout");
            break;
        }
        vstr_reset(seg);
        stream_set_limits(s, ms, 0);
        stream_read_begin(s);
        r = stream_get_until(s, '\n', seg, SMTPD_DATA_SEGMENT, NULL);
        stream_read_end(s);
        if (r == STREAM_GOT) {
            vstr_addch(seg, '\n');
        } else if (r == STREAM_END || r == STREAM_FAIL) {
            break;
        }
        /*
         * Every segment ends at a LF (or is a piece of a long line), so the
         * end marker, which ends at a LF, is never read past.
         */
        smtpd_data_feed(d, vstr_str(seg), vstr_len(seg));
    }
    if (d->done)
        ret = 1;
    vstr_free(seg);
    return ret;
}
