/*
 * table_compose - the table types made of other tables or of values in the
 * specification, as postconf(5) and DATABASE_README describe them:
 *
 *   unionmap:{type:name, ...}   every table is asked; the results found are
 *                               joined with ',' (not found when none is)
 *   pipemap:{type:name, ...}    the result of each table is the key for the
 *                               next; not found when one of them has nothing
 *   randmap:{value, ...}        one of the values at random, whatever the key
 *   fail:name                   every lookup fails with a temporary error
 *
 * List elements are separated by commas or white space; an element keeps
 * its braces ("inline:{a=b}", or "{x y}" in a randmap, returned as written).
 * Lookups fold nothing themselves: each member table folds as its type does.
 * All are read-only; member tables are re-opened on change by table.c.
 *
 * Errors: a list that is not in braces, is empty, or has unbalanced braces
 * fails the open with Postfix's message ('bad syntax: "unionmap:x"; need
 * "unionmap:{type:name...}"'); so does a member that cannot be opened, or
 * composite tables nested more than TABLE_COMPOSE_DEPTH_MAX deep. A member's
 * lookup error is the composite's error (t->error).
 */
#ifndef POSTERN_TABLE_COMPOSE_H
#define POSTERN_TABLE_COMPOSE_H

#include "table.h"

#define TABLE_COMPOSE_DEPTH_MAX 16

TABLE *table_unionmap_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_pipemap_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_randmap_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_fail_open(const char *type, const char *name, int mode, int flags, VSTR *why);

#endif
