/*
 * tablesrc_test - postmap and postalias source lines, against what
 * Postfix 3.7's postmap and postalias store for the same lines.
 */
#include "config.h"

#include <string.h>

#include "mem.h"
#include "tablesrc.h"
#include "vstr.h"

#include "tap.h"

struct map_case {
    const char *line;
    int rc;
    const char *key;
    const char *value;
    const char *why;
};

static const struct map_case map_cases[] = {
    {"key value", TABLESRC_OK, "key", "value", NULL},
    {"  k2   v2   ", TABLESRC_OK, "k2", "v2", NULL},
    {"k3\tv3 with  spaces ", TABLESRC_OK, "k3", "v3 with  spaces", NULL},
    {"bob@example.com,                            carol@relay.test", TABLESRC_OK,
     "bob@example.com,", "carol@relay.test", NULL},
    {"\"quoted key\" qv", TABLESRC_OK, "\"quoted key\"", "qv", NULL},
    {"\"esc\\\"q\\\\b\" ev", TABLESRC_OK, "\"esc\\\"q\\\\b\"", "ev", NULL},
    {"\"bad\"x y  leading cont", TABLESRC_OK, "\"bad\"x", "y  leading cont", NULL},
    {"a\\ b c", TABLESRC_OK, "a\\ b", "c", NULL},
    {"key: value", TABLESRC_WARN, "key:", "value",
     "record is in \"key: value\" format; is this an alias file?"},
    {"novalue", TABLESRC_SKIP, NULL, NULL, "expected format: key whitespace value"},
    {"\"p q\"  ", TABLESRC_SKIP, NULL, NULL, "expected format: key whitespace value"},
    {"\"unterminated x", TABLESRC_SKIP, NULL, NULL,
     "unbalanced '\"' in '\"unterminated x' -- ignoring this line"},
    {"trailing\\", TABLESRC_SKIP, NULL, NULL, "expected format: key whitespace value"},
};

struct alias_case {
    const char *line;
    int rc;
    const char *key;
    const char *value;
};

static const struct alias_case alias_cases[] = {
    {"postmaster: root", TABLESRC_OK, "postmaster", "root"},
    {"Root:       alice, bob", TABLESRC_OK, "Root", "alice, bob"},
    {"staff:      alice,            bob,\tcarol@relay.test", TABLESRC_OK, "staff",
     "alice, bob, carol@relay.test"},
    {"\"quoted name\": alice", TABLESRC_OK, "quoted name", "alice"},
    {"include-list: :include:/etc/postfix/list.txt", TABLESRC_OK, "include-list",
     ":include:/etc/postfix/list.txt"},
    {"to-pipe:    \"|/usr/bin/logger -t mail\"", TABLESRC_OK, "to-pipe",
     "\"|/usr/bin/logger -t mail\""},
    {"to-file:    /srv/mail/fix.mbox", TABLESRC_OK, "to-file", "/srv/mail/fix.mbox"},
    {"a: b,c ,  d", TABLESRC_OK, "a", "b, c, d"},
    {"e: Name <e@x.org>, (comment) f , g@h (c2)", TABLESRC_OK, "e",
     "Name <e@x.org>, (comment) f, g@h (c2)"},
    {"f: \"|cmd arg\" , /file/x.y , :include:/etc/x.txt", TABLESRC_OK, "f",
     "\"|cmd arg\", /file/x.y, :include:/etc/x.txt"},
    {"h: a,,b,", TABLESRC_OK, "h", "a, , b, "},
    {"i: <>, \\root", TABLESRC_OK, "i", "<>, root"},
    {"J.K: a.b@c.d", TABLESRC_OK, "J.K", "a.b@c.d"},
    {"l m: n", TABLESRC_OK, "l m", "n"},
    {"o: p:q", TABLESRC_OK, "o", "p:q"},
    {"\"r\\\"s\": t", TABLESRC_OK, "r\"s", "t"},
    {"u: \"a\\\"b\"", TABLESRC_OK, "u", "\"a\\\"b\""},
    {"v: a;b", TABLESRC_OK, "v", "a;b"},
    {"w: [1.2.3.4], x@[5.6.7.8]", TABLESRC_OK, "w", "[1.2.3.4], x@[5.6.7.8]"},
    {"\"Quo Ted\" : \"x y\", z", TABLESRC_OK, "Quo Ted", "\"x y\", z"},
    {"a: (unterminated", TABLESRC_OK, "a", "(unterminated"},
    {"b: \"open", TABLESRC_OK, "b", "\"open\""},
    {"c: x <y", TABLESRC_OK, "c", "x <y"},
    {"d: x)y", TABLESRC_OK, "d", "x)y"},
    {"e: a\\,b", TABLESRC_OK, "e", "\"a,b\""},
    {"f: a]b [c", TABLESRC_OK, "f", "a]b [c]"},
    {"g: ,x", TABLESRC_OK, "g", ", x"},
    {"\"i\":j", TABLESRC_OK, "i", "j"},
    {"k :l", TABLESRC_OK, "k", "l"},
    {"nested: (a (b) c) d", TABLESRC_OK, "nested", "(a (b) c) d"},
    {"esc: (x\\)y) z", TABLESRC_OK, "esc", "(x\\)y) z"},
    {"lit: [a\\]b]", TABLESRC_OK, "lit", "[a]b]"},
    {"novalue", TABLESRC_SKIP, NULL, NULL},
    {"nocolon value", TABLESRC_SKIP, NULL, NULL},
    {"g:", TABLESRC_SKIP, NULL, NULL},
    {":h", TABLESRC_SKIP, NULL, NULL},
    {"a, b: c", TABLESRC_SKIP, NULL, NULL},
    {"b@dom: x", TABLESRC_SKIP, NULL, NULL},
    {"c%d: y", TABLESRC_SKIP, NULL, NULL},
    {"trailing\\", TABLESRC_SKIP, NULL, NULL},
    {"", TABLESRC_SKIP, NULL, NULL},
};

static void test_map(void)
{
    VSTR *why = vstr_new(100);
    size_t i;

    for (i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
        const struct map_case *c = map_cases + i;
        char *line = mem_strdup(c->line), *key = NULL, *value = NULL;
        int rc;

        vstr_reset(why);
        rc = tablesrc_map_line(line, &key, &value, why);
        TAP_INT(rc, c->rc, "map: %s: status", c->line);
        if (c->rc != TABLESRC_SKIP) {
            TAP_STR(key, c->key, "map: %s: key", c->line);
            TAP_STR(value, c->value, "map: %s: value", c->line);
        }
        if (c->why != NULL)
            TAP_STR(vstr_str(why), c->why, "map: %s: warning", c->line);
        mem_free(line);
    }
    vstr_free(why);
}

static void test_alias(void)
{
    VSTR *why = vstr_new(100), *key = vstr_new(100), *value = vstr_new(100);
    size_t i;

    for (i = 0; i < sizeof(alias_cases) / sizeof(alias_cases[0]); i++) {
        const struct alias_case *c = alias_cases + i;
        int rc = tablesrc_alias_line(c->line, key, value, why);

        TAP_INT(rc, c->rc, "alias: %s: status", c->line);
        if (c->rc == TABLESRC_OK) {
            TAP_STR(vstr_str(key), c->key, "alias: %s: key", c->line);
            TAP_STR(vstr_str(value), c->value, "alias: %s: value", c->line);
        }
    }
    TAP_INT(tablesrc_alias_line("b@dom: x", key, value, why), TABLESRC_SKIP, "alias: remote name");
    TAP_STR(vstr_str(why), "name must be local", "alias: remote name: warning");
    TAP_INT(tablesrc_alias_line("x", key, value, why), TABLESRC_SKIP, "alias: no colon");
    TAP_STR(vstr_str(why), "need name:value pair", "alias: no colon: warning");
    vstr_free(why);
    vstr_free(key);
    vstr_free(value);
}

/* Large and hostile lines: bounded work, no crash, sane results. */
static void test_large(void)
{
    size_t n = 512 * 1024, i;
    char *line = mem_alloc(n + 1);
    VSTR *why = vstr_new(100), *key = vstr_new(100), *value = vstr_new(100);
    char *k, *v;

    /* 512 KiB of '(' : one unterminated nested comment. */
    memset(line, '(', n);
    line[n] = 0;
    line[0] = 'a';
    line[1] = ':';
    TAP_INT(tablesrc_alias_line(line, key, value, why), TABLESRC_OK, "alias: deep nesting");
    TAP_INT(vstr_len(value), n - 2, "alias: deep nesting kept as written");
    /* 512 KiB of commas. */
    memset(line, ',', n);
    line[0] = 'a';
    line[1] = ':';
    TAP_INT(tablesrc_alias_line(line, key, value, why), TABLESRC_OK, "alias: many commas");
    TAP_INT(vstr_len(value), 2 * (n - 2), "alias: every comma gets its space");
    /* Many quotes for postmap. */
    for (i = 0; i < n; i++)
        line[i] = i % 2 ? '"' : 'x';
    line[n] = 0;
    TAP_INT(tablesrc_map_line(line, &k, &v, why), TABLESRC_SKIP, "map: one huge key, no value");
    mem_free(line);
    vstr_free(why);
    vstr_free(key);
    vstr_free(value);
}

static void test_utf8(void)
{
    static const struct {
        const char *in;
        int valid;
        const char *folded;
    } cases[] = {
        {"plain ASCII", 1, "plain ascii"},
        {"\xc3\x84" "BC@Ex\xc3\xa4mple.COM", 1, "\xc3\xa4" "bc@ex\xc3\xa4mple.com"},
        {"\xd0\x9c\xd0\x98\xd0\xa0", 1, "\xd0\xbc\xd0\xb8\xd1\x80"},    /* MIR, Cyrillic */
        {"\xce\xa3\xce\x9f\xce\xa6", 1, "\xcf\x83\xce\xbf\xcf\x86"},    /* Greek */
        {"\xf0\x9f\x98\x80 emoji", 1, "\xf0\x9f\x98\x80 emoji"},
        {"bad\xff" "byte", 0, "bad\xff" "byte"},
        {"\xc0\xaf overlong", 0, NULL},
        {"\xe0\x80\xaf overlong", 0, NULL},
        {"\xed\xa0\x80 surrogate", 0, NULL},
        {"\xf4\x90\x80\x80 too big", 0, NULL},
        {"\xc3", 0, "\xc3"},
        {"\xe2\x82", 0, NULL},
    };
    locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
    VSTR *out = vstr_new(10);
    size_t i;

    TAP_OK(loc != (locale_t) 0, "the C.UTF-8 locale exists");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TAP_INT(tablesrc_utf8_valid(cases[i].in), cases[i].valid, "utf8 valid: case %zu", i);
        if (cases[i].folded != NULL)
            TAP_STR(tablesrc_fold_utf8(cases[i].in, out, loc), cases[i].folded, "utf8 fold: case %zu", i);
    }
    TAP_STR(tablesrc_fold_utf8("\xc3\x84" "BC", out, (locale_t) 0), "\xc3\x84" "bc", "no locale: ASCII only");
    TAP_STR(tablesrc_utf8_printable("a\xff" "b\x01\xc3\xa4", out), "a?b?\xc3\xa4", "printable");
    if (loc != (locale_t) 0)
        freelocale(loc);
    vstr_free(out);
}

int main(void)
{
    test_utf8();
    test_map();
    test_alias();
    test_large();
    return tap_done();
}
