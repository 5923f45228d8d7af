/*
 * stream_wait_test - lib/stream's socket reads under a deadline, which wait
 * in recv(2) bounded by SO_RCVTIMEO instead of poll(2) + recv(2): a peer
 * that dribbles is cut off when the request's time is up (not later than
 * the slack); a timeout lowered during a slow request does not cut a later
 * request short; a non-blocking socket and a pipe still work (poll); data
 * that is already there is read at once.
 *
 * A child process plays the peer: a script of (delay ms, bytes) steps.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "stream.h"
#include "vstr.h"
#include "tap.h"

typedef struct STEP {
    int delay_ms; /* before writing */
    const char *bytes;
} STEP;

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The peer: writes the steps to fd, then waits to be killed. */
static pid_t peer(int fd, const STEP *steps, size_t n)
{
    pid_t pid = fork();
    size_t i;

    if (pid < 0)
        msg_fatal("fork: %m");
    if (pid > 0)
        return pid;
    for (i = 0; i < n; i++) {
        usleep((useconds_t) steps[i].delay_ms * 1000);
        if (write(fd, steps[i].bytes, strlen(steps[i].bytes)) < 0)
            _exit(1);
    }
    pause();
    _exit(0);
}

static void reap(pid_t pid)
{
    int status;

    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* What the stream reads from, with a peer process playing steps on the other end. */
#define PEER_SOCKET 0   /* a socketpair */
#define PEER_NONBLOCK 1 /* a socketpair, our end non-blocking */
#define PEER_PIPE 2     /* a pipe */

/* A stream with a request time of timeout_ms on the chosen channel; *pid is the peer. */
static STREAM *peer_stream(int kind, const STEP *steps, size_t n, int timeout_ms, pid_t *pid)
{
    int fds[2];
    STREAM *s;

    if (kind == PEER_PIPE ? pipe(fds) < 0 : socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
        msg_fatal("%s: %m", kind == PEER_PIPE ? "pipe" : "socketpair");
    if (kind == PEER_NONBLOCK)
        fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    *pid = peer(fds[1], steps, n);
    close(fds[1]);
    s = stream_open(fds[0], STREAM_CLOSE);
    stream_set_limits(s, timeout_ms, 0);
    return s;
}

static void peer_stream_free(STREAM *s, pid_t pid)
{
    stream_free(s);
    reap(pid);
}

/* One line as one request; the result of stream_get_until(), the time it took. */
static int read_line(STREAM *s, VSTR *out, long long *took)
{
    long long start = now_ms();
    int r;

    vstr_reset(out);
    stream_read_begin(s);
    r = stream_get_until(s, '\n', out, 100, NULL);
    stream_read_end(s);
    *took = now_ms() - start;
    return r;
}

static void test_dribble(void)
{
    static const STEP steps[] = {{0, "a"}, {150, "b"}, {150, "c"}, {150, "d"}, {150, "e"},
                                 {150, "f"}, {150, "g"}, {150, "h"}};
    pid_t pid;
    STREAM *s = peer_stream(PEER_SOCKET, steps, sizeof(steps) / sizeof(steps[0]), 700, &pid);
    VSTR *line = vstr_new(0);
    long long took;
    int r;

    r = read_line(s, line, &took);
    TAP_INT(r, STREAM_FAIL, "dribble: the request fails");
    TAP_INT(stream_error(s), STREAM_ERR_TIMEOUT, "dribble: as a timeout (%s)", stream_why(s));
    TAP_OK(took >= 650 && took < 1400, "dribble: after the request's 700 ms, not per byte (%lld ms)",
           took);
    peer_stream_free(s, pid);
    vstr_free(line);
}

/*
 * Request 2 is slow inside (its second read lowers the socket's timeout to
 * what was left); request 3's data comes after that lowered timeout but
 * within its own time: it must arrive.
 */
static void test_requests(void)
{
    static const STEP steps[] = {{0, "one\n"}, {1500, "t"}, {100, "wo\n"}, {2200, "three\n"}};
    pid_t pid;
    STREAM *s = peer_stream(PEER_SOCKET, steps, sizeof(steps) / sizeof(steps[0]), 3000, &pid);
    VSTR *line = vstr_new(0);
    long long took;
    int r;

    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "one") == 0, "requests: first line");
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "two") == 0,
           "requests: a line in two pieces, 1.5 s apart (%lld ms)", took);
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "three") == 0,
           "requests: a line 2.2 s later, within its 3 s (%lld ms, %s)", took,
           r == STREAM_GOT ? "ok" : stream_why(s));
    peer_stream_free(s, pid);
    vstr_free(line);
}

/* A non-blocking socket (recv returns at once) and a pipe: the poll(2) path. */
static void test_fallbacks(void)
{
    static const STEP steps[] = {{300, "late\n"}, {300, "later\n"}};
    pid_t pid;
    STREAM *s = peer_stream(PEER_NONBLOCK, steps, sizeof(steps) / sizeof(steps[0]), 5000, &pid);
    VSTR *line = vstr_new(0);
    long long took;
    int r;

    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "late") == 0 && took >= 200,
           "non-blocking socket: waits for the line (%lld ms)", took);
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "later") == 0,
           "non-blocking socket: and the next");
    peer_stream_free(s, pid);

    s = peer_stream(PEER_PIPE, steps, 1, 5000, &pid);
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "late") == 0 && took >= 200,
           "pipe: waits for the line (%lld ms)", took);
    peer_stream_free(s, pid);
    vstr_free(line);
}

/* Data already there; end-of-file; no deadline at all. */
static void test_ready_and_eof(void)
{
    int sv[2];
    STREAM *s;
    VSTR *line = vstr_new(0);
    long long took;
    int r;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    if (write(sv[1], "ready\npartial", 13) != 13)
        msg_fatal("write: %m");
    close(sv[1]);
    s = stream_open(sv[0], STREAM_CLOSE);
    stream_set_limits(s, 5000, 0);
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "ready") == 0 && took < 1000,
           "ready: read at once");
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_END && stream_eof(s) && strcmp(vstr_str(line), "partial") == 0,
           "end-of-file after a partial line");
    stream_free(s);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    if (write(sv[1], "free\n", 5) != 5)
        msg_fatal("write: %m");
    s = stream_open(sv[0], STREAM_CLOSE);
    stream_set_limits(s, 0, 0);
    r = read_line(s, line, &took);
    TAP_OK(r == STREAM_GOT && strcmp(vstr_str(line), "free") == 0, "no deadline: read");
    close(sv[1]);
    stream_free(s);
    vstr_free(line);
}

int main(void)
{
    msg_init("stream_wait_test", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    test_ready_and_eof();
    test_dribble();
    test_requests();
    test_fallbacks();
    return tap_done();
}
