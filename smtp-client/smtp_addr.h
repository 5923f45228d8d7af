/*
 * smtp_addr - where the smtp/lmtp client connects: the next hop parsed, and
 * the list of server addresses found for it (MX, then A/AAAA), in the order
 * they are to be tried.
 *
 * Next hops as qmgr sends them (Postfix's forms):
 *   domain, domain:port          MX lookup (unless smtp_host_lookup/DNS
 *                                support says no), else the name's A/AAAA
 *   [host], [host]:port          no MX lookup: the host's own addresses
 *   [1.2.3.4], [ipv6:2001:db8::1]:port   address literals
 *   lmtp only: unix:/path, inet:host[:port] (inet:[host]:port)
 *
 *   SMTP_DEST d;
 *   if (smtp_dest_parse(nexthop, lmtp, def_port, &d, why) < 0) ... bounce
 *   SMTP_ADDR_LIST *l = smtp_addr_list_new();
 *   switch (smtp_resolve(&opts, &d, l, dsn, why)) {
 *   case SMTP_RESOLVE_OK:     l->addr[0..n-1]
 *   case SMTP_RESOLVE_DEFER:  temporary (SERVFAIL, timeout): dsn/why
 *   case SMTP_RESOLVE_BOUNCE: NXDOMAIN (5.4.4), null MX (5.1.0), loops
 *                             back to myself (5.4.6), bad name
 *   }
 *   smtp_addr_list_free(l); smtp_dest_free(&d);
 *
 * MX records are sorted by preference, random among equal ones (lib/net/
 * dns.h). For a domain (not for [host] or LMTP next hops, which may well be
 * this host: a content filter, a local Dovecot), an MX that is this host (its name is myhostname, or one of its
 * addresses is one of opts->self) cuts the list at its preference; nothing
 * left is "mail for X loops back to myself". At most opts->addr_limit
 * addresses are returned (0: no limit). Families follow opts->families
 * (inet_protocols).
 *
 * Error policy: everything from the DNS or the next hop is a result code
 * with a Postfix-worded reason; nothing here exits or logs except a warning
 * for a malformed next hop.
 */
#ifndef POSTERN_SMTP_ADDR_H
#define POSTERN_SMTP_ADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "argv.h"
#include "dns.h"
#include "vstr.h"

#define SMTP_ADDR_MAX 100 /* addresses kept per destination */

typedef struct SMTP_DEST {
    char *name;       /* domain or host, without brackets or port */
    unsigned port;
    int no_mx;        /* [host] form, or inet: for lmtp */
    char *unix_path;  /* lmtp unix:/path, else NULL */
    const char *sasl_sender; /* smtp_sender_dependent_authentication: the
                              * sender, set by the caller; else NULL */
} SMTP_DEST;

typedef struct SMTP_ADDR {
    char *host;                       /* the name to log */
    char addr[128];                   /* printable address (or UNIX path) */
    struct sockaddr_storage sa;
    socklen_t salen;
    unsigned pref;
} SMTP_ADDR;

typedef struct SMTP_ADDR_LIST {
    SMTP_ADDR *addr;
    size_t n, cap;
} SMTP_ADDR_LIST;

#define SMTP_LOOKUP_DNS 1
#define SMTP_LOOKUP_NATIVE 2

typedef struct SMTP_RESOLVE_OPTS {
    DNS *dns;            /* NULL: no DNS at all */
    int lookup;          /* SMTP_LOOKUP_* bits (smtp_host_lookup) */
    int families;        /* DNS_FAMILY_* (inet_protocols) */
    size_t addr_limit;   /* smtp_mx_address_limit, 0: none */
    const char *myhostname;
    ARGV *self;          /* this host's addresses, printable */
} SMTP_RESOLVE_OPTS;

#define SMTP_RESOLVE_OK 0
#define SMTP_RESOLVE_DEFER 1
#define SMTP_RESOLVE_BOUNCE 2

int smtp_dest_parse(const char *nexthop, int lmtp, unsigned def_port, SMTP_DEST *d, VSTR *why);
void smtp_dest_free(SMTP_DEST *d);
SMTP_ADDR_LIST *smtp_addr_list_new(void);
void smtp_addr_list_free(SMTP_ADDR_LIST *l);
int smtp_resolve(const SMTP_RESOLVE_OPTS *o, const SMTP_DEST *d, SMTP_ADDR_LIST *l, VSTR *dsn,
                 VSTR *why);
void smtp_self_addrs(const char *inet_interfaces, const char *proxy_interfaces, ARGV *out);

#endif
