/*
 * sasl_client - SMTP AUTH for the SMTP client (smtp, lmtp), on Cyrus
 * libsasl2 (smtp_sasl_type = cyrus, the only type).
 *
 * Once per process, before chroot (libsasl2 loads its plugins here):
 *
 *   SASL_CLI_PARAMS p;
 *   sasl_cli_params_conf(&p, "smtp");     smtp_sasl_* (or "lmtp": lmtp_sasl_*)
 *   SASL_CLI *cli = sasl_cli_open(&p, why);        NULL: why says
 *
 * Per connection that should authenticate (smtp_sasl_auth_enable, and
 * smtp_sasl_password_maps gives "user:password" for the server):
 *
 *   char *user, *pass;
 *   r = sasl_cli_passwd_lookup(maps, nmaps, sender, host, dest, &user, &pass);
 *      1: found (free user and pass with mem_free), 0: none (do not
 *      authenticate), -1: a table failed (defer: try again later)
 *   SASL_CLI_SESS *s = sasl_cli_sess_new(cli, server_name, user, pass,
 *                                        tls_active, why);
 *   r = sasl_cli_sess_start(s, ehlo_auth_mechs, mech, initial, why);
 *      SASL_CLI_OK: send "AUTH <mech>" plus " <initial>" when initial is
 *      not empty ("=" stands for an empty initial response)
 *   while the server says 334 <challenge>:
 *      r = sasl_cli_sess_step(s, challenge, response, why);
 *      SASL_CLI_OK: send response (may be an empty line)
 *      SASL_CLI_FAIL: send "*" to cancel, log why
 *   235: done. sasl_cli_sess_free(s); sasl_cli_close(cli) at exit.
 *
 * sasl_cli_passwd_lookup() searches the tables in order, as Postfix does:
 * first the sender address and then "@domain" when sender is not NULL (pass
 * it only with smtp_sender_dependent_authentication, never for LMTP), then
 * host (the remote server's name), then dest (the next hop as written in
 * relayhost or the transport, e.g. "[smtp.example.com]:587"); the first
 * table that has the key wins, and a table error stops the search.
 * sasl_cli_credentials() splits a value at the first ':' (no ':': the
 * password is empty, and it returns 1; else 0).
 *
 * The server's mechanisms (the EHLO AUTH line) are filtered by
 * smtp_sasl_mechanism_filter (see sasl_util_filter), then libsasl2 picks
 * the best one that the security options allow: smtp_sasl_security_options,
 * or smtp_sasl_tls_security_options when tls_active. No mechanism left is
 * SASL_CLI_NOMECH ("no mechanism available"). The user name and password
 * are given to libsasl2 through the SASL_CB_AUTHNAME and SASL_CB_PASS
 * callbacks; SASL_CB_USER (the authorization id) is offered only with
 * send_cyrus_sasl_authzid = yes. No security layer is negotiated.
 *
 * Error policy: a challenge that is not strict base64 or is longer than
 * SASL_CLI_CHALLENGE_MAX, and every libsasl2 failure, is SASL_CLI_FAIL with
 * the reason in why; nothing a server sends can crash the client. Bad
 * parameters (an unknown security option, a type other than cyrus) make
 * sasl_cli_open() return NULL. Cyrus log messages go to msg.h as in
 * sasl_cyrus.h. Only one SASL_CLI per process.
 */
#ifndef POSTERN_SASL_CLIENT_H
#define POSTERN_SASL_CLIENT_H

#include <stddef.h>

#include "vstr.h"

typedef struct SASL_CLI_PARAMS {
    const char *type;                   /* smtp_sasl_type: cyrus */
    const char *path;                   /* smtp_sasl_path: Cyrus application name */
    const char *service;                /* "smtp" (lmtp: "lmtp") */
    const char *security_options;       /* smtp_sasl_security_options */
    const char *tls_security_options;   /* smtp_sasl_tls_security_options */
    const char *mechanism_filter;       /* smtp_sasl_mechanism_filter */
    int send_authzid;                   /* send_cyrus_sasl_authzid */
} SASL_CLI_PARAMS;

enum { SASL_CLI_OK, SASL_CLI_FAIL, SASL_CLI_NOMECH };

#define SASL_CLI_CHALLENGE_MAX (64 * 1024)

typedef struct SASL_CLI SASL_CLI;
typedef struct SASL_CLI_SESS SASL_CLI_SESS;

void sasl_cli_params_conf(SASL_CLI_PARAMS *p, const char *protocol);
SASL_CLI *sasl_cli_open(const SASL_CLI_PARAMS *p, VSTR *why);
void sasl_cli_close(SASL_CLI *cli);
int sasl_cli_credentials(const char *value, char **user, char **password);

struct TABLE;
int sasl_cli_passwd_lookup(struct TABLE *const *maps, size_t nmaps, const char *sender,
                           const char *host, const char *dest, char **user, char **password);

SASL_CLI_SESS *sasl_cli_sess_new(SASL_CLI *cli, const char *server_name, const char *user,
                                 const char *password, int tls_active, VSTR *why);
int sasl_cli_sess_start(SASL_CLI_SESS *s, const char *server_mechs, VSTR *mech, VSTR *initial,
                        VSTR *why);
int sasl_cli_sess_step(SASL_CLI_SESS *s, const char *challenge, VSTR *response, VSTR *why);
void sasl_cli_sess_free(SASL_CLI_SESS *s);

#endif
