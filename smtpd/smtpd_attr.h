/*
 * smtpd_attr - the client attributes that several smtpd $name expansions
 * share (smtpd_reject_footer, rbl_reply_maps/default_rbl_reply), mapped
 * to the session state in one place.
 *
 * Usage: value = smtpd_state_attr(state, name)
 *   name is one of
 *     client               NAME[ADDR]
 *     client_address       ADDR
 *     client_name          the verified name, or "unknown"
 *     reverse_client_name  the PTR name, or "unknown"
 *     client_port          the client's port
 *     helo_name            the HELO/EHLO argument; NULL before HELO/EHLO
 *   and the value points into state (valid as long as it is unchanged).
 *   Any other name: NULL. Each caller handles its own further names
 *   (rbl_code, sender, localtime, ...) and what a NULL means to it.
 *
 * Error policy: none needed; nothing is allocated, nothing is logged.
 */
#ifndef POSTERN_SMTPD_ATTR_H
#define POSTERN_SMTPD_ATTR_H

#include "smtpd.h"

const char *smtpd_state_attr(const SMTPD_STATE *state, const char *name);

#endif
