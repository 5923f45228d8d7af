/* master_proc - spawn, watch and reap workers; see master_proc.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "master_proc.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "vstr.h"

extern char **environ;

MASTER_PROCS *master_proc_new(void)
{
    return mem_calloc(1, sizeof(MASTER_PROCS));
}

/* import_environment: NAME copies master's value, NAME=value sets one; MAIL_CONFIG always. */
static ARGV *proc_environment(void)
{
    ARGV *env = argv_new();
    ARGV *names = argv_split(conf_get("import_environment"), ", \t\r\n");
    VSTR *v = vstr_new(100);
    const char *val;
    size_t i;

    vstr_sprintf(v, "MAIL_CONFIG=%s", conf_dir());
    argv_add(env, vstr_str(v));
    for (i = 0; i < names->argc; i++) {
        if (strncmp(names->argv[i], "MAIL_CONFIG", 11) == 0
            && (names->argv[i][11] == 0 || names->argv[i][11] == '='))
            continue;
        if (strchr(names->argv[i], '=')) {
            argv_add(env, names->argv[i]);
        } else if ((val = getenv(names->argv[i])) != NULL) {
            vstr_sprintf(v, "%s=%s", names->argv[i], val);
            argv_add(env, vstr_str(v));
        }
    }
    argv_free(names);
    vstr_free(v);
    return env;
}

static ARGV *proc_arguments(const MASTER_PROCS *procs, const MASTER_SERV *serv)
{
    ARGV *args = argv_new();
    char count[16];
    size_t i;
    int v;

    argv_add(args, serv->path);
    argv_add(args, "-n");
    argv_add(args, serv->name);
    argv_add(args, "-t");
    argv_add(args, serv->type);
    if (serv->nfds != 1) {
        snprintf(count, sizeof(count), "%d", serv->nfds);
        argv_add(args, "-s");
        argv_add(args, count);
    }
    if (serv->chroot)
        argv_add(args, "-c");
    if (serv->unpriv)
        argv_add(args, "-u");
    if (procs->foreground)
        argv_add(args, "-l");
    for (v = 0; v < procs->verbose && v < 5; v++)
        argv_add(args, "-v");
    for (i = 0; i < serv->args->argc; i++)
        argv_add(args, serv->args->argv[i]);
    return args;
}

/* In the child: put the descriptors where server.h says, close the rest, exec. */
__attribute__((noreturn)) static void proc_exec(const MASTER_SERV *serv, int status_fd,
                                                 ARGV *args, ARGV *env)
{
    int high[SERVER_LISTEN_MAX + 1];
    sigset_t none;
    int i, n = serv->nfds;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    /* First move everything out of the way of the target numbers. */
    high[0] = fcntl(status_fd, F_DUPFD_CLOEXEC, 100);
    for (i = 0; i < n; i++)
        high[i + 1] = fcntl(serv->fds[i], F_DUPFD_CLOEXEC, 100);
    for (i = 0; i <= n; i++) {
        if (high[i] < 0 || dup2(high[i], SERVER_STATUS_FD + i) < 0) {
            msg_warn("process %s: cannot set up descriptors: %s", serv->path, strerror(errno));
            _exit(1);
        }
    }
    /* One system call for the rest (Linux 5.9+); else one close() each. */
    if (close_range((unsigned) (SERVER_STATUS_FD + n + 1), ~0U, 0) < 0)
        for (i = SERVER_STATUS_FD + n + 1; i < 1024; i++)
            close(i);
    execve(serv->path, args->argv, env->argv);
    msg_warn("cannot execute %s: %s", serv->path, strerror(errno));
    _exit(1);
}

int master_proc_spawn(MASTER_PROCS *procs, MASTER_SERV *serv)
{
    MASTER_PROC *proc;
    ARGV *args, *env;
    int sv[2];
    pid_t pid;

    if (serv->nfds > SERVER_LISTEN_MAX)
        msg_panic("master_proc_spawn: %d sockets", serv->nfds);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        msg_warn("socketpair: %s", strerror(errno));
        return -1;
    }
    args = proc_arguments(procs, serv);
    env = proc_environment();
    pid = fork();
    if (pid == 0)
        proc_exec(serv, sv[1], args, env);
    argv_free(args);
    argv_free(env);
    close(sv[1]);
    if (pid < 0) {
        msg_warn("fork: %s", strerror(errno));
        close(sv[0]);
        return -1;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    proc = mem_calloc(1, sizeof(*proc));
    proc->pid = pid;
    proc->status_fd = sv[0];
    proc->avail = 1;
    proc->serv = serv;
    proc->next = procs->head;
    procs->head = proc;
    procs->count++;
    serv->total++;
    serv->avail++;
    serv->nproc++;
    if (msg_verbose)
        msg_info("spawned %s pid %ld for service %s/%s", serv->path, (long) pid, serv->name,
                 serv->type);
    return 0;
}

void master_proc_retire(MASTER_PROCS *procs, MASTER_PROC *proc)
{
    (void) procs;
    if (proc->status_fd < 0)
        return;
    close(proc->status_fd);
    proc->status_fd = -1;
    proc->serv->total--;
    if (proc->avail)
        proc->serv->avail--;
    proc->avail = 0;
}

void master_proc_status(MASTER_PROCS *procs, MASTER_PROC *proc)
{
    char buf[64];
    ssize_t n, i;

    n = read(proc->status_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /*
         * The worker closed its end: it is exiting. Until it is reaped its
         * service takes no new demand, or a worker that dies at start would
         * be replaced before master learns how it died (and throttles).
         */
        master_proc_retire(procs, proc);
        proc->exiting = 1;
        proc->serv->exiting++;
        return;
    }
    for (i = 0; i < n; i++) {
        if (buf[i] == SERVER_STAT_BUSY && proc->avail) {
            proc->avail = 0;
            proc->serv->avail--;
            proc->uses++;
        } else if (buf[i] == SERVER_STAT_AVAIL && !proc->avail) {
            proc->avail = 1;
            proc->serv->avail++;
        } else if (buf[i] != SERVER_STAT_BUSY && buf[i] != SERVER_STAT_AVAIL) {
            msg_warn("process %s pid %ld: bad status byte 0x%02x", proc->serv->path,
                     (long) proc->pid, (unsigned char) buf[i]);
        }
    }
}

static void proc_log_end(const MASTER_PROC *proc, int status)
{
    if (WIFSIGNALED(status))
        msg_warn("process %s pid %ld killed by signal %d", proc->serv->path, (long) proc->pid,
                 WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        msg_warn("process %s pid %ld exit status %d", proc->serv->path, (long) proc->pid,
                 WEXITSTATUS(status));
}

void master_proc_reap(MASTER_PROCS *procs)
{
    MASTER_PROC **pp, *proc;
    MASTER_SERV *serv;
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (pp = &procs->head; *pp && (*pp)->pid != pid; pp = &(*pp)->next)
            ;
        if ((proc = *pp) == NULL)
            continue;           /* not ours (a command master ran) */
        *pp = proc->next;
        procs->count--;
        serv = proc->serv;
        /*
         * What the worker said before it died may still wait on its status
         * socket (SIGCHLD can be seen first): read it, so that a worker
         * killed while serving a client counts as used, not as a failed
         * start that throttles the whole service.
         */
        if (proc->status_fd >= 0)
            master_proc_status(procs, proc);
        proc_log_end(proc, status);
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && proc->uses == 0
            && !serv->dead && serv->throttle_until == 0) {
            msg_warn("%s: bad command startup -- throttling", serv->path);
            serv->throttle_until = time(NULL) + conf_get_time("service_throttle_time");
        }
        /*
         * A service with a wakeup timer (qmgr, pickup) whose process died
         * abnormally is woken again soon, not only at its next timer: qmgr
         * killed after the last trigger would otherwise leave active/ mail
         * until the wakeup 300 s later.
         */
        if (serv->wakeup > 0 && serv->next_wakeup != 0 && !serv->dead
            && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            time_t soon = time(NULL) + 1;

            if (serv->throttle_until > soon)
                soon = serv->throttle_until;
            if (serv->next_wakeup > soon)
                serv->next_wakeup = soon;
        }
        master_proc_retire(procs, proc);
        if (proc->exiting)
            serv->exiting--;
        serv->nproc--;
        if (serv->dead && serv->nproc == 0)
            master_serv_free(serv);
        mem_free(proc);
    }
}

void master_proc_kill_all(MASTER_PROCS *procs, int sig)
{
    MASTER_PROC *proc;

    for (proc = procs->head; proc; proc = proc->next)
        kill(proc->pid, sig);
}

void master_proc_free(MASTER_PROCS *procs)
{
    MASTER_PROC *proc, *next;

    for (proc = procs->head; proc; proc = next) {
        next = proc->next;
        if (proc->status_fd >= 0)
            close(proc->status_fd);
        mem_free(proc);
    }
    mem_free(procs);
}
