/*
 * flush_client - the protocol of the flush service (public/flush), both
 * sides: postqueue -i/-s ask, qmgr/flush answers.
 *
 * THE CONVERSATION (lib/attr.h encoding, Postfix's requests; one request
 * per connection; the client speaks first, the server does not announce):
 *   client -> flush   request=send_site site=DOMAIN <end>      (postqueue -s)
 *                     request=send_file queue_id=ID <end>      (postqueue -i)
 *   flush  -> client  status=N <end>
 * Receipt is strict (flush_request_read): exactly these two attributes in
 * this order, a known request, a value of at most FLUSH_VALUE_MAX bytes, a
 * whole request of at most FLUSH_REQUEST_MAX bytes under a deadline;
 * anything else is answered FLUSH_STAT_BAD (when the connection still
 * allows it). A site must look like a domain name or an [address]; a
 * queue id must be valid (queue_id.h), so neither can name a path.
 *
 * Status values (Postfix's numbers):
 *   FLUSH_STAT_OK       done: the mail was found, touched, qmgr triggered
 *                       (send_site: also when no message was for the site)
 *   FLUSH_STAT_FAIL     the service failed (a table lookup error); the
 *                       client also uses it when it cannot reach the service
 *   FLUSH_STAT_UNKNOWN  send_file: no such message in the deferred queue
 *                       (Postern's use; Postfix answers OK)
 *   FLUSH_STAT_BAD      a malformed request
 *   FLUSH_STAT_DENY     send_site: the site is not in fast_flush_domains
 *
 * CLIENT: status = flush_request(qdir, FLUSH_REQ_SEND_SITE, "example.com",
 *                                timeout_ms);
 *   connects to qdir/public/flush, sends, reads the status; FLUSH_STAT_FAIL
 *   when the service cannot be reached or answers anything but one status.
 * SERVER: flush_request_read(stream, timeout_ms, request, value, why) -> 0
 *   with the request name and its value (the whole request within
 *   timeout_ms), or -1 with a reason for the log;
 *   flush_reply(stream, status) -> 0 or -1.
 *
 * Error policy: nothing here is fatal; bad input from the peer is an error
 * return with a reason.
 */
#ifndef POSTERN_FLUSH_CLIENT_H
#define POSTERN_FLUSH_CLIENT_H

#include "stream.h"
#include "vstr.h"

#define FLUSH_REQ_SEND_SITE "send_site"
#define FLUSH_REQ_SEND_FILE "send_file"
#define FLUSH_ATTR_REQUEST  "request"
#define FLUSH_ATTR_SITE     "site"
#define FLUSH_ATTR_QUEUE_ID "queue_id"
#define FLUSH_ATTR_STATUS   "status"

#define FLUSH_STAT_OK      0
#define FLUSH_STAT_FAIL    1
#define FLUSH_STAT_UNKNOWN 2
#define FLUSH_STAT_BAD     3
#define FLUSH_STAT_DENY    4

#define FLUSH_VALUE_MAX   255   /* bytes in a site or queue id */
#define FLUSH_REQUEST_MAX 1024  /* bytes in one request */

int flush_request(const char *qdir, const char *request, const char *value, int timeout_ms);
int flush_request_read(STREAM *s, int timeout_ms, VSTR *request, VSTR *value, VSTR *why);
int flush_reply(STREAM *s, int status);
int flush_site_valid(const char *site);   /* a domain name or [address] */

#endif
