/*
 * smtpd_check - restriction lists (see smtpd_check.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../lib/addr.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/dns.h"
#include "../lib/strutil.h"
#include "smtpd_attr.h"
#include "smtpd_access.h"
#include "../lib/net/tls.h"
#include "smtpd_check.h"
#include "smtpd_dnsxl.h"
#include "smtpd_log.h"
#include "smtpd_peer.h"
#include "smtpd_policy.h"

#define SMTPD_CHECK_DUNNO 1     /* internal: nothing decided, go on */
#define SMTPD_CHECK_DEPTH 20    /* nested classes and access results */

typedef struct CHECK_CTX {
    SMTPD_STATE *state;
    const SMTPD_CONF *conf;
    const char *stage;          /* "CONNECT", "EHLO", "MAIL", "RCPT", "DATA", ... */
    const char *sender;         /* NULL: not known */
    const char *rcpt;           /* NULL: not known */
    const char *etrn;           /* the ETRN domain; NULL: not ETRN */
    VSTR *reply;
    int warn_if_reject;
    int defer_if_reject;
    int defer_if_permit;
    VSTR *dip_reply;            /* the reply a defer_if_permit will give */
    int unlisted_rcpt_done;
    const char *list_name;      /* what the list is about: "<name>: Class rejected" */
    const char *list_class;
    const char *server_access;  /* a check_*_{mx,ns,a}_access is looking: OK refused */
} CHECK_CTX;

/* Restrictions that take one argument. */
static const char *const check_with_arg[] = {
    "check_client_access", "check_helo_access", "check_sender_access",
    "check_recipient_access", "check_reverse_client_hostname_access",
    "check_client_a_access", "reject_rbl_client", "permit_rbl_client", "check_etrn_access",
    /* DNS lists, server access tables, TLS and SASL (check_more) */
    "reject_rhsbl_client", "reject_rhsbl_reverse_client", "reject_rhsbl_sender",
    "reject_rhsbl_helo", "reject_rhsbl_recipient", "permit_dnswl_client", "permit_rhswl_client",
    "check_sender_mx_access", "check_sender_ns_access", "check_sender_a_access",
    "check_recipient_mx_access", "check_recipient_ns_access", "check_recipient_a_access",
    "check_helo_mx_access", "check_helo_ns_access", "check_helo_a_access",
    "check_client_mx_access", "check_client_ns_access", "check_reverse_client_mx_access",
    "check_reverse_client_ns_access", "check_reverse_client_a_access", "check_sasl_access",
    "check_ccert_access", "check_policy_service", NULL,
};

static const char *const check_known[] = {
    "permit", "reject", "defer", "defer_if_permit", "defer_if_reject", "warn_if_reject",
    "dunno", "permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination",
    "defer_unauth_destination", "permit_auth_destination", "reject_unlisted_recipient",
    "reject_unlisted_sender", "reject_unknown_sender_domain",
    "reject_unknown_recipient_domain", "reject_non_fqdn_sender", "reject_non_fqdn_recipient",
    "reject_non_fqdn_helo_hostname", "reject_invalid_helo_hostname",
    "reject_unknown_client_hostname", "reject_unknown_reverse_client_hostname",
    "reject_unknown_helo_hostname", "reject_unauth_pipelining", "reject_multi_recipient_bounce",
    "permit_inet_interfaces", "reject_non_fqdn_hostname", "reject_invalid_hostname",
    "reject_unknown_client", "reject_unknown_hostname", "reject_sender_login_mismatch",
    "reject_authenticated_sender_login_mismatch", "reject_unauthenticated_sender_login_mismatch",
    "reject_known_sender_login_mismatch", "reject_plaintext_session", "permit_tls_clientcerts",
    "permit_tls_all_clientcerts", "reject_unverified_sender", "reject_unverified_recipient",
    NULL,
};

static int check_in(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcasecmp(*list, name) == 0)
            return 1;
    return 0;
}

TABLE *smtpd_check_table(const SMTPD_CONF *conf, const char *spec)
{
    return htable_get(conf->tables, spec);
}

/* Open a table into conf->tables (a failure is a warning; lookups then fail). */
static void check_open_table(SMTPD_CONF *conf, const char *spec)
{
    VSTR *why;
    TABLE *t;

    if (htable_has(conf->tables, spec))
        return;
    why = vstr_new(0);
    /* proxy:type:name is a table type of its own: proxymap answers it. */
    t = table_open(spec, TABLE_READ, TABLE_FLAGS_READ, why);
    if (t == NULL)
        msg_warn("%s", vstr_str(why));
    htable_put(conf->tables, spec, t);
    vstr_free(why);
}

static int check_conf_list(SMTPD_CONF *conf, const char *title, ARGV *list, VSTR *why)
{
    size_t i;

    (void) why;     /* nothing here is fatal any more; kept for stricter checks */
    for (i = 0; i < list->argc; i++) {
        const char *name = list->argv[i];

        if (check_in(check_with_arg, name)) {
            if (i + 1 >= list->argc) {
                /* Postfix's way: a warning now, 451 when it is reached. */
                msg_warn("%s: restriction %s needs an argument", title, name);
                return 0;
            }
            if (strcasecmp(name, "check_policy_service") == 0) {
                const char *arg = list->argv[++i], *arg2 = NULL;
                VSTR *tmp = vstr_new(0);

                if (smtpd_policy_needs_endpoint(arg) && i + 1 < list->argc)
                    arg2 = list->argv[++i];
                if (smtpd_policy_conf_check(arg, arg2, tmp) < 0)
                    msg_warn("%s: %s", title, vstr_str(tmp));
                vstr_free(tmp);
                continue;
            }
            if (strncasecmp(name, "check_", 6) == 0)
                check_open_table(conf, list->argv[i + 1]);
            i++;
        } else if (!check_in(check_known, name) && !htable_has(conf->classes, name)
                   && strchr(name, ':') == NULL) {
            msg_warn("%s: unknown smtpd restriction: \"%s\"", title, name);
        } else if (strchr(name, ':') != NULL) {
            /* A bare table in a restriction list is an access table (obsolete form). */
            check_open_table(conf, name);
        }
    }
    return 0;
}

int smtpd_check_conf(SMTPD_CONF *conf, VSTR *why)
{
    const char **keys, **k;
    size_t i;
    struct {
        const char *title;
        ARGV *list;
    } lists[] = {
        {"smtpd_client_restrictions", conf->client_restr},
        {"smtpd_helo_restrictions", conf->helo_restr},
        {"smtpd_sender_restrictions", conf->sender_restr},
        {"smtpd_relay_restrictions", conf->relay_restr},
        {"smtpd_recipient_restrictions", conf->recipient_restr},
        {"smtpd_data_restrictions", conf->data_restr},
        {"smtpd_end_of_data_restrictions", conf->eod_restr},
        {"smtpd_etrn_restrictions", conf->etrn_restr},
    };
    ARGV *maps[] = {conf->local_rcpt_maps, conf->virtual_alias_maps,
                    conf->virtual_mailbox_maps, conf->relay_recipient_maps,
                    conf->sasl.login_maps, conf->discard_ehlo_maps,
                    conf->reject_footer_maps, conf->rbl_reply_maps, conf->relay_ccerts};

    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (check_conf_list(conf, lists[i].title, lists[i].list, why) < 0)
            return -1;
    keys = htable_keys(conf->classes);
    for (k = keys; *k; k++) {
        if (check_conf_list(conf, *k, htable_get(conf->classes, *k), why) < 0) {
            mem_free(keys);
            return -1;
        }
    }
    mem_free(keys);
    for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        size_t j;

        for (j = 0; j < maps[i]->argc; j++)
            check_open_table(conf, maps[i]->argv[j]);
    }
    return 0;
}

/* ---- replies ---- */

__attribute__((format(printf, 4, 5)))
static int check_reject(CHECK_CTX *ctx, int code, const char *dsn, const char *fmt, ...)
{
    va_list ap;
    VSTR *text = vstr_new(128);
    char dsnbuf[16];

    va_start(ap, fmt);
    vstr_vprintf(text, fmt, ap);
    va_end(ap);
    snprintf(dsnbuf, sizeof(dsnbuf), "%s", dsn);
    if (ctx->defer_if_reject && code >= 500) {
        code = ctx->conf->defer_code;
        dsnbuf[0] = '4';
    }
    /* soft_bounce here too, so that the log shows the code the client gets. */
    if (ctx->conf->soft_bounce && code / 100 == 5)
        code -= 100;
    /* RFC 3463: the enhanced code's class is the reply's (a 550 from
     * unknown_address_reject_code is 5.1.8, not 4.1.8). */
    if ((code / 100 == 4 || code / 100 == 5) && (dsnbuf[0] == '4' || dsnbuf[0] == '5'))
        dsnbuf[0] = (char) ('0' + code / 100);
    vstr_sprintf(ctx->reply, "%d %s %s", code, dsnbuf, vstr_str(text));
    vstr_free(text);
    if (ctx->warn_if_reject) {
        ctx->warn_if_reject = 0;
        smtpd_log_action(ctx->state, "reject_warning", ctx->stage, vstr_str(ctx->reply),
                         ctx->sender, ctx->rcpt);
        vstr_reset(ctx->reply);
        return SMTPD_CHECK_DUNNO;
    }
    return SMTPD_CHECK_REJECT;
}

static int check_config_error(CHECK_CTX *ctx, const char *what)
{
    msg_warn("%s", what);
    vstr_set(ctx->reply, "451 4.3.5 Server configuration error");
    return SMTPD_CHECK_REJECT;
}

static int check_temp_error(CHECK_CTX *ctx, const char *name, const char *class)
{
    vstr_sprintf(ctx->reply, "451 4.3.0 <%s>: %s rejected: Temporary lookup failure", name,
                 class);
    return SMTPD_CHECK_REJECT;
}

/* ---- helpers ---- */

static const char *check_domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at ? at + 1 : "";
}

/* The domain is ours: mydestination, [our address], or no domain at all. */
int smtpd_check_is_local_domain(const SMTPD_STATE *state, const char *domain)
{
    size_t n = strlen(domain);

    if (*domain == 0)
        return 1;
    if (domain[0] == '[' && n > 2 && domain[n - 1] == ']') {
        const char *lit = domain + 1;

        if (strncasecmp(lit, "IPv6:", 5) == 0)
            lit += 5;
        return strncmp(lit, state->server_addr, strlen(state->server_addr)) == 0
               && lit + strlen(state->server_addr) == domain + n - 1;
    }
    return match_list_domain(state->conf->mydestination, domain) == MATCH_YES;
}

/* Look key up in table spec: 1 found (value), 0 not found, -1 error. */
static int check_lookup(const SMTPD_CONF *conf, const char *spec, const char *key,
                        const char **value)
{
    TABLE *t = smtpd_check_table(conf, spec);

    if (t == NULL)
        return -1;
    *value = table_lookup(t, key);
    if (*value != NULL)
        return 1;
    return t->error != TABLE_OK ? -1 : 0;
}

/* The address in any of the maps: user@domain, user (local domains), @domain. */
static int check_maps_find(const SMTPD_STATE *state, ARGV *maps, const char *addr, int local)
{
    const SMTPD_CONF *conf = state->conf;
    VSTR *base = vstr_new(0), *ext = vstr_new(0), *key = vstr_new(0);
    ARGV *keys = argv_new();
    const char *at, *value;
    size_t i, j;
    int found = 0;

    argv_add(keys, addr);
    if (*conf->recipient_delimiter
        && addr_split_ext(addr, conf->recipient_delimiter, base, ext) != 0)
        argv_add(keys, vstr_str(base));
    else
        vstr_set(base, addr);
    if (local) {
        for (i = 0, j = keys->argc; i < j; i++) {
            at = strrchr(keys->argv[i], '@');
            vstr_reset(key);
            vstr_addmem(key, keys->argv[i], at ? (size_t) (at - keys->argv[i])
                                               : strlen(keys->argv[i]));
            argv_add(keys, vstr_str(key));
        }
    }
    if ((at = strrchr(addr, '@')) != NULL)
        argv_add(keys, at);
    for (i = 0; i < maps->argc && found == 0; i++) {
        for (j = 0; j < keys->argc && found == 0; j++) {
            int r = check_lookup(conf, maps->argv[i], keys->argv[j], &value);

            if (r != 0)
                found = r;
        }
    }
    argv_free(keys);
    vstr_free(base);
    vstr_free(ext);
    vstr_free(key);
    return found;
}

/*
 * Is the address a known user? 1 yes (or we cannot tell: no maps),
 * 0 no (table name in *table), -1 lookup error.
 */
static int check_unlisted(const SMTPD_STATE *state, const char *addr, const char **table,
                          int *code)
{
    const SMTPD_CONF *conf = state->conf;
    const char *domain = check_domain_of(addr);
    int r;

    if (conf->virtual_alias_maps->argc) {
        r = check_maps_find(state, conf->virtual_alias_maps, addr,
                            smtpd_check_is_local_domain(state, domain));
        if (r != 0)
            return r < 0 ? -1 : 1;
    }
    if (smtpd_check_is_local_domain(state, domain)) {
        if (conf->local_rcpt_maps->argc == 0)
            return 1;
        r = check_maps_find(state, conf->local_rcpt_maps, addr, 1);
        *table = "local recipient table";
        *code = conf->unknown_local_code;
        return r < 0 ? -1 : r;
    }
    if (*domain && match_list_domain(conf->virtual_alias_domains, domain) == MATCH_YES) {
        *table = "virtual alias table";
        *code = conf->unknown_virtual_code;
        return 0;
    }
    if (*domain && match_list_domain(conf->virtual_mailbox_domains, domain) == MATCH_YES) {
        if (conf->virtual_mailbox_maps->argc == 0)
            return 1;
        r = check_maps_find(state, conf->virtual_mailbox_maps, addr, 0);
        *table = "virtual mailbox table";
        *code = conf->unknown_virtual_code;
        return r < 0 ? -1 : r;
    }
    if (*domain && match_list_domain(conf->relay_domains, domain) == MATCH_YES) {
        if (conf->relay_recipient_maps->argc == 0)
            return 1;
        r = check_maps_find(state, conf->relay_recipient_maps, addr, 0);
        *table = "relay recipient table";
        *code = conf->unknown_relay_code;
        return r < 0 ? -1 : r;
    }
    return 1;
}

static int check_unlisted_reply(CHECK_CTX *ctx, const char *addr, int is_rcpt)
{
    const char *table = "local recipient table";
    int code = ctx->conf->unknown_local_code;
    int r = check_unlisted(ctx->state, addr, &table, &code);
    const char *class = is_rcpt ? "Recipient address" : "Sender address";

    if (r < 0)
        return check_temp_error(ctx, addr, class);
    if (r > 0)
        return SMTPD_CHECK_DUNNO;
    if (ctx->conf->show_unknown_table)
        return check_reject(ctx, code, is_rcpt ? "5.1.1" : "5.1.0",
                            "<%s>: %s rejected: User unknown in %s", addr, class, table);
    return check_reject(ctx, code, is_rcpt ? "5.1.1" : "5.1.0", "<%s>: %s rejected: User unknown",
                        addr, class);
}

/* Relay permission: 1 the recipient domain is ours or one we relay for. */
static int check_auth_destination(CHECK_CTX *ctx, const char *rcpt)
{
    const SMTPD_CONF *conf = ctx->conf;
    const char *domain = check_domain_of(rcpt);
    const char *at = strrchr(rcpt, '@');
    size_t i;

    /* user%host@ourdomain and user!host@ourdomain: untrusted routing. */
    if (at) {
        for (i = 0; rcpt + i < at; i++)
            if (rcpt[i] == '%' || rcpt[i] == '!' || rcpt[i] == '@')
                return 0;
    }
    if (smtpd_check_is_local_domain(ctx->state, domain))
        return 1;
    if (match_list_domain(conf->virtual_alias_domains, domain) == MATCH_YES
        || match_list_domain(conf->virtual_mailbox_domains, domain) == MATCH_YES
        || match_list_domain(conf->relay_domains, domain) == MATCH_YES)
        return 1;
    return 0;
}

static int check_dns_domain(const SMTPD_CONF *conf, const char *domain)
{
    DNS_REPLY *r;
    int st;

    if (conf->dns == NULL || *domain == 0 || domain[0] == '[')
        return DNS_OK;
    r = dns_reply_new();
    st = dns_lookup(conf->dns, domain, DNS_T_MX, r);
    if (st == DNS_NOTFOUND)
        st = dns_lookup_host(conf->dns, domain, DNS_FAMILY_ALL, r);
    dns_reply_free(r);
    return st;
}

/* Keys for a domain (with parents) into keys. */
static void check_domain_keys(ARGV *keys, const char *domain, int parent)
{
    const char *p = domain;

    if (*domain == 0)
        return;
    argv_add(keys, domain);
    while ((p = strchr(p + 1, '.')) != NULL && p[1]) {
        if (parent)
            argv_add(keys, p + 1);
        else
            argv_add(keys, p);
    }
}

static void check_address_keys(const SMTPD_CONF *conf, ARGV *keys, const char *addr,
                               int parent)
{
    VSTR *base = vstr_new(0), *ext = vstr_new(0), *tmp = vstr_new(0);
    const char *at = strrchr(addr, '@');
    int split;

    if (*addr == 0) {
        argv_add(keys, conf->null_access_key);
    } else {
        argv_add(keys, addr);
        split = *conf->recipient_delimiter
                && addr_split_ext(addr, conf->recipient_delimiter, base, ext) != 0;
        if (split)
            argv_add(keys, vstr_str(base));
        if (at) {
            check_domain_keys(keys, at + 1, parent);
            vstr_addmem(tmp, addr, (size_t) (at - addr) + 1);
            argv_add(keys, vstr_str(tmp));
            if (split) {
                const char *bat = strrchr(vstr_str(base), '@');

                vstr_reset(tmp);
                vstr_addmem(tmp, vstr_str(base), (size_t) (bat - vstr_str(base)) + 1);
                argv_add(keys, vstr_str(tmp));
            }
        }
    }
    vstr_free(base);
    vstr_free(ext);
    vstr_free(tmp);
}

static void check_client_keys(const SMTPD_STATE *state, ARGV *keys, int parent)
{
    char buf[64];
    char *dot;

    if (strcmp(state->name, "unknown") != 0)
        check_domain_keys(keys, state->name, parent);
    argv_add(keys, state->addr);
    if (state->family == AF_INET) {
        snprintf(buf, sizeof(buf), "%s", state->addr);
        while ((dot = strrchr(buf, '.')) != NULL) {
            *dot = 0;
            argv_add(keys, buf);
        }
    }
}

static int check_list(CHECK_CTX *ctx, ARGV *list, int depth);

/* The client has sent more than the command being served (no waiting). */
static int check_input_pending(const SMTPD_STATE *state)
{
    struct pollfd pfd;

    if (state->client == NULL)
        return 0;
    if (stream_buffered(state->client) > 0)
        return 1;
    pfd.fd = stream_fd(state->client);
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0;
}

/* An access table result. */
static int check_access_result(CHECK_CTX *ctx, const char *value, const char *name,
                               const char *class, const char *table, int depth)
{
    SMTPD_ACCESS a;
    int ret = SMTPD_CHECK_DUNNO;
    VSTR *tmp;

    smtpd_access_init(&a);
    switch (smtpd_access_parse(value, &a)) {
    case SMTPD_ACC_OK:
        if (ctx->server_access) {
            msg_warn("access table %s: with %s specified, action %s is unavailable", table,
                     ctx->server_access, value);
            break;
        }
        ret = SMTPD_CHECK_OK;
        break;
    case SMTPD_ACC_DUNNO:
        break;
    case SMTPD_ACC_REJECT:
        ret = check_reject(ctx, ctx->conf->access_reject_code,
                           *a.dsn ? a.dsn : ctx->conf->access_reject_code >= 500 ? "5.7.1" : "4.7.1",
                           "<%s>: %s rejected: %s", name, class, *a.text ? a.text : "Access denied");
        break;
    case SMTPD_ACC_DEFER:
        ret = check_reject(ctx, ctx->conf->access_defer_code, *a.dsn ? a.dsn : "4.7.1",
                           "<%s>: %s rejected: %s", name,
                           class, *a.text ? a.text : "Access denied");
        break;
    case SMTPD_ACC_REPLY:
        ret = check_reject(ctx, a.code, a.dsn, "%s", a.text);
        break;
    case SMTPD_ACC_DEFER_IF_PERMIT:
        ctx->defer_if_permit = 1;
        vstr_sprintf(ctx->dip_reply, "%d 4.%s <%s>: %s rejected: %s", ctx->conf->defer_code,
                     *a.dsn ? a.dsn + 2 : "7.1", name, class,
                     *a.text ? a.text : "Service unavailable");
        break;
    case SMTPD_ACC_DEFER_IF_REJECT:
        ctx->defer_if_reject = 1;
        break;
    case SMTPD_ACC_HOLD:
    case SMTPD_ACC_DISCARD:
        tmp = vstr_new(0);
        vstr_sprintf(tmp, "<%s>: %s %s", name, class,
                     *a.text ? a.text
                             : (a.action == SMTPD_ACC_HOLD ? "triggers HOLD action"
                                                           : "triggers DISCARD action"));
        smtpd_log_action(ctx->state, a.action == SMTPD_ACC_HOLD ? "hold" : "discard", ctx->stage,
                         vstr_str(tmp), ctx->sender, ctx->rcpt);
        if (a.action == SMTPD_ACC_HOLD) {
            ctx->state->hold = 1;
        } else {
            ctx->state->discard = 1;
            ret = SMTPD_CHECK_OK;
        }
        vstr_free(tmp);
        break;
    case SMTPD_ACC_PREPEND:
        if (ctx->state->prepend == NULL)
            ctx->state->prepend = argv_new();
        if (ctx->state->prepend->argc < 100)
            argv_add(ctx->state->prepend, a.text);
        break;
    case SMTPD_ACC_WARN:
        tmp = vstr_new(0);
        vstr_sprintf(tmp, "<%s>: %s %s", name, class, a.text);
        smtpd_log_action(ctx->state, "warn", ctx->stage, vstr_str(tmp), ctx->sender, ctx->rcpt);
        vstr_free(tmp);
        break;
    case SMTPD_ACC_INFO:
        tmp = vstr_new(0);
        vstr_sprintf(tmp, "<%s>: %s %s", name, class, a.text);
        smtpd_log_action(ctx->state, "info", ctx->stage, vstr_str(tmp), ctx->sender, ctx->rcpt);
        vstr_free(tmp);
        break;
    case SMTPD_ACC_RESTRICT: {
        ARGV *words = argv_split(a.text, " \t,");

        if (depth >= SMTPD_CHECK_DEPTH) {
            ret = check_config_error(ctx, "restriction nesting too deep in an access table");
        } else {
            size_t i;
            int bad = 0;

            for (i = 0; i < words->argc; i++) {
                if (check_in(check_with_arg, words->argv[i])) {
                    /* tables named in a table were not opened before chroot */
                    bad = 1;
                } else if (!check_in(check_known, words->argv[i])
                           && !htable_has(ctx->conf->classes, words->argv[i])) {
                    bad = 1;
                }
            }
            if (bad) {
                tmp = vstr_new(0);
                vstr_sprintf(tmp, "access table %s: unknown restriction in \"%s\"", table, a.text);
                ret = check_config_error(ctx, vstr_str(tmp));
                vstr_free(tmp);
            } else {
                ret = check_list(ctx, words, depth + 1);
            }
        }
        argv_free(words);
        break;
    }
    default:
        tmp = vstr_new(0);
        vstr_sprintf(tmp, "access table %s: %s", table, a.text);
        ret = check_config_error(ctx, vstr_str(tmp));
        vstr_free(tmp);
        break;
    }
    smtpd_access_free(&a);
    return ret;
}

/* check_*_access: look up the keys in order; the first hit decides. */
static int check_access_keys(CHECK_CTX *ctx, TABLE *t, const char *spec, ARGV *keys, size_t n,
                             const char *name, const char *class, int depth);

static int check_access(CHECK_CTX *ctx, const char *spec, ARGV *keys, const char *name,
                        const char *class, int depth)
{
    TABLE *t = smtpd_check_table(ctx->conf, spec);

    if (t == NULL) {
        VSTR *tmp = vstr_new(0);
        int r;

        vstr_sprintf(tmp, "%s: table could not be opened", spec);
        r = check_config_error(ctx, vstr_str(tmp));
        vstr_free(tmp);
        return r;
    }
    /*
     * Pattern tables see whole strings only: the first key (the name, the
     * address), and for a client also its address after its name.
     */
    if (t->props & TABLE_PROP_PATTERN) {
        ARGV *whole = argv_new();
        int r;

        if (keys->argc)
            argv_add(whole, keys->argv[0]);
        if (strcmp(class, "Client host") == 0 && keys->argc
            && strcmp(keys->argv[0], ctx->state->addr) != 0)
            argv_add(whole, ctx->state->addr);
        r = check_access_keys(ctx, t, spec, whole, whole->argc, name, class, depth);
        argv_free(whole);
        return r;
    }
    return check_access_keys(ctx, t, spec, keys, keys->argc, name, class, depth);
}

/* The first of keys[0..n) found in t decides. */
static int check_access_keys(CHECK_CTX *ctx, TABLE *t, const char *spec, ARGV *keys, size_t n,
                             const char *name, const char *class, int depth)
{
    const char *value;
    size_t i;

    for (i = 0; i < n; i++) {
        value = table_lookup(t, keys->argv[i]);
        if (value == NULL) {
            if (t->error != TABLE_OK) {
                msg_warn("%s: lookup of %s failed: %s", spec, keys->argv[i],
                         table_error_text(t->error));
                return check_temp_error(ctx, name, class);
            }
            continue;
        }
        {
            char *copy = mem_strdup(value);
            int r = check_access_result(ctx, copy, name, class, spec, depth);

            mem_free(copy);
            return r;
        }
    }
    return SMTPD_CHECK_DUNNO;
}

/* ---- DNS allow and block lists (see also smtpd_dnsxl.h) ---- */

#define CHECK_DNSXL_MISS 0
#define CHECK_DNSXL_HIT 1
#define CHECK_DNSXL_SOFT 2      /* the lookup failed for now */

/*
 * Ask for the A records at query; a hit is an answer that matches filter
 * (any answer when filter is NULL). On a hit the first TXT record's text
 * goes to txt (empty when there is none). A malformed filter is logged and
 * never matches.
 */
static int check_dnsxl_query(const CHECK_CTX *ctx, const char *query, const char *filter,
                             VSTR *txt)
{
    DNS_REPLY *r;
    DNS_RR *rr;
    int st, hit = 0, m;

    vstr_reset(txt);
    if (ctx->conf->dns == NULL || strlen(query) > DNS_MAX_NAME)
        return CHECK_DNSXL_MISS;
    r = dns_reply_new();
    st = dns_lookup(ctx->conf->dns, query, DNS_T_A, r);
    if (st == DNS_RETRY) {
        dns_reply_free(r);
        return CHECK_DNSXL_SOFT;
    }
    if (st == DNS_OK) {
        for (rr = r->rrs; rr && !hit; rr = rr->next) {
            if (filter == NULL) {
                hit = 1;
            } else if ((m = smtpd_dnsxl_match(filter, rr->text)) < 0) {
                msg_warn("malformed DNS list filter \"%s\" (for %s); it matches nothing", filter,
                         query);
                break;
            } else {
                hit = m;
            }
        }
    }
    if (hit && dns_lookup(ctx->conf->dns, query, DNS_T_TXT, r) == DNS_OK && r->rrs)
        vstr_adds(txt, r->rrs->text);
    dns_reply_free(r);
    return hit ? CHECK_DNSXL_HIT : CHECK_DNSXL_MISS;
}

/* The client address in arg's list: reversed octets (nibbles) + domain. */
static int check_dnsxl_addr(const CHECK_CTX *ctx, const char *arg, VSTR *txt)
{
    char domain[DNS_MAX_NAME + 1];
    const char *filter, *suffix;
    VSTR *query;
    size_t len;
    int r;

    vstr_reset(txt);
    if (smtpd_dnsxl_split(arg, domain, sizeof(domain), &filter) < 0) {
        msg_warn("bad DNS list argument \"%s\"", arg);
        return CHECK_DNSXL_MISS;
    }
    query = vstr_new(0);
    if (dns_reverse_name(ctx->state->addr, query) < 0) {
        vstr_free(query);
        return CHECK_DNSXL_MISS;
    }
    len = vstr_len(query);
    suffix = ctx->state->family == AF_INET ? ".in-addr.arpa" : ".ip6.arpa";
    if (len > strlen(suffix) && strcmp(vstr_str(query) + len - strlen(suffix), suffix) == 0)
        vstr_truncate(query, len - strlen(suffix));
    vstr_addch(query, '.');
    vstr_adds(query, domain);
    r = check_dnsxl_query(ctx, vstr_str(query), filter, txt);
    vstr_free(query);
    return r;
}

/* A domain name in arg's list: name + "." + domain. */
static int check_dnsxl_name(const CHECK_CTX *ctx, const char *arg, const char *name, VSTR *txt)
{
    char domain[DNS_MAX_NAME + 1];
    const char *filter;
    VSTR *query;
    int r;

    vstr_reset(txt);
    if (*name == 0 || *name == '[' || strcasecmp(name, "unknown") == 0)
        return CHECK_DNSXL_MISS;
    if (smtpd_dnsxl_split(arg, domain, sizeof(domain), &filter) < 0) {
        msg_warn("bad DNS list argument \"%s\"", arg);
        return CHECK_DNSXL_MISS;
    }
    if (strlen(name) + strlen(domain) + 1 > DNS_MAX_NAME)
        return CHECK_DNSXL_MISS;
    query = vstr_new(0);
    vstr_sprintf(query, "%s.%s", name, domain);
    if (vstr_len(query) > 1 && vstr_str(query)[0] == '.')
        r = CHECK_DNSXL_MISS;
    else
        r = check_dnsxl_query(ctx, vstr_str(query), filter, txt);
    vstr_free(query);
    return r;
}

/* What default_rbl_reply and rbl_reply_maps templates may name. */
typedef struct CHECK_RBL_EXP {
    const CHECK_CTX *ctx;
    const char *domain;         /* the argument as written */
    const char *what;
    const char *class;
    const char *reason;
    char code[8];
    VSTR *tmp;
} CHECK_RBL_EXP;

static const char *check_rbl_addr_part(CHECK_RBL_EXP *x, const char *addr, int domain)
{
    const char *at;

    if (addr == NULL)
        return NULL;
    at = strrchr(addr, '@');
    if (domain)
        return at ? at + 1 : NULL;
    vstr_reset(x->tmp);
    vstr_addmem(x->tmp, addr, at ? (size_t) (at - addr) : strlen(addr));
    return vstr_str(x->tmp);
}

static const char *check_rbl_var(const char *name, void *p)
{
    CHECK_RBL_EXP *x = p;
    const SMTPD_STATE *state = x->ctx->state;

    if (strcmp(name, "rbl_code") == 0)
        return x->code;
    if (strcmp(name, "rbl_domain") == 0)
        return x->domain;
    if (strcmp(name, "rbl_reason") == 0 || strcmp(name, "rbl_txt") == 0)
        return x->reason;
    if (strcmp(name, "rbl_what") == 0)
        return x->what;
    if (strcmp(name, "rbl_class") == 0)
        return x->class;
    if (strcmp(name, "sender") == 0)
        return x->ctx->sender;
    if (strcmp(name, "sender_name") == 0)
        return check_rbl_addr_part(x, x->ctx->sender, 0);
    if (strcmp(name, "sender_domain") == 0)
        return check_rbl_addr_part(x, x->ctx->sender, 1);
    if (strcmp(name, "recipient") == 0)
        return x->ctx->rcpt;
    if (strcmp(name, "recipient_name") == 0)
        return check_rbl_addr_part(x, x->ctx->rcpt, 0);
    if (strcmp(name, "recipient_domain") == 0)
        return check_rbl_addr_part(x, x->ctx->rcpt, 1);
    return smtpd_state_attr(state, name); /* client, client_address, ... */
}

/* The template for a list: rbl_reply_maps (the argument, then its domain), else default_rbl_reply. */
static const char *check_rbl_template(CHECK_CTX *ctx, const char *arg, int *error)
{
    char domain[DNS_MAX_NAME + 1];
    const char *filter, *keys[2], *v;
    size_t i, k;

    *error = 0;
    keys[0] = arg;
    keys[1] = smtpd_dnsxl_split(arg, domain, sizeof(domain), &filter) == 0 && filter ? domain
                                                                                    : NULL;
    for (k = 0; k < 2 && keys[k]; k++) {
        for (i = 0; i < ctx->conf->rbl_reply_maps->argc; i++) {
            const char *spec = ctx->conf->rbl_reply_maps->argv[i];
            TABLE *t = smtpd_check_table(ctx->conf, spec);

            if (t == NULL) {
                msg_warn("rbl_reply_maps: %s could not be opened", spec);
                *error = 1;
                return NULL;
            }
            if ((v = table_lookup(t, keys[k])) != NULL)
                return v;
            if (t->error != TABLE_OK) {
                msg_warn("rbl_reply_maps: %s: lookup of %s failed: %s", spec, keys[k],
                         table_error_text(t->error));
                *error = 1;
                return NULL;
            }
        }
    }
    return ctx->conf->rbl_reply;
}

/* The rejection for a listed client, name or address. */
static int check_dnsxl_reject(CHECK_CTX *ctx, const char *arg, const char *what,
                              const char *class, const char *reason)
{
    CHECK_RBL_EXP x;
    VSTR *out;
    const char *tmpl, *p;
    char dsn[16];
    int code, error, r;
    size_t n;

    tmpl = check_rbl_template(ctx, arg, &error);
    if (error) {
        vstr_sprintf(ctx->reply, "451 4.3.0 <%s>: %s rejected: Temporary lookup failure",
                     ctx->state->namaddr, "Client host");
        return SMTPD_CHECK_REJECT;
    }
    memset(&x, 0, sizeof(x));
    x.ctx = ctx;
    x.domain = arg;
    x.what = what;
    x.class = class;
    x.reason = reason;
    x.tmp = vstr_new(0);
    snprintf(x.code, sizeof(x.code), "%d", ctx->conf->rbl_code);
    out = vstr_new(0);
    if (smtpd_dnsxl_expand(out, tmpl, check_rbl_var, &x) < 0) {
        VSTR *why = vstr_new(0);

        vstr_sprintf(why, "bad RBL reply template for %s: %s: \"%s\"", arg, vstr_str(out), tmpl);
        r = check_config_error(ctx, vstr_str(why));
        vstr_free(why);
        goto done;
    }
    /* "NNN [d.d.d] text": the code must be 4XX or 5XX. */
    p = vstr_str(out);
    if (!(isdigit((unsigned char) p[0]) && isdigit((unsigned char) p[1])
          && isdigit((unsigned char) p[2]) && (p[3] == ' ' || p[3] == 0))
        || (p[0] != '4' && p[0] != '5')) {
        VSTR *why = vstr_new(0);

        vstr_sprintf(why, "RBL reply template for %s does not start with a 4XX or 5XX code: \"%s\"",
                     arg, vstr_str(out));
        r = check_config_error(ctx, vstr_str(why));
        vstr_free(why);
        goto done;
    }
    code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    p += p[3] ? 4 : 3;
    snprintf(dsn, sizeof(dsn), "%c.7.1", code >= 500 ? '5' : '4');
    n = strspn(p, "0123456789.");
    if (n >= 5 && n < sizeof(dsn) && (p[n] == ' ' || p[n] == 0) && p[0] == dsn[0] && p[1] == '.') {
        memcpy(dsn, p, n);
        dsn[n] = 0;
        p += n;
        while (*p == ' ')
            p++;
    }
    r = check_reject(ctx, code, dsn, "%s", *p ? p : "Service unavailable");
done:
    vstr_free(out);
    vstr_free(x.tmp);
    return r;
}

/* reject_rbl_client: the client address is listed. */
static int check_rbl(CHECK_CTX *ctx, const char *arg)
{
    VSTR *txt = vstr_new(0);
    int r = SMTPD_CHECK_DUNNO;

    if (check_dnsxl_addr(ctx, arg, txt) == CHECK_DNSXL_HIT)
        r = check_dnsxl_reject(ctx, arg, ctx->state->addr, "Client host", vstr_str(txt));
    vstr_free(txt);
    return r;
}

/* reject_rhsbl_*: a domain (or the domain of an address) is listed. */
static int check_rhsbl(CHECK_CTX *ctx, const char *arg, const char *what, const char *class)
{
    const char *at, *domain;
    VSTR *txt;
    int r = SMTPD_CHECK_DUNNO;

    if (what == NULL || *what == 0)
        return SMTPD_CHECK_DUNNO;
    at = strrchr(what, '@');
    domain = at ? at + 1 : what;
    txt = vstr_new(0);
    if (check_dnsxl_name(ctx, arg, domain, txt) == CHECK_DNSXL_HIT)
        r = check_dnsxl_reject(ctx, arg, what, class, vstr_str(txt));
    vstr_free(txt);
    return r;
}

/*
 * permit_dnswl_client, permit_rhswl_client: a listed client is permitted, except that an allow list never lets a
 * recipient past reject_unauth_destination (Postfix's safety rule: the
 * result is DUNNO then). A lookup that fails for now makes a later
 * rejection a deferral (defer_if_reject).
 */
static int check_allowlist(CHECK_CTX *ctx, const char *arg, int by_name)
{
    VSTR *txt = vstr_new(0);
    int r;

    r = by_name ? check_dnsxl_name(ctx, arg, ctx->state->name, txt)
                : check_dnsxl_addr(ctx, arg, txt);
    vstr_free(txt);
    if (r == CHECK_DNSXL_SOFT) {
        ctx->defer_if_reject = 1;
        return SMTPD_CHECK_DUNNO;
    }
    if (r != CHECK_DNSXL_HIT)
        return SMTPD_CHECK_DUNNO;
    if (ctx->rcpt && !check_auth_destination(ctx, ctx->rcpt))
        return SMTPD_CHECK_DUNNO;
    return SMTPD_CHECK_OK;
}

/* ---- MX, NS and A server access tables ---- */

#define CHECK_SERVER_MAX 25     /* hosts, and addresses per host */

/* The address keys of one address (IPv4: and its shorter octet prefixes). */
static void check_addr_keys(ARGV *keys, const char *addr)
{
    char buf[64];
    char *dot;

    argv_add(keys, addr);
    if (strchr(addr, ':') != NULL || strlen(addr) >= sizeof(buf))
        return;
    snprintf(buf, sizeof(buf), "%s", addr);
    while ((dot = strrchr(buf, '.')) != NULL) {
        *dot = 0;
        argv_add(keys, buf);
    }
}

static int check_server_addr(CHECK_CTX *ctx, const char *table, const char *addr,
                             const char *name, const char *class, int depth)
{
    ARGV *keys = argv_new();
    int r;

    check_addr_keys(keys, addr);
    r = check_access(ctx, table, keys, name, class, depth);
    argv_free(keys);
    return r;
}

/* One server host: its name (MX, NS) and its addresses. */
static int check_server_host(CHECK_CTX *ctx, const char *table, int type, const char *host,
                             const char *name, const char *class, int depth)
{
    DNS_REPLY *r;
    DNS_RR *rr;
    ARGV *keys;
    int st, ret = SMTPD_CHECK_DUNNO, n = 0;

    if (type != DNS_T_A) {
        keys = argv_new();
        check_domain_keys(keys, host, ctx->conf->access_parent);
        ret = check_access(ctx, table, keys, name, class, depth);
        argv_free(keys);
        if (ret != SMTPD_CHECK_DUNNO)
            return ret;
    }
    r = dns_reply_new();
    st = dns_lookup_host(ctx->conf->dns, host, DNS_FAMILY_ALL, r);
    if (st != DNS_OK) {
        if (type == DNS_T_A || st == DNS_RETRY)
            msg_warn("Unable to look up A/AAAA records for %s: %s", host, vstr_str(r->why));
    } else {
        for (rr = r->rrs; rr && n < CHECK_SERVER_MAX && ret == SMTPD_CHECK_DUNNO;
             rr = rr->next, n++)
            ret = check_server_addr(ctx, table, rr->text, name, class, depth);
    }
    dns_reply_free(r);
    return ret;
}

/*
 * check_*_{mx,ns,a}_access TABLE: the MX hosts (a domain without MX records
 * is its own, as Postfix has it even when the name does not exist), the
 * name servers (of the closest enclosing domain that has some) or the addresses of the domain of what. An access result of OK is
 * not allowed here (it would let anyone in who names a good server): it is
 * logged and treated as DUNNO. A lookup that fails is logged, and DUNNO.
 */
static int check_server_access(CHECK_CTX *ctx, const char *restriction, const char *table,
                               int type, const char *what, const char *name, const char *class,
                               int depth)
{
    const char *at, *domain;
    const char *saved = ctx->server_access;
    DNS_REPLY *r;
    DNS_RR *rr;
    ARGV *hosts;
    int st, ret = SMTPD_CHECK_DUNNO;
    size_t i;

    if (what == NULL || *what == 0)
        return SMTPD_CHECK_DUNNO;
    at = strrchr(what, '@');
    domain = at ? at + 1 : what;
    if (*domain == 0 || strcasecmp(domain, "unknown") == 0)
        return SMTPD_CHECK_DUNNO;
    ctx->server_access = restriction;
    if (*domain == '[') {
        /* An address literal: only the A form has something to look up. */
        if (type == DNS_T_A) {
            char buf[64];
            const char *a = domain + 1;
            size_t len;

            if (strncasecmp(a, "ipv6:", 5) == 0)
                a += 5;
            len = strcspn(a, "]");
            if (len > 0 && len < sizeof(buf) && a[len] == ']') {
                memcpy(buf, a, len);
                buf[len] = 0;
                ret = check_server_addr(ctx, table, buf, name, class, depth);
            }
        }
        ctx->server_access = saved;
        return ret;
    }
    if (ctx->conf->dns == NULL) {
        ctx->server_access = saved;
        return SMTPD_CHECK_DUNNO;
    }
    hosts = argv_new();
    if (type == DNS_T_A) {
        argv_add(hosts, domain);
    } else {
        r = dns_reply_new();
        for (;;) {
            st = dns_lookup(ctx->conf->dns, domain, type, r);
            if (st == DNS_NOTFOUND && type == DNS_T_MX) {
                argv_add(hosts, domain);        /* no MX: the domain itself */
                st = DNS_OK;
                break;
            }
            if (st == DNS_NOTFOUND && type == DNS_T_NS
                && (domain = strchr(domain, '.')) != NULL && domain[1]) {
                domain++;                       /* no NS: the parent's */
                continue;
            }
            break;
        }
        if (st == DNS_OK) {
            for (rr = r->rrs; rr && hosts->argc < CHECK_SERVER_MAX; rr = rr->next)
                if (*rr->text && strcmp(rr->text, ".") != 0)
                    argv_add(hosts, rr->text);
        } else if (st != DNS_NULLMX) {
            msg_warn("Unable to look up %s host for %s: %s", type == DNS_T_MX ? "MX" : "NS",
                     domain ? domain : what, vstr_str(r->why));
        }
        dns_reply_free(r);
    }
    for (i = 0; i < hosts->argc && ret == SMTPD_CHECK_DUNNO; i++)
        ret = check_server_host(ctx, table, type, hosts->argv[i], name, class, depth);
    argv_free(hosts);
    ctx->server_access = saved;
    return ret;
}

/* ---- TLS and SASL ---- */

/* permit_tls_clientcerts, permit_tls_all_clientcerts. */
static int check_tls_clientcerts(CHECK_CTX *ctx, int all)
{
    const TLS_INFO *info;
    const char *prints[2];
    size_t i, j;

    if (ctx->state->tls == NULL)
        return SMTPD_CHECK_DUNNO;
    info = tls_info(ctx->state->tls);
    if (all && info->status >= TLS_PEER_TRUSTED)
        return SMTPD_CHECK_OK;
    if (info->status == TLS_PEER_ANONYMOUS)
        return SMTPD_CHECK_DUNNO;
    /* A listed fingerprint needs no trusted issuer. */
    prints[0] = info->peer_cert_fprint;
    prints[1] = info->peer_pkey_fprint;
    for (i = 0; i < 2; i++) {
        if (prints[i] == NULL || *prints[i] == 0)
            continue;
        for (j = 0; j < ctx->conf->relay_ccerts->argc; j++) {
            const char *spec = ctx->conf->relay_ccerts->argv[j];
            TABLE *t = smtpd_check_table(ctx->conf, spec);

            if (t == NULL) {
                VSTR *tmp = vstr_new(0);
                int r;

                vstr_sprintf(tmp, "relay_clientcerts: %s could not be opened", spec);
                r = check_config_error(ctx, vstr_str(tmp));
                vstr_free(tmp);
                return r;
            }
            if (table_lookup(t, prints[i]) != NULL) {
                msg_info("%s: relaying allowed for the client certificate %s",
                         ctx->state->namaddr, prints[i]);
                return SMTPD_CHECK_OK;
            }
            if (t->error != TABLE_OK) {
                msg_warn("relay_clientcerts: %s: lookup of %s failed: %s", spec, prints[i],
                         table_error_text(t->error));
                return check_temp_error(ctx, ctx->state->namaddr, "Client host");
            }
        }
    }
    return SMTPD_CHECK_DUNNO;
}

/* check_ccert_access TABLE: the certificate, then the public key fingerprint. */
static int check_ccert_access(CHECK_CTX *ctx, const char *table, int depth)
{
    const TLS_INFO *info;
    ARGV *keys;
    int r;

    if (ctx->state->tls == NULL)
        return SMTPD_CHECK_DUNNO;
    info = tls_info(ctx->state->tls);
    if (info->status == TLS_PEER_ANONYMOUS)
        return SMTPD_CHECK_DUNNO;
    keys = argv_new();
    if (info->peer_cert_fprint && *info->peer_cert_fprint)
        argv_add(keys, info->peer_cert_fprint);
    if (info->peer_pkey_fprint && *info->peer_pkey_fprint)
        argv_add(keys, info->peer_pkey_fprint);
    r = keys->argc ? check_access(ctx, table, keys, info->peer_CN, "Client certificate", depth)
                   : SMTPD_CHECK_DUNNO;
    argv_free(keys);
    return r;
}

/* ---- the restrictions of this part, by name ---- */

#define CHECK_NOT_MINE 2        /* check_more(): not one of these names */

/* reject_unverified_*: Postern has no verify service (yet): said once. */
static int check_unverified(const char *name)
{
    static int warned_sender, warned_rcpt;
    int *warned = strcasecmp(name, "reject_unverified_sender") == 0 ? &warned_sender
                                                                    : &warned_rcpt;

    if (!*warned) {
        *warned = 1;
        msg_warn("restriction %s is not implemented in Postern; treated as DUNNO", name);
    }
    return SMTPD_CHECK_DUNNO;
}

static int check_more(CHECK_CTX *ctx, const char *name, const char *arg, int depth)
{
    SMTPD_STATE *state = ctx->state;
    static const struct {
        const char *suffix;
        int type;
    } server_types[] = {
        {"_mx_access", DNS_T_MX}, {"_ns_access", DNS_T_NS}, {"_a_access", DNS_T_A},
    };
    size_t i;

    if (strcasecmp(name, "reject_rhsbl_client") == 0)
        return check_rhsbl(ctx, arg, strcmp(state->name, "unknown") ? state->name : NULL,
                           "Client host");
    if (strcasecmp(name, "reject_rhsbl_reverse_client") == 0)
        return check_rhsbl(ctx, arg,
                           strcmp(state->reverse_name, "unknown") ? state->reverse_name : NULL,
                           "Unverified Client host");
    if (strcasecmp(name, "reject_rhsbl_helo") == 0)
        return check_rhsbl(ctx, arg, state->helo, "Helo command");
    if (strcasecmp(name, "reject_rhsbl_sender") == 0)
        return check_rhsbl(ctx, arg, ctx->sender, "Sender address");
    if (strcasecmp(name, "reject_rhsbl_recipient") == 0)
        return check_rhsbl(ctx, arg, ctx->rcpt, "Recipient address");
    if (strcasecmp(name, "permit_dnswl_client") == 0)
        return check_allowlist(ctx, arg, 0);
    if (strcasecmp(name, "permit_rhswl_client") == 0)
        return check_allowlist(ctx, arg, 1);
    for (i = 0; i < sizeof(server_types) / sizeof(server_types[0]); i++) {
        size_t nl = strlen(name), sl = strlen(server_types[i].suffix);
        int type = server_types[i].type;

        if (nl <= sl || strcasecmp(name + nl - sl, server_types[i].suffix) != 0)
            continue;
        if (strncasecmp(name, "check_sender", nl - sl) == 0 && nl - sl == 12)
            return check_server_access(ctx, name, arg, type, ctx->sender, ctx->sender,
                                       "Sender address", depth);
        if (strncasecmp(name, "check_recipient", nl - sl) == 0 && nl - sl == 15)
            return check_server_access(ctx, name, arg, type, ctx->rcpt, ctx->rcpt,
                                       "Recipient address", depth);
        if (strncasecmp(name, "check_helo", nl - sl) == 0 && nl - sl == 10)
            return check_server_access(ctx, name, arg, type, state->helo, state->helo,
                                       "Helo command", depth);
        /* check_client_a_access is older and looks at the address itself */
        if (strncasecmp(name, "check_client", nl - sl) == 0 && nl - sl == 12
            && type != DNS_T_A)
            return check_server_access(ctx, name, arg, type, state->name, state->namaddr,
                                       "Client host", depth);
        if (strncasecmp(name, "check_reverse_client", nl - sl) == 0 && nl - sl == 20)
            return check_server_access(ctx, name, arg, type, state->reverse_name,
                                       state->namaddr, "Client host", depth);
    }
    if (strcasecmp(name, "reject_plaintext_session") == 0) {
        if (state->tls != NULL)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, ctx->conf->plaintext_code, "4.7.1",
                            "Session encryption is required");
    }
    if (strcasecmp(name, "permit_tls_clientcerts") == 0)
        return check_tls_clientcerts(ctx, 0);
    if (strcasecmp(name, "permit_tls_all_clientcerts") == 0)
        return check_tls_clientcerts(ctx, 1);
    if (strcasecmp(name, "check_ccert_access") == 0)
        return check_ccert_access(ctx, arg, depth);
    if (strcasecmp(name, "check_sasl_access") == 0) {
        ARGV *keys;
        int r;

        if (state->sasl_username == NULL)
            return SMTPD_CHECK_DUNNO;
        keys = argv_new();
        argv_add(keys, state->sasl_username);
        r = check_access(ctx, arg, keys, state->sasl_username, "SASL login name", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "reject_unverified_sender") == 0
        || strcasecmp(name, "reject_unverified_recipient") == 0)
        return check_unverified(name);
    return CHECK_NOT_MINE;
}

/*
 * The owners of a sender address in smtpd_sender_login_maps: the first table
 * that knows user@domain, else user (a local domain), else @domain. 1 found
 * (owners set), 0 none, -1 a lookup failed (logged).
 */
static int check_login_owners(CHECK_CTX *ctx, const char *sender, VSTR *owners)
{
    const SMTPD_CONF *conf = ctx->conf;
    const char *at = strrchr(sender, '@'), *value;
    ARGV *keys = argv_new();
    VSTR *key = vstr_new(64);
    size_t i, k;
    int r = 0;

    vstr_set(key, sender);
    str_lower(vstr_str(key));
    argv_add(keys, vstr_str(key));
    if (at && smtpd_check_is_local_domain(ctx->state, at + 1)) {
        vstr_reset(key);
        vstr_addmem(key, sender, (size_t) (at - sender));
        str_lower(vstr_str(key));
        argv_add(keys, vstr_str(key));
    }
    if (at) {
        vstr_set(key, at);
        str_lower(vstr_str(key));
        argv_add(keys, vstr_str(key));
    }
    for (i = 0; i < conf->sasl.login_maps->argc && r == 0; i++) {
        TABLE *t = smtpd_check_table(conf, conf->sasl.login_maps->argv[i]);

        if (t == NULL) {
            msg_warn("smtpd_sender_login_maps: table %s is not available",
                     conf->sasl.login_maps->argv[i]);
            r = -1;
            break;
        }
        for (k = 0; k < keys->argc; k++) {
            if ((value = table_lookup(t, keys->argv[k])) != NULL) {
                vstr_set(owners, value);
                r = 1;
                break;
            }
            if (t->error != TABLE_OK) {
                msg_warn("%s: lookup of %s failed: %s", conf->sasl.login_maps->argv[i],
                         keys->argv[k], table_error_text(t->error));
                r = -1;
                break;
            }
        }
    }
    argv_free(keys);
    vstr_free(key);
    return r;
}

/* Is login one of the owners (a list split at commas and white space)? */
static int check_login_owned(const char *owners, const char *login)
{
    char *copy = mem_strdup(owners), *cp = copy, *w;
    int found = 0;

    while (!found && (w = str_token(&cp, " \t\r\n,")) != NULL)
        found = strcasecmp(w, login) == 0;
    mem_free(copy);
    return found;
}

/*
 * reject_*sender_login_mismatch: auth/unauth say which clients are checked.
 * known (reject_known_sender_login_mismatch) protects only the senders
 * listed in smtpd_sender_login_maps: an authenticated client may use an
 * unlisted one, and an unauthenticated client is refused a listed one only
 * when this server offers SASL at all.
 */
static int check_login_mismatch(CHECK_CTX *ctx, int auth, int unauth, int known)
{
    const SMTPD_STATE *state = ctx->state;
    const char *sender = ctx->sender;
    VSTR *owners;
    int r, found;

    if (sender == NULL || *sender == 0)
        return SMTPD_CHECK_DUNNO;
    if (state->sasl_username ? !auth : !unauth)
        return SMTPD_CHECK_DUNNO;
    if (known && state->sasl_username == NULL && !ctx->conf->sasl.enable)
        return SMTPD_CHECK_DUNNO;
    owners = vstr_new(64);
    found = check_login_owners(ctx, sender, owners);
    if (found < 0) {
        vstr_free(owners);
        return check_temp_error(ctx, sender, "Sender address");
    }
    if (state->sasl_username) {
        if (found ? check_login_owned(vstr_str(owners), state->sasl_username) : known)
            r = SMTPD_CHECK_DUNNO;
        else
            r = check_reject(ctx, 553, "5.7.1", "<%s>: Sender address rejected: not owned by user %s",
                             sender, state->sasl_username);
    } else {
        r = found ? check_reject(ctx, 553, "5.7.1",
                                 "<%s>: Sender address rejected: not logged in", sender)
                  : SMTPD_CHECK_DUNNO;
    }
    vstr_free(owners);
    return r;
}

static int check_one(CHECK_CTX *ctx, const char *name, const char *arg, int depth)
{
    const SMTPD_CONF *conf = ctx->conf;
    SMTPD_STATE *state = ctx->state;
    ARGV *keys;
    int r, parent;
    void *class_list;

    if (strcasecmp(name, "permit") == 0)
        return SMTPD_CHECK_OK;
    if (strcasecmp(name, "dunno") == 0)
        return SMTPD_CHECK_DUNNO;
    if (strcasecmp(name, "reject") == 0)
        return check_reject(ctx, conf->reject_code, "5.7.1", "<%s>: %s rejected: Access denied",
                            ctx->list_name, ctx->list_class);
    if (strcasecmp(name, "defer") == 0)
        return check_reject(ctx, conf->defer_code, "4.3.2",
                            "<%s>: %s rejected: Try again later", ctx->list_name,
                            ctx->list_class);
    if (strcasecmp(name, "defer_if_permit") == 0) {
        ctx->defer_if_permit = 1;
        vstr_sprintf(ctx->dip_reply, "%d 4.7.1 <%s>: %s rejected: defer_if_permit requested",
                     conf->defer_code, ctx->list_name, ctx->list_class);
        return SMTPD_CHECK_DUNNO;
    }
    if (strcasecmp(name, "defer_if_reject") == 0) {
        ctx->defer_if_reject = 1;
        return SMTPD_CHECK_DUNNO;
    }
    if (strcasecmp(name, "warn_if_reject") == 0) {
        ctx->warn_if_reject = 1;
        return SMTPD_CHECK_DUNNO;
    }
    if (strcasecmp(name, "permit_mynetworks") == 0) {
        r = match_list_host(conf->mynetworks,
                            strcmp(state->name, "unknown") ? state->name : NULL, state->addr);
        if (r == MATCH_ERROR)
            return check_config_error(ctx, match_list_error(conf->mynetworks));
        return r == MATCH_YES ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
    }
    if (strcasecmp(name, "permit_inet_interfaces") == 0)
        return smtpd_peer_is_local(state) ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
    if (strcasecmp(name, "permit_sasl_authenticated") == 0)
        return state->sasl_username ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
    if (strcasecmp(name, "reject_sender_login_mismatch") == 0)
        return check_login_mismatch(ctx, 1, 1, 0);
    if (strcasecmp(name, "reject_authenticated_sender_login_mismatch") == 0)
        return check_login_mismatch(ctx, 1, 0, 0);
    if (strcasecmp(name, "reject_unauthenticated_sender_login_mismatch") == 0)
        return check_login_mismatch(ctx, 0, 1, 0);
    if (strcasecmp(name, "reject_known_sender_login_mismatch") == 0)
        return check_login_mismatch(ctx, 1, 1, 1);
    if (strcasecmp(name, "reject_unauth_pipelining") == 0) {
        /* Commands sent ahead where that is not allowed: by a client that
         * did not say EHLO, or anything after DATA before our 354 (a BDAT
         * command is followed by its chunk: that is no pipelining). */
        if (!check_input_pending(state)
            || (state->esmtp && (state->where == NULL || strcmp(state->where, "DATA") != 0)))
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, 503, "5.5.0",
                            "<%s>: %s rejected: Improper use of SMTP command pipelining",
                            ctx->list_name, ctx->list_class);
    }
    if (strcasecmp(name, "reject_multi_recipient_bounce") == 0) {
        /* A null sender with more than one recipient (a bounce goes to one). */
        if (ctx->sender == NULL || *ctx->sender != 0
            || state->rcpt_count + (ctx->rcpt && strcmp(ctx->stage, "RCPT") == 0) <= 1)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, conf->multi_rcpt_bounce_code, "5.5.3",
                            "<%s>: %s rejected: Multi-recipient bounce", ctx->list_name,
                            ctx->list_class);
    }
    if (strcasecmp(name, "reject_unauth_destination") == 0
        || strcasecmp(name, "defer_unauth_destination") == 0) {
        if (ctx->rcpt == NULL || check_auth_destination(ctx, ctx->rcpt))
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, name[0] == 'd' ? conf->relay_reject_code - 100
                                                : conf->relay_reject_code,
                            name[0] == 'd' ? "4.7.1" : "5.7.1", "<%s>: Relay access denied",
                            ctx->rcpt);
    }
    if (strcasecmp(name, "permit_auth_destination") == 0)
        return ctx->rcpt && check_auth_destination(ctx, ctx->rcpt) ? SMTPD_CHECK_OK
                                                                   : SMTPD_CHECK_DUNNO;
    if (strcasecmp(name, "reject_unlisted_recipient") == 0) {
        if (ctx->rcpt == NULL)
            return SMTPD_CHECK_DUNNO;
        ctx->unlisted_rcpt_done = 1;
        return check_unlisted_reply(ctx, ctx->rcpt, 1);
    }
    if (strcasecmp(name, "reject_unlisted_sender") == 0) {
        if (ctx->sender == NULL || *ctx->sender == 0)
            return SMTPD_CHECK_DUNNO;
        return check_unlisted_reply(ctx, ctx->sender, 0);
    }
    if (strcasecmp(name, "reject_unknown_sender_domain") == 0
        || strcasecmp(name, "reject_unknown_recipient_domain") == 0) {
        int is_rcpt = name[15] == 'r';
        const char *addr = is_rcpt ? ctx->rcpt : ctx->sender;
        const char *domain;

        if (addr == NULL || *addr == 0)
            return SMTPD_CHECK_DUNNO;
        domain = check_domain_of(addr);
        if (*domain == 0 || check_auth_destination(ctx, addr))
            return SMTPD_CHECK_DUNNO;
        r = check_dns_domain(conf, domain);
        if (r == DNS_OK)
            return SMTPD_CHECK_DUNNO;
        if (r == DNS_RETRY)
            return check_reject(ctx, 450, is_rcpt ? "4.1.2" : "4.1.8",
                                "<%s>: %s rejected: Domain not found", addr,
                                is_rcpt ? "Recipient address" : "Sender address");
        return check_reject(ctx, conf->unknown_address_code, is_rcpt ? "4.1.2" : "4.1.8",
                            "<%s>: %s rejected: Domain not found", addr,
                            is_rcpt ? "Recipient address" : "Sender address");
    }
    if (strcasecmp(name, "reject_non_fqdn_sender") == 0
        || strcasecmp(name, "reject_non_fqdn_recipient") == 0) {
        int is_rcpt = name[16] == 'r';
        const char *addr = is_rcpt ? ctx->rcpt : ctx->sender;

        if (addr == NULL || *addr == 0)
            return SMTPD_CHECK_DUNNO;
        if (addr_check_address(addr, ADDR_FLAG_SMTPUTF8) == ADDR_DOMAIN_OK)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, conf->non_fqdn_code, "5.5.2",
                            "<%s>: %s rejected: need fully-qualified address", addr,
                            is_rcpt ? "Recipient address" : "Sender address");
    }
    if (strcasecmp(name, "reject_non_fqdn_helo_hostname") == 0
        || strcasecmp(name, "reject_non_fqdn_hostname") == 0) {
        if (state->helo == NULL || addr_check_helo(state->helo, 0) != ADDR_DOMAIN_NON_FQDN)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, conf->non_fqdn_code, "5.5.2",
                            "<%s>: Helo command rejected: need fully-qualified hostname",
                            state->helo);
    }
    if (strcasecmp(name, "reject_invalid_helo_hostname") == 0
        || strcasecmp(name, "reject_invalid_hostname") == 0) {
        if (state->helo == NULL || addr_check_helo(state->helo, 0) != ADDR_DOMAIN_INVALID)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, conf->invalid_hostname_code, "5.5.2",
                            "<%s>: Helo command rejected: Invalid name", state->helo);
    }
    if (strcasecmp(name, "reject_unknown_helo_hostname") == 0
        || strcasecmp(name, "reject_unknown_hostname") == 0) {
        if (state->helo == NULL || addr_check_helo(state->helo, 0) != ADDR_DOMAIN_OK
            || state->helo[0] == '[')
            return SMTPD_CHECK_DUNNO;
        r = check_dns_domain(conf, state->helo);
        if (r == DNS_OK)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, conf->unknown_address_code, "4.7.1",
                            "<%s>: Helo command rejected: Host not found", state->helo);
    }
    if (strcasecmp(name, "reject_unknown_client_hostname") == 0
        || strcasecmp(name, "reject_unknown_client") == 0) {
        if (state->name_status == SMTPD_PEER_OK)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, state->name_status == SMTPD_PEER_TEMP ? 450
                                                                       : conf->unknown_client_code,
                            "4.7.25", "Client host rejected: cannot find your hostname, [%s]",
                            state->addr);
    }
    if (strcasecmp(name, "reject_unknown_reverse_client_hostname") == 0) {
        if (smtpd_peer_reverse_status(state) == SMTPD_PEER_OK)
            return SMTPD_CHECK_DUNNO;
        return check_reject(ctx, conf->unknown_client_code, "4.7.25",
                            "Client host rejected: cannot find your reverse hostname, [%s]",
                            state->addr);
    }
    if (strcasecmp(name, "reject_rbl_client") == 0)
        return check_rbl(ctx, arg);
    if (strcasecmp(name, "permit_rbl_client") == 0) {
        VSTR *txt = vstr_new(0);

        r = check_dnsxl_addr(ctx, arg, txt);
        vstr_free(txt);
        return r == CHECK_DNSXL_HIT ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
    }
    parent = conf->access_parent;
    if (strcasecmp(name, "check_client_access") == 0) {
        keys = argv_new();
        check_client_keys(state, keys, parent);
        r = check_access(ctx, arg, keys, state->namaddr, "Client host", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "check_reverse_client_hostname_access") == 0) {
        keys = argv_new();
        if (strcmp(state->reverse_name, "unknown") != 0)
            check_domain_keys(keys, state->reverse_name, parent);
        r = check_access(ctx, arg, keys, state->namaddr, "Client host", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "check_client_a_access") == 0) {
        keys = argv_new();
        argv_add(keys, state->addr);
        r = check_access(ctx, arg, keys, state->namaddr, "Client host", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "check_etrn_access") == 0) {
        if (ctx->etrn == NULL)
            return SMTPD_CHECK_DUNNO;
        keys = argv_new();
        check_domain_keys(keys, ctx->etrn, parent);
        r = check_access(ctx, arg, keys, ctx->etrn, "Etrn command", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "check_helo_access") == 0) {
        if (state->helo == NULL)
            return SMTPD_CHECK_DUNNO;
        keys = argv_new();
        check_domain_keys(keys, state->helo, parent);
        r = check_access(ctx, arg, keys, state->helo, "Helo command", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "check_sender_access") == 0) {
        if (ctx->sender == NULL)
            return SMTPD_CHECK_DUNNO;
        keys = argv_new();
        check_address_keys(conf, keys, ctx->sender, parent);
        r = check_access(ctx, arg, keys, ctx->sender, "Sender address", depth);
        argv_free(keys);
        return r;
    }
    if (strcasecmp(name, "check_recipient_access") == 0) {
        if (ctx->rcpt == NULL)
            return SMTPD_CHECK_DUNNO;
        keys = argv_new();
        check_address_keys(conf, keys, ctx->rcpt, parent);
        r = check_access(ctx, arg, keys, ctx->rcpt, "Recipient address", depth);
        argv_free(keys);
        return r;
    }
    if ((r = check_more(ctx, name, arg, depth)) != CHECK_NOT_MINE)
        return r;
    if ((class_list = htable_get(conf->classes, name)) != NULL) {
        if (depth >= SMTPD_CHECK_DEPTH)
            return check_config_error(ctx, "restriction class nesting too deep");
        return check_list(ctx, class_list, depth + 1);
    }
    if (strchr(name, ':') != NULL) {
        /* A bare table: the obsolete form of check_client_access etc. */
        keys = argv_new();
        if (ctx->rcpt)
            check_address_keys(conf, keys, ctx->rcpt, parent);
        else if (ctx->sender)
            check_address_keys(conf, keys, ctx->sender, parent);
        else
            check_client_keys(state, keys, parent);
        r = check_access(ctx, name, keys, ctx->list_name, ctx->list_class, depth);
        argv_free(keys);
        return r;
    }
    {
        VSTR *tmp = vstr_new(0);

        vstr_sprintf(tmp, "unknown smtpd restriction: \"%s\"", name);
        r = check_config_error(ctx, vstr_str(tmp));
        vstr_free(tmp);
        return r;
    }
}

/* check_policy_service: the server's action (or the default) is an access(5) result. */
static int check_policy(CHECK_CTX *ctx, const char *arg, const char *arg2, int depth)
{
    SMTPD_POLICY_REQ req;
    VSTR *action = vstr_new(64), *why = vstr_new(0);
    int r;

    req.stage = ctx->stage;
    req.sender = ctx->sender;
    req.rcpt = ctx->rcpt;
    req.etrn = ctx->etrn;
    if (smtpd_policy_query(ctx->state, arg, arg2, &req, action, why) < 0)
        r = check_config_error(ctx, vstr_str(why));
    else
        r = check_access_result(ctx, vstr_str(action), ctx->list_name, ctx->list_class,
                                arg2 ? arg2 : arg, depth);
    vstr_free(action);
    vstr_free(why);
    return r;
}

static int check_list(CHECK_CTX *ctx, ARGV *list, int depth)
{
    size_t i;
    int r;

    for (i = 0; i < list->argc; i++) {
        const char *name = list->argv[i];
        const char *arg = NULL;

        if (check_in(check_with_arg, name)) {
            if (i + 1 >= list->argc)
                return check_config_error(ctx, "restriction without its argument");
            arg = list->argv[++i];
        }
        if (strcasecmp(name, "check_policy_service") == 0) {
            const char *arg2 = NULL;

            if (smtpd_policy_needs_endpoint(arg) && i + 1 < list->argc)
                arg2 = list->argv[++i];
            r = check_policy(ctx, arg, arg2, depth);
        } else {
            r = check_one(ctx, name, arg, depth);
        }
        if (strcasecmp(name, "warn_if_reject") != 0)
            ctx->warn_if_reject = 0;
        if (r != SMTPD_CHECK_DUNNO)
            return r;
    }
    return SMTPD_CHECK_DUNNO;
}

/* ---- entry points ---- */

static void check_ctx_init(CHECK_CTX *ctx, SMTPD_STATE *state, const char *stage, VSTR *reply)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->state = state;
    ctx->conf = state->conf;
    ctx->stage = stage;
    ctx->reply = reply;
    ctx->sender = state->sender;
    ctx->dip_reply = vstr_new(0);
    vstr_reset(reply);
}

static int check_ctx_done(CHECK_CTX *ctx, int r)
{
    if (r != SMTPD_CHECK_REJECT && ctx->defer_if_permit) {
        vstr_set(ctx->reply, vstr_str(ctx->dip_reply));
        r = SMTPD_CHECK_REJECT;
    } else if (r != SMTPD_CHECK_REJECT) {
        r = SMTPD_CHECK_OK;
    }
    vstr_free(ctx->dip_reply);
    return r;
}

/* One list; OK and DUNNO both mean "go on". */
static int check_stage(CHECK_CTX *ctx, ARGV *list, const char *name, const char *class)
{
    int r;

    ctx->list_name = name;
    ctx->list_class = class;
    r = check_list(ctx, list, 0);

    return r == SMTPD_CHECK_REJECT ? r : SMTPD_CHECK_DUNNO;
}

int smtpd_check_client(SMTPD_STATE *state, VSTR *reply)
{
    CHECK_CTX ctx;

    check_ctx_init(&ctx, state, "CONNECT", reply);
    return check_ctx_done(&ctx, check_stage(&ctx, state->conf->client_restr, state->namaddr, "Client host"));
}

int smtpd_check_helo(SMTPD_STATE *state, VSTR *reply)
{
    CHECK_CTX ctx;
    int r;

    check_ctx_init(&ctx, state, state->esmtp ? "EHLO" : "HELO", reply);
    ctx.sender = NULL;
    r = check_stage(&ctx, state->conf->helo_restr, state->helo ? state->helo : "", "Helo command");
    return check_ctx_done(&ctx, r);
}

int smtpd_check_mail(SMTPD_STATE *state, const char *sender, VSTR *reply)
{
    CHECK_CTX ctx;
    int r = SMTPD_CHECK_DUNNO;

    check_ctx_init(&ctx, state, "MAIL", reply);
    ctx.sender = sender;
    if (state->conf->delay_reject)
        return check_ctx_done(&ctx, r);
    r = check_stage(&ctx, state->conf->sender_restr, sender, "Sender address");
    return check_ctx_done(&ctx, r);
}

static int check_rcpt_stage(SMTPD_STATE *state, const char *rcpt, VSTR *reply,
                            const char *stage)
{
    const SMTPD_CONF *conf = state->conf;
    CHECK_CTX ctx;
    int r = SMTPD_CHECK_DUNNO;

    check_ctx_init(&ctx, state, stage, reply);
    ctx.rcpt = rcpt;
    if (conf->delay_reject) {
        r = check_stage(&ctx, conf->client_restr, state->namaddr, "Client host");
        if (r == SMTPD_CHECK_DUNNO)
            r = check_stage(&ctx, conf->helo_restr, state->helo ? state->helo : "", "Helo command");
        if (r == SMTPD_CHECK_DUNNO)
            r = check_stage(&ctx, conf->sender_restr, state->sender ? state->sender : "", "Sender address");
    }
    if (r == SMTPD_CHECK_DUNNO)
        r = check_stage(&ctx, conf->relay_restr, rcpt, "Recipient address");
    if (r == SMTPD_CHECK_DUNNO)
        r = check_stage(&ctx, conf->recipient_restr, rcpt, "Recipient address");
    if (r == SMTPD_CHECK_DUNNO && conf->reject_unlisted_recipient && !ctx.unlisted_rcpt_done) {
        r = check_unlisted_reply(&ctx, rcpt, 1);
        if (r != SMTPD_CHECK_REJECT)
            r = SMTPD_CHECK_DUNNO;
    }
    if (r == SMTPD_CHECK_DUNNO && conf->reject_unlisted_sender && state->sender
        && *state->sender) {
        r = check_unlisted_reply(&ctx, state->sender, 0);
        if (r != SMTPD_CHECK_REJECT)
            r = SMTPD_CHECK_DUNNO;
    }
    return check_ctx_done(&ctx, r);
}

int smtpd_check_rcpt(SMTPD_STATE *state, const char *rcpt, VSTR *reply)
{
    return check_rcpt_stage(state, rcpt, reply, "RCPT");
}

int smtpd_check_vrfy(SMTPD_STATE *state, const char *rcpt, VSTR *reply)
{
    return check_rcpt_stage(state, rcpt, reply, "VRFY");
}

int smtpd_check_data(SMTPD_STATE *state, VSTR *reply)
{
    CHECK_CTX ctx;

    check_ctx_init(&ctx, state, "DATA", reply);
    return check_ctx_done(&ctx, check_stage(&ctx, state->conf->data_restr, "DATA", "Data command"));
}

int smtpd_check_eod(SMTPD_STATE *state, VSTR *reply)
{
    CHECK_CTX ctx;

    check_ctx_init(&ctx, state, "END-OF-MESSAGE", reply);
    return check_ctx_done(&ctx, check_stage(&ctx, state->conf->eod_restr, "END-OF-MESSAGE", "End-of-data"));
}

int smtpd_check_etrn(SMTPD_STATE *state, const char *domain, VSTR *reply)
{
    const SMTPD_CONF *conf = state->conf;
    CHECK_CTX ctx;
    int r = SMTPD_CHECK_DUNNO;

    check_ctx_init(&ctx, state, "ETRN", reply);
    ctx.sender = NULL;
    ctx.etrn = domain;
    if (conf->delay_reject) {
        r = check_stage(&ctx, conf->client_restr, state->namaddr, "Client host");
        if (r == SMTPD_CHECK_DUNNO)
            r = check_stage(&ctx, conf->helo_restr, state->helo ? state->helo : "", "Helo command");
    }
    if (r == SMTPD_CHECK_DUNNO)
        r = check_stage(&ctx, conf->etrn_restr, domain, "Etrn command");
    return check_ctx_done(&ctx, r);
}
