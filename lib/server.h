/*
 * server - the worker skeleton: what every daemon master spawns does here.
 *
 * A daemon's main() fills a SERVER_OPS with its callbacks and calls one of
 *   server_single_main(argc, argv, &ops)   one client connection at a time
 *                                           (smtpd, cleanup, showq, ...)
 *   server_trigger_main(argc, argv, &ops)  woken by short triggers on its
 *                                           socket and by master's wakeup
 *                                           timer (qmgr, pickup, flush)
 *   server_multi_main(argc, argv, &ops)    many clients in one process,
 *                                           event-driven (anvil, scache, ...)
 *   server_dgram_main(argc, argv, &ops)    reads datagrams (postlogd)
 *   server_event_main(argc, argv, &ops)    the daemon runs its own event
 *                                           loop (qmgr): after step 6 the
 *                                           skeleton calls ops.event_loop,
 *                                           which polls srv->listen_fds and
 *                                           SERVER_STATUS_FD itself, takes
 *                                           clients with server_event_accept()
 *                                           (non-blocking; -1 when none), asks
 *                                           server_event_master_gone() when
 *                                           the status fd is readable (or
 *                                           after EINTR), and returns to exit
 *                                           (on_exit runs). The first
 *                                           accepted client is reported busy
 *                                           then available at once (master
 *                                           learns the process was used);
 *                                           one process serves all.
 * None of them returns. In order, the skeleton:
 *   1. parses master's arguments (the protocol below) and starts logging;
 *   2. reads main.cf (MAIL_CONFIG) and applies the -o overrides, and sets
 *      service_name and process_name;
 *   3. calls ops.pre_jail as root: open tables, keys, log files here;
 *   4. chroots into queue_directory when master.cf column 5 says so (else
 *      it changes into queue_directory);
 *   5. when master.cf column 3 says unprivileged, switches to mail_owner
 *      (setgid, setgroups to that one group, setuid) and checks that root
 *      cannot be regained;
 *   6. calls ops.post_jail, and only then accepts traffic.
 * Logging goes to syslog, or, when maillog_file is set, through the postlog
 * unix-dgram socket (queue_directory/public/$postlog_service_name) that the
 * skeleton connects to before the chroot; postlogd writes the file.
 *
 * The master -> worker protocol (master/ spawns exactly this):
 *   argv: PROGRAM -n SERVICE -t TYPE [-s COUNT] [-c] [-u] [-l] [-v]... [-D]
 *         [-o name=value]... [ARGS...]
 *     -n  the service name as master.cf writes it (column 1)
 *     -t  its type: inet, unix, unix-dgram, fifo, pass
 *     -s  how many listening descriptors (default 1)
 *     -c  chroot (column 5 y);  -u  drop to mail_owner (column 3 y)
 *     -l  master runs in the foreground: also log to standard error
 *     -v  more verbose logging;  -o  a main.cf override (master.cf -o)
 *     ARGS the rest of the master.cf command line, for the daemon
 *         (ops->args, e.g. pipe's flags= user= argv=)
 *   environment: MAIL_CONFIG names the configuration directory.
 *   descriptors: SERVER_STATUS_FD (3) is a stream socket to master; the
 *     listening sockets are SERVER_LISTEN_FD (4) and up. The worker writes
 *     one byte per state change: SERVER_STAT_BUSY when it takes a client
 *     (or trigger), SERVER_STAT_AVAIL when it is done with it. master never
 *     writes; end-of-file on that socket means "finish the current client
 *     and exit" (reload, stop, or master died). The skeleton asks for SIGIO
 *     on that socket, so a busy worker lets go of its listening sockets the
 *     moment master closes it (a removed service stops listening at once);
 *     the daemon's callbacks must tolerate an interrupted system call.
 * Types: inet and unix sockets are accepted from; a "pass" service's
 * client arrives as a descriptor (SCM_RIGHTS, with one data byte) sent over
 * a connection to the pass socket, and the callbacks see that descriptor;
 * a fifo (trigger model) is read directly; unix-dgram is for the dgram
 * model. A trigger is what a connection sends at once, at most
 * SERVER_TRIGGER_MAX bytes read within 5 seconds; the connection is then
 * closed.
 * A single server exits after max_use uses (a connection is one; further
 * requests on it, below, count too) or max_idle idle seconds (unless
 * ops.unlimited) and gives each client daemon_timeout seconds.
 * A single server's client callback may serve several requests on one
 * connection (cleanup does, for smtpd and pickup; the delivery agents do,
 * for qmgr): before it waits for the next request it asks
 * server_single_next(srv), which returns 1 when it may, or 0 when it must
 * return and let the connection close: master hung up, or one more request
 * would pass max_use. The connection itself counts as one use (its first
 * request); a further request counts only once it has arrived: the callback
 * calls server_single_request(srv) as soon as it has read the start of it
 * (that also gives it daemon_timeout seconds). A client that closes the
 * connection, or lets it sit idle, instead of sending another request
 * costs no use, so a process serves exactly max_use requests however its
 * clients keep or drop connections. The callback bounds the wait itself (a
 * short idle time: the process is busy for master while it waits); master
 * hanging up meanwhile interrupts the wait with SIGIO (EINTR), and
 * server_single_next() says 0 the next time.
 * A multi server never reports busy (one process takes every client, up to
 * SERVER_MULTI_MAX at a time); it calls ops.multi_open for each new client
 * and ops.multi_read whenever one is readable (a negative return closes
 * it); it stops accepting after max_use clients and exits once the last one
 * is gone, and exits after max_idle seconds without clients. When master
 * hangs up it stops accepting and exits when its clients are done.
 *
 * Error policy: bad arguments, a configuration that cannot be read, a chroot
 * or privilege change that fails, an unknown mail_owner or one that is root:
 * all fatal (logged; the worker exits 1 and master throttles the service).
 * accept(2) failing 13 times in a row (no descriptors left) is fatal too:
 * the waiting client goes to a new worker instead of this one spinning.
 * A client's errors are the daemon's business; the skeleton only closes the
 * connection after the callback returns.
 */
#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#define SERVER_STATUS_FD 3
#define SERVER_LISTEN_FD 4
#define SERVER_LISTEN_MAX 64
#define SERVER_STAT_AVAIL 'A'
#define SERVER_STAT_BUSY 'B'
#define SERVER_TRIGGER_MAX 1024 /* bytes read per trigger */
#define SERVER_DGRAM_MAX 8192   /* bytes per datagram */
#define SERVER_MULTI_MAX 1024   /* clients at a time in a multi server */

typedef struct SERVER {
    const char *service; /* -n */
    const char *type;    /* -t */
    int chroot;          /* -c */
    int unpriv;          /* -u */
    int foreground;      /* -l */
    char **args;         /* the daemon's own arguments, NULL-terminated */
    int nargs;
    int listen_fds[SERVER_LISTEN_MAX];
    int nlisten;
    void *context;       /* for the daemon's own use */
} SERVER;

typedef struct SERVER_OPS {
    void (*pre_jail)(SERVER *srv);  /* as root, before chroot */
    void (*post_jail)(SERVER *srv); /* after the privilege drop */
    void (*on_exit)(SERVER *srv);   /* before a normal exit */
    /* single: one connected client; the skeleton closes fd afterwards */
    void (*client)(SERVER *srv, int fd);
    /* trigger: the bytes of one trigger (a wakeup is "W") */
    void (*trigger)(SERVER *srv, const char *buf, size_t len);
    /* multi: a new client, and a readable client; < 0 closes the client */
    int (*multi_open)(SERVER *srv, int fd);
    int (*multi_read)(SERVER *srv, int fd);
    /* dgram: one datagram; datagrams come in batches (one recvmmsg(2)),
     * and dgram_done (optional) is called after each batch, so a server
     * may gather its output and write it once */
    void (*dgram)(SERVER *srv, const char *buf, size_t len);
    void (*dgram_done)(SERVER *srv);
    /* event: the daemon's own loop; returning exits the process */
    void (*event_loop)(SERVER *srv);
    int unlimited; /* ignore max_use and max_idle */
    void *context; /* becomes srv->context */
} SERVER_OPS;

void server_single_main(int argc, char **argv, const SERVER_OPS *ops)
    __attribute__((noreturn));
void server_trigger_main(int argc, char **argv, const SERVER_OPS *ops)
    __attribute__((noreturn));
void server_multi_main(int argc, char **argv, const SERVER_OPS *ops)
    __attribute__((noreturn));
void server_dgram_main(int argc, char **argv, const SERVER_OPS *ops)
    __attribute__((noreturn));
void server_event_main(int argc, char **argv, const SERVER_OPS *ops)
    __attribute__((noreturn));
int server_single_next(SERVER *srv);
void server_single_request(SERVER *srv);
/* As getpeername(2) and getsockname(2), without the system call for the
 * client just accepted: the address accept4(2) returned, and the listening
 * socket's own address when it is bound to a specific one. */
int server_peer_addr(int fd, struct sockaddr *sa, socklen_t *len);
int server_local_addr(int fd, struct sockaddr *sa, socklen_t *len);
int server_event_accept(const SERVER *srv, int lfd);  /* a client fd, or -1 */
int server_event_master_gone(void);                    /* 1: master wants us gone */

#endif
