/* tablecmd - postmap, postalias and newaliases; see tablecmd.h. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "lineread.h"
#include "mem.h"
#include "mimescan.h"
#include "msg.h"
#include "strutil.h"
#include "table.h"
#include "tablecmd.h"
#include "tablefile.h"
#include "tablesrc.h"
#include "vstr.h"

#define KEY_LINE_MAX (64 * 1024)    /* a -q - / -d - key line, a -h header */
#define FILE_VALUE_MAX (16 * 1024 * 1024)  /* -F: the files of one entry together */

/* Root's effective group and groups, while a build runs as a source's owner. */
typedef struct PRIV {
    int dropped;
    gid_t egid;
    int ngroups;
    gid_t *groups;
} PRIV;

/* The options, and what is open: all a fatal error must clean up. */
typedef struct CMD {
    int alias;              /* postalias or newaliases */
    int fold;               /* not -f */
    int nul_flags;          /* -N, -n: TABLE_FLAG_TRY1NULL / TRY0NULL, or 0 */
    int dup_flags;          /* -r, -w */
    int inherit_perms;      /* not -p */
    int keep_root;          /* -o */
    int header_keys;        /* -h: with -q -, each message header is a key */
    int body_keys;          /* -b: with -q -, each message body line is a key */
    int mime;               /* -m: with -h/-b, MIME part and attached message headers too */
    int no_utf8;            /* -u */
    int base64;             /* -F: values are base64 of files' contents */
    int utf8;               /* smtputf8_enable and not -u: UTF-8 sources, Unicode folding */
    locale_t loc;           /* C.UTF-8 for folding, or 0 */

    TABLE **tables;         /* open for -q, -d, -s */
    int count;
    TABLE *building;        /* being built or updated from a source */
    LINEREAD *lr;           /* its source */
    FILE *src;
    PRIV priv;
    ARGV *list;             /* newaliases: alias_database */
    VSTR *spec, *why, *key, *value, *folded, *line, *header;    /* scratch */
} CMD;

/*
 * msg_fatal() takes no context: this is how its hook finds the program's
 * state, to throw a half-built table away (the old one stays as it was),
 * close what is open and give root back before the process exits.
 */
static CMD *cmd_active;

static void priv_restore(PRIV *p);

static void cmd_cleanup(void)
{
    CMD *cmd = cmd_active;
    int i;

    cmd_active = NULL;
    if (cmd == NULL)
        return;
    if (cmd->building != NULL) {
        tablefile_discard(cmd->building);
        table_close(cmd->building);     /* discarded: releases, does not commit */
        cmd->building = NULL;
    }
    for (i = 0; i < cmd->count; i++)
        if (cmd->tables[i] != NULL)
            table_close(cmd->tables[i]);
    cmd->count = 0;
    priv_restore(&cmd->priv);
}

static void cmd_init(CMD *cmd, int alias)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->alias = alias;
    cmd->fold = 1;
    cmd->inherit_perms = 1;
    cmd->loc = (locale_t) 0;
    cmd->spec = vstr_new(100);
    cmd->why = vstr_new(100);
    cmd->key = vstr_new(100);
    cmd->value = vstr_new(100);
    cmd->folded = vstr_new(100);
    cmd->line = vstr_new(100);
    cmd->header = vstr_new(100);
    cmd_active = cmd;
    msg_set_cleanup(cmd_cleanup);
}

/* After conf_init(): UTF-8 as main.cf says, unless -u. */
static void cmd_configure(CMD *cmd)
{
    cmd->utf8 = !cmd->no_utf8 && conf_get_bool("smtputf8_enable");
    if (cmd->utf8)
        cmd->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
}

static void cmd_done(CMD *cmd)
{
    if (cmd->loc != (locale_t) 0)
        freelocale(cmd->loc);
    vstr_free(cmd->spec);
    vstr_free(cmd->why);
    vstr_free(cmd->key);
    vstr_free(cmd->value);
    vstr_free(cmd->folded);
    vstr_free(cmd->line);
    vstr_free(cmd->header);
    mem_free(cmd->tables);
    if (cmd->list != NULL)
        argv_free(cmd->list);
    cmd_active = NULL;
}

static const char *default_type(void)
{
    const char *type = conf_get("default_database_type");

    return type != NULL && *type != 0 ? type : "hash";
}

/* "type:name", or "name" with the default type, into spec; returns the name. */
static const char *split_spec(const char *arg, VSTR *spec)
{
    vstr_reset(spec);
    if (strchr(arg, ':') == NULL)
        vstr_printf(spec, "%s:%s", default_type(), arg);
    else
        vstr_adds(spec, arg);
    return strchr(vstr_str(spec), ':') + 1;
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

/*
 * The key as the table should see it. The table wrappers fold ASCII; with
 * UTF-8 enabled, Postfix folds every character of a fixed-string table's
 * key, and so does this, before the wrappers see it.
 */
static const char *fold_key(CMD *cmd, TABLE *t, const char *key)
{
    if (!cmd->utf8 || !(t->flags & TABLE_FLAG_FOLD) || !(t->props & TABLE_PROP_FIXED))
        return key;
    return tablesrc_fold_utf8(key, cmd->folded, cmd->loc);
}

/* Open every table named in maps, into cmd->tables; fatal on failure. */
static void open_tables(CMD *cmd, char **maps, int count, int mode, int flags)
{
    int i;

    cmd->tables = mem_calloc((size_t) count, sizeof(*cmd->tables));
    for (i = 0; i < count; i++) {
        split_spec(maps[i], cmd->spec);
        if ((cmd->tables[i] = table_open(vstr_str(cmd->spec), mode, flags, cmd->why)) == NULL)
            msg_fatal("%s", vstr_str(cmd->why));
        cmd->count = i + 1;
    }
}

static void close_tables(CMD *cmd)
{
    int i;

    for (i = 0; i < cmd->count; i++)
        table_close(cmd->tables[i]);
    cmd->count = 0;
    mem_free(cmd->tables);
    cmd->tables = NULL;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_encode(VSTR *out, const unsigned char *in, size_t len)
{
    size_t i;
    unsigned long n;

    vstr_reset(out);
    for (i = 0; i + 2 < len; i += 3) {
        n = ((unsigned long) in[i] << 16) | ((unsigned long) in[i + 1] << 8) | in[i + 2];
        vstr_addch(out, b64_chars[(n >> 18) & 63]);
        vstr_addch(out, b64_chars[(n >> 12) & 63]);
        vstr_addch(out, b64_chars[(n >> 6) & 63]);
        vstr_addch(out, b64_chars[n & 63]);
    }
    if (i < len) {
        n = (unsigned long) in[i] << 16;
        if (i + 1 < len)
            n |= (unsigned long) in[i + 1] << 8;
        vstr_addch(out, b64_chars[(n >> 18) & 63]);
        vstr_addch(out, b64_chars[(n >> 12) & 63]);
        vstr_addch(out, i + 1 < len ? b64_chars[(n >> 6) & 63] : '=');
        vstr_addch(out, '=');
    }
}

/* Strict base64 (padded, nothing else) into out; -1 when malformed. */
static int base64_decode(VSTR *out, const char *in)
{
    size_t len = strlen(in), i, j, pad = 0;
    unsigned long n;
    const char *p;
    int v;

    vstr_reset(out);
    if (len % 4 != 0)
        return -1;
    for (i = 0; i < len; i += 4) {
        for (n = 0, j = 0; j < 4; j++) {
            if (in[i + j] == '=' && i + 4 == len && j >= 2 && (j == 3 || in[i + 3] == '=')) {
                v = 0;
                pad++;
            } else if (in[i + j] == 0 || (p = strchr(b64_chars, in[i + j])) == NULL || pad) {
                return -1;
            } else {
                v = (int) (p - b64_chars);
            }
            n = (n << 6) | (unsigned long) v;
        }
        vstr_addch(out, (int) ((n >> 16) & 255));
        if (pad < 2)
            vstr_addch(out, (int) ((n >> 8) & 255));
        if (pad < 1)
            vstr_addch(out, (int) (n & 255));
    }
    return 0;
}

/*
 * -F: the value names files (separated by commas or white space); their
 * contents, with a newline between two files, base64-encoded, become the
 * value. Returns 0, or -1 with the warning in why.
 */
static int file_value(const char *names, VSTR *out, VSTR *why)
{
    ARGV *files = argv_split(names, ", \t\r\n");
    VSTR *data = vstr_new(1024);
    char buf[8192];
    size_t i, n;
    FILE *fp;
    int rc = 0;

    for (i = 0; rc == 0 && i < files->argc; i++) {
        if ((fp = fopen(files->argv[i], "r")) == NULL) {
            vstr_sprintf(why, "open %s: %s: skipping this entry", files->argv[i], strerror(errno));
            rc = -1;
            break;
        }
        if (i > 0)
            vstr_addch(data, '\n');
        while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
            if (vstr_len(data) + n > FILE_VALUE_MAX) {
                vstr_sprintf(why, "%s: more than %d bytes: skipping this entry", files->argv[i],
                             FILE_VALUE_MAX);
                rc = -1;
                break;
            }
            vstr_addmem(data, buf, n);
        }
        if (rc == 0 && ferror(fp)) {
            vstr_sprintf(why, "read %s: %s: skipping this entry", files->argv[i], strerror(errno));
            rc = -1;
        }
        fclose(fp);
    }
    if (rc == 0)
        base64_encode(out, (const unsigned char *) vstr_str(data), vstr_len(data));
    argv_free(files);
    vstr_free(data);
    return rc;
}

/* -F: the stored value decoded, or NULL after a warning. */
static const char *decoded_value(CMD *cmd, TABLE *t, const char *key, const char *value)
{
    int db = strcmp(t->type, "hash") == 0 || strcmp(t->type, "btree") == 0;

    if (!cmd->base64)
        return value;
    if (base64_decode(cmd->value, value) < 0) {
        msg_warn("table %s%s: key %s: malformed BASE64 value: %s", t->spec, db ? ".db" : "", key,
                 value);
        return NULL;
    }
    return vstr_str(cmd->value);
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

/* Read one line of stdin into buf, without its newline; NULL at the end. */
static const char *next_stdin_line(VSTR *buf)
{
    int ch;

    vstr_reset(buf);
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (vstr_len(buf) >= KEY_LINE_MAX)
            msg_fatal("stdin: line longer than %d bytes", KEY_LINE_MAX);
        vstr_addch(buf, ch);
    }
    if (ch == EOF && vstr_len(buf) == 0)
        return NULL;
    if (vstr_len(buf) > 0 && vstr_str(buf)[vstr_len(buf) - 1] == '\r')
        vstr_truncate(buf, vstr_len(buf) - 1);
    return vstr_str(buf);
}

/* The first value of key in the open tables, or NULL. */
static const char *query_one(CMD *cmd, const char *key)
{
    const char *value;
    int i;

    for (i = 0; i < cmd->count; i++) {
        if ((value = table_lookup(cmd->tables[i], fold_key(cmd, cmd->tables[i], key))) != NULL)
            return decoded_value(cmd, cmd->tables[i], key, value);
        if (cmd->tables[i]->error != TABLE_OK)
            msg_fatal("table %s: query error: %s", cmd->tables[i]->spec,
                      table_error_text(cmd->tables[i]->error));
    }
    return NULL;
}

static int query_print(CMD *cmd, const char *key)
{
    const char *value = query_one(cmd, key);

    if (value == NULL)
        return 0;
    output_line(cmd, key, value);
    return 1;
}

/*
 * postmap -h/-b -q -: standard input is a message; each logical header line
 * (-h; continuation lines kept with their newline) and each body line (-b)
 * is a key, as header_checks and body_checks would see them; with -m the
 * headers of MIME parts and attached messages are headers too (mimescan.h).
 * The line that ends the message's headers is the first body line; when it
 * is not empty, an empty one is looked up first, as Postfix does.
 */
static int query_message(CMD *cmd)
{
    MIMESCAN *ms = mimescan_new(cmd->mime);
    int have_header = 0, primary_done = 0, found = 0, cls;
    const char *text;

    while ((text = next_stdin_line(cmd->line)) != NULL) {
        if ((cls = mimescan_line(ms, text)) == MIMESCAN_CONT) {
            if (vstr_len(cmd->header) + vstr_len(cmd->line) > KEY_LINE_MAX)
                msg_fatal("stdin: header longer than %d bytes", KEY_LINE_MAX);
            vstr_addch(cmd->header, '\n');
            vstr_adds(cmd->header, text);
            continue;
        }
        if (have_header && cmd->header_keys)
            found |= query_print(cmd, vstr_str(cmd->header));
        have_header = 0;
        if (cls == MIMESCAN_HEADER) {
            vstr_set(cmd->header, text);
            have_header = 1;
            continue;
        }
        if (cls == MIMESCAN_END && !primary_done) {
            primary_done = 1;
            if (!cmd->body_keys && !cmd->mime)
                break;
            if (cmd->body_keys && *text != 0)
                found |= query_print(cmd, "");
        }
        if (cmd->body_keys)
            found |= query_print(cmd, text);
    }
    if (have_header && cmd->header_keys)
        found |= query_print(cmd, vstr_str(cmd->header));
    mimescan_free(ms);
    return found;
}

static int do_query(CMD *cmd, const char *key, char **maps, int count)
{
    const char *value;
    int found = 0;

    open_tables(cmd, maps, count, TABLE_READ, read_flags(cmd));
    if (strcmp(key, "-") != 0) {
        if ((value = query_one(cmd, key)) != NULL) {
            printf("%s\n", value);
            found = 1;
        }
    } else if (cmd->header_keys || cmd->body_keys) {
        found = query_message(cmd);
    } else {
        while ((key = next_stdin_line(cmd->line)) != NULL)
            found |= query_print(cmd, key);
    }
    flush_or_die();
    close_tables(cmd);
    return found ? 0 : 1;
}

/* Remove key from every open table; 1 when some table had it. */
static int delete_one(CMD *cmd, const char *key)
{
    int i, rc, found = 0;

    for (i = 0; i < cmd->count; i++) {
        if ((rc = table_remove(cmd->tables[i], fold_key(cmd, cmd->tables[i], key))) == 0)
            found = 1;
        else if (rc < 0)
            msg_fatal("table %s: delete error: %s", cmd->tables[i]->spec,
                      table_error_text(cmd->tables[i]->error));
    }
    return found;
}

static int do_delete(CMD *cmd, const char *key, char **maps, int count)
{
    int found = 0, errors = msg_error_count();

    open_tables(cmd, maps, count, TABLE_WRITE, read_flags(cmd) | cmd->dup_flags);
    if (strcmp(key, "-") != 0) {
        found = delete_one(cmd, key);
    } else {
        while ((key = next_stdin_line(cmd->line)) != NULL)
            found |= delete_one(cmd, key);
    }
    close_tables(cmd);
    if (msg_error_count() > errors)
        msg_fatal("cannot complete the update");
    return found ? 0 : 1;
}

static int do_dump(CMD *cmd, char **maps, int count)
{
    const char *key, *value;
    TABLE *t;
    int i, rc;

    open_tables(cmd, maps, count, TABLE_READ, read_flags(cmd));
    for (i = 0; i < count; i++) {
        t = cmd->tables[i];
        if (t->sequence == NULL)
            msg_fatal("table %s: sequence operation is not supported", t->spec);
        for (rc = table_sequence(t, TABLE_SEQ_FIRST, &key, &value); rc == 0;
             rc = table_sequence(t, TABLE_SEQ_NEXT, &key, &value))
            if ((value = decoded_value(cmd, t, key, value)) != NULL)
                output_line(cmd, key, value);
        if (rc < 0)
            msg_fatal("table %s: sequence error: %s", t->spec, table_error_text(t->error));
    }
    flush_or_die();
    close_tables(cmd);
    return 0;
}

/* Store one entry; a failed update is fatal (the build is thrown away). */
static void store(CMD *cmd, const char *key, const char *value)
{
    TABLE *t = cmd->building;

    if (table_update(t, fold_key(cmd, t, key), value) < 0)
        msg_fatal("table %s: cannot update entry \"%s\": %s", t->spec, key,
                  table_error_text(t->error));
}

/*
 * The entries Sendmail's and Postfix's alias databases carry: "@" marks a
 * complete database, the YP_ entries serve NIS. As Postfix writes them, the
 * YP_ entries are stored in upper case and without a trailing NUL whatever
 * the other entries use; all three replace older ones silently. Changing
 * t->flags for these calls is the file types' way to pick the variant of
 * one update (tablefile.h).
 */
static void add_alias_sentinels(CMD *cmd)
{
    TABLE *t = cmd->building;
    int saved = t->flags;
    const char *host = conf_get("myhostname");
    char now[32];

    t->flags = (saved & ~TABLE_FLAG_DUP_IGNORE) | TABLE_FLAG_DUP_REPLACE;
    store(cmd, "@", "@");
    t->flags = (t->flags & ~(TABLE_FLAG_TRY1NULL | TABLE_FLAG_FOLD)) | TABLE_FLAG_TRY0NULL;
    snprintf(now, sizeof(now), "%ld", (long) time(NULL));
    store(cmd, "YP_LAST_MODIFIED", now);
    store(cmd, "YP_MASTER_NAME", host != NULL && *host != 0 ? host : "localhost");
    t->flags = saved;
}

/*
 * Run as uid/gid (effective ids only) until priv_restore(): root builds a
 * table from a file that another user owns with that user's rights, as
 * Postfix does, so the user cannot make root write where the user may not.
 */
static void priv_drop(PRIV *p, uid_t uid, gid_t gid)
{
    if (geteuid() != 0 || uid == 0)
        return;
    p->egid = getegid();
    if ((p->ngroups = getgroups(0, NULL)) < 0)
        msg_fatal("getgroups: %s", strerror(errno));
    p->groups = mem_calloc((size_t) p->ngroups + 1, sizeof(gid_t));
    if (getgroups(p->ngroups, p->groups) < 0)
        msg_fatal("getgroups: %s", strerror(errno));
    p->dropped = 1;
    if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0)
        msg_fatal("cannot run as uid %ld gid %ld: %s", (long) uid, (long) gid, strerror(errno));
}

static void priv_restore(PRIV *p)
{
    if (!p->dropped)
        return;
    p->dropped = 0;
    if (seteuid(0) < 0 || setegid(p->egid) < 0 || setgroups((size_t) p->ngroups, p->groups) < 0)
        msg_fatal("cannot restore root privileges: %s", strerror(errno));
    (void) prctl(PR_SET_DUMPABLE, 1);   /* the euid change cleared it */
    mem_free(p->groups);
    p->groups = NULL;
}

/* Build (or with incremental, update from stdin) the table that arg names. */
static void build_one(CMD *cmd, const char *arg, int incremental)
{
    const char *name, *src_name;
    sigset_t block, saved;
    struct stat st;
    mode_t old_mask;
    char *line, *k, *v;
    int rc, errors = msg_error_count();

    name = split_spec(arg, cmd->spec);
    vstr_set(cmd->key, vstr_str(cmd->spec));
    vstr_truncate(cmd->key, (size_t) (name - 1 - vstr_str(cmd->spec)));
    if (!table_type_known(vstr_str(cmd->key)))
        msg_fatal("unsupported dictionary type: %s. Is the postfix-%s package installed?",
                  vstr_str(cmd->key), vstr_str(cmd->key));
    src_name = incremental ? "stdin" : name;
    if (incremental)
        cmd->src = stdin;
    else if ((cmd->src = fopen(name, "r")) == NULL)
        msg_fatal("open %s: %s", name, strerror(errno));
    if (fstat(fileno(cmd->src), &st) < 0)
        msg_fatal("fstat %s: %s", src_name, strerror(errno));
    /* A new table gets the group and other read permissions of its source. */
    old_mask = umask(022);
    umask(old_mask);
    if (cmd->inherit_perms && S_ISREG(st.st_mode))
        umask(old_mask | (044 & ~st.st_mode));
    if (!incremental && !cmd->keep_root)
        priv_drop(&cmd->priv, st.st_uid, st.st_gid);

    /* Opening waits for the table's lock: signals may still end the wait. */
    cmd->building = table_open(vstr_str(cmd->spec), incremental ? TABLE_WRITE : TABLE_CREATE,
                               write_flags(cmd), cmd->why);
    umask(old_mask);
    if (cmd->building == NULL)
        msg_fatal("%s", vstr_str(cmd->why));
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGPIPE);
    sigprocmask(SIG_BLOCK, &block, &saved);

    cmd->lr = lineread_open(cmd->src, src_name);
    while ((line = lineread_next(cmd->lr)) != NULL) {
        if (cmd->utf8 && !tablesrc_utf8_valid(line)) {
            msg_warn("%s, line %d: non-UTF-8 input \"%s\" -- ignoring this line", src_name,
                     cmd->lr->first_line, tablesrc_utf8_printable(line, cmd->why));
            continue;
        }
        if (cmd->alias) {
            rc = tablesrc_alias_line(line, cmd->key, cmd->value, cmd->why);
            k = vstr_str(cmd->key);
            v = vstr_str(cmd->value);
        } else {
            rc = tablesrc_map_line(line, &k, &v, cmd->why);
        }
        if (rc != TABLESRC_OK)
            msg_warn("%s, line %d: %s", src_name, cmd->lr->first_line, vstr_str(cmd->why));
        if (rc != TABLESRC_SKIP && cmd->base64) {
            if (file_value(v, cmd->value, cmd->why) < 0) {
                msg_warn("%s, line %d: %s", src_name, cmd->lr->first_line, vstr_str(cmd->why));
                continue;
            }
            v = vstr_str(cmd->value);
        }
        if (rc != TABLESRC_SKIP)
            store(cmd, k, v);
    }
    if (cmd->lr->error != NULL)
        msg_fatal("%s, line %d: %s", src_name, cmd->lr->lineno + 1, cmd->lr->error);
    lineread_close(cmd->lr);
    cmd->lr = NULL;
    if (cmd->alias)
        add_alias_sentinels(cmd);
    table_close(cmd->building);
    cmd->building = NULL;
    if (!incremental)
        fclose(cmd->src);
    cmd->src = NULL;
    if (msg_error_count() > errors)
        msg_fatal("cannot complete the update of %s", vstr_str(cmd->spec));
    priv_restore(&cmd->priv);
    sigprocmask(SIG_SETMASK, &saved, NULL);
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

/*
 * Like Postfix's commands, warnings and errors go to standard error and to
 * syslog under syslog_name with syslog_facility (not to maillog_file, which
 * only postlogd or root may write).
 */
static void log_configure(void)
{
    msg_config(conf_get("syslog_name"), conf_get("syslog_facility"), NULL, NULL);
}

int tablecmd_main(int argc, char **argv, int kind)
{
    CMD cmd;
    const char *config_dir = NULL, *query = NULL, *delete = NULL;
    int ch, dump = 0, incremental = 0, i, rc = 0;
    const char *opts;

    msg_init(kind == TABLECMD_POSTALIAS ? "postalias" : "postmap", MSG_OUT_STDERR | MSG_OUT_SYSLOG);
    cmd_init(&cmd, kind == TABLECMD_POSTALIAS);
    opts = cmd.alias ? "Nc:d:finopq:rsuvw" : "bc:d:fFhimnNopq:rsuUvw";
    while ((ch = getopt(argc, argv, opts)) != -1) {
        switch (ch) {
        case 'b':
            cmd.body_keys = 1;
            break;
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            delete = optarg;
            break;
        case 'f':
            cmd.fold = 0;
            break;
        case 'h':
            cmd.header_keys = 1;
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
        case 'u':
            cmd.no_utf8 = 1;
            break;
        case 'U':
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            cmd.dup_flags = TABLE_FLAG_DUP_IGNORE;
            break;
        case 'F':
            cmd.base64 = 1;
            break;
        case 'm':
            cmd.mime = 1;
            break;
        default:
            usage(cmd.alias);
        }
    }
    if ((query != NULL) + (delete != NULL) + dump > 1)
        msg_fatal("specify only one of -s or -q or -d");
    if (optind >= argc)
        usage(cmd.alias);
    conf_init(config_dir);
    log_configure();
    cmd_configure(&cmd);

    if (query != NULL)
        rc = do_query(&cmd, query, argv + optind, argc - optind);
    else if (delete != NULL)
        rc = do_delete(&cmd, delete, argv + optind, argc - optind);
    else if (dump)
        rc = do_dump(&cmd, argv + optind, argc - optind);
    else
        for (i = optind; i < argc; i++)
            build_one(&cmd, argv[i], incremental);
    cmd_done(&cmd);
    return rc;
}

int tablecmd_newaliases(int argc, char **argv)
{
    CMD cmd;
    const char *databases;
    size_t i;
    int ch;

    msg_init("newaliases", MSG_OUT_STDERR | MSG_OUT_SYSLOG);
    cmd_init(&cmd, 1);
    /* Sendmail's options are accepted and ignored, as Postfix does for most. */
    while ((ch = getopt(argc, argv, "B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx")) != -1) {
        if (ch == 'v')
            msg_verbose++;
    }
    conf_init(NULL);
    log_configure();
    cmd_configure(&cmd);
    databases = conf_get("alias_database");
    if (databases != NULL && *databases != 0) {
        cmd.list = argv_split(databases, ", \t\r\n");
        for (i = 0; i < cmd.list->argc; i++)
            build_one(&cmd, cmd.list->argv[i], 0);
    }
    cmd_done(&cmd);
    return 0;
}

int tablecmd_is_newaliases(const char *argv0)
{
    return strcmp(base_name(argv0), "newaliases") == 0;
}
