/*
 * Unit tests for lib/attr (the attribute protocol) and lib/stream (buffered
 * descriptor I/O with deadlines): round trips of every type, every malformed
 * case, Postfix's showq bytes parsed and re-encoded byte for byte, slow
 * peers cut off at the deadline, and system call counts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "attr.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "stream.h"
#include "vstr.h"
#include "tap.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read a test data file into a VSTR (fatal if it is missing). */
static VSTR *read_data(const char *name)
{
    const char *src = getenv("POSTERN_SRC");
    VSTR *path = vstr_new(0), *data = vstr_new(0);
    char buf[4096];
    ssize_t n;
    int fd;

    vstr_sprintf(path, "%s/test/data/attr/%s", src ? src : TOP_SRCDIR, name);
    if ((fd = open(vstr_str(path), O_RDONLY)) < 0)
        msg_fatal("open %s: %s", vstr_str(path), strerror(errno));
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        vstr_addmem(data, buf, (size_t) n);
    close(fd);
    vstr_free(path);
    return data;
}

static int vstr_eq(const VSTR *v, const void *bytes, size_t len)
{
    return vstr_len(v) == len && memcmp(vstr_str(v), bytes, len) == 0;
}

/* ------------------------------------------------------------ encoding */

static void test_encoding(void)
{
    VSTR *v = vstr_new(0);
    static const char want[] = "queue_id\0ABC\0size\0" "445\0n\0-7\0d\0AGE=\0";

    attr_encode(v, 0, ATTR_OUT_STR("queue_id", "ABC"), ATTR_OUT_LONG("size", 445),
                ATTR_OUT_INT("n", -7), ATTR_OUT_DATA("d", "\0a", 2));
    TAP_OK(vstr_eq(v, want, sizeof(want)), "encoding: name NUL value NUL, terminator NUL");

    vstr_reset(v);
    attr_encode(v, ATTR_MORE, ATTR_OUT_STR("a", ""));
    TAP_OK(vstr_eq(v, "a\0\0", 3), "encoding: ATTR_MORE sends no terminator, empty value");

    vstr_free(v);
}

static void test_base64(void)
{
    static const struct {
        const char *raw;
        size_t len;
        const char *text;
    } cases[] = {
        { "", 0, "" },
        { "f", 1, "Zg==" },
        { "fo", 2, "Zm8=" },
        { "foo", 3, "Zm9v" },
        { "foob", 4, "Zm9vYg==" },
        { "\0\377\376", 3, "AP/+" },
    };
    static const char *bad[] = { "Zg=", "Zg=A", "Z===", "Zh==", "Zm9=", "Zm9v====", "Zm 9",
                                 "=Zm9", "Zm9vYg==Zg==" };
    VSTR *v = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vstr_reset(v);
        attr_base64_encode(v, cases[i].raw, cases[i].len);
        TAP_STR(vstr_str(v), cases[i].text, "base64 encodes %zu bytes", cases[i].len);
        TAP_OK(attr_base64_decode(v) == 0 && vstr_eq(v, cases[i].raw, cases[i].len),
               "base64 decodes \"%s\"", cases[i].text);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vstr_set(v, bad[i]);
        TAP_INT(attr_base64_decode(v), -1, "base64 refuses \"%s\"", bad[i]);
    }
    vstr_free(v);
}

/* ---------------------------------------------------------- round trips */

static void test_round_trip(void)
{
    static const unsigned char blob[] = { 0, 1, 2, 0xff, 0, 'x', '=', 0 };
    VSTR *msg = vstr_new(0), *str = vstr_new(0), *empty = vstr_new(0), *data = vstr_new(0);
    VSTR *data0 = vstr_new(0);
    HTABLE *out = htable_new(4), *in = htable_new(4);
    int imin = 0, imax = 0, izero = 0, ineg = 0;
    long lmin = 0, lmax = 0;
    STREAM *s;
    int r;

    htable_put(out, "extra_b", (void *) "two");
    htable_put(out, "extra_a", (void *) "one");
    attr_encode(msg, 0, ATTR_OUT_STR("protocol", "test_protocol"), ATTR_OUT_STR("str", "hello world"),
                ATTR_OUT_STR("empty", ""), ATTR_OUT_INT("imin", INT_MIN),
                ATTR_OUT_INT("imax", INT_MAX), ATTR_OUT_INT("izero", 0), ATTR_OUT_INT("ineg", -1),
                ATTR_OUT_LONG("lmin", LONG_MIN), ATTR_OUT_LONG("lmax", LONG_MAX),
                ATTR_OUT_DATA("data", blob, sizeof(blob)), ATTR_OUT_DATA("data0", "", 0),
                ATTR_OUT_HASH(out));

    s = stream_open_mem(vstr_str(msg), vstr_len(msg));
    r = attr_scan(s, 0, ATTR_IN_STREQ("protocol", "test_protocol"),
                  ATTR_IN_LONG("lmax", &lmax), ATTR_IN_LONG("lmin", &lmin),
                  ATTR_IN_STR("str", str, 100), ATTR_IN_STR("empty", empty, 0),
                  ATTR_IN_INT("imin", &imin), ATTR_IN_INT("imax", &imax),
                  ATTR_IN_INT("izero", &izero), ATTR_IN_INT("ineg", &ineg),
                  ATTR_IN_DATA("data", data, sizeof(blob)), ATTR_IN_DATA("data0", data0, 0),
                  ATTR_IN_HASH(in, 10));
    TAP_INT(r, ATTR_OK, "round trip: scan succeeds (%s)", stream_why(s));
    TAP_STR(vstr_str(str), "hello world", "round trip: string");
    TAP_INT(vstr_len(empty), 0, "round trip: empty string");
    TAP_INT(imin, INT_MIN, "round trip: INT_MIN");
    TAP_INT(imax, INT_MAX, "round trip: INT_MAX");
    TAP_INT(izero, 0, "round trip: int 0");
    TAP_INT(ineg, -1, "round trip: int -1");
    TAP_OK(lmin == LONG_MIN, "round trip: LONG_MIN");
    TAP_OK(lmax == LONG_MAX, "round trip: LONG_MAX");
    TAP_OK(vstr_eq(data, blob, sizeof(blob)), "round trip: data with NUL bytes");
    TAP_INT(vstr_len(data0), 0, "round trip: empty data");
    TAP_STR(htable_get(in, "extra_a"), "one", "round trip: hash entry a");
    TAP_STR(htable_get(in, "extra_b"), "two", "round trip: hash entry b");
    TAP_INT(in->used, 2, "round trip: hash holds only the extras");
    TAP_INT(attr_scan(s, 0, ATTR_IN_STR("str", str, 100)), ATTR_EOF,
            "after the message: clean EOF");
    stream_free(s);

    /* The hash is sent in sorted key order, so encoding is deterministic. */
    vstr_reset(msg);
    attr_encode(msg, 0, ATTR_OUT_HASH(out));
    TAP_OK(vstr_eq(msg, "extra_a\0one\0extra_b\0two\0", 25), "hash: sorted keys");

    /* Optional items may be absent; present ones are read. */
    vstr_reset(msg);
    attr_encode(msg, 0, ATTR_OUT_STR("str", "x"));
    s = stream_open_mem(vstr_str(msg), vstr_len(msg));
    izero = 42;
    r = attr_scan(s, 0, ATTR_IN_STR("str", str, 10), attr_optional(ATTR_IN_INT("opt", &izero)));
    TAP_OK(r == ATTR_OK && izero == 42, "an optional attribute may be missing");
    stream_free(s);

    /* ATTR_EXTRA skips attributes that are not listed. */
    vstr_reset(msg);
    attr_encode(msg, 0, ATTR_OUT_STR("unknown", "zzz"), ATTR_OUT_STR("str", "y"),
                ATTR_OUT_STR("other", "w"));
    s = stream_open_mem(vstr_str(msg), vstr_len(msg));
    r = attr_scan(s, ATTR_EXTRA, ATTR_IN_STR("str", str, 10));
    TAP_OK(r == ATTR_OK && strcmp(vstr_str(str), "y") == 0, "ATTR_EXTRA skips unlisted attributes");
    stream_free(s);

    /* An empty message with an all-optional list. */
    s = stream_open_mem("\0", 1);
    r = attr_scan(s, 0, attr_optional(ATTR_IN_STR("str", str, 10)));
    TAP_INT(r, ATTR_OK, "an empty message satisfies an all-optional list");
    stream_free(s);

    htable_free(out, NULL);
    htable_free(in, mem_free);
    vstr_free(msg);
    vstr_free(str);
    vstr_free(empty);
    vstr_free(data);
    vstr_free(data0);
}

/* ---------------------------------------------------------- bad input */

/* The schema of the malformed-input cases. */
static int scan_schema(STREAM *s, int flags, VSTR *str, VSTR *data, HTABLE *hash)
{
    int num;
    long big;

    if (hash)
        return attr_scan(s, flags, ATTR_IN_STR("name", str, 10), ATTR_IN_INT("num", &num),
                         ATTR_IN_HASH(hash, 5));
    return attr_scan(s, flags, ATTR_IN_STR("name", str, 10), ATTR_IN_INT("num", &num),
                     attr_optional(ATTR_IN_LONG("big", &big)),
                     attr_optional(ATTR_IN_DATA("data", data, 4)),
                     attr_optional(ATTR_IN_STREQ("proto", "p1")));
}

#define M(s) s, sizeof(s) - 1

static void test_malformed(void)
{
    static const struct {
        const char *what;
        const char *in;
        size_t len;
        int flags;
        int use_hash;
        int want;
        const char *why;
    } cases[] = {
        { "a valid message", M("name\0x\0num\0" "12\0\0"), 0, 0, ATTR_OK, "" },
        { "attributes in any order", M("num\0" "0\0big\0-5\0name\0\0\0"), 0, 0, ATTR_OK, "" },
        { "empty input", M(""), 0, 0, ATTR_EOF, "" },
        { "missing attribute", M("name\0x\0\0"), 0, 0, ATTR_ERR, "missing attribute \"num\"" },
        { "empty message", M("\0"), 0, 0, ATTR_ERR, "missing attribute \"name\"" },
        { "extra attribute", M("name\0x\0num\0" "1\0zzz\0q\0\0"), 0, 0, ATTR_ERR,
          "unexpected attribute \"zzz\"" },
        { "duplicate attribute", M("name\0x\0num\0" "1\0name\0y\0\0"), 0, 0, ATTR_ERR,
          "duplicate attribute \"name\"" },
        { "duplicate skipped by ATTR_EXTRA is still a duplicate when listed",
          M("name\0x\0num\0" "1\0num\0" "2\0\0"), ATTR_EXTRA, 0, ATTR_ERR,
          "duplicate attribute \"num\"" },
        { "duplicate in the hash", M("name\0x\0num\0" "1\0h\0a\0h\0b\0\0"), 0, 1, ATTR_ERR,
          "duplicate attribute \"h\"" },
        { "hash value too long", M("name\0x\0num\0" "1\0h\0abcdef\0\0"), 0, 1, ATTR_ERR,
          "value of attribute \"h\" is longer than 5 bytes" },
        { "non-numeric int", M("name\0x\0num\0abc\0\0"), 0, 0, ATTR_ERR,
          "attribute \"num\": bad number \"abc\"" },
        { "empty int", M("name\0x\0num\0\0\0"), 0, 0, ATTR_ERR, "bad number \"\"" },
        { "int with a plus sign", M("name\0x\0num\0+1\0\0"), 0, 0, ATTR_ERR, "bad number" },
        { "int with a space", M("name\0x\0num\0 1\0\0"), 0, 0, ATTR_ERR, "bad number" },
        { "int with trailing text", M("name\0x\0num\0" "1x\0\0"), 0, 0, ATTR_ERR, "bad number" },
        { "int with a leading zero", M("name\0x\0num\0" "01\0\0"), 0, 0, ATTR_ERR, "bad number" },
        { "int minus zero", M("name\0x\0num\0-0\0\0"), 0, 0, ATTR_ERR, "bad number" },
        { "int overflow", M("name\0x\0num\0" "2147483648\0\0"), 0, 0, ATTR_ERR,
          "bad number \"2147483648\"" },
        { "int underflow", M("name\0x\0num\0-2147483649\0\0"), 0, 0, ATTR_ERR, "bad number" },
        { "long overflow", M("name\0x\0num\0" "1\0big\0" "9223372036854775808\0\0"), 0, 0,
          ATTR_ERR, "bad number" },
        { "overlong number", M("name\0x\0num\0" "0000000000000000000000000000001\0\0"), 0, 0,
          ATTR_ERR, "bad number" },
        { "value too long", M("name\0" "12345678901\0num\0" "1\0\0"), 0, 0, ATTR_ERR,
          "value of attribute \"name\" is longer than 10 bytes" },
        { "value at its max", M("name\0" "1234567890\0num\0" "1\0\0"), 0, 0, ATTR_OK, "" },
        { "overlong name",
          M("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            "xxxxxxxxxxxxxxxxx\0v\0\0"),
          0, 0, ATTR_ERR, "is longer than 100 bytes" },
        { "control character in a name", M("na\nme\0x\0\0"), 0, 0, ATTR_ERR,
          "malformed attribute name \"na?me\"" },
        { "space in a name", M("na me\0x\0\0"), 0, 0, ATTR_ERR, "malformed attribute name" },
        { "missing terminator", M("name\0x\0num\0" "1\0"), 0, 0, ATTR_ERR,
          "unexpected end of input in a message" },
        { "EOF inside a value", M("name\0x"), 0, 0, ATTR_ERR,
          "unexpected end of input in the value of attribute \"name\"" },
        { "EOF inside a number", M("name\0x\0num\0" "12"), 0, 0, ATTR_ERR,
          "unexpected end of input in the value of attribute \"num\"" },
        { "EOF inside a name", M("name\0x\0nu"), 0, 0, ATTR_ERR,
          "unexpected end of input in a message" },
        { "EOF after a name", M("name\0"), 0, 0, ATTR_ERR, "unexpected end of input" },
        { "bad base64", M("name\0x\0num\0" "1\0data\0Zg=\0\0"), 0, 0, ATTR_ERR,
          "attribute \"data\": malformed base64 data" },
        { "data too long", M("name\0x\0num\0" "1\0data\0Zm9vYmE=\0\0"), 0, 0, ATTR_ERR,
          "value of attribute \"data\" is longer than" },
        { "data at its max", M("name\0x\0num\0" "1\0data\0Zm9vYg==\0\0"), 0, 0, ATTR_OK, "" },
        { "data text too long", M("name\0x\0num\0" "1\0data\0Zm9vYmFyYg==\0\0"), 0, 0,
          ATTR_ERR, "value of attribute \"data\" is longer than 8 bytes" },
        { "protocol mismatch", M("name\0x\0num\0" "1\0proto\0p2\0\0"), 0, 0, ATTR_ERR,
          "attribute \"proto\": expected \"p1\"" },
        { "protocol prefix", M("name\0x\0num\0" "1\0proto\0p\0\0"), 0, 0, ATTR_ERR,
          "expected \"p1\"" },
        { "protocol match", M("name\0x\0num\0" "1\0proto\0p1\0\0"), 0, 0, ATTR_OK, "" },
    };
    VSTR *str = vstr_new(0), *data = vstr_new(0);
    HTABLE *hash;
    STREAM *s;
    size_t i;
    int r;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hash = cases[i].use_hash ? htable_new(4) : NULL;
        s = stream_open_mem(cases[i].in, cases[i].len);
        r = scan_schema(s, cases[i].flags, str, data, hash);
        TAP_INT(r, cases[i].want, "%s: result", cases[i].what);
        if (cases[i].want == ATTR_ERR && *cases[i].why)
            TAP_OK(strstr(stream_why(s), cases[i].why) != NULL, "%s: says \"%s\" (%s)",
                   cases[i].what, cases[i].why, stream_why(s));
        if (cases[i].want == ATTR_ERR)
            TAP_INT(scan_schema(s, 0, str, data, NULL), ATTR_ERR,
                    "%s: the stream stays failed", cases[i].what);
        stream_free(s);
        if (hash)
            htable_free(hash, mem_free);
    }
    vstr_free(str);
    vstr_free(data);
}

/* The stream's request limit bounds a whole message, extras included. */
static void test_message_limit(void)
{
    VSTR *msg = vstr_new(0), *str = vstr_new(0);
    ARGV *pairs = argv_new();
    STREAM *s;
    int i, r;

    for (i = 0; i < 100; i++)
        attr_encode(msg, ATTR_MORE, ATTR_OUT_STR("filler", "0123456789"));
    attr_encode(msg, 0, ATTR_OUT_STR("name", "x"));
    s = stream_open_mem(vstr_str(msg), vstr_len(msg));
    stream_set_limits(s, 1000, 500);
    r = attr_scan(s, ATTR_EXTRA, ATTR_IN_STR("name", str, 10));
    TAP_INT(r, ATTR_ERR, "a message longer than the request limit is refused");
    TAP_INT(stream_error(s), STREAM_ERR_LIMIT, "the error is the limit");
    TAP_OK(strstr(stream_why(s), "request too large: more than 500 bytes") != NULL,
           "and says so (%s)", stream_why(s));
    stream_free(s);

    s = stream_open_mem(vstr_str(msg), vstr_len(msg));
    stream_set_limits(s, 1000, 500);
    r = attr_scan_any(s, pairs, 100);
    TAP_OK(r == ATTR_ERR && pairs->argc < 100, "attr_scan_any stops at the limit too");
    stream_free(s);

    /* The limit is per message: two messages of 400 bytes pass a 500 limit. */
    vstr_reset(msg);
    for (i = 0; i < 2; i++) {
        vstr_truncate(str, 0);
        while (vstr_len(str) < 390)
            vstr_addch(str, 'a');
        attr_encode(msg, 0, ATTR_OUT_STR("v", vstr_str(str)));
    }
    s = stream_open_mem(vstr_str(msg), vstr_len(msg));
    stream_set_limits(s, 1000, 500);
    r = attr_scan(s, 0, ATTR_IN_STR("v", str, 400));
    r += attr_scan(s, 0, ATTR_IN_STR("v", str, 400));
    TAP_INT(r, 2 * ATTR_OK, "the limit applies per message");
    stream_free(s);

    argv_free(pairs);
    vstr_free(msg);
    vstr_free(str);
}

/* --------------------------------------------------------- showq bytes */

static int scan_whole_file(const VSTR *file, ARGV **msgs, int max_msgs, VSTR *reencoded,
                           size_t chunk)
{
    STREAM *s = stream_open_mem(vstr_str(file), vstr_len(file));
    int n = 0, r;

    if (chunk)
        stream_set_mem_chunk(s, chunk);
    for (;;) {
        if (n >= max_msgs)
            break;
        msgs[n] = argv_new();
        r = attr_scan_any(s, msgs[n], 4096);
        if (r != ATTR_OK) {
            argv_free(msgs[n]);
            if (r != ATTR_EOF)
                n = -1;
            break;
        }
        attr_encode_pairs(reencoded, 0, msgs[n]);
        n++;
    }
    stream_free(s);
    return n;
}

static void test_showq_any(void)
{
    VSTR *file = read_data("showq.bin"), *again = vstr_new(0);
    ARGV *msgs[20];
    int n, i, rcpts = 0, j;

    n = scan_whole_file(file, msgs, 20, again, 0);
    TAP_INT(n, 10, "showq.bin: 10 messages (announcement, 8 queue entries, end of list)");
    if (n == 10) {
        TAP_INT(msgs[0]->argc, 2, "showq.bin: the announcement has one attribute");
        TAP_STR(msgs[0]->argv[0], "protocol", "showq.bin: announcement name");
        TAP_STR(msgs[0]->argv[1], "mail_queue_list_protocol", "showq.bin: announcement value");
        TAP_STR(msgs[1]->argv[0], "queue_name", "showq.bin: entry starts with queue_name");
        TAP_STR(msgs[1]->argv[1], "active", "showq.bin: first entry is active");
        TAP_STR(msgs[1]->argv[3], "76D8F1060C7", "showq.bin: first queue id");
        TAP_STR(msgs[1]->argv[5], "1795263434", "showq.bin: time as decimal text");
        TAP_STR(msgs[1]->argv[13], "big.file@slow.test", "showq.bin: first recipient");
        TAP_STR(msgs[1]->argv[15], "", "showq.bin: an empty reason");
        TAP_INT(msgs[9]->argc, 0, "showq.bin: the list ends with an empty message");
        for (i = 1; i < 9; i++)
            for (j = 0; j < (int) msgs[i]->argc; j += 2)
                rcpts += strcmp(msgs[i]->argv[j], "recipient") == 0;
        TAP_INT(rcpts, 14, "showq.bin: 14 recipients in all");
    }
    TAP_OK(vstr_eq(again, vstr_str(file), vstr_len(file)),
           "showq.bin: re-encoding every parsed message gives the same %zu bytes",
           vstr_len(file));
    for (i = 0; i < n; i++)
        argv_free(msgs[i]);
    for (j = 1; j <= 7; j += 3) {
        vstr_reset(again);
        n = scan_whole_file(file, msgs, 20, again, (size_t) j);
        TAP_OK(n == 10 && vstr_eq(again, vstr_str(file), vstr_len(file)),
               "showq.bin: the same when it arrives %d byte(s) at a time", j);
        for (i = 0; i < n; i++)
            argv_free(msgs[i]);
    }
    vstr_free(file);

    file = read_data("empty.showq.bin");
    vstr_reset(again);
    n = scan_whole_file(file, msgs, 20, again, 0);
    TAP_INT(n, 2, "empty.showq.bin: the announcement and the end of the list");
    if (n == 2) {
        TAP_STR(msgs[0]->argv[1], "mail_queue_list_protocol", "empty.showq.bin: protocol");
        TAP_INT(msgs[1]->argc, 0, "empty.showq.bin: then an empty message");
    }
    TAP_OK(vstr_eq(again, vstr_str(file), vstr_len(file)), "empty.showq.bin: re-encoded exactly");
    for (i = 0; i < n; i++)
        argv_free(msgs[i]);
    vstr_free(file);

    file = read_data("showq.short-ids.bin");
    vstr_reset(again);
    n = scan_whole_file(file, msgs, 20, again, 0);
    TAP_INT(n, 9, "showq.short-ids.bin: 9 messages");
    TAP_OK(vstr_eq(again, vstr_str(file), vstr_len(file)),
           "showq.short-ids.bin: re-encoded exactly");
    for (i = 0; i < n; i++)
        argv_free(msgs[i]);
    vstr_free(file);
    vstr_free(again);
}

/*
 * The way a showq client reads the listing, with typed, strict scans and
 * repeated recipient groups, and the way a showq server would send it,
 * with typed prints: same bytes as Postfix's showq.
 */
static int showq_typed(const char *name, int *entries, int *rcpts)
{
    VSTR *file = read_data(name), *out = vstr_new(0);
    VSTR *qname = vstr_new(0), *qid = vstr_new(0), *sender = vstr_new(0);
    VSTR *rcpt = vstr_new(0), *reason = vstr_new(0);
    long time = 0, size = 0;
    int fe = 0, r, same, fd[2];
    STREAM *in = stream_open_mem(vstr_str(file), vstr_len(file)), *w;

    *entries = *rcpts = 0;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    w = stream_open(fd[0], STREAM_CLOSE);
    r = attr_scan(in, 0, ATTR_IN_STREQ("protocol", "mail_queue_list_protocol"));
    if (r == ATTR_OK)
        attr_print(w, ATTR_NOFLUSH, ATTR_OUT_STR("protocol", "mail_queue_list_protocol"));
    while (r == ATTR_OK) {
        r = attr_scan(in, ATTR_MORE, ATTR_IN_STR("queue_name", qname, 20),
                      ATTR_IN_STR("queue_id", qid, 64), ATTR_IN_LONG("time", &time),
                      ATTR_IN_LONG("size", &size), ATTR_IN_INT("forced_expire", &fe),
                      ATTR_IN_STR("sender", sender, 1000));
        if (r != ATTR_OK)
            break;
        (*entries)++;
        attr_print(w, ATTR_MORE | ATTR_NOFLUSH, ATTR_OUT_STR("queue_name", vstr_str(qname)),
                   ATTR_OUT_STR("queue_id", vstr_str(qid)), ATTR_OUT_LONG("time", time),
                   ATTR_OUT_LONG("size", size), ATTR_OUT_INT("forced_expire", fe),
                   ATTR_OUT_STR("sender", vstr_str(sender)));
        while ((r = attr_scan(in, ATTR_MORE, ATTR_IN_STR("recipient", rcpt, 1000),
                              ATTR_IN_STR("reason", reason, 1000))) == ATTR_OK) {
            (*rcpts)++;
            attr_print(w, ATTR_MORE | ATTR_NOFLUSH, ATTR_OUT_STR("recipient", vstr_str(rcpt)),
                       ATTR_OUT_STR("reason", vstr_str(reason)));
        }
        if (r != ATTR_ENDED)
            break;
        attr_print_end(w, ATTR_NOFLUSH);
        r = ATTR_OK;
    }
    if (r == ATTR_ENDED) {
        attr_print_end(w, ATTR_NOFLUSH);
        r = attr_scan(in, ATTR_MORE, ATTR_IN_STR("queue_name", qname, 20));
    }
    /* Everything went out in one write(2); read it back from the socket. */
    TAP_INT(attr_flush(w), 0, "%s: typed re-encoding flushed", name);
    TAP_INT(stream_write_calls(w), 1, "%s: the whole listing took one write(2)", name);
    stream_free(w);
    {
        char buf[8192];
        ssize_t n;

        while ((n = read(fd[1], buf, sizeof(buf))) > 0) {
            vstr_addmem(out, buf, (size_t) n);
            if (vstr_len(out) >= vstr_len(file))
                break;
        }
    }
    close(fd[1]);
    same = r == ATTR_EOF && vstr_eq(out, vstr_str(file), vstr_len(file));
    if (!same)
        printf("# %s: r=%d why=%s out=%zu file=%zu\n", name, r, stream_why(in), vstr_len(out),
               vstr_len(file));
    stream_free(in);
    vstr_free(file);
    vstr_free(out);
    vstr_free(qname);
    vstr_free(qid);
    vstr_free(sender);
    vstr_free(rcpt);
    vstr_free(reason);
    return same;
}

static void test_showq_typed(void)
{
    int entries, rcpts;

    TAP_OK(showq_typed("showq.bin", &entries, &rcpts),
           "showq.bin: strict typed scan and typed print reproduce the bytes");
    TAP_INT(entries, 8, "showq.bin: 8 queue entries");
    TAP_INT(rcpts, 14, "showq.bin: 14 recipient groups");
    TAP_OK(showq_typed("empty.showq.bin", &entries, &rcpts) && entries == 0,
           "empty.showq.bin: typed scan and print reproduce the bytes");
}

/* ------------------------------------------------------ sockets, time */

/* A child that writes data with a pause between chunks, then waits. */
static pid_t slow_writer(int fd, const char *data, size_t len, size_t chunk, int pause_ms)
{
    pid_t pid = fork();
    size_t off, n;
    struct timespec ts = { pause_ms / 1000, (long) (pause_ms % 1000) * 1000000L };

    if (pid < 0)
        msg_fatal("fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    for (off = 0; off < len; off += n) {
        n = len - off < chunk ? len - off : chunk;
        if (write(fd, data + off, n) != (ssize_t) n)
            _exit(1);
        nanosleep(&ts, NULL);
    }
    pause();
    _exit(0);
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_deadline(void)
{
    VSTR *msg = vstr_new(0), *str = vstr_new(0);
    long long start, took;
    int fd[2], r, num;
    STREAM *s;
    pid_t pid;

    attr_encode(msg, 0, ATTR_OUT_STR("name", "a value of about forty bytes in length"),
                ATTR_OUT_INT("num", 1));

    /* One byte every 100 ms: 50 bytes would take 5 s; the deadline is 1 s. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    pid = slow_writer(fd[1], vstr_str(msg), vstr_len(msg), 1, 100);
    close(fd[1]);
    s = stream_open(fd[0], STREAM_CLOSE);
    stream_set_limits(s, 1000, 4096);
    start = mono_ms();
    r = attr_scan(s, 0, ATTR_IN_STR("name", str, 100), ATTR_IN_INT("num", &num));
    took = mono_ms() - start;
    TAP_INT(r, ATTR_ERR, "a peer that dribbles one byte per 100 ms is cut off");
    TAP_INT(stream_error(s), STREAM_ERR_TIMEOUT, "the error is a timeout (%s)", stream_why(s));
    TAP_OK(took >= 950 && took < 2000, "cut off at the 1 s deadline of the message (%lld ms)",
           took);
    TAP_OK(stream_read_calls(s) > 5, "it was read in many small pieces (%lu reads)",
           stream_read_calls(s));
    stream_free(s);
    reap(pid);

    /* The same message in 4 pieces 100 ms apart arrives within the time. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    pid = slow_writer(fd[1], vstr_str(msg), vstr_len(msg), vstr_len(msg) / 4 + 1, 100);
    close(fd[1]);
    s = stream_open(fd[0], STREAM_CLOSE);
    stream_set_limits(s, 1000, 4096);
    r = attr_scan(s, 0, ATTR_IN_STR("name", str, 100), ATTR_IN_INT("num", &num));
    TAP_INT(r, ATTR_OK, "a message in pieces within the deadline is read (%s)", stream_why(s));
    stream_free(s);
    reap(pid);

    /* A peer that sends nothing at all. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    s = stream_open(fd[0], STREAM_CLOSE);
    stream_set_limits(s, 300, 4096);
    start = mono_ms();
    r = attr_scan(s, 0, ATTR_IN_STR("name", str, 100));
    took = mono_ms() - start;
    TAP_OK(r == ATTR_ERR && stream_error(s) == STREAM_ERR_TIMEOUT && took >= 250 && took < 1500,
           "a silent peer times out (%lld ms)", took);
    stream_free(s);
    close(fd[1]);

    /* A peer that does not read: the write deadline cuts a large reply off. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    {
        size_t big = 8 << 20;
        char *blob = mem_calloc(1, big);

        s = stream_open(fd[0], STREAM_CLOSE);
        stream_set_limits(s, 500, 4096);
        start = mono_ms();
        r = attr_print(s, 0, ATTR_OUT_DATA("blob", blob, big));
        took = mono_ms() - start;
        TAP_INT(r, -1, "a reply to a peer that does not read fails");
        TAP_OK(stream_error(s) == STREAM_ERR_TIMEOUT && took >= 450 && took < 2000,
               "at the 500 ms write deadline (%lld ms, %s)", took, stream_why(s));
        TAP_INT(attr_print(s, 0, ATTR_OUT_STR("x", "y")), -1, "later writes fail too");
        stream_free(s);
        mem_free(blob);
    }
    close(fd[1]);

    /* EOF from a closed peer in the middle of a message. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    if (write(fd[1], "name\0abc", 8) != 8)
        msg_fatal("write: %s", strerror(errno));
    close(fd[1]);
    s = stream_open(fd[0], STREAM_CLOSE);
    r = attr_scan(s, 0, ATTR_IN_STR("name", str, 100));
    TAP_OK(r == ATTR_ERR && strstr(stream_why(s), "unexpected end of input") != NULL,
           "a peer closing mid-message is an error (%s)", stream_why(s));
    stream_free(s);

    vstr_free(msg);
    vstr_free(str);
}

/* Many messages: one write(2) with ATTR_NOFLUSH, one or two read(2) calls. */
static void test_syscalls(void)
{
    STREAM *w, *rd;
    VSTR *str = vstr_new(0);
    int fd[2], i, num = 0, ok = 0, r;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    w = stream_open(fd[0], STREAM_CLOSE);
    rd = stream_open(fd[1], STREAM_CLOSE);
    stream_set_limits(rd, 1000, 4096);
    r = attr_print(w, 0, ATTR_OUT_STR("request", "one"), ATTR_OUT_INT("n", 1));
    TAP_OK(r == 0 && stream_write_calls(w) == 1 && stream_pending(w) == 0,
           "a message is sent with one write(2)");
    for (i = 0; i < 200; i++)
        attr_print(w, ATTR_NOFLUSH, ATTR_OUT_STR("request", "more"), ATTR_OUT_INT("n", i));
    TAP_INT(stream_write_calls(w), 1, "ATTR_NOFLUSH messages stay in the buffer");
    attr_flush(w);
    TAP_INT(stream_write_calls(w), 2, "attr_flush sends 200 messages with one write(2)");
    stream_free(w);
    for (i = 0; i < 201; i++)
        ok += attr_scan(rd, 0, ATTR_IN_STR("request", str, 10), ATTR_IN_INT("n", &num))
              == ATTR_OK;
    TAP_INT(ok, 201, "201 messages read back");
    TAP_INT(num, 199, "in order");
    TAP_INT(attr_scan(rd, 0, ATTR_IN_STR("request", str, 10)), ATTR_EOF, "then EOF");
    TAP_OK(stream_read_calls(rd) <= 3, "with at most 3 read(2) calls (%lu)",
           stream_read_calls(rd));
    stream_free(rd);

    /*
     * A request, then its reply 50 ms later: the client waits in poll(2)
     * and reads the whole reply with one read(2), no read that comes back
     * empty first.
     */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    {
        static const char reply[] = "status\0" "0\0reason\0ok\0";
        char buf[64];
        pid_t pid = fork();

        if (pid < 0)
            msg_fatal("fork: %s", strerror(errno));
        if (pid == 0) {
            struct timespec ts = { 0, 50000000L };

            close(fd[0]);
            if (read(fd[1], buf, sizeof(buf)) <= 0)
                _exit(1);
            nanosleep(&ts, NULL);
            _exit(write(fd[1], reply, sizeof(reply)) == (ssize_t) sizeof(reply) ? 0 : 1);
        }
        close(fd[1]);
        w = stream_open(fd[0], STREAM_CLOSE);
        stream_set_limits(w, 2000, 4096);
        r = attr_print(w, 0, ATTR_OUT_STR("request", "ping"));
        r += attr_scan(w, 0, ATTR_IN_INT("status", &num), ATTR_IN_STR("reason", str, 10));
        TAP_OK(r == ATTR_OK && num == 0 && strcmp(vstr_str(str), "ok") == 0,
               "request and reply (%s)", stream_why(w));
        TAP_INT(stream_read_calls(w), 1, "the reply took one read(2)");
        stream_free(w);
        waitpid(pid, NULL, 0);
    }
    vstr_free(str);
}

/*
 * Large transfers: a child writes 1 MB in 1000-byte pieces, which go out
 * in 64 KB chunks, then a 200 KB piece, which goes out directly; the parent
 * reads it all back in large reads.
 */
static void test_large(void)
{
    size_t total = 1 << 20, piece = 1000, done, big = 200000;
    char *data = mem_alloc(total), *back = mem_alloc(total + big);
    int fd[2], r = 0;
    STREAM *w, *rd;
    pid_t pid;
    size_t i;

    for (i = 0; i < total; i++)
        data[i] = (char) (i * 7 + i / 251);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        msg_fatal("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fd[1]);
        w = stream_open(fd[0], 0);
        stream_write_begin(w);
        for (done = 0; done < total; done += piece)
            r |= stream_write(w, data + done, total - done < piece ? total - done : piece);
        r |= stream_write(w, data, big);
        r |= stream_flush(w);
        _exit(r == 0 && stream_write_calls(w) <= total / STREAM_BUFSIZE + 4 ? 0 : 1);
    }
    close(fd[0]);
    rd = stream_open(fd[1], STREAM_CLOSE);
    stream_set_limits(rd, 5000, 0);
    stream_read_begin(rd);
    TAP_INT(stream_read(rd, back, total + big), total + big, "1.2 MB read back");
    TAP_OK(memcmp(back, data, total) == 0 && memcmp(back + total, data, big) == 0,
           "the bytes are intact");
    TAP_INT(stream_read(rd, back, 1), 0, "then EOF");
    TAP_OK(stream_read_calls(rd) < 60, "in large reads (%lu)", stream_read_calls(rd));
    stream_read_end(rd);
    stream_free(rd);
    waitpid(pid, &r, 0);
    TAP_OK(WIFEXITED(r) && WEXITSTATUS(r) == 0, "the writer used at most %zu write(2) calls",
           total / STREAM_BUFSIZE + 4);
    mem_free(data);
    mem_free(back);
}

/* A pipe (not a socket) honours the read deadline too. */
static void test_pipe_deadline(void)
{
    int fd[2], r;
    STREAM *s;
    VSTR *str = vstr_new(0);
    long long start, took;

    if (pipe(fd) < 0)
        msg_fatal("pipe: %s", strerror(errno));
    if (write(fd[1], "a\0b\0", 4) != 4)
        msg_fatal("write: %s", strerror(errno));
    s = stream_open(fd[0], STREAM_CLOSE);
    stream_set_limits(s, 300, 100);
    start = mono_ms();
    r = attr_scan(s, 0, ATTR_IN_STR("a", str, 10));
    took = mono_ms() - start;
    TAP_OK(r == ATTR_ERR && stream_error(s) == STREAM_ERR_TIMEOUT && took >= 250 && took < 1500,
           "a pipe without a terminator times out (%lld ms, %s)", took, stream_why(s));
    stream_free(s);
    close(fd[1]);
    vstr_free(str);
}

/* stream basics not covered above. */
static void test_stream(void)
{
    STREAM *s = stream_open_mem("abc\ndef", 7);
    char buf[8];
    VSTR *v = vstr_new(0);
    size_t n;

    TAP_INT(stream_get_until(s, '\n', v, 10, &n), STREAM_GOT, "get_until finds the delimiter");
    TAP_STR(vstr_str(v), "abc", "get_until stores the token without the delimiter");
    TAP_INT(stream_getc(s), 'd', "getc");
    TAP_INT(stream_read(s, buf, sizeof(buf)), 2, "read stops at EOF");
    TAP_OK(stream_eof(s), "eof");
    TAP_INT(stream_getc(s), -1, "getc at EOF");
    stream_free(s);

    s = stream_open_mem("abcdef", 6);
    TAP_INT(stream_get_until_buf(s, 0, buf, 4, &n), STREAM_TOOLONG, "get_until_buf bounds");
    TAP_STR(buf, "abc", "get_until_buf keeps size - 1 bytes, terminated");
    stream_free(s);

    s = stream_open_mem("abc", 3);
    TAP_INT(stream_get_until(s, 0, NULL, 10, &n), STREAM_END, "EOF before the delimiter");
    TAP_INT(n, 3, "and how many bytes came before it");
    stream_free(s);
    vstr_free(v);
}

int main(void)
{
    msg_init("attr_test", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    test_encoding();
    test_base64();
    test_round_trip();
    test_malformed();
    test_message_limit();
    test_showq_any();
    test_showq_typed();
    test_deadline();
    test_syscalls();
    test_large();
    test_pipe_deadline();
    test_stream();
    return tap_done();
}
