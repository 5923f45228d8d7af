/*
 * smtpd_footer - smtpd_reject_footer: text appended to a 4XX or 5XX reply,
 * as Postfix's postconf(5) describes it.
 *
 * The template may hold $name, ${name} and $(name) attributes, replaced by
 * what the caller's lookup function returns for them ($$ is one '$'); a
 * name the lookup does not know gives a warning and expands to nothing.
 * Characters of an attribute value outside the expansion filter
 * (smtpd_expansion_filter) become '_'; the template's own text is kept.
 * The two characters "\n" start a new reply line; "\c" at the start of the
 * template joins the footer's first line to the reply's last line.
 *
 * Usage:
 *   SMTPD_FOOTER_FILTER filter;  smtpd_footer_filter(&filter, raw_value);
 *   VSTR *out = vstr_new(0);
 *   if (smtpd_footer_apply(out, "550 5.1.1 <u@x>: User unknown", tmpl,
 *                          &filter, lookup, ctx) == 0)
 *       out holds the lines, each ending in CR LF:
 *         550-5.1.1 <u@x>: User unknown
 *         550 5.1.1 footer text
 *   The reply code and its enhanced status code (when the reply has one)
 *   are copied to every footer line; every line but the last has "NNN-".
 *   smtpd_footer_filter() reads a filter value with C escapes (\t, \n,
 *   \\, \ooo octal), as main.cf writes smtpd_expansion_filter.
 *
 * Bounds: the whole footer is at most SMTPD_FOOTER_MAX bytes and
 * SMTPD_FOOTER_LINES lines; past either the rest is dropped. A reply that
 * does not start with a 4XX or 5XX code, or an empty template, leaves out
 * empty and returns -1 (the caller sends the reply as it is). Nothing here
 * exits; the only log line is the unknown-name warning.
 */
#ifndef POSTERN_SMTPD_FOOTER_H
#define POSTERN_SMTPD_FOOTER_H

#include "../lib/vstr.h"

#define SMTPD_FOOTER_MAX 4096
#define SMTPD_FOOTER_LINES 20

typedef struct SMTPD_FOOTER_FILTER {
    unsigned char allow[256];
} SMTPD_FOOTER_FILTER;

/* The value of name, or NULL when the name is unknown. */
typedef const char *(*SMTPD_FOOTER_LOOKUP)(const char *name, void *ctx);

void smtpd_footer_filter(SMTPD_FOOTER_FILTER *filter, const char *spec);
int smtpd_footer_apply(VSTR *out, const char *reply, const char *tmpl,
                       const SMTPD_FOOTER_FILTER *filter, SMTPD_FOOTER_LOOKUP lookup, void *ctx);

#endif
