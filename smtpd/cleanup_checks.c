/*
 * cleanup_checks - the actions of header_checks and body_checks (see
 * cleanup_checks.h).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup_checks.h"

static const struct {
    const char *word;
    int action;
} cleanup_action_words[] = {
    {"REJECT", CLEANUP_ACT_REJECT},   {"DISCARD", CLEANUP_ACT_DISCARD},
    {"HOLD", CLEANUP_ACT_HOLD},       {"WARN", CLEANUP_ACT_WARN},
    {"IGNORE", CLEANUP_ACT_IGNORE},   {"REPLACE", CLEANUP_ACT_REPLACE},
    {"PREPEND", CLEANUP_ACT_PREPEND}, {"DUNNO", CLEANUP_ACT_DUNNO},
    {"OK", CLEANUP_ACT_OK},
};

#define CLEANUP_NWORDS (sizeof(cleanup_action_words) / sizeof(cleanup_action_words[0]))

static int cleanup_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void cleanup_action_parse(const char *value, CLEANUP_ACTION *out)
{
    size_t n;
    size_t i;

    out->action = CLEANUP_ACT_UNKNOWN;
    out->text = "";
    out->code = 0;
    while (cleanup_is_space((unsigned char) *value))
        value++;
    for (n = 0; value[n] != 0 && !cleanup_is_space((unsigned char) value[n]); n++)
        /* the action word */;
    if (n == 0)
        return;
    for (out->text = value + n; cleanup_is_space((unsigned char) *out->text); out->text++)
        /* skip */;
    if (n == 3 && (value[0] == '4' || value[0] == '5') && isdigit((unsigned char) value[1])
        && isdigit((unsigned char) value[2])) {
        out->action = CLEANUP_ACT_REJECT;
        out->code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
        return;
    }
    for (i = 0; i < CLEANUP_NWORDS; i++) {
        if (strlen(cleanup_action_words[i].word) == n
            && strncasecmp(cleanup_action_words[i].word, value, n) == 0) {
            out->action = cleanup_action_words[i].action;
            break;
        }
    }
    if ((out->action == CLEANUP_ACT_REPLACE || out->action == CLEANUP_ACT_PREPEND)
        && *out->text == 0)
        out->action = CLEANUP_ACT_UNKNOWN;
}

const char *cleanup_action_name(int action)
{
    switch (action) {
    case CLEANUP_ACT_DUNNO: return "dunno";
    case CLEANUP_ACT_OK: return "ok";
    case CLEANUP_ACT_REJECT: return "reject";
    case CLEANUP_ACT_DISCARD: return "discard";
    case CLEANUP_ACT_HOLD: return "hold";
    case CLEANUP_ACT_WARN: return "warning";
    case CLEANUP_ACT_IGNORE: return "ignore";
    case CLEANUP_ACT_REPLACE: return "replace";
    case CLEANUP_ACT_PREPEND: return "prepend";
    default: return "unknown";
    }
}
