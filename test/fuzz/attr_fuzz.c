/*
 * attr_fuzz - libFuzzer target for lib/attr (and the read side of
 * lib/stream), built with clang -fsanitize=fuzzer,address,undefined by
 * test/e2e/fuzz_attr.sh, not by the automake build.
 *
 * Each input is read as a stream of messages in four ways: schema-less
 * (attr_scan_any, with a large and a tiny message limit), with a strict
 * typed schema, with ATTR_EXTRA and a hash,
 * and as a showq listing with ATTR_MORE groups. Besides the sanitizers,
 * two properties are checked (abort() when they fail):
 *   - a message that attr_scan_any() accepts re-encodes to exactly the
 *     bytes it was read from;
 *   - the outcome is the same when the input arrives in one piece, byte by
 *     byte, or in pieces of a few bytes (refills inside names and values);
 *   - a message accepted by the typed schema, printed again from the typed
 *     values, is accepted again with the same values.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "attr.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "stream.h"
#include "vstr.h"

#define MSG_LIMIT 4096
#define MAX_MESSAGES 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check(int cond, const char *what)
{
    if (!cond) {
        msg_info("property failed: %s", what);
        abort();
    }
}

static STREAM *open_input_limit(const uint8_t *data, size_t len, size_t limit)
{
    STREAM *s = stream_open_mem(data, len);

    stream_set_limits(s, 0, limit);
    return s;
}

static STREAM *open_input(const uint8_t *data, size_t len)
{
    return open_input_limit(data, len, MSG_LIMIT);
}

/*
 * Schema-less: every accepted message re-encodes to its own bytes, and the
 * transcript (results and messages) is the same whether the input arrives
 * at once or in small pieces.
 */
static void fuzz_any(const uint8_t *data, size_t len, size_t limit, size_t chunk, VSTR *log)
{
    STREAM *s = stream_open_mem(data, len);
    VSTR *again = vstr_new(0);
    ARGV *pairs;
    size_t start = 0, end;
    int i, r;

    stream_set_limits(s, 0, limit);
    if (chunk)
        stream_set_mem_chunk(s, chunk);
    for (i = 0; i < MAX_MESSAGES; i++) {
        pairs = argv_new();
        r = attr_scan_any(s, pairs, 1000);
        vstr_printf(log, "%d:", r);
        if (r == ATTR_OK) {
            vstr_reset(again);
            attr_encode_pairs(again, 0, pairs);
            vstr_addmem(log, vstr_str(again), vstr_len(again));
            end = start + vstr_len(again);
            check(end <= len && memcmp(vstr_str(again), data + start, vstr_len(again)) == 0,
                  "attr_scan_any round trip");
            start = end;
        } else if (r == ATTR_ERR) {
            vstr_adds(log, stream_why(s));
        }
        argv_free(pairs);
        if (r != ATTR_OK)
            break;
    }
    if (chunk == 0)
        check(r != ATTR_OK || start == len - stream_buffered(s), "consumed what was parsed");
    vstr_free(again);
    stream_free(s);
}

static void fuzz_any_chunks(const uint8_t *data, size_t len, size_t limit)
{
    VSTR *whole = vstr_new(0), *bytes = vstr_new(0), *pieces = vstr_new(0);

    fuzz_any(data, len, limit, 0, whole);
    fuzz_any(data, len, limit, 1, bytes);
    fuzz_any(data, len, limit, len % 13 + 2, pieces);
    check(vstr_len(whole) == vstr_len(bytes)
          && memcmp(vstr_str(whole), vstr_str(bytes), vstr_len(whole)) == 0,
          "same transcript read byte by byte");
    check(vstr_len(whole) == vstr_len(pieces)
          && memcmp(vstr_str(whole), vstr_str(pieces), vstr_len(whole)) == 0,
          "same transcript read in pieces");
    vstr_free(whole);
    vstr_free(bytes);
    vstr_free(pieces);
}

/* A strict typed schema; accepted values survive print and scan again. */
typedef struct VALUES {
    VSTR *str, *data, *opt;
    int num;
    long big;
} VALUES;

static int scan_values(STREAM *s, int flags, VALUES *v, HTABLE *hash)
{
    if (hash)
        return attr_scan(s, flags, ATTR_IN_STR("str", v->str, 200), ATTR_IN_INT("num", &v->num),
                         ATTR_IN_LONG("big", &v->big), ATTR_IN_DATA("data", v->data, 100),
                         attr_optional(ATTR_IN_STR("opt", v->opt, 20)),
                         attr_optional(ATTR_IN_STREQ("protocol", "fuzz")),
                         ATTR_IN_HASH(hash, 50));
    return attr_scan(s, flags, ATTR_IN_STR("str", v->str, 200), ATTR_IN_INT("num", &v->num),
                     ATTR_IN_LONG("big", &v->big), ATTR_IN_DATA("data", v->data, 100),
                     attr_optional(ATTR_IN_STR("opt", v->opt, 20)),
                     attr_optional(ATTR_IN_STREQ("protocol", "fuzz")));
}

static void values_init(VALUES *v)
{
    v->str = vstr_new(0);
    v->data = vstr_new(0);
    v->opt = vstr_new(0);
    v->num = 0;
    v->big = 0;
}

static void values_free(VALUES *v)
{
    vstr_free(v->str);
    vstr_free(v->data);
    vstr_free(v->opt);
}

static void fuzz_typed(const uint8_t *data, size_t len, int flags, int with_hash)
{
    STREAM *s = open_input(data, len), *s2;
    VALUES v, w;
    VSTR *msg = vstr_new(0);
    HTABLE *hash, *hash2;
    int i, r;

    values_init(&v);
    values_init(&w);
    for (i = 0; i < MAX_MESSAGES; i++) {
        hash = with_hash ? htable_new(4) : NULL;
        vstr_reset(v.opt);
        r = scan_values(s, flags, &v, hash);
        if (r == ATTR_OK) {
            vstr_reset(msg);
            attr_encode(msg, 0, ATTR_OUT_STR("str", vstr_str(v.str)), ATTR_OUT_INT("num", v.num),
                        ATTR_OUT_LONG("big", v.big),
                        ATTR_OUT_DATA("data", vstr_str(v.data), vstr_len(v.data)),
                        ATTR_OUT_STR("opt", vstr_str(v.opt)));
            if (hash)
                attr_encode(msg, 0, ATTR_OUT_HASH(hash));
            /* The hash went out as a second message; read it as extras. */
            s2 = open_input((const uint8_t *) vstr_str(msg), vstr_len(msg));
            hash2 = with_hash ? htable_new(4) : NULL;
            check(scan_values(s2, 0, &w, NULL) == ATTR_OK, "typed re-scan");
            check(vstr_len(w.str) == vstr_len(v.str)
                  && memcmp(vstr_str(w.str), vstr_str(v.str), vstr_len(v.str)) == 0
                  && vstr_len(w.data) == vstr_len(v.data)
                  && memcmp(vstr_str(w.data), vstr_str(v.data), vstr_len(v.data)) == 0
                  && strcmp(vstr_str(w.opt), vstr_str(v.opt)) == 0 && w.num == v.num
                  && w.big == v.big,
                  "typed values survive a round trip");
            if (hash) {
                check(attr_scan(s2, 0, ATTR_IN_HASH(hash2, 50)) == ATTR_OK
                      && hash2->used == hash->used, "hash round trip");
            }
            stream_free(s2);
            if (hash2)
                htable_free(hash2, mem_free);
        }
        if (hash)
            htable_free(hash, mem_free);
        if (r != ATTR_OK)
            break;
    }
    values_free(&v);
    values_free(&w);
    vstr_free(msg);
    stream_free(s);
}

/* A showq listing: announcement, then header groups and recipient groups. */
static void fuzz_showq(const uint8_t *data, size_t len)
{
    STREAM *s = open_input(data, len);
    VSTR *a = vstr_new(0), *b = vstr_new(0), *c = vstr_new(0);
    long t, size;
    int fe, r, n = 0;

    r = attr_scan(s, 0, ATTR_IN_STREQ("protocol", "mail_queue_list_protocol"));
    while (r == ATTR_OK && n++ < MAX_MESSAGES) {
        r = attr_scan(s, ATTR_MORE, ATTR_IN_STR("queue_name", a, 20),
                      ATTR_IN_STR("queue_id", b, 64), ATTR_IN_LONG("time", &t),
                      ATTR_IN_LONG("size", &size), ATTR_IN_INT("forced_expire", &fe),
                      ATTR_IN_STR("sender", c, 1000));
        if (r != ATTR_OK)
            break;
        while ((r = attr_scan(s, ATTR_MORE, ATTR_IN_STR("recipient", a, 1000),
                              ATTR_IN_STR("reason", b, 1000))) == ATTR_OK)
            ;
        if (r == ATTR_ENDED)
            r = ATTR_OK;
    }
    vstr_free(a);
    vstr_free(b);
    vstr_free(c);
    stream_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    msg_init("attr_fuzz", MSG_OUT_STDERR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    fuzz_any_chunks(data, len, MSG_LIMIT);
    fuzz_any_chunks(data, len, 40);
    fuzz_typed(data, len, 0, 0);
    fuzz_typed(data, len, ATTR_EXTRA, 0);
    fuzz_typed(data, len, 0, 1);
    fuzz_showq(data, len);
    return 0;
}
