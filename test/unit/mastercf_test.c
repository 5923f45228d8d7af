/* Unit tests for lib/mastercf: Debian's stock master.cf, -o forms, malformed entries. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"

static char test_dir[] = "/tmp/mastercf_test.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", test_dir, name);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("create %s", path);
    fputs(text, fp);
    fclose(fp);
}

static void test_stock(void)
{
    static const struct {
        const char *name;
        const char *type;
        int private_, unpriv, chroot, wakeup, wakeup_if_used, maxproc;
        const char *command;
        size_t nargs;
        size_t nopts;
    } want[] = {
        {"smtp", "inet", 0, 1, 1, 0, 0, 100, "smtpd", 1, 0},
        {"pickup", "unix", 0, 1, 1, 60, 0, 1, "pickup", 1, 0},
        {"cleanup", "unix", 0, 1, 1, 0, 0, 0, "cleanup", 1, 0},
        {"qmgr", "unix", 0, 1, 0, 300, 0, 1, "qmgr", 1, 0},
        {"tlsmgr", "unix", 1, 1, 1, 1000, 1, 1, "tlsmgr", 1, 0},
        {"relay", "unix", 1, 1, 1, 0, 0, 100, "smtp", 3, 1},
        {"postlog", "unix-dgram", 0, 1, 0, 0, 0, 1, "postlogd", 1, 0},
        {"local", "unix", 1, 0, 0, 0, 0, 100, "local", 1, 0},
        {"maildrop", "unix", 1, 0, 0, 0, 0, 100, "pipe", 6, 0},
        {"scalemail-backend", "unix", 1, 0, 0, 0, 0, 2, "pipe", 7, 0},
    };
    char path[1024];
    char *err = NULL;
    MASTERCF *m;
    size_t i;
    const MASTERCF_ENT *e;
    VSTR *v = vstr_new(0);
    ARGV *names = argv_new();
    ARGV *values = argv_new();

    snprintf(path, sizeof(path), "%s/test/data/config/master.cf.dist.entries", TEST_SRCDIR);
    m = mastercf_read(path, &err);
    TAP_OK(m != NULL, "Debian's stock master.cf parses: %s", err ? err : "");
    if (m == NULL) {
        mem_free(err);
        return;
    }
    TAP_INT(m->count, 31, "31 entries");
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        e = mastercf_find(m, want[i].name, want[i].type);
        TAP_OK(e != NULL, "%s/%s found", want[i].name, want[i].type);
        if (e == NULL)
            continue;
        TAP_INT(e->private_, want[i].private_, "%s private", want[i].name);
        TAP_INT(e->unpriv, want[i].unpriv, "%s unpriv", want[i].name);
        TAP_INT(e->chroot, want[i].chroot, "%s chroot", want[i].name);
        TAP_INT(e->wakeup, want[i].wakeup, "%s wakeup", want[i].name);
        TAP_INT(e->wakeup_if_used, want[i].wakeup_if_used, "%s wakeup?", want[i].name);
        TAP_INT(e->maxproc, want[i].maxproc, "%s maxproc", want[i].name);
        TAP_STR(e->command, want[i].command, "%s command", want[i].name);
        TAP_INT(e->args->argc, want[i].nargs, "%s argument count", want[i].name);
        TAP_INT(e->nopts, want[i].nopts, "%s -o count", want[i].name);
    }
    e = mastercf_find(m, "relay", "unix");
    if (e != NULL && e->nopts == 1) {
        TAP_STR(e->opts[0].name, "syslog_name", "relay -o name");
        TAP_STR(e->opts[0].value, "postfix/$service_name", "relay -o value");
        TAP_INT(e->line, 15, "relay's line number");
        mastercf_overrides(e, names, values);
        TAP_OK(names->argc == 1 && strcmp(names->argv[0], "syslog_name") == 0
                   && strcmp(values->argv[0], "postfix/$service_name") == 0,
               "mastercf_overrides gives name/value pairs");
        vstr_reset(v);
        mastercf_format(v, e);
        TAP_STR(vstr_str(v), "relay      unix  -       -       y       -       -       smtp -o syslog_name=postfix/$service_name",
                "postconf -M form of relay");
    }
    e = mastercf_find(m, "maildrop", NULL);
    if (e != NULL && e->args->argc == 6) {
        TAP_STR(e->args->argv[1], "flags=DRXhu", "pipe flags= argument");
        TAP_STR(e->args->argv[5], "${recipient}", "pipe ${recipient} stays one argument");
    }
    e = mastercf_find(m, "uucp", NULL);
    TAP_OK(e != NULL && strcmp(e->args->argv[e->args->argc - 1], "($recipient)") == 0, "uucp's last argument");
    TAP_OK(mastercf_find(m, "smtp", "unix") != NULL && mastercf_find(m, "smtp", "inet") != NULL,
           "smtp/inet and smtp/unix are different entries");
    TAP_OK(mastercf_find(m, "nosuch", NULL) == NULL, "an absent service");
    argv_free(names);
    argv_free(values);
    vstr_free(v);
    mastercf_free(m);
}

static void test_lines(void)
{
    static const struct {
        const char *line;
        const char *host;
        const char *port;
        const char *opts; /* name=value|name=value */
        const char *args; /* args joined with | */
        const char *format;
    } cases[] = {
        {"smtp inet n - y - - smtpd", NULL, "smtp", "", "smtpd",
         "smtp       inet  n       -       y       -       -       smtpd"},
        {"127.0.0.1:2525 inet n - n - 5 smtpd -o smtpd_sasl_auth_enable=yes -v", "127.0.0.1", "2525",
         "smtpd_sasl_auth_enable=yes", "smtpd|-o|smtpd_sasl_auth_enable=yes|-v", NULL},
        {"[::1]:25 inet n - n - - smtpd", "::1", "25", "", "smtpd", NULL},
        {"submission inet n - y - - smtpd -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }",
         NULL, "submission", "smtpd_client_restrictions=permit_sasl_authenticated, reject",
         "smtpd|-o|smtpd_client_restrictions=permit_sasl_authenticated, reject",
         "submission inet  n       -       y       -       -       smtpd -o {smtpd_client_restrictions="
         "permit_sasl_authenticated, reject}"},
        {"x unix - - n - - prog -osyslog_name=x -o a==b -o { c = }", NULL, "x", "syslog_name=x|a==b|c=",
         "prog|-o|syslog_name=x|-o|a==b|-o|c=", NULL},
        {"x unix - - n - - prog { arg with spaces } {b}", NULL, "x", "", "prog|arg with spaces|b",
         "x          unix  -       -       n       -       -       prog {arg with spaces} b"},
        {"scalemail-backend unix - n n - 2 pipe flags=R user=x argv=/bin/y ${nexthop}", NULL, "scalemail-backend",
         "", "pipe|flags=R|user=x|argv=/bin/y|${nexthop}",
         "scalemail-backend unix - n       n       -       2       pipe flags=R user=x argv=/bin/y ${nexthop}"},
        {"postlog unix-dgram n - n - 1 postlogd", NULL, "postlog", "", "postlogd",
         "postlog    unix-dgram n  -       n       -       1       postlogd"},
        {"longname-to-overflow unix-dgram n - n - 1 postlogd -v", NULL, "longname-to-overflow", "", "postlogd|-v",
         "longname-to-overflow unix-dgram n - n    -       1       postlogd -v"},
        {"x unix - - n - - pipe flags=R argv=/bin/foo -o bar", NULL, "x", "",
         "pipe|flags=R|argv=/bin/foo|-o|bar", NULL},
        {"x unix - - n - - smtp -n name -o a=b", NULL, "x", "a=b", "smtp|-n|name|-o|a=b", NULL},
        {"x fifo - - n 60 1 pickup", NULL, "x", "", "pickup", NULL},
        {"x pass - - n - - smtpd", NULL, "x", "", "smtpd", NULL},
    };
    size_t i;
    char *err = NULL;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        MASTERCF_ENT *e = mastercf_parse_line(cases[i].line, "master.cf", 1, &err);
        VSTR *v = vstr_new(0);
        size_t j;

        TAP_OK(e != NULL, "line %zu parses: %s", i, err ? err : "");
        if (e == NULL) {
            mem_free(err);
            err = NULL;
            vstr_free(v);
            continue;
        }
        TAP_STR(e->host, cases[i].host, "line %zu host", i);
        TAP_STR(e->port, cases[i].port, "line %zu port", i);
        for (j = 0; j < e->nopts; j++)
            vstr_printf(v, "%s%s=%s", j ? "|" : "", e->opts[j].name, e->opts[j].value);
        TAP_STR(vstr_str(v), cases[i].opts, "line %zu -o options", i);
        vstr_reset(v);
        for (j = 0; j < e->args->argc; j++)
            vstr_printf(v, "%s%s", j ? "|" : "", e->args->argv[j]);
        TAP_STR(vstr_str(v), cases[i].args, "line %zu arguments", i);
        if (cases[i].format != NULL) {
            vstr_reset(v);
            mastercf_format(v, e);
            TAP_STR(vstr_str(v), cases[i].format, "line %zu postconf -M form", i);
        }
        vstr_free(v);
        mastercf_ent_free(e);
    }
}

static void test_malformed(void)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"smtp inet n - y - - smtpd\nbad\n", "master.cf, line 2: entry has 1 fields"},
        {"smtp inet n - y -\n", "master.cf, line 1: entry has 6 fields"},
        {"smtp tcp n - y - - smtpd\n", "line 1: unknown service type: tcp"},
        {"smtp inet x - y - - smtpd\n", "line 1: bad private field: x"},
        {"smtp inet n yes y - - smtpd\n", "line 1: bad unprivileged field: yes"},
        {"smtp inet n - 1 - - smtpd\n", "line 1: bad chroot field: 1"},
        {"# c\n\nx unix - - n 1x - pickup\n", "line 3: bad wakeup time: 1x"},
        {"x unix - - n -5 - pickup\n", "line 1: bad wakeup time: -5"},
        {"x unix - - n ? - pickup\n", "line 1: bad wakeup time: ?"},
        {"x unix - - n - many pickup\n", "line 1: bad process limit: many"},
        {"x unix - - n - 99999999999 pickup\n", "line 1: bad process limit"},
        {"x unix - - n - - smtpd -o\n", "line 1: -o without name=value"},
        {"x unix - - n - - smtpd\n  -o novalue\n", "line 1: -o without name=value"},
        {"x unix - - n - - smtpd -o =v\n", "line 1: -o without name=value"},
        {"x unix - - n - - smtpd { unclosed\n", "line 1: missing '}'"},
        {"x unix - - n - - smtpd {a}b\n", "line 1: text after '}'"},
        {"[::1 inet n - n - - smtpd\n", "line 1: bad inet service name"},
        {"host: inet n - n - - smtpd\n", "line 1: bad inet service name"},
        {"x unix - - n - - {}\n", "line 1: empty command name"},
    };
    size_t i;
    char path[256];

    snprintf(path, sizeof(path), "%s/master.cf", test_dir);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *err = NULL;
        MASTERCF *m;

        write_file("master.cf", cases[i].text);
        m = mastercf_read(path, &err);
        TAP_OK(m == NULL && err != NULL && strstr(err, cases[i].want) != NULL
                   && strstr(err, "master.cf, line ") != NULL,
               "malformed %zu: %s", i, err ? err : "accepted");
        mastercf_free(m);
        mem_free(err);
    }
    /* Too long a line; too many arguments. */
    {
        VSTR *v = vstr_new(0);
        char *err = NULL;
        MASTERCF *m;

        vstr_adds(v, "x unix - - n - - smtpd");
        for (i = 0; i < MASTERCF_ARGS_MAX; i++)
            vstr_adds(v, " -v");
        vstr_adds(v, "\n");
        write_file("master.cf", vstr_str(v));
        m = mastercf_read(path, &err);
        TAP_OK(m == NULL && err && strstr(err, "line 1: too many arguments"), "too many arguments: %s",
               err ? err : "accepted");
        mem_free(err);
        err = NULL;
        vstr_set(v, "x unix - - n - - smtpd ");
        for (i = 0; i < MASTERCF_LINE_MAX / 8 + 1; i++)
            vstr_adds(v, "aaaaaaaa");
        vstr_adds(v, "\n");
        write_file("master.cf", vstr_str(v));
        m = mastercf_read(path, &err);
        TAP_OK(m == NULL && err && strstr(err, "too long"), "oversized line: %s", err ? err : "accepted");
        mem_free(err);
        err = NULL;
        m = mastercf_read("/nonexistent/master.cf", &err);
        TAP_OK(m == NULL && err && strstr(err, "/nonexistent/master.cf"), "missing file: %s", err ? err : "");
        mem_free(err);
        vstr_free(v);
    }
    unlink(path);
}

static void test_chroot_default(void)
{
    MASTERCF_ENT *e;
    char *err = NULL;

    write_file("main.cf", "compatibility_level = 1\ndefault_process_limit = 7\n");
    conf_init(test_dir);
    e = mastercf_parse_line("x unix - - - - - smtp", "master.cf", 1, &err);
    TAP_OK(e != NULL && e->chroot == 0 && e->maxproc == 7, "level 1: chroot - is n, maxproc from main.cf");
    mastercf_ent_free(e);
    write_file("main.cf", "compatibility_level = 0\n");
    conf_init(test_dir);
    e = mastercf_parse_line("x unix - - - - - smtp", "master.cf", 1, &err);
    TAP_OK(e != NULL && e->chroot == 1 && e->private_ == 1 && e->unpriv == 1, "level 0: chroot - is y");
    mastercf_ent_free(e);
    {
        char path[256];

        snprintf(path, sizeof(path), "%s/main.cf", test_dir);
        unlink(path);
    }
}

int main(void)
{
    msg_init("mastercf_test", MSG_OUT_STDERR);
    if (mkdtemp(test_dir) == NULL)
        msg_fatal("mkdtemp");
    unsetenv("MAIL_CONFIG");
    write_file("main.cf", "");
    conf_init(test_dir);
    test_stock();
    test_lines();
    test_malformed();
    test_chroot_default();
    conf_free();
    rmdir(test_dir);
    return tap_done();
}
