/*
 * smtp_checks - smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks
 * and smtp_body_checks; see smtp_checks.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "check_action.h"
#include "mimescan.h"
#include "mem.h"
#include "msg.h"
#include "smtp_checks.h"
#include "smtp_generic.h"
#include "strutil.h"
#include "vstr.h"

enum { CK_NONE, CK_DUNNO, CK_IGNORE, CK_REPLACE, CK_PREPEND, CK_WARN, CK_INFO, CK_UNKNOWN, CK_OTHER };

/* Which tables a header goes to. */
enum { CK_CLASS_PRIMARY, CK_CLASS_MIME, CK_CLASS_NESTED };

struct SMTP_CHECKS {
    SMTP_CHECK_TABLES t;
    char *queue_id;
    SMTP_MIME_OUT out;
    void *ctx;
    MIMESCAN *scan;         /* header blocks and body lines */
    int in_block;           /* the last line was part of a header block */
    int passing;            /* a line too long to check is passing through in pieces */
    int held_class;         /* CK_CLASS_* of the held header */
    int held_over;          /* the held header grew too big: passed through unchecked */
    VSTR *held;             /* the logical header being assembled ("\n" between lines) */
    VSTR *line;             /* the line being assembled */
};

SMTP_CHECKS *smtp_checks_new(const SMTP_CHECK_TABLES *t, const char *queue_id,
                             SMTP_MIME_OUT out, void *ctx)
{
    SMTP_CHECKS *c = mem_alloc(sizeof(*c));

    memset(c, 0, sizeof(*c));
    c->t = *t;
    c->queue_id = mem_strdup(queue_id);
    c->out = out;
    c->ctx = ctx;
    /* MIME only matters to the checks; generic maps alone see the message's headers */
    c->scan = mimescan_new(t->nhdr + t->nmime + t->nnested + t->nbody > 0);
    c->in_block = 1;
    c->held = vstr_new(0);
    c->line = vstr_new(0);
    return c;
}

void smtp_checks_free(SMTP_CHECKS *c)
{
    if (c == NULL)
        return;
    mem_free(c->queue_id);
    mimescan_free(c->scan);
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

/* ck_mime_header - a MIME header (Postfix's list), by its name */
static int ck_mime_header(const char *text)
{
    static const char *const names[] = {
        "Content-Description", "Content-Disposition", "Content-ID",
        "Content-Transfer-Encoding", "Content-Type", "MIME-Version",
    };
    size_t n = strcspn(text, ":"), i;

    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && strncasecmp(text, names[i], n) == 0)
            return 1;
    return 0;
}

/* ck_header_done - the held logical header is complete: check and pass on */
static void ck_header_done(SMTP_CHECKS *c)
{
    VSTR *arg;
    TABLE **t = NULL;
    size_t nt = 0;
    int a = CK_NONE;

    if (c->held_over || vstr_len(c->held) == 0) {
        vstr_reset(c->held);
        c->held_over = 0;
        return;
    }
    arg = vstr_new(0);
    if (c->held_class == CK_CLASS_PRIMARY && c->t.ngen > 0) {
        VSTR *g = vstr_new(0);
        int r = smtp_generic_header(c->t.gen, c->t.ngen, vstr_str(c->held), g);
        if (r < 0)
            msg_warn("%s: smtp_generic_maps lookup failure in a header: left as is", c->queue_id);
        else if (r > 0)
            vstr_set(c->held, vstr_str(g));
        vstr_free(g);
    }
    if (c->held_class == CK_CLASS_PRIMARY)
        t = c->t.hdr, nt = c->t.nhdr;
    else if (c->held_class == CK_CLASS_MIME)
        t = c->t.mime, nt = c->t.nmime;
    else
        t = c->t.nested, nt = c->t.nnested;
    if (nt > 0)
        a = ck_lookup(c, t, nt, "header", vstr_str(c->held), arg);
    if (a == CK_PREPEND)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    if (a == CK_REPLACE)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    else if (a != CK_IGNORE)
        ck_emit(c, vstr_str(c->held), vstr_len(c->held));
    vstr_reset(c->held);
    vstr_free(arg);
}

/* ck_body - a body line, or (complete = 0) the first piece of one too long to check */
static void ck_body(SMTP_CHECKS *c, const char *data, size_t len, int complete)
{
    VSTR *arg;
    int a;

    if (c->t.nbody == 0 || !complete) {
        c->out(c->ctx, data, len, complete);
        return;
    }
    arg = vstr_new(0);
    a = ck_lookup(c, c->t.body, c->t.nbody, "body", data, arg);
    if (a == CK_PREPEND)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    if (a == CK_REPLACE)
        ck_emit(c, vstr_str(arg), vstr_len(arg));
    else if (a != CK_IGNORE)
        c->out(c->ctx, data, len, 1);
    vstr_free(arg);
}

/*
 * ck_line - one line (NUL-terminated at data[len]); complete = 0: only
 * the start of a line too long to hold, whose rest passes through.
 */
static void ck_line(SMTP_CHECKS *c, const char *data, size_t len, int complete)
{
    switch (mimescan_line(c->scan, data)) {
    case MIMESCAN_HEADER:
        ck_header_done(c);
        c->in_block = 1;
        c->held_class = ck_mime_header(data) || mimescan_kind(c->scan) == MIMESCAN_MIME
                            ? CK_CLASS_MIME
                            : mimescan_kind(c->scan) == MIMESCAN_NESTED ? CK_CLASS_NESTED
                                                                        : CK_CLASS_PRIMARY;
        if (!complete) {
            c->held_over = 1;
            c->out(c->ctx, data, len, 0);
        } else
            vstr_addmem(c->held, data, len);
        return;
    case MIMESCAN_CONT:
        if (!c->held_over && (!complete || vstr_len(c->held) + len + 1 > SMTP_CHECKS_HDR_MAX)) {
            /* too big to check: what is held, then the rest, as is */
            ck_emit(c, vstr_str(c->held), vstr_len(c->held));
            vstr_reset(c->held);
            c->held_over = 1;
        }
        if (c->held_over) {
            c->out(c->ctx, data, len, complete);
            return;
        }
        vstr_addch(c->held, '\n');
        vstr_addmem(c->held, data, len);
        return;
    case MIMESCAN_END:
        ck_header_done(c);
        c->in_block = 0;
        if (len == 0 && complete) {
            c->out(c->ctx, "", 0, 1);
            return;
        }
        ck_body(c, data, len, complete);
        return;
    default:
        c->in_block = 0;
        ck_body(c, data, len, complete);
        return;
    }
}

void smtp_checks_input(SMTP_CHECKS *c, const char *data, size_t len, int eol)
{
    size_t limit;

    if (c->passing) {
        c->out(c->ctx, data, len, eol);
        c->passing = !eol;
        return;
    }
    vstr_addmem(c->line, data, len);
    if (eol) {
        ck_line(c, vstr_str(c->line), vstr_len(c->line), 1);
        vstr_reset(c->line);
        return;
    }
    limit = c->in_block ? SMTP_CHECKS_HDR_MAX : SMTP_CHECKS_LINE_MAX;
    if (vstr_len(c->line) > limit) {
        ck_line(c, vstr_str(c->line), vstr_len(c->line), 0);
        vstr_reset(c->line);
        c->passing = 1;
    }
}

void smtp_checks_finish(SMTP_CHECKS *c)
{
    /* a last line without its end (a message not ending in a newline) */
    if (vstr_len(c->line) > 0 && !c->passing)
        ck_line(c, vstr_str(c->line), vstr_len(c->line), 1);
    vstr_reset(c->line);
    ck_header_done(c);
}
