/*
 * smtpd_sasl - SMTP AUTH in the SMTP server (see smtpd_sasl.h).
 */
#include <string.h>
#include <strings.h>

#include "../lib/conf.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/net/sasl_server.h"
#include "../lib/net/tls.h"
#include "../lib/strutil.h"
#include "smtpd.h"
#include "smtpd_anvil.h"
#include "smtpd_sasl.h"

#define SMTPD_SASL_MECH_MAX 64      /* a mechanism name we pass on */

void smtpd_sasl_conf_load(SMTPD_SASL_CONF *c)
{
    SASL_SRV_PARAMS p;
    VSTR *why;

    memset(c, 0, sizeof(*c));
    c->enable = conf_get_bool("smtpd_sasl_auth_enable");
    c->broken_clients = conf_get_bool("broken_sasl_auth_clients");
    c->auth_header = conf_get_bool("smtpd_sasl_authenticated_header");
    sasl_srv_params_conf(&p);
    c->response_limit = p.response_limit ? p.response_limit : 12288;
    if (!c->enable)
        return;
    why = vstr_new(0);
    c->srv = sasl_srv_open(&p, why);
    if (c->srv == NULL)
        msg_fatal("SASL per-process initialization failed: %s", vstr_str(why));
    vstr_free(why);
}

void smtpd_sasl_conf_free(SMTPD_SASL_CONF *c)
{
    if (c->srv)
        sasl_srv_close(c->srv);
    argv_free(c->login_maps);
    match_list_free(c->exceptions);
    memset(c, 0, sizeof(*c));
}

void smtpd_sasl_reset(SMTPD_STATE *state)
{
    if (state->sasl) {
        sasl_srv_sess_free(state->sasl);
        state->sasl = NULL;
    }
    mem_free(state->sasl_username);
    mem_free(state->sasl_method);
    state->sasl_username = state->sasl_method = NULL;
}

/* AUTH may be offered and used now. */
static int smtpd_sasl_allowed(const SMTPD_STATE *state)
{
    const SMTPD_CONF *conf = state->conf;

    return conf->sasl.enable && conf->sasl.srv && (state->tls || !conf->tls.auth_only);
}

/* The session's SASL state, made when first needed (Dovecot: a request). */
static SASL_SRV_SESS *smtpd_sasl_session(SMTPD_STATE *state, VSTR *why)
{
    SASL_SRV_CONN conn;

    if (state->sasl)
        return state->sasl;
    memset(&conn, 0, sizeof(conn));
    conn.server_name = state->conf->myhostname;
    conn.client_addr = state->addr;
    conn.client_port = state->port;
    conn.server_addr = state->server_addr;
    conn.server_port = state->server_port;
    conn.tls_active = state->tls != NULL;
    conn.tls_verified = state->tls != NULL && tls_info(state->tls)->status >= TLS_PEER_TRUSTED;
    state->sasl = sasl_srv_sess_new(state->conf->sasl.srv, &conn, why);
    return state->sasl;
}

/* smtpd_sasl_exceptions_networks lists this client: AUTH is not announced. */
static int smtpd_sasl_excepted(const SMTPD_STATE *state)
{
    MATCH_LIST *list = state->conf->sasl.exceptions;
    int r;

    if (list == NULL)
        return 0;
    r = match_list_host(list, state->name, state->addr);
    if (r == MATCH_ERROR) {
        msg_warn("smtpd_sasl_exceptions_networks: %s: %s; offering AUTH", state->namaddr,
                 match_list_error(list));
        return 0;
    }
    return r == MATCH_YES;
}

const char *smtpd_sasl_mechs(SMTPD_STATE *state)
{
    VSTR *why;
    const char *mechs;

    if (!smtpd_sasl_allowed(state) || smtpd_sasl_excepted(state))
        return NULL;
    why = vstr_new(0);
    if (smtpd_sasl_session(state, why) == NULL) {
        msg_warn("SASL authentication not available for %s: %s", state->namaddr, vstr_str(why));
        vstr_free(why);
        return NULL;
    }
    vstr_free(why);
    mechs = sasl_srv_sess_mechs(state->sasl);
    return *mechs ? mechs : NULL;
}

static void smtpd_sasl_say(SMTPD_STATE *state, const SMTPD_SASL_IO *io, int r, VSTR *out)
{
    VSTR *reply = vstr_new(64);

    sasl_srv_reply(state->sasl, r, out, reply);
    io->reply(state, vstr_str(reply));
    vstr_free(reply);
}

int smtpd_sasl_auth_cmd(SMTPD_STATE *state, const char *arg, const SMTPD_SASL_IO *io)
{
    const SMTPD_CONF *conf = state->conf;
    char mech[SMTPD_SASL_MECH_MAX + 1];
    const char *initial;
    size_t mlen;
    VSTR *out, *line;
    int r, got;

    if (!conf->sasl.enable || conf->sasl.srv == NULL) {
        io->reply(state, "503 5.5.1 Error: authentication not enabled");
        return 0;
    }
    if (conf->tls.level >= TLS_LEV_ENCRYPT && state->tls == NULL) {
        io->reply(state, "530 5.7.0 Must issue a STARTTLS command first");
        return 0;
    }
    if (state->helo == NULL) {
        io->reply(state, "503 5.5.1 Error: send HELO/EHLO first");
        return 0;
    }
    if (!smtpd_sasl_allowed(state)) {
        io->reply(state, "538 5.7.11 Encryption required for requested authentication mechanism");
        return 0;
    }
    if (state->sender) {
        io->reply(state, "503 5.5.1 Error: MAIL transaction in progress");
        return 0;
    }
    if (state->sasl_username) {
        io->reply(state, "503 5.5.1 Error: already authenticated");
        return 0;
    }
    while (*arg == ' ')
        arg++;
    mlen = strcspn(arg, " ");
    if (mlen == 0) {
        io->reply(state, "501 5.5.4 Syntax: AUTH mechanism");
        return 0;
    }
    if (smtpd_anvil_auth(state) < 0) /* 450 sent: over the AUTH rate */
        return 0;
    if (mlen > SMTPD_SASL_MECH_MAX) {
        io->reply(state, "504 5.5.4 Unsupported authentication mechanism");
        return 0;
    }
    memcpy(mech, arg, mlen);
    mech[mlen] = 0;
    initial = arg + mlen;
    while (*initial == ' ')
        initial++;
    out = vstr_new(64);
    if (smtpd_sasl_session(state, out) == NULL) {
        msg_warn("SASL authentication not available for %s: %s", state->namaddr, vstr_str(out));
        io->reply(state, "454 4.7.0 Temporary authentication failure");
        vstr_free(out);
        return 0;
    }
    r = sasl_srv_sess_start(state->sasl, mech, *initial ? initial : NULL, out);
    line = vstr_new(128);
    while (r == SASL_SRV_MORE) {
        smtpd_sasl_say(state, io, r, out);
        got = io->read(state, line, conf->sasl.response_limit + 1);
        if (got == 0) {
            vstr_free(out);
            vstr_free(line);
            return 1;
        }
        if (got < 0) {
            io->reply(state, "500 5.5.6 Authentication exchange line is too long");
            vstr_free(out);
            vstr_free(line);
            return 0;
        }
        r = sasl_srv_sess_step(state->sasl, vstr_str(line), out);
    }
    vstr_free(line);
    if (r == SASL_SRV_FAIL)
        sasl_srv_sess_warn_failed(state->sasl, state->name, state->addr);
    if (r == SASL_SRV_DONE) {
        const char *user = sasl_srv_sess_user(state->sasl);
        const char *method = sasl_srv_sess_mech(state->sasl);

        /* Logged, matched and put in headers: one printable line. */
        state->sasl_username = str_printable(mem_strdup(user ? user : ""), 0);
        state->sasl_method = str_printable(mem_strdup(method ? method : ""), 0);
    }
    smtpd_sasl_say(state, io, r, out);
    vstr_free(out);
    return 0;
}
