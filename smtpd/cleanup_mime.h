/*
 * cleanup_mime - just enough MIME for mime_header_checks and
 * nested_header_checks: which body lines are the headers of a MIME part or
 * of an attached message.
 *
 *   cleanup_mime_content_type(header, boundary)
 *       for a "Content-Type:" header: CLEANUP_MIME_MULTIPART (boundary set
 *       to the boundary parameter, quoted or not), CLEANUP_MIME_MESSAGE
 *       (message/rfc822: the part's body is a message with headers of its
 *       own), or CLEANUP_MIME_OTHER (also for a multipart without a usable
 *       boundary: empty, or longer than CLEANUP_MIME_BOUNDARY_MAX).
 *   cleanup_mime_boundary_line(line, len, stack)
 *       whether a body line is "--boundary" (returns the depth + 1 of the
 *       matching boundary, innermost first) or "--boundary--" (the same
 *       negated); 0 when it is neither. stack holds the open boundaries,
 *       outermost first.
 * The state machine that uses them is in cleanup_message.c. Nothing here
 * allocates without bound or fails.
 */
#ifndef POSTERN_CLEANUP_MIME_H
#define POSTERN_CLEANUP_MIME_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

#define CLEANUP_MIME_OTHER     0
#define CLEANUP_MIME_MULTIPART 1
#define CLEANUP_MIME_MESSAGE   2

#define CLEANUP_MIME_BOUNDARY_MAX 200

int cleanup_mime_content_type(const char *header, VSTR *boundary);
int cleanup_mime_boundary_line(const char *line, size_t len, const ARGV *stack);

#endif
