/* Unit tests for lib/conf and lib/params: main.cf, expansion, typed values. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "params.h"
#include "vstr.h"
#include "tap.h"

static char test_dir[] = "/tmp/conf_test.XXXXXX";

static void write_file_len(const char *name, const char *text, size_t len)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", test_dir, name);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("create %s", path);
    fwrite(text, 1, len, fp);
    fclose(fp);
}

static void write_file(const char *name, const char *text)
{
    write_file_len(name, text, strlen(text));
}

static void main_cf(const char *text)
{
    write_file("main.cf", text);
    conf_init(test_dir);
}

static const char *const main_cf_text =
    "# a comment\n"
    "myhostname = mail.example.com\n"
    "mydomain = example.com\n"
    "\n"
    "mydestination = $myhostname, localhost.$mydomain,\n"
    "    # a comment inside a continued value\n"
    "\tlocalhost\n"
    "empty =\n"
    "full = x\n"
    "q1 = ${full?yes-$full}\n"
    "q2 = ${empty?yes}\n"
    "c1 = ${empty:fallback}\n"
    "c2 = ${full:fallback}\n"
    "ab1 = ${full?{A}:{B}}\n"
    "ab2 = ${empty?{A}:{B}}\n"
    "paren = $(full)\n"
    "gq = ${full?{a:b}}\n"
    "gc = ${empty:{x}y}}\n"
    "dollars = a$$b\n"
    "unknown = [$no_such_parameter]\n"
    "eq = ${{$full} == {x} ? {same} : {different}}\n"
    "ne = ${{$full} != {x} ? {same} : {different}}\n"
    "lt = ${{2} < {10} ? {less} : {more}}\n"
    "lvl = ${{3.6} <level {3.10} ? {older} : {newer}}\n"
    "smtpd_timeout = 5m\n"
    "maximal_queue_lifetime = 2\n"
    "bounce_queue_lifetime = 7200\n"
    "minimal_backoff_time = 1w\n"
    "message_size_limit = 51200000000\n"
    "biff = No\n"
    "allow_percent_hack = true\n"
    "relay_destination_concurrency_limit = 3\n"
    "trailing = value with space   \n";

static void test_main_cf(void)
{
    VSTR *v = vstr_new(0);

    main_cf(main_cf_text);
    TAP_STR(conf_get("myhostname"), "mail.example.com", "a plain setting");
    TAP_STR(conf_get("mydestination"), "mail.example.com, localhost.example.com,\tlocalhost",
            "continuation lines are joined, comments inside skipped, $names expanded");
    TAP_STR(conf_get_raw("mydestination"), "$myhostname, localhost.$mydomain,\tlocalhost",
            "conf_get_raw is the text as written");
    TAP_STR(conf_get("empty"), "", "an empty value");
    TAP_STR(conf_get("q1"), "yes-x", "${name?text} with name set");
    TAP_STR(conf_get("q2"), "", "${name?text} with name empty");
    TAP_STR(conf_get("c1"), "fallback", "${name:text} with name empty");
    TAP_STR(conf_get("c2"), "x", "${name:text} with name set gives the value");
    TAP_STR(conf_get("ab1"), "A", "${name?{a}:{b}} with name set");
    TAP_STR(conf_get("ab2"), "B", "${name?{a}:{b}} with name empty");
    TAP_STR(conf_get("paren"), "x", "$(name)");
    TAP_STR(conf_get("gq"), "a:b", "${name?{text}} drops the braces");
    TAP_STR(conf_get("gc"), "{x}y}", "${name:text} keeps braces that do not enclose all of it");
    TAP_STR(conf_get("dollars"), "a$b", "$$ is a literal $");
    TAP_STR(conf_get("unknown"), "[]", "an unknown $name expands to nothing");
    TAP_STR(conf_get("eq"), "same", "${{a} == {b} ? ...}");
    TAP_STR(conf_get("ne"), "different", "${{a} != {b} ? ...}");
    TAP_STR(conf_get("lt"), "less", "${{a} < {b} ? ...} compares numbers");
    TAP_STR(conf_get("lvl"), "older", "<level compares 3.6 < 3.10 as levels");
    TAP_STR(conf_get("trailing"), "value with space", "trailing white space is removed");
    TAP_INT(conf_main_cf_line("mydestination"), 5, "a setting remembers its first line");
    TAP_INT(conf_is_set("mydomain"), 1, "conf_is_set for a main.cf setting");
    TAP_INT(conf_is_set("relayhost"), 0, "conf_is_set for a default");
    TAP_STR(conf_get("nonexistent_parameter"), NULL, "an unknown name gives NULL");
    TAP_INT(conf_get_time("smtpd_timeout"), 300, "time with unit m");
    TAP_INT(conf_get_time("maximal_queue_lifetime"), 2 * 86400, "time without unit uses the default unit d");
    TAP_INT(conf_get_time("bounce_queue_lifetime"), 7200 * 86400L, "bounce_queue_lifetime's unit is d");
    TAP_INT(conf_get_time("minimal_backoff_time"), 604800, "time with unit w");
    TAP_INT(conf_get_time("smtp_helo_timeout"), 300, "default time 300s");
    TAP_INT(conf_get_time("delay_warning_time"), 0, "default time 0h");
    TAP_OK(conf_get_size("message_size_limit") == 51200000000LL, "size beyond 32 bits");
    TAP_INT(conf_get_int("default_process_limit"), 100, "default int");
    TAP_INT(conf_get_bool("biff"), 0, "bool No (any case)");
    TAP_INT(conf_get_bool("allow_percent_hack"), 1, "bool true");
    TAP_INT(conf_get_bool("disable_vrfy_command"), 0, "default bool");
    TAP_INT(conf_get_int("relay_destination_concurrency_limit"), 3, "per-transport parameter as set");
    TAP_INT(conf_get_int("smtp_destination_concurrency_limit"), 20,
            "per-transport parameter takes $default_destination_concurrency_limit");
    TAP_INT(conf_get_int("foo_destination_recipient_limit"), 50,
            "per-transport parameter of any transport has a default");
    TAP_INT(conf_get_time("relay_destination_rate_delay"), 0, "per-transport time");
    TAP_INT(conf_get_time("smtpd_starttls_timeout"), 300, "${stress?{10}:{300}}s expands");
    TAP_INT(conf_get_int("smtpd_hard_error_limit"), 20, "${stress?{1}:{20}} expands");
    TAP_INT(conf_get_bool("smtpd_per_request_deadline"), 0, "nested ${a?{$a}:{${stress?..}}}");
    TAP_STR(conf_get("syslog_name"), "postfix", "syslog_name default");
    TAP_STR(conf_get("smtpd_banner"), "mail.example.com ESMTP Postfix", "smtpd_banner default expands");

    conf_override("stress", "yes");
    TAP_INT(conf_get_time("smtpd_timeout"), 300, "main.cf smtpd_timeout wins over stress");
    TAP_INT(conf_get_int("smtpd_hard_error_limit"), 1, "override changes expanded defaults");
    TAP_INT(conf_get_bool("smtpd_per_request_deadline"), 1, "nested default under stress");
    TAP_INT(conf_is_set("stress"), 1, "conf_is_set for an override");
    conf_override("myhostname", "other.example.org");
    TAP_STR(conf_get("mydestination"), "other.example.org, localhost.example.com,\tlocalhost",
            "an override wins over main.cf and re-expands dependants");
    conf_set_default("relayhost", "[relay.example]:25");
    TAP_STR(conf_get("relayhost"), "[relay.example]:25", "conf_set_default changes a default");
    vstr_reset(v);
    conf_expand(v, "<$myhostname ${relayhost?via $relayhost}>");
    TAP_STR(vstr_str(v), "<other.example.org via [relay.example]:25>", "conf_expand of free text");
    vstr_free(v);
}

static void test_compat(void)
{
    main_cf("");
    TAP_STR(conf_get("compatibility_level"), "0", "default compatibility_level is 0 like Postfix 3.7");
    TAP_INT(conf_get_bool("append_dot_mydomain"), 1, "level 0: append_dot_mydomain yes");
    TAP_INT(conf_get_bool("smtputf8_enable"), 0, "level 0: smtputf8_enable no");
    TAP_STR(conf_get("mynetworks_style"), "subnet", "level 0: mynetworks_style subnet");
    TAP_STR(conf_get_raw("relay_domains"), "${{$compatibility_level} <level {2} ? {$mydestination} : {}}",
            "raw default is Postfix's expression");
    TAP_STR(conf_get("smtpd_relay_restrictions"), "", "level 0: smtpd_relay_restrictions empty");
    TAP_OK(conf_get("relay_domains")[0] != 0, "level 0: relay_domains = $mydestination");
    main_cf("compatibility_level = 2\n");
    TAP_INT(conf_get_bool("append_dot_mydomain"), 0, "level 2: append_dot_mydomain no");
    TAP_STR(conf_get("mynetworks_style"), "host", "level 2: mynetworks_style host");
    TAP_STR(conf_get("relay_domains"), "", "level 2: relay_domains empty");
    TAP_STR(conf_get("smtp_tls_fingerprint_digest"), "md5", "level 2: fingerprint md5");
    TAP_STR(conf_get("smtpd_relay_restrictions"),
            "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
            "level 2: smtpd_relay_restrictions");
    main_cf("compatibility_level = 3.6\n");
    TAP_STR(conf_get("smtp_tls_fingerprint_digest"), "sha256", "level 3.6: fingerprint sha256");
    TAP_INT(conf_get_bool("respectful_logging"), 1, "level 3.6: respectful_logging yes");
    main_cf("compatibility_level = 3.10\n");
    TAP_STR(conf_get("smtp_tls_fingerprint_digest"), "sha256", "level 3.10 is above 3.6");
}

static void test_runtime_defaults(void)
{
    const char *host;
    char pid[32];

    main_cf("");
    host = conf_get("myhostname");
    TAP_OK(host != NULL && strchr(host, '.') != NULL, "default myhostname is qualified (%s)", host ? host : "");
    TAP_STR(conf_get("mydomain"), host && strchr(host, '.') ? strchr(host, '.') + 1 : "", "default mydomain is myhostname minus its first label");
    TAP_OK(strstr(conf_get("mynetworks"), "127.0.0.0/8") != NULL, "subnet mynetworks includes 127.0.0.0/8: %s",
           conf_get("mynetworks"));
    snprintf(pid, sizeof(pid), "%ld", (long) getpid());
    TAP_STR(conf_get("process_id"), pid, "process_id is this process");
    TAP_STR(conf_get("config_directory"), test_dir, "config_directory follows the directory read");
    TAP_STR(conf_get_default("config_directory"), DEF_CONFIG_DIR, "its default is the build's");
    TAP_STR(conf_get("daemon_directory"), DEF_DAEMON_DIR, "daemon_directory from the build");
    TAP_STR(conf_get("sendmail_path"), DEF_SENDMAIL_PATH, "sendmail_path from the build");
    main_cf("mynetworks_style = host\n");
    TAP_OK(strstr(conf_get("mynetworks"), "127.0.0.1/32") != NULL, "host mynetworks includes 127.0.0.1/32: %s",
           conf_get("mynetworks"));
    main_cf("mynetworks_style = host\ninet_protocols = ipv4\n");
    TAP_OK(strchr(conf_get("mynetworks"), '[') == NULL, "inet_protocols = ipv4: no IPv6 networks: %s",
           conf_get("mynetworks"));
    main_cf("myhostname = a.b.example\n");
    TAP_STR(conf_get("mydomain"), "b.example", "mydomain follows main.cf's myhostname");
    main_cf("myhostname = single\n");
    TAP_STR(conf_get("mydomain"), "localdomain", "mydomain of an unqualified name is localdomain");
}

static void test_myorigin(void)
{
    char text[512];

    write_file("mailname", "mail.example.net\nsecond line\n");
    snprintf(text, sizeof(text), "myorigin = %s/mailname\nx = <$myorigin>\n", test_dir);
    main_cf(text);
    TAP_STR(conf_get("myorigin"), "mail.example.net", "myorigin = /file reads the first line");
    TAP_STR(conf_get("x"), "<mail.example.net>", "$myorigin also reads the file");
    snprintf(text, sizeof(text), "myorigin = %s/nonexistent-mailname\n", test_dir);
    main_cf(text);
    conf_set_lenient(1);
    TAP_OK(strstr(conf_get("myorigin"), "/nonexistent-mailname") != NULL,
           "lenient: an unreadable myorigin file leaves the value as written");
    main_cf("myorigin = $mydomain\nmydomain = example.org\n");
    TAP_STR(conf_get("myorigin"), "example.org", "myorigin as usual otherwise");
}

static void test_dir_resolution(void)
{
    main_cf("a = 1\n");
    setenv("MAIL_CONFIG", test_dir, 1);
    conf_init(NULL);
    TAP_STR(conf_dir(), test_dir, "MAIL_CONFIG picks the directory");
    TAP_STR(conf_get("a"), "1", "and its main.cf is read");
    unsetenv("MAIL_CONFIG");
    conf_init("/nonexistent/dir");
    TAP_STR(conf_main_cf_path(), "/nonexistent/dir/main.cf", "conf_main_cf_path");
    conf_init("/nonexistent/dir//");
    TAP_STR(conf_dir(), "/nonexistent/dir", "trailing slashes are removed from the directory");
    TAP_STR(conf_get_raw("myorigin"), "$myhostname", "a missing main.cf means all defaults");
}

static void test_unused(void)
{
    char path[300];
    FILE *saved;
    int fd[2];
    char buf[2048];
    ssize_t n;

    main_cf("foo = bar\nused_by_ref = x\nmydestination = $used_by_ref\nmua_restrictions = permit\n"
            "relay_destination_concurrency_limit = 2\nnosuch_destination_concurrency_limit = 3\n");
    snprintf(path, sizeof(path), "%s/master.cf", test_dir);
    write_file("master.cf", "relay unix - - n - - smtp\n  -o x=y\n127.0.0.1:smtp inet n - n - - smtpd\n"
                            "  -o smtpd_client_restrictions=${mua_restrictions}\n");
    if (pipe(fd) != 0)
        msg_fatal("pipe");
    fflush(stderr);
    saved = fdopen(dup(2), "w");
    dup2(fd[1], 2);
    close(fd[1]);
    conf_warn_unused();
    fflush(stderr);
    dup2(fileno(saved), 2);
    fclose(saved);
    n = read(fd[0], buf, sizeof(buf) - 1);
    close(fd[0]);
    buf[n > 0 ? n : 0] = 0;
    TAP_OK(strstr(buf, "unused parameter: foo=bar") != NULL, "unused parameter warned about: %s", buf);
    TAP_OK(strstr(buf, "used_by_ref") == NULL, "a parameter referenced as $name is used");
    TAP_OK(strstr(buf, "mua_restrictions") == NULL, "a parameter referenced in master.cf is used");
    TAP_OK(strstr(buf, "relay_destination") == NULL, "a per-transport parameter of a master.cf service is used");
    TAP_OK(strstr(buf, "nosuch_destination_concurrency_limit=3") != NULL,
           "a per-transport parameter of no service is unused");
    unlink(path);
}

/* Run fn in a child; return its exit status and its stderr in buf. */
static int run_child(void (*fn)(void), char *buf, size_t size)
{
    int fd[2];
    pid_t pid;
    int status;
    size_t len = 0;
    ssize_t n;

    if (pipe(fd) != 0)
        msg_fatal("pipe");
    fflush(stdout);
    if ((pid = fork()) == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
        fn();
        _exit(0);
    }
    close(fd[1]);
    while (len < size - 1 && (n = read(fd[0], buf + len, size - 1 - len)) > 0)
        len += (size_t) n;
    buf[len] = 0;
    close(fd[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A fatal error in the child ends it at once, without the leak check. */
static void quick_exit_hook(void)
{
    fflush(stderr);
    _exit(1);
}

static void child_bad_int(void) { conf_init(test_dir); conf_get_int("default_process_limit"); }
static void child_bad_time(void) { conf_init(test_dir); conf_get_time("smtpd_timeout"); }
static void child_bad_bool(void) { conf_init(test_dir); conf_get_bool("biff"); }
static void child_bad_size(void) { conf_init(test_dir); conf_get_size("message_size_limit"); }
static void child_loop(void) { conf_init(test_dir); conf_get("a"); }
static void child_read(void) { conf_init(test_dir); }
static void child_myorigin(void) { conf_init(test_dir); conf_get("myorigin"); }
static void child_get_x(void) { conf_init(test_dir); conf_get("x"); }

static void test_fatal(void)
{
    static const struct {
        const char *main_cf;
        void (*fn)(void);
        const char *want;
        size_t len; /* 0: strlen */
    } cases[] = {
        {"# c\ndefault_process_limit = 1x\n", child_bad_int,
         "main.cf, line 2: bad numerical configuration: default_process_limit = 1x", 0},
        {"default_process_limit = -5\n", child_bad_int,
         "main.cf, line 1: bad numerical configuration: default_process_limit = -5", 0},
        {"default_process_limit = 99999999999999999999999\n", child_bad_int,
         "line 1: bad numerical configuration: default_process_limit = 9999", 0},
        {"\n\nsmtpd_timeout = 30x\n", child_bad_time,
         "main.cf, line 3: bad numerical configuration: smtpd_timeout = 30x", 0},
        {"smtpd_timeout = 10ss\n", child_bad_time, "line 1: bad numerical configuration: smtpd_timeout = 10ss", 0},
        {"smtpd_timeout = 99999999999999w\n", child_bad_time, "bad numerical configuration: smtpd_timeout", 0},
        {"biff = maybe\n", child_bad_bool, "main.cf, line 1: bad boolean configuration: biff = maybe", 0},
        {"message_size_limit = 10M\n", child_bad_size,
         "line 1: bad numerical configuration: message_size_limit = 10M", 0},
        {"a = $b\nb = ${c}\nc = x$a\n", child_loop, "parameter a: recursion (loop through $a)", 0},
        {"a = $a\n", child_loop, "main.cf, line 1: parameter a: recursion", 0},
        {"a = ${b\n", child_loop, "parameter a: missing '}' after ${", 0},
        {"a = ${{1} <> {2} ? {x}}\n", child_loop, "parameter a: unknown operator", 0},
        {"a = ${{x} < {2} ? {x}}\n", child_loop, "parameter a: non-numerical operand", 0},
        {"a = ${b c}\n", child_loop, "parameter a: bad parameter name", 0},
        {"myorigin = /nonexistent/mailname\n", child_myorigin, "fatal: open /nonexistent/mailname (myorigin)", 0},
        {"no equals sign here\n", child_read, "main.cf, line 1: missing '=' after parameter name", 0},
        {"ok = 1\n= value\n", child_read, "main.cf, line 2: bad parameter name", 0},
        {"bad name = value\n", child_read, "main.cf, line 1: bad parameter name", 0},
        {"a = b\0c\n", child_read, "main.cf, line 1: NUL character", 8},
    };
    char buf[4096];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file_len("main.cf", cases[i].main_cf,
                       cases[i].len ? cases[i].len : strlen(cases[i].main_cf));
        rc = run_child(cases[i].fn, buf, sizeof(buf));
        TAP_INT(rc, 1, "case %zu exits 1", i);
        TAP_OK(strstr(buf, "fatal: ") != NULL && strstr(buf, cases[i].want) != NULL,
               "case %zu: stderr has \"%s\": %s", i, cases[i].want, buf);
    }
}

static void test_oversized(void)
{
    char buf[4096];
    VSTR *v = vstr_new(0);
    size_t i;
    int rc;

    /* A logical line over CONF_LINE_MAX. */
    vstr_adds(v, "x = ");
    for (i = 0; i < CONF_LINE_MAX / 10 + 10; i++)
        vstr_adds(v, "0123456789");
    vstr_adds(v, "\n");
    write_file("main.cf", vstr_str(v));
    rc = run_child(child_read, buf, sizeof(buf));
    TAP_OK(rc == 1 && strstr(buf, "main.cf, line") && strstr(buf, "too long"), "oversized line is fatal: %s",
           buf);
    /* A value over CONF_VALUE_MAX made of continuation lines. */
    vstr_set(v, "x = ");
    for (i = 0; i < CONF_VALUE_MAX / 1000 + 5; i++) {
        size_t j;

        vstr_adds(v, "\n ");
        for (j = 0; j < 100; j++)
            vstr_adds(v, "0123456789");
    }
    vstr_adds(v, "\n");
    write_file("main.cf", vstr_str(v));
    rc = run_child(child_read, buf, sizeof(buf));
    TAP_OK(rc == 1 && strstr(buf, "main.cf, line 1: value of x is longer"), "oversized value is fatal: %s", buf);
    /* ${a?${a?${a?...}}} nested deeper than CONF_EXPAND_DEPTH. */
    vstr_set(v, "a = x\nx = ");
    for (i = 0; i < 5000; i++)
        vstr_adds(v, "${a?");
    for (i = 0; i < 5000; i++)
        vstr_adds(v, "}");
    vstr_adds(v, "\n");
    write_file("main.cf", vstr_str(v));
    rc = run_child(child_get_x, buf, sizeof(buf));
    TAP_OK(rc == 1 && strstr(buf, "main.cf, line 2: parameter x: ${...} nested too deeply"),
           "deeply nested ${...} is fatal: %s", buf);
    /* An expansion that doubles 30 times. */
    vstr_set(v, "a0 = 0123456789\n");
    for (i = 1; i <= 30; i++)
        vstr_printf(v, "a%zu = $a%zu$a%zu\n", i, i - 1, i - 1);
    vstr_adds(v, "x = $a30\n");
    write_file("main.cf", vstr_str(v));
    rc = run_child(child_get_x, buf, sizeof(buf));
    TAP_OK(rc == 1 && strstr(buf, "expansion result too long"), "exponential expansion is fatal: %s", buf);
    vstr_free(v);
}

static void test_params_table(void)
{
    const PARAM *p;
    size_t i;
    int sorted = 1;

    TAP_INT(params_count(), 1044, "the table has every parameter of postconf -d, and queue_directory_fsync");
    for (i = 1; i < params_count(); i++)
        if (strcmp(params_at(i - 1)->name, params_at(i)->name) >= 0)
            sorted = 0;
    TAP_INT(sorted, 1, "the table is sorted by name");
    p = params_find("smtpd_timeout");
    TAP_OK(p != NULL && p->type == PARAM_TIME && p->unit == 's', "smtpd_timeout is a time in seconds");
    p = params_find("maximal_queue_lifetime");
    TAP_OK(p != NULL && p->type == PARAM_TIME && p->unit == 'd', "maximal_queue_lifetime's unit is d");
    p = params_find("biff");
    TAP_OK(p != NULL && p->type == PARAM_BOOL, "biff is a bool");
    p = params_find("message_size_limit");
    TAP_OK(p != NULL && p->type == PARAM_SIZE, "message_size_limit is a size");
    p = params_find("myhostname");
    TAP_OK(p != NULL && (p->flags & PARAM_RUNTIME), "myhostname is computed at run time");
    TAP_OK(params_find("no_such_thing") == NULL, "unknown names are not found");
    TAP_OK(params_find("smtp_destination_concurrency_limit") != NULL
               && params_find("smtp_destination_concurrency_limit")->type == PARAM_INT,
           "$default_... parameters take the type of what they name");
}

static void test_parsers(void)
{
    static const struct {
        const char *text;
        int unit;
        int rc;
        long secs;
    } times[] = {
        {"0", 's', 0, 0}, {"10", 's', 0, 10}, {"10", 'h', 0, 36000}, {"3m", 'd', 0, 180},
        {"1d", 's', 0, 86400}, {"", 's', -1, 0}, {"s", 's', -1, 0}, {"-1", 's', -1, 0},
        {"1x", 's', -1, 0}, {"1 s", 's', -1, 0}, {" 1", 's', -1, 0}, {"1sm", 's', -1, 0},
    };
    size_t i;
    long secs;

    for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        int rc = conf_parse_time(times[i].text, times[i].unit, &secs);

        TAP_INT(rc, times[i].rc, "conf_parse_time(\"%s\") status", times[i].text);
        if (rc == 0)
            TAP_INT(secs, times[i].secs, "conf_parse_time(\"%s\") value", times[i].text);
    }
    TAP_INT(conf_parse_bool("YES"), 1, "YES");
    TAP_INT(conf_parse_bool("False"), 0, "False");
    TAP_INT(conf_parse_bool("1"), -1, "1 is not a boolean");
}

int main(void)
{
    char path[300];

    msg_init("conf_test", MSG_OUT_STDERR);
    msg_set_cleanup(quick_exit_hook);
    if (mkdtemp(test_dir) == NULL)
        msg_fatal("mkdtemp");
    unsetenv("MAIL_CONFIG");
    test_parsers();
    test_params_table();
    test_main_cf();
    test_compat();
    test_runtime_defaults();
    test_myorigin();
    test_dir_resolution();
    test_unused();
    test_fatal();
    test_oversized();
    conf_free();
    snprintf(path, sizeof(path), "%s/main.cf", test_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/mailname", test_dir);
    unlink(path);
    rmdir(test_dir);
    return tap_done();
}
