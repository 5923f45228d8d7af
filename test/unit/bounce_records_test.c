/*
 * Unit tests for qmgr/bounce_records: the status logs Postern's agents
 * write (deliver_status_log) and those Postfix 3.7 wrote (fixtures) are
 * read field by field; bad records are skipped and counted, never fatal;
 * the record and byte bounds hold; a missing log is ENOENT.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_client.h"
#include "bounce_records.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"

static BOUNCE_RECS *read_data(const char *name)
{
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    BOUNCE_RECS *r;

    vstr_sprintf(path, "%s/%s", BOUNCE_TEST_DATA, name);
    r = bounce_records_read(vstr_str(path), "TESTID", why);
    if (r == NULL)
        printf("# %s\n", vstr_str(why));
    vstr_free(path);
    vstr_free(why);
    return r;
}

static void test_postern_format(void)
{
    BOUNCE_RECS *r = read_data("postern-two.bounce");

    if (!tap_ok(r != NULL && r->n == 2, "postern-two.bounce: two records"))
        return;
    TAP_INT((int) r->skipped, 0, "nothing skipped");
    TAP_STR(r->rec[0].recipient, "bob@relay.test", "recipient");
    TAP_STR(r->rec[0].orig_rcpt, "team@example.com", "orig_rcpt");
    TAP_INT((int) r->rec[0].offset, 600, "offset");
    TAP_STR(r->rec[0].dsn_orig_rcpt, "rfc822;team@example.com", "dsn_orig_rcpt");
    TAP_INT(r->rec[0].notify, 6, "notify_flags");
    TAP_STR(r->rec[0].status, "5.1.1", "status");
    TAP_STR(r->rec[0].action, "failed", "action");
    TAP_STR(r->rec[0].reason, "mailbox unavailable", "reason");
    TAP_STR(r->rec[0].diag_type, "", "no diag_type");
    TAP_STR(r->rec[1].recipient, "carol@relay.test", "second recipient");
    TAP_STR(r->rec[1].orig_rcpt, "", "no orig_rcpt: empty");
    TAP_INT(r->rec[1].notify, 0, "no notify_flags: 0");
    TAP_STR(r->rec[1].diag_type, "smtp", "diag_type");
    TAP_STR(r->rec[1].diag_text,
            "550 5.1.1 <carol@relay.test>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
            "diag_text");
    TAP_STR(r->rec[1].mta_type, "dns", "mta_type");
    TAP_STR(r->rec[1].mta_mname, "mx.relay.test", "mta_mname");
    bounce_records_free(r);
}

static void test_postfix_format(void)
{
    BOUNCE_RECS *r = read_data("postfix-2reasons.defer");

    if (!tap_ok(r != NULL && r->n == 2, "Postfix 3.7's defer log: two records"))
        return;
    TAP_INT((int) r->skipped, 0, "nothing skipped (two empty lines between records)");
    TAP_STR(r->rec[0].recipient, "x@soft.test", "recipient");
    TAP_INT((int) r->rec[0].offset, 647, "offset");
    TAP_STR(r->rec[0].status, "4.3.0", "status");
    TAP_STR(r->rec[0].action, "delayed", "action");
    TAP_STR(r->rec[0].diag_text, "450 4.3.0 Error: command failed", "diag_text");
    TAP_STR(r->rec[0].mta_mname, "127.0.0.3", "mta_mname");
    TAP_STR(r->rec[1].recipient, "y@down.test", "second recipient");
    TAP_STR(r->rec[1].status, "4.4.1", "second status");
    TAP_STR(r->rec[1].reason, "connect to 127.0.0.9[127.0.0.9]:25: Connection refused",
            "second reason");
    bounce_records_free(r);
}

static void test_bad_records(void)
{
    BOUNCE_RECS *r = read_data("bad.bounce");

    if (!tap_ok(r != NULL, "bad.bounce is read"))
        return;
    TAP_INT((int) r->n, 2, "two good records");
    TAP_INT((int) r->skipped, 7,
            "seven skipped: bad status, empty recipient, duplicate, no status, bad notify, "
            "bad offset, a line without '='");
    if (r->n == 2) {
        TAP_STR(r->rec[0].recipient, "old@x.test", "the old \"<rcpt>: reason\" format");
        TAP_STR(r->rec[0].reason, "old format reason", "its reason");
        TAP_STR(r->rec[0].status, "", "and no status (the daemon supplies one)");
        TAP_STR(r->rec[1].recipient, "ctl@x.test", "an unknown field is ignored");
        TAP_STR(r->rec[1].reason, "tab?here ??", "controls and 8-bit in a reason become '?'");
    }
    bounce_records_free(r);
}

static void test_parse_edges(void)
{
    BOUNCE_RECS *r;
    VSTR *buf = vstr_new(0);
    char *big;
    int i;

    r = bounce_records_parse("", 0, "TESTID");
    TAP_INT((int) r->n, 0, "an empty log: no records");
    bounce_records_free(r);
    r = bounce_records_parse("\n\n\n", 3, "TESTID");
    TAP_INT((int) (r->n + r->skipped), 0, "blank lines only: nothing");
    bounce_records_free(r);
    vstr_set(buf, "recipient=a@b\r\nstatus=5.0.0\r\nreason=r\r\n\r\n");
    r = bounce_records_parse(vstr_str(buf), vstr_len(buf), "TESTID");
    TAP_INT((int) r->n, 1, "CR LF line ends");
    if (r->n)
        TAP_STR(r->rec[0].reason, "r", "without the CR");
    bounce_records_free(r);
    vstr_set(buf, "recipient=a@b\nstatus=5.0.0\nreason=no final newline");
    r = bounce_records_parse(vstr_str(buf), vstr_len(buf), "TESTID");
    TAP_INT((int) r->n, 1, "a last record without a newline");
    bounce_records_free(r);
    vstr_set(buf, "recipient=a\xc3\xa9@b\nstatus=5.0.0\nreason=x\n");
    r = bounce_records_parse(vstr_str(buf), vstr_len(buf), "TESTID");
    TAP_STR(r->n ? r->rec[0].recipient : NULL, "a\xc3\xa9@b", "an address keeps 8-bit (SMTPUTF8)");
    bounce_records_free(r);
    /* a field over BOUNCE_FIELD_MAX */
    big = mem_alloc(BOUNCE_FIELD_MAX + 2);
    memset(big, 'x', BOUNCE_FIELD_MAX + 1);
    big[BOUNCE_FIELD_MAX + 1] = 0;
    vstr_sprintf(buf, "recipient=a@b\nstatus=5.0.0\nreason=%s\n\nrecipient=c@d\nstatus=5.0.0\n"
                      "reason=ok\n", big);
    r = bounce_records_parse(vstr_str(buf), vstr_len(buf), "TESTID");
    TAP_INT((int) r->n, 1, "an overlong field: its record is skipped");
    TAP_INT((int) r->skipped, 1, "and counted");
    bounce_records_free(r);
    mem_free(big);
    /* more than BOUNCE_RCPT_MAX records */
    vstr_reset(buf);
    for (i = 0; i < BOUNCE_RCPT_MAX + 5; i++)
        vstr_printf(buf, "\nrecipient=r%d@x\nstatus=5.0.0\nreason=x\n", i);
    r = bounce_records_parse(vstr_str(buf), vstr_len(buf), "TESTID");
    TAP_INT((int) r->n, BOUNCE_RCPT_MAX, "at most BOUNCE_RCPT_MAX records are kept");
    TAP_INT((int) r->skipped, 5, "the rest are dropped and counted");
    bounce_records_free(r);
    vstr_free(buf);
}

static void test_files(void)
{
    char dir[] = "/tmp/bounce_records_test.XXXXXX";
    VSTR *path = vstr_new(0), *why = vstr_new(0), *rec = vstr_new(0);
    BOUNCE_RECS *r;
    size_t total = 0, nrec = 0;
    FILE *fp;

    if (!tap_ok(mkdtemp(dir) != NULL, "a scratch directory"))
        return;
    vstr_sprintf(path, "%s/none", dir);
    errno = 0;
    r = bounce_records_read(vstr_str(path), "TESTID", why);
    tap_ok(r == NULL && errno == ENOENT, "a missing log: NULL with ENOENT");
    tap_ok(strstr(vstr_str(why), "open") != NULL, "and the reason says open");
    /* a log longer than BOUNCE_LOG_MAX */
    vstr_sprintf(path, "%s/big", dir);
    fp = fopen(vstr_str(path), "w");
    while (fp && total <= BOUNCE_LOG_MAX + 1000) {
        vstr_sprintf(rec, "\nrecipient=r%zu@x\nstatus=5.0.0\nreason=%0400d\n", nrec, 0);
        fwrite(vstr_str(rec), 1, vstr_len(rec), fp);
        total += vstr_len(rec);
        nrec++;
    }
    if (fp)
        fclose(fp);
    r = bounce_records_read(vstr_str(path), "TESTID", why);
    tap_ok(r != NULL && r->n > 0 && r->n < nrec && r->skipped == 0,
           "a log over BOUNCE_LOG_MAX: read up to the bound, the cut record left out (%zu of %zu)",
           r ? r->n : 0, nrec);
    bounce_records_free(r);
    unlink(vstr_str(path));
    rmdir(dir);
    vstr_free(path);
    vstr_free(why);
    vstr_free(rec);
}

int main(void)
{
    msg_init("bounce_records_test", MSG_OUT_STDERR);
    test_postern_format();
    test_postfix_format();
    test_bad_records();
    test_parse_edges();
    test_files();
    return tap_done();
}
