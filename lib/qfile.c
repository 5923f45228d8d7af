/* qfile - Postfix queue file records: writer and reader; see qfile.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "vstr.h"

#define QFILE_CHUNK (64 * 1024)

/* ---------------------------------------------------------------- common */

size_t qfile_len_encode(size_t len, unsigned char *out)
{
    size_t n = 0;

    do {
        unsigned char ch = (unsigned char) (len & 0x7f);

        len >>= 7;
        if (len)
            ch |= 0x80;
        out[n++] = ch;
    } while (len);
    return n;
}

int qfile_len_decode(const unsigned char *buf, size_t avail, size_t *len, size_t *used)
{
    size_t val = 0;
    size_t i;

    for (i = 0; i < QFILE_LEN_MAX_BYTES; i++) {
        if (i >= avail)
            return 0;
        val |= (size_t) (buf[i] & 0x7f) << (7 * i);
        if ((buf[i] & 0x80) == 0) {
            *len = val;
            *used = i + 1;
            return 1;
        }
    }
    return -1;
}

static const struct {
    int type;
    const char *name;
} qfile_names[] = {
    {QREC_SIZE, "message_size"},
    {QREC_TIME, "message_arrival_time"},
    {QREC_CTIME, "queue_file_create_time"},
    {QREC_FULL, "sender_fullname"},
    {QREC_INSP, "content_inspector"},
    {QREC_FILT, "content_filter"},
    {QREC_FROM, "sender"},
    {QREC_DONE, "done_recipient"},
    {QREC_RCPT, "recipient"},
    {QREC_ORCP, "original_recipient"},
    {QREC_DRCP, "canceled_recipient"},
    {QREC_WARN, "warning_message_time"},
    {QREC_ATTR, "named_attribute"},
    {QREC_PTR, "pointer_record"},
    {QREC_KILL, "killed_record"},
    {QREC_MESG, "message_content"},
    {QREC_NORM, "regular_text"},
    {QREC_DTXT, "padding"},
    {QREC_XTRA, "extracted_info"},
    {QREC_RRTO, "return_receipt"},
    {QREC_ERTO, "errors_to"},
    {QREC_PRIO, "priority"},
    {QREC_VERP, "verp_delimiters"},
    {QREC_END, "message_end"},
    {QREC_RDR, "redirect_to"},
    {QREC_FLGS, "flags"},
    {QREC_DSN_RET, "dsn_return_flags"},
    {QREC_DSN_ENVID, "dsn_envelope_id"},
    {QREC_DSN_ORCPT, "dsn_original_recipient"},
    {QREC_DSN_NOTIFY, "dsn_notify_flags"},
};

const char *qfile_type_name(int type)
{
    size_t i;

    for (i = 0; i < sizeof(qfile_names) / sizeof(qfile_names[0]); i++)
        if (qfile_names[i].type == type)
            return qfile_names[i].name;
    return "unknown_record_type";
}

/* Parse one decimal field of at most 15 digits, with leading blanks. */
static const char *parse_field(const char *cp, long *val)
{
    long v = 0;
    int digits = 0;

    while (*cp == ' ')
        cp++;
    while (*cp >= '0' && *cp <= '9') {
        if (++digits > QFILE_SIZE_WIDTH)
            return NULL;
        v = v * 10 + (*cp++ - '0');
    }
    if (digits == 0)
        return NULL;
    *val = v;
    return cp;
}

/* Accepts Postfix's older C records with 3, 4 or 5 fields too. */
int qfile_size_parse(const char *data, QFILE_SIZE *size)
{
    long f[QFILE_SIZE_FIELDS] = {0, 0, 0, 0, 0, 0};
    const char *cp = data;
    int n;

    for (n = 0; n < QFILE_SIZE_FIELDS; n++) {
        if (n > 0 && *cp == 0)
            break;
        if ((cp = parse_field(cp, &f[n])) == NULL)
            return -1;
    }
    if (*cp != 0 || n < 3)
        return -1;
    size->data_size = f[0];
    size->data_offset = f[1];
    size->rcpt_count = f[2];
    size->qmgr_opts = f[3];
    size->cont_length = f[4];
    size->smtputf8 = f[5];
    return 0;
}

#define IS_BLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n' \
                     || (c) == '\v' || (c) == '\f')

/*
 * Split "name=value" in place as Postfix does for A records: blanks around
 * the name and the value are dropped, the name ends at a blank or '='.
 */
int qfile_attr_split(char *data, char **name, char **value, const char **why)
{
    char *cp = data;
    char *end;

    while (IS_BLANK(*cp))
        cp++;
    *name = cp;
    while (*cp && *cp != '=' && !IS_BLANK(*cp))
        cp++;
    if (cp == *name) {
        *why = "missing attribute name";
        return -1;
    }
    end = cp;
    while (IS_BLANK(*cp))
        cp++;
    if (*cp != '=') {
        *why = "missing '=' after attribute name";
        return -1;
    }
    *end = 0;
    cp++;
    while (IS_BLANK(*cp))
        cp++;
    *value = cp;
    end = cp + strlen(cp);
    while (end > cp && IS_BLANK(end[-1]))
        *--end = 0;
    return 0;
}

static ssize_t write_all(int fd, const void *buf, size_t len)
{
    const char *cp = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, cp + done, len - done);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t) n;
    }
    return (ssize_t) done;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *cp = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = pwrite(fd, cp + done, len - done, off + (off_t) done);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t) n;
    }
    return 0;
}

/* ---------------------------------------------------------------- writer */

struct QFILE_WRITER {
    int fd;
    char *path;
    int flags;
    VSTR *buf;           /* bytes not yet written */
    long written;        /* bytes already written to fd */
    int err;             /* first errno, 0 when fine */
    int finished;
    size_t line_limit;
    long size_off;       /* offset of the C record data, -1 if none */
    long data_offset;    /* offset after M, -1 until M */
    long xtra_offset;    /* offset of X, -1 until X */
    long rcpt_count;
    int have_override;
    QFILE_SIZE override;
};

QFILE_WRITER *qfile_writer_new(int fd, const char *path, int flags)
{
    QFILE_WRITER *w = mem_calloc(1, sizeof(*w));

    w->fd = fd;
    w->path = mem_strdup(path ? path : "(queue file)");
    w->flags = flags;
    w->buf = vstr_new(QFILE_CHUNK);
    w->line_limit = QFILE_LINE_LIMIT;
    w->size_off = -1;
    w->data_offset = -1;
    w->xtra_offset = -1;
    if (flags & QFILE_WRITE_SIZE) {
        /* The placeholder is the same for every file: format it once. */
        static char zero[QFILE_SIZE_LEN + 1];

        if (zero[0] == 0)
            snprintf(zero, sizeof(zero), "%15ld %15ld %15ld %15ld %15ld %15ld", 0L, 0L, 0L, 0L,
                     0L, 0L);
        w->size_off = qfile_put(w, QREC_SIZE, zero, QFILE_SIZE_LEN) + 2;
    }
    return w;
}

void qfile_writer_set_line_limit(QFILE_WRITER *w, size_t limit)
{
    if (limit == 0 || limit > (size_t) QFILE_MAX_RECORD)
        msg_panic("qfile_writer_set_line_limit: bad limit %zu", limit);
    w->line_limit = limit;
}

void qfile_writer_set_size(QFILE_WRITER *w, const QFILE_SIZE *size)
{
    w->override = *size;
    w->have_override = 1;
}

long qfile_writer_offset(const QFILE_WRITER *w)
{
    return w->written + (long) vstr_len(w->buf);
}

int qfile_writer_flush(QFILE_WRITER *w)
{
    if (w->err) {
        errno = w->err;
        return -1;
    }
    if (vstr_len(w->buf) == 0)
        return 0;
    if (write_all(w->fd, vstr_str(w->buf), vstr_len(w->buf)) < 0) {
        w->err = errno ? errno : EIO;
        return -1;
    }
    w->written += (long) vstr_len(w->buf);
    vstr_reset(w->buf);
    return 0;
}

long qfile_put(QFILE_WRITER *w, int type, const void *data, size_t len)
{
    unsigned char hdr[1 + 10];
    size_t n;
    long off = qfile_writer_offset(w);

    if (w->finished)
        msg_panic("qfile_put: %s: record after finish", w->path);
    if (type < 0 || type > 255)
        msg_panic("qfile_put: bad record type %d", type);
    if (len > (size_t) LONG_MAX / 2 || (long) len > LONG_MAX / 2 - off)
        msg_panic("qfile_put: %s: impossible record length %zu", w->path, len);
    if (w->err)
        return off; /* finish will fail; do not hoard the rest of the message */
    hdr[0] = (unsigned char) type;
    n = 1 + qfile_len_encode(len, hdr + 1);
    vstr_addmem(w->buf, hdr, n);
    vstr_addmem(w->buf, data, len);
    switch (type) {
    case QREC_MESG:
        if (w->data_offset < 0)
            w->data_offset = qfile_writer_offset(w);
        break;
    case QREC_XTRA:
        if (w->xtra_offset < 0)
            w->xtra_offset = off;
        break;
    case QREC_RCPT:
    case QREC_DONE:
        w->rcpt_count++;
        break;
    }
    if (vstr_len(w->buf) >= QFILE_CHUNK)
        (void) qfile_writer_flush(w);
    return off;
}

long qfile_puts(QFILE_WRITER *w, int type, const char *str)
{
    return qfile_put(w, type, str, strlen(str));
}

long qfile_putf(QFILE_WRITER *w, int type, const char *fmt, ...)
{
    VSTR *v = vstr_new(64);
    va_list ap;
    long off;

    va_start(ap, fmt);
    vstr_vprintf(v, fmt, ap);
    va_end(ap);
    off = qfile_put(w, type, vstr_str(v), vstr_len(v));
    vstr_free(v);
    return off;
}

long qfile_put_attr(QFILE_WRITER *w, const char *name, const char *value)
{
    VSTR *v = vstr_new(64);
    long off;

    if (*name == 0 || strchr(name, '=') != NULL)
        msg_panic("qfile_put_attr: bad attribute name \"%s\"", name);
    vstr_adds(v, name);
    vstr_addch(v, '=');
    vstr_adds(v, value);
    off = qfile_put(w, QREC_ATTR, vstr_str(v), vstr_len(v));
    vstr_free(v);
    return off;
}

long qfile_put_time(QFILE_WRITER *w, long sec, long usec)
{
    return qfile_putf(w, QREC_TIME, "%ld %ld", sec, usec);
}

long qfile_put_ptr(QFILE_WRITER *w, long target)
{
    return qfile_putf(w, QREC_PTR, "%15ld", target);
}

long qfile_put_padding(QFILE_WRITER *w, size_t len)
{
    char *pad = mem_alloc(len + 1);
    long off;

    memset(pad, ' ', len);
    off = qfile_put(w, QREC_DTXT, pad, len);
    mem_free(pad);
    return off;
}

void qfile_put_line(QFILE_WRITER *w, const void *line, size_t len)
{
    const char *cp = line;

    while (len >= w->line_limit) {
        qfile_put(w, QREC_CONT, cp, w->line_limit);
        cp += w->line_limit;
        len -= w->line_limit;
    }
    qfile_put(w, QREC_NORM, cp, len);
}

/* Overwrite bytes at a file offset, in the buffer or on disk. */
static int writer_patch(QFILE_WRITER *w, long off, const char *data, size_t len)
{
    if (off < 0 || off + (long) len > qfile_writer_offset(w))
        msg_panic("writer_patch: %s: offset %ld out of range", w->path, off);
    if (off >= w->written) {
        memcpy(vstr_str(w->buf) + (off - w->written), data, len);
        return 0;
    }
    if (qfile_writer_flush(w) < 0)
        return -1;
    if (pwrite_all(w->fd, data, len, (off_t) off) < 0) {
        w->err = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

static long pick(long override, long computed)
{
    return override >= 0 ? override : computed;
}

int qfile_writer_finish(QFILE_WRITER *w)
{
    if (w->finished)
        msg_panic("qfile_writer_finish: %s: called twice", w->path);
    w->finished = 1;
    if (w->size_off >= 0 && !w->err) {
        QFILE_SIZE s;
        char text[QFILE_SIZE_LEN + 64];
        int n;

        s.data_offset = w->data_offset > 0 ? w->data_offset : 0;
        s.data_size = (w->xtra_offset >= 0 && w->data_offset > 0)
            ? w->xtra_offset - w->data_offset : 0;
        s.rcpt_count = w->rcpt_count;
        s.qmgr_opts = 0;
        s.cont_length = s.data_size;
        s.smtputf8 = 0;
        if (w->have_override) {
            s.data_size = pick(w->override.data_size, s.data_size);
            s.data_offset = pick(w->override.data_offset, s.data_offset);
            s.rcpt_count = pick(w->override.rcpt_count, s.rcpt_count);
            s.qmgr_opts = pick(w->override.qmgr_opts, s.qmgr_opts);
            s.cont_length = pick(w->override.cont_length, s.cont_length);
            s.smtputf8 = pick(w->override.smtputf8, s.smtputf8);
        }
        n = snprintf(text, sizeof(text), "%15ld %15ld %15ld %15ld %15ld %15ld", s.data_size,
                     s.data_offset, s.rcpt_count, s.qmgr_opts, s.cont_length, s.smtputf8);
        if (n != QFILE_SIZE_LEN)
            msg_panic("qfile_writer_finish: %s: size field overflow", w->path);
        if (writer_patch(w, w->size_off, text, QFILE_SIZE_LEN) < 0)
            return -1;
    }
    return qfile_writer_flush(w);
}

void qfile_writer_free(QFILE_WRITER *w)
{
    if (w == NULL)
        return;
    vstr_free(w->buf);
    mem_free(w->path);
    mem_free(w);
}

/* ------------------------------------------------------ in-place updates */

int qfile_patch_ptr(int fd, long offset, long target)
{
    unsigned char hdr[2];
    char text[QFILE_PTR_LEN + 32];

    if (offset < 0 || target < 0) {
        errno = EINVAL;
        return -1;
    }
    if (pread(fd, hdr, 2, (off_t) offset) != 2 || hdr[0] != QREC_PTR || hdr[1] != QFILE_PTR_LEN) {
        errno = EINVAL;
        return -1;
    }
    if (snprintf(text, sizeof(text), "%15ld", target) != QFILE_PTR_LEN) {
        errno = ERANGE;
        return -1;
    }
    return pwrite_all(fd, text, QFILE_PTR_LEN, (off_t) offset + 2);
}

int qfile_mark_done(int fd, long offset)
{
    unsigned char type;
    ssize_t n;

    if (offset < 0) {
        errno = EINVAL;
        return -1;
    }
    while ((n = pread(fd, &type, 1, (off_t) offset)) < 0 && errno == EINTR)
        /* again */;
    if (n != 1 || type != QREC_RCPT) {
        if (n >= 0)
            errno = EINVAL;
        return -1;
    }
    type = QREC_DONE;
    return pwrite_all(fd, &type, 1, (off_t) offset);
}

int qfile_sync(int fd)
{
    return fsync(fd);
}

int qfile_mark_complete(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -1;
    if (fchmod(fd, (st.st_mode & 07777) | S_IXUSR) < 0)
        return -1;
    return fsync(fd);
}

int qfile_is_complete(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -1;
    return (st.st_mode & S_IXUSR) ? 1 : 0;
}

/* ---------------------------------------------------------------- reader */

enum { SEG_FIRST, SEG_ENV, SEG_CONTENT, SEG_EXTRACT, SEG_DONE };

struct QFILE_READER {
    int fd;                  /* -1 for memory */
    char *name;
    int flags;
    const unsigned char *mem;/* memory source */
    unsigned char *buf;      /* fd source: buffered bytes */
    size_t bufcap;
    long buf_off;            /* file offset of buf[0] */
    size_t buf_len;
    long pos;                /* offset of the next record */
    long file_size;          /* LONG_MAX when unknown */
    int size_fixed;          /* file_size is final: never read past it */
    long consumed;           /* bytes read, for pointer loop detection */
    size_t max_record;
    int seg;
    VSTR *data;
    char error[256];
    long error_off;
};

static QFILE_READER *reader_new(const char *name, int flags)
{
    QFILE_READER *r = mem_calloc(1, sizeof(*r));

    r->name = mem_strdup(name ? name : "(queue file)");
    r->flags = flags;
    r->max_record = QFILE_MAX_RECORD;
    r->seg = SEG_FIRST;
    r->data = vstr_new(256);
    r->error_off = -1;
    return r;
}

QFILE_READER *qfile_reader_open(int fd, const char *path, int flags)
{
    QFILE_READER *r = reader_new(path, flags);
    struct stat st;

    r->fd = fd;
    r->bufcap = QFILE_CHUNK;
    r->buf = mem_alloc(r->bufcap);
    r->file_size = LONG_MAX;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        r->file_size = (long) st.st_size;
    r->pos = (long) lseek(fd, 0, SEEK_CUR);
    if (r->pos < 0)
        r->pos = 0;
    r->buf_off = r->pos;
    return r;
}

QFILE_READER *qfile_reader_open_sized(int fd, const char *path, int flags, long size)
{
    QFILE_READER *r = reader_new(path, flags);

    r->fd = fd;
    r->bufcap = QFILE_CHUNK;
    r->buf = mem_alloc(r->bufcap);
    r->file_size = size;
    r->size_fixed = 1;
    return r;
}

QFILE_READER *qfile_reader_mem(const void *buf, size_t len, const char *name, int flags)
{
    QFILE_READER *r = reader_new(name, flags);

    r->fd = -1;
    r->mem = buf;
    r->file_size = (long) len;
    return r;
}

void qfile_reader_set_limit(QFILE_READER *r, size_t max_record)
{
    r->max_record = max_record;
}

const char *qfile_reader_error(const QFILE_READER *r)
{
    return r->error[0] ? r->error : NULL;
}

long qfile_reader_error_offset(const QFILE_READER *r)
{
    return r->error_off;
}

const char *qfile_reader_name(const QFILE_READER *r)
{
    return r->name;
}

void qfile_reader_free(QFILE_READER *r)
{
    if (r == NULL)
        return;
    mem_free(r->buf);
    mem_free(r->name);
    vstr_free(r->data);
    mem_free(r);
}

__attribute__((format(printf, 3, 4)))
static int reader_fail(QFILE_READER *r, long off, const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(r->error, sizeof(r->error), "offset %ld: ", off);
    va_start(ap, fmt);
    if (n > 0 && (size_t) n < sizeof(r->error))
        vsnprintf(r->error + n, sizeof(r->error) - (size_t) n, fmt, ap);
    va_end(ap);
    r->error_off = off;
    return -1;
}

/*
 * Make up to want bytes at file offset off available; returns a pointer to
 * them and sets *got (less than want only at end of file), or NULL on a read
 * error (reported).
 */
static const unsigned char *reader_peek(QFILE_READER *r, long off, size_t want, size_t *got)
{
    if (r->mem) {
        size_t left = off < r->file_size ? (size_t) (r->file_size - off) : 0;

        *got = want < left ? want : left;
        return r->mem + (off < r->file_size ? off : r->file_size);
    }
    if (off < r->buf_off || off > r->buf_off + (long) r->buf_len) {
        if (lseek(r->fd, (off_t) off, SEEK_SET) < 0) {
            reader_fail(r, off, "seek: %s", strerror(errno));
            return NULL;
        }
        r->buf_off = off;
        r->buf_len = 0;
    }
    if (r->size_fixed && off + (long) want > r->file_size)
        want = off < r->file_size ? (size_t) (r->file_size - off) : 0; /* no read(2) at EOF */
    if (off + (long) want > r->buf_off + (long) r->buf_len) {
        size_t keep = r->buf_len - (size_t) (off - r->buf_off);

        memmove(r->buf, r->buf + (off - r->buf_off), keep);
        r->buf_off = off;
        r->buf_len = keep;
        if (want > r->bufcap) {
            r->bufcap = want;
            r->buf = mem_realloc(r->buf, r->bufcap);
        }
        while (r->buf_len < want) {
            ssize_t n = read(r->fd, r->buf + r->buf_len, r->bufcap - r->buf_len);

            if (n < 0) {
                if (errno == EINTR)
                    continue;
                reader_fail(r, off, "read: %s", strerror(errno));
                return NULL;
            }
            if (n == 0)
                break;
            r->buf_len += (size_t) n;
        }
    }
    *got = r->buf_len - (size_t) (off - r->buf_off);
    if (*got > want)
        *got = want;
    return r->buf + (off - r->buf_off);
}

/*
 * A seek continues the current pass: a caller that follows pointer records
 * by hand (postcat) still runs into the pointer-loop guard.
 */
int qfile_reader_seek(QFILE_READER *r, long offset)
{
    if (offset < 0 || offset > r->file_size)
        return reader_fail(r, r->pos, "seek to %ld outside the file", offset);
    r->pos = offset;
    return 0;
}

/*
 * A rewind starts a new pass (local reads the headers, then copies the
 * content; an agent copies it once per destination): the pointer-loop guard
 * counts from here, and offset 0 is the start of the file again.
 */
int qfile_reader_rewind(QFILE_READER *r, long offset)
{
    if (qfile_reader_seek(r, offset) < 0)
        return -1;
    r->consumed = 0;
    if (offset == 0)
        r->seg = SEG_FIRST;
    return 0;
}

int qfile_reader_peek_type(QFILE_READER *r)
{
    const unsigned char *p;
    size_t got;

    if (r->error[0] || (p = reader_peek(r, r->pos, 1, &got)) == NULL || got == 0)
        return -1;
    return p[0];
}

/* Read the record at r->pos without interpretation: 1, 0 (EOF), -1. */
static int read_one(QFILE_READER *r, QFILE_REC *rec)
{
    const unsigned char *p;
    size_t got;
    size_t len;
    size_t used;
    int type;
    int st;

    if ((p = reader_peek(r, r->pos, 1 + QFILE_LEN_MAX_BYTES, &got)) == NULL)
        return -1;
    if (got == 0)
        return 0;
    type = p[0];
    st = qfile_len_decode(p + 1, got - 1, &len, &used);
    if (st < 0)
        return reader_fail(r, r->pos, "bad record length encoding, record type %d", type);
    if (st == 0)
        return reader_fail(r, r->pos, "unexpected EOF reading length, record type %d", type);
    if (len > r->max_record)
        return reader_fail(r, r->pos, "record length %zu exceeds the limit %zu, record type %d",
                           len, r->max_record, type);
    if ((long) len > r->file_size - r->pos)
        return reader_fail(r, r->pos, "unexpected EOF in data, record type %d length %zu",
                           type, len);
    if ((p = reader_peek(r, r->pos, 1 + used + len, &got)) == NULL)
        return -1;
    if (got < 1 + used + len)
        return reader_fail(r, r->pos, "unexpected EOF in data, record type %d length %zu",
                           type, len);
    r->consumed += (long) (1 + used + len);
    if (r->consumed > r->file_size)
        return reader_fail(r, r->pos, "pointer loop: more bytes read than the file holds");
    vstr_reset(r->data);
    vstr_addmem(r->data, p + 1 + used, len);
    rec->type = type;
    rec->offset = r->pos;
    rec->data = vstr_str(r->data);
    rec->len = len;
    r->pos += (long) (1 + used + len);
    return 1;
}

static int parse_ptr(const QFILE_REC *rec, long *target)
{
    long v;
    const char *end;

    if (rec->len == 0 || rec->len > QFILE_PTR_LEN + 5 || strlen(rec->data) != rec->len)
        return -1;
    if ((end = parse_field(rec->data, &v)) == NULL || *end != 0)
        return -1;
    *target = v;
    return 0;
}

static const char env_types[] = "CTcFILSDRO/WVA>K<ionfdm";
static const char extract_types[] = "DRO/PreAFIL>Kon";

static int check_segment(QFILE_READER *r, const QFILE_REC *rec)
{
    int t = rec->type;

    if (t == QREC_PTR || t == QREC_DTXT) {
        if (r->seg == SEG_FIRST)
            return reader_fail(r, rec->offset, "not a queue file: first record type %d", t);
        return 0;
    }
    switch (r->seg) {
    case SEG_FIRST:
        if (t == 0 || (strchr(env_types, t) == NULL && t != QREC_MESG))
            return reader_fail(r, rec->offset, "not a queue file: first record type %d", t);
        r->seg = t == QREC_MESG ? SEG_CONTENT : SEG_ENV;
        return 0;
    case SEG_ENV:
        if (t == QREC_MESG)
            r->seg = SEG_CONTENT;
        else if (t == QREC_SIZE)
            return reader_fail(r, rec->offset, "misplaced size record");
        else if (t == 0 || strchr(env_types, t) == NULL)
            return reader_fail(r, rec->offset, "record type %d out of order in the envelope", t);
        return 0;
    case SEG_CONTENT:
        if (t == QREC_XTRA)
            r->seg = SEG_EXTRACT;
        else if (t != QREC_NORM && t != QREC_CONT)
            return reader_fail(r, rec->offset, "record type %d out of order in the content", t);
        return 0;
    case SEG_EXTRACT:
        if (t == QREC_END)
            r->seg = SEG_DONE;
        else if (t == 0 || strchr(extract_types, t) == NULL)
            return reader_fail(r, rec->offset,
                               "record type %d out of order in the extracted segment", t);
        return 0;
    }
    return 0;
}

int qfile_read(QFILE_READER *r, QFILE_REC *rec)
{
    long start = r->pos;
    int st;

    if (r->error[0])
        return -1;
    if (r->seg == SEG_DONE && !(r->flags & QFILE_READ_RAW))
        return 0;
    for (;;) {
        if ((st = read_one(r, rec)) < 0)
            return -1;
        if (st == 0) {
            if (r->flags & QFILE_READ_RAW)
                return 0;
            return reader_fail(r, r->pos, "premature end of file: no end record");
        }
        if ((r->flags & QFILE_READ_FOLLOW)
            && (rec->type == QREC_PTR || rec->type == QREC_DTXT)) {
            long target;

            if (rec->type == QREC_DTXT)
                continue;
            if (parse_ptr(rec, &target) < 0)
                return reader_fail(r, rec->offset, "malformed pointer record");
            if (target == 0)
                continue;
            if (target < 0 || target >= r->file_size)
                return reader_fail(r, rec->offset, "pointer to %ld outside the file", target);
            r->pos = target;
            continue;
        }
        break;
    }
    rec->start = start;
    if (!(r->flags & QFILE_READ_RAW) && check_segment(r, rec) < 0)
        return -1;
    return 1;
}
