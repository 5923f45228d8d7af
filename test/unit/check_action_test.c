/*
 * check_action_test - lib/check_action: every action word, its text and
 * code, the words that need text, malformed and oversized values, the log
 * names and the bounded "unknown action" warning.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_action.h"
#include "mem.h"
#include "msg.h"
#include "tap.h"

static char last_log[512];
static int last_level = -1;

static void log_sink(int level, const char *tag, const char *text)
{
    (void) tag;
    last_level = level;
    snprintf(last_log, sizeof(last_log), "%s", text);
}

/* shown - value for a test's name: control characters as '?', one line */
static const char *shown(const char *value)
{
    static char buf[64];
    size_t i;

    for (i = 0; i < sizeof(buf) - 1 && value[i] != 0; i++)
        buf[i] = (unsigned char) value[i] < ' ' ? '?' : value[i];
    buf[i] = 0;
    return buf;
}

static void test_parse(void)
{
    static const struct {
        const char *value;
        int action;
        const char *text;
        int code;
    } cases[] = {
        /* every action */
        {"REJECT", CHECK_ACT_REJECT, "", 0},
        {"reject  Spam here", CHECK_ACT_REJECT, "Spam here", 0},
        {"554 5.7.1 go away", CHECK_ACT_REJECT, "5.7.1 go away", 554},
        {"450 later", CHECK_ACT_REJECT, "later", 450},
        {"599", CHECK_ACT_REJECT, "", 599},
        {"HOLD", CHECK_ACT_HOLD, "", 0},
        {"hold for review", CHECK_ACT_HOLD, "for review", 0},
        {"DISCARD not wanted", CHECK_ACT_DISCARD, "not wanted", 0},
        {"WARN watch this", CHECK_ACT_WARN, "watch this", 0},
        {"warn", CHECK_ACT_WARN, "", 0},
        {"INFO x", CHECK_ACT_INFO, "x", 0},
        {"IGNORE", CHECK_ACT_IGNORE, "", 0},
        {"REPLACE X-A: b", CHECK_ACT_REPLACE, "X-A: b", 0},
        {"PREPEND X-B: c", CHECK_ACT_PREPEND, "X-B: c", 0},
        {"DUNNO", CHECK_ACT_DUNNO, "", 0},
        {"ok", CHECK_ACT_OK, "", 0},
        {"FILTER smtp:x", CHECK_ACT_FILTER, "smtp:x", 0},
        {"redirect a@b", CHECK_ACT_REDIRECT, "a@b", 0},
        {"BCC audit@x", CHECK_ACT_BCC, "audit@x", 0},
        /* white space around the word; the text keeps its inner spaces and case */
        {" \t PrePend\t X-C:  D e ", CHECK_ACT_PREPEND, "X-C:  D e ", 0},
        {"\r\nWARN\r\nnext", CHECK_ACT_WARN, "next", 0},
        /* words that need text */
        {"REPLACE", CHECK_ACT_UNKNOWN, "", 0},
        {"PREPEND   ", CHECK_ACT_UNKNOWN, "", 0},
        {"FILTER", CHECK_ACT_UNKNOWN, "", 0},
        {"REDIRECT \t", CHECK_ACT_UNKNOWN, "", 0},
        {"BCC", CHECK_ACT_UNKNOWN, "", 0},
        /* malformed */
        {"", CHECK_ACT_UNKNOWN, "", 0},
        {"   \t", CHECK_ACT_UNKNOWN, "", 0},
        {"REJECTED", CHECK_ACT_UNKNOWN, "", 0},
        {"REJEC", CHECK_ACT_UNKNOWN, "", 0},
        {"STRIP x", CHECK_ACT_UNKNOWN, "x", 0},
        {"299 nope", CHECK_ACT_UNKNOWN, "nope", 0},
        {"600 nope", CHECK_ACT_UNKNOWN, "nope", 0},
        {"45 short", CHECK_ACT_UNKNOWN, "short", 0},
        {"4500 long", CHECK_ACT_UNKNOWN, "long", 0},
        {"4x0 letters", CHECK_ACT_UNKNOWN, "letters", 0},
        {"REPLACE\x01 x", CHECK_ACT_UNKNOWN, "x", 0},
    };
    CHECK_ACTION a;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TAP_INT(check_action_parse(cases[i].value, &a), cases[i].action,
                "action of \"%s\" (returned)", shown(cases[i].value));
        TAP_INT(a.action, cases[i].action, "action of \"%s\" (stored)", shown(cases[i].value));
        TAP_STR(a.text, cases[i].text, "text of \"%s\"", shown(cases[i].value));
        TAP_INT(a.code, cases[i].code, "code of \"%s\"", shown(cases[i].value));
    }
}

static void test_oversized(void)
{
    size_t big = 200000;
    char *v = mem_alloc(big + 1);
    CHECK_ACTION a;

    /* a long word that starts with a real one is not that action */
    memset(v, 'A', big);
    memcpy(v, "REJECT", 6);
    v[big] = 0;
    TAP_INT(check_action_parse(v, &a), CHECK_ACT_UNKNOWN, "a 200000-byte word is unknown");
    TAP_STR(a.text, "", "and has no text");
    /* a word just over the bound, however it ends */
    memset(v, 'B', CHECK_ACTION_WORD_MAX + 1);
    v[CHECK_ACTION_WORD_MAX + 1] = 0;
    TAP_INT(check_action_parse(v, &a), CHECK_ACT_UNKNOWN,
            "a word over CHECK_ACTION_WORD_MAX is unknown");
    /* a long text is kept whole, in place */
    memset(v, 'x', big);
    memcpy(v, "REPLACE ", 8);
    v[big] = 0;
    TAP_INT(check_action_parse(v, &a), CHECK_ACT_REPLACE, "REPLACE with 200000 bytes of text");
    TAP_OK(a.text == v + 8 && strlen(a.text) == big - 8, "the text points into the value, whole");
    mem_free(v);
}

static void test_names(void)
{
    static const struct {
        int action;
        const char *name;
    } names[] = {
        {CHECK_ACT_UNKNOWN, "unknown"}, {CHECK_ACT_DUNNO, "dunno"},     {CHECK_ACT_OK, "ok"},
        {CHECK_ACT_REJECT, "reject"},   {CHECK_ACT_DISCARD, "discard"}, {CHECK_ACT_HOLD, "hold"},
        {CHECK_ACT_WARN, "warning"},    {CHECK_ACT_INFO, "info"},       {CHECK_ACT_IGNORE, "ignore"},
        {CHECK_ACT_REPLACE, "replace"}, {CHECK_ACT_PREPEND, "prepend"}, {CHECK_ACT_FILTER, "filter"},
        {CHECK_ACT_REDIRECT, "redirect"}, {CHECK_ACT_BCC, "bcc"},       {-1, "unknown"},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        TAP_STR(check_action_name(names[i].action), names[i].name, "name of action %d",
                names[i].action);
}

static void test_warning(void)
{
    char big[400];

    msg_set_sink(log_sink);
    check_action_warn_unknown("4A1B2C", "header", "BOGUS text");
    TAP_INT(last_level, MSG_WARN, "the unknown action is a warning");
    TAP_STR(last_log, "warning: 4A1B2C: unknown header_checks action: BOGUS text", "and names the value");
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    check_action_warn_unknown("4A1B2C", "body", big);
    TAP_INT(strlen(last_log), strlen("warning: 4A1B2C: unknown body_checks action: ") + CHECK_ACTION_LOG_MAX,
            "an oversized value is cut at CHECK_ACTION_LOG_MAX bytes");
    check_action_warn_unknown("4A1B2C", "body", "BAD\x01\x1b[2J");
    TAP_STR(last_log, "warning: 4A1B2C: unknown body_checks action: BAD??[2J",
            "control characters are not logged");
    msg_set_sink(NULL);
}

int main(void)
{
    msg_init("check_action_test", MSG_OUT_STDERR);
    test_parse();
    test_oversized();
    test_names();
    test_warning();
    return tap_done();
}
