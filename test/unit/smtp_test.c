/*
 * smtp_test - the smtp client's pieces without a network: next-hop
 * parsing, enhanced status codes, xtext, and reply reading over a
 * socketpair (multi-line, malformed, oversized, too many lines, timeout).
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "smtp_addr.h"
#include "smtp_conn.h"
#include "smtp_checks.h"
#include "smtp_generic.h"
#include "smtp_mime.h"
#include "smtp_proto.h"
#include "tap.h"
#include "vstr.h"

static void test_dest(void)
{
    static const struct {
        const char *hop;
        int lmtp;
        int ok;
        const char *name;
        unsigned port;
        int no_mx;
        int is_unix;
    } cases[] = {
        {"example.com", 0, 1, "example.com", 25, 0, 0},
        {"example.com:2525", 0, 1, "example.com", 2525, 0, 0},
        {"[mx.example.com]", 0, 1, "mx.example.com", 25, 1, 0},
        {"[mx.example.com]:587", 0, 1, "mx.example.com", 587, 1, 0},
        {"[mx.example.com]:submission", 0, 1, "mx.example.com", 587, 1, 0},
        {"[192.0.2.1]:26", 0, 1, "192.0.2.1", 26, 1, 0},
        {"[ipv6:2001:db8::1]:25", 0, 1, "2001:db8::1", 25, 1, 0},
        {"[IPv6:2001:db8::1]", 0, 1, "2001:db8::1", 25, 1, 0},
        {"unix:/run/dovecot/lmtp", 1, 1, "/run/dovecot/lmtp", 24, 1, 1},
        {"inet:127.0.0.1:24", 1, 1, "127.0.0.1", 24, 1, 0},
        {"inet:[mail.example.com]:2424", 1, 1, "mail.example.com", 2424, 1, 0},
        {"mail.example.com", 1, 1, "mail.example.com", 24, 1, 0},
        {"[mx.example.com", 0, 0, NULL, 0, 0, 0},
        {"[mx.example.com]x", 0, 0, NULL, 0, 0, 0},
        {"example.com:0", 0, 0, NULL, 0, 0, 0},
        {"example.com:65536", 0, 0, NULL, 0, 0, 0},
        {"example.com:port", 0, 0, NULL, 0, 0, 0},
        {"exa mple.com", 0, 0, NULL, 0, 0, 0},
        {"", 0, 0, NULL, 0, 0, 0},
        {"[]", 0, 0, NULL, 0, 0, 0},
        {"unix:", 1, 0, NULL, 0, 0, 0},
    };
    VSTR *why = vstr_new(0);
    char *longhop = mem_alloc(2000);
    SMTP_DEST d;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = smtp_dest_parse(cases[i].hop, cases[i].lmtp, cases[i].lmtp ? 24 : 25, &d, why);
        if (!cases[i].ok) {
            TAP_INT(r, -1, "next hop \"%s\" refused (%s)", cases[i].hop, vstr_str(why));
            continue;
        }
        TAP_INT(r, 0, "next hop \"%s\" parses", cases[i].hop);
        if (r < 0)
            continue;
        TAP_STR(d.name, cases[i].name, "  name");
        TAP_INT(d.port, cases[i].port, "  port");
        TAP_INT(d.no_mx, cases[i].no_mx, "  MX lookup skipped or not");
        TAP_INT(d.unix_path != NULL, cases[i].is_unix, "  UNIX socket or not");
        smtp_dest_free(&d);
    }
    memset(longhop, 'a', 1999);
    longhop[1999] = 0;
    TAP_INT(smtp_dest_parse(longhop, 0, 25, &d, why), -1, "an over-long next hop is refused");
    mem_free(longhop);
    vstr_free(why);
}

static void test_dsn_xtext(void)
{
    char dsn[16];
    VSTR *x = vstr_new(0);

    TAP_INT(smtp_reply_dsn("5.1.1 no such user", '5', dsn, sizeof(dsn)), 1, "5.1.1 found");
    TAP_STR(dsn, "5.1.1", "  as is");
    TAP_INT(smtp_reply_dsn("4.7.1 <x>: greylisted", '4', dsn, sizeof(dsn)), 1, "4.7.1 found");
    TAP_INT(smtp_reply_dsn("5.1.1 no", '4', dsn, sizeof(dsn)), 0, "a code of another class is ignored");
    TAP_STR(dsn, "4.0.0", "  the class default instead");
    TAP_INT(smtp_reply_dsn("Ok", '2', dsn, sizeof(dsn)), 0, "no code");
    TAP_STR(dsn, "2.0.0", "  2.0.0");
    TAP_INT(smtp_reply_dsn("5.1234.1 x", '5', dsn, sizeof(dsn)), 0, "4-digit field: not a code");
    TAP_INT(smtp_reply_dsn("5..1 x", '5', dsn, sizeof(dsn)), 0, "empty field: not a code");
    TAP_INT(smtp_reply_dsn("5.1.1x", '5', dsn, sizeof(dsn)), 0, "trailing junk: not a code");
    smtp_xtext(x, "a+b=c d\x01\xc3\xa9");
    TAP_STR(vstr_str(x), "a+2Bb+3Dc+20d+01+C3+A9", "xtext quotes +, =, space, controls, 8-bit");
    vstr_free(x);
}

/* Feed text to a reply reader over a socketpair. */
static int read_reply(const char *text, SMTP_REPLY *rep, VSTR *why, int close_after)
{
    int sv[2], r;
    SMTP_CONN *c;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    c = smtp_conn_new(sv[0]);
    if (text && *text && write(sv[1], text, strlen(text)) != (ssize_t) strlen(text))
        msg_fatal("write: %m");
    if (close_after)
        close(sv[1]);
    r = smtp_reply_read(c, rep, tls_deadline(300));
    vstr_set(why, vstr_str(c->why));
    smtp_conn_free(c);
    if (!close_after)
        close(sv[1]);
    return r;
}

static void test_replies(void)
{
    SMTP_REPLY rep;
    VSTR *why = vstr_new(0), *big = vstr_new(0);
    int i;

    smtp_reply_init(&rep);
    TAP_INT(read_reply("250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", &rep, why, 1), 0,
            "a multi-line reply");
    TAP_INT(rep.code, 250, "  code");
    TAP_INT(rep.lines->argc, 3, "  three lines");
    TAP_STR(rep.lines->argv[2], "SIZE 1000", "  the text after the code");
    TAP_STR(vstr_str(rep.text), "250-mx.example 250-PIPELINING 250 SIZE 1000", "  joined text");
    TAP_INT(read_reply("550 5.1.1 <a@b>: no\n", &rep, why, 1), 0, "a bare LF ends a line too");
    TAP_STR(rep.dsn, "5.1.1", "  its enhanced code");
    TAP_INT(read_reply("250\r\n", &rep, why, 1), 0, "a reply without text");
    TAP_INT(read_reply("hello\r\n", &rep, why, 1), -1, "not a reply");
    TAP_STR(vstr_str(why), "malformed reply", "  malformed");
    TAP_INT(read_reply("199 too small\r\n", &rep, why, 1), -1, "code below 200 refused");
    TAP_INT(read_reply("250x\r\n", &rep, why, 1), -1, "bad separator refused");
    TAP_INT(read_reply("250-a\r\n", &rep, why, 1), -1, "EOF inside a reply");
    TAP_STR(vstr_str(why), "lost connection", "  lost connection");
    TAP_INT(read_reply("", &rep, why, 0), -1, "a silent server");
    TAP_STR(vstr_str(why), "timeout", "  timeout");
    for (i = 0; i < 200; i++)
        vstr_adds(big, "250-x\r\n");
    vstr_adds(big, "250 end\r\n");
    TAP_INT(read_reply(vstr_str(big), &rep, why, 1), -1, "too many lines refused");
    vstr_set(big, "250 ");
    for (i = 0; i < 10000; i++)
        vstr_addch(big, 'a');
    vstr_adds(big, "\x01\r\n");
    TAP_INT(read_reply(vstr_str(big), &rep, why, 1), 0, "an over-long line is cut");
    TAP_INT(vstr_len(rep.text), SMTP_LINE_MAX, "  at SMTP_LINE_MAX bytes");
    TAP_INT(read_reply("250 a\x01\x7f" "b\r\n", &rep, why, 1), 0, "control characters");
    TAP_STR(vstr_str(rep.text), "250 a??b", "  made printable");
    smtp_reply_free(&rep);
    vstr_free(why);
    vstr_free(big);
}

/* The 8BITMIME downgrade: feed lines (split in pieces of chunk bytes), collect. */
static void mime_collect(void *ctx, const char *data, size_t len, int eol)
{
    vstr_addmem(ctx, data, len);
    if (eol)
        vstr_addch(ctx, '\n');
}

static const char *mime_run(VSTR *out, const char *in, size_t chunk)
{
    SMTP_MIME *m = smtp_mime_new(mime_collect, out);
    const char *p = in, *nl;

    vstr_reset(out);
    while (*p) {
        size_t len = (nl = strchr(p, '\n')) ? (size_t) (nl - p) : strlen(p);
        size_t off = 0;
        do {
            size_t n = len - off > chunk ? chunk : len - off;
            smtp_mime_input(m, p + off, n, off + n == len);
            off += n;
        } while (off < len);
        p += len + (nl != NULL);
    }
    smtp_mime_finish(m);
    smtp_mime_free(m);
    return vstr_str(out);
}

static void test_mime(void)
{
    VSTR *out = vstr_new(0), *in = vstr_new(0);
    const char *nested = "Content-Type: multipart/mixed; boundary=a\n"
                         "\n"
                         "--a\n"
                         "Content-Type: multipart/alternative;\n"
                         " boundary=\"b b\"\n"
                         "\n"
                         "--b b\n"
                         "Content-Transfer-Encoding: 8bit\n"
                         "\n"
                         "\xe9t\xe9\n"
                         "--b b--\n"
                         "--a\n"
                         "Content-Type: message/rfc822\n"
                         "\n"
                         "Subject: inner\n"
                         "Content-Transfer-Encoding: 8BIT\n"
                         "\n"
                         "\xff\t\n"
                         "--a--\n"
                         "\xfe epilogue\n";
    size_t chunk, i;

    TAP_STR(mime_run(out, "Subject: x\nContent-Transfer-Encoding: 8bit\n\na\xe9\n", 1000),
            "Subject: x\nContent-Transfer-Encoding: quoted-printable\n\na=E9\n",
            "a single 8bit part is converted");
    TAP_STR(mime_run(out, "Subject: x\n\na\xe9\n", 1000), "Subject: x\n\na\xe9\n",
            "no Content-Transfer-Encoding (7bit): passed as is");
    for (chunk = 1; chunk <= 1000; chunk *= 10)
        TAP_STR(mime_run(out, nested, chunk),
                "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
                "Content-Type: multipart/alternative;\n boundary=\"b b\"\n\n--b b\n"
                "Content-Transfer-Encoding: quoted-printable\n\n=E9t=E9\n--b b--\n--a\n"
                "Content-Type: message/rfc822\n\nSubject: inner\n"
                "Content-Transfer-Encoding: quoted-printable\n\n=FF=09\n--a--\n"
                "\xfe epilogue\n",
                "nested multipart and message/rfc822 (pieces of %zu bytes)", chunk);
    /* a line longer than SMTP_MIME_LINE_MAX, in pieces: encoded, soft breaks */
    vstr_set(in, "Content-Transfer-Encoding: binary\n\n");
    for (i = 0; i < 3 * SMTP_MIME_LINE_MAX; i++)
        vstr_addch(in, '=');
    vstr_addch(in, '\n');
    mime_run(out, vstr_str(in), 1000);
    {
        const char *p = strstr(vstr_str(out), "\n\n") + 2, *nl;
        size_t lines = 0, longest = 0, bytes = 0;
        for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            size_t n = (size_t) (nl - p);
            lines++;
            longest = n > longest ? n : longest;
            bytes += n;
        }
        TAP_INT((long) longest, 76, "long line: encoded lines of at most 76 characters");
        TAP_INT((long) (bytes - (lines - 1)), 3L * 3 * SMTP_MIME_LINE_MAX,
                "  every byte encoded (=3D), soft breaks aside");
    }
    /* an oversized header block is passed on as is, not converted */
    vstr_set(in, "Content-Transfer-Encoding: 8bit\nX: ");
    for (i = 0; i < SMTP_MIME_HDR_MAX; i++)
        vstr_addch(in, 'h');
    vstr_adds(in, "\n\n\xe9\n");
    TAP_STR(mime_run(out, vstr_str(in), 1000), vstr_str(in), "an oversized header block: as is");
    vstr_free(out);
    vstr_free(in);
}

static void test_generic(void)
{
    VSTR *why = vstr_new(0), *out = vstr_new(0);
    TABLE *t = table_open("inline:{ a@b.example=x@y.example, @d.example=@e.example, "
                          "bad@b.example={has space} }",
                          TABLE_READ, TABLE_FLAGS_READ, why);
    TABLE *tabs[1];

    if (!TAP_OK(t != NULL, "inline table opens")) {
        printf("# %s\n", vstr_str(why));
        vstr_free(why);
        vstr_free(out);
        return;
    }
    tabs[0] = t;
    TAP_INT(smtp_generic_map(tabs, 1, "a@B.Example", out), 1, "full address, domain folded");
    TAP_STR(vstr_str(out), "x@y.example", "  its result");
    TAP_INT(smtp_generic_map(tabs, 1, "Joe@d.example", out), 1, "@domain key");
    TAP_STR(vstr_str(out), "Joe@e.example", "  local part kept");
    TAP_INT(smtp_generic_map(tabs, 1, "", out), 0, "the null sender is not mapped");
    TAP_INT(smtp_generic_map(tabs, 1, "z@q.example", out), 0, "no match");
    TAP_INT(smtp_generic_map(tabs, 1, "bad@b.example", out), 0, "a result with a space is refused");
    TAP_INT(smtp_generic_header(tabs, 1, "Subject: a@b.example", out), 0, "not an address header");
    TAP_INT(smtp_generic_header(tabs, 1, "to: A <a@b.example>,\n c@d.example", out), 1,
            "a folded To:");
    TAP_STR(vstr_str(out), "to: A <x@y.example>, c@e.example", "  rebuilt on one line");
    TAP_INT(smtp_generic_header(tabs, 1, "Cc: z@q.example", out), 0, "nothing changed");
    table_close(t);
    vstr_free(why);
    vstr_free(out);
}

int main(int argc, char **argv)
{
    (void) argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    test_dest();
    test_dsn_xtext();
    test_replies();
    test_mime();
    test_generic();
    return tap_done();
}
