/*
 * table_cidr - the cidr: table type, cidr_table(5): the first rule whose
 * network contains the looked-up address gives the result.
 *
 * File syntax, one rule per logical line (lineread.h: '#' comments, blank
 * lines, continuation lines that start with white space):
 *
 *   network result        network is a.b.c.d/len, a.b.c.d, x:y::z/len,
 *                         x:y::z, optionally in [brackets] before the /len
 *   !network result       the result when the address is not in network
 *   if network            the rules up to the matching endif apply only
 *   if !network           when the address is (is not) in network
 *   endif
 *
 * The result is used as written (no $ substitution). An address is only in
 * a network of its own family (an IPv4 address is never in an IPv6 network,
 * also not a negated one, and ::ffff:a.b.c.d is an IPv6 address). "if" and
 * "endif" are matched without regard to case.
 *
 * Lookups: the key must be an address as inet_pton(3) reads it (a.b.c.d, or
 * IPv6 text with a ':'); any other key is simply not found. Read-only; the
 * file is re-opened when it changes (table.h).
 *
 * Errors, as Postfix treats them: a rule that cannot be used is skipped
 * with a warning "cidr map FILE, line N: why: skipping this rule" (a bad
 * address pattern, a bad mask length, host bits set beyond the mask, no
 * result, an endif without an if, if nesting deeper than TABLE_CIDR_IF_MAX);
 * an if without an endif is warned about and closed at the end of the file.
 * A file that cannot be opened, or a logical line longer than lineread's
 * limit, fails the open with the reason in why.
 */
#ifndef POSTERN_TABLE_CIDR_H
#define POSTERN_TABLE_CIDR_H

#include "table.h"

#define TABLE_CIDR_IF_MAX 100

TABLE *table_cidr_open(const char *type, const char *name, int mode, int flags, VSTR *why);

#endif
