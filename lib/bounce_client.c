/* bounce_client - ask the bounce daemon for a notice; see bounce_client.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "bounce_client.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "stream.h"
#include "unix_connect.h"

void bounce_log_path(VSTR *out, const char *kind, const char *queue_id)
{
    int depth = (int) conf_get_int("hash_queue_depth");

    if (strcmp(kind, "bounce") != 0 && strcmp(kind, "defer") != 0 && strcmp(kind, "trace") != 0)
        msg_panic("bounce_log_path: unknown log kind \"%s\"", kind);
    if (!queue_id_valid(queue_id))
        msg_panic("bounce_log_path: bad queue id");
    if (!queue_id_is_hashed(kind, conf_get("hash_queue_names")))
        depth = 0;
    if (depth < 0 || depth > QUEUE_ID_MAX_DEPTH)
        depth = 1;
    queue_id_path(out, kind, queue_id, depth);
}

int bounce_log_exists(const char *kind, const char *queue_id)
{
    VSTR *path = vstr_new(0);
    int ret;

    bounce_log_path(path, kind, queue_id);
    ret = access(vstr_str(path), F_OK) == 0;
    vstr_free(path);
    return ret;
}

int bounce_log_remove(const char *kind, const char *queue_id)
{
    VSTR *path = vstr_new(0);
    int ret = 0;

    bounce_log_path(path, kind, queue_id);
    if (unlink(vstr_str(path)) < 0 && errno != ENOENT) {
        msg_warn("remove %s: %m", vstr_str(path));
        ret = -1;
    }
    vstr_free(path);
    return ret;
}

struct BOUNCE_CALL {
    STREAM *s;
    int fd;
    char service[BOUNCE_SERVICE_MAX + 1];
};

static BOUNCE_CALL *bounce_call_send(const char *service, int cmd, const BOUNCE_MSG *m,
                                     const BOUNCE_ONE_RCPT *one, VSTR *why)
{
    VSTR *path;
    BOUNCE_CALL *c;
    int fd;

    path = vstr_new(0);
    vstr_sprintf(path, "private/%s", service);
    if ((fd = unix_connect(vstr_str(path))) < 0) {
        vstr_sprintf(why, "connect to %s: %s", vstr_str(path), strerror(errno));
        vstr_free(path);
        return NULL;
    }
    c = mem_calloc(1, sizeof(*c));
    snprintf(c->service, sizeof(c->service), "%s", service);
    c->fd = fd;
    c->s = stream_open(fd, STREAM_CLOSE);
    /* The request is small: it fits the socket buffer, the send does not wait. */
    stream_set_limits(c->s, BOUNCE_TIMEOUT_MS, 4096);
    if (attr_print(c->s, 0, ATTR_OUT_INT("nrequest", cmd), ATTR_OUT_INT("flags", m->flags),
                   ATTR_OUT_STR("queue_name", m->queue_name),
                   ATTR_OUT_STR("queue_id", m->queue_id),
                   ATTR_OUT_STR("encoding", m->encoding ? m->encoding : ""),
                   ATTR_OUT_INT("smtputf8", m->smtputf8),
                   ATTR_OUT_STR("sender", m->sender),
                   ATTR_OUT_STR("envelope_id", m->envelope_id ? m->envelope_id : ""),
                   ATTR_OUT_INT("ret_flags", m->ret_flags)) < 0
        || (one != NULL
            && attr_print(c->s, 0, ATTR_OUT_STR("recipient", one->recipient),
                          ATTR_OUT_STR("orig_rcpt", one->orig_rcpt ? one->orig_rcpt : ""),
                          ATTR_OUT_STR("dsn_orig_rcpt",
                                       one->dsn_orig_rcpt ? one->dsn_orig_rcpt : ""),
                          ATTR_OUT_INT("notify_flags", one->notify),
                          ATTR_OUT_STR("status", one->status),
                          ATTR_OUT_STR("reason", one->reason)) < 0)) {
        vstr_sprintf(why, "send to %s: %s", vstr_str(path), stream_why(c->s));
        bounce_call_abort(c);
        c = NULL;
    }
    vstr_free(path);
    return c;
}

BOUNCE_CALL *bounce_call_start(const char *service, int cmd, const BOUNCE_MSG *m, VSTR *why)
{
    if (cmd < BOUNCE_CMD_FLUSH || cmd > BOUNCE_CMD_EXPIRE || !m->queue_id || !m->queue_name
        || !m->sender || strlen(service) > BOUNCE_SERVICE_MAX || strchr(service, '/')
        || !BOUNCE_FLAGS_OK(cmd, m->flags))
        msg_panic("bounce_call_start: bad request");
    return bounce_call_send(service, cmd, m, NULL, why);
}

int bounce_one(const BOUNCE_MSG *m, const BOUNCE_ONE_RCPT *r, VSTR *notice_id, VSTR *why)
{
    BOUNCE_CALL *c;

    vstr_truncate(notice_id, 0);
    if (!m->queue_id || !m->queue_name || !m->sender || !m->sender[0] || m->flags != 0
        || !r->recipient || !r->status || !r->reason)
        msg_panic("bounce_one: bad request");
    if ((c = bounce_call_send("bounce", BOUNCE_CMD_ONE, m, r, why)) == NULL)
        return -1;
    return bounce_call_finish(c, BOUNCE_TIMEOUT_MS, notice_id, why);
}

int bounce_call_fd(const BOUNCE_CALL *c)
{
    return c->fd;
}

int bounce_call_finish(BOUNCE_CALL *c, int timeout_ms, VSTR *notice_id, VSTR *why)
{
    int status = -1, ret = -1;

    vstr_truncate(notice_id, 0);
    stream_set_limits(c->s, timeout_ms, 4096);
    if (attr_scan(c->s, 0, ATTR_IN_INT("status", &status),
                  ATTR_IN_STR("queue_id", notice_id, 64)) != ATTR_OK) {
        vstr_sprintf(why, "reply from private/%s: %s", c->service,
                     stream_why(c->s)[0] ? stream_why(c->s) : "connection closed");
    } else if (status != 0) {
        vstr_sprintf(why, "private/%s could not do the request", c->service);
    } else {
        ret = 0;
    }
    bounce_call_abort(c);
    return ret;
}

void bounce_call_abort(BOUNCE_CALL *c)
{
    if (c == NULL)
        return;
    stream_free(c->s);
    mem_free(c);
}

int bounce_request(const char *service, int cmd, const BOUNCE_MSG *m, VSTR *notice_id,
                   VSTR *why)
{
    BOUNCE_CALL *c;

    vstr_truncate(notice_id, 0);
    if ((c = bounce_call_start(service, cmd, m, why)) == NULL)
        return -1;
    return bounce_call_finish(c, BOUNCE_TIMEOUT_MS, notice_id, why);
}
