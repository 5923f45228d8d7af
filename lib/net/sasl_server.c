/*
 * sasl_server - the SMTP AUTH server API over the Cyrus and Dovecot
 * back-ends (see the header).
 */
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "sasl_cyrus.h"
#include "sasl_dovecot.h"
#include "sasl_server.h"
#include "sasl_util.h"
#include "strutil.h"

struct SASL_SRV {
    const SASL_SRV_OPS *ops;
    void *backend;
    char *type;
    char *mechanism_filter;
    unsigned secflags;
    unsigned tls_secflags;
    size_t response_limit;
};

struct SASL_SRV_SESS {
    SASL_SRV *srv;
    void *backend_sess;
    ARGV *mechs;                /* filtered, as announced */
    VSTR *mech_list;            /* the same, space-separated */
    VSTR *decoded;              /* scratch: a decoded response */
    VSTR *raw;                  /* scratch: raw back-end output */
    VSTR *reason;               /* why the last exchange failed */
    char *mech;                 /* the mechanism of the exchange */
    char *user;                 /* set once authenticated */
    int in_exchange;
};

void sasl_srv_params_conf(SASL_SRV_PARAMS *p)
{
    memset(p, 0, sizeof(*p));
    p->type = conf_get("smtpd_sasl_type");
    p->path = conf_get("smtpd_sasl_path");
    p->service = conf_get("smtpd_sasl_service");
    p->config_dir = conf_dir();
    p->cyrus_config_path = conf_get("cyrus_sasl_config_path");
    p->local_domain = conf_get("smtpd_sasl_local_domain");
    p->security_options = conf_get("smtpd_sasl_security_options");
    p->tls_security_options = conf_get("smtpd_sasl_tls_security_options");
    p->mechanism_filter = conf_get("smtpd_sasl_mechanism_filter");
    p->response_limit = (size_t) conf_get_size("smtpd_sasl_response_limit");
    p->timeout = SASL_SRV_DEF_TIMEOUT;
}

SASL_SRV *sasl_srv_open(const SASL_SRV_PARAMS *p, VSTR *why)
{
    SASL_SRV *srv = mem_calloc(1, sizeof(*srv));
    const char *type = p->type ? p->type : "cyrus";

    if (sasl_util_secopts(p->security_options ? p->security_options : "", &srv->secflags, why)
        != 0
        || sasl_util_secopts(p->tls_security_options ? p->tls_security_options : "",
                             &srv->tls_secflags, why)
               != 0) {
        mem_free(srv);
        return NULL;
    }
    srv->response_limit = p->response_limit ? p->response_limit : 12288;
    if (strcmp(type, "cyrus") == 0) {
        srv->ops = &sasl_cyrus_srv_ops;
        srv->backend = sasl_cyrus_srv_open(p, why);
    } else if (strcmp(type, "dovecot") == 0) {
        srv->ops = &sasl_dovecot_srv_ops;
        srv->backend = sasl_dovecot_srv_open(p, why);
    } else {
        vstr_set(why, "unsupported SASL server implementation: ");
        vstr_addmem(why, type, strnlen(type, 100));
    }
    if (srv->backend == NULL) {
        mem_free(srv);
        return NULL;
    }
    srv->type = mem_strdup(type);
    srv->mechanism_filter = mem_strdup(p->mechanism_filter ? p->mechanism_filter : "");
    return srv;
}

void sasl_srv_close(SASL_SRV *srv)
{
    if (srv == NULL)
        return;
    srv->ops->close(srv->backend);
    mem_free(srv->type);
    mem_free(srv->mechanism_filter);
    mem_free(srv);
}

SASL_SRV_SESS *sasl_srv_sess_new(SASL_SRV *srv, const SASL_SRV_CONN *conn, VSTR *why)
{
    SASL_SRV_SESS *s = mem_calloc(1, sizeof(*s));
    unsigned flags = conn->tls_active ? srv->tls_secflags : srv->secflags;
    size_t i;

    s->srv = srv;
    s->mechs = argv_new();
    s->backend_sess = srv->ops->sess_new(srv->backend, conn, flags, s->mechs, why);
    if (s->backend_sess == NULL) {
        argv_free(s->mechs);
        mem_free(s);
        return NULL;
    }
    sasl_util_filter(s->mechs, srv->mechanism_filter);
    s->mech_list = vstr_new(100);
    for (i = 0; i < s->mechs->argc; i++) {
        if (i)
            vstr_addch(s->mech_list, ' ');
        vstr_adds(s->mech_list, s->mechs->argv[i]);
    }
    s->decoded = vstr_new(100);
    s->raw = vstr_new(100);
    s->reason = vstr_new(100);
    return s;
}

void sasl_srv_sess_free(SASL_SRV_SESS *s)
{
    if (s == NULL)
        return;
    s->srv->ops->sess_free(s->backend_sess);
    argv_free(s->mechs);
    vstr_free(s->mech_list);
    vstr_free(s->decoded);
    vstr_free(s->raw);
    vstr_free(s->reason);
    mem_free(s->mech);
    mem_free(s->user);
    mem_free(s);
}

const char *sasl_srv_sess_mechs(SASL_SRV_SESS *s)
{
    return vstr_str(s->mech_list);
}

const char *sasl_srv_sess_user(SASL_SRV_SESS *s)
{
    return s->user;
}

const char *sasl_srv_sess_mech(SASL_SRV_SESS *s)
{
    return s->mech;
}

const char *sasl_srv_sess_reason(SASL_SRV_SESS *s)
{
    return vstr_str(s->reason);
}

/*
 * Decode a client response: 0 with the bytes in s->decoded, else the result
 * that ends the exchange.
 */
static int decode_response(SASL_SRV_SESS *s, const char *text)
{
    size_t len = strlen(text);

    if (len > s->srv->response_limit) {
        vstr_set(s->reason, "SASL response too long");
        return SASL_SRV_TOOLONG;
    }
    if (strcmp(text, "*") == 0) {
        vstr_set(s->reason, "authentication aborted");
        return SASL_SRV_ABORT;
    }
    /* "=" is SMTP's empty initial response; an empty line answers a challenge. */
    if (len == 0 || strcmp(text, "=") == 0) {
        vstr_reset(s->decoded);
        return 0;
    }
    if (sasl_util_b64_decode(s->decoded, text, len) != 0) {
        vstr_set(s->reason, "malformed SASL response");
        return SASL_SRV_BADB64;
    }
    return 0;
}

/* Turn the back-end's raw output into base64 and remember a success. */
static int finish(SASL_SRV_SESS *s, int r, VSTR *out)
{
    vstr_reset(out);
    if (r == SASL_SRV_DONE || r == SASL_SRV_MORE)
        sasl_util_b64_encode(out, vstr_str(s->raw), vstr_len(s->raw));
    if (r == SASL_SRV_DONE) {
        const char *user = s->srv->ops->user(s->backend_sess);

        s->user = mem_strdup(user ? user : "");
        vstr_reset(s->reason);
    } else if (r == SASL_SRV_FAIL || r == SASL_SRV_TEMP) {
        if (vstr_len(s->reason) == 0)
            vstr_set(s->reason, "authentication failure");
    }
    if (r != SASL_SRV_MORE)
        s->in_exchange = 0;
    return r;
}

int sasl_srv_sess_start(SASL_SRV_SESS *s, const char *mech, const char *initial, VSTR *out)
{
    int r;

    vstr_reset(out);
    vstr_reset(s->reason);
    s->in_exchange = 0;
    if (s->user != NULL) {
        vstr_set(s->reason, "already authenticated");
        return SASL_SRV_BADSEQ;
    }
    if (!sasl_util_mech_valid(mech) || sasl_util_mech_find(s->mechs, mech) < 0) {
        vstr_set(s->reason, "unsupported authentication mechanism");
        return SASL_SRV_BADMECH;
    }
    mem_free(s->mech);
    s->mech = mem_strdup(s->mechs->argv[sasl_util_mech_find(s->mechs, mech)]);
    vstr_reset(s->decoded);
    if (initial != NULL && (r = decode_response(s, initial)) != 0)
        return r;
    vstr_reset(s->raw);
    r = s->srv->ops->start(s->backend_sess, s->mech, vstr_str(s->decoded), vstr_len(s->decoded),
                           initial != NULL, s->raw, s->reason);
    s->in_exchange = 1;
    return finish(s, r, out);
}

int sasl_srv_sess_step(SASL_SRV_SESS *s, const char *response, VSTR *out)
{
    int r;

    if (!s->in_exchange)
        msg_panic("sasl_srv_sess_step: no exchange in progress");
    vstr_reset(out);
    vstr_reset(s->reason);
    if ((r = decode_response(s, response)) != 0) {
        s->in_exchange = 0;
        return r;
    }
    vstr_reset(s->raw);
    r = s->srv->ops->step(s->backend_sess, vstr_str(s->decoded), vstr_len(s->decoded), s->raw,
                          s->reason);
    return finish(s, r, out);
}

void sasl_srv_sess_warn_failed(SASL_SRV_SESS *s, const char *client_name,
                               const char *client_addr)
{
    const char *user = s->srv->ops->user(s->backend_sess);
    VSTR *line = vstr_new(200);

    vstr_sprintf(line, "%s[%s]: SASL %s authentication failed: %s", client_name, client_addr,
                 s->mech ? s->mech : "(none)", vstr_str(s->reason));
    if (user != NULL && *user)
        vstr_printf(line, ", sasl_username=%s", user);
    msg_warn("%s", vstr_str(line));
    vstr_free(line);
}

void sasl_srv_reply(SASL_SRV_SESS *s, int result, const VSTR *out, VSTR *reply)
{
    switch (result) {
    case SASL_SRV_DONE:
        vstr_set(reply, "235 2.7.0 Authentication successful");
        break;
    case SASL_SRV_MORE:
        vstr_sprintf(reply, "334 %s", vstr_str(out));
        break;
    case SASL_SRV_FAIL:
        vstr_sprintf(reply, "535 5.7.8 Error: authentication failed: %s", vstr_str(s->reason));
        break;
    case SASL_SRV_TEMP:
        vstr_sprintf(reply, "454 4.7.0 Temporary authentication failure: %s",
                     vstr_str(s->reason));
        break;
    case SASL_SRV_ABORT:
        vstr_set(reply, "501 5.7.0 Authentication aborted");
        break;
    case SASL_SRV_BADB64:
        vstr_set(reply, "501 5.5.2 Cannot decode response");
        break;
    case SASL_SRV_TOOLONG:
        vstr_set(reply, "500 5.5.6 Authentication exchange line is too long");
        break;
    case SASL_SRV_BADMECH:
        vstr_set(reply, "504 5.5.4 Unsupported authentication mechanism");
        break;
    case SASL_SRV_BADSEQ:
        vstr_set(reply, "503 5.5.1 Error: already authenticated");
        break;
    default:
        msg_panic("sasl_srv_reply: unknown result %d", result);
    }
    /* Reasons from a back-end are made printable before they reach a client. */
    str_printable(vstr_str(reply), 0);
}
