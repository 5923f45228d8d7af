/*
 * lineread - read the logical lines of a configuration or table source file.
 *
 * A logical line starts with non-white-space text; a line that starts with
 * white space continues it; empty lines, white-space-only lines and lines
 * whose first non-white-space character is '#' are skipped, also in the
 * middle of a logical line (main.cf, master.cf, postmap(1) sources).
 * Continuation text is appended with a newline replaced by nothing: the
 * continuation keeps its own leading white space, as Postfix's readers do.
 *
 * LINEREAD *lr = lineread_open(fp, "path"); while ((line =
 * lineread_next(lr)) != NULL) { lr->first_line is where it started; }
 * A logical line longer than max bytes (LINEREAD_MAX by default) is an error:
 * lineread_next() returns NULL and lr->error says why; so does a NUL byte or
 * a read error. The caller reports it with the file name and line number.
 */
#ifndef POSTERN_LINEREAD_H
#define POSTERN_LINEREAD_H

#include <stdio.h>

#include "vstr.h"

#define LINEREAD_MAX (1024 * 1024)

typedef struct LINEREAD {
    FILE *fp;
    char *path;
    VSTR *line;         /* the current logical line */
    VSTR *next;         /* the physical line read ahead */
    int have_next;
    int eof;
    size_t max;
    int lineno;         /* physical line number of the read-ahead */
    int first_line;     /* first physical line of the current logical line */
    int last_line;      /* last physical line of the current logical line */
    const char *error;  /* NULL, or why lineread_next() stopped early */
} LINEREAD;

LINEREAD *lineread_open(FILE *fp, const char *path);
void lineread_set_max(LINEREAD *lr, size_t max);
char *lineread_next(LINEREAD *lr);
void lineread_close(LINEREAD *lr);

#endif
