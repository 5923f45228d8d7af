/*
 * maildir - deliver into a Maildir. See maildir.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "maildir.h"
#include "mem.h"
#include "msg.h"

#define MAILDIR_NAME_TRIES 100

struct MAILDIR {
    VSTR *dir;       /* without trailing slashes */
    VSTR *host;      /* sanitized host name */
    VSTR *tmp;       /* tmp/ path of the file */
    int fd;
    int done;        /* finished or aborted */
    struct timeval tv;
    MAILBOX_OPTS opts;
    MAILBOX_OUT out;
};

static void maildir_fail(MAILBOX_STATUS *st, const MAILBOX_OPTS *opts, int err,
                         const char *reason)
{
    mailbox_status_set(st, err, opts->def_dsn, "maildir delivery failed: %s", reason);
}

/* mkdir -p path with mode 0700; 0 or -1 with errno. */
static int maildir_mkdirs(const char *path)
{
    char *copy = mem_strdup(path);
    char *p = copy;
    int ret = 0;

    for (;;) {
        while (*p == '/')
            p++;
        p += strcspn(p, "/");
        {
            char save = *p;

            *p = 0;
            if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
                ret = -1;
                *p = save;
                break;
            }
            *p = save;
        }
        if (*p == 0)
            break;
    }
    if (ret == 0) {
        struct stat st;

        if (stat(path, &st) < 0)
            ret = -1;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            ret = -1;
        }
    }
    mem_free(copy);
    return ret;
}

static void maildir_hostname(VSTR *out, const char *name)
{
    char buf[256];
    const char *p;

    if (name == NULL) {
        if (gethostname(buf, sizeof(buf) - 1) < 0)
            snprintf(buf, sizeof(buf), "localhost");
        buf[sizeof(buf) - 1] = 0;
        name = buf;
    }
    for (p = name; *p; p++) {
        if (*p == '/')
            vstr_adds(out, "\\057");
        else if (*p == ':')
            vstr_adds(out, "\\072");
        else
            vstr_addch(out, *p);
    }
}

static void maildir_free(MAILDIR *md)
{
    if (md->fd >= 0)
        (void)close(md->fd);
    mailbox_out_free(&md->out);
    vstr_free(md->dir);
    vstr_free(md->host);
    vstr_free(md->tmp);
    mem_free(md);
}

/* tmp/, new/ and cur/ (and the parents); 0 or an errno with why. */
static int maildir_make_subdirs(const MAILDIR *md, VSTR *why)
{
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    VSTR *sub = vstr_new(128);
    size_t i;
    int err = 0;

    for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]) && err == 0; i++) {
        vstr_sprintf(sub, "%s/%s", vstr_str(md->dir), subdirs[i]);
        if (maildir_mkdirs(vstr_str(sub)) < 0) {
            err = errno;
            vstr_sprintf(why, "create maildir directory %s: %s", vstr_str(sub), strerror(err));
        }
    }
    vstr_free(sub);
    return err;
}

/* The tmp/ file, created exclusively; the fd or -1 with errno. */
static int maildir_create_tmp(MAILDIR *md)
{
    unsigned n;
    int fd = -1;

    for (n = 0; n < MAILDIR_NAME_TRIES; n++) {
        vstr_sprintf(md->tmp, "%s/tmp/%ld.M%ldp%ldq%u.%s", vstr_str(md->dir), (long)md->tv.tv_sec,
                     (long)md->tv.tv_usec, (long)getpid(), n, vstr_str(md->host));
        fd = open(vstr_str(md->tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    return fd;
}

MAILDIR *maildir_open(const char *dir, const MAILBOX_OPTS *opts, MAILBOX_STATUS *st)
{
    MAILDIR *md = mem_calloc(1, sizeof(*md));
    VSTR *why = vstr_new(128);
    int err = 0;

    md->fd = -1;
    md->opts = *opts;
    md->dir = vstr_new(strlen(dir));
    md->host = vstr_new(64);
    md->tmp = vstr_new(128);
    vstr_set(md->dir, dir);
    while (vstr_len(md->dir) > 1 && vstr_str(md->dir)[vstr_len(md->dir) - 1] == '/')
        vstr_truncate(md->dir, vstr_len(md->dir) - 1);
    maildir_hostname(md->host, opts->hostname);

    (void)gettimeofday(&md->tv, NULL);
    if (opts->now)
        md->tv.tv_sec = opts->now;
    /* The directories are made only when tmp/ is missing or not a folder
     * (or, in maildir_finish(), new/), which also names the culprit in the
     * error: an existing Maildir costs no mkdir calls. */
    if ((md->fd = maildir_create_tmp(md)) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        if ((err = maildir_make_subdirs(md, why)) != 0)
            goto fail;
        md->fd = maildir_create_tmp(md);
    }
    if (md->fd < 0) {
        err = errno;
        vstr_sprintf(why, "create maildir file %s: %s", vstr_str(md->tmp), strerror(err));
        goto fail;
    }
    mailbox_out_init(&md->out, md->fd, 0, opts->size_limit, 0);
    mailbox_out_headers(&md->out, opts);
    vstr_free(why);
    return md;

fail:
    maildir_fail(st, opts, err, vstr_str(why));
    vstr_free(why);
    maildir_free(md);
    return NULL;
}

MAILBOX_OUT *maildir_out(MAILDIR *md)
{
    return &md->out;
}

void maildir_write_line(MAILDIR *md, const void *data, size_t len, int complete)
{
    mailbox_out_line(&md->out, data, len, complete);
}

int maildir_finish(MAILDIR *md, MAILBOX_STATUS *st, VSTR *name)
{
    VSTR *why = vstr_new(128);
    VSTR *path = vstr_new(128);
    VSTR *newdir = vstr_new(128);
    struct stat fst;
    int err = 0, ret;

    if (md->done)
        msg_panic("maildir_finish: %s: already finished", vstr_str(md->tmp));
    md->done = 1;
    mailbox_out_endline(&md->out);
    if (mailbox_out_flush(&md->out) < 0 || fsync(md->fd) < 0) {
        err = errno;
        vstr_sprintf(why, "error writing message: %s", strerror(err));
    } else if (fstat(md->fd, &fst) < 0) {
        err = errno;
        vstr_sprintf(why, "fstat maildir file %s: %s", vstr_str(md->tmp), strerror(err));
    } else {
        vstr_sprintf(newdir, "%s/new", vstr_str(md->dir));
        vstr_sprintf(path, "%s/%ld.V%lxI%lxM%ld.%s", vstr_str(newdir), (long)md->tv.tv_sec,
                     (unsigned long)fst.st_dev, (unsigned long)fst.st_ino,
                     (long)md->tv.tv_usec, vstr_str(md->host));
        ret = link(vstr_str(md->tmp), vstr_str(path));
        if (ret < 0 && (errno == ENOENT || errno == ENOTDIR)) {
            /* new/ is missing: make it (and cur/), try once more */
            /* (on failure why names the directory that could not be made) */
            if ((err = maildir_make_subdirs(md, why)) == 0)
                ret = link(vstr_str(md->tmp), vstr_str(path));
        }
        if (ret < 0 && err == 0
            && !((errno == EPERM || errno == ENOTSUP || errno == ENOSYS)
                 && access(vstr_str(path), F_OK) < 0 && errno == ENOENT
                 && rename(vstr_str(md->tmp), vstr_str(path)) == 0)) {
            /* (a file system without hard links gets a rename instead) */
            err = errno;
            vstr_sprintf(why, "link to %s: %s", vstr_str(path), strerror(err));
        }
        /*
         * No fsync of new/: the file's data is on disk (fsync above) and the
         * link is a metadata change the file system journals; Postfix does
         * the same, and the done mark in the queue file that follows is not
         * fsynced either (deliver_sync_marks).
         */
    }
    if (unlink(vstr_str(md->tmp)) < 0 && errno != ENOENT)  /* ENOENT: renamed */
        msg_warn("remove %s: %s", vstr_str(md->tmp), strerror(errno));
    if (err) {
        maildir_fail(st, &md->opts, err, vstr_str(why));
    } else {
        mailbox_status_ok(st, "delivered to maildir");
        if (name)
            vstr_set(name, vstr_str(path));
    }
    vstr_free(why);
    vstr_free(path);
    vstr_free(newdir);
    return st->status;
}

void maildir_abort(MAILDIR *md)
{
    if (md->done)
        msg_panic("maildir_abort: %s: already finished", vstr_str(md->tmp));
    md->done = 1;
    if (unlink(vstr_str(md->tmp)) < 0)
        msg_warn("remove %s: %s", vstr_str(md->tmp), strerror(errno));
}

void maildir_close(MAILDIR *md)
{
    if (!md->done)
        maildir_abort(md);
    maildir_free(md);
}
