/*
 * mbox_test - the mbox writer (lib/mbox.h) and what it shares
 * (lib/mailbox.h, lib/dotlock.h): the From_ line, ">From " quoting across
 * L pieces, the prepended headers, appending, the size limit and a real
 * write error (RLIMIT_FSIZE) truncating back to the exact bytes, refused
 * mailbox files, dotlock and fcntl/flock contention (a child holds the
 * lock), stale lock removal, and concurrent writers that must never
 * interleave. Runs in a scratch directory under /tmp.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "conf.h"
#include "dotlock.h"
#include "mailbox.h"
#include "mbox.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "scratch.h"
#include "tap.h"


/* 2026-11-21 12:00:00 UTC */
#define T_FIXED ((time_t)1795262400)
#define FROM_FIXED "From bob@example.com  Sat Nov 21 12:00:00 2026\n"

static long ms_since(const struct timeval *t0)
{
    struct timeval t1;

    gettimeofday(&t1, NULL);
    return (t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_usec - t0->tv_usec) / 1000L;
}

static void test_opts(MAILBOX_OPTS *o)
{
    mailbox_opts_init(o);
    o->user = "alice";
    o->sender = "bob@example.com";
    o->now = T_FIXED;
    o->lock_attempts = 3;
    o->lock_delay_ms = 20;
}

/*
 * Content as records: pieces separated by '|' are L records (the line
 * goes on), '\n' ends an N record. "ab|cd\nef\n" = L "ab", N "cd", N "ef".
 * A trailing piece without '\n' is an L record at the end of the message.
 */
static int deliver(const char *path, const MAILBOX_OPTS *o, const char *content,
                   MAILBOX_STATUS *st)
{
    MBOX *mb = mbox_open(path, o, st);
    const char *p = content;

    if (mb == NULL)
        return st->status;
    while (*p) {
        size_t n = strcspn(p, "|\n");

        mbox_write_line(mb, p, n, p[n] == '\n');
        p += n;
        if (*p)
            p++;
    }
    mbox_finish(mb, st);
    mbox_close(mb);
    return st->status;
}

typedef struct CASE {
    const char *what;
    const char *sender;
    const char *return_path, *original_to, *delivered_to;
    const char *content;
    const char *want;   /* after the From_ line */
} CASE;

static const CASE cases[] = {
    {"plain message", "bob@example.com", NULL, NULL, NULL,
     "Subject: hi\n\nbody\n", "Subject: hi\n\nbody\n\n"},
    {"From quoted", "bob@example.com", NULL, NULL, NULL,
     "Subject: q\n\nFrom me\nFrom\nFrom:x\n>From y\n From z\nfrom w\nFrom \n",
     "Subject: q\n\n>From me\nFrom\nFrom:x\n>From y\n From z\nfrom w\n>From \n\n"},
    {"From split over L pieces", "bob@example.com", NULL, NULL, NULL,
     "x\nFr|om |there\nF|r|o|m|\nFro|m:\n", "x\n>From there\nFrom\nFrom:\n\n"},
    {"long line in pieces", "bob@example.com", NULL, NULL, NULL,
     "abc|def|ghi\n", "abcdefghi\n\n"},
    {"unterminated last line", "bob@example.com", NULL, NULL, NULL,
     "a\nlast|piece", "a\nlastpiece\n\n"},
    {"empty content", "bob@example.com", NULL, NULL, NULL, "", "\n"},
    {"headers in order", "bob@example.com", "bob@example.com", "Alice@Example.com",
     "alice@example.com", "Subject: h\n\nb\n",
     "Return-Path: <bob@example.com>\nX-Original-To: Alice@Example.com\n"
     "Delivered-To: alice@example.com\nSubject: h\n\nb\n\n"},
    {"null sender", "", "", NULL, NULL, "x\n", "Return-Path: <>\nx\n\n"},
};

static void test_from_line(void)
{
    static const struct {
        const char *sender;
        time_t t;
        const char *want;
    } tab[] = {
        {"bob@example.com", T_FIXED, FROM_FIXED},
        {"", T_FIXED, "From MAILER-DAEMON  Sat Nov 21 12:00:00 2026\n"},
        {NULL, T_FIXED, "From MAILER-DAEMON  Sat Nov 21 12:00:00 2026\n"},
        {"a@b", 1793534400, "From a@b  Sun Nov  1 12:00:00 2026\n"},
        {"a@b", 0, "From a@b  Thu Jan  1 00:00:00 1970\n"},
    };
    VSTR *v = vstr_new(64);
    size_t i;

    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        vstr_reset(v);
        mbox_from_line(v, tab[i].sender, tab[i].t);
        TAP_STR(vstr_str(v), tab[i].want, "From_ line %zu", i);
    }
    vstr_free(v);
}

static void test_lock_parse(void)
{
    VSTR *why = vstr_new(64);
    int flags = -1;

    TAP_INT(mailbox_lock_parse("fcntl, dotlock", &flags, why), 0, "parse fcntl, dotlock");
    TAP_INT(flags, MAILBOX_LOCK_FCNTL | MAILBOX_LOCK_DOTLOCK, "fcntl|dotlock");
    TAP_INT(mailbox_lock_parse(" flock ", &flags, why), 0, "parse flock");
    TAP_INT(flags, MAILBOX_LOCK_FLOCK, "flock");
    TAP_INT(mailbox_lock_parse("", &flags, why), 0, "empty list");
    TAP_INT(flags, 0, "no locks");
    TAP_INT(mailbox_lock_parse("fcntl,bogus", &flags, why), -1, "unknown method refused");
    TAP_STR(vstr_str(why), "unknown mailbox lock method \"bogus\"", "names the method");
    vstr_free(why);
}

static void test_opts_conf(void)
{
    char *dir = scratch_path("etc"), *cf = scratch_path("etc/main.cf");
    MAILBOX_OPTS o;

    mkdir(dir, 0700);
    scratch_spew(cf, "deliver_lock_attempts = 7\ndeliver_lock_delay = 2\nstale_lock_time = 1m\n"
             "mailbox_delivery_lock = flock\nmailbox_size_limit = 1000\n"
             "virtual_mailbox_lock = fcntl dotlock\n");
    conf_init(dir);
    mailbox_opts_init(&o);
    mailbox_opts_conf(&o, "mailbox_delivery_lock", "mailbox_size_limit");
    TAP_INT(o.lock_attempts, 7, "conf: deliver_lock_attempts");
    TAP_INT(o.lock_delay_ms, 2000, "conf: deliver_lock_delay in ms");
    TAP_INT(o.stale_lock_time, 60, "conf: stale_lock_time");
    TAP_INT(o.lock_flags, MAILBOX_LOCK_FLOCK, "conf: mailbox_delivery_lock");
    TAP_INT(o.size_limit, 1000, "conf: mailbox_size_limit");
    mailbox_opts_conf(&o, "virtual_mailbox_lock", "virtual_mailbox_limit");
    TAP_INT(o.lock_flags, MAILBOX_LOCK_FCNTL | MAILBOX_LOCK_DOTLOCK, "conf: virtual_mailbox_lock");
    TAP_INT(o.size_limit, 51200000, "conf: virtual_mailbox_limit default");
    conf_free();
    scratch_spew(cf, "mailbox_delivery_lock = fcntl, lockf\n");
    fflush(stdout);
    {
        pid_t pid = fork();
        int status;

        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);

            dup2(devnull, 2);
            conf_init(dir);
            mailbox_opts_conf(&o, "mailbox_delivery_lock", NULL);
            _exit(0);
        }
        TAP_OK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 1,
               "conf: unknown lock method is fatal");
    }
    unlink(cf);
    rmdir(dir);
    mem_free(dir);
    mem_free(cf);
}

static void test_cases(void)
{
    char *path = scratch_path("cases");
    VSTR *got = vstr_new(1024), *want = vstr_new(1024);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const CASE *c = &cases[i];

        unlink(path);
        test_opts(&o);
        o.sender = c->sender;
        o.return_path = c->return_path;
        o.original_to = c->original_to;
        o.delivered_to = c->delivered_to;
        TAP_INT(deliver(path, &o, c->content, &st), MAILBOX_OK, "%s: delivered", c->what);
        vstr_reset(want);
        mbox_from_line(want, c->sender, T_FIXED);
        vstr_adds(want, c->want);
        scratch_slurp(path, got);
        TAP_STR(vstr_str(got), vstr_str(want), "%s: bytes", c->what);
    }
    {
        struct stat sb;

        TAP_OK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600, "created mode 0600");
    }
    unlink(path);
    mem_free(path);
    vstr_free(got);
    vstr_free(want);
}

static void test_append(void)
{
    char *path = scratch_path("append");
    VSTR *got = vstr_new(1024);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;

    test_opts(&o);
    scratch_spew(path, "From old  Fri Nov 20 10:00:00 2026\nold\n\n");
    TAP_INT(deliver(path, &o, "one\n", &st), MAILBOX_OK, "append 1");
    TAP_STR(st.dsn, "2.0.0", "dsn 2.0.0");
    TAP_STR(st.text, "delivered to mailbox", "ok text");
    TAP_INT(deliver(path, &o, "two\n", &st), MAILBOX_OK, "append 2");
    scratch_slurp(path, got);
    TAP_STR(vstr_str(got), "From old  Fri Nov 20 10:00:00 2026\nold\n\n" FROM_FIXED "one\n\n"
            FROM_FIXED "two\n\n", "appended after the old content");
    {
        MBOX *mb = mbox_open(path, &o, &st);
        VSTR *again = vstr_new(256);

        TAP_OK(mb != NULL, "open for an unfinished close");
        if (mb) {
            mbox_write_line(mb, "lost", 4, 1);
            mbox_close(mb);
        }
        scratch_slurp(path, again);
        TAP_STR(vstr_str(again), vstr_str(got), "closed unfinished: truncated back");
        vstr_free(again);
    }
    unlink(path);
    mem_free(path);
    vstr_free(got);
}

/* A body of n lines of 99 bytes + newline. */
static void add_big(VSTR *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        vstr_printf(v, "%08zu", i);
        vstr_addmem(v, "................................................................"
                       "..........................", 90);
        vstr_addch(v, '\n');
    }
}

static void test_size_limit(void)
{
    static const char *old = "From old  Fri Nov 20 10:00:00 2026\nold\n\n";
    char *path = scratch_path("limit");
    VSTR *got = vstr_new(1024), *msg = vstr_new(300000), *want = vstr_new(128);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    static const off_t extra[] = {10, 100000};
    size_t i;

    add_big(msg, 2000);     /* 200 kB: several 64 kB writes before the limit */
    for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        scratch_spew(path, old);
        test_opts(&o);
        o.size_limit = (off_t)strlen(old) + extra[i];
        TAP_INT(deliver(path, &o, vstr_str(msg), &st), MAILBOX_BOUNCE, "limit +%ld: bounced",
                (long)extra[i]);
        TAP_STR(st.dsn, "5.2.2", "limit: 5.2.2 mailbox full");
        vstr_sprintf(want, "cannot update mailbox %s for user alice. error writing message: "
                     "File too large", path);
        TAP_STR(st.text, vstr_str(want), "limit: reason text");
        scratch_slurp(path, got);
        TAP_STR(vstr_str(got), old, "limit +%ld: truncated back exactly", (long)extra[i]);
    }
    /* The limit counts the whole file: a message that just fits is taken. */
    scratch_spew(path, old);
    test_opts(&o);
    o.size_limit = (off_t)strlen(old) + (off_t)strlen(FROM_FIXED) + 3;
    TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_OK, "message that just fits");
    o.size_limit--;
    scratch_spew(path, old);
    TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_BOUNCE, "one byte more: refused");
    unlink(path);
    mem_free(path);
    vstr_free(got);
    vstr_free(msg);
    vstr_free(want);
}

/* RLIMIT_FSIZE makes write(2) fail with EFBIG part-way: a real I/O error. */
static void test_write_error(void)
{
    static const char *old = "From old  Fri Nov 20 10:00:00 2026\nold\n\n";
    char *path = scratch_path("fsize");
    VSTR *got = vstr_new(1024), *msg = vstr_new(300000);
    pid_t pid;
    int status;

    add_big(msg, 2000);
    scratch_spew(path, old);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        MAILBOX_STATUS st;
        MAILBOX_OPTS o;
        int ok;

        scratch_child_fsize(150000);
        test_opts(&o);
        o.size_limit = 0;
        ok = deliver(path, &o, vstr_str(msg), &st) == MAILBOX_BOUNCE
             && strstr(st.text, "error writing message: File too large") != NULL;
        _exit(ok ? 0 : 1);
    }
    if ((status = scratch_child_wait(pid, "RLIMIT_FSIZE")) >= 0)
        TAP_INT(status, 0, "RLIMIT_FSIZE: write error reported as 5.2.2");
    scratch_slurp(path, got);
    TAP_STR(vstr_str(got), old, "RLIMIT_FSIZE: truncated back exactly");
    unlink(path);
    mem_free(path);
    vstr_free(got);
    vstr_free(msg);
}

/*
 * A full file system: a 64 kB tmpfs in a private mount namespace (a child
 * process). ENOSPC defers with 4.3.0 and the mailbox is truncated back.
 * Skipped where mounting is not allowed.
 */
static void test_disk_full(void)
{
    static const char *old = "From old  Fri Nov 20 10:00:00 2026\nold\n\n";
    char *mnt = scratch_path("full"), *path = scratch_path("full/mbox");
    VSTR *msg = vstr_new(300000);
    pid_t pid;
    int bits;

    add_big(msg, 2000);
    mkdir(mnt, 0700);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        MAILBOX_STATUS st;
        MAILBOX_OPTS o;
        VSTR *got = vstr_new(64);

        scratch_child_tmpfs(mnt, "64k");
        scratch_spew(path, old);
        test_opts(&o);
        bits = 0;
        if (deliver(path, &o, vstr_str(msg), &st) != MAILBOX_DEFER)
            bits |= 1;
        if (strcmp(st.dsn, "4.3.0") != 0)
            bits |= 2;
        if (strstr(st.text, "error writing message: No space left on device") == NULL)
            bits |= 4;
        if (scratch_slurp(path, got) < 0 || strcmp(vstr_str(got), old) != 0)
            bits |= 8;
        _exit(bits);
    }
    if ((bits = scratch_child_wait(pid, "disk full")) >= 0) {
        TAP_INT(bits & 1, 0, "disk full: deferred");
        TAP_INT(bits & 2, 0, "disk full: 4.3.0");
        TAP_INT(bits & 4, 0, "disk full: reason text");
        TAP_INT(bits & 8, 0, "disk full: truncated back exactly");
    }
    rmdir(mnt);
    mem_free(mnt);
    mem_free(path);
    vstr_free(msg);
}

static void test_refused(void)
{
    char *target = scratch_path("target"), *link_path = scratch_path("symlink");
    char *hard = scratch_path("hardlink"), *dir = scratch_path("dir"), *fifo = scratch_path("fifo");
    VSTR *got = vstr_new(64);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;

    test_opts(&o);
    scratch_spew(target, "orig\n");
    if (symlink(target, link_path) < 0 || link(target, hard) < 0 || mkdir(dir, 0700) < 0
        || mkfifo(fifo, 0600) < 0)
        msg_fatal("setup: %m");
    TAP_INT(deliver(link_path, &o, "x\n", &st), MAILBOX_DEFER, "symlink refused");
    TAP_OK(strstr(st.text, "file is a symbolic link") != NULL, "symlink: text (%s)", st.text);
    TAP_INT(deliver(hard, &o, "x\n", &st), MAILBOX_DEFER, "hard link refused");
    TAP_OK(strstr(st.text, "file has 2 hard links") != NULL, "hard link: text (%s)", st.text);
    scratch_slurp(target, got);
    TAP_STR(vstr_str(got), "orig\n", "target untouched");
    TAP_INT(deliver(dir, &o, "x\n", &st), MAILBOX_DEFER, "directory refused");
    TAP_OK(strstr(st.text, "cannot open file: Is a directory") != NULL, "dir: text (%s)", st.text);
    TAP_OK(deliver(fifo, &o, "x\n", &st) != MAILBOX_OK, "fifo refused without blocking");
    TAP_STR(st.dsn, "4.2.0", "default code 4.2.0");
    o.def_dsn = "5.2.0";
    TAP_INT(deliver(link_path, &o, "x\n", &st), MAILBOX_BOUNCE, "def_dsn 5.2.0 bounces");
    TAP_STR(st.dsn, "5.2.0", "def_dsn used");
    {
        char *nodir = scratch_path("nodir/mbox");

        o.def_dsn = "4.2.0";
        TAP_INT(deliver(nodir, &o, "x\n", &st), MAILBOX_DEFER, "missing directory defers");
        TAP_OK(strstr(st.text, "cannot create file exclusively: No such file") != NULL,
               "missing directory: text (%s)", st.text);
        mem_free(nodir);
    }
    unlink(link_path);
    unlink(hard);
    unlink(target);
    unlink(fifo);
    rmdir(dir);
    mem_free(target);
    mem_free(link_path);
    mem_free(hard);
    mem_free(dir);
    mem_free(fifo);
    vstr_free(got);
}

/*
 * The spool-directory flow of local(8): a directory only root may write,
 * a mailbox owned by the user. Root creates the mailbox (opts.uid/gid),
 * opens and dotlocks with root's euid, writes as the user, closes as root;
 * a process that is only the user cannot create the dotlock (deferred)
 * unless dotlock_may_fail.
 */
#define NOBODY 65534
static void test_spool_privs(void)
{
    char *spool = scratch_path("spool"), *path = scratch_path("spool/nobody"), *lock = scratch_path("spool/nobody.lock");
    VSTR *got = vstr_new(256);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    struct stat sb;
    pid_t pid;
    int status, bits;

    chmod(scratch, 0711);
    mkdir(spool, 0755);
    test_opts(&o);
    o.lock_flags = MAILBOX_LOCK_DOTLOCK | MAILBOX_LOCK_FCNTL;
    o.uid = NOBODY;
    o.gid = NOBODY;
    TAP_INT(deliver(path, &o, "one\n", &st), MAILBOX_OK, "root creates the mailbox");
    TAP_OK(stat(path, &sb) == 0 && sb.st_uid == NOBODY && sb.st_gid == NOBODY
           && (sb.st_mode & 07777) == 0600, "created for the user, mode 0600");
    fflush(stdout);
    if ((pid = fork()) == 0) {
        MBOX *mb;

        bits = 0;
        mb = mbox_open(path, &o, &st);            /* root: dotlock in the spool */
        if (mb == NULL || setegid(NOBODY) < 0 || seteuid(NOBODY) < 0)
            _exit(64);
        mbox_write_line(mb, "two", 3, 1);
        if (mbox_finish(mb, &st) != MAILBOX_OK)
            bits |= 1;
        if (seteuid(0) < 0 || setegid(0) < 0)
            _exit(65);
        mbox_close(mb);                           /* root removes the dotlock */
        if (access(lock, F_OK) == 0)
            bits |= 2;
        if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(66);
        o.uid = o.gid = (uid_t)-1;
        if (deliver(path, &o, "three\n", &st) != MAILBOX_DEFER
            || strstr(st.text, "nobody.lock: Permission denied") == NULL)
            bits |= 4;
        o.dotlock_may_fail = 1;
        if (deliver(path, &o, "four\n", &st) != MAILBOX_OK)
            bits |= 8;
        _exit(bits);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        status = 255 << 8;
    bits = WEXITSTATUS(status);
    TAP_OK(bits < 64, "user flow ran (%d)", bits);
    TAP_INT(bits & 1, 0, "opened as root, written as the user");
    TAP_INT(bits & 2, 0, "dotlock removed at close");
    TAP_INT(bits & 4, 0, "user alone: dotlock refused, deferred");
    TAP_INT(bits & 8, 0, "dotlock_may_fail: delivered without it");
    scratch_slurp(path, got);
    TAP_STR(vstr_str(got), FROM_FIXED "one\n\n" FROM_FIXED "two\n\n" FROM_FIXED "four\n\n",
            "mailbox holds the delivered messages only");
    unlink(path);
    rmdir(spool);
    chmod(scratch, 0700);
    mem_free(spool);
    mem_free(path);
    mem_free(lock);
    vstr_free(got);
}

static void test_dotlock(void)
{
    char *path = scratch_path("dl"), *lock = scratch_path("dl.lock");
    VSTR *got = vstr_new(64);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    struct timeval t0;
    struct utimbuf ut;
    long ms;

    test_opts(&o);
    o.lock_flags = MAILBOX_LOCK_DOTLOCK;
    scratch_spew(path, "");
    scratch_spew(lock, "");
    gettimeofday(&t0, NULL);
    TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_DEFER, "held dotlock: deferred");
    ms = ms_since(&t0);
    TAP_OK(ms >= 40 && ms < 5000, "waited for the attempts (%ld ms)", ms);
    TAP_STR(st.dsn, "4.2.0", "held dotlock: 4.2.0");
    TAP_OK(strstr(st.text, "unable to create lock file") != NULL && strstr(st.text, "dl.lock"),
           "held dotlock: text (%s)", st.text);
    TAP_OK(access(lock, F_OK) == 0, "someone else's lock left alone");
    scratch_slurp(path, got);
    TAP_STR(vstr_str(got), "", "mailbox untouched");
    /* stale: older than stale_lock_time */
    ut.actime = ut.modtime = time(NULL) - 1000;
    utime(lock, &ut);
    o.stale_lock_time = 500;
    TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_OK, "stale dotlock removed, delivered");
    TAP_OK(access(lock, F_OK) < 0 && errno == ENOENT, "own lock removed after delivery");
    /* not yet stale */
    scratch_spew(lock, "");
    ut.actime = ut.modtime = time(NULL) - 100;
    utime(lock, &ut);
    TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_DEFER, "young dotlock kept");
    unlink(lock);
    /*
     * A lock let go 100 ms later, with deliver_lock_delay 1 s: taken within
     * the first second (retries start at 5 ms: DOTLOCK_WAIT), not after it.
     */
    {
        pid_t pid;

        scratch_spew(lock, "");
        fflush(stdout);
        if ((pid = fork()) == 0) {
            dotlock_sleep_ms(100);
            _exit(unlink(lock) == 0 ? 0 : 1);
        }
        o.lock_attempts = 3;
        o.lock_delay_ms = 1000;
        gettimeofday(&t0, NULL);
        TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_OK, "released dotlock: delivered");
        ms = ms_since(&t0);
        TAP_OK(ms >= 90 && ms < 900, "released dotlock: taken before a whole delay (%ld ms)", ms);
        waitpid(pid, NULL, 0);
        o.lock_delay_ms = 0;
        o.lock_attempts = 4;
        scratch_spew(lock, "");
        gettimeofday(&t0, NULL);
        TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_DEFER, "delay 0: deferred");
        TAP_OK(ms_since(&t0) < 500, "delay 0: no sleeping");
        unlink(lock);
    }
    unlink(path);
    mem_free(path);
    mem_free(lock);
    vstr_free(got);
}

/* A child takes the kernel lock, says so on a pipe, holds it hold_ms. */
static pid_t hold_lock(const char *path, int method, long hold_ms)
{
    int p[2];
    pid_t pid;
    char c;

    if (pipe(p) < 0)
        msg_fatal("pipe: %m");
    fflush(stdout);
    if ((pid = fork()) == 0) {
        int fd = open(path, O_RDWR);
        struct flock fl;

        memset(&fl, 0, sizeof(fl));
        fl.l_type = F_WRLCK;
        if (fd < 0 || (method == MAILBOX_LOCK_FCNTL ? fcntl(fd, F_SETLK, &fl) : flock(fd, LOCK_EX)) < 0)
            _exit(1);
        if (write(p[1], "x", 1) != 1)
            _exit(1);
        dotlock_sleep_ms(hold_ms);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        msg_fatal("lock holder failed");
    close(p[0]);
    return pid;
}

static void test_kernel_locks(void)
{
    static const struct {
        int method;
        const char *name;
    } tab[] = {{MAILBOX_LOCK_FCNTL, "fcntl"}, {MAILBOX_LOCK_FLOCK, "flock"}};
    char *path = scratch_path("kl");
    VSTR *got = vstr_new(64), *want = vstr_new(128);
    MAILBOX_STATUS st;
    MAILBOX_OPTS o;
    struct timeval t0;
    size_t i;
    pid_t pid;
    long ms;

    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        scratch_spew(path, "");
        test_opts(&o);
        o.lock_flags = tab[i].method;
        pid = hold_lock(path, tab[i].method, 2000);
        gettimeofday(&t0, NULL);
        TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_DEFER, "%s held: deferred", tab[i].name);
        ms = ms_since(&t0);
        TAP_OK(ms >= 40 && ms < 1900, "%s: bounded wait (%ld ms)", tab[i].name, ms);
        vstr_sprintf(want, "cannot update mailbox %s for user alice. unable to lock for "
                     "exclusive access: Resource temporarily unavailable", path);
        TAP_STR(st.text, vstr_str(want), "%s: text", tab[i].name);
        scratch_slurp(path, got);
        TAP_STR(vstr_str(got), "", "%s: mailbox untouched", tab[i].name);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        /* a holder that lets go while we retry: we wait, then deliver */
        pid = hold_lock(path, tab[i].method, 150);
        o.lock_attempts = 200;
        o.lock_delay_ms = 10;
        gettimeofday(&t0, NULL);
        TAP_INT(deliver(path, &o, "x\n", &st), MAILBOX_OK, "%s released: delivered", tab[i].name);
        ms = ms_since(&t0);
        TAP_OK(ms >= 100, "%s: waited for the holder (%ld ms)", tab[i].name, ms);
        waitpid(pid, NULL, 0);
    }
    unlink(path);
    mem_free(path);
    vstr_free(got);
    vstr_free(want);
}

#define WRITERS 4
#define PER_WRITER 10
#define BIG_LINES 1500   /* 150 kB per message: several writes each */

static void writer_message(VSTR *v, int w, int m)
{
    vstr_reset(v);
    vstr_printf(v, "Subject: writer %d message %d\n\n", w, m);
    add_big(v, BIG_LINES);
    vstr_printf(v, "end %d %d\n", w, m);
}

static void test_concurrent(void)
{
    char *path = scratch_path("conc");
    VSTR *got = vstr_new(WRITERS * PER_WRITER * 160000), *msg = vstr_new(200000);
    VSTR *want = vstr_new(200000);
    pid_t pids[WRITERS];
    int w, m, failed = 0, seen[WRITERS][PER_WRITER];
    const char *p, *end;
    size_t count = 0;

    memset(seen, 0, sizeof(seen));
    for (w = 0; w < WRITERS; w++) {
        fflush(stdout);
        if ((pids[w] = fork()) == 0) {
            MAILBOX_STATUS st;
            MAILBOX_OPTS o;
            int bad = 0;

            test_opts(&o);
            o.lock_attempts = 5000;
            o.lock_delay_ms = 2;
            for (m = 0; m < PER_WRITER; m++) {
                writer_message(msg, w, m);
                if (deliver(path, &o, vstr_str(msg), &st) != MAILBOX_OK)
                    bad = 1;
            }
            _exit(bad);
        }
    }
    for (w = 0; w < WRITERS; w++) {
        int status;

        if (waitpid(pids[w], &status, 0) != pids[w] || !WIFEXITED(status) || WEXITSTATUS(status))
            failed++;
    }
    TAP_INT(failed, 0, "every concurrent writer delivered");
    scratch_slurp(path, got);
    /* Walk message by message; each must be exactly what its writer sent. */
    p = vstr_str(got);
    end = p + vstr_len(got);
    while (p < end) {
        if (sscanf(p, FROM_FIXED "Subject: writer %d message %d", &w, &m) != 2
            || w < 0 || w >= WRITERS || m < 0 || m >= PER_WRITER) {
            failed++;
            break;
        }
        vstr_reset(want);
        vstr_adds(want, FROM_FIXED);
        writer_message(msg, w, m);
        vstr_addmem(want, vstr_str(msg), vstr_len(msg));
        vstr_addch(want, '\n');
        if ((size_t)(end - p) < vstr_len(want) || memcmp(p, vstr_str(want), vstr_len(want)) != 0) {
            failed++;
            break;
        }
        seen[w][m]++;
        count++;
        p += vstr_len(want);
    }
    TAP_INT(failed, 0, "no message interleaved or damaged");
    TAP_INT(count, WRITERS * PER_WRITER, "all messages present");
    for (w = 0; w < WRITERS; w++)
        for (m = 0; m < PER_WRITER; m++)
            if (seen[w][m] != 1)
                failed++;
    TAP_INT(failed, 0, "each message exactly once");
    unlink(path);
    mem_free(path);
    vstr_free(got);
    vstr_free(msg);
    vstr_free(want);
}

/* A queue file with line_limit 4: "From x" is L "From" + N " x". */
static char *make_qfile(const char *name, int damage)
{
    char *path = scratch_path(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    QFILE_WRITER *w;

    if (fd < 0)
        msg_fatal("create %s: %m", path);
    w = qfile_writer_new(fd, path, QFILE_WRITE_SIZE);
    qfile_writer_set_line_limit(w, 4);
    qfile_put_time(w, 1, 2);
    qfile_puts(w, QREC_FROM, "bob@example.com");
    qfile_puts(w, QREC_RCPT, "alice@example.com");
    qfile_put(w, QREC_MESG, "", 0);
    qfile_put_line(w, "Subject: q", 10);
    qfile_put_line(w, "", 0);
    qfile_put_line(w, "From x", 6);
    qfile_put_line(w, "abcdefgh", 8);
    qfile_put_padding(w, 10);
    qfile_put_line(w, "end", 3);
    if (damage == 1)
        qfile_puts(w, QREC_RCPT, "x@y");
    if (damage != 2) {
        qfile_put(w, QREC_XTRA, "", 0);
        qfile_put(w, QREC_END, "", 0);
    }
    if (qfile_writer_finish(w) < 0)
        msg_fatal("write %s: %m", path);
    qfile_writer_free(w);
    close(fd);
    return path;
}

static void test_copy_qfile(void)
{
    static const struct {
        int damage;
        int seek;       /* 1: seek to data_offset, 0: read up to M */
        int want;
        const char *why;
    } tab[] = {
        {0, 1, 0, ""},
        {0, 0, 0, ""},
        {1, 1, -1, "unexpected record type 82 in the message content"},
        {2, 1, -1, "premature end of file in the message content"},
    };
    char *mbox = scratch_path("fromq");
    VSTR *got = vstr_new(256), *why = vstr_new(64), *want = vstr_new(256);
    size_t i;

    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        char *qf = make_qfile("qf", tab[i].damage);
        int fd = open(qf, O_RDONLY);
        QFILE_READER *r = qfile_reader_open(fd, qf, QFILE_READ_RAW | QFILE_READ_FOLLOW);
        QFILE_REC rec;
        QFILE_SIZE size;
        MAILBOX_STATUS st;
        MAILBOX_OPTS o;
        MBOX *mb;
        int ret;

        if (qfile_read(r, &rec) != 1 || rec.type != QREC_SIZE || qfile_size_parse(rec.data, &size) < 0)
            msg_fatal("no C record");
        if (tab[i].seek)
            qfile_reader_seek(r, size.data_offset);
        else
            while (qfile_reader_peek_type(r) != QREC_MESG && qfile_read(r, &rec) == 1)
                ;
        test_opts(&o);
        unlink(mbox);
        mb = mbox_open(mbox, &o, &st);
        vstr_reset(why);
        ret = mailbox_copy_qfile(r, mbox_out(mb), why);
        TAP_INT(ret, tab[i].want, "copy_qfile %zu: result", i);
        TAP_OK(strstr(vstr_str(why), tab[i].why) != NULL, "copy_qfile %zu: why (%s)", i,
               vstr_str(why));
        if (ret == 0) {
            TAP_INT(mbox_finish(mb, &st), MAILBOX_OK, "copy_qfile %zu: delivered", i);
            mbox_close(mb);
            scratch_slurp(mbox, got);
            vstr_sprintf(want, "%sSubject: q\n\n>From x\nabcdefgh\nend\n\n", FROM_FIXED);
            TAP_STR(vstr_str(got), vstr_str(want), "copy_qfile %zu: content", i);
        } else {
            mbox_abort(mb);
            mbox_close(mb);
            scratch_slurp(mbox, got);
            TAP_STR(vstr_str(got), "", "copy_qfile %zu: aborted, mailbox empty", i);
        }
        qfile_reader_free(r);
        close(fd);
        unlink(qf);
        mem_free(qf);
    }
    unlink(mbox);
    mem_free(mbox);
    vstr_free(got);
    vstr_free(why);
    vstr_free(want);
}

int main(int argc, char **argv)
{
    (void)argc;
    msg_init(argv[0], MSG_OUT_STDERR);
    setenv("TZ", "UTC", 1);
    tzset();
    scratch_init("mbox_test");
    test_from_line();
    test_lock_parse();
    test_opts_conf();
    test_cases();
    test_append();
    test_size_limit();
    test_write_error();
    test_disk_full();
    test_refused();
    test_dotlock();
    test_spool_privs();
    test_kernel_locks();
    test_concurrent();
    test_copy_qfile();
    scratch_done();
    return tap_done();
}
