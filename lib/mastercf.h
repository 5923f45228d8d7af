/*
 * mastercf - master.cf: the services master runs, in Postfix's format.
 *
 * MASTERCF *m = mastercf_read(path, &err) reads every entry: service name,
 * type (inet, unix, unix-dgram, fifo, pass), private, unpriv, chroot,
 * wakeup, maxproc, command and its arguments. Continuation lines (starting
 * with white space) and # comment lines are handled by lineread. An argument
 * written `{ text with spaces }` is one argument with the braces and the
 * white space just inside them removed; `-o name=value`, `-oname=value` and
 * `-o { name = value }` are collected as overrides (ent->opts, name and
 * value trimmed) and also stay in ent->args as two arguments in Postfix's
 * normal form, "-o" and "name=value". Only the daemon
 * options before the first non-option argument are scanned for -o, as the
 * daemon's getopt would (a pipe's `argv=... -o x` belongs to the command).
 * A field that is "-" takes Postfix's default: private
 * y, unpriv y, chroot y below compatibility_level 1 and n from level 1 on,
 * wakeup 0 (none), maxproc $default_process_limit; maxproc 0 means no
 * limit. The *_text fields keep what the file says, for `postconf -M`.
 * For inet the name may be port, host:port or [ipv6]:port (host and port
 * split into ent->host, ent->port; host NULL when absent); for other types
 * ent->port is the name too.
 *
 * mastercf_find(m, name, type) finds an entry (type NULL: any type);
 * mastercf_overrides() copies an entry's -o settings into two ARGVs (names,
 * values) for callers that prefer them; mastercf_format() appends the
 * one-line form `postconf -M` prints (fields at Postfix's columns 0, 11,
 * 17, 25, 33, 41, 49, 57 where the previous one leaves room, an argument
 * or option value with blanks in {braces}); mastercf_format_folded() is
 * the same, folded as `postconf -Mf` does when fold is set (continuation
 * lines indented by four spaces, no line reaching MASTERCF_FOLD_COLUMNS
 * unless one word does, each of the daemon's "-o name=value" on a line of
 * its own); mastercf_format_command() appends only the command and its
 * arguments that way, after what out holds (`postconf -F .../command`).
 * mastercf_free() releases it.
 * mastercf_parse_line() parses one logical line (for tests and editors).
 *
 * Error policy: a malformed entry or an unreadable file is reported to the
 * caller: mastercf_read() returns NULL and sets *err to a message that names
 * the file and line ("/etc/postfix/master.cf, line 7: bad wakeup time: x"),
 * to be freed with mem_free(). Defaults are read from conf (conf_init() must
 * have run). A command that Postern does not ship is not an error here.
 */
#ifndef POSTERN_MASTERCF_H
#define POSTERN_MASTERCF_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

#define MASTERCF_LINE_MAX (64 * 1024)
#define MASTERCF_ARGS_MAX 1024
#define MASTERCF_ENTRIES_MAX 10000
#define MASTERCF_FOLD_COLUMNS 80        /* postconf -Mf: lines stay below this */

typedef struct MASTERCF_OPT {
    char *name;
    char *value;
} MASTERCF_OPT;

typedef struct MASTERCF_ENT {
    char *name;          /* service name as written: smtp, 127.0.0.1:smtp, [::1]:25 */
    char *host;          /* inet: the host part, or NULL */
    char *port;          /* inet: the port part; other types: the name */
    char *type;          /* inet, unix, unix-dgram, fifo, pass */
    int private_;        /* 1: private/ (0 for inet) */
    int unpriv;
    int chroot;
    int wakeup;          /* seconds; 0: no wake-up */
    int wakeup_if_used;  /* wakeup written N? */
    int maxproc;         /* 0: no limit */
    char *private_text;  /* the five fields as written */
    char *unpriv_text;
    char *chroot_text;
    char *wakeup_text;
    char *maxproc_text;
    char *command;       /* args->argv[0] */
    ARGV *args;          /* command and arguments, braces removed */
    MASTERCF_OPT *opts;  /* the -o overrides, in order */
    size_t nopts;
    int line;            /* first line of the entry */
    char *raw;           /* the logical line as read */
} MASTERCF_ENT;

typedef struct MASTERCF {
    char *path;
    MASTERCF_ENT **ents;
    size_t count;
} MASTERCF;

MASTERCF *mastercf_read(const char *path, char **err);
MASTERCF_ENT *mastercf_parse_line(const char *line, const char *path, int lineno, char **err);
const MASTERCF_ENT *mastercf_find(const MASTERCF *m, const char *name, const char *type);
void mastercf_overrides(const MASTERCF_ENT *ent, ARGV *names, ARGV *values);
void mastercf_format(VSTR *out, const MASTERCF_ENT *ent);
void mastercf_format_folded(VSTR *out, const MASTERCF_ENT *ent, int fold);
void mastercf_format_command(VSTR *out, const MASTERCF_ENT *ent, int fold);
void mastercf_ent_free(MASTERCF_ENT *ent);
void mastercf_free(MASTERCF *m);

#endif
