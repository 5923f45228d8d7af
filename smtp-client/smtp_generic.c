/*
 * smtp_generic - smtp_generic_maps; see smtp_generic.h.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mem.h"
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

static int generic_addr_header(const char *h, size_t n)
{
    static const char *const names[] = {
        "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Errors-To", "Return-Receipt-To",
        "Apparently-To", "Resent-From", "Resent-Sender", "Resent-Reply-To", "Resent-To",
        "Resent-Cc", "Resent-Bcc",
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && strncasecmp(h, names[i], n) == 0)
            return 1;
    return 0;
}

/* generic_display - a display name, quoted when it has specials */
static void generic_display(VSTR *out, const char *name)
{
    const char *p;

    if (strpbrk(name, "()<>@,;:\\\".[]") == NULL) {
        vstr_adds(out, name);
        return;
    }
    vstr_addch(out, '"');
    for (p = name; *p; p++) {
        if (*p == '"' || *p == '\\')
            vstr_addch(out, '\\');
        vstr_addch(out, *p);
    }
    vstr_addch(out, '"');
}

static void generic_rebuild(VSTR *out, const char *name, size_t n, const ADDR_LIST *l)
{
    VSTR *q = vstr_new(0);
    const char *group = NULL;
    size_t i;

    vstr_reset(out);
    vstr_addmem(out, name, n);
    vstr_adds(out, ": ");
    for (i = 0; i < l->count; i++) {
        const ADDR_ITEM *it = &l->items[i];

        if (group && (it->group == NULL || strcmp(it->group, group) != 0)) {
            vstr_addch(out, ';');
            group = NULL;
        }
        if (i > 0)
            vstr_adds(out, ", ");
        if (it->group && group == NULL) {
            group = it->group;
            generic_display(out, group);
            vstr_adds(out, ": ");
        }
        if (*it->addr == 0 && it->group)
            continue;
        vstr_reset(q);
        addr_quote(q, it->addr);
        if (it->display && *it->display) {
            generic_display(out, it->display);
            vstr_printf(out, " <%s>", vstr_str(q));
        } else if (*it->addr == 0)
            vstr_adds(out, "<>");
        else
            vstr_adds(out, vstr_str(q));
    }
    if (group)
        vstr_addch(out, ';');
    vstr_free(q);
}

int smtp_generic_header(TABLE **tables, size_t n, const char *header, VSTR *out)
{
    const char *colon = strchr(header, ':');
    size_t nlen, i;
    VSTR *text, *m, *why;
    ADDR_LIST *l;
    int changed = 0, r;
    const char *p;

    if (n == 0 || colon == NULL)
        return 0;
    nlen = (size_t) (colon - header);
    while (nlen > 0 && (header[nlen - 1] == ' ' || header[nlen - 1] == '\t'))
        nlen--;
    if (!generic_addr_header(header, nlen))
        return 0;
    /* unfold: a "\n" is followed by the continuation's white space */
    text = vstr_new(0);
    for (p = colon + 1; *p; p++)
        if (*p != '\n')
            vstr_addch(text, *p);
    why = vstr_new(0);
    l = addr_list_parse(vstr_str(text), why);
    vstr_free(why);
    vstr_free(text);
    if (l == NULL)
        return 0;
    m = vstr_new(0);
    for (i = 0; i < l->count && changed >= 0; i++) {
        if (*l->items[i].addr == 0)
            continue;
        r = smtp_generic_map(tables, n, l->items[i].addr, m);
        if (r < 0)
            changed = -1;
        else if (r > 0 && strcmp(vstr_str(m), l->items[i].addr) != 0) {
            mem_free(l->items[i].addr);
            l->items[i].addr = mem_strdup(vstr_str(m));
            changed = 1;
        }
    }
    if (changed > 0)
        generic_rebuild(out, header, nlen, l);
    vstr_free(m);
    addr_list_free(l);
    return changed;
}
