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
 * Updates are batched into large transactions, written without fsync; the
 * file is synced once at close, when the last batch is committed.
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
    MDB_txn *batch_txn;     /* updates not yet committed */
    VSTR *batch;            /* ...and a copy of them, to replay into a grown map */
    size_t batch_count;
    int fd;
    size_t map_size;
    char *path;
    char *shown;        /* "lmdb:x", Postfix's spelling in warnings */
    VSTR *key_out;
    VSTR *val_out;
} TABLE_LMDB;

static int batch_flush(TABLE *t);

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
    if (batch_flush(t) < 0)
        return NULL;
    if (read_lock(tl, TABLEFILE_SHARED) < 0) {
        t->error = TABLE_ERR_RETRY;
        return NULL;
    }
    while ((err = mdb_txn_begin(tl->env, NULL, MDB_RDONLY, &txn)) == MDB_MAP_RESIZED) {
        /* Another process grew the map: adopt its size. */
        if (mdb_env_set_mapsize(tl->env, 0) != 0)
            break;
    }
    if (err != 0) {
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

/*
 * Writes. Updates are collected in one write transaction, committed every
 * LMDB_BATCH entries, before any other operation, and at close: one commit
 * per update would make a build several times slower. A full map aborts the
 * transaction; the map is then doubled and the batch, of which a copy is
 * kept (records: key length, value length, key, value), replayed.
 */
#define LMDB_BATCH        10000
#define LMDB_BATCH_BYTES  ((size_t) 16 * 1024 * 1024)

static int grow_map(TABLE_LMDB *tl)
{
    if (tl->map_size >= LMDB_MAP_LIMIT)
        return MDB_MAP_FULL;
    tl->map_size *= 2;
    return mdb_env_set_mapsize(tl->env, tl->map_size);
}

/* Begin a write transaction holding the kept batch; grows the map as needed. */
static int batch_begin(TABLE_LMDB *tl)
{
    const char *cp, *end;
    MDB_val k, v;
    unsigned int len[2];
    int err;

    for (;;) {
        if ((err = mdb_txn_begin(tl->env, NULL, 0, &tl->batch_txn)) != 0) {
            tl->batch_txn = NULL;
            return err;
        }
        cp = vstr_str(tl->batch);
        end = cp + vstr_len(tl->batch);
        for (err = 0; err == 0 && cp < end; cp += len[0] + len[1]) {
            memcpy(len, cp, sizeof(len));
            cp += sizeof(len);
            k.mv_data = (void *) cp;
            k.mv_size = len[0];
            v.mv_data = (void *) (cp + len[0]);
            v.mv_size = len[1];
            err = mdb_put(tl->batch_txn, tl->dbi, &k, &v, 0);
        }
        if (err == 0)
            return 0;
        mdb_txn_abort(tl->batch_txn);
        tl->batch_txn = NULL;
        if (err != MDB_MAP_FULL || (err = grow_map(tl)) != 0)
            return err;
    }
}

/* Commit what the batch holds; 0 or an LMDB error. */
static int batch_commit(TABLE_LMDB *tl)
{
    int err;

    while (tl->batch_txn != NULL) {
        err = mdb_txn_commit(tl->batch_txn);
        tl->batch_txn = NULL;
        if (err == MDB_MAP_FULL && (err = grow_map(tl)) == 0 && (err = batch_begin(tl)) == 0)
            continue;
        if (err != 0)
            return err;
    }
    vstr_reset(tl->batch);
    tl->batch_count = 0;
    return 0;
}

/* Put one entry into the batch. */
static int batch_put(TABLE_LMDB *tl, MDB_val *k, MDB_val *v, unsigned int flags)
{
    unsigned int len[2];
    int err;

    if (tl->batch_txn == NULL && (err = batch_begin(tl)) != 0)
        return err;
    while ((err = mdb_put(tl->batch_txn, tl->dbi, k, v, flags)) == MDB_MAP_FULL) {
        mdb_txn_abort(tl->batch_txn);
        tl->batch_txn = NULL;
        if ((err = grow_map(tl)) != 0 || (err = batch_begin(tl)) != 0)
            return err;
    }
    if (err != 0)
        return err;
    len[0] = (unsigned int) k->mv_size;
    len[1] = (unsigned int) v->mv_size;
    vstr_addmem(tl->batch, len, sizeof(len));
    vstr_addmem(tl->batch, k->mv_data, k->mv_size);
    vstr_addmem(tl->batch, v->mv_data, v->mv_size);
    if (++tl->batch_count >= LMDB_BATCH || vstr_len(tl->batch) >= LMDB_BATCH_BYTES)
        return batch_commit(tl);
    return 0;
}

/* Delete one key in its own transaction (after committing the batch). */
static int lmdb_delete(TABLE_LMDB *tl, MDB_val *k)
{
    MDB_txn *txn;
    int err;

    if ((err = batch_commit(tl)) != 0)
        return err;
    for (;;) {
        if ((err = mdb_txn_begin(tl->env, NULL, 0, &txn)) != 0)
            return err;
        err = mdb_del(txn, tl->dbi, k, NULL);
        if (err == 0)
            err = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        if (err != MDB_MAP_FULL || (err = grow_map(tl)) != 0)
            return err;
    }
}

/* Make pending updates visible before a read: commit them. */
static int batch_flush(TABLE *t)
{
    TABLE_LMDB *tl = (TABLE_LMDB *) t;
    int err;

    if (tl->batch_txn == NULL)
        return 0;
    if ((err = batch_commit(tl)) != 0) {
        msg_warn("%s: update: %s", tl->path, mdb_strerror(err));
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    return 0;
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
    err = batch_put(tl, &k, &v, (t->flags & TABLE_FLAG_DUP_REPLACE) ? 0 : MDB_NOOVERWRITE);
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
        err = lmdb_delete(tl, &k);
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
        if (batch_flush(t) < 0)
            return -1;
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
    if (tl->batch_txn != NULL)
        mdb_txn_abort(tl->batch_txn);
    tl->batch_txn = NULL;
    vstr_free(tl->batch);
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
        if (tl->base.build != NULL && tl->base.build->discarded) {
            /* thrown away: nothing to write */
        } else if ((err = batch_commit(tl)) != 0 || (err = mdb_env_sync(tl->env, 1)) != 0) {
            msg_error("%s: write: %s", tl->path, mdb_strerror(err));
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
    tl->batch = vstr_new(4096);
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
