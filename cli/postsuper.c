/*
 * postsuper - the superuser's queue maintenance command.
 *
 *   postsuper [-c config_dir] [-d ID|ALL|-] [-h ID|ALL|-] [-H ID|ALL|-]
 *             [-r ID|ALL|-] [-s] [-v] [queue...]
 *
 * -d deletes messages (default queues: hold incoming active deferred) with
 * their defer/, bounce/ and trace/ logs, logging "ID: removed". -h puts
 * messages on hold (from incoming active deferred to hold/: "ID: placed on
 * hold"); -H releases them (hold/ to deferred/, mtime set to now so the
 * queue manager tries them at its next scan: "ID: released from hold").
 * -r requeues (from hold active deferred to maildrop/, its defer/bounce
 * logs removed: "ID: requeued"), as Postfix does: pickup sees a file owned
 * by mail_owner and sends the queue file through cleanup again (new queue
 * id, addresses rewritten anew, recipients already done left out); pickup
 * is woken when something was requeued. The file is given to mail_owner
 * (pickup trusts nothing else there). ID "ALL" means every message in those queues, "-" reads
 * ids from standard input (white-space separated). Queue names on the
 * command line replace the defaults. Each operation ends with a summary
 * ("Deleted: 2 messages", only when something happened) in the log and on
 * standard error. -s checks the structure first: a queue file or log in
 * the wrong hashed subdirectory is moved where it belongs, and a short id
 * whose inode part no longer matches its file (restored from a backup) is
 * renamed to the id of its inode, its logs with it ("warning: OLD: renamed
 * to NEW"). Operations run in Postfix's order: -s, -d, -h, -H, -r.
 *
 * Log lines go to syslog or maillog_file (opened directly, as root) under
 * syslog_name/postsuper, and to standard error when that is a terminal.
 *
 * Error policy: not root, a bad option or queue name: fatal (exit 1). An id
 * that is not a valid queue id is a warning and skipped. A file that
 * vanished meanwhile is skipped silently; other rename/unlink errors are
 * warnings and the operation goes on.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "queue_scan.h"
#include "trigger.h"
#include "vstr.h"

#define PS_REQUEUE_QUEUE "maildrop"

enum { PS_DELETE, PS_HOLD, PS_RELEASE, PS_REQUEUE, PS_NOPS };

typedef struct PS_CTX {
    const char *hashed;
    int depth;
    int op;
    int count;
    VSTR *path;
    VSTR *path2;
    long owner; /* mail_owner's uid, -1 unknown: a requeued file is given to it */
} PS_CTX;

static const char *const ps_default_queues[PS_NOPS][5] = {
    {"hold", "incoming", "active", "deferred", NULL},
    {"incoming", "active", "deferred", NULL},
    {"hold", NULL},
    {"hold", "active", "deferred", NULL},
};
static const char *const ps_done_text[PS_NOPS] = {
    "removed", "placed on hold", "released from hold", "requeued"};
static const char *const ps_summary_text[PS_NOPS] = {
    "Deleted", "Placed on hold", "Released from hold", "Requeued"};
static const char *const ps_all_queues[] = {"maildrop", "incoming", "active", "deferred", "hold",
                                            "saved", NULL};
static const char *const ps_log_queues[] = {"defer", "bounce", "trace", NULL};

/*
 * Warnings: logged, and on standard error even when that is not a
 * terminal (info lines go there only on a terminal, as Postfix does).
 */
static void ps_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ps_warn(const char *fmt, ...)
{
    VSTR *v = vstr_new(128);
    va_list ap;

    va_start(ap, fmt);
    vstr_vprintf(v, fmt, ap);
    va_end(ap);
    msg_warn("%s", vstr_str(v));
    if (!isatty(STDERR_FILENO))
        fprintf(stderr, "postsuper: warning: %s\n", vstr_str(v));
    vstr_free(v);
}

static int ps_depth(const PS_CTX *c, const char *queue)
{
    return queue_id_is_hashed(queue, c->hashed) ? c->depth : 0;
}

/* mkdir -p the hashed directory of a path "q/h/i/ID". */
static void ps_make_dirs(const char *path)
{
    char *copy = mem_strdup(path);
    char *cp;

    for (cp = strchr(copy, '/'); cp != NULL; cp = strchr(cp + 1, '/')) {
        *cp = 0;
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
            ps_warn("mkdir %s: %s", copy, strerror(errno));
        *cp = '/';
    }
    mem_free(copy);
}

static void ps_remove_logs(PS_CTX *c, const char *id)
{
    size_t i;

    for (i = 0; ps_log_queues[i]; i++) {
        queue_id_path(c->path2, ps_log_queues[i], id, ps_depth(c, ps_log_queues[i]));
        if (unlink(vstr_str(c->path2)) < 0 && errno != ENOENT)
            ps_warn("remove %s: %s", vstr_str(c->path2), strerror(errno));
    }
}

/* Apply c->op to queue/id at path: 1 done, 0 not. */
static int ps_apply(PS_CTX *c, const char *queue, const char *id, const char *path)
{
    const char *target = NULL;
    int ok;

    switch (c->op) {
    case PS_DELETE:
        if (unlink(path) < 0) {
            if (errno != ENOENT)
                ps_warn("remove %s: %s", path, strerror(errno));
            return 0;
        }
        ps_remove_logs(c, id);
        break;
    case PS_HOLD:
        target = "hold";
        break;
    case PS_RELEASE:
        target = "deferred";
        break;
    case PS_REQUEUE:
        target = PS_REQUEUE_QUEUE;
        break;
    }
    if (target != NULL) {
        if (strcmp(queue, target) == 0)
            return 0;
        queue_id_path(c->path2, target, id, ps_depth(c, target));
        ok = rename(path, vstr_str(c->path2)) == 0;
        if (!ok && errno == ENOENT && access(path, F_OK) == 0) {
            ps_make_dirs(vstr_str(c->path2));       /* the hashed directory is missing */
            ok = rename(path, vstr_str(c->path2)) == 0;
        }
        if (!ok) {
            if (errno != ENOENT)
                ps_warn("rename %s to %s: %s", path, vstr_str(c->path2), strerror(errno));
            return 0;
        }
        if (c->op == PS_RELEASE || c->op == PS_REQUEUE)
            (void) utimensat(AT_FDCWD, vstr_str(c->path2), NULL, 0);
        if (c->op == PS_REQUEUE) {
            /* pickup trusts a maildrop file only when mail_owner owns it */
            if (c->owner >= 0 && lchown(vstr_str(c->path2), (uid_t) c->owner, (gid_t) -1) < 0)
                ps_warn("chown %s: %s", vstr_str(c->path2), strerror(errno));
            ps_remove_logs(c, id);
        }
    }
    msg_info("%s: %s", id, ps_done_text[c->op]);
    c->count++;
    return 1;
}

static int ps_scan_fn(void *ctx, const char *queue, const char *id, const char *path)
{
    (void) ps_apply(ctx, queue, id, path);
    return 0;
}

static void ps_one_id(PS_CTX *c, const char *id, const char *const *queues)
{
    size_t i;

    if (!queue_id_valid(id)) {
        ps_warn("invalid mail queue id: %s", id);
        return;
    }
    for (i = 0; queues[i]; i++) {
        queue_id_path(c->path, queues[i], id, ps_depth(c, queues[i]));
        if (access(vstr_str(c->path), F_OK) == 0 && ps_apply(c, queues[i], id, vstr_str(c->path)))
            return;
    }
}

static void ps_operate(PS_CTX *c, int op, const ARGV *ids, const char *const *queues)
{
    size_t i, q;

    if (ids->argc == 0)
        return;
    c->op = op;
    c->count = 0;
    if (queues == NULL)
        queues = ps_default_queues[op];
    for (i = 0; i < ids->argc; i++) {
        const char *id = ids->argv[i];

        if (strcmp(id, "ALL") == 0) {
            for (q = 0; queues[q]; q++)
                if (queue_scan(queues[q], ps_scan_fn, c) < 0)
                    ps_warn("scan queue %s: %s", queues[q], strerror(errno));
        } else if (strcmp(id, "-") == 0) {
            char buf[256];

            while (scanf("%255s", buf) == 1)
                ps_one_id(c, buf, queues);
        } else {
            ps_one_id(c, id, queues);
        }
    }
    if (c->count > 0) {
        msg_info("%s: %d message%s", ps_summary_text[op], c->count, c->count == 1 ? "" : "s");
        if (!isatty(STDERR_FILENO))
            fprintf(stderr, "postsuper: %s: %d message%s\n", ps_summary_text[op], c->count,
                    c->count == 1 ? "" : "s");
    }
}

/* -s: put each file where its name says it belongs. */
static int ps_struct_fn(void *ctx, const char *queue, const char *id, const char *path)
{
    PS_CTX *c = ctx;
    struct stat st;
    unsigned long inum;
    char newid[QUEUE_ID_BUFSIZE];
    size_t i;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    /* a short id whose inode part is not the file's: rename (not maildrop) */
    if (c->op == PS_NOPS && strcmp(queue, "maildrop") != 0
        && queue_id_valid(id) == QUEUE_ID_SHORT
        && queue_id_inode(id, &inum) == 0 && inum != (unsigned long) st.st_ino) {
        char hex[6];

        memcpy(hex, id, 5);
        hex[5] = 0;
        queue_id_short(newid, strtol(hex, NULL, 16), (unsigned long) st.st_ino);
        queue_id_path(c->path2, queue, newid, ps_depth(c, queue));
        ps_make_dirs(vstr_str(c->path2));
        if (access(vstr_str(c->path2), F_OK) == 0) {
            ps_warn("%s: not renamed to %s: a file of that name exists", path,
                    vstr_str(c->path2));
            return 0;
        }
        if (rename(path, vstr_str(c->path2)) < 0) {
            ps_warn("rename %s to %s: %s", path, vstr_str(c->path2), strerror(errno));
            return 0;
        }
        for (i = 0; ps_log_queues[i]; i++) {
            VSTR *from = vstr_new(64);

            queue_id_path(from, ps_log_queues[i], id, ps_depth(c, ps_log_queues[i]));
            queue_id_path(c->path2, ps_log_queues[i], newid, ps_depth(c, ps_log_queues[i]));
            if (access(vstr_str(from), F_OK) == 0) {
                ps_make_dirs(vstr_str(c->path2));
                if (rename(vstr_str(from), vstr_str(c->path2)) < 0)
                    ps_warn("rename %s: %s", vstr_str(from), strerror(errno));
            }
            vstr_free(from);
        }
        ps_warn("%s: renamed to %s", id, newid);
        c->count++;
        return 0;
    }
    queue_id_path(c->path2, queue, id, ps_depth(c, queue));
    if (strcmp(vstr_str(c->path2), path) != 0) {
        ps_make_dirs(vstr_str(c->path2));
        if (access(vstr_str(c->path2), F_OK) == 0)
            ps_warn("%s: not moved to %s: a file of that name exists", path,
                     vstr_str(c->path2));
        else if (rename(path, vstr_str(c->path2)) < 0)
            ps_warn("rename %s to %s: %s", path, vstr_str(c->path2), strerror(errno));
        else
            ps_warn("%s: moved to %s", path, vstr_str(c->path2));
    }
    return 0;
}

static void ps_structure(PS_CTX *c)
{
    size_t i;

    c->count = 0;
    c->op = PS_NOPS;        /* message queues: names checked against inodes */
    for (i = 0; ps_all_queues[i]; i++)
        (void) queue_scan(ps_all_queues[i], ps_struct_fn, c);
    c->op = PS_DELETE;      /* logs: only their place */
    for (i = 0; ps_log_queues[i]; i++)
        (void) queue_scan(ps_log_queues[i], ps_struct_fn, c);
    if (c->count > 0) {
        msg_info("Renamed to match inode number: %d message%s", c->count,
                 c->count == 1 ? "" : "s");
        if (!isatty(STDERR_FILENO))
            fprintf(stderr, "postsuper: Renamed to match inode number: %d message%s\n",
                    c->count, c->count == 1 ? "" : "s");
    }
}

static void ps_usage(void)
{
    msg_fatal("usage: postsuper [-c config_dir] [-d queue_id] [-h queue_id] [-H queue_id] "
              "[-r queue_id] [-s] [-v] [queue...]");
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    ARGV *ids[PS_NOPS];
    ARGV *queues = NULL;
    PS_CTX c;
    int structure = 0;
    int ch, op;
    long depth;
    const char *qdir;

    msg_init("postsuper", MSG_OUT_STDERR);
    if (getuid() != 0)
        msg_fatal("use of this command is reserved for the superuser");
    for (op = 0; op < PS_NOPS; op++)
        ids[op] = argv_new();
    while ((ch = getopt(argc, argv, "c:d:h:H:r:spv")) != -1) {
        switch (ch) {
        case 'c': config_dir = optarg; break;
        case 'd': argv_add(ids[PS_DELETE], optarg); break;
        case 'h': argv_add(ids[PS_HOLD], optarg); break;
        case 'H': argv_add(ids[PS_RELEASE], optarg); break;
        case 'r': argv_add(ids[PS_REQUEUE], optarg); break;
        case 's': structure = 1; break;
        case 'p': break;        /* temporary files: none are left by Postern */
        case 'v': msg_verbose++; break;
        default: ps_usage();
        }
    }
    if (optind < argc) {
        size_t i;

        queues = argv_new();
        for (; optind < argc; optind++) {
            for (i = 0; ps_all_queues[i]; i++)
                if (strcmp(ps_all_queues[i], argv[optind]) == 0)
                    break;
            if (ps_all_queues[i] == NULL)
                msg_fatal("invalid directory name: %s", argv[optind]);
            argv_add(queues, argv[optind]);
        }
    }
    conf_init(config_dir);
    qdir = conf_get("queue_directory");
    depth = conf_get_int("hash_queue_depth");
    if (depth < 1 || depth > QUEUE_ID_MAX_DEPTH)
        msg_fatal("bad hash_queue_depth value: %ld", depth);
    if (qdir == NULL || chdir(qdir) < 0)
        msg_fatal("chdir %s: %s", qdir ? qdir : "(queue_directory)", strerror(errno));
    msg_set_outputs(isatty(STDERR_FILENO) ? MSG_OUT_STDERR | MSG_OUT_SYSLOG : MSG_OUT_SYSLOG);
    msg_config(conf_get("syslog_name"), conf_get("syslog_facility"), conf_get("maillog_file"),
               conf_get("myhostname"));
    memset(&c, 0, sizeof(c));
    c.hashed = conf_get("hash_queue_names");
    if (c.hashed == NULL)
        c.hashed = "";
    c.depth = (int) depth;
    c.path = vstr_new(64);
    c.path2 = vstr_new(64);
    {
        const char *owner = conf_get("mail_owner");
        struct passwd *pw = owner ? getpwnam(owner) : NULL;

        c.owner = pw ? (long) pw->pw_uid : -1;
    }
    if (structure)
        ps_structure(&c);
    for (op = 0; op < PS_NOPS; op++)
        ps_operate(&c, op, ids[op], queues ? (const char *const *) queues->argv : NULL);
    if (ids[PS_REQUEUE]->argc > 0)
        (void) trigger_send("public/pickup", "W", 1); /* pickup's timer would do it later */
    for (op = 0; op < PS_NOPS; op++)
        argv_free(ids[op]);
    if (queues)
        argv_free(queues);
    vstr_free(c.path);
    vstr_free(c.path2);
    conf_free();
    return 0;
}
