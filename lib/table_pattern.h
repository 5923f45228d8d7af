/*
 * table_pattern - the file syntax and lookup loop shared by the regexp: and
 * pcre: types (regexp_table(5), pcre_table(5)). The type supplies only how
 * to compile and match one pattern (TABLE_PATTERN_OPS).
 *
 * File syntax, one rule per logical line (lineread.h: '#' comments, blank
 * lines, continuation lines that start with white space):
 *
 *   /pattern/flags result      the result when the key matches
 *   !/pattern/flags result     the result when the key does not match
 *   if /pattern/flags          the rules up to the matching endif apply
 *   if !/pattern/flags         only when the key matches (does not match)
 *   endif
 *
 * The delimiter is any character other than a letter, digit, white space,
 * '!' or '\'; a backslash makes the next character part of the pattern (the
 * backslash is kept, so "\/" reaches the matcher as "\/"). Flags are single
 * letters the type knows; each toggles an option. Rules apply in file
 * order; the first matching rule gives the result. In a result, $1..$99,
 * ${n} and $(n) insert the text of that capture group of the matched key
 * ($0: the whole match; an unset group inserts nothing) and $$ inserts "$";
 * a "$" before anything else is kept as is. "if" and "endif" are matched
 * without regard to case.
 *
 * Inline tables (Postfix 3.7): a name that starts with '{', as in
 * regexp:{ {/^[^A-Z]/ Bogus}, {/x/ y} }, holds the rules themselves, one
 * per { } group (white space after '{' and before '}' ignored); they are
 * read as the lines of a file would be. Nothing to re-open on change.
 *
 * Errors: every malformed rule fails the open with "KIND map FILE, line N:
 * why" (a pattern that does not compile, an unknown flag, a missing
 * delimiter, $n beyond the pattern's groups, $n in a negated rule, a
 * non-numeric $name, an unmatched endif, an if without endif, if nesting
 * deeper than TABLE_PATTERN_IF_MAX, an over-long line). A rule without a
 * result is kept with an empty result and a warning, as Postfix does.
 * Lookups: keys are matched as given (no folding; case per the flags). A
 * matcher failure (PCRE2's match limits against a hostile key) is logged
 * and the lookup fails with TABLE_ERR_RETRY; a result longer than
 * TABLE_PATTERN_RESULT_MAX fails it with TABLE_ERR_CONFIG. Read-only.
 */
#ifndef POSTERN_TABLE_PATTERN_H
#define POSTERN_TABLE_PATTERN_H

#include <stddef.h>

#include "table.h"

#define TABLE_PATTERN_IF_MAX 100            /* if ... endif nesting */
#define TABLE_PATTERN_GROUP_MAX 99          /* highest $n */
#define TABLE_PATTERN_RESULT_MAX (1024 * 1024)

/* The text of capture group n: key[start, end); start < 0 when unset. */
typedef struct TABLE_PATTERN_SPAN {
    long start;
    long end;
} TABLE_PATTERN_SPAN;

typedef struct TABLE_PATTERN_OPS {
    const char *kind;           /* "regexp", "pcre": for messages */
    const char *flag_letters;   /* the flags the type accepts */
    /* Per-table matcher state (may return NULL); freed by state_free. */
    void *(*state_new)(void);
    void (*state_free)(void *state);
    /* Compile; NULL with the reason in err. *ngroups: capture groups. */
    void *(*compile)(void *state, const char *pattern, const char *flags, size_t *ngroups,
                     VSTR *err);
    /*
     * Match key; fill spans[0..nspans-1] (nspans <= ngroups + 1) on a match.
     * Return 1 match, 0 no match, -1 matcher error with the reason in err.
     */
    int (*match)(void *state, void *re, const char *key, TABLE_PATTERN_SPAN *spans,
                 size_t nspans, VSTR *err);
    void (*free)(void *re);
} TABLE_PATTERN_OPS;

TABLE *table_pattern_open(const TABLE_PATTERN_OPS *ops, const char *type, const char *name,
                          int mode, int flags, VSTR *why);

#endif
