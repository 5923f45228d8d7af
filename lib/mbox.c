/*
 * mbox - append a message to a UNIX mailbox file. See mbox.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dotlock.h"
#include "mbox.h"
#include "mem.h"
#include "msg.h"

struct MBOX {
    char *path;
    int fd;
    int dotlocked;
    int done;           /* finished or aborted */
    off_t orig_size;
    MAILBOX_OPTS opts;
    MAILBOX_OUT out;
};

void mbox_from_line(VSTR *out, const char *sender, time_t t)
{
    struct tm tm;
    char date[64];

    if (localtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(date, sizeof(date), "Thu Jan  1 00:00:00 1970");
    vstr_printf(out, "From %s  %s\n", sender && *sender ? sender : "MAILER-DAEMON", date);
}

static void mbox_fail(const char *path, const MAILBOX_OPTS *opts, MAILBOX_STATUS *st,
                      int err, const char *reason)
{
    if (opts->user)
        mailbox_status_set(st, err, opts->def_dsn, "cannot update mailbox %s for user %s. %s",
                           path, opts->user, reason);
    else
        mailbox_status_set(st, err, opts->def_dsn, "cannot update mailbox %s. %s", path, reason);
}

/* Open or create path safely; -1 with reason and errno. */
static int mbox_safe_open(const char *path, const MAILBOX_OPTS *opts, VSTR *why)
{
    struct stat fst, lst;
    int fd = -1, tries, created = 0, err;

    for (tries = 0; tries < 3 && fd < 0; tries++) {
        fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            break;
        err = errno;
        if (err == ELOOP) {
            vstr_sprintf(why, "file is a symbolic link");
            errno = err;
            return -1;
        }
        if (err != ENOENT) {
            vstr_sprintf(why, "cannot open file: %s", strerror(err));
            errno = err;
            return -1;
        }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            created = 1;
            break;
        }
        err = errno;
        if (err != EEXIST) {
            vstr_sprintf(why, "cannot create file exclusively: %s", strerror(err));
            errno = err;
            return -1;
        }
    }
    if (fd < 0) {
        vstr_sprintf(why, "cannot open file: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &fst) < 0) {
        err = errno;
        vstr_sprintf(why, "cannot fstat file: %s", strerror(err));
        goto fail;
    }
    if (!S_ISREG(fst.st_mode)) {
        err = EPERM;
        vstr_sprintf(why, "file is not a regular file");
        goto fail;
    }
    if (fst.st_nlink != 1) {
        err = EPERM;
        vstr_sprintf(why, "file has %lu hard links", (unsigned long)fst.st_nlink);
        goto fail;
    }
    if (lstat(path, &lst) < 0 || lst.st_dev != fst.st_dev || lst.st_ino != fst.st_ino) {
        err = EPERM;
        vstr_sprintf(why, "file status changed unexpectedly");
        goto fail;
    }
    if (created && (opts->uid != (uid_t)-1 || opts->gid != (gid_t)-1)
        && fchown(fd, opts->uid, opts->gid) < 0) {
        err = errno;
        vstr_sprintf(why, "cannot change file ownership: %s", strerror(err));
        (void)unlink(path);
        goto fail;
    }
    if (fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0) {
        err = errno;
        vstr_sprintf(why, "cannot set file flags: %s", strerror(err));
        goto fail;
    }
    return fd;

fail:
    (void)close(fd);
    errno = err;
    return -1;
}

/* One kernel lock method, retried at dotlock_wait_next()'s pace; 0 or -1 with errno. */
static int mbox_kernel_lock(int fd, int method, const MAILBOX_OPTS *opts)
{
    DOTLOCK_WAIT w;

    dotlock_wait_init(&w, opts->lock_attempts, opts->lock_delay_ms);
    for (;;) {
        int ret;

        if (method == MAILBOX_LOCK_FCNTL) {
            struct flock fl;

            memset(&fl, 0, sizeof(fl));
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            ret = fcntl(fd, F_SETLK, &fl);
        } else {
            ret = flock(fd, LOCK_EX | LOCK_NB);
        }
        if (ret == 0)
            return 0;
        if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (!dotlock_wait_next(&w))
            break;
    }
    errno = EAGAIN;
    return -1;
}

static void mbox_free(MBOX *mb)
{
    if (mb->fd >= 0)
        (void)close(mb->fd);            /* releases fcntl and flock locks */
    if (mb->dotlocked)
        (void)dotlock_release(mb->path);
    mailbox_out_free(&mb->out);
    mem_free(mb->path);
    mem_free(mb);
}

MBOX *mbox_open(const char *path, const MAILBOX_OPTS *opts, MAILBOX_STATUS *st)
{
    MBOX *mb = mem_calloc(1, sizeof(*mb));
    VSTR *why = vstr_new(128);
    struct stat fst;
    int err;

    mb->path = mem_strdup(path);
    mb->opts = *opts;
    mb->fd = -1;
    if ((mb->fd = mbox_safe_open(path, opts, why)) < 0) {
        err = errno;
        goto fail;
    }
    if (opts->lock_flags & MAILBOX_LOCK_DOTLOCK) {
        if (dotlock_acquire(path, opts->lock_attempts, opts->lock_delay_ms,
                            opts->stale_lock_time, why) == 0) {
            mb->dotlocked = 1;
        } else if (errno == EAGAIN || !opts->dotlock_may_fail) {
            err = errno;
            goto fail;
        } else if (msg_verbose) {
            msg_info("%s (continuing without it)", vstr_str(why));
        }
    }
    if (((opts->lock_flags & MAILBOX_LOCK_FCNTL) && mbox_kernel_lock(mb->fd, MAILBOX_LOCK_FCNTL, opts) < 0)
        || ((opts->lock_flags & MAILBOX_LOCK_FLOCK) && mbox_kernel_lock(mb->fd, MAILBOX_LOCK_FLOCK, opts) < 0)) {
        err = errno;
        vstr_sprintf(why, "unable to lock for exclusive access: %s", strerror(err));
        goto fail;
    }
    if (fstat(mb->fd, &fst) < 0) {
        err = errno;
        vstr_sprintf(why, "cannot fstat file: %s", strerror(err));
        goto fail;
    }
    mb->orig_size = fst.st_size;
    mailbox_out_init(&mb->out, mb->fd, mb->orig_size, opts->size_limit, 1);
    {
        VSTR *from = vstr_new(128);

        mbox_from_line(from, opts->sender, opts->now ? opts->now : time(NULL));
        mailbox_out_raw(&mb->out, vstr_str(from), vstr_len(from));
        vstr_free(from);
    }
    mailbox_out_headers(&mb->out, opts);
    vstr_free(why);
    return mb;

fail:
    mbox_fail(path, opts, st, err, vstr_str(why));
    vstr_free(why);
    mbox_free(mb);
    return NULL;
}

MAILBOX_OUT *mbox_out(MBOX *mb)
{
    return &mb->out;
}

void mbox_write_line(MBOX *mb, const void *data, size_t len, int complete)
{
    mailbox_out_line(&mb->out, data, len, complete);
}

static void mbox_truncate(MBOX *mb)
{
    if (ftruncate(mb->fd, mb->orig_size) < 0)
        msg_warn("truncate mailbox %s back to %ld bytes: %s", mb->path,
                 (long)mb->orig_size, strerror(errno));
}

int mbox_finish(MBOX *mb, MAILBOX_STATUS *st)
{
    int err = 0;
    VSTR *why;

    if (mb->done)
        msg_panic("mbox_finish: %s: already finished", mb->path);
    mb->done = 1;
    mailbox_out_endline(&mb->out);
    mailbox_out_raw(&mb->out, "\n", 1);
    if (mailbox_out_flush(&mb->out) < 0 || fsync(mb->fd) < 0)
        err = errno;
    if (err == 0) {
        mailbox_status_ok(st, "delivered to mailbox");
    } else {
        why = vstr_new(128);
        vstr_sprintf(why, "error writing message: %s", strerror(err));
        mbox_truncate(mb);
        mbox_fail(mb->path, &mb->opts, st, err, vstr_str(why));
        vstr_free(why);
    }
    return st->status;
}

void mbox_abort(MBOX *mb)
{
    if (mb->done)
        msg_panic("mbox_abort: %s: already finished", mb->path);
    mb->done = 1;
    mbox_truncate(mb);
}

void mbox_close(MBOX *mb)
{
    if (!mb->done)
        mbox_truncate(mb);      /* neither finished nor aborted: nothing stays */
    mbox_free(mb);
}
