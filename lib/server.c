/* server - the worker skeleton; see server.h for the protocol and policy. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "strutil.h"

enum { MODEL_SINGLE, MODEL_TRIGGER, MODEL_DGRAM };

/* The postlog socket, set once before the chroot (logging configuration). */
static int server_log_fd = -1;

/*
 * For the SIGIO handler: master's end-of-file on the status channel makes a
 * busy worker let go of its listening sockets at once (a removed service
 * must stop listening even while an old worker finishes its client).
 */
static int server_null_fd = -1;
static int server_nlisten;
static volatile sig_atomic_t server_told_to_exit;

static void server_on_sigio(int sig)
{
    char c;
    ssize_t n;
    int saved = errno, i;

    (void) sig;
    n = recv(SERVER_STATUS_FD, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        if (!server_told_to_exit && server_null_fd >= 0)
            for (i = 0; i < server_nlisten; i++)
                dup2(server_null_fd, SERVER_LISTEN_FD + i);
        server_told_to_exit = 1;
    }
    errno = saved;
}

static void server_watch_master(const SERVER *srv)
{
    struct sigaction sa;
    int fl;

    if ((server_null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        msg_fatal("open /dev/null: %s", strerror(errno));
    server_nlisten = srv->nlisten;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = server_on_sigio;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGIO, &sa, NULL);
    if (fcntl(SERVER_STATUS_FD, F_SETOWN, getpid()) < 0
        || (fl = fcntl(SERVER_STATUS_FD, F_GETFL)) < 0
        || fcntl(SERVER_STATUS_FD, F_SETFL, fl | O_ASYNC) < 0)
        msg_fatal("status channel: cannot request SIGIO: %s", strerror(errno));
}

/*
 * Our process id for log lines, asked of the kernel once (getpid(2) is a
 * system call per log line otherwise); a child made by fork(2) asks again.
 */
static long server_log_pid;

static void server_log_pid_reset(void)
{
    server_log_pid = 0;
}

/*
 * postlogd's queue is full (the kernel queues only net.unix.max_dgram_qlen
 * datagrams, 10 by default, so a burst of lines from several workers fills
 * it): wait a little for room rather than lose the line, but never long: a
 * wait that times out means postlogd is not keeping up, and lines are then
 * dropped at once for a while, so a worker is never held up by its log.
 */
#define SERVER_LOG_WAIT_MS 500
#define SERVER_LOG_DROP_MS 5000

static void server_log_wait(const char *buf, size_t len)
{
    static long long drop_until;
    struct pollfd pfd;
    struct timespec ts;
    long long now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (now < drop_until)
        return;
    pfd.fd = server_log_fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, SERVER_LOG_WAIT_MS) > 0
        && send(server_log_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        return;
    drop_until = now + SERVER_LOG_DROP_MS;
}

static void server_log_sink(int level, const char *tag, const char *text)
{
    char buf[SERVER_DGRAM_MAX];
    int n;

    (void) level;
    if (server_log_pid == 0)
        server_log_pid = (long) getpid();
    n = snprintf(buf, sizeof(buf), "%s[%ld]: %s", tag, server_log_pid, text);
    if (n < 0)
        return;
    if ((size_t) n >= sizeof(buf))
        n = (int) sizeof(buf) - 1;
    if (send(server_log_fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0 || errno != EAGAIN)
        return;
    server_log_wait(buf, (size_t) n);
}

/* Connect to postlogd's socket, so that a chrooted, unprivileged worker can log. */
static void server_log_connect(void)
{
    const char *qdir = conf_get("queue_directory");
    const char *name = conf_get("postlog_service_name");
    const char *dirs[] = {"public", "private"};
    struct sockaddr_un sun;
    size_t i;
    int fd;

    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        msg_warn("postlog socket: %s", strerror(errno));
        return;
    }
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        struct stat st;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        if ((size_t) snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s/%s", qdir, dirs[i], name)
            >= sizeof(sun.sun_path))
            continue;
        /* We are still root and the directory is mail_owner's: no link, only a socket. */
        if (lstat(sun.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
            continue;
        if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
            server_log_fd = fd;
            (void) pthread_atfork(NULL, NULL, server_log_pid_reset);
            msg_set_sink(server_log_sink);
            return;
        }
    }
    msg_warn("cannot connect to the postlog service %s/public/%s: %s; logging to syslog",
             qdir, name, strerror(errno));
    close(fd);
}

static void server_usage(const char *prog)
{
    msg_fatal("usage: %s -n service -t type [-s count] [-c] [-u] [-l] [-v] [-o name=value] "
              "[args] (this program is started by master)", prog);
}

static void server_parse_args(SERVER *srv, int argc, char **argv)
{
    long count = 1;
    int ch;
    char *eq;

    opterr = 0;
    while ((ch = getopt(argc, argv, "+n:t:s:cuo:lvD")) != -1) {
        switch (ch) {
        case 'n':
            srv->service = optarg;
            break;
        case 't':
            srv->type = optarg;
            break;
        case 's':
            if (str_parse_long(optarg, 1, SERVER_LISTEN_MAX, &count) < 0)
                msg_fatal("bad listening socket count: %s", optarg);
            break;
        case 'c':
            srv->chroot = 1;
            break;
        case 'u':
            srv->unpriv = 1;
            break;
        case 'l':
            srv->foreground = 1;
            msg_set_outputs(MSG_OUT_SYSLOG | MSG_OUT_STDERR);
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'D':
            /* master(5)'s debugger option: accepted, not supported. */
            break;
        case 'o':
            /* Applied after main.cf is read; checked here. */
            if ((eq = strchr(optarg, '=')) == NULL || eq == optarg)
                msg_fatal("bad -o option: %s (want name=value)", optarg);
            break;
        default:
            server_usage(argv[0]);
        }
    }
    if (srv->service == NULL || srv->type == NULL)
        server_usage(argv[0]);
    srv->args = argv + optind;
    srv->nargs = argc - optind;
    srv->nlisten = (int) count;
    for (ch = 0; ch < srv->nlisten; ch++)
        srv->listen_fds[ch] = SERVER_LISTEN_FD + ch;
}

static void server_apply_overrides(int argc, char **argv)
{
    int ch;
    char *eq, *name;

    optind = 1;
    opterr = 0;
    while ((ch = getopt(argc, argv, "+n:t:s:cuo:lvD")) != -1) {
        if (ch != 'o')
            continue;
        eq = strchr(optarg, '=');
        name = mem_strndup(optarg, (size_t) (eq - optarg));
        conf_override(str_trim(name), eq + 1);
        mem_free(name);
    }
}

/* The descriptors master promised must be there: a worker run by hand is told so. */
static void server_check_fds(const SERVER *srv)
{
    struct stat st;
    int i;

    if (fstat(SERVER_STATUS_FD, &st) < 0 || !S_ISSOCK(st.st_mode))
        msg_fatal("no status channel on descriptor %d: this program is started by master",
                  SERVER_STATUS_FD);
    for (i = 0; i < srv->nlisten; i++)
        if (fstat(srv->listen_fds[i], &st) < 0)
            msg_fatal("no listening socket on descriptor %d: this program is started by master",
                      srv->listen_fds[i]);
    fcntl(SERVER_STATUS_FD, F_SETFD, FD_CLOEXEC);
    for (i = 0; i < srv->nlisten; i++)
        fcntl(srv->listen_fds[i], F_SETFD, FD_CLOEXEC);
}

/* chroot per column 5, then mail_owner per column 3; all errors are fatal. */
static void server_jail(SERVER *srv)
{
    const char *qdir = conf_get("queue_directory");
    const char *owner = conf_get("mail_owner");
    struct passwd *pw = NULL;
    uid_t uid = 0;
    gid_t gid = 0;

    if (srv->unpriv) {
        if ((pw = getpwnam(owner)) == NULL)
            msg_fatal("file %s: parameter mail_owner: unknown user name value: %s",
                      conf_main_cf_path(), owner);
        if (pw->pw_uid == 0)
            msg_fatal("file %s: parameter mail_owner: user %s has privileged user ID",
                      conf_main_cf_path(), owner);
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    tzset();
    if (srv->chroot) {
        if (chroot(qdir) < 0)
            msg_fatal("chroot(%s): %s", qdir, strerror(errno));
        if (chdir("/") < 0)
            msg_fatal("chdir(/) in %s: %s", qdir, strerror(errno));
    } else if (chdir(qdir) < 0) {
        msg_fatal("chdir(%s): %s", qdir, strerror(errno));
    }
    if (srv->unpriv) {
        if (setgid(gid) < 0)
            msg_fatal("setgid(%ld): %s", (long) gid, strerror(errno));
        if (setgroups(1, &gid) < 0)
            msg_fatal("setgroups(%ld): %s", (long) gid, strerror(errno));
        if (setuid(uid) < 0)
            msg_fatal("setuid(%ld): %s", (long) uid, strerror(errno));
        if (setuid(0) == 0 || geteuid() != uid || getegid() != gid)
            msg_panic("still privileged after dropping to %s", owner);
    }
}

static void server_setup(SERVER *srv, const SERVER_OPS *ops, int argc, char **argv)
{
    const char *maillog;

    memset(srv, 0, sizeof(*srv));
    srv->context = ops->context;
    /* Standard error too until we know master started us (a person may have). */
    msg_init(argv[0], MSG_OUT_SYSLOG | MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    server_parse_args(srv, argc, argv);
    server_check_fds(srv);
    if (!srv->foreground)
        msg_set_outputs(MSG_OUT_SYSLOG);
    server_watch_master(srv);
    conf_init(NULL);
    server_apply_overrides(argc, argv);
    conf_override("service_name", srv->service);
    maillog = conf_get("maillog_file");
    msg_config(conf_get("syslog_name"), conf_get("syslog_facility"), NULL,
               conf_get("myhostname"));
    if (maillog && *maillog)
        server_log_connect();
    if (msg_verbose)
        msg_info("starting service %s type %s", srv->service, srv->type);
    if (ops->pre_jail)
        ops->pre_jail(srv);
    server_jail(srv);
    if (ops->post_jail)
        ops->post_jail(srv);
}

#if defined(__SANITIZE_ADDRESS__)
#define SERVER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SERVER_ASAN 1
#endif
#endif

__attribute__((noreturn)) static void server_exit(SERVER *srv, const SERVER_OPS *ops)
{
    if (ops->on_exit)
        ops->on_exit(srv);
    conf_free();
#ifdef SERVER_ASAN
    /*
     * LeakSanitizer needs /proc, which a chroot jail lacks: its check would
     * fail and turn every normal exit into "exit status 1". Sanitizer builds
     * skip it for chrooted workers only; run a service with chroot n to
     * check it for leaks.
     */
    if (srv->chroot)
        _exit(0);
#endif
    exit(0);
}

/* Tell master our state; a master that has gone away ends us after this client. */
static int server_status(char state)
{
    ssize_t n;

    do {
        n = write(SERVER_STATUS_FD, &state, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* A readable status channel is end-of-file: master wants us gone. */
static int server_master_gone(void)
{
    char buf[16];
    ssize_t n = recv(SERVER_STATUS_FD, buf, sizeof(buf), MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return n <= 0;
}

/* A client of a "pass" service arrives as a descriptor sent over the connection. */
static int server_recv_fd(int conn)
{
    struct msghdr mh;
    struct iovec iov;
    char byte;
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct cmsghdr *cm;
    int fd = -1;

    memset(&mh, 0, sizeof(mh));
    iov.iov_base = &byte;
    iov.iov_len = 1;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    if (recvmsg(conn, &mh, MSG_CMSG_CLOEXEC) <= 0)
        return -1;
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS
            && cm->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

/*
 * The last accepted client's address as accept4(2) gave it, and the local
 * address of each listening socket (learnt at its first client), for
 * server_peer_addr() and server_local_addr().
 */
static int server_client_fd = -1;
static int server_client_listener;
static struct sockaddr_storage server_client_sa;
static socklen_t server_client_salen;
static struct sockaddr_storage server_listen_sa[SERVER_LISTEN_MAX];
static socklen_t server_listen_salen[SERVER_LISTEN_MAX];
static signed char server_listen_known[SERVER_LISTEN_MAX]; /* 0 not yet, 1 specific, -1 no */

/* Whether every connection to the listener has its bound address as its own. */
static int server_sa_specific(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *) ss)->sin_addr.s_addr != htonl(INADDR_ANY);
    if (ss->ss_family == AF_INET6)
        return !IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *) ss)->sin6_addr)
               && !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *) ss)->sin6_addr);
    return 0;
}

int server_peer_addr(int fd, struct sockaddr *sa, socklen_t *len)
{
    if (fd >= 0 && fd == server_client_fd && server_client_salen > 0
        && server_client_salen <= *len) {
        memcpy(sa, &server_client_sa, server_client_salen);
        *len = server_client_salen;
        return 0;
    }
    return getpeername(fd, sa, len);
}

int server_local_addr(int fd, struct sockaddr *sa, socklen_t *len)
{
    int i = server_client_listener;

    if (fd >= 0 && fd == server_client_fd && i >= 0 && i < SERVER_LISTEN_MAX) {
        if (server_listen_known[i] == 0) {
            server_listen_salen[i] = sizeof(server_listen_sa[i]);
            if (getsockname(SERVER_LISTEN_FD + i, (struct sockaddr *) &server_listen_sa[i],
                            &server_listen_salen[i]) == 0
                && server_sa_specific(&server_listen_sa[i]))
                server_listen_known[i] = 1;
            else
                server_listen_known[i] = -1;
        }
        if (server_listen_known[i] == 1 && server_listen_salen[i] <= *len) {
            memcpy(sa, &server_listen_sa[i], server_listen_salen[i]);
            *len = server_listen_salen[i];
            return 0;
        }
    }
    return getsockname(fd, sa, len);
}

/*
 * accept(2) errors in a row that end the process (out of descriptors, say):
 * the client stays queued and the socket readable, so the worker would spin
 * on it for ever; exiting lets master start a fresh one.
 */
#define SERVER_ACCEPT_ERRORS 13

static int server_accept(const SERVER *srv, int lfd)
{
    static int errors;
    socklen_t salen = sizeof(server_client_sa);
    int fd, passed;

    server_client_fd = -1;
    if ((fd = accept4(lfd, (struct sockaddr *) &server_client_sa, &salen, SOCK_CLOEXEC)) < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
            msg_warn("accept: %s", strerror(errno));
            if (++errors >= SERVER_ACCEPT_ERRORS)
                msg_fatal("accept: %d errors in a row - program terminated", errors);
        }
        return -1;
    }
    errors = 0;
    if (strcmp(srv->type, "pass") == 0) {
        passed = server_recv_fd(fd);
        close(fd);
        if (passed < 0)
            msg_warn("pass service: no descriptor received");
        return passed;
    }
    server_client_fd = fd;
    server_client_salen = salen <= sizeof(server_client_sa) ? salen : 0;
    server_client_listener = lfd - SERVER_LISTEN_FD;
    return fd;
}

/*
 * The watchdog: a client gets daemon_timeout seconds (alarm(2); SIGALRM
 * ends the process). Arming and disarming it for every client cost two
 * system calls per request, so it is re-armed only when an eighth of the
 * timeout has passed since it was last armed (a client always gets between
 * 7/8 and all of daemon_timeout), and disarmed only before an idle wait
 * that could outlast it. The clock is CLOCK_MONOTONIC (no system call).
 */
static long long server_wd_expires; /* monotonic ms; 0: not armed */
static long server_wd_timeout;      /* seconds it was armed with */

static long long server_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void server_watchdog_arm(long timeout)
{
    long long now;

    if (timeout <= 0)
        return;
    if (timeout > 86400L * 365)
        timeout = 86400L * 365;
    now = server_now_ms();
    if (server_wd_expires != 0 && server_wd_timeout == timeout
        && server_wd_expires - now >= timeout * 1000LL * 7 / 8)
        return;
    alarm((unsigned) timeout);
    server_wd_expires = now + timeout * 1000LL;
    server_wd_timeout = timeout;
}

/* Before waiting for clients (max_idle seconds, 0: for ever). */
static void server_watchdog_idle(long max_idle)
{
    if (server_wd_expires == 0)
        return;
    if (max_idle > 0 && server_wd_expires - server_now_ms() > (max_idle + 1) * 1000LL)
        return;
    alarm(0);
    server_wd_expires = 0;
}

/*
 * A single server's use count (each request counts: a client that sends
 * several on one connection uses the process several times) and its limits,
 * kept here for server_single_next() and server_single_request().
 * server_loop() counts a connection (its first request) when the callback
 * returns; server_single_request() counts each further request when it has
 * arrived. A wait for a request that never came (the client closed the
 * connection, or let it sit idle) counts nothing.
 */
static long server_uses;
static long server_max_use;
static long server_timeout;

int server_single_next(SERVER *srv)
{
    (void) srv;
    if (server_told_to_exit)
        return 0;
    /* One more must fit beside the current connection's own use, which
     * server_loop() counts (and exits after) when the callback returns. */
    if (server_max_use > 0 && server_uses + 1 >= server_max_use)
        return 0;
    server_watchdog_arm(server_timeout);
    return 1;
}

void server_single_request(SERVER *srv)
{
    (void) srv;
    server_uses++;
    server_watchdog_arm(server_timeout);
}

/* Each returns 1 when it served a client (or trigger), 0 when another worker got there first. */
static int server_serve_single(SERVER *srv, const SERVER_OPS *ops, int lfd, long timeout)
{
    int fd = server_accept(srv, lfd);

    if (fd < 0)
        return 0;
    server_status(SERVER_STAT_BUSY);
    server_watchdog_arm(timeout);
    ops->client(srv, fd);
    close(fd);
    server_status(SERVER_STAT_AVAIL);
    return 1;
}

static int server_serve_trigger(SERVER *srv, const SERVER_OPS *ops, int lfd)
{
    char buf[SERVER_TRIGGER_MAX];
    struct pollfd pfd;
    ssize_t n;
    int fd;

    if (strcmp(srv->type, "fifo") == 0) {
        if ((n = read(lfd, buf, sizeof(buf))) > 0) {
            server_status(SERVER_STAT_BUSY);
            ops->trigger(srv, buf, (size_t) n);
            server_status(SERVER_STAT_AVAIL);
            return 1;
        }
        return 0;
    }
    if ((fd = server_accept(srv, lfd)) < 0)
        return 0;
    server_status(SERVER_STAT_BUSY);
    pfd.fd = fd;
    pfd.events = POLLIN;
    /* The writer sends its bytes right after connecting; do not wait long. */
    if (poll(&pfd, 1, 5000) > 0 && (n = read(fd, buf, sizeof(buf))) > 0)
        ops->trigger(srv, buf, (size_t) n);
    close(fd);
    server_status(SERVER_STAT_AVAIL);
    return 1;
}

/* Up to SERVER_DGRAM_BATCH waiting datagrams with one recvmmsg(2). */
#define SERVER_DGRAM_BATCH 32

static void server_serve_dgram(SERVER *srv, const SERVER_OPS *ops, int lfd)
{
    static char bufs[SERVER_DGRAM_BATCH][SERVER_DGRAM_MAX];
    struct mmsghdr msgs[SERVER_DGRAM_BATCH];
    struct iovec iovs[SERVER_DGRAM_BATCH];
    int i, n;

    memset(msgs, 0, sizeof(msgs));
    for (i = 0; i < SERVER_DGRAM_BATCH; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = sizeof(bufs[i]);
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if ((n = recvmmsg(lfd, msgs, SERVER_DGRAM_BATCH, MSG_DONTWAIT, NULL)) <= 0)
        return;
    for (i = 0; i < n; i++)
        if (msgs[i].msg_len > 0)
            ops->dgram(srv, bufs[i], msgs[i].msg_len);
    if (ops->dgram_done)
        ops->dgram_done(srv);
}

/*
 * The wait set of server_loop(): an epoll instance with the status channel
 * and the listening sockets. The listening sockets are EPOLLEXCLUSIVE: when
 * a client connects, the kernel wakes one idle worker of the service, not
 * all of them (with poll(2) every idle worker woke, and all but one got
 * EAGAIN from accept(2): two wasted system calls per worker per client).
 */
static int server_wait_set(const SERVER *srv)
{
    struct epoll_event ev;
    int ep, i;

    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        msg_fatal("epoll_create1: %s", strerror(errno));
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u32 = 0;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, SERVER_STATUS_FD, &ev) < 0)
        msg_fatal("epoll_ctl status channel: %s", strerror(errno));
    for (i = 0; i < srv->nlisten; i++) {
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.u32 = (uint32_t) i + 1;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, srv->listen_fds[i], &ev) < 0)
            msg_fatal("epoll_ctl listening socket %d: %s", srv->listen_fds[i], strerror(errno));
    }
    return ep;
}

__attribute__((noreturn)) static void server_loop(SERVER *srv, const SERVER_OPS *ops, int model)
{
    struct epoll_event evs[SERVER_LISTEN_MAX + 1];
    int ready[SERVER_LISTEN_MAX + 1];
    long max_idle = ops->unlimited ? 0 : conf_get_time("max_idle");
    long max_use = ops->unlimited ? 0 : conf_get_int("max_use");
    long timeout = conf_get_time("daemon_timeout");
    int ep = server_wait_set(srv);
    int i, n, served;

    if (model == MODEL_DGRAM)
        max_idle = max_use = 0;
    server_max_use = max_use;
    server_timeout = timeout;
    for (;;) {
        if (server_told_to_exit) {
            if (msg_verbose)
                msg_info("master disconnect -- exiting");
            server_exit(srv, ops);
        }
        server_watchdog_idle(max_idle);
        n = epoll_wait(ep, evs, srv->nlisten + 1,
                       max_idle > 0 ? (int) (max_idle > 86400 ? 86400000 : max_idle * 1000) : -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("epoll_wait: %s", strerror(errno));
        }
        if (n == 0) {
            if (msg_verbose)
                msg_info("idle timeout -- exiting");
            server_exit(srv, ops);
        }
        memset(ready, 0, sizeof(ready));
        for (i = 0; i < n; i++)
            if (evs[i].data.u32 <= (uint32_t) srv->nlisten)
                ready[evs[i].data.u32] = 1;
        if (server_told_to_exit || (ready[0] && server_master_gone())) {
            if (msg_verbose)
                msg_info("master disconnect -- exiting");
            server_exit(srv, ops);
        }
        for (i = 0; i < srv->nlisten; i++) {
            if (!ready[i + 1])
                continue;
            served = 0;
            if (model == MODEL_SINGLE)
                served = server_serve_single(srv, ops, srv->listen_fds[i], timeout);
            else if (model == MODEL_TRIGGER)
                served = server_serve_trigger(srv, ops, srv->listen_fds[i]);
            else
                server_serve_dgram(srv, ops, srv->listen_fds[i]);
            if (served && max_use > 0 && ++server_uses >= max_use) {
                if (msg_verbose)
                    msg_info("use count limit %ld reached -- exiting", max_use);
                server_exit(srv, ops);
            }
            break; /* look at the status channel before the next client */
        }
    }
}

static void server_multi_close(int *clients, int *n, int i)
{
    close(clients[i]);
    clients[i] = clients[--*n];
}

/* One process, many clients: poll them all with the listening sockets. */
__attribute__((noreturn)) static void server_multi_loop(SERVER *srv, const SERVER_OPS *ops)
{
    static int clients[SERVER_MULTI_MAX];
    static struct pollfd pfd[SERVER_MULTI_MAX + SERVER_LISTEN_MAX + 1];
    long max_idle = ops->unlimited ? 0 : conf_get_time("max_idle");
    long max_use = ops->unlimited ? 0 : conf_get_int("max_use");
    long uses = 0;
    int nclients = 0, accepting, nl, i, n, fd;

    for (;;) {
        if (server_told_to_exit || (max_use > 0 && uses >= max_use)) {
            if (nclients == 0)
                server_exit(srv, ops);
            accepting = 0;
        } else {
            accepting = nclients < SERVER_MULTI_MAX;
        }
        n = 0;
        pfd[n].fd = SERVER_STATUS_FD;
        pfd[n++].events = POLLIN;
        nl = accepting ? srv->nlisten : 0;
        for (i = 0; i < nl; i++) {
            pfd[n].fd = srv->listen_fds[i];
            pfd[n++].events = POLLIN;
        }
        for (i = 0; i < nclients; i++) {
            pfd[n].fd = clients[i];
            pfd[n++].events = POLLIN;
        }
        n = poll(pfd, (nfds_t) n,
                 nclients == 0 && max_idle > 0
                     ? (int) (max_idle > 86400 ? 86400000 : max_idle * 1000) : -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("poll: %s", strerror(errno));
        }
        if (n == 0)
            server_exit(srv, ops);
        if (pfd[0].revents && server_master_gone())
            server_told_to_exit = 1;
        /* Clients first, from the end, so that closing one does not skip another. */
        for (i = nclients - 1; i >= 0; i--) {
            if (pfd[1 + nl + i].revents == 0)
                continue;
            if (ops->multi_read(srv, clients[i]) < 0)
                server_multi_close(clients, &nclients, i);
        }
        for (i = 0; i < nl && !server_told_to_exit; i++) {
            if (pfd[1 + i].revents == 0 || nclients >= SERVER_MULTI_MAX)
                continue;
            if ((fd = server_accept(srv, srv->listen_fds[i])) < 0)
                continue;
            uses++;
            if (ops->multi_open && ops->multi_open(srv, fd) < 0) {
                close(fd);
                continue;
            }
            clients[nclients++] = fd;
        }
    }
}

void server_multi_main(int argc, char **argv, const SERVER_OPS *ops)
{
    SERVER srv;

    if (ops->multi_read == NULL)
        msg_panic("server_multi_main: no multi_read callback");
    server_setup(&srv, ops, argc, argv);
    server_multi_loop(&srv, ops);
}

void server_single_main(int argc, char **argv, const SERVER_OPS *ops)
{
    SERVER srv;

    if (ops->client == NULL)
        msg_panic("server_single_main: no client callback");
    server_setup(&srv, ops, argc, argv);
    server_loop(&srv, ops, MODEL_SINGLE);
}

void server_trigger_main(int argc, char **argv, const SERVER_OPS *ops)
{
    SERVER srv;

    if (ops->trigger == NULL)
        msg_panic("server_trigger_main: no trigger callback");
    server_setup(&srv, ops, argc, argv);
    server_loop(&srv, ops, MODEL_TRIGGER);
}

void server_dgram_main(int argc, char **argv, const SERVER_OPS *ops)
{
    SERVER srv;

    if (ops->dgram == NULL)
        msg_panic("server_dgram_main: no datagram callback");
    server_setup(&srv, ops, argc, argv);
    server_loop(&srv, ops, MODEL_DGRAM);
}

int server_event_accept(const SERVER *srv, int lfd)
{
    static int reported;
    int fd = server_accept(srv, lfd);

    /* Tell master a client was taken (it counts uses: a worker that dies
     * without one is throttled as a bad start-up), then that we are ready
     * again: the daemon handles the client in its own loop. Once is enough
     * (master needs no more than "used"): reporting each qmgr trigger cost
     * two writes here and two reads in master. */
    if (fd >= 0 && !reported) {
        server_status(SERVER_STAT_BUSY);
        server_status(SERVER_STAT_AVAIL);
        reported = 1;
    }
    return fd;
}

int server_event_master_gone(void)
{
    if (server_told_to_exit)
        return 1;
    if (server_master_gone())
        server_told_to_exit = 1;
    return server_told_to_exit;
}

void server_event_main(int argc, char **argv, const SERVER_OPS *ops)
{
    SERVER srv;

    if (ops->event_loop == NULL)
        msg_panic("server_event_main: no event_loop callback");
    server_setup(&srv, ops, argc, argv);
    ops->event_loop(&srv);
    server_exit(&srv, ops);
}
