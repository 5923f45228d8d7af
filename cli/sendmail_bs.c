/*
 * sendmail_bs - sendmail -bs, a stand-alone SMTP server on stdin/stdout.
 * See sendmail_bs.h.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "maildrop.h"
#include "mem.h"
#include "msg.h"
#include "sendmail_bs.h"
#include "vstr.h"

#define BS_EX_DATAERR 65

/* One session. */
typedef struct BS {
    int in_fd, out_fd;
    const SENDMAIL_BS_CONF *conf;
    const SENDMAIL_BS_OPS *ops;
    char buf[8192];
    size_t start, end;
    int eof;                /* the client went away or timed out */
    int timed_out;
    VSTR *out;              /* replies not yet written */
    int errors;
    /* the transaction */
    int have_mail;
    VSTR *sender;
    VSTR *envid;
    int has_envid;
    int ret;
    const char *encoding;
    char **rcpts;
    int *notify;
    size_t rcpt_count, rcpt_cap;
} BS;

static void bs_flush(BS *bs)
{
    const char *p = vstr_str(bs->out);
    size_t left = vstr_len(bs->out);

    while (left > 0) {
        ssize_t n = write(bs->out_fd, p, left);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            bs->eof = 1; /* the client is gone */
            break;
        }
        p += n;
        left -= (size_t) n;
    }
    vstr_reset(bs->out);
}

static void bs_reply(BS *bs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bs_reply(BS *bs, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(bs->out, fmt, ap);
    va_end(ap);
    vstr_adds(bs->out, "\r\n");
}

/* Read more input after what is left: 1, or 0 at EOF, timeout or error. Flushes replies first. */
static int bs_fill(BS *bs)
{
    struct pollfd pfd;
    ssize_t n;
    int r;

    if (bs->eof)
        return 0;
    bs_flush(bs);
    if (bs->eof)
        return 0;
    pfd.fd = bs->in_fd;
    pfd.events = POLLIN;
    for (;;) {
        r = poll(&pfd, 1, bs->conf->timeout * 1000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            bs->timed_out = 1;
            bs->eof = 1;
            return 0;
        }
        if (r < 0) {
            bs->eof = 1;
            return 0;
        }
        break;
    }
    /* keep what is not consumed (at most a CR) in front */
    memmove(bs->buf, bs->buf + bs->start, bs->end - bs->start);
    bs->end -= bs->start;
    bs->start = 0;
    do
        n = read(bs->in_fd, bs->buf + bs->end, sizeof(bs->buf) - bs->end);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        bs->eof = 1;
        return 0;
    }
    bs->end += (size_t) n;
    return 1;
}

/*
 * One line, or its next piece of at most limit bytes, into out (CR LF or
 * LF removed; a CR LF right after limit bytes still ends the line): 1 with
 * *complete set, 0 at EOF (a last unterminated piece is dropped: a session
 * ends with QUIT or a dot).
 */
static int bs_piece(BS *bs, VSTR *out, size_t limit, int *complete)
{
    vstr_reset(out);
    for (;;) {
        char *p = bs->buf + bs->start;
        size_t avail = bs->end - bs->start;
        char *nl = memchr(p, '\n', avail);
        size_t llen = nl ? (size_t) (nl - p) : avail;
        size_t room = limit - vstr_len(out);
        size_t take;

        if (nl && (llen <= room || (llen == room + 1 && p[room] == '\r'))) {
            vstr_addmem(out, p, llen);
            bs->start += llen + 1;
            if (vstr_len(out) > 0 && vstr_str(out)[vstr_len(out) - 1] == '\r')
                vstr_truncate(out, vstr_len(out) - 1);
            *complete = 1;
            return 1;
        }
        if (llen >= room + 2 || (llen == room + 1 && p[room] != '\r')) {
            vstr_addmem(out, p, room);
            bs->start += room;
            *complete = 0;
            return 1;
        }
        /* no LF yet: keep a last CR, it may be the line end */
        take = llen;
        if (take > 0 && p[take - 1] == '\r')
            take--;
        if (take > room)
            take = room;
        vstr_addmem(out, p, take);
        bs->start += take;
        if (!bs_fill(bs))
            return 0;
    }
}

static void bs_reset(BS *bs)
{
    size_t i;

    for (i = 0; i < bs->rcpt_count; i++)
        mem_free(bs->rcpts[i]);
    bs->rcpt_count = 0;
    bs->have_mail = 0;
    bs->has_envid = 0;
    bs->ret = 0;
    bs->encoding = NULL;
    vstr_reset(bs->sender);
    vstr_reset(bs->envid);
}

/* Decode RFC 3461 xtext into out: 0, or -1 when malformed. */
static int bs_xtext(const char *text, VSTR *out)
{
    vstr_reset(out);
    for (; *text; text++) {
        unsigned char c = (unsigned char) *text;

        if (c < 33 || c > 126 || c == '=')
            return -1;
        if (c == '+') {
            unsigned v = 0;
            int i;

            for (i = 1; i <= 2; i++) {
                char h = text[i];

                if (h >= '0' && h <= '9')
                    v = v * 16 + (unsigned) (h - '0');
                else if (h >= 'A' && h <= 'F')
                    v = v * 16 + (unsigned) (h - 'A' + 10);
                else
                    return -1;
            }
            vstr_addch(out, (char) v);
            text += 2;
        } else {
            vstr_addch(out, (char) c);
        }
    }
    return 0;
}

/* "KEYWORD:" at the start of arg, case-insensitive; the rest, or NULL. */
static const char *bs_keyword(const char *arg, const char *kw)
{
    size_t n = strlen(kw);

    if (strncasecmp(arg, kw, n) != 0)
        return NULL;
    return arg + n;
}

/* Split the ESMTP parameters after the path; calls back per NAME=VALUE. */
static int bs_params(BS *bs, const char *rest, int is_rcpt, int *notify)
{
    char *copy = mem_strdup(rest), *save = NULL, *tok;
    VSTR *tmp = vstr_new(0);
    int res = 0;

    for (tok = strtok_r(copy, " ", &save); tok && res == 0; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = eq ? eq + 1 : "";

        if (eq)
            *eq = 0;
        if (!is_rcpt && strcasecmp(tok, "SIZE") == 0 && eq) {
            char *end;
            unsigned long long size;

            errno = 0;
            size = strtoull(val, &end, 10);
            if (*val < '0' || *val > '9' || *end || errno) {
                bs_reply(bs, "501 5.5.4 Bad message size syntax");
                res = -1;
            } else if (bs->conf->size_limit > 0
                       && size > (unsigned long long) bs->conf->size_limit) {
                bs_reply(bs, "552 5.3.4 Message size exceeds fixed limit");
                res = -1;
            }
        } else if (!is_rcpt && strcasecmp(tok, "BODY") == 0 && eq) {
            if (strcasecmp(val, "8BITMIME") == 0)
                bs->encoding = "8bit";
            else if (strcasecmp(val, "7BIT") == 0)
                bs->encoding = "7bit";
            else {
                bs_reply(bs, "501 5.5.4 Unsupported BODY parameter value");
                res = -1;
            }
        } else if (!is_rcpt && strcasecmp(tok, "RET") == 0 && eq) {
            if (bs->ret) {
                bs_reply(bs, "501 5.5.4 Duplicate RET parameter");
                res = -1;
            } else if ((bs->ret = maildrop_ret_parse(val)) < 0) {
                bs->ret = 0;
                bs_reply(bs, "501 5.5.4 Bad RET parameter syntax");
                res = -1;
            }
        } else if (!is_rcpt && strcasecmp(tok, "ENVID") == 0 && eq) {
            if (bs->has_envid || bs_xtext(val, bs->envid) < 0 || vstr_len(bs->envid) == 0
                || vstr_len(bs->envid) > MAILDROP_ENVID_MAX
                || strlen(vstr_str(bs->envid)) != vstr_len(bs->envid)
                || !maildrop_attr_allowed("envelope_id", vstr_str(bs->envid))) {
                bs_reply(bs, "501 5.5.4 Bad ENVID parameter syntax");
                res = -1;
            } else {
                bs->has_envid = 1;
            }
        } else if (is_rcpt && strcasecmp(tok, "NOTIFY") == 0 && eq) {
            int bits = maildrop_notify_parse(val);

            if (*notify || bits < 0 || ((bits & 1) && bits != 1)) {
                bs_reply(bs, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
                res = -1;
            } else {
                *notify = bits;
            }
        } else if (is_rcpt && strcasecmp(tok, "ORCPT") == 0 && eq) {
            const char *semi = strchr(val, ';');

            if (semi == NULL || semi == val || bs_xtext(semi + 1, tmp) < 0
                || vstr_len(tmp) == 0 || vstr_len(tmp) > ADDR_MAX_LEN) {
                bs_reply(bs, "501 5.5.4 Error: Bad ORCPT parameter syntax");
                res = -1;
            }
        } else {
            bs_reply(bs, "555 5.5.4 Unsupported option: %.100s", tok);
            res = -1;
        }
    }
    vstr_free(tmp);
    mem_free(copy);
    return res;
}

static int bs_cmd_mail(BS *bs, const char *arg)
{
    const char *rest, *err;

    if (bs->have_mail) {
        bs_reply(bs, "503 5.5.1 Error: nested MAIL command");
        return -1;
    }
    if ((arg = bs_keyword(arg, "FROM:")) == NULL) {
        bs_reply(bs, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return -1;
    }
    if (addr_parse_path(arg, 0, bs->sender, &rest, &err) < 0) {
        bs_reply(bs, "501 5.1.7 Bad sender address syntax: %s", err);
        return -1;
    }
    if (bs_params(bs, rest, 0, NULL) < 0) {
        bs_reset(bs);
        return -1;
    }
    bs->have_mail = 1;
    bs_reply(bs, "250 2.1.0 Ok");
    return 0;
}

static int bs_cmd_rcpt(BS *bs, const char *arg)
{
    const char *rest, *err;
    VSTR *addr;
    int notify = 0;

    if (!bs->have_mail) {
        bs_reply(bs, "503 5.5.1 Error: need MAIL command");
        return -1;
    }
    if ((arg = bs_keyword(arg, "TO:")) == NULL) {
        bs_reply(bs, "501 5.5.4 Syntax: RCPT TO:<address>");
        return -1;
    }
    addr = vstr_new(0);
    if (addr_parse_path(arg, 0, addr, &rest, &err) < 0) {
        bs_reply(bs, "501 5.1.3 Bad recipient address syntax: %s", err);
        vstr_free(addr);
        return -1;
    }
    if (vstr_len(addr) == 0) {
        bs_reply(bs, "553 5.1.3 Error: the null address is not a recipient");
        vstr_free(addr);
        return -1;
    }
    if (bs_params(bs, rest, 1, &notify) < 0) {
        vstr_free(addr);
        return -1;
    }
    if (bs->rcpt_count >= bs->conf->rcpt_limit) {
        bs_reply(bs, "452 4.5.3 Error: too many recipients");
        vstr_free(addr);
        return 0;
    }
    if (bs->rcpt_count == bs->rcpt_cap) {
        bs->rcpt_cap = bs->rcpt_cap ? 2 * bs->rcpt_cap : 8;
        bs->rcpts = mem_realloc(bs->rcpts, bs->rcpt_cap * sizeof(*bs->rcpts));
        bs->notify = mem_realloc(bs->notify, bs->rcpt_cap * sizeof(*bs->notify));
    }
    bs->notify[bs->rcpt_count] = notify;
    bs->rcpts[bs->rcpt_count++] = vstr_export(addr);
    bs_reply(bs, "250 2.1.5 Ok");
    return 0;
}

/* DATA: read to the dot, hand the message over. 0, 1 after an error reply, -1 when the client left. */
static int bs_cmd_data(BS *bs, const char *arg)
{
    SENDMAIL_BS_ENV env;
    VSTR *line, *why;
    void *h;
    long long size = 0;
    int complete, prev_complete = 1, too_big = 0, st;

    if (*arg) {
        bs_reply(bs, "501 5.5.4 Syntax: DATA");
        return 1;
    }
    if (!bs->have_mail) {
        bs_reply(bs, "503 5.5.1 Error: need MAIL command");
        return 1;
    }
    if (bs->rcpt_count == 0) {
        bs_reply(bs, "554 5.5.1 Error: no valid recipients");
        return 1;
    }
    why = vstr_new(0);
    memset(&env, 0, sizeof(env));
    env.sender = vstr_str(bs->sender);
    env.rcpts = bs->rcpts;
    env.notify = bs->notify;
    env.rcpt_count = bs->rcpt_count;
    env.envid = bs->has_envid ? vstr_str(bs->envid) : NULL;
    env.ret = bs->ret;
    env.encoding = bs->encoding;
    if ((h = bs->ops->open(bs->ops->ctx, &env, why)) == NULL) {
        bs_reply(bs, "451 4.3.0 Error: queue file write error");
        vstr_free(why);
        bs_reset(bs);
        return 0;
    }
    bs_reply(bs, "354 End data with <CR><LF>.<CR><LF>");
    line = vstr_new(1024);
    for (;;) {
        const char *text;
        size_t len;

        if (!bs_piece(bs, line, bs->conf->line_limit, &complete)) {
            (void) bs->ops->close(h, 0, why);
            vstr_free(line);
            vstr_free(why);
            return -1;
        }
        text = vstr_str(line);
        len = vstr_len(line);
        if (prev_complete && complete && len == 1 && text[0] == '.')
            break;
        if (prev_complete && len > 0 && text[0] == '.') {
            text++;
            len--;
        }
        prev_complete = complete;
        size += (long long) len + (complete ? 2 : 0);
        if (bs->conf->size_limit > 0 && size > bs->conf->size_limit)
            too_big = 1;
        if (!too_big)
            bs->ops->line(h, text, len, complete);
    }
    vstr_free(line);
    st = bs->ops->close(h, !too_big, why);
    if (too_big || st == BS_EX_DATAERR)
        bs_reply(bs, "552 5.3.4 Error: message file too big");
    else if (st != 0)
        bs_reply(bs, "451 4.3.0 Error: queue file write error");
    else
        bs_reply(bs, "250 2.0.0 Ok: queued");
    if (st != 0 && vstr_len(why))
        msg_warn("%s", vstr_str(why));
    vstr_free(why);
    bs_reset(bs);
    return 0;
}

static void bs_cmd_ehlo(BS *bs, int extended)
{
    if (!extended) {
        bs_reply(bs, "250 %s", bs->conf->hostname);
        return;
    }
    bs_reply(bs, "250-%s", bs->conf->hostname);
    bs_reply(bs, "250-PIPELINING");
    if (bs->conf->size_limit > 0)
        bs_reply(bs, "250-SIZE %lld", bs->conf->size_limit);
    else
        bs_reply(bs, "250-SIZE");
    bs_reply(bs, "250-ENHANCEDSTATUSCODES");
    bs_reply(bs, "250-8BITMIME");
    bs_reply(bs, "250 DSN");
}

int sendmail_bs_run(int in_fd, int out_fd, const SENDMAIL_BS_CONF *conf,
                    const SENDMAIL_BS_OPS *ops)
{
    BS bs;
    VSTR *line = vstr_new(256);
    int complete, result = 1;

    memset(&bs, 0, sizeof(bs));
    bs.in_fd = in_fd;
    bs.out_fd = out_fd;
    bs.conf = conf;
    bs.ops = ops;
    bs.out = vstr_new(512);
    bs.sender = vstr_new(64);
    bs.envid = vstr_new(0);
    bs_reply(&bs, "220 %s", conf->banner);
    for (;;) {
        char *cmd, *arg;
        size_t n;
        int bad = 0;

        if (bs.errors >= conf->error_limit) {
            bs_reply(&bs, "421 4.7.0 %s Error: too many errors", conf->hostname);
            break;
        }
        if (!bs_piece(&bs, line, SENDMAIL_BS_CMD_MAX, &complete)) {
            if (bs.timed_out)
                bs_reply(&bs, "421 4.4.2 %s Error: timeout exceeded", conf->hostname);
            break;
        }
        if (!complete) {
            while (!complete && bs_piece(&bs, line, SENDMAIL_BS_CMD_MAX, &complete))
                ;
            bs_reply(&bs, "500 5.5.2 Error: command line too long");
            bs.errors++;
            continue;
        }
        cmd = vstr_str(line);
        if (strlen(cmd) != vstr_len(line)) {
            bs_reply(&bs, "500 5.5.2 Error: bad syntax");
            bs.errors++;
            continue;
        }
        cmd += strspn(cmd, " \t");
        n = strcspn(cmd, " \t");
        arg = cmd + n;
        if (*arg)
            *arg++ = 0;
        arg += strspn(arg, " \t");
        n = strlen(arg);
        while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
            arg[--n] = 0;
        if (strcasecmp(cmd, "HELO") == 0 || strcasecmp(cmd, "EHLO") == 0) {
            if (*arg == 0) {
                bs_reply(&bs, "501 Syntax: %s hostname", strcasecmp(cmd, "HELO") ? "EHLO" : "HELO");
                bad = 1;
            } else {
                bs_reset(&bs);
                bs_cmd_ehlo(&bs, strcasecmp(cmd, "EHLO") == 0);
            }
        } else if (strcasecmp(cmd, "MAIL") == 0) {
            bad = bs_cmd_mail(&bs, arg) < 0;
        } else if (strcasecmp(cmd, "RCPT") == 0) {
            bad = bs_cmd_rcpt(&bs, arg) < 0;
        } else if (strcasecmp(cmd, "DATA") == 0) {
            int r = bs_cmd_data(&bs, arg);

            if (r < 0) {
                if (bs.timed_out)
                    bs_reply(&bs, "421 4.4.2 %s Error: timeout exceeded", conf->hostname);
                break;
            }
            bad = r > 0;
        } else if (strcasecmp(cmd, "RSET") == 0) {
            bs_reset(&bs);
            bs_reply(&bs, "250 2.0.0 Ok");
        } else if (strcasecmp(cmd, "NOOP") == 0) {
            bs_reply(&bs, "250 2.0.0 Ok");
        } else if (strcasecmp(cmd, "VRFY") == 0) {
            if (*arg == 0) {
                bs_reply(&bs, "501 5.5.4 Syntax: VRFY address");
                bad = 1;
            } else {
                bs_reply(&bs, "252 2.0.0 Cannot verify; send some mail and see");
            }
        } else if (strcasecmp(cmd, "HELP") == 0) {
            bs_reply(&bs, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
        } else if (strcasecmp(cmd, "QUIT") == 0) {
            bs_reply(&bs, "221 2.0.0 Bye");
            result = 0;
            break;
        } else {
            bs_reply(&bs, "502 5.5.2 Error: command not recognized");
            bad = 1;
        }
        if (bad)
            bs.errors++;
    }
    bs.eof = 0; /* the last reply still goes out when the client listens */
    bs_flush(&bs);
    bs_reset(&bs);
    mem_free(bs.rcpts);
    mem_free(bs.notify);
    vstr_free(bs.out);
    vstr_free(bs.sender);
    vstr_free(bs.envid);
    vstr_free(line);
    return result;
}
