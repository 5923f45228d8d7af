/*
 * tls_policy - the text of Postfix's TLS parameters, parsed: protocol lists,
 * cipher grades and exclusions, security levels, certificate match lists,
 * the SNI setting and fingerprint lists. No I/O, no sockets: tls.c applies
 * the results to OpenSSL, and the unit tests call these directly.
 *
 * Protocols (smtpd_tls_protocols, smtp_tls_mandatory_protocols, ...):
 *
 *   unsigned mask; int min, max; long no_ops;
 *   if (tls_protocols_parse(">=TLSv1.2", &mask, why) < 0) ... vstr_str(why)
 *   tls_protocols_range(mask, &min, &max, &no_ops);
 *
 * Both of Postfix's forms are accepted, mixed freely, separated by comma,
 * colon or white space, names case-insensitive: a list of names to enable
 * ("TLSv1.2 TLSv1.3"), names to disable ("!SSLv2, !SSLv3, !TLSv1"), and
 * bounds (">=TLSv1.2", "<=TLSv1.2"). Enabled names, when any, select the
 * set; exclusions and bounds then take protocols away. An empty list means
 * every protocol. The result is a mask of TLS_PROTO_* bits;
 * tls_protocols_range() turns it into OpenSSL's minimum and maximum
 * versions plus SSL_OP_NO_* options for holes ("TLSv1 TLSv1.2" disables
 * TLSv1.1 in between). A name that is not a protocol, a lone "!" or ">=",
 * an over-long list, or a list that leaves no TLS protocol is an error.
 *
 * Ciphers: tls_grade_parse("medium") gives TLS_GRADE_MEDIUM (-1: not a
 * grade: export, low, medium, high, null). tls_cipherlist_build() makes
 * the OpenSSL cipher string of a grade (the tls_<grade>_cipherlist text the
 * caller passes) with ":!name" appended for each name of an exclusion list
 * (smtpd_tls_exclude_ciphers); names starting with one of "!+-@" or holding
 * characters other than letters, digits and "-_.+=" are errors. Whether
 * OpenSSL knows the names is checked where the list is applied (tls.c).
 *
 * Levels (smtp_tls_security_level, smtpd_tls_security_level):
 * tls_level_parse("verify") gives TLS_LEV_VERIFY, -1 for anything else;
 * tls_level_name() the reverse. The order of the enum is Postfix's, so
 * "level >= TLS_LEV_ENCRYPT" means "TLS is required".
 *
 * Certificate names (smtp_tls_verify_cert_match, smtp_tls_secure_cert_match):
 * tls_match_names(spec, host, nexthop, names, why) appends to names what a
 * server certificate may match: "hostname" is host, "nexthop" the next-hop
 * domain, "dot-nexthop" any subdomain of it (written ".nexthop", the form
 * X509_check_host() takes), and any other word a literal name (".domain"
 * for its subdomains). SNI (smtp_tls_servername): tls_servername(spec, host,
 * nexthop, out, why) sets out to the name to send, empty for none ("" means
 * none, "hostname", "nexthop", or a literal host name).
 *
 * Fingerprints (smtp_tls_fingerprint_cert_match): tls_fprint_list() splits
 * the list (white space, comma, "|") and normalises each entry to upper-case
 * hex pairs joined by ':' (entries may be written with or without colons);
 * tls_fprint_format() writes a digest in that form.
 *
 * Error policy: every function that parses returns 0 on success and -1 on
 * bad input, with the reason in why (set, not appended), naming the
 * offending word; nothing here logs, crashes on input or allocates except
 * into the caller's VSTR/ARGV. Input longer than TLS_POLICY_MAX bytes, a
 * word longer than TLS_WORD_MAX, or more than TLS_LIST_MAX words is an error.
 */
#ifndef POSTERN_TLS_POLICY_H
#define POSTERN_TLS_POLICY_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

#define TLS_POLICY_MAX 4096
#define TLS_WORD_MAX 255
#define TLS_LIST_MAX 100

#define TLS_PROTO_SSLv2 (1U << 0)
#define TLS_PROTO_SSLv3 (1U << 1)
#define TLS_PROTO_TLSv1 (1U << 2)
#define TLS_PROTO_TLSv1_1 (1U << 3)
#define TLS_PROTO_TLSv1_2 (1U << 4)
#define TLS_PROTO_TLSv1_3 (1U << 5)
#define TLS_PROTO_ALL 0x3fU

int tls_protocols_parse(const char *spec, unsigned *mask, VSTR *why);
int tls_protocols_range(unsigned mask, int *min_version, int *max_version, long *no_ops);
const char *tls_protocols_str(unsigned mask, VSTR *out);

enum { TLS_GRADE_EXPORT, TLS_GRADE_LOW, TLS_GRADE_MEDIUM, TLS_GRADE_HIGH, TLS_GRADE_NULL,
       TLS_GRADE_COUNT };

/* The tls_<grade>_cipherlist parameter values, indexed by grade. */
typedef struct TLS_CIPHERLISTS {
    const char *list[TLS_GRADE_COUNT];
} TLS_CIPHERLISTS;

int tls_grade_parse(const char *name);
const char *tls_grade_name(int grade);
void tls_cipherlists_default(TLS_CIPHERLISTS *lists);
int tls_cipherlist_build(int grade, const char *exclude, const TLS_CIPHERLISTS *lists,
                         VSTR *out, VSTR *why);

enum { TLS_LEV_NONE, TLS_LEV_MAY, TLS_LEV_ENCRYPT, TLS_LEV_FPRINT, TLS_LEV_HALF_DANE,
       TLS_LEV_DANE, TLS_LEV_DANE_ONLY, TLS_LEV_VERIFY, TLS_LEV_SECURE };

int tls_level_parse(const char *name);
const char *tls_level_name(int level);

int tls_match_names(const char *spec, const char *host, const char *nexthop, ARGV *names,
                    VSTR *why);
int tls_servername(const char *spec, const char *host, const char *nexthop, VSTR *out,
                   VSTR *why);
int tls_fprint_list(const char *spec, ARGV *out, VSTR *why);
void tls_fprint_format(const unsigned char *md, size_t len, VSTR *out);
int tls_valid_hostname(const char *name);

#endif
