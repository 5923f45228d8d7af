/*
 * proxymap - read-only lookups for daemons that cannot open a table
 * themselves (master.cf: proxymap unix - - n - - proxymap).
 *
 * Why: smtpd runs chrooted and unprivileged; the default
 * local_recipient_maps = proxy:unix:passwd.byname $alias_maps needs the
 * password database, which is not inside the chroot. proxymap runs outside
 * the chroot and answers lookups over private/proxymap with the protocol
 * described in lib/table_proxy.h (the client side).
 *
 * What it trusts: its configuration. What it does not: its clients, which
 * are other Postern daemons but get only what proxy_read_maps allows: a
 * table is served only when proxy_read_maps names it with the "proxy:"
 * prefix (as Postfix requires); anything else is refused with
 * TABLE_PROXY_DENY and a warning. Requests are strictly checked (attr.h)
 * and bounded (TABLE_PROXY_MAX bytes); a malformed one closes that client.
 *
 * One process serves many clients (server_multi_main); tables are opened
 * at their first use and kept (table.c re-opens a file that changed).
 */
#include <stdio.h>
#include <string.h>

#include "../lib/attr.h"
#include "../lib/conf.h"
#include "../lib/htable.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/server.h"
#include "../lib/stream.h"
#include "../lib/table.h"
#include "../lib/table_proxy.h"

#define PROXYMAP_LIST_SEP " \t\r\n,"

typedef struct PROXYMAP {
    HTABLE *allowed;        /* type:name -> "" (proxy_read_maps minus "proxy:") */
    HTABLE *tables;         /* type:name -> TABLE (NULL: could not open) */
    HTABLE *clients;        /* "fd" -> STREAM */
} PROXYMAP;

/* proxy_read_maps words that start with "proxy:", without it. */
static void proxymap_allowed(PROXYMAP *pm)
{
    const char *v = conf_get("proxy_read_maps"), *p, *start;
    int depth;

    pm->allowed = htable_new(32);
    for (p = v ? v : ""; *p;) {
        while (*p && strchr(PROXYMAP_LIST_SEP, *p))
            p++;
        if (*p == 0)
            break;
        start = p;
        depth = 0;
        while (*p && (depth > 0 || !strchr(PROXYMAP_LIST_SEP, *p))) {
            if (*p == '{')
                depth++;
            else if (*p == '}' && depth > 0)
                depth--;
            p++;
        }
        if ((size_t) (p - start) > 6 && strncmp(start, "proxy:", 6) == 0) {
            char *name = mem_strndup(start + 6, (size_t) (p - start) - 6);

            htable_put(pm->allowed, name, NULL);
            mem_free(name);
        }
    }
}

static TABLE *proxymap_table(PROXYMAP *pm, const char *name)
{
    VSTR *why;
    TABLE *t;

    if (htable_has(pm->tables, name))
        return htable_get(pm->tables, name);
    why = vstr_new(0);
    t = table_open(name, TABLE_READ, TABLE_FLAGS_READ, why);
    if (t == NULL)
        msg_warn("open %s: %s", name, vstr_str(why));
    htable_put(pm->tables, name, t);
    vstr_free(why);
    return t;
}

/* One request from s: 0 answered, -1 close the client. */
static int proxymap_request(PROXYMAP *pm, STREAM *s)
{
    VSTR *request = vstr_new(16), *table = vstr_new(64), *key = vstr_new(64);
    int flags = 0, status = TABLE_PROXY_BAD, r;
    const char *value = NULL;
    TABLE *t;

    r = attr_scan(s, 0, ATTR_IN_STR("request", request, 32),
                  ATTR_IN_STR("table", table, 4096), ATTR_IN_INT("flags", &flags),
                  ATTR_IN_STR("key", key, TABLE_PROXY_MAX));
    if (r != ATTR_OK) {
        if (r != ATTR_EOF)
            msg_warn("bad request: %s", stream_why(s));
        vstr_free(request);
        vstr_free(table);
        vstr_free(key);
        return -1;
    }
    if (strcmp(vstr_str(request), "lookup") != 0) {
        status = TABLE_PROXY_BAD;
    } else if (!htable_has(pm->allowed, vstr_str(table))) {
        msg_warn("request for unapproved table: \"%s\"", vstr_str(table));
        status = TABLE_PROXY_DENY;
    } else if ((t = proxymap_table(pm, vstr_str(table))) == NULL) {
        status = TABLE_PROXY_CONFIG;
    } else if ((value = table_lookup(t, vstr_str(key))) != NULL) {
        status = TABLE_PROXY_OK;
    } else if (t->error == TABLE_OK) {
        status = TABLE_PROXY_NOKEY;
    } else {
        status = TABLE_PROXY_RETRY;
    }
    r = attr_print(s, 0, ATTR_OUT_INT("status", status),
                   ATTR_OUT_STR("value", status == TABLE_PROXY_OK ? value : ""));
    vstr_free(request);
    vstr_free(table);
    vstr_free(key);
    return r < 0 ? -1 : 0;
}

static void proxymap_post_jail(SERVER *srv)
{
    PROXYMAP *pm = srv->context;

    proxymap_allowed(pm);
    pm->tables = htable_new(16);
    pm->clients = htable_new(16);
}

static int proxymap_open(SERVER *srv, int fd)
{
    PROXYMAP *pm = srv->context;
    char name[32];
    STREAM *s = stream_open(fd, 0);

    stream_set_limits(s, TABLE_PROXY_TIMEOUT, TABLE_PROXY_MAX + 8192);
    snprintf(name, sizeof(name), "%d", fd);
    htable_put(pm->clients, name, s);
    return 0;
}

static int proxymap_read(SERVER *srv, int fd)
{
    PROXYMAP *pm = srv->context;
    char name[32];
    STREAM *s;

    snprintf(name, sizeof(name), "%d", fd);
    if ((s = htable_get(pm->clients, name)) == NULL)
        return -1;
    do {
        if (proxymap_request(pm, s) < 0) {
            stream_free(htable_remove(pm->clients, name));
            return -1;      /* the skeleton closes fd */
        }
    } while (stream_buffered(s) > 0);
    return 0;
}

static void proxymap_free_table(void *t)
{
    if (t)
        table_close(t);
}

static void proxymap_free_stream(void *s)
{
    stream_free(s);
}

static void proxymap_exit(SERVER *srv)
{
    PROXYMAP *pm = srv->context;

    if (pm->allowed)
        htable_free(pm->allowed, NULL);
    if (pm->tables)
        htable_free(pm->tables, proxymap_free_table);
    if (pm->clients)
        htable_free(pm->clients, proxymap_free_stream);
    memset(pm, 0, sizeof(*pm));
}

int main(int argc, char **argv)
{
    static PROXYMAP pm;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.post_jail = proxymap_post_jail;
    ops.multi_open = proxymap_open;
    ops.multi_read = proxymap_read;
    ops.on_exit = proxymap_exit;
    ops.context = &pm;
    server_multi_main(argc, argv, &ops);
}
