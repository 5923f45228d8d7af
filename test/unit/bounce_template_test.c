/*
 * Unit tests for lib/bounce_template: the built-in set and its dump (the
 * shape of Postfix's `postconf -t`), a file that overrides one template
 * ($name forms, $$, conditionals, header labels in any case), templates
 * that are rejected one by one (bad header, no text, 8-bit text in
 * us-ascii, control characters), files rejected as a whole (no '=', a bad
 * end marker, a NUL byte, an overlong line, a missing file, a folder),
 * expansion errors (undefined or bad $name, an overlong result) and the
 * main.cf lookup with the *_hours/_days/... time names.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce_template.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"

static int fake_lookup(void *ctx, const char *name, VSTR *out)
{
    static const char *const vals[][2] = {
        {"myhostname", "mail.example.com"},
        {"mydomain", "example.com"},
        {"delay_warning_time_hours", "4"},
        {"maximal_queue_lifetime_days", "5"},
        {"empty", ""},
        {"ctl", "a\001b"},
        {NULL, NULL},
    };
    int i;

    (void) ctx;
    if (strcmp(name, "big") == 0) {
        vstr_reset(out);
        for (i = 0; i < 1200; i++)
            vstr_addch(out, 'x');
        return 1;
    }
    if (strcmp(name, "broken") == 0) {
        vstr_set(out, "broken on purpose");
        return -1;
    }
    for (i = 0; vals[i][0]; i++)
        if (strcmp(vals[i][0], name) == 0) {
            vstr_set(out, vals[i][1]);
            return 1;
        }
    return 0;
}

static void collect(void *ctx, const char *line)
{
    vstr_adds(ctx, line);
    vstr_addch(ctx, '\n');
}

static int load(BOUNCE_TEMPLATES *ts, const char *text)
{
    return bounce_templates_load_buf(ts, "test.cf", text, strlen(text));
}

static int is_builtin(const BOUNCE_TEMPLATES *ts, int cls)
{
    return strcmp(bounce_templates_get(ts, cls)->origin, "[built-in]") == 0;
}

static void test_builtin(void)
{
    BOUNCE_TEMPLATES *ts = bounce_templates_new();
    VSTR *out = vstr_new(0);
    const BOUNCE_TEMPLATE *t;

    const char *head = "failure_template = <<EOF\nCharset: us-ascii\n"
                       "From: MAILER-DAEMON (Mail Delivery System)\n"
                       "Subject: Undelivered Mail Returned to Sender\n"
                       "Postmaster-Subject: Postmaster Copy: Undelivered Mail\n\n";

    bounce_templates_dump(ts, collect, out);
    tap_ok(strncmp(vstr_str(out), head, strlen(head)) == 0,
           "-t: the failure template's headers, then an empty line");
    tap_ok(strstr(vstr_str(out), "\nEOF\n\ndelay_template = <<EOF\n") != NULL,
           "-t: templates separated by an empty line");
    tap_ok(strstr(vstr_str(out), "Subject: Successful Mail Delivery Report\n\n") != NULL,
           "-t: success has no Postmaster-Subject");
    tap_ok(strstr(vstr_str(out), "\nverify_template = <<EOF\n") != NULL
               && strcmp(vstr_str(out) + vstr_len(out) - 4, "EOF\n") == 0,
           "-t: verify last, ending with EOF");
    tap_ok(strstr(vstr_str(out), "$delay_warning_time_hours hour(s)") != NULL,
           "-t: the delay text unexpanded");
    tap_ok(strstr(vstr_str(out), "sorry") == NULL, "Postern's own wording");
    TAP_INT(bounce_templates_expand(ts, fake_lookup, NULL), 0, "the built-in set expands");
    t = bounce_templates_get(ts, BOUNCE_TMPL_DELAY);
    tap_ok(strstr(t->expanded, "for more than 4 hour(s).\n") != NULL
               && strstr(t->expanded, "message is 5 day(s) old.") != NULL,
           "delay: the time names expanded");
    tap_ok(strncmp(t->expanded, "Delivery report from the mail system at mail.example.com.", 57)
               == 0,
           "$myhostname expanded");
    tap_ok(bounce_templates_verify(ts) == bounce_templates_get(ts, BOUNCE_TMPL_VERIFY),
           "the verify hook returns the verify template");
    vstr_reset(out);
    bounce_templates_dump_expanded(ts, collect, out);
    tap_ok(strncmp(vstr_str(out), "expanded_failure_text = <<EOF\nDelivery report from", 50) == 0,
           "-b: expanded_failure_text first");
    tap_ok(strstr(vstr_str(out), "EOF\n\nexpanded_verify_text = <<EOF\n") != NULL, "-b: verify");
    vstr_free(out);
    bounce_templates_free(ts);
}

static void test_override(void)
{
    BOUNCE_TEMPLATES *ts = bounce_templates_new();
    const BOUNCE_TEMPLATE *t;

    TAP_INT(load(ts, "# a comment\n\n   \n"
                     "delay_template = <<END\n"
                     "charset: us-ascii\n"
                     "FROM: Bounce Robot <bounces>\n"
                     "subject: Still trying\n"
                     "Postmaster-SUBJECT: Late mail\n"
                     "\n"
                     "\n"
                     "Hi $myhostname ${mydomain} $(myhostname) $$5 cost\n"
                     "  ${empty?no}${empty:yes} ${mydomain?dom=$mydomain} $ alone\n"
                     "after $delay_warning_time_hours h; ctl=$ctl\n"
                     "\n"
                     "END\n"),
            0, "a file with one delay template loads");
    t = bounce_templates_get(ts, BOUNCE_TMPL_DELAY);
    TAP_STR(t->from, "Bounce Robot <bounces>", "From: (label in upper case)");
    TAP_STR(t->subject, "Still trying", "Subject:");
    TAP_STR(t->pm_subject, "Late mail", "Postmaster-Subject:");
    TAP_STR(t->origin, "test.cf", "origin: the file");
    TAP_STR(t->text,
            "Hi $myhostname ${mydomain} $(myhostname) $$5 cost\n"
            "  ${empty?no}${empty:yes} ${mydomain?dom=$mydomain} $ alone\n"
            "after $delay_warning_time_hours h; ctl=$ctl\n",
            "the text after the empty lines, leading blanks and the last empty line kept");
    tap_ok(is_builtin(ts, BOUNCE_TMPL_FAILURE) && is_builtin(ts, BOUNCE_TMPL_VERIFY),
           "the others stay built-in");
    TAP_INT(bounce_templates_expand(ts, fake_lookup, NULL), 0, "it expands");
    TAP_STR(t->expanded,
            "Hi mail.example.com example.com mail.example.com $5 cost\n"
            "  yes dom=example.com $ alone\n"
            "after 4 h; ctl=a_b\n",
            "$name, ${name}, $(name), $$, ${x?}, ${x:}, a lone $, control chars as _");
    bounce_templates_free(ts);

    ts = bounce_templates_new();
    TAP_INT(load(ts, "failure_template = one line\r\n"), 0, "a one-line template (CRLF file)");
    TAP_STR(bounce_templates_get(ts, BOUNCE_TMPL_FAILURE)->text, "one line", "its text");
    TAP_INT(load(ts, "success_template = <<EOF\nCharset: utf-8\n\ncaf\xc3\xa9\nEOF\n"), 0,
            "8-bit text with Charset: utf-8");
    tap_ok(bounce_templates_get(ts, BOUNCE_TMPL_SUCCESS)->eight_bit, "is marked 8-bit");
    tap_ok(is_builtin(ts, BOUNCE_TMPL_FAILURE), "a later load starts from the built-in ones");
    TAP_INT(load(ts, "verify_template = <<EOF\nSubject: x\ntext\nEOF\nbogus_template = x\n"), 0,
            "an unknown template name: a warning only");
    TAP_STR(bounce_templates_get(ts, BOUNCE_TMPL_VERIFY)->text, "text",
            "a text line right after the headers");
    TAP_INT(load(ts, "failure_template = <<EOF\nSubject: cut\n\nno end marker\n"), 0,
            "a missing end marker: a warning");
    TAP_STR(bounce_templates_get(ts, BOUNCE_TMPL_FAILURE)->subject, "cut",
            "and the template is used");
    bounce_templates_free(ts);
}

static void test_bad_templates(void)
{
    static const struct {
        const char *file;
        int cls;
        const char *what;
    } cases[] = {
        {"failure_template = <<EOF\nX-Foo: bar\n\ntext\nEOF\n", BOUNCE_TMPL_FAILURE,
         "an unknown header label"},
        {"failure_template = <<EOF\nSubject:\n\ntext\nEOF\n", BOUNCE_TMPL_FAILURE,
         "an empty header value"},
        {"success_template = <<EOF\nPostmaster-Subject: x\n\ntext\nEOF\n", BOUNCE_TMPL_SUCCESS,
         "Postmaster-Subject in the success template"},
        {"verify_template = <<EOF\nSubject: x\n\n\nEOF\n", BOUNCE_TMPL_VERIFY, "no text"},
        {"delay_template =\n", BOUNCE_TMPL_DELAY, "an empty value"},
        {"failure_template = <<EOF\nSubject: x\n\ncaf\xc3\xa9\nEOF\n", BOUNCE_TMPL_FAILURE,
         "8-bit text in us-ascii"},
        {"failure_template = <<EOF\nSubject: caf\xc3\xa9\n\ntext\nEOF\n", BOUNCE_TMPL_FAILURE,
         "an 8-bit header value"},
        {"failure_template = <<EOF\nSubject: x\n\nbell \007\nEOF\n", BOUNCE_TMPL_FAILURE,
         "a control character in the text"},
        {"failure_template = <<EOF\nCharset: utf-8; x=y\n\ntext\nEOF\n", BOUNCE_TMPL_FAILURE,
         "a Charset that is not a MIME token"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        BOUNCE_TEMPLATES *ts = bounce_templates_new();

        TAP_INT(load(ts, cases[i].file), 0, "%s: a warning, not a file error", cases[i].what);
        tap_ok(is_builtin(ts, cases[i].cls), "%s: the built-in template", cases[i].what);
        bounce_templates_free(ts);
    }
}

static void test_bad_files(void)
{
    static const char *const files[][2] = {
        {"failure_template = <<EOF\nSubject: x\n\nfine\nEOF\nno equals here\n", "no '='"},
        {"failure_template = <<\"EOF\"\nSubject: x\n\ntext\nEOF\n", "a quoted end marker"},
        {"failure_template = <<\n", "no end marker"},
        {"= value\n", "no name"},
    };
    BOUNCE_TEMPLATES *ts;
    VSTR *big = vstr_new(0);
    char dir[] = "/tmp/bounce_template_test.XXXXXX";
    char path[128];
    FILE *fp;
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        ts = bounce_templates_new();
        TAP_INT(load(ts, files[i][0]), -1, "%s: the file is not used", files[i][1]);
        tap_ok(is_builtin(ts, BOUNCE_TMPL_FAILURE), "%s: built-in", files[i][1]);
        bounce_templates_free(ts);
    }
    ts = bounce_templates_new();
    TAP_INT(bounce_templates_load_buf(ts, "nul.cf", "failure_template = a\0b\n", 22), -1,
            "a NUL byte: the file is not used");
    vstr_set(big, "failure_template = <<EOF\nSubject: x\n\n");
    for (i = 0; i < BOUNCE_TMPL_LINE_MAX + 1; i++)
        vstr_addch(big, 'y');
    vstr_adds(big, "\nEOF\n");
    TAP_INT(load(ts, vstr_str(big)), -1, "a line over %d bytes: the file is not used",
            BOUNCE_TMPL_LINE_MAX);
    tap_ok(is_builtin(ts, BOUNCE_TMPL_FAILURE), "still built-in");
    if (mkdtemp(dir) == NULL)
        msg_fatal("mkdtemp: %m");
    snprintf(path, sizeof(path), "%s/none.cf", dir);
    TAP_INT(bounce_templates_load(ts, path), -1, "a missing file: -1, built-in");
    TAP_INT(bounce_templates_load(ts, dir), -1, "a folder: -1, built-in");
    snprintf(path, sizeof(path), "%s/huge.cf", dir);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("fopen %s: %m", path);
    for (i = 0; i < BOUNCE_TMPL_FILE_MAX / 10 + 1; i++)
        fputs("# comment\n", fp);
    fclose(fp);
    TAP_INT(bounce_templates_load(ts, path), -1, "a file over %d bytes: -1", BOUNCE_TMPL_FILE_MAX);
    unlink(path);
    snprintf(path, sizeof(path), "%s/good.cf", dir);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("fopen %s: %m", path);
    fputs("failure_template = <<EOF\nSubject: From a file\n\nfile text\nEOF\n", fp);
    fclose(fp);
    TAP_INT(bounce_templates_load(ts, path), 0, "a good file loads");
    TAP_STR(bounce_templates_get(ts, BOUNCE_TMPL_FAILURE)->subject, "From a file", "its subject");
    unlink(path);
    rmdir(dir);
    vstr_free(big);
    bounce_templates_free(ts);
}

static void test_bad_expansions(void)
{
    static const char *const texts[][2] = {
        {"text $nosuch", "an undefined $name"},
        {"text ${myhostname", "an unterminated ${"},
        {"text ${}", "an empty ${}"},
        {"text ${myhostname!x}", "bad ${name...} syntax"},
        {"text $broken", "a lookup error"},
        {"text $big", "an expanded line over the limit"},
    };
    VSTR *file = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        BOUNCE_TEMPLATES *ts = bounce_templates_new();
        const BOUNCE_TEMPLATE *t;

        vstr_sprintf(file, "failure_template = <<EOF\nSubject: mine\n\n%s\nEOF\n", texts[i][0]);
        TAP_INT(load(ts, vstr_str(file)), 0, "%s: loads", texts[i][1]);
        TAP_INT(bounce_templates_expand(ts, fake_lookup, NULL), -1, "%s: expansion fails",
                texts[i][1]);
        t = bounce_templates_get(ts, BOUNCE_TMPL_FAILURE);
        tap_ok(is_builtin(ts, BOUNCE_TMPL_FAILURE) && t->expanded
                   && strstr(t->expanded, "mail.example.com") != NULL,
               "%s: the built-in one, expanded", texts[i][1]);
        bounce_templates_free(ts);
    }
    vstr_free(file);
}

static void test_conf_lookup(void)
{
    char dir[] = "/tmp/bounce_template_conf.XXXXXX";
    char path[128];
    VSTR *v = vstr_new(0);
    FILE *fp;

    if (mkdtemp(dir) == NULL)
        msg_fatal("mkdtemp: %m");
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("fopen %s: %m", path);
    fputs("myhostname = mx.example.net\ndelay_warning_time = 4h\n"
          "maximal_queue_lifetime = 5d\nmy_own_thing = hello\n", fp);
    fclose(fp);
    conf_init(dir);
    TAP_INT(bounce_template_conf_lookup(NULL, "delay_warning_time_hours", v), 1, "_hours");
    TAP_STR(vstr_str(v), "4", "4h in hours");
    bounce_template_conf_lookup(NULL, "delay_warning_time_minutes", v);
    TAP_STR(vstr_str(v), "240", "in minutes");
    bounce_template_conf_lookup(NULL, "maximal_queue_lifetime_days", v);
    TAP_STR(vstr_str(v), "5", "5d in days");
    bounce_template_conf_lookup(NULL, "maximal_queue_lifetime_weeks", v);
    TAP_STR(vstr_str(v), "0", "in weeks (rounded down)");
    bounce_template_conf_lookup(NULL, "maximal_queue_lifetime_seconds", v);
    TAP_STR(vstr_str(v), "432000", "in seconds");
    TAP_INT(bounce_template_conf_lookup(NULL, "delay_warning_time_fortnights", v), -1,
            "an unknown unit: an error");
    TAP_INT(bounce_template_conf_lookup(NULL, "myhostname", v), 1, "a main.cf parameter");
    TAP_STR(vstr_str(v), "mx.example.net", "its value");
    TAP_INT(bounce_template_conf_lookup(NULL, "my_own_thing", v), 1, "a name main.cf sets");
    TAP_INT(bounce_template_conf_lookup(NULL, "no_such_parameter_xyz", v), 0, "undefined");
    conf_free();
    unlink(path);
    rmdir(dir);
    vstr_free(v);
}

int main(void)
{
    msg_init("bounce_template_test", MSG_OUT_STDERR);
    test_builtin();
    test_override();
    test_bad_templates();
    test_bad_files();
    test_bad_expansions();
    test_conf_lookup();
    return tap_done();
}
