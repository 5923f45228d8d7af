/*
 * test_trigger - TEST-ONLY trigger-server daemon for the master tests;
 * never installed.
 *
 * Argument after master's: OUTPUT_FILE, opened (append, created 0644) in the
 * pre-jail callback as root. Each trigger appends one line
 * "trigger pid=P uid=U bytes=TEXT" (TEXT made printable, at most 64 bytes).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "server.h"

typedef struct TRIGGER_STATE {
    int fd;
} TRIGGER_STATE;

static void trig_pre_jail(SERVER *srv)
{
    TRIGGER_STATE *st = srv->context;

    if (srv->nargs < 1)
        msg_fatal("usage: test_trigger [master options] OUTPUT_FILE");
    if ((st->fd = open(srv->args[0], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
        msg_fatal("open %s: %m", srv->args[0]);
}

static void trig_trigger(SERVER *srv, const char *buf, size_t len)
{
    TRIGGER_STATE *st = srv->context;
    char text[65], line[200];
    size_t i;
    int n;

    for (i = 0; i < len && i < sizeof(text) - 1; i++)
        text[i] = (buf[i] > 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
    text[i] = 0;
    n = snprintf(line, sizeof(line), "trigger pid=%ld uid=%ld bytes=%s\n", (long) getpid(),
                 (long) getuid(), text);
    if (write(st->fd, line, (size_t) n) != n)
        msg_warn("write: %m");
}

int main(int argc, char **argv)
{
    static TRIGGER_STATE state;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = trig_pre_jail;
    ops.trigger = trig_trigger;
    ops.context = &state;
    server_trigger_main(argc, argv, &ops);
}
