/*
 * cleanup_maps - a list of lookup tables, as a parameter names them
 * ("hash:/etc/postfix/canonical, regexp:/etc/postfix/canonical.re").
 *
 * Usage (open before the chroot, look up many times):
 *   CLEANUP_MAPS *m = cleanup_maps_open("canonical_maps", text, why);
 *   value = cleanup_maps_find(m, "user@example.com");
 *   if (value == NULL && m->error) ... temporary failure
 *   cleanup_maps_free(m);
 * The tables are asked in order and the first answer wins. Keys of
 * fixed-string tables are lower-cased (table.h's TABLE_FLAG_FOLD); pattern
 * tables (regexp:, pcre:) see the key as given. cleanup_maps_find_fixed()
 * asks only the fixed-string tables (Postfix tries the partial keys "user"
 * and "@domain" on those alone).
 * An empty text gives an empty list (cleanup_maps_empty() is then true;
 * every lookup says "not found").
 *
 * Error policy: cleanup_maps_open() returns NULL with why when a table
 * cannot be opened (the daemon makes that fatal); a failed lookup returns
 * NULL with m->error set to TABLE_ERR_RETRY or TABLE_ERR_CONFIG (the caller
 * defers the message).
 */
#ifndef POSTERN_CLEANUP_MAPS_H
#define POSTERN_CLEANUP_MAPS_H

#include <stddef.h>

#include "table.h"
#include "vstr.h"

typedef struct CLEANUP_MAPS {
    char *title;        /* the parameter name, for logs */
    TABLE **tables;
    size_t count;
    int error;          /* TABLE_OK or the failing table's error */
} CLEANUP_MAPS;

CLEANUP_MAPS *cleanup_maps_open(const char *title, const char *text, VSTR *why);
const char *cleanup_maps_find(CLEANUP_MAPS *m, const char *key);
const char *cleanup_maps_find_fixed(CLEANUP_MAPS *m, const char *key);
int cleanup_maps_empty(const CLEANUP_MAPS *m);
void cleanup_maps_free(CLEANUP_MAPS *m);

#endif
