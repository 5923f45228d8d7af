/*
 * table - lookup tables named "type:name", Postfix's dict(3) in spirit.
 *
 * Types: hash:, btree: (Berkeley DB 5.3, file name.db), lmdb: (name.lmdb),
 * cdb: (name.cdb), texthash:, inline:{ k=v, ... }, static:value, regexp:,
 * pcre:, unix:passwd.byname. Each type is a small implementation of the
 * methods below in its own table_<type>.c; table.c holds the registry and
 * the generic wrappers.
 *
 * Usage:
 *   VSTR *why = vstr_new(0);
 *   TABLE *t = table_open("hash:/etc/postfix/virtual", TABLE_READ,
 *                         TABLE_FLAGS_READ, why);
 *   if (t == NULL) msg_fatal("%s", vstr_str(why));
 *   value = table_lookup(t, "user@example.com");
 *   if (value == NULL && t->error != TABLE_OK) ... temporary/config error
 *   table_close(t);
 * A returned value stays valid until the next call on the same table.
 *
 * Keys: with TABLE_FLAG_FOLD the wrappers lower-case the key of fixed-string
 * tables (TABLE_PROP_FIXED) before lookup, update and remove, as Postfix
 * does; pattern tables see the key as given and fold per their own flags.
 * Berkeley DB, LMDB and CDB files store keys and values with a trailing NUL
 * (TABLE_FLAG_TRY1NULL) or without (TABLE_FLAG_TRY0NULL); a reader with both
 * flags tries both and keeps using the one that matched, so files written by
 * Postfix on any system are read.
 *
 * Duplicates on update: by default the first entry wins and update()
 * returns 1 after warning 'duplicate entry: "key"'; TABLE_FLAG_DUP_REPLACE
 * replaces silently, TABLE_FLAG_DUP_IGNORE keeps the first silently.
 *
 * Change detection: a table opened for reading from a file is re-opened by
 * the wrappers when the file's inode or modification time changes (checked at
 * most once a second), so a long-running daemon sees what postmap rebuilt.
 *
 * Errors: table_open() returns NULL with the reason in why (the caller
 * decides whether that is fatal); lookups return NULL and set t->error to
 * TABLE_ERR_RETRY (try again later: a lock, an I/O error) or
 * TABLE_ERR_CONFIG (a broken table); a method a type does not have fails
 * with TABLE_ERR_CONFIG and a warning. Nothing here exits the process.
 */
#ifndef POSTERN_TABLE_H
#define POSTERN_TABLE_H

#include <sys/types.h>
#include <time.h>

#include "vstr.h"

/* Open modes. */
#define TABLE_READ   0      /* lookups and sequence only */
#define TABLE_CREATE 1      /* create or truncate, then update (postmap build) */
#define TABLE_WRITE  2      /* open (create if missing) for update and remove */

/* Flags. */
#define TABLE_FLAG_FOLD        (1 << 0)  /* lower-case keys of fixed tables */
#define TABLE_FLAG_TRY0NULL    (1 << 1)  /* keys/values without trailing NUL */
#define TABLE_FLAG_TRY1NULL    (1 << 2)  /* keys/values with trailing NUL */
#define TABLE_FLAG_DUP_REPLACE (1 << 3)  /* update replaces an existing key */
#define TABLE_FLAG_DUP_IGNORE  (1 << 4)  /* keep the first, do not warn */
#define TABLE_FLAG_LOCK        (1 << 5)  /* exclusive lock while writing */
#define TABLE_FLAG_NO_REOPEN   (1 << 6)  /* never re-open on change */

#define TABLE_FLAGS_READ  (TABLE_FLAG_FOLD | TABLE_FLAG_TRY0NULL | TABLE_FLAG_TRY1NULL)
#define TABLE_FLAGS_BUILD (TABLE_FLAG_FOLD | TABLE_FLAG_TRY1NULL | TABLE_FLAG_LOCK)

/* Properties of a type. */
#define TABLE_PROP_FIXED   (1 << 0)  /* exact-match keys (fold applies) */
#define TABLE_PROP_PATTERN (1 << 1)  /* regexp-like keys */

/* t->error values. */
#define TABLE_OK          0
#define TABLE_ERR_RETRY   (-1)
#define TABLE_ERR_CONFIG  (-2)

/* table_sequence() "how". */
#define TABLE_SEQ_FIRST 0
#define TABLE_SEQ_NEXT  1

typedef struct TABLE TABLE;

struct TABLE {
    /* Set by table_alloc(); read-only for callers. */
    char *spec;             /* "hash:/etc/postfix/virtual" */
    char *type;             /* "hash" */
    char *name;             /* "/etc/postfix/virtual" */
    int mode;
    int flags;
    int props;              /* TABLE_PROP_* */
    int error;              /* outcome of the last operation */

    /* Methods, set by the type's open function; NULL where unsupported. */
    const char *(*lookup)(TABLE *t, const char *key);
    int (*update)(TABLE *t, const char *key, const char *value);
    int (*remove)(TABLE *t, const char *key);
    int (*sequence)(TABLE *t, int how, const char **key, const char **value);
    void (*close)(TABLE *t);

    /* Re-open on change (set watch_path to the file actually opened). */
    char *watch_path;
    dev_t watch_dev;
    ino_t watch_ino;
    struct timespec watch_mtime;
    time_t watch_checked;
    void *private_reopen;   /* for table.c only */
    VSTR *key_buf;          /* for table.c only: the folded key */
};

/* Callers. */
TABLE *table_open(const char *spec, int mode, int flags, VSTR *why);
const char *table_lookup(TABLE *t, const char *key);
int table_update(TABLE *t, const char *key, const char *value);   /* 0 stored, 1 duplicate kept, -1 error */
int table_remove(TABLE *t, const char *key);                      /* 0 removed, 1 not found, -1 error */
int table_sequence(TABLE *t, int how, const char **key, const char **value); /* 0 entry, 1 end, -1 error */
void table_close(TABLE *t);
int table_type_known(const char *type);
const char *table_error_text(int error);

/* For type implementations. */
TABLE *table_alloc(size_t size, const char *type, const char *name, int mode, int flags, int props);
void table_free_base(TABLE *t);
void table_watch(TABLE *t, const char *path);
int table_read_only(const char *type, const char *name, int mode, VSTR *why); /* -1: refused */

#endif
