/*
 * table_pcre - the pcre: type: Perl-compatible regular expressions through
 * PCRE2, as pcre_table(5) describes. The file syntax, substitution and error
 * policy are table_pattern.h's. Flags, each toggling an option:
 *   i  case-insensitive (on by default)   m  multi-line      s  dot-all
 *   x  extended syntax                    A  anchored        E  dollar end-only
 *   U  ungreedy                           X  accepted and ignored (PCRE1's
 *                                            "extra", always on in PCRE2)
 * Matching runs under PCRE2's match, depth and heap limits (PCRE_MATCH_LIMIT
 * and friends below), so a hostile key cannot keep a process busy: a match
 * that hits a limit fails the lookup with TABLE_ERR_RETRY and a warning.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "mem.h"
#include "msg.h"
#include "table_pattern.h"
#include "table_types.h"

#define PCRE_MATCH_LIMIT 1000000        /* calls of the internal match() */
#define PCRE_DEPTH_LIMIT 10000          /* backtracking depth */
#define PCRE_HEAP_LIMIT (20 * 1024)     /* KiB of heap for backtracking */

typedef struct PCRE_STATE {
    pcre2_match_context *mctx;
    pcre2_match_data *md;
} PCRE_STATE;

static void *pcre_state_new(void)
{
    PCRE_STATE *s = mem_alloc(sizeof(*s));

    if ((s->mctx = pcre2_match_context_create(NULL)) == NULL
        || (s->md = pcre2_match_data_create(TABLE_PATTERN_GROUP_MAX + 1, NULL)) == NULL)
        msg_fatal("pcre2: out of memory");
    pcre2_set_match_limit(s->mctx, PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, PCRE_DEPTH_LIMIT);
    pcre2_set_heap_limit(s->mctx, PCRE_HEAP_LIMIT);
    return s;
}

static void pcre_state_free(void *state)
{
    PCRE_STATE *s = state;

    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    mem_free(s);
}

static void *pcre_compile(void *state, const char *pattern, const char *flags, size_t *ngroups,
                          VSTR *err)
{
    uint32_t options = PCRE2_CASELESS;
    uint32_t count;
    PCRE2_SIZE offset;
    PCRE2_UCHAR text[256];
    pcre2_code *re;
    int code;

    (void) state;
    for (; *flags; flags++) {
        switch (*flags) {
        case 'i':
            options ^= PCRE2_CASELESS;
            break;
        case 'm':
            options ^= PCRE2_MULTILINE;
            break;
        case 's':
            options ^= PCRE2_DOTALL;
            break;
        case 'x':
            options ^= PCRE2_EXTENDED;
            break;
        case 'A':
            options ^= PCRE2_ANCHORED;
            break;
        case 'E':
            options ^= PCRE2_DOLLAR_ENDONLY;
            break;
        case 'U':
            options ^= PCRE2_UNGREEDY;
            break;
        default:
            break;
        }
    }
    re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, options, &code, &offset, NULL);
    if (re == NULL) {
        pcre2_get_error_message(code, text, sizeof(text));
        vstr_sprintf(err, "pattern \"%s\": error at offset %zu: %s", pattern, (size_t) offset,
                     (char *) text);
        return NULL;
    }
    if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &count) != 0)
        count = 0;
    *ngroups = count;
    return re;
}

static int pcre_match(void *state, void *re, const char *key, TABLE_PATTERN_SPAN *spans,
                      size_t nspans, VSTR *err)
{
    PCRE_STATE *s = state;
    PCRE2_SIZE *ov;
    PCRE2_UCHAR text[256];
    size_t i;
    int rc;

    rc = pcre2_match(re, (PCRE2_SPTR) key, PCRE2_ZERO_TERMINATED, 0, 0, s->md, s->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0) {
        pcre2_get_error_message(rc, text, sizeof(text));
        vstr_sprintf(err, "matcher error: %s", (char *) text);
        return -1;
    }
    ov = pcre2_get_ovector_pointer(s->md);
    if (nspans > pcre2_get_ovector_count(s->md))
        nspans = pcre2_get_ovector_count(s->md);
    for (i = 0; i < nspans; i++) {
        if (ov[2 * i] == PCRE2_UNSET || (rc > 0 && i >= (size_t) rc)) {
            spans[i].start = spans[i].end = -1;
        } else {
            spans[i].start = (long) ov[2 * i];
            spans[i].end = (long) ov[2 * i + 1];
        }
    }
    return 1;
}

static void pcre_free(void *re)
{
    pcre2_code_free(re);
}

static const TABLE_PATTERN_OPS pcre_ops = {
    "pcre", "imsxAEUX", pcre_state_new, pcre_state_free, pcre_compile, pcre_match, pcre_free,
};

TABLE *table_pcre_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    return table_pattern_open(&pcre_ops, type, name, mode, flags, why);
}
