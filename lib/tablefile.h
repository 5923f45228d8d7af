/*
 * tablefile - what the file-based table types (hash:, btree:, lmdb:, cdb:)
 * share: locking, atomic rebuilds, and the trailing-NUL conventions.
 *
 * Locking is Postfix's, so both programs can work on the same files: an
 * exclusive lock on the database file itself while it is written, a shared
 * one around each read when the reader asked for TABLE_FLAG_LOCK. Postfix
 * uses flock(2) for Berkeley DB files and fcntl(2) record locks for LMDB
 * files: a type passes TABLEFILE_POSIX (OR'ed into "how", or as "style")
 * for the latter. fcntl locks belong to the process and vanish when it
 * closes any descriptor of the file; the LMDB type only closes its files at
 * the end. tablefile_lock() retries on EINTR and returns 0 or -1 with errno
 * set.
 *
 * Rebuilds (TABLE_CREATE) never truncate the live file. tablefile_build_begin()
 * locks the existing target (when there is one and TABLE_FLAG_LOCK is set,
 * in the given style, 0 or TABLEFILE_POSIX,
 * waiting for readers and other writers), creates a new file next to it
 * (".NAME.XXXXXX" in the same directory) with the target's mode and owner,
 * or 0644 less the umask for a new target. The type writes its database into
 * tb->tmp_path; tablefile_build_commit() fsyncs it, renames it over the
 * target, fsyncs the directory and drops the lock, so a reader sees the old
 * table or the new one, never a partial one. A target that is a symbolic
 * link stays one: the file it points to is replaced. tablefile_build_discard()
 * removes the new file and leaves the target alone; it is safe to call from
 * a fatal-error cleanup hook (it only unlinks). Both free the TABLEFILE_BUILD.
 * Errors are returned with the reason in why ("open /x.db: Permission
 * denied"); nothing here exits.
 *
 * Trailing NULs: tablefile_nul_order() says which variants a reader tries,
 * in order; tablefile_nul_found() narrows the flags to the variant that
 * matched, as Postfix does, so later lookups try only that one.
 * tablefile_nul_write() picks the one variant a writer uses.
 */
#ifndef POSTERN_TABLEFILE_H
#define POSTERN_TABLEFILE_H

#include <sys/types.h>

#include "table.h"
#include "vstr.h"

#define TABLEFILE_SHARED    1
#define TABLEFILE_EXCLUSIVE 2
#define TABLEFILE_UNLOCK    3
#define TABLEFILE_POSIX     0x10    /* fcntl(2) record lock, not flock(2) */

typedef struct TABLEFILE_BUILD {
    char *path;         /* the target, e.g. /etc/postfix/virtual.db */
    char *tmp_path;     /* the new file being written */
    int lock_fd;        /* the locked target, or -1 */
    int discarded;      /* tablefile_discard() was called: never commit */
} TABLEFILE_BUILD;

int tablefile_lock(int fd, int how);

TABLEFILE_BUILD *tablefile_build_begin(const char *path, int flags, int style, VSTR *why);
int tablefile_build_commit(TABLEFILE_BUILD *tb, VSTR *why);
void tablefile_build_discard(TABLEFILE_BUILD *tb);

/* Fills order[0..1] with 1 (with NUL) and/or 0 (without); returns the count. */
int tablefile_nul_order(int flags, int order[2]);
int tablefile_nul_found(int flags, int with_nul);
int tablefile_nul_write(int flags);

/* Copy a stored key or value into buf without a trailing NUL. */
const char *tablefile_copy(VSTR *buf, const void *data, size_t len);

/* Open path O_RDWR (creating it when create is set) and lock it exclusively. */
int tablefile_open_locked(const char *path, int create, int style, VSTR *why);

/*
 * The types' structures start with this, so a program that rebuilds a table
 * can throw the half-built file away from its fatal-error hook:
 * tablefile_discard(t) unlinks the new file of a TABLE_CREATE table of one of
 * these types and does nothing for anything else. It does not free t; a
 * later table_close(t) then releases it without touching the target.
 */
typedef struct TABLEFILE {
    TABLE t;
    TABLEFILE_BUILD *build;     /* TABLE_CREATE only */
} TABLEFILE;

void tablefile_discard(TABLE *t);

#endif
