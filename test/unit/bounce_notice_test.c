/*
 * Unit tests for qmgr/bounce_notice: the notice for a two-record bounce log
 * is compared line by line with a golden file (test/data/bounce/
 * failure.notice; the Date lines and boundary time are fixed by TZ=UTC and
 * a fixed clock); the parts, subjects, actions, NOTIFY selection, RET=HDRS,
 * the unavailable original, 8-bit content and the line wrapper.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce_notice.h"
#include "bounce_records.h"
#include "bounce_template.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"

#define NOW     1795263694L /* Sat, 21 Nov 2026 12:21:34 UTC */
#define ARRIVAL 1795263600L /* 12:20:00 */

static void collect(void *ctx, const char *line, size_t len)
{
    VSTR *out = ctx;

    vstr_addmem(out, line, len);
    vstr_addch(out, '\n');
}

static BOUNCE_RECS *recs_from(const char *name)
{
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    BOUNCE_RECS *r;

    vstr_sprintf(path, "%s/%s", BOUNCE_TEST_DATA, name);
    r = bounce_records_read(vstr_str(path), "TESTID", why);
    if (r == NULL)
        msg_fatal("%s", vstr_str(why));
    vstr_free(path);
    vstr_free(why);
    return r;
}

static char *slurp(const char *name)
{
    VSTR *path = vstr_new(0), *data = vstr_new(0);
    char buf[4096];
    size_t n;
    FILE *fp;

    vstr_sprintf(path, "%s/%s", BOUNCE_TEST_DATA, name);
    if ((fp = fopen(vstr_str(path), "r")) == NULL)
        msg_fatal("open %s: %m", vstr_str(path));
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        vstr_addmem(data, buf, n);
    fclose(fp);
    vstr_free(path);
    return vstr_export(data);
}

static BOUNCE_TEMPLATES *templates;

static int fake_lookup(void *ctx, const char *name, VSTR *out)
{
    (void) ctx;
    if (strcmp(name, "myhostname") == 0)
        vstr_set(out, "mail.example.com");
    else if (strcmp(name, "delay_warning_time_hours") == 0)
        vstr_set(out, "4");
    else if (strcmp(name, "maximal_queue_lifetime_days") == 0)
        vstr_set(out, "5");
    else
        return 0;
    return 1;
}

static void notice_init(BOUNCE_NOTICE *n, BOUNCE_RECS *recs, VSTR *orig)
{
    memset(n, 0, sizeof(*n));
    n->kind = BOUNCE_NOTICE_FAILURE;
    n->tmpl = bounce_templates_get(templates, BOUNCE_TMPL_FAILURE);
    n->myhostname = "mail.example.com";
    n->mail_name = "Postfix";
    n->queue_id = "9F284106044";
    n->notice_id = "A82FF106002";
    n->sender = "alice@example.com";
    n->to = "alice@example.com";
    n->envid = "";
    n->encoding = "";
    n->arrival = ARRIVAL;
    n->now = NOW;
    n->recs = recs;
    n->orig = orig;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;

    for (; (hay = strstr(hay, needle)) != NULL; hay++)
        n++;
    return n;
}

static void test_golden(BOUNCE_RECS *recs, VSTR *orig)
{
    BOUNCE_NOTICE n;
    VSTR *out = vstr_new(0);
    char *want = slurp("failure.notice");

    notice_init(&n, recs, orig);
    bounce_notice_write(&n, collect, out);
    TAP_STR(vstr_str(out), want, "a failure notice is the golden failure.notice");
    if (getenv("BOUNCE_GOLDEN"))
        fputs(vstr_str(out), stderr);
    TAP_INT(bounce_notice_needs_8bit(&n), 0, "7-bit only: no 8bit needed");
    mem_free(want);
    vstr_free(out);
}

static void test_kinds(BOUNCE_RECS *recs, VSTR *orig)
{
    BOUNCE_NOTICE n;
    VSTR *out = vstr_new(0), *hdrs = vstr_new(0);
    unsigned char use[2] = {0, 1};

    vstr_set(hdrs, "From: Alice <alice@example.com>\nTo: team@example.com\nSubject: test");
    notice_init(&n, recs, hdrs);
    n.kind = BOUNCE_NOTICE_DELAY;
    n.tmpl = bounce_templates_get(templates, BOUNCE_TMPL_DELAY);
    n.retry_until = ARRIVAL + 5 * 86400;
    n.orig_hdrs_only = 1;
    vstr_reset(out);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Delayed Mail (still being retried)\n") != NULL,
           "delay: its subject");
    TAP_INT(count_of(vstr_str(out), "\nAction: delayed\n"), 2, "delay: Action: delayed");
    tap_ok(strstr(vstr_str(out), "\nWill-Retry-Until: Thu, 26 Nov 2026 12:20:00 +0000 (UTC)\n")
               != NULL,
           "delay: Will-Retry-Until");
    tap_ok(strstr(vstr_str(out), "for more than 4 hour(s).\nAttempts go on until the message "
                                 "is 5 day(s) old.\n") != NULL,
           "delay: the warning text");
    tap_ok(strstr(vstr_str(out), "Content-Description: Undelivered Message Headers\n"
                                 "Content-Type: text/rfc822-headers\n") != NULL,
           "headers only: text/rfc822-headers");
    tap_ok(strstr(vstr_str(out), "Subject: test\n\n--9F284106044") != NULL,
           "headers only: the headers, then the end");
    vstr_free(hdrs);

    notice_init(&n, recs, orig);
    n.kind = BOUNCE_NOTICE_SUCCESS;
    n.tmpl = bounce_templates_get(templates, BOUNCE_TMPL_SUCCESS);
    n.use = use;
    vstr_reset(out);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Successful Mail Delivery Report\n") != NULL,
           "success: its subject");
    TAP_INT(count_of(vstr_str(out), "Final-Recipient:"), 1, "use[]: only the selected record");
    tap_ok(strstr(vstr_str(out), "Final-Recipient: rfc822; carol@relay.test\n") != NULL,
           "the second one");
    tap_ok(strstr(vstr_str(out), "\nAction: failed\n") != NULL,
           "success: the record's own action (failed in this log)");
    tap_ok(strstr(vstr_str(out), "Content-Description: Message\n") != NULL,
           "success: \"Message\", not \"Undelivered Message\"");

    notice_init(&n, recs, NULL);
    n.envid = "confirm-0001";
    n.sender = "";
    n.to = "postmaster";
    n.encoding = "7bit";
    vstr_reset(out);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nOriginal-Envelope-Id: confirm-0001\n") != NULL,
           "ENVID: Original-Envelope-Id");
    tap_ok(strstr(vstr_str(out), "\nX-Postfix-Sender: rfc822; MAILER-DAEMON\n") != NULL,
           "null sender: X-Postfix-Sender MAILER-DAEMON");
    tap_ok(strstr(vstr_str(out), "\nTo: postmaster\n") != NULL, "To: the given recipient");
    tap_ok(strstr(vstr_str(out), "\n\t--- Undelivered message unavailable ---\n") != NULL,
           "no original: the placeholder");
    TAP_INT(count_of(vstr_str(out), "Content-Transfer-Encoding: 7bit"), 2,
            "BODY=7BIT: 7bit on the top and on the original part");
    notice_init(&n, recs, orig);
    n.postmaster = 1;
    n.to = "postmaster";
    vstr_reset(out);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Postmaster Copy: Undelivered Mail\n") != NULL,
           "postmaster copy: its subject");
    tap_ok(strstr(vstr_str(out), "\nAuto-Submitted: auto-generated\n") != NULL,
           "postmaster copy: auto-generated");
    tap_ok(strstr(vstr_str(out), "Delivery report from") == NULL,
           "postmaster copy: no template text");
    tap_ok(strstr(vstr_str(out), "Content-Type: text/plain; charset=us-ascii\n\n<bob@relay.test>")
               != NULL,
           "postmaster copy: the recipients right after the part headers");
    n.kind = BOUNCE_NOTICE_DELAY;
    n.tmpl = bounce_templates_get(templates, BOUNCE_TMPL_DELAY);
    vstr_reset(out);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Postmaster Warning: Delayed Mail\n") != NULL,
           "postmaster delay copy: its subject");
    vstr_free(out);
}

/* sendmail -v: the "Mail Delivery Status Report", each record with its own action. */
static void test_record(BOUNCE_RECS *recs, VSTR *orig)
{
    BOUNCE_NOTICE n;
    VSTR *out = vstr_new(0);
    char *save0 = recs->rec[0].action, *save1 = recs->rec[1].action;

    recs->rec[0].action = mem_strdup("delivered");
    recs->rec[1].action = mem_strdup("delayed");
    notice_init(&n, recs, orig);
    n.kind = BOUNCE_NOTICE_RECORD;
    n.tmpl = bounce_templates_verify(templates);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Mail Delivery Status Report\n") != NULL,
           "record: its subject");
    tap_ok(strstr(vstr_str(out), "\nAuto-Submitted: auto-replied\n") != NULL,
           "record: auto-replied");
    tap_ok(strstr(vstr_str(out), "Here is the delivery report you asked for") != NULL,
           "record: says it is the report that was asked for");
    tap_ok(strstr(vstr_str(out), "could not be delivered") == NULL, "record: not the failure text");
    TAP_INT(count_of(vstr_str(out), "Final-Recipient:"), 2, "record: one group per record");
    tap_ok(strstr(vstr_str(out), "Final-Recipient: rfc822; bob@relay.test\n") != NULL
               && strstr(vstr_str(out), "\nAction: delivered\n") != NULL,
           "record: bob's own action (delivered)");
    tap_ok(strstr(vstr_str(out), "\nAction: delayed\n") != NULL,
           "record: carol's own action (delayed)");
    tap_ok(strstr(vstr_str(out), "Will-Retry-Until") == NULL, "record: no Will-Retry-Until");
    tap_ok(strstr(vstr_str(out), "Content-Description: Message\n") != NULL,
           "record: \"Message\", not \"Undelivered Message\"");
    mem_free(recs->rec[0].action);
    mem_free(recs->rec[1].action);
    recs->rec[0].action = save0;
    recs->rec[1].action = save1;
    vstr_free(out);
}

/* sendmail -bv: the verify report, each record with its own action. */
static void test_verify(BOUNCE_RECS *recs, VSTR *orig)
{
    BOUNCE_NOTICE n;
    VSTR *out = vstr_new(0);
    char *save0 = recs->rec[0].action, *save1 = recs->rec[1].action;

    recs->rec[0].action = mem_strdup("deliverable");
    recs->rec[1].action = mem_strdup("undeliverable");
    notice_init(&n, recs, orig);
    n.kind = BOUNCE_NOTICE_VERIFY;
    n.tmpl = bounce_templates_verify(templates);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Mail Delivery Status Report\n") != NULL,
           "verify: its subject");
    tap_ok(strstr(vstr_str(out), "Here is the delivery report you asked for") != NULL
               && strstr(vstr_str(out), "(sendmail -bv) nothing\nwas delivered") != NULL,
           "verify: the verify template's text, which covers -bv");
    tap_ok(strstr(vstr_str(out), "could not be delivered") == NULL,
           "verify: not the failure text");
    tap_ok(strstr(vstr_str(out), "\nAction: deliverable\n") != NULL
               && strstr(vstr_str(out), "\nAction: undeliverable\n") != NULL,
           "verify: each record's own action");
    tap_ok(strstr(vstr_str(out), "Content-Description: Message\n") != NULL,
           "verify: \"Message\", not \"Undelivered Message\"");
    mem_free(recs->rec[0].action);
    mem_free(recs->rec[1].action);
    recs->rec[0].action = save0;
    recs->rec[1].action = save1;
    vstr_free(out);
}

static void test_8bit(BOUNCE_RECS *recs)
{
    BOUNCE_NOTICE n;
    VSTR *out = vstr_new(0), *orig = vstr_new(0);

    vstr_set(orig, "Subject: caf\xc3\xa9\n\nbody \xc3\xa9t\xc3\xa9");
    notice_init(&n, recs, orig);
    bounce_notice_write(&n, collect, out);
    TAP_INT(bounce_notice_needs_8bit(&n), 1, "8-bit original: the notice needs 8bit");
    TAP_INT(count_of(vstr_str(out), "Content-Transfer-Encoding: 8bit"), 2,
            "8bit on the top and on the message/rfc822 part");
    tap_ok(strstr(vstr_str(out), "body \xc3\xa9t\xc3\xa9\n") != NULL, "the 8-bit body is intact");
    tap_ok(strstr(vstr_str(out), "charset=us-ascii") != NULL, "the text part stays us-ascii");
    vstr_reset(out);
    notice_init(&n, recs, NULL);
    n.sender = "\xc3\xa9l\xc3\xa8ve@example.com";
    n.to = n.sender;
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "charset=utf-8\nContent-Transfer-Encoding: 8bit\n") != NULL,
           "an SMTPUTF8 sender: the text part is utf-8, 8bit");
    vstr_free(orig);
    vstr_free(out);
}

static void test_wrap(void)
{
    VSTR *out = vstr_new(0);

    bounce_notice_wrap("short line", 79, 4, collect, out);
    TAP_STR(vstr_str(out), "short line\n", "a short line stays");
    vstr_reset(out);
    bounce_notice_wrap("aaaa bbbb cccc dddd", 10, 2, collect, out);
    TAP_STR(vstr_str(out), "aaaa bbbb\n  cccc\n  dddd\n", "wrapped at blanks, indented");
    vstr_reset(out);
    bounce_notice_wrap("xxxxxxxxxxxxxxxx yy", 10, 2, collect, out);
    TAP_STR(vstr_str(out), "xxxxxxxxxxxxxxxx\n  yy\n", "a long word stays whole");
    vstr_reset(out);
    bounce_notice_wrap("", 10, 2, collect, out);
    TAP_STR(vstr_str(out), "\n", "an empty text: one empty line");
    vstr_free(out);
}

/* A template from a file: its From (qualified), Subject, charset and text. */
static void test_template(BOUNCE_RECS *recs, VSTR *orig)
{
    BOUNCE_TEMPLATES *ts = bounce_templates_new();
    const char *file = "failure_template = <<EOF\n"
                       "Charset: iso-8859-1\n"
                       "From: Bounce Robot <bounces>\n"
                       "Subject: Your mail came back\n"
                       "Postmaster-Subject: Returned mail (copy)\n"
                       "\n"
                       "Bonjour from $myhostname, caf\xe9.\n"
                       "EOF\n";
    BOUNCE_NOTICE n;
    VSTR *out = vstr_new(0);

    TAP_INT(bounce_templates_load_buf(ts, "t.cf", file, strlen(file)), 0, "template file loads");
    TAP_INT(bounce_templates_expand(ts, fake_lookup, NULL), 0, "and expands");
    notice_init(&n, recs, orig);
    n.tmpl = bounce_templates_get(ts, BOUNCE_TMPL_FAILURE);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nFrom: Bounce Robot <bounces@mail.example.com>\n") != NULL,
           "template From:, its bare address qualified");
    tap_ok(strstr(vstr_str(out), "\nSubject: Your mail came back\n") != NULL, "template Subject:");
    tap_ok(strstr(vstr_str(out), "Content-Type: text/plain; charset=iso-8859-1\n"
                                 "Content-Transfer-Encoding: 8bit\n\n"
                                 "Bonjour from mail.example.com, caf\xe9.\n\n<bob@relay.test>")
               != NULL,
           "the template's charset, 8bit, its text, then the recipients");
    TAP_INT(bounce_notice_needs_8bit(&n), 1, "an 8-bit template: the notice is 8bit");
    tap_ok(strstr(vstr_str(out), "Content-Type: message/delivery-status\n") != NULL
               && strstr(vstr_str(out), "Content-Type: message/rfc822\n") != NULL,
           "the delivery-status part and the original stay");
    n.postmaster = 1;
    vstr_reset(out);
    bounce_notice_write(&n, collect, out);
    tap_ok(strstr(vstr_str(out), "\nSubject: Returned mail (copy)\n") != NULL,
           "postmaster copy: the template's Postmaster-Subject");
    tap_ok(strstr(vstr_str(out), "Bonjour") == NULL
               && strstr(vstr_str(out), "charset=us-ascii\n\n<bob@relay.test>") != NULL,
           "postmaster copy: no template text, us-ascii");
    TAP_INT(bounce_notice_needs_8bit(&n), 0, "and 7-bit");
    vstr_free(out);
    bounce_templates_free(ts);
}

int main(void)
{
    BOUNCE_RECS *recs;
    VSTR *orig = vstr_new(0);

    setenv("TZ", "UTC", 1);
    tzset();
    msg_init("bounce_notice_test", MSG_OUT_STDERR);
    templates = bounce_templates_new();
    if (bounce_templates_expand(templates, fake_lookup, NULL) < 0)
        msg_fatal("the built-in templates do not expand");
    recs = recs_from("postern-two.bounce");
    vstr_set(orig, "From: Alice <alice@example.com>\nTo: team@example.com\nSubject: test\n\n"
                   "Hello.\n\n--\nAlice");
    test_golden(recs, orig);
    test_kinds(recs, orig);
    test_record(recs, orig);
    test_verify(recs, orig);
    test_8bit(recs);
    test_wrap();
    test_template(recs, orig);
    bounce_records_free(recs);
    bounce_templates_free(templates);
    vstr_free(orig);
    return tap_done();
}
