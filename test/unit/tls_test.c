/*
 * Unit tests for lib/net/tls_policy (protocol lists, cipher grades and
 * exclusions, levels, certificate match lists, SNI, fingerprints), including
 * malformed and oversized input, and for the parts of lib/net/tls that need
 * no peer: context set-up errors and the STARTTLS helpers on a socket pair.
 * The handshakes against openssl s_client/s_server are in test/e2e/tls*.sh.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "argv.h"
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

int main(void)
{
    msg_init("tls_test", MSG_OUT_STDERR);
    test_protocols();
    test_ciphers();
    test_levels();
    test_names();
    test_fprints();
    test_contexts();
    return tap_done();
}
