/* trigger - wake a daemon through its UNIX socket; see trigger.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "trigger.h"

/* Connect without blocking; the socket or -1 (errno). */
static int trigger_connect(const char *path)
{
    struct sockaddr_un sun;
    size_t plen = strlen(path);
    int fd, saved;

    if (plen >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int trigger_send_kept(int *kept, const char *path, const char *buf, size_t len)
{
    char c;
    ssize_t n;
    int fd;

    if (*kept >= 0) {
        n = recv(*kept, &c, 1, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return TRIGGER_PENDING; /* not read yet: its wake-up is still to come */
        close(*kept);
        *kept = -1;
    }
    if ((fd = trigger_connect(path)) < 0)
        return TRIGGER_NOCONNECT;
    if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) len) {
        n = errno;
        close(fd);
        errno = (int) n;
        return TRIGGER_NOSEND;
    }
    *kept = fd;
    return 0;
}

int trigger_send(const char *path, const char *buf, size_t len)
{
    int fd, ret = 0, saved;

    if ((fd = trigger_connect(path)) < 0)
        return TRIGGER_NOCONNECT;
    if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) len)
        ret = TRIGGER_NOSEND;
    saved = errno;
    close(fd);
    errno = saved;
    return ret;
}
