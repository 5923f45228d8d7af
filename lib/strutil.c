/* strutil - small string helpers; see strutil.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

char *str_trim(char *str)
{
    char *end;

    str += strspn(str, STR_SPACE);
    end = str + strlen(str);
    while (end > str && strchr(STR_SPACE, end[-1]) != NULL)
        end--;
    *end = 0;
    return str;
}

char *str_lower(char *str)
{
    char *cp;

    for (cp = str; *cp; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp = (char) (*cp - 'A' + 'a');
    return str;
}

char *str_token(char **cursor, const char *delims)
{
    char *start = *cursor + strspn(*cursor, delims);
    char *end;

    if (*start == 0) {
        *cursor = start;
        return NULL;
    }
    end = start + strcspn(start, delims);
    if (*end)
        *end++ = 0;
    *cursor = end;
    return start;
}

char *str_printable(char *str, int allow_8bit)
{
    unsigned char *cp;

    for (cp = (unsigned char *) str; *cp; cp++)
        if (*cp < 0x20 || *cp == 0x7f || (*cp > 0x7f && !allow_8bit))
            *cp = '?';
    return str;
}

int str_has_prefix(const char *str, const char *prefix)
{
    return strncmp(str, prefix, strlen(prefix)) == 0;
}

int str_parse_long(const char *str, long min, long max, long *result)
{
    char *end;
    long val;

    if (*str == 0 || isspace((unsigned char) *str))
        return -1;
    errno = 0;
    val = strtol(str, &end, 10);
    if (errno != 0 || *end != 0 || val < min || val > max)
        return -1;
    *result = val;
    return 0;
}
