/*
 * flush - deliver deferred mail now, on request: the service behind
 * postqueue -i ID and postqueue -s SITE (lib/flush_client.h has the
 * protocol).
 *
 * master.cf (stock): "flush unix n - y 1000? 0 flush": public/flush, a
 * single server (lib/server.h), chrooted into queue_directory, running as
 * mail_owner.
 *
 *   send_file ID    deferred/H/ID gets the current time as its access and
 *                   modification time (qmgr retries a deferred message
 *                   whose time has come: now it has), then "D" (scan the
 *                   deferred queue) goes to public/$queue_service_name.
 *                   A message not in deferred/ is FLUSH_STAT_UNKNOWN.
 *   send_site SITE  refused (FLUSH_STAT_DENY) unless SITE matches
 *                   fast_flush_domains (default $relay_domains; a
 *                   lookup failure is FLUSH_STAT_FAIL); else every deferred
 *                   message with an undelivered recipient @SITE (case
 *                   insensitive) is touched the same way and, when there
 *                   was one, qmgr gets "D".
 * Postfix keeps per-site logs of deferred queue ids in flush/ for
 * send_site; this daemon reads the deferred queue files instead
 * (lib/queue_scan.h, every record bounded), so it needs no "add" requests
 * from the delivery agents and nothing in flush/.
 * master's periodic wakeup (a lone "W") is read and ignored.
 *
 * Trust: the client is any local user (public/ is group postdrop); its
 * request is read under a deadline and a byte limit and strictly checked
 * (flush_request_read): a site cannot name a path, a queue id is checked
 * before it becomes one. The queue files are read as data, never trusted
 * for lengths (qfile.h bounds).
 *
 * Error policy: configuration errors at start are fatal; a bad request is
 * a warning and FLUSH_STAT_BAD; a file that vanished or cannot be touched
 * is skipped (with a warning unless it vanished).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "flush_client.h"
#include "matchlist.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "queue_scan.h"
#include "server.h"
#include "stream.h"
#include "strutil.h"
#include "trigger.h"
#include "vstr.h"

typedef struct FLUSH_CONF {
    int depth;            /* hash_queue_depth, 0 when deferred is not hashed */
    MATCH_LIST *domains;  /* fast_flush_domains */
    char *qmgr_path;      /* public/$queue_service_name */
    int timeout_ms;
} FLUSH_CONF;

typedef struct FLUSH_SITE {
    const char *site;
    long count;
} FLUSH_SITE;

/* Set a deferred file's times to now; 1 done, 0 gone, -1 failed. */
static int flush_touch(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (errno != ENOENT)
            msg_warn("%s: not a regular queue file", path);
        return errno == ENOENT ? 0 : -1;
    }
    if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        msg_warn("set time stamps of %s: %m", path);
        return -1;
    }
    return 1;
}

static void flush_trigger_qmgr(const FLUSH_CONF *fc)
{
    if (trigger_send(fc->qmgr_path, "D", 1) != 0)
        msg_warn("cannot trigger %s: %m", fc->qmgr_path);
}

static int flush_send_file(const FLUSH_CONF *fc, const char *id)
{
    VSTR *path = vstr_new(0);
    int r;

    queue_id_path(path, "deferred", id, fc->depth);
    r = flush_touch(vstr_str(path));
    vstr_free(path);
    if (r <= 0)
        return r == 0 ? FLUSH_STAT_UNKNOWN : FLUSH_STAT_FAIL;
    flush_trigger_qmgr(fc);
    return FLUSH_STAT_OK;
}

/* queue_scan() callback: touch the message when a recipient is @site. */
static int flush_site_one(void *ctx, const char *queue, const char *id, const char *path)
{
    FLUSH_SITE *fs = ctx;
    QUEUE_MSG msg;
    const char *at;
    size_t i;
    int hit = 0;

    if (queue_scan_message(&msg, queue, id, path, NULL) < 0)
        return 0;
    for (i = 0; i + 1 < msg.rcpts->argc && !hit; i += 2)
        hit = (at = strrchr(msg.rcpts->argv[i], '@')) != NULL && strcasecmp(at + 1, fs->site) == 0;
    queue_scan_msg_free(&msg);
    if (hit && flush_touch(path) > 0)
        fs->count++;
    return 0;
}

static int flush_send_site(const FLUSH_CONF *fc, const char *site)
{
    FLUSH_SITE fs;

    switch (match_list_domain(fc->domains, site)) {
    case MATCH_YES:
        break;
    case MATCH_NO:
        return FLUSH_STAT_DENY;
    default:
        msg_warn("fast_flush_domains: %s", match_list_error(fc->domains));
        return FLUSH_STAT_FAIL;
    }
    fs.site = site;
    fs.count = 0;
    if (queue_scan("deferred", flush_site_one, &fs) < 0) {
        msg_warn("scan deferred: %m");
        return FLUSH_STAT_FAIL;
    }
    if (fs.count > 0)
        flush_trigger_qmgr(fc);
    return FLUSH_STAT_OK;
}

/* master's wakeup is one "W" and no request: read it and say so. */
static int flush_is_wakeup(int fd, int timeout_ms)
{
    struct pollfd p;
    char c;

    p.fd = fd;
    p.events = POLLIN;
    if (poll(&p, 1, timeout_ms) != 1 || recv(fd, &c, 1, MSG_PEEK) != 1 || c != 'W')
        return 0;
    return 1;
}

static void flush_client(SERVER *srv, int fd)
{
    FLUSH_CONF *fc = srv->context;
    STREAM *s;
    VSTR *req, *value, *why;
    int status;

    if (flush_is_wakeup(fd, fc->timeout_ms))
        return;
    s = stream_open(fd, 0);
    req = vstr_new(16);
    value = vstr_new(64);
    why = vstr_new(0);
    if (flush_request_read(s, fc->timeout_ms, req, value, why) < 0) {
        msg_warn("%s", vstr_str(why));
        status = FLUSH_STAT_BAD;
    } else if (strcmp(vstr_str(req), FLUSH_REQ_SEND_FILE) == 0) {
        status = flush_send_file(fc, vstr_str(value));
    } else {
        status = flush_send_site(fc, str_lower(vstr_str(value)));
    }
    if (vstr_len(req) > 0)
        msg_info("%s %s: status %d", vstr_str(req), vstr_str(value), status);
    if (!stream_error(s) && flush_reply(s, status) < 0)
        msg_warn("cannot send the reply: %s", stream_why(s));
    stream_free(s);
    vstr_free(req);
    vstr_free(value);
    vstr_free(why);
}

static void flush_pre_jail(SERVER *srv)
{
    FLUSH_CONF *fc = srv->context;
    const char *h = conf_get("hash_queue_names");
    long depth = conf_get_int("hash_queue_depth");
    long timeout = conf_get_time("ipc_timeout");
    VSTR *why = vstr_new(0), *path = vstr_new(0);

    if (depth < 1 || depth > QUEUE_ID_MAX_DEPTH)
        msg_fatal("bad hash_queue_depth value: %ld", depth);
    fc->depth = queue_id_is_hashed("deferred", h ? h : "") ? (int) depth : 0;
    fc->domains = match_list_create("fast_flush_domains", conf_get("fast_flush_domains"),
                                    MATCH_DOMAIN
                                    | match_list_parent_flag("fast_flush_domains",
                                          conf_get("parent_domain_matches_subdomains")),
                                    why);
    if (vstr_len(why))
        msg_warn("%s", vstr_str(why));
    vstr_sprintf(path, "public/%s", conf_get("queue_service_name"));
    fc->qmgr_path = vstr_export(path);
    fc->timeout_ms = timeout > 0 && timeout < 100 ? (int) timeout * 1000 : 100000;
    vstr_free(why);
}

int main(int argc, char **argv)
{
    FLUSH_CONF fc;
    SERVER_OPS ops;

    memset(&fc, 0, sizeof(fc));
    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = flush_pre_jail;
    ops.client = flush_client;
    ops.context = &fc;
    server_single_main(argc, argv, &ops);
}
