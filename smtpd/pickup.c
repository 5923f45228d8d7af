/*
 * pickup - feed local submissions from maildrop/ to cleanup.
 *
 * master.cf: `pickup unix n - y 60 1 pickup`: a trigger server
 * (lib/server.h), chrooted, running as mail_owner. postdrop wakes it with
 * one byte on public/pickup, master's timer every 60 s; each wakeup scans
 * maildrop/ and hands every complete file (owner-execute bit set) to the
 * cleanup service (lib/cleanup_client.h), with rewrite_context=local, a
 * Received: line naming the submitting uid (the file's owner), the arrival
 * time postdrop recorded, and the recipients that sendmail -t extracted
 * (after the file's X record) passed on after cleanup_content_end(), with
 * their notify_flags, into the queue file's extracted segment (cleanup does
 * not extract them again; Bcc: goes by message_drop_headers). The file is
 * removed only after cleanup said OK, so mail
 * submitted while the system was down, or while cleanup is unreachable,
 * waits in maildrop/.
 *
 * Trust: none in maildrop files. Users own them and can rewrite them after
 * postdrop; so each file is checked completely (lib/maildrop.h rules:
 * record types and order, every length bounded by line_length_limit, the
 * content by message_size_limit, only the allowed attributes) BEFORE
 * anything is sent to cleanup. A file that fails, is not a regular file or
 * has more than one link is logged ("warning: ID: uid=N: reason") and
 * removed, as Postfix's pickup does: it came from an unprivileged user and
 * never entered the queue proper. The uid logged and written into
 * Received: is the file's owner as the kernel says, never a record.
 *
 * A file owned by mail_owner (pickup's own uid) is a queue file that
 * postsuper -r moved here: no user can make one (maildrop/ is sticky, and
 * postdrop's files belong to the user), so it is read as the queue file
 * cleanup wrote and sent through cleanup again (pickup_send_queued), its
 * recipients not yet done only; "ID: requeued as NEWID" is logged. One that
 * cannot be read, or that cleanup rejects, goes to corrupt/.
 *
 * Log lines: "QUEUEID: uid=2001 from=<alice>" (QUEUEID is cleanup's id).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "conf.h"
#include "maildrop.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_id.h"
#include "server.h"
#include "vstr.h"

/* The configuration, read before the chroot. */
typedef struct PICKUP_CONF {
    char *cleanup_path;     /* public/$cleanup_service_name (master.cf: private n) */
    char *myhostname;
    char *mail_name;
    long long size_limit;   /* message_size_limit */
    long line_limit;        /* line_length_limit: the record limit */
    int timeout;            /* ipc_timeout, seconds */
} PICKUP_CONF;

/* What happened to one file. */
enum { PICKUP_DONE, PICKUP_SKIP, PICKUP_REMOVE, PICKUP_RETRY };

#define PICKUP_LINE_MAX (64L << 20) /* a content line, when there is no size limit */

static void pickup_pre_jail(SERVER *srv)
{
    PICKUP_CONF *pc = srv->context;
    VSTR *v = vstr_new(0);

    vstr_sprintf(v, "public/%s", conf_get("cleanup_service_name"));
    pc->cleanup_path = vstr_export(v);
    cleanup_client_keep(1); /* one cleanup connection for a run of maildrop files */
    pc->myhostname = mem_strdup(conf_get("myhostname"));
    pc->mail_name = mem_strdup(conf_get("mail_name"));
    pc->size_limit = conf_get_size("message_size_limit");
    pc->line_limit = conf_get_int("line_length_limit");
    if (pc->line_limit < 40 || pc->line_limit > (1L << 20))
        msg_fatal("bad line_length_limit: %ld", pc->line_limit);
    pc->timeout = (int) conf_get_time("ipc_timeout");
}

/* RFC 5322 date as Postfix writes it: "Sat, 21 Nov 2026 12:14:02 +0000 (UTC)". */
static void pickup_date(VSTR *out, time_t when)
{
    struct tm tm;
    char buf[100];
    long off;
    size_t n;

    localtime_r(&when, &tm);
    off = tm.tm_gmtoff / 60;
    n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S ", &tm);
    buf[n] = 0;
    vstr_adds(out, buf);
    vstr_printf(out, "%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
    if (strftime(buf, sizeof(buf), " (%Z)", &tm) > 0)
        vstr_adds(out, buf);
}

/* A checked reader: every record passes the maildrop rules on every pass. */
typedef struct PICKUP_READ {
    QFILE_READER *r;
    MAILDROP_CHECK mc;
    long long line_len;     /* the content line being read */
    long long line_max;
} PICKUP_READ;

static void pickup_read_open(PICKUP_READ *pr, const PICKUP_CONF *pc, int fd, const char *name)
{
    (void) lseek(fd, 0, SEEK_SET);
    pr->r = qfile_reader_open(fd, name, QFILE_READ_RAW);
    qfile_reader_set_limit(pr->r, (size_t) pc->line_limit);
    maildrop_check_init(&pr->mc, pc->size_limit);
    pr->line_len = 0;
    pr->line_max = pc->size_limit > 0 ? pc->size_limit : PICKUP_LINE_MAX;
}

/*
 * The next record: 1 (use it), 2 (an attribute a user may not set: ignore
 * it), 0 after a valid end record and nothing after it, -1 with why set.
 */
static int pickup_read_next(PICKUP_READ *pr, QFILE_REC *rec, VSTR *why)
{
    const char *err;
    int st;

    if (maildrop_check_done(&pr->mc)) {
        if (qfile_read(pr->r, rec) == 0)
            return 0;
        vstr_set(why, "data after the end record");
        return -1;
    }
    if ((st = qfile_read(pr->r, rec)) <= 0) {
        vstr_sprintf(why, "%s", st < 0 ? qfile_reader_error(pr->r) : "file ends before its end");
        return -1;
    }
    switch (maildrop_check(&pr->mc, rec->type, rec->data, rec->len, &err)) {
    case MAILDROP_BAD:
        vstr_sprintf(why, "offset %ld: %s", rec->offset, err);
        return -1;
    case MAILDROP_SKIP:
        return 2;
    default:
        break;
    }
    if (rec->type == QREC_CONT || rec->type == QREC_NORM) {
        pr->line_len += (long long) rec->len;
        if (pr->line_len > pr->line_max) {
            vstr_sprintf(why, "offset %ld: line too long", rec->offset);
            return -1;
        }
        if (rec->type == QREC_NORM)
            pr->line_len = 0;
    }
    if (rec->type == QREC_MESG && pr->mc.times != 1) {
        vstr_set(why, "no arrival time record");
        return -1;
    }
    return 1;
}

/*
 * Pass 1: check the whole file before cleanup hears of it; fills in the
 * sender (for the log).
 */
static int pickup_check(const PICKUP_CONF *pc, int fd, const char *name, VSTR *sender,
                        VSTR *why)
{
    PICKUP_READ pr;
    QFILE_REC rec;
    int st;

    pickup_read_open(&pr, pc, fd, name);
    while ((st = pickup_read_next(&pr, &rec, why)) > 0)
        if (rec.type == QREC_FROM)
            vstr_set(sender, rec.data);
    qfile_reader_free(pr.r);
    return st;
}

/*
 * Pass 2: stream the file to cleanup, checking every record again (its
 * owner may have rewritten it since pass 1). 0, or -1 with why set: the
 * caller then aborts the cleanup request.
 */
/*
 * One content record (L, N or X) of a maildrop or requeued file: lines that
 * Postfix split into L pieces are joined and handed to cleanup whole; X ends
 * the content.
 */
static void pickup_content_rec(CLEANUP *c, const QFILE_REC *rec, VSTR *line, int *pending)
{
    switch (rec->type) {
    case QREC_CONT:
        vstr_addmem(line, rec->data, rec->len);
        *pending = 1;
        break;
    case QREC_NORM:
        vstr_addmem(line, rec->data, rec->len);
        cleanup_line(c, vstr_str(line), vstr_len(line));
        vstr_reset(line);
        *pending = 0;
        break;
    case QREC_XTRA:
        if (*pending)
            cleanup_line(c, vstr_str(line), vstr_len(line));
        vstr_reset(line);
        *pending = 0;
        cleanup_content_end(c);
        break;
    }
}

static int pickup_send(const PICKUP_CONF *pc, CLEANUP *c, int fd, const char *name,
                       const struct stat *st, VSTR *why)
{
    PICKUP_READ pr;
    QFILE_REC rec;
    VSTR *line = vstr_new(1024);
    int notify = 0;
    int after_content = 0;
    int pending = 0;      /* line holds L pieces */
    int have_context = 0; /* the file named a rewrite_context */
    int res;

    pickup_read_open(&pr, pc, fd, name);
    while ((res = pickup_read_next(&pr, &rec, why)) > 0) {
        if (res == 2)
            continue; /* an attribute a user may not set */
        if (after_content && rec.type != QREC_RCPT
            && !(rec.type == QREC_ATTR && strncmp(rec.data, "notify_flags=", 13) == 0))
            continue; /* the extracted segment: only recipients and their flags */
        switch (rec.type) {
        case QREC_TIME: {
            long sec = 0, usec = 0;

            if (sscanf(rec.data, "%ld %ld", &sec, &usec) == 2)
                cleanup_time(c, sec, usec);
            break;
        }
        case QREC_FULL:
            cleanup_full_name(c, rec.data);
            break;
        case QREC_FROM:
            cleanup_sender(c, rec.data);
            break;
        case QREC_ATTR: {
            char *copy = mem_strndup(rec.data, rec.len);
            char *eq = strchr(copy, '=');

            if (eq == NULL)
                msg_panic("pickup_send: attribute passed the check without '='");
            *eq++ = 0;
            if (strcmp(copy, "notify_flags") == 0) {
                notify = atoi(eq);
            } else {
                if (strcmp(copy, "rewrite_context") == 0)
                    have_context = 1;
                cleanup_attr(c, copy, eq);
            }
            mem_free(copy);
            break;
        }
        case QREC_RCPT:
            cleanup_rcpt(c, rec.data, rec.data, NULL, notify);
            notify = 0;
            break;
        case QREC_MESG:
            if (!have_context)
                cleanup_attr(c, "rewrite_context", "local");
            cleanup_content_begin(c);
            vstr_sprintf(line, "Received: by %s (%s, from userid %ld)", pc->myhostname,
                         pc->mail_name, (long) st->st_uid);
            cleanup_line(c, vstr_str(line), vstr_len(line));
            vstr_reset(line);
            vstr_sprintf(line, "\tid %s; ", cleanup_queue_id(c));
            pickup_date(line, st->st_mtime);
            cleanup_line(c, vstr_str(line), vstr_len(line));
            vstr_reset(line);
            break;
        case QREC_CONT:
        case QREC_NORM:
        case QREC_XTRA:
            pickup_content_rec(c, &rec, line, &pending);
            after_content |= rec.type == QREC_XTRA; /* recipients after it: extracted */
            break;
        default:
            break;
        }
    }
    qfile_reader_free(pr.r);
    vstr_free(line);
    return res;
}

/*
 * A queue file that postsuper -r moved into maildrop/: owned by mail_owner
 * (pickup's own uid), which no user can make, so it is trusted as cleanup
 * wrote it. It goes to cleanup again: the envelope attributes, the
 * recipients not yet done (with their original recipient and DSN
 * attributes), the content as it is (no Received: line), then the
 * recipients of the extracted segment. 0, or -1 with why set (a damaged
 * file: the caller aborts the request and moves the file to corrupt/).
 */
static int pickup_send_queued(const PICKUP_CONF *pc, CLEANUP *c, int fd, const char *name,
                              VSTR *why)
{
    QFILE_READER *r;
    QFILE_REC rec;
    VSTR *line = vstr_new(1024), *orig = vstr_new(0), *orcpt = vstr_new(0);
    int notify = 0, pending = 0, have_context = 0, st;

    (void) lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, name, QFILE_READ_FOLLOW);
    qfile_reader_set_limit(r, (size_t) pc->line_limit);
    while ((st = qfile_read(r, &rec)) > 0) {
        switch (rec.type) {
        case QREC_TIME: {
            long sec = 0, usec = 0;

            if (sscanf(rec.data, "%ld %ld", &sec, &usec) >= 1)
                cleanup_time(c, sec, usec);
            break;
        }
        case QREC_FULL:
            cleanup_full_name(c, rec.data);
            break;
        case QREC_FROM:
            cleanup_sender(c, rec.data);
            break;
        case QREC_ATTR: {
            char *copy = mem_strndup(rec.data, rec.len);
            char *eq = strchr(copy, '=');

            if (eq != NULL && eq != copy) {
                *eq++ = 0;
                if (strcmp(copy, "notify_flags") == 0)
                    notify = atoi(eq);
                else if (strcmp(copy, "dsn_orig_rcpt") == 0)
                    vstr_set(orcpt, eq);
                else {
                    if (strcmp(copy, "rewrite_context") == 0)
                        have_context = 1;
                    cleanup_attr(c, copy, eq);
                }
            }
            mem_free(copy);
            break;
        }
        case QREC_ORCP:
            vstr_set(orig, rec.data);
            break;
        case QREC_RCPT:
        case QREC_DONE:
        case QREC_DRCP:
            if (rec.type == QREC_RCPT)
                cleanup_rcpt(c, rec.data, vstr_len(orig) ? vstr_str(orig) : rec.data,
                             vstr_len(orcpt) ? vstr_str(orcpt) : NULL, notify);
            /* the next recipient starts afresh */
            notify = 0;
            vstr_reset(orig);
            vstr_reset(orcpt);
            break;
        case QREC_MESG:
            if (!have_context)
                cleanup_attr(c, "rewrite_context", "local");
            cleanup_content_begin(c);
            break;
        case QREC_CONT:
        case QREC_NORM:
        case QREC_XTRA:
            pickup_content_rec(c, &rec, line, &pending);
            break;
        default:
            break; /* size, warning time, padding...: cleanup makes its own */
        }
    }
    if (st < 0)
        vstr_set(why, qfile_reader_error(r));
    qfile_reader_free(r);
    vstr_free(line);
    vstr_free(orig);
    vstr_free(orcpt);
    return st;
}

/* A requeued file that cannot be read goes to corrupt/, never deleted. */
static void pickup_corrupt(const char *id, const char *path)
{
    VSTR *to = vstr_new(0);

    vstr_sprintf(to, "corrupt/%s", id);
    if (rename(path, vstr_str(to)) < 0)
        msg_warn("%s: move %s to %s: %m", id, path, vstr_str(to));
    vstr_free(to);
}

/* A file that postsuper -r put into maildrop/ (see pickup_send_queued). */
static int pickup_requeued(const PICKUP_CONF *pc, int fd, const char *id, const char *path,
                           int flags)
{
    VSTR *why = vstr_new(0);
    CLEANUP *c;
    int status, res;

    if ((c = cleanup_open(pc->cleanup_path, flags, pc->timeout, why)) == NULL) {
        msg_warn("%s: %s", id, vstr_str(why));
        res = PICKUP_RETRY;
    } else if (pickup_send_queued(pc, c, fd, id, why) < 0) {
        msg_warn("%s: requeued file is damaged: %s: moved to corrupt/", id, vstr_str(why));
        cleanup_close(c); /* without finishing: cleanup aborts */
        pickup_corrupt(id, path);
        res = PICKUP_SKIP;
    } else {
        msg_info("%s: requeued as %s", id, cleanup_queue_id(c));
        if ((status = cleanup_finish(c, why)) == CLEANUP_STAT_OK) {
            res = PICKUP_REMOVE;
        } else if (status & (CLEANUP_STAT_WRITE | CLEANUP_STAT_DEFER)) {
            msg_warn("%s: %s: %s", id, cleanup_stat_text(status), vstr_str(why));
            res = PICKUP_RETRY;
        } else {
            msg_warn("%s: requeued message rejected: %s%s%s: moved to corrupt/", id,
                     cleanup_stat_text(status), vstr_len(why) ? ": " : "", vstr_str(why));
            pickup_corrupt(id, path);
            res = PICKUP_SKIP;
        }
        cleanup_close(c);
    }
    vstr_free(why);
    return res;
}

/* One maildrop file. */
static int pickup_file(const PICKUP_CONF *pc, const char *id)
{
    VSTR *path = vstr_new(0), *why = vstr_new(0), *sender = vstr_new(0);
    struct stat st;
    CLEANUP *c;
    int fd, status, res;
    int flags = CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_FILTER | CLEANUP_FLAG_BCC_OK
                | CLEANUP_FLAG_MAP_OK | CLEANUP_FLAG_MILTER;

    vstr_sprintf(path, "maildrop/%s", id);
    if ((fd = open(vstr_str(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno == ELOOP) {
            msg_warn("%s: removing symbolic link", id);
            res = PICKUP_REMOVE;
        } else {
            if (errno != ENOENT)
                msg_warn("open %s: %m", vstr_str(path));
            res = PICKUP_SKIP;
        }
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        msg_warn("fstat %s: %m", vstr_str(path));
        res = PICKUP_SKIP;
    } else if (!S_ISREG(st.st_mode)) {
        msg_warn("%s: uid=%ld: removing: not a regular file", id, (long) st.st_uid);
        res = PICKUP_REMOVE;
    } else if (st.st_nlink > 1) {
        msg_warn("%s: uid=%ld: removing: file has %ld links", id, (long) st.st_uid,
                 (long) st.st_nlink);
        res = PICKUP_REMOVE;
    } else if ((st.st_mode & S_IXUSR) == 0) {
        res = PICKUP_SKIP; /* postdrop is still writing it */
    } else if (st.st_uid == getuid()) {
        res = pickup_requeued(pc, fd, id, vstr_str(path), flags);
    } else if (pickup_check(pc, fd, id, sender, why) < 0) {
        msg_warn("%s: uid=%ld: removing malformed maildrop file: %s", id, (long) st.st_uid,
                 vstr_str(why));
        res = PICKUP_REMOVE;
    } else if ((c = cleanup_open(pc->cleanup_path, flags, pc->timeout, why)) == NULL) {
        msg_warn("%s: %s", id, vstr_str(why));
        res = PICKUP_RETRY;
    } else {
        msg_info("%s: uid=%ld from=<%s>", cleanup_queue_id(c), (long) st.st_uid,
                 vstr_str(sender));
        if (pickup_send(pc, c, fd, id, &st, why) < 0) {
            /* Changed since pass 1: closing without finishing aborts. */
            msg_warn("%s: uid=%ld: removing malformed maildrop file: %s", id,
                     (long) st.st_uid, vstr_str(why));
            res = PICKUP_REMOVE;
        } else if ((status = cleanup_finish(c, why)) == CLEANUP_STAT_OK) {
            res = PICKUP_REMOVE;
        } else if (status & (CLEANUP_STAT_WRITE | CLEANUP_STAT_DEFER)) {
            msg_warn("%s: uid=%ld: %s: %s", id, (long) st.st_uid, cleanup_stat_text(status),
                     vstr_str(why));
            res = PICKUP_RETRY;
        } else {
            msg_warn("%s: uid=%ld: message rejected: %s%s%s", id, (long) st.st_uid,
                     cleanup_stat_text(status), vstr_len(why) ? ": " : "", vstr_str(why));
            res = PICKUP_REMOVE;
        }
        cleanup_close(c);
    }
    close(fd);
out:
    if (res == PICKUP_REMOVE && unlink(vstr_str(path)) < 0 && errno != ENOENT)
        msg_warn("remove %s: %m", vstr_str(path));
    vstr_free(path);
    vstr_free(why);
    vstr_free(sender);
    return res;
}

/* Scan maildrop/ until a pass finds nothing more to do. */
static void pickup_trigger(SERVER *srv, const char *buf, size_t len)
{
    const PICKUP_CONF *pc = srv->context;
    int progress, pass;

    (void) buf;
    (void) len;
    for (pass = 0, progress = 1; progress && pass < 100; pass++) {
        DIR *dir = opendir("maildrop");
        struct dirent *de;

        progress = 0;
        if (dir == NULL) {
            msg_warn("open maildrop: %m");
            return;
        }
        while ((de = readdir(dir)) != NULL) {
            int res;

            if (!queue_id_valid(de->d_name))
                continue; /* ".", "..", postdrop's temporary names */
            res = pickup_file(pc, de->d_name);
            if (res == PICKUP_RETRY) {
                closedir(dir);
                return;
            }
            if (res != PICKUP_SKIP)
                progress = 1;
        }
        closedir(dir);
    }
}

static void pickup_exit(SERVER *srv)
{
    PICKUP_CONF *pc = srv->context;

    mem_free(pc->cleanup_path);
    mem_free(pc->myhostname);
    mem_free(pc->mail_name);
}

int main(int argc, char **argv)
{
    static PICKUP_CONF conf;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = pickup_pre_jail;
    ops.trigger = pickup_trigger;
    ops.on_exit = pickup_exit;
    ops.context = &conf;
    server_trigger_main(argc, argv, &ops);
}
