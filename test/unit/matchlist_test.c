/*
 * Unit tests for lib/cidr.c and lib/matchlist.c: network syntax and
 * boundaries, IPv4-mapped addresses, domain lists with and without parent
 * matching, host lists, negation order, /file/name lists, tables (inline:,
 * texthash:) and broken items. Table-driven. Files are written into a
 * scratch directory at run time; test/data/addr/ is read through
 * $POSTERN_SRC when it is set.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cidr.h"
#include "matchlist.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "vstr.h"
#include "tap.h"

#define YES MATCH_YES
#define NO MATCH_NO
#define ERR MATCH_ERROR

/* ------------------------------------------------------------------ */
/* cidr                                                               */
/* ------------------------------------------------------------------ */

static void test_cidr_parse(void)
{
    static const struct {
        const char *text;
        const char *want;       /* cidr_format() result, or NULL: refused */
        const char *why;        /* substring of the reason when refused */
    } cases[] = {
        {"192.168.0.0/16", "192.168.0.0/16", NULL},
        {"1.2.3.4", "1.2.3.4/32", NULL},
        {"[1.2.3.4]", "1.2.3.4/32", NULL},
        {"[1.2.3.0]/24", "1.2.3.0/24", NULL},
        {"0.0.0.0/0", "0.0.0.0/0", NULL},
        {"255.255.255.255/32", "255.255.255.255/32", NULL},
        {"10.0.0.0/008", "10.0.0.0/8", NULL},
        {"[::1]/128", "[::1]/128", NULL},
        {"[::1]", "[::1]/128", NULL},
        {"[2001:db8::]/32", "[2001:db8::]/32", NULL},
        {"2001:db8::/32", "[2001:db8::]/32", NULL},
        {"[::]/0", "[::]/0", NULL},
        {"[2001:DB8::1]", "[2001:db8::1]/128", NULL},
        {"[::ffff:127.0.0.0]/104", "127.0.0.0/8", NULL},
        {"[::ffff:1.2.3.4]", "1.2.3.4/32", NULL},
        {"[::ffff:0.0.0.0]/96", "0.0.0.0/0", NULL},
        {"[::fffe:0:0]/95", "[::fffe:0:0]/95", NULL},
        {"[::ffff:0:0]/95", NULL, "perhaps you should use \"[::fffe:0:0]/95\""},
        {"[::ffff:0:0]/80", NULL, "perhaps you should use \"[::]/80\""},
        /* Host bits set: the error names the item and the fix. */
        {"192.168.1.1/16", NULL,
         "non-null host address bits in \"192.168.1.1/16\", perhaps you should use "
         "\"192.168.0.0/16\" instead"},
        {"1.2.3.4/0", NULL, "perhaps you should use \"0.0.0.0/0\""},
        {"[2001:db8::1]/32", NULL, "perhaps you should use \"[2001:db8::]/32\""},
        {"[::ffff:127.0.0.1]/104", NULL, "perhaps you should use \"127.0.0.0/8\""},
        {"10.0.0.1/31", NULL, "\"10.0.0.0/31\""},
        /* Malformed. */
        {"1.2.3.4/33", NULL, "too large"},
        {"[::1]/129", NULL, "too large"},
        {"1.2.3.4/", NULL, "bad network prefix length"},
        {"1.2.3.4/-1", NULL, "bad network prefix length"},
        {"1.2.3.4/1000", NULL, "bad network prefix length"},
        {"1.2.3.4/8x", NULL, "bad network prefix length"},
        {"1.2.3/24", NULL, "bad address or network"},
        {"1.2.3.256", NULL, "bad address or network"},
        {"01.2.3.4", NULL, "bad address or network"},
        {"[1.2.3.4", NULL, "missing \"]\""},
        {"[1.2.3.4]x", NULL, "garbage after \"]\""},
        {"[1.2.3.4]/", NULL, "bad network prefix length"},
        {"[]", NULL, "bad address or network"},
        {"", NULL, "bad address or network"},
        {"::1::2", NULL, "bad address or network"},
        {"fe80::1%eth0", NULL, "bad address or network"},
        {"example.com", NULL, "bad address or network"},
        {"1.2.3.4 ", NULL, "bad address or network"},
    };
    VSTR *why = vstr_new(0);
    VSTR *out = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CIDR net;
        int rc;

        vstr_reset(why);
        rc = cidr_parse(&net, cases[i].text, why);
        if (cases[i].want != NULL) {
            TAP_INT(rc, 0, "cidr %zu: %s accepted (%s)", i, cases[i].text, vstr_str(why));
            vstr_reset(out);
            if (rc == 0)
                cidr_format(out, &net);
            TAP_STR(vstr_str(out), cases[i].want, "cidr %zu: %s formatted", i, cases[i].text);
        } else {
            TAP_INT(rc, -1, "cidr %zu: %s refused", i, cases[i].text);
        }
        if (cases[i].why != NULL)
            TAP_OK(strstr(vstr_str(why), cases[i].why) != NULL, "cidr %zu: why \"%s\" has \"%s\"",
                   i, vstr_str(why), cases[i].why);
    }
    /* Oversized input. */
    {
        VSTR *big = vstr_new(0);

        for (i = 0; i < 100000; i++)
            vstr_addch(big, i % 2 ? ':' : '1');
        {
            CIDR net;

            TAP_INT(cidr_parse(&net, vstr_str(big), why), -1, "cidr: 100k input refused");
            TAP_OK(vstr_len(why) < 300, "cidr: reason for 100k input is short (%zu)", vstr_len(why));
            TAP_INT(cidr_parse_addr(&net, vstr_str(big)), -1, "cidr_parse_addr: 100k input refused");
        }
        vstr_free(big);
    }
    vstr_free(why);
    vstr_free(out);
}

static void test_cidr_match(void)
{
    static const struct {
        const char *net;
        const char *addr;
        int want;
    } cases[] = {
        {"0.0.0.0/0", "0.0.0.0", 1},
        {"0.0.0.0/0", "255.255.255.255", 1},
        {"0.0.0.0/0", "::1", 0},
        {"0.0.0.0/0", "::ffff:10.1.2.3", 1},
        {"[::]/0", "::1", 1},
        {"[::]/0", "2001:db8::1", 1},
        {"[::]/0", "1.2.3.4", 0},
        {"1.2.3.4/32", "1.2.3.4", 1},
        {"1.2.3.4/32", "1.2.3.5", 0},
        {"1.2.3.4/31", "1.2.3.5", 1},
        {"1.2.3.4/31", "1.2.3.6", 0},
        {"192.168.0.0/16", "192.168.255.255", 1},
        {"192.168.0.0/16", "192.169.0.0", 0},
        {"192.168.0.0/16", "192.167.255.255", 0},
        {"10.0.0.0/9", "10.127.255.255", 1},
        {"10.0.0.0/9", "10.128.0.0", 0},
        {"128.0.0.0/1", "127.255.255.255", 0},
        {"128.0.0.0/1", "128.0.0.0", 1},
        {"[::1]/128", "::1", 1},
        {"[::1]/128", "::2", 0},
        {"[::1]/128", "0:0:0:0:0:0:0:1", 1},
        {"[2001:db8::]/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1},
        {"[2001:db8::]/32", "2001:db9::", 0},
        {"[2001:db8::]/33", "2001:db8:7fff::1", 1},
        {"[2001:db8::]/33", "2001:db8:8000::1", 0},
        {"[2001:db8::1]/128", "2001:DB8::1", 1},
        {"[2001:db8::]/127", "2001:db8::1", 1},
        {"[2001:db8::]/127", "2001:db8::2", 0},
        /* IPv4-mapped IPv6 on either side. */
        {"127.0.0.0/8", "::ffff:127.0.0.1", 1},
        {"127.0.0.0/8", "::ffff:128.0.0.1", 0},
        {"[::ffff:127.0.0.0]/104", "127.0.0.1", 1},
        {"[::ffff:127.0.0.0]/104", "::ffff:127.255.255.255", 1},
        {"[::ffff:127.0.0.0]/104", "128.0.0.1", 0},
        {"[::ffff:1.2.3.4]/128", "1.2.3.4", 1},
        {"[::ffff:1.2.3.4]", "::ffff:1.2.3.4", 1},
        {"[::ffff:0.0.0.0]/96", "9.9.9.9", 1},
        {"[::ffff:0.0.0.0]/96", "::1", 0},
        {"[::1]/128", "127.0.0.1", 0},
        {"1.2.3.4", "::1.2.3.4", 0},
    };
    size_t i;
    VSTR *why = vstr_new(0);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CIDR net;
        CIDR addr;
        int ok = cidr_parse(&net, cases[i].net, why) == 0 && cidr_parse_addr(&addr, cases[i].addr) == 0;

        TAP_OK(ok, "cidr match %zu: both parse (%s)", i, vstr_str(why));
        TAP_INT(ok ? cidr_match(&net, &addr) : -1, cases[i].want, "cidr match %zu: %s in %s", i,
                cases[i].addr, cases[i].net);
    }
    {
        static const char *bad[] = {"", "1.2.3", "[1.2.3.4]", "1.2.3.4/32", "::1/128", "unknown",
                                    "1.2.3.4 ", "fe80::1%lo"};
        CIDR addr;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            TAP_INT(cidr_parse_addr(&addr, bad[i]), -1, "cidr_parse_addr refuses \"%s\"", bad[i]);
    }
    vstr_free(why);
}

/* ------------------------------------------------------------------ */
/* match lists                                                        */
/* ------------------------------------------------------------------ */

#define D MATCH_DOMAIN
#define DP (MATCH_DOMAIN | MATCH_FLAG_PARENT)
#define H MATCH_HOST
#define HP (MATCH_HOST | MATCH_FLAG_PARENT)
#define S MATCH_STRING

typedef struct CASE {
    const char *list;
    int flags;
    const char *name;       /* domain, host name or string (may be NULL for hosts) */
    const char *addr;       /* host lists: the client address */
    int want;
} CASE;

/*
 * Run one case; "@D@" in list is replaced with the data directory (the
 * case is skipped when there is none).
 */
static void run_case(const CASE *c, size_t i, const char *group, const char *dir)
{
    VSTR *text = vstr_new(0);
    VSTR *why = vstr_new(0);
    const char *cp;
    const char *at;
    MATCH_LIST *l;
    int got;

    if (dir == NULL && strstr(c->list, "@D@") != NULL) {
        TAP_OK(1, "%s %zu # SKIP POSTERN_SRC is not set", group, i);
        vstr_free(text);
        vstr_free(why);
        return;
    }
    for (cp = c->list; (at = strstr(cp, "@D@")) != NULL; cp = at + 3) {
        vstr_addmem(text, cp, (size_t) (at - cp));
        vstr_adds(text, dir);
    }
    vstr_adds(text, cp);
    l = match_list_create(group, vstr_str(text), c->flags, why);
    switch (c->flags & MATCH_KIND_MASK) {
    case MATCH_DOMAIN:
        got = match_list_domain(l, c->name);
        break;
    case MATCH_HOST:
        got = match_list_host(l, c->name, c->addr);
        break;
    default:
        got = match_list_string(l, c->name);
        break;
    }
    vstr_set(why, c->list);
    (void) str_printable(vstr_str(why), 0);
    TAP_INT(got, c->want, "%s %zu: \"%.60s\" %s%s%s%s", group, i, vstr_str(why),
            c->name ? c->name : "(null)", c->addr ? "[" : "", c->addr ? c->addr : "",
            c->addr ? "]" : "");
    if (got == MATCH_ERROR)
        TAP_OK(match_list_error(l) != NULL && strstr(match_list_error(l), group) != NULL,
               "%s %zu: error names the list: %s", group, i,
               match_list_error(l) ? match_list_error(l) : "(none)");
    else
        TAP_OK(match_list_error(l) == NULL, "%s %zu: no error text", group, i);
    match_list_free(l);
    vstr_free(text);
    vstr_free(why);
}

static const CASE domain_cases[] = {
    /* Exact, case-insensitive. */
    {"example.com", D, "example.com", NULL, YES},
    {"example.com", D, "EXAMPLE.Com", NULL, YES},
    {"Example.COM", D, "example.com", NULL, YES},
    {"example.com", D, "example.org", NULL, NO},
    {"example.com", D, "xexample.com", NULL, NO},
    {"example.com", D, "example.com.au", NULL, NO},
    {"example.com", D, "", NULL, NO},
    /* Parent matching off: only ".example.com" matches subdomains. */
    {"example.com", D, "sub.example.com", NULL, NO},
    {".example.com", D, "sub.example.com", NULL, YES},
    {".example.com", D, "a.b.example.com", NULL, YES},
    {".example.com", D, "example.com", NULL, NO},
    {".example.com", D, "xexample.com", NULL, NO},
    {".Example.Com", D, "SUB.EXAMPLE.COM", NULL, YES},
    /* Parent matching on: "example.com" matches subdomains too. */
    {"example.com", DP, "example.com", NULL, YES},
    {"example.com", DP, "sub.example.com", NULL, YES},
    {"example.com", DP, "a.b.example.com", NULL, YES},
    {"example.com", DP, "xexample.com", NULL, NO},
    {"example.com", DP, ".example.com", NULL, NO},
    {".example.com", DP, "sub.example.com", NULL, YES},
    {".example.com", DP, "example.com", NULL, NO},
    /* Separators. */
    {"a.org, b.org c.org,\td.org\n e.org", D, "d.org", NULL, YES},
    {"a.org,,,b.org", D, "b.org", NULL, YES},
    {" , ", D, "b.org", NULL, NO},
    {"", D, "b.org", NULL, NO},
    /* Negation: the first match wins, negated or not. */
    {"!sub.example.com, .example.com", D, "sub.example.com", NULL, NO},
    {"!sub.example.com, .example.com", D, "other.example.com", NULL, YES},
    {".example.com, !sub.example.com", D, "sub.example.com", NULL, YES},
    {"!example.com", D, "example.com", NULL, NO},
    {"!example.com", D, "other.com", NULL, NO},
    {"!!example.com", D, "example.com", NULL, YES},
    {"!example.com, example.com", DP, "sub.example.com", NULL, NO},
    {"!.example.com example.com", DP, "sub.example.com", NULL, NO},
    /* Tables: the domain, then its parents (".parent" or "parent"). */
    {"inline:{example.com=x}", D, "example.com", NULL, YES},
    {"inline:{example.com=x}", D, "EXAMPLE.COM", NULL, YES},
    {"inline:{example.com=x}", D, "sub.example.com", NULL, NO},
    {"inline:{example.com=x}", DP, "sub.example.com", NULL, YES},
    {"inline:{example.com=x}", DP, "a.b.example.com", NULL, YES},
    {"inline:{.example.com=x}", D, "sub.example.com", NULL, YES},
    {"inline:{.example.com=x}", D, "a.b.example.com", NULL, YES},
    {"inline:{.example.com=x}", D, "example.com", NULL, NO},
    {"inline:{.example.com=x}", DP, "sub.example.com", NULL, NO},
    {"inline:{com=x}", DP, "example.com", NULL, YES},
    {"inline:{com=x}", D, "example.com", NULL, NO},
    {"inline:{.com=x}", D, "example.com", NULL, YES},
    {"inline:{ a.org=1, { b.org = two words } }", D, "b.org", NULL, YES},
    {"!inline:{example.com=x} .example.com", D, "www.example.com", NULL, YES},
    {"!inline:{example.com=x} example.com", D, "example.com", NULL, NO},
    {"inline:{a=1} b.org", D, "b.org", NULL, YES},
    {"static:anything", D, "whatever.example", NULL, YES},
    {"texthash:@D@/relay.texthash", D, "relay.example.com", NULL, YES},
    {"texthash:@D@/relay.texthash", D, "Relay.Example.COM", NULL, YES},
    {"texthash:@D@/relay.texthash", D, "host.wild.example", NULL, YES},
    {"texthash:@D@/relay.texthash", D, "wild.example", NULL, NO},
    {"texthash:@D@/relay.texthash", D, "x.parent.example", NULL, NO},
    {"texthash:@D@/relay.texthash", DP, "x.parent.example", NULL, YES},
    {"texthash:@D@/relay.texthash", D, "nowhere.example", NULL, NO},
    /* Files. */
    {"@D@/domains.list", D, "example.com", NULL, YES},
    {"@D@/domains.list", D, "EXAMPLE.net", NULL, YES},
    {"@D@/domains.list", D, "a.sub.example.org", NULL, YES},
    {"@D@/domains.list", D, "sub.example.org", NULL, NO},
    {"@D@/domains.list", D, "deny.example.info", NULL, NO},
    {"@D@/domains.list", D, "allow.example.info", NULL, YES},
    {"@D@/domains.list", D, "sub.example.com", NULL, NO},
    {"@D@/domains.list", DP, "sub.example.com", NULL, YES},
    {"!example.com @D@/domains.list", D, "example.com", NULL, NO},
    {"other.org @D@/domains.list last.org", D, "last.org", NULL, YES},
    /* Broken items: an error when reached, not after a match. */
    {"/nonexistent/matchlist/file", D, "example.com", NULL, ERR},
    {"example.com /nonexistent/matchlist/file", D, "example.com", NULL, YES},
    {"example.com /nonexistent/matchlist/file", D, "other.com", NULL, ERR},
    {"nosuchtype:foo", D, "example.com", NULL, ERR},
    {"example.com, nosuchtype:foo", D, "example.com", NULL, YES},
    {"texthash:/nonexistent/matchlist/table", D, "example.com", NULL, ERR},
    {"inline:{a=1", D, "a", NULL, ERR},
    {"inline:{a}", D, "a", NULL, ERR},
    {"a.org }", D, "b.org", NULL, ERR},
    {"a.org { b.org", D, "b.org", NULL, ERR},
    {"!", D, "b.org", NULL, ERR},
    {"!/etc/hosts", D, "b.org", NULL, ERR},
    {"{ a.org } b.org", D, "a.org", NULL, YES},
    {"{}x b.org", D, "b.org", NULL, ERR},
};

static const CASE host_cases[] = {
    /* Addresses and networks. */
    {"127.0.0.0/8", H, NULL, "127.0.0.1", YES},
    {"127.0.0.0/8", H, NULL, "128.0.0.1", NO},
    {"127.0.0.0/8", H, NULL, "::ffff:127.0.0.1", YES},
    {"127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128", H, "localhost", "::1", YES},
    {"[::ffff:127.0.0.0]/104", H, NULL, "127.1.2.3", YES},
    {"[::ffff:127.0.0.0]/104", H, NULL, "::ffff:127.1.2.3", YES},
    {"[::1]/128", H, NULL, "::1", YES},
    {"[::1]/128", H, NULL, "::2", NO},
    {"[::1]", H, NULL, "::1", YES},
    {"::1", H, NULL, "::1", YES},
    {"2001:db8::/32", H, NULL, "2001:db8::5", YES},
    {"[2001:db8::]/32", H, NULL, "2001:db8:1::5", YES},
    {"[2001:db8::]/32", H, NULL, "2001:db9::5", NO},
    {"[2001:db8::]/32", H, NULL, "192.0.2.1", NO},
    {"0.0.0.0/0", H, NULL, "203.0.113.9", YES},
    {"0.0.0.0/0", H, NULL, "2001:db8::1", NO},
    {"[::]/0", H, NULL, "2001:db8::1", YES},
    {"[::]/0", H, NULL, "203.0.113.9", NO},
    {"192.0.2.1", H, NULL, "192.0.2.1", YES},
    {"[192.0.2.1]", H, NULL, "192.0.2.1", YES},
    {"192.0.2.1", H, NULL, "192.0.2.10", NO},
    {"192.0.2.0/24", H, "host.example", NULL, NO},
    {"192.0.2.0/24", H, NULL, "not-an-address", NO},
    /* Negation order. */
    {"!192.168.1.1, 192.168.0.0/16", H, NULL, "192.168.1.1", NO},
    {"!192.168.1.1, 192.168.0.0/16", H, NULL, "192.168.1.2", YES},
    {"192.168.0.0/16, !192.168.1.1", H, NULL, "192.168.1.1", YES},
    {"![::1] [::]/0", H, NULL, "::1", NO},
    {"![::1] [::]/0", H, NULL, "::2", YES},
    /* Host names. */
    {"trusted.example.com", H, "trusted.example.com", "192.0.2.9", YES},
    {"trusted.example.com", H, "Trusted.Example.COM", "192.0.2.9", YES},
    {"trusted.example.com", H, "other.example.com", "192.0.2.9", NO},
    {"trusted.example.com", H, NULL, "192.0.2.9", NO},
    {"example.com", H, "mx.example.com", "192.0.2.9", NO},
    {"example.com", HP, "mx.example.com", "192.0.2.9", YES},
    {".example.com", H, "mx.example.com", "192.0.2.9", YES},
    {"!mx.example.com .example.com", H, "mx.example.com", "192.0.2.9", NO},
    /* Tables: the name (and parents), then the address. */
    {"inline:{192.0.2.7=ok}", H, "unknown", "192.0.2.7", YES},
    {"inline:{192.0.2.7=ok}", H, "unknown", "192.0.2.8", NO},
    {"inline:{mx.example.com=ok}", H, "MX.example.com", "192.0.2.8", YES},
    {"inline:{example.com=ok}", HP, "mx.example.com", "192.0.2.8", YES},
    {"inline:{example.com=ok}", H, "mx.example.com", "192.0.2.8", NO},
    {"texthash:@D@/relay.texthash", H, NULL, "192.0.2.7", YES},
    {"texthash:@D@/relay.texthash", H, "relay.example.com", "198.51.100.1", YES},
    {"texthash:@D@/relay.texthash", H, "a.wild.example", "198.51.100.1", YES},
    {"texthash:@D@/relay.texthash", H, "b.example", "198.51.100.1", NO},
    /* Files. */
    {"@D@/hosts.list", H, NULL, "127.0.0.1", YES},
    {"@D@/hosts.list", H, NULL, "::ffff:127.0.0.1", YES},
    {"@D@/hosts.list", H, NULL, "::1", YES},
    {"@D@/hosts.list", H, NULL, "192.168.7.7", YES},
    {"@D@/hosts.list", H, NULL, "10.1.2.3", NO},
    {"@D@/hosts.list", H, NULL, "10.1.2.4", YES},
    {"@D@/hosts.list", H, "trusted.example.com", "203.0.113.1", YES},
    {"@D@/hosts.list", H, "evil.example.com", "203.0.113.1", NO},
    /* Broken items. */
    {"192.168.1.1/16", H, NULL, "192.168.1.1", ERR},
    {"10.0.0.0/8 192.168.1.1/16", H, NULL, "10.1.1.1", YES},
    {"10.0.0.0/8 192.168.1.1/16", H, NULL, "11.1.1.1", ERR},
    {"[2001:db8::1]/32", H, NULL, "2001:db8::1", ERR},
    {"1.2.3.4/33", H, NULL, "1.2.3.4", ERR},
    {"[1.2.3.4", H, NULL, "1.2.3.4", ERR},
    {"1.2.3.256", H, NULL, "1.2.3.4", ERR},
    {"[::1]x", H, NULL, "::1", ERR},
};

static const CASE string_cases[] = {
    {"alpha beta", S, "beta", NULL, YES},
    {"alpha beta", S, "BETA", NULL, YES},
    {"alpha beta", S, "gamma", NULL, NO},
    {"alpha beta", S, "alph", NULL, NO},
    {".beta", S, "x.beta", NULL, NO},
    {"!beta, beta", S, "beta", NULL, NO},
    {"inline:{beta=1}", S, "Beta", NULL, YES},
    {"inline:{beta=1}", S, "x.beta", NULL, NO},
    {"nosuchtype:x", S, "x", NULL, ERR},
};

static void run_cases(const char *group, const CASE *cases, size_t n, const char *dir)
{
    size_t i;

    for (i = 0; i < n; i++)
        run_case(&cases[i], i, group, dir);
}

/* ------------------------------------------------------------------ */
/* create-time diagnostics, files, bounds                             */
/* ------------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        msg_fatal("create %s: %s", path, strerror(errno));
    fputs(text, fp);
    if (fclose(fp) != 0)
        msg_fatal("write %s: %s", path, strerror(errno));
}

static void test_why(const char *tmp)
{
    static const struct {
        const char *list;
        int flags;
        const char *why;        /* substring; "" means why must be empty */
    } cases[] = {
        {"example.com .example.net", D, ""},
        {"192.168.0.0/16 [::1]/128", H, ""},
        {"192.168.1.1/16", H,
         "mylist: non-null host address bits in \"192.168.1.1/16\", perhaps you should use "
         "\"192.168.0.0/16\" instead"},
        {"ok.org 1.2.3.4/40", H, "mylist: network prefix length 40 too large in \"1.2.3.4/40\""},
        {"/nonexistent/matchlist/file", D, "mylist: open \"/nonexistent/matchlist/file\": "},
        {"nosuchtype:foo", D, "mylist: "},
        {"!", D, "mylist: \"!\" without a pattern"},
        {"!/etc/hosts", D, "negation of a file"},
        {"a }", D, "unbalanced"},
        {"@T@/bad-line3", H, "mylist: @T@/bad-line3, line 3: non-null host address bits in "
         "\"10.0.0.1/8\""},
        {"@T@/nested1", D, "@T@/nested2, line 2: open \"/nonexistent/x\""},
        {"@T@/self", D, "files nested more than 8 deep"},
        {"first.org 1.2.3.4/40 /nonexistent/y", H, "too large"},
    };
    size_t i;
    VSTR *why = vstr_new(0);
    VSTR *text = vstr_new(0);
    VSTR *want = vstr_new(0);
    VSTR *path = vstr_new(0);

    vstr_sprintf(path, "%s/bad-line3", tmp);
    write_file(vstr_str(path), "# comment\n127.0.0.0/8\n10.0.0.1/8\n");
    vstr_sprintf(path, "%s/nested1", tmp);
    vstr_sprintf(text, "ok1.org\n%s/nested2\n", tmp);
    write_file(vstr_str(path), vstr_str(text));
    vstr_sprintf(path, "%s/nested2", tmp);
    write_file(vstr_str(path), "ok2.org\n/nonexistent/x\n");
    vstr_sprintf(path, "%s/self", tmp);
    vstr_sprintf(text, "%s/self\n", tmp);
    write_file(vstr_str(path), vstr_str(text));

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *cp;
        const char *at;
        MATCH_LIST *l;

        vstr_reset(text);
        for (cp = cases[i].list; (at = strstr(cp, "@T@")) != NULL; cp = at + 3) {
            vstr_addmem(text, cp, (size_t) (at - cp));
            vstr_adds(text, tmp);
        }
        vstr_adds(text, cp);
        vstr_reset(want);
        for (cp = cases[i].why; (at = strstr(cp, "@T@")) != NULL; cp = at + 3) {
            vstr_addmem(want, cp, (size_t) (at - cp));
            vstr_adds(want, tmp);
        }
        vstr_adds(want, cp);
        vstr_set(why, "stale");
        l = match_list_create("mylist", vstr_str(text), cases[i].flags, why);
        if (vstr_len(want) == 0)
            TAP_STR(vstr_str(why), "", "why %zu: clean", i);
        else
            TAP_OK(strstr(vstr_str(why), vstr_str(want)) != NULL, "why %zu: \"%s\" has \"%s\"", i,
                   vstr_str(why), vstr_str(want));
        match_list_free(l);
    }
    /* A list from a file with a self-reference still matches its first items. */
    {
        MATCH_LIST *l;

        vstr_sprintf(path, "%s/nested1", tmp);
        l = match_list_create("nested", vstr_str(path), D, NULL);
        TAP_INT(match_list_domain(l, "ok1.org"), YES, "nested file: first item matches");
        TAP_INT(match_list_domain(l, "ok2.org"), YES, "nested file: nested item matches");
        TAP_INT(match_list_domain(l, "ok3.org"), ERR, "nested file: then the broken item");
        TAP_OK(strstr(match_list_error(l), "/nonexistent/x") != NULL, "nested file: error says %s",
               match_list_error(l));
        match_list_free(l);
    }
    vstr_free(why);
    vstr_free(text);
    vstr_free(want);
    vstr_free(path);
}

static void test_bounds(const char *tmp)
{
    VSTR *text = vstr_new(0);
    VSTR *why = vstr_new(0);
    VSTR *path = vstr_new(0);
    MATCH_LIST *l;
    size_t i;

    /* Many items: fine up to the bound, then an error item at the end. */
    for (i = 0; i < 20000; i++)
        vstr_printf(text, "d%zu.example ", i);
    l = match_list_create("many", vstr_str(text), D, why);
    TAP_STR(vstr_str(why), "", "20000 items: no problem");
    TAP_INT((long) match_list_count(l), 20000, "20000 items kept");
    TAP_INT(match_list_domain(l, "d19999.example"), YES, "20000 items: last matches");
    TAP_INT(match_list_domain(l, "D0.EXAMPLE"), YES, "20000 items: first matches");
    TAP_INT(match_list_domain(l, "d20000.example"), NO, "20000 items: other does not");
    match_list_free(l);

    vstr_reset(text);
    for (i = 0; i < MATCH_LIST_MAX_ITEMS + 5; i++)
        vstr_adds(text, "a ");
    l = match_list_create("toomany", vstr_str(text), D, why);
    TAP_OK(strstr(vstr_str(why), "more than 100000 items") != NULL, "too many items: %s",
           vstr_str(why));
    TAP_OK(match_list_count(l) <= MATCH_LIST_MAX_ITEMS + 1, "too many items: bounded (%zu)",
           match_list_count(l));
    TAP_INT(match_list_domain(l, "a"), YES, "too many items: the first still matches");
    TAP_INT(match_list_domain(l, "b"), ERR, "too many items: others reach the error");
    match_list_free(l);

    /* One oversized item. */
    vstr_reset(text);
    vstr_adds(text, "ok.org ");
    for (i = 0; i < 100000; i++)
        vstr_addch(text, 'x');
    l = match_list_create("long", vstr_str(text), D, why);
    TAP_OK(strstr(vstr_str(why), "item longer than 4096 bytes") != NULL, "100k item: %.80s",
           vstr_str(why));
    TAP_INT(match_list_domain(l, "ok.org"), YES, "100k item: earlier item matches");
    TAP_INT(match_list_domain(l, "other.org"), ERR, "100k item: error when reached");
    match_list_free(l);

    /* 100k of braces, of '!', of separators, of control characters. */
    {
        static const struct {
            const char *unit;
            int want;
        } units[] = {
            {"{", ERR}, {"}", ERR}, {"!", ERR}, {",", NO}, {" ", NO}, {"\x01", ERR}, {"[", ERR},
            {":", ERR},
        };
        size_t u;

        for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
            vstr_reset(text);
            for (i = 0; i < 100000; i++)
                vstr_adds(text, units[u].unit);
            l = match_list_create("hostile", vstr_str(text), H, why);
            TAP_INT(match_list_host(l, "host.example", "192.0.2.1"), units[u].want,
                    "100k of \"%s\": %s", units[u].unit[0] < 32 ? "^A" : units[u].unit,
                    vstr_str(why));
            TAP_OK(match_list_count(l) <= MATCH_LIST_MAX_ITEMS + 1, "100k of \"%s\": bounded",
                   units[u].unit[0] < 32 ? "^A" : units[u].unit);
            match_list_free(l);
        }
    }

    /* A file with a line that is too long, and one with a NUL byte. */
    vstr_sprintf(path, "%s/longline", tmp);
    vstr_reset(text);
    vstr_adds(text, "first.org\n");
    for (i = 0; i < 100000; i++)
        vstr_adds(text, "ab ");
    vstr_adds(text, "\n");
    write_file(vstr_str(path), vstr_str(text));
    l = match_list_create("longline", vstr_str(path), D, why);
    TAP_OK(strstr(vstr_str(why), "longline, line 2") != NULL, "long file line: %.200s",
           vstr_str(why));
    /* lineread(3) stops before it hands out the line before the bad one. */
    TAP_INT(match_list_domain(l, "first.org"), ERR, "long file line: error, not a silent miss");
    TAP_OK(match_list_error(l) && strstr(match_list_error(l), "line too long"), "long file line: %s",
           match_list_error(l) ? match_list_error(l) : "(none)");
    match_list_free(l);

    {
        FILE *fp;

        vstr_sprintf(path, "%s/nul", tmp);
        if ((fp = fopen(vstr_str(path), "w")) == NULL)
            msg_fatal("create %s: %s", vstr_str(path), strerror(errno));
        fwrite("a.org\nb\0c.org\n", 1, 14, fp);
        fclose(fp);
        l = match_list_create("nul", vstr_str(path), D, why);
        TAP_OK(strstr(vstr_str(why), "nul, line 2") != NULL, "NUL in file: %s", vstr_str(why));
        TAP_INT(match_list_domain(l, "a.org"), ERR, "NUL in file: an error, not a silent miss");
        TAP_INT(match_list_domain(l, "c.org"), ERR, "NUL in file: error");
        match_list_free(l);
    }

    /* A directory is not a list file. */
    l = match_list_create("dir", tmp, D, why);
    TAP_INT(match_list_domain(l, "x.org"), ERR, "directory as a file: error (%s)", vstr_str(why));
    match_list_free(l);

    /* Many matches on one list do not grow anything (LeakSanitizer would see). */
    l = match_list_create("repeat", "!10.0.0.1 10.0.0.0/8 inline:{h.example=1} /nonexistent/z", H,
                          why);
    for (i = 0; i < 10000; i++) {
        char addr[32];

        snprintf(addr, sizeof(addr), "10.0.%zu.%zu", (i / 256) % 256, i % 256);
        if (match_list_host(l, "x.example", addr) != (i == 1 ? NO : YES))
            break;
    }
    TAP_INT((long) i, 10000, "10000 matches give the right answers");
    TAP_INT(match_list_host(l, "h.example", "192.0.2.1"), YES, "table after networks");
    TAP_INT(match_list_host(l, "x.example", "192.0.2.1"), ERR, "then the broken file");
    TAP_INT(match_list_host(l, "x.example", "10.0.0.1"), NO, "error cleared by the next match");
    TAP_OK(match_list_error(l) == NULL, "no stale error text");
    match_list_free(l);

    vstr_free(text);
    vstr_free(why);
    vstr_free(path);
}

static void test_parent_flag(void)
{
    static const char *pdms = "debug_peer_list,fast_flush_domains,mynetworks,"
        "permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps";
    static const struct {
        const char *name;
        const char *pdms;
        int want;
    } cases[] = {
        {"relay_domains", NULL, MATCH_FLAG_PARENT},
        {"mynetworks", NULL, MATCH_FLAG_PARENT},
        {"debug_peer_list", NULL, MATCH_FLAG_PARENT},
        {"smtpd_access_maps", NULL, MATCH_FLAG_PARENT},
        {"mydestination", NULL, 0},
        {"relay", NULL, 0},
        {"relay_domains_x", NULL, 0},
        {"", NULL, 0},
        {"mydestination", "", 0},
        {"mydestination", " mydestination ", MATCH_FLAG_PARENT},
        {"b", "a, b,c", MATCH_FLAG_PARENT},
        {"c", "a, b,c", MATCH_FLAG_PARENT},
        {"d", "a, b,c", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        TAP_INT(match_list_parent_flag(cases[i].name, cases[i].pdms ? cases[i].pdms : pdms),
                cases[i].want, "parent flag %zu: %s", i, cases[i].name);
    TAP_INT(match_list_parent_flag("relay_domains", NULL), 0, "parent flag: NULL value");
}

/*
 * Deterministic random lists and subjects: nothing may crash (the
 * sanitizers watch), and every answer is one of the three results.
 */
static void test_random(void)
{
    static const char alphabet[] = "a1f.:/[]{}!, \t0";
    static const char *addrs[] = {"1.1.1.1", "::1", "::ffff:1.1.1.1", "a", NULL};
    unsigned long seed = 4242;
    VSTR *text = vstr_new(0);
    int bad = 0;
    int round;

    for (round = 0; round < 3000; round++) {
        size_t len = 0;
        size_t i;
        MATCH_LIST *l;
        int kind = round % 3 == 0 ? D : round % 3 == 1 ? H : S;
        int rc;

        vstr_reset(text);
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        len = (seed >> 33) % 30;
        for (i = 0; i < len; i++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            vstr_addch(text, alphabet[(seed >> 33) % (sizeof(alphabet) - 1)]);
        }
        l = match_list_create("random", vstr_str(text), kind | (round & 4 ? MATCH_FLAG_PARENT : 0),
                              NULL);
        rc = kind == D ? match_list_domain(l, "a.1.f")
            : kind == H ? match_list_host(l, round & 8 ? "a.f" : NULL, addrs[round % 5])
            : match_list_string(l, "a1");
        if (rc != YES && rc != NO && rc != ERR)
            bad++;
        if ((rc == ERR) != (match_list_error(l) != NULL))
            bad++;
        match_list_free(l);
    }
    TAP_INT(bad, 0, "3000 random lists: well-defined answers");
    vstr_free(text);
}

/* Remove the scratch files (no recursion needed: one flat directory). */
static void cleanup_dir(const char *tmp)
{
    static const char *names[] = {"bad-line3", "nested1", "nested2", "self", "longline", "nul"};
    VSTR *path = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        vstr_sprintf(path, "%s/%s", tmp, names[i]);
        (void) unlink(vstr_str(path));
    }
    if (rmdir(tmp) != 0)
        msg_warn("rmdir %s: %s", tmp, strerror(errno));
    vstr_free(path);
}

int main(int argc, char **argv)
{
    const char *src = getenv("POSTERN_SRC");
    char tmp[] = "/tmp/matchlist_test.XXXXXX";
    VSTR *data = vstr_new(0);

    (void) argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    if (mkdtemp(tmp) == NULL)
        msg_fatal("mkdtemp: %s", strerror(errno));
    test_cidr_parse();
    test_cidr_match();
    if (src != NULL)
        vstr_sprintf(data, "%s/test/data/addr", src);
    run_cases("domain", domain_cases, sizeof(domain_cases) / sizeof(domain_cases[0]),
              src ? vstr_str(data) : NULL);
    run_cases("host", host_cases, sizeof(host_cases) / sizeof(host_cases[0]),
              src ? vstr_str(data) : NULL);
    run_cases("string", string_cases, sizeof(string_cases) / sizeof(string_cases[0]),
              src ? vstr_str(data) : NULL);
    test_why(tmp);
    test_bounds(tmp);
    test_parent_flag();
    test_random();
    cleanup_dir(tmp);
    vstr_free(data);
    return tap_done();
}
