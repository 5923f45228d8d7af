/* bounce_records - parse a delivery status log; see bounce_records.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bounce_client.h"
#include "bounce_records.h"
#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"

/* The fields of one record being read; NULL = not seen. */
typedef struct REC_FIELDS {
    char *recipient, *orig_rcpt, *dsn_orig_rcpt, *offset, *notify, *status, *action;
    char *reason, *diag_type, *diag_text, *mta_type, *mta_mname;
    char *old_rcpt, *old_reason; /* from "<rcpt>: reason" */
    const char *bad;             /* why the record is bad */
} REC_FIELDS;

/* A copy of a value: controls become '?', 8-bit too unless keep_8bit. */
static char *rec_clean(const char *val, size_t len, int keep_8bit)
{
    char *copy = mem_strndup(val, len);
    unsigned char *p;

    for (p = (unsigned char *) copy; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !keep_8bit))
            *p = '?';
    return copy;
}

static void rec_fields_free(REC_FIELDS *f)
{
    char **all[] = {&f->recipient, &f->orig_rcpt, &f->dsn_orig_rcpt, &f->offset,
                    &f->notify,    &f->status,    &f->action,        &f->reason,
                    &f->diag_type, &f->diag_text, &f->mta_type,      &f->mta_mname,
                    &f->old_rcpt,  &f->old_reason};
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        mem_free(*all[i]);
        *all[i] = NULL;
    }
    f->bad = NULL;
}

/* Take one "name=value" or "<rcpt>: reason" line into f. */
static void rec_line(REC_FIELDS *f, const char *line, size_t len)
{
    static const struct {
        const char *name;
        size_t off;
        int keep_8bit;
    } names[] = {
        {"recipient", offsetof(REC_FIELDS, recipient), 1},
        {"orig_rcpt", offsetof(REC_FIELDS, orig_rcpt), 1},
        {"dsn_orig_rcpt", offsetof(REC_FIELDS, dsn_orig_rcpt), 1},
        {"offset", offsetof(REC_FIELDS, offset), 0},
        {"notify_flags", offsetof(REC_FIELDS, notify), 0},
        {"status", offsetof(REC_FIELDS, status), 0},
        {"action", offsetof(REC_FIELDS, action), 0},
        {"reason", offsetof(REC_FIELDS, reason), 0},
        {"diag_type", offsetof(REC_FIELDS, diag_type), 0},
        {"diag_text", offsetof(REC_FIELDS, diag_text), 0},
        {"mta_type", offsetof(REC_FIELDS, mta_type), 0},
        {"mta_mname", offsetof(REC_FIELDS, mta_mname), 0},
    };
    const char *eq;
    size_t i, nlen;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (line[0] == '<') {
        /* "<rcpt>: reason": the old format, or the summary line. */
        const char *end = memchr(line, '>', len);

        if (f->old_rcpt != NULL || end == NULL || (size_t) (end - line) + 2 > len
            || end[1] != ':')
            return;
        if ((size_t) (end - line) - 1 > BOUNCE_FIELD_MAX) {
            f->bad = "an overlong address";
            return;
        }
        f->old_rcpt = rec_clean(line + 1, (size_t) (end - line) - 1, 1);
        end += 2;
        while (end < line + len && *end == ' ')
            end++;
        f->old_reason = rec_clean(end, (size_t) (line + len - end),
                                  0);
        if (strlen(f->old_reason) > BOUNCE_FIELD_MAX)
            f->old_reason[BOUNCE_FIELD_MAX] = 0;
        return;
    }
    if ((eq = memchr(line, '=', len)) == NULL) {
        f->bad = "a line without '='";
        return;
    }
    nlen = (size_t) (eq - line);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char **slot = (char **) ((char *) f + names[i].off);

        if (strlen(names[i].name) != nlen || memcmp(names[i].name, line, nlen) != 0)
            continue;
        if (*slot != NULL) {
            f->bad = "a duplicate field";
            return;
        }
        if (len - nlen - 1 > BOUNCE_FIELD_MAX) {
            f->bad = "an overlong field";
            return;
        }
        *slot = rec_clean(eq + 1, len - nlen - 1, names[i].keep_8bit);
        return;
    }
    /* an unknown name: a newer writer; ignored */
}

static char *rec_take(char **p)
{
    char *v = *p ? *p : mem_strdup("");

    *p = NULL;
    return v;
}

/* The record in f, checked, appended to r; f is reset. */
static void rec_finish(BOUNCE_RECS *r, REC_FIELDS *f, const char *queue_id, int *warned_max)
{
    long offset = 0, notify = 0;
    BOUNCE_REC *rec;
    int old_format = 0;

    if (f->recipient == NULL && f->old_rcpt == NULL && f->bad == NULL && f->status == NULL
        && f->reason == NULL) {
        rec_fields_free(f); /* nothing there (blank lines only) */
        return;
    }
    if (f->bad == NULL) {
        if (f->recipient == NULL && f->old_rcpt != NULL && f->status == NULL) {
            old_format = 1;
            f->recipient = f->old_rcpt; /* the old format */
            f->old_rcpt = NULL;
            if (f->reason == NULL) {
                f->reason = f->old_reason;
                f->old_reason = NULL;
            }
        }
        if (f->recipient == NULL || f->recipient[0] == 0)
            f->bad = "no recipient";
        else if (f->status != NULL && !deliver_dsn_valid(f->status))
            f->bad = "a bad status";
        else if (f->offset != NULL && str_parse_long(f->offset, 0, 1L << 40, &offset) < 0)
            f->bad = "a bad offset";
        else if (f->notify != NULL && str_parse_long(f->notify, 0, 0xff, &notify) < 0)
            f->bad = "bad notify_flags";
        else if (f->status == NULL && !old_format)
            f->bad = "no status";
    }
    if (f->bad != NULL) {
        msg_warn("%s: status log: record with %s skipped", queue_id, f->bad);
        r->skipped++;
        rec_fields_free(f);
        return;
    }
    if (r->n >= BOUNCE_RCPT_MAX) {
        if (!*warned_max)
            msg_warn("%s: status log: more than %d records, the rest ignored", queue_id,
                     BOUNCE_RCPT_MAX);
        *warned_max = 1;
        r->skipped++;
        rec_fields_free(f);
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->rec = mem_array_grow(r->rec, r->cap, sizeof(*r->rec));
    }
    rec = &r->rec[r->n++];
    rec->recipient = rec_take(&f->recipient);
    rec->orig_rcpt = rec_take(&f->orig_rcpt);
    rec->dsn_orig_rcpt = rec_take(&f->dsn_orig_rcpt);
    rec->offset = offset;
    rec->notify = (int) notify;
    rec->status = rec_take(&f->status);
    rec->action = rec_take(&f->action);
    rec->reason = rec_take(&f->reason);
    rec->diag_type = rec_take(&f->diag_type);
    rec->diag_text = rec_take(&f->diag_text);
    rec->mta_type = rec_take(&f->mta_type);
    rec->mta_mname = rec_take(&f->mta_mname);
    rec_fields_free(f);
}

BOUNCE_RECS *bounce_records_parse(const char *buf, size_t len, const char *queue_id)
{
    BOUNCE_RECS *r = mem_calloc(1, sizeof(*r));
    REC_FIELDS f;
    const char *p = buf, *end = buf + len, *nl;
    int warned_max = 0;

    memset(&f, 0, sizeof(f));
    while (p < end) {
        size_t n;

        nl = memchr(p, '\n', (size_t) (end - p));
        n = nl ? (size_t) (nl - p) : (size_t) (end - p);
        if (n == 0 || (n == 1 && p[0] == '\r'))
            rec_finish(r, &f, queue_id, &warned_max);
        else if (f.bad == NULL)
            rec_line(&f, p, n);
        p += n + (nl != NULL);
    }
    rec_finish(r, &f, queue_id, &warned_max);
    return r;
}

BOUNCE_RECS *bounce_records_read(const char *path, const char *queue_id, VSTR *why)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *buf;
    size_t got = 0;
    ssize_t n = 0;
    BOUNCE_RECS *r;
    int saved;

    if (fd < 0) {
        vstr_sprintf(why, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    buf = mem_alloc(BOUNCE_LOG_MAX + 1);
    while (got < BOUNCE_LOG_MAX
           && ((n = read(fd, buf + got, BOUNCE_LOG_MAX - got)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            got += (size_t) n;
    if (n < 0) {
        saved = errno;
        vstr_sprintf(why, "read %s: %s", path, strerror(errno));
        mem_free(buf);
        close(fd);
        errno = saved;
        return NULL;
    }
    if (got == BOUNCE_LOG_MAX) {
        char extra;

        if (read(fd, &extra, 1) == 1) {
            msg_warn("%s: status log %s is longer than %d bytes: the rest is ignored", queue_id,
                     path, BOUNCE_LOG_MAX);
            /* drop the partial last record */
            while (got > 0 && !(buf[got - 1] == '\n' && got > 1 && buf[got - 2] == '\n'))
                got--;
        }
    }
    close(fd);
    r = bounce_records_parse(buf, got, queue_id);
    mem_free(buf);
    return r;
}

void bounce_records_free(BOUNCE_RECS *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++) {
        BOUNCE_REC *rec = &r->rec[i];

        mem_free(rec->recipient);
        mem_free(rec->orig_rcpt);
        mem_free(rec->dsn_orig_rcpt);
        mem_free(rec->status);
        mem_free(rec->action);
        mem_free(rec->reason);
        mem_free(rec->diag_type);
        mem_free(rec->diag_text);
        mem_free(rec->mta_type);
        mem_free(rec->mta_mname);
    }
    mem_free(r->rec);
    mem_free(r);
}
