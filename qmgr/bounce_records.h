/*
 * bounce_records - read a per-message delivery status log (bounce/ID,
 * defer/H/ID, trace/ID) into memory, for the bounce daemon.
 *
 * FORMAT (lib/deliver.h, STATUS LOGS; Postfix 3.7 writes the same): records
 * separated by empty lines; each record is
 *     <rcpt>: reason                     (for people; informative only)
 *     recipient=ADDR
 *     orig_rcpt=ADDR                     (optional)
 *     offset=N                           (of the R record; optional)
 *     dsn_orig_rcpt=TYPE;ADDR            (optional)
 *     notify_flags=N                     (optional; 0 or absent: not given)
 *     status=D.D.D
 *     action=failed|delayed|delivered|... (optional)
 *     diag_type=, diag_text=, mta_type=, mta_mname= (optional, Postfix's
 *                                         smtp client writes them)
 *     reason=TEXT
 * Unknown names are ignored (a newer writer). A record with only the
 * "<rcpt>: reason" line (the old format) is taken as recipient and reason
 * with an empty status (the caller supplies one).
 *
 * USAGE
 *   BOUNCE_RECS *r = bounce_records_parse(buf, len, "QUEUEID");
 *   for (i = 0; i < r->n; i++) ... r->rec[i].recipient ...
 *   bounce_records_free(r);
 *   r = bounce_records_read(path, "QUEUEID", why);   NULL: cannot open or
 *                                 read (errno kept: ENOENT = no log)
 *
 * BOUNDS AND ERRORS. At most BOUNCE_LOG_MAX bytes are read (the rest is
 * ignored with a warning) and at most BOUNCE_RCPT_MAX records kept (the
 * rest dropped with a warning). A record that is bad (no recipient, a
 * status that is not d.d.d, a duplicate or overlong field, a number out of
 * range) is skipped with a warning naming the queue id; r->skipped counts
 * them. Control characters in values become '?'; the reason, diagnostic
 * and MTA texts also lose 8-bit bytes ('?'), addresses keep them
 * (SMTPUTF8). Nothing here is fatal except memory exhaustion.
 */
#ifndef POSTERN_BOUNCE_RECORDS_H
#define POSTERN_BOUNCE_RECORDS_H

#include <stddef.h>

#include "vstr.h"

#define BOUNCE_FIELD_MAX 4096 /* bytes in one field value */

typedef struct BOUNCE_REC {
    char *recipient;
    char *orig_rcpt;     /* "" when absent */
    char *dsn_orig_rcpt; /* "" when absent */
    long offset;         /* 0 when absent */
    int notify;          /* DSN NOTIFY bits, 0 = not given */
    char *status;        /* d.d.d, or "" (old format) */
    char *action;        /* "" when absent */
    char *reason;
    char *diag_type, *diag_text; /* "" when absent */
    char *mta_type, *mta_mname;  /* "" when absent */
} BOUNCE_REC;

typedef struct BOUNCE_RECS {
    BOUNCE_REC *rec;
    size_t n;
    size_t cap;
    size_t skipped; /* bad records left out */
} BOUNCE_RECS;

BOUNCE_RECS *bounce_records_parse(const char *buf, size_t len, const char *queue_id);
BOUNCE_RECS *bounce_records_read(const char *path, const char *queue_id, VSTR *why);
void bounce_records_free(BOUNCE_RECS *r);

#endif
