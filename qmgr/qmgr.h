/*
 * qmgr - the queue manager's shared state (qmgr.c: the daemon, its event
 * loop, triggers, queue scans and the life of a message; qmgr_sched.c:
 * transports, destinations and the deliveries in flight).
 *
 * MODEL. A message moved to active/ is read (deliver_request_load): its
 * envelope and at most qmgr_message_recipient_limit undone recipients stay
 * in memory (QMGR_MSG); when those are all done or deferred, the next ones
 * (by queue file offset) are read from the file, and so on. Each
 * recipient is resolved (lib/resolve.h) to a destination (transport,
 * nexthop: QMGR_DEST) and queued there as part of the message's entry for
 * that destination (QMGR_ENTRY). The scheduler turns entries into delivery
 * requests (QMGR_JOB: at most the transport's recipient limit, one message
 * each), round-robin over the destinations of a transport and over the
 * messages of a destination, while the destination has fewer than its
 * concurrency limit and the transport fewer than its process limit in
 * flight (the destination's window: see CONCURRENCY below). Each job is a non-blocking connection to private/<transport>
 * driven by the event loop: wait for the agent's announcement, send,
 * wait for the result. An agent that announces again after its result
 * keeps its connection for the transport's next job (QMGR_CONN). A recipient ends the run done (the agent marked
 * it), or deferred (the agent, or qmgr for a dead destination / an agent
 * that failed, wrote the defer log). When a message has no recipient left
 * to try it is finished: removed, or moved to deferred/ with its retry
 * time as the file's mtime.
 *
 * CONCURRENCY (Postfix's feedback scheduler, simplified). A destination
 * starts at <transport>_initial_destination_concurrency (slow start) and
 * its window moves between 1 and the transport's concurrency limit: a job
 * that ends without a next-hop failure is positive feedback (+F, or
 * +F/window for "F/concurrency"; a whole unit raises the window by one)
 * and clears the failure count; a job whose agent reports the next hop
 * failed (hop_status) is negative feedback (an agent that crashes, times
 * out or answers garbage gives no feedback: its recipients are deferred) (the window drops by one at the start of
 * each 1/F failures, never below 1) and adds 1/window-at-start to the
 * failed pseudo-cohorts: when they reach
 * <transport>_destination_concurrency_failed_cohort_limit (not 0) the
 * destination is marked dead until the next queue run. The state lives
 * as long as the destination has work queued or in flight, or is dead.
 *
 * TRUST. qmgr trusts the queue files only as far as the reader checks them
 * (a damaged file goes to corrupt/); agents' answers are checked by
 * deliver_result_read(); a recipient is never taken as done unless the
 * agent reported it sent or bounced (and the file's mark is the truth at
 * the next run anyway).
 *
 * Error policy: damaged files and failing agents are warnings and
 * deferrals, never a crash; memory exhaustion is fatal (mem.h).
 */
#ifndef POSTERN_QMGR_H
#define POSTERN_QMGR_H

#include <poll.h>
#include <stddef.h>
#include <time.h>

#include "bounce_client.h"
#include "deliver.h"
#include "queue_id.h"
#include "resolve.h"
#include "stream.h"

/* The end of a message's run (qmgr.c), one bounce request at a time. */
#define QMGR_FIN_START  0
#define QMGR_FIN_FLUSH  1 /* waiting for "bounce" FLUSH */
#define QMGR_FIN_TRACE  2 /* waiting for "trace" TRACE */
#define QMGR_FIN_EXPIRE 3 /* waiting for "defer" EXPIRE */
#define QMGR_FIN_WARN   4 /* waiting for "defer" WARN */
#define QMGR_FIN_RECORD 5 /* waiting for "trace" TRACE (sendmail -v report) */
#define QMGR_FIN_VERIFY 6 /* waiting for "trace" TRACE (sendmail -bv report) */

/* Recipient states within one run. */
#define QMGR_RCPT_TODO  0 /* waiting in an entry */
#define QMGR_RCPT_BUSY  1 /* in a job */
#define QMGR_RCPT_DONE  2 /* sent or bounced: marked by the agent */
#define QMGR_RCPT_DEFER 3 /* deferred this run */

typedef struct QMGR_MSG QMGR_MSG;
typedef struct QMGR_DEST QMGR_DEST;
typedef struct QMGR_TRANSPORT QMGR_TRANSPORT;
typedef struct QMGR_ENTRY QMGR_ENTRY;
typedef struct QMGR_JOB QMGR_JOB;
typedef struct QMGR_CONN QMGR_CONN;

/*
 * An agent connection kept after a result (the agent announced that it
 * takes another request): the next job of the same transport sends its
 * request there instead of connecting. Kept QMGR_CONN_IDLE seconds at most,
 * closed at once when the agent hangs up, and at exit. A connection is made
 * only when none is kept, so a transport never has more connections (busy
 * agents in master's eyes) than jobs it ran at once, within its process
 * limit.
 */
#define QMGR_CONN_IDLE 2
struct QMGR_CONN {
    STREAM *s;
    QMGR_TRANSPORT *tr;
    time_t expires;
    QMGR_CONN *next;
};

struct QMGR_MSG {
    char id[QUEUE_ID_BUFSIZE];
    DELIVER_REQUEST *env;   /* envelope and the undone recipients */
    unsigned char *rstate;  /* QMGR_RCPT_* per env->rcpt[] */
    size_t todo, busy;
    int deferred;           /* some recipient was deferred this run */
    int expired;            /* postsuper -e: defer every recipient */
    int logs;               /* bounce/defer/trace logs may exist: it came
                             * from deferred/ or from before this qmgr
                             * started, a recipient was bounced or
                             * deferred, or asked for NOTIFY=SUCCESS, or
                             * the message asked for a sendmail -v report;
                             * otherwise nobody wrote any and the end of
                             * the run does not look for them */
    long rcpt_cursor;       /* offset of the last recipient taken in (-1: none) */
    int more;               /* undone recipients after rcpt_cursor wait in the file */
    long warn_offset;       /* of the W record, -1 when none */
    long warn_time;
    int finishing;          /* on the list of messages to finish */
    int fin_step;           /* QMGR_FIN_*: where its end of run is */
    int fin_ok;             /* no bounce request failed so far */
    BOUNCE_CALL *bcall;     /* a bounce/defer/trace request in flight */
    const char *bservice;
    time_t bdeadline;
    QMGR_MSG *prev, *next;
    QMGR_MSG *done_next;
    QMGR_MSG *bnext;        /* the list of messages waiting for a bounce reply */
};

struct QMGR_ENTRY {
    QMGR_MSG *msg;
    size_t *idx;            /* recipient indices into msg->env->rcpt */
    size_t n, cap, pos;
    QMGR_ENTRY *next;
};

struct QMGR_DEST {
    char *key;              /* "transport:nexthop", plus ":recipient"
                             * when the recipient limit is 1 */
    char *nexthop;
    QMGR_TRANSPORT *tr;
    int active;             /* jobs in flight */
    int window;             /* concurrency now: slow start, feedback */
    double success;         /* positive feedback not yet turned into window */
    double failure;         /* negative feedback not yet taken */
    double fail_cohorts;    /* failed pseudo-cohorts since the last success */
    int dead;
    char *dead_reason;
    QMGR_ENTRY *head, *tail;
    QMGR_DEST *next;        /* the transport's list */
};

struct QMGR_TRANSPORT {
    char *name;
    int proc_limit;
    int dest_limit;         /* concurrency per destination */
    int init_conc;          /* a new destination's window */
    int cohort_limit;       /* failed pseudo-cohorts before dead (0: never) */
    double pos_fb, neg_fb;  /* feedback per delivery ... */
    int pos_per_conc, neg_per_conc; /* ... divided by the window ("N/concurrency") */
    int rcpt_limit;         /* recipients per request */
    int active;
    QMGR_CONN *idle;        /* agent connections kept for the next request */
    QMGR_DEST *dests;       /* all destinations; round-robin by rotation */
    QMGR_TRANSPORT *next;
};

#define QMGR_JOB_ANNOUNCE 1 /* connected, waiting for the announcement */
#define QMGR_JOB_RESULT   2 /* request sent, waiting for the result */

struct QMGR_JOB {
    QMGR_DEST *dest;
    QMGR_MSG *msg;
    DELIVER_REQUEST *req;
    int window;             /* the destination's window when it started */
    size_t *idx;            /* req->rcpt[i] is msg->env->rcpt[idx[i]] */
    int fd;
    STREAM *s;
    int state;
    int reused;             /* sent over a kept connection */
    time_t deadline;
    QMGR_JOB *next;
};

/* qmgr_sched.c */
void qmgr_sched_init(void);
void qmgr_sched_free(void);
QMGR_DEST *qmgr_dest_find(const char *transport, const char *nexthop, const char *rcpt);
void qmgr_dest_add(QMGR_DEST *d, QMGR_MSG *m, size_t i);
void qmgr_sched_run(void);
int qmgr_jobs_poll(struct pollfd *pfd, int max, time_t *deadline);
void qmgr_jobs_events(const struct pollfd *pfd, int n);
void qmgr_jobs_expire(time_t now);
void qmgr_forget_dead(void);
size_t qmgr_jobs_count(void);

/* qmgr.c: called by the scheduler */
void qmgr_rcpt_set(QMGR_MSG *m, size_t i, int state);
void qmgr_rcpt_defer(QMGR_MSG *m, size_t i, const char *dsn, const char *reason);
void qmgr_msg_check_done(QMGR_MSG *m); /* queues it to be finished; never frees it */
extern int qmgr_delay_resolution;

#endif
