/*
 * dotlock - name.lock files. See dotlock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dotlock.h"
#include "msg.h"

void dotlock_sleep_ms(long ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

#define DOTLOCK_FIRST_STEP_MS 5

void dotlock_wait_init(DOTLOCK_WAIT *w, int attempts, long delay_ms)
{
    if (attempts < 1)
        attempts = 1;
    w->cap_ms = delay_ms > 0 ? delay_ms : 0;
    w->left_ms = (long long)(attempts - 1) * w->cap_ms;
    w->step_ms = w->cap_ms < DOTLOCK_FIRST_STEP_MS ? w->cap_ms : DOTLOCK_FIRST_STEP_MS;
    w->tries_left = attempts - 1;
}

int dotlock_wait_next(DOTLOCK_WAIT *w)
{
    long ms;

    if (w->cap_ms == 0) {
        if (w->tries_left <= 0)
            return 0;
        w->tries_left--;
        return 1;
    }
    if (w->left_ms <= 0)
        return 0;
    ms = (long long)w->step_ms < w->left_ms ? w->step_ms : (long)w->left_ms;
    dotlock_sleep_ms(ms);
    w->left_ms -= ms;
    if (w->step_ms < w->cap_ms)
        w->step_ms = w->step_ms > w->cap_ms / 2 ? w->cap_ms : w->step_ms * 2;
    return 1;
}

int dotlock_acquire(const char *path, int attempts, long delay_ms, long stale_time, VSTR *why)
{
    VSTR *lock = vstr_new(strlen(path) + 6);
    struct stat st;
    DOTLOCK_WAIT w;
    int fd, err = 0;

    vstr_sprintf(lock, "%s.lock", path);
    dotlock_wait_init(&w, attempts, delay_ms);
    for (;;) {
        fd = open(vstr_str(lock), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST && stale_time >= 0 && lstat(vstr_str(lock), &st) == 0
            && time(NULL) > st.st_mtime + stale_time) {
            /* A lock left by a crashed program: remove it, try at once. */
            if (unlink(vstr_str(lock)) == 0)
                msg_warn("removed stale lock file %s", vstr_str(lock));
            fd = open(vstr_str(lock), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        }
        if (fd >= 0) {
            (void)close(fd);
            vstr_free(lock);
            return 0;
        }
        err = errno;
        if (err != EEXIST || !dotlock_wait_next(&w))
            break;
    }
    if (why)
        vstr_sprintf(why, "unable to create lock file %s: %s", vstr_str(lock), strerror(err));
    vstr_free(lock);
    errno = err == EEXIST ? EAGAIN : err;
    return -1;
}

int dotlock_release(const char *path)
{
    VSTR *lock = vstr_new(strlen(path) + 6);
    int ret;

    vstr_sprintf(lock, "%s.lock", path);
    ret = unlink(vstr_str(lock));
    if (ret < 0)
        msg_warn("remove lock file %s: %s", vstr_str(lock), strerror(errno));
    vstr_free(lock);
    return ret;
}
