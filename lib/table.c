/*
 * table - the registry of table types and the generic wrappers; see table.h.
 *
 * Re-open on change: table_open() of a TABLE_READ table whose type called
 * table_watch() (and without TABLE_FLAG_NO_REOPEN) returns a small handle
 * that forwards to the type's table. The wrappers check the watched file at
 * most once a second (t->watch_checked holds the last check); when its
 * device, inode or modification time differ, they open the spec again and,
 * on success, close the old type table and forward to the new one. Nothing
 * is moved in memory, so a type may keep pointers to its own structure
 * (Berkeley DB's app_private does). When the new open fails, the old
 * contents stay in use with one warning per change. Tables opened for
 * writing, and the types that watch no file, are returned as the type made
 * them.
 *
 * "proxy:type:name" is a type of its own (table_proxy.c): its lookups go to
 * the proxymap service, so chrooted daemons can use tables they cannot open.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table.h"
#include "table_proxy.h"
#include "table_types.h"

typedef TABLE *(*TABLE_OPEN_FN)(const char *type, const char *name, int mode, int flags,
                                VSTR *why);

typedef struct TABLE_TYPE {
    const char *type;
    TABLE_OPEN_FN open;
} TABLE_TYPE;

/* The state of a forwarding handle (private_reopen). */
typedef struct TABLE_HANDLE {
    TABLE *inner;               /* the type's table, replaced on change */
} TABLE_HANDLE;

#define TABLE_KEY_MAX ((size_t) 64 * 1024)      /* longer lookup keys are not found */
#define TABLE_SPEC_MAX ((size_t) 64 * 1024)     /* longer specs are refused */

static TABLE_OPEN_FN table_find_type(const char *type)
{
    static const TABLE_TYPE types[] = {
        {"hash", table_db_open},
        {"btree", table_db_open},
        {"lmdb", table_lmdb_open},
        {"cdb", table_cdb_open},
        {"texthash", table_texthash_open},
        {"inline", table_inline_open},
        {"static", table_static_open},
        {"regexp", table_regexp_open},
        {"pcre", table_pcre_open},
        {"unix", table_unix_open},
        {"proxy", table_proxy_open},
    };
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i].type, type) == 0)
            return types[i].open;
    return NULL;
}

int table_type_known(const char *type)
{
    return table_find_type(type) != NULL;
}

const char *table_error_text(int error)
{
    switch (error) {
    case TABLE_OK:
        return "no error";
    case TABLE_ERR_RETRY:
        return "table lookup failed, try again later";
    case TABLE_ERR_CONFIG:
        return "table configuration error";
    default:
        return "unknown table error";
    }
}

/* Split "type:name", call the type's open function. */
static TABLE *table_open_spec(const char *spec, int mode, int flags, VSTR *why)
{
    const char *colon;
    char *type;
    TABLE_OPEN_FN open_fn;
    TABLE *t;

    if (strlen(spec) > TABLE_SPEC_MAX) {
        vstr_sprintf(why, "table specification is too long (%zu bytes)", strlen(spec));
        return NULL;
    }
    if ((colon = strchr(spec, ':')) == NULL || colon == spec) {
        vstr_sprintf(why, "open dictionary: expecting \"type:name\" form instead of \"%s\"", spec);
        return NULL;
    }
    type = mem_strndup(spec, (size_t) (colon - spec));
    if ((open_fn = table_find_type(type)) == NULL) {
        vstr_sprintf(why, "unsupported dictionary type: %s", type);
        mem_free(type);
        return NULL;
    }
    t = open_fn(type, colon + 1, mode, flags, why);
    mem_free(type);
    if (t == NULL && vstr_len(why) == 0)
        vstr_sprintf(why, "cannot open %s", spec);
    return t;
}

static const char *table_handle_lookup(TABLE *t, const char *key)
{
    TABLE *inner = ((TABLE_HANDLE *) t->private_reopen)->inner;
    const char *value;

    inner->error = TABLE_OK;
    value = inner->lookup(inner, key);
    t->error = inner->error;
    return value;
}

static int table_handle_sequence(TABLE *t, int how, const char **key, const char **value)
{
    TABLE *inner = ((TABLE_HANDLE *) t->private_reopen)->inner;
    int status;

    inner->error = TABLE_OK;
    status = inner->sequence(inner, how, key, value);
    t->error = inner->error;
    return status;
}

static void table_handle_close(TABLE *t)
{
    table_close(((TABLE_HANDLE *) t->private_reopen)->inner);
    table_free_base(t);
}

/* Point the handle's methods and watch state at a (new) type table. */
static void table_handle_set(TABLE *t, TABLE *inner)
{
    ((TABLE_HANDLE *) t->private_reopen)->inner = inner;
    t->props = inner->props;
    t->lookup = inner->lookup ? table_handle_lookup : NULL;
    t->sequence = inner->sequence ? table_handle_sequence : NULL;
    mem_free(t->watch_path);
    t->watch_path = mem_strdup(inner->watch_path);
    t->watch_dev = inner->watch_dev;
    t->watch_ino = inner->watch_ino;
    t->watch_mtime = inner->watch_mtime;
}

static TABLE *table_handle_new(TABLE *inner)
{
    TABLE *t = table_alloc(sizeof(TABLE), inner->type, inner->name, inner->mode, inner->flags,
                           inner->props);

    t->private_reopen = mem_calloc(1, sizeof(TABLE_HANDLE));
    t->close = table_handle_close;
    table_handle_set(t, inner);
    t->watch_checked = inner->watch_checked;
    return t;
}

TABLE *table_open(const char *spec, int mode, int flags, VSTR *why)
{
    VSTR *own = NULL;
    TABLE *t;

    if (mode != TABLE_READ && mode != TABLE_CREATE && mode != TABLE_WRITE)
        msg_panic("table_open: bad mode %d for %s", mode, spec);
    if (why == NULL)
        why = own = vstr_new(0);
    vstr_reset(why);
    t = table_open_spec(spec, mode, flags, why);
    if (own)
        vstr_free(own);
    if (t != NULL && mode == TABLE_READ && t->watch_path != NULL
        && (flags & TABLE_FLAG_NO_REOPEN) == 0)
        t = table_handle_new(t);
    return t;
}

TABLE *table_alloc(size_t size, const char *type, const char *name, int mode, int flags,
                   int props)
{
    TABLE *t;

    if (size < sizeof(TABLE))
        msg_panic("table_alloc: size %zu is smaller than a TABLE", size);
    t = mem_calloc(1, size);
    t->type = mem_strdup(type);
    t->name = mem_strdup(name);
    t->spec = mem_alloc(strlen(type) + strlen(name) + 2);
    memcpy(t->spec, type, strlen(type));
    t->spec[strlen(type)] = ':';
    memcpy(t->spec + strlen(type) + 1, name, strlen(name) + 1);
    t->mode = mode;
    t->flags = flags;
    t->props = props;
    t->error = TABLE_OK;
    return t;
}

void table_free_base(TABLE *t)
{
    if (t == NULL)
        return;
    mem_free(t->spec);
    mem_free(t->type);
    mem_free(t->name);
    mem_free(t->watch_path);
    mem_free(t->private_reopen);
    if (t->key_buf)
        vstr_free(t->key_buf);
    mem_free(t);
}

/* For a type that cannot be written: -1 with the reason unless mode is TABLE_READ. */
int table_read_only(const char *type, const char *name, int mode, VSTR *why)
{
    if (mode == TABLE_READ)
        return 0;
    vstr_sprintf(why, "%s:%s: the %s type is read-only", type, name, type);
    return -1;
}

void table_watch(TABLE *t, const char *path)
{
    struct stat st;

    mem_free(t->watch_path);
    t->watch_path = mem_strdup(path);
    t->watch_checked = time(NULL);
    if (stat(path, &st) == 0) {
        t->watch_dev = st.st_dev;
        t->watch_ino = st.st_ino;
        t->watch_mtime = st.st_mtim;
    } else {
        t->watch_dev = 0;
        t->watch_ino = 0;
        t->watch_mtime.tv_sec = 0;
        t->watch_mtime.tv_nsec = 0;
    }
}

/*
 * Open the spec of handle t again and forward to the new table. On failure
 * remember what was seen (st), so that the warning comes once per change.
 */
static void table_reopen(TABLE *t, const struct stat *st)
{
    TABLE_HANDLE *h = t->private_reopen;
    VSTR *why = vstr_new(0);
    TABLE *fresh;

    fresh = table_open_spec(t->spec, t->mode, t->flags, why);
    if (fresh == NULL || fresh->watch_path == NULL) {
        msg_warn("%s changed, re-open failed, still using the old contents: %s", t->spec,
                 fresh ? "the new table watches no file" : vstr_str(why));
        table_close(fresh);
        t->watch_dev = st->st_dev;
        t->watch_ino = st->st_ino;
        t->watch_mtime = st->st_mtim;
    } else {
        if (msg_verbose)
            msg_info("%s changed, re-opened", t->spec);
        table_close(h->inner);
        table_handle_set(t, fresh);
    }
    vstr_free(why);
}

static void table_check_change(TABLE *t)
{
    struct stat st;
    time_t now;

    if (t->close != table_handle_close)
        return;
    now = time(NULL);
    if (now == t->watch_checked)
        return;
    t->watch_checked = now;
    if (stat(t->watch_path, &st) != 0)
        return;                         /* being replaced: keep the old contents */
    if (st.st_dev == t->watch_dev && st.st_ino == t->watch_ino
        && st.st_mtim.tv_sec == t->watch_mtime.tv_sec
        && st.st_mtim.tv_nsec == t->watch_mtime.tv_nsec)
        return;
    table_reopen(t, &st);
}

/* The key as the type should see it: folded for fixed tables under FOLD. */
static const char *table_key(TABLE *t, const char *key)
{
    if ((t->props & TABLE_PROP_FIXED) == 0 || (t->flags & TABLE_FLAG_FOLD) == 0)
        return key;
    if (t->key_buf == NULL)
        t->key_buf = vstr_new(strlen(key) + 1);
    vstr_set(t->key_buf, key);
    str_lower(vstr_str(t->key_buf));
    return vstr_str(t->key_buf);
}

static void table_unsupported(TABLE *t, const char *what)
{
    msg_warn("table %s: %s is not supported", t->spec, what);
    t->error = TABLE_ERR_CONFIG;
}

const char *table_lookup(TABLE *t, const char *key)
{
    if (key == NULL)
        msg_panic("table_lookup: NULL key for %s", t->spec);
    table_check_change(t);
    t->error = TABLE_OK;
    if (t->lookup == NULL) {
        table_unsupported(t, "lookup");
        return NULL;
    }
    if (strlen(key) > TABLE_KEY_MAX)
        return NULL;
    return t->lookup(t, table_key(t, key));
}

int table_update(TABLE *t, const char *key, const char *value)
{
    if (key == NULL || value == NULL)
        msg_panic("table_update: NULL key or value for %s", t->spec);
    t->error = TABLE_OK;
    if (t->update == NULL || t->mode == TABLE_READ) {
        table_unsupported(t, t->update == NULL ? "update" : "update of a read-only table");
        return -1;
    }
    return t->update(t, table_key(t, key), value);
}

int table_remove(TABLE *t, const char *key)
{
    if (key == NULL)
        msg_panic("table_remove: NULL key for %s", t->spec);
    t->error = TABLE_OK;
    if (t->remove == NULL || t->mode == TABLE_READ) {
        table_unsupported(t, t->remove == NULL ? "remove" : "remove from a read-only table");
        return -1;
    }
    return t->remove(t, table_key(t, key));
}

int table_sequence(TABLE *t, int how, const char **key, const char **value)
{
    if (how == TABLE_SEQ_FIRST)
        table_check_change(t);
    t->error = TABLE_OK;
    if (t->sequence == NULL) {
        table_unsupported(t, "sequence");
        return -1;
    }
    if (how != TABLE_SEQ_FIRST && how != TABLE_SEQ_NEXT)
        msg_panic("table_sequence: bad \"how\" %d for %s", how, t->spec);
    return t->sequence(t, how, key, value);
}

void table_close(TABLE *t)
{
    if (t == NULL)
        return;
    if (t->close)
        t->close(t);
    else
        table_free_base(t);
}
