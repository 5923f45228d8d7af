/*
 * sasl_test - lib/net/sasl_util and the parts of the SASL modules that need
 * no peer.
 */
#include "config.h"

#include "sasl_util.h"
#include "tap.h"

int main(void)
{
    TAP_OK(sasl_util_mech_valid("PLAIN"), "PLAIN is a mechanism name");
    return tap_done();
}
