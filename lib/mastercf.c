/* mastercf - master.cf entries; see mastercf.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "lineread.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"

#define MASTERCF_SPACE " \t\r\n\f\v"

__attribute__((format(printf, 4, 5))) static void mastercf_error(char **err, const char *path, int lineno,
                                                                   const char *fmt, ...)
{
    VSTR *v = vstr_new(128);
    va_list ap;

    vstr_printf(v, "%s, line %d: ", path, lineno);
    va_start(ap, fmt);
    vstr_vprintf(v, fmt, ap);
    va_end(ap);
    str_printable(vstr_str(v), 1);
    if (err != NULL)
        *err = vstr_export(v);
    else
        vstr_free(v);
}

/*
 * Split a line into fields: white-space separated words, or `{ text }`
 * groups (the braces and the white space just inside them removed) when a
 * word starts with '{'. Returns 0, or -1 with a reason in *why.
 */
static int mastercf_split(const char *line, ARGV *fields, const char **why)
{
    const char *cp = line;

    for (;;) {
        const char *start;

        cp += strspn(cp, MASTERCF_SPACE);
        if (*cp == 0)
            return 0;
        if (fields->argc >= MASTERCF_ARGS_MAX) {
            *why = "too many arguments";
            return -1;
        }
        if (*cp == '{') {
            int depth = 0;
            const char *end;

            start = cp;
            for (end = cp; *end; end++) {
                if (*end == '{')
                    depth++;
                else if (*end == '}' && --depth == 0)
                    break;
            }
            if (*end == 0) {
                *why = "missing '}'";
                return -1;
            }
            if (end[1] != 0 && strchr(MASTERCF_SPACE, end[1]) == NULL) {
                *why = "text after '}'";
                return -1;
            }
            start++;
            start += strspn(start, MASTERCF_SPACE);
            cp = end;
            while (cp > start && strchr(MASTERCF_SPACE, cp[-1]) != NULL)
                cp--;
            argv_addn(fields, start, (size_t) (cp - start));
            cp = end + 1;
        } else {
            start = cp;
            cp += strcspn(cp, MASTERCF_SPACE);
            argv_addn(fields, start, (size_t) (cp - start));
        }
    }
}

/* y, n or "-" (def). Returns 0/1, or -1 when bad. */
static int mastercf_yesno(const char *text, int def)
{
    if (strcmp(text, "-") == 0)
        return def;
    if (strcmp(text, "y") == 0)
        return 1;
    if (strcmp(text, "n") == 0)
        return 0;
    return -1;
}

static int mastercf_number(const char *text, long max, int *value)
{
    long num;

    if (!isdigit((unsigned char) text[0]) || str_parse_long(text, 0, max, &num) != 0)
        return -1;
    *value = (int) num;
    return 0;
}

static int mastercf_default_chroot(void)
{
    VSTR *v = vstr_new(8);
    int y;

    conf_expand(v, "${{$compatibility_level} <level {1} ? {y} : {n}}");
    y = strcmp(vstr_str(v), "y") == 0;
    vstr_free(v);
    return y;
}

/* Split an inet service name into host and port. 0, or -1 when malformed. */
static int mastercf_inet_name(MASTERCF_ENT *ent)
{
    const char *name = ent->name;
    const char *colon;

    if (name[0] == '[') {
        const char *close = strchr(name, ']');

        if (close == NULL || close[1] != ':' || close[2] == 0 || close == name + 1)
            return -1;
        ent->host = mem_strndup(name + 1, (size_t) (close - name - 1));
        ent->port = mem_strdup(close + 2);
        return 0;
    }
    if ((colon = strrchr(name, ':')) != NULL) {
        if (colon[1] == 0)
            return -1;
        ent->host = mem_strndup(name, (size_t) (colon - name));
        ent->port = mem_strdup(colon + 1);
        return 0;
    }
    ent->port = mem_strdup(name);
    return 0;
}

static void mastercf_add_opt(MASTERCF_ENT *ent, const char *name, size_t nlen, const char *value)
{
    char *n = mem_strndup(name, nlen);
    char *v = mem_strdup(value);

    ent->opts = mem_array_grow(ent->opts, ent->nopts + 1, sizeof(*ent->opts));
    ent->opts[ent->nopts].name = mem_strdup(str_trim(n));
    ent->opts[ent->nopts].value = mem_strdup(str_trim(v));
    ent->nopts++;
    mem_free(n);
    mem_free(v);
}

/* Parse "name=value" of -o into ent; 0, or -1 when there is no name. */
static int mastercf_option(MASTERCF_ENT *ent, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *cp;

    if (eq == NULL)
        return -1;
    for (cp = arg; cp < eq && strchr(MASTERCF_SPACE, *cp) != NULL; cp++)
        ;
    if (cp == eq)
        return -1;
    mastercf_add_opt(ent, arg, (size_t) (eq - arg), eq + 1);
    return 0;
}

MASTERCF_ENT *mastercf_parse_line(const char *line, const char *path, int lineno, char **err)
{
    static const char *const types[] = {"inet", "unix", "unix-dgram", "fifo", "pass", NULL};
    ARGV *f = argv_new();
    MASTERCF_ENT *ent = mem_calloc(1, sizeof(*ent));
    const char *why = NULL;
    size_t i;

    ent->line = lineno;
    ent->raw = mem_strdup(line);
    ent->args = argv_new();
    if (mastercf_split(line, f, &why) != 0) {
        mastercf_error(err, path, lineno, "%s", why);
        goto bad;
    }
    if (f->argc < 8) {
        mastercf_error(err, path, lineno, "entry has %zu fields, needs at least 8: \"%.100s\"", f->argc, line);
        goto bad;
    }
    ent->name = mem_strdup(f->argv[0]);
    ent->type = mem_strdup(f->argv[1]);
    for (i = 0; types[i] != NULL && strcmp(types[i], ent->type) != 0; i++)
        ;
    if (types[i] == NULL) {
        mastercf_error(err, path, lineno, "unknown service type: %.100s", ent->type);
        goto bad;
    }
    if (strcmp(ent->type, "inet") == 0) {
        if (mastercf_inet_name(ent) != 0) {
            mastercf_error(err, path, lineno, "bad inet service name: %.100s", ent->name);
            goto bad;
        }
    } else {
        ent->port = mem_strdup(ent->name);
    }
    ent->private_text = mem_strdup(f->argv[2]);
    ent->unpriv_text = mem_strdup(f->argv[3]);
    ent->chroot_text = mem_strdup(f->argv[4]);
    ent->wakeup_text = mem_strdup(f->argv[5]);
    ent->maxproc_text = mem_strdup(f->argv[6]);
    if ((ent->private_ = mastercf_yesno(f->argv[2], 1)) < 0) {
        mastercf_error(err, path, lineno, "bad private field: %.100s (use y, n or -)", f->argv[2]);
        goto bad;
    }
    if (strcmp(ent->type, "inet") == 0)
        ent->private_ = 0;
    if ((ent->unpriv = mastercf_yesno(f->argv[3], 1)) < 0) {
        mastercf_error(err, path, lineno, "bad unprivileged field: %.100s (use y, n or -)", f->argv[3]);
        goto bad;
    }
    if ((ent->chroot = mastercf_yesno(f->argv[4], -2)) == -1) {
        mastercf_error(err, path, lineno, "bad chroot field: %.100s (use y, n or -)", f->argv[4]);
        goto bad;
    }
    if (ent->chroot == -2)
        ent->chroot = mastercf_default_chroot();
    if (strcmp(f->argv[5], "-") != 0) {
        char *w = mem_strdup(f->argv[5]);
        size_t len = strlen(w);
        int rc;

        if (len > 0 && w[len - 1] == '?') {
            ent->wakeup_if_used = 1;
            w[len - 1] = 0;
        }
        rc = mastercf_number(w, INT_MAX, &ent->wakeup);
        mem_free(w);
        if (rc != 0) {
            mastercf_error(err, path, lineno, "bad wakeup time: %.100s", f->argv[5]);
            goto bad;
        }
    }
    if (strcmp(f->argv[6], "-") == 0) {
        long lim = conf_get_int("default_process_limit");

        ent->maxproc = lim > INT_MAX ? INT_MAX : (int) lim;
    } else if (mastercf_number(f->argv[6], INT_MAX, &ent->maxproc) != 0) {
        mastercf_error(err, path, lineno, "bad process limit: %.100s", f->argv[6]);
        goto bad;
    }
    /* Daemon options, as the skeleton's getopt sees them: -o is collected,
     * -i/-m/-n/-s/-t take a value, the first non-option ends the options
     * (pipe's flags=... argv=... are the command's own). */
    argv_add(ent->args, f->argv[7]);
    for (i = 8; i < f->argc; i++) {
        const char *arg = f->argv[i];

        if (arg[0] != '-' || strcmp(arg, "--") == 0)
            break;
        if (strcmp(arg, "-o") == 0 || str_has_prefix(arg, "-o")) {
            const char *opt = arg[2] ? arg + 2 : i + 1 < f->argc ? f->argv[++i] : "";
            VSTR *norm;

            if (mastercf_option(ent, opt) != 0) {
                mastercf_error(err, path, lineno, "-o without name=value: %.100s", opt);
                goto bad;
            }
            norm = vstr_new(64);
            vstr_printf(norm, "%s=%s", ent->opts[ent->nopts - 1].name, ent->opts[ent->nopts - 1].value);
            argv_add(ent->args, "-o");
            argv_add(ent->args, vstr_str(norm));
            vstr_free(norm);
            continue;
        } else if (arg[1] != 0 && strchr("imnst", arg[1]) != NULL && arg[2] == 0 && i + 1 < f->argc) {
            argv_add(ent->args, arg);
            arg = f->argv[++i];
        }
        argv_add(ent->args, arg);
    }
    for (; i < f->argc; i++)
        argv_add(ent->args, f->argv[i]);
    if (ent->args->argv[0][0] == 0) {
        mastercf_error(err, path, lineno, "empty command name");
        goto bad;
    }
    ent->command = ent->args->argv[0];
    argv_free(f);
    return ent;

bad:
    argv_free(f);
    mastercf_ent_free(ent);
    return NULL;
}

MASTERCF *mastercf_read(const char *path, char **err)
{
    FILE *fp;
    LINEREAD *lr;
    MASTERCF *m;
    char *line;

    if ((fp = fopen(path, "r")) == NULL) {
        VSTR *v = vstr_new(64);

        vstr_printf(v, "open %s: %s", path, strerror(errno));
        *err = vstr_export(v);
        return NULL;
    }
    m = mem_calloc(1, sizeof(*m));
    m->path = mem_strdup(path);
    lr = lineread_open(fp, path);
    lineread_set_max(lr, MASTERCF_LINE_MAX);
    while ((line = lineread_next(lr)) != NULL) {
        MASTERCF_ENT *ent;

        if (m->count >= MASTERCF_ENTRIES_MAX) {
            mastercf_error(err, path, lr->first_line, "more than %d entries", MASTERCF_ENTRIES_MAX);
            goto bad;
        }
        if ((ent = mastercf_parse_line(line, path, lr->first_line, err)) == NULL)
            goto bad;
        m->ents = mem_array_grow(m->ents, m->count + 1, sizeof(*m->ents));
        m->ents[m->count++] = ent;
    }
    if (lr->error != NULL) {
        mastercf_error(err, path, lr->lineno + 1, "%s", lr->error);
        goto bad;
    }
    lineread_close(lr);
    fclose(fp);
    return m;

bad:
    lineread_close(lr);
    fclose(fp);
    mastercf_free(m);
    return NULL;
}

const MASTERCF_ENT *mastercf_find(const MASTERCF *m, const char *name, const char *type)
{
    size_t i;

    for (i = 0; i < m->count; i++)
        if (strcmp(m->ents[i]->name, name) == 0 && (type == NULL || strcmp(m->ents[i]->type, type) == 0))
            return m->ents[i];
    return NULL;
}

void mastercf_overrides(const MASTERCF_ENT *ent, ARGV *names, ARGV *values)
{
    size_t i;

    for (i = 0; i < ent->nopts; i++) {
        argv_add(names, ent->opts[i].name);
        argv_add(values, ent->opts[i].value);
    }
}

static int mastercf_needs_braces(const char *text)
{
    return *text == 0 || strpbrk(text, MASTERCF_SPACE) != NULL;
}

/* The column where the last line of out ends. */
static size_t mastercf_column(const VSTR *out)
{
    const char *text = vstr_str(out);
    const char *nl = strrchr(text, '\n');

    return nl ? (size_t) (text + vstr_len(out) - nl - 1) : vstr_len(out);
}

/*
 * Append one unit (a word, or an option with its value) after a space, or,
 * when folding and the line would reach MASTERCF_FOLD_COLUMNS, on a new
 * indented line. brk forces the new line (folding only).
 */
static void mastercf_add_unit(VSTR *out, const char *unit, int fold, int brk)
{
    size_t col = mastercf_column(out);

    if (fold && col > 0 && (brk || col + 1 + strlen(unit) >= MASTERCF_FOLD_COLUMNS))
        vstr_adds(out, "\n    ");
    else if (col > 0)
        vstr_addch(out, ' ');
    vstr_adds(out, unit);
}

void mastercf_format_command(VSTR *out, const MASTERCF_ENT *ent, int fold)
{
    VSTR *unit = vstr_new(64);
    size_t i;
    int options = 1, after_o = 0;

    mastercf_add_unit(out, ent->args->argv[0], fold, 0);
    for (i = 1; i < ent->args->argc; i++) {
        const char *arg = ent->args->argv[i];
        int braces, is_o = 0;

        vstr_reset(unit);
        if (options && (arg[0] != '-' || strcmp(arg, "--") == 0))
            options = 0;
        if (options && arg[1] != 0 && strchr("imnost", arg[1]) != NULL && arg[2] == 0
            && i + 1 < ent->args->argc) {
            /* An option and its value stay together; the value is braced when it has blanks. */
            is_o = arg[1] == 'o';
            vstr_printf(unit, "%s ", arg);
            arg = ent->args->argv[++i];
        }
        braces = mastercf_needs_braces(arg);
        vstr_printf(unit, "%s%s%s", braces ? "{" : "", arg, braces ? "}" : "");
        /* Folded, a daemon's -o setting has a line of its own. */
        mastercf_add_unit(out, vstr_str(unit), fold, is_o || after_o);
        after_o = is_o;
    }
    vstr_free(unit);
}

void mastercf_format(VSTR *out, const MASTERCF_ENT *ent)
{
    mastercf_format_folded(out, ent, 0);
}

void mastercf_format_folded(VSTR *out, const MASTERCF_ENT *ent, int fold)
{
    static const size_t column[7] = {0, 11, 17, 25, 33, 41, 49};
    const char *fields[7];
    size_t start = vstr_len(out);
    size_t i;

    fields[0] = ent->name;
    fields[1] = ent->type;
    fields[2] = ent->private_text;
    fields[3] = ent->unpriv_text;
    fields[4] = ent->chroot_text;
    fields[5] = ent->wakeup_text;
    fields[6] = ent->maxproc_text;
    /* The fixed fields start at their column when the previous one leaves room. */
    for (i = 0; i < 7; i++) {
        if (i > 0)
            do
                vstr_addch(out, ' ');
            while (vstr_len(out) - start < column[i]);
        vstr_adds(out, fields[i]);
    }
    /* The command at column 57 (mastercf_add_unit adds the last space). */
    while (vstr_len(out) - start < 56)
        vstr_addch(out, ' ');
    mastercf_format_command(out, ent, fold);
}

void mastercf_ent_free(MASTERCF_ENT *ent)
{
    size_t i;

    if (ent == NULL)
        return;
    mem_free(ent->name);
    mem_free(ent->host);
    mem_free(ent->port);
    mem_free(ent->type);
    mem_free(ent->private_text);
    mem_free(ent->unpriv_text);
    mem_free(ent->chroot_text);
    mem_free(ent->wakeup_text);
    mem_free(ent->maxproc_text);
    argv_free(ent->args);
    for (i = 0; i < ent->nopts; i++) {
        mem_free(ent->opts[i].name);
        mem_free(ent->opts[i].value);
    }
    mem_free(ent->opts);
    mem_free(ent->raw);
    mem_free(ent);
}

void mastercf_free(MASTERCF *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->count; i++)
        mastercf_ent_free(m->ents[i]);
    mem_free(m->ents);
    mem_free(m->path);
    mem_free(m);
}
