/*
 * deliver_send - TEST-ONLY client of lib/deliver.h that plays qmgr: reads a
 * queue file, sends one delivery request for its undone recipients to an
 * agent's socket and prints the result. Never installed. The envelope and
 * the undone recipients come from deliver_request_load(), as qmgr's will.
 *
 * Usage: deliver_send [options] QUEUE_ID      (run in queue_directory)
 *   -s PATH    the agent's socket (default private/error)
 *   -q QUEUE   the queue the file is in (default active)
 *   -n HOP     the next hop (default empty)
 *   -f FLAGS   request flags (default DELIVER_FLAG_DEFAULT)
 *   -I ID      send this queue id instead (not checked: refusal tests)
 *   -A SEC     active_time (default: the arrival time)
 *   -t SEC     time to wait for the result (default 30)
 * Output, one line each: "status=N", "hop_status=...", then per recipient
 * "rcpt=ADDR offset=N result=sent|deferred|bounced|none dsn=D reason=TEXT".
 * Exit 0 when a result came back, 1 when the agent refused or failed to
 * answer ("error: reason" on standard error), 2 on a usage or queue file
 * problem.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "deliver.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "strutil.h"
#include "vstr.h"

static int send_connect(const char *path)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path))
        msg_fatal("socket path too long: %s", path);
    strcpy(sun.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
        msg_fatal("socket: %m");
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        msg_warn("connect %s: %m", path);
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *sock = "private/error", *queue = "active", *hop = "", *force_id = NULL;
    long flags = DELIVER_FLAG_DEFAULT, active = -1, timeout = 30;
    DELIVER_REQUEST *req;
    VSTR *path = vstr_new(0), *why = vstr_new(0);
    STREAM *s;
    struct timeval tv;
    int ch, fd, ret = 1;
    size_t i;

    msg_init("deliver_send", MSG_OUT_STDERR);
    while ((ch = getopt(argc, argv, "s:q:n:f:I:A:t:")) != -1) {
        switch (ch) {
        case 's': sock = optarg; break;
        case 'q': queue = optarg; break;
        case 'n': hop = optarg; break;
        case 'f':
            if (str_parse_long(optarg, 0, 0xffff, &flags) < 0)
                msg_fatal_status(2, "bad -f %s", optarg);
            break;
        case 'I': force_id = optarg; break;
        case 'A':
            if (str_parse_long(optarg, 0, 1L << 40, &active) < 0)
                msg_fatal_status(2, "bad -A %s", optarg);
            break;
        case 't':
            if (str_parse_long(optarg, 1, 3600, &timeout) < 0)
                msg_fatal_status(2, "bad -t %s", optarg);
            break;
        default:
            msg_fatal_status(2, "usage: deliver_send [-s sock] [-q queue] [-n nexthop] "
                                "[-f flags] [-I id] [-A sec] [-t sec] queue_id");
        }
    }
    if (optind != argc - 1)
        msg_fatal_status(2, "usage: deliver_send [options] queue_id");
    req = deliver_request_new();
    vstr_sprintf(path, "%s/%s", queue, argv[optind]);
    if ((fd = open(vstr_str(path), O_RDONLY)) < 0)
        msg_fatal_status(2, "open %s: %m", vstr_str(path));
    {
        QFILE_READER *r = qfile_reader_open(fd, vstr_str(path), QFILE_READ_FOLLOW);
        int st = deliver_request_load(req, r, why);

        qfile_reader_free(r);
        close(fd);
        if (st < 0)
            msg_fatal_status(2, "cannot read %s: %s", vstr_str(path), vstr_str(why));
    }
    mem_free(req->queue_name);
    req->queue_name = mem_strdup(queue);
    mem_free(req->queue_id);
    req->queue_id = mem_strdup(force_id ? force_id : argv[optind]);
    mem_free(req->nexthop);
    req->nexthop = mem_strdup(hop);
    req->flags = (int) flags;
    gettimeofday(&tv, NULL);
    req->active_sec = active >= 0 ? active : req->arrival_sec;
    req->active_usec = active >= 0 ? 0 : req->arrival_usec;
    req->handoff_sec = tv.tv_sec;
    req->handoff_usec = tv.tv_usec;
    if ((fd = send_connect(sock)) < 0)
        goto out;
    s = stream_open(fd, STREAM_CLOSE);
    stream_set_limits(s, (int) timeout * 1000, 0);
    if (deliver_request_send(s, req, why) < 0 || deliver_result_read(s, req, why) < 0) {
        fprintf(stderr, "error: %s\n", vstr_str(why));
    } else {
        printf("status=%d\nhop_status=%s\n", req->status, req->hop_status);
        for (i = 0; i < req->nrcpt; i++)
            printf("rcpt=%s offset=%ld result=%s dsn=%s reason=%s\n", req->rcpt[i].address,
                   req->rcpt[i].offset, deliver_rcpt_status_name(req->rcpt[i].status),
                   req->rcpt[i].dsn, req->rcpt[i].reason);
        ret = 0;
    }
    stream_free(s);
out:
    deliver_request_free(req);
    vstr_free(path);
    vstr_free(why);
    return ret;
}
