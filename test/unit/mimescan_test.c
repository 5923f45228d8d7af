/*
 * mimescan_test - the header/body classification of lib/mimescan.c, with
 * and without MIME, for well-formed, malformed and oversized messages.
 * Each line is shown as H<kind> (a header begins; kind 1 message, 2 MIME
 * part, 3 attached message), C (continuation), E (ends a header block) or
 * B (body).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mimescan.h"
#include "vstr.h"

#include "tap.h"

/* Classify the lines of text ('\n'-separated) into out. */
static const char *scan(int mime, const char *text, VSTR *out)
{
    MIMESCAN *m = mimescan_new(mime);
    char *copy = mem_strdup(text), *line, *next;
    int cls;

    vstr_reset(out);
    for (line = copy; line != NULL; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = 0;
        if (next == NULL && *line == 0)
            break;
        cls = mimescan_line(m, line);
        if (vstr_len(out))
            vstr_addch(out, ' ');
        if (cls == MIMESCAN_HEADER)
            vstr_printf(out, "H%d", mimescan_kind(m));
        else
            vstr_addch(out, cls == MIMESCAN_CONT ? 'C' : cls == MIMESCAN_END ? 'E' : 'B');
    }
    mimescan_free(m);
    mem_free(copy);
    return vstr_str(out);
}

static const char multipart[] =
    "From: a@example.com\n"
    "Content-Type: multipart/mixed;\n"
    "\tboundary=\"XX\"\n"
    "\n"
    "preamble\n"
    "--XX\n"
    "Content-Type: text/plain\n"
    "\n"
    "body --XX inside\n"
    "--XX\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@example.com\n"
    "Subject: inner\n"
    "\n"
    "inner body\n"
    "--XX--\n"
    "epilogue\n"
    "--XX\n"
    "Not-A-Header: after the close\n";

static void test_cases(void)
{
    static const struct {
        int mime;
        const char *text;
        const char *want;
        const char *what;
    } cases[] = {
        {0, multipart, "H1 H1 C E B B B B B B B B B B B B B B B B", "no MIME: one header block"},
        {1, multipart, "H1 H1 C E B B H2 E B B H2 E H3 H3 E B B B B B",
         "MIME: part headers, attached message headers, the close ends it"},
        {1, "Content-Type: message/rfc822\n\nFrom: x\n\nbody\n", "H1 E H3 E B",
         "a message/rfc822 message: its body starts with headers"},
        {1, "Content-Type: MULTIPART/alternative; BOUNDARY=b1\n\n--b1\nA: 1\n\n--b1--\n",
         "H1 E B H2 E B", "type and parameter names are case-insensitive; unquoted boundary"},
        {1, "Content-Type: multipart/mixed; charset=x; boundary=\"a b;c\"\n\n--a b;c\nA: 1\n\n",
         "H1 E B H2 E", "a quoted boundary with blanks and ';'"},
        {1, "Content-Type: multipart/mixed (comment); boundary=(c)\"q\"\n\n--q\nA: 1\n",
         "H1 E B H2", "comments around the parameter"},
        {1, "Content-Type: multipart/mixed\n\n--\nA: 1\n", "H1 E B B", "no boundary: plain body"},
        {1, "Content-Type: multipart/mixed; boundary=\"\"\n\n--\nA: 1\n", "H1 E B B",
         "an empty boundary: plain body"},
        {1, "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; "
            "boundary=i\n\n--i\nB: 1\n\n--o\nC: 1\n\n--i\nD: 1\n",
         "H1 E B H2 E B H2 E B H2 E B B",
         "closing the outer part by a new outer boundary forgets the inner one"},
        {1, "Content-Type: multipart/mixed; boundary=o\n\n--o\nnot a header\n--o\nA: 1\n",
         "H1 E B E B H2", "a part without headers"},
        {1, "Content-Type: multipart/mixed; boundary=o\n\n--oX\n--o\nA: 1\n--o--x\nB: 1\n",
         "H1 E B E H2 E B", "a boundary is a prefix; it may end a header block"},
        {1, "A: 1\n B\n\tC\nD: 2\nno colon\nE: 3\n", "H1 C C H1 E B", "continuations; a non-header ends the block"},
        {1, " leading space\nA: 1\n", "E B", "a first line that is a continuation is the body"},
        {1, ": no name\n", "E", "a line with an empty name is not a header"},
        {1, "", "", "an empty message"},
    };
    VSTR *out = vstr_new(100);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        TAP_STR(scan(cases[i].mime, cases[i].text, out), cases[i].want, "%s", cases[i].what);
    vstr_free(out);
}

/* Oversized and hostile input: bounded, no crash. */
static void test_bounds(void)
{
    VSTR *text = vstr_new(0), *out = vstr_new(0), *want = vstr_new(0);
    MIMESCAN *m;
    char *big;
    size_t i;
    int cls, bad;

    /* 150 nested multiparts: the ones past the limit are plain body. */
    for (i = 0; i < 150; i++)
        vstr_printf(text, "Content-Type: multipart/mixed; boundary=b%03zu\n\n--b%03zu\n", i, i);
    scan(1, vstr_str(text), out);
    for (i = 0; i < 150; i++)
        vstr_printf(want, "%s%s", i ? " " : "",
                    i == 0 ? "H1 E B" : i <= MIMESCAN_DEPTH_MAX ? "H2 E B" : "B B B");
    TAP_STR(vstr_str(out), vstr_str(want), "nesting: %d levels parsed, deeper ones plain body",
            MIMESCAN_DEPTH_MAX);

    /* A boundary longer than the limit is ignored. */
    big = mem_alloc(MIMESCAN_BOUNDARY_MAX + 2);
    memset(big, 'b', MIMESCAN_BOUNDARY_MAX + 1);
    big[MIMESCAN_BOUNDARY_MAX + 1] = 0;
    vstr_reset(text);
    vstr_printf(text, "Content-Type: multipart/mixed; boundary=%s\n\n--%s\nA: 1\n", big, big);
    TAP_STR(scan(1, vstr_str(text), out), "H1 E B B", "an over-long boundary is ignored");
    big[MIMESCAN_BOUNDARY_MAX] = 0;
    vstr_reset(text);
    vstr_printf(text, "Content-Type: multipart/mixed; boundary=%s\n\n--%s\nA: 1\n", big, big);
    TAP_STR(scan(1, vstr_str(text), out), "H1 E B H2", "a boundary of the longest length is used");
    mem_free(big);

    /* A 4 MB header with many continuations: kept bounded, still one header. */
    m = mimescan_new(1);
    big = mem_alloc(1024 * 1024 + 1);
    memset(big, 'x', 1024 * 1024);
    big[1024 * 1024] = 0;
    big[0] = ' ';
    cls = mimescan_line(m, "Content-Type: multipart/mixed;");
    bad = cls != MIMESCAN_HEADER;
    for (i = 0; i < 4; i++)
        bad |= mimescan_line(m, big) != MIMESCAN_CONT;
    bad |= mimescan_line(m, "") != MIMESCAN_END;
    bad |= mimescan_line(m, "--x") != MIMESCAN_BODY;
    TAP_OK(!bad, "a 4 MB header: continuation lines, then the end; its boundary is not seen");
    mimescan_free(m);
    mem_free(big);

    /* Random lines from a small alphabet: every answer is one of the four. */
    m = mimescan_new(1);
    srand(7);
    bad = 0;
    for (i = 0; i < 20000; i++) {
        static const char *const pieces[] = {"--", "b", "Content-Type:", " multipart/x; boundary=b",
                                             " message/rfc822", ":", " ", "\t", "x", "\"", "(", ";"};
        char line[64] = "";
        int n = rand() % 6, j;

        for (j = 0; j < n; j++)
            strncat(line, pieces[rand() % 12], sizeof(line) - strlen(line) - 1);
        cls = mimescan_line(m, line);
        bad |= cls < MIMESCAN_HEADER || cls > MIMESCAN_BODY;
    }
    TAP_OK(!bad, "20000 random lines: always a valid answer");
    mimescan_free(m);
    vstr_free(text);
    vstr_free(out);
    vstr_free(want);
}

int main(void)
{
    test_cases();
    test_bounds();
    return tap_done();
}
