/*
 * maildir - deliver one message into a Maildir (home_mailbox = Maildir/,
 * a virtual_mailbox_maps value that ends in "/").
 *
 * Usage (the caller already runs with the recipient's uid/gid):
 *   MAILDIR *md = maildir_open("/home/alice/Maildir/", &opts, &st);
 *   if (md == NULL) -> log st
 *   for each content record: maildir_write_line(md, data, len, type == 'N');
 *     (or all at once: mailbox_copy_qfile(reader, maildir_out(md), why))
 *   reading failed: maildir_abort(md)  else  maildir_finish(md, &st)
 *   maildir_close(md)     frees (an unfinished handle is aborted first)
 * (the same shape as mbox.h)
 *
 * STEPS. The directory and its tmp/, new/, cur/ are created when missing
 * (mode 0700, parents too), tried only when the file cannot be made in
 * tmp/ or linked into new/ for want of a directory (ENOENT, ENOTDIR): an
 * existing Maildir costs no mkdir calls. The message goes to tmp/ under a name created
 * with O_EXCL, "SEC.MUSECpPIDqN.HOST" (N counts up on a collision); then
 * the headers of mailbox_out_headers() (no From_ line, no quoting), the
 * content, an unfinished last line ended; fsync; the file is linked into
 * new/ as "SEC.VDEVIINOMUSEC.HOST" (DEV and INO in hex: the device and
 * inode of the tmp file, unique while it exists, so two deliveries never
 * share a name; link(2) never replaces a file), tmp/ name removed. new/
 * itself is not fsynced (as Postfix: the file's data is, before the link).
 * HOST is the host name with "/" written "\057" and ":" "\072".
 * On any failure the tmp/ file (and a new/ link made) is removed: nothing
 * appears in new/. opts.size_limit caps the size of the message file
 * (5.2.2). On success maildir_finish() can report the name made.
 *
 * ERRORS are reported in MAILBOX_STATUS (see mailbox.h), with texts like
 * "maildir delivery failed: create maildir file /x/tmp/NAME: Permission
 * denied" or "maildir delivery failed: error writing message: File too
 * large". Nothing is fatal.
 */
#ifndef POSTERN_MAILDIR_H
#define POSTERN_MAILDIR_H

#include <stddef.h>

#include "mailbox.h"

typedef struct MAILDIR MAILDIR;

MAILDIR *maildir_open(const char *dir, const MAILBOX_OPTS *opts, MAILBOX_STATUS *st);
/* The line writer, for mailbox_copy_qfile(). */
MAILBOX_OUT *maildir_out(MAILDIR *md);
void maildir_write_line(MAILDIR *md, const void *data, size_t len, int complete);
/* Returns st->status. name, when not NULL, gets the new/ path. */
int maildir_finish(MAILDIR *md, MAILBOX_STATUS *st, VSTR *name);
void maildir_abort(MAILDIR *md);    /* remove the tmp/ file */
void maildir_close(MAILDIR *md);    /* free */

#endif
