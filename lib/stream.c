/* stream - buffered descriptor I/O with a deadline per request; see stream.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "stream.h"

struct STREAM {
    int fd;                     /* -1 for a memory stream */
    int flags;
    int is_socket;              /* 1 yes, 0 no, -1 not known yet */
    unsigned char *rbuf;        /* read buffer (allocated on first use) */
    const unsigned char *mem;   /* memory stream data, read in place */
    size_t mem_len;             /* its length; rlen is how much is "read" */
    size_t mem_chunk;           /* bytes per simulated read; 0: all at once */
    size_t rpos, rlen;          /* unread bytes are [rpos, rlen) */
    VSTR *wbuf;                 /* written, not yet flushed */
    int timeout_ms;             /* per request; 0: no deadline */
    size_t request_max;         /* bytes per read request; 0: no limit */
    long long rd_deadline;      /* monotonic ms; 0: none; DEADLINE_LATER: */
    long long wr_deadline;      /* begun, clock not read yet (see below) */
    int reading, writing;
    int wrote;                  /* wrote since the last read(2) */
    size_t rd_count;            /* bytes consumed since stream_read_begin() */
    int rerr, werr;             /* sticky STREAM_ERR_* per direction */
    int error;                  /* the last error, for stream_error() */
    int eof;
    VSTR *why;
    unsigned long nreads, nwrites;
    STREAM_IO io;               /* a layer below the buffer (TLS); read NULL: none */
};

/*
 * A request's deadline is computed when the request first needs the
 * kernel (a refill or a write(2)), not at stream_*_begin(): most requests
 * of a record protocol are served from the buffer, and reading the clock
 * for each was a good share of their cost. The time before that first
 * system call is our own work, not the peer's.
 */
#define DEADLINE_LATER (-1LL)

static long long now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        msg_fatal("clock_gettime: %s", strerror(errno));
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

STREAM *stream_open(int fd, int flags)
{
    STREAM *s = mem_calloc(1, sizeof(*s));

    if (fd < 0)
        msg_panic("stream_open: bad descriptor %d", fd);
    if (flags & ~STREAM_CLOSE)
        msg_panic("stream_open: bad flags 0x%x", (unsigned) flags);
    s->fd = fd;
    s->flags = flags;
    /*
     * Whether fd is a socket is learnt from the first send(2)/recv(2)
     * (ENOTSOCK: it is not), not from an fstat(2) per stream: nearly every
     * stream is a socket, and a conversation per message opens two.
     */
    s->is_socket = -1;
    s->timeout_ms = STREAM_TIMEOUT_DEFAULT;
    s->request_max = STREAM_REQUEST_MAX_DEFAULT;
    s->wbuf = vstr_new(0);
    s->why = vstr_new(0);
    return s;
}

STREAM *stream_open_mem(const void *data, size_t len)
{
    STREAM *s = mem_calloc(1, sizeof(*s));

    s->fd = -1;
    s->mem = len ? data : (const unsigned char *) "";
    s->mem_len = s->rlen = len;
    s->timeout_ms = STREAM_TIMEOUT_DEFAULT;
    s->request_max = STREAM_REQUEST_MAX_DEFAULT;
    s->wbuf = vstr_new(0);
    s->why = vstr_new(0);
    return s;
}

void stream_free(STREAM *s)
{
    if (s == NULL)
        return;
    if ((s->flags & STREAM_CLOSE) && s->fd >= 0)
        (void) close(s->fd);
    mem_free(s->rbuf);
    vstr_free(s->wbuf);
    vstr_free(s->why);
    mem_free(s);
}

void stream_set_mem_chunk(STREAM *s, size_t chunk)
{
    if (s->fd >= 0 || chunk == 0 || s->rpos != 0)
        msg_panic("stream_set_mem_chunk: not a fresh memory stream");
    s->mem_chunk = chunk;
    s->rlen = chunk < s->mem_len ? chunk : s->mem_len;
}

int stream_fd(const STREAM *s)
{
    return s->fd;
}

void stream_set_io(STREAM *s, const STREAM_IO *io)
{
    if (s->fd < 0)
        msg_panic("stream_set_io: a memory stream has no I/O layer");
    if (io && (io->read == NULL || io->write == NULL))
        msg_panic("stream_set_io: incomplete I/O layer");
    if (io)
        s->io = *io;
    else
        memset(&s->io, 0, sizeof(s->io));
}

static void read_fail(STREAM *s, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Refill through the I/O layer: as stream_fill(). */
static int stream_fill_io(STREAM *s, long long deadline)
{
    ssize_t n;

    s->nreads++;
    n = s->io.read(s->io.ctx, s->rbuf, STREAM_BUFSIZE, deadline);
    if (n > 0) {
        s->rlen = (size_t) n;
        return 1;
    }
    if (n == 0) {
        s->eof = 1;
        return 0;
    }
    if (errno == ETIMEDOUT)
        read_fail(s, STREAM_ERR_TIMEOUT, "timeout: the request took more than %d ms",
                  s->timeout_ms);
    else
        read_fail(s, STREAM_ERR_IO, "read: %s", strerror(errno));
    return -1;
}

void stream_set_limits(STREAM *s, int timeout_ms, size_t request_max)
{
    if (timeout_ms < 0)
        msg_panic("stream_set_limits: bad timeout %d", timeout_ms);
    s->timeout_ms = timeout_ms;
    s->request_max = request_max;
}

void stream_read_begin(STREAM *s)
{
    s->reading = 1;
    s->rd_count = 0;
    s->rd_deadline = s->timeout_ms ? DEADLINE_LATER : 0;
}

void stream_read_end(STREAM *s)
{
    s->reading = 0;
    s->rd_deadline = 0;
}

int stream_reading(const STREAM *s)
{
    return s->reading;
}

size_t stream_read_count(const STREAM *s)
{
    return s->rd_count;
}

void stream_write_begin(STREAM *s)
{
    s->writing = 1;
    s->wr_deadline = s->timeout_ms ? DEADLINE_LATER : 0;
}

void stream_write_end(STREAM *s)
{
    s->writing = 0;
    s->wr_deadline = 0;
}

int stream_writing(const STREAM *s)
{
    return s->writing;
}

__attribute__((format(printf, 3, 0)))
static void stream_vset_why(STREAM *s, int error, const char *fmt, va_list ap)
{
    vstr_reset(s->why);
    vstr_vprintf(s->why, fmt, ap);
    s->error = error;
}

void stream_set_why(STREAM *s, int error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    stream_vset_why(s, error, fmt, ap);
    va_end(ap);
    if (error != STREAM_ERR_NONE)
        s->rerr = error;
}

__attribute__((format(printf, 3, 4)))
static void read_fail(STREAM *s, int error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    stream_vset_why(s, error, fmt, ap);
    va_end(ap);
    s->rerr = error;
}

__attribute__((format(printf, 3, 4)))
static void write_fail(STREAM *s, int error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    stream_vset_why(s, error, fmt, ap);
    va_end(ap);
    s->werr = error;
}

/* Milliseconds left before the deadline (-1: none), 0 when it has passed. */
static int time_left(long long deadline)
{
    long long left;

    if (deadline == 0)
        return -1;
    left = deadline - now_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int) left;
}

/* Wait until fd is ready for events; 1 ready, 0 deadline passed, -1 error. */
static int wait_for(int fd, short events, long long deadline)
{
    struct pollfd pfd;
    int left, n;

    for (;;) {
        left = time_left(deadline);
        if (left == 0)
            return 0;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        n = poll(&pfd, 1, left);
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/*
 * Refill an empty read buffer: 1 got data, 0 EOF, -1 error (recorded).
 * Under a deadline, a socket is first read without waiting (a request that
 * woke a server is usually there already: one system call), except right
 * after this stream wrote something: a reply is rarely back that soon, so
 * poll(2) comes first.
 */
static int stream_fill(STREAM *s)
{
    long long deadline;
    int poll_first;
    ssize_t n;
    int w;

    if (s->reading && s->rd_deadline == DEADLINE_LATER)
        s->rd_deadline = now_ms() + s->timeout_ms;
    deadline = s->reading ? s->rd_deadline : 0;
    poll_first = deadline && (!s->is_socket || s->wrote);

    if (s->rerr)
        return -1;
    if (s->rpos < s->rlen)
        msg_panic("stream_fill: buffer not empty");
    if (s->fd < 0) {
        if (s->rlen == s->mem_len) {
            s->eof = 1;
            return 0;
        }
        s->nreads++;
        s->rlen += s->mem_len - s->rlen < s->mem_chunk ? s->mem_len - s->rlen : s->mem_chunk;
        return 1;
    }
    if (s->rbuf == NULL)
        s->rbuf = mem_alloc(STREAM_BUFSIZE);
    s->rpos = s->rlen = 0;
    s->wrote = 0;
    if (s->io.read)
        return stream_fill_io(s, deadline);
    for (;;) {
        if (poll_first && (w = wait_for(s->fd, POLLIN, deadline)) <= 0) {
            if (w == 0) {
                read_fail(s, STREAM_ERR_TIMEOUT, "timeout: the request took more than %d ms",
                          s->timeout_ms);
                return -1;
            }
            break;
        }
        if (deadline && s->is_socket) {
            n = recv(s->fd, s->rbuf, STREAM_BUFSIZE, MSG_DONTWAIT);
            if (n < 0 && errno == ENOTSOCK) {
                s->is_socket = 0;
                poll_first = 1;
                continue;
            }
        } else {
            n = read(s->fd, s->rbuf, STREAM_BUFSIZE);
        }
        s->nreads++;
        if (n > 0) {
            s->rlen = (size_t) n;
            return 1;
        }
        if (n == 0) {
            s->eof = 1;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            break;
        /* Nothing there yet (or a non-blocking descriptor): wait for it. */
        if (deadline) {
            poll_first = 1;
        } else if (wait_for(s->fd, POLLIN, 0) < 0) {
            break;
        }
    }
    read_fail(s, STREAM_ERR_IO, "read: %s", strerror(errno));
    return -1;
}

/* Bytes that may be consumed now: buffered, within the request limit. */
static size_t readable(const STREAM *s)
{
    size_t avail = s->rlen - s->rpos;

    if (s->reading && s->request_max) {
        if (s->rd_count >= s->request_max)
            return 0;
        if (avail > s->request_max - s->rd_count)
            avail = s->request_max - s->rd_count;
    }
    return avail;
}

static const unsigned char *rdata(const STREAM *s)
{
    return s->mem ? s->mem : s->rbuf;
}

static void consume(STREAM *s, size_t n)
{
    s->rpos += n;
    s->rd_count += n;
}

/*
 * Make at least one byte readable: 1 yes, 0 EOF, -1 error. The request
 * limit counts as an error only when the peer has sent more.
 */
static int need_data(STREAM *s)
{
    int r;

    if (s->rerr)
        return -1;
    if (s->rpos == s->rlen && (r = stream_fill(s)) <= 0)
        return r;
    if (readable(s) == 0) {
        read_fail(s, STREAM_ERR_LIMIT, "request too large: more than %zu bytes", s->request_max);
        return -1;
    }
    return 1;
}

static int get_until(STREAM *s, int delim, VSTR *out, char *buf, size_t max, size_t *count)
{
    const unsigned char *start, *hit;
    size_t got = 0, avail, n;
    int r;

    for (;;) {
        if ((r = need_data(s)) <= 0) {
            if (count)
                *count = got;
            return r < 0 ? STREAM_FAIL : STREAM_END;
        }
        avail = readable(s);
        start = rdata(s) + s->rpos;
        hit = memchr(start, delim, avail);
        n = hit ? (size_t) (hit - start) : avail;
        if (n > max - got) {
            n = max - got;
            hit = NULL;
            r = STREAM_TOOLONG;
        } else {
            r = hit ? STREAM_GOT : 0;
        }
        if (out)
            vstr_addmem(out, start, n);
        else if (buf)
            memcpy(buf + got, start, n);
        got += n;
        consume(s, n + (hit != NULL));
        if (r != 0) {
            if (buf)
                buf[got] = 0;
            if (count)
                *count = got;
            return r;
        }
    }
}

int stream_get_until(STREAM *s, int delim, VSTR *out, size_t max, size_t *count)
{
    return get_until(s, delim, out, NULL, max, count);
}

int stream_get_until_buf(STREAM *s, int delim, char *buf, size_t size, size_t *count)
{
    int r;
    size_t got = 0;

    if (size == 0)
        msg_panic("stream_get_until_buf: zero size");
    r = get_until(s, delim, NULL, buf, size - 1, &got);
    buf[got] = 0;
    if (count)
        *count = got;
    return r;
}

int stream_getc(STREAM *s)
{
    int ch;

    if (need_data(s) <= 0)
        return -1;
    ch = rdata(s)[s->rpos];
    consume(s, 1);
    return ch;
}

ssize_t stream_read(STREAM *s, void *buf, size_t len)
{
    size_t done = 0, n;
    int r;

    if (len > SSIZE_MAX)
        msg_panic("stream_read: bad length %zu", len);
    while (done < len) {
        if ((r = need_data(s)) < 0)
            return -1;
        if (r == 0)
            break;
        n = readable(s);
        if (n > len - done)
            n = len - done;
        memcpy((char *) buf + done, rdata(s) + s->rpos, n);
        consume(s, n);
        done += n;
    }
    return (ssize_t) done;
}

size_t stream_buffered(const STREAM *s)
{
    return s->rlen - s->rpos;
}

void stream_read_ready(STREAM *s)
{
    s->wrote = 0;
}

const char *stream_peek(const STREAM *s)
{
    const unsigned char *base = rdata(s);

    return base ? (const char *) base + s->rpos : "";
}

/* Write everything or fail (recorded). */
static int write_all(STREAM *s, const char *p, size_t len)
{
    long long deadline;
    ssize_t n;
    int w;

    if (s->writing && s->wr_deadline == DEADLINE_LATER)
        s->wr_deadline = now_ms() + s->timeout_ms;
    deadline = s->writing ? s->wr_deadline : 0;
    if (s->fd < 0)
        msg_panic("stream_write: a memory stream cannot be written");
    if (s->io.write && len > 0) {
        s->nwrites++;
        s->wrote = 1;
        if (s->io.write(s->io.ctx, p, len, deadline) >= 0)
            return 0;
        if (errno == ETIMEDOUT)
            goto timeout;
        write_fail(s, STREAM_ERR_IO, "write: %s", strerror(errno));
        return -1;
    }
    while (len > 0) {
        if (s->is_socket) {
            n = send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                s->is_socket = 0;
                continue;
            }
        } else if (deadline && (w = wait_for(s->fd, POLLOUT, deadline)) <= 0) {
            if (w == 0)
                goto timeout;
            n = -1;
        } else {
            n = write(s->fd, p, len);
        }
        if (n > 0) {
            s->nwrites++;
            s->wrote = 1;
            p += n;
            len -= (size_t) n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            w = wait_for(s->fd, POLLOUT, deadline);
            if (w > 0)
                continue;
            if (w == 0)
                goto timeout;
        }
        if (n == 0)
            errno = EIO;
        write_fail(s, STREAM_ERR_IO, "write: %s", strerror(errno));
        return -1;
    }
    return 0;

timeout:
    write_fail(s, STREAM_ERR_TIMEOUT, "timeout: the reply took more than %d ms", s->timeout_ms);
    return -1;
}

int stream_flush(STREAM *s)
{
    int r;

    if (s->werr)
        return -1;
    if (vstr_len(s->wbuf) == 0)
        return 0;
    r = write_all(s, vstr_str(s->wbuf), vstr_len(s->wbuf));
    vstr_reset(s->wbuf);
    return r;
}

int stream_write(STREAM *s, const void *data, size_t len)
{
    if (s->werr)
        return -1;
    if (len < STREAM_BUFSIZE) {
        vstr_addmem(s->wbuf, data, len);
        return vstr_len(s->wbuf) >= STREAM_BUFSIZE ? stream_flush(s) : 0;
    }
    if (stream_flush(s) < 0)
        return -1;
    return write_all(s, data, len);
}

int stream_puts(STREAM *s, const char *str)
{
    return stream_write(s, str, strlen(str));
}

size_t stream_pending(const STREAM *s)
{
    return vstr_len(s->wbuf);
}

int stream_error(const STREAM *s)
{
    return s->error;
}

int stream_eof(const STREAM *s)
{
    return s->eof && s->rpos == s->rlen;
}

const char *stream_why(const STREAM *s)
{
    return vstr_str(s->why);
}

unsigned long stream_read_calls(const STREAM *s)
{
    return s->nreads;
}

unsigned long stream_write_calls(const STREAM *s)
{
    return s->nwrites;
}
