/*
 * smtp_proto - one SMTP/LMTP session; see smtp_proto.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mem.h"
#include "msg.h"
#include "smtp_checks.h"
#include "smtp_generic.h"
#include "smtp_mime.h"
#include "smtp_proto.h"
#include "strutil.h"

#define MS(sec) ((long) (sec) * 1000L)
#define SMTP_PIPE_BATCH 100   /* RCPT TO commands per pipelined write */
#define SMTP_UTF8_REQUESTED 1 /* the C record's SMTPUTF8 flags, as Postfix's */

/* proto_fail_text - Postfix's reason for a broken conversation */
static void proto_fail_text(SMTP_SESS *s, const char *while_what, VSTR *why)
{
    if (s->conn->broken == SMTP_ERR_TIMEOUT)
        vstr_sprintf(why, "conversation with %s timed out while %s", s->hostaddr, while_what);
    else if (s->conn->broken == SMTP_ERR_PROTO)
        vstr_sprintf(why, "%s with %s while %s", vstr_str(s->conn->why), s->hostaddr,
                     while_what);
    else
        vstr_sprintf(why, "lost connection with %s while %s", s->hostaddr, while_what);
}

static void proto_said(SMTP_SESS *s, const SMTP_REPLY *rep, const char *cmd, VSTR *why)
{
    vstr_sprintf(why, "host %s said: %s (in reply to %s command)", s->hostaddr,
                 vstr_str(rep->text), cmd);
}

static SMTP_SESS *sess_new(const SMTP_ADDR *a, unsigned port, int fd, int unix_sock)
{
    SMTP_SESS *s = mem_alloc(sizeof(*s));
    VSTR *v = vstr_new(0);

    memset(s, 0, sizeof(*s));
    s->conn = smtp_conn_new(fd);
    s->host = mem_strdup(a->host);
    s->addr = mem_strdup(a->addr);
    s->port = port;
    vstr_sprintf(v, "%s[%s]", a->host, a->addr);
    s->hostaddr = mem_strdup(vstr_str(v));
    if (!unix_sock)
        vstr_printf(v, ":%u", port);
    s->namaddr = vstr_export(v);
    s->created = s->last_used = time(NULL);
    return s;
}

static void sess_free(SMTP_SESS *s)
{
    smtp_conn_free(s->conn);
    mem_free(s->host);
    mem_free(s->addr);
    mem_free(s->hostaddr);
    mem_free(s->namaddr);
    mem_free(s->auth_mechs);
    mem_free(s->key);
    mem_free(s);
}

/* proto_cmd - send one command and read its reply: 0, or -1 (broken) */
static int proto_cmd(SMTP_SESS *s, const char *cmd, int timeout, SMTP_REPLY *rep)
{
    long long dl = tls_deadline(MS(timeout));

    smtp_conn_puts(s->conn, cmd);
    smtp_conn_puts(s->conn, "\r\n");
    if (smtp_conn_flush(s->conn, dl) < 0)
        return -1;
    return smtp_reply_read(s->conn, rep, dl);
}

static int proto_discarded(const ARGV *list, const char *kw, size_t n)
{
    size_t i;

    for (i = 0; list && i < list->argc; i++)
        if (strlen(list->argv[i]) == n && strncasecmp(list->argv[i], kw, n) == 0)
            return 1;
    return 0;
}

/* The XFORWARD attributes: keyword, bit, in the order commands carry them. */
static const struct {
    const char *name;
    int bit;
} proto_xfwd_attrs[] = {
    {"NAME", SMTP_XFWD_NAME},   {"ADDR", SMTP_XFWD_ADDR},   {"PORT", SMTP_XFWD_PORT},
    {"PROTO", SMTP_XFWD_PROTO}, {"HELO", SMTP_XFWD_HELO},   {"IDENT", SMTP_XFWD_IDENT},
    {"SOURCE", SMTP_XFWD_SOURCE},
};
#define PROTO_XFWD_NATTR (sizeof(proto_xfwd_attrs) / sizeof(proto_xfwd_attrs[0]))
#define PROTO_XFWD_NA (SMTP_XFWD_NAME | SMTP_XFWD_ADDR | SMTP_XFWD_PORT)

/* proto_xfwd_parse - the attribute names after the EHLO keyword XFORWARD */
static int proto_xfwd_parse(const char *p)
{
    int mask = 0;
    size_t i, n;

    for (;;) {
        p += strspn(p, " \t=");
        if (*p == 0)
            break;
        n = strcspn(p, " \t");
        for (i = 0; i < PROTO_XFWD_NATTR; i++)
            if (strlen(proto_xfwd_attrs[i].name) == n &&
                strncasecmp(p, proto_xfwd_attrs[i].name, n) == 0)
                mask |= proto_xfwd_attrs[i].bit;
        p += n;
    }
    return mask;
}

static void proto_features(const SMTP_CONF *cf, SMTP_SESS *s, const SMTP_REPLY *rep)
{
    size_t i;

    s->features = SMTP_FEAT_ESMTP;
    s->xfwd = 0;
    s->size_limit = 0;
    mem_free(s->auth_mechs);
    s->auth_mechs = NULL;
    for (i = 1; i < rep->lines->argc; i++) {
        const char *l = rep->lines->argv[i];
        size_t n = strcspn(l, " =");

        if (proto_discarded(cf->discard_ehlo, l, n))
            continue;
        if (n == 10 && strncasecmp(l, "PIPELINING", n) == 0)
            s->features |= SMTP_FEAT_PIPELINING;
        else if (n == 4 && strncasecmp(l, "SIZE", n) == 0) {
            s->features |= SMTP_FEAT_SIZE;
            if (l[n] == ' ')
                s->size_limit = strtol(l + n + 1, NULL, 10);
            if (s->size_limit < 0)
                s->size_limit = 0;
        } else if (n == 8 && strncasecmp(l, "XFORWARD", n) == 0)
            s->xfwd = proto_xfwd_parse(l + n);
        else if (n == 3 && strncasecmp(l, "DSN", n) == 0)
            s->features |= SMTP_FEAT_DSN;
        else if (n == 8 && strncasecmp(l, "8BITMIME", n) == 0)
            s->features |= SMTP_FEAT_8BITMIME;
        else if (n == 8 && strncasecmp(l, "SMTPUTF8", n) == 0)
            s->features |= SMTP_FEAT_SMTPUTF8;
        else if (n == 8 && strncasecmp(l, "STARTTLS", n) == 0)
            s->features |= SMTP_FEAT_STARTTLS;
        else if (n == 4 && strncasecmp(l, "AUTH", n) == 0 && l[n] && s->auth_mechs == NULL) {
            s->features |= SMTP_FEAT_AUTH;
            s->auth_mechs = mem_strdup(l + n + 1);
        }
    }
}

/* proto_hello - EHLO (HELO fallback) or LHLO: 0, or -1 with dsn/why */
static int proto_hello(const SMTP_CONF *cf, SMTP_SESS *s, SMTP_REPLY *rep, VSTR *dsn, VSTR *why)
{
    VSTR *cmd = vstr_new(0);
    int r;

    if (cf->lmtp)
        vstr_sprintf(cmd, "LHLO %s", cf->helo_name);
    else
        vstr_sprintf(cmd, "%s %s", cf->never_ehlo ? "HELO" : "EHLO", cf->helo_name);
    r = proto_cmd(s, vstr_str(cmd), cf->helo_timeout, rep);
    if (r == 0 && rep->code / 100 == 5 && !cf->lmtp && !cf->never_ehlo) {
        vstr_sprintf(cmd, "HELO %s", cf->helo_name);
        r = proto_cmd(s, vstr_str(cmd), cf->helo_timeout, rep);
        s->features = 0;
        s->xfwd = 0;
        if (r == 0 && rep->code / 100 == 2) {
            vstr_free(cmd);
            return 0;
        }
    }
    if (r < 0) {
        proto_fail_text(s, cf->lmtp ? "performing the LHLO handshake"
                                    : "performing the EHLO handshake", why);
        vstr_set(dsn, "4.4.2");
        vstr_free(cmd);
        return -1;
    }
    if (rep->code / 100 != 2) {
        vstr_sprintf(why, "host %s refused to talk to me: %s", s->hostaddr, vstr_str(rep->text));
        vstr_set(dsn, rep->dsn);
        vstr_free(cmd);
        return -1;
    }
    if (cf->lmtp || !cf->never_ehlo)
        proto_features(cf, s, rep);
    vstr_free(cmd);
    return 0;
}

/* proto_tls_policy - the level for this next hop, and a match list override */
static int proto_tls_policy(const SMTP_CONF *cf, const SMTP_DEST *d, const char *nexthop,
                            VSTR *match)
{
    size_t i;
    int level = cf->tls_level;
    const char *v = NULL;

    vstr_reset(match);
    for (i = 0; i < cf->ntls_policy && v == NULL; i++) {
        v = table_lookup(cf->tls_policy[i], nexthop);
        if (v == NULL && d->name)
            v = table_lookup(cf->tls_policy[i], d->name);
        if (v == NULL && cf->tls_policy[i]->error != TABLE_OK)
            return -2;
    }
    if (v != NULL) {
        ARGV *w = argv_split(v, " \t,");
        if (w->argc > 0 && (level = tls_level_parse(w->argv[0])) < 0) {
            msg_warn("%s_tls_policy_maps: bad security level \"%s\" for %s", cf->prefix,
                     w->argv[0], nexthop);
            argv_free(w);
            return -2;
        }
        for (i = 1; i < w->argc; i++) {
            if (strncmp(w->argv[i], "match=", 6) == 0) {
                if (vstr_len(match))
                    vstr_addch(match, ' ');
                vstr_adds(match, w->argv[i] + 6);
            }
        }
        /* verify/secure: "match=hostname:nexthop"; fingerprints keep their ':' */
        if (level != TLS_LEV_FPRINT)
            for (char *p = vstr_str(match); *p; p++)
                if (*p == ':')
                    *p = ' ';
        argv_free(w);
    }
    return level;
}

/* proto_tls_start - the TLS handshake on the connection: 0, or -1 with dsn/why */
static int proto_tls_start(const SMTP_CONF *cf, SMTP_SESS *s, const SMTP_DEST *d, int level,
                           VSTR *match, VSTR *dsn, VSTR *why)
{
    TLS_CLIENT_PROPS props;
    long long dl;

    tls_client_props_conf(&props, cf->prefix, level);
    props.host = s->host;
    props.nexthop = d->name;
    props.namaddr = s->namaddr;
    if (vstr_len(match))
        props.match = vstr_str(match);
    dl = tls_deadline(MS(cf->starttls_timeout));
    if ((s->conn->tls = tls_client_start(cf->tls_ctx, s->conn->fd, &props, dl, why)) == NULL) {
        vstr_set(dsn, "4.7.5");
        if (vstr_len(why) == 0)
            vstr_sprintf(why, "Cannot start TLS: handshake failure with %s", s->hostaddr);
        s->conn->broken = SMTP_ERR_IO;
        return -1;
    }
    s->tls = 1;
    if (cf->tls_loglevel >= 1)
        tls_log_summary(s->conn->tls);
    return 0;
}

/*
 * proto_wrapper - smtp_tls_wrappermode: TLS at once after connect (port
 * 465), at least at level encrypt. 0, or -1 with dsn/why.
 */
static int proto_wrapper(const SMTP_CONF *cf, SMTP_SESS *s, const SMTP_DEST *d,
                         const char *nexthop, VSTR *dsn, VSTR *why)
{
    VSTR *match = vstr_new(0);
    int level = proto_tls_policy(cf, d, nexthop, match), ret = 0;

    if (level == -2) {
        vstr_set(dsn, "4.7.5");
        vstr_sprintf(why, "TLS policy lookup for %s: configuration error", nexthop);
        ret = -1;
    } else if (level != TLS_LEV_NONE) {
        if (level < TLS_LEV_ENCRYPT)
            level = TLS_LEV_ENCRYPT;
        if (cf->tls_ctx == NULL) {
            vstr_set(dsn, "4.7.5");
            vstr_set(why, "TLS is required, but our TLS engine is unavailable");
            ret = -1;
        } else
            ret = proto_tls_start(cf, s, d, level, match, dsn, why);
    }
    vstr_free(match);
    return ret;
}

/* proto_starttls - 0: TLS active or not needed, -1: fail with dsn/why */
static int proto_starttls(const SMTP_CONF *cf, SMTP_SESS *s, const SMTP_DEST *d,
                          const char *nexthop, SMTP_REPLY *rep, VSTR *dsn, VSTR *why,
                          int no_tls, int *may_failed)
{
    VSTR *match = vstr_new(0);
    int level = proto_tls_policy(cf, d, nexthop, match), ret = -1;

    if ((no_tls && level == TLS_LEV_MAY) || s->tls)
        level = TLS_LEV_NONE;

    if (level == -2) {
        vstr_set(dsn, "4.7.5");
        vstr_sprintf(why, "TLS policy lookup for %s: configuration error", nexthop);
        goto out;
    }
    if (level == TLS_LEV_NONE || d->unix_path) {
        ret = 0;
        goto out;
    }
    if (cf->tls_ctx == NULL) {
        if (level == TLS_LEV_MAY) {
            ret = 0;
            goto out;
        }
        vstr_set(dsn, "4.7.5");
        vstr_set(why, "TLS is required, but our TLS engine is unavailable");
        goto out;
    }
    if (!(s->features & SMTP_FEAT_STARTTLS)) {
        if (level == TLS_LEV_MAY) {
            ret = 0;
            goto out;
        }
        vstr_set(dsn, "4.7.4");
        vstr_sprintf(why, "TLS is required, but was not offered by host %s", s->hostaddr);
        goto out;
    }
    if (proto_cmd(s, "STARTTLS", cf->starttls_timeout, rep) < 0) {
        vstr_set(dsn, "4.4.2");
        proto_fail_text(s, "receiving the STARTTLS response", why);
        goto out;
    }
    if (rep->code != 220) {
        if (level == TLS_LEV_MAY) {
            ret = 0;
            goto out;
        }
        vstr_set(dsn, rep->code / 100 == 5 ? "4.7.5" : rep->dsn);
        proto_said(s, rep, "STARTTLS", why);
        goto out;
    }
    if (s->conn->rpos < s->conn->rlen) {
        vstr_set(dsn, "4.7.5");
        vstr_sprintf(why, "host %s sent data after its STARTTLS reply", s->hostaddr);
        s->conn->broken = SMTP_ERR_PROTO;
        *may_failed = level == TLS_LEV_MAY;
        goto out;
    }
    if (proto_tls_start(cf, s, d, level, match, dsn, why) < 0) {
        *may_failed = level == TLS_LEV_MAY;
        goto out;
    }
    ret = proto_hello(cf, s, rep, dsn, why);
out:
    vstr_free(match);
    return ret;
}

/* proto_auth - SASL AUTH when enabled and a password is known */
static int proto_auth(const SMTP_CONF *cf, SMTP_SESS *s, const SMTP_DEST *d,
                      const char *nexthop, SMTP_REPLY *rep, VSTR *dsn, VSTR *why)
{
    char *user = NULL, *pass = NULL;
    SASL_CLI_SESS *ss;
    VSTR *mech, *initial, *resp, *cmd;
    int r, ret = -1, rounds;

    if (!cf->sasl_enable || cf->sasl == NULL)
        return 0;
    r = sasl_cli_passwd_lookup(cf->sasl_maps, cf->nsasl_maps, d->sasl_sender, s->host, nexthop,
                               &user, &pass);
    if (r < 0) {
        vstr_set(dsn, "4.3.0");
        vstr_sprintf(why, "%s_sasl_password_maps lookup error", cf->prefix);
        return -1;
    }
    if (r == 0)
        return 0;
    if (!(s->features & SMTP_FEAT_AUTH) || s->auth_mechs == NULL) {
        mem_free(user);
        mem_free(pass);
        return 0;
    }
    mech = vstr_new(0), initial = vstr_new(0), resp = vstr_new(0), cmd = vstr_new(0);
    if ((ss = sasl_cli_sess_new(cf->sasl, s->host, user, pass, s->tls, why)) == NULL) {
        vstr_set(dsn, "4.7.0");
        goto done;
    }
    r = sasl_cli_sess_start(ss, s->auth_mechs, mech, initial, resp);
    if (r != SASL_CLI_OK) {
        vstr_set(dsn, "4.7.0");
        vstr_sprintf(why, "SASL authentication failed; cannot authenticate to server %s: %s",
                     s->hostaddr, r == SASL_CLI_NOMECH ? "no mechanism available"
                                                       : vstr_str(resp));
        goto done;
    }
    vstr_sprintf(cmd, "AUTH %s%s%s", vstr_str(mech), vstr_len(initial) ? " " : "",
                 vstr_str(initial));
    for (rounds = 0;; rounds++) {
        if (proto_cmd(s, vstr_str(cmd), cf->helo_timeout, rep) < 0) {
            vstr_set(dsn, "4.4.2");
            proto_fail_text(s, "performing SASL authentication", why);
            goto done;
        }
        if (rep->code != 334 || rounds > 20)
            break;
        if (sasl_cli_sess_step(ss, rep->lines->argv[0], resp, why) != SASL_CLI_OK) {
            vstr_set(cmd, "*");
            continue;
        }
        vstr_set(cmd, vstr_str(resp));
    }
    if (rep->code / 100 == 2) {
        ret = 0;
        goto done;
    }
    vstr_set(dsn, rep->code / 100 == 5 ? "4.7.0" : rep->dsn);
    vstr_sprintf(why, "SASL authentication failed; server %s said: %s", s->hostaddr,
                 vstr_str(rep->text));
done:
    if (ss)
        sasl_cli_sess_free(ss);
    if (pass)
        memset(pass, 0, strlen(pass));
    mem_free(user);
    mem_free(pass);
    vstr_free(mech);
    vstr_free(initial);
    vstr_free(resp);
    vstr_free(cmd);
    return ret;
}

static int sess_open(const SMTP_CONF *cf, const SMTP_ADDR *a, const SMTP_DEST *d,
                     const char *nexthop, SMTP_SESS **out, VSTR *dsn, VSTR *why, int no_tls,
                     int *may_failed)
{
    SMTP_REPLY rep;
    SMTP_SESS *s;
    VSTR *err = vstr_new(0);
    int fd;
    unsigned port = d->unix_path ? 0 : d->port;

    *out = NULL;
    const struct sockaddr_storage *bind_sa = NULL;

    if (a->sa.ss_family == AF_INET && cf->bind4.ss_family)
        bind_sa = &cf->bind4;
    else if (a->sa.ss_family == AF_INET6 && cf->bind6.ss_family)
        bind_sa = &cf->bind6;
    if ((fd = smtp_conn_connect((const struct sockaddr *) &a->sa, a->salen, bind_sa,
                                (int) MS(cf->connect_timeout), err)) < 0) {
        if (d->unix_path)
            vstr_sprintf(why, "connect to %s[%s]: %s", a->host, a->addr, vstr_str(err));
        else
            vstr_sprintf(why, "connect to %s[%s]:%u: %s", a->host, a->addr, port, vstr_str(err));
        vstr_set(dsn, "4.4.1");
        msg_info("%s", vstr_str(why));
        vstr_free(err);
        return SMTP_OPEN_NOCONN;
    }
    vstr_free(err);
    s = sess_new(a, port, fd, d->unix_path != NULL);
    s->conn->per_call = !cf->per_request_deadline;
    smtp_reply_init(&rep);
    if (cf->tls_wrapper && !d->unix_path && proto_wrapper(cf, s, d, nexthop, dsn, why) < 0)
        goto fail;
    if (smtp_reply_read(s->conn, &rep, tls_deadline(MS(cf->helo_timeout))) < 0) {
        vstr_set(dsn, "4.4.2");
        proto_fail_text(s, "receiving the initial server greeting", why);
        goto fail;
    }
    if (rep.code / 100 != 2) {
        vstr_set(dsn, rep.dsn);
        vstr_sprintf(why, "host %s refused to talk to me: %s", s->hostaddr, vstr_str(rep.text));
        msg_info("%s", vstr_str(why));
        if (rep.code / 100 == 5 && !cf->skip_5xx_greeting) {
            smtp_reply_free(&rep);
            smtp_sess_close(cf, s);
            return SMTP_OPEN_HARD;
        }
        if (rep.dsn[0] == '5')
            vstr_str(dsn)[0] = '4';
        goto fail;
    }
    if (proto_hello(cf, s, &rep, dsn, why) < 0)
        goto fail;
    if (proto_starttls(cf, s, d, nexthop, &rep, dsn, why, no_tls, may_failed) < 0)
        goto fail;
    if (proto_auth(cf, s, d, nexthop, &rep, dsn, why) < 0)
        goto fail;
    smtp_reply_free(&rep);
    *out = s;
    return SMTP_OPEN_OK;
fail:
    smtp_reply_free(&rep);
    smtp_sess_close(cf, s);
    return SMTP_OPEN_FAIL;
}

/*
 * smtp_sess_open - with smtp_tls_security_level = may, a server whose TLS
 * handshake fails is tried once more at once, in plaintext.
 */
int smtp_sess_open(const SMTP_CONF *cf, const SMTP_ADDR *a, const SMTP_DEST *d,
                   const char *nexthop, SMTP_SESS **out, VSTR *dsn, VSTR *why)
{
    int may_failed = 0, r;

    r = sess_open(cf, a, d, nexthop, out, dsn, why, 0, &may_failed);
    if (r == SMTP_OPEN_FAIL && may_failed) {
        msg_info("%s[%s]: TLS handshake failed (%s); trying again without TLS", a->host,
                 a->addr, vstr_str(why));
        r = sess_open(cf, a, d, nexthop, out, dsn, why, 1, &may_failed);
    }
    return r;
}

/* proto_xtext - xtext: bytes outside 33..126 and those in SPECIAL as +XX */
static void proto_xtext(VSTR *out, const char *text, const char *special)
{
    const unsigned char *p;

    for (p = (const unsigned char *) text; *p; p++) {
        if (*p < 33 || *p > 126 || strchr(special, *p) != NULL)
            vstr_printf(out, "+%02X", *p);
        else
            vstr_addch(out, *p);
    }
}

void smtp_xtext(VSTR *out, const char *text)
{
    proto_xtext(out, text, "+=");
}

/* proto_xfwd_xtext - xtext as Postfix's XFORWARD client writes it ('=' as is) */
static void proto_xfwd_xtext(VSTR *out, const char *text)
{
    proto_xtext(out, text, "+");
}

/* proto_xfwd_value - what the request says for one attribute */
static const char *proto_xfwd_value(const DELIVER_REQUEST *req, int bit)
{
    const char *v = "";

    switch (bit) {
    case SMTP_XFWD_NAME:
        v = req->client_name;
        break;
    case SMTP_XFWD_ADDR:
        v = req->client_addr;
        break;
    case SMTP_XFWD_PORT:
        v = req->client_port;
        break;
    case SMTP_XFWD_PROTO:
        v = req->proto_name;
        break;
    case SMTP_XFWD_HELO:
        v = req->helo_name;
        break;
    case SMTP_XFWD_IDENT:
        v = req->log_ident;
        break;
    case SMTP_XFWD_SOURCE:
        if (req->rewrite_context && *req->rewrite_context)
            v = strcmp(req->rewrite_context, "local") == 0 ? "LOCAL" : "REMOTE";
        break;
    }
    return v && *v ? v : "[UNAVAILABLE]";
}

/*
 * smtp_xforward_cmds - the XFORWARD commands (without CRLF) for the
 * attributes in announced, packed into as few lines of at most
 * SMTP_XFWD_LINE_MAX bytes as they fit; na[i] (when not NULL) says
 * whether command i carries NAME, ADDR or PORT. A value too long for any
 * line is sent as [UNAVAILABLE], with a warning. Returns the count.
 */
size_t smtp_xforward_cmds(int announced, const DELIVER_REQUEST *req, ARGV *cmds, int *na)
{
    VSTR *cmd = vstr_new(0), *piece = vstr_new(0);
    size_t i, n = 0;
    int cur_na = 0;

    vstr_set(cmd, "XFORWARD");
    for (i = 0; i < PROTO_XFWD_NATTR; i++) {
        int bit = proto_xfwd_attrs[i].bit;

        if (!(announced & bit))
            continue;
        vstr_sprintf(piece, " %s=", proto_xfwd_attrs[i].name);
        proto_xfwd_xtext(piece, proto_xfwd_value(req, bit));
        if (8 + vstr_len(piece) > SMTP_XFWD_LINE_MAX) {
            msg_warn("%s: XFORWARD %s value is too long: sent as [UNAVAILABLE]", req->queue_id,
                     proto_xfwd_attrs[i].name);
            vstr_sprintf(piece, " %s=[UNAVAILABLE]", proto_xfwd_attrs[i].name);
        }
        if (vstr_len(cmd) > 8 && vstr_len(cmd) + vstr_len(piece) > SMTP_XFWD_LINE_MAX) {
            if (na && n < SMTP_XFWD_CMDS_MAX)
                na[n] = cur_na;
            argv_add(cmds, vstr_str(cmd));
            n++;
            vstr_set(cmd, "XFORWARD");
            cur_na = 0;
        }
        vstr_adds(cmd, vstr_str(piece));
        cur_na |= (bit & PROTO_XFWD_NA) != 0;
    }
    if (vstr_len(cmd) > 8) {
        if (na && n < SMTP_XFWD_CMDS_MAX)
            na[n] = cur_na;
        argv_add(cmds, vstr_str(cmd));
        n++;
    }
    vstr_free(cmd);
    vstr_free(piece);
    return n;
}

static void proto_path(VSTR *out, const char *addr)
{
    VSTR *q = vstr_new(0);

    addr_quote(q, addr);
    vstr_addch(out, '<');
    vstr_adds(out, vstr_str(q));
    vstr_addch(out, '>');
    vstr_free(q);
}

static int proto_ascii(const char *str)
{
    for (; *str; str++)
        if ((unsigned char) *str > 127)
            return 0;
    return 1;
}

/* Per-recipient outcomes. */
static void rcpt_sent(SMTP_SESS *s, DELIVER_REQUEST *req, int qfd, size_t i,
                      SMTP_RCPT_STATE *st, const char *dsn, const char *text,
                      const DELIVER_TIMES *t)
{
    /*
     * NOTIFY=SUCCESS to a server without DSN: the success notice can only
     * say the mail was relayed (RFC 3461), with the server's reply. The
     * sendmail -v report says "relayed" too, as Postfix's does: the next
     * server has the mail, not the recipient.
     */
    if ((!(s->features & SMTP_FEAT_DSN) && (req->rcpt[i].notify & DELIVER_NOTIFY_SUCCESS))
        || (req->flags & (DELIVER_FLAG_RECORD | DELIVER_FLAG_USR_VRFY))) {
        req->success_action = "relayed";
        req->remote_mta = s->host;
        req->remote_diag_type = msg_program();
        req->remote_reply = text;
    }
    deliver_rcpt_sent(req, qfd, i, dsn, text, t);
    req->success_action = NULL;
    req->remote_mta = req->remote_diag_type = req->remote_reply = NULL;
    st[i].done = 1;
}

static void rcpt_outcome(SMTP_SESS *s, DELIVER_REQUEST *req, int qfd, size_t i,
                         SMTP_RCPT_STATE *st, const SMTP_REPLY *rep, const char *cmd,
                         const DELIVER_TIMES *t)
{
    VSTR *why = vstr_new(0);

    proto_said(s, rep, cmd, why);
    if (rep->code / 100 == 5) {
        /* The notice's Remote-MTA and Diagnostic-Code: the server's reply. */
        req->remote_mta = s->host;
        req->remote_diag_type = msg_program();
        req->remote_reply = vstr_str(rep->text);
        deliver_rcpt_bounce(req, qfd, i, rep->dsn, vstr_str(why), t);
        req->remote_mta = req->remote_diag_type = req->remote_reply = NULL;
        st[i].done = 1;
    } else {
        vstr_set(st[i].dsn, rep->dsn);
        if (st[i].dsn->buf[0] != '4')
            vstr_set(st[i].dsn, "4.0.0");
        vstr_set(st[i].why, vstr_str(why));
        vstr_set(st[i].relay, s->namaddr);
        /* kept for the delay notice's Remote-MTA and Diagnostic-Code */
        vstr_set(st[i].reply, vstr_str(rep->text));
        vstr_set(st[i].mta, s->host);
    }
    vstr_free(why);
}

static void rcpt_broken(SMTP_SESS *s, DELIVER_REQUEST *req, SMTP_RCPT_STATE *st,
                        const char *while_what)
{
    VSTR *why = vstr_new(0);
    size_t i;

    proto_fail_text(s, while_what, why);
    for (i = 0; i < req->nrcpt; i++) {
        if (st[i].done)
            continue;
        vstr_set(st[i].dsn, "4.4.2");
        vstr_set(st[i].why, vstr_str(why));
        vstr_set(st[i].relay, s->namaddr);
        vstr_reset(st[i].reply);
    }
    vstr_free(why);
}

static void rcpt_all_bounce(DELIVER_REQUEST *req, int qfd, SMTP_RCPT_STATE *st, const char *dsn,
                            const char *why, const DELIVER_TIMES *t)
{
    size_t i;

    for (i = 0; i < req->nrcpt; i++)
        if (!st[i].done) {
            deliver_rcpt_bounce(req, qfd, i, dsn, why, t);
            st[i].done = 1;
        }
}

/*
 * proto_put_text - a piece of a content line; a line longer than
 * smtp_line_length_limit is broken with <CR><LF><SPACE>, as Postfix does.
 */
static void proto_put_text(const SMTP_CONF *cf, SMTP_SESS *s, const char *data, size_t len,
                           size_t *col)
{
    size_t n;

    while (len > 0) {
        if (cf->line_limit == 0 || *col + len <= cf->line_limit) {
            smtp_conn_write(s->conn, data, len);
            *col += len;
            return;
        }
        n = *col < cf->line_limit ? cf->line_limit - *col : 0;
        smtp_conn_write(s->conn, data, n);
        smtp_conn_write(s->conn, "\r\n ", 3);
        *col = 1;
        data += n;
        len -= n;
    }
}

/* Where the content goes: the session, and the state of the line. */
typedef struct CONTENT_OUT {
    const SMTP_CONF *cf;
    SMTP_SESS *s;
    int bol;
    size_t col;
} CONTENT_OUT;

/* content_put - a piece of a content line, dot-stuffed; eol: CRLF after it */
static void content_put(void *ctx, const char *data, size_t len, int eol)
{
    CONTENT_OUT *o = ctx;

    if (o->bol && len > 0 && data[0] == '.')
        smtp_conn_write(o->s->conn, ".", 1), o->col++;
    proto_put_text(o->cf, o->s, data, len, &o->col);
    if (eol) {
        smtp_conn_write(o->s->conn, "\r\n", 2);
        o->bol = 1;
        o->col = 0;
    } else if (len > 0)
        o->bol = 0;
}

static void content_to_mime(void *ctx, const char *data, size_t len, int eol)
{
    smtp_mime_input(ctx, data, len, eol);
}

/* proto_content_flush - content out by the deadline (see proto_content) */
static int proto_content_flush(const SMTP_CONF *cf, SMTP_SESS *s, long long *dl)
{
    if (cf->per_request_deadline)
        return smtp_conn_flush_data(s->conn, dl, cf->min_data_rate);
    return smtp_conn_flush(s->conn, tls_deadline(MS(cf->data_xfer_timeout)));
}

/*
 * proto_content - the message, dot-stuffed, CRLF, then ".": 0 or -1.
 * smtp_header_checks/smtp_body_checks first (smtp_checks.h), then
 * with downgrade, 8-bit MIME parts go out quoted-printable (smtp_mime.h).
 */
static int proto_content(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req,
                         QFILE_READER *r, int downgrade, int *bad_file)
{
    QFILE_REC rec;
    int got;
    CONTENT_OUT o = {cf, s, 1, 0};
    SMTP_MIME *mime = downgrade ? smtp_mime_new(content_put, &o) : NULL;
    SMTP_CHECKS *ck = NULL;
    /*
     * smtp_per_request_deadline: one deadline for the whole content, later
     * by 1/smtp_min_data_rate s per byte written; otherwise the
     * smtp_data_xfer_timeout limits each write.
     */
    long long dl = tls_deadline(MS(cf->data_xfer_timeout));

    *bad_file = 0;
    if (qfile_reader_rewind(r, req->data_offset) < 0) {
        *bad_file = 1;
        smtp_mime_free(mime);
        return -1;
    }
    if (cf->nhdr_checks > 0 || cf->nbody_checks > 0 || cf->nmime_checks > 0 ||
        cf->nnested_checks > 0 || cf->ngeneric > 0) {
        SMTP_CHECK_TABLES t;

        t.hdr = cf->hdr_checks, t.nhdr = cf->nhdr_checks;
        t.mime = cf->mime_checks, t.nmime = cf->nmime_checks;
        t.nested = cf->nested_checks, t.nnested = cf->nnested_checks;
        t.body = cf->body_checks, t.nbody = cf->nbody_checks;
        t.gen = cf->generic, t.ngen = cf->ngeneric;
        ck = smtp_checks_new(&t, req->queue_id, mime ? content_to_mime : content_put,
                             mime ? (void *) mime : (void *) &o);
    }
    while ((got = qfile_read(r, &rec)) == 1) {
        if (rec.type == QREC_XTRA)
            break;
        if (rec.type != QREC_NORM && rec.type != QREC_CONT)
            continue;
        if (ck)
            smtp_checks_input(ck, rec.data, rec.len, rec.type == QREC_NORM);
        else if (mime)
            smtp_mime_input(mime, rec.data, rec.len, rec.type == QREC_NORM);
        else
            content_put(&o, rec.data, rec.len, rec.type == QREC_NORM);
        if (vstr_len(s->conn->wbuf) >= 65536 && proto_content_flush(cf, s, &dl) < 0) {
            smtp_checks_free(ck);
            smtp_mime_free(mime);
            return -1;
        }
    }
    if (ck)
        smtp_checks_finish(ck);
    if (mime)
        smtp_mime_finish(mime);
    smtp_checks_free(ck);
    smtp_mime_free(mime);
    if (got != 1) {
        *bad_file = 1;
        msg_warn("%s: %s", req->queue_id, qfile_reader_error(r));
        return -1;
    }
    if (!o.bol)
        smtp_conn_write(s->conn, "\r\n", 2);
    smtp_conn_write(s->conn, ".\r\n", 3);
    return proto_content_flush(cf, s, &dl);
}

/* proto_xfwd_check - one XFORWARD reply: a non-2xx one is only a warning */
static void proto_xfwd_check(const SMTP_SESS *s, const SMTP_REPLY *rep, int na)
{
    if (rep->code / 100 != 2)
        msg_warn("host %s said: %s (in reply to %s)", s->namaddr, vstr_str(rep->text),
                 na ? "XFORWARD name/address command" : "XFORWARD helo/protocol command");
}

#define PROTO_XFWD_WHILE(na) \
    ((na) ? "sending XFORWARD name/address" : "sending XFORWARD protocol/helo_name")

/* proto_xfwd_replies - the pipelined XFORWARD replies that are due: 0, or -1 (broken) */
static int proto_xfwd_replies(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req,
                              SMTP_RCPT_STATE *st, SMTP_REPLY *rep)
{
    for (; s->xfwd_read < s->xfwd_pending; s->xfwd_read++) {
        int na = s->xfwd_read < SMTP_XFWD_CMDS_MAX ? s->xfwd_na[s->xfwd_read] : 0;

        if (smtp_reply_read(s->conn, rep, tls_deadline(MS(cf->xforward_timeout))) < 0) {
            rcpt_broken(s, req, st, PROTO_XFWD_WHILE(na));
            return -1;
        }
        proto_xfwd_check(s, rep, na);
    }
    s->xfwd_pending = s->xfwd_read = 0;
    return 0;
}

/*
 * The bookkeeping of one pipelined transaction: which recipients are sent
 * (idx[0 .. n - 1]), how many of their RCPT TO replies are read (got),
 * whether MAIL FROM's reply is read and was 2xx, which recipients the
 * server accepted (acc, nacc), and whether a pipelined RSET's reply is
 * still due. Without PIPELINING only mail_ok, acc and nacc are used.
 */
typedef struct {
    const size_t *idx;
    size_t n;
    size_t got;
    int mail_read;
    int mail_ok;
    char *acc;
    size_t nacc;
    int rset_pending;
} PROTO_PIPE;

/*
 * pipe_catch_up - with PIPELINING, read the replies that are due: MAIL FROM
 * (once), then those of the RCPT TO commands idx[pl->got .. upto - 1]. Sent
 * in batches of SMTP_PIPE_BATCH, so a server that stops reading until we
 * read its replies cannot stall a long recipient list. 0, or -1 (broken).
 */
static int pipe_catch_up(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req, int qfd,
                         SMTP_RCPT_STATE *st, PROTO_PIPE *pl, size_t upto, SMTP_REPLY *rep,
                         const DELIVER_TIMES *t)
{
    size_t k;

    if (s->xfwd_read < s->xfwd_pending && proto_xfwd_replies(cf, s, req, st, rep) < 0)
        return -1;
    if (!pl->mail_read) {
        if (smtp_reply_read(s->conn, rep, tls_deadline(MS(cf->mail_timeout))) < 0) {
            rcpt_broken(s, req, st, "sending MAIL FROM");
            return -1;
        }
        pl->mail_read = 1;
        pl->mail_ok = rep->code / 100 == 2;
        if (!pl->mail_ok)
            for (k = 0; k < pl->n; k++)
                rcpt_outcome(s, req, qfd, pl->idx[k], st, rep, "MAIL FROM", t);
    }
    for (; pl->got < upto; pl->got++) {
        size_t i = pl->idx[pl->got];

        if (smtp_reply_read(s->conn, rep, tls_deadline(MS(cf->rcpt_timeout))) < 0) {
            rcpt_broken(s, req, st, "sending RCPT TO");
            return -1;
        }
        if (!pl->mail_ok)
            continue;
        if (rep->code / 100 == 2 && (req->flags & DELIVER_FLAG_USR_VRFY))
            rcpt_sent(s, req, qfd, i, st, rep->dsn, vstr_str(rep->text), t);
        else if (rep->code / 100 == 2)
            pl->acc[i] = 1, pl->nacc++;
        else
            rcpt_outcome(s, req, qfd, i, st, rep, "RCPT TO", t);
    }
    return 0;
}

/* The reply to a pipelined RSET: 0 when 2xx; else the session is marked broken. */
static int proto_rset_reply(const SMTP_CONF *cf, SMTP_SESS *s, SMTP_REPLY *rep)
{
    if (smtp_reply_read(s->conn, rep, tls_deadline(MS(cf->rset_timeout))) < 0)
        return -1;
    if (rep->code / 100 != 2) {
        if (!s->conn->broken)
            s->conn->broken = SMTP_ERR_PROTO;
        return -1;
    }
    return 0;
}

/*
 * pipe_sync - a synchronisation point of a pipelined transaction: flush
 * what is buffered (deadline dl), read the pipelined RSET's reply if it is
 * due, then, when catch_up is set, the replies up to RCPT TO number upto
 * (pipe_catch_up). while_what names the step for the recipients' defer
 * text when the flush fails. Returns 0; SMTP_DELIVER_STALE when the flush
 * or the RSET reply fails while the RSET is due (a dead cached session, no
 * recipient touched); -1 when the session broke (recipients deferred).
 */
static int pipe_sync(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req, int qfd,
                     SMTP_RCPT_STATE *st, PROTO_PIPE *pl, long long dl, const char *while_what,
                     int catch_up, size_t upto, SMTP_REPLY *rep, const DELIVER_TIMES *t)
{
    if (smtp_conn_flush(s->conn, dl) < 0) {
        if (pl->rset_pending)
            return SMTP_DELIVER_STALE;
        rcpt_broken(s, req, st, while_what);
        return -1;
    }
    if (pl->rset_pending && proto_rset_reply(cf, s, rep) < 0)
        return SMTP_DELIVER_STALE;
    pl->rset_pending = 0;
    if (catch_up && pipe_catch_up(cf, s, req, qfd, st, pl, upto, rep, t) < 0)
        return -1;
    return 0;
}

int smtp_sess_deliver(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req, int qfd,
                      QFILE_READER *r, SMTP_RCPT_STATE *st, DELIVER_TIMES *times)
{
    SMTP_REPLY rep;
    VSTR *cmd = vstr_new(0), *why = vstr_new(0), *gsender = vstr_new(0);
    char **mapped = NULL; /* smtp_generic_maps results per recipient */
    size_t i, *idx = mem_alloc(req->nrcpt * sizeof(*idx)), n = 0, k;
    char *acc = mem_alloc(req->nrcpt + 1);
    int pipe = (s->features & SMTP_FEAT_PIPELINING) || cf->lmtp, ret = 0, bad;
    int utf8_needed, downgrade;
    PROTO_PIPE pl;
    long long dl;

    smtp_reply_init(&rep);
    times->relay = s->namaddr;
    s->last_used = time(NULL);
    for (i = 0; i < req->nrcpt; i++)
        if (!st[i].done)
            idx[n++] = i;
    memset(acc, 0, req->nrcpt + 1);
    memset(&pl, 0, sizeof(pl));
    pl.idx = idx;
    pl.n = n;
    pl.acc = acc;
    if (n == 0)
        goto out;
    /*
     * SMTPUTF8 is needed when the client asked for it and the headers
     * (cleanup's flag) or an envelope address hold UTF-8; a request that
     * merely asked for it goes to a server without SMTPUTF8 as is.
     */
    utf8_needed = (req->smtputf8 & ~SMTP_UTF8_REQUESTED) != 0 || !proto_ascii(req->sender);
    for (k = 0; k < n && !utf8_needed; k++)
        utf8_needed = !proto_ascii(req->rcpt[idx[k]].address);
    if ((s->features & SMTP_FEAT_SIZE) && s->size_limit > 0 && req->data_size > s->size_limit) {
        vstr_sprintf(why, "message size %ld exceeds size limit %ld of server %s", req->data_size,
                     s->size_limit, s->hostaddr);
        rcpt_all_bounce(req, qfd, st, "5.3.4", vstr_str(why), times);
        goto out;
    }
    if (utf8_needed && !(s->features & SMTP_FEAT_SMTPUTF8)) {
        vstr_sprintf(why, "SMTPUTF8 is required, but was not offered by host %s", s->hostaddr);
        rcpt_all_bounce(req, qfd, st, "5.6.7", vstr_str(why), times);
        goto out;
    }

    /* smtp_generic_maps: the addresses as they leave, all or nothing */
    if (cf->ngeneric > 0) {
        int gr = smtp_generic_map(cf->generic, cf->ngeneric, req->sender, gsender);

        mapped = mem_alloc(req->nrcpt * sizeof(*mapped));
        memset(mapped, 0, req->nrcpt * sizeof(*mapped));
        for (k = 0; k < n && gr >= 0; k++) {
            VSTR *m = vstr_new(0);
            int x = smtp_generic_map(cf->generic, cf->ngeneric, req->rcpt[idx[k]].address, m);
            if (x > 0)
                mapped[idx[k]] = vstr_export(m);
            else
                vstr_free(m);
            if (x < 0)
                gr = -1;
        }
        if (gr < 0) {
            msg_warn("%s: %s_generic_maps lookup failure", req->queue_id, cf->prefix);
            for (k = 0; k < n; k++) {
                vstr_set(st[idx[k]].dsn, "4.3.0");
                vstr_set(st[idx[k]].why, "address mapping lookup failure");
                vstr_set(st[idx[k]].relay, "none");
                vstr_reset(st[idx[k]].reply);
            }
            goto out;
        }
    }

    /*
     * A cached session is checked with RSET first (as Postfix does); with
     * PIPELINING the RSET goes out with MAIL FROM, RCPT TO and DATA, and
     * its reply is read first: a session that fails it is stale, and the
     * caller tries another without any recipient touched.
     */
    if (s->rset_first) {
        s->rset_first = 0;
        if (!pipe) {
            if (smtp_sess_rset(cf, s) < 0) {
                ret = SMTP_DELIVER_STALE;
                goto out;
            }
        } else {
            smtp_conn_puts(s->conn, "RSET\r\n");
            pl.rset_pending = 1;
        }
    }
    /* XFORWARD: the original client, before each transaction */
    s->xfwd_pending = s->xfwd_read = 0;
    if (cf->send_xforward && s->xfwd) {
        ARGV *xc = argv_new();
        size_t nx = smtp_xforward_cmds(s->xfwd, req, xc, s->xfwd_na);

        for (k = 0; k < nx; k++) {
            int na = k < SMTP_XFWD_CMDS_MAX && s->xfwd_na[k];

            smtp_conn_puts(s->conn, xc->argv[k]);
            smtp_conn_puts(s->conn, "\r\n");
            if (pipe) {
                s->xfwd_pending++;
                continue;
            }
            dl = tls_deadline(MS(cf->xforward_timeout));
            if (smtp_conn_flush(s->conn, dl) < 0 || smtp_reply_read(s->conn, &rep, dl) < 0) {
                rcpt_broken(s, req, st, PROTO_XFWD_WHILE(na));
                argv_free(xc);
                ret = -1;
                goto out;
            }
            proto_xfwd_check(s, &rep, na);
        }
        argv_free(xc);
    }
    /* MAIL FROM */
    vstr_set(cmd, "MAIL FROM:");
    proto_path(cmd, vstr_len(gsender) ? vstr_str(gsender) : req->sender);
    if (s->features & SMTP_FEAT_SIZE)
        vstr_printf(cmd, " SIZE=%ld", req->data_size);
    if ((s->features & SMTP_FEAT_8BITMIME) && strcmp(req->encoding, "8bit") == 0)
        vstr_adds(cmd, " BODY=8BITMIME");
    if ((utf8_needed || (req->smtputf8 & SMTP_UTF8_REQUESTED)) &&
        (s->features & SMTP_FEAT_SMTPUTF8))
        vstr_adds(cmd, " SMTPUTF8");
    if (s->features & SMTP_FEAT_DSN) {
        if (req->dsn_ret == 1)
            vstr_adds(cmd, " RET=FULL");
        else if (req->dsn_ret == 2)
            vstr_adds(cmd, " RET=HDRS");
        if (*req->dsn_envid) {
            vstr_adds(cmd, " ENVID=");
            smtp_xtext(cmd, req->dsn_envid);
        }
    }
    vstr_adds(cmd, "\r\n");
    smtp_conn_puts(s->conn, vstr_str(cmd));
    if (!pipe) {
        dl = tls_deadline(MS(cf->mail_timeout));
        if (smtp_conn_flush(s->conn, dl) < 0 || smtp_reply_read(s->conn, &rep, dl) < 0) {
            rcpt_broken(s, req, st, "sending MAIL FROM");
            ret = -1;
            goto out;
        }
        pl.mail_ok = rep.code / 100 == 2;
        if (!pl.mail_ok) {
            for (k = 0; k < n; k++)
                rcpt_outcome(s, req, qfd, idx[k], st, &rep, "MAIL FROM", times);
            goto rset;
        }
    }
    /* RCPT TO */
    for (k = 0; k < n; k++) {
        DELIVER_RCPT *rc = &req->rcpt[idx[k]];

        vstr_set(cmd, "RCPT TO:");
        proto_path(cmd, mapped && mapped[idx[k]] ? mapped[idx[k]] : rc->address);
        if (s->features & SMTP_FEAT_DSN) {
            if (rc->notify) {
                const char *sep = "";
                vstr_adds(cmd, " NOTIFY=");
                if (rc->notify & DELIVER_NOTIFY_NEVER)
                    vstr_adds(cmd, "NEVER");
                else {
                    if (rc->notify & DELIVER_NOTIFY_SUCCESS)
                        vstr_printf(cmd, "%sSUCCESS", sep), sep = ",";
                    if (rc->notify & DELIVER_NOTIFY_FAILURE)
                        vstr_printf(cmd, "%sFAILURE", sep), sep = ",";
                    if (rc->notify & DELIVER_NOTIFY_DELAY)
                        vstr_printf(cmd, "%sDELAY", sep);
                }
            }
            if (*rc->dsn_orcpt) {
                const char *semi = strchr(rc->dsn_orcpt, ';');
                if (semi) {
                    vstr_adds(cmd, " ORCPT=");
                    vstr_addmem(cmd, rc->dsn_orcpt, (size_t) (semi - rc->dsn_orcpt) + 1);
                    smtp_xtext(cmd, semi + 1);
                }
            } else if (*rc->orig_addr) {
                vstr_adds(cmd, " ORCPT=rfc822;");
                smtp_xtext(cmd, rc->orig_addr);
            }
        }
        vstr_adds(cmd, "\r\n");
        smtp_conn_puts(s->conn, vstr_str(cmd));
        if (pipe && (k + 1) % SMTP_PIPE_BATCH == 0 && k + 1 < n) {
            /* a batch is out: read its replies before the server's stall */
            ret = pipe_sync(cf, s, req, qfd, st, &pl, tls_deadline(MS(cf->rcpt_timeout)),
                            "sending RCPT TO", 1, k + 1, &rep, times);
            if (ret < 0)
                goto out;
            if (!pl.mail_ok)
                goto rset;
        }
        if (!pipe) {
            dl = tls_deadline(MS(cf->rcpt_timeout));
            if (smtp_conn_flush(s->conn, dl) < 0 || smtp_reply_read(s->conn, &rep, dl) < 0) {
                rcpt_broken(s, req, st, "sending RCPT TO");
                ret = -1;
                goto out;
            }
            if (rep.code / 100 == 2 && (req->flags & DELIVER_FLAG_USR_VRFY))
                rcpt_sent(s, req, qfd, idx[k], st, rep.dsn, vstr_str(rep.text), times);
            else if (rep.code / 100 == 2)
                acc[idx[k]] = 1, pl.nacc++;
            else
                rcpt_outcome(s, req, qfd, idx[k], st, &rep, "RCPT TO", times);
        }
    }
    if (!pipe && pl.nacc == 0)
        goto rset;
    if (req->flags & DELIVER_FLAG_USR_VRFY) {
        /*
         * sendmail -bv: the RCPT TO replies were the answer (each accepted
         * recipient is "deliverable" with the server's reply); no DATA.
         * Without PIPELINING every reply was read above (pl.nacc stays 0).
         */
        if (!pipe)
            goto rset;
        ret = pipe_sync(cf, s, req, qfd, st, &pl, tls_deadline(MS(cf->rcpt_timeout)),
                        "sending RCPT TO", 1, n, &rep, times);
        if (ret < 0)
            goto out;
        goto rset;
    }
    /* DATA */
    smtp_conn_puts(s->conn, "DATA\r\n");
    ret = pipe_sync(cf, s, req, qfd, st, &pl, tls_deadline(MS(cf->mail_timeout)),
                    pipe ? "sending MAIL FROM" : "sending DATA", pipe, n, &rep, times);
    if (ret < 0)
        goto out;
    if (smtp_reply_read(s->conn, &rep, tls_deadline(MS(cf->data_init_timeout))) < 0) {
        rcpt_broken(s, req, st, "sending DATA");
        ret = -1;
        goto out;
    }
    if (pl.nacc == 0 || !pl.mail_ok) {
        if (rep.code == 354) {
            /* the server wants a message we no longer send: end it empty */
            ret = -1;
            s->conn->broken = SMTP_ERR_PROTO;
        }
        goto rset;
    }
    if (rep.code != 354) {
        for (i = 0; i < req->nrcpt; i++)
            if (acc[i])
                rcpt_outcome(s, req, qfd, i, st, &rep, "DATA", times);
        goto rset;
    }
    /*
     * 8-bit content to a server without 8BITMIME: quoted-printable, unless
     * disable_mime_output_conversion or the message is SMTPUTF8.
     */
    downgrade = strcmp(req->encoding, "8bit") == 0 && !(s->features & SMTP_FEAT_8BITMIME) &&
                !cf->no_mime_conversion && !utf8_needed &&
                !(req->smtputf8 & SMTP_UTF8_REQUESTED);
    if (proto_content(cf, s, req, r, downgrade, &bad) < 0) {
        if (bad) {
            for (i = 0; i < req->nrcpt; i++)
                if (acc[i]) {
                    vstr_set(st[i].dsn, "4.3.0");
                    vstr_set(st[i].why, "queue file read error");
                    vstr_set(st[i].relay, "none");
                    vstr_reset(st[i].reply);
                }
        } else
            rcpt_broken(s, req, st, "sending message body");
        s->conn->broken = SMTP_ERR_IO;
        ret = -1;
        goto out;
    }
    /* end of data: one reply (SMTP) or one per accepted recipient (LMTP) */
    smtp_conn_expect_wait(s->conn);
    dl = tls_deadline(MS(cf->data_done_timeout));
    for (i = 0; i < req->nrcpt; i++) {
        if (!acc[i])
            continue;
        if (smtp_reply_read(s->conn, &rep, dl) < 0) {
            for (; i < req->nrcpt; i++)
                if (acc[i]) {
                    vstr_set(st[i].dsn, "4.4.2"), vstr_set(st[i].relay, s->namaddr);
                    vstr_reset(st[i].reply);
                }
            proto_fail_text(s, "sending end of data -- message may be sent more than once", why);
            for (i = 0; i < req->nrcpt; i++)
                if (acc[i] && !st[i].done)
                    vstr_set(st[i].why, vstr_str(why));
            ret = -1;
            goto out;
        }
        if (!cf->lmtp) {
            for (; i < req->nrcpt; i++) {
                if (!acc[i])
                    continue;
                if (rep.code / 100 == 2)
                    rcpt_sent(s, req, qfd, i, st, rep.dsn, vstr_str(rep.text), times);
                else
                    rcpt_outcome(s, req, qfd, i, st, &rep, "end of DATA", times);
            }
            break;
        }
        if (rep.code / 100 == 2)
            rcpt_sent(s, req, qfd, i, st, rep.dsn, vstr_str(rep.text), times);
        else
            rcpt_outcome(s, req, qfd, i, st, &rep, "end of DATA", times);
    }
    s->reuse_count++;
    goto out;
rset:
    s->reuse_count++;
    if (smtp_sess_rset(cf, s) < 0)
        ret = -1;
out:
    smtp_reply_free(&rep);
    vstr_free(cmd);
    vstr_free(why);
    vstr_free(gsender);
    if (mapped) {
        for (i = 0; i < req->nrcpt; i++)
            mem_free(mapped[i]);
        mem_free(mapped);
    }
    mem_free(idx);
    mem_free(acc);
    if (s->conn->broken && ret != SMTP_DELIVER_STALE)
        ret = -1;
    s->last_used = time(NULL);
    return ret;
}

int smtp_sess_rset(const SMTP_CONF *cf, SMTP_SESS *s)
{
    SMTP_REPLY rep;
    int ret;

    if (s->conn->broken)
        return -1;
    smtp_reply_init(&rep);
    ret = proto_cmd(s, "RSET", cf->rset_timeout, &rep) == 0 && rep.code / 100 == 2 ? 0 : -1;
    smtp_reply_free(&rep);
    return ret;
}

void smtp_sess_close(const SMTP_CONF *cf, SMTP_SESS *s)
{
    if (s == NULL)
        return;
    if (!s->conn->broken) {
        long long dl = tls_deadline(MS(cf->quit_timeout));
        smtp_conn_puts(s->conn, "QUIT\r\n");
        if (smtp_conn_flush(s->conn, dl) == 0 && !cf->skip_quit_response) {
            SMTP_REPLY rep;
            smtp_reply_init(&rep);
            (void) smtp_reply_read(s->conn, &rep, dl);
            smtp_reply_free(&rep);
        }
        if (s->conn->tls)
            tls_shutdown(s->conn->tls, tls_deadline(1000));
    }
    sess_free(s);
}
