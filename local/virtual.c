/*
 * virtual - the delivery agent for mailboxes that are not system accounts
 * (stock master.cf: "virtual unix - n n - - virtual": root, not chrooted).
 *
 * Per recipient of a request from qmgr (lib/deliver.h):
 *   1. a Delivered-To: header in the message equal to the recipient is a
 *      mail loop: bounce 5.4.6 "mail forwarding loop for ADDR";
 *   2. virtual_mailbox_maps is asked for "user+ext@domain", then
 *      "user@domain" (recipient_delimiter), then "@domain" (the catch-all;
 *      partial keys go to fixed-string tables only, as Postfix does). Not
 *      found: bounce 5.1.1 'unknown user: "ADDR"'. The value is relative to
 *      virtual_mailbox_base (an absolute path: fatal otherwise); a value
 *      ending in "/" is a Maildir, else an mbox file;
 *   3. virtual_uid_maps and virtual_gid_maps are asked the same way (a
 *      decimal number each; "static:5000" serves every address). A missing
 *      entry, a uid below virtual_minimum_uid or a gid of 0 defers 4.3.5
 *      "mail system configuration error" with a warning naming the table,
 *      as Postfix does; a table that fails defers 4.3.0;
 *   4. the message is written with the recipient's effective uid and gid
 *      (and only that group), by the shared writers (lib/mbox.h with
 *      virtual_mailbox_lock, lib/maildir.h, which creates a missing Maildir
 *      and its tmp/ new/ cur/), Return-Path:, X-Original-To: (when there
 *      is an original recipient) and Delivered-To: prepended; each file
 *      capped at virtual_mailbox_limit (5.2.2 when passed);
 *   5. success is logged "status=sent (delivered to maildir)" or
 *      "(delivered to mailbox)" and the recipient marked done.
 * An address probe (DELIVER_FLAG_VERIFY) stops after the lookups and
 * reports "delivers to maildir" or "delivers to mailbox": nothing is written.
 * sendmail -bv (DELIVER_FLAG_USR_VRFY) stops there too and names the path,
 * "delivers to mailbox: /path" (deliver_rcpt_sent() writes the report's
 * trace record instead of marking a delivery).
 * Between deliveries the process keeps mail_owner's effective ids, so the
 * status logs and the queue file marks are made as the mail system.
 *
 * Trust: the request is checked in full by deliver_request_read(); the
 * tables are the administrator's (their values are still bounded: a path
 * longer than PATH_MAX or a number that does not parse defers). Message
 * text is read from the queue file in bounded pieces.
 *
 * Error policy: configuration errors at start are fatal; everything about
 * one message or recipient is a deferral or a bounce, never a crash.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "deliver.h"
#include "mailbox.h"
#include "maildir.h"
#include "mbox.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "strutil.h"
#include "stream.h"
#include "table.h"
#include "vstr.h"

#define VIRT_MAPS_MAX 64          /* tables in one parameter */
#define VIRT_HDR_LINES_MAX 10000  /* header lines scanned for Delivered-To */
#define VIRT_HDR_LINE_MAX 4096    /* bytes kept of one header line */
#define VIRT_LOOP_MAX 1000        /* Delivered-To headers remembered */

typedef struct VIRT_MAPS {
    const char *title;
    TABLE **tables;
    size_t count;
    int error;
} VIRT_MAPS;

typedef struct VIRT_CONF {
    VIRT_MAPS mailbox, uid, gid;
    char *base;
    char *delimiter;
    long min_uid;
    uid_t owner_uid;
    gid_t owner_gid;
    MAILBOX_OPTS mbox_opts;
    int resolution;
    int timeout_ms;
} VIRT_CONF;

/* One item of a table list; "{ ... }" keeps its separators. */
static const char *virt_next_item(const char *p, VSTR *item)
{
    int depth = 0;

    vstr_reset(item);
    while (*p && strchr(" \t\r\n,", *p))
        p++;
    while (*p && (depth > 0 || !strchr(" \t\r\n,", *p))) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && depth > 0)
            depth--;
        vstr_addch(item, *p++);
    }
    return p;
}

static void virt_maps_open(VIRT_MAPS *m, const char *title)
{
    const char *p = conf_get(title);
    VSTR *item = vstr_new(0), *why = vstr_new(0);
    TABLE *t;

    m->title = title;
    for (p = p ? p : ""; (p = virt_next_item(p, item)), vstr_len(item) > 0;) {
        if (m->count >= VIRT_MAPS_MAX)
            msg_fatal("%s: more than %d tables", title, VIRT_MAPS_MAX);
        if ((t = table_open(vstr_str(item), TABLE_READ, TABLE_FLAGS_READ, why)) == NULL)
            msg_fatal("%s: %s", title, vstr_str(why));
        m->tables = mem_array_grow(m->tables, m->count + 1, sizeof(*m->tables));
        m->tables[m->count++] = t;
    }
    vstr_free(item);
    vstr_free(why);
}

/* One key in every table (fixed-string tables only when fixed_only). */
static const char *virt_maps_key(VIRT_MAPS *m, const char *key, int fixed_only)
{
    const char *v;
    size_t i;

    for (i = 0; i < m->count; i++) {
        if (fixed_only && !(m->tables[i]->props & TABLE_PROP_FIXED))
            continue;
        if ((v = table_lookup(m->tables[i], key)) != NULL)
            return v;
        if (m->tables[i]->error != TABLE_OK) {
            m->error = m->tables[i]->error;
            return NULL;
        }
    }
    return NULL;
}

/*
 * Postfix's virtual(8) search order: user+ext@domain, user@domain,
 * @domain. NULL with m->error set on a table failure, else not found.
 */
static const char *virt_maps_find(VIRT_MAPS *m, const char *addr, const char *delim)
{
    const char *at = strrchr(addr, '@');
    const char *v;
    size_t lp = at ? (size_t) (at - addr) : strlen(addr);
    size_t cut;
    VSTR *key;

    m->error = TABLE_OK;
    if ((v = virt_maps_key(m, addr, 0)) != NULL || m->error)
        return v;
    key = vstr_new(strlen(addr) + 1);
    if (delim && *delim && (cut = strcspn(addr, delim)) < lp && cut > 0) {
        vstr_addmem(key, addr, cut);
        if (at)
            vstr_adds(key, at);
        if ((v = virt_maps_key(m, vstr_str(key), 1)) != NULL || m->error)
            goto out;
    }
    if (at && at[1]) {
        vstr_set(key, at);
        v = virt_maps_key(m, vstr_str(key), 1);
    }
out:
    vstr_free(key);
    return v;
}

/* Effective ids: root first, then the group list, group and user. */
static int virt_set_ids(uid_t uid, gid_t gid)
{
    if (geteuid() != 0 && seteuid(0) < 0)
        return -1;
    if (setgroups(1, &gid) < 0 || setegid(gid) < 0)
        return -1;
    if (uid != 0 && seteuid(uid) < 0)
        return -1;
    return 0;
}

static void virt_restore_ids(const VIRT_CONF *vc)
{
    if (virt_set_ids(vc->owner_uid, vc->owner_gid) < 0)
        msg_fatal("cannot restore the mail_owner ids: %m");
}

/*
 * The Delivered-To: values of the primary headers, lower-cased (bounded
 * in count and length). -1 on a damaged queue file.
 */
static int virt_delivered(QFILE_READER *r, long offset, ARGV *out, VSTR *why)
{
    VSTR *line = vstr_new(256);
    QFILE_REC rec;
    long nlines = 0;
    int ret = 0, n;

    if (qfile_reader_rewind(r, offset) < 0) {
        vstr_set(why, qfile_reader_error(r));
        vstr_free(line);
        return -1;
    }
    while ((n = qfile_read(r, &rec)) > 0) {
        if (rec.type != QREC_NORM && rec.type != QREC_CONT)
            break;
        if (vstr_len(line) + rec.len <= VIRT_HDR_LINE_MAX)
            vstr_addmem(line, rec.data, rec.len);
        if (rec.type == QREC_CONT)
            continue;
        if (vstr_len(line) == 0 || ++nlines > VIRT_HDR_LINES_MAX)
            break;                              /* end of the headers */
        if (strncasecmp(vstr_str(line), "Delivered-To:", 13) == 0 && out->argc < VIRT_LOOP_MAX) {
            char *v = vstr_str(line) + 13;

            argv_add(out, str_lower(str_trim(v)));
        }
        vstr_reset(line);
    }
    if (n < 0) {
        vstr_set(why, qfile_reader_error(r));
        ret = -1;
    }
    vstr_free(line);
    return ret;
}

/* A decimal id from a table value; -1 when it does not parse. */
static long virt_id(const char *value)
{
    long n;
    char buf[32];

    if (strlen(value) >= sizeof(buf))
        return -1;
    strcpy(buf, value);
    if (str_parse_long(str_trim(buf), 0, (long) INT_MAX, &n) < 0)
        return -1;
    return n;
}

/* Look up uid or gid; 0 with *id, else defer text in st. */
static int virt_lookup_id(VIRT_MAPS *m, const char *addr, const char *delim, long min,
                          const char *what, long *id, MAILBOX_STATUS *st)
{
    const char *v = virt_maps_find(m, addr, delim);

    if (v == NULL && m->error) {
        mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "%s: lookup %s: temporary failure",
                           m->title, addr);
        return -1;
    }
    if (v == NULL) {
        msg_warn("recipient %s: %s not found in %s", addr, what, m->title);
    } else if ((*id = virt_id(v)) < min) {
        char shown[64];

        snprintf(shown, sizeof(shown), "%s", v);
        msg_warn("recipient %s: bad %s %s in %s", addr, what, str_printable(shown, 0), m->title);
    } else {
        return 0;
    }
    mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.5", "mail system configuration error");
    return -1;
}

/* Write the message as uid/gid into path (Maildir when it ends in '/'). */
static void virt_write(VIRT_CONF *vc, DELIVER_REQUEST *req, QFILE_READER *r, const char *path,
                       uid_t uid, gid_t gid, MAILBOX_OPTS *o, MAILBOX_STATUS *st)
{
    int maildir = path[strlen(path) - 1] == '/';
    VSTR *why = vstr_new(0);
    MAILDIR *md = NULL;
    MBOX *mb = NULL;
    MAILBOX_OUT *out;

    if (virt_set_ids(uid, gid) < 0) {
        mailbox_status_set(st, errno, "4.3.0", "cannot take uid %ld gid %ld", (long) uid,
                           (long) gid);
        virt_restore_ids(vc);
        vstr_free(why);
        return;
    }
    if (maildir)
        md = maildir_open(path, o, st);
    else
        mb = mbox_open(path, o, st);
    if (md || mb) {
        out = md ? maildir_out(md) : mbox_out(mb);
        if (qfile_reader_rewind(r, req->data_offset) < 0 || mailbox_copy_qfile(r, out, why) < 0) {
            if (vstr_len(why) == 0)
                vstr_set(why, qfile_reader_error(r));
            msg_warn("%s: %s", req->queue_id, vstr_str(why));
            mailbox_status_fmt(st, MAILBOX_DEFER, "4.3.0", "error reading the queue file");
            if (md)
                maildir_abort(md);
            else
                mbox_abort(mb);
        } else if (md) {
            maildir_finish(md, st, NULL);
        } else {
            mbox_finish(mb, st);
        }
        if (md)
            maildir_close(md);
        else
            mbox_close(mb);
    }
    virt_restore_ids(vc);
    vstr_free(why);
}

static void virt_one(VIRT_CONF *vc, DELIVER_REQUEST *req, QFILE_READER *r, int qfd, size_t i,
                     const ARGV *delivered, const DELIVER_TIMES *times)
{
    DELIVER_RCPT *rc = &req->rcpt[i];
    char *addr = str_lower(mem_strdup(rc->address));
    const char *res;
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    VSTR *path = NULL;
    long uid = 0, gid = 0;
    size_t k;

    for (k = 0; k < delivered->argc; k++)
        if (strcmp(delivered->argv[k], addr) == 0) {
            mailbox_status_fmt(&st, MAILBOX_BOUNCE, "5.4.6", "mail forwarding loop for %s",
                               rc->address);
            goto done;
        }
    res = virt_maps_find(&vc->mailbox, addr, vc->delimiter);
    if (res == NULL) {
        if (vc->mailbox.error)
            mailbox_status_fmt(&st, MAILBOX_DEFER, "4.3.0", "%s: lookup %s: temporary failure",
                               vc->mailbox.title, addr);
        else
            mailbox_status_fmt(&st, MAILBOX_BOUNCE, "5.1.1", "unknown user: \"%s\"",
                               rc->address);
        goto done;
    }
    path = vstr_new(0);
    vstr_sprintf(path, "%s/%s", vc->base, res);
    if (vstr_len(path) >= PATH_MAX || *res == 0) {
        msg_warn("recipient %s: bad mailbox location in %s", addr, vc->mailbox.title);
        mailbox_status_fmt(&st, MAILBOX_DEFER, "4.3.5", "mail system configuration error");
        goto done;
    }
    if (virt_lookup_id(&vc->uid, addr, vc->delimiter, vc->min_uid, "uid", &uid, &st) < 0
        || virt_lookup_id(&vc->gid, addr, vc->delimiter, 1, "gid", &gid, &st) < 0)
        goto done;
    if (req->flags & DELIVER_FLAG_USR_VRFY) {   /* sendmail -bv: where it would go */
        mailbox_status_fmt(&st, MAILBOX_OK, "2.0.0", "delivers to %s: %s",
                           vstr_str(path)[vstr_len(path) - 1] == '/' ? "maildir" : "mailbox",
                           vstr_str(path));
        goto done;
    }
    if (req->flags & DELIVER_FLAG_VERIFY) {     /* an address probe: look, do not write */
        mailbox_status_ok(&st, vstr_str(path)[vstr_len(path) - 1] == '/'
                          ? "delivers to maildir" : "delivers to mailbox");
        goto done;
    }
    o = vc->mbox_opts;
    o.sender = req->sender;
    o.return_path = req->sender;
    o.original_to = *rc->orig_addr ? rc->orig_addr : NULL;
    o.delivered_to = addr;
    virt_write(vc, req, r, vstr_str(path), (uid_t) uid, (gid_t) gid, &o, &st);
    if (st.status == MAILBOX_OK)
        mailbox_status_ok(&st, vstr_str(path)[vstr_len(path) - 1] == '/'
                          ? "delivered to maildir" : "delivered to mailbox");
done:
    switch (st.status) {
    case MAILBOX_OK:
        deliver_rcpt_sent(req, qfd, i, "2.0.0", st.text, times);
        break;
    case MAILBOX_BOUNCE:
        deliver_rcpt_bounce(req, qfd, i, st.dsn, st.text, times);
        break;
    default:
        deliver_rcpt_defer(req, i, st.dsn, st.text, times);
        break;
    }
    if (path)
        vstr_free(path);
    mem_free(addr);
}

/* The recipients of one request (deliver_agent_serve() does the rest). */
static int virt_deliver(void *ctx, DELIVER_REQUEST *req, QFILE_READER *r, int qfd,
                        DELIVER_TIMES *times)
{
    VIRT_CONF *vc = ctx;
    VSTR *why = vstr_new(0);
    ARGV *delivered = argv_new();
    size_t i;
    int ret = 0;

    if (virt_delivered(r, req->data_offset, delivered, why) < 0) {
        ret = DELIVER_AGENT_NOSYNC;
        msg_warn("%s: %s", req->queue_id, vstr_str(why));
        for (i = 0; i < req->nrcpt; i++)
            deliver_rcpt_defer(req, i, "4.3.0", "error reading the queue file", times);
    } else {
        for (i = 0; i < req->nrcpt; i++)
            virt_one(vc, req, r, qfd, i, delivered, times);
    }
    vstr_free(why);
    argv_free(delivered);
    return ret;
}

static void virt_client(SERVER *srv, int fd)
{
    VIRT_CONF *vc = srv->context;
    DELIVER_AGENT a;

    memset(&a, 0, sizeof(a));
    a.relay = "virtual";
    a.resolution = vc->resolution;
    a.timeout_ms = vc->timeout_ms;
    a.open_fail_log = 1;
    a.deliver = virt_deliver;
    a.ctx = vc;
    a.srv = srv;
    deliver_agent_serve(fd, &a);
}

static void virt_pre_jail(SERVER *srv)
{
    VIRT_CONF *vc = srv->context;
    const char *owner = conf_get("mail_owner");
    const char *base = conf_get("virtual_mailbox_base");
    long long limit = conf_get_size("virtual_mailbox_limit");
    long long msg_limit = conf_get_size("message_size_limit");
    long t = conf_get_time("ipc_timeout");
    struct passwd *pw;

    if (base == NULL || *base != '/')
        msg_fatal("do not specify relative pathname: virtual_mailbox_base = %s",
                  base ? base : "");
    vc->base = mem_strdup(base);
    vc->delimiter = mem_strdup(conf_get("recipient_delimiter") ? conf_get("recipient_delimiter")
                               : "");
    vc->min_uid = conf_get_int("virtual_minimum_uid");
    if (vc->min_uid < 1)
        msg_fatal("bad virtual_minimum_uid value: %ld (at least 1)", vc->min_uid);
    if (limit > 0 && (limit < msg_limit || msg_limit == 0))
        msg_fatal("main.cf configuration error: virtual_mailbox_limit is smaller than "
                  "message_size_limit");
    mailbox_opts_init(&vc->mbox_opts);
    mailbox_opts_conf(&vc->mbox_opts, "virtual_mailbox_lock", "virtual_mailbox_limit");
    vc->mbox_opts.user = NULL;
    vc->mbox_opts.uid = (uid_t) -1;
    vc->mbox_opts.gid = (gid_t) -1;
    if (owner == NULL || (pw = getpwnam(owner)) == NULL)
        msg_fatal("unknown mail_owner: %s", owner ? owner : "");
    if (pw->pw_uid == 0)
        msg_fatal("mail_owner %s must not be root", owner);
    vc->owner_uid = pw->pw_uid;
    vc->owner_gid = pw->pw_gid;
    virt_maps_open(&vc->mailbox, "virtual_mailbox_maps");
    virt_maps_open(&vc->uid, "virtual_uid_maps");
    virt_maps_open(&vc->gid, "virtual_gid_maps");
    vc->resolution = (int) conf_get_int("delay_logging_resolution_limit");
    if (vc->resolution < 0 || vc->resolution > 6)
        msg_fatal("bad delay_logging_resolution_limit: %d (0..6)", vc->resolution);
    vc->timeout_ms = t > 0 && t < 86400 ? (int) t * 1000 : 3600000;
}

static void virt_post_jail(SERVER *srv)
{
    VIRT_CONF *vc = srv->context;

    if (getuid() != 0)
        msg_fatal("virtual must run as root (master.cf: unprivileged n)");
    /* the mail system's ids except while a mailbox is written */
    virt_restore_ids(vc);
}

/*
 * Back to root before a normal exit: with the real uid root and the
 * effective uid the mail owner's, no process may ptrace us, and
 * LeakSanitizer's exit check (which does) gave up with "does not work
 * under ptrace" in the sanitizer builds of the tests.
 */
static void virt_on_exit(SERVER *srv)
{
    (void) srv;
    if (seteuid(0) < 0 || setegid(0) < 0)
        msg_warn("cannot restore root ids before exit: %m");
}

int main(int argc, char **argv)
{
    VIRT_CONF vc;
    SERVER_OPS ops;

    memset(&vc, 0, sizeof(vc));
    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = virt_pre_jail;
    ops.post_jail = virt_post_jail;
    ops.on_exit = virt_on_exit;
    ops.client = virt_client;
    ops.context = &vc;
    server_single_main(argc, argv, &ops);
}
