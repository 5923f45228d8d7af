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
 *
 * trigger_send_kept(&fd, path, buf, len) is for a process that wakes the
 * same daemon again and again (cleanup, once per message). It keeps the
 * connection of its last trigger open in fd (-1 at first) and, the next
 * time, first looks whether the daemon has read it yet (one recv(2)
 * without waiting): a trigger server reads a connection's bytes, closes
 * it and only then acts on them, so a trigger that is still unread wakes
 * the daemon after everything that happened before this call, and another
 * one is not needed: TRIGGER_PENDING, nothing sent. Otherwise it closes the
 * old connection and sends as trigger_send() does, keeping the new one.
 * Under load (qmgr behind its triggers) most calls cost one system call
 * instead of four, and qmgr accepts and reads far fewer connections.
 */
#ifndef POSTERN_TRIGGER_H
#define POSTERN_TRIGGER_H

#include <stddef.h>

#define TRIGGER_NOCONNECT (-1)
#define TRIGGER_NOSEND    (-2)
#define TRIGGER_PENDING   1     /* trigger_send_kept(): the last one is still unread */

int trigger_send(const char *path, const char *buf, size_t len);
int trigger_send_kept(int *kept, const char *path, const char *buf, size_t len);

#endif
