/*
 * smtp_checks - smtp_header_checks, smtp_mime_header_checks,
 * smtp_nested_header_checks, smtp_body_checks and the header part of
 * smtp_generic_maps (lmtp_*): tables that look at the message as it
 * leaves (header_checks(5)), one stage of the content stream between the
 * queue file and the wire.
 *
 *   SMTP_CHECK_TABLES t = {...};   the tables (n == 0: none of that kind)
 *   SMTP_CHECKS *c = smtp_checks_new(&t, queue_id, out, ctx);
 *   smtp_checks_input(c, data, len, eol);  a piece of a content line
 *   smtp_checks_finish(c);  smtp_checks_free(c);
 * out(ctx, data, len, eol) receives what is left (smtp_mime.h's shape).
 *
 * Which table sees a header is Postfix's rule (lib/mimescan.h finds the
 * header blocks): a MIME header (Content-Type, Content-Transfer-Encoding,
 * Content-Description, Content-Disposition, Content-ID, MIME-Version)
 * anywhere, and every header of a MIME part of a multipart, goes to the
 * mime tables; the other headers of the message itself to the header
 * tables, those of an attached message (message/rfc822) to the nested
 * tables. A kind without tables passes its headers unchecked. When any
 * check is configured the message is read as MIME: body tables see the
 * body lines (boundaries included) but not the headers of MIME parts.
 * smtp_generic_maps first rewrite the addresses of the primary message's
 * address headers (smtp_generic.h); a lookup failure leaves the header as
 * it is, with a warning. Header tables see a logical header (folded lines
 * joined by "\n"). Actions: IGNORE (drop it), REPLACE text, PREPEND
 * text, WARN text / INFO text (log and go on), DUNNO and OK (nothing).
 * Actions that would change where or when the mail goes (REJECT,
 * DISCARD, HOLD, REDIRECT, FILTER, BCC, 4NN, 5NN) are not available
 * here, as in Postfix: a warning, and the line passes unchanged.
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

typedef struct SMTP_CHECK_TABLES {
    TABLE **hdr, **mime, **nested, **body, **gen;
    size_t nhdr, nmime, nnested, nbody, ngen;
} SMTP_CHECK_TABLES;

SMTP_CHECKS *smtp_checks_new(const SMTP_CHECK_TABLES *t, const char *queue_id,
                             SMTP_MIME_OUT out, void *ctx);
void smtp_checks_input(SMTP_CHECKS *c, const char *data, size_t len, int eol);
void smtp_checks_finish(SMTP_CHECKS *c);
void smtp_checks_free(SMTP_CHECKS *c);

#endif
