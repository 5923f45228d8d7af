/* table_pcre - placeholder until the pcre: type lands. */
#include "config.h"

#include "table_types.h"

TABLE *table_pcre_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    (void) mode;
    (void) flags;
    vstr_sprintf(why, "%s:%s: the %s type is not implemented yet", type, name, type);
    return NULL;
}
