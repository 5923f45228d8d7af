/*
 * stream - a buffered reader/writer on a file descriptor (usually a socket),
 * with a deadline per request.
 *
 * Why: Postern counts system calls. A stream reads in large chunks (one
 * read(2) brings in as much as the peer has sent, up to STREAM_BUFSIZE) and
 * gathers writes until stream_flush(), so a request or a reply costs one
 * write(2). A peer that dribbles one byte every few seconds is cut off when
 * the time for the whole request is up, not only when one read is slow.
 *
 * Usage:
 *   STREAM *s = stream_open(fd, STREAM_CLOSE);    (or 0: the caller closes fd)
 *   stream_set_limits(s, 10000, 1 << 20);         (ms per request, bytes per request)
 *   stream_read_begin(s);                         arm the read deadline, zero the count
 *   r = stream_get_until(s, '\0', vstr, max);     one token, delimiter consumed
 *   c = stream_getc(s); n = stream_read(s, buf, len);
 *   stream_read_end(s);                           disarm
 *   stream_write_begin(s); stream_write(s, p, n); ...; stream_flush(s); stream_write_end(s);
 *   stream_free(s);
 * stream_open_mem() reads from a memory buffer (tests, fuzzing): the end of
 * the buffer is EOF; stream_set_mem_chunk(s, n), right after it, hands the
 * data out n bytes per simulated read(2), to exercise refills. stream_write() appends to an internal buffer that is
 * flushed on its own only when it grows past STREAM_BUFSIZE; data larger
 * than that goes out directly (one large write, no copy).
 *
 * Deadlines: stream_set_limits() gives the time a whole request may take
 * (0: no deadline) and the bytes it may hold (0: no limit); a new stream
 * starts with STREAM_TIMEOUT_DEFAULT and STREAM_REQUEST_MAX_DEFAULT.
 * Between stream_read_begin() and stream_read_end() every wait for input is
 * bounded by what is left of it (poll(2) with the remaining time); likewise
 * for output between stream_write_begin() and stream_write_end(). The
 * clock starts when the request first needs the kernel (a refill or a
 * write), so a request served from the buffer never reads the clock.
 * Outside a request, reads and writes wait as long as they must. Writes to a socket
 * never block past the deadline (MSG_DONTWAIT) and never raise SIGPIPE; a
 * write to a pipe or a file may block in the kernel.
 * The request byte limit (0: none) bounds the bytes consumed between
 * stream_read_begin() and stream_read_end(): reading past it is an error.
 *
 * Error policy: API misuse panics; memory exhaustion is fatal (mem.h). I/O
 * errors, timeouts, an exceeded request limit are returned (-1) and are
 * sticky: every later read (or, for a write error, write) fails too, since
 * the framing of the conversation is lost; stream_error() says which,
 * stream_why() says it in words. EOF is not an error: stream_getc() and
 * stream_read() return it as documented, and stream_eof() is then true.
 * stream_set_why() lets a protocol layer above (attr.h) leave its own
 * reason there, so a caller logs one text: stream_why(s).
 *
 * Another layer below: stream_set_io(s, &io) makes the buffer read and
 * write through io.read/io.write instead of the descriptor (smtpd after
 * STARTTLS: a TLS session on the same socket); NULL goes back to the
 * descriptor. They get the request's absolute deadline (CLOCK_MONOTONIC
 * milliseconds, 0: none) and return a count (read: 0 is EOF; write: all of
 * len), or -1 with errno ETIMEDOUT when the deadline passed (any other
 * errno: an I/O error). Bytes already buffered stay where they are: the
 * caller decides what to do with them (stream_buffered()).
 */
#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "vstr.h"

#define STREAM_BUFSIZE 65536
#define STREAM_TIMEOUT_DEFAULT 3600000          /* ms per request, as ipc_timeout */
#define STREAM_REQUEST_MAX_DEFAULT (1 << 20)    /* bytes per read request */

/* stream_open() flags. */
#define STREAM_CLOSE 1          /* stream_free() closes the descriptor */

/* stream_error() values. */
#define STREAM_ERR_NONE 0
#define STREAM_ERR_IO 1         /* read(2)/write(2) failed (errno in the text) */
#define STREAM_ERR_TIMEOUT 2    /* the request's deadline passed */
#define STREAM_ERR_LIMIT 3      /* the request byte limit was exceeded */
#define STREAM_ERR_PROTO 4      /* set by a protocol layer with stream_set_why() */

/* stream_get_until() results. */
#define STREAM_GOT 1            /* the delimiter was found (and consumed) */
#define STREAM_END 0            /* EOF before the delimiter */
#define STREAM_FAIL (-1)        /* error: see stream_error()/stream_why() */
#define STREAM_TOOLONG (-2)     /* more than max bytes before the delimiter */

typedef struct STREAM STREAM;

typedef struct STREAM_IO {
    ssize_t (*read)(void *ctx, void *buf, size_t len, long long deadline);
    ssize_t (*write)(void *ctx, const void *buf, size_t len, long long deadline);
    void *ctx;
} STREAM_IO;

STREAM *stream_open(int fd, int flags);
STREAM *stream_open_mem(const void *data, size_t len);
void stream_set_mem_chunk(STREAM *s, size_t chunk);
void stream_free(STREAM *s);
int stream_fd(const STREAM *s);
void stream_set_io(STREAM *s, const STREAM_IO *io);

void stream_set_limits(STREAM *s, int timeout_ms, size_t request_max);
void stream_read_begin(STREAM *s);
void stream_read_end(STREAM *s);
int stream_reading(const STREAM *s);
size_t stream_read_count(const STREAM *s);
void stream_write_begin(STREAM *s);
void stream_write_end(STREAM *s);
int stream_writing(const STREAM *s);

/*
 * stream_get_until: append to out (NULL: discard) the bytes up to the
 * delimiter, at most max of them; *count (may be NULL) gets how many were
 * taken. STREAM_TOOLONG leaves the stream positioned after max bytes.
 */
int stream_get_until(STREAM *s, int delim, VSTR *out, size_t max, size_t *count);
/* Same into buf[size]: at most size - 1 bytes, always NUL-terminated. */
int stream_get_until_buf(STREAM *s, int delim, char *buf, size_t size, size_t *count);
int stream_getc(STREAM *s);                     /* 0..255, or -1 at EOF or error */
ssize_t stream_read(STREAM *s, void *buf, size_t len); /* len unless EOF; -1 on error */
size_t stream_buffered(const STREAM *s);        /* bytes readable without a system call */
void stream_read_ready(STREAM *s);              /* poll(2) said readable: the next refill reads
                                                 * at once, even right after a write */
/* Those bytes, in place, not taken (stream_buffered() of them; "" when none). */
const char *stream_peek(const STREAM *s);

int stream_write(STREAM *s, const void *data, size_t len); /* 0, or -1 on error */
int stream_puts(STREAM *s, const char *str);
int stream_flush(STREAM *s);                    /* 0, or -1 on error */
size_t stream_pending(const STREAM *s);         /* bytes written but not yet flushed */

int stream_error(const STREAM *s);
int stream_eof(const STREAM *s);
const char *stream_why(const STREAM *s);
void stream_set_why(STREAM *s, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* System calls made so far, for tests and benchmarks. */
unsigned long stream_read_calls(const STREAM *s);
unsigned long stream_write_calls(const STREAM *s);

#endif
