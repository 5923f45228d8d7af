/*
 * Unit tests for lib/net/tls_policy (protocol lists, cipher grades and
 * exclusions, levels, certificate match lists, SNI, fingerprints), including
 * malformed and oversized input, and for the parts of lib/net/tls that need
 * no peer: context set-up errors and the STARTTLS helpers on a socket pair.
 * The handshakes against openssl s_client/s_server are in test/e2e/tls*.sh.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "argv.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "tls.h"
#include "tls_policy.h"
#include "vstr.h"
#include "tap.h"

static const struct {
    const char *spec;
    int ok;
    unsigned mask;
} proto_cases[] = {
    {"", 1, TLS_PROTO_ALL},
    {">=TLSv1", 1, TLS_PROTO_TLSv1 | TLS_PROTO_TLSv1_1 | TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3},
    {">=TLSv1.2", 1, TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3},
    {"<=TLSv1.2", 1, TLS_PROTO_SSLv2 | TLS_PROTO_SSLv3 | TLS_PROTO_TLSv1 | TLS_PROTO_TLSv1_1
                         | TLS_PROTO_TLSv1_2},
    {">=TLSv1.1 <=TLSv1.2", 1, TLS_PROTO_TLSv1_1 | TLS_PROTO_TLSv1_2},
    {"!SSLv2, !SSLv3, !TLSv1", 1, TLS_PROTO_TLSv1_1 | TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3},
    {"!SSLv2:!SSLv3:!TLSv1:!TLSv1.1", 1, TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3},
    {"TLSv1.2 TLSv1.3", 1, TLS_PROTO_TLSv1_2 | TLS_PROTO_TLSv1_3},
    {"tlsv1.3", 1, TLS_PROTO_TLSv1_3},
    {"TLSv1, TLSv1.2, !TLSv1", 1, TLS_PROTO_TLSv1_2},
    {">=TLSv1.2, !TLSv1.3", 1, TLS_PROTO_TLSv1_2},
    {"  ,, >=TLSv1.3 ,", 1, TLS_PROTO_TLSv1_3},
    {"TLSv1.4", 0, 0},
    {"!TLSv9", 0, 0},
    {">=", 0, 0},
    {"!", 0, 0},
    {"=>TLSv1.2", 0, 0},
    {">TLSv1.2", 0, 0},
    {">=TLSv1.3 <=TLSv1.2", 0, 0},
    {"!TLSv1 !TLSv1.1 !TLSv1.2 !TLSv1.3", 0, 0},
    {"SSLv3", 0, 0},
    {"TLSv1.2;TLSv1.3", 0, 0},
};

static void test_protocols(void)
{
    VSTR *why = vstr_new(0), *s = vstr_new(0), *big = vstr_new(0);
    unsigned mask;
    size_t i;
    int min, max, r;
    long no_ops;

    for (i = 0; i < sizeof(proto_cases) / sizeof(proto_cases[0]); i++) {
        mask = 0;
        vstr_reset(why);
        r = tls_protocols_parse(proto_cases[i].spec, &mask, why);
        TAP_INT(r, proto_cases[i].ok ? 0 : -1, "protocols \"%s\": %s", proto_cases[i].spec,
                proto_cases[i].ok ? "accepted" : "rejected");
        if (proto_cases[i].ok)
            TAP_STR(tls_protocols_str(mask, s), tls_protocols_str(proto_cases[i].mask, why),
                    "protocols \"%s\": mask", proto_cases[i].spec);
        else
            TAP_OK(strstr(vstr_str(why), "TLS protocol list") != NULL, "reason: %s",
                   vstr_str(why));
    }

    /* Ranges and holes. */
    tls_protocols_parse(">=TLSv1.2", &mask, why);
    TAP_INT(tls_protocols_range(mask, &min, &max, &no_ops), 0, ">=TLSv1.2 has a range");
    TAP_INT(min, TLS1_2_VERSION, ">=TLSv1.2: min TLSv1.2");
    TAP_INT(max, TLS1_3_VERSION, ">=TLSv1.2: max TLSv1.3");
    TAP_INT(no_ops, 0, ">=TLSv1.2: no holes");
    tls_protocols_parse("TLSv1 TLSv1.2", &mask, why);
    tls_protocols_range(mask, &min, &max, &no_ops);
    TAP_INT(min, TLS1_VERSION, "TLSv1 TLSv1.2: min TLSv1");
    TAP_INT(max, TLS1_2_VERSION, "TLSv1 TLSv1.2: max TLSv1.2");
    TAP_INT(no_ops, (long) SSL_OP_NO_TLSv1_1, "TLSv1 TLSv1.2: hole TLSv1.1");
    tls_protocols_parse("!SSLv2, !SSLv3, !TLSv1", &mask, why);
    tls_protocols_range(mask, &min, &max, &no_ops);
    TAP_INT(min, TLS1_1_VERSION, "!SSLv2, !SSLv3, !TLSv1: min TLSv1.1");
    TAP_INT(tls_protocols_range(TLS_PROTO_SSLv2, &min, &max, &no_ops), -1,
            "SSLv2 alone has no range");

    /* Oversized input. */
    for (i = 0; i < 5000; i++)
        vstr_addch(big, i % 8 == 7 ? ' ' : 'x');
    TAP_INT(tls_protocols_parse(vstr_str(big), &mask, why), -1, "oversized list rejected");
    TAP_OK(strstr(vstr_str(why), "longer than") != NULL, "oversized reason: %s", vstr_str(why));
    vstr_reset(big);
    for (i = 0; i < 300; i++)
        vstr_addch(big, 'T');
    TAP_INT(tls_protocols_parse(vstr_str(big), &mask, why), -1, "oversized word rejected");
    vstr_reset(big);
    for (i = 0; i < 101; i++)
        vstr_adds(big, "TLSv1.2 ");
    TAP_INT(tls_protocols_parse(vstr_str(big), &mask, why), -1, "too many words rejected");
    vstr_free(big);
    vstr_free(s);
    vstr_free(why);
}

static void test_ciphers(void)
{
    TLS_CIPHERLISTS lists;
    VSTR *out = vstr_new(0), *why = vstr_new(0);
    static const char *bad[] = {"!RC4", "+RC4", "-RC4", "@STRENGTH", "RC4;rm", "a/b",
                                "DES\"x"};
    size_t i;

    tls_cipherlists_default(&lists);
    TAP_INT(tls_grade_parse("medium"), TLS_GRADE_MEDIUM, "grade medium");
    TAP_INT(tls_grade_parse("HIGH"), TLS_GRADE_HIGH, "grade HIGH (case)");
    TAP_INT(tls_grade_parse("export"), TLS_GRADE_EXPORT, "grade export");
    TAP_INT(tls_grade_parse("low"), TLS_GRADE_LOW, "grade low");
    TAP_INT(tls_grade_parse("null"), TLS_GRADE_NULL, "grade null");
    TAP_INT(tls_grade_parse("strong"), -1, "grade strong is not one");
    TAP_INT(tls_grade_parse(""), -1, "empty grade");
    TAP_STR(tls_grade_name(TLS_GRADE_HIGH), "high", "grade name");

    TAP_INT(tls_cipherlist_build(TLS_GRADE_HIGH, "", &lists, out, why), 0, "high, no exclusions");
    TAP_STR(vstr_str(out), "aNULL:-aNULL:HIGH:@STRENGTH", "high list");
    TAP_INT(tls_cipherlist_build(TLS_GRADE_MEDIUM, "aNULL, RC4 : MD5  DES", &lists, out, why),
            0, "medium with exclusions");
    TAP_STR(vstr_str(out), "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:!aNULL:!RC4:!MD5:!DES",
            "exclusions appended as :!name");
    TAP_INT(tls_cipherlist_build(TLS_GRADE_NULL, NULL, &lists, out, why), 0, "null grade");
    TAP_STR(vstr_str(out), "eNULL:!aNULL", "null list");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        TAP_INT(tls_cipherlist_build(TLS_GRADE_HIGH, bad[i], &lists, out, why), -1,
                "exclusion \"%s\" rejected", bad[i]);
    }
    TAP_OK(strstr(vstr_str(why), "invalid TLS cipher exclusion") != NULL, "reason: %s",
           vstr_str(why));
    TAP_INT(tls_cipherlist_build(-1, "", &lists, out, why), -1, "bad grade number");
    TAP_INT(tls_cipherlist_build(TLS_GRADE_COUNT, "", &lists, out, why), -1, "grade past end");
    lists.list[TLS_GRADE_LOW] = "";
    TAP_INT(tls_cipherlist_build(TLS_GRADE_LOW, "", &lists, out, why), -1, "empty base list");
    TAP_STR(vstr_str(why), "empty tls_low_cipherlist", "empty base list reason");
    vstr_free(out);
    vstr_free(why);
}

static void test_levels(void)
{
    static const char *names[] = {"none", "may", "encrypt", "fingerprint", "dane", "dane-only",
                                  "verify", "secure"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        TAP_STR(tls_level_name(tls_level_parse(names[i])), names[i], "level %s round trip",
                names[i]);
    TAP_INT(tls_level_parse("Verify"), TLS_LEV_VERIFY, "level case-insensitive");
    TAP_INT(tls_level_parse("required"), -1, "unknown level");
    TAP_INT(tls_level_parse(""), -1, "empty level");
    TAP_OK(TLS_LEV_SECURE > TLS_LEV_VERIFY && TLS_LEV_VERIFY > TLS_LEV_ENCRYPT
               && TLS_LEV_ENCRYPT > TLS_LEV_MAY && TLS_LEV_MAY > TLS_LEV_NONE,
           "levels ordered as Postfix's");
}

static void test_names(void)
{
    ARGV *names = argv_new();
    VSTR *why = vstr_new(0), *out = vstr_new(0), *big = vstr_new(0);
    size_t i;

    TAP_INT(tls_match_names("nexthop, dot-nexthop", "mx1.example.com", "example.com", names,
                            why), 0, "secure default");
    TAP_INT(names->argc, 2, "two names");
    TAP_STR(names->argv[0], "example.com", "nexthop");
    TAP_STR(names->argv[1], ".example.com", "dot-nexthop");
    argv_truncate(names, 0);
    TAP_INT(tls_match_names("hostname", "MX1.example.com.", "example.com", names, why), 0,
            "hostname");
    TAP_STR(names->argv[0], "MX1.example.com", "hostname without trailing dot");
    argv_truncate(names, 0);
    TAP_INT(tls_match_names("hostname:.example.net mail.example.org", "mx", "d", names, why), 0,
            "literal names");
    TAP_INT(names->argc, 3, "three names");
    TAP_STR(names->argv[1], ".example.net", "literal subdomain pattern");
    TAP_STR(names->argv[2], "mail.example.org", "literal name");
    argv_truncate(names, 0);
    TAP_INT(tls_match_names("", "mx", "d", names, why), -1, "empty match list");
    TAP_INT(tls_match_names("hostname", NULL, "d", names, why), -1, "hostname without host");
    TAP_INT(tls_match_names("nexthop", "mx", "", names, why), -1, "nexthop without nexthop");
    TAP_INT(tls_match_names("bad_name!", "mx", "d", names, why), -1, "invalid literal");
    TAP_INT(tls_match_names("..", "mx", "d", names, why), -1, "dots only");
    TAP_INT(tls_match_names("a..b", "mx", "d", names, why), -1, "empty label");
    for (i = 0; i < 70; i++)
        vstr_addch(big, 'a');
    vstr_adds(big, ".com");
    TAP_INT(tls_match_names(vstr_str(big), "mx", "d", names, why), -1, "64+ byte label");
    argv_free(names);

    TAP_INT(tls_servername("", "mx", "d", out, why), 0, "no SNI");
    TAP_INT(vstr_len(out), 0, "no SNI: empty");
    TAP_INT(tls_servername("hostname", "mx.example.com", "example.com", out, why), 0,
            "SNI hostname");
    TAP_STR(vstr_str(out), "mx.example.com", "SNI hostname value");
    TAP_INT(tls_servername("nexthop", "mx.example.com", "example.com", out, why), 0,
            "SNI nexthop");
    TAP_STR(vstr_str(out), "example.com", "SNI nexthop value");
    TAP_INT(tls_servername("smtp.example.net", "mx", "d", out, why), 0, "SNI literal");
    TAP_STR(vstr_str(out), "smtp.example.net", "SNI literal value");
    TAP_INT(tls_servername("hostname", NULL, "d", out, why), -1, "SNI hostname without host");
    TAP_INT(tls_servername("not a name", "mx", "d", out, why), -1, "SNI invalid literal");
    TAP_INT(tls_servername(vstr_str(big), "mx", "d", out, why), -1, "SNI over-long label");
    vstr_free(big);
    vstr_free(why);
    vstr_free(out);
}

static void test_fprints(void)
{
    ARGV *list = argv_new();
    VSTR *why = vstr_new(0), *out = vstr_new(0);
    static const unsigned char md[] = {0x00, 0xab, 0x7f, 0xff};

    tls_fprint_format(md, sizeof(md), out);
    TAP_STR(vstr_str(out), "00:AB:7F:FF", "fingerprint format");
    TAP_INT(tls_fprint_list("ab:cd:EF, 0123|4567 89", list, why), 0, "fingerprint list");
    TAP_INT(list->argc, 4, "four fingerprints");
    TAP_STR(list->argv[0], "AB:CD:EF", "upper case with colons");
    TAP_STR(list->argv[1], "01:23", "colons inserted");
    TAP_STR(list->argv[3], "89", "short one");
    argv_truncate(list, 0);
    TAP_INT(tls_fprint_list("ABC", list, why), -1, "odd digit count");
    TAP_INT(tls_fprint_list("AB:CG", list, why), -1, "non-hex digit");
    TAP_INT(tls_fprint_list(":::", list, why), -1, "colons only");
    TAP_OK(strstr(vstr_str(why), "invalid TLS fingerprint") != NULL, "reason: %s",
           vstr_str(why));
    TAP_INT(tls_fprint_list("", list, why), 0, "empty list is no error");
    TAP_INT(list->argc, 0, "empty list is empty");
    argv_free(list);
    vstr_free(why);
    vstr_free(out);
}

static void test_contexts(void)
{
    TLS_SERVER_PARAMS sp;
    TLS_CLIENT_PARAMS cp;
    TLS_CTX *ctx;
    VSTR *why = vstr_new(0);

    tls_server_params_init(&sp);
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL, "server without certificate refused");
    TAP_OK(strstr(vstr_str(why), "no server certificate") != NULL, "reason: %s", vstr_str(why));

    sp.certs.cert_file = "/nonexistent/cert.pem";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "/nonexistent/cert.pem") != NULL,
           "missing cert file named: %s", vstr_str(why));
    sp.certs.cert_file = "";
    sp.certs.key_file = "/k.pem";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "without a certificate") != NULL,
           "key without cert: %s", vstr_str(why));
    sp.certs.key_file = "";
    sp.certs.chain_files = "/nonexistent/chain.pem";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "chain.pem") != NULL, "missing chain file: %s",
           vstr_str(why));
    sp.certs.chain_files = "";

    sp.protocols = "TLSv2";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "TLSv2") != NULL, "bad protocols: %s",
           vstr_str(why));
    sp.protocols = ">=TLSv1.2";
    sp.ciphers = "super";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "cipher grade") != NULL, "bad grade: %s",
           vstr_str(why));
    sp.ciphers = "high";
    sp.exclude_ciphers = "!x";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "exclusion") != NULL, "bad exclusion: %s",
           vstr_str(why));
    sp.exclude_ciphers = "";
    sp.cipherlists.list[TLS_GRADE_HIGH] = "NOSUCHCIPHER";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "cipher list") != NULL,
           "cipher list OpenSSL refuses: %s", vstr_str(why));

    tls_server_params_init(&sp);
    sp.fingerprint_digest = "nosuchdigest";
    ctx = tls_server_init(&sp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "nosuchdigest") != NULL, "bad digest: %s",
           vstr_str(why));

    tls_client_params_init(&cp);
    ctx = tls_client_init(&cp, why);
    TAP_OK(ctx != NULL, "client context without certificates");
    if (ctx) {
        TLS_CLIENT_PROPS props;
        int sv[2];

        memset(&props, 0, sizeof(props));
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
            props.level = TLS_LEV_DANE;
            TAP_OK(tls_client_new(ctx, sv[0], &props, why) == NULL
                       && strstr(vstr_str(why), "not supported") != NULL,
                   "dane refused for now: %s", vstr_str(why));
            props.level = TLS_LEV_NONE;
            TAP_OK(tls_client_new(ctx, sv[0], &props, why) == NULL, "level none: no session");
            props.level = TLS_LEV_VERIFY;
            props.protocols = ">=TLSv1.2";
            props.ciphers = "medium";
            TAP_OK(tls_client_new(ctx, sv[0], &props, why) == NULL
                       && strstr(vstr_str(why), "no name") != NULL,
                   "verify without a host name: %s", vstr_str(why));
            props.level = TLS_LEV_FPRINT;
            props.match = "";
            TAP_OK(tls_client_new(ctx, sv[0], &props, why) == NULL,
                   "fingerprint without fingerprints: %s", vstr_str(why));
            props.level = TLS_LEV_MAY;
            props.servername = "bad name";
            TAP_OK(tls_client_new(ctx, sv[0], &props, why) == NULL, "bad SNI: %s",
                   vstr_str(why));
            props.servername = "";
            props.protocols = "!TLSv1.3 !TLSv1.2 !TLSv1.1 !TLSv1";
            TAP_OK(tls_client_new(ctx, sv[0], &props, why) == NULL, "no protocols: %s",
                   vstr_str(why));
            props.protocols = "";
            {
                TLS_SESS *s = tls_client_new(ctx, sv[0], &props, why);

                TAP_OK(s != NULL, "may session created");
                if (s)
                    TAP_INT(tls_handshake(s), TLS_WANT_READ, "handshake wants to read");
                tls_free(s);
            }

            /* STARTTLS helpers: pipelined plaintext is seen and dropped. */
            TAP_INT(tls_fd_pending(sv[0]), 0, "nothing pending");
            if (write(sv[1], "RSET\r\nQUIT\r\n", 12) == 12) {
                TAP_INT(tls_fd_pending(sv[0]), 12, "12 bytes pending");
                TAP_INT(tls_fd_drain(sv[0]), 12, "12 bytes drained");
                TAP_INT(tls_fd_pending(sv[0]), 0, "nothing pending after drain");
            }
            close(sv[0]);
            close(sv[1]);
        }
        tls_ctx_free(ctx);
    }
    tls_client_params_init(&cp);
    cp.CAfile = "/nonexistent/ca.pem";
    ctx = tls_client_init(&cp, why);
    TAP_OK(ctx == NULL && strstr(vstr_str(why), "ca.pem") != NULL, "missing CAfile: %s",
           vstr_str(why));
    vstr_free(why);
}

/* make_cert - a self-signed ECDSA certificate and key for CN "unit.test" */
static int make_cert(const char *crt, const char *key, VSTR *fp)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    FILE *f;
    int ok = 0;

    if (k == NULL || x == NULL)
        goto out;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "unit.test", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    if (X509_sign(x, k, EVP_sha256()) == 0)
        goto out;
    if ((f = fopen(key, "w")) == NULL)
        goto out;
    ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    if ((f = fopen(crt, "w")) == NULL) {
        ok = 0;
        goto out;
    }
    ok = ok && PEM_write_X509(f, x);
    fclose(f);
    if (X509_digest(x, EVP_sha256(), md, &n) == 1)
        tls_fprint_format(md, n, fp);
out:
    X509_free(x);
    EVP_PKEY_free(k);
    return ok;
}

/* handshake_both - step both ends until done (bounded); TLS_DONE or error */
static int handshake_both(TLS_SESS *a, TLS_SESS *b, int *wants)
{
    int i, ra = TLS_WANT_READ, rb = TLS_WANT_READ;

    *wants = 0;
    for (i = 0; i < 100; i++) {
        if (ra != TLS_DONE)
            ra = tls_handshake(a);
        if (rb != TLS_DONE)
            rb = tls_handshake(b);
        if (ra == TLS_WANT_READ || ra == TLS_WANT_WRITE)
            (*wants)++;
        if (ra == TLS_ERROR || rb == TLS_ERROR)
            return TLS_ERROR;
        if (ra == TLS_DONE && rb == TLS_DONE)
            return TLS_DONE;
    }
    return TLS_ERROR;
}

/* test_event_loop - both ends in one process over a socket pair, stepwise */
static void test_event_loop(void)
{
    char dir[] = "/tmp/tls_test.XXXXXX";
    VSTR *crt = vstr_new(0), *key = vstr_new(0), *why = vstr_new(0), *fp = vstr_new(0);
    VSTR *line = vstr_new(0);
    TLS_SERVER_PARAMS sp;
    TLS_CLIENT_PARAMS cp;
    TLS_CLIENT_PROPS props;
    TLS_CTX *sctx = NULL, *cctx = NULL;
    TLS_SESS *srv, *cli;
    char buf[64];
    int sv[2], wants, level;
    ssize_t n;

    if (mkdtemp(dir) == NULL) {
        TAP_OK(0, "mkdtemp");
        goto out;
    }
    vstr_sprintf(crt, "%s/cert.pem", dir);
    vstr_sprintf(key, "%s/key.pem", dir);
    if (!TAP_OK(make_cert(vstr_str(crt), vstr_str(key), fp), "made a certificate"))
        goto out;
    tls_server_params_init(&sp);
    sp.certs.eccert_file = vstr_str(crt);
    sp.certs.eckey_file = vstr_str(key);
    sctx = tls_server_init(&sp, why);
    TAP_OK(sctx != NULL, "server context: %s", vstr_str(why));
    tls_client_params_init(&cp);
    cctx = tls_client_init(&cp, why);
    if (sctx == NULL || cctx == NULL)
        goto out;

    for (level = TLS_LEV_MAY; level <= TLS_LEV_FPRINT; level++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            break;
        memset(&props, 0, sizeof(props));
        props.level = level;
        props.namaddr = "unit.test[unix]:25";
        props.protocols = ">=TLSv1.2";
        props.ciphers = "high";
        props.match = vstr_str(fp);
        srv = tls_server_new(sctx, sv[0], "peer.test[unix]", why);
        cli = tls_client_new(cctx, sv[1], &props, why);
        TAP_OK(srv && cli, "%s: both sessions", tls_level_name(level));
        if (srv && cli) {
            TAP_INT(handshake_both(cli, srv, &wants), TLS_DONE, "%s: stepwise handshake",
                    tls_level_name(level));
            TAP_OK(wants > 0, "%s: the client had to wait (%d times)", tls_level_name(level),
                   wants);
            TAP_STR(tls_status_name(tls_info(cli)->status),
                    level == TLS_LEV_FPRINT ? "Verified" : "Untrusted", "%s: client sees",
                    tls_level_name(level));
            TAP_STR(tls_info(srv)->protocol, "TLSv1.3", "TLS 1.3");
            TAP_STR(tls_info(cli)->peer_cert_fprint, vstr_str(fp), "fingerprint");
            TAP_STR(tls_info(cli)->peer_CN, "unit.test", "peer CN");
            tls_summary(srv, line);
            TAP_STR(vstr_str(line),
                    "Anonymous TLS connection established from peer.test[unix]: TLSv1.3 with "
                    "cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
                    "server-signature ECDSA (P-256) server-digest SHA256",
                    "server summary");
            tls_summary(cli, line);
            TAP_OK(strncmp(vstr_str(line), "Untrusted TLS connection established to "
                                           "unit.test[unix]:25: TLSv1.3 with cipher ", 80) == 0
                       || level == TLS_LEV_FPRINT,
                   "client summary: %s", vstr_str(line));

            TAP_INT(tls_read_nb(srv, buf, sizeof(buf)), TLS_WANT_READ, "nothing to read yet");
            TAP_INT(tls_write_nb(cli, "ping\r\n", 6), 6, "client writes");
            n = tls_read_nb(srv, buf, 1);
            TAP_INT(n, 1, "server reads one byte");
            TAP_INT(tls_pending(srv), 5, "five more wait inside OpenSSL");
            n = tls_read(srv, buf, sizeof(buf), tls_deadline(2000));
            TAP_INT(n, 5, "the rest with a deadline");
            TAP_INT(tls_shutdown(cli, tls_deadline(2000)), 0, "client shutdown");
            TAP_INT(tls_read(srv, buf, sizeof(buf), tls_deadline(2000)), 0, "server sees EOF");
        }
        tls_free(srv);
        tls_free(cli);
        close(sv[0]);
        close(sv[1]);
    }

    /* 1 MB each way, stepwise: writes stall on a full socket and resume. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        enum { BIG = 1024 * 1024 };
        char *src = mem_alloc(BIG), *dst = mem_alloc(BIG);
        size_t sent = 0, got = 0;
        int steps = 0, wwants = 0, ok = 1;

        for (n = 0; n < BIG; n++)
            src[n] = (char) (n * 7 + n / 4096);
        memset(&props, 0, sizeof(props));
        props.level = TLS_LEV_ENCRYPT;
        srv = tls_server_new(sctx, sv[0], "peer.test[unix]", why);
        cli = tls_client_new(cctx, sv[1], &props, why);
        if (srv && cli && handshake_both(cli, srv, &wants) == TLS_DONE) {
            while (got < BIG && steps++ < 100000) {
                if (sent < BIG) {
                    n = tls_write_nb(cli, src + sent, BIG - sent);
                    if (n > 0)
                        sent += (size_t) n;
                    else if (n == TLS_WANT_WRITE)
                        wwants++;
                    else
                        ok = 0;
                }
                n = tls_read_nb(srv, dst + got, BIG - got);
                if (n > 0)
                    got += (size_t) n;
                else if (n != TLS_WANT_READ)
                    ok = 0;
                if (!ok)
                    break;
            }
            TAP_OK(ok && got == BIG && memcmp(src, dst, BIG) == 0,
                   "1 MB through TLS intact (%d steps)", steps);
            TAP_OK(wwants > 0, "the writer was told to wait (%d times)", wwants);
        } else {
            TAP_OK(0, "1 MB: handshake");
        }
        tls_free(srv);
        tls_free(cli);
        mem_free(src);
        mem_free(dst);
        close(sv[0]);
        close(sv[1]);
    }

    /* fingerprint level, wrong digest: the handshake fails with the reason. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        memset(&props, 0, sizeof(props));
        props.level = TLS_LEV_FPRINT;
        props.match = "00:11:22";
        srv = tls_server_new(sctx, sv[0], "peer.test[unix]", why);
        cli = tls_client_new(cctx, sv[1], &props, why);
        if (srv && cli) {
            TAP_INT(handshake_both(cli, srv, &wants), TLS_ERROR, "fingerprint mismatch fails");
            TAP_STR(tls_why(cli), "Server certificate not verified", "and says so");
        }
        tls_free(srv);
        tls_free(cli);
        close(sv[0]);
        close(sv[1]);
    }

    /* A peer that closes mid-handshake: lost connection. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        srv = tls_server_new(sctx, sv[0], "peer.test[unix]", why);
        if (write(sv[1], "\026\003\001", 3) == 3)
            close(sv[1]);
        TAP_OK(srv && tls_server_start(sctx, dup(sv[0]), "x[unix]", tls_deadline(2000), why)
                          == NULL,
               "handshake with a vanished peer fails: %s", vstr_str(why));
        tls_free(srv);
        close(sv[0]);
    }
out:
    tls_ctx_free(sctx);
    tls_ctx_free(cctx);
    unlink(vstr_str(crt));
    unlink(vstr_str(key));
    rmdir(dir);
    vstr_free(crt);
    vstr_free(key);
    vstr_free(why);
    vstr_free(fp);
    vstr_free(line);
}

/* test_conf - the parameter structs filled from lib/conf (-o overrides) */
static void test_conf(void)
{
    TLS_SERVER_PARAMS sp;
    TLS_CLIENT_PARAMS cp;
    TLS_CLIENT_PROPS props;

    conf_init_defaults(NULL);
    tls_server_params_conf(&sp, "smtpd", 0);
    TAP_STR(sp.ciphers, "medium", "smtpd_tls_ciphers default");
    TAP_STR(sp.protocols, conf_get_default("smtpd_tls_protocols"), "smtpd_tls_protocols default");
    TAP_STR(sp.eecdh_grade, "auto", "eecdh grade default");
    TAP_STR(sp.fingerprint_digest, "md5", "fingerprint digest below compatibility level 3.6");
    TAP_INT(sp.session_cache, 0, "no session cache by default");

    conf_override("compatibility_level", "3.6");
    conf_override("smtpd_tls_cert_file", "/etc/ssl/certs/x.pem");
    conf_override("smtpd_tls_mandatory_protocols", ">=TLSv1.2");
    conf_override("smtpd_tls_mandatory_ciphers", "high");
    conf_override("smtpd_tls_mandatory_exclude_ciphers", "RC4");
    conf_override("smtpd_tls_exclude_ciphers", "aNULL");
    conf_override("smtpd_tls_req_ccert", "yes");
    conf_override("smtpd_tls_session_cache_database", "btree:${data_directory}/smtpd_scache");
    tls_server_params_conf(&sp, "smtpd", 1);
    TAP_STR(sp.fingerprint_digest, "sha256", "fingerprint digest at compatibility level 3.6");
    TAP_STR(sp.certs.cert_file, "/etc/ssl/certs/x.pem", "cert file");
    TAP_STR(sp.certs.key_file, "/etc/ssl/certs/x.pem", "key file defaults to $smtpd_tls_cert_file");
    TAP_STR(sp.protocols, ">=TLSv1.2", "mandatory protocols when TLS is required");
    TAP_STR(sp.ciphers, "high", "mandatory ciphers when TLS is required");
    TAP_STR(sp.exclude_ciphers, "aNULL", "exclusions");
    TAP_STR(sp.mandatory_exclude_ciphers, "RC4", "mandatory exclusions too");
    TAP_INT(sp.req_ccert, 1, "req_ccert with mandatory TLS");
    TAP_INT(sp.session_cache, 1, "session cache database set: in-memory cache");
    TAP_INT(sp.session_timeout, 3600, "session cache timeout");
    tls_server_params_conf(&sp, "smtpd", 0);
    TAP_INT(sp.req_ccert, 0, "req_ccert ignored (warned) without mandatory TLS");
    TAP_STR(sp.mandatory_exclude_ciphers, "", "no mandatory exclusions then");

    conf_override("smtp_tls_mandatory_protocols", "TLSv1.3");
    conf_override("smtp_tls_fingerprint_cert_match", "AB:CD");
    conf_override("smtp_tls_servername", "hostname");
    tls_client_params_conf(&cp, "smtp");
    TAP_INT(cp.wildcard_multi_labels, 1, "multi-label wildcards by default");
    TAP_INT(cp.verifydepth, 9, "verify depth");
    tls_client_props_conf(&props, "smtp", TLS_LEV_MAY);
    TAP_STR(props.protocols, conf_get_default("smtp_tls_protocols"), "may: smtp_tls_protocols");
    TAP_STR(props.servername, "hostname", "servername");
    TAP_OK(props.match == NULL, "may: no match list");
    tls_client_props_conf(&props, "smtp", TLS_LEV_ENCRYPT);
    TAP_STR(props.protocols, "TLSv1.3", "encrypt: smtp_tls_mandatory_protocols");
    tls_client_props_conf(&props, "smtp", TLS_LEV_VERIFY);
    TAP_STR(props.match, "hostname", "verify: smtp_tls_verify_cert_match");
    tls_client_props_conf(&props, "smtp", TLS_LEV_SECURE);
    TAP_STR(props.match, "nexthop, dot-nexthop", "secure: smtp_tls_secure_cert_match");
    tls_client_props_conf(&props, "smtp", TLS_LEV_FPRINT);
    TAP_STR(props.match, "AB:CD", "fingerprint: smtp_tls_fingerprint_cert_match");
    tls_client_props_conf(&props, "lmtp", TLS_LEV_VERIFY);
    TAP_STR(props.match, "hostname", "lmtp_ parameters too");
    conf_free();
}

/* test_random - random text from the parsers' alphabet: no crash, no leak */
static void test_random(void)
{
    static const char alpha[] = "TLSvSS1.23!>=<, :|abcdefhnotxyz-_*0123456789ABCDEF\t\n";
    TLS_CIPHERLISTS lists;
    ARGV *a = argv_new();
    VSTR *v = vstr_new(0), *why = vstr_new(0), *out = vstr_new(0);
    unsigned mask, seed = 12345;
    int i, j, n, accepted = 0;

    tls_cipherlists_default(&lists);
    for (i = 0; i < 3000; i++) {
        vstr_reset(v);
        seed = seed * 1103515245 + 12345;
        n = (int) ((seed >> 16) % 40);
        for (j = 0; j < n; j++) {
            seed = seed * 1103515245 + 12345;
            vstr_addch(v, alpha[(seed >> 16) % (sizeof(alpha) - 1)]);
        }
        accepted += tls_protocols_parse(vstr_str(v), &mask, why) == 0;
        tls_cipherlist_build(TLS_GRADE_MEDIUM, vstr_str(v), &lists, out, why);
        tls_match_names(vstr_str(v), "mx.example.com", "example.com", a, why);
        tls_servername(vstr_str(v), "mx.example.com", "example.com", out, why);
        tls_fprint_list(vstr_str(v), a, why);
        tls_level_parse(vstr_str(v));
        tls_grade_parse(vstr_str(v));
        argv_truncate(a, 0);
    }
    TAP_OK(accepted > 0, "3000 random lists parsed without harm (%d protocol lists accepted)",
           accepted);
    argv_free(a);
    vstr_free(v);
    vstr_free(why);
    vstr_free(out);
}

int main(void)
{
    msg_init("tls_test", MSG_OUT_STDERR);
    signal(SIGPIPE, SIG_IGN); /* as every program using tls.h must */
    test_protocols();
    test_ciphers();
    test_levels();
    test_names();
    test_fprints();
    test_random();
    test_contexts();
    test_event_loop();
    test_conf();
    return tap_done();
}
