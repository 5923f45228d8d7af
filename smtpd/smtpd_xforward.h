/*
 * smtpd_xforward - the server side of Postfix's XFORWARD extension
 * (XFORWARD_README): a content filter or another MTA listed in
 * smtpd_authorized_xforward_hosts tells smtpd who the original client of
 * the next message was, so that the log and the queue file name that
 * client instead of the filter. What changes (smtpd_session.c, as in
 * Postfix's smtpd): the queue file's log_* client attributes, log_ident
 * and rewrite_context, and the "client=..., orig_queue_id=...,
 * orig_client=..." log line. What does not: the Received: header, the
 * client_* attributes, the restrictions and the other log lines.
 *
 * Wire format (one command, before MAIL; attribute names case-insensitive):
 *   XFORWARD NAME=host ADDR=ip PORT=n PROTO=name HELO=host IDENT=id SOURCE=LOCAL|REMOTE
 * Values are xtext (RFC 3461); a value that is not valid xtext is taken as
 * written (Postfix before 2.3 did not encode). "[UNAVAILABLE]" (any case)
 * erases an attribute; "[TEMPUNAVAIL]" is taken the same way.
 *
 * Usage:
 *   SMTPD_XFORWARD xf;  smtpd_xforward_init(&xf);
 *   if (smtpd_xforward_parse(&xf, args, port_logging, reply) == 0) ... 250
 *   else ... send reply (501 with Postfix's text)
 *   if (xf.active) use xf.name, xf.addr, xf.port, xf.proto (never NULL),
 *       xf.helo, xf.ident, xf.context (NULL: not given), xf.namaddr
 *   smtpd_xforward_reset(&xf);   end of the transaction (RSET, dot, EHLO)
 * The first accepted command presets every attribute to unknown (Postfix:
 * forwarded information is never mixed with the real client's); later
 * commands update the attributes they name. A command is applied whole or
 * not at all. The caller checks authorization (550) and the transaction
 * state (503) first: this module knows neither.
 *
 * Bounds and checks: a raw value longer than SMTPD_XFORWARD_VALUE_MAX,
 * PROTO longer than 64, a PORT that is not a decimal number up to 65535, an
 * ADDR that is not an IPv4 or IPv6 address ("IPv6:" prefix allowed), a
 * SOURCE other than LOCAL/REMOTE, an unknown attribute name or a word
 * without "=value" are refused with a 501 reply. Accepted text is made
 * printable and the characters that would break a Received: comment or a
 * log field (<>()\";:@ and white space) become '?'. Nothing here logs or
 * exits.
 */
#ifndef POSTERN_SMTPD_XFORWARD_H
#define POSTERN_SMTPD_XFORWARD_H

#include "../lib/vstr.h"

#define SMTPD_XFORWARD_VALUE_MAX 255    /* one attribute value, as sent */
#define SMTPD_XFORWARD_PROTO_MAX 64

/* Which attributes a client gave (XFORWARD flags). */
#define SMTPD_XF_NAME 1
#define SMTPD_XF_ADDR 2
#define SMTPD_XF_PORT 4
#define SMTPD_XF_PROTO 8
#define SMTPD_XF_HELO 16
#define SMTPD_XF_IDENT 32
#define SMTPD_XF_SOURCE 64
#define SMTPD_XF_CLIENT \
    (SMTPD_XF_NAME | SMTPD_XF_ADDR | SMTPD_XF_PORT | SMTPD_XF_PROTO | SMTPD_XF_HELO)

/* The EHLO keyword line, as Postfix advertises it. */
#define SMTPD_XFORWARD_EHLO "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT"

typedef struct SMTPD_XFORWARD {
    int active;         /* an XFORWARD command was accepted */
    int given;          /* SMTPD_XF_* bits given so far */
    int family;         /* AF_INET, AF_INET6 of addr; 0: unknown */
    char *name;         /* "unknown" when not available */
    char *addr;         /* "unknown" when not available */
    char *port;         /* "unknown" when not available */
    char *proto;        /* "unknown" when not available */
    char *helo;         /* NULL when not available */
    char *ident;        /* NULL when not available */
    char *context;      /* "local", "remote"; NULL when not given */
    char *namaddr;      /* name[addr] (name[addr]:port), or name alone */
} SMTPD_XFORWARD;

void smtpd_xforward_init(SMTPD_XFORWARD *xf);
int smtpd_xforward_parse(SMTPD_XFORWARD *xf, const char *args, int port_logging, VSTR *reply);
void smtpd_xforward_reset(SMTPD_XFORWARD *xf);

#endif
