/*
 * Unit tests for smtpd/smtpd_footer.c: smtpd_reject_footer lines after a
 * 4XX/5XX reply (continuation markers, the enhanced status code on each
 * line, "\n" and "\c"), $name expansion with the expansion filter, bounds.
 */
#include "config.h"

#include <string.h>

#include "../../smtpd/smtpd_footer.h"
#include "mem.h"
#include "tap.h"

static const char *lookup(const char *name, void *ctx)
{
    (void) ctx;
    if (strcmp(name, "client_address") == 0)
        return "192.0.2.1";
    if (strcmp(name, "server_name") == 0)
        return "mail.example.com";
    if (strcmp(name, "sender") == 0)
        return "a\tb<c>";
    if (strcmp(name, "empty") == 0)
        return "";
    return NULL;
}

static void test_apply(void)
{
    const struct {
        const char *reply;
        const char *tmpl;
        const char *want;
    } cases[] = {
        {"550 5.1.1 <u@x>: User unknown", "Call us.",
         "550-5.1.1 <u@x>: User unknown\r\n550 5.1.1 Call us.\r\n"},
        {"550 5.1.1 <u@x>: User unknown", "\\c. Call us.",
         "550 5.1.1 <u@x>: User unknown. Call us.\r\n"},
        {"550 5.1.1 <u@x>: User unknown", "\\c. Call\\nus at $server_name",
         "550-5.1.1 <u@x>: User unknown. Call\r\n550 5.1.1 us at mail.example.com\r\n"},
        {"421 mail.example.com Error: timeout exceeded", "client=$client_address\\nbye",
         "421-mail.example.com Error: timeout exceeded\r\n421-client=192.0.2.1\r\n421 bye\r\n"},
        {"451 4.3.0 Error: queue file write error", "${client_address} $(server_name) $$x",
         "451-4.3.0 Error: queue file write error\r\n451 4.3.0 192.0.2.1 mail.example.com $x\r\n"},
        {"554 5.7.1 no", "s=$sender.", "554-5.7.1 no\r\n554 5.7.1 s=a_b_c_.\r\n"},
        {"554 5.7.1 no", "[${empty?yes}${empty:no}][${client_address?set}]",
         "554-5.7.1 no\r\n554 5.7.1 [no][set]\r\n"},
        {"554 5.7.1 no", "x=$unknown_name.", "554-5.7.1 no\r\n554 5.7.1 x=.\r\n"},
        {"500 5.5.2 Error: bad syntax", "a\\n\\nb",
         "500-5.5.2 Error: bad syntax\r\n500-5.5.2 a\r\n500-5.5.2 \r\n500 5.5.2 b\r\n"},
        {"452 Too many", "f", "452-Too many\r\n452 f\r\n"},
    };
    SMTPD_FOOTER_FILTER filter;
    VSTR *out = vstr_new(0);
    size_t i;

    smtpd_footer_filter(&filter, "\\t\\40!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "[\\\\]^`abcdefghijklmnopqrstuvwxyz{|}~");
    TAP_OK(filter.allow[' '] && filter.allow['\t'] && filter.allow['\\'] && filter.allow['~']
               && !filter.allow['\n'] && !filter.allow['_'],
           "filter: \\40, \\t and \\\\ unescaped");
    /* the sender's '<' and '>' are allowed by that filter: use a narrower one */
    smtpd_footer_filter(&filter, "abc");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SMTPD_FOOTER_FILTER wide;

        smtpd_footer_filter(&wide, "abcdefghijklmnopqrstuvwxyz0123456789.");
        TAP_INT(smtpd_footer_apply(out, cases[i].reply, cases[i].tmpl,
                                   strstr(cases[i].tmpl, "sender") ? &filter : &wide, lookup, NULL),
                0, "applied: case %zu", i);
        TAP_STR(vstr_str(out), cases[i].want, "footer case %zu", i);
    }
    TAP_INT(smtpd_footer_apply(out, "250 2.0.0 Ok", "x", &filter, lookup, NULL), -1,
            "no footer after 2XX");
    TAP_INT(smtpd_footer_apply(out, "550 5.1.1 x", "", &filter, lookup, NULL), -1,
            "no footer from an empty template");
    TAP_INT(smtpd_footer_apply(out, "55x bad", "x", &filter, lookup, NULL), -1,
            "no footer after a malformed reply");
    vstr_free(out);
}

static void test_bounds(void)
{
    SMTPD_FOOTER_FILTER filter;
    VSTR *out = vstr_new(0), *tmpl = vstr_new(0);
    size_t i, lines = 0;
    const char *cp;

    smtpd_footer_filter(&filter, "a");
    for (i = 0; i < 500; i++)
        vstr_adds(tmpl, "line\\n");
    TAP_INT(smtpd_footer_apply(out, "550 5.7.1 x", vstr_str(tmpl), &filter, lookup, NULL), 0,
            "500 footer lines");
    for (cp = vstr_str(out); (cp = strchr(cp, '\n')) != NULL; cp++)
        lines++;
    TAP_OK(lines <= SMTPD_FOOTER_LINES + 1, "at most %d footer lines (got %zu)", SMTPD_FOOTER_LINES,
           lines - 1);
    vstr_reset(tmpl);
    for (i = 0; i < 2000; i++)
        vstr_adds(tmpl, "abcdefghij");
    TAP_INT(smtpd_footer_apply(out, "550 5.7.1 x", vstr_str(tmpl), &filter, lookup, NULL), 0,
            "20000 bytes of footer");
    TAP_OK(vstr_len(out) <= SMTPD_FOOTER_MAX + 64, "at most %d bytes kept (got %zu)",
           SMTPD_FOOTER_MAX, vstr_len(out));
    vstr_free(tmpl);
    vstr_free(out);
}

int main(void)
{
    test_apply();
    test_bounds();
    return tap_done();
}
