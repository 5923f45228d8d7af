/*
 * qfile_test - queue file records (qfile) and queue ids (queue_id).
 *
 * Length encoding edge cases; a write -> read round trip of every record
 * type; the size record the writer fills in; line splitting; pointer
 * records; R -> D in place; the completeness mark; the writer rebuilding
 * every real Postfix fixture byte for byte from its records; every
 * truncation and many corruptions of real files giving an error, never a
 * crash; queue id generation, validation (hostile ids too) and hashing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_id.h"
#include "tap.h"
#include "vstr.h"

#ifndef QFILE_TEST_DATA
#define QFILE_TEST_DATA "test/data/queue"
#endif

static char tmpdir[] = "/tmp/qfile_test.XXXXXX";

static const char *const fixtures[] = {
    "deferred-2reasons.F39411061AA", "deferred-onedone.04B66106085",
    "deferred-relay4xx.CBC0A106123", "hold-40rcpt.1FCD4106017",
    "hold-8bitmime.E5F17106068",     "hold-dsn.C6647106031",
    "hold-emptybody.705F4106069",    "hold-large.0265810615A",
    "hold-longid.4jWrkh4kddz84ZY",   "hold-longlines.73D571060EC",
    "hold-plain.A2E0D10605F",        "hold-sendmail-t.CA61510605D",
    "hold-smtputf8.2F9E6106062",     "hold-valias.A8EBF1060E2",
    "maildrop-sendmail-t.D846B106586",
};

static char *slurp(const char *path, size_t *len)
{
    VSTR *v = vstr_new(4096);
    char buf[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        msg_fatal("open %s: %s", path, strerror(errno));
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        vstr_addmem(v, buf, (size_t) n);
    close(fd);
    *len = vstr_len(v);
    return vstr_export(v);
}

static char *fixture(const char *name, size_t *len)
{
    VSTR *path = vstr_new(256);
    char *data;

    vstr_sprintf(path, "%s/%s", QFILE_TEST_DATA, name);
    data = slurp(vstr_str(path), len);
    vstr_free(path);
    return data;
}

static int tmpfile_open(const char *name, VSTR *path)
{
    int fd;

    vstr_sprintf(path, "%s/%s", tmpdir, name);
    unlink(vstr_str(path));
    if ((fd = open(vstr_str(path), O_CREAT | O_EXCL | O_RDWR, 0600)) < 0)
        msg_fatal("create %s: %s", vstr_str(path), strerror(errno));
    return fd;
}

/* ------------------------------------------------------------ encoding */

static void test_length_encoding(void)
{
    static const size_t lens[] = {0, 1, 127, 128, 129, 2048, 16383, 16384, 2097151, 2097152,
                                  268435455, 268435456, 0x7fffffffUL};
    unsigned char buf[16];
    size_t i;

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = qfile_len_encode(lens[i], buf);
        size_t len = 0;
        size_t used = 0;
        size_t want = 1;
        size_t v = lens[i] >> 7;

        while (v) {
            want++;
            v >>= 7;
        }
        TAP_INT(n, want, "length %zu encodes in %zu bytes", lens[i], want);
        TAP_OK(qfile_len_decode(buf, n, &len, &used) == 1 && len == lens[i] && used == n,
               "length %zu decodes back", lens[i]);
        if (n > 1)
            TAP_INT(qfile_len_decode(buf, n - 1, &len, &used), 0,
                    "length %zu: a cut encoding asks for more", lens[i]);
    }
    qfile_len_encode(128, buf);
    TAP_OK(buf[0] == 0x80 && buf[1] == 0x01, "128 is 0x80 0x01 (low 7 bits first)");
    qfile_len_encode(2048, buf);
    TAP_OK(buf[0] == 0x80 && buf[1] == 0x10, "2048 is 0x80 0x10, as in Postfix's L records");
    {
        size_t huge = SIZE_MAX;
        size_t len;
        size_t used;
        size_t n = qfile_len_encode(huge, buf);

        TAP_INT(n, (sizeof(size_t) * 8 + 6) / 7, "SIZE_MAX encodes without overflow");
        TAP_INT(qfile_len_decode(buf, n, &len, &used), -1,
                "a length encoding over 5 bytes is refused");
    }
    memset(buf, 0xff, sizeof(buf));
    {
        size_t len;
        size_t used;

        TAP_INT(qfile_len_decode(buf, sizeof(buf), &len, &used), -1,
                "endless continuation bits are refused");
    }
}

/* ---------------------------------------------------------- round trip */

typedef struct {
    int type;
    const char *data;
} REC;

static const REC all_records[] = {
    {QREC_TIME, "1795263260 666660"},
    {QREC_CTIME, "1795263260"},
    {QREC_ATTR, "create_time=1795263260"},
    {QREC_FULL, "Alice Example"},
    {QREC_INSP, "inspector:"},
    {QREC_FILT, "filter:[127.0.0.1]:10025"},
    {QREC_FROM, "alice@example.com"},
    {QREC_WARN, "     1795263560"},
    {QREC_RDR, "redirect:x"},
    {QREC_DSN_RET, "2"},
    {QREC_DSN_ENVID, "QQ314159+envid"},
    {QREC_VERP, "+="},
    {QREC_KILL, "killed"},
    {QREC_ATTR, "dsn_orig_rcpt=rfc822;bob@relay.test"},
    {QREC_DSN_ORCPT, "rfc822;bob@relay.test"},
    {QREC_DSN_NOTIFY, "6"},
    {QREC_ORCP, "bob@relay.test"},
    {QREC_RCPT, "bob@relay.test"},
    {QREC_DONE, "done@relay.test"},
    {QREC_DRCP, "canceled@relay.test"},
    {QREC_MESG, ""},
    {QREC_NORM, "Subject: all record types"},
    {QREC_NORM, ""},
    {QREC_CONT, "an unterminated piece "},
    {QREC_NORM, "and its end"},
    {QREC_DTXT, "     "},
    {QREC_XTRA, ""},
    {QREC_RRTO, "rr@example.com"},
    {QREC_ERTO, "errors@example.com"},
    {QREC_PRIO, "1"},
    {QREC_ATTR, "x=y"},
    {QREC_RCPT, "extracted@relay.test"},
    {QREC_END, ""},
};
#define NRECORDS (sizeof(all_records) / sizeof(all_records[0]))

static void test_round_trip(void)
{
    VSTR *path = vstr_new(64);
    int fd = tmpfile_open("roundtrip", path);
    QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), QFILE_WRITE_SIZE);
    long offsets[NRECORDS];
    long mesg_end = 0;
    long xtra_off = 0;
    QFILE_READER *r;
    QFILE_REC rec;
    QFILE_SIZE size;
    struct stat st;
    size_t i;
    int ok = 1;
    int n;

    for (i = 0; i < NRECORDS; i++) {
        offsets[i] = qfile_puts(w, all_records[i].type, all_records[i].data);
        if (all_records[i].type == QREC_MESG)
            mesg_end = qfile_writer_offset(w);
        if (all_records[i].type == QREC_XTRA)
            xtra_off = offsets[i];
    }
    TAP_OK(fstat(fd, &st) == 0 && st.st_size == 0,
           "nothing is written before finish (records are buffered)");
    TAP_INT(qfile_writer_finish(w), 0, "finish");
    TAP_OK(fstat(fd, &st) == 0 && st.st_size == qfile_writer_offset(w),
           "the whole file is on disk after finish");
    qfile_writer_free(w);

    lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, vstr_str(path), 0);
    TAP_INT(qfile_read(r, &rec), 1, "first record");
    TAP_INT(rec.type, QREC_SIZE, "the first record is the size record");
    TAP_INT(rec.len, QFILE_SIZE_LEN, "size record data is %d bytes", QFILE_SIZE_LEN);
    TAP_INT(qfile_size_parse(rec.data, &size), 0, "size record parses");
    TAP_INT(size.data_offset, mesg_end, "data offset = first content record");
    TAP_INT(size.data_size, xtra_off - mesg_end, "data size = up to the X record");
    TAP_INT(size.rcpt_count, 3, "recipient count counts R and D records");
    TAP_INT(size.cont_length, size.data_size, "content length defaults to the data size");
    for (i = 0; i < NRECORDS; i++) {
        n = qfile_read(r, &rec);
        if (n != 1 || rec.type != all_records[i].type || rec.offset != offsets[i]
            || strcmp(rec.data, all_records[i].data) != 0
            || rec.len != strlen(all_records[i].data)) {
            ok = 0;
            printf("# record %zu: n=%d type=%d offset=%ld (%s)\n", i, n, rec.type, rec.offset,
                   qfile_reader_error(r) ? qfile_reader_error(r) : "");
            break;
        }
    }
    TAP_OK(ok, "every record type reads back with its offset and data");
    TAP_INT(qfile_read(r, &rec), 0, "end after the E record");
    TAP_OK(qfile_reader_error(r) == NULL, "no error");
    qfile_reader_free(r);
    close(fd);
    vstr_free(path);
}

static void test_size_override(void)
{
    VSTR *path = vstr_new(64);
    int fd = tmpfile_open("override", path);
    QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), QFILE_WRITE_SIZE);
    QFILE_SIZE over = {-1, -1, -1, 14, -1, 7};
    QFILE_REC rec;
    QFILE_READER *r;
    QFILE_SIZE size;

    qfile_writer_set_size(w, &over);
    qfile_put_time(w, 1, 2);
    qfile_puts(w, QREC_FROM, "");
    qfile_puts(w, QREC_MESG, "");
    qfile_put_line(w, "x", 1);
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_END, "");
    TAP_INT(qfile_writer_finish(w), 0, "finish with overrides");
    qfile_writer_free(w);
    lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, vstr_str(path), 0);
    qfile_read(r, &rec);
    TAP_OK(qfile_size_parse(rec.data, &size) == 0 && size.qmgr_opts == 14 && size.smtputf8 == 7
               && size.data_size == 3 && size.rcpt_count == 0,
           "overridden fields set, the others computed");
    qfile_reader_free(r);
    close(fd);
    vstr_free(path);
}

/* A message bigger than the write buffer: the size record goes by pwrite. */
static void test_big_message(void)
{
    VSTR *path = vstr_new(64);
    int fd = tmpfile_open("big", path);
    QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), QFILE_WRITE_SIZE);
    char line[1000];
    QFILE_READER *r;
    QFILE_REC rec;
    QFILE_SIZE size;
    long count = 0;
    int i;
    int n;

    memset(line, 'y', sizeof(line));
    qfile_put_time(w, 1, 2);
    qfile_puts(w, QREC_FROM, "a@b");
    qfile_puts(w, QREC_RCPT, "c@d");
    qfile_puts(w, QREC_MESG, "");
    for (i = 0; i < 1000; i++)
        qfile_put_line(w, line, sizeof(line));
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_END, "");
    TAP_INT(qfile_writer_finish(w), 0, "finish a 1 MB message");
    qfile_writer_free(w);
    lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, vstr_str(path), 0);
    qfile_read(r, &rec);
    TAP_OK(qfile_size_parse(rec.data, &size) == 0 && size.data_size == 1000 * 1003
               && size.rcpt_count == 1,
           "size record rewritten in place after the data went to disk");
    while ((n = qfile_read(r, &rec)) > 0)
        count++;
    TAP_OK(n == 0 && count == 1000 + 6, "all records read back through the buffer");
    qfile_reader_free(r);
    close(fd);
    vstr_free(path);
}

/* ------------------------------------------------------- line splitting */

static void test_line_split(void)
{
    static const size_t lens[] = {0, 1, 2047, 2048, 2049, 4096, 5000, 10000};
    size_t i;

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        VSTR *path = vstr_new(64);
        int fd = tmpfile_open("split", path);
        QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), 0);
        char *line = mem_alloc(lens[i] + 1);
        QFILE_READER *r;
        QFILE_REC rec;
        VSTR *joined = vstr_new(64);
        size_t nl = 0;
        size_t nn = 0;
        int ok = 1;

        memset(line, 'a', lens[i]);
        qfile_put_line(w, line, lens[i]);
        qfile_writer_finish(w);
        qfile_writer_free(w);
        lseek(fd, 0, SEEK_SET);
        r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_RAW);
        while (qfile_read(r, &rec) > 0) {
            if (rec.type == QREC_CONT) {
                nl++;
                ok &= rec.len == 2048;
            } else {
                nn++;
            }
            vstr_addmem(joined, rec.data, rec.len);
        }
        TAP_OK(ok && nl == lens[i] / 2048 && nn == 1 && vstr_len(joined) == lens[i],
               "a line of %zu bytes is %zu L records of 2048 and one N record", lens[i],
               lens[i] / 2048);
        vstr_free(joined);
        qfile_reader_free(r);
        mem_free(line);
        close(fd);
        vstr_free(path);
    }
}

/* --------------------------------------------- pointers, done, complete */

static void test_pointers(void)
{
    VSTR *path = vstr_new(64);
    int fd = tmpfile_open("pointers", path);
    QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), QFILE_WRITE_SIZE);
    long slot;
    long back;
    long heap;
    QFILE_READER *r;
    QFILE_REC rec;
    VSTR *seen = vstr_new(64);
    char *data;
    size_t len;

    qfile_put_time(w, 1, 2);
    qfile_puts(w, QREC_FROM, "a@b");
    qfile_puts(w, QREC_MESG, "");
    qfile_put_line(w, "Subject: x", 10);
    slot = qfile_put_ptr(w, 0);
    back = qfile_writer_offset(w);
    qfile_put_line(w, "", 0);
    qfile_put_line(w, "body", 4);
    qfile_put_padding(w, 10);
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_RCPT, "r@x");
    qfile_puts(w, QREC_END, "");
    heap = qfile_writer_offset(w);
    qfile_put_line(w, "X-Added: yes", 12);
    qfile_put_ptr(w, back);
    TAP_INT(qfile_writer_finish(w), 0, "finish with a heap after E");
    qfile_writer_free(w);
    TAP_INT(qfile_patch_ptr(fd, slot, heap), 0, "patch the reserved pointer in place");
    TAP_OK(qfile_patch_ptr(fd, slot + 1, heap) < 0 && errno == EINVAL,
           "patching something that is not a pointer record is refused");

    lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_FOLLOW);
    while (qfile_read(r, &rec) > 0)
        if (rec.type == QREC_NORM) {
            vstr_adds(seen, rec.data);
            vstr_addch(seen, '|');
        }
    TAP_STR(vstr_str(seen), "Subject: x|X-Added: yes||body|", "pointers followed in order");
    TAP_OK(qfile_reader_error(r) == NULL, "no error following pointers");
    /* A second pass after an explicit seek (local: headers first, then the
     * whole content) is not a pointer loop. */
    vstr_reset(seen);
    TAP_INT(qfile_reader_rewind(r, 0), 0, "rewind to the start");
    while (qfile_read(r, &rec) > 0)
        if (rec.type == QREC_NORM) {
            vstr_adds(seen, rec.data);
            vstr_addch(seen, '|');
        }
    TAP_STR(vstr_str(seen), "Subject: x|X-Added: yes||body|", "a second pass reads it all again");
    TAP_OK(qfile_reader_error(r) == NULL, "no pointer-loop error on the second pass");
    qfile_reader_free(r);

    vstr_reset(seen);
    lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_RAW);
    while (qfile_read(r, &rec) > 0)
        vstr_addch(seen, rec.type);
    TAP_STR(vstr_str(seen), "CTSMNpNNwXREN" "p", "raw reading shows file order to EOF");
    qfile_reader_free(r);

    /* A pointer to itself is a loop, not a hang. */
    TAP_INT(qfile_patch_ptr(fd, slot, slot), 0, "make a pointer loop");
    data = slurp(vstr_str(path), &len);
    r = qfile_reader_mem(data, len, "loop", QFILE_READ_FOLLOW);
    while (qfile_read(r, &rec) > 0)
        /* void */;
    TAP_OK(qfile_reader_error(r) != NULL && strstr(qfile_reader_error(r), "loop") != NULL,
           "a pointer loop is an error: %s", qfile_reader_error(r));
    qfile_reader_free(r);
    /* The same loop followed by hand with seeks (postcat's way) ends too. */
    {
        int steps = 0, st;

        r = qfile_reader_mem(data, len, "loop-by-seek", QFILE_READ_RAW);
        while (steps++ < 100000 && (st = qfile_read(r, &rec)) > 0)
            if (rec.type == QREC_PTR && atol(rec.data) > 0 && qfile_reader_seek(r, atol(rec.data)) < 0)
                break;
        TAP_OK(steps < 100000 && qfile_reader_error(r) != NULL
               && strstr(qfile_reader_error(r), "loop") != NULL,
               "a loop followed by seeks is an error too: %s", qfile_reader_error(r));
        qfile_reader_free(r);
    }
    mem_free(data);

    TAP_INT(qfile_patch_ptr(fd, slot, 999999), 0, "make a wild pointer");
    data = slurp(vstr_str(path), &len);
    r = qfile_reader_mem(data, len, "wild", QFILE_READ_FOLLOW);
    while (qfile_read(r, &rec) > 0)
        /* void */;
    TAP_OK(qfile_reader_error(r) != NULL && strstr(qfile_reader_error(r), "outside") != NULL,
           "a pointer outside the file is an error: %s", qfile_reader_error(r));
    qfile_reader_free(r);
    mem_free(data);

    vstr_free(seen);
    close(fd);
    vstr_free(path);
}

static void test_mark_done_and_complete(void)
{
    VSTR *path = vstr_new(64);
    int fd = tmpfile_open("done", path);
    QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), QFILE_WRITE_SIZE);
    long r1;
    long s;
    QFILE_READER *r;
    QFILE_REC rec;
    VSTR *types = vstr_new(16);

    qfile_put_time(w, 1, 2);
    s = qfile_puts(w, QREC_FROM, "a@b");
    r1 = qfile_puts(w, QREC_RCPT, "one@x");
    qfile_puts(w, QREC_RCPT, "two@x");
    qfile_puts(w, QREC_MESG, "");
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_END, "");
    qfile_writer_finish(w);
    qfile_writer_free(w);
    TAP_INT(qfile_is_complete(fd), 0, "a new file is not complete (no u+x)");
    TAP_INT(qfile_sync(fd), 0, "fsync");
    TAP_INT(qfile_mark_complete(fd), 0, "mark complete");
    TAP_INT(qfile_is_complete(fd), 1, "now complete (u+x)");
    TAP_INT(qfile_mark_done(fd, r1), 0, "mark the first recipient done");
    TAP_OK(qfile_mark_done(fd, r1) < 0 && errno == EINVAL, "a done recipient is not marked twice");
    TAP_OK(qfile_mark_done(fd, s) < 0 && errno == EINVAL, "the sender record is not a recipient");
    TAP_OK(qfile_mark_done(fd, 100000) < 0, "an offset past the end is refused");
    lseek(fd, 0, SEEK_SET);
    r = qfile_reader_open(fd, vstr_str(path), 0);
    while (qfile_read(r, &rec) > 0)
        vstr_addch(types, rec.type);
    TAP_STR(vstr_str(types), "CTSDRMXE", "R became D in place, nothing else moved");
    qfile_reader_free(r);
    vstr_free(types);
    close(fd);
    vstr_free(path);
}

/* -------------------------------------------------- Postfix's own files */

/*
 * Read each fixture and write its records again with the writer (the C
 * record computed by the writer, with the fixture's hints): the bytes must
 * be the same as Postfix's.
 */
static void test_rewrite_fixtures(void)
{
    size_t i;

    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        size_t len;
        char *orig = fixture(fixtures[i], &len);
        QFILE_READER *r = qfile_reader_mem(orig, len, fixtures[i], 0);
        QFILE_REC rec;
        VSTR *path = vstr_new(64);
        int fd = tmpfile_open("rewrite", path);
        QFILE_WRITER *w = NULL;
        char *copy;
        size_t copy_len;
        int n;
        int nrec = 0;

        while ((n = qfile_read(r, &rec)) > 0) {
            if (nrec++ == 0) {
                QFILE_SIZE size;

                w = qfile_writer_new(fd, vstr_str(path),
                                     rec.type == QREC_SIZE ? QFILE_WRITE_SIZE : 0);
                if (rec.type == QREC_SIZE) {
                    if (qfile_size_parse(rec.data, &size) == 0) {
                        size.data_size = size.data_offset = size.rcpt_count = -1;
                        qfile_writer_set_size(w, &size);
                    }
                    continue;
                }
            }
            qfile_put(w, rec.type, rec.data, rec.len);
        }
        TAP_OK(n == 0 && qfile_reader_error(r) == NULL, "%s: strict reader accepts it%s%s",
               fixtures[i], qfile_reader_error(r) ? ": " : "",
               qfile_reader_error(r) ? qfile_reader_error(r) : "");
        if (w) {
            qfile_writer_finish(w);
            qfile_writer_free(w);
        }
        copy = slurp(vstr_str(path), &copy_len);
        TAP_OK(copy_len == len && memcmp(copy, orig, len) == 0,
               "%s: the writer reproduces Postfix's bytes", fixtures[i]);
        mem_free(copy);
        qfile_reader_free(r);
        mem_free(orig);
        close(fd);
        vstr_free(path);
    }
}

/* The fixture content rewritten through qfile_put_line gives the same L/N split. */
static void test_longlines_split(void)
{
    size_t len;
    char *orig = fixture("hold-longlines.73D571060EC", &len);
    QFILE_READER *r = qfile_reader_mem(orig, len, "longlines", 0);
    QFILE_REC rec;
    VSTR *path = vstr_new(64);
    int fd = tmpfile_open("longlines", path);
    QFILE_WRITER *w = qfile_writer_new(fd, vstr_str(path), QFILE_WRITE_SIZE);
    VSTR *line = vstr_new(64);
    QFILE_SIZE size;
    char *copy;
    size_t copy_len;

    qfile_read(r, &rec);
    qfile_size_parse(rec.data, &size);
    size.data_size = size.data_offset = size.rcpt_count = -1;
    qfile_writer_set_size(w, &size);
    while (qfile_read(r, &rec) > 0) {
        if (rec.type == QREC_CONT) {
            vstr_addmem(line, rec.data, rec.len);
        } else if (rec.type == QREC_NORM) {
            vstr_addmem(line, rec.data, rec.len);
            qfile_put_line(w, vstr_str(line), vstr_len(line));
            vstr_reset(line);
        } else {
            qfile_put(w, rec.type, rec.data, rec.len);
        }
    }
    qfile_writer_finish(w);
    qfile_writer_free(w);
    copy = slurp(vstr_str(path), &copy_len);
    TAP_OK(copy_len == len && memcmp(copy, orig, len) == 0,
           "whole lines split by qfile_put_line match cleanup's L/N records byte for byte");
    mem_free(copy);
    vstr_free(line);
    qfile_reader_free(r);
    mem_free(orig);
    close(fd);
    vstr_free(path);
}

static int read_all(const char *data, size_t len, int flags, long *records)
{
    QFILE_READER *r = qfile_reader_mem(data, len, "damaged", flags);
    QFILE_REC rec;
    int n;

    *records = 0;
    while ((n = qfile_read(r, &rec)) > 0)
        (*records)++;
    if (n < 0 && (qfile_reader_error(r) == NULL || qfile_reader_error_offset(r) < 0
                  || qfile_reader_error_offset(r) > (long) len))
        n = -2;
    qfile_reader_free(r);
    return n;
}

static void test_truncations(void)
{
    static const char *const names[] = {"hold-plain.A2E0D10605F", "hold-longlines.73D571060EC",
                                        "maildrop-sendmail-t.D846B106586"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t len;
        char *data = fixture(names[i], &len);
        size_t cut;
        size_t bad = 0;
        long records;

        for (cut = 1; cut < len; cut++) {
            int n = read_all(data, cut, 0, &records);
            int m = read_all(data, cut, QFILE_READ_FOLLOW, &records);

            if (n != -1 || m != -1) {
                if (bad++ < 3)
                    printf("# %s cut at %zu: %d %d\n", names[i], cut, n, m);
            }
        }
        TAP_INT(bad, 0, "%s: each of its %zu truncations is an error with an offset", names[i],
                len - 1);
        TAP_INT(read_all(data, 0, 0, &records), -1, "%s: cut to nothing: an empty file is damaged",
                names[i]);
        TAP_INT(read_all(data, 0, QFILE_READ_RAW, &records), 0,
                "%s: cut to nothing: raw reading sees no record", names[i]);
        TAP_OK(read_all(data, len, 0, &records) == 0 && records > 0, "%s: the whole file reads",
               names[i]);
        mem_free(data);
    }
}

static void test_corruptions(void)
{
    static const unsigned char values[] = {0x00, 0x7f, 0x80, 0xff, 'p', 'E', 'M', 'X', 'N', 'L'};
    size_t len;
    char *data = fixture("hold-dsn.C6647106031", &len);
    char *copy = mem_alloc(len);
    size_t pos;
    size_t v;
    long crashes = 0;
    long errors = 0;
    long records;

    for (pos = 0; pos < len; pos++) {
        for (v = 0; v < sizeof(values); v++) {
            int flags;

            memcpy(copy, data, len);
            copy[pos] = (char) values[v];
            for (flags = 0; flags < 4; flags++) {
                int n = read_all(copy, len, flags, &records);

                if (n == -2)
                    crashes++;
                else if (n < 0)
                    errors++;
            }
        }
    }
    TAP_INT(crashes, 0, "every corrupted byte gives a record, an end or a clean error");
    TAP_OK(errors > 0, "corruptions were detected (%ld errors)", errors);
    mem_free(copy);
    mem_free(data);
}

static void test_strict_order(void)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *why;
    } cases[] = {
        {"N\001xE\000", 5, "not a queue file"},
        {"S\001aN\001xM\000X\000E\000", 14, "out of order in the envelope"},
        {"S\001aM\000N\001xR\001aX\000E\000", 16, "out of order in the content"},
        {"S\001aM\000X\000N\001xE\000", 14, "out of order in the extracted"},
        {"S\001aM\000X\000", 7, "no end record"},
        {"S\001aC\001xM\000X\000E\000", 14, "misplaced size record"},
        {"S\377\377\377\377\377\001", 7, "bad record length encoding"},
        {"S\005ab", 4, "unexpected EOF in data"},
        {"S\200", 2, "unexpected EOF reading length"},
        {"p\0170000000000000001S\001a", 20, "not a queue file"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        QFILE_READER *r = qfile_reader_mem(cases[i].bytes, cases[i].len, "case", 0);
        QFILE_REC rec;
        int n;

        while ((n = qfile_read(r, &rec)) > 0)
            /* void */;
        TAP_OK(n < 0 && strstr(qfile_reader_error(r), cases[i].why) != NULL,
               "strict reader: %s (%s)", cases[i].why,
               qfile_reader_error(r) ? qfile_reader_error(r) : "no error");
        qfile_reader_free(r);
    }
    {
        char big[300];
        QFILE_READER *r;
        QFILE_REC rec;

        big[0] = 'S';
        big[1] = (char) (0x80 | 0x2c); /* length 300 = 0x12c: 0xac 0x02 */
        big[2] = 0x02;
        memset(big + 3, 'a', sizeof(big) - 3);
        r = qfile_reader_mem(big, sizeof(big), "big", 0);
        qfile_reader_set_limit(r, 100);
        TAP_OK(qfile_read(r, &rec) < 0 && strstr(qfile_reader_error(r), "exceeds") != NULL,
               "a record over the length limit is refused before it is read");
        qfile_reader_free(r);
    }
}

static void test_attr_split(void)
{
    static const struct {
        const char *in;
        const char *name;
        const char *value;
    } cases[] = {
        {"a=b", "a", "b"},          {"  n = v ", "n", "v"}, {"n=", "n", ""},
        {"n==v", "n", "=v"},        {"x=y\tz", "x", "y\tz"}, {"=v", NULL, "missing attribute name"},
        {"a b=c", NULL, "missing '=' after attribute name"}, {"noeq", NULL, "missing '='"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *copy = mem_strdup(cases[i].in);
        char *name = NULL;
        char *value = NULL;
        const char *why = NULL;
        int st = qfile_attr_split(copy, &name, &value, &why);

        if (cases[i].name)
            TAP_OK(st == 0 && strcmp(name, cases[i].name) == 0
                       && strcmp(value, cases[i].value) == 0,
                   "attribute \"%s\" splits", cases[i].in);
        else
            TAP_OK(st < 0 && strncmp(why, cases[i].value, strlen(cases[i].value)) == 0,
                   "attribute \"%s\" is malformed", cases[i].in);
        mem_free(copy);
    }
}

/* ------------------------------------------------------------ queue ids */

static void test_queue_ids(void)
{
    char buf[QUEUE_ID_BUFSIZE];
    char hash[QUEUE_ID_MAX_DEPTH + 1];
    VSTR *path = vstr_new(64);
    static const char *const bad[] = {
        "", "../x", "A2E0D/10605F", "A2E0D.10605F", "a2e0d10605f", "ABCDE", "A2E0D1060G",
        "4jWrkh4kddz", "4jWrkhz84ZY", "4jWrkh4kddz84Zz", "4jWrkh4kddzA4ZY", "4jWr kh4kddz84ZY",
        "A2E0D10605F\n", "0123456789ABCDEF0123456789ABCDEF0", "-A2E0D10605F", "ALL",
        "4jWrkh4kddz84ZY/", "4jWrkh4kdd.z84ZY",
    };
    size_t i;

    queue_id_short(buf, 0xA2E0D, 0x10605F);
    TAP_STR(buf, "A2E0D10605F", "short id: 5 hex digits of usec, then the inode in hex");
    queue_id_short(buf, 0x4B66, 0x106085);
    TAP_STR(buf, "04B66106085", "short id keeps the leading zero of the usec field");
    queue_id_long(buf, 1795263324, 666933, 1073171);
    TAP_STR(buf, "4jWrkh4kddz84ZY", "long id as in the hold-longid fixture");
    queue_id_long(buf, 1795263456, 596981, 1073266);
    TAP_STR(buf, "4jWrnD4DmPz84cQ", "long id as in the mailq fixture");
    queue_id_long(buf, 0, 0, 0);
    TAP_STR(buf, "0000000000z0", "long id pads seconds to 6 and usec to 4");
    queue_id_long(buf, 1795263324, 999999, 0xffffffffffffffffUL);
    TAP_OK(queue_id_valid(buf) == QUEUE_ID_LONG, "the longest long id (%s) is valid", buf);
    queue_id_short(buf, 999999, 0xffffffffffffffffUL);
    TAP_OK(queue_id_valid(buf) == QUEUE_ID_SHORT, "the longest short id (%s) is valid", buf);

    TAP_INT(queue_id_valid("A2E0D10605F"), QUEUE_ID_SHORT, "fixture short id is valid");
    TAP_INT(queue_id_valid("4jWrkh4kddz84ZY"), QUEUE_ID_LONG, "fixture long id is valid");
    TAP_INT(queue_id_valid(NULL), 0, "NULL is not an id");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        TAP_INT(queue_id_valid(bad[i]), 0, "hostile or malformed id %zu (\"%.*s\") is refused", i,
                (int) strcspn(bad[i], "\n"), bad[i]);

    queue_id_hash("A2E0D10605F", 1, hash);
    TAP_STR(hash, "A", "short id hashes by its first character");
    queue_id_hash("4jWrnD4DmPz84cQ", 1, hash);
    TAP_STR(hash, "9", "long id hashes by its hex usec (deferred/9/ in the fixture)");
    queue_id_hash("4jWrkh4kddz84ZY", 2, hash);
    TAP_STR(hash, "A2", "depth 2");
    TAP_STR(queue_id_path(path, "deferred", "4jWrnD4DmPz84cQ", 1), "deferred/9/4jWrnD4DmPz84cQ",
            "hashed path");
    TAP_STR(queue_id_path(path, "hold", "A2E0D10605F", 0), "hold/A2E0D10605F", "flat path");
    TAP_STR(queue_id_path(path, "defer", "CBC0A106123", 2), "defer/C/B/CBC0A106123",
            "two levels");
    TAP_INT(queue_id_is_hashed("defer", "deferred, defer"), 1, "defer is hashed by default");
    TAP_INT(queue_id_is_hashed("deferred", "deferred, defer"), 1, "deferred is hashed");
    TAP_INT(queue_id_is_hashed("defe", "deferred, defer"), 0, "a prefix is not a queue");
    TAP_INT(queue_id_is_hashed("hold", "deferred, defer"), 0, "hold is not hashed");
    vstr_free(path);
}

/*
 * The durability state table of qfile.h: a writer killed after each step
 * leaves a file that is never taken for a queued message before step 5,
 * and a whole, complete one after it.
 */
static void crash_child(const char *path, int step)
{
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
    QFILE_WRITER *w;
    char line[1000];
    int i;

    if (fd < 0 || step == 1)
        raise(SIGKILL);
    memset(line, 'q', sizeof(line));
    w = qfile_writer_new(fd, path, QFILE_WRITE_SIZE);
    qfile_put_time(w, 1795263260, 0);
    qfile_puts(w, QREC_FROM, "a@b");
    qfile_puts(w, QREC_RCPT, "c@d");
    qfile_puts(w, QREC_MESG, "");
    for (i = 0; i < 200; i++)
        qfile_put_line(w, line, sizeof(line));
    if (step == 2)
        raise(SIGKILL); /* part of the content is on disk, no end record */
    qfile_puts(w, QREC_XTRA, "");
    qfile_puts(w, QREC_END, "");
    if (qfile_writer_finish(w) < 0 || step == 3)
        raise(SIGKILL);
    if (qfile_sync(fd) < 0 || step == 4)
        raise(SIGKILL);
    if (qfile_mark_complete(fd) < 0 || step == 5)
        raise(SIGKILL);
    _exit(1);
}

static void test_crash_states(void)
{
    int step;

    for (step = 1; step <= 5; step++) {
        VSTR *path = vstr_new(64);
        pid_t pid;
        int status;
        int fd;
        int complete;
        int readable = 0;

        vstr_sprintf(path, "%s/crash%d", tmpdir, step);
        fflush(stdout);
        if ((pid = fork()) == 0)
            crash_child(vstr_str(path), step);
        waitpid(pid, &status, 0);
        TAP_OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "writer killed after step %d",
               step);
        fd = open(vstr_str(path), O_RDONLY);
        complete = fd >= 0 ? qfile_is_complete(fd) : 0;
        if (fd >= 0) {
            QFILE_READER *r = qfile_reader_open(fd, vstr_str(path), 0);
            QFILE_REC rec;
            int n;

            while ((n = qfile_read(r, &rec)) > 0)
                /* void */;
            readable = n == 0 && qfile_reader_error(r) == NULL;
            qfile_reader_free(r);
            close(fd);
        }
        if (step < 5)
            TAP_OK(!complete && (step > 2 || !readable),
                   "after step %d the file is not a queued message (complete=%d readable=%d)",
                   step, complete, readable);
        else
            TAP_OK(complete && readable, "after step 5 the file is complete and whole");
        vstr_free(path);
    }
}

/* A write error is kept and reported by finish; the rest is not hoarded. */
static void test_write_error(void)
{
    QFILE_WRITER *w;
    char line[1000];
    int fd = open("/dev/full", O_WRONLY);
    int i;

    if (fd < 0) {
        TAP_OK(1, "# SKIP no /dev/full");
        return;
    }
    memset(line, 'z', sizeof(line));
    w = qfile_writer_new(fd, "/dev/full", QFILE_WRITE_SIZE);
    qfile_puts(w, QREC_MESG, "");
    for (i = 0; i < 200; i++)
        qfile_put_line(w, line, sizeof(line));
    TAP_OK(qfile_writer_finish(w) < 0 && errno == ENOSPC, "a full disk fails finish with ENOSPC");
    qfile_writer_free(w);
    close(fd);
}

static void test_queue_id_enter(void)
{
    char id1[QUEUE_ID_BUFSIZE];
    char id2[QUEUE_ID_BUFSIZE];
    char want[QUEUE_ID_BUFSIZE];
    VSTR *path = vstr_new(64);
    VSTR *cmd = vstr_new(64);
    struct stat st;
    int fd1;
    int fd2;

    fd1 = queue_id_enter(tmpdir, 0, id1, path);
    TAP_OK(fd1 >= 0 && queue_id_valid(id1) == QUEUE_ID_SHORT, "queue_id_enter makes a short id (%s)",
           id1);
    TAP_OK(stat(vstr_str(path), &st) == 0 && (st.st_mode & 0777) == 0600,
           "the file is dir/ID with mode 0600");
    snprintf(want, sizeof(want), "%lX", (unsigned long) st.st_ino);
    TAP_STR(id1 + 5, want, "the id ends with the file's inode number in hex");
    {
        unsigned long ino = 0;

        TAP_OK(queue_id_inode(id1, &ino) == 0 && ino == (unsigned long) st.st_ino,
               "queue_id_inode gives the inode back (short id)");
    }
    fd2 = queue_id_enter(tmpdir, 1, id2, path);
    TAP_OK(fd2 >= 0 && queue_id_valid(id2) == QUEUE_ID_LONG, "long form too (%s)", id2);
    TAP_OK(strcmp(id1, id2) != 0, "two files, two ids");
    {
        unsigned long ino = 0;

        TAP_OK(fstat(fd2, &st) == 0 && queue_id_inode(id2, &ino) == 0
                   && ino == (unsigned long) st.st_ino,
               "queue_id_inode gives the inode back (long id)");
        TAP_OK(queue_id_inode("4jWrkh4kddz84ZY", &ino) == 0 && ino == 1073171,
               "fixture long id: inode 1073171");
        TAP_OK(queue_id_inode("A2E0D10605F", &ino) == 0 && ino == 0x10605F,
               "fixture short id: inode 0x10605F");
        TAP_OK(queue_id_inode("0000000000zyyyyyyyyyyyyy", &ino) < 0, "an overflowing inode is refused");
        TAP_OK(queue_id_inode("../x", &ino) < 0, "an invalid id has no inode");
    }
    TAP_OK(write(fd2, "x", 1) == 1, "the descriptor is writable");
    vstr_sprintf(cmd, "ls -a %s | grep -c '^\\.[0-9]' >/dev/null", tmpdir);
    TAP_OK(system(vstr_str(cmd)) != 0, "no temporary name is left behind");
    TAP_INT(queue_id_enter("/nonexistent/dir", 0, id1, path), -1, "a missing directory is -1");
    close(fd1);
    close(fd2);
    vstr_free(cmd);
    vstr_free(path);
}

static void cleanup_tmpdir(void)
{
    VSTR *cmd = vstr_new(64);

    vstr_sprintf(cmd, "rm -rf %s", tmpdir);
    if (system(vstr_str(cmd)) != 0)
        printf("# could not remove %s\n", tmpdir);
    vstr_free(cmd);
}

int main(int argc, char **argv)
{
    (void) argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    if (mkdtemp(tmpdir) == NULL)
        msg_fatal("mkdtemp: %s", strerror(errno));
    test_length_encoding();
    test_round_trip();
    test_size_override();
    test_big_message();
    test_line_split();
    test_pointers();
    test_mark_done_and_complete();
    test_rewrite_fixtures();
    test_longlines_split();
    test_truncations();
    test_corruptions();
    test_strict_order();
    test_attr_split();
    test_queue_ids();
    test_queue_id_enter();
    test_write_error();
    test_crash_states();
    cleanup_tmpdir();
    return tap_done();
}
