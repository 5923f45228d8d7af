/*
 * cleanup_valias - virtual alias expansion (virtual_alias_maps).
 *
 * cleanup_valias_expand(conf, addr, out, why) replaces one recipient by the
 * final recipients its aliases name, recursively:
 *   - lookups follow cleanup_addr_lookup(): user@domain, user@domain
 *     without its extension, user (for $myorigin/$mydestination domains
 *     only), then the @domain catch-all;
 *   - a value is a list of addresses ("a@x, b@y", quoted local parts
 *     allowed); unqualified ones get @$myorigin;
 *   - an address that names itself, or one already being expanded higher
 *     up (a loop), is kept as a final recipient and not expanded again;
 *   - an address with no alias is final.
 * The finals are appended to out in order, each once.
 * Returns 0; -1 on a lookup failure; -2 when a limit is exceeded (nesting
 * deeper than virtual_alias_recursion_limit, more than
 * virtual_alias_expansion_limit results, or a result longer than
 * virtual_alias_address_length_limit). why says what happened, for the log;
 * Postfix answers both with a temporary "4.6.0 Alias expansion error".
 * With empty virtual_alias_maps the address itself is the one result.
 */
#ifndef POSTERN_CLEANUP_VALIAS_H
#define POSTERN_CLEANUP_VALIAS_H

#include "cleanup.h"

int cleanup_valias_expand(const CLEANUP_CONF *conf, const char *addr, ARGV *out, VSTR *why);

#endif
