/*
 * rcpt_extract - sendmail -t: the recipients named in a message's header.
 *
 * Feed the message's content lines in order (as sendmail reads them, after
 * line-ending repair and From_ skipping); the module follows the primary
 * header (folded lines included) until the empty line or the first line
 * that is not a header field, and collects the addresses of To:, Cc: and
 * Bcc:, and separately of Resent-To:, Resent-Cc: and Resent-Bcc:. Field
 * names match without regard to case. When any Resent- recipient was
 * found, only those count (the message is being re-sent), as Postfix's
 * sendmail does; otherwise To/Cc/Bcc.
 *
 *   RCPT_EXTRACT *rx = rcpt_extract_new();
 *   while (in header)  rcpt_extract_line(rx, piece, len, complete);
 *       (complete = 0 for a piece of a longer line; the next call continues it)
 *   rcpt_extract_in_header(rx)     0 once the header has ended
 *   ARGV *list = rcpt_extract_finish(rx);   (owned by rx; internal forms,
 *                                            empty addresses left out)
 *   rcpt_extract_free(rx);
 * Bounds: a logical header field longer than RCPT_EXTRACT_FIELD_MAX bytes
 * is cut there (what follows is not read for addresses), at most
 * MAILDROP_RCPT_MAX addresses are kept; a field the address parser refuses
 * (addr.h) contributes nothing. Nothing here logs or fails.
 */
#ifndef POSTERN_RCPT_EXTRACT_H
#define POSTERN_RCPT_EXTRACT_H

#include <stddef.h>

#include "argv.h"

#define RCPT_EXTRACT_FIELD_MAX (256 * 1024)

typedef struct RCPT_EXTRACT RCPT_EXTRACT;

RCPT_EXTRACT *rcpt_extract_new(void);
void rcpt_extract_line(RCPT_EXTRACT *rx, const char *text, size_t len, int complete);
int rcpt_extract_in_header(const RCPT_EXTRACT *rx);
ARGV *rcpt_extract_finish(RCPT_EXTRACT *rx);
void rcpt_extract_free(RCPT_EXTRACT *rx);

#endif
