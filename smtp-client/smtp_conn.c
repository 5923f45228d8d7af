/*
 * smtp_conn - connection I/O and reply reading for the smtp client; see
 * smtp_conn.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "smtp_conn.h"

static long long conn_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* conn_wait - poll fd for events until the deadline: 1 ready, 0 timeout, -1 error */
static int conn_wait(int fd, short events, long long deadline)
{
    struct pollfd pfd;
    long long left;
    int r;

    for (;;) {
        left = deadline ? deadline - conn_now() : -1;
        if (deadline && left <= 0)
            return 0;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        r = poll(&pfd, 1, left < 0 ? -1 : (left > 1000000 ? 1000000 : (int) left));
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int smtp_conn_connect(const struct sockaddr *sa, socklen_t salen,
                      const struct sockaddr_storage *bind_sa, int timeout_ms, VSTR *why)
{
    int fd, err = 0, r;
    socklen_t len = sizeof(err);

    if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
        vstr_sprintf(why, "socket: %s", strerror(errno));
        return -1;
    }
    if (bind_sa != NULL && bind_sa->ss_family == sa->sa_family &&
        bind((fd), (const struct sockaddr *) bind_sa,
             bind_sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in)) < 0) {
        vstr_sprintf(why, "bind to the local address: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (connect(fd, sa, salen) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EINTR) {
        vstr_set(why, strerror(errno));
        close(fd);
        return -1;
    }
    r = conn_wait(fd, POLLOUT, conn_now() + (timeout_ms > 0 ? timeout_ms : 30000));
    if (r == 0) {
        vstr_set(why, "Connection timed out");
        close(fd);
        return -1;
    }
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        vstr_set(why, strerror(err ? err : errno));
        close(fd);
        return -1;
    }
    return fd;
}

SMTP_CONN *smtp_conn_new(int fd)
{
    SMTP_CONN *c = mem_alloc(sizeof(*c));

    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->wbuf = vstr_new(4096);
    c->why = vstr_new(0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return c;
}

void smtp_conn_free(SMTP_CONN *c)
{
    if (c == NULL)
        return;
    if (c->tls)
        tls_free(c->tls);
    if (c->fd >= 0)
        close(c->fd);
    vstr_free(c->wbuf);
    vstr_free(c->why);
    mem_free(c);
}

static int conn_fail(SMTP_CONN *c, int err, const char *text)
{
    if (!c->broken) {
        c->broken = err;
        vstr_set(c->why, text);
    }
    return -1;
}

void smtp_conn_write(SMTP_CONN *c, const char *data, size_t len)
{
    vstr_addmem(c->wbuf, data, len);
}

void smtp_conn_puts(SMTP_CONN *c, const char *str)
{
    vstr_adds(c->wbuf, str);
}

/* conn_arm - a new operation with this deadline: remember its span (per_call) */
static void conn_arm(SMTP_CONN *c, long long deadline)
{
    if (deadline) {
        c->span = deadline - conn_now();
        if (c->span < 1)
            c->span = 1;
    } else
        c->span = 0;
}

/* conn_moved - data moved: per_call, the limit starts again */
static void conn_moved(SMTP_CONN *c, long long *deadline)
{
    if (c->per_call && c->span > 0 && *deadline)
        *deadline = conn_now() + c->span;
}

/*
 * conn_flush - write the buffer by the deadline, updated as data moves:
 * per_call, or with rate > 0 by n * 1000 / rate ms per n bytes written.
 * TLS writes go in pieces so that the deadline can move between them.
 */
#define CONN_TLS_PIECE 16384

static int conn_flush(SMTP_CONN *c, long long *deadline, unsigned rate)
{
    size_t off = 0, len = vstr_len(c->wbuf);
    ssize_t n;
    int r;

    if (c->broken) {
        vstr_reset(c->wbuf);
        return -1;
    }
    while (off < len) {
        if (c->tls) {
            size_t piece = len - off > CONN_TLS_PIECE ? CONN_TLS_PIECE : len - off;
            n = tls_write(c->tls, vstr_str(c->wbuf) + off, piece, *deadline);
            if (n < 0) {
                const char *w = tls_why(c->tls);
                vstr_reset(c->wbuf);
                return conn_fail(c, w && strstr(w, "timed out") ? SMTP_ERR_TIMEOUT : SMTP_ERR_IO,
                                 w && strstr(w, "timed out") ? "timeout" : tls_why(c->tls));
            }
        } else {
            n = send(c->fd, vstr_str(c->wbuf) + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    r = conn_wait(c->fd, POLLOUT, *deadline);
                    if (r == 0) {
                        vstr_reset(c->wbuf);
                        return conn_fail(c, SMTP_ERR_TIMEOUT, "timeout");
                    }
                    if (r > 0)
                        continue;
                }
                vstr_reset(c->wbuf);
                return conn_fail(c, SMTP_ERR_IO, "lost connection");
            }
        }
        off += (size_t) n;
        if (n > 0) {
            conn_moved(c, deadline);
            if (rate > 0 && *deadline && !c->per_call) {
                unsigned long long ext;
                c->rate_acc += (unsigned long long) n * 1000ULL;
                ext = c->rate_acc / rate;
                c->rate_acc -= ext * rate;
                *deadline += (long long) ext;
            }
        }
    }
    vstr_reset(c->wbuf);
    return 0;
}

int smtp_conn_flush(SMTP_CONN *c, long long deadline)
{
    conn_arm(c, deadline);
    return conn_flush(c, &deadline, 0);
}

int smtp_conn_flush_data(SMTP_CONN *c, long long *deadline, unsigned rate)
{
    conn_arm(c, *deadline);
    return conn_flush(c, deadline, rate);
}

void smtp_conn_expect_wait(SMTP_CONN *c)
{
    c->poll_first = 1;
}

/* conn_fill - refill the read buffer: 1 data, -1 error/EOF (c->broken set) */
static int conn_fill(SMTP_CONN *c, long long *deadline)
{
    ssize_t n;
    int r;

    c->rpos = c->rlen = 0;
    if (c->poll_first && !c->tls) {
        c->poll_first = 0;
        if ((r = conn_wait(c->fd, POLLIN, *deadline)) == 0)
            return conn_fail(c, SMTP_ERR_TIMEOUT, "timeout");
        /* ready, or an error the read below reports */
    }
    c->poll_first = 0;
    for (;;) {
        if (c->tls) {
            n = tls_read(c->tls, c->rbuf, sizeof(c->rbuf), *deadline);
            if (n == 0)
                return conn_fail(c, SMTP_ERR_EOF, "lost connection");
            if (n < 0) {
                const char *w = tls_why(c->tls);
                return conn_fail(c, w && strstr(w, "timed out") ? SMTP_ERR_TIMEOUT : SMTP_ERR_IO,
                                 w && strstr(w, "timed out") ? "timeout" : "lost connection");
            }
        } else {
            n = read(c->fd, c->rbuf, sizeof(c->rbuf));
            if (n == 0)
                return conn_fail(c, SMTP_ERR_EOF, "lost connection");
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    r = conn_wait(c->fd, POLLIN, *deadline);
                    if (r == 0)
                        return conn_fail(c, SMTP_ERR_TIMEOUT, "timeout");
                    if (r > 0)
                        continue;
                }
                return conn_fail(c, SMTP_ERR_IO, "lost connection");
            }
        }
        c->rlen = (size_t) n;
        conn_moved(c, deadline);
        return 1;
    }
}

static int conn_getline(SMTP_CONN *c, VSTR *line, size_t max, long long *deadline)
{
    vstr_reset(line);
    if (c->broken)
        return -1;
    for (;;) {
        char *p, *nl;
        size_t n;

        if (c->rpos >= c->rlen && conn_fill(c, deadline) < 0)
            return -1;
        p = c->rbuf + c->rpos;
        nl = memchr(p, '\n', c->rlen - c->rpos);
        n = nl ? (size_t) (nl - p) : c->rlen - c->rpos;
        if (vstr_len(line) < max)
            vstr_addmem(line, p, n < max - vstr_len(line) ? n : max - vstr_len(line));
        c->rpos += n + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (vstr_len(line) > 0 && vstr_str(line)[vstr_len(line) - 1] == '\r')
        vstr_truncate(line, vstr_len(line) - 1);
    return 0;
}

int smtp_conn_getline(SMTP_CONN *c, VSTR *line, size_t max, long long deadline)
{
    conn_arm(c, deadline);
    return conn_getline(c, line, max, &deadline);
}

void smtp_reply_init(SMTP_REPLY *r)
{
    memset(r, 0, sizeof(*r));
    r->text = vstr_new(0);
    r->lines = argv_new();
}

void smtp_reply_free(SMTP_REPLY *r)
{
    vstr_free(r->text);
    argv_free(r->lines);
}

/*
 * smtp_reply_dsn - an enhanced status code at the start of text ("5.1.1 ..."),
 * of the reply's class; else the class default (x.0.0). Returns 1 when the
 * text carried one.
 */
int smtp_reply_dsn(const char *text, char klass, char *dsn, size_t size)
{
    const char *p = text;
    size_t n;
    int dots = 0, digits = 0;

    if (*p == klass && p[1] == '.') {
        for (n = 0; p[n] && p[n] != ' ' && n < 12; n++) {
            if (p[n] == '.') {
                if (digits == 0)
                    break;
                dots++;
                digits = 0;
            } else if (isdigit((unsigned char) p[n])) {
                if (++digits > 3)
                    break;
            } else
                break;
        }
        if (dots == 2 && digits > 0 && (p[n] == ' ' || p[n] == 0) && n < size) {
            memcpy(dsn, p, n);
            dsn[n] = 0;
            return 1;
        }
    }
    snprintf(dsn, size, "%c.0.0", klass);
    return 0;
}

int smtp_reply_read(SMTP_CONN *c, SMTP_REPLY *r, long long deadline)
{
    VSTR *line = vstr_new(0);
    const char *s;
    size_t i;
    int more = 1, code = 0;

    r->code = 0;
    r->dsn[0] = 0;
    vstr_reset(r->text);
    argv_truncate(r->lines, 0);
    conn_arm(c, deadline);
    for (i = 0; more; i++) {
        if (i >= SMTP_REPLY_LINES_MAX) {
            vstr_free(line);
            return conn_fail(c, SMTP_ERR_PROTO, "malformed reply: too many lines");
        }
        if (conn_getline(c, line, SMTP_LINE_MAX, &deadline) < 0) {
            vstr_free(line);
            return -1;
        }
        s = vstr_str(line);
        /* make it printable before it goes near a log */
        for (char *p = vstr_str(line); *p; p++)
            if ((unsigned char) *p < 32 || *p == 127)
                *p = '?';
        if (vstr_len(line) < 3 || !isdigit((unsigned char) s[0]) || s[0] < '2' || s[0] > '5' ||
            !isdigit((unsigned char) s[1]) || !isdigit((unsigned char) s[2]) ||
            (s[3] != 0 && s[3] != ' ' && s[3] != '-')) {
            vstr_free(line);
            return conn_fail(c, SMTP_ERR_PROTO, "malformed reply");
        }
        code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
        if (r->code == 0)
            r->code = code;
        more = s[3] == '-';
        if (vstr_len(r->text))
            vstr_addch(r->text, ' ');
        vstr_adds(r->text, s);
        argv_add(r->lines, s[3] ? s + 4 : "");
    }
    vstr_free(line);
    smtp_reply_dsn(r->lines->argv[0], (char) ('0' + r->code / 100), r->dsn, sizeof(r->dsn));
    return 0;
}
