/*
 * Unit tests for lib/stream.c's I/O layer (stream_set_io), the switch smtpd
 * uses after STARTTLS: a fake layer that flips a bit of every byte stands
 * in for TLS over a socketpair. Reads and writes go through it, its
 * timeout and error results become the stream's, bytes buffered before the
 * switch stay readable, and NULL goes back to the descriptor.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/stream.h"
#include "tap.h"

typedef struct FAKE {
    int fd;
    int fail_errno;         /* 0: work; else fail with this errno */
    int reads, writes;
    long long last_deadline;
} FAKE;

static void flip(char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] ^= 0x20;
}

static ssize_t fake_read(void *ctx, void *buf, size_t len, long long deadline)
{
    FAKE *f = ctx;
    ssize_t n;

    f->reads++;
    f->last_deadline = deadline;
    if (f->fail_errno) {
        errno = f->fail_errno;
        return -1;
    }
    n = read(f->fd, buf, len);
    if (n > 0)
        flip(buf, (size_t) n);
    return n;
}

static ssize_t fake_write(void *ctx, const void *buf, size_t len, long long deadline)
{
    FAKE *f = ctx;
    char tmp[256];

    f->writes++;
    f->last_deadline = deadline;
    if (f->fail_errno) {
        errno = f->fail_errno;
        return -1;
    }
    if (len > sizeof(tmp))
        return -1;
    memcpy(tmp, buf, len);
    flip(tmp, len);
    return write(f->fd, tmp, len) == (ssize_t) len ? (ssize_t) len : -1;
}

static STREAM_IO fake_io(FAKE *f)
{
    STREAM_IO io;

    io.read = fake_read;
    io.write = fake_write;
    io.ctx = f;
    return io;
}

int main(void)
{
    int sv[2];
    char buf[64];
    VSTR *line = vstr_new(0);
    FAKE f;
    STREAM_IO io;
    STREAM *s;
    ssize_t n;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 1;
    s = stream_open(sv[0], 0);
    memset(&f, 0, sizeof(f));
    f.fd = sv[0];

    /* Plain first; two lines arrive in one read, one is left buffered. */
    tap_ok(write(sv[1], "EHLO a\r\nXX\r\n", 12) == 12, "peer wrote two plain lines");
    stream_read_begin(s);
    tap_int(stream_get_until(s, '\n', line, 100, NULL), STREAM_GOT, "plain line read");
    stream_read_end(s);
    tap_str(vstr_str(line), "EHLO a\r", "plain line text");
    tap_int((long) stream_buffered(s), 4, "the second line is still buffered");

    /* Switch: what was buffered stays; new input goes through the layer. */
    io = fake_io(&f);
    stream_set_io(s, &io);
    n = stream_read(s, buf, stream_buffered(s));
    tap_int(n, 4, "buffered plain bytes can still be taken (and thrown away)");
    tap_int(f.reads, 0, "taking buffered bytes needs no read through the layer");
    memcpy(buf, "mail\r\n", 6);
    flip(buf, 6);
    tap_ok(write(sv[1], buf, 6) == 6, "peer wrote an encoded line");
    vstr_reset(line);
    stream_set_limits(s, 5000, 0);
    stream_read_begin(s);
    tap_int(stream_get_until(s, '\n', line, 100, NULL), STREAM_GOT, "line through the layer");
    stream_read_end(s);
    tap_str(vstr_str(line), "mail\r", "the layer decoded it");
    tap_int(f.reads, 1, "one read through the layer");
    tap_ok(f.last_deadline > 0, "the layer got the request's deadline");

    stream_write_begin(s);
    stream_puts(s, "250 ok\r\n");
    tap_int(stream_flush(s), 0, "flush through the layer");
    stream_write_end(s);
    tap_int(f.writes, 1, "one write through the layer");
    n = read(sv[1], buf, sizeof(buf));
    tap_int(n, 8, "peer got 8 bytes");
    if (n == 8) {
        flip(buf, 8);
        tap_ok(memcmp(buf, "250 ok\r\n", 8) == 0, "peer decodes the reply");
    }

    /* A layer timeout is a stream timeout; it is sticky. */
    f.fail_errno = ETIMEDOUT;
    stream_read_begin(s);
    tap_int(stream_getc(s), -1, "a layer timeout fails the read");
    stream_read_end(s);
    tap_int(stream_error(s), STREAM_ERR_TIMEOUT, "reported as a timeout");
    stream_free(s);

    /* A layer error is an I/O error; for writes too. */
    s = stream_open(sv[0], 0);
    f.fail_errno = EIO;
    stream_set_io(s, &io);
    stream_puts(s, "x\r\n");
    tap_int(stream_flush(s), -1, "a layer write error fails the flush");
    tap_int(stream_error(s), STREAM_ERR_IO, "reported as an I/O error");
    stream_free(s);

    /* NULL: back to the descriptor. */
    s = stream_open(sv[0], 0);
    f.fail_errno = EIO;
    stream_set_io(s, &io);
    stream_set_io(s, NULL);
    tap_ok(write(sv[1], "QUIT\r\n", 6) == 6, "peer wrote plain text");
    vstr_reset(line);
    tap_int(stream_get_until(s, '\n', line, 100, NULL), STREAM_GOT, "read from the descriptor again");
    tap_str(vstr_str(line), "QUIT\r", "plain text, no layer");

    /* EOF through the layer. */
    f.fail_errno = 0;
    stream_set_io(s, &io);
    close(sv[1]);
    tap_int(stream_getc(s), -1, "EOF through the layer");
    tap_ok(stream_eof(s) && stream_error(s) == STREAM_ERR_NONE, "EOF is not an error");
    stream_free(s);
    close(sv[0]);
    vstr_free(line);
    return tap_done();
}
