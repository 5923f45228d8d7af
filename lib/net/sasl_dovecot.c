/*
 * sasl_dovecot - Dovecot auth protocol client for sasl_server (see the
 * header).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "mem.h"
#include "msg.h"
#include "sasl_dovecot.h"
#include "sasl_util.h"
#include "strutil.h"

/* Dovecot's mechanism flags. */
#define MF_ANONYMOUS  (1u << 0)
#define MF_PLAINTEXT  (1u << 1)
#define MF_DICTIONARY (1u << 2)
#define MF_ACTIVE     (1u << 3)
#define MF_FORWARD    (1u << 4)
#define MF_MUTUAL     (1u << 5)
#define MF_PRIVATE    (1u << 6)

typedef struct DOVECOT_MECH {
    char name[SASL_MECH_MAX + 1];
    unsigned flags;
} DOVECOT_MECH;

typedef struct DOVECOT_SRV {
    char *path;                         /* as configured, for messages */
    char *unix_path;                    /* UNIX socket, or NULL */
    char *host;                         /* inet: host and port, or NULL */
    char *port;
    char *service;
    int timeout;
    int fd;                             /* -1: not connected */
    VSTR *in;                           /* bytes read, not yet used */
    DOVECOT_MECH mechs[SASL_DOVECOT_MECH_MAX];
    size_t nmechs;
    unsigned long next_id;
} DOVECOT_SRV;

typedef struct DOVECOT_SESS {
    DOVECOT_SRV *ds;
    char *lip, *rip, *lport, *rport;
    int secured;
    int verified;
    unsigned long id;                   /* 0: no exchange */
    char *user;
} DOVECOT_SESS;

/* "host:port" or "[v6addr]:port" -> host, port; -1 when malformed. */
static int parse_inet(const char *text, char **host, char **port)
{
    const char *colon;
    const char *h = text;
    size_t hlen;

    if (*text == '[') {
        const char *end = strchr(text, ']');

        if (end == NULL || end[1] != ':')
            return -1;
        h = text + 1;
        hlen = (size_t) (end - h);
        colon = end + 1;
    } else {
        if ((colon = strrchr(text, ':')) == NULL)
            return -1;
        hlen = (size_t) (colon - text);
    }
    if (hlen == 0 || hlen > 255 || colon[1] == 0 || strlen(colon + 1) > 32
        || (*text != '[' && memchr(h, ':', hlen) != NULL))
        return -1;
    *host = mem_strndup(h, hlen);
    *port = mem_strdup(colon + 1);
    return 0;
}

void *sasl_dovecot_srv_open(const SASL_SRV_PARAMS *p, VSTR *why)
{
    DOVECOT_SRV *ds;
    const char *svc = p->service && *p->service ? p->service : "smtp";
    const char *s;

    char *host = NULL;
    char *port = NULL;
    const char *unix_path = NULL;

    if (p->path == NULL || *p->path == 0) {
        vstr_set(why, "smtpd_sasl_path: no Dovecot auth socket given");
        return NULL;
    }
    if (strncmp(p->path, "inet:", 5) == 0) {
        if (parse_inet(p->path + 5, &host, &port) < 0) {
            vstr_set(why, "smtpd_sasl_path: expected inet:host:port, not ");
            vstr_addmem(why, p->path, strnlen(p->path, 200));
            return NULL;
        }
    } else {
        unix_path = strncmp(p->path, "unix:", 5) == 0 ? p->path + 5 : p->path;
        if (*unix_path == 0 || strlen(unix_path) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
            vstr_set(why, "smtpd_sasl_path: bad or too long Dovecot auth socket path");
            return NULL;
        }
    }
    for (s = svc; *s; s++) {
        if ((unsigned char) *s <= ' ' || *s == 127 || s - svc > 100) {
            vstr_set(why, "smtpd_sasl_service: bad service name");
            mem_free(host);
            mem_free(port);
            return NULL;
        }
    }
    ds = mem_calloc(1, sizeof(*ds));
    ds->path = mem_strdup(p->path);
    ds->unix_path = unix_path ? mem_strdup(unix_path) : NULL;
    ds->host = host;
    ds->port = port;
    ds->service = mem_strdup(svc);
    ds->timeout = p->timeout > 0 ? p->timeout : SASL_SRV_DEF_TIMEOUT;
    ds->fd = -1;
    ds->in = vstr_new(1024);
    return ds;
}

static void dovecot_disconnect(DOVECOT_SRV *ds)
{
    if (ds->fd >= 0)
        close(ds->fd);
    ds->fd = -1;
    ds->nmechs = 0;
    vstr_reset(ds->in);
}

static void dovecot_close(void *backend)
{
    DOVECOT_SRV *ds = backend;

    dovecot_disconnect(ds);
    vstr_free(ds->in);
    mem_free(ds->path);
    mem_free(ds->unix_path);
    mem_free(ds->host);
    mem_free(ds->port);
    mem_free(ds->service);
    mem_free(ds);
}

int sasl_dovecot_unescape(VSTR *out, const char *text)
{
    vstr_reset(out);
    for (; *text; text++) {
        if (*text != '\001') {
            vstr_addch(out, *text);
            continue;
        }
        switch (*++text) {
        case '0':
            return -1;                  /* a NUL in a name is never right */
        case '1':
            vstr_addch(out, '\001');
            break;
        case 't':
            vstr_addch(out, '\t');
            break;
        case 'r':
            vstr_addch(out, '\r');
            break;
        case 'n':
        case 'l':
            vstr_addch(out, '\n');
            break;
        case 0:
            return -1;
        default:
            vstr_addch(out, *text);
            break;
        }
    }
    return 0;
}

/* Deadlines are milliseconds on the monotonic clock. */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long deadline_after(int seconds)
{
    return now_ms() + (long long) seconds * 1000;
}

static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd pfd;
    int r;

    for (;;) {
        long long left = deadline - now_ms();

        if (left <= 0)
            return -1;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        r = poll(&pfd, 1, (int) left);
        if (r > 0)
            return 0;
        if (r == 0 || errno != EINTR)
            return -1;
    }
}

static int dovecot_write(DOVECOT_SRV *ds, const char *data, size_t len, long long deadline,
                         VSTR *why)
{
    while (len > 0) {
        ssize_t n;

        if (wait_fd(ds->fd, POLLOUT, deadline) < 0) {
            vstr_set(why, "time-out writing to the Dovecot auth socket");
            return -1;
        }
        n = send(ds->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vstr_sprintf(why, "write to the Dovecot auth socket: %s", strerror(errno));
            return -1;
        }
        data += n;
        len -= (size_t) n;
    }
    return 0;
}

/*
 * Read one line (without its LF) into line; 0, or -1 with why. Bounded by
 * SASL_DOVECOT_LINE_MAX; a NUL byte is a protocol error.
 */
static int dovecot_read_line(DOVECOT_SRV *ds, VSTR *line, long long deadline, VSTR *why)
{
    char buf[4096];

    for (;;) {
        char *nl = memchr(vstr_str(ds->in), '\n', vstr_len(ds->in));

        if (nl != NULL) {
            size_t len = (size_t) (nl - vstr_str(ds->in));
            size_t rest = vstr_len(ds->in) - len - 1;

            if (len > SASL_DOVECOT_LINE_MAX)
                break;
            if (memchr(vstr_str(ds->in), 0, len) != NULL) {
                vstr_set(why, "Dovecot auth server sent a NUL byte");
                return -1;
            }
            vstr_reset(line);
            vstr_addmem(line, vstr_str(ds->in), len);
            memmove(vstr_str(ds->in), nl + 1, rest);
            vstr_truncate(ds->in, rest);
            return 0;
        }
        if (vstr_len(ds->in) > SASL_DOVECOT_LINE_MAX)
            break;
        if (wait_fd(ds->fd, POLLIN, deadline) < 0) {
            vstr_set(why, "time-out reading from the Dovecot auth socket");
            return -1;
        }
        {
            ssize_t n = read(ds->fd, buf, sizeof(buf));

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                vstr_sprintf(why, "read from the Dovecot auth socket: %s", strerror(errno));
                return -1;
            }
            if (n == 0) {
                vstr_set(why, "the Dovecot auth server closed the connection");
                return -1;
            }
            vstr_addmem(ds->in, buf, (size_t) n);
        }
    }
    vstr_sprintf(why, "Dovecot auth server sent a line longer than %d bytes",
                 SASL_DOVECOT_LINE_MAX);
    return -1;
}

static int parse_ulong(const char *s, unsigned long *val)
{
    char *end;

    if (*s < '0' || *s > '9' || strlen(s) > 10)
        return -1;
    errno = 0;
    *val = strtoul(s, &end, 10);
    return *end || errno ? -1 : 0;
}

static int parse_mech(DOVECOT_SRV *ds, ARGV *f, VSTR *why)
{
    static const struct {
        const char *name;
        unsigned flag;
    } names[] = {
        {"anonymous", MF_ANONYMOUS},    {"plaintext", MF_PLAINTEXT},
        {"dictionary", MF_DICTIONARY},  {"active", MF_ACTIVE},
        {"forward-secrecy", MF_FORWARD}, {"mutual-auth", MF_MUTUAL},
        {"private", MF_PRIVATE},
    };
    DOVECOT_MECH *m;
    size_t i;
    size_t k;

    if (f->argc < 2 || !sasl_util_mech_valid(f->argv[1])) {
        vstr_set(why, "Dovecot auth server sent a bad MECH line");
        return -1;
    }
    if (ds->nmechs >= SASL_DOVECOT_MECH_MAX) {
        vstr_set(why, "Dovecot auth server offered too many mechanisms");
        return -1;
    }
    for (i = 0; i < ds->nmechs; i++) {
        if (strcasecmp(ds->mechs[i].name, f->argv[1]) == 0) {
            vstr_set(why, "Dovecot auth server offered a mechanism twice");
            return -1;
        }
    }
    m = &ds->mechs[ds->nmechs++];
    memset(m, 0, sizeof(*m));
    strcpy(m->name, f->argv[1]);        /* length checked by sasl_util_mech_valid */
    for (k = 0; m->name[k]; k++)
        if (m->name[k] >= 'a' && m->name[k] <= 'z')
            m->name[k] = (char) (m->name[k] - 'a' + 'A');
    for (i = 2; i < f->argc; i++)
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if (strcmp(f->argv[i], names[k].name) == 0)
                m->flags |= names[k].flag;      /* unknown flags are ignored */
    return 0;
}

/* Split a line at TABs, keeping empty fields. */
static ARGV *split_tabs(const char *line)
{
    ARGV *f = argv_new();
    const char *p = line;

    for (;;) {
        const char *tab = strchr(p, '\t');

        if (tab == NULL) {
            argv_add(f, p);
            return f;
        }
        argv_addn(f, p, (size_t) (tab - p));
        p = tab + 1;
    }
}

/* Connect to one address within the deadline: 0, or -1 with errno set. */
static int connect_addr(int fd, const struct sockaddr *sa, socklen_t len, long long deadline)
{
    int err = 0;
    socklen_t elen = sizeof(err);

    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EAGAIN)
        return -1;
    if (wait_fd(fd, POLLOUT, deadline) < 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
        return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* Open ds->fd (non-blocking) to the UNIX or TCP socket; 0, or -1 with why. */
static int open_socket(DOVECOT_SRV *ds, long long deadline, VSTR *why)
{
    int saved = 0;

    if (ds->unix_path != NULL) {
        struct sockaddr_un sun;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        strcpy(sun.sun_path, ds->unix_path);   /* length checked at open */
        ds->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (ds->fd >= 0 && connect_addr(ds->fd, (struct sockaddr *) &sun, sizeof(sun), deadline) == 0)
            return 0;
        saved = errno;
    } else {
        struct addrinfo hints;
        struct addrinfo *res = NULL;
        struct addrinfo *ai;
        int r;

        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        if ((r = getaddrinfo(ds->host, ds->port, &hints, &res)) != 0) {
            vstr_sprintf(why, "Connect to %s failed: %s", ds->path, gai_strerror(r));
            return -1;
        }
        for (ai = res; ai != NULL; ai = ai->ai_next) {
            ds->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (ds->fd >= 0 && connect_addr(ds->fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0)
                break;
            saved = errno;
            if (ds->fd >= 0)
                close(ds->fd);
            ds->fd = -1;
        }
        freeaddrinfo(res);
        if (ds->fd >= 0)
            return 0;
    }
    /* Postfix's words, which administrators search their logs for. */
    vstr_sprintf(why, "Connect to %s failed: %s", ds->path, strerror(saved));
    return -1;
}

static int dovecot_connect(DOVECOT_SRV *ds, VSTR *why)
{
    long long deadline = deadline_after(ds->timeout);
    VSTR *line = vstr_new(256);
    VSTR *hello = vstr_new(64);
    int got_version = 0;
    int lines;
    int err = -1;

    if (open_socket(ds, deadline, why) < 0)
        goto out;
    vstr_sprintf(hello, "VERSION\t1\t1\nCPID\t%ld\n", (long) getpid());
    if (dovecot_write(ds, vstr_str(hello), vstr_len(hello), deadline, why) < 0)
        goto out;
    for (lines = 0; lines < SASL_DOVECOT_LINES_MAX; lines++) {
        ARGV *f;
        unsigned long num;
        int bad = 0;

        if (dovecot_read_line(ds, line, deadline, why) < 0)
            goto out;
        f = split_tabs(vstr_str(line));
        if (!got_version) {
            if (strcmp(f->argv[0], "VERSION") != 0 || f->argc < 3
                || parse_ulong(f->argv[1], &num) < 0 || parse_ulong(f->argv[2], &num) < 0) {
                vstr_set(why, "Dovecot auth server did not start with a VERSION line");
                bad = 1;
            } else if (strcmp(f->argv[1], "1") != 0) {
                vstr_sprintf(why, "Dovecot auth protocol version %.10s is not supported",
                             f->argv[1]);
                bad = 1;
            }
            got_version = 1;
        } else if (strcmp(f->argv[0], "MECH") == 0) {
            bad = parse_mech(ds, f, why) < 0;
        } else if (strcmp(f->argv[0], "SPID") == 0 || strcmp(f->argv[0], "CUID") == 0) {
            if (f->argc != 2 || parse_ulong(f->argv[1], &num) < 0) {
                vstr_sprintf(why, "Dovecot auth server sent a bad %s line", f->argv[0]);
                bad = 1;
            }
        } else if (strcmp(f->argv[0], "DONE") == 0) {
            argv_free(f);
            err = 0;
            goto out;
        } else if (strcmp(f->argv[0], "VERSION") == 0) {
            vstr_set(why, "Dovecot auth server sent VERSION twice");
            bad = 1;
        }
        /* COOKIE and anything newer: ignored. */
        argv_free(f);
        if (bad)
            goto out;
    }
    vstr_set(why, "Dovecot auth server handshake has too many lines");
out:
    vstr_free(line);
    vstr_free(hello);
    if (err < 0)
        dovecot_disconnect(ds);
    else if (msg_verbose)
        msg_info("SASL: connected to Dovecot auth server at %s, %zu mechanisms", ds->path,
                 ds->nmechs);
    return err;
}

/*
 * A kept connection that the server has closed (Dovecot restarted) is
 * noticed before it is used: Dovecot sends nothing unasked, so a readable
 * socket that has no data is at its end.
 */
static void dovecot_check_alive(DOVECOT_SRV *ds)
{
    struct pollfd pfd;
    char ch;

    if (ds->fd < 0)
        return;
    pfd.fd = ds->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) > 0 && recv(ds->fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
        if (msg_verbose)
            msg_info("SASL: the Dovecot auth server closed our connection; reconnecting");
        dovecot_disconnect(ds);
    }
}

static int mech_allowed(const DOVECOT_MECH *m, unsigned secflags)
{
    if (m->flags & MF_PRIVATE)
        return 0;
    if ((secflags & SASL_F_NOPLAINTEXT) && (m->flags & MF_PLAINTEXT))
        return 0;
    if ((secflags & SASL_F_NOANONYMOUS) && (m->flags & MF_ANONYMOUS))
        return 0;
    if ((secflags & SASL_F_NODICTIONARY) && (m->flags & MF_DICTIONARY))
        return 0;
    if ((secflags & SASL_F_NOACTIVE) && (m->flags & MF_ACTIVE))
        return 0;
    if ((secflags & SASL_F_FORWARD_SECRECY) && !(m->flags & MF_FORWARD))
        return 0;
    if ((secflags & SASL_F_MUTUAL_AUTH) && !(m->flags & MF_MUTUAL))
        return 0;
    return 1;
}

/* A value fit for an AUTH parameter (no TAB, LF or other control), or NULL. */
static char *param_value(const char *s)
{
    const char *p;

    if (s == NULL || *s == 0 || strlen(s) > 100)
        return NULL;
    for (p = s; *p; p++)
        if ((unsigned char) *p < ' ' || *p == 127)
            return NULL;
    return mem_strdup(s);
}

static void *dovecot_sess_new(void *backend, const SASL_SRV_CONN *c, unsigned secflags,
                              ARGV *mechs, VSTR *why)
{
    DOVECOT_SRV *ds = backend;
    DOVECOT_SESS *ss;
    size_t i;

    dovecot_check_alive(ds);
    if (ds->fd < 0 && dovecot_connect(ds, why) < 0) {
        msg_warn("SASL: %s", vstr_str(why));
        return NULL;
    }
    for (i = 0; i < ds->nmechs; i++)
        if (mech_allowed(&ds->mechs[i], secflags))
            argv_add(mechs, ds->mechs[i].name);
    ss = mem_calloc(1, sizeof(*ss));
    ss->ds = ds;
    ss->lip = param_value(c->server_addr);
    ss->rip = param_value(c->client_addr);
    ss->lport = param_value(c->server_port);
    ss->rport = param_value(c->client_port);
    ss->secured = c->tls_active;
    ss->verified = c->tls_verified;
    return ss;
}

static void dovecot_sess_free(void *sess)
{
    DOVECOT_SESS *ss = sess;

    mem_free(ss->lip);
    mem_free(ss->rip);
    mem_free(ss->lport);
    mem_free(ss->rport);
    mem_free(ss->user);
    mem_free(ss);
}

static const char *dovecot_user(void *sess)
{
    return ((DOVECOT_SESS *) sess)->user;
}

/* Remember user=NAME from a reply; -1 when the value is not acceptable. */
static int take_user(DOVECOT_SESS *ss, const char *value)
{
    VSTR *v = vstr_new(64);

    if (sasl_dovecot_unescape(v, value) < 0 || vstr_len(v) > 1000) {
        vstr_free(v);
        return -1;
    }
    str_printable(vstr_str(v), 1);
    mem_free(ss->user);
    ss->user = vstr_export(v);
    return 0;
}

/*
 * Send a request line, then read until the reply for our id and act on it.
 */
static int dovecot_request(DOVECOT_SESS *ss, const VSTR *req, VSTR *raw, VSTR *why)
{
    DOVECOT_SRV *ds = ss->ds;
    long long deadline = deadline_after(ds->timeout);
    VSTR *line = vstr_new(256);
    VSTR *reason = vstr_new(64);
    int result = SASL_SRV_TEMP;
    int lines;

    if (ds->fd < 0) {
        vstr_set(why, "Dovecot auth server unavailable");
        goto out;
    }
    if (dovecot_write(ds, vstr_str(req), vstr_len(req), deadline, why) < 0)
        goto broken;
    for (lines = 0; lines < SASL_DOVECOT_LINES_MAX; lines++) {
        ARGV *f;
        unsigned long id;
        int bad = 0;
        size_t i;

        if (dovecot_read_line(ds, line, deadline, why) < 0)
            goto broken;
        f = split_tabs(vstr_str(line));
        if (f->argc < 2 || parse_ulong(f->argv[1], &id) < 0
            || (strcmp(f->argv[0], "OK") != 0 && strcmp(f->argv[0], "CONT") != 0
                && strcmp(f->argv[0], "FAIL") != 0)) {
            vstr_set(why, "Dovecot auth server sent an unexpected line: ");
            vstr_addmem(why, vstr_str(line), vstr_len(line) < 60 ? vstr_len(line) : 60);
            argv_free(f);
            goto broken;
        }
        if (id != ss->id) {                     /* an abandoned exchange */
            argv_free(f);
            continue;
        }
        if (strcmp(f->argv[0], "CONT") == 0) {
            VSTR *tmp = vstr_new(256);

            if (f->argc != 3 || sasl_util_b64_decode(tmp, f->argv[2], SASL_DOVECOT_LINE_MAX) < 0) {
                vstr_set(why, "Dovecot auth server sent a bad CONT line");
                bad = 1;
            } else {
                vstr_addmem(raw, vstr_str(tmp), vstr_len(tmp));
                result = SASL_SRV_MORE;
            }
            vstr_free(tmp);
        } else {
            int ok = strcmp(f->argv[0], "OK") == 0;
            int temp = 0;

            for (i = 2; i < f->argc && !bad; i++) {
                if (strncmp(f->argv[i], "user=", 5) == 0) {
                    if (take_user(ss, f->argv[i] + 5) < 0) {
                        vstr_set(why, "Dovecot auth server sent a bad user name");
                        bad = 1;
                    }
                } else if (strncmp(f->argv[i], "reason=", 7) == 0) {
                    if (sasl_dovecot_unescape(reason, f->argv[i] + 7) < 0
                        || vstr_len(reason) > 200) {
                        vstr_set(why, "Dovecot auth server sent a bad reason");
                        bad = 1;
                    }
                } else if (strcmp(f->argv[i], "temp") == 0) {
                    temp = 1;
                }
            }
            if (!bad && ok && (ss->user == NULL || *ss->user == 0)) {
                vstr_set(why, "Dovecot auth server sent OK without a user name");
                bad = 1;
            }
            if (!bad) {
                if (vstr_len(reason)) {
                    str_printable(vstr_str(reason), 1);
                    vstr_set(why, vstr_str(reason));
                }
                result = ok ? SASL_SRV_DONE : temp ? SASL_SRV_TEMP : SASL_SRV_FAIL;
            }
        }
        argv_free(f);
        if (bad)
            goto broken;
        goto out;
    }
    vstr_set(why, "Dovecot auth server sent too many lines");
broken:
    msg_warn("SASL: %s", vstr_str(why));
    dovecot_disconnect(ds);
    vstr_set(why, "Dovecot auth server unavailable");
    result = SASL_SRV_TEMP;
out:
    if (result != SASL_SRV_MORE)
        ss->id = 0;
    vstr_free(line);
    vstr_free(reason);
    return result;
}

static int dovecot_start(void *sess, const char *mech, const void *in, size_t len, int has_in,
                         VSTR *raw, VSTR *why)
{
    DOVECOT_SESS *ss = sess;
    DOVECOT_SRV *ds = ss->ds;
    VSTR *req = vstr_new(256);
    int r;

    mem_free(ss->user);
    ss->user = NULL;
    dovecot_check_alive(ds);
    if (ds->fd < 0 && dovecot_connect(ds, why) < 0) {
        msg_warn("SASL: %s", vstr_str(why));
        vstr_set(why, "Dovecot auth server unavailable");
        vstr_free(req);
        return SASL_SRV_TEMP;
    }
    if (++ds->next_id > 4000000000UL)
        ds->next_id = 1;
    ss->id = ds->next_id;
    vstr_sprintf(req, "AUTH\t%lu\t%s\tservice=%s\tnologin", ss->id, mech, ds->service);
    if (ss->lip)
        vstr_printf(req, "\tlip=%s", ss->lip);
    if (ss->rip)
        vstr_printf(req, "\trip=%s", ss->rip);
    if (ss->lport)
        vstr_printf(req, "\tlport=%s", ss->lport);
    if (ss->rport)
        vstr_printf(req, "\trport=%s", ss->rport);
    if (ss->secured)
        vstr_adds(req, "\tsecured");
    if (ss->verified)
        vstr_adds(req, "\tvalid-client-cert");
    if (has_in) {
        vstr_adds(req, "\tresp=");
        sasl_util_b64_encode(req, in, len);
    }
    vstr_addch(req, '\n');
    r = dovecot_request(ss, req, raw, why);
    vstr_free(req);
    return r;
}

static int dovecot_step(void *sess, const void *in, size_t len, VSTR *raw, VSTR *why)
{
    DOVECOT_SESS *ss = sess;
    VSTR *req;
    int r;

    if (ss->id == 0) {
        vstr_set(why, "Dovecot auth exchange lost");
        return SASL_SRV_TEMP;
    }
    req = vstr_new(256);
    vstr_sprintf(req, "CONT\t%lu\t", ss->id);
    sasl_util_b64_encode(req, in, len);
    vstr_addch(req, '\n');
    r = dovecot_request(ss, req, raw, why);
    vstr_free(req);
    return r;
}

const SASL_SRV_OPS sasl_dovecot_srv_ops = {
    dovecot_sess_new, dovecot_start, dovecot_step, dovecot_user, dovecot_sess_free,
    dovecot_close,
};
