/*
 * sasl_test - the parts of lib/net's SASL modules that need no peer:
 * strict base64, security options, mechanism names and filters, Dovecot's
 * escapes, "user:password" splitting, and the server's set-up errors.
 * test/e2e/sasl.sh and sasl-dovecot.sh test the exchanges with real peers.
 */
#include "config.h"

#include <string.h>

#include "mem.h"
#include "msg.h"
#include "sasl_client.h"
#include "sasl_dovecot.h"
#include "sasl_server.h"
#include "sasl_util.h"
#include "table.h"
#include "tap.h"

static void test_b64_decode(void)
{
    static const struct {
        const char *text;
        size_t limit;
        int result;
        const char *bytes;              /* when result is 0 */
    } cases[] = {
        {"", 100, 0, ""},
        {"QQ==", 100, 0, "A"},
        {"QUI=", 100, 0, "AB"},
        {"QUJD", 100, 0, "ABC"},
        {"QUJDRA==", 100, 0, "ABCD"},
        {"YWxpY2VAZXhhbXBsZS5jb20=", 100, 0, "alice@example.com"},
        {"QUJD", 3, 0, "ABC"},
        {"QUJD", 2, -1, NULL},          /* over the limit */
        {"QUJDRA==", 3, -1, NULL},
        {"QQ", 100, -1, NULL},          /* no padding */
        {"QQ=", 100, -1, NULL},
        {"Q===", 100, -1, NULL},        /* too much padding */
        {"====", 100, -1, NULL},
        {"QQ==QUJD", 100, -1, NULL},    /* padding in the middle */
        {"Q=Q=", 100, -1, NULL},
        {"QR==", 100, -1, NULL},        /* unused bits set */
        {"QUJ=", 100, -1, NULL},
        {"QU JD", 100, -1, NULL},       /* white space */
        {"QUJD\n", 100, -1, NULL},
        {"QUJD ", 100, -1, NULL},
        {"QU-D", 100, -1, NULL},        /* base64url is not base64 */
        {"QU_D", 100, -1, NULL},
        {"!!!!", 100, -1, NULL},
        {"QUJD\x80\x80\x80\x80", 100, -1, NULL},
        {"=", 100, -1, NULL},           /* SMTP's "=" is the caller's */
        {"*", 100, -1, NULL},
    };
    VSTR *out = vstr_new(10);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = sasl_util_b64_decode(out, cases[i].text, cases[i].limit);

        TAP_INT(r, cases[i].result, "b64 decode \"%s\" (limit %zu)", cases[i].text,
                cases[i].limit);
        if (cases[i].result == 0)
            TAP_OK(vstr_len(out) == strlen(cases[i].bytes)
                       && memcmp(vstr_str(out), cases[i].bytes, vstr_len(out)) == 0,
                   "b64 decode \"%s\" gives \"%s\"", cases[i].text, cases[i].bytes);
        else
            TAP_INT(vstr_len(out), 0, "b64 decode \"%s\": nothing left in out", cases[i].text);
    }
    vstr_free(out);
}

static void test_b64_round_trip(void)
{
    unsigned char data[300];
    VSTR *enc = vstr_new(10);
    VSTR *dec = vstr_new(10);
    size_t len;
    size_t i;
    int bad = 0;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char) (i * 37 + 11);
    data[0] = 0;
    data[1] = 255;
    for (len = 0; len <= sizeof(data); len++) {
        vstr_reset(enc);
        sasl_util_b64_encode(enc, data, len);
        if (vstr_len(enc) != (len + 2) / 3 * 4 || sasl_util_b64_decode(dec, vstr_str(enc), len) != 0
            || vstr_len(dec) != len || memcmp(vstr_str(dec), data, len) != 0)
            bad++;
    }
    TAP_INT(bad, 0, "b64 encode/decode round trip for 0..300 bytes (NUL and 0xff included)");
    vstr_reset(enc);
    sasl_util_b64_encode(enc, "\0alice\0pw", 9);
    TAP_STR(vstr_str(enc), "AGFsaWNlAHB3", "b64 encode of a PLAIN response");
    vstr_set(enc, "prefix ");
    sasl_util_b64_encode(enc, "A", 1);
    TAP_STR(vstr_str(enc), "prefix QQ==", "b64 encode appends");
    vstr_free(enc);
    vstr_free(dec);
}

static void test_secopts(void)
{
    static const struct {
        const char *text;
        int result;
        unsigned flags;
    } cases[] = {
        {"", 0, 0},
        {"noanonymous", 0, SASL_F_NOANONYMOUS},
        {"noplaintext, noanonymous", 0, SASL_F_NOPLAINTEXT | SASL_F_NOANONYMOUS},
        {"NoPlainText,noactive\tnodictionary", 0,
         SASL_F_NOPLAINTEXT | SASL_F_NOACTIVE | SASL_F_NODICTIONARY},
        {"mutual_auth forward_secrecy", 0, SASL_F_MUTUAL_AUTH | SASL_F_FORWARD_SECRECY},
        {" , noanonymous ,, ", 0, SASL_F_NOANONYMOUS},
        {"noanonymous, bogus", -1, 0},
        {"no_plaintext", -1, 0},
        {"noanonymous=yes", -1, 0},
    };
    VSTR *why = vstr_new(10);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned flags = 12345;
        int r = sasl_util_secopts(cases[i].text, &flags, why);

        TAP_INT(r, cases[i].result, "security options \"%s\"", cases[i].text);
        if (r == 0)
            TAP_INT(flags, cases[i].flags, "security options \"%s\": flags", cases[i].text);
        else
            TAP_OK(strstr(vstr_str(why), "unknown SASL security option") != NULL,
                   "security options \"%s\": why says so", cases[i].text);
    }
    vstr_reset(why);
    sasl_util_secopts_str(why, SASL_F_NOANONYMOUS | SASL_F_NOPLAINTEXT);
    TAP_STR(vstr_str(why), "noplaintext noanonymous", "security options as text");
    vstr_free(why);
}

static void test_mech_names(void)
{
    static const struct {
        const char *name;
        int valid;
    } cases[] = {
        {"PLAIN", 1},      {"CRAM-MD5", 1},   {"SCRAM-SHA-256-PLUS", 1},
        {"x_y", 1},        {"login", 1},      {"", 0},
        {"PL AIN", 0},     {"PL@IN", 0},      {"PLAIN\n", 0},
        {"ABCDEFGHIJKLMNOPQRST", 1},          {"ABCDEFGHIJKLMNOPQRSTU", 0},
        {"\xc3\x89T\xc3\x89", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        TAP_INT(sasl_util_mech_valid(cases[i].name), cases[i].valid, "mechanism name \"%s\"",
                cases[i].name);
}

static void test_filter(void)
{
    static const struct {
        const char *filter;
        const char *want;
    } cases[] = {
        {"", "PLAIN LOGIN CRAM-MD5 EXTERNAL"},
        {NULL, "PLAIN LOGIN CRAM-MD5 EXTERNAL"},
        {"plain", "PLAIN"},
        {"cram-md5, login", "LOGIN CRAM-MD5"},
        {"!external, static:rest", "PLAIN LOGIN CRAM-MD5"},
        {"!plain !login static:all", "CRAM-MD5 EXTERNAL"},
        {"static:all, !plain", "PLAIN LOGIN CRAM-MD5 EXTERNAL"},   /* first match decides */
        {"gssapi", ""},
        {"!plain", ""},
        {"hash:/etc/postfix/mechs, login", "LOGIN"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ARGV *m = argv_split("PLAIN LOGIN CRAM-MD5 EXTERNAL", " ");
        VSTR *got = vstr_new(10);
        size_t k;
        size_t n = sasl_util_filter(m, cases[i].filter);

        for (k = 0; k < m->argc; k++)
            vstr_printf(got, "%s%s", k ? " " : "", m->argv[k]);
        TAP_STR(vstr_str(got), cases[i].want, "mechanism filter \"%s\"",
                cases[i].filter ? cases[i].filter : "(null)");
        TAP_INT(n, m->argc, "mechanism filter \"%s\": count", cases[i].filter ? cases[i].filter : "");
        TAP_OK(m->argv[m->argc] == NULL, "mechanism filter: list still terminated");
        vstr_free(got);
        argv_free(m);
    }
    {
        ARGV *m = argv_split("PLAIN LOGIN", " ");

        TAP_INT(sasl_util_mech_find(m, "login"), 1, "mech_find is case-insensitive");
        TAP_INT(sasl_util_mech_find(m, "LOGI"), -1, "mech_find: no prefix match");
        argv_free(m);
    }
}

static void test_dovecot_unescape(void)
{
    static const struct {
        const char *text;
        int result;
        const char *want;
    } cases[] = {
        {"alice", 0, "alice"},
        {"a\001tb", 0, "a\tb"},
        {"a\001nb\001lc", 0, "a\nb\nc"},
        {"a\001rb", 0, "a\rb"},
        {"a\0011b", 0, "a\001b"},
        {"a\001xb", 0, "axb"},
        {"a\0010b", -1, NULL},          /* a NUL */
        {"ab\001", -1, NULL},           /* escape at the end */
    };
    VSTR *out = vstr_new(10);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = sasl_dovecot_unescape(out, cases[i].text);

        TAP_INT(r, cases[i].result, "dovecot unescape case %zu", i);
        if (r == 0)
            TAP_STR(vstr_str(out), cases[i].want, "dovecot unescape case %zu: text", i);
    }
    vstr_free(out);
}

static void test_credentials(void)
{
    static const struct {
        const char *value;
        int result;
        const char *user;
        const char *pass;
    } cases[] = {
        {"alice:secret", 0, "alice", "secret"},
        {"alice@example.com:pa:ss", 0, "alice@example.com", "pa:ss"},
        {":", 0, "", ""},
        {"alice:", 0, "alice", ""},
        {"no colon", 1, "no colon", ""},
        {"", 1, "", ""},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *user;
        char *pass;
        int r = sasl_cli_credentials(cases[i].value, &user, &pass);

        TAP_INT(r, cases[i].result, "credentials \"%s\"", cases[i].value);
        TAP_STR(user, cases[i].user, "credentials \"%s\": user", cases[i].value);
        TAP_STR(pass, cases[i].pass, "credentials \"%s\": password", cases[i].value);
        mem_free(user);
        mem_free(pass);
    }
}

static void test_passwd_lookup(void)
{
    static const struct {
        const char *sender;
        const char *host;
        const char *dest;
        int result;
        const char *user;
        const char *pass;
    } cases[] = {
        {NULL, "smtp.example.com", "[relay.example.com]:587", 1, "host", "3"},
        {NULL, "other.example.com", "[relay.example.com]:587", 1, "dest", "4:x"},
        {NULL, "Smtp.Example.COM", "x", 1, "host", "3"},       /* keys are folded */
        {NULL, "other.example.com", "relay.example.com", 0, NULL, NULL},
        {"alice@example.com", "smtp.example.com", "x", 1, "alice", "1"},
        {"bob@example.org", "smtp.example.com", "x", 1, "dom", "2"},
        {"bob@example.net", "smtp.example.com", "x", 1, "host", "3"},
        {"", "smtp.example.com", "x", 1, "host", "3"},
        {"nodomain", "nohost", "nodest", 0, NULL, NULL},
        {NULL, "second.example.com", "x", 1, "second", ""},    /* the second table */
    };
    VSTR *why = vstr_new(10);
    TABLE *maps[2];
    size_t i;

    maps[0] = table_open("inline:{ alice@example.com=alice:1, @example.org=dom:2, "
                         "smtp.example.com=host:3, [relay.example.com]:587=dest:4:x }",
                         TABLE_READ, TABLE_FLAGS_READ, why);
    maps[1] = table_open("inline:{ second.example.com=second, smtp.example.com=not-this:0 }",
                         TABLE_READ, TABLE_FLAGS_READ, why);
    if (!TAP_OK(maps[0] && maps[1], "password tables open (%s)", vstr_str(why)))
        return;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *user;
        char *pass;
        int r = sasl_cli_passwd_lookup(maps, 2, cases[i].sender, cases[i].host, cases[i].dest,
                                       &user, &pass);

        TAP_INT(r, cases[i].result, "password lookup %zu (%s, %s, %s)", i,
                cases[i].sender ? cases[i].sender : "-", cases[i].host, cases[i].dest);
        TAP_STR(user, cases[i].user, "password lookup %zu: user", i);
        TAP_STR(pass, cases[i].pass, "password lookup %zu: password", i);
        mem_free(user);
        mem_free(pass);
    }
    table_close(maps[0]);
    table_close(maps[1]);
    vstr_free(why);
}

static void test_server_setup(void)
{
    SASL_SRV_PARAMS p;
    SASL_SRV_CONN c;
    SASL_SRV *srv;
    VSTR *why = vstr_new(10);
    char longpath[200];

    memset(&p, 0, sizeof(p));
    p.type = "bogus";
    TAP_OK(sasl_srv_open(&p, why) == NULL, "smtpd_sasl_type=bogus is refused");
    TAP_STR(vstr_str(why), "unsupported SASL server implementation: bogus", "and why says so");

    p.type = "dovecot";
    p.security_options = "noanonymous, nosuch";
    TAP_OK(sasl_srv_open(&p, why) == NULL, "a bad security option is refused");
    TAP_STR(vstr_str(why), "unknown SASL security option: nosuch", "and why names it");

    p.security_options = "noanonymous";
    p.tls_security_options = "nosuch2";
    TAP_OK(sasl_srv_open(&p, why) == NULL, "a bad TLS security option is refused");

    p.tls_security_options = NULL;
    p.path = "";
    TAP_OK(sasl_srv_open(&p, why) == NULL, "dovecot without a socket path is refused");
    memset(longpath, 'x', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = 0;
    p.path = longpath;
    TAP_OK(sasl_srv_open(&p, why) == NULL, "a socket path longer than sun_path is refused");
    {
        static const struct {
            const char *path;
            int ok;
        } paths[] = {
            {"private/auth", 1},        {"unix:private/auth", 1},   {"unix:", 0},
            {"inet:127.0.0.1:12345", 1}, {"inet:[::1]:12345", 1},    {"inet:localhost:auth", 1},
            {"inet:127.0.0.1", 0},      {"inet::12345", 0},         {"inet:127.0.0.1:", 0},
            {"inet:::1:12345", 0},      {"inet:[::1]12345", 0},     {"inet:[::1", 0},
        };
        size_t i;

        for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
            p.path = paths[i].path;
            srv = sasl_srv_open(&p, why);
            TAP_INT(srv != NULL, paths[i].ok, "smtpd_sasl_path %s", paths[i].path);
            sasl_srv_close(srv);
        }
    }
    p.path = "private/auth";
    p.service = "sm\ttp";
    TAP_OK(sasl_srv_open(&p, why) == NULL, "a service name with a TAB is refused");

    /* A socket that does not exist: open works, a session does not. */
    p.service = NULL;
    p.path = "/nonexistent/postern-sasl-test/auth";
    srv = sasl_srv_open(&p, why);
    TAP_OK(srv != NULL, "dovecot: open connects nothing yet");
    memset(&c, 0, sizeof(c));
    c.server_name = "mail.example.com";
    msg_set_outputs(0);                 /* the warning is expected */
    TAP_OK(sasl_srv_sess_new(srv, &c, why) == NULL, "dovecot down: no session");
    msg_set_outputs(MSG_OUT_STDERR);
    TAP_OK(strstr(vstr_str(why), "Connect to /nonexistent/postern-sasl-test/auth failed: ") != NULL,
           "dovecot down: why says so (%s)", vstr_str(why));
    sasl_srv_close(srv);
    vstr_free(why);
}

int main(void)
{
    msg_init("sasl_test", MSG_OUT_STDERR);
    test_b64_decode();
    test_b64_round_trip();
    test_secopts();
    test_mech_names();
    test_filter();
    test_dovecot_unescape();
    test_credentials();
    test_passwd_lookup();
    test_server_setup();
    return tap_done();
}
