/*
 * master_serv - master's services: master.cf entries turned into listening
 * endpoints that master owns.
 *
 * master_serv_load(&list, &err) reads master.cf (conf_init() must have run)
 * and builds one MASTER_SERV per entry, without opening anything; NULL and
 * *err (to mem_free) when master.cf is malformed.
 * master_serv_listen(serv, &err) opens the endpoint: inet on every address
 * of inet_interfaces (or the entry's host) for every family of
 * inet_protocols; unix and pass as stream sockets, unix-dgram as a datagram
 * socket, in queue_directory/private or public per column 2 (mode 0666,
 * owned by mail_owner and, under public/, by setgid_group: the directory
 * is what protects them); fifo as a FIFO (0622). Every descriptor is
 * non-blocking and close-on-exec. Returns -1 with *err set on failure.
 * master_serv_close() closes the descriptors (and removes the socket file).
 * master_serv_same_endpoint() says whether two entries may share sockets
 * across a reload (same name, type and directory, same inet settings).
 * master_serv_wakeup() writes the one-byte wakeup trigger "W" to the
 * service's own socket (unix, fifo); it never blocks and reports failure
 * with a warning. master_serv_free() releases one.
 *
 * Error policy: resources are reported to the caller (master decides what
 * is fatal: at start everything, at reload nothing); API misuse panics.
 */
#ifndef POSTERN_MASTER_SERV_H
#define POSTERN_MASTER_SERV_H

#include <sys/types.h>
#include <time.h>

#include "argv.h"

typedef struct MASTER_SERV {
    char *name;         /* column 1 */
    char *type;         /* column 2 */
    char *host;         /* inet: the host part of column 1, or NULL */
    char *port;         /* inet: the port part; others: the name */
    int private_;
    int unpriv;
    int chroot;
    int wakeup;         /* seconds, 0: none */
    int wakeup_if_used;
    int maxproc;        /* 0: no limit */
    int line;           /* in master.cf */
    char *path;         /* daemon_directory/command */
    ARGV *args;         /* master.cf arguments after the command */
    char *endpoint;     /* what must match for sockets to be kept at reload */
    char *sock_path;    /* unix, unix-dgram, fifo, pass */
    int fds[64];
    int nfds;
    /* run state, owned by master */
    int total;          /* workers not told to exit */
    int avail;          /* of those, how many wait for a client */
    int nproc;          /* all workers, including retiring ones */
    int exiting;        /* workers that closed their status channel, not yet reaped */
    int used;           /* a client has asked for this service */
    int dead;           /* removed at reload: freed when nproc is 0 */
    time_t throttle_until;
    time_t next_wakeup;
    time_t missing_logged;
    time_t limit_logged;
    time_t listen_retry;    /* reload: when to try opening the sockets again */
    int listen_tries;
    struct MASTER_SERV *next;
} MASTER_SERV;

MASTER_SERV *master_serv_load(char **err);
int master_serv_listen(MASTER_SERV *serv, char **err);
void master_serv_close(MASTER_SERV *serv);
int master_serv_same_endpoint(const MASTER_SERV *a, const MASTER_SERV *b);
void master_serv_wakeup(MASTER_SERV *serv);
void master_serv_free(MASTER_SERV *serv);

#endif
