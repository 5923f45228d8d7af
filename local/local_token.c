/*
 * local_token - split alias values and .forward files (local_token.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "local_token.h"

static int local_token_sep(int ch)
{
    return ch == ',' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int local_token_split(const char *text, size_t len, ARGV *items, VSTR *why)
{
    const char *p = text, *end = text + len;
    VSTR *item = vstr_new(64);
    int at_bol = 1, ret = -1;

    if (memchr(text, 0, len) != NULL) {
        vstr_set(why, "NUL byte in the text");
        goto out;
    }
    while (p < end) {
        if (at_bol && *p == '#') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        if (local_token_sep((unsigned char) *p)) {
            at_bol = *p == '\n';
            p++;
            continue;
        }
        at_bol = 0;
        vstr_reset(item);
        if (*p == '|') {
            const char *e = p;

            while (e < end && *e != ',' && *e != '\n')
                e++;
            vstr_addmem(item, p, (size_t) (e - p));
            while (vstr_len(item) > 0 && strchr(" \t\r", vstr_str(item)[vstr_len(item) - 1]))
                vstr_truncate(item, vstr_len(item) - 1);
            p = e;
        } else {
            while (p < end && !local_token_sep((unsigned char) *p)) {
                if (*p == '"') {
                    for (p++; p < end && *p != '"'; p++) {
                        if (*p == '\\' && p + 1 < end)
                            p++;
                        vstr_addch(item, *p);
                        if (vstr_len(item) > LOCAL_TOKEN_LEN)
                            break;
                    }
                    if (p >= end) {
                        vstr_set(why, "unterminated quoted string");
                        goto out;
                    }
                    p++;
                } else {
                    vstr_addch(item, *p++);
                }
                if (vstr_len(item) > LOCAL_TOKEN_LEN)
                    break;
            }
        }
        if (vstr_len(item) > LOCAL_TOKEN_LEN) {
            vstr_printf(why, "item longer than %d bytes", LOCAL_TOKEN_LEN);
            goto out;
        }
        if (vstr_len(item) == 0)
            continue;
        if (items->argc >= LOCAL_TOKEN_MAX) {
            vstr_printf(why, "more than %d items", LOCAL_TOKEN_MAX);
            goto out;
        }
        argv_add(items, vstr_str(item));
    }
    ret = 0;
out:
    vstr_free(item);
    return ret;
}

int local_token_kind(const char *item, const char **rest)
{
    if (item[0] == '|') {
        *rest = item + 1 + strspn(item + 1, " \t");
        return LOCAL_TOK_COMMAND;
    }
    if (strncasecmp(item, ":include:", 9) == 0) {
        *rest = item + 9 + strspn(item + 9, " \t");
        return LOCAL_TOK_INCLUDE;
    }
    *rest = item;
    return item[0] == '/' ? LOCAL_TOK_FILE : LOCAL_TOK_ADDR;
}
