/*
 * postqueue - the unprivileged queue control command: list the queue
 * (-p, as mailq and sendmail -bp; -j as JSON lines), flush it (-f), or ask
 * for the delivery of one message (-i ID) or one site's mail (-s SITE).
 *
 * -p and -j read the listing from the showq service (public/showq, Postfix's
 * protocol: see lib/attr.h), so no privilege is needed. When showq cannot be
 * reached (the mail system is down), root reads the queue directly with the
 * same code as showq (lib/queue_scan.h); anyone else gets Postfix's
 * "Queue report unavailable - mail system is down" (exit 69).
 * The column header of -p follows this client's enable_long_queue_ids.
 * -f sends Postfix's flush trigger ("FADI": flush dead destinations, ignore
 * time stamps, scan deferred and incoming) to public/qmgr and a wakeup to
 * public/pickup. -i and -s speak Postfix's flush protocol to public/flush
 * (lib/flush_client.h: request=send_file queue_id=ID, request=send_site
 * site=SITE; reply status=N). Unreachable services give Postfix's
 * messages, exit 69; -i for a message that is not in the deferred queue
 * exits 1 ("Message "ID" not found in the deferred queue").
 *
 * Installed set-gid postdrop like postdrop (the public/ directory is
 * group postdrop), never set-uid. Then a configuration other than the
 * default (-c or MAIL_CONFIG) must be listed in the default main.cf's
 * alternate_config_directories, as for postdrop.
 *
 * Error policy: a malformed listing from showq is fatal with the reason
 * (attr.h makes the reason); write errors on standard output are fatal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "attr.h"
#include "conf.h"
#include "flush_client.h"
#include "mem.h"
#include "msg.h"
#include "trigger.h"
#include "queue_id.h"
#include "queue_scan.h"
#include "stream.h"
#include "strutil.h"
#include "vstr.h"

/*
 * Sanitizer builds only: a set-gid process is not dumpable, so
 * LeakSanitizer cannot inspect it and fails at exit, and ASAN_OPTIONS is
 * ignored there. Leak checks are off by default; runs that read
 * ASAN_OPTIONS (root, the tests) turn them on again.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PQ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(PQ_ASAN)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

#define PQ_EX_UNAVAILABLE 69
#define PQ_EX_USAGE 64
#define PQ_TIMEOUT_MS 60000
#define PQ_VALUE_MAX 100000     /* bytes per attribute value from showq */

/* Connect to queue_directory/public/NAME, or -1. */
static int pq_connect(const char *qdir, const char *name)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if ((size_t) snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/public/%s", qdir, name)
        >= sizeof(sun.sun_path))
        msg_fatal("queue_directory too long: %s", qdir);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        msg_fatal("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int pq_collect(void *ctx, const char *data, size_t len)
{
    vstr_addmem((VSTR *) ctx, data, len);
    return 0;
}

/* Root, system down: make showq's bytes ourselves. */
static VSTR *pq_local_listing(const char *qdir)
{
    const char *h = conf_get("hash_queue_names");
    long depth = conf_get_int("hash_queue_depth");
    VSTR *out = vstr_new(4096);

    if (depth < 1 || depth > QUEUE_ID_MAX_DEPTH)
        msg_fatal("bad hash_queue_depth value: %ld", depth);
    if (chdir(qdir) < 0)
        msg_fatal("chdir %s: %s", qdir, strerror(errno));
    attr_encode(out, 0, ATTR_OUT_STR(ATTR_PROTOCOL, "mail_queue_list_protocol"));
    queue_scan_list(h ? h : "", (int) depth, pq_collect, out);
    vstr_addch(out, 0);
    return out;
}

/* -p shows untrusted text: control characters become '?'. */
static const char *pq_printable(VSTR *v)
{
    size_t i;

    for (i = 0; i < v->len; i++)
        if ((unsigned char) v->buf[i] < 0x20 || v->buf[i] == 0x7f)
            v->buf[i] = '?';
    return vstr_str(v);
}

static void pq_json_str(VSTR *out, const char *s)
{
    vstr_addch(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;

        switch (c) {
        case '"': vstr_adds(out, "\\\""); break;
        case '\\': vstr_adds(out, "\\\\"); break;
        case '\b': vstr_adds(out, "\\b"); break;
        case '\f': vstr_adds(out, "\\f"); break;
        case '\n': vstr_adds(out, "\\n"); break;
        case '\r': vstr_adds(out, "\\r"); break;
        case '\t': vstr_adds(out, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                vstr_printf(out, "\\u%04X", c);
            else
                vstr_addch(out, (char) c);
        }
    }
    vstr_addch(out, '"');
}

typedef struct PQ_FMT {
    int json;
    int id_width;      /* queue id + status column */
    int time_width;
    int rcpt_indent;
} PQ_FMT;

static void pq_listing(STREAM *s, const PQ_FMT *f)
{
    VSTR *qname = vstr_new(16);
    VSTR *id = vstr_new(QUEUE_ID_BUFSIZE);
    VSTR *sender = vstr_new(64);
    VSTR *rcpt = vstr_new(64);
    VSTR *reason = vstr_new(64);
    VSTR *last = vstr_new(64);
    VSTR *line = vstr_new(256);
    long arrival, size, total = 0, count = 0;
    int fexp, r;

    if (attr_scan(s, 0, ATTR_IN_STREQ(ATTR_PROTOCOL, "mail_queue_list_protocol")) != ATTR_OK)
        msg_fatal("malformed showq server reply: %s", stream_why(s));
    for (;;) {
        char tbuf[64];
        char idstat[QUEUE_ID_BUFSIZE + 2];
        struct tm *tm;
        time_t t;
        int nrcpt = 0;

        r = attr_scan(s, ATTR_MORE, ATTR_IN_STR("queue_name", qname, 64),
                      ATTR_IN_STR("queue_id", id, QUEUE_ID_MAXLEN),
                      ATTR_IN_LONG("time", &arrival), ATTR_IN_LONG("size", &size),
                      ATTR_IN_INT("forced_expire", &fexp),
                      ATTR_IN_STR("sender", sender, PQ_VALUE_MAX));
        if (r == ATTR_ENDED)
            break;
        if (r != ATTR_OK)
            msg_fatal("malformed showq server reply: %s", stream_why(s));
        vstr_reset(line);
        vstr_reset(last);
        if (f->json) {
            vstr_adds(line, "{\"queue_name\": ");
            pq_json_str(line, vstr_str(qname));
            vstr_adds(line, ", \"queue_id\": ");
            pq_json_str(line, vstr_str(id));
            vstr_printf(line, ", \"arrival_time\": %ld, \"message_size\": %ld, "
                        "\"forced_expire\": %s, \"sender\": ",
                        arrival, size, fexp ? "true" : "false");
            pq_json_str(line, vstr_str(sender));
            vstr_adds(line, ", \"recipients\": [");
        } else {
            if (count == 0)
                printf("%s\n", f->id_width > 12
                       ? "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------"
                       : "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------");
            snprintf(idstat, sizeof(idstat), "%s%s", vstr_str(id),
                     strcmp(vstr_str(qname), "active") == 0 ? "*"
                     : strcmp(vstr_str(qname), "hold") == 0 ? "!"
                     : fexp ? "#" : "");
            t = (time_t) arrival;
            tm = localtime(&t);
            if (tm == NULL || strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S", tm) == 0)
                snprintf(tbuf, sizeof(tbuf), "%ld", arrival);
            vstr_printf(line, "%-*s%8ld %-*s %s\n", f->id_width, idstat, size,
                        f->time_width, tbuf, pq_printable(sender));
        }
        for (;;) {
            r = attr_scan(s, ATTR_MORE, ATTR_IN_STR("recipient", rcpt, PQ_VALUE_MAX),
                          ATTR_IN_STR("reason", reason, PQ_VALUE_MAX));
            if (r == ATTR_ENDED)
                break;
            if (r != ATTR_OK)
                msg_fatal("malformed showq server reply: %s", stream_why(s));
            if (f->json) {
                vstr_adds(line, nrcpt ? ", {\"address\": " : "{\"address\": ");
                pq_json_str(line, vstr_str(rcpt));
                if (vstr_len(reason) > 0) {
                    vstr_adds(line, ", \"delay_reason\": ");
                    pq_json_str(line, vstr_str(reason));
                }
                vstr_addch(line, '}');
            } else {
                if (vstr_len(reason) > 0 && strcmp(vstr_str(reason), vstr_str(last)) != 0) {
                    int pad = 76 - (int) vstr_len(reason);

                    vstr_set(last, vstr_str(reason));
                    vstr_printf(line, "%*s(%s)\n", pad > 0 ? pad : 0, "", pq_printable(reason));
                }
                vstr_printf(line, "%*s%s\n", f->rcpt_indent, "", pq_printable(rcpt));
            }
            nrcpt++;
        }
        if (f->json)
            vstr_adds(line, "]}\n");
        else
            vstr_addch(line, '\n');
        fwrite(vstr_str(line), 1, vstr_len(line), stdout);
        total += size;
        count++;
    }
    if (!f->json) {
        if (count == 0)
            printf("Mail queue is empty\n");
        else
            printf("-- %ld Kbytes in %ld Request%s.\n", total / 1024, count,
                   count == 1 ? "" : "s");
    }
    vstr_free(qname);
    vstr_free(id);
    vstr_free(sender);
    vstr_free(rcpt);
    vstr_free(reason);
    vstr_free(last);
    vstr_free(line);
}

static void pq_show(const char *qdir, int json)
{
    PQ_FMT f;
    STREAM *s;
    VSTR *local = NULL;
    int fd;

    f.json = json;
    if (conf_get_bool("enable_long_queue_ids")) {
        f.id_width = 18;
        f.time_width = 19;
        f.rcpt_indent = 47;
    } else {
        f.id_width = 11;
        f.time_width = 20;
        f.rcpt_indent = 41;
    }
    if ((fd = pq_connect(qdir, "showq")) >= 0) {
        s = stream_open(fd, STREAM_CLOSE);
    } else if (getuid() == 0) {
        local = pq_local_listing(qdir);
        s = stream_open_mem(vstr_str(local), vstr_len(local));
    } else {
        msg_fatal_status(PQ_EX_UNAVAILABLE, "Queue report unavailable - mail system is down");
    }
    stream_set_limits(s, PQ_TIMEOUT_MS, 0);
    pq_listing(s, &f);
    stream_free(s);
    if (local)
        vstr_free(local);
}

/* Write a trigger to public/NAME; 0 or -1. */
static int pq_trigger(const char *qdir, const char *name, const char *req)
{
    VSTR *path = vstr_new(0);
    int ret;

    vstr_sprintf(path, "%s/public/%s", qdir, name);
    if (vstr_len(path) >= sizeof(((struct sockaddr_un *) 0)->sun_path))
        msg_fatal("queue_directory too long: %s", qdir);
    ret = trigger_send(vstr_str(path), req, strlen(req)) == 0 ? 0 : -1;
    vstr_free(path);
    return ret;
}

static void pq_flush(const char *qdir)
{
    if (pq_trigger(qdir, "qmgr", "FADI") < 0)
        msg_fatal_status(PQ_EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    (void) pq_trigger(qdir, "pickup", "W");
}

/* The flush service (lib/flush_client.h): send_site SITE or send_file ID. */
static void pq_flush_request(const char *qdir, const char *request, const char *value)
{
    switch (flush_request(qdir, request, value, PQ_TIMEOUT_MS)) {
    case FLUSH_STAT_OK:
        return;
    case FLUSH_STAT_BAD:
        msg_fatal_status(PQ_EX_USAGE, "Invalid request: \"%s\"", value);
    case FLUSH_STAT_DENY:
        msg_fatal_status(PQ_EX_UNAVAILABLE,
                         "Flush service is not configured for destination \"%s\"", value);
    case FLUSH_STAT_UNKNOWN:
        msg_fatal_status(1, "Message \"%s\" not found in the deferred queue", value);
    default:
        msg_fatal_status(PQ_EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    }
}

static void pq_usage(void)
{
    msg_fatal_status(PQ_EX_USAGE, "usage: postqueue -f | postqueue -i queueid | postqueue -j "
                     "| postqueue -p | postqueue -s site");
}

int main(int argc, char **argv)
{
    static char outbuf[64 * 1024];
    const char *config_dir = NULL;
    const char *arg = NULL;
    const char *qdir;
    int mode = 0;
    int ch;

    umask(022);
    /* A set-gid program must not let its files become descriptors 0-2. */
    for (ch = 0; ch < 3; ch++)
        if (fcntl(ch, F_GETFD) < 0 && open("/dev/null", O_RDWR) != ch)
            return 1;
    msg_init("postqueue", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    while ((ch = getopt(argc, argv, "c:fi:jps:v")) != -1) {
        switch (ch) {
        case 'c': config_dir = optarg; break;
        case 'f': case 'j': case 'p':
            if (mode) pq_usage();
            mode = ch;
            break;
        case 'i': case 's':
            if (mode) pq_usage();
            mode = ch;
            arg = optarg;
            break;
        case 'v': break;
        default: pq_usage();
        }
    }
    if (optind != argc || mode == 0)
        pq_usage();
    {
        const char *dir = config_dir ? config_dir : getenv("MAIL_CONFIG");

        conf_check_setgid_dir(dir && *dir ? dir : NULL);
    }
    conf_init(config_dir);
    qdir = conf_get("queue_directory");
    if (qdir == NULL || *qdir == 0)
        msg_fatal("queue_directory is not set");
    switch (mode) {
    case 'p': pq_show(qdir, 0); break;
    case 'j': pq_show(qdir, 1); break;
    case 'f': pq_flush(qdir); break;
    case 'i':
        if (!queue_id_valid(arg))
            msg_fatal_status(PQ_EX_USAGE, "Invalid request: \"%s\"", arg);
        pq_flush_request(qdir, FLUSH_REQ_SEND_FILE, arg);
        break;
    case 's':
        if (!flush_site_valid(arg))
            msg_fatal_status(PQ_EX_USAGE, "Invalid request: \"%s\"", arg);
        pq_flush_request(qdir, FLUSH_REQ_SEND_SITE, arg);
        break;
    }
    conf_free();
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write error on standard output: %s", strerror(errno));
    return 0;
}
