/*
 * sasl_client - the Cyrus SMTP AUTH client (see the header).
 */
#include <string.h>

#include <sasl/sasl.h>

#include "argv.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "sasl_client.h"
#include "sasl_cyrus.h"
#include "sasl_util.h"
#include "table.h"

struct SASL_CLI {
    sasl_callback_t callbacks[2];       /* libsasl2 keeps a pointer to them */
    char *service;
    char *mechanism_filter;
    unsigned secflags;
    unsigned tls_secflags;
    int send_authzid;
};

struct SASL_CLI_SESS {
    SASL_CLI *cli;
    sasl_conn_t *conn;
    sasl_callback_t callbacks[4];
    char *user;
    sasl_secret_t *secret;
    VSTR *decoded;
};

void sasl_cli_params_conf(SASL_CLI_PARAMS *p, const char *protocol)
{
    VSTR *name = vstr_new(40);
    int lmtp = strcmp(protocol, "lmtp") == 0;

#define PARAM(suffix) (vstr_sprintf(name, "%s_%s", lmtp ? "lmtp" : "smtp", suffix), \
                       conf_get(vstr_str(name)))
    memset(p, 0, sizeof(*p));
    p->type = PARAM("sasl_type");
    p->path = PARAM("sasl_path");
    p->service = lmtp ? "lmtp" : "smtp";
    p->security_options = PARAM("sasl_security_options");
    p->tls_security_options = PARAM("sasl_tls_security_options");
    p->mechanism_filter = PARAM("sasl_mechanism_filter");
    p->send_authzid = conf_get_bool("send_cyrus_sasl_authzid");
#undef PARAM
    vstr_free(name);
}

SASL_CLI *sasl_cli_open(const SASL_CLI_PARAMS *p, VSTR *why)
{
    SASL_CLI *cli = mem_calloc(1, sizeof(*cli));
    const char *type = p->type && *p->type ? p->type : "cyrus";
    int r;

    if (strcmp(type, "cyrus") != 0) {
        vstr_set(why, "unsupported SASL client implementation: ");
        vstr_addmem(why, type, strnlen(type, 100));
        mem_free(cli);
        return NULL;
    }
    if (sasl_util_secopts(p->security_options ? p->security_options : "", &cli->secflags, why)
            != 0
        || sasl_util_secopts(p->tls_security_options ? p->tls_security_options : "",
                             &cli->tls_secflags, why)
               != 0) {
        mem_free(cli);
        return NULL;
    }
    cli->callbacks[0].id = SASL_CB_LOG;
    cli->callbacks[0].proc = SASL_CYRUS_CB(sasl_cyrus_log);
    cli->callbacks[1].id = SASL_CB_LIST_END;
    if ((r = sasl_client_init(cli->callbacks)) != SASL_OK) {
        vstr_sprintf(why, "SASL library initialization failed: %s",
                     sasl_errstring(r, NULL, NULL));
        mem_free(cli);
        return NULL;
    }
    cli->service = mem_strdup(p->service && *p->service ? p->service : "smtp");
    cli->mechanism_filter = mem_strdup(p->mechanism_filter ? p->mechanism_filter : "");
    cli->send_authzid = p->send_authzid;
    return cli;
}

void sasl_cli_close(SASL_CLI *cli)
{
    if (cli == NULL)
        return;
    sasl_client_done();
    mem_free(cli->service);
    mem_free(cli->mechanism_filter);
    mem_free(cli);
}

int sasl_cli_credentials(const char *value, char **user, char **password)
{
    const char *colon = strchr(value, ':');

    if (colon == NULL) {
        *user = mem_strdup(value);
        *password = mem_strdup("");
        return 1;
    }
    *user = mem_strndup(value, (size_t) (colon - value));
    *password = mem_strdup(colon + 1);
    return 0;
}

/* Look key up in each table: 1 found (value set), 0 not, -1 error. */
static int maps_find(TABLE *const *maps, size_t nmaps, const char *key, const char **value)
{
    size_t i;

    for (i = 0; i < nmaps; i++) {
        if ((*value = table_lookup(maps[i], key)) != NULL)
            return 1;
        if (maps[i]->error != TABLE_OK) {
            msg_warn("%s lookup error for \"%.100s\"", maps[i]->spec, key);
            return -1;
        }
    }
    return 0;
}

int sasl_cli_passwd_lookup(TABLE *const *maps, size_t nmaps, const char *sender,
                           const char *host, const char *dest, char **user, char **password)
{
    const char *keys[3] = {NULL, host, dest};
    const char *value = NULL;
    char *at_domain = NULL;
    int r = 0;
    size_t k;

    *user = *password = NULL;
    if (sender != NULL && *sender) {
        const char *at = strrchr(sender, '@');

        r = maps_find(maps, nmaps, sender, &value);
        if (r == 0 && at != NULL && at[1]) {
            at_domain = mem_strdup(at);
            keys[0] = at_domain;
        }
    }
    for (k = 0; r == 0 && k < 3; k++)
        if (keys[k] != NULL && *keys[k])
            r = maps_find(maps, nmaps, keys[k], &value);
    mem_free(at_domain);
    if (r == 1)
        sasl_cli_credentials(value, user, password);
    return r;
}

static int get_simple(void *context, int id, const char **result, unsigned *len)
{
    SASL_CLI_SESS *s = context;

    if (id != SASL_CB_USER && id != SASL_CB_AUTHNAME)
        return SASL_BADPARAM;
    *result = s->user;
    if (len)
        *len = (unsigned) strlen(s->user);
    return SASL_OK;
}

static int get_secret(sasl_conn_t *conn, void *context, int id, sasl_secret_t **secret)
{
    SASL_CLI_SESS *s = context;

    (void) conn;
    if (id != SASL_CB_PASS)
        return SASL_BADPARAM;
    *secret = s->secret;
    return SASL_OK;
}

SASL_CLI_SESS *sasl_cli_sess_new(SASL_CLI *cli, const char *server_name, const char *user,
                                 const char *password, int tls_active, VSTR *why)
{
    SASL_CLI_SESS *s = mem_calloc(1, sizeof(*s));
    size_t plen = strlen(password);
    sasl_security_properties_t props;
    int n = 0;
    int r;

    s->cli = cli;
    s->user = mem_strdup(user);
    s->secret = mem_calloc(1, sizeof(sasl_secret_t) + plen + 1);
    s->secret->len = plen;
    memcpy(s->secret->data, password, plen);
    s->decoded = vstr_new(256);
    if (cli->send_authzid) {
        s->callbacks[n].id = SASL_CB_USER;
        s->callbacks[n].proc = SASL_CYRUS_CB(get_simple);
        s->callbacks[n++].context = s;
    }
    s->callbacks[n].id = SASL_CB_AUTHNAME;
    s->callbacks[n].proc = SASL_CYRUS_CB(get_simple);
    s->callbacks[n++].context = s;
    s->callbacks[n].id = SASL_CB_PASS;
    s->callbacks[n].proc = SASL_CYRUS_CB(get_secret);
    s->callbacks[n++].context = s;
    s->callbacks[n].id = SASL_CB_LIST_END;
    r = sasl_client_new(cli->service, server_name, NULL, NULL, s->callbacks, 0, &s->conn);
    if (r != SASL_OK) {
        vstr_sprintf(why, "per-session SASL client initialization: %s",
                     sasl_errstring(r, NULL, NULL));
        s->conn = NULL;
        sasl_cli_sess_free(s);
        return NULL;
    }
    sasl_cyrus_secprops(tls_active ? cli->tls_secflags : cli->secflags, &props);
    if ((r = sasl_setprop(s->conn, SASL_SEC_PROPS, &props)) != SASL_OK) {
        vstr_sprintf(why, "per-session SASL security properties: %s",
                     sasl_errstring(r, NULL, NULL));
        sasl_cli_sess_free(s);
        return NULL;
    }
    return s;
}

void sasl_cli_sess_free(SASL_CLI_SESS *s)
{
    if (s == NULL)
        return;
    if (s->conn)
        sasl_dispose(&s->conn);
    if (s->secret) {
        memset(s->secret->data, 0, s->secret->len);
        mem_free(s->secret);
    }
    mem_free(s->user);
    vstr_free(s->decoded);
    mem_free(s);
}

static int cyrus_fail(int r, sasl_conn_t *conn, VSTR *why)
{
    const char *detail = conn ? sasl_errdetail(conn) : NULL;

    vstr_set(why, detail ? detail : sasl_errstring(r, NULL, NULL));
    return SASL_CLI_FAIL;
}

int sasl_cli_sess_start(SASL_CLI_SESS *s, const char *server_mechs, VSTR *mech, VSTR *initial,
                        VSTR *why)
{
    ARGV *mechs = argv_split(server_mechs, " \t");
    VSTR *list = vstr_new(100);
    const char *out = NULL;
    unsigned outlen = 0;
    const char *chosen = NULL;
    size_t i;
    int r;

    vstr_reset(mech);
    vstr_reset(initial);
    /* Names a server offers that are not mechanism names are ignored. */
    for (i = 0; i < mechs->argc; i++) {
        if (sasl_util_mech_valid(mechs->argv[i]) && sasl_util_mech_find(mechs, mechs->argv[i])
                                                        == (int) i)
            continue;
        mem_free(mechs->argv[i]);
        mechs->argv[i] = mem_strdup("-");
    }
    sasl_util_filter(mechs, s->cli->mechanism_filter);
    for (i = 0; i < mechs->argc; i++) {
        if (strcmp(mechs->argv[i], "-") == 0)
            continue;
        if (vstr_len(list))
            vstr_addch(list, ' ');
        vstr_adds(list, mechs->argv[i]);
    }
    argv_free(mechs);
    if (vstr_len(list) == 0) {
        vstr_set(why, "no mechanism available");
        vstr_free(list);
        return SASL_CLI_NOMECH;
    }
    r = sasl_client_start(s->conn, vstr_str(list), NULL, &out, &outlen, &chosen);
    vstr_free(list);
    if (r == SASL_NOMECH) {
        vstr_set(why, "no mechanism available");
        return SASL_CLI_NOMECH;
    }
    if (r != SASL_OK && r != SASL_CONTINUE)
        return cyrus_fail(r, s->conn, why);
    vstr_set(mech, chosen);
    if (out != NULL && outlen == 0)
        vstr_set(initial, "=");
    else if (out != NULL)
        sasl_util_b64_encode(initial, out, outlen);
    return SASL_CLI_OK;
}

int sasl_cli_sess_step(SASL_CLI_SESS *s, const char *challenge, VSTR *response, VSTR *why)
{
    const char *out = NULL;
    unsigned outlen = 0;
    int r;

    vstr_reset(response);
    if (strlen(challenge) > SASL_CLI_CHALLENGE_MAX
        || sasl_util_b64_decode(s->decoded, challenge, SASL_CLI_CHALLENGE_MAX) < 0) {
        vstr_set(why, "malformed SASL challenge from server");
        return SASL_CLI_FAIL;
    }
    r = sasl_client_step(s->conn, vstr_str(s->decoded), (unsigned) vstr_len(s->decoded), NULL,
                         &out, &outlen);
    if (r != SASL_OK && r != SASL_CONTINUE)
        return cyrus_fail(r, s->conn, why);
    if (out != NULL)
        sasl_util_b64_encode(response, out, outlen);
    return SASL_CLI_OK;
}
