/* tablefile - locking, atomic rebuilds and NUL conventions; see tablefile.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "tablefile.h"

#define LOCK_TRIES 20   /* a target replaced under us this often: give up */

int tablefile_lock(int fd, int how)
{
    int base = how & ~TABLEFILE_POSIX;

    if (how & TABLEFILE_POSIX) {
        struct flock fl;

        memset(&fl, 0, sizeof(fl));
        fl.l_type = base == TABLEFILE_SHARED ? F_RDLCK : base == TABLEFILE_EXCLUSIVE ? F_WRLCK
                                                                                    : F_UNLCK;
        fl.l_whence = SEEK_SET;
        while (fcntl(fd, F_SETLKW, &fl) < 0) {
            if (errno != EINTR)
                return -1;
        }
        return 0;
    }
    while (flock(fd, base == TABLEFILE_SHARED ? LOCK_SH : base == TABLEFILE_EXCLUSIVE ? LOCK_EX
                                                                                     : LOCK_UN) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/*
 * Lock the file at path as it is now: after the lock is granted, make sure
 * the name still refers to the locked inode (another writer may have renamed
 * a new file over it meanwhile). Returns the descriptor, -1 with errno.
 */
static int lock_current(const char *path, int oflags, int how)
{
    struct stat fst, pst;
    int fd, tries;

    for (tries = 0; tries < LOCK_TRIES; tries++) {
        if ((fd = open(path, oflags | O_CLOEXEC, 0644)) < 0)
            return -1;
        if (tablefile_lock(fd, how) < 0 || fstat(fd, &fst) < 0) {
            int saved = errno;

            close(fd);
            errno = saved;
            return -1;
        }
        if (stat(path, &pst) == 0 && pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino)
            return fd;
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

int tablefile_open_locked(const char *path, int create, int style, VSTR *why)
{
    int fd = lock_current(path, O_RDWR | (create ? O_CREAT : 0), TABLEFILE_EXCLUSIVE | style);

    if (fd < 0)
        vstr_sprintf(why, "open %s: %s", path, strerror(errno));
    return fd;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return mem_strdup(".");
    if (slash == path)
        return mem_strdup("/");
    return mem_strndup(path, (size_t) (slash - path));
}

TABLEFILE_BUILD *tablefile_build_begin(const char *path, int flags, int style, VSTR *why)
{
    TABLEFILE_BUILD *tb;
    const char *slash = strrchr(path, '/');
    struct stat st;
    mode_t mask;
    int fd, have_target;

    tb = mem_calloc(1, sizeof(*tb));
    tb->lock_fd = -1;
    /* A symbolic link stays one: the new file replaces what it points to. */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if ((tb->path = realpath(path, NULL)) == NULL) {
            vstr_sprintf(why, "resolve %s: %s", path, strerror(errno));
            goto fail;
        }
        path = tb->path;
        slash = strrchr(path, '/');
    } else {
        tb->path = mem_strdup(path);
    }
    if (flags & TABLE_FLAG_LOCK) {
        /* An fcntl write lock needs a descriptor open for writing. */
        if ((tb->lock_fd = lock_current(path, (style & TABLEFILE_POSIX) ? O_RDWR : O_RDONLY,
                                        TABLEFILE_EXCLUSIVE | style)) < 0
            && errno != ENOENT) {
            vstr_sprintf(why, "lock %s: %s", path, strerror(errno));
            goto fail;
        }
    }
    have_target = stat(path, &st) == 0;

    /* The new file: ".BASE.XXXXXX" beside the target. */
    {
        VSTR *tmp = vstr_new(strlen(path) + 16);

        if (slash != NULL)
            vstr_addmem(tmp, path, (size_t) (slash - path + 1));
        vstr_printf(tmp, ".%s.XXXXXX", slash != NULL ? slash + 1 : path);
        tb->tmp_path = vstr_export(tmp);
    }
    if ((fd = mkostemp(tb->tmp_path, O_CLOEXEC)) < 0) {
        vstr_sprintf(why, "create %s: %s", tb->tmp_path, strerror(errno));
        mem_free(tb->tmp_path);
        tb->tmp_path = NULL;
        goto fail;
    }
    if (have_target) {
        /* Keep the table's owner and permissions, as an in-place rebuild would. */
        if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
            vstr_sprintf(why, "chown %s: %s", tb->tmp_path, strerror(errno));
            close(fd);
            goto fail;
        }
        mask = st.st_mode & 07777;
    } else {
        mask = umask(022);
        umask(mask);
        mask = 0644 & ~mask;
    }
    if (fchmod(fd, mask) < 0) {
        vstr_sprintf(why, "chmod %s: %s", tb->tmp_path, strerror(errno));
        close(fd);
        goto fail;
    }
    close(fd);
    return tb;

fail:
    tablefile_build_discard(tb);
    return NULL;
}

int tablefile_build_commit(TABLEFILE_BUILD *tb, VSTR *why)
{
    int fd, ok = 0;
    char *dir;

    if (tb->discarded) {
        tablefile_build_discard(tb);
        return 0;
    }
    if ((fd = open(tb->tmp_path, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) < 0) {
        vstr_sprintf(why, "fsync %s: %s", tb->tmp_path, strerror(errno));
    } else if (rename(tb->tmp_path, tb->path) < 0) {
        vstr_sprintf(why, "rename %s to %s: %s", tb->tmp_path, tb->path, strerror(errno));
    } else {
        ok = 1;
    }
    if (fd >= 0)
        close(fd);
    if (!ok) {
        tablefile_build_discard(tb);
        return -1;
    }
    /* Make the rename itself durable. */
    dir = dir_of(tb->path);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        if (fsync(fd) < 0 && errno != EINVAL)
            ok = 0;
        close(fd);
    }
    if (!ok)
        vstr_sprintf(why, "fsync %s: %s", dir, strerror(errno));
    mem_free(dir);
    mem_free(tb->tmp_path);
    tb->tmp_path = NULL;
    tablefile_build_discard(tb);
    return ok ? 0 : -1;
}

void tablefile_build_discard(TABLEFILE_BUILD *tb)
{
    if (tb == NULL)
        return;
    if (tb->tmp_path != NULL)
        (void) unlink(tb->tmp_path);
    if (tb->lock_fd >= 0)
        close(tb->lock_fd);
    mem_free(tb->tmp_path);
    mem_free(tb->path);
    mem_free(tb);
}

void tablefile_discard(TABLE *t)
{
    TABLEFILE *tf = (TABLEFILE *) t;

    if (t == NULL || t->mode != TABLE_CREATE || t->type == NULL)
        return;
    if (strcmp(t->type, "hash") != 0 && strcmp(t->type, "btree") != 0
        && strcmp(t->type, "lmdb") != 0 && strcmp(t->type, "cdb") != 0)
        return;
    if (tf->build != NULL && tf->build->tmp_path != NULL) {
        (void) unlink(tf->build->tmp_path);
        tf->build->discarded = 1;
    }
}

int tablefile_nul_order(int flags, int order[2])
{
    int n = 0;

    if ((flags & (TABLE_FLAG_TRY0NULL | TABLE_FLAG_TRY1NULL)) == 0)
        flags |= TABLE_FLAG_TRY0NULL | TABLE_FLAG_TRY1NULL;
    if (flags & TABLE_FLAG_TRY1NULL)
        order[n++] = 1;
    if (flags & TABLE_FLAG_TRY0NULL)
        order[n++] = 0;
    return n;
}

int tablefile_nul_found(int flags, int with_nul)
{
    if ((flags & (TABLE_FLAG_TRY0NULL | TABLE_FLAG_TRY1NULL)) == 0)
        flags |= TABLE_FLAG_TRY0NULL | TABLE_FLAG_TRY1NULL;
    return flags & ~(with_nul ? TABLE_FLAG_TRY0NULL : TABLE_FLAG_TRY1NULL);
}

int tablefile_nul_write(int flags)
{
    return (flags & TABLE_FLAG_TRY1NULL) || !(flags & TABLE_FLAG_TRY0NULL);
}

const char *tablefile_copy(VSTR *buf, const void *data, size_t len)
{
    if (len > 0 && ((const char *) data)[len - 1] == 0)
        len--;
    vstr_reset(buf);
    vstr_addmem(buf, data, len);
    return vstr_str(buf);
}
