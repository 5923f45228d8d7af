/*
 * Unit tests for lib/net/dns without a name server: name validation,
 * reverse names, families, type names, MX ordering, and the interpretation
 * of reply packets (built here with ldns, or broken by hand) through
 * dns_parse_wire(). The lookups against a real server are in test/e2e/dns.sh.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"

static char *repeat_label(size_t len, size_t count)
{
    VSTR *v = vstr_new(0);
    size_t i, j;

    for (i = 0; i < count; i++) {
        if (i)
            vstr_addch(v, '.');
        for (j = 0; j < len; j++)
            vstr_addch(v, 'a');
    }
    return vstr_export(v);
}

static void test_check_name(void)
{
    static const struct {
        const char *name;
        int want;
        const char *why;
    } cases[] = {
        {"example.com", DNS_OK, ""},
        {"example.com.", DNS_OK, ""},
        {"_25._tcp.mx.example.com", DNS_OK, ""},
        {"xn--bcher-kva.example", DNS_OK, ""},
        {"a", DNS_OK, ""},
        {"", DNS_INVAL, "empty domain name"},
        {".", DNS_INVAL, "empty domain name"},
        {"a..b", DNS_INVAL, "empty label in domain name"},
        {".a", DNS_INVAL, "empty label in domain name"},
        {"a.b..", DNS_INVAL, "empty label in domain name"},
        {"a b.example", DNS_INVAL, "bad character 0x20 in domain name"},
        {"ex@mple.com", DNS_INVAL, "bad character 0x40 in domain name"},
        {"a\001.com", DNS_INVAL, "bad character 0x01 in domain name"},
        {"caf\303\251.example", DNS_INVAL, "bad character 0xc3 in domain name"},
        {"a\\.b", DNS_INVAL, "bad character 0x5c in domain name"},
    };
    VSTR *why = vstr_new(0);
    char *name;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TAP_INT(dns_check_name(cases[i].name, why), cases[i].want, "check_name \"%s\"",
                cases[i].name);
        TAP_STR(vstr_str(why), cases[i].why, "check_name \"%s\": reason", cases[i].name);
    }
    name = repeat_label(63, 1);
    TAP_INT(dns_check_name(name, why), DNS_OK, "a 63-octet label is valid");
    mem_free(name);
    name = repeat_label(64, 1);
    TAP_INT(dns_check_name(name, why), DNS_INVAL, "a 64-octet label is not");
    TAP_STR(vstr_str(why), "label longer than 63 characters in domain name", "label reason");
    mem_free(name);
    name = repeat_label(63, 4);          /* 4*63 + 3 = 255 characters */
    TAP_INT(dns_check_name(name, why), DNS_INVAL, "a 255-character name is too long");
    TAP_STR(vstr_str(why), "domain name longer than 253 characters", "length reason");
    name[253] = 0;                      /* 253 characters, 255 octets on the wire */
    TAP_INT(dns_check_name(name, why), DNS_OK, "a 253-character name is valid");
    mem_free(name);
    name = repeat_label(1, 127);         /* 253 characters of one-octet labels */
    TAP_INT(dns_check_name(name, why), DNS_OK, "127 one-octet labels are valid");
    mem_free(name);
    name = repeat_label(1, 100000);
    TAP_INT(dns_check_name(name, why), DNS_INVAL, "a huge name is rejected");
    mem_free(name);
    vstr_free(why);
}

static void test_reverse_name(void)
{
    static const struct {
        const char *addr;
        const char *want;
    } cases[] = {
        {"127.0.0.1", "1.0.0.127.in-addr.arpa"},
        {"192.0.2.10", "10.2.0.192.in-addr.arpa"},
        {"::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"},
        {"2001:db8::abcd",
         "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
        {"::ffff:192.0.2.1", "1.2.0.192.in-addr.arpa"},
        {"bogus", NULL},
        {"256.1.1.1", NULL},
        {"1.2.3", NULL},
        {"", NULL},
        {"127.0.0.1 ", NULL},
    };
    VSTR *out = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = dns_reverse_name(cases[i].addr, out);

        if (cases[i].want == NULL)
            TAP_INT(r, -1, "reverse name of \"%s\" is refused", cases[i].addr);
        else
            TAP_STR(r == 0 ? vstr_str(out) : NULL, cases[i].want, "reverse name of %s",
                    cases[i].addr);
    }
    vstr_free(out);
}

static void test_names(void)
{
    static const struct {
        const char *text;
        int want;
    } fam[] = {
        {"ipv4", DNS_FAMILY_INET4}, {"ipv6", DNS_FAMILY_INET6}, {"all", DNS_FAMILY_ALL},
        {"ipv4, ipv6", DNS_FAMILY_ALL}, {" IPv6 ", DNS_FAMILY_INET6}, {"", -1},
        {"ipv5", -1}, {"ipv4, bogus", -1},
    };
    size_t i;

    for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
        int got = -1;

        if (dns_parse_family(fam[i].text, &got) < 0)
            got = -1;
        TAP_INT(got, fam[i].want, "inet_protocols \"%s\"", fam[i].text);
    }
    TAP_INT(dns_type_code("mx"), DNS_T_MX, "type name mx");
    TAP_INT(dns_type_code("TLSA"), DNS_T_TLSA, "type name TLSA");
    TAP_INT(dns_type_code("ANY"), -1, "type name ANY is not supported");
    TAP_STR(dns_type_name(DNS_T_AAAA), "AAAA", "type code 28");
    TAP_STR(dns_type_name(999), "unknown", "unknown type code");
    TAP_STR(dns_status_name(DNS_NULLMX), "NULLMX", "status name");
}

static DNS_RR *mx(unsigned pref, const char *host, DNS_RR *next)
{
    DNS_RR *rr = mem_calloc(1, sizeof(*rr));

    rr->type = DNS_T_MX;
    rr->pref = pref;
    rr->text = mem_strdup(host);
    rr->rname = mem_strdup("example.test");
    rr->next = next;
    return rr;
}

static void test_sort_mx(void)
{
    int seen_first[3] = {0, 0, 0};
    int ordered = 1, kept = 1;
    int run;

    for (run = 0; run < 200; run++) {
        DNS_RR *list = mx(20, "b20", mx(10, "a10", mx(30, "c30", mx(10, "b10",
                              mx(10, "c10", NULL)))));
        DNS_RR *rr;
        unsigned last = 0;
        int n = 0;

        list = dns_sort_mx(list);
        for (rr = list; rr != NULL; rr = rr->next, n++) {
            if (rr->pref < last)
                ordered = 0;
            last = rr->pref;
        }
        if (n != 5 || strcmp(list->next->next->next->text, "b20") != 0)
            kept = 0;
        seen_first[list->text[0] - 'a']++;
        dns_rr_free(list);
    }
    TAP_OK(ordered, "MX lists come sorted by preference");
    TAP_OK(kept, "sorting keeps every record");
    TAP_OK(seen_first[0] && seen_first[1] && seen_first[2],
           "each equal-preference MX comes first sometimes (%d/%d/%d)", seen_first[0],
           seen_first[1], seen_first[2]);
    TAP_OK(dns_sort_mx(NULL) == NULL, "an empty list sorts to itself");
}

/* A reply packet for name/type with the given rcode and records (zone text). */
static uint8_t *make_reply(const char *qname, int qtype, int rcode, int ad, const char **rrs,
                           size_t *len)
{
    ldns_rdf *name = ldns_dname_new_frm_str(qname);
    ldns_pkt *pkt = ldns_pkt_query_new(name, (ldns_rr_type) qtype, LDNS_RR_CLASS_IN, LDNS_RD);
    uint8_t *wire = NULL;
    size_t i;

    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rcode(pkt, (uint8_t) rcode);
    ldns_pkt_set_ad(pkt, ad);
    for (i = 0; rrs != NULL && rrs[i] != NULL; i++) {
        ldns_rr *rr = NULL;

        if (ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL, NULL) != LDNS_STATUS_OK)
            msg_panic("bad test record: %s", rrs[i]);
        ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
    }
    if (ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK)
        msg_panic("cannot build a test packet");
    ldns_pkt_free(pkt);
    return wire;
}

/* Parse a made-up reply; returns the status, reply filled in. */
static int parse(const char *qname, int qtype, int rcode, const char **rrs, DNS_REPLY *reply)
{
    size_t len;
    uint8_t *wire = make_reply(qname, qtype, rcode, 0, rrs, &len);
    int status = dns_parse_wire(wire, len, qname, qtype, 0, reply);

    free(wire);
    return status;
}

static char *texts(const DNS_REPLY *reply)
{
    VSTR *v = vstr_new(0);
    DNS_RR *rr;

    for (rr = reply->rrs; rr != NULL; rr = rr->next)
        vstr_printf(v, "%s%s", vstr_len(v) ? "," : "", rr->text);
    return vstr_export(v);
}

#define CHECK_TEXTS(reply, want, what) do { \
        char *t_ = texts(reply); \
        TAP_STR(t_, want, what); \
        mem_free(t_); \
    } while (0)

static void test_parse_answers(void)
{
    DNS_REPLY *r = dns_reply_new();
    const char *two_mx[] = {"example.test. IN MX 20 mx2.example.test.",
                            "example.test. IN MX 10 mx1.example.test.", NULL};
    const char *null_mx[] = {"example.test. IN MX 0 .", NULL};
    const char *null_and_real[] = {"example.test. IN MX 0 .",
                                   "example.test. IN MX 5 mx.example.test.",
                                   NULL};
    const char *chain[] = {"a.example.test. IN CNAME b.example.test.",
                           "b.example.test. IN CNAME c.example.test.",
                           "c.example.test. IN A 192.0.2.3", NULL};
    const char *loop[] = {"a.example.test. IN CNAME b.example.test.",
                          "b.example.test. IN CNAME a.example.test.", NULL};
    const char *dangling[] = {"a.example.test. IN CNAME elsewhere.example.", NULL};
    const char *stranger[] = {"other.example.test. IN A 192.0.2.9", NULL};
    const char *badhost[] = {"example.test. IN MX 10 bad\\032host.example.test.", NULL};
    const char *badhost2[] = {"example.test. IN MX 10 bad\\032host.example.test.",
                              "example.test. IN MX 20 good.example.test.", NULL};
    const char *txt[] = {"t.example.test. IN TXT \"v=spf1 \" \"-all\"", NULL};
    const char *txtctl[] = {"t.example.test. IN TXT \"a\\007b\\000c\"", NULL};
    const char *tlsa[] = {"_25._tcp.mx.example.test. IN TLSA 3 1 1 "
                          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL};
    const char *ptr[] = {"1.2.0.192.in-addr.arpa. IN PTR host.example.test.", NULL};
    const char *aaaa[] = {"h.example.test. IN AAAA 2001:db8::1", "h.example.test. IN A 192.0.2.1",
                          NULL};
    const char *mixedcase[] = {"MiXeD.Example.TEST. IN A 192.0.2.7", NULL};
    const char *many[DNS_MAX_RRS + 52];
    char bufs[DNS_MAX_RRS + 50][64];
    size_t i;

    TAP_INT(parse("example.test.", DNS_T_MX, 0, two_mx, r), DNS_OK, "two MX: OK");
    CHECK_TEXTS(r, "mx1.example.test,mx2.example.test", "two MX sorted by preference");
    TAP_INT(r->rrs->pref, 10, "MX preference");
    TAP_STR(r->rrs->rname, "example.test", "owner name without the final dot");
    TAP_INT(r->rrs->ttl, 3600, "TTL");

    TAP_INT(parse("example.test", DNS_T_MX, 0, null_mx, r), DNS_NULLMX, "null MX");
    TAP_STR(vstr_str(r->why), "Name service error for name=example.test type=MX: "
            "Domain example.test does not accept mail (nullMX)", "null MX reason");
    TAP_INT(parse("example.test", DNS_T_MX, 0, null_and_real, r), DNS_OK,
            "a null MX among others is dropped");
    CHECK_TEXTS(r, "mx.example.test", "the real MX stays");

    TAP_INT(parse("nosuch.example.test", DNS_T_MX, LDNS_RCODE_NXDOMAIN, NULL, r), DNS_NOTFOUND,
            "NXDOMAIN: NOTFOUND");
    TAP_INT(r->nxdomain, 1, "NXDOMAIN is flagged");
    TAP_STR(vstr_str(r->why), "Host or domain name not found. Name service error for "
            "name=nosuch.example.test type=MX: Host not found", "NXDOMAIN reason");
    TAP_INT(parse("a.example.test", DNS_T_MX, 0, NULL, r), DNS_NOTFOUND, "NODATA: NOTFOUND");
    TAP_INT(r->nxdomain, 0, "NODATA is not NXDOMAIN");
    TAP_STR(vstr_str(r->why), "Host or domain name not found. Name service error for "
            "name=a.example.test type=MX: Host found but no data record of requested type",
            "NODATA reason");
    TAP_INT(parse("a.example.test", DNS_T_MX, LDNS_RCODE_SERVFAIL, NULL, r), DNS_RETRY,
            "SERVFAIL: RETRY");
    TAP_STR(vstr_str(r->why), "Host or domain name not found. Name service error for "
            "name=a.example.test type=MX: Host not found, try again", "SERVFAIL reason");
    TAP_INT(parse("a.example.test", DNS_T_MX, LDNS_RCODE_REFUSED, NULL, r), DNS_RETRY,
            "REFUSED: RETRY");
    TAP_INT(r->rcode, LDNS_RCODE_REFUSED, "the rcode is reported");

    TAP_INT(parse("a.example.test", DNS_T_A, 0, chain, r), DNS_OK, "CNAME chain: OK");
    CHECK_TEXTS(r, "192.0.2.3", "CNAME chain: the address at its end");
    TAP_STR(r->canon, "c.example.test", "CNAME chain: canonical name");
    TAP_INT(r->cnames->argc, 2, "CNAME chain: two CNAMEs reported");
    TAP_STR(r->cnames->argv[0], "a.example.test=b.example.test", "first CNAME");
    TAP_STR(r->rrs->rname, "c.example.test", "the record's owner is the chain's end");
    TAP_INT(parse("a.example.test", DNS_T_CNAME, 0, chain, r), DNS_OK, "asking for the CNAME");
    CHECK_TEXTS(r, "b.example.test", "CNAME lookups are not followed");
    TAP_INT(parse("a.example.test", DNS_T_A, 0, loop, r), DNS_FAIL, "CNAME loop: FAIL");
    TAP_STR(vstr_str(r->why), "Name service error for name=a.example.test type=A: "
            "CNAME loop or chain longer than 10", "CNAME loop reason");
    TAP_INT(parse("a.example.test", DNS_T_A, 0, dangling, r), DNS_NOTFOUND,
            "a chain that ends without data");
    TAP_STR(r->canon, "elsewhere.example", "the chain's end is reported");
    TAP_INT(parse("a.example.test", DNS_T_A, LDNS_RCODE_NXDOMAIN, dangling, r), DNS_NOTFOUND,
            "a chain to a name that does not exist");
    TAP_INT(r->nxdomain, 1, "... is NXDOMAIN");

    TAP_INT(parse("a.example.test", DNS_T_A, 0, stranger, r), DNS_NOTFOUND,
            "records owned by another name are ignored");
    TAP_INT(parse("mixed.example.test", DNS_T_A, 0, mixedcase, r), DNS_OK,
            "owner names compare without case");
    TAP_INT(parse("example.test", DNS_T_MX, 0, badhost, r), DNS_FAIL,
            "an MX target that is no host name: FAIL");
    TAP_INT(parse("example.test", DNS_T_MX, 0, badhost2, r), DNS_OK,
            "a bad MX target among good ones is dropped");
    CHECK_TEXTS(r, "good.example.test", "the good MX stays");

    TAP_INT(parse("t.example.test", DNS_T_TXT, 0, txt, r), DNS_OK, "TXT");
    CHECK_TEXTS(r, "v=spf1 -all", "TXT strings are joined");
    TAP_INT(r->rrs->data_len, 11, "TXT data length");
    TAP_INT(parse("t.example.test", DNS_T_TXT, 0, txtctl, r), DNS_OK, "TXT with control bytes");
    CHECK_TEXTS(r, "a?b?c", "TXT text is printable");
    TAP_OK(r->rrs->data_len == 5 && memcmp(r->rrs->data, "a\007b\000c", 5) == 0,
           "TXT data keeps the bytes");
    TAP_INT(parse("_25._tcp.mx.example.test", DNS_T_TLSA, 0, tlsa, r), DNS_OK, "TLSA");
    CHECK_TEXTS(r, "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "TLSA text");
    TAP_OK(r->rrs->tlsa_usage == 3 && r->rrs->tlsa_selector == 1 && r->rrs->tlsa_mtype == 1
               && r->rrs->data_len == 32 && r->rrs->data[0] == 0x01,
           "TLSA fields");
    TAP_INT(parse("1.2.0.192.in-addr.arpa", DNS_T_PTR, 0, ptr, r), DNS_OK, "PTR");
    CHECK_TEXTS(r, "host.example.test", "PTR text");
    TAP_INT(parse("h.example.test", DNS_T_AAAA, 0, aaaa, r), DNS_OK, "AAAA");
    CHECK_TEXTS(r, "2001:db8::1", "AAAA only, as printable text");
    TAP_INT(r->rrs->data_len, 16, "AAAA data is 16 bytes");

    {
        size_t len;
        uint8_t *wire = make_reply("h.example.test", DNS_T_A, 0, 1, aaaa, &len);

        TAP_INT(dns_parse_wire(wire, len, "h.example.test", DNS_T_A, DNS_FLAG_DNSSEC, r), DNS_OK,
                "an answer with the AD bit");
        TAP_OK(r->authentic && r->rrs->dnssec_valid, "AD bit, DNSSEC asked: authentic");
        dns_parse_wire(wire, len, "h.example.test", DNS_T_A, 0, r);
        TAP_OK(!r->authentic && !r->rrs->dnssec_valid, "AD bit, DNSSEC not asked: not authentic");
        free(wire);
        wire = make_reply("h.example.test", DNS_T_A, 0, 0, aaaa, &len);
        dns_parse_wire(wire, len, "h.example.test", DNS_T_A, DNS_FLAG_DNSSEC, r);
        TAP_OK(!r->authentic && !r->rrs->dnssec_valid, "no AD bit: not authentic");
        free(wire);
    }

    for (i = 0; i < DNS_MAX_RRS + 50; i++) {
        snprintf(bufs[i], sizeof(bufs[i]), "many.example.test. IN A 10.0.%zu.%zu", i / 250,
                 i % 250);
        many[i] = bufs[i];
    }
    many[i] = NULL;
    TAP_INT(parse("many.example.test", DNS_T_A, 0, many, r), DNS_OK, "many records: OK");
    TAP_INT(r->count, DNS_MAX_RRS, "the number of records is bounded");

    dns_reply_free(r);
}

static void test_parse_malformed(void)
{
    DNS_REPLY *r = dns_reply_new();
    const char *one[] = {"example.test. IN A 192.0.2.1", NULL};
    size_t len, i;
    uint8_t *wire = make_reply("example.test", DNS_T_A, 0, 0, one, &len);
    uint8_t *copy = mem_alloc(len);
    int counts[6] = {0, 0, 0, 0, 0, 0};
    int sane = 1;
    unsigned seed = 12345;

    TAP_INT(dns_parse_wire(wire, len, "example.test", DNS_T_A, 0, r), DNS_OK, "the base packet");
    TAP_INT(dns_parse_wire(wire, 0, "example.test", DNS_T_A, 0, r), DNS_FAIL, "empty packet");
    TAP_INT(dns_parse_wire(wire, 11, "example.test", DNS_T_A, 0, r), DNS_FAIL, "short header");
    TAP_INT(dns_parse_wire(wire, len - 3, "example.test", DNS_T_A, 0, r), DNS_FAIL,
            "truncated answer");
    memcpy(copy, wire, len);
    copy[7] = 5;                        /* ancount 5 with one record present */
    TAP_INT(dns_parse_wire(copy, len, "example.test", DNS_T_A, 0, r), DNS_FAIL,
            "an answer count larger than the records");
    memcpy(copy, wire, len);
    copy[5] = 0;                        /* no question */
    TAP_INT(dns_parse_wire(copy, len, "example.test", DNS_T_A, 0, r), DNS_FAIL,
            "no question section");
    TAP_INT(dns_parse_wire(wire, len, "other.test", DNS_T_A, 0, r), DNS_FAIL,
            "an answer to another question");
    TAP_STR(vstr_str(r->why), "Name service error for name=other.test type=A: Malformed or "
            "unexpected name server reply (wrong question)", "wrong question reason");
    TAP_INT(dns_parse_wire(wire, len, "example.test", DNS_T_MX, 0, r), DNS_FAIL,
            "an answer for another type");
    TAP_INT(dns_parse_wire(wire, len, "bad..name", DNS_T_A, 0, r), DNS_INVAL,
            "an invalid name is refused");

    /* Random corruption: never a crash, always a known result. */
    for (i = 0; i < 3000; i++) {
        size_t k, flips = 1 + rand_r(&seed) % 4;
        int st;

        memcpy(copy, wire, len);
        for (k = 0; k < flips; k++)
            copy[rand_r(&seed) % len] = (uint8_t) rand_r(&seed);
        st = dns_parse_wire(copy, (size_t) rand_r(&seed) % (len + 1), "example.test", DNS_T_A, 0,
                            r);
        if (st < 0 || st > DNS_INVAL)
            sane = 0;
        else
            counts[st]++;
    }
    TAP_OK(sane, "3000 corrupted packets give known results (ok %d fail %d other %d)",
           counts[DNS_OK], counts[DNS_FAIL],
           counts[DNS_NOTFOUND] + counts[DNS_RETRY] + counts[DNS_NULLMX]);
    free(wire);
    mem_free(copy);
    dns_reply_free(r);
}

/* resolv.conf "options" give the timeouts unless the caller does. */
static void test_resolv_options(const char *path)
{
    static const struct {
        const char *text;
        DNS_OPTIONS given;
        int use_given;
        DNS_OPTIONS want;
    } cases[] = {
        {"nameserver 192.0.2.1\n", {0, 0, 0}, 0, {DNS_DEF_TIMEOUT, DNS_DEF_TRIES, 0}},
        {"options timeout:7 attempts:3\n", {0, 0, 0}, 0, {7, 3, 0}},
        {"options rotate timeout:7\noptions attempts:4 edns0\n", {0, 0, 0}, 1, {7, 4, 0}},
        {"options timeout:7 attempts:3\n", {1, 0, DNS_FLAG_DNSSEC}, 1, {1, 3, DNS_FLAG_DNSSEC}},
        {"options timeout:99 attempts:0\n", {0, 0, 0}, 0, {30, 1, 0}},
        {"options timeout:x attempts:-1 timeout:\n", {0, 0, 0}, 0,
         {DNS_DEF_TIMEOUT, DNS_DEF_TRIES, 0}},
    };
    VSTR *why = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        DNS_OPTIONS got = {-1, -1, -1};
        FILE *fp = fopen(path, "w");
        DNS *dns;

        if (fp == NULL)
            msg_fatal("fopen %s: %m", path);
        fputs(cases[i].text, fp);
        fclose(fp);
        dns = dns_init(path, cases[i].use_given ? &cases[i].given : NULL, why);
        if (dns != NULL)
            dns_options(dns, &got);
        TAP_OK(got.timeout == cases[i].want.timeout && got.tries == cases[i].want.tries
                   && got.flags == cases[i].want.flags,
               "options case %zu: timeout %d tries %d flags %d", i, got.timeout, got.tries,
               got.flags);
        dns_free(dns);
    }
    vstr_free(why);
}

static void test_init_and_inval(void)
{
    DNS_OPTIONS bad = {-1, 2, 0};
    DNS_OPTIONS quick = {1, 1, 0};
    char path[] = "/tmp/dns_test.XXXXXX";
    VSTR *why = vstr_new(0);
    DNS_REPLY *r = dns_reply_new();
    char *name;
    DNS *dns;
    FILE *fp;
    int fd;
    time_t start;

    TAP_OK(dns_init("/nonexistent/resolv.conf", &bad, why) == NULL, "bad options are refused");
    TAP_STR(vstr_str(why), "bad resolver options: timeout -1 (0..60), tries 2 (0..10)",
            "bad options reason");
    dns = dns_init("/nonexistent/resolv.conf", NULL, why);
    TAP_STR(dns ? dns_servers(dns, why) : NULL, "127.0.0.1",
            "a missing resolv.conf means the local server");
    dns_free(dns);

    /* A server that does not exist: lookups that must not query return at once. */
    if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
        msg_fatal("mkstemp: %m");
    fprintf(fp, "# test\n; also a comment\nsearch example.test\noptions edns0 rotate\n"
                "nameserver bogus\nnameserver\nnameserver 192.0.2.53 # the first\n"
                "  nameserver   2001:db8::53\nnameserver fe80::1%%eth0\nnameserver 192.0.2.54\n"
                "nameserver 192.0.2.55\n");
    for (fd = 0; fd < 1100; fd++)
        putc('x', fp);
    fprintf(fp, "\nnameserver 192.0.2.56\n");
    fclose(fp);
    dns = dns_init(path, &quick, why);
    TAP_OK(dns != NULL, "resolv.conf with comments, options, bad lines: %s", vstr_str(why));
    if (dns != NULL)
        TAP_STR(dns_servers(dns, why), "192.0.2.53 2001:db8::53 192.0.2.54",
                "the first three good nameserver lines are used");
    dns_free(dns);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("fopen %s: %m", path);
    fprintf(fp, "search example.test\n");
    fclose(fp);
    dns = dns_init(path, &quick, why);
    TAP_STR(dns ? dns_servers(dns, why) : NULL, "127.0.0.1", "no nameserver line: 127.0.0.1");
    dns_free(dns);
    test_resolv_options(path);
    chmod(path, 0);
    dns = dns_init(path, &quick, why);
    TAP_OK(dns == NULL || geteuid() == 0, "an unreadable resolv.conf is an error (unless root)");
    dns_free(dns);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("fopen %s: %m", path);
    fprintf(fp, "nameserver 192.0.2.53\n");
    fclose(fp);
    dns = dns_init(path, &quick, why);
    unlink(path);
    TAP_OK(dns != NULL, "resolv.conf with one server");
    if (dns == NULL) {
        vstr_free(why);
        dns_reply_free(r);
        return;
    }
    name = repeat_label(63, 5);
    start = time(NULL);
    TAP_INT(dns_lookup(dns, name, DNS_T_MX, r), DNS_INVAL, "overlong name: INVAL");
    TAP_OK(strstr(vstr_str(r->why), "domain name longer than 253 characters") != NULL
               && strstr(vstr_str(r->why), "...") != NULL,
           "overlong name reason, name shortened: %s", vstr_str(r->why));
    TAP_INT(dns_lookup(dns, "a..b", DNS_T_A, r), DNS_INVAL, "empty label: INVAL");
    TAP_INT(dns_lookup_host(dns, "bad name", DNS_FAMILY_ALL, r), DNS_INVAL, "host: INVAL");
    TAP_INT(dns_lookup_ptr(dns, "not-an-address", r), DNS_INVAL, "PTR of a non-address: INVAL");
    TAP_INT(dns_forward_confirm(dns, "h.example", "bogus", r), DNS_INVAL,
            "forward confirm of a non-address: INVAL");
    TAP_OK(time(NULL) - start <= 1, "no query was sent for invalid names");
    mem_free(name);
    dns_free(dns);
    dns_reply_free(r);
    vstr_free(why);
}

int main(int argc, char **argv)
{
    (void) argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    test_check_name();
    test_reverse_name();
    test_names();
    test_sort_mx();
    test_parse_answers();
    test_parse_malformed();
    test_init_and_inval();
    return tap_done();
}
