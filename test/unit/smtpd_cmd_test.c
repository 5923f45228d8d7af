/*
 * Unit tests for smtpd/smtpd_cmd.c: command words, FROM:/TO:, ESMTP
 * parameters of MAIL and RCPT (DSN, SIZE, BODY, SMTPUTF8), xtext, and
 * hostile lines (NUL, bare CR, control bytes, overlong values).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../smtpd/smtpd.h"
#include "../../smtpd/smtpd_cmd.h"
#include "mem.h"
#include "tap.h"

static void test_check(void)
{
    const struct {
        const char *line;
        size_t len;
        int ok;
    } cases[] = {
        {"MAIL FROM:<a@b>", 15, 0},
        {"EHLO x\ty", 8, 0},
        {"MAIL\0FROM", 9, -1},
        {"EHLO a\rb", 8, -1},
        {"EHLO \x01", 6, -1},
        {"EHLO \x7f", 6, -1},
        {"EHLO h\xc3\xa9", 8, 0},    /* 8-bit is the parser's business */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = NULL;

        TAP_INT(smtpd_cmd_check(cases[i].line, cases[i].len, &why), cases[i].ok,
                "check case %zu", i);
    }
}

static void test_verb(void)
{
    const struct {
        const char *line;
        int verb;
        const char *arg;
    } cases[] = {
        {"EHLO client.example", SMTPD_C_EHLO, "client.example"},
        {"ehlo   x", SMTPD_C_EHLO, "x"},
        {"MAIL FROM:<>", SMTPD_C_MAIL, "FROM:<>"},
        {"RcPt TO:<a@b>", SMTPD_C_RCPT, "TO:<a@b>"},
        {"DATA", SMTPD_C_DATA, ""},
        {"BDAT 10 LAST", SMTPD_C_BDAT, "10 LAST"},
        {"QUIT", SMTPD_C_QUIT, ""},
        {"xforward NAME=a ADDR=1.2.3.4", SMTPD_C_XFORWARD, "NAME=a ADDR=1.2.3.4"},
        {"", SMTPD_C_UNKNOWN, ""},
        {"MAILX FROM:<>", SMTPD_C_UNKNOWN, "FROM:<>"},
        {"UNKNOWN", SMTPD_C_UNKNOWN, ""},
        {"VERYLONGCOMMANDWORD x", SMTPD_C_UNKNOWN, "x"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *arg;

        TAP_INT(smtpd_cmd_verb(cases[i].line, &arg), cases[i].verb, "verb of '%s'", cases[i].line);
        TAP_STR(arg, cases[i].arg, "arg of '%s'", cases[i].line);
    }
    TAP_STR(smtpd_cmd_keyword("FROM:<a@b>", "FROM"), "<a@b>", "FROM:");
    TAP_STR(smtpd_cmd_keyword("from : <a@b>", "FROM"), "<a@b>", "from : tolerated");
    TAP_OK(smtpd_cmd_keyword("FROM<a@b>", "FROM") == NULL, "FROM without colon");
    TAP_OK(smtpd_cmd_keyword("TO:<a@b>", "FROM") == NULL, "TO: is not FROM:");
}

static void test_xtext(void)
{
    const struct {
        const char *in;
        int ret;
        const char *out;
    } cases[] = {
        {"QQ314159+2Benvid", 0, "QQ314159+envid"},
        {"plain", 0, "plain"},
        {"a+3Db", 0, "a=b"},
        {"bad+2", -1, NULL},
        {"bad+", -1, NULL},
        {"bad+zz", -1, NULL},
        {"bad+2b", -1, NULL},       /* upper-case hex only */
        {"a=b", -1, NULL},
        {"a+00", -1, NULL},
        {"caf\xc3\xa9", -1, NULL},   /* 8-bit bytes are not xtext */
        {"a\x7f", -1, NULL},
    };
    size_t i;
    VSTR *out = vstr_new(0);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = smtpd_xtext_decode(cases[i].in, strlen(cases[i].in), out);

        TAP_INT(r, cases[i].ret, "xtext %s", cases[i].in);
        if (r == 0)
            TAP_STR(vstr_str(out), cases[i].out, "xtext %s decoded", cases[i].in);
    }
    vstr_free(out);
}

static void test_mail(void)
{
    const struct {
        const char *rest;
        int ret;
        const char *reply_prefix;
        long long size;
        int body8, utf8, ret_flags;
        const char *envid;
    } cases[] = {
        {"", 0, "", -1, 0, 0, 0, ""},
        {" SIZE=1000 BODY=8BITMIME", 0, "", 1000, 1, 0, 0, ""},
        {" RET=HDRS ENVID=QQ314159+2Benvid", 0, "", -1, 0, 0, 2, "QQ314159+envid"},
        {" ret=full smtputf8 body=7bit", 0, "", -1, 0, 1, 1, ""},
        {" AUTH=<>", 0, "", -1, 0, 0, 0, ""},
        {" SIZE=abc", -1, "501 5.5.4 Bad message size", 0, 0, 0, 0, NULL},
        {" SIZE=1 SIZE=2", -1, "501 5.5.4 Bad message size", 0, 0, 0, 0, NULL},
        {" SIZE=99999999999999999999", -1, "501 5.5.4 Bad message size", 0, 0, 0, 0, NULL},
        {" BODY=BINARYMIME", -1, "501 5.5.4 Unsupported BODY", 0, 0, 0, 0, NULL},
        {" RET=SOME", -1, "501 5.5.4 Bad RET", 0, 0, 0, 0, NULL},
        {" RET=FULL RET=HDRS", -1, "501 5.5.4 Bad RET", 0, 0, 0, 0, NULL},
        {" ENVID=a+zz", -1, "501 5.5.4 Bad ENVID", 0, 0, 0, 0, NULL},
        {" ENVID=", -1, "501 5.5.4 Bad ENVID", 0, 0, 0, 0, NULL},
        {" ENVID=caf\xc3\xa9", -1, "501 5.5.4 Bad ENVID", 0, 0, 0, 0, NULL},
        {" SMTPUTF8=yes", -1, "501 5.5.4 Bad SMTPUTF8", 0, 0, 0, 0, NULL},
        {" XFOO=bar", -1, "555 5.5.4 Unsupported option: XFOO", 0, 0, 0, 0, NULL},
    };
    size_t i;
    SMTPD_MAIL_PARAMS p;
    VSTR *err = vstr_new(0);

    p.envid = vstr_new(0);
    p.auth = vstr_new(0);
    p.disabled = 0;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = smtpd_cmd_mail_params(cases[i].rest, &p, err);

        TAP_INT(r, cases[i].ret, "MAIL params '%s'", cases[i].rest);
        if (r < 0) {
            TAP_OK(strncmp(vstr_str(err), cases[i].reply_prefix, strlen(cases[i].reply_prefix)) == 0,
                   "reply '%s' for '%s'", vstr_str(err), cases[i].rest);
        } else {
            TAP_INT(p.size, cases[i].size, "SIZE of '%s'", cases[i].rest);
            TAP_INT(p.body_8bit, cases[i].body8, "BODY of '%s'", cases[i].rest);
            TAP_INT(p.smtputf8, cases[i].utf8, "SMTPUTF8 of '%s'", cases[i].rest);
            TAP_INT(p.ret, cases[i].ret_flags, "RET of '%s'", cases[i].rest);
            TAP_STR(vstr_str(p.envid), cases[i].envid, "ENVID of '%s'", cases[i].rest);
        }
    }
    {
        /* An overlong value is refused, not stored. */
        VSTR *big = vstr_new(0);

        vstr_adds(big, " ENVID=");
        for (i = 0; i < 5000; i++)
            vstr_addch(big, 'a');
        TAP_INT(smtpd_cmd_mail_params(vstr_str(big), &p, err), -1, "overlong ENVID refused");
        vstr_free(big);
    }
    /* Parameters of an extension not offered are unsupported options. */
    p.disabled = SMTPD_EXT_DSN | SMTPD_EXT_SMTPUTF8;
    TAP_INT(smtpd_cmd_mail_params(" RET=FULL", &p, err), -1, "RET without DSN refused");
    TAP_STR(vstr_str(err), "555 5.5.4 Unsupported option: RET", "RET without DSN: the reply");
    TAP_INT(smtpd_cmd_mail_params(" SMTPUTF8", &p, err), -1, "SMTPUTF8 turned off");
    TAP_INT(smtpd_cmd_mail_params(" SIZE=10 BODY=8BITMIME", &p, err), 0, "SIZE and BODY still on");
    p.disabled = 0;
    /* AUTH= (RFC 4954 section 5): <> or an xtext mailbox, once. */
    TAP_INT(smtpd_cmd_mail_params(" AUTH=<>", &p, err), 0, "AUTH=<> accepted");
    TAP_INT(p.auth_given, 1, "AUTH=<>: given");
    TAP_STR(vstr_str(p.auth), "", "AUTH=<>: no mailbox");
    TAP_INT(smtpd_cmd_mail_params(" SIZE=5 AUTH=a+2Bb+3Dc@example.com", &p, err), 0,
            "AUTH=xtext accepted");
    TAP_STR(vstr_str(p.auth), "a+b=c@example.com", "AUTH=xtext decoded");
    TAP_INT(smtpd_cmd_mail_params(" SIZE=5", &p, err), 0, "no AUTH=");
    TAP_INT(p.auth_given, 0, "no AUTH=: not given");
    TAP_STR(vstr_str(p.auth), "", "no AUTH=: no mailbox");
    TAP_INT(smtpd_cmd_mail_params(" AUTH=a+zzb@example.com", &p, err), -1, "AUTH= bad xtext");
    TAP_STR(vstr_str(err), "501 5.5.4 Bad AUTH parameter syntax", "AUTH= bad xtext: the reply");
    TAP_INT(smtpd_cmd_mail_params(" AUTH=a=b", &p, err), -1, "AUTH= with a raw '='");
    TAP_INT(smtpd_cmd_mail_params(" AUTH=", &p, err), -1, "AUTH= empty");
    TAP_INT(smtpd_cmd_mail_params(" AUTH", &p, err), -1, "AUTH without a value");
    TAP_INT(smtpd_cmd_mail_params(" AUTH=+", &p, err), -1, "AUTH= truncated xtext");
    TAP_INT(smtpd_cmd_mail_params(" AUTH=<> AUTH=a@b", &p, err), -1, "AUTH= twice");
    TAP_STR(vstr_str(err), "503 5.5.4 Error: multiple AUTH= options", "AUTH= twice: the reply");
    {
        VSTR *big = vstr_new(0);

        vstr_adds(big, " AUTH=");
        for (i = 0; i < SMTPD_PARAM_MAX + 1; i++)
            vstr_addch(big, 'a');
        TAP_INT(smtpd_cmd_mail_params(vstr_str(big), &p, err), -1, "overlong AUTH= refused");
        vstr_free(big);
    }
    vstr_free(p.auth);
    vstr_free(p.envid);
    vstr_free(err);
}

static void test_rcpt(void)
{
    const struct {
        const char *rest;
        int utf8;
        int ret;
        int notify;
        const char *orcpt;
    } cases[] = {
        {"", 0, 0, 0, ""},
        {" NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob.Original@relay.test", 0, 0, 6,
         "rfc822;Bob.Original@relay.test"},
        {" NOTIFY=NEVER", 0, 0, 1, ""},
        {" notify=delay", 0, 0, 8, ""},
        {" ORCPT=rfc822;a+2Bb@c", 0, 0, 0, "rfc822;a+b@c"},
        {" ORCPT=utf-8;\xe7\x94\xa8@x", 1, 0, 0, "utf-8;\xe7\x94\xa8@x"},
        {" ORCPT=UTF-8;\xe7\x94\xa8@x", 1, 0, 0, "UTF-8;\xe7\x94\xa8@x"},
        {" ORCPT=utf-8;\xe7\x94\xa8@x", 0, -1, 0, NULL},   /* no SMTPUTF8 */
        {" ORCPT=rfc822;\xc3\xa9@x", 0, -1, 0, NULL},       /* rfc822 is xtext */
        {" ORCPT=rfc822;\xc3\xa9@x", 1, -1, 0, NULL},
        {" NOTIFY=NEVER,SUCCESS", 0, -1, 0, NULL},
        {" NOTIFY=SUCCESS,", 0, -1, 0, NULL},
        {" NOTIFY=SUCCESS,SUCCESS", 0, -1, 0, NULL},
        {" NOTIFY=", 0, -1, 0, NULL},
        {" NOTIFY=SOMETIMES", 0, -1, 0, NULL},
        {" ORCPT=rfc822", 0, -1, 0, NULL},
        {" ORCPT=;a@b", 0, -1, 0, NULL},
        {" ORCPT=rfc822;", 0, -1, 0, NULL},
        {" ORCPT=rfc822;a+ZZ", 0, -1, 0, NULL},
        {" FOO", 0, -1, 0, NULL},
    };
    size_t i;
    SMTPD_RCPT_PARAMS p;
    VSTR *err = vstr_new(0);

    p.orcpt = vstr_new(0);
    p.disabled = 0;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = smtpd_cmd_rcpt_params(cases[i].rest, cases[i].utf8, &p, err);

        TAP_INT(r, cases[i].ret, "RCPT params case %zu", i);
        if (r == 0) {
            TAP_INT(p.notify, cases[i].notify, "NOTIFY case %zu", i);
            TAP_STR(vstr_str(p.orcpt), cases[i].orcpt, "ORCPT case %zu", i);
        } else {
            TAP_OK(vstr_str(err)[0] == '5', "a 5xx reply for case %zu: %s", i, vstr_str(err));
        }
    }
    p.disabled = SMTPD_EXT_DSN;
    TAP_INT(smtpd_cmd_rcpt_params(" NOTIFY=NEVER", 0, &p, err), -1, "NOTIFY without DSN refused");
    TAP_STR(vstr_str(err), "555 5.5.4 Unsupported option: NOTIFY", "NOTIFY without DSN: the reply");
    vstr_free(p.orcpt);
    vstr_free(err);
}

int main(void)
{
    test_check();
    test_verb();
    test_xtext();
    test_mail();
    test_rcpt();
    return tap_done();
}
