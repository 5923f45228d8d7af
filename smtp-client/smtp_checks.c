/*
 * smtp_checks - smtp_header_checks and smtp_body_checks; see smtp_checks.h.
 */
#include "config.h"

#include <string.h>

#include "check_action.h"
#include "mem.h"
#include "msg.h"
#include "smtp_checks.h"
#include "smtp_generic.h"
#include "strutil.h"
#include "vstr.h"

enum { CK_NONE, CK_DUNNO, CK_IGNORE, CK_REPLACE, CK_PREPEND, CK_WARN, CK_INFO, CK_UNKNOWN, CK_OTHER };

struct SMTP_CHECKS {
    TABLE **hdr, **body, **gen;
    size_t nhdr, nbody, ngen;
    char *queue_id;
    SMTP_MIME_OUT out;
    void *ctx;
    int in_header;
    int hdr_over;           /* the held header grew too big: passing through */
    int long_line;          /* the body line is passing through in pieces */
    VSTR *held;             /* the logical header being assembled ("\n" between lines) */
    VSTR *line;             /* the body line being assembled */
};

SMTP_CHECKS *smtp_checks_new(TABLE **hdr, size_t nhdr, TABLE **body, size_t nbody,
                             TABLE **gen, size_t ngen, const char *queue_id, SMTP_MIME_OUT out, void *ctx)
{
    SMTP_CHECKS *c = mem_alloc(sizeof(*c));

    memset(c, 0, sizeof(*c));
    c->hdr = hdr, c->nhdr = nhdr, c->body = body, c->nbody = nbody;
    c->gen = gen, c->ngen = ngen;
    c->queue_id = mem_strdup(queue_id);
    c->out = out;
    c->ctx = ctx;
    c->in_header = 1;
    c->held = vstr_new(0);
    c->line = vstr_new(0);
    return c;
}

void smtp_checks_free(SMTP_CHECKS *c)
{
    if (c == NULL)
        return;
    mem_free(c->queue_id);
    vstr_free(c->held);
    vstr_free(c->line);
    mem_free(c);
}

/* ck_action - what this client does with a parsed action (check_action.h) */
static int ck_action(const CHECK_ACTION *a)
{
    switch (a->action) {
    case CHECK_ACT_DUNNO:
    case CHECK_ACT_OK:
        return CK_DUNNO;
    case CHECK_ACT_IGNORE:
        return CK_IGNORE;
    case CHECK_ACT_REPLACE:
        return CK_REPLACE;
    case CHECK_ACT_PREPEND:
        return CK_PREPEND;
    case CHECK_ACT_WARN:
        return CK_WARN;
    case CHECK_ACT_INFO:
        return CK_INFO;
    case CHECK_ACT_UNKNOWN:
        return CK_UNKNOWN;
    default:
        return CK_OTHER;
    }
}

/* ck_lookup - the first table's answer for text: action, or CK_NONE */
static int ck_lookup(SMTP_CHECKS *c, TABLE **t, size_t n, const char *what, const char *text,
                     VSTR *arg)
{
    size_t i;
    const char *v = NULL;
    CHECK_ACTION parsed;
    int a;
    VSTR *shown;

    for (i = 0; i < n && v == NULL; i++) {
        v = table_lookup(t[i], text);
        if (v == NULL && t[i]->error != TABLE_OK) {
            msg_warn("%s: %s_checks lookup failure: passed unchecked", c->queue_id, what);
            return CK_NONE;
        }
    }
    if (v == NULL)
        return CK_NONE;
    check_action_parse(v, &parsed);
    a = ck_action(&parsed);
    vstr_set(arg, parsed.text);
    shown = vstr_new(0);
    vstr_addmem(shown, text, strlen(text) > 200 ? 200 : strlen(text));
    str_printable(vstr_str(shown), 0);
    if (a == CK_WARN || a == CK_INFO)
        msg_info("%s: %s: %s %s: %s", c->queue_id, check_action_name(parsed.action), what,
                 vstr_str(shown), parsed.text);
    else if (a == CK_UNKNOWN)
        check_action_warn_unknown(c->queue_id, what, v);
    else if (a == CK_OTHER)
        msg_warn("%s: %s_checks: action \"%.*s\" is not available in the smtp client: ignored",
                 c->queue_id, what, CHECK_ACTION_LOG_MAX, v);
    vstr_free(shown);
    return a;
}

/* ck_emit - pass text on, a line per "\n" */
static void ck_emit(SMTP_CHECKS *c, const char *text, size_t len)
{
    const char *nl;

    while ((nl = memchr(text, '\n', len)) != NULL) {
        c->out(c->ctx, text, (size_t) (nl - text), 1);
        len -= (size_t) (nl - text) + 1;
        text = nl + 1;
    }
    c->out(c->ctx, text, len, 1);
}

/* ck_header_done - the held logical header is complete: check and pass on */
static void ck_header_done(SMTP_CHECKS *c)
{
    VSTR *arg = vstr_new(0);
    int a = CK_NONE;

    if (vstr_len(c->held) == 0 && !c->hdr_over) {
        vstr_free(arg);
        return;
    }
    if (!c->hdr_over && c->ngen > 0) {
        VSTR *g = vstr_new(0);
        int r = smtp_generic_header(c->gen, c->ngen, vstr_str(c->held), g);
        if (r < 0)
            msg_warn("%s: smtp_generic_maps lookup failure in a header: left as is", c->queue_id);
        else if (r > 0)
            vstr_set(c->held, vstr_str(g));
        vstr_free(g);
    }
    if (!c->hdr_over && c->nhdr > 0)
        a = ck_lookup(c, c->hdr, c->nhdr, "header", vstr_str(c->held), arg);
    if (a == CK_PREPEND)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    if (a == CK_REPLACE)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    else if (a != CK_IGNORE && !c->hdr_over)
        ck_emit(c, vstr_str(c->held), vstr_len(c->held));
    vstr_reset(c->held);
    c->hdr_over = 0;
    vstr_free(arg);
}

static void ck_body_line(SMTP_CHECKS *c, const char *data, size_t len)
{
    VSTR *arg = vstr_new(0), *l = vstr_new(0);
    int a;

    vstr_addmem(l, data, len);
    a = ck_lookup(c, c->body, c->nbody, "body", vstr_str(l), arg);
    if (a == CK_PREPEND)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    if (a == CK_REPLACE)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    else if (a != CK_IGNORE)
        c->out(c->ctx, data, len, 1);
    vstr_free(arg);
    vstr_free(l);
}

void smtp_checks_input(SMTP_CHECKS *c, const char *data, size_t len, int eol)
{
    if (c->in_header) {
        /* a new line (not a piece of one) that does not fold ends the header */
        int starts = vstr_len(c->line) == 0 && !c->long_line;
        if (starts && (len == 0 || (data[0] != ' ' && data[0] != '\t')))
            ck_header_done(c);
        if (starts && len == 0 && eol) {
            c->in_header = 0;
            c->out(c->ctx, "", 0, 1);
            return;
        }
        if (c->hdr_over) {
            c->out(c->ctx, data, len, eol);
            c->long_line = !eol;
            return;
        }
        if (vstr_len(c->held) + len + 1 > SMTP_CHECKS_HDR_MAX) {
            /* too big to check: pass what is held and the rest as is */
            const char *h = vstr_str(c->held);
            size_t hl = vstr_len(c->held);
            if (hl > 0) {
                const char *nl;
                while ((nl = memchr(h, '\n', hl)) != NULL) {
                    c->out(c->ctx, h, (size_t) (nl - h), 1);
                    hl -= (size_t) (nl - h) + 1;
                    h = nl + 1;
                }
                c->out(c->ctx, h, hl, c->long_line ? 0 : 1);
            }
            vstr_reset(c->held);
            c->hdr_over = 1;
            c->out(c->ctx, data, len, eol);
            c->long_line = !eol;
            return;
        }
        if (starts && vstr_len(c->held) > 0)
            vstr_addch(c->held, '\n');
        vstr_addmem(c->held, data, len);
        c->long_line = !eol;
        return;
    }
    if (c->nbody == 0 || c->long_line) {
        c->out(c->ctx, data, len, eol);
        if (c->long_line && eol)
            c->long_line = 0;
        return;
    }
    vstr_addmem(c->line, data, len);
    if (eol) {
        ck_body_line(c, vstr_str(c->line), vstr_len(c->line));
        vstr_reset(c->line);
    } else if (vstr_len(c->line) > SMTP_CHECKS_LINE_MAX) {
        c->out(c->ctx, vstr_str(c->line), vstr_len(c->line), 0);
        vstr_reset(c->line);
        c->long_line = 1;
    }
}

void smtp_checks_finish(SMTP_CHECKS *c)
{
    if (c->in_header)
        ck_header_done(c);
    else if (vstr_len(c->line) > 0)
        ck_body_line(c, vstr_str(c->line), vstr_len(c->line));
    vstr_reset(c->line);
}
