/*
 * cleanup_header - message header helpers of cleanup, without state (unit
 * tested on their own).
 *
 *   cleanup_header_name(line, &len)   length of the field name of a header
 *       line ("Subject: x" -> 7), or 0 when the line is not a header (no
 *       name, a byte outside 33..126, no ':'). White space between name and
 *       ':' is allowed, as in obsolete syntax.
 *   cleanup_header_kind(name, len)    what cleanup does with it: a
 *       CLEANUP_HK_* value (case-insensitive)
 *   cleanup_header_rewrite(conf, context, class, header, out)
 *       rewrites the addresses of an address header ("To: a, Joe <b>"):
 *       context (CLEANUP_CTX_*) rewriting, canonical mapping and masquerading
 *       for class (CLEANUP_CLASS_HDR_FROM or _HDR_RCPT). Returns 1 with the
 *       new header in out when an address changed ("Name: " then the list,
 *       display names and groups kept, comments dropped), 0 when nothing
 *       changed (out untouched), -1 on a lookup failure.
 *   cleanup_header_addrs(header, list)  appends the addresses of an
 *       address header to list (internal form; "" skipped); 0, or -1 when
 *       the header cannot be parsed within the bounds of lib/addr.h.
 *   cleanup_header_from(out, addr, full_name)  "From: Name <addr>" (the
 *       name quoted when it holds specials), or "From: addr" without a name.
 * Error policy: nothing logs; bounds are lib/addr.h's.
 */
#ifndef POSTERN_CLEANUP_HEADER_H
#define POSTERN_CLEANUP_HEADER_H

#include <stddef.h>

#include "cleanup.h"

enum {
    CLEANUP_HK_OTHER,
    CLEANUP_HK_FROM, CLEANUP_HK_SENDER, CLEANUP_HK_REPLY_TO, CLEANUP_HK_ERRORS_TO,
    CLEANUP_HK_RETURN_RECEIPT_TO,
    CLEANUP_HK_TO, CLEANUP_HK_CC, CLEANUP_HK_BCC, CLEANUP_HK_APPARENTLY_TO,
    CLEANUP_HK_RESENT_FROM, CLEANUP_HK_RESENT_SENDER, CLEANUP_HK_RESENT_REPLY_TO,
    CLEANUP_HK_RESENT_TO, CLEANUP_HK_RESENT_CC, CLEANUP_HK_RESENT_BCC,
    CLEANUP_HK_RESENT_DATE, CLEANUP_HK_RESENT_MSGID, CLEANUP_HK_RESENT_OTHER,
    CLEANUP_HK_DATE, CLEANUP_HK_MSGID, CLEANUP_HK_RECEIVED,
    CLEANUP_HK_CONTENT_LENGTH, CLEANUP_HK_RETURN_PATH, CLEANUP_HK_CONTENT_TYPE,
};

/* Rewrite contexts for headers. */
#define CLEANUP_CTX_NONE   0   /* remote mail, remote_header_rewrite_domain empty */
#define CLEANUP_CTX_LOCAL  1
#define CLEANUP_CTX_REMOTE 2

size_t cleanup_header_name(const char *line, size_t *len);
int cleanup_header_kind(const char *name, size_t len);
int cleanup_header_is_sender(int kind);
int cleanup_header_is_rcpt(int kind);
int cleanup_header_rewrite(const CLEANUP_CONF *conf, int context, int class,
                           const char *header, VSTR *out);
int cleanup_header_addrs(const char *header, ARGV *list);
void cleanup_header_from(VSTR *out, const char *addr, const char *full_name);

#endif
