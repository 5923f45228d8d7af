/*
 * matchlist - Postfix's "match lists": mydestination, relay_domains,
 * virtual_alias_domains, mynetworks, debug_peer_list, smtpd_*_list ...
 *
 * A list is text whose items are separated by white space and/or commas;
 * "{ ... }" keeps separators inside one item (inline:{a, b}). Items:
 *   pattern        see the kinds below
 *   !pattern       negation: when pattern matches, the answer is "no"
 *                  ("!/file/name" is refused: a file cannot be negated)
 *   /file/name     replaced by the items in that file (any number per line,
 *                  '#' comments, continuation lines as in main.cf); files may
 *                  name files, up to MATCH_LIST_MAX_DEPTH deep
 *   type:table     matches when the key is found (the value is ignored)
 * Items are tried in order and the first that matches, negated or not, gives
 * the answer; when none matches the answer is "no".
 *
 * Kinds (flags):
 *   MATCH_DOMAIN   the subject is a domain name. "example.com" matches
 *                  that domain (case-insensitive); ".example.com" matches
 *                  its subdomains; with MATCH_FLAG_PARENT (the parameter is
 *                  listed in parent_domain_matches_subdomains, which the
 *                  caller checks) "example.com" matches its subdomains too.
 *                  Tables of fixed keys are also asked for the parent
 *                  domains: "example.com", "com" with MATCH_FLAG_PARENT,
 *                  ".example.com", ".com" without it.
 *   MATCH_HOST     the subject is a client: a (verified) host name, which
 *                  may be NULL, and an address. Address patterns: 1.2.3.4,
 *                  1.2.3.0/24, [1.2.3.4], [::1], [::1]/128, [2001:db8::]/32,
 *                  [::ffff:127.0.0.0]/104 (see cidr.h for IPv4-mapped
 *                  addresses). Other patterns match the host name as in
 *                  MATCH_DOMAIN. Tables are asked for the name (and its
 *                  parents) and then for the address text.
 *   MATCH_STRING   the subject is a string, compared case-insensitively
 *                  (tables: the string as the key).
 *
 * Usage (compile once, match many times: create parses every item, reads
 * every file and opens every table, so call it before chroot; a match only
 * walks the compiled items):
 *   VSTR *why = vstr_new(0);
 *   MATCH_LIST *l = match_list_create("mynetworks", text,
 *                                     MATCH_HOST | MATCH_FLAG_PARENT, why);
 *   if (vstr_len(why)) msg_warn("%s", vstr_str(why));  (or fatal)
 *   switch (match_list_host(l, "mail.example.com", "192.0.2.1")) {
 *   case MATCH_YES: ... case MATCH_NO: ...
 *   case MATCH_ERROR: msg_warn("%s", match_list_error(l)); 4xx reply ...
 *   }
 *   match_list_free(l);
 *
 * match_list_parent_flag(name, conf_get("parent_domain_matches_subdomains"))
 * returns MATCH_FLAG_PARENT when the parameter name is listed in that value
 * (white space and/or comma separated), else 0.
 *
 * Errors: match_list_create() always returns a list. Items that cannot be
 * used (a bad pattern, a network with host bits set, a file or table that
 * cannot be opened, a file line that cannot be read: longer than 64 KiB or
 * with a NUL byte) are kept as broken items and the
 * first problem is described in why ("title: reason", with the file name
 * and line where there is one). A match that reaches a broken item before a
 * match, or whose table lookup fails, returns MATCH_ERROR (Postfix's
 * "temporary lookup failure"), never a silent "no"; match_list_error() then
 * says why. Nothing here exits the process.
 */
#ifndef POSTERN_MATCHLIST_H
#define POSTERN_MATCHLIST_H

#include "vstr.h"

/* Kinds (one of). */
#define MATCH_DOMAIN 1
#define MATCH_HOST   2
#define MATCH_STRING 3
#define MATCH_KIND_MASK 0xff

/* Flags. */
#define MATCH_FLAG_PARENT (1 << 8)   /* "example.com" matches subdomains */

/* Results. */
#define MATCH_YES   1
#define MATCH_NO    0
#define MATCH_ERROR (-1)

/* Bounds. */
#define MATCH_LIST_MAX_DEPTH 8          /* nested /file/name and { } */
#define MATCH_LIST_MAX_ITEMS 100000     /* items in one list, files included */
#define MATCH_LIST_MAX_ITEM  4096       /* bytes in one item */

typedef struct MATCH_LIST MATCH_LIST;

MATCH_LIST *match_list_create(const char *title, const char *text, int flags, VSTR *why);
int match_list_domain(MATCH_LIST *list, const char *name);
int match_list_host(MATCH_LIST *list, const char *name, const char *addr);
int match_list_string(MATCH_LIST *list, const char *str);
const char *match_list_error(const MATCH_LIST *list);
size_t match_list_count(const MATCH_LIST *list);
int match_list_parent_flag(const char *name, const char *pdms);
void match_list_free(MATCH_LIST *list);

#endif
