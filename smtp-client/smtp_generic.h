/*
 * smtp_generic - smtp_generic_maps (lmtp_generic_maps): rewrite an address
 * as it leaves this machine (postconf(5)): envelope sender and recipients
 * in MAIL FROM and RCPT TO. The recipients in the queue file, the logs and
 * the notices keep the original address, as with Postfix.
 *
 *   r = smtp_generic_header(tables, n, header, out);
 *       an address header of the primary message (From:, Sender:,
 *       Reply-To:, To:, Cc:, Bcc:, Errors-To:, Return-Receipt-To:,
 *       Apparently-To:, Resent-From/Sender/Reply-To/To/Cc/Bcc:; folded
 *       lines joined by "\n"): 1 and out holds the header rebuilt on one
 *       line when an address changed, 0: not an address header or
 *       nothing changed (also for a list that cannot be parsed), -1: a
 *       table failed.
 *   r = smtp_generic_map(tables, n, addr, out);
 *       1: out holds the new address; 0: no match (out untouched);
 *       -1: a table failed (the caller defers the recipients).
 * Lookups in order, each table in turn: the whole address (domain folded
 * to lower case), then "@domain". A result "@domain" keeps the local part.
 * The null sender is never mapped. A result longer than
 * SMTP_GENERIC_MAX or with a control character or a space is refused
 * (a warning, no match).
 *
 * Error policy: table errors are returned; nothing is fatal.
 */
#ifndef POSTERN_SMTP_GENERIC_H
#define POSTERN_SMTP_GENERIC_H

#include <stddef.h>

#include "table.h"
#include "vstr.h"

#define SMTP_GENERIC_MAX 2048

int smtp_generic_map(TABLE **tables, size_t n, const char *addr, VSTR *out);
int smtp_generic_header(TABLE **tables, size_t n, const char *header, VSTR *out);

#endif
