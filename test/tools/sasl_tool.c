/*
 * sasl_tool - drive lib/net's SASL server and client modules from the
 * shell, for test/e2e/sasl*.sh. A test program, not installed.
 *
 * Usage: sasl_tool [-c config_dir] [-o name=value]... [-t] [-V] [-a addr]
 *                  [-r chroot_dir] [-T seconds] [-v] COMMAND ARGS
 *   mechs                   print the server's mechanism list for a session
 *   auth MECH USER PASS     the SMTP AUTH dialog between the client module
 *                           and the server module, in this process; the
 *                           client may use only MECH ("-": any the server
 *                           offers, as smtp_sasl_mechanism_filter allows)
 *   server MECH [INITIAL]   the server side alone: each line of standard
 *                           input answers a 334 challenge; after an
 *                           exchange, a line "AUTH MECH [INITIAL]" starts
 *                           another in the same session
 *   client MECHS USER PASS  the client's choice for the server's list MECHS:
 *                           prints "mech=NAME initial=TEXT"
 * The server's parameters are smtpd_sasl_* of main.cf in config_dir, as
 * overridden with -o; the client's are smtp_sasl_*. -t says TLS is active,
 * -V that the client certificate was verified, -a sets the client address
 * (default 127.0.0.1, port 40000; the server is 127.0.0.1 port 25, named
 * mail.example.com). -r chroots after the server is opened, as smtpd does.
 * -T sets the time limit of a Dovecot request (default 30 s).
 *
 * Output: the dialog on standard output, one line per SMTP line:
 *   C: AUTH PLAIN AGFsaWNl...      S: 334 ...      C: <response>
 *   S: 235 2.7.0 Authentication successful
 *   result: user=alice@example.com mech=PLAIN
 * On failure the server's log warning ("sasl_tool: warning: unknown[addr]:
 * SASL PLAIN authentication failed: ...") goes to standard error, and the
 * last line is "result: failed". Exit status: 0 authenticated (or listed),
 * 1 not authenticated, 2 usage, 3 set-up failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "sasl_client.h"
#include "sasl_server.h"
#include "strutil.h"
#include "vstr.h"

/* One line of standard input, without its line end; NULL at EOF. */
#define LINE_MAX_TOOL (256 * 1024)

typedef struct TOOL {
    SASL_SRV *srv;
    SASL_SRV_SESS *sess;
    const char *client_addr;
} TOOL;

__attribute__((noreturn)) static void usage(void)
{
    msg_fatal_status(2, "usage: sasl_tool [-c dir] [-o name=value] [-t] [-V] [-a addr] "
                        "[-r dir] mechs | auth MECH USER PASS | server MECH [INITIAL] | "
                        "client MECHS USER PASS");
}

static char *read_line(char *buf, size_t size)
{
    size_t len;

    if (fgets(buf, (int) size, stdin) == NULL)
        return NULL;
    len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = 0;
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = 0;
    return buf;
}

/* Print the server's reply and say whether the exchange goes on. */
static int show_reply(TOOL *t, int r, VSTR *out)
{
    VSTR *reply = vstr_new(100);

    sasl_srv_reply(t->sess, r, out, reply);
    printf("S: %s\n", vstr_str(reply));
    vstr_free(reply);
    if (r == SASL_SRV_FAIL)
        sasl_srv_sess_warn_failed(t->sess, "unknown", t->client_addr);
    return r == SASL_SRV_MORE;
}

static int finish(TOOL *t, int r)
{
    if (r == SASL_SRV_DONE) {
        printf("result: user=%s mech=%s\n", sasl_srv_sess_user(t->sess),
               sasl_srv_sess_mech(t->sess));
        return 0;
    }
    printf("result: failed\n");
    return 1;
}

static int cmd_server(TOOL *t, const char *first_mech, const char *first_initial)
{
    VSTR *out = vstr_new(100);
    char *buf = mem_alloc(LINE_MAX_TOOL);
    char *mech = mem_strdup(first_mech);
    char *initial = first_initial ? mem_strdup(first_initial) : NULL;
    int rc = 1;
    int r;

    for (;;) {
        char *cursor;
        char *word;

        printf("C: AUTH %s%s%s\n", mech, initial ? " " : "", initial ? initial : "");
        r = sasl_srv_sess_start(t->sess, mech, initial, out);
        while (show_reply(t, r, out)) {
            if (read_line(buf, LINE_MAX_TOOL) == NULL) {
                printf("C: (end of input)\n");
                break;
            }
            printf("C: %s\n", buf);
            r = sasl_srv_sess_step(t->sess, buf, out);
        }
        rc = finish(t, r);
        /* Another exchange in the same session: a line "AUTH MECH [INITIAL]". */
        if (r == SASL_SRV_MORE || read_line(buf, LINE_MAX_TOOL) == NULL)
            break;
        cursor = buf;
        if ((word = str_token(&cursor, " ")) == NULL || strcasecmp(word, "AUTH") != 0
            || (word = str_token(&cursor, " ")) == NULL) {
            printf("C: %s (not an AUTH command; stop)\n", buf);
            break;
        }
        mem_free(mech);
        mem_free(initial);
        mech = mem_strdup(word);
        initial = (word = str_token(&cursor, " ")) != NULL ? mem_strdup(word) : NULL;
    }
    mem_free(mech);
    mem_free(initial);
    mem_free(buf);
    vstr_free(out);
    return rc;
}

static int cmd_auth(TOOL *t, const char *mech, const char *user, const char *pass, int tls)
{
    SASL_CLI_PARAMS p;
    SASL_CLI *cli;
    SASL_CLI_SESS *cs;
    VSTR *why = vstr_new(100);
    VSTR *cmech = vstr_new(20);
    VSTR *initial = vstr_new(100);
    VSTR *out = vstr_new(100);
    VSTR *resp = vstr_new(100);
    int r;
    int rc = 1;
    int steps;

    sasl_cli_params_conf(&p, "smtp");
    if (strcmp(mech, "-") != 0)
        p.mechanism_filter = mech;
    if ((cli = sasl_cli_open(&p, why)) == NULL)
        msg_fatal_status(3, "%s", vstr_str(why));
    if ((cs = sasl_cli_sess_new(cli, "mail.example.com", user, pass, tls, why)) == NULL)
        msg_fatal_status(3, "%s", vstr_str(why));
    if (sasl_cli_sess_start(cs, sasl_srv_sess_mechs(t->sess), cmech, initial, why)
        != SASL_CLI_OK) {
        printf("client: %s\nresult: failed\n", vstr_str(why));
        goto out;
    }
    printf("C: AUTH %s%s%s\n", vstr_str(cmech), vstr_len(initial) ? " " : "",
           vstr_str(initial));
    r = sasl_srv_sess_start(t->sess, vstr_str(cmech), vstr_len(initial) ? vstr_str(initial) : NULL,
                            out);
    for (steps = 0; show_reply(t, r, out) && steps < 20; steps++) {
        if (sasl_cli_sess_step(cs, vstr_str(out), resp, why) != SASL_CLI_OK) {
            printf("client: %s\n", vstr_str(why));
            vstr_set(resp, "*");
        }
        printf("C: %s\n", vstr_str(resp));
        r = sasl_srv_sess_step(t->sess, vstr_str(resp), out);
    }
    rc = finish(t, r);
out:
    sasl_cli_sess_free(cs);
    sasl_cli_close(cli);
    vstr_free(why);
    vstr_free(cmech);
    vstr_free(initial);
    vstr_free(out);
    vstr_free(resp);
    return rc;
}

static int cmd_client(const char *mechs, const char *user, const char *pass, int tls)
{
    SASL_CLI_PARAMS p;
    SASL_CLI *cli;
    SASL_CLI_SESS *cs;
    VSTR *why = vstr_new(100);
    VSTR *mech = vstr_new(20);
    VSTR *initial = vstr_new(100);
    int rc = 1;

    sasl_cli_params_conf(&p, "smtp");
    if ((cli = sasl_cli_open(&p, why)) == NULL)
        msg_fatal_status(3, "%s", vstr_str(why));
    if ((cs = sasl_cli_sess_new(cli, "mail.example.com", user, pass, tls, why)) == NULL)
        msg_fatal_status(3, "%s", vstr_str(why));
    switch (sasl_cli_sess_start(cs, mechs, mech, initial, why)) {
    case SASL_CLI_OK:
        printf("mech=%s initial=%s\n", vstr_str(mech), vstr_str(initial));
        rc = 0;
        break;
    case SASL_CLI_NOMECH:
        printf("nomech: %s\n", vstr_str(why));
        break;
    default:
        printf("fail: %s\n", vstr_str(why));
        break;
    }
    sasl_cli_sess_free(cs);
    sasl_cli_close(cli);
    vstr_free(why);
    vstr_free(mech);
    vstr_free(initial);
    return rc;
}

static void override(const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *name;

    if (eq == NULL || eq == arg)
        usage();
    name = mem_strndup(arg, (size_t) (eq - arg));
    conf_override(str_trim(name), eq + 1);
    mem_free(name);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    const char *jail = NULL;
    ARGV *overrides = argv_new();
    SASL_SRV_PARAMS sp;
    SASL_SRV_CONN conn;
    TOOL t;
    VSTR *why;
    int tls = 0;
    int verified = 0;
    long timeout = SASL_SRV_DEF_TIMEOUT;
    int rc = 2;
    size_t i;
    int ch;

    msg_init("sasl_tool", MSG_OUT_STDERR);
    memset(&t, 0, sizeof(t));
    t.client_addr = "127.0.0.1";
    while ((ch = getopt(argc, argv, "a:c:o:r:tT:vV")) != -1) {
        switch (ch) {
        case 'a':
            t.client_addr = optarg;
            break;
        case 'c':
            dir = optarg;
            break;
        case 'o':
            argv_add(overrides, optarg);
            break;
        case 'r':
            jail = optarg;
            break;
        case 't':
            tls = 1;
            break;
        case 'T':
            if (str_parse_long(optarg, 1, 3600, &timeout) < 0)
                usage();
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'V':
            verified = 1;
            break;
        default:
            usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 1)
        usage();
    conf_init(dir);
    for (i = 0; i < overrides->argc; i++)
        override(overrides->argv[i]);
    argv_free(overrides);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(argv[0], "client") == 0) {
        if (argc != 4)
            usage();
        rc = cmd_client(argv[1], argv[2], argv[3], tls);
        conf_free();
        return rc;
    }

    why = vstr_new(100);
    sasl_srv_params_conf(&sp);
    sp.timeout = (int) timeout;
    if ((t.srv = sasl_srv_open(&sp, why)) == NULL)
        msg_fatal_status(3, "%s", vstr_str(why));
    if (jail && (chroot(jail) < 0 || chdir("/") < 0))
        msg_fatal_status(3, "chroot %s: %m", jail);
    memset(&conn, 0, sizeof(conn));
    conn.server_name = "mail.example.com";
    conn.client_addr = t.client_addr;
    conn.client_port = "40000";
    conn.server_addr = "127.0.0.1";
    conn.server_port = "25";
    conn.tls_active = tls;
    conn.tls_verified = verified;
    if ((t.sess = sasl_srv_sess_new(t.srv, &conn, why)) == NULL) {
        printf("S: 454 4.7.0 Temporary authentication failure: %s\nresult: failed\n",
               vstr_str(why));
        rc = 1;
    } else if (strcmp(argv[0], "mechs") == 0 && argc == 1) {
        printf("%s\n", sasl_srv_sess_mechs(t.sess));
        rc = 0;
    } else if (strcmp(argv[0], "auth") == 0 && argc == 4) {
        rc = cmd_auth(&t, argv[1], argv[2], argv[3], tls);
    } else if (strcmp(argv[0], "server") == 0 && (argc == 2 || argc == 3)) {
        rc = cmd_server(&t, argv[1], argc == 3 ? argv[2] : NULL);
    } else {
        sasl_srv_sess_free(t.sess);
        sasl_srv_close(t.srv);
        usage();
    }
    sasl_srv_sess_free(t.sess);
    sasl_srv_close(t.srv);
    vstr_free(why);
    conf_free();
    return rc;
}
