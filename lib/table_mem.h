/*
 * table_mem - an in-memory fixed-string table, the storage behind the
 * texthash: and inline: types (table_texthash.c, table_inline.c).
 *
 * TABLE *t = table_mem_new(type, name, flags); then table_mem_add(t, key,
 * value, where) for each entry (where is "file, line N" or the spec, used in
 * the duplicate warning); the TABLE then supports lookup, sequence (in the
 * order the entries were added) and close. Keys are stored as given: the
 * caller folds them when the flags ask for it (TABLE_FLAG_FOLD), as the
 * wrappers fold the lookup keys of a TABLE_PROP_FIXED table.
 *
 * Duplicates follow table.h: the first entry wins with a warning, or
 * silently under TABLE_FLAG_DUP_IGNORE; TABLE_FLAG_DUP_REPLACE replaces.
 * table_mem_add() returns 0 when stored, 1 for a duplicate. Errors are
 * fatal only for memory exhaustion (mem.h).
 */
#ifndef POSTERN_TABLE_MEM_H
#define POSTERN_TABLE_MEM_H

#include "table.h"

TABLE *table_mem_new(const char *type, const char *name, int flags);
int table_mem_add(TABLE *t, const char *key, const char *value, const char *where);

#endif
