/*
 * vstr - a growable byte string that knows its length and is always
 * NUL-terminated.
 *
 * Usage: VSTR *v = vstr_new(0); vstr_adds(v, "text"); vstr_printf(v, "%d", n);
 * use vstr_str(v) / vstr_len(v); vstr_free(v).
 * The string may contain NUL bytes (vstr_addmem); vstr_str() then only shows
 * the text up to the first one. Growth is checked: an impossible size is a
 * panic, memory exhaustion is fatal (see mem.h). Code that stores data from a
 * client bounds the length itself before appending (vstr_len() is cheap).
 */
#ifndef POSTERN_VSTR_H
#define POSTERN_VSTR_H

#include <stdarg.h>
#include <stddef.h>

typedef struct VSTR {
    char *buf;
    size_t len;
    size_t cap;
} VSTR;

VSTR *vstr_new(size_t hint);
void vstr_free(VSTR *v);
char *vstr_export(VSTR *v);                 /* frees v, returns its buffer */
void vstr_reset(VSTR *v);
void vstr_truncate(VSTR *v, size_t len);
void vstr_reserve(VSTR *v, size_t extra);
void vstr_addch(VSTR *v, int ch);
void vstr_addmem(VSTR *v, const void *data, size_t len);
void vstr_adds(VSTR *v, const char *str);
void vstr_set(VSTR *v, const char *str);
void vstr_printf(VSTR *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vstr_vprintf(VSTR *v, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void vstr_sprintf(VSTR *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vstr_str(v) ((v)->buf)
#define vstr_len(v) ((v)->len)

#endif
