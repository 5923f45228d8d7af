/*
 * tablesrc - parse the logical lines of lookup table sources, as postmap(1)
 * and postalias(1) read them (lineread.h supplies the logical lines).
 *
 * tablesrc_map_line(line, key, value, why): a postmap(1) entry
 * "key whitespace value". The key ends at the first white space outside
 * double quotes; the quotes stay part of the key (Postfix 3.2 and later
 * allow white space in keys this way; a backslash quotes the next
 * character); the value is the rest with surrounding white space removed.
 * The line is modified in place and key/value point into it.
 *   TABLESRC_OK      store it
 *   TABLESRC_WARN    store it, but warn with why (a "key: value" line)
 *   TABLESRC_SKIP    do not store it; warn with why
 *
 * tablesrc_alias_line(line, key, value, why): an aliases(5) entry
 * "name: value, value, ...". The line is split into RFC 822 tokens (atoms,
 * "quoted strings", (comments), [domain literals], special characters);
 * the name is what precedes the first ':' with quotes removed, and the
 * value what follows it, written back in a normal form: ", " after every
 * comma, one space between two words, a space before '<', strings quoted
 * again. So "staff: alice,\n  bob" is stored as "alice, bob".
 * Returns TABLESRC_OK, or TABLESRC_SKIP with why ("need name:value pair",
 * "name must be local").
 *
 * Both bound their work by the line's length (lineread.h bounds that) and
 * never fail otherwise. why is set only when a warning is due.
 *
 * With smtputf8_enable, Postfix accepts only UTF-8 sources and folds keys
 * with Unicode case folding: tablesrc_utf8_valid() says whether a string is
 * well-formed UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF); tablesrc_fold_utf8() lower-cases every character of a valid
 * UTF-8 string into out (simple one-to-one case mapping of the given
 * C.UTF-8 locale; ICU's full folding, which Postfix uses, also turns a few
 * characters such as U+00DF into two) and returns vstr_str(out); bytes that
 * are not valid UTF-8 are copied as they are. loc may be (locale_t) 0: then
 * only ASCII is folded.
 */
#ifndef POSTERN_TABLESRC_H
#define POSTERN_TABLESRC_H

#include <locale.h>

#include "vstr.h"

#define TABLESRC_OK   0
#define TABLESRC_WARN 1
#define TABLESRC_SKIP 2

int tablesrc_map_line(char *line, char **key, char **value, VSTR *why);
int tablesrc_alias_line(const char *line, VSTR *key, VSTR *value, VSTR *why);
int tablesrc_utf8_valid(const char *str);
const char *tablesrc_fold_utf8(const char *str, VSTR *out, locale_t loc);
const char *tablesrc_utf8_printable(const char *str, VSTR *out);   /* bad bytes as '?' */

#endif
