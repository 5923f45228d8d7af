/*
 * sendmail_bs_test - the sendmail -bs SMTP dialog (cli/sendmail_bs.h) with
 * fake submission callbacks: replies (their codes), the envelope and
 * content each transaction hands over, malformed commands and paths,
 * oversized lines and messages, the error limit, failing submissions and a
 * client that goes away in DATA.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "sendmail_bs.h"
#include "tap.h"
#include "vstr.h"

/* What the fake submission saw; fail: 0 ok, 1 open fails, 2 close says 75, 3 says 65. */
typedef struct FAKE {
    VSTR *log;
    int fail;
} FAKE;

typedef struct FAKE_MSG {
    FAKE *f;
    VSTR *text;
} FAKE_MSG;

static void *fake_open(void *ctx, const SENDMAIL_BS_ENV *env, VSTR *why)
{
    FAKE *f = ctx;
    FAKE_MSG *m;
    size_t i;

    if (f->fail == 1) {
        vstr_set(why, "no postdrop");
        return NULL;
    }
    m = mem_calloc(1, sizeof(*m));
    m->f = f;
    m->text = vstr_new(0);
    vstr_sprintf(m->text, "<%s>", env->sender);
    for (i = 0; i < env->rcpt_count; i++)
        vstr_printf(m->text, " %s/%d", env->rcpts[i], env->notify[i]);
    if (env->envid)
        vstr_printf(m->text, " envid=%s", env->envid);
    if (env->ret)
        vstr_printf(m->text, " ret=%d", env->ret);
    if (env->encoding)
        vstr_printf(m->text, " enc=%s", env->encoding);
    vstr_adds(m->text, "|");
    return m;
}

static void fake_line(void *h, const char *text, size_t len, int complete)
{
    FAKE_MSG *m = h;

    vstr_addmem(m->text, text, len);
    vstr_adds(m->text, complete ? "|" : "+");
}

static int fake_close(void *h, int commit, VSTR *why)
{
    FAKE_MSG *m = h;
    int st = m->f->fail == 2 ? 75 : m->f->fail == 3 ? 65 : 0;

    if (commit && st == 0) {
        vstr_addmem(m->f->log, vstr_str(m->text), vstr_len(m->text));
        vstr_adds(m->f->log, "\n");
    }
    if (st)
        vstr_set(why, "fake failure");
    vstr_free(m->text);
    mem_free(m);
    return commit ? st : -1;
}

typedef struct CASE {
    const char *in;         /* \n becomes \r\n unless raw */
    int raw;
    int fail;
    const char *codes;      /* the code of each final reply line, space separated */
    const char *msgs;       /* what was submitted, one line per message */
    int status;
    const char *what;
} CASE;

#define LONG_X "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const CASE cases[] = {
    {"HELO a\nMAIL FROM:<s@x>\nRCPT TO:<r@y>\nDATA\nSubject: x\n\nbody\n.\nQUIT\n", 0, 0,
     "220 250 250 250 354 250 221", "<s@x> r@y/0|Subject: x||body|\n", 0, "one transaction"},
    {"EHLO a\nMAIL FROM:<> SIZE=10 BODY=8BITMIME RET=FULL ENVID=a+2Bb\n"
     "RCPT TO:<r@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;r+40y\nRCPT TO:r2@y NOTIFY=NEVER\n"
     "DATA\n..x\n...\n.\nQUIT\n", 0, 0, "220 250 250 250 250 354 250 221",
     "<> r@y/6 r2@y/1 envid=a+b ret=1 enc=8bit|.x|..|\n", 0, "ESMTP parameters, dot-unstuffing"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\n1\n.\nMAIL FROM:<c@x>\nRCPT TO:<d@y>\nRSET\n"
     "MAIL FROM:<e@x>\nRCPT TO:<f@y>\nDATA\n2\n.\nQUIT\n", 0, 0,
     "220 250 250 354 250 250 250 250 250 250 354 250 221", "<a@x> b@y/0|1|\n<e@x> f@y/0|2|\n",
     0, "two transactions and RSET"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\r\nlf only\n.\nQUIT\n", 1, 0, "220 250 250 354 250 221",
     "<a@x> b@y/0|lf only|\n", 0, "bare LF lines"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nx.\n .\n.x\n.\nQUIT\n", 0, 0,
     "220 250 250 354 250 221", "<a@x> b@y/0|x.| .|x|\n", 0, "only a lone dot ends DATA"},
    {"BOGUS\nMAIL\nMAIL FROM:<a b>\nMAIL FROM:<a@x\nRCPT TO:<b@y>\nDATA\n"
     "MAIL FROM:<a@x> X=1\nMAIL FROM:<a@x> RET=BAD\nMAIL FROM:<a@x> ENVID=a=b\n"
     "MAIL FROM:<a@x> BODY=BINARYMIME\nMAIL FROM:<a@x> SIZE=abc\n"
     "MAIL FROM:<a@x>\nMAIL FROM:<b@x>\nRCPT TO:<>\nRCPT TO:<c@@y>\nRCPT TO:<c@y> NOTIFY=NEVER,SUCCESS\n"
     "RCPT TO:<c@y> ORCPT=bad\nRCPT\nDATA\nDATA x\nHELO\nVRFY\nVRFY x\nNOOP\nHELP\nQUIT\n", 0, 0,
     "220 502 501 501 501 503 503 555 501 501 501 501 250 503 553 501 501 501 501 554 501 501 "
     "421",
     "", 1, "errors are replies (and 20 end the session)"},
    {"NOOP " LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X
     LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X
     LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X
     LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X
     LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X LONG_X
     "\nNOOP\nQUIT\n", 0, 0, "220 500 250 221", "", 0, "an overlong command"},
    {"NO\001OP\nQUIT\n", 0, 0, "220 502 221", "", 0, "control characters"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\n0123456789\n012345678\r9\n.\nQUIT\n", 0, 0,
     "220 250 250 354 250 221", "<a@x> b@y/0|0123456789|012345678\r+9|\n", 0,
     "a line of exactly line_limit bytes before CR LF is one piece"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\n0123456789abcdef\n.\nQUIT\n", 0, 0,
     "220 250 250 354 250 221", "<a@x> b@y/0|0123456789+abcdef|\n", 0,
     "a long content line comes in pieces"},
    {"MAIL FROM:<a@x> SIZE=1000\nMAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\n"
     "0123456789012345678901234567890123456789012345678901234567890123456789\n.\nQUIT\n", 0, 0,
     "220 552 250 250 354 552 221", "", 0, "message_size_limit"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nMAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nx\n.\nQUIT\n", 0,
     1, "220 250 250 451 250 250 451 502 502 221", "", 0,
     "submission cannot start: 451 (what the client sent on is read as commands)"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nx\n.\nQUIT\n", 0, 2, "220 250 250 354 451 221", "", 0,
     "postdrop fails: 451"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nx\n.\nQUIT\n", 0, 3, "220 250 250 354 552 221", "", 0,
     "postdrop: too big: 552"},
    {"MAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nx\n", 0, 0, "220 250 250 354", "", 1,
     "EOF in DATA: nothing submitted"},
    {"", 0, 0, "220", "", 1, "EOF at once"},
    {"NOOP", 1, 0, "220", "", 1, "an unterminated last command is not run"},
};

/* The codes of the final reply lines ("250 ..."), space separated. */
static void reply_codes(const char *out, VSTR *codes)
{
    const char *line = out;

    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen(line);

        if (len >= 4 && line[3] == ' ') {
            if (vstr_len(codes))
                vstr_addch(codes, ' ');
            vstr_addmem(codes, line, 3);
        }
        if (!TAP_OK(len >= 2 && line[len - 1] == '\r', "reply line ends in CR LF"))
            break;
        line += len + (end ? 1 : 0);
    }
}

int main(void)
{
    SENDMAIL_BS_CONF conf;
    size_t i;

    msg_init("sendmail_bs_test", MSG_OUT_STDERR);
    memset(&conf, 0, sizeof(conf));
    conf.banner = "host.test ESMTP Postern";
    conf.hostname = "host.test";
    conf.size_limit = 50;
    conf.line_limit = 10;
    conf.timeout = 5;
    conf.error_limit = 20;
    conf.rcpt_limit = 100;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const CASE *c = &cases[i];
        char in_name[] = "/tmp/bs_test_in.XXXXXX", out_name[] = "/tmp/bs_test_out.XXXXXX";
        int in = mkstemp(in_name), out = mkstemp(out_name);
        VSTR *input = vstr_new(0), *codes = vstr_new(0), *got = vstr_new(0);
        SENDMAIL_BS_OPS ops;
        FAKE fake;
        const char *p;
        char buf[4096];
        ssize_t n;
        int st;

        if (in < 0 || out < 0)
            msg_fatal("mkstemp: %m");
        unlink(in_name);
        unlink(out_name);
        for (p = c->in; *p; p++) {
            if (*p == '\n' && !c->raw)
                vstr_addch(input, '\r');
            vstr_addch(input, *p);
        }
        if (write(in, vstr_str(input), vstr_len(input)) != (ssize_t) vstr_len(input))
            msg_fatal("write: %m");
        (void) lseek(in, 0, SEEK_SET);
        fake.log = vstr_new(0);
        fake.fail = c->fail;
        memset(&ops, 0, sizeof(ops));
        ops.open = fake_open;
        ops.line = fake_line;
        ops.close = fake_close;
        ops.ctx = &fake;
        st = sendmail_bs_run(in, out, &conf, &ops);
        (void) lseek(out, 0, SEEK_SET);
        while ((n = read(out, buf, sizeof(buf))) > 0)
            vstr_addmem(got, buf, (size_t) n);
        reply_codes(vstr_str(got), codes);
        TAP_STR(vstr_str(codes), c->codes, "%s: replies", c->what);
        TAP_STR(vstr_str(fake.log), c->msgs, "%s: submitted", c->what);
        TAP_INT(st, c->status, "%s: status", c->what);
        close(in);
        close(out);
        vstr_free(fake.log);
        vstr_free(input);
        vstr_free(codes);
        vstr_free(got);
    }
    return tap_done();
}
