/*
 * qmgr - the queue manager: the one scheduler (master.cf
 * "qmgr unix n - n 300 1 qmgr": public/qmgr, not chrooted, unprivileged).
 *
 * WHAT IT DOES. At start it moves active/ back to incoming/ (a previous
 * qmgr died with those in memory), then scans incoming/ and deferred/.
 * Triggers on public/qmgr (a UNIX socket; the bytes of a fifo for an old
 * "qmgr fifo" entry): I scan incoming, D scan deferred, A ignore the
 * deferred files' retry times for a D scan of the same trigger (alone it
 * is a wake-up: cleanup sends it), F forget dead destinations, W (master's
 * wake-up) scan incoming. A timer scans deferred/ every queue_run_delay
 * (and forgets dead destinations, as a new queue run does) and incoming/
 * as well, so nothing is stranded. A complete incoming file (u+x) is
 * renamed into active/ while fewer than qmgr_message_active_limit messages
 * are in memory; a deferred one when its mtime (the retry time) has come.
 * The delivery itself is qmgr_sched.c's (qmgr.h).
 *
 * THE END OF A RUN, when no recipient of a message is left to try:
 *   sendmail -bv  (trace_flags=512: the agents delivered nothing and wrote
 *                 a trace/ID record per recipient, deliverable or
 *                 undeliverable) the trace service TRACE with
 *                 BOUNCE_FLAG_VERIFY: the sender's "Mail Delivery Status
 *                 Report"; once it is queued the message is removed, a
 *                 recipient still "deferred" included (its answer is in
 *                 the report). A failed request keeps the message
 *                 (deferred/, asked again at the next attempt).
 *   sendmail -v   (trace_flags=1024: the agents wrote a trace/ID record
 *                 for every outcome) first the trace service TRACE with
 *                 BOUNCE_FLAG_RECORD: the sender's "Mail Delivery Status
 *                 Report" of this first attempt, whatever is still
 *                 deferred; once it is queued the trace_flags value is
 *                 zeroed in place ("trace_flags=0000", same length: the
 *                 file stays valid for Postfix's readers) and fsynced, so
 *                 later attempts do not report again. A failed request
 *                 keeps the message and the flag (reported at the next
 *                 attempt); then, as for any message:
 *   all done      bounce/ID -> bounce service FLUSH, trace/ID -> trace
 *                 service TRACE; then the defer log and the file are
 *                 removed ("ID: removed"). A failed request keeps the
 *                 message (deferred/, retried).
 *   some deferred bounce/ID is flushed as above; too old
 *                 (maximal_queue_lifetime, bounce_queue_lifetime for the
 *                 null sender, or postsuper -e's g+x: such a message is
 *                 not even tried, every recipient is deferred as
 *                 "message is administratively expired") -> defer service
 *                 EXPIRE and removal; else a delay warning when the W
 *                 record's time has come (defer service WARN; the W record
 *                 is then zeroed in place), and the file goes to
 *                 deferred/H/ID with its mtime set to the next attempt:
 *                 now + its age, within minimal_backoff_time and
 *                 maximal_backoff_time.
 * The bounce/defer/trace requests do not block: each is sent, and its
 * reply is read by the event loop when it comes (qmgr_msg_step() goes on
 * from there), so a slow bounce daemon does not stall deliveries; no reply
 * within BOUNCE_TIMEOUT_MS is a failed request (the message is kept).
 *
 * DURABILITY. qmgr writes nothing a recipient's outcome depends on: the
 * agents mark recipients done in the file. Every move is one rename(2); a
 * SIGKILL anywhere leaves each message in incoming/, active/ or deferred/,
 * and the next start picks all of them up. A delivery may be repeated
 * (at-least-once), never lost. The one exception to "writes nothing" is
 * the sendmail -v request: its value is zeroed in place (same length, then
 * fsync) only after the trace service queued the report; a crash between
 * the two sends the report again at the next attempt, never loses it.
 *
 * TRUST. Queue files are read with the bounded reader; a file that cannot
 * be read goes to corrupt/ with a warning. Trigger bytes are only
 * compared with the request letters.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "bounce_client.h"
#include "conf.h"
#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "qmgr.h"
#include "queue_scan.h"
#include "resolve.h"
#include "server.h"
#include "vstr.h"

#define QMGR_TRIG_MAX 64       /* trigger connections waiting for their bytes */
#define QMGR_TRIG_WAIT 5       /* seconds a trigger connection may take */

int qmgr_delay_resolution;

static RESOLVER *qmgr_resolver;
static QMGR_MSG *qmgr_msgs;
static long qmgr_nmsgs;
static long qmgr_active_limit;
static long qmgr_rcpt_limit;  /* recipients of one message in memory (0: no limit) */
static long qmgr_run_delay, qmgr_min_backoff, qmgr_max_backoff;
static long qmgr_lifetime, qmgr_bounce_lifetime, qmgr_warn_delay;
static int qmgr_hash_depth;   /* of deferred/ (0: not hashed) */
static int qmgr_want_incoming, qmgr_want_deferred, qmgr_scan_all;
static int qmgr_incoming_full; /* the active limit stopped a scan */
static int qmgr_deferred_full;

typedef struct QMGR_TRIG {
    int fd;
    time_t deadline;
} QMGR_TRIG;

static QMGR_TRIG qmgr_trigs[QMGR_TRIG_MAX];
static int qmgr_ntrigs;
static time_t qmgr_started; /* files older than this may have status logs */

/* ------------------------------------------------------------------ */
/* Recipients                                                          */
/* ------------------------------------------------------------------ */

void qmgr_rcpt_set(QMGR_MSG *m, size_t i, int state)
{
    int old = m->rstate[i];

    if (old == QMGR_RCPT_TODO)
        m->todo--;
    else if (old == QMGR_RCPT_BUSY)
        m->busy--;
    if (state == QMGR_RCPT_TODO)
        m->todo++;
    else if (state == QMGR_RCPT_BUSY)
        m->busy++;
    else if (state == QMGR_RCPT_DEFER)
        m->deferred = 1;
    m->rstate[i] = (unsigned char) state;
}

/* qmgr's own deferral: the defer log record and the usual log line. */
void qmgr_rcpt_defer(QMGR_MSG *m, size_t i, const char *dsn, const char *reason)
{
    DELIVER_TIMES t;
    struct timeval tv;

    gettimeofday(&tv, NULL);
    m->env->handoff_sec = tv.tv_sec;
    m->env->handoff_usec = tv.tv_usec;
    deliver_times_init(&t, "none", qmgr_delay_resolution);
    (void) deliver_rcpt_defer(m->env, i, dsn, reason, &t);
    m->logs = 1;
    qmgr_rcpt_set(m, i, QMGR_RCPT_DEFER);
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void qmgr_active_path(VSTR *out, const char *id)
{
    vstr_sprintf(out, "active/%s", id);
}

static void qmgr_msg_free(QMGR_MSG *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        qmgr_msgs = m->next;
    if (m->next)
        m->next->prev = m->prev;
    qmgr_nmsgs--;
    deliver_request_free(m->env);
    mem_free(m->rstate);
    mem_free(m);
    /* A scan the active limit stopped goes on once a quarter has left. */
    if (qmgr_nmsgs <= qmgr_active_limit - (qmgr_active_limit / 4 > 0 ? qmgr_active_limit / 4 : 1)) {
        if (qmgr_incoming_full)
            qmgr_want_incoming = 1;
        if (qmgr_deferred_full)
            qmgr_want_deferred = 1;
    }
}

static void qmgr_to_corrupt(const char *id, const char *from, const char *why)
{
    VSTR *to = vstr_new(0);

    vstr_sprintf(to, "corrupt/%s", id);
    (void) mkdir("corrupt", 0700);
    if (rename(from, vstr_str(to)) < 0)
        msg_warn("%s: cannot move %s to %s: %s", id, from, vstr_str(to), strerror(errno));
    else
        msg_warn("%s: %s: moved to the corrupt queue", id, why);
    vstr_free(to);
}

/* Messages waiting for a reply of the bounce service, and the poll order. */
static QMGR_MSG *qmgr_bwait;
static size_t qmgr_nbwait;
static QMGR_MSG **qmgr_bpoll;
static size_t qmgr_bpoll_cap;

#define QMGR_BOUNCE_READ_MS 10000 /* for the reply once it has started to arrive */

static void qmgr_bounce_failed(QMGR_MSG *m, const char *service, const char *why)
{
    msg_warn("%s: %s service request failed: %s: message kept in the queue", m->id, service,
             why);
}

/*
 * Send a request to the bounce service without waiting for it: the reply
 * comes back through the event loop (qmgr_bounce_events) to
 * qmgr_msg_step(). 0: sent; -1: failed (logged).
 */
static int qmgr_bounce_start(QMGR_MSG *m, const char *service, int cmd, int flags, int step)
{
    BOUNCE_MSG b;
    VSTR *why = vstr_new(0);
    BOUNCE_CALL *c;

    memset(&b, 0, sizeof(b));
    b.queue_name = "active";
    b.queue_id = m->id;
    b.encoding = m->env->encoding;
    b.smtputf8 = m->env->smtputf8;
    b.sender = m->env->sender;
    b.envelope_id = m->env->dsn_envid;
    b.ret_flags = m->env->dsn_ret;
    b.flags = flags;
    if ((c = bounce_call_start(service, cmd, &b, why)) == NULL) {
        qmgr_bounce_failed(m, service, vstr_str(why));
        vstr_free(why);
        return -1;
    }
    vstr_free(why);
    m->bcall = c;
    m->bservice = service;
    m->fin_step = step;
    m->bdeadline = time(NULL) + BOUNCE_TIMEOUT_MS / 1000;
    m->bnext = qmgr_bwait;
    qmgr_bwait = m;
    qmgr_nbwait++;
    return 0;
}

static void qmgr_bwait_remove(QMGR_MSG *m)
{
    QMGR_MSG **pp;

    for (pp = &qmgr_bwait; *pp; pp = &(*pp)->bnext)
        if (*pp == m) {
            *pp = m->bnext;
            qmgr_nbwait--;
            break;
        }
    m->bnext = NULL;
}

static void qmgr_remove(QMGR_MSG *m)
{
    VSTR *path = vstr_new(0);

    if (m->logs)
        (void) bounce_log_remove("defer", m->id);
    qmgr_active_path(path, m->id);
    if (unlink(vstr_str(path)) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: remove %s: %s", m->id, vstr_str(path), strerror(errno));
        else if (m->logs)
            msg_info("%s: removed", m->id);
        /* else deleted meanwhile (postsuper -d logged it): see QMGR_FIN_START */
    } else {
        msg_info("%s: removed", m->id);
    }
    vstr_free(path);
}

/* Zero the W record in place: the delay warning was sent. */
static void qmgr_warn_done(QMGR_MSG *m)
{
    VSTR *path = vstr_new(0);
    char buf[QFILE_PTR_LEN + 1];
    unsigned char lenb[16];
    size_t ll = qfile_len_encode(QFILE_PTR_LEN, lenb);
    int fd;

    qmgr_active_path(path, m->id);
    snprintf(buf, sizeof(buf), "%*ld", QFILE_PTR_LEN, 0L);
    if ((fd = open(vstr_str(path), O_WRONLY | O_CLOEXEC)) < 0
        || pwrite(fd, buf, QFILE_PTR_LEN, (off_t) (m->warn_offset + 1 + (long) ll))
               != QFILE_PTR_LEN
        || fsync(fd) < 0)
        msg_warn("%s: cannot update the warning time: %s", m->id, strerror(errno));
    if (fd >= 0)
        close(fd);
    vstr_free(path);
}

/*
 * The sendmail -v report is queued: zero the value of the trace_flags A
 * record in place (Postfix's readers take "0000" as 0), so that the next
 * attempt neither traces nor reports. The record is checked first: a
 * file that changed under us is left alone (the worst case is a second
 * report).
 */
static void qmgr_trace_done(QMGR_MSG *m)
{
    static const char name[] = "trace_flags=";
    VSTR *path = vstr_new(0);
    unsigned char buf[64];
    size_t len, used, k;
    ssize_t n;
    int fd = -1;
    const char *bad = NULL;

    if (m->env->trace_offset <= 0)
        msg_panic("%s: qmgr_trace_done without a trace_flags record", m->id);
    qmgr_active_path(path, m->id);
    if ((fd = open(vstr_str(path), O_RDWR | O_CLOEXEC)) < 0) {
        bad = strerror(errno);
        goto out;
    }
    n = pread(fd, buf, sizeof(buf), (off_t) m->env->trace_offset);
    if (n < 2 || buf[0] != QREC_ATTR
        || qfile_len_decode(buf + 1, (size_t) n - 1, &len, &used) != 1
        || len <= sizeof(name) - 1 || 1 + used + len > (size_t) n
        || memcmp(buf + 1 + used, name, sizeof(name) - 1) != 0) {
        bad = n < 0 ? strerror(errno) : "not a trace_flags record";
        goto out;
    }
    for (k = 1 + used + sizeof(name) - 1; k < 1 + used + len; k++)
        buf[k] = '0';
    k = 1 + used + sizeof(name) - 1;
    if (pwrite(fd, buf + k, len - (sizeof(name) - 1), (off_t) m->env->trace_offset + (off_t) k)
            != (ssize_t) (len - (sizeof(name) - 1))
        || fsync(fd) < 0)
        bad = strerror(errno);
out:
    if (bad)
        msg_warn("%s: cannot clear the trace request in %s: %s", m->id, vstr_str(path), bad);
    if (fd >= 0)
        close(fd);
    vstr_free(path);
}

/* active/ID -> deferred/H/ID with the next attempt as its mtime. */
static void qmgr_defer_file(QMGR_MSG *m, time_t now)
{
    VSTR *from = vstr_new(0), *to = vstr_new(0);
    struct utimbuf ut;
    long age = (long) now - m->env->arrival_sec, delay;
    char hash[QUEUE_ID_MAX_DEPTH + 1];
    int i;

    delay = age;
    if (delay > qmgr_max_backoff)
        delay = qmgr_max_backoff;
    if (delay < qmgr_min_backoff)
        delay = qmgr_min_backoff;
    qmgr_active_path(from, m->id);
    ut.actime = now;
    ut.modtime = now + delay;
    if (utime(vstr_str(from), &ut) < 0)
        msg_warn("%s: set the retry time of %s: %s", m->id, vstr_str(from), strerror(errno));
    queue_id_hash(m->id, qmgr_hash_depth, hash);
    vstr_set(to, "deferred");
    (void) mkdir(vstr_str(to), 0700);
    for (i = 0; i < qmgr_hash_depth; i++) {
        vstr_addch(to, '/');
        vstr_addch(to, hash[i]);
        (void) mkdir(vstr_str(to), 0700);
    }
    vstr_addch(to, '/');
    vstr_adds(to, m->id);
    if (rename(vstr_str(from), vstr_str(to)) < 0)
        msg_warn("%s: move %s to %s: %s", m->id, vstr_str(from), vstr_str(to), strerror(errno));
    vstr_free(from);
    vstr_free(to);
}

static int qmgr_forced_expire(QMGR_MSG *m)
{
    VSTR *path = vstr_new(0);
    struct stat st;
    int ret;

    qmgr_active_path(path, m->id);
    ret = stat(vstr_str(path), &st) == 0 && (st.st_mode & S_IXGRP);
    vstr_free(path);
    return ret;
}

static void qmgr_msg_step(QMGR_MSG *m, int result);
static void qmgr_msg_refill(QMGR_MSG *m);

/* All recipients done: trace notice if any, then removal. */
static void qmgr_fin_all_done(QMGR_MSG *m)
{
    if (m->fin_ok && m->logs && bounce_log_exists("trace", m->id)) {
        if (qmgr_bounce_start(m, "trace", BOUNCE_CMD_TRACE, 0, QMGR_FIN_TRACE) == 0)
            return;
        m->fin_ok = 0;
    }
    if (m->fin_ok)
        qmgr_remove(m);
    else
        qmgr_defer_file(m, time(NULL));
    qmgr_msg_free(m);
}

/* After the bounce log (if any) was flushed. */
static void qmgr_fin_after_flush(QMGR_MSG *m)
{
    time_t now = time(NULL);
    long lifetime = *m->env->sender ? qmgr_lifetime : qmgr_bounce_lifetime;

    if (!m->deferred) {
        qmgr_fin_all_done(m);
        return;
    }
    if (now - m->env->arrival_sec >= lifetime || qmgr_forced_expire(m)) {
        if (m->fin_ok && qmgr_bounce_start(m, "defer", BOUNCE_CMD_EXPIRE, 0, QMGR_FIN_EXPIRE) == 0)
            return;
    } else if (qmgr_warn_delay > 0 && m->warn_offset >= 0 && m->warn_time > 0
               && now >= m->warn_time) {
        if (qmgr_bounce_start(m, "defer", BOUNCE_CMD_WARN, 0, QMGR_FIN_WARN) == 0)
            return;
    }
    qmgr_defer_file(m, now);
    qmgr_msg_free(m);
}

/* The bounce log (if any) goes to the bounce service, then the rest. */
static void qmgr_fin_flush(QMGR_MSG *m)
{
    if (m->logs && bounce_log_exists("bounce", m->id)) {
        if (qmgr_bounce_start(m, "bounce", BOUNCE_CMD_FLUSH, 0, QMGR_FIN_FLUSH) == 0)
            return;
        m->fin_ok = 0;
    }
    qmgr_fin_after_flush(m);
}

/*
 * The end of a message's run, one step per bounce reply (result: that
 * reply, 0 or -1; unused at the start). The message stays in active/ and
 * in memory until its last step frees it.
 */
static void qmgr_msg_step(QMGR_MSG *m, int result)
{
    VSTR *path;
    struct stat st;

    switch (m->fin_step) {
    case QMGR_FIN_START:
        /*
         * Without status logs nor deferred recipients the message is only
         * removed, and a message deleted meanwhile (postsuper -d) shows as
         * ENOENT there: no lstat(2) for it here.
         */
        if (!m->logs && !m->deferred) {
            m->fin_ok = 1;
            qmgr_fin_after_flush(m);
            return;
        }
        /* Deleted meanwhile (postsuper -d): nothing left to do. */
        path = vstr_new(0);
        qmgr_active_path(path, m->id);
        if (lstat(vstr_str(path), &st) < 0 && errno == ENOENT) {
            vstr_free(path);
            qmgr_msg_free(m);
            return;
        }
        vstr_free(path);
        m->fin_ok = 1;
        if (m->env->flags & DELIVER_FLAG_USR_VRFY) {
            /* sendmail -bv: the report is all; then the message goes */
            if (qmgr_bounce_start(m, "trace", BOUNCE_CMD_TRACE, BOUNCE_FLAG_VERIFY,
                                  QMGR_FIN_VERIFY) == 0)
                return;
            qmgr_defer_file(m, time(NULL));
            qmgr_msg_free(m);
            return;
        }
        if (m->env->flags & DELIVER_FLAG_RECORD) {
            /* sendmail -v: the report of this first attempt comes first */
            if (qmgr_bounce_start(m, "trace", BOUNCE_CMD_TRACE, BOUNCE_FLAG_RECORD,
                                  QMGR_FIN_RECORD) == 0)
                return;
            m->fin_ok = 0;
        }
        qmgr_fin_flush(m);
        return;
    case QMGR_FIN_RECORD:
        if (result < 0)
            m->fin_ok = 0;
        else
            qmgr_trace_done(m);
        qmgr_fin_flush(m);
        return;
    case QMGR_FIN_VERIFY:
        if (result == 0)
            qmgr_remove(m);
        else
            qmgr_defer_file(m, time(NULL)); /* asked again at the next attempt */
        qmgr_msg_free(m);
        return;
    case QMGR_FIN_FLUSH:
        if (result < 0)
            m->fin_ok = 0;
        qmgr_fin_after_flush(m);
        return;
    case QMGR_FIN_TRACE:
        if (result < 0)
            m->fin_ok = 0;
        m->fin_step = QMGR_FIN_START; /* no second trace request */
        if (m->fin_ok)
            qmgr_remove(m);
        else
            qmgr_defer_file(m, time(NULL));
        qmgr_msg_free(m);
        return;
    case QMGR_FIN_EXPIRE:
        if (result == 0) {
            (void) bounce_log_remove("trace", m->id);
            qmgr_remove(m);
        } else {
            qmgr_defer_file(m, time(NULL));
        }
        qmgr_msg_free(m);
        return;
    case QMGR_FIN_WARN:
        if (result == 0)
            qmgr_warn_done(m);
        qmgr_defer_file(m, time(NULL));
        qmgr_msg_free(m);
        return;
    default:
        msg_panic("%s: bad finishing step %d", m->id, m->fin_step);
    }
}

static void qmgr_msg_finish(QMGR_MSG *m)
{
    m->fin_step = QMGR_FIN_START;
    qmgr_msg_step(m, 0);
}

/* A reply (or its absence) for a message waiting on the bounce service. */
static void qmgr_bounce_reply(QMGR_MSG *m, int timed_out)
{
    VSTR *notice = vstr_new(0), *why = vstr_new(0);
    int result;

    qmgr_bwait_remove(m);
    if (timed_out) {
        bounce_call_abort(m->bcall);
        vstr_sprintf(why, "timeout waiting for the reply of private/%s", m->bservice);
        result = -1;
    } else {
        result = bounce_call_finish(m->bcall, QMGR_BOUNCE_READ_MS, notice, why);
    }
    m->bcall = NULL;
    if (result < 0)
        qmgr_bounce_failed(m, m->bservice, vstr_str(why));
    vstr_free(notice);
    vstr_free(why);
    qmgr_msg_step(m, result);
}

static int qmgr_bounce_poll(struct pollfd *pfd, int max, time_t *deadline)
{
    QMGR_MSG *m;
    int n = 0;

    if (qmgr_bpoll_cap < qmgr_nbwait) {
        qmgr_bpoll_cap = qmgr_nbwait * 2;
        qmgr_bpoll = mem_array_grow(qmgr_bpoll, qmgr_bpoll_cap, sizeof(*qmgr_bpoll));
    }
    for (m = qmgr_bwait; m && n < max; m = m->bnext) {
        pfd[n].fd = bounce_call_fd(m->bcall);
        pfd[n].events = POLLIN;
        pfd[n].revents = 0;
        qmgr_bpoll[n++] = m;
        if (m->bdeadline < *deadline)
            *deadline = m->bdeadline;
    }
    return n;
}

static void qmgr_bounce_events(const struct pollfd *pfd, int n)
{
    int k;

    for (k = 0; k < n; k++)
        if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
            qmgr_bounce_reply(qmgr_bpoll[k], 0);
}

static void qmgr_bounce_expire(time_t now)
{
    QMGR_MSG *m, *next;

    for (m = qmgr_bwait; m; m = next) {
        next = m->bnext;
        if (m->bdeadline <= now)
            qmgr_bounce_reply(m, 1);
    }
}

/*
 * A message with nothing left to try is finished later, from the main
 * loop: callers (the scheduler, in the middle of its own walks) keep a
 * valid pointer until they return.
 */
static QMGR_MSG *qmgr_done_list;

void qmgr_msg_check_done(QMGR_MSG *m)
{
    if (m->todo == 0 && m->busy == 0 && !m->finishing) {
        m->finishing = 1;
        m->done_next = qmgr_done_list;
        qmgr_done_list = m;
    }
}

static void qmgr_finish_done(void)
{
    QMGR_MSG *m;

    while ((m = qmgr_done_list) != NULL) {
        qmgr_done_list = m->done_next;
        if (m->more)
            qmgr_msg_refill(m);
        else
            qmgr_msg_finish(m);
    }
}

/*
 * A queue file up to this size is read into memory with one read(2) and
 * both passes below (recipients, W record) parse that copy; a larger one is
 * read through the descriptor (its content is skipped, not read).
 */
#define QMGR_READ_WHOLE (64 * 1024)

/* A reader over the whole file in buf (len > 0), else over fd from the start. */
static QFILE_READER *qmgr_reader(int fd, const char *path, const char *buf, size_t len)
{
    if (len > 0)
        return qfile_reader_mem(buf, len, path, QFILE_READ_FOLLOW);
    if (lseek(fd, 0, SEEK_SET) < 0)
        return NULL;
    return qfile_reader_open(fd, path, QFILE_READ_FOLLOW);
}

/* The W record, if any: its offset and time. */
static void qmgr_find_warn(QMGR_MSG *m, int fd, const char *path, const char *buf, size_t len)
{
    QFILE_READER *r;
    QFILE_REC rec;

    m->warn_offset = -1;
    m->warn_time = 0;
    if ((r = qmgr_reader(fd, path, buf, len)) == NULL)
        return;
    while (qfile_read(r, &rec) > 0 && rec.type != QREC_MESG) {
        if (rec.type == QREC_WARN && rec.len == QFILE_PTR_LEN) {
            m->warn_offset = rec.offset;
            m->warn_time = strtol(rec.data, NULL, 10);
        }
    }
    qfile_reader_free(r);
}

/* The whole file when it is small: its length (0: read it through fd). */
static size_t qmgr_read_whole(int fd, const struct stat *sb, char *buf)
{
    size_t want, got = 0;
    ssize_t n;

    if (!S_ISREG(sb->st_mode) || sb->st_size <= 0 || sb->st_size > QMGR_READ_WHOLE)
        return 0;
    want = (size_t) sb->st_size;
    while (got < want) {
        if ((n = read(fd, buf + got, want - got)) < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0; /* shorter than fstat said, or an error: the slow path */
        got += (size_t) n;
    }
    return got;
}

/*
 * Read active/ID's envelope and its undone recipients after m->rcpt_cursor,
 * at most qmgr_rcpt_limit of them (m->more: others wait in the file; the
 * cursor moves to the last one read); *total: undone recipients in all.
 */
static int qmgr_msg_read(QMGR_MSG *m, DELIVER_REQUEST *env, int *expired, int first,
                         size_t *total, VSTR *why)
{
    VSTR *path = vstr_new(0);
    QFILE_READER *r;
    struct stat sb;
    struct timeval tv;
    char *buf = NULL;
    size_t len = 0;
    int fd, st = -1;

    qmgr_active_path(path, m->id);
    if ((fd = open(vstr_str(path), O_RDONLY | O_CLOEXEC)) < 0) {
        vstr_sprintf(why, "open: %s", strerror(errno));
        vstr_free(path);
        return errno == ENOENT ? -2 : -1;
    }
    if (fstat(fd, &sb) < 0) {
        vstr_sprintf(why, "fstat: %s", strerror(errno));
        close(fd);
        vstr_free(path);
        return -1;
    }
    *expired = (sb.st_mode & S_IXGRP) != 0;
    if (S_ISREG(sb.st_mode) && sb.st_size > 0 && sb.st_size <= QMGR_READ_WHOLE) {
        buf = mem_alloc((size_t) sb.st_size);
        len = qmgr_read_whole(fd, &sb, buf);
    }
    if ((r = qmgr_reader(fd, vstr_str(path), buf, len)) == NULL) {
        vstr_sprintf(why, "lseek: %s", strerror(errno));
    } else {
        st = deliver_request_load_range(env, r, m->rcpt_cursor,
                                        qmgr_rcpt_limit > 0 ? (size_t) qmgr_rcpt_limit : 0,
                                        total, &m->more, why);
        qfile_reader_free(r);
    }
    if (st == 0 && env->nrcpt > 0)
        m->rcpt_cursor = env->rcpt[env->nrcpt - 1].offset;
    if (st == 0 && first)
        qmgr_find_warn(m, fd, vstr_str(path), buf, len);
    close(fd);
    mem_free(buf);
    vstr_free(path);
    if (st < 0)
        return -1;
    mem_free(env->queue_name);
    env->queue_name = mem_strdup("active");
    mem_free(env->queue_id);
    env->queue_id = mem_strdup(m->id);
    gettimeofday(&tv, NULL);
    env->active_sec = tv.tv_sec;
    env->active_usec = tv.tv_usec;
    return 0;
}

/*
 * Will an agent write trace/ID: sendmail -v, or a recipient that asks
 * for NOTIFY=SUCCESS?
 */
static int qmgr_notify_success(const DELIVER_REQUEST *env)
{
    size_t i;

    if (env->flags & (DELIVER_FLAG_RECORD | DELIVER_FLAG_USR_VRFY))
        return 1;
    for (i = 0; i < env->nrcpt; i++)
        if (env->rcpt[i].notify & DELIVER_NOTIFY_SUCCESS)
            return 1;
    return 0;
}

/*
 * Was this incoming file written before this qmgr started (so an earlier
 * qmgr may have had it, with status logs)? Two seconds of margin.
 */
static int qmgr_file_old(const struct stat *st)
{
    return st->st_mtim.tv_sec < qmgr_started + 2;
}

/* Resolve the recipients in memory and queue them at their destinations. */
static void qmgr_msg_route(QMGR_MSG *m)
{
    RESOLVE_REPLY rr;
    size_t i;

    resolve_reply_init(&rr);
    for (i = 0; i < m->env->nrcpt; i++) {
        if (m->expired) {
            /* postsuper -e: never delivered, returned to the sender. */
            qmgr_rcpt_defer(m, i, "4.7.0", "message is administratively expired");
            continue;
        }
        if (resolve_addr_sender(qmgr_resolver, m->env->sender, m->env->rcpt[i].address, &rr)
            < 0) {
            msg_warn("%s: resolve %s: %s", m->id, m->env->rcpt[i].address, vstr_str(rr.why));
            qmgr_rcpt_defer(m, i, "4.3.0", "address resolver failure");
            continue;
        }
        qmgr_dest_add(qmgr_dest_find(vstr_str(rr.transport), vstr_str(rr.nexthop),
                                     vstr_str(rr.recipient)),
                      m, i);
    }
    resolve_reply_free(&rr);
}

/* Read active/ID into memory and queue its recipients. */
static void qmgr_msg_load(const char *id, int logs)
{
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    QMGR_MSG *m;
    size_t nrcpt;
    int st, expired = 0;

    m = mem_calloc(1, sizeof(*m));
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->env = deliver_request_new();
    m->rcpt_cursor = -1;
    if ((st = qmgr_msg_read(m, m->env, &expired, 1, &nrcpt, why)) < 0) {
        if (st == -1) {
            qmgr_active_path(path, id);
            qmgr_to_corrupt(id, vstr_str(path), vstr_str(why));
        }
        deliver_request_free(m->env);
        mem_free(m);
        goto out;
    }
    m->expired = expired;
    m->logs = logs || qmgr_notify_success(m->env);
    m->rstate = mem_calloc(m->env->nrcpt + 1, 1);
    m->todo = m->env->nrcpt;
    m->next = qmgr_msgs;
    if (qmgr_msgs)
        qmgr_msgs->prev = m;
    qmgr_msgs = m;
    qmgr_nmsgs++;
    msg_info("%s: from=<%s>, size=%ld, nrcpt=%zu (queue active)", id, m->env->sender,
             m->env->data_size, nrcpt);
    qmgr_msg_route(m);
    qmgr_msg_check_done(m);
out:
    vstr_free(path);
    vstr_free(why);
}

/*
 * The recipients in memory are all done or deferred and more wait in the
 * file: read the next ones and queue them. On a read failure the message
 * is kept for a later run (its other recipients stay undone in the file).
 */
static void qmgr_msg_refill(QMGR_MSG *m)
{
    DELIVER_REQUEST *env = deliver_request_new();
    VSTR *why = vstr_new(0);
    int expired = 0, st;

    m->finishing = 0;
    if ((st = qmgr_msg_read(m, env, &expired, 0, NULL, why)) < 0) {
        if (st == -1)
            msg_warn("%s: cannot read more recipients: %s: message kept in the queue", m->id,
                     vstr_str(why));
        deliver_request_free(env);
        m->more = 0;
        m->deferred = 1;
    } else {
        deliver_request_free(m->env);
        m->env = env;
        m->expired = m->expired || expired;
        m->logs = m->logs || qmgr_notify_success(m->env);
        mem_free(m->rstate);
        m->rstate = mem_calloc(m->env->nrcpt + 1, 1);
        m->todo = m->env->nrcpt;
        m->busy = 0;
        qmgr_msg_route(m);
    }
    vstr_free(why);
    qmgr_msg_check_done(m);
}

/* ------------------------------------------------------------------ */
/* Queue scans                                                         */
/* ------------------------------------------------------------------ */

static int qmgr_move_in(const char *id, const char *from)
{
    VSTR *to = vstr_new(0);
    int ret = 0;

    qmgr_active_path(to, id);
    if (rename(from, vstr_str(to)) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: move %s to %s: %s", id, from, vstr_str(to), strerror(errno));
        ret = -1;
    }
    vstr_free(to);
    return ret;
}

static int qmgr_scan_incoming_fn(void *ctx, const char *queue, const char *id, const char *path)
{
    struct stat st;

    (void) ctx;
    (void) queue;
    if (qmgr_nmsgs >= qmgr_active_limit) {
        qmgr_incoming_full = 1;
        return 1;
    }
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
        return 0; /* gone, or cleanup is still writing it */
    if (qmgr_move_in(id, path) == 0)
        qmgr_msg_load(id, qmgr_file_old(&st));
    return 0;
}

static int qmgr_scan_deferred_fn(void *ctx, const char *queue, const char *id, const char *path)
{
    struct stat st;
    time_t now = *(time_t *) ctx;

    (void) queue;
    if (qmgr_nmsgs >= qmgr_active_limit) {
        qmgr_deferred_full = 1; /* go on when messages have left */
        return 1;
    }
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (!qmgr_scan_all && st.st_mtime > now)
        return 0;
    if (qmgr_move_in(id, path) == 0)
        qmgr_msg_load(id, 1);
    return 0;
}

static void qmgr_scan_incoming(void)
{
    qmgr_want_incoming = 0;
    qmgr_incoming_full = 0;
    if (queue_scan("incoming", qmgr_scan_incoming_fn, NULL) < 0)
        msg_warn("scan incoming: %s", strerror(errno));
}

static void qmgr_scan_deferred(void)
{
    time_t now = time(NULL);

    qmgr_want_deferred = 0;
    qmgr_deferred_full = 0;
    if (queue_scan("deferred", qmgr_scan_deferred_fn, &now) < 0)
        msg_warn("scan deferred: %s", strerror(errno));
    if (!qmgr_deferred_full)
        qmgr_scan_all = 0; /* an interrupted 'A' scan goes on ignoring times */
}

static int qmgr_recover_fn(void *ctx, const char *queue, const char *id, const char *path)
{
    VSTR *to = vstr_new(0);

    (void) ctx;
    (void) queue;
    vstr_sprintf(to, "incoming/%s", id);
    if (rename(path, vstr_str(to)) < 0)
        msg_warn("%s: move %s to %s: %s", id, path, vstr_str(to), strerror(errno));
    vstr_free(to);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Triggers and the loop                                               */
/* ------------------------------------------------------------------ */

static void qmgr_trigger(const char *buf, size_t len)
{
    size_t i;
    int all = 0, deferred = 0;

    for (i = 0; i < len; i++) {
        switch (buf[i]) {
        case 'I':
        case 'W':
            qmgr_want_incoming = 1;
            break;
        case 'D':
            deferred = 1;
            break;
        case 'A':
            all = 1;
            qmgr_want_incoming = 1;
            break;
        case 'F':
            qmgr_forget_dead();
            break;
        default:
            break;
        }
    }
    if (deferred) {
        qmgr_want_deferred = 1;
        if (all)
            qmgr_scan_all = 1;
    }
}

static void qmgr_trig_close(int k)
{
    close(qmgr_trigs[k].fd);
    qmgr_trigs[k] = qmgr_trigs[--qmgr_ntrigs];
}

static void qmgr_trig_read(int k)
{
    char buf[SERVER_TRIGGER_MAX];
    ssize_t n = read(qmgr_trigs[k].fd, buf, sizeof(buf));

    if (n > 0)
        qmgr_trigger(buf, (size_t) n);
    qmgr_trig_close(k);
}

static void qmgr_accept(SERVER *srv, int lfd)
{
    char buf[SERVER_TRIGGER_MAX];
    ssize_t n;
    int fd;

    /* An old-style "qmgr fifo ..." entry: the triggers are the fifo's bytes. */
    if (strcmp(srv->type, "fifo") == 0) {
        if ((n = read(lfd, buf, sizeof(buf))) > 0)
            qmgr_trigger(buf, (size_t) n);
        return;
    }
    fd = server_event_accept(srv, lfd);

    if (fd < 0)
        return;
    if (qmgr_ntrigs >= QMGR_TRIG_MAX) {
        /* Too many slow writers: take this one as a plain wake-up. */
        qmgr_want_incoming = 1;
        close(fd);
        return;
    }
    qmgr_trigs[qmgr_ntrigs].fd = fd;
    qmgr_trigs[qmgr_ntrigs].deadline = time(NULL) + QMGR_TRIG_WAIT;
    qmgr_ntrigs++;
}

static int qmgr_ms(time_t deadline, time_t now)
{
    if (deadline <= now)
        return 0;
    if (deadline - now > 86400)
        return 86400 * 1000;
    return (int) (deadline - now) * 1000;
}

static void qmgr_loop(SERVER *srv)
{
    struct pollfd *pfd = NULL;
    size_t cap = 0, need;
    time_t now, next_run, deadline;
    int n, nl, nt, nj, nb, i, timeout;

    /* Start-up: what the last qmgr had in memory goes back to incoming/. */
    if (queue_scan("active", qmgr_recover_fn, NULL) < 0)
        msg_warn("scan active: %s", strerror(errno));
    qmgr_want_incoming = qmgr_want_deferred = 1;
    next_run = time(NULL) + qmgr_run_delay;
    for (;;) {
        if (server_event_master_gone())
            break;
        if (qmgr_want_incoming)
            qmgr_scan_incoming();
        if (qmgr_want_deferred)
            qmgr_scan_deferred();
        qmgr_finish_done();
        qmgr_sched_run();
        qmgr_finish_done();
        if (qmgr_want_incoming || qmgr_want_deferred)
            continue; /* messages finished and made room: scan again */

        need = 1 + (size_t) srv->nlisten + QMGR_TRIG_MAX + qmgr_jobs_count() + qmgr_nbwait;
        if (need > cap) {
            cap = need * 2;
            pfd = mem_array_grow(pfd, cap, sizeof(*pfd));
        }
        n = 0;
        pfd[n].fd = SERVER_STATUS_FD;
        pfd[n++].events = POLLIN;
        for (i = 0; i < srv->nlisten; i++) {
            pfd[n].fd = srv->listen_fds[i];
            pfd[n++].events = POLLIN;
        }
        nl = n;
        deadline = next_run;
        for (i = 0; i < qmgr_ntrigs; i++) {
            pfd[n].fd = qmgr_trigs[i].fd;
            pfd[n++].events = POLLIN;
            if (qmgr_trigs[i].deadline < deadline)
                deadline = qmgr_trigs[i].deadline;
        }
        nt = qmgr_ntrigs;
        nj = qmgr_jobs_poll(pfd + n, (int) (cap - (size_t) n), &deadline);
        nb = qmgr_bounce_poll(pfd + n + nj, (int) (cap - (size_t) (n + nj)), &deadline);
        for (i = 0; i < n; i++)
            pfd[i].revents = 0;
        timeout = qmgr_ms(deadline, time(NULL));
        if (poll(pfd, (nfds_t) (n + nj + nb), timeout) < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("poll: %s", strerror(errno));
        }
        if (pfd[0].revents && server_event_master_gone())
            break;
        /* Deliveries first, then triggers (from the end: closing moves the last). */
        qmgr_jobs_events(pfd + n, nj);
        qmgr_bounce_events(pfd + n + nj, nb);
        for (i = nt - 1; i >= 0; i--)
            if (pfd[nl + i].revents)
                qmgr_trig_read(i);
        for (i = 1; i < nl; i++)
            if (pfd[i].revents & POLLIN)
                qmgr_accept(srv, pfd[i].fd);
        now = time(NULL);
        for (i = qmgr_ntrigs - 1; i >= 0; i--)
            if (qmgr_trigs[i].deadline <= now)
                qmgr_trig_close(i);
        qmgr_jobs_expire(now);
        qmgr_bounce_expire(now);
        qmgr_finish_done();
        if (now >= next_run) {
            qmgr_forget_dead();
            qmgr_want_incoming = qmgr_want_deferred = 1;
            next_run = now + qmgr_run_delay;
        }
    }
    mem_free(pfd);
}

static void qmgr_pre_jail(SERVER *srv)
{
    VSTR *why = vstr_new(0);

    (void) srv;
    qmgr_resolver = resolve_create(why);
    if (vstr_len(why))
        msg_warn("%s", vstr_str(why));
    vstr_free(why);
    qmgr_sched_init();
}

static void qmgr_post_jail(SERVER *srv)
{
    (void) srv;
    qmgr_started = time(NULL);
    qmgr_rcpt_limit = conf_get_int("qmgr_message_recipient_limit");
    if (qmgr_rcpt_limit < 0)
        qmgr_rcpt_limit = 0;
    qmgr_active_limit = conf_get_int("qmgr_message_active_limit");
    if (qmgr_active_limit <= 0)
        qmgr_active_limit = 1;
    qmgr_run_delay = conf_get_time("queue_run_delay");
    if (qmgr_run_delay <= 0)
        qmgr_run_delay = 1;
    qmgr_min_backoff = conf_get_time("minimal_backoff_time");
    qmgr_max_backoff = conf_get_time("maximal_backoff_time");
    if (qmgr_max_backoff < qmgr_min_backoff)
        qmgr_max_backoff = qmgr_min_backoff;
    qmgr_lifetime = conf_get_time("maximal_queue_lifetime");
    qmgr_bounce_lifetime = conf_get_time("bounce_queue_lifetime");
    if (qmgr_bounce_lifetime > qmgr_lifetime)
        qmgr_bounce_lifetime = qmgr_lifetime;
    qmgr_warn_delay = conf_get_time("delay_warning_time");
    qmgr_delay_resolution = (int) conf_get_int("delay_logging_resolution_limit");
    qmgr_hash_depth = queue_id_is_hashed("deferred", conf_get("hash_queue_names"))
                          ? (int) conf_get_int("hash_queue_depth")
                          : 0;
    if (qmgr_hash_depth < 0 || qmgr_hash_depth > QUEUE_ID_MAX_DEPTH)
        qmgr_hash_depth = 1;
}

static void qmgr_on_exit(SERVER *srv)
{
    QMGR_MSG *m;

    (void) srv;
    qmgr_sched_free();
    /* Messages in memory stay in active/: the next qmgr takes them back. */
    while ((m = qmgr_msgs) != NULL) {
        qmgr_msgs = m->next;
        bounce_call_abort(m->bcall);
        deliver_request_free(m->env);
        mem_free(m->rstate);
        mem_free(m);
    }
    resolve_free(qmgr_resolver);
    mem_free(qmgr_bpoll);
}

int main(int argc, char **argv)
{
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = qmgr_pre_jail;
    ops.post_jail = qmgr_post_jail;
    ops.on_exit = qmgr_on_exit;
    ops.event_loop = qmgr_loop;
    ops.unlimited = 1;
    server_event_main(argc, argv, &ops);
}
