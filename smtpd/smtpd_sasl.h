/*
 * smtpd_sasl - SMTP AUTH in the SMTP server, on lib/net/sasl_server.h
 * (smtpd_sasl_type cyrus or dovecot).
 *
 *   smtpd_sasl_conf_load(&conf->sasl)   in pre_jail: smtpd_sasl_auth_enable,
 *                                       broken_sasl_auth_clients,
 *                                       smtpd_sasl_authenticated_header,
 *                                       smtpd_sasl_response_limit, and the
 *                                       SASL server itself (Cyrus reads its
 *                                       smtpd.conf and plugins here)
 *   mechs = smtpd_sasl_mechs(state)     the EHLO AUTH list, NULL: no AUTH
 *                                       keyword (disabled, TLS required
 *                                       first, a client listed in
 *                                       smtpd_sasl_exceptions_networks, or
 *                                       no mechanism left); as in Postfix,
 *                                       such a client may still send AUTH
 *   r = smtpd_sasl_auth_cmd(state, arg, &io)   the AUTH command, with its
 *                                       334 exchange through io; 0 go on,
 *                                       1 the client is gone
 *   smtpd_sasl_reset(state)             forget the SASL session and any
 *                                       login (after STARTTLS, at the end)
 *   smtpd_sasl_conf_free(&conf->sasl)
 *
 * After a successful AUTH, state->sasl_username and state->sasl_method say
 * who and how (for permit_sasl_authenticated, smtpd_sender_login_maps, the
 * client= log line, cleanup's sasl_* attributes, the Received: header).
 *
 * Error policy: a SASL server that cannot start is fatal at start-up (a
 * configuration error, as in Postfix). Per session, a back-end that is
 * unavailable (Dovecot's socket unreachable) leaves AUTH out of the EHLO
 * reply with a warning, where Postfix's smtpd would exit fatally, and an
 * AUTH command is answered with 454; a lookup error in
 * smtpd_sasl_exceptions_networks is a warning and AUTH is offered; wrong credentials with 535 and the
 * warning fail2ban matches ("warning: host[addr]: SASL PLAIN authentication
 * failed: ..."); every failure is an SMTP error, so smtpd_error_sleep_time
 * and smtpd_hard_error_limit slow down and finally drop a guesser.
 * Responses longer than smtpd_sasl_response_limit are refused (500 5.5.6).
 */
#ifndef POSTERN_SMTPD_SASL_H
#define POSTERN_SMTPD_SASL_H

#include <stddef.h>

#include "../lib/argv.h"
#include "../lib/matchlist.h"
#include "../lib/vstr.h"

struct SASL_SRV;
struct SMTPD_STATE;

typedef struct SMTPD_SASL_CONF {
    int enable;                 /* smtpd_sasl_auth_enable */
    int broken_clients;         /* broken_sasl_auth_clients: also "AUTH=..." */
    int auth_header;            /* smtpd_sasl_authenticated_header */
    size_t response_limit;      /* smtpd_sasl_response_limit */
    ARGV *login_maps;           /* smtpd_sender_login_maps: set by smtpd.c (its
                                 * list splitting), opened by smtpd_check */
    MATCH_LIST *exceptions;     /* smtpd_sasl_exceptions_networks: set by
                                 * smtpd.c; clients not told about AUTH */
    struct SASL_SRV *srv;       /* NULL unless enabled */
} SMTPD_SASL_CONF;

/* How the AUTH exchange talks to the client (smtpd_session.c). */
typedef struct SMTPD_SASL_IO {
    void (*reply)(struct SMTPD_STATE *state, const char *text);
    /* One line without CR LF, at most max bytes: 1 got it, 0 the client is
     * gone (logged), -1 too long (the rest of the line was skipped). */
    int (*read)(struct SMTPD_STATE *state, VSTR *line, size_t max);
} SMTPD_SASL_IO;

void smtpd_sasl_conf_load(SMTPD_SASL_CONF *c);
void smtpd_sasl_conf_free(SMTPD_SASL_CONF *c);
const char *smtpd_sasl_mechs(struct SMTPD_STATE *state);
int smtpd_sasl_auth_cmd(struct SMTPD_STATE *state, const char *arg, const SMTPD_SASL_IO *io);
void smtpd_sasl_reset(struct SMTPD_STATE *state);

#endif
