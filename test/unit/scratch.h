/*
 * scratch.h - a scratch folder under /tmp for the unit tests that write
 * files (mbox_test, maildir_test), and the helpers they share around it.
 *
 *   scratch_init("mbox_test");        makes /tmp/mbox_test.XXXXXX (in scratch[])
 *   char *p = scratch_path("name");   "<scratch>/name"; mem_free() it
 *   scratch_slurp(path, v);           the whole file into v; -1 when it is missing
 *   scratch_spew(path, text);         writes text as the whole file
 *   ... in a forked child:
 *   scratch_child_tmpfs(mnt, "64k");  a private mount namespace with a tmpfs
 *                                     of that size at mnt (exits when it cannot)
 *   scratch_child_fsize(bytes);       RLIMIT_FSIZE: a write past it fails (EFBIG)
 *   ... in the parent:
 *   bits = scratch_child_wait(pid, "disk full");   its exit status, or -1
 *   scratch_done();                   removes the (emptied) folder
 *
 * Error policy: what the test cannot set up is fatal (msg_fatal); a child
 * that could not mount is a TAP skip, one that died a TAP failure, and
 * scratch_child_wait() then returns -1. Tests remove what they made inside
 * the folder; scratch_done() only removes the folder itself.
 */
#ifndef POSTERN_SCRATCH_H
#define POSTERN_SCRATCH_H

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "tap.h"
#include "vstr.h"

#define SCRATCH_NO_MOUNT 99   /* a child's exit status: no tmpfs here */

static char scratch[256];

__attribute__((unused))
static void scratch_init(const char *name)
{
    snprintf(scratch, sizeof(scratch), "/tmp/%s.XXXXXX", name);
    if (mkdtemp(scratch) == NULL)
        msg_fatal("mkdtemp %s: %m", scratch);
}

__attribute__((unused))
static void scratch_done(void)
{
    if (rmdir(scratch) < 0)
        msg_warn("remove %s: %m", scratch);
}

__attribute__((unused))
static char *scratch_path(const char *name)
{
    VSTR *v = vstr_new(64);

    vstr_sprintf(v, "%s/%s", scratch, name);
    return vstr_export(v);
}

__attribute__((unused))
static int scratch_slurp(const char *path, VSTR *v)
{
    char buf[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    vstr_reset(v);
    if (fd < 0)
        return -1;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        vstr_addmem(v, buf, (size_t) n);
    close(fd);
    return 0;
}

__attribute__((unused))
static void scratch_spew(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
        msg_fatal("write %s: %m", path);
    close(fd);
}

__attribute__((unused))
static void scratch_child_tmpfs(const char *mnt, const char *size)
{
    char opts[64];

    snprintf(opts, sizeof(opts), "size=%s", size);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
        || mount("tmpfs", mnt, "tmpfs", 0, opts) < 0)
        _exit(SCRATCH_NO_MOUNT);
}

__attribute__((unused))
static void scratch_child_fsize(rlim_t bytes)
{
    struct rlimit rl = {bytes, bytes};

    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &rl);
}

__attribute__((unused))
static int scratch_child_wait(pid_t pid, const char *what)
{
    int status;

    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        TAP_OK(0, "%s: child died", what);
        return -1;
    }
    if (WEXITSTATUS(status) == SCRATCH_NO_MOUNT) {
        printf("ok %d - # SKIP cannot mount a tmpfs here\n", ++tap_count);
        return -1;
    }
    return WEXITSTATUS(status);
}

#endif
