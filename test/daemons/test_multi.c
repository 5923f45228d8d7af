/*
 * test_multi - TEST-ONLY multi-server daemon for the master tests; never
 * installed. Each client gets "hello multi pid=P clients=N" (N: clients
 * this process holds now) and then every byte it sends back.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

typedef struct MULTI_STATE {
    int clients;
} MULTI_STATE;

static int multi_open(SERVER *srv, int fd)
{
    MULTI_STATE *st = srv->context;
    char line[128];
    int n;

    st->clients++;
    n = snprintf(line, sizeof(line), "hello multi pid=%ld clients=%d\n", (long) getpid(),
                 st->clients);
    if (write(fd, line, (size_t) n) != n) {
        st->clients--;
        return -1;
    }
    return 0;
}

static int multi_read(SERVER *srv, int fd)
{
    MULTI_STATE *st = srv->context;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n <= 0 || write(fd, buf, (size_t) n) != n) {
        st->clients--;
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static MULTI_STATE state;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.multi_open = multi_open;
    ops.multi_read = multi_read;
    ops.context = &state;
    server_multi_main(argc, argv, &ops);
}
