/*
 * Unit tests for the table layer (lib/table.c) and the non-database types:
 * texthash:, inline:, static:, regexp:, pcre:, unix:.
 *
 * Source files are written to a scratch directory from the test tables
 * below; the Postfix fixtures (test/data/tables/, copied from Postfix 3.7.11
 * output) are read through $POSTERN_SRC when it is set.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table.h"
#include "vstr.h"
#include "tap.h"

static char scratch[] = "/tmp/table_test.XXXXXX";
static VSTR *logged;            /* warnings captured by the sink */

static void sink(int level, const char *tag, const char *text)
{
    (void) level;
    (void) tag;
    vstr_adds(logged, text);
    vstr_addch(logged, '\n');
}

static int logged_has(const char *text)
{
    return strstr(vstr_str(logged), text) != NULL;
}

/* Write a scratch file; return its path in a static buffer. */
static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("create %s: %m", path);
    fputs(text, fp);
    if (fclose(fp) != 0)
        msg_fatal("write %s: %m", path);
    return path;
}

static TABLE *open_spec(const char *type, const char *name, int flags, VSTR *why)
{
    VSTR *spec = vstr_new(0);
    TABLE *t;

    vstr_sprintf(spec, "%s:%s", type, name);
    t = table_open(vstr_str(spec), TABLE_READ, flags, why);
    vstr_free(spec);
    return t;
}

/* A lookup case: key, expected value (NULL: not found). */
typedef struct CASE {
    const char *key;
    const char *want;
} CASE;

static void check_cases(TABLE *t, const CASE *cases, const char *what)
{
    const char *got;

    for (; cases->key; cases++) {
        got = table_lookup(t, cases->key);
        TAP_STR(got, cases->want, "%s: lookup \"%s\"", what, cases->key);
        TAP_INT(t->error, TABLE_OK, "%s: no error for \"%s\"", what, cases->key);
    }
}

/* table.c: spec parsing and the registry. */
static void test_open_errors(void)
{
    static const struct {
        const char *spec;
        const char *why;
    } cases[] = {
        {"nosuchtype:/etc/x", "unsupported dictionary type: nosuchtype"},
        {"noColonHere", "open dictionary: expecting \"type:name\" form instead of \"noColonHere\""},
        {":/etc/x", "open dictionary: expecting \"type:name\" form instead of \":/etc/x\""},
        {"texthash:/nonexistent/file", "open /nonexistent/file: No such file or directory"},
        {"unix:shadow.byname", "unix:shadow.byname: unknown table name"},
        {"inline:a=b", "inline:a=b: expected \"inline:{ key=value, ... }\""},
        {0, 0},
    };
    VSTR *why = vstr_new(0);
    TABLE *t;
    int i;

    for (i = 0; cases[i].spec; i++) {
        t = table_open(cases[i].spec, TABLE_READ, TABLE_FLAGS_READ, why);
        TAP_OK(t == NULL, "open %s fails", cases[i].spec);
        TAP_OK(strstr(vstr_str(why), cases[i].why) != NULL, "open %s: reason \"%s\" (got \"%s\")",
               cases[i].spec, cases[i].why, vstr_str(why));
        table_close(t);
    }
    TAP_OK(table_type_known("texthash") && table_type_known("inline") && table_type_known("static")
               && table_type_known("regexp") && table_type_known("pcre")
               && table_type_known("unix"),
           "the non-database types are known");
    TAP_OK(!table_type_known("nosuchtype"), "an unknown type is not known");
    TAP_OK(table_type_known("hash") && table_type_known("btree") && table_type_known("lmdb")
               && table_type_known("cdb"),
           "the database types are known");
    t = table_open("static:x", TABLE_READ, TABLE_FLAGS_READ, NULL);
    TAP_OK(t != NULL, "table_open accepts a NULL why");
    table_close(t);
    TAP_OK(table_open("bad", TABLE_READ, TABLE_FLAGS_READ, NULL) == NULL,
           "table_open with a NULL why still fails");
    t = table_open("nosuchtype:/etc/postfix/virtual", TABLE_READ, TABLE_FLAGS_READ, why);
    TAP_OK(t == NULL, "an unknown type fails to open");
    TAP_STR(vstr_str(why), "unsupported dictionary type: nosuchtype",
            "an unknown type is reported as Postfix does");
    t = table_open("texthash:/dev/null", TABLE_CREATE, TABLE_FLAGS_BUILD, why);
    TAP_OK(t == NULL && strstr(vstr_str(why), "read-only") != NULL,
           "texthash refuses TABLE_CREATE");
    {
        static const char *const ro[][2] = {
            {"inline:{a=b}", "inline:{a=b}: the inline type is read-only"},
            {"static:x", "static:x: the static type is read-only"},
            {"unix:passwd.byname", "unix:passwd.byname: the unix type is read-only"},
            {"regexp:/dev/null", "regexp:/dev/null: the regexp type is read-only"},
        };
        size_t k;

        for (k = 0; k < sizeof(ro) / sizeof(ro[0]); k++) {
            vstr_reset(why);
            t = table_open(ro[k][0], TABLE_CREATE, TABLE_FLAGS_BUILD, why);
            TAP_OK(t == NULL, "%s refuses TABLE_CREATE", ro[k][0]);
            TAP_STR(vstr_str(why), ro[k][1], "%s: the reason", ro[k][0]);
        }
    }
    t = table_open("proxy:static:OK", TABLE_READ, TABLE_FLAGS_READ, why);
    TAP_STR(t ? t->type : NULL, "proxy", "proxy:type:name is the proxy type (lookups go to proxymap)");
    TAP_STR(t ? t->spec : NULL, "proxy:static:OK", "and keeps its whole spec");
    table_close(t);
    TAP_STR(table_error_text(TABLE_ERR_RETRY), "table lookup failed, try again later",
            "table_error_text(RETRY)");
    vstr_free(why);
}

/* Wrappers: unsupported methods, read-only tables. */
static void test_wrappers(void)
{
    VSTR *why = vstr_new(0);
    TABLE *t = table_open("static:x", TABLE_READ, TABLE_FLAGS_READ, why);
    const char *k;
    const char *v;

    vstr_reset(logged);
    TAP_INT(table_update(t, "a", "b"), -1, "update of static fails");
    TAP_INT(t->error, TABLE_ERR_CONFIG, "update of static is a config error");
    TAP_OK(logged_has("warning: table static:x: update is not supported"),
           "update of static warns");
    TAP_INT(table_remove(t, "a"), -1, "remove from static fails");
    TAP_INT(table_sequence(t, TABLE_SEQ_FIRST, &k, &v), -1, "sequence of static fails");
    TAP_INT(t->error, TABLE_ERR_CONFIG, "sequence of static is a config error");
    TAP_STR(table_lookup(t, "a"), "x", "lookup after an error works");
    TAP_INT(t->error, TABLE_OK, "lookup resets the error");
    table_close(t);
    table_close(NULL);
    vstr_free(why);
}

static void test_texthash(void)
{
    static const char source[] =
        "# comment\n"
        "Key1   value one  \n"
        "key2\tvalue\n"
        "   continued\n"
        "\n"
        "  # indented comment\n"
        "key3 v3\n"
        "KEY1 second\n"
        "novalue\n"
        "alias: root\n"
        "\"quoted local\"@example.com quoted\n"
        "8bit\xe9 yes\n"
        "back\\ slash escaped\n"
        "\"unclosed quote x\n";
    static const CASE cases[] = {
        {"key1", "value one"},
        {"KEY1", "value one"},
        {"kEy2", "value   continued"},
        {"key3", "v3"},
        {"novalue", NULL},
        {"alias:", "root"},
        {"\"quoted local\"@example.com", "quoted"},
        {"\"Quoted Local\"@Example.com", "quoted"},
        {"8bit\xe9", "yes"},
        {"back\\ slash", "escaped"},
        {"missing", NULL},
        {"", NULL},
        {0, 0},
    };
    VSTR *why = vstr_new(0);
    const char *path = write_file("th", source);
    TABLE *t;
    const char *k;
    const char *v;
    int n;

    vstr_reset(logged);
    t = open_spec("texthash", path, TABLE_FLAGS_READ, why);
    TAP_OK(t != NULL, "texthash opens (%s)", vstr_str(why));
    if (t == NULL)
        return;
    TAP_OK((t->props & TABLE_PROP_FIXED) != 0, "texthash is a fixed-string type");
    check_cases(t, cases, "texthash");
    TAP_OK(logged_has(", line 8: duplicate entry: \"key1\""), "duplicate warning names the line");
    TAP_OK(logged_has(", line 9: expected format: key whitespace value"),
           "line without value is reported with its line");
    TAP_OK(logged_has(", line 10: record is in \"key: value\" format"),
           "aliases-format line is reported");
    TAP_OK(logged_has(", line 14: unbalanced '\"' -- ignoring this line"),
           "an unclosed quote is reported with its line");
    for (n = 0, k = v = NULL; table_sequence(t, n ? TABLE_SEQ_NEXT : TABLE_SEQ_FIRST, &k, &v) == 0;)
        if (++n == 1)
            TAP_STR(k, "key1", "sequence starts with the first entry");
    TAP_INT(n, 7, "sequence returns every entry once");
    table_close(t);

    /* Without FOLD the keys stay as written. */
    vstr_reset(logged);
    t = open_spec("texthash", path, TABLE_FLAG_DUP_IGNORE, why);
    TAP_STR(t ? table_lookup(t, "Key1") : NULL, "value one", "no fold: exact key found");
    TAP_STR(t ? table_lookup(t, "key1") : NULL, NULL, "no fold: other case not found");
    TAP_STR(t ? table_lookup(t, "KEY1") : NULL, "second", "no fold: KEY1 is another key");
    TAP_OK(!logged_has("duplicate"), "DUP_IGNORE: no duplicate warning");
    table_close(t);

    t = open_spec("texthash", path, TABLE_FLAGS_READ | TABLE_FLAG_DUP_REPLACE, why);
    TAP_STR(t ? table_lookup(t, "key1") : NULL, "second", "DUP_REPLACE: the last entry wins");
    table_close(t);
    vstr_free(why);
}

/* Malformed texthash sources: the open fails naming the file and line. */
static void test_texthash_malformed(void)
{
    VSTR *why = vstr_new(0);
    VSTR *big = vstr_new(0);
    const char *path;
    TABLE *t;
    size_t i;

    path = write_file("nul", "a b\nc d\ne \0f\n");
    /* fputs stops at the NUL: write the bytes ourselves. */
    {
        int fd = open(path, O_WRONLY | O_TRUNC);
        static const char data[] = "a b\nc d\ne \0f\n";

        if (fd < 0 || write(fd, data, sizeof(data) - 1) != (ssize_t) sizeof(data) - 1)
            msg_fatal("write %s: %m", path);
        close(fd);
    }
    t = open_spec("texthash", path, TABLE_FLAGS_READ, why);
    TAP_OK(t == NULL, "texthash with a NUL byte fails");
    TAP_OK(strstr(vstr_str(why), ", line 3: NUL character") != NULL, "NUL: file and line (%s)",
           vstr_str(why));

    vstr_adds(big, "a b\n");
    vstr_adds(big, "long ");
    for (i = 0; i < 1024 * 1024 + 10; i++)
        vstr_addch(big, 'x');
    vstr_adds(big, "\n");
    path = write_file("long", vstr_str(big));
    t = open_spec("texthash", path, TABLE_FLAGS_READ, why);
    TAP_OK(t == NULL, "texthash with an over-long line fails");
    TAP_OK(strstr(vstr_str(why), ", line 2: line too long") != NULL, "long line: file and line (%s)",
           vstr_str(why));
    TAP_OK(strstr(vstr_str(why), path) != NULL, "long line: the file is named");

    /* An over-long lookup key is simply not found. */
    path = write_file("ok", "a b\n");
    t = open_spec("texthash", path, TABLE_FLAGS_READ, why);
    vstr_truncate(big, 200000);
    TAP_STR(t ? table_lookup(t, vstr_str(big)) : "", NULL, "a 200 KB key is not found");
    TAP_INT(t ? t->error : -99, TABLE_OK, "a 200 KB key is no error");
    table_close(t);
    vstr_free(big);
    vstr_free(why);
}

/* The Postfix fixtures: every line of postmap -s output must be looked up. */
static void test_texthash_fixtures(void)
{
    static const char *const names[] = {"access", "virtual"};
    const char *src = getenv("POSTERN_SRC");
    VSTR *why = vstr_new(0);
    VSTR *path = vstr_new(0);
    char line[1024];
    char *tab;
    FILE *fp;
    TABLE *t;
    size_t i;
    int n;

    if (src == NULL)
        src = ".";
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        vstr_sprintf(path, "%s/test/data/tables/%s", src, names[i]);
        vstr_reset(logged);
        t = open_spec("texthash", vstr_str(path), TABLE_FLAGS_READ, why);
        TAP_OK(t != NULL, "fixture %s opens (%s)", names[i], vstr_str(why));
        if (t == NULL)
            continue;
        TAP_OK(logged_has("duplicate entry: \"dup"), "fixture %s: duplicate warned", names[i]);
        vstr_printf(path, ".postmap-s");
        if ((fp = fopen(vstr_str(path), "r")) == NULL) {
            TAP_OK(0, "open %s: %s", vstr_str(path), strerror(errno));
            table_close(t);
            continue;
        }
        for (n = 0; fgets(line, sizeof(line), fp) != NULL; n++) {
            line[strcspn(line, "\n")] = 0;
            if ((tab = strchr(line, '\t')) == NULL)
                continue;
            *tab++ = 0;
            TAP_STR(table_lookup(t, line), tab, "fixture %s: %s as postmap -s shows it", names[i],
                    line);
        }
        fclose(fp);
        TAP_OK(n > 5, "fixture %s: postmap -s output read", names[i]);
        table_close(t);
    }
    vstr_free(path);
    vstr_free(why);
}

/* Re-open on change, without sleeping: reset watch_checked. */
static void test_reopen(void)
{
    VSTR *why = vstr_new(0);
    char path[512];
    TABLE *t;
    struct timespec times[2];
    const char *spec_before;

    snprintf(path, sizeof(path), "%s", write_file("watched", "k one\n"));
    t = open_spec("texthash", path, TABLE_FLAGS_READ, why);
    TAP_STR(t ? table_lookup(t, "k") : NULL, "one", "watched table: first content");
    if (t == NULL)
        return;
    spec_before = t->spec;
    write_file("watched", "k two\nnew entry\n");
    times[0].tv_sec = times[1].tv_sec = time(NULL) + 5;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    utimensat(AT_FDCWD, path, times, 0);
    t->watch_checked = time(NULL);
    TAP_STR(table_lookup(t, "k"), "one", "within the same second: not checked yet");
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "two", "after the check: the new content");
    TAP_STR(table_lookup(t, "new"), "entry", "after the check: a new key");
    TAP_OK(t->spec == spec_before && str_has_prefix(t->spec, "texthash:"),
           "the caller's TABLE keeps its spec across a re-open");
    TAP_STR(t->watch_path, path, "still watching the same file");

    /* Replace by rename (a new inode): seen too. */
    {
        char tmp[600];

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        write_file("watched.tmp", "k three\n");
        if (rename(tmp, path) != 0)
            msg_fatal("rename: %m");
    }
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "three", "replaced file: the new content");

    /* A broken new version keeps the old contents. */
    {
        int fd = open(path, O_WRONLY | O_TRUNC);
        static const char data[] = "k \0four\n";

        if (fd < 0 || write(fd, data, sizeof(data) - 1) != (ssize_t) sizeof(data) - 1)
            msg_fatal("write %s: %m", path);
        close(fd);
        times[0].tv_sec = times[1].tv_sec = time(NULL) + 10;
        utimensat(AT_FDCWD, path, times, 0);
    }
    vstr_reset(logged);
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "three", "broken new file: old contents kept");
    TAP_OK(logged_has("re-open failed"), "broken new file: warned");
    TAP_OK(logged_has(", line 1: NUL character in line"), "broken new file: the reason is logged");
    vstr_reset(logged);
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "three", "broken new file, checked again: old contents");
    TAP_INT(vstr_len(logged), 0, "broken new file: warned once per change");
    write_file("watched", "k fixed\n");
    times[0].tv_sec = times[1].tv_sec = time(NULL) + 15;
    utimensat(AT_FDCWD, path, times, 0);
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "fixed", "repaired file: re-opened");

    /* A removed file keeps the old contents silently. */
    unlink(path);
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "fixed", "removed file: old contents kept");
    table_close(t);

    /* NO_REOPEN: never re-opened. */
    write_file("watched", "k one\n");
    t = open_spec("texthash", path, TABLE_FLAGS_READ | TABLE_FLAG_NO_REOPEN, why);
    write_file("watched", "k two\n");
    times[0].tv_sec = times[1].tv_sec = time(NULL) + 20;
    utimensat(AT_FDCWD, path, times, 0);
    if (t)
        t->watch_checked = 0;
    TAP_STR(t ? table_lookup(t, "k") : NULL, "one", "NO_REOPEN: old contents kept");
    table_close(t);
    vstr_free(why);
}

/*
 * Re-open of the database types (from the db area) through the handle: a
 * rebuild is seen by an open reader.
 */
static void test_reopen_db(void)
{
    static const char *const types[][2] = {
        {"hash", ".db"}, {"btree", ".db"}, {"lmdb", ".lmdb"}, {"cdb", ".cdb"}};
    VSTR *why = vstr_new(0);
    char spec[600];
    char file[600];
    struct timespec times[2];
    TABLE *t;
    TABLE *w;
    size_t i;
    int round;
    char value[32];

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(spec, sizeof(spec), "%s:%s/db-%s", types[i][0], scratch, types[i][0]);
        snprintf(file, sizeof(file), "%s/db-%s%s", scratch, types[i][0], types[i][1]);
        t = NULL;
        for (round = 0; round < 3; round++) {
            snprintf(value, sizeof(value), "v%d", round);
            w = table_open(spec, TABLE_CREATE, TABLE_FLAGS_BUILD, why);
            TAP_OK(w != NULL, "%s: build %d (%s)", types[i][0], round, vstr_str(why));
            if (w == NULL)
                break;
            TAP_INT(table_update(w, "Key", value), 0, "%s: update %d", types[i][0], round);
            table_close(w);
            times[0].tv_sec = times[1].tv_sec = time(NULL) + 10 + round;
            times[0].tv_nsec = times[1].tv_nsec = 0;
            utimensat(AT_FDCWD, file, times, 0);
            if (t == NULL)
                t = table_open(spec, TABLE_READ, TABLE_FLAGS_READ, why);
            if (t == NULL)
                break;
            t->watch_checked = 0;
            TAP_STR(table_lookup(t, "KEY"), value, "%s: an open reader sees rebuild %d",
                    types[i][0], round);
            TAP_INT(t->error, TABLE_OK, "%s: no error after rebuild %d", types[i][0], round);
        }
        TAP_OK(t != NULL, "%s: opened for reading (%s)", types[i][0], vstr_str(why));
        TAP_STR(t ? table_lookup(t, "nokey") : "", NULL, "%s: a missing key", types[i][0]);
        table_close(t);
    }
    vstr_free(why);
}

static void test_inline(void)
{
    static const struct {
        const char *name;
        const CASE cases[5];
    } good[] = {
        {"{ a=1, b=2 }", {{"a", "1"}, {"B", "2"}, {"c", NULL}, {0, 0}}},
        {"{a=1,b=2}", {{"a", "1"}, {"b", "2"}, {0, 0}}},
        {"{ { key = text with space, and comma } x=y }",
         {{"key", "text with space, and comma"}, {"x", "y"}, {0, 0}}},
        {"{ {a={b}} }", {{"a", "{b}"}, {0, 0}}},
        {"{ Upper=Case }", {{"upper", "Case"}, {0, 0}}},
        {"{ empty= }", {{"empty", ""}, {0, 0}}},
        {"{}", {{"a", NULL}, {0, 0}}},
        {"{ a=1 a=2 }", {{"a", "1"}, {0, 0}}},
        {"{ a==b }", {{"a", "=b"}, {0, 0}}},
        {0, {{0, 0}}},
    };
    static const struct {
        const char *name;
        const char *why;
    } bad[] = {
        {"{ a=1", "expected \"inline:{ key=value, ... }\""},
        {"a=1 }", "expected \"inline:{ key=value, ... }\""},
        {"", "expected \"inline:{ key=value, ... }\""},
        {"{ novalue }", "expected \"key=value\" instead of \"novalue\""},
        {"{ =v }", "empty key"},
        {"{ { a=1 }", "unbalanced braces"},
        {"{ a=1 } }", "unbalanced braces"},
        {"{ {a=1}b=2 }", "unbalanced braces"},
        {"{ { = x } }", "empty key"},
        {0, 0},
    };
    VSTR *why = vstr_new(0);
    TABLE *t;
    int i;

    for (i = 0; good[i].name; i++) {
        t = open_spec("inline", good[i].name, TABLE_FLAGS_READ, why);
        TAP_OK(t != NULL, "inline:%s opens (%s)", good[i].name, vstr_str(why));
        if (t) {
            check_cases(t, good[i].cases, good[i].name);
            table_close(t);
        }
    }
    for (i = 0; bad[i].name; i++) {
        t = open_spec("inline", bad[i].name, TABLE_FLAGS_READ, why);
        TAP_OK(t == NULL, "inline:%s fails", bad[i].name);
        TAP_OK(strstr(vstr_str(why), bad[i].why) != NULL, "inline:%s: \"%s\" (got \"%s\")",
               bad[i].name, bad[i].why, vstr_str(why));
        table_close(t);
    }
    vstr_free(why);
}

static void test_static(void)
{
    static const struct {
        const char *name;
        const char *want;
    } cases[] = {
        {"OK", "OK"},
        {"{ text with spaces }", "text with spaces"},
        {"{}", ""},
        {"", ""},
        {"REJECT go away", "REJECT go away"},
        {0, 0},
    };
    VSTR *why = vstr_new(0);
    TABLE *t;
    int i;

    for (i = 0; cases[i].name; i++) {
        t = open_spec("static", cases[i].name, TABLE_FLAGS_READ, why);
        TAP_STR(t ? table_lookup(t, "anything") : "(open failed)", cases[i].want, "static:%s",
                cases[i].name);
        TAP_STR(t ? table_lookup(t, "") : "(open failed)", cases[i].want, "static:%s, empty key",
                cases[i].name);
        table_close(t);
    }
    t = open_spec("static", "{ unclosed", TABLE_FLAGS_READ, why);
    TAP_OK(t == NULL && strstr(vstr_str(why), "missing \"}\"") != NULL,
           "static:{ without } fails (%s)", vstr_str(why));
    vstr_free(why);
}

static void test_unix(void)
{
    VSTR *why = vstr_new(0);
    VSTR *want = vstr_new(0);
    TABLE *t = table_open("unix:passwd.byname", TABLE_READ, TABLE_FLAGS_READ, why);
    struct passwd *pw = getpwuid(0);

    TAP_OK(t != NULL, "unix:passwd.byname opens");
    if (t && pw) {
        vstr_sprintf(want, "%s:%s:0:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd, (long) pw->pw_gid,
                     pw->pw_gecos, pw->pw_dir, pw->pw_shell);
        TAP_STR(table_lookup(t, "root"), vstr_str(want), "unix: root's passwd line");
        TAP_STR(table_lookup(t, "ROOT"), vstr_str(want), "unix: keys are folded");
        TAP_STR(table_lookup(t, "no-such-user-xyz"), NULL, "unix: unknown user not found");
        TAP_INT(t->error, TABLE_OK, "unix: unknown user is no error");
    }
    table_close(t);
    t = table_open("unix:group.byname", TABLE_READ, TABLE_FLAGS_READ, why);
    TAP_OK(t != NULL && table_lookup(t, "root") != NULL
               && str_has_prefix(table_lookup(t, "root"), "root:"),
           "unix:group.byname finds root");
    TAP_OK(t != NULL && strchr(table_lookup(t, "root"), ':') != NULL
               && strlen(table_lookup(t, "root")) >= strlen("root:x:0:"),
           "unix:group.byname has the name:passwd:gid:members form");
    table_close(t);
    vstr_free(want);
    vstr_free(why);
}

/* regexp: and pcre: share the file syntax: the same cases run on both. */
typedef struct PATTERN_CASE {
    const char *types;          /* "regexp pcre", "regexp" or "pcre" */
    const char *source;
    const CASE cases[10];
} PATTERN_CASE;

static const PATTERN_CASE pattern_good[] = {
    {"regexp pcre",
     "# comment\n"
     "/^(.*)@example\\.com$/   local:$1\n"
     "/^postmaster@/          OK\n"
     "!/@/                    NOAT\n"
     "/^([^@]+)@(sub)\\.test$/ ${2}-${1}.x $(1) $$ cost $ alone$\n"
     "/(a)|(b)/               got[$1][$2] all[$0]\n",
     {{"Joe@Example.COM", "local:Joe"},
      {"postmaster@other", "OK"},
      {"noat", "NOAT"},
      {"u@sub.test", "sub-u.x u $ cost $ alone$"},
      {"xb@y", "got[][b] all[b]"},
      {"zzz@q", NULL},
      {"", "NOAT"},
      {0, 0}}},
    {"regexp pcre",
     "if /@example\\.com$/\n"
     "/^admin@/  ADMIN\n"
     "IF !/^user/\n"
     "/./        NOTUSER\n"
     "endif\n"
     "/^user(.*)@/  USER$1\n"
     "ENDIF\n"
     "/./ DEFAULT\n",
     {{"admin@example.com", "ADMIN"},
      {"bob@example.com", "NOTUSER"},
      {"user7@example.com", "USER7"},
      {"user7@other", "DEFAULT"},
      {"", NULL},
      {0, 0}}},
    {"regexp pcre",
     "/^CASE$/i   sensitive\n"
     "/^case$/    insensitive\n"
     "/^b$/m      MULTI\n"
     "|^a/b$|     PIPE\n"
     "!!/^c\\/d$/ ESCAPED\n"
     "/^x$/\n"
     "/^long$/    continued\n"
     "  over two lines\n",
     {{"CASE", "sensitive"},
      {"case", "insensitive"},
      {"Case", "insensitive"},
      {"a\nb", "MULTI"},
      {"A/B", "PIPE"},
      {"c/d", "ESCAPED"},
      {"x", ""},
      {"long", "continued  over two lines"},
      {"c\nd", NULL},
      {0, 0}}},
    {"regexp pcre",
     "/^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)$/ $11$10$9${1}\n"
     "/^(q)?r$/ [$1]\n",
     {{"abcdefghijk", "kjia"}, {"r", "[]"}, {"qr", "[q]"}, {0, 0}}},
    {"regexp", "/^a+$/x BASIC\n", {{"a+", "BASIC"}, {"aa", NULL}, {0, 0}}},
    {"pcre",
     "/^(a+)/U  lazy:$1\n"
     "/x.y/s    DOTALL\n"
     "/bc/A     ANCHORED\n"
     "/^ e $/x  EXTENDED\n"
     "/^(?<n>f)oo$/ named:$1\n"
     "/^z$/E    ENDONLY\n",
     {{"aaa", "lazy:a"},
      {"x\ny", "DOTALL"},
      {"bcd", "ANCHORED"},
      {"cbc", NULL},
      {"e", "EXTENDED"},
      {"foo", "named:f"},
      {"z", "ENDONLY"},
      {"z\n", NULL},
      {0, 0}}},
    {0, 0, {{0, 0}}},
};

static const struct {
    const char *types;
    const char *source;
    const char *why;            /* the file name is checked separately */
} pattern_bad[] = {
    {"regexp pcre", "# c\n/ok/ OK\n/abc\n", ", line 3: missing closing delimiter '/'"},
    {"regexp", "/a/q X\n", ", line 1: unknown regexp flag 'q'"},
    {"pcre", "/a/q X\n", ", line 1: unknown pcre flag 'q'"},
    {"regexp pcre", "\n\nabc X\n", ", line 3: expected \"/pattern/\""},
    {"regexp pcre", "/(a)/ $2\n", ", line 1: replacement index $2 is beyond the 1 group of"},
    {"regexp pcre", "/a/ ${1}\n", ", line 1: replacement index $1 is beyond the 0 groups"},
    {"regexp pcre", "!/(a)/ $1\n", ", line 1: $1 in the result of a negated pattern"},
    {"regexp pcre", "/(a)/ $foo\n", ", line 1: non-numeric replacement index \"foo\""},
    {"regexp pcre", "/(a)/ $1x\n", ", line 1: non-numeric replacement index \"1x\""},
    {"regexp pcre", "/(a)/ ${}\n", ", line 1: non-numeric replacement index \"\""},
    {"regexp pcre", "/(a)/ ${1\n", ", line 1: missing '}' after \"${\""},
    {"regexp pcre", "/(a)/ $(1\n", ", line 1: missing ')' after \"$(\""},
    {"regexp pcre", "/(a)/ $100\n", ", line 1: replacement index \"100\" is larger than 99"},
    {"regexp pcre", "/a/ A\nendif\n", ", line 2: \"endif\" without a matching \"if\""},
    {"regexp pcre", "if /a/\nendif junk\n", ", line 2: text after \"endif\""},
    {"regexp pcre", "/x/ X\nif /a/\n/b/ X\n", ", line 2: \"if\" without a matching \"endif\""},
    {"regexp pcre", "if /a/ extra\nendif\n", ", line 1: text after the \"if\" pattern"},
    {"regexp pcre", "if a\n", ", line 1: expected \"/pattern/\""},
    {"regexp pcre", "/x/ X\n/(/ X\n", ", line 2: pattern \"(\": "},
    {"regexp pcre", "/x/ X\nif /(/\nendif\n", ", line 2: pattern \"(\": "},
    {"pcre", "/(?<n>a/ X\n", ", line 1: pattern \"(?<n>a\": error at offset"},
    {0, 0, 0},
};

static int type_listed(const char *types, const char *type)
{
    size_t len = strlen(type);
    const char *cp;

    for (cp = types; (cp = strstr(cp, type)) != NULL; cp += len)
        if ((cp == types || cp[-1] == ' ') && (cp[len] == 0 || cp[len] == ' '))
            return 1;
    return 0;
}

static void test_pattern_type(const char *type)
{
    VSTR *why = vstr_new(0);
    VSTR *big = vstr_new(0);
    VSTR *what = vstr_new(0);
    char path[512];
    TABLE *t;
    int i;
    int depth;

    for (i = 0; pattern_good[i].types; i++) {
        if (!type_listed(pattern_good[i].types, type))
            continue;
        snprintf(path, sizeof(path), "%s", write_file("pattern", pattern_good[i].source));
        vstr_reset(logged);
        t = open_spec(type, path, TABLE_FLAGS_READ, why);
        TAP_OK(t != NULL, "%s good file %d opens (%s)", type, i, vstr_str(why));
        if (t == NULL)
            continue;
        TAP_OK(t->props == TABLE_PROP_PATTERN, "%s is a pattern type", type);
        vstr_sprintf(what, "%s file %d", type, i);
        check_cases(t, pattern_good[i].cases, vstr_str(what));
        if (i == 2)
            TAP_OK(logged_has(", line 6: no result after the pattern"),
                   "%s: a rule without result is warned about", type);
        table_close(t);
    }
    for (i = 0; pattern_bad[i].types; i++) {
        if (!type_listed(pattern_bad[i].types, type))
            continue;
        snprintf(path, sizeof(path), "%s", write_file("bad", pattern_bad[i].source));
        t = open_spec(type, path, TABLE_FLAGS_READ, why);
        TAP_OK(t == NULL, "%s bad file %d fails", type, i);
        TAP_OK(strstr(vstr_str(why), pattern_bad[i].why) != NULL, "%s bad file %d: \"%s\" (got \"%s\")",
               type, i, pattern_bad[i].why, vstr_str(why));
        vstr_sprintf(what, "%s map %s, line ", type, path);
        TAP_OK(str_has_prefix(vstr_str(why), vstr_str(what)), "%s bad file %d: names the file",
               type, i);
        table_close(t);
    }

    /* if nesting: 100 levels work, 101 do not. */
    for (depth = 100; depth <= 101; depth++) {
        vstr_reset(big);
        for (i = 0; i < depth; i++)
            vstr_adds(big, "if /a/\n");
        vstr_adds(big, "/a/ DEEP\n");
        for (i = 0; i < depth; i++)
            vstr_adds(big, "endif\n");
        snprintf(path, sizeof(path), "%s", write_file("deep", vstr_str(big)));
        t = open_spec(type, path, TABLE_FLAGS_READ, why);
        if (depth == 100) {
            TAP_STR(t ? table_lookup(t, "a") : NULL, "DEEP", "%s: 100 nested ifs work", type);
        } else {
            TAP_OK(t == NULL && strstr(vstr_str(why), ", line 101: \"if\" nested more than 100 deep"),
                   "%s: 101 nested ifs fail (%s)", type, vstr_str(why));
        }
        table_close(t);
    }

    /* An over-long line fails with its line number. */
    vstr_sprintf(big, "/a/ A\n/b/ ");
    for (i = 0; i < 1024 * 1024; i++)
        vstr_addch(big, 'x');
    vstr_adds(big, "\n");
    snprintf(path, sizeof(path), "%s", write_file("long", vstr_str(big)));
    t = open_spec(type, path, TABLE_FLAGS_READ, why);
    TAP_OK(t == NULL && strstr(vstr_str(why), ", line 2: line too long"),
           "%s: over-long line fails (%s)", type, vstr_str(why));
    table_close(t);

    /* Result size is bounded; an over-long key is not found. */
    snprintf(path, sizeof(path), "%s",
             write_file("subst", "/^(.*)$/ $1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1\n"));
    t = open_spec(type, path, TABLE_FLAGS_READ, why);
    vstr_reset(big);
    for (i = 0; i < 60000; i++)
        vstr_addch(big, 'k');
    vstr_reset(logged);
    TAP_STR(t ? table_lookup(t, vstr_str(big)) : "", NULL, "%s: a 1.2 MB result is refused", type);
    TAP_INT(t ? t->error : 0, TABLE_ERR_CONFIG, "%s: a too long result is an error", type);
    TAP_OK(logged_has("result is longer than"), "%s: a too long result is logged", type);
    vstr_truncate(big, 1000);
    TAP_INT(t && table_lookup(t, vstr_str(big)) ? strlen(table_lookup(t, vstr_str(big))) : 0,
            20000, "%s: a 20 KB result is fine", type);
    for (i = 0; i < 70000; i++)
        vstr_addch(big, 'k');
    TAP_STR(t ? table_lookup(t, vstr_str(big)) : "", NULL, "%s: a 71 KB key is not found", type);
    TAP_INT(t ? t->error : -99, TABLE_OK, "%s: a 71 KB key is no error", type);
    table_close(t);

    /* Keys are not folded by the wrappers, whatever the flags. */
    snprintf(path, sizeof(path), "%s", write_file("fold", "/^(.*)$/i [$1]\n"));
    t = open_spec(type, path, TABLE_FLAGS_READ, why);
    TAP_STR(t ? table_lookup(t, "MiXed") : NULL, "[MiXed]", "%s: the key is passed as given", type);

    /* Re-open on change. */
    write_file("fold", "/^(.*)$/ <$1>\n");
    if (t) {
        struct timespec times[2];

        times[0].tv_sec = times[1].tv_sec = time(NULL) + 5;
        times[0].tv_nsec = times[1].tv_nsec = 0;
        utimensat(AT_FDCWD, path, times, 0);
        t->watch_checked = 0;
    }
    TAP_STR(t ? table_lookup(t, "k") : NULL, "<k>", "%s: re-opened after a change", type);
    table_close(t);
    vstr_free(what);
    vstr_free(big);
    vstr_free(why);
}

/* Hostile keys against backtracking patterns: bounded time. */
static void test_pattern_hostile(void)
{
    VSTR *why = vstr_new(0);
    VSTR *key = vstr_new(0);
    char path[512];
    TABLE *t;
    time_t start;
    int i;

    snprintf(path, sizeof(path), "%s", write_file("hostile", "/^(a+)+$/ X$1\n/^(\\w+\\s?)*$/ Y\n"));
    t = open_spec("pcre", path, TABLE_FLAGS_READ, why);
    for (i = 0; i < 40; i++)
        vstr_addch(key, 'a');
    vstr_addch(key, '!');
    vstr_reset(logged);
    start = time(NULL);
    TAP_STR(t ? table_lookup(t, vstr_str(key)) : "", NULL, "pcre: catastrophic backtracking stops");
    TAP_INT(t ? t->error : 0, TABLE_ERR_RETRY, "pcre: a match limit is a temporary error");
    TAP_OK(logged_has("pcre map ") && logged_has(", line 1: matcher error"),
           "pcre: the match limit is logged with file and line");
    TAP_OK(time(NULL) - start < 5, "pcre: the hostile key took less than 5 seconds");
    table_close(t);

    snprintf(path, sizeof(path), "%s", write_file("hostile", "/^(a|aa)*(b)$/ X$2\n/(x+x+)+y/ Y\n"));
    t = open_spec("regexp", path, TABLE_FLAGS_READ, why);
    vstr_reset(key);
    for (i = 0; i < 3000; i++)
        vstr_addch(key, i % 2 ? 'a' : 'x');
    start = time(NULL);
    TAP_STR(t ? table_lookup(t, vstr_str(key)) : "", NULL, "regexp: hostile key not found");
    TAP_OK(time(NULL) - start < 5, "regexp: the hostile key took less than 5 seconds");
    table_close(t);
    vstr_free(key);
    vstr_free(why);
}

int main(void)
{
    char cmd[600];

    msg_init("table_test", 0);
    logged = vstr_new(0);
    msg_set_sink(sink);
    if (mkdtemp(scratch) == NULL)
        msg_fatal("mkdtemp: %m");

    test_open_errors();
    test_wrappers();
    test_texthash();
    test_texthash_malformed();
    test_texthash_fixtures();
    test_reopen();
    test_reopen_db();
    test_inline();
    test_static();
    test_unix();
    test_pattern_type("regexp");
    test_pattern_type("pcre");
    test_pattern_hostile();

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        TAP_OK(0, "remove %s", scratch);
    msg_set_sink(NULL);
    vstr_free(logged);
    return tap_done();
}
