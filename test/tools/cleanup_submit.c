/*
 * cleanup_submit - TEST-ONLY client of lib/cleanup_client.h: hands one
 * message to a running cleanup service and prints what it answered.
 * Never installed.
 *
 * Usage: cleanup_submit [options] < message
 *   -s PATH      the service socket (default public/cleanup, relative to
 *                the current directory: run it in queue_directory)
 *   -x FLAGS     request flags (CLEANUP_FLAG_* bits; default FILTER|MAP_OK)
 *   -T SEC[.USEC] arrival time (default now)
 *   -F NAME      sender full name
 *   -a NAME=VAL  an attribute (repeatable, in order); a VAL of {queue_id}
 *                is replaced by the queue id cleanup gave (log_ident)
 *   -u UID       submit_uid (a local submission by UID)
 *   -f SENDER    the envelope sender (default "")
 *   -N NOTIFY    DSN NOTIFY bits for the next -r
 *   -D ORCPT     DSN ORCPT for the next -r ("rfc822;a@b")
 *   -O ORIG      original recipient for the next -r
 *   -r RCPT      a recipient (repeatable)
 *   -X RCPT      a recipient in the extracted segment (after the content)
 *   -P FILE      after half of the message lines: flush, create FILE, and
 *                wait (at most 30 s) until FILE is removed, then go on
 *   -q           quit before cleanup_finish (close = abort)
 * The message is read from standard input; lines end at LF (a CR before it
 * is dropped). Output: "queue_id=ID", "status=N", "reason=TEXT", one per
 * line. Exit 0 on success, 1 when cleanup refused the message, 2 when it
 * could not be reached.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "cleanup_client.h"
#include "msg.h"
#include "vstr.h"

#define SUBMIT_LINE_MAX (1 << 24)

static void submit_wait_removed(const char *file)
{
    struct stat sb;
    int i;
    FILE *fp = fopen(file, "w");

    if (fp == NULL)
        msg_fatal("create %s: %m", file);
    fclose(fp);
    for (i = 0; i < 300 && stat(file, &sb) == 0; i++)
        usleep(100000);
}

int main(int argc, char **argv)
{
    const char *path = "public/cleanup";
    const char *pause_file = NULL;
    int flags = CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MAP_OK;
    ARGV *lines = argv_new();
    VSTR *why = vstr_new(0);
    VSTR *line = vstr_new(0);
    CLEANUP *c;
    int quit = 0;
    int status;
    int ch;
    size_t i;
    long now = (long) time(NULL);
    long usec = 0;
    char *end;
    const char *orig = NULL, *orcpt = NULL;
    int notify = 0;
    ARGV *extra = argv_new();

    msg_init("cleanup_submit", MSG_OUT_STDERR);
    /* First pass: the options that must precede the connection. */
    while ((ch = getopt(argc, argv, "s:x:T:F:a:u:f:N:D:O:r:X:P:q")) != -1) {
        if (ch == 's')
            path = optarg;
        else if (ch == 'x')
            flags = atoi(optarg);
        else if (ch == 'T') {
            now = strtol(optarg, &end, 10);
            usec = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
        }
        else if (ch == 'P')
            pause_file = optarg;
        else if (ch == 'q')
            quit = 1;
        else if (ch == '?')
            msg_fatal("usage: cleanup_submit [-s path] [-x flags] [-f sender] [-r rcpt]... < msg");
    }
    /* The message. */
    while ((ch = getchar()) != EOF) {
        if (ch == '\n') {
            if (vstr_len(line) > 0 && line->buf[vstr_len(line) - 1] == '\r')
                vstr_truncate(line, vstr_len(line) - 1);
            argv_addn(lines, vstr_str(line), vstr_len(line));
            vstr_reset(line);
        } else if (vstr_len(line) < SUBMIT_LINE_MAX) {
            vstr_addch(line, ch);
        }
    }
    if (vstr_len(line) > 0)
        argv_addn(lines, vstr_str(line), vstr_len(line));

    if ((c = cleanup_open(path, flags, 60, why)) == NULL) {
        printf("status=connect\nreason=%s\n", vstr_str(why));
        argv_free(lines);
        argv_free(extra);
        vstr_free(why);
        vstr_free(line);
        return 2;
    }
    printf("queue_id=%s\n", cleanup_queue_id(c));
    fflush(stdout);
    cleanup_time(c, now, usec);
    optind = 1;
    while ((ch = getopt(argc, argv, "s:x:T:F:a:u:f:N:D:O:r:X:P:q")) != -1) {
        switch (ch) {
        case 'F':
            cleanup_full_name(c, optarg);
            break;
        case 'a': {
            char *eq = strchr(optarg, '=');

            if (eq == NULL)
                msg_fatal("-a needs name=value");
            *eq = 0;
            cleanup_attr(c, optarg, strcmp(eq + 1, "{queue_id}") == 0 ? cleanup_queue_id(c)
                                                                        : eq + 1);
            *eq = '=';
            break;
        }
        case 'u':
            cleanup_submit_uid(c, atol(optarg));
            break;
        case 'f':
            cleanup_sender(c, optarg);
            break;
        case 'N':
            notify = atoi(optarg);
            break;
        case 'D':
            orcpt = optarg;
            break;
        case 'O':
            orig = optarg;
            break;
        case 'r':
            cleanup_rcpt(c, optarg, orig, orcpt, notify);
            orig = orcpt = NULL;
            notify = 0;
            break;
        case 'X':
            argv_add(extra, optarg);
            break;
        }
    }
    cleanup_content_begin(c);
    for (i = 0; i < lines->argc; i++) {
        if (pause_file != NULL && i == lines->argc / 2) {
            cleanup_flush(c);
            submit_wait_removed(pause_file);
        }
        cleanup_line(c, lines->argv[i], strlen(lines->argv[i]));
    }
    if (quit) {
        cleanup_flush(c);
        cleanup_close(c);
        printf("status=aborted\n");
        argv_free(lines);
        argv_free(extra);
        vstr_free(why);
        vstr_free(line);
        return 1;
    }
    cleanup_content_end(c);
    for (i = 0; i < extra->argc; i++)
        cleanup_rcpt(c, extra->argv[i], NULL, NULL, 0);
    status = cleanup_finish(c, why);
    printf("status=%d\nreason=%s\n", status, vstr_str(why));
    cleanup_close(c);
    argv_free(lines);
    argv_free(extra);
    vstr_free(why);
    vstr_free(line);
    return status == 0 ? 0 : 1;
}
