/*
 * Unit tests for smtpd/smtpd_dnsxl.c: the domain=filter split, Postfix's
 * address patterns, and reply template expansion.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../lib/vstr.h"
#include "../../smtpd/smtpd_dnsxl.h"
#include "tap.h"

static const char *vars(const char *name, void *ctx)
{
    (void) ctx;
    if (strcmp(name, "rbl_code") == 0)
        return "554";
    if (strcmp(name, "rbl_reason") == 0)
        return "listed";
    if (strcmp(name, "empty") == 0)
        return "";
    return NULL;
}

int main(void)
{
    char dom[32];
    const char *filter;
    VSTR *out = vstr_new(0);
    const struct {
        const char *pattern, *addr;
        int want;
    } cases[] = {
        {"127.0.0.2", "127.0.0.2", 1},
        {"127.0.0.2", "127.0.0.3", 0},
        {"127.0.0.[2..11]", "127.0.0.11", 1},
        {"127.0.0.[2..11]", "127.0.0.12", 0},
        {"127.0.0.[2;4;6..7]", "127.0.0.4", 1},
        {"127.0.0.[2;4;6..7]", "127.0.0.5", 0},
        {"127.0.0.[2;4;6..7]", "127.0.0.7", 1},
        {"127.0.[0..255].[0..3]", "127.0.9.3", 1},
        {"127.0.[0..255].[0..3]", "127.0.0.255", 0},
        {"127.0.0.2", "127.0.0.2.1", 0},
        {"127.0.0.2", "::1", 0},
        {"127.0.0", "127.0.0.2", -1},
        {"127.0.0.[3..2]", "127.0.0.2", -1},
        {"127.0.0.[2", "127.0.0.2", -1},
        {"127.0.0.256", "127.0.0.2", -1},
        {"127.0.0.2x", "127.0.0.2", -1},
    };
    size_t i;

    TAP_INT(smtpd_dnsxl_split("bl.test=127.0.0.2", dom, sizeof(dom), &filter), 0, "split");
    TAP_STR(dom, "bl.test", "split: domain");
    TAP_STR(filter, "127.0.0.2", "split: filter");
    TAP_INT(smtpd_dnsxl_split("bl.test", dom, sizeof(dom), &filter), 0, "split, no filter");
    TAP_OK(filter == NULL, "split: no filter is NULL");
    TAP_INT(smtpd_dnsxl_split("=127.0.0.2", dom, sizeof(dom), &filter), -1, "empty domain");
    TAP_INT(smtpd_dnsxl_split("a.very.long.domain.name.that.does.not.fit", dom, sizeof(dom),
                              &filter), -1, "too long a domain");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        TAP_INT(smtpd_dnsxl_match(cases[i].pattern, cases[i].addr), cases[i].want, "%s vs %s",
                cases[i].pattern, cases[i].addr);

    TAP_INT(smtpd_dnsxl_expand(out, "$rbl_code Service unavailable${rbl_reason?; $rbl_reason}",
                               vars, NULL), 0, "expand");
    TAP_STR(vstr_str(out), "554 Service unavailable; listed", "expand: ?text");
    smtpd_dnsxl_expand(out, "${empty:none}${empty?x}${rbl_code:y}$$ ${unknown}.", vars, NULL);
    TAP_STR(vstr_str(out), "none$ .", "expand: :text, empty ?, $$, unknown name");
    TAP_INT(smtpd_dnsxl_expand(out, "x ${rbl_code", vars, NULL), -1, "unclosed ${");
    TAP_INT(smtpd_dnsxl_expand(out, "x $ y", vars, NULL), -1, "lone $");
    TAP_INT(smtpd_dnsxl_expand(out, "${rbl_code!x}", vars, NULL), -1, "bad operator");
    {
        VSTR *big = vstr_new(0);

        for (i = 0; i < 300; i++)
            vstr_adds(big, "$rbl_reason ");
        TAP_INT(smtpd_dnsxl_expand(out, vstr_str(big), vars, NULL), -1, "too long a result");
        vstr_free(big);
    }
    vstr_free(out);
    return tap_done();
}
