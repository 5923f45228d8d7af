/*
 * smtp, lmtp, relay - the outbound delivery agent: mail for other hosts
 * over SMTP, and to mailbox servers over LMTP.
 *
 * master.cf (stock):
 *   smtp      unix  -  -  y  -  -  smtp
 *   relay     unix  -  -  y  -  -  smtp
 *   lmtp      unix  -  -  y  -  -  lmtp
 * One program: it runs in LMTP mode when its service or program name is
 * "lmtp" (then lmtp_* parameters apply, LHLO is sent, the next hop may be
 * unix:/path or inet:host:port, and the end of DATA has one reply per
 * recipient). A single server (lib/server.h): delivery requests from qmgr
 * (lib/deliver.h), several per connection (deliver_agent_serve), many per
 * process.
 *
 * Per request: parse the next hop (smtp_addr.h); try a cached session to
 * it (RSET first); otherwise find the servers (MX, A/AAAA) and try them in
 * order, at most smtp_mx_session_limit sessions that got a greeting and
 * smtp_mx_address_limit addresses; each session (smtp_proto.h) sends what
 * is still undelivered. Recipients the server accepted are marked done,
 * 5xx ones bounced; 4xx ones stay for the next server, and whatever is
 * left at the end is deferred with its last reason. When no server could
 * be used at all (connection refused everywhere, 4xx greetings), the reply
 * carries hop_status so qmgr can treat the destination as dead.
 *
 * Connection cache: Postfix keeps idle sessions in its scache daemon;
 * Postern keeps them in this process (the worker is reused for the next
 * request). A session is kept after a successful transaction when
 * smtp_connection_cache_on_demand is on or its next hop is in
 * smtp_connection_cache_destinations (TLS sessions only with
 * smtp_tls_connection_reuse), for smtp_connection_cache_time_limit of
 * idleness, within smtp_connection_reuse_count_limit (N: a connection
 * carries up to N + 1 transactions) and smtp_connection_reuse_time_limit
 * (from the connect); it is RSET before reuse. When its idle
 * time is up while the process waits, a timer (SIGUSR2) shuts the socket
 * down; sessions that expire otherwise, and those left when the process
 * exits, are closed with QUIT.
 *
 * Trust: the request is checked in full (deliver_request_read); servers and
 * DNS answers are untrusted input, bounded and made printable before they
 * are logged. Tables, keys, certificates, the resolver configuration and
 * the SASL library are opened before chroot.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "smtp.h"
#include "smtp_addr.h"
#include "smtp_proto.h"
#include "stream.h"
#include "strutil.h"
#include "table.h"
#include "vstr.h"

#define SMTP_CACHE_MAX 8

static SMTP_SESS *smtp_cache[SMTP_CACHE_MAX];
static timer_t smtp_cache_timer;
static int smtp_cache_timer_ok;
static volatile sig_atomic_t smtp_cache_shut;

/*
 * The idle timer of the cached sessions costs no system call per request:
 * it is armed once when a request leaves a session cached and the timer
 * is not running; when it fires during a request (smtp_busy), or before
 * the sessions were idle for the whole limit (a request came and went in
 * between), the handler arms it again for what is left. Only when the
 * limit is up while the process waits does it shut the sockets down.
 */
static volatile sig_atomic_t smtp_busy;         /* a request is being served */
static volatile sig_atomic_t smtp_timer_armed;
static volatile sig_atomic_t smtp_idle_since;   /* CLOCK_MONOTONIC seconds */
static volatile sig_atomic_t smtp_idle_limit;   /* cache_time_limit */

static long smtp_mono_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec;
}

/* smtp_cache_timer_set - arm (seconds > 0) or disarm (0) the idle timer (async-signal-safe) */
static void smtp_cache_timer_set(long seconds)
{
    struct itimerspec its;

    if (!smtp_cache_timer_ok)
        return;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = seconds;
    smtp_timer_armed = seconds > 0;
    timer_settime(smtp_cache_timer, 0, &its, NULL);
}

/*
 * smtp_cache_alarm - the idle time of the cached sessions is up while the
 * process waits for the next request: shut their sockets down at once (the
 * servers see the end of the connection, as with Postfix's scache), and
 * let the next request or the exit free them. Only shutdown(2),
 * clock_gettime(2) and timer_settime(2), which are async-signal-safe.
 */
static void smtp_cache_alarm(int sig)
{
    int saved = errno;
    long idle;
    size_t i;

    (void) sig;
    smtp_timer_armed = 0;
    idle = smtp_mono_sec() - smtp_idle_since;
    if (smtp_busy || idle < smtp_idle_limit) {
        smtp_cache_timer_set(smtp_busy || idle < 0 ? smtp_idle_limit : smtp_idle_limit - idle);
        errno = saved;
        return;
    }
    for (i = 0; i < SMTP_CACHE_MAX; i++)
        if (smtp_cache[i] != NULL)
            shutdown(smtp_cache[i]->conn->fd, SHUT_RDWR);
    smtp_cache_shut = 1;
    errno = saved;
}

static void smtp_cache_timer_init(long limit)
{
    struct sigaction sa;
    struct sigevent sev;

    smtp_idle_limit = limit > 86400 ? 86400 : (sig_atomic_t) limit;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = smtp_cache_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, NULL) < 0)
        return;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR2;
    if (timer_create(CLOCK_MONOTONIC, &sev, &smtp_cache_timer) == 0)
        smtp_cache_timer_ok = 1;
    else
        msg_warn("timer_create: %m; idle cached sessions close at the next request");
}

/* cfname - this client's name of a parameter ("smtp_" or "lmtp_" name); valid until the next call */
static const char *cfname(const SMTP_CONF *cf, const char *name)
{
    static VSTR *buf;

    if (buf == NULL)
        buf = vstr_new(0);
    vstr_sprintf(buf, "%s_%s", cf->prefix, name);
    return vstr_str(buf);
}

static const char *cfp(const SMTP_CONF *cf, const char *name)
{
    const char *v = conf_get(cfname(cf, name));

    return v ? v : "";
}

static long cft(const SMTP_CONF *cf, const char *name)
{
    long v = conf_get_time(cfname(cf, name));

    if (v < 0 || v > 86400)
        v = 300;
    return v;
}

static long cfi(const SMTP_CONF *cf, const char *name)
{
    return conf_get_int(cfname(cf, name));
}

static int cfb(const SMTP_CONF *cf, const char *name)
{
    return conf_get_bool(cfname(cf, name));
}

/* smtp_split_maps - a list of tables; "inline:{ a=b, c=d }" is one word */
static ARGV *smtp_split_maps(const char *list)
{
    ARGV *w = argv_new();
    const char *p = list, *start;
    int depth;

    for (;;) {
        p += strspn(p, ", \t\r\n");
        if (*p == 0)
            break;
        for (start = p, depth = 0; *p; p++) {
            if (*p == '{')
                depth++;
            else if (*p == '}' && depth > 0)
                depth--;
            else if (depth == 0 && strchr(", \t\r\n", *p))
                break;
        }
        argv_addn(w, start, (size_t) (p - start));
    }
    return w;
}

static TABLE **smtp_open_maps(const char *list, size_t *n, const char *what)
{
    ARGV *w = smtp_split_maps(list);
    TABLE **t = mem_alloc((w->argc + 1) * sizeof(*t));
    VSTR *why = vstr_new(0);
    size_t i;

    *n = 0;
    for (i = 0; i < w->argc; i++) {
        if ((t[*n] = table_open(w->argv[i], TABLE_READ, TABLE_FLAGS_READ, why)) == NULL)
            msg_fatal("%s: %s", what, vstr_str(why));
        (*n)++;
    }
    argv_free(w);
    vstr_free(why);
    return t;
}

/* ------------------------------------------------------------------ */
/* Connection cache                                                     */

/*
 * smtp_cache_used_up - smtp_connection_reuse_time_limit (from the connect)
 * or smtp_connection_reuse_count_limit (N: N + 1 transactions, as in
 * Postfix; s->reuse_count counts the transactions done) is reached.
 */
static int smtp_cache_used_up(const SMTP_CONF *cf, const SMTP_SESS *s, time_t now)
{
    return (cf->reuse_time_limit > 0 && now - s->created > cf->reuse_time_limit) ||
           (cf->reuse_count_limit > 0 && s->reuse_count > cf->reuse_count_limit);
}

static void smtp_cache_expire(const SMTP_CONF *cf, int all)
{
    time_t now = time(NULL);
    size_t i;

    for (i = 0; i < SMTP_CACHE_MAX; i++) {
        SMTP_SESS *s = smtp_cache[i];
        if (s == NULL)
            continue;
        if (smtp_cache_shut && !s->conn->broken)
            s->conn->broken = SMTP_ERR_EOF; /* shut down by the timer: no QUIT */
        if (all || now - s->last_used > cf->cache_time_limit || s->conn->broken ||
            smtp_cache_used_up(cf, s, now)) {
            smtp_sess_close(cf, s);
            smtp_cache[i] = NULL;
        }
    }
    smtp_cache_shut = 0;
}

static SMTP_SESS *smtp_cache_take(const SMTP_CONF *cf, const char *key)
{
    size_t i;

    smtp_cache_expire(cf, 0);
    for (i = 0; i < SMTP_CACHE_MAX; i++) {
        SMTP_SESS *s = smtp_cache[i];
        if (s && strcmp(s->key, key) == 0) {
            smtp_cache[i] = NULL;
            return s;
        }
    }
    return NULL;
}

/* smtp_cache_put - keep s (cache: this destination's sessions are cached) or close it */
static void smtp_cache_put(const SMTP_CONF *cf, SMTP_SESS *s, const char *key, int cache)
{
    size_t i;

    if (!cache || cf->cache_time_limit <= 0 || s->conn->broken ||
        (s->tls && !cf->tls_reuse) || smtp_cache_used_up(cf, s, time(NULL))) {
        smtp_sess_close(cf, s);
        return;
    }
    mem_free(s->key);
    s->key = mem_strdup(key);
    for (i = 0; i < SMTP_CACHE_MAX; i++)
        if (smtp_cache[i] == NULL) {
            smtp_cache[i] = s;
            return;
        }
    smtp_sess_close(cf, smtp_cache[0]);
    smtp_cache[0] = s;
}

/* ------------------------------------------------------------------ */
/* One request                                                          */

/*
 * smtp_cache_wanted - are sessions to this destination kept for reuse?
 * Always with smtp_connection_cache_on_demand (this process is the only
 * user of its cache, so "on demand" is "whenever the process gets more
 * mail for the destination"), else when the next hop's name (without []
 * or port; for unix:/path the path) is in smtp_connection_cache_destinations.
 */
static int smtp_cache_wanted(const SMTP_CONF *cf, const SMTP_DEST *d, const char *queue_id)
{
    const char *name = d->unix_path ? d->unix_path : d->name;

    if (cf->cache_on_demand)
        return 1;
    if (cf->cache_dest == NULL || name == NULL)
        return 0;
    switch (match_list_string(cf->cache_dest, name)) {
    case MATCH_YES:
        return 1;
    case MATCH_ERROR:
        msg_warn("%s: %s_connection_cache_destinations: %s", queue_id, cf->prefix,
                 match_list_error(cf->cache_dest));
        return 0;
    default:
        return 0;
    }
}

static size_t smtp_pending(const DELIVER_REQUEST *req, const SMTP_RCPT_STATE *st)
{
    size_t i, n = 0;

    for (i = 0; i < req->nrcpt; i++)
        n += !st[i].done;
    return n;
}

/* smtp_use - one session: deliver, then cache or close it; smtp_sess_deliver()'s result */
static int smtp_use(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req, int qfd,
                    QFILE_READER *r, SMTP_RCPT_STATE *st, DELIVER_TIMES *times,
                    const char *key, int cache)
{
    struct timespec ts;
    int ret;

    clock_gettime(CLOCK_REALTIME, &ts);
    times->conn_sec = ts.tv_sec;
    times->conn_usec = ts.tv_nsec / 1000;
    if ((ret = smtp_sess_deliver(cf, s, req, qfd, r, st, times)) < 0)
        smtp_sess_close(cf, s);
    else
        smtp_cache_put(cf, s, key, cache);
    return ret;
}

static void smtp_deliver(const SMTP_CONF *cf, DELIVER_REQUEST *req, int qfd, QFILE_READER *r,
                         SMTP_RCPT_STATE *st, DELIVER_TIMES *times)
{
    SMTP_DEST d;
    SMTP_ADDR_LIST *list = NULL;
    SMTP_SESS *s;
    VSTR *dsn = vstr_new(0), *why = vstr_new(0), *key = vstr_new(0);
    VSTR *relay = vstr_new(0); /* the server of the last failure, "none": no connection */
    size_t i, sessions = 0, n_ok = 0;
    int rr, cache = 0;

    vstr_sprintf(key, "%s:%s", cf->prefix, req->nexthop);
    if (smtp_dest_parse(req->nexthop, cf->lmtp, cf->def_port, &d, why) < 0) {
        msg_warn("%s: %s", req->queue_id, vstr_str(why));
        vstr_set(dsn, "4.3.5");
        goto defer_all;
    }
    /* a session authenticated for one sender is reused only for that sender */
    if (cf->sasl_sender_dependent) {
        d.sasl_sender = req->sender;
        vstr_printf(key, " sender=%s", req->sender);
    }
    cache = smtp_cache_wanted(cf, &d, req->queue_id);
    /* a cached session first */
    if ((s = smtp_cache_take(cf, vstr_str(key))) != NULL) {
        s->rset_first = 1; /* RSET, pipelined with the transaction where it can */
        if (smtp_use(cf, s, req, qfd, r, st, times, vstr_str(key), cache) != SMTP_DELIVER_STALE) {
            n_ok++;
            if (smtp_pending(req, st) == 0)
                goto done;
        }
    }
    list = smtp_addr_list_new();
    rr = smtp_resolve(&cf->resolve, &d, list, dsn, why);
    if (rr == SMTP_RESOLVE_BOUNCE) {
        times->relay = "none";
        for (i = 0; i < req->nrcpt; i++)
            if (!st[i].done) {
                deliver_rcpt_bounce(req, qfd, i, vstr_str(dsn), vstr_str(why), times);
                st[i].done = 1;
            }
        goto done;
    }
    if (rr == SMTP_RESOLVE_DEFER)
        goto defer_all;
    for (i = 0; i < list->n && smtp_pending(req, st) > 0; i++) {
        if ((long) sessions >= cf->mx_session_limit && cf->mx_session_limit > 0)
            break;
        switch (smtp_sess_open(cf, &list->addr[i], &d, req->nexthop, &s, dsn, why)) {
        case SMTP_OPEN_NOCONN:
            vstr_set(relay, "none");
            continue;
        case SMTP_OPEN_HARD:
            vstr_sprintf(relay, "%s[%s]", list->addr[i].host, list->addr[i].addr);
            if (d.unix_path == NULL)
                vstr_printf(relay, ":%u", d.port);
            times->relay = vstr_str(relay);
            for (size_t j = 0; j < req->nrcpt; j++)
                if (!st[j].done) {
                    deliver_rcpt_bounce(req, qfd, j, vstr_str(dsn), vstr_str(why), times);
                    st[j].done = 1;
                }
            goto done;
        case SMTP_OPEN_FAIL:
            /* the server answered: the log names it, as Postfix's does */
            vstr_sprintf(relay, "%s[%s]", list->addr[i].host, list->addr[i].addr);
            if (d.unix_path == NULL)
                vstr_printf(relay, ":%u", d.port);
            sessions++;
            continue;
        default:
            sessions++;
            n_ok++;
            smtp_use(cf, s, req, qfd, r, st, times, vstr_str(key), cache);
            break;
        }
    }
    if (n_ok > 0)
        goto done;
defer_all:
    /* no server took the mail: the whole next hop failed */
    if (vstr_len(dsn) == 0)
        vstr_set(dsn, "4.4.1");
    if (vstr_str(dsn)[0] != '4')
        vstr_str(dsn)[0] = '4';
    mem_free(req->hop_status);
    mem_free(req->hop_reason);
    req->hop_status = mem_strdup(vstr_str(dsn));
    req->hop_reason = mem_strdup(vstr_str(why));
    for (i = 0; i < req->nrcpt; i++) {
        if (st[i].done || vstr_len(st[i].why))
            continue;
        vstr_set(st[i].dsn, vstr_str(dsn));
        vstr_set(st[i].why, vstr_str(why));
        vstr_set(st[i].relay, vstr_len(relay) ? vstr_str(relay) : "none");
    }
done:
    for (i = 0; i < req->nrcpt; i++) {
        if (st[i].done)
            continue;
        if (vstr_len(st[i].why) == 0) {
            vstr_set(st[i].dsn, vstr_len(dsn) ? vstr_str(dsn) : "4.4.1");
            vstr_set(st[i].why, vstr_len(why) ? vstr_str(why) : "delivery temporarily failed");
            vstr_set(st[i].relay, "none");
        }
        times->relay = vstr_str(st[i].relay);
        if (vstr_len(st[i].reply)) {
            /* a server's 4xx reply: the delay notice's Remote-MTA, Diagnostic-Code */
            req->remote_mta = vstr_str(st[i].mta);
            req->remote_diag_type = msg_program();
            req->remote_reply = vstr_str(st[i].reply);
        }
        deliver_rcpt_defer(req, i, vstr_str(st[i].dsn), vstr_str(st[i].why), times);
        req->remote_mta = req->remote_diag_type = req->remote_reply = NULL;
    }
    smtp_addr_list_free(list);
    smtp_dest_free(&d);
    vstr_free(dsn);
    vstr_free(why);
    vstr_free(key);
    vstr_free(relay);
}

/* The recipients of one request (deliver_agent_serve() does the rest). */
static int smtp_deliver_request(void *ctx, DELIVER_REQUEST *req, QFILE_READER *r, int qfd,
                                DELIVER_TIMES *times)
{
    SMTP_CONF *cf = ctx;
    SMTP_RCPT_STATE *st = mem_alloc(req->nrcpt * sizeof(*st));
    size_t i;

    for (i = 0; i < req->nrcpt; i++) {
        st[i].done = 0;
        st[i].dsn = vstr_new(0);
        st[i].why = vstr_new(0);
        st[i].relay = vstr_new(0);
        st[i].reply = vstr_new(0);
        st[i].mta = vstr_new(0);
    }
    smtp_deliver(cf, req, qfd, r, st, times);
    for (i = 0; i < req->nrcpt; i++) {
        vstr_free(st[i].dsn);
        vstr_free(st[i].why);
        vstr_free(st[i].relay);
        vstr_free(st[i].reply);
        vstr_free(st[i].mta);
    }
    mem_free(st);
    return 0;
}

/* A request arrived: cached sessions are not idle now (the timer may run on). */
static void smtp_request_before(void *ctx)
{
    (void) ctx;
    smtp_busy = 1;
}

/* A request is done: cached sessions close when idle too long. */
static void smtp_request_after(void *ctx)
{
    SMTP_CONF *cf = ctx;
    size_t i;

    smtp_idle_since = (sig_atomic_t) smtp_mono_sec();
    smtp_busy = 0;
    if (smtp_timer_armed)
        return;
    for (i = 0; i < SMTP_CACHE_MAX; i++)
        if (smtp_cache[i] != NULL) {
            smtp_cache_timer_set(cf->cache_time_limit);
            break;
        }
}

static void smtp_client(SERVER *srv, int fd)
{
    SMTP_CONF *cf = srv->context;
    DELIVER_AGENT a;

    memset(&a, 0, sizeof(a));
    a.relay = "none";
    a.resolution = cf->resolution;
    a.timeout_ms = cf->ipc_timeout_ms;
    a.deliver = smtp_deliver_request;
    a.before = smtp_request_before;
    a.after = smtp_request_after;
    a.ctx = cf;
    a.srv = srv;
    deliver_agent_serve(fd, &a);
}

/* smtp_bind_conf - smtp_bind_address(6): a numeric address, or empty */
static void smtp_bind_conf(const SMTP_CONF *cf, const char *name, int family,
                           struct sockaddr_storage *ss)
{
    const char *v = cfp(cf, name);

    memset(ss, 0, sizeof(*ss));
    if (*v == 0)
        return;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *) ss;
        if (inet_pton(AF_INET, v, &sin->sin_addr) != 1)
            msg_fatal("%s_%s: not an IPv4 address: %s", cf->prefix, name, v);
        sin->sin_family = AF_INET;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
        if (inet_pton(AF_INET6, v, &sin6->sin6_addr) != 1)
            msg_fatal("%s_%s: not an IPv6 address: %s", cf->prefix, name, v);
        sin6->sin6_family = AF_INET6;
    }
}

static void smtp_pre_jail(SERVER *srv)
{
    SMTP_CONF *cf = srv->context;
    const char *prog = msg_program();
    const char *v;
    long t;
    VSTR *why = vstr_new(0);

    signal(SIGPIPE, SIG_IGN);
    cf->lmtp = strcmp(srv->service, "lmtp") == 0 || (prog && strcmp(prog, "lmtp") == 0);
    cf->prefix = cf->lmtp ? "lmtp" : "smtp";
    cf->helo_name = cfp(cf, cf->lmtp ? "lhlo_name" : "helo_name");
    if (*cf->helo_name == 0)
        cf->helo_name = conf_get("myhostname");
    cf->def_port = (unsigned) (cf->lmtp ? 24 : 25);
    v = cfp(cf, "tcp_port");
    {
        long p;
        if (str_parse_long(v, 1, 65535, &p) == 0)
            cf->def_port = (unsigned) p;
        else if (strcmp(v, "smtp") == 0)
            cf->def_port = 25;
        else if (strcmp(v, "lmtp") == 0)
            cf->def_port = 24;
    }
    cf->connect_timeout = (int) cft(cf, "connect_timeout");
    cf->helo_timeout = (int) cft(cf, cf->lmtp ? "lhlo_timeout" : "helo_timeout");
    cf->starttls_timeout = (int) cft(cf, "starttls_timeout");
    cf->mail_timeout = (int) cft(cf, "mail_timeout");
    cf->rcpt_timeout = (int) cft(cf, "rcpt_timeout");
    cf->data_init_timeout = (int) cft(cf, "data_init_timeout");
    cf->data_xfer_timeout = (int) cft(cf, "data_xfer_timeout");
    cf->data_done_timeout = (int) cft(cf, "data_done_timeout");
    cf->rset_timeout = (int) cft(cf, "rset_timeout");
    cf->quit_timeout = (int) cft(cf, "quit_timeout");
    cf->xforward_timeout = (int) cft(cf, "xforward_timeout");
    cf->send_xforward = cfb(cf, "send_xforward_command");
    cf->per_request_deadline = cfb(cf, "per_request_deadline");
    {
        long rate = cfi(cf, "min_data_rate");
        if (rate < 1 || rate > 1000000000L)
            msg_fatal("bad %s_min_data_rate: %ld (1..1000000000)", cf->prefix, rate);
        cf->min_data_rate = (unsigned) rate;
    }
    cf->never_ehlo = cf->lmtp ? 0 : cfb(cf, "never_send_ehlo");
    cf->skip_quit_response = cfb(cf, "skip_quit_response");
    cf->skip_5xx_greeting = cfb(cf, "skip_5xx_greeting");
    cf->mx_session_limit = (int) cfi(cf, "mx_session_limit");
    smtp_bind_conf(cf, "bind_address", AF_INET, &cf->bind4);
    smtp_bind_conf(cf, "bind_address6", AF_INET6, &cf->bind6);
    cf->discard_ehlo = argv_split(cfp(cf, cf->lmtp ? "discard_lhlo_keywords"
                                                   : "discard_ehlo_keywords"), ", \t\r\n");
    cf->line_limit = cfi(cf, "line_length_limit") > 0 ? (size_t) cfi(cf, "line_length_limit") : 0;
    if (cf->line_limit > 0 && cf->line_limit < 40)
        cf->line_limit = 40;
    cf->resolve.addr_limit = (size_t) (cfi(cf, "mx_address_limit") > 0
                                           ? cfi(cf, "mx_address_limit") : 0);
    cf->cache_on_demand = cfb(cf, "connection_cache_on_demand");
    cf->cache_time_limit = cft(cf, "connection_cache_time_limit");
    cf->reuse_count_limit = cfi(cf, "connection_reuse_count_limit");
    cf->reuse_time_limit = cft(cf, "connection_reuse_time_limit");
    cf->tls_reuse = cfb(cf, "tls_connection_reuse");
    v = cfp(cf, "connection_cache_destinations");
    if (*v) {
        VSTR *title = vstr_new(0);
        vstr_sprintf(title, "%s_connection_cache_destinations", cf->prefix);
        cf->cache_dest = match_list_create(vstr_str(title), v, MATCH_STRING, why);
        if (vstr_len(why))
            msg_warn("%s", vstr_str(why));
        vstr_reset(why);
        vstr_free(title);
    }
    if ((cf->cache_on_demand || cf->cache_dest) && cf->cache_time_limit > 0)
        smtp_cache_timer_init(cf->cache_time_limit);
    cf->resolution = (int) conf_get_int("delay_logging_resolution_limit");
    if (cf->resolution < 0 || cf->resolution > 6)
        msg_fatal("bad delay_logging_resolution_limit: %d (0..6)", cf->resolution);
    t = conf_get_time("ipc_timeout");
    cf->ipc_timeout_ms = t > 0 && t < 86400 ? (int) t * 1000 : 3600000;

    /* where to connect */
    if (dns_parse_family(conf_get("inet_protocols"), &cf->resolve.families) < 0)
        msg_fatal("bad inet_protocols: %s", conf_get("inet_protocols"));
    v = cfp(cf, "host_lookup");
    cf->resolve.lookup = 0;
    {
        ARGV *w = argv_split(v, ", \t");
        size_t i;
        for (i = 0; i < w->argc; i++) {
            if (strcasecmp(w->argv[i], "dns") == 0)
                cf->resolve.lookup |= SMTP_LOOKUP_DNS;
            else if (strcasecmp(w->argv[i], "native") == 0)
                cf->resolve.lookup |= SMTP_LOOKUP_NATIVE;
            else
                msg_fatal("bad %s_host_lookup value: %s", cf->prefix, w->argv[i]);
        }
        argv_free(w);
    }
    if (cf->resolve.lookup == 0)
        cf->resolve.lookup = SMTP_LOOKUP_DNS;
    v = cfp(cf, "dns_support_level");
    if (strcasecmp(v, "disabled") == 0 || conf_get_bool("disable_dns_lookups"))
        cf->resolve.lookup = (cf->resolve.lookup & ~SMTP_LOOKUP_DNS) | SMTP_LOOKUP_NATIVE;
    else if (*v && strcasecmp(v, "enabled") != 0 && strcasecmp(v, "dnssec") != 0)
        msg_fatal("bad %s_dns_support_level value: %s", cf->prefix, v);
    if (cf->resolve.lookup & SMTP_LOOKUP_DNS) {
        DNS_OPTIONS opt = DNS_OPTIONS_DEFAULT;
        if ((cf->resolve.dns = dns_init(NULL, &opt, why)) == NULL)
            msg_fatal("DNS resolver: %s", vstr_str(why));
    }
    cf->resolve.myhostname = conf_get("myhostname");
    cf->resolve.self = argv_new();
    smtp_self_addrs(conf_get("inet_interfaces"), conf_get("proxy_interfaces"), cf->resolve.self);

    /* TLS */
    v = cfp(cf, "tls_security_level");
    if (*v == 0)
        v = cfb(cf, "enforce_tls") ? "encrypt" : cfb(cf, "use_tls") ? "may" : "none";
    if ((cf->tls_level = tls_level_parse(v)) < 0)
        msg_fatal("bad %s_tls_security_level: %s", cf->prefix, v);
    cf->tls_loglevel = (int) cfi(cf, "tls_loglevel");
    cf->tls_wrapper = cfb(cf, "tls_wrappermode");
    if (cf->tls_wrapper && cf->tls_level == TLS_LEV_NONE)
        msg_warn("%s_tls_wrappermode requires %s_tls_security_level = encrypt or higher",
                 cf->prefix, cf->prefix);
    cf->tls_policy = smtp_open_maps(cfp(cf, "tls_policy_maps"), &cf->ntls_policy,
                                    cf->lmtp ? "lmtp_tls_policy_maps" : "smtp_tls_policy_maps");
    if (cf->tls_level != TLS_LEV_NONE || cf->ntls_policy > 0 || cf->tls_wrapper) {
        TLS_CLIENT_PARAMS p;
        tls_client_params_conf(&p, cf->prefix);
        if ((cf->tls_ctx = tls_client_init(&p, why)) == NULL) {
            if (cf->tls_level >= TLS_LEV_ENCRYPT)
                msg_warn("TLS client initialization failed: %s", vstr_str(why));
            else
                msg_warn("TLS client initialization failed: %s; TLS disabled", vstr_str(why));
        }
    }

    cf->no_mime_conversion = conf_get_bool("disable_mime_output_conversion");
    cf->hdr_checks = smtp_open_maps(cfp(cf, "header_checks"), &cf->nhdr_checks,
                                    cf->lmtp ? "lmtp_header_checks" : "smtp_header_checks");
    cf->body_checks = smtp_open_maps(cfp(cf, "body_checks"), &cf->nbody_checks,
                                     cf->lmtp ? "lmtp_body_checks" : "smtp_body_checks");
    cf->mime_checks = smtp_open_maps(cfp(cf, "mime_header_checks"), &cf->nmime_checks,
                                     cf->lmtp ? "lmtp_mime_header_checks"
                                              : "smtp_mime_header_checks");
    cf->nested_checks = smtp_open_maps(cfp(cf, "nested_header_checks"), &cf->nnested_checks,
                                       cf->lmtp ? "lmtp_nested_header_checks"
                                                : "smtp_nested_header_checks");
    cf->generic = smtp_open_maps(cfp(cf, "generic_maps"), &cf->ngeneric,
                                 cf->lmtp ? "lmtp_generic_maps" : "smtp_generic_maps");

    /* SASL */
    cf->sasl_enable = cfb(cf, "sasl_auth_enable");
    cf->sasl_sender_dependent = !cf->lmtp && cfb(cf, "sender_dependent_authentication");
    if (cf->sasl_enable) {
        SASL_CLI_PARAMS p;
        sasl_cli_params_conf(&p, cf->prefix);
        if ((cf->sasl = sasl_cli_open(&p, why)) == NULL)
            msg_fatal("SASL client: %s", vstr_str(why));
        cf->sasl_maps = smtp_open_maps(cfp(cf, "sasl_password_maps"), &cf->nsasl_maps,
                                       cf->lmtp ? "lmtp_sasl_password_maps"
                                                : "smtp_sasl_password_maps");
    }
    vstr_free(why);
}

static void smtp_on_exit(SERVER *srv)
{
    smtp_cache_expire(srv->context, 1);
}

int main(int argc, char **argv)
{
    static SMTP_CONF cf;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = smtp_pre_jail;
    ops.client = smtp_client;
    ops.on_exit = smtp_on_exit;
    ops.context = &cf;
    server_single_main(argc, argv, &ops);
}
