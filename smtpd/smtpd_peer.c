/*
 * smtpd_peer - client address and name (see smtpd_peer.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../lib/addr.h"
#include "../lib/argv.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/dns.h"
#include "../lib/server.h"
#include "../lib/strutil.h"
#include "smtpd_peer.h"

struct SMTPD_HOSTS {
    ARGV *addrs;        /* parallel arrays: address text, host name */
    ARGV *names;
};

SMTPD_HOSTS *smtpd_hosts_read(const char *path)
{
    SMTPD_HOSTS *h = mem_calloc(1, sizeof(*h));
    FILE *fp;
    char buf[4096];

    h->addrs = argv_new();
    h->names = argv_new();
    if ((fp = fopen(path, "r")) == NULL)
        return h;
    while (fgets(buf, sizeof(buf), fp) != NULL && h->addrs->argc < SMTPD_HOSTS_MAX) {
        char *cp = buf, *hash = strchr(buf, '#'), *addr, *name;
        unsigned char bin[16];

        if (strchr(buf, '\n') == NULL && !feof(fp)) {
            int c;

            while ((c = getc(fp)) != EOF && c != '\n')
                ;
            continue;
        }
        if (hash)
            *hash = 0;
        if ((addr = str_token(&cp, STR_SPACE)) == NULL)
            continue;
        if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
            continue;
        while ((name = str_token(&cp, STR_SPACE)) != NULL && h->addrs->argc < SMTPD_HOSTS_MAX) {
            argv_add(h->addrs, addr);
            argv_add(h->names, name);
        }
    }
    fclose(fp);
    return h;
}

void smtpd_hosts_free(SMTPD_HOSTS *h)
{
    if (h == NULL)
        return;
    argv_free(h->addrs);
    argv_free(h->names);
    mem_free(h);
}

const char *smtpd_hosts_name(const SMTPD_HOSTS *h, const char *addr)
{
    size_t i;

    if (h == NULL)
        return NULL;
    for (i = 0; i < h->addrs->argc; i++)
        if (strcmp(h->addrs->argv[i], addr) == 0)
            return h->names->argv[i];
    return NULL;
}

int smtpd_hosts_has(const SMTPD_HOSTS *h, const char *name, const char *addr)
{
    size_t i;

    if (h == NULL)
        return 0;
    for (i = 0; i < h->addrs->argc; i++)
        if (strcasecmp(h->names->argv[i], name) == 0 && strcmp(h->addrs->argv[i], addr) == 0)
            return 1;
    return 0;
}

/* Address and port text of a socket address; IPv4-mapped becomes IPv4. */
static int smtpd_peer_format(const struct sockaddr_storage *ss, char *addr, size_t asize,
                             char *port, size_t psize)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;

        inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t) asize);
        snprintf(port, psize, "%u", (unsigned) ntohs(sin->sin_port));
        return AF_INET;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;

        snprintf(port, psize, "%u", (unsigned) ntohs(sin6->sin6_port));
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            inet_ntop(AF_INET, sin6->sin6_addr.s6_addr + 12, addr, (socklen_t) asize);
            return AF_INET;
        }
        inet_ntop(AF_INET6, &sin6->sin6_addr, addr, (socklen_t) asize);
        return AF_INET6;
    }
    snprintf(addr, asize, "unknown");
    snprintf(port, psize, "0");
    return 0;
}

static void smtpd_peer_names(SMTPD_STATE *state)
{
    const SMTPD_CONF *conf = state->conf;
    const char *ptr;
    DNS_REPLY *r;
    int st;

    snprintf(state->name, sizeof(state->name), "unknown");
    snprintf(state->reverse_name, sizeof(state->reverse_name), "unknown");
    state->name_status = SMTPD_PEER_NONAME;
    if (!conf->peername_lookup || state->family == 0)
        return;
    if ((ptr = smtpd_hosts_name(conf->hosts, state->addr)) != NULL
        && addr_valid_hostname(ptr, 0)) {
        snprintf(state->reverse_name, sizeof(state->reverse_name), "%s", ptr);
        snprintf(state->name, sizeof(state->name), "%s", ptr);
        state->name_status = SMTPD_PEER_OK;
        return;
    }
    if (conf->dns == NULL)
        return;
    r = dns_reply_new();
    st = dns_lookup_ptr(conf->dns, state->addr, r);
    if (st == DNS_OK && r->rrs && r->rrs->text[0] && strlen(r->rrs->text) < sizeof(state->name)) {
        char host[256];

        snprintf(host, sizeof(host), "%s", r->rrs->text);
        snprintf(state->reverse_name, sizeof(state->reverse_name), "%s", host);
        if (smtpd_hosts_has(conf->hosts, host, state->addr))
            st = DNS_OK;
        else
            st = dns_forward_confirm(conf->dns, host, state->addr, r);
        if (st == DNS_OK) {
            snprintf(state->name, sizeof(state->name), "%s", host);
            state->name_status = SMTPD_PEER_OK;
        } else {
            state->name_status = st == DNS_RETRY ? SMTPD_PEER_TEMP : SMTPD_PEER_NONAME;
        }
    } else {
        state->name_status = st == DNS_RETRY ? SMTPD_PEER_TEMP : SMTPD_PEER_NONAME;
    }
    dns_reply_free(r);
}

int smtpd_peer_is_local(const SMTPD_STATE *state)
{
    size_t i;

    if (strcmp(state->addr, state->server_addr) == 0)
        return 1;
    for (i = 0; state->conf->interfaces && i < state->conf->interfaces->argc; i++)
        if (strcmp(state->conf->interfaces->argv[i], state->addr) == 0)
            return 1;
    return 0;
}

int smtpd_peer_reverse_status(const SMTPD_STATE *state)
{
    if (strcmp(state->reverse_name, "unknown") != 0)
        return SMTPD_PEER_OK;
    return state->name_status == SMTPD_PEER_TEMP ? SMTPD_PEER_TEMP : SMTPD_PEER_NONAME;
}

void smtpd_peer_init(SMTPD_STATE *state, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (server_peer_addr(fd, (struct sockaddr *) &ss, &len) < 0)
        ss.ss_family = 0;
    state->family = smtpd_peer_format(&ss, state->addr, sizeof(state->addr), state->port,
                                      sizeof(state->port));
    len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (server_local_addr(fd, (struct sockaddr *) &ss, &len) < 0)
        ss.ss_family = 0;
    smtpd_peer_format(&ss, state->server_addr, sizeof(state->server_addr), state->server_port,
                      sizeof(state->server_port));
    smtpd_peer_names(state);
    if (state->conf->port_logging)
        snprintf(state->namaddr, sizeof(state->namaddr), "%s[%s]:%s", state->name, state->addr,
                 state->port);
    else
        snprintf(state->namaddr, sizeof(state->namaddr), "%s[%s]", state->name, state->addr);
}
