/*
 * dotlock - the "name.lock" file that mail programs agree on for mailbox
 * files (the dotlock method of mailbox_delivery_lock).
 *
 * dotlock_acquire(path, attempts, delay_ms, stale_time, why) creates
 * path + ".lock" with O_CREAT|O_EXCL (mode 0600, empty). While the lock
 * exists it tries again, for (attempts - 1) * delay_ms milliseconds in all
 * (deliver_lock_attempts, deliver_lock_delay; DOTLOCK_WAIT below); a lock
 * file whose
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

/*
 * The pace of a lock loop (this dotlock and mbox's kernel locks):
 *   DOTLOCK_WAIT w; dotlock_wait_init(&w, attempts, delay_ms);
 *   while (try_lock() fails with "held") if (!dotlock_wait_next(&w)) give up;
 * Postfix's reading of the parameters is "attempts tries, delay_ms apart";
 * the time given to a held lock is kept, (attempts - 1) * delay_ms, but the
 * retries within it come sooner: 5 ms after the first failure, doubling up
 * to delay_ms. A lock held for a moment (the other local process writing
 * to the same mailbox) then costs milliseconds instead of a whole second.
 * With delay_ms <= 0 it is attempts tries without sleeping, as before.
 * dotlock_wait_next() sleeps and returns 1, or returns 0 once the time is
 * spent (the caller tries once more before that: see the loops).
 */
typedef struct DOTLOCK_WAIT {
    long long left_ms;  /* sleeping time left */
    long step_ms;       /* the next sleep */
    long cap_ms;        /* delay_ms */
    int tries_left;     /* delay_ms <= 0: tries without sleeping */
} DOTLOCK_WAIT;

void dotlock_wait_init(DOTLOCK_WAIT *w, int attempts, long delay_ms);
int dotlock_wait_next(DOTLOCK_WAIT *w);

#endif
