/*
 * smtpd_dnsxl - DNS list arguments, filters and reply templates (see
 * smtpd_dnsxl.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_dnsxl.h"

int smtpd_dnsxl_split(const char *arg, char *domain, size_t size, const char **filter)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t) (eq - arg) : strlen(arg);

    *filter = eq ? eq + 1 : NULL;
    if (len == 0 || len >= size)
        return -1;
    memcpy(domain, arg, len);
    domain[len] = 0;
    return 0;
}

/* A decimal number 0..255 at *p; advances *p. -1 when there is none. */
static int dnsxl_number(const char **p)
{
    long v = 0;
    int n = 0;

    while (isdigit((unsigned char) **p)) {
        v = v * 10 + (**p - '0');
        if (v > 255)
            return -1;
        (*p)++;
        n++;
    }
    return n ? (int) v : -1;
}

/* One pattern field at *p against the value v: 1, 0, -1 malformed. */
static int dnsxl_field(const char **p, int v)
{
    int lo, hi, hit = 0;

    if (**p != '[') {
        lo = dnsxl_number(p);
        return lo < 0 ? -1 : lo == v;
    }
    (*p)++;
    for (;;) {
        if ((lo = dnsxl_number(p)) < 0)
            return -1;
        hi = lo;
        if ((*p)[0] == '.' && (*p)[1] == '.') {
            *p += 2;
            if ((hi = dnsxl_number(p)) < 0 || hi < lo)
                return -1;
        }
        if (v >= lo && v <= hi)
            hit = 1;
        if (**p == ';') {
            (*p)++;
            continue;
        }
        if (**p == ']') {
            (*p)++;
            return hit;
        }
        return -1;
    }
}

int smtpd_dnsxl_match(const char *filter, const char *addr)
{
    const char *p = filter, *a = addr;
    int i, v, r, hit = 1;

    for (i = 0; i < 4; i++) {
        if (i > 0) {
            if (*p != '.')
                return -1;
            p++;
            if (*a != '.')
                hit = 0;
            else
                a++;
        }
        v = hit ? dnsxl_number(&a) : -1;
        if (v < 0)
            hit = 0;
        r = dnsxl_field(&p, v);
        if (r < 0)
            return -1;
        if (r == 0)
            hit = 0;
    }
    if (*p != 0)
        return -1;
    return hit && *a == 0;
}

static int dnsxl_expand(VSTR *out, const char *s, size_t len, SMTPD_DNSXL_LOOKUP lookup,
                        void *ctx, int depth)
{
    const char *end = s + len, *name, *val;
    char nbuf[64];
    size_t nlen;

    if (depth > SMTPD_DNSXL_DEPTH) {
        vstr_set(out, "template nesting too deep");
        return -1;
    }
    while (s < end) {
        if (*s != '$') {
            vstr_addch(out, *s++);
        } else if (s + 1 < end && s[1] == '$') {
            vstr_addch(out, '$');
            s += 2;
        } else if (s + 1 < end && s[1] == '{') {
            const char *close, *op, *q;
            int level = 0;

            name = s + 2;
            for (q = name; q < end && (isalnum((unsigned char) *q) || *q == '_'); q++)
                ;
            op = q;
            /* the matching brace, counting nested ones */
            for (close = op; close < end; close++) {
                if (*close == '{')
                    level++;
                else if (*close == '}' && level-- == 0)
                    break;
            }
            nlen = (size_t) (op - name);
            if (close >= end || nlen == 0 || nlen >= sizeof(nbuf)
                || (op != close && *op != '?' && *op != ':')) {
                vstr_set(out, "malformed ${...} in template");
                return -1;
            }
            memcpy(nbuf, name, nlen);
            nbuf[nlen] = 0;
            val = lookup(nbuf, ctx);
            if (op == close) {
                if (val)
                    vstr_adds(out, val);
            } else if ((*op == '?') == (val != NULL && *val != 0)) {
                if (dnsxl_expand(out, op + 1, (size_t) (close - op - 1), lookup, ctx,
                                 depth + 1) < 0)
                    return -1;
            }
            s = close + 1;
        } else {
            const char *q;

            name = s + 1;
            for (q = name; q < end && (isalnum((unsigned char) *q) || *q == '_'); q++)
                ;
            nlen = (size_t) (q - name);
            if (nlen == 0 || nlen >= sizeof(nbuf)) {
                vstr_set(out, "malformed $name in template");
                return -1;
            }
            memcpy(nbuf, name, nlen);
            nbuf[nlen] = 0;
            if ((val = lookup(nbuf, ctx)) != NULL)
                vstr_adds(out, val);
            s = q;
        }
        if (vstr_len(out) > SMTPD_DNSXL_MAX) {
            vstr_set(out, "expanded template too long");
            return -1;
        }
    }
    return 0;
}

int smtpd_dnsxl_expand(VSTR *out, const char *tmpl, SMTPD_DNSXL_LOOKUP lookup, void *ctx)
{
    vstr_reset(out);
    return dnsxl_expand(out, tmpl, strlen(tmpl), lookup, ctx, 0);
}
