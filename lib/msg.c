/* msg - diagnostics and logging; see msg.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

int msg_verbose;

#define MSG_TEXT_MAX 4096

static char msg_prog[64] = "postern";
static char msg_cf_path[512] = "main.cf";  /* named in configuration errors */
static char msg_ident[128] = "postfix/postern";
static char msg_host[256] = "localhost";
static int msg_outputs = MSG_OUT_STDERR;
static int msg_facility = LOG_MAIL;
static int msg_logfd = -1;
static int msg_errors;
static int msg_in_progress;
static MSG_SINK_FN msg_sink;
static MSG_CLEANUP_FN msg_cleanup;

/* The names Postfix accepts for syslog_facility, spelled exactly so. */
static const struct {
    const char *name;
    int code;
} facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
    {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

void msg_init(const char *program, int outputs)
{
    const char *slash = strrchr(program, '/');

    copy_name(msg_prog, sizeof(msg_prog), slash ? slash + 1 : program);
    snprintf(msg_ident, sizeof(msg_ident), "postfix/%s", msg_prog);
    msg_outputs = outputs;
    if (outputs & MSG_OUT_SYSLOG)
        openlog(msg_ident, LOG_PID | LOG_NDELAY, msg_facility);
}

int msg_facility_code(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
        if (strcmp(name, facilities[i].name) == 0)
            return facilities[i].code;
    return -1;
}

/*
 * Apply the logging parameters. The tag becomes "<syslog_name>/<program>",
 * also when syslog_name names a service: "postfix/submission/smtpd", as
 * Postfix logs it and log tools expect. A facility name Postfix does not
 * know is fatal, as in Postfix. Returns -1 (and warns) when the log file
 * cannot be opened; logging then goes on where it went before.
 */
int msg_config(const char *syslog_name, const char *facility,
               const char *maillog_file, const char *myhostname)
{
    int ret = 0;
    int code;

    if (syslog_name && *syslog_name)
        snprintf(msg_ident, sizeof(msg_ident), "%s/%s", syslog_name, msg_prog);
    if (myhostname && *myhostname) {
        copy_name(msg_host, sizeof(msg_host), myhostname);
        msg_host[strcspn(msg_host, ".")] = 0;
    }
    if (facility && *facility) {
        if ((code = msg_facility_code(facility)) < 0)
            msg_fatal("file %s: parameter syslog_facility: unrecognized value: %.100s",
                      msg_cf_path, facility);
        msg_facility = code;
    }
    if (maillog_file && *maillog_file) {
        int fd = open(maillog_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0) {
            msg_warn("open maillog_file %s: %s", maillog_file, strerror(errno));
            ret = -1;
        } else {
            if (msg_logfd >= 0)
                close(msg_logfd);
            msg_logfd = fd;
            msg_outputs = (msg_outputs & ~MSG_OUT_SYSLOG) | MSG_OUT_FILE;
        }
    }
    if (msg_outputs & MSG_OUT_SYSLOG) {
        closelog();
        openlog(msg_ident, LOG_PID | LOG_NDELAY, msg_facility);
    }
    return ret;
}

void msg_set_outputs(int outputs)
{
    msg_outputs = outputs;
}

void msg_set_config_file(const char *path)
{
    copy_name(msg_cf_path, sizeof(msg_cf_path), path);
}

void msg_set_sink(MSG_SINK_FN sink)
{
    msg_sink = sink;
}

void msg_set_cleanup(MSG_CLEANUP_FN fn)
{
    msg_cleanup = fn;
}

const char *msg_program(void)
{
    return msg_prog;
}

const char *msg_tag(void)
{
    return msg_ident;
}

int msg_error_count(void)
{
    return msg_errors;
}

/* "Nov 21 12:21:28 mail postfix/smtpd[5034]: text\n", as postlogd writes. */
void msg_format_file_line(char *buf, size_t size, const char *host,
                          const char *tag, long pid, const char *text)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
    snprintf(buf, size, "%s %s %s[%ld]: %s\n", stamp, host, tag, pid, text);
}

static const char *level_prefix(int level)
{
    switch (level) {
    case MSG_WARN:
        return "warning: ";
    case MSG_ERROR:
        return "error: ";
    case MSG_FATAL:
        return "fatal: ";
    case MSG_PANIC:
        return "panic: ";
    default:
        return "";
    }
}

static int syslog_priority(int level)
{
    switch (level) {
    case MSG_WARN:
        return LOG_WARNING;
    case MSG_ERROR:
        return LOG_ERR;
    case MSG_FATAL:
        return LOG_CRIT;
    case MSG_PANIC:
        return LOG_ALERT;
    default:
        return LOG_INFO;
    }
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t) n;
    }
}

void msg_vlog(int level, const char *fmt, va_list ap)
{
    char text[MSG_TEXT_MAX];
    char line[MSG_TEXT_MAX + 512];
    int saved_errno = errno;
    char *cp;
    int n;

    n = snprintf(text, sizeof(text), "%s", level_prefix(level));
    if (n < 0)
        n = 0;
    errno = saved_errno;
    vsnprintf(text + n, sizeof(text) - (size_t) n, fmt, ap);
    for (cp = text; *cp; cp++)
        if ((unsigned char) *cp < 0x20 || *cp == 0x7f)
            *cp = '?';

    /* A message logged while logging (a sink that fails) goes to stderr only. */
    if (msg_in_progress) {
        snprintf(line, sizeof(line), "%s: %s\n", msg_prog, text);
        write_all(2, line, strlen(line));
        errno = saved_errno;
        return;
    }
    msg_in_progress = 1;
    if (msg_outputs & MSG_OUT_STDERR) {
        snprintf(line, sizeof(line), "%s: %s\n", msg_prog, text);
        write_all(2, line, strlen(line));
    }
    if (msg_sink) {
        msg_sink(level, msg_ident, text);
    } else if ((msg_outputs & MSG_OUT_FILE) && msg_logfd >= 0) {
        msg_format_file_line(line, sizeof(line), msg_host, msg_ident, (long) getpid(), text);
        write_all(msg_logfd, line, strlen(line));
    } else if (msg_outputs & MSG_OUT_SYSLOG) {
        syslog(msg_facility | syslog_priority(level), "%s", text);
    }
    msg_in_progress = 0;
    errno = saved_errno;
}

void msg_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_INFO, fmt, ap);
    va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_WARN, fmt, ap);
    va_end(ap);
}

void msg_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_ERROR, fmt, ap);
    va_end(ap);
    msg_errors++;
}

static void run_cleanup(void)
{
    MSG_CLEANUP_FN fn = msg_cleanup;

    msg_cleanup = NULL;
    if (fn)
        fn();
}

void msg_fatal_status(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_FATAL, fmt, ap);
    va_end(ap);
    run_cleanup();
    exit(status);
}

void msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_FATAL, fmt, ap);
    va_end(ap);
    run_cleanup();
    exit(1);
}

void msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_PANIC, fmt, ap);
    va_end(ap);
    abort();
}
