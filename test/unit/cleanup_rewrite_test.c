/*
 * cleanup_rewrite_test - cleanup's stateless parts, table-driven: header
 * names and kinds, header address rewriting (context, canonical,
 * masquerade, groups, oversized lists), the added From:, character sets
 * (the check actions are lib/check_action, test/unit/check_action_test),
 * envelope rewriting and virtual alias expansion (user@domain, user,
 * @domain catch-all, one-to-many, recursion, loops, limits, extensions).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "cleanup_checks.h"
#include "cleanup_header.h"
#include "cleanup_mime.h"
#include "cleanup_rewrite.h"
#include "cleanup_valias.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"
#include "tap.h"
#include "cleanup_conf.h"

static char dir[] = "/tmp/cleanup_rewrite_test.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("create %s: %m", path);
    fputs(text, fp);
    fclose(fp);
}

static CLEANUP_MAPS *open_maps(const char *title, const char *name)
{
    char spec[256];
    VSTR *why = vstr_new(0);
    CLEANUP_MAPS *m;

    if (name == NULL)
        spec[0] = 0;
    else
        snprintf(spec, sizeof(spec), "texthash:%s/%s", dir, name);
    if ((m = cleanup_maps_open(title, spec, why)) == NULL)
        msg_fatal("%s", vstr_str(why));
    vstr_free(why);
    return m;
}

static void conf_setup(CLEANUP_CONF *c)
{
    VSTR *why = vstr_new(0);

    cleanup_conf_base(c);
    c->rcpt_delim = "+";
    c->append_dot_mydomain = 1;
    c->valias_recursion = 1000;
    c->sender_canon_classes = cleanup_classes("envelope_sender, header_sender");
    c->rcpt_canon_classes = cleanup_classes("envelope_recipient, header_recipient");
    c->masq_domains = argv_split("!keep.example.com, example.com", ", ");
    c->masq_exceptions = argv_split("root", ", ");
    c->canonical = open_maps("canonical_maps", "canonical");
    c->sender_canonical = open_maps("sender_canonical_maps", "sender_canonical");
    c->rcpt_canonical = open_maps("recipient_canonical_maps", NULL);
    c->virtual_alias = open_maps("virtual_alias_maps", "virtual");
    c->mydestination = match_list_create("mydestination", "mail.example.com, localhost", MATCH_DOMAIN,
                                         why);
    vstr_free(why);
}

static void test_header_names(void)
{
    static const struct {
        const char *line;
        size_t want;
    } cases[] = {
        {"Subject: x", 7}, {"Subject : x", 7}, {"Subject\t:x", 7}, {"X-A:", 3},
        {": x", 0}, {"No colon here", 0}, {"X\001Y: z", 0}, {"", 0}, {" To: a", 0},
        {"To", 0}, {"Bad Name: x", 0}, {"\xc3\xa9: x", 0},
    };
    size_t i, len;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        len = strlen(cases[i].line);
        TAP_INT(cleanup_header_name(cases[i].line, &len), cases[i].want, "header name of \"%s\"",
                cases[i].line);
    }
    TAP_INT(cleanup_header_kind("to", 2), CLEANUP_HK_TO, "kind: to (any case)");
    TAP_INT(cleanup_header_kind("RESENT-FROM", 11), CLEANUP_HK_RESENT_FROM, "kind: RESENT-FROM");
    TAP_INT(cleanup_header_kind("Resent-Foo", 10), CLEANUP_HK_RESENT_OTHER, "kind: other Resent-");
    TAP_INT(cleanup_header_kind("Message-ID", 10), CLEANUP_HK_MSGID, "kind: Message-ID");
    TAP_INT(cleanup_header_kind("X-Mailer", 8), CLEANUP_HK_OTHER, "kind: X-Mailer");
    TAP_INT(cleanup_header_kind("Tox", 3), CLEANUP_HK_OTHER, "kind: not a prefix match");
    TAP_OK(cleanup_header_is_sender(CLEANUP_HK_REPLY_TO), "Reply-To is a sender header");
    TAP_OK(cleanup_header_is_rcpt(CLEANUP_HK_RESENT_BCC), "Resent-Bcc is a recipient header");
    TAP_OK(!cleanup_header_is_rcpt(CLEANUP_HK_FROM), "From is not a recipient header");
}

static void test_header_rewrite(CLEANUP_CONF *c)
{
    static const struct {
        int context;
        int class;
        const char *in;
        int want_r;
        const char *want;
    } cases[] = {
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: bob", 1, "To: bob@example.com"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: Bob Builder <bob>, carol@relay.test", 1,
         "To: Bob Builder <bob@example.com>, carol@relay.test"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_FROM, "From: Joe <joe@host>", 1,
         "From: Joe <joe@example.com>"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: Joe <joe@host>", 1,
         "To: Joe <joe@example.com>"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: Joe <joe@host.keep.example.com>", 0, NULL},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: Joe <joe@keep>", 1,
         "To: Joe <joe@keep.example.com>"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: a@b.test", 0, NULL},
        {CLEANUP_CTX_NONE, CLEANUP_CLASS_HDR_RCPT, "To: bob", 0, NULL},
        {CLEANUP_CTX_NONE, CLEANUP_CLASS_HDR_FROM, "From: a@mail.sub.example.com", 1,
         "From: a@example.com"},
        {CLEANUP_CTX_NONE, CLEANUP_CLASS_HDR_FROM, "From: root@mail.example.com", 0, NULL},
        {CLEANUP_CTX_NONE, CLEANUP_CLASS_HDR_FROM, "From: a@x.keep.example.com", 0, NULL},
        {CLEANUP_CTX_NONE, CLEANUP_CLASS_HDR_FROM, "From: a@example.com", 0, NULL},
        {CLEANUP_CTX_NONE, CLEANUP_CLASS_HDR_RCPT, "Cc: Old <old@example.com>", 1,
         "Cc: Old <new@example.com>"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: team: a, b;", 1,
         "To: team: a@example.com, b@example.com;"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: \"john doe\"", 1,
         "To: \"john doe\"@example.com"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: \"Doe, John\" <j>", 1,
         "To: \"Doe, John\" <j@example.com>"},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To:", 0, NULL},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, "To: <>", 0, NULL},
        {CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_FROM, "From: alice@example.com", 1,
         "From: Alice.Smith@example.com"},
    };
    VSTR *out = vstr_new(0);
    VSTR *big = vstr_new(0);
    ARGV *list = argv_new();
    size_t i;
    int r;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vstr_set(out, "untouched");
        r = cleanup_header_rewrite(c, cases[i].context, cases[i].class, cases[i].in, out);
        TAP_INT(r, cases[i].want_r, "rewrite \"%s\": result", cases[i].in);
        TAP_STR(vstr_str(out), cases[i].want_r ? cases[i].want : "untouched",
                "rewrite \"%s\": text", cases[i].in);
    }
    c->remote_header_domain = "remote.test";
    r = cleanup_header_rewrite(c, CLEANUP_CTX_REMOTE, CLEANUP_CLASS_HDR_RCPT, "To: bob, x@y.test", out);
    TAP_STR(r == 1 ? vstr_str(out) : "", "To: bob@remote.test, x@y.test",
            "remote context appends remote_header_rewrite_domain");
    c->remote_header_domain = "";

    /* More addresses than lib/addr.h allows: left alone, no crash. */
    vstr_set(big, "To: ");
    for (i = 0; i <= ADDR_LIST_MAX_ADDRS; i++)
        vstr_adds(big, "a,");
    vstr_set(out, "untouched");
    TAP_INT(cleanup_header_rewrite(c, CLEANUP_CTX_LOCAL, CLEANUP_CLASS_HDR_RCPT, vstr_str(big), out),
            0, "an oversized address list is not rewritten");
    TAP_INT(cleanup_header_addrs(vstr_str(big), list), -1, "nor extracted");
    TAP_INT(cleanup_header_addrs("Cc: A <a@x.test>, b@y.test, <>", list), 0, "extract Cc");
    TAP_INT(list->argc, 2, "two addresses (the null one skipped)");
    TAP_STR(list->argc > 1 ? list->argv[1] : NULL, "b@y.test", "in order");

    cleanup_header_from(out, "alice@example.com", "Alice Example");
    TAP_STR(vstr_str(out), "From: Alice Example <alice@example.com>", "From: with a full name");
    cleanup_header_from(out, "a@b.test", "Doe, John");
    TAP_STR(vstr_str(out), "From: \"Doe, John\" <a@b.test>", "a full name with specials is quoted");
    cleanup_header_from(out, "a@b.test", "");
    TAP_STR(vstr_str(out), "From: a@b.test", "From: without a name");
    cleanup_header_from(out, "john doe@b.test", NULL);
    TAP_STR(vstr_str(out), "From: \"john doe\"@b.test", "a local part with a space is quoted");
    vstr_free(out);
    vstr_free(big);
    argv_free(list);
}

static void test_char_set(void)
{
    char set[256];

    TAP_INT(cleanup_char_set("", set), 0, "char set: empty");
    TAP_INT(cleanup_char_set("ab\\0\\t\\r\\n\\\\\\177\\x1b\\q", set), 1, "char set: escapes");
    TAP_OK(set['a'] && set['b'] && set[0] && set['\t'] && set['\r'] && set['\n'] && set['\\']
           && set[0177] && set[0x1b] && set['q'] && !set['c'] && !set['x'] && !set['0'],
           "char set: exactly the named characters");
    TAP_INT(cleanup_char_set("\\xZZ", set), -1, "char set: \\x without hex digits");
    TAP_INT(cleanup_char_set("end\\", set), 1, "char set: a trailing backslash is itself");
    TAP_OK(set['\\'], "and is in the set");
}

static void test_envelope_rewrite(CLEANUP_CONF *c)
{
    static const struct {
        int local;
        const char *in;
        const char *want;
    } ctx[] = {
        {1, "bob", "bob@example.com"},
        {1, "bob@host", "bob@host.example.com"},
        {1, "bob@host.example.org", "bob@host.example.org"},
        {1, "", ""},
        {0, "bob", "bob"},
        {0, "bob@host", "bob@host"},
    };
    VSTR *a = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++) {
        vstr_set(a, ctx[i].in);
        cleanup_rewrite_context(c, ctx[i].local, a);
        TAP_STR(vstr_str(a), ctx[i].want, "%s context: \"%s\"", ctx[i].local ? "local" : "remote",
                ctx[i].in);
    }
    c->append_dot_mydomain = 0;
    vstr_set(a, "bob@host");
    cleanup_rewrite_context(c, 1, a);
    TAP_STR(vstr_str(a), "bob@host", "append_dot_mydomain = no");
    c->append_dot_mydomain = 1;

    vstr_set(a, "alice@example.com");
    TAP_INT(cleanup_canonical(c, CLEANUP_CLASS_ENV_FROM, a), 0, "sender canonical: ok");
    TAP_STR(vstr_str(a), "Alice.Smith@example.com", "sender_canonical_maps for the sender");
    vstr_set(a, "alice@example.com");
    cleanup_canonical(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_STR(vstr_str(a), "alice@example.com", "but not for a recipient");
    vstr_set(a, "chain1@example.com");
    cleanup_canonical(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_STR(vstr_str(a), "chain3@example.com", "canonical_maps applies until nothing changes");
    vstr_set(a, "ping@example.com");
    cleanup_canonical(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_OK(strcmp(vstr_str(a), "ping@example.com") == 0 || strcmp(vstr_str(a), "pong@example.com") == 0,
           "a canonical loop ends (%s)", vstr_str(a));
    vstr_set(a, "old+tag@example.com");
    cleanup_canonical(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_STR(vstr_str(a), "new+tag@example.com", "the extension is kept through canonical");
    c->propagate_canonical = 0;
    vstr_set(a, "old+tag@example.com");
    cleanup_canonical(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_STR(vstr_str(a), "new@example.com", "without canonical in propagate_unmatched_extensions");
    c->propagate_canonical = 1;
    vstr_set(a, "anyone@olddomain.test");
    cleanup_canonical(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_STR(vstr_str(a), "anyone@newdomain.test", "@domain canonical entry");

    vstr_set(a, "u@h.example.com");
    cleanup_masquerade(c, CLEANUP_CLASS_ENV_FROM, a);
    TAP_STR(vstr_str(a), "u@example.com", "masquerade the envelope sender");
    vstr_set(a, "u@h.example.com");
    cleanup_masquerade(c, CLEANUP_CLASS_ENV_RCPT, a);
    TAP_STR(vstr_str(a), "u@h.example.com", "not the envelope recipient (masquerade_classes)");
    vstr_set(a, "u@badexample.com");
    cleanup_masquerade(c, CLEANUP_CLASS_ENV_FROM, a);
    TAP_STR(vstr_str(a), "u@badexample.com", "only at a label boundary");
    TAP_INT(cleanup_classes("header_sender,  envelope_recipient bogus"),
            CLEANUP_CLASS_HDR_FROM | CLEANUP_CLASS_ENV_RCPT, "classes parse, unknown words ignored");
    vstr_free(a);
}

/* Expand and join the result with spaces; "ERR n" on failure. */
static const char *expand(CLEANUP_CONF *c, const char *addr, VSTR *buf)
{
    ARGV *out = argv_new();
    VSTR *why = vstr_new(0);
    int r = cleanup_valias_expand(c, addr, out, why);
    size_t i;

    vstr_reset(buf);
    if (r < 0)
        vstr_printf(buf, "ERR %d", r);
    for (i = 0; r == 0 && i < out->argc; i++)
        vstr_printf(buf, "%s%s", i ? " " : "", out->argv[i]);
    argv_free(out);
    vstr_free(why);
    return vstr_str(buf);
}

static void test_valias(CLEANUP_CONF *c)
{
    static const struct {
        const char *addr;
        const char *want;
    } cases[] = {
        {"team@example.com", "carol@relay.test dave@down.test"},
        {"TEAM@Example.COM", "carol@relay.test dave@down.test"},
        {"nobody@relay.test", "nobody@relay.test"},
        {"self@example.com", "self@example.com copy@relay.test"},
        {"loop1@example.com", "loop1@example.com"},
        {"nested@example.com", "carol@relay.test dave@down.test x@relay.test"},
        {"dup@example.com", "carol@relay.test dave@down.test"},
        {"user@mail.example.com", "user-target@relay.test"},
        {"user@relay.test", "user@relay.test"},
        {"other@catch.test", "catchall@example.com"},
        {"exact@catch.test", "exact-target@relay.test"},
        {"ext+foo@example.com", "ext-target+foo@relay.test"},
        {"unq@example.com", "localpart@example.com"},
        {"quoted@example.com", "john doe@relay.test"},
        {"deep0@example.com", "deep-end@relay.test"},
        {"", ""},
    };
    VSTR *buf = vstr_new(0);
    CLEANUP_MAPS *save;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        TAP_STR(expand(c, cases[i].addr, buf), cases[i].want, "virtual: %s", cases[i].addr);
    c->valias_recursion = 3;
    TAP_STR(expand(c, "deep0@example.com", buf), "ERR -2", "nesting beyond the recursion limit");
    c->valias_recursion = 1000;
    c->valias_expansion = 10;
    TAP_STR(expand(c, "big@example.com", buf), "ERR -2", "more results than the expansion limit");
    c->valias_expansion = 1000;
    TAP_STR(expand(c, "big@example.com", buf),
            "a1@x.test a2@x.test a3@x.test a4@x.test a5@x.test a6@x.test a7@x.test a8@x.test "
            "a9@x.test a10@x.test a11@x.test a12@x.test",
            "within the limit: twelve results");
    c->propagate_virtual = 0;
    TAP_STR(expand(c, "ext+foo@example.com", buf), "ext-target@relay.test",
            "propagate_unmatched_extensions without virtual: the extension is dropped");
    c->propagate_virtual = 1;
    c->valias_addr_len = 20;
    TAP_STR(expand(c, "longname@example.com", buf), "ERR -2", "a result over the length limit");
    c->valias_addr_len = 1000;
    save = c->virtual_alias;
    c->virtual_alias = open_maps("virtual_alias_maps", NULL);
    TAP_STR(expand(c, "team@example.com", buf), "team@example.com", "no virtual_alias_maps");
    cleanup_maps_free(c->virtual_alias);
    c->virtual_alias = save;
    vstr_free(buf);
}

static void test_maps(void)
{
    VSTR *why = vstr_new(0);
    CLEANUP_MAPS *m = cleanup_maps_open("t", " inline:{ a@x=1, b@x=2 } ,, static:other ", why);
    char spec[300];

    TAP_OK(m != NULL, "a list with an inline table holding commas opens (%s)", vstr_str(why));
    if (m != NULL) {
        TAP_INT(m->count, 2, "two tables");
        TAP_STR(cleanup_maps_find(m, "b@x"), "2", "the first table answers");
        TAP_STR(cleanup_maps_find(m, "zzz"), "other", "then the second");
        TAP_STR(cleanup_maps_find_fixed(m, "A@X"), "1", "fixed keys are folded");
        cleanup_maps_free(m);
    }
    snprintf(spec, sizeof(spec), "texthash:%s/no-such-file", dir);
    m = cleanup_maps_open("virtual_alias_maps", spec, why);
    TAP_OK(m == NULL, "a table that cannot be opened: NULL");
    TAP_OK(strstr(vstr_str(why), "virtual_alias_maps") != NULL, "why names the parameter: %s",
           vstr_str(why));
    m = cleanup_maps_open("t", "", why);
    TAP_OK(m != NULL && cleanup_maps_empty(m), "an empty list");
    TAP_OK(m != NULL && cleanup_maps_find(m, "a") == NULL && m->error == TABLE_OK, "finds nothing");
    cleanup_maps_free(m);
    vstr_free(why);
}

static void test_mime(void)
{
    static const struct {
        const char *header;
        int want;
        const char *boundary;
    } types[] = {
        {"Content-Type: multipart/mixed; boundary=abc", CLEANUP_MIME_MULTIPART, "abc"},
        {"Content-Type: Multipart/Alternative;\n\tBOUNDARY=\"=_a b\\\"c\"", CLEANUP_MIME_MULTIPART,
         "=_a b\"c"},
        {"Content-Type: multipart/mixed; charset=x; boundary = \"q\" ; x=y", CLEANUP_MIME_MULTIPART, "q"},
        {"Content-Type: multipart/mixed", CLEANUP_MIME_OTHER, ""},
        {"Content-Type: multipart/mixed; boundary=\"\"", CLEANUP_MIME_OTHER, ""},
        {"Content-Type: message/rfc822", CLEANUP_MIME_MESSAGE, ""},
        {"Content-Type: message/rfc822x", CLEANUP_MIME_OTHER, ""},
        {"Content-Type: text/plain; boundary=abc", CLEANUP_MIME_OTHER, ""},
        {"Content-Type", CLEANUP_MIME_OTHER, ""},
    };
    VSTR *b = vstr_new(0);
    VSTR *big = vstr_new(0);
    ARGV *stack = argv_new();
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        vstr_reset(b);
        TAP_INT(cleanup_mime_content_type(types[i].header, b), types[i].want, "MIME type of %s",
                types[i].header);
        if (types[i].want == CLEANUP_MIME_MULTIPART)
            TAP_STR(vstr_str(b), types[i].boundary, "boundary of %s", types[i].header);
    }
    vstr_set(big, "Content-Type: multipart/mixed; boundary=");
    for (i = 0; i <= CLEANUP_MIME_BOUNDARY_MAX; i++)
        vstr_addch(big, 'b');
    TAP_INT(cleanup_mime_content_type(vstr_str(big), b), CLEANUP_MIME_OTHER,
            "a boundary over CLEANUP_MIME_BOUNDARY_MAX is not used");
    argv_add(stack, "outer");
    argv_add(stack, "inner");
    TAP_INT(cleanup_mime_boundary_line("--inner", 7, stack), 2, "--inner: level 2");
    TAP_INT(cleanup_mime_boundary_line("--outer  ", 9, stack), 1, "--outer with trailing space");
    TAP_INT(cleanup_mime_boundary_line("--inner--", 9, stack), -2, "--inner--: closes level 2");
    TAP_INT(cleanup_mime_boundary_line("--outer--", 9, stack), -1, "--outer--: closes level 1");
    TAP_INT(cleanup_mime_boundary_line("--outerx", 8, stack), 0, "--outerx: not a boundary");
    TAP_INT(cleanup_mime_boundary_line("-outer", 6, stack), 0, "-outer: not a boundary");
    TAP_INT(cleanup_mime_boundary_line("--", 2, stack), 0, "--: not a boundary");
    argv_free(stack);
    vstr_free(b);
    vstr_free(big);
}

int main(void)
{
    CLEANUP_CONF conf;
    VSTR *cmd = vstr_new(0);
    int r;

    msg_init("cleanup_rewrite_test", MSG_OUT_STDERR);
    if (mkdtemp(dir) == NULL)
        msg_fatal("mkdtemp: %m");
    write_file("canonical", "old@example.com new@example.com\nchain1@example.com chain2@example.com\n"
               "chain2@example.com chain3@example.com\nping@example.com pong@example.com\n"
               "pong@example.com ping@example.com\n@olddomain.test @newdomain.test\n");
    write_file("sender_canonical", "alice@example.com Alice.Smith@example.com\n");
    write_file("virtual",
               "team@example.com carol@relay.test, dave@down.test\n"
               "self@example.com self@example.com, copy@relay.test\n"
               "loop1@example.com loop2@example.com\n"
               "loop2@example.com loop1@example.com\n"
               "nested@example.com team@example.com, x@relay.test\n"
               "dup@example.com team@example.com, carol@relay.test\n"
               "user user-target@relay.test\n"
               "@catch.test catchall@example.com\n"
               "exact@catch.test exact-target@relay.test\n"
               "ext@example.com ext-target@relay.test\n"
               "unq@example.com localpart\n"
               "quoted@example.com \"john doe\"@relay.test\n"
               "deep0@example.com deep1@example.com\ndeep1@example.com deep2@example.com\n"
               "deep2@example.com deep3@example.com\ndeep3@example.com deep4@example.com\n"
               "deep4@example.com deep-end@relay.test\n"
               "longname@example.com a-very-long-address-indeed@relay.test\n"
               "big@example.com a1@x.test, a2@x.test, a3@x.test, a4@x.test, a5@x.test, "
               "a6@x.test, a7@x.test, a8@x.test, a9@x.test, a10@x.test, a11@x.test, a12@x.test\n");
    conf_setup(&conf);
    test_maps();
    test_mime();
    test_header_names();
    test_header_rewrite(&conf);
    test_char_set();
    test_envelope_rewrite(&conf);
    test_valias(&conf);
    cleanup_conf_free(&conf);
    vstr_printf(cmd, "rm -rf %s", dir);
    r = system(vstr_str(cmd));
    (void) r;
    vstr_free(cmd);
    return tap_done();
}
