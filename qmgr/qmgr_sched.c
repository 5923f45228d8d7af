/*
 * qmgr_sched - transports, destinations and deliveries in flight; see
 * qmgr.h for the model. Limits come from main.cf
 * (<transport>_destination_concurrency_limit,
 * <transport>_destination_recipient_limit and their default_* fall-backs)
 * and from master.cf (the transport's maxproc, "-" = default_process_limit).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf.h"
#include "htable.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "strutil.h"
#include "unix_connect.h"
#include "vstr.h"

#define QMGR_PROC_UNLIMITED 1000 /* maxproc 0 */
#define QMGR_NAME_MAX 64         /* a transport name */

static QMGR_TRANSPORT *qmgr_transports;
static HTABLE *qmgr_dests;
static QMGR_JOB *qmgr_jobs;
static size_t qmgr_njobs;
static MASTERCF *qmgr_mastercf;
static long qmgr_ipc_timeout, qmgr_result_timeout;

static size_t qmgr_nconns; /* kept agent connections, all transports */

/* For the poll set: jobs and kept connections in the order qmgr_jobs_poll() listed them. */
typedef struct QMGR_POLL_ITEM {
    QMGR_JOB *job;
    QMGR_CONN *conn;
} QMGR_POLL_ITEM;
static QMGR_POLL_ITEM *qmgr_poll_items;
static size_t qmgr_poll_cap;

void qmgr_sched_init(void)
{
    VSTR *path = vstr_new(0);
    char *err = NULL;

    qmgr_dests = htable_new(0);
    vstr_sprintf(path, "%s/master.cf", conf_dir());
    if ((qmgr_mastercf = mastercf_read(vstr_str(path), &err)) == NULL) {
        msg_warn("cannot read %s: %s: using default_process_limit for every transport",
                 vstr_str(path), err ? err : "unknown error");
        mem_free(err);
    }
    qmgr_ipc_timeout = conf_get_time("qmgr_ipc_timeout");
    qmgr_result_timeout = conf_get_time("qmgr_daemon_timeout");
    vstr_free(path);
}

static void qmgr_dest_free(void *ptr)
{
    QMGR_DEST *d = ptr;

    mem_free(d->key);
    mem_free(d->nexthop);
    mem_free(d->dead_reason);
    mem_free(d);
}

static void qmgr_job_free(QMGR_JOB *job);
static void qmgr_entry_free(QMGR_ENTRY *e);

/* ---- kept agent connections (QMGR_CONN) ---- */

static void qmgr_conn_close(QMGR_CONN *c)
{
    QMGR_CONN **pp;

    for (pp = &c->tr->idle; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            qmgr_nconns--;
            break;
        }
    stream_free(c->s);
    mem_free(c);
}

/* After a good result: keep the connection when the agent announced again. */
static void qmgr_conn_keep(QMGR_JOB *job)
{
    struct pollfd pfd;
    QMGR_CONN *c;
    VSTR *why;

    if (job->s == NULL)
        return;
    if (stream_buffered(job->s) == 0) {
        /* the agent writes result and announcement at once: no wait here */
        pfd.fd = job->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) != 1 || (pfd.revents & POLLIN) == 0)
            return;
    }
    why = vstr_new(0);
    if (deliver_announce_read(job->s, why) == 0) {
        c = mem_calloc(1, sizeof(*c));
        c->s = job->s;
        c->tr = job->dest->tr;
        c->expires = time(NULL) + QMGR_CONN_IDLE;
        c->next = c->tr->idle;
        c->tr->idle = c;
        qmgr_nconns++;
        job->s = NULL;
        job->fd = -1;
    }
    vstr_free(why);
}

/* A kept connection for the transport, whose agent has not hung up; or NULL. */
static QMGR_CONN *qmgr_conn_take(QMGR_TRANSPORT *tr)
{
    struct pollfd pfd;
    QMGR_CONN *c;

    while ((c = tr->idle) != NULL) {
        tr->idle = c->next;
        qmgr_nconns--;
        pfd.fd = stream_fd(c->s);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) == 0)
            return c;
        /* readable while idle: the agent went away (or talks out of turn) */
        stream_free(c->s);
        mem_free(c);
    }
    return NULL;
}

void qmgr_sched_free(void)
{
    QMGR_TRANSPORT *tr, *next;
    QMGR_DEST *d;
    QMGR_ENTRY *e;

    while (qmgr_jobs)
        qmgr_job_free(qmgr_jobs);
    for (tr = qmgr_transports; tr; tr = tr->next)
        while (tr->idle)
            qmgr_conn_close(tr->idle);
    for (tr = qmgr_transports; tr; tr = tr->next)
        for (d = tr->dests; d; d = d->next)
            while ((e = d->head) != NULL) {
                d->head = e->next;
                qmgr_entry_free(e);
            }

    htable_free(qmgr_dests, qmgr_dest_free);
    for (tr = qmgr_transports; tr; tr = next) {
        next = tr->next;
        mem_free(tr->name);
        mem_free(tr);
    }
    if (qmgr_mastercf)
        mastercf_free(qmgr_mastercf);
    mem_free(qmgr_poll_items);
}

size_t qmgr_jobs_count(void)
{
    return qmgr_njobs + qmgr_nconns;
}

/* <transport>_NAME, else default_NAME. */
static long qmgr_transport_param(const char *transport, const char *name)
{
    VSTR *key = vstr_new(0);
    const char *v;
    long n;

    vstr_sprintf(key, "%s_%s", transport, name);
    v = conf_get(vstr_str(key));
    if (v == NULL || str_parse_long(v, 0, 1L << 30, &n) < 0) {
        vstr_sprintf(key, "default_%s", name);
        n = conf_get_int(vstr_str(key));
    }
    vstr_free(key);
    return n;
}

/*
 * A feedback value: "N" or "N/concurrency" (N in 0..1 as Postfix documents
 * it, larger values clamped). A bad value is a warning and the default 1.
 */
static double qmgr_feedback(const char *transport, const char *name, int *per_conc)
{
    VSTR *key = vstr_new(0);
    const char *v;
    char *end;
    double f;

    vstr_sprintf(key, "%s_%s", transport, name);
    v = conf_get(vstr_str(key));
    *per_conc = 0;
    if (v == NULL)
        v = "1";
    f = strtod(v, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end == '/') {
        end++;
        while (*end == ' ' || *end == '\t')
            end++;
        if (strcmp(end, "concurrency") == 0) {
            *per_conc = 1;
            end += strlen(end);
        }
    }
    if (end == v || *end != 0 || !(f >= 0)) {
        msg_warn("%s: bad value \"%s\": using 1", vstr_str(key), v);
        f = 1;
        *per_conc = 0;
    }
    if (f > 1)
        f = 1;
    vstr_free(key);
    return f;
}

static QMGR_TRANSPORT *qmgr_transport_find(const char *name)
{
    QMGR_TRANSPORT *tr;
    const MASTERCF_ENT *ent;

    for (tr = qmgr_transports; tr; tr = tr->next)
        if (strcmp(tr->name, name) == 0)
            return tr;
    tr = mem_calloc(1, sizeof(*tr));
    tr->name = mem_strdup(name);
    tr->dest_limit = (int) qmgr_transport_param(name, "destination_concurrency_limit");
    tr->rcpt_limit = (int) qmgr_transport_param(name, "destination_recipient_limit");
    if (tr->dest_limit <= 0)
        tr->dest_limit = QMGR_PROC_UNLIMITED;
    if (tr->rcpt_limit <= 0 || tr->rcpt_limit > DELIVER_RCPT_MAX)
        tr->rcpt_limit = DELIVER_RCPT_MAX;
    tr->init_conc = (int) qmgr_transport_param(name, "initial_destination_concurrency");
    if (tr->init_conc <= 0)
        tr->init_conc = 1;
    if (tr->init_conc > tr->dest_limit)
        tr->init_conc = tr->dest_limit;
    tr->cohort_limit =
        (int) qmgr_transport_param(name, "destination_concurrency_failed_cohort_limit");
    if (tr->cohort_limit < 0)
        tr->cohort_limit = 0;
    tr->pos_fb = qmgr_feedback(name, "destination_concurrency_positive_feedback",
                               &tr->pos_per_conc);
    tr->neg_fb = qmgr_feedback(name, "destination_concurrency_negative_feedback",
                               &tr->neg_per_conc);
    ent = qmgr_mastercf ? mastercf_find(qmgr_mastercf, name, "unix") : NULL;
    if (ent == NULL || ent->maxproc_text == NULL || strcmp(ent->maxproc_text, "-") == 0)
        tr->proc_limit = (int) conf_get_int("default_process_limit");
    else
        tr->proc_limit = ent->maxproc;
    if (tr->proc_limit <= 0)
        tr->proc_limit = QMGR_PROC_UNLIMITED;
    tr->next = qmgr_transports;
    qmgr_transports = tr;
    if (msg_verbose)
        msg_info("transport %s: process limit %d, destination concurrency %d, recipients %d",
                 name, tr->proc_limit, tr->dest_limit, tr->rcpt_limit);
    return tr;
}

QMGR_DEST *qmgr_dest_find(const char *transport, const char *nexthop, const char *rcpt)
{
    QMGR_TRANSPORT *tr = qmgr_transport_find(transport);
    VSTR *key = vstr_new(0);
    QMGR_DEST *d;

    /*
     * Postfix's rule: with a recipient limit of 1 the concurrency limit is
     * per recipient, not per next hop (local: one mailbox at a time, many
     * mailboxes in parallel up to the process limit).
     */
    if (tr->rcpt_limit == 1)
        vstr_sprintf(key, "%s:%s:%s", transport, nexthop, rcpt);
    else
        vstr_sprintf(key, "%s:%s", transport, nexthop);
    if ((d = htable_get(qmgr_dests, vstr_str(key))) == NULL) {
        d = mem_calloc(1, sizeof(*d));
        d->key = mem_strdup(vstr_str(key));
        d->nexthop = mem_strdup(nexthop);
        d->tr = tr;
        d->window = tr->init_conc;
        d->next = d->tr->dests;
        d->tr->dests = d;
        htable_put(qmgr_dests, d->key, d);
    }
    vstr_free(key);
    return d;
}

static void qmgr_dead_text(VSTR *out, const QMGR_DEST *d)
{
    vstr_sprintf(out, "delivery temporarily suspended: %s", d->dead_reason);
}

void qmgr_dest_add(QMGR_DEST *d, QMGR_MSG *m, size_t i)
{
    QMGR_ENTRY *e = d->tail;

    if (d->dead) {
        VSTR *why = vstr_new(0);

        qmgr_dead_text(why, d);
        qmgr_rcpt_defer(m, i, "4.4.1", vstr_str(why));
        vstr_free(why);
        return;
    }
    if (e == NULL || e->msg != m) {
        e = mem_calloc(1, sizeof(*e));
        e->msg = m;
        if (d->tail)
            d->tail->next = e;
        else
            d->head = e;
        d->tail = e;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 4;
        e->idx = mem_array_grow(e->idx, e->cap, sizeof(*e->idx));
    }
    e->idx[e->n++] = i;
}

static void qmgr_entry_free(QMGR_ENTRY *e)
{
    mem_free(e->idx);
    mem_free(e);
}

/* Mark a destination dead and defer everything that waits for it. */
static void qmgr_dest_kill(QMGR_DEST *d, const char *reason)
{
    QMGR_ENTRY *e, *next;
    QMGR_MSG **msgs = NULL;
    size_t n = 0, k;
    VSTR *why = vstr_new(0);

    if (!d->dead) {
        msg_info("%s: destination marked dead: %s", d->key, reason);
        d->dead = 1;
        mem_free(d->dead_reason);
        d->dead_reason = mem_strdup(reason);
    }
    qmgr_dead_text(why, d);
    for (e = d->head; e; e = next) {
        next = e->next;
        for (k = e->pos; k < e->n; k++)
            qmgr_rcpt_defer(e->msg, e->idx[k], "4.4.1", vstr_str(why));
        msgs = mem_array_grow(msgs, n + 1, sizeof(*msgs));
        msgs[n++] = e->msg;
        qmgr_entry_free(e);
    }
    d->head = d->tail = NULL;
    for (k = 0; k < n; k++)
        qmgr_msg_check_done(msgs[k]);
    mem_free(msgs);
    vstr_free(why);
}

void qmgr_forget_dead(void)
{
    QMGR_TRANSPORT *tr;
    QMGR_DEST *d;

    for (tr = qmgr_transports; tr; tr = tr->next)
        for (d = tr->dests; d; d = d->next)
            if (d->dead) {
                /* A fresh start: slow start again, no failures counted. */
                d->dead = 0;
                d->window = tr->init_conc;
                d->success = d->failure = d->fail_cohorts = 0;
            }
}

/* A job ended without a next-hop failure: open the window. */
static void qmgr_dest_success(QMGR_DEST *d, int window)
{
    QMGR_TRANSPORT *tr = d->tr;

    d->fail_cohorts = 0;
    d->failure = 0;
    if (d->window >= tr->dest_limit)
        return;
    d->success += tr->pos_per_conc ? tr->pos_fb / (window > 0 ? window : 1) : tr->pos_fb;
    while (d->success >= 1 - 1e-9 && d->window < tr->dest_limit) {
        d->success -= 1;
        d->window++;
        if (msg_verbose)
            msg_info("%s: concurrency window %d", d->key, d->window);
    }
    if (d->window >= tr->dest_limit)
        d->success = 0;
}

/*
 * A job failed at the next hop (or the agent failed): close the window,
 * count the failed pseudo-cohort; 1 when the destination is now dead.
 */
static int qmgr_dest_failure(QMGR_DEST *d, int window)
{
    QMGR_TRANSPORT *tr = d->tr;

    d->success = 0;
    d->fail_cohorts += 1.0 / (window > 0 ? window : 1);
    if (tr->cohort_limit > 0 && d->fail_cohorts >= tr->cohort_limit - 1e-9)
        return 1;
    if (d->failure <= 1e-9) {
        /* The start of a sequence of 1/feedback failures: one step down. */
        if (d->window > 1)
            d->window--;
        d->failure = 1;
    }
    d->failure -= tr->neg_per_conc ? tr->neg_fb / (window > 0 ? window : 1) : tr->neg_fb;
    if (msg_verbose)
        msg_info("%s: concurrency window %d after a failure (failed cohorts %.2f)", d->key,
                 d->window, d->fail_cohorts);
    return 0;
}

static DELIVER_REQUEST *qmgr_req_clone(const DELIVER_REQUEST *env, const char *nexthop)
{
    DELIVER_REQUEST *req = deliver_request_new();
    struct timeval tv;

#define QMGR_COPY(f)          \
    do {                      \
        mem_free(req->f);     \
        req->f = mem_strdup(env->f); \
    } while (0)
    QMGR_COPY(queue_name);
    QMGR_COPY(queue_id);
    QMGR_COPY(encoding);
    QMGR_COPY(sender);
    QMGR_COPY(dsn_envid);
    QMGR_COPY(client_name);
    QMGR_COPY(client_addr);
    QMGR_COPY(client_port);
    QMGR_COPY(proto_name);
    QMGR_COPY(helo_name);
    QMGR_COPY(sasl_method);
    QMGR_COPY(sasl_username);
    QMGR_COPY(sasl_sender);
    QMGR_COPY(log_ident);
    QMGR_COPY(rewrite_context);
#undef QMGR_COPY
    mem_free(req->nexthop);
    req->nexthop = mem_strdup(nexthop);
    req->flags = env->flags;
    req->data_offset = env->data_offset;
    req->data_size = env->data_size;
    req->smtputf8 = env->smtputf8;
    req->dsn_ret = env->dsn_ret;
    req->arrival_sec = env->arrival_sec;
    req->arrival_usec = env->arrival_usec;
    req->active_sec = env->active_sec;
    req->active_usec = env->active_usec;
    gettimeofday(&tv, NULL);
    req->handoff_sec = tv.tv_sec;
    req->handoff_usec = tv.tv_usec;
    return req;
}

static void qmgr_job_free(QMGR_JOB *job)
{
    QMGR_JOB **pp;

    for (pp = &qmgr_jobs; *pp; pp = &(*pp)->next)
        if (*pp == job) {
            *pp = job->next;
            qmgr_njobs--;
            break;
        }
    if (job->s)
        stream_free(job->s);
    else if (job->fd >= 0)
        close(job->fd);
    job->dest->active--;
    job->dest->tr->active--;
    deliver_request_free(job->req);
    mem_free(job->idx);
    mem_free(job);
}

/* The agent failed: every recipient it did not report is deferred by us. */
static void qmgr_job_fail(QMGR_JOB *job, const char *why)
{
    QMGR_MSG *m = job->msg;
    size_t i;

    /*
     * An agent that crashed or timed out says nothing about the next hop:
     * no feedback on the destination's window (as Postfix: a crash is the
     * transport's problem, not the site's).
     */
    msg_warn("%s: delivery via %s failed: %s", m->id, job->dest->key, why);
    for (i = 0; i < job->req->nrcpt; i++)
        qmgr_rcpt_defer(m, job->idx[i], "4.3.0", "unknown mail transport error");
    qmgr_job_free(job);
    qmgr_msg_check_done(m);
}

static void qmgr_job_results(QMGR_JOB *job)
{
    QMGR_MSG *m = job->msg;
    QMGR_DEST *d = job->dest;
    DELIVER_REQUEST *req = job->req;
    char *dead = NULL;
    int window = job->window;
    size_t i;

    if (req->hop_status && *req->hop_status) {
        if (qmgr_dest_failure(d, window))
            dead = mem_strdup(*req->hop_reason ? req->hop_reason : req->hop_status);
    } else {
        qmgr_dest_success(d, window);
    }
    for (i = 0; i < req->nrcpt; i++) {
        switch (req->rcpt[i].status) {
        case DELIVER_RCPT_SENT:
            qmgr_rcpt_set(m, job->idx[i], QMGR_RCPT_DONE);
            break;
        case DELIVER_RCPT_BOUNCED:
            m->logs = 1; /* the agent wrote bounce/ID */
            qmgr_rcpt_set(m, job->idx[i], QMGR_RCPT_DONE);
            break;
        case DELIVER_RCPT_DEFERRED:
            m->logs = 1; /* the agent wrote defer/H/ID */
            qmgr_rcpt_set(m, job->idx[i], QMGR_RCPT_DEFER);
            break;
        default:
            qmgr_rcpt_defer(m, job->idx[i], "4.3.0", "unknown mail transport error");
            break;
        }
    }
    qmgr_job_free(job);
    if (dead) {
        qmgr_dest_kill(d, dead);
        mem_free(dead);
    }
    qmgr_msg_check_done(m);
}

/* A new connection to private/<transport>; the job waits for the announcement. */
static int qmgr_job_connect(QMGR_JOB *job)
{
    const char *name = job->dest->tr->name;
    VSTR *path = vstr_new(0);

    vstr_sprintf(path, "private/%s", name);
    if (strlen(name) > QMGR_NAME_MAX || strchr(name, '/') != NULL)
        errno = EINVAL, job->fd = -1;
    else
        job->fd = unix_connect(vstr_str(path));
    if (job->fd < 0) {
        msg_warn("connect to transport %s: %s", vstr_str(path), strerror(errno));
        vstr_free(path);
        return -1;
    }
    job->s = stream_open(job->fd, STREAM_CLOSE);
    stream_set_limits(job->s, (int) (qmgr_ipc_timeout > 0 ? qmgr_ipc_timeout * 1000 : 60000), 0);
    job->state = QMGR_JOB_ANNOUNCE;
    job->reused = 0;
    job->deadline = time(NULL) + (qmgr_ipc_timeout > 0 ? qmgr_ipc_timeout : 60);
    vstr_free(path);
    return 0;
}

/* Send the request over a kept connection: 0, or -1 when none is usable. */
static int qmgr_job_reuse(QMGR_JOB *job)
{
    QMGR_CONN *c;
    VSTR *why;

    while ((c = qmgr_conn_take(job->dest->tr)) != NULL) {
        job->s = c->s;
        job->fd = stream_fd(c->s);
        mem_free(c);
        why = vstr_new(0);
        if (deliver_request_send_noannounce(job->s, job->req, why) == 0) {
            vstr_free(why);
            job->state = QMGR_JOB_RESULT;
            job->reused = 1;
            job->deadline = time(NULL) + (qmgr_result_timeout > 0 ? qmgr_result_timeout : 1000);
            return 0;
        }
        if (msg_verbose)
            msg_info("kept connection to %s: %s", job->dest->tr->name, vstr_str(why));
        vstr_free(why);
        stream_free(job->s);
        job->s = NULL;
        job->fd = -1;
    }
    return -1;
}

/* Take up to the recipient limit from the destination's first message. */
static void qmgr_job_start(QMGR_DEST *d)
{
    QMGR_ENTRY *e = d->head;
    QMGR_MSG *m = e->msg;
    QMGR_JOB *job = mem_calloc(1, sizeof(*job));
    size_t k, n = e->n - e->pos;

    if (n > (size_t) d->tr->rcpt_limit)
        n = (size_t) d->tr->rcpt_limit;
    job->dest = d;
    job->msg = m;
    job->window = d->window;
    job->fd = -1;
    job->req = qmgr_req_clone(m->env, d->nexthop);
    job->idx = mem_alloc(n * sizeof(*job->idx));
    for (k = 0; k < n; k++) {
        size_t i = e->idx[e->pos++];
        const DELIVER_RCPT *r = &m->env->rcpt[i];

        job->idx[k] = i;
        deliver_request_add_rcpt(job->req, r->orig_addr, r->address, r->offset, r->dsn_orcpt,
                                 r->notify);
        qmgr_rcpt_set(m, i, QMGR_RCPT_BUSY);
    }
    /* Round-robin over messages: a partly used entry goes to the back. */
    d->head = e->next;
    if (d->head == NULL)
        d->tail = NULL;
    e->next = NULL;
    if (e->pos < e->n) {
        if (d->tail)
            d->tail->next = e;
        else
            d->head = e;
        d->tail = e;
    } else {
        qmgr_entry_free(e);
    }
    job->next = qmgr_jobs;
    qmgr_jobs = job;
    qmgr_njobs++;
    d->active++;
    d->tr->active++;
    if (qmgr_job_reuse(job) == 0)
        return;
    if (qmgr_job_connect(job) < 0) {
        for (k = 0; k < n; k++)
            qmgr_rcpt_defer(m, job->idx[k], "4.3.0", "mail transport unavailable");
        qmgr_job_free(job);
        qmgr_dest_kill(d, "mail transport unavailable");
        qmgr_msg_check_done(m);
    }
}

static int qmgr_dest_ready(const QMGR_DEST *d)
{
    return d->head != NULL && !d->dead && d->active < d->window && d->active < d->tr->dest_limit;
}

/* Forget destinations with nothing queued, nothing in flight, not dead. */
static void qmgr_dest_sweep(QMGR_TRANSPORT *tr)
{
    QMGR_DEST **pp = &tr->dests, *d;

    while ((d = *pp) != NULL) {
        if (d->head == NULL && d->active == 0 && !d->dead) {
            *pp = d->next;
            htable_remove(qmgr_dests, d->key);
            qmgr_dest_free(d);
        } else {
            pp = &d->next;
        }
    }
}

void qmgr_sched_run(void)
{
    QMGR_TRANSPORT *tr;
    QMGR_DEST *d, *next, *first;
    int progress;

    for (tr = qmgr_transports; tr; tr = tr->next) {
        qmgr_dest_sweep(tr);
        do {
            progress = 0;
            for (d = tr->dests; d && tr->active < tr->proc_limit; d = next) {
                next = d->next;
                if (qmgr_dest_ready(d)) {
                    qmgr_job_start(d);
                    progress = 1;
                }
            }
            /* Rotate, so that no destination is always served first. */
            if ((first = tr->dests) != NULL && first->next != NULL) {
                tr->dests = first->next;
                first->next = NULL;
                for (d = tr->dests; d->next; d = d->next)
                    /* void */ ;
                d->next = first;
            }
        } while (progress && tr->active < tr->proc_limit);
    }
}

int qmgr_jobs_poll(struct pollfd *pfd, int max, time_t *deadline)
{
    QMGR_TRANSPORT *tr;
    QMGR_CONN *c;
    QMGR_JOB *job;
    int n = 0;

    if (qmgr_poll_cap < qmgr_njobs + qmgr_nconns) {
        qmgr_poll_cap = (qmgr_njobs + qmgr_nconns) * 2;
        qmgr_poll_items = mem_array_grow(qmgr_poll_items, qmgr_poll_cap, sizeof(*qmgr_poll_items));
    }
    for (job = qmgr_jobs; job && n < max; job = job->next) {
        pfd[n].fd = job->fd;
        pfd[n].events = POLLIN;
        pfd[n].revents = 0;
        qmgr_poll_items[n].job = job;
        qmgr_poll_items[n++].conn = NULL;
        if (*deadline == 0 || job->deadline < *deadline)
            *deadline = job->deadline;
    }
    for (tr = qmgr_transports; tr; tr = tr->next)
        for (c = tr->idle; c && n < max; c = c->next) {
            pfd[n].fd = stream_fd(c->s);
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            qmgr_poll_items[n].job = NULL;
            qmgr_poll_items[n++].conn = c;
            if (*deadline == 0 || c->expires < *deadline)
                *deadline = c->expires;
        }
    return n;
}

static void qmgr_job_event(QMGR_JOB *job)
{
    VSTR *why = vstr_new(0);

    stream_read_ready(job->s); /* the event loop's poll(2) said so */
    if (job->state == QMGR_JOB_ANNOUNCE) {
        if (deliver_request_send(job->s, job->req, why) < 0) {
            qmgr_job_fail(job, vstr_str(why));
        } else {
            job->state = QMGR_JOB_RESULT;
            job->deadline = time(NULL) + (qmgr_result_timeout > 0 ? qmgr_result_timeout : 1000);
        }
    } else if (deliver_result_read(job->s, job->req, why) < 0) {
        if (job->reused && stream_eof(job->s) && stream_read_count(job->s) == 0) {
            /*
             * The agent of a kept connection hung up before it answered
             * (it reached max_use or idle time, or died): once more on a
             * new connection. Recipients it marked done before it died
             * may be delivered again (at least once, never lost).
             */
            if (msg_verbose)
                msg_info("%s: kept connection to %s closed: new connection", job->msg->id,
                         job->dest->tr->name);
            stream_free(job->s);
            job->s = NULL;
            job->fd = -1;
            if (qmgr_job_connect(job) < 0)
                qmgr_job_fail(job, "cannot connect to the mail transport");
        } else {
            qmgr_job_fail(job, vstr_str(why));
        }
    } else {
        qmgr_conn_keep(job);
        qmgr_job_results(job);
    }
    vstr_free(why);
}

void qmgr_jobs_events(const struct pollfd *pfd, int n)
{
    int k;

    /* jobs first: a result may keep a connection, which must not be polled now */
    for (k = 0; k < n; k++)
        if (qmgr_poll_items[k].conn != NULL && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
            qmgr_conn_close(qmgr_poll_items[k].conn); /* idle: the agent hung up */
    for (k = 0; k < n; k++)
        if (qmgr_poll_items[k].job != NULL && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
            qmgr_job_event(qmgr_poll_items[k].job);
}

void qmgr_jobs_expire(time_t now)
{
    QMGR_TRANSPORT *tr;
    QMGR_CONN *c, *cnext;
    QMGR_JOB *job, *next;

    for (tr = qmgr_transports; tr; tr = tr->next)
        for (c = tr->idle; c; c = cnext) {
            cnext = c->next;
            if (c->expires <= now)
                qmgr_conn_close(c);
        }

    for (job = qmgr_jobs; job; job = next) {
        next = job->next;
        if (job->deadline <= now)
            qmgr_job_fail(job, job->state == QMGR_JOB_ANNOUNCE
                                   ? "timeout waiting for the agent's announcement"
                                   : "timeout waiting for the delivery result");
    }
}
