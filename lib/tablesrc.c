/* tablesrc - postmap(1) and postalias(1) source lines; see tablesrc.h. */
#include "config.h"

#include <string.h>
#include <wctype.h>

#include "mem.h"
#include "strutil.h"
#include "tablesrc.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n' || (c) == '\f' \
                   || (c) == '\v')

int tablesrc_map_line(char *line, char **key, char **value, VSTR *why)
{
    char *cp, *start = str_trim(line);
    int quoted = 0;
    size_t klen;

    /* The key ends at white space outside "..."; a backslash quotes one character. */
    for (cp = start; *cp != 0; cp++) {
        if (*cp == '\\' && cp[1] != 0)
            cp++;
        else if (*cp == '"')
            quoted = !quoted;
        else if (!quoted && IS_WSP(*cp))
            break;
    }
    if (quoted) {
        vstr_sprintf(why, "unbalanced '\"' in '%s' -- ignoring this line", start);
        return TABLESRC_SKIP;
    }
    *key = start;
    if (*cp != 0)
        *cp++ = 0;
    *value = cp + strspn(cp, " \t\r\n\f\v");
    if (**key == 0 || **value == 0) {
        vstr_set(why, "expected format: key whitespace value");
        return TABLESRC_SKIP;
    }
    klen = strlen(*key);
    if ((*key)[klen - 1] == ':') {
        vstr_set(why, "record is in \"key: value\" format; is this an alias file?");
        return TABLESRC_WARN;
    }
    return TABLESRC_OK;
}

/* RFC 822 tokens of an alias line. */
enum { TOK_ATOM = 256, TOK_QSTRING, TOK_COMMENT, TOK_DOMLIT };

typedef struct TOKEN {
    int type;           /* one of the above, or the special character itself */
    VSTR *text;         /* ATOM, QSTRING (unquoted), COMMENT (as written), DOMLIT (inside) */
} TOKEN;

typedef struct TOKENS {
    TOKEN *tok;
    size_t len;
    size_t cap;
} TOKENS;

#define SPECIALS "()<>@,;:\\\".[]"

static TOKEN *tok_add(TOKENS *ts, int type)
{
    TOKEN *tp;

    if (ts->len == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 16;
        ts->tok = mem_array_grow(ts->tok, ts->cap, sizeof(*ts->tok));
    }
    tp = ts->tok + ts->len++;
    tp->type = type;
    tp->text = type >= TOK_ATOM ? vstr_new(32) : NULL;
    return tp;
}

static void tok_free(TOKENS *ts)
{
    size_t i;

    for (i = 0; i < ts->len; i++)
        if (ts->tok[i].text != NULL)
            vstr_free(ts->tok[i].text);
    mem_free(ts->tok);
}

static void tok_scan(TOKENS *ts, const char *cp)
{
    TOKEN *tp;
    int depth;

    while (*cp != 0) {
        unsigned char ch = (unsigned char) *cp;

        if (IS_WSP(ch)) {
            cp++;
        } else if (ch == '(') {
            /* Comment, nested, kept as written (closed or not). */
            tp = tok_add(ts, TOK_COMMENT);
            for (depth = 0; *cp != 0; cp++) {
                if (*cp == '\\' && cp[1] != 0) {
                    vstr_addch(tp->text, *cp++);
                } else if (*cp == '(') {
                    depth++;
                } else if (*cp == ')' && --depth == 0) {
                    vstr_addch(tp->text, *cp++);
                    break;
                }
                vstr_addch(tp->text, *cp);
            }
        } else if (ch == '"') {
            tp = tok_add(ts, TOK_QSTRING);
            for (cp++; *cp != 0 && *cp != '"'; cp++) {
                if (*cp == '\\' && cp[1] != 0)
                    cp++;
                vstr_addch(tp->text, *cp);
            }
            if (*cp == '"')
                cp++;
        } else if (ch == '[') {
            tp = tok_add(ts, TOK_DOMLIT);
            for (cp++; *cp != 0 && *cp != ']'; cp++) {
                if (*cp == '\\' && cp[1] != 0)
                    cp++;
                vstr_addch(tp->text, *cp);
            }
            if (*cp == ']')
                cp++;
        } else if (ch != '\\' && strchr(SPECIALS, ch) != NULL) {
            tok_add(ts, ch);
            cp++;
        } else {
            /* Atom; a backslash makes the next character part of it. */
            tp = tok_add(ts, TOK_ATOM);
            while (*cp != 0 && !IS_WSP(*cp)
                   && (*cp == '\\' || strchr(SPECIALS, *cp) == NULL)) {
                if (*cp == '\\') {
                    if (cp[1] == 0) {
                        cp++;
                        break;
                    }
                    cp++;
                }
                vstr_addch(tp->text, *cp++);
            }
        }
    }
}

static int is_word(const TOKEN *tp)
{
    return tp->type >= TOK_ATOM;
}

/* Quoted text: backslash before '"', '\\', CR and LF. */
static void add_quoted(VSTR *out, const char *text)
{
    vstr_addch(out, '"');
    for (; *text != 0; text++) {
        if (strchr("\"\\\r\n", *text) != NULL)
            vstr_addch(out, '\\');
        vstr_addch(out, *text);
    }
    vstr_addch(out, '"');
}

static int atom_needs_quotes(const char *text)
{
    for (; *text != 0; text++)
        if (strchr(SPECIALS, *text) != NULL || IS_WSP(*text) || (unsigned char) *text < 32)
            return 1;
    return 0;
}

/* Tokens [from, to) back to text; external form quotes strings again. */
static void tok_join(VSTR *out, const TOKENS *ts, size_t from, size_t to, int external)
{
    size_t i;
    const TOKEN *tp;

    vstr_reset(out);
    for (i = from; i < to; i++) {
        tp = ts->tok + i;
        switch (tp->type) {
        case TOK_ATOM:
            if (external && atom_needs_quotes(vstr_str(tp->text)))
                add_quoted(out, vstr_str(tp->text));
            else
                vstr_adds(out, vstr_str(tp->text));
            break;
        case TOK_QSTRING:
            if (external)
                add_quoted(out, vstr_str(tp->text));
            else
                vstr_adds(out, vstr_str(tp->text));
            break;
        case TOK_COMMENT:
            vstr_adds(out, vstr_str(tp->text));
            break;
        case TOK_DOMLIT:
            vstr_addch(out, '[');
            vstr_adds(out, vstr_str(tp->text));
            vstr_addch(out, ']');
            break;
        case ',':
            vstr_adds(out, ", ");
            continue;
        default:
            vstr_addch(out, tp->type);
            break;
        }
        if (i + 1 < to && ((is_word(tp) && is_word(tp + 1)) || tp[1].type == '<'))
            vstr_addch(out, ' ');
    }
}

int tablesrc_alias_line(const char *line, VSTR *key, VSTR *value, VSTR *why)
{
    TOKENS ts = {NULL, 0, 0};
    size_t colon, i;
    int rc = TABLESRC_OK;

    tok_scan(&ts, line);
    for (colon = 0; colon < ts.len && ts.tok[colon].type != ':'; colon++)
        ;
    if (colon == ts.len || colon == 0 || colon + 1 == ts.len) {
        vstr_set(why, "need name:value pair");
        rc = TABLESRC_SKIP;
    }
    for (i = 0; rc == TABLESRC_OK && i < colon; i++) {
        if (ts.tok[i].type == ',') {
            vstr_set(why, "need name:value pair");
            rc = TABLESRC_SKIP;
        }
    }
    for (i = 0; rc == TABLESRC_OK && i < colon; i++) {
        if (ts.tok[i].type == '@' || (ts.tok[i].type == TOK_ATOM
                                      && strchr(vstr_str(ts.tok[i].text), '%') != NULL)) {
            vstr_set(why, "name must be local");
            rc = TABLESRC_SKIP;
        }
    }
    if (rc == TABLESRC_OK) {
        tok_join(key, &ts, 0, colon, 0);
        tok_join(value, &ts, colon + 1, ts.len, 1);
    }
    tok_free(&ts);
    return rc;
}

/* Decode one UTF-8 sequence at s; its length, or 0 when it is not valid. */
static size_t utf8_decode(const unsigned char *s, unsigned long *cp)
{
    size_t len, i;
    unsigned long c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff))
        || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static void utf8_encode(VSTR *out, unsigned long c)
{
    if (c < 0x80) {
        vstr_addch(out, (int) c);
    } else if (c < 0x800) {
        vstr_addch(out, (int) (0xc0 | (c >> 6)));
        vstr_addch(out, (int) (0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        vstr_addch(out, (int) (0xe0 | (c >> 12)));
        vstr_addch(out, (int) (0x80 | ((c >> 6) & 0x3f)));
        vstr_addch(out, (int) (0x80 | (c & 0x3f)));
    } else {
        vstr_addch(out, (int) (0xf0 | (c >> 18)));
        vstr_addch(out, (int) (0x80 | ((c >> 12) & 0x3f)));
        vstr_addch(out, (int) (0x80 | ((c >> 6) & 0x3f)));
        vstr_addch(out, (int) (0x80 | (c & 0x3f)));
    }
}

int tablesrc_utf8_valid(const char *str)
{
    const unsigned char *cp = (const unsigned char *) str;
    unsigned long c;
    size_t len;

    while (*cp != 0) {
        if ((len = utf8_decode(cp, &c)) == 0)
            return 0;
        cp += len;
    }
    return 1;
}

const char *tablesrc_fold_utf8(const char *str, VSTR *out, locale_t loc)
{
    const unsigned char *cp = (const unsigned char *) str;
    unsigned long c, lower;
    size_t len;

    vstr_reset(out);
    while (*cp != 0) {
        if (*cp < 0x80) {
            vstr_addch(out, *cp >= 'A' && *cp <= 'Z' ? *cp - 'A' + 'a' : *cp);
            cp++;
        } else if (loc == (locale_t) 0 || (len = utf8_decode(cp, &c)) == 0) {
            vstr_addch(out, *cp++);
        } else {
            lower = (unsigned long) towlower_l((wint_t) c, loc);
            /* Keep the mapping inside valid UTF-8, whatever the locale says. */
            if (lower > 0x10ffff || (lower >= 0xd800 && lower <= 0xdfff) || lower == 0)
                lower = c;
            utf8_encode(out, lower);
            cp += len;
        }
    }
    return vstr_str(out);
}

const char *tablesrc_utf8_printable(const char *str, VSTR *out)
{
    const unsigned char *cp = (const unsigned char *) str;
    unsigned long c;
    size_t len;

    vstr_reset(out);
    while (*cp != 0) {
        if ((len = utf8_decode(cp, &c)) == 0 || c < 0x20 || c == 0x7f) {
            vstr_addch(out, '?');
            cp++;
        } else {
            vstr_addmem(out, cp, len);
            cp += len;
        }
    }
    return vstr_str(out);
}
