/*
 * maildir_test - the Maildir writer (lib/maildir.h): tmp/ new/ cur/ made
 * when missing, files in new/ with unique names of the documented shape,
 * tmp/ empty afterwards, content exact (headers, no From_ line, no
 * quoting), and every failure (size limit, a write error under
 * RLIMIT_FSIZE, abort, a file where the directory should be) leaves
 * nothing in new/ and nothing in tmp/.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argv.h"
#include "mailbox.h"
#include "maildir.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "scratch.h"
#include "tap.h"

/* Names in dir/sub, sorted; -1 entries when the directory is missing. */
static int count_dir(const char *dir, const char *sub, ARGV *names)
{
    VSTR *p = vstr_new(64);
    DIR *d;
    struct dirent *e;
    int n = 0;

    vstr_sprintf(p, "%s/%s", dir, sub);
    if ((d = opendir(vstr_str(p))) == NULL) {
        vstr_free(p);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (names)
            argv_add(names, e->d_name);
        n++;
    }
    closedir(d);
    vstr_free(p);
    return n;
}

static void rm_maildir(const char *dir)
{
    static const char *const subs[] = {"tmp", "new", "cur"};
    VSTR *p = vstr_new(64);
    size_t i;
    int j;

    for (i = 0; i < 3; i++) {
        ARGV *names = argv_new();

        count_dir(dir, subs[i], names);
        for (j = 0; j < (int)names->argc; j++) {
            vstr_sprintf(p, "%s/%s/%s", dir, subs[i], names->argv[j]);
            unlink(vstr_str(p));
        }
        argv_free(names);
        vstr_sprintf(p, "%s/%s", dir, subs[i]);
        rmdir(vstr_str(p));
    }
    rmdir(dir);
    vstr_free(p);
}

static void test_opts(MAILBOX_OPTS *o)
{
    mailbox_opts_init(o);
    o->user = "alice";
    o->sender = "bob@example.com";
    o->hostname = "mail.example.com";
}

/* Same record notation as mbox_test: '|' ends an L piece, '\n' an N record. */
static int deliver(const char *dir, const MAILBOX_OPTS *o, const char *content,
                   MAILBOX_STATUS *st, VSTR *name)
{
    MAILDIR *md = maildir_open(dir, o, st);
    const char *p = content;

    if (md == NULL)
        return st->status;
    while (*p) {
        size_t n = strcspn(p, "|\n");

        maildir_write_line(md, p, n, p[n] == '\n');
        p += n;
        if (*p)
            p++;
    }
    maildir_finish(md, st, name);
    maildir_close(md);
    return st->status;
}

static const struct {
    const char *what;
    const char *return_path, *original_to, *delivered_to;
    const char *content, *want;
} cases[] = {
    {"plain", NULL, NULL, NULL, "Subject: a\n\nbody\n", "Subject: a\n\nbody\n"},
    {"no From quoting", NULL, NULL, NULL, "x\n\nFrom me\n", "x\n\nFrom me\n"},
    {"L pieces, unterminated end", NULL, NULL, NULL, "ab|cd\nlast|", "abcd\nlast\n"},
    {"headers", "bob@example.com", "Alice@example.com", "alice@example.com", "x\n",
     "Return-Path: <bob@example.com>\nX-Original-To: Alice@example.com\n"
     "Delivered-To: alice@example.com\nx\n"},
    {"empty", NULL, NULL, NULL, "", ""},
};

static void test_deliveries(void)
{
    char *dir = scratch_path("home/alice/Maildir/");
    VSTR *got = vstr_new(256), *name = vstr_new(128);
    ARGV *seen = argv_new();
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    regex_t re;
    size_t i;
    int j, k, dups = 0;
    struct stat sb;

    if (regcomp(&re, "/new/[0-9]+\\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\\.mail\\.example\\.com$",
                REG_EXTENDED | REG_NOSUB) != 0)
        msg_fatal("regcomp");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_opts(&o);
        o.return_path = cases[i].return_path;
        o.original_to = cases[i].original_to;
        o.delivered_to = cases[i].delivered_to;
        vstr_reset(name);
        TAP_INT(deliver(dir, &o, cases[i].content, &st, name), MAILBOX_OK, "%s: delivered",
                cases[i].what);
        TAP_STR(st.text, "delivered to maildir", "%s: text", cases[i].what);
        TAP_OK(regexec(&re, vstr_str(name), 0, NULL, 0) == 0, "%s: name shape %s",
               cases[i].what, vstr_str(name));
        scratch_slurp(vstr_str(name), got);
        TAP_STR(vstr_str(got), cases[i].want, "%s: content", cases[i].what);
        argv_add(seen, vstr_str(name));
    }
    regfree(&re);
    for (j = 0; j < (int)seen->argc; j++)
        for (k = j + 1; k < (int)seen->argc; k++)
            if (strcmp(seen->argv[j], seen->argv[k]) == 0)
                dups++;
    TAP_INT(dups, 0, "names unique");
    TAP_INT(count_dir(dir, "new", NULL), (long)(sizeof(cases) / sizeof(cases[0])), "all in new/");
    TAP_INT(count_dir(dir, "tmp", NULL), 0, "tmp/ empty");
    TAP_INT(count_dir(dir, "cur", NULL), 0, "cur/ made, empty");
    TAP_OK(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0700, "Maildir mode 0700");
    {
        VSTR *p = vstr_new(64);

        vstr_sprintf(p, "%s/tmp", dir);
        TAP_OK(stat(vstr_str(p), &sb) == 0 && (sb.st_mode & 07777) == 0700, "tmp/ mode 0700");
        vstr_free(p);
    }
    rm_maildir(dir);
    {
        char *h = scratch_path("home/alice"), *hh = scratch_path("home");

        rmdir(h);
        rmdir(hh);
        mem_free(h);
        mem_free(hh);
    }
    argv_free(seen);
    mem_free(dir);
    vstr_free(got);
    vstr_free(name);
}

static void test_hostname(void)
{
    char *dir = scratch_path("hn");
    VSTR *name = vstr_new(128);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;

    test_opts(&o);
    o.hostname = "a/b:c";
    TAP_INT(deliver(dir, &o, "x\n", &st, name), MAILBOX_OK, "odd host name: delivered");
    TAP_OK(strstr(vstr_str(name), ".a\\057b\\072c") != NULL, "/ and : escaped (%s)",
           vstr_str(name));
    rm_maildir(dir);
    mem_free(dir);
    vstr_free(name);
}

static void test_failures(void)
{
    char *dir = scratch_path("fail"), *file = scratch_path("afile");
    VSTR *msg = vstr_new(200000), *name = vstr_new(64);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    MAILDIR *md;
    pid_t pid;
    int status, i;

    for (i = 0; i < 2000; i++)
        vstr_printf(msg, "line %06d .............................................\n", i);
    test_opts(&o);
    o.size_limit = 1000;
    TAP_INT(deliver(dir, &o, vstr_str(msg), &st, name), MAILBOX_BOUNCE, "size limit: bounced");
    TAP_STR(st.dsn, "5.2.2", "size limit: 5.2.2");
    TAP_STR(st.text, "maildir delivery failed: error writing message: File too large",
            "size limit: text");
    TAP_INT(count_dir(dir, "new", NULL), 0, "size limit: new/ empty");
    TAP_INT(count_dir(dir, "tmp", NULL), 0, "size limit: tmp/ empty");

    fflush(stdout);
    if ((pid = fork()) == 0) {
        MAILBOX_STATUS cst;
        MAILBOX_OPTS co;

        scratch_child_fsize(70000);
        test_opts(&co);
        co.size_limit = 0;
        _exit(deliver(dir, &co, vstr_str(msg), &cst, NULL) == MAILBOX_BOUNCE ? 0 : 1);
    }
    if ((status = scratch_child_wait(pid, "write error")) >= 0)
        TAP_INT(status, 0, "write error: reported");
    TAP_INT(count_dir(dir, "new", NULL), 0, "write error: new/ empty");
    TAP_INT(count_dir(dir, "tmp", NULL), 0, "write error: tmp/ empty");

    test_opts(&o);
    md = maildir_open(dir, &o, &st);
    TAP_OK(md != NULL, "open for abort");
    if (md) {
        maildir_write_line(md, "x", 1, 1);
        TAP_INT(count_dir(dir, "tmp", NULL), 1, "in progress: file in tmp/");
        maildir_abort(md);
        maildir_close(md);
    }
    md = maildir_open(dir, &o, &st);
    TAP_OK(md != NULL, "open for close unfinished");
    if (md) {
        maildir_write_line(md, "x", 1, 1);
        maildir_close(md);
    }
    TAP_INT(count_dir(dir, "new", NULL) + count_dir(dir, "tmp", NULL), 0,
            "closed unfinished: nothing left");
    TAP_INT(count_dir(dir, "new", NULL), 0, "abort: new/ empty");
    TAP_INT(count_dir(dir, "tmp", NULL), 0, "abort: tmp/ empty");

    {
        int fd = open(file, O_WRONLY | O_CREAT, 0600);

        close(fd);
    }
    {
        /* tmp/ there, new/ and cur/ gone: made at the link (lazy creation) */
        VSTR *p = vstr_new(64);

        TAP_INT(deliver(dir, &o, "x\n", &st, NULL), MAILBOX_OK, "lazy: first delivery");
        rm_maildir(dir);
        vstr_sprintf(p, "%s", dir);
        TAP_OK(mkdir(vstr_str(p), 0700) == 0, "lazy: Maildir again");
        vstr_sprintf(p, "%s/tmp", dir);
        TAP_OK(mkdir(vstr_str(p), 0700) == 0, "lazy: tmp/ only");
        TAP_INT(deliver(dir, &o, "y\n", &st, NULL), MAILBOX_OK, "lazy: delivered without new/");
        TAP_INT(count_dir(dir, "new", NULL), 1, "lazy: new/ made, one message");
        TAP_INT(count_dir(dir, "cur", NULL), 0, "lazy: cur/ made, empty");
        TAP_INT(count_dir(dir, "tmp", NULL), 0, "lazy: tmp/ empty");
        rm_maildir(dir);
        vstr_sprintf(p, "%s/new", dir);
        TAP_OK(mkdir(dir, 0700) == 0 && mkdir(vstr_str(p), 0700) == 0, "lazy: new/ only");
        TAP_INT(deliver(dir, &o, "z\n", &st, NULL), MAILBOX_OK, "lazy: delivered without tmp/");
        TAP_INT(count_dir(dir, "new", NULL), 1, "lazy: one message in new/");
        TAP_INT(count_dir(dir, "cur", NULL), 0, "lazy: cur/ made when tmp/ was missing");
        rm_maildir(dir);
        vstr_free(p);
    }
    TAP_INT(deliver(file, &o, "x\n", &st, NULL), MAILBOX_DEFER, "a file, not a directory");
    TAP_OK(strstr(st.text, "maildir delivery failed: create maildir directory") != NULL,
           "not a directory: text (%s)", st.text);
    TAP_STR(st.dsn, "4.2.0", "not a directory: 4.2.0");
    unlink(file);
    rm_maildir(dir);
    mem_free(dir);
    mem_free(file);
    vstr_free(msg);
    vstr_free(name);
}

/* ENOSPC on a 64 kB tmpfs (private mount namespace, in a child). */
static void test_disk_full(void)
{
    char *mnt = scratch_path("full"), *dir = scratch_path("full/Maildir");
    VSTR *msg = vstr_new(300000);
    pid_t pid;
    int bits, i;

    for (i = 0; i < 3000; i++)
        vstr_printf(msg, "line %06d .............................................\n", i);
    mkdir(mnt, 0700);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        MAILBOX_STATUS st;
        MAILBOX_OPTS o;

        scratch_child_tmpfs(mnt, "64k");
        test_opts(&o);
        bits = 0;
        if (deliver(dir, &o, vstr_str(msg), &st, NULL) != MAILBOX_DEFER || strcmp(st.dsn, "4.3.0"))
            bits |= 1;
        if (strcmp(st.text, "maildir delivery failed: error writing message: No space left on device"))
            bits |= 2;
        if (count_dir(dir, "new", NULL) != 0 || count_dir(dir, "tmp", NULL) != 0)
            bits |= 4;
        _exit(bits);
    }
    if ((bits = scratch_child_wait(pid, "disk full")) >= 0) {
        TAP_INT(bits & 1, 0, "disk full: deferred 4.3.0");
        TAP_INT(bits & 2, 0, "disk full: reason text");
        TAP_INT(bits & 4, 0, "disk full: new/ and tmp/ empty");
    }
    rmdir(mnt);
    mem_free(mnt);
    mem_free(dir);
    vstr_free(msg);
}

/* Several processes delivering at once: every message its own file. */
static void test_concurrent(void)
{
    char *dir = scratch_path("conc");
    ARGV *names = argv_new();
    VSTR *got = vstr_new(64), *p = vstr_new(64), *want = vstr_new(64);
    pid_t pids[4];
    int w, m, bad = 0;

    for (w = 0; w < 4; w++) {
        fflush(stdout);
        if ((pids[w] = fork()) == 0) {
            MAILBOX_STATUS st;
            MAILBOX_OPTS o;
            VSTR *c = vstr_new(64);
            int fail = 0;

            test_opts(&o);
            for (m = 0; m < 25; m++) {
                vstr_sprintf(c, "writer %d message %d\n", w, m);
                if (deliver(dir, &o, vstr_str(c), &st, NULL) != MAILBOX_OK)
                    fail = 1;
            }
            vstr_free(c);
            _exit(fail);
        }
    }
    for (w = 0; w < 4; w++) {
        int status;

        if (waitpid(pids[w], &status, 0) != pids[w] || !WIFEXITED(status) || WEXITSTATUS(status))
            bad++;
    }
    TAP_INT(bad, 0, "concurrent writers all delivered");
    TAP_INT(count_dir(dir, "new", names), 100, "100 files in new/");
    for (w = 0; w < (int)names->argc; w++) {
        vstr_sprintf(p, "%s/new/%s", dir, names->argv[w]);
        scratch_slurp(vstr_str(p), got);
        if (sscanf(vstr_str(got), "writer %d message %d", &m, &m) != 2)
            bad++;
    }
    TAP_INT(bad, 0, "every file one whole message");
    rm_maildir(dir);
    argv_free(names);
    mem_free(dir);
    vstr_free(got);
    vstr_free(p);
    vstr_free(want);
}

/*
 * Real queue files (Postfix 3.7.11, test/data/mailbox): the Maildir file
 * must hold exactly what postcat showed as MESSAGE CONTENTS (long lines in
 * L records joined, no header added when no option asks for one).
 */
static void test_fixtures(void)
{
    static const char *const names[] = {
        "hold-plain.A2E0D10605F", "hold-8bitmime.E5F17106068", "hold-longlines.73D571060EC",
        "hold-emptybody.705F4106069", "deferred-onedone.04B66106085",
        "hold-sendmail-t.CA61510605D",
    };
    char *dir = scratch_path("fixtures");
    VSTR *qf = vstr_new(128), *ref = vstr_new(4096), *want = vstr_new(4096);
    VSTR *got = vstr_new(4096), *name = vstr_new(128), *why = vstr_new(128), *mark = vstr_new(64);
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        QFILE_READER *r;
        QFILE_REC rec;
        QFILE_SIZE size;
        MAILBOX_STATUS st;
        MAILBOX_OPTS o;
        MAILDIR *md;
        const char *start, *end;
        int fd, ret = -1;

        vstr_sprintf(qf, "%s/%s", MAILBOX_TEST_DATA, names[i]);
        vstr_sprintf(mark, "%s.postcat-ehb", vstr_str(qf));
        if (scratch_slurp(vstr_str(mark), ref) < 0 || (fd = open(vstr_str(qf), O_RDONLY)) < 0)
            msg_fatal("open %s: %m", vstr_str(qf));
        vstr_sprintf(mark, "*** MESSAGE CONTENTS %s ***\n", names[i]);
        start = strstr(vstr_str(ref), vstr_str(mark));
        end = start ? strstr(start, "*** HEADER EXTRACTED") : NULL;
        if (start == NULL || end == NULL)
            msg_fatal("%s: no MESSAGE CONTENTS", names[i]);
        start += vstr_len(mark);
        vstr_reset(want);
        vstr_addmem(want, start, (size_t)(end - start));

        r = qfile_reader_open(fd, vstr_str(qf), QFILE_READ_RAW | QFILE_READ_FOLLOW);
        if (qfile_read(r, &rec) != 1 || rec.type != QREC_SIZE || qfile_size_parse(rec.data, &size) < 0
            || qfile_reader_seek(r, size.data_offset) < 0)
            msg_fatal("%s: no size record", names[i]);
        test_opts(&o);
        md = maildir_open(dir, &o, &st);
        if (md) {
            vstr_reset(why);
            ret = mailbox_copy_qfile(r, maildir_out(md), why);
            if (ret == 0)
                ret = maildir_finish(md, &st, name) == MAILBOX_OK ? 0 : -1;
            maildir_close(md);
        }
        TAP_INT(ret, 0, "%s: delivered %s", names[i], vstr_str(why));
        scratch_slurp(vstr_str(name), got);
        TAP_INT(vstr_len(got), vstr_len(want), "%s: size", names[i]);
        TAP_OK(vstr_len(got) == vstr_len(want)
               && memcmp(vstr_str(got), vstr_str(want), vstr_len(want)) == 0,
               "%s: content as postcat shows it", names[i]);
        qfile_reader_free(r);
        close(fd);
    }
    rm_maildir(dir);
    mem_free(dir);
    vstr_free(qf);
    vstr_free(ref);
    vstr_free(want);
    vstr_free(got);
    vstr_free(name);
    vstr_free(why);
    vstr_free(mark);
}

int main(int argc, char **argv)
{
    (void)argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    scratch_init("maildir_test");
    test_deliveries();
    test_hostname();
    test_failures();
    test_disk_full();
    test_concurrent();
    test_fixtures();
    scratch_done();
    return tap_done();
}
