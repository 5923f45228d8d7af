/*
 * master_proc - master's worker processes: spawn, status, reap.
 *
 * MASTER_PROCS *procs = master_proc_new(); then
 *   master_proc_spawn(procs, serv, opts) forks and execs serv->path with the
 *     protocol of server.h (arguments, MAIL_CONFIG, the status channel on
 *     descriptor 3, the listening sockets from 4) and an environment built
 *     from import_environment; the new worker counts as available;
 *   master_proc_status(procs, proc) reads what a worker wrote on its status
 *     channel (busy/available) and updates its service's counts;
 *   master_proc_retire(procs, proc) closes master's end of the channel: the
 *     worker finishes its client and exits; it no longer counts;
 *     end-of-file there means the worker is exiting: until it is reaped,
 *     serv->exiting counts it and master takes no demand for the service;
 *   master_proc_reap(procs) collects every exited worker, logs abnormal
 *     ends Postfix's way ("process /usr/lib/postfix/sbin/smtpd pid 123
 *     killed by signal 9", "... exit status 1"), and throttles a service
 *     whose worker failed before it ever served (service_throttle_time);
 *     services marked dead whose last worker is gone are freed;
 *   master_proc_kill_all(procs, sig) signals every worker.
 * Error policy: fork or socketpair failure is logged and the spawn skipped
 * (-1; master then throttles the service for service_throttle_time); an
 * exec failure is logged by the child, which exits 1 (that is a startup
 * failure: the service throttles).
 */
#ifndef POSTERN_MASTER_PROC_H
#define POSTERN_MASTER_PROC_H

#include <signal.h>
#include <sys/types.h>

#include "master_serv.h"

typedef struct MASTER_PROC {
    pid_t pid;
    int status_fd;  /* -1 once retired */
    int avail;
    long uses;
    int exiting;    /* closed its status channel, not reaped yet */
    MASTER_SERV *serv;
    struct MASTER_PROC *next;
} MASTER_PROC;

typedef struct MASTER_PROCS {
    MASTER_PROC *head;
    int count;
    int foreground; /* pass -l */
    int verbose;    /* pass -v this many times */
} MASTER_PROCS;

MASTER_PROCS *master_proc_new(void);
int master_proc_spawn(MASTER_PROCS *procs, MASTER_SERV *serv);
void master_proc_status(MASTER_PROCS *procs, MASTER_PROC *proc);
void master_proc_retire(MASTER_PROCS *procs, MASTER_PROC *proc);
void master_proc_reap(MASTER_PROCS *procs);
void master_proc_kill_all(MASTER_PROCS *procs, int sig);
void master_proc_free(MASTER_PROCS *procs);

#endif
