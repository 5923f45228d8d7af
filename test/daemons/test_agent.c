/*
 * test_agent - TEST-ONLY delivery agent for the qmgr tests (lib/deliver.h,
 * agent side); never installed. master.cf: "NAME unix - n n - N test_agent
 * DIR" (root, not chrooted, so it can write DIR).
 *
 * Per request it appends one line to DIR/requests:
 *   "service=NAME nexthop=HOP id=ID n=COUNT rcpt=A,B,..."
 * and counts deliveries in flight in DIR/state ("current max total",
 * updated under flock), so a test can read the highest concurrency seen.
 * Behaviour, chosen by files in DIR at the time of the request:
 *   delay        its number: milliseconds to wait before answering
 *   crash        exit without answering (the agent "dies")
 *   garbage      answer with bytes that are not a result
 *   defer        defer every recipient (reason: the file's first line)
 *   hopfail      like defer, and report the whole next hop failed
 *                (hop_status 4.4.1, hop_reason "test destination down")
 *   otherwise    every recipient is sent (marked done) and one line
 *                "ID RCPT" is appended to DIR/delivered.
 * Files named as above plus "@HOP" (e.g. defer@slow.test) apply to that
 * next hop only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

static const char *agent_dir;

/* Does DIR/NAME or DIR/NAME@HOP exist? Its first line into text. */
static int agent_flag(const char *name, const char *hop, char *text, size_t size)
{
    char path[1024];
    FILE *fp;
    int i;

    for (i = 0; i < 2; i++) {
        if (i == 0)
            snprintf(path, sizeof(path), "%s/%s@%s", agent_dir, name, hop);
        else
            snprintf(path, sizeof(path), "%s/%s", agent_dir, name);
        if (i == 0 && (*hop == 0 || strchr(hop, '/')))
            continue;
        if ((fp = fopen(path, "r")) == NULL)
            continue;
        if (text) {
            if (fgets(text, (int) size, fp) == NULL)
                *text = 0;
            text[strcspn(text, "\n")] = 0;
        }
        fclose(fp);
        return 1;
    }
    return 0;
}

static void agent_append(const char *name, const char *text)
{
    char path[1024];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", agent_dir, name);
    if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
        msg_fatal("open %s: %m", path);
    if (write(fd, text, strlen(text)) != (ssize_t) strlen(text))
        msg_warn("write %s: %m", path);
    close(fd);
}

/* Add delta to the in-flight count; keep the maximum and the total. */
static void agent_count(int delta)
{
    char path[1024], buf[128];
    long cur = 0, max = 0, total = 0;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/state", agent_dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
        msg_fatal("open %s: %m", path);
    if (flock(fd, LOCK_EX) < 0)
        msg_fatal("flock: %m");
    if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
        buf[n] = 0;
        (void) sscanf(buf, "%ld %ld %ld", &cur, &max, &total);
    }
    cur += delta;
    if (cur > max)
        max = cur;
    if (delta > 0)
        total++;
    n = snprintf(buf, sizeof(buf), "%ld %ld %ld\n", cur, max, total);
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t) n, 0) != n)
        msg_warn("update %s: %m", path);
    close(fd);
}

static void agent_client(SERVER *srv, int fd)
{
    STREAM *s = stream_open(fd, 0);
    VSTR *why = vstr_new(0), *line = vstr_new(0);
    DELIVER_REQUEST *req;
    DELIVER_TIMES t;
    char text[512];
    size_t i;
    int qfd = -1;
    QFILE_READER *r;

    if ((req = deliver_request_read(s, 30000, why)) == NULL) {
        msg_warn("bad request: %s", vstr_str(why));
        goto out;
    }
    agent_count(1);
    vstr_sprintf(line, "service=%s nexthop=%s id=%s n=%zu rcpt=", srv->service, req->nexthop,
                 req->queue_id, req->nrcpt);
    for (i = 0; i < req->nrcpt; i++)
        vstr_printf(line, "%s%s", i ? "," : "", req->rcpt[i].address);
    vstr_addch(line, '\n');
    agent_append("requests", vstr_str(line));
    if (agent_flag("delay", req->nexthop, text, sizeof(text))) {
        struct timespec ts;
        long ms = atol(text);

        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }
    if (agent_flag("crash", req->nexthop, NULL, 0)) {
        agent_count(-1);
        _exit(1);
    }
    if (agent_flag("garbage", req->nexthop, NULL, 0)) {
        static const char junk[] = "status\0not-a-number\0\0\0\0junk";

        agent_count(-1);
        (void) stream_write(s, junk, sizeof(junk));
        (void) stream_flush(s);
        deliver_request_free(req);
        goto out;
    }
    deliver_times_init(&t, "test", 2);
    if (agent_flag("hopfail", req->nexthop, NULL, 0)) {
        for (i = 0; i < req->nrcpt; i++)
            deliver_rcpt_defer(req, i, "4.4.1", "test destination down", &t);
        mem_free(req->hop_status);
        req->hop_status = mem_strdup("4.4.1");
        mem_free(req->hop_reason);
        req->hop_reason = mem_strdup("test destination down");
    } else if (agent_flag("defer", req->nexthop, text, sizeof(text))) {
        for (i = 0; i < req->nrcpt; i++)
            deliver_rcpt_defer(req, i, "4.2.0", *text ? text : "test defer", &t);
    } else if ((r = deliver_open_queue_file(req, &qfd, why)) == NULL) {
        msg_warn("%s: %s", req->queue_id, vstr_str(why));
        for (i = 0; i < req->nrcpt; i++)
            deliver_rcpt_defer(req, i, "4.3.0", "cannot open the queue file", &t);
    } else {
        qfile_reader_free(r);
        for (i = 0; i < req->nrcpt; i++) {
            if (deliver_rcpt_sent(req, qfd, i, "2.0.0", "delivered to test agent", &t) == 0) {
                vstr_sprintf(line, "%s %s\n", req->queue_id, req->rcpt[i].address);
                agent_append("delivered", vstr_str(line));
            }
        }
        close(qfd);
    }
    agent_count(-1);
    if (deliver_result_send(s, req) < 0)
        msg_warn("%s: send result: %s", req->queue_id, stream_why(s));
    deliver_request_free(req);
out:
    stream_free(s);
    vstr_free(why);
    vstr_free(line);
}

static void agent_pre_jail(SERVER *srv)
{
    if (srv->nargs < 1)
        msg_fatal("usage: test_agent [master options] DIR");
    agent_dir = srv->args[0];
}

int main(int argc, char **argv)
{
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = agent_pre_jail;
    ops.client = agent_client;
    server_single_main(argc, argv, &ops);
}
