/*
 * smtp_addr - next-hop parsing and server address lists; see smtp_addr.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "mem.h"
#include "smtp_addr.h"
#include "strutil.h"

static int addr_parse_port(const char *s, unsigned *port)
{
    long v;

    if (strcmp(s, "smtp") == 0)
        v = 25;
    else if (strcmp(s, "lmtp") == 0)
        v = 24;
    else if (strcmp(s, "submission") == 0)
        v = 587;
    else if (strcmp(s, "smtps") == 0 || strcmp(s, "submissions") == 0)
        v = 465;
    else if (str_parse_long(s, 1, 65535, &v) < 0)
        return -1;
    *port = (unsigned) v;
    return 0;
}

int smtp_dest_parse(const char *nexthop, int lmtp, unsigned def_port, SMTP_DEST *d, VSTR *why)
{
    const char *p = nexthop, *end, *port = NULL;
    char *name;
    VSTR *tmp;

    memset(d, 0, sizeof(*d));
    d->port = def_port;
    if (strlen(nexthop) > 1024) {
        vstr_set(why, "next hop too long");
        return -1;
    }
    if (lmtp) {
        d->no_mx = 1;
        if (strncmp(p, "unix:", 5) == 0) {
            if (p[5] == 0 || strlen(p + 5) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
                vstr_sprintf(why, "bad UNIX-domain next hop: %s", nexthop);
                return -1;
            }
            d->unix_path = mem_strdup(p + 5);
            d->name = mem_strdup(p + 5);
            return 0;
        }
        if (strncmp(p, "inet:", 5) == 0)
            p += 5;
    }
    if (*p == '[') {
        if ((end = strchr(p, ']')) == NULL) {
            vstr_sprintf(why, "bad next hop (no ']'): %s", nexthop);
            return -1;
        }
        d->no_mx = 1;
        p++;
        if (strncasecmp(p, "ipv6:", 5) == 0)
            p += 5;
        name = mem_alloc((size_t) (end - p) + 1);
        memcpy(name, p, (size_t) (end - p));
        name[end - p] = 0;
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != 0) {
            mem_free(name);
            vstr_sprintf(why, "bad next hop: %s", nexthop);
            return -1;
        }
    } else {
        end = strrchr(p, ':');
        if (end && strchr(p, ':') == end) {
            name = mem_alloc((size_t) (end - p) + 1);
            memcpy(name, p, (size_t) (end - p));
            name[end - p] = 0;
            port = end + 1;
        } else
            name = mem_strdup(p);
    }
    d->name = name;
    if (port && addr_parse_port(port, &d->port) < 0) {
        vstr_sprintf(why, "bad port in next hop: %s", nexthop);
        smtp_dest_free(d);
        return -1;
    }
    if (*name == 0) {
        vstr_sprintf(why, "empty host name in next hop: %s", nexthop);
        smtp_dest_free(d);
        return -1;
    }
    tmp = vstr_new(0);
    {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, name, &a6) != 1 && inet_pton(AF_INET, name, &a6) != 1 &&
            dns_check_name(name, tmp) != DNS_OK) {
            vstr_sprintf(why, "bad host name in next hop %s: %s", nexthop, vstr_str(tmp));
            vstr_free(tmp);
            smtp_dest_free(d);
            return -1;
        }
    }
    vstr_free(tmp);
    return 0;
}

void smtp_dest_free(SMTP_DEST *d)
{
    mem_free(d->name);
    mem_free(d->unix_path);
    memset(d, 0, sizeof(*d));
}

SMTP_ADDR_LIST *smtp_addr_list_new(void)
{
    SMTP_ADDR_LIST *l = mem_alloc(sizeof(*l));

    memset(l, 0, sizeof(*l));
    return l;
}

void smtp_addr_list_free(SMTP_ADDR_LIST *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++)
        mem_free(l->addr[i].host);
    mem_free(l->addr);
    mem_free(l);
}

static SMTP_ADDR *addr_push(SMTP_ADDR_LIST *l, const char *host, unsigned pref)
{
    SMTP_ADDR *a;

    if (l->n >= SMTP_ADDR_MAX)
        return NULL;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->addr = mem_realloc(l->addr, l->cap * sizeof(*l->addr));
    }
    a = &l->addr[l->n++];
    memset(a, 0, sizeof(*a));
    a->host = mem_strdup(host);
    a->pref = pref;
    return a;
}

/* addr_push_ip - add a numeric address (4 or 16 bytes) */
static void addr_push_ip(SMTP_ADDR_LIST *l, const char *host, unsigned pref, int family,
                         const void *raw, unsigned port)
{
    SMTP_ADDR *a = addr_push(l, host, pref);

    if (a == NULL)
        return;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *) &a->sa;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((unsigned short) port);
        memcpy(&sin->sin_addr, raw, 4);
        a->salen = sizeof(*sin);
        inet_ntop(AF_INET, raw, a->addr, sizeof(a->addr));
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &a->sa;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((unsigned short) port);
        memcpy(&sin6->sin6_addr, raw, 16);
        a->salen = sizeof(*sin6);
        inet_ntop(AF_INET6, raw, a->addr, sizeof(a->addr));
    }
}

/* addr_literal - a numeric host: 1 added, 0 not numeric */
static int addr_literal(SMTP_ADDR_LIST *l, const char *name, unsigned port)
{
    unsigned char raw[16];

    if (inet_pton(AF_INET, name, raw) == 1) {
        addr_push_ip(l, name, 0, AF_INET, raw, port);
        return 1;
    }
    if (inet_pton(AF_INET6, name, raw) == 1) {
        addr_push_ip(l, name, 0, AF_INET6, raw, port);
        return 1;
    }
    return 0;
}

/* addr_native - getaddrinfo(): DNS_OK, DNS_NOTFOUND or DNS_RETRY */
static int addr_native(SMTP_ADDR_LIST *l, const char *host, unsigned pref, int families,
                       unsigned port, VSTR *why)
{
    struct addrinfo hints, *res, *ai;
    size_t before = l->n;
    int r;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = families == DNS_FAMILY_INET4 ? AF_INET
                      : families == DNS_FAMILY_INET6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0) {
        vstr_sprintf(why, "Host or domain name not found. Name service error for name=%s "
                     "type=A: %s", host,
                     r == EAI_AGAIN ? "Host not found, try again" : "Host not found");
        return r == EAI_AGAIN ? DNS_RETRY : DNS_NOTFOUND;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET)
            addr_push_ip(l, host, pref, AF_INET, &((struct sockaddr_in *) ai->ai_addr)->sin_addr,
                         port);
        else if (ai->ai_family == AF_INET6)
            addr_push_ip(l, host, pref, AF_INET6,
                         &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr, port);
    }
    freeaddrinfo(res);
    if (l->n == before) {
        vstr_sprintf(why, "Host or domain name not found. Name service error for name=%s "
                     "type=A: Host not found", host);
        return DNS_NOTFOUND;
    }
    return DNS_OK;
}

/* addr_host - the addresses of one host: a DNS_* code, why on failure */
static int addr_host(const SMTP_RESOLVE_OPTS *o, SMTP_ADDR_LIST *l, const char *host,
                     unsigned pref, unsigned port, VSTR *why)
{
    DNS_REPLY *r;
    DNS_RR *rr;
    int st;

    if (addr_literal(l, host, port))
        return DNS_OK;
    if (!(o->lookup & SMTP_LOOKUP_DNS) || o->dns == NULL)
        return addr_native(l, host, pref, o->families, port, why);
    r = dns_reply_new();
    st = dns_lookup_host(o->dns, host, o->families, r);
    if (st == DNS_OK) {
        for (rr = r->rrs; rr; rr = rr->next) {
            if (rr->type == DNS_T_A && rr->data_len == 4)
                addr_push_ip(l, host, pref, AF_INET, rr->data, port);
            else if (rr->type == DNS_T_AAAA && rr->data_len == 16)
                addr_push_ip(l, host, pref, AF_INET6, rr->data, port);
        }
    } else {
        vstr_set(why, vstr_str(r->why));
    }
    dns_reply_free(r);
    if (st != DNS_OK && (o->lookup & SMTP_LOOKUP_NATIVE))
        st = addr_native(l, host, pref, o->families, port, why);
    return st;
}

static int addr_is_self(const SMTP_RESOLVE_OPTS *o, const SMTP_ADDR *a)
{
    size_t i;

    if (o->myhostname && strcasecmp(a->host, o->myhostname) == 0)
        return 1;
    for (i = 0; o->self && i < o->self->argc; i++)
        if (strcmp(o->self->argv[i], a->addr) == 0)
            return 1;
    return 0;
}

/*
 * addr_cut_self - drop this host and everything at or after its preference;
 * 1 when this host was found.
 */
static int addr_cut_self(const SMTP_RESOLVE_OPTS *o, SMTP_ADDR_LIST *l)
{
    size_t i, j, keep;
    unsigned pref;

    for (i = 0; i < l->n; i++)
        if (addr_is_self(o, &l->addr[i]))
            break;
    if (i == l->n)
        return 0;
    pref = l->addr[i].pref;
    for (keep = 0, j = 0; j < l->n; j++) {
        if (l->addr[j].pref < pref)
            l->addr[keep++] = l->addr[j];
        else
            mem_free(l->addr[j].host);
    }
    l->n = keep;
    return 1;
}

static void addr_limit(const SMTP_RESOLVE_OPTS *o, SMTP_ADDR_LIST *l)
{
    while (o->addr_limit > 0 && l->n > o->addr_limit)
        mem_free(l->addr[--l->n].host);
}

static int addr_finish(const SMTP_RESOLVE_OPTS *o, const SMTP_DEST *d, SMTP_ADDR_LIST *l,
                       VSTR *dsn, VSTR *why)
{
    if (addr_cut_self(o, l) && l->n == 0) {
        vstr_set(dsn, "5.4.6");
        vstr_sprintf(why, "mail for %s loops back to myself", d->name);
        return SMTP_RESOLVE_BOUNCE;
    }
    addr_limit(o, l);
    return SMTP_RESOLVE_OK;
}

static int addr_fail(int st, VSTR *dsn)
{
    if (st == DNS_RETRY || st == DNS_FAIL) {
        vstr_set(dsn, "4.4.3");
        return SMTP_RESOLVE_DEFER;
    }
    vstr_set(dsn, "5.4.4");
    return SMTP_RESOLVE_BOUNCE;
}

int smtp_resolve(const SMTP_RESOLVE_OPTS *o, const SMTP_DEST *d, SMTP_ADDR_LIST *l, VSTR *dsn,
                 VSTR *why)
{
    DNS_REPLY *r;
    DNS_RR *rr;
    int st, retry = 0, found = 0;

    if (d->unix_path) {
        /* logged as Postfix does: relay=myhostname[path] */
        SMTP_ADDR *a = addr_push(l, o->myhostname && *o->myhostname ? o->myhostname
                                                                     : d->unix_path, 0);
        struct sockaddr_un *sun = (struct sockaddr_un *) &a->sa;

        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, d->unix_path); /* length checked by smtp_dest_parse */
        a->salen = sizeof(*sun);
        snprintf(a->addr, sizeof(a->addr), "%s", d->unix_path);
        return SMTP_RESOLVE_OK;
    }
    if (d->no_mx || !(o->lookup & SMTP_LOOKUP_DNS) || o->dns == NULL) {
        if ((st = addr_host(o, l, d->name, 0, d->port, why)) != DNS_OK)
            return addr_fail(st, dsn);
        /* an explicit [host] may be this host (a content filter on [127.0.0.1]:10025) */
        if (d->no_mx) {
            addr_limit(o, l);
            return SMTP_RESOLVE_OK;
        }
        return addr_finish(o, d, l, dsn, why);
    }
    r = dns_reply_new();
    st = dns_lookup(o->dns, d->name, DNS_T_MX, r);
    switch (st) {
    case DNS_OK:
        for (rr = r->rrs; rr; rr = rr->next) {
            int hs = addr_host(o, l, rr->text, rr->pref, d->port, why);
            if (hs == DNS_OK)
                found = 1;
            else if (hs == DNS_RETRY || hs == DNS_FAIL)
                retry = 1;
        }
        dns_reply_free(r);
        if (!found) {
            if (addr_cut_self(o, l), retry) {
                vstr_set(dsn, "4.4.3");
                return SMTP_RESOLVE_DEFER;
            }
            vstr_set(dsn, "5.4.4");
            return SMTP_RESOLVE_BOUNCE;
        }
        return addr_finish(o, d, l, dsn, why);
    case DNS_NOTFOUND:
        if (!r->nxdomain) {
            dns_reply_free(r);
            if ((st = addr_host(o, l, d->name, 0, d->port, why)) != DNS_OK)
                return addr_fail(st, dsn);
            return addr_finish(o, d, l, dsn, why);
        }
        vstr_set(why, vstr_str(r->why));
        dns_reply_free(r);
        vstr_set(dsn, "5.4.4");
        return SMTP_RESOLVE_BOUNCE;
    case DNS_NULLMX:
        dns_reply_free(r);
        vstr_set(dsn, "5.1.0");
        vstr_sprintf(why, "Domain %s does not accept mail (nullMX)", d->name);
        return SMTP_RESOLVE_BOUNCE;
    default:
        vstr_set(why, vstr_str(r->why));
        dns_reply_free(r);
        return addr_fail(st, dsn);
    }
}

static void self_add(ARGV *out, const char *word)
{
    unsigned char raw[16];
    char buf[64];
    struct addrinfo hints, *res, *ai;

    if (inet_pton(AF_INET, word, raw) == 1 || inet_pton(AF_INET6, word, raw) == 1) {
        int fam = strchr(word, ':') ? AF_INET6 : AF_INET;
        inet_ntop(fam, raw, buf, sizeof(buf));
        argv_add(out, buf);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(word, NULL, &hints, &res) != 0)
        return;
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *) ai->ai_addr)->sin_addr, buf, sizeof(buf));
        else if (ai->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr, buf,
                      sizeof(buf));
        else
            continue;
        argv_add(out, buf);
    }
    freeaddrinfo(res);
}

void smtp_self_addrs(const char *inet_interfaces, const char *proxy_interfaces, ARGV *out)
{
    const char *lists[2] = {inet_interfaces, proxy_interfaces};
    size_t i, k;

    for (k = 0; k < 2; k++) {
        ARGV *w = argv_split(lists[k] ? lists[k] : "", ", \t\r\n");
        for (i = 0; i < w->argc; i++) {
            if (strcasecmp(w->argv[i], "all") == 0) {
                struct ifaddrs *ifa, *p;
                char buf[64];
                if (getifaddrs(&ifa) < 0)
                    continue;
                for (p = ifa; p; p = p->ifa_next) {
                    if (p->ifa_addr == NULL)
                        continue;
                    if (p->ifa_addr->sa_family == AF_INET)
                        inet_ntop(AF_INET, &((struct sockaddr_in *) p->ifa_addr)->sin_addr, buf,
                                  sizeof(buf));
                    else if (p->ifa_addr->sa_family == AF_INET6)
                        inet_ntop(AF_INET6, &((struct sockaddr_in6 *) p->ifa_addr)->sin6_addr,
                                  buf, sizeof(buf));
                    else
                        continue;
                    argv_add(out, buf);
                }
                freeifaddrs(ifa);
            } else if (strcasecmp(w->argv[i], "loopback-only") == 0) {
                argv_add(out, "127.0.0.1");
                argv_add(out, "::1");
            } else {
                self_add(out, w->argv[i]);
            }
        }
        argv_free(w);
    }
}
