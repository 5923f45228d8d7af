/*
 * sendmail - the Sendmail-compatible mail submission command (also run as
 * mailq and newaliases).
 *
 * What it does, by mode (argv[0] or option):
 *   deliver (-bm, the default)  reads a message from standard input and
 *       hands it, as maildrop records (lib/maildrop.h), to the set-gid
 *       postdrop command, which writes maildrop/; pickup takes it from there.
 *   mailq, -bp      runs `postqueue -p`;   -q   runs `postqueue -f`;
 *   -qRsite         runs `postqueue -s site`;  -qIqueueid runs
 *                   `postqueue -i queueid`;    -qINTERVAL is ignored
 *   -bh, -bH        do nothing (no host status database), as Postfix
 *   newaliases, -bi, -I   runs `postalias` on each alias_database table
 *   -bs             stand-alone SMTP on stdin/stdout, as the user
 *                   (cli/sendmail_bs.h); each transaction is one maildrop
 *                   file, written through postdrop as for -bm
 *   -bd, -bl        runs `postfix start`
 * Message options: -t (recipients from the header; recipients on the
 * command line are added), -i / -oi (a line "." does not end the input),
 * -f / -r sender, -F full name, -N notify, -R ret, -V envid, -B body type,
 * -G (gateway submission: rewrite_context=remote), -C config (main.cf or
 * its directory); one -v asks for a report of the first delivery attempt
 * (trace_flags=1024 in the file, and "Mail Delivery Status Report will be
 * mailed to <sender>." on stdout), more than one is verbose logging.
 * -bv (a flag, the mode stays): verify the recipients, deliver nothing;
 * no message is read, the queue file holds trace_flags=512 and a made-up
 * content (From: sender, Subject: probe, To: the recipients), the same
 * line on stdout, and the sender later gets the report of what would
 * happen to each; with -t, -N, -R or a single -v it is refused with status 75,
 * as Postfix 3.7's sendmail does (two -v: verbose logging). A bad
 * -N, -R or -V value is a warning and is ignored, as Postfix does; other
 * Sendmail options are accepted and ignored, as Postfix does. Options end
 * at the first argument that is not one (or at "--"); the rest are
 * recipients. Compared with Debian's Postfix 3.7 sendmail and postdrop,
 * stream for stream, by test/e2e/sendmail-oracle.sh.
 *
 * Trust: sendmail runs with the user's privileges and trusts nothing it
 * could not already do; postdrop checks everything again.
 * Exit status (sysexits): 0 when postdrop made the file durable; 65
 * (EX_DATAERR) when postdrop refused the message (message_size_limit,
 * however large: postdrop's status wins over our write error); 75
 * (EX_TEMPFAIL) when there are no recipients (as Postfix 3.7) or postdrop
 * failed; 64 (EX_USAGE) for bad options; 69 (EX_UNAVAILABLE) when a helper
 * cannot be run; 77 (EX_NOPERM) when authorized_submit_users refuses the
 * user (postdrop checks it again: it is the boundary). -bs: 0 after QUIT,
 * 75 when the client went away, timed out or made too many errors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#include "sendmail_bs.h"
#include "vstr.h"

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_TEMPFAIL 75
#define EX_NOPERM 77

enum { SM_DELIVER, SM_MAILQ, SM_FLUSH, SM_FLUSH_SITE, SM_FLUSH_ID, SM_NEWALIASES, SM_SMTP,
       SM_DAEMON, SM_QTIME, SM_IGNORE };

/* Postfix's trace_flags value for "sendmail -v": record the first delivery attempt. */
#define SM_TRACE_RECORD 1024
/* ... and for "sendmail -bv": verify the recipients, deliver nothing. */
#define SM_TRACE_VERIFY 512

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
    const char *site;       /* -qR site, -qI queue id */
    int remote;             /* -G: gateway submission */
    int notify;             /* -N bits, 0 = none */
    int ret;                /* -R, 0 = none */
    int verbose;
    int verify;             /* -bv */
    char **rcpts;           /* the rest of the command line */
} SM_OPTS;

/* Options that take an argument (Postfix's sendmail option string). */
#define SM_ARG_OPTS "ABCFLNORVXbefhopqr"

static void sm_usage(const char *why)
{
    msg_fatal_status(EX_USAGE, "%s", why);
}

/* Name the first word of a bad -N value that is no DSN NOTIFY keyword, as Postfix does. */
static void sm_notify_warn(const char *arg)
{
    static const char *const words[] = {"never", "success", "failure", "delay"};
    const char *cp = arg;
    size_t n, i;

    while (*(cp += strspn(cp, ", \t"))) {
        n = strcspn(cp, ", \t");
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (strlen(words[i]) == n && strncasecmp(cp, words[i], n) == 0)
                break;
        if (i == sizeof(words) / sizeof(words[0])) {
            msg_warn("unknown DSN NOTIFY command value \"%.*s\" in \"%.200s\"", (int) n > 200 ? 200 : (int) n,
                     cp, arg);
            return;
        }
        cp += n;
    }
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
        /* Postfix warns about a bad value and goes on without it. */
        if ((o->notify = maildrop_notify_parse(arg)) < 0) {
            sm_notify_warn(arg);
            msg_warn("bad -N option value -- ignored");
            o->notify = 0;
        }
        break;
    case 'R':
        if ((o->ret = maildrop_ret_parse(arg)) < 0) {
            msg_warn("bad -R option value -- ignored");
            o->ret = 0;
        }
        break;
    case 'V':
        if (strlen(arg) > MAILDROP_ENVID_MAX)
            msg_warn("too long -V option value -- ignored");
        else if (!maildrop_attr_allowed("envelope_id", arg))
            msg_warn("bad syntax in -V option value -- ignored");
        else
            o->envid = arg;
        break;
    case 'b':
        switch (arg[0]) {
        case 'd':
        case 'l':
            o->mode = SM_DAEMON;
            break;
        case 'h':
        case 'H': /* host status: Postfix keeps none */
            o->mode = SM_IGNORE;
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
        case 'v': /* a flag, as Postfix's: the mode stays */
            o->verify = 1;
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
        } else if (arg[0] == 'I') {
            if (arg[1] == 0)
                sm_usage("specify: -qIqueueid");
            o->site = arg + 1;
            o->mode = SM_FLUSH_ID;
        } else
            msg_fatal_status(EX_USAGE, "-q%c is not implemented", arg[0]);
        break;
    case 't':
        o->extract = 1;
        break;
    case 'v':
        o->verbose++;
        break;
    case 'G':
        o->remote = 1;
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
        msg_fatal_status(EX_USAGE, "%s requires no recipient",
                         o->mode == SM_MAILQ         ? "display queue mode"
                         : o->mode == SM_NEWALIASES  ? "alias initialization mode"
                         : o->mode == SM_FLUSH_SITE  ? "flush site"
                         : o->mode == SM_FLUSH_ID    ? "flush queue_id"
                         : o->mode == SM_DAEMON      ? "daemon mode"
                                                     : "flush queue mode");
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
    case SM_FLUSH_ID:
        argv_add(args, "postqueue");
        argv_add(args, "-i");
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

/*
 * One maildrop file on its way to postdrop: the path that -bm, -t and each
 * -bs transaction share. sm_drop_open() starts postdrop and writes the
 * envelope up to the sender; then sm_drop_rcpt() for the recipients,
 * sm_drop_content() (M), sm_drop_line() per line or piece, sm_drop_extracted()
 * (X: recipients after it are the extracted ones) and sm_drop_finish(),
 * which returns 0 only when postdrop made the file durable; sm_drop_abort()
 * makes postdrop discard it.
 */
typedef struct SM_DROP {
    pid_t pid;
    int fd;
    int in_content;
    QFILE_WRITER *w;
} SM_DROP;

static SM_DROP *sm_drop_open(const char *full_name, const char *sender, const char *envid,
                             int ret, const char *encoding, int remote, int trace)
{
    SM_DROP *d = mem_calloc(1, sizeof(*d));
    struct timeval tv;

    d->fd = sm_postdrop_start(&d->pid);
    d->w = qfile_writer_new(d->fd, "postdrop", 0);
    gettimeofday(&tv, NULL);
    qfile_put_time(d->w, (long) tv.tv_sec, (long) tv.tv_usec);
    if (envid)
        qfile_put_attr(d->w, "envelope_id", envid);
    if (ret)
        qfile_putf(d->w, QREC_ATTR, "ret_flags=%d", ret);
    qfile_put_attr(d->w, "rewrite_context", remote ? "remote" : "local");
    if (full_name)
        qfile_puts(d->w, QREC_FULL, full_name);
    qfile_puts(d->w, QREC_FROM, sender);
    if (encoding)
        qfile_put_attr(d->w, "encoding", encoding);
    if (trace)
        qfile_putf(d->w, QREC_ATTR, "trace_flags=%d", trace);
    return d;
}

static void sm_drop_rcpt(SM_DROP *d, const char *addr, int notify)
{
    if (notify)
        qfile_putf(d->w, QREC_ATTR, "notify_flags=%d", notify);
    qfile_puts(d->w, QREC_RCPT, addr);
}

static void sm_drop_content(SM_DROP *d)
{
    qfile_put(d->w, QREC_MESG, "", 0);
    d->in_content = 1;
}

static void sm_drop_line(SM_DROP *d, const char *text, size_t len, int complete)
{
    qfile_put(d->w, complete ? QREC_NORM : QREC_CONT, text, len);
}

static void sm_drop_extracted(SM_DROP *d)
{
    qfile_put(d->w, QREC_XTRA, "", 0);
    d->in_content = 0;
}

static void sm_drop_abort(SM_DROP *d)
{
    VSTR *why = vstr_new(0);

    /* Closing without the end record makes postdrop discard its file. */
    qfile_writer_free(d->w);
    close(d->fd);
    (void) sm_postdrop_wait(d->pid, why);
    vstr_free(why);
    mem_free(d);
}

/* 0 when durable; else postdrop's status (EX_DATAERR: too big) or -1, why set. */
static int sm_drop_finish(SM_DROP *d, VSTR *why)
{
    int st;

    if (d->in_content)
        sm_drop_extracted(d);
    qfile_put(d->w, QREC_END, "", 0);
    if (qfile_writer_finish(d->w) < 0) {
        int err = errno;

        /*
         * postdrop stopped reading: when it exited with a status of its own
         * (message_size_limit: EX_DATAERR; a refused user), that status and
         * its message on stderr say why, not our EPIPE.
         */
        qfile_writer_free(d->w);
        close(d->fd);
        st = sm_postdrop_wait(d->pid, why);
        mem_free(d);
        if (st > 0)
            return st;
        vstr_sprintf(why, "error writing to postdrop: %s", strerror(err));
        return -1;
    }
    qfile_writer_free(d->w);
    close(d->fd);
    st = sm_postdrop_wait(d->pid, why);
    mem_free(d);
    return st;
}

/* One content line, cut into records of at most limit bytes. */
static void sm_drop_text(SM_DROP *d, const char *text, size_t limit)
{
    size_t len = strlen(text);

    while (len > limit) {
        sm_drop_line(d, text, limit, 0);
        text += limit;
        len -= limit;
    }
    sm_drop_line(d, text, len, 1);
}

/*
 * sendmail -bv reads no message: the probe's content is made up, as
 * Postfix's is (From: the sender, Subject: probe, To: the command line's
 * recipients, one per folded line).
 */
static void sm_probe_content(SM_DROP *d, const char *sender, char **rcpts, size_t limit)
{
    VSTR *line = vstr_new(0);
    char **cpp;

    if (*sender) {
        vstr_sprintf(line, "From: %s", sender);
        sm_drop_text(d, vstr_str(line), limit);
    }
    sm_drop_text(d, "Subject: probe", limit);
    /* "To:" is a piece of the first line, record for record as Postfix writes it */
    if (*rcpts)
        sm_drop_line(d, "To:", 3, 0);
    for (cpp = rcpts; *cpp; cpp++) {
        vstr_sprintf(line, "\t%s%s", *cpp, cpp[1] ? "," : "");
        sm_drop_text(d, vstr_str(line), limit);
    }
    vstr_free(line);
}

/* sendmail -bs: each transaction goes through the same postdrop path. */
static void *sm_bs_open(void *ctx, const SENDMAIL_BS_ENV *env, VSTR *why)
{
    SM_DROP *d;
    size_t i;

    (void) ctx;
    (void) why;
    d = sm_drop_open(NULL, env->sender, env->envid, env->ret, env->encoding, 0, 0);
    for (i = 0; i < env->rcpt_count; i++)
        sm_drop_rcpt(d, env->rcpts[i], env->notify[i]);
    sm_drop_content(d);
    return d;
}

static void sm_bs_line(void *h, const char *text, size_t len, int complete)
{
    sm_drop_line(h, text, len, complete);
}

static int sm_bs_close(void *h, int commit, VSTR *why)
{
    if (!commit) {
        sm_drop_abort(h);
        return -1;
    }
    return sm_drop_finish(h, why);
}

static struct passwd *sm_check_user(uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    VSTR *why = vstr_new(0);

    switch (maildrop_submit_allowed(pw ? pw->pw_name : "unknown", why)) {
    case 0:
        msg_fatal_status(EX_NOPERM, "User %s(%ld) is not allowed to submit mail",
                         pw ? pw->pw_name : "unknown", (long) uid);
    case -1:
        msg_fatal_status(EX_TEMPFAIL, "%s", vstr_str(why));
    default:
        break;
    }
    vstr_free(why);
    return pw;
}

__attribute__((noreturn)) static void sm_smtp(const SM_OPTS *o)
{
    SENDMAIL_BS_CONF conf;
    SENDMAIL_BS_OPS ops;
    VSTR *banner = vstr_new(0);
    long line_limit = conf_get_int("line_length_limit");
    long long size = conf_get_size("message_size_limit");
    int status;

    if (*o->rcpts != NULL)
        msg_fatal_status(EX_USAGE, "stand-alone mode requires no recipient");
    (void) sm_check_user(getuid());
    if (line_limit < 40 || line_limit > QFILE_LINE_LIMIT * 64)
        line_limit = QFILE_LINE_LIMIT;
    conf_expand(banner, conf_get_raw("smtpd_banner") ? conf_get_raw("smtpd_banner")
                                                     : "$myhostname ESMTP $mail_name");
    memset(&conf, 0, sizeof(conf));
    conf.banner = vstr_str(banner);
    conf.hostname = conf_get("myhostname");
    conf.size_limit = size > 0 ? size : 0;
    conf.line_limit = (size_t) line_limit;
    conf.timeout = (int) conf_get_time("smtpd_timeout");
    if (conf.timeout <= 0)
        conf.timeout = 300;
    conf.error_limit = (int) conf_get_int("smtpd_hard_error_limit");
    if (conf.error_limit <= 0)
        conf.error_limit = 20;
    conf.rcpt_limit = conf_get_int("smtpd_recipient_limit") > 0
                          ? (size_t) conf_get_int("smtpd_recipient_limit") : 1000;
    memset(&ops, 0, sizeof(ops));
    ops.open = sm_bs_open;
    ops.line = sm_bs_line;
    ops.close = sm_bs_close;
    status = sendmail_bs_run(0, 1, &conf, &ops);
    vstr_free(banner);
    conf_free();
    exit(status == 0 ? 0 : EX_TEMPFAIL);
}

__attribute__((noreturn)) static void sm_deliver(const SM_OPTS *o)
{
    uid_t uid = getuid();
    struct passwd *pw = sm_check_user(uid);
    char *sender, *full_name;
    SM_DROP *d;
    RCPT_EXTRACT *rx = o->extract ? rcpt_extract_new() : NULL;
    SM_INPUT *in = mem_calloc(1, sizeof(*in));
    VSTR *piece = vstr_new(4096), *why = vstr_new(0);
    long line_limit = conf_get_int("line_length_limit");
    long rcpt_count = 0;
    size_t n;
    int complete, prev_complete = 1, skip_from = 1, skipping = 0;
    char **cpp;
    int st;
    size_t i;

    if (line_limit < 40 || line_limit > QFILE_LINE_LIMIT * 64)
        line_limit = QFILE_LINE_LIMIT;
    if (o->sender)
        sender = sm_first_addr(o->sender);
    else if (pw)
        sender = mem_strdup(pw->pw_name);
    else
        msg_fatal_status(EX_USAGE, "no login name found for user ID %ld", (long) uid);
    full_name = sm_full_name(o, pw);

    d = sm_drop_open(full_name, sender, o->envid, o->ret, o->encoding, o->remote,
                     o->verify ? SM_TRACE_VERIFY : o->verbose == 1 ? SM_TRACE_RECORD : 0);
    for (cpp = o->rcpts; *cpp; cpp++) {
        VSTR *err = vstr_new(0);
        ADDR_LIST *list = addr_list_parse(*cpp, err);

        if (list == NULL)
            msg_fatal_status(EX_USAGE, "bad recipient \"%s\": %s", *cpp, vstr_str(err));
        for (n = 0, i = 0; i < list->count; i++) {
            if (*list->items[i].addr == 0)
                continue;
            sm_drop_rcpt(d, list->items[i].addr, o->notify);
            rcpt_count++;
            n++;
        }
        /*
         * An argument with no address in it ("undisclosed-recipients:;") is
         * one null recipient, as Postfix writes it; cleanup sends such mail
         * to empty_address_recipient.
         */
        if (n == 0) {
            sm_drop_rcpt(d, "", o->notify);
            rcpt_count++;
        }
        addr_list_free(list);
        vstr_free(err);
    }
    sm_drop_content(d);
    if (o->verify)
        sm_probe_content(d, sender, o->rcpts, (size_t) line_limit);

    while (!o->verify && sm_input_piece(in, piece, (size_t) line_limit, &complete)) {
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
        sm_drop_line(d, text, len, complete);
        prev_complete = complete;
    }
    sm_drop_extracted(d);
    if (rx) {
        ARGV *list = rcpt_extract_finish(rx);

        for (i = 0; i < list->argc; i++) {
            sm_drop_rcpt(d, list->argv[i], o->notify);
            rcpt_count++;
        }
    }
    if (rcpt_count == 0) {
        sm_drop_abort(d);
        msg_fatal_status(EX_TEMPFAIL,
                         o->extract ? "%s(%ld): No recipient addresses found in message header"
                                    : "%s(%ld): Recipient addresses must be specified on"
                                      " the command line or via the -t option",
                         sender, (long) uid);
    }
    if ((st = sm_drop_finish(d, why)) != 0)
        msg_fatal_status(st == EX_DATAERR ? EX_DATAERR : EX_TEMPFAIL,
                         "%s(%ld): unable to queue the message: %s", sender, (long) uid,
                         vstr_str(why));
    /* One -v asked for a report of the first delivery attempt (as Postfix says), or -bv. */
    if (o->verbose == 1 || o->verify) {
        printf("Mail Delivery Status Report will be mailed to <%s>.\n", sender);
        fflush(stdout);
    }
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
    /* One -v asks for a delivery report (trace_flags); more is verbose logging. */
    if (opts.verbose > 1)
        msg_verbose = opts.verbose;
    if (opts.extract && opts.mode != SM_DELIVER)
        sm_usage("-t can be used only in delivery mode");
    /* Postfix's refusals, whatever the mode, with its status (75, not 64) */
    if (opts.verify && opts.extract)
        msg_fatal_status(EX_TEMPFAIL, "-t option cannot be used with -bv");
    if (opts.verify && opts.notify)
        msg_fatal_status(EX_TEMPFAIL, "-N option cannot be used with -bv");
    if (opts.verify && opts.ret)
        msg_fatal_status(EX_TEMPFAIL, "-R option cannot be used with -bv");
    if (opts.verify && opts.verbose == 1)
        msg_fatal_status(EX_TEMPFAIL, "-v option cannot be used with -bv");
    switch (opts.mode) {
    case SM_QTIME:
    case SM_IGNORE:
        conf_free();
        return 0;
    case SM_DELIVER:
        sm_deliver(&opts);
    case SM_SMTP:
        sm_smtp(&opts);
    default:
        sm_run_helper(&opts);
    }
}
