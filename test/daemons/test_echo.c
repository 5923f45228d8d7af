/*
 * test_echo - TEST-ONLY single-server daemon for the master tests; never
 * installed.
 *
 * Arguments after master's: [fail] [failif=PATH] [SECRET_FILE]. "fail" makes
 * it exit 1 before serving (a startup failure, for the throttle test);
 * "failif=PATH" does so only while PATH exists. SECRET_FILE is
 * opened in the pre-jail callback, as root, and its first line reported, to
 * show that what must be opened as root is opened before the privileges go.
 * Per connection it writes "hello service=S pid=P uid=U gid=G groups=N
 * prejail_uid=R secret=TEXT" and then echoes each line back until "quit" or
 * end of file; "exit N" ends the process at once with status N (a worker
 * that fails while serving); "burst N" logs N lines (at most 10000) as fast
 * as it can. Lines are bounded (longer ones are cut into
 * pieces).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "server.h"

typedef struct ECHO_STATE {
    long prejail_uid;
    char secret[128];
} ECHO_STATE;

static void echo_pre_jail(SERVER *srv)
{
    ECHO_STATE *st = srv->context;
    FILE *fp;
    int i;

    st->prejail_uid = (long) getuid();
    snprintf(st->secret, sizeof(st->secret), "none");
    for (i = 0; i < srv->nargs; i++) {
        if (strcmp(srv->args[i], "fail") == 0)
            msg_fatal("failing at start as asked");
        if (strncmp(srv->args[i], "failif=", 7) == 0) {
            if (access(srv->args[i] + 7, F_OK) == 0)
                msg_fatal("failing at start: %s exists", srv->args[i] + 7);
            continue;
        }
        if ((fp = fopen(srv->args[i], "r")) == NULL)
            msg_fatal("open %s: %m", srv->args[i]);
        if (fgets(st->secret, sizeof(st->secret), fp) == NULL)
            st->secret[0] = 0;
        st->secret[strcspn(st->secret, "\r\n")] = 0;
        fclose(fp);
    }
    msg_info("pre-jail as uid %ld", st->prejail_uid);
}

static int echo_write(int fd, const char *buf, size_t len)
{
    ssize_t n;

    while (len > 0) {
        if ((n = write(fd, buf, len)) <= 0)
            return -1;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

static void echo_client(SERVER *srv, int fd)
{
    ECHO_STATE *st = srv->context;
    char line[1024];
    size_t used = 0;
    ssize_t n;
    char *nl;
    int len;

    len = snprintf(line, sizeof(line), "hello service=%s pid=%ld uid=%ld gid=%ld groups=%d "
                   "prejail_uid=%ld secret=%s\n", srv->service, (long) getpid(),
                   (long) getuid(), (long) getgid(), getgroups(0, NULL), st->prejail_uid,
                   st->secret);
    if (echo_write(fd, line, (size_t) len) < 0)
        return;
    msg_info("connect from a client");
    for (;;) {
        if ((n = read(fd, line + used, sizeof(line) - 1 - used)) <= 0)
            return;
        used += (size_t) n;
        line[used] = 0;
        while ((nl = strchr(line, '\n')) != NULL || used == sizeof(line) - 1) {
            size_t take = nl ? (size_t) (nl - line) + 1 : used;

            if (strncmp(line, "quit", 4) == 0)
                return;
            if (strncmp(line, "exit ", 5) == 0)
                _exit(atoi(line + 5) & 0xff);
            if (strncmp(line, "burst ", 6) == 0) {
                int i, count = atoi(line + 6);

                for (i = 0; i < count && i < 10000; i++)
                    msg_info("burst line %d of %d", i + 1, count);
            }
            if (echo_write(fd, line, take) < 0)
                return;
            memmove(line, line + take, used - take);
            used -= take;
            line[used] = 0;
        }
    }
}

int main(int argc, char **argv)
{
    static ECHO_STATE state;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = echo_pre_jail;
    ops.client = echo_client;
    ops.context = &state;
    server_single_main(argc, argv, &ops);
}
