/* mem - checked memory allocation; see mem.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"

void *mem_alloc(size_t size)
{
    void *ptr = malloc(size ? size : 1);

    if (ptr == NULL)
        msg_fatal("out of memory allocating %zu bytes", size);
    return ptr;
}

void *mem_calloc(size_t count, size_t size)
{
    void *ptr;

    if (size != 0 && count > SIZE_MAX / size)
        msg_panic("mem_calloc: %zu x %zu overflows", count, size);
    ptr = calloc(count ? count : 1, size ? size : 1);
    if (ptr == NULL)
        msg_fatal("out of memory allocating %zu x %zu bytes", count, size);
    return ptr;
}

void *mem_realloc(void *ptr, size_t size)
{
    void *np = realloc(ptr, size ? size : 1);

    if (np == NULL)
        msg_fatal("out of memory reallocating %zu bytes", size);
    return np;
}

/* Resize an array to hold count elements of elsize bytes, checking the product. */
void *mem_array_grow(void *ptr, size_t count, size_t elsize)
{
    if (elsize != 0 && count > SIZE_MAX / elsize)
        msg_panic("mem_array_grow: %zu x %zu overflows", count, elsize);
    return mem_realloc(ptr, count * elsize);
}

char *mem_strdup(const char *str)
{
    return mem_memdup(str, strlen(str) + 1);
}

char *mem_strndup(const char *str, size_t len)
{
    const char *end = memchr(str, 0, len);
    char *copy;

    if (end != NULL)
        len = (size_t) (end - str);
    if (len == SIZE_MAX)
        msg_panic("mem_strndup: length overflows");
    copy = mem_alloc(len + 1);
    memcpy(copy, str, len);
    copy[len] = 0;
    return copy;
}

void *mem_memdup(const void *ptr, size_t len)
{
    void *copy = mem_alloc(len);

    if (len)
        memcpy(copy, ptr, len);
    return copy;
}

void mem_free(void *ptr)
{
    free(ptr);
}
