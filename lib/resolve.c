/* resolve - recipient -> transport, next hop; see resolve.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "argv.h"
#include "conf.h"
#include "matchlist.h"
#include "mem.h"
#include "resolve.h"
#include "strutil.h"
#include "table.h"

#define RESOLVE_MAX_TABLES 32

/* A list of tables asked in order (transport_maps, sender_dependent_*). */
typedef struct RESOLVE_MAPS {
    const char *param;
    TABLE *t[RESOLVE_MAX_TABLES];
    int n;
    int broken;            /* a table could not be opened */
    VSTR *why;
} RESOLVE_MAPS;

struct RESOLVER {
    MATCH_LIST *mydest;
    MATCH_LIST *alias_doms;
    MATCH_LIST *mbox_doms;
    MATCH_LIST *relay_doms;
    ARGV *my_addrs;        /* canonical text of this host's addresses */
    RESOLVE_MAPS maps;     /* transport_maps */
    int maps_pdms;         /* transport_maps is in parent_domain_matches_subdomains */
    char *local_transport, *virtual_transport, *relay_transport, *default_transport;
    char *relayhost, *myhostname, *delims;
    RESOLVE_MAPS snd_relay;     /* sender_dependent_relayhost_maps */
    RESOLVE_MAPS snd_transport; /* sender_dependent_default_transport_maps */
    char *null_relay_key, *null_transport_key;
};

static const char *resolve_param(const char *name)
{
    const char *v = conf_get(name);

    return v ? v : "";
}

/* Canonical text of an address (v4 or v6), or -1. */
static int resolve_canon_ip(const char *text, char *out, size_t size)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, text, &a4) == 1)
        return inet_ntop(AF_INET, &a4, out, (socklen_t) size) ? 0 : -1;
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6))
            return inet_ntop(AF_INET, &a6.s6_addr[12], out, (socklen_t) size) ? 0 : -1;
        return inet_ntop(AF_INET6, &a6, out, (socklen_t) size) ? 0 : -1;
    }
    return -1;
}

static void resolve_add_ifaddrs(ARGV *out)
{
    struct ifaddrs *ifa, *p;
    char buf[INET6_ADDRSTRLEN];

    if (getifaddrs(&ifa) < 0)
        return;
    for (p = ifa; p; p = p->ifa_next) {
        if (p->ifa_addr == NULL)
            continue;
        if (p->ifa_addr->sa_family == AF_INET
            && inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) p->ifa_addr)->sin_addr, buf,
                         sizeof(buf)))
            argv_add(out, buf);
        else if (p->ifa_addr->sa_family == AF_INET6
                 && inet_ntop(AF_INET6,
                              &((struct sockaddr_in6 *) (void *) p->ifa_addr)->sin6_addr, buf,
                              sizeof(buf)))
            argv_add(out, buf);
    }
    freeifaddrs(ifa);
}

/* The addresses named by inet_interfaces or proxy_interfaces. */
static void resolve_add_interfaces(ARGV *out, const char *value, VSTR *why)
{
    char *copy = mem_strdup(value), *cur = copy, *item;
    char buf[INET6_ADDRSTRLEN];
    size_t len;

    while ((item = str_token(&cur, ", \t\r\n")) != NULL) {
        if (*item == 0)
            continue;
        len = strlen(item);
        if (item[0] == '[' && len > 2 && item[len - 1] == ']') {
            item[len - 1] = 0;
            item++;
        }
        if (strcasecmp(item, "all") == 0) {
            resolve_add_ifaddrs(out);
        } else if (strcasecmp(item, "loopback-only") == 0) {
            argv_add(out, "127.0.0.1");
            argv_add(out, "::1");
        } else if (resolve_canon_ip(item, buf, sizeof(buf)) == 0) {
            argv_add(out, buf);
        } else if (vstr_len(why) == 0) {
            /* A host name: Postfix looks it up; we do not block on DNS here. */
            vstr_sprintf(why, "resolve: interface %s is not an address: ignored", item);
        }
    }
    mem_free(copy);
}

/* Split a list of table names (white space or commas, braces kept) and open each. */
static void resolve_maps_open(RESOLVE_MAPS *ms, const char *param, VSTR *why)
{
    const char *p = resolve_param(param), *start;
    int depth;
    char *spec;
    TABLE *t;

    ms->param = param;
    ms->why = vstr_new(0);
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r')
            p++;
        if (*p == 0)
            break;
        start = p;
        for (depth = 0; *p; p++) {
            if (*p == '{')
                depth++;
            else if (*p == '}' && depth > 0)
                depth--;
            else if (depth == 0 && strchr(" \t,\r\n", *p))
                break;
        }
        spec = mem_strndup(start, (size_t) (p - start));
        if (ms->n >= RESOLVE_MAX_TABLES) {
            ms->broken = 1;
            vstr_sprintf(ms->why, "%s: more than %d tables", param, RESOLVE_MAX_TABLES);
        } else if ((t = table_open(spec, TABLE_READ, TABLE_FLAGS_READ, ms->why)) == NULL) {
            ms->broken = 1;
        } else {
            ms->t[ms->n++] = t;
        }
        mem_free(spec);
    }
    if (ms->broken && vstr_len(why) == 0)
        vstr_sprintf(why, "%s: %s", param, vstr_str(ms->why));
}

static void resolve_maps_close(RESOLVE_MAPS *ms)
{
    int i;

    for (i = 0; i < ms->n; i++)
        table_close(ms->t[i]);
    vstr_free(ms->why);
}

static MATCH_LIST *resolve_list(const char *name, const char *pdms, VSTR *why)
{
    VSTR *w = vstr_new(0);
    MATCH_LIST *l = match_list_create(name, resolve_param(name),
                                      MATCH_DOMAIN | match_list_parent_flag(name, pdms), w);

    if (vstr_len(w) && vstr_len(why) == 0)
        vstr_set(why, vstr_str(w));
    vstr_free(w);
    return l;
}

RESOLVER *resolve_create(VSTR *why)
{
    RESOLVER *rs = mem_calloc(1, sizeof(*rs));
    const char *pdms = resolve_param("parent_domain_matches_subdomains");

    vstr_reset(why);
    rs->mydest = resolve_list("mydestination", pdms, why);
    rs->alias_doms = resolve_list("virtual_alias_domains", pdms, why);
    rs->mbox_doms = resolve_list("virtual_mailbox_domains", pdms, why);
    rs->relay_doms = resolve_list("relay_domains", pdms, why);
    rs->my_addrs = argv_new();
    resolve_add_interfaces(rs->my_addrs, resolve_param("inet_interfaces"), why);
    resolve_add_interfaces(rs->my_addrs, resolve_param("proxy_interfaces"), why);
    rs->maps_pdms = match_list_parent_flag("transport_maps", pdms) != 0;
    resolve_maps_open(&rs->maps, "transport_maps", why);
    resolve_maps_open(&rs->snd_relay, "sender_dependent_relayhost_maps", why);
    resolve_maps_open(&rs->snd_transport, "sender_dependent_default_transport_maps", why);
    rs->null_relay_key = mem_strdup(resolve_param("empty_address_relayhost_maps_lookup_key"));
    rs->null_transport_key =
        mem_strdup(resolve_param("empty_address_default_transport_maps_lookup_key"));
    rs->local_transport = mem_strdup(resolve_param("local_transport"));
    rs->virtual_transport = mem_strdup(resolve_param("virtual_transport"));
    rs->relay_transport = mem_strdup(resolve_param("relay_transport"));
    rs->default_transport = mem_strdup(resolve_param("default_transport"));
    rs->relayhost = mem_strdup(resolve_param("relayhost"));
    rs->myhostname = mem_strdup(resolve_param("myhostname"));
    rs->delims = mem_strdup(resolve_param("recipient_delimiter"));
    return rs;
}

void resolve_free(RESOLVER *rs)
{
    if (rs == NULL)
        return;
    match_list_free(rs->mydest);
    match_list_free(rs->alias_doms);
    match_list_free(rs->mbox_doms);
    match_list_free(rs->relay_doms);
    argv_free(rs->my_addrs);
    resolve_maps_close(&rs->maps);
    resolve_maps_close(&rs->snd_relay);
    resolve_maps_close(&rs->snd_transport);
    mem_free(rs->null_relay_key);
    mem_free(rs->null_transport_key);
    mem_free(rs->local_transport);
    mem_free(rs->virtual_transport);
    mem_free(rs->relay_transport);
    mem_free(rs->default_transport);
    mem_free(rs->relayhost);
    mem_free(rs->myhostname);
    mem_free(rs->delims);
    mem_free(rs);
}

void resolve_reply_init(RESOLVE_REPLY *r)
{
    r->transport = vstr_new(0);
    r->nexthop = vstr_new(0);
    r->recipient = vstr_new(0);
    r->why = vstr_new(0);
    r->flags = 0;
}

void resolve_reply_free(RESOLVE_REPLY *r)
{
    vstr_free(r->transport);
    vstr_free(r->nexthop);
    vstr_free(r->recipient);
    vstr_free(r->why);
}

/* "transport:nexthop" -> the two parts (either may be empty). */
static void resolve_split(const char *value, VSTR *transport, VSTR *nexthop)
{
    const char *colon = strchr(value, ':');

    vstr_reset(transport);
    vstr_reset(nexthop);
    if (colon == NULL) {
        vstr_set(transport, value);
        return;
    }
    vstr_addmem(transport, value, (size_t) (colon - value));
    vstr_set(nexthop, colon + 1);
}

/* Is the [literal] one of this host's addresses? */
static int resolve_is_my_literal(const RESOLVER *rs, const char *domain)
{
    char inner[RESOLVE_ADDR_MAX], canon[INET6_ADDRSTRLEN];
    size_t len = strlen(domain), i;
    const char *p;

    if (len < 3 || domain[0] != '[' || domain[len - 1] != ']' || len - 2 >= sizeof(inner))
        return 0;
    memcpy(inner, domain + 1, len - 2);
    inner[len - 2] = 0;
    p = inner;
    if (strncasecmp(p, "ipv6:", 5) == 0)
        p += 5;
    if (resolve_canon_ip(p, canon, sizeof(canon)) < 0)
        return 0;
    for (i = 0; i < rs->my_addrs->argc; i++)
        if (strcmp(rs->my_addrs->argv[i], canon) == 0)
            return 1;
    return 0;
}

/* One key against every table (fixed_only: skip pattern tables). 1 found, 0 not, -1 error. */
static int resolve_maps_find(RESOLVE_MAPS *ms, const char *key, int fixed_only, VSTR *value,
                             VSTR *why)
{
    const char *v;
    int i;

    for (i = 0; i < ms->n; i++) {
        TABLE *t = ms->t[i];

        if (fixed_only && !(t->props & TABLE_PROP_FIXED))
            continue;
        if ((v = table_lookup(t, key)) != NULL) {
            vstr_set(value, v);
            return 1;
        }
        if (t->error != TABLE_OK) {
            vstr_sprintf(why, "%s: %s lookup error for \"%s\"", ms->param, t->spec, key);
            return -1;
        }
    }
    return 0;
}

/* transport_maps: the keys in Postfix's order. 1 found (value), 0 not, -1 error. */
static int resolve_maps(RESOLVER *rs, const char *addr, const char *domain, VSTR *value,
                        VSTR *why)
{
    VSTR *base = vstr_new(0), *ext = vstr_new(0), *key = vstr_new(0);
    const char *p;
    int st;

    if ((st = resolve_maps_find(&rs->maps, addr, 0, value, why)) != 0)
        goto out;
    if (addr_split_ext(addr, rs->delims, base, ext) > 0
        && (st = resolve_maps_find(&rs->maps, vstr_str(base), 0, value, why)) != 0)
        goto out;
    if (*domain) {
        if ((st = resolve_maps_find(&rs->maps, domain, 1, value, why)) != 0)
            goto out;
        for (p = strchr(domain, '.'); p && p[1]; p = strchr(p + 1, '.')) {
            vstr_set(key, rs->maps_pdms ? p + 1 : p);
            if ((st = resolve_maps_find(&rs->maps, vstr_str(key), 1, value, why)) != 0)
                goto out;
        }
    }
    st = resolve_maps_find(&rs->maps, "*", 1, value, why);
out:
    vstr_free(base);
    vstr_free(ext);
    vstr_free(key);
    return st;
}

/*
 * A sender_dependent_* table: the sender address, the address without its
 * extension, then "@domain"; the null sender is looked up as null_key.
 * "DUNNO" ends the search with no answer. 1 found (value), 0 not, -1 error.
 */
static int resolve_sender_find(RESOLVER *rs, RESOLVE_MAPS *ms, const char *null_key,
                               const char *sender, VSTR *value, VSTR *why)
{
    VSTR *key, *base, *ext;
    const char *at;
    int st;

    if (sender == NULL)
        return 0;
    if (ms->broken) {
        vstr_sprintf(why, "%s", vstr_str(ms->why));
        return -1;
    }
    if (ms->n == 0)
        return 0;
    if (strlen(sender) >= RESOLVE_ADDR_MAX) {
        vstr_set(why, "sender address too long");
        return -1;
    }
    key = vstr_new(0);
    base = vstr_new(0);
    ext = vstr_new(0);
    if (*sender == 0) {
        st = resolve_maps_find(ms, null_key, 0, value, why);
        goto out;
    }
    vstr_set(key, sender);
    str_lower(vstr_str(key));
    if ((st = resolve_maps_find(ms, vstr_str(key), 0, value, why)) != 0)
        goto out;
    if (addr_split_ext(vstr_str(key), rs->delims, base, ext) > 0
        && (st = resolve_maps_find(ms, vstr_str(base), 1, value, why)) != 0)
        goto out;
    if ((at = strrchr(vstr_str(key), '@')) != NULL && at[1])
        st = resolve_maps_find(ms, at, 1, value, why);
out:
    if (st == 1 && strcasecmp(vstr_str(value), "DUNNO") == 0)
        st = 0;
    vstr_free(key);
    vstr_free(base);
    vstr_free(ext);
    return st;
}

static int resolve_match(MATCH_LIST *l, const char *domain, RESOLVE_REPLY *r)
{
    int m = match_list_domain(l, domain);

    if (m == MATCH_ERROR)
        vstr_sprintf(r->why, "%s", match_list_error(l));
    return m;
}

int resolve_addr(RESOLVER *rs, const char *addr, RESOLVE_REPLY *r)
{
    return resolve_addr_sender(rs, NULL, addr, r);
}

int resolve_addr_sender(RESOLVER *rs, const char *sender, const char *addr, RESOLVE_REPLY *r)
{
    char domain[RESOLVE_ADDR_MAX];
    const char *at, *chan;
    VSTR *mt = NULL, *mh = NULL, *value = NULL, *sv = NULL;
    size_t dlen;
    int m, st = -1;

    vstr_reset(r->transport);
    vstr_reset(r->nexthop);
    vstr_reset(r->why);
    vstr_set(r->recipient, addr);
    r->flags = 0;
    if (strlen(addr) >= RESOLVE_ADDR_MAX) {
        vstr_set(r->why, "recipient address too long");
        return -1;
    }
    at = strrchr(addr, '@');
    strcpy(domain, at ? at + 1 : "");
    str_lower(domain);
    dlen = strlen(domain);
    if (dlen > 1 && domain[dlen - 1] == '.')
        domain[dlen - 1] = 0;

    /* The class and its default channel. */
    if (*domain == 0 || resolve_is_my_literal(rs, domain)) {
        r->flags = RESOLVE_CLASS_LOCAL;
    } else if ((m = resolve_match(rs->mydest, domain, r)) != MATCH_NO) {
        if (m == MATCH_ERROR)
            return -1;
        r->flags = RESOLVE_CLASS_LOCAL;
    } else if ((m = resolve_match(rs->alias_doms, domain, r)) != MATCH_NO) {
        if (m == MATCH_ERROR)
            return -1;
        r->flags = RESOLVE_CLASS_ALIAS;
    } else if ((m = resolve_match(rs->mbox_doms, domain, r)) != MATCH_NO) {
        if (m == MATCH_ERROR)
            return -1;
        r->flags = RESOLVE_CLASS_VIRTUAL;
    } else if ((m = resolve_match(rs->relay_doms, domain, r)) != MATCH_NO) {
        if (m == MATCH_ERROR)
            return -1;
        r->flags = RESOLVE_CLASS_RELAY;
    } else {
        r->flags = RESOLVE_CLASS_DEFAULT;
    }
    switch (r->flags) {
    case RESOLVE_CLASS_LOCAL: chan = rs->local_transport; break;
    case RESOLVE_CLASS_ALIAS: chan = "error:5.1.1 User unknown in virtual alias table"; break;
    case RESOLVE_CLASS_VIRTUAL: chan = rs->virtual_transport; break;
    case RESOLVE_CLASS_RELAY: chan = rs->relay_transport; break;
    default: chan = rs->default_transport; break;
    }
    sv = vstr_new(0);
    if (r->flags == RESOLVE_CLASS_DEFAULT) {
        switch (resolve_sender_find(rs, &rs->snd_transport, rs->null_transport_key, sender, sv,
                                    r->why)) {
        case -1:
            goto out;
        case 1:
            chan = vstr_str(sv);
            break;
        default:
            break;
        }
    }
    resolve_split(chan, r->transport, r->nexthop);
    if (vstr_len(r->nexthop) == 0 && (r->flags & (RESOLVE_CLASS_RELAY | RESOLVE_CLASS_DEFAULT))) {
        switch (resolve_sender_find(rs, &rs->snd_relay, rs->null_relay_key, sender, sv,
                                    r->why)) {
        case -1:
            goto out;
        case 1:
            vstr_set(r->nexthop, vstr_str(sv));
            break;
        default:
            if (*rs->relayhost)
                vstr_set(r->nexthop, rs->relayhost);
            break;
        }
    }
    if (vstr_len(r->nexthop) == 0) {
        if (*domain)
            vstr_set(r->nexthop, domain);
        else
            vstr_set(r->nexthop, rs->myhostname);
    }

    /* transport_maps override, field by field. */
    if (rs->maps.broken) {
        vstr_sprintf(r->why, "%s", vstr_str(rs->maps.why));
        goto out;
    }
    if (rs->maps.n > 0) {
        value = vstr_new(0);
        mt = vstr_new(0);
        mh = vstr_new(0);
        switch (resolve_maps(rs, addr, domain, value, r->why)) {
        case -1:
            goto out;
        case 1:
            r->flags |= RESOLVE_FLAG_MAPPED;
            resolve_split(vstr_str(value), mt, mh);
            if (vstr_len(mt))
                vstr_set(r->transport, vstr_str(mt));
            if (vstr_len(mh))
                vstr_set(r->nexthop, vstr_str(mh));
            else if (vstr_len(mt) && strcmp(vstr_str(mt), "error") == 0)
                vstr_reset(r->nexthop);
            break;
        default:
            break;
        }
    }
    if (vstr_len(r->transport) == 0) {
        vstr_set(r->why, "empty transport name");
        goto out;
    }
    st = 0;
out:
    if (value) {
        vstr_free(value);
        vstr_free(mt);
        vstr_free(mh);
    }
    if (sv)
        vstr_free(sv);
    return st;
}
