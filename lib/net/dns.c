/* dns - DNS lookups on top of ldns; see dns.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"

struct DNS {
    ldns_resolver *res;
    DNS_OPTIONS opts;
};

/* How much of a bad name goes into a reason text. */
#define DNS_WHY_NAME_MAX 100

/* Name servers used from resolv.conf, as the C library does. */
#define DNS_MAX_SERVERS 3

/* ------------------------------------------------------------------ */
/* Names of things                                                      */

static const struct {
    int code;
    const char *name;
} dns_types[] = {
    {DNS_T_A, "A"},         {DNS_T_NS, "NS"},   {DNS_T_CNAME, "CNAME"},
    {DNS_T_SOA, "SOA"},     {DNS_T_PTR, "PTR"}, {DNS_T_MX, "MX"},
    {DNS_T_TXT, "TXT"},     {DNS_T_AAAA, "AAAA"}, {DNS_T_TLSA, "TLSA"},
};

const char *dns_type_name(int type)
{
    size_t i;

    for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
        if (dns_types[i].code == type)
            return dns_types[i].name;
    return "unknown";
}

int dns_type_code(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
        if (strcasecmp(dns_types[i].name, name) == 0)
            return dns_types[i].code;
    return -1;
}

const char *dns_status_name(int status)
{
    switch (status) {
    case DNS_OK:
        return "OK";
    case DNS_NOTFOUND:
        return "NOTFOUND";
    case DNS_RETRY:
        return "RETRY";
    case DNS_FAIL:
        return "FAIL";
    case DNS_NULLMX:
        return "NULLMX";
    case DNS_INVAL:
        return "INVAL";
    default:
        return "unknown";
    }
}

int dns_parse_family(const char *value, int *families)
{
    char *copy = mem_strdup(value);
    char *cursor = copy;
    char *word;
    int result = 0;

    while ((word = str_token(&cursor, ", \t\r\n")) != NULL) {
        if (strcasecmp(word, "ipv4") == 0)
            result |= DNS_FAMILY_INET4;
        else if (strcasecmp(word, "ipv6") == 0)
            result |= DNS_FAMILY_INET6;
        else if (strcasecmp(word, "all") == 0)
            result |= DNS_FAMILY_ALL;
        else {
            result = 0;
            break;
        }
    }
    mem_free(copy);
    if (result == 0)
        return -1;
    *families = result;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Replies and records                                                  */

void dns_rr_free(DNS_RR *list)
{
    DNS_RR *next;

    for (; list != NULL; list = next) {
        next = list->next;
        mem_free(list->rname);
        mem_free(list->data);
        mem_free(list->text);
        mem_free(list);
    }
}

DNS_REPLY *dns_reply_new(void)
{
    DNS_REPLY *reply = mem_calloc(1, sizeof(*reply));

    reply->cnames = argv_new();
    reply->why = vstr_new(100);
    dns_reply_reset(reply);
    return reply;
}

void dns_reply_reset(DNS_REPLY *reply)
{
    reply->status = DNS_FAIL;
    reply->nxdomain = 0;
    reply->rcode = -1;
    reply->authentic = 0;
    mem_free(reply->canon);
    reply->canon = NULL;
    argv_truncate(reply->cnames, 0);
    dns_rr_free(reply->rrs);
    reply->rrs = NULL;
    reply->count = 0;
    vstr_reset(reply->why);
}

void dns_reply_free(DNS_REPLY *reply)
{
    if (reply == NULL)
        return;
    dns_reply_reset(reply);
    argv_free(reply->cnames);
    vstr_free(reply->why);
    mem_free(reply);
}

/* A name fit for a reason text: printable and not too long. */
static void dns_why_name(VSTR *out, const char *name)
{
    size_t len = strlen(name);
    char *copy = mem_strndup(name, len > DNS_WHY_NAME_MAX ? DNS_WHY_NAME_MAX : len);

    str_printable(copy, 0);
    vstr_adds(out, copy);
    if (len > DNS_WHY_NAME_MAX)
        vstr_adds(out, "...");
    mem_free(copy);
}

/*
 * Set the result and its reason. NOTFOUND and RETRY get Postfix's prefix
 * ("Host or domain name not found. "), as the smtp client reports them.
 */
__attribute__((format(printf, 5, 6)))
static int dns_result(DNS_REPLY *reply, int status, const char *name, int type,
                      const char *fmt, ...)
{
    va_list ap;

    reply->status = status;
    vstr_reset(reply->why);
    if (status == DNS_NOTFOUND || status == DNS_RETRY)
        vstr_adds(reply->why, "Host or domain name not found. ");
    vstr_adds(reply->why, "Name service error for name=");
    dns_why_name(reply->why, name);
    vstr_printf(reply->why, " type=%s: ", dns_type_name(type));
    va_start(ap, fmt);
    vstr_vprintf(reply->why, fmt, ap);
    va_end(ap);
    return status;
}

/* ------------------------------------------------------------------ */
/* Name checks and conversions                                          */

static int dns_host_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
        || ch == '-' || ch == '_';
}

/*
 * A query name: labels of letters, digits, '-' and '_', 1..63 octets each,
 * at most 255 octets in wire form; one final dot is allowed.
 */
int dns_check_name(const char *name, VSTR *why)
{
    size_t len = strlen(name);
    size_t label = 0;
    size_t i;

    vstr_reset(why);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0) {
        vstr_adds(why, "empty domain name");
        return DNS_INVAL;
    }
    if (len > DNS_MAX_NAME) {
        vstr_sprintf(why, "domain name longer than %d characters", DNS_MAX_NAME);
        return DNS_INVAL;
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char) name[i];

        if (ch == '.') {
            if (label == 0) {
                vstr_adds(why, "empty label in domain name");
                return DNS_INVAL;
            }
            label = 0;
            continue;
        }
        if (!dns_host_char(ch)) {
            vstr_sprintf(why, "bad character 0x%02x in domain name", ch);
            return DNS_INVAL;
        }
        if (++label > DNS_MAX_LABEL) {
            vstr_sprintf(why, "label longer than %d characters in domain name", DNS_MAX_LABEL);
            return DNS_INVAL;
        }
    }
    if (label == 0) {
        vstr_adds(why, "empty label in domain name");
        return DNS_INVAL;
    }
    return DNS_OK;
}

/*
 * A wire-format name from an rdf as text without the final dot. Strict: only
 * host name characters, as for MX/PTR/CNAME targets; otherwise other bytes
 * become \DDD escapes (for owner names, which are only compared).
 * Returns 0, or -1 for a name that is malformed (or not a host name, strict).
 */
static int dns_rdf_name(const ldns_rdf *rdf, VSTR *out, int strict)
{
    const unsigned char *p = ldns_rdf_data(rdf);
    size_t size = ldns_rdf_size(rdf);
    size_t pos = 0;

    vstr_reset(out);
    if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME || size == 0 || size > 255)
        return -1;
    while (pos < size) {
        size_t label = p[pos++];
        size_t i;

        if (label == 0)
            return pos == size ? 0 : -1;
        if (label > DNS_MAX_LABEL || label > size - pos)
            return -1;
        if (vstr_len(out) > 0)
            vstr_addch(out, '.');
        for (i = 0; i < label; i++) {
            unsigned char ch = p[pos + i];

            if (dns_host_char(ch))
                vstr_addch(out, ch);
            else if (strict)
                return -1;
            else
                vstr_printf(out, "\\%03u", ch);
        }
        pos += label;
    }
    return -1;
}

static int dns_same_name(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

/* Parse a printable address; IPv4-mapped IPv6 becomes IPv4. */
static int dns_parse_addr(const char *addr, unsigned char *bin, size_t *len)
{
    if (inet_pton(AF_INET, addr, bin) == 1) {
        *len = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, bin) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

        if (memcmp(bin, mapped, sizeof(mapped)) == 0) {
            memmove(bin, bin + 12, 4);
            *len = 4;
        } else {
            *len = 16;
        }
        return 0;
    }
    return -1;
}

int dns_reverse_name(const char *addr, VSTR *out)
{
    unsigned char bin[16];
    size_t len;
    int i;

    vstr_reset(out);
    if (dns_parse_addr(addr, bin, &len) < 0)
        return -1;
    if (len == 4) {
        vstr_sprintf(out, "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2], bin[1], bin[0]);
    } else {
        for (i = 15; i >= 0; i--)
            vstr_printf(out, "%x.%x.", bin[i] & 0xf, bin[i] >> 4);
        vstr_adds(out, "ip6.arpa");
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Resolver set-up                                                      */

/* Add one name server by address; returns -1 for a bad address. */
static int dns_add_server(ldns_resolver *res, const char *addr)
{
    unsigned char bin[16];
    ldns_rdf *rdf;

    if (inet_pton(AF_INET, addr, bin) == 1)
        rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, bin);
    else if (inet_pton(AF_INET6, addr, bin) == 1)
        rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, bin);
    else
        return -1;
    if (rdf == NULL || ldns_resolver_push_nameserver(res, rdf) != LDNS_STATUS_OK)
        msg_fatal("dns_init: out of memory");
    ldns_rdf_deep_free(rdf);
    return 0;
}

/* "options timeout:N attempts:N", clamped as the C library does. */
static void dns_resolv_options(char *cursor, DNS_OPTIONS *opts)
{
    char *word;
    long value;

    while ((word = str_token(&cursor, STR_SPACE)) != NULL) {
        if (str_has_prefix(word, "timeout:")
            && str_parse_long(word + 8, 0, 1000000, &value) == 0)
            opts->timeout = value < 1 ? 1 : value > 30 ? 30 : (int) value;
        else if (str_has_prefix(word, "attempts:")
                 && str_parse_long(word + 9, 0, 1000000, &value) == 0)
            opts->tries = value < 1 ? 1 : value > 5 ? 5 : (int) value;
    }
}

/*
 * resolv.conf as the C library reads it, for what matters here: the first
 * DNS_MAX_SERVERS "nameserver ADDRESS" lines, and "options" timeout: and
 * attempts: (into *opts). Everything else is ignored; a bad address or an
 * overlong line is ignored with a warning.
 */
static void dns_read_resolv_conf(ldns_resolver *res, FILE *fp, const char *path,
                                 DNS_OPTIONS *opts)
{
    char buf[1024];
    int lineno = 0, servers = 0;

    while (fgets(buf, sizeof(buf), fp) != NULL) {
        size_t len = strlen(buf);
        char *cursor = buf, *word, *addr;

        lineno++;
        if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
            int ch;

            msg_warn("%s, line %d: line longer than %zu characters: ignored", path, lineno,
                     sizeof(buf) - 2);
            while ((ch = getc(fp)) != EOF && ch != '\n')
                ;
            continue;
        }
        if ((word = str_token(&cursor, STR_SPACE)) == NULL)
            continue;
        if (strcmp(word, "options") == 0) {
            dns_resolv_options(cursor, opts);
            continue;
        }
        if (strcmp(word, "nameserver") != 0)
            continue;
        if ((addr = str_token(&cursor, STR_SPACE)) == NULL) {
            msg_warn("%s, line %d: nameserver without an address: ignored", path, lineno);
            continue;
        }
        if (servers >= DNS_MAX_SERVERS)
            continue;
        if (dns_add_server(res, addr) < 0) {
            str_printable(addr, 0);
            msg_warn("%s, line %d: bad nameserver address \"%s\": ignored", path, lineno, addr);
            continue;
        }
        servers++;
    }
}

DNS *dns_init(const char *resolv_conf, const DNS_OPTIONS *opts, VSTR *why)
{
    DNS_OPTIONS eff = {DNS_DEF_TIMEOUT, DNS_DEF_TRIES, 0};
    const char *path = resolv_conf ? resolv_conf : "/etc/resolv.conf";
    ldns_resolver *res;
    struct timeval tv;
    FILE *fp;
    DNS *dns;

    vstr_reset(why);
    if (opts != NULL
        && (opts->timeout < 0 || opts->timeout > 60 || opts->tries < 0 || opts->tries > 10)) {
        vstr_sprintf(why, "bad resolver options: timeout %d (0..60), tries %d (0..10)",
                     opts->timeout, opts->tries);
        return NULL;
    }
    if ((res = ldns_resolver_new()) == NULL)
        msg_fatal("dns_init: out of memory");
    if ((fp = fopen(path, "r")) != NULL) {
        dns_read_resolv_conf(res, fp, path, &eff);
        fclose(fp);
    } else if (errno != ENOENT) {
        vstr_sprintf(why, "open %s: %s", path, strerror(errno));
        ldns_resolver_deep_free(res);
        return NULL;
    }
    if (ldns_resolver_nameserver_count(res) == 0)
        dns_add_server(res, "127.0.0.1");
    if (opts != NULL) {
        if (opts->timeout > 0)
            eff.timeout = opts->timeout;
        if (opts->tries > 0)
            eff.tries = opts->tries;
        eff.flags = opts->flags;
    }
    opts = &eff;
    ldns_resolver_set_defnames(res, false);
    ldns_resolver_set_dnsrch(res, false);
    ldns_resolver_set_recursive(res, true);
    ldns_resolver_set_random(res, false);
    ldns_resolver_set_fail(res, false);
    ldns_resolver_set_usevc(res, false);
    ldns_resolver_set_fallback(res, true);
    ldns_resolver_set_igntc(res, false);
    ldns_resolver_set_retry(res, (uint8_t) opts->tries);
    ldns_resolver_set_retrans(res, 0);
    tv.tv_sec = opts->timeout;
    tv.tv_usec = 0;
    ldns_resolver_set_timeout(res, tv);
    ldns_resolver_set_port(res, 53);
    if (opts->flags & DNS_FLAG_DNSSEC) {
        ldns_resolver_set_dnssec(res, true);
        ldns_resolver_set_dnssec_cd(res, false);
        ldns_resolver_set_edns_udp_size(res, 1232);
    } else {
        ldns_resolver_set_dnssec(res, false);
    }
    dns = mem_alloc(sizeof(*dns));
    dns->res = res;
    dns->opts = *opts;
    return dns;
}

const char *dns_servers(const DNS *dns, VSTR *out)
{
    ldns_rdf **ns = ldns_resolver_nameservers(dns->res);
    size_t i, n = ldns_resolver_nameserver_count(dns->res);
    char buf[INET6_ADDRSTRLEN];

    vstr_reset(out);
    for (i = 0; i < n; i++) {
        int af = ldns_rdf_get_type(ns[i]) == LDNS_RDF_TYPE_A ? AF_INET : AF_INET6;

        if (inet_ntop(af, ldns_rdf_data(ns[i]), buf, sizeof(buf)) != NULL)
            vstr_printf(out, "%s%s", i ? " " : "", buf);
    }
    return vstr_str(out);
}

void dns_options(const DNS *dns, DNS_OPTIONS *out)
{
    *out = dns->opts;
}

void dns_free(DNS *dns)
{
    if (dns == NULL)
        return;
    ldns_resolver_deep_free(dns->res);
    mem_free(dns);
}

/* ------------------------------------------------------------------ */
/* Interpreting an answer                                               */

static char *dns_hex(const unsigned char *data, size_t len)
{
    VSTR *v = vstr_new(len * 2 + 1);
    size_t i;

    for (i = 0; i < len; i++)
        vstr_printf(v, "%02x", data[i]);
    return vstr_export(v);
}

/*
 * Convert one record of the wanted type. Returns NULL (with a warning) when
 * its data is malformed or names an invalid host.
 */
static DNS_RR *dns_rr_make(const ldns_rr *rr, const char *owner, int type, VSTR *tmp)
{
    DNS_RR *out = mem_calloc(1, sizeof(*out));
    const ldns_rdf *f;
    char buf[INET6_ADDRSTRLEN];
    size_t i, n = ldns_rr_rd_count(rr);

    out->rname = mem_strdup(owner);
    out->type = type;
    out->ttl = ldns_rr_ttl(rr);
    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA: {
        size_t want = type == DNS_T_A ? 4 : 16;

        if (n != 1 || ldns_rdf_size(f = ldns_rr_rdf(rr, 0)) != want)
            goto bad;
        out->data = mem_memdup(ldns_rdf_data(f), want);
        out->data_len = want;
        if (inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, out->data, buf, sizeof(buf)) == NULL)
            goto bad;
        out->text = mem_strdup(buf);
        break;
    }
    case DNS_T_MX:
        if (n != 2 || ldns_rdf_size(f = ldns_rr_rdf(rr, 0)) != 2)
            goto bad;
        out->pref = ((unsigned) ldns_rdf_data(f)[0] << 8) | ldns_rdf_data(f)[1];
        if (dns_rdf_name(ldns_rr_rdf(rr, 1), tmp, 1) < 0)
            goto bad;
        out->text = mem_strdup(vstr_str(tmp));
        break;
    case DNS_T_PTR:
    case DNS_T_CNAME:
    case DNS_T_NS:
        if (n != 1 || dns_rdf_name(ldns_rr_rdf(rr, 0), tmp, 1) < 0 || vstr_len(tmp) == 0)
            goto bad;
        out->text = mem_strdup(vstr_str(tmp));
        break;
    case DNS_T_TXT:
        vstr_reset(tmp);
        for (i = 0; i < n; i++) {
            const unsigned char *d;

            f = ldns_rr_rdf(rr, i);
            d = ldns_rdf_data(f);
            if (ldns_rdf_size(f) < 1 || (size_t) d[0] + 1 != ldns_rdf_size(f))
                goto bad;
            vstr_addmem(tmp, d + 1, d[0]);
        }
        out->data_len = vstr_len(tmp);
        out->data = mem_alloc(out->data_len + 1);
        memcpy(out->data, vstr_str(tmp), out->data_len + 1);
        out->text = mem_memdup(vstr_str(tmp), vstr_len(tmp) + 1);
        for (i = 0; i < out->data_len; i++)
            if (out->text[i] == 0)
                out->text[i] = '?';
        str_printable(out->text, 0);
        break;
    case DNS_T_TLSA:
        if (n != 4)
            goto bad;
        for (i = 0; i < 3; i++)
            if (ldns_rdf_size(ldns_rr_rdf(rr, i)) != 1)
                goto bad;
        out->tlsa_usage = ldns_rdf_data(ldns_rr_rdf(rr, 0))[0];
        out->tlsa_selector = ldns_rdf_data(ldns_rr_rdf(rr, 1))[0];
        out->tlsa_mtype = ldns_rdf_data(ldns_rr_rdf(rr, 2))[0];
        f = ldns_rr_rdf(rr, 3);
        out->data_len = ldns_rdf_size(f);
        out->data = mem_memdup(ldns_rdf_data(f), out->data_len);
        {
            char *hex = dns_hex(out->data, out->data_len);

            vstr_sprintf(tmp, "%u %u %u %s", out->tlsa_usage, out->tlsa_selector,
                         out->tlsa_mtype, hex);
            mem_free(hex);
        }
        out->text = mem_strdup(vstr_str(tmp));
        break;
    default:
        goto bad;
    }
    return out;

bad:
    msg_warn("dns: malformed %s record for %s: ignored", dns_type_name(type), owner);
    dns_rr_free(out);
    return NULL;
}

/* The CNAME record (class IN) owned by name in the answer section. */
static const ldns_rr *dns_find_cname(const ldns_rr_list *answer, const char *name, VSTR *tmp)
{
    size_t i, n = ldns_rr_list_rr_count(answer);

    for (i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);

        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME
            || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
            continue;
        if (dns_rdf_name(ldns_rr_owner(rr), tmp, 0) == 0 && dns_same_name(vstr_str(tmp), name))
            return rr;
    }
    return NULL;
}

/*
 * Sort by preference, then shuffle each run of equal preferences: random
 * order among equals, and no random numbers (a system call each) when all
 * preferences differ.
 */
DNS_RR *dns_sort_mx(DNS_RR *list)
{
    DNS_RR **v;
    DNS_RR *rr;
    size_t n = 0, i, j, run;

    for (rr = list; rr != NULL; rr = rr->next)
        n++;
    if (n < 2)
        return list;
    v = mem_array_grow(NULL, n, sizeof(*v));
    for (i = 0, rr = list; rr != NULL; rr = rr->next)
        v[i++] = rr;
    for (i = 1; i < n; i++) {
        DNS_RR *t = v[i];

        for (j = i; j > 0 && v[j - 1]->pref > t->pref; j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
    for (run = 0; run < n; run = j) {
        for (j = run + 1; j < n && v[j]->pref == v[run]->pref; j++)
            ;
        for (i = j - 1; i > run; i--) {
            size_t k = run + arc4random_uniform((uint32_t) (i - run + 1));
            DNS_RR *t = v[i];

            v[i] = v[k];
            v[k] = t;
        }
    }
    for (i = 0; i + 1 < n; i++)
        v[i]->next = v[i + 1];
    v[n - 1]->next = NULL;
    list = v[0];
    mem_free(v);
    return list;
}

/* RFC 7505: one MX, preference 0, target "."; a "." among others is dropped. */
static int dns_mx_check(DNS_REPLY *reply, const char *name)
{
    DNS_RR **link = &reply->rrs;
    DNS_RR *rr;

    if (reply->count == 1 && reply->rrs->pref == 0 && reply->rrs->text[0] == 0)
        return dns_result(reply, DNS_NULLMX, name, DNS_T_MX,
                          "Domain %s does not accept mail (nullMX)", reply->canon);
    while ((rr = *link) != NULL) {
        if (rr->text[0] == 0) {
            *link = rr->next;
            rr->next = NULL;
            dns_rr_free(rr);
            reply->count--;
        } else {
            link = &rr->next;
        }
    }
    if (reply->count == 0)
        return dns_result(reply, DNS_FAIL, name, DNS_T_MX,
                          "Malformed or unexpected name server reply (null MX among others)");
    reply->rrs = dns_sort_mx(reply->rrs);
    return DNS_OK;
}

/*
 * Interpret one answer packet for name/type. A CNAME chain in the answer is
 * followed (counting in *hops); when it ends without data on a new name,
 * *follow gets that name and the result is DNS_NOTFOUND (the caller asks
 * again). reply->canon is the name the chain ended at.
 */
static int dns_parse_pkt(const ldns_pkt *pkt, const char *name, const char *orig, int type,
                         int flags, DNS_REPLY *reply, int *hops, char **follow)
{
    const ldns_rr_list *answer = ldns_pkt_answer(pkt);
    const ldns_rr_list *question = ldns_pkt_question(pkt);
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt);
    VSTR *tmp = vstr_new(256);
    VSTR *cur = vstr_new(256);
    DNS_RR **tail;
    size_t i, n, bad = 0, dropped = 0;
    int status;

    *follow = NULL;
    reply->rcode = (int) rcode;
    if (!(flags & DNS_FLAG_DNSSEC) || !ldns_pkt_ad(pkt))
        reply->authentic = 0;
    vstr_set(cur, name);
    if (vstr_len(cur) > 0 && vstr_str(cur)[vstr_len(cur) - 1] == '.')
        vstr_truncate(cur, vstr_len(cur) - 1);

    /* The question must be ours when there is one; NOERROR needs one. */
    if (ldns_rr_list_rr_count(question) > 1
        || (ldns_rr_list_rr_count(question) == 0 && rcode == LDNS_RCODE_NOERROR)) {
        status = dns_result(reply, DNS_FAIL, orig, type,
                            "Malformed or unexpected name server reply (question section)");
        goto done;
    }
    if (ldns_rr_list_rr_count(question) == 1) {
        const ldns_rr *q = ldns_rr_list_rr(question, 0);

        if (dns_rdf_name(ldns_rr_owner(q), tmp, 0) < 0 || !dns_same_name(vstr_str(tmp), name)
            || (int) ldns_rr_get_type(q) != type) {
            status = dns_result(reply, DNS_FAIL, orig, type,
                                "Malformed or unexpected name server reply (wrong question)");
            goto done;
        }
    }
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
        status = dns_result(reply, DNS_RETRY, orig, type, "Host not found, try again");
        goto done;
    }

    /* Follow the CNAME chain that the answer carries. */
    while (type != DNS_T_CNAME) {
        const ldns_rr *c = dns_find_cname(answer, vstr_str(cur), tmp);

        if (c == NULL)
            break;
        if (++*hops > DNS_MAX_CNAME) {
            status = dns_result(reply, DNS_FAIL, orig, type,
                                "CNAME loop or chain longer than %d", DNS_MAX_CNAME);
            goto done;
        }
        if (ldns_rr_rd_count(c) != 1 || dns_rdf_name(ldns_rr_rdf(c, 0), tmp, 1) < 0
            || vstr_len(tmp) == 0) {
            status = dns_result(reply, DNS_FAIL, orig, type,
                                "Malformed or unexpected name server reply (CNAME target)");
            goto done;
        }
        if (reply->cnames->argc < DNS_MAX_CNAME + 1) {
            VSTR *pair = vstr_new(0);

            vstr_sprintf(pair, "%s=%s", vstr_str(cur), vstr_str(tmp));
            argv_add(reply->cnames, vstr_str(pair));
            vstr_free(pair);
        }
        vstr_set(cur, vstr_str(tmp));
    }
    mem_free(reply->canon);
    reply->canon = mem_strdup(vstr_str(cur));

    /* The records of the wanted type owned by the end of the chain. */
    n = ldns_rr_list_rr_count(answer);
    tail = &reply->rrs;
    while (*tail != NULL)
        tail = &(*tail)->next;
    for (i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        DNS_RR *made;

        if ((int) ldns_rr_get_type(rr) != type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
            continue;
        if (dns_rdf_name(ldns_rr_owner(rr), tmp, 0) < 0
            || !dns_same_name(vstr_str(tmp), vstr_str(cur)))
            continue;
        if (reply->count >= DNS_MAX_RRS) {
            dropped++;
            continue;
        }
        if ((made = dns_rr_make(rr, reply->canon, type, tmp)) == NULL) {
            bad++;
            continue;
        }
        made->dnssec_valid = (flags & DNS_FLAG_DNSSEC) && ldns_pkt_ad(pkt);
        *tail = made;
        tail = &made->next;
        reply->count++;
    }
    if (dropped)
        msg_warn("dns: %s type=%s: %zu records beyond the limit of %d ignored", reply->canon,
                 dns_type_name(type), dropped, DNS_MAX_RRS);
    if (reply->count > 0) {
        reply->status = DNS_OK;
        status = type == DNS_T_MX ? dns_mx_check(reply, orig) : DNS_OK;
    } else if (bad > 0) {
        status = dns_result(reply, DNS_FAIL, orig, type,
                            "Malformed or unexpected name server reply (bad %s data)",
                            dns_type_name(type));
    } else if (rcode == LDNS_RCODE_NXDOMAIN) {
        reply->nxdomain = 1;
        status = dns_result(reply, DNS_NOTFOUND, orig, type, "Host not found");
    } else if (!dns_same_name(vstr_str(cur), name)) {
        *follow = mem_strdup(vstr_str(cur));
        status = DNS_NOTFOUND;
    } else {
        status = dns_result(reply, DNS_NOTFOUND, orig, type,
                            "Host found but no data record of requested type");
    }

done:
    vstr_free(tmp);
    vstr_free(cur);
    reply->status = status;
    return status;
}

int dns_parse_wire(const unsigned char *wire, size_t len, const char *name, int type, int flags,
                   DNS_REPLY *reply)
{
    ldns_pkt *pkt = NULL;
    char *follow = NULL;
    int hops = 0;
    int status;

    dns_reply_reset(reply);
    reply->authentic = 1;
    if (dns_check_name(name, reply->why) != DNS_OK) {
        char *text = mem_strdup(vstr_str(reply->why));

        status = dns_result(reply, DNS_INVAL, name, type, "%s", text);
        mem_free(text);
        return status;
    }
    if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
        ldns_pkt_free(pkt);
        return dns_result(reply, DNS_FAIL, name, type,
                          "Malformed or unexpected name server reply");
    }
    status = dns_parse_pkt(pkt, name, name, type, flags, reply, &hops, &follow);
    ldns_pkt_free(pkt);
    if (follow != NULL) {
        status = dns_result(reply, DNS_NOTFOUND, name, type,
                            "CNAME chain ends at %s without data", follow);
        mem_free(follow);
    }
    return status;
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */

static int dns_is_malformed(ldns_status status)
{
    switch (status) {
    case LDNS_STATUS_WIRE_INCOMPLETE_HEADER:
    case LDNS_STATUS_WIRE_INCOMPLETE_QUESTION:
    case LDNS_STATUS_WIRE_INCOMPLETE_ANSWER:
    case LDNS_STATUS_WIRE_INCOMPLETE_AUTHORITY:
    case LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL:
    case LDNS_STATUS_WIRE_RDATA_ERR:
    case LDNS_STATUS_PACKET_OVERFLOW:
    case LDNS_STATUS_LABEL_OVERFLOW:
    case LDNS_STATUS_DOMAINNAME_OVERFLOW:
        return 1;
    default:
        return 0;
    }
}

/* Send one query; on success *answer holds the (matching) reply. */
static int dns_send(DNS *dns, const char *name, const char *orig, int type, DNS_REPLY *reply,
                    ldns_pkt **answer)
{
    ldns_rdf *qname;
    ldns_pkt *query = NULL;
    ldns_status status;
    size_t i;
    VSTR *abs = vstr_new(DNS_MAX_NAME + 2);
    uint16_t qflags = LDNS_RD;
    int result = DNS_OK;

    *answer = NULL;
    vstr_set(abs, name);
    if (vstr_len(abs) == 0 || vstr_str(abs)[vstr_len(abs) - 1] != '.')
        vstr_addch(abs, '.');
    qname = ldns_dname_new_frm_str(vstr_str(abs));
    vstr_free(abs);
    if (qname == NULL)
        return dns_result(reply, DNS_INVAL, orig, type, "invalid domain name");
    if (dns->opts.flags & DNS_FLAG_DNSSEC)
        qflags |= LDNS_AD;
    status = ldns_resolver_prepare_query_pkt(&query, dns->res, qname, (ldns_rr_type) type,
                                             LDNS_RR_CLASS_IN, qflags);
    ldns_rdf_deep_free(qname);
    if (status != LDNS_STATUS_OK)
        msg_fatal("dns: cannot build a query: %s", ldns_get_errorstr_by_id(status));
    /* Our own id: ldns may fall back to random() when it has no entropy (chroot). */
    ldns_pkt_set_id(query, (uint16_t) arc4random_uniform(65536));

    /* ldns marks a server that failed once as dead for good: forget that. */
    for (i = 0; i < ldns_resolver_nameserver_count(dns->res); i++)
        ldns_resolver_set_nameserver_rtt(dns->res, i, LDNS_RESOLV_RTT_MIN);
    status = ldns_resolver_send_pkt(answer, dns->res, query);
    if (status != LDNS_STATUS_OK || *answer == NULL) {
        if (dns_is_malformed(status))
            result = dns_result(reply, DNS_FAIL, orig, type,
                                "Malformed or unexpected name server reply");
        else
            result = dns_result(reply, DNS_RETRY, orig, type, "Host not found, try again");
        if (msg_verbose)
            msg_info("dns: %s type=%s: %s", name, dns_type_name(type),
                     ldns_get_errorstr_by_id(status));
    } else if (ldns_pkt_id(*answer) != ldns_pkt_id(query)) {
        /* Not an answer to us (spoofed or stray): as if none had come. */
        result = dns_result(reply, DNS_RETRY, orig, type, "Host not found, try again");
        msg_warn("dns: %s type=%s: reply with the wrong query id", orig, dns_type_name(type));
    }
    if (result != DNS_OK) {
        ldns_pkt_free(*answer);
        *answer = NULL;
    }
    ldns_pkt_free(query);
    return result;
}

/* One lookup into reply, appending records (dns_lookup_host merges two). */
static int dns_lookup_into(DNS *dns, const char *name, int type, DNS_REPLY *reply)
{
    char *current = mem_strdup(name);
    char *follow = NULL;
    int hops = 0;
    int status;
    int queries;

    if (dns == NULL)
        msg_panic("dns_lookup: no resolver");
    if (dns_check_name(name, reply->why) != DNS_OK) {
        char *text = mem_strdup(vstr_str(reply->why));

        status = dns_result(reply, DNS_INVAL, name, type, "%s", text);
        mem_free(text);
        mem_free(current);
        return status;
    }
    reply->authentic = (dns->opts.flags & DNS_FLAG_DNSSEC) != 0;
    for (queries = 0;; queries++) {
        ldns_pkt *answer;

        if (queries > DNS_MAX_CNAME) {
            status = dns_result(reply, DNS_FAIL, name, type,
                                "CNAME loop or chain longer than %d", DNS_MAX_CNAME);
            break;
        }
        if ((status = dns_send(dns, current, name, type, reply, &answer)) != DNS_OK)
            break;
        status = dns_parse_pkt(answer, current, name, type, dns->opts.flags, reply, &hops, &follow);
        ldns_pkt_free(answer);
        if (follow == NULL)
            break;
        mem_free(current);
        current = follow;
        follow = NULL;
    }
    mem_free(current);
    if (status == DNS_RETRY || status == DNS_FAIL)
        reply->authentic = 0;
    if (reply->canon == NULL)
        reply->canon = mem_strdup(name);
    reply->status = status;
    return status;
}

int dns_lookup(DNS *dns, const char *name, int type, DNS_REPLY *reply)
{
    dns_reply_reset(reply);
    return dns_lookup_into(dns, name, type, reply);
}

/* Worst first: which result a host lookup reports when neither found data. */
static int dns_rank(int status)
{
    switch (status) {
    case DNS_RETRY:
        return 3;
    case DNS_FAIL:
        return 2;
    case DNS_INVAL:
        return 4;
    default:
        return 1;
    }
}

int dns_lookup_host(DNS *dns, const char *name, int families, DNS_REPLY *reply)
{
    static const struct {
        int family;
        int type;
    } order[] = {{DNS_FAMILY_INET4, DNS_T_A}, {DNS_FAMILY_INET6, DNS_T_AAAA}};
    DNS_REPLY *part = dns_reply_new();
    int best = -1, nx_all = 1, authentic = 1;
    size_t i;

    dns_reply_reset(reply);
    if ((families & DNS_FAMILY_ALL) == 0)
        msg_panic("dns_lookup_host: no address family");
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        DNS_RR **tail;
        int status;

        if (!(families & order[i].family))
            continue;
        status = dns_lookup(dns, name, order[i].type, part);
        authentic &= part->authentic;
        if (reply->canon == NULL && part->canon != NULL)
            reply->canon = mem_strdup(part->canon);
        if (reply->cnames->argc == 0) {
            size_t k;

            for (k = 0; k < part->cnames->argc; k++)
                argv_add(reply->cnames, part->cnames->argv[k]);
        }
        if (status == DNS_OK) {
            for (tail = &reply->rrs; *tail != NULL; tail = &(*tail)->next)
                ;
            *tail = part->rrs;
            reply->count += part->count;
            part->rrs = NULL;
            part->count = 0;
        } else {
            if (status != DNS_NOTFOUND || !part->nxdomain)
                nx_all = 0;
            if (best < 0 || dns_rank(status) > dns_rank(best)) {
                best = status;
                vstr_set(reply->why, vstr_str(part->why));
                reply->rcode = part->rcode;
            }
            if (status == DNS_INVAL)
                break;
        }
    }
    dns_reply_free(part);
    reply->authentic = authentic;
    if (reply->canon == NULL)
        reply->canon = mem_strdup(name);
    if (reply->count > 0) {
        vstr_reset(reply->why);
        reply->rcode = 0;
        return reply->status = DNS_OK;
    }
    reply->nxdomain = best == DNS_NOTFOUND && nx_all;
    return reply->status = best;
}

int dns_lookup_ptr(DNS *dns, const char *addr, DNS_REPLY *reply)
{
    VSTR *rev = vstr_new(80);
    int status;

    if (dns_reverse_name(addr, rev) < 0) {
        dns_reply_reset(reply);
        status = dns_result(reply, DNS_INVAL, addr, DNS_T_PTR, "not a numeric address");
    } else {
        status = dns_lookup(dns, vstr_str(rev), DNS_T_PTR, reply);
    }
    vstr_free(rev);
    return status;
}

int dns_forward_confirm(DNS *dns, const char *host, const char *addr, DNS_REPLY *reply)
{
    unsigned char bin[16];
    size_t len;
    DNS_RR *rr;
    int status;

    if (dns_parse_addr(addr, bin, &len) < 0) {
        dns_reply_reset(reply);
        return dns_result(reply, DNS_INVAL, host, DNS_T_A, "not a numeric address: %s", addr);
    }
    status = dns_lookup_host(dns, host, len == 4 ? DNS_FAMILY_INET4 : DNS_FAMILY_INET6, reply);
    if (status != DNS_OK)
        return status;
    for (rr = reply->rrs; rr != NULL; rr = rr->next)
        if (rr->data_len == len && memcmp(rr->data, bin, len) == 0)
            return DNS_OK;
    dns_rr_free(reply->rrs);
    reply->rrs = NULL;
    reply->count = 0;
    reply->nxdomain = 0;
    reply->status = DNS_NOTFOUND;
    vstr_sprintf(reply->why, "hostname ");
    dns_why_name(reply->why, host);
    vstr_printf(reply->why, " does not resolve to address %s", addr);
    return DNS_NOTFOUND;
}
