/*
 * postalias - Postfix alias database maintenance (postalias(1)); installed
 * a second time as newaliases, which rebuilds every table in
 * alias_database. The work is in lib/tablecmd.c, shared with postmap.
 */
#include "config.h"

#include "tablecmd.h"

int main(int argc, char **argv)
{
    if (argc > 0 && tablecmd_is_newaliases(argv[0]))
        return tablecmd_newaliases(argc, argv);
    return tablecmd_main(argc, argv, TABLECMD_POSTALIAS);
}
