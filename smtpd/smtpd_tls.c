/*
 * smtpd_tls - TLS in the SMTP server (see smtpd_tls.h).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "../lib/conf.h"
#include "../lib/msg.h"
#include "../lib/net/tls.h"
#include "smtpd.h"
#include "smtpd_tls.h"

/* The level from smtpd_tls_security_level, else the legacy booleans. */
static int smtpd_tls_level(void)
{
    const char *v = conf_get("smtpd_tls_security_level");

    if (v && *v) {
        if (strcasecmp(v, "none") == 0)
            return TLS_LEV_NONE;
        if (strcasecmp(v, "may") == 0)
            return TLS_LEV_MAY;
        if (strcasecmp(v, "encrypt") == 0)
            return TLS_LEV_ENCRYPT;
        msg_warn("invalid smtpd_tls_security_level value \"%s\"; using \"none\"", v);
        return TLS_LEV_NONE;
    }
    if (conf_get_bool("smtpd_enforce_tls"))
        return TLS_LEV_ENCRYPT;
    if (conf_get_bool("smtpd_use_tls"))
        return TLS_LEV_MAY;
    return TLS_LEV_NONE;
}

void smtpd_tls_conf_load(SMTPD_TLS_CONF *c)
{
    TLS_SERVER_PARAMS p;
    VSTR *why;

    memset(c, 0, sizeof(*c));
    c->level = smtpd_tls_level();
    c->wrapper = conf_get_bool("smtpd_tls_wrappermode");
    c->auth_only = conf_get_bool("smtpd_tls_auth_only") || c->level >= TLS_LEV_ENCRYPT;
    c->received_header = conf_get_bool("smtpd_tls_received_header");
    c->loglevel = (int) conf_get_int("smtpd_tls_loglevel");
    c->timeout = (int) conf_get_time("smtpd_starttls_timeout");
    if (c->timeout <= 0)
        c->timeout = 300;
    if (c->level == TLS_LEV_NONE && !c->wrapper)
        return;
    /* Wrapper mode has no plain-text phase: TLS is mandatory there. */
    tls_server_params_conf(&p, "smtpd", c->level >= TLS_LEV_ENCRYPT || c->wrapper);
    why = vstr_new(0);
    c->ctx = tls_server_init(&p, why);
    if (c->ctx == NULL)
        msg_warn("TLS server setup failed: %s; TLS will not be available", vstr_str(why));
    vstr_free(why);
}

void smtpd_tls_conf_free(SMTPD_TLS_CONF *c)
{
    if (c->ctx)
        tls_ctx_free(c->ctx);
    memset(c, 0, sizeof(*c));
}

int smtpd_tls_available(const SMTPD_TLS_CONF *c)
{
    return c->ctx != NULL && (c->level >= TLS_LEV_MAY || c->wrapper);
}

/* The stream's I/O layer: tls_read/tls_write with the request's deadline. */
static ssize_t smtpd_tls_io_read(void *ctx, void *buf, size_t len, long long deadline)
{
    TLS_SESS *s = ctx;
    ssize_t n = tls_read(s, buf, len, deadline);

    if (n < 0)
        errno = strcmp(tls_why(s), "timed out") == 0 ? ETIMEDOUT : EIO;
    return n;
}

static ssize_t smtpd_tls_io_write(void *ctx, const void *buf, size_t len, long long deadline)
{
    TLS_SESS *s = ctx;
    ssize_t n = tls_write(s, buf, len, deadline);

    if (n < 0)
        errno = strcmp(tls_why(s), "timed out") == 0 ? ETIMEDOUT : EIO;
    return n;
}

int smtpd_tls_start(SMTPD_STATE *state, VSTR *why)
{
    const SMTPD_TLS_CONF *c = &state->conf->tls;
    STREAM_IO io;
    TLS_SESS *s;

    if (c->ctx == NULL) {
        vstr_set(why, "TLS not available");
        return -1;
    }
    s = tls_server_start(c->ctx, stream_fd(state->client), state->namaddr,
                         tls_deadline((long) c->timeout * 1000), why);
    if (s == NULL) {
        msg_info("SSL_accept error from %s: %s", state->namaddr, vstr_str(why));
        return -1;
    }
    state->tls = s;
    io.read = smtpd_tls_io_read;
    io.write = smtpd_tls_io_write;
    io.ctx = s;
    stream_set_io(state->client, &io);
    if (c->loglevel >= 1)
        tls_log_summary(s);
    return 0;
}

void smtpd_tls_received(const SMTPD_STATE *state, VSTR *out)
{
    vstr_reset(out);
    if (state->tls && state->conf->tls.received_header)
        tls_received_comment(state->tls, out);
}

void smtpd_tls_stop(SMTPD_STATE *state)
{
    if (state->tls == NULL)
        return;
    stream_set_io(state->client, NULL);
    /* No close_notify after a broken connection (OpenSSL forbids it). */
    if (stream_error(state->client) == STREAM_ERR_NONE)
        (void) tls_shutdown(state->tls, tls_deadline(1000));
    tls_free(state->tls);
    state->tls = NULL;
}
