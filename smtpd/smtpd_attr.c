/*
 * smtpd_attr - client attribute names to session state (smtpd_attr.h).
 */
#include "config.h"

#include <string.h>

#include "smtpd_attr.h"

const char *smtpd_state_attr(const SMTPD_STATE *state, const char *name)
{
    if (strcmp(name, "client") == 0)
        return state->namaddr;
    if (strcmp(name, "client_address") == 0)
        return state->addr;
    if (strcmp(name, "client_name") == 0)
        return state->name;
    if (strcmp(name, "reverse_client_name") == 0)
        return state->reverse_name;
    if (strcmp(name, "client_port") == 0)
        return state->port;
    if (strcmp(name, "helo_name") == 0)
        return state->helo;
    return NULL;
}
