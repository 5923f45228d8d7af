/*
 * queue_scan - walk the mail queues and summarise queued messages, for
 * showq (the listing behind mailq), postqueue and postsuper.
 *
 * WALKING. queue_scan(queue, fn, ctx) reads the directory QUEUE (relative
 * to the current directory, which is queue_directory: showq is chrooted
 * there, the commands chdir there) in readdir order, as Postfix's scanner
 * does, and descends into every one-character subdirectory when it meets
 * it (hashed queues: deferred/8/ID, any depth up to QUEUE_ID_MAX_DEPTH).
 * For each entry whose name is a valid queue id (queue_id_valid) it calls
 * fn(ctx, queue, id, path) with path "QUEUE/H/ID"; other names (temporary
 * files, dot files) are skipped. fn returns 0 to go on, non-zero to stop
 * (queue_scan then returns that value). A missing queue directory is an
 * empty queue (0); another opendir/readdir failure is -1 with errno set.
 * Subdirectories are read with a bounded depth, so a loop of links cannot
 * recurse without end (symbolic links are not followed: lstat).
 *
 * SUMMARY. queue_scan_message(&msg, queue, id, path, defer_path) reads a
 * queue file and its defer log (defer/H/ID; NULL or missing: no reasons)
 * into a QUEUE_MSG: arrival time (T record, else the file's mtime), size
 * (the C record's data size; a maildrop file without one: its file size),
 * forced_expire (the group-execute bit, as postsuper -e sets it), sender
 * (the null sender as "MAILER-DAEMON"), and the undelivered recipients (R
 * records, in file order) each with its delay reason from the defer log
 * (the first reason logged for that address; "" when none). Returns 0, or
 * -1 when the file is gone, not complete (no owner-execute bit), or
 * damaged (a warning is logged for damage; the file is left alone).
 * Content records are skipped by seeking past them when the C record says
 * where they end. queue_scan_msg_free() releases what the summary holds.
 * queue_scan_encode(out, &msg) appends the message in the attribute
 * stream showq sends (attr.h: queue_name, queue_id, time, size,
 * forced_expire, sender, then recipient/reason pairs, then the end).
 *
 * LISTING. queue_scan_list(hashed, depth, emit, ctx) walks maildrop,
 * active, incoming, deferred and hold in that order (Postfix's showq
 * order) and calls emit(ctx, bytes, len) with each message encoded as
 * above; the defer log is looked up in defer/ hashed per hashed
 * (hash_queue_names) and depth (hash_queue_depth). It does not send the
 * protocol announcement nor the final empty message. Returns the number of
 * messages emitted; emit returning non-zero stops the walk.
 *
 * Error policy: damaged input is a warning and a skipped message, never a
 * crash; every record is bounded by QUEUE_SCAN_MAX_RECORD and a defer log
 * line by QUEUE_SCAN_MAX_LINE; memory exhaustion is fatal (mem.h).
 */
#ifndef POSTERN_QUEUE_SCAN_H
#define POSTERN_QUEUE_SCAN_H

#include "argv.h"
#include "queue_id.h"
#include "vstr.h"

#define QUEUE_SCAN_MAX_RECORD (1L << 20)
#define QUEUE_SCAN_MAX_LINE   8192

typedef int (*QUEUE_SCAN_FN)(void *ctx, const char *queue, const char *id, const char *path);

typedef struct QUEUE_MSG {
    char queue[16];
    char id[QUEUE_ID_BUFSIZE];
    long arrival;
    long size;
    int forced_expire;
    char *sender;
    ARGV *rcpts;   /* address, reason, address, reason, ... */
} QUEUE_MSG;

int queue_scan(const char *queue, QUEUE_SCAN_FN fn, void *ctx);
int queue_scan_message(QUEUE_MSG *msg, const char *queue, const char *id,
                       const char *path, const char *defer_path);
void queue_scan_msg_free(QUEUE_MSG *msg);
void queue_scan_encode(VSTR *out, const QUEUE_MSG *msg);

typedef int (*QUEUE_SCAN_EMIT)(void *ctx, const char *data, size_t len);
long queue_scan_list(const char *hashed, int depth, QUEUE_SCAN_EMIT emit, void *ctx);

#endif
