/*
 * queue_id - Postfix queue ids: making them, checking them, placing them.
 *
 * A queue id is also the queue file's name, so every id read from outside
 * (a command line, a socket, a directory) goes through queue_id_valid()
 * before it becomes part of a path.
 *
 * Short ids (the default): the microseconds of the creation time as exactly
 * five upper-case hex digits, then the file's inode number in upper-case hex
 * ("A2E0D10605F" = usec 0xA2E0D, inode 0x10605F).
 * Long ids (enable_long_queue_ids = yes): the seconds in base 52 (at least 6
 * characters), the microseconds in base 52 (exactly 4), the separator 'z',
 * then the inode number in base 51 ("4jWrkh4kddz84ZY"). The alphabet is the
 * digits, then the upper-case and lower-case consonants
 * (0-9 BCDFGHJKLMNPQRSTVWXYZ bcdfghjklmnpqrstvwxyz); base 51 leaves out the
 * final 'z', so the last 'z' of a long id is the separator.
 *
 * queue_id_short()/queue_id_long() write the id into buf (at least
 * QUEUE_ID_BUFSIZE bytes). queue_id_valid() returns QUEUE_ID_SHORT,
 * QUEUE_ID_LONG or 0: nothing but those shapes passes (no '/', '.', empty,
 * over QUEUE_ID_MAXLEN, or other characters). queue_id_hash() gives the
 * hashed subdirectory characters used by deferred/ and defer/ (Postfix's
 * hash_queue_names) with hash_queue_depth levels (1..5): the first
 * characters of the five-digit hex microseconds, which for a short id are
 * its first characters and for a long id are decoded from its 4 usec
 * characters; "deferred" + "9" + id gives deferred/9/ID.
 * queue_id_path() builds "QUEUE/ID" or "QUEUE/H/ID" (hashed queues).
 *
 * queue_id_inode() recovers the inode number an id was made from (postsuper
 * compares it with the file's to find names that no longer match): 0, or
 * -1 for an invalid id or one whose number does not fit.
 *
 * queue_id_enter(dir, long_form, id, path) creates a new queue file the
 * way Postfix does: a temporary name in dir (mode 0600, O_EXCL), then the
 * file is renamed to the id made from the time and its inode number, never
 * replacing an existing file (renameat2 RENAME_NOREPLACE; a clash takes a
 * new time and tries again). It returns the descriptor (O_RDWR) and fills
 * id (QUEUE_ID_BUFSIZE) and path ("dir/ID"), or -1 with errno set (the
 * temporary file is removed).
 *
 * Error policy: building an id never fails; an invalid id passed to
 * queue_id_hash() or queue_id_path() is a programming error (panic): check
 * first with queue_id_valid().
 */
#ifndef POSTERN_QUEUE_ID_H
#define POSTERN_QUEUE_ID_H

#include "vstr.h"

#define QUEUE_ID_SHORT 1
#define QUEUE_ID_LONG  2
#define QUEUE_ID_MAXLEN 32
#define QUEUE_ID_BUFSIZE (QUEUE_ID_MAXLEN + 1)
#define QUEUE_ID_MAX_DEPTH 5

void queue_id_short(char *buf, long usec, unsigned long inode);
void queue_id_long(char *buf, long sec, long usec, unsigned long inode);
int queue_id_valid(const char *id);
int queue_id_hash(const char *id, int depth, char *out); /* out: depth+1 bytes */
int queue_id_is_hashed(const char *queue_name, const char *hash_queue_names);
const char *queue_id_path(VSTR *out, const char *queue_name, const char *id, int depth);
int queue_id_inode(const char *id, unsigned long *inode);
int queue_id_enter(const char *dir, int long_form, char *id, VSTR *path);

#endif
