/*
 * mbox - append one message to a UNIX mailbox file, as local(8) and
 * virtual(8) do: safely opened, locked, From_ line, ">From " quoting, a
 * blank line at the end, fsync, and on any failure the file is truncated
 * back to its size before the delivery.
 *
 * Usage (the caller already runs with the recipient's uid/gid):
 *   MAILBOX_STATUS st;
 *   MBOX *mb = mbox_open("/var/mail/alice", &opts, &st);
 *   if (mb == NULL) -> log st (status, dsn, text), defer or bounce
 *   for each content record: mbox_write_line(mb, data, len, type == 'N');
 *     (or all at once: mailbox_copy_qfile(reader, mbox_out(mb), why))
 *   if reading the queue file failed: mbox_abort(mb)      (nothing stays)
 *   else mbox_finish(mb, &st)  -> MAILBOX_OK, or st says why not
 *   mbox_close(mb)             releases the locks, closes, frees
 * The split lets local(8) open and lock a mailbox in a spool directory
 * the user cannot write with root's effective ids (opts.uid/gid then own a
 * new file), write and finish with the user's, and close with root's again
 * (removing the dotlock needs the directory's permission). With
 * opts.dotlock_may_fail a dotlock that cannot be created for any reason but
 * another holder (EACCES on /var/mail, say) is skipped, as Postfix does for
 * the spool directory. A handle closed unfinished is truncated back.
 *
 * OPEN. The file is opened O_WRONLY|O_APPEND|O_NOFOLLOW, or created with
 * O_CREAT|O_EXCL mode 0600 (then given to opts.uid/opts.gid when those are
 * not -1). Refused: a symbolic link, anything but a regular file, a file
 * with more than one link, a file that lstat() shows to be another file
 * than the one opened (it was replaced meanwhile).
 *
 * LOCKING (opts.lock_flags): dotlock (path.lock, see dotlock.h), then fcntl
 * and/or flock, each tried opts.lock_attempts times opts.lock_delay_ms
 * apart. The size to truncate back to is taken once the locks are held.
 *
 * WRITING. "From <sender>  Www Mmm dd hh:mm:ss yyyy" (local time of
 * opts.now; the null sender shows as MAILER-DAEMON), the headers of
 * mailbox_out_headers(), the content with every line that begins "From "
 * written as ">From ", an unfinished last line ended, one empty line.
 * Written in 64 KiB chunks; opts.size_limit caps the file size (5.2.2).
 *
 * ERRORS are reported, never fatal; texts look like Postfix's:
 *   "cannot update mailbox /var/mail/x for user x. error writing message:
 *    File too large"
 * (without " for user x" when opts.user is NULL). See mailbox.h for codes.
 */
#ifndef POSTERN_MBOX_H
#define POSTERN_MBOX_H

#include <stddef.h>

#include "mailbox.h"

typedef struct MBOX MBOX;

MBOX *mbox_open(const char *path, const MAILBOX_OPTS *opts, MAILBOX_STATUS *st);
/* The line writer, for mailbox_copy_qfile(). */
MAILBOX_OUT *mbox_out(MBOX *mb);
void mbox_write_line(MBOX *mb, const void *data, size_t len, int complete);
int mbox_finish(MBOX *mb, MAILBOX_STATUS *st);   /* returns st->status */
void mbox_abort(MBOX *mb);                       /* truncate back */
void mbox_close(MBOX *mb);                       /* unlock, close, free */

/* The From_ line for sender at time t, with its newline (for tests too). */
void mbox_from_line(VSTR *out, const char *sender, time_t t);

#endif
