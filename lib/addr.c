/*
 * addr - mail address parsing, quoting, rewriting and checks; see addr.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addr.h"
#include "mem.h"
#include "msg.h"

/* ------------------------------------------------------------------ */
/* Character classes                                                  */
/* ------------------------------------------------------------------ */

static int addr_is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext, ASCII part. */
static int addr_is_atext(int c)
{
    return c != 0 && (addr_is_alnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int addr_is_ctrl(int c)
{
    return (c >= 0 && c < 32) || c == 127;
}

/* Length of the well-formed UTF-8 sequence at cp (2..4), or 0. */
static int addr_utf8_len(const unsigned char *cp)
{
    unsigned char c = cp[0];
    int n;
    int i;
    unsigned long cpoint;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cpoint = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cpoint = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cpoint = c & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((cp[i] & 0xc0) != 0x80)
            return 0;           /* also stops at the NUL */
        cpoint = (cpoint << 6) | (cp[i] & 0x3f);
    }
    if ((n == 3 && cpoint < 0x800) || (n == 4 && (cpoint < 0x10000 || cpoint > 0x10ffff))
        || (cpoint >= 0xd800 && cpoint <= 0xdfff))
        return 0;
    return n;
}

/* ------------------------------------------------------------------ */
/* Header address lists                                               */
/* ------------------------------------------------------------------ */

enum { TOK_ATOM = 256, TOK_QSTR, TOK_DLIT, TOK_COMMENT };

typedef struct ADDR_TOK {
    int type;                   /* TOK_* or the special character */
    size_t off;                 /* decoded text in the parser's buffer */
    size_t len;
} ADDR_TOK;

typedef struct ADDR_PARSER {
    const unsigned char *cp;
    const unsigned char *end;
    VSTR *text;                 /* decoded token text */
    ADDR_TOK *toks;
    size_t ntok;
    size_t cap;
    VSTR *why;
    int repaired;
    VSTR *scratch;              /* item building */
    VSTR *display;
} ADDR_PARSER;

#define ADDR_SPECIALS "()<>[]:;@\\,.\""
#define ADDR_IS_WORD(t) ((t) == TOK_ATOM || (t) == TOK_QSTR)

/* Note a repair; the first reason is kept. */
static void addr_repair(ADDR_PARSER *ps, const char *reason)
{
    if (!ps->repaired && ps->why != NULL)
        vstr_set(ps->why, reason);
    ps->repaired = 1;
}

static void addr_tok_add(ADDR_PARSER *ps, int type, size_t off)
{
    ADDR_TOK *tok;

    if (ps->ntok == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 64;
        ps->toks = mem_array_grow(ps->toks, ps->cap, sizeof(*ps->toks));
    }
    tok = &ps->toks[ps->ntok++];
    tok->type = type;
    tok->off = off;
    tok->len = vstr_len(ps->text) - off;
}

/* Read a quoted string, comment or domain literal body up to its closer. */
static int addr_tok_delimited(ADDR_PARSER *ps, int type)
{
    size_t off = vstr_len(ps->text);
    int depth = 1;
    int closer = type == TOK_QSTR ? '"' : type == TOK_COMMENT ? ')' : ']';

    if (type == TOK_DLIT)
        vstr_addch(ps->text, '[');
    for (ps->cp++; ps->cp < ps->end; ps->cp++) {
        int c = *ps->cp;

        if (c == '\\' && type != TOK_DLIT) {
            if (ps->cp + 1 >= ps->end)
                break;
            c = *++ps->cp;
            if (addr_is_ctrl(c) && c != '\t') {
                addr_repair(ps, "control character in address list");
                continue;
            }
            vstr_addch(ps->text, c);
            continue;
        }
        if (c == closer && --depth == 0)
            break;
        if (type == TOK_COMMENT && c == '(') {
            if (++depth > ADDR_COMMENT_DEPTH) {
                vstr_sprintf(ps->why, "comments nested more than %d deep", ADDR_COMMENT_DEPTH);
                return -1;
            }
        }
        if (c == '\r' || c == '\n')
            continue;           /* folded header line */
        if (addr_is_ctrl(c) && c != '\t') {
            addr_repair(ps, "control character in address list");
            continue;
        }
        if (type == TOK_DLIT && (c == ' ' || c == '\t'))
            continue;
        if (type == TOK_DLIT && c == '[') {
            addr_repair(ps, "\"[\" inside a domain literal");
            continue;
        }
        vstr_addch(ps->text, c);
    }
    if (ps->cp >= ps->end) {
        addr_repair(ps, type == TOK_QSTR ? "unterminated quoted string"
                    : type == TOK_COMMENT ? "unterminated comment" : "unterminated domain literal");
    } else {
        ps->cp++;
    }
    if (type == TOK_DLIT)
        vstr_addch(ps->text, ']');
    addr_tok_add(ps, type, off);
    return 0;
}

static int addr_tokenize(ADDR_PARSER *ps)
{
    while (ps->cp < ps->end) {
        int c = *ps->cp;
        size_t off;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ps->cp++;
        } else if (c == '"' || c == '(' || c == '[') {
            if (addr_tok_delimited(ps, c == '"' ? TOK_QSTR : c == '(' ? TOK_COMMENT : TOK_DLIT) < 0)
                return -1;
        } else if (c == ')') {
            addr_repair(ps, "unbalanced \")\"");
            ps->cp++;
        } else if (strchr("<>@,;:.", c) != NULL) {
            addr_tok_add(ps, c, vstr_len(ps->text));
            ps->cp++;
        } else if (addr_is_ctrl(c)) {
            addr_repair(ps, "control character in address list");
            ps->cp++;
        } else {
            off = vstr_len(ps->text);
            while (ps->cp < ps->end) {
                c = *ps->cp;
                if (c == '\\' && ps->cp + 1 < ps->end && !addr_is_ctrl(ps->cp[1])) {
                    vstr_addch(ps->text, ps->cp[1]);
                    ps->cp += 2;
                    continue;
                }
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n'
                    || (c != ']' && strchr(ADDR_SPECIALS, c) != NULL))
                    break;
                if (addr_is_ctrl(c)) {
                    addr_repair(ps, "control character in address list");
                    ps->cp++;
                    continue;
                }
                vstr_addch(ps->text, c);
                ps->cp++;
            }
            if (vstr_len(ps->text) == off) {
                ps->cp++;       /* a lone backslash */
                addr_repair(ps, "stray backslash in address list");
                continue;
            }
            addr_tok_add(ps, TOK_ATOM, off);
        }
    }
    return 0;
}

static const char *addr_tok_text(const ADDR_PARSER *ps, const ADDR_TOK *tok)
{
    return vstr_str(ps->text) + tok->off;
}

/* Append a phrase (display name) made of tokens [a, b). */
static void addr_phrase(ADDR_PARSER *ps, size_t a, size_t b, VSTR *out)
{
    int prev = 0;
    size_t i;

    for (i = a; i < b; i++) {
        const ADDR_TOK *tok = &ps->toks[i];

        if (ADDR_IS_WORD(tok->type) || tok->type == TOK_DLIT) {
            if (vstr_len(out) > 0 && (ADDR_IS_WORD(prev) || prev == TOK_DLIT || prev == '.'))
                vstr_addch(out, ' ');
            vstr_addmem(out, addr_tok_text(ps, tok), tok->len);
            prev = tok->type;
        } else if (tok->type == '.' || tok->type == '@') {
            vstr_addch(out, tok->type);
            prev = tok->type;
        }
    }
}

/* Build the internal form from the address tokens [a, b). */
static void addr_build(ADDR_PARSER *ps, size_t a, size_t b, VSTR *out)
{
    size_t at = b;
    size_t i;
    int prev = 0;

    vstr_reset(out);
    for (i = a; i < b; i++)
        if (ps->toks[i].type == '@')
            at = i;
    for (i = a; i < at; i++) {
        const ADDR_TOK *tok = &ps->toks[i];

        if (ADDR_IS_WORD(tok->type) || tok->type == TOK_DLIT) {
            if (ADDR_IS_WORD(prev) || prev == TOK_DLIT)
                vstr_addch(out, ' ');
            vstr_addmem(out, addr_tok_text(ps, tok), tok->len);
            prev = tok->type;
        } else if (tok->type == '.' || tok->type == '@') {
            vstr_addch(out, tok->type);
            prev = tok->type;
        }
    }
    if (at == b)
        return;
    vstr_addch(out, '@');
    for (i = at + 1; i < b; i++) {
        const ADDR_TOK *tok = &ps->toks[i];

        if (tok->type == TOK_ATOM || tok->type == TOK_DLIT || tok->type == TOK_QSTR)
            vstr_addmem(out, addr_tok_text(ps, tok), tok->len);
        else if (tok->type == '.')
            vstr_addch(out, '.');
    }
}

static int addr_list_add(ADDR_LIST *list, ADDR_PARSER *ps, const char *addr, const char *display,
                         const char *group)
{
    ADDR_ITEM *item;

    if (strlen(addr) > ADDR_MAX_LEN) {
        vstr_sprintf(ps->why, "address longer than %d bytes", ADDR_MAX_LEN);
        return -1;
    }
    if (list->count >= ADDR_LIST_MAX_ADDRS) {
        vstr_sprintf(ps->why, "more than %d addresses", ADDR_LIST_MAX_ADDRS);
        return -1;
    }
    if (list->count == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 8;
        list->items = mem_array_grow(list->items, list->cap, sizeof(*list->items));
    }
    item = &list->items[list->count++];
    item->addr = mem_strdup(addr);
    item->display = display && *display ? mem_strdup(display) : NULL;
    item->group = group ? mem_strdup(group) : NULL;
    return 0;
}

/* One list element: tokens [a, b). */
static int addr_item(ADDR_LIST *list, ADDR_PARSER *ps, size_t a, size_t b, const char *group)
{
    size_t lt;
    size_t i;
    int words = 0;
    const ADDR_TOK *comment = NULL;

    for (lt = a; lt < b && ps->toks[lt].type != '<'; lt++)
        /* void */ ;
    vstr_reset(ps->display);
    if (lt < b) {
        size_t gt;
        size_t start = lt + 1;
        int depth = 1;

        addr_phrase(ps, a, lt, ps->display);
        for (gt = lt + 1; gt < b; gt++) {
            if (ps->toks[gt].type == '<') {
                depth++;
            } else if (ps->toks[gt].type == '>' && --depth == 0) {
                break;
            }
        }
        if (gt == b)
            addr_repair(ps, "missing \">\"");
        if (depth > 1 || (gt < b && ps->toks[lt + 1].type == '<'))
            addr_repair(ps, "nested \"<\"");
        /* A source route "@a,@b:" is dropped. */
        if (start < gt && ps->toks[start].type == '@') {
            for (i = start; i < gt && ps->toks[i].type != ':'; i++)
                /* void */ ;
            if (i < gt)
                start = i + 1;
        }
        for (i = gt + 1; i < b; i++)
            if (ADDR_IS_WORD(ps->toks[i].type))
                addr_repair(ps, "text after \">\"");
        addr_build(ps, start, gt, ps->scratch);
        return addr_list_add(list, ps, vstr_str(ps->scratch), vstr_str(ps->display), group);
    }
    for (i = a; i < b; i++) {
        if (ps->toks[i].type == TOK_COMMENT)
            comment = &ps->toks[i];
        else if (ADDR_IS_WORD(ps->toks[i].type) || ps->toks[i].type == '@'
                 || ps->toks[i].type == TOK_DLIT)
            words++;
        else if (ps->toks[i].type == '>')
            addr_repair(ps, "unbalanced \">\"");
    }
    if (words == 0)
        return 0;               /* an empty element */
    if (comment != NULL) {
        vstr_addmem(ps->display, addr_tok_text(ps, comment), comment->len);
        /* Trim the comment's white space. */
        while (vstr_len(ps->display) > 0
               && strchr(" \t", vstr_str(ps->display)[vstr_len(ps->display) - 1]) != NULL)
            vstr_truncate(ps->display, vstr_len(ps->display) - 1);
    }
    addr_build(ps, a, b, ps->scratch);
    return addr_list_add(list, ps, vstr_str(ps->scratch),
                         vstr_str(ps->display) + strspn(vstr_str(ps->display), " \t"), group);
}

/*
 * Find the end of the list element that starts at token i: a ',' or ';'
 * (or a group's ':') outside <...>. When blind, angle brackets are not
 * counted: that is the second try for an element whose '<' is never closed.
 * Return the index of the separator (ntok at the end); *open is the angle
 * depth left at the end.
 */
static size_t addr_element_end(const ADDR_PARSER *ps, size_t i, int in_group, int blind, int *open)
{
    size_t j;
    int angle = 0;
    int seen = 0;

    for (j = i; j < ps->ntok; j++) {
        int type = ps->toks[j].type;

        if (type == '<') {
            if (!blind)
                angle++;
            seen = 1;
        } else if (type == '>') {
            if (angle > 0)
                angle--;
        } else if (type == '@') {
            seen = 1;
        } else if (angle == 0 && (type == ',' || type == ';')) {
            break;
        } else if (angle == 0 && type == ':' && !seen && !in_group) {
            break;
        }
    }
    *open = angle;
    return j;
}

static int addr_items(ADDR_LIST *list, ADDR_PARSER *ps)
{
    size_t i = 0;
    char *group = NULL;
    int status = 0;

    while (i < ps->ntok && status == 0) {
        size_t j;
        int open;
        int type;

        j = addr_element_end(ps, i, group != NULL, 0, &open);
        if (j == ps->ntok && open > 0) {
            /* "Joe <j@x, k@y": the '<' is never closed; end at the ','. */
            addr_repair(ps, "missing \">\"");
            j = addr_element_end(ps, i, group != NULL, 1, &open);
        }
        type = j < ps->ntok ? ps->toks[j].type : 0;
        if (j < ps->ntok && type == ':') {
            VSTR *name = vstr_new(0);

            addr_phrase(ps, i, j, name);
            group = vstr_export(name);
            i = j + 1;
            continue;
        }
        status = addr_item(list, ps, i, j, group);
        if (j < ps->ntok && type == ';') {
            if (group == NULL)
                addr_repair(ps, "\";\" outside a group");
            mem_free(group);
            group = NULL;
        }
        i = j + 1;
    }
    if (group != NULL && status == 0)
        addr_repair(ps, "group without \";\"");
    mem_free(group);
    return status;
}

ADDR_LIST *addr_list_parse(const char *text, VSTR *why)
{
    ADDR_PARSER ps;
    ADDR_LIST *list;
    size_t len = strlen(text);
    VSTR *dummy = NULL;
    int status;

    if (why == NULL)
        why = dummy = vstr_new(0);
    vstr_reset(why);
    if (len > ADDR_LIST_MAX_LEN) {
        vstr_sprintf(why, "address list longer than %d bytes", ADDR_LIST_MAX_LEN);
        if (dummy)
            vstr_free(dummy);
        return NULL;
    }
    memset(&ps, 0, sizeof(ps));
    ps.cp = (const unsigned char *) text;
    ps.end = ps.cp + len;
    ps.text = vstr_new(len + 16);
    ps.why = why;
    ps.scratch = vstr_new(64);
    ps.display = vstr_new(64);
    list = mem_calloc(1, sizeof(*list));
    status = addr_tokenize(&ps);
    if (status == 0)
        status = addr_items(list, &ps);
    list->repaired = ps.repaired;
    vstr_free(ps.text);
    vstr_free(ps.scratch);
    vstr_free(ps.display);
    mem_free(ps.toks);
    if (status != 0) {
        addr_list_free(list);
        list = NULL;
    }
    if (dummy)
        vstr_free(dummy);
    return list;
}

void addr_list_free(ADDR_LIST *list)
{
    size_t i;

    if (list == NULL)
        return;
    for (i = 0; i < list->count; i++) {
        mem_free(list->items[i].addr);
        mem_free(list->items[i].display);
        mem_free(list->items[i].group);
    }
    mem_free(list->items);
    mem_free(list);
}

/* ------------------------------------------------------------------ */
/* SMTP envelope paths                                                */
/* ------------------------------------------------------------------ */

/*
 * Copy one byte, or a UTF-8 sequence, from *cpp to out. Return NULL, or the
 * reason the byte is not allowed.
 */
static const char *addr_path_byte(const unsigned char **cpp, int flags, VSTR *out)
{
    const unsigned char *cp = *cpp;
    int n;

    if (*cp < 128) {
        if (addr_is_ctrl(*cp))
            return "control character in address";
        vstr_addch(out, *cp);
        *cpp = cp + 1;
        return NULL;
    }
    if ((flags & ADDR_FLAG_SMTPUTF8) == 0)
        return "8-bit character in address without SMTPUTF8";
    if ((n = addr_utf8_len(cp)) == 0)
        return "malformed UTF-8 in address";
    vstr_addmem(out, cp, (size_t) n);
    *cpp = cp + n;
    return NULL;
}

#define PATH_FAIL(reason) do { *err = (reason); vstr_reset(out); return -1; } while (0)

int addr_parse_path(const char *text, int flags, VSTR *out, const char **rest, const char **err)
{
    const unsigned char *cp = (const unsigned char *) text;
    const char *bad;
    int bracket;
    int quoted = 0;
    size_t dom;

    vstr_reset(out);
    while (*cp == ' ' || *cp == '\t')
        cp++;
    bracket = (*cp == '<');
    if (!bracket && (flags & ADDR_FLAG_STRICT))
        PATH_FAIL("missing \"<\"");
    if (bracket) {
        cp++;
        if (*cp == '>') {
            cp++;
            goto done;
        }
        /* Source route: "@one,@two:" is ignored. */
        if (*cp == '@') {
            size_t n = 0;

            for (;;) {
                cp++;
                while (*cp != 0 && *cp != ',' && *cp != ':' && *cp != '>' && *cp != ' '
                       && n++ < ADDR_MAX_LEN) {
                    if (!addr_is_alnum(*cp) && strchr(".-_[]", *cp) == NULL && *cp < 128)
                        PATH_FAIL("bad source route");
                    cp++;
                }
                if (*cp == ',' && cp[1] == '@') {
                    cp++;
                    continue;
                }
                if (*cp == ':')
                    break;
                PATH_FAIL("bad source route");
            }
            cp++;
        }
    }
    /* Local part: dot-string and quoted-string pieces. */
    for (;;) {
        if (vstr_len(out) > ADDR_MAX_LEN)
            PATH_FAIL("address too long");
        if (*cp == '"') {
            quoted = 1;
            for (cp++; *cp != '"'; ) {
                if (*cp == 0)
                    PATH_FAIL("unbalanced quote in address");
                if (vstr_len(out) > ADDR_MAX_LEN)
                    PATH_FAIL("address too long");
                if (*cp == '\\') {
                    cp++;
                    if (*cp == 0)
                        PATH_FAIL("unbalanced quote in address");
                }
                if ((bad = addr_path_byte(&cp, flags, out)) != NULL)
                    PATH_FAIL(bad);
            }
            cp++;
        } else if (*cp == '@' || *cp == '>' || *cp == 0 || *cp == ' ' || *cp == '\t') {
            break;
        } else if (*cp == '.' || addr_is_atext(*cp) || *cp >= 128) {
            if ((bad = addr_path_byte(&cp, flags, out)) != NULL)
                PATH_FAIL(bad);
        } else if (addr_is_ctrl(*cp)) {
            PATH_FAIL("control character in address");
        } else {
            PATH_FAIL("bad character in address");
        }
    }
    if (*cp == '@') {
        if (vstr_len(out) == 0 && !quoted)
            PATH_FAIL("empty local part in address");
        vstr_addch(out, '@');
        cp++;
        dom = vstr_len(out);
        if (*cp == '[') {
            const unsigned char *close = cp;

            while (*close != 0 && *close != ']' && close - cp < 100)
                close++;
            if (*close != ']')
                PATH_FAIL("bad address literal");
            vstr_addmem(out, cp, (size_t) (close - cp + 1));
            if (addr_valid_literal(vstr_str(out) + dom) == 0)
                PATH_FAIL("bad address literal");
            cp = close + 1;
        } else {
            while (*cp != 0 && *cp != '>' && *cp != ' ' && *cp != '\t') {
                if (vstr_len(out) - dom > ADDR_DOMAIN_MAX)
                    PATH_FAIL("domain name too long");
                if (*cp < 128 && !addr_is_alnum(*cp) && strchr(".-_", *cp) == NULL)
                    PATH_FAIL(addr_is_ctrl(*cp) ? "control character in address"
                              : "bad character in domain name");
                if ((bad = addr_path_byte(&cp, flags, out)) != NULL)
                    PATH_FAIL(bad);
            }
        }
        if (vstr_len(out) == dom)
            PATH_FAIL("empty domain in address");
        if (vstr_len(out) - dom > ADDR_DOMAIN_MAX)
            PATH_FAIL("domain name too long");
    } else if (vstr_len(out) == 0) {
        /* Not even <""> : that would pass for the null sender. */
        PATH_FAIL(bracket || quoted ? "bad address syntax" : "empty address");
    }
    if (vstr_len(out) > ADDR_MAX_LEN)
        PATH_FAIL("address too long");
    if (bracket) {
        if (*cp != '>')
            PATH_FAIL("missing \">\"");
        cp++;
    }
done:
    if (*cp != 0 && *cp != ' ' && *cp != '\t')
        PATH_FAIL("garbage after address");
    if (rest != NULL)
        *rest = (const char *) cp;
    *err = NULL;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Internal and external forms                                        */
/* ------------------------------------------------------------------ */

static int addr_local_needs_quote(const char *local, size_t len)
{
    size_t i;

    if (len == 0 || local[0] == '.' || local[len - 1] == '.')
        return 1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) local[i];

        if (c == '.') {
            if (local[i + 1] == '.')
                return 1;
        } else if (c < 128 && !addr_is_atext(c)) {
            return 1;
        }
    }
    return 0;
}

void addr_quote(VSTR *out, const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t len = at ? (size_t) (at - addr) : strlen(addr);
    size_t i;

    vstr_reset(out);
    if (*addr == 0)
        return;
    if (addr_local_needs_quote(addr, len)) {
        vstr_addch(out, '"');
        for (i = 0; i < len; i++) {
            if (addr[i] == '"' || addr[i] == '\\')
                vstr_addch(out, '\\');
            vstr_addch(out, addr[i]);
        }
        vstr_addch(out, '"');
    } else {
        vstr_addmem(out, addr, len);
    }
    if (at != NULL)
        vstr_adds(out, at);
}

const char *addr_find_at(const char *ext)
{
    const char *last = NULL;
    int in_quote = 0;
    const char *cp;

    for (cp = ext; *cp != 0; cp++) {
        if (*cp == '\\') {
            if (cp[1] == 0)
                break;
            cp++;
        } else if (*cp == '"') {
            in_quote = !in_quote;
        } else if (*cp == '@' && !in_quote) {
            last = cp;
        }
    }
    return last;
}

int addr_unquote(VSTR *out, const char *ext)
{
    const char *at = addr_find_at(ext);
    const char *end = at ? at : ext + strlen(ext);
    const char *cp;
    int in_quote = 0;

    vstr_reset(out);
    for (cp = ext; cp < end; cp++) {
        if (*cp == '\\' && cp + 1 < end) {
            vstr_addch(out, *++cp);
        } else if (*cp == '"') {
            in_quote = !in_quote;
        } else {
            vstr_addch(out, *cp);
        }
    }
    if (at != NULL)
        vstr_adds(out, at);
    return in_quote ? -1 : 0;
}

void addr_fold_domain(char *addr)
{
    char *cp = strrchr(addr, '@');

    if (cp == NULL)
        return;
    for (cp++; *cp != 0; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp = (char) (*cp - 'A' + 'a');
}

/* ------------------------------------------------------------------ */
/* Rewriting helpers                                                  */
/* ------------------------------------------------------------------ */

int addr_append_origin(VSTR *out, const char *addr, const char *origin)
{
    vstr_set(out, addr);
    if (*addr == 0 || origin == NULL || *origin == 0 || strchr(addr, '@') != NULL)
        return 0;
    vstr_addch(out, '@');
    vstr_adds(out, origin);
    return 1;
}

int addr_append_dot_mydomain(VSTR *out, const char *addr, const char *mydomain)
{
    const char *at = strrchr(addr, '@');

    vstr_set(out, addr);
    if (at == NULL || at[1] == 0 || at[1] == '[' || strchr(at + 1, '.') != NULL
        || mydomain == NULL || *mydomain == 0)
        return 0;
    vstr_addch(out, '.');
    vstr_adds(out, mydomain);
    return 1;
}

int addr_split_ext(const char *addr, const char *delims, VSTR *base, VSTR *ext)
{
    const char *at = strrchr(addr, '@');
    size_t len = at ? (size_t) (at - addr) : strlen(addr);
    size_t pos;

    vstr_set(base, addr);
    vstr_reset(ext);
    if (delims == NULL || *delims == 0 || len == 0 || strchr(delims, addr[0]) != NULL)
        return 0;
    if ((len == 10 && strncasecmp(addr, "postmaster", 10) == 0)
        || (len == 13 && strncasecmp(addr, "mailer-daemon", 13) == 0))
        return 0;
    for (pos = 1; pos < len && strchr(delims, addr[pos]) == NULL; pos++)
        /* void */ ;
    if (pos >= len)
        return 0;
    if (addr[pos] == '-'
        && ((pos == 5 && strncasecmp(addr, "owner", 5) == 0)
            || (len - pos - 1 == 7 && strncasecmp(addr + pos + 1, "request", 7) == 0)))
        return 0;
    vstr_reset(base);
    vstr_addmem(base, addr, pos);
    if (at != NULL)
        vstr_adds(base, at);
    vstr_addmem(ext, addr + pos + 1, len - pos - 1);
    return (unsigned char) addr[pos];
}

/* ------------------------------------------------------------------ */
/* Domain checks                                                      */
/* ------------------------------------------------------------------ */

int addr_valid_hostname(const char *name, int flags)
{
    const unsigned char *cp = (const unsigned char *) name;
    size_t len = strlen(name);
    size_t label = 0;
    int non_numeric = 0;
    int prev = 0;

    if (len == 0 || len > ADDR_DOMAIN_MAX)
        return 0;
    while (*cp != 0) {
        int n = 1;

        if (*cp == '.') {
            if (label == 0 || prev == '-')
                return 0;
            label = 0;
            prev = '.';
            cp++;
            continue;
        }
        if (*cp == '-') {
            if (label == 0)
                return 0;
        } else if (*cp >= 128) {
            if ((flags & ADDR_FLAG_SMTPUTF8) == 0 || (n = addr_utf8_len(cp)) == 0)
                return 0;
        } else if (!addr_is_alnum(*cp) && *cp != '_') {
            return 0;
        }
        if (*cp < '0' || *cp > '9')
            non_numeric = 1;
        label += (size_t) n;
        if (label > ADDR_LABEL_MAX)
            return 0;
        prev = *cp;
        cp += n;
    }
    return label > 0 && prev != '-' && non_numeric;
}

int addr_valid_literal(const char *text)
{
    char buf[INET6_ADDRSTRLEN + 8];
    unsigned char bytes[16];
    size_t len = strlen(text);

    if (len < 3 || len >= sizeof(buf) || text[0] != '[' || text[len - 1] != ']')
        return 0;
    memcpy(buf, text + 1, len - 2);
    buf[len - 2] = 0;
    if (strncasecmp(buf, "IPv6:", 5) == 0)
        return inet_pton(AF_INET6, buf + 5, bytes) == 1 ? AF_INET6 : 0;
    return inet_pton(AF_INET, buf, bytes) == 1 ? AF_INET : 0;
}

int addr_check_domain(const char *domain, int flags)
{
    if (*domain == '[')
        return addr_valid_literal(domain) ? ADDR_DOMAIN_OK : ADDR_DOMAIN_INVALID;
    if (!addr_valid_hostname(domain, flags))
        return ADDR_DOMAIN_INVALID;
    return strchr(domain, '.') != NULL ? ADDR_DOMAIN_OK : ADDR_DOMAIN_NON_FQDN;
}

int addr_check_helo(const char *helo, int flags)
{
    char buf[ADDR_DOMAIN_MAX + 2];
    unsigned char bytes[16];
    size_t len = strlen(helo);

    if (len == 0 || len >= sizeof(buf))
        return ADDR_DOMAIN_INVALID;
    memcpy(buf, helo, len + 1);
    if (len > 1 && buf[len - 1] == '.' && buf[len - 2] != '.')
        buf[len - 1] = 0;       /* one trailing dot: the root */
    if (inet_pton(AF_INET, buf, bytes) == 1 || inet_pton(AF_INET6, buf, bytes) == 1)
        return ADDR_DOMAIN_OK;
    return addr_check_domain(buf, flags);
}

int addr_check_address(const char *addr, int flags)
{
    const char *at;

    if (*addr == 0)
        return ADDR_DOMAIN_OK;
    if ((at = strrchr(addr, '@')) == NULL)
        return ADDR_DOMAIN_NON_FQDN;
    if (at[1] == 0)
        return ADDR_DOMAIN_INVALID;
    return addr_check_domain(at + 1, flags);
}
