/*
 * sasl_dovecot - the Dovecot back-end of sasl_server: a client of Dovecot's
 * authentication protocol (version 1.x) on the socket named by
 * smtpd_sasl_path: a UNIX socket path ("private/auth", also "unix:PATH"),
 * or "inet:host:port" ("inet:[::1]:12345") for TCP.
 *
 * sasl_dovecot_srv_open(params, why) only checks and records the socket
 * name, the service name and the time limit (NULL with why for a malformed
 * name); nothing is connected yet (the socket may not exist before Dovecot
 * starts). A connection that fails is logged in Postfix's words, "warning:
 * SASL: Connect to private/auth failed: No such file or directory". The rest is reached through
 * sasl_dovecot_srv_ops (SASL_SRV_OPS in sasl_server.h).
 *
 * A session that finds no connection connects and shakes hands:
 *   we send    VERSION 1 1, CPID <pid>
 *   we expect  VERSION 1 <minor>, then MECH <name> [flags], SPID, CUID,
 *              COOKIE (and lines we do not know, which are ignored), then
 *              DONE
 * The connection and its mechanism list are kept for later sessions; one
 * that Dovecot closed (a restart) is noticed before use and reopened. The
 * session's mechanisms are those not marked "private" whose flags pass the
 * security options: noplaintext drops "plaintext", noanonymous "anonymous",
 * nodictionary "dictionary", noactive "active"; forward_secrecy and
 * mutual_auth keep only mechanisms marked "forward-secrecy" and
 * "mutual-auth".
 * An exchange is
 *   AUTH <id> <mech> service=<svc> nologin [lip= rip= lport= rport=]
 *        [secured] [valid-client-cert] [resp=<base64>]
 *   CONT <id> <base64>              (our answers to challenges)
 * answered by OK <id> user=<name>, CONT <id> <base64> or
 * FAIL <id> [reason=<text>] [user=<name>] [temp]. Replies for other ids (an
 * abandoned exchange) are skipped. "secured" is sent when TLS is active,
 * "valid-client-cert" when the client's certificate was verified.
 *
 * Error policy: everything the socket says is parsed strictly with bounds
 * (a line of at most SASL_DOVECOT_LINE_MAX bytes, at most
 * SASL_DOVECOT_MECH_MAX mechanisms and SASL_DOVECOT_LINES_MAX lines in a
 * handshake or before a request's reply, a major version of 1, decimal ids,
 * base64 data, Dovecot's \001 escapes); a violation, a time-out (params
 * timeout seconds per request), or a lost connection is logged as a
 * warning, closes the connection (the next session reconnects) and makes
 * the session fail (NULL: no AUTH) or the exchange SASL_SRV_TEMP. A FAIL
 * with "temp" is SASL_SRV_TEMP too.
 */
#ifndef POSTERN_SASL_DOVECOT_H
#define POSTERN_SASL_DOVECOT_H

#include "sasl_server.h"

#define SASL_DOVECOT_LINE_MAX  (32 * 1024)
#define SASL_DOVECOT_MECH_MAX  64
#define SASL_DOVECOT_LINES_MAX 1000

extern const SASL_SRV_OPS sasl_dovecot_srv_ops;

void *sasl_dovecot_srv_open(const SASL_SRV_PARAMS *p, VSTR *why);
int sasl_dovecot_unescape(VSTR *out, const char *text);

#endif
