/*
 * smtpd_policy - the check_policy_service restriction: smtpd asks an
 * external policy server (postgrey, policyd-spf, postfwd, Dovecot's
 * quota-status, ...) what to do, with the SMTPD_POLICY_README protocol.
 *
 * Restriction syntax (every smtpd_*_restrictions list and classes):
 *   check_policy_service inet:host:port | unix:/path | unix:private/name
 *                        | private/name | public/name
 *   check_policy_service { ENDPOINT, name=value, ... }      (Postfix 3.0)
 *   check_policy_service { name=value, ... } ENDPOINT
 * Relative socket paths are relative to queue_directory (smtpd's working
 * directory, also inside its chroot). Options in braces override the
 * smtpd_policy_service_* parameters for that one service: timeout,
 * default_action, try_limit, max_idle, max_ttl, request_limit,
 * policy_context, retry_delay.
 *
 * The request is name=value lines (request=smtpd_access_policy,
 * protocol_state, ..., mail_version) ended by an empty line; the reply is
 * name=value lines with an "action" ended by an empty line. Values sent
 * carry no CR or LF and are cut at SMTPD_POLICY_VALUE_MAX bytes; a reply
 * line longer than SMTPD_POLICY_LINE_MAX, more than SMTPD_POLICY_LINES
 * lines, or a reply over SMTPD_POLICY_REPLY_MAX bytes is malformed.
 *
 * Usage:
 *   smtpd_policy_conf_check(arg, arg2, why)  at start-up (0, or -1 + why)
 *   smtpd_policy_needs_endpoint(arg)         "{...}" without an endpoint:
 *                                            the next word is the endpoint
 *   r = smtpd_policy_query(state, arg, arg2, req, action, why)
 *        r 0: action holds the access(5) action to apply (the server's, or
 *        the default action after try_limit failed attempts, each logged as
 *        a warning "problem talking to server NAME: reason");
 *        r -1: the specification itself is bad (why says how).
 *   smtpd_policy_close_all()                 at exit (sanitizers)
 * Connections are kept per specification within the smtpd process and
 * reused across sessions until max_idle, max_ttl or request_limit says
 * otherwise; a connection the server closed is noticed before reuse.
 * The cache is this module's only process state (bounded, see .c).
 *
 * Error policy: nothing from the server or the network is trusted or fatal:
 * a refused connection, a timeout, an oversized or malformed reply is a
 * warning and a retry, then the default action. Memory exhaustion is fatal
 * (mem.h). smtpd_policy_parse_reply() and smtpd_policy_build_request() are
 * pure and exported for the unit test.
 */
#ifndef POSTERN_SMTPD_POLICY_H
#define POSTERN_SMTPD_POLICY_H

#include "smtpd.h"

#define SMTPD_POLICY_VALUE_MAX 2048
#define SMTPD_POLICY_LINE_MAX 4096
#define SMTPD_POLICY_LINES 100
#define SMTPD_POLICY_REPLY_MAX 16384

typedef struct SMTPD_POLICY_REQ {
    const char *stage;          /* protocol_state: "RCPT", "END-OF-MESSAGE", ... */
    const char *sender;         /* NULL: not known */
    const char *rcpt;           /* NULL: not known */
    const char *etrn;           /* ETRN domain, NULL: not ETRN */
} SMTPD_POLICY_REQ;

typedef struct SMTPD_POLICY_SPEC {
    char *endpoint;             /* "inet:127.0.0.1:9998", "unix:private/policy" */
    long timeout;               /* seconds */
    long max_idle, max_ttl, request_limit, try_limit, retry_delay;
    char *default_action;
    char *context;              /* policy_context */
} SMTPD_POLICY_SPEC;

int smtpd_policy_needs_endpoint(const char *arg);
int smtpd_policy_spec_parse(const char *arg, const char *arg2, SMTPD_POLICY_SPEC *spec,
                            VSTR *why);
void smtpd_policy_spec_free(SMTPD_POLICY_SPEC *spec);
int smtpd_policy_conf_check(const char *arg, const char *arg2, VSTR *why);
int smtpd_policy_query(SMTPD_STATE *state, const char *arg, const char *arg2,
                       const SMTPD_POLICY_REQ *req, VSTR *action, VSTR *why);
void smtpd_policy_close_all(void);

void smtpd_policy_build_request(const SMTPD_STATE *state, const SMTPD_POLICY_SPEC *spec,
                                const SMTPD_POLICY_REQ *req, const char *instance, VSTR *out);
int smtpd_policy_parse_reply(const char *reply, size_t len, VSTR *action, VSTR *why);

#endif
