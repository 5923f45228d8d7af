/* attr - the attribute request/reply protocol (attr0 encoding); see attr.h. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "mem.h"
#include "msg.h"

#define NUM_TEXT_MAX 24         /* enough for any long in decimal */

/* ---------------------------------------------------------------- names */

static int name_char_ok(int ch)
{
    return ch > 0x20 && ch < 0x7f;
}

static int name_ok(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len > ATTR_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (!name_char_ok((unsigned char) name[i]))
            return 0;
    return 1;
}

/* A printable, bounded copy of untrusted text for a reason string. */
static const char *printable(char *buf, size_t size, const char *text, size_t len)
{
    size_t i, n = len < size - 1 ? len : size - 4;

    for (i = 0; i < n; i++)
        buf[i] = name_char_ok((unsigned char) text[i]) ? text[i] : '?';
    if (n < len)
        memcpy(buf + n, "...", 3), n += 3;
    buf[n] = 0;
    return buf;
}

/* --------------------------------------------------------------- base64 */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void attr_base64_encode(VSTR *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    char quad[4];
    unsigned long bits;
    size_t i;

    if (len > SIZE_MAX / 2)
        msg_panic("attr_base64_encode: bad length %zu", len);
    vstr_reserve(out, (len + 2) / 3 * 4);
    for (i = 0; i + 2 < len; i += 3) {
        bits = (unsigned long) p[i] << 16 | (unsigned long) p[i + 1] << 8 | p[i + 2];
        quad[0] = b64_chars[bits >> 18 & 63];
        quad[1] = b64_chars[bits >> 12 & 63];
        quad[2] = b64_chars[bits >> 6 & 63];
        quad[3] = b64_chars[bits & 63];
        vstr_addmem(out, quad, 4);
    }
    if (i < len) {
        bits = (unsigned long) p[i] << 16 | (i + 1 < len ? (unsigned long) p[i + 1] << 8 : 0);
        quad[0] = b64_chars[bits >> 18 & 63];
        quad[1] = b64_chars[bits >> 12 & 63];
        quad[2] = i + 1 < len ? b64_chars[bits >> 6 & 63] : '=';
        quad[3] = '=';
        vstr_addmem(out, quad, 4);
    }
}

static int b64_value(int ch)
{
    const char *p;

    if (ch == 0 || (p = strchr(b64_chars, ch)) == NULL)
        return -1;
    return (int) (p - b64_chars);
}

/*
 * Decode in place (the result is never longer than the text). Strict: the
 * length is a multiple of 4, "=" only as padding at the very end, and the
 * bits that padding leaves over are zero, so each byte string has exactly
 * one encoding.
 */
int attr_base64_decode(VSTR *buf)
{
    unsigned char *p = (unsigned char *) vstr_str(buf);
    size_t len = vstr_len(buf), in, out = 0;
    unsigned long bits;
    int v[4], k, pad;

    if (len % 4 != 0)
        return -1;
    for (in = 0; in < len; in += 4) {
        pad = 0;
        for (k = 0; k < 4; k++) {
            if (p[in + k] == '=' && in + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_value(p[in + k])) < 0) {
                return -1;
            }
        }
        bits = (unsigned long) v[0] << 18 | (unsigned long) v[1] << 12
               | (unsigned long) v[2] << 6 | (unsigned long) v[3];
        if ((pad == 1 && (bits & 0xff) != 0) || (pad == 2 && (bits & 0xffff) != 0))
            return -1;
        p[out++] = (unsigned char) (bits >> 16);
        if (pad < 2)
            p[out++] = (unsigned char) (bits >> 8);
        if (pad < 1)
            p[out++] = (unsigned char) bits;
    }
    vstr_truncate(buf, out);
    return 0;
}

/* ------------------------------------------------------------- numbers */

/* Strict decimal: -?(0|[1-9][0-9]*) within [min, max], where min < 0 < max. */
static int parse_number(const char *text, long min, long max, long *result)
{
    const char *p = text;
    int neg = 0;
    unsigned long val = 0, limit, digit;

    if (*p == '-')
        neg = 1, p++;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != 0) || (neg && p[0] == '0'))
        return -1;
    limit = neg ? (unsigned long) -(min + 1) + 1 : (unsigned long) max;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        digit = (unsigned long) (*p - '0');
        if (val > limit / 10 || (val == limit / 10 && digit > limit % 10))
            return -1;
        val = val * 10 + digit;
    }
    *result = neg ? -(long) (val - 1) - 1 : (long) val;
    return 0;
}

/* -------------------------------------------------------------- sending */

/* Where encoded bytes go: a VSTR, or a stream (with its error status). */
typedef struct SINK {
    VSTR *vstr;
    STREAM *stream;
    int err;
} SINK;

static void sink_put(SINK *k, const void *data, size_t len)
{
    if (k->vstr)
        vstr_addmem(k->vstr, data, len);
    else if (!k->err && stream_write(k->stream, data, len) < 0)
        k->err = 1;
}

static void put_name(SINK *k, const char *name)
{
    size_t len;

    if (name == NULL || !name_ok(name, len = strlen(name)))
        msg_panic("attr_print: bad attribute name \"%.*s\"", ATTR_NAME_MAX,
                  name ? name : "(null)");
    sink_put(k, name, len + 1);
}

static void put_str(SINK *k, const char *name, const char *value)
{
    put_name(k, name);
    if (value == NULL)
        msg_panic("attr_print: null value for \"%s\"", name);
    sink_put(k, value, strlen(value) + 1);
}

static void put_num(SINK *k, const char *name, long value)
{
    char buf[NUM_TEXT_MAX];
    int n = snprintf(buf, sizeof(buf), "%ld", value);

    put_name(k, name);
    sink_put(k, buf, (size_t) n + 1);
}

static void put_data(SINK *k, const char *name, const void *data, size_t len)
{
    VSTR *text = vstr_new((len + 2) / 3 * 4);

    if (data == NULL && len > 0)
        msg_panic("attr_print: null data for \"%s\"", name);
    put_name(k, name);
    attr_base64_encode(text, data, len);
    sink_put(k, vstr_str(text), vstr_len(text) + 1);
    vstr_free(text);
}

static void put_hash(SINK *k, const HTABLE *table)
{
    const char **keys, **key;

    if (table == NULL)
        msg_panic("attr_print: null hash table");
    keys = htable_keys(table);
    for (key = keys; *key; key++)
        put_str(k, *key, htable_get(table, *key));
    mem_free(keys);
}

static void check_flags(const char *myname, int flags, int allowed)
{
    if (flags & ~allowed)
        msg_panic("%s: bad flags 0x%x", myname, (unsigned) flags);
}

static void encode(SINK *k, int flags, const ATTR_OUT *list)
{
    const ATTR_OUT *it;

    for (it = list; it->type != ATTR_TYPE_END; it++) {
        switch (it->type) {
        case ATTR_TYPE_STR:
            put_str(k, it->name, it->u.str);
            break;
        case ATTR_TYPE_INT:
            put_num(k, it->name, it->u.num);
            break;
        case ATTR_TYPE_LONG:
            put_num(k, it->name, it->u.lnum);
            break;
        case ATTR_TYPE_DATA:
            put_data(k, it->name, it->u.data.ptr, it->u.data.len);
            break;
        case ATTR_TYPE_HASH:
            put_hash(k, it->u.hash);
            break;
        default:
            msg_panic("attr_print: bad item type %d", it->type);
        }
    }
    if (!(flags & ATTR_MORE))
        sink_put(k, "", 1);
}

void attr_encode_list(VSTR *out, int flags, const ATTR_OUT *list)
{
    SINK k = { out, NULL, 0 };

    check_flags("attr_encode", flags, ATTR_MORE);
    encode(&k, flags, list);
}

void attr_encode_pairs(VSTR *out, int flags, const ARGV *pairs)
{
    SINK k = { out, NULL, 0 };
    size_t i;

    check_flags("attr_encode_pairs", flags, ATTR_MORE);
    if (pairs->argc % 2 != 0)
        msg_panic("attr_encode_pairs: odd number of strings");
    for (i = 0; i < pairs->argc; i += 2)
        put_str(&k, pairs->argv[i], pairs->argv[i + 1]);
    if (!(flags & ATTR_MORE))
        sink_put(&k, "", 1);
}

/*
 * Send the encoded list (NULL: the terminator alone) under the write
 * deadline, armed when a message starts; flush a complete message unless
 * told not to.
 */
static int print_common(STREAM *s, int flags, const ATTR_OUT *list)
{
    SINK k = { NULL, s, 0 };

    if (!stream_writing(s))
        stream_write_begin(s);
    if (list)
        encode(&k, flags, list);
    else
        sink_put(&k, "", 1);
    if (!k.err && !(flags & (ATTR_MORE | ATTR_NOFLUSH)) && stream_flush(s) < 0)
        k.err = 1;
    if (k.err || !(flags & ATTR_MORE))
        stream_write_end(s);
    return k.err ? -1 : 0;
}

int attr_print_list(STREAM *s, int flags, const ATTR_OUT *list)
{
    check_flags("attr_print", flags, ATTR_MORE | ATTR_NOFLUSH);
    return print_common(s, flags, list);
}

int attr_print_end(STREAM *s, int flags)
{
    check_flags("attr_print_end", flags, ATTR_NOFLUSH);
    return print_common(s, flags, NULL);
}

int attr_flush(STREAM *s)
{
    int r;

    stream_write_begin(s);
    r = stream_flush(s);
    stream_write_end(s);
    return r;
}

/* ------------------------------------------------------------ receiving */

__attribute__((format(printf, 2, 3)))
static int scan_fail(STREAM *s, const char *fmt, ...)
{
    VSTR *why = vstr_new(0);
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(why, fmt, ap);
    va_end(ap);
    stream_set_why(s, STREAM_ERR_PROTO, "%s", vstr_str(why));
    vstr_free(why);
    stream_read_end(s);
    return ATTR_ERR;
}

/* A stream failure (I/O, timeout, limit) inside a message. */
static int stream_fail(STREAM *s)
{
    stream_read_end(s);
    return ATTR_ERR;
}

/*
 * Read a name into buf[ATTR_NAME_MAX + 1]. Returns 1 with a name, 0 at the
 * terminator, ATTR_EOF at EOF before the first byte when at_start, else
 * ATTR_ERR.
 */
static int read_name(STREAM *s, char *buf, int at_start)
{
    char shown[40];
    size_t len;
    int r;

    r = stream_get_until_buf(s, 0, buf, ATTR_NAME_MAX + 1, &len);
    if (r == STREAM_GOT) {
        if (len == 0)
            return 0;
        if (!name_ok(buf, len))
            return scan_fail(s, "malformed attribute name \"%s\"",
                             printable(shown, sizeof(shown), buf, len));
        return 1;
    }
    if (r == STREAM_TOOLONG)
        return scan_fail(s, "attribute name \"%s\" is longer than %d bytes",
                         printable(shown, sizeof(shown), buf, len), ATTR_NAME_MAX);
    if (r == STREAM_FAIL)
        return stream_fail(s);
    if (len == 0 && at_start) {
        stream_read_end(s);
        return ATTR_EOF;
    }
    return scan_fail(s, "unexpected end of input in a message");
}

/* Read a value of at most max bytes; into out (NULL: discard). */
static int read_value(STREAM *s, const char *name, VSTR *out, size_t max)
{
    int r;

    r = stream_get_until(s, 0, out, max, NULL);
    if (r == STREAM_GOT)
        return 0;
    if (r == STREAM_TOOLONG)
        return scan_fail(s, "value of attribute \"%s\" is longer than %zu bytes", name, max);
    if (r == STREAM_FAIL)
        return stream_fail(s);
    return scan_fail(s, "unexpected end of input in the value of attribute \"%s\"", name);
}

static int read_number(STREAM *s, const char *name, long min, long max, long *result)
{
    char buf[NUM_TEXT_MAX + 1], shown[40];
    size_t len;
    int r;

    r = stream_get_until_buf(s, 0, buf, sizeof(buf), &len);
    if (r == STREAM_FAIL)
        return stream_fail(s);
    if (r == STREAM_END)
        return scan_fail(s, "unexpected end of input in the value of attribute \"%s\"", name);
    if (r == STREAM_TOOLONG || parse_number(buf, min, max, result) < 0)
        return scan_fail(s, "attribute \"%s\": bad number \"%s\"", name,
                         printable(shown, sizeof(shown), buf, len));
    return 0;
}

/* Read the value of a listed item into its target. */
static int read_item(STREAM *s, const ATTR_IN *it, VSTR **scratch)
{
    long num = 0;

    switch (it->type) {
    case ATTR_TYPE_STR:
        vstr_reset(it->u.str);
        return read_value(s, it->name, it->u.str, it->max);
    case ATTR_TYPE_DATA:
        vstr_reset(it->u.str);
        if (it->max > (SIZE_MAX / 4 - 3) / 4 * 3)
            msg_panic("attr_scan: bad max %zu for \"%s\"", it->max, it->name);
        if (read_value(s, it->name, it->u.str, (it->max + 2) / 3 * 4) < 0)
            return ATTR_ERR;
        if (attr_base64_decode(it->u.str) < 0)
            return scan_fail(s, "attribute \"%s\": malformed base64 data", it->name);
        if (vstr_len(it->u.str) > it->max)
            return scan_fail(s, "value of attribute \"%s\" is longer than %zu bytes",
                             it->name, it->max);
        return 0;
    case ATTR_TYPE_INT:
        if (read_number(s, it->name, INT_MIN, INT_MAX, &num) < 0)
            return ATTR_ERR;
        *it->u.num = (int) num;
        return 0;
    case ATTR_TYPE_LONG:
        return read_number(s, it->name, LONG_MIN, LONG_MAX, it->u.lnum) < 0 ? ATTR_ERR : 0;
    case ATTR_TYPE_STREQ:
        if (*scratch == NULL)
            *scratch = vstr_new(0);
        vstr_reset(*scratch);
        if (read_value(s, it->name, *scratch, strlen(it->u.streq)) < 0)
            return ATTR_ERR;
        if (strcmp(vstr_str(*scratch), it->u.streq) != 0)
            return scan_fail(s, "attribute \"%s\": expected \"%s\"", it->name, it->u.streq);
        return 0;
    default:
        msg_panic("attr_scan: bad item type %d", it->type);
    }
}

/* An attribute that is not in the list: into the hash, skipped, or refused. */
static int read_extra(STREAM *s, int flags, const ATTR_IN *hash, const char *name,
                      VSTR **scratch)
{
    if (hash) {
        if (htable_has(hash->u.hash, name))
            return scan_fail(s, "duplicate attribute \"%s\"", name);
        if (*scratch == NULL)
            *scratch = vstr_new(0);
        vstr_reset(*scratch);
        if (read_value(s, name, *scratch, hash->max) < 0)
            return ATTR_ERR;
        htable_put(hash->u.hash, name, mem_strdup(vstr_str(*scratch)));
        return 0;
    }
    if (flags & ATTR_EXTRA)
        return read_value(s, name, NULL, SIZE_MAX);
    return scan_fail(s, "unexpected attribute \"%s\"", name);
}

/* Check the list once per call: a programming error here is a panic. */
static size_t check_list(int flags, const ATTR_IN *list, const ATTR_IN **hash)
{
    size_t n, i;

    check_flags("attr_scan", flags, ATTR_MORE | ATTR_EXTRA);
    *hash = NULL;
    for (n = 0; list[n].type != ATTR_TYPE_END; n++) {
        const ATTR_IN *it = list + n;

        if (n >= ATTR_LIST_MAX)
            msg_panic("attr_scan: more than %d items", ATTR_LIST_MAX);
        if (it->type == ATTR_TYPE_HASH) {
            if (*hash || (flags & ATTR_MORE) || it->u.hash == NULL)
                msg_panic("attr_scan: bad hash item");
            *hash = it;
            continue;
        }
        if (it->name == NULL || !name_ok(it->name, strlen(it->name))
            || it->u.str == NULL)
            msg_panic("attr_scan: bad item \"%s\"", it->name ? it->name : "(null)");
        if ((flags & ATTR_MORE) && (it->flags & ATTR_ITEM_OPTIONAL))
            msg_panic("attr_scan: optional item \"%s\" with ATTR_MORE", it->name);
        for (i = 0; i < n; i++)
            if (list[i].type != ATTR_TYPE_HASH && strcmp(list[i].name, it->name) == 0)
                msg_panic("attr_scan: item \"%s\" listed twice", it->name);
    }
    if ((flags & ATTR_MORE) && n == 0)
        msg_panic("attr_scan: ATTR_MORE with an empty list");
    return n;
}

static int scan_body(STREAM *s, int flags, const ATTR_IN *list, size_t n,
                     const ATTR_IN *hash, VSTR **scratch)
{
    char name[ATTR_NAME_MAX + 1];
    unsigned char seen[ATTR_LIST_MAX];
    size_t need = 0, got = 0, i;
    int at_start, r, any = 0;

    for (i = 0; i < n; i++) {
        seen[i] = 0;
        if (list[i].type != ATTR_TYPE_HASH)
            need++;
    }
    at_start = !stream_reading(s);
    if (at_start)
        stream_read_begin(s);
    for (;;) {
        if ((flags & ATTR_MORE) && got == need)
            return ATTR_OK;
        r = read_name(s, name, at_start && !any);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        any = 1;
        for (i = 0; i < n; i++)
            if (list[i].type != ATTR_TYPE_HASH && strcmp(list[i].name, name) == 0)
                break;
        if (i == n) {
            if (read_extra(s, flags, hash, name, scratch) < 0)
                return ATTR_ERR;
            continue;
        }
        if (seen[i])
            return scan_fail(s, "duplicate attribute \"%s\"", name);
        seen[i] = 1;
        got++;
        if (read_item(s, list + i, scratch) < 0)
            return ATTR_ERR;
    }
    /* The terminator. */
    stream_read_end(s);
    if ((flags & ATTR_MORE) && got == 0)
        return ATTR_ENDED;
    for (i = 0; i < n; i++)
        if (!seen[i] && list[i].type != ATTR_TYPE_HASH
            && !(list[i].flags & ATTR_ITEM_OPTIONAL))
            return scan_fail(s, "missing attribute \"%s\"", list[i].name);
    return ATTR_OK;
}

int attr_scan_list(STREAM *s, int flags, const ATTR_IN *list)
{
    const ATTR_IN *hash;
    VSTR *scratch = NULL;
    size_t n;
    int r;

    n = check_list(flags, list, &hash);
    r = scan_body(s, flags, list, n, hash, &scratch);
    vstr_free(scratch);
    return r;
}

int attr_scan_any(STREAM *s, ARGV *pairs, size_t value_max)
{
    char name[ATTR_NAME_MAX + 1];
    VSTR *value = vstr_new(0);
    int r, any = 0, at_start;

    at_start = !stream_reading(s);
    if (at_start)
        stream_read_begin(s);
    for (;;) {
        r = read_name(s, name, at_start && !any);
        if (r <= 0)
            break;
        any = 1;
        vstr_reset(value);
        if ((r = read_value(s, name, value, value_max)) < 0)
            break;
        argv_add(pairs, name);
        argv_add(pairs, vstr_str(value));
    }
    vstr_free(value);
    if (r == 0) {
        stream_read_end(s);
        return ATTR_OK;
    }
    return r;
}
