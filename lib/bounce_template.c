/* bounce_template - notice templates and bounce_template_file; see bounce_template.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce_template.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"

#define BUILTIN "[built-in]"

/* Postern's own wording; the structure (headers, then text) is bounce(5)'s. */
static const char *const builtin_failure[] = {
    "Delivery report from the mail system at $myhostname.",
    "",
    "Your message could not be delivered to one or more of its",
    "recipients. The reasons are listed below, and a copy of the",
    "message is attached.",
    "",
    "If you need help with this, write to the postmaster of this",
    "system and include this report. You may remove your own text",
    "from the attached copy first.",
    "",
    "                   -- The mail system",
    NULL,
};

static const char *const builtin_delay[] = {
    "Delivery report from the mail system at $myhostname.",
    "",
    "  +-----------------------------------------------------------+",
    "  | This is a warning only: your message is still queued and  |",
    "  | will be tried again. There is no need to send it again.   |",
    "  +-----------------------------------------------------------+",
    "",
    "Delivery has been failing for more than $delay_warning_time_hours hour(s).",
    "Attempts go on until the message is $maximal_queue_lifetime_days day(s) old.",
    "",
    "If you need help with this, write to the postmaster of this",
    "system and include this report.",
    "",
    "                   -- The mail system",
    NULL,
};

static const char *const builtin_success[] = {
    "Delivery report from the mail system at $myhostname.",
    "",
    "Your message reached the destinations listed below. Where it was",
    "put into a mailbox, nothing more will be reported. Where it was",
    "passed on to another system, that system may still report a",
    "problem later.",
    "",
    "                   -- The mail system",
    NULL,
};

static const char *const builtin_verify[] = {
    "Delivery report from the mail system at $myhostname.",
    "",
    "Here is the delivery report you asked for, one entry per",
    "recipient below. For a test of addresses (sendmail -bv) nothing",
    "was delivered: each entry says what would happen. Otherwise a",
    "recipient whose delivery was delayed is tried again; there is",
    "no further report for it unless it fails for good.",
    "",
    "                   -- The mail system",
    NULL,
};

typedef struct BUILTIN_TMPL {
    const char *name;
    const char *subject;
    const char *pm_subject;
    const char *const *text;
} BUILTIN_TMPL;

static const BUILTIN_TMPL builtins[BOUNCE_TMPL_COUNT] = {
    {"failure", "Undelivered Mail Returned to Sender", "Postmaster Copy: Undelivered Mail",
     builtin_failure},
    {"delay", "Delayed Mail (still being retried)", "Postmaster Warning: Delayed Mail",
     builtin_delay},
    {"success", "Successful Mail Delivery Report", NULL, builtin_success},
    {"verify", "Mail Delivery Status Report", NULL, builtin_verify},
};

#define BUILTIN_FROM    "MAILER-DAEMON (Mail Delivery System)"
#define BUILTIN_CHARSET "us-ascii"

const char *bounce_template_name(int cls)
{
    if (cls < 0 || cls >= BOUNCE_TMPL_COUNT)
        msg_panic("bounce_template_name: class %d", cls);
    return builtins[cls].name;
}

static void tmpl_clear(BOUNCE_TEMPLATE *t)
{
    mem_free(t->origin);
    mem_free(t->charset);
    mem_free(t->from);
    mem_free(t->subject);
    mem_free(t->pm_subject);
    mem_free(t->text);
    mem_free(t->expanded);
    memset(t, 0, sizeof(*t));
}

static void tmpl_set_builtin(BOUNCE_TEMPLATE *t, int cls)
{
    const BUILTIN_TMPL *b = &builtins[cls];
    VSTR *text = vstr_new(0);
    const char *const *l;

    tmpl_clear(t);
    t->cls = cls;
    t->origin = mem_strdup(BUILTIN);
    t->charset = mem_strdup(BUILTIN_CHARSET);
    t->from = mem_strdup(BUILTIN_FROM);
    t->subject = mem_strdup(b->subject);
    t->pm_subject = b->pm_subject ? mem_strdup(b->pm_subject) : NULL;
    for (l = b->text; *l; l++) {
        if (l != b->text)
            vstr_addch(text, '\n');
        vstr_adds(text, *l);
    }
    t->text = vstr_export(text);
}

BOUNCE_TEMPLATES *bounce_templates_new(void)
{
    BOUNCE_TEMPLATES *ts = mem_calloc(1, sizeof(*ts));
    int i;

    for (i = 0; i < BOUNCE_TMPL_COUNT; i++)
        tmpl_set_builtin(&ts->t[i], i);
    return ts;
}

void bounce_templates_free(BOUNCE_TEMPLATES *ts)
{
    int i;

    if (ts == NULL)
        return;
    for (i = 0; i < BOUNCE_TMPL_COUNT; i++)
        tmpl_clear(&ts->t[i]);
    mem_free(ts);
}

const BOUNCE_TEMPLATE *bounce_templates_get(const BOUNCE_TEMPLATES *ts, int cls)
{
    if (cls < 0 || cls >= BOUNCE_TMPL_COUNT)
        msg_panic("bounce_templates_get: class %d", cls);
    return &ts->t[cls];
}

/* The hook for reports about addresses (sendmail -v now, sendmail -bv later). */
const BOUNCE_TEMPLATE *bounce_templates_verify(const BOUNCE_TEMPLATES *ts)
{
    return bounce_templates_get(ts, BOUNCE_TMPL_VERIFY);
}

/* ---- parsing one template ---- */

/* The length of a header label ("Name" of "Name :"), 0 when not a header. */
static size_t tmpl_header_label(const char *line)
{
    size_t i = 0, j;

    while (line[i] > 0x20 && line[i] < 0x7f && line[i] != ':')
        i++;
    if (i == 0)
        return 0;
    for (j = i; line[j] == ' ' || line[j] == '\t'; j++)
        ;
    return line[j] == ':' ? i : 0;
}

static int tmpl_blank(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (!isspace((unsigned char) s[i]))
            return 0;
    return 1;
}

/*
 * Take the next LF-separated line of [*p, end): its start and length; *p
 * becomes NULL after the last line ("a\n" is "a" and "").
 */
static int tmpl_next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl;

    if (*p == NULL)
        return 0;
    nl = memchr(*p, '\n', (size_t) (end - *p));
    *line = *p;
    *len = nl ? (size_t) (nl - *p) : (size_t) (end - *p);
    *p = nl ? nl + 1 : NULL;
    return 1;
}

/*
 * Parse the value of NAME_template into t (class cls, from origin). 0, or
 * -1 with a warning (t is then partly filled: the caller discards it).
 */
static int tmpl_parse(BOUNCE_TEMPLATE *t, int cls, const char *origin, const char *value)
{
    const char *p = value, *end = value + strlen(value), *line = NULL;
    const char *name = builtins[cls].name;
    VSTR *label = vstr_new(0), *hval = vstr_new(0);
    size_t len = 0, hl, i;
    int have = 0, ret = -1;

    tmpl_set_builtin(t, cls);
    mem_free(t->origin);
    t->origin = mem_strdup(origin);
    mem_free(t->text);
    t->text = NULL;
    /* header lines */
    while ((have = tmpl_next_line(&p, end, &line, &len)) != 0) {
        char **field;

        vstr_reset(label);
        vstr_addmem(label, line, len);
        if ((hl = tmpl_header_label(vstr_str(label))) == 0)
            break;
        vstr_truncate(label, hl);
        vstr_reset(hval);
        for (i = hl; i < len && (line[i] == ':' || line[i] == ' ' || line[i] == '\t'); i++)
            ;
        vstr_addmem(hval, line + i, len - i);
        while (vstr_len(hval) > 0 && isspace((unsigned char) vstr_str(hval)[vstr_len(hval) - 1]))
            vstr_truncate(hval, vstr_len(hval) - 1);
        if (vstr_len(hval) == 0) {
            msg_warn("%s: empty \"%s\" header value in %s template: the built-in one is used",
                     origin, vstr_str(label), name);
            goto out;
        }
        for (i = 0; i < vstr_len(hval); i++) {
            unsigned char c = (unsigned char) vstr_str(hval)[i];

            if (c < 0x20 || c >= 0x7f) {
                msg_warn("%s: \"%s\" header value in %s template is not printable ASCII: "
                         "the built-in one is used", origin, vstr_str(label), name);
                goto out;
            }
        }
        if (vstr_len(hval) > BOUNCE_TMPL_HEADER_MAX) {
            msg_warn("%s: \"%s\" header value in %s template is longer than %d bytes: "
                     "the built-in one is used", origin, vstr_str(label), name,
                     BOUNCE_TMPL_HEADER_MAX);
            goto out;
        }
        if (strcasecmp(vstr_str(label), "charset") == 0) {
            /* it becomes charset=VALUE in a Content-Type: an RFC 2045 token */
            if (strspn(vstr_str(hval), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789!#$%&'*+-.^_`{|}~")
                != vstr_len(hval)) {
                msg_warn("%s: \"%s\" header value in %s template is not a MIME charset name: "
                         "the built-in one is used", origin, vstr_str(label), name);
                goto out;
            }
            field = &t->charset;
        } else if (strcasecmp(vstr_str(label), "from") == 0) {
            field = &t->from;
        } else if (strcasecmp(vstr_str(label), "subject") == 0) {
            field = &t->subject;
        } else if (strcasecmp(vstr_str(label), "postmaster-subject") == 0
                   && t->pm_subject != NULL) {
            field = &t->pm_subject;
        } else {
            msg_warn("%s: %s \"%s\" header label in %s template: the built-in one is used",
                     origin,
                     strcasecmp(vstr_str(label), "postmaster-subject") == 0 ? "inapplicable"
                                                                            : "unknown",
                     vstr_str(label), name);
            goto out;
        }
        mem_free(*field);
        *field = mem_strdup(vstr_str(hval));
    }
    /* empty lines between the headers and the text */
    while (have && tmpl_blank(line, len))
        have = tmpl_next_line(&p, end, &line, &len);
    if (!have) {
        msg_warn("%s: missing message text in %s template: the built-in one is used", origin,
                 name);
        goto out;
    }
    /* the text: from this line to the end */
    for (i = (size_t) (line - value); i < (size_t) (end - value); i++) {
        unsigned char c = (unsigned char) value[i];

        if (c >= 0x80) {
            t->eight_bit = 1;
        } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            msg_warn("%s: control character in the text of %s template: the built-in one is used",
                     origin, name);
            goto out;
        }
    }
    if (t->eight_bit && strcasecmp(t->charset, "us-ascii") == 0) {
        msg_warn("%s: 8-bit text in %s template needs a Charset: other than us-ascii: "
                 "the built-in one is used", origin, name);
        goto out;
    }
    t->text = mem_strdup(line);
    ret = 0;
out:
    vstr_free(label);
    vstr_free(hval);
    return ret;
}

/* ---- the file ---- */

static int tmpl_class_of(const char *name)
{
    size_t n;
    int i;

    for (i = 0; i < BOUNCE_TMPL_COUNT; i++) {
        n = strlen(builtins[i].name);
        if (strncmp(name, builtins[i].name, n) == 0 && strcmp(name + n, "_template") == 0)
            return i;
    }
    return -1;
}

static char *tmpl_trim(char *s)
{
    char *e;

    while (isspace((unsigned char) *s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char) e[-1]))
        *--e = 0;
    return s;
}

/* One line of the file into line (no LF, no trailing CR); 0 at the end. */
static int file_next_line(const char **p, const char *end, VSTR *line)
{
    const char *l;
    size_t len;

    if (*p == NULL || *p >= end)
        return 0;
    tmpl_next_line(p, end, &l, &len);
    if (len > 0 && l[len - 1] == '\r')
        len--;
    vstr_reset(line);
    vstr_addmem(line, l, len);
    return 1;
}

int bounce_templates_load_buf(BOUNCE_TEMPLATES *ts, const char *origin, const char *buf,
                              size_t len)
{
    BOUNCE_TEMPLATES *next;
    const char *p = buf, *end = buf + len, *scan;
    VSTR *line = vstr_new(0), *value = vstr_new(0);
    char *copy = NULL, *eq, *name, *val;
    int lineno = 0, cls, i, ret = 0;
    size_t n;

    /* whole-file checks first: NUL bytes and line lengths */
    if (memchr(buf, 0, len) != NULL) {
        msg_warn("%s: NUL byte in the bounce template file: the built-in templates are used",
                 origin);
        ret = -1;
        goto out_nocommit;
    }
    for (scan = buf, i = 1; scan < end; i++) {
        const char *nl = memchr(scan, '\n', (size_t) (end - scan));

        n = nl ? (size_t) (nl - scan) : (size_t) (end - scan);
        if (n > BOUNCE_TMPL_LINE_MAX) {
            msg_warn("%s, line %d: longer than %d bytes: the built-in templates are used", origin,
                     i, BOUNCE_TMPL_LINE_MAX);
            ret = -1;
            goto out_nocommit;
        }
        scan = nl ? nl + 1 : end;
    }
    next = mem_calloc(1, sizeof(*next));
    for (i = 0; i < BOUNCE_TMPL_COUNT; i++)
        tmpl_set_builtin(&next->t[i], i);
    while (file_next_line(&p, end, line)) {
        lineno++;
        mem_free(copy);
        copy = mem_strdup(vstr_str(line));
        name = tmpl_trim(copy);
        if (*name == 0 || *name == '#')
            continue;
        if ((eq = strchr(name, '=')) == NULL || eq == name) {
            msg_warn("%s, line %d: %s: the built-in templates are used", origin, lineno,
                     eq ? "missing name before '='" : "missing '=' after the template name");
            ret = -1;
            break;
        }
        *eq = 0;
        name = tmpl_trim(name);
        val = tmpl_trim(eq + 1);
        vstr_set(value, val);
        if (val[0] == '<' && val[1] == '<') {
            const char *marker = tmpl_trim(val + 2);
            int start = lineno, found = 0;

            if (!isalnum((unsigned char) marker[0])) {
                msg_warn("%s, line %d: %s end marker after <<: the built-in templates are used",
                         origin, lineno, marker[0] ? "malformed" : "missing");
                ret = -1;
                break;
            }
            vstr_reset(value);
            while (file_next_line(&p, end, line)) {
                lineno++;
                if (strcmp(vstr_str(line), marker) == 0) {
                    found = 1;
                    break;
                }
                if (lineno > start + 1)
                    vstr_addch(value, '\n');
                vstr_adds(value, vstr_str(line));
            }
            if (!found)
                msg_warn("%s, line %d: missing \"%s\" end marker", origin, lineno, marker);
        }
        if ((cls = tmpl_class_of(name)) < 0) {
            msg_warn("%s, line %d: unknown template name %s: ignored", origin, lineno, name);
            continue;
        }
        if (tmpl_parse(&next->t[cls], cls, origin, vstr_str(value)) < 0)
            tmpl_set_builtin(&next->t[cls], cls);
    }
    if (ret == 0) {
        for (i = 0; i < BOUNCE_TMPL_COUNT; i++) {
            tmpl_clear(&ts->t[i]);
            ts->t[i] = next->t[i];
        }
    } else {
        for (i = 0; i < BOUNCE_TMPL_COUNT; i++)
            tmpl_clear(&next->t[i]);
    }
    mem_free(next);
out_nocommit:
    mem_free(copy);
    vstr_free(line);
    vstr_free(value);
    return ret;
}

int bounce_templates_load(BOUNCE_TEMPLATES *ts, const char *path)
{
    VSTR *data;
    struct stat sb;
    char buf[8192];
    ssize_t n;
    int fd, ret = -1;

    if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        msg_warn("open bounce template file %s: %m: the built-in templates are used", path);
        return -1;
    }
    data = vstr_new(0);
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        msg_warn("bounce template file %s: not a regular file: the built-in templates are used",
                 path);
        goto out;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (vstr_len(data) + (size_t) n > BOUNCE_TMPL_FILE_MAX) {
            msg_warn("bounce template file %s: larger than %d bytes: the built-in templates "
                     "are used", path, BOUNCE_TMPL_FILE_MAX);
            goto out;
        }
        vstr_addmem(data, buf, (size_t) n);
    }
    if (n < 0) {
        msg_warn("read bounce template file %s: %m: the built-in templates are used", path);
        goto out;
    }
    ret = bounce_templates_load_buf(ts, path, vstr_str(data), vstr_len(data));
out:
    close(fd);
    vstr_free(data);
    return ret;
}

/* ---- expansion ---- */

#define TMPL_NAME_CHAR(c) (isalnum((unsigned char) (c)) || (c) == '_')

enum { EXP_OK = 0, EXP_UNDEF = -1, EXP_ERROR = -2 };

typedef struct TMPL_EXP {
    BOUNCE_TMPL_LOOKUP lookup;
    void *ctx;
    VSTR *why;   /* what went wrong */
} TMPL_EXP;

static int tmpl_expand(TMPL_EXP *x, VSTR *out, const char *p, const char *end, int depth);

/* Append name's value (control characters become '_'); EXP_*. */
static int tmpl_value(TMPL_EXP *x, VSTR *out, const char *name, int *empty)
{
    VSTR *val = vstr_new(0);
    const char *v;
    int r = x->lookup(x->ctx, name, val);

    if (r < 0) {
        vstr_set(x->why, vstr_str(val));
        vstr_free(val);
        return EXP_ERROR;
    }
    if (r == 0) {
        vstr_sprintf(x->why, "undefined $%s", name);
        vstr_free(val);
        return EXP_UNDEF;
    }
    if (empty)
        *empty = vstr_len(val) == 0;
    else
        for (v = vstr_str(val); *v; v++)
            vstr_addch(out, (unsigned char) *v < 0x20 || *v == 0x7f ? '_' : *v);
    vstr_free(val);
    return EXP_OK;
}

/* ${...} or $(...) starting at p (the '{' or '('); *next past the close. */
static int tmpl_expand_braced(TMPL_EXP *x, VSTR *out, const char *p, const char *end,
                              const char **next, int depth)
{
    char open = *p, close = open == '{' ? '}' : ')';
    const char *q = p + 1, *name_end;
    int level = 1, r, empty = 0;
    char *name;

    for (; q < end; q++) {
        if (*q == open)
            level++;
        else if (*q == close && --level == 0)
            break;
    }
    if (q >= end) {
        vstr_sprintf(x->why, "unterminated $%c", open);
        return EXP_ERROR;
    }
    *next = q + 1;
    for (name_end = p + 1; name_end < q && TMPL_NAME_CHAR(*name_end); name_end++)
        ;
    if (name_end == p + 1) {
        vstr_set(x->why, "bad $name syntax: no name after $");
        return EXP_ERROR;
    }
    name = mem_strndup(p + 1, (size_t) (name_end - p - 1));
    if (name_end == q) {
        r = tmpl_value(x, out, name, NULL);
    } else if (*name_end == '?' || *name_end == ':') {
        if (depth >= BOUNCE_TMPL_DEPTH) {
            vstr_set(x->why, "${name?text} nested too deeply");
            r = EXP_ERROR;
        } else if ((r = tmpl_value(x, out, name, &empty)) == EXP_UNDEF) {
            empty = 1;
            r = EXP_OK;
        }
        if (r == EXP_OK && (*name_end == '?') == !empty)
            r = tmpl_expand(x, out, name_end + 1, q, depth + 1);
    } else {
        vstr_sprintf(x->why, "bad $name syntax after $%c%s", open, name);
        r = EXP_ERROR;
    }
    mem_free(name);
    return r;
}

static int tmpl_expand(TMPL_EXP *x, VSTR *out, const char *p, const char *end, int depth)
{
    const char *s;
    char *name;
    int r;

    while (p < end) {
        if (vstr_len(out) > BOUNCE_TMPL_LINE_MAX) {
            vstr_sprintf(x->why, "an expanded line is longer than %d bytes",
                         BOUNCE_TMPL_LINE_MAX);
            return EXP_ERROR;
        }
        if (*p != '$') {
            vstr_addch(out, *p++);
            continue;
        }
        p++;
        if (p < end && *p == '$') {
            vstr_addch(out, '$');
            p++;
        } else if (p < end && (*p == '{' || *p == '(')) {
            if ((r = tmpl_expand_braced(x, out, p, end, &p, depth)) != EXP_OK)
                return r;
        } else if (p < end && TMPL_NAME_CHAR(*p)) {
            for (s = p; p < end && TMPL_NAME_CHAR(*p); p++)
                ;
            name = mem_strndup(s, (size_t) (p - s));
            r = tmpl_value(x, out, name, NULL);
            mem_free(name);
            if (r != EXP_OK)
                return r;
        } else {
            vstr_addch(out, '$'); /* a lone '$' stays */
        }
    }
    if (vstr_len(out) > BOUNCE_TMPL_LINE_MAX) {
        vstr_sprintf(x->why, "an expanded line is longer than %d bytes", BOUNCE_TMPL_LINE_MAX);
        return EXP_ERROR;
    }
    return EXP_OK;
}

/* Expand t's text line by line into t->expanded; EXP_* with x->why. */
static int tmpl_expand_text(TMPL_EXP *x, BOUNCE_TEMPLATE *t)
{
    VSTR *all = vstr_new(0), *one = vstr_new(0);
    const char *p = t->text, *end = t->text + strlen(t->text), *line;
    size_t len;
    int r = EXP_OK, first = 1;

    while (tmpl_next_line(&p, end, &line, &len)) {
        vstr_reset(one);
        if ((r = tmpl_expand(x, one, line, line + len, 0)) != EXP_OK) {
            vstr_printf(x->why, " in \"%.*s\"", (int) (len > 80 ? 80 : len), line);
            break;
        }
        if (!first)
            vstr_addch(all, '\n');
        first = 0;
        vstr_addmem(all, vstr_str(one), vstr_len(one));
    }
    vstr_free(one);
    mem_free(t->expanded);
    t->expanded = NULL;
    if (r == EXP_OK)
        t->expanded = vstr_export(all);
    else
        vstr_free(all);
    return r;
}

int bounce_templates_expand(BOUNCE_TEMPLATES *ts, BOUNCE_TMPL_LOOKUP lookup, void *ctx)
{
    TMPL_EXP x;
    int i, ret = 0;

    x.lookup = lookup;
    x.ctx = ctx;
    x.why = vstr_new(0);
    for (i = 0; i < BOUNCE_TMPL_COUNT; i++) {
        BOUNCE_TEMPLATE *t = &ts->t[i];

        vstr_reset(x.why);
        if (tmpl_expand_text(&x, t) == EXP_OK)
            continue;
        msg_warn("%s: %s template: %s: the built-in one is used", t->origin, builtins[i].name,
                 vstr_str(x.why));
        ret = -1;
        tmpl_set_builtin(t, i);
        vstr_reset(x.why);
        if (tmpl_expand_text(&x, t) != EXP_OK) /* the built-in ones use safe names only */
            msg_warn("built-in %s template: %s", builtins[i].name, vstr_str(x.why));
    }
    vstr_free(x.why);
    return ret;
}

/* main.cf values, and the time parameters in a unit of the caller's choice. */
int bounce_template_conf_lookup(void *ctx, const char *name, VSTR *out)
{
    static const char *const times[] = {"delay_warning_time", "maximal_queue_lifetime", NULL};
    static const struct {
        const char *unit;
        long seconds;
    } units[] = {
        {"seconds", 1}, {"minutes", 60}, {"hours", 3600}, {"days", 86400}, {"weeks", 604800},
        {NULL, 0},
    };
    const char *value;
    size_t n;
    int i, u;

    (void) ctx;
    for (i = 0; times[i]; i++) {
        n = strlen(times[i]);
        if (strncmp(name, times[i], n) != 0 || name[n] != '_')
            continue;
        for (u = 0; units[u].unit; u++) {
            if (strcmp(name + n + 1, units[u].unit) == 0) {
                vstr_sprintf(out, "%ld", conf_get_time(times[i]) / units[u].seconds);
                return 1;
            }
        }
        vstr_sprintf(out, "unknown time unit \"%s\" in $%s (seconds, minutes, hours, days or "
                          "weeks)", name + n + 1, name);
        return -1;
    }
    if ((value = conf_get(name)) == NULL)
        return 0;
    vstr_set(out, value);
    return 1;
}

/* ---- output ---- */

static void dump_lines(const char *text, BOUNCE_TMPL_OUT out, void *ctx)
{
    const char *p = text, *end = text + strlen(text), *line;
    VSTR *one = vstr_new(0);
    size_t len;

    while (tmpl_next_line(&p, end, &line, &len)) {
        vstr_reset(one);
        vstr_addmem(one, line, len);
        out(ctx, vstr_str(one));
    }
    vstr_free(one);
}

void bounce_templates_dump(const BOUNCE_TEMPLATES *ts, BOUNCE_TMPL_OUT out, void *ctx)
{
    VSTR *buf = vstr_new(0);
    int i;

    for (i = 0; i < BOUNCE_TMPL_COUNT; i++) {
        const BOUNCE_TEMPLATE *t = &ts->t[i];

        if (i > 0)
            out(ctx, "");
        vstr_sprintf(buf, "%s_template = <<EOF", builtins[i].name);
        out(ctx, vstr_str(buf));
        vstr_sprintf(buf, "Charset: %s", t->charset);
        out(ctx, vstr_str(buf));
        vstr_sprintf(buf, "From: %s", t->from);
        out(ctx, vstr_str(buf));
        vstr_sprintf(buf, "Subject: %s", t->subject);
        out(ctx, vstr_str(buf));
        if (t->pm_subject) {
            vstr_sprintf(buf, "Postmaster-Subject: %s", t->pm_subject);
            out(ctx, vstr_str(buf));
        }
        out(ctx, "");
        dump_lines(t->text, out, ctx);
        out(ctx, "EOF");
    }
    vstr_free(buf);
}

void bounce_templates_dump_expanded(const BOUNCE_TEMPLATES *ts, BOUNCE_TMPL_OUT out, void *ctx)
{
    VSTR *buf = vstr_new(0);
    int i;

    for (i = 0; i < BOUNCE_TMPL_COUNT; i++) {
        const BOUNCE_TEMPLATE *t = &ts->t[i];

        if (t->expanded == NULL)
            msg_panic("bounce_templates_dump_expanded: not expanded");
        if (i > 0)
            out(ctx, "");
        vstr_sprintf(buf, "expanded_%s_text = <<EOF", builtins[i].name);
        out(ctx, vstr_str(buf));
        dump_lines(t->expanded, out, ctx);
        out(ctx, "EOF");
    }
    vstr_free(buf);
}
