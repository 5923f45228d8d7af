/*
 * Unit tests for lib/deliver: the request and the result round trip; every
 * malformed request is refused with a reason (missing, extra, duplicate
 * attributes, bad ids, names, offsets, flags, counts, overlong values, EOF);
 * the delay format and the log line; opening and checking the queue file,
 * marking recipients done and the bounce/defer status logs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "conf.h"
#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_id.h"
#include "stream.h"
#include "vstr.h"
#include "tap.h"

/* ---- requests built from "name=value" lists ---- */

static const char *head_ok[] = {
    "flags=3", "queue_name=active", "queue_id=A2E0D10605F", "offset=671", "size=486",
    "nexthop=5.1.1 no such user", "encoding=8bit", "smtputf8=0", "sender=alice@example.com",
    "envelope_id=", "ret_flags=0", "arrival_time=1795263260", "arrival_usec=27050",
    "active_time=1795263260", "active_usec=127050", "handoff_time=1795263261",
    "handoff_usec=0", "log_client_name=localhost", "log_client_address=127.0.0.1",
    "log_client_port=56518", "log_protocol_name=ESMTP", "log_helo_name=client.example.org",
    "sasl_method=", "sasl_username=", "sasl_sender=", "log_ident=A2E0D10605F",
    "rewrite_context=local", "rcpt_count=2", NULL
};

static const char *rcpt_ok[] = {
    "original_recipient=team@example.com", "recipient=bob@relay.test", "offset=600",
    "dsn_orig_rcpt=rfc822;team@example.com", "notify_flags=6",
    "original_recipient=", "recipient=carol@relay.test", "offset=640", "dsn_orig_rcpt=",
    "notify_flags=0", NULL
};

/* Encode name=value items into one attr message (terminated unless more). */
static void enc_list(VSTR *out, const char *const *items, int more)
{
    ARGV *pairs = argv_new();
    size_t i;

    for (i = 0; items[i]; i++) {
        const char *eq = strchr(items[i], '=');

        argv_addn(pairs, items[i], (size_t) (eq - items[i]));
        argv_add(pairs, eq + 1);
    }
    attr_encode_pairs(out, more ? ATTR_MORE : 0, pairs);
    argv_free(pairs);
}

/*
 * A copy of list with edits: "name=value" replaces that attribute (the
 * first one of that name), "-name" drops it, "+name=value" appends.
 */
static const char **edit_list(const char *const *list, const char *edit)
{
    size_t n = 0, i, k = 0;
    const char **out;
    size_t nlen;

    while (list[n])
        n++;
    out = mem_calloc(n + 2, sizeof(*out));
    if (edit[0] == '+') {
        for (i = 0; i < n; i++)
            out[i] = list[i];
        out[n] = edit + 1;
        return out;
    }
    {
        const char *name = edit[0] == '-' ? edit + 1 : edit;
        int done = 0;

        nlen = strcspn(name, "=");
        for (i = 0; i < n; i++) {
            if (!done && strncmp(list[i], name, nlen) == 0 && list[i][nlen] == '=') {
                done = 1;
                if (edit[0] != '-')
                    out[k++] = edit;
                continue;
            }
            out[k++] = list[i];
        }
    }
    return out;
}

static DELIVER_REQUEST *read_bytes(const VSTR *bytes, VSTR *why)
{
    STREAM *s = stream_open_mem(vstr_str(bytes), vstr_len(bytes));
    DELIVER_REQUEST *req;

    stream_set_mem_chunk(s, 7);
    req = deliver_request_read_noannounce(s, 10000, why);
    stream_free(s);
    return req;
}

static void test_round_trip(void)
{
    DELIVER_REQUEST *req = deliver_request_new(), *got;
    VSTR *bytes = vstr_new(0), *why = vstr_new(0), *mine = vstr_new(0);

    /* the hand-built message and the encoder agree */
    enc_list(mine, head_ok, 0);
    enc_list(mine, rcpt_ok, 1);
    vstr_addch(mine, 0);
    got = read_bytes(mine, why);
    TAP_OK(got != NULL, "a well-formed request is read (%s)", vstr_str(why));
    if (got == NULL)
        return;
    TAP_INT(got->flags, 3, "flags");
    TAP_STR(got->queue_name, "active", "queue_name");
    TAP_STR(got->queue_id, "A2E0D10605F", "queue_id");
    TAP_INT(got->data_offset, 671, "offset");
    TAP_INT(got->data_size, 486, "size");
    TAP_STR(got->nexthop, "5.1.1 no such user", "nexthop");
    TAP_STR(got->sender, "alice@example.com", "sender");
    TAP_INT(got->arrival_usec, 27050, "arrival_usec");
    TAP_INT(got->handoff_sec, 1795263261, "handoff_time");
    TAP_STR(got->helo_name, "client.example.org", "log_helo_name");
    TAP_STR(got->rewrite_context, "local", "rewrite_context");
    TAP_INT(got->nrcpt, 2, "two recipients");
    TAP_STR(got->rcpt[0].orig_addr, "team@example.com", "original recipient");
    TAP_STR(got->rcpt[0].address, "bob@relay.test", "recipient");
    TAP_INT(got->rcpt[0].offset, 600, "recipient offset");
    TAP_STR(got->rcpt[0].dsn_orcpt, "rfc822;team@example.com", "ORCPT");
    TAP_INT(got->rcpt[0].notify, 6, "NOTIFY");
    TAP_STR(got->rcpt[1].address, "carol@relay.test", "second recipient");

    /* re-encoded, it gives the same bytes */
    deliver_request_encode(bytes, got);
    TAP_OK(vstr_len(bytes) == vstr_len(mine)
               && memcmp(vstr_str(bytes), vstr_str(mine), vstr_len(mine)) == 0,
           "deliver_request_encode gives the same bytes back");
    deliver_request_free(got);
    deliver_request_free(req);
    vstr_free(bytes);
    vstr_free(why);
    vstr_free(mine);
}

/* The whole conversation over a socket pair: announce, request, result. */
static void test_conversation(void)
{
    int sv[2];
    STREAM *agent, *qmgr;
    DELIVER_REQUEST *req = deliver_request_new(), *in;
    VSTR *why = vstr_new(0);
    int st;

    TAP_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    agent = stream_open(sv[0], STREAM_CLOSE);
    qmgr = stream_open(sv[1], STREAM_CLOSE);
    mem_free(req->queue_id);
    req->queue_id = mem_strdup("4jWrkh4kddz84ZY");
    req->data_offset = 500;
    req->data_size = 10;
    deliver_request_add_rcpt(req, "", "a@example.com", 300, "", 0);
    deliver_request_add_rcpt(req, "x@example.com", "b@example.com", 340, "rfc822;x@example.com",
                             2);
    TAP_INT(deliver_announce(agent), 0, "the agent announces itself");
    st = deliver_request_send(qmgr, req, why);
    TAP_INT(st, 0, "qmgr sends the request (%s)", vstr_str(why));
    in = deliver_request_read_noannounce(agent, 5000, why);
    TAP_OK(in != NULL, "the agent reads it (%s)", vstr_str(why));
    if (in == NULL)
        goto out;
    TAP_STR(in->queue_id, "4jWrkh4kddz84ZY", "a long queue id passes");
    deliver_rcpt_result(in, 0, DELIVER_RCPT_BOUNCED, "5.1.1", "no such user");
    deliver_rcpt_result(in, 1, DELIVER_RCPT_DEFERRED, "4.4.1", "try again");
    mem_free(in->hop_status);
    in->hop_status = mem_strdup("4.4.1");
    TAP_INT(deliver_result_send(agent, in), 0, "the agent sends the result");
    TAP_INT(in->status, DELIVER_STAT_DEFER, "one deferred recipient: status DEFER");
    st = deliver_result_read(qmgr, req, why);
    TAP_INT(st, 0, "qmgr reads the result (%s)", vstr_str(why));
    TAP_INT(req->status, DELIVER_STAT_DEFER, "qmgr sees DEFER");
    TAP_STR(req->hop_status, "4.4.1", "and the dead-site hint");
    TAP_INT(req->rcpt[0].status, DELIVER_RCPT_BOUNCED, "recipient 1 bounced");
    TAP_STR(req->rcpt[0].dsn, "5.1.1", "with its dsn");
    TAP_STR(req->rcpt[0].reason, "no such user", "and reason");
    TAP_INT(req->rcpt[1].status, DELIVER_RCPT_DEFERRED, "recipient 2 deferred");
    deliver_request_free(in);
out:
    deliver_request_free(req);
    stream_free(agent);
    stream_free(qmgr);
    vstr_free(why);
}

/* A result that does not match the request is refused. */
static void test_bad_result(void)
{
    static const struct {
        const char *head[5];
        const char *rcpt[5];
        const char *what;
    } cases[] = {
        { { "status=0", "hop_status=", "hop_reason=", "rcpt_count=2", NULL },
          { "offset=300", "rcpt_status=1", "dsn=2.0.0", "reason=ok", NULL }, "count mismatch" },
        { { "status=7", "hop_status=", "hop_reason=", "rcpt_count=1", NULL },
          { "offset=300", "rcpt_status=1", "dsn=2.0.0", "reason=ok", NULL }, "bad status" },
        { { "status=0", "hop_status=", "hop_reason=", "rcpt_count=1", NULL },
          { "offset=301", "rcpt_status=1", "dsn=2.0.0", "reason=ok", NULL }, "wrong offset" },
        { { "status=0", "hop_status=", "hop_reason=", "rcpt_count=1", NULL },
          { "offset=300", "rcpt_status=9", "dsn=2.0.0", "reason=ok", NULL }, "bad rcpt_status" },
        { { "status=0", "hop_status=", "hop_reason=", "rcpt_count=1", NULL },
          { "offset=300", "rcpt_status=1", "dsn=2.0", "reason=ok", NULL }, "bad dsn" },
        { { "status=0", "hop_status=x", "hop_reason=", "rcpt_count=1", NULL },
          { "offset=300", "rcpt_status=1", "dsn=2.0.0", "reason=ok", NULL }, "bad hop_status" },
        { { "status=0", "hop_status=", "hop_reason=", "rcpt_count=1", NULL },
          { "offset=300", "rcpt_status=1", "dsn=2.0.0", NULL }, "recipient without reason" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        DELIVER_REQUEST *req = deliver_request_new();
        VSTR *bytes = vstr_new(0), *why = vstr_new(0);
        STREAM *s;
        int st;

        deliver_request_add_rcpt(req, "", "a@example.com", 300, "", 0);
        enc_list(bytes, cases[i].head, 0);
        enc_list(bytes, cases[i].rcpt, 1);
        vstr_addch(bytes, 0);
        s = stream_open_mem(vstr_str(bytes), vstr_len(bytes));
        st = deliver_result_read(s, req, why);
        TAP_INT(st, -1, "result refused: %s (%s)", cases[i].what, vstr_str(why));
        stream_free(s);
        deliver_request_free(req);
        vstr_free(bytes);
        vstr_free(why);
    }
}

static void test_malformed(void)
{
    static const struct {
        const char *head_edit;
        const char *rcpt_edit;
        const char *want;      /* a piece of the reason */
    } cases[] = {
        { "-sender", NULL, "missing attribute \"sender\"" },
        { "-rcpt_count", NULL, "missing attribute \"rcpt_count\"" },
        { "+bogus=1", NULL, "bogus" },
        { "+sender=x@y", NULL, "duplicate attribute \"sender\"" },
        { "queue_id=AB/CD", NULL, "invalid queue id" },
        { "queue_id=../../etc/passwd", NULL, "" },
        { "queue_id=", NULL, "invalid queue id" },
        { "queue_name=active/../x", NULL, "invalid queue name" },
        { "queue_name=", NULL, "invalid queue name" },
        { "queue_name=Active", NULL, "invalid queue name" },
        { "offset=0", NULL, "bad content offset" },
        { "offset=-5", NULL, "bad content offset" },
        { "size=-1", NULL, "bad content offset" },
        { "offset=9223372036854775807", NULL, "bad content offset" },
        { "offset=12x", NULL, "" },
        { "flags=4096", NULL, "unknown request flags" },
        { "arrival_usec=1000000", NULL, "bad time stamps" },
        { "arrival_time=-1", NULL, "bad time stamps" },
        { "rcpt_count=0", NULL, "bad recipient count" },
        { "rcpt_count=10001", NULL, "bad recipient count" },
        { "rcpt_count=-1", NULL, "bad recipient count" },
        { "rcpt_count=3", NULL, "3 recipients announced, 2 sent" },
        { "rcpt_count=1", NULL, "more than 1 recipients" },
        { NULL, "-offset", "" },
        { NULL, "offset=0", "bad recipient 1" },
        { NULL, "recipient=", "bad recipient 1" },
        { NULL, "notify_flags=-1", "bad recipient 1" },
        { NULL, "+recipient=z@example.com", "" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char **h = cases[i].head_edit ? edit_list(head_ok, cases[i].head_edit) : NULL;
        const char **r = cases[i].rcpt_edit ? edit_list(rcpt_ok, cases[i].rcpt_edit) : NULL;
        VSTR *bytes = vstr_new(0), *why = vstr_new(0);
        DELIVER_REQUEST *req;

        enc_list(bytes, h ? h : head_ok, 0);
        enc_list(bytes, r ? r : rcpt_ok, 1);
        vstr_addch(bytes, 0);
        req = read_bytes(bytes, why);
        TAP_OK(req == NULL && vstr_len(why) > 0 && strstr(vstr_str(why), cases[i].want) != NULL,
               "refused: %s %s (%s)", cases[i].head_edit ? cases[i].head_edit : "",
               cases[i].rcpt_edit ? cases[i].rcpt_edit : "", vstr_str(why));
        deliver_request_free(req);
        mem_free(h);
        mem_free(r);
        vstr_free(bytes);
        vstr_free(why);
    }
}

/* Oversized values, truncation at every length, and too many recipients. */
static void test_bounds(void)
{
    VSTR *bytes = vstr_new(0), *why = vstr_new(0), *big = vstr_new(0), *item = vstr_new(0);
    DELIVER_REQUEST *req;
    const char **h;
    size_t cut, bad = 0;
    int i;

    /* a sender one byte over DELIVER_ADDR_MAX */
    vstr_adds(item, "sender=");
    for (i = 0; i <= DELIVER_ADDR_MAX; i++)
        vstr_addch(item, 'a');
    h = edit_list(head_ok, vstr_str(item));
    enc_list(bytes, h, 0);
    enc_list(bytes, rcpt_ok, 1);
    vstr_addch(bytes, 0);
    req = read_bytes(bytes, why);
    TAP_OK(req == NULL && strstr(vstr_str(why), "sender") != NULL, "an overlong sender (%s)",
           vstr_str(why));
    mem_free(h);

    /* every truncation of a good request is refused, never a crash */
    vstr_reset(bytes);
    enc_list(bytes, head_ok, 0);
    enc_list(bytes, rcpt_ok, 1);
    vstr_addch(bytes, 0);
    for (cut = 0; cut < vstr_len(bytes); cut++) {
        STREAM *s = stream_open_mem(vstr_str(bytes), cut);

        req = deliver_request_read_noannounce(s, 1000, why);
        if (req != NULL)
            bad++;
        deliver_request_free(req);
        stream_free(s);
    }
    TAP_INT(bad, 0, "all %zu truncations of a request are refused", vstr_len(bytes));

    /* DELIVER_RCPT_MAX + 1 recipients announced and sent: refused early */
    vstr_reset(bytes);
    vstr_sprintf(item, "rcpt_count=%d", DELIVER_RCPT_MAX + 1);
    h = edit_list(head_ok, vstr_str(item));
    enc_list(bytes, h, 0);
    mem_free(h);
    for (i = 0; i <= DELIVER_RCPT_MAX; i++)
        enc_list(bytes, rcpt_ok, 1);
    vstr_addch(bytes, 0);
    req = read_bytes(bytes, why);
    TAP_OK(req == NULL && strstr(vstr_str(why), "bad recipient count") != NULL,
           "more than DELIVER_RCPT_MAX recipients (%s)", vstr_str(why));

    /* exactly DELIVER_RCPT_MAX is fine */
    vstr_reset(bytes);
    vstr_sprintf(item, "rcpt_count=%d", DELIVER_RCPT_MAX);
    h = edit_list(head_ok, vstr_str(item));
    enc_list(bytes, h, 0);
    mem_free(h);
    for (i = 0; i < DELIVER_RCPT_MAX / 2; i++)
        enc_list(bytes, rcpt_ok, 1);
    vstr_addch(bytes, 0);
    req = read_bytes(bytes, why);
    TAP_OK(req != NULL && req->nrcpt == DELIVER_RCPT_MAX, "DELIVER_RCPT_MAX recipients pass (%s)",
           vstr_str(why));
    deliver_request_free(req);
    vstr_free(bytes);
    vstr_free(why);
    vstr_free(big);
    vstr_free(item);
}

/* Seeded random byte changes: refused or read within bounds, never a crash. */
static void test_mutations(void)
{
    VSTR *good = vstr_new(0), *bytes = vstr_new(0), *why = vstr_new(0);
    unsigned long seed = 12345;
    size_t bad = 0, accepted = 0;
    int n;

    enc_list(good, head_ok, 0);
    enc_list(good, rcpt_ok, 1);
    vstr_addch(good, 0);
    for (n = 0; n < 3000; n++) {
        DELIVER_REQUEST *req;
        int k, changes;

        vstr_reset(bytes);
        vstr_addmem(bytes, vstr_str(good), vstr_len(good));
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        changes = (int) (seed >> 60) % 4 + 1;
        for (k = 0; k < changes; k++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            vstr_str(bytes)[(seed >> 33) % vstr_len(bytes)] = (char) (seed >> 20);
        }
        req = read_bytes(bytes, why);
        if (req != NULL) {
            size_t i;

            accepted++;
            if (!queue_id_valid(req->queue_id) || req->nrcpt < 1 || req->nrcpt > DELIVER_RCPT_MAX
                || req->data_offset <= 0 || strchr(req->queue_name, '/') != NULL)
                bad++;
            for (i = 0; i < req->nrcpt; i++)
                if (req->rcpt[i].offset <= 0 || req->rcpt[i].address[0] == 0
                    || strlen(req->rcpt[i].address) > DELIVER_ADDR_MAX)
                    bad++;
        }
        deliver_request_free(req);
    }
    TAP_INT(bad, 0, "3000 mutated requests: every accepted one is within bounds (%zu accepted)",
            accepted);
    vstr_free(good);
    vstr_free(bytes);
    vstr_free(why);
}

static void test_delay_format(void)
{
    static const struct {
        long sec, usec;
        int res;
        const char *want;
    } cases[] = {
        { 0, 0, 2, "0" },        { 0, 4999, 2, "0" },       { 0, 5000, 2, "0.01" },
        { 0, 20000, 2, "0.02" }, { 0, 100000, 2, "0.1" },   { 0, 123456, 2, "0.12" },
        { 0, 994999, 2, "0.99" }, { 0, 995000, 2, "1" },    { 1, 0, 2, "1" },
        { 1, 250000, 2, "1.3" }, { 1, 240000, 2, "1.2" },   { 9, 960000, 2, "10" },
        { 12, 600000, 2, "13" }, { 345, 700000, 2, "346" }, { 0, 1234, 3, "0.001" },
        { 0, 123456, 3, "0.12" }, { 0, 12345, 3, "0.012" }, { 0, 400000, 0, "0" },
        { 0, 600000, 0, "1" },   { 2, 500000, 0, "3" },     { 0, 150000, 1, "0.2" },
        { -3, 0, 2, "0" },       { 0, 12, 6, "0.000012" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        VSTR *v = vstr_new(0);

        deliver_format_delay(v, cases[i].sec, cases[i].usec, cases[i].res);
        TAP_STR(vstr_str(v), cases[i].want, "delay %ld.%06ld (%d decimals)", cases[i].sec,
                cases[i].usec, cases[i].res);
        vstr_free(v);
    }
}

static void test_log_line(void)
{
    DELIVER_REQUEST *req = deliver_request_new();
    DELIVER_TIMES t = { 0, 0, 0, 0, "none", 2 };
    VSTR *v = vstr_new(0);

    mem_free(req->queue_id);
    req->queue_id = mem_strdup("A2E0D10605F");
    req->arrival_sec = 1000;
    req->arrival_usec = 0;
    req->active_sec = 1000;
    req->active_usec = 100000;
    req->handoff_sec = 1000;
    req->handoff_usec = 110000;
    deliver_request_add_rcpt(req, "team@example.com", "bob@relay.test", 600, "", 0);
    deliver_request_add_rcpt(req, "Carol@Relay.test", "carol@relay.test", 640, "", 0);
    deliver_log_line(v, req, 0, &t, 1001, 310000, "5.0.0", "bounced", "no thanks");
    TAP_STR(vstr_str(v),
            "A2E0D10605F: to=<bob@relay.test>, orig_to=<team@example.com>, relay=none, "
            "delay=1.3, delays=0.1/0.01/0/1.2, dsn=5.0.0, status=bounced (no thanks)",
            "the log line, with orig_to");
    vstr_reset(v);
    deliver_log_line(v, req, 1, &t, 1000, 120000, "2.0.0", "sent", "discarded");
    TAP_STR(vstr_str(v),
            "A2E0D10605F: to=<carol@relay.test>, relay=none, delay=0.12, "
            "delays=0.1/0.01/0/0.01, dsn=2.0.0, status=sent (discarded)",
            "orig_to left out when it differs only in case");
    /* no active time: a counts up to the handoff, b is 0; a connection: c and d */
    req->active_sec = 0;
    t.conn_sec = 1000;
    t.conn_usec = 410000;
    t.relay = "127.0.0.2[127.0.0.2]:25";
    vstr_reset(v);
    deliver_log_line(v, req, 1, &t, 1000, 450000, "2.0.0", "sent", "250 Ok");
    TAP_STR(vstr_str(v),
            "A2E0D10605F: to=<carol@relay.test>, relay=127.0.0.2[127.0.0.2]:25, delay=0.45, "
            "delays=0.11/0/0.3/0.04, dsn=2.0.0, status=sent (250 Ok)",
            "no active time; a connection");
    deliver_request_free(req);
    vstr_free(v);
}

/* A queue file with two recipients in active/, written by lib/qfile. */
static long make_queue_file(const char *id, long *r1, long *r2, int complete)
{
    char path[100];
    int fd;
    QFILE_WRITER *w;
    long off;

    snprintf(path, sizeof(path), "active/%s", id);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    w = qfile_writer_new(fd, path, QFILE_WRITE_SIZE);
    qfile_put_time(w, 1000, 0);
    qfile_puts(w, QREC_FROM, "alice@example.com");
    *r1 = qfile_puts(w, QREC_RCPT, "bob@relay.test");
    *r2 = qfile_puts(w, QREC_RCPT, "carol@relay.test");
    qfile_puts(w, QREC_MESG, "");
    off = qfile_writer_offset(w);
    qfile_put_line(w, "Subject: x", 10);
    qfile_put_line(w, "", 0);
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_END, "");
    qfile_writer_finish(w);
    qfile_writer_free(w);
    if (complete)
        qfile_mark_complete(fd);
    close(fd);
    return off;
}

static int record_type_at(const char *path, long off)
{
    unsigned char c = 0;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || pread(fd, &c, 1, off) != 1)
        c = 0;
    if (fd >= 0)
        close(fd);
    return c;
}

static void test_queue_file(void)
{
    char dir[] = "/tmp/deliver_test.XXXXXX";
    char cwd[4096];
    long r1, r2, off;
    DELIVER_REQUEST *req;
    DELIVER_TIMES t;
    VSTR *why = vstr_new(0), *log = vstr_new(0);
    QFILE_READER *r;
    QFILE_REC rec;
    int fd, lfd;
    ssize_t n;
    char buf[2000];

    if (getcwd(cwd, sizeof(cwd)) == NULL || mkdtemp(dir) == NULL || chdir(dir) < 0) {
        TAP_OK(0, "scratch directory");
        return;
    }
    mkdir("active", 0700);
    mkdir("bounce", 0700);
    mkdir("defer", 0700);
    conf_init_defaults(dir);
    off = make_queue_file("1234567ABCD", &r1, &r2, 1);

    req = deliver_request_new();
    mem_free(req->queue_id);
    req->queue_id = mem_strdup("1234567ABCD");
    req->data_offset = off;
    req->data_size = 10;
    req->arrival_sec = 1000;
    deliver_request_add_rcpt(req, "", "bob@relay.test", r1, "rfc822;bob@relay.test", 2);
    deliver_request_add_rcpt(req, "", "carol@relay.test", r2, "", 0);
    r = deliver_open_queue_file(req, &fd, why);
    TAP_OK(r != NULL, "the queue file opens (%s)", vstr_str(why));
    if (r == NULL)
        goto out;
    TAP_INT(qfile_read(r, &rec), 1, "the reader is at the content");
    TAP_INT(rec.type, QREC_NORM, "a content record");
    TAP_STR(rec.data, "Subject: x", "the first line");
    qfile_reader_free(r);

    deliver_times_init(&t, "none", 2);
    TAP_INT(deliver_rcpt_bounce(req, fd, 0, "5.0.0", "go away", &t), 0, "bounce recipient 1");
    TAP_INT(record_type_at("active/1234567ABCD", r1), QREC_DONE, "it is marked done (D)");
    TAP_INT(deliver_rcpt_defer(req, 1, "4.0.0", "later", &t), 0, "defer recipient 2");
    TAP_INT(record_type_at("active/1234567ABCD", r2), QREC_RCPT, "it stays R");
    TAP_INT(deliver_rcpt_sent(req, fd, 0, "2.0.0", "again", &t), -1,
            "a recipient already done cannot be marked again");
    TAP_INT(req->rcpt[0].status, DELIVER_RCPT_DEFERRED, "and is reported deferred");
    close(fd);

    lfd = open("bounce/1234567ABCD", O_RDONLY);
    n = lfd >= 0 ? read(lfd, buf, sizeof(buf) - 1) : -1;
    buf[n > 0 ? n : 0] = 0;
    if (lfd >= 0)
        close(lfd);
    TAP_OK(n > 0, "the bounce log exists");
    vstr_sprintf(log,
                 "\n<bob@relay.test>: go away\nrecipient=bob@relay.test\noffset=%ld\n"
                 "dsn_orig_rcpt=rfc822;bob@relay.test\nnotify_flags=2\nstatus=5.0.0\n"
                 "action=failed\nreason=go away\n\n",
                 r1);
    TAP_STR(buf, vstr_str(log), "the bounce log record");
    {
        VSTR *p = vstr_new(0);
        char h[2];

        queue_id_hash("1234567ABCD", 1, h);
        vstr_sprintf(p, "defer/%c/1234567ABCD", h[0]);
        TAP_OK(access(vstr_str(p), F_OK) == 0, "the defer log is hashed: %s", vstr_str(p));
        vstr_free(p);
    }

    /* a reason with a newline cannot add lines to a status log */
    TAP_INT(deliver_status_log(req, 1, "delayed", "4.0.0", "x\nrecipient=evil@example.com", why),
            0, "a status log record with a newline in the reason");
    {
        VSTR *p = vstr_new(0);
        char h[2];
        FILE *fp;
        char line[500];
        int evil = 0, lines = 0;

        queue_id_hash("1234567ABCD", 1, h);
        vstr_sprintf(p, "defer/%c/1234567ABCD", h[0]);
        if ((fp = fopen(vstr_str(p), "r")) != NULL) {
            while (fgets(line, sizeof(line), fp)) {
                lines++;
                if (strncmp(line, "recipient=evil", 14) == 0)
                    evil = 1;
            }
            fclose(fp);
        }
        TAP_OK(lines == 16 && !evil, "it stays on its line (%d lines, evil %d)", lines, evil);
        vstr_free(p);
    }

    /* a remote server's reply: Postfix's diag and mta fields, control bytes made '?' */
    mkdir("trace", 0700);
    req->remote_mta = "mx.relay.test";
    req->remote_diag_type = "smtp";
    req->remote_reply = "550 5.1.1 no\rsuch user";
    TAP_INT(deliver_status_log(req, 1, "delivered", "5.1.1", "host said: 550", why), 0,
            "a status log record with the remote server's reply");
    req->remote_mta = req->remote_diag_type = req->remote_reply = NULL;
    lfd = open("trace/1234567ABCD", O_RDONLY);
    n = lfd >= 0 ? read(lfd, buf, sizeof(buf) - 1) : -1;
    buf[n > 0 ? n : 0] = 0;
    if (lfd >= 0)
        close(lfd);
    vstr_sprintf(log,
                 "\n<carol@relay.test>: host said: 550\nrecipient=carol@relay.test\noffset=%ld\n"
                 "status=5.1.1\naction=delivered\ndiag_type=smtp\ndiag_text=550 5.1.1 no?such user\n"
                 "mta_type=dns\nmta_mname=mx.relay.test\nreason=host said: 550\n\n",
                 r2);
    TAP_STR(buf, vstr_str(log), "diag_type, diag_text, mta_type, mta_mname before reason");

    /* refusals */
    req->data_offset = 100000;
    r = deliver_open_queue_file(req, &fd, why);
    TAP_OK(r == NULL && fd == -1,
           "content offset beyond the file (%s)", vstr_str(why));
    req->data_offset = off;
    req->rcpt[1].offset = 100000;
    r = deliver_open_queue_file(req, &fd, why);
    TAP_OK(r == NULL, "recipient offset beyond the file (%s)",
           vstr_str(why));
    req->rcpt[1].offset = r2;
    make_queue_file("1234567ABCE", &r1, &r2, 0);
    mem_free(req->queue_id);
    req->queue_id = mem_strdup("1234567ABCE");
    r = deliver_open_queue_file(req, &fd, why);
    TAP_OK(r == NULL
               && strstr(vstr_str(why), "not complete") != NULL,
           "an incomplete file (%s)", vstr_str(why));
    mem_free(req->queue_id);
    req->queue_id = mem_strdup("1234567ABCF");
    r = deliver_open_queue_file(req, &fd, why);
    TAP_OK(r == NULL, "a missing file (%s)", vstr_str(why));
    symlink("1234567ABCD", "active/1234567ABC0");
    mem_free(req->queue_id);
    req->queue_id = mem_strdup("1234567ABC0");
    r = deliver_open_queue_file(req, &fd, why);
    TAP_OK(r == NULL, "a symbolic link (%s)", vstr_str(why));
out:
    deliver_request_free(req);
    vstr_free(why);
    vstr_free(log);
    conf_free();
    if (chdir(cwd) == 0) {
        char cmd[200];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            TAP_OK(0, "remove %s", dir);
    }
}

/* deliver_request_load() on queue files Postfix 3.7.11 wrote. */
static DELIVER_REQUEST *load_fixture(const char *name, VSTR *why)
{
    VSTR *path = vstr_new(0);
    DELIVER_REQUEST *req = deliver_request_new();
    QFILE_READER *r;
    int fd;

    vstr_sprintf(path, "%s/%s", DELIVER_TEST_DATA, name);
    if ((fd = open(vstr_str(path), O_RDONLY)) < 0) {
        vstr_sprintf(why, "open %s: %s", vstr_str(path), strerror(errno));
        deliver_request_free(req);
        vstr_free(path);
        return NULL;
    }
    r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_FOLLOW);
    if (deliver_request_load(req, r, why) < 0) {
        deliver_request_free(req);
        req = NULL;
    }
    qfile_reader_free(r);
    close(fd);
    vstr_free(path);
    return req;
}

static void test_load(void)
{
    VSTR *why = vstr_new(0);
    DELIVER_REQUEST *req;
    QFILE_READER *r;

    req = load_fixture("hold-dsn.C6647106031", why);
    TAP_OK(req != NULL, "hold-dsn loads (%s)", vstr_str(why));
    if (req) {
        TAP_INT(req->data_offset, 828, "content offset from the C record");
        TAP_INT(req->data_size, 446, "content size");
        TAP_STR(req->sender, "alice@example.com", "sender");
        TAP_STR(req->dsn_envid, "QQ314159+envid", "envelope_id");
        TAP_INT(req->dsn_ret, 2, "ret_flags");
        TAP_STR(req->client_name, "localhost", "log_client_name");
        TAP_STR(req->client_port, "50534", "log_client_port");
        TAP_STR(req->helo_name, "client.example.org", "log_helo_name");
        TAP_STR(req->proto_name, "ESMTP", "log_protocol_name");
        TAP_STR(req->log_ident, "C6647106031", "log_ident");
        TAP_STR(req->rewrite_context, "local", "rewrite_context");
        TAP_INT(req->arrival_sec > 1795000000, 1, "arrival time");
        TAP_INT(req->nrcpt, 2, "two recipients");
        if (req->nrcpt == 2) {
            TAP_INT(req->rcpt[0].offset, 719, "first R record at 719 (postcat -o)");
            TAP_INT(req->rcpt[1].offset, 808, "second at 808");
            TAP_STR(req->rcpt[0].dsn_orcpt, "rfc822;Bob.Original@relay.test", "ORCPT");
            TAP_INT(req->rcpt[0].notify, 6, "NOTIFY=SUCCESS,FAILURE");
            TAP_INT(req->rcpt[1].notify, 1, "NOTIFY=NEVER");
            TAP_STR(req->rcpt[1].orig_addr, "carol@relay.test", "original recipient");
        }
        deliver_request_free(req);
    }
    req = load_fixture("hold-valias.A8EBF1060E2", why);
    TAP_OK(req != NULL && req->nrcpt == 2, "hold-valias loads (%s)", vstr_str(why));
    if (req && req->nrcpt == 2) {
        TAP_STR(req->rcpt[0].address, "carol@relay.test", "alias expansion 1");
        TAP_STR(req->rcpt[1].orig_addr, "team@example.com", "orig of expansion 2");
    }
    deliver_request_free(req);
    req = load_fixture("deferred-onedone.04B66106085", why);
    TAP_OK(req != NULL && req->nrcpt == 1, "deferred-onedone: only the undone recipient (%s)",
           vstr_str(why));
    if (req && req->nrcpt == 1) {
        TAP_STR(req->rcpt[0].address, "dave@down.test", "it is dave");
        TAP_INT(req->rcpt[0].offset, 728, "at offset 728, as the defer log says");
        TAP_STR(req->rcpt[0].orig_addr, "dave@down.test", "its own original recipient");
    }
    deliver_request_free(req);
    /* a damaged file */
    req = deliver_request_new();
    r = qfile_reader_mem("C\005short", 7, "damaged", QFILE_READ_FOLLOW);
    TAP_INT(deliver_request_load(req, r, why), -1, "a damaged file is refused");
    TAP_OK(vstr_len(why) > 0, "with a reason (%s)", vstr_str(why));
    qfile_reader_free(r);
    deliver_request_free(req);
    vstr_free(why);
}

/* deliver_request_load_range(): a window over the undone recipients. */
static int load_range(const char *name, long after, size_t limit, DELIVER_REQUEST **out,
                      size_t *total, int *more, VSTR *why)
{
    VSTR *path = vstr_new(0);
    QFILE_READER *r;
    int fd, st = -1;

    *out = deliver_request_new();
    vstr_sprintf(path, "%s/%s", DELIVER_TEST_DATA, name);
    if ((fd = open(vstr_str(path), O_RDONLY)) >= 0) {
        r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_FOLLOW);
        st = deliver_request_load_range(*out, r, after, limit, total, more, why);
        qfile_reader_free(r);
        close(fd);
    }
    vstr_free(path);
    return st;
}

static void test_load_range(void)
{
    VSTR *why = vstr_new(0);
    DELIVER_REQUEST *req;
    size_t total = 99;
    int more = 9;

    TAP_INT(load_range("hold-dsn.C6647106031", -1, 1, &req, &total, &more, why), 0,
            "limit 1 loads (%s)", vstr_str(why));
    TAP_INT(req->nrcpt, 1, "one recipient in memory");
    TAP_INT(req->nrcpt ? req->rcpt[0].offset : 0, 719, "the first one");
    TAP_INT(more, 1, "more wait in the file");
    TAP_INT(total, 2, "two undone in all");
    TAP_STR(req->sender, "alice@example.com", "the envelope is read all the same");
    deliver_request_free(req);
    TAP_INT(load_range("hold-dsn.C6647106031", 719, 1, &req, &total, &more, why), 0,
            "after 719, limit 1");
    TAP_INT(req->nrcpt, 1, "one recipient");
    TAP_INT(req->nrcpt ? req->rcpt[0].offset : 0, 808, "the second one");
    TAP_STR(req->nrcpt ? req->rcpt[0].orig_addr : "", "carol@relay.test",
            "its O record, though the one before it was skipped");
    TAP_INT(req->nrcpt ? req->rcpt[0].notify : 0, 1, "its NOTIFY");
    TAP_INT(more, 0, "none left");
    deliver_request_free(req);
    TAP_INT(load_range("hold-dsn.C6647106031", 808, 1, &req, NULL, &more, why), 0,
            "after the last one");
    TAP_INT(req->nrcpt, 0, "no recipient");
    TAP_INT(more, 0, "nothing more");
    deliver_request_free(req);
    TAP_INT(load_range("hold-dsn.C6647106031", -1, 0, &req, &total, NULL, why), 0,
            "limit 0: no limit");
    TAP_INT(req->nrcpt, 2, "both recipients");
    deliver_request_free(req);
    TAP_INT(load_range("deferred-onedone.04B66106085", -1, 1, &req, &total, &more, why), 0,
            "a file with a done recipient");
    TAP_INT(total, 1, "done recipients are not counted");
    TAP_INT(more, 0, "and do not make more");
    deliver_request_free(req);
    vstr_free(why);
}

/* A queue file whose envelope has "trace_flags=VALUE" (NULL: none); its offset. */
static long make_trace_file(const char *id, const char *value, long *r1, long *r2)
{
    char path[100];
    int fd;
    QFILE_WRITER *w;
    long attr = 0;

    snprintf(path, sizeof(path), "active/%s", id);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    w = qfile_writer_new(fd, path, QFILE_WRITE_SIZE);
    qfile_put_time(w, 1000, 0);
    if (value)
        attr = qfile_put_attr(w, "trace_flags", value);
    qfile_puts(w, QREC_FROM, "alice@example.com");
    *r1 = qfile_puts(w, QREC_RCPT, "bob@relay.test");
    *r2 = qfile_puts(w, QREC_RCPT, "carol@relay.test");
    qfile_puts(w, QREC_MESG, "");
    qfile_put_line(w, "Subject: x", 10);
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_END, "");
    qfile_writer_finish(w);
    qfile_writer_free(w);
    qfile_mark_complete(fd);
    close(fd);
    return attr;
}

static DELIVER_REQUEST *load_active(const char *id, VSTR *why)
{
    char path[100];
    DELIVER_REQUEST *req = deliver_request_new();
    QFILE_READER *r;
    int fd;

    snprintf(path, sizeof(path), "active/%s", id);
    if ((fd = open(path, O_RDONLY)) < 0) {
        deliver_request_free(req);
        return NULL;
    }
    r = qfile_reader_open(fd, path, QFILE_READ_FOLLOW);
    if (deliver_request_load(req, r, why) < 0) {
        deliver_request_free(req);
        req = NULL;
    } else {
        mem_free(req->queue_id);
        req->queue_id = mem_strdup(id);
    }
    qfile_reader_free(r);
    close(fd);
    return req;
}

static void read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

    buf[n > 0 ? n : 0] = 0;
    if (fd >= 0)
        close(fd);
}

/* sendmail -v: trace_flags=1024 -> DELIVER_FLAG_RECORD -> a trace record per outcome. */
static void test_trace(void)
{
    char dir[] = "/tmp/deliver_test.XXXXXX";
    char cwd[4096], buf[4000];
    long r1, r2, attr;
    DELIVER_REQUEST *req;
    DELIVER_TIMES t;
    VSTR *why = vstr_new(0), *enc = vstr_new(0);
    int fd;

    if (getcwd(cwd, sizeof(cwd)) == NULL || mkdtemp(dir) == NULL || chdir(dir) < 0) {
        TAP_OK(0, "scratch directory");
        return;
    }
    mkdir("active", 0700);
    mkdir("bounce", 0700);
    mkdir("defer", 0700);
    mkdir("trace", 0700);
    conf_init_defaults(dir);
    deliver_times_init(&t, "none", 2);

    attr = make_trace_file("1234567ABD1", "1024", &r1, &r2);
    req = load_active("1234567ABD1", why);
    TAP_OK(req != NULL, "a file with trace_flags=1024 loads (%s)", vstr_str(why));
    if (req == NULL)
        goto out;
    TAP_INT(req->flags, DELIVER_FLAG_DEFAULT | DELIVER_FLAG_RECORD, "flags: default + RECORD");
    TAP_INT(req->trace_offset, attr, "the trace_flags record's offset is kept");
    TAP_INT(deliver_request_encode(enc, req), 0, "a RECORD request encodes");
    fd = open("active/1234567ABD1", O_RDWR);
    TAP_INT(deliver_rcpt_bounce(req, fd, 0, "5.1.1", "no such user", &t), 0, "bounce bob");
    TAP_INT(deliver_rcpt_defer(req, 1, "4.4.1", "try later", &t), 0, "defer carol");
    close(fd);
    read_small("trace/1234567ABD1", buf, sizeof(buf));
    TAP_OK(strstr(buf, "recipient=bob@relay.test\n")
               && strstr(buf, "status=5.1.1\naction=failed\n"),
           "trace/ID: bob failed");
    TAP_OK(strstr(buf, "recipient=carol@relay.test\n")
               && strstr(buf, "status=4.4.1\naction=delayed\n"),
           "trace/ID: carol delayed");
    read_small("bounce/1234567ABD1", buf, sizeof(buf));
    TAP_OK(strstr(buf, "action=failed\n") != NULL, "bounce/ID as before");
    deliver_request_free(req);

    make_trace_file("1234567ABD2", "1024", &r1, &r2);
    req = load_active("1234567ABD2", why);
    if (req == NULL)
        goto out;
    fd = open("active/1234567ABD2", O_RDWR);
    TAP_INT(deliver_rcpt_sent(req, fd, 0, "2.0.0", "delivered to mailbox", &t), 0, "sent bob");
    req->success_action = "relayed";
    TAP_INT(deliver_rcpt_sent(req, fd, 1, "2.0.0", "250 ok", &t), 0, "sent carol (relayed)");
    req->success_action = NULL;
    close(fd);
    read_small("trace/1234567ABD2", buf, sizeof(buf));
    TAP_OK(strstr(buf, "recipient=bob@relay.test\n")
               && strstr(buf, "status=2.0.0\naction=delivered\n"),
           "trace/ID: bob delivered");
    TAP_OK(strstr(buf, "recipient=carol@relay.test\n") && strstr(buf, "action=relayed\n"),
           "trace/ID: carol relayed");
    TAP_OK(strstr(buf, "recipient=bob@") != NULL
               && strstr(strstr(buf, "recipient=bob@") + 1, "recipient=bob@") == NULL,
           "one record per recipient");
    deliver_request_free(req);

    /* cleared in place, absent, or another value: no RECORD, no trace log */
    make_trace_file("1234567ABD3", "0000", &r1, &r2);
    req = load_active("1234567ABD3", why);
    TAP_OK(req && !(req->flags & DELIVER_FLAG_RECORD) && req->trace_offset == 0,
           "trace_flags=0000: no RECORD");
    if (req) {
        fd = open("active/1234567ABD3", O_RDWR);
        deliver_rcpt_bounce(req, fd, 0, "5.1.1", "no such user", &t);
        deliver_rcpt_defer(req, 1, "4.4.1", "try later", &t);
        close(fd);
        TAP_OK(access("trace/1234567ABD3", F_OK) < 0, "no trace log without RECORD");
    }
    deliver_request_free(req);
    make_trace_file("1234567ABD4", NULL, &r1, &r2);
    req = load_active("1234567ABD4", why);
    TAP_OK(req && req->flags == DELIVER_FLAG_DEFAULT, "no trace_flags: default flags");
    deliver_request_free(req);
    make_trace_file("1234567ABD5", "x1024", &r1, &r2);
    req = load_active("1234567ABD5", why);
    TAP_OK(req && req->flags == DELIVER_FLAG_DEFAULT, "a malformed trace_flags is ignored");
    deliver_request_free(req);
    make_trace_file("1234567ABD6", "256", &r1, &r2);
    req = load_active("1234567ABD6", why);
    TAP_OK(req && req->flags == DELIVER_FLAG_DEFAULT, "other trace bits are ignored");
    deliver_request_free(req);

    /* sendmail -bv: trace_flags=512 -> DELIVER_FLAG_USR_VRFY: trace records only */
    make_trace_file("1234567ABD7", "512", &r1, &r2);
    req = load_active("1234567ABD7", why);
    TAP_OK(req && req->flags == (DELIVER_FLAG_DEFAULT | DELIVER_FLAG_USR_VRFY)
               && req->trace_offset == 0,
           "trace_flags=512: default + USR_VRFY, nothing to clear in place");
    if (req) {
        TAP_INT(deliver_request_encode(enc, req), 0, "a USR_VRFY request encodes");
        fd = open("active/1234567ABD7", O_RDWR);
        deliver_times_init(&t, "mx.relay.test[192.0.2.1]:25", 2);
        TAP_INT(deliver_rcpt_sent(req, fd, 0, "2.1.5", "250 2.1.5 Ok", &t), 0,
                "bob: deliverable");
        TAP_INT(deliver_rcpt_bounce(req, fd, 1, "5.1.1", "550 5.1.1 no such user", &t), 0,
                "carol: undeliverable");
        close(fd);
        TAP_INT(req->rcpt[0].status, DELIVER_RCPT_SENT, "bob's result: sent");
        TAP_INT(req->rcpt[1].status, DELIVER_RCPT_BOUNCED, "carol's result: bounced");
        read_small("trace/1234567ABD7", buf, sizeof(buf));
        TAP_OK(strstr(buf, "recipient=bob@relay.test\n")
                   && strstr(buf, "status=2.1.5\naction=deliverable\n")
                   && strstr(buf, "reason=delivery via mx.relay.test[192.0.2.1]:25: 250 2.1.5 Ok\n"),
               "trace/ID: bob deliverable, delivery via the relay");
        TAP_OK(strstr(buf, "recipient=carol@relay.test\n")
                   && strstr(buf, "status=5.1.1\naction=undeliverable\n"),
               "trace/ID: carol undeliverable");
        TAP_OK(access("bounce/1234567ABD7", F_OK) < 0, "no bounce log: nothing is bounced");
        deliver_request_free(req);
        req = load_active("1234567ABD7", why);
        TAP_OK(req && req->nrcpt == 0, "both recipients are marked done");
    }
    deliver_request_free(req);
    make_trace_file("1234567ABD8", "512", &r1, &r2);
    req = load_active("1234567ABD8", why);
    if (req) {
        deliver_times_init(&t, "none", 2);
        TAP_INT(deliver_rcpt_defer(req, 1, "4.4.1", "try later", &t), 0, "carol deferred");
        TAP_INT(req->rcpt[1].status, DELIVER_RCPT_DEFERRED, "carol's result: deferred");
        read_small("trace/1234567ABD8", buf, sizeof(buf));
        TAP_OK(strstr(buf, "status=4.4.1\naction=undeliverable\n")
                   && strstr(buf, "reason=try later\n"),
               "trace/ID: carol undeliverable, no \"delivery via\" for relay none");
        TAP_INT(system("test -z \"$(find defer -type f -name 1234567ABD8)\""), 0,
                "no defer log");
        deliver_request_free(req);
        req = load_active("1234567ABD8", why);
        TAP_OK(req && req->nrcpt == 2, "a deferred answer is not marked done");
    }
    deliver_request_free(req);
out:
    vstr_free(why);
    vstr_free(enc);
    conf_free();
    if (chdir(cwd) == 0) {
        char cmd[200];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            TAP_OK(0, "remove %s", dir);
    }
}

int main(void)
{
    msg_init("deliver_test", MSG_OUT_STDERR);
    test_round_trip();
    test_conversation();
    test_bad_result();
    test_malformed();
    test_bounds();
    test_mutations();
    test_delay_format();
    test_log_line();
    test_queue_file();
    test_load();
    test_load_range();
    test_trace();
    return tap_done();
}
