/*
 * postfix - the administrator's control command.
 *
 * Usage: postfix [-c config_dir] [-Dv] command (root only, as Postfix:
 * anyone else is told to use sendmail; -c wants an absolute path name; -v
 * also makes master verbose, through MAIL_VERBOSE)
 *   start        check, then run master (which detaches once it is ready)
 *   start-fg     check, then become master in the foreground (systemd
 *                Type=simple, containers): `master -s`, or `master -i` when
 *                this is process 1; "maillog_file = /dev/stdout" works
 *   stop         ask master to stop (SIGTERM) and wait until it is gone
 *   abort        ask master to stop at once (SIGQUIT) and wait
 *   reload       ask master to re-read its configuration (SIGHUP)
 *   status       say whether master runs, and its pid
 *   check        create missing queue directories with their owners and
 *                modes; warn, in Postfix's words, about files that are not
 *                owned by root (configuration, queue_directory, pid/), by
 *                mail_owner (the queue) or by setgid_group (maildrop/,
 *                public/), group or other writable, with a wrong mode, about
 *                damaged messages in corrupt/ and about master.cf programs
 *                that are not installed; fatal without master.cf, or with
 *                maillog_file set and no postlog service
 *   set-permissions  like check, and also repair owners and modes
 *   flush        run `postqueue -f`
 *   logrotate    rename maillog_file (maillog_file_rotate_suffix), compress
 *                it (maillog_file_compressor) and reload
 *   upgrade-configuration  accepted and does nothing (Debian's scripts run it)
 * Messages about the mail system as a whole look like Postfix's
 * ("postfix/postfix-script: starting the Postfix mail system") and are logged
 * too. Exit status 0 on success; 1 when the command failed, when master is
 * not running for stop/abort/reload/status (status says so at info level,
 * as postfix-script does), or already running for start.
 *
 * Whether master runs is asked of master itself (`master -t`, the pid file
 * lock); its pid is the first line of queue_directory/pid/master.pid.
 * Error policy: configuration errors are fatal (file and line); a queue
 * directory that cannot be created is fatal; unsafe permissions are warnings.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "vstr.h"

/*
 * Seconds stop/abort wait for master to go before "with force" (SIGKILL to
 * its process group, as Postfix): more than master's own graceful stop
 * takes (10 s for busy workers, then 2 s between SIGTERM and SIGKILL).
 */
#define POSTFIX_WAIT_STOP 15
#define POSTFIX_WAIT_LOG 10 /* seconds logrotate waits for writers of the old file */

enum { OWN_ROOT, OWN_MAIL };
enum { GRP_KEEP, GRP_SETGID };

/* Postfix's queue layout with Debian's owners and modes. */
static const struct qdir {
    const char *name;
    int owner;
    int group;
    mode_t mode;
} postfix_qdirs[] = {
    {"pid", OWN_ROOT, GRP_KEEP, 0755},     {"maildrop", OWN_MAIL, GRP_SETGID, 0730},
    {"public", OWN_MAIL, GRP_SETGID, 0710}, {"private", OWN_MAIL, GRP_KEEP, 0700},
    {"incoming", OWN_MAIL, GRP_KEEP, 0700}, {"active", OWN_MAIL, GRP_KEEP, 0700},
    {"deferred", OWN_MAIL, GRP_KEEP, 0700}, {"hold", OWN_MAIL, GRP_KEEP, 0700},
    {"corrupt", OWN_MAIL, GRP_KEEP, 0700},  {"bounce", OWN_MAIL, GRP_KEEP, 0700},
    {"defer", OWN_MAIL, GRP_KEEP, 0700},    {"trace", OWN_MAIL, GRP_KEEP, 0700},
    {"flush", OWN_MAIL, GRP_KEEP, 0700},    {"saved", OWN_MAIL, GRP_KEEP, 0700},
};

typedef struct POSTFIX {
    uid_t mail_uid;
    gid_t mail_gid;
    gid_t setgid_gid;
    int warnings;
} POSTFIX;

/* Where the log goes: maillog_file (when root could open it) or syslog. */
static int postfix_log_outputs = MSG_OUT_SYSLOG;

__attribute__((format(printf, 2, 3))) static void log_text(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(level, fmt, ap);
    va_end(ap);
}

/* "postfix/postfix-script: [level: ]text" on standard error, and in the log. */
__attribute__((format(printf, 2, 3))) static void say(int level, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    const char *prefix = level == MSG_WARN ? "warning: " : level == MSG_FATAL ? "fatal: " : "";

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    fprintf(stderr, "postfix/postfix-script: %s%s\n", prefix, text);
    fflush(stderr);
    /* The log gets it under Postfix's tag, "<syslog_name>/postfix-script". */
    msg_init("postfix-script", postfix_log_outputs);
    msg_config(conf_get("syslog_name"), NULL, NULL, NULL);
    log_text(level, "%s", text);
    msg_init("postfix", MSG_OUT_STDERR | postfix_log_outputs);
    msg_config(conf_get("syslog_name"), NULL, NULL, NULL);
}

__attribute__((format(printf, 1, 2), noreturn)) static void script_fatal(const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    say(MSG_FATAL, "%s", text);
    conf_free();
    exit(1);
}

static void postfix_users(POSTFIX *pf)
{
    struct passwd *pw;
    struct group *gr;

    if ((pw = getpwnam(conf_get("mail_owner"))) == NULL)
        msg_fatal("file %s: parameter mail_owner: unknown user name value: %s",
                  conf_main_cf_path(), conf_get("mail_owner"));
    if (pw->pw_uid == 0)
        msg_fatal("file %s: parameter mail_owner: user %s has privileged user ID",
                  conf_main_cf_path(), conf_get("mail_owner"));
    pf->mail_uid = pw->pw_uid;
    pf->mail_gid = pw->pw_gid;
    if ((gr = getgrnam(conf_get("setgid_group"))) == NULL)
        msg_fatal("file %s: parameter setgid_group: unknown group name: %s",
                  conf_main_cf_path(), conf_get("setgid_group"));
    pf->setgid_gid = gr->gr_gid;
}

#define POSTFIX_WALK_DEPTH 8 /* how deep check looks into a directory tree */

/* Root's files (configuration, queue_directory, pid/): Postfix's wording. */
static void check_root_owned(POSTFIX *pf, const char *path, const struct stat *st)
{
    if (st->st_uid != 0) {
        say(MSG_WARN, "not owned by root: %s", path);
        pf->warnings++;
    }
}

static void check_not_writable(POSTFIX *pf, const char *path, const struct stat *st)
{
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        say(MSG_WARN, "group or other writable: %s", path);
        pf->warnings++;
    }
}

static void check_safe(POSTFIX *pf, const char *path, int must_exist)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        if (must_exist) {
            say(MSG_WARN, "cannot stat %s: %s", path, strerror(errno));
            pf->warnings++;
        }
        return;
    }
    check_root_owned(pf, path, &st);
    check_not_writable(pf, path, &st);
}

/*
 * walk_tree - call visit(pf, path, &st, arg) for every entry below dir, st
 * from lstat() (an entry it cannot read is passed over), then go down into
 * the directories, to POSTFIX_WALK_DEPTH levels. A folder that cannot be
 * opened is passed over.
 */
typedef void (*WALK_VISIT)(POSTFIX *pf, const char *path, const struct stat *st, int arg);

static void walk_tree(POSTFIX *pf, const char *dir, int depth, WALK_VISIT visit, int arg)
{
    VSTR *path;
    struct dirent *de;
    struct stat st;
    DIR *d;

    if (depth > POSTFIX_WALK_DEPTH || (d = opendir(dir)) == NULL)
        return;
    path = vstr_new(100);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        vstr_sprintf(path, "%s/%s", dir, de->d_name);
        if (lstat(vstr_str(path), &st) < 0)
            continue;
        visit(pf, vstr_str(path), &st, arg);
        if (S_ISDIR(st.st_mode))
            walk_tree(pf, vstr_str(path), depth + 1, visit, arg);
    }
    closedir(d);
    vstr_free(path);
}

/*
 * The configuration directory tree: every file root's (the link itself for a
 * symbolic link) and, followed, not writable by group or other.
 */
static void check_config_entry(POSTFIX *pf, const char *path, const struct stat *st, int unused)
{
    struct stat target;

    (void) unused;
    check_root_owned(pf, path, st);
    if (stat(path, &target) == 0)
        check_not_writable(pf, path, &target);
}

/*
 * What lives in mail_owner's queue directories belongs to mail_owner
 * (sockets and FIFOs are master's business); files in corrupt/ (corrupt
 * set) are damaged messages the administrator should look at.
 */
static void check_queue_entry(POSTFIX *pf, const char *path, const struct stat *st, int corrupt)
{
    if (S_ISSOCK(st->st_mode) || S_ISFIFO(st->st_mode))
        return;
    if (st->st_uid != pf->mail_uid) {
        say(MSG_WARN, "not owned by %s: %s", conf_get("mail_owner"), path);
        pf->warnings++;
    }
    if (corrupt && S_ISREG(st->st_mode)) {
        say(MSG_WARN, "damaged message: %s", path);
        pf->warnings++;
    }
}

/* Create what is missing; warn about (or, with fix, repair) owners and modes. */
static void check_queue(POSTFIX *pf, int fix)
{
    const char *qdir = conf_get("queue_directory");
    VSTR *path = vstr_new(100);
    struct stat st;
    size_t i;
    uid_t uid;
    gid_t gid;

    if (stat(qdir, &st) < 0) {
        if (mkdir(qdir, 0755) < 0)
            script_fatal("cannot create queue directory %s: %s", qdir, strerror(errno));
        if (stat(qdir, &st) < 0)
            script_fatal("stat %s: %s", qdir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        script_fatal("%s is not a directory", qdir);
    check_safe(pf, qdir, 1);
    for (i = 0; i < sizeof(postfix_qdirs) / sizeof(postfix_qdirs[0]); i++) {
        const struct qdir *q = &postfix_qdirs[i];
        int bad = 0;

        vstr_sprintf(path, "%s/%s", qdir, q->name);
        uid = q->owner == OWN_ROOT ? 0 : pf->mail_uid;
        gid = q->group == GRP_SETGID ? pf->setgid_gid : (gid_t) -1;
        if (lstat(vstr_str(path), &st) < 0) {
            if (mkdir(vstr_str(path), q->mode) < 0)
                script_fatal("cannot create %s: %s", vstr_str(path), strerror(errno));
            if (chown(vstr_str(path), uid, gid) < 0 || chmod(vstr_str(path), q->mode) < 0)
                script_fatal("cannot set owner and mode of %s: %s", vstr_str(path),
                             strerror(errno));
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            script_fatal("%s is not a directory", vstr_str(path));
        if (st.st_uid != uid) {
            if (!fix)
                say(MSG_WARN, "not owned by %s: %s",
                    q->owner == OWN_ROOT ? "root" : conf_get("mail_owner"), vstr_str(path));
            bad++;
        }
        if (gid != (gid_t) -1 && st.st_gid != gid) {
            if (!fix)
                say(MSG_WARN, "not owned by group %s: %s", conf_get("setgid_group"),
                    vstr_str(path));
            bad++;
        }
        if ((st.st_mode & 07777) != q->mode) {
            if (!fix)
                say(MSG_WARN, "wrong mode: %s (mode %04o, want %04o; run \"postfix "
                    "set-permissions\")", vstr_str(path), (unsigned) (st.st_mode & 07777),
                    (unsigned) q->mode);
            bad++;
        }
        if (bad && fix
            && (chown(vstr_str(path), uid, gid) < 0 || chmod(vstr_str(path), q->mode) < 0))
            script_fatal("cannot set owner and mode of %s: %s", vstr_str(path), strerror(errno));
        if (!fix)
            pf->warnings += bad;
        /* maildrop/ holds its submitters' files: not looked into, as in Postfix. */
        if (!fix && q->owner == OWN_MAIL && strcmp(q->name, "maildrop") != 0)
            walk_tree(pf, vstr_str(path), 0, check_queue_entry, strcmp(q->name, "corrupt") == 0);
    }
    vstr_free(path);
}

/*
 * set-permissions: queue files belong to mail_owner (maildrop/ keeps its
 * submitters'). These directories are mail_owner's, so a process running as
 * mail_owner could swap a subdirectory for a symbolic link while we walk:
 * the walk goes by descriptor (openat with O_NOFOLLOW) and changes owners
 * with AT_SYMLINK_NOFOLLOW, so it never leaves the queue.
 */
static void fix_tree(POSTFIX *pf, int dfd, const char *dir, int depth)
{
    struct dirent *de;
    struct stat st;
    DIR *d;
    int sub, fd;

    if (depth > POSTFIX_WALK_DEPTH || (fd = dup(dfd)) < 0)
        return;
    if ((d = fdopendir(fd)) == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
            continue;
        if (st.st_uid != pf->mail_uid
            && fchownat(dfd, de->d_name, pf->mail_uid, (gid_t) -1, AT_SYMLINK_NOFOLLOW) < 0)
            say(MSG_WARN, "chown %s/%s: %s", dir, de->d_name, strerror(errno));
        if (S_ISDIR(st.st_mode)
            && (sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
            VSTR *path = vstr_new(100);

            vstr_sprintf(path, "%s/%s", dir, de->d_name);
            fix_tree(pf, sub, vstr_str(path), depth + 1);
            vstr_free(path);
            close(sub);
        }
    }
    closedir(d);
}

/*
 * master.cf: it must exist; when maillog_file is set, the postlog service
 * must be there (else the chrooted workers' lines go nowhere): both fatal,
 * as in Postfix. Programs that are not installed are warned about.
 */
static void check_programs(POSTFIX *pf)
{
    VSTR *path = vstr_new(100);
    const char *maillog = conf_get("maillog_file");
    MASTERCF *m;
    char *err = NULL;
    size_t i;
    int postlog = 0;

    vstr_sprintf(path, "%s/master.cf", conf_dir());
    if (access(vstr_str(path), F_OK) < 0)
        script_fatal("no %s/master.cf file found", conf_dir());
    if ((m = mastercf_read(vstr_str(path), &err)) == NULL) {
        vstr_free(path);
        script_fatal("%s", err);
    }
    for (i = 0; i < m->count; i++) {
        const MASTERCF_ENT *e = m->ents[i];

        if (strcmp(e->name, "postlog") == 0 && strcmp(e->type, "unix-dgram") == 0)
            postlog = 1;
        if (e->command[0] == '/')
            vstr_set(path, e->command);
        else
            vstr_sprintf(path, "%s/%s", conf_get("daemon_directory"), e->command);
        if (access(vstr_str(path), X_OK) < 0) {
            say(MSG_WARN, "%s, line %d: service %s/%s: program %s is not installed "
                "(Postern does not ship it); master will refuse its clients",
                m->path, e->line, e->name, e->type, vstr_str(path));
            pf->warnings++;
        }
    }
    mastercf_free(m);
    vstr_free(path);
    if (maillog && *maillog && !postlog)
        script_fatal("missing 'postlog' service in master.cf - run 'postfix upgrade-configuration'");
}

static void postfix_check(POSTFIX *pf, int fix)
{
    VSTR *path = vstr_new(100);
    const char *qdir;
    size_t i;
    int dfd;

    postfix_users(pf);
    check_safe(pf, conf_dir(), 1);
    walk_tree(pf, conf_dir(), 0, check_config_entry, 0);
    check_queue(pf, fix);
    if (fix) {
        qdir = conf_get("queue_directory");
        for (i = 0; i < sizeof(postfix_qdirs) / sizeof(postfix_qdirs[0]); i++) {
            if (postfix_qdirs[i].owner != OWN_MAIL || strcmp(postfix_qdirs[i].name, "maildrop") == 0
                || strcmp(postfix_qdirs[i].name, "public") == 0
                || strcmp(postfix_qdirs[i].name, "private") == 0)
                continue;
            vstr_sprintf(path, "%s/%s", qdir, postfix_qdirs[i].name);
            if ((dfd = open(vstr_str(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
                fix_tree(pf, dfd, vstr_str(path), 0);
                close(dfd);
            }
        }
    }
    vstr_free(path);
    check_programs(pf);
}

static const char *master_path(VSTR *v)
{
    vstr_sprintf(v, "%s/master", conf_get("daemon_directory"));
    return vstr_str(v);
}

/* Run master with one option; its exit status, or -1. */
static int run_master(const char *opt)
{
    VSTR *path = vstr_new(100);
    char *args[3];
    int status;
    pid_t pid;

    args[0] = (char *) master_path(path);
    args[1] = (char *) opt;
    args[2] = NULL;
    if ((pid = fork()) < 0)
        msg_fatal("fork: %s", strerror(errno));
    if (pid == 0) {
        execv(args[0], args);
        msg_warn("cannot execute %s: %s", args[0], strerror(errno));
        _exit(127);
    }
    vstr_free(path);
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The running master's pid, or 0. */
static long master_pid(void)
{
    VSTR *path = vstr_new(100);
    char buf[128];
    FILE *fp;
    long pid = 0;

    if (run_master("-t") != 1) {
        vstr_free(path);
        return 0;
    }
    vstr_sprintf(path, "%s/pid/master.pid", conf_get("queue_directory"));
    if ((fp = fopen(vstr_str(path), "r")) != NULL) {
        if (fgets(buf, sizeof(buf), fp) == NULL || str_parse_long(str_trim(buf), 1, 1L << 30, &pid) < 0)
            pid = 0;
        fclose(fp);
    }
    vstr_free(path);
    return pid ? pid : -1;
}

static long postfix_signal(const char *what, int sig)
{
    long pid = master_pid();

    if (pid == 0)
        script_fatal("the Postfix mail system is not running");
    if (pid < 0)
        script_fatal("cannot read the pid of the running master");
    say(MSG_INFO, "%s", what);
    if (kill((pid_t) pid, sig) < 0)
        script_fatal("cannot signal master pid %ld: %s", pid, strerror(errno));
    return pid;
}

/* Whether a process exists and is not a zombie. */
static int process_alive(long pid)
{
    char path[64], buf[512], *cp;
    FILE *fp;
    int alive = 1;

    if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
        return 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((fp = fopen(path, "r")) == NULL)
        return 0;
    if (fgets(buf, sizeof(buf), fp) != NULL && (cp = strrchr(buf, ')')) != NULL && cp[1] == ' '
        && cp[2] == 'Z')
        alive = 0;
    fclose(fp);
    return alive;
}

/*
 * Until master has released its lock and is gone; after POSTFIX_WAIT_STOP
 * seconds, "with force": SIGKILL to master's process group (its workers),
 * or to master alone when it leads none.
 */
static void wait_for_stop(long pid)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    int i;

    for (i = 1; i <= POSTFIX_WAIT_STOP * 10; i++) {
        if (run_master("-t") == 0 && !process_alive(pid))
            return;
        if (i % 50 == 0)
            say(MSG_INFO, "waiting for the Postfix mail system to terminate");
        nanosleep(&ts, NULL);
    }
    say(MSG_WARN, "stopping the Postfix mail system with force");
    if (getpgid((pid_t) pid) == (pid_t) pid)
        kill(-(pid_t) pid, SIGKILL);
    else
        kill((pid_t) pid, SIGKILL);
    for (i = 0; i < 50; i++) {
        if (!process_alive(pid) && run_master("-t") == 0)
            return;
        nanosleep(&ts, NULL);
    }
    script_fatal("the Postfix mail system did not stop");
}

/* Whether a process other than this one has the file (dev, ino) open. */
static int file_in_use(dev_t dev, ino_t ino)
{
    DIR *proc, *fds;
    struct dirent *pe, *fe;
    struct stat st;
    char path[320];
    long self = (long) getpid();
    int found = 0;

    if ((proc = opendir("/proc")) == NULL)
        return 0;
    while (!found && (pe = readdir(proc)) != NULL) {
        if (pe->d_name[0] < '1' || pe->d_name[0] > '9' || atol(pe->d_name) == self)
            continue;
        snprintf(path, sizeof(path), "/proc/%.20s/fd", pe->d_name);
        if ((fds = opendir(path)) == NULL)
            continue;
        while ((fe = readdir(fds)) != NULL) {
            snprintf(path, sizeof(path), "/proc/%.20s/fd/%.20s", pe->d_name, fe->d_name);
            if (fe->d_name[0] != '.' && stat(path, &st) == 0 && st.st_dev == dev
                && st.st_ino == ino) {
                found = 1;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return found;
}

/*
 * Rename maillog_file, have master reload (postlogd and master reopen it),
 * wait until no process writes to the old file any more (bounded), then
 * compress it: no line is lost between the rename and the compressor.
 */
static void postfix_logrotate(void)
{
    const char *file = conf_get("maillog_file");
    const char *suffix = conf_get("maillog_file_rotate_suffix");
    const char *compressor = conf_get("maillog_file_compressor");
    struct timespec tick = {0, 100 * 1000 * 1000};
    char stamp[128];
    VSTR *to = vstr_new(100);
    struct stat st;
    struct tm tm;
    time_t now = time(NULL);
    size_t n;
    pid_t pid;
    int status, i;

    if (file == NULL || *file == 0)
        script_fatal("maillog_file is not set");
    if (strncmp(file, "/dev/", 5) == 0)
        script_fatal("not rotating '%s'", file);
    localtime_r(&now, &tm);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    /* The administrator's strftime format, from main.cf (root's file). */
    n = strftime(stamp, sizeof(stamp), suffix, &tm);
#pragma GCC diagnostic pop
    if (n == 0)
        script_fatal("bad maillog_file_rotate_suffix: %s", suffix);
    vstr_sprintf(to, "%s.%s", file, stamp);
    if (rename(file, vstr_str(to)) < 0)
        script_fatal("logfile '%s' rotation failed: rename to %s: %s", file, vstr_str(to),
                     strerror(errno));
    /* This command's own log lines go to the new file from now on. */
    msg_config(NULL, NULL, file, NULL);
    if (master_pid() > 0)
        (void) postfix_signal("refreshing the Postfix mail system", SIGHUP);
    if (compressor && *compressor) {
        if (stat(vstr_str(to), &st) == 0) {
            for (i = 0; i < POSTFIX_WAIT_LOG * 10 && file_in_use(st.st_dev, st.st_ino); i++)
                nanosleep(&tick, NULL);
            if (file_in_use(st.st_dev, st.st_ino))
                say(MSG_WARN, "%s is still open for writing; compressing it anyway",
                    vstr_str(to));
        }
        if ((pid = fork()) == 0) {
            execlp(compressor, compressor, vstr_str(to), (char *) NULL);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)
            || WEXITSTATUS(status) != 0)
            script_fatal("logfile '%s' rotation failed: %s %s did not succeed", file,
                         compressor, vstr_str(to));
    }
    vstr_free(to);
}

static void usage(void)
{
    msg_fatal("usage: postfix [-c config_dir] [-Dv] command");
}

int main(int argc, char **argv)
{
    POSTFIX pf;
    const char *dir = NULL, *cmd, *maillog;
    VSTR *path;
    long pid;
    int ch;

    memset(&pf, 0, sizeof(pf));
    msg_init("postfix", MSG_OUT_STDERR | MSG_OUT_SYSLOG);
    /* As Postfix: the whole command is root's, status included. */
    if (getuid() != 0) {
        msg_error("to submit mail, use the Postfix sendmail command");
        msg_fatal("the postfix command is reserved for the superuser");
    }
    while ((ch = getopt(argc, argv, "c:Dv")) != -1) {
        switch (ch) {
        case 'c':
            if (optarg[0] != '/')
                msg_fatal("-c requires absolute pathname");
            dir = optarg;
            break;
        case 'D':
            /* Postfix's debugger hook; master has none: accepted, passed on. */
            setenv("MAIL_DEBUG", "", 1);
            break;
        case 'v':
            /* More logging here, and master logs verbosely too. */
            msg_verbose++;
            setenv("MAIL_VERBOSE", "", 1);
            break;
        default:
            usage();
        }
    }
    if (optind + 1 != argc)
        usage();
    cmd = argv[optind];
    if (dir)
        setenv("MAIL_CONFIG", dir, 1);
    conf_init(dir);
    maillog = geteuid() == 0 ? conf_get("maillog_file") : NULL;
    if (msg_config(conf_get("syslog_name"), conf_get("syslog_facility"), maillog,
                   conf_get("myhostname")) == 0 && maillog && *maillog)
        postfix_log_outputs = MSG_OUT_FILE;

    if (strcmp(cmd, "status") == 0) {
        if ((pid = master_pid()) == 0) {
            /* postfix-script says it at info level, and exits 1. */
            say(MSG_INFO, "the Postfix mail system is not running");
            conf_free();
            return 1;
        }
        if (pid < 0)
            script_fatal("the Postfix mail system is running, but its pid file is unreadable");
        say(MSG_INFO, "the Postfix mail system is running: PID: %ld", pid);
    } else if (strcmp(cmd, "check") == 0 || strcmp(cmd, "set-permissions") == 0) {
        postfix_check(&pf, strcmp(cmd, "set-permissions") == 0);
    } else if (strcmp(cmd, "start") == 0 || strcmp(cmd, "start-fg") == 0) {
        postfix_check(&pf, 0);
        if (master_pid() != 0)
            script_fatal("the Postfix mail system is already running");
        path = vstr_new(100);
        master_path(path);
        if (strcmp(cmd, "start-fg") == 0) {
            /* master in this very process (systemd Type=simple sees it): -s keeps
             * standard output for "maillog_file = /dev/stdout"; as process 1 of
             * a container, -i also makes it the reaper of orphans. */
            say(MSG_INFO, "starting the Postfix mail system");
            execl(vstr_str(path), vstr_str(path), getpid() == 1 ? "-i" : "-s", (char *) NULL);
            script_fatal("cannot execute %s: %s", vstr_str(path), strerror(errno));
        }
        say(MSG_INFO, "starting the Postfix mail system");
        vstr_free(path);
        if (run_master("-w") != 0)
            script_fatal("mail system startup failed");
    } else if (strcmp(cmd, "stop") == 0) {
        wait_for_stop(postfix_signal("stopping the Postfix mail system", SIGTERM));
    } else if (strcmp(cmd, "abort") == 0) {
        wait_for_stop(postfix_signal("aborting the Postfix mail system", SIGQUIT));
    } else if (strcmp(cmd, "reload") == 0) {
        (void) postfix_signal("refreshing the Postfix mail system", SIGHUP);
    } else if (strcmp(cmd, "flush") == 0) {
        path = vstr_new(100);
        vstr_sprintf(path, "%s/postqueue", conf_get("command_directory"));
        execl(vstr_str(path), "postqueue", "-f", (char *) NULL);
        script_fatal("cannot execute %s: %s", vstr_str(path), strerror(errno));
    } else if (strcmp(cmd, "logrotate") == 0) {
        postfix_logrotate();
    } else if (strcmp(cmd, "upgrade-configuration") == 0 || strcmp(cmd, "post-install") == 0) {
        /* Debian's maintainer scripts call these; Postern's defaults need no upgrade. */
    } else {
        script_fatal("unknown command: '%s'. Usage: postfix start (or stop, reload, abort, "
                     "flush, check, status, set-permissions, start-fg, logrotate)", cmd);
    }
    conf_free();
    return 0;
}
