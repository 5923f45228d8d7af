/*
 * bounce - the bounce daemon: turns a message's delivery status log into a
 * notice for its sender (also serving "defer" and "trace": one program).
 *
 * master.cf (stock):
 *   bounce    unix  -  -  y  -  0  bounce
 *   defer     unix  -  -  y  -  0  bounce
 *   trace     unix  -  -  y  -  0  bounce
 * A single server (lib/server.h), chrooted into queue_directory and
 * running as mail_owner; one request per connection, as lib/bounce_client.h
 * documents (the conversation, the commands, who gets what, the log lines,
 * durability). The command names the log: FLUSH reads bounce/ID, EXPIRE and
 * WARN defer/H/ID, TRACE trace/ID, whatever service was called.
 *
 * BOUNCE_CMD_ONE (local, for an alias with an owner- companion) carries
 * its one recipient in the request: a non-delivery notice for it alone,
 * to the request's sender (the owner), with no log to read or remove.
 *
 * Templates: at start-up (before the chroot) the built-in templates are
 * overridden by bounce_template_file when it is set, and expanded once
 * (lib/bounce_template.h); a file or template that cannot be used is a
 * warning and the built-in text, never a lost notice. `postfix reload`
 * starts new processes, which read the file again.
 *
 * Per request: read the log (qmgr/bounce_records.h: bounded, bad records
 * skipped), keep the latest record per recipient (a defer log grows by one
 * per attempt) whose DSN NOTIFY asks for this notice, read
 * the original message from its queue file (the headers only for RET=HDRS,
 * for delay and success notices unless RET=FULL, and for a message larger
 * than bounce_size_limit), build the notice (qmgr/bounce_notice.h) and hand
 * it to cleanup (public/$cleanup_service_name) with the null sender. Only
 * when cleanup says the notice is queued is the log removed (WARN keeps it)
 * and status 0 returned; any failure before that is status -1 and the log
 * stays, so qmgr asks again later.
 *
 * Trust: the request (from qmgr, over private/) is checked in full: exact
 * attributes, a valid queue id and queue name, known encodings and flags,
 * bounded strings. The status log and the queue file are read with bounds
 * and what they say is cleaned before it reaches a notice or a log line.
 * Nothing from them is ever executed or used as a path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "bounce_client.h"
#include "bounce_notice.h"
#include "bounce_records.h"
#include "bounce_template.h"
#include "cleanup_client.h"
#include "conf.h"
#include "deliver.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_id.h"
#include "server.h"
#include "stream.h"
#include "strutil.h"
#include "vstr.h"

#define BOUNCE_REQUEST_MAX 16384         /* bytes of one request */
#define BOUNCE_HDRS_MAX    (1024 * 1024) /* header bytes returned */
#define BOUNCE_ORIG_MAX    (16 * 1024 * 1024) /* whole-message bytes returned */
#define BOUNCE_ENVID_MAX   100           /* RFC 3461 */

typedef struct BOUNCE_CONF {
    char *myhostname;
    char *mail_name;
    char *double_bounce_sender;
    char *bounce2_rcpt; /* 2bounce_notice_recipient */
    char *bounce_rcpt;  /* bounce_notice_recipient */
    char *delay_rcpt;   /* delay_notice_recipient */
    int copy_bounce;    /* notify_classes has "bounce" */
    int send_2bounce;   /* notify_classes has "2bounce" or "bounce" */
    int copy_delay;     /* notify_classes has "delay" */
    char *cleanup_path;
    long size_limit;    /* bounce_size_limit, 0 = none */
    long lifetime;      /* maximal_queue_lifetime */
    int timeout;        /* ipc_timeout, seconds */
    BOUNCE_TEMPLATES *tmpl; /* built-in, or from bounce_template_file */
} BOUNCE_CONF;

typedef struct BOUNCE_REQ {
    int cmd;
    int flags;
    VSTR *queue_name, *queue_id, *encoding, *sender, *envid;
    int smtputf8;
    int ret_flags;
    /* BOUNCE_CMD_ONE: the recipient (lib/bounce_client.h) */
    VSTR *rcpt, *orig_rcpt, *dsn_orig_rcpt, *status, *reason;
    int notify;
} BOUNCE_REQ;

/* What the original message's queue file gave. */
typedef struct BOUNCE_ORIG {
    long arrival;
    VSTR *text;   /* LF-separated lines; NULL when unavailable */
    int hdrs_only;
} BOUNCE_ORIG;

static const char *bounce_kind_of(int cmd)
{
    switch (cmd) {
    case BOUNCE_CMD_FLUSH:
        return "bounce";
    case BOUNCE_CMD_TRACE:
        return "trace";
    case BOUNCE_CMD_ONE:
        return "one";
    default:
        return "defer";
    }
}

static int bounce_queue_name_ok(const char *name)
{
    static const char *const names[] = {"incoming", "active", "deferred", "hold", NULL};
    const char *const *n;

    for (n = names; *n; n++)
        if (strcmp(*n, name) == 0)
            return 1;
    return 0;
}

static int bounce_text_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* BOUNCE_CMD_ONE: the recipient group after the request; NULL or what is bad. */
static const char *bounce_read_one(STREAM *s, BOUNCE_REQ *rq)
{
    int r = attr_scan(s, 0, ATTR_IN_STR("recipient", rq->rcpt, DELIVER_ADDR_MAX),
                      ATTR_IN_STR("orig_rcpt", rq->orig_rcpt, DELIVER_ADDR_MAX),
                      ATTR_IN_STR("dsn_orig_rcpt", rq->dsn_orig_rcpt, DELIVER_ADDR_MAX),
                      ATTR_IN_INT("notify_flags", &rq->notify),
                      ATTR_IN_STR("status", rq->status, 16),
                      ATTR_IN_STR("reason", rq->reason, DELIVER_REASON_MAX));

    if (r != ATTR_OK)
        return "bad recipient group";
    if (vstr_len(rq->sender) == 0)
        return "a single-recipient notice needs a sender";
    if (vstr_len(rq->rcpt) == 0 || !bounce_text_ok(vstr_str(rq->rcpt))
        || !bounce_text_ok(vstr_str(rq->orig_rcpt))
        || !bounce_text_ok(vstr_str(rq->dsn_orig_rcpt)) || !bounce_text_ok(vstr_str(rq->status))
        || !bounce_text_ok(vstr_str(rq->reason)))
        return "empty recipient or control characters in the recipient group";
    if (rq->notify < 0 || rq->notify > 0xff)
        return "bad notify_flags";
    return NULL;
}

/* Read and check one request; 0 or -1 (logged). */
static int bounce_read_request(STREAM *s, BOUNCE_REQ *rq)
{
    int r = attr_scan(s, 0, ATTR_IN_INT("nrequest", &rq->cmd), ATTR_IN_INT("flags", &rq->flags),
                      ATTR_IN_STR("queue_name", rq->queue_name, DELIVER_NAME_MAX),
                      ATTR_IN_STR("queue_id", rq->queue_id, QUEUE_ID_MAXLEN),
                      ATTR_IN_STR("encoding", rq->encoding, DELIVER_NAME_MAX),
                      ATTR_IN_INT("smtputf8", &rq->smtputf8),
                      ATTR_IN_STR("sender", rq->sender, DELIVER_ADDR_MAX),
                      ATTR_IN_STR("envelope_id", rq->envid, BOUNCE_ENVID_MAX),
                      ATTR_IN_INT("ret_flags", &rq->ret_flags));
    const char *bad = NULL;

    if (r == ATTR_EOF) {
        msg_warn("bounce request: connection closed before a request");
        return -1;
    }
    if (r != ATTR_OK) {
        msg_warn("bad bounce request: %s", stream_why(s));
        return -1;
    }
    if (rq->cmd < BOUNCE_CMD_FLUSH || rq->cmd > BOUNCE_CMD_ONE)
        bad = "unknown command";
    else if (!BOUNCE_FLAGS_OK(rq->cmd, rq->flags))
        bad = "unknown flags";
    else if (!bounce_queue_name_ok(vstr_str(rq->queue_name)))
        bad = "bad queue name";
    else if (!queue_id_valid(vstr_str(rq->queue_id)))
        bad = "invalid queue id";
    else if (vstr_len(rq->encoding) && strcmp(vstr_str(rq->encoding), "7bit") != 0
             && strcmp(vstr_str(rq->encoding), "8bit") != 0)
        bad = "unknown encoding";
    else if (rq->smtputf8 < 0 || rq->smtputf8 > 0xff)
        bad = "bad smtputf8 flags";
    else if (rq->ret_flags < 0 || rq->ret_flags > (BOUNCE_RET_FULL | BOUNCE_RET_HDRS))
        bad = "bad ret_flags";
    else if (!bounce_text_ok(vstr_str(rq->sender)) || !bounce_text_ok(vstr_str(rq->envid)))
        bad = "control characters in the sender or envelope id";
    else if (rq->cmd == BOUNCE_CMD_ONE)
        bad = bounce_read_one(s, rq);
    if (bad) {
        str_printable(vstr_str(rq->queue_id), 0);
        msg_warn("bad bounce request (queue id \"%s\"): %s", vstr_str(rq->queue_id), bad);
        return -1;
    }
    return 0;
}

/* A header line of the original: "Name:" or a continuation. */
static int bounce_is_header(const char *line, size_t len)
{
    size_t i;

    if (len > 0 && (line[0] == ' ' || line[0] == '\t'))
        return 1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) line[i];

        if (c == ':')
            return i > 0;
        if (c <= ' ' || c >= 0x7f)
            return 0;
    }
    return 0;
}

/*
 * The original message from its queue file: arrival time and content
 * (whole, or headers only when hdrs_only is asked for or the message is
 * too large). Best effort: a file that cannot be read gives text NULL.
 */
static void bounce_read_original(const BOUNCE_CONF *bc, const BOUNCE_REQ *rq, int hdrs_only,
                                 BOUNCE_ORIG *orig)
{
    const char *id = vstr_str(rq->queue_id);
    VSTR *path = vstr_new(0), *line = vstr_new(0);
    int depth = (int) conf_get_int("hash_queue_depth");
    QFILE_READER *r = NULL;
    QFILE_REC rec;
    QFILE_SIZE size;
    int fd, st, in_content = 0, in_headers = 1;
    long limit = bc->size_limit > 0 && bc->size_limit < BOUNCE_ORIG_MAX ? bc->size_limit
                                                                          : BOUNCE_ORIG_MAX;

    orig->arrival = 0;
    orig->text = NULL;
    orig->hdrs_only = hdrs_only;
    if (!queue_id_is_hashed(vstr_str(rq->queue_name), conf_get("hash_queue_names")))
        depth = 0;
    if (depth < 0 || depth > QUEUE_ID_MAX_DEPTH)
        depth = 1;
    queue_id_path(path, vstr_str(rq->queue_name), id, depth);
    if ((fd = open(vstr_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        msg_warn("%s: open %s: %m: the notice goes without the message", id, vstr_str(path));
        goto out;
    }
    r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_FOLLOW);
    orig->text = vstr_new(0);
    while ((st = qfile_read(r, &rec)) > 0) {
        if (!in_content) {
            if (rec.type == QREC_TIME && orig->arrival == 0) {
                long sec = 0;

                if (sscanf(rec.data, "%ld", &sec) == 1 && sec > 0 && sec < (1L << 40))
                    orig->arrival = sec;
            } else if (rec.type == QREC_SIZE && qfile_size_parse(rec.data, &size) == 0) {
                if (size.data_size > limit)
                    orig->hdrs_only = 1;
            } else if (rec.type == QREC_MESG) {
                in_content = 1;
            }
            continue;
        }
        if (rec.type != QREC_NORM && rec.type != QREC_CONT)
            break; /* X: the end of the content */
        if (vstr_len(line) + rec.len > (size_t) BOUNCE_ORIG_MAX) {
            msg_warn("%s: a content line longer than %d bytes: the returned copy ends there", id,
                     BOUNCE_ORIG_MAX);
            break;
        }
        vstr_addmem(line, rec.data, rec.len);
        if (rec.type == QREC_CONT)
            continue;
        if (in_headers && !bounce_is_header(vstr_str(line), vstr_len(line)))
            in_headers = 0;
        if (!in_headers && orig->hdrs_only)
            break;
        if (vstr_len(orig->text) + vstr_len(line) + 1
            > (size_t) (orig->hdrs_only ? BOUNCE_HDRS_MAX : BOUNCE_ORIG_MAX)) {
            msg_warn("%s: the returned copy is cut at %zu bytes", id, vstr_len(orig->text));
            break;
        }
        if (vstr_len(orig->text) > 0 || in_content > 1)
            vstr_addch(orig->text, '\n');
        in_content = 2;
        vstr_addmem(orig->text, vstr_str(line), vstr_len(line));
        vstr_truncate(line, 0);
    }
    if (st < 0) {
        msg_warn("%s: queue file %s: %s", id, vstr_str(path), qfile_reader_error(r));
        if (!in_content) {
            vstr_free(orig->text);
            orig->text = NULL;
        }
    }
out:
    if (r)
        qfile_reader_free(r);
    if (fd >= 0)
        close(fd);
    vstr_free(path);
    vstr_free(line);
}

/* The sender is the double-bounce address (bare, or @ any domain). */
static int bounce_is_double_bounce(const BOUNCE_CONF *bc, const char *sender)
{
    size_t n = strlen(bc->double_bounce_sender);

    return sender[0] && strncasecmp(sender, bc->double_bounce_sender, n) == 0
           && (sender[n] == 0 || (sender[n] == '@' && !strchr(bc->double_bounce_sender, '@')));
}

typedef struct BOUNCE_SINK {
    CLEANUP *c;
} BOUNCE_SINK;

static void bounce_sink_line(void *ctx, const char *line, size_t len)
{
    cleanup_line(((BOUNCE_SINK *) ctx)->c, line, len);
}

/*
 * Queue the notice through cleanup; 0 with its id in notice_id, or -1
 * (logged).
 */
static int bounce_post(const BOUNCE_CONF *bc, BOUNCE_NOTICE *n, const char *env_sender,
                       const BOUNCE_REQ *rq, VSTR *notice_id)
{
    VSTR *why = vstr_new(0);
    struct timeval tv;
    BOUNCE_SINK sink;
    int eight, flags = CLEANUP_FLAG_MAP_OK, status, ret = -1;

    eight = bounce_notice_needs_8bit(n);
    if (rq->smtputf8)
        flags |= CLEANUP_FLAG_SMTPUTF8;
    if ((sink.c = cleanup_open(bc->cleanup_path, flags, bc->timeout, why)) == NULL) {
        msg_warn("%s: cannot queue the notice: %s", n->queue_id, vstr_str(why));
        goto out;
    }
    vstr_set(notice_id, cleanup_queue_id(sink.c));
    n->notice_id = vstr_str(notice_id);
    gettimeofday(&tv, NULL);
    cleanup_time(sink.c, (long) tv.tv_sec, (long) tv.tv_usec);
    cleanup_attr(sink.c, "log_ident", vstr_str(notice_id));
    cleanup_attr(sink.c, "rewrite_context", "local");
    if (eight)
        cleanup_attr(sink.c, "encoding", "8bit");
    cleanup_sender(sink.c, env_sender);
    cleanup_rcpt(sink.c, n->to, NULL, NULL, 0);
    cleanup_content_begin(sink.c);
    bounce_notice_write(n, bounce_sink_line, &sink);
    status = cleanup_finish(sink.c, why);
    cleanup_close(sink.c);
    if (status != CLEANUP_STAT_OK) {
        msg_warn("%s: cleanup did not queue the notice: %s%s%s", n->queue_id,
                 cleanup_stat_text(status), vstr_len(why) ? ": " : "", vstr_str(why));
        goto out;
    }
    ret = 0;
out:
    if (ret < 0)
        vstr_truncate(notice_id, 0);
    vstr_free(why);
    return ret;
}

/* Remove the log unless the command keeps it; status 0 or -1. */
static int bounce_done_log(const BOUNCE_REQ *rq, const char *kind)
{
    if (rq->cmd == BOUNCE_CMD_WARN || rq->cmd == BOUNCE_CMD_ONE)
        return 0;
    return bounce_log_remove(kind, vstr_str(rq->queue_id)) == 0 ? 0 : -1;
}

/*
 * The postmaster's copy of a sender notice, per notify_classes ("bounce"
 * for failures, "delay" for delay notices): the headers of the original
 * only, from double_bounce_sender. Not critical: a failure is a warning.
 */
static void bounce_postmaster_copy(const BOUNCE_CONF *bc, const BOUNCE_REQ *rq, BOUNCE_NOTICE *n,
                                   const BOUNCE_ORIG *orig, const char *what)
{
    BOUNCE_NOTICE copy = *n;
    VSTR *hdrs = NULL, *copy_id = vstr_new(0);
    const char *p, *end;

    if (n->kind == BOUNCE_NOTICE_FAILURE && bc->copy_bounce)
        copy.to = bc->bounce_rcpt;
    else if (n->kind == BOUNCE_NOTICE_DELAY && bc->copy_delay)
        copy.to = bc->delay_rcpt;
    else
        goto out;
    copy.postmaster = 1;
    if (orig->text && !orig->hdrs_only) {
        /* the headers: up to the first empty line */
        hdrs = vstr_new(0);
        p = vstr_str(orig->text);
        end = strstr(p, "\n\n");
        vstr_addmem(hdrs, p, end ? (size_t) (end - p) : vstr_len(orig->text));
        copy.orig = hdrs;
    }
    copy.orig_hdrs_only = 1;
    if (bounce_post(bc, &copy, bc->double_bounce_sender, rq, copy_id) == 0)
        msg_info("%s: postmaster %s: %s", n->queue_id, what, vstr_str(copy_id));
    else
        msg_warn("%s: postmaster notice failed while notifying %s", n->queue_id, n->sender);
out:
    if (hdrs)
        vstr_free(hdrs);
    vstr_free(copy_id);
}

/*
 * A defer log gains a record per delivery attempt: report each recipient
 * once, with its latest record. dup[i] is set for the older ones. With
 * by_reason (the sendmail -bv report) records that differ in their reason
 * are all kept: one alias may name several files or commands.
 */
static void bounce_mark_older(const BOUNCE_RECS *recs, unsigned char *dup, int by_reason)
{
    HTABLE *seen = htable_new(recs->n);
    VSTR *key = vstr_new(0);
    size_t i;

    for (i = recs->n; i-- > 0;) {
        vstr_sprintf(key, "%s\n%s", recs->rec[i].recipient, recs->rec[i].orig_rcpt);
        if (by_reason)
            vstr_printf(key, "\n%s", recs->rec[i].reason);
        if (htable_put(seen, vstr_str(key), "") != NULL)
            dup[i] = 1;
    }
    htable_free(seen, NULL);
    vstr_free(key);
}

/* A status for a record without one (the old format), by kind and action. */
static const char *bounce_default_status(int kind, const char *action)
{
    if (kind == BOUNCE_NOTICE_FAILURE)
        return "5.0.0";
    if (kind == BOUNCE_NOTICE_DELAY)
        return "4.0.0";
    if (kind == BOUNCE_NOTICE_RECORD && strcmp(action, "failed") == 0)
        return "5.0.0";
    if (kind == BOUNCE_NOTICE_RECORD && strcmp(action, "delayed") == 0)
        return "4.0.0";
    if (kind == BOUNCE_NOTICE_VERIFY && strcmp(action, "undeliverable") == 0)
        return "5.0.0";
    return "2.0.0";
}

/*
 * BOUNCE_CMD_ONE: the request's recipient as a one-record log, through the
 * log parser (its checks and clean-up). The fields were checked for control
 * characters, so none can start a field of its own.
 */
static BOUNCE_RECS *bounce_one_record(const BOUNCE_REQ *rq)
{
    VSTR *text = vstr_new(0);
    BOUNCE_RECS *recs;

    vstr_sprintf(text, "recipient=%s\n", vstr_str(rq->rcpt));
    if (vstr_len(rq->orig_rcpt))
        vstr_printf(text, "orig_rcpt=%s\n", vstr_str(rq->orig_rcpt));
    if (vstr_len(rq->dsn_orig_rcpt))
        vstr_printf(text, "dsn_orig_rcpt=%s\n", vstr_str(rq->dsn_orig_rcpt));
    if (rq->notify)
        vstr_printf(text, "notify_flags=%d\n", rq->notify);
    vstr_printf(text, "status=%s\naction=failed\nreason=%s\n\n", vstr_str(rq->status),
                vstr_str(rq->reason));
    recs = bounce_records_parse(vstr_str(text), vstr_len(text), vstr_str(rq->queue_id));
    vstr_free(text);
    if (recs->n != 1) {
        msg_warn("%s: bad single-recipient request for %s", vstr_str(rq->queue_id),
                 vstr_str(rq->rcpt));
        bounce_records_free(recs);
        errno = EINVAL;
        return NULL;
    }
    return recs;
}

/* The template for a kind of notice. */
static const BOUNCE_TEMPLATE *bounce_template_for(const BOUNCE_CONF *bc, int kind)
{
    switch (kind) {
    case BOUNCE_NOTICE_DELAY:
        return bounce_templates_get(bc->tmpl, BOUNCE_TMPL_DELAY);
    case BOUNCE_NOTICE_SUCCESS:
        return bounce_templates_get(bc->tmpl, BOUNCE_TMPL_SUCCESS);
    case BOUNCE_NOTICE_RECORD: /* sendmail -v */
    case BOUNCE_NOTICE_VERIFY: /* sendmail -bv */
        return bounce_templates_verify(bc->tmpl);
    default:
        return bounce_templates_get(bc->tmpl, BOUNCE_TMPL_FAILURE);
    }
}

/* Do one request; the reply's status (0/-1) and notice id. */
static int bounce_do(const BOUNCE_CONF *bc, const BOUNCE_REQ *rq, VSTR *notice_id)
{
    const char *id = vstr_str(rq->queue_id), *kind = bounce_kind_of(rq->cmd);
    const char *sender = vstr_str(rq->sender), *to, *env_sender;
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    BOUNCE_RECS *recs = NULL;
    BOUNCE_NOTICE n;
    BOUNCE_ORIG orig = {0, NULL, 0};
    unsigned char *use = NULL;
    size_t i, count = 0;
    int filter, hdrs_only, ret = -1;
    const char *what;

    vstr_truncate(notice_id, 0);
    if (rq->cmd == BOUNCE_CMD_ONE) {
        recs = bounce_one_record(rq);
    } else {
        bounce_log_path(path, kind, id);
        recs = bounce_records_read(vstr_str(path), id, why);
    }
    if (recs == NULL) {
        if (errno == ENOENT) {
            msg_info("%s: no %s log: no notice", id, kind);
            ret = 0;
        } else {
            msg_warn("%s: %s", id, vstr_str(why));
        }
        goto out;
    }
    memset(&n, 0, sizeof(n));
    switch (rq->cmd) {
    case BOUNCE_CMD_ONE:
        n.kind = BOUNCE_NOTICE_FAILURE;
        filter = DELIVER_NOTIFY_FAILURE;
        what = "non-delivery notification";
        break;
    case BOUNCE_CMD_WARN:
        n.kind = BOUNCE_NOTICE_DELAY;
        filter = DELIVER_NOTIFY_DELAY;
        what = "delay notification";
        break;
    case BOUNCE_CMD_TRACE:
        if (rq->flags & BOUNCE_FLAG_VERIFY) {
            /* sendmail -bv: every record, what would have happened */
            n.kind = BOUNCE_NOTICE_VERIFY;
            filter = -1;
        } else if (rq->flags & BOUNCE_FLAG_RECORD) {
            /* sendmail -v: every record, whatever its NOTIFY */
            n.kind = BOUNCE_NOTICE_RECORD;
            filter = -1;
        } else {
            n.kind = BOUNCE_NOTICE_SUCCESS;
            filter = DELIVER_NOTIFY_SUCCESS;
        }
        what = "delivery status notification";
        break;
    default:
        n.kind = BOUNCE_NOTICE_FAILURE;
        filter = DELIVER_NOTIFY_FAILURE;
        what = "non-delivery notification";
        break;
    }
    use = mem_calloc(recs->n ? recs->n : 1, 1);
    /* use[i] = 1: an older duplicate, for now */
    bounce_mark_older(recs, use, n.kind == BOUNCE_NOTICE_VERIFY);
    for (i = 0; i < recs->n; i++) {
        int notify = recs->rec[i].notify;

        if (use[i]) {
            use[i] = 0;
            continue;
        }
        if (notify == 0)
            notify = DELIVER_NOTIFY_FAILURE | DELIVER_NOTIFY_DELAY;
        if (n.kind == BOUNCE_NOTICE_RECORD || n.kind == BOUNCE_NOTICE_VERIFY
            || ((notify & DELIVER_NOTIFY_NEVER) == 0 && (notify & filter) != 0)) {
            use[i] = 1;
            count++;
        }
        if (recs->rec[i].status[0] == 0) { /* the old format: no status */
            mem_free(recs->rec[i].status);
            recs->rec[i].status = mem_strdup(bounce_default_status(n.kind, recs->rec[i].action));
        }
        if (recs->rec[i].reason[0] == 0) {
            mem_free(recs->rec[i].reason);
            recs->rec[i].reason = mem_strdup("(no reason given)");
        }
    }
    if (count == 0) {
        msg_info("%s: %s: no recipient asked for a notice (DSN NOTIFY)", id, what);
        ret = bounce_done_log(rq, kind);
        goto out;
    }
    if (bounce_is_double_bounce(bc, sender)) {
        msg_warn("%s: undeliverable postmaster notification discarded", id);
        ret = bounce_done_log(rq, kind);
        goto out;
    }
    if (sender[0] == 0) {
        if (n.kind != BOUNCE_NOTICE_FAILURE) {
            msg_info("%s: null sender: no %s", id, what);
            ret = bounce_done_log(rq, kind);
            goto out;
        }
        /*
         * A bounce that bounced: a double bounce to the postmaster, when
         * notify_classes asks for one ("2bounce", implied by "bounce");
         * else, as in Postfix (default "resource, software"), nothing.
         */
        if (!bc->send_2bounce) {
            msg_info("%s: null sender: no %s (notify_classes has no 2bounce)", id, what);
            ret = bounce_done_log(rq, kind);
            goto out;
        }
        to = bc->bounce2_rcpt;
        env_sender = bc->double_bounce_sender;
        n.postmaster = 1;
    } else {
        to = sender;
        env_sender = "";
    }
    if (rq->ret_flags & BOUNCE_RET_HDRS)
        hdrs_only = 1;
    else if (rq->ret_flags & BOUNCE_RET_FULL)
        hdrs_only = 0;
    else
        hdrs_only = n.kind != BOUNCE_NOTICE_FAILURE;
    bounce_read_original(bc, rq, hdrs_only, &orig);
    n.myhostname = bc->myhostname;
    n.mail_name = bc->mail_name;
    n.queue_id = id;
    n.notice_id = "";
    n.sender = sender;
    n.to = to;
    n.envid = vstr_str(rq->envid);
    n.encoding = vstr_str(rq->encoding);
    n.arrival = orig.arrival;
    n.now = (long) time(NULL);
    n.retry_until = orig.arrival > 0 ? orig.arrival + bc->lifetime : 0;
    n.tmpl = bounce_template_for(bc, n.kind);
    n.recs = recs;
    n.use = use;
    n.orig = orig.text;
    n.orig_hdrs_only = orig.hdrs_only;
    if (bounce_post(bc, &n, env_sender, rq, notice_id) < 0)
        goto out;
    if (rq->cmd == BOUNCE_CMD_EXPIRE)
        msg_info("%s: from=<%s>, status=expired, returned to sender", id, sender);
    msg_info("%s: %s %s: %s", id, n.postmaster ? "postmaster" : "sender", what,
             vstr_str(notice_id));
    if (bounce_done_log(rq, kind) < 0)
        msg_warn("%s: the notice is queued, but the %s log stays", id, kind);
    ret = 0;
    if (!n.postmaster)
        bounce_postmaster_copy(bc, rq, &n, &orig, what);
out:
    if (orig.text)
        vstr_free(orig.text);
    mem_free(use);
    bounce_records_free(recs);
    vstr_free(path);
    vstr_free(why);
    return ret;
}

static void bounce_client(SERVER *srv, int fd)
{
    const BOUNCE_CONF *bc = srv->context;
    STREAM *s = stream_open(fd, 0);
    BOUNCE_REQ rq;
    VSTR *notice_id = vstr_new(0);
    int status = -1;

    memset(&rq, 0, sizeof(rq));
    rq.queue_name = vstr_new(0);
    rq.queue_id = vstr_new(0);
    rq.encoding = vstr_new(0);
    rq.sender = vstr_new(0);
    rq.envid = vstr_new(0);
    rq.rcpt = vstr_new(0);
    rq.orig_rcpt = vstr_new(0);
    rq.dsn_orig_rcpt = vstr_new(0);
    rq.status = vstr_new(0);
    rq.reason = vstr_new(0);
    stream_set_limits(s, bc->timeout * 1000, BOUNCE_REQUEST_MAX);
    if (bounce_read_request(s, &rq) < 0)
        goto out; /* no reply: the client gives up and tries later */
    status = bounce_do(bc, &rq, notice_id);
    if (attr_print(s, 0, ATTR_OUT_INT("status", status),
                   ATTR_OUT_STR("queue_id", vstr_str(notice_id))) < 0)
        msg_warn("%s: cannot send the reply: %s", vstr_str(rq.queue_id), stream_why(s));
out:
    stream_free(s);
    vstr_free(notice_id);
    vstr_free(rq.queue_name);
    vstr_free(rq.queue_id);
    vstr_free(rq.encoding);
    vstr_free(rq.sender);
    vstr_free(rq.envid);
    vstr_free(rq.rcpt);
    vstr_free(rq.orig_rcpt);
    vstr_free(rq.dsn_orig_rcpt);
    vstr_free(rq.status);
    vstr_free(rq.reason);
}

/* The classes of notify_classes this daemon acts on. */
static void bounce_notify_classes(BOUNCE_CONF *bc, const char *value)
{
    char *copy = mem_strdup(value ? value : ""), *cur = copy, *word;

    while ((word = str_token(&cur, ", \t\r\n")) != NULL) {
        if (strcasecmp(word, "bounce") == 0)
            bc->copy_bounce = bc->send_2bounce = 1;
        else if (strcasecmp(word, "2bounce") == 0)
            bc->send_2bounce = 1;
        else if (strcasecmp(word, "delay") == 0)
            bc->copy_delay = 1;
    }
    mem_free(copy);
}

static void bounce_pre_jail(SERVER *srv)
{
    BOUNCE_CONF *bc = srv->context;
    VSTR *path = vstr_new(0);
    long t = conf_get_time("ipc_timeout");
    long long limit = conf_get_size("bounce_size_limit");
    const char *tf;

    tzset(); /* before the chroot hides the zone files */
    bc->myhostname = mem_strdup(conf_get("myhostname"));
    bc->mail_name = mem_strdup(conf_get("mail_name"));
    bc->double_bounce_sender = mem_strdup(conf_get("double_bounce_sender"));
    bc->bounce2_rcpt = mem_strdup(conf_get("2bounce_notice_recipient"));
    bc->bounce_rcpt = mem_strdup(conf_get("bounce_notice_recipient"));
    bc->delay_rcpt = mem_strdup(conf_get("delay_notice_recipient"));
    bounce_notify_classes(bc, conf_get("notify_classes"));
    if (!bc->myhostname[0] || !bc->double_bounce_sender[0] || !bc->bounce2_rcpt[0])
        msg_fatal("myhostname, double_bounce_sender and 2bounce_notice_recipient must be set");
    if (!bounce_text_ok(bc->mail_name) || strpbrk(bc->mail_name, " ()<>@,;:\\\".[]") != NULL)
        msg_fatal("bad mail_name \"%s\": it becomes part of a DSN field name", bc->mail_name);
    vstr_sprintf(path, "public/%s", conf_get("cleanup_service_name"));
    bc->cleanup_path = vstr_export(path);
    bc->size_limit = limit > 0 && limit < (1LL << 40) ? (long) limit : 0;
    bc->lifetime = conf_get_time("maximal_queue_lifetime");
    bc->timeout = t > 0 && t < 86400 ? (int) t : 3600;
    /* bounce_template_file: read once per process, before the chroot */
    bc->tmpl = bounce_templates_new();
    tf = conf_get("bounce_template_file");
    if (tf && tf[0])
        (void) bounce_templates_load(bc->tmpl, tf);
    (void) bounce_templates_expand(bc->tmpl, bounce_template_conf_lookup, NULL);
}

int main(int argc, char **argv)
{
    BOUNCE_CONF bc;
    SERVER_OPS ops;

    memset(&bc, 0, sizeof(bc));
    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = bounce_pre_jail;
    ops.client = bounce_client;
    ops.context = &bc;
    server_single_main(argc, argv, &ops);
}
