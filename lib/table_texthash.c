/*
 * table_texthash - the texthash: type: a postmap(1)-format source file read
 * into memory when the table is opened; Postfix's texthash: type.
 *
 * Format (postmap(1)): logical lines (lineread.h: '#' comments, blank lines,
 * continuation lines that start with white space), each "key white-space
 * value". The key ends at the first white space outside double quotes (a
 * quoted address local part may hold spaces); the value is the rest with
 * leading and trailing white space removed. As in Postfix, a line without
 * a value is skipped with a warning naming the file and line, and a key that
 * ends in ':' gets a warning that the file looks like an aliases file.
 * Keys are lower-cased under TABLE_FLAG_FOLD. Duplicates: see table_mem.h.
 *
 * Errors: a file that cannot be opened or read, an over-long line or a NUL
 * byte fail the open with the file and line in why. Read-only: TABLE_CREATE
 * and TABLE_WRITE are refused.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lineread.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table_mem.h"
#include "table_types.h"

/*
 * Split a source line into key and value, in place. Return the key, or NULL
 * when a double quote is not closed; *value is NULL when there is none.
 */
static char *texthash_split(char *line, char **value)
{
    char *cp = line;
    int quoted = 0;

    for (; *cp; cp++) {
        if (*cp == '\\' && cp[1] != 0)
            cp++;
        else if (*cp == '"')
            quoted = !quoted;
        else if (!quoted && strchr(STR_SPACE, *cp) != NULL)
            break;
    }
    if (quoted)
        return NULL;
    if (*cp == 0) {
        *value = NULL;
        return line;
    }
    *cp++ = 0;
    *value = str_trim(cp);
    if (**value == 0)
        *value = NULL;
    return line;
}

TABLE *table_texthash_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    FILE *fp;
    LINEREAD *lr;
    TABLE *t;
    VSTR *where;
    char *line;
    char *key;
    char *value;

    if (table_read_only(type, name, mode, why) < 0)
        return NULL;
    if ((fp = fopen(name, "r")) == NULL) {
        vstr_sprintf(why, "open %s: %s", name, strerror(errno));
        return NULL;
    }
    t = table_mem_new(type, name, flags);
    lr = lineread_open(fp, name);
    where = vstr_new(0);
    while ((line = lineread_next(lr)) != NULL) {
        key = texthash_split(str_trim(line), &value);
        vstr_sprintf(where, "%s, line %d", name, lr->first_line);
        if (key == NULL) {
            msg_warn("%s: unbalanced '\"' -- ignoring this line", vstr_str(where));
            continue;
        }
        if (value == NULL) {
            msg_warn("%s: expected format: key whitespace value -- ignoring this line",
                     vstr_str(where));
            continue;
        }
        if (key[strlen(key) - 1] == ':')
            msg_warn("%s: record is in \"key: value\" format; is this an alias file?",
                     vstr_str(where));
        if (flags & TABLE_FLAG_FOLD)
            str_lower(key);
        table_mem_add(t, key, value, vstr_str(where));
    }
    if (lr->error != NULL) {
        vstr_sprintf(why, "%s, line %d: %s", name, lr->lineno + 1, lr->error);
        table_close(t);
        t = NULL;
    } else {
        table_watch(t, name);
    }
    vstr_free(where);
    lineread_close(lr);
    fclose(fp);
    return t;
}
