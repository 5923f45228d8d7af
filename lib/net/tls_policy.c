/* tls_policy - Postfix's TLS parameter syntax, parsed; see tls_policy.h. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "argv.h"
#include "mem.h"
#include "tls_policy.h"
#include "vstr.h"

/* Separators of Postfix's lists. */
#define TLS_SEP_PROTO " \t\r\n,:"
#define TLS_SEP_CIPHER " \t\r\n,:"
#define TLS_SEP_MATCH " \t\r\n,:"
#define TLS_SEP_FPRINT " \t\r\n,|"

/*
 * policy_split - break spec into words at any of delims, bounding the whole
 * length, each word and the number of words. Returns 0 or -1 with why set.
 */
static int policy_split(const char *spec, const char *delims, ARGV *words, const char *what,
                        VSTR *why)
{
    const char *cp = spec;
    size_t len;

    if (strlen(spec) > TLS_POLICY_MAX) {
        vstr_sprintf(why, "%s: list longer than %d bytes", what, TLS_POLICY_MAX);
        return -1;
    }
    for (;;) {
        cp += strspn(cp, delims);
        if (*cp == 0)
            return 0;
        len = strcspn(cp, delims);
        if (len > TLS_WORD_MAX) {
            vstr_sprintf(why, "%s: word longer than %d bytes: \"%.40s...\"", what, TLS_WORD_MAX,
                         cp);
            return -1;
        }
        if (words->argc >= TLS_LIST_MAX) {
            vstr_sprintf(why, "%s: more than %d words", what, TLS_LIST_MAX);
            return -1;
        }
        argv_addn(words, cp, len);
        cp += len;
    }
}

/* ------------------------------------------------------------------ */
/* Protocols                                                            */

static const struct {
    const char *name;
    unsigned bit;
    int version;
} tls_protos[] = {
    {"SSLv2", TLS_PROTO_SSLv2, 0x0002},
    {"SSLv3", TLS_PROTO_SSLv3, SSL3_VERSION},
    {"TLSv1", TLS_PROTO_TLSv1, TLS1_VERSION},
    {"TLSv1.1", TLS_PROTO_TLSv1_1, TLS1_1_VERSION},
    {"TLSv1.2", TLS_PROTO_TLSv1_2, TLS1_2_VERSION},
    {"TLSv1.3", TLS_PROTO_TLSv1_3, TLS1_3_VERSION},
};
#define TLS_NPROTOS (sizeof(tls_protos) / sizeof(tls_protos[0]))

/* proto_index - the table index of a protocol name, or -1 */
static int proto_index(const char *name)
{
    size_t i;

    for (i = 0; i < TLS_NPROTOS; i++)
        if (strcasecmp(name, tls_protos[i].name) == 0)
            return (int) i;
    return -1;
}

int tls_protocols_parse(const char *spec, unsigned *mask, VSTR *why)
{
    ARGV *words = argv_new();
    unsigned include = 0, exclude = 0;
    size_t i, j;
    int idx, ret = -1;

    if (policy_split(spec, TLS_SEP_PROTO, words, "TLS protocol list", why) < 0)
        goto out;
    for (i = 0; i < words->argc; i++) {
        const char *w = words->argv[i];
        int op = 0; /* 0: enable, '!': disable, '>': at least, '<': at most */

        if (w[0] == '!') {
            op = '!';
            w++;
        } else if ((w[0] == '>' || w[0] == '<') && w[1] == '=') {
            op = w[0];
            w += 2;
        }
        if ((idx = proto_index(w)) < 0) {
            vstr_sprintf(why, "invalid TLS protocol list: \"%s\": unknown protocol \"%s\"", spec,
                         *w ? w : words->argv[i]);
            goto out;
        }
        switch (op) {
        case 0:
            include |= tls_protos[idx].bit;
            break;
        case '!':
            exclude |= tls_protos[idx].bit;
            break;
        case '>':
            for (j = 0; j < (size_t) idx; j++)
                exclude |= tls_protos[j].bit;
            break;
        case '<':
            for (j = (size_t) idx + 1; j < TLS_NPROTOS; j++)
                exclude |= tls_protos[j].bit;
            break;
        }
    }
    if (include == 0)
        include = TLS_PROTO_ALL;
    include &= ~exclude;
    if ((include & ~(TLS_PROTO_SSLv2 | TLS_PROTO_SSLv3)) == 0) {
        vstr_sprintf(why, "invalid TLS protocol list: \"%s\": no TLS protocol left", spec);
        goto out;
    }
    *mask = include;
    ret = 0;
out:
    argv_free(words);
    return ret;
}

int tls_protocols_range(unsigned mask, int *min_version, int *max_version, long *no_ops)
{
    static const long no_op[TLS_NPROTOS] = {
        0, SSL_OP_NO_SSLv3, SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1, SSL_OP_NO_TLSv1_2,
        SSL_OP_NO_TLSv1_3,
    };
    int lo = -1, hi = -1;
    size_t i;

    /* SSLv2 is gone from OpenSSL: it counts neither as bound nor as hole. */
    for (i = 1; i < TLS_NPROTOS; i++) {
        if (mask & tls_protos[i].bit) {
            if (lo < 0)
                lo = (int) i;
            hi = (int) i;
        }
    }
    if (lo < 0)
        return -1;
    *min_version = tls_protos[lo].version;
    *max_version = tls_protos[hi].version;
    *no_ops = 0;
    for (i = (size_t) lo; i <= (size_t) hi; i++)
        if ((mask & tls_protos[i].bit) == 0)
            *no_ops |= no_op[i];
    return 0;
}

const char *tls_protocols_str(unsigned mask, VSTR *out)
{
    size_t i;

    vstr_reset(out);
    for (i = 0; i < TLS_NPROTOS; i++) {
        if (mask & tls_protos[i].bit) {
            if (vstr_len(out))
                vstr_addch(out, ' ');
            vstr_adds(out, tls_protos[i].name);
        }
    }
    return vstr_str(out);
}

/* ------------------------------------------------------------------ */
/* Cipher grades                                                        */

static const char *const tls_grades[TLS_GRADE_COUNT] = {"export", "low", "medium", "high",
                                                        "null"};

int tls_grade_parse(const char *name)
{
    int i;

    for (i = 0; i < TLS_GRADE_COUNT; i++)
        if (strcasecmp(name, tls_grades[i]) == 0)
            return i;
    return -1;
}

const char *tls_grade_name(int grade)
{
    return grade >= 0 && grade < TLS_GRADE_COUNT ? tls_grades[grade] : "unknown";
}

void tls_cipherlists_default(TLS_CIPHERLISTS *lists)
{
    /* Postfix 3.7's defaults of tls_<grade>_cipherlist. */
    lists->list[TLS_GRADE_EXPORT] = "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH";
    lists->list[TLS_GRADE_LOW] = "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH";
    lists->list[TLS_GRADE_MEDIUM] = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH";
    lists->list[TLS_GRADE_HIGH] = "aNULL:-aNULL:HIGH:@STRENGTH";
    lists->list[TLS_GRADE_NULL] = "eNULL:!aNULL";
}

/* cipher_word_ok - letters, digits and "-_.+=" only, not starting with "+" */
static int cipher_word_ok(const char *w)
{
    const unsigned char *cp;

    if (strchr("!+-@", *w))
        return 0;
    for (cp = (const unsigned char *) w; *cp; cp++)
        if (!isalnum(*cp) && !strchr("-_.+=", *cp))
            return 0;
    return 1;
}

int tls_cipherlist_build(int grade, const char *exclude, const TLS_CIPHERLISTS *lists,
                         VSTR *out, VSTR *why)
{
    ARGV *words;
    size_t i;
    int ret = -1;

    if (grade < 0 || grade >= TLS_GRADE_COUNT) {
        vstr_sprintf(why, "invalid TLS cipher grade %d", grade);
        return -1;
    }
    if (lists->list[grade] == NULL || *lists->list[grade] == 0) {
        vstr_sprintf(why, "empty tls_%s_cipherlist", tls_grades[grade]);
        return -1;
    }
    if (strlen(lists->list[grade]) > TLS_POLICY_MAX) {
        vstr_sprintf(why, "tls_%s_cipherlist longer than %d bytes", tls_grades[grade],
                     TLS_POLICY_MAX);
        return -1;
    }
    words = argv_new();
    if (exclude && policy_split(exclude, TLS_SEP_CIPHER, words, "TLS cipher exclusion list",
                                why) < 0)
        goto out;
    vstr_set(out, lists->list[grade]);
    for (i = 0; i < words->argc; i++) {
        if (!cipher_word_ok(words->argv[i])) {
            vstr_sprintf(why, "invalid TLS cipher exclusion: \"%s\"", words->argv[i]);
            goto out;
        }
        vstr_printf(out, ":!%s", words->argv[i]);
    }
    ret = 0;
out:
    argv_free(words);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Security levels                                                      */

static const struct {
    const char *name;
    int level;
} tls_levels[] = {
    {"none", TLS_LEV_NONE},       {"may", TLS_LEV_MAY},
    {"encrypt", TLS_LEV_ENCRYPT}, {"fingerprint", TLS_LEV_FPRINT},
    {"dane", TLS_LEV_DANE},       {"dane-only", TLS_LEV_DANE_ONLY},
    {"verify", TLS_LEV_VERIFY},   {"secure", TLS_LEV_SECURE},
};

int tls_level_parse(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
        if (strcasecmp(name, tls_levels[i].name) == 0)
            return tls_levels[i].level;
    return -1;
}

const char *tls_level_name(int level)
{
    size_t i;

    if (level == TLS_LEV_HALF_DANE)
        return "half-dane";
    for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
        if (tls_levels[i].level == level)
            return tls_levels[i].name;
    return "unknown";
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

/* tls_valid_hostname - letters, digits, '-', '_' in dot-separated labels */
int tls_valid_hostname(const char *name)
{
    const unsigned char *cp;
    size_t label = 0, len = strlen(name);

    if (len == 0 || len > 253)
        return 0;
    for (cp = (const unsigned char *) name; *cp; cp++) {
        if (*cp == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (isalnum(*cp) || *cp == '-' || *cp == '_') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* strip_dot - a copy of name without one trailing dot */
static char *strip_dot(const char *name)
{
    size_t len = strlen(name);

    if (len > 0 && name[len - 1] == '.')
        len--;
    return mem_strndup(name, len);
}

/* add_name - validate and append a match name; sub: match subdomains */
static int add_name(ARGV *names, const char *name, int sub, const char *what, VSTR *why)
{
    char *bare;
    int ret = 0;

    if (name == NULL || *name == 0) {
        vstr_sprintf(why, "certificate match \"%s\": no name to match", what);
        return -1;
    }
    bare = strip_dot(name);
    if (!tls_valid_hostname(bare)) {
        vstr_sprintf(why, "certificate match \"%s\": invalid name \"%s\"", what, name);
        ret = -1;
    } else if (sub) {
        VSTR *v = vstr_new(0);

        vstr_sprintf(v, ".%s", bare);
        argv_add(names, vstr_str(v));
        vstr_free(v);
    } else {
        argv_add(names, bare);
    }
    mem_free(bare);
    return ret;
}

int tls_match_names(const char *spec, const char *host, const char *nexthop, ARGV *names,
                    VSTR *why)
{
    ARGV *words = argv_new();
    size_t i;
    int ret = -1;

    if (policy_split(spec, TLS_SEP_MATCH, words, "TLS certificate match list", why) < 0)
        goto out;
    if (words->argc == 0) {
        vstr_sprintf(why, "empty TLS certificate match list");
        goto out;
    }
    for (i = 0; i < words->argc; i++) {
        const char *w = words->argv[i];
        int r;

        if (strcasecmp(w, "hostname") == 0)
            r = add_name(names, host, 0, w, why);
        else if (strcasecmp(w, "nexthop") == 0)
            r = add_name(names, nexthop, 0, w, why);
        else if (strcasecmp(w, "dot-nexthop") == 0)
            r = add_name(names, nexthop, 1, w, why);
        else if (w[0] == '.')
            r = add_name(names, w + 1, 1, w, why);
        else
            r = add_name(names, w, 0, w, why);
        if (r < 0)
            goto out;
    }
    ret = 0;
out:
    argv_free(words);
    return ret;
}

int tls_servername(const char *spec, const char *host, const char *nexthop, VSTR *out,
                   VSTR *why)
{
    const char *name;
    char *bare;
    int ret = 0;

    vstr_reset(out);
    if (spec == NULL || *spec == 0)
        return 0;
    if (strcasecmp(spec, "hostname") == 0)
        name = host;
    else if (strcasecmp(spec, "nexthop") == 0)
        name = nexthop;
    else
        name = spec;
    if (name == NULL || *name == 0) {
        vstr_sprintf(why, "smtp_tls_servername \"%s\": no name to send", spec);
        return -1;
    }
    if (strlen(name) > TLS_WORD_MAX) {
        vstr_sprintf(why, "smtp_tls_servername: name longer than %d bytes", TLS_WORD_MAX);
        return -1;
    }
    bare = strip_dot(name);
    if (!tls_valid_hostname(bare)) {
        vstr_sprintf(why, "smtp_tls_servername: invalid name \"%s\"", name);
        ret = -1;
    } else {
        vstr_set(out, bare);
    }
    mem_free(bare);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Fingerprints                                                         */

void tls_fprint_format(const unsigned char *md, size_t len, VSTR *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    vstr_reset(out);
    for (i = 0; i < len; i++) {
        if (i)
            vstr_addch(out, ':');
        vstr_addch(out, hex[md[i] >> 4]);
        vstr_addch(out, hex[md[i] & 15]);
    }
}

int tls_fprint_list(const char *spec, ARGV *out, VSTR *why)
{
    ARGV *words = argv_new();
    VSTR *norm = vstr_new(0);
    size_t i;
    int ret = -1;

    if (policy_split(spec, TLS_SEP_FPRINT, words, "TLS fingerprint list", why) < 0)
        goto out;
    for (i = 0; i < words->argc; i++) {
        const unsigned char *cp;
        size_t digits = 0;

        vstr_reset(norm);
        for (cp = (const unsigned char *) words->argv[i]; *cp; cp++) {
            if (*cp == ':')
                continue;
            if (!isxdigit(*cp))
                break;
            if (digits && digits % 2 == 0)
                vstr_addch(norm, ':');
            vstr_addch(norm, toupper(*cp));
            digits++;
        }
        if (*cp || digits == 0 || digits % 2) {
            vstr_sprintf(why, "invalid TLS fingerprint: \"%s\"", words->argv[i]);
            goto out;
        }
        argv_add(out, vstr_str(norm));
    }
    ret = 0;
out:
    vstr_free(norm);
    argv_free(words);
    return ret;
}
