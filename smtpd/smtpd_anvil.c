/*
 * smtpd_anvil - smtpd's side of the client limits (smtpd_anvil.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/anvil_client.h"
#include "../lib/conf.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/tls.h"
#include "../lib/vstr.h"
#include "smtpd_anvil.h"

typedef struct SMTPD_ANVIL {
    ANVIL_CLIENT *client;
    MATCH_LIST *exceptions;
    char *service;          /* master.cf service name: "smtp" */
    long count_limit;       /* smtpd_client_connection_count_limit */
    long conn_rate_limit;   /* smtpd_client_connection_rate_limit */
    long mail_rate_limit;   /* smtpd_client_message_rate_limit */
    long rcpt_rate_limit;   /* smtpd_client_recipient_rate_limit */
    long auth_rate_limit;   /* smtpd_client_auth_rate_limit */
    long tls_rate_limit;    /* smtpd_client_new_tls_session_rate_limit */
} SMTPD_ANVIL;

struct SMTPD_ANVIL *smtpd_anvil_create(MATCH_LIST *exceptions, int timeout_ms)
{
    SMTPD_ANVIL *a = mem_calloc(1, sizeof(*a));
    const char *service = conf_get("service_name");

    a->count_limit = conf_get_int("smtpd_client_connection_count_limit");
    a->conn_rate_limit = conf_get_int("smtpd_client_connection_rate_limit");
    a->mail_rate_limit = conf_get_int("smtpd_client_message_rate_limit");
    a->rcpt_rate_limit = conf_get_int("smtpd_client_recipient_rate_limit");
    a->auth_rate_limit = conf_get_int("smtpd_client_auth_rate_limit");
    a->tls_rate_limit = conf_get_int("smtpd_client_new_tls_session_rate_limit");
    if (a->count_limit <= 0 && a->conn_rate_limit <= 0 && a->mail_rate_limit <= 0
        && a->rcpt_rate_limit <= 0 && a->auth_rate_limit <= 0
        && a->tls_rate_limit <= 0) {
        if (exceptions)
            match_list_free(exceptions);
        mem_free(a);
        return NULL;
    }
    a->exceptions = exceptions;
    a->service = mem_strdup(service && *service ? service : "smtp");
    a->client = anvil_client_create("private/anvil", timeout_ms);
    return a;
}

void smtpd_anvil_free(struct SMTPD_ANVIL *a)
{
    if (a == NULL)
        return;
    anvil_client_free(a->client);
    if (a->exceptions)
        match_list_free(a->exceptions);
    mem_free(a->service);
    mem_free(a);
}

/* Is this client counted at all? */
static int smtpd_anvil_applies(const SMTPD_STATE *state, long limit)
{
    const SMTPD_ANVIL *a = state->conf->anvil;

    if (a == NULL || limit <= 0 || state->addr[0] == 0)
        return 0;
    if (a->exceptions == NULL)
        return 1;
    switch (match_list_host(a->exceptions, state->name, state->addr)) {
    case MATCH_YES:
        return 0;
    case MATCH_NO:
        return 1;
    default:
        msg_warn("smtpd_client_event_limit_exceptions: %s", match_list_error(a->exceptions));
        return 0;
    }
}

__attribute__((format(printf, 2, 3)))
static void smtpd_anvil_reply(SMTPD_STATE *state, const char *fmt, ...)
{
    VSTR *line = vstr_new(128);
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(line, fmt, ap);
    va_end(ap);
    state->last_code = atoi(vstr_str(line));
    state->error_count++;
    vstr_adds(line, "\r\n");
    stream_write_begin(state->client);
    stream_write(state->client, vstr_str(line), vstr_len(line));
    stream_write_end(state->client);
    stream_flush(state->client);
    vstr_free(line);
}

/* One rate question: the rate, or -1 when anvil could not say. */
static int smtpd_anvil_rate(SMTPD_STATE *state, const char *request)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int count, rate;

    if (anvil_client_request(a->client, request, a->service, state->addr, &count, &rate)
        != ANVIL_STAT_OK)
        return -1;
    return rate;
}

int smtpd_anvil_connect(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int count, rate;

    /* every counted client is registered, whichever limits are set */
    if (!smtpd_anvil_applies(state, a ? 1 : 0))
        return 0;
    if (anvil_client_request(a->client, ANVIL_REQ_CONNECT, a->service, state->addr,
                             &count, &rate) != ANVIL_STAT_OK)
        return 0;
    state->anvil_connected = 1;
    if (a->count_limit > 0 && count > a->count_limit) {
        smtpd_anvil_reply(state, "421 4.7.0 %s Error: too many connections from %s",
                          state->conf->myhostname, state->addr);
        msg_warn("Connection concurrency limit exceeded: %d from %s for service %s",
                 count, state->namaddr, a->service);
        return -1;
    }
    if (a->conn_rate_limit > 0 && rate > a->conn_rate_limit) {
        smtpd_anvil_reply(state, "421 4.7.0 %s Error: too many connections from %s",
                          state->conf->myhostname, state->addr);
        msg_warn("Connection rate limit exceeded: %d from %s for service %s",
                 rate, state->namaddr, a->service);
        return -1;
    }
    return 0;
}

int smtpd_anvil_mail(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int rate;

    if (!smtpd_anvil_applies(state, a ? a->mail_rate_limit : 0)
        || (rate = smtpd_anvil_rate(state, ANVIL_REQ_MESSAGE)) <= a->mail_rate_limit)
        return 0;
    msg_warn("Message delivery request rate limit exceeded: %d from %s for service %s",
             rate, state->namaddr, a->service);
    smtpd_anvil_reply(state, "450 4.7.1 Error: too much mail from %s", state->addr);
    return -1;
}

int smtpd_anvil_rcpt(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int rate;

    if (!smtpd_anvil_applies(state, a ? a->rcpt_rate_limit : 0)
        || (rate = smtpd_anvil_rate(state, ANVIL_REQ_RECIPIENT)) <= a->rcpt_rate_limit)
        return 0;
    msg_warn("Recipient address rate limit exceeded: %d from %s for service %s",
             rate, state->namaddr, a->service);
    smtpd_anvil_reply(state, "450 4.7.1 Error: too many recipients from %s", state->addr);
    return -1;
}

int smtpd_anvil_auth(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int rate;

    if (!smtpd_anvil_applies(state, a ? a->auth_rate_limit : 0)
        || (rate = smtpd_anvil_rate(state, ANVIL_REQ_AUTH)) <= a->auth_rate_limit)
        return 0;
    msg_warn("AUTH command rate limit exceeded: %d from %s for service %s",
             rate, state->namaddr, a->service);
    smtpd_anvil_reply(state, "450 4.7.1 Error: too many AUTH commands from %s", state->addr);
    return -1;
}

int smtpd_anvil_newtls(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    const TLS_INFO *ti = state->tls ? tls_info(state->tls) : NULL;
    int rate;

    if (ti == NULL || ti->reused || !smtpd_anvil_applies(state, a ? a->tls_rate_limit : 0)
        || (rate = smtpd_anvil_rate(state, ANVIL_REQ_NEWTLS)) <= a->tls_rate_limit)
        return 0;
    msg_warn("New TLS session rate limit exceeded: %d from %s for service %s",
             rate, state->namaddr, a->service);
    smtpd_anvil_reply(state, "421 4.7.0 %s Error: too many new TLS sessions from %s",
                      state->conf->myhostname, state->namaddr);
    return -1;
}

int smtpd_anvil_newtls_status(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int rate;

    if (!smtpd_anvil_applies(state, a ? a->tls_rate_limit : 0)
        || (rate = smtpd_anvil_rate(state, ANVIL_REQ_NEWTLS_STATUS)) <= a->tls_rate_limit)
        return 0;
    if (state->conf->tls.wrapper) {
        msg_warn("Refusing TLS service request from %s for service %s", state->namaddr,
                 a->service);
    } else {
        msg_warn("Refusing STARTTLS request from %s for service %s", state->namaddr, a->service);
        smtpd_anvil_reply(state, "454 4.7.0 Error: too many new TLS sessions from %s",
                          state->namaddr);
    }
    return -1;
}

void smtpd_anvil_disconnect(SMTPD_STATE *state)
{
    const SMTPD_ANVIL *a = state->conf->anvil;
    int count, rate;

    if (a == NULL || !state->anvil_connected)
        return;
    state->anvil_connected = 0;
    (void) anvil_client_request(a->client, ANVIL_REQ_DISCONNECT, a->service, state->addr,
                                &count, &rate);
}
