/*
 * smtpd_tls - TLS in the SMTP server: STARTTLS (smtpd_tls_security_level
 * may/encrypt, the legacy smtpd_use_tls/smtpd_enforce_tls) and wrapper
 * mode (smtpd_tls_wrappermode, port 465), on lib/net/tls.h.
 *
 *   smtpd_tls_conf_load(&conf->tls)     in pre_jail: the level, and the
 *                                       server context (keys, certificates,
 *                                       CAfile read here, before chroot)
 *   smtpd_tls_available(&conf->tls)     STARTTLS may be offered
 *   smtpd_tls_start(state, why)         after "220 Ready to start TLS" (or
 *                                       at connect in wrapper mode): the
 *                                       handshake, bounded by
 *                                       smtpd_starttls_timeout; on success
 *                                       the session's stream reads and
 *                                       writes through TLS (stream_set_io)
 *                                       and state->tls is set
 *   smtpd_tls_received(state, out)      the Received: comment lines
 *   smtpd_tls_stop(state)               at disconnect (close_notify, free)
 *   smtpd_tls_conf_free(&conf->tls)
 *
 * A new process reads the key and certificate files again, so after
 * `postfix reload` new workers serve a renewed certificate while old ones
 * finish their sessions.
 *
 * Error policy: a context that cannot be built (no certificate, a bad
 * protocol list) is a warning; STARTTLS then answers 454 and wrapper mode
 * drops the connection, as Postfix does. A failed handshake is logged
 * ("SSL_accept error from host[addr]: reason") and returned (-1): the
 * caller ends the session, since the socket's framing is lost.
 */
#ifndef POSTERN_SMTPD_TLS_H
#define POSTERN_SMTPD_TLS_H

#include "../lib/vstr.h"

struct TLS_CTX;
struct SMTPD_STATE;

typedef struct SMTPD_TLS_CONF {
    int level;                  /* TLS_LEV_NONE, _MAY, _ENCRYPT */
    int wrapper;                /* smtpd_tls_wrappermode */
    int auth_only;              /* smtpd_tls_auth_only (implied by encrypt) */
    int received_header;        /* smtpd_tls_received_header */
    int loglevel;               /* smtpd_tls_loglevel */
    int timeout;                /* smtpd_starttls_timeout, seconds */
    struct TLS_CTX *ctx;        /* NULL: TLS is not available */
} SMTPD_TLS_CONF;

void smtpd_tls_conf_load(SMTPD_TLS_CONF *c);
void smtpd_tls_conf_free(SMTPD_TLS_CONF *c);
int smtpd_tls_available(const SMTPD_TLS_CONF *c);
int smtpd_tls_start(struct SMTPD_STATE *state, VSTR *why);
void smtpd_tls_received(const struct SMTPD_STATE *state, VSTR *out);
void smtpd_tls_stop(struct SMTPD_STATE *state);

#endif
