/*
 * cleanup_rewrite - address rewriting in cleanup: the rewrite context,
 * canonical mapping, masquerading, and the address lookup that canonical
 * and virtual alias mapping share.
 *
 * All addresses are in the internal (unquoted) form of lib/addr.h.
 *   cleanup_rewrite_context(conf, local, addr)
 *       local context: "user" -> "user@$myorigin" (append_at_myorigin),
 *       "user@host" -> "user@host.$mydomain" (append_dot_mydomain);
 *       remote context: "user" -> "user@$remote_header_rewrite_domain"
 *       when that is set, else unchanged. The null address stays "".
 *   cleanup_addr_lookup(conf, maps, addr, out)
 *       Postfix's lookup order for canonical(5) and virtual(5): the
 *       address, then with the address extension removed (user+ext@domain
 *       -> user@domain, recipient_delimiter), then "user" (fixed-string
 *       tables only, and only for a domain in $myorigin or $mydestination),
 *       then "@domain" (fixed tables only). The extension of a match found
 *       without it is put back into each result (propagate_unmatched_
 *       extensions). A result "@domain" gets the address's local part
 *       ("user@old" with "@old @new" gives "user@new"). Returns 1 and the value in out (as the table gave it),
 *       0 when nothing matched, -1 on a lookup failure.
 *   cleanup_canonical(conf, class, addr)
 *       sender_canonical_maps or recipient_canonical_maps, then
 *       canonical_maps, each when its *_classes include class
 *       (CLEANUP_CLASS_*); applied until the result no longer changes, at
 *       most CLEANUP_CANON_MAX times. Returns 0, or -1 on a lookup failure.
 *   cleanup_masquerade(conf, class, addr)
 *       masquerade_domains: "user@host.sub.example.com" becomes
 *       "user@example.com" when example.com is listed (first listed domain
 *       that the address is under; "!domain" stops masquerading there);
 *       not for user names in masquerade_exceptions, and only for the
 *       classes in masquerade_classes.
 *   cleanup_classes(text) parses "envelope_sender, header_recipient, ..."
 * Error policy: nothing here logs; lookup failures are returned.
 */
#ifndef POSTERN_CLEANUP_REWRITE_H
#define POSTERN_CLEANUP_REWRITE_H

#include "cleanup.h"

#define CLEANUP_CANON_MAX 10

void cleanup_rewrite_context(const CLEANUP_CONF *conf, int local, VSTR *addr);
int cleanup_addr_lookup(const CLEANUP_CONF *conf, CLEANUP_MAPS *maps, const char *addr,
                        VSTR *out);
int cleanup_canonical(const CLEANUP_CONF *conf, int class, VSTR *addr);
void cleanup_masquerade(const CLEANUP_CONF *conf, int class, VSTR *addr);
int cleanup_classes(const char *text);

#endif
