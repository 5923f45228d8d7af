/*
 * anvil - connection and rate counters for smtpd's client limits
 * (smtpd_client_connection_count_limit and the smtpd_client_*_rate_limit
 * parameters). lib/anvil_client.h has the protocol; anvil_table.h the
 * counting rules and the bound on the table.
 *
 * master.cf (stock): "anvil unix - - y - 1 anvil": private/anvil, one
 * process (a multi server, lib/server.h) serving every smtpd at once,
 * chrooted, as mail_owner. The counts live in this process only: when it
 * exits (stop, reload) they start again from zero. It ignores max_use and
 * max_idle (the skeleton's "unlimited"): smtpd keeps its connection, and a
 * multi server past max_use would stop taking new smtpd processes.
 *
 * Every anvil_status_update_time (checked when a request arrives) and at
 * exit it logs the peaks since the last report: Postfix's
 * "statistics: max connection rate N/60s for (smtp:ADDR) at TIME" lines.
 *
 * Trust: the clients are smtpd processes (private/ is mail_owner's); their
 * requests are still read under a deadline and a byte limit and strictly
 * checked. A connection remembers the identities it connected (at most
 * ANVIL_CLIENT_IDENTS); when it ends, those connections end too, so an
 * smtpd that dies leaves no count behind.
 *
 * Error policy: configuration errors at start are fatal (the skeleton); a
 * bad request is a warning and ends that client's connection; a full table
 * is answered ANVIL_STAT_FAIL (smtpd then applies no limit).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "anvil_client.h"
#include "anvil_table.h"
#include "argv.h"
#include "conf.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define ANVIL_TABLE_MAX     100000  /* identities held */
#define ANVIL_CLIENT_IDENTS 64      /* open connections one client may hold */
#define ANVIL_READ_TIMEOUT  2000    /* ms for the rest of a request */

typedef struct ANVIL_CONN {
    STREAM *s;
    ARGV *idents;   /* connected, not yet disconnected */
} ANVIL_CONN;

typedef struct ANVIL {
    ANVIL_TABLE *table;
    HTABLE *conns;  /* fd -> ANVIL_CONN */
    long status_update;
    time_t next_status;
    VSTR *request, *ident, *why;
} ANVIL;

static const struct {
    const char *name;
    int kind;
} anvil_kinds[] = {
    {ANVIL_REQ_CONNECT, ANVIL_EV_CONNECT},
    {ANVIL_REQ_DISCONNECT, ANVIL_EV_DISCONNECT},
    {ANVIL_REQ_MESSAGE, ANVIL_EV_MESSAGE},
    {ANVIL_REQ_RECIPIENT, ANVIL_EV_RECIPIENT},
    {ANVIL_REQ_AUTH, ANVIL_EV_AUTH},
    {ANVIL_REQ_NEWTLS, ANVIL_EV_NEWTLS},
    {ANVIL_REQ_LOOKUP, ANVIL_EV_LOOKUP},
    {ANVIL_REQ_NEWTLS_STATUS, ANVIL_EV_NEWTLS_STATUS},
};

static void anvil_emit(void *ctx, const char *text)
{
    (void) ctx;
    msg_info("%s", text);
}

static void anvil_status(ANVIL *a, time_t now, int force)
{
    if (!force && now < a->next_status)
        return;
    anvil_table_stats(a->table, anvil_emit, NULL);
    a->next_status = now + a->status_update;
}

/* Forget one connected identity of this client; 1 when it had it. */
static int anvil_conn_forget(ANVIL_CONN *c, const char *ident)
{
    size_t i;

    for (i = 0; i < c->idents->argc; i++) {
        if (strcmp(c->idents->argv[i], ident) == 0) {
            mem_free(c->idents->argv[i]);
            c->idents->argv[i] = c->idents->argv[--c->idents->argc];
            c->idents->argv[c->idents->argc] = NULL;
            return 1;
        }
    }
    return 0;
}

static int anvil_kind(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(anvil_kinds) / sizeof(anvil_kinds[0]); i++)
        if (strcmp(anvil_kinds[i].name, name) == 0)
            return anvil_kinds[i].kind;
    return -1;
}

/* One request: 0 answered, -1 the connection is done. */
static int anvil_request(ANVIL *a, ANVIL_CONN *c)
{
    const char *ident;
    int r, kind, count = 0, rate = 0, status = ANVIL_STAT_OK;
    time_t now;

    vstr_reset(a->why);
    r = anvil_request_read(c->s, ANVIL_READ_TIMEOUT, a->request, a->ident, a->why);
    if (r == 0)
        return -1;
    if (r < 0) {
        msg_warn("anvil: %s", vstr_str(a->why));
        return -1;
    }
    ident = vstr_str(a->ident);
    kind = anvil_kind(vstr_str(a->request));
    now = time(NULL);
    if (kind == ANVIL_EV_DISCONNECT && !anvil_conn_forget(c, ident)) {
        /* not connected by this client: nothing to take back */
        kind = ANVIL_EV_LOOKUP;
    } else if (kind == ANVIL_EV_CONNECT && c->idents->argc >= ANVIL_CLIENT_IDENTS) {
        msg_warn("anvil: a client holds %d connections: not counting more",
                 ANVIL_CLIENT_IDENTS);
        status = ANVIL_STAT_FAIL;
    }
    if (status == ANVIL_STAT_OK && anvil_table_event(a->table, kind, ident, now, &count, &rate) < 0) {
        msg_warn("anvil: table full (%d clients connected): not counting %s",
                 ANVIL_TABLE_MAX, ident);
        status = ANVIL_STAT_FAIL;
    }
    if (status == ANVIL_STAT_OK && kind == ANVIL_EV_CONNECT)
        argv_add(c->idents, ident);
    anvil_status(a, now, 0);
    if (msg_verbose)
        msg_info("%s %s: status=%d count=%d rate=%d", vstr_str(a->request), ident,
                 status, count, rate);
    return anvil_reply(c->s, status, count, rate) < 0 ? -1 : 0;
}

/* The client is gone: its open connections end with it. */
static void anvil_conn_free(ANVIL *a, ANVIL_CONN *c)
{
    int count, rate;
    size_t i;

    for (i = 0; i < c->idents->argc; i++)
        (void) anvil_table_event(a->table, ANVIL_EV_DISCONNECT, c->idents->argv[i],
                                 time(NULL), &count, &rate);
    argv_free(c->idents);
    stream_free(c->s);
    mem_free(c);
}

static int anvil_open(SERVER *srv, int fd)
{
    ANVIL *a = srv->context;
    ANVIL_CONN *c = mem_alloc(sizeof(*c));
    char name[32];

    c->s = stream_open(fd, 0);
    c->idents = argv_new();
    snprintf(name, sizeof(name), "%d", fd);
    htable_put(a->conns, name, c);
    return 0;
}

static int anvil_read(SERVER *srv, int fd)
{
    ANVIL *a = srv->context;
    ANVIL_CONN *c;
    char name[32];

    snprintf(name, sizeof(name), "%d", fd);
    if ((c = htable_get(a->conns, name)) == NULL)
        return -1;
    do {
        if (anvil_request(a, c) < 0) {
            anvil_conn_free(a, htable_remove(a->conns, name));
            return -1; /* the skeleton closes fd */
        }
    } while (stream_buffered(c->s) > 0);
    return 0;
}

static void anvil_pre_jail(SERVER *srv)
{
    (void) srv;
    tzset(); /* the statistics' local time, before the chroot hides the zone file */
}

static void anvil_post_jail(SERVER *srv)
{
    ANVIL *a = srv->context;

    a->table = anvil_table_create(ANVIL_TABLE_MAX, conf_get_time("anvil_rate_time_unit"));
    a->conns = htable_new(16);
    a->status_update = conf_get_time("anvil_status_update_time");
    if (a->status_update <= 0)
        a->status_update = 600;
    a->next_status = time(NULL) + a->status_update;
    a->request = vstr_new(16);
    a->ident = vstr_new(64);
    a->why = vstr_new(64);
}

static void anvil_exit(SERVER *srv)
{
    ANVIL *a = srv->context;
    const char **keys;
    size_t i;

    if (a->table == NULL)
        return;
    anvil_status(a, time(NULL), 1);
    keys = htable_keys(a->conns);
    for (i = 0; keys[i]; i++)
        anvil_conn_free(a, htable_get(a->conns, keys[i]));
    mem_free(keys);
    htable_free(a->conns, NULL);
    anvil_table_free(a->table);
    vstr_free(a->request);
    vstr_free(a->ident);
    vstr_free(a->why);
    memset(a, 0, sizeof(*a));
}

int main(int argc, char **argv)
{
    static ANVIL anvil;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = anvil_pre_jail;
    ops.post_jail = anvil_post_jail;
    ops.multi_open = anvil_open;
    ops.multi_read = anvil_read;
    ops.on_exit = anvil_exit;
    /* smtpd processes keep their connection: a use count would stop the
     * one anvil accepting new smtpds while old ones hold it, and a restart
     * forgets every count. It exits when master says so (stop, reload). */
    ops.unlimited = 1;
    ops.context = &anvil;
    server_multi_main(argc, argv, &ops);
}
