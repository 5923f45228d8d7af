/*
 * sendmail - the Sendmail-compatible mail submission command (also run as
 * mailq and newaliases).
 *
 * What it does, by mode (argv[0] or option):
 *   deliver (-bm, the default)  reads a message from standard input and
 *       hands it, as maildrop records (lib/maildrop.h), to the set-gid
 *       postdrop command, which writes maildrop/; pickup takes it from there.
 *   mailq, -bp      runs `postqueue -p`;   -q   runs `postqueue -f`;
 *   -qRsite         runs `postqueue -s site`;  -qINTERVAL is ignored
 *   newaliases, -bi, -I   runs `postalias` on each alias_database table
 *   -bs             runs `smtpd -S` (stand-alone SMTP on stdin/stdout)
 *   -bd             runs `postfix start`
 * Message options: -t (recipients from the header; recipients on the
 * command line are added), -i / -oi (a line "." does not end the input),
 * -f / -r sender, -F full name, -N notify, -R ret, -V envid, -B body type,
 * -C config (main.cf or its directory), -v; other Sendmail options are
 * accepted and ignored, as Postfix does. Options end at the first argument
 * that is not one (or at "--"); the rest are recipients.
 *
 * Trust: sendmail runs with the user's privileges and trusts nothing it
 * could not already do; postdrop checks everything again.
 * Exit status (sysexits): 0 when postdrop made the file durable; 65
 * (EX_DATAERR) when postdrop refused the message (message_size_limit); 75
 * (EX_TEMPFAIL) when there are no recipients (as Postfix 3.7) or postdrop
 * failed; 64 (EX_USAGE) for bad options; 69 (EX_UNAVAILABLE) when a helper
 * cannot be run; 77 (EX_NOPERM) when authorized_submit_users refuses the
 * user (postdrop checks it again: it is the boundary).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "argv.h"
#include "conf.h"
#include "maildrop.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "rcpt_extract.h"
#include "vstr.h"

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_TEMPFAIL 75
#define EX_NOPERM 77

enum { SM_DELIVER, SM_MAILQ, SM_FLUSH, SM_FLUSH_SITE, SM_NEWALIASES, SM_SMTP, SM_DAEMON,
       SM_QTIME };

/* What the command line asked for. */
typedef struct SM_OPTS {
    int mode;
    int extract;            /* -t */
    int dot_ends;           /* no -i / -oi */
    const char *sender;     /* -f, -r */
    const char *full_name;  /* -F */
    const char *envid;      /* -V */
    const char *encoding;   /* -B */
    const char *config;     /* -C */
    const char *alias_db;   /* -oA */
    const char *site;       /* -qR */
    int notify;             /* -N bits, 0 = none */
    int ret;                /* -R, 0 = none */
    int verbose;
    char **rcpts;           /* the rest of the command line */
} SM_OPTS;

/* Options that take an argument (Postfix's sendmail option string). */
#define SM_ARG_OPTS "ABCFLNORVXbefhopqr"

static void sm_usage(const char *why)
{
    msg_fatal_status(EX_USAGE, "%s", why);
}

static void sm_option(SM_OPTS *o, int c, const char *arg)
{
    switch (c) {
    case 'B':
        if (strcmp(arg, "8BITMIME") == 0)
            o->encoding = "8bit";
        else if (strcmp(arg, "7BIT") == 0)
            o->encoding = "7bit";
        else
            sm_usage("-B option needs 8BITMIME or 7BIT");
        break;
    case 'C':
        o->config = arg;
        break;
    case 'F':
        o->full_name = arg;
        break;
    case 'I':
        o->mode = SM_NEWALIASES;
        break;
    case 'N':
        if ((o->notify = maildrop_notify_parse(arg)) < 0)
            msg_fatal_status(EX_USAGE, "bad -N option value: %s", arg);
        break;
    case 'R':
        if ((o->ret = maildrop_ret_parse(arg)) < 0)
            msg_fatal_status(EX_USAGE, "bad -R option value: %s", arg);
        break;
    case 'V':
        if (*arg == 0 || strlen(arg) > MAILDROP_ENVID_MAX
            || !maildrop_attr_allowed("envelope_id", arg))
            msg_fatal_status(EX_USAGE, "bad -V option value (envelope id)");
        o->envid = arg;
        break;
    case 'b':
        switch (arg[0]) {
        case 'd':
            o->mode = SM_DAEMON;
            break;
        case 'i':
            o->mode = SM_NEWALIASES;
            break;
        case 'm':
            o->mode = SM_DELIVER;
            break;
        case 'p':
            o->mode = SM_MAILQ;
            break;
        case 's':
            o->mode = SM_SMTP;
            break;
        default:
            msg_fatal_status(EX_USAGE, "unsupported: -b%c", arg[0]);
        }
        break;
    case 'f':
    case 'r':
        o->sender = arg;
        break;
    case 'i':
        o->dot_ends = 0;
        break;
    case 'n':
        msg_fatal_status(EX_USAGE, "-n option not supported");
    case 'o':
        if (arg[0] == 'i')
            o->dot_ends = 0;
        else if (arg[0] == 'A') {
            if (arg[1] == 0)
                sm_usage("-oA requires pathname");
            o->alias_db = arg + 1;
        }
        break;
    case 'q':
        if (arg[0] >= '0' && arg[0] <= '9')
            o->mode = SM_QTIME;
        else if (arg[0] == 'R') {
            if (arg[1] == 0)
                sm_usage("specify: -qRsitename");
            o->site = arg + 1;
            o->mode = SM_FLUSH_SITE;
        } else
            msg_fatal_status(EX_USAGE, "-q%c is not implemented", arg[0]);
        break;
    case 't':
        o->extract = 1;
        break;
    case 'v':
        o->verbose++;
        break;
    default:
        break; /* other Sendmail options: accepted and ignored */
    }
}

/* getopt-like, stopping at the first non-option as Postfix's does. */
static void sm_parse(SM_OPTS *o, int argc, char **argv)
{
    int i = 1;

    for (; i < argc; i++) {
        const char *a = argv[i];
        size_t j;

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == 0)
            break;
        if (strcmp(a, "-q") == 0) {
            o->mode = SM_FLUSH;
            continue;
        }
        for (j = 1; a[j]; j++) {
            int c = (unsigned char) a[j];

            if (strchr(SM_ARG_OPTS, c) != NULL) {
                const char *arg = a + j + 1;

                if (*arg == 0) {
                    if (i + 1 >= argc)
                        msg_fatal_status(EX_USAGE, "option requires an argument -- '%c'", c);
                    arg = argv[++i];
                }
                sm_option(o, c, arg);
                break;
            }
            sm_option(o, c, NULL);
        }
    }
    o->rcpts = argv + i;
}

/* Run a helper from command_directory (or daemon_directory), replacing us. */
__attribute__((noreturn)) static void sm_exec(const char *dir, ARGV *args)
{
    VSTR *path = vstr_new(0);

    vstr_sprintf(path, "%s/%s", dir, args->argv[0]);
    execv(vstr_str(path), args->argv);
    msg_fatal_status(EX_UNAVAILABLE, "execv %s: %m", vstr_str(path));
}

static const char *sm_command_dir(void)
{
    const char *dir = conf_get("command_directory");

    return dir && *dir ? dir : DEF_COMMAND_DIR;
}

__attribute__((noreturn)) static void sm_run_helper(const SM_OPTS *o)
{
    ARGV *args = argv_new();
    int n;

    if (*o->rcpts != NULL && o->mode != SM_QTIME)
        msg_fatal_status(EX_USAGE, "%s mode requires no recipient",
                         o->mode == SM_MAILQ ? "display queue"
                         : o->mode == SM_NEWALIASES ? "alias initialization"
                         : o->mode == SM_SMTP ? "stand-alone" : "flush queue");
    switch (o->mode) {
    case SM_MAILQ:
        argv_add(args, "postqueue");
        argv_add(args, "-p");
        break;
    case SM_FLUSH:
        argv_add(args, "postqueue");
        argv_add(args, "-f");
        break;
    case SM_FLUSH_SITE:
        argv_add(args, "postqueue");
        argv_add(args, "-s");
        argv_add(args, o->site);
        break;
    case SM_NEWALIASES: {
        const char *maps = o->alias_db ? o->alias_db : conf_get("alias_database");
        ARGV *tables = argv_split(maps ? maps : "", ", \t\r\n");
        size_t i;

        if (tables->argc == 0) {
            argv_free(tables);
            exit(0);
        }
        argv_add(args, "postalias");
        for (n = 0; n < o->verbose; n++)
            argv_add(args, "-v");
        for (i = 0; i < tables->argc; i++)
            argv_add(args, tables->argv[i]);
        argv_free(tables);
        sm_exec(sm_command_dir(), args);
    }
    case SM_SMTP: {
        const char *dir = conf_get("daemon_directory");

        argv_add(args, "smtpd");
        argv_add(args, "-S");
        for (n = 0; n < o->verbose; n++)
            argv_add(args, "-v");
        sm_exec(dir && *dir ? dir : DEF_DAEMON_DIR, args);
    }
    case SM_DAEMON:
        argv_add(args, "postfix");
        argv_add(args, "start");
        sm_exec(sm_command_dir(), args);
    default:
        msg_panic("sm_run_helper: mode %d", o->mode);
    }
    for (n = 0; n < o->verbose; n++)
        argv_add(args, "-v");
    sm_exec(sm_command_dir(), args);
}

/* The user's full name: -F, else $NAME, else the GECOS field. */
static char *sm_full_name(const SM_OPTS *o, const struct passwd *pw)
{
    const char *gecos;
    VSTR *out;
    size_t i;

    if (o->full_name)
        return mem_strdup(o->full_name);
    if (getenv("NAME") && *getenv("NAME"))
        return mem_strdup(getenv("NAME"));
    if (pw == NULL || pw->pw_gecos == NULL)
        return NULL;
    gecos = pw->pw_gecos;
    out = vstr_new(64);
    for (i = 0; gecos[i] && gecos[i] != ',' && i < 1000; i++) {
        if (gecos[i] == '&') {
            const char *u = pw->pw_name;

            if (*u) {
                vstr_addch(out, *u >= 'a' && *u <= 'z' ? *u - 'a' + 'A' : *u);
                vstr_adds(out, u + 1);
            }
        } else {
            vstr_addch(out, gecos[i]);
        }
    }
    if (vstr_len(out) == 0) {
        vstr_free(out);
        return NULL;
    }
    return vstr_export(out);
}

/* The first address in text ("Name <a@b>", "<>", "a@b"); "" for none. */
static char *sm_first_addr(const char *text)
{
    VSTR *why = vstr_new(0);
    ADDR_LIST *list = addr_list_parse(text, why);
    char *addr;

    if (list == NULL)
        msg_fatal_status(EX_USAGE, "bad address \"%s\": %s", text, vstr_str(why));
    addr = mem_strdup(list->count > 0 ? list->items[0].addr : "");
    addr_list_free(list);
    vstr_free(why);
    return addr;
}

/* Start postdrop with its standard input on a pipe; returns the pipe. */
static int sm_postdrop_start(pid_t *pid)
{
    VSTR *path = vstr_new(0);
    int fds[2];

    vstr_sprintf(path, "%s/postdrop", sm_command_dir());
    if (pipe(fds) < 0)
        msg_fatal_status(EX_TEMPFAIL, "pipe: %m");
    if ((*pid = fork()) < 0)
        msg_fatal_status(EX_TEMPFAIL, "fork: %m");
    if (*pid == 0) {
        close(fds[1]);
        if (dup2(fds[0], 0) < 0)
            _exit(EX_TEMPFAIL);
        close(fds[0]);
        execl(vstr_str(path), "postdrop", "-r", (char *) 0);
        msg_warn("execl %s: %m", vstr_str(path));
        _exit(EX_UNAVAILABLE);
    }
    close(fds[0]);
    vstr_free(path);
    return fds[1];
}

/* Wait for postdrop: 0, its non-zero exit status, or -1; why says what. */
static int sm_postdrop_wait(pid_t pid, VSTR *why)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            vstr_sprintf(why, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status)) {
        vstr_sprintf(why, "postdrop exited with status %d", WEXITSTATUS(status));
        return WEXITSTATUS(status);
    }
    vstr_sprintf(why, "postdrop was killed by signal %d", WTERMSIG(status));
    return -1;
}

/* Reads standard input, cut into records of at most limit bytes. */
typedef struct SM_INPUT {
    char buf[65536];
    size_t start, end;
    int eof;
} SM_INPUT;

/* One piece: 1 with *complete set (a whole line, or its last piece), 0 at EOF. */
static int sm_input_piece(SM_INPUT *in, VSTR *out, size_t limit, int *complete)
{
    vstr_reset(out);
    for (;;) {
        char *nl = memchr(in->buf + in->start, '\n', in->end - in->start);
        size_t avail = (nl ? (size_t) (nl - (in->buf + in->start)) : in->end - in->start);
        size_t take = avail;

        if (vstr_len(out) + take > limit)
            take = limit - vstr_len(out);
        vstr_addmem(out, in->buf + in->start, take);
        in->start += take;
        if (vstr_len(out) >= limit && !(nl && take == avail)) {
            *complete = 0;
            return 1;
        }
        if (nl && take == avail) {
            in->start++;
            *complete = 1;
            return 1;
        }
        if (in->eof) {
            *complete = 0;
            return vstr_len(out) > 0;
        }
        in->start = in->end = 0;
        for (;;) {
            ssize_t n = read(0, in->buf, sizeof(in->buf));

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                msg_fatal_status(EX_DATAERR, "error reading input: %m");
            if (n == 0)
                in->eof = 1;
            in->end = (size_t) n;
            break;
        }
    }
}

static void sm_put_notify(QFILE_WRITER *w, int notify)
{
    if (notify)
        qfile_putf(w, QREC_ATTR, "notify_flags=%d", notify);
}

__attribute__((noreturn)) static void sm_deliver(const SM_OPTS *o)
{
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    char *sender, *full_name;
    QFILE_WRITER *w;
    RCPT_EXTRACT *rx = o->extract ? rcpt_extract_new() : NULL;
    SM_INPUT *in = mem_calloc(1, sizeof(*in));
    VSTR *piece = vstr_new(4096), *why = vstr_new(0);
    long line_limit = conf_get_int("line_length_limit");
    long rcpt_count = 0;
    int complete, prev_complete = 1, skip_from = 1, skipping = 0;
    struct timeval tv;
    char **cpp;
    pid_t pid;
    int fd, st;
    size_t i;

    switch (maildrop_submit_allowed(pw ? pw->pw_name : "unknown", why)) {
    case 0:
        msg_fatal_status(EX_NOPERM, "User %s(%ld) is not allowed to submit mail",
                         pw ? pw->pw_name : "unknown", (long) uid);
    case -1:
        msg_fatal_status(EX_TEMPFAIL, "%s", vstr_str(why));
    default:
        break;
    }
    if (line_limit < 40 || line_limit > QFILE_LINE_LIMIT * 64)
        line_limit = QFILE_LINE_LIMIT;
    if (o->sender)
        sender = sm_first_addr(o->sender);
    else if (pw)
        sender = mem_strdup(pw->pw_name);
    else
        msg_fatal_status(EX_USAGE, "no login name found for user ID %ld", (long) uid);
    full_name = sm_full_name(o, pw);

    fd = sm_postdrop_start(&pid);
    w = qfile_writer_new(fd, "postdrop", 0);
    gettimeofday(&tv, NULL);
    qfile_put_time(w, (long) tv.tv_sec, (long) tv.tv_usec);
    if (o->envid)
        qfile_put_attr(w, "envelope_id", o->envid);
    if (o->ret)
        qfile_putf(w, QREC_ATTR, "ret_flags=%d", o->ret);
    qfile_put_attr(w, "rewrite_context", "local");
    if (full_name)
        qfile_puts(w, QREC_FULL, full_name);
    qfile_puts(w, QREC_FROM, sender);
    if (o->encoding)
        qfile_put_attr(w, "encoding", o->encoding);
    for (cpp = o->rcpts; *cpp; cpp++) {
        VSTR *err = vstr_new(0);
        ADDR_LIST *list = addr_list_parse(*cpp, err);

        if (list == NULL)
            msg_fatal_status(EX_USAGE, "bad recipient \"%s\": %s", *cpp, vstr_str(err));
        for (i = 0; i < list->count; i++) {
            if (*list->items[i].addr == 0)
                continue;
            sm_put_notify(w, o->notify);
            qfile_puts(w, QREC_RCPT, list->items[i].addr);
            rcpt_count++;
        }
        addr_list_free(list);
        vstr_free(err);
    }
    qfile_put(w, QREC_MESG, "", 0);

    while (sm_input_piece(in, piece, (size_t) line_limit, &complete)) {
        char *text = vstr_str(piece);
        size_t len = vstr_len(piece);

        if (complete && len > 0 && text[len - 1] == '\r')
            vstr_truncate(piece, --len);
        if (skipping) { /* the rest of a long From_ line */
            skipping = !complete;
            prev_complete = complete;
            continue;
        }
        if (skip_from && prev_complete) {
            if (strncmp(text + strspn(text, ">"), "From ", 5) == 0) {
                skipping = !complete;
                continue;
            }
            skip_from = 0;
        }
        if (o->dot_ends && prev_complete && complete && len == 1 && text[0] == '.')
            break;
        if (rx)
            rcpt_extract_line(rx, text, len, complete);
        qfile_put(w, complete ? QREC_NORM : QREC_CONT, text, len);
        prev_complete = complete;
    }
    qfile_put(w, QREC_XTRA, "", 0);
    if (rx) {
        ARGV *list = rcpt_extract_finish(rx);

        for (i = 0; i < list->argc; i++) {
            sm_put_notify(w, o->notify);
            qfile_puts(w, QREC_RCPT, list->argv[i]);
            rcpt_count++;
        }
    }
    if (rcpt_count == 0) {
        /* Closing without the end record makes postdrop discard its file. */
        qfile_writer_free(w);
        close(fd);
        (void) sm_postdrop_wait(pid, why);
        msg_fatal_status(EX_TEMPFAIL,
                         o->extract ? "%s(%ld): No recipient addresses found in message header"
                                    : "%s(%ld): Recipient addresses must be specified on"
                                      " the command line or via the -t option",
                         sender, (long) uid);
    }
    qfile_put(w, QREC_END, "", 0);
    if (qfile_writer_finish(w) < 0) {
        vstr_sprintf(why, "%s", strerror(errno));
        qfile_writer_free(w);
        close(fd);
        (void) sm_postdrop_wait(pid, why);
        msg_fatal_status(EX_TEMPFAIL, "%s(%ld): error writing to postdrop: %s", sender,
                         (long) uid, vstr_str(why));
    }
    qfile_writer_free(w);
    close(fd);
    if ((st = sm_postdrop_wait(pid, why)) != 0)
        msg_fatal_status(st == EX_DATAERR ? EX_DATAERR : EX_TEMPFAIL,
                         "%s(%ld): unable to queue the message: %s", sender, (long) uid,
                         vstr_str(why));
    rcpt_extract_free(rx);
    vstr_free(piece);
    vstr_free(why);
    mem_free(in);
    mem_free(sender);
    mem_free(full_name);
    conf_free();
    exit(0);
}

/* -C: a main.cf path or its directory. */
static char *sm_config_dir(const char *arg)
{
    struct stat st;
    const char *slash;

    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        return mem_strdup(arg);
    if ((slash = strrchr(arg, '/')) == NULL)
        return mem_strdup(".");
    return mem_strndup(arg, slash == arg ? 1 : (size_t) (slash - arg));
}

int main(int argc, char **argv)
{
    SM_OPTS opts;
    const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
    const char *name = argc > 0 ? (slash ? slash + 1 : argv[0]) : "sendmail";
    char *confdir = NULL;
    int fd;

    umask(022);
    for (fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            return EX_UNAVAILABLE;
    msg_init(name, MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    memset(&opts, 0, sizeof(opts));
    opts.dot_ends = 1;
    opts.mode = strcmp(name, "mailq") == 0        ? SM_MAILQ
                : strcmp(name, "newaliases") == 0 ? SM_NEWALIASES
                                                  : SM_DELIVER;
    sm_parse(&opts, argc, argv);
    if (opts.config) {
        confdir = sm_config_dir(opts.config);
        if (setenv("MAIL_CONFIG", confdir, 1) < 0)
            msg_fatal_status(EX_TEMPFAIL, "setenv: %m");
    }
    conf_init(confdir);
    mem_free(confdir);
    if (opts.verbose > 1)
        msg_verbose = opts.verbose - 1;
    if (opts.extract && opts.mode != SM_DELIVER)
        sm_usage("-t can be used only in delivery mode");
    switch (opts.mode) {
    case SM_QTIME:
        conf_free();
        return 0;
    case SM_DELIVER:
        sm_deliver(&opts);
    default:
        sm_run_helper(&opts);
    }
}
