/*
 * error, retry, discard - the delivery agents that deliver nothing.
 *
 * master.cf (stock):
 *   error     unix  -  -  y  -  -  error      bounces every recipient
 *   retry     unix  -  -  y  -  -  error      defers every recipient
 *   discard   unix  -  -  y  -  -  discard    "delivers" every recipient
 * One source, built twice: this file as `error` (the service named "retry"
 * defers, any other name bounces) and, compiled with ERROR_DISCARD, as
 * `discard`. Each is a single server (lib/server.h), chrooted and
 * unprivileged in the stock master.cf.
 *
 * The next hop of the request (what follows "error:", "retry:" or
 * "discard:" in a transport) is the reason. It may start with a d.d.d
 * detail code ("5.1.1 no such user"); otherwise the code is 5.0.0 (error),
 * 4.0.0 (retry) or 2.0.0 (discard). A code of the wrong class is given the
 * agent's class (a 4.x.x code cannot make error defer).
 *
 * Per recipient (lib/deliver.h does the work, so every agent logs and
 * marks alike): error appends a bounce record to bounce/ID, then marks the
 * recipient done; retry appends to defer/H/ID and leaves it; discard marks
 * it done. Each logs the "to=<...>, relay=none, ... status=..." line and the
 * outcome goes back to qmgr in the reply.
 *
 * Trust: the request comes from qmgr over private/, but is still checked in
 * full (deliver_request_read); the queue file is opened by name from the
 * checked id only.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define ERROR_MODE_BOUNCE 0
#define ERROR_MODE_DEFER 1
#define ERROR_MODE_DISCARD 2

typedef struct ERROR_CONF {
    int mode;
    int resolution; /* delay_logging_resolution_limit */
    int timeout_ms; /* ipc_timeout */
} ERROR_CONF;

/* Split "d.d.d text" into the code (forced to class) and the text. */
static void error_split(const char *nexthop, char klass, const char *def_dsn, VSTR *dsn,
                        VSTR *text)
{
    size_t n = strcspn(nexthop, " \t");

    vstr_reset(dsn);
    if (n > 0 && n < 16) {
        vstr_addmem(dsn, nexthop, n);
        if (deliver_dsn_valid(vstr_str(dsn))) {
            vstr_str(dsn)[0] = klass;
            nexthop += n;
            nexthop += strspn(nexthop, " \t");
            vstr_set(text, nexthop);
            return;
        }
    }
    vstr_set(dsn, def_dsn);
    vstr_set(text, nexthop);
}

/* The recipients of one request (deliver_agent_serve() does the rest). */
static int error_deliver(void *ctx, DELIVER_REQUEST *req, QFILE_READER *r, int qfd,
                         DELIVER_TIMES *times)
{
    ERROR_CONF *ec = ctx;
    VSTR *dsn = vstr_new(0), *text = vstr_new(0);
    size_t i;

    (void) r;
    switch (ec->mode) {
    case ERROR_MODE_BOUNCE:
        error_split(req->nexthop, '5', "5.0.0", dsn, text);
        break;
    case ERROR_MODE_DEFER:
        error_split(req->nexthop, '4', "4.0.0", dsn, text);
        break;
    default:
        error_split(req->nexthop, '2', "2.0.0", dsn, text);
        if (vstr_len(text) == 0)
            vstr_set(text, "discarded");
        break;
    }
    for (i = 0; i < req->nrcpt; i++) {
        if (ec->mode == ERROR_MODE_BOUNCE)
            deliver_rcpt_bounce(req, qfd, i, vstr_str(dsn), vstr_str(text), times);
        else if (ec->mode == ERROR_MODE_DEFER)
            deliver_rcpt_defer(req, i, vstr_str(dsn), vstr_str(text), times);
        else
            deliver_rcpt_sent(req, qfd, i, vstr_str(dsn), vstr_str(text), times);
    }
    vstr_free(dsn);
    vstr_free(text);
    return ec->mode == ERROR_MODE_DEFER ? DELIVER_AGENT_NOSYNC : 0;
}

static void error_client(SERVER *srv, int fd)
{
    ERROR_CONF *ec = srv->context;
    DELIVER_AGENT a;

    memset(&a, 0, sizeof(a));
    a.relay = "none";
    a.resolution = ec->resolution;
    a.timeout_ms = ec->timeout_ms;
    a.deliver = error_deliver;
    a.ctx = ec;
    a.srv = srv;
    deliver_agent_serve(fd, &a);
}

static void error_pre_jail(SERVER *srv)
{
    ERROR_CONF *ec = srv->context;
    long t = conf_get_time("ipc_timeout");

#ifdef ERROR_DISCARD
    ec->mode = ERROR_MODE_DISCARD;
#else
    ec->mode = strcmp(srv->service, "retry") == 0 ? ERROR_MODE_DEFER : ERROR_MODE_BOUNCE;
#endif
    ec->resolution = (int) conf_get_int("delay_logging_resolution_limit");
    if (ec->resolution < 0 || ec->resolution > 6)
        msg_fatal("bad delay_logging_resolution_limit: %d (0..6)", ec->resolution);
    ec->timeout_ms = t > 0 && t < 86400 ? (int) t * 1000 : 3600000;
}

int main(int argc, char **argv)
{
    ERROR_CONF ec;
    SERVER_OPS ops;

    memset(&ec, 0, sizeof(ec));
    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = error_pre_jail;
    ops.client = error_client;
    ops.context = &ec;
    server_single_main(argc, argv, &ops);
}
