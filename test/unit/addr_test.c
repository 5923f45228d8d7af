/*
 * Unit tests for lib/addr.c: header address lists, SMTP paths, quoting,
 * rewriting helpers and domain checks. Table-driven; the hostile and
 * oversized inputs are built at run time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"

/* Render a parsed list as "<addr> (display) [group], ..." or "REFUSED". */
static void render(VSTR *out, const ADDR_LIST *list)
{
    size_t i;

    vstr_reset(out);
    if (list == NULL) {
        vstr_adds(out, "REFUSED");
        return;
    }
    for (i = 0; i < list->count; i++) {
        const ADDR_ITEM *it = &list->items[i];

        if (i > 0)
            vstr_adds(out, ", ");
        vstr_printf(out, "<%s>", it->addr);
        if (it->display)
            vstr_printf(out, " (%s)", it->display);
        if (it->group)
            vstr_printf(out, " [%s]", it->group);
    }
}

static const struct {
    const char *in;
    const char *want;
    int repaired;
} list_cases[] = {
    {"a@b", "<a@b>", 0},
    {"  a@b  ", "<a@b>", 0},
    {"", "", 0},
    {"Joe <j@x>", "<j@x> (Joe)", 0},
    {"Joe Q. Public <jqp@example.com>", "<jqp@example.com> (Joe Q. Public)", 0},
    {"\"Doe, John\" <jd@x>", "<jd@x> (Doe, John)", 0},
    {"\"quoted \\\"escape\\\"\" <q@x>", "<q@x> (quoted \"escape\")", 0},
    {"a@b, c@d", "<a@b>, <c@d>", 0},
    {"a@b,\r\n\tc@d", "<a@b>, <c@d>", 0},
    {"c@d (Comment here)", "<c@d> (Comment here)", 0},
    {"c@d (nested (comment) here)", "<c@d> (nested (comment) here)", 0},
    {"(leading) c@d", "<c@d> (leading)", 0},
    {"Name <a@b>, c@d (comment), group: x@y, z@w;",
     "<a@b> (Name), <c@d> (comment), <x@y> [group], <z@w> [group]", 0},
    {"group: x@y, z@w;, after@x", "<x@y> [group], <z@w> [group], <after@x>", 0},
    {"undisclosed-recipients:;", "", 0},
    {"Team Alpha: Ann <ann@x>;", "<ann@x> (Ann) [Team Alpha]", 0},
    {"<@relay1,@relay2:user@host>", "<user@host>", 0},
    {"Joe <@relay:joe@host>", "<joe@host> (Joe)", 0},
    {"\"john doe\"@example.com", "<john doe@example.com>", 0},
    {"\"a@b\"@c", "<a@b@c>", 0},
    {"john . doe @ example . com", "<john.doe@example.com>", 0},
    {"a@[1.2.3.4]", "<a@[1.2.3.4]>", 0},
    {"a@[ IPv6:::1 ]", "<a@[IPv6:::1]>", 0},
    {",,a@b,,,", "<a@b>", 0},
    {"MAILER-DAEMON", "<MAILER-DAEMON>", 0},
    {"<>", "<>", 0},
    {"Nobody <>", "<> (Nobody)", 0},
    {"a\\ b@c", "<a b@c>", 0},
    {"j\xc3\xb6rg@exa\xcc\x88mple.org", "<j\xc3\xb6rg@exa\xcc\x88mple.org>", 0},
    {"a@B.Example.COM", "<a@B.Example.COM>", 0},
    /* Repaired. */
    {"\"unterminated@x", "<unterminated@x>", 1},
    {"a@b (unterminated", "<a@b> (unterminated)", 1},
    {"Joe <j@x", "<j@x> (Joe)", 1},
    {"Joe <j@x>, k@y", "<j@x> (Joe), <k@y>", 0},
    {"Joe <j@x, k@y", "<j@x> (Joe), <k@y>", 1},
    {"a@b)", "<a@b>", 1},
    {"a@b>", "<a@b>", 1},
    {"a\x01" "b@c", "<ab@c>", 1},
    {"a@b\x7f", "<a@b>", 1},
    {"Group: a@b", "<a@b> [Group]", 1},
    {";a@b", "<a@b>", 1},
    {"a@[1.2.3.4", "<a@[1.2.3.4]>", 1},
    {"<a@b> trailing words", "<a@b>", 1},
    {"<<a@b>>", "<a@b>", 1},
    {"\\", "", 1},
};

/* A string of n copies of unit, then tail. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
    VSTR *v = vstr_new(strlen(unit) * n + 16);
    size_t i;

    for (i = 0; i < n; i++)
        vstr_adds(v, unit);
    vstr_adds(v, tail);
    return vstr_export(v);
}

static void test_list(void)
{
    VSTR *out = vstr_new(0);
    VSTR *why = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
        ADDR_LIST *l = addr_list_parse(list_cases[i].in, why);

        render(out, l);
        TAP_STR(vstr_str(out), list_cases[i].want, "list %zu: %s", i, list_cases[i].want);
        TAP_INT(l ? l->repaired : -1, list_cases[i].repaired, "list %zu: repaired flag (%s)", i,
                vstr_str(why));
        if (l && l->repaired)
            TAP_OK(vstr_len(why) > 0, "list %zu: repair explained", i);
        addr_list_free(l);
    }
    /* Without a why buffer. */
    {
        ADDR_LIST *l = addr_list_parse("x@y (", NULL);

        TAP_OK(l != NULL && l->count == 1 && l->repaired, "list without why buffer");
        addr_list_free(l);
    }
    vstr_free(out);
    vstr_free(why);
}

static void test_list_bounds(void)
{
    static const struct {
        const char *unit;
        size_t n;
        const char *tail;
        const char *want;       /* rendered result, or NULL: not checked */
        const char *why;        /* substring of why */
        int refused;
    } cases[] = {
        {"(", ADDR_COMMENT_DEPTH, "a@b", NULL, "unterminated comment", 0},
        {"(", ADDR_COMMENT_DEPTH + 1, "", "REFUSED", "nested more than", 1},
        {"(", 100000, "", "REFUSED", "nested more than", 1},
        {")", 100000, "", "", "unbalanced \")\"", 0},
        {"a", 100000, "@b", "REFUSED", "longer than 2048", 1},
        {"a", ADDR_MAX_LEN - 2, "@b", NULL, "", 0},
        {"a", ADDR_LIST_MAX_LEN + 1, "", "REFUSED", "address list longer", 1},
        {"a,", ADDR_LIST_MAX_LEN / 2, "", "REFUSED", "more than 10000 addresses", 1},
        {"a@b,", ADDR_LIST_MAX_ADDRS, "", NULL, "", 0},
        {"a@b,", ADDR_LIST_MAX_ADDRS + 1, "", "REFUSED", "more than 10000 addresses", 1},
        {"<", 100000, "", "<>", "missing \">\"", 0},
        {">", 100000, "", "", "", 0},
        {",", 100000, "", "", "", 0},
        {"@", 100000, "", "REFUSED", "longer than", 1},
        {"\"", 100001, "", "REFUSED", "longer than 2048", 1},
        {"\"", 1001, "", NULL, "unterminated quoted string", 0},
        {"[", 100000, "", NULL, "\"[\" inside a domain literal", 0},
        {"[", 1, "", NULL, "unterminated domain literal", 0},
        {"\\", 100000, "", "REFUSED", "longer than 2048", 1},
        {"\\", 3, "", "<\\>", "stray backslash", 0},
        {"g:", 50000, "", "REFUSED", "longer than 2048", 1},
        {"g:", 3, "", "<g g> [g]", "group without", 0},
        {"\x01", 100000, "", "", "control character", 0},
        {"a b ", 50000, "", "REFUSED", "longer than", 1},
    };
    VSTR *out = vstr_new(0);
    VSTR *why = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = repeat(cases[i].unit, cases[i].n, cases[i].tail);
        ADDR_LIST *l = addr_list_parse(text, why);

        TAP_INT(l == NULL, cases[i].refused, "bounds %zu: \"%s\" x %zu refused=%d", i,
                cases[i].unit[0] >= 32 ? cases[i].unit : "^A", cases[i].n, cases[i].refused);
        TAP_OK(strstr(vstr_str(why), cases[i].why) != NULL, "bounds %zu: why \"%s\" has \"%s\"", i,
               vstr_str(why), cases[i].why);
        if (cases[i].want != NULL) {
            render(out, l);
            TAP_STR(vstr_str(out), cases[i].want, "bounds %zu: result", i);
        }
        if (l != NULL)
            TAP_OK(l->count <= ADDR_LIST_MAX_ADDRS, "bounds %zu: count bounded", i);
        addr_list_free(l);
        mem_free(text);
    }
    vstr_free(out);
    vstr_free(why);
}

#define U8 ADDR_FLAG_SMTPUTF8
#define ST ADDR_FLAG_STRICT

static const struct {
    const char *in;
    int flags;
    const char *want;       /* internal form, or NULL on error */
    const char *err;        /* error text, when want is NULL */
    const char *rest;       /* what follows, when want is set */
} path_cases[] = {
    {"<a@b>", 0, "a@b", NULL, ""},
    {"<a@b>", ST, "a@b", NULL, ""},
    {"<>", 0, "", NULL, ""},
    {"<> SIZE=10", ST, "", NULL, " SIZE=10"},
    {" <a@b> SIZE=100 BODY=8BITMIME", 0, "a@b", NULL, " SIZE=100 BODY=8BITMIME"},
    {"a@b", 0, "a@b", NULL, ""},
    {"a@b SIZE=1", 0, "a@b", NULL, " SIZE=1"},
    {"a@b", ST, NULL, "missing \"<\"", NULL},
    {"<@r1,@r2:a@b>", 0, "a@b", NULL, ""},
    {"<@[1.2.3.4]:a@b>", 0, "a@b", NULL, ""},
    {"<\"john doe\"@example.com>", 0, "john doe@example.com", NULL, ""},
    {"<\"a\\\"b\"@c>", 0, "a\"b@c", NULL, ""},
    {"<\"a@b\"@c>", 0, "a@b@c", NULL, ""},
    {"<john.\"x y\"@c>", 0, "john.x y@c", NULL, ""},
    {"<\"\"@b>", 0, "@b", NULL, ""},
    {"<user@[1.2.3.4]>", 0, "user@[1.2.3.4]", NULL, ""},
    {"<user@[IPv6:2001:db8::1]>", 0, "user@[IPv6:2001:db8::1]", NULL, ""},
    {"<user@[ipv6:::1]>", 0, "user@[ipv6:::1]", NULL, ""},
    {"<postmaster>", 0, "postmaster", NULL, ""},
    {"<Postmaster>", ST, "Postmaster", NULL, ""},
    {"<a+b=c/d!e#f$g%h&i'j*k?l^m_n`o{p|q}r~s@b>", 0, "a+b=c/d!e#f$g%h&i'j*k?l^m_n`o{p|q}r~s@b",
     NULL, ""},
    {"<a@Example.COM>", 0, "a@Example.COM", NULL, ""},
    {"<a@under_score.example>", 0, "a@under_score.example", NULL, ""},
    {"<j\xc3\xb6rg@b>", U8, "j\xc3\xb6rg@b", NULL, ""},
    {"<a@b\xc3\xbc" "cher.de>", U8, "a@b\xc3\xbc" "cher.de", NULL, ""},
    {"<\"j\xc3\xb6 rg\"@b>", U8, "j\xc3\xb6 rg@b", NULL, ""},
    /* Errors. */
    {"<j\xc3\xb6rg@b>", 0, NULL, "8-bit character in address without SMTPUTF8", NULL},
    {"<a@b\xc3\xbc" "cher.de>", 0, NULL, "8-bit character in address without SMTPUTF8", NULL},
    {"<j\xc3(rg@b>", U8, NULL, "malformed UTF-8 in address", NULL},
    {"<j\xed\xa0\x80@b>", U8, NULL, "malformed UTF-8 in address", NULL},
    {"<j\xc0\xafx@b>", U8, NULL, "malformed UTF-8 in address", NULL},
    {"<j\xf4\x90\x80\x80@b>", U8, NULL, "malformed UTF-8 in address", NULL},
    {"<j\xe2\x82@b>", U8, NULL, "malformed UTF-8 in address", NULL},
    {"<a@b", 0, NULL, "missing \">\"", NULL},
    {"<a b@c>", 0, NULL, "missing \">\"", NULL},
    {"<a@b c>", 0, NULL, "missing \">\"", NULL},
    {"<a@b>x", 0, NULL, "garbage after address", NULL},
    {"<a@b>>", 0, NULL, "garbage after address", NULL},
    {"<\"unterminated@b>", 0, NULL, "unbalanced quote in address", NULL},
    {"<\"a\\", 0, NULL, "unbalanced quote in address", NULL},
    {"<a@>", 0, NULL, "empty domain in address", NULL},
    {"<@b>", 0, NULL, "bad source route", NULL},
    {"<@b:>", 0, NULL, "bad address syntax", NULL},
    {"<@b;c:a@d>", 0, NULL, "bad source route", NULL},
    {"<@a,b:c@d>", 0, NULL, "bad source route", NULL},
    {"<a@b,c>", 0, NULL, "bad character in domain name", NULL},
    {"<a@b(c)>", 0, NULL, "bad character in domain name", NULL},
    {"<a(b)@c>", 0, NULL, "bad character in address", NULL},
    {"<a<b@c>", 0, NULL, "bad character in address", NULL},
    {"<a\\b@c>", 0, NULL, "bad character in address", NULL},
    {"<a,b@c>", 0, NULL, "bad character in address", NULL},
    {"<a\x01@b>", 0, NULL, "control character in address", NULL},
    {"<\"a\x01\"@b>", 0, NULL, "control character in address", NULL},
    {"<\"a\\\x0d\"@b>", 0, NULL, "control character in address", NULL},
    {"<a@b\x7f>", 0, NULL, "control character in address", NULL},
    {"<@b>", ST, NULL, "bad source route", NULL},
    {"<user@[1.2.3]>", 0, NULL, "bad address literal", NULL},
    {"<user@[1.2.3.4>", 0, NULL, "bad address literal", NULL},
    {"<user@[IPv6:zz]>", 0, NULL, "bad address literal", NULL},
    {"<user@[::1]>", 0, NULL, "bad address literal", NULL},
    {"<user@[tag:content]>", 0, NULL, "bad address literal", NULL},
    {"<user@[1.2.3.4]x>", 0, NULL, "missing \">\"", NULL},
    {"", 0, NULL, "empty address", NULL},
    {"   ", 0, NULL, "empty address", NULL},
    {"<", 0, NULL, "bad address syntax", NULL},
    {"<@", 0, NULL, "bad source route", NULL},
    {"\"", 0, NULL, "unbalanced quote in address", NULL},
    {"<\"\">", 0, NULL, "bad address syntax", NULL},
    {"\"\"", 0, NULL, "bad address syntax", NULL},
    {"<\"\"\"\">", 0, NULL, "bad address syntax", NULL},
    {"<\"\".\"\">", 0, ".", NULL, ""},
};

static void test_path(void)
{
    VSTR *out = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
        const char *rest = NULL;
        const char *err = "unset";
        int rc = addr_parse_path(path_cases[i].in, path_cases[i].flags, out, &rest, &err);

        if (path_cases[i].want != NULL) {
            TAP_INT(rc, 0, "path %zu: accepted (%s)", i, err ? err : "");
            TAP_STR(vstr_str(out), path_cases[i].want, "path %zu: address", i);
            TAP_STR(rest, path_cases[i].rest, "path %zu: rest", i);
            TAP_OK(err == NULL, "path %zu: no error text", i);
        } else {
            TAP_INT(rc, -1, "path %zu: refused", i);
            TAP_STR(err, path_cases[i].err, "path %zu: reason", i);
            TAP_STR(vstr_str(out), "", "path %zu: no partial address", i);
        }
    }
    vstr_free(out);
}

static void test_path_bounds(void)
{
    static const struct {
        const char *head;
        const char *unit;
        size_t n;
        const char *tail;
        int flags;
        const char *err;    /* NULL: accepted */
    } cases[] = {
        {"<", "a", ADDR_MAX_LEN - 2, "@b>", 0, NULL},
        {"<", "a", ADDR_MAX_LEN + 1, "@b>", 0, "address too long"},
        {"<", "a", 100000, "@b>", 0, "address too long"},
        {"<\"", "a", 100000, "\"@b>", 0, "address too long"},
        {"<a@", "b", ADDR_DOMAIN_MAX, ">", 0, NULL},
        {"<a@", "b", ADDR_DOMAIN_MAX + 1, ">", 0, "domain name too long"},
        {"<a@", "b", 100000, ">", 0, "domain name too long"},
        {"<a@", "\xc3\xa4", 200, ">", U8, "domain name too long"},
        {"<@", "r", 100000, ":a@b>", 0, "bad source route"},
        {"<", "@r,", 1000, "@s:a@b>", 0, NULL},
        {"<a@[", "1", 100000, "]>", 0, "bad address literal"},
        {"", "<", 100000, "", 0, "bad character in address"},
        {"", "\"", 100001, "", 0, "unbalanced quote in address"},
        {"", "a", 100000, "", 0, "address too long"},
        {"<a@b>", " ", 100000, "", 0, NULL},
        {"", "\x01", 100000, "", 0, "control character in address"},
    };
    VSTR *out = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *body = repeat(cases[i].unit, cases[i].n, cases[i].tail);
        VSTR *in = vstr_new(0);
        const char *err = NULL;
        const char *rest = NULL;
        int rc;

        vstr_adds(in, cases[i].head);
        vstr_adds(in, body);
        rc = addr_parse_path(vstr_str(in), cases[i].flags, out, &rest, &err);
        if (cases[i].err == NULL)
            TAP_INT(rc, 0, "path bounds %zu: accepted (%s)", i, err ? err : "");
        else
            TAP_STR(err, cases[i].err, "path bounds %zu: reason", i);
        TAP_OK(vstr_len(out) <= ADDR_MAX_LEN, "path bounds %zu: result bounded", i);
        vstr_free(in);
        mem_free(body);
    }
    vstr_free(out);
}

static void test_quote(void)
{
    static const struct {
        const char *internal;
        const char *external;
    } cases[] = {
        {"john@example.com", "john@example.com"},
        {"john.doe@example.com", "john.doe@example.com"},
        {"john doe@example.com", "\"john doe\"@example.com"},
        {"a@b@c", "\"a@b\"@c"},
        {".john@x", "\".john\"@x"},
        {"john.@x", "\"john.\"@x"},
        {"a..b@x", "\"a..b\"@x"},
        {"a\"b@c", "\"a\\\"b\"@c"},
        {"a\\b@c", "\"a\\\\b\"@c"},
        {"a(b)@c", "\"a(b)\"@c"},
        {"a,b@c", "\"a,b\"@c"},
        {"@x", "\"\"@x"},
        {"user", "user"},
        {"us er", "\"us er\""},
        {"", ""},
        {"j\xc3\xb6rg@x", "j\xc3\xb6rg@x"},
        {"a+b-c=d@x", "a+b-c=d@x"},
        {"a@[1.2.3.4]", "a@[1.2.3.4]"},
    };
    VSTR *out = vstr_new(0);
    VSTR *back = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        addr_quote(out, cases[i].internal);
        TAP_STR(vstr_str(out), cases[i].external, "quote %zu: %s", i, cases[i].internal);
        TAP_INT(addr_unquote(back, vstr_str(out)), 0, "unquote %zu: balanced", i);
        TAP_STR(vstr_str(back), cases[i].internal, "unquote %zu: round trip", i);
    }
    TAP_INT(addr_unquote(back, "\"unterminated@x"), -1, "unquote: unbalanced quote");
    TAP_INT(addr_unquote(back, "\"Mixed\".Case@Example.COM"), 0, "unquote mixed");
    TAP_STR(vstr_str(back), "Mixed.Case@Example.COM", "unquote keeps case");
    TAP_INT(addr_unquote(back, "a\\@b@c"), 0, "unquote escaped @");
    TAP_STR(vstr_str(back), "a@b@c", "unquote: backslash outside quotes");
    vstr_free(out);
    vstr_free(back);
}

static void test_find_at(void)
{
    static const struct {
        const char *ext;
        long pos;           /* -1: none */
    } cases[] = {
        {"a@b", 1},
        {"\"a@b\"@c", 5},
        {"\"a@b\"", -1},
        {"a@b@c", 3},
        {"a\\@b", -1},
        {"\"a\\\"@b\"@c", 7},
        {"", -1},
        {"@", 0},
        {"\"unterminated@x", -1},
        {"trailing\\", -1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *at = addr_find_at(cases[i].ext);

        TAP_INT(at ? at - cases[i].ext : -1, cases[i].pos, "find_at %zu: %s", i, cases[i].ext);
    }
}

static void test_fold(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"John@Example.COM", "John@example.com"},
        {"A@B@C", "A@B@c"},
        {"NoDomain", "NoDomain"},
        {"X@[IPv6:ABCD::1]", "X@[ipv6:abcd::1]"},
        {"J\xc3\x96@\xc3\x96Z.DE", "J\xc3\x96@\xc3\x96z.de"},
        {"", ""},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *copy = mem_strdup(cases[i].in);

        addr_fold_domain(copy);
        TAP_STR(copy, cases[i].want, "fold %zu", i);
        mem_free(copy);
    }
}

static void test_rewrite(void)
{
    static const struct {
        const char *addr;
        const char *domain;
        int origin_rc;
        const char *origin_want;
        int dot_rc;
        const char *dot_want;
    } cases[] = {
        {"user", "example.com", 1, "user@example.com", 0, "user"},
        {"user@host", "example.com", 0, "user@host", 1, "user@host.example.com"},
        {"user@host.sub", "example.com", 0, "user@host.sub", 0, "user@host.sub"},
        {"user@[1.2.3.4]", "example.com", 0, "user@[1.2.3.4]", 0, "user@[1.2.3.4]"},
        {"user@", "example.com", 0, "user@", 0, "user@"},
        {"", "example.com", 0, "", 0, ""},
        {"user", "", 0, "user", 0, "user"},
        {"a@b@host", "x.org", 0, "a@b@host", 1, "a@b@host.x.org"},
        {"user@localhost", "example.com", 0, "user@localhost", 1, "user@localhost.example.com"},
        {"user@host.", "example.com", 0, "user@host.", 0, "user@host."},
    };
    VSTR *out = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TAP_INT(addr_append_origin(out, cases[i].addr, cases[i].domain), cases[i].origin_rc,
                "origin %zu: rc", i);
        TAP_STR(vstr_str(out), cases[i].origin_want, "origin %zu: %s", i, cases[i].addr);
        TAP_INT(addr_append_dot_mydomain(out, cases[i].addr, cases[i].domain), cases[i].dot_rc,
                "dot_mydomain %zu: rc", i);
        TAP_STR(vstr_str(out), cases[i].dot_want, "dot_mydomain %zu: %s", i, cases[i].addr);
    }
    TAP_INT(addr_append_origin(out, "user", NULL), 0, "origin NULL");
    TAP_INT(addr_append_dot_mydomain(out, "u@h", NULL), 0, "dot_mydomain NULL");
    vstr_free(out);
}

static void test_split_ext(void)
{
    static const struct {
        const char *addr;
        const char *delims;
        int rc;
        const char *base;
        const char *ext;
    } cases[] = {
        {"user+ext@example.com", "+", '+', "user@example.com", "ext"},
        {"user@example.com", "+", 0, "user@example.com", ""},
        {"user+@d", "+", '+', "user@d", ""},
        {"a+b+c@d", "+", '+', "a@d", "b+c"},
        {"a-b+c@d", "+-", '-', "a@d", "b+c"},
        {"a+b-c@d", "+-", '+', "a@d", "b-c"},
        {"a-b+c@d", "+", '+', "a-b@d", "c"},
        {"+ext@d", "+", 0, "+ext@d", ""},
        {"-x@d", "+-", 0, "-x@d", ""},
        {"owner-list@d", "-", 0, "owner-list@d", ""},
        {"Owner-list@d", "-", 0, "Owner-list@d", ""},
        {"owner+list@d", "+", '+', "owner@d", "list"},
        {"list-request@d", "-", 0, "list-request@d", ""},
        {"list-Request@d", "-", 0, "list-Request@d", ""},
        {"list-requests@d", "-", '-', "list@d", "requests"},
        {"list-foo@d", "-", '-', "list@d", "foo"},
        {"MAILER-DAEMON@d", "-", 0, "MAILER-DAEMON@d", ""},
        {"postmaster@d", "+", 0, "postmaster@d", ""},
        {"postmaster+x@d", "+", '+', "postmaster@d", "x"},
        {"user+ext", "+", '+', "user", "ext"},
        {"user+ext@d", "", 0, "user+ext@d", ""},
        {"user+ext@d", NULL, 0, "user+ext@d", ""},
        {"a@b+c@d", "+", '+', "a@b@d", "c"},
        {"", "+", 0, "", ""},
        {"@d", "+", 0, "@d", ""},
        {"us.er=x@d", "=.", '.', "us@d", "er=x"},
    };
    VSTR *base = vstr_new(0);
    VSTR *ext = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = addr_split_ext(cases[i].addr, cases[i].delims, base, ext);

        TAP_INT(rc, cases[i].rc, "split %zu: %s delimiter", i, cases[i].addr);
        TAP_STR(vstr_str(base), cases[i].base, "split %zu: base", i);
        TAP_STR(vstr_str(ext), cases[i].ext, "split %zu: ext", i);
    }
    vstr_free(base);
    vstr_free(ext);
}

static void test_domains(void)
{
    static const struct {
        const char *name;
        int flags;
        int hostname;       /* addr_valid_hostname */
        int domain;         /* addr_check_domain */
        int helo;           /* addr_check_helo */
    } cases[] = {
        {"example.com", 0, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"mail.example.com", 0, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"localhost", 0, 1, ADDR_DOMAIN_NON_FQDN, ADDR_DOMAIN_NON_FQDN},
        {"a", 0, 1, ADDR_DOMAIN_NON_FQDN, ADDR_DOMAIN_NON_FQDN},
        {"example.com.", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_OK},
        {"localhost.", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_NON_FQDN},
        {"example..com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {".example.com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"example.com..", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"-a.example.com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"a-.example.com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"a.example.com-", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"a-b.example.com", 0, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"xn--bcher-kva.example", 0, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"under_score.example", 0, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"123.example.com", 0, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"123", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"1.2.3.4", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_OK},
        {"1.2.3.456", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"2001:db8::1", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_OK},
        {"[1.2.3.4]", 0, 0, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"[IPv6:2001:db8::1]", 0, 0, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"[2001:db8::1]", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"[1.2.3]", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"[1.2.3.4", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"[]", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"exa mple.com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"exa\x01mple.com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"exa/mple.com", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {".", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"b\xc3\xbc" "cher.de", 0, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        {"b\xc3\xbc" "cher.de", U8, 1, ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"b\xc3(cher.de", U8, 0, ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
        /* 63-byte label fits, 64 does not. */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0, 1,
         ADDR_DOMAIN_OK, ADDR_DOMAIN_OK},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0, 0,
         ADDR_DOMAIN_INVALID, ADDR_DOMAIN_INVALID},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TAP_INT(addr_valid_hostname(cases[i].name, cases[i].flags), cases[i].hostname,
                "hostname %zu: %s", i, cases[i].name);
        TAP_INT(addr_check_domain(cases[i].name, cases[i].flags), cases[i].domain,
                "domain %zu: %s", i, cases[i].name);
        TAP_INT(addr_check_helo(cases[i].name, cases[i].flags), cases[i].helo,
                "helo %zu: %s", i, cases[i].name);
    }
    /* Total length: 255 bytes pass, 256 do not. */
    {
        char *name = repeat("abcdefg.", 31, "abcdefg");    /* 255 */
        char *longer = repeat("abcdefg.", 31, "abcdefgh"); /* 256 */
        char *huge = repeat("a.", 50000, "com");

        TAP_INT(addr_valid_hostname(name, 0), 1, "hostname of 255 bytes");
        TAP_INT(addr_valid_hostname(longer, 0), 0, "hostname of 256 bytes");
        TAP_INT(addr_check_helo(huge, 0), ADDR_DOMAIN_INVALID, "helo of 100k bytes");
        mem_free(name);
        mem_free(longer);
        mem_free(huge);
    }
    {
        static const struct {
            const char *lit;
            int family;
        } lits[] = {
            {"[1.2.3.4]", AF_INET}, {"[IPv6:::1]", AF_INET6}, {"[ipv6:::ffff:1.2.3.4]", AF_INET6},
            {"[255.255.255.255]", AF_INET}, {"[256.1.1.1]", 0}, {"[1.2.3.4 ]", 0},
            {"[IPv6:1.2.3.4]", 0}, {"1.2.3.4", 0}, {"[", 0}, {"[]", 0},
            {"[IPv6:]", 0}, {"[IPv6:::1", 0}, {"[01.2.3.4]", 0},
        };

        for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
            TAP_INT(addr_valid_literal(lits[i].lit), lits[i].family, "literal %s", lits[i].lit);
    }
    {
        static const struct {
            const char *addr;
            int want;
        } addrs[] = {
            {"", ADDR_DOMAIN_OK},
            {"user@example.com", ADDR_DOMAIN_OK},
            {"user@[1.2.3.4]", ADDR_DOMAIN_OK},
            {"user", ADDR_DOMAIN_NON_FQDN},
            {"user@localhost", ADDR_DOMAIN_NON_FQDN},
            {"user@", ADDR_DOMAIN_INVALID},
            {"user@exa mple.com", ADDR_DOMAIN_INVALID},
            {"a@b@example.com", ADDR_DOMAIN_OK},
            {"user@-bad.com", ADDR_DOMAIN_INVALID},
        };

        for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
            TAP_INT(addr_check_address(addrs[i].addr, 0), addrs[i].want, "check_address %s",
                    addrs[i].addr);
    }
}

/*
 * Deterministic random input from an alphabet heavy in specials: nothing may
 * crash (the sanitizers watch), results stay bounded, and an accepted path
 * is well formed.
 */
static void test_random(void)
{
    static const char alphabet[] = "ab@.<>()[]\\\":;, \t\r\n\x01\x7f\xc3\xa4\xff!-+IPv6:1";
    unsigned long seed = 12345;
    VSTR *in = vstr_new(0);
    VSTR *out = vstr_new(0);
    VSTR *why = vstr_new(0);
    int bad = 0;
    int round;

    for (round = 0; round < 20000; round++) {
        size_t len;
        size_t i;
        ADDR_LIST *l;
        const char *err;
        const char *rest;

        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        len = (seed >> 33) % 40;
        vstr_reset(in);
        for (i = 0; i < len; i++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            vstr_addch(in, alphabet[(seed >> 33) % (sizeof(alphabet) - 1)]);
        }
        if ((l = addr_list_parse(vstr_str(in), why)) != NULL) {
            for (i = 0; i < l->count; i++)
                if (strlen(l->items[i].addr) > 2 * vstr_len(in) + 2
                    || strpbrk(l->items[i].addr, "\x01\x7f\r\n") != NULL)
                    bad++;
            addr_list_free(l);
        }
        if (addr_parse_path(vstr_str(in), round % 2 ? ADDR_FLAG_SMTPUTF8 : 0, out, &rest, &err) == 0) {
            const char *at = strrchr(vstr_str(out), '@');

            if (vstr_len(out) > vstr_len(in) || rest < vstr_str(in)
                || rest > vstr_str(in) + vstr_len(in) || (at != NULL && at[1] == 0))
                bad++;
            if (strpbrk(vstr_str(out), "\x01\x7f\r\n") != NULL)
                bad++;
        }
        addr_quote(out, vstr_str(in));
        (void) addr_unquote(why, vstr_str(out));
        if (strcmp(vstr_str(why), vstr_str(in)) != 0)
            bad++;
    }
    TAP_INT(bad, 0, "20000 random inputs: no unbounded or malformed result");
    vstr_free(in);
    vstr_free(out);
    vstr_free(why);
}

int main(int argc, char **argv)
{
    (void) argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    test_list();
    test_list_bounds();
    test_path();
    test_path_bounds();
    test_quote();
    test_find_at();
    test_fold();
    test_rewrite();
    test_split_ext();
    test_domains();
    test_random();
    return tap_done();
}
