/* mimescan - message headers and body lines, MIME-aware; see mimescan.h. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mimescan.h"
#include "vstr.h"

enum { IN_HEADERS, IN_BODY };
enum { TYPE_OTHER, TYPE_MULTIPART, TYPE_MESSAGE };

struct MIMESCAN {
    int mime;                   /* parse MIME at all */
    int state;                  /* IN_HEADERS or IN_BODY */
    int kind;                   /* MIMESCAN_PRIMARY, _MIME, _NESTED: the current header block */
    int have_header;            /* a header is being collected */
    VSTR *header;               /* its first MIMESCAN_HEADER_MAX bytes */
    int type;                   /* TYPE_*: what the current block's Content-Type said */
    VSTR *boundary;             /* TYPE_MULTIPART: its boundary */
    char *stack[MIMESCAN_DEPTH_MAX]; /* open boundaries, outermost first */
    int depth;
};

MIMESCAN *mimescan_new(int mime)
{
    MIMESCAN *m = mem_calloc(1, sizeof(*m));

    m->mime = mime;
    m->state = IN_HEADERS;
    m->kind = MIMESCAN_PRIMARY;
    m->header = vstr_new(128);
    m->boundary = vstr_new(64);
    return m;
}

void mimescan_free(MIMESCAN *m)
{
    while (m->depth > 0)
        mem_free(m->stack[--m->depth]);
    vstr_free(m->header);
    vstr_free(m->boundary);
    mem_free(m);
}

int mimescan_kind(const MIMESCAN *m)
{
    return m->kind;
}

/* "Name:" at the start of a line: printable characters but ':' and space. */
static int header_line(const char *line)
{
    const char *cp;

    for (cp = line; *cp > ' ' && *cp < 127 && *cp != ':'; cp++)
        ;
    if (cp == line)
        return 0;
    cp += strspn(cp, " \t");
    return *cp == ':';
}

/* Skip white space, line breaks and (nested) comments. */
static const char *skip_cfws(const char *cp)
{
    int level;

    for (;;) {
        cp += strspn(cp, " \t\r\n");
        if (*cp != '(')
            return cp;
        for (level = 0; *cp; cp++) {
            if (*cp == '\\' && cp[1])
                cp++;
            else if (*cp == '(')
                level++;
            else if (*cp == ')' && --level == 0) {
                cp++;
                break;
            }
        }
    }
}

/* A token or quoted string at cp into out; returns where it ends. */
static const char *mime_value(const char *cp, VSTR *out)
{
    vstr_reset(out);
    if (*cp == '"') {
        for (cp++; *cp && *cp != '"'; cp++) {
            if (*cp == '\\' && cp[1])
                cp++;
            vstr_addch(out, *cp);
        }
        return *cp ? cp + 1 : cp;
    }
    for (; *cp && !strchr(" \t\r\n;()<>@,:\\\"/[]?=", *cp); cp++)
        vstr_addch(out, *cp);
    return cp;
}

/* A complete header of the current block: remember what a Content-Type says. */
static void header_done(MIMESCAN *m)
{
    const char *cp = vstr_str(m->header);
    VSTR *name;

    m->have_header = 0;
    if (strncasecmp(cp, "content-type", 12) != 0)
        return;
    cp = skip_cfws(cp + 12);
    if (*cp != ':')
        return;
    cp = skip_cfws(cp + 1);
    m->type = TYPE_OTHER;
    if (strncasecmp(cp, "message/rfc822", 14) == 0 && !isalnum((unsigned char) cp[14])
        && cp[14] != '-') {
        m->type = TYPE_MESSAGE;
        return;
    }
    if (strncasecmp(cp, "multipart/", 10) != 0)
        return;
    name = vstr_new(32);
    /* Parameters: "; name=value" pairs after the subtype. */
    while ((cp = strchr(cp, ';')) != NULL) {
        cp = skip_cfws(mime_value(skip_cfws(cp + 1), name));
        if (*cp != '=')
            continue;
        cp = mime_value(skip_cfws(cp + 1), m->boundary);
        if (strcasecmp(vstr_str(name), "boundary") == 0) {
            if (vstr_len(m->boundary) > 0 && vstr_len(m->boundary) <= MIMESCAN_BOUNDARY_MAX)
                m->type = TYPE_MULTIPART;
            break;
        }
    }
    vstr_free(name);
}

/* The block's headers are over: what follows? */
static void headers_done(MIMESCAN *m)
{
    m->state = IN_BODY;
    if (m->type == TYPE_MULTIPART && m->depth < MIMESCAN_DEPTH_MAX) {
        m->stack[m->depth++] = mem_strdup(vstr_str(m->boundary));
    } else if (m->type == TYPE_MESSAGE) {
        m->state = IN_HEADERS;
        m->kind = MIMESCAN_NESTED;
    }
    m->type = TYPE_OTHER;
}

/* A body line "--boundary" or "--boundary--" of an open multipart. */
static void body_line(MIMESCAN *m, const char *line)
{
    int i;
    size_t len;

    if (line[0] != '-' || line[1] != '-')
        return;
    for (i = m->depth - 1; i >= 0; i--) {
        len = strlen(m->stack[i]);
        if (strncmp(line + 2, m->stack[i], len) != 0)
            continue;
        /* Parts opened inside this one end here too. */
        while (m->depth > i + 1)
            mem_free(m->stack[--m->depth]);
        if (line[2 + len] == '-' && line[3 + len] == '-') {
            mem_free(m->stack[--m->depth]);
        } else {
            m->state = IN_HEADERS;
            m->kind = MIMESCAN_MIME;
            m->type = TYPE_OTHER;
        }
        return;
    }
}

int mimescan_line(MIMESCAN *m, const char *line)
{
    size_t room;

    if (m->state == IN_HEADERS) {
        if (m->have_header && (*line == ' ' || *line == '\t')) {
            room = MIMESCAN_HEADER_MAX - vstr_len(m->header);
            if (room > 0) {
                vstr_addch(m->header, '\n');
                vstr_addmem(m->header, line, strnlen(line, room - 1));
            }
            return MIMESCAN_CONT;
        }
        if (m->have_header)
            header_done(m);
        if (header_line(line)) {
            vstr_reset(m->header);
            vstr_addmem(m->header, line, strnlen(line, MIMESCAN_HEADER_MAX));
            m->have_header = 1;
            return MIMESCAN_HEADER;
        }
        if (!m->mime) {
            m->state = IN_BODY;
            return MIMESCAN_END;
        }
        /* The line that ends the headers may itself be a boundary line. */
        headers_done(m);
        if (m->state == IN_BODY)
            body_line(m, line);
        return MIMESCAN_END;
    }
    if (m->mime)
        body_line(m, line);
    return MIMESCAN_BODY;
}
