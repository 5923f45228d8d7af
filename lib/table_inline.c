/*
 * table_inline - the inline: type: a small table written in the
 * specification itself, as in postconf(5):
 *
 *   inline:{ key=value, { key = text with white space or commas }, ... }
 *
 * Elements are separated by commas or white space. A plain element is
 * "key=value" without white space; an element in braces may hold white
 * space and commas, and white space around its key and value is removed.
 * Keys are lower-cased under TABLE_FLAG_FOLD; duplicates follow table_mem.h.
 *
 * Errors: a missing outer "{" or "}", unbalanced braces, an element without
 * "=" or with an empty key fail the open, with the reason in why. The table
 * is read-only and has sequence().
 */
#include "config.h"

#include <string.h>

#include "mem.h"
#include "strutil.h"
#include "table_mem.h"
#include "table_types.h"

#define INLINE_SEP ", \t\r\n"

/*
 * Return the next element of *cursor (NUL-terminated in place, the braces
 * of a braced element removed and its text trimmed), NULL at the end. On
 * unbalanced braces, return NULL and set *bad.
 */
static char *inline_next(char **cursor, int *bad)
{
    char *cp = *cursor + strspn(*cursor, INLINE_SEP);
    char *start = cp;
    size_t depth = 0;
    int braced = (*cp == '{');

    if (*cp == 0)
        return NULL;
    for (; *cp; cp++) {
        if (*cp == '{') {
            depth++;
        } else if (*cp == '}') {
            if (depth == 0)
                break;
            depth--;
            if (braced && depth == 0) {
                cp++;
                break;
            }
        } else if (depth == 0 && strchr(INLINE_SEP, *cp) != NULL) {
            break;
        }
    }
    if (depth != 0 || (*cp == '}') || (braced && *cp != 0 && strchr(INLINE_SEP, *cp) == NULL)) {
        *bad = 1;
        return NULL;
    }
    if (*cp)
        *cp++ = 0;
    *cursor = cp;
    if (braced) {
        start[strlen(start) - 1] = 0;
        start = str_trim(start + 1);
    }
    return start;
}

TABLE *table_inline_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    size_t len = strlen(name);
    char *text;
    char *cursor;
    char *elem;
    char *eq;
    char *key;
    int bad = 0;
    TABLE *t;

    if (table_read_only(type, name, mode, why) < 0)
        return NULL;
    if (len < 2 || name[0] != '{' || name[len - 1] != '}') {
        vstr_sprintf(why, "%s:%s: expected \"%s:{ key=value, ... }\"", type, name, type);
        return NULL;
    }
    text = mem_strndup(name + 1, len - 2);
    cursor = text;
    t = table_mem_new(type, name, flags);
    while ((elem = inline_next(&cursor, &bad)) != NULL) {
        if ((eq = strchr(elem, '=')) == NULL) {
            vstr_sprintf(why, "%s:%s: expected \"key=value\" instead of \"%s\"", type, name, elem);
            break;
        }
        *eq = 0;
        key = str_trim(elem);
        if (*key == 0) {
            vstr_sprintf(why, "%s:%s: empty key before \"=%s\"", type, name, eq + 1);
            break;
        }
        if (flags & TABLE_FLAG_FOLD)
            str_lower(key);
        table_mem_add(t, key, str_trim(eq + 1), t->spec);
    }
    if (bad)
        vstr_sprintf(why, "%s:%s: unbalanced braces", type, name);
    mem_free(text);
    if (vstr_len(why) > 0) {
        table_close(t);
        return NULL;
    }
    return t;
}
