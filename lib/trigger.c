/* trigger - wake a daemon through its UNIX socket; see trigger.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "trigger.h"

int trigger_send(const char *path, const char *buf, size_t len)
{
    struct sockaddr_un sun;
    size_t plen = strlen(path);
    int fd, ret = 0, saved;

    if (plen >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return TRIGGER_NOCONNECT;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return TRIGGER_NOCONNECT;
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0)
        ret = TRIGGER_NOCONNECT;
    else if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) len)
        ret = TRIGGER_NOSEND;
    saved = errno;
    close(fd);
    errno = saved;
    return ret;
}
