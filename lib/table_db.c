/*
 * table_db - hash: and btree: tables in Berkeley DB 5.3 files (name.db),
 * byte-compatible with Postfix's; opened through table_open() (table.h).
 *
 * Files: hash:/x and btree:/x are the file /x.db, a DB_HASH or DB_BTREE
 * database with no environment on disk. Berkeley DB reads a DB_CONFIG file
 * from its environment's home directory, and when no home is given (no
 * environment, or one opened with a NULL home) that is the current
 * directory: whoever can write the current directory of postmap or a daemon
 * could then redirect its files. So every handle here lives in a private,
 * in-memory environment (DB_PRIVATE, nothing written) whose home is
 * /dev/null, a path under which no DB_CONFIG can ever exist, and the table is
 * always opened by absolute path. DB_USE_ENVIRON is never passed, so DB_HOME
 * is ignored too.
 *
 * Modes: TABLE_READ opens read-only (and with TABLE_FLAG_LOCK takes a shared
 * flock(2) on the file around each lookup, as Postfix's readers do);
 * TABLE_CREATE builds a new file beside the old one and renames it over the
 * old one at close (tablefile.h); TABLE_WRITE updates the file in place
 * under an exclusive flock(2) held until close, as Postfix's postmap -i does.
 * Hash files are created with 4096 expected elements, Postfix's setting.
 *
 * Errors: open returns NULL with the reason in why; lookups and updates set
 * t->error; a rebuild that cannot be committed at close is logged with
 * msg_error() (close has no way to return it), so a program checks
 * msg_error_count() after closing.
 */
#include "config.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "table.h"
#include "table_types.h"
#include "tablefile.h"

#define DB_CREATE_CACHE (16 * 1024 * 1024)   /* berkeley_db_create_buffer_size */
#define DB_READ_CACHE   (128 * 1024)         /* berkeley_db_read_buffer_size */
#define DB_HASH_NELEM   4096                 /* as Postfix creates hash files */
#define DB_SAFE_HOME    "/dev/null"          /* can hold no DB_CONFIG */

typedef struct TABLE_DB {
    TABLEFILE base;
    DB_ENV *env;
    DB *db;
    DBC *cursor;
    int fd;             /* the locked file (READ, WRITE), or -1 */
    char *path;         /* /x.db */
    char *shown;        /* x.db as named, for messages (Postfix's spelling) */
    VSTR *key_out;
    VSTR *val_out;
    VSTR *dberr;        /* Berkeley DB's last error text */
} TABLE_DB;

/*
 * Berkeley DB's error text goes to the table's dberr buffer. The environment
 * points at that buffer, never at the TABLE_DB itself: table.c may move a
 * table's contents to another address when it re-opens it.
 */
static void db_errcall(const DB_ENV *env, const char *pfx, const char *text)
{
    VSTR *dberr = env->app_private;

    (void) pfx;
    if (dberr != NULL)
        vstr_set(dberr, text);
}

/* The reason for a failed Berkeley DB call. */
static const char *db_why(TABLE_DB *tdb, int err)
{
    return vstr_len(tdb->dberr) > 0 ? vstr_str(tdb->dberr) : db_strerror(err);
}

static int read_lock(TABLE_DB *tdb, int how)
{
    if (tdb->base.t.mode != TABLE_READ || !(tdb->base.t.flags & TABLE_FLAG_LOCK) || tdb->fd < 0)
        return 0;
    if (tablefile_lock(tdb->fd, how) < 0) {
        msg_warn("%s: lock: %s", tdb->path, strerror(errno));
        return -1;
    }
    return 0;
}

static const char *db_lookup(TABLE *t, const char *key)
{
    TABLE_DB *tdb = (TABLE_DB *) t;
    int order[2], n, i, err;
    size_t klen = strlen(key);
    DBT k, v;
    const char *result = NULL;

    t->error = TABLE_OK;
    if (read_lock(tdb, TABLEFILE_SHARED) < 0) {
        t->error = TABLE_ERR_RETRY;
        return NULL;
    }
    n = tablefile_nul_order(t->flags, order);
    for (i = 0; i < n; i++) {
        memset(&k, 0, sizeof(k));
        memset(&v, 0, sizeof(v));
        k.data = (void *) key;
        k.size = (u_int32_t) (klen + (size_t) order[i]);
        err = tdb->db->get(tdb->db, NULL, &k, &v, 0);
        if (err == 0) {
            t->flags = tablefile_nul_found(t->flags, order[i]);
            result = tablefile_copy(tdb->val_out, v.data, v.size);
            break;
        }
        if (err != DB_NOTFOUND) {
            msg_warn("%s: lookup: %s", tdb->path, db_why(tdb, err));
            t->error = TABLE_ERR_RETRY;
            break;
        }
    }
    (void) read_lock(tdb, TABLEFILE_UNLOCK);
    return result;
}

static int db_update(TABLE *t, const char *key, const char *value)
{
    TABLE_DB *tdb = (TABLE_DB *) t;
    int nul = tablefile_nul_write(t->flags), err;
    DBT k, v;

    t->error = TABLE_OK;
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    k.data = (void *) key;
    k.size = (u_int32_t) (strlen(key) + (size_t) nul);
    v.data = (void *) value;
    v.size = (u_int32_t) (strlen(value) + (size_t) nul);
    err = tdb->db->put(tdb->db, NULL, &k, &v,
                       (t->flags & TABLE_FLAG_DUP_REPLACE) ? 0 : DB_NOOVERWRITE);
    if (err == DB_KEYEXIST) {
        if (!(t->flags & TABLE_FLAG_DUP_IGNORE))
            msg_warn("%s: duplicate entry: \"%s\"", tdb->shown, key);
        return 1;
    }
    if (err != 0) {
        msg_warn("%s: update: %s", tdb->path, db_why(tdb, err));
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    return 0;
}

static int db_remove(TABLE *t, const char *key)
{
    TABLE_DB *tdb = (TABLE_DB *) t;
    int order[2], n, i, err;
    DBT k;

    t->error = TABLE_OK;
    n = tablefile_nul_order(t->flags, order);
    for (i = 0; i < n; i++) {
        memset(&k, 0, sizeof(k));
        k.data = (void *) key;
        k.size = (u_int32_t) (strlen(key) + (size_t) order[i]);
        err = tdb->db->del(tdb->db, NULL, &k, 0);
        if (err == 0) {
            t->flags = tablefile_nul_found(t->flags, order[i]);
            return 0;
        }
        if (err != DB_NOTFOUND) {
            msg_warn("%s: delete: %s", tdb->path, db_why(tdb, err));
            t->error = TABLE_ERR_RETRY;
            return -1;
        }
    }
    return 1;
}

static int db_sequence(TABLE *t, int how, const char **key, const char **value)
{
    TABLE_DB *tdb = (TABLE_DB *) t;
    DBT k, v;
    int err;

    t->error = TABLE_OK;
    if (how == TABLE_SEQ_FIRST || tdb->cursor == NULL) {
        if (tdb->cursor != NULL)
            (void) tdb->cursor->close(tdb->cursor);
        tdb->cursor = NULL;
        if ((err = tdb->db->cursor(tdb->db, NULL, &tdb->cursor, 0)) != 0) {
            msg_warn("%s: sequence: %s", tdb->path, db_why(tdb, err));
            t->error = TABLE_ERR_RETRY;
            return -1;
        }
        how = TABLE_SEQ_FIRST;
    }
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    if (read_lock(tdb, TABLEFILE_SHARED) < 0) {
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    err = tdb->cursor->get(tdb->cursor, &k, &v, how == TABLE_SEQ_FIRST ? DB_FIRST : DB_NEXT);
    (void) read_lock(tdb, TABLEFILE_UNLOCK);
    if (err == DB_NOTFOUND) {
        (void) tdb->cursor->close(tdb->cursor);
        tdb->cursor = NULL;
        return 1;
    }
    if (err != 0) {
        msg_warn("%s: sequence: %s", tdb->path, db_why(tdb, err));
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    *key = tablefile_copy(tdb->key_out, k.data, k.size);
    *value = tablefile_copy(tdb->val_out, v.data, v.size);
    return 0;
}

/* Close the Berkeley DB handles; 0, or -1 when data may not have been written. */
static int db_close_handles(TABLE_DB *tdb)
{
    int ok = 1;

    if (tdb->cursor != NULL)
        (void) tdb->cursor->close(tdb->cursor);
    tdb->cursor = NULL;
    if (tdb->db != NULL && tdb->db->close(tdb->db, 0) != 0)
        ok = 0;
    tdb->db = NULL;
    if (tdb->env != NULL && tdb->env->close(tdb->env, 0) != 0)
        ok = 0;
    tdb->env = NULL;
    return ok ? 0 : -1;
}

static void db_free(TABLE_DB *tdb)
{
    if (tdb->fd >= 0) {
        if (tdb->base.t.mode != TABLE_READ)
            (void) fsync(tdb->fd);
        close(tdb->fd);
    }
    tablefile_build_discard(tdb->base.build);
    mem_free(tdb->path);
    mem_free(tdb->shown);
    vstr_free(tdb->key_out);
    vstr_free(tdb->val_out);
    vstr_free(tdb->dberr);
    table_free_base(&tdb->base.t);
}

static void db_close(TABLE *t)
{
    TABLE_DB *tdb = (TABLE_DB *) t;
    VSTR *why;

    if (db_close_handles(tdb) < 0) {
        if (tdb->base.build != NULL && tdb->base.build->discarded)
            ;                   /* the file is gone on purpose */
        else
            msg_error("%s: close: %s", tdb->path, db_why(tdb, EIO));
    } else if (tdb->base.build != NULL) {
        why = vstr_new(100);
        if (tablefile_build_commit(tdb->base.build, why) < 0)
            msg_error("%s", vstr_str(why));
        tdb->base.build = NULL;
        vstr_free(why);
    }
    db_free(tdb);
}

/* "/x" or "x" to the absolute "/x.db" (Berkeley DB resolves relative names against its home). */
static char *db_file_path(const char *name, const char *suffix)
{
    VSTR *p = vstr_new(256);
    char cwd[PATH_MAX];

    if (name[0] != '/') {
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            vstr_free(p);
            return NULL;
        }
        vstr_printf(p, "%s/", cwd);
    }
    vstr_printf(p, "%s%s", name, suffix);
    return vstr_export(p);
}

TABLE *table_db_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_DB *tdb;
    DBTYPE dbtype;
    const char *open_path;
    u_int32_t oflags;
    int err;

    if (strcmp(type, "hash") == 0)
        dbtype = DB_HASH;
    else if (strcmp(type, "btree") == 0)
        dbtype = DB_BTREE;
    else {
        vstr_sprintf(why, "unsupported Berkeley DB table type: %s", type);
        return NULL;
    }
    if (*name == 0) {
        vstr_sprintf(why, "%s: empty table name", type);
        return NULL;
    }
    tdb = (TABLE_DB *) table_alloc(sizeof(*tdb), type, name, mode, flags, TABLE_PROP_FIXED);
    tdb->fd = -1;
    tdb->key_out = vstr_new(100);
    tdb->val_out = vstr_new(100);
    tdb->dberr = vstr_new(100);
    tdb->shown = mem_alloc(strlen(name) + 4);
    memcpy(tdb->shown, name, strlen(name));
    memcpy(tdb->shown + strlen(name), ".db", 4);
    if ((tdb->path = db_file_path(name, ".db")) == NULL) {
        vstr_sprintf(why, "%s:%s: cannot find the current directory: %s", type, name,
                     strerror(errno));
        db_free(tdb);
        return NULL;
    }
    open_path = tdb->path;

    /* Lock first, as Postfix does, so the Berkeley DB open sees a quiet file. */
    switch (mode) {
    case TABLE_READ:
        if ((tdb->fd = open(tdb->path, O_RDONLY | O_CLOEXEC)) < 0) {
            vstr_sprintf(why, "open database %s: %s", tdb->shown, strerror(errno));
            db_free(tdb);
            return NULL;
        }
        oflags = DB_RDONLY;
        break;
    case TABLE_CREATE:
        if ((tdb->base.build = tablefile_build_begin(tdb->path, flags, 0, why)) == NULL) {
            db_free(tdb);
            return NULL;
        }
        open_path = tdb->base.build->tmp_path;
        oflags = DB_CREATE | DB_TRUNCATE;
        break;
    case TABLE_WRITE:
        if ((tdb->fd = tablefile_open_locked(tdb->path, 1, 0, why)) < 0) {
            db_free(tdb);
            return NULL;
        }
        oflags = DB_CREATE;
        break;
    default:
        msg_panic("table_db_open: bad mode %d", mode);
    }

    if ((err = db_env_create(&tdb->env, 0)) != 0) {
        vstr_sprintf(why, "create Berkeley DB environment: %s", db_strerror(err));
        db_free(tdb);
        return NULL;
    }
    tdb->env->app_private = tdb->dberr;
    tdb->env->set_errcall(tdb->env, db_errcall);
    if ((err = tdb->env->set_cachesize(tdb->env, 0,
                                       mode == TABLE_READ ? DB_READ_CACHE : DB_CREATE_CACHE, 0)) != 0
        || (err = tdb->env->open(tdb->env, DB_SAFE_HOME,
                                 DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0)) != 0) {
        vstr_sprintf(why, "open Berkeley DB environment for %s: %s", tdb->path, db_why(tdb, err));
        (void) db_close_handles(tdb);
        db_free(tdb);
        return NULL;
    }
    if ((err = db_create(&tdb->db, tdb->env, 0)) != 0
        || (mode == TABLE_CREATE && dbtype == DB_HASH
            && (err = tdb->db->set_h_nelem(tdb->db, DB_HASH_NELEM)) != 0)
        || (err = tdb->db->open(tdb->db, NULL, open_path, NULL, dbtype, oflags, 0644)) != 0) {
        if (err == ENOENT || err == EACCES)
            vstr_sprintf(why, "open database %s: %s", tdb->shown, strerror(err));
        else
            vstr_sprintf(why, "open database %s: %s", tdb->shown, db_why(tdb, err));
        (void) db_close_handles(tdb);
        db_free(tdb);
        return NULL;
    }

    tdb->base.t.lookup = db_lookup;
    tdb->base.t.sequence = db_sequence;
    tdb->base.t.close = db_close;
    if (mode != TABLE_READ) {
        tdb->base.t.update = db_update;
        tdb->base.t.remove = db_remove;
    } else {
        table_watch(&tdb->base.t, tdb->path);
    }
    return &tdb->base.t;
}
