/* htable - string-keyed hash table; see htable.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "mem.h"

static size_t hash_key(const char *key, size_t size)
{
    size_t h = 5381;

    while (*key)
        h = h * 33 + (unsigned char) *key++;
    return h % size;
}

HTABLE *htable_new(size_t hint)
{
    HTABLE *t = mem_alloc(sizeof(*t));

    t->size = hint < 13 ? 13 : hint | 1;
    t->used = 0;
    t->slots = mem_calloc(t->size, sizeof(HTABLE_ENT *));
    return t;
}

static HTABLE_ENT **find_slot(const HTABLE *t, const char *key)
{
    HTABLE_ENT **pp = &t->slots[hash_key(key, t->size)];

    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

static void grow(HTABLE *t)
{
    HTABLE_ENT **old = t->slots;
    size_t old_size = t->size, i;

    t->size = 2 * t->size + 1;
    t->slots = mem_calloc(t->size, sizeof(HTABLE_ENT *));
    for (i = 0; i < old_size; i++) {
        HTABLE_ENT *e = old[i], *next;

        for (; e; e = next) {
            size_t h = hash_key(e->key, t->size);

            next = e->next;
            e->next = t->slots[h];
            t->slots[h] = e;
        }
    }
    mem_free(old);
}

void *htable_put(HTABLE *t, const char *key, void *value)
{
    HTABLE_ENT **pp = find_slot(t, key);
    HTABLE_ENT *e;
    void *old;

    if (*pp) {
        old = (*pp)->value;
        (*pp)->value = value;
        return old;
    }
    if (t->used >= t->size) {
        grow(t);
        pp = find_slot(t, key);
    }
    e = mem_alloc(sizeof(*e));
    e->key = mem_strdup(key);
    e->value = value;
    e->next = NULL;
    *pp = e;
    t->used++;
    return NULL;
}

void *htable_get(const HTABLE *t, const char *key)
{
    HTABLE_ENT *e = *find_slot(t, key);

    return e ? e->value : NULL;
}

int htable_has(const HTABLE *t, const char *key)
{
    return *find_slot(t, key) != NULL;
}

void *htable_remove(HTABLE *t, const char *key)
{
    HTABLE_ENT **pp = find_slot(t, key);
    HTABLE_ENT *e = *pp;
    void *value;

    if (e == NULL)
        return NULL;
    *pp = e->next;
    value = e->value;
    mem_free(e->key);
    mem_free(e);
    t->used--;
    return value;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

const char **htable_keys(const HTABLE *t)
{
    const char **keys = mem_array_grow(NULL, t->used + 1, sizeof(char *));
    size_t i, n = 0;

    for (i = 0; i < t->size; i++) {
        HTABLE_ENT *e;

        for (e = t->slots[i]; e; e = e->next)
            keys[n++] = e->key;
    }
    keys[n] = NULL;
    qsort(keys, n, sizeof(char *), cmp_str);
    return keys;
}

void htable_free(HTABLE *t, void (*free_fn)(void *))
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->size; i++) {
        HTABLE_ENT *e = t->slots[i], *next;

        for (; e; e = next) {
            next = e->next;
            if (free_fn)
                free_fn(e->value);
            mem_free(e->key);
            mem_free(e);
        }
    }
    mem_free(t->slots);
    mem_free(t);
}
