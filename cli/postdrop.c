/*
 * postdrop - write one message into maildrop/ (run by sendmail).
 *
 * Installed set-gid setgid_group (postdrop), never set-uid: it runs as the
 * submitting user with the one extra right of creating files in maildrop/
 * (and of reaching public/pickup). It reads maildrop records (the format
 * and the rules are lib/maildrop.h) on standard input, writes them to a new
 * file maildrop/QUEUEID (queue_id_enter: a temporary name, then the id),
 * owned by the user, group setgid_group, and marks it complete (mode 0744,
 * Postfix's) only after the last record is written and fsynced; then it
 * wakes pickup with one byte on public/$pickup_service_name. A pickup that
 * is not running is no error: the file waits until the mail system starts.
 *
 * Only users that authorized_submit_users allows may submit (root always).
 * Trust: NOTHING on standard input. Every record is checked as it arrives
 * (types, order, lengths bounded by line_length_limit, size bounded by
 * message_size_limit, attributes limited to the few a user may set); the
 * client's arrival time is replaced by our own. When running set-gid, a
 * configuration directory other than the default one is honoured only when
 * the default main.cf lists it in alternate_config_directories, unless the
 * caller is root (a user
 * must not point us at a queue of their choosing).
 *
 * Exit: 0 when the file is complete and durable, or when the input ended
 * before the end record (the client cancelled: sendmail with no recipients);
 * 65 (EX_DATAERR) with "postdrop: fatal: uid=N: reason" when the input is
 * refused (malformed, too large: a permanent error), 1 for a queue problem
 * or a refused user or configuration.
 * On any failure the partial file is removed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "maildrop.h"
#include "mem.h"
#include "msg.h"
#include "trigger.h"
#include "qfile.h"
#include "queue_id.h"
#include "vstr.h"

#define PD_EX_DATAERR 65 /* sysexits EX_DATAERR: the input was refused */

/*
 * Sanitizer builds only: a set-gid process is not dumpable, so
 * LeakSanitizer cannot inspect it and fails at exit; the sanitizers also
 * ignore ASAN_OPTIONS there. This default turns leak checks off for such
 * runs only: any run that reads ASAN_OPTIONS (root, tests) overrides it.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(PD_ASAN)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

/*
 * The file to remove when we die before it is complete. The one piece of
 * process state outside the configuration: the fatal-error hook and the
 * signal handler have no other way to reach it.
 */
static char pd_junk_path[256];

static void pd_remove_junk(void)
{
    if (pd_junk_path[0]) {
        (void) unlink(pd_junk_path);
        pd_junk_path[0] = 0;
    }
}

static void pd_signal(int sig)
{
    if (pd_junk_path[0])
        (void) unlink(pd_junk_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Wake pickup: one byte on its public socket; failure is only a warning. */
static void pd_trigger_pickup(const char *service)
{
    VSTR *path = vstr_new(0);

    vstr_sprintf(path, "public/%s", service);
    switch (trigger_send(vstr_str(path), "W", 1)) {
    case TRIGGER_NOCONNECT:
        if (errno == ENAMETOOLONG)
            msg_warn("pickup socket name too long: %s", vstr_str(path));
        else
            msg_warn("unable to look up %s: %m", vstr_str(path));
        break;
    case TRIGGER_NOSEND:
        msg_warn("unable to wake up %s: %m", vstr_str(path));
        break;
    }
    vstr_free(path);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("MAIL_CONFIG");
    long uid = (long) getuid();
    MAILDROP_CHECK mc;
    QFILE_READER *r;
    QFILE_WRITER *w;
    QFILE_REC rec;
    struct timeval tv;
    char id[QUEUE_ID_BUFSIZE];
    VSTR *path = vstr_new(0);
    const char *why;
    long long size_limit;
    long line_limit;
    int c, fd, st, dfd;

    umask(022);
    /* A set-gid program must not let its files become descriptors 0-2. */
    for (fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            return 1;
    msg_init("postdrop", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    while ((c = getopt(argc, argv, "c:rv")) > 0) {
        switch (c) {
        case 'c':
            dir = optarg;
            break;
        case 'r':
            break; /* record input: the only kind there is */
        case 'v':
            msg_verbose++;
            break;
        default:
            msg_fatal("usage: postdrop [-c config_dir] [-rv]");
        }
    }
    if (dir != NULL && *dir == 0)
        dir = NULL;
    conf_check_setgid_dir(dir);
    conf_init(dir);
    if (chdir(conf_get("queue_directory")) < 0)
        msg_fatal("chdir %s: %m", conf_get("queue_directory"));
    {
        struct passwd *pw = getpwuid(getuid());
        char num[32];
        const char *login = pw ? pw->pw_name : (snprintf(num, sizeof(num), "%ld", uid), num);

        switch (maildrop_submit_allowed(login, path)) {
        case 0:
            msg_fatal("User %s(%ld) is not allowed to submit mail", login, uid);
        case -1:
            msg_fatal("%s", vstr_str(path));
        default:
            vstr_reset(path);
            break;
        }
    }
    size_limit = conf_get_size("message_size_limit");
    line_limit = conf_get_int("line_length_limit");
    if (line_limit < 40 || line_limit > (1L << 20))
        msg_fatal("bad line_length_limit: %ld", line_limit);

    signal(SIGHUP, pd_signal);
    signal(SIGINT, pd_signal);
    signal(SIGQUIT, pd_signal);
    signal(SIGTERM, pd_signal);
    msg_set_cleanup(pd_remove_junk);
    if ((fd = queue_id_enter("maildrop", conf_get_bool("enable_long_queue_ids"), id, path)) < 0)
        msg_fatal("uid=%ld: create maildrop file: %m", uid);
    snprintf(pd_junk_path, sizeof(pd_junk_path), "%s", vstr_str(path));
    if (fchmod(fd, 0644) < 0)
        msg_fatal("uid=%ld: chmod %s: %m", uid, vstr_str(path));

    w = qfile_writer_new(fd, vstr_str(path), 0);
    gettimeofday(&tv, NULL);
    qfile_put_time(w, (long) tv.tv_sec, (long) tv.tv_usec);
    r = qfile_reader_open(0, "stdin", QFILE_READ_RAW);
    qfile_reader_set_limit(r, (size_t) line_limit);
    maildrop_check_init(&mc, size_limit);
    while (!maildrop_check_done(&mc)) {
        if ((st = qfile_read(r, &rec)) < 0)
            msg_fatal_status(PD_EX_DATAERR, "uid=%ld: malformed input: %s", uid,
                             qfile_reader_error(r));
        if (st == 0) { /* the client gave up: no message */
            pd_remove_junk();
            qfile_writer_free(w);
            qfile_reader_free(r);
            vstr_free(path);
            conf_free();
            return 0;
        }
        switch (maildrop_check(&mc, rec.type, rec.data, rec.len, &why)) {
        case MAILDROP_BAD:
            msg_fatal_status(PD_EX_DATAERR, "uid=%ld: bad input: %s (record type %d)", uid, why,
                             rec.type);
        case MAILDROP_SKIP:
            msg_warn("uid=%ld: ignoring attribute record: %.200s", uid, rec.data);
            continue;
        default:
            break;
        }
        if (rec.type == QREC_TIME)
            continue; /* ours wins */
        qfile_put(w, rec.type, rec.data, rec.len);
    }
    if (qfile_read(r, &rec) != 0)
        msg_fatal_status(PD_EX_DATAERR, "uid=%ld: bad input: data after the end record", uid);
    if (qfile_writer_finish(w) < 0 || qfile_sync(fd) < 0 || qfile_mark_complete(fd) < 0)
        msg_fatal("uid=%ld: write %s: %m", uid, vstr_str(path));
    if ((dfd = open("maildrop", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void) fsync(dfd);
        close(dfd);
    }
    pd_junk_path[0] = 0; /* ours to deliver now */
    if (close(fd) < 0)
        msg_fatal("uid=%ld: close %s: %m", uid, vstr_str(path));
    if (msg_verbose)
        msg_info("uid=%ld: queued as %s", uid, id);
    pd_trigger_pickup(conf_get("pickup_service_name"));
    qfile_writer_free(w);
    qfile_reader_free(r);
    vstr_free(path);
    conf_free();
    return 0;
}
