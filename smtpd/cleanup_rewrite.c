/*
 * cleanup_rewrite - address rewriting (see cleanup_rewrite.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cleanup_rewrite.h"
#include "mem.h"

void cleanup_rewrite_context(const CLEANUP_CONF *conf, int local, VSTR *addr)
{
    VSTR *out;

    if (vstr_len(addr) == 0)
        return;
    out = vstr_new(vstr_len(addr) + 64);
    if (local) {
        if (strchr(vstr_str(addr), '@') == NULL) {
            if (conf->append_at_myorigin && *conf->myorigin != 0
                && addr_append_origin(out, vstr_str(addr), conf->myorigin))
                vstr_set(addr, vstr_str(out));
        } else if (conf->append_dot_mydomain && *conf->mydomain != 0
                   && addr_append_dot_mydomain(out, vstr_str(addr), conf->mydomain)) {
            vstr_set(addr, vstr_str(out));
        }
    } else if (*conf->remote_header_domain != 0 && strchr(vstr_str(addr), '@') == NULL) {
        if (addr_append_origin(out, vstr_str(addr), conf->remote_header_domain))
            vstr_set(addr, vstr_str(out));
    }
    vstr_free(out);
}

/* Whether "user" alone may be looked up for this domain. */
static int cleanup_local_domain(const CLEANUP_CONF *conf, const char *domain)
{
    if (strcasecmp(domain, conf->myorigin) == 0 || strcasecmp(domain, conf->myhostname) == 0)
        return 1;
    return conf->mydestination != NULL
           && match_list_domain(conf->mydestination, domain) == MATCH_YES;
}

/* Put "+ext" back into every address of a comma list. */
static void cleanup_add_ext(const char *value, int delim, const char *ext, VSTR *out)
{
    ARGV *items = argv_split(value, ", \t");
    const char *at;
    size_t i;

    vstr_reset(out);
    for (i = 0; i < items->argc; i++) {
        const char *a = items->argv[i];

        if (i > 0)
            vstr_adds(out, ", ");
        at = strrchr(a, '@');
        if (at == NULL) {
            vstr_printf(out, "%s%c%s", a, delim, ext);
        } else {
            vstr_addmem(out, a, (size_t) (at - a));
            vstr_printf(out, "%c%s%s", delim, ext, at);
        }
    }
    argv_free(items);
}

/* A result "@domain" keeps the address's local part: "@new" -> "user@new". */
static void cleanup_fill_local(const char *addr, VSTR *out)
{
    const char *at = strrchr(addr, '@');
    size_t llen = at != NULL ? (size_t) (at - addr) : strlen(addr);
    ARGV *items;
    size_t i;

    if (vstr_str(out)[0] != '@' && strstr(vstr_str(out), " @") == NULL
        && strstr(vstr_str(out), ",@") == NULL)
        return;
    items = argv_split(vstr_str(out), ", \t");
    vstr_reset(out);
    for (i = 0; i < items->argc; i++) {
        if (i > 0)
            vstr_adds(out, ", ");
        if (items->argv[i][0] == '@')
            vstr_addmem(out, addr, llen);
        vstr_adds(out, items->argv[i]);
    }
    argv_free(items);
}

static int cleanup_try(CLEANUP_MAPS *maps, const char *key, int fixed, const char **value)
{
    *value = fixed ? cleanup_maps_find_fixed(maps, key) : cleanup_maps_find(maps, key);
    if (*value != NULL)
        return 1;
    return maps->error != TABLE_OK ? -1 : 0;
}

int cleanup_addr_lookup(const CLEANUP_CONF *conf, CLEANUP_MAPS *maps, const char *addr,
                        VSTR *out)
{
    VSTR *base = vstr_new(0);
    VSTR *ext = vstr_new(0);
    VSTR *key = vstr_new(0);
    const char *value = NULL;
    const char *at;
    int delim = 0;
    int r;
    int used_base = 0;

    if (cleanup_maps_empty(maps) || *addr == 0) {
        r = 0;
        goto done;
    }
    if ((r = cleanup_try(maps, addr, 0, &value)) != 0)
        goto done;
    if (*conf->rcpt_delim != 0)
        delim = addr_split_ext(addr, conf->rcpt_delim, base, ext);
    if (delim != 0) {
        used_base = 1;
        if ((r = cleanup_try(maps, vstr_str(base), 1, &value)) != 0)
            goto done;
    } else {
        vstr_set(base, addr);
    }
    at = strrchr(vstr_str(base), '@');
    if (at != NULL && cleanup_local_domain(conf, at + 1)) {
        if (delim != 0) {
            const char *full_at = strrchr(addr, '@');

            vstr_reset(key);
            vstr_addmem(key, addr, (size_t) (full_at - addr));
            used_base = 0;
            if ((r = cleanup_try(maps, vstr_str(key), 1, &value)) != 0)
                goto done;
            used_base = 1;
        }
        vstr_reset(key);
        vstr_addmem(key, vstr_str(base), (size_t) (at - vstr_str(base)));
        if ((r = cleanup_try(maps, vstr_str(key), 1, &value)) != 0)
            goto done;
    }
    if (at != NULL) {
        /* The catch-all keeps the extension out: Postfix does not propagate it. */
        used_base = 0;
        if ((r = cleanup_try(maps, at, 1, &value)) != 0)
            goto done;
    }
    r = 0;

done:
    if (r == 1) {
        if (used_base && delim != 0 && vstr_len(ext) > 0)
            cleanup_add_ext(value, delim, vstr_str(ext), out);
        else
            vstr_set(out, value);
        if (strchr(vstr_str(out), '@') != NULL)
            cleanup_fill_local(addr, out);
    }
    vstr_free(base);
    vstr_free(ext);
    vstr_free(key);
    return r;
}

/* One canonical table set, applied until the address stops changing. */
static int cleanup_map11(const CLEANUP_CONF *conf, CLEANUP_MAPS *maps, VSTR *addr)
{
    VSTR *out;
    int i;
    int r = 0;

    if (cleanup_maps_empty(maps))
        return 0;
    out = vstr_new(0);
    for (i = 0; i < CLEANUP_CANON_MAX; i++) {
        if ((r = cleanup_addr_lookup(conf, maps, vstr_str(addr), out)) <= 0)
            break;
        /* A canonical value is one address; take the first of a list. */
        vstr_truncate(out, strcspn(vstr_str(out), ", \t"));
        if (vstr_len(out) > ADDR_MAX_LEN || strcmp(vstr_str(out), vstr_str(addr)) == 0)
            break;
        vstr_set(addr, vstr_str(out));
    }
    vstr_free(out);
    return r < 0 ? -1 : 0;
}

int cleanup_canonical(const CLEANUP_CONF *conf, int class, VSTR *addr)
{
    if (vstr_len(addr) == 0)
        return 0;
    if ((class & (CLEANUP_CLASS_ENV_FROM | CLEANUP_CLASS_HDR_FROM))
        && (conf->sender_canon_classes & class)
        && cleanup_map11(conf, conf->sender_canonical, addr) < 0)
        return -1;
    if ((class & (CLEANUP_CLASS_ENV_RCPT | CLEANUP_CLASS_HDR_RCPT))
        && (conf->rcpt_canon_classes & class)
        && cleanup_map11(conf, conf->rcpt_canonical, addr) < 0)
        return -1;
    if ((conf->canon_classes & class) && cleanup_map11(conf, conf->canonical, addr) < 0)
        return -1;
    return 0;
}

void cleanup_masquerade(const CLEANUP_CONF *conf, int class, VSTR *addr)
{
    const char *at = strrchr(vstr_str(addr), '@');
    const char *domain;
    size_t dlen;
    size_t i;
    VSTR *out;

    if (at == NULL || (conf->masq_classes & class) == 0 || conf->masq_domains == NULL
        || conf->masq_domains->argc == 0)
        return;
    for (i = 0; conf->masq_exceptions != NULL && i < conf->masq_exceptions->argc; i++) {
        const char *u = conf->masq_exceptions->argv[i];

        if (strlen(u) == (size_t) (at - vstr_str(addr))
            && strncasecmp(u, vstr_str(addr), strlen(u)) == 0)
            return;
    }
    domain = at + 1;
    dlen = strlen(domain);
    for (i = 0; i < conf->masq_domains->argc; i++) {
        const char *m = conf->masq_domains->argv[i];
        int negate = (*m == '!');
        size_t mlen;

        if (negate)
            m++;
        mlen = strlen(m);
        if (mlen == 0)
            continue;
        if (dlen == mlen && strcasecmp(domain, m) == 0) {
            return;     /* already the masquerade domain */
        }
        if (dlen > mlen && domain[dlen - mlen - 1] == '.'
            && strcasecmp(domain + dlen - mlen, m) == 0) {
            if (negate)
                return;
            out = vstr_new(0);
            vstr_addmem(out, vstr_str(addr), (size_t) (at - vstr_str(addr)) + 1);
            vstr_adds(out, m);
            vstr_set(addr, vstr_str(out));
            vstr_free(out);
            return;
        }
    }
}

int cleanup_classes(const char *text)
{
    static const struct {
        const char *name;
        int class;
    } names[] = {
        {"envelope_sender", CLEANUP_CLASS_ENV_FROM},
        {"envelope_recipient", CLEANUP_CLASS_ENV_RCPT},
        {"header_sender", CLEANUP_CLASS_HDR_FROM},
        {"header_recipient", CLEANUP_CLASS_HDR_RCPT},
    };
    ARGV *words = argv_split(text, ", \t\r\n");
    int classes = 0;
    size_t i, j;

    for (i = 0; i < words->argc; i++)
        for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
            if (strcasecmp(words->argv[i], names[j].name) == 0)
                classes |= names[j].class;
    argv_free(words);
    return classes;
}
