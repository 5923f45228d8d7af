/*
 * table_db_test - the file table types hash:, btree:, lmdb: and cdb:
 * through table_open(): build, update, lookup, remove, sequence, the NUL
 * variants, duplicates, atomic rebuilds, locking, corrupt files, and a
 * hostile DB_CONFIG in the current directory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "table.h"
#include "tablefile.h"
#include "vstr.h"

#include "tap.h"

static char dir[] = "/tmp/table_db_test.XXXXXX";

struct kv {
    const char *key;
    const char *value;
};

static const struct kv entries[] = {
    {"alice@example.com", "alice"},
    {"bob@example.com", "bob, carol"},
    {"@example.org", "catchall@example.com"},
    {"x", "1"},
};
#define N_ENTRIES (sizeof(entries) / sizeof(entries[0]))

static const char *types[] = {"hash", "btree", "lmdb", "cdb"};

static char *spec_for(const char *type, const char *base)
{
    VSTR *v = vstr_new(100);

    vstr_sprintf(v, "%s:%s/%s", type, dir, base);
    return vstr_export(v);
}

static char *file_for(const char *type, const char *base)
{
    VSTR *v = vstr_new(100);

    vstr_sprintf(v, "%s/%s.%s", dir, base, strcmp(type, "lmdb") == 0 ? "lmdb"
                 : strcmp(type, "cdb") == 0 ? "cdb" : "db");
    return vstr_export(v);
}

/* Files in dir whose name starts with '.': left-over temporary files. */
static int count_temp_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Build base with entries (plus one duplicate); returns 0 on success. */
static int build(const char *type, const char *base, int flags, const char *dup_value)
{
    VSTR *why = vstr_new(100);
    char *spec = spec_for(type, base);
    TABLE *t = table_open(spec, TABLE_CREATE, flags, why);
    size_t i;
    int rc = 0;

    if (t == NULL) {
        printf("# open %s: %s\n", spec, vstr_str(why));
        rc = -1;
    } else {
        for (i = 0; i < N_ENTRIES; i++)
            if (table_update(t, entries[i].key, entries[i].value) != 0)
                rc = -1;
        if (dup_value != NULL && table_update(t, entries[0].key, dup_value) < 0)
            rc = -1;
        table_close(t);
    }
    mem_free(spec);
    vstr_free(why);
    return rc;
}

static TABLE *open_read(const char *type, const char *base, int flags)
{
    VSTR *why = vstr_new(100);
    char *spec = spec_for(type, base);
    TABLE *t = table_open(spec, TABLE_READ, flags, why);

    if (t == NULL)
        printf("# open %s: %s\n", spec, vstr_str(why));
    mem_free(spec);
    vstr_free(why);
    return t;
}

static void test_build_and_read(const char *type)
{
    TABLE *t;
    size_t i;
    int n, rc;
    const char *k, *v;

    TAP_INT(build(type, "basic", TABLE_FLAG_FOLD | TABLE_FLAG_LOCK, "duplicate"), 0,
            "%s: build", type);
    TAP_INT(count_temp_files(), 0, "%s: no temporary file left", type);
    if ((t = open_read(type, "basic", TABLE_FLAGS_READ)) == NULL) {
        TAP_OK(0, "%s: open for reading", type);
        return;
    }
    for (i = 0; i < N_ENTRIES; i++)
        TAP_STR(table_lookup(t, entries[i].key), entries[i].value, "%s: lookup %s", type,
                entries[i].key);
    TAP_STR(table_lookup(t, "ALICE@Example.COM"), "alice", "%s: lookup folds case", type);
    TAP_OK(table_lookup(t, "nobody@example.com") == NULL && t->error == TABLE_OK,
           "%s: a miss is no error", type);
    TAP_OK(table_lookup(t, "") == NULL && t->error == TABLE_OK, "%s: empty key misses", type);
    for (n = 0, rc = table_sequence(t, TABLE_SEQ_FIRST, &k, &v); rc == 0;
         rc = table_sequence(t, TABLE_SEQ_NEXT, &k, &v)) {
        for (i = 0; i < N_ENTRIES; i++)
            if (strcmp(k, entries[i].key) == 0 && strcmp(v, entries[i].value) == 0)
                n++;
    }
    TAP_INT(rc, 1, "%s: sequence ends cleanly", type);
    TAP_INT(n, N_ENTRIES, "%s: sequence returns every entry once, first duplicate kept", type);
    /* A second sequence starts over. */
    TAP_INT(table_sequence(t, TABLE_SEQ_FIRST, &k, &v), 0, "%s: sequence restarts", type);
    TAP_OK(t->update == NULL || table_update(t, "a", "b") < 0, "%s: no update when read-only",
           type);
    table_close(t);
}

static void test_nul_variants(const char *type)
{
    TABLE *t;

    /* Without NUL: read with both flags, and with TRY0NULL alone; not with TRY1NULL alone. */
    TAP_INT(build(type, "nonul", TABLE_FLAG_TRY0NULL, NULL), 0, "%s: build without NUL", type);
    if ((t = open_read(type, "nonul", TABLE_FLAGS_READ)) != NULL) {
        TAP_STR(table_lookup(t, "bob@example.com"), "bob, carol", "%s: -n file read by default",
                type);
        TAP_STR(table_lookup(t, "x"), "1", "%s: ... and again after the variant is known", type);
        table_close(t);
    }
    if ((t = open_read(type, "nonul", TABLE_FLAG_TRY1NULL)) != NULL) {
        TAP_OK(table_lookup(t, "x") == NULL, "%s: -n file not found with TRY1NULL alone", type);
        table_close(t);
    }
    TAP_INT(build(type, "withnul", TABLE_FLAG_TRY1NULL, NULL), 0, "%s: build with NUL", type);
    if ((t = open_read(type, "withnul", TABLE_FLAG_TRY1NULL | TABLE_FLAG_TRY0NULL)) != NULL) {
        TAP_STR(table_lookup(t, "x"), "1", "%s: -N file read by default", type);
        table_close(t);
    }
    if ((t = open_read(type, "withnul", TABLE_FLAG_TRY0NULL)) != NULL) {
        TAP_OK(table_lookup(t, "x") == NULL, "%s: -N file not found with TRY0NULL alone", type);
        table_close(t);
    }
    /* Check the stored bytes with the other variant's reader: key "x" is 2 bytes with NUL. */
}

static void test_duplicates(const char *type)
{
    TABLE *t;

    TAP_INT(build(type, "replace", TABLE_FLAG_DUP_REPLACE, "replaced"), 0,
            "%s: build with replace", type);
    if ((t = open_read(type, "replace", TABLE_FLAGS_READ)) != NULL) {
        TAP_STR(table_lookup(t, entries[0].key), "replaced", "%s: -r replaces", type);
        table_close(t);
    }
    TAP_INT(build(type, "ignore", TABLE_FLAG_DUP_IGNORE, "ignored"), 0,
            "%s: build ignoring duplicates", type);
    if ((t = open_read(type, "ignore", TABLE_FLAGS_READ)) != NULL) {
        TAP_STR(table_lookup(t, entries[0].key), entries[0].value, "%s: -w keeps the first", type);
        table_close(t);
    }
}

/*
 * In a child process (locks are per process or per open file), try to take
 * the shared lock a Postfix reader takes: flock(2) for Berkeley DB files,
 * fcntl(2) for LMDB. 1 when it would block, 0 when granted, -1 on error.
 */
static int try_shared_lock(const char *type, const char *file)
{
    pid_t pid;
    int status, fd;

    fflush(stdout);
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        if ((fd = open(file, O_RDONLY)) < 0)
            _exit(3);
        if (strcmp(type, "lmdb") == 0) {
            struct flock fl;

            memset(&fl, 0, sizeof(fl));
            fl.l_type = F_RDLCK;
            fl.l_whence = SEEK_SET;
            if (fcntl(fd, F_SETLK, &fl) == 0)
                _exit(0);
            _exit(errno == EAGAIN || errno == EACCES ? 1 : 3);
        }
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
            _exit(0);
        _exit(errno == EWOULDBLOCK ? 1 : 3);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status) == 3 ? -1 : WEXITSTATUS(status);
}

static void test_write_mode(const char *type)
{
    VSTR *why = vstr_new(100);
    char *spec = spec_for(type, "basic");
    char *file = file_for(type, "basic");
    TABLE *t = table_open(spec, TABLE_WRITE, TABLE_FLAG_FOLD | TABLE_FLAG_LOCK, why);

    if (strcmp(type, "cdb") == 0) {
        TAP_OK(t == NULL && strstr(vstr_str(why), "cdb") != NULL, "cdb: no in-place update (%s)",
               vstr_str(why));
        goto out;
    }
    if (t == NULL) {
        TAP_OK(0, "%s: open for update: %s", type, vstr_str(why));
        goto out;
    }
    TAP_INT(table_update(t, "New@Example.COM", "new"), 0, "%s: update adds", type);
    TAP_INT(table_update(t, "new@example.com", "again"), 1, "%s: update keeps the first", type);
    TAP_INT(table_remove(t, "x"), 0, "%s: remove", type);
    TAP_INT(table_remove(t, "x"), 1, "%s: remove of a missing key", type);
    TAP_STR(table_lookup(t, "new@example.com"), "new", "%s: lookup in write mode", type);
    /* The file is locked exclusively while open for writing. */
    TAP_INT(try_shared_lock(type, file), 1, "%s: exclusive lock held while writing", type);
    table_close(t);
    TAP_INT(try_shared_lock(type, file), 0, "%s: lock released at close", type);
    if ((t = open_read(type, "basic", TABLE_FLAGS_READ)) != NULL) {
        TAP_STR(table_lookup(t, "new@example.com"), "new", "%s: update persisted", type);
        TAP_OK(table_lookup(t, "x") == NULL, "%s: remove persisted", type);
        table_close(t);
    }
out:
    mem_free(spec);
    mem_free(file);
    vstr_free(why);
}

/* A build that is thrown away leaves the old table as it was. */
static void test_atomic_rebuild(const char *type)
{
    VSTR *why = vstr_new(100);
    char *spec = spec_for(type, "atomic");
    TABLE *t, *r;
    struct stat before, after;
    char *file = file_for(type, "atomic");

    build(type, "atomic", 0, NULL);
    stat(file, &before);
    t = table_open(spec, TABLE_CREATE, TABLE_FLAG_FOLD, why);
    if (t == NULL) {
        TAP_OK(0, "%s: open rebuild: %s", type, vstr_str(why));
        goto out;
    }
    table_update(t, "only", "new");
    /* Meanwhile, readers see the old table. */
    if ((r = open_read(type, "atomic", TABLE_FLAGS_READ)) != NULL) {
        TAP_STR(table_lookup(r, "x"), "1", "%s: old table readable during a rebuild", type);
        table_close(r);
    }
    TAP_INT(count_temp_files(), 1, "%s: the new file is beside the old one", type);
    tablefile_discard(t);
    table_close(t);
    TAP_INT(count_temp_files(), 0, "%s: a discarded rebuild leaves no file", type);
    stat(file, &after);
    TAP_OK(before.st_ino == after.st_ino, "%s: the old table is untouched", type);
    if ((r = open_read(type, "atomic", TABLE_FLAGS_READ)) != NULL) {
        TAP_STR(table_lookup(r, "x"), "1", "%s: old content after a failed rebuild", type);
        TAP_OK(table_lookup(r, "only") == NULL, "%s: nothing of the failed rebuild", type);
        table_close(r);
    }
    /* A committed rebuild replaces the file and keeps its mode. */
    chmod(file, 0640);
    build(type, "atomic", 0, NULL);
    stat(file, &after);
    TAP_OK(before.st_ino != after.st_ino && (after.st_mode & 07777) == 0640,
           "%s: a rebuild renames a new file in, keeping the mode", type);
    /* A table reached through a symbolic link: the link stays, its target is rebuilt. */
    {
        char *real = file_for(type, "real"), *link = file_for(type, "link");
        struct stat lst;
        TABLE *l;

        build(type, "real", 0, NULL);
        unlink(link);
        if (symlink(real, link) == 0) {
            build(type, "link", 0, "x");
            TAP_OK(lstat(link, &lst) == 0 && S_ISLNK(lst.st_mode), "%s: a symlinked table stays a symlink",
                   type);
            if ((l = open_read(type, "link", TABLE_FLAGS_READ)) != NULL) {
                TAP_STR(table_lookup(l, "x"), "1", "%s: ... and is readable", type);
                table_close(l);
            }
            TAP_INT(count_temp_files(), 0, "%s: ... no temporary file left", type);
        }
        unlink(link);
        unlink(real);
        mem_free(real);
        mem_free(link);
    }
out:
    mem_free(spec);
    mem_free(file);
    vstr_free(why);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "w");

    if (fp != NULL) {
        fwrite(data, 1, len, fp);
        fclose(fp);
    }
}

static void test_corrupt(const char *type)
{
    static const char garbage[] = "this is not a database file at all\n";
    char big[8192];
    char *file = file_for(type, "corrupt");
    TABLE *t;
    size_t i;

    write_file(file, garbage, sizeof(garbage) - 1);
    t = open_read(type, "corrupt", TABLE_FLAGS_READ);
    TAP_OK(t == NULL, "%s: garbage file refused at open", type);
    if (t != NULL)
        table_close(t);
    /* Page-sized garbage. */
    for (i = 0; i < sizeof(big); i++)
        big[i] = (char) (i * 7 + 3);
    write_file(file, big, sizeof(big));
    t = open_read(type, "corrupt", TABLE_FLAGS_READ);
    if (t != NULL) {
        const char *k, *v;

        (void) table_lookup(t, "x");
        (void) table_sequence(t, TABLE_SEQ_FIRST, &k, &v);
        table_close(t);
    }
    TAP_OK(1, "%s: 8 KiB of garbage does not crash", type);
    /* A truncated real table. */
    build(type, "corrupt", 0, NULL);
    if (truncate(file, 100) == 0) {
        t = open_read(type, "corrupt", TABLE_FLAGS_READ);
        if (t != NULL) {
            (void) table_lookup(t, "x");
            table_close(t);
        }
    }
    TAP_OK(1, "%s: a truncated table does not crash", type);
    unlink(file);
    mem_free(file);
}

static void test_missing(const char *type)
{
    TABLE *t = open_read(type, "does-not-exist", TABLE_FLAGS_READ);
    VSTR *why = vstr_new(100);
    char *spec = spec_for(type, "does-not-exist");

    TAP_OK(t == NULL, "%s: a missing table is an open error", type);
    t = table_open(spec, TABLE_READ, TABLE_FLAGS_READ, why);
    TAP_OK(t == NULL && strstr(vstr_str(why), "No such file or directory") != NULL,
           "%s: ... saying why: %s", type, vstr_str(why));
    mem_free(spec);
    vstr_free(why);
}

/*
 * Berkeley DB reads DB_CONFIG from its home directory, which is the current
 * one when no home is given. A DB_CONFIG there that Berkeley DB would obey
 * makes the environment fail to open ("unrecognized name-value pair") or
 * redirects its files: the tables must not notice it.
 */
static void test_hostile_db_config(void)
{
    char cwd[4096];
    VSTR *why = vstr_new(100);
    TABLE *t;
    const char *types_db[] = {"hash", "btree"};
    size_t i;

    if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) != 0) {
        TAP_OK(0, "chdir to the test directory");
        vstr_free(why);
        return;
    }
    write_file("DB_CONFIG", "set_data_dir /nonexistent/evil\nbogus_directive here\n", 53);
    for (i = 0; i < 2; i++) {
        t = table_open(types_db[i][0] == 'h' ? "hash:relative" : "btree:relative", TABLE_CREATE,
                       TABLE_FLAG_FOLD, why);
        TAP_OK(t != NULL, "%s: build beside a hostile DB_CONFIG %s", types_db[i],
               t == NULL ? vstr_str(why) : "");
        if (t != NULL) {
            table_update(t, "k", "v");
            table_close(t);
        }
        t = table_open(types_db[i][0] == 'h' ? "hash:relative" : "btree:relative", TABLE_READ,
                       TABLE_FLAGS_READ, why);
        TAP_OK(t != NULL && table_lookup(t, "k") != NULL,
               "%s: read a relative table beside a hostile DB_CONFIG", types_db[i]);
        if (t != NULL)
            table_close(t);
        unlink("relative.db");
    }
    unlink("DB_CONFIG");
    if (chdir(cwd) != 0)
        TAP_OK(0, "chdir back");
    vstr_free(why);
}

/* LMDB: a build larger than the initial 16 MiB map grows it; nothing is lost. */
static void test_lmdb_growth(void)
{
    VSTR *why = vstr_new(100), *key = vstr_new(100), *value = vstr_new(200);
    char *spec = spec_for("lmdb", "big");
    TABLE *t = table_open(spec, TABLE_CREATE, 0, why);
    const char *k, *v;
    int i, n, bad = 0, rc;
    const int count = 120000;

    if (t == NULL) {
        TAP_OK(0, "lmdb: open big: %s", vstr_str(why));
        goto out;
    }
    for (i = 0; i < count; i++) {
        vstr_sprintf(key, "user%d@example.com", i);
        vstr_sprintf(value, "%0150d", i);
        if (table_update(t, vstr_str(key), vstr_str(value)) != 0)
            bad++;
    }
    table_close(t);
    TAP_INT(bad, 0, "lmdb: %d updates of 150 bytes", count);
    if ((t = open_read("lmdb", "big", TABLE_FLAGS_READ)) == NULL) {
        TAP_OK(0, "lmdb: open big for reading");
        goto out;
    }
    for (n = 0, rc = table_sequence(t, TABLE_SEQ_FIRST, &k, &v); rc == 0;
         rc = table_sequence(t, TABLE_SEQ_NEXT, &k, &v))
        n++;
    TAP_INT(n, count, "lmdb: every entry is there after the map grew");
    vstr_sprintf(value, "%0150d", count - 1);
    vstr_sprintf(key, "user%d@example.com", count - 1);
    TAP_STR(table_lookup(t, vstr_str(key)), vstr_str(value), "lmdb: the last entry");
    table_close(t);
out:
    mem_free(spec);
    vstr_free(why);
    vstr_free(key);
    vstr_free(value);
}

static void test_bad_names(void)
{
    VSTR *why = vstr_new(100);
    TABLE *t;

    t = table_open("hash:/nonexistent-dir/x", TABLE_CREATE, 0, why);
    TAP_OK(t == NULL && vstr_len(why) > 0, "build in a missing directory fails: %s",
           vstr_str(why));
    vstr_free(why);
}

int main(void)
{
    char cmd[200];
    size_t i;

    msg_init("table_db_test", MSG_OUT_STDERR);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        test_build_and_read(types[i]);
        test_nul_variants(types[i]);
        test_duplicates(types[i]);
        test_write_mode(types[i]);
        test_atomic_rebuild(types[i]);
        test_corrupt(types[i]);
        test_missing(types[i]);
    }
    test_hostile_db_config();
    test_lmdb_growth();
    test_bad_names();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        TAP_OK(0, "cleanup");
    return tap_done();
}
