/* argv - arrays of strings; see argv.h. */
#include "config.h"

#include <string.h>

#include "argv.h"
#include "mem.h"

ARGV *argv_new(void)
{
    ARGV *a = mem_alloc(sizeof(*a));

    a->cap = 8;
    a->argc = 0;
    a->argv = mem_array_grow(NULL, a->cap + 1, sizeof(char *));
    a->argv[0] = NULL;
    return a;
}

static void argv_push(ARGV *a, char *copy)
{
    if (a->argc == a->cap) {
        a->cap *= 2;
        a->argv = mem_array_grow(a->argv, a->cap + 1, sizeof(char *));
    }
    a->argv[a->argc++] = copy;
    a->argv[a->argc] = NULL;
}

void argv_add(ARGV *a, const char *str)
{
    argv_push(a, mem_strdup(str));
}

void argv_addn(ARGV *a, const char *str, size_t len)
{
    argv_push(a, mem_strndup(str, len));
}

void argv_truncate(ARGV *a, size_t argc)
{
    while (a->argc > argc)
        mem_free(a->argv[--a->argc]);
    a->argv[a->argc] = NULL;
}

ARGV *argv_split(const char *str, const char *delims)
{
    ARGV *a = argv_new();
    size_t len;

    for (;;) {
        str += strspn(str, delims);
        if (*str == 0)
            break;
        len = strcspn(str, delims);
        argv_addn(a, str, len);
        str += len;
    }
    return a;
}

void argv_free(ARGV *a)
{
    if (a == NULL)
        return;
    argv_truncate(a, 0);
    mem_free(a->argv);
    mem_free(a);
}
