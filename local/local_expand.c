/*
 * local_expand - $name expansion of local(8)'s attributes (local_expand.h).
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "conf.h"
#include "local_expand.h"
#include "vstr.h"

/* The attribute's value; *known = 0 when name is not an attribute. */
static const char *local_expand_lookup(const LOCAL_VARS *v, const char *name, size_t len,
                                       int *known)
{
    static const struct {
        const char *name;
        size_t field;
    } names[] = {
        { "user", offsetof(LOCAL_VARS, user) },
        { "home", offsetof(LOCAL_VARS, home) },
        { "shell", offsetof(LOCAL_VARS, shell) },
        { "domain", offsetof(LOCAL_VARS, domain) },
        { "local", offsetof(LOCAL_VARS, local) },
        { "extension", offsetof(LOCAL_VARS, extension) },
        { "recipient", offsetof(LOCAL_VARS, recipient) },
        { "mailbox", offsetof(LOCAL_VARS, mailbox) },
        { "recipient_delimiter", offsetof(LOCAL_VARS, recipient_delimiter) },
    };
    size_t k;

    *known = 1;
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (strlen(names[k].name) == len && strncmp(names[k].name, name, len) == 0)
            return *(const char *const *) ((const char *) v + names[k].field);
    *known = 0;
    return NULL;
}

static int local_expand_depth(VSTR *out, const char *text, size_t tlen, const LOCAL_VARS *v,
                              VSTR *why, int depth)
{
    const char *p = text, *end = text + tlen;
    int flags = 0;

    if (depth > LOCAL_EXPAND_DEPTH) {
        vstr_set(why, "expansion nested too deeply");
        return -1;
    }
    while (p < end) {
        const char *name, *value, *alt = NULL;
        size_t nlen, alen = 0;
        int op = 0, known;

        if (*p != '$') {
            vstr_addch(out, *p++);
            goto check;
        }
        p++;
        if (p < end && *p == '$') {
            vstr_addch(out, *p++);
            goto check;
        }
        if (p < end && *p == '{') {
            int level = 1;

            name = ++p;
            while (p < end && (isalnum((unsigned char) *p) || *p == '_'))
                p++;
            nlen = (size_t) (p - name);
            if (p < end && (*p == '?' || *p == ':')) {
                op = *p++;
                alt = p;
                while (p < end && level > 0) {
                    if (*p == '{')
                        level++;
                    else if (*p == '}')
                        level--;
                    if (level > 0)
                        p++;
                }
                alen = (size_t) (p - alt);
            }
            if (p >= end || *p != '}' || nlen == 0) {
                vstr_set(why, "bad ${...} syntax");
                return -1;
            }
            p++;
        } else {
            name = p;
            while (p < end && (isalnum((unsigned char) *p) || *p == '_'))
                p++;
            nlen = (size_t) (p - name);
            if (nlen == 0) {
                vstr_set(why, "a '$' without a name");
                return -1;
            }
        }
        value = local_expand_lookup(v, name, nlen, &known);
        if (known && value != NULL && nlen == 9 && strncmp(name, "extension", 9) == 0)
            flags |= LOCAL_EXPAND_EXT;
        if (!known) {
            VSTR *n = vstr_new(nlen + 1);

            vstr_addmem(n, name, nlen);
            value = conf_get(vstr_str(n));
            vstr_free(n);
        }
        if (op == 0) {
            if (value == NULL)
                flags |= LOCAL_EXPAND_UNDEF;
            else
                vstr_adds(out, value);
        } else if ((op == '?') == (value != NULL && *value != 0)) {
            int f = local_expand_depth(out, alt, alen, v, why, depth + 1);

            if (f < 0)
                return -1;
            flags |= f;
        }
check:
        if (vstr_len(out) > LOCAL_EXPAND_MAX) {
            vstr_set(why, "expansion result too long");
            return -1;
        }
    }
    return flags;
}

int local_expand(VSTR *out, const char *text, const LOCAL_VARS *vars, VSTR *why)
{
    return local_expand_depth(out, text, strlen(text), vars, why, 0);
}
