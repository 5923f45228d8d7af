/*
 * table_proxy - the "proxy:" table type: lookups answered by the proxymap
 * service (postmap/proxymap.c), so that a chrooted, unprivileged daemon can
 * use tables it could not open itself (unix:passwd.byname inside a chroot,
 * files only root may read).
 *
 * Usage: t = table_proxy_open("proxy", "unix:passwd.byname", TABLE_READ,
 * TABLE_FLAGS_READ, why), then table_lookup(t, key) as for any table.
 * Opening never touches the network: the connection to
 * $queue_directory/private/$proxymap_service_name is made at the first
 * lookup (so a daemon may open the table before chroot and look up after),
 * kept for later lookups, and made again once when it breaks. The path is
 * tried relative to the current directory first (a daemon is in the queue
 * directory or chrooted into it), then under queue_directory.
 *
 * THE PROTOCOL (attr.h encoding), one request per lookup:
 *   client -> proxymap  request=lookup table=TYPE:NAME flags=INT key=KEY
 *   proxymap -> client  status=INT value=TEXT
 * status: TABLE_PROXY_OK (value is the result), TABLE_PROXY_NOKEY,
 * TABLE_PROXY_RETRY (the table failed, try later), TABLE_PROXY_BAD (a
 * malformed request), TABLE_PROXY_DENY (the table is not listed in
 * proxy_read_maps), TABLE_PROXY_CONFIG (the table cannot be opened).
 * Keys and values are bounded by TABLE_PROXY_MAX bytes. Key folding is the
 * server's: it folds for the real table's type.
 *
 * Error policy: nothing exits. A service that cannot be reached, a broken
 * reply, DENY or CONFIG make the lookup fail with TABLE_ERR_RETRY (a
 * temporary failure for the caller: smtpd answers 451) and a warning.
 * Only TABLE_READ is supported (proxywrite is not implemented).
 */
#ifndef POSTERN_TABLE_PROXY_H
#define POSTERN_TABLE_PROXY_H

#include "table.h"

#define TABLE_PROXY_OK 0
#define TABLE_PROXY_NOKEY 1
#define TABLE_PROXY_RETRY 2
#define TABLE_PROXY_BAD 3
#define TABLE_PROXY_DENY 4
#define TABLE_PROXY_CONFIG 5

#define TABLE_PROXY_MAX 65536       /* bytes in a key or a value */
#define TABLE_PROXY_TIMEOUT 100000  /* ms per request */

TABLE *table_proxy_open(const char *type, const char *name, int mode, int flags, VSTR *why);

#endif
