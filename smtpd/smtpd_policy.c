/*
 * smtpd_policy - policy delegation (see smtpd_policy.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../lib/conf.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/tls.h"
#include "../lib/stream.h"
#include "../lib/strutil.h"
#include "../lib/unix_connect.h"
#include "smtpd_policy.h"

#define POLICY_CLIENTS_MAX 32       /* distinct specifications kept open */
#define POLICY_SPEC_MAX 1024        /* a specification's text */

typedef struct POLICY_CLNT {
    char *key;                      /* the specification text */
    STREAM *stream;                 /* NULL: not connected */
    time_t opened;
    time_t last_used;
    long requests;                  /* on this connection */
} POLICY_CLNT;

/* The connection cache: this process's only state, bounded by POLICY_CLIENTS_MAX. */
static POLICY_CLNT policy_clients[POLICY_CLIENTS_MAX];

/* The instance attribute: one value per message transaction. */
static struct {
    const void *state;
    char addr[64];
    char port[8];
    int mail_count;
    unsigned seq;
    char text[80];
} policy_instance;

/* ---- the specification ---- */

/*
 * The items of "{ a, b = c d, { e = f g }, ... }": commas separate items (an
 * item in inner braces may hold commas); a value may hold white space; words
 * before a "name=" that are separated by white space are items of their own
 * ("{ inet:h:p timeout=10s }"). NULL: no closing brace.
 */
static ARGV *policy_items(const char *arg)
{
    size_t len = strlen(arg), i, start;
    ARGV *items, *raw = argv_new();
    int depth = 0;

    if (len < 2 || arg[0] != '{' || arg[len - 1] != '}') {
        argv_free(raw);
        return NULL;
    }
    for (i = start = 1; i < len - 1; i++) {
        if (arg[i] == '{')
            depth++;
        else if (arg[i] == '}' && depth > 0)
            depth--;
        else if (arg[i] == ',' && depth == 0) {
            argv_addn(raw, arg + start, i - start);
            start = i + 1;
        }
    }
    argv_addn(raw, arg + start, len - 1 - start);
    items = argv_new();
    for (i = 0; i < raw->argc; i++) {
        char *item = str_trim(raw->argv[i]);
        char *eq, *p;
        size_t n = strlen(item);

        if (n >= 2 && item[0] == '{' && item[n - 1] == '}') {
            item[n - 1] = 0;
            item = str_trim(item + 1);
        }
        if (*item == 0)
            continue;
        if ((eq = strchr(item, '=')) == NULL) {
            ARGV *words = argv_split(item, " \t\n");
            size_t j;

            for (j = 0; j < words->argc; j++)
                argv_add(items, words->argv[j]);
            argv_free(words);
            continue;
        }
        /* "w1 w2 name = value": w1 and w2 are items; the name is the last word before '='. */
        p = eq;
        while (p > item && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n'))
            p--;
        while (p > item && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n')
            p--;
        if (p > item) {
            ARGV *words;
            size_t j;

            p[-1] = 0;
            words = argv_split(item, " \t\n");
            for (j = 0; j < words->argc; j++)
                argv_add(items, words->argv[j]);
            argv_free(words);
        }
        argv_add(items, p);
    }
    argv_free(raw);
    return items;
}

int smtpd_policy_needs_endpoint(const char *arg)
{
    ARGV *items;
    size_t i;
    int needs = 1;

    if (arg == NULL || arg[0] != '{' || (items = policy_items(arg)) == NULL)
        return 0;
    for (i = 0; i < items->argc; i++)
        if (strchr(items->argv[i], '=') == NULL)
            needs = 0;
    argv_free(items);
    return needs;
}

static int policy_endpoint_ok(const char *ep)
{
    const char *colon;

    if (strncasecmp(ep, "inet:", 5) == 0) {
        colon = strrchr(ep + 5, ':');
        return colon != NULL && colon > ep + 5 && colon[1] != 0;
    }
    if (strncasecmp(ep, "unix:", 5) == 0)
        return ep[5] != 0;
    return strchr(ep, ':') == NULL && *ep != 0;
}

static int policy_set_time(const char *name, const char *value, long *out, VSTR *why)
{
    if (conf_parse_time(value, 's', out) < 0 || *out < 0) {
        vstr_sprintf(why, "check_policy_service: bad %s value \"%s\"", name, value);
        return -1;
    }
    return 0;
}

static int policy_set_int(const char *name, const char *value, long min, long *out, VSTR *why)
{
    if (str_parse_long(value, min, 1000000000L, out) < 0) {
        vstr_sprintf(why, "check_policy_service: bad %s value \"%s\"", name, value);
        return -1;
    }
    return 0;
}

/* One name=value item from the braces (white space around '=' allowed). */
static int policy_option(SMTPD_POLICY_SPEC *spec, char *item, VSTR *why)
{
    char *eq = strchr(item, '=');
    char *name, *value;

    *eq = 0;
    name = str_trim(item);
    value = str_trim(eq + 1);
    if (strcasecmp(name, "timeout") == 0)
        return policy_set_time(name, value, &spec->timeout, why);
    if (strcasecmp(name, "max_idle") == 0)
        return policy_set_time(name, value, &spec->max_idle, why);
    if (strcasecmp(name, "max_ttl") == 0)
        return policy_set_time(name, value, &spec->max_ttl, why);
    if (strcasecmp(name, "retry_delay") == 0)
        return policy_set_time(name, value, &spec->retry_delay, why);
    if (strcasecmp(name, "try_limit") == 0)
        return policy_set_int(name, value, 1, &spec->try_limit, why);
    if (strcasecmp(name, "request_limit") == 0)
        return policy_set_int(name, value, 0, &spec->request_limit, why);
    if (strcasecmp(name, "default_action") == 0) {
        mem_free(spec->default_action);
        spec->default_action = mem_strdup(value);
        return 0;
    }
    if (strcasecmp(name, "policy_context") == 0) {
        mem_free(spec->context);
        spec->context = mem_strdup(value);
        return 0;
    }
    vstr_sprintf(why, "check_policy_service: unknown attribute \"%s\"", name);
    return -1;
}

static int policy_parse_braces(const char *arg, SMTPD_POLICY_SPEC *spec, VSTR *why)
{
    ARGV *items = policy_items(arg);
    size_t i;
    int ret = 0;

    if (items == NULL) {
        vstr_sprintf(why, "check_policy_service: missing \"}\" in \"%s\"", arg);
        return -1;
    }
    for (i = 0; i < items->argc && ret == 0; i++) {
        if (strchr(items->argv[i], '=') != NULL) {
            ret = policy_option(spec, items->argv[i], why);
        } else if (spec->endpoint == NULL) {
            spec->endpoint = mem_strdup(items->argv[i]);
        } else {
            vstr_sprintf(why, "check_policy_service: unexpected \"%s\" in \"%s\"",
                         items->argv[i], arg);
            ret = -1;
        }
    }
    argv_free(items);
    return ret;
}

int smtpd_policy_spec_parse(const char *arg, const char *arg2, SMTPD_POLICY_SPEC *spec,
                            VSTR *why)
{
    const char *v;

    memset(spec, 0, sizeof(*spec));
    spec->timeout = conf_get_time("smtpd_policy_service_timeout");
    spec->max_idle = conf_get_time("smtpd_policy_service_max_idle");
    spec->max_ttl = conf_get_time("smtpd_policy_service_max_ttl");
    spec->retry_delay = conf_get_time("smtpd_policy_service_retry_delay");
    spec->try_limit = conf_get_int("smtpd_policy_service_try_limit");
    spec->request_limit = conf_get_int("smtpd_policy_service_request_limit");
    v = conf_get("smtpd_policy_service_default_action");
    spec->default_action = mem_strdup(v ? v : "451 4.3.5 Server configuration problem");
    v = conf_get("smtpd_policy_service_policy_context");
    spec->context = mem_strdup(v ? v : "");
    if (arg == NULL || strlen(arg) > POLICY_SPEC_MAX
        || (arg2 != NULL && strlen(arg2) > POLICY_SPEC_MAX)) {
        vstr_set(why, "check_policy_service: missing or oversized server specification");
        return -1;
    }
    if (arg[0] == '{') {
        if (policy_parse_braces(arg, spec, why) < 0)
            return -1;
        if (spec->endpoint == NULL && arg2 != NULL)
            spec->endpoint = mem_strdup(arg2);
    } else {
        spec->endpoint = mem_strdup(arg);
    }
    if (spec->endpoint == NULL || !policy_endpoint_ok(spec->endpoint)) {
        vstr_sprintf(why, "check_policy_service: bad server specification \"%s\"",
                     spec->endpoint ? spec->endpoint : arg);
        return -1;
    }
    if (spec->try_limit < 1)
        spec->try_limit = 1;
    if (spec->timeout < 1)
        spec->timeout = 1;
    return 0;
}

void smtpd_policy_spec_free(SMTPD_POLICY_SPEC *spec)
{
    mem_free(spec->endpoint);
    mem_free(spec->default_action);
    mem_free(spec->context);
    memset(spec, 0, sizeof(*spec));
}

int smtpd_policy_conf_check(const char *arg, const char *arg2, VSTR *why)
{
    SMTPD_POLICY_SPEC spec;
    int r = smtpd_policy_spec_parse(arg, arg2, &spec, why);

    smtpd_policy_spec_free(&spec);
    return r;
}

/* ---- the request ---- */

/* name=value, the value without CR/LF and cut at SMTPD_POLICY_VALUE_MAX. */
static void policy_attr(VSTR *out, const char *name, const char *value)
{
    size_t i;

    vstr_adds(out, name);
    vstr_addch(out, '=');
    for (i = 0; value && value[i] && i < SMTPD_POLICY_VALUE_MAX; i++)
        vstr_addch(out, value[i] == '\r' || value[i] == '\n' ? ' ' : value[i]);
    vstr_addch(out, '\n');
}

static void policy_attr_num(VSTR *out, const char *name, long long n)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", n);
    policy_attr(out, name, buf);
}

void smtpd_policy_build_request(const SMTPD_STATE *state, const SMTPD_POLICY_SPEC *spec,
                                const SMTPD_POLICY_REQ *req, const char *instance, VSTR *out)
{
    const TLS_INFO *ti = state->tls ? tls_info(state->tls) : NULL;
    int eod = strcmp(req->stage, "END-OF-MESSAGE") == 0;
    int data = eod || strcmp(req->stage, "DATA") == 0;
    const char *rcpt = req->rcpt;
    const char *v;
    char buf[16];

    /* After RCPT the recipient is known only when there is exactly one. */
    if (data)
        rcpt = state->rcpts && state->rcpts->argc == 1 ? state->rcpts->argv[0] : "";
    vstr_reset(out);
    policy_attr(out, "request", "smtpd_access_policy");
    policy_attr(out, "protocol_state", req->stage);
    policy_attr(out, "protocol_name", state->protocol ? state->protocol : "SMTP");
    policy_attr(out, "helo_name", state->helo);
    policy_attr(out, "queue_id", state->queue_id);
    policy_attr(out, "sender", req->sender ? req->sender : state->sender);
    policy_attr(out, "recipient", rcpt);
    policy_attr_num(out, "recipient_count", data ? state->rcpt_count : 0);
    policy_attr(out, "client_address", state->addr);
    policy_attr(out, "client_name", state->name);
    policy_attr(out, "reverse_client_name", state->reverse_name);
    policy_attr(out, "instance", instance);
    policy_attr(out, "sasl_method", state->sasl_username ? state->sasl_method : "");
    policy_attr(out, "sasl_username", state->sasl_username);
    policy_attr(out, "sasl_sender", state->sasl_sender);
    /* at END-OF-MESSAGE the size received, before that the MAIL FROM SIZE= */
    policy_attr_num(out, "size", eod ? state->act_size
                                     : state->declared_size > 0 ? state->declared_size : 0);
    policy_attr(out, "ccert_subject", ti ? ti->peer_CN : "");
    policy_attr(out, "ccert_issuer", ti ? ti->issuer_CN : "");
    policy_attr(out, "ccert_fingerprint", ti ? ti->peer_cert_fprint : "");
    policy_attr(out, "ccert_pubkey_fingerprint", ti ? ti->peer_pkey_fprint : "");
    policy_attr(out, "encryption_protocol", ti ? ti->protocol : "");
    policy_attr(out, "encryption_cipher", ti ? ti->cipher : "");
    snprintf(buf, sizeof(buf), "%d", ti ? ti->cipher_usebits : 0);
    policy_attr(out, "encryption_keysize", buf);
    policy_attr(out, "etrn_domain", req->etrn);
    policy_attr(out, "stress", "");
    policy_attr(out, "client_port", state->port);
    policy_attr(out, "policy_context", spec->context);
    policy_attr(out, "server_address", state->server_addr);
    policy_attr(out, "server_port", state->server_port);
    v = conf_get("compatibility_level");
    policy_attr(out, "compatibility_level", v ? v : "0");
    v = conf_get("mail_version");
    policy_attr(out, "mail_version", v ? v : "");
    vstr_addch(out, '\n');
}

/* One value per message transaction: pid.seconds.microseconds.sequence. */
static const char *policy_instance_of(const SMTPD_STATE *state)
{
    int mail = state->cmd_total[SMTPD_C_MAIL];
    struct timeval tv;

    if (state->sender == NULL)
        return "";
    if (policy_instance.state == state && policy_instance.mail_count == mail
        && strcmp(policy_instance.addr, state->addr) == 0
        && strcmp(policy_instance.port, state->port) == 0 && policy_instance.text[0])
        return policy_instance.text;
    gettimeofday(&tv, NULL);
    policy_instance.state = state;
    policy_instance.mail_count = mail;
    snprintf(policy_instance.addr, sizeof(policy_instance.addr), "%s", state->addr);
    snprintf(policy_instance.port, sizeof(policy_instance.port), "%s", state->port);
    snprintf(policy_instance.text, sizeof(policy_instance.text), "%x.%lx.%lx.%x",
             (unsigned) getpid(), (unsigned long) tv.tv_sec, (unsigned long) tv.tv_usec,
             policy_instance.seq++);
    return policy_instance.text;
}

/* ---- the reply ---- */

int smtpd_policy_parse_reply(const char *reply, size_t len, VSTR *action, VSTR *why)
{
    const char *p = reply, *end = reply + len, *nl;
    int lines = 0, have = 0;

    vstr_reset(action);
    if (len > SMTPD_POLICY_REPLY_MAX) {
        vstr_set(why, "reply too long");
        return -1;
    }
    while (p < end) {
        size_t n;
        const char *eq;

        nl = memchr(p, '\n', (size_t) (end - p));
        if (nl == NULL) {
            vstr_set(why, "reply without its ending empty line");
            return -1;
        }
        n = (size_t) (nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0) {
            if (nl + 1 != end) {
                vstr_set(why, "data after the reply's empty line");
                return -1;
            }
            if (!have) {
                vstr_set(why, "reply without an action attribute");
                return -1;
            }
            return 0;
        }
        if (++lines > SMTPD_POLICY_LINES) {
            vstr_set(why, "too many reply lines");
            return -1;
        }
        if (n > SMTPD_POLICY_LINE_MAX) {
            vstr_set(why, "reply line too long");
            return -1;
        }
        if (memchr(p, '\0', n) != NULL || (eq = memchr(p, '=', n)) == NULL || eq == p) {
            vstr_set(why, "malformed reply line (expected name=value)");
            return -1;
        }
        if ((size_t) (eq - p) == 6 && strncasecmp(p, "action", 6) == 0 && !have) {
            const char *v = eq + 1;
            size_t vn = (size_t) (p + n - v);

            while (vn > 0 && (*v == ' ' || *v == '\t'))
                v++, vn--;
            while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            if (vn == 0) {
                vstr_set(why, "empty action attribute");
                return -1;
            }
            vstr_addmem(action, v, vn);
            have = 1;
        }
        p = nl + 1;
    }
    vstr_set(why, "reply without its ending empty line");
    return -1;
}

/* ---- the connection ---- */

static void policy_disconnect(POLICY_CLNT *c)
{
    if (c->stream) {
        stream_free(c->stream);
        c->stream = NULL;
    }
    c->requests = 0;
}

static int policy_connect_inet(const char *hostport, long timeout, VSTR *why)
{
    char host[POLICY_SPEC_MAX + 1];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *res = NULL, *ai;
    size_t hlen;
    int fd = -1, err;

    hlen = (size_t) (colon - hostport);
    if (hlen >= sizeof(host)) {
        vstr_set(why, "host name too long");
        return -1;
    }
    memcpy(host, hostport, hlen);
    host[hlen] = 0;
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((err = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
        vstr_sprintf(why, "%s: %s", hostport, gai_strerror(err));
        return -1;
    }
    vstr_set(why, "no address");
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        struct pollfd pfd;
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        int flags;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            vstr_sprintf(why, "socket: %s", strerror(errno));
            continue;
        }
        flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            if (errno != EINPROGRESS && errno != EINTR) {
                vstr_sprintf(why, "connect: %s", strerror(errno));
                close(fd);
                fd = -1;
                continue;
            }
            pfd.fd = fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            do {
                err = poll(&pfd, 1, (int) (timeout * 1000));
            } while (err < 0 && errno == EINTR);
            if (err <= 0) {
                vstr_set(why, "connect: timeout");
                close(fd);
                fd = -1;
                continue;
            }
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
                vstr_sprintf(why, "connect: %s", strerror(soerr ? soerr : errno));
                close(fd);
                fd = -1;
                continue;
            }
        }
        fcntl(fd, F_SETFL, flags);
    }
    freeaddrinfo(res);
    return fd;
}

static int policy_connect(POLICY_CLNT *c, const SMTPD_POLICY_SPEC *spec, VSTR *why)
{
    const char *ep = spec->endpoint;
    int fd;

    if (strncasecmp(ep, "inet:", 5) == 0) {
        fd = policy_connect_inet(ep + 5, spec->timeout, why);
    } else {
        if (strncasecmp(ep, "unix:", 5) == 0)
            ep += 5;
        fd = unix_connect(ep);
        if (fd < 0)
            vstr_sprintf(why, "connect to %s: %s", ep, strerror(errno));
    }
    if (fd < 0)
        return -1;
    c->stream = stream_open(fd, STREAM_CLOSE);
    c->opened = time(NULL);
    c->requests = 0;
    return 0;
}

/* A kept connection that the server closed (or that has stray input) is not reused. */
static int policy_stale(POLICY_CLNT *c, const SMTPD_POLICY_SPEC *spec, time_t now)
{
    struct pollfd pfd;

    if (now - c->last_used >= spec->max_idle || now - c->opened >= spec->max_ttl)
        return 1;
    if (spec->request_limit > 0 && c->requests >= spec->request_limit)
        return 1;
    if (stream_buffered(c->stream) > 0)
        return 1;
    pfd.fd = stream_fd(c->stream);
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) != 0;
}

static POLICY_CLNT *policy_client(const char *key)
{
    POLICY_CLNT *c, *victim = NULL;
    size_t i;

    for (i = 0; i < POLICY_CLIENTS_MAX; i++) {
        c = policy_clients + i;
        if (c->key && strcmp(c->key, key) == 0)
            return c;
        if (c->key == NULL && victim == NULL)
            victim = c;
    }
    if (victim == NULL) {
        /* Full: reuse the least recently used slot. */
        victim = policy_clients;
        for (i = 1; i < POLICY_CLIENTS_MAX; i++)
            if (policy_clients[i].last_used < victim->last_used)
                victim = policy_clients + i;
        policy_disconnect(victim);
        mem_free(victim->key);
    }
    memset(victim, 0, sizeof(*victim));
    victim->key = mem_strdup(key);
    return victim;
}

/* One attempt: connect if needed, send, read the reply. 0, or -1 with why. */
static int policy_try(POLICY_CLNT *c, const SMTPD_POLICY_SPEC *spec, const VSTR *request,
                      VSTR *action, VSTR *why)
{
    VSTR *reply = vstr_new(256), *line = vstr_new(128);
    time_t now = time(NULL);
    int lines = 0, r, ret = -1;

    if (c->stream && policy_stale(c, spec, now))
        policy_disconnect(c);
    if (c->stream == NULL && policy_connect(c, spec, why) < 0)
        goto out;
    stream_set_limits(c->stream, (int) (spec->timeout * 1000), SMTPD_POLICY_REPLY_MAX + 2);
    stream_write_begin(c->stream);
    if (stream_write(c->stream, vstr_str(request), vstr_len(request)) < 0
        || stream_flush(c->stream) < 0) {
        stream_write_end(c->stream);
        vstr_sprintf(why, "%s", stream_why(c->stream));
        goto out;
    }
    stream_write_end(c->stream);
    stream_read_begin(c->stream);
    for (;;) {
        vstr_reset(line);
        r = stream_get_until(c->stream, '\n', line, SMTPD_POLICY_LINE_MAX + 1, NULL);
        if (r == STREAM_TOOLONG) {
            vstr_set(why, "reply line too long");
            break;
        }
        if (r == STREAM_END) {
            vstr_set(why, vstr_len(reply) || vstr_len(line) ? "unexpected end of reply"
                                                            : "connection closed by server");
            break;
        }
        if (r != STREAM_GOT) {
            vstr_sprintf(why, "%s", stream_why(c->stream));
            break;
        }
        vstr_addmem(reply, vstr_str(line), vstr_len(line));
        vstr_addch(reply, '\n');
        if (vstr_len(reply) > SMTPD_POLICY_REPLY_MAX || ++lines > SMTPD_POLICY_LINES + 1) {
            vstr_set(why, "reply too long");
            break;
        }
        if (vstr_len(line) == 0 || (vstr_len(line) == 1 && vstr_str(line)[0] == '\r')) {
            ret = smtpd_policy_parse_reply(vstr_str(reply), vstr_len(reply), action, why);
            break;
        }
    }
    stream_read_end(c->stream);
out:
    if (ret < 0) {
        if (c->stream)
            policy_disconnect(c);
    } else {
        c->requests++;
        c->last_used = time(NULL);
    }
    vstr_free(reply);
    vstr_free(line);
    return ret;
}

int smtpd_policy_query(SMTPD_STATE *state, const char *arg, const char *arg2,
                       const SMTPD_POLICY_REQ *req, VSTR *action, VSTR *why)
{
    SMTPD_POLICY_SPEC spec;
    VSTR *key, *request, *err;
    POLICY_CLNT *c;
    long attempt;
    int ok = 0;

    if (smtpd_policy_spec_parse(arg, arg2, &spec, why) < 0) {
        smtpd_policy_spec_free(&spec);
        return -1;
    }
    key = vstr_new(0);
    vstr_sprintf(key, "%s %s", arg, arg2 ? arg2 : "");
    c = policy_client(vstr_str(key));
    request = vstr_new(1024);
    err = vstr_new(0);
    smtpd_policy_build_request(state, &spec, req, policy_instance_of(state), request);
    for (attempt = 1; attempt <= spec.try_limit && !ok; attempt++) {
        vstr_reset(err);
        if (policy_try(c, &spec, request, action, err) == 0) {
            ok = 1;
        } else {
            msg_warn("problem talking to server %s: %s", spec.endpoint, vstr_str(err));
            if (attempt < spec.try_limit && spec.retry_delay > 0)
                sleep((unsigned) spec.retry_delay);
        }
    }
    if (!ok)
        vstr_set(action, spec.default_action);
    vstr_free(key);
    vstr_free(request);
    vstr_free(err);
    smtpd_policy_spec_free(&spec);
    return 0;
}

void smtpd_policy_close_all(void)
{
    size_t i;

    for (i = 0; i < POLICY_CLIENTS_MAX; i++) {
        policy_disconnect(policy_clients + i);
        mem_free(policy_clients[i].key);
        policy_clients[i].key = NULL;
    }
}
