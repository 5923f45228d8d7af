/*
 * qfile - Postfix queue files: typed, length-prefixed records.
 *
 * FORMAT. A queue file is a sequence of records. Each record is one type
 * byte, the data length in a variable-length encoding (7 bits per byte,
 * least significant group first, the high bit set on every byte but the
 * last), then the data. Segments, in order:
 *   envelope   C (size, written first, fixed width, rewritten at the end),
 *              T (arrival "sec usec"), F, S, A (name=value), O/R/D recipients,
 *              DSN records, ... then M
 *   content    N (a line), L (an unterminated piece of a longer line; the
 *              next L/N record continues it), w (padding), then X
 *   extracted  recipients and attributes taken from the headers, then E
 * A pointer record p ("%15ld") redirects reading to another offset (edits
 * patched into a file before it is committed); a zero pointer is a reserved
 * slot that can later be rewritten in place. Records after E are a heap
 * reached only through pointers. maildrop files (postdrop format) have no C
 * record. A file is complete when its owner-execute bit is set.
 *
 * WRITER. qfile_writer_new(fd, path, flags) wraps a descriptor the caller
 * created (O_CREAT|O_EXCL, mode 0600). Records are built in memory and
 * written in large chunks (never one write(2) per record). With
 * QFILE_WRITE_SIZE a placeholder C record is written first; the writer
 * counts what it fills in (data offset: the offset after M; data size: from
 * there to X; recipients: R and D records) and qfile_writer_finish() rewrites the
 * C record in place: in the buffer when nothing was written yet (a small
 * message costs one write(2)), else with one pwrite(2). qfile_put_line()
 * cuts a content line into L records of exactly line_limit bytes while at
 * least that much is left, then one N record with the rest, which may be
 * empty (a 2048-byte line is L 2048 + N 0), as cleanup does with
 * line_length_limit = 2048.
 *
 * DURABILITY: the state table the caller keeps. After each step, what is
 * on disk and what a crash there means:
 *   1. create incoming/ID (O_EXCL, mode 0600)   empty or partial file, mode
 *      without u+x: never delivered; removed by the queue manager's clean-up
 *   2. qfile_put*() every record                  still partial, not exec
 *   3. qfile_writer_finish() (writes all, rewrites C, checks every write)
 *                                                 whole file, not exec
 *   4. qfile_mark_complete() = fchmod u+x, then fsync: the records and
 *      the mark are durable together (one fsync, as Postfix does). A crash
 *      before the fsync may leave u+x without the records, but such a file
 *      lacks its end record and every reader sends it to corrupt/.
 *   5. the caller fsyncs incoming/ when queue_directory_fsync: now the file
 *      is a queued message. ONLY NOW may smtpd answer 250 / sendmail exit 0.
 *      A crash before this step loses nothing that was acknowledged.
 *      (qfile_sync() = fsync(fd) is for a caller that needs the records
 *      durable before it marks the file, e.g. before a rename.)
 *   6. delivery: after a recipient is delivered or bounced, the agent calls
 *      qfile_mark_done(fd, offset) (R -> D, one byte rewritten in place). A
 *      crash between delivery and marking repeats that delivery, never
 *      loses it. When every recipient is done (and the bounce/defer logs are
 *      written), the queue manager removes the file.
 * Any failure in steps 1-5 makes the caller remove the file and answer a
 * temporary error (4xx / EX_TEMPFAIL).
 *
 * READER. qfile_reader_open(fd, path, flags) or qfile_reader_mem(buf, len,
 * name, flags); qfile_read(r, &rec) returns 1 with a record (type, offset,
 * data, len; data is NUL-terminated and valid until the next call), 0 at the
 * end (after E, or at EOF with QFILE_READ_RAW), -1 on a damaged file with
 * qfile_reader_error() ("offset N: reason") set. Reads are buffered (64 KiB
 * chunks). Flags: QFILE_READ_FOLLOW follows non-zero pointers and skips zero
 * pointers and padding (rec.start is then where the read began);
 * QFILE_READ_RAW reads in file order up to EOF with no segment checks;
 * without RAW the segment order is checked (envelope, M, content, X,
 * extracted, E; a record type that does not belong to its segment is an
 * error) and EOF before E (an empty file too) is an error. Bounds: a record
 * longer than the record limit (default QFILE_MAX_RECORD,
 * qfile_reader_set_limit()), a length encoding longer than 5 bytes, a
 * pointer outside the file, or reading more bytes than the file holds (a
 * pointer loop) are errors. qfile_reader_peek_type() shows the next type
 * byte without reading the record (postcat judges a file by its first byte). The caller moves a damaged file to
 * corrupt/; nothing here crashes or allocates without bound.
 *
 * Error policy: I/O errors of the writer are returned (-1, errno set) by
 * qfile_writer_finish(), qfile_sync(), qfile_mark_complete(),
 * qfile_mark_done(); API misuse (a record after finish) is a panic;
 * damaged input is a reader error, never a crash.
 */
#ifndef POSTERN_QFILE_H
#define POSTERN_QFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Record types (Postfix's values). */
#define QREC_SIZE        'C' /* message size etc., first record, fixed width */
#define QREC_TIME        'T' /* arrival time "sec usec" */
#define QREC_CTIME       'c' /* create time (obsolete; now an A record) */
#define QREC_FULL        'F' /* sender full name */
#define QREC_INSP        'I' /* content inspector */
#define QREC_FILT        'L' /* content filter (envelope; same byte as CONT) */
#define QREC_FROM        'S' /* sender */
#define QREC_DONE        'D' /* done recipient */
#define QREC_RCPT        'R' /* recipient */
#define QREC_ORCP        'O' /* original recipient */
#define QREC_DRCP        '/' /* canceled recipient */
#define QREC_WARN        'W' /* time of the next delay warning, "%15ld" */
#define QREC_ATTR        'A' /* named attribute name=value */
#define QREC_KILL        'K' /* killed record */
#define QREC_RDR         '>' /* redirect target */
#define QREC_FLGS        'f' /* cleanup flags */
#define QREC_DELAY       'd' /* cleanup delay */
#define QREC_MESG        'M' /* start of the message content */
#define QREC_CONT        'L' /* unterminated text (content) */
#define QREC_NORM        'N' /* a line of text */
#define QREC_DTXT        'w' /* padding */
#define QREC_XTRA        'X' /* start of the extracted segment */
#define QREC_RRTO        'r' /* return-receipt */
#define QREC_ERTO        'e' /* errors-to */
#define QREC_PRIO        'P' /* priority */
#define QREC_PTR         'p' /* pointer "%15ld" */
#define QREC_VERP        'V' /* VERP delimiters */
#define QREC_DSN_RET     '<' /* DSN RET flags */
#define QREC_DSN_ENVID   'i' /* DSN ENVID */
#define QREC_DSN_ORCPT   'o' /* DSN ORCPT */
#define QREC_DSN_NOTIFY  'n' /* DSN NOTIFY flags */
#define QREC_MILT_COUNT  'm' /* milter count */
#define QREC_END         'E' /* end of the message */

#define QFILE_SIZE_FIELDS 6          /* fields of the C record */
#define QFILE_SIZE_WIDTH  15         /* each "%15ld", separated by one space */
#define QFILE_SIZE_LEN    (QFILE_SIZE_FIELDS * (QFILE_SIZE_WIDTH + 1) - 1)
#define QFILE_PTR_LEN     15         /* pointer and warn records: "%15ld" */
#define QFILE_LEN_MAX_BYTES 5        /* length encodings longer are damage */
#define QFILE_MAX_RECORD  (1L << 20) /* default record length limit */
#define QFILE_LINE_LIMIT  2048       /* default line_length_limit */

/* The C record: Postfix's six fields. */
typedef struct QFILE_SIZE {
    long data_size;   /* bytes from data_offset to the X record */
    long data_offset; /* offset of the first content record */
    long rcpt_count;  /* number of recipients */
    long qmgr_opts;   /* queue manager hints */
    long cont_length; /* message content length (0 = data_size) */
    long smtputf8;    /* SMTPUTF8 flags */
} QFILE_SIZE;

/* Length encoding; encode returns the number of bytes (1..10). */
size_t qfile_len_encode(size_t len, unsigned char *out);
/* 1 = decoded (*len, *used), 0 = more bytes needed, -1 = too long. */
int qfile_len_decode(const unsigned char *buf, size_t avail, size_t *len, size_t *used);

const char *qfile_type_name(int type);   /* Postfix's label, postcat style */
int qfile_size_parse(const char *data, QFILE_SIZE *size);  /* 0 or -1 */
int qfile_attr_split(char *data, char **name, char **value, const char **why);

/* Writer. */
typedef struct QFILE_WRITER QFILE_WRITER;

#define QFILE_WRITE_SIZE 1 /* start with a C record, fill it in at finish */

QFILE_WRITER *qfile_writer_new(int fd, const char *path, int flags);
void qfile_writer_set_line_limit(QFILE_WRITER *w, size_t limit);
void qfile_writer_set_size(QFILE_WRITER *w, const QFILE_SIZE *size); /* overrides */
long qfile_writer_offset(const QFILE_WRITER *w);     /* offset of the next record */
long qfile_put(QFILE_WRITER *w, int type, const void *data, size_t len); /* returns its offset */
long qfile_puts(QFILE_WRITER *w, int type, const char *str);
long qfile_putf(QFILE_WRITER *w, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
long qfile_put_attr(QFILE_WRITER *w, const char *name, const char *value);
long qfile_put_time(QFILE_WRITER *w, long sec, long usec);      /* T record */
long qfile_put_ptr(QFILE_WRITER *w, long target);                 /* p record */
long qfile_put_padding(QFILE_WRITER *w, size_t len);              /* w record */
void qfile_put_line(QFILE_WRITER *w, const void *line, size_t len); /* L..L N */
int qfile_writer_flush(QFILE_WRITER *w);
int qfile_writer_finish(QFILE_WRITER *w);
void qfile_writer_free(QFILE_WRITER *w);  /* does not close the descriptor */

/* In-place updates of a written file (one pwrite each; fd open O_RDWR). */
int qfile_patch_ptr(int fd, long offset, long target);
int qfile_mark_done(int fd, long offset);  /* R -> D; -1 EINVAL if not an R record */
int qfile_sync(int fd);
int qfile_mark_complete(int fd);           /* u+x, then fsync */
int qfile_is_complete(int fd);             /* 1 when u+x is set, 0 not, -1 error */

/* Reader. */
typedef struct QFILE_READER QFILE_READER;

#define QFILE_READ_FOLLOW 1 /* follow pointers, skip zero pointers and padding */
#define QFILE_READ_RAW    2 /* file order to EOF, no segment checks */

typedef struct QFILE_REC {
    int type;
    long offset;      /* where this record is */
    long start;       /* where the read began (before skipped/followed records) */
    const char *data; /* NUL-terminated, may contain NUL bytes */
    size_t len;
} QFILE_REC;

QFILE_READER *qfile_reader_open(int fd, const char *path, int flags);
/* A file just opened (at offset 0) whose size the caller knows from fstat(2)
 * and that does not grow: no fstat/lseek here, and no read(2) past size. */
QFILE_READER *qfile_reader_open_sized(int fd, const char *path, int flags, long size);
QFILE_READER *qfile_reader_mem(const void *buf, size_t len, const char *name, int flags);
void qfile_reader_set_limit(QFILE_READER *r, size_t max_record);
int qfile_read(QFILE_READER *r, QFILE_REC *rec);
int qfile_reader_seek(QFILE_READER *r, long offset);  /* 0 or -1 (error set); same pass */
int qfile_reader_rewind(QFILE_READER *r, long offset); /* 0 or -1; a new pass: loop guard reset */
int qfile_reader_peek_type(QFILE_READER *r);          /* next type byte, -1 at EOF */
const char *qfile_reader_error(const QFILE_READER *r);
long qfile_reader_error_offset(const QFILE_READER *r);
const char *qfile_reader_name(const QFILE_READER *r);
void qfile_reader_free(QFILE_READER *r);  /* does not close the descriptor */

#endif
