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
    /* Until the database types are linked in, they are reported as unsupported. */
    if (!table_type_known("hash")) {
        t = table_open("hash:/etc/postfix/virtual", TABLE_READ, TABLE_FLAGS_READ, why);
        TAP_OK(t == NULL, "hash: without the database types fails");
        TAP_STR(vstr_str(why), "unsupported dictionary type: hash",
                "hash: without the database types is an unsupported type");
        table_close(t);
    } else {
        TAP_OK(table_type_known("btree"), "hash: and btree: are both linked");
    }
    t = table_open("texthash:/dev/null", TABLE_CREATE, TABLE_FLAGS_BUILD, why);
    TAP_OK(t == NULL && strstr(vstr_str(why), "read-only") != NULL,
           "texthash refuses TABLE_CREATE");
    t = table_open("proxy:static:OK", TABLE_READ, TABLE_FLAGS_READ, why);
    TAP_STR(t ? table_lookup(t, "x") : NULL, "OK", "proxy:type:name opens type:name");
    TAP_STR(t ? t->spec : NULL, "static:OK", "proxy: is not part of the spec");
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
        "8bit\xe9 yes\n";
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
    for (n = 0, k = v = NULL; table_sequence(t, n ? TABLE_SEQ_NEXT : TABLE_SEQ_FIRST, &k, &v) == 0;)
        if (++n == 1)
            TAP_STR(k, "key1", "sequence starts with the first entry");
    TAP_INT(n, 6, "sequence returns every entry once");
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
    TAP_OK(str_has_prefix(t->spec, "texthash:") && t->spec != spec_before,
           "the spec is the re-opened table's own copy");
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

    /* A removed file keeps the old contents silently. */
    unlink(path);
    t->watch_checked = 0;
    TAP_STR(table_lookup(t, "k"), "three", "removed file: old contents kept");
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
    test_inline();
    test_static();
    test_unix();

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        TAP_OK(0, "remove %s", scratch);
    msg_set_sink(NULL);
    vstr_free(logged);
    return tap_done();
}
