/*
 * sasl_cyrus - the Cyrus libsasl2 back-end of sasl_server, and the glue that
 * the Cyrus client (sasl_client.c) shares with it.
 *
 * sasl_cyrus_srv_open(params, why) runs sasl_server_init() with the
 * application name params->path (smtpd_sasl_path, "smtpd") and a
 * configuration search path (SASL_CB_GETCONFPATH) of
 * params->cyrus_config_path when set, else
 * "$config_directory/sasl:/usr/lib/sasl2:/etc/sasl2"; libsasl2 reads the
 * first <path>.conf it finds on it and loads its plugins now, before chroot.
 * Cyrus log messages go to msg.h: failures as "warning: SASL authentication
 * failure: ...", errors and warnings as "warning: SASL authentication
 * problem: ...", the rest only when msg_verbose. It returns NULL with why
 * when libsasl2 refuses to start. The other functions are reached through
 * sasl_cyrus_srv_ops (see SASL_SRV_OPS in sasl_server.h). Sessions use
 * service params->service, realm params->local_domain (none when empty),
 * "addr;port" for both ends, no security layer (max_ssf 0), and the
 * security flags asked for; mechanisms are those sasl_listmech() offers.
 * Result codes: SASL_OK is DONE, SASL_CONTINUE is MORE, SASL_TRYAGAIN,
 * SASL_UNAVAIL and SASL_NOMEM are TEMP, anything else is FAIL with
 * libsasl2's text for it ("authentication failure").
 *
 * sasl_cyrus_secprops(flags, props) fills a Cyrus security property set
 * from SASL_F_* bits; sasl_cyrus_log() is the log callback;
 * SASL_CYRUS_CB(fn) casts a callback function for a sasl_callback_t.
 */
#ifndef POSTERN_SASL_CYRUS_H
#define POSTERN_SASL_CYRUS_H

#include <sasl/sasl.h>

#include "sasl_server.h"

extern const SASL_SRV_OPS sasl_cyrus_srv_ops;

void *sasl_cyrus_srv_open(const SASL_SRV_PARAMS *p, VSTR *why);
void sasl_cyrus_secprops(unsigned flags, sasl_security_properties_t *props);
int sasl_cyrus_log(void *context, int level, const char *message);

#define SASL_CYRUS_CB(fn) ((int (*)(void))(void (*)(void))(fn))

#endif
