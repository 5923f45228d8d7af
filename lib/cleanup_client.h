/*
 * cleanup_client - hand one message to the cleanup service.
 *
 * smtpd, pickup and (later) bounce call this; the cleanup daemon
 * (smtpd/cleanup.c) is the other end. The conversation, over the UNIX
 * socket queue_directory/public/$cleanup_service_name (public/, as
 * master.cf's "cleanup unix n ..." entry makes it: pickup runs as mail_owner,
 * but the socket is Postfix's public one):
 *
 *   1. cleanup -> client   attributes: queue_id
 *   2. client  -> cleanup  attributes: flags (CLEANUP_FLAG_*)
 *   3. client  -> cleanup  queue-file records (lib/qfile.h encoding): the
 *      envelope (T time, F full name, A name=value attributes, S sender,
 *      O/R original and final recipient with the DSN records), M, the
 *      content lines (N, and L pieces of long lines), X, then E
 *   4. cleanup -> client   attributes: status (CLEANUP_STAT_* bits),
 *      reason (text; empty on success)
 * cleanup answers (4) only after the queue file is written, fsynced and
 * marked complete (or removed, on any failure); only then may smtpd say
 * 250 or pickup delete the maildrop file.
 * One connection carries several messages: after (4) the client may send
 * the next request's flags (2) on the same connection, and cleanup then
 * makes the next queue file and answers with its queue id (1); the rest is
 * as above. A client that is done closes the connection between requests
 * (cleanup is silent about that); cleanup closes its end when no request
 * comes within a short idle time, at its max_use (each message counts) or
 * when master tells it to go. A process that sends many messages calls
 * cleanup_client_keep(1) once (smtpd, pickup); cleanup_close() after a
 * reply then keeps the connection in the process (one, for the next
 * cleanup_open() to the same socket); a kept connection that turns out
 * closed costs nothing but a new connect: no message was started on it.
 * Without that call (bounce, local, tools) every message has its own
 * connection, as before.
 *
 * Usage:
 *   CLEANUP *c = cleanup_open("public/cleanup", flags, timeout, why);
 *   printf("%s: client=...", cleanup_queue_id(c));
 *   cleanup_time(c, sec, usec);
 *   cleanup_attr(c, "rewrite_context", "remote");  (and client_name, ...)
 *   cleanup_sender(c, "alice@example.com");        ("" is the null sender)
 *   cleanup_rcpt(c, "bob@example.com", orig, dsn_orcpt, dsn_notify);
 *   cleanup_content_begin(c);
 *   cleanup_line(c, text, len);  (one line without its CR LF, any length)
 *   status = cleanup_finish(c, reason);  (sends X and E, waits for (4))
 *   cleanup_close(c);            (closing without finishing = abort:
 *                                 cleanup removes its file, answers nothing)
 * Added to the fixed API (optional calls):
 *   cleanup_submit_uid(c, uid)  before the content: a local submission by
 *                                that uid (pickup); cleanup then writes
 *                                "Received: by HOST (Postfix, from userid
 *                                UID)" at the top of the content, as
 *                                Postfix does, so pickup must not add one
 *   cleanup_content_end(c)       sends X; recipients given after it with
 *                                cleanup_rcpt() go into the extracted
 *                                segment (pickup, for the recipients that
 *                                postdrop wrote after X: sendmail -t)
 *   cleanup_flush(c)             writes out what is buffered (tests)
 * cleanup copies the envelope records in the order they come, inserting
 * "create_time" after T, so the client decides Postfix's layout. Postfix's
 * smtpd sends: T; A log_ident=QUEUEID; A rewrite_context=local|remote;
 * [A envelope_id, A ret_flags (DSN), A encoding=8bit|7bit (BODY=)];
 * S; A log_client_name, log_client_address, log_client_port,
 * log_message_origin (host[addr]), log_helo_name, log_protocol_name,
 * client_name, reverse_client_name, client_address, client_port,
 * server_address, server_port, helo_name, protocol_name,
 * client_address_type (2 = IPv4, 10 = IPv6); then per recipient
 * cleanup_rcpt(c, rcpt, rcpt as given, ORCPT or NULL, NOTIFY bits or 0).
 * cleanup writes each recipient as [A notify_flags] A dsn_orig_rcpt
 * ("rfc822;ORIG" when no ORCPT) O R, after virtual alias expansion, and
 * uses log_message_origin/log_helo_name/log_protocol_name in its log lines.
 * orig NULL means "the recipient as given" (cleanup writes it as O).
 * pickup forwards the maildrop file's T, A, F and S records as they are,
 * then either calls cleanup_submit_uid() (cleanup writes the Received:),
 * the content, cleanup_content_end() and the recipients postdrop wrote
 * after X; or it writes the Received: line itself and sets
 * CLEANUP_FLAG_EXTRACT, and cleanup takes the recipients from To:, Cc:
 * and Bcc: (Resent- ones when present) into the extracted segment.
 * Flags: smtpd sends CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MAP_OK (|
 * CLEANUP_FLAG_SMTPUTF8, | CLEANUP_FLAG_HOLD or _DISCARD for access-table
 * HOLD/DISCARD; | CLEANUP_FLAG_BCC_OK for always_bcc and the *_bcc_maps),
 * pickup the same (Postfix's pickup adds CLEANUP_FLAG_BOUNCE, which
 * Postern's cleanup does not act on yet: pickup itself decides that a
 * refused local message is dropped, not kept).
 * The calls buffer; the socket is written in large chunks. After any I/O
 * error the remaining calls do nothing and cleanup_finish() returns
 * CLEANUP_STAT_WRITE with the reason. cleanup_open() returns NULL with the
 * reason in why when the service cannot be reached.
 *
 * cleanup_stat_reply() maps a status to the SMTP reply smtpd gives
 * (e.g. CLEANUP_STAT_SIZE -> "552 5.3.4 Error: message file too big");
 * cleanup_stat_text() names a status for logs.
 */
#ifndef POSTERN_CLEANUP_CLIENT_H
#define POSTERN_CLEANUP_CLIENT_H

#include <stddef.h>

#include "vstr.h"

/* Request flags (step 2). */
#define CLEANUP_FLAG_NONE    0
#define CLEANUP_FLAG_BOUNCE  (1 << 0)  /* bounce when the message is bad (pickup) */
#define CLEANUP_FLAG_FILTER  (1 << 1)  /* apply header_checks and body_checks */
#define CLEANUP_FLAG_HOLD    (1 << 2)  /* put the message on hold */
#define CLEANUP_FLAG_DISCARD (1 << 3)  /* accept and throw away */
#define CLEANUP_FLAG_BCC_OK  (1 << 4)  /* always_bcc and friends apply */
#define CLEANUP_FLAG_MAP_OK  (1 << 5)  /* canonical and virtual alias mapping */
#define CLEANUP_FLAG_MILTER  (1 << 6)  /* milters apply (later) */
#define CLEANUP_FLAG_SMTPUTF8 (1 << 7) /* the client asked for SMTPUTF8 */
#define CLEANUP_FLAG_EXTRACT (1 << 8)  /* take recipients from To/Cc/Bcc (sendmail -t) */

/* Result bits (step 4). */
#define CLEANUP_STAT_OK    0
#define CLEANUP_STAT_BAD   (1 << 0)  /* internal protocol error */
#define CLEANUP_STAT_WRITE (1 << 1)  /* error writing the queue file */
#define CLEANUP_STAT_SIZE  (1 << 2)  /* message_size_limit exceeded */
#define CLEANUP_STAT_CONT  (1 << 3)  /* content rejected (header/body checks) */
#define CLEANUP_STAT_HOPS  (1 << 4)  /* too many Received: headers */
#define CLEANUP_STAT_RCPT  (1 << 5)  /* no recipients */
#define CLEANUP_STAT_PROXY (1 << 6)  /* a proxy (later) rejected */
#define CLEANUP_STAT_DEFER (1 << 7)  /* temporary failure, try again */
#define CLEANUP_STAT_NOPERM (1 << 8) /* denied (e.g. authorized_submit_users) */

typedef struct CLEANUP CLEANUP;

void cleanup_client_keep(int on);
CLEANUP *cleanup_open(const char *path, int flags, int timeout, VSTR *why);
const char *cleanup_queue_id(const CLEANUP *c);
void cleanup_time(CLEANUP *c, long sec, long usec);
void cleanup_full_name(CLEANUP *c, const char *name);
void cleanup_attr(CLEANUP *c, const char *name, const char *value);
void cleanup_sender(CLEANUP *c, const char *addr);
void cleanup_rcpt(CLEANUP *c, const char *addr, const char *orig, const char *dsn_orcpt,
                  int dsn_notify);
void cleanup_content_begin(CLEANUP *c);
void cleanup_line(CLEANUP *c, const char *text, size_t len);
void cleanup_submit_uid(CLEANUP *c, long uid);
void cleanup_content_end(CLEANUP *c);
int cleanup_flush(CLEANUP *c);
int cleanup_finish(CLEANUP *c, VSTR *reason);
void cleanup_close(CLEANUP *c);
const char *cleanup_stat_reply(int status, const char *reason, VSTR *out);
const char *cleanup_stat_text(int status);

#endif
