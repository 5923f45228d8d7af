/*
 * table_types - the open functions of the table types, for table.c's
 * registry only. Each returns a TABLE (see table.h) or NULL with the reason
 * in why. "name" is what follows "type:" in the table spec.
 */
#ifndef POSTERN_TABLE_TYPES_H
#define POSTERN_TABLE_TYPES_H

#include "table.h"

TABLE *table_db_open(const char *type, const char *name, int mode, int flags, VSTR *why);    /* hash, btree */
TABLE *table_lmdb_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_cdb_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_texthash_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_inline_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_static_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_regexp_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_pcre_open(const char *type, const char *name, int mode, int flags, VSTR *why);
TABLE *table_unix_open(const char *type, const char *name, int mode, int flags, VSTR *why);

#endif
