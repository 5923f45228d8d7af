/*
 * master - the supervising daemon: owns every listening endpoint of
 * master.cf and runs the workers behind them.
 *
 * Usage: master [-c config_dir] [-d | -i | -s | -w] [-e seconds] [-t] [-v]
 *   -c  configuration directory (else $MAIL_CONFIG, else the default)
 *   -d  debugging: stay in the foreground and keep standard input, output
 *       and error; log to standard error too, and tell workers to do so
 *   -e  exit after that many seconds (debugging)
 *   -i  init mode, for a container whose process 1 is master: as -s, and
 *       no new session; refused unless the process id is 1 (master then
 *       also reaps the orphans the kernel hands to process 1)
 *   -s  as without options, but standard output is kept, so that
 *       "maillog_file = /dev/stdout" works (postfix start-fg)
 *   -t  test mode: exit 0 when no master runs, 1 when one does
 *   -v  verbose (repeat for more; passed on to workers); MAIL_VERBOSE in
 *       the environment (postfix -v) makes master alone verbose
 *   -w  detach, and let the parent exit only once master is ready: 0 when
 *       it runs, 1 with the reason when it failed (postfix start)
 * Without -d, -i, -s or -w, master stays in the foreground in a session of
 * its own, and once it is ready its standard input, output and error go
 * to /dev/null (problems at start are still reported on standard error).
 *
 * Descriptors: master starts by closing every descriptor above standard
 * error that it inherited; workers get only theirs (server.h).
 *
 * What it trusts: main.cf and master.cf (root's files) and nothing else. It
 * never reads from a client: workers accept connections, master only polls
 * the listening sockets to know when to spawn more workers. The status
 * channels carry single bytes whose meaning is fixed (server.h).
 *
 * The event loop is poll(2) with a signal self-pipe: SIGHUP reloads (new
 * services start, removed ones stop, every worker is told to finish its
 * client and exit, unchanged sockets are kept, so no connection is cut);
 * SIGTERM stops gracefully (workers finish, the rest are terminated after a
 * grace period); a second SIGTERM, SIGINT or SIGQUIT ("postfix abort") stops
 * at once. SIGCHLD reaps workers. The pid file queue_directory/pid/master.pid
 * holds the pid (Postfix's layout) and carries, for as long as master runs,
 * Postfix's flock(2) lock and an fcntl(2) write lock; a second master,
 * Postern's or Postfix's, is refused.
 *
 * Error policy: at start, every problem (configuration, sockets, pid file) is
 * fatal. After that nothing is: a reload whose main.cf has a value master
 * cannot use, whose master.cf is broken, or whose sockets cannot be opened
 * is logged and the old configuration kept (the configuration is tried in a
 * child process first).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "master_proc.h"
#include "master_serv.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "vstr.h"

#define MASTER_STOP_GRACE 10 /* seconds a worker may finish its client at stop */
#define MASTER_KILL_GRACE 2  /* seconds between SIGTERM and SIGKILL at stop */
#define MASTER_LIMIT_WARN_EVERY 60 /* seconds between process limit warnings */
#define MASTER_LISTEN_TRIES 10 /* seconds a reload tries to open a busy address */

typedef struct MASTER {
    char *config_dir;     /* -c, or NULL */
    MASTER_SERV *servs;
    MASTER_PROCS *procs;
    int sigpipe[2];
    int pid_fd;
    int stopping;         /* 1: graceful stop in progress */
    time_t stop_deadline; /* then SIGTERM the rest */
    time_t kill_deadline; /* then SIGKILL the rest */
    time_t exit_at;       /* -e */
} MASTER;

/* The self-pipe's write end: the only thing a signal handler touches. */
static int master_sig_fd = -1;

static void master_on_signal(int sig)
{
    unsigned char c = (unsigned char) sig;
    int saved = errno;

    (void) !write(master_sig_fd, &c, 1);
    errno = saved;
}

static void master_signals(MASTER *m)
{
    struct sigaction sa;
    const int sigs[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGCHLD};
    size_t i;

    if (pipe2(m->sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
        msg_fatal("pipe: %s", strerror(errno));
    master_sig_fd = m->sigpipe[1];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = master_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void master_pid_path(VSTR *v)
{
    vstr_sprintf(v, "%s/pid/master.pid", conf_get("queue_directory"));
}

/*
 * The pid file carries two locks for as long as master runs: flock(2), the
 * one Postfix's master takes (so that Postfix's `master -t` and a Postfix
 * master on the same queue see Postern's, and the other way round), and an
 * fcntl(2) lock, which tells who holds it.
 */

/* The pid of a running master, 0 when none runs, -1 when one runs whose pid is unknown. */
static long master_running(void)
{
    VSTR *path = vstr_new(100);
    struct flock fl;
    char buf[64];
    ssize_t n;
    long pid;
    int fd;

    master_pid_path(path);
    fd = open(vstr_str(path), O_RDONLY | O_CLOEXEC);
    vstr_free(path);
    if (fd < 0)
        return 0;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        close(fd);
        return (long) fl.l_pid;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        close(fd);              /* closing releases the probe */
        return 0;
    }
    /* Held by flock alone (a Postfix master): its pid is in the file. */
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    if (str_parse_long(str_trim(buf), 1, 1L << 30, &pid) < 0)
        return -1;
    return pid;
}

static void master_lock_pid(MASTER *m)
{
    VSTR *path = vstr_new(100);
    char buf[64];
    struct flock fl;
    int n;

    master_pid_path(path);
    m->pid_fd = open(vstr_str(path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m->pid_fd < 0)
        msg_fatal("open lock file %s: %s", vstr_str(path), strerror(errno));
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (flock(m->pid_fd, LOCK_EX | LOCK_NB) < 0 || fcntl(m->pid_fd, F_SETLK, &fl) < 0) {
        long pid = master_running();

        msg_fatal("the Postfix mail system is already running (master pid %ld, lock file %s)",
                  pid, vstr_str(path));
    }
    /* Postfix's layout: the pid right-aligned in 4 * sizeof(unsigned long) columns. */
    n = snprintf(buf, sizeof(buf), "%*lu\n", (int) sizeof(unsigned long) * 4,
                 (unsigned long) getpid());
    if (ftruncate(m->pid_fd, 0) < 0 || pwrite(m->pid_fd, buf, (size_t) n, 0) != n)
        msg_fatal("cannot update lock file %s: %s", vstr_str(path), strerror(errno));
    vstr_free(path);
}

static void master_log_config(int foreground)
{
    msg_set_outputs(MSG_OUT_SYSLOG | (foreground ? MSG_OUT_STDERR : 0));
    msg_config(conf_get("syslog_name"), conf_get("syslog_facility"), conf_get("maillog_file"),
               conf_get("myhostname"));
}

/* Every service's sockets, or the reason why not. */
static int master_listen_all(MASTER_SERV *list, char **err)
{
    MASTER_SERV *serv;

    for (serv = list; serv; serv = serv->next) {
        if (serv->nfds == 0 && master_serv_listen(serv, err) < 0)
            return -1;
    }
    return 0;
}

static void master_schedule_wakeups(MASTER_SERV *list, time_t now)
{
    MASTER_SERV *serv;

    for (serv = list; serv; serv = serv->next)
        if (serv->wakeup > 0 && serv->next_wakeup == 0)
            serv->next_wakeup = now;
}

static void master_retire_all(MASTER *m)
{
    MASTER_PROC *proc;

    for (proc = m->procs->head; proc; proc = proc->next)
        master_proc_retire(m->procs, proc);
}

/* A service leaves the list: its sockets close now, its memory when its last worker is gone. */
static void master_drop_service(MASTER_SERV *serv)
{
    master_serv_close(serv);
    if (serv->nproc == 0)
        master_serv_free(serv);
    else
        serv->dead = 1;
}

/*
 * Open a service's sockets after a reload. An address may still be held by
 * a worker of the old configuration for a moment (it lets go when it sees
 * master hang up), so a failure is retried every second for a while before
 * it is reported; the service stays inert until then.
 */
static void master_try_listen(MASTER_SERV *serv, time_t now)
{
    char *err = NULL;

    if (master_serv_listen(serv, &err) == 0) {
        serv->listen_retry = 0;
        return;
    }
    if (++serv->listen_tries >= MASTER_LISTEN_TRIES) {
        msg_error("reload: %s; service %s/%s not started", err, serv->name, serv->type);
        serv->listen_retry = 0;
    } else {
        if (msg_verbose)
            msg_info("reload: %s; trying again", err);
        serv->listen_retry = now + 1;
    }
    mem_free(err);
}

/*
 * Try the new configuration in a child first: a main.cf value master cannot
 * use (conf_* makes that fatal) or a broken master.cf then ends the child,
 * with its reason in the log, not master. 0 when the child found it good.
 */
static int master_reload_check(const char *config_dir)
{
    MASTER_SERV *list, *next;
    char *err = NULL;
    int status;
    pid_t pid;

    if ((pid = fork()) < 0) {
        msg_warn("reload: fork: %s; loading the new configuration unchecked", strerror(errno));
        return 0;
    }
    if (pid == 0) {
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        conf_init(config_dir);
        (void) conf_get_time("service_throttle_time");
        if ((list = master_serv_load(&err)) == NULL && err != NULL) {
            msg_error("reload: %s; keeping the old configuration", err);
            _exit(2);
        }
        for (; list; list = next) {
            next = list->next;
            list->nfds = 0;     /* nothing was opened: nothing to close */
            master_serv_free(list);
        }
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return -1;              /* the child said why */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        msg_error("reload: the new configuration is not usable (see the line above); "
                  "keeping the old configuration");
        return -1;
    }
    return 0;
}

static void master_reload(MASTER *m)
{
    MASTER_SERV *fresh, *serv, *old, **pp;
    char *err = NULL;

    if (master_reload_check(m->config_dir) < 0)
        return;
    conf_init(m->config_dir);
    master_log_config(m->procs->foreground);
    if ((fresh = master_serv_load(&err)) == NULL) {
        msg_error("reload: %s; keeping the old configuration", err);
        mem_free(err);
        return;
    }
    /* Keep the sockets (and the run state) of services whose endpoint did not change. */
    for (serv = fresh; serv; serv = serv->next) {
        for (pp = &m->servs; (old = *pp) != NULL; pp = &old->next)
            if (master_serv_same_endpoint(old, serv))
                break;
        if (old == NULL)
            continue;
        *pp = old->next;
        memcpy(serv->fds, old->fds, sizeof(serv->fds));
        serv->nfds = old->nfds;
        serv->sock_path = old->sock_path;
        serv->used = old->used;
        old->nfds = 0;
        old->sock_path = NULL;
        serv->next_wakeup = old->next_wakeup;
        /* The workers move over to the new entry before they are retired. */
        {
            MASTER_PROC *proc;

            for (proc = m->procs->head; proc; proc = proc->next)
                if (proc->serv == old) {
                    master_proc_retire(m->procs, proc);
                    proc->serv = serv;
                    old->nproc--;
                    serv->nproc++;
                    if (proc->exiting) {
                        old->exiting--;
                        serv->exiting++;
                    }
                }
        }
        master_serv_free(old);
    }
    master_retire_all(m);
    /* What is left of the old list was removed from master.cf. */
    while ((old = m->servs) != NULL) {
        m->servs = old->next;
        msg_info("reload: stopping service %s/%s", old->name, old->type);
        master_drop_service(old);
    }
    m->servs = fresh;
    for (serv = m->servs; serv; serv = serv->next)
        if (serv->nfds == 0)
            master_try_listen(serv, time(NULL));
    master_schedule_wakeups(m->servs, time(NULL));
    msg_info("reload -- version %s, configuration %s", conf_get("mail_version"), conf_dir());
}

static void master_begin_stop(MASTER *m, int sig)
{
    MASTER_SERV *serv;
    time_t now = time(NULL);

    if (sig)
        msg_info("terminating on signal %d", sig);
    else
        msg_info("terminating: the -e time is up");
    m->stopping = 1;
    m->stop_deadline = now + MASTER_STOP_GRACE;
    for (serv = m->servs; serv; serv = serv->next)
        master_serv_close(serv);
    master_retire_all(m);
}

static void master_abort(MASTER *m, int sig)
{
    msg_info("terminating immediately on signal %d", sig);
    master_proc_kill_all(m->procs, SIGKILL);
    m->stopping = 1;
    m->stop_deadline = m->kill_deadline = time(NULL);
}

/* Act on the signals the handler queued. */
static void master_handle_signals(MASTER *m)
{
    unsigned char buf[64];
    ssize_t n, i;

    while ((n = read(m->sigpipe[0], buf, sizeof(buf))) > 0) {
        for (i = 0; i < n; i++) {
            switch (buf[i]) {
            case SIGCHLD:
                master_proc_reap(m->procs);
                break;
            case SIGHUP:
                if (!m->stopping)
                    master_reload(m);
                break;
            case SIGTERM:
                if (m->stopping)
                    master_abort(m, buf[i]);
                else
                    master_begin_stop(m, buf[i]);
                break;
            default: /* SIGINT, SIGQUIT */
                master_abort(m, buf[i]);
                break;
            }
        }
    }
}

/* A client knocks on a service whose program is not installed: log it, turn it away. */
static void master_refuse(MASTER_SERV *serv, int fd, time_t now)
{
    char buf[512];
    int cfd;

    if (now - serv->missing_logged >= conf_get_time("service_throttle_time")) {
        msg_warn("service %s/%s (master.cf line %d): program %s is not installed "
                 "(Postern does not ship it); refusing the request",
                 serv->name, serv->type, serv->line, serv->path);
        serv->missing_logged = now;
    }
    if (strcmp(serv->type, "unix-dgram") == 0 || strcmp(serv->type, "fifo") == 0) {
        (void) !read(fd, buf, sizeof(buf));
    } else if ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        close(cfd);
    } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        /* The client stays queued (no descriptor to take it with): not again at once. */
        msg_warn("service %s/%s: accept: %s -- throttling", serv->name, serv->type,
                 strerror(errno));
        serv->throttle_until = now + conf_get_time("service_throttle_time");
    }
}

static void master_demand(MASTER *m, MASTER_SERV *serv, int fd, time_t now)
{
    if (access(serv->path, X_OK) < 0) {
        master_refuse(serv, fd, now);
        return;
    }
    serv->used = 1;
    /* No process (fork or descriptors exhausted): not again at once, as Postfix. */
    if (master_proc_spawn(m->procs, serv) < 0 && serv->throttle_until == 0) {
        msg_warn("service %s/%s: cannot start a process -- throttling", serv->name, serv->type);
        serv->throttle_until = now + conf_get_time("service_throttle_time");
    }
}

static int master_wants_clients(const MASTER_SERV *serv, time_t now)
{
    if (serv->throttle_until != 0 && now < serv->throttle_until)
        return 0;
    if (serv->avail > 0 || serv->exiting > 0)
        return 0;
    if (serv->maxproc > 0 && serv->total >= serv->maxproc)
        return 0;
    return 1;
}

/*
 * All workers busy at maxproc: worth one warning a minute when clients wait.
 * Not for services with a wakeup timer (qmgr, pickup, flush): one
 * event-driven process whose clients only leave a trigger, accepted when it
 * gets round to it; a busy one is not short of processes.
 */
static int master_at_limit(const MASTER_SERV *serv, time_t now)
{
    return serv->maxproc > 0 && serv->total >= serv->maxproc && serv->avail == 0
           && serv->wakeup == 0
           && serv->exiting == 0 && serv->throttle_until == 0
           && now - serv->limit_logged >= MASTER_LIMIT_WARN_EVERY;
}

static void master_warn_limit(MASTER_SERV *serv, time_t now)
{
    msg_warn("service \"%s\" (%s) has reached its process limit \"%d\": "
             "new clients may experience noticeable delays", serv->name, serv->port, serv->maxproc);
    msg_warn("to avoid this condition, increase the process count in master.cf "
             "or reduce the service time per client");
    serv->limit_logged = now;
}

static void master_timers(MASTER *m, time_t now, long *timeout_ms)
{
    MASTER_SERV *serv;
    long wait = -1;

#define MASTER_SOONER(t) \
    do { \
        long d = (long) ((t) - now); \
        if (d < 0) \
            d = 0; \
        if (wait < 0 || d < wait) \
            wait = d; \
    } while (0)

    for (serv = m->servs; serv; serv = serv->next) {
        if (serv->listen_retry != 0 && !m->stopping) {
            if (now >= serv->listen_retry)
                master_try_listen(serv, now);
            if (serv->listen_retry != 0)
                MASTER_SOONER(serv->listen_retry);
        }
        if (serv->throttle_until != 0) {
            if (now >= serv->throttle_until)
                serv->throttle_until = 0;
            else
                MASTER_SOONER(serv->throttle_until);
        }
        if (!m->stopping && serv->wakeup > 0 && serv->next_wakeup != 0) {
            if (now >= serv->next_wakeup) {
                if (!serv->wakeup_if_used || serv->used)
                    master_serv_wakeup(serv);
                serv->next_wakeup = now + serv->wakeup;
            }
            MASTER_SOONER(serv->next_wakeup);
        }
    }
    if (m->stopping) {
        if (now >= m->stop_deadline && m->kill_deadline == 0) {
            master_proc_kill_all(m->procs, SIGTERM);
            m->kill_deadline = now + MASTER_KILL_GRACE;
        }
        if (m->kill_deadline != 0 && now >= m->kill_deadline)
            master_proc_kill_all(m->procs, SIGKILL);
        MASTER_SOONER(m->kill_deadline ? m->kill_deadline + 1 : m->stop_deadline);
    }
    if (m->exit_at)
        MASTER_SOONER(m->exit_at);
    *timeout_ms = wait < 0 ? -1 : (wait > 3600 ? 3600 : wait) * 1000 + (wait == 0 ? 100 : 0);
#undef MASTER_SOONER
}

static void master_loop(MASTER *m)
{
    struct pollfd *pfd = NULL;
    MASTER_SERV **pserv = NULL;
    MASTER_PROC **pproc = NULL;
    char *probe = NULL;
    size_t cap = 0, n, i;
    MASTER_SERV *serv;
    MASTER_PROC *proc;
    long timeout;
    time_t now;
    int k;

    for (;;) {
        now = time(NULL);
        if (m->exit_at && now >= m->exit_at && !m->stopping)
            master_begin_stop(m, 0);
        if (m->stopping && m->procs->count == 0)
            break;
        master_timers(m, now, &timeout);
        n = 1 + (size_t) m->procs->count;
        for (serv = m->servs; serv; serv = serv->next)
            n += (size_t) serv->nfds;
        if (n > cap) {
            cap = n * 2;
            pfd = mem_realloc(pfd, cap * sizeof(*pfd));
            pserv = mem_realloc(pserv, cap * sizeof(*pserv));
            pproc = mem_realloc(pproc, cap * sizeof(*pproc));
            probe = mem_realloc(probe, cap);
        }
        n = 0;
        memset(probe, 0, cap);
        pfd[n].fd = m->sigpipe[0];
        pfd[n].events = POLLIN;
        pserv[n] = NULL;
        pproc[n++] = NULL;
        for (proc = m->procs->head; proc; proc = proc->next) {
            if (proc->status_fd < 0)
                continue;
            pfd[n].fd = proc->status_fd;
            pfd[n].events = POLLIN;
            pserv[n] = NULL;
            pproc[n++] = proc;
        }
        for (serv = m->servs; serv; serv = serv->next) {
            int at_limit = master_at_limit(serv, now);

            if (!at_limit && !master_wants_clients(serv, now))
                continue;
            for (k = 0; k < serv->nfds; k++) {
                pfd[n].fd = serv->fds[k];
                pfd[n].events = POLLIN;
                pserv[n] = serv;
                probe[n] = (char) at_limit;
                pproc[n++] = NULL;
            }
        }
        if (poll(pfd, n, (int) timeout) < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("poll: %s", strerror(errno));
        }
        /* Status first (a worker may have become available), then signals, then demand. */
        for (i = 1; i < n; i++)
            if (pproc[i] && pfd[i].revents && pproc[i]->status_fd == pfd[i].fd)
                master_proc_status(m->procs, pproc[i]);
        if (pfd[0].revents) {
            master_handle_signals(m);
            continue;           /* services may have changed under pserv[] */
        }
        now = time(NULL);
        for (i = 1; i < n; i++) {
            if (pserv[i] == NULL || !pfd[i].revents)
                continue;
            if (probe[i]) {
                if (master_at_limit(pserv[i], now))
                    master_warn_limit(pserv[i], now);
            } else if (master_wants_clients(pserv[i], now))
                master_demand(m, pserv[i], pfd[i].fd, now);
        }
    }
    mem_free(pfd);
    mem_free(pserv);
    mem_free(pproc);
    mem_free(probe);
}

static void master_usage(void)
{
    msg_fatal("usage: master [-c config_dir] [-d | -i | -s | -w] [-e seconds] [-t] [-v]");
}

/* Detach; the parent waits for the child's word that it runs. Returns in the child. */
static int master_detach(void)
{
    int ready[2];
    char c;
    pid_t pid;

    if (pipe2(ready, O_CLOEXEC) < 0)
        msg_fatal("pipe: %s", strerror(errno));
    if ((pid = fork()) < 0)
        msg_fatal("fork: %s", strerror(errno));
    if (pid > 0) {
        close(ready[1]);
        conf_free();
        if (read(ready[0], &c, 1) == 1)
            exit(0);
        /* The child said why on standard error and in the log. */
        waitpid(pid, NULL, 0);
        exit(1);
    }
    close(ready[0]);
    setsid();
    return ready[1];
}

/*
 * Whoever started master may have left descriptors open above standard
 * error (a shell's flock(1) lock, a package script's pipe that it waits to
 * see closed): master would hold them for as long as it runs, and nobody
 * waiting on them would ever be let go. Master needs none it did not open
 * itself (its -w start-up pipe it makes after this), so it closes them all
 * first, as Postfix's master does; workers get only the descriptors
 * master_proc.c hands them.
 */
static void master_close_inherited(void)
{
    long fd, max;

    if (close_range(3, ~0U, 0) == 0)
        return;
    /* Before Linux 5.9: one close() each, up to the descriptor limit. */
    max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (fd = 3; fd < max; fd++)
        (void) close((int) fd);
}

/* Ready: standard input, error and (unless kept) output go to /dev/null; tell a -w parent. */
static void master_ready(int ready_fd, int keep_stdout)
{
    int null = open("/dev/null", O_RDWR);

    if (null >= 0) {
        dup2(null, 0);
        if (!keep_stdout)
            dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    msg_set_outputs(MSG_OUT_SYSLOG);
    master_log_config(0);
    if (ready_fd >= 0) {
        (void) !write(ready_fd, "R", 1);
        close(ready_fd);
    }
}

int main(int argc, char **argv)
{
    MASTER m;
    MASTER_SERV *serv;
    char *err = NULL;
    int foreground = 0, test = 0, verbose = 0, ready_fd = -1;
    int detach = 0, init_mode = 0, keep_stdout = 0;
    long secs;
    int ch;

    master_close_inherited();
    memset(&m, 0, sizeof(m));
    msg_init("master", MSG_OUT_STDERR | MSG_OUT_SYSLOG);
    umask(022);
    while ((ch = getopt(argc, argv, "c:de:istvw")) != -1) {
        switch (ch) {
        case 'c':
            m.config_dir = optarg;
            break;
        case 'd':
            foreground = 1;
            break;
        case 'e':
            if (str_parse_long(optarg, 1, 86400 * 365, &secs) < 0)
                master_usage();
            m.exit_at = time(NULL) + secs;
            break;
        case 'i':
            init_mode = keep_stdout = 1;
            break;
        case 's':
            keep_stdout = 1;
            break;
        case 't':
            test = 1;
            break;
        case 'v':
            verbose++;
            msg_verbose++;
            break;
        case 'w':
            detach = 1;
            break;
        default:
            master_usage();
        }
    }
    if (optind != argc || (foreground && detach))
        master_usage();
    if (init_mode && (foreground || detach))
        msg_fatal("the -i option cannot be used with -d or -w");
    if (init_mode && getpid() != 1)
        msg_fatal("-i is allowed only for PID 1 process");
    if (getenv("MAIL_VERBOSE") != NULL && msg_verbose == 0)
        msg_verbose = 1;        /* postfix -v */
    if (m.config_dir)
        setenv("MAIL_CONFIG", m.config_dir, 1);
    conf_init(m.config_dir);
    if (test) {
        long pid = master_running();

        conf_free();
        return pid ? 1 : 0;
    }
    if (geteuid() != 0)
        msg_fatal("the master process must be started by root");
    if (chdir(conf_get("queue_directory")) < 0)
        msg_fatal("chdir %s: %s", conf_get("queue_directory"), strerror(errno));
    if (detach)
        ready_fd = master_detach();
    else if (!foreground && !init_mode)
        (void) setsid();        /* fails only for a process group leader: then it stays */
    master_lock_pid(&m);
    master_log_config(1);
    if ((m.servs = master_serv_load(&err)) == NULL && err != NULL)
        msg_fatal("%s", err);
    if (master_listen_all(m.servs, &err) < 0)
        msg_fatal("%s", err);
    for (serv = m.servs; serv; serv = serv->next)
        if (access(serv->path, X_OK) < 0)
            msg_info("service %s/%s: program %s is not installed; it is started on demand "
                     "once it is", serv->name, serv->type, serv->path);
    m.procs = master_proc_new();
    m.procs->foreground = foreground;
    m.procs->verbose = verbose;
    master_signals(&m);
    master_schedule_wakeups(m.servs, time(NULL));
    if (!foreground)
        master_ready(ready_fd, keep_stdout);
    else
        master_log_config(1);
    msg_info("daemon started -- version %s, configuration %s", conf_get("mail_version"),
             conf_dir());
    master_loop(&m);
    while ((serv = m.servs) != NULL) {
        m.servs = serv->next;
        master_serv_free(serv);
    }
    master_proc_free(m.procs);
    close(m.sigpipe[0]);
    close(m.sigpipe[1]);
    close(m.pid_fd);
    conf_free();
    return 0;
}
