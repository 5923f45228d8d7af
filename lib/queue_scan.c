/*
 * queue_scan - walk the mail queues and summarise queued messages.
 * See queue_scan.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_scan.h"
#include "strutil.h"

static int qs_walk(const char *queue, const char *dir, int depth, QUEUE_SCAN_FN fn, void *ctx)
{
    DIR *d;
    struct dirent *de;
    VSTR *path = vstr_new(64);
    int ret = 0;

    if ((d = opendir(dir)) == NULL) {
        vstr_free(path);
        return (errno == ENOENT && depth == 0) ? 0 : -1;
    }
    for (;;) {
        struct stat st;

        errno = 0;
        if ((de = readdir(d)) == NULL) {
            if (errno != 0)
                ret = -1;
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        vstr_sprintf(path, "%s/%s", dir, de->d_name);
        if (de->d_name[1] == 0 && depth < QUEUE_ID_MAX_DEPTH
            && lstat(vstr_str(path), &st) == 0 && S_ISDIR(st.st_mode)) {
            if ((ret = qs_walk(queue, vstr_str(path), depth + 1, fn, ctx)) != 0) {
                if (ret == -1 && errno == ENOENT)
                    ret = 0;        /* removed while we looked */
                else
                    break;
            }
            continue;
        }
        if (!queue_id_valid(de->d_name))
            continue;
        if ((ret = fn(ctx, queue, de->d_name, vstr_str(path))) != 0)
            break;
    }
    closedir(d);
    vstr_free(path);
    return ret;
}

int queue_scan(const char *queue, QUEUE_SCAN_FN fn, void *ctx)
{
    return qs_walk(queue, queue, 0, fn, ctx);
}

/* Read the defer log: recipient, reason, ... in log order. */
static ARGV *qs_defer_log(const char *path)
{
    ARGV *log;
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    char *rcpt = NULL;
    char *reason = NULL;
    int done = 0;
    int lineno = 0;

    if (path == NULL || (fp = fopen(path, "r")) == NULL)
        return NULL;
    log = argv_new();
    while (!done) {
        n = getline(&line, &cap, fp);
        lineno++;
        if (n < 0)
            done = 1;
        else if (n > QUEUE_SCAN_MAX_LINE) {
            msg_warn("%s: line %d: longer than %d bytes: skipped", path, lineno,
                     QUEUE_SCAN_MAX_LINE);
            continue;
        } else if (n > 0 && line[n - 1] == '\n')
            line[--n] = 0;
        if (done || n == 0) {
            /* end of a record */
            if (rcpt != NULL && reason != NULL) {
                argv_add(log, rcpt);
                argv_add(log, reason);
            }
            mem_free(rcpt);
            mem_free(reason);
            rcpt = reason = NULL;
            continue;
        }
        if (strncmp(line, "recipient=", 10) == 0) {
            mem_free(rcpt);
            rcpt = mem_strdup(line + 10);
        } else if (strncmp(line, "reason=", 7) == 0) {
            mem_free(reason);
            reason = mem_strdup(line + 7);
        }
    }
    free(line);
    fclose(fp);
    return log;
}

void queue_scan_msg_free(QUEUE_MSG *msg)
{
    mem_free(msg->sender);
    msg->sender = NULL;
    if (msg->rcpts)
        argv_free(msg->rcpts);
    msg->rcpts = NULL;
}

int queue_scan_message(QUEUE_MSG *msg, const char *queue, const char *id,
                       const char *path, const char *defer_path)
{
    struct stat st;
    QFILE_READER *r;
    QFILE_REC rec;
    QFILE_SIZE size;
    ARGV *log;
    int fd;
    int got;
    int have_size = 0;
    int have_time = 0;
    size_t i;

    memset(msg, 0, sizeof(*msg));
    if (strlen(queue) >= sizeof(msg->queue) || strlen(id) >= sizeof(msg->id))
        return -1;
    /* O_NONBLOCK: a FIFO or device must not hang the listing (fstat rejects it) */
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0) {
        close(fd);
        return -1;
    }
    strcpy(msg->queue, queue);
    strcpy(msg->id, id);
    msg->arrival = (long) st.st_mtime;
    msg->size = (long) st.st_size;
    msg->forced_expire = (st.st_mode & S_IXGRP) != 0;
    msg->rcpts = argv_new();
    r = qfile_reader_open(fd, path, QFILE_READ_FOLLOW);
    qfile_reader_set_limit(r, QUEUE_SCAN_MAX_RECORD);
    while ((got = qfile_read(r, &rec)) > 0) {
        switch (rec.type) {
        case QREC_SIZE:
            if (!have_size && qfile_size_parse(rec.data, &size) == 0) {
                have_size = 1;
                msg->size = size.data_size;
            }
            break;
        case QREC_TIME:
            if (!have_time) {
                long sec = strtol(rec.data, NULL, 10);

                if (sec > 0) {
                    msg->arrival = sec;
                    have_time = 1;
                }
            }
            break;
        case QREC_FROM:
            if (msg->sender == NULL)
                msg->sender = mem_strdup(rec.len ? rec.data : "MAILER-DAEMON");
            break;
        case QREC_RCPT:
            argv_add(msg->rcpts, rec.data);
            argv_add(msg->rcpts, "");
            break;
        case QREC_MESG:
            /* skip the content: straight to the X record */
            if (have_size && size.data_offset > 0 && size.data_size >= 0
                && qfile_reader_seek(r, size.data_offset + size.data_size) < 0)
                got = -1;
            break;
        default:
            break;
        }
        if (got < 0)
            break;
    }
    if (got < 0) {
        msg_warn("%s: damaged queue file: %s", path, qfile_reader_error(r));
        qfile_reader_free(r);
        close(fd);
        queue_scan_msg_free(msg);
        return -1;
    }
    qfile_reader_free(r);
    close(fd);
    if (msg->sender == NULL)
        msg->sender = mem_strdup("");
    /*
     * With a defer log, recipients come in the log's order (each once),
     * then those the log does not name, in file order, without a reason.
     */
    if ((log = qs_defer_log(defer_path)) != NULL) {
        HTABLE *pending = htable_new(16);
        ARGV *out = argv_new();

        for (i = 0; i + 1 < msg->rcpts->argc; i += 2) {
            long n = (long) htable_get(pending, msg->rcpts->argv[i]);

            htable_put(pending, msg->rcpts->argv[i], (void *) (n + 1));
        }
        for (i = 0; i + 1 < log->argc; i += 2) {
            long n = (long) htable_get(pending, log->argv[i]);

            if (n > 0) {
                argv_add(out, log->argv[i]);
                argv_add(out, log->argv[i + 1]);
                htable_put(pending, log->argv[i], (void *) (n - 1));
            }
        }
        for (i = 0; i + 1 < msg->rcpts->argc; i += 2) {
            long n = (long) htable_get(pending, msg->rcpts->argv[i]);

            if (n > 0) {
                argv_add(out, msg->rcpts->argv[i]);
                argv_add(out, "");
                htable_put(pending, msg->rcpts->argv[i], (void *) (n - 1));
            }
        }
        htable_free(pending, NULL);
        argv_free(log);
        argv_free(msg->rcpts);
        msg->rcpts = out;
    }
    return 0;
}

void queue_scan_encode(VSTR *out, const QUEUE_MSG *msg)
{
    size_t i;

    attr_encode(out, ATTR_MORE, ATTR_OUT_STR("queue_name", msg->queue),
                ATTR_OUT_STR("queue_id", msg->id), ATTR_OUT_LONG("time", msg->arrival),
                ATTR_OUT_LONG("size", msg->size),
                ATTR_OUT_INT("forced_expire", msg->forced_expire),
                ATTR_OUT_STR("sender", msg->sender));
    for (i = 0; i + 1 < msg->rcpts->argc; i += 2)
        attr_encode(out, ATTR_MORE, ATTR_OUT_STR("recipient", msg->rcpts->argv[i]),
                    ATTR_OUT_STR("reason", msg->rcpts->argv[i + 1]));
    vstr_addch(out, 0);
}

typedef struct QS_LIST {
    const char *hashed;
    int depth;
    QUEUE_SCAN_EMIT emit;
    void *ctx;
    VSTR *buf;
    VSTR *defer;
    long count;
} QS_LIST;

static int qs_list_one(void *ctx, const char *queue, const char *id, const char *path)
{
    QS_LIST *l = ctx;
    QUEUE_MSG msg;
    int ret;

    queue_id_path(l->defer, "defer", id,
                  queue_id_is_hashed("defer", l->hashed) ? l->depth : 0);
    if (queue_scan_message(&msg, queue, id, path, vstr_str(l->defer)) < 0)
        return 0;
    vstr_reset(l->buf);
    queue_scan_encode(l->buf, &msg);
    queue_scan_msg_free(&msg);
    l->count++;
    ret = l->emit(l->ctx, vstr_str(l->buf), vstr_len(l->buf));
    return ret ? 1 : 0;
}

long queue_scan_list(const char *hashed, int depth, QUEUE_SCAN_EMIT emit, void *ctx)
{
    static const char *const queues[] = {"maildrop", "active", "incoming", "deferred", "hold"};
    QS_LIST l;
    size_t i;

    l.hashed = hashed ? hashed : "";
    l.depth = depth;
    l.emit = emit;
    l.ctx = ctx;
    l.buf = vstr_new(512);
    l.defer = vstr_new(64);
    l.count = 0;
    for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++) {
        int ret = queue_scan(queues[i], qs_list_one, &l);

        if (ret < 0)
            msg_warn("scan queue %s: %s", queues[i], strerror(errno));
        if (ret > 0)
            break;
    }
    vstr_free(l.buf);
    vstr_free(l.defer);
    return l.count;
}
