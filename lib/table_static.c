/*
 * table_static - the static: type: every lookup returns the same value.
 * "static:value", or "static:{ value with white space }" (the braces and
 * the white space inside them are removed). An opening brace without its
 * closing one fails the open. Read-only, no sequence().
 */
#include "config.h"

#include <string.h>

#include "mem.h"
#include "strutil.h"
#include "table_types.h"

typedef struct TABLE_STATIC {
    TABLE t;
    char *value;
} TABLE_STATIC;

static const char *table_static_lookup(TABLE *t, const char *key)
{
    (void) key;
    return ((TABLE_STATIC *) t)->value;
}

static void table_static_close(TABLE *t)
{
    mem_free(((TABLE_STATIC *) t)->value);
    table_free_base(t);
}

TABLE *table_static_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_STATIC *s;
    size_t len = strlen(name);
    char *value;

    if (table_read_only(type, name, mode, why) < 0)
        return NULL;
    if (name[0] == '{') {
        if (len < 2 || name[len - 1] != '}') {
            vstr_sprintf(why, "%s:%s: missing \"}\" after \"{\"", type, name);
            return NULL;
        }
        value = mem_strndup(name + 1, len - 2);
        memmove(value, str_trim(value), strlen(str_trim(value)) + 1);
    } else {
        value = mem_strdup(name);
    }
    s = (TABLE_STATIC *) table_alloc(sizeof(*s), type, name, mode, flags, TABLE_PROP_FIXED);
    s->value = value;
    s->t.lookup = table_static_lookup;
    s->t.close = table_static_close;
    return &s->t;
}
