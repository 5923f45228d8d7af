/*
 * deliver - the delivery request protocol between qmgr and the delivery
 * agents (local, virtual, smtp, lmtp, error, discard, pipe), both sides, and
 * what every agent shares: opening the queue file, marking recipients done,
 * the per-recipient status logs and the "to=<...>, ... status=..." log line.
 *
 * THE CONVERSATION (lib/attr.h encoding; qmgr connects to
 * private/<transport>; several requests may follow on one connection, see
 * SEVERAL REQUESTS PER CONNECTION below):
 *
 *   agent -> qmgr   protocol=delivery_request_protocol <end>
 *   qmgr  -> agent  the request, one message:
 *                     flags (int, DELIVER_FLAG_*), queue_name, queue_id,
 *                     offset (long: where the content starts, the record
 *                     after M), size (long: content bytes up to X),
 *                     nexthop, encoding, smtputf8 (int), sender (may be
 *                     empty), envelope_id, ret_flags (int),
 *                     arrival_time, arrival_usec (the T record),
 *                     active_time, active_usec (qmgr moved it to active/),
 *                     handoff_time, handoff_usec (qmgr handed it over),
 *                     log_client_name, log_client_address,
 *                     log_client_port, log_protocol_name, log_helo_name,
 *                     sasl_method, sasl_username, sasl_sender, log_ident,
 *                     rewrite_context (as the queue file's A records hold
 *                     them; empty when absent), rcpt_count (int)  <end>
 *                   then the recipients, one message of rcpt_count groups:
 *                     original_recipient, recipient, offset (long: of its R
 *                     record in the queue file), dsn_orig_rcpt,
 *                     notify_flags (int)  ... <end>
 *   agent -> qmgr   the result, one message:
 *                     status (int: DELIVER_STAT_OK when every recipient has
 *                     a final outcome, DELIVER_STAT_DEFER when at least one
 *                     must be tried again), hop_status (a d.d.d code, empty
 *                     unless the whole next hop failed: the "dead site" hint
 *                     qmgr uses to stop sending there for a while),
 *                     hop_reason, rcpt_count (int)  <end>
 *                   then one message of rcpt_count groups, in request order:
 *                     offset, rcpt_status (int: DELIVER_RCPT_*), dsn,
 *                     reason  ... <end>
 *
 * Where Postfix answers only a single status (the per-recipient outcome
 * travels through the bounce/defer logs and the queue file's done marks),
 * Postern also returns each recipient's outcome: qmgr knows exactly which
 * recipients to retry without re-reading the file, and tests see what
 * happened. The queue file and the status logs stay the source of truth:
 * qmgr must not treat a recipient as done unless the agent said so AND the
 * agent marked it (an agent that dies before replying leaves the marks it
 * made; every unmarked recipient is tried again).
 *
 * A malformed request (missing, extra or duplicate attributes, an invalid
 * queue id or queue name, bad offsets, unknown flags, no recipients or more
 * than DELIVER_RCPT_MAX, an empty recipient, a text over its bound) is
 * refused: deliver_request_read() returns NULL with the reason, the agent
 * logs a warning and closes the connection without a reply; qmgr then
 * defers the whole request.
 *
 * AGENT SIDE. An agent's single-server client callback calls
 *   deliver_agent_serve(fd, &agent)
 * with a DELIVER_AGENT that names its deliver callback (below): it reads
 * the request, opens the queue file (or defers every recipient with
 * "4.3.0 cannot open the queue file"), calls the callback, makes the done
 * marks durable (deliver_sync_marks, unless the callback says nothing was
 * marked) and sends the result. What it does by hand:
 *   STREAM *s = stream_open(fd, 0);
 *   DELIVER_REQUEST *req = deliver_request_read(s, timeout_ms, why);
 *                             (announces, then reads under the deadline)
 *   QFILE_READER *r = deliver_open_queue_file(req, &qfd, why);
 *   for each recipient i:
 *       deliver_rcpt_bounce(req, qfd, i, "5.0.0", "text", &times)  bounce log,
 *                             mark done, log line, result recorded
 *       deliver_rcpt_defer(req, i, "4.0.0", "text", &times)  defer log,
 *                             log line, result recorded (not marked)
 *       deliver_rcpt_sent(req, qfd, i, "2.0.0", "text", &times) mark done,
 *                             log line, result recorded
 *   deliver_sync_marks(req, qfd);  (fsync only when a recipient stays deferred)
 *   deliver_result_send(s, req);  deliver_request_free(req);
 * deliver_times_init(&times, relay) starts the clock for the d delay
 * (times.conn_setup may be set when a connection is made, for c).
 *
 * SEVERAL REQUESTS PER CONNECTION. deliver_agent_serve() keeps serving on
 * the connection: after a result it announces the protocol again (in the
 * same write) when it will take another request, and waits up to
 * DELIVER_AGENT_IDLE_MS for it; it closes the connection instead when the
 * process reached max_use or master asked it to exit
 * (server_single_next()), or on a bad request. So a reply not followed by
 * an announcement means "this connection is done"; a client that sends
 * one request and closes (Postfix's model) sees no difference. qmgr's side:
 * deliver_announce_read() after a result takes the announcement (the
 * connection may be kept), deliver_request_send_noannounce() sends the
 * next request.
 *
 * QMGR SIDE (test/tools/deliver_send plays it):
 *   deliver_request_new(), then deliver_request_load(req, reader, why)
 *   with a reader opened QFILE_READ_FOLLOW on the queue file: it fills in
 *   the content offset and size and SMTPUTF8 flags (C record), the arrival
 *   time (T), the sender (S), the envelope attributes (A: log_*, sasl_*,
 *   log_ident, rewrite_context, encoding, envelope_id, ret_flags), and adds
 *   every recipient that is not done (R; D and canceled ones are skipped)
 *   with its original recipient (O), dsn_orig_rcpt and notify_flags (A, or
 *   the o and n records), in file order (at most 100 * DELIVER_RCPT_MAX),
 *   or returns -1 with the reason for a damaged file.
 *   deliver_request_load_range(req, reader, after, limit, &total, &more,
 *   why) is the same, but adds only the undone recipients whose R record
 *   is past offset `after` (-1: all), at most `limit` of them (0: no
 *   limit); *more says whether undone ones past those are left in the
 *   file, *total how many undone recipients the file has in all (either
 *   pointer may be NULL). So a reader never holds more than the limit; qmgr then keeps, per request, the recipients of one transport
 *   and next hop (deliver_request_add_rcpt() builds a request by hand); deliver_request_send(s, req, why) waits for the
 *   announcement and sends; deliver_result_read(s, req, why) fills in
 *   status, hop_status and each recipient's rcpt_status/dsn/reason.
 *
 * DURABILITY (the agent's part of qfile.h's state table): a recipient is
 * marked done (R -> D) only AFTER its delivery succeeded, or after its
 * bounce record was appended to bounce/ID. A crash between delivery and
 * marking repeats that delivery; a crash before the bounce record is
 * written leaves the recipient undone, to be tried again. Nothing is lost.
 *
 * STATUS LOGS. Agents append the per-recipient records to the logs
 * themselves (one write(2) and an fsync on an O_APPEND descriptor: no
 * round trip to a daemon per recipient), in the plain-text format Postfix's
 * bounce daemon keeps (bounce/ID for action=failed, defer/H/ID for
 * action=delayed, trace/ID for a success that NOTIFY=SUCCESS asked to be
 * reported, action=delivered; each record: an empty line, "<rcpt>: reason",
 * then recipient=, orig_rcpt=, offset=, dsn_orig_rcpt=, notify_flags=,
 * status=, action=, reason= lines, then another empty line: Postfix's
 * readers (showq, bounce) take a record only when an empty line ends it).
 * A request with DELIVER_FLAG_RECORD (sendmail -v; the A record
 * trace_flags=1024 in the queue file, which deliver_request_load() turns
 * into the flag) also gets a trace/ID record for EVERY outcome, with
 * Postfix's action words: delivered (or relayed, expanded), delayed,
 * failed; the report of the first attempt is built from trace/ID.
 * deliver_rcpt_sent/bounce/defer() do it; an agent that writes its own
 * records (local) calls deliver_trace_record(req, i, action, dsn, reason)
 * (nothing without the flag; a write failure is a warning: the report
 * misses that recipient, the delivery is not held up).
 * deliver_trace_log() always writes to trace/ID, whatever the action.
 * A request with DELIVER_FLAG_USR_VRFY (sendmail -bv; trace_flags=512)
 * delivers nothing: the agent finds out what it would do and
 * deliver_rcpt_sent/bounce/defer() then write ONLY a trace/ID record,
 * action "deliverable" (sent) or "undeliverable" (bounced or deferred),
 * reason "delivery via RELAY: what would happen" (no prefix for relay
 * "none"), log "status=deliverable (...)" or "status=undeliverable
 * (...)", and mark the recipient done (sent, bounced; a deferred one is
 * answered too but not marked: qmgr ends such a message after one attempt
 * anyway). No bounce/ or defer/ record, so no other notice. An agent that
 * writes its own records (local) calls deliver_probe_record(req, i,
 * action, relay, dsn, reason) for each destination. The report is built
 * from trace/ID (qmgr asks the trace service with BOUNCE_FLAG_VERIFY).
 * An agent running as root (local) hands
 * the file to mail_owner. The bounce daemon (lib/bounce_client.h) reads
 * them, turns them into notices and removes them.
 *
 * LOG LINE. deliver_log_line() builds Postfix's
 *   QUEUEID: to=<rcpt>, orig_to=<orig>, relay=none, delay=1.2,
 *   delays=0.1/0/0/0, dsn=5.0.0, status=bounced (reason)
 * (orig_to only when it differs from to), delays as Postfix defines them:
 * a = arrival to active/, b = in qmgr (active/ to handoff), c = connection
 * set-up, d = transmission; each with two significant digits and at most
 * delay_logging_resolution_limit decimals (deliver_format_delay()).
 *
 * Error policy: bad input from the peer is an error return with a reason,
 * never a crash; API misuse panics; memory exhaustion is fatal (mem.h).
 */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H

#include <stddef.h>

#include "qfile.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define DELIVER_PROTOCOL "delivery_request_protocol"

/* Request flags. */
#define DELIVER_FLAG_SUCCESS 0x1   /* mark delivered recipients done */
#define DELIVER_FLAG_BOUNCE  0x2   /* mark bounced recipients done */
#define DELIVER_FLAG_VERIFY  0x100 /* address probe: do not deliver */
#define DELIVER_FLAG_USR_VRFY 0x200 /* sendmail -bv: do not deliver, report what
                                     * would happen (Postfix's
                                     * DEL_REQ_FLAG_USR_VRFY, the queue file's
                                     * "trace_flags=512") */
#define DELIVER_FLAG_RECORD  0x400 /* sendmail -v: trace every outcome (Postfix's
                                    * DEL_REQ_FLAG_RECORD, the queue file's
                                    * "trace_flags=1024") */
#define DELIVER_FLAG_DEFAULT (DELIVER_FLAG_SUCCESS | DELIVER_FLAG_BOUNCE)
#define DELIVER_FLAG_PROBE   (DELIVER_FLAG_VERIFY | DELIVER_FLAG_USR_VRFY) /* deliver nothing */
#define DELIVER_FLAG_ALL \
    (DELIVER_FLAG_DEFAULT | DELIVER_FLAG_VERIFY | DELIVER_FLAG_USR_VRFY | DELIVER_FLAG_RECORD)

/* DSN NOTIFY bits (Postfix's values, as in the queue file's notify_flags). */
#define DELIVER_NOTIFY_NEVER   0x1
#define DELIVER_NOTIFY_SUCCESS 0x2
#define DELIVER_NOTIFY_FAILURE 0x4
#define DELIVER_NOTIFY_DELAY   0x8

/* Overall status. */
#define DELIVER_STAT_OK    0
#define DELIVER_STAT_DEFER 1

/* Per-recipient outcome in the result. */
#define DELIVER_RCPT_NONE     0 /* not handled (the agent gave up first) */
#define DELIVER_RCPT_SENT     1
#define DELIVER_RCPT_DEFERRED 2
#define DELIVER_RCPT_BOUNCED  3

/* Bounds. */
#define DELIVER_RCPT_MAX   10000  /* recipients per request */
#define DELIVER_ADDR_MAX   2048   /* bytes in an address or ORCPT */
#define DELIVER_TEXT_MAX   1024   /* other request strings */
#define DELIVER_REASON_MAX 4096   /* a reason text */
#define DELIVER_NAME_MAX   32     /* a queue name */

typedef struct DELIVER_RCPT {
    char *orig_addr;   /* original recipient, may be empty */
    char *address;     /* the recipient to deliver to */
    long offset;       /* of its R record */
    char *dsn_orcpt;   /* DSN ORCPT ("rfc822;a@b"), may be empty */
    int notify;        /* DSN NOTIFY flags */
    /* the outcome */
    int status;        /* DELIVER_RCPT_* */
    char *dsn;         /* d.d.d */
    char *reason;
} DELIVER_RCPT;

typedef struct DELIVER_REQUEST {
    int flags;
    char *queue_name;
    char *queue_id;
    long data_offset;
    long data_size;
    char *nexthop;
    char *encoding;
    int smtputf8;
    char *sender;
    char *dsn_envid;
    int dsn_ret;
    long arrival_sec, arrival_usec;
    long active_sec, active_usec;
    long handoff_sec, handoff_usec;
    char *client_name, *client_addr, *client_port, *proto_name, *helo_name;
    char *sasl_method, *sasl_username, *sasl_sender;
    char *log_ident, *rewrite_context;
    DELIVER_RCPT *rcpt;
    size_t nrcpt;
    size_t rcpt_cap;
    /* the result */
    int status;
    char *hop_status;
    char *hop_reason;
    /*
     * Set by an agent (not owned; NULL otherwise) around a
     * deliver_rcpt_bounce() or deliver_rcpt_defer() whose outcome is a
     * remote server's reply: the status log record then carries Postfix's
     * diag_type=remote_diag_type, diag_text=remote_reply, mta_type=dns,
     * mta_mname=remote_mta, which become the notice's Diagnostic-Code and
     * Remote-MTA. Never sent over the protocol.
     */
    const char *remote_mta;
    const char *remote_diag_type;
    const char *remote_reply;
    /*
     * Set by an agent (not owned; NULL: "delivered") around a
     * deliver_rcpt_sent(): the action of the NOTIFY=SUCCESS trace record,
     * e.g. "relayed" when the next server does not speak DSN.
     */
    const char *success_action;
    /*
     * qmgr side only (never sent): the offset of the queue file's
     * "trace_flags=..." A record that asked for DELIVER_FLAG_RECORD, 0
     * when none (deliver_request_load); qmgr clears it in place once the
     * report is queued.
     */
    long trace_offset;
} DELIVER_REQUEST;

/* Timing of one delivery attempt, for the delays. */
typedef struct DELIVER_TIMES {
    long start_sec, start_usec;      /* when the agent started (handoff if 0) */
    long conn_sec, conn_usec;        /* connection set up (0: none) */
    const char *relay;               /* "none", "local", "host[addr]:port" */
    int resolution;                  /* delay_logging_resolution_limit */
} DELIVER_TIMES;

DELIVER_REQUEST *deliver_request_new(void);
void deliver_request_add_rcpt(DELIVER_REQUEST *req, const char *orig, const char *addr,
                              long offset, const char *dsn_orcpt, int notify);
void deliver_request_free(DELIVER_REQUEST *req);

/* The agent's request loop (see SEVERAL REQUESTS PER CONNECTION). */
#define DELIVER_AGENT_IDLE_MS 10000 /* wait for another request on a connection */
#define DELIVER_AGENT_NOSYNC  1     /* deliver callback: nothing was marked done */

typedef struct DELIVER_AGENT {
    const char *relay;  /* the log line's relay= until the agent sets one */
    int resolution;     /* delay_logging_resolution_limit */
    int timeout_ms;     /* to read one request (ipc_timeout) */
    int open_fail_log;  /* 1: an unreadable queue file defers with log lines
                         * and defer records (deliver_rcpt_defer); 0: only
                         * in the result */
    /*
     * Deliver every recipient of req (deliver_rcpt_sent/bounce/defer or
     * deliver_rcpt_result for each); r is the queue file opened
     * QFILE_READ_FOLLOW and qfd its descriptor for the marks (both are
     * closed by the caller). Returns 0, or DELIVER_AGENT_NOSYNC when no
     * recipient was marked done (no fsync needed).
     */
    int (*deliver)(void *ctx, DELIVER_REQUEST *req, QFILE_READER *r, int qfd,
                   DELIVER_TIMES *times);
    SERVER *srv;        /* the agent's single server (server_single_next) */
    void (*before)(void *ctx); /* optional: a request arrived, before delivery */
    void (*after)(void *ctx);  /* optional: its result was sent */
    void *ctx;
} DELIVER_AGENT;

void deliver_agent_serve(int fd, const DELIVER_AGENT *agent);

/* Agent side, by hand. */
int deliver_announce(STREAM *s);
DELIVER_REQUEST *deliver_request_read(STREAM *s, int timeout_ms, VSTR *why);
DELIVER_REQUEST *deliver_request_read_noannounce(STREAM *s, int timeout_ms, VSTR *why);
QFILE_READER *deliver_open_queue_file(const DELIVER_REQUEST *req, int *fd, VSTR *why);
void deliver_times_init(DELIVER_TIMES *t, const char *relay, int resolution);
int deliver_rcpt_sent(DELIVER_REQUEST *req, int qfd, size_t i, const char *dsn,
                      const char *reason, const DELIVER_TIMES *t);
int deliver_rcpt_bounce(DELIVER_REQUEST *req, int qfd, size_t i, const char *dsn,
                        const char *reason, const DELIVER_TIMES *t);
int deliver_rcpt_defer(DELIVER_REQUEST *req, size_t i, const char *dsn,
                       const char *reason, const DELIVER_TIMES *t);
void deliver_rcpt_result(DELIVER_REQUEST *req, size_t i, int status, const char *dsn,
                         const char *reason);
int deliver_result_send(STREAM *s, DELIVER_REQUEST *req);
void deliver_sync_marks(const DELIVER_REQUEST *req, int qfd); /* fsync when a recipient stays */

/* qmgr side. */
int deliver_request_send(STREAM *s, const DELIVER_REQUEST *req, VSTR *why);
int deliver_request_send_noannounce(STREAM *s, const DELIVER_REQUEST *req, VSTR *why);
int deliver_announce_read(STREAM *s, VSTR *why); /* 0: announced; -1: closed or garbage */
int deliver_request_encode(VSTR *out, const DELIVER_REQUEST *req);
int deliver_result_read(STREAM *s, DELIVER_REQUEST *req, VSTR *why);
int deliver_request_load(DELIVER_REQUEST *req, QFILE_READER *r, VSTR *why);
int deliver_request_load_range(DELIVER_REQUEST *req, QFILE_READER *r, long after, size_t limit,
                               size_t *total, int *more, VSTR *why);

/* Shared helpers. */
void deliver_format_delay(VSTR *out, long sec, long usec, int max_decimals);
void deliver_log_line(VSTR *out, const DELIVER_REQUEST *req, size_t i, const DELIVER_TIMES *t,
                      long now_sec, long now_usec, const char *dsn, const char *status,
                      const char *reason);
int deliver_status_log(const DELIVER_REQUEST *req, size_t i, const char *action,
                       const char *dsn, const char *reason, VSTR *why);
int deliver_trace_log(const DELIVER_REQUEST *req, size_t i, const char *action,
                      const char *dsn, const char *reason, VSTR *why);
void deliver_trace_record(const DELIVER_REQUEST *req, size_t i, const char *action,
                          const char *dsn, const char *reason);
int deliver_probe_record(const DELIVER_REQUEST *req, size_t i, const char *action,
                         const char *relay, const char *dsn, const char *reason);
const char *deliver_rcpt_status_name(int status);
int deliver_dsn_valid(const char *dsn);   /* 2|4|5.d{1,3}.d{1,3} */

#endif
