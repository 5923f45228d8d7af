/* tablecmd - postmap, postalias and newaliases; see tablecmd.h. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "lineread.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table.h"
#include "tablecmd.h"
#include "tablefile.h"
#include "tablesrc.h"
#include "vstr.h"

#define KEY_LINE_MAX (64 * 1024)    /* a -q - / -d - key line */

typedef struct CMD {
    int alias;              /* postalias or newaliases */
    int fold;               /* not -f */
    int nul_flags;          /* -N, -n: TABLE_FLAG_TRY1NULL / TRY0NULL, or 0 */
    int dup_flags;          /* -r, -w */
    int inherit_perms;      /* not -p */
    int keep_root;          /* -o */
    int header_keys;        /* -h: with -q -, each message header is a key */
    int body_keys;          /* -b: with -q -, each message body line is a key */
} CMD;

/* Root's effective group and groups, while a build runs as a source's owner. */
typedef struct PRIV {
    int dropped;
    gid_t egid;
    int ngroups;
    gid_t *groups;
} PRIV;

/*
 * The table being built, for the fatal-error hook only: msg_fatal() takes
 * no context, so this program-level pointer is how a fatal error removes the
 * half-written file (the old table stays as it was).
 */
static TABLE *cmd_building;
static PRIV *cmd_priv;          /* likewise: give root back before exiting */

static void priv_restore(PRIV *p);

static void cmd_cleanup(void)
{
    TABLE *t = cmd_building;

    cmd_building = NULL;
    if (t != NULL) {
        tablefile_discard(t);
        table_close(t);         /* discarded: releases, does not commit */
    }
    if (cmd_priv != NULL)
        priv_restore(cmd_priv);
    cmd_priv = NULL;
}

static const char *default_type(void)
{
    const char *type = conf_get("default_database_type");

    return type != NULL && *type != 0 ? type : "hash";
}

/* "type:name" or "name" with the default type. */
static void split_spec(const char *arg, VSTR *spec, const char **name_out)
{
    const char *colon = strchr(arg, ':');

    vstr_reset(spec);
    if (colon == NULL)
        vstr_printf(spec, "%s:%s", default_type(), arg);
    else
        vstr_adds(spec, arg);
    *name_out = strchr(vstr_str(spec), ':') + 1;
}

static int read_flags(const CMD *cmd)
{
    return (cmd->fold ? TABLE_FLAG_FOLD : 0) | TABLE_FLAG_LOCK
           | (cmd->nul_flags ? cmd->nul_flags : TABLE_FLAG_TRY0NULL | TABLE_FLAG_TRY1NULL);
}

static int write_flags(const CMD *cmd)
{
    return (cmd->fold ? TABLE_FLAG_FOLD : 0) | TABLE_FLAG_LOCK | cmd->nul_flags | cmd->dup_flags;
}

static TABLE *open_or_die(const char *arg, int mode, int flags)
{
    VSTR *spec = vstr_new(100), *why = vstr_new(100);
    const char *name;
    TABLE *t;

    split_spec(arg, spec, &name);
    if ((t = table_open(vstr_str(spec), mode, flags, why)) == NULL)
        msg_fatal("%s", vstr_str(why));
    vstr_free(spec);
    vstr_free(why);
    return t;
}

static void output_line(const CMD *cmd, const char *key, const char *value)
{
    printf(cmd->alias ? "%s:\t%s\n" : "%s\t%s\n", key, value);
}

static void flush_or_die(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write error on standard output: %s", strerror(errno));
}

/* Read one key per line from stdin; returns NULL at the end. */
static const char *next_stdin_key(VSTR *buf)
{
    int ch;

    vstr_reset(buf);
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (vstr_len(buf) >= KEY_LINE_MAX)
            msg_fatal("stdin: key longer than %d bytes", KEY_LINE_MAX);
        vstr_addch(buf, ch);
    }
    if (ch == EOF && vstr_len(buf) == 0)
        return NULL;
    if (vstr_len(buf) > 0 && vstr_str(buf)[vstr_len(buf) - 1] == '\r')
        vstr_truncate(buf, vstr_len(buf) - 1);
    return vstr_str(buf);
}

/* The first value of key in the tables, or NULL. */
static const char *query_one(TABLE **tables, int count, const char *key)
{
    const char *value;
    int i;

    for (i = 0; i < count; i++) {
        if ((value = table_lookup(tables[i], key)) != NULL)
            return value;
        if (tables[i]->error != TABLE_OK)
            msg_fatal("table %s: query error: %s", tables[i]->spec,
                      table_error_text(tables[i]->error));
    }
    return NULL;
}

static int query_print(const CMD *cmd, TABLE **tables, int count, const char *key)
{
    const char *value = query_one(tables, count, key);

    if (value == NULL)
        return 0;
    output_line(cmd, key, value);
    return 1;
}

/* "Name:" at the start of a line: printable characters but ':' and space. */
static int is_header_line(const char *line)
{
    const char *cp;

    for (cp = line; *cp > ' ' && *cp < 127 && *cp != ':'; cp++)
        ;
    if (cp == line)
        return 0;
    cp += strspn(cp, " \t");
    return *cp == ':';
}

/*
 * postmap -h/-b -q -: standard input is a message; each logical header line
 * (-h; continuation lines kept with their newline) and each body line (-b)
 * is a key, as header_checks and body_checks would see them. The line that
 * ends the headers is the first body line; when it is not empty, an empty
 * one is looked up first, as Postfix does. No MIME parsing (-m).
 */
static int query_message(const CMD *cmd, TABLE **tables, int count)
{
    VSTR *line = vstr_new(100), *header = vstr_new(100);
    int in_headers = 1, have_header = 0, found = 0;
    const char *text;

    while ((text = next_stdin_key(line)) != NULL) {
        if (in_headers) {
            if ((*text == ' ' || *text == '\t') && have_header) {
                if (vstr_len(header) + vstr_len(line) > KEY_LINE_MAX)
                    msg_fatal("stdin: header longer than %d bytes", KEY_LINE_MAX);
                vstr_addch(header, '\n');
                vstr_adds(header, text);
                continue;
            }
            if (have_header && cmd->header_keys)
                found |= query_print(cmd, tables, count, vstr_str(header));
            have_header = 0;
            if (is_header_line(text)) {
                vstr_set(header, text);
                have_header = 1;
                continue;
            }
            in_headers = 0;
            if (!cmd->body_keys)
                break;
            if (*text != 0)
                found |= query_print(cmd, tables, count, "");
        }
        if (cmd->body_keys)
            found |= query_print(cmd, tables, count, text);
    }
    if (have_header && cmd->header_keys)
        found |= query_print(cmd, tables, count, vstr_str(header));
    vstr_free(line);
    vstr_free(header);
    return found;
}

static int do_query(const CMD *cmd, const char *key, char **maps, int count)
{
    TABLE **tables = mem_calloc((size_t) count, sizeof(*tables));
    VSTR *buf = vstr_new(100);
    const char *value;
    int i, found = 0;

    for (i = 0; i < count; i++)
        tables[i] = open_or_die(maps[i], TABLE_READ, read_flags(cmd));
    if (strcmp(key, "-") != 0) {
        if ((value = query_one(tables, count, key)) != NULL) {
            printf("%s\n", value);
            found = 1;
        }
    } else if (cmd->header_keys || cmd->body_keys) {
        found = query_message(cmd, tables, count);
    } else {
        while ((key = next_stdin_key(buf)) != NULL)
            found |= query_print(cmd, tables, count, key);
    }
    flush_or_die();
    for (i = 0; i < count; i++)
        table_close(tables[i]);
    mem_free(tables);
    vstr_free(buf);
    return found ? 0 : 1;
}

static int delete_one(TABLE **tables, int count, const char *key)
{
    int i, rc, found = 0;

    for (i = 0; i < count; i++) {
        if ((rc = table_remove(tables[i], key)) == 0)
            found = 1;
        else if (rc < 0)
            msg_fatal("table %s: delete error: %s", tables[i]->spec,
                      table_error_text(tables[i]->error));
    }
    return found;
}

static int do_delete(const CMD *cmd, const char *key, char **maps, int count)
{
    TABLE **tables = mem_calloc((size_t) count, sizeof(*tables));
    VSTR *buf = vstr_new(100);
    int i, found = 0, errors = msg_error_count();

    for (i = 0; i < count; i++)
        tables[i] = open_or_die(maps[i], TABLE_WRITE, read_flags(cmd) | cmd->dup_flags);
    if (strcmp(key, "-") != 0) {
        found = delete_one(tables, count, key);
    } else {
        while ((key = next_stdin_key(buf)) != NULL)
            found |= delete_one(tables, count, key);
    }
    for (i = 0; i < count; i++)
        table_close(tables[i]);
    mem_free(tables);
    vstr_free(buf);
    if (msg_error_count() > errors)
        exit(1);
    return found ? 0 : 1;
}

static int do_dump(const CMD *cmd, char **maps, int count)
{
    const char *key, *value;
    TABLE *t;
    int i, rc;

    for (i = 0; i < count; i++) {
        t = open_or_die(maps[i], TABLE_READ, read_flags(cmd));
        if (t->sequence == NULL)
            msg_fatal("table %s: sequence operation is not supported", t->spec);
        for (rc = table_sequence(t, TABLE_SEQ_FIRST, &key, &value); rc == 0;
             rc = table_sequence(t, TABLE_SEQ_NEXT, &key, &value))
            output_line(cmd, key, value);
        if (rc < 0)
            msg_fatal("table %s: sequence error: %s", t->spec, table_error_text(t->error));
        table_close(t);
    }
    flush_or_die();
    return 0;
}

/* Store one entry; a failed update is fatal (the build is thrown away). */
static void store(TABLE *t, const char *key, const char *value)
{
    if (table_update(t, key, value) < 0)
        msg_fatal("table %s: cannot update entry \"%s\": %s", t->spec, key,
                  table_error_text(t->error));
}

/*
 * The entries Sendmail's and Postfix's alias databases carry: "@" marks a
 * complete database, the YP_ entries serve NIS. The YP_ entries are stored
 * without a trailing NUL whatever the other entries use, and in upper case,
 * as Postfix does;
 * all three replace older ones silently. Changing t->flags for these calls
 * is the file types' documented way to pick the variant per update.
 */
static void add_alias_sentinels(TABLE *t)
{
    int saved = t->flags;
    const char *host = conf_get("myhostname");
    char now[32];

    t->flags = (saved & ~TABLE_FLAG_DUP_IGNORE) | TABLE_FLAG_DUP_REPLACE;
    store(t, "@", "@");
    t->flags = (t->flags & ~(TABLE_FLAG_TRY1NULL | TABLE_FLAG_FOLD)) | TABLE_FLAG_TRY0NULL;
    snprintf(now, sizeof(now), "%ld", (long) time(NULL));
    store(t, "YP_LAST_MODIFIED", now);
    store(t, "YP_MASTER_NAME", host != NULL ? host : "localhost");
    t->flags = saved;
}

/*
 * Run as uid/gid (effective ids only) until priv_restore(): root builds a
 * table from a file that another user owns with that user's rights, as
 * Postfix does, so the user cannot make root write where the user may not.
 */
static void priv_drop(PRIV *p, uid_t uid, gid_t gid)
{
    p->dropped = 0;
    if (geteuid() != 0 || uid == 0)
        return;
    p->egid = getegid();
    if ((p->ngroups = getgroups(0, NULL)) < 0)
        msg_fatal("getgroups: %s", strerror(errno));
    p->groups = mem_calloc((size_t) p->ngroups + 1, sizeof(gid_t));
    if (getgroups(p->ngroups, p->groups) < 0)
        msg_fatal("getgroups: %s", strerror(errno));
    if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0)
        msg_fatal("cannot run as uid %ld gid %ld: %s", (long) uid, (long) gid, strerror(errno));
    p->dropped = 1;
}

static void priv_restore(PRIV *p)
{
    if (!p->dropped)
        return;
    if (seteuid(0) < 0 || setegid(p->egid) < 0 || setgroups((size_t) p->ngroups, p->groups) < 0)
        msg_fatal("cannot restore root privileges: %s", strerror(errno));
    (void) prctl(PR_SET_DUMPABLE, 1);   /* the euid change cleared it */
    mem_free(p->groups);
    p->dropped = 0;
}

static void build_one(const CMD *cmd, const char *arg, int incremental)
{
    VSTR *spec = vstr_new(100), *why = vstr_new(100), *key = vstr_new(100), *value = vstr_new(100);
    const char *name, *src_name;
    sigset_t block, saved;
    LINEREAD *lr;
    FILE *src;
    struct stat st;
    mode_t old_mask;
    char *line, *k, *v;
    TABLE *t;
    PRIV priv = {0, 0, 0, NULL};
    int rc, errors = msg_error_count();

    split_spec(arg, spec, &name);
    src_name = incremental ? "stdin" : name;
    if (incremental)
        src = stdin;
    else if ((src = fopen(name, "r")) == NULL)
        msg_fatal("open %s: %s", name, strerror(errno));
    if (fstat(fileno(src), &st) < 0)
        msg_fatal("fstat %s: %s", src_name, strerror(errno));
    /* A new table gets the group and other read permissions of its source. */
    old_mask = umask(022);
    umask(old_mask);
    if (cmd->inherit_perms && S_ISREG(st.st_mode))
        umask(old_mask | (044 & ~st.st_mode));
    if (!incremental && !cmd->keep_root)
        priv_drop(&priv, st.st_uid, st.st_gid);
    cmd_priv = &priv;

    /* Opening waits for the table's lock: signals may still end the wait. */
    if ((t = table_open(vstr_str(spec), incremental ? TABLE_WRITE : TABLE_CREATE,
                        write_flags(cmd), why)) == NULL)
        msg_fatal("%s", vstr_str(why));
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGPIPE);
    sigprocmask(SIG_BLOCK, &block, &saved);
    umask(old_mask);
    cmd_building = t;
    lr = lineread_open(src, src_name);
    while ((line = lineread_next(lr)) != NULL) {
        if (cmd->alias) {
            rc = tablesrc_alias_line(line, key, value, why);
            k = vstr_str(key);
            v = vstr_str(value);
        } else {
            rc = tablesrc_map_line(line, &k, &v, why);
        }
        if (rc != TABLESRC_OK)
            msg_warn("%s, line %d: %s", src_name, lr->first_line, vstr_str(why));
        if (rc != TABLESRC_SKIP)
            store(t, k, v);
    }
    if (lr->error != NULL)
        msg_fatal("%s, line %d: %s", src_name, lr->lineno + 1, lr->error);
    lineread_close(lr);
    if (cmd->alias)
        add_alias_sentinels(t);
    table_close(t);
    cmd_building = NULL;
    if (!incremental)
        fclose(src);
    if (msg_error_count() > errors)
        exit(1);
    priv_restore(&priv);
    cmd_priv = NULL;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    vstr_free(spec);
    vstr_free(why);
    vstr_free(key);
    vstr_free(value);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

static void usage(int alias)
{
    if (alias)
        msg_fatal("usage: postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] "
                  "[map_type:]file...");
    msg_fatal("usage: postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] "
              "[map_type:]file...");
}

int tablecmd_main(int argc, char **argv, int kind)
{
    CMD cmd = {kind == TABLECMD_POSTALIAS, 1, 0, 0, 1, 0, 0, 0};
    const char *config_dir = NULL, *query = NULL, *delete = NULL;
    int ch, dump = 0, incremental = 0, i, rc = 0;
    const char *opts = cmd.alias ? "Nc:d:finopq:rsuvw" : "bc:d:fFhimnNopq:rsuUvw";

    msg_init(cmd.alias ? "postalias" : "postmap", MSG_OUT_STDERR);
    msg_set_cleanup(cmd_cleanup);
    while ((ch = getopt(argc, argv, opts)) != -1) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            delete = optarg;
            break;
        case 'f':
            cmd.fold = 0;
            break;
        case 'i':
            incremental = 1;
            break;
        case 'N':
            cmd.nul_flags = TABLE_FLAG_TRY1NULL;
            break;
        case 'n':
            cmd.nul_flags = TABLE_FLAG_TRY0NULL;
            break;
        case 'o':
            cmd.keep_root = 1;
            break;
        case 'u':
        case 'U':
            break;
        case 'p':
            cmd.inherit_perms = 0;
            break;
        case 'q':
            query = optarg;
            break;
        case 'r':
            cmd.dup_flags = TABLE_FLAG_DUP_REPLACE;
            break;
        case 's':
            dump = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            cmd.dup_flags = TABLE_FLAG_DUP_IGNORE;
            break;
        case 'b':
            cmd.body_keys = 1;
            break;
        case 'h':
            cmd.header_keys = 1;
            break;
        case 'm':
        case 'F':
            msg_fatal("option -%c is not supported by this implementation", ch);
        default:
            usage(cmd.alias);
        }
    }
    if ((query != NULL) + (delete != NULL) + dump > 1)
        msg_fatal("specify only one of -s or -q or -d");
    if (optind >= argc)
        usage(cmd.alias);
    conf_init(config_dir);

    if (query != NULL)
        return do_query(&cmd, query, argv + optind, argc - optind);
    if (delete != NULL)
        return do_delete(&cmd, delete, argv + optind, argc - optind);
    if (dump)
        return do_dump(&cmd, argv + optind, argc - optind);
    for (i = optind; i < argc; i++)
        build_one(&cmd, argv[i], incremental);
    return rc;
}

int tablecmd_newaliases(int argc, char **argv)
{
    CMD cmd = {1, 1, 0, 0, 1, 0, 0, 0};
    const char *databases;
    ARGV *list;
    size_t i;
    int ch;

    msg_init("newaliases", MSG_OUT_STDERR);
    msg_set_cleanup(cmd_cleanup);
    /* Sendmail's options are accepted and ignored, as Postfix does for most. */
    while ((ch = getopt(argc, argv, "B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx")) != -1) {
        if (ch == 'v')
            msg_verbose++;
    }
    conf_init(NULL);
    databases = conf_get("alias_database");
    if (databases == NULL || *databases == 0)
        return 0;
    list = argv_split(databases, ", \t\r\n");
    for (i = 0; i < list->argc; i++)
        build_one(&cmd, list->argv[i], 0);
    argv_free(list);
    return 0;
}

int tablecmd_is_newaliases(const char *argv0)
{
    return strcmp(base_name(argv0), "newaliases") == 0;
}
