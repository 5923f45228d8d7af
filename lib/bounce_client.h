/*
 * bounce_client - ask the bounce daemon (qmgr/bounce.c, master.cf services
 * "bounce", "defer" and "trace", one program) to turn a message's delivery
 * status log into a notice for its sender.
 *
 * THE LOGS. The per-recipient status logs live under queue_directory in
 * Postfix's folders and format: bounce/ID (action=failed), defer/H/ID
 * (action=delayed; hashed like deferred/), trace/ID (action=delivered, for
 * NOTIFY=SUCCESS). The delivery agents append the records through
 * deliver_status_log() (lib/deliver.h): one write(2) and an fsync on an
 * O_APPEND descriptor, owned by mail_owner, before the recipient is marked
 * done, so that no recipient is marked done without its record. The bounce
 * daemon reads them (bounded: BOUNCE_LOG_MAX bytes, BOUNCE_RCPT_MAX records;
 * a record it cannot parse is skipped with a warning, never fatal) and
 * removes them once its notice is queued.
 *
 * THE CONVERSATION (lib/attr.h encoding, one request per connection to
 * private/SERVICE; the client speaks first):
 *   client -> bounce  nrequest (int, BOUNCE_CMD_*), flags (int: 0, or
 *                     BOUNCE_FLAG_RECORD with BOUNCE_CMD_TRACE),
 *                     queue_name, queue_id, encoding (the message's body
 *                     type, may be empty), smtputf8 (int), sender (empty:
 *                     the null sender), envelope_id (DSN ENVID, may be
 *                     empty), ret_flags (int: DSN RET, BOUNCE_RET_*)  <end>
 *   bounce -> client  status (int: 0 done, -1 not done: try again later),
 *                     queue_id (of the notice it queued; empty when no
 *                     notice was needed)  <end>
 *
 * THE COMMANDS
 *   BOUNCE_CMD_FLUSH   service "bounce": a non-delivery notice for every
 *                      record in bounce/ID, then bounce/ID is removed.
 *   BOUNCE_CMD_EXPIRE  service "defer": the message is too old; a
 *                      non-delivery notice for every recipient in defer/ID
 *                      (each reported failed with its last reason), then
 *                      defer/ID is removed. qmgr then removes the message.
 *   BOUNCE_CMD_WARN    service "defer": a delay notice ("Delayed Mail
 *                      (still being retried)") for defer/ID; the log stays.
 *   BOUNCE_CMD_TRACE   service "trace": a success notice for the records in
 *                      trace/ID, then trace/ID is removed. With
 *                      BOUNCE_FLAG_RECORD (sendmail -v, Postfix's value
 *                      1024) it is the "Mail Delivery Status Report" the
 *                      sender asked for: every record, whatever its
 *                      NOTIFY, each with its own action (delivered,
 *                      relayed, expanded, delayed, failed).
 *                      With BOUNCE_FLAG_VERIFY (sendmail -bv, Postfix's
 *                      512) it is the report of an address verification:
 *                      the same "Mail Delivery Status Report" (the verify
 *                      template), every record with its own action
 *                      (deliverable, undeliverable); nothing was delivered.
 *   BOUNCE_CMD_ONE     service "bounce" (local): a non-delivery notice for
 *                      one recipient, carried in the request, sent now to
 *                      the request's sender (an owner- alias: Postfix's
 *                      bounce_one); no log is read or removed. The request
 *                      is followed by a second group: recipient,
 *                      orig_rcpt, dsn_orig_rcpt (strings, may be empty
 *                      but recipient), notify_flags (int), status (d.d.d),
 *                      reason <end>; the sender must not be empty.
 *                      bounce_one(m, r, notice_id, why) sends it.
 * Who gets the notice: the envelope sender, from MAILER-DAEMON with the null
 * sender, an RFC 3464 multipart/report. A message whose sender is null is
 * never bounced to: when notify_classes has "2bounce" (or "bounce"; the
 * default "resource, software" has neither, and then nothing is sent,
 * status 0, the log removed) its failure notice goes to
 * 2bounce_notice_recipient
 * (from double_bounce_sender) in Postfix's postmaster shape (subject
 * "Postmaster Copy: Undelivered Mail", logged as "postmaster non-delivery
 * notification"); WARN and TRACE for a null sender send nothing (status
 * 0; WARN keeps the log, TRACE removes it). A message whose sender is
 * double_bounce_sender (bare or @any domain) is never notified: "warning:
 * QUEUEID: undeliverable postmaster notification discarded", the log is
 * removed (WARN: kept), status 0. With "bounce" (FLUSH, EXPIRE) or "delay"
 * (WARN) in notify_classes the postmaster also gets a copy (headers only)
 * at bounce_notice_recipient or delay_notice_recipient, logged "QUEUEID:
 * postmaster non-delivery notification: NEWID" ("postmaster delay
 * notification"); its failure is only a warning.
 * A request that is malformed (missing, extra or duplicate attributes, an
 * unknown command, flags other than 0, a bad queue id or queue name - one
 * of incoming, active, deferred, hold -, an encoding other than "", 7bit,
 * 8bit, control characters in sender or envelope_id) gets no reply: the
 * daemon logs a warning and closes; the client sees -1. No log at all is
 * status 0 with no notice.
 * A recipient whose notify_flags exclude the notice (NOTIFY=NEVER, or
 * NOTIFY without FAILURE/DELAY/SUCCESS) is left out; when no recipient is
 * left, no notice is sent, the log is still removed, and status is 0.
 * The daemon logs "QUEUEID: sender non-delivery notification: NEWID"
 * (FLUSH/EXPIRE; "postmaster ..." for a double bounce), "sender delay notification: NEWID" (WARN), "sender
 * delivery status notification: NEWID" (TRACE), and for EXPIRE also
 * "QUEUEID: from=<sender>, status=expired, returned to sender".
 *
 * DURABILITY. status 0 means the notice is in the queue (cleanup answered
 * success) and only then is the log removed. A crash before that leaves
 * the log; the caller asks again, so a notice may be sent twice, never
 * lost.
 *
 * CLIENT USAGE (qmgr):
 *   VSTR *id = vstr_new(0), *why = vstr_new(0);
 *   BOUNCE_MSG m = { .queue_name = "active", .queue_id = id, .sender = s,
 *                    .encoding = "", .envelope_id = "", ... };
 *   if (bounce_request("bounce", BOUNCE_CMD_FLUSH, &m, id, why) < 0)
 *       ... keep the message, try later; why says what went wrong.
 * bounce_log_exists(kind, queue_id) says whether bounce/ID (kind
 * "bounce"), defer/H/ID ("defer") or trace/ID ("trace") exists;
 * bounce_log_remove(kind, queue_id) removes it (ENOENT is not an error).
 * Paths are relative to the current directory, which is queue_directory for
 * every daemon (server.h).
 *
 * Error policy: a daemon that cannot be reached or answers badly is a -1
 * with the reason; API misuse panics.
 */
#ifndef POSTERN_BOUNCE_CLIENT_H
#define POSTERN_BOUNCE_CLIENT_H

#include "vstr.h"

#define BOUNCE_CMD_FLUSH  1
#define BOUNCE_CMD_WARN   2
#define BOUNCE_CMD_TRACE  3
#define BOUNCE_CMD_EXPIRE 4
#define BOUNCE_CMD_ONE    5

#define BOUNCE_FLAG_VERIFY 0x200 /* TRACE: the sendmail -bv report */
#define BOUNCE_FLAG_RECORD 0x400 /* TRACE: the sendmail -v report */
/* A request's flags: 0, or one of these with BOUNCE_CMD_TRACE. */
#define BOUNCE_FLAGS_OK(cmd, flags) \
    ((flags) == 0 \
     || ((cmd) == BOUNCE_CMD_TRACE \
         && ((flags) == BOUNCE_FLAG_RECORD || (flags) == BOUNCE_FLAG_VERIFY)))

/* DSN RET (Postfix's values, as the queue file's ret_flags). */
#define BOUNCE_RET_FULL 0x1
#define BOUNCE_RET_HDRS 0x2

#define BOUNCE_LOG_MAX  (4 * 1024 * 1024) /* bytes of a status log read */
#define BOUNCE_RCPT_MAX 10000             /* records of a status log used */
#define BOUNCE_TIMEOUT_MS 100000          /* for one request */

typedef struct BOUNCE_MSG {
    const char *queue_name;
    const char *queue_id;
    const char *encoding;
    int smtputf8;
    const char *sender;
    const char *envelope_id;
    int ret_flags;
    int flags;          /* 0, or BOUNCE_FLAG_RECORD or _VERIFY with BOUNCE_CMD_TRACE */
} BOUNCE_MSG;

#define BOUNCE_SERVICE_MAX 64                /* a service name */

/* The recipient of a BOUNCE_CMD_ONE request. */
typedef struct BOUNCE_ONE_RCPT {
    const char *recipient;
    const char *orig_rcpt;      /* "" when none */
    const char *dsn_orig_rcpt;  /* "" when none */
    int notify;                 /* DSN NOTIFY bits, 0: not given */
    const char *status;         /* d.d.d */
    const char *reason;
} BOUNCE_ONE_RCPT;

int bounce_one(const BOUNCE_MSG *m, const BOUNCE_ONE_RCPT *r, VSTR *notice_id, VSTR *why);

/* 0: done (notice_id says which notice, empty when none); -1: why. */
int bounce_request(const char *service, int cmd, const BOUNCE_MSG *m, VSTR *notice_id,
                   VSTR *why);

/*
 * The same request without waiting (qmgr's event loop):
 *   BOUNCE_CALL *c = bounce_call_start(service, cmd, &m, why);  connects, sends
 *   (NULL: failed, why says it); poll bounce_call_fd(c) for POLLIN, then
 *   bounce_call_finish(c, timeout_ms, notice_id, why) reads the reply (0 or
 *   -1 as bounce_request()) and frees c; bounce_call_abort(c) gives up
 *   (the daemon may still do the work: a notice may be sent twice, never
 *   lost, as above).
 */
typedef struct BOUNCE_CALL BOUNCE_CALL;
BOUNCE_CALL *bounce_call_start(const char *service, int cmd, const BOUNCE_MSG *m, VSTR *why);
int bounce_call_fd(const BOUNCE_CALL *c);
int bounce_call_finish(BOUNCE_CALL *c, int timeout_ms, VSTR *notice_id, VSTR *why);
void bounce_call_abort(BOUNCE_CALL *c);

int bounce_log_exists(const char *kind, const char *queue_id);
int bounce_log_remove(const char *kind, const char *queue_id);
/* The log's path (relative to queue_directory) into out. */
void bounce_log_path(VSTR *out, const char *kind, const char *queue_id);

#endif
