/*
 * postmap - Postfix lookup table management: build a table from its source,
 * update, query, delete from or list it. See postmap(1); the work is in
 * lib/tablecmd.c, shared with postalias.
 */
#include "config.h"

#include "tablecmd.h"

int main(int argc, char **argv)
{
    return tablecmd_main(argc, argv, TABLECMD_POSTMAP);
}
