/*
 * smtpd_session - the SMTP state machine (see smtpd_session.h).
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../lib/addr.h"
#include "../lib/cleanup_client.h"
#include "../lib/flush_client.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/tls.h"
#include "../lib/strutil.h"
#include "smtpd_check.h"
#include "smtpd_cmd.h"
#include "smtpd_data.h"
#include "smtpd_log.h"
#include "smtpd_peer.h"
#include "smtpd_sasl.h"
#include "smtpd_anvil.h"
#include "smtpd_attr.h"
#include "smtpd_session.h"
#include "smtpd_tls.h"

#define SMTPD_DISCARD_MAX (1 << 20)  /* bytes of an overlong line we skip */

/* How a command handler ends the session. */
#define SESSION_GO_ON 0
#define SESSION_END 1

/* ---- replies ---- */

/* The footer's $name attributes (Postfix's smtpd_expand names). */
typedef struct FOOTER_CTX {
    const SMTPD_STATE *state;
    VSTR *buf;
} FOOTER_CTX;

/* $sender, $sender_name, $sender_domain (suffix "", "_name", "_domain"). */
static const char *session_footer_addr(FOOTER_CTX *fc, const char *addr, const char *suffix)
{
    const char *at;

    if (addr == NULL)
        return "";
    at = strrchr(addr, '@');
    if (*suffix == 0)
        return *addr ? addr : "<>";
    if (strcmp(suffix, "_name") == 0) {
        if (*addr == 0)
            return "<>";
        if (at == NULL)
            return addr;
        vstr_reset(fc->buf);
        vstr_addmem(fc->buf, addr, (size_t) (at - addr));
        return vstr_str(fc->buf);
    }
    if (strcmp(suffix, "_domain") == 0)
        return at ? at + 1 : "";
    return NULL;
}

static const char *session_footer_lookup(const char *name, void *ctx)
{
    FOOTER_CTX *fc = ctx;
    const SMTPD_STATE *state = fc->state;
    const char *v;

    if (strcmp(name, "server_name") == 0)
        return state->conf->myhostname;
    if (strcmp(name, "helo_name") == 0) /* "" before HELO/EHLO */
        return state->helo ? state->helo : "";
    if ((v = smtpd_state_attr(state, name)) != NULL) /* client, client_address, ... */
        return v;
    if (strncmp(name, "sender", 6) == 0)
        return session_footer_addr(fc, state->sender ? state->sender : state->footer_sender,
                                   name + 6);
    if (strncmp(name, "recipient", 9) == 0)
        return session_footer_addr(fc, state->footer_rcpt, name + 9);
    if (strcmp(name, "localtime") == 0) {
        char date[64];
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(date, sizeof(date), "%b %d %H:%M:%S", &tm);
        vstr_set(fc->buf, date);
        return vstr_str(fc->buf);
    }
    return NULL;
}

/*
 * The footer for a 4XX/5XX reply: the first smtpd_reject_footer_maps entry
 * for the whole reply text, else smtpd_reject_footer; NULL: none.
 */
static const char *session_footer_template(const SMTPD_STATE *state, const char *reply)
{
    const SMTPD_CONF *conf = state->conf;
    size_t i;

    for (i = 0; i < conf->reject_footer_maps->argc; i++) {
        const char *spec = conf->reject_footer_maps->argv[i], *value;
        TABLE *t = smtpd_check_table(conf, spec);

        if (t == NULL) {
            msg_warn("smtpd_reject_footer_maps: %s: table could not be opened", spec);
            continue;
        }
        if ((value = table_lookup(t, reply)) != NULL)
            return value;
        if (t->error != TABLE_OK) {
            msg_warn("smtpd_reject_footer_maps: %s: lookup failed: %s", spec,
                     table_error_text(t->error));
            break;
        }
    }
    return conf->reject_footer[0] ? conf->reject_footer : NULL;
}

__attribute__((format(printf, 2, 3)))
static void session_reply(SMTPD_STATE *state, const char *fmt, ...)
{
    VSTR *line = vstr_new(128), *out;
    va_list ap;
    size_t i;
    const char *tmpl;
    char *cp;

    va_start(ap, fmt);
    vstr_vprintf(line, fmt, ap);
    va_end(ap);
    /* Client text echoed in a reply stays one printable ASCII line. */
    for (i = 0; i < vstr_len(line); i++) {
        unsigned char c = (unsigned char) vstr_str(line)[i];

        if (c < 0x20 || c > 0x7e)
            vstr_str(line)[i] = '?';
    }
    /* smtpd_reject_footer: more lines after every 4XX and 5XX reply. */
    out = vstr_new(vstr_len(line) + 2);
    if ((vstr_str(line)[0] == '4' || vstr_str(line)[0] == '5')
        && (tmpl = session_footer_template(state, vstr_str(line))) != NULL) {
        FOOTER_CTX fc;

        fc.state = state;
        fc.buf = vstr_new(64);
        if (smtpd_footer_apply(out, vstr_str(line), tmpl, &state->conf->expand_filter,
                               session_footer_lookup, &fc) < 0)
            vstr_reset(out);
        vstr_free(fc.buf);
        for (i = 0; i < vstr_len(out); i++) {
            unsigned char c = (unsigned char) vstr_str(out)[i];

            if (c == '\r' && vstr_str(out)[i + 1] == '\n')
                i++;
            else if (c < 0x20 || c > 0x7e)
                vstr_str(out)[i] = '?';
        }
    }
    if (vstr_len(out) == 0) {
        vstr_set(out, vstr_str(line));
        vstr_adds(out, "\r\n");
    }
    vstr_free(line);
    /* soft_bounce: no permanent refusal reaches the client (nor a 5.x.x code). */
    for (cp = vstr_str(out); state->conf->soft_bounce && cp != NULL && *cp;) {
        if (cp[0] == '5') {
            cp[0] = '4';
            if (cp[1] && cp[2] && cp[3] && cp[4] == '5' && cp[5] == '.')
                cp[4] = '4';
        }
        if ((cp = strchr(cp, '\n')) != NULL)
            cp++;
    }
    line = out;
    state->last_code = atoi(vstr_str(line));
    if (state->last_code >= 400) {
        state->error_count++;
        if (state->error_count >= state->conf->soft_error_limit && state->conf->error_sleep > 0) {
            stream_flush(state->client);
            sleep((unsigned) state->conf->error_sleep);
        }
    }
    stream_write_begin(state->client);
    stream_write(state->client, vstr_str(line), vstr_len(line));
    stream_write_end(state->client);
    vstr_free(line);
}

static void session_flush(SMTPD_STATE *state)
{
    stream_set_limits(state->client, state->conf->timeout * 1000, 0);
    stream_write_begin(state->client);
    stream_flush(state->client);
    stream_write_end(state->client);
}

/* ---- transaction ---- */

static void session_reset(SMTPD_STATE *state)
{
    if (state->cleanup) {
        cleanup_close(state->cleanup);
        state->cleanup = NULL;
    }
    mem_free(state->sender);
    state->sender = NULL;
    mem_free(state->envid);
    state->envid = NULL;
    mem_free(state->sasl_sender);
    state->sasl_sender = NULL;
    state->ret_flags = 0;
    state->body_8bit = 0;
    /* SMTPUTF8 is one transaction's: the next one is ESMTP again. */
    if (state->smtputf8 && state->esmtp)
        state->protocol = "ESMTP";
    state->smtputf8 = 0;
    state->declared_size = -1;
    state->act_size = 0;
    argv_truncate(state->rcpts, 0);
    argv_truncate(state->rcpt_orcpts, 0);
    argv_truncate(state->rcpt_notify, 0);
    state->rcpt_count = 0;
    state->rcpt_tried = 0;
    state->queue_id[0] = 0;
    if (state->prepend) {
        argv_free(state->prepend);
        state->prepend = NULL;
    }
    state->hold = state->discard = 0;
    state->bdat_active = 0;
    state->bdat_error = 0;
    state->bdat_bytes = 0;
    smtpd_data_free(state->bdat);
    state->bdat = NULL;
    /* XFORWARD data is one transaction's (XFORWARD_README). */
    smtpd_xforward_reset(&state->xforward);
}

static const char *session_rewrite_context(const SMTPD_STATE *state)
{
    const SMTPD_CONF *conf = state->conf;

    size_t i;

    for (i = 0; i < conf->rewrite_clients->argc; i++) {
        const char *w = conf->rewrite_clients->argv[i];

        if (strcasecmp(w, "static:all") == 0)
            return "local";
        if (strcasecmp(w, "permit_inet_interfaces") == 0 && smtpd_peer_is_local(state))
            return "local";
        if (strcasecmp(w, "permit_mynetworks") == 0
            && match_list_host(conf->mynetworks, NULL, state->addr) == MATCH_YES)
            return "local";
    }
    return "remote";
}

/* Open cleanup and send the envelope so far. -1: cleanup is unreachable. */
static int session_open_cleanup(SMTPD_STATE *state)
{
    const SMTPD_CONF *conf = state->conf;
    const SMTPD_XFORWARD *xf = &state->xforward;
    VSTR *why = vstr_new(0);
    struct timeval tv;
    char buf[32];
    size_t i;
    int flags = CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MILTER | CLEANUP_FLAG_BCC_OK
                | CLEANUP_FLAG_MAP_OK;

    if (state->hold)
        flags |= CLEANUP_FLAG_HOLD;
    if (state->discard)
        flags |= CLEANUP_FLAG_DISCARD;
    if (state->smtputf8)
        flags |= CLEANUP_FLAG_SMTPUTF8;
    state->cleanup = cleanup_open(conf->cleanup_path, flags, conf->ipc_timeout, why);
    if (state->cleanup == NULL) {
        msg_warn("%s", vstr_str(why));
        vstr_free(why);
        return -1;
    }
    state->cleanup_flags = flags;
    snprintf(state->queue_id, sizeof(state->queue_id), "%s", cleanup_queue_id(state->cleanup));
    /* Postfix's line; with XFORWARD the real client stays "client=". */
    vstr_sprintf(why, "%s: client=%s", state->queue_id, state->namaddr);
    if (state->sasl_username)
        vstr_printf(why, ", sasl_method=%s, sasl_username=%s", state->sasl_method,
                    state->sasl_username);
    if (state->sasl_username && state->sasl_sender)
        vstr_printf(why, ", sasl_sender=%s", state->sasl_sender);
    if (xf->active && xf->ident)
        vstr_printf(why, ", orig_queue_id=%s", xf->ident);
    if (xf->active && (xf->given & SMTPD_XF_CLIENT))
        vstr_printf(why, ", orig_client=%s", xf->namaddr);
    msg_info("%s", vstr_str(why));
    vstr_free(why);
    gettimeofday(&tv, NULL);
    state->arrival = tv.tv_sec;
    cleanup_time(state->cleanup, (long) tv.tv_sec, (long) tv.tv_usec);
    cleanup_attr(state->cleanup, "log_ident",
                 xf->active && xf->ident ? xf->ident : state->queue_id);
    cleanup_attr(state->cleanup, "rewrite_context",
                 xf->active && xf->context ? xf->context : session_rewrite_context(state));
    if (state->envid)
        cleanup_attr(state->cleanup, "envelope_id", state->envid);
    if (state->ret_flags) {
        snprintf(buf, sizeof(buf), "%d", state->ret_flags);
        cleanup_attr(state->cleanup, "ret_flags", buf);
    }
    cleanup_sender(state->cleanup, state->sender);
    if (state->body_8bit)
        cleanup_attr(state->cleanup, "encoding", "8bit");
    /* What later stages log and forward (XFORWARD, when a client sent it:
     * never mixed with the real client's); then the real client. */
    if (xf->active) {
        cleanup_attr(state->cleanup, "log_client_name", xf->name);
        cleanup_attr(state->cleanup, "log_client_address", xf->addr);
        cleanup_attr(state->cleanup, "log_client_port", xf->port);
        cleanup_attr(state->cleanup, "log_message_origin", xf->namaddr);
        if (xf->helo)
            cleanup_attr(state->cleanup, "log_helo_name", xf->helo);
        cleanup_attr(state->cleanup, "log_protocol_name", xf->proto);
    } else {
        cleanup_attr(state->cleanup, "log_client_name", state->name);
        cleanup_attr(state->cleanup, "log_client_address", state->addr);
        cleanup_attr(state->cleanup, "log_client_port", state->port);
        cleanup_attr(state->cleanup, "log_message_origin", state->namaddr);
        if (state->helo)
            cleanup_attr(state->cleanup, "log_helo_name", state->helo);
        cleanup_attr(state->cleanup, "log_protocol_name", state->esmtp ? "ESMTP" : "SMTP");
    }
    cleanup_attr(state->cleanup, "client_name", state->name);
    cleanup_attr(state->cleanup, "reverse_client_name", state->reverse_name);
    cleanup_attr(state->cleanup, "client_address", state->addr);
    cleanup_attr(state->cleanup, "client_port", state->port);
    cleanup_attr(state->cleanup, "server_address", state->server_addr);
    cleanup_attr(state->cleanup, "server_port", state->server_port);
    if (state->helo)
        cleanup_attr(state->cleanup, "helo_name", state->helo);
    cleanup_attr(state->cleanup, "protocol_name", state->esmtp ? "ESMTP" : "SMTP");
    snprintf(buf, sizeof(buf), "%d", state->family);
    cleanup_attr(state->cleanup, "client_address_type", buf);
    if (state->sasl_username) {
        cleanup_attr(state->cleanup, "sasl_method", state->sasl_method);
        cleanup_attr(state->cleanup, "sasl_username", state->sasl_username);
        if (state->sasl_sender)
            cleanup_attr(state->cleanup, "sasl_sender", state->sasl_sender);
    }
    for (i = 0; i < state->rcpts->argc; i++)
        cleanup_rcpt(state->cleanup, state->rcpts->argv[i], state->rcpts->argv[i],
                     state->rcpt_orcpts->argv[i], atoi(state->rcpt_notify->argv[i]));
    return 0;
}

/* ---- reading commands ---- */

/* 1 a line in buf, 0 the session is over (logged, replied where possible). */
static int session_read_command(SMTPD_STATE *state, VSTR *buf)
{
    const SMTPD_CONF *conf = state->conf;
    int r;

    if (stream_buffered(state->client) == 0)
        session_flush(state);
    vstr_reset(buf);
    stream_set_limits(state->client, conf->timeout * 1000, 0);
    stream_read_begin(state->client);
    r = stream_get_until(state->client, '\n', buf, (size_t) conf->line_length_limit, NULL);
    if (r == STREAM_TOOLONG) {
        size_t skipped = 0;

        r = stream_get_until(state->client, '\n', NULL, SMTPD_DISCARD_MAX, &skipped);
        stream_read_end(state->client);
        if (r == STREAM_GOT) {
            vstr_set(buf, "");
            session_reply(state, "500 5.5.2 Error: line too long");
            return 2;
        }
        if (r == STREAM_TOOLONG) {
            msg_info("line too long after %s from %s", state->where, state->namaddr);
            session_reply(state, "421 4.7.0 %s Error: line too long", conf->myhostname);
            session_flush(state);
            return 0;
        }
    } else {
        stream_read_end(state->client);
    }
    if (r == STREAM_GOT) {
        if (vstr_len(buf) && vstr_str(buf)[vstr_len(buf) - 1] == '\r')
            vstr_truncate(buf, vstr_len(buf) - 1);
        return 1;
    }
    if (stream_error(state->client) == STREAM_ERR_TIMEOUT) {
        msg_info("timeout after %s from %s", state->where, state->namaddr);
        session_reply(state, "421 4.4.2 %s Error: timeout exceeded", conf->myhostname);
        session_flush(state);
    } else {
        msg_info("lost connection after %s from %s", state->where, state->namaddr);
    }
    return 0;
}

/* ---- HELO / EHLO ---- */

/* The EHLO keywords hidden from this client (smtpd_discard_ehlo_keyword_address_maps). */
static const ARGV *session_discard_list(const SMTPD_STATE *state)
{
    return state->discard_ehlo ? state->discard_ehlo : state->conf->discard_ehlo;
}

static int session_discarded(const SMTPD_STATE *state, const char *kw)
{
    const ARGV *list = session_discard_list(state);
    size_t i;

    for (i = 0; i < list->argc; i++)
        if (strcasecmp(list->argv[i], kw) == 0)
            return 1;
    return 0;
}

/*
 * smtpd_discard_ehlo_keyword_address_maps: the first table that has the
 * client address gives this session's keyword list instead of
 * smtpd_discard_ehlo_keywords (Postfix does not look the name up). A
 * failed lookup is logged and the parameter's list applies.
 */
static void session_discard_lookup(SMTPD_STATE *state)
{
    const SMTPD_CONF *conf = state->conf;
    size_t i;

    for (i = 0; i < conf->discard_ehlo_maps->argc; i++) {
        const char *spec = conf->discard_ehlo_maps->argv[i], *value;
        TABLE *t = smtpd_check_table(conf, spec);
        char *copy, *cursor, *word;

        if (t == NULL) {
            msg_warn("smtpd_discard_ehlo_keyword_address_maps: %s: table could not be opened",
                     spec);
            continue;
        }
        if ((value = table_lookup(t, state->addr)) == NULL) {
            if (t->error != TABLE_OK) {
                msg_warn("smtpd_discard_ehlo_keyword_address_maps: %s: lookup of %s failed: %s",
                         spec, state->addr, table_error_text(t->error));
                return;
            }
            continue;
        }
        state->discard_ehlo = argv_new();
        cursor = copy = mem_strdup(value);
        while ((word = str_token(&cursor, " \t\r\n,")) != NULL)
            argv_add(state->discard_ehlo, word);
        mem_free(copy);
        return;
    }
}

/*
 * Postfix's "discarding EHLO keywords: ..." line: the known keywords that
 * smtpd_discard_ehlo_keywords removes, in Postfix's order; not logged with
 * silent-discard (nor, as in Postfix, when enhancedstatuscodes is among them).
 */
static void session_log_discarded(const SMTPD_STATE *state)
{
    static const char *const known[] = {
        "8BITMIME", "AUTH", "ETRN", "PIPELINING", "SIZE", "VERP", "VRFY", "XCLIENT",
        "XFORWARD", "STARTTLS", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8", "CHUNKING", NULL};
    VSTR *names;
    size_t i;

    if (session_discard_list(state)->argc == 0 || session_discarded(state, "silent-discard")
        || session_discarded(state, "enhancedstatuscodes"))
        return;
    names = vstr_new(64);
    for (i = 0; known[i]; i++) {
        if (session_discarded(state, known[i])) {
            if (vstr_len(names))
                vstr_addch(names, ' ');
            vstr_adds(names, known[i]);
        }
    }
    if (vstr_len(names))
        msg_info("discarding EHLO keywords: %s", vstr_str(names));
    vstr_free(names);
}

/*
 * The HELO name as kept, logged and put into Received: (bounded, trimmed),
 * with Postfix's neutering: characters that would break a Received: comment
 * or a log field ("helo=<...>") become '?'. UTF-8 stays (SMTPUTF8).
 */
static char *session_helo_name(const char *arg)
{
    size_t n = strlen(arg);
    char *name = mem_strndup(arg, n > SMTPD_HELO_MAX ? SMTPD_HELO_MAX : n), *cp;

    str_trim(name);
    str_printable(name, 1);
    for (cp = name; *cp; cp++)
        if (strchr("<>()\\\";:@", *cp) != NULL)
            *cp = '?';
    return name;
}

static int cmd_helo(SMTPD_STATE *state, const char *arg, int esmtp)
{
    const SMTPD_CONF *conf = state->conf;
    VSTR *reply;

    if (*arg == 0) {
        session_reply(state, "501 5.5.4 Syntax: %s hostname", esmtp ? "EHLO" : "HELO");
        return SESSION_GO_ON;
    }
    if (!conf->delay_reject) {
        /*
         * Postfix's way: a HELO that the restrictions refuse is not
         * recorded; the session keeps its earlier HELO (if any) and its
         * transaction. The name is the state's while it is checked and
         * logged.
         */
        char *saved = state->helo;
        const char *saved_proto = state->protocol;
        int saved_esmtp = state->esmtp, refused;

        state->helo = session_helo_name(arg);
        state->esmtp = esmtp;
        state->protocol = esmtp ? "ESMTP" : "SMTP";
        reply = vstr_new(0);
        refused = smtpd_check_helo(state, reply) == SMTPD_CHECK_REJECT;
        if (refused) {
            smtpd_log_action(state, "reject", esmtp ? "EHLO" : "HELO", vstr_str(reply), NULL, NULL);
            session_reply(state, "%s", vstr_str(reply));
            mem_free(state->helo);
            state->helo = saved;
            state->protocol = saved_proto;
            state->esmtp = saved_esmtp;
        } else {
            mem_free(saved);
        }
        vstr_free(reply);
        if (refused)
            return SESSION_GO_ON;
        session_reset(state);
    } else {
        session_reset(state);
        mem_free(state->helo);
        state->helo = session_helo_name(arg);
        state->esmtp = esmtp;
        state->protocol = esmtp ? "ESMTP" : "SMTP";
    }
    if (!esmtp) {
        session_reply(state, "250 %s", conf->myhostname);
        return SESSION_GO_ON;
    }
    {
        ARGV *ext = argv_new();
        VSTR *kwbuf = vstr_new(64);
        const char *mechs;
        char buf[64];
        size_t i;

        session_log_discarded(state);
        argv_add(ext, "PIPELINING");
        if (conf->message_size_limit > 0) {
            snprintf(buf, sizeof(buf), "SIZE %lld", conf->message_size_limit);
            argv_add(ext, buf);
        } else {
            argv_add(ext, "SIZE");
        }
        if (!conf->disable_vrfy)
            argv_add(ext, "VRFY");
        argv_add(ext, "ETRN");
        if (smtpd_tls_available(&conf->tls) && state->tls == NULL && !conf->tls.wrapper)
            argv_add(ext, "STARTTLS");
        if ((mechs = smtpd_sasl_mechs(state)) != NULL) {
            vstr_sprintf(kwbuf, "AUTH %s", mechs);
            argv_add(ext, vstr_str(kwbuf));
            if (conf->sasl.broken_clients) {
                vstr_sprintf(kwbuf, "AUTH=%s", mechs);
                argv_add(ext, vstr_str(kwbuf));
            }
        }
        if (state->xforward_ok)
            argv_add(ext, SMTPD_XFORWARD_EHLO);
        argv_add(ext, "ENHANCEDSTATUSCODES");
        argv_add(ext, "8BITMIME");
        argv_add(ext, "DSN");
        if (conf->smtputf8_enable)
            argv_add(ext, "SMTPUTF8");
        argv_add(ext, "CHUNKING");
        for (i = 0; i < ext->argc; i++) {
            char kw[32];

            snprintf(kw, sizeof(kw), "%s", ext->argv[i]);
            kw[strcspn(kw, " =")] = 0;
            if (session_discarded(state, kw)) {
                mem_free(ext->argv[i]);
                memmove(ext->argv + i, ext->argv + i + 1, (ext->argc - i) * sizeof(char *));
                ext->argc--;
                i--;
            }
        }
        if (ext->argc == 0) {
            session_reply(state, "250 %s", conf->myhostname);
        } else {
            session_reply(state, "250-%s", conf->myhostname);
            for (i = 0; i < ext->argc; i++)
                session_reply(state, "250%c%s", i + 1 == ext->argc ? ' ' : '-', ext->argv[i]);
        }
        argv_free(ext);
        vstr_free(kwbuf);
    }
    return SESSION_GO_ON;
}

/* ---- MAIL / RCPT ---- */

/* Postfix's warning for an address that does not parse (fail2ban reads it). */
static void session_bad_address(const SMTPD_STATE *state, const char *cmd, const char *path)
{
    char shown[104];
    size_t n = strcspn(path, " ");

    snprintf(shown, sizeof(shown), "%.*s", (int) (n > 100 ? 100 : n), path);
    str_printable(shown, 0);
    msg_warn("Illegal address syntax from %s in %s command: %s", state->namaddr, cmd, shown);
}

/* The extensions smtpd_discard_ehlo_keywords (or smtputf8_enable) turn off. */
static int session_disabled_ext(const SMTPD_STATE *state)
{
    int off = 0;

    if (session_discarded(state, "SIZE"))
        off |= SMTPD_EXT_SIZE;
    if (session_discarded(state, "8BITMIME"))
        off |= SMTPD_EXT_8BITMIME;
    if (session_discarded(state, "DSN"))
        off |= SMTPD_EXT_DSN;
    if (session_discarded(state, "SMTPUTF8") || !state->conf->smtputf8_enable)
        off |= SMTPD_EXT_SMTPUTF8;
    return off;
}

static int session_has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s > 127)
            return 1;
    return 0;
}

static int cmd_mail(SMTPD_STATE *state, const char *arg)
{
    const SMTPD_CONF *conf = state->conf;
    SMTPD_MAIL_PARAMS p;
    VSTR *addr, *err;
    const char *path, *rest, *why;
    int flags = ADDR_FLAG_SMTPUTF8;

    if (conf->helo_required && state->helo == NULL) {
        session_reply(state, "503 5.5.1 Error: send HELO/EHLO first");
        return SESSION_GO_ON;
    }
    if (state->sender) {
        session_reply(state, "503 5.5.1 Error: nested MAIL command");
        return SESSION_GO_ON;
    }
    if ((path = smtpd_cmd_keyword(arg, "FROM")) == NULL) {
        session_reply(state, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return SESSION_GO_ON;
    }
    if (smtpd_anvil_mail(state) < 0) /* 450 sent: over the message rate */
        return SESSION_GO_ON;
    if (conf->strict_rfc821)
        flags |= ADDR_FLAG_STRICT;
    addr = vstr_new(64);
    err = vstr_new(64);
    p.envid = vstr_new(0);
    p.auth = vstr_new(0);
    p.disabled = session_disabled_ext(state);
    if (addr_parse_path(path, flags, addr, &rest, &why) < 0 || (*rest && *rest != ' ')) {
        session_bad_address(state, "MAIL", path);
        session_reply(state, "501 5.1.7 Bad sender address syntax");
        goto done;
    }
    state->footer_sender = vstr_str(addr);
    if (smtpd_cmd_mail_params(rest, &p, err) < 0) {
        session_reply(state, "%s", vstr_str(err));
        goto done;
    }
    if (!p.smtputf8 && session_has_8bit(vstr_str(addr))) {
        session_reply(state, "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        goto done;
    }
    if (conf->message_size_limit > 0 && p.size > conf->message_size_limit) {
        session_reply(state, "552 5.3.4 Message size exceeds fixed limit");
        goto done;
    }
    if (smtpd_check_mail(state, vstr_str(addr), err) == SMTPD_CHECK_REJECT) {
        smtpd_log_action(state, "reject", "MAIL", vstr_str(err), vstr_str(addr), NULL);
        session_reply(state, "%s", vstr_str(err));
        goto done;
    }
    if (conf->milter_action == SMTPD_MILTER_TEMPFAIL || conf->milter_action == SMTPD_MILTER_REJECT) {
        const char *r = conf->milter_action == SMTPD_MILTER_TEMPFAIL
                            ? "451 4.7.1 Service unavailable - try again later"
                            : "550 5.7.1 Command rejected";

        smtpd_log_action(state, "milter-reject", "MAIL", r, vstr_str(addr), NULL);
        session_reply(state, "%s", r);
        goto done;
    }
    state->sender = mem_strdup(vstr_str(addr));
    if (conf->milter_action == SMTPD_MILTER_QUARANTINE)
        state->hold = 1;
    state->body_8bit = p.body_8bit;
    state->smtputf8 = p.smtputf8;
    state->ret_flags = p.ret;
    state->declared_size = p.size;
    if (vstr_len(p.envid))
        state->envid = mem_strdup(vstr_str(p.envid));
    /* RFC 4954 section 5: an AUTH= mailbox from a client that has not
     * authenticated is not believed; it counts as AUTH=<>. */
    if (vstr_len(p.auth) && state->sasl_username)
        state->sasl_sender = str_printable(mem_strdup(vstr_str(p.auth)), 0);
    if (state->smtputf8 && state->esmtp)
        state->protocol = "UTF8SMTP";
    session_reply(state, "250 2.1.0 Ok");
done:
    state->footer_sender = NULL;
    vstr_free(addr);
    vstr_free(err);
    vstr_free(p.envid);
    vstr_free(p.auth);
    return SESSION_GO_ON;
}

static int cmd_rcpt(SMTPD_STATE *state, const char *arg)
{
    const SMTPD_CONF *conf = state->conf;
    SMTPD_RCPT_PARAMS p;
    VSTR *addr, *err;
    const char *path, *rest, *why;
    int flags = ADDR_FLAG_SMTPUTF8;
    char buf[32];

    if (state->sender == NULL) {
        session_reply(state, "503 5.5.1 Error: need MAIL command");
        return SESSION_GO_ON;
    }
    if (state->bdat_active) {
        session_reply(state, "503 5.5.1 Error: RCPT after BDAT");
        return SESSION_GO_ON;
    }
    if ((path = smtpd_cmd_keyword(arg, "TO")) == NULL) {
        session_reply(state, "501 5.5.4 Syntax: RCPT TO:<address>");
        return SESSION_GO_ON;
    }
    if (smtpd_anvil_rcpt(state) < 0) /* 450 sent: over the recipient rate */
        return SESSION_GO_ON;
    if (conf->strict_rfc821)
        flags |= ADDR_FLAG_STRICT;
    addr = vstr_new(64);
    err = vstr_new(64);
    p.orcpt = vstr_new(0);
    p.disabled = session_disabled_ext(state);
    state->rcpt_tried++;
    if (addr_parse_path(path, flags, addr, &rest, &why) < 0 || (*rest && *rest != ' ')
        || vstr_len(addr) == 0) {
        session_bad_address(state, "RCPT", path);
        session_reply(state, "501 5.1.3 Bad recipient address syntax");
        goto done;
    }
    state->footer_rcpt = vstr_str(addr);
    if (smtpd_cmd_rcpt_params(rest, state->smtputf8, &p, err) < 0) {
        session_reply(state, "%s", vstr_str(err));
        goto done;
    }
    if (!state->smtputf8 && session_has_8bit(vstr_str(addr))) {
        session_reply(state, "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        goto done;
    }
    if (state->rcpt_count >= conf->recipient_limit) {
        session_reply(state, "452 4.5.3 Error: too many recipients");
        goto done;
    }
    if (smtpd_check_rcpt(state, vstr_str(addr), err) == SMTPD_CHECK_REJECT) {
        smtpd_log_action(state, "reject", "RCPT", vstr_str(err), state->sender, vstr_str(addr));
        session_reply(state, "%s", vstr_str(err));
        goto done;
    }
    if (vstr_len(p.orcpt) == 0)
        vstr_sprintf(p.orcpt, "rfc822;%s", vstr_str(addr));
    argv_add(state->rcpts, vstr_str(addr));
    argv_add(state->rcpt_orcpts, vstr_str(p.orcpt));
    snprintf(buf, sizeof(buf), "%d", p.notify);
    argv_add(state->rcpt_notify, buf);
    state->rcpt_count++;
    if (state->cleanup == NULL) {
        if (session_open_cleanup(state) < 0) {
            argv_truncate(state->rcpts, state->rcpts->argc - 1);
            argv_truncate(state->rcpt_orcpts, state->rcpt_orcpts->argc - 1);
            argv_truncate(state->rcpt_notify, state->rcpt_notify->argc - 1);
            state->rcpt_count--;
            session_reply(state, "451 4.3.0 Error: queue file write error");
            goto done;
        }
    } else {
        cleanup_rcpt(state->cleanup, vstr_str(addr), vstr_str(addr), vstr_str(p.orcpt), p.notify);
    }
    session_reply(state, "250 2.1.5 Ok");
done:
    state->footer_rcpt = NULL;
    vstr_free(addr);
    vstr_free(err);
    vstr_free(p.orcpt);
    return SESSION_GO_ON;
}

/* ---- message content ---- */

static void session_line(void *ctx, const char *text, size_t len)
{
    SMTPD_STATE *state = ctx;

    cleanup_line(state->cleanup, text, len);
}

/* The Received: lines about TLS (smtpd_tls_received_header) and AUTH. */
static void session_received_extra(SMTPD_STATE *state, VSTR *line)
{
    VSTR *comment = vstr_new(256);
    const char *p, *nl;

    smtpd_tls_received(state, comment);
    for (p = vstr_str(comment); *p; p = *nl ? nl + 1 : nl) {
        nl = p + strcspn(p, "\n");
        vstr_set(line, p == vstr_str(comment) ? "\t" : "");
        vstr_addmem(line, p, (size_t) (nl - p));
        cleanup_line(state->cleanup, vstr_str(line), vstr_len(line));
    }
    if (state->sasl_username && state->conf->sasl.auth_header) {
        char *user = str_printable(mem_strdup(state->sasl_username), 0);

        vstr_set(line, "\t(Authenticated sender: ");
        vstr_adds(line, user);
        vstr_addch(line, ')');
        mem_free(user);
        cleanup_line(state->cleanup, vstr_str(line), vstr_len(line));
    }
    vstr_free(comment);
}

static void session_received(SMTPD_STATE *state)
{
    const SMTPD_CONF *conf = state->conf;
    VSTR *line = vstr_new(256), *quoted;
    char date[128];
    struct tm tm;
    time_t now = time(NULL);
    size_t i;
    const char *lit = state->family == AF_INET6 ? "IPv6:" : "";

    if (state->prepend)
        for (i = 0; i < state->prepend->argc; i++)
            cleanup_line(state->cleanup, state->prepend->argv[i], strlen(state->prepend->argv[i]));
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
    /* Without HELO, Postfix puts the client name where the HELO name goes. */
    vstr_sprintf(line, "Received: from %s (%s [%s%s])", state->helo ? state->helo : state->name,
                 state->name, lit, state->addr);
    cleanup_line(state->cleanup, vstr_str(line), vstr_len(line));
    session_received_extra(state, line);
    vstr_sprintf(line, "\tby %s (%s) with %s%s%s id %s", conf->myhostname, conf->mail_name,
                 state->protocol ? state->protocol : "SMTP", state->tls ? "S" : "",
                 state->sasl_username ? "A" : "", state->queue_id);
    if (state->rcpt_count == 1) {
        cleanup_line(state->cleanup, vstr_str(line), vstr_len(line));
        quoted = vstr_new(64);
        addr_quote(quoted, state->rcpts->argv[0]);
        vstr_sprintf(line, "\tfor <%s>; %s", vstr_str(quoted), date);
        vstr_free(quoted);
    } else {
        vstr_adds(line, ";");
        cleanup_line(state->cleanup, vstr_str(line), vstr_len(line));
        vstr_sprintf(line, "\t%s", date);
    }
    cleanup_line(state->cleanup, vstr_str(line), vstr_len(line));
    vstr_free(line);
}

/* Before the content: DATA restrictions, a cleanup re-opened for HOLD/DISCARD. */
static int session_content_begin(SMTPD_STATE *state, const char *stage)
{
    VSTR *reply = vstr_new(0);
    int want;

    if (smtpd_check_data(state, reply) == SMTPD_CHECK_REJECT) {
        smtpd_log_action(state, "reject", stage, vstr_str(reply), state->sender, NULL);
        session_reply(state, "%s", vstr_str(reply));
        vstr_free(reply);
        return -1;
    }
    vstr_free(reply);
    want = (state->hold ? CLEANUP_FLAG_HOLD : 0) | (state->discard ? CLEANUP_FLAG_DISCARD : 0);
    if ((state->cleanup_flags & (CLEANUP_FLAG_HOLD | CLEANUP_FLAG_DISCARD)) != want) {
        /* A later recipient asked for HOLD or DISCARD: cleanup takes flags at the start. */
        cleanup_close(state->cleanup);
        state->cleanup = NULL;
        if (session_open_cleanup(state) < 0) {
            session_reply(state, "451 4.3.0 Error: queue file write error");
            return -1;
        }
    }
    cleanup_content_begin(state->cleanup);
    session_received(state);
    return 0;
}

/* After the content: the verdict. Replies, and resets the transaction. */
static void session_content_end(SMTPD_STATE *state, SMTPD_DATA *d, const char *stage)
{
    const SMTPD_CONF *conf = state->conf;
    VSTR *reply = vstr_new(0);
    int status;

    state->act_size = d->bytes;
    if (d->too_big) {
        smtpd_log_action(state, "reject", stage, "552 5.3.4 Message size exceeds fixed limit",
                         state->sender, NULL);
        session_reply(state, "552 5.3.4 Error: message file too big");
    } else if (d->bare && conf->bare_newline == SMTPD_BARE_REJECT
               && match_list_host(conf->bare_newline_exclusions, NULL, state->addr) != MATCH_YES) {
        vstr_sprintf(reply, "%d 5.5.2 Error: bare <LF> received", conf->bare_newline_code);
        smtpd_log_action(state, "reject", stage, vstr_str(reply), state->sender, NULL);
        session_reply(state, "%s", vstr_str(reply));
    } else if (smtpd_check_eod(state, reply) == SMTPD_CHECK_REJECT) {
        smtpd_log_action(state, "reject", stage, vstr_str(reply), state->sender, NULL);
        session_reply(state, "%s", vstr_str(reply));
    } else {
        status = cleanup_finish(state->cleanup, reply);
        if (status == CLEANUP_STAT_OK) {
            session_reply(state, "250 2.0.0 Ok: queued as %s", state->queue_id);
        } else {
            VSTR *text = vstr_new(0);

            cleanup_stat_reply(status, vstr_str(reply), text);
            msg_info("%s: reject: %s from %s: %s; from=<%s> proto=%s helo=<%s>", state->queue_id,
                     stage, state->namaddr, vstr_str(text), state->sender,
                     state->protocol ? state->protocol : "SMTP", state->helo ? state->helo : "");
            session_reply(state, "%s", vstr_str(text));
            vstr_free(text);
        }
    }
    vstr_free(reply);
    session_reset(state);
}

typedef struct DEADLINE_CTX {
    const SMTPD_CONF *conf;
    struct timeval start;
} DEADLINE_CTX;

/* DATA may take smtpd_timeout plus the time smtpd_min_data_rate allows. */
static int session_deadline(void *ctx, long long bytes)
{
    DEADLINE_CTX *dl = ctx;
    struct timeval now;
    long long allowed_ms, used_ms;

    gettimeofday(&now, NULL);
    allowed_ms = (long long) dl->conf->timeout * 1000;
    if (dl->conf->min_data_rate > 0)
        allowed_ms += bytes * 1000 / dl->conf->min_data_rate;
    if (!dl->conf->per_request_deadline)
        return dl->conf->timeout * 1000;
    used_ms = (long long) (now.tv_sec - dl->start.tv_sec) * 1000
              + (now.tv_usec - dl->start.tv_usec) / 1000;
    if (used_ms >= allowed_ms)
        return -1;
    if (allowed_ms - used_ms > 24LL * 3600 * 1000)
        return 24 * 3600 * 1000;
    return (int) (allowed_ms - used_ms);
}

static int session_lost(SMTPD_STATE *state, const char *stage, long long bytes)
{
    if (stream_error(state->client) == STREAM_ERR_TIMEOUT) {
        msg_info("timeout after %s (%lld bytes) from %s", stage, bytes, state->namaddr);
        session_reply(state, "421 4.4.2 %s Error: timeout exceeded", state->conf->myhostname);
        session_flush(state);
    } else {
        msg_info("lost connection after %s (%lld bytes) from %s", stage, bytes, state->namaddr);
    }
    return SESSION_END;
}

static int cmd_data(SMTPD_STATE *state, const char *arg)
{
    const SMTPD_CONF *conf = state->conf;
    SMTPD_DATA *d;
    DEADLINE_CTX dl;
    int got;

    if (*arg) {
        session_reply(state, "501 5.5.4 Syntax: DATA");
        return SESSION_GO_ON;
    }
    if (state->bdat_active) {
        session_reply(state, "503 5.5.1 Error: DATA after BDAT");
        return SESSION_GO_ON;
    }
    if (state->sender == NULL) {
        session_reply(state, "503 5.5.1 Error: need RCPT command");
        return SESSION_GO_ON;
    }
    if (state->rcpt_count == 0) {
        session_reply(state, "554 5.5.1 Error: no valid recipients");
        return SESSION_GO_ON;
    }
    if (session_content_begin(state, "DATA") < 0)
        return SESSION_GO_ON;
    session_reply(state, "354 End data with <CR><LF>.<CR><LF>");
    session_flush(state);
    d = smtpd_data_new(SMTPD_DATA_DOT, conf->message_size_limit, conf->bare_newline,
                       session_line, state);
    dl.conf = conf;
    gettimeofday(&dl.start, NULL);
    got = smtpd_data_read_dot(d, state->client, session_deadline, &dl);
    if (!got) {
        long long bytes = d->bytes;

        smtpd_data_free(d);
        session_reset(state);
        return session_lost(state, "DATA", bytes);
    }
    session_content_end(state, d, "END-OF-MESSAGE");
    smtpd_data_free(d);
    return SESSION_GO_ON;
}

/* Read (and feed or drop) count bytes of a BDAT chunk. 0 ok, -1 lost. */
static int session_bdat_read(SMTPD_STATE *state, long long count, SMTPD_DATA *d)
{
    char buf[STREAM_BUFSIZE];
    DEADLINE_CTX dl;
    long long done = 0;

    dl.conf = state->conf;
    gettimeofday(&dl.start, NULL);
    while (done < count) {
        size_t want = (size_t) (count - done > (long long) sizeof(buf) ? (long long) sizeof(buf)
                                                                         : count - done);
        int ms = session_deadline(&dl, done);
        ssize_t n;

        if (ms < 0) {
            stream_set_why(state->client, STREAM_ERR_TIMEOUT, "timeout");
            return -1;
        }
        stream_set_limits(state->client, ms, 0);
        stream_read_begin(state->client);
        n = stream_read(state->client, buf, stream_buffered(state->client) > 0
                                                ? (want < stream_buffered(state->client)
                                                       ? want
                                                       : stream_buffered(state->client))
                                                : (want < 4096 ? want : 4096));
        stream_read_end(state->client);
        if (n <= 0)
            return -1;
        if (d)
            smtpd_data_feed(d, buf, (size_t) n);
        done += n;
    }
    return 0;
}

static int cmd_bdat(SMTPD_STATE *state, const char *arg)
{
    const SMTPD_CONF *conf = state->conf;
    char *copy = mem_strdup(arg), *cp = copy, *num, *last, *extra;
    long count;
    int is_last = 0;
    const char *error = NULL;

    if (session_discarded(state, "CHUNKING")) {
        mem_free(copy);
        session_reply(state, "502 5.5.1 Error: command not implemented");
        return SESSION_GO_ON;
    }
    num = str_token(&cp, " ");
    last = str_token(&cp, " ");
    extra = str_token(&cp, " ");
    if (num == NULL || extra != NULL || str_parse_long(num, 0, 0x7fffffffL, &count) < 0
        || (last && strcasecmp(last, "LAST") != 0) || !isdigit((unsigned char) num[0])) {
        mem_free(copy);
        session_reply(state, "501 5.5.4 Syntax: BDAT count [LAST]");
        return SESSION_GO_ON;
    }
    is_last = last != NULL;
    mem_free(copy);
    if (state->sender == NULL)
        error = "503 5.5.1 Error: need MAIL command";
    else if (state->rcpt_count == 0)
        error = "554 5.5.1 Error: no valid recipients";
    else if (state->bdat_error)
        error = "503 5.5.1 Error: BDAT transfer failed";
    if (error == NULL && !state->bdat_active) {
        if (session_content_begin(state, "BDAT") < 0) {
            /* replied already; the chunk is still in the stream: skip it */
            state->bdat_error = 1;
            if (session_bdat_read(state, count, NULL) < 0)
                return session_lost(state, "BDAT", 0);
            if (is_last)
                session_reset(state);
            return SESSION_GO_ON;
        }
        state->bdat_active = 1;
        state->bdat = smtpd_data_new(SMTPD_DATA_RAW, conf->message_size_limit, conf->bare_newline,
                                     session_line, state);
    }
    if (session_bdat_read(state, count, error ? NULL : state->bdat) < 0) {
        long long bytes = state->bdat_bytes;

        session_reset(state);
        return session_lost(state, "BDAT", bytes);
    }
    if (error) {
        session_reply(state, "%s", error);
        if (is_last || state->sender == NULL)
            session_reset(state);
        else
            state->bdat_error = 1;
        return SESSION_GO_ON;
    }
    state->bdat_bytes += count;
    if (!is_last) {
        if (state->bdat->too_big) {
            session_reply(state, "552 5.3.4 Message size exceeds fixed limit");
            state->bdat_error = 1;
            smtpd_data_free(state->bdat);
            state->bdat = NULL;
            return SESSION_GO_ON;
        }
        session_reply(state, "250 2.0.0 Ok: %ld bytes", count);
        return SESSION_GO_ON;
    }
    smtpd_data_finish(state->bdat);
    {
        SMTPD_DATA *d = state->bdat;

        state->bdat = NULL;
        session_content_end(state, d, "END-OF-MESSAGE");
        smtpd_data_free(d);
    }
    return SESSION_GO_ON;
}

/* ---- the rest ---- */

/*
 * XFORWARD (XFORWARD_README): only from smtpd_authorized_xforward_hosts,
 * only outside a transaction; the attributes last until the transaction
 * ends (session_reset).
 */
static int cmd_xforward(SMTPD_STATE *state, const char *arg)
{
    VSTR *reply;

    if (state->sender) {
        session_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
        return SESSION_GO_ON;
    }
    if (*arg == 0) {
        session_reply(state, "501 5.5.4 Syntax: XFORWARD attribute=value...");
        return SESSION_GO_ON;
    }
    if (!state->xforward_ok) {
        session_reply(state, "550 5.7.0 Error: insufficient authorization");
        return SESSION_GO_ON;
    }
    reply = vstr_new(64);
    smtpd_xforward_parse(&state->xforward, arg, state->conf->port_logging, reply);
    session_reply(state, "%s", vstr_str(reply));
    vstr_free(reply);
    return SESSION_GO_ON;
}

static int cmd_vrfy(SMTPD_STATE *state, const char *arg)
{
    VSTR *addr, *reply;
    const char *rest, *why;

    /*
     * With disable_vrfy_command the issue asks for 252 (RFC 5321 3.5.3: the
     * server will not verify, the client may still try RCPT), where Postfix
     * answers 502. Nothing about the address is revealed either way.
     */
    if (state->conf->disable_vrfy) {
        session_reply(state, "252 2.0.0 VRFY is disabled; send RCPT to attempt delivery");
        return SESSION_GO_ON;
    }
    if (*arg == 0) {
        session_reply(state, "501 5.5.4 Syntax: VRFY address");
        return SESSION_GO_ON;
    }
    addr = vstr_new(64);
    reply = vstr_new(64);
    if (addr_parse_path(arg, ADDR_FLAG_SMTPUTF8, addr, &rest, &why) < 0 || vstr_len(addr) == 0) {
        session_bad_address(state, "VRFY", arg);
        session_reply(state, "501 5.1.3 Bad recipient address syntax");
    } else if (smtpd_check_vrfy(state, vstr_str(addr), reply) == SMTPD_CHECK_REJECT) {
        smtpd_log_action(state, "reject", "VRFY", vstr_str(reply), NULL, vstr_str(addr));
        session_reply(state, "%s", vstr_str(reply));
    } else {
        session_reply(state, "252 2.0.0 %s", arg);
    }
    vstr_free(addr);
    vstr_free(reply);
    return SESSION_GO_ON;
}

/*
 * ETRN (RFC 1985): ask the flush service (public/flush, relative to the
 * queue directory we run in) to deliver the mail deferred for a site. Only
 * sites in fast_flush_domains qualify; the flush service says so.
 */
static int cmd_etrn(SMTPD_STATE *state, const char *arg)
{
    const SMTPD_CONF *conf = state->conf;
    VSTR *reply;
    const char *site = arg;
    char shown[104];

    if (conf->helo_required && state->helo == NULL) {
        session_reply(state, "503 5.5.1 Error: send HELO/EHLO first");
        return SESSION_GO_ON;
    }
    if (state->sender) {
        session_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
        return SESSION_GO_ON;
    }
    if (*arg == 0 || strchr(arg, ' ') != NULL) {
        session_reply(state, "500 5.5.2 Syntax: ETRN domain");
        return SESSION_GO_ON;
    }
    /* "ETRN @domain" and "ETRN #queue" name the same site here. */
    if (!isalnum((unsigned char) site[0]))
        site++;
    if (*site == 0 || strlen(site) > SMTPD_HELO_MAX
        || addr_check_domain(site, 0) == ADDR_DOMAIN_INVALID) {
        session_reply(state, "501 5.5.4 Error: invalid parameter syntax");
        return SESSION_GO_ON;
    }
    reply = vstr_new(0);
    if (smtpd_check_etrn(state, site, reply) == SMTPD_CHECK_REJECT) {
        smtpd_log_action(state, "reject", "ETRN", vstr_str(reply), NULL, NULL);
        session_reply(state, "%s", vstr_str(reply));
        vstr_free(reply);
        return SESSION_GO_ON;
    }
    vstr_free(reply);
    snprintf(shown, sizeof(shown), "%s", site);
    str_printable(shown, 0);
    switch (flush_request(".", FLUSH_REQ_SEND_SITE, site, conf->ipc_timeout * 1000)) {
    case FLUSH_STAT_OK:
        session_reply(state, "250 Queuing started");
        break;
    case FLUSH_STAT_DENY:
        msg_warn("reject: ETRN %s... from %s", shown, state->namaddr);
        session_reply(state, "459 4.7.1 <%s>: service unavailable", shown);
        break;
    case FLUSH_STAT_BAD:
        msg_warn("bad ETRN %s... from %s", shown, state->namaddr);
        session_reply(state, "458 4.3.0 Unable to queue messages");
        break;
    default:
        msg_warn("unable to talk to fast flush service");
        session_reply(state, "458 4.3.0 Unable to queue messages");
        break;
    }
    return SESSION_GO_ON;
}

/* ---- STARTTLS and AUTH ---- */

/*
 * Throw away what the client sent after STARTTLS before our 220 (the
 * CVE-2011-0411 class of command injection): what the stream buffered and
 * what waits in the socket. Called before the 220 goes out, so the TLS
 * handshake the client starts after it cannot be among the discarded bytes.
 */
static void session_tls_purge(SMTPD_STATE *state)
{
    char buf[4096];
    VSTR *shown = vstr_new(0);
    size_t n, total = 0;
    ssize_t drained;

    while ((n = stream_buffered(state->client)) > 0) {
        if (n > sizeof(buf))
            n = sizeof(buf);
        if (stream_read(state->client, buf, n) != (ssize_t) n)
            break;
        if (vstr_len(shown) < 100)
            vstr_addmem(shown, buf, n > 100 - vstr_len(shown) ? 100 - vstr_len(shown) : n);
        total += n;
    }
    if (tls_fd_pending(stream_fd(state->client)) > 0
        && (drained = tls_fd_drain(stream_fd(state->client))) > 0)
        total += (size_t) drained;
    if (total > 0) {
        str_printable(vstr_str(shown), 0);
        msg_info("improper command pipelining after STARTTLS from %s: %s (%zu bytes discarded)",
                 state->namaddr, vstr_str(shown), total);
    }
    vstr_free(shown);
}

/*
 * After the 220 and before the handshake: a client's first bytes must start
 * a TLS record. Plain text there (an injected or impatient command that
 * reached the socket after session_tls_purge() looked) is discarded and
 * logged, and the session ends: it would only break the handshake. Waits at
 * most smtpd_starttls_timeout. 0 go on, -1 the session is over (logged).
 */
static int session_tls_peek(SMTPD_STATE *state)
{
    int fd = stream_fd(state->client);
    struct pollfd pfd;
    unsigned char buf[101];
    ssize_t n, drained;
    int r;

    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    while ((r = poll(&pfd, 1, state->conf->tls.timeout * 1000)) < 0 && errno == EINTR)
        continue;
    if (r == 0) {
        msg_info("timeout after STARTTLS from %s", state->namaddr);
        return -1;
    }
    while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_PEEK)) < 0 && errno == EINTR)
        continue;
    /* EOF and errors are the handshake's to report. TLS records start with
     * a content type byte (22 for a ClientHello), never with text. */
    if (n <= 0 || !((buf[0] >= 0x20 && buf[0] < 0x7f) || buf[0] == '\r' || buf[0] == '\n'))
        return 0;
    buf[n] = 0;
    str_printable((char *) buf, 0);
    drained = tls_fd_drain(fd);
    msg_info("improper command pipelining after STARTTLS from %s: %s (%zd bytes discarded)",
             state->namaddr, (char *) buf, drained > 0 ? drained : n);
    return -1;
}

/* What the client told us before TLS is forgotten (RFC 3207, 4.2). */
static void session_tls_forget(SMTPD_STATE *state)
{
    session_reset(state);
    mem_free(state->helo);
    state->helo = NULL;
    state->esmtp = 0;
    state->protocol = NULL;
    smtpd_sasl_reset(state);
}

static int cmd_starttls(SMTPD_STATE *state, const char *arg)
{
    const SMTPD_TLS_CONF *tc = &state->conf->tls;
    VSTR *why;

    if (state->tls) {
        session_reply(state, "554 5.5.1 Error: TLS already active");
        return SESSION_GO_ON;
    }
    if (tc->level == TLS_LEV_NONE || tc->wrapper) {
        session_reply(state, "502 5.5.1 Error: command not implemented");
        return SESSION_GO_ON;
    }
    if (*arg) {
        session_reply(state, "501 5.5.4 Syntax: STARTTLS");
        return SESSION_GO_ON;
    }
    if (state->sender) {
        session_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
        return SESSION_GO_ON;
    }
    if (!smtpd_tls_available(tc)) {
        session_reply(state, "454 4.7.0 TLS not available due to local problem");
        return SESSION_GO_ON;
    }
    if (smtpd_anvil_newtls_status(state) < 0) /* 454 sent: over the new TLS session rate */
        return SESSION_GO_ON;
    session_tls_purge(state);
    session_reply(state, "220 2.0.0 Ready to start TLS");
    session_flush(state);
    if (stream_error(state->client) != STREAM_ERR_NONE) {
        msg_info("lost connection after STARTTLS from %s", state->namaddr);
        return SESSION_END;
    }
    if (session_tls_peek(state) < 0)
        return SESSION_END;
    why = vstr_new(0);
    if (smtpd_tls_start(state, why) < 0) {
        vstr_free(why);
        msg_info("lost connection after STARTTLS from %s", state->namaddr);
        return SESSION_END;
    }
    vstr_free(why);
    session_tls_forget(state);
    if (smtpd_anvil_newtls(state) < 0) /* 421 sent: over the new TLS session rate */
        return SESSION_END;
    return SESSION_GO_ON;
}

static void session_sasl_reply(SMTPD_STATE *state, const char *text)
{
    session_reply(state, "%s", text);
}

/* One AUTH response line: 1 got, 0 gone (logged), -1 too long (skipped). */
static int session_sasl_read(SMTPD_STATE *state, VSTR *line, size_t max)
{
    const SMTPD_CONF *conf = state->conf;
    int r;

    if (stream_buffered(state->client) == 0)
        session_flush(state);
    vstr_reset(line);
    stream_set_limits(state->client, conf->timeout * 1000, 0);
    stream_read_begin(state->client);
    r = stream_get_until(state->client, '\n', line, max, NULL);
    if (r == STREAM_TOOLONG)
        r = stream_get_until(state->client, '\n', NULL, SMTPD_DISCARD_MAX, NULL) == STREAM_GOT
                ? -1 : STREAM_FAIL;
    stream_read_end(state->client);
    if (r == -1)
        return -1;
    if (r == STREAM_GOT) {
        if (vstr_len(line) && vstr_str(line)[vstr_len(line) - 1] == '\r')
            vstr_truncate(line, vstr_len(line) - 1);
        return 1;
    }
    if (stream_error(state->client) == STREAM_ERR_TIMEOUT) {
        msg_info("timeout after AUTH from %s", state->namaddr);
        session_reply(state, "421 4.4.2 %s Error: timeout exceeded", conf->myhostname);
        session_flush(state);
    } else {
        msg_info("lost connection after AUTH from %s", state->namaddr);
    }
    return 0;
}

static int cmd_auth(SMTPD_STATE *state, const char *arg)
{
    static const SMTPD_SASL_IO io = {session_sasl_reply, session_sasl_read};

    return smtpd_sasl_auth_cmd(state, arg, &io) ? SESSION_END : SESSION_GO_ON;
}

/*
 * Postfix's "improper command pipelining after CMD from CLIENT: TEXT",
 * once per session: the client sent more before our reply where RFC 2920
 * does not allow it (no EHLO yet, or after a command that must end a
 * group: HELO, EHLO, DATA, NOOP, VRFY). TEXT is the start of that input,
 * up to SESSION_PIPELINING_SHOWN bytes, with control and 8-bit bytes
 * escaped as C does: what smtpd has buffered, or else what waits in the
 * socket (peeked, not taken). Under TLS bytes in the socket are records,
 * not text: then TEXT says how many there are.
 */
#define SESSION_PIPELINING_SHOWN 100

static void session_check_pipelining(SMTPD_STATE *state, int verb)
{
    size_t n = stream_buffered(state->client), i;
    const unsigned char *p = (const unsigned char *) stream_peek(state->client);
    unsigned char peeked[SESSION_PIPELINING_SHOWN];
    int fd = stream_fd(state->client);
    struct pollfd pfd;
    ssize_t got = 0;
    VSTR *shown;

    if (state->ill_pipelining || verb == SMTPD_C_UNKNOWN
        || (state->esmtp && verb != SMTPD_C_HELO && verb != SMTPD_C_EHLO && verb != SMTPD_C_DATA
            && verb != SMTPD_C_NOOP && verb != SMTPD_C_VRFY))
        return;
    if (n == 0) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (fd < 0 || poll(&pfd, 1, 0) <= 0 || (pfd.revents & POLLIN) == 0)
            return;
        if (state->tls != NULL)
            got = tls_fd_pending(fd);
        else
            while ((got = recv(fd, peeked, sizeof(peeked), MSG_PEEK | MSG_DONTWAIT)) < 0
                   && errno == EINTR)
                continue;
        if (got <= 0) /* end-of-file or an error, not more input: the next read says */
            return;
        if (state->tls == NULL) {
            p = peeked;
            n = (size_t) got;
        }
    }
    shown = vstr_new(128);
    if (n == 0)
        vstr_printf(shown, "(%zd bytes of TLS records not yet read)", got);
    for (i = 0; i < n && i < SESSION_PIPELINING_SHOWN; i++) {
        static const char esc[] = "\a\b\t\n\v\f\r";
        const char *e = p[i] ? strchr(esc, p[i]) : NULL;

        if (p[i] == '\\')
            vstr_adds(shown, "\\\\");
        else if (p[i] >= 0x20 && p[i] < 0x7f)
            vstr_addch(shown, p[i]);
        else if (e != NULL)
            vstr_printf(shown, "\\%c", "abtnvfr"[e - esc]);
        else
            vstr_printf(shown, "\\%03o", p[i]);
    }
    msg_info("improper command pipelining after %s from %s: %s", state->where, state->namaddr,
             vstr_str(shown));
    vstr_free(shown);
    state->ill_pipelining = 1;
}

/* smtpd_noop_commands names the command word: answer 250, do nothing. */
static int session_noop_command(const SMTPD_STATE *state, const char *line)
{
    size_t n = strcspn(line, " \t"), i;

    for (i = 0; i < state->conf->noop_cmds->argc; i++) {
        const char *w = state->conf->noop_cmds->argv[i];

        if (strlen(w) == n && strncasecmp(w, line, n) == 0)
            return 1;
    }
    return 0;
}

/* The first word looks like a message header name ("Subject:"). */
static int session_header_like(const char *line)
{
    const char *cp;

    for (cp = line; *cp && *cp != ' ' && *cp != '\t'; cp++) {
        if (*cp == ':')
            return cp > line;
        if ((unsigned char) *cp < 33 || (unsigned char) *cp > 126)
            return 0;
    }
    return 0;
}

/*
 * An unknown command whose word is in smtpd_forbidden_commands (Postfix
 * 3.7's default: CONNECT GET POST and, by an inline regexp, a word that
 * does not start with a letter) or that looks like a message header: HTTP
 * and message text sent as commands end the session. A list that cannot be
 * evaluated (a broken table) is logged and forbids nothing.
 */
static int session_forbidden(const SMTPD_STATE *state, const char *line)
{
    size_t n = strcspn(line, " \t");
    const char *arg;
    char *word;
    int r;

    if (smtpd_cmd_verb(line, &arg) != SMTPD_C_UNKNOWN)
        return 0;
    if (session_header_like(line))
        return 1;
    word = mem_strndup(line, n);
    r = match_list_string(state->conf->forbidden_cmds, word);
    mem_free(word);
    if (r == MATCH_ERROR) {
        msg_warn("smtpd_forbidden_commands: %s", match_list_error(state->conf->forbidden_cmds));
        return 0;
    }
    return r == MATCH_YES;
}

static int session_command(SMTPD_STATE *state, VSTR *buf)
{
    const char *line = vstr_str(buf), *arg, *why;
    size_t len = vstr_len(buf), lead = strspn(line, " \t");
    int verb, r = SESSION_GO_ON;

    /* Postfix reads the command word after leading white space. */
    if (line[lead] == 0) {
        state->cmd_total[SMTPD_C_UNKNOWN]++;
        session_reply(state, "500 5.5.2 Error: bad syntax");
        return SESSION_GO_ON;
    }
    line += lead;
    len -= lead;
    if (session_noop_command(state, line)) {
        session_reply(state, "250 2.0.0 Ok");
        if (++state->junk_count > state->conf->junk_command_limit)
            state->error_count++;
        return SESSION_GO_ON;
    }
    if (session_forbidden(state, line)) {
        VSTR *shown = vstr_new(0);

        vstr_addmem(shown, line, len > 100 ? 100 : len);
        str_printable(vstr_str(shown), 0);
        msg_warn("non-SMTP command from %s: %s", state->namaddr, vstr_str(shown));
        vstr_free(shown);
        session_reply(state, "221 2.7.0 Error: I can break rules, too. Goodbye.");
        state->cmd_total[SMTPD_C_UNKNOWN]++;
        return SESSION_END;
    }
    if (smtpd_cmd_check(line, len, &why) < 0) {
        verb = smtpd_cmd_verb(line, &arg);
        state->cmd_total[verb]++;
        session_reply(state, "500 5.5.2 Error: bad syntax");
        return SESSION_GO_ON;
    }
    verb = smtpd_cmd_verb(line, &arg);
    state->cmd_total[verb]++;
    state->last_code = 0;
    if (verb != SMTPD_C_UNKNOWN) {
        static const char *const upper[SMTPD_C_COUNT] = {
            "HELO", "EHLO", "XFORWARD", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT",
            "RSET", "NOOP", "VRFY", "ETRN", "QUIT", "HELP", "UNKNOWN"};

        state->where = upper[verb];
    } else {
        state->where = "UNKNOWN";
    }
    /* smtpd_client_restrictions refused the client at connect (no
     * smtpd_delay_reject): it may only leave (RFC 5321 3.1). */
    if (state->client_reject && verb != SMTPD_C_QUIT) {
        session_reply(state, "503 5.7.0 Error: access denied for %s", state->namaddr);
        return SESSION_GO_ON;
    }
    if (state->bdat_active && verb != SMTPD_C_BDAT && verb != SMTPD_C_QUIT
        && verb != SMTPD_C_RSET && verb != SMTPD_C_NOOP) {
        session_reply(state, "503 5.5.1 Error: %s after BDAT", state->where);
        return SESSION_GO_ON;
    }
    if (state->conf->tls.level >= TLS_LEV_ENCRYPT && state->tls == NULL
        && (verb == SMTPD_C_MAIL || verb == SMTPD_C_VRFY || verb == SMTPD_C_ETRN)) {
        session_reply(state, "530 5.7.0 Must issue a STARTTLS command first");
        return SESSION_GO_ON;
    }
    session_check_pipelining(state, verb);
    /* NOOP, VRFY, ETRN, RSET beyond smtpd_junk_command_limit count as errors. */
    if ((verb == SMTPD_C_NOOP || verb == SMTPD_C_VRFY || verb == SMTPD_C_ETRN
         || verb == SMTPD_C_RSET || verb == SMTPD_C_XFORWARD)
        && ++state->junk_count > state->conf->junk_command_limit)
        state->error_count++;
    switch (verb) {
    case SMTPD_C_HELO:
        r = cmd_helo(state, arg, 0);
        break;
    case SMTPD_C_EHLO:
        r = cmd_helo(state, arg, 1);
        break;
    case SMTPD_C_XFORWARD:
        r = cmd_xforward(state, arg);
        break;
    case SMTPD_C_MAIL:
        r = cmd_mail(state, arg);
        break;
    case SMTPD_C_RCPT:
        r = cmd_rcpt(state, arg);
        break;
    case SMTPD_C_DATA:
        r = cmd_data(state, arg);
        break;
    case SMTPD_C_BDAT:
        r = cmd_bdat(state, arg);
        break;
    case SMTPD_C_RSET:
        if (*arg) {
            session_reply(state, "501 5.5.4 Syntax: RSET");
        } else {
            session_reset(state);
            session_reply(state, "250 2.0.0 Ok");
        }
        break;
    case SMTPD_C_NOOP:
        session_reply(state, "250 2.0.0 Ok");
        break;
    case SMTPD_C_VRFY:
        r = cmd_vrfy(state, arg);
        break;
    case SMTPD_C_ETRN:
        r = cmd_etrn(state, arg);
        break;
    case SMTPD_C_QUIT:
        session_reply(state, "221 2.0.0 Bye");
        r = SESSION_END;
        break;
    case SMTPD_C_HELP:
        session_reply(state, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP VRFY "
                             "ETRN QUIT HELP");
        break;
    case SMTPD_C_STARTTLS:
        r = cmd_starttls(state, arg);
        break;
    case SMTPD_C_AUTH:
        r = cmd_auth(state, arg);
        break;
    default:
        session_reply(state, "502 5.5.2 Error: command not recognized");
        break;
    }
    if (state->last_code > 0 && state->last_code < 400)
        state->cmd_ok[verb]++;
    return r;
}

/* Wrapper mode (port 465): TLS before the banner. 0 ok, -1 the session is over. */
static int session_wrapper_start(SMTPD_STATE *state)
{
    VSTR *why;
    int r;

    if (!smtpd_tls_available(&state->conf->tls)) {
        msg_warn("TLS is not available in wrapper mode (smtpd_tls_wrappermode); "
                 "dropping %s", state->namaddr);
        return -1;
    }
    if (smtpd_anvil_newtls_status(state) < 0) /* over the new TLS session rate: drop */
        return -1;
    why = vstr_new(0);
    r = smtpd_tls_start(state, why);
    vstr_free(why);
    if (r < 0)
        msg_info("lost connection after CONNECT from %s", state->namaddr);
    else if (smtpd_anvil_newtls(state) < 0) /* 421 sent: over the new TLS session rate */
        r = -1;
    return r;
}

void smtpd_session_run(const SMTPD_CONF *conf, int fd)
{
    SMTPD_STATE state;
    VSTR *buf = vstr_new(512), *reply;
    int r;

    memset(&state, 0, sizeof(state));
    state.conf = conf;
    state.where = "CONNECT";
    state.declared_size = -1;
    state.rcpts = argv_new();
    state.rcpt_orcpts = argv_new();
    state.rcpt_notify = argv_new();
    state.client = stream_open(fd, 0);
    smtpd_peer_init(&state, fd);
    smtpd_xforward_init(&state.xforward);
    msg_info("connect from %s", state.namaddr);
    session_discard_lookup(&state);
    switch (match_list_host(conf->xforward_hosts,
                            strcmp(state.name, "unknown") != 0 ? state.name : NULL, state.addr)) {
    case MATCH_YES:
        state.xforward_ok = 1;
        break;
    case MATCH_ERROR:
        msg_warn("smtpd_authorized_xforward_hosts: %s", match_list_error(conf->xforward_hosts));
        break;
    default:
        break;
    }
    if (conf->tls.wrapper && session_wrapper_start(&state) < 0)
        goto end;
    if (smtpd_anvil_connect(&state) < 0) /* 421 sent: over a client limit */
        goto end;
    if (!conf->delay_reject) {
        reply = vstr_new(0);
        if (smtpd_check_client(&state, reply) == SMTPD_CHECK_REJECT) {
            smtpd_log_action(&state, "reject", "CONNECT", vstr_str(reply), NULL, NULL);
            state.client_reject = mem_strdup(vstr_str(reply));
        }
        vstr_free(reply);
    }
    if (state.client_reject) {
        /* Postfix greets a refused client with the refusal itself. */
        session_reply(&state, "%s", state.client_reject);
    } else {
        session_reply(&state, "220 %s", conf->banner);
    }
    for (;;) {
        if (state.error_count >= conf->hard_error_limit) {
            msg_info("too many errors after %s from %s", state.where, state.namaddr);
            session_reply(&state, "421 4.7.0 %s Error: too many errors", conf->myhostname);
            break;
        }
        r = session_read_command(&state, buf);
        if (r == 0)
            break;
        if (r == 2)
            continue;
        if (session_command(&state, buf) == SESSION_END)
            break;
    }
    session_flush(&state);
end:
    session_reset(&state);
    smtpd_anvil_disconnect(&state);
    smtpd_log_disconnect(&state);
    smtpd_sasl_reset(&state);
    smtpd_tls_stop(&state);
    stream_free(state.client);
    argv_free(state.rcpts);
    argv_free(state.rcpt_orcpts);
    argv_free(state.rcpt_notify);
    mem_free(state.helo);
    mem_free(state.client_reject);
    if (state.discard_ehlo)
        argv_free(state.discard_ehlo);
    vstr_free(buf);
}
