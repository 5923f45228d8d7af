/*
 * dns - DNS lookups for the mail programs (A, AAAA, MX, PTR, TXT, CNAME,
 * TLSA), on top of ldns, with Postfix's dns_lookup(3) result codes.
 *
 * Set-up, once, before chroot (the resolver configuration is read here and
 * never again, so a chrooted daemon keeps resolving):
 *
 *   DNS_OPTIONS opt = DNS_OPTIONS_DEFAULT;   (or pass NULL)
 *   DNS *dns = dns_init(NULL, &opt, why);    NULL: /etc/resolv.conf
 *
 * Only the first three "nameserver ADDRESS" lines of the file matter (a bad
 * one is ignored with a warning); without any, or without the file, the
 * server is 127.0.0.1, as with the C library. A file that exists but cannot
 * be opened makes dns_init() return NULL with the reason in why (the caller
 * decides whether that is fatal). Names are always looked up as absolute
 * names (no search list, no default domain), as Postfix does for mail.
 * A query waits opts->timeout seconds per try and makes opts->tries tries
 * per server, so a dead server costs timeout * tries seconds. Where opts is
 * NULL or a field is 0, they come from resolv.conf's "options timeout:N
 * attempts:N" (capped at 30 and 5, as the C library does), else
 * DNS_DEF_TIMEOUT and DNS_DEF_TRIES (2 s, 2 tries); dns_options() tells
 * what is in effect. DNS_FLAG_DNSSEC asks for DNSSEC (DO and AD bits); the
 * AD bit in an answer is believed, so use it only with a validating
 * resolver on a trusted path (localhost). dns_servers() lists the servers
 * in use ("127.0.0.1 ::1") for logging; dns_free() releases the handle.
 *
 * Lookups:
 *
 *   DNS_REPLY *r = dns_reply_new();
 *   switch (dns_lookup(dns, "example.com", DNS_T_MX, r)) {
 *   case DNS_OK:       for (rr = r->rrs; rr; rr = rr->next) ... rr->text
 *   case DNS_NOTFOUND: r->nxdomain: 1 = no such name, 0 = no record of
 *                      that type (NODATA: "no MX -> use the A record")
 *   case DNS_NULLMX:   RFC 7505: the domain accepts no mail
 *   case DNS_RETRY:    SERVFAIL, REFUSED, timeout, network: try later
 *   case DNS_FAIL:     malformed reply, CNAME loop: a hard error
 *   case DNS_INVAL:    the name is not a valid domain name (no query sent)
 *   }
 *   vstr_str(r->why) says why in Postfix's words on every non-OK result;
 *   dns_reply_free(r). A reply is reused (reset) by the next lookup.
 *
 * dns_lookup() follows CNAMEs (at most DNS_MAX_CNAME; each is listed in
 * r->cnames as "alias=target"; r->canon is the final name) except when
 * asked for CNAME itself. MX lists come sorted by preference, in random
 * order among equal preferences. A reply holds at most DNS_MAX_RRS records
 * per record type; more are dropped with a warning. Records whose owner is
 * not the name being looked up are ignored; MX/PTR/CNAME targets that are
 * not valid host names are dropped with a warning (all dropped: DNS_FAIL).
 * With DNS_FLAG_DNSSEC, r->authentic says that every answer of an OK or
 * NOTFOUND result had the AD bit (an authenticated NXDOMAIN/NODATA counts,
 * as DANE needs), and rr->dnssec_valid says it per record.
 *
 * dns_lookup_host() gets the addresses of a host (A, then AAAA) for the
 * families chosen with dns_parse_family() (inet_protocols syntax: "ipv4",
 * "ipv6", "all", "ipv4, ipv6"): OK when either has records, otherwise the
 * worse of the two results. dns_lookup_ptr() looks up the name of an
 * address ("192.0.2.1", "2001:db8::1"); the first PTR name is
 * r->rrs->text. dns_forward_confirm() says DNS_OK when host has addr among
 * its addresses, DNS_NOTFOUND when it does not or does not exist,
 * DNS_RETRY on a temporary failure: smtpd's reverse/forward name check.
 *
 * Helpers without the network (the unit tests use them): dns_check_name()
 * validates a query name (DNS_OK, or DNS_INVAL with a reason);
 * dns_reverse_name() builds the in-addr.arpa/ip6.arpa name of an address;
 * dns_type_name()/dns_type_code() convert type names; dns_status_name()
 * names a result code; dns_parse_wire() interprets one reply packet as
 * dns_lookup() would (without re-asking at the end of a CNAME chain: it
 * returns NOTFOUND, r->canon says where the chain stopped); dns_sort_mx()
 * sorts and shuffles an MX list.
 *
 * Error policy: bad input and bad answers become result codes with a
 * reason, never a crash; memory exhaustion is fatal (mem.h); misuse (a NULL
 * handle, no address family) is a panic. Nothing here keeps state between
 * lookups except the resolver handle itself.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

/* Result codes. */
#define DNS_OK       0
#define DNS_NOTFOUND 1
#define DNS_RETRY    2
#define DNS_FAIL     3
#define DNS_NULLMX   4
#define DNS_INVAL    5

/* Record types (their values on the wire). */
#define DNS_T_A     1
#define DNS_T_NS    2
#define DNS_T_CNAME 5
#define DNS_T_SOA   6
#define DNS_T_PTR   12
#define DNS_T_MX    15
#define DNS_T_TXT   16
#define DNS_T_AAAA  28
#define DNS_T_TLSA  52

/* Address families for dns_lookup_host(). */
#define DNS_FAMILY_INET4 1
#define DNS_FAMILY_INET6 2
#define DNS_FAMILY_ALL   (DNS_FAMILY_INET4 | DNS_FAMILY_INET6)

#define DNS_FLAG_DNSSEC 1

#define DNS_MAX_CNAME 10     /* CNAMEs followed per lookup */
#define DNS_MAX_RRS   100    /* records kept per reply */
#define DNS_MAX_NAME  253    /* a name in text, without the final dot */
#define DNS_MAX_LABEL 63

typedef struct DNS_OPTIONS {
    int timeout;             /* seconds per try, 1..60; 0: see below */
    int tries;               /* tries per server, 1..10; 0: see below */
    int flags;               /* DNS_FLAG_* */
} DNS_OPTIONS;

#define DNS_OPTIONS_DEFAULT {0, 0, 0}  /* resolv.conf's, else the defaults: */
#define DNS_DEF_TIMEOUT 2
#define DNS_DEF_TRIES   2

typedef struct DNS_RR {
    struct DNS_RR *next;
    char *rname;             /* owner name, no final dot */
    int type;                /* DNS_T_* */
    unsigned ttl;
    unsigned pref;           /* MX preference */
    int dnssec_valid;        /* the answer had the AD bit (DNS_FLAG_DNSSEC) */
    unsigned char *data;     /* A: 4 bytes, AAAA: 16, TXT: the strings joined,
                              * TLSA: association data; others: NULL */
    size_t data_len;
    unsigned tlsa_usage, tlsa_selector, tlsa_mtype;
    char *text;              /* printable: "192.0.2.1", "mx.example.com"
                              * (host names without the final dot, "" for
                              * the root), TXT text with control and 8-bit
                              * bytes as '?', TLSA "3 1 1 <hex>" */
} DNS_RR;

typedef struct DNS_REPLY {
    int status;              /* DNS_* of the last lookup */
    int nxdomain;            /* DNS_NOTFOUND: the name does not exist */
    int rcode;               /* DNS rcode of the last answer, -1: none */
    int authentic;           /* every answer had the AD bit */
    char *canon;             /* name after CNAMEs (lookups that send) */
    ARGV *cnames;            /* "alias=target", in the order followed */
    DNS_RR *rrs;             /* DNS_OK: the records */
    size_t count;            /* records in rrs */
    VSTR *why;               /* reason for any other status */
} DNS_REPLY;

typedef struct DNS DNS;

DNS *dns_init(const char *resolv_conf, const DNS_OPTIONS *opts, VSTR *why);
const char *dns_servers(const DNS *dns, VSTR *out);
void dns_options(const DNS *dns, DNS_OPTIONS *out);
void dns_free(DNS *dns);

DNS_REPLY *dns_reply_new(void);
void dns_reply_reset(DNS_REPLY *reply);
void dns_reply_free(DNS_REPLY *reply);

int dns_lookup(DNS *dns, const char *name, int type, DNS_REPLY *reply);
int dns_lookup_host(DNS *dns, const char *name, int families, DNS_REPLY *reply);
int dns_lookup_ptr(DNS *dns, const char *addr, DNS_REPLY *reply);
int dns_forward_confirm(DNS *dns, const char *host, const char *addr, DNS_REPLY *reply);

int dns_check_name(const char *name, VSTR *why);
int dns_reverse_name(const char *addr, VSTR *out);
int dns_parse_family(const char *value, int *families);
const char *dns_type_name(int type);
int dns_type_code(const char *name);
const char *dns_status_name(int status);
int dns_parse_wire(const unsigned char *wire, size_t len, const char *name, int type,
                   int flags, DNS_REPLY *reply);
DNS_RR *dns_sort_mx(DNS_RR *list);
void dns_rr_free(DNS_RR *list);

#endif
