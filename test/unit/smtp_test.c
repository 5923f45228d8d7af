/*
 * smtp_test - the smtp client's pieces without a network: next-hop
 * parsing, enhanced status codes, xtext, and reply reading over a
 * socketpair (multi-line, malformed, oversized, too many lines, timeout),
 * XFORWARD commands, which header/body tables see which lines of a MIME
 * message, and the two deadline modes (per read/write call, per
 * operation with smtp_min_data_rate) against a peer that drips.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"

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


/* XFORWARD: attributes, order, xtext, [UNAVAILABLE], packing into lines. */
static void test_xforward(void)
{
    DELIVER_REQUEST *req = deliver_request_new();
    ARGV *cmds = argv_new();
    VSTR *big = vstr_new(0);
    int na[SMTP_XFWD_CMDS_MAX];
    int all = SMTP_XFWD_NAME | SMTP_XFWD_ADDR | SMTP_XFWD_PORT | SMTP_XFWD_PROTO |
              SMTP_XFWD_HELO | SMTP_XFWD_IDENT | SMTP_XFWD_SOURCE;
    size_t i;

#define SETF(f, v) (mem_free(req->f), req->f = mem_strdup(v))
    SETF(queue_id, "4ABC");
    SETF(client_name, "client.example");
    SETF(client_addr, "192.0.2.7");
    SETF(client_port, "52614");
    SETF(proto_name, "ESMTP");
    SETF(helo_name, "helo+x y=z");
    SETF(log_ident, "3F1A2B");
    SETF(rewrite_context, "remote");
    TAP_INT(smtp_xforward_cmds(all, req, cmds, na), 1, "every attribute fits one command");
    TAP_STR(cmds->argv[0],
            "XFORWARD NAME=client.example ADDR=192.0.2.7 PORT=52614 PROTO=ESMTP "
            "HELO=helo+2Bx+20y=z IDENT=3F1A2B SOURCE=REMOTE",
            "  in Postfix's order, xtext ('+' and space encoded, '=' as is)");
    TAP_INT(na[0], 1, "  it carries name/address attributes");
    argv_truncate(cmds, 0);
    TAP_INT(smtp_xforward_cmds(SMTP_XFWD_SOURCE | SMTP_XFWD_ADDR | SMTP_XFWD_HELO, req, cmds, na),
            1, "only what the server announced");
    TAP_STR(cmds->argv[0], "XFORWARD ADDR=192.0.2.7 HELO=helo+2Bx+20y=z SOURCE=REMOTE",
            "  ADDR, HELO, SOURCE");
    argv_truncate(cmds, 0);
    SETF(client_name, "");
    SETF(client_port, "");
    SETF(log_ident, "");
    SETF(rewrite_context, "local");
    smtp_xforward_cmds(SMTP_XFWD_NAME | SMTP_XFWD_PORT | SMTP_XFWD_IDENT | SMTP_XFWD_SOURCE, req,
                       cmds, na);
    TAP_STR(cmds->argv[0],
            "XFORWARD NAME=[UNAVAILABLE] PORT=[UNAVAILABLE] IDENT=[UNAVAILABLE] SOURCE=LOCAL",
            "empty attributes: [UNAVAILABLE]; rewrite_context local: SOURCE=LOCAL");
    argv_truncate(cmds, 0);
    SETF(rewrite_context, "");
    smtp_xforward_cmds(SMTP_XFWD_SOURCE, req, cmds, na);
    TAP_STR(cmds->argv[0], "XFORWARD SOURCE=[UNAVAILABLE]", "no rewrite context: SOURCE unknown");
    TAP_INT(na[0], 0, "  not a name/address command");
    argv_truncate(cmds, 0);
    TAP_INT(smtp_xforward_cmds(0, req, cmds, na), 0, "nothing announced: no command");
    /* long values: split where the 512-byte line would overflow */
    for (i = 0; i < 250; i++)
        vstr_addch(big, 'n');
    SETF(client_name, vstr_str(big));
    vstr_reset(big);
    for (i = 0; i < 250; i++)
        vstr_addch(big, 'h');
    SETF(helo_name, vstr_str(big));
    SETF(client_port, "25");
    TAP_INT(smtp_xforward_cmds(all, req, cmds, na), 2, "a 250-byte NAME and HELO: two commands");
    TAP_OK(strncmp(cmds->argv[0], "XFORWARD NAME=nnn", 17) == 0 &&
               strstr(cmds->argv[0], " PROTO=ESMTP") != NULL &&
               strstr(cmds->argv[0], "HELO=") == NULL,
           "  the first: NAME ADDR PORT PROTO");
    TAP_OK(strncmp(cmds->argv[1], "XFORWARD HELO=hhh", 17) == 0 &&
               strstr(cmds->argv[1], " IDENT=[UNAVAILABLE] SOURCE=[UNAVAILABLE]") != NULL,
           "  the second: HELO IDENT SOURCE");
    TAP_OK(strlen(cmds->argv[0]) <= SMTP_XFWD_LINE_MAX && strlen(cmds->argv[1]) <= SMTP_XFWD_LINE_MAX,
           "  each within the command line limit");
    TAP_INT(na[0] * 10 + na[1], 10, "  only the first carries name/address attributes");
    argv_truncate(cmds, 0);
    vstr_reset(big);
    for (i = 0; i < 400; i++)
        vstr_addch(big, ' ');
    SETF(helo_name, vstr_str(big));
    smtp_xforward_cmds(SMTP_XFWD_HELO, req, cmds, na);
    TAP_STR(cmds->argv[0], "XFORWARD HELO=[UNAVAILABLE]",
            "a value too long even alone (1200 bytes of xtext): [UNAVAILABLE]");
#undef SETF
    argv_free(cmds);
    vstr_free(big);
    deliver_request_free(req);
}

/* Header/body checks on a MIME message: which table sees which line. */
static TABLE *checks_table(const char *dir, const char *name, const char *rules)
{
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    FILE *fp;
    TABLE *t;

    vstr_sprintf(path, "%s/%s", dir, name);
    if ((fp = fopen(vstr_str(path), "w")) == NULL)
        msg_fatal("%s: %m", vstr_str(path));
    fputs(rules, fp);
    fclose(fp);
    vstr_sprintf(path, "regexp:%s/%s", dir, name);
    if ((t = table_open(vstr_str(path), TABLE_READ, TABLE_FLAGS_READ, why)) == NULL)
        msg_fatal("%s", vstr_str(why));
    vstr_free(path);
    vstr_free(why);
    return t;
}

static const char *checks_run(VSTR *out, const SMTP_CHECK_TABLES *t, const char *in, size_t chunk)
{
    SMTP_CHECKS *c = smtp_checks_new(t, "TESTID", mime_collect, out);
    const char *p = in, *nl;

    vstr_reset(out);
    while (*p) {
        size_t len = (nl = strchr(p, '\n')) ? (size_t) (nl - p) : strlen(p);
        size_t off = 0;
        do {
            size_t n = len - off > chunk ? chunk : len - off;
            smtp_checks_input(c, p + off, n, off + n == len);
            off += n;
        } while (off < len);
        p += len + (nl != NULL);
    }
    smtp_checks_finish(c);
    smtp_checks_free(c);
    return vstr_str(out);
}

static void test_checks(void)
{
    char dir[] = "/tmp/smtp_test.XXXXXX";
    TABLE *hdr, *mime, *nested, *body;
    SMTP_CHECK_TABLES t;
    VSTR *out = vstr_new(0), *in = vstr_new(0);
    const char *msg = "From: a@b.example\n"
                      "Content-Type: multipart/mixed; boundary=XX\n"
                      "MIME-Version: 1.0\n"
                      "Subject: s\n"
                      "\n"
                      "pre\n"
                      "--XX\n"
                      "Content-Type: text/plain\n"
                      "X-Part: 1\n"
                      "\n"
                      "text\n"
                      "--XX\n"
                      "Content-Type: message/rfc822\n"
                      "\n"
                      "Subject: inner\n"
                      "Content-ID: <x@y>\n"
                      "\n"
                      "inner body\n"
                      "--XX--\n"
                      "epi\n";
    size_t chunk, i;

    if (mkdtemp(dir) == NULL)
        msg_fatal("mkdtemp: %m");
    hdr = checks_table(dir, "hdr", "/^(.*)$/ REPLACE P-$1\n");
    mime = checks_table(dir, "mime", "/^(.*)$/ REPLACE M-$1\n");
    nested = checks_table(dir, "nested", "/^(.*)$/ REPLACE N-$1\n");
    body = checks_table(dir, "body", "/^(.+)$/ REPLACE B-$1\n");
    memset(&t, 0, sizeof(t));
    t.hdr = &hdr, t.nhdr = 1, t.mime = &mime, t.nmime = 1;
    t.nested = &nested, t.nnested = 1, t.body = &body, t.nbody = 1;
    for (chunk = 3; chunk <= 3000; chunk *= 10)
        TAP_STR(checks_run(out, &t, msg, chunk),
                "P-From: a@b.example\n"
                "M-Content-Type: multipart/mixed; boundary=XX\n"
                "M-MIME-Version: 1.0\n"
                "P-Subject: s\n"
                "\n"
                "B-pre\n"
                "B---XX\n"
                "M-Content-Type: text/plain\n"
                "M-X-Part: 1\n"
                "\n"
                "B-text\n"
                "B---XX\n"
                "M-Content-Type: message/rfc822\n"
                "\n"
                "N-Subject: inner\n"
                "M-Content-ID: <x@y>\n"
                "\n"
                "B-inner body\n"
                "B---XX--\n"
                "B-epi\n",
                "header, mime, nested and body tables each see their lines (pieces of %zu)",
                chunk);
    t.nmime = t.nnested = t.nbody = 0;
    TAP_STR(checks_run(out, &t, msg, 1000),
            "P-From: a@b.example\n"
            "Content-Type: multipart/mixed; boundary=XX\n"
            "MIME-Version: 1.0\n"
            "P-Subject: s\n"
            "\n"
            "pre\n"
            "--XX\n"
            "Content-Type: text/plain\n"
            "X-Part: 1\n"
            "\n"
            "text\n"
            "--XX\n"
            "Content-Type: message/rfc822\n"
            "\n"
            "Subject: inner\n"
            "Content-ID: <x@y>\n"
            "\n"
            "inner body\n"
            "--XX--\n"
            "epi\n",
            "header tables alone: MIME headers, part and attached headers pass unchecked");
    t.nhdr = 0, t.nbody = 1;
    checks_run(out, &t, msg, 1000);
    TAP_OK(strstr(vstr_str(out), "\nContent-Type: text/plain\nX-Part: 1\n\nB-text\n") != NULL,
           "body tables do not see the headers of a MIME part");
    /* folded headers stay one logical header; a long body line passes */
    t.nhdr = 1, t.nbody = 0, t.nnested = 1;
    TAP_STR(checks_run(out, &t, "Subject: x\n\ty\nTo: z\n\nbody\n", 4),
            "P-Subject: x\n\ty\nP-To: z\n\nbody\n", "a folded header is one logical header");
    vstr_set(in, "Subject: x\n\n");
    for (i = 0; i < 2 * SMTP_CHECKS_LINE_MAX; i++)
        vstr_addch(in, 'b');
    vstr_adds(in, "\nlast\n");
    t.nbody = 1;
    checks_run(out, &t, vstr_str(in), 1000);
    TAP_OK(vstr_len(out) == vstr_len(in) + 4 && strncmp(vstr_str(out), "P-Subject: x\n\nbbb", 17) == 0 &&
               strcmp(vstr_str(out) + vstr_len(out) - 7, "B-last\n") == 0,
           "a body line over SMTP_CHECKS_LINE_MAX passes unchecked, the next is checked");
    table_close(hdr);
    table_close(mime);
    table_close(nested);
    table_close(body);
    vstr_sprintf(in, "rm -rf '%s'", dir);
    if (system(vstr_str(in)) != 0)
        msg_warn("could not remove %s", dir);
    vstr_free(out);
    vstr_free(in);
}

/* Deadlines: a peer that drips a reply, or reads slowly. */
static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0)
        ;
}

static pid_t drip_child(int fd, const char *text, long every_ms)
{
    pid_t pid = fork();

    if (pid < 0)
        msg_fatal("fork: %m");
    if (pid == 0) {
        for (; *text; text++) {
            sleep_ms(every_ms);
            if (write(fd, text, 1) != 1)
                _exit(1);
        }
        sleep_ms(2000);
        _exit(0);
    }
    return pid;
}

static int drip_reply(int per_call, VSTR *why)
{
    int sv[2], r;
    SMTP_CONN *c;
    SMTP_REPLY rep;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    pid = drip_child(sv[1], "250 2.0.0 ok\r\n", 60);
    close(sv[1]);
    c = smtp_conn_new(sv[0]);
    c->per_call = per_call;
    smtp_reply_init(&rep);
    /* 14 bytes, one per 60 ms: about 840 ms in all, never 400 ms without one */
    r = smtp_reply_read(c, &rep, tls_deadline(400));
    vstr_set(why, vstr_str(c->why));
    smtp_reply_free(&rep);
    smtp_conn_free(c);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return r;
}

/* flush 256 KiB to a peer that reads 16 KiB every 40 ms (about 650 ms) */
static int slow_reader(unsigned rate, long start_ms, VSTR *why)
{
    int sv[2], r, small = 4096;
    SMTP_CONN *c;
    pid_t pid;
    long long dl;
    size_t i;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    (void) setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    (void) setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    if ((pid = fork()) < 0)
        msg_fatal("fork: %m");
    if (pid == 0) {
        static char buf[16384];
        close(sv[0]);
        for (;;) {
            sleep_ms(40);
            if (read(sv[1], buf, sizeof(buf)) <= 0)
                _exit(0);
        }
    }
    close(sv[1]);
    c = smtp_conn_new(sv[0]);
    for (i = 0; i < 256 * 1024 / 64; i++)
        smtp_conn_write(c, "0123456789012345678901234567890123456789012345678901234567890\r\n", 64);
    dl = tls_deadline(start_ms);
    r = smtp_conn_flush_data(c, &dl, rate);
    vstr_set(why, vstr_str(c->why));
    smtp_conn_free(c);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return r;
}

static void test_deadlines(void)
{
    VSTR *why = vstr_new(0);

    TAP_INT(drip_reply(1, why), 0, "per read call: a reply dripped a byte per 60 ms is read");
    TAP_INT(drip_reply(0, why), -1, "per request: the same reply misses its 400 ms deadline");
    TAP_STR(vstr_str(why), "timeout", "  as a timeout");
    TAP_INT(slow_reader(10 * 1000 * 1000, 100, why), -1,
            "a slow reader: 100 ms + 256 KiB at 10 MB/s is too little");
    TAP_STR(vstr_str(why), "timeout", "  as a timeout");
    TAP_INT(slow_reader(50 * 1000, 100, why), 0,
            "100 ms + 256 KiB at smtp_min_data_rate 50 kB/s (5 s) is enough");
    vstr_free(why);
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
    test_xforward();
    test_checks();
    test_deadlines();
    return tap_done();
}
