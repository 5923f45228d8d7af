/*
 * attr - the request/reply protocol that Postern processes speak over their
 * UNIX sockets (private/ and public/ under queue_directory).
 *
 * THE PROTOCOL (Postfix's "attr0" encoding, byte for byte)
 *
 *   A message is a sequence of attributes followed by a terminator:
 *
 *     name NUL value NUL  name NUL value NUL  ...  NUL
 *
 *   The terminator is an empty name: a single NUL where a name would start.
 *   Names are 1..ATTR_NAME_MAX printable ASCII characters without space
 *   (0x21-0x7e), by convention lower case with '_' (queue_id, recipient).
 *   Values are any bytes except NUL, possibly empty. Types are a matter of
 *   agreement between the two sides, not of the encoding:
 *     string   the bytes themselves
 *     int/long decimal text, "-" for a negative number, no "+", no leading
 *              zeros, no space: "0", "445", "1795263434"
 *     data     arbitrary bytes (NUL included) in base64 with "=" padding
 *     hash     a set of further name/value string pairs in the same message
 *   Within one message a name appears once, except in message "groups"
 *   (below). Nothing else is in the stream: no length prefix, no version.
 *
 *   A server that speaks first announces its protocol with a message of one
 *   attribute, "protocol" = the protocol's name. Postfix's showq (public/showq)
 *   sends, to a client that has sent nothing:
 *
 *     protocol=mail_queue_list_protocol <end>
 *     then per queued message:
 *       queue_name=deferred queue_id=8C4FE106096 time=1795263434 size=411
 *       forced_expire=0 sender=alice@example.com
 *       recipient=someone@soft.test reason=host ... said: 450 ...
 *       recipient=... reason=...     (one recipient/reason pair per recipient)
 *       <end>
 *     then an empty message (a lone NUL) ends the list, and showq closes the
 *     connection. An empty queue is the announcement and the empty message:
 *     "protocol\0mail_queue_list_protocol\0\0\0", 36 bytes.
 *   time and size are longs, forced_expire an int (0/1); reason is empty for
 *   a recipient that has none. A message with a repeated group like this one
 *   is read with ATTR_MORE (below).
 *
 * SENDING
 *
 *   attr_print(stream, flags, ATTR_OUT_STR("queue_id", id),
 *              ATTR_OUT_LONG("size", size), ATTR_OUT_INT("forced_expire", 0));
 *   Items: ATTR_OUT_STR(name, const char *), ATTR_OUT_INT(name, int),
 *   ATTR_OUT_LONG(name, long), ATTR_OUT_DATA(name, const void *, size_t),
 *   ATTR_OUT_HASH(const HTABLE *) (its string values, keys in sorted order).
 *   The list is type-checked by the compiler and ends by itself.
 *   Flags: ATTR_MORE sends no terminator (more attributes of this message
 *   follow, from further attr_print() calls; attr_print_end() ends it);
 *   ATTR_NOFLUSH leaves a complete message in the stream's buffer (several
 *   messages then go out in one write(2); attr_flush() sends them under a
 *   deadline of its own). Otherwise a complete message is flushed: one
 *   write(2) per message. Writing runs under the stream's deadline
 *   (stream.h), armed when a message starts, disarmed when it is complete.
 *   Results: 0, or -1 when writing failed or timed out (stream_why()).
 *   attr_encode() produces the same bytes in a VSTR, for tests and tools.
 *
 * RECEIVING
 *
 *   r = attr_scan(stream, flags, ATTR_IN_STR("queue_id", vstr, 20),
 *                 ATTR_IN_LONG("size", &size),
 *                 attr_optional(ATTR_IN_INT("forced_expire", &fe)));
 *   Items: ATTR_IN_STR(name, VSTR *, max bytes), ATTR_IN_DATA(name, VSTR *,
 *   max decoded bytes), ATTR_IN_INT(name, int *), ATTR_IN_LONG(name, long *),
 *   ATTR_IN_STREQ(name, "expected value") (the value must be exactly that:
 *   protocol announcements), ATTR_IN_HASH(HTABLE *, max bytes per value)
 *   (attributes not in the list are stored there, values mem_strdup()ed;
 *   free with htable_free(t, mem_free)). attr_optional(item) makes an item
 *   optional; every other listed item is required.
 *   Limits come from the stream: stream_set_limits(s, timeout_ms, max bytes
 *   per message) before the first scan (a new stream allows 1 MB and one
 *   hour; a server facing an unprivileged client wants far less).
 *   Receipt is strict. These are errors: a missing required attribute, an
 *   attribute not in the list (unless ATTR_EXTRA, which skips it, or a hash
 *   item, which keeps it), a duplicate, a malformed or overlong name, a value
 *   longer than its max, a malformed number or one out of range, bad base64,
 *   a STREQ mismatch, a message longer than the stream's request limit, EOF
 *   in the middle of a message, and the stream's deadline passing before the
 *   whole message is in (one deadline per message, not per read).
 *   Attributes skipped with ATTR_EXTRA are not checked for duplicates.
 *   Flags: ATTR_EXTRA as above; ATTR_MORE reads a group: it returns as soon
 *   as every listed item has arrived, in any order, without reading the
 *   terminator, so the caller can read a repeated group with the next call;
 *   such a call returns ATTR_ENDED when the terminator comes first (the
 *   message is over). With ATTR_MORE all items are required and there is no
 *   hash item; duplicates are checked within a group. attr_scan_any() reads one whole message without a schema
 *   into an ARGV of name, value, name, value... (duplicates kept, in order);
 *   attr_encode_pairs() turns that back into the same bytes.
 *   Results: ATTR_OK (a message, or a group, was read and checked);
 *   ATTR_ENDED (ATTR_MORE only, see above); ATTR_EOF (the peer closed the
 *   connection cleanly before the first byte of a message: a normal end for
 *   a server waiting for the next request); ATTR_ERR (stream_why() says what
 *   was wrong, in words fit for a log line: untrusted names are made
 *   printable; the targets then hold partial data).
 *   Reading is buffered (stream.h): a message that has arrived costs one
 *   read(2), whatever its number of attributes.
 *   The deadline starts when attr_scan() starts to wait for a message, so a
 *   server that lets a client stay idle between requests for longer than
 *   one request may take waits for readability first (its event loop, or
 *   poll(2) with max_idle; stream_buffered() > 0 means a request is already
 *   in) and only then calls attr_scan().
 *
 * ERROR POLICY
 *   Bad input from the peer is never fatal: it is reported with ATTR_ERR and
 *   a reason, memory use stays within the limits above, and the stream is
 *   then unusable (its error is sticky; close it). API misuse panics: an
 *   invalid name in a list being sent (including a hash key: callers check
 *   names that came from outside), a NULL string, optional or hash items
 *   with ATTR_MORE, more than ATTR_LIST_MAX items, unknown flags.
 *   Memory exhaustion is fatal (mem.h).
 */
#ifndef POSTERN_ATTR_H
#define POSTERN_ATTR_H

#include <stddef.h>

#include "argv.h"
#include "htable.h"
#include "stream.h"
#include "vstr.h"

#define ATTR_NAME_MAX 100       /* bytes in a name */
#define ATTR_PROTOCOL "protocol"  /* the name in a protocol announcement */
#define ATTR_LIST_MAX 64        /* items in one attr_scan() list */

/* Item types. */
#define ATTR_TYPE_END 0
#define ATTR_TYPE_STR 1
#define ATTR_TYPE_INT 2
#define ATTR_TYPE_LONG 3
#define ATTR_TYPE_DATA 4
#define ATTR_TYPE_HASH 5
#define ATTR_TYPE_STREQ 6       /* receiving only */

/* Flags. */
#define ATTR_MORE 1             /* print: no terminator; scan: read a group */
#define ATTR_NOFLUSH 2          /* print: leave the message in the buffer */
#define ATTR_EXTRA 4            /* scan: skip attributes not in the list */

/* Item flags. */
#define ATTR_ITEM_OPTIONAL 1

/* attr_scan() results. */
#define ATTR_OK 1
#define ATTR_ENDED 0
#define ATTR_EOF (-1)
#define ATTR_ERR (-2)

typedef struct ATTR_OUT {
    int type;
    const char *name;
    union {
        const char *str;
        int num;
        long lnum;
        struct {
            const void *ptr;
            size_t len;
        } data;
        const HTABLE *hash;
    } u;
} ATTR_OUT;

#define ATTR_OUT_STR(n, v) ((ATTR_OUT){ .type = ATTR_TYPE_STR, .name = (n), .u.str = (v) })
#define ATTR_OUT_INT(n, v) ((ATTR_OUT){ .type = ATTR_TYPE_INT, .name = (n), .u.num = (v) })
#define ATTR_OUT_LONG(n, v) ((ATTR_OUT){ .type = ATTR_TYPE_LONG, .name = (n), .u.lnum = (v) })
#define ATTR_OUT_DATA(n, p, l) \
    ((ATTR_OUT){ .type = ATTR_TYPE_DATA, .name = (n), .u.data = { (p), (l) } })
#define ATTR_OUT_HASH(t) ((ATTR_OUT){ .type = ATTR_TYPE_HASH, .name = "", .u.hash = (t) })
#define ATTR_OUT_END ((ATTR_OUT){ .type = ATTR_TYPE_END, .name = NULL, .u.str = NULL })

typedef struct ATTR_IN {
    int type;
    int flags;                  /* ATTR_ITEM_* */
    const char *name;
    size_t max;                 /* value bytes (STR, DATA, HASH) */
    union {
        VSTR *str;
        int *num;
        long *lnum;
        HTABLE *hash;
        const char *streq;
    } u;
} ATTR_IN;

#define ATTR_IN_STR(n, v, m) \
    ((ATTR_IN){ .type = ATTR_TYPE_STR, .flags = 0, .name = (n), .max = (m), .u.str = (v) })
#define ATTR_IN_DATA(n, v, m) \
    ((ATTR_IN){ .type = ATTR_TYPE_DATA, .flags = 0, .name = (n), .max = (m), .u.str = (v) })
#define ATTR_IN_INT(n, p) \
    ((ATTR_IN){ .type = ATTR_TYPE_INT, .flags = 0, .name = (n), .max = 0, .u.num = (p) })
#define ATTR_IN_LONG(n, p) \
    ((ATTR_IN){ .type = ATTR_TYPE_LONG, .flags = 0, .name = (n), .max = 0, .u.lnum = (p) })
#define ATTR_IN_STREQ(n, s) \
    ((ATTR_IN){ .type = ATTR_TYPE_STREQ, .flags = 0, .name = (n), .max = 0, .u.streq = (s) })
#define ATTR_IN_HASH(t, m) \
    ((ATTR_IN){ .type = ATTR_TYPE_HASH, .flags = 0, .name = "", .max = (m), .u.hash = (t) })
#define ATTR_IN_END \
    ((ATTR_IN){ .type = ATTR_TYPE_END, .flags = 0, .name = NULL, .max = 0, .u.str = NULL })

static inline ATTR_IN attr_optional(ATTR_IN item)
{
    item.flags |= ATTR_ITEM_OPTIONAL;
    return item;
}

int attr_print_list(STREAM *s, int flags, const ATTR_OUT *list);
int attr_print_end(STREAM *s, int flags);
int attr_flush(STREAM *s);
void attr_encode_list(VSTR *out, int flags, const ATTR_OUT *list);
void attr_encode_pairs(VSTR *out, int flags, const ARGV *pairs);
int attr_scan_list(STREAM *s, int flags, const ATTR_IN *list);
int attr_scan_any(STREAM *s, ARGV *pairs, size_t value_max);

#define attr_print(s, flags, ...) \
    attr_print_list((s), (flags), (const ATTR_OUT[]){ __VA_ARGS__, ATTR_OUT_END })
#define attr_encode(v, flags, ...) \
    attr_encode_list((v), (flags), (const ATTR_OUT[]){ __VA_ARGS__, ATTR_OUT_END })
#define attr_scan(s, flags, ...) \
    attr_scan_list((s), (flags), (const ATTR_IN[]){ __VA_ARGS__, ATTR_IN_END })

/* Base64 as used for data values (exposed for tests). */
void attr_base64_encode(VSTR *out, const void *data, size_t len);
int attr_base64_decode(VSTR *buf);      /* in place; 0, or -1 when malformed */

#endif
