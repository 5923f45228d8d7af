/* lineread - logical lines of configuration files; see lineread.h. */
#include "config.h"

#include <string.h>

#include "lineread.h"
#include "mem.h"

LINEREAD *lineread_open(FILE *fp, const char *path)
{
    LINEREAD *lr = mem_calloc(1, sizeof(*lr));

    lr->fp = fp;
    lr->path = mem_strdup(path);
    lr->line = vstr_new(256);
    lr->next = vstr_new(256);
    lr->max = LINEREAD_MAX;
    return lr;
}

void lineread_set_max(LINEREAD *lr, size_t max)
{
    lr->max = max;
}

/* Read one physical line into lr->next, without its newline. 0 at EOF. */
static int read_physical(LINEREAD *lr)
{
    int ch;

    vstr_reset(lr->next);
    if (lr->eof)
        return 0;
    while ((ch = getc(lr->fp)) != EOF) {
        if (ch == '\n')
            break;
        if (ch == 0) {
            lr->error = "NUL character in line";
            return -1;
        }
        if (vstr_len(lr->next) >= lr->max) {
            lr->error = "line too long";
            return -1;
        }
        vstr_addch(lr->next, ch);
    }
    if (ch == EOF) {
        if (ferror(lr->fp)) {
            lr->error = "read error";
            return -1;
        }
        lr->eof = 1;
        if (vstr_len(lr->next) == 0)
            return 0;
    }
    lr->lineno++;
    if (vstr_len(lr->next) > 0 && vstr_str(lr->next)[vstr_len(lr->next) - 1] == '\r')
        vstr_truncate(lr->next, vstr_len(lr->next) - 1);
    return 1;
}

static int is_skippable(const char *line)
{
    line += strspn(line, " \t\r\f\v");
    return *line == 0 || *line == '#';
}

char *lineread_next(LINEREAD *lr)
{
    int rc;

    if (lr->error)
        return NULL;
    /* Find the start of a logical line. */
    for (;;) {
        if (!lr->have_next) {
            if ((rc = read_physical(lr)) <= 0)
                return NULL;
        }
        lr->have_next = 0;
        if (is_skippable(vstr_str(lr->next)))
            continue;
        /* Stray continuation text before any logical line starts a line. */
        break;
    }
    vstr_set(lr->line, vstr_str(lr->next));
    lr->first_line = lr->last_line = lr->lineno;
    /* Append continuation lines. */
    for (;;) {
        if ((rc = read_physical(lr)) < 0)
            return NULL;
        if (rc == 0)
            break;
        if (is_skippable(vstr_str(lr->next)))
            continue;
        if (strchr(" \t", vstr_str(lr->next)[0]) == NULL) {
            lr->have_next = 1;
            break;
        }
        if (vstr_len(lr->line) + vstr_len(lr->next) > lr->max) {
            lr->error = "line too long";
            return NULL;
        }
        vstr_addmem(lr->line, vstr_str(lr->next), vstr_len(lr->next));
        lr->last_line = lr->lineno;
    }
    return vstr_str(lr->line);
}

void lineread_close(LINEREAD *lr)
{
    if (lr == NULL)
        return;
    vstr_free(lr->line);
    vstr_free(lr->next);
    mem_free(lr->path);
    mem_free(lr);
}
