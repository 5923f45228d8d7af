/*
 * smtpd_anvil - smtpd's client connection and rate limits, counted by the
 * anvil service (lib/anvil_client.h):
 *   smtpd_client_connection_count_limit   connections open at once
 *   smtpd_client_connection_rate_limit    connections per anvil_rate_time_unit
 *   smtpd_client_message_rate_limit       MAIL commands per time unit
 *   smtpd_client_recipient_rate_limit     RCPT commands per time unit
 *   smtpd_client_auth_rate_limit          AUTH commands per time unit
 * (0: no limit), except for clients in smtpd_client_event_limit_exceptions
 * (default $mynetworks), which are neither limited nor counted.
 *   smtpd_client_new_tls_session_rate_limit  new (not resumed) TLS
 *                                         sessions per time unit
 *
 * a = smtpd_anvil_create(exceptions, timeout_ms) in pre_jail (it takes the
 *   match list; NULL when every limit is 0: then nothing here asks anvil);
 * in the session, each returns 0 (go on) or -1 (the limit is exceeded: the
 * reply is sent and the warning logged, Postfix's texts):
 *   smtpd_anvil_connect(state)    at connect; -1: "421 4.7.0 HOST Error:
 *                                 too many connections from ADDR", the
 *                                 session must end
 *   smtpd_anvil_mail(state)       MAIL; -1: "450 4.7.1 Error: too much mail
 *                                 from ADDR"
 *   smtpd_anvil_rcpt(state)       RCPT; -1: "450 4.7.1 Error: too many
 *                                 recipients from ADDR"
 *   smtpd_anvil_auth(state)       AUTH; -1: "450 4.7.1 Error: too many AUTH
 *                                 commands from ADDR"
 *   smtpd_anvil_newtls(state)     after a TLS handshake (STARTTLS or
 *                                 wrapper mode), counts it unless the
 *                                 session was resumed; -1: "421 4.7.0
 *                                 HOST Error: too many new TLS sessions
 *                                 from NAME[ADDR]" (sent under TLS), the
 *                                 session must end
 *   smtpd_anvil_newtls_status(state) before a TLS handshake: is the client
 *                                 already over that rate (counts nothing)?
 *                                 -1: for STARTTLS "454 4.7.0 Error: too
 *                                 many new TLS sessions from NAME[ADDR]"
 *                                 is sent (the session goes on without
 *                                 TLS); in wrapper mode nothing is sent
 *                                 and the session must end
 *   smtpd_anvil_disconnect(state) at the end of every session.
 * smtpd_anvil_free(a) at exit.
 *
 * Error policy: anvil being unreachable or failing never refuses mail: the
 * client module logs a warning and the limit is not applied.
 */
#ifndef POSTERN_SMTPD_ANVIL_H
#define POSTERN_SMTPD_ANVIL_H

#include "../lib/matchlist.h"
#include "smtpd.h"

struct SMTPD_ANVIL;

struct SMTPD_ANVIL *smtpd_anvil_create(MATCH_LIST *exceptions, int timeout_ms);
void smtpd_anvil_free(struct SMTPD_ANVIL *a);
int smtpd_anvil_connect(SMTPD_STATE *state);
int smtpd_anvil_mail(SMTPD_STATE *state);
int smtpd_anvil_rcpt(SMTPD_STATE *state);
int smtpd_anvil_auth(SMTPD_STATE *state);
int smtpd_anvil_newtls(SMTPD_STATE *state);
int smtpd_anvil_newtls_status(SMTPD_STATE *state);
void smtpd_anvil_disconnect(SMTPD_STATE *state);

#endif
