/*
 * cleanup_checks - message_reject_characters and message_strip_characters
 * (see cleanup_checks.h).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "cleanup_checks.h"

/*
 * message_reject_characters, message_strip_characters: the characters of
 * the value with C escapes (\0, \t, \r, \n, \\, \ooo octal, \xHH);
 * returns 1 when the set is not empty, 0 when it is, -1 for a bad \x.
 */
int cleanup_char_set(const char *text, char set[256])
{
    const char *p;
    int any = 0;
    unsigned v;
    int n;

    memset(set, 0, 256);
    for (p = text != NULL ? text : ""; *p != 0; p++) {
        v = (unsigned char) *p;
        if (*p == '\\' && p[1] != 0) {
            p++;
            switch (*p) {
            case 't': v = '\t'; break;
            case 'r': v = '\r'; break;
            case 'n': v = '\n'; break;
            case 'x':
                for (v = 0, n = 0; n < 2 && isxdigit((unsigned char) p[1]); n++, p++)
                    v = v * 16 + (unsigned) (isdigit((unsigned char) p[1]) ? p[1] - '0'
                                             : (tolower((unsigned char) p[1]) - 'a' + 10));
                if (n == 0)
                    return -1;
                break;
            default:
                if (*p >= '0' && *p <= '7') {
                    for (v = 0, n = 0; n < 3 && p[n] >= '0' && p[n] <= '7'; n++)
                        v = v * 8 + (unsigned) (p[n] - '0');
                    p += n - 1;
                } else {
                    v = (unsigned char) *p;
                }
                break;
            }
        }
        set[v & 0xff] = 1;
        any = 1;
    }
    return any;
}
