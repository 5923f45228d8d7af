/*
 * local_token - split an alias value, a .forward file or an :include: file
 * into its destinations, as aliases(5) describes them.
 *
 * Items are separated by commas and/or white space (newlines too: the
 * caller passes a whole file, and lines that start with '#' are comments).
 * An item in double quotes may hold separators ("|/bin/cmd -x",
 * "/path/with space"); a backslash in quotes escapes the next character.
 * An unquoted item that starts with '|' runs to the next comma or the end
 * of the line, so "|/usr/bin/cmd arg" needs no quotes.
 *
 * Kinds (local_token_kind()):
 *   LOCAL_TOK_COMMAND  "|command"      (the text after '|')
 *   LOCAL_TOK_INCLUDE  ":include:/path" (the path after the prefix)
 *   LOCAL_TOK_FILE     "/path"          (an absolute path)
 *   LOCAL_TOK_ADDR     anything else: an address; "\user" means deliver
 *                      to user's mailbox without further expansion (the
 *                      caller checks the backslash)
 *
 * Usage:
 *   ARGV *items = argv_new();
 *   if (local_token_split(text, len, items, why) < 0) -> why
 *   for each items->argv[i]: kind = local_token_kind(items->argv[i], &rest);
 *
 * Bounds: at most LOCAL_TOKEN_MAX items of at most LOCAL_TOKEN_LEN bytes
 * each; an unterminated quote, a NUL byte, or more than that is an error
 * (-1 with why). Nothing is fatal.
 */
#ifndef POSTERN_LOCAL_TOKEN_H
#define POSTERN_LOCAL_TOKEN_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

#define LOCAL_TOKEN_MAX 1000
#define LOCAL_TOKEN_LEN 4096

enum { LOCAL_TOK_ADDR, LOCAL_TOK_FILE, LOCAL_TOK_COMMAND, LOCAL_TOK_INCLUDE };

int local_token_split(const char *text, size_t len, ARGV *items, VSTR *why);
int local_token_kind(const char *item, const char **rest);

#endif
