/*
 * Unit tests for smtpd/smtpd_policy.c's pure parts: policy server replies
 * (good, malformed, oversized) and the "{ ... }" per-service forms.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../smtpd/smtpd_policy.h"
#include "tap.h"

static void test_reply(void)
{
    const struct {
        const char *reply;
        int ret;
        const char *action;
    } cases[] = {
        {"action=DUNNO\n\n", 0, "DUNNO"},
        {"action=REJECT go away\r\n\r\n", 0, "REJECT go away"},
        {"foo=bar\naction=  450 4.2.0 later  \nbaz=1\n\n", 0, "450 4.2.0 later"},
        {"action=OK\naction=REJECT\n\n", 0, "OK"},
        {"action=DUNNO\n", -1, ""},
        {"action=DUNNO", -1, ""},
        {"\n", -1, ""},
        {"foo=bar\n\n", -1, ""},
        {"action=\n\n", -1, ""},
        {"no equals sign\n\n", -1, ""},
        {"=value\n\n", -1, ""},
        {"action=DUNNO\n\nextra=1\n", -1, ""},
        {"", -1, ""},
    };
    VSTR *action = vstr_new(0), *why = vstr_new(0), *big = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = smtpd_policy_parse_reply(cases[i].reply, strlen(cases[i].reply), action, why);

        TAP_INT(r, cases[i].ret, "reply %zu: result", i);
        if (r == 0)
            TAP_STR(vstr_str(action), cases[i].action, "reply %zu: action", i);
    }
    /* a line over the bound */
    vstr_set(big, "action=");
    for (i = 0; i < SMTPD_POLICY_LINE_MAX; i++)
        vstr_addch(big, 'x');
    vstr_adds(big, "\n\n");
    TAP_INT(smtpd_policy_parse_reply(vstr_str(big), vstr_len(big), action, why), -1,
            "oversized line");
    /* too many lines */
    vstr_reset(big);
    for (i = 0; i <= SMTPD_POLICY_LINES; i++)
        vstr_adds(big, "a=b\n");
    vstr_adds(big, "action=DUNNO\n\n");
    TAP_INT(smtpd_policy_parse_reply(vstr_str(big), vstr_len(big), action, why), -1,
            "too many lines");
    /* an embedded NUL */
    TAP_INT(smtpd_policy_parse_reply("action=D\0X\n\n", 12, action, why), -1, "NUL in a line");
    vstr_free(action);
    vstr_free(why);
    vstr_free(big);
}

static void test_endpoint(void)
{
    TAP_INT(smtpd_policy_needs_endpoint("inet:127.0.0.1:9998"), 0, "plain endpoint");
    TAP_INT(smtpd_policy_needs_endpoint("{ inet:127.0.0.1:9998, timeout=10s }"), 0,
            "endpoint inside braces");
    TAP_INT(smtpd_policy_needs_endpoint("{inet:h:1 timeout=10s}"), 0,
            "endpoint inside braces, white space separated");
    TAP_INT(smtpd_policy_needs_endpoint("{ timeout=10s, default_action=DUNNO }"), 1,
            "options only: the endpoint follows");
    TAP_INT(smtpd_policy_needs_endpoint("{ timeout = 10s, { default_action = 451 4.3.5 x, y } }"),
            1, "options with spaces and inner braces");
    TAP_INT(smtpd_policy_needs_endpoint("{ timeout=10s"), 0, "no closing brace");
}

int main(void)
{
    test_reply();
    test_endpoint();
    return tap_done();
}
