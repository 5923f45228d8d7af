/*
 * tablecmd - the command line of postmap(1), postalias(1) and newaliases:
 * build a table from its source, update it incrementally from standard
 * input, query it, delete from it, or list it. postmap/postmap.c and
 * postmap/postalias.c are one call each into this module.
 *
 *   return tablecmd_main(argc, argv, TABLECMD_POSTMAP);
 *
 * postmap [-NbFfhimnoprsuUvw] [-c dir] [-d key] [-q key] [type:]file...
 * postalias takes the same options and reads aliases(5) sources, adds the
 * "@", YP_LAST_MODIFIED and YP_MASTER_NAME entries (the last two without a
 * trailing NUL, as Sendmail and Postfix write them) and prints "key: value"
 * lines. tablecmd_newaliases() rebuilds every table in alias_database.
 *
 * Behaviour is Postfix's (postmap(1), postalias(1)): exit status 0 on
 * success or when -q/-d found something, 1 otherwise; warnings name the
 * source file and line; a rebuild is atomic (see tablefile.h), so a fatal
 * error or a signal during a build leaves the old table as it was. Signals
 * that would end the program are held while a table is being written.
 * Errors are fatal with Postfix's messages ("postmap: fatal: open x: No such
 * file or directory"); the half-built file is removed first. Warnings and
 * errors go to standard error and, as Postfix's commands do, to syslog
 * (tag syslog_name/postmap, facility syslog_facility).
 */
#ifndef POSTERN_TABLECMD_H
#define POSTERN_TABLECMD_H

#define TABLECMD_POSTMAP   0
#define TABLECMD_POSTALIAS 1

int tablecmd_main(int argc, char **argv, int kind);
int tablecmd_newaliases(int argc, char **argv);
int tablecmd_is_newaliases(const char *argv0);      /* basename is "newaliases" */

#endif
