/*
 * trigger - wake a daemon by writing a few bytes to its UNIX stream socket
 * (DESIGN.md: qmgr and pickup are woken by one-byte triggers on their public
 * sockets; postqueue -f sends a short request the same way).
 *
 * trigger_send(path, buf, len) connects to path without blocking, sends the
 * bytes, and closes. It returns 0, TRIGGER_NOCONNECT (the socket could not be
 * reached: no such file, nobody listening, a name too long for a socket, no
 * socket could be made) or TRIGGER_NOSEND (connected, but the bytes did not
 * go), with errno telling why. It never exits, never blocks on a busy
 * daemon and never raises SIGPIPE: whether a failure matters is the caller's
 * business (cleanup ignores it, postdrop warns, postqueue -f gives up).
 */
#ifndef POSTERN_TRIGGER_H
#define POSTERN_TRIGGER_H

#include <stddef.h>

#define TRIGGER_NOCONNECT (-1)
#define TRIGGER_NOSEND    (-2)

int trigger_send(const char *path, const char *buf, size_t len);

#endif
