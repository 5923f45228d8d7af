/*
 * rcpt_extract_test - sendmail -t recipient extraction (cli/rcpt_extract.h):
 * To/Cc/Bcc, folded fields, groups and comments, Resent- precedence, the
 * end of the header, pieces of long lines, and an oversized field.
 */
#include "config.h"

#include <string.h>

#include "argv.h"
#include "mem.h"
#include "rcpt_extract.h"
#include "tap.h"
#include "vstr.h"

typedef struct CASE {
    const char *text;   /* lines separated by \n */
    const char *want;   /* recipients joined by ' ' */
    const char *what;
} CASE;

static const CASE cases[] = {
    {"To: Bob Builder <bob@example.com>\nCc: carol@relay.test\nBcc: dave@down.test\n"
     "Subject: x\n\nTo: not@header\n",
     "bob@example.com carol@relay.test dave@down.test", "fixture message"},
    {"to: a@b\nCC: c@d\nbCc: e@f\n", "a@b c@d e@f", "names ignore case"},
    {"To: a@b,\n\tc@d,\n  e@f\nSubject: s\n", "a@b c@d e@f", "folded field"},
    {"To: grp: e@f, g@h;, (c) i@j, \"x y\" <c@d>\n", "e@f g@h i@j c@d",
     "group, comment, quoted display name"},
    {"Resent-To: r1@x\nResent-Cc: r2@x\nTo: t@x\n", "r1@x r2@x", "Resent- recipients win"},
    {"Resent-From: r@x\nTo: t@x\n", "t@x", "Resent-From alone does not"},
    {"Subject: x\nnot a header line\nTo: a@b\n", "", "a non-header line ends the header"},
    {" To: a@b\n", "", "leading continuation is no header"},
    {"To: <>\nCc: undisclosed-recipients:;\n", "", "empty addresses left out"},
    {"X-Long: a\nTo: a@b\n\n", "a@b", "other fields ignored"},
};

static char *extract(const char *text, size_t piece)
{
    RCPT_EXTRACT *rx = rcpt_extract_new();
    VSTR *out = vstr_new(0);
    ARGV *list;
    const char *cp = text;
    size_t i;

    while (*cp && rcpt_extract_in_header(rx)) {
        size_t len = strcspn(cp, "\n");
        size_t off = 0;

        do {
            size_t n = len - off > piece ? piece : len - off;
            int complete = off + n == len;

            rcpt_extract_line(rx, cp + off, n, complete);
            off += n;
        } while (off < len);
        cp += len + (cp[len] == '\n');
    }
    list = rcpt_extract_finish(rx);
    for (i = 0; i < list->argc; i++) {
        if (i)
            vstr_addch(out, ' ');
        vstr_adds(out, list->argv[i]);
    }
    rcpt_extract_free(rx);
    return vstr_export(out);
}

int main(void)
{
    size_t i;
    char *got;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        got = extract(cases[i].text, 1 << 20);
        TAP_STR(got, cases[i].want, "%s", cases[i].what);
        mem_free(got);
        got = extract(cases[i].text, 3);
        TAP_STR(got, cases[i].want, "%s (3-byte pieces)", cases[i].what);
        mem_free(got);
    }

    /* An oversized field: cut, never read past the bound, no crash. */
    {
        size_t n = RCPT_EXTRACT_FIELD_MAX + 1000;
        char *big = mem_alloc(n + 32);

        memcpy(big, "To: a@b, ", 9);
        memset(big + 9, ' ', n - 9);
        memcpy(big + n, ", z@y\nCc: c@d\n", 15);
        got = extract(big, 2048);
        TAP_STR(got, "a@b c@d", "oversized field cut; the next field still read");
        mem_free(got);
        mem_free(big);
    }
    return tap_done();
}
