/*
 * smtp_mime - the 8BITMIME downgrade; see smtp_mime.h.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "smtp_mime.h"
#include "vstr.h"

#define QP_LINE 76 /* RFC 2045: encoded lines of at most 76 characters */

enum { ST_HEADER, ST_BODY };

struct SMTP_MIME {
    SMTP_MIME_OUT out;
    void *ctx;
    int state;
    int convert;             /* this part's body goes out quoted-printable */
    int hdr_over;            /* the header block was too big: passed on as is */
    int long_line;           /* the current line was passed on in part */
    VSTR *line;              /* the line being assembled */
    VSTR *hdr;               /* this part's header lines, each ended by '\n' */
    VSTR *qp;                /* an encoded output line */
    char *bound[SMTP_MIME_DEPTH];
    int depth;
    int next_is_message;     /* the part after this header block is message/rfc822 */
};

SMTP_MIME *smtp_mime_new(SMTP_MIME_OUT out, void *ctx)
{
    SMTP_MIME *m = mem_alloc(sizeof(*m));

    memset(m, 0, sizeof(*m));
    m->out = out;
    m->ctx = ctx;
    m->state = ST_HEADER;
    m->line = vstr_new(0);
    m->hdr = vstr_new(0);
    m->qp = vstr_new(0);
    return m;
}

void smtp_mime_free(SMTP_MIME *m)
{
    int i;

    if (m == NULL)
        return;
    for (i = 0; i < m->depth; i++)
        mem_free(m->bound[i]);
    vstr_free(m->line);
    vstr_free(m->hdr);
    vstr_free(m->qp);
    mem_free(m);
}

/* mime_unfold - header i of the block (name at hdr[off]) unfolded into out; the end */
static size_t mime_unfold(const char *h, size_t len, size_t off, VSTR *out)
{
    size_t e;

    vstr_reset(out);
    for (;;) {
        const char *nl = memchr(h + off, '\n', len - off);
        e = nl ? (size_t) (nl - h) : len;
        vstr_addmem(out, h + off, e - off);
        off = e < len ? e + 1 : len;
        if (off >= len || (h[off] != ' ' && h[off] != '\t'))
            return off;
        vstr_addch(out, ' ');
    }
}

static int mime_is(const char *hdr, const char *name)
{
    size_t n = strlen(name);

    return strncasecmp(hdr, name, n) == 0 && (hdr[n] == ':' || hdr[n] == ' ' || hdr[n] == '\t');
}

static const char *mime_value(const char *hdr)
{
    const char *p = strchr(hdr, ':');

    if (p == NULL)
        return "";
    for (p++; *p == ' ' || *p == '\t'; p++)
        ;
    return p;
}

/* mime_boundary - the boundary parameter of a Content-Type value, into out */
static int mime_boundary(const char *v, VSTR *out)
{
    const char *p = v;

    vstr_reset(out);
    while ((p = strchr(p, ';')) != NULL) {
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        if (strncasecmp(p, "boundary", 8) != 0)
            continue;
        p += 8;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=')
            continue;
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        if (*p == '"') {
            const char *e = strchr(++p, '"');
            if (e == NULL)
                return 0;
            vstr_addmem(out, p, (size_t) (e - p));
        } else {
            size_t n = strcspn(p, " \t;");
            vstr_addmem(out, p, n);
        }
        return vstr_len(out) > 0 && vstr_len(out) <= SMTP_MIME_BOUNDARY_MAX;
    }
    return 0;
}

/* mime_header_end - the header block is complete: decide, then pass it on */
static void mime_header_end(SMTP_MIME *m)
{
    const char *h = vstr_str(m->hdr);
    size_t len = vstr_len(m->hdr), off = 0, next;
    VSTR *one = vstr_new(0), *b = vstr_new(0);
    int multipart = 0, message = 0, eightbit = 0, have_b = 0;

    for (off = 0; off < len; off = next) {
        next = mime_unfold(h, len, off, one);
        if (mime_is(vstr_str(one), "Content-Type")) {
            const char *v = mime_value(vstr_str(one));
            multipart = strncasecmp(v, "multipart/", 10) == 0;
            message = strncasecmp(v, "message/rfc822", 14) == 0;
            have_b = multipart && mime_boundary(v, b);
        } else if (mime_is(vstr_str(one), "Content-Transfer-Encoding")) {
            const char *v = mime_value(vstr_str(one));
            eightbit = strncasecmp(v, "8bit", 4) == 0 || strncasecmp(v, "binary", 6) == 0;
        }
    }
    m->convert = !multipart && !message && eightbit;
    for (off = 0; off < len; off = next) {
        size_t s = off;
        next = mime_unfold(h, len, off, one);
        if (m->convert && mime_is(vstr_str(one), "Content-Transfer-Encoding")) {
            static const char qp[] = "Content-Transfer-Encoding: quoted-printable";
            m->out(m->ctx, qp, sizeof(qp) - 1, 1);
            continue;
        }
        /* pass the original lines on */
        while (s < next) {
            const char *nl = memchr(h + s, '\n', next - s);
            size_t e = nl ? (size_t) (nl - h) : next;
            m->out(m->ctx, h + s, e - s, 1);
            s = e + 1;
        }
    }
    if (have_b && m->depth < SMTP_MIME_DEPTH)
        m->bound[m->depth++] = mem_strdup(vstr_str(b));
    m->next_is_message = message;
    vstr_reset(m->hdr);
    vstr_free(one);
    vstr_free(b);
}

/* mime_qp - encode a piece of a body line */
static void mime_qp(SMTP_MIME *m, const char *data, size_t len, int eol)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    char enc[3];
    size_t n;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) data[i];
        int last = eol && i + 1 == len;

        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
            enc[0] = (char) c;
            n = 1;
        } else {
            enc[0] = '=', enc[1] = hex[c >> 4], enc[2] = hex[c & 15];
            n = 3;
        }
        /* a soft line break keeps encoded lines within QP_LINE with the '=' */
        if (vstr_len(m->qp) + n > QP_LINE - 1 && !(last && vstr_len(m->qp) + n <= QP_LINE)) {
            vstr_addch(m->qp, '=');
            m->out(m->ctx, vstr_str(m->qp), vstr_len(m->qp), 1);
            vstr_reset(m->qp);
        }
        vstr_addmem(m->qp, enc, n);
    }
    if (eol) {
        m->out(m->ctx, vstr_str(m->qp), vstr_len(m->qp), 1);
        vstr_reset(m->qp);
    }
}

/* mime_is_boundary - 1: "--B", 2: "--B--" for a boundary on the stack (*level) */
static int mime_is_boundary(SMTP_MIME *m, const char *l, size_t len, int *level)
{
    int i;

    if (len < 3 || l[0] != '-' || l[1] != '-')
        return 0;
    while (len > 2 && (l[len - 1] == ' ' || l[len - 1] == '\t'))
        len--;
    for (i = m->depth - 1; i >= 0; i--) {
        size_t bl = strlen(m->bound[i]);
        if (len < bl + 2 || memcmp(l + 2, m->bound[i], bl) != 0)
            continue;
        *level = i;
        if (len == bl + 2)
            return 1;
        if (len == bl + 4 && l[bl + 2] == '-' && l[bl + 3] == '-')
            return 2;
    }
    return 0;
}

/* mime_piece - a whole line (eol, first) or a piece of a long one */
static void mime_piece(SMTP_MIME *m, const char *data, size_t len, int eol, int first)
{
    int level, b;

    if (m->state == ST_HEADER) {
        if (first && eol && len == 0) {
            mime_header_end(m);
            m->out(m->ctx, "", 0, 1);
            m->state = ST_BODY;
            if (m->next_is_message) {
                m->next_is_message = 0;
                m->state = ST_HEADER;
            }
            return;
        }
        if (first && eol && vstr_len(m->hdr) == 0 && len > 0 && data[0] != ' ' &&
            data[0] != '\t' && memchr(data, ':', len) == NULL && m->depth > 0) {
            /* not a header: a part without headers */
            mime_header_end(m);
            m->state = ST_BODY;
        } else if (vstr_len(m->hdr) + len + 1 > SMTP_MIME_HDR_MAX) {
            /* too big to look at: pass on as is, do not convert this part */
            {
                const char *h = vstr_str(m->hdr);
                size_t hl = vstr_len(m->hdr), s = 0;
                while (s < hl) {
                    const char *nl = memchr(h + s, '\n', hl - s);
                    size_t e = nl ? (size_t) (nl - h) : hl;
                    m->out(m->ctx, h + s, e - s, nl != NULL);
                    s = e + 1;
                }
            }
            vstr_reset(m->hdr);
            m->convert = 0;
            m->state = ST_BODY;
            m->out(m->ctx, data, len, eol);
            return;
        } else {
            vstr_addmem(m->hdr, data, len);
            if (eol)
                vstr_addch(m->hdr, '\n');
            return;
        }
    }
    if (first && eol && (b = mime_is_boundary(m, data, len, &level)) != 0) {
        m->out(m->ctx, data, len, 1);
        while (m->depth > level + 1)
            mem_free(m->bound[--m->depth]);
        if (b == 1)
            m->state = ST_HEADER;
        else {
            mem_free(m->bound[--m->depth]);
            m->state = ST_BODY; /* the epilogue */
        }
        m->convert = 0;
        return;
    }
    if (m->convert)
        mime_qp(m, data, len, eol);
    else
        m->out(m->ctx, data, len, eol);
}

void smtp_mime_input(SMTP_MIME *m, const char *data, size_t len, int eol)
{
    if (m->long_line) {
        mime_piece(m, data, len, eol, 0);
        if (eol)
            m->long_line = 0;
        return;
    }
    vstr_addmem(m->line, data, len);
    if (eol) {
        mime_piece(m, vstr_str(m->line), vstr_len(m->line), 1, 1);
        vstr_reset(m->line);
    } else if (vstr_len(m->line) > SMTP_MIME_LINE_MAX) {
        mime_piece(m, vstr_str(m->line), vstr_len(m->line), 0, 1);
        vstr_reset(m->line);
        m->long_line = 1;
    }
}

void smtp_mime_finish(SMTP_MIME *m)
{
    if (vstr_len(m->line) > 0 || m->long_line) {
        mime_piece(m, vstr_str(m->line), vstr_len(m->line), 1, !m->long_line);
        vstr_reset(m->line);
        m->long_line = 0;
    }
    if (m->state == ST_HEADER && vstr_len(m->hdr) > 0)
        mime_header_end(m);
    if (vstr_len(m->qp) > 0) {
        m->out(m->ctx, vstr_str(m->qp), vstr_len(m->qp), 1);
        vstr_reset(m->qp);
    }
}
