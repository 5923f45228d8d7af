/*
 * cleanup_mime - MIME structure helpers (see cleanup_mime.h).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup_mime.h"

static const char *mime_skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Find parameter "name=" (case-insensitive) after the first ';'. */
static int mime_param(const char *p, const char *name, VSTR *out)
{
    size_t nlen = strlen(name);

    vstr_reset(out);
    while ((p = strchr(p, ';')) != NULL) {
        p = mime_skip_space(p + 1);
        if (strncasecmp(p, name, nlen) != 0)
            continue;
        p = mime_skip_space(p + nlen);
        if (*p != '=')
            continue;
        p = mime_skip_space(p + 1);
        if (*p == '"') {
            for (p++; *p != 0 && *p != '"'; p++) {
                if (*p == '\\' && p[1] != 0)
                    p++;
                if (vstr_len(out) > CLEANUP_MIME_BOUNDARY_MAX)
                    return 0;
                vstr_addch(out, *p);
            }
        } else {
            for (; *p != 0 && *p != ';' && !isspace((unsigned char) *p); p++) {
                if (vstr_len(out) > CLEANUP_MIME_BOUNDARY_MAX)
                    return 0;
                vstr_addch(out, *p);
            }
        }
        return vstr_len(out) > 0 && vstr_len(out) <= CLEANUP_MIME_BOUNDARY_MAX;
    }
    return 0;
}

int cleanup_mime_content_type(const char *header, VSTR *boundary)
{
    const char *p = strchr(header, ':');

    if (p == NULL)
        return CLEANUP_MIME_OTHER;
    p = mime_skip_space(p + 1);
    if (strncasecmp(p, "multipart/", 10) == 0)
        return mime_param(p, "boundary", boundary) ? CLEANUP_MIME_MULTIPART : CLEANUP_MIME_OTHER;
    if (strncasecmp(p, "message/rfc822", 14) == 0
        && (p[14] == 0 || p[14] == ';' || isspace((unsigned char) p[14])))
        return CLEANUP_MIME_MESSAGE;
    return CLEANUP_MIME_OTHER;
}

int cleanup_mime_boundary_line(const char *line, size_t len, const ARGV *stack)
{
    size_t i, blen, rest;

    if (len < 3 || line[0] != '-' || line[1] != '-')
        return 0;
    for (i = stack->argc; i-- > 0;) {
        blen = strlen(stack->argv[i]);
        if (len < 2 + blen || memcmp(line + 2, stack->argv[i], blen) != 0)
            continue;
        /* Trailing white space after a boundary is allowed (RFC 2046). */
        rest = 2 + blen;
        if (rest + 2 <= len && line[rest] == '-' && line[rest + 1] == '-') {
            size_t j;

            for (j = rest + 2; j < len && (line[j] == ' ' || line[j] == '\t'); j++)
                /* skip */;
            if (j == len)
                return -(int) (i + 1);
        }
        for (; rest < len && (line[rest] == ' ' || line[rest] == '\t'); rest++)
            /* skip */;
        if (rest == len)
            return (int) (i + 1);
    }
    return 0;
}
