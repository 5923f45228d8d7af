/*
 * check_action - what a header_checks or body_checks answer says: the one
 * parser of the action part of a check table's value, shared by cleanup
 * (header_checks, body_checks, ...) and the smtp client
 * (smtp_header_checks, smtp_body_checks), as in Postfix's header_checks(5).
 *
 * A value is an action word (case-insensitive) and, after white space, its
 * text (case kept):
 *   REJECT [text]   refuse the message ("5.7.1 why" or just "why")
 *   4NN/5NN text    a reject with that code (code 400..599)
 *   DISCARD [text]  accept the message and throw it away
 *   HOLD [text]     put the message in hold/
 *   WARN [text]     log "warning" and go on
 *   INFO [text]     log "info" and go on
 *   IGNORE          delete this line
 *   REPLACE text    replace this line with text
 *   PREPEND text    insert text before this line
 *   DUNNO, OK       nothing more for this line
 *   FILTER t:dest   content filter
 *   REDIRECT addr   deliver to addr instead of the recipients
 *   BCC addr        add a recipient
 * Each caller decides which of these it carries out; the rest it treats as
 * unavailable (it warns and goes on).
 *
 * Usage:
 *   CHECK_ACTION a;
 *   switch (check_action_parse(value, &a)) ...   a.text points into value
 *                                                (or at ""), NUL-ended
 *   check_action_name(a.action)     lower-case word for logs ("reject";
 *                                   WARN logs as "warning")
 *   check_action_warn_unknown(queue_id, "header", value)
 *       logs "<queue_id>: unknown header_checks action: <value>"
 *
 * Bounds: nothing is copied; an action word longer than
 * CHECK_ACTION_WORD_MAX is unknown without being compared, and a warning
 * shows at most CHECK_ACTION_LOG_MAX bytes of the value.
 *
 * Error policy: nothing fails. An empty or unknown value is
 * CHECK_ACT_UNKNOWN (the caller warns, check_action_warn_unknown()), and so
 * are REPLACE, PREPEND, FILTER, REDIRECT and BCC without text, and a
 * number outside 4NN/5NN.
 */
#ifndef POSTERN_CHECK_ACTION_H
#define POSTERN_CHECK_ACTION_H

#define CHECK_ACTION_WORD_MAX 16
#define CHECK_ACTION_LOG_MAX  100

enum {
    CHECK_ACT_UNKNOWN,
    CHECK_ACT_DUNNO,
    CHECK_ACT_OK,
    CHECK_ACT_REJECT,
    CHECK_ACT_DISCARD,
    CHECK_ACT_HOLD,
    CHECK_ACT_WARN,
    CHECK_ACT_INFO,
    CHECK_ACT_IGNORE,
    CHECK_ACT_REPLACE,
    CHECK_ACT_PREPEND,
    CHECK_ACT_FILTER,
    CHECK_ACT_REDIRECT,
    CHECK_ACT_BCC,
};

typedef struct CHECK_ACTION {
    int action;
    const char *text;   /* what follows the action word, without leading space */
    int code;           /* REJECT by code: the 4NN/5NN number; else 0 */
} CHECK_ACTION;

int check_action_parse(const char *value, CHECK_ACTION *out);
const char *check_action_name(int action);
void check_action_warn_unknown(const char *queue_id, const char *where, const char *value);

#endif
