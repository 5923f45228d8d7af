/*
 * resolve - recipient address -> (transport, next hop, recipient), the way
 * Postfix's trivial-rewrite "resolve" service answers qmgr.
 *
 * CLASSES, tried in this order on the recipient's domain (the part after
 * the last '@', lower-cased, one trailing dot removed):
 *   local          no domain, a domain in mydestination, or an address
 *                  literal [ip] of inet_interfaces / proxy_interfaces
 *                  (inet_interfaces = all: every address of this host;
 *                  loopback-only: 127.0.0.1 and ::1)
 *                  -> local_transport (default local:$myhostname)
 *   virtual alias  a domain in virtual_alias_domains (cleanup expanded the
 *                  aliases already, so what is left is unknown)
 *                  -> error, "5.1.1 User unknown in virtual alias table"
 *   virtual        a domain in virtual_mailbox_domains -> virtual_transport
 *   relay          a domain in relay_domains -> relay_transport
 *   default        anything else -> default_transport
 * Each *_transport value may be "transport" or "transport:nexthop". When it
 * names no next hop: relayhost for the relay and default classes when
 * relayhost is set, else the recipient's domain (for local: $myhostname
 * when the domain is empty).
 *
 * SENDER-DEPENDENT (resolve_addr_sender()): for the default class,
 * sender_dependent_default_transport_maps replaces default_transport; for
 * the relay and default classes, when the channel names no next hop,
 * sender_dependent_relayhost_maps replaces relayhost. Both are searched
 * with the sender address (lower-cased), the address without its
 * extension, then "@domain"; the null sender with
 * empty_address_relayhost_maps_lookup_key (resp.
 * empty_address_default_transport_maps_lookup_key), default "<>". A value
 * "DUNNO" stops the search and keeps the global setting. A lookup error is
 * a -1 like any other.
 *
 * transport_maps, when set, is asked last and overrides (every class): keys the full
 * address, the address without its extension (recipient_delimiter), the
 * domain, then for each parent domain "parent.example" when
 * parent_domain_matches_subdomains lists transport_maps, else
 * ".parent.example", and finally "*". A value is "transport:nexthop";
 * an empty transport keeps the class's transport, an empty nexthop keeps
 * the class's next hop ("smtp:", ":[gw]"), "transport:[host]:port" is
 * taken as written, "error:text" bounces with text, "discard:" discards.
 *
 * USAGE
 *   VSTR *why = vstr_new(0);
 *   RESOLVER *rs = resolve_create(why);     from main.cf (conf.h) before the
 *                                           jail (tables and files open here)
 *   if (vstr_len(why)) msg_warn("%s", vstr_str(why));
 *   RESOLVE_REPLY r; resolve_reply_init(&r);
 *   switch (resolve_addr(rs, "bob@example.com", &r)) {
 *   case 0:  r.transport, r.nexthop, r.recipient, r.flags (class)
 *   case -1: r.why says what failed (a table lookup): try again later
 *   }
 *   resolve_reply_free(&r); resolve_free(rs);
 *
 * Error policy: a table that cannot be opened or a lookup that fails makes
 * resolve_addr() return -1 (temporary: the caller defers the recipient);
 * an address longer than RESOLVE_ADDR_MAX also returns -1. Nothing here
 * exits; memory exhaustion is fatal (mem.h).
 */
#ifndef POSTERN_RESOLVE_H
#define POSTERN_RESOLVE_H

#include "vstr.h"

#define RESOLVE_ADDR_MAX 2048

/* Classes (flags). */
#define RESOLVE_CLASS_LOCAL   (1 << 0)
#define RESOLVE_CLASS_ALIAS   (1 << 1)
#define RESOLVE_CLASS_VIRTUAL (1 << 2)
#define RESOLVE_CLASS_RELAY   (1 << 3)
#define RESOLVE_CLASS_DEFAULT (1 << 4)
#define RESOLVE_FLAG_MAPPED   (1 << 8) /* transport_maps gave the answer */

typedef struct RESOLVER RESOLVER;

typedef struct RESOLVE_REPLY {
    VSTR *transport;
    VSTR *nexthop;
    VSTR *recipient;
    VSTR *why;
    int flags;
} RESOLVE_REPLY;

RESOLVER *resolve_create(VSTR *why);
void resolve_free(RESOLVER *rs);
void resolve_reply_init(RESOLVE_REPLY *r);
void resolve_reply_free(RESOLVE_REPLY *r);
int resolve_addr(RESOLVER *rs, const char *addr, RESOLVE_REPLY *r);
/* The same, for mail from sender (NULL: no sender-dependent lookups). */
int resolve_addr_sender(RESOLVER *rs, const char *sender, const char *addr, RESOLVE_REPLY *r);

#endif
