/*
 * trigger_test - lib/trigger.c: trigger_send() to a listening socket, to
 * nothing; trigger_send_kept(): the first call sends, a call while that
 * trigger is still unread sends nothing (TRIGGER_PENDING), a call after the
 * daemon read and closed it sends a new one on a new connection; a daemon
 * that went away (its socket removed) is TRIGGER_NOCONNECT.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "msg.h"
#include "trigger.h"
#include "tap.h"

static char dir[] = "/tmp/trigger_test.XXXXXX";
static char path[256];

static int listen_on(const char *p)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(p) >= sizeof(sun.sun_path))
        msg_fatal("socket path too long: %s", p);
    memcpy(sun.sun_path, p, strlen(p) + 1);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 || listen(fd, 16) < 0)
        msg_fatal("listen %s: %m", p);
    return fd;
}

/* What a trigger server does: accept one connection, read its bytes, close it. */
static int serve_one(int lfd, char *buf, size_t size)
{
    struct pollfd pfd;
    ssize_t n;
    int fd;

    pfd.fd = lfd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 2000) != 1 || (fd = accept(lfd, NULL, NULL)) < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return (int) n;
}

/* Whether a connection waits to be accepted. */
static int waiting(int lfd)
{
    struct pollfd pfd;

    pfd.fd = lfd;
    pfd.events = POLLIN;
    return poll(&pfd, 1, 0) == 1;
}

int main(void)
{
    char buf[64];
    int lfd, kept = -1, r;

    msg_init("trigger_test", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(dir) == NULL)
        msg_fatal("mkdtemp: %m");
    snprintf(path, sizeof(path), "%s/qmgr", dir);

    TAP_INT(trigger_send(path, "A", 1), TRIGGER_NOCONNECT, "nothing listening: TRIGGER_NOCONNECT");
    TAP_INT(trigger_send_kept(&kept, path, "A", 1), TRIGGER_NOCONNECT,
            "kept, nothing listening: TRIGGER_NOCONNECT");
    TAP_INT(kept, -1, "and nothing kept");

    lfd = listen_on(path);
    TAP_INT(trigger_send(path, "W", 1), 0, "trigger_send: sent");
    TAP_INT(serve_one(lfd, buf, sizeof(buf)), 1, "the daemon got one byte");
    TAP_STR(buf, "W", "the byte");

    TAP_INT(trigger_send_kept(&kept, path, "A", 1), 0, "kept: the first trigger is sent");
    TAP_OK(kept >= 0, "and its connection kept");
    TAP_INT(trigger_send_kept(&kept, path, "A", 1), TRIGGER_PENDING,
            "kept: while it is unread, nothing is sent");
    TAP_INT(trigger_send_kept(&kept, path, "A", 1), TRIGGER_PENDING, "kept: again");
    TAP_INT(serve_one(lfd, buf, sizeof(buf)), 1, "the daemon reads the one trigger");
    TAP_STR(buf, "A", "its byte");
    TAP_OK(!waiting(lfd), "no other connection was made");
    TAP_INT(trigger_send_kept(&kept, path, "A", 1), 0, "kept: after it was read, a new one is sent");
    TAP_OK(waiting(lfd), "on a new connection");
    TAP_INT(serve_one(lfd, buf, sizeof(buf)), 1, "the daemon reads it");

    /* The daemon is gone: its socket removed, nobody listening. */
    close(lfd);
    unlink(path);
    r = trigger_send_kept(&kept, path, "A", 1);
    TAP_INT(r, TRIGGER_NOCONNECT, "kept: the daemon went away: TRIGGER_NOCONNECT (%s)",
            strerror(errno));
    TAP_INT(kept, -1, "and nothing kept");

    rmdir(dir);
    return tap_done();
}
