/*
 * dotlock - the "name.lock" file that mail programs agree on for mailbox
 * files (the dotlock method of mailbox_delivery_lock).
 *
 * dotlock_acquire(path, attempts, delay_ms, stale_time, why) creates
 * path + ".lock" with O_CREAT|O_EXCL (mode 0600, empty). While the lock
 * exists it tries again after delay_ms milliseconds, at most attempts times
 * in all (deliver_lock_attempts, deliver_lock_delay); a lock file whose
 * modification time is more than stale_time seconds in the past
 * (stale_lock_time) is removed first, with a warning. dotlock_release(path)
 * removes the lock file again.
 *
 * Error policy: returns 0, or -1 with errno set and a reason in why (may be
 * NULL): EAGAIN when the lock was still held after the last attempt
 * ("unable to create lock file X.lock: File exists"), else the errno of
 * the failed call. Nothing is fatal.
 */
#ifndef POSTERN_DOTLOCK_H
#define POSTERN_DOTLOCK_H

#include "vstr.h"

int dotlock_acquire(const char *path, int attempts, long delay_ms, long stale_time, VSTR *why);
int dotlock_release(const char *path);

/* Sleep for ms milliseconds (EINTR resumes); shared with the lock loops. */
void dotlock_sleep_ms(long ms);

#endif
