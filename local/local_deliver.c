/*
 * local_deliver - the delivery methods of local(8): mailbox (mbox, Maildir,
 * mailbox_command), file, command, and forwarding through cleanup; and the
 * privilege switches they need (local.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "cleanup_client.h"
#include "local.h"
#include "maildir.h"
#include "mbox.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "stream.h"
#include "unix_connect.h"

/* ---- privileges ---- */

/*
 * The supplementary groups of the last user local_priv_become() switched
 * to. initgroups() reads the whole group database (and, with "systemd" in
 * nsswitch.conf, probes a dozen userdb folders): ~50 system calls, done
 * twice per delivery (.forward, then the mailbox). The list is reused for
 * the same user and primary group for LOCAL_GROUPS_TTL seconds, so a change
 * of /etc/group reaches deliveries at most that late (the process itself
 * lives max_use requests). The daemon's one cache; nothing else reads it.
 */
#define LOCAL_GROUPS_TTL  60
#define LOCAL_GROUPS_MAX  65536

static struct {
    char *name;
    gid_t gid;
    gid_t *list;
    int n;
    time_t when;
} local_groups;

/* Fill the cache for p; 0 or -1 (no list: the caller sets one group). */
static int local_groups_load(const LOCAL_PRIV *p)
{
    int n = 32;
    gid_t *list = NULL;

    for (;;) {
        int want = n;

        list = mem_realloc(list, (size_t) n * sizeof(*list));
        if (getgrouplist(p->name, p->gid, list, &want) >= 0) {
            n = want;
            break;
        }
        if (want <= n || want > LOCAL_GROUPS_MAX) {
            mem_free(list);
            return -1;
        }
        n = want;
    }
    mem_free(local_groups.name);
    mem_free(local_groups.list);
    local_groups.name = mem_strdup(p->name);
    local_groups.gid = p->gid;
    local_groups.list = list;
    local_groups.n = n;
    local_groups.when = time(NULL);
    return 0;
}

/* initgroups(p->name, p->gid), from the cache when it is fresh. */
static int local_groups_set(const LOCAL_PRIV *p)
{
    time_t now = time(NULL);

    if (local_groups.name == NULL || local_groups.gid != p->gid
        || strcmp(local_groups.name, p->name) != 0
        || now < local_groups.when || now - local_groups.when >= LOCAL_GROUPS_TTL) {
        if (local_groups_load(p) < 0)
            return -1;
    }
    return setgroups((size_t) local_groups.n, local_groups.list);
}

void local_priv_become(const LOCAL_PRIV *p)
{
    if (geteuid() != 0)
        msg_panic("local_priv_become: not running as root");
    if (local_groups_set(p) < 0 && setgroups(1, &p->gid) < 0)
        msg_fatal("setgroups for %s: %m", p->name);
    if (setegid(p->gid) < 0)
        msg_fatal("setegid(%ld): %m", (long) p->gid);
    if (seteuid(p->uid) < 0)
        msg_fatal("seteuid(%ld): %m", (long) p->uid);
}

void local_priv_restore(void)
{
    gid_t root_gid = 0;

    if (seteuid(0) < 0)
        msg_fatal("seteuid(0): %m");
    if (setegid(0) < 0)
        msg_fatal("setegid(0): %m");
    if (setgroups(1, &root_gid) < 0)
        msg_fatal("setgroups(0): %m");
}

/* 0 found, 1 no such user, -1 lookup error (errno). */
int local_priv_lookup(LOCAL_PRIV *p, const char *name, uid_t uid, int by_uid)
{
    struct passwd *pw;

    errno = 0;
    pw = by_uid ? getpwuid(uid) : getpwnam(name);
    if (pw == NULL)
        return errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF
                       || errno == EPERM ? 1 : -1;
    p->uid = pw->pw_uid;
    p->gid = pw->pw_gid;
    p->name = mem_strdup(pw->pw_name);
    p->home = mem_strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
    p->shell = mem_strdup(pw->pw_shell ? pw->pw_shell : "");
    return 0;
}

void local_priv_free(LOCAL_PRIV *p)
{
    mem_free(p->name);
    mem_free(p->home);
    mem_free(p->shell);
    p->name = p->home = p->shell = NULL;
}

/* ---- shared pieces ---- */

/* Is word in a "a, b c" list (prepend_delivered_header and friends)? */
int local_word_listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    const char *p = list;

    while (*p) {
        size_t len;

        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == n && strncasecmp(p, word, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

static void local_opts(const LOCAL_CTX *c, MAILBOX_OPTS *o, const char *user, int with_dt)
{
    *o = c->conf->mbox;
    o->user = user;
    o->sender = c->sender;
    o->return_path = c->sender;
    o->original_to = c->conf->original_to ? c->top_orig : NULL;
    o->delivered_to = with_dt ? c->delivered_to : NULL;
    o->uid = (uid_t) -1;
    o->gid = (gid_t) -1;
}

/* Copy the message content to out; -1 with why when the queue file is bad. */
static int local_copy(LOCAL_CTX *c, MAILBOX_OUT *out, VSTR *why)
{
    if (qfile_reader_rewind(c->reader, c->req->data_offset) < 0) {
        vstr_sprintf(why, "%s", qfile_reader_error(c->reader));
        return -1;
    }
    return mailbox_copy_qfile(c->reader, out, why);
}

/*
 * biff: tell comsat (UDP 127.0.0.1, service "biff", else port 512) that
 * user's mbox grew from offset. Best effort: nothing waits for an answer
 * and a failure to send is ignored.
 */
static void local_biff(LOCAL_CONF *conf, const char *user, off_t offset)
{
    struct sockaddr_in sin;
    struct servent *se;
    char buf[300];
    int len;

    if (conf->biff_fd < 0) {
        conf->biff_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (conf->biff_fd < 0) {
            msg_warn("biff: socket: %m");
            conf->biff = 0;
            return;
        }
    }
    len = snprintf(buf, sizeof(buf), "%s@%lld", user, (long long) offset);
    if (len < 0 || (size_t) len >= sizeof(buf))
        return;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    se = getservbyname("biff", "udp");
    sin.sin_port = se ? (in_port_t) se->s_port : htons(512);
    /* the NUL goes with it, as comsat expects */
    (void) sendto(conf->biff_fd, buf, (size_t) len + 1, 0, (struct sockaddr *) &sin, sizeof(sin));
}

/* The queue file could not be read: defer, and say so in the log. */
static void local_bad_qfile(LOCAL_CTX *c, MAILBOX_STATUS *st, const char *why)
{
    msg_warn("%s: %s", c->req->queue_id, why);
    mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "error reading the queue file");
}

/*
 * Append to an mbox file. spool: open and lock as root, creating the file
 * for the user (the spool directory is not the user's), write as the user.
 * Otherwise everything as the user.
 */
/* An mbox; biff: notify comsat (a user's mailbox, not a file). */
static void local_mbox(LOCAL_CTX *c, const char *path, const LOCAL_PRIV *p, int spool,
                       int with_dt, int biff, MAILBOX_STATUS *st)
{
    MAILBOX_OPTS o;
    MBOX *mb;
    VSTR *why = vstr_new(0);
    struct stat sb;
    int became = 0;

    local_opts(c, &o, p->name, with_dt);
    if (spool) {
        o.uid = p->uid;
        o.gid = p->gid;
        o.dotlock_may_fail = 1;
    } else {
        local_priv_become(p);
        became = 1;
    }
    if ((mb = mbox_open(path, &o, st)) == NULL)
        goto out;
    if (spool && c->conf->strict_owner && fstat(mbox_out(mb)->fd, &sb) == 0
        && sb.st_uid != p->uid) {
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.2.0",
                           "mailbox %s is not owned by user %s (uid %ld)", path, p->name,
                           (long) p->uid);
        mbox_close(mb);
        goto out;
    }
    if (spool && p->uid != 0) {
        local_priv_become(p);
        became = 1;
    }
    if (local_copy(c, mbox_out(mb), why) < 0) {
        mbox_abort(mb);
        local_bad_qfile(c, st, vstr_str(why));
    } else {
        off_t base = mbox_out(mb)->base;

        mbox_finish(mb, st);
        if (st->status == MAILBOX_OK && biff && c->conf->biff)
            local_biff(c->conf, p->name, base);
    }
    if (spool && became) {
        local_priv_restore();
        became = 0;
    }
    mbox_close(mb);
out:
    if (became)
        local_priv_restore();
    vstr_free(why);
}

static void local_maildir(LOCAL_CTX *c, const char *dir, const LOCAL_PRIV *p, int with_dt,
                          MAILBOX_STATUS *st)
{
    MAILBOX_OPTS o;
    MAILDIR *md;
    VSTR *why = vstr_new(0);

    local_opts(c, &o, p->name, with_dt);
    local_priv_become(p);
    if ((md = maildir_open(dir, &o, st)) != NULL) {
        if (local_copy(c, maildir_out(md), why) < 0) {
            maildir_abort(md);
            local_bad_qfile(c, st, vstr_str(why));
        } else {
            maildir_finish(md, st, NULL);
        }
        maildir_close(md);
    }
    local_priv_restore();
    vstr_free(why);
}

/* ---- commands ---- */

#define LOCAL_CMD_OUTPUT_MAX 512   /* command output kept for the reason */

static volatile pid_t local_cmd_pid, local_cmd_writer_pid;
static volatile sig_atomic_t local_cmd_timeout;

static void local_cmd_alarm(int sig)
{
    (void) sig;
    local_cmd_timeout = 1;
    if (local_cmd_pid > 0) {
        kill(-local_cmd_pid, SIGKILL);
        kill(local_cmd_pid, SIGKILL);
    }
    if (local_cmd_writer_pid > 0)
        kill(local_cmd_writer_pid, SIGKILL);
}

static void local_env_add(ARGV *env, const char *name, const char *value)
{
    VSTR *v = vstr_new(0);

    vstr_sprintf(v, "%s=%s", name, value ? value : "");
    argv_add(env, vstr_str(v));
    vstr_free(v);
}

static ARGV *local_cmd_env(const LOCAL_CTX *c, const LOCAL_USER *u, const LOCAL_PRIV *p)
{
    ARGV *env = argv_new();
    const char *list = c->conf->export_env, *s;
    const DELIVER_REQUEST *req = c->req;

    while (*list) {
        VSTR *n = vstr_new(0);
        size_t len;

        list += strspn(list, ", \t");
        len = strcspn(list, ", \t");
        if (len > 0) {
            vstr_addmem(n, list, len);
            if (strchr(vstr_str(n), '=') != NULL)
                argv_add(env, vstr_str(n));
            else if ((s = getenv(vstr_str(n))) != NULL)
                local_env_add(env, vstr_str(n), s);
        }
        list += len;
        vstr_free(n);
    }
    local_env_add(env, "PATH", "/usr/bin:/bin");
    local_env_add(env, "HOME", p->home);
    local_env_add(env, "USER", p->name);
    local_env_add(env, "LOGNAME", p->name);
    local_env_add(env, "SHELL", p->shell);
    local_env_add(env, "SENDER", c->sender);
    local_env_add(env, "RECIPIENT", u->address);
    local_env_add(env, "ORIGINAL_RECIPIENT", c->top_orig);
    local_env_add(env, "LOCAL", u->local);
    local_env_add(env, "DOMAIN", u->domain);
    if (u->extension)
        local_env_add(env, "EXTENSION", u->extension);
    local_env_add(env, "CLIENT_HOSTNAME", req->client_name);
    local_env_add(env, "CLIENT_ADDRESS", req->client_addr);
    local_env_add(env, "CLIENT_HELO", req->helo_name);
    local_env_add(env, "CLIENT_PROTOCOL", req->proto_name);
    local_env_add(env, "SASL_METHOD", req->sasl_method);
    local_env_add(env, "SASL_SENDER", req->sasl_sender);
    local_env_add(env, "SASL_USERNAME", req->sasl_username);
    if (req->dsn_envid[0])
        local_env_add(env, "ENVID", req->dsn_envid);
    return env;
}

static const struct {
    int code;
    const char *dsn;
    const char *text;
} local_sysexits[] = {
    { EX_USAGE, "5.3.0", "command line usage error" },
    { EX_DATAERR, "5.6.0", "data format error" },
    { EX_NOINPUT, "5.3.0", "cannot open input" },
    { EX_NOUSER, "5.1.1", "user unknown" },
    { EX_NOHOST, "5.1.2", "host name unknown" },
    { EX_UNAVAILABLE, "5.3.0", "service unavailable" },
    { EX_SOFTWARE, "5.3.0", "internal software error" },
    { EX_OSERR, "4.3.0", "system resource problem" },
    { EX_OSFILE, "5.3.0", "critical OS file missing" },
    { EX_CANTCREAT, "5.2.0", "can't create user output file" },
    { EX_IOERR, "5.3.0", "input/output error" },
    { EX_TEMPFAIL, "4.3.0", "temporary failure" },
    { EX_PROTOCOL, "5.5.0", "remote error in protocol" },
    { EX_NOPERM, "5.7.0", "permission denied" },
    { EX_CONFIG, "5.3.5", "local configuration error" },
};

static void local_cmd_status(int status, const char *cmd, MAILBOX_STATUS *st)
{
    size_t k;
    int code;

    if (WIFSIGNALED(status)) {
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "Command died with signal %d: \"%s\"",
                           WTERMSIG(status), cmd);
        return;
    }
    code = WEXITSTATUS(status);
    for (k = 0; k < sizeof(local_sysexits) / sizeof(local_sysexits[0]); k++)
        if (local_sysexits[k].code == code) {
            mailbox_status_fmt(st, local_sysexits[k].dsn[0] == '4' ? MAILBOX_DEFER : MAILBOX_BOUNCE,
                               local_sysexits[k].dsn, "%s", local_sysexits[k].text);
            return;
        }
    mailbox_status_fmt(st, MAILBOX_BOUNCE, "5.3.0", "Command died with status %d: \"%s\"", code,
                       cmd);
}

/* In the child: become p for good and run the command. Never returns. */
static void local_cmd_child(const LOCAL_CTX *c, const LOCAL_PRIV *p, const char *cmd,
                            int in_fd, int out_fd, char **envp)
{
    const char *shell = c->conf->command_shell;
    ARGV *args = argv_new();
    int fd;

    if (dup2(in_fd, 0) < 0)
        _exit(EX_OSERR);
    if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(EX_OSERR);
    for (fd = 3; fd < 1024; fd++)
        close(fd);
    setsid();
    signal(SIGPIPE, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    if (initgroups(p->name, p->gid) < 0 && setgroups(1, &p->gid) < 0)
        _exit(EX_OSERR);
    if (setgid(p->gid) < 0 || setuid(p->uid) < 0)
        _exit(EX_OSERR);
    if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        _exit(EX_OSERR);
    if ((*c->conf->exec_dir == 0 || chdir(c->conf->exec_dir) < 0) && chdir(p->home) < 0
        && chdir("/") < 0)
        _exit(EX_OSERR);
    if (*shell == 0) {
        argv_add(args, "/bin/sh");
        argv_add(args, "-c");
    } else {
        char *copy = mem_strdup(shell), *cur = copy, *w;

        while ((w = str_token(&cur, " \t")) != NULL)
            argv_add(args, w);
    }
    argv_add(args, cmd);
    execve(args->argv[0], args->argv, envp);
    _exit(EX_OSERR);
}

/*
 * In a second child: write the message (From_ line, headers, content) to
 * the command's standard input, reading the queue file through a descriptor
 * of its own (a shared one would move the parent reader's file offset).
 * Exit 0, or 2 when the queue file could not be read.
 */
static void local_cmd_writer(const LOCAL_CTX *c, const MAILBOX_OPTS *o, int out_fd)
{
    VSTR *path = vstr_new(0), *why = vstr_new(0), *from = vstr_new(0);
    QFILE_READER *r;
    MAILBOX_OUT out;
    int fd;

    signal(SIGALRM, SIG_DFL);
    vstr_sprintf(path, "%s/%s", c->req->queue_name, c->req->queue_id);
    if ((fd = open(vstr_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        msg_warn("%s: open %s: %m", c->req->queue_id, vstr_str(path));
        _exit(2);
    }
    r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_RAW | QFILE_READ_FOLLOW);
    mailbox_out_init(&out, out_fd, 0, 0, 0);
    mbox_from_line(from, c->sender, time(NULL));
    mailbox_out_raw(&out, vstr_str(from), vstr_len(from));
    mailbox_out_headers(&out, o);
    if (qfile_reader_rewind(r, c->req->data_offset) < 0) {
        msg_warn("%s: %s", c->req->queue_id, qfile_reader_error(r));
        _exit(2);
    }
    if (mailbox_copy_qfile(r, &out, why) < 0) {
        msg_warn("%s: %s", c->req->queue_id, vstr_str(why));
        _exit(2);
    }
    mailbox_out_endline(&out);
    mailbox_out_flush(&out);    /* EPIPE: the command did not read it all */
    _exit(0);
}

/* The command's output, bounded, made one printable line. */
static void local_cmd_output(VSTR *text, int fd)
{
    char buf[4096];
    ssize_t n;
    size_t i;

    for (;;) {
        n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR && !local_cmd_timeout)
            continue;
        if (n <= 0)
            break;
        for (i = 0; i < (size_t) n && vstr_len(text) < LOCAL_CMD_OUTPUT_MAX; i++)
            vstr_addch(text, (unsigned char) buf[i] < 0x20 || buf[i] == 0x7f ? ' ' : buf[i]);
    }
    str_trim(vstr_str(text));
    vstr_truncate(text, strlen(vstr_str(text)));
}

static void local_command(LOCAL_CTX *c, const LOCAL_USER *u, const LOCAL_PRIV *p,
                          const char *cmd, int with_dt, MAILBOX_STATUS *st)
{
    ARGV *env = local_cmd_env(c, u, p);
    MAILBOX_OPTS o;
    VSTR *output = vstr_new(0);
    struct sigaction sa, old_sa;
    unsigned saved_alarm;
    time_t start = time(NULL);
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, wstatus = 0;
    pid_t pid, wpid;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        mailbox_status_set(st, errno, "4.3.0", "cannot create a pipe: %s", strerror(errno));
        goto out;
    }
    local_opts(c, &o, p->name, with_dt);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = local_cmd_alarm;
    sigemptyset(&sa.sa_mask);
    local_cmd_timeout = 0;
    local_cmd_pid = 0;
    local_cmd_writer_pid = 0;
    sigaction(SIGALRM, &sa, &old_sa);
    saved_alarm = alarm(0);
    if ((pid = fork()) < 0) {
        mailbox_status_set(st, errno, "4.3.0", "cannot fork: %s", strerror(errno));
        goto restore;
    }
    if (pid == 0)
        local_cmd_child(c, p, cmd, in[0], out[1], env->argv);
    local_cmd_pid = pid;
    alarm((unsigned) (c->conf->command_time_limit > 0 ? c->conf->command_time_limit : 1000));
    close(in[0]);
    close(out[1]);
    in[0] = out[1] = -1;
    if ((wpid = fork()) < 0) {
        mailbox_status_set(st, errno, "4.3.0", "cannot fork: %s", strerror(errno));
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    } else if (wpid == 0) {
        close(out[0]);
        local_cmd_writer(c, &o, in[1]);
    }
    local_cmd_writer_pid = wpid;
    close(in[1]);
    in[1] = -1;
    local_cmd_output(output, out[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = EX_OSERR << 8;
            break;
        }
    }
    while (wpid > 0 && waitpid(wpid, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            wstatus = 0;
            break;
        }
    }
    alarm(0);
    local_cmd_pid = local_cmd_writer_pid = 0;
    if (wpid < 0)
        ;   /* status already set */
    else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 2)
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "error reading the queue file");
    else if (local_cmd_timeout)
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "Command time limit exceeded: \"%s\"",
                           cmd);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        mailbox_status_ok(st, "");
    else
        local_cmd_status(status, cmd, st);
    if (st->status != MAILBOX_OK && vstr_len(output) > 0) {
        size_t len = strlen(st->text);

        snprintf(st->text + len, sizeof(st->text) - len, ". Command output: %s",
                 vstr_str(output));
    }
restore:
    sigaction(SIGALRM, &old_sa, NULL);
    if (saved_alarm > 0) {
        time_t spent = time(NULL) - start;

        alarm(spent >= (time_t) saved_alarm ? 1 : saved_alarm - (unsigned) spent);
    }
out:
    if (in[0] >= 0)
        close(in[0]);
    if (in[1] >= 0)
        close(in[1]);
    if (out[0] >= 0)
        close(out[0]);
    if (out[1] >= 0)
        close(out[1]);
    argv_free(env);
    vstr_free(output);
}

/* ---- what local.c calls ---- */

void local_deliver_mailbox(LOCAL_CTX *c, const LOCAL_USER *u, MAILBOX_STATUS *st)
{
    LOCAL_CONF *conf = c->conf;
    const LOCAL_PRIV *p = u->pw;
    VSTR *path = vstr_new(0);
    size_t len;

    const char *command;
    int err;

    if ((command = local_maps_find(&conf->mbox_command_maps, p->name, &err)) == NULL && err) {
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "mailbox_command_maps lookup failure");
        goto out;
    }
    if (command == NULL || *command == 0)
        command = conf->mailbox_command;
    if (*command && (c->req->flags & DELIVER_FLAG_PROBE)) {
        mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivers to command: %s", command);
        goto out;
    }
    if ((c->req->flags & DELIVER_FLAG_PROBE) && *command == 0) {
        len = *conf->home_mailbox ? strlen(conf->home_mailbox) : strlen(conf->spool_dir);
        mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivers to %s",
                           len > 0 && (*conf->home_mailbox ? conf->home_mailbox
                                                           : conf->spool_dir)[len - 1] == '/'
                               ? "maildir" : "mailbox");
        goto out;
    }
    if (*command) {
        char *copy = mem_strdup(command);

        /* root's mailbox_command runs as default_privs */
        local_command(c, u, p->uid == 0 ? &conf->nobody : p, copy, 1, st);
        if (st->status == MAILBOX_OK)
            mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivered to command: %s", copy);
        mem_free(copy);
        goto out;
    }
    if (*conf->home_mailbox) {
        vstr_sprintf(path, "%s/%s", strcmp(p->home, "/") == 0 ? "" : p->home,
                     conf->home_mailbox);
        len = vstr_len(path);
        if (vstr_str(path)[len - 1] == '/') {
            local_maildir(c, vstr_str(path), p, 1, st);
            if (st->status == MAILBOX_OK)
                mailbox_status_ok(st, "delivered to maildir");
        } else {
            local_mbox(c, vstr_str(path), p, 0, 1, 1, st);
            if (st->status == MAILBOX_OK)
                mailbox_status_ok(st, "delivered to mailbox");
        }
        goto out;
    }
    len = strlen(conf->spool_dir);
    if (len > 0 && conf->spool_dir[len - 1] == '/') {
        vstr_sprintf(path, "%s%s/", conf->spool_dir, p->name);
        local_maildir(c, vstr_str(path), p, 1, st);
        if (st->status == MAILBOX_OK)
            mailbox_status_ok(st, "delivered to maildir");
    } else {
        vstr_sprintf(path, "%s/%s", conf->spool_dir, p->name);
        local_mbox(c, vstr_str(path), p, 1, 1, 1, st);
        if (st->status == MAILBOX_OK)
            mailbox_status_ok(st, "delivered to mailbox");
    }
out:
    vstr_free(path);
}

void local_deliver_file(LOCAL_CTX *c, const LOCAL_USER *u, const LOCAL_PRIV *p,
                        const char *path, MAILBOX_STATUS *st)
{
    int with_dt = local_word_listed(c->conf->prepend_dt, "file");
    size_t len = strlen(path);

    (void) u;
    if (c->req->flags & DELIVER_FLAG_PROBE) {
        mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivers to file: %s", path);
        return;
    }
    if (p->uid == 0)
        p = &c->conf->nobody;
    if (len > 0 && path[len - 1] == '/')
        local_maildir(c, path, p, with_dt, st);
    else
        local_mbox(c, path, p, 0, with_dt, 0, st);
    if (st->status == MAILBOX_OK)
        mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivered to file: %s", path);
}

void local_deliver_command(LOCAL_CTX *c, const LOCAL_USER *u, const LOCAL_PRIV *p,
                           const char *cmd, MAILBOX_STATUS *st)
{
    if (c->req->flags & DELIVER_FLAG_PROBE) {
        mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivers to command: %s", cmd);
        return;
    }
    if (p->uid == 0)
        p = &c->conf->nobody;
    local_command(c, u, p, cmd, local_word_listed(c->conf->prepend_dt, "command"), st);
    if (st->status == MAILBOX_OK)
        mailbox_status_fmt(st, MAILBOX_OK, "2.0.0", "delivered to command: %s", cmd);
}

/*
 * A delivery request for one destination to private/TRANSPORT, as qmgr
 * would send it, with the same queue file and recipient offset. The done
 * flags are cleared: the other agent logs and writes the status records,
 * local marks the recipient once all its destinations are done.
 */
int local_deliver_pass(LOCAL_CTX *c, const char *to, const char *spec, MAILBOX_STATUS *st)
{
    const DELIVER_REQUEST *req = c->req;
    const DELIVER_RCPT *r = &req->rcpt[c->rcpt];
    const char *colon = strchr(spec, ':');
    size_t tlen = colon ? (size_t) (colon - spec) : strlen(spec);
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    DELIVER_REQUEST *p = NULL;
    STREAM *s = NULL;
    struct timeval tv;
    int fd, ret = 0;

    mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "mail transport unavailable");
    if (tlen == 0 || tlen > 64
        || strspn(spec, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < tlen) {
        msg_warn("bad transport in \"%s\"", spec);
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.5", "mail system configuration error");
        goto out;
    }
    vstr_sprintf(path, "private/%.*s", (int) tlen, spec);
    p = deliver_request_new();
#define LOCAL_COPY(f) do { mem_free(p->f); p->f = mem_strdup(req->f); } while (0)
    LOCAL_COPY(queue_name);
    LOCAL_COPY(queue_id);
    LOCAL_COPY(encoding);
    mem_free(p->sender);
    p->sender = mem_strdup(c->sender);
    LOCAL_COPY(dsn_envid);
    LOCAL_COPY(client_name);
    LOCAL_COPY(client_addr);
    LOCAL_COPY(client_port);
    LOCAL_COPY(proto_name);
    LOCAL_COPY(helo_name);
    LOCAL_COPY(sasl_method);
    LOCAL_COPY(sasl_username);
    LOCAL_COPY(sasl_sender);
    LOCAL_COPY(log_ident);
    LOCAL_COPY(rewrite_context);
#undef LOCAL_COPY
    mem_free(p->nexthop);
    p->nexthop = mem_strdup(colon ? colon + 1 : "");
    p->flags = req->flags & ~(DELIVER_FLAG_SUCCESS | DELIVER_FLAG_BOUNCE);
    p->data_offset = req->data_offset;
    p->data_size = req->data_size;
    p->smtputf8 = req->smtputf8;
    p->dsn_ret = req->dsn_ret;
    p->arrival_sec = req->arrival_sec;
    p->arrival_usec = req->arrival_usec;
    p->active_sec = req->active_sec;
    p->active_usec = req->active_usec;
    gettimeofday(&tv, NULL);
    p->handoff_sec = tv.tv_sec;
    p->handoff_usec = tv.tv_usec;
    deliver_request_add_rcpt(p, r->orig_addr[0] ? r->orig_addr
                                : strcasecmp(to, r->address) != 0 ? r->address : "",
                             to, r->offset, r->dsn_orcpt, r->notify);
    if ((fd = unix_connect(vstr_str(path))) < 0) {
        msg_warn("connect to transport %s: %m", vstr_str(path));
        goto out;
    }
    s = stream_open(fd, STREAM_CLOSE);
    stream_set_limits(s, c->conf->timeout_ms, 0);
    if (deliver_request_send(s, p, why) < 0 || deliver_result_read(s, p, why) < 0) {
        msg_warn("%s: transport %.*s: %s", req->queue_id, (int) tlen, spec, vstr_str(why));
        goto out;
    }
    switch (p->rcpt[0].status) {
    case DELIVER_RCPT_SENT:
        mailbox_status_fmt(st, MAILBOX_OK, p->rcpt[0].dsn[0] ? p->rcpt[0].dsn : "2.0.0", "%s",
                           p->rcpt[0].reason);
        ret = 1;
        break;
    case DELIVER_RCPT_BOUNCED:
        mailbox_status_fmt(st, MAILBOX_BOUNCE, p->rcpt[0].dsn[0] ? p->rcpt[0].dsn : "5.0.0",
                           "%s", p->rcpt[0].reason);
        ret = 1;
        break;
    case DELIVER_RCPT_DEFERRED:
        mailbox_status_fmt(st, MAILBOX_DEFER, p->rcpt[0].dsn[0] ? p->rcpt[0].dsn : "4.0.0",
                           "%s", p->rcpt[0].reason);
        ret = 1;
        break;
    default:
        break;
    }
out:
    if (s)
        stream_free(s);
    if (p)
        deliver_request_free(p);
    vstr_free(path);
    vstr_free(why);
    return ret;
}

/*
 * One new message, same arrival time, from sender to the addresses in
 * c->forward that have this sender, with Delivered-To: on top (prepend_delivered_header has
 * "forward" by default), through cleanup. 0 with the new queue id, or -1
 * with why (then every forwarded address is deferred).
 */
int local_deliver_forward(LOCAL_CTX *c, const char *sender, int list, VSTR *new_id, VSTR *why)
{
    const DELIVER_REQUEST *req = c->req;
    const DELIVER_RCPT *r = &req->rcpt[c->rcpt];
    CLEANUP *cl;
    QFILE_REC rec;
    VSTR *line = vstr_new(0), *reason = vstr_new(0);
    int st, ret = -1;
    size_t i;

    if ((cl = cleanup_open(c->conf->cleanup_path, CLEANUP_FLAG_MAP_OK,
                           c->conf->timeout_ms / 1000, why)) == NULL)
        goto out;
    vstr_set(new_id, cleanup_queue_id(cl));
    cleanup_time(cl, req->arrival_sec, req->arrival_usec);
    cleanup_attr(cl, "log_ident", req->queue_id);
    cleanup_attr(cl, "rewrite_context", "local");
    /* a list (owner- sender) does not pass on the original's DSN envelope */
    if (req->dsn_envid[0] && !list)
        cleanup_attr(cl, "envelope_id", req->dsn_envid);
    if (req->dsn_ret && !list) {
        vstr_sprintf(line, "%d", req->dsn_ret);
        cleanup_attr(cl, "ret_flags", vstr_str(line));
    }
    cleanup_sender(cl, sender);
    for (i = 0; i < c->forward->argc; i++) {
        if (strcmp(c->forward_sender->argv[i], sender) != 0)
            continue;
        if (list)
            cleanup_rcpt(cl, c->forward->argv[i], NULL, NULL,
                         r->notify == DELIVER_NOTIFY_SUCCESS ? DELIVER_NOTIFY_NEVER
                                                             : r->notify & ~DELIVER_NOTIFY_SUCCESS);
        else
            cleanup_rcpt(cl, c->forward->argv[i], c->top_orig,
                         r->dsn_orcpt[0] ? r->dsn_orcpt : NULL, r->notify);
    }
    cleanup_content_begin(cl);
    if (local_word_listed(c->conf->prepend_dt, "forward")) {
        vstr_sprintf(line, "Delivered-To: %s", c->delivered_to);
        cleanup_line(cl, vstr_str(line), vstr_len(line));
    }
    if (qfile_reader_rewind(c->reader, req->data_offset) < 0) {
        vstr_sprintf(why, "%s", qfile_reader_error(c->reader));
        goto out;
    }
    vstr_reset(line);
    for (;;) {
        if ((st = qfile_read(c->reader, &rec)) <= 0) {
            vstr_sprintf(why, "%s", st < 0 ? qfile_reader_error(c->reader)
                                           : "premature end of the message content");
            goto out;
        }
        if (rec.type == QREC_MESG)
            continue;
        if (rec.type == QREC_XTRA)
            break;
        if (rec.type != QREC_NORM && rec.type != QREC_CONT) {
            vstr_sprintf(why, "unexpected record type %d in the message content", rec.type);
            goto out;
        }
        vstr_addmem(line, rec.data, rec.len);
        if (rec.type == QREC_NORM) {
            cleanup_line(cl, vstr_str(line), vstr_len(line));
            vstr_reset(line);
        }
    }
    if (vstr_len(line))
        cleanup_line(cl, vstr_str(line), vstr_len(line));
    if ((st = cleanup_finish(cl, reason)) != CLEANUP_STAT_OK) {
        vstr_sprintf(why, "cleanup: %s%s%s", cleanup_stat_text(st), vstr_len(reason) ? ": " : "",
                     vstr_str(reason));
        goto out;
    }
    ret = 0;
out:
    if (cl)
        cleanup_close(cl);
    vstr_free(line);
    vstr_free(reason);
    return ret;
}
