/* table_mem - in-memory fixed-string tables; see table_mem.h. */
#include "config.h"

#include <string.h>

#include "argv.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "table_mem.h"

typedef struct TABLE_MEM {
    TABLE t;
    HTABLE *entries;            /* key -> value (char *) */
    ARGV *order;                /* keys in the order they were added */
    size_t cursor;              /* next entry for sequence() */
} TABLE_MEM;

static const char *table_mem_lookup(TABLE *t, const char *key)
{
    TABLE_MEM *m = (TABLE_MEM *) t;

    return htable_get(m->entries, key);
}

static int table_mem_sequence(TABLE *t, int how, const char **key, const char **value)
{
    TABLE_MEM *m = (TABLE_MEM *) t;

    if (how == TABLE_SEQ_FIRST)
        m->cursor = 0;
    if (m->cursor >= m->order->argc)
        return 1;
    *key = m->order->argv[m->cursor++];
    *value = htable_get(m->entries, *key);
    return 0;
}

static void table_mem_close(TABLE *t)
{
    TABLE_MEM *m = (TABLE_MEM *) t;

    htable_free(m->entries, mem_free);
    argv_free(m->order);
    table_free_base(t);
}

TABLE *table_mem_new(const char *type, const char *name, int flags)
{
    TABLE_MEM *m = (TABLE_MEM *) table_alloc(sizeof(TABLE_MEM), type, name, TABLE_READ, flags,
                                             TABLE_PROP_FIXED);

    m->entries = htable_new(64);
    m->order = argv_new();
    m->t.lookup = table_mem_lookup;
    m->t.sequence = table_mem_sequence;
    m->t.close = table_mem_close;
    return &m->t;
}

int table_mem_add(TABLE *t, const char *key, const char *value, const char *where)
{
    TABLE_MEM *m = (TABLE_MEM *) t;

    if (htable_has(m->entries, key)) {
        if (t->flags & TABLE_FLAG_DUP_REPLACE) {
            mem_free(htable_put(m->entries, key, mem_strdup(value)));
            return 0;
        } else if ((t->flags & TABLE_FLAG_DUP_IGNORE) == 0) {
            msg_warn("%s: duplicate entry: \"%s\"", where, key);
        }
        return 1;
    }
    htable_put(m->entries, key, mem_strdup(value));
    argv_add(m->order, key);
    return 0;
}
