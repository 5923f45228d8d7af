/*
 * showq - list the mail queue for postqueue -p/-j and mailq.
 *
 * master.cf: `showq unix n - y - - showq`: public/showq, a single server
 * (lib/server.h), chrooted into queue_directory and running as mail_owner,
 * so that an unprivileged postqueue can see the queue without reading it.
 * A client connects and sends nothing; showq speaks first and sends, in
 * Postfix's attribute encoding (lib/attr.h), the announcement
 * protocol=mail_queue_list_protocol, then one message per queued message
 * (lib/queue_scan.h: maildrop, active, incoming, deferred, hold, each in
 * directory order), then an empty message, and closes the connection. The
 * bytes are the same as Postfix's showq sends for the same queue.
 *
 * Writes go through a stream with daemon_timeout per message batch; a
 * client that stops reading is dropped with a warning. Damaged queue files
 * are skipped with a warning (queue_scan_message).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "queue_scan.h"
#include "server.h"
#include "stream.h"

typedef struct SHOWQ_CONF {
    char *hashed;    /* hash_queue_names */
    int depth;       /* hash_queue_depth */
    int timeout_ms;  /* daemon_timeout */
} SHOWQ_CONF;

typedef struct SHOWQ_CLIENT {
    STREAM *stream;
    int failed;
} SHOWQ_CLIENT;

static void showq_pre_jail(SERVER *srv)
{
    SHOWQ_CONF *sc = srv->context;
    const char *h = conf_get("hash_queue_names");
    long depth = conf_get_int("hash_queue_depth");
    long timeout = conf_get_time("daemon_timeout");

    if (depth < 1 || depth > QUEUE_ID_MAX_DEPTH)
        msg_fatal("bad hash_queue_depth value: %ld", depth);
    sc->hashed = mem_strdup(h ? h : "");
    sc->depth = (int) depth;
    sc->timeout_ms = (timeout > 0 && timeout < 86400) ? (int) timeout * 1000 : 18000 * 1000;
}

static int showq_emit(void *ctx, const char *data, size_t len)
{
    SHOWQ_CLIENT *c = ctx;

    if (stream_write(c->stream, data, len) < 0) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

static void showq_client(SERVER *srv, int fd)
{
    SHOWQ_CONF *sc = srv->context;
    SHOWQ_CLIENT c;

    c.stream = stream_open(fd, 0);
    c.failed = 0;
    stream_set_limits(c.stream, sc->timeout_ms, 0);
    stream_write_begin(c.stream);
    if (attr_print(c.stream, ATTR_NOFLUSH,
                   ATTR_OUT_STR(ATTR_PROTOCOL, "mail_queue_list_protocol")) < 0)
        c.failed = 1;
    if (!c.failed)
        queue_scan_list(sc->hashed, sc->depth, showq_emit, &c);
    if (!c.failed && (stream_write(c.stream, "", 1) < 0 || stream_flush(c.stream) < 0))
        c.failed = 1;
    stream_write_end(c.stream);
    if (c.failed)
        msg_warn("write queue listing to client: %s", stream_why(c.stream));
    stream_free(c.stream);
}

static void showq_exit(SERVER *srv)
{
    SHOWQ_CONF *sc = srv->context;

    mem_free(sc->hashed);
}

int main(int argc, char **argv)
{
    static SHOWQ_CONF conf;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = showq_pre_jail;
    ops.client = showq_client;
    ops.on_exit = showq_exit;
    ops.context = &conf;
    server_single_main(argc, argv, &ops);
}
