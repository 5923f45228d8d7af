/*
 * sasl_util - strict base64, security options, mechanism lists (see the
 * header).
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "sasl_util.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sasl_util_b64_encode(VSTR *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    vstr_reserve(out, (len / 3 + 1) * 4);
    for (i = 0; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];

        vstr_addch(out, b64_alphabet[v >> 18 & 63]);
        vstr_addch(out, b64_alphabet[v >> 12 & 63]);
        vstr_addch(out, b64_alphabet[v >> 6 & 63]);
        vstr_addch(out, b64_alphabet[v & 63]);
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t) p[i] << 16;

        vstr_addch(out, b64_alphabet[v >> 18 & 63]);
        vstr_addch(out, b64_alphabet[v >> 12 & 63]);
        vstr_adds(out, "==");
    } else if (len - i == 2) {
        uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8;

        vstr_addch(out, b64_alphabet[v >> 18 & 63]);
        vstr_addch(out, b64_alphabet[v >> 12 & 63]);
        vstr_addch(out, b64_alphabet[v >> 6 & 63]);
        vstr_addch(out, '=');
    }
}

static int b64_value(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

int sasl_util_b64_decode(VSTR *out, const char *text, size_t limit)
{
    size_t len = strlen(text);
    size_t i;

    vstr_reset(out);
    if (len % 4 != 0 || len / 4 * 3 > limit + 2)
        return -1;
    for (i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int v[4];
        int pad = 0;
        int k;

        for (k = 0; k < 4; k++) {
            v[k] = b64_value((unsigned char) text[i + k]);
            if (v[k] < 0) {
                /* '=' only in the last group, only in the last two places. */
                if (text[i + k] != '=' || !last || k < 2)
                    goto bad;
                pad++;
                v[k] = 0;
            } else if (pad) {
                goto bad;                       /* "A=B=" */
            }
        }
        if (pad == 2 && (v[1] & 15) != 0)
            goto bad;                           /* unused bits must be zero */
        if (pad == 1 && (v[2] & 3) != 0)
            goto bad;
        {
            uint32_t w = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12 | (uint32_t) v[2] << 6
                         | (uint32_t) v[3];

            if (vstr_len(out) + (size_t) (3 - pad) > limit)
                goto bad;
            vstr_addch(out, (int) (w >> 16 & 255));
            if (pad < 2)
                vstr_addch(out, (int) (w >> 8 & 255));
            if (pad < 1)
                vstr_addch(out, (int) (w & 255));
        }
    }
    return 0;
bad:
    vstr_reset(out);
    return -1;
}

static const struct {
    const char *name;
    unsigned flag;
} secopt_names[] = {
    {"noplaintext", SASL_F_NOPLAINTEXT},
    {"noactive", SASL_F_NOACTIVE},
    {"nodictionary", SASL_F_NODICTIONARY},
    {"noanonymous", SASL_F_NOANONYMOUS},
    {"forward_secrecy", SASL_F_FORWARD_SECRECY},
    {"mutual_auth", SASL_F_MUTUAL_AUTH},
};

#define SECOPT_COUNT (sizeof(secopt_names) / sizeof(secopt_names[0]))

int sasl_util_secopts(const char *text, unsigned *flags, VSTR *why)
{
    ARGV *words = argv_split(text, ", \t\r\n");
    unsigned result = 0;
    size_t i;
    size_t k;

    for (i = 0; i < words->argc; i++) {
        for (k = 0; k < SECOPT_COUNT; k++)
            if (strcasecmp(words->argv[i], secopt_names[k].name) == 0)
                break;
        if (k == SECOPT_COUNT) {
            if (why) {
                vstr_set(why, "unknown SASL security option: ");
                vstr_addmem(why, words->argv[i], strnlen(words->argv[i], 100));
            }
            argv_free(words);
            return -1;
        }
        result |= secopt_names[k].flag;
    }
    argv_free(words);
    *flags = result;
    return 0;
}

void sasl_util_secopts_str(VSTR *out, unsigned flags)
{
    size_t k;

    for (k = 0; k < SECOPT_COUNT; k++) {
        if (flags & secopt_names[k].flag) {
            if (vstr_len(out))
                vstr_addch(out, ' ');
            vstr_adds(out, secopt_names[k].name);
        }
    }
}

int sasl_util_mech_valid(const char *name)
{
    size_t n;

    for (n = 0; name[n]; n++) {
        int ch = (unsigned char) name[n];

        if (n >= SASL_MECH_MAX || !(isascii(ch) && (isalnum(ch) || ch == '-' || ch == '_')))
            return 0;
    }
    return n > 0;
}

int sasl_util_mech_find(const ARGV *mechs, const char *name)
{
    size_t i;

    for (i = 0; i < mechs->argc; i++)
        if (strcasecmp(mechs->argv[i], name) == 0)
            return (int) i;
    return -1;
}

/* 1: allowed, 0: refused. */
static int filter_allows(const ARGV *patterns, const char *mech)
{
    size_t i;

    for (i = 0; i < patterns->argc; i++) {
        const char *pat = patterns->argv[i];
        int negate = 0;

        if (*pat == '!') {
            negate = 1;
            pat++;
        }
        if (strcasecmp(pat, "static:all") == 0 || strcasecmp(pat, "static:rest") == 0)
            return !negate;
        if (strchr(pat, ':') != NULL)
            continue;
        if (strcasecmp(pat, mech) == 0)
            return !negate;
    }
    return 0;
}

size_t sasl_util_filter(ARGV *mechs, const char *filter)
{
    ARGV *patterns;
    size_t i;
    size_t kept = 0;

    if (filter == NULL || filter[strspn(filter, ", \t\r\n")] == 0)
        return mechs->argc;
    patterns = argv_split(filter, ", \t\r\n");
    for (i = 0; i < patterns->argc; i++) {
        const char *pat = patterns->argv[i] + (patterns->argv[i][0] == '!');

        if (strchr(pat, ':') && strcasecmp(pat, "static:all") != 0
            && strcasecmp(pat, "static:rest") != 0)
            msg_warn("SASL mechanism filter: table lookup \"%.100s\" is not supported; it matches "
                     "nothing", pat);
    }
    for (i = 0; i < mechs->argc; i++) {
        if (filter_allows(patterns, mechs->argv[i])) {
            char *keep = mechs->argv[i];

            mechs->argv[i] = mechs->argv[kept];
            mechs->argv[kept++] = keep;
        }
    }
    argv_truncate(mechs, kept);
    argv_free(patterns);
    return kept;
}
