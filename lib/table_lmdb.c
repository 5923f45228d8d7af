/*
 * table_lmdb - lmdb: tables in LMDB files (name.lmdb), compatible with
 * Postfix's; opened through table_open() (table.h).
 *
 * Files: lmdb:/x is the single file /x.lmdb (MDB_NOSUBDIR), with LMDB's own
 * lock table disabled (MDB_NOLOCK): like Postfix, writers hold an exclusive
 * fcntl(2) lock on the file and readers that asked for TABLE_FLAG_LOCK a
 * shared one around each lookup (Postfix's lmdb code uses fcntl locks, its
 * Berkeley DB code flock), so Postfix's programs and these interoperate. Keys
 * and values are stored in the main database, with a trailing NUL by
 * default (tablefile.h). The map starts at 16 MiB (Postfix's lmdb_map_size
 * default) and doubles whenever a write finds it full; a reader maps a
 * larger file at its own size.
 *
 * Modes: TABLE_READ; TABLE_CREATE writes a new file beside the old one and
 * renames it over at close; TABLE_WRITE updates in place under the lock.
 * Each update is its own transaction, written without fsync; the file is
 * synced once at close.
 *
 * Errors: as table_db.c: open returns NULL with why; operations set
 * t->error; a failed commit at close is logged with msg_error().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "table.h"
#include "table_types.h"
#include "tablefile.h"

#define LMDB_MAP_SIZE   ((size_t) 16 * 1024 * 1024)
#define LMDB_MAP_LIMIT  ((size_t) 1 << 40)      /* stop doubling somewhere */

typedef struct TABLE_LMDB {
    TABLEFILE base;
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *seq_txn;
    MDB_cursor *cursor;
    int fd;
    size_t map_size;
    char *path;
    char *shown;        /* "lmdb:x", Postfix's spelling in warnings */
    VSTR *key_out;
    VSTR *val_out;
} TABLE_LMDB;

static int read_lock(TABLE_LMDB *tl, int how)
{
    if (tl->base.t.mode != TABLE_READ || !(tl->base.t.flags & TABLE_FLAG_LOCK) || tl->fd < 0)
        return 0;
    if (tablefile_lock(tl->fd, how | TABLEFILE_POSIX) < 0) {
        msg_warn("%s: lock: %s", tl->path, strerror(errno));
        return -1;
    }
    return 0;
}

static void end_sequence(TABLE_LMDB *tl)
{
    if (tl->cursor != NULL)
        mdb_cursor_close(tl->cursor);
    if (tl->seq_txn != NULL)
        mdb_txn_abort(tl->seq_txn);
    tl->cursor = NULL;
    tl->seq_txn = NULL;
}

static const char *lmdb_lookup(TABLE *t, const char *key)
{
    TABLE_LMDB *tl = (TABLE_LMDB *) t;
    int order[2], n, i, err;
    MDB_txn *txn;
    MDB_val k, v;
    const char *result = NULL;

    t->error = TABLE_OK;
    end_sequence(tl);
    if (read_lock(tl, TABLEFILE_SHARED) < 0) {
        t->error = TABLE_ERR_RETRY;
        return NULL;
    }
    if ((err = mdb_txn_begin(tl->env, NULL, MDB_RDONLY, &txn)) != 0) {
        msg_warn("%s: lookup: %s", tl->path, mdb_strerror(err));
        t->error = TABLE_ERR_RETRY;
        (void) read_lock(tl, TABLEFILE_UNLOCK);
        return NULL;
    }
    n = tablefile_nul_order(t->flags, order);
    for (i = 0; i < n; i++) {
        k.mv_data = (void *) key;
        k.mv_size = strlen(key) + (size_t) order[i];
        if (k.mv_size == 0)
            continue;           /* LMDB has no empty keys */
        err = mdb_get(txn, tl->dbi, &k, &v);
        if (err == 0) {
            t->flags = tablefile_nul_found(t->flags, order[i]);
            result = tablefile_copy(tl->val_out, v.mv_data, v.mv_size);
            break;
        }
        if (err != MDB_NOTFOUND && err != MDB_BAD_VALSIZE) {
            msg_warn("%s: lookup: %s", tl->path, mdb_strerror(err));
            t->error = TABLE_ERR_RETRY;
            break;
        }
    }
    mdb_txn_abort(txn);
    (void) read_lock(tl, TABLEFILE_UNLOCK);
    return result;
}

/* Run one write (put when value != NULL, else delete); grow the map when full. */
static int lmdb_write(TABLE_LMDB *tl, MDB_val *k, MDB_val *v, unsigned int flags)
{
    MDB_txn *txn;
    int err;

    for (;;) {
        if ((err = mdb_txn_begin(tl->env, NULL, 0, &txn)) != 0)
            return err;
        err = v != NULL ? mdb_put(txn, tl->dbi, k, v, flags) : mdb_del(txn, tl->dbi, k, NULL);
        if (err == 0)
            err = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        if (err != MDB_MAP_FULL || tl->map_size >= LMDB_MAP_LIMIT)
            return err;
        tl->map_size *= 2;
        if ((err = mdb_env_set_mapsize(tl->env, tl->map_size)) != 0)
            return err;
    }
}

static int lmdb_update(TABLE *t, const char *key, const char *value)
{
    TABLE_LMDB *tl = (TABLE_LMDB *) t;
    int nul = tablefile_nul_write(t->flags), err;
    MDB_val k, v;

    t->error = TABLE_OK;
    end_sequence(tl);
    k.mv_data = (void *) key;
    k.mv_size = strlen(key) + (size_t) nul;
    v.mv_data = (void *) value;
    v.mv_size = strlen(value) + (size_t) nul;
    if (k.mv_size == 0 || k.mv_size > (size_t) mdb_env_get_maxkeysize(tl->env)) {
        msg_warn("%s: cannot store key of %zu bytes: \"%.100s\"", tl->path, k.mv_size, key);
        t->error = TABLE_ERR_CONFIG;
        return -1;
    }
    err = lmdb_write(tl, &k, &v, (t->flags & TABLE_FLAG_DUP_REPLACE) ? 0 : MDB_NOOVERWRITE);
    if (err == MDB_KEYEXIST) {
        if (!(t->flags & TABLE_FLAG_DUP_IGNORE))
            msg_warn("%s: duplicate entry: \"%s\"", tl->shown, key);
        return 1;
    }
    if (err != 0) {
        msg_warn("%s: update: %s", tl->path, mdb_strerror(err));
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    return 0;
}

static int lmdb_remove(TABLE *t, const char *key)
{
    TABLE_LMDB *tl = (TABLE_LMDB *) t;
    int order[2], n, i, err;
    MDB_val k;

    t->error = TABLE_OK;
    end_sequence(tl);
    n = tablefile_nul_order(t->flags, order);
    for (i = 0; i < n; i++) {
        k.mv_data = (void *) key;
        k.mv_size = strlen(key) + (size_t) order[i];
        if (k.mv_size == 0)
            continue;
        err = lmdb_write(tl, &k, NULL, 0);
        if (err == 0) {
            t->flags = tablefile_nul_found(t->flags, order[i]);
            return 0;
        }
        if (err != MDB_NOTFOUND && err != MDB_BAD_VALSIZE) {
            msg_warn("%s: delete: %s", tl->path, mdb_strerror(err));
            t->error = TABLE_ERR_RETRY;
            return -1;
        }
    }
    return 1;
}

static int lmdb_sequence(TABLE *t, int how, const char **key, const char **value)
{
    TABLE_LMDB *tl = (TABLE_LMDB *) t;
    MDB_val k, v;
    int err;

    t->error = TABLE_OK;
    if (how == TABLE_SEQ_FIRST || tl->cursor == NULL) {
        end_sequence(tl);
        if ((err = mdb_txn_begin(tl->env, NULL, MDB_RDONLY, &tl->seq_txn)) != 0
            || (err = mdb_cursor_open(tl->seq_txn, tl->dbi, &tl->cursor)) != 0) {
            msg_warn("%s: sequence: %s", tl->path, mdb_strerror(err));
            end_sequence(tl);
            t->error = TABLE_ERR_RETRY;
            return -1;
        }
        how = TABLE_SEQ_FIRST;
    }
    if (read_lock(tl, TABLEFILE_SHARED) < 0) {
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    err = mdb_cursor_get(tl->cursor, &k, &v, how == TABLE_SEQ_FIRST ? MDB_FIRST : MDB_NEXT);
    (void) read_lock(tl, TABLEFILE_UNLOCK);
    if (err == MDB_NOTFOUND) {
        end_sequence(tl);
        return 1;
    }
    if (err != 0) {
        msg_warn("%s: sequence: %s", tl->path, mdb_strerror(err));
        end_sequence(tl);
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    *key = tablefile_copy(tl->key_out, k.mv_data, k.mv_size);
    *value = tablefile_copy(tl->val_out, v.mv_data, v.mv_size);
    return 0;
}

static void lmdb_free(TABLE_LMDB *tl)
{
    end_sequence(tl);
    if (tl->env != NULL)
        mdb_env_close(tl->env);
    if (tl->fd >= 0)
        close(tl->fd);
    tablefile_build_discard(tl->base.build);
    mem_free(tl->path);
    mem_free(tl->shown);
    vstr_free(tl->key_out);
    vstr_free(tl->val_out);
    table_free_base(&tl->base.t);
}

static void lmdb_close(TABLE *t)
{
    TABLE_LMDB *tl = (TABLE_LMDB *) t;
    VSTR *why;
    int err;

    end_sequence(tl);
    if (t->mode != TABLE_READ) {
        if ((err = mdb_env_sync(tl->env, 1)) != 0) {
            msg_error("%s: sync: %s", tl->path, mdb_strerror(err));
        } else if (tl->base.build != NULL) {
            mdb_env_close(tl->env);
            tl->env = NULL;
            why = vstr_new(100);
            if (tablefile_build_commit(tl->base.build, why) < 0)
                msg_error("%s", vstr_str(why));
            tl->base.build = NULL;
            vstr_free(why);
        }
    }
    lmdb_free(tl);
}

TABLE *table_lmdb_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_LMDB *tl;
    const char *open_path;
    unsigned int eflags = MDB_NOSUBDIR | MDB_NOLOCK;
    MDB_txn *txn;
    int err;

    if (*name == 0) {
        vstr_sprintf(why, "%s: empty table name", type);
        return NULL;
    }
    tl = (TABLE_LMDB *) table_alloc(sizeof(*tl), type, name, mode, flags, TABLE_PROP_FIXED);
    tl->fd = -1;
    tl->map_size = LMDB_MAP_SIZE;
    tl->key_out = vstr_new(100);
    tl->val_out = vstr_new(100);
    {
        VSTR *p = vstr_new(strlen(name) + 8);

        vstr_sprintf(p, "%s.lmdb", name);
        tl->path = vstr_export(p);
        p = vstr_new(strlen(name) + 8);
        vstr_sprintf(p, "%s:%s", type, name);
        tl->shown = vstr_export(p);
    }
    open_path = tl->path;

    switch (mode) {
    case TABLE_READ:
        if ((tl->fd = open(tl->path, O_RDONLY | O_CLOEXEC)) < 0) {
            vstr_sprintf(why, "open database %s: %s", tl->path, strerror(errno));
            lmdb_free(tl);
            return NULL;
        }
        eflags |= MDB_RDONLY;
        break;
    case TABLE_CREATE:
        if ((tl->base.build = tablefile_build_begin(tl->path, flags, TABLEFILE_POSIX, why)) == NULL) {
            lmdb_free(tl);
            return NULL;
        }
        open_path = tl->base.build->tmp_path;
        eflags |= MDB_NOSYNC | MDB_NOMETASYNC;
        break;
    case TABLE_WRITE:
        if ((tl->fd = tablefile_open_locked(tl->path, 1, TABLEFILE_POSIX, why)) < 0) {
            lmdb_free(tl);
            return NULL;
        }
        eflags |= MDB_NOSYNC | MDB_NOMETASYNC;
        break;
    default:
        msg_panic("table_lmdb_open: bad mode %d", mode);
    }

    if ((err = mdb_env_create(&tl->env)) != 0
        || (err = mdb_env_set_mapsize(tl->env, tl->map_size)) != 0
        || (err = mdb_env_open(tl->env, open_path, eflags, 0644)) != 0) {
        vstr_sprintf(why, "open database %s: %s", tl->path, mdb_strerror(err));
        lmdb_free(tl);
        return NULL;
    }
    {
        MDB_envinfo info;

        if (mdb_env_info(tl->env, &info) == 0 && info.me_mapsize > tl->map_size)
            tl->map_size = info.me_mapsize;
    }
    /* Committing (not aborting) the opening transaction keeps the handle. */
    if ((err = mdb_txn_begin(tl->env, NULL, MDB_RDONLY, &txn)) != 0) {
        vstr_sprintf(why, "open database %s: %s", tl->path, mdb_strerror(err));
        lmdb_free(tl);
        return NULL;
    }
    if ((err = mdb_dbi_open(txn, NULL, 0, &tl->dbi)) != 0 || (err = mdb_txn_commit(txn)) != 0) {
        if (err != 0)
            mdb_txn_abort(txn);
        vstr_sprintf(why, "open database %s: %s", tl->path, mdb_strerror(err));
        lmdb_free(tl);
        return NULL;
    }

    tl->base.t.lookup = lmdb_lookup;
    tl->base.t.sequence = lmdb_sequence;
    tl->base.t.close = lmdb_close;
    if (mode != TABLE_READ) {
        tl->base.t.update = lmdb_update;
        tl->base.t.remove = lmdb_remove;
    } else {
        table_watch(&tl->base.t, tl->path);
    }
    return &tl->base.t;
}
