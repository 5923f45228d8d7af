/*
 * cleanup_client_test - lib/cleanup_client.c against a scripted server: the
 * bytes the client sends (flags, then records: T, F, A, S, DSN records, O,
 * R, M, N/L pieces of 2048 bytes, X, extracted recipients, E), the reply it
 * reads, a service that is not there, a service that hangs up, a reply
 * that is malformed; two messages on one connection (the second request
 * starts with the client's flags, then the queue id), a kept connection
 * that the service closed (the client connects anew); and
 * cleanup_stat_reply()/cleanup_stat_text().
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup_client.h"
#include "msg.h"
#include "qfile.h"
#include "stream.h"
#include "vstr.h"
#include "tap.h"

static char dir[] = "/tmp/cleanup_client_test.XXXXXX";
static char sock_path[256];
static char dump_path[256];

enum { SERVE_OK, SERVE_HANGUP, SERVE_BADREPLY, SERVE_REUSE };

static int listen_on(const char *path)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path))
        msg_fatal("socket path too long: %s", path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 || listen(fd, 5) < 0)
        msg_fatal("listen %s: %m", path);
    return fd;
}

/* Records up to and including E into dump; -1 on a broken stream. */
static int read_records(STREAM *s, VSTR *dump)
{
    unsigned char lenbuf[QFILE_LEN_MAX_BYTES];
    size_t got, len, used, i;
    int c, type;

    for (;;) {
        if ((type = stream_getc(s)) < 0)
            return -1;
        for (got = 0;;) {
            if ((c = stream_getc(s)) < 0 || got >= sizeof(lenbuf))
                return -1;
            lenbuf[got++] = (unsigned char) c;
            if (qfile_len_decode(lenbuf, got, &len, &used) == 1)
                break;
        }
        vstr_printf(dump, "%c ", type);
        for (i = 0; i < len; i++) {
            c = stream_getc(s);
            if (len > 60 && i == 10) {
                vstr_printf(dump, "...(%zu bytes)", len);
            } else if (len <= 60 || i < 10) {
                vstr_addch(dump, c);
            }
        }
        vstr_addch(dump, '\n');
        if (type == QREC_END)
            return 0;
    }
}

/*
 * SERVE_REUSE: request 1 as cleanup makes it (queue id, flags, records,
 * reply), then request 2 on the same connection (flags, queue id, records,
 * reply); then it waits for end-of-file and exits.
 */
static void serve_reuse(STREAM *s, VSTR *dump)
{
    int flags = -1;
    char c;

    attr_print(s, 0, ATTR_OUT_STR("queue_id", "ABCDE12345"));
    if (attr_scan(s, 0, ATTR_IN_INT("flags", &flags)) != ATTR_OK || read_records(s, dump) < 0)
        _exit(2);
    attr_print(s, 0, ATTR_OUT_INT("status", 0), ATTR_OUT_STR("reason", ""));
    vstr_printf(dump, "--- flags=%d\n", flags);
    if (attr_scan(s, 0, ATTR_IN_INT("flags", &flags)) != ATTR_OK)
        _exit(3);
    attr_print(s, 0, ATTR_OUT_STR("queue_id", "BCDEF23456"));
    if (read_records(s, dump) < 0)
        _exit(3);
    attr_print(s, 0, ATTR_OUT_INT("status", 0), ATTR_OUT_STR("reason", ""));
    vstr_printf(dump, "--- flags=%d\n", flags);
    if (read(stream_fd(s), &c, 1) != 0)
        _exit(5);
}

/* The child: one conversation, the records it got written to dump_path. */
static void serve(int lfd, int mode)
{
    int fd = accept(lfd, NULL, NULL);
    STREAM *s = stream_open(fd, STREAM_CLOSE);
    VSTR *dump = vstr_new(0);
    int flags = -1;
    FILE *fp;

    if (mode == SERVE_REUSE) {
        serve_reuse(s, dump);
    } else {
        attr_print(s, 0, ATTR_OUT_STR("queue_id", "ABCDE12345"));
        if (mode == SERVE_HANGUP)
            _exit(0);
        if (attr_scan(s, 0, ATTR_IN_INT("flags", &flags)) != ATTR_OK)
            _exit(2);
        vstr_printf(dump, "flags=%d\n", flags);
        (void) read_records(s, dump);
        if (mode == SERVE_BADREPLY)
            attr_print(s, 0, ATTR_OUT_STR("status", "zero"));
        else
            attr_print(s, 0, ATTR_OUT_INT("status", CLEANUP_STAT_CONT),
                       ATTR_OUT_STR("reason", "5.7.1 go away"));
    }
    if ((fp = fopen(dump_path, "w")) == NULL)
        _exit(4);
    fputs(vstr_str(dump), fp);
    fclose(fp);
    stream_free(s);
    vstr_free(dump);
    _exit(0);
}

static pid_t start_server(int mode)
{
    int lfd = listen_on(sock_path);
    pid_t pid = fork();

    if (pid < 0)
        msg_fatal("fork: %m");
    if (pid == 0)
        serve(lfd, mode);
    close(lfd);
    return pid;
}

static void read_dump(VSTR *out)
{
    FILE *fp = fopen(dump_path, "r");
    int c;

    vstr_reset(out);
    if (fp == NULL)
        return;
    while ((c = getc(fp)) != EOF)
        vstr_addch(out, c);
    fclose(fp);
}

static void test_conversation(void)
{
    VSTR *why = vstr_new(0);
    VSTR *dump = vstr_new(0);
    char big[5000];
    pid_t pid = start_server(SERVE_OK);
    CLEANUP *c;
    int status;

    memset(big, 'x', sizeof(big));
    c = cleanup_open(sock_path, CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MAP_OK, 10, why);
    TAP_OK(c != NULL, "cleanup_open connects (%s)", vstr_str(why));
    if (c == NULL)
        return;
    TAP_STR(cleanup_queue_id(c), "ABCDE12345", "the queue id from the service");
    cleanup_time(c, 1795263242, 5);
    cleanup_full_name(c, "Alice Example");
    cleanup_attr(c, "rewrite_context", "local");
    cleanup_submit_uid(c, 1000);
    cleanup_sender(c, "alice");
    cleanup_rcpt(c, "bob@relay.test", "Bob@relay.test", "rfc822;Bob@relay.test", 6);
    cleanup_rcpt(c, "carol@relay.test", NULL, NULL, 0);
    cleanup_content_begin(c);
    cleanup_line(c, "Subject: hi", 11);
    cleanup_line(c, "", 0);
    cleanup_line(c, big, 2048);
    cleanup_line(c, big, 5000);
    cleanup_content_end(c);
    cleanup_rcpt(c, "dave@down.test", NULL, NULL, 0);
    status = cleanup_finish(c, why);
    TAP_INT(status, CLEANUP_STAT_CONT, "the status from the service");
    TAP_STR(vstr_str(why), "5.7.1 go away", "the reason from the service");
    cleanup_close(c);
    waitpid(pid, &status, 0);
    TAP_INT(WEXITSTATUS(status), 0, "the server parsed every record");
    read_dump(dump);
    TAP_STR(vstr_str(dump),
            "flags=34\nT 1795263242 5\nF Alice Example\nA rewrite_context=local\nA submit_uid=1000\n"
            "S alice\nn 6\no rfc822;Bob@relay.test\nO Bob@relay.test\nR bob@relay.test\n"
            "R carol@relay.test\nM \nN Subject: hi\nN \nL xxxxxxxxxx...(2048 bytes)\nN \n"
            "L xxxxxxxxxx...(2048 bytes)\nL xxxxxxxxxx...(2048 bytes)\nN xxxxxxxxxx...(904 bytes)\n"
            "X \nR dave@down.test\nE \n",
            "the records, in order, long lines in 2048-byte pieces");
    vstr_free(why);
    vstr_free(dump);
}

static void test_failures(void)
{
    VSTR *why = vstr_new(0);
    CLEANUP *c;
    pid_t pid;
    int status;
    char path[300];

    snprintf(path, sizeof(path), "%s/nothing-here", dir);
    c = cleanup_open(path, 0, 5, why);
    TAP_OK(c == NULL, "no service: cleanup_open fails");
    TAP_OK(strstr(vstr_str(why), "connect to") != NULL, "and says why: %s", vstr_str(why));

    pid = start_server(SERVE_HANGUP);
    c = cleanup_open(sock_path, 0, 5, why);
    if (c != NULL) {
        cleanup_sender(c, "a@b.test");
        cleanup_rcpt(c, "c@d.test", NULL, NULL, 0);
        status = cleanup_finish(c, why);
        TAP_INT(status, CLEANUP_STAT_WRITE, "a service that hangs up: CLEANUP_STAT_WRITE");
        TAP_OK(vstr_len(why) > 0, "with a reason: %s", vstr_str(why));
        cleanup_close(c);
    } else {
        TAP_OK(strlen(vstr_str(why)) > 0, "a service that hangs up at once: %s", vstr_str(why));
        TAP_OK(1, "(refused at open)");
    }
    waitpid(pid, &status, 0);

    pid = start_server(SERVE_BADREPLY);
    c = cleanup_open(sock_path, 0, 5, why);
    TAP_OK(c != NULL, "bad reply: open");
    if (c != NULL) {
        cleanup_sender(c, "a@b.test");
        status = cleanup_finish(c, why);
        TAP_INT(status, CLEANUP_STAT_WRITE, "a malformed reply is no success");
        TAP_OK(strstr(vstr_str(why), "no reply from the cleanup service") != NULL, "reason: %s",
               vstr_str(why));
        cleanup_close(c);
    }
    waitpid(pid, &status, 0);
    vstr_free(why);
}

/* One message: sender, recipient, one line; the status of cleanup_finish(). */
static int send_one(CLEANUP *c, const char *line, VSTR *why)
{
    cleanup_sender(c, "a@b.test");
    cleanup_rcpt(c, "c@d.test", NULL, NULL, 0);
    cleanup_content_begin(c);
    cleanup_line(c, line, strlen(line));
    return cleanup_finish(c, why);
}

static void test_reuse(void)
{
    VSTR *why = vstr_new(0);
    VSTR *dump = vstr_new(0);
    CLEANUP *c;
    pid_t pid;
    int status;

    cleanup_client_keep(1);
    pid = start_server(SERVE_REUSE);
    c = cleanup_open(sock_path, CLEANUP_FLAG_FILTER, 5, why);
    TAP_OK(c != NULL, "reuse: first open (%s)", vstr_str(why));
    if (c == NULL)
        return;
    TAP_STR(cleanup_queue_id(c), "ABCDE12345", "reuse: first queue id");
    TAP_INT(send_one(c, "one", why), 0, "reuse: first message accepted");
    cleanup_close(c);
    c = cleanup_open(sock_path, CLEANUP_FLAG_HOLD, 5, why);
    TAP_OK(c != NULL, "reuse: second open (%s)", vstr_str(why));
    if (c == NULL)
        return;
    TAP_STR(cleanup_queue_id(c), "BCDEF23456", "reuse: the second message went over the same connection");
    TAP_INT(send_one(c, "two", why), 0, "reuse: second message accepted");
    cleanup_close(c);
    /* The service closes the kept connection (here: it exits after two). */
    c = cleanup_open(dump_path, 0, 5, why);
    TAP_OK(c == NULL, "another socket: the kept connection is dropped (%s)", vstr_str(why));
    waitpid(pid, &status, 0);
    TAP_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
            "reuse: the server saw both requests and then end-of-file");
    read_dump(dump);
    TAP_STR(vstr_str(dump),
            "S a@b.test\nR c@d.test\nM \nN one\nX \nE \n--- flags=2\n"
            "S a@b.test\nR c@d.test\nM \nN two\nX \nE \n--- flags=4\n",
            "reuse: the records and the flags of each request");

    /* A kept connection that the service closed: a new connection, silently. */
    pid = start_server(SERVE_REUSE);
    c = cleanup_open(sock_path, 0, 5, why);
    TAP_OK(c != NULL && send_one(c, "x", why) == 0, "stale: a message kept the connection");
    cleanup_close(c);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    pid = start_server(SERVE_OK);
    c = cleanup_open(sock_path, CLEANUP_FLAG_FILTER, 5, why);
    TAP_OK(c != NULL, "stale: cleanup_open connects anew (%s)", vstr_str(why));
    if (c != NULL) {
        TAP_STR(cleanup_queue_id(c), "ABCDE12345", "stale: the queue id of the new connection");
        TAP_INT(send_one(c, "y", why), CLEANUP_STAT_CONT, "stale: the new service answered");
        cleanup_close(c);
    }
    waitpid(pid, &status, 0);
    read_dump(dump);
    TAP_OK(strncmp(vstr_str(dump), "flags=2\n", 8) == 0, "stale: the new service got the flags first");
    vstr_free(why);
    vstr_free(dump);
}

static void test_stat_reply(void)
{
    static const struct {
        int status;
        const char *reason;
        const char *want;
    } cases[] = {
        {CLEANUP_STAT_OK, "", "250 2.0.0 Ok"},
        {CLEANUP_STAT_SIZE, "5.3.4 Message too big for system", "552 5.3.4 Error: message file too big"},
        {CLEANUP_STAT_CONT, "5.7.1 Spam go away", "550 5.7.1 Spam go away"},
        {CLEANUP_STAT_CONT, "451 4.7.1 later", "451 4.7.1 later"},
        {CLEANUP_STAT_CONT, "4.7.1 later", "451 4.7.1 later"},
        {CLEANUP_STAT_CONT, "no code", "550 5.7.1 no code"},
        {CLEANUP_STAT_CONT, "", "550 5.7.1 Message content rejected"},
        {CLEANUP_STAT_HOPS, "5.4.0 Too many hops", "554 5.4.0 Too many hops"},
        {CLEANUP_STAT_RCPT, "", "550 5.1.0 No recipients specified"},
        {CLEANUP_STAT_WRITE, "", "451 4.3.0 Error: queue file write error"},
        {CLEANUP_STAT_BAD, "4.3.0 Internal protocol error", "451 4.3.0 Internal protocol error"},
        {CLEANUP_STAT_DEFER, "4.6.0 Alias expansion error", "451 4.6.0 Alias expansion error"},
        {CLEANUP_STAT_DEFER | CLEANUP_STAT_CONT, "4.3.0 lookup failure", "451 4.3.0 lookup failure"},
        {1 << 20, "", "451 4.3.0 Error: internal error"},
    };
    VSTR *out = vstr_new(0);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        TAP_STR(cleanup_stat_reply(cases[i].status, cases[i].reason, out), cases[i].want,
                "reply for status %d \"%s\"", cases[i].status, cases[i].reason);
    TAP_STR(cleanup_stat_text(CLEANUP_STAT_OK), "success", "text: success");
    TAP_STR(cleanup_stat_text(CLEANUP_STAT_SIZE), "message file too big", "text: size");
    TAP_STR(cleanup_stat_text(1 << 20), "unknown error", "text: unknown bit");
    vstr_free(out);
}

int main(void)
{
    VSTR *cmd = vstr_new(0);
    int r;

    msg_init("cleanup_client_test", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(dir) == NULL)
        msg_fatal("mkdtemp: %m");
    snprintf(sock_path, sizeof(sock_path), "%s/cleanup", dir);
    snprintf(dump_path, sizeof(dump_path), "%s/dump", dir);
    test_conversation();
    test_failures();
    test_reuse();
    test_stat_reply();
    vstr_printf(cmd, "rm -rf %s", dir);
    r = system(vstr_str(cmd));
    (void) r;
    vstr_free(cmd);
    return tap_done();
}
