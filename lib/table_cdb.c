/*
 * table_cdb - cdb: tables, constant databases in tinycdb's format
 * (name.cdb), compatible with Postfix's; opened through table_open()
 * (table.h).
 *
 * A cdb file cannot be changed once written, so the only way to update one
 * is to build it anew: TABLE_CREATE writes a new file beside the old one and
 * renames it over at close (tablefile.h); TABLE_WRITE is refused; there is no
 * remove. Postfix writes cdb keys and values WITHOUT a trailing NUL unless
 * told otherwise (postmap -N): so does this type, unless the caller sets
 * TABLE_FLAG_TRY1NULL alone. Readers try both variants (tablefile.h).
 *
 * Errors: as table_db.c. A file that is not a valid cdb (truncated, garbage)
 * gives an error at open or a TABLE_ERR_CONFIG lookup, never a crash:
 * tinycdb checks every offset against the mapped size.
 */
#include "config.h"

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "table.h"
#include "table_types.h"
#include "tablefile.h"

#define CDB_MAX_LEN 0x7fffffffU   /* tinycdb keeps lengths in unsigned ints */

typedef struct TABLE_CDB {
    TABLEFILE base;
    struct cdb cdb;         /* TABLE_READ */
    int have_cdb;
    struct cdb_make make;   /* TABLE_CREATE */
    int make_started;
    int fd;
    unsigned seq_pos;
    int seq_active;
    char *path;
    char *shown;            /* the table name, Postfix's spelling in warnings */
    VSTR *key_out;
    VSTR *val_out;
} TABLE_CDB;

static const char *cdb_lookup_fn(TABLE *t, const char *key)
{
    TABLE_CDB *tc = (TABLE_CDB *) t;
    int order[2], n, i, rc;
    const void *data;
    size_t klen = strlen(key);

    t->error = TABLE_OK;
    if (klen >= CDB_MAX_LEN)
        return NULL;
    n = tablefile_nul_order(t->flags, order);
    for (i = 0; i < n; i++) {
        rc = cdb_find(&tc->cdb, key, (unsigned) (klen + (size_t) order[i]));
        if (rc > 0) {
            if ((data = cdb_getdata(&tc->cdb)) == NULL)
                break;
            t->flags = tablefile_nul_found(t->flags, order[i]);
            return tablefile_copy(tc->val_out, data, cdb_datalen(&tc->cdb));
        }
        if (rc < 0)
            break;
    }
    if (i < n) {
        msg_warn("%s: lookup: bad cdb file format", tc->path);
        t->error = TABLE_ERR_CONFIG;
    }
    return NULL;
}

static int cdb_sequence_fn(TABLE *t, int how, const char **key, const char **value)
{
    TABLE_CDB *tc = (TABLE_CDB *) t;
    const void *k, *v;
    int rc;

    t->error = TABLE_OK;
    if (how == TABLE_SEQ_FIRST || !tc->seq_active) {
        cdb_seqinit(&tc->seq_pos, &tc->cdb);
        tc->seq_active = 1;
    }
    rc = cdb_seqnext(&tc->seq_pos, &tc->cdb);
    if (rc == 0) {
        tc->seq_active = 0;
        return 1;
    }
    if (rc < 0 || (k = cdb_getkey(&tc->cdb)) == NULL || (v = cdb_getdata(&tc->cdb)) == NULL) {
        msg_warn("%s: sequence: bad cdb file format", tc->path);
        tc->seq_active = 0;
        t->error = TABLE_ERR_CONFIG;
        return -1;
    }
    *key = tablefile_copy(tc->key_out, k, cdb_keylen(&tc->cdb));
    *value = tablefile_copy(tc->val_out, v, cdb_datalen(&tc->cdb));
    return 0;
}

static int cdb_update_fn(TABLE *t, const char *key, const char *value)
{
    TABLE_CDB *tc = (TABLE_CDB *) t;
    int nul = (t->flags & TABLE_FLAG_TRY1NULL) && !(t->flags & TABLE_FLAG_TRY0NULL);
    size_t klen = strlen(key) + (size_t) nul, vlen = strlen(value) + (size_t) nul;
    int rc, mode;

    t->error = TABLE_OK;
    if (klen >= CDB_MAX_LEN || vlen >= CDB_MAX_LEN) {
        msg_warn("%s: entry too large for cdb: \"%.100s\"", tc->path, key);
        t->error = TABLE_ERR_CONFIG;
        return -1;
    }
    /*
     * As Postfix does: when duplicates are ignored (-w) every record is
     * added, and a lookup finds the first; so the file has Postfix's bytes.
     */
    if (t->flags & TABLE_FLAG_DUP_IGNORE)
        mode = CDB_PUT_ADD;
    else if (t->flags & TABLE_FLAG_DUP_REPLACE)
        mode = CDB_PUT_REPLACE;
    else
        mode = CDB_PUT_INSERT;
    rc = cdb_make_put(&tc->make, key, (unsigned) klen, value, (unsigned) vlen, mode);
    if (rc < 0) {
        msg_warn("%s: update: %s", tc->base.build->tmp_path, strerror(errno));
        t->error = TABLE_ERR_RETRY;
        return -1;
    }
    if (rc > 0 && !(t->flags & TABLE_FLAG_DUP_REPLACE)) {
        if (!(t->flags & TABLE_FLAG_DUP_IGNORE))
            msg_warn("%s: duplicate entry: \"%s\"", tc->shown, key);
        return 1;
    }
    return 0;
}

static void tc_free(TABLE_CDB *tc)
{
    if (tc->have_cdb)
        cdb_free(&tc->cdb);
    if (tc->make_started)
        (void) cdb_make_finish(&tc->make);     /* releases its memory */
    if (tc->fd >= 0)
        close(tc->fd);
    tablefile_build_discard(tc->base.build);
    mem_free(tc->path);
    mem_free(tc->shown);
    vstr_free(tc->key_out);
    vstr_free(tc->val_out);
    table_free_base(&tc->base.t);
}

static void cdb_close_fn(TABLE *t)
{
    TABLE_CDB *tc = (TABLE_CDB *) t;
    VSTR *why;

    if (tc->base.build != NULL) {
        tc->make_started = 0;
        if (cdb_make_finish(&tc->make) < 0) {
            msg_error("%s: write: %s", tc->base.build->tmp_path, strerror(errno));
        } else {
            close(tc->fd);
            tc->fd = -1;
            why = vstr_new(100);
            if (tablefile_build_commit(tc->base.build, why) < 0)
                msg_error("%s", vstr_str(why));
            tc->base.build = NULL;
            vstr_free(why);
        }
    }
    tc_free(tc);
}

TABLE *table_cdb_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_CDB *tc;
    struct stat st;

    if (*name == 0) {
        vstr_sprintf(why, "%s: empty table name", type);
        return NULL;
    }
    if (mode == TABLE_WRITE) {
        vstr_sprintf(why, "%s:%s: a cdb table cannot be updated in place; rebuild it", type, name);
        return NULL;
    }
    tc = (TABLE_CDB *) table_alloc(sizeof(*tc), type, name, mode, flags, TABLE_PROP_FIXED);
    tc->fd = -1;
    tc->key_out = vstr_new(100);
    tc->val_out = vstr_new(100);
    tc->shown = mem_strdup(name);
    {
        VSTR *p = vstr_new(strlen(name) + 8);

        vstr_sprintf(p, "%s.cdb", name);
        tc->path = vstr_export(p);
    }

    if (mode == TABLE_READ) {
        if ((tc->fd = open(tc->path, O_RDONLY | O_CLOEXEC)) < 0) {
            vstr_sprintf(why, "open database %s: %s", tc->path, strerror(errno));
            tc_free(tc);
            return NULL;
        }
        if (fstat(tc->fd, &st) < 0 || !S_ISREG(st.st_mode) || cdb_init(&tc->cdb, tc->fd) < 0) {
            vstr_sprintf(why, "open database %s: not a valid cdb file", tc->path);
            tc_free(tc);
            return NULL;
        }
        tc->have_cdb = 1;
        tc->base.t.lookup = cdb_lookup_fn;
        tc->base.t.sequence = cdb_sequence_fn;
        table_watch(&tc->base.t, tc->path);
    } else if (mode == TABLE_CREATE) {
        if ((tc->base.build = tablefile_build_begin(tc->path, flags, 0, why)) == NULL) {
            tc_free(tc);
            return NULL;
        }
        if ((tc->fd = open(tc->base.build->tmp_path, O_RDWR | O_CLOEXEC)) < 0
            || cdb_make_start(&tc->make, tc->fd) < 0) {
            vstr_sprintf(why, "open %s: %s", tc->base.build->tmp_path, strerror(errno));
            tc_free(tc);
            return NULL;
        }
        tc->make_started = 1;
        tc->base.t.update = cdb_update_fn;
    } else {
        msg_panic("table_cdb_open: bad mode %d", mode);
    }
    tc->base.t.close = cdb_close_fn;
    return &tc->base.t;
}
