/*
 * sasl_util - helpers shared by the SASL server and client modules:
 * strict base64, security option lists, mechanism lists and filters.
 *
 * Base64 (RFC 4648, the alphabet SMTP AUTH uses):
 *   sasl_util_b64_encode(out, data, len)     appends the encoding to out
 *   sasl_util_b64_decode(out, text, limit)   replaces out with the bytes
 * The decoder accepts only complete groups of four characters from the
 * alphabet, with '=' padding only at the end and zero unused bits; no white
 * space, no line breaks. It returns 0, or -1 for malformed text or a result
 * longer than limit bytes (out is then empty). The empty text decodes to
 * nothing (0 bytes); SMTP's "=" for an empty response is the caller's.
 *
 * Security options (smtpd_sasl_security_options and friends):
 *   sasl_util_secopts(text, &flags, why) turns "noanonymous, noplaintext"
 *   into SASL_F_* bits; names are case-insensitive, separated by commas or
 *   white space. An unknown name returns -1 with why naming it (the caller
 *   decides: smtpd treats it as a fatal configuration error).
 *
 * Mechanism lists and filters:
 *   sasl_util_mech_valid(name) says whether name is a syntactically valid
 *   SASL mechanism name (RFC 4422: 1-20 of A-Z 0-9 - _ ; we accept lower
 *   case too and compare case-insensitively).
 *   sasl_util_filter(mechs, filter) keeps the mechanisms that the filter
 *   allows, in their order, and returns how many are left. A filter is a
 *   list of patterns separated by commas or white space: a mechanism name
 *   allows it, "!name" refuses it, "static:all" and "static:rest" allow
 *   everything not matched before; the first pattern that matches decides,
 *   and a mechanism that no pattern matches is refused. An empty filter
 *   allows everything. Other "type:table" patterns are not supported: they
 *   match nothing (with a warning).
 *
 * Nothing here keeps state; allocation failures are fatal (mem.h).
 */
#ifndef POSTERN_SASL_UTIL_H
#define POSTERN_SASL_UTIL_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

/* Security options; the names are those of postconf(5). */
#define SASL_F_NOPLAINTEXT     (1u << 0)
#define SASL_F_NOACTIVE        (1u << 1)
#define SASL_F_NODICTIONARY    (1u << 2)
#define SASL_F_NOANONYMOUS     (1u << 3)
#define SASL_F_FORWARD_SECRECY (1u << 4)
#define SASL_F_MUTUAL_AUTH     (1u << 5)

/* The longest mechanism name (RFC 4422 says 20 characters). */
#define SASL_MECH_MAX 20

void sasl_util_b64_encode(VSTR *out, const void *data, size_t len);
int sasl_util_b64_decode(VSTR *out, const char *text, size_t limit);
int sasl_util_secopts(const char *text, unsigned *flags, VSTR *why);
void sasl_util_secopts_str(VSTR *out, unsigned flags);
int sasl_util_mech_valid(const char *name);
size_t sasl_util_filter(ARGV *mechs, const char *filter);
int sasl_util_mech_find(const ARGV *mechs, const char *name);

#endif
