/*
 * cleanup_checks - what cleanup's checks need beyond the action parser.
 *
 * The action part of a header_checks or body_checks answer is parsed by
 * lib/check_action.h (shared with the smtp client); cleanup carries out
 * REJECT, 4NN/5NN, DISCARD, HOLD, WARN, IGNORE, REPLACE, PREPEND, DUNNO,
 * OK, FILTER, REDIRECT and BCC, and warns about the rest
 * (check_action_warn_unknown()).
 *
 * Usage:
 * cleanup_char_set(text, set) reads message_reject_characters or
 * message_strip_characters: the characters of text, with C escapes (\0,
 * \t, \r, \n, \\, \ooo octal, \xHH), become set[c] = 1; it returns
 * 1 (some), 0 (none), or -1 for a \x without hex digits.
 * Error policy: nothing fails.
 */
#ifndef POSTERN_CLEANUP_CHECKS_H
#define POSTERN_CLEANUP_CHECKS_H

#include "check_action.h"

int cleanup_char_set(const char *text, char set[256]);

#endif
