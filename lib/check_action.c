/*
 * check_action - the action part of header_checks and body_checks answers
 * (see check_action.h).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "check_action.h"
#include "msg.h"

static const struct {
    const char *word;
    int action;
    int needs_text;
} check_action_words[] = {
    {"REJECT", CHECK_ACT_REJECT, 0},     {"DISCARD", CHECK_ACT_DISCARD, 0},
    {"HOLD", CHECK_ACT_HOLD, 0},         {"WARN", CHECK_ACT_WARN, 0},
    {"INFO", CHECK_ACT_INFO, 0},         {"IGNORE", CHECK_ACT_IGNORE, 0},
    {"REPLACE", CHECK_ACT_REPLACE, 1},   {"PREPEND", CHECK_ACT_PREPEND, 1},
    {"DUNNO", CHECK_ACT_DUNNO, 0},       {"OK", CHECK_ACT_OK, 0},
    {"FILTER", CHECK_ACT_FILTER, 1},     {"REDIRECT", CHECK_ACT_REDIRECT, 1},
    {"BCC", CHECK_ACT_BCC, 1},
};

#define CHECK_ACTION_NWORDS (sizeof(check_action_words) / sizeof(check_action_words[0]))

static int check_action_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* check_action_code - 4NN or 5NN as a number, or 0 */
static int check_action_code(const char *word, size_t n)
{
    if (n != 3 || (word[0] != '4' && word[0] != '5') || !isdigit((unsigned char) word[1])
        || !isdigit((unsigned char) word[2]))
        return 0;
    return (word[0] - '0') * 100 + (word[1] - '0') * 10 + (word[2] - '0');
}

int check_action_parse(const char *value, CHECK_ACTION *out)
{
    size_t n;
    size_t i;

    out->action = CHECK_ACT_UNKNOWN;
    out->text = "";
    out->code = 0;
    while (check_action_space((unsigned char) *value))
        value++;
    for (n = 0; value[n] != 0 && !check_action_space((unsigned char) value[n]); n++)
        /* the action word */;
    if (n == 0)
        return out->action;
    for (out->text = value + n; check_action_space((unsigned char) *out->text); out->text++)
        /* skip */;
    if ((out->code = check_action_code(value, n)) != 0)
        return out->action = CHECK_ACT_REJECT;
    if (n > CHECK_ACTION_WORD_MAX)
        return out->action;
    for (i = 0; i < CHECK_ACTION_NWORDS; i++) {
        if (strlen(check_action_words[i].word) == n
            && strncasecmp(check_action_words[i].word, value, n) == 0) {
            if (!check_action_words[i].needs_text || *out->text != 0)
                out->action = check_action_words[i].action;
            break;
        }
    }
    return out->action;
}

const char *check_action_name(int action)
{
    switch (action) {
    case CHECK_ACT_DUNNO: return "dunno";
    case CHECK_ACT_OK: return "ok";
    case CHECK_ACT_REJECT: return "reject";
    case CHECK_ACT_DISCARD: return "discard";
    case CHECK_ACT_HOLD: return "hold";
    case CHECK_ACT_WARN: return "warning";
    case CHECK_ACT_INFO: return "info";
    case CHECK_ACT_IGNORE: return "ignore";
    case CHECK_ACT_REPLACE: return "replace";
    case CHECK_ACT_PREPEND: return "prepend";
    case CHECK_ACT_FILTER: return "filter";
    case CHECK_ACT_REDIRECT: return "redirect";
    case CHECK_ACT_BCC: return "bcc";
    default: return "unknown";
    }
}

void check_action_warn_unknown(const char *queue_id, const char *where, const char *value)
{
    msg_warn("%s: unknown %s_checks action: %.*s", queue_id, where, CHECK_ACTION_LOG_MAX, value);
}
