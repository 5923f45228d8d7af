/*
 * cleanup_out - the queue file of one request: the durability state table
 * of lib/qfile.h, steps 1 to 5, plus the wake-up of qmgr.
 *
 *   cleanup_out_create()  incoming/ID, mode 0600, via queue_id_enter()
 *   cleanup_out_put*()    records through the buffered writer (nothing is
 *                         written once the request has failed)
 *   cleanup_out_finish()  writes the rest, rewrites the size record, moves
 *                         a held message to hold/, sets the execute bit
 *                         (complete) and fsyncs the file once, fsyncs
 *                         incoming/ or hold/ when queue_directory_fsync
 *                         (only then may the client hear success), wakes
 *                         qmgr with one 'A' byte on public/qmgr (no qmgr is
 *                         no error: the file waits in incoming/), unless
 *                         its last wake-up from this process is still
 *                         unread (lib/trigger.h, trigger_send_kept())
 *   cleanup_out_remove()  removes the file (any failure, a discard, a client
 *                         that went away)
 * Error policy: write, fsync and rename failures are logged and become
 * CLEANUP_STAT_WRITE; the caller then removes the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "msg.h"
#include "trigger.h"

#define CLEANUP_INCOMING "incoming"
#define CLEANUP_HOLD     "hold"

int cleanup_out_create(CLEANUP_STATE *st)
{
    st->fd = queue_id_enter(CLEANUP_INCOMING, st->conf->long_ids, st->queue_id, st->path);
    if (st->fd < 0) {
        msg_warn("create file in %s/: %m", CLEANUP_INCOMING);
        return -1;
    }
    st->w = qfile_writer_new(st->fd, vstr_str(st->path), QFILE_WRITE_SIZE);
    qfile_writer_set_line_limit(st->w, st->conf->line_limit);
    return 0;
}

void cleanup_out_put(CLEANUP_STATE *st, int type, const void *data, size_t len)
{
    if (st->status != CLEANUP_STAT_OK || st->w == NULL)
        return;
    qfile_put(st->w, type, data, len);
}

void cleanup_out_puts(CLEANUP_STATE *st, int type, const char *str)
{
    cleanup_out_put(st, type, str, strlen(str));
}

void cleanup_out_attr(CLEANUP_STATE *st, const char *name, const char *value)
{
    if (st->status != CLEANUP_STAT_OK || st->w == NULL)
        return;
    qfile_put_attr(st->w, name, value);
}

/* A content line of any length: L pieces of line_length_limit, then N. */
void cleanup_out_line(CLEANUP_STATE *st, const char *text, size_t len)
{
    if (st->status != CLEANUP_STAT_OK || st->w == NULL)
        return;
    qfile_put_line(st->w, text, len);
}

/*
 * fsync a queue directory. Its descriptor is opened on first use and kept
 * for the life of the process (the directory does not move under a
 * running cleanup; a reload starts new processes), which saves an open(2)
 * and a close(2) per message.
 */
static int cleanup_sync_dir(const char *dir)
{
    static int incoming_fd = -1, hold_fd = -1;
    int *cached = strcmp(dir, CLEANUP_INCOMING) == 0 ? &incoming_fd
                  : strcmp(dir, CLEANUP_HOLD) == 0   ? &hold_fd
                                                     : NULL;
    int fd, r;

    if (cached != NULL && *cached >= 0)
        return fsync(*cached);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    r = fsync(fd);
    if (cached != NULL && r == 0)
        *cached = fd;
    else
        close(fd);
    return r;
}

/*
 * One 'A' byte to qmgr; nobody listening is fine (mail waits in incoming/).
 * The connection is kept: while qmgr has not read the last one, that
 * trigger still wakes it after this file was complete, and none is sent
 * (trigger_send_kept()).
 */
static void cleanup_wake_qmgr(const char *path)
{
    static int kept = -1;

    (void) trigger_send_kept(&kept, path, "A", 1);
}

/*
 * qfile_mark_complete() without its fstat(2): cleanup made the file with
 * mode 0600 (queue_id_enter()), so complete is 0700, as Postfix makes it.
 */
static int cleanup_mark_complete(int fd)
{
    if (fchmod(fd, S_IRUSR | S_IWUSR | S_IXUSR) < 0)
        return -1;
    return fsync(fd);
}

int cleanup_out_finish(CLEANUP_STATE *st)
{
    const char *dir = CLEANUP_INCOMING;
    QFILE_SIZE size = {-1, -1, -1, -1, -1, -1};
    VSTR *held;

    size.qmgr_opts = st->qmgr_opts;
    size.smtputf8 = st->smtputf8;
    qfile_writer_set_size(st->w, &size);
    if (qfile_writer_finish(st->w) < 0) {
        msg_warn("%s: write queue file: %m", st->queue_id);
        return -1;
    }
    if (st->hold) {
        held = vstr_new(0);
        vstr_printf(held, "%s/%s", CLEANUP_HOLD, st->queue_id);
        if (rename(vstr_str(st->path), vstr_str(held)) < 0) {
            msg_warn("%s: rename %s to %s: %m", st->queue_id, vstr_str(st->path),
                     vstr_str(held));
            vstr_free(held);
            return -1;
        }
        vstr_set(st->path, vstr_str(held));
        vstr_free(held);
        dir = CLEANUP_HOLD;
    }
    /*
     * One fsync(2) makes both the records and the execute bit durable (as
     * Postfix does): a file whose execute bit reached the disk without its
     * records has no end record, and every reader sends such a file to
     * corrupt/; the client has not heard success by then.
     */
    if (cleanup_mark_complete(st->fd) < 0) {
        msg_warn("%s: write queue file: %m", st->queue_id);
        return -1;
    }
    if (st->conf->dir_fsync && cleanup_sync_dir(dir) < 0) {
        msg_warn("%s: fsync %s/: %m", st->queue_id, dir);
        return -1;
    }
    if (!st->hold)
        cleanup_wake_qmgr(st->conf->qmgr_path);
    return 0;
}

void cleanup_out_remove(CLEANUP_STATE *st)
{
    if (st->fd < 0)
        return;
    if (unlink(vstr_str(st->path)) < 0 && errno != ENOENT)
        msg_warn("%s: remove %s: %m", st->queue_id, vstr_str(st->path));
}
