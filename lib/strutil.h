/*
 * strutil - small string helpers shared by every program.
 *
 * str_trim() strips leading and trailing white space in place and returns
 * the start; str_lower() folds ASCII upper case in place (8-bit bytes are
 * left alone, as Postfix does for table keys); str_token() is a strtok
 * replacement that advances a cursor and returns NULL at the end;
 * str_printable() replaces control characters (and, unless allow_8bit, bytes
 * above 126) with '?', in place, for text that came from outside and is about
 * to be logged. str_parse_long() converts a whole string to a long within
 * [min, max] and returns 0, or -1 when the text is not such a number.
 * None of them allocate; none of them fail other than as documented.
 */
#ifndef POSTERN_STRUTIL_H
#define POSTERN_STRUTIL_H

#include <stddef.h>

char *str_trim(char *str);
char *str_lower(char *str);
char *str_token(char **cursor, const char *delims);
char *str_printable(char *str, int allow_8bit);
int str_has_prefix(const char *str, const char *prefix);
int str_parse_long(const char *str, long min, long max, long *result);

#define STR_SPACE " \t\r\n"

#endif
