/* params - the defaults table; see params.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "params.h"

static const PARAM params_table[] = {
#include "params_table.inc"
};

#define PARAMS_N (sizeof(params_table) / sizeof(params_table[0]))

static int params_cmp(const void *key, const void *ent)
{
    return strcmp((const char *) key, ((const PARAM *) ent)->name);
}

const PARAM *params_find(const char *name)
{
    return bsearch(name, params_table, PARAMS_N, sizeof(params_table[0]), params_cmp);
}

size_t params_count(void)
{
    return PARAMS_N;
}

const PARAM *params_at(size_t i)
{
    return i < PARAMS_N ? &params_table[i] : NULL;
}

const char *params_type_name(PARAM_TYPE type)
{
    switch (type) {
    case PARAM_BOOL:
        return "bool";
    case PARAM_INT:
        return "int";
    case PARAM_TIME:
        return "time";
    case PARAM_SIZE:
        return "size";
    default:
        return "string";
    }
}
