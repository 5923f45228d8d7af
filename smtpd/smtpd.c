/*
 * smtpd - the SMTP server (master.cf: smtp inet n - y - - smtpd).
 *
 * What it trusts: its configuration (main.cf and master.cf -o, read as
 * root), the tables it opens before chroot, and cleanup's replies. What it
 * does not: anything the client sends (commands, addresses, content, its
 * DNS names), which is bounded, checked and made printable before use.
 *
 * main() hands the work to the single-server skeleton (lib/server.h):
 * pre_jail reads the configuration and opens tables, match lists, the
 * resolver, /etc/hosts, the TLS keys and certificates and the SASL server;
 * after the chroot and the privilege drop each connection is one
 * smtpd_session_run(). on_exit frees it all, so the sanitizers see a clean
 * exit after max_use sessions.
 *
 * Deviation from Postfix: when the SASL back-end cannot be reached for a
 * session (Dovecot's auth socket is down), Postfix's smtpd exits fatally;
 * Postern's logs a warning and leaves AUTH out of its EHLO reply, so mail
 * that needs no login still flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../lib/cleanup_client.h"
#include "../lib/conf.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/dns.h"
#include "../lib/server.h"
#include "../lib/strutil.h"
#include "smtpd.h"
#include "smtpd_anvil.h"
#include "smtpd_check.h"
#include "smtpd_peer.h"
#include "smtpd_policy.h"
#include "smtpd_session.h"

#define SMTPD_LIST_SEP " \t\r\n,"
#define SMTPD_SAFE_RELAY "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"

/* A list (or a restriction class it names) holds a restriction that can refuse relaying. */
static int smtpd_has_relay_guard(const SMTPD_CONF *c, const ARGV *list, int depth)
{
    static const char *const guards[] = {
        "reject_unauth_destination", "defer_unauth_destination", "reject", "defer",
        "defer_if_permit", NULL};
    const ARGV *class_list;
    size_t i, j;

    if (depth > 20)
        return 0;
    for (i = 0; i < list->argc; i++) {
        for (j = 0; guards[j]; j++)
            if (strcasecmp(list->argv[i], guards[j]) == 0)
                return 1;
        if ((class_list = htable_get(c->classes, list->argv[i])) != NULL
            && smtpd_has_relay_guard(c, class_list, depth + 1))
            return 1;
    }
    return 0;
}

/*
 * Postfix's safety net: a configuration that cannot refuse relaying in
 * either list is an open relay, and smtpd refuses to run with it.
 */
static void smtpd_check_relay_guard(const SMTPD_CONF *c)
{
    if (!smtpd_has_relay_guard(c, c->relay_restr, 0)
        && !smtpd_has_relay_guard(c, c->recipient_restr, 0))
        msg_fatal("in parameters smtpd_relay_restrictions and smtpd_recipient_restrictions, "
                  "specify at least one working instance of: reject_unauth_destination, "
                  "defer_unauth_destination, reject, defer, defer_if_permit or check_relay_domains");
}

/* Split a list at white space and commas, except inside { } (inline:{a, b}). */
static ARGV *smtpd_split(const char *v)
{
    ARGV *a = argv_new();
    const char *p = v, *start;
    int depth;

    while (*p) {
        while (*p && strchr(SMTPD_LIST_SEP, *p))
            p++;
        if (*p == 0)
            break;
        start = p;
        depth = 0;
        while (*p && (depth > 0 || !strchr(SMTPD_LIST_SEP, *p))) {
            if (*p == '{')
                depth++;
            else if (*p == '}' && depth > 0)
                depth--;
            p++;
        }
        argv_addn(a, start, (size_t) (p - start));
    }
    return a;
}

static ARGV *smtpd_words(const char *name)
{
    const char *v = conf_get(name);

    return smtpd_split(v ? v : "");
}

static MATCH_LIST *smtpd_list(const char *name, int kind)
{
    VSTR *why = vstr_new(0);
    const char *v = conf_get(name);
    MATCH_LIST *l;

    kind |= match_list_parent_flag(name, conf_get("parent_domain_matches_subdomains"));
    l = match_list_create(name, v ? v : "", kind, why);
    if (vstr_len(why))
        msg_warn("%s", vstr_str(why));
    vstr_free(why);
    return l;
}

static int smtpd_code(const char *name)
{
    long v = conf_get_int(name);

    if (v < 400 || v > 599)
        msg_fatal("bad %s value: %ld (need 4XX or 5XX)", name, v);
    return (int) v;
}

/* This host's interface addresses, as text (for permit_inet_interfaces). */
static ARGV *smtpd_interfaces(void)
{
    ARGV *a = argv_new();
    struct ifaddrs *list, *ifa;
    char buf[INET6_ADDRSTRLEN];

    if (getifaddrs(&list) < 0) {
        msg_warn("getifaddrs: %s", strerror(errno));
        return a;
    }
    for (ifa = list; ifa; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL)
            continue;
        if (ifa->ifa_addr->sa_family == AF_INET
            && inet_ntop(AF_INET, &((struct sockaddr_in *) ifa->ifa_addr)->sin_addr, buf,
                         sizeof(buf)))
            argv_add(a, buf);
        else if (ifa->ifa_addr->sa_family == AF_INET6
                 && inet_ntop(AF_INET6, &((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr, buf,
                              sizeof(buf)))
            argv_add(a, buf);
    }
    freeifaddrs(list);
    return a;
}

static void smtpd_free_argv(void *p)
{
    argv_free(p);
}

static void smtpd_free_table(void *p)
{
    if (p)
        table_close(p);
}


/*
 * smtpd_milters set: Postern has no Milter client, so every milter counts
 * as one that cannot be reached and milter_default_action decides, as in
 * Postfix (default tempfail: no mail is accepted unfiltered without the
 * administrator saying so). Logged once per process, so that the reason
 * for the replies is in the maillog.
 */
static int smtpd_milter_action(void)
{
    const char *milters = conf_get("smtpd_milters");
    const char *action = conf_get("milter_default_action");
    int a;

    if (milters == NULL || milters[strspn(milters, " \t,")] == 0)
        return SMTPD_MILTER_NONE;
    if (action == NULL || strcasecmp(action, "tempfail") == 0)
        a = SMTPD_MILTER_TEMPFAIL;
    else if (strcasecmp(action, "accept") == 0)
        a = SMTPD_MILTER_ACCEPT;
    else if (strcasecmp(action, "reject") == 0)
        a = SMTPD_MILTER_REJECT;
    else if (strcasecmp(action, "quarantine") == 0)
        a = SMTPD_MILTER_QUARANTINE;
    else {
        msg_warn("bad milter_default_action value: \"%.100s\"; using tempfail", action);
        a = SMTPD_MILTER_TEMPFAIL;
        action = "tempfail";
    }
    msg_warn("smtpd_milters = %.200s: Postern has no Milter support; every milter counts as "
             "unavailable and milter_default_action = %s applies to every message",
             milters, action ? action : "tempfail");
    return a;
}

static void smtpd_conf_load(SMTPD_CONF *c)
{
    const char *bare = conf_get("smtpd_forbid_bare_newline"), *raw;
    VSTR *why = vstr_new(0), *path = vstr_new(0);
    ARGV *classes;
    size_t i;

    tzset();
    c->myhostname = mem_strdup(conf_get("myhostname"));
    c->mail_name = mem_strdup(conf_get("mail_name"));
    c->banner = mem_strdup(conf_get("smtpd_banner"));
    c->timeout = (int) conf_get_time("smtpd_timeout");
    if (c->timeout <= 0)
        c->timeout = 1;
    c->per_request_deadline = 1;    /* DESIGN.md: always a deadline per request */
    c->min_data_rate = conf_get_int("smtpd_min_data_rate");
    c->recipient_limit = conf_get_int("smtpd_recipient_limit");
    c->hard_error_limit = conf_get_int("smtpd_hard_error_limit");
    c->soft_error_limit = conf_get_int("smtpd_soft_error_limit");
    c->error_sleep = conf_get_time("smtpd_error_sleep_time");
    c->junk_command_limit = conf_get_int("smtpd_junk_command_limit");
    c->message_size_limit = conf_get_size("message_size_limit");
    c->line_length_limit = conf_get_int("line_length_limit");
    if (c->line_length_limit < 512)
        c->line_length_limit = 512;
    c->disable_vrfy = conf_get_bool("disable_vrfy_command");
    c->soft_bounce = conf_get_bool("soft_bounce");
    c->milter_action = smtpd_milter_action();
    c->delay_reject = conf_get_bool("smtpd_delay_reject");
    c->helo_required = conf_get_bool("smtpd_helo_required");
    c->strict_rfc821 = conf_get_bool("strict_rfc821_envelopes");
    c->smtputf8_enable = conf_get_bool("smtputf8_enable");
    /* Only CR LF . CR LF ends DATA whatever the setting; this picks what a
     * bare LF or CR does to the message: normalise (default) or reject. */
    if (bare == NULL || strcasecmp(bare, "no") == 0 || strcasecmp(bare, "normalize") == 0)
        c->bare_newline = SMTPD_BARE_NORMALIZE;
    else if (strcasecmp(bare, "yes") == 0 || strcasecmp(bare, "reject") == 0)
        c->bare_newline = SMTPD_BARE_REJECT;
    else
        msg_fatal("bad smtpd_forbid_bare_newline value: %s", bare);
    c->bare_newline_code = smtpd_code("smtpd_forbid_bare_newline_reject_code");
    c->reject_unlisted_recipient = conf_get_bool("smtpd_reject_unlisted_recipient");
    c->reject_unlisted_sender = conf_get_bool("smtpd_reject_unlisted_sender");
    c->show_unknown_table = conf_get_bool("show_user_unknown_table_name");
    c->peername_lookup = conf_get_bool("smtpd_peername_lookup");
    c->port_logging = conf_get_bool("smtpd_client_port_logging");
    c->access_parent = match_list_parent_flag("smtpd_access_maps",
                                              conf_get("parent_domain_matches_subdomains")) != 0;
    c->discard_ehlo = smtpd_words("smtpd_discard_ehlo_keywords");
    c->discard_ehlo_maps = smtpd_words("smtpd_discard_ehlo_keyword_address_maps");
    c->forbidden_cmds = smtpd_list("smtpd_forbidden_commands", MATCH_STRING);
    c->xforward_hosts = smtpd_list("smtpd_authorized_xforward_hosts", MATCH_HOST);
    /* Postfix does not $name-expand these two: the $names are the footer's. */
    raw = conf_get_raw("smtpd_reject_footer");
    c->reject_footer = mem_strdup(raw ? raw : "");
    c->reject_footer_maps = smtpd_words("smtpd_reject_footer_maps");
    raw = conf_get_raw("smtpd_expansion_filter");
    smtpd_footer_filter(&c->expand_filter, raw ? raw : "");
    c->noop_cmds = smtpd_words("smtpd_noop_commands");
    c->null_access_key = mem_strdup(conf_get("smtpd_null_access_lookup_key"));
    c->recipient_delimiter = mem_strdup(conf_get("recipient_delimiter"));
    vstr_sprintf(path, "public/%s", conf_get("cleanup_service_name"));
    c->cleanup_path = mem_strdup(vstr_str(path));
    c->ipc_timeout = (int) conf_get_time("ipc_timeout");
    c->mynetworks = smtpd_list("mynetworks", MATCH_HOST);
    c->mydestination = smtpd_list("mydestination", MATCH_DOMAIN);
    c->relay_domains = smtpd_list("relay_domains", MATCH_DOMAIN);
    c->virtual_alias_domains = smtpd_list("virtual_alias_domains", MATCH_DOMAIN);
    c->virtual_mailbox_domains = smtpd_list("virtual_mailbox_domains", MATCH_DOMAIN);
    c->bare_newline_exclusions = smtpd_list("smtpd_forbid_bare_newline_exclusions", MATCH_HOST);
    c->rewrite_clients = smtpd_words("local_header_rewrite_clients");
    c->interfaces = smtpd_interfaces();
    c->local_rcpt_maps = smtpd_words("local_recipient_maps");
    c->virtual_alias_maps = smtpd_words("virtual_alias_maps");
    c->virtual_mailbox_maps = smtpd_words("virtual_mailbox_maps");
    c->relay_recipient_maps = smtpd_words("relay_recipient_maps");
    c->client_restr = smtpd_words("smtpd_client_restrictions");
    c->helo_restr = smtpd_words("smtpd_helo_restrictions");
    c->sender_restr = smtpd_words("smtpd_sender_restrictions");
    c->relay_restr = smtpd_words("smtpd_relay_restrictions");
    c->recipient_restr = smtpd_words("smtpd_recipient_restrictions");
    c->data_restr = smtpd_words("smtpd_data_restrictions");
    c->eod_restr = smtpd_words("smtpd_end_of_data_restrictions");
    c->etrn_restr = smtpd_words("smtpd_etrn_restrictions");
    c->classes = htable_new(16);
    classes = smtpd_words("smtpd_restriction_classes");
    for (i = 0; i < classes->argc; i++) {
        const char *v = conf_get(classes->argv[i]);

        if (v == NULL)
            msg_fatal("restriction class \"%s\" needs a definition", classes->argv[i]);
        htable_put(c->classes, classes->argv[i], smtpd_split(v));
    }
    argv_free(classes);
    c->tables = htable_new(16);
    if (c->relay_restr->argc == 0 && c->recipient_restr->argc == 0) {
        /* Never an open relay: compatibility_level 0 leaves both lists empty. */
        msg_info("smtpd_relay_restrictions and smtpd_recipient_restrictions are both empty; "
                 "using smtpd_relay_restrictions = " SMTPD_SAFE_RELAY);
        argv_free(c->relay_restr);
        c->relay_restr = smtpd_split(SMTPD_SAFE_RELAY);
    }
    smtpd_check_relay_guard(c);
    c->rbl_reply = mem_strdup(conf_get_raw("default_rbl_reply"));
    c->rbl_reply_maps = smtpd_words("rbl_reply_maps");
    c->relay_ccerts = smtpd_words("relay_clientcerts");
    smtpd_tls_conf_load(&c->tls);
    smtpd_sasl_conf_load(&c->sasl);
    c->sasl.login_maps = smtpd_words("smtpd_sender_login_maps");
    c->sasl.exceptions = smtpd_list("smtpd_sasl_exceptions_networks", MATCH_HOST);
    if (smtpd_check_conf(c, why) < 0)
        msg_fatal("%s", vstr_str(why));
    c->reject_code = smtpd_code("reject_code");
    c->defer_code = smtpd_code("defer_code");
    c->access_reject_code = smtpd_code("access_map_reject_code");
    c->access_defer_code = smtpd_code("access_map_defer_code");
    c->relay_reject_code = smtpd_code("relay_domains_reject_code");
    c->multi_rcpt_bounce_code = smtpd_code("multi_recipient_bounce_reject_code");
    c->unknown_local_code = smtpd_code("unknown_local_recipient_reject_code");
    c->unknown_virtual_code = smtpd_code("unknown_virtual_alias_reject_code");
    c->unknown_relay_code = smtpd_code("unknown_relay_recipient_reject_code");
    c->non_fqdn_code = smtpd_code("non_fqdn_reject_code");
    c->invalid_hostname_code = smtpd_code("invalid_hostname_reject_code");
    c->unknown_address_code = smtpd_code("unknown_address_reject_code");
    c->unknown_client_code = smtpd_code("unknown_client_reject_code");
    c->rbl_code = smtpd_code("maps_rbl_reject_code");
    c->plaintext_code = smtpd_code("plaintext_reject_code");
    vstr_reset(why);
    c->dns = dns_init(NULL, NULL, why);
    if (c->dns == NULL)
        msg_warn("DNS lookups disabled: %s", vstr_str(why));
    c->hosts = smtpd_hosts_read("/etc/hosts");
    c->anvil = smtpd_anvil_create(smtpd_list("smtpd_client_event_limit_exceptions", MATCH_HOST),
                                  (c->ipc_timeout > 2 ? 2 : c->ipc_timeout) * 1000);
    vstr_free(why);
    vstr_free(path);
}

static void smtpd_conf_free(SMTPD_CONF *c)
{
    mem_free(c->myhostname);
    mem_free(c->mail_name);
    mem_free(c->banner);
    argv_free(c->discard_ehlo);
    argv_free(c->discard_ehlo_maps);
    match_list_free(c->forbidden_cmds);
    match_list_free(c->xforward_hosts);
    mem_free(c->reject_footer);
    argv_free(c->reject_footer_maps);
    mem_free(c->null_access_key);
    mem_free(c->recipient_delimiter);
    mem_free(c->cleanup_path);
    match_list_free(c->mynetworks);
    match_list_free(c->mydestination);
    match_list_free(c->relay_domains);
    match_list_free(c->virtual_alias_domains);
    match_list_free(c->virtual_mailbox_domains);
    match_list_free(c->bare_newline_exclusions);
    argv_free(c->rewrite_clients);
    argv_free(c->interfaces);
    argv_free(c->local_rcpt_maps);
    argv_free(c->virtual_alias_maps);
    argv_free(c->virtual_mailbox_maps);
    argv_free(c->relay_recipient_maps);
    argv_free(c->client_restr);
    argv_free(c->helo_restr);
    argv_free(c->sender_restr);
    argv_free(c->relay_restr);
    argv_free(c->recipient_restr);
    argv_free(c->data_restr);
    argv_free(c->eod_restr);
    argv_free(c->etrn_restr);
    argv_free(c->noop_cmds);
    mem_free(c->rbl_reply);
    argv_free(c->rbl_reply_maps);
    argv_free(c->relay_ccerts);
    htable_free(c->classes, smtpd_free_argv);
    htable_free(c->tables, smtpd_free_table);
    if (c->dns)
        dns_free(c->dns);
    smtpd_hosts_free(c->hosts);
    smtpd_anvil_free(c->anvil);
    smtpd_tls_conf_free(&c->tls);
    smtpd_sasl_conf_free(&c->sasl);
    memset(c, 0, sizeof(*c));
}

static void smtpd_pre_jail(SERVER *srv)
{
    smtpd_conf_load(srv->context);
    cleanup_client_keep(1); /* one cleanup connection for many messages */
}

static void smtpd_client(SERVER *srv, int fd)
{
    smtpd_session_run(srv->context, fd);
}

static void smtpd_exit(SERVER *srv)
{
    smtpd_policy_close_all();
    smtpd_conf_free(srv->context);
}

int main(int argc, char **argv)
{
    static SMTPD_CONF conf;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = smtpd_pre_jail;
    ops.client = smtpd_client;
    ops.on_exit = smtpd_exit;
    ops.context = &conf;
    server_single_main(argc, argv, &ops);
}
