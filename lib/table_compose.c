/* table_compose - unionmap:, pipemap:, randmap:, fail:; see table_compose.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "mem.h"
#include "table_compose.h"
#include "vstr.h"

#define COMPOSE_SEP ", \t\r\n"

typedef struct TABLE_COMPOSE {
    TABLE t;
    TABLE **members;            /* unionmap, pipemap */
    size_t count;
    ARGV *values;               /* randmap */
    VSTR *result;
} TABLE_COMPOSE;

/*
 * How deep composite tables are being opened inside each other right now
 * (a member may itself be a unionmap:...): bounds the recursion.
 */
static int compose_depth;

/* Split "{a, b{c d}, ...}" into elements (braces kept); NULL when malformed. */
static ARGV *compose_split(const char *name)
{
    size_t len = strlen(name), i, start = 0;
    int depth = 0, in_elem = 0;
    ARGV *list;

    if (len < 2 || name[0] != '{' || name[len - 1] != '}')
        return NULL;
    list = argv_new();
    for (i = 1; i < len - 1; i++) {
        char ch = name[i];

        if (!in_elem && strchr(COMPOSE_SEP, ch) == NULL) {
            in_elem = 1;
            start = i;
        }
        if (ch == '{') {
            depth++;
        } else if (ch == '}' && --depth < 0) {
            break;
        } else if (in_elem && depth == 0 && strchr(COMPOSE_SEP, ch) != NULL) {
            argv_addn(list, name + start, i - start);
            in_elem = 0;
        }
    }
    if (depth != 0) {
        argv_free(list);
        return NULL;
    }
    if (in_elem)
        argv_addn(list, name + start, len - 1 - start);
    if (list->argc == 0) {
        argv_free(list);
        return NULL;
    }
    return list;
}

static void compose_close(TABLE *t)
{
    TABLE_COMPOSE *c = (TABLE_COMPOSE *) t;
    size_t i;

    for (i = 0; i < c->count; i++)
        if (c->members[i] != NULL)
            table_close(c->members[i]);
    mem_free(c->members);
    if (c->values != NULL)
        argv_free(c->values);
    vstr_free(c->result);
    table_free_base(t);
}

static const char *unionmap_lookup(TABLE *t, const char *key)
{
    TABLE_COMPOSE *c = (TABLE_COMPOSE *) t;
    const char *value;
    size_t i;
    int found = 0;

    vstr_reset(c->result);
    for (i = 0; i < c->count; i++) {
        if ((value = table_lookup(c->members[i], key)) != NULL) {
            if (found++)
                vstr_addch(c->result, ',');
            vstr_adds(c->result, value);
        } else if (c->members[i]->error != TABLE_OK) {
            t->error = c->members[i]->error;
            return NULL;
        }
    }
    return found ? vstr_str(c->result) : NULL;
}

static const char *pipemap_lookup(TABLE *t, const char *key)
{
    TABLE_COMPOSE *c = (TABLE_COMPOSE *) t;
    const char *value;
    size_t i;

    vstr_set(c->result, key);
    for (i = 0; i < c->count; i++) {
        if ((value = table_lookup(c->members[i], vstr_str(c->result))) == NULL) {
            t->error = c->members[i]->error;
            return NULL;
        }
        vstr_set(c->result, value);
    }
    return vstr_str(c->result);
}

static const char *randmap_lookup(TABLE *t, const char *key)
{
    TABLE_COMPOSE *c = (TABLE_COMPOSE *) t;

    (void) key;
    return c->values->argv[arc4random_uniform((uint32_t) c->values->argc)];
}

static const char *fail_lookup(TABLE *t, const char *key)
{
    (void) key;
    t->error = TABLE_ERR_RETRY;
    return NULL;
}

static TABLE_COMPOSE *compose_alloc(const char *type, const char *name, int mode, int flags,
                                    VSTR *why)
{
    TABLE_COMPOSE *c;

    if (mode != TABLE_READ) {
        vstr_sprintf(why, "%s:%s: the %s type is read-only", type, name, type);
        return NULL;
    }
    c = (TABLE_COMPOSE *) table_alloc(sizeof(*c), type, name, mode, flags, TABLE_PROP_PATTERN);
    c->result = vstr_new(0);
    c->t.close = compose_close;
    return c;
}

/* unionmap: and pipemap: open their members with the caller's flags. */
static TABLE *compose_open_tables(const char *type, const char *name, int mode, int flags,
                                  VSTR *why, const char *(*lookup)(TABLE *, const char *))
{
    TABLE_COMPOSE *c;
    ARGV *list;
    size_t i;
    int complete;

    if ((list = compose_split(name)) == NULL) {
        vstr_sprintf(why, "bad syntax: \"%s:%.1000s\"; need \"%s:{type:name...}\"", type, name, type);
        return NULL;
    }
    if (compose_depth >= TABLE_COMPOSE_DEPTH_MAX) {
        vstr_sprintf(why, "%s: tables nested more than %d deep", type, TABLE_COMPOSE_DEPTH_MAX);
        argv_free(list);
        return NULL;
    }
    if ((c = compose_alloc(type, name, mode, flags, why)) == NULL) {
        argv_free(list);
        return NULL;
    }
    c->t.lookup = lookup;
    c->members = mem_calloc(list->argc, sizeof(*c->members));
    compose_depth++;
    for (i = 0; i < list->argc; i++) {
        if ((c->members[i] = table_open(list->argv[i], mode, flags, why)) == NULL)
            break;
        c->count++;
    }
    compose_depth--;
    complete = c->count == list->argc;
    argv_free(list);
    if (!complete) {
        compose_close(&c->t);
        return NULL;
    }
    return &c->t;
}

TABLE *table_unionmap_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    return compose_open_tables(type, name, mode, flags, why, unionmap_lookup);
}

TABLE *table_pipemap_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    return compose_open_tables(type, name, mode, flags, why, pipemap_lookup);
}

TABLE *table_randmap_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_COMPOSE *c;
    ARGV *list;

    if ((list = compose_split(name)) == NULL) {
        vstr_sprintf(why, "bad syntax: \"%s:%.1000s\"; need \"%s:{value...}\"", type, name, type);
        return NULL;
    }
    if ((c = compose_alloc(type, name, mode, flags, why)) == NULL) {
        argv_free(list);
        return NULL;
    }
    c->values = list;
    c->t.lookup = randmap_lookup;
    return &c->t;
}

TABLE *table_fail_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_COMPOSE *c = compose_alloc(type, name, mode, flags, why);

    if (c == NULL)
        return NULL;
    c->t.lookup = fail_lookup;
    return &c->t;
}
