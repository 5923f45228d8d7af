/*
 * htable - a hash table from NUL-terminated string keys to pointers.
 *
 * HTABLE *t = htable_new(64); htable_put(t, key, value) (the key is copied,
 * an existing entry's value is replaced and the old value returned);
 * htable_get(t, key) returns the value or NULL (use htable_has() where NULL is
 * a legitimate value); htable_remove(t, key) returns the removed value;
 * htable_keys(t) returns a NULL-terminated array of the keys sorted with
 * strcmp, to be released with mem_free() (the strings belong to the table).
 * htable_free(t, fn) calls fn on every value when fn is not NULL.
 * The table grows as needed; errors are fatal (mem.h).
 */
#ifndef POSTERN_HTABLE_H
#define POSTERN_HTABLE_H

#include <stddef.h>

typedef struct HTABLE_ENT {
    char *key;
    void *value;
    struct HTABLE_ENT *next;
} HTABLE_ENT;

typedef struct HTABLE {
    HTABLE_ENT **slots;
    size_t size;
    size_t used;
} HTABLE;

HTABLE *htable_new(size_t hint);
void *htable_put(HTABLE *t, const char *key, void *value);
void *htable_get(const HTABLE *t, const char *key);
int htable_has(const HTABLE *t, const char *key);
void *htable_remove(HTABLE *t, const char *key);
const char **htable_keys(const HTABLE *t);
void htable_free(HTABLE *t, void (*free_fn)(void *));

#endif
