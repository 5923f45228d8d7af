/*
 * mimescan - which lines of a message are headers (of the message, of a
 * MIME part, of an attached message) and which are body lines, the way
 * Postfix's header_checks, mime_header_checks, nested_header_checks and
 * body_checks see them. postmap -h/-b/-m -q - uses it.
 *
 *   MIMESCAN *m = mimescan_new(mime);
 *   while (line)
 *       switch (mimescan_line(m, line)) {
 *       case MIMESCAN_HEADER: a header begins on this line (the previous
 *                             one, if any, is complete)
 *       case MIMESCAN_CONT:   the line continues the current header
 *       case MIMESCAN_END:    the line ends a header block (the previous
 *                             header is complete); it is a body line
 *       case MIMESCAN_BODY:   a body line
 *       }
 *   mimescan_free(m);
 *
 * mimescan_kind(m) says which headers the current header block holds
 * (MIMESCAN_PRIMARY, MIMESCAN_MIME, MIMESCAN_NESTED). Without mime, only the
 * message's own header block is headers and everything after is body.
 * With mime: after a multipart Content-Type with a boundary, a line
 * "--boundary" starts a part whose headers follow; "--boundary--" closes
 * it (and every part opened inside it); after headers that say
 * message/rfc822, the body begins with the attached message's headers.
 * A boundary is recognised at the start of a line ("--boundaryX" opens a
 * part too, as in Postfix), also on the line that ends a header block.
 * Boundary lines and the line that ends a header block are body lines.
 *
 * Bounds: at most MIMESCAN_DEPTH_MAX open multiparts (deeper ones are
 * treated as plain body), boundaries of at most MIMESCAN_BOUNDARY_MAX bytes
 * (a longer one is ignored), and only the first MIMESCAN_HEADER_MAX bytes
 * of a header are kept to read a Content-Type. Nothing here fails.
 */
#ifndef POSTERN_MIMESCAN_H
#define POSTERN_MIMESCAN_H

#define MIMESCAN_HEADER 1
#define MIMESCAN_CONT   2
#define MIMESCAN_END    3
#define MIMESCAN_BODY   4

#define MIMESCAN_PRIMARY 1
#define MIMESCAN_MIME    2
#define MIMESCAN_NESTED  3

#define MIMESCAN_DEPTH_MAX    100
#define MIMESCAN_BOUNDARY_MAX 200
#define MIMESCAN_HEADER_MAX   4096

typedef struct MIMESCAN MIMESCAN;

MIMESCAN *mimescan_new(int mime);
int mimescan_line(MIMESCAN *m, const char *line);
int mimescan_kind(const MIMESCAN *m);
void mimescan_free(MIMESCAN *m);

#endif
