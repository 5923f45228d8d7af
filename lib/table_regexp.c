/*
 * table_regexp - the regexp: type: POSIX regular expressions (regcomp(3)),
 * as regexp_table(5) describes. The file syntax, substitution and error
 * policy are table_pattern.h's. Flags, each toggling an option:
 *   i  case-insensitive matching (on by default, REG_ICASE)
 *   x  extended syntax (on by default, REG_EXTENDED)
 *   m  multi-line mode (off by default, REG_NEWLINE)
 * A pattern that regcomp() refuses fails the open with the file and line.
 */
#include "config.h"

#include <regex.h>

#include "mem.h"
#include "table_pattern.h"
#include "table_types.h"

static void *regexp_compile(void *state, const char *pattern, const char *flags,
                            size_t *ngroups, VSTR *err)
{
    regex_t *re = mem_alloc(sizeof(*re));
    int cflags = REG_ICASE | REG_EXTENDED;
    char text[256];
    int rc;

    (void) state;
    for (; *flags; flags++) {
        if (*flags == 'i')
            cflags ^= REG_ICASE;
        else if (*flags == 'x')
            cflags ^= REG_EXTENDED;
        else if (*flags == 'm')
            cflags ^= REG_NEWLINE;
    }
    if ((rc = regcomp(re, pattern, cflags)) != 0) {
        regerror(rc, re, text, sizeof(text));
        vstr_sprintf(err, "pattern \"%s\": %s", pattern, text);
        mem_free(re);
        return NULL;
    }
    *ngroups = re->re_nsub;
    return re;
}

static int regexp_match(void *state, void *re, const char *key, TABLE_PATTERN_SPAN *spans,
                        size_t nspans, VSTR *err)
{
    regmatch_t m[TABLE_PATTERN_GROUP_MAX + 1];
    size_t i;
    int rc;

    (void) state;
    if (nspans > TABLE_PATTERN_GROUP_MAX + 1)
        nspans = TABLE_PATTERN_GROUP_MAX + 1;
    rc = regexec(re, key, nspans, nspans ? m : NULL, 0);
    if (rc == REG_NOMATCH)
        return 0;
    if (rc != 0) {
        char text[256];

        regerror(rc, re, text, sizeof(text));
        vstr_sprintf(err, "matcher error: %s", text);
        return -1;
    }
    for (i = 0; i < nspans; i++) {
        spans[i].start = (long) m[i].rm_so;
        spans[i].end = (long) m[i].rm_eo;
    }
    return 1;
}

static void regexp_free(void *re)
{
    regfree(re);
    mem_free(re);
}

static const TABLE_PATTERN_OPS regexp_ops = {
    "regexp", "ixm", NULL, NULL, regexp_compile, regexp_match, regexp_free,
};

TABLE *table_regexp_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    return table_pattern_open(&regexp_ops, type, name, mode, flags, why);
}
