/*
 * addr - mail addresses: header address lists, SMTP envelope paths, the
 * internal (unquoted) and external (quoted) forms, rewriting helpers and
 * domain name checks.
 *
 * Forms. As in Postfix, an address is kept internally without RFC 5322
 * quoting: external "john doe"@example.com is internal john doe@example.com.
 * The domain is what follows the LAST '@' (of the internal form; of the
 * external form, the last '@' outside quotes), so "a@b"@c is internal a@b@c
 * with domain c. addr_quote() makes the external form, addr_unquote() the
 * internal one; only the local part is (un)quoted. The null address is "".
 *
 * Header address lists (To:, Cc:, From:, Resent-*, sendmail -t):
 *   ADDR_LIST *l = addr_list_parse("Joe <j@x>, k@y (Kay), team: a@b;", why);
 *   l->items[i].addr     internal form ("" for "<>")
 *   l->items[i].display  display name or, for "a@b (Comment)", the comment;
 *                        NULL when there is none
 *   l->items[i].group    the group name for members of "name: ...;", or NULL
 *   addr_list_free(l);
 * Quoted strings, backslash escapes, nested comments, route addresses
 * <@relay,@relay2:user@host> (the route is dropped), obsolete spacing
 * ("john . doe @ example . com") and empty items are understood. Broken
 * input is repaired the way a lenient reader does (an unterminated quoted
 * string, comment or literal ends at the end of the text; a '<' that is
 * never closed ends at the next ',' or at the end: "Joe <j@x, k@y" is two
 * addresses; a stray ')' or '>' and control characters are dropped): the
 * list is returned with l->repaired set and why saying what was wrong (the
 * first problem). Input beyond the
 * bounds (ADDR_LIST_MAX_LEN bytes, ADDR_LIST_MAX_ADDRS addresses,
 * ADDR_COMMENT_DEPTH nested comments, an address longer than ADDR_MAX_LEN)
 * is refused: NULL, with why.
 *
 * SMTP envelope (MAIL FROM:/RCPT TO: arguments, RFC 5321 Path):
 *   const char *rest, *err;
 *   if (addr_parse_path(" <a@b> SIZE=10", flags, out, &rest, &err) < 0) ...
 * out gets the internal form ("" for the null path "<>": the caller decides
 * where that is allowed); rest points after the path (at the ESMTP
 * parameters). A source route is ignored; a quoted local part is
 * unquoted; a domain is a host name or an address literal [1.2.3.4] or
 * [IPv6:...] (checked). Bytes above 127 must be valid UTF-8 and are allowed
 * only with ADDR_FLAG_SMTPUTF8. ADDR_FLAG_STRICT requires the angle brackets
 * (strict_rfc821_envelopes); without it a bare address is accepted too.
 * On error: -1 and *err is a fixed English reason ("missing \">\"").
 *
 * Rewriting helpers (internal form in, result in out): addr_append_origin()
 * qualifies "user" as "user@origin" (myorigin) and addr_append_dot_mydomain()
 * turns "user@host" into "user@host.mydomain"; both return 1 when they
 * changed the address, 0 when out is a copy. addr_split_ext() splits
 * user+ext@domain at the first of the recipient_delimiter characters into
 * base "user@domain" and ext "ext", returning the delimiter character, or 0
 * (base = the address, ext empty) when there is nothing to split; it never
 * splits postmaster or MAILER-DAEMON, a local part that starts with a
 * delimiter, nor owner-* and *-request when the delimiter is '-'.
 * addr_fold_domain() lower-cases the domain only.
 *
 * Domain checks, for reject_invalid_*, reject_non_fqdn_* restrictions:
 * addr_valid_hostname() (labels of letters, digits, '-', '_'; at most 63
 * bytes each, 255 in all; not all numeric; UTF-8 labels with
 * ADDR_FLAG_SMTPUTF8), addr_valid_literal() ([1.2.3.4], [IPv6:::1]; returns
 * the address family), addr_check_domain() / addr_check_helo() /
 * addr_check_address() returning ADDR_DOMAIN_OK, ADDR_DOMAIN_NON_FQDN or
 * ADDR_DOMAIN_INVALID.
 *
 * Errors: nothing here logs or exits; bad input gets a return value and a
 * reason. Allocation failure is fatal (mem.h).
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stddef.h>

#include "vstr.h"

/* Bounds. */
#define ADDR_MAX_LEN        2048          /* one address, either form */
#define ADDR_DOMAIN_MAX     255           /* a domain name */
#define ADDR_LABEL_MAX      63            /* one label of a host name */
#define ADDR_LIST_MAX_LEN   (256 * 1024)  /* a header address list */
#define ADDR_LIST_MAX_ADDRS 10000         /* addresses in one list */
#define ADDR_COMMENT_DEPTH  32            /* nested (comments) */

/* Flags. */
#define ADDR_FLAG_SMTPUTF8 (1 << 0)   /* UTF-8 local parts and domains */
#define ADDR_FLAG_STRICT   (1 << 1)   /* envelope: require <...> */

typedef struct ADDR_ITEM {
    char *addr;         /* internal form */
    char *display;      /* display name, or NULL */
    char *group;        /* group name, or NULL */
} ADDR_ITEM;

typedef struct ADDR_LIST {
    ADDR_ITEM *items;
    size_t count;
    size_t cap;
    int repaired;       /* the text was malformed and was read leniently */
} ADDR_LIST;

ADDR_LIST *addr_list_parse(const char *text, VSTR *why);
void addr_list_free(ADDR_LIST *list);

int addr_parse_path(const char *text, int flags, VSTR *out, const char **rest, const char **err);

void addr_quote(VSTR *out, const char *addr);
int addr_unquote(VSTR *out, const char *ext);
const char *addr_find_at(const char *ext);
void addr_fold_domain(char *addr);

int addr_append_origin(VSTR *out, const char *addr, const char *origin);
int addr_append_dot_mydomain(VSTR *out, const char *addr, const char *mydomain);
int addr_split_ext(const char *addr, const char *delims, VSTR *base, VSTR *ext);

#define ADDR_DOMAIN_OK       0
#define ADDR_DOMAIN_NON_FQDN 1    /* well-formed, but no dot or no domain */
#define ADDR_DOMAIN_INVALID  2    /* malformed */

int addr_valid_hostname(const char *name, int flags);
int addr_valid_literal(const char *text);
int addr_check_domain(const char *domain, int flags);
int addr_check_helo(const char *helo, int flags);
int addr_check_address(const char *addr, int flags);

#endif
