/*
 * table_proxy - proxy: tables through the proxymap service (see table_proxy.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attr.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "stream.h"
#include "table_proxy.h"
#include "unix_connect.h"

typedef struct TABLE_PROXY {
    TABLE t;
    STREAM *s;          /* NULL: not connected */
    VSTR *value;
} TABLE_PROXY;

static int table_proxy_connect(TABLE_PROXY *p)
{
    VSTR *path = vstr_new(0);
    const char *service = conf_get("proxymap_service_name");
    int fd;

    vstr_sprintf(path, "private/%s", service ? service : "proxymap");
    if ((fd = unix_connect(vstr_str(path))) < 0) {
        vstr_sprintf(path, "%s/private/%s", conf_get("queue_directory"),
                     service ? service : "proxymap");
        fd = unix_connect(vstr_str(path));
    }
    if (fd < 0) {
        msg_warn("%s: connect to %s: %s", p->t.spec, vstr_str(path), strerror(errno));
        vstr_free(path);
        return -1;
    }
    vstr_free(path);
    p->s = stream_open(fd, STREAM_CLOSE);
    stream_set_limits(p->s, TABLE_PROXY_TIMEOUT, TABLE_PROXY_MAX + 1024);
    return 0;
}

static void table_proxy_disconnect(TABLE_PROXY *p)
{
    if (p->s) {
        stream_free(p->s);
        p->s = NULL;
    }
}

/* One request: 0 with *status, or -1 when the conversation failed. */
static int table_proxy_request(TABLE_PROXY *p, const char *key, int *status)
{
    int r;

    if (p->s == NULL && table_proxy_connect(p) < 0)
        return -1;
    if (attr_print(p->s, 0, ATTR_OUT_STR("request", "lookup"),
                   ATTR_OUT_STR("table", p->t.name), ATTR_OUT_INT("flags", p->t.flags),
                   ATTR_OUT_STR("key", key)) < 0)
        return -1;
    r = attr_scan(p->s, 0, ATTR_IN_INT("status", status),
                  ATTR_IN_STR("value", p->value, TABLE_PROXY_MAX));
    return r == ATTR_OK ? 0 : -1;
}

static const char *table_proxy_lookup(TABLE *t, const char *key)
{
    TABLE_PROXY *p = (TABLE_PROXY *) t;
    int status = TABLE_PROXY_BAD, attempt;

    if (strlen(key) > TABLE_PROXY_MAX) {
        t->error = TABLE_ERR_CONFIG;
        return NULL;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        if (table_proxy_request(p, key, &status) == 0)
            break;
        if (p->s)
            msg_warn("%s: proxymap conversation failed: %s", t->spec, stream_why(p->s));
        table_proxy_disconnect(p);
    }
    if (attempt == 2) {
        t->error = TABLE_ERR_RETRY;
        return NULL;
    }
    switch (status) {
    case TABLE_PROXY_OK:
        t->error = TABLE_OK;
        return vstr_str(p->value);
    case TABLE_PROXY_NOKEY:
        t->error = TABLE_OK;
        return NULL;
    case TABLE_PROXY_DENY:
        msg_warn("%s: proxymap refuses the table: add \"%s\" to proxy_read_maps", t->spec,
                 t->spec);
        break;
    case TABLE_PROXY_CONFIG:
        msg_warn("%s: proxymap cannot open the table", t->spec);
        break;
    default:
        break;
    }
    t->error = TABLE_ERR_RETRY;
    return NULL;
}

static void table_proxy_close(TABLE *t)
{
    TABLE_PROXY *p = (TABLE_PROXY *) t;

    table_proxy_disconnect(p);
    vstr_free(p->value);
    table_free_base(t);
}

TABLE *table_proxy_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_PROXY *p;
    const char *colon = strchr(name, ':');

    if (mode != TABLE_READ) {
        vstr_sprintf(why, "%s:%s: proxy tables are read-only here", type, name);
        return NULL;
    }
    if (colon == NULL || colon == name || strncmp(name, "proxy:", 6) == 0) {
        vstr_sprintf(why, "%s:%s: expecting proxy:type:name", type, name);
        return NULL;
    }
    p = (TABLE_PROXY *) table_alloc(sizeof(*p), type, name, mode, flags & ~TABLE_FLAG_FOLD, 0);
    p->value = vstr_new(64);
    p->t.lookup = table_proxy_lookup;
    p->t.close = table_proxy_close;
    return &p->t;
}
