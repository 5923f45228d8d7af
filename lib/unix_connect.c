/* unix_connect - connect to a UNIX-domain stream socket; see unix_connect.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unix_connect.h"

int unix_connect(const char *path)
{
    struct sockaddr_un sun;
    size_t len = strlen(path);
    int fd, saved;

    if (len >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, len + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    while (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        if (errno == EINTR)
            continue;
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}
