/*
 * mem - checked memory allocation.
 *
 * Every function here either returns usable memory or ends the process: an
 * allocation failure is fatal (logged, exit 1), a size whose arithmetic would
 * overflow is a programming error (panic). Callers therefore never test for
 * NULL. mem_free(NULL) is allowed.
 */
#ifndef POSTERN_MEM_H
#define POSTERN_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *ptr, size_t size);
void *mem_array_grow(void *ptr, size_t count, size_t elsize);
char *mem_strdup(const char *str);
char *mem_strndup(const char *str, size_t len);
void *mem_memdup(const void *ptr, size_t len);
void mem_free(void *ptr);

#endif
