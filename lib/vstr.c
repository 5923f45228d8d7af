/* vstr - growable, always terminated byte strings; see vstr.h. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "vstr.h"

VSTR *vstr_new(size_t hint)
{
    VSTR *v = mem_alloc(sizeof(*v));

    v->cap = hint < 16 ? 16 : hint;
    if (v->cap == SIZE_MAX)
        msg_panic("vstr_new: bad size");
    v->buf = mem_alloc(v->cap + 1);
    v->buf[0] = 0;
    v->len = 0;
    return v;
}

void vstr_free(VSTR *v)
{
    if (v == NULL)
        return;
    mem_free(v->buf);
    mem_free(v);
}

char *vstr_export(VSTR *v)
{
    char *buf = v->buf;

    mem_free(v);
    return buf;
}

void vstr_reset(VSTR *v)
{
    v->len = 0;
    v->buf[0] = 0;
}

void vstr_truncate(VSTR *v, size_t len)
{
    if (len < v->len) {
        v->len = len;
        v->buf[len] = 0;
    }
}

/* Make room for extra more bytes plus the terminator. */
void vstr_reserve(VSTR *v, size_t extra)
{
    size_t need;

    if (extra > SIZE_MAX / 2 - v->len)
        msg_panic("vstr_reserve: length overflow (%zu + %zu)", v->len, extra);
    need = v->len + extra;
    if (need <= v->cap)
        return;
    while (v->cap < need)
        v->cap *= 2;
    v->buf = mem_realloc(v->buf, v->cap + 1);
}

void vstr_addch(VSTR *v, int ch)
{
    if (v->len == v->cap)
        vstr_reserve(v, 1);
    v->buf[v->len++] = (char) ch;
    v->buf[v->len] = 0;
}

void vstr_addmem(VSTR *v, const void *data, size_t len)
{
    vstr_reserve(v, len);
    if (len)
        memcpy(v->buf + v->len, data, len);
    v->len += len;
    v->buf[v->len] = 0;
}

void vstr_adds(VSTR *v, const char *str)
{
    vstr_addmem(v, str, strlen(str));
}

void vstr_set(VSTR *v, const char *str)
{
    vstr_reset(v);
    vstr_adds(v, str);
}

void vstr_vprintf(VSTR *v, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(v->buf + v->len, v->cap - v->len + 1, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        msg_panic("vstr_vprintf: bad format \"%s\"", fmt);
    if ((size_t) n > v->cap - v->len) {
        vstr_reserve(v, (size_t) n);
        n = vsnprintf(v->buf + v->len, v->cap - v->len + 1, fmt, ap);
    }
    v->len += (size_t) n;
}

void vstr_printf(VSTR *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(v, fmt, ap);
    va_end(ap);
}

void vstr_sprintf(VSTR *v, const char *fmt, ...)
{
    va_list ap;

    vstr_reset(v);
    va_start(ap, fmt);
    vstr_vprintf(v, fmt, ap);
    va_end(ap);
}
