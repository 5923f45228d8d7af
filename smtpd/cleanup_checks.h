/*
 * cleanup_checks - what a header_checks or body_checks answer means.
 *
 * A check table (regexp:, pcre:, or any table) maps a header or body line
 * to an action, as in Postfix's header_checks(5):
 *   REJECT [text]   refuse the message (text: "5.7.1 why" or just "why")
 *   DISCARD [text]  accept the message and throw it away
 *   HOLD [text]     put the message in hold/
 *   WARN [text]     log and go on
 *   IGNORE          delete this header line (body: this line)
 *   REPLACE text    replace this line with text
 *   PREPEND text    insert text before this line
 *   DUNNO, OK       nothing more for this line
 *   4NN/5NN text    a reject with that code (5NN permanent)
 * Actions Postern's cleanup does not perform yet (FILTER, REDIRECT, BCC,
 * INFO...) are CLEANUP_ACT_UNKNOWN: the caller logs a warning and goes on.
 *
 * Usage:
 *   CLEANUP_ACTION a;
 *   cleanup_action_parse(value, &a);
 *   switch (a.action) ...   a.text points into value (or at ""), NUL-ended
 * Matching is case-insensitive for the action word; the text keeps its case.
 * cleanup_action_name() gives the lower-case word for logs ("reject").
 * Error policy: nothing fails; an empty or unknown value is
 * CLEANUP_ACT_UNKNOWN (the caller warns), REPLACE/PREPEND without text too.
 */
#ifndef POSTERN_CLEANUP_CHECKS_H
#define POSTERN_CLEANUP_CHECKS_H

enum {
    CLEANUP_ACT_UNKNOWN,
    CLEANUP_ACT_DUNNO,
    CLEANUP_ACT_OK,
    CLEANUP_ACT_REJECT,
    CLEANUP_ACT_DISCARD,
    CLEANUP_ACT_HOLD,
    CLEANUP_ACT_WARN,
    CLEANUP_ACT_IGNORE,
    CLEANUP_ACT_REPLACE,
    CLEANUP_ACT_PREPEND,
};

typedef struct CLEANUP_ACTION {
    int action;
    const char *text;   /* what follows the action word, without leading space */
    int code;           /* REJECT by code: the 4NN/5NN number; else 0 */
} CLEANUP_ACTION;

void cleanup_action_parse(const char *value, CLEANUP_ACTION *out);
const char *cleanup_action_name(int action);

#endif
