/*
 * smtpd_dnsxl - the pure parts of smtpd's DNS allow/block lists
 * (reject_rbl_client, reject_rhsbl_*, permit_dnswl_client,
 * permit_rhswl_client): the "domain=filter" argument, the filter's address
 * pattern and the reply template of default_rbl_reply / rbl_reply_maps.
 * No DNS here: smtpd_check.c asks and decides.
 *
 *   smtpd_dnsxl_split(arg, domain, size, &filter)
 *       "zen.example=127.0.0.[2..11]" -> domain "zen.example", filter
 *       "127.0.0.[2..11]" (NULL when there is no '='). -1 when the domain
 *       is empty or does not fit in size bytes.
 *   smtpd_dnsxl_match(filter, addr)
 *       Postfix's address pattern: four dot-separated fields, each a number
 *       or "[...]" holding ";"-separated numbers and "n..m" ranges
 *       (127.0.0.[2;4..7]). 1 addr matches, 0 it does not, -1 the pattern
 *       is malformed (the caller logs it once and treats it as no match).
 *   smtpd_dnsxl_expand(out, template, lookup, ctx)
 *       Replaces $name, ${name}, ${name?text} (text when the value is not
 *       empty) and ${name:text} (text when it is), and $$ with $; names
 *       are looked up with lookup(name, ctx), NULL meaning empty. text is
 *       expanded in turn (at most SMTPD_DNSXL_DEPTH levels). 0 on success,
 *       -1 on a syntax error or a result longer than SMTPD_DNSXL_MAX bytes
 *       (out then holds the reason).
 *
 * Error policy: bad input (a malformed pattern or template) is returned,
 * never fatal; the caller logs it and answers with a configuration error.
 */
#ifndef POSTERN_SMTPD_DNSXL_H
#define POSTERN_SMTPD_DNSXL_H

#include <stddef.h>

#include "../lib/vstr.h"

#define SMTPD_DNSXL_MAX 2048    /* an expanded reply */
#define SMTPD_DNSXL_DEPTH 5

typedef const char *(*SMTPD_DNSXL_LOOKUP)(const char *name, void *ctx);

int smtpd_dnsxl_split(const char *arg, char *domain, size_t size, const char **filter);
int smtpd_dnsxl_match(const char *filter, const char *addr);
int smtpd_dnsxl_expand(VSTR *out, const char *tmpl, SMTPD_DNSXL_LOOKUP lookup, void *ctx);

#endif
