/*
 * deliver - the delivery request protocol and what every delivery agent
 * shares. See deliver.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <poll.h>
#include <pwd.h>
#include <time.h>

#include "attr.h"
#include "conf.h"
#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "server.h"
#include "strutil.h"

#define DELIVER_MILLION 1000000L
#define DELIVER_HEAD_MAX (64L * 1024)  /* bytes in the request's first message */

static char *deliver_dup(const char *s)
{
    return mem_strdup(s ? s : "");
}

DELIVER_REQUEST *deliver_request_new(void)
{
    DELIVER_REQUEST *req = mem_calloc(1, sizeof(*req));

    req->flags = DELIVER_FLAG_DEFAULT;
    req->queue_name = deliver_dup("active");
    req->queue_id = deliver_dup("");
    req->nexthop = deliver_dup("");
    req->encoding = deliver_dup("");
    req->sender = deliver_dup("");
    req->dsn_envid = deliver_dup("");
    req->client_name = deliver_dup("");
    req->client_addr = deliver_dup("");
    req->client_port = deliver_dup("");
    req->proto_name = deliver_dup("");
    req->helo_name = deliver_dup("");
    req->sasl_method = deliver_dup("");
    req->sasl_username = deliver_dup("");
    req->sasl_sender = deliver_dup("");
    req->log_ident = deliver_dup("");
    req->rewrite_context = deliver_dup("");
    req->hop_status = deliver_dup("");
    req->hop_reason = deliver_dup("");
    return req;
}

void deliver_request_add_rcpt(DELIVER_REQUEST *req, const char *orig, const char *addr,
                              long offset, const char *dsn_orcpt, int notify)
{
    DELIVER_RCPT *r;

    if (req->nrcpt == req->rcpt_cap) {
        req->rcpt_cap = req->rcpt_cap ? 2 * req->rcpt_cap : 8;
        req->rcpt = mem_array_grow(req->rcpt, req->rcpt_cap, sizeof(*req->rcpt));
    }
    r = &req->rcpt[req->nrcpt++];
    memset(r, 0, sizeof(*r));
    r->orig_addr = deliver_dup(orig);
    r->address = deliver_dup(addr);
    r->offset = offset;
    r->dsn_orcpt = deliver_dup(dsn_orcpt);
    r->notify = notify;
    r->status = DELIVER_RCPT_NONE;
    r->dsn = deliver_dup("");
    r->reason = deliver_dup("");
}

void deliver_request_free(DELIVER_REQUEST *req)
{
    size_t i;

    if (req == NULL)
        return;
    for (i = 0; i < req->nrcpt; i++) {
        mem_free(req->rcpt[i].orig_addr);
        mem_free(req->rcpt[i].address);
        mem_free(req->rcpt[i].dsn_orcpt);
        mem_free(req->rcpt[i].dsn);
        mem_free(req->rcpt[i].reason);
    }
    mem_free(req->rcpt);
    mem_free(req->queue_name);
    mem_free(req->queue_id);
    mem_free(req->nexthop);
    mem_free(req->encoding);
    mem_free(req->sender);
    mem_free(req->dsn_envid);
    mem_free(req->client_name);
    mem_free(req->client_addr);
    mem_free(req->client_port);
    mem_free(req->proto_name);
    mem_free(req->helo_name);
    mem_free(req->sasl_method);
    mem_free(req->sasl_username);
    mem_free(req->sasl_sender);
    mem_free(req->log_ident);
    mem_free(req->rewrite_context);
    mem_free(req->hop_status);
    mem_free(req->hop_reason);
    mem_free(req);
}

static void deliver_set(char **field, const char *value)
{
    mem_free(*field);
    *field = deliver_dup(value);
}

/* ---- the request on the wire ---- */

static void deliver_head_out(ATTR_OUT *l, const DELIVER_REQUEST *req)
{
    size_t n = 0;

    l[n++] = ATTR_OUT_INT("flags", req->flags);
    l[n++] = ATTR_OUT_STR("queue_name", req->queue_name);
    l[n++] = ATTR_OUT_STR("queue_id", req->queue_id);
    l[n++] = ATTR_OUT_LONG("offset", req->data_offset);
    l[n++] = ATTR_OUT_LONG("size", req->data_size);
    l[n++] = ATTR_OUT_STR("nexthop", req->nexthop);
    l[n++] = ATTR_OUT_STR("encoding", req->encoding);
    l[n++] = ATTR_OUT_INT("smtputf8", req->smtputf8);
    l[n++] = ATTR_OUT_STR("sender", req->sender);
    l[n++] = ATTR_OUT_STR("envelope_id", req->dsn_envid);
    l[n++] = ATTR_OUT_INT("ret_flags", req->dsn_ret);
    l[n++] = ATTR_OUT_LONG("arrival_time", req->arrival_sec);
    l[n++] = ATTR_OUT_LONG("arrival_usec", req->arrival_usec);
    l[n++] = ATTR_OUT_LONG("active_time", req->active_sec);
    l[n++] = ATTR_OUT_LONG("active_usec", req->active_usec);
    l[n++] = ATTR_OUT_LONG("handoff_time", req->handoff_sec);
    l[n++] = ATTR_OUT_LONG("handoff_usec", req->handoff_usec);
    l[n++] = ATTR_OUT_STR("log_client_name", req->client_name);
    l[n++] = ATTR_OUT_STR("log_client_address", req->client_addr);
    l[n++] = ATTR_OUT_STR("log_client_port", req->client_port);
    l[n++] = ATTR_OUT_STR("log_protocol_name", req->proto_name);
    l[n++] = ATTR_OUT_STR("log_helo_name", req->helo_name);
    l[n++] = ATTR_OUT_STR("sasl_method", req->sasl_method);
    l[n++] = ATTR_OUT_STR("sasl_username", req->sasl_username);
    l[n++] = ATTR_OUT_STR("sasl_sender", req->sasl_sender);
    l[n++] = ATTR_OUT_STR("log_ident", req->log_ident);
    l[n++] = ATTR_OUT_STR("rewrite_context", req->rewrite_context);
    l[n++] = ATTR_OUT_INT("rcpt_count", (int) req->nrcpt);
    l[n] = ATTR_OUT_END;
}

static void deliver_rcpt_out(ATTR_OUT *l, const DELIVER_RCPT *r)
{
    l[0] = ATTR_OUT_STR("original_recipient", r->orig_addr);
    l[1] = ATTR_OUT_STR("recipient", r->address);
    l[2] = ATTR_OUT_LONG("offset", r->offset);
    l[3] = ATTR_OUT_STR("dsn_orig_rcpt", r->dsn_orcpt);
    l[4] = ATTR_OUT_INT("notify_flags", r->notify);
    l[5] = ATTR_OUT_END;
}

int deliver_request_encode(VSTR *out, const DELIVER_REQUEST *req)
{
    ATTR_OUT l[32];
    size_t i;

    deliver_head_out(l, req);
    attr_encode_list(out, 0, l);
    for (i = 0; i < req->nrcpt; i++) {
        deliver_rcpt_out(l, &req->rcpt[i]);
        attr_encode_list(out, ATTR_MORE, l);
    }
    vstr_addch(out, 0);
    return 0;
}

int deliver_announce_read(STREAM *s, VSTR *why);

int deliver_request_send(STREAM *s, const DELIVER_REQUEST *req, VSTR *why)
{
    if (deliver_announce_read(s, why) < 0)
        return -1;
    return deliver_request_send_noannounce(s, req, why);
}

int deliver_request_send_noannounce(STREAM *s, const DELIVER_REQUEST *req, VSTR *why)
{
    ATTR_OUT l[32];
    size_t i;

    deliver_head_out(l, req);
    if (attr_print_list(s, ATTR_NOFLUSH, l) < 0)
        goto fail;
    for (i = 0; i < req->nrcpt; i++) {
        deliver_rcpt_out(l, &req->rcpt[i]);
        if (attr_print_list(s, ATTR_MORE | ATTR_NOFLUSH, l) < 0)
            goto fail;
    }
    if (attr_print_end(s, 0) < 0)
        goto fail;
    return 0;
fail:
    vstr_sprintf(why, "send request: %s", stream_why(s));
    return -1;
}

int deliver_announce(STREAM *s)
{
    return attr_print(s, 0, ATTR_OUT_STR(ATTR_PROTOCOL, DELIVER_PROTOCOL));
}

int deliver_announce_read(STREAM *s, VSTR *why)
{
    if (attr_scan(s, 0, ATTR_IN_STREQ(ATTR_PROTOCOL, DELIVER_PROTOCOL)) != ATTR_OK) {
        vstr_sprintf(why, "no protocol announcement: %s",
                     stream_why(s)[0] ? stream_why(s) : "connection closed");
        return -1;
    }
    return 0;
}

/* A queue name: a plain word of lower-case letters (no '/', no '.'). */
static int deliver_queue_name_ok(const char *name)
{
    const char *p;

    if (*name == 0 || strlen(name) > DELIVER_NAME_MAX)
        return 0;
    for (p = name; *p; p++)
        if (*p < 'a' || *p > 'z')
            return 0;
    return 1;
}

int deliver_dsn_valid(const char *dsn)
{
    /* d.ddd.ddd with class 2, 4 or 5 */
    const char *p = dsn;
    int part, n;

    if (*p != '2' && *p != '4' && *p != '5')
        return 0;
    p++;
    for (part = 0; part < 2; part++) {
        if (*p++ != '.')
            return 0;
        for (n = 0; *p >= '0' && *p <= '9'; p++)
            n++;
        if (n < 1 || n > 3)
            return 0;
    }
    return *p == 0;
}

static int deliver_check_head(const DELIVER_REQUEST *req, int nrcpt, VSTR *why)
{
    if (req->flags & ~DELIVER_FLAG_ALL)
        vstr_sprintf(why, "unknown request flags 0x%x", (unsigned) req->flags);
    else if (!deliver_queue_name_ok(req->queue_name))
        vstr_set(why, "invalid queue name");
    else if (!queue_id_valid(req->queue_id))
        vstr_set(why, "invalid queue id");
    else if (req->data_offset <= 0 || req->data_size < 0
             || req->data_offset > LONG_MAX - req->data_size)
        vstr_sprintf(why, "%s: bad content offset %ld or size %ld", req->queue_id,
                     req->data_offset, req->data_size);
    else if (req->arrival_sec < 0 || req->active_sec < 0 || req->handoff_sec < 0
             || req->arrival_usec < 0 || req->arrival_usec >= DELIVER_MILLION
             || req->active_usec < 0 || req->active_usec >= DELIVER_MILLION
             || req->handoff_usec < 0 || req->handoff_usec >= DELIVER_MILLION)
        vstr_sprintf(why, "%s: bad time stamps", req->queue_id);
    else if (nrcpt <= 0 || nrcpt > DELIVER_RCPT_MAX)
        vstr_sprintf(why, "%s: bad recipient count %d (1..%d)", req->queue_id, nrcpt,
                     DELIVER_RCPT_MAX);
    else
        return 0;
    return -1;
}

#define HEAD_STR(name, field, max) ATTR_IN_STR(name, v[field], max)
enum {
    V_QNAME, V_QID, V_NEXTHOP, V_ENC, V_SENDER, V_ENVID, V_CNAME, V_CADDR, V_CPORT,
    V_PROTO, V_HELO, V_SMETH, V_SUSER, V_SSEND, V_IDENT, V_RWR, V_COUNT
};

DELIVER_REQUEST *deliver_request_read_noannounce(STREAM *s, int timeout_ms, VSTR *why)
{
    DELIVER_REQUEST *req = deliver_request_new();
    VSTR *v[V_COUNT];
    VSTR *orig = vstr_new(0), *addr = vstr_new(0), *orcpt = vstr_new(0);
    int nrcpt = 0, i, st, ok = 0;
    long off;
    int notify;

    for (i = 0; i < V_COUNT; i++)
        v[i] = vstr_new(0);
    stream_set_limits(s, timeout_ms, DELIVER_HEAD_MAX);
    st = attr_scan(s, 0,
                   ATTR_IN_INT("flags", &req->flags),
                   HEAD_STR("queue_name", V_QNAME, DELIVER_NAME_MAX),
                   HEAD_STR("queue_id", V_QID, QUEUE_ID_MAXLEN),
                   ATTR_IN_LONG("offset", &req->data_offset),
                   ATTR_IN_LONG("size", &req->data_size),
                   HEAD_STR("nexthop", V_NEXTHOP, DELIVER_TEXT_MAX),
                   HEAD_STR("encoding", V_ENC, DELIVER_TEXT_MAX),
                   ATTR_IN_INT("smtputf8", &req->smtputf8),
                   HEAD_STR("sender", V_SENDER, DELIVER_ADDR_MAX),
                   HEAD_STR("envelope_id", V_ENVID, DELIVER_TEXT_MAX),
                   ATTR_IN_INT("ret_flags", &req->dsn_ret),
                   ATTR_IN_LONG("arrival_time", &req->arrival_sec),
                   ATTR_IN_LONG("arrival_usec", &req->arrival_usec),
                   ATTR_IN_LONG("active_time", &req->active_sec),
                   ATTR_IN_LONG("active_usec", &req->active_usec),
                   ATTR_IN_LONG("handoff_time", &req->handoff_sec),
                   ATTR_IN_LONG("handoff_usec", &req->handoff_usec),
                   HEAD_STR("log_client_name", V_CNAME, DELIVER_TEXT_MAX),
                   HEAD_STR("log_client_address", V_CADDR, DELIVER_TEXT_MAX),
                   HEAD_STR("log_client_port", V_CPORT, DELIVER_TEXT_MAX),
                   HEAD_STR("log_protocol_name", V_PROTO, DELIVER_TEXT_MAX),
                   HEAD_STR("log_helo_name", V_HELO, DELIVER_TEXT_MAX),
                   HEAD_STR("sasl_method", V_SMETH, DELIVER_TEXT_MAX),
                   HEAD_STR("sasl_username", V_SUSER, DELIVER_TEXT_MAX),
                   HEAD_STR("sasl_sender", V_SSEND, DELIVER_ADDR_MAX),
                   HEAD_STR("log_ident", V_IDENT, DELIVER_TEXT_MAX),
                   HEAD_STR("rewrite_context", V_RWR, DELIVER_TEXT_MAX),
                   ATTR_IN_INT("rcpt_count", &nrcpt));
    if (st != ATTR_OK) {
        vstr_sprintf(why, "bad request: %s",
                     st == ATTR_EOF ? "connection closed" : stream_why(s));
        goto out;
    }
    deliver_set(&req->queue_name, vstr_str(v[V_QNAME]));
    deliver_set(&req->queue_id, vstr_str(v[V_QID]));
    deliver_set(&req->nexthop, vstr_str(v[V_NEXTHOP]));
    deliver_set(&req->encoding, vstr_str(v[V_ENC]));
    deliver_set(&req->sender, vstr_str(v[V_SENDER]));
    deliver_set(&req->dsn_envid, vstr_str(v[V_ENVID]));
    deliver_set(&req->client_name, vstr_str(v[V_CNAME]));
    deliver_set(&req->client_addr, vstr_str(v[V_CADDR]));
    deliver_set(&req->client_port, vstr_str(v[V_CPORT]));
    deliver_set(&req->proto_name, vstr_str(v[V_PROTO]));
    deliver_set(&req->helo_name, vstr_str(v[V_HELO]));
    deliver_set(&req->sasl_method, vstr_str(v[V_SMETH]));
    deliver_set(&req->sasl_username, vstr_str(v[V_SUSER]));
    deliver_set(&req->sasl_sender, vstr_str(v[V_SSEND]));
    deliver_set(&req->log_ident, vstr_str(v[V_IDENT]));
    deliver_set(&req->rewrite_context, vstr_str(v[V_RWR]));
    if (deliver_check_head(req, nrcpt, why) < 0)
        goto out;
    /* The recipients: exactly nrcpt groups, then the terminator. */
    /* The groups are one message: the limit covers them all. */
    stream_set_limits(s, timeout_ms, (size_t) nrcpt * (3 * DELIVER_ADDR_MAX + 128) + 1);
    for (i = 0; i <= nrcpt; i++) {
        st = attr_scan(s, ATTR_MORE,
                       ATTR_IN_STR("original_recipient", orig, DELIVER_ADDR_MAX),
                       ATTR_IN_STR("recipient", addr, DELIVER_ADDR_MAX),
                       ATTR_IN_LONG("offset", &off),
                       ATTR_IN_STR("dsn_orig_rcpt", orcpt, DELIVER_ADDR_MAX),
                       ATTR_IN_INT("notify_flags", &notify));
        if (st == ATTR_ENDED && i == nrcpt)
            break;
        if (st == ATTR_ENDED) {
            vstr_sprintf(why, "%s: %d recipients announced, %d sent", req->queue_id, nrcpt, i);
            goto out;
        }
        if (st != ATTR_OK) {
            vstr_sprintf(why, "%s: bad recipient: %s", req->queue_id,
                         st == ATTR_EOF ? "connection closed" : stream_why(s));
            goto out;
        }
        if (i == nrcpt) {
            vstr_sprintf(why, "%s: more than %d recipients", req->queue_id, nrcpt);
            goto out;
        }
        if (vstr_len(addr) == 0 || off <= 0 || notify < 0 || notify > 0xff
            || strlen(vstr_str(addr)) != vstr_len(addr)) {
            vstr_sprintf(why, "%s: bad recipient %d", req->queue_id, i + 1);
            goto out;
        }
        deliver_request_add_rcpt(req, vstr_str(orig), vstr_str(addr), off, vstr_str(orcpt),
                                 notify);
    }
    ok = 1;
out:
    for (i = 0; i < V_COUNT; i++)
        vstr_free(v[i]);
    vstr_free(orig);
    vstr_free(addr);
    vstr_free(orcpt);
    if (!ok) {
        deliver_request_free(req);
        return NULL;
    }
    return req;
}

DELIVER_REQUEST *deliver_request_read(STREAM *s, int timeout_ms, VSTR *why)
{
    if (deliver_announce(s) < 0) {
        vstr_sprintf(why, "announce: %s", stream_why(s));
        return NULL;
    }
    return deliver_request_read_noannounce(s, timeout_ms, why);
}

/* ---- the result ---- */

void deliver_rcpt_result(DELIVER_REQUEST *req, size_t i, int status, const char *dsn,
                         const char *reason)
{
    if (i >= req->nrcpt)
        msg_panic("deliver_rcpt_result: recipient %zu of %zu", i, req->nrcpt);
    req->rcpt[i].status = status;
    deliver_set(&req->rcpt[i].dsn, dsn);
    deliver_set(&req->rcpt[i].reason, reason);
}

static int deliver_result_print(STREAM *s, DELIVER_REQUEST *req, int flush);

int deliver_result_send(STREAM *s, DELIVER_REQUEST *req)
{
    return deliver_result_print(s, req, 1);
}

/* The result; left in the stream's buffer unless flush. */
static int deliver_result_print(STREAM *s, DELIVER_REQUEST *req, int flush)
{
    size_t i;
    int status = DELIVER_STAT_OK;

    for (i = 0; i < req->nrcpt; i++)
        if (req->rcpt[i].status != DELIVER_RCPT_SENT && req->rcpt[i].status != DELIVER_RCPT_BOUNCED)
            status = DELIVER_STAT_DEFER;
    req->status = status;
    if (attr_print(s, ATTR_NOFLUSH, ATTR_OUT_INT("status", status),
                   ATTR_OUT_STR("hop_status", req->hop_status),
                   ATTR_OUT_STR("hop_reason", req->hop_reason),
                   ATTR_OUT_INT("rcpt_count", (int) req->nrcpt)) < 0)
        return -1;
    for (i = 0; i < req->nrcpt; i++)
        if (attr_print(s, ATTR_MORE | ATTR_NOFLUSH, ATTR_OUT_LONG("offset", req->rcpt[i].offset),
                       ATTR_OUT_INT("rcpt_status", req->rcpt[i].status),
                       ATTR_OUT_STR("dsn", req->rcpt[i].dsn),
                       ATTR_OUT_STR("reason", req->rcpt[i].reason)) < 0)
            return -1;
    return attr_print_end(s, flush ? 0 : ATTR_NOFLUSH);
}

int deliver_result_read(STREAM *s, DELIVER_REQUEST *req, VSTR *why)
{
    VSTR *hs = vstr_new(0), *hr = vstr_new(0), *dsn = vstr_new(0), *reason = vstr_new(0);
    int status = 0, count = 0, rst = 0, st, ret = -1;
    long off = 0;
    size_t i;

    st = attr_scan(s, 0, ATTR_IN_INT("status", &status),
                   ATTR_IN_STR("hop_status", hs, 16),
                   ATTR_IN_STR("hop_reason", hr, DELIVER_REASON_MAX),
                   ATTR_IN_INT("rcpt_count", &count));
    if (st != ATTR_OK) {
        vstr_sprintf(why, "no result: %s", st == ATTR_EOF ? "connection closed" : stream_why(s));
        goto out;
    }
    if ((status != DELIVER_STAT_OK && status != DELIVER_STAT_DEFER) || count < 0
        || (size_t) count != req->nrcpt || (vstr_len(hs) && !deliver_dsn_valid(vstr_str(hs)))) {
        vstr_sprintf(why, "bad result: status %d, %d recipients for %zu", status, count,
                     req->nrcpt);
        goto out;
    }
    req->status = status;
    deliver_set(&req->hop_status, vstr_str(hs));
    deliver_set(&req->hop_reason, vstr_str(hr));
    for (i = 0; i <= req->nrcpt; i++) {
        st = attr_scan(s, ATTR_MORE, ATTR_IN_LONG("offset", &off),
                       ATTR_IN_INT("rcpt_status", &rst), ATTR_IN_STR("dsn", dsn, 16),
                       ATTR_IN_STR("reason", reason, DELIVER_REASON_MAX));
        if (st == ATTR_ENDED && i == req->nrcpt)
            break;
        if (st != ATTR_OK || i == req->nrcpt) {
            vstr_sprintf(why, "bad result for recipient %zu: %s", i + 1,
                         st == ATTR_OK ? "too many" : st == ATTR_ENDED ? "missing" : stream_why(s));
            goto out;
        }
        if (off != req->rcpt[i].offset || rst < DELIVER_RCPT_NONE || rst > DELIVER_RCPT_BOUNCED
            || (vstr_len(dsn) && !deliver_dsn_valid(vstr_str(dsn)))) {
            vstr_sprintf(why, "bad result for recipient %zu", i + 1);
            goto out;
        }
        deliver_rcpt_result(req, i, rst, vstr_str(dsn), vstr_str(reason));
    }
    ret = 0;
out:
    vstr_free(hs);
    vstr_free(hr);
    vstr_free(dsn);
    vstr_free(reason);
    return ret;
}

const char *deliver_rcpt_status_name(int status)
{
    switch (status) {
    case DELIVER_RCPT_SENT:
        return "sent";
    case DELIVER_RCPT_DEFERRED:
        return "deferred";
    case DELIVER_RCPT_BOUNCED:
        return "bounced";
    default:
        return "none";
    }
}

/* ---- the queue file ---- */

QFILE_READER *deliver_open_queue_file(const DELIVER_REQUEST *req, int *fd, VSTR *why)
{
    VSTR *path = vstr_new(0);
    struct stat st;
    QFILE_READER *r = NULL;
    size_t i;

    *fd = -1;
    if (!deliver_queue_name_ok(req->queue_name) || !queue_id_valid(req->queue_id)) {
        vstr_set(why, "invalid queue name or id");
        goto out;
    }
    vstr_sprintf(path, "%s/%s", req->queue_name, req->queue_id);
    if ((*fd = open(vstr_str(path), O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        vstr_sprintf(why, "open %s: %s", vstr_str(path), strerror(errno));
        goto out;
    }
    if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
        vstr_sprintf(why, "%s: not a regular queue file", vstr_str(path));
        goto fail;
    }
    if (!(st.st_mode & S_IXUSR)) {
        vstr_sprintf(why, "%s: queue file is not complete", vstr_str(path));
        goto fail;
    }
    if (req->data_offset > (long) st.st_size || req->data_size > (long) st.st_size - req->data_offset) {
        vstr_sprintf(why, "%s: content offset %ld size %ld outside the file (%ld bytes)",
                     vstr_str(path), req->data_offset, req->data_size, (long) st.st_size);
        goto fail;
    }
    for (i = 0; i < req->nrcpt; i++)
        if (req->rcpt[i].offset >= (long) st.st_size) {
            vstr_sprintf(why, "%s: recipient offset %ld outside the file", vstr_str(path),
                         req->rcpt[i].offset);
            goto fail;
        }
    r = qfile_reader_open_sized(*fd, vstr_str(path), QFILE_READ_RAW | QFILE_READ_FOLLOW,
                                (long) st.st_size);
    if (qfile_reader_rewind(r, req->data_offset) < 0) {
        vstr_sprintf(why, "%s", qfile_reader_error(r));
        qfile_reader_free(r);
        r = NULL;
        goto fail;
    }
    goto out;
fail:
    close(*fd);
    *fd = -1;
out:
    vstr_free(path);
    return r;
}

/* ---- logging ---- */

/*
 * A delay with two significant digits and at most max_decimals decimals,
 * rounded half up, trailing zeros dropped: 0, 0.01, 0.5, 1.2, 12, 345.
 */
void deliver_format_delay(VSTR *out, long sec, long usec, int max_decimals)
{
    long unit = DELIVER_MILLION;  /* the resolution, in microseconds */
    long digit_unit;
    int d;

    if (sec < 0 || usec < 0) {
        sec = 0;
        usec = 0;
    }
    if (max_decimals < 0)
        max_decimals = 0;
    if (max_decimals > 6)
        max_decimals = 6;
    for (d = 0; d < max_decimals; d++)
        unit /= 10;
    if (sec >= 10)
        unit = DELIVER_MILLION;             /* two digits before the point */
    else if (sec >= 1 && unit < DELIVER_MILLION / 10)
        unit = DELIVER_MILLION / 10;        /* one after it */
    else if (sec == 0)
        while (unit < DELIVER_MILLION / 10 && usec >= 100 * unit)
            unit *= 10;                     /* two significant digits */
    if (unit > 1) {
        usec += unit / 2;
        if (usec >= DELIVER_MILLION) {
            sec += usec / DELIVER_MILLION;
            usec %= DELIVER_MILLION;
        }
    }
    vstr_printf(out, "%ld", sec);
    if (usec >= unit && unit < DELIVER_MILLION) {
        vstr_addch(out, '.');
        for (digit_unit = DELIVER_MILLION / 10; digit_unit >= unit && usec >= unit;
             digit_unit /= 10) {
            vstr_addch(out, (char) ('0' + usec / digit_unit));
            usec %= digit_unit;
        }
    }
}

/* b - a in seconds and microseconds, never negative. */
static void deliver_delta(long bs, long bu, long as, long au, long *s, long *u)
{
    *s = bs - as;
    *u = bu - au;
    if (*u < 0) {
        *u += DELIVER_MILLION;
        *s -= 1;
    }
    if (*s < 0)
        *s = *u = 0;
}

void deliver_log_line(VSTR *out, const DELIVER_REQUEST *req, size_t i, const DELIVER_TIMES *t,
                      long now_sec, long now_usec, const char *dsn, const char *status,
                      const char *reason)
{
    const DELIVER_RCPT *r = &req->rcpt[i];
    long s, u, hs = req->handoff_sec, hu = req->handoff_usec;
    int res = t->resolution;

    if (i >= req->nrcpt)
        msg_panic("deliver_log_line: recipient %zu of %zu", i, req->nrcpt);
    if (hs == 0) {
        hs = t->start_sec;
        hu = t->start_usec;
    }
    vstr_printf(out, "%s: to=<%s>", req->queue_id, r->address);
    if (r->orig_addr[0] && strcasecmp(r->orig_addr, r->address) != 0)
        vstr_printf(out, ", orig_to=<%s>", r->orig_addr);
    vstr_printf(out, ", relay=%s, delay=", t->relay ? t->relay : "none");
    deliver_delta(now_sec, now_usec, req->arrival_sec, req->arrival_usec, &s, &u);
    deliver_format_delay(out, s, u, res);
    vstr_adds(out, ", delays=");
    if (req->active_sec) {
        deliver_delta(req->active_sec, req->active_usec, req->arrival_sec, req->arrival_usec,
                      &s, &u);
        deliver_format_delay(out, s, u, res);
        vstr_addch(out, '/');
        deliver_delta(hs, hu, req->active_sec, req->active_usec, &s, &u);
        deliver_format_delay(out, s, u, res);
    } else {
        deliver_delta(hs, hu, req->arrival_sec, req->arrival_usec, &s, &u);
        deliver_format_delay(out, s, u, res);
        vstr_adds(out, "/0");
    }
    vstr_addch(out, '/');
    if (t->conn_sec) {
        deliver_delta(t->conn_sec, t->conn_usec, hs, hu, &s, &u);
        deliver_format_delay(out, s, u, res);
        vstr_addch(out, '/');
        deliver_delta(now_sec, now_usec, t->conn_sec, t->conn_usec, &s, &u);
    } else {
        vstr_adds(out, "0/");
        deliver_delta(now_sec, now_usec, hs, hu, &s, &u);
    }
    deliver_format_delay(out, s, u, res);
    vstr_printf(out, ", dsn=%s, status=%s (%s)", dsn, status, reason);
}

void deliver_times_init(DELIVER_TIMES *t, const char *relay, int resolution)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    t->start_sec = tv.tv_sec;
    t->start_usec = tv.tv_usec;
    t->conn_sec = t->conn_usec = 0;
    t->relay = relay;
    t->resolution = resolution;
}

static void deliver_log(const DELIVER_REQUEST *req, size_t i, const DELIVER_TIMES *t,
                        const char *dsn, const char *status, const char *reason)
{
    VSTR *line = vstr_new(0);
    struct timeval tv;

    gettimeofday(&tv, NULL);
    deliver_log_line(line, req, i, t, tv.tv_sec, tv.tv_usec, dsn, status, reason);
    msg_info("%s", vstr_str(line));
    vstr_free(line);
}

/* name=value and a newline, control characters made '?' (one line each). */
static void deliver_log_field(VSTR *rec, const char *name, const char *value)
{
    const unsigned char *p;

    vstr_adds(rec, name);
    for (p = (const unsigned char *) value; *p; p++)
        vstr_addch(rec, *p < 0x20 || *p == 0x7f ? '?' : (char) *p);
    vstr_addch(rec, '\n');
}

/*
 * Append one recipient's record to bounce/ID or defer/H/ID (as the bounce
 * daemon keeps them): one write(2) on an O_APPEND descriptor, then fsync.
 */
/*
 * A root agent (local) writes a status log that the bounce daemon, as
 * mail_owner, must read and remove: hand the file (and a hash folder it
 * may just have made; dirlen > 0 strips "/ID" from path) to mail_owner.
 */
static void deliver_log_chown(int fd, const char *path, size_t dirlen)
{
    struct passwd *pw = getpwnam(conf_get("mail_owner"));

    if (pw == NULL) {
        msg_warn("%s: unknown mail_owner %s", path, conf_get("mail_owner"));
        return;
    }
    if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
        msg_warn("chown %s: %m", path);
    if (dirlen > 0 && dirlen < strlen(path)) {
        VSTR *dir = vstr_new(0);

        vstr_addmem(dir, path, strlen(path) - dirlen);
        if (chown(vstr_str(dir), pw->pw_uid, pw->pw_gid) < 0)
            msg_warn("chown %s: %m", vstr_str(dir));
        vstr_free(dir);
    }
}

static int deliver_status_log_in(const DELIVER_REQUEST *req, size_t i, const char *queue,
                                 const char *action, const char *dsn, const char *reason,
                                 VSTR *why)
{
    const DELIVER_RCPT *r = &req->rcpt[i];
    int depth = (int) conf_get_int("hash_queue_depth");
    VSTR *path = vstr_new(0), *rec = vstr_new(0);
    int fd = -1, ret = -1;
    ssize_t n;

    if (i >= req->nrcpt || !queue_id_valid(req->queue_id))
        msg_panic("deliver_status_log: recipient %zu of %zu, or a bad queue id", i, req->nrcpt);
    if (!queue_id_is_hashed(queue, conf_get("hash_queue_names")))
        depth = 0;
    if (depth < 0 || depth > QUEUE_ID_MAX_DEPTH)
        depth = 1;
    vstr_addch(rec, '\n');
    vstr_sprintf(path, "<%s>: %s", r->address, reason);
    deliver_log_field(rec, "", vstr_str(path));
    deliver_log_field(rec, "recipient=", r->address);
    if (r->orig_addr[0])
        deliver_log_field(rec, "orig_rcpt=", r->orig_addr);
    vstr_printf(rec, "offset=%ld\n", r->offset);
    if (r->dsn_orcpt[0])
        deliver_log_field(rec, "dsn_orig_rcpt=", r->dsn_orcpt);
    if (r->notify)
        vstr_printf(rec, "notify_flags=%d\n", r->notify);
    deliver_log_field(rec, "status=", dsn);
    deliver_log_field(rec, "action=", action);
    if (req->remote_mta && req->remote_diag_type && req->remote_reply) {
        deliver_log_field(rec, "diag_type=", req->remote_diag_type);
        deliver_log_field(rec, "diag_text=", req->remote_reply);
        deliver_log_field(rec, "mta_type=", "dns");
        deliver_log_field(rec, "mta_mname=", req->remote_mta);
    }
    deliver_log_field(rec, "reason=", reason);
    vstr_addch(rec, '\n');     /* Postfix's readers end a record at the empty line after it */
    queue_id_path(path, queue, req->queue_id, depth);
    fd = open(vstr_str(path), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT && depth > 0) {
        VSTR *dir = vstr_new(0);

        vstr_addmem(dir, vstr_str(path), vstr_len(path) - strlen(req->queue_id) - 1);
        if (mkdir(vstr_str(dir), 0700) < 0 && errno != EEXIST)
            msg_warn("mkdir %s: %m", vstr_str(dir));
        vstr_free(dir);
        fd = open(vstr_str(path), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0) {
        vstr_sprintf(why, "open %s: %s", vstr_str(path), strerror(errno));
        goto out;
    }
    if (geteuid() == 0)
        deliver_log_chown(fd, vstr_str(path), depth > 0 ? strlen(req->queue_id) + 1 : 0);
    n = write(fd, vstr_str(rec), vstr_len(rec));
    if (n != (ssize_t) vstr_len(rec) || fsync(fd) < 0) {
        vstr_sprintf(why, "write %s: %s", vstr_str(path), n < 0 ? strerror(errno) : "short write");
        goto out;
    }
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    vstr_free(path);
    vstr_free(rec);
    return ret;
}

int deliver_status_log(const DELIVER_REQUEST *req, size_t i, const char *action,
                       const char *dsn, const char *reason, VSTR *why)
{
    const char *queue;

    /* The log directories keep Postfix's names: bounce/, defer/, trace/. */
    if (strcmp(action, "failed") == 0)
        queue = "bounce";
    else if (strcmp(action, "delayed") == 0)
        queue = "defer";
    else
        queue = "trace";
    return deliver_status_log_in(req, i, queue, action, dsn, reason, why);
}

int deliver_trace_log(const DELIVER_REQUEST *req, size_t i, const char *action,
                      const char *dsn, const char *reason, VSTR *why)
{
    return deliver_status_log_in(req, i, "trace", action, dsn, reason, why);
}

void deliver_trace_record(const DELIVER_REQUEST *req, size_t i, const char *action,
                          const char *dsn, const char *reason)
{
    VSTR *why;

    if (!(req->flags & DELIVER_FLAG_RECORD))
        return;
    why = vstr_new(0);
    if (deliver_trace_log(req, i, action, dsn, reason, why) < 0)
        msg_warn("%s: trace record for %s: %s", req->queue_id, req->rcpt[i].address,
                 vstr_str(why));
    vstr_free(why);
}

int deliver_probe_record(const DELIVER_REQUEST *req, size_t i, const char *action,
                         const char *relay, const char *dsn, const char *reason)
{
    VSTR *text = vstr_new(0), *why = vstr_new(0);
    int ret;

    /* Postfix's wording of the report: what would happen, and through whom. */
    if (relay && *relay && strcmp(relay, "none") != 0)
        vstr_sprintf(text, "delivery via %s: ", relay);
    vstr_adds(text, reason);
    if ((ret = deliver_trace_log(req, i, action, dsn, vstr_str(text), why)) < 0)
        msg_warn("%s: verification record for %s: %s", req->queue_id, req->rcpt[i].address,
                 vstr_str(why));
    vstr_free(text);
    vstr_free(why);
    return ret;
}

/*
 * sendmail -bv: the answer for recipient i instead of its delivery (status:
 * what the delivery would have been): a trace record, the log line, the
 * mark (sent or bounced) and the result.
 */
static int deliver_rcpt_probe(DELIVER_REQUEST *req, int qfd, size_t i, int status,
                              const char *dsn, const char *reason, const DELIVER_TIMES *t)
{
    const char *action = status == DELIVER_RCPT_SENT ? "deliverable" : "undeliverable";
    int mark = status == DELIVER_RCPT_SENT      ? (req->flags & DELIVER_FLAG_SUCCESS)
               : status == DELIVER_RCPT_BOUNCED ? (req->flags & DELIVER_FLAG_BOUNCE)
                                                : 0;

    if (deliver_probe_record(req, i, action, t->relay, dsn, reason) < 0) {
        /* no record, no answer: the recipient stays undone */
        deliver_log(req, i, t, "4.3.0", "deferred", "cannot write the verification record");
        deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, "4.3.0",
                            "cannot write the verification record");
        return -1;
    }
    if (mark && qfd >= 0 && qfile_mark_done(qfd, req->rcpt[i].offset) < 0) {
        msg_warn("%s: cannot mark recipient %s done at offset %ld: %m", req->queue_id,
                 req->rcpt[i].address, req->rcpt[i].offset);
        status = DELIVER_RCPT_DEFERRED;
    }
    deliver_log(req, i, t, dsn, action, reason);
    deliver_rcpt_result(req, i, status, dsn, reason);
    return 0;
}

int deliver_rcpt_sent(DELIVER_REQUEST *req, int qfd, size_t i, const char *dsn,
                      const char *reason, const DELIVER_TIMES *t)
{
    if (i >= req->nrcpt)
        msg_panic("deliver_rcpt_sent: recipient %zu of %zu", i, req->nrcpt);
    if (req->flags & DELIVER_FLAG_USR_VRFY)
        return deliver_rcpt_probe(req, qfd, i, DELIVER_RCPT_SENT, dsn, reason, t);
    if ((req->flags & DELIVER_FLAG_SUCCESS) && qfile_mark_done(qfd, req->rcpt[i].offset) < 0) {
        msg_warn("%s: cannot mark recipient %s done at offset %ld: %m", req->queue_id,
                 req->rcpt[i].address, req->rcpt[i].offset);
        /* Delivered, but not marked: it may be delivered again; say so. */
        deliver_log(req, i, t, "4.3.0", "deferred", "cannot update the queue file");
        deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, "4.3.0", "cannot update the queue file");
        return -1;
    }
    deliver_log(req, i, t, dsn, "sent", reason);
    deliver_rcpt_result(req, i, DELIVER_RCPT_SENT, dsn, reason);
    if ((req->rcpt[i].notify & DELIVER_NOTIFY_SUCCESS) || (req->flags & DELIVER_FLAG_RECORD)) {
        /* NOTIFY=SUCCESS or sendmail -v: a trace record (delivered). */
        VSTR *why = vstr_new(0);

        if (deliver_trace_log(req, i, req->success_action ? req->success_action : "delivered",
                              dsn, reason, why) < 0)
            msg_warn("%s: %s", req->queue_id, vstr_str(why));
        vstr_free(why);
    }
    return 0;
}

int deliver_rcpt_defer(DELIVER_REQUEST *req, size_t i, const char *dsn, const char *reason,
                       const DELIVER_TIMES *t)
{
    VSTR *why = vstr_new(0);
    int ret = 0;

    if (i >= req->nrcpt)
        msg_panic("deliver_rcpt_defer: recipient %zu of %zu", i, req->nrcpt);
    if (req->flags & DELIVER_FLAG_USR_VRFY) {
        vstr_free(why);
        return deliver_rcpt_probe(req, -1, i, DELIVER_RCPT_DEFERRED, dsn, reason, t);
    }
    deliver_trace_record(req, i, "delayed", dsn, reason);
    if (deliver_status_log(req, i, "delayed", dsn, reason, why) < 0) {
        msg_warn("%s: %s", req->queue_id, vstr_str(why));
        ret = -1;
    }
    deliver_log(req, i, t, dsn, "deferred", reason);
    deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, dsn, reason);
    vstr_free(why);
    return ret;
}

int deliver_rcpt_bounce(DELIVER_REQUEST *req, int qfd, size_t i, const char *dsn,
                        const char *reason, const DELIVER_TIMES *t)
{
    VSTR *why = vstr_new(0);
    int ret = 0;

    if (i >= req->nrcpt)
        msg_panic("deliver_rcpt_bounce: recipient %zu of %zu", i, req->nrcpt);
    if (req->flags & DELIVER_FLAG_USR_VRFY) {
        vstr_free(why);
        return deliver_rcpt_probe(req, qfd, i, DELIVER_RCPT_BOUNCED, dsn, reason, t);
    }
    if (deliver_status_log(req, i, "failed", dsn, reason, why) < 0) {
        /* No bounce record, no bounce: try again later. */
        msg_warn("%s: %s", req->queue_id, vstr_str(why));
        vstr_sprintf(why, "bounce failed: %s", reason);
        deliver_log(req, i, t, "4.3.0", "deferred", vstr_str(why));
        deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, "4.3.0", vstr_str(why));
        ret = -1;
    } else if ((req->flags & DELIVER_FLAG_BOUNCE) && qfile_mark_done(qfd, req->rcpt[i].offset) < 0) {
        msg_warn("%s: cannot mark recipient %s done at offset %ld: %m", req->queue_id,
                 req->rcpt[i].address, req->rcpt[i].offset);
        deliver_log(req, i, t, "4.3.0", "deferred", "cannot update the queue file");
        deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, "4.3.0", "cannot update the queue file");
        ret = -1;
    } else {
        deliver_trace_record(req, i, "failed", dsn, reason);
        deliver_log(req, i, t, dsn, "bounced", reason);
        deliver_rcpt_result(req, i, DELIVER_RCPT_BOUNCED, dsn, reason);
    }
    vstr_free(why);
    return ret;
}

/* ---- what qmgr reads from the queue file ---- */

static void deliver_load_attr(DELIVER_REQUEST *req, const char *name, const char *value,
                              char **orcpt, int *notify)
{
    static const struct {
        const char *name;
        size_t field;
    } fields[] = {
        { "log_client_name", offsetof(DELIVER_REQUEST, client_name) },
        { "log_client_address", offsetof(DELIVER_REQUEST, client_addr) },
        { "log_client_port", offsetof(DELIVER_REQUEST, client_port) },
        { "log_protocol_name", offsetof(DELIVER_REQUEST, proto_name) },
        { "log_helo_name", offsetof(DELIVER_REQUEST, helo_name) },
        { "sasl_method", offsetof(DELIVER_REQUEST, sasl_method) },
        { "sasl_username", offsetof(DELIVER_REQUEST, sasl_username) },
        { "sasl_sender", offsetof(DELIVER_REQUEST, sasl_sender) },
        { "log_ident", offsetof(DELIVER_REQUEST, log_ident) },
        { "rewrite_context", offsetof(DELIVER_REQUEST, rewrite_context) },
        { "encoding", offsetof(DELIVER_REQUEST, encoding) },
        { "envelope_id", offsetof(DELIVER_REQUEST, dsn_envid) },
    };
    size_t k;
    long n;

    if (strcmp(name, "dsn_orig_rcpt") == 0) {
        deliver_set(orcpt, value);
    } else if (strcmp(name, "notify_flags") == 0) {
        *notify = str_parse_long(value, 0, 0xff, &n) == 0 ? (int) n : 0;
    } else if (strcmp(name, "ret_flags") == 0) {
        req->dsn_ret = str_parse_long(value, 0, 0xff, &n) == 0 ? (int) n : 0;
    } else {
        for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
            if (strcmp(name, fields[k].name) == 0) {
                deliver_set((char **) ((char *) req + fields[k].field), value);
                break;
            }
    }
}

int deliver_request_load(DELIVER_REQUEST *req, QFILE_READER *r, VSTR *why)
{
    return deliver_request_load_range(req, r, -1, 0, NULL, NULL, why);
}

int deliver_request_load_range(DELIVER_REQUEST *req, QFILE_READER *r, long after, size_t limit,
                               size_t *total, int *more, VSTR *why)
{
    QFILE_REC rec;
    QFILE_SIZE size;
    char *orig = deliver_dup(""), *orcpt = deliver_dup("");
    int notify = 0, st, have_size = 0, ret = -1;
    size_t undone = 0;
    long n;

    if (more)
        *more = 0;

    while ((st = qfile_read(r, &rec)) > 0) {
        char *data, *name, *value;
        const char *err;

        if (strlen(rec.data) != rec.len && rec.type != QREC_NORM && rec.type != QREC_CONT) {
            vstr_sprintf(why, "%s: offset %ld: a NUL byte in a record",
                         qfile_reader_name(r), rec.offset);
            goto out;
        }
        switch (rec.type) {
        case QREC_SIZE:
            if (qfile_size_parse(rec.data, &size) < 0 || size.data_offset <= 0
                || size.data_size < 0) {
                vstr_sprintf(why, "%s: bad size record", qfile_reader_name(r));
                goto out;
            }
            req->data_offset = size.data_offset;
            req->data_size = size.data_size;
            req->smtputf8 = (int) size.smtputf8;
            have_size = 1;
            break;
        case QREC_TIME:
            if (sscanf(rec.data, "%ld %ld", &req->arrival_sec, &req->arrival_usec) < 1
                || req->arrival_sec < 0 || req->arrival_usec < 0
                || req->arrival_usec >= DELIVER_MILLION) {
                req->arrival_sec = req->arrival_usec = 0;
                vstr_sprintf(why, "%s: bad time record", qfile_reader_name(r));
                goto out;
            }
            break;
        case QREC_FROM:
            deliver_set(&req->sender, rec.data);
            break;
        case QREC_DSN_ENVID:
            deliver_set(&req->dsn_envid, rec.data);
            break;
        case QREC_DSN_RET:
            req->dsn_ret = str_parse_long(rec.data, 0, 0xff, &n) == 0 ? (int) n : 0;
            break;
        case QREC_ORCP:
            deliver_set(&orig, rec.data);
            break;
        case QREC_DSN_ORCPT:
            deliver_set(&orcpt, rec.data);
            break;
        case QREC_DSN_NOTIFY:
            notify = str_parse_long(rec.data, 0, 0xff, &n) == 0 ? (int) n : 0;
            break;
        case QREC_ATTR:
            data = mem_strdup(rec.data);
            if (qfile_attr_split(data, &name, &value, &err) < 0)
                ;
            else if (strcmp(name, "trace_flags") == 0) {
                /*
                 * sendmail -bv (Postfix's DEL_REQ_FLAG_USR_VRFY), else
                 * sendmail -v (DEL_REQ_FLAG_RECORD); other bits ignored
                 */
                if (str_parse_long(value, 0, 0xffff, &n) < 0)
                    ;
                else if (n & DELIVER_FLAG_USR_VRFY) {
                    req->flags |= DELIVER_FLAG_USR_VRFY;
                } else if (n & DELIVER_FLAG_RECORD) {
                    req->flags |= DELIVER_FLAG_RECORD;
                    req->trace_offset = rec.offset;
                }
            } else
                deliver_load_attr(req, name, value, &orcpt, &notify);
            mem_free(data);
            break;
        case QREC_RCPT:
            if (rec.len == 0 || rec.len > DELIVER_ADDR_MAX) {
                vstr_sprintf(why, "%s: offset %ld: bad recipient", qfile_reader_name(r),
                             rec.offset);
                goto out;
            }
            if (undone >= DELIVER_RCPT_MAX * 100) {
                vstr_sprintf(why, "%s: too many recipients", qfile_reader_name(r));
                goto out;
            }
            undone++;
            if (rec.offset <= after)
                ; /* taken in by an earlier load */
            else if (limit > 0 && req->nrcpt >= limit) {
                if (more)
                    *more = 1;
            } else {
                deliver_request_add_rcpt(req, orig, rec.data, rec.offset, orcpt, notify);
            }
            /* FALLTHROUGH */
        case QREC_DONE:
        case QREC_DRCP:
            deliver_set(&orig, "");
            deliver_set(&orcpt, "");
            notify = 0;
            break;
        default:
            break;
        }
    }
    if (st < 0) {
        vstr_sprintf(why, "%s: %s", qfile_reader_name(r), qfile_reader_error(r));
        goto out;
    }
    if (!have_size) {
        vstr_sprintf(why, "%s: no size record", qfile_reader_name(r));
        goto out;
    }
    if (total)
        *total = undone;
    ret = 0;
out:
    mem_free(orig);
    mem_free(orcpt);
    return ret;
}

/*
 * The done marks this request made. When every recipient of the request
 * has its final outcome, qmgr will remove the file or go on with other
 * requests; a lost mark after a crash only repeats a delivery (at least
 * once, DESIGN.md), so no fsync is spent. When a recipient stays deferred,
 * the file outlives this request and its marks are made durable, so that
 * a crash does not repeat the deliveries that did succeed.
 */
void deliver_sync_marks(const DELIVER_REQUEST *req, int qfd)
{
    size_t i;

    for (i = 0; i < req->nrcpt; i++)
        if (req->rcpt[i].status != DELIVER_RCPT_SENT && req->rcpt[i].status != DELIVER_RCPT_BOUNCED)
            break;
    if (i < req->nrcpt && fsync(qfd) < 0)
        msg_warn("%s: fsync: %s", req->queue_id, strerror(errno));
}

/* ---- the agent's request loop ---- */

/*
 * Wait up to DELIVER_AGENT_IDLE_MS for the next request on a kept
 * connection. 1: readable (a request or the end of the connection); 0: no
 * request came, or master wants the process gone.
 */
static int deliver_agent_wait(STREAM *s)
{
    struct pollfd pfd;
    struct timespec t0, t1;
    long left = DELIVER_AGENT_IDLE_MS, spent;
    int n;

    if (stream_buffered(s) > 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pfd.fd = stream_fd(s);
        pfd.events = POLLIN;
        pfd.revents = 0;
        n = poll(&pfd, 1, (int) left);
        if (n > 0) {
            stream_read_ready(s); /* no second poll(2) in the stream */
            return 1;
        }
        if (n == 0)
            return 0;
        if (errno != EINTR) {
            msg_warn("poll: %s", strerror(errno));
            return 0;
        }
        /* a signal: master's hang-up (SIGIO), or an agent's own timer */
        if (server_event_master_gone())
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        spent = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
        if (spent >= DELIVER_AGENT_IDLE_MS)
            return 0;
        left = DELIVER_AGENT_IDLE_MS - spent;
    }
}

/* One request: open the queue file, deliver, make the marks durable. */
static void deliver_agent_one(const DELIVER_AGENT *a, DELIVER_REQUEST *req, VSTR *why)
{
    DELIVER_TIMES times;
    QFILE_READER *r;
    int qfd = -1, flags;
    size_t i;

    deliver_times_init(&times, a->relay, a->resolution);
    if ((r = deliver_open_queue_file(req, &qfd, why)) == NULL) {
        msg_warn("%s: %s", req->queue_id, vstr_str(why));
        for (i = 0; i < req->nrcpt; i++) {
            if (a->open_fail_log)
                deliver_rcpt_defer(req, i, "4.3.0", "cannot open the queue file", &times);
            else
                deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, "4.3.0",
                                    "cannot open the queue file");
        }
        return;
    }
    flags = a->deliver(a->ctx, req, r, qfd, &times);
    qfile_reader_free(r);
    if (!(flags & DELIVER_AGENT_NOSYNC))
        deliver_sync_marks(req, qfd);
    close(qfd);
}

void deliver_agent_serve(int fd, const DELIVER_AGENT *a)
{
    STREAM *s = stream_open(fd, 0);
    VSTR *why = vstr_new(0);
    DELIVER_REQUEST *req;
    int first = 1, more;
    long served = 0;

    for (;;) {
        req = first ? deliver_request_read(s, a->timeout_ms, why)
                    : deliver_request_read_noannounce(s, a->timeout_ms, why);
        if (req == NULL) {
            /* the client closing a kept connection is the normal end */
            if (first || stream_read_count(s) > 0 || !stream_eof(s))
                msg_warn("%s", vstr_str(why));
            break;
        }
        if (!first)
            server_single_request(a->srv); /* a further request: one more use */
        if (a->before)
            a->before(a->ctx);
        deliver_agent_one(a, req, why);
        more = server_single_next(a->srv); /* room for another request? */
        if (deliver_result_print(s, req, !more) < 0 || (more && deliver_announce(s) < 0)) {
            msg_warn("%s: cannot send the result: %s", req->queue_id, stream_why(s));
            more = 0;
        }
        deliver_request_free(req);
        served++;
        if (a->after)
            a->after(a->ctx);
        if (!more || !deliver_agent_wait(s))
            break;
        first = 0;
    }
    if (msg_verbose)
        msg_info("connection closed after %ld request%s", served, served == 1 ? "" : "s");
    stream_free(s);
    vstr_free(why);
}
