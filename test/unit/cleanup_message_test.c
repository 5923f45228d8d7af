/*
 * cleanup_message_test - one request through cleanup's modules, in
 * process: records in (as a client sends them), the queue file out (read
 * back with lib/qfile.h). Table-driven: added headers for local mail
 * (Received for a local submission, Message-Id, Date, From with the full
 * name, the Resent- variants), nothing added for remote mail, removed
 * headers, folded headers, a body without an empty line, stray CR and LF, long
 * lines, header_size_limit, hopcount_limit, header and body checks,
 * recipient extraction (sendmail -t), DSN records, duplicates,
 * message_size_limit, virtual alias limits, and malformed input
 * (records out of place, NUL bytes, no sender, two senders, a bad time).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "cleanup_rewrite.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "vstr.h"
#include "tap.h"
#include "cleanup_conf.h"

static char dir[] = "/tmp/cleanup_message_test.XXXXXX";
static VSTR *logbuf;
static CLEANUP_CONF test_conf;

static void log_sink(int level, const char *tag, const char *text)
{
    (void) level;
    (void) tag;
    vstr_adds(logbuf, text);
    vstr_addch(logbuf, '\n');
}

static void write_file(const char *name, const char *text)
{
    FILE *fp;

    if ((fp = fopen(name, "w")) == NULL)
        msg_fatal("create %s: %m", name);
    fputs(text, fp);
    fclose(fp);
}

static CLEANUP_MAPS *open_maps(const char *title, const char *spec)
{
    VSTR *why = vstr_new(0);
    CLEANUP_MAPS *m = cleanup_maps_open(title, spec, why);

    if (m == NULL)
        msg_fatal("%s", vstr_str(why));
    vstr_free(why);
    return m;
}

static void conf_setup(CLEANUP_CONF *c)
{
    VSTR *why = vstr_new(0);

    cleanup_conf_base(c);
    c->rcpt_delim = "";
    c->empty_rcpt = "MAILER-DAEMON";
    c->always_bcc = "archive";
    c->original_rcpt = 1;
    c->replace_stray = 1;
    c->hop_limit = 3;
    c->header_limit = 300;
    c->line_limit = 2048;
    c->body_check_limit = 51200;
    c->dup_limit = 1000;
    c->size_limit = 20000;
    c->valias_recursion = 2;
    c->masq_domains = argv_new();
    c->drop_headers = argv_split("bcc, content-length, resent-bcc, return-path", ", ");
    c->masq_exceptions = argv_new();
    c->canonical = open_maps("canonical_maps", "");
    c->sender_canonical = open_maps("sender_canonical_maps", "");
    c->rcpt_canonical = open_maps("recipient_canonical_maps", "");
    c->virtual_alias = open_maps("virtual_alias_maps", "texthash:virtual");
    c->sender_bcc = open_maps("sender_bcc_maps", "texthash:sender_bcc");
    c->rcpt_bcc = open_maps("recipient_bcc_maps", "texthash:recipient_bcc");
    c->header_checks = open_maps("header_checks", "regexp:header_checks");
    c->body_checks = open_maps("body_checks", "regexp:body_checks");
    c->mime_header_checks = open_maps("mime_header_checks", "regexp:header_checks");
    c->nested_header_checks = open_maps("nested_header_checks", "regexp:header_checks");
    c->mime_nesting = 100;
    c->mydestination = match_list_create("mydestination", "mail.example.com", MATCH_DOMAIN, why);
    c->qmgr_path = "public/qmgr";
    vstr_free(why);
}

/*
 * A request as text: one record per line, "TYPE data" (the type a single
 * character; "\t" in data is a tab, "\r" a CR, "\0" a NUL byte, "{N*c}" N
 * copies of c). The result: the records of the queue file in the same form,
 * without C, T and create_time, with the queue id as ID and a generated
 * Message-Id's time stamp as STAMP; or "STATUS n reason" when refused.
 */
static void unescape(const char *in, VSTR *out)
{
    const char *p;
    char *end;
    long n;

    vstr_reset(out);
    for (p = in; *p != 0; p++) {
        if (*p == '\\' && p[1] == 't') {
            vstr_addch(out, '\t');
            p++;
        } else if (*p == '\\' && p[1] == 'r') {
            vstr_addch(out, '\r');
            p++;
        } else if (*p == '\\' && p[1] == 'l') { /* a stray LF inside a record */
            vstr_addch(out, '\n');
            p++;
        } else if (*p == '\\' && p[1] == '0') {
            vstr_addch(out, 0);
            p++;
        } else if (*p == '{' && (n = strtol(p + 1, &end, 10)) > 0 && *end == '*' && end[2] == '}') {
            while (n-- > 0)
                vstr_addch(out, end[1]);
            p = end + 2;
        } else {
            vstr_addch(out, *p);
        }
    }
}

static void replace_all(VSTR *v, const char *from, const char *to)
{
    VSTR *out = vstr_new(0);
    const char *p = vstr_str(v), *q;

    while ((q = strstr(p, from)) != NULL) {
        vstr_addmem(out, p, (size_t) (q - p));
        vstr_adds(out, to);
        p = q + strlen(from);
    }
    vstr_adds(out, p);
    vstr_set(v, vstr_str(out));
    vstr_free(out);
}

static void dump_file(CLEANUP_STATE *st, VSTR *out)
{
    QFILE_READER *r;
    QFILE_REC rec;
    int fd;
    char *p;

    if ((fd = open(vstr_str(st->path), O_RDONLY)) < 0) {
        vstr_printf(out, "NO FILE %s\n", vstr_str(st->path));
        return;
    }
    r = qfile_reader_open(fd, vstr_str(st->path), QFILE_READ_FOLLOW);
    while (qfile_read(r, &rec) == 1) {
        if (rec.type == QREC_SIZE || rec.type == QREC_TIME
            || (rec.type == QREC_ATTR && strncmp(rec.data, "create_time=", 12) == 0))
            continue;
        vstr_printf(out, "%c %s\n", rec.type, rec.data);
    }
    if (qfile_reader_error(r) != NULL)
        vstr_printf(out, "READ ERROR %s\n", qfile_reader_error(r));
    qfile_reader_free(r);
    close(fd);
    replace_all(out, st->queue_id, "ID");
    /* <20261121121414.ID@ -> <STAMP.ID@ */
    while ((p = strstr(vstr_str(out), ".ID@mail.example.com>")) != NULL && p - vstr_str(out) > 15
           && p[-15] == '<') {
        memcpy(p - 14, "STAMP", 5);
        memmove(p - 9, p, strlen(p) + 1);
        out->len -= 9;
    }
}

/* When set, run() serves every request with one state, reset between
 * requests, as the daemon does (cleanup_state_reset()). */
static int run_reuse;
static CLEANUP_STATE *run_state;

static void run(int flags, const char *request, VSTR *result)
{
    CLEANUP_STATE *st;
    VSTR *rec = vstr_new(0);
    char *copy = mem_strdup(request);
    char *line, *next;
    int done = 0;

    st = run_reuse && run_state != NULL ? run_state : cleanup_state_new(&test_conf);
    vstr_reset(result);
    if (cleanup_out_create(st) < 0)
        msg_fatal("create: %m");
    cleanup_flags(st, flags);
    for (line = copy; line != NULL && *line != 0 && !done; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = 0;
        unescape(line + 2, rec);
        done = cleanup_record(st, line[0], rec->buf, vstr_len(rec));
    }
    if (!done) {
        vstr_sprintf(result, "NO END");
        cleanup_out_remove(st);
    } else {
        cleanup_conclude(st);
        if (st->status != CLEANUP_STAT_OK) {
            vstr_sprintf(result, "STATUS %d %s\n", st->status, vstr_str(st->reason));
            if (access(vstr_str(st->path), F_OK) == 0)
                vstr_adds(result, "FILE LEFT BEHIND\n");
        } else if (st->discard) {
            vstr_sprintf(result, "DISCARDED%s\n",
                         access(vstr_str(st->path), F_OK) == 0 ? " FILE LEFT BEHIND" : "");
        } else {
            if (strncmp(vstr_str(st->path), "hold/", 5) == 0)
                vstr_adds(result, "HOLD\n");
            dump_file(st, result);
            unlink(vstr_str(st->path));
        }
    }
    replace_all(logbuf, st->queue_id, "ID");
    if (run_reuse) {
        cleanup_state_reset(st);
        run_state = st;
    } else {
        cleanup_state_free(st);
    }
    vstr_free(rec);
    mem_free(copy);
}

/* Envelope prefixes. 1795263242 = Sat Nov 21 12:14:02 2026 UTC. */
#define ENV_LOCAL "T 1795263242 5\nA rewrite_context=local\n"
#define ENV_REMOTE "T 1795263242 5\nA rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\n"
#define OUT_RCPT(r) "A dsn_orig_rcpt=rfc822;" r "\nO " r "\nR " r "\n"
#define FLT (CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MAP_OK)

static const struct {
    const char *name;
    int flags;
    const char *in;
    const char *want;
    const char *log;    /* a substring the log must have, or NULL */
} cases[] = {
    {"local submission: Received, Message-Id, Date, From added", FLT,
     ENV_LOCAL "F Alice Example\nA submit_uid=1000\nS alice\nR bob@relay.test\nM \n"
     "N Subject: hi\nN \nN body\nX \nE \n",
     "A rewrite_context=local\nF Alice Example\nS alice@example.com\n" OUT_RCPT("bob@relay.test")
     "M \nN Received: by mail.example.com (Postfix, from userid 1000)\n"
     "N \tid ID; Sat, 21 Nov 2026 12:14:02 +0000 (UTC)\nN Subject: hi\n"
     "N Message-Id: <STAMP.ID@mail.example.com>\nN Date: Sat, 21 Nov 2026 12:14:02 +0000 (UTC)\n"
     "N From: Alice Example <alice@example.com>\nN \nN body\nX \nE \n",
     "ID: message-id=<"},
    {"remote mail: nothing added, message-id=<> logged", FLT,
     ENV_REMOTE "S a@b.test\nR bob@relay.test\nM \nN Subject: hi\nN To: bob\nN \nN body\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("bob@relay.test") "M \nN Subject: hi\nN To: bob\nN \nN body\nX \nE \n",
     "ID: message-id=<>"},
    {"Resent- headers: Resent-Message-Id and Resent-Date added", FLT,
     ENV_LOCAL "S a@example.com\nR b@relay.test\nM \nN From: a@example.com\nN Date: x\n"
     "N Message-Id: <m@x>\nN Resent-From: r@example.com\nN \nX \nE \n",
     "A rewrite_context=local\nS a@example.com\n" OUT_RCPT("b@relay.test")
     "M \nN From: a@example.com\nN Date: x\nN Message-Id: <m@x>\nN Resent-From: r@example.com\n"
     "N Resent-Message-Id: <STAMP.ID@mail.example.com>\n"
     "N Resent-Date: Sat, 21 Nov 2026 12:14:02 +0000 (UTC)\nN \nX \nE \n",
     "ID: message-id=<m@x>"},
    {"Bcc, Resent-Bcc, Return-Path, Content-Length removed (Resent-Bcc still makes it a resent message); addresses qualified", FLT,
     ENV_LOCAL "S a@example.com\nR b@relay.test\nM \nN From: a@example.com\nN Date: x\n"
     "N Message-Id: <m@x>\nN To: joe,\nN \tann\nN Bcc: hidden@x.test\nN Resent-Bcc: h2@x.test\n"
     "N Return-Path: <z@x.test>\nN Content-Length: 12\nN \nN b\nX \nE \n",
     "A rewrite_context=local\nS a@example.com\n" OUT_RCPT("b@relay.test")
     "M \nN From: a@example.com\nN Date: x\nN Message-Id: <m@x>\n"
     "N To: joe@example.com, ann@example.com\n"
     "N Resent-Message-Id: <STAMP.ID@mail.example.com>\n"
     "N Resent-Date: Sat, 21 Nov 2026 12:14:02 +0000 (UTC)\nN Resent-From: a@example.com\n"
     "N \nN b\nX \nE \n", NULL},
    {"a body that starts without an empty line gets one", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: x\nN not a header line\nN more\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: x\nN \nN not a header line\nN more\nX \nE \n", NULL},
    {"stray CR becomes a space; L pieces are joined and re-cut at 2048", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: x\nN \nN a\\rb\nL {1000*x}\nL {1048*y}\n"
     "N \nL {3000*z}\nN {2000*w}\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: x\nN \nN a b\nL {1000*x}{1048*y}\nN \n"
     "L {2048*z}\nL {952*z}{1096*w}\nN {904*w}\nX \nE \n", NULL},
    {"stray LF inside a header and a body record becomes a space", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: a\\lb\nN \nN c\\ld\\r\\le\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: a b\nN \nN c d  e\nX \nE \n", NULL},
    {"a header longer than header_size_limit is cut, the next one is whole", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: {290*s}\nN \t{100*t}\nN X-After: y\nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: {290*s}\nN X-After: y\nN \nX \nE \n",
     "header_size_limit exceeded"},
    {"hopcount_limit", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Received: 1\nN Received: 2\nN Received: 3\n"
     "N Received: 4\nN \nX \nE \n",
     "STATUS 16 5.4.0 Too many hops\n", "hopcount exceeded"},
    {"header_checks see a folded header whole", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: first\nN \tsecond part\nN \nX \nE \n",
     "STATUS 8 5.7.1 folded\n",
     "ID: reject: header Subject: first??second part from c.test[192.0.2.1]; from=<a@b.test> to=<b@relay.test>: 5.7.1 folded"},
    {"no checks without CLEANUP_FLAG_FILTER", CLEANUP_FLAG_MAP_OK,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: first\nN \tsecond part\nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: first\nN \tsecond part\nN \nX \nE \n", NULL},
    {"body_checks REPLACE, IGNORE, 4xx REJECT", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: x\nN \nN secret: 1234\nN drop me\nN ok\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: x\nN \nN secret: XXXX\nN ok\nX \nE \n", NULL},
    {"body_checks temporary reject", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: x\nN \nN try later please\nX \nE \n",
     "STATUS 8 451 4.7.1 later\n", "reject: body try later please"},
    {"header HOLD puts the file in hold/", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: hold this\nN \nX \nE \n",
     "HOLD\nA rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: hold this\nN \nX \nE \n", "ID: hold: header Subject: hold this"},
    {"CLEANUP_FLAG_HOLD", CLEANUP_FLAG_HOLD,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN \nX \nE \n",
     "HOLD\nA rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN \nX \nE \n", NULL},
    {"DISCARD", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: discard this\nN \nX \nE \n",
     "DISCARDED\n", "ID: discard: header Subject: discard this"},
    {"sendmail -t: recipients from To/Cc/Bcc, Bcc removed", FLT | CLEANUP_FLAG_EXTRACT,
     ENV_LOCAL "S a@example.com\nM \nN To: Bob <bob@relay.test>, carol\nN Cc: dave@down.test\n"
     "N Bcc: eve@x.test\nN Subject: s\nN Message-Id: <1@x>\nN Date: d\nN From: a@example.com\nN \nX \nE \n",
     "A rewrite_context=local\nS a@example.com\nM \nN To: Bob <bob@relay.test>, carol@example.com\n"
     "N Cc: dave@down.test\nN Subject: s\nN Message-Id: <1@x>\nN Date: d\nN From: a@example.com\nN \nX \n"
     OUT_RCPT("bob@relay.test") "A dsn_orig_rcpt=rfc822;carol\nO carol\nR carol@example.com\n"
     OUT_RCPT("dave@down.test") OUT_RCPT("eve@x.test") "E \n", NULL},
    {"sendmail -t with Resent- headers: Resent-To only", FLT | CLEANUP_FLAG_EXTRACT,
     ENV_LOCAL "S a@example.com\nM \nN To: old@relay.test\nN Resent-To: new@relay.test\n"
     "N Resent-Message-Id: <r@x>\nN Resent-Date: d\nN Resent-From: a@example.com\nN \nX \nE \n",
     "A rewrite_context=local\nS a@example.com\nM \nN To: old@relay.test\nN Resent-To: new@relay.test\n"
     "N Resent-Message-Id: <r@x>\nN Resent-Date: d\nN Resent-From: a@example.com\nN \nX \n"
     OUT_RCPT("new@relay.test") "E \n", "ID: resent-message-id=<r@x>"},
    {"recipients after X (postdrop's sendmail -t file)", FLT,
     ENV_LOCAL "S a@example.com\nM \nN Message-Id: <1@x>\nN Date: d\nN From: a@example.com\nN \nX \n"
     "R x@relay.test\nR y@relay.test\nE \n",
     "A rewrite_context=local\nS a@example.com\nM \nN Message-Id: <1@x>\nN Date: d\nN From: a@example.com\n"
     "N \nX \n" OUT_RCPT("x@relay.test") OUT_RCPT("y@relay.test") "E \n", NULL},
    {"DSN records; duplicates dropped", FLT,
     ENV_REMOTE "A envelope_id=E1\nS a@b.test\nn 6\no rfc822;Orig@relay.test\nO b@relay.test\nR b@relay.test\n"
     "R c@relay.test\nR c@relay.test\nA notify_flags=1\nA dsn_orig_rcpt=rfc822;d@relay.test\nR d@relay.test\n"
     "i ENV2\n< 2\nM \nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nA envelope_id=E1\nS a@b.test\n"
     "A notify_flags=6\nA dsn_orig_rcpt=rfc822;Orig@relay.test\nO b@relay.test\nR b@relay.test\n"
     OUT_RCPT("c@relay.test") "A notify_flags=1\nA dsn_orig_rcpt=rfc822;d@relay.test\nO d@relay.test\n"
     "R d@relay.test\nA envelope_id=ENV2\nA ret_flags=2\nM \nN \nX \nE \n", NULL},
    {"virtual alias, one to many, original kept", FLT,
     ENV_REMOTE "S a@b.test\nO team@example.com\nR team@example.com\nM \nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     "A dsn_orig_rcpt=rfc822;team@example.com\nO team@example.com\nR carol@relay.test\n"
     "A dsn_orig_rcpt=rfc822;team@example.com\nO team@example.com\nR dave@down.test\nM \nN \nX \nE \n", NULL},
    {"no virtual alias without CLEANUP_FLAG_MAP_OK", CLEANUP_FLAG_FILTER,
     ENV_REMOTE "S a@b.test\nR team@example.com\nM \nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("team@example.com") "M \nN \nX \nE \n", NULL},
    {"virtual alias nesting too deep: deferred", FLT,
     ENV_REMOTE "S a@b.test\nR deep0@example.com\nM \nN \nX \nE \n",
     "STATUS 128 4.6.0 Alias expansion error\n", "unreasonable virtual_alias_maps map nesting"},
    {"message_size_limit", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN \nN {9000*a}\nN {9000*b}\nN {9000*c}\nX \nE \n",
     "STATUS 4 5.3.4 Message too big for system\n", "exceeds message_size_limit"},
    {"no recipients", FLT, ENV_REMOTE "S a@b.test\nM \nN \nX \nE \n",
     "STATUS 32 5.1.0 No recipients specified\n", NULL},
    {"a null recipient goes to empty_address_recipient, qualified", FLT,
     ENV_LOCAL "S a@example.com\nR \nM \nN \nX \nE \n",
     "A rewrite_context=local\nS a@example.com\n"
     "A dsn_orig_rcpt=rfc822;\nO \nR MAILER-DAEMON@example.com\nM \n"
     "N Message-Id: <STAMP.ID@mail.example.com>\nN Date: Sat, 21 Nov 2026 12:14:02 +0000 (UTC)\n"
     "N From: a@example.com\nN \nX \nE \n", NULL},
    {"null sender allowed", FLT, ENV_REMOTE "S \nR b@relay.test\nM \nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS \n"
     OUT_RCPT("b@relay.test") "M \nN \nX \nE \n", NULL},
    {"bad: a recipient in the content", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN x\nR c@relay.test\nN y\nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "unexpected record in the content"},
    {"bad: NUL in the sender", FLT, ENV_REMOTE "S a\\0b\nR b@relay.test\nM \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "NUL byte in an envelope record"},
    {"bad: no sender", FLT, ENV_REMOTE "M \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "no sender record"},
    {"bad: a recipient before the sender", FLT, ENV_REMOTE "R b@relay.test\nS a@b.test\nM \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "envelope recipient precedes sender"},
    {"bad: two senders", FLT, ENV_REMOTE "S a@b.test\nS c@d.test\nR b@relay.test\nM \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "more than one sender record"},
    {"bad: malformed time", FLT, "T yesterday\nS a@b.test\nR b@relay.test\nM \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "malformed time record"},
    {"bad: E without content", FLT, ENV_REMOTE "S a@b.test\nR b@relay.test\nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "no message content"},
    {"bad: unknown envelope record", FLT, ENV_REMOTE "S a@b.test\nZ what\nR b@relay.test\nM \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "unexpected record type 90"},
    {"bad: malformed attribute", FLT, ENV_REMOTE "A =x\nS a@b.test\nR b@relay.test\nM \nN \nX \nE \n",
     "STATUS 1 4.3.0 Internal protocol error\n", "malformed attribute"},
    {"MIME part headers: mime_header_checks, not body_checks", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Content-Type: multipart/mixed;\nN \tboundary=\"=_b1\"\n"
     "N \nN preamble secret: 1\nN --=_b1\nN Content-Type: text/plain\nN secret: 99\nN X-Part: drop\nN \n"
     "N secret: 1234\nN Subject: nested evil\nN --=_b1--\nN secret: 5\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Content-Type: multipart/mixed;\nN \tboundary=\"=_b1\"\nN \n"
     "N preamble secret: 1\nN --=_b1\nN Content-Type: text/plain\nN secret: 99\nN \nN secret: XXXX\n"
     "N Subject: nested evil\nN --=_b1--\nN secret: XXXX\nX \nE \n", NULL},
    {"MIME: an executable attachment is refused by its part header", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Content-Type: multipart/mixed; boundary=b2\nN \n"
     "N --b2\nN Content-Type: text/plain\nN \nN hi\nN --b2\n"
     "N Content-Type: application/octet-stream;\nN \tname=\"tool.exe\"\nN \nN AAAA\nN --b2--\nX \nE \n",
     "STATUS 8 5.7.1 executable attachment\n", "reject: header Content-Type: application/octet-stream;"},
    {"MIME: nested multipart and an attached message (nested_header_checks)", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Content-Type: multipart/mixed; boundary=outer\nN \n"
     "N --outer\nN Content-Type: multipart/alternative; boundary=inner\nN \nN --inner\nN \nN text\n"
     "N --inner--\nN --outer\nN Content-Type: message/rfc822\nN \nN Subject: nested evil\nN \nN x\n"
     "N --outer--\nX \nE \n",
     "STATUS 8 5.7.1 nested\n", "ID: reject: header Subject: nested evil"},
    {"the same line in a body is not a header", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: ok\nN \nN Subject: nested evil\n"
     "N Content-Type: text/plain; name=x.exe\nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Subject: ok\nN \nN Subject: nested evil\n"
     "N Content-Type: text/plain; name=x.exe\nX \nE \n", NULL},
    {"BCC: sender_bcc_maps, recipient_bcc_maps, always_bcc", FLT | CLEANUP_FLAG_BCC_OK,
     ENV_REMOTE "S boss@example.com\nR ceo@example.com\nR team@example.com\nM \nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS boss@example.com\n"
     OUT_RCPT("boss-archive@relay.test") OUT_RCPT("ceo@example.com") OUT_RCPT("ceo-archive@relay.test")
     "A dsn_orig_rcpt=rfc822;team@example.com\nO team@example.com\nR carol@relay.test\n"
     "A dsn_orig_rcpt=rfc822;team@example.com\nO team@example.com\nR dave@down.test\n"
     OUT_RCPT("team-copy@relay.test") "M \nN \nX \n" OUT_RCPT("archive@example.com") "E \n", NULL},
    {"BCC maps need CLEANUP_FLAG_BCC_OK", FLT,
     ENV_REMOTE "S boss@example.com\nR ceo@example.com\nM \nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS boss@example.com\n"
     OUT_RCPT("ceo@example.com") "M \nN \nX \nE \n", NULL},
    {"obsolete space before the colon; a folded Message-Id is logged unfolded", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Message-Id :\nN \t<sp@x>\nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN Message-Id :\nN \t<sp@x>\nN \nX \nE \n", "ID: message-id=<sp@x>"},
    {"FILTER, REDIRECT and BCC actions: records after X", FLT,
     ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN X-Filter: yes\nN X-Redirect: yes\nN X-Copy: yes\nN \nX \nE \n",
     "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
     OUT_RCPT("b@relay.test") "M \nN X-Filter: yes\nN X-Redirect: yes\nN X-Copy: yes\nN \nX \n"
     "L smtp:[127.0.0.1]:10025\n> postmaster@example.com\n" OUT_RCPT("audit@relay.test") "E \n",
     "ID: redirect: header X-Redirect: yes from c.test[192.0.2.1]; from=<a@b.test> to=<b@relay.test>: postmaster"},
    {"no E: nothing concluded", FLT, ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN \nX \n", "NO END",
     NULL},
};

int main(void)
{
    VSTR *got = vstr_new(0);
    VSTR *want = vstr_new(0);
    VSTR *cmd = vstr_new(0);
    size_t i;
    int r;

    setenv("TZ", "UTC", 1);
    tzset();
    msg_init("cleanup_message_test", MSG_OUT_STDERR);
    logbuf = vstr_new(0);
    msg_set_sink(log_sink);
    if (mkdtemp(dir) == NULL || chdir(dir) < 0 || mkdir("incoming", 0700) < 0
        || mkdir("hold", 0700) < 0)
        msg_fatal("set up %s: %m", dir);
    write_file("virtual", "team@example.com carol@relay.test, dave@down.test\n"
               "deep0@example.com deep1@example.com\ndeep1@example.com deep2@example.com\n"
               "deep2@example.com deep3@example.com\n");
    write_file("sender_bcc", "boss@example.com boss-archive@relay.test\n");
    write_file("recipient_bcc", "ceo@example.com ceo-archive@relay.test\n"
               "team@example.com team-copy@relay.test\n");
    write_file("header_checks", "/^Subject: first[[:space:]]+second/ REJECT folded\n"
               "/^Subject: hold this/ HOLD\n/^Subject: discard this/ DISCARD\n"
               "/^Content-Type:.*name=\"?[^\"]*\\.exe/ REJECT executable attachment\n"
               "/^Subject: nested evil/ REJECT nested\n/^X-Part: drop/ IGNORE\n"
               "/^X-Filter: yes/ FILTER smtp:[127.0.0.1]:10025\n/^X-Redirect: yes/ REDIRECT postmaster\n"
               "/^X-Copy: yes/ BCC audit@relay.test\n");
    write_file("body_checks", "/^secret: [0-9]+/ REPLACE secret: XXXX\n/^drop me$/ IGNORE\n"
               "/^try later/ 451 4.7.1 later\n");
    conf_setup(&test_conf);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vstr_reset(logbuf);
        run(cases[i].flags, cases[i].in, got);
        unescape(cases[i].want, want);
        TAP_STR(vstr_str(got), vstr_str(want), "%s", cases[i].name);
        if (cases[i].log != NULL && !TAP_OK(strstr(vstr_str(logbuf), cases[i].log) != NULL,
                                            "%s: logs \"%s\"", cases[i].name, cases[i].log))
            printf("# log: %s", vstr_str(logbuf));
    }
    /* The same requests again, through one state reset between them. */
    run_reuse = 1;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vstr_reset(logbuf);
        run(cases[i].flags, cases[i].in, got);
        unescape(cases[i].want, want);
        TAP_STR(vstr_str(got), vstr_str(want), "reused state: %s", cases[i].name);
    }
    cleanup_state_free(run_state);
    run_state = NULL;
    run_reuse = 0;
    /*
     * Random requests (deterministic): any record types, lengths and bytes
     * in any order. Nothing may crash or leak (ASan/LSan); every request
     * ends in a status or a complete file that the strict reader accepts.
     */
    {
        static const char types[] = "TFASRONLMXEionw<pZ";
        unsigned long seed = 12345;
        int n, k, bad = 0;

        for (n = 0; n < 400; n++) {
            CLEANUP_STATE *st = cleanup_state_new(&test_conf);
            int done = 0;

            if (cleanup_out_create(st) < 0)
                msg_fatal("create: %m");
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            cleanup_flags(st, (int) ((seed >> 33) & 0x1ff));
            for (k = 0; k < 60 && !done; k++) {
                size_t len, j;

                seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                len = (seed >> 40) % (k % 7 == 0 ? 3000 : 40);
                vstr_reset(got);
                for (j = 0; j < len; j++) {
                    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                    vstr_addch(got, (seed >> 56) % 4 == 0 ? (int) ((seed >> 48) & 0xff)
                                                           : "ab@.:- \t\r<>,\"x"[(seed >> 44) % 14]);
                }
                seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                done = cleanup_record(st, k > 55 ? QREC_END : types[(seed >> 40) % (sizeof(types) - 1)],
                                      got->buf, vstr_len(got));
            }
            if (done) {
                cleanup_conclude(st);
                if (st->status == CLEANUP_STAT_OK && !st->discard) {
                    vstr_reset(got);
                    dump_file(st, got);
                    if (strstr(vstr_str(got), "READ ERROR") != NULL || strstr(vstr_str(got), "NO FILE") != NULL)
                        bad++;
                    unlink(vstr_str(st->path));
                } else if (access(vstr_str(st->path), F_OK) == 0) {
                    bad++;
                }
            } else {
                cleanup_out_remove(st);
            }
            cleanup_state_free(st);
        }
        TAP_INT(bad, 0, "400 random requests: no crash, no damaged file, no file left after a refusal");
    }

    /* delay_warning_time: a W record before the first recipient. */
    test_conf.delay_warn = 14400;
    run(FLT, ENV_REMOTE "S a@b.test\nR b@relay.test\nR c@relay.test\nM \nN \nX \nE \n", got);
    TAP_STR(vstr_str(got), "A rewrite_context=remote\nA log_message_origin=c.test[192.0.2.1]\nS a@b.test\n"
            "W      1795277642\n" OUT_RCPT("b@relay.test") OUT_RCPT("c@relay.test") "M \nN \nX \nE \n",
            "delay_warning_time: W = arrival + 4h, once, before the first recipient");
    run(FLT, ENV_REMOTE "S \nR b@relay.test\nM \nN \nX \nE \n", got);
    TAP_OK(strstr(vstr_str(got), "W ") == NULL, "no W record for the null sender");
    test_conf.delay_warn = 0;

    /* undisclosed_recipients_header for local mail without To:/Cc: */
    test_conf.undisclosed = "To: undisclosed-recipients:;";
    run(FLT, ENV_LOCAL "S a@example.com\nR b@relay.test\nM \nN Message-Id: <1@x>\nN Date: d\n"
        "N From: a@example.com\nN Bcc: b@relay.test\nN \nX \nE \n", got);
    TAP_OK(strstr(vstr_str(got), "N From: a@example.com\nN To: undisclosed-recipients:;\nN \n") != NULL,
           "undisclosed_recipients_header is added when there is no To: or Cc:");
    run(FLT, ENV_LOCAL "S a@example.com\nR b@relay.test\nM \nN Message-Id: <1@x>\nN Date: d\n"
        "N From: a@example.com\nN Cc: b@relay.test\nN \nX \nE \n", got);
    TAP_OK(strstr(vstr_str(got), "undisclosed") == NULL, "but not when there is a Cc:");
    test_conf.undisclosed = "";

    /* message_strip_characters, message_reject_characters, message_drop_headers */
    cleanup_char_set("\\0\\x7f", test_conf.strip_chars);
    test_conf.have_strip_chars = 1;
    run(FLT, ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN Subject: a\\0b\nN \nN x\\0y\x7fz\nX \nE \n", got);
    TAP_OK(strstr(vstr_str(got), "N Subject: ab\nN \nN xyz\n") != NULL,
           "message_strip_characters removes NUL and DEL from headers and body");
    test_conf.have_strip_chars = 0;
    cleanup_char_set("\\0", test_conf.reject_chars);
    test_conf.have_reject_chars = 1;
    run(FLT, ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN \nN x\\0y\nX \nE \n", got);
    TAP_STR(vstr_str(got), "STATUS 8 5.3.0 Message content rejected\n",
            "message_reject_characters refuses a NUL byte");
    test_conf.have_reject_chars = 0;
    argv_free(test_conf.drop_headers);
    test_conf.drop_headers = argv_split("x-internal", ", ");
    run(FLT, ENV_REMOTE "S a@b.test\nR b@relay.test\nM \nN X-Internal: 1\nN Bcc: kept@x\nN \nX \nE \n", got);
    TAP_OK(strstr(vstr_str(got), "X-Internal") == NULL && strstr(vstr_str(got), "N Bcc: kept@x\n") != NULL,
           "message_drop_headers names the headers to drop");
    cleanup_conf_free(&test_conf);
    if (chdir("/") < 0)
        msg_fatal("chdir /: %m");
    vstr_printf(cmd, "rm -rf %s", dir);
    r = system(vstr_str(cmd));
    (void) r;
    vstr_free(cmd);
    vstr_free(got);
    vstr_free(want);
    vstr_free(logbuf);
    return tap_done();
}
