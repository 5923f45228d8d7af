/*
 * tls_tool - a test-only TLS server and client on lib/net/tls, for
 * test/e2e/tls*.sh (not installed).
 *
 *   tls_tool server [options] -l ADDR:PORT     accept one connection
 *   tls_tool client [options] -a ADDR:PORT     connect once
 *   tls_tool plain -l ADDR:PORT                a server that never speaks TLS
 *   tls_tool stall -l ADDR:PORT                a server that accepts and is silent
 *   tls_tool stall-client -a ADDR:PORT         sends half a TLS record, then waits
 *   tls_tool port ADDR                         prints a free TCP port on ADDR
 *
 * Options: -c config_dir (main.cf to read; default: none, Postfix's defaults),
 * -o name=value (as main.cf; repeatable), -t seconds (handshake and I/O
 * deadline, default 10), -m wrapper|smtp (TLS at once, or after an SMTP
 * STARTTLS exchange), -M (server: mandatory TLS parameters), -L level,
 * -H host, -N nexthop (client policy), -n namaddr (server: how to name the
 * client), -w seconds (plain/stall: how long to hold the connection),
 * -k count (server: connections to serve one after the other, default 1).
 *
 * Servers print "listening ADDR:PORT" on stdout once they accept
 * connections (port 0 picks one). After a handshake the log line goes to
 * standard error as "tls_tool: Anonymous TLS connection established ...",
 * and stdout gets "status: Untrusted", "peer_CN: ...", "fingerprint: ...",
 * "received: (using ...)" (with the folds shown as "\n\t"), then one line
 * is exchanged: the client sends "hello", the server answers "echo: hello".
 * Failures print "tls_tool: error: ..." and exit 1.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "tls.h"
#include "tls_policy.h"
#include "vstr.h"

typedef struct OPTS {
    const char *addr;
    long timeout;
    int smtp;
    int mandatory;
    const char *level, *host, *nexthop, *namaddr;
    long wait;
    long count;
} OPTS;

__attribute__((noreturn)) static void usage(void)
{
    msg_fatal("usage: tls_tool server|client|plain|stall|stall-client|port [-c dir] "
              "[-o name=value] [-l|-a addr:port] [-t secs] [-m wrapper|smtp] [-M] [-L level] "
              "[-H host] [-N nexthop] [-n namaddr] [-w secs] [-k count]");
}

static void parse_addr(const char *text, struct sockaddr_in *sin)
{
    char *copy = mem_strdup(text), *colon = strrchr(copy, ':');
    long port;

    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    if (colon == NULL || str_parse_long(colon + 1, 0, 65535, &port) < 0)
        msg_fatal("bad address:port \"%s\"", text);
    *colon = 0;
    if (inet_pton(AF_INET, copy, &sin->sin_addr) != 1)
        msg_fatal("bad IPv4 address \"%s\"", copy);
    sin->sin_port = htons((unsigned short) port);
    mem_free(copy);
}

static int listen_on(const char *text)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd, on = 1;
    char buf[INET_ADDRSTRLEN];

    parse_addr(text, &sin);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        msg_fatal("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(fd, 5) < 0)
        msg_fatal("bind/listen %s: %s", text, strerror(errno));
    getsockname(fd, (struct sockaddr *) &sin, &len);
    printf("listening %s:%d\n", inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf)),
           ntohs(sin.sin_port));
    fflush(stdout);
    return fd;
}

static int accept_one(int lfd, VSTR *namaddr, const char *name)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    char buf[INET_ADDRSTRLEN];
    int fd;

    if ((fd = accept(lfd, (struct sockaddr *) &sin, &len)) < 0)
        msg_fatal("accept: %s", strerror(errno));
    if (namaddr)
        vstr_sprintf(namaddr, "%s[%s]", name ? name : "unknown",
                     inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf)));
    return fd;
}

static int connect_to(const char *text)
{
    struct sockaddr_in sin;
    int fd;

    parse_addr(text, &sin);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        msg_fatal("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0)
        msg_fatal("connect %s: %s", text, strerror(errno));
    return fd;
}

/* plain_line - read one line byte by byte (so nothing after it is consumed) */
static int plain_line(int fd, VSTR *line)
{
    char ch;
    ssize_t r;

    vstr_reset(line);
    while ((r = read(fd, &ch, 1)) == 1) {
        if (ch == '\n')
            break;
        if (ch != '\r' && vstr_len(line) < 1000)
            vstr_addch(line, ch);
    }
    return r == 1 ? 0 : -1;
}

static void plain_write(int fd, const char *text)
{
    size_t len = strlen(text);

    if (write(fd, text, len) != (ssize_t) len)
        msg_fatal("write: %s", strerror(errno));
}

/* tls_line - read a line over TLS, bounded */
static int tls_line(TLS_SESS *s, VSTR *line, long long deadline)
{
    char ch;
    ssize_t r;

    vstr_reset(line);
    while ((r = tls_read(s, &ch, 1, deadline)) == 1) {
        if (ch == '\n')
            break;
        if (ch != '\r' && vstr_len(line) < 1000)
            vstr_addch(line, ch);
    }
    return r == 1 ? 0 : -1;
}

static void report(TLS_SESS *s)
{
    const TLS_INFO *i = tls_info(s);
    VSTR *v = vstr_new(0);
    char *cp;

    tls_log_summary(s);
    printf("status: %s\n", tls_status_name(i->status));
    printf("protocol: %s\n", i->protocol);
    printf("reused: %s\n", i->reused ? "yes" : "no");
    printf("peer_CN: %s\n", i->peer_CN);
    printf("issuer_CN: %s\n", i->issuer_CN);
    printf("fingerprint: %s\n", i->peer_cert_fprint);
    printf("pkey_fingerprint: %s\n", i->peer_pkey_fprint);
    tls_received_comment(s, v);
    printf("received: ");
    for (cp = vstr_str(v); *cp; cp++) {
        if (*cp == '\n')
            fputs("\\n", stdout);
        else if (*cp == '\t')
            fputs("\\t", stdout);
        else
            putchar(*cp);
    }
    putchar('\n');
    fflush(stdout);
    vstr_free(v);
}

/* serve_one - one connection: optional STARTTLS, handshake, one line */
static int serve_one(TLS_CTX *ctx, int fd, const OPTS *o, VSTR *namaddr)
{
    TLS_SESS *s;
    VSTR *why = vstr_new(0), *line = vstr_new(0);
    long long deadline = tls_deadline(o->timeout * 1000);
    int ret = 1;

    if (o->namaddr)
        vstr_set(namaddr, o->namaddr);
    if (o->smtp) {
        plain_write(fd, "220 tls_tool ESMTP\r\n");
        for (;;) {
            if (plain_line(fd, line) < 0) {
                msg_error("lost connection before STARTTLS");
                goto out;
            }
            if (strncasecmp(vstr_str(line), "EHLO", 4) == 0) {
                plain_write(fd, "250-tls_tool\r\n250 STARTTLS\r\n");
            } else if (strcasecmp(vstr_str(line), "STARTTLS") == 0) {
                ssize_t n = tls_fd_pending(fd);

                if (n > 0) {
                    printf("discarded %ld pipelined bytes\n", (long) tls_fd_drain(fd));
                    fflush(stdout);
                }
                plain_write(fd, "220 2.0.0 Ready to start TLS\r\n");
                break;
            } else {
                plain_write(fd, "502 5.5.2 Error: command not recognized\r\n");
            }
        }
    }
    if ((s = tls_server_start(ctx, fd, vstr_str(namaddr), deadline, why)) == NULL) {
        msg_error("SSL_accept error from %s: %s", vstr_str(namaddr), vstr_str(why));
        goto out;
    }
    report(s);
    if (tls_line(s, line, deadline) == 0) {
        printf("got: %s\n", vstr_str(line));
        fflush(stdout);
        vstr_sprintf(why, "echo: %s\r\n", vstr_str(line));
        if (tls_write(s, vstr_str(why), vstr_len(why), deadline) < 0)
            msg_error("write: %s", tls_why(s));
    }
    tls_shutdown(s, deadline);
    tls_free(s);
    ret = 0;
out:
    vstr_free(why);
    vstr_free(line);
    return ret;
}

static int run_server(const OPTS *o)
{
    TLS_SERVER_PARAMS p;
    TLS_CTX *ctx;
    VSTR *why = vstr_new(0), *namaddr = vstr_new(0);
    long i;
    int lfd, fd, ret = 0;

    tls_server_params_conf(&p, "smtpd", o->mandatory);
    if ((ctx = tls_server_init(&p, why)) == NULL) {
        msg_error("cannot set up TLS: %s", vstr_str(why));
        vstr_free(why);
        vstr_free(namaddr);
        return 1;
    }
    lfd = listen_on(o->addr);
    for (i = 0; i < o->count; i++) {
        fd = accept_one(lfd, namaddr, NULL);
        if (serve_one(ctx, fd, o, namaddr) != 0)
            ret = 1;
        close(fd);
    }
    close(lfd);
    tls_ctx_free(ctx);
    vstr_free(why);
    vstr_free(namaddr);
    return ret;
}

static int smtp_reply(int fd, VSTR *line, const char *want)
{
    do {
        if (plain_line(fd, line) < 0)
            return -1;
    } while (vstr_len(line) > 3 && vstr_str(line)[3] == '-');
    return strncmp(vstr_str(line), want, 3) == 0 ? 0 : -1;
}

static int run_client(const OPTS *o)
{
    TLS_CLIENT_PARAMS p;
    TLS_CLIENT_PROPS props;
    TLS_CTX *ctx;
    TLS_SESS *s;
    VSTR *why = vstr_new(0), *namaddr = vstr_new(0), *line = vstr_new(0);
    const char *lev = o->level ? o->level : conf_get("smtp_tls_security_level");
    long long deadline;
    int level, fd, ret = 1;

    if ((level = tls_level_parse(lev && *lev ? lev : "may")) < 0)
        msg_fatal("bad TLS security level \"%s\"", lev);
    tls_client_params_conf(&p, "smtp");
    if ((ctx = tls_client_init(&p, why)) == NULL) {
        msg_error("cannot set up TLS: %s", vstr_str(why));
        goto out0;
    }
    tls_client_props_conf(&props, "smtp", level);
    props.host = o->host ? o->host : "localhost";
    props.nexthop = o->nexthop ? o->nexthop : props.host;
    vstr_sprintf(namaddr, "%s[%.*s]:%s", props.host, (int) (strrchr(o->addr, ':') - o->addr),
                 o->addr, strrchr(o->addr, ':') + 1);
    props.namaddr = vstr_str(namaddr);
    fd = connect_to(o->addr);
    deadline = tls_deadline(o->timeout * 1000);
    if (o->smtp) {
        if (smtp_reply(fd, line, "220") < 0) {
            msg_error("no SMTP greeting from %s", vstr_str(namaddr));
            goto out1;
        }
        plain_write(fd, "EHLO client.test\r\n");
        if (smtp_reply(fd, line, "250") < 0) {
            msg_error("EHLO rejected by %s", vstr_str(namaddr));
            goto out1;
        }
        plain_write(fd, "STARTTLS\r\n");
        if (smtp_reply(fd, line, "220") < 0) {
            msg_error("STARTTLS rejected by %s: %s", vstr_str(namaddr), vstr_str(line));
            goto out1;
        }
    }
    if ((s = tls_client_start(ctx, fd, &props, deadline, why)) == NULL) {
        msg_error("TLS handshake with %s failed: %s", vstr_str(namaddr), vstr_str(why));
        goto out1;
    }
    report(s);
    if (tls_write(s, "hello\r\n", 7, deadline) < 0) {
        msg_error("write: %s", tls_why(s));
    } else if (tls_line(s, line, deadline) == 0) {
        printf("reply: %s\n", vstr_str(line));
    }
    tls_shutdown(s, deadline);
    tls_free(s);
    ret = 0;
out1:
    close(fd);
    tls_ctx_free(ctx);
out0:
    vstr_free(why);
    vstr_free(namaddr);
    vstr_free(line);
    return ret;
}

/* run_dummy - plain: send an SMTP banner and hold; stall: hold silently */
static int run_dummy(const OPTS *o, int banner)
{
    int lfd = listen_on(o->addr), fd = accept_one(lfd, NULL, NULL);

    close(lfd);

    if (banner)
        plain_write(fd, "220 plain.test ESMTP no TLS here\r\n");
    sleep((unsigned) o->wait);
    close(fd);
    return 0;
}

static int run_stall_client(const OPTS *o)
{
    int fd = connect_to(o->addr);

    plain_write(fd, "\026\003\001"); /* the start of a TLS record header */
    sleep((unsigned) o->wait);
    close(fd);
    return 0;
}

static int run_port(const char *addr)
{
    VSTR *v = vstr_new(0);
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd;

    vstr_sprintf(v, "%s:0", addr);
    parse_addr(vstr_str(v), &sin);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0
        || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0)
        msg_fatal("bind %s: %s", addr, strerror(errno));
    getsockname(fd, (struct sockaddr *) &sin, &len);
    printf("%d\n", ntohs(sin.sin_port));
    close(fd);
    vstr_free(v);
    return 0;
}

int main(int argc, char **argv)
{
    OPTS o;
    const char *mode, *dir = NULL;
    ARGV *overrides = argv_new();
    size_t i;
    int ch, ret;

    msg_init("tls_tool", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN);
    memset(&o, 0, sizeof(o));
    o.timeout = 10;
    o.wait = 10;
    o.count = 1;
    if (argc < 2)
        usage();
    mode = argv[1];
    if (strcmp(mode, "port") == 0) {
        argv_free(overrides);
        return run_port(argc > 2 ? argv[2] : "127.0.0.1");
    }
    optind = 2;
    while ((ch = getopt(argc, argv, "c:o:l:a:t:m:ML:H:N:n:w:k:")) != -1) {
        switch (ch) {
        case 'c':
            dir = optarg;
            break;
        case 'o':
            if (strchr(optarg, '=') == NULL)
                msg_fatal("-o %s: want name=value", optarg);
            argv_add(overrides, optarg);
            break;
        case 'l':
        case 'a':
            o.addr = optarg;
            break;
        case 't':
            if (str_parse_long(optarg, 1, 3600, &o.timeout) < 0)
                usage();
            break;
        case 'w':
            if (str_parse_long(optarg, 0, 3600, &o.wait) < 0)
                usage();
            break;
        case 'm':
            if (strcmp(optarg, "smtp") == 0)
                o.smtp = 1;
            else if (strcmp(optarg, "wrapper") != 0)
                usage();
            break;
        case 'k':
            if (str_parse_long(optarg, 1, 100, &o.count) < 0)
                usage();
            break;
        case 'M':
            o.mandatory = 1;
            break;
        case 'L':
            o.level = optarg;
            break;
        case 'H':
            o.host = optarg;
            break;
        case 'N':
            o.nexthop = optarg;
            break;
        case 'n':
            o.namaddr = optarg;
            break;
        default:
            usage();
        }
    }
    if (o.addr == NULL)
        usage();
    if (dir)
        conf_init(dir);
    else
        conf_init_defaults(NULL);
    for (i = 0; i < overrides->argc; i++) {
        char *eq = strchr(overrides->argv[i], '=');

        *eq = 0;
        conf_override(str_trim(overrides->argv[i]), str_trim(eq + 1));
    }
    if (strcmp(mode, "server") == 0)
        ret = run_server(&o);
    else if (strcmp(mode, "client") == 0)
        ret = run_client(&o);
    else if (strcmp(mode, "plain") == 0)
        ret = run_dummy(&o, 1);
    else if (strcmp(mode, "stall") == 0)
        ret = run_dummy(&o, 0);
    else if (strcmp(mode, "stall-client") == 0)
        ret = run_stall_client(&o);
    else
        usage();
    argv_free(overrides);
    conf_free();
    return ret;
}
