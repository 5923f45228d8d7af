/*
 * sasl_server - SMTP AUTH for the SMTP server: one API, two back-ends
 * chosen by smtpd_sasl_type: "cyrus" (Cyrus libsasl2, sasl_cyrus.c) and
 * "dovecot" (Dovecot's auth socket, sasl_dovecot.c).
 *
 * Once per process, before chroot and before dropping privileges:
 *
 *   SASL_SRV_PARAMS p;
 *   sasl_srv_params_conf(&p);          smtpd_sasl_* from main.cf (conf.h)
 *   SASL_SRV *srv = sasl_srv_open(&p, why);
 *
 * sasl_srv_open() returns NULL with the reason in why for a bad
 * smtpd_sasl_type, a bad security option list or a back-end that does not
 * start; smtpd makes that fatal. Cyrus: the application name is
 * smtpd_sasl_path ("smtpd"), so the configuration file is smtpd.conf, looked
 * for in cyrus_sasl_config_path when set, else in $config_directory/sasl,
 * /usr/lib/sasl2 and /etc/sasl2 (first found wins); it and the mechanism
 * plugins are read here, so they need not exist inside the chroot. Only one
 * Cyrus server may be open per process (libsasl2 has global state).
 * Dovecot: smtpd_sasl_path names the auth socket ("private/auth", relative
 * to the working directory, which is queue_directory for a chrooted smtpd;
 * or "inet:host:port");
 * it is connected when a session first needs it and kept for later
 * sessions.
 *
 * Per SMTP session:
 *
 *   SASL_SRV_CONN c = {server_name, client_addr, client_port,
 *                      server_addr, server_port, tls_active, tls_verified};
 *   SASL_SRV_SESS *s = sasl_srv_sess_new(srv, &c, why);   NULL: 454 reply
 *   sasl_srv_sess_mechs(s)           "PLAIN LOGIN" for the EHLO AUTH line,
 *                                    filtered by smtpd_sasl_security_options
 *                                    (smtpd_sasl_tls_security_options when
 *                                    tls_active) and smtpd_sasl_mechanism_filter;
 *                                    "" when none is left (no AUTH keyword)
 *   r = sasl_srv_sess_start(s, "PLAIN", initial_or_NULL, out);
 *   while (r == SASL_SRV_MORE) {
 *       send "334 " + out; read a line;
 *       r = sasl_srv_sess_step(s, line, out);
 *   }
 *   sasl_srv_reply(s, r, out) gives the SMTP reply for the result ("235 2.7.0
 *   Authentication successful", "535 5.7.8 Error: authentication failed:
 *   authentication failure", ...).
 *   sasl_srv_sess_free(s); ... sasl_srv_close(srv) at exit.
 *
 * Initial responses and responses are base64 text as the client sent it:
 * "=" is an empty response, "*" cancels (SASL_SRV_ABORT), text that is not
 * strict base64 is SASL_SRV_BADB64, text longer than smtpd_sasl_response_limit
 * is SASL_SRV_TOOLONG; those end the exchange. A mechanism that is not in
 * the session's list is SASL_SRV_BADMECH (no exchange started). Results:
 *   SASL_SRV_DONE   authenticated: sasl_srv_sess_user() and _mech() tell who
 *                   and how (out may hold final server data, base64, which
 *                   SMTP cannot carry and the caller ignores)
 *   SASL_SRV_MORE   out holds the base64 challenge for "334 "
 *   SASL_SRV_FAIL   wrong credentials or a protocol error by the client;
 *                   sasl_srv_sess_reason() is the text ("authentication
 *                   failure"); sasl_srv_sess_warn_failed() logs Postfix's
 *                   line "warning: host[addr]: SASL PLAIN authentication
 *                   failed: authentication failure, sasl_username=alice"
 *   SASL_SRV_TEMP   the back-end is unavailable (Dovecot down): 454
 * After any result but MORE a new exchange may start on the same session;
 * a session that has authenticated refuses another (SASL_SRV_BADSEQ,
 * "503 5.5.1 Error: already authenticated").
 *
 * Error policy: everything a client or the Dovecot socket sends is checked
 * and bounded and turns into a result, never a crash; Cyrus's own log
 * messages become msg_warn/msg_info lines ("warning: SASL authentication
 * failure: Password verification failed"). API misuse (a step without an
 * exchange) is a panic.
 *
 * sasldb and chroot: libsasl2's sasldb plugin opens the database file on
 * every lookup, after the chroot; sasldb_path in smtpd.conf must therefore
 * name the file as the chrooted smtpd sees it (for queue_directory
 * /var/spool/postfix, "sasldb_path: /etc/sasldb2" means
 * /var/spool/postfix/etc/sasldb2), or smtpd must run unchrooted.
 */
#ifndef POSTERN_SASL_SERVER_H
#define POSTERN_SASL_SERVER_H

#include <stddef.h>

#include "argv.h"
#include "vstr.h"

typedef struct SASL_SRV_PARAMS {
    const char *type;               /* smtpd_sasl_type: cyrus, dovecot */
    const char *path;               /* smtpd_sasl_path */
    const char *service;            /* smtpd_sasl_service ("smtp") */
    const char *config_dir;         /* config_directory */
    const char *cyrus_config_path;  /* cyrus_sasl_config_path ("": default) */
    const char *local_domain;       /* smtpd_sasl_local_domain */
    const char *security_options;   /* smtpd_sasl_security_options */
    const char *tls_security_options; /* smtpd_sasl_tls_security_options */
    const char *mechanism_filter;   /* smtpd_sasl_mechanism_filter */
    size_t response_limit;          /* smtpd_sasl_response_limit */
    int timeout;                    /* seconds per Dovecot request */
} SASL_SRV_PARAMS;

typedef struct SASL_SRV_CONN {
    const char *server_name;        /* the server's FQDN (myhostname) */
    const char *client_addr;        /* "192.0.2.1", "2001:db8::1" */
    const char *client_port;        /* "40000" */
    const char *server_addr;
    const char *server_port;
    int tls_active;                 /* the session is encrypted */
    int tls_verified;               /* the client's certificate was verified */
} SASL_SRV_CONN;

enum {
    SASL_SRV_DONE,
    SASL_SRV_MORE,
    SASL_SRV_FAIL,
    SASL_SRV_TEMP,
    SASL_SRV_ABORT,
    SASL_SRV_BADB64,
    SASL_SRV_TOOLONG,
    SASL_SRV_BADMECH,
    SASL_SRV_BADSEQ,
};

#define SASL_SRV_DEF_TIMEOUT 30

typedef struct SASL_SRV SASL_SRV;
typedef struct SASL_SRV_SESS SASL_SRV_SESS;

void sasl_srv_params_conf(SASL_SRV_PARAMS *p);
SASL_SRV *sasl_srv_open(const SASL_SRV_PARAMS *p, VSTR *why);
void sasl_srv_close(SASL_SRV *srv);

SASL_SRV_SESS *sasl_srv_sess_new(SASL_SRV *srv, const SASL_SRV_CONN *conn, VSTR *why);
const char *sasl_srv_sess_mechs(SASL_SRV_SESS *s);
int sasl_srv_sess_start(SASL_SRV_SESS *s, const char *mech, const char *initial, VSTR *out);
int sasl_srv_sess_step(SASL_SRV_SESS *s, const char *response, VSTR *out);
const char *sasl_srv_sess_user(SASL_SRV_SESS *s);
const char *sasl_srv_sess_mech(SASL_SRV_SESS *s);
const char *sasl_srv_sess_reason(SASL_SRV_SESS *s);
void sasl_srv_sess_warn_failed(SASL_SRV_SESS *s, const char *client_name,
                               const char *client_addr);
void sasl_srv_reply(SASL_SRV_SESS *s, int result, const VSTR *out, VSTR *reply);
void sasl_srv_sess_free(SASL_SRV_SESS *s);

/*
 * The back-end interface (sasl_cyrus.c, sasl_dovecot.c). A back-end gets
 * decoded bytes and returns raw bytes in out; the results are SASL_SRV_DONE,
 * _MORE, _FAIL (why: the reason), _TEMP (why: the reason). user() gives the
 * authenticated name after DONE, or the name the client tried after FAIL
 * (NULL when unknown).
 */
typedef struct SASL_SRV_OPS {
    void *(*sess_new)(void *backend, const SASL_SRV_CONN *conn, unsigned secflags,
                      ARGV *mechs, VSTR *why);
    int (*start)(void *sess, const char *mech, const void *in, size_t len, int has_in,
                 VSTR *out, VSTR *why);
    int (*step)(void *sess, const void *in, size_t len, VSTR *out, VSTR *why);
    const char *(*user)(void *sess);
    void (*sess_free)(void *sess);
    void (*close)(void *backend);
} SASL_SRV_OPS;

#endif
