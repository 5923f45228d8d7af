/*
 * smtpd_peer - who the client is: address, port, and a name we can trust.
 *
 * smtpd_hosts_read(path) reads /etc/hosts (before chroot; at most
 * SMTPD_HOSTS_MAX entries, lines of at most 4096 bytes, a bad line is
 * skipped) so that names the system knows locally (localhost) resolve as
 * the C library would, before DNS is asked.
 * smtpd_peer_init(state, fd) fills state->addr, port, server_addr,
 * server_port, family (an IPv4-mapped IPv6 address becomes IPv4), then,
 * when conf->peername_lookup, the reverse name: the PTR name (hosts file
 * first, then DNS through conf->dns) goes to reverse_name and, when its
 * forward lookup gives the client address back, to name; otherwise the
 * name is "unknown" (Postfix's rule). namaddr, for logs, is "name[addr]"
 * ("name[addr]:port" with smtpd_client_port_logging). name_status / reverse_status say
 * SMTPD_PEER_OK, SMTPD_PEER_NONAME (no such name, permanent) or
 * SMTPD_PEER_TEMP (a DNS timeout or SERVFAIL) for the restrictions.
 * A name that is not a valid host name is treated as no name.
 * smtpd_peer_is_local() says whether the client address is one of this
 * host's interface addresses (conf->interfaces, or the server address).
 * Error policy: a socket that cannot be examined gives "unknown" and
 * address "unknown"; nothing here exits.
 */
#ifndef POSTERN_SMTPD_PEER_H
#define POSTERN_SMTPD_PEER_H

#include "smtpd.h"

#define SMTPD_PEER_OK 0
#define SMTPD_PEER_NONAME 1
#define SMTPD_PEER_TEMP 2

#define SMTPD_HOSTS_MAX 10000

typedef struct SMTPD_HOSTS SMTPD_HOSTS;

SMTPD_HOSTS *smtpd_hosts_read(const char *path);
void smtpd_hosts_free(SMTPD_HOSTS *h);
const char *smtpd_hosts_name(const SMTPD_HOSTS *h, const char *addr);
int smtpd_hosts_has(const SMTPD_HOSTS *h, const char *name, const char *addr);
void smtpd_peer_init(SMTPD_STATE *state, int fd);
int smtpd_peer_reverse_status(const SMTPD_STATE *state);
int smtpd_peer_is_local(const SMTPD_STATE *state);

#endif
