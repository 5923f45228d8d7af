/*
 * anvil_client - the protocol of the anvil service (private/anvil), both
 * sides: smtpd asks, anvil/anvil answers. anvil counts, per client, the
 * connections that are open now and the connections, messages,
 * recipients and AUTH commands of the current anvil_rate_time_unit;
 * smtpd compares those numbers with its smtpd_client_*_limit parameters.
 *
 * THE CONVERSATION (lib/attr.h encoding; Postern's own, not Postfix's
 * anvil protocol; any number of requests per connection, the client
 * speaks first, the server does not announce):
 *   client -> anvil   request=NAME ident=SERVICE:ADDRESS <end>
 *   anvil  -> client  status=N count=N rate=N <end>
 * NAME is one of
 *   connect     a client connected: count+1, connection rate+1; anvil
 *               remembers it for this connection, so the count drops
 *               again when smtpd disconnects or its connection ends
 *   disconnect  that client left: count-1
 *   message     a MAIL command: message rate+1
 *   recipient   a RCPT command: recipient rate+1
 *   auth        an AUTH command: auth rate+1
 *   newtls      a new TLS session: rate+1 (smtpd: a TLS session not resumed)
 *   newtls_status  nothing changes; rate is the new TLS session rate
 *   lookup      nothing changes
 * The reply's count is the client's concurrent connections, rate the
 * counter that the request is about (the connection rate for connect,
 * disconnect and lookup). An ident is 1..ANVIL_IDENT_MAX printable
 * characters without space; a request is at most ANVIL_REQUEST_MAX bytes.
 *
 * Status: ANVIL_STAT_OK; ANVIL_STAT_FAIL (the request was malformed, the
 * table is full, or, on the client side, anvil could not be reached: the
 * caller then applies no limit).
 *
 * CLIENT: ac = anvil_client_create("private/anvil", timeout_ms);
 *   st = anvil_client_request(ac, ANVIL_REQ_CONNECT, "smtp", addr,
 *                             &count, &rate);
 *   anvil_client_free(ac).
 *   The connection is opened at the first request and kept for the next
 *   ones (anvil ties the connect counts to it); a request that fails on a
 *   kept connection (anvil restarted) is tried once more on a new one.
 *   Every failure is logged as a warning and returns ANVIL_STAT_FAIL.
 *   When anvil accepted a connection but did not answer (hung, or master
 *   throttles it after a crash), the client asks nothing more for
 *   ANVIL_CLIENT_QUIET seconds (each request answers ANVIL_STAT_FAIL at
 *   once), so a sick anvil costs one session one timeout, not every
 *   command of every session; a refused connect is fast and is retried at
 *   the next request.
 * SERVER: anvil_request_read(stream, timeout_ms, request, ident, why)
 *   -> 1 a request (name checked against the list above, ident checked),
 *   0 the client closed the connection, -1 a bad request (why says what);
 *   anvil_reply(stream, status, count, rate) -> 0 or -1.
 *
 * Error policy: nothing here is fatal; bad input from the peer is an
 * error return with a reason; memory exhaustion is fatal (mem.h).
 */
#ifndef POSTERN_ANVIL_CLIENT_H
#define POSTERN_ANVIL_CLIENT_H

#include "stream.h"
#include "vstr.h"

#define ANVIL_REQ_CONNECT    "connect"
#define ANVIL_REQ_DISCONNECT "disconnect"
#define ANVIL_REQ_MESSAGE    "message"
#define ANVIL_REQ_RECIPIENT  "recipient"
#define ANVIL_REQ_AUTH       "auth"
#define ANVIL_REQ_NEWTLS     "newtls"
#define ANVIL_REQ_LOOKUP     "lookup"
#define ANVIL_REQ_NEWTLS_STATUS "newtls_status"

#define ANVIL_ATTR_REQUEST "request"
#define ANVIL_ATTR_IDENT   "ident"
#define ANVIL_ATTR_STATUS  "status"
#define ANVIL_ATTR_COUNT   "count"
#define ANVIL_ATTR_RATE    "rate"

#define ANVIL_STAT_OK   0
#define ANVIL_STAT_FAIL 1

#define ANVIL_IDENT_MAX   300   /* bytes in SERVICE:ADDRESS */
#define ANVIL_REQUEST_MAX 1024  /* bytes in one request */
#define ANVIL_REPLY_MAX   256   /* bytes in one reply */
#define ANVIL_CLIENT_QUIET 10   /* seconds without requests after a failure */

typedef struct ANVIL_CLIENT ANVIL_CLIENT;

ANVIL_CLIENT *anvil_client_create(const char *path, int timeout_ms);
void anvil_client_free(ANVIL_CLIENT *ac);
int anvil_client_request(ANVIL_CLIENT *ac, const char *request, const char *service,
                         const char *addr, int *count, int *rate);

int anvil_ident_valid(const char *ident);
int anvil_request_read(STREAM *s, int timeout_ms, VSTR *request, VSTR *ident, VSTR *why);
int anvil_reply(STREAM *s, int status, int count, int rate);

#endif
