/*
 * smtp_mime - the 8BITMIME downgrade of the smtp client: when the message
 * body is 8-bit and the server does not announce 8BITMIME, each MIME part
 * whose Content-Transfer-Encoding is 8bit or binary is sent as
 * quoted-printable, with that header replaced by
 * "Content-Transfer-Encoding: quoted-printable"; multipart bodies are
 * walked (nested boundaries), message/rfc822 parts are entered; other
 * parts, preambles, epilogues and boundary lines pass through unchanged.
 *
 *   SMTP_MIME *m = smtp_mime_new(out, ctx);
 *   smtp_mime_input(m, data, len, eol);   a piece of a content line (a
 *                                          queue record); eol: the line
 *                                          ends after it
 *   smtp_mime_finish(m);                   flush what is held
 *   smtp_mime_free(m);
 * out(ctx, data, len, eol) receives the converted content the same way.
 *
 * Memory is bounded: lines are held up to SMTP_MIME_LINE_MAX bytes (a
 * longer line is passed on in pieces), one part's header block up to
 * SMTP_MIME_HDR_MAX (a larger block is passed on as is and its part is not
 * converted), at most SMTP_MIME_DEPTH nested multiparts (deeper ones are
 * not walked).
 *
 * Error policy: malformed MIME is never an error: what cannot be parsed
 * is passed on unchanged. Nothing here fails.
 */
#ifndef POSTERN_SMTP_MIME_H
#define POSTERN_SMTP_MIME_H

#include <stddef.h>

#define SMTP_MIME_LINE_MAX 4096
#define SMTP_MIME_HDR_MAX  (128 * 1024)
#define SMTP_MIME_DEPTH    20
#define SMTP_MIME_BOUNDARY_MAX 200

typedef void (*SMTP_MIME_OUT)(void *ctx, const char *data, size_t len, int eol);
typedef struct SMTP_MIME SMTP_MIME;

SMTP_MIME *smtp_mime_new(SMTP_MIME_OUT out, void *ctx);
void smtp_mime_input(SMTP_MIME *m, const char *data, size_t len, int eol);
void smtp_mime_finish(SMTP_MIME *m);
void smtp_mime_free(SMTP_MIME *m);

#endif
