/*
 * smtp_checks - smtp_header_checks, smtp_body_checks and the header part of
 * smtp_generic_maps (lmtp_*): tables
 * that look at the message as it leaves (header_checks(5)), one stage of
 * the content stream between the queue file and the wire.
 *
 *   SMTP_CHECKS *c = smtp_checks_new(hdr_tables, nhdr, body_tables, nbody,
 *                                    generic_tables, ngeneric, queue_id, out, ctx);
 *   smtp_checks_input(c, data, len, eol);  a piece of a content line
 *   smtp_checks_finish(c);  smtp_checks_free(c);
 * out(ctx, data, len, eol) receives what is left (smtp_mime.h's shape).
 *
 * smtp_generic_maps first rewrite the addresses of the primary message's
 * address headers (smtp_generic.h); a lookup failure leaves the header as
 * it is, with a warning. Header tables see each logical header of the primary message (folded
 * lines joined by "\n"), body tables each body line after it. Actions:
 * IGNORE (drop it), REPLACE text, PREPEND text, WARN text / INFO text (log
 * and go on), DUNNO and OK (nothing). Actions that would change where or
 * when the mail goes (REJECT, DISCARD, HOLD, REDIRECT, FILTER, BCC, 4NN,
 * 5NN) are not available here, as in Postfix: a warning, and the line
 * passes unchanged.
 *
 * Bounds: a logical header of more than SMTP_CHECKS_HDR_MAX bytes, and a
 * body line of more than SMTP_CHECKS_LINE_MAX, pass unchecked.
 *
 * Error policy: a table lookup failure is logged as a warning and the line
 * passes unchanged (the transfer is already under way); nothing fails.
 */
#ifndef POSTERN_SMTP_CHECKS_H
#define POSTERN_SMTP_CHECKS_H

#include <stddef.h>

#include "smtp_mime.h"
#include "table.h"

#define SMTP_CHECKS_HDR_MAX  (100 * 1024)
#define SMTP_CHECKS_LINE_MAX 8192

typedef struct SMTP_CHECKS SMTP_CHECKS;

SMTP_CHECKS *smtp_checks_new(TABLE **hdr, size_t nhdr, TABLE **body, size_t nbody,
                             TABLE **gen, size_t ngen, const char *queue_id, SMTP_MIME_OUT out, void *ctx);
void smtp_checks_input(SMTP_CHECKS *c, const char *data, size_t len, int eol);
void smtp_checks_finish(SMTP_CHECKS *c);
void smtp_checks_free(SMTP_CHECKS *c);

#endif
