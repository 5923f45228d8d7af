/*
 * Unit tests for smtpd/smtpd_data.c: DATA framing and the SMTP smuggling
 * variants (only CR LF . CR LF ends DATA), dot-unstuffing, bare CR/LF
 * normalised or flagged, the size limit, BDAT pieces split anywhere, and
 * that nothing past the end marker is consumed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../smtpd/smtpd.h"
#include "../../smtpd/smtpd_data.h"
#include "mem.h"
#include "stream.h"
#include "tap.h"

/* Lines joined with "|" for comparison. */
static void collect(void *ctx, const char *text, size_t len)
{
    VSTR *out = ctx;

    if (vstr_len(out))
        vstr_addch(out, '|');
    vstr_addmem(out, text, len);
}

typedef struct CASE {
    const char *name;
    const char *in;
    int done;           /* end marker found */
    const char *lines;
    int bare;
    const char *after;  /* what stays in the stream */
} CASE;

static void run_dot(const CASE *c, int bare_mode, size_t chunk)
{
    VSTR *out = vstr_new(0), *rest = vstr_new(0);
    SMTPD_DATA *d = smtpd_data_new(SMTPD_DATA_DOT, 0, bare_mode, collect, out);
    STREAM *s = stream_open_mem(c->in, strlen(c->in));
    int r;

    if (chunk)
        stream_set_mem_chunk(s, chunk);
    r = smtpd_data_read_dot(d, s, NULL, NULL);
    TAP_INT(r, c->done, "%s: end marker (chunk %zu)", c->name, chunk);
    TAP_STR(vstr_str(out), c->lines, "%s: lines (chunk %zu)", c->name, chunk);
    TAP_INT(d->bare, c->bare, "%s: bare flag", c->name);
    stream_get_until(s, 0, rest, 1000, NULL);
    TAP_STR(vstr_str(rest), c->after, "%s: rest of the stream", c->name);
    stream_free(s);
    smtpd_data_free(d);
    vstr_free(out);
    vstr_free(rest);
}

static const CASE dot_cases[] = {
    {"plain", "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 1, "Subject: x||body", 0, "QUIT\r\n"},
    {"empty", ".\r\nQUIT\r\n", 1, "", 0, "QUIT\r\n"},
    {"dot-stuffed", "..leading\r\n...\r\n.\r\n", 1, ".leading|..", 0, ""},
    {"LF.LF smuggling", "a\n.\nMAIL FROM:<x@y>\r\n.\r\nNEXT", 1, "a|.|MAIL FROM:<x@y>", 1, "NEXT"},
    {"LF.CRLF smuggling", "a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n", 1, "a|.|MAIL FROM:<x@y>", 1, ""},
    {"CRLF.LF smuggling", "a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n", 1, "a|.|MAIL FROM:<x@y>", 1, ""},
    {"CR.CR smuggling", "a\r.\rMAIL FROM:<x@y>\r\n.\r\n", 1, "a|.|MAIL FROM:<x@y>", 1, ""},
    {"CRLF.CR smuggling", "a\r\n.\rMAIL FROM:<x@y>\r\n.\r\n", 1, "a|.|MAIL FROM:<x@y>", 1, ""},
    {"bare CR inside", "a\rb\r\n.\r\n", 1, "a|b", 1, ""},
    {"EOF before the end", "a\r\nb\r\n", 0, "a|b", 0, ""},
    {"dot without CRLF at EOF", "a\r\n.", 0, "a", 0, ""},
    {"8-bit and NUL pass", "caf\xc3\xa9\r\n.\r\n", 1, "caf\xc3\xa9", 0, ""},
};

static void test_dot(void)
{
    size_t i;

    for (i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++) {
        run_dot(&dot_cases[i], SMTPD_BARE_NORMALIZE, 0);
        run_dot(&dot_cases[i], SMTPD_BARE_NORMALIZE, 1);
    }
}

static void test_reject_mode(void)
{
    VSTR *out = vstr_new(0);
    const char *in = "ok\r\nbad\nline\r\n.\r\n";
    SMTPD_DATA *d = smtpd_data_new(SMTPD_DATA_DOT, 0, SMTPD_BARE_REJECT, collect, out);
    STREAM *s = stream_open_mem(in, strlen(in));

    TAP_INT(smtpd_data_read_dot(d, s, NULL, NULL), 1, "reject mode: still ends at CRLF.CRLF");
    TAP_INT(d->bare, 1, "reject mode: bare LF flagged");
    TAP_STR(vstr_str(out), "ok", "reject mode: no line goes out after a bare LF");
    stream_free(s);
    smtpd_data_free(d);
    vstr_free(out);
}

static void test_limit(void)
{
    VSTR *out = vstr_new(0), *big = vstr_new(0);
    SMTPD_DATA *d;
    STREAM *s;
    int i;

    for (i = 0; i < 100; i++)
        vstr_adds(big, "0123456789012345678901234567890123456789\r\n");
    vstr_adds(big, ".\r\nQUIT\r\n");
    d = smtpd_data_new(SMTPD_DATA_DOT, 1000, SMTPD_BARE_NORMALIZE, collect, out);
    s = stream_open_mem(vstr_str(big), vstr_len(big));
    TAP_INT(smtpd_data_read_dot(d, s, NULL, NULL), 1, "limit: the end is still found");
    TAP_INT(d->too_big, 1, "limit: too big");
    TAP_OK(vstr_len(out) < 1000, "limit: output bounded (%zu)", vstr_len(out));
    stream_free(s);
    smtpd_data_free(d);

    /* One endless line: memory stays bounded by the limit. */
    vstr_reset(big);
    vstr_reset(out);
    for (i = 0; i < 200000; i++)
        vstr_addch(big, 'x');
    vstr_adds(big, "\r\n.\r\n");
    d = smtpd_data_new(SMTPD_DATA_DOT, 10000, SMTPD_BARE_NORMALIZE, collect, out);
    s = stream_open_mem(vstr_str(big), vstr_len(big));
    TAP_INT(smtpd_data_read_dot(d, s, NULL, NULL), 1, "long line: end found");
    TAP_INT(d->too_big, 1, "long line: too big");
    TAP_OK(d->line->cap < 70000, "long line: buffer bounded (%zu)", d->line->cap);
    stream_free(s);
    smtpd_data_free(d);
    vstr_free(out);
    vstr_free(big);
}

static void test_bdat(void)
{
    const char *in = "a\r\nb\nc\r\r\n.\r\nlast";
    size_t len = strlen(in), split;

    /* Any split of the content gives the same lines. */
    for (split = 0; split <= len; split++) {
        VSTR *out = vstr_new(0);
        SMTPD_DATA *d = smtpd_data_new(SMTPD_DATA_RAW, 0, SMTPD_BARE_NORMALIZE, collect, out);

        smtpd_data_feed(d, in, split);
        smtpd_data_feed(d, in + split, len - split);
        smtpd_data_finish(d);
        TAP_STR(vstr_str(out), "a|b|c||.|last", "BDAT split at %zu", split);
        smtpd_data_free(d);
        vstr_free(out);
    }
}

int main(void)
{
    test_dot();
    test_reject_mode();
    test_limit();
    test_bdat();
    return tap_done();
}
