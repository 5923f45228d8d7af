/*
 * local - the local(8) delivery agent (master.cf: "local unix - n n - -
 * local": root, not chrooted).
 *
 * For each recipient of a delivery request from qmgr (lib/deliver.h):
 *   1. loop check: an address that the message's Delivered-To: headers
 *      already name bounces, 5.4.6 "mail forwarding loop for ADDR";
 *   2. the domain is dropped, the local part lower-cased and split at
 *      recipient_delimiter (user+ext);
 *   3. alias_maps are asked for "user+ext", then "user": a value is a list
 *      of addresses, /files, |commands and :include:/files (local_token.h);
 *      files and commands run as the owner of the alias database file, or
 *      as default_privs when that is root; an :include: file owned by
 *      someone other than root gives its owner's privileges to what it
 *      lists; an alias NAME with a companion owner-NAME is expanded with
 *      the envelope sender owner-NAME@$myorigin (owner_request_special,
 *      expand_owner_alias; local.h, ALIASES); when "user" matched for
 *      user+ext, propagate_unmatched_extensions decides whether the
 *      addresses of the expansion get +ext;
 *   4. for a user in passwd, forward_path names the .forward files (the
 *      first that exists counts; owned by the user or root): same syntax,
 *      files and commands run as the user; with "forward" in
 *      propagate_unmatched_extensions, a .forward whose path did not use
 *      ${extension} gives its addresses the +ext of user+ext;
 *   5. mailbox_transport_maps (key: the user name), mailbox_transport: the
 *      destination is handed to that agent (private/TRANSPORT, a delivery
 *      request as qmgr sends it, done flags cleared: that agent logs and
 *      writes the status records, local marks the recipient), known user
 *      or not;
 *   6. a user unknown to getpwnam() goes to fallback_transport_maps,
 *      fallback_transport, luser_relay, or bounces 5.1.1 'unknown user:
 *      "user"';
 *   7. otherwise the mailbox: mailbox_command_maps, mailbox_command (run
 *      as the user, as default_privs for root), or home_mailbox (Maildir/
 *      with a trailing slash, else an mbox), or mail_spool_directory/user.
 * Expanded addresses in mydestination (or without a domain: they get
 * @$myorigin) go through the same steps again (an alias or .forward that
 * names itself is delivered to the mailbox: each alias and .forward is
 * expanded once per recipient); other addresses are forwarded through
 * cleanup in one new message with the same sender and arrival time, and a
 * Delivered-To: header, logged "status=sent (forwarded as NEWID)".
 * Delivered-To: is the request's recipient (frozen_delivered_to = yes).
 * Bounds: LOCAL_LEVEL_MAX levels of expansion, LOCAL_LEAF_MAX destinations
 * per recipient, LOCAL_FILE_MAX bytes of .forward or :include: file.
 *
 * The values of the address in forward_path go through
 * forward_expansion_filter (other characters become '_').
 * An address probe (DELIVER_FLAG_VERIFY) expands as usual but delivers
 * nothing: "status=deliverable (delivers to mailbox)" or "undeliverable",
 * and no status records. sendmail -bv (DELIVER_FLAG_USR_VRFY) is the same
 * probe, but each destination of the expansion also gets its trace/ID
 * record (deliverable or undeliverable, "delivery via local: delivers to
 * mailbox", "... delivers to file: /path", "... delivers to command:
 * CMD"; the report's "(expanded from <rcpt>)" names the recipient), and
 * no bounce/ or defer/ record. Neither probe forwards an address that is
 * not local: it says "forwards to ADDR", as Postfix's local does.
 *
 * Every destination logs Postfix's line "ID: to=<dest>, orig_to=<rcpt>,
 * relay=local, ... status=sent (delivered to mailbox)". The request's
 * recipient is marked done in the queue file only when no destination
 * deferred (bounced ones have their bounce/ID record first); otherwise it
 * stays, to be tried again (the destinations that worked get a second
 * copy then, as with Postfix).
 *
 * Trust: the request comes from qmgr and is checked in full; the queue file
 * is opened by name from the checked id. Alias tables are root's; .forward
 * and :include: files are read with their user's privileges, and what they
 * name is done with those privileges only (see local.h, PRIVILEGES). Data
 * from the mail reaches commands only as environment variables.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "argv.h"
#include "bounce_client.h"
#include "conf.h"
#include "deliver.h"
#include "local.h"
#include "local_expand.h"
#include "local_token.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "stream.h"
#include "strutil.h"
#include "vstr.h"

static void local_resolve(LOCAL_CTX *c, const char *addr, int level, int no_expand);

/* ---- outcomes ---- */

static int local_been_here(LOCAL_CTX *c, const char *kind, const char *key)
{
    VSTR *k = vstr_new(0);
    size_t i;
    int found = 0;

    vstr_sprintf(k, "%s:%s", kind, key);
    for (i = 0; i < c->been_here->argc && !found; i++)
        found = strcmp(c->been_here->argv[i], vstr_str(k)) == 0;
    if (!found)
        argv_add(c->been_here, vstr_str(k));
    vstr_free(k);
    return found;
}

/*
 * A permanent failure met while the envelope sender is an owner- alias
 * (c->sender is not the request's): a non-delivery notice for this one
 * recipient goes to the owner now (Postfix's bounce_one), instead of a
 * record in bounce/ID for the original sender. As for the addresses that
 * an owner's list forwards, the original's ENVID, RET and ORCPT are not
 * passed on. 0, or -1 with why (the caller defers the recipient).
 */
static int local_owner_notice(LOCAL_CTX *c, const DELIVER_RCPT *r, const char *dsn,
                              const char *text, VSTR *why)
{
    BOUNCE_MSG m;
    BOUNCE_ONE_RCPT one;
    VSTR *nid = vstr_new(0), *reason = vstr_new(0);
    int ret;

    /* the bounce daemon takes a bounded, printable reason */
    vstr_adds(reason, text);
    vstr_truncate(reason, DELIVER_REASON_MAX - 1);
    str_printable(vstr_str(reason), 1);

    memset(&m, 0, sizeof(m));
    m.queue_name = c->req->queue_name;
    m.queue_id = c->req->queue_id;
    m.encoding = c->req->encoding;
    m.smtputf8 = c->req->smtputf8;
    m.sender = c->sender;
    m.envelope_id = "";
    memset(&one, 0, sizeof(one));
    one.recipient = r->address;
    one.orig_rcpt = r->orig_addr;
    one.dsn_orig_rcpt = "";
    one.status = dsn;
    one.reason = vstr_str(reason);
    if ((ret = bounce_one(&m, &one, nid, why)) == 0)
        msg_info("%s: %s: failure reported to the alias owner %s: %s", c->req->queue_id,
                 r->address, c->sender, vstr_len(nid) ? vstr_str(nid) : "no notice");
    vstr_free(nid);
    vstr_free(reason);
    return ret;
}

/*
 * An address probe's tally: count the destination as counted (MAILBOX_*);
 * the request's dsn and reason follow the first failure, or the last
 * success while there is none. outcome is what the delivery said.
 */
static void local_probe_tally(LOCAL_CTX *c, int counted, int outcome, const char *dsn,
                              const char *text)
{
    if (counted == MAILBOX_DEFER)
        c->ndeferred++;
    else if (counted == MAILBOX_BOUNCE)
        c->nbounced++;
    else
        c->nsent++;
    if (outcome != MAILBOX_OK || c->ndeferred + c->nbounced == 0) {
        vstr_set(c->dsn, dsn);
        vstr_set(c->reason, text);
    }
}

/* Log one destination's outcome, write its status record, count it. */
void local_leaf(LOCAL_CTX *c, const char *to, const MAILBOX_STATUS *st)
{
    DELIVER_REQUEST view = *c->req;
    DELIVER_RCPT r = c->req->rcpt[c->rcpt];
    VSTR *line = vstr_new(0), *why = vstr_new(0);
    const char *status = "sent", *dsn = st->dsn, *text = st->text;
    struct timeval tv;

    r.address = (char *) to;
    if (r.orig_addr[0] == 0 && strcasecmp(to, c->req->rcpt[c->rcpt].address) != 0)
        r.orig_addr = c->req->rcpt[c->rcpt].address;
    view.rcpt = &r;
    view.nrcpt = 1;
    if (c->req->flags & DELIVER_FLAG_USR_VRFY) {
        /*
         * sendmail -bv: nothing delivered; what would happen goes to the
         * report (trace/ID), as Postfix words the actions
         */
        int counted = st->status;

        status = st->status == MAILBOX_OK ? "deliverable" : "undeliverable";
        if (deliver_probe_record(&view, 0, status, c->times.relay, dsn, text) < 0) {
            status = "deferred";
            dsn = "4.3.0";
            text = "cannot write the verification record";
            counted = MAILBOX_DEFER;
        }
        local_probe_tally(c, counted, st->status, dsn, text);
    } else if (c->req->flags & DELIVER_FLAG_VERIFY) {
        /* an address probe: nothing delivered, no status records */
        status = st->status == MAILBOX_OK ? "deliverable"
                 : st->status == MAILBOX_BOUNCE ? "undeliverable" : "deferred";
        local_probe_tally(c, st->status, st->status, dsn, text);
    } else if (st->status == MAILBOX_BOUNCE) {
        int failed;

        if (c->sender != c->req->sender) /* under an owner- alias: the owner hears of it */
            failed = local_owner_notice(c, &r, dsn, text, why) < 0;
        else
            failed = deliver_status_log(&view, 0, "failed", dsn, text, why) < 0;
        if (failed) {
            msg_warn("%s: %s", c->req->queue_id, vstr_str(why));
            vstr_sprintf(why, "bounce failed: %s", text);
            dsn = "4.3.0";
            text = vstr_str(why);
            status = "deferred";
        } else {
            status = "bounced";
        }
    } else if (st->status == MAILBOX_DEFER) {
        status = "deferred";
    }
    if (c->req->flags & DELIVER_FLAG_PROBE) {
        /* counted above */
    } else if (strcmp(status, "deferred") == 0) {
        VSTR *why2 = vstr_new(0);

        deliver_trace_record(&view, 0, "delayed", dsn, text);
        if (deliver_status_log(&view, 0, "delayed", dsn, text, why2) < 0)
            msg_warn("%s: %s", c->req->queue_id, vstr_str(why2));
        vstr_free(why2);
        c->ndeferred++;
        vstr_set(c->dsn, dsn);
        vstr_set(c->reason, text);
    } else if (strcmp(status, "bounced") == 0) {
        deliver_trace_record(&view, 0, "failed", dsn, text);
        c->nbounced++;
        if (c->ndeferred == 0) {
            vstr_set(c->dsn, dsn);
            vstr_set(c->reason, text);
        }
    } else {
        c->nsent++;
        if (c->ndeferred == 0 && c->nbounced == 0) {
            vstr_set(c->dsn, dsn);
            vstr_set(c->reason, text);
        }
        if (((r.notify & DELIVER_NOTIFY_SUCCESS) || (view.flags & DELIVER_FLAG_RECORD))
            && deliver_trace_log(&view, 0, "delivered", dsn, text, why) < 0)
            msg_warn("%s: %s", c->req->queue_id, vstr_str(why));
    }
    gettimeofday(&tv, NULL);
    deliver_log_line(line, &view, 0, &c->times, tv.tv_sec, tv.tv_usec, dsn, status, text);
    msg_info("%s", vstr_str(line));
    vstr_free(line);
    vstr_free(why);
}

/* Count the outcome of a destination another agent handled (and logged). */
void local_leaf_passed(LOCAL_CTX *c, const MAILBOX_STATUS *st)
{
    if (st->status == MAILBOX_DEFER) {
        c->ndeferred++;
    } else if (st->status == MAILBOX_BOUNCE) {
        c->nbounced++;
        if (c->ndeferred)
            return;
    } else {
        c->nsent++;
        if (c->ndeferred || c->nbounced)
            return;
    }
    vstr_set(c->dsn, st->dsn);
    vstr_set(c->reason, st->text);
}

static void local_fail(LOCAL_CTX *c, const char *to, int status, const char *dsn,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void local_fail(LOCAL_CTX *c, const char *to, int status, const char *dsn,
                       const char *fmt, ...)
{
    MAILBOX_STATUS st;
    VSTR *text = vstr_new(0);
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(text, fmt, ap);
    va_end(ap);
    mailbox_status_fmt(&st, status, dsn, "%s", vstr_str(text));
    local_leaf(c, to, &st);
    vstr_free(text);
}

/* ---- expansion ---- */

/* Read a file with p's privileges (NULL: root's). 1 read, 0 missing, -1 error. */
static int local_read_file(const LOCAL_PRIV *p, const char *path, VSTR *out, struct stat *sb,
                           VSTR *why)
{
    int fd, ret = -1;
    ssize_t n;
    char buf[8192];

    if (p && p->uid != 0)
        local_priv_become(p);
    fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (p && p->uid != 0)
        local_priv_restore();
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        vstr_sprintf(why, "open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
        vstr_sprintf(why, "%s: not a regular file", path);
        goto out;
    }
    vstr_reset(out);
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (vstr_len(out) + (size_t) n > LOCAL_FILE_MAX) {
            vstr_sprintf(why, "%s: larger than %d bytes", path, LOCAL_FILE_MAX);
            goto out;
        }
        vstr_addmem(out, buf, (size_t) n);
    }
    if (n < 0) {
        vstr_sprintf(why, "read %s: %s", path, strerror(errno));
        goto out;
    }
    ret = 1;
out:
    close(fd);
    return ret;
}

static int local_allowed(const char *list, const char *source)
{
    size_t n = strlen(source);
    const char *p = list;

    while (*p) {
        size_t len;

        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == n && strncasecmp(p, source, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/*
 * An address from an expansion: local ones again, others to cleanup.
 * unmatched ("+ext" or NULL) goes at the end of the address's local part
 * (propagate_unmatched_extensions).
 */
static void local_route(LOCAL_CTX *c, const char *item, const char *unmatched, const char *from,
                        int level)
{
    VSTR *q = vstr_new(0);
    const char *at, *domain;
    int no_expand = 0;

    if (item[0] == '\\') {
        no_expand = 1;
        item++;
    }
    at = strrchr(item, '@');
    vstr_addmem(q, item, at ? (size_t) (at - item) : strlen(item));
    if (unmatched && vstr_len(q) > 0)
        vstr_adds(q, unmatched);
    vstr_addch(q, '@');
    vstr_adds(q, at ? at + 1 : c->conf->myorigin);
    at = strrchr(vstr_str(q), '@');
    domain = at + 1;
    if (at == vstr_str(q) || *domain == 0) {
        local_fail(c, from, MAILBOX_BOUNCE, "5.1.3", "bad address syntax: %s", item);
        goto out;
    }
    switch (match_list_domain(c->conf->mydest, domain)) {
    case MATCH_YES:
        local_resolve(c, vstr_str(q), level + 1, no_expand);
        break;
    case MATCH_NO:
        if (!local_been_here(c, "forward-to", vstr_str(q))) {
            argv_add(c->forward, vstr_str(q));
            argv_add(c->forward_sender, c->sender);
        }
        break;
    default:
        msg_warn("mydestination: %s", match_list_error(c->conf->mydest));
        local_fail(c, from, MAILBOX_DEFER, "4.3.0", "mydestination lookup error for %s", domain);
        break;
    }
out:
    vstr_free(q);
}

/* The destinations of an alias value or a file (source: alias, forward, include). */
static void local_items(LOCAL_CTX *c, const char *text, size_t len, const char *source,
                        const LOCAL_USER *u, int level)
{
    ARGV *items = argv_new();
    VSTR *why = vstr_new(0), *buf = vstr_new(0);
    MAILBOX_STATUS st;
    size_t i;

    if (local_token_split(text, len, items, why) < 0) {
        local_fail(c, u->address, MAILBOX_BOUNCE, "5.3.5", "bad %s syntax", source);
        msg_warn("%s: %s: %s", c->req->queue_id, u->address, vstr_str(why));
        goto out;
    }
    for (i = 0; i < items->argc; i++) {
        const char *rest;
        struct stat sb;

        if (++c->nleaves > LOCAL_LEAF_MAX) {
            local_fail(c, u->address, MAILBOX_BOUNCE, "5.4.6", "too many destinations for %s",
                       u->address);
            break;
        }
        switch (local_token_kind(items->argv[i], &rest)) {
        case LOCAL_TOK_ADDR:
            local_route(c, rest, u->unmatched, u->address, level);
            break;
        case LOCAL_TOK_FILE:
            if (!local_allowed(c->conf->allow_file, source)) {
                local_fail(c, u->address, MAILBOX_BOUNCE, "5.7.1", "mail to file is restricted");
            } else if (!local_been_here(c, "file", rest)) {
                local_deliver_file(c, u, u->pw, rest, &st);
                local_leaf(c, u->address, &st);
            }
            break;
        case LOCAL_TOK_COMMAND:
            if (!local_allowed(c->conf->allow_cmd, source)) {
                local_fail(c, u->address, MAILBOX_BOUNCE, "5.7.1",
                           "mail to command is restricted");
            } else if (!local_been_here(c, "command", rest)) {
                local_deliver_command(c, u, u->pw, rest, &st);
                local_leaf(c, u->address, &st);
            }
            break;
        case LOCAL_TOK_INCLUDE:
            if (rest[0] != '/') {
                local_fail(c, u->address, MAILBOX_BOUNCE, "5.3.5",
                           ":include: needs an absolute path: %s", rest);
            } else if (!local_been_here(c, "include", rest)) {
                int r = local_read_file(u->pw, rest, buf, &sb, why);
                LOCAL_PRIV owner;
                LOCAL_USER inc = *u;

                if (r <= 0) {
                    if (r == 0)
                        vstr_sprintf(why, "open %s: No such file or directory", rest);
                    msg_warn("%s: %s", c->req->queue_id, vstr_str(why));
                    local_fail(c, u->address, MAILBOX_DEFER, "4.3.0",
                               "cannot open include file %s", rest);
                    break;
                }
                memset(&owner, 0, sizeof(owner));
                if (sb.st_uid != 0 && sb.st_uid != u->pw->uid) {
                    if (local_priv_lookup(&owner, NULL, sb.st_uid, 1) != 0) {
                        local_fail(c, u->address, MAILBOX_DEFER, "4.3.0",
                                   "include file %s: unknown owner", rest);
                        break;
                    }
                    inc.pw = &owner;
                }
                if (!local_word_listed(c->conf->ext_prop, "include"))
                    inc.unmatched = NULL;
                local_items(c, vstr_str(buf), vstr_len(buf), "include", &inc, level + 1);
                local_priv_free(&owner);
            }
            break;
        }
    }
out:
    argv_free(items);
    vstr_free(why);
    vstr_free(buf);
}

/*
 * Whose privileges the files and commands of an alias from table t get:
 * the owner of its file, or default_privs for root and tables without a
 * file. 0 with *p filled (owner->name set when it is not default_privs),
 * -1 when the owner has no passwd entry.
 */
static int local_alias_owner(LOCAL_CTX *c, const TABLE *t, LOCAL_PRIV *owner,
                             const LOCAL_PRIV **p)
{
    struct stat sb;

    *p = &c->conf->nobody;
    if (t->watch_path == NULL || stat(t->watch_path, &sb) < 0 || sb.st_uid == 0)
        return 0;
    if (local_priv_lookup(owner, NULL, sb.st_uid, 1) != 0) {
        msg_warn("cannot find the owner (uid %ld) of alias database %s", (long) sb.st_uid,
                 t->spec);
        return -1;
    }
    *p = owner;
    return 0;
}

/*
 * The envelope sender for the expansion of alias name: with
 * owner_request_special and an alias owner-NAME, owner-NAME@$myorigin (or,
 * with expand_owner_alias, its value when that is one address). 1 with the
 * address in out, 0 when there is no owner alias, -1 on a lookup error.
 */
static int local_alias_sender(LOCAL_CTX *c, const char *name, VSTR *out)
{
    VSTR *key = vstr_new(0), *why = vstr_new(0);
    ARGV *items = argv_new();
    const char *value, *rest;
    int err = 0, ret = 0;

    if (!c->conf->owner_special)
        goto out;
    vstr_sprintf(key, "owner-%s", name);
    if ((value = local_maps_find(&c->conf->aliases, vstr_str(key), &err)) == NULL) {
        ret = err ? -1 : 0;
        goto out;
    }
    if (c->conf->expand_owner) {
        if (local_token_split(value, strlen(value), items, why) == 0 && items->argc == 1
            && local_token_kind(items->argv[0], &rest) == LOCAL_TOK_ADDR) {
            vstr_set(key, rest[0] == '\\' ? rest + 1 : rest);
        } else {
            msg_warn("alias %s: expand_owner_alias needs one address: using %s",
                     vstr_str(key), vstr_str(key));
        }
    }
    vstr_set(out, vstr_str(key));
    if (strchr(vstr_str(out), '@') == NULL) {
        vstr_addch(out, '@');
        vstr_adds(out, c->conf->myorigin);
    }
    ret = 1;
out:
    vstr_free(key);
    vstr_free(why);
    argv_free(items);
    return ret;
}

/* alias_maps: 1 when the address was an alias (handled), 0 when not. */
static int local_alias(LOCAL_CTX *c, const LOCAL_USER *u, const char *base, int level)
{
    const char *keys[2] = { u->local, u->extension ? base : NULL };
    LOCAL_CONF *conf = c->conf;
    size_t k;

    for (k = 0; k < 2 && keys[k]; k++) {
        const char *value, *saved_sender = c->sender;
        const LOCAL_PRIV *rights;
        LOCAL_PRIV owner;
        VSTR *sender, *unmatched;
        LOCAL_USER a = *u;
        size_t which = 0;
        char *copy;
        int err = 0, r;

        if (local_been_here(c, "alias", keys[k]))
            continue;
        if ((value = local_maps_find_in(&conf->aliases, keys[k], &err, &which)) == NULL) {
            if (err) {
                local_fail(c, u->address, MAILBOX_DEFER, "4.3.0", "alias database unavailable");
                return 1;
            }
            continue;
        }
        copy = mem_strdup(value);
        memset(&owner, 0, sizeof(owner));
        if (local_alias_owner(c, conf->aliases.t[which], &owner, &rights) < 0) {
            local_fail(c, u->address, MAILBOX_DEFER, "4.3.0", "cannot find alias database owner");
            mem_free(copy);
            return 1;
        }
        sender = vstr_new(0);
        unmatched = vstr_new(0);
        if ((r = local_alias_sender(c, keys[k], sender)) < 0) {
            local_fail(c, u->address, MAILBOX_DEFER, "4.3.0", "alias database unavailable");
        } else {
            if (r > 0)
                c->sender = vstr_str(sender);
            a.pw = rights;
            a.unmatched = NULL;
            /* user+ext matched the alias "user": member+ext */
            if (k == 1 && local_word_listed(conf->ext_prop, "alias")) {
                vstr_addch(unmatched, u->local[strlen(base)]);
                vstr_adds(unmatched, u->extension);
                a.unmatched = vstr_str(unmatched);
            }
            local_items(c, copy, strlen(copy), "alias", &a, level);
            c->sender = saved_sender;
        }
        mem_free(copy);
        local_priv_free(&owner);
        vstr_free(sender);
        vstr_free(unmatched);
        return 1;
    }
    return 0;
}

/* Characters not in the filter become '_'. */
static void local_filter(char *text, const char *filter)
{
    for (; *text; text++)
        if (strchr(filter, *text) == NULL)
            *text = '_';
}

/* .forward: 1 when a forward file was used, 0 when none. */
static int local_dotforward(LOCAL_CTX *c, const LOCAL_USER *u, const char *delim, int level)
{
    const char *fp = c->conf->forward_path;
    char *copy = mem_strdup(fp), *cur = copy, *item;
    VSTR *path = vstr_new(0), *why = vstr_new(0), *text = vstr_new(0);
    VSTR *flocal = vstr_new(0), *fext = vstr_new(0), *unmatched = vstr_new(0);
    LOCAL_USER fu;
    LOCAL_VARS v;
    char dbuf[2] = { 0, 0 };
    int ret = 0;

    /* forward_expansion_filter: other characters of the address become '_' */
    vstr_set(flocal, u->local);
    local_filter(vstr_str(flocal), c->conf->forward_filter);
    if (u->extension) {
        vstr_set(fext, u->extension);
        local_filter(vstr_str(fext), c->conf->forward_filter);
    }
    memset(&v, 0, sizeof(v));
    v.user = u->pw->name;
    v.home = u->pw->home;
    v.shell = u->pw->shell;
    v.domain = u->domain;
    v.local = vstr_str(flocal);
    v.extension = u->extension ? vstr_str(fext) : NULL;
    v.recipient = u->address;
    v.mailbox = vstr_str(flocal);
    if (delim) {
        dbuf[0] = *delim;
        v.recipient_delimiter = dbuf;
    }
    while (ret == 0 && (item = str_token(&cur, ", \t\r\n")) != NULL) {
        struct stat sb;
        int r, f;

        vstr_reset(path);
        if ((f = local_expand(path, item, &v, why)) < 0) {
            msg_warn("forward_path %s: %s", item, vstr_str(why));
            continue;
        }
        if ((f & LOCAL_EXPAND_UNDEF) || vstr_len(path) == 0 || vstr_str(path)[0] != '/')
            continue;
        if (local_been_here(c, "dotforward", vstr_str(path)))
            continue;
        if ((r = local_read_file(u->pw, vstr_str(path), text, &sb, why)) == 0)
            continue;
        if (r < 0) {
            msg_warn("%s: %s", c->req->queue_id, vstr_str(why));
            continue;
        }
        if (sb.st_uid != u->pw->uid && sb.st_uid != 0) {
            msg_warn("file %s is not owned by user %s: ignored", vstr_str(path), u->pw->name);
            continue;
        }
        if (strspn(vstr_str(text), " \t\r\n") == vstr_len(text))
            continue;
        ret = 1;
        fu = *u;
        fu.unmatched = NULL;
        /* a .forward found without the extension in its path: member+ext */
        if (u->extension && delim && !(f & LOCAL_EXPAND_EXT)
            && local_word_listed(c->conf->ext_prop, "forward")) {
            vstr_sprintf(unmatched, "%c%s", *delim, u->extension);
            fu.unmatched = vstr_str(unmatched);
        }
        local_items(c, vstr_str(text), vstr_len(text), "forward", &fu, level);
    }
    mem_free(copy);
    vstr_free(path);
    vstr_free(why);
    vstr_free(text);
    vstr_free(flocal);
    vstr_free(fext);
    vstr_free(unmatched);
    return ret;
}

/*
 * mailbox_transport(_maps) or fallback_transport(_maps) for user: 1 when
 * the destination was handed to (or failed to reach) that transport.
 */
static int local_transport(LOCAL_CTX *c, const char *addr, const char *user,
                           LOCAL_MAPS *maps, const char *def)
{
    MAILBOX_STATUS st;
    const char *spec;
    char *copy;
    int err;

    if ((spec = local_maps_find(maps, user, &err)) == NULL && err) {
        local_fail(c, addr, MAILBOX_DEFER, "4.3.0", "%s lookup failure", maps->param);
        return 1;
    }
    if (spec == NULL || *spec == 0)
        spec = def;
    if (spec == NULL || *spec == 0)
        return 0;
    copy = mem_strdup(spec);
    if (local_deliver_pass(c, addr, copy, &st))
        local_leaf_passed(c, &st);
    else
        local_leaf(c, addr, &st);
    mem_free(copy);
    return 1;
}

/* The user does not exist: fallback_transport, luser_relay, or bounce. */
static void local_unknown(LOCAL_CTX *c, const LOCAL_USER *u, const char *base_user,
                          const char *delim, int level)
{
    LOCAL_VARS v;
    VSTR *relay = vstr_new(0), *why = vstr_new(0);
    char dbuf[2] = { 0, 0 };

    if (local_transport(c, u->address, base_user, &c->conf->fallback_maps,
                        c->conf->fallback_transport)) {
        /* handed to fallback_transport */
    } else if (*c->conf->luser_relay) {
        memset(&v, 0, sizeof(v));
        v.user = base_user;
        v.domain = u->domain;
        v.local = u->local;
        v.extension = u->extension;
        v.recipient = u->address;
        v.mailbox = u->local;
        if (delim) {
            dbuf[0] = *delim;
            v.recipient_delimiter = dbuf;
        }
        if (local_expand(relay, c->conf->luser_relay, &v, why) < 0 || vstr_len(relay) == 0) {
            msg_warn("luser_relay: %s", vstr_len(why) ? vstr_str(why) : "empty result");
            local_fail(c, u->address, MAILBOX_DEFER, "4.3.5", "bad luser_relay setting");
        } else {
            /* luser_relay is not expanded through aliases of the unknown user again */
            local_route(c, vstr_str(relay), NULL, u->address, level);
        }
    } else {
        local_fail(c, u->address, MAILBOX_BOUNCE, "5.1.1", "unknown user: \"%s\"", base_user);
    }
    vstr_free(relay);
    vstr_free(why);
}

static int local_loop_check(LOCAL_CTX *c, const char *addr)
{
    size_t i;

    for (i = 0; i < c->delivered_hdrs->argc; i++)
        if (strcasecmp(c->delivered_hdrs->argv[i], addr) == 0)
            return 1;
    return 0;
}

static void local_resolve(LOCAL_CTX *c, const char *addr, int level, int no_expand)
{
    const char *at = strrchr(addr, '@');
    VSTR *lp = vstr_new(0), *base = vstr_new(0), *ext = vstr_new(0);
    LOCAL_USER u;
    LOCAL_PRIV pw;
    MAILBOX_STATUS st;
    char delim[2] = { 0, 0 };
    int r;

    memset(&pw, 0, sizeof(pw));
    if (level > LOCAL_LEVEL_MAX) {
        local_fail(c, addr, MAILBOX_BOUNCE, "5.4.6", "mail forwarding loop for %s", addr);
        goto out;
    }
    if (local_loop_check(c, addr)) {
        local_fail(c, addr, MAILBOX_BOUNCE, "5.4.6", "mail forwarding loop for %s", addr);
        goto out;
    }
    vstr_addmem(lp, addr, at ? (size_t) (at - addr) : strlen(addr));
    str_lower(vstr_str(lp));
    memset(&u, 0, sizeof(u));
    u.address = addr;
    u.local = vstr_str(lp);
    u.domain = at ? at + 1 : "";
    if (vstr_len(lp) == 0) {
        local_fail(c, addr, MAILBOX_BOUNCE, "5.1.3", "bad address syntax: %s", addr);
        goto out;
    }
    if ((delim[0] = (char) addr_split_ext(vstr_str(lp), c->conf->delims, base, ext)) != 0)
        u.extension = vstr_str(ext);
    u.pw = &c->conf->nobody;
    if (!no_expand && local_alias(c, &u, vstr_str(base), level))
        goto out;
    if ((r = local_priv_lookup(&pw, vstr_str(base), 0, 0)) < 0) {
        local_fail(c, addr, MAILBOX_DEFER, "4.3.0", "user lookup error for %s", vstr_str(base));
        goto out;
    }
    if (r == 0) {
        u.pw = &pw;
        if (!no_expand && local_dotforward(c, &u, delim[0] ? delim : NULL, level))
            goto out;
    }
    if (local_been_here(c, "mailbox", vstr_str(base)))
        goto out;
    /* mailbox_transport applies whether or not the user is in passwd */
    if (local_transport(c, addr, vstr_str(base), &c->conf->mbox_transport_maps,
                        c->conf->mbox_transport))
        goto out;
    if (r > 0) {
        local_unknown(c, &u, vstr_str(base), delim[0] ? delim : NULL, level);
        goto out;
    }
    local_deliver_mailbox(c, &u, &st);
    local_leaf(c, addr, &st);
out:
    local_priv_free(&pw);
    vstr_free(lp);
    vstr_free(base);
    vstr_free(ext);
}

/* The Delivered-To: headers of the message, for loop detection. */
static void local_scan_headers(LOCAL_CTX *c)
{
    QFILE_REC rec;
    VSTR *line = vstr_new(0);
    int lines = 0, st;

    if (qfile_reader_rewind(c->reader, c->req->data_offset) < 0)
        goto out;
    while ((st = qfile_read(c->reader, &rec)) > 0 && lines < 10000) {
        if (rec.type == QREC_MESG)
            continue;
        if (rec.type != QREC_NORM && rec.type != QREC_CONT)
            break;
        if (vstr_len(line) + rec.len <= 4096)
            vstr_addmem(line, rec.data, rec.len);
        if (rec.type == QREC_CONT)
            continue;
        lines++;
        if (vstr_len(line) == 0)
            break;
        if (strncasecmp(vstr_str(line), "Delivered-To:", 13) == 0
            && c->delivered_hdrs->argc < LOCAL_HDR_MAX) {
            char *v = str_trim(vstr_str(line) + 13);

            argv_add(c->delivered_hdrs, v);
        }
        vstr_reset(line);
    }
out:
    vstr_free(line);
}

/* ---- one request ---- */

/*
 * The non-local addresses of the recipient's expansion: one new message
 * per envelope sender (the request's, or an owner- alias's), each address
 * logged "forwarded as NEWID".
 */
static void local_forward_all(LOCAL_CTX *c)
{
    DELIVER_REQUEST *req = c->req;
    VSTR *id = vstr_new(0), *why = vstr_new(0);
    ARGV *done = argv_new();
    MAILBOX_STATUS st;
    size_t k, j;

    for (k = 0; k < c->forward->argc; k++) {
        const char *sender = c->forward_sender->argv[k];
        int seen = 0;

        for (j = 0; j < done->argc && !seen; j++)
            seen = strcmp(done->argv[j], sender) == 0;
        if (seen)
            continue;
        argv_add(done, sender);
        if (req->flags & DELIVER_FLAG_PROBE) {
            mailbox_status_fmt(&st, MAILBOX_OK, "2.0.0", "forwards"); /* per address below */
        } else if (local_deliver_forward(c, sender, strcmp(sender, req->sender) != 0, id, why)
                   == 0) {
            mailbox_status_fmt(&st, MAILBOX_OK, "2.0.0", "forwarded as %s", vstr_str(id));
        } else {
            msg_warn("%s: cannot forward: %s", req->queue_id, vstr_str(why));
            mailbox_status_fmt(&st, MAILBOX_DEFER, "4.3.0", "cannot forward: %s", vstr_str(why));
        }
        for (j = k; j < c->forward->argc; j++) {
            if (strcmp(c->forward_sender->argv[j], sender) != 0)
                continue;
            /* a probe is not forwarded: it says where the mail would go, as Postfix */
            if (req->flags & DELIVER_FLAG_PROBE)
                mailbox_status_fmt(&st, MAILBOX_OK, "2.0.0", "forwards to %s",
                                   c->forward->argv[j]);
            local_leaf(c, c->forward->argv[j], &st);
        }
    }
    argv_free(done);
    vstr_free(id);
    vstr_free(why);
}

static void local_recipient(LOCAL_CTX *c, size_t i)
{
    DELIVER_REQUEST *req = c->req;
    DELIVER_RCPT *r = &req->rcpt[i];
    int mark;

    c->rcpt = i;
    c->top_orig = r->orig_addr[0] ? r->orig_addr : r->address;
    c->delivered_to = r->address;
    argv_truncate(c->been_here, 0);
    argv_truncate(c->forward, 0);
    argv_truncate(c->forward_sender, 0);
    c->sender = req->sender;
    c->nsent = c->nbounced = c->ndeferred = c->nleaves = 0;
    vstr_reset(c->dsn);
    vstr_reset(c->reason);
    local_resolve(c, r->address, 0, 0);
    local_forward_all(c);
    if (c->ndeferred > 0) {
        deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, vstr_str(c->dsn), vstr_str(c->reason));
        return;
    }
    if (c->nsent + c->nbounced == 0) {
        vstr_set(c->dsn, "2.0.0");
        vstr_set(c->reason, "no destinations left after duplicates");
    }
    mark = c->nsent > 0 || c->nbounced == 0 ? (req->flags & DELIVER_FLAG_SUCCESS)
                                            : (req->flags & DELIVER_FLAG_BOUNCE);
    if (mark && qfile_mark_done(c->qfd, r->offset) < 0) {
        msg_warn("%s: cannot mark recipient %s done at offset %ld: %m", req->queue_id, r->address,
                 r->offset);
        deliver_rcpt_result(req, i, DELIVER_RCPT_DEFERRED, "4.3.0",
                            "cannot update the queue file");
        return;
    }
    deliver_rcpt_result(req, i, c->nsent > 0 || c->nbounced == 0 ? DELIVER_RCPT_SENT
                                                                 : DELIVER_RCPT_BOUNCED,
                        vstr_str(c->dsn), vstr_str(c->reason));
}

/* The recipients of one request (deliver_agent_serve() does the rest). */
static int local_deliver(void *ctx, DELIVER_REQUEST *req, QFILE_READER *r, int qfd,
                         DELIVER_TIMES *times)
{
    LOCAL_CTX c;
    size_t i;

    memset(&c, 0, sizeof(c));
    c.conf = ctx;
    c.req = req;
    c.reader = r;
    c.qfd = qfd;
    c.times = *times;
    c.delivered_hdrs = argv_new();
    c.been_here = argv_new();
    c.forward = argv_new();
    c.forward_sender = argv_new();
    c.dsn = vstr_new(0);
    c.reason = vstr_new(0);
    local_scan_headers(&c);
    for (i = 0; i < req->nrcpt; i++)
        local_recipient(&c, i);
    argv_free(c.delivered_hdrs);
    argv_free(c.been_here);
    argv_free(c.forward);
    argv_free(c.forward_sender);
    vstr_free(c.dsn);
    vstr_free(c.reason);
    return 0;
}

static void local_client(SERVER *srv, int fd)
{
    LOCAL_CONF *conf = srv->context;
    DELIVER_AGENT a;

    memset(&a, 0, sizeof(a));
    a.relay = "local";
    a.resolution = conf->resolution;
    a.timeout_ms = conf->timeout_ms;
    a.deliver = local_deliver;
    a.ctx = conf;
    a.srv = srv;
    deliver_agent_serve(fd, &a);
}

/* ---- configuration ---- */

/*
 * A table that could not be opened: one warning per process, and another
 * try at most once a second (Postfix's local would exit instead: local.h).
 * 1 when the table is open now.
 */
static int local_maps_retry(LOCAL_MAPS *m, size_t t)
{
    VSTR *why;
    time_t now = time(NULL);

    if (!m->warned) {
        msg_warn("%s: table %s is unavailable (it could not be opened): mail that needs it "
                 "is deferred until it can be opened", m->param, m->spec[t]);
        m->warned = 1;
    }
    if (now == m->last_try)
        return 0;
    m->last_try = now;
    why = vstr_new(0);
    m->t[t] = table_open(m->spec[t], TABLE_READ, TABLE_FLAGS_READ, why);
    if (m->t[t] != NULL)
        msg_info("%s: table %s is available again", m->param, m->spec[t]);
    vstr_free(why);
    return m->t[t] != NULL;
}

const char *local_maps_find_in(LOCAL_MAPS *m, const char *key, int *err, size_t *which)
{
    const char *value;
    size_t t;

    *err = 0;
    for (t = 0; t < m->n; t++) {
        if (m->t[t] == NULL && !local_maps_retry(m, t)) {
            *err = 1;
            return NULL;
        }
        if ((value = table_lookup(m->t[t], key)) != NULL) {
            if (which)
                *which = t;
            return value;
        }
        if (m->t[t]->error != TABLE_OK) {
            msg_warn("%s: lookup of %s failed", m->t[t]->spec, key);
            *err = 1;
            return NULL;
        }
    }
    return NULL;
}

const char *local_maps_find(LOCAL_MAPS *m, const char *key, int *err)
{
    return local_maps_find_in(m, key, err, NULL);
}

static void local_maps_open(LOCAL_MAPS *m, const char *param)
{
    char *copy = mem_strdup(conf_get(param)), *cur = copy, *spec;
    VSTR *why = vstr_new(0);

    m->param = param;
    while ((spec = str_token(&cur, ", \t\r\n")) != NULL) {
        const char *colon = strchr(spec, ':');
        VSTR *type = vstr_new(0);
        TABLE *t = NULL;

        if (colon)
            vstr_addmem(type, spec, (size_t) (colon - spec));
        if (colon == NULL || !table_type_known(vstr_str(type))) {
            /* nis:mail.aliases, in Postfix's default: not supported, skipped */
            msg_warn("%s: unsupported table %s: ignored", param, spec);
            vstr_free(type);
            continue;
        }
        vstr_free(type);
        vstr_reset(why);
        if ((t = table_open(spec, TABLE_READ, TABLE_FLAGS_READ, why)) == NULL)
            msg_warn("%s: %s", param, vstr_str(why));
        m->t = mem_array_grow(m->t, m->n + 1, sizeof(TABLE *));
        m->spec = mem_array_grow(m->spec, m->n + 1, sizeof(char *));
        m->t[m->n] = t;
        m->spec[m->n++] = mem_strdup(spec);
    }
    mem_free(copy);
    vstr_free(why);
}

static void local_maps_close(LOCAL_MAPS *m)
{
    size_t t;

    for (t = 0; t < m->n; t++) {
        if (m->t[t])
            table_close(m->t[t]);
        mem_free(m->spec[t]);
    }
    mem_free(m->t);
    mem_free(m->spec);
    m->t = NULL;
    m->spec = NULL;
    m->n = 0;
}

static void local_pre_jail(SERVER *srv)
{
    LOCAL_CONF *conf = srv->context;
    VSTR *why = vstr_new(0), *v = vstr_new(0);
    long t = conf_get_time("ipc_timeout");
    const char *dp = conf_get("default_privs");

    conf->resolution = (int) conf_get_int("delay_logging_resolution_limit");
    if (conf->resolution < 0 || conf->resolution > 6)
        msg_fatal("bad delay_logging_resolution_limit: %d (0..6)", conf->resolution);
    conf->timeout_ms = t > 0 && t < 86400 ? (int) t * 1000 : 3600000;
    if (local_priv_lookup(&conf->nobody, dp, 0, 0) != 0)
        msg_fatal("unknown default_privs user: %s", dp);
    if (conf->nobody.uid == 0)
        msg_fatal("default_privs must not be root: %s", dp);
    local_maps_open(&conf->aliases, "alias_maps");
    local_maps_open(&conf->mbox_transport_maps, "mailbox_transport_maps");
    local_maps_open(&conf->mbox_command_maps, "mailbox_command_maps");
    local_maps_open(&conf->fallback_maps, "fallback_transport_maps");
    conf->mbox_transport = conf_get("mailbox_transport");
    conf->fallback_transport = conf_get("fallback_transport");
    conf->mydest = match_list_create("mydestination", conf_get("mydestination"),
                                     MATCH_DOMAIN | match_list_parent_flag("mydestination",
                                                        conf_get("parent_domain_matches_subdomains")),
                                     why);
    if (vstr_len(why))
        msg_warn("%s", vstr_str(why));
    conf->delims = conf_get("recipient_delimiter");
    conf->myorigin = conf_get("myorigin");
    conf->forward_path = conf_get_raw("forward_path");
    conf->forward_filter = conf_get("forward_expansion_filter");
    conf->luser_relay = conf_get_raw("luser_relay");
    conf->home_mailbox = conf_get("home_mailbox");
    conf->spool_dir = conf_get("mail_spool_directory");
    conf->mailbox_command = conf_get_raw("mailbox_command");
    conf->command_shell = conf_get("local_command_shell");
    conf->exec_dir = conf_get("command_execution_directory");
    conf->export_env = conf_get("export_environment");
    conf->allow_cmd = conf_get("allow_mail_to_commands");
    conf->allow_file = conf_get("allow_mail_to_files");
    conf->prepend_dt = conf_get("prepend_delivered_header");
    conf->command_time_limit = conf_get_time("command_time_limit");
    conf->original_to = conf_get_bool("enable_original_recipient");
    conf->strict_owner = conf_get_bool("strict_mailbox_ownership");
    conf->owner_special = conf_get_bool("owner_request_special");
    conf->expand_owner = conf_get_bool("expand_owner_alias");
    conf->ext_prop = conf_get("propagate_unmatched_extensions");
    conf->biff = conf_get_bool("biff");
    conf->biff_fd = -1;
    vstr_sprintf(v, "public/%s", conf_get("cleanup_service_name"));
    conf->cleanup_path = vstr_export(v);
    mailbox_opts_init(&conf->mbox);
    mailbox_opts_conf(&conf->mbox, "mailbox_delivery_lock", "mailbox_size_limit");
    vstr_free(why);
}

/* Close the tables (Berkeley DB keeps memory only it can see) and free. */
static void local_on_exit(SERVER *srv)
{
    LOCAL_CONF *conf = srv->context;

    local_maps_close(&conf->aliases);
    local_maps_close(&conf->mbox_transport_maps);
    local_maps_close(&conf->mbox_command_maps);
    local_maps_close(&conf->fallback_maps);
    if (conf->mydest)
        match_list_free(conf->mydest);
    conf->mydest = NULL;
    local_priv_free(&conf->nobody);
    if (conf->biff_fd >= 0)
        close(conf->biff_fd);
    conf->biff_fd = -1;
    mem_free((char *) conf->cleanup_path);
    conf->cleanup_path = NULL;
}

int main(int argc, char **argv)
{
    static LOCAL_CONF conf;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = local_pre_jail;
    ops.client = local_client;
    ops.on_exit = local_on_exit;
    ops.context = &conf;
    server_single_main(argc, argv, &ops);
}
