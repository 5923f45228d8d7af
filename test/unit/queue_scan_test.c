/*
 * queue_scan_test - the queue walker and message summary behind showq:
 * fields, recipient order from the defer log, skipped files (incomplete,
 * damaged, missing), overlong defer log lines, the walk over hashed
 * directories, and the exact attribute bytes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_scan.h"
#include "tap.h"
#include "vstr.h"

typedef struct REC {
    int type;
    const char *data;
} REC;

static void mkfile(const char *path, const REC *recs, size_t n, int mode)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    QFILE_WRITER *w = qfile_writer_new(fd, path, QFILE_WRITE_SIZE);
    size_t i;

    for (i = 0; i < n; i++)
        qfile_puts(w, recs[i].type, recs[i].data);
    if (qfile_writer_finish(w) < 0)
        msg_fatal("write %s", path);
    qfile_writer_free(w);
    fchmod(fd, (mode_t) mode);
    close(fd);
}

static void putfile(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        msg_fatal("create %s", path);
    fputs(text, fp);
    fclose(fp);
}

static const REC msg1[] = {
    {QREC_TIME, "1795263434 123456"}, {QREC_FROM, "alice@example.com"},
    {QREC_RCPT, "x@soft.test"}, {QREC_DONE, "done@example.com"}, {QREC_RCPT, "y@down.test"},
    {QREC_RCPT, "z@later.test"}, {QREC_MESG, ""}, {QREC_NORM, "Subject: hi"},
    {QREC_NORM, ""}, {QREC_NORM, "body"}, {QREC_XTRA, ""}, {QREC_RCPT, "extracted@x.test"},
    {QREC_END, ""},
};

static const REC bounce[] = {
    {QREC_TIME, "1795263000 1"}, {QREC_FROM, ""}, {QREC_RCPT, "ghost@down.test"},
    {QREC_MESG, ""}, {QREC_NORM, "x"}, {QREC_XTRA, ""}, {QREC_END, ""},
};

static int collect(void *ctx, const char *queue, const char *id, const char *path)
{
    VSTR *v = ctx;

    vstr_printf(v, "%s %s %s;", queue, id, path);
    return 0;
}

static int emit_count(void *ctx, const char *data, size_t len)
{
    (void) data;
    (void) len;
    ++*(int *) ctx;
    return 0;
}

static const char want_head[] = "queue_name\0deferred\0queue_id\0" "8C4FE106096\0"
                                "time\0" "1795263434\0" "size\0";

int main(void)
{
    char dir[] = "/tmp/queue_scan_test.XXXXXX";
    QUEUE_MSG m;
    VSTR *v = vstr_new(256);
    VSTR *want = vstr_new(256);
    VSTR *big = vstr_new(QUEUE_SCAN_MAX_LINE + 100);
    int n = 0;
    size_t i;

    msg_init("queue_scan_test", MSG_OUT_STDERR);
    if (mkdtemp(dir) == NULL || chdir(dir) < 0)
        msg_fatal("mkdtemp");
    mkdir("deferred", 0700);
    mkdir("deferred/8", 0700);
    mkdir("defer", 0700);
    mkdir("defer/8", 0700);
    mkdir("active", 0700);
    mkfile("deferred/8/8C4FE106096", msg1, sizeof(msg1) / sizeof(msg1[0]), 0700);
    for (i = 0; i < QUEUE_SCAN_MAX_LINE + 10; i++)
        vstr_addch(big, 'r');
    vstr_sprintf(want, "<z@later.test>: later\nrecipient=z@later.test\nreason=deferred transport\n\n"
                 "reason=%s\n\n"
                 "recipient=y@down.test\nreason=Connection refused\n\n"
                 "recipient=y@down.test\nreason=second attempt\n\n"
                 "recipient=nobody@else.test\nreason=not in the file\n\n", vstr_str(big));
    putfile("defer/8/8C4FE106096", vstr_str(want));

    /* The summary. */
    TAP_INT(queue_scan_message(&m, "deferred", "8C4FE106096", "deferred/8/8C4FE106096",
                               "defer/8/8C4FE106096"), 0, "a complete file is summarised");
    TAP_INT(m.arrival, 1795263434, "arrival time from the T record");
    TAP_OK(m.size > 0 && m.size < 100, "size: the C record's data size (%ld)", m.size);
    TAP_INT(m.forced_expire, 0, "not force-expired");
    TAP_STR(m.sender, "alice@example.com", "sender");
    TAP_INT(m.rcpts->argc, 8, "4 undelivered recipients (done ones left out, extracted in)");
    vstr_reset(v);
    for (i = 0; i < m.rcpts->argc; i++)
        vstr_printf(v, "%s|", m.rcpts->argv[i]);
    TAP_STR(vstr_str(v), "z@later.test|deferred transport|y@down.test|Connection refused|"
            "x@soft.test||extracted@x.test||",
            "defer log order first (first reason wins), then the rest in file order");
    vstr_reset(v);
    queue_scan_encode(v, &m);
    TAP_INT(vstr_len(v) > 0 && v->buf[vstr_len(v) - 1] == 0 && v->buf[vstr_len(v) - 2] == 0, 1,
            "encoded message ends with the terminator");
    TAP_OK(memcmp(v->buf, want_head, sizeof(want_head) - 1) == 0,
           "encoded: queue_name, queue_id, time first");
    queue_scan_msg_free(&m);

    TAP_INT(queue_scan_message(&m, "deferred", "8C4FE106096", "deferred/8/8C4FE106096", NULL), 0,
            "no defer log");
    TAP_STR(m.rcpts->argv[0], "x@soft.test", "without a defer log: file order");
    TAP_STR(m.rcpts->argv[1], "", "and no reason");
    queue_scan_msg_free(&m);

    chmod("deferred/8/8C4FE106096", 0710);
    TAP_INT(queue_scan_message(&m, "deferred", "8C4FE106096", "deferred/8/8C4FE106096", NULL), 0,
            "group-execute file");
    TAP_INT(m.forced_expire, 1, "group-execute bit: forced_expire");
    queue_scan_msg_free(&m);

    mkfile("active/DFB371061D5", bounce, sizeof(bounce) / sizeof(bounce[0]), 0700);
    TAP_INT(queue_scan_message(&m, "active", "DFB371061D5", "active/DFB371061D5", "defer/D/x"), 0,
            "bounce summarised");
    TAP_STR(m.sender, "MAILER-DAEMON", "the null sender is MAILER-DAEMON");
    queue_scan_msg_free(&m);

    /* Files that are skipped. */
    mkfile("active/A14D11060A0", bounce, sizeof(bounce) / sizeof(bounce[0]), 0600);
    TAP_INT(queue_scan_message(&m, "active", "A14D11060A0", "active/A14D11060A0", NULL), -1,
            "an incomplete file (no u+x) is skipped");
    TAP_INT(queue_scan_message(&m, "active", "B6100106186", "active/B6100106186", NULL), -1,
            "a missing file is skipped");
    putfile("active/C82821061D4", "T\x05" "12345S\x80\x80\x80\x80\x80\x80" "x");
    chmod("active/C82821061D4", 0700);
    fprintf(stderr, "# a warning about a damaged file follows\n");
    TAP_INT(queue_scan_message(&m, "active", "C82821061D4", "active/C82821061D4", NULL), -1,
            "a damaged file is skipped");
    if (truncate("deferred/8/8C4FE106096", 20) < 0)
        msg_fatal("truncate");
    fprintf(stderr, "# a warning about a truncated file follows\n");
    TAP_INT(queue_scan_message(&m, "deferred", "8C4FE106096", "deferred/8/8C4FE106096", NULL), -1,
            "a truncated file is skipped");
    if (mkfifo("active/E0A0B1060C7", 0700) == 0)
        TAP_INT(queue_scan_message(&m, "active", "E0A0B1060C7", "active/E0A0B1060C7", NULL), -1,
                "a FIFO is skipped without blocking");
    else
        TAP_OK(1, "# SKIP mkfifo");
    TAP_INT(queue_scan_message(&m, "a-queue-name-that-is-too-long", "C82821061D4",
                               "active/C82821061D4", NULL), -1, "an overlong queue name is refused");

    /* The walk. */
    mkdir("deferred/8/.hidden", 0700);
    putfile("deferred/8/tmp.12345", "");
    putfile("deferred/8/.x", "");
    vstr_reset(v);
    TAP_INT(queue_scan("deferred", collect, v), 0, "walk deferred/");
    TAP_STR(vstr_str(v), "deferred 8C4FE106096 deferred/8/8C4FE106096;",
            "only queue ids, with hashed paths");
    TAP_INT(queue_scan("nonexistent", collect, v), 0, "a missing queue is empty");
    TAP_INT(queue_scan_list("deferred defer", 1, emit_count, &n), 1,
            "the listing: one good message over all queues");
    TAP_INT(n, 1, "emitted once");

    vstr_free(v);
    vstr_free(want);
    vstr_free(big);
    if (chdir("/") == 0) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            msg_warn("cannot remove %s", dir);
    }
    return tap_done();
}
