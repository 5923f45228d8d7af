/*
 * cleanup_client - the client side of the cleanup protocol (see
 * cleanup_client.h for the conversation and the error policy).
 *
 * Every call appends records to the stream's output buffer; the stream
 * writes it out in large chunks. The first I/O error is kept in the
 * handle, and every later call does nothing, so callers need to check only
 * the result of cleanup_finish().
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup_client.h"
#include "unix_connect.h"
#include "mem.h"
#include "qfile.h"
#include "queue_id.h"
#include "stream.h"

struct CLEANUP {
    STREAM *s;
    char *path;          /* the service's socket */
    int timeout_ms;
    int failed;          /* an I/O error happened: calls do nothing */
    int replied;         /* cleanup_finish() read the reply: the connection is in step */
    int in_content;      /* cleanup_content_begin() was called */
    int content_done;    /* X was sent */
    VSTR *why;           /* the first error */
    char queue_id[QUEUE_ID_BUFSIZE];
};

#define CLEANUP_REASON_MAX 2000

/*
 * The connection kept from the last request that cleanup answered, for the
 * next one (one per process: smtpd and pickup handle one message at a time).
 * cleanup closes its end after a short idle time (or when it exits); the
 * next cleanup_open() then finds end-of-file and connects anew.
 */
static STREAM *cleanup_kept;
static char *cleanup_kept_path;
static int cleanup_keep_on;    /* cleanup_client_keep(): keep connections at all */

void cleanup_client_keep(int on)
{
    cleanup_keep_on = on;
}

static void cleanup_kept_drop(void)
{
    stream_free(cleanup_kept);
    cleanup_kept = NULL;
    mem_free(cleanup_kept_path);
    cleanup_kept_path = NULL;
}

static int cleanup_connect(const char *path, VSTR *why)
{
    int fd = unix_connect(path);

    if (fd < 0) {
        if (errno == ENAMETOOLONG)
            vstr_sprintf(why, "connect to %s: name too long", path);
        else
            vstr_sprintf(why, "connect to %s: %s", path, strerror(errno));
    }
    return fd;
}

/* Step 1: the queue id. ATTR_OK, or the result of attr_scan() (ATTR_OK with a bad id: ATTR_ERR). */
static int cleanup_read_id(CLEANUP *c)
{
    VSTR *id = vstr_new(QUEUE_ID_BUFSIZE);
    int r;

    stream_set_limits(c->s, c->timeout_ms, 4096);
    r = attr_scan(c->s, 0, ATTR_IN_STR("queue_id", id, QUEUE_ID_MAXLEN));
    if (r == ATTR_OK && !queue_id_valid(vstr_str(id))) {
        stream_set_why(c->s, STREAM_ERR_PROTO, "malformed queue id");
        r = ATTR_ERR;
    }
    if (r == ATTR_OK)
        snprintf(c->queue_id, sizeof(c->queue_id), "%s", vstr_str(id));
    vstr_free(id);
    return r;
}

/*
 * A request on the kept connection: the flags first, then the queue id
 * (cleanup reads the flags before it makes the queue file). 0, or -1 when
 * that connection is no longer good (cleanup closed it after its idle time,
 * exited, or was restarted): nothing was queued, the caller connects anew.
 */
static int cleanup_reuse(CLEANUP *c, int flags)
{
    c->s = cleanup_kept;
    cleanup_kept = NULL;
    mem_free(cleanup_kept_path);
    cleanup_kept_path = NULL;
    stream_set_limits(c->s, c->timeout_ms, 4096);
    if (attr_print(c->s, 0, ATTR_OUT_INT("flags", flags)) < 0 || cleanup_read_id(c) != ATTR_OK) {
        stream_free(c->s);
        c->s = NULL;
        return -1;
    }
    return 0;
}

CLEANUP *cleanup_open(const char *path, int flags, int timeout, VSTR *why)
{
    CLEANUP *c;
    int fd;
    int r;

    c = mem_calloc(1, sizeof(*c));
    c->timeout_ms = timeout > 0 ? timeout * 1000 : 0;
    c->why = vstr_new(0);
    c->path = mem_strdup(path);
    if (cleanup_kept != NULL && strcmp(cleanup_kept_path, path) == 0
        && cleanup_reuse(c, flags) == 0)
        return c;
    if (cleanup_kept != NULL)
        cleanup_kept_drop();
    if ((fd = cleanup_connect(path, why)) < 0) {
        cleanup_close(c);
        return NULL;
    }
    c->s = stream_open(fd, STREAM_CLOSE);
    r = cleanup_read_id(c);
    if (r != ATTR_OK) {
        vstr_sprintf(why, "%s: %s", path,
                     r == ATTR_EOF ? "service closed the connection" : stream_why(c->s));
        cleanup_close(c);
        return NULL;
    }
    if (attr_print(c->s, ATTR_NOFLUSH, ATTR_OUT_INT("flags", flags)) < 0) {
        vstr_sprintf(why, "%s: %s", path, stream_why(c->s));
        cleanup_close(c);
        return NULL;
    }
    return c;
}

const char *cleanup_queue_id(const CLEANUP *c)
{
    return c->queue_id;
}

/*
 * Append one record made of up to three pieces (a name=value attribute
 * needs no formatting buffer); a buffer that grows big goes out in one
 * write.
 */
static void cleanup_put3(CLEANUP *c, int type, const void *d1, size_t l1, const void *d2,
                         size_t l2, const void *d3, size_t l3)
{
    unsigned char hdr[1 + 10];
    size_t n;

    if (c->failed)
        return;
    hdr[0] = (unsigned char) type;
    n = qfile_len_encode(l1 + l2 + l3, hdr + 1);
    stream_write_begin(c->s);
    if (stream_write(c->s, hdr, n + 1) < 0 || (l1 > 0 && stream_write(c->s, d1, l1) < 0)
        || (l2 > 0 && stream_write(c->s, d2, l2) < 0)
        || (l3 > 0 && stream_write(c->s, d3, l3) < 0)) {
        c->failed = 1;
        vstr_set(c->why, stream_why(c->s));
    }
    stream_write_end(c->s);
}

static void cleanup_put(CLEANUP *c, int type, const void *data, size_t len)
{
    cleanup_put3(c, type, data, len, NULL, 0, NULL, 0);
}

static void cleanup_puts(CLEANUP *c, int type, const char *str)
{
    cleanup_put(c, type, str, strlen(str));
}

void cleanup_time(CLEANUP *c, long sec, long usec)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%ld %ld", sec, usec);
    cleanup_puts(c, QREC_TIME, buf);
}

void cleanup_full_name(CLEANUP *c, const char *name)
{
    cleanup_puts(c, QREC_FULL, name);
}

void cleanup_attr(CLEANUP *c, const char *name, const char *value)
{
    cleanup_put3(c, QREC_ATTR, name, strlen(name), "=", 1, value, strlen(value));
}

void cleanup_sender(CLEANUP *c, const char *addr)
{
    cleanup_puts(c, QREC_FROM, addr);
}

void cleanup_rcpt(CLEANUP *c, const char *addr, const char *orig, const char *dsn_orcpt,
                  int dsn_notify)
{
    char buf[32];

    if (dsn_notify != 0) {
        snprintf(buf, sizeof(buf), "%d", dsn_notify);
        cleanup_puts(c, QREC_DSN_NOTIFY, buf);
    }
    if (dsn_orcpt != NULL && *dsn_orcpt != 0)
        cleanup_puts(c, QREC_DSN_ORCPT, dsn_orcpt);
    if (orig != NULL)
        cleanup_puts(c, QREC_ORCP, orig);
    cleanup_puts(c, QREC_RCPT, addr);
}

void cleanup_content_begin(CLEANUP *c)
{
    if (c->in_content)
        return;
    c->in_content = 1;
    cleanup_put(c, QREC_MESG, "", 0);
}

void cleanup_line(CLEANUP *c, const char *text, size_t len)
{
    while (len >= QFILE_LINE_LIMIT) {
        cleanup_put(c, QREC_CONT, text, QFILE_LINE_LIMIT);
        text += QFILE_LINE_LIMIT;
        len -= QFILE_LINE_LIMIT;
    }
    cleanup_put(c, QREC_NORM, text, len);
}

void cleanup_submit_uid(CLEANUP *c, long uid)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "submit_uid=%ld", uid);
    cleanup_puts(c, QREC_ATTR, buf);
}

void cleanup_content_end(CLEANUP *c)
{
    if (c->content_done)
        return;
    cleanup_content_begin(c);
    c->content_done = 1;
    cleanup_put(c, QREC_XTRA, "", 0);
}

int cleanup_flush(CLEANUP *c)
{
    if (c->failed)
        return -1;
    stream_write_begin(c->s);
    if (stream_flush(c->s) < 0) {
        c->failed = 1;
        vstr_set(c->why, stream_why(c->s));
    }
    stream_write_end(c->s);
    return c->failed ? -1 : 0;
}

int cleanup_finish(CLEANUP *c, VSTR *reason)
{
    VSTR *text;
    int status = 0;
    int r;

    cleanup_content_end(c);
    cleanup_put(c, QREC_END, "", 0);
    if (cleanup_flush(c) < 0) {
        vstr_sprintf(reason, "error writing to the cleanup service: %s", vstr_str(c->why));
        return CLEANUP_STAT_WRITE;
    }
    text = vstr_new(0);
    stream_set_limits(c->s, c->timeout_ms, CLEANUP_REASON_MAX + 256);
    r = attr_scan(c->s, 0, ATTR_IN_INT("status", &status),
                  ATTR_IN_STR("reason", text, CLEANUP_REASON_MAX));
    if (r != ATTR_OK) {
        c->failed = 1;
        vstr_sprintf(reason, "no reply from the cleanup service: %s",
                     r == ATTR_EOF ? "connection closed" : stream_why(c->s));
        vstr_free(text);
        return CLEANUP_STAT_WRITE;
    }
    vstr_set(reason, vstr_str(text));
    vstr_free(text);
    c->replied = 1;
    return status;
}

void cleanup_close(CLEANUP *c)
{
    if (c == NULL)
        return;
    /*
     * After a reply the connection is between requests: keep it for the
     * next message. Anything else (closing mid-request is how a client
     * aborts) closes it.
     */
    if (cleanup_keep_on && c->s != NULL && c->replied && !c->failed
        && stream_buffered(c->s) == 0) {
        if (cleanup_kept != NULL)
            cleanup_kept_drop();
        cleanup_kept = c->s;
        cleanup_kept_path = c->path;
        c->path = NULL;
    } else {
        stream_free(c->s);
    }
    mem_free(c->path);
    vstr_free(c->why);
    mem_free(c);
}

/* The SMTP reply for a status, after Postfix's cleanup_stat_detail table. */
typedef struct CLEANUP_STAT_DETAIL {
    int status;
    const char *name;
    int smtp;
    const char *dsn;
    const char *text;
} CLEANUP_STAT_DETAIL;

static const CLEANUP_STAT_DETAIL cleanup_stat_table[] = {
    {CLEANUP_STAT_DEFER, "service unavailable", 451, "4.7.1", "Service unavailable - try again later"},
    {CLEANUP_STAT_PROXY, "proxy rejected", 451, "4.3.0", "Queue file write error"},
    {CLEANUP_STAT_BAD, "internal protocol error", 451, "4.3.0", "Internal protocol error"},
    {CLEANUP_STAT_RCPT, "no recipients specified", 550, "5.1.0", "No recipients specified"},
    {CLEANUP_STAT_HOPS, "too many hops", 554, "5.4.0", "Too many hops"},
    {CLEANUP_STAT_SIZE, "message file too big", 552, "5.3.4", "Error: message file too big"},
    {CLEANUP_STAT_CONT, "message content rejected", 550, "5.7.1", "Message content rejected"},
    {CLEANUP_STAT_WRITE, "queue file write error", 451, "4.3.0", "Error: queue file write error"},
    {CLEANUP_STAT_NOPERM, "access denied", 554, "5.7.1", "Access denied"},
};

static const CLEANUP_STAT_DETAIL *cleanup_stat_find(int status)
{
    size_t i;

    for (i = 0; i < sizeof(cleanup_stat_table) / sizeof(cleanup_stat_table[0]); i++)
        if (status & cleanup_stat_table[i].status)
            return cleanup_stat_table + i;
    return NULL;
}

/*
 * A content rejection carries its own text ("5.7.1 Spam go away" from
 * header_checks), and so does a deferral ("4.6.0 Alias expansion error");
 * other statuses use the fixed reply. A reason that starts with a
 * three-digit code is used as it is; one that starts with an enhanced
 * status code gets x50 in front (451, 550).
 */
const char *cleanup_stat_reply(int status, const char *reason, VSTR *out)
{
    const CLEANUP_STAT_DETAIL *d;

    vstr_reset(out);
    if (status == CLEANUP_STAT_OK) {
        vstr_adds(out, "250 2.0.0 Ok");
        return vstr_str(out);
    }
    d = cleanup_stat_find(status);
    if (d == NULL) {
        vstr_adds(out, "451 4.3.0 Error: internal error");
        return vstr_str(out);
    }
    if ((status & (CLEANUP_STAT_CONT | CLEANUP_STAT_DEFER)) && reason != NULL && *reason != 0) {
        if (reason[0] >= '2' && reason[0] <= '5' && reason[1] >= '0' && reason[1] <= '9'
            && reason[2] >= '0' && reason[2] <= '9' && reason[3] == ' ')
            vstr_adds(out, reason);
        else if (reason[0] >= '4' && reason[0] <= '5' && reason[1] == '.')
            vstr_printf(out, "%c5%c %s", reason[0], reason[0] == '4' ? '1' : '0', reason);
        else
            vstr_printf(out, "%d %s %s", d->smtp, d->dsn, reason);
        return vstr_str(out);
    }
    vstr_printf(out, "%d %s %s", d->smtp, d->dsn, d->text);
    return vstr_str(out);
}

const char *cleanup_stat_text(int status)
{
    const CLEANUP_STAT_DETAIL *d;

    if (status == CLEANUP_STAT_OK)
        return "success";
    d = cleanup_stat_find(status);
    return d != NULL ? d->name : "unknown error";
}
