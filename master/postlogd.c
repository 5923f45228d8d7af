/*
 * postlogd - writes the log lines of chrooted, unprivileged workers to
 * maillog_file.
 *
 * Runs as master.cf's `postlog unix-dgram n - n - 1 postlogd`: the skeleton
 * (server.h, datagram model) hands it every datagram sent to
 * queue_directory/public/postlog. It opens maillog_file as root before the
 * privilege drop and keeps that descriptor; a reload (`postfix logrotate`)
 * replaces the process and so reopens the file.
 *
 * What it trusts: nothing in a datagram. The socket is public, so any local
 * user may write to it; a record must look like "tag[pid]: text" with a
 * short tag of [A-Za-z0-9/._-] and a decimal pid, and is written with its
 * control characters replaced and its length bounded, as one line:
 * "Mon dd hh:mm:ss host tag[pid]: text". The lines of the datagrams that
 * one wakeup brings in (up to 32) are written with one write(2). Anything else is dropped (and
 * counted in a warning).
 * Error policy: an unopenable maillog_file is fatal (master throttles and
 * logs it); a failed write is a warning.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "msg.h"
#include "server.h"

#define POSTLOGD_TAG_MAX 100

/* Lines are gathered here and written once per batch of datagrams. */
#define POSTLOGD_OUT_MAX (64 * 1024)

typedef struct POSTLOGD {
    int fd;
    char host[256];
    long dropped;
    char out[POSTLOGD_OUT_MAX];
    size_t out_len;
} POSTLOGD;

static void postlogd_pre_jail(SERVER *srv)
{
    POSTLOGD *p = srv->context;
    const char *path = conf_get("maillog_file");
    const char *host = conf_get("myhostname");

    if (path == NULL || *path == 0)
        msg_fatal("maillog_file is empty: postlogd has nothing to write to");
    /* postlogd logs to the file itself, never through its own socket. */
    msg_set_sink(NULL);
    if ((p->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
        msg_fatal("open maillog_file %s: %s", path, strerror(errno));
    msg_config(NULL, NULL, path, host);
    snprintf(p->host, sizeof(p->host), "%s", host ? host : "localhost");
    p->host[strcspn(p->host, ".")] = 0;
}

/* "tag[pid]: " and where the text starts, or -1. */
static int postlogd_check(const char *buf, size_t len, size_t *tag_len, long *pid, size_t *text)
{
    size_t i = 0, start;
    long v = 0;

    while (i < len && i < POSTLOGD_TAG_MAX
           && (((buf[i] | 0x20) >= 'a' && (buf[i] | 0x20) <= 'z') || (buf[i] >= '0' && buf[i] <= '9')
               || strchr("/._-", buf[i]) != NULL) && buf[i] != 0)
        i++;
    if (i == 0 || i >= len || buf[i] != '[')
        return -1;
    *tag_len = i++;
    start = i;
    while (i < len && buf[i] >= '0' && buf[i] <= '9' && i - start < 10)
        v = v * 10 + (buf[i++] - '0');
    if (i == start || i + 2 > len || buf[i] != ']' || buf[i + 1] != ':')
        return -1;
    i += 2;
    if (i < len && buf[i] == ' ')
        i++;
    *pid = v;
    *text = i;
    return 0;
}

/* Write the gathered lines with one write(2) (O_APPEND: whole, in order). */
static void postlogd_flush(SERVER *srv)
{
    POSTLOGD *p = srv->context;
    ssize_t n;

    if (p->out_len == 0)
        return;
    n = write(p->fd, p->out, p->out_len);
    if (n != (ssize_t) p->out_len)
        msg_warn("write maillog_file: %s", n < 0 ? strerror(errno) : "short write");
    p->out_len = 0;
}

static void postlogd_dgram(SERVER *srv, const char *buf, size_t len)
{
    POSTLOGD *p = srv->context;
    char tag[POSTLOGD_TAG_MAX + 1];
    char text[SERVER_DGRAM_MAX];
    char line[SERVER_DGRAM_MAX + 512];
    size_t tag_len, off, i, n;
    long pid;

    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (postlogd_check(buf, len, &tag_len, &pid, &off) < 0) {
        if (p->dropped++ % 100 == 0)
            msg_warn("dropped a malformed log record (%ld so far)", p->dropped);
        return;
    }
    memcpy(tag, buf, tag_len);
    tag[tag_len] = 0;
    for (n = 0, i = off; i < len && n < sizeof(text) - 1; i++, n++)
        text[n] = ((unsigned char) buf[i] < 0x20 || buf[i] == 0x7f) ? '?' : buf[i];
    text[n] = 0;
    msg_format_file_line(line, sizeof(line), p->host, tag, pid, text);
    n = strlen(line);
    if (p->out_len + n > sizeof(p->out))
        postlogd_flush(srv);
    memcpy(p->out + p->out_len, line, n);
    p->out_len += n;
}

int main(int argc, char **argv)
{
    static POSTLOGD state;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = postlogd_pre_jail;
    ops.dgram = postlogd_dgram;
    ops.dgram_done = postlogd_flush;
    ops.unlimited = 1;
    state.fd = -1;
    ops.context = &state;
    server_dgram_main(argc, argv, &ops);
}
