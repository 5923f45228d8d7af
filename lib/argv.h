/*
 * argv - a growable, NULL-terminated array of strings that owns its copies.
 *
 * ARGV *a = argv_new(); argv_add(a, "x"); a->argv[i], a->argc; argv_free(a).
 * argv_split() breaks a string at any of the delimiter characters, skipping
 * empty fields. Allocation failures are fatal (mem.h).
 */
#ifndef POSTERN_ARGV_H
#define POSTERN_ARGV_H

#include <stddef.h>

typedef struct ARGV {
    char **argv;
    size_t argc;
    size_t cap;
} ARGV;

ARGV *argv_new(void);
void argv_add(ARGV *a, const char *str);
void argv_addn(ARGV *a, const char *str, size_t len);
void argv_truncate(ARGV *a, size_t argc);
ARGV *argv_split(const char *str, const char *delims);
void argv_free(ARGV *a);

#endif
