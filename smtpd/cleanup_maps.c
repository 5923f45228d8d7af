/*
 * cleanup_maps - a list of lookup tables (see cleanup_maps.h).
 */
#include "config.h"

#include <string.h>

#include "cleanup_maps.h"
#include "mem.h"
#include "strutil.h"

#define CLEANUP_MAPS_MAX 64     /* tables in one list */

/*
 * Split at white space and commas, but keep "inline:{ a, b }" whole: a
 * '{' opens a group that the matching '}' closes.
 */
static const char *maps_next(const char *p, VSTR *item)
{
    int depth = 0;

    vstr_reset(item);
    while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r')
        p++;
    while (*p != 0) {
        if (depth == 0 && (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r'))
            break;
        if (*p == '{')
            depth++;
        else if (*p == '}' && depth > 0)
            depth--;
        vstr_addch(item, *p++);
    }
    return p;
}

CLEANUP_MAPS *cleanup_maps_open(const char *title, const char *text, VSTR *why)
{
    CLEANUP_MAPS *m = mem_calloc(1, sizeof(*m));
    VSTR *item = vstr_new(0);
    VSTR *err = vstr_new(0);
    const char *p = text != NULL ? text : "";
    TABLE *t;

    m->title = mem_strdup(title);
    for (;;) {
        p = maps_next(p, item);
        if (vstr_len(item) == 0)
            break;
        if (m->count >= CLEANUP_MAPS_MAX) {
            vstr_sprintf(why, "%s: more than %d tables", title, CLEANUP_MAPS_MAX);
            goto fail;
        }
        vstr_reset(err);
        if ((t = table_open(vstr_str(item), TABLE_READ, TABLE_FLAGS_READ, err)) == NULL) {
            vstr_sprintf(why, "%s: %s", title, vstr_str(err));
            goto fail;
        }
        m->tables = mem_array_grow(m->tables, m->count + 1, sizeof(*m->tables));
        m->tables[m->count++] = t;
    }
    vstr_free(item);
    vstr_free(err);
    return m;

fail:
    vstr_free(item);
    vstr_free(err);
    cleanup_maps_free(m);
    return NULL;
}

static const char *maps_find(CLEANUP_MAPS *m, const char *key, int fixed_only)
{
    const char *value;
    size_t i;

    m->error = TABLE_OK;
    for (i = 0; i < m->count; i++) {
        if (fixed_only && (m->tables[i]->props & TABLE_PROP_FIXED) == 0)
            continue;
        if ((value = table_lookup(m->tables[i], key)) != NULL)
            return value;
        if (m->tables[i]->error != TABLE_OK) {
            m->error = m->tables[i]->error;
            return NULL;
        }
    }
    return NULL;
}

const char *cleanup_maps_find(CLEANUP_MAPS *m, const char *key)
{
    return maps_find(m, key, 0);
}

const char *cleanup_maps_find_fixed(CLEANUP_MAPS *m, const char *key)
{
    return maps_find(m, key, 1);
}

int cleanup_maps_empty(const CLEANUP_MAPS *m)
{
    return m == NULL || m->count == 0;
}

void cleanup_maps_free(CLEANUP_MAPS *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->count; i++)
        table_close(m->tables[i]);
    mem_free(m->tables);
    mem_free(m->title);
    mem_free(m);
}
