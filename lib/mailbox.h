/*
 * mailbox - what the mbox and Maildir writers share: the options a delivery
 * agent sets, the status they report, and the buffered line writer that
 * turns queue-file content records into mailbox bytes.
 *
 * The writers (mbox.h, maildir.h) are called by a delivery agent that has
 * already taken the recipient's uid/gid. The message is never held in
 * memory: the agent opens a writer, passes the content one piece at a time
 * (a queue file N record is a whole line, complete = 1; an L record is a
 * piece that the next record continues, complete = 0), then finishes or
 * aborts it.
 *
 *   MAILBOX_OPTS o;
 *   mailbox_opts_init(&o);            Postfix's defaults
 *   o.user = "alice"; o.sender = "bob@example.com";
 *   o.return_path = "bob@example.com"; o.delivered_to = "alice@example.com";
 *   mailbox_lock_parse("fcntl, dotlock", &o.lock_flags, why);
 *
 * Headers prepended, in this order, each only when its option is not NULL:
 *   Return-Path: <return_path>      ("" gives "Return-Path: <>")
 *   X-Original-To: original_to
 *   Delivered-To: delivered_to
 * The caller quotes the addresses as it wants them shown (the From_ line
 * shows opts.sender as given, MAILER-DAEMON for ""). The writers keep a
 * copy of MAILBOX_OPTS but not of its strings: they must stay valid until
 * the writer is closed.
 *
 * STATUS. Every failure is reported in a MAILBOX_STATUS: status
 * MAILBOX_DEFER (a 4.x.x code: try again later) or MAILBOX_BOUNCE (5.x.x),
 * dsn the enhanced status code, text the reason the agent logs inside
 * "status=deferred (...)". Codes: a lock that could not be had 4.2.0;
 * ENOSPC 4.3.0; a size limit exceeded, EFBIG or EDQUOT 5.2.2 (mailbox
 * full); other errors opts.def_dsn (default 4.2.0, so an unexpected error
 * never loses mail). mailbox_status_set() classifies an errno that way.
 *
 * Error policy: nothing here is fatal; API misuse panics.
 */
#ifndef POSTERN_MAILBOX_H
#define POSTERN_MAILBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "vstr.h"

enum { MAILBOX_OK = 0, MAILBOX_DEFER = 1, MAILBOX_BOUNCE = 2 };

#define MAILBOX_TEXT_MAX 1024

typedef struct MAILBOX_STATUS {
    int status;                   /* MAILBOX_OK, _DEFER, _BOUNCE */
    char dsn[16];                 /* "2.0.0", "4.2.0", "5.2.2", ... */
    char text[MAILBOX_TEXT_MAX];  /* the reason, for the log and the DSN */
} MAILBOX_STATUS;

/* Lock methods (mailbox_delivery_lock, virtual_mailbox_lock). */
#define MAILBOX_LOCK_FCNTL   1
#define MAILBOX_LOCK_FLOCK   2
#define MAILBOX_LOCK_DOTLOCK 4

typedef struct MAILBOX_OPTS {
    const char *user;          /* shown in texts ("for user %s"); may be NULL */
    const char *sender;        /* envelope sender for the From_ line; "" = null */
    const char *return_path;   /* Return-Path: header, NULL = none */
    const char *original_to;   /* X-Original-To: header, NULL = none */
    const char *delivered_to;  /* Delivered-To: header, NULL = none */
    off_t size_limit;          /* mailbox_size_limit; 0 = no limit */
    int lock_flags;            /* MAILBOX_LOCK_* (mbox only) */
    int dotlock_may_fail;      /* go on without a dotlock we may not create */
    int lock_attempts;         /* deliver_lock_attempts, at least 1 */
    long lock_delay_ms;        /* deliver_lock_delay, in milliseconds */
    long stale_lock_time;      /* stale_lock_time, seconds */
    time_t now;                /* time for the From_ line and names; 0 = now */
    uid_t uid;                 /* owner of a created mbox file; -1 = leave */
    gid_t gid;                 /* group of a created mbox file; -1 = leave */
    const char *hostname;      /* Maildir file names; NULL = gethostname() */
    const char *def_dsn;       /* code for unclassified errors, "4.2.0" */
} MAILBOX_OPTS;

void mailbox_opts_init(MAILBOX_OPTS *opts);

/*
 * From main.cf (after conf_init()): deliver_lock_attempts,
 * deliver_lock_delay, stale_lock_time, the lock methods from lock_param
 * ("mailbox_delivery_lock" or "virtual_mailbox_lock") and the size limit
 * from limit_param ("mailbox_size_limit" or "virtual_mailbox_limit").
 * Either name may be NULL (left alone). A bad value is fatal, naming the
 * parameter, as for any configuration error.
 */
void mailbox_opts_conf(MAILBOX_OPTS *opts, const char *lock_param, const char *limit_param);

/* "fcntl, dotlock" -> flags; 0, or -1 with why (may be NULL) naming the
 * unknown word. An empty list is allowed (no locking). */
int mailbox_lock_parse(const char *value, int *flags, VSTR *why);

/* Set a status. _set classifies err (see STATUS); _fmt sets all fields. */
void mailbox_status_ok(MAILBOX_STATUS *st, const char *text);
void mailbox_status_set(MAILBOX_STATUS *st, int err, const char *def_dsn,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void mailbox_status_fmt(MAILBOX_STATUS *st, int status, const char *dsn,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Put "prefix" in front of the text (bounded). */
void mailbox_status_prepend(MAILBOX_STATUS *st, const char *prefix);

/*
 * The line writer. Bytes are gathered in a buffer and written in large
 * chunks. With quote set, a line that begins "From " gets a '>' in front
 * (the decision waits until five bytes of the line are known, so L pieces
 * do not matter). limit, when not 0, is the largest file size allowed:
 * base is the file's size before the first write, and a write that would
 * pass the limit fails with EFBIG instead. After the first error nothing
 * more is written and mailbox_out_error() returns the errno.
 */
typedef struct MAILBOX_OUT {
    int fd;
    VSTR *buf;
    off_t base;       /* file size before this delivery */
    off_t done;       /* bytes written to fd so far */
    off_t limit;      /* 0 = none */
    int quote;        /* ">From " quoting */
    int at_bol;       /* the next byte starts a line */
    char pend[5];     /* start of the current line, undecided */
    size_t npend;
    int err;          /* first errno, 0 = fine */
} MAILBOX_OUT;

void mailbox_out_init(MAILBOX_OUT *out, int fd, off_t base, off_t limit, int quote);
void mailbox_out_raw(MAILBOX_OUT *out, const void *data, size_t len);
void mailbox_out_line(MAILBOX_OUT *out, const void *data, size_t len, int complete);
void mailbox_out_headers(MAILBOX_OUT *out, const MAILBOX_OPTS *opts);
void mailbox_out_endline(MAILBOX_OUT *out);  /* end an unfinished line */
int mailbox_out_flush(MAILBOX_OUT *out);     /* 0, or -1 with the errno */
int mailbox_out_error(const MAILBOX_OUT *out);
void mailbox_out_free(MAILBOX_OUT *out);     /* frees the buffer only */

/*
 * Copy a queue file's message content to out: N records are lines, L
 * records pieces of a longer line. The reader (opened with
 * QFILE_READ_RAW | QFILE_READ_FOLLOW, so pointers are followed and padding
 * skipped) must be positioned at the M record or at the first content
 * record (the C record's data_offset, qfile_reader_seek()); copying stops
 * at the X record. Returns 0, or -1 with why set (a damaged queue file: the
 * reader's error, an unexpected record type, or EOF before X); the caller
 * then aborts the delivery and defers (4.3.0). Write errors are not
 * reported here but by the writer's finish.
 */
struct QFILE_READER;
int mailbox_copy_qfile(struct QFILE_READER *r, MAILBOX_OUT *out, VSTR *why);

#endif
