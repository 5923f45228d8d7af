/* master_serv - master.cf entries and their listening endpoints; see master_serv.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "mastercf.h"
#include "master_serv.h"
#include "mem.h"
#include "msg.h"
#include "vstr.h"

#define LISTEN_BACKLOG 100

/* A message for the caller, to mem_free(). */
__attribute__((format(printf, 1, 2))) static char *serv_err(const char *fmt, ...)
{
    VSTR *v = vstr_new(100);
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(v, fmt, ap);
    va_end(ap);
    return vstr_export(v);
}

static MASTER_SERV *serv_new(const MASTERCF_ENT *ent)
{
    MASTER_SERV *serv = mem_calloc(1, sizeof(*serv));
    VSTR *v = vstr_new(100);
    size_t i;

    serv->name = mem_strdup(ent->name);
    serv->type = mem_strdup(ent->type);
    serv->private_ = ent->private_;
    serv->unpriv = ent->unpriv;
    serv->chroot = ent->chroot;
    serv->wakeup = ent->wakeup;
    serv->wakeup_if_used = ent->wakeup_if_used;
    serv->maxproc = ent->maxproc;
    serv->line = ent->line;
    serv->host = ent->host ? mem_strdup(ent->host) : NULL;
    serv->port = mem_strdup(ent->port);
    /* master(5): relative to daemon_directory, unless an absolute path name. */
    if (ent->command[0] == '/')
        vstr_set(v, ent->command);
    else
        vstr_sprintf(v, "%s/%s", conf_get("daemon_directory"), ent->command);
    serv->path = mem_strdup(vstr_str(v));
    serv->args = argv_new();
    for (i = 1; i < ent->args->argc; i++)
        argv_add(serv->args, ent->args->argv[i]);
    vstr_sprintf(v, "%s\n%s\n%d\n%s", ent->name, ent->type, ent->private_,
                 conf_get("queue_directory"));
    if (strcmp(ent->type, "inet") == 0)
        vstr_printf(v, "\n%s\n%s", conf_get("inet_interfaces"), conf_get("inet_protocols"));
    serv->endpoint = vstr_export(v);
    serv->nfds = 0;
    return serv;
}

MASTER_SERV *master_serv_load(char **err)
{
    VSTR *path = vstr_new(100);
    MASTERCF *m;
    MASTER_SERV *head = NULL, **tail = &head, *serv;
    size_t i;
    const char *disable = conf_get("master_service_disable");
    ARGV *off = argv_split(disable ? disable : "", ", \t\r\n");
    VSTR *key = vstr_new(100);
    size_t j;
    int skip;

    vstr_sprintf(path, "%s/master.cf", conf_dir());
    m = mastercf_read(vstr_str(path), err);
    vstr_free(path);
    if (m == NULL) {
        argv_free(off);
        vstr_free(key);
        return NULL;
    }
    for (i = 0; i < m->count; i++) {
        /* master_service_disable: "name/type" or "type" (inet) entries to skip. */
        vstr_sprintf(key, "%s/%s", m->ents[i]->name, m->ents[i]->type);
        for (skip = 0, j = 0; j < off->argc; j++)
            if (strcmp(off->argv[j], vstr_str(key)) == 0 || strcmp(off->argv[j], m->ents[i]->type) == 0)
                skip = 1;
        if (skip)
            continue;
        serv = serv_new(m->ents[i]);
        *tail = serv;
        tail = &serv->next;
    }
    argv_free(off);
    vstr_free(key);
    mastercf_free(m);
    return head;
}

static int serv_add_fd(MASTER_SERV *serv, int fd, char **err)
{
    if (serv->nfds >= (int) (sizeof(serv->fds) / sizeof(serv->fds[0]))) {
        close(fd);
        *err = serv_err("service %s/%s: too many listening sockets", serv->name, serv->type);
        return -1;
    }
    serv->fds[serv->nfds++] = fd;
    return 0;
}

/* One inet socket per address; IPv6 sockets are IPv6-only so that 0.0.0.0 can coexist. */
static int serv_inet_bind(MASTER_SERV *serv, const struct addrinfo *ai, char **err)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    int fd, on = 1;

    getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), port, sizeof(port),
                NI_NUMERICHOST | NI_NUMERICSERV);
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == EAFNOSUPPORT) {
            msg_warn("service %s: %s is not supported here; skipping %s", serv->name,
                     ai->ai_family == AF_INET6 ? "IPv6" : "IPv4", host);
            return 0;
        }
        *err = serv_err("socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        *err = serv_err("bind %s port %s: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    return serv_add_fd(serv, fd, err);
}

static int serv_family_wanted(int family, const char *protocols)
{
    ARGV *a = argv_split(protocols, ", \t\r\n");
    size_t i;
    int yes = 0;

    for (i = 0; i < a->argc; i++) {
        if (strcmp(a->argv[i], "all") == 0)
            yes = 1;
        else if (strcmp(a->argv[i], "ipv4") == 0 && family == AF_INET)
            yes = 1;
        else if (strcmp(a->argv[i], "ipv6") == 0 && family == AF_INET6)
            yes = 1;
    }
    argv_free(a);
    return yes;
}

static int serv_inet_host(MASTER_SERV *serv, const char *host, const char *port, int family,
                          char **err)
{
    struct addrinfo hints, *res, *ai;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
        /* An address of the other family is simply not ours to open. */
        if (host && (rc == EAI_ADDRFAMILY || rc == EAI_NONAME || rc == EAI_FAMILY))
            return 0;
        *err = serv_err("service %s: host %s port %s: %s", serv->name, host ? host : "*",
                        port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if (serv_inet_bind(serv, ai, err) < 0) {
            freeaddrinfo(res);
            return -1;
        }
    }
    freeaddrinfo(res);
    return 0;
}

static int serv_listen_inet(MASTER_SERV *serv, char **err)
{
    const char *protocols = conf_get("inet_protocols");
    const int families[] = {AF_INET, AF_INET6};
    ARGV *hosts;
    const char *port = serv->port;
    size_t i, f;
    int rc = 0;

    if (serv->host)
        hosts = argv_split(serv->host, "");
    else
        hosts = argv_split(conf_get("inet_interfaces"), ", \t\r\n");
    for (i = 0; rc == 0 && i < hosts->argc; i++) {
        for (f = 0; rc == 0 && f < 2; f++) {
            const char *h = hosts->argv[i];

            if (!serv_family_wanted(families[f], protocols))
                continue;
            if (strcmp(h, "all") == 0 || strcmp(h, "*") == 0)
                rc = serv_inet_host(serv, NULL, port, families[f], err);
            else if (strcmp(h, "loopback-only") == 0 || strcmp(h, "localhost") == 0)
                rc = serv_inet_host(serv, families[f] == AF_INET ? "127.0.0.1" : "::1", port,
                                    families[f], err);
            else
                rc = serv_inet_host(serv, h, port, families[f], err);
        }
    }
    if (rc == 0 && serv->nfds == 0) {
        *err = serv_err("service %s: no address to listen on (inet_interfaces = %s, "
                        "inet_protocols = %s)", serv->name, conf_get("inet_interfaces"), protocols);
        rc = -1;
    }
    argv_free(hosts);
    return rc;
}

/* Owner of the socket files: mail_owner, group mail_owner's (private) or setgid_group (public). */
static int serv_owner(const MASTER_SERV *serv, uid_t *uid, gid_t *gid, char **err)
{
    struct passwd *pw = getpwnam(conf_get("mail_owner"));
    struct group *gr;

    if (pw == NULL) {
        *err = serv_err("unknown mail_owner user: %s", conf_get("mail_owner"));
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (!serv->private_) {
        if ((gr = getgrnam(conf_get("setgid_group"))) == NULL) {
            *err = serv_err("unknown setgid_group group: %s", conf_get("setgid_group"));
            return -1;
        }
        *gid = gr->gr_gid;
    }
    return 0;
}

static int serv_listen_local(MASTER_SERV *serv, char **err)
{
    struct sockaddr_un sun;
    VSTR *path = vstr_new(100);
    int dgram = strcmp(serv->type, "unix-dgram") == 0;
    int fifo = strcmp(serv->type, "fifo") == 0;
    uid_t uid;
    gid_t gid;
    int fd;

    if (serv_owner(serv, &uid, &gid, err) < 0) {
        vstr_free(path);
        return -1;
    }
    vstr_sprintf(path, "%s/%s/%s", conf_get("queue_directory"), serv->private_ ? "private" : "public",
                 serv->name);
    serv->sock_path = vstr_export(path);
    if (strlen(serv->sock_path) >= sizeof(sun.sun_path)) {
        *err = serv_err("service %s: socket path too long: %s", serv->name, serv->sock_path);
        return -1;
    }
    if (unlink(serv->sock_path) < 0 && errno != ENOENT) {
        *err = serv_err("remove %s: %s", serv->sock_path, strerror(errno));
        return -1;
    }
    /*
     * private/ and public/ belong to mail_owner, so a process running as
     * mail_owner could swap the new node for a symbolic link at any moment:
     * nothing here follows one. The mode comes from the umask at creation
     * (no chmod by name), the FIFO is opened with O_NOFOLLOW and checked,
     * and the owner is set with fchown (FIFO) or lchown (socket).
     */
    if (fifo) {
        struct stat st;
        mode_t old = umask(0);
        int rc = mkfifo(serv->sock_path, 0622);

        umask(old);
        if (rc < 0
            || (fd = open(serv->sock_path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) < 0) {
            *err = serv_err("fifo %s: %s", serv->sock_path, strerror(errno));
            return -1;
        }
        if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
            close(fd);
            *err = serv_err("fifo %s: replaced while it was being made", serv->sock_path);
            return -1;
        }
        if (fchown(fd, uid, gid) < 0)
            msg_warn("chown %s: %s", serv->sock_path, strerror(errno));
    } else {
        mode_t old;
        int rc;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, serv->sock_path, strlen(serv->sock_path) + 1);
        fd = socket(AF_UNIX, (dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *err = serv_err("socket %s: %s", serv->sock_path, strerror(errno));
            return -1;
        }
        old = umask(0111);      /* the socket node: 0666 */
        rc = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
        umask(old);
        if (rc < 0 || (!dgram && listen(fd, LISTEN_BACKLOG) < 0)) {
            *err = serv_err("bind %s: %s", serv->sock_path, strerror(errno));
            close(fd);
            return -1;
        }
        if (lchown(serv->sock_path, uid, gid) < 0)
            msg_warn("chown %s: %s", serv->sock_path, strerror(errno));
    }
    return serv_add_fd(serv, fd, err);
}

int master_serv_listen(MASTER_SERV *serv, char **err)
{
    int rc;

    if (serv->nfds > 0)
        msg_panic("master_serv_listen: %s/%s is already listening", serv->name, serv->type);
    if (strcmp(serv->type, "inet") == 0)
        rc = serv_listen_inet(serv, err);
    else if (strcmp(serv->type, "unix") == 0 || strcmp(serv->type, "unix-dgram") == 0
             || strcmp(serv->type, "fifo") == 0 || strcmp(serv->type, "pass") == 0)
        rc = serv_listen_local(serv, err);
    else {
        *err = serv_err("service %s: unsupported type %s", serv->name, serv->type);
        rc = -1;
    }
    if (rc < 0)
        master_serv_close(serv);
    return rc;
}

void master_serv_close(MASTER_SERV *serv)
{
    int i;

    for (i = 0; i < serv->nfds; i++)
        close(serv->fds[i]);
    serv->nfds = 0;
    if (serv->sock_path) {
        unlink(serv->sock_path);
        mem_free(serv->sock_path);
        serv->sock_path = NULL;
    }
}

int master_serv_same_endpoint(const MASTER_SERV *a, const MASTER_SERV *b)
{
    return strcmp(a->endpoint, b->endpoint) == 0;
}

void master_serv_wakeup(MASTER_SERV *serv)
{
    struct sockaddr_un sun;
    int fd;

    if (serv->sock_path == NULL)
        return;                 /* inet: no wakeup, as in Postfix */
    if (strcmp(serv->type, "fifo") == 0) {
        /* master's own descriptor of the FIFO: nothing opened by name as root. */
        if (serv->nfds < 1 || write(serv->fds[0], "W", 1) != 1)
            msg_warn("wakeup %s: %s", serv->sock_path, serv->nfds < 1 ? "not open" : strerror(errno));
        return;
    } else if (strcmp(serv->type, "unix") == 0) {
        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, serv->sock_path, strlen(serv->sock_path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
            msg_warn("wakeup %s: %s", serv->sock_path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return;
        }
    } else {
        return;
    }
    if (write(fd, "W", 1) != 1)
        msg_warn("wakeup %s: %s", serv->sock_path, strerror(errno));
    close(fd);
}

void master_serv_free(MASTER_SERV *serv)
{
    master_serv_close(serv);
    mem_free(serv->name);
    mem_free(serv->type);
    mem_free(serv->path);
    mem_free(serv->host);
    mem_free(serv->port);
    mem_free(serv->endpoint);
    argv_free(serv->args);
    mem_free(serv);
}
