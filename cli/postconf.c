/*
 * postconf - show and edit main.cf, show master.cf (Postfix's postconf(1)).
 *
 *   postconf [-c dir] [-dhHnx] [name ...]   show parameters, sorted by name
 *   postconf [-c dir] [-e] name=value ...   set parameters in main.cf
 *   postconf [-c dir] -X name ...           remove settings from main.cf
 *   postconf [-c dir] -# name ...           comment settings out
 *   postconf [-c dir] -M [name[/type] ...]  show master.cf entries
 *   postconf [-c dir] -F [name[/type[/field]] ...]      master.cf fields
 *   postconf [-c dir] -P [name[/type[/param]] ...]      master.cf -o settings
 *   postconf [-c dir] -b [template_file]    bounce templates, $name expanded
 *   postconf [-c dir] -t [template_file]    bounce templates as written
 *   (no file: bounce_template_file; an empty name: the built-in ones;
 *   lib/bounce_template.h. Problems are warnings on stderr and the
 *   built-in template, as the bounce daemon does; the exit status is 1
 *   when Postfix's postconf would have failed: a file that cannot be
 *   used, bad syntax, an undefined or bad $name.)
 *   -o name=value overrides main.cf for this command (like Postfix).
 *   postconf -M[e|X|#] service/type[=entry] ...       add, replace, remove,
 *   postconf -F[e] service/type/field=value ...        comment out entries,
 *   postconf -P[e|X] service/type/name[=value] ...     change fields, -o
 *   ('*' matches any service or type; an edited entry becomes one line).
 *
 * Output is Postfix's: "name = value", "name =" when the value is empty.
 * Unknown names get "postconf: warning: NAME: unknown parameter"; main.cf
 * settings that nothing uses get "postconf: warning: PATH: unused
 * parameter: name=value".
 *
 * Editing keeps every other line of main.cf as it is (comments, order,
 * blank lines), replaces a setting together with its continuation lines,
 * drops later duplicates of it, appends new settings at the end, and
 * replaces the file atomically: a temporary file in the same directory with
 * the old file's mode and owner, fsync, rename, fsync of the directory.
 *
 * Trust: postconf runs with the invoker's privileges and reads only the
 * configuration directory it is given. Errors are fatal with a message.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "bounce_template.h"
#include "conf.h"
#include "htable.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "params.h"
#include "table.h"
#include "strutil.h"
#include "vstr.h"

#define POSTCONF_LINE_MAX (1024 * 1024)
#define POSTCONF_FILE_MAX (64 * 1024 * 1024)

enum { SHOW_NAME_VALUE, SHOW_VALUE, SHOW_NAME };
enum { EDIT_SET, EDIT_REMOVE, EDIT_COMMENT };

typedef struct POSTCONF_OPTS {
    const char *dir;
    int defaults;   /* -d */
    int nondefault; /* -n */
    int expand;     /* -x */
    int show;       /* SHOW_* (-h, -H) */
    int edit;       /* -e */
    int remove;     /* -X */
    int comment;    /* -# */
    int master;     /* -M */
    int fields;     /* -F */
    int service_params; /* -P */
    int fold;       /* -f */
    int other;      /* -m, -a, -A, -l: the option letter */
    int templates;  /* -b, -t: the option letter */
} POSTCONF_OPTS;

#define POSTCONF_FOLD_COLUMNS 80   /* -f: a parameter line is at most this long */

__attribute__((noreturn)) static void usage(void)
{
    msg_fatal("usage: postconf [-c config_dir] [-dfhHnpx] [-o name=value] [name ...] | "
              "[-e] name=value ... | -X name ... | -# name ... | -M|-F|-P [service[/type] ...] | "
              "-m | -a | -A | -l | -b [template_file] | -t [template_file]");
}

/*
 * Print text as Postfix's postconf does: its words (separated by white
 * space, newlines included) joined by one space; with -f, a word that would
 * take the line past POSTCONF_FOLD_COLUMNS starts a new line indented by
 * four spaces.
 */
static void print_words(const POSTCONF_OPTS *o, const char *text)
{
    VSTR *out = vstr_new(128);
    size_t col = 0, len;

    for (text += strspn(text, " \t\r\n"); *text; text += len, text += strspn(text, " \t\r\n")) {
        len = strcspn(text, " \t\r\n");
        if (col > 0 && o->fold && col + 1 + len > POSTCONF_FOLD_COLUMNS) {
            vstr_adds(out, "\n    ");
            col = 4;
        } else if (col > 0) {
            vstr_addch(out, ' ');
            col++;
        }
        vstr_addmem(out, text, len);
        col += len;
    }
    printf("%s\n", vstr_str(out));
    vstr_free(out);
}

static void print_param(const POSTCONF_OPTS *o, const char *name, const char *value)
{
    VSTR *text;

    switch (o->show) {
    case SHOW_NAME:
        printf("%s\n", name);
        break;
    case SHOW_VALUE:
        print_words(o, value);
        break;
    default:
        text = vstr_new(128);
        vstr_printf(text, "%s = %s", name, value);
        print_words(o, vstr_str(text));
        vstr_free(text);
    }
}

/* -m, -a, -A, -l: what this build supports, one per line. */
static int sort_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static void show_other(int what)
{
    const char *types[64];
    size_t i, n = 0;
    const char *name;

    switch (what) {
    case 'm':
        for (i = 0; (name = table_type_name(i)) != NULL && n < sizeof(types) / sizeof(types[0]); i++)
            types[n++] = name;
        qsort(types, n, sizeof(types[0]), sort_strings);
        for (i = 0; i < n; i++)
            printf("%s\n", types[i]);
        break;
    case 'a':   /* smtpd_sasl_type */
        printf("cyrus\ndovecot\n");
        break;
    case 'A':   /* smtp_sasl_type */
        printf("cyrus\n");
        break;
    case 'l':   /* mailbox_delivery_lock methods */
        printf("flock\nfcntl\ndotlock\n");
        break;
    }
}

static void print_line(void *ctx, const char *line)
{
    (void) ctx;
    printf("%s\n", line);
}

/*
 * -b, -t: the bounce templates of file (NULL: bounce_template_file; "":
 * the built-in ones), expanded (-b) or as written (-t). 0, or 1 when a
 * problem was one that Postfix's postconf treats as fatal.
 */
static int show_templates(int what, const char *file)
{
    BOUNCE_TEMPLATES *ts = bounce_templates_new();
    int rc = 0;

    if (file == NULL)
        file = conf_get("bounce_template_file");
    if (file && file[0] && bounce_templates_load(ts, file) < 0)
        rc = 1;
    if (what == 'b') {
        if (bounce_templates_expand(ts, bounce_template_conf_lookup, NULL) < 0)
            rc = 1;
        bounce_templates_dump_expanded(ts, print_line, NULL);
    } else {
        bounce_templates_dump(ts, print_line, NULL);
    }
    bounce_templates_free(ts);
    return rc;
}

/* Per-transport parameters of master.cf delivery services not in the table. */
static void add_service_params(HTABLE *names)
{
    static const char *const suffixes[] = {
        "_delivery_slot_cost", "_delivery_slot_discount", "_delivery_slot_loan",
        "_destination_concurrency_failed_cohort_limit", "_destination_concurrency_limit",
        "_destination_concurrency_negative_feedback", "_destination_concurrency_positive_feedback",
        "_destination_rate_delay", "_destination_recipient_limit", "_extra_recipient_limit",
        "_initial_destination_concurrency", "_minimum_delivery_slots", "_recipient_limit",
        "_recipient_refill_delay", "_recipient_refill_limit", "_transport_rate_delay", NULL};
    static const char *const agents[] = {"smtp", "lmtp", "local", "virtual", "pipe", "error", NULL};
    char path[4096];
    char *err = NULL;
    MASTERCF *m;
    size_t i, j, k;

    snprintf(path, sizeof(path), "%s/master.cf", conf_dir());
    if (access(path, F_OK) != 0)
        return;
    if ((m = mastercf_read(path, &err)) == NULL)
        msg_fatal("%s", err);
    for (i = 0; i < m->count; i++) {
        const MASTERCF_ENT *e = m->ents[i];

        if (strcmp(e->type, "unix") != 0)
            continue;
        for (k = 0; agents[k] != NULL && strcmp(agents[k], e->command) != 0; k++)
            ;
        if (agents[k] == NULL)
            continue;
        for (j = 0; suffixes[j] != NULL; j++) {
            VSTR *n = vstr_new(64);

            vstr_printf(n, "%s%s", e->name, suffixes[j]);
            htable_put(names, vstr_str(n), NULL);
            if (strcmp(e->command, "pipe") == 0) {
                vstr_sprintf(n, "%s_time_limit", e->name);
                htable_put(names, vstr_str(n), NULL);
            }
            vstr_free(n);
        }
    }
    mastercf_free(m);
}

static const char *param_value(const POSTCONF_OPTS *o, const char *name)
{
    return o->expand ? conf_get(name) : conf_get_raw(name);
}

/* Warn about master.cf -o settings that nothing uses, as for main.cf. */
static void warn_unused_master(void)
{
    VSTR *path = vstr_new(64);
    char *err = NULL;
    MASTERCF *m;
    size_t i, j;

    vstr_printf(path, "%s/master.cf", conf_dir());
    if (access(vstr_str(path), F_OK) == 0) {
        if ((m = mastercf_read(vstr_str(path), &err)) == NULL)
            msg_fatal("%s", err);
        for (i = 0; i < m->count; i++)
            for (j = 0; j < m->ents[i]->nopts; j++)
                if (!conf_is_used(m->ents[i]->opts[j].name))
                    msg_warn("%s: unused parameter: %s=%s", vstr_str(path), m->ents[i]->opts[j].name,
                             m->ents[i]->opts[j].value);
        mastercf_free(m);
    }
    vstr_free(path);
}

static int show_params(const POSTCONF_OPTS *o, char **names, int count)
{
    int i;

    if (!o->defaults) {
        conf_warn_unused();
        warn_unused_master();
    }
    if (count > 0) {
        for (i = 0; i < count; i++) {
            const char *value = param_value(o, names[i]);

            if (value == NULL || !conf_is_used(names[i])) {
                msg_warn("%s: unknown parameter", names[i]);
                continue;
            }
            if (o->nondefault && !conf_is_set(names[i]))
                continue;
            print_param(o, names[i], value);
        }
    } else {
        HTABLE *all = htable_new(2048);
        const char **keys;
        size_t j;

        if (o->nondefault) {
            keys = conf_main_cf_names();
            for (j = 0; keys[j] != NULL; j++)
                if (conf_is_used(keys[j]))
                    htable_put(all, keys[j], NULL);
            mem_free(keys);
            if (conf_is_set("config_directory"))
                htable_put(all, "config_directory", NULL);
        } else {
            for (j = 0; j < params_count(); j++)
                htable_put(all, params_at(j)->name, NULL);
            add_service_params(all);
            if (!o->defaults) {
                keys = conf_main_cf_names();
                for (j = 0; keys[j] != NULL; j++)
                    if (conf_is_used(keys[j]))
                        htable_put(all, keys[j], NULL);
                mem_free(keys);
            }
        }
        keys = htable_keys(all);
        for (j = 0; keys[j] != NULL; j++) {
            const char *value = param_value(o, keys[j]);

            print_param(o, keys[j], value ? value : "");
        }
        mem_free(keys);
        htable_free(all, NULL);
    }
    return 0;
}

/* "pattern" matches text: equal, or the pattern is "*". */
static int pattern_match(const char *pattern, const char *text)
{
    return strcmp(pattern, "*") == 0 || strcmp(pattern, text) == 0;
}

/* Does master.cf entry e match a selector "name" or "name/type"? Counts matches. */
static int master_selected(const MASTERCF_ENT *e, char **sel, int count, int *matched)
{
    int i;
    int any = 0;

    if (count == 0)
        return 1;
    for (i = 0; i < count; i++) {
        ARGV *parts = argv_split(sel[i], "/");

        if (parts->argc >= 1 && parts->argc <= 2 && pattern_match(parts->argv[0], e->name)
            && (parts->argc < 2 || pattern_match(parts->argv[1], e->type))) {
            matched[i]++;
            any = 1;
        }
        argv_free(parts);
    }
    return any;
}

static void warn_unmatched(char **sel, int count, const int *matched)
{
    int i;

    for (i = 0; i < count; i++)
        if (matched[i] == 0)
            msg_warn("unmatched request: \"%s\"", sel[i]);
}

static int show_master(const POSTCONF_OPTS *o, char **sel, int count)
{
    VSTR *path = vstr_new(64);
    VSTR *line = vstr_new(256);
    char *err = NULL;
    MASTERCF *m;
    size_t i;
    int *matched = mem_calloc((size_t) count + 1, sizeof(int));

    vstr_printf(path, "%s/master.cf", conf_dir());
    if ((m = mastercf_read(vstr_str(path), &err)) == NULL)
        msg_fatal("%s", err);
    for (i = 0; i < m->count; i++) {
        if (!master_selected(m->ents[i], sel, count, matched))
            continue;
        vstr_reset(line);
        mastercf_format_folded(line, m->ents[i], o->fold);
        printf("%s\n", vstr_str(line));
    }
    warn_unmatched(sel, count, matched);
    mem_free(matched);
    mastercf_free(m);
    vstr_free(path);
    vstr_free(line);
    return 0;
}

/* Does "service/type/item" (any prefix of it) select entry e and item? */
static int item_selected(const MASTERCF_ENT *e, const char *item, char **sel, int count)
{
    int i;

    if (count == 0)
        return 1;
    for (i = 0; i < count; i++) {
        ARGV *parts = argv_split(sel[i], "/");
        int match = parts->argc >= 1 && parts->argc <= 3 && pattern_match(parts->argv[0], e->name)
                    && (parts->argc < 2 || pattern_match(parts->argv[1], e->type))
                    && (parts->argc < 3 || pattern_match(parts->argv[2], item));

        argv_free(parts);
        if (match)
            return 1;
    }
    return 0;
}

static void print_item(const POSTCONF_OPTS *o, const MASTERCF_ENT *e, const char *item, const char *value)
{
    VSTR *name = vstr_new(64);

    vstr_printf(name, "%s/%s/%s", e->name, e->type, item);
    print_param(o, vstr_str(name), value);
    vstr_free(name);
}

/* -P: an entry's -o settings sorted by name; of one name set twice, the last. */
static int compare_opts(const void *a, const void *b)
{
    const MASTERCF_OPT *x = *(const MASTERCF_OPT *const *) a, *y = *(const MASTERCF_OPT *const *) b;
    int d = strcmp(x->name, y->name);

    return d ? d : x < y ? -1 : x > y;
}

static void show_service_params(const POSTCONF_OPTS *o, const MASTERCF_ENT *e, char **sel, int count)
{
    const MASTERCF_OPT **opts = mem_calloc(e->nopts + 1, sizeof(*opts));
    size_t j;

    for (j = 0; j < e->nopts; j++)
        opts[j] = &e->opts[j];
    qsort(opts, e->nopts, sizeof(*opts), compare_opts);
    for (j = 0; j < e->nopts; j++) {
        if (j + 1 < e->nopts && strcmp(opts[j]->name, opts[j + 1]->name) == 0)
            continue;
        if (item_selected(e, opts[j]->name, sel, count))
            print_item(o, e, opts[j]->name, opts[j]->value);
    }
    mem_free(opts);
}

/* -F: the eight fields of each entry; -P: each entry's -o settings. */
static int show_master_items(const POSTCONF_OPTS *o, char **sel, int count)
{
    VSTR *path = vstr_new(64);
    VSTR *cmd = vstr_new(64);
    char *err = NULL;
    MASTERCF *m;
    size_t i, j;

    vstr_printf(path, "%s/master.cf", conf_dir());
    if ((m = mastercf_read(vstr_str(path), &err)) == NULL)
        msg_fatal("%s", err);
    for (i = 0; i < m->count; i++) {
        const MASTERCF_ENT *e = m->ents[i];

        if (o->service_params) {
            show_service_params(o, e, sel, count);
            continue;
        }
        {
            const char *fields[][2] = {
                {"service", e->name}, {"type", e->type}, {"private", e->private_text},
                {"unprivileged", e->unpriv_text}, {"chroot", e->chroot_text},
                {"wakeup", e->wakeup_text}, {"process_limit", e->maxproc_text},
            };

            for (j = 0; j < sizeof(fields) / sizeof(fields[0]); j++)
                if (item_selected(e, fields[j][0], sel, count))
                    print_item(o, e, fields[j][0], fields[j][1]);
            /* The command as -M shows it (braces kept), folded as -Mf folds it. */
            if (item_selected(e, "command", sel, count)) {
                vstr_reset(cmd);
                if (o->show == SHOW_NAME) {
                    vstr_printf(cmd, "%s/%s/command", e->name, e->type);
                } else {
                    if (o->show == SHOW_NAME_VALUE)
                        vstr_printf(cmd, "%s/%s/command =", e->name, e->type);
                    mastercf_format_command(cmd, e, o->fold);
                }
                printf("%s\n", vstr_str(cmd));
            }
        }
    }
    mastercf_free(m);
    vstr_free(path);
    vstr_free(cmd);
    return 0;
}

/*
 * Editing main.cf.
 */

/* The name a main.cf setting line sets, or NULL (comment, blank, continuation). */
static char *setting_name(const char *line)
{
    const char *eq;
    char *name;

    if (line[0] == 0 || strchr(" \t\r\f\v#", line[0]) != NULL)
        return NULL;
    if ((eq = strchr(line, '=')) == NULL)
        return NULL;
    name = mem_strndup(line, (size_t) (eq - line));
    str_trim(name);
    return name;
}

static int blank_line(const char *line)
{
    return line[strspn(line, " \t\r\f\v")] == 0;
}

/* Read main.cf into lines (without newlines). A missing file is empty. */
static ARGV *read_lines(const char *path, struct stat *st, int *exists)
{
    FILE *fp;
    ARGV *lines = argv_new();
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    size_t total = 0;

    *exists = 0;
    if ((fp = fopen(path, "r")) == NULL) {
        if (errno == ENOENT)
            return lines;
        msg_fatal("open %s: %s", path, strerror(errno));
    }
    if (fstat(fileno(fp), st) != 0)
        msg_fatal("fstat %s: %s", path, strerror(errno));
    *exists = 1;
    while ((len = getline(&buf, &cap, fp)) > 0) {
        if ((size_t) len > POSTCONF_LINE_MAX)
            msg_fatal("%s, line %zu: line too long", path, lines->argc + 1);
        total += (size_t) len;
        if (total > POSTCONF_FILE_MAX)
            msg_fatal("%s: file too large", path);
        if (memchr(buf, 0, (size_t) len) != NULL)
            msg_fatal("%s, line %zu: NUL character", path, lines->argc + 1);
        if (buf[len - 1] == '\n')
            buf[--len] = 0;
        argv_add(lines, buf);
    }
    if (ferror(fp))
        msg_fatal("read %s: %s", path, strerror(errno));
    free(buf);
    fclose(fp);
    return lines;
}

static void write_all(int fd, const char *data, size_t len, const char *path)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("write %s: %s", path, strerror(errno));
        }
        data += n;
        len -= (size_t) n;
    }
}

/* Replace path with text: temp file beside it, same mode and owner, fsync, rename. */
static void replace_file(const char *path, const VSTR *text, const struct stat *st, int exists)
{
    VSTR *tmp = vstr_new(64);
    char *dir = mem_strdup(path);
    char *slash = strrchr(dir, '/');
    int fd;

    vstr_printf(tmp, "%s.postconf.XXXXXX", path);
    if ((fd = mkstemp(vstr_str(tmp))) < 0)
        msg_fatal("create temporary file %s: %s", vstr_str(tmp), strerror(errno));
    if (fchmod(fd, exists ? (st->st_mode & 07777) : 0644) != 0
        || (exists && fchown(fd, st->st_uid, st->st_gid) != 0 && errno != EPERM)) {
        int saved = errno;

        unlink(vstr_str(tmp));
        msg_fatal("set mode/owner of %s: %s", vstr_str(tmp), strerror(saved));
    }
    write_all(fd, vstr_str(text), vstr_len(text), vstr_str(tmp));
    if (fsync(fd) != 0 || close(fd) != 0) {
        int saved = errno;

        unlink(vstr_str(tmp));
        msg_fatal("write %s: %s", vstr_str(tmp), strerror(saved));
    }
    if (rename(vstr_str(tmp), path) != 0) {
        int saved = errno;

        unlink(vstr_str(tmp));
        msg_fatal("rename %s to %s: %s", vstr_str(tmp), path, strerror(saved));
    }
    if (slash != NULL) {
        int dfd;

        *slash = 0;
        if ((dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY)) >= 0) {
            (void) fsync(dfd);
            close(dfd);
        }
    }
    mem_free(dir);
    vstr_free(tmp);
}

/* Edit main.cf: names[i] set to values[i] (EDIT_SET), removed, or commented out. */
static void edit_main_cf(int mode, ARGV *names, ARGV *values)
{
    const char *path = conf_main_cf_path();
    struct stat st;
    int exists;
    ARGV *lines = read_lines(path, &st, &exists);
    HTABLE *todo = htable_new(16);
    int *done = mem_calloc(names->argc + 1, sizeof(int));
    VSTR *out = vstr_new(4096);
    enum { KEEP, DROP, COMMENT } state = KEEP;
    size_t i;

    if (!exists && mode != EDIT_SET) {
        argv_free(lines);
        htable_free(todo, NULL);
        mem_free(done);
        vstr_free(out);
        return;
    }
    for (i = 0; i < names->argc; i++)
        htable_put(todo, names->argv[i], (void *) (i + 1));
    for (i = 0; i < lines->argc; i++) {
        const char *line = lines->argv[i];
        char *name;
        size_t idx;

        if (blank_line(line) || line[0] == '#') {
            vstr_adds(out, line);
            vstr_addch(out, '\n');
            continue;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            if (state == KEEP) {
                vstr_adds(out, line);
                vstr_addch(out, '\n');
            } else if (state == COMMENT) {
                vstr_printf(out, "#%s\n", line);
            }
            continue;
        }
        name = setting_name(line);
        idx = name ? (size_t) htable_get(todo, name) : 0;
        mem_free(name);
        if (idx == 0) {
            state = KEEP;
            vstr_adds(out, line);
            vstr_addch(out, '\n');
        } else if (mode == EDIT_SET) {
            state = DROP;
            if (!done[idx - 1]++)
                vstr_printf(out, "%s = %s\n", names->argv[idx - 1], values->argv[idx - 1]);
        } else if (mode == EDIT_REMOVE) {
            state = DROP;
        } else {
            state = COMMENT;
            vstr_printf(out, "#%s\n", line);
        }
    }
    if (mode == EDIT_SET)
        for (i = 0; i < names->argc; i++)
            if (!done[i])
                vstr_printf(out, "%s = %s\n", names->argv[i], values->argv[i]);
    replace_file(path, out, &st, exists);
    argv_free(lines);
    htable_free(todo, NULL);
    mem_free(done);
    vstr_free(out);
}

static int valid_name(const char *name)
{
    const char *cp;

    if (*name == 0 || strlen(name) > CONF_NAME_MAX)
        return 0;
    for (cp = name; *cp; cp++)
        if (!(*cp >= 'a' && *cp <= 'z') && !(*cp >= 'A' && *cp <= 'Z') && !(*cp >= '0' && *cp <= '9')
            && *cp != '_' && *cp != '-')
            return 0;
    return 1;
}

static int edit_params(int mode, char **args, int count)
{
    ARGV *names = argv_new();
    ARGV *values = argv_new();
    int i;
    size_t j;

    if (count == 0)
        usage();
    for (i = 0; i < count; i++) {
        char *arg = mem_strdup(args[i]);
        char *eq = strchr(arg, '=');
        char *name;
        char *value = NULL;

        if (mode == EDIT_SET) {
            if (eq == NULL)
                msg_fatal("missing '=' in \"%s\" (use name=value)", str_printable(arg, 1));
            *eq = 0;
            value = str_trim(eq + 1);
            if (strpbrk(value, "\r\n") != NULL)
                msg_fatal("parameter %s: value contains a newline", str_trim(arg));
            if (strlen(value) > CONF_VALUE_MAX)
                msg_fatal("parameter %s: value is longer than %d bytes", str_trim(arg), CONF_VALUE_MAX);
        }
        name = str_trim(arg);
        if (!valid_name(name))
            msg_fatal("bad parameter name: \"%s\"", str_printable(name, 1));
        /* A later argument for the same name wins. */
        for (j = 0; j < names->argc; j++) {
            if (strcmp(names->argv[j], name) == 0) {
                if (value != NULL) {
                    mem_free(values->argv[j]);
                    values->argv[j] = mem_strdup(value);
                }
                break;
            }
        }
        if (j == names->argc) {
            argv_add(names, name);
            argv_add(values, value ? value : "");
        }
        mem_free(arg);
    }
    edit_main_cf(mode, names, values);
    argv_free(names);
    argv_free(values);
    return 0;
}

/*
 * Editing master.cf: -M (entries), -F (fields), -P (-o parameters), with
 * -e (set), -X (remove) or -# (comment out). An edited entry is rewritten as
 * one line in `postconf -M` form; every other line stays as it is.
 */

typedef struct MASTER_SPAN {
    size_t first;       /* first physical line (index) */
    size_t last;        /* last continuation line */
    MASTERCF_ENT *ent;
    char *new_text;     /* replacement, or NULL */
    int remove;
    int comment;
} MASTER_SPAN;

static const char *const master_field_names[] = {
    "service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command", NULL};

static int comment_line(const char *line)
{
    return line[strspn(line, " \t\r\f\v")] == '#';
}

/* Group master.cf's physical lines into entries and parse each; errors are fatal. */
static MASTER_SPAN *master_spans(ARGV *lines, const char *path, size_t *count)
{
    MASTER_SPAN *spans = NULL;
    size_t n = 0;
    size_t i = 0;

    while (i < lines->argc) {
        VSTR *text;
        size_t j;
        size_t last = i;
        char *err = NULL;
        MASTERCF_ENT *ent;

        if (blank_line(lines->argv[i]) || comment_line(lines->argv[i])) {
            i++;
            continue;
        }
        text = vstr_new(256);
        vstr_adds(text, lines->argv[i]);
        for (j = i + 1; j < lines->argc; j++) {
            const char *l = lines->argv[j];

            if (blank_line(l) || comment_line(l))
                continue;
            if (l[0] != ' ' && l[0] != '\t')
                break;
            if (vstr_len(text) + strlen(l) > MASTERCF_LINE_MAX)
                msg_fatal("%s, line %zu: line too long", path, i + 1);
            vstr_adds(text, l);
            last = j;
        }
        if ((ent = mastercf_parse_line(vstr_str(text), path, (int) i + 1, &err)) == NULL)
            msg_fatal("%s", err);
        vstr_free(text);
        spans = mem_array_grow(spans, n + 1, sizeof(*spans));
        memset(&spans[n], 0, sizeof(spans[n]));
        spans[n].first = i;
        spans[n].last = last;
        spans[n].ent = ent;
        n++;
        i = last + 1;
    }
    *count = n;
    return spans;
}

/* Split "a/b[/c]" (exactly want parts) or fatal. */
static ARGV *split_selector(const char *text, size_t want, const char *what)
{
    ARGV *parts = argv_split(text, "/");

    if (parts->argc != want)
        msg_fatal("%s requires %s: \"%s\"", what,
                  want == 2 ? "service/type" : "service/type/name", text);
    return parts;
}

/* The entry's text with one field replaced (index into master_field_names). */
static char *entry_with_field(const MASTERCF_ENT *e, int field, const char *value)
{
    VSTR *line = vstr_new(256);
    VSTR *out = vstr_new(256);
    ARGV *tok = argv_new();
    const char *cp;
    int k;

    mastercf_format(line, e);
    cp = vstr_str(line);
    for (k = 0; k < 7; k++) {
        size_t len;

        cp += strspn(cp, " ");
        len = strcspn(cp, " ");
        argv_addn(tok, cp, len);
        cp += len;
    }
    cp += strspn(cp, " ");
    for (k = 0; k < 7; k++)
        vstr_printf(out, "%s ", k == field ? value : tok->argv[k]);
    vstr_adds(out, field == 7 ? value : cp);
    argv_free(tok);
    vstr_free(line);
    return vstr_export(out);
}

/* The entry's text with -o name=value set (value NULL: removed). */
static char *entry_with_param(const MASTERCF_ENT *e, const char *name, const char *value)
{
    ARGV *args = argv_new();
    MASTERCF_ENT copy = *e;
    VSTR *out = vstr_new(256);
    size_t len = strlen(name);
    size_t k;
    int done = 0;

    argv_add(args, e->args->argv[0]);
    for (k = 1; k < e->args->argc; k++) {
        const char *arg = e->args->argv[k];

        if (arg[0] != '-' || strcmp(arg, "--") == 0)
            break;
        if (strchr("imnost", arg[1]) != NULL && arg[1] != 0 && arg[2] == 0 && k + 1 < e->args->argc) {
            const char *val = e->args->argv[++k];

            if (strcmp(arg, "-o") == 0 && strncmp(val, name, len) == 0 && val[len] == '=') {
                if (value != NULL && !done) {
                    VSTR *nv = vstr_new(64);

                    vstr_printf(nv, "%s=%s", name, value);
                    argv_add(args, "-o");
                    argv_add(args, vstr_str(nv));
                    vstr_free(nv);
                    done = 1;
                }
                continue;
            }
            argv_add(args, arg);
            argv_add(args, val);
            continue;
        }
        argv_add(args, arg);
    }
    if (value != NULL && !done) {
        VSTR *nv = vstr_new(64);

        vstr_printf(nv, "%s=%s", name, value);
        argv_add(args, "-o");
        argv_add(args, vstr_str(nv));
        vstr_free(nv);
    }
    for (; k < e->args->argc; k++)
        argv_add(args, e->args->argv[k]);
    copy.args = args;
    mastercf_format(out, &copy);
    argv_free(args);
    return vstr_export(out);
}

/* Validate text as an entry and keep it, in `postconf -M` form, for span sp. */
static void set_new_text(MASTER_SPAN *sp, char *text, const char *request)
{
    char *err = NULL;
    MASTERCF_ENT *ent = mastercf_parse_line(text, "master.cf", (int) sp->first + 1, &err);
    VSTR *formatted = vstr_new(256);

    if (ent == NULL)
        msg_fatal("bad result of \"%s\": %s", request, err);
    mastercf_format(formatted, ent);
    mem_free(text);
    mem_free(sp->new_text);
    sp->new_text = vstr_export(formatted);
    /* Later edits of the same entry start from this one. */
    mastercf_ent_free(sp->ent);
    sp->ent = ent;
}

static int edit_master(const POSTCONF_OPTS *o, int mode, char **args, int count)
{
    VSTR *path = vstr_new(64);
    struct stat st;
    int exists;
    ARGV *lines;
    MASTER_SPAN *spans;
    size_t nspans;
    ARGV *appended = argv_new();
    VSTR *out = vstr_new(4096);
    size_t i, k;
    int a;

    if (count == 0)
        usage();
    vstr_printf(path, "%s/master.cf", conf_dir());
    lines = read_lines(vstr_str(path), &st, &exists);
    if (!exists && !(o->master && mode == EDIT_SET))
        msg_fatal("open %s: %s", vstr_str(path), strerror(ENOENT));
    spans = master_spans(lines, vstr_str(path), &nspans);
    for (a = 0; a < count; a++) {
        char *req = mem_strdup(args[a]);
        char *eq = strchr(req, '=');
        char *value = NULL;
        ARGV *sel;
        int matched = 0;

        if (mode == EDIT_SET) {
            if (eq == NULL)
                msg_fatal("missing '=' in \"%s\"", args[a]);
            *eq = 0;
            value = str_trim(eq + 1);
            if (strpbrk(value, "\r\n") != NULL)
                msg_fatal("\"%s\": value contains a newline", str_trim(req));
        } else if (eq != NULL) {
            msg_fatal("unexpected '=' in \"%s\"", args[a]);
        }
        sel = split_selector(str_trim(req), o->master ? 2 : 3, o->master ? "-M" : o->fields ? "-F" : "-P");
        for (i = 0; i < nspans; i++) {
            MASTER_SPAN *sp = &spans[i];

            if (sp->remove || sp->comment || !pattern_match(sel->argv[0], sp->ent->name)
                || !pattern_match(sel->argv[1], sp->ent->type))
                continue;
            matched++;
            if (o->master && mode == EDIT_SET) {
                set_new_text(sp, mem_strdup(value), args[a]);
            } else if (o->master) {
                sp->remove = mode == EDIT_REMOVE;
                sp->comment = mode == EDIT_COMMENT;
            } else if (o->fields) {
                for (k = 0; master_field_names[k] != NULL && strcmp(master_field_names[k], sel->argv[2]) != 0; k++)
                    ;
                if (master_field_names[k] == NULL)
                    msg_fatal("-F: unknown field \"%s\" (use service, type, private, unprivileged, "
                              "chroot, wakeup, process_limit or command)", sel->argv[2]);
                if (k < 7 && (*value == 0 || strpbrk(value, " \t") != NULL))
                    msg_fatal("-F: bad value for %s: \"%s\"", sel->argv[2], value);
                set_new_text(sp, entry_with_field(sp->ent, (int) k, value), args[a]);
            } else {
                set_new_text(sp, entry_with_param(sp->ent, sel->argv[2], value), args[a]);
            }
        }
        if (matched == 0) {
            if (o->master && mode == EDIT_SET) {
                char *err = NULL;
                MASTERCF_ENT *ent = mastercf_parse_line(value, "master.cf", 1, &err);
                VSTR *formatted = vstr_new(256);

                if (ent == NULL)
                    msg_fatal("bad result of \"%s\": %s", args[a], err);
                if (strcmp(ent->name, sel->argv[0]) != 0 || strcmp(ent->type, sel->argv[1]) != 0)
                    msg_fatal("\"%s\": the entry is not for %s/%s", args[a], sel->argv[0], sel->argv[1]);
                mastercf_format(formatted, ent);
                argv_add(appended, vstr_str(formatted));
                vstr_free(formatted);
                mastercf_ent_free(ent);
            } else {
                msg_warn("unmatched request: \"%s\"", args[a]);
            }
        }
        argv_free(sel);
        mem_free(req);
    }
    /* Write the file back: untouched lines as they were. */
    for (i = 0, k = 0; i < lines->argc; i++) {
        const char *line = lines->argv[i];
        MASTER_SPAN *sp = k < nspans && i >= spans[k].first && i <= spans[k].last ? &spans[k] : NULL;
        int inside_comment = blank_line(line) || comment_line(line);

        if (sp == NULL || (sp->new_text == NULL && !sp->remove && !sp->comment)) {
            vstr_printf(out, "%s\n", line);
        } else if (sp->comment) {
            vstr_printf(out, inside_comment ? "%s\n" : "#%s\n", line);
        } else if (i == sp->first && sp->new_text != NULL) {
            vstr_printf(out, "%s\n", sp->new_text);
        } else if (inside_comment) {
            vstr_printf(out, "%s\n", line);
        }
        if (k < nspans && i == spans[k].last)
            k++;
    }
    for (i = 0; i < appended->argc; i++)
        vstr_printf(out, "%s\n", appended->argv[i]);
    replace_file(vstr_str(path), out, &st, exists);
    for (i = 0; i < nspans; i++) {
        mastercf_ent_free(spans[i].ent);
        mem_free(spans[i].new_text);
    }
    mem_free(spans);
    argv_free(lines);
    argv_free(appended);
    vstr_free(out);
    vstr_free(path);
    return 0;
}

int main(int argc, char **argv)
{
    POSTCONF_OPTS o;
    int ch;
    int rc;
    int i;
    ARGV *overrides = argv_new();

    msg_init("postconf", MSG_OUT_STDERR);
    memset(&o, 0, sizeof(o));
    o.show = SHOW_NAME_VALUE;
    while ((ch = getopt(argc, argv, "aAbc:dfFhHlmMno:pPtvxeX#")) != -1) {
        switch (ch) {
        case 'b':
        case 't':
            o.templates = ch;
            break;
        case 'c':
            o.dir = optarg;
            break;
        case 'd':
            o.defaults = 1;
            break;
        case 'f':
            o.fold = 1;
            break;
        case 'p':
        case 'v':
            break;
        case 'm':
        case 'a':
        case 'A':
        case 'l':
            o.other = ch;
            break;
        case 'h':
            o.show = SHOW_VALUE;
            break;
        case 'H':
            o.show = SHOW_NAME;
            break;
        case 'M':
            o.master = 1;
            break;
        case 'F':
            o.fields = 1;
            break;
        case 'P':
            o.service_params = 1;
            break;
        case 'o':
            if (strchr(optarg, '=') == NULL)
                msg_fatal("-o requires name=value: %s", optarg);
            argv_add(overrides, optarg);
            break;
        case 'n':
            o.nondefault = 1;
            break;
        case 'x':
            o.expand = 1;
            break;
        case 'e':
            o.edit = 1;
            break;
        case 'X':
            o.remove = 1;
            break;
        case '#':
            o.comment = 1;
            break;
        default:
            usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (o.other) {
        argv_free(overrides);
        show_other(o.other);
        if (fflush(stdout) != 0 || ferror(stdout))
            msg_fatal("write error on standard output: %s", strerror(errno));
        return 0;
    }
    if (o.edit + o.remove + o.comment > 1 || o.master + o.fields + o.service_params > 1
        || (o.defaults && o.nondefault) || (o.fields && (o.remove || o.comment))
        || (o.service_params && o.comment))
        usage();
    /* Since Postfix 2.8, name=value arguments edit without -e. */
    if (!o.remove && !o.comment)
        for (i = 0; i < argc; i++)
            if (strchr(argv[i], '=') != NULL)
                o.edit = 1;
    if (o.defaults)
        conf_init_defaults(o.dir);
    else
        conf_init(o.dir);
    conf_set_lenient(1);
    for (i = 0; i < (int) overrides->argc; i++) {
        char *eq = strchr(overrides->argv[i], '=');
        char *name = mem_strndup(overrides->argv[i], (size_t) (eq - overrides->argv[i]));

        conf_override(str_trim(name), eq + 1);
        mem_free(name);
    }
    argv_free(overrides);
    if (o.templates) {
        if (argc > 1 || o.edit || o.remove || o.comment || o.master || o.fields
            || o.service_params)
            usage();
        rc = show_templates(o.templates, argc > 0 ? argv[0] : NULL);
        if (fflush(stdout) != 0 || ferror(stdout))
            msg_fatal("write error on standard output: %s", strerror(errno));
        conf_free();
        return rc;
    }
    /* As Postfix's: parameters are not listed from a main.cf that is not there. */
    if (!o.defaults && !o.master && !o.fields && !o.service_params && !o.edit && !o.remove
        && !o.comment && access(conf_main_cf_path(), F_OK) < 0 && errno == ENOENT)
        msg_fatal("open %s: %s", conf_main_cf_path(), strerror(errno));
    if ((o.master || o.fields || o.service_params) && (o.edit || o.remove || o.comment))
        rc = edit_master(&o, o.edit ? EDIT_SET : o.remove ? EDIT_REMOVE : EDIT_COMMENT, argv, argc);
    else if (o.master)
        rc = show_master(&o, argv, argc);
    else if (o.fields || o.service_params)
        rc = show_master_items(&o, argv, argc);
    else if (o.edit)
        rc = edit_params(EDIT_SET, argv, argc);
    else if (o.remove)
        rc = edit_params(EDIT_REMOVE, argv, argc);
    else if (o.comment)
        rc = edit_params(EDIT_COMMENT, argv, argc);
    else
        rc = show_params(&o, argv, argc);
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write error on standard output: %s", strerror(errno));
    conf_free();
    return rc;
}
