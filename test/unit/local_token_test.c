/*
 * local_token_test - the alias/.forward splitter and local(8)'s $name
 * expansion (local/local_token.h, local/local_expand.h), table-driven,
 * with malformed and oversized input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "conf.h"
#include "local_expand.h"
#include "local_token.h"
#include "tap.h"
#include "vstr.h"

static const struct {
    const char *in;
    int ret;
    const char *want; /* items joined with '|' + "^" */
} split_cases[] = {
    { "bob, carol", 0, "bob^carol^" },
    { "bob carol,,dave", 0, "bob^carol^dave^" },
    { "  /tmp/file , |/bin/cmd -x arg, :include:/etc/list", 0,
      "/tmp/file^|/bin/cmd -x arg^:include:/etc/list^" },
    { "\"|/bin/cmd a, b\", \\alice", 0, "|/bin/cmd a, b^\\alice^" },
    { "# comment, x\nbob\n  # not a comment line start\n", 0, "bob^#^not^a^comment^line^start^" },
    { "\"/path with space\"", 0, "/path with space^" },
    { "\"unterminated", -1, "" },
    { "", 0, "" },
    { "a\"b c\"d", 0, "ab cd^" },
};

static void test_split(void)
{
    size_t k, i;

    for (k = 0; k < sizeof(split_cases) / sizeof(split_cases[0]); k++) {
        ARGV *a = argv_new();
        VSTR *why = vstr_new(0), *got = vstr_new(0);
        int r = local_token_split(split_cases[k].in, strlen(split_cases[k].in), a, why);

        for (i = 0; i < a->argc; i++)
            vstr_printf(got, "%s^", a->argv[i]);
        TAP_INT(r, split_cases[k].ret, "split return, case %zu", k);
        if (r == 0)
            TAP_STR(vstr_str(got), split_cases[k].want, "split items, case %zu",
                    k);
        argv_free(a);
        vstr_free(why);
        vstr_free(got);
    }
}

static void test_split_bounds(void)
{
    VSTR *big = vstr_new(0), *why = vstr_new(0);
    ARGV *a = argv_new();
    int i;

    for (i = 0; i < LOCAL_TOKEN_LEN + 10; i++)
        vstr_addch(big, 'x');
    TAP_INT(local_token_split(vstr_str(big), vstr_len(big), a, why), -1, "an oversized item is refused");
    vstr_reset(big);
    for (i = 0; i < LOCAL_TOKEN_MAX + 1; i++)
        vstr_adds(big, "a,");
    argv_truncate(a, 0);
    TAP_INT(local_token_split(vstr_str(big), vstr_len(big), a, why), -1, "too many items are refused");
    TAP_INT(local_token_split("a\0b", 3, a, why), -1, "a NUL byte is refused");
    argv_free(a);
    vstr_free(big);
    vstr_free(why);
}

static void test_kind(void)
{
    const char *rest;

    TAP_INT(local_token_kind("|/bin/x", &rest), LOCAL_TOK_COMMAND, "command");
    TAP_STR(rest, "/bin/x", "command text");
    TAP_INT(local_token_kind(":INCLUDE: /etc/l", &rest), LOCAL_TOK_INCLUDE, "include");
    TAP_STR(rest, "/etc/l", "include path");
    TAP_INT(local_token_kind("/var/x", &rest), LOCAL_TOK_FILE, "file");
    TAP_INT(local_token_kind("bob@x", &rest), LOCAL_TOK_ADDR, "address");
}

static void test_expand(void)
{
    LOCAL_VARS v;
    VSTR *out = vstr_new(0), *why = vstr_new(0);
    int f;

    memset(&v, 0, sizeof(v));
    v.user = "alice";
    v.home = "/home/alice";
    v.local = "alice+ext";
    f = local_expand(out, "$home/.forward${recipient_delimiter}${extension}", &v, why);
    TAP_INT(f, LOCAL_EXPAND_UNDEF, "unset extension: the item is marked undefined");
    v.extension = "ext";
    v.recipient_delimiter = "+";
    vstr_reset(out);
    f = local_expand(out, "$home/.forward${recipient_delimiter}${extension}", &v, why);
    TAP_INT(f, LOCAL_EXPAND_EXT, "all set: the extension was used");
    TAP_STR(vstr_str(out), "/home/alice/.forward+ext", "forward_path item expanded");
    vstr_reset(out);
    f = local_expand(out, "admin${extension?+$extension}@x$$", &v, why);
    TAP_STR(vstr_str(out), "admin+ext@x$", "${name?text} and $$");
    vstr_reset(out);
    TAP_INT(f, LOCAL_EXPAND_EXT, "${extension?...} uses the extension");
    vstr_reset(out);
    f = local_expand(out, "${shell:none}", &v, why);
    TAP_STR(vstr_str(out), "none", "${name:text}");
    TAP_INT(f, 0, "a text without $extension does not use it");
    TAP_INT(local_expand(out, "${user", &v, why), -1, "unterminated ${ is an error");
    TAP_INT(local_expand(out, "$", &v, why), -1, "a lone $ is an error");
    vstr_free(out);
    vstr_free(why);
}

int main(void)
{
    conf_init_defaults(NULL);
    test_split();
    test_split_bounds();
    test_kind();
    test_expand();
    return tap_done();
}
