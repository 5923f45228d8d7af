/*
 * smtp_generic - smtp_generic_maps; see smtp_generic.h.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "msg.h"
#include "smtp_generic.h"

/* generic_find - one key through every table: value, or NULL (*err on failure) */
static const char *generic_find(TABLE **t, size_t n, const char *key, int *err)
{
    size_t i;
    const char *v;

    for (i = 0; i < n; i++) {
        if ((v = table_lookup(t[i], key)) != NULL)
            return v;
        if (t[i]->error != TABLE_OK) {
            *err = 1;
            return NULL;
        }
    }
    return NULL;
}

static int generic_ok(const char *v)
{
    size_t len = strlen(v);

    if (len == 0 || len > SMTP_GENERIC_MAX)
        return 0;
    for (; *v; v++)
        if ((unsigned char) *v < 0x21 || *v == 0x7f)
            return 0;
    return 1;
}

int smtp_generic_map(TABLE **tables, size_t n, const char *addr, VSTR *out)
{
    const char *at, *v;
    VSTR *key;
    int err = 0;
    char *p;

    if (n == 0 || *addr == 0 || strlen(addr) > SMTP_GENERIC_MAX)
        return 0;
    key = vstr_new(0);
    vstr_set(key, addr);
    at = strrchr(vstr_str(key), '@');
    if (at != NULL)
        for (p = (char *) at; *p; p++)
            *p = (char) tolower((unsigned char) *p);
    v = generic_find(tables, n, vstr_str(key), &err);
    if (v == NULL && !err && at != NULL)
        v = generic_find(tables, n, at, &err);
    if (err) {
        vstr_free(key);
        return -1;
    }
    if (v == NULL) {
        vstr_free(key);
        return 0;
    }
    if (!generic_ok(v)) {
        msg_warn("smtp_generic_maps: bad result for %s: ignored", addr);
        vstr_free(key);
        return 0;
    }
    if (v[0] == '@' && (at = strrchr(addr, '@')) != NULL) {
        vstr_reset(out);
        vstr_addmem(out, addr, (size_t) (at - addr));
        vstr_adds(out, v);
    } else
        vstr_set(out, v);
    vstr_free(key);
    return 1;
}
