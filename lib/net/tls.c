/* tls - TLS sessions for the SMTP server and client on OpenSSL; see tls.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "argv.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "tls.h"
#include "tls_policy.h"
#include "vstr.h"

struct TLS_CTX {
    SSL_CTX *ssl_ctx;
    int server;
    int ask_ccert, req_ccert;
    unsigned int host_flags;      /* X509_check_host() flags */
    const EVP_MD *md;             /* fingerprint digest */
    TLS_CIPHERLISTS cipherlists;  /* client: copied pointers to... */
    char *lists[TLS_GRADE_COUNT]; /* ...these owned copies */
};

struct TLS_SESS {
    TLS_CTX *ctx;
    SSL *ssl;
    int fd;
    int level;      /* client: TLS_LEV_*; server: -1 */
    ARGV *match;    /* verify/secure: names; fingerprint: digests */
    VSTR *why;
    int done;       /* handshake finished and checked */
    int verify_error, verify_depth;
    TLS_INFO info;
};

/* Sizes that bound what we copy out of certificates. */
#define TLS_CN_MAX 256
#define TLS_PEM_OBJECTS_MAX 100
#define TLS_DRAIN_MAX (1024 * 1024)

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* ssl_reason - append OpenSSL's queued error reasons, then clear them */
static void ssl_reason(VSTR *why, const char *fallback)
{
    unsigned long e;
    const char *r;
    int n = 0;

    while ((e = ERR_get_error()) != 0) {
        if (n++ >= 3)
            continue;
        r = ERR_reason_error_string(e);
        vstr_printf(why, "%s%s", n > 1 ? "; " : "", r ? r : "unknown error");
    }
    if (n == 0)
        vstr_adds(why, fallback);
}

/* ------------------------------------------------------------------ */
/* Parameters                                                           */

void tls_server_params_init(TLS_SERVER_PARAMS *p)
{
    memset(p, 0, sizeof(*p));
    p->certs.cert_file = p->certs.key_file = "";
    p->certs.eccert_file = p->certs.eckey_file = "";
    p->certs.chain_files = "";
    p->CAfile = p->CApath = "";
    p->ccert_verifydepth = 9;
    p->protocols = ">=TLSv1";
    p->ciphers = "medium";
    p->exclude_ciphers = "";
    tls_cipherlists_default(&p->cipherlists);
    p->dh1024_param_file = "";
    p->eecdh_grade = "auto";
    p->eecdh_auto_curves = "X25519 X448 prime256v1 secp521r1 secp384r1";
    p->eecdh_strong_curve = "prime256v1";
    p->eecdh_ultra_curve = "secp384r1";
    p->random_source = "dev:/dev/urandom";
    p->fingerprint_digest = "sha256";
    p->session_timeout = 3600;
}

void tls_client_params_init(TLS_CLIENT_PARAMS *p)
{
    memset(p, 0, sizeof(*p));
    p->certs.cert_file = p->certs.key_file = "";
    p->certs.eccert_file = p->certs.eckey_file = "";
    p->certs.chain_files = "";
    p->CAfile = p->CApath = "";
    p->verifydepth = 9;
    p->fingerprint_digest = "sha256";
    tls_cipherlists_default(&p->cipherlists);
    p->eecdh_auto_curves = "X25519 X448 prime256v1 secp521r1 secp384r1";
    p->wildcard_multi_labels = 1;
    p->session_timeout = 3600;
}

/* cf - the expanded value of <prefix>_<suffix>, "" when unknown */
static const char *cf(const char *prefix, const char *suffix)
{
    char name[CONF_NAME_MAX + 1];
    const char *v;

    if ((size_t) snprintf(name, sizeof(name), "%s_%s", prefix, suffix) >= sizeof(name))
        msg_panic("tls: parameter name too long: %s_%s", prefix, suffix);
    v = conf_get(name);
    return v ? v : "";
}

/* cf_int - a numeric parameter, def when unknown */
static long cf_int(const char *prefix, const char *suffix, long def)
{
    char name[CONF_NAME_MAX + 1];

    if ((size_t) snprintf(name, sizeof(name), "%s_%s", prefix, suffix) >= sizeof(name))
        msg_panic("tls: parameter name too long: %s_%s", prefix, suffix);
    return conf_is_known(name) || conf_is_set(name) ? conf_get_int(name) : def;
}

static void cipherlists_conf(TLS_CIPHERLISTS *l)
{
    l->list[TLS_GRADE_EXPORT] = cf("tls", "export_cipherlist");
    l->list[TLS_GRADE_LOW] = cf("tls", "low_cipherlist");
    l->list[TLS_GRADE_MEDIUM] = cf("tls", "medium_cipherlist");
    l->list[TLS_GRADE_HIGH] = cf("tls", "high_cipherlist");
    l->list[TLS_GRADE_NULL] = cf("tls", "null_cipherlist");
}

static void certs_conf(TLS_CERT_FILES *c, const char *prefix)
{
    c->cert_file = cf(prefix, "tls_cert_file");
    c->key_file = cf(prefix, "tls_key_file");
    c->eccert_file = cf(prefix, "tls_eccert_file");
    c->eckey_file = cf(prefix, "tls_eckey_file");
    c->chain_files = cf(prefix, "tls_chain_files");
}

void tls_server_params_conf(TLS_SERVER_PARAMS *p, const char *prefix, int mandatory)
{
    char name[CONF_NAME_MAX + 1];

    tls_server_params_init(p);
    certs_conf(&p->certs, prefix);
    p->CAfile = cf(prefix, "tls_CAfile");
    p->CApath = cf(prefix, "tls_CApath");
    snprintf(name, sizeof(name), "%s_tls_ask_ccert", prefix);
    p->ask_ccert = conf_get_bool(name);
    snprintf(name, sizeof(name), "%s_tls_req_ccert", prefix);
    if (conf_get_bool(name) && !mandatory)
        msg_warn("cannot require client certificates unless TLS is required: %s ignored", name);
    p->req_ccert = mandatory && conf_get_bool(name);
    p->ccert_verifydepth = (int) cf_int(prefix, "tls_ccert_verifydepth", 9);
    p->protocols = cf(prefix, mandatory ? "tls_mandatory_protocols" : "tls_protocols");
    p->ciphers = cf(prefix, mandatory ? "tls_mandatory_ciphers" : "tls_ciphers");
    p->exclude_ciphers = cf(prefix, "tls_exclude_ciphers");
    p->mandatory_exclude_ciphers = mandatory ? cf(prefix, "tls_mandatory_exclude_ciphers") : "";
    cipherlists_conf(&p->cipherlists);
    p->dh1024_param_file = cf(prefix, "tls_dh1024_param_file");
    p->eecdh_grade = cf(prefix, "tls_eecdh_grade");
    p->eecdh_auto_curves = cf("tls", "eecdh_auto_curves");
    p->eecdh_strong_curve = cf("tls", "eecdh_strong_curve");
    p->eecdh_ultra_curve = cf("tls", "eecdh_ultra_curve");
    p->random_source = cf("tls", "random_source");
    p->fingerprint_digest = cf(prefix, "tls_fingerprint_digest");
    p->preempt_cipherlist = conf_get_bool("tls_preempt_cipherlist");
    p->session_cache = *cf(prefix, "tls_session_cache_database") != 0;
    snprintf(name, sizeof(name), "%s_tls_session_cache_timeout", prefix);
    p->session_timeout = conf_get_time(name);
}

void tls_client_params_conf(TLS_CLIENT_PARAMS *p, const char *prefix)
{
    tls_client_params_init(p);
    certs_conf(&p->certs, prefix);
    p->CAfile = cf(prefix, "tls_CAfile");
    p->CApath = cf(prefix, "tls_CApath");
    p->verifydepth = (int) cf_int(prefix, "tls_scert_verifydepth", 9);
    p->fingerprint_digest = cf(prefix, "tls_fingerprint_digest");
    cipherlists_conf(&p->cipherlists);
    p->eecdh_auto_curves = cf("tls", "eecdh_auto_curves");
    p->wildcard_multi_labels = conf_get_bool("tls_wildcard_matches_multiple_labels");
}

void tls_client_props_conf(TLS_CLIENT_PROPS *props, const char *prefix, int level)
{
    int mandatory = level >= TLS_LEV_ENCRYPT;

    memset(props, 0, sizeof(*props));
    props->level = level;
    props->servername = cf(prefix, "tls_servername");
    props->protocols = cf(prefix, mandatory ? "tls_mandatory_protocols" : "tls_protocols");
    props->ciphers = cf(prefix, mandatory ? "tls_mandatory_ciphers" : "tls_ciphers");
    props->exclude_ciphers = cf(prefix, "tls_exclude_ciphers");
    props->mandatory_exclude_ciphers =
        mandatory ? cf(prefix, "tls_mandatory_exclude_ciphers") : "";
    if (level == TLS_LEV_VERIFY)
        props->match = cf(prefix, "tls_verify_cert_match");
    else if (level == TLS_LEV_SECURE)
        props->match = cf(prefix, "tls_secure_cert_match");
    else if (level == TLS_LEV_FPRINT)
        props->match = cf(prefix, "tls_fingerprint_cert_match");
}

/* ------------------------------------------------------------------ */
/* Keys and certificates                                                */

/* load_pair - one certificate chain file and its key file */
static int load_pair(SSL_CTX *c, const char *cert, const char *key, const char *what, VSTR *why)
{
    if (*cert == 0 && *key == 0)
        return 0;
    if (*cert == 0) {
        vstr_sprintf(why, "%s key file %s given without a certificate file", what, key);
        return -1;
    }
    if (*key == 0)
        key = cert;
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(c, cert) != 1) {
        vstr_sprintf(why, "cannot load %s certificate file %s: ", what, cert);
        ssl_reason(why, "error");
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
        vstr_sprintf(why, "cannot load %s private key file %s: ", what, key);
        ssl_reason(why, "error");
        return -1;
    }
    if (SSL_CTX_check_private_key(c) != 1) {
        vstr_sprintf(why, "%s private key in %s does not match the certificate in %s", what,
                     key, cert);
        ERR_clear_error();
        return -1;
    }
    return 0;
}

/* A key with its leaf certificate and chain, read from one PEM file. */
typedef struct CHAIN_GROUP {
    EVP_PKEY *key;
    X509 *leaf;
    STACK_OF(X509) *chain;
    int key_first;
} CHAIN_GROUP;

static void group_reset(CHAIN_GROUP *g)
{
    EVP_PKEY_free(g->key);
    X509_free(g->leaf);
    sk_X509_pop_free(g->chain, X509_free);
    memset(g, 0, sizeof(*g));
}

/* group_use - install a finished group in the context */
static int group_use(SSL_CTX *c, CHAIN_GROUP *g, const char *file, int n, VSTR *why)
{
    if (g->key == NULL && g->leaf == NULL)
        return 0;
    if (g->key == NULL || g->leaf == NULL) {
        vstr_sprintf(why, "%s: key and certificate group %d: %s", file, n,
                     g->key ? "no certificate after the private key"
                            : "no private key for the certificate");
        return -1;
    }
    ERR_clear_error();
    if (X509_check_private_key(g->leaf, g->key) != 1) {
        vstr_sprintf(why, "%s: key and certificate group %d: the private key does not match "
                     "the certificate", file, n);
        ERR_clear_error();
        return -1;
    }
    if (SSL_CTX_use_cert_and_key(c, g->leaf, g->key, g->chain, 1) != 1) {
        vstr_sprintf(why, "%s: key and certificate group %d: ", file, n);
        ssl_reason(why, "cannot use it");
        return -1;
    }
    return 0;
}

/* load_chain_file - one smtpd_tls_chain_files entry */
static int load_chain_file(SSL_CTX *c, const char *file, VSTR *why)
{
    BIO *bio;
    CHAIN_GROUP g;
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long len;
    int objects = 0, groups = 0, ret = -1;

    memset(&g, 0, sizeof(g));
    ERR_clear_error();
    if ((bio = BIO_new_file(file, "r")) == NULL) {
        vstr_sprintf(why, "cannot open chain file %s: %s", file, strerror(errno));
        ERR_clear_error();
        return -1;
    }
    while (PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
        const unsigned char *p = data;

        if (++objects > TLS_PEM_OBJECTS_MAX) {
            vstr_sprintf(why, "%s: more than %d PEM objects", file, TLS_PEM_OBJECTS_MAX);
            goto out;
        }
        if (strcmp(name, "CERTIFICATE") == 0) {
            X509 *x = d2i_X509(NULL, &p, len);

            if (x == NULL) {
                vstr_sprintf(why, "%s: PEM object %d: bad certificate", file, objects);
                goto out;
            }
            if (g.leaf == NULL) {
                g.leaf = x;
            } else {
                if (g.chain == NULL)
                    g.chain = sk_X509_new_null();
                if (g.chain == NULL || !sk_X509_push(g.chain, x)) {
                    X509_free(x);
                    vstr_sprintf(why, "%s: out of memory", file);
                    goto out;
                }
            }
        } else if (strstr(name, "PRIVATE KEY") != NULL) {
            EVP_PKEY *k;

            if (strstr(name, "ENCRYPTED") != NULL) {
                vstr_sprintf(why, "%s: PEM object %d: encrypted private keys are not supported",
                             file, objects);
                goto out;
            }
            if ((k = d2i_AutoPrivateKey(NULL, &p, len)) == NULL) {
                vstr_sprintf(why, "%s: PEM object %d: bad private key", file, objects);
                goto out;
            }
            /* A new key closes the group before it, unless that group is a
             * lone leaf certificate waiting for its key. */
            if (g.key != NULL || (g.leaf != NULL && g.chain != NULL)) {
                if (group_use(c, &g, file, ++groups, why) < 0) {
                    EVP_PKEY_free(k);
                    goto out;
                }
                group_reset(&g);
            }
            g.key = k;
        }
        /* Other objects (parameters) are not ours to judge: skipped. */
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        name = header = NULL;
        data = NULL;
    }
    ERR_clear_error();
    if (objects == 0) {
        vstr_sprintf(why, "%s: no PEM objects", file);
        goto out;
    }
    if (group_use(c, &g, file, ++groups, why) < 0)
        goto out;
    ret = 0;
out:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    group_reset(&g);
    BIO_free(bio);
    return ret;
}

static int load_certs(SSL_CTX *c, const TLS_CERT_FILES *f, VSTR *why)
{
    ARGV *files;
    size_t i;
    int ret = 0;

    if (f->chain_files && *f->chain_files) {
        files = argv_split(f->chain_files, " \t\r\n,");
        for (i = 0; ret == 0 && i < files->argc; i++)
            ret = load_chain_file(c, files->argv[i], why);
        argv_free(files);
        if (ret < 0)
            return -1;
    }
    if (load_pair(c, f->cert_file ? f->cert_file : "", f->key_file ? f->key_file : "", "RSA",
                  why) < 0)
        return -1;
    if (load_pair(c, f->eccert_file ? f->eccert_file : "", f->eckey_file ? f->eckey_file : "",
                  "ECDSA", why) < 0)
        return -1;
    return 0;
}

static int load_CA(SSL_CTX *c, const char *CAfile, const char *CApath, VSTR *why)
{
    const char *file = CAfile && *CAfile ? CAfile : NULL;
    const char *path = CApath && *CApath ? CApath : NULL;

    if (file == NULL && path == NULL)
        return 0;
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(c, file, path) != 1) {
        vstr_sprintf(why, "cannot load CA certificates from %s%s%s: ", file ? file : "",
                     file && path ? " and " : "", path ? path : "");
        ssl_reason(why, "error");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Contexts                                                             */

/* verify_cb - record the first chain error; the policy is applied later */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    TLS_SESS *s = ssl ? SSL_get_app_data(ssl) : NULL;

    if (!ok && s != NULL && s->verify_error == 0) {
        s->verify_error = X509_STORE_CTX_get_error(xs);
        s->verify_depth = X509_STORE_CTX_get_error_depth(xs);
    }
    return 1;
}

/* set_groups - the usable names of a curve list (unknown ones skipped) */
static void set_groups(SSL_CTX *c, const char *curves)
{
    ARGV *names = argv_split(curves ? curves : "", " \t\r\n,:");
    VSTR *ok = vstr_new(0);
    size_t i;

    for (i = 0; i < names->argc && i < TLS_LIST_MAX; i++) {
        if (SSL_CTX_set1_groups_list(c, names->argv[i]) == 1) {
            if (vstr_len(ok))
                vstr_addch(ok, ':');
            vstr_adds(ok, names->argv[i]);
        }
    }
    ERR_clear_error();
    if (vstr_len(ok) == 0 || SSL_CTX_set1_groups_list(c, vstr_str(ok)) != 1)
        SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384");
    ERR_clear_error();
    vstr_free(ok);
    argv_free(names);
}

/* cipher_setup - the cipher string of a grade and exclusion lists */
static int cipher_string(const char *grade_name, const char *exclude, const char *exclude2,
                         const TLS_CIPHERLISTS *lists, VSTR *out, int *grade, VSTR *why)
{
    VSTR *ex = vstr_new(0);
    int ret;

    if ((*grade = tls_grade_parse(grade_name ? grade_name : "")) < 0) {
        vstr_sprintf(why, "invalid TLS cipher grade: \"%s\"", grade_name ? grade_name : "");
        vstr_free(ex);
        return -1;
    }
    vstr_sprintf(ex, "%s %s", exclude ? exclude : "", exclude2 ? exclude2 : "");
    ret = tls_cipherlist_build(*grade, vstr_str(ex), lists, out, why);
    vstr_free(ex);
    return ret;
}

static SSL_CTX *ctx_new(int server, VSTR *why)
{
    SSL_CTX *c;

    ERR_clear_error();
    if ((c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method())) == NULL) {
        vstr_set(why, "cannot create a TLS context: ");
        ssl_reason(why, "error");
        return NULL;
    }
    /* No compression (CRIME), no renegotiation (a cheap way to burn our CPU). */
    SSL_CTX_set_options(c, SSL_OP_ALL | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return c;
}

static const EVP_MD *digest(const char *name, VSTR *why)
{
    const EVP_MD *md = EVP_get_digestbyname(name && *name ? name : "sha256");

    if (md == NULL)
        vstr_sprintf(why, "unknown fingerprint digest \"%s\"", name);
    return md;
}

TLS_CTX *tls_server_init(const TLS_SERVER_PARAMS *p, VSTR *why)
{
    TLS_CTX *ctx = mem_calloc(1, sizeof(*ctx));
    SSL_CTX *c;
    VSTR *ciphers = vstr_new(0);
    unsigned mask;
    int min, max, grade;
    long no_ops;

    ctx->server = 1;
    if ((c = ctx->ssl_ctx = ctx_new(1, why)) == NULL)
        goto bad;
    if ((ctx->md = digest(p->fingerprint_digest, why)) == NULL)
        goto bad;
    if (tls_protocols_parse(p->protocols ? p->protocols : "", &mask, why) < 0)
        goto bad;
    if (tls_protocols_range(mask, &min, &max, &no_ops) < 0) {
        vstr_sprintf(why, "invalid TLS protocol list: \"%s\"", p->protocols);
        goto bad;
    }
    if (cipher_string(p->ciphers, p->exclude_ciphers, p->mandatory_exclude_ciphers,
                      &p->cipherlists, ciphers, &grade, why) < 0)
        goto bad;
    if (grade == TLS_GRADE_NULL && max > TLS1_2_VERSION)
        max = TLS1_2_VERSION; /* TLS 1.3 has no NULL ciphers */
    SSL_CTX_set_options(c, (uint64_t) no_ops);
    if (SSL_CTX_set_min_proto_version(c, min) != 1 || SSL_CTX_set_max_proto_version(c, max) != 1) {
        vstr_sprintf(why, "cannot set TLS protocols \"%s\"", p->protocols);
        goto bad;
    }
    ERR_clear_error();
    if (SSL_CTX_set_cipher_list(c, vstr_str(ciphers)) != 1) {
        vstr_sprintf(why, "invalid TLS cipher list for grade \"%s\": \"%s\"", p->ciphers,
                     vstr_str(ciphers));
        ERR_clear_error();
        goto bad;
    }
    if (p->preempt_cipherlist)
        SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (load_certs(c, &p->certs, why) < 0)
        goto bad;
    if (SSL_CTX_get0_certificate(c) == NULL) {
        vstr_set(why, "no server certificate: set smtpd_tls_chain_files or "
                      "smtpd_tls_cert_file/smtpd_tls_eccert_file");
        goto bad;
    }
    if (load_CA(c, p->CAfile, p->CApath, why) < 0)
        goto bad;
    if (p->dh1024_param_file && *p->dh1024_param_file) {
        BIO *bio = BIO_new_file(p->dh1024_param_file, "r");
        EVP_PKEY *dh = bio ? PEM_read_bio_Parameters(bio, NULL) : NULL;

        BIO_free(bio);
        if (dh == NULL || SSL_CTX_set0_tmp_dh_pkey(c, dh) != 1) {
            EVP_PKEY_free(dh);
            vstr_sprintf(why, "cannot load DH parameters from %s", p->dh1024_param_file);
            ERR_clear_error();
            goto bad;
        }
    } else {
        SSL_CTX_set_dh_auto(c, 1);
    }
    if (p->eecdh_grade == NULL || *p->eecdh_grade == 0 || strcasecmp(p->eecdh_grade, "auto") == 0)
        set_groups(c, p->eecdh_auto_curves);
    else if (strcasecmp(p->eecdh_grade, "strong") == 0)
        set_groups(c, p->eecdh_strong_curve);
    else if (strcasecmp(p->eecdh_grade, "ultra") == 0)
        set_groups(c, p->eecdh_ultra_curve);
    else if (strcasecmp(p->eecdh_grade, "none") != 0) {
        vstr_sprintf(why, "invalid smtpd_tls_eecdh_grade: \"%s\"", p->eecdh_grade);
        goto bad;
    }
    ctx->ask_ccert = p->ask_ccert || p->req_ccert;
    ctx->req_ccert = p->req_ccert;
    if (ctx->ask_ccert) {
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, verify_cb);
        SSL_CTX_set_verify_depth(c, p->ccert_verifydepth > 0 ? p->ccert_verifydepth : 9);
        if (p->CAfile && *p->CAfile) {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(p->CAfile);

            if (names != NULL)
                SSL_CTX_set_client_CA_list(c, names);
            ERR_clear_error();
        }
    } else {
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    }
    SSL_CTX_set_session_id_context(c, (const unsigned char *) "postern", 7);
    if (p->session_cache) {
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_timeout(c, p->session_timeout > 0 ? p->session_timeout : 3600);
    } else {
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(c, 0);
    }
    vstr_free(ciphers);
    return ctx;
bad:
    vstr_free(ciphers);
    tls_ctx_free(ctx);
    return NULL;
}

TLS_CTX *tls_client_init(const TLS_CLIENT_PARAMS *p, VSTR *why)
{
    TLS_CTX *ctx = mem_calloc(1, sizeof(*ctx));
    SSL_CTX *c;
    int i;

    ctx->server = 0;
    for (i = 0; i < TLS_GRADE_COUNT; i++) {
        ctx->lists[i] = mem_strdup(p->cipherlists.list[i] ? p->cipherlists.list[i] : "");
        ctx->cipherlists.list[i] = ctx->lists[i];
    }
    if ((c = ctx->ssl_ctx = ctx_new(0, why)) == NULL)
        goto bad;
    if ((ctx->md = digest(p->fingerprint_digest, why)) == NULL)
        goto bad;
    if (load_certs(c, &p->certs, why) < 0)
        goto bad;
    if (load_CA(c, p->CAfile, p->CApath, why) < 0)
        goto bad;
    set_groups(c, p->eecdh_auto_curves);
    ctx->host_flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
    if (p->wildcard_multi_labels)
        ctx->host_flags |= X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS;
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, verify_cb);
    SSL_CTX_set_verify_depth(c, p->verifydepth > 0 ? p->verifydepth : 9);
    /* Client sessions are not resumed: there is no per-destination cache. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    return ctx;
bad:
    tls_ctx_free(ctx);
    return NULL;
}

void tls_ctx_free(TLS_CTX *ctx)
{
    int i;

    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    for (i = 0; i < TLS_GRADE_COUNT; i++)
        mem_free(ctx->lists[i]);
    mem_free(ctx);
}

/* ------------------------------------------------------------------ */
/* Waiting                                                              */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long tls_deadline(long ms)
{
    return now_ms() + (ms > 0 ? ms : 0);
}

/* wait_fd - wait until fd is ready or the deadline passes (-1, why set) */
static int wait_fd(TLS_SESS *s, int want, long long deadline)
{
    struct pollfd pfd;
    long long left;
    int r;

    for (;;) {
        int timeout = -1;

        if (deadline > 0) {
            left = deadline - now_ms();
            if (left <= 0) {
                vstr_set(s->why, "timed out");
                return -1;
            }
            timeout = left > 1000000 ? 1000000 : (int) left;
        }
        pfd.fd = s->fd;
        pfd.events = want == TLS_WANT_WRITE ? POLLOUT : POLLIN;
        pfd.revents = 0;
        r = poll(&pfd, 1, timeout);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR) {
            vstr_sprintf(s->why, "poll: %s", strerror(errno));
            return -1;
        }
    }
}

/* ssl_result - map an OpenSSL result to TLS_WANT_* or TLS_ERROR (why set) */
static int ssl_result(TLS_SESS *s, int r)
{
    int err = SSL_get_error(s->ssl, r);
    unsigned long e;

    switch (err) {
    case SSL_ERROR_WANT_READ:
        return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        vstr_set(s->why, "lost connection");
        break;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
            vstr_set(s->why, "lost connection");
        else
            vstr_set(s->why, strerror(errno));
        ERR_clear_error();
        break;
    default:
        e = ERR_peek_error();
        if (ERR_GET_LIB(e) == ERR_LIB_SSL
            && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            vstr_set(s->why, "lost connection");
            ERR_clear_error();
        } else {
            vstr_reset(s->why);
            ssl_reason(s->why, "TLS protocol error");
        }
        break;
    }
    return TLS_ERROR;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                             */

static TLS_SESS *sess_new(TLS_CTX *ctx, int fd, const char *namaddr, VSTR *why)
{
    TLS_SESS *s;
    int flags;

    if (ctx == NULL)
        msg_panic("tls: session without a context");
    if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        vstr_sprintf(why, "fcntl: %s", strerror(errno));
        return NULL;
    }
    s = mem_calloc(1, sizeof(*s));
    s->ctx = ctx;
    s->fd = fd;
    s->level = -1;
    s->why = vstr_new(0);
    s->info.server = ctx->server;
    s->info.namaddr = mem_strdup(namaddr ? namaddr : "unknown[unknown]");
    str_printable(s->info.namaddr, 0);
    str_lower(s->info.namaddr); /* Postfix logs host names in lower case */
    ERR_clear_error();
    if ((s->ssl = SSL_new(ctx->ssl_ctx)) == NULL || SSL_set_fd(s->ssl, fd) != 1) {
        vstr_set(why, "cannot create a TLS session: ");
        ssl_reason(why, "error");
        tls_free(s);
        return NULL;
    }
    SSL_set_app_data(s->ssl, s);
    return s;
}

TLS_SESS *tls_server_new(TLS_CTX *ctx, int fd, const char *namaddr, VSTR *why)
{
    TLS_SESS *s;

    if (ctx && !ctx->server)
        msg_panic("tls_server_new: a client context");
    if ((s = sess_new(ctx, fd, namaddr, why)) == NULL)
        return NULL;
    s->info.ccert_requested = ctx->ask_ccert;
    SSL_set_accept_state(s->ssl);
    return s;
}

TLS_SESS *tls_client_new(TLS_CTX *ctx, int fd, const TLS_CLIENT_PROPS *props, VSTR *why)
{
    TLS_SESS *s;
    VSTR *tmp = NULL;
    unsigned mask;
    int min, max, grade;
    long no_ops;
    const char *match;

    if (ctx && ctx->server)
        msg_panic("tls_client_new: a server context");
    if (props->level <= TLS_LEV_NONE || props->level > TLS_LEV_SECURE) {
        vstr_sprintf(why, "TLS security level \"%s\": no TLS", tls_level_name(props->level));
        return NULL;
    }
    if (props->level == TLS_LEV_DANE || props->level == TLS_LEV_DANE_ONLY
        || props->level == TLS_LEV_HALF_DANE) {
        vstr_sprintf(why, "TLS security level \"%s\" is not supported yet",
                     tls_level_name(props->level));
        return NULL;
    }
    if ((s = sess_new(ctx, fd, props->namaddr, why)) == NULL)
        return NULL;
    s->level = props->level;
    SSL_set_connect_state(s->ssl);
    tmp = vstr_new(0);
    if (tls_protocols_parse(props->protocols ? props->protocols : "", &mask, why) < 0)
        goto bad;
    if (tls_protocols_range(mask, &min, &max, &no_ops) < 0) {
        vstr_sprintf(why, "invalid TLS protocol list: \"%s\"", props->protocols);
        goto bad;
    }
    if (cipher_string(props->ciphers ? props->ciphers : "medium", props->exclude_ciphers,
                      props->mandatory_exclude_ciphers, &ctx->cipherlists, tmp, &grade,
                      why) < 0)
        goto bad;
    if (grade == TLS_GRADE_NULL && max > TLS1_2_VERSION)
        max = TLS1_2_VERSION;
    SSL_set_options(s->ssl, (uint64_t) no_ops);
    if (SSL_set_min_proto_version(s->ssl, min) != 1
        || SSL_set_max_proto_version(s->ssl, max) != 1) {
        vstr_sprintf(why, "cannot set TLS protocols \"%s\"", props->protocols);
        goto bad;
    }
    ERR_clear_error();
    if (SSL_set_cipher_list(s->ssl, vstr_str(tmp)) != 1) {
        vstr_sprintf(why, "invalid TLS cipher list: \"%s\"", vstr_str(tmp));
        ERR_clear_error();
        goto bad;
    }
    if (tls_servername(props->servername, props->host, props->nexthop, tmp, why) < 0)
        goto bad;
    if (vstr_len(tmp) && SSL_set_tlsext_host_name(s->ssl, vstr_str(tmp)) != 1) {
        vstr_sprintf(why, "cannot set SNI name \"%s\"", vstr_str(tmp));
        ERR_clear_error();
        goto bad;
    }
    s->match = argv_new();
    match = props->match;
    if (props->level == TLS_LEV_FPRINT) {
        if (tls_fprint_list(match ? match : "", s->match, why) < 0)
            goto bad;
        if (s->match->argc == 0) {
            vstr_set(why, "TLS security level \"fingerprint\" without fingerprints");
            goto bad;
        }
    } else if (props->level >= TLS_LEV_VERIFY) {
        if (match == NULL || *match == 0)
            match = props->level == TLS_LEV_SECURE ? "nexthop, dot-nexthop" : "hostname";
        if (tls_match_names(match, props->host, props->nexthop, s->match, why) < 0)
            goto bad;
    }
    vstr_free(tmp);
    return s;
bad:
    vstr_free(tmp);
    tls_free(s);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* What was negotiated                                                  */

/* name_entry - the printable text of a name's first NID entry, or "" */
static char *name_entry(const X509_NAME *name, int nid)
{
    int i = name ? X509_NAME_get_index_by_NID(name, nid, -1) : -1;
    unsigned char *utf8 = NULL;
    char *text;
    int len;

    if (i < 0)
        return NULL;
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len < 0)
        return NULL;
    text = mem_strndup((const char *) utf8, (size_t) len > TLS_CN_MAX ? TLS_CN_MAX : (size_t) len);
    OPENSSL_free(utf8);
    str_printable(text, 1);
    return text;
}

static char *fprint(const EVP_MD *md, const unsigned char *der, size_t len)
{
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    VSTR *v = vstr_new(0);

    if (EVP_Digest(der, len, buf, &n, md, NULL) == 1)
        tls_fprint_format(buf, n, v);
    return vstr_export(v);
}

static void peer_cert_info(TLS_SESS *s, X509 *peer)
{
    TLS_INFO *i = &s->info;
    unsigned char *der = NULL;
    int len;
    char *cn;

    cn = name_entry(X509_get_subject_name(peer), NID_commonName);
    i->peer_CN = cn ? cn : mem_strdup("");
    cn = name_entry(X509_get_issuer_name(peer), NID_commonName);
    if (cn == NULL)
        cn = name_entry(X509_get_issuer_name(peer), NID_organizationName);
    i->issuer_CN = cn ? cn : mem_strdup("");
    if ((len = i2d_X509(peer, &der)) > 0)
        i->peer_cert_fprint = fprint(s->ctx->md, der, (size_t) len);
    OPENSSL_free(der);
    der = NULL;
    if ((len = i2d_PUBKEY(X509_get0_pubkey(peer), &der)) > 0)
        i->peer_pkey_fprint = fprint(s->ctx->md, der, (size_t) len);
    OPENSSL_free(der);
}

/* key_curve - the NIST name of an EC key's curve, else its short name */
static char *key_curve(const EVP_PKEY *pkey)
{
    char group[80];
    size_t len = 0;
    int nid;
    const char *name;

    if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1)
        return NULL;
    nid = OBJ_txt2nid(group);
    if (nid != NID_undef && (name = EC_curve_nid2nist(nid)) != NULL)
        return mem_strdup(name);
    return mem_strdup(group);
}

/* pkey_name - OpenSSL's short name of a key type ("X25519", "ED25519") */
static char *pkey_name(const EVP_PKEY *pkey)
{
    int id = EVP_PKEY_get_base_id(pkey);
    const char *name = id != NID_undef ? OBJ_nid2sn(id) : NULL;

    if (name == NULL)
        name = EVP_PKEY_get0_type_name(pkey);
    return mem_strdup(name ? name : "unknown");
}

/* sig_params - name, curve or bits of the key that signs for one side */
static void sig_params(const EVP_PKEY *pkey, char **name, char **curve, int *bits)
{
    if (pkey == NULL)
        return;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        *name = mem_strdup("RSA-PSS"); /* TLS 1.3 signs with PSS */
        *bits = EVP_PKEY_get_bits(pkey);
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        *name = mem_strdup("ECDSA");
        *curve = key_curve(pkey);
    } else {
        *name = pkey_name(pkey);
    }
}

static char *digest_name(int ok, int nid)
{
    return ok && nid != NID_undef && OBJ_nid2sn(nid) ? mem_strdup(OBJ_nid2sn(nid)) : NULL;
}

/* tls13_params - key exchange and signatures (Postfix logs them for 1.3) */
static void tls13_params(TLS_SESS *s, X509 *peer)
{
    TLS_INFO *i = &s->info;
    EVP_PKEY *kex = NULL;
    int nid = NID_undef, ok;
    int srv = s->ctx->server;
    X509 *local;

    if (SSL_version(s->ssl) < TLS1_3_VERSION)
        return;
    if (SSL_get_peer_tmp_key(s->ssl, &kex) == 1 || SSL_get_tmp_key(s->ssl, &kex) == 1) {
        if (EVP_PKEY_is_a(kex, "EC")) {
            i->kex_name = mem_strdup("ECDHE");
            i->kex_curve = key_curve(kex);
        } else if (EVP_PKEY_is_a(kex, "DH")) {
            i->kex_name = mem_strdup("DHE");
            i->kex_bits = EVP_PKEY_get_bits(kex);
        } else {
            i->kex_name = pkey_name(kex);
        }
        EVP_PKEY_free(kex);
    }
    /* Our own signature: the server always signs, a client only with a cert. */
    ok = SSL_get_signature_nid(s->ssl, &nid);
    if (srv || ok) {
        local = SSL_get_certificate(s->ssl);
        if (local != NULL) {
            if (srv)
                sig_params(X509_get0_pubkey(local), &i->srvr_sig_name, &i->srvr_sig_curve,
                           &i->srvr_sig_bits);
            else
                sig_params(X509_get0_pubkey(local), &i->clnt_sig_name, &i->clnt_sig_curve,
                           &i->clnt_sig_bits);
            if (srv)
                i->srvr_sig_dgst = digest_name(ok, nid);
            else
                i->clnt_sig_dgst = digest_name(ok, nid);
        }
    }
    if (peer != NULL) {
        ok = SSL_get_peer_signature_nid(s->ssl, &nid);
        if (srv) {
            sig_params(X509_get0_pubkey(peer), &i->clnt_sig_name, &i->clnt_sig_curve,
                       &i->clnt_sig_bits);
            i->clnt_sig_dgst = digest_name(ok, nid);
        } else {
            sig_params(X509_get0_pubkey(peer), &i->srvr_sig_name, &i->srvr_sig_curve,
                       &i->srvr_sig_bits);
            i->srvr_sig_dgst = digest_name(ok, nid);
        }
    }
}

/* fprint_match - is the certificate or key digest in the list? */
static int fprint_match(const TLS_SESS *s)
{
    size_t j;

    for (j = 0; j < s->match->argc; j++) {
        if (s->info.peer_cert_fprint && strcmp(s->match->argv[j], s->info.peer_cert_fprint) == 0)
            return 1;
        if (s->info.peer_pkey_fprint && strcmp(s->match->argv[j], s->info.peer_pkey_fprint) == 0)
            return 1;
    }
    return 0;
}

static int name_match(const TLS_SESS *s, X509 *peer)
{
    size_t j;

    for (j = 0; j < s->match->argc; j++)
        if (X509_check_host(peer, s->match->argv[j], 0, s->ctx->host_flags, NULL) == 1)
            return 1;
    return 0;
}

/* finish - collect what was negotiated and apply the verification policy */
static int finish(TLS_SESS *s)
{
    TLS_INFO *i = &s->info;
    const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
    X509 *peer = SSL_get1_peer_certificate(s->ssl);
    long vr;
    int ret = TLS_DONE;

    i->protocol = SSL_get_version(s->ssl);
    i->reused = SSL_session_reused(s->ssl);
    i->cipher = c ? SSL_CIPHER_get_name(c) : "unknown";
    i->cipher_usebits = c ? SSL_CIPHER_get_bits(c, &i->cipher_algbits) : 0;
    tls13_params(s, peer);
    vr = SSL_get_verify_result(s->ssl);
    if (s->verify_error == 0 && vr != X509_V_OK)
        s->verify_error = (int) vr;
    i->verify_error = s->verify_error;
    i->verify_text = mem_strdup(s->verify_error
                                    ? X509_verify_cert_error_string(s->verify_error)
                                    : "");
    if (peer == NULL) {
        i->status = TLS_PEER_ANONYMOUS;
        i->peer_CN = mem_strdup("");
        i->issuer_CN = mem_strdup("");
        i->peer_cert_fprint = mem_strdup("");
        i->peer_pkey_fprint = mem_strdup("");
    } else {
        peer_cert_info(s, peer);
        if (i->peer_cert_fprint == NULL)
            i->peer_cert_fprint = mem_strdup("");
        if (i->peer_pkey_fprint == NULL)
            i->peer_pkey_fprint = mem_strdup("");
        i->status = s->verify_error == 0 ? TLS_PEER_TRUSTED : TLS_PEER_UNTRUSTED;
    }
    if (s->ctx->server) {
        if (s->ctx->req_ccert && i->status < TLS_PEER_TRUSTED) {
            vstr_set(s->why, peer ? "client certificate not trusted" : "no client certificate");
            ret = TLS_ERROR;
        }
    } else if (s->level == TLS_LEV_FPRINT) {
        if (peer != NULL && fprint_match(s)) {
            i->status = TLS_PEER_VERIFIED;
        } else {
            vstr_set(s->why, "Server certificate not verified");
            ret = TLS_ERROR;
        }
    } else if (s->level >= TLS_LEV_VERIFY) {
        if (i->status < TLS_PEER_TRUSTED) {
            if (peer != NULL)
                msg_info("server certificate verification failed for %s: num=%d:%s",
                         i->namaddr, s->verify_error, i->verify_text);
            vstr_set(s->why, "Server certificate not trusted");
            ret = TLS_ERROR;
        } else if (name_match(s, peer)) {
            i->status = TLS_PEER_VERIFIED;
        } else {
            msg_info("server certificate verification failed for %s: subject_CN=%s",
                     i->namaddr, i->peer_CN);
            vstr_set(s->why, "Server certificate not verified");
            ret = TLS_ERROR;
        }
    }
    X509_free(peer);
    s->done = 1;
    return ret;
}

int tls_handshake(TLS_SESS *s)
{
    int r;

    if (s->done)
        return TLS_DONE;
    ERR_clear_error();
    errno = 0;
    if ((r = SSL_do_handshake(s->ssl)) == 1)
        return finish(s);
    return ssl_result(s, r);
}

/* start - the handshake in blocking style */
static TLS_SESS *start(TLS_SESS *s, long long deadline, VSTR *why)
{
    int r;

    while ((r = tls_handshake(s)) != TLS_DONE) {
        if (r == TLS_ERROR || wait_fd(s, r, deadline) < 0) {
            vstr_set(why, vstr_str(s->why));
            tls_free(s);
            return NULL;
        }
    }
    return s;
}

TLS_SESS *tls_server_start(TLS_CTX *ctx, int fd, const char *namaddr, long long deadline,
                           VSTR *why)
{
    TLS_SESS *s = tls_server_new(ctx, fd, namaddr, why);

    return s ? start(s, deadline, why) : NULL;
}

TLS_SESS *tls_client_start(TLS_CTX *ctx, int fd, const TLS_CLIENT_PROPS *props,
                           long long deadline, VSTR *why)
{
    TLS_SESS *s = tls_client_new(ctx, fd, props, why);

    return s ? start(s, deadline, why) : NULL;
}

/* ------------------------------------------------------------------ */
/* I/O                                                                  */

ssize_t tls_read_nb(TLS_SESS *s, void *buf, size_t len)
{
    size_t n = 0;
    int r;

    if (!s->done)
        msg_panic("tls_read: handshake not done");
    ERR_clear_error();
    errno = 0;
    if ((r = SSL_read_ex(s->ssl, buf, len, &n)) == 1)
        return (ssize_t) n;
    if (SSL_get_error(s->ssl, r) == SSL_ERROR_ZERO_RETURN)
        return 0;
    return ssl_result(s, r);
}

ssize_t tls_write_nb(TLS_SESS *s, const void *buf, size_t len)
{
    size_t n = 0;
    int r;

    if (!s->done)
        msg_panic("tls_write: handshake not done");
    if (len == 0)
        return 0;
    ERR_clear_error();
    errno = 0;
    if ((r = SSL_write_ex(s->ssl, buf, len, &n)) == 1)
        return (ssize_t) n;
    return ssl_result(s, r);
}

ssize_t tls_read(TLS_SESS *s, void *buf, size_t len, long long deadline)
{
    ssize_t r;

    while ((r = tls_read_nb(s, buf, len)) < 0) {
        if (r == TLS_ERROR || wait_fd(s, (int) r, deadline) < 0)
            return -1;
    }
    return r;
}

ssize_t tls_write(TLS_SESS *s, const void *buf, size_t len, long long deadline)
{
    const char *cp = buf;
    size_t done = 0;
    ssize_t r;

    while (done < len) {
        r = tls_write_nb(s, cp + done, len - done);
        if (r > 0)
            done += (size_t) r;
        else if (r == TLS_ERROR || wait_fd(s, (int) r, deadline) < 0)
            return -1;
    }
    return (ssize_t) len;
}

size_t tls_pending(TLS_SESS *s)
{
    int n = SSL_pending(s->ssl);

    return n > 0 ? (size_t) n : 0;
}

int tls_shutdown(TLS_SESS *s, long long deadline)
{
    int r;

    if (!s->done)
        return -1;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        /* 0: our close_notify went out; we do not wait for the peer's. */
        if ((r = SSL_shutdown(s->ssl)) >= 0)
            return 0;
        r = ssl_result(s, r);
        if (r == TLS_ERROR || wait_fd(s, r, deadline) < 0)
            return -1;
    }
}

void tls_free(TLS_SESS *s)
{
    TLS_INFO *i;

    if (s == NULL)
        return;
    i = &s->info;
    SSL_free(s->ssl);
    argv_free(s->match);
    vstr_free(s->why);
    mem_free(i->namaddr);
    mem_free(i->kex_name);
    mem_free(i->kex_curve);
    mem_free(i->srvr_sig_name);
    mem_free(i->srvr_sig_curve);
    mem_free(i->srvr_sig_dgst);
    mem_free(i->clnt_sig_name);
    mem_free(i->clnt_sig_curve);
    mem_free(i->clnt_sig_dgst);
    mem_free(i->peer_CN);
    mem_free(i->issuer_CN);
    mem_free(i->peer_cert_fprint);
    mem_free(i->peer_pkey_fprint);
    mem_free(i->verify_text);
    mem_free(s);
}

/* ------------------------------------------------------------------ */
/* Reporting                                                            */

const TLS_INFO *tls_info(const TLS_SESS *s)
{
    return &s->info;
}

const char *tls_why(const TLS_SESS *s)
{
    return vstr_str(s->why);
}

const char *tls_status_name(int status)
{
    switch (status) {
    case TLS_PEER_ANONYMOUS:
        return "Anonymous";
    case TLS_PEER_UNTRUSTED:
        return "Untrusted";
    case TLS_PEER_TRUSTED:
        return "Trusted";
    case TLS_PEER_VERIFIED:
        return "Verified";
    }
    return "Unknown";
}

/* add_sig - " <role>-signature NAME (CURVE|N bits) <role>-digest D" */
static void add_sig(VSTR *out, const char *role, const char *name, const char *curve, int bits,
                    const char *dgst)
{
    if (name == NULL || *name == 0)
        return;
    vstr_printf(out, " %s-signature %s", role, name);
    if (curve && *curve)
        vstr_printf(out, " (%s)", curve);
    else if (bits > 0)
        vstr_printf(out, " (%d bits)", bits);
    if (dgst && *dgst)
        vstr_printf(out, " %s-digest %s", role, dgst);
}

/* add_details - key exchange and signatures, each with a leading space */
static void add_details(const TLS_INFO *i, VSTR *out)
{
    if (i->kex_name && *i->kex_name) {
        vstr_printf(out, " key-exchange %s", i->kex_name);
        if (i->kex_curve && *i->kex_curve)
            vstr_printf(out, " (%s)", i->kex_curve);
        else if (i->kex_bits > 0)
            vstr_printf(out, " (%d bits)", i->kex_bits);
    }
    add_sig(out, "server", i->srvr_sig_name, i->srvr_sig_curve, i->srvr_sig_bits,
            i->srvr_sig_dgst);
    add_sig(out, "client", i->clnt_sig_name, i->clnt_sig_curve, i->clnt_sig_bits,
            i->clnt_sig_dgst);
}

void tls_summary(const TLS_SESS *s, VSTR *out)
{
    const TLS_INFO *i = &s->info;

    vstr_sprintf(out, "%s TLS connection established %s %s: %s with cipher %s (%d/%d bits)",
                 tls_status_name(i->status), i->server ? "from" : "to", i->namaddr,
                 i->protocol ? i->protocol : "unknown", i->cipher ? i->cipher : "unknown",
                 i->cipher_usebits, i->cipher_algbits);
    add_details(i, out);
}

void tls_log_summary(const TLS_SESS *s)
{
    VSTR *v = vstr_new(0);

    tls_summary(s, v);
    msg_info("%s", vstr_str(v));
    vstr_free(v);
}

void tls_received_comment(const TLS_SESS *s, VSTR *out)
{
    const TLS_INFO *i = &s->info;
    VSTR *det = vstr_new(0);

    vstr_sprintf(out, "(using %s with cipher %s (%d/%d bits)", i->protocol ? i->protocol : "",
                 i->cipher ? i->cipher : "", i->cipher_usebits, i->cipher_algbits);
    add_details(i, det);
    if (vstr_len(det))
        vstr_printf(out, "\n\t%s", vstr_str(det));
    vstr_addch(out, ')');
    if (i->server) {
        if (i->status != TLS_PEER_ANONYMOUS)
            vstr_printf(out, "\n\t(Client CN \"%s\", Issuer \"%s\" (%s))", i->peer_CN,
                        i->issuer_CN, i->status >= TLS_PEER_TRUSTED ? "verified OK"
                                                                    : "not verified");
        else if (i->ccert_requested)
            vstr_adds(out, "\n\t(Client did not present a certificate)");
        else
            vstr_adds(out, "\n\t(No client certificate requested)");
    }
    vstr_free(det);
}

/* ------------------------------------------------------------------ */
/* STARTTLS hygiene                                                     */

ssize_t tls_fd_pending(int fd)
{
    int n = 0;

    if (ioctl(fd, FIONREAD, &n) < 0)
        return -1;
    return n;
}

ssize_t tls_fd_drain(int fd)
{
    char buf[4096];
    ssize_t total = 0, r;

    while (total < TLS_DRAIN_MAX) {
        r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r > 0) {
            total += r;
        } else if (r == 0) {
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            return -1;
        }
    }
    return total;
}
