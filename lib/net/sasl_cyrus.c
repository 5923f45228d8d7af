/*
 * sasl_cyrus - the Cyrus libsasl2 server back-end (see the header).
 */
#include <string.h>

#include <sasl/sasl.h>

#include "mem.h"
#include "msg.h"
#include "sasl_cyrus.h"
#include "sasl_util.h"

typedef struct CYRUS_SRV {
    sasl_callback_t callbacks[3];       /* libsasl2 keeps a pointer to them */
    char *confpath;
    char *service;
    char *realm;                        /* NULL: none */
} CYRUS_SRV;

typedef struct CYRUS_SESS {
    sasl_conn_t *conn;
} CYRUS_SESS;

int sasl_cyrus_log(void *context, int level, const char *message)
{
    (void) context;
    if (message == NULL)
        return SASL_OK;
    switch (level) {
    case SASL_LOG_ERR:
    case SASL_LOG_FAIL:
        msg_warn("SASL authentication failure: %s", message);
        break;
    case SASL_LOG_WARN:
        msg_warn("SASL authentication problem: %s", message);
        break;
    case SASL_LOG_NOTE:
        if (msg_verbose)
            msg_info("SASL authentication info: %s", message);
        break;
    default:
        if (msg_verbose > 1)
            msg_info("SASL authentication debug: %s", message);
        break;
    }
    return SASL_OK;
}

static int getconfpath(void *context, char **path)
{
    *path = context;
    return SASL_OK;
}

void sasl_cyrus_secprops(unsigned flags, sasl_security_properties_t *props)
{
    memset(props, 0, sizeof(*props));
    props->min_ssf = 0;
    props->max_ssf = 0;                 /* no security layer: TLS does that */
    props->maxbufsize = 0;
    if (flags & SASL_F_NOPLAINTEXT)
        props->security_flags |= SASL_SEC_NOPLAINTEXT;
    if (flags & SASL_F_NOACTIVE)
        props->security_flags |= SASL_SEC_NOACTIVE;
    if (flags & SASL_F_NODICTIONARY)
        props->security_flags |= SASL_SEC_NODICTIONARY;
    if (flags & SASL_F_NOANONYMOUS)
        props->security_flags |= SASL_SEC_NOANONYMOUS;
    if (flags & SASL_F_FORWARD_SECRECY)
        props->security_flags |= SASL_SEC_FORWARD_SECRECY;
    if (flags & SASL_F_MUTUAL_AUTH)
        props->security_flags |= SASL_SEC_MUTUAL_AUTH;
}

void *sasl_cyrus_srv_open(const SASL_SRV_PARAMS *p, VSTR *why)
{
    CYRUS_SRV *cs = mem_calloc(1, sizeof(*cs));
    const char *app = p->path && *p->path ? p->path : "smtpd";
    VSTR *path = vstr_new(200);
    int r;

    if (p->cyrus_config_path && *p->cyrus_config_path)
        vstr_set(path, p->cyrus_config_path);
    else
        vstr_sprintf(path, "%s/sasl:/usr/lib/sasl2:/etc/sasl2",
                     p->config_dir && *p->config_dir ? p->config_dir : "/etc/postfix");
    cs->confpath = vstr_export(path);
    cs->service = mem_strdup(p->service && *p->service ? p->service : "smtp");
    cs->realm = p->local_domain && *p->local_domain ? mem_strdup(p->local_domain) : NULL;
    cs->callbacks[0].id = SASL_CB_LOG;
    cs->callbacks[0].proc = SASL_CYRUS_CB(sasl_cyrus_log);
    cs->callbacks[1].id = SASL_CB_GETCONFPATH;
    cs->callbacks[1].proc = SASL_CYRUS_CB(getconfpath);
    cs->callbacks[1].context = cs->confpath;
    cs->callbacks[2].id = SASL_CB_LIST_END;
    if (msg_verbose)
        msg_info("SASL: Cyrus server \"%s\", configuration path %s", app, cs->confpath);
    if ((r = sasl_server_init(cs->callbacks, app)) != SASL_OK) {
        vstr_sprintf(why, "SASL per-process initialization failed: %s",
                     sasl_errstring(r, NULL, NULL));
        mem_free(cs->confpath);
        mem_free(cs->service);
        mem_free(cs->realm);
        mem_free(cs);
        return NULL;
    }
    return cs;
}

static void cyrus_close(void *backend)
{
    CYRUS_SRV *cs = backend;

    sasl_server_done();
    mem_free(cs->confpath);
    mem_free(cs->service);
    mem_free(cs->realm);
    mem_free(cs);
}

/* "addr;port" as libsasl2 wants it, or NULL when either is unknown. */
static char *ipport(const char *addr, const char *port)
{
    VSTR *v;

    if (addr == NULL || *addr == 0 || port == NULL || *port == 0)
        return NULL;
    v = vstr_new(60);
    vstr_sprintf(v, "%.100s;%.10s", addr, port);
    return vstr_export(v);
}

static void *cyrus_sess_new(void *backend, const SASL_SRV_CONN *c, unsigned secflags,
                            ARGV *mechs, VSTR *why)
{
    CYRUS_SRV *cs = backend;
    CYRUS_SESS *ss = mem_calloc(1, sizeof(*ss));
    char *local = ipport(c->server_addr, c->server_port);
    char *remote = ipport(c->client_addr, c->client_port);
    sasl_security_properties_t props;
    const char *list;
    unsigned len;
    int count;
    int r;

    r = sasl_server_new(cs->service, c->server_name, cs->realm, local, remote, NULL, 0,
                        &ss->conn);
    mem_free(local);
    mem_free(remote);
    if (r != SASL_OK) {
        vstr_sprintf(why, "SASL per-connection initialization failed: %s",
                     sasl_errstring(r, NULL, NULL));
        mem_free(ss);
        return NULL;
    }
    sasl_cyrus_secprops(secflags, &props);
    if ((r = sasl_setprop(ss->conn, SASL_SEC_PROPS, &props)) != SASL_OK) {
        vstr_sprintf(why, "SASL per-connection security setup failed: %s",
                     sasl_errstring(r, NULL, NULL));
        sasl_dispose(&ss->conn);
        mem_free(ss);
        return NULL;
    }
    r = sasl_listmech(ss->conn, NULL, "", " ", "", &list, &len, &count);
    if (r == SASL_OK) {
        ARGV *names = argv_split(list, " ");
        size_t i;

        for (i = 0; i < names->argc; i++) {
            if (sasl_util_mech_valid(names->argv[i]))
                argv_add(mechs, names->argv[i]);
            else
                msg_warn("SASL: ignoring bad mechanism name \"%.30s\" from libsasl2",
                         names->argv[i]);
        }
        argv_free(names);
    } else if (r != SASL_NOMECH) {
        msg_warn("SASL: cannot list mechanisms: %s", sasl_errstring(r, NULL, NULL));
    }
    return ss;
}

static void cyrus_sess_free(void *sess)
{
    CYRUS_SESS *ss = sess;

    sasl_dispose(&ss->conn);
    mem_free(ss);
}

static int cyrus_result(int r, const char *out, unsigned outlen, VSTR *raw, VSTR *why)
{
    switch (r) {
    case SASL_OK:
    case SASL_CONTINUE:
        if (out != NULL)
            vstr_addmem(raw, out, outlen);
        return r == SASL_OK ? SASL_SRV_DONE : SASL_SRV_MORE;
    case SASL_TRYAGAIN:
    case SASL_UNAVAIL:
    case SASL_NOMEM:
        vstr_set(why, sasl_errstring(r, NULL, NULL));
        return SASL_SRV_TEMP;
    default:
        vstr_set(why, sasl_errstring(r, NULL, NULL));
        return SASL_SRV_FAIL;
    }
}

static int cyrus_start(void *sess, const char *mech, const void *in, size_t len, int has_in,
                       VSTR *raw, VSTR *why)
{
    CYRUS_SESS *ss = sess;
    const char *out = NULL;
    unsigned outlen = 0;
    int r;

    if (len > 0xffffff)
        msg_panic("cyrus_start: response length %zu", len);
    r = sasl_server_start(ss->conn, mech, has_in ? in : NULL, (unsigned) len, &out, &outlen);
    return cyrus_result(r, out, outlen, raw, why);
}

static int cyrus_step(void *sess, const void *in, size_t len, VSTR *raw, VSTR *why)
{
    CYRUS_SESS *ss = sess;
    const char *out = NULL;
    unsigned outlen = 0;
    int r;

    if (len > 0xffffff)
        msg_panic("cyrus_step: response length %zu", len);
    r = sasl_server_step(ss->conn, in, (unsigned) len, &out, &outlen);
    return cyrus_result(r, out, outlen, raw, why);
}

static const char *cyrus_user(void *sess)
{
    CYRUS_SESS *ss = sess;
    const void *user = NULL;

    if (sasl_getprop(ss->conn, SASL_USERNAME, &user) != SASL_OK)
        return NULL;
    return user;
}

const SASL_SRV_OPS sasl_cyrus_srv_ops = {
    cyrus_sess_new, cyrus_start, cyrus_step, cyrus_user, cyrus_sess_free, cyrus_close,
};
