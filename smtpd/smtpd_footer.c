/*
 * smtpd_footer - smtpd_reject_footer expansion (see smtpd_footer.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../lib/argv.h"
#include "../lib/msg.h"
#include "smtpd_footer.h"

#define FOOTER_NAME_MAX 100

void smtpd_footer_filter(SMTPD_FOOTER_FILTER *filter, const char *spec)
{
    const char *cp = spec;

    memset(filter->allow, 0, sizeof(filter->allow));
    while (*cp) {
        unsigned char c = (unsigned char) *cp++;

        if (c == '\\' && *cp) {
            c = (unsigned char) *cp++;
            switch (c) {
            case 'a': c = '\a'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'v': c = '\v'; break;
            default:
                if (c >= '0' && c <= '7') {
                    unsigned v = (unsigned) (c - '0');
                    int k;

                    for (k = 0; k < 2 && *cp >= '0' && *cp <= '7'; k++)
                        v = v * 8 + (unsigned) (*cp++ - '0');
                    c = (unsigned char) (v & 0xff);
                }
                break;
            }
        }
        filter->allow[c] = 1;
    }
}

/* The length of a valid enhanced status code at s ("5.1.1"), else 0. */
static size_t footer_dsn_len(const char *s)
{
    size_t n = 0, k;
    int part;

    if (s[0] != '2' && s[0] != '4' && s[0] != '5')
        return 0;
    n = 1;
    for (part = 0; part < 2; part++) {
        if (s[n] != '.')
            return 0;
        n++;
        for (k = 0; k < 3 && isdigit((unsigned char) s[n]); k++)
            n++;
        if (k == 0)
            return 0;
    }
    return (s[n] == ' ' || s[n] == 0) ? n : 0;
}

static void footer_add_value(VSTR *line, const char *value, const SMTPD_FOOTER_FILTER *filter)
{
    for (; *value; value++) {
        unsigned char c = (unsigned char) *value;

        vstr_addch(line, filter->allow[c] ? c : '_');
    }
}

/* Expand one template line [p, end) and append it to line. */
static void footer_expand(VSTR *line, const char *p, const char *end,
                          const SMTPD_FOOTER_FILTER *filter, SMTPD_FOOTER_LOOKUP lookup, void *ctx)
{
    char name[FOOTER_NAME_MAX + 1];

    while (p < end) {
        const char *start, *stop, *value, *alt = NULL;
        char op = 0;
        size_t n;

        if (*p != '$' || p + 1 >= end) {
            vstr_addch(line, *p++);
            continue;
        }
        if (p[1] == '$') {
            vstr_addch(line, '$');
            p += 2;
            continue;
        }
        if (p[1] == '{' || p[1] == '(') {
            char close = p[1] == '{' ? '}' : ')';

            start = p + 2;
            for (stop = start; stop < end && *stop != close; stop++)
                continue;
            if (stop >= end) {
                vstr_addch(line, *p++);
                continue;
            }
            p = stop + 1;
            for (n = 0; start + n < stop && (isalnum((unsigned char) start[n]) || start[n] == '_');
                 n++)
                continue;
            if (start + n < stop && (start[n] == '?' || start[n] == ':')) {
                op = start[n];
                alt = start + n + 1;
            }
            stop = start + n;
        } else {
            start = p + 1;
            stop = start;
            while (stop < end && (isalnum((unsigned char) *stop) || *stop == '_'))
                stop++;
            if (stop == start) {
                vstr_addch(line, *p++);
                continue;
            }
            p = stop;
        }
        n = (size_t) (stop - start);
        if (n > FOOTER_NAME_MAX)
            n = FOOTER_NAME_MAX;
        memcpy(name, start, n);
        name[n] = 0;
        if ((value = lookup(name, ctx)) == NULL) {
            msg_warn("unknown macro name \"%s\" in expansion request", name);
            value = "";
        }
        if (op == '?') {
            if (*value)
                vstr_addmem(line, alt, (size_t) (p - 1 - alt));
        } else if (op == ':') {
            if (*value == 0)
                vstr_addmem(line, alt, (size_t) (p - 1 - alt));
        } else {
            footer_add_value(line, value, filter);
        }
    }
}

int smtpd_footer_apply(VSTR *out, const char *reply, const char *tmpl,
                       const SMTPD_FOOTER_FILTER *filter, SMTPD_FOOTER_LOOKUP lookup, void *ctx)
{
    ARGV *lines;
    VSTR *line;
    const char *p, *end, *nl, *text;
    size_t dsn, i, total = 0;
    char code[4];

    vstr_reset(out);
    if (*tmpl == 0 || (reply[0] != '4' && reply[0] != '5')
        || !isdigit((unsigned char) reply[1]) || !isdigit((unsigned char) reply[2])
        || (reply[3] != ' ' && reply[3] != '-' && reply[3] != 0))
        return -1;
    memcpy(code, reply, 3);
    code[3] = 0;
    text = reply[3] ? reply + 4 : "";
    dsn = footer_dsn_len(text);
    lines = argv_new();
    line = vstr_new(256);
    vstr_set(line, text);
    p = tmpl;
    end = tmpl + strlen(tmpl);
    if (strncmp(p, "\\c", 2) == 0) {
        p += 2;
    } else {
        argv_add(lines, vstr_str(line));
        vstr_reset(line);
        if (dsn > 0) {
            vstr_addmem(line, text, dsn);
            vstr_addch(line, ' ');
        }
    }
    for (;;) {
        size_t before = vstr_len(line);

        nl = strstr(p, "\\n");
        if (nl == NULL)
            nl = end;
        footer_expand(line, p, nl, filter, lookup, ctx);
        total += vstr_len(line) - before;
        if (total > SMTPD_FOOTER_MAX)
            vstr_truncate(line, vstr_len(line) - (total - SMTPD_FOOTER_MAX));
        argv_add(lines, vstr_str(line));
        if (nl == end || total >= SMTPD_FOOTER_MAX || lines->argc > SMTPD_FOOTER_LINES)
            break;
        p = nl + 2;
        vstr_reset(line);
        if (dsn > 0) {
            vstr_addmem(line, text, dsn);
            vstr_addch(line, ' ');
        }
    }
    for (i = 0; i < lines->argc; i++)
        vstr_printf(out, "%s%c%s\r\n", code, i + 1 < lines->argc ? '-' : ' ', lines->argv[i]);
    argv_free(lines);
    vstr_free(line);
    return 0;
}
