/*
 * cleanup - the shared state of the cleanup daemon's modules.
 *
 * The daemon (cleanup.c) serves one client at a time: smtpd or pickup
 * streams the records of one message (lib/cleanup_client.h), cleanup
 * rewrites and completes them and writes the queue file. The modules:
 *   cleanup.c           main(), configuration, the per-request loop and the
 *                       record reader (what it trusts: nothing the client
 *                       sends; every record length is bounded)
 *   cleanup_out.c       the queue file: create in incoming/, write, fsync,
 *                       mark complete, move to hold/, wake qmgr, remove
 *   cleanup_envelope.c  envelope records (T, F, A, S, O/R, DSN, W), the
 *                       recipients of the extracted segment, BCC recipients
 *   cleanup_message.c   the content: logical headers, added headers
 *                       (Message-Id, Date, From, Resent-*), Bcc removal,
 *                       header address rewriting, MIME part headers, body
 *   cleanup_header.c    header names and kinds, header address rewriting,
 *                       the From: cleanup adds (no state; unit tested)
 *   cleanup_checks.c    header_checks and body_checks actions
 *   cleanup_mime.c      MIME structure: multipart boundaries, message/rfc822
 *                       (for mime_header_checks and nested_header_checks)
 *   cleanup_rewrite.c   address rewriting: myorigin, append_dot_mydomain,
 *                       canonical maps, masquerading
 *   cleanup_valias.c    virtual alias expansion
 *   cleanup_maps.c      a list of lookup tables ("hash:a, regexp:b")
 *   cleanup_state.c     a request's state, the records in their segments,
 *                       the conclusion; cleanup_reject() records a failure
 *                       (the first reason wins, status bits add up)
 * Error policy: input that breaks the record framing (a bad length, a
 * record over CLEANUP_REC_MAX, EOF or a timeout inside a request) ends the
 * request with the file removed and no reply; a well-framed record that
 * does not belong where it is sets CLEANUP_STAT_BAD; a content problem
 * (size, rejected content, hops, no recipients) or a temporary one (lookup
 * failure, alias expansion limits: CLEANUP_STAT_DEFER) sets its status
 * bit. In those cases the rest of the message is read and thrown away up
 * to E, the file is removed and the status is the reply. A queue file
 * write, fsync or rename error is CLEANUP_STAT_WRITE. Configuration
 * problems found at start (a table that cannot be opened) are fatal.
 */
#ifndef POSTERN_CLEANUP_H
#define POSTERN_CLEANUP_H

#include <stddef.h>

#include "argv.h"
#include "cleanup_checks.h"
#include "cleanup_maps.h"
#include "htable.h"
#include "matchlist.h"
#include "qfile.h"
#include "queue_id.h"
#include "vstr.h"

/* Address classes (canonical_classes, masquerade_classes). */
#define CLEANUP_CLASS_ENV_FROM (1 << 0)
#define CLEANUP_CLASS_ENV_RCPT (1 << 1)
#define CLEANUP_CLASS_HDR_FROM (1 << 2)
#define CLEANUP_CLASS_HDR_RCPT (1 << 3)

/* The configuration, read once before the chroot. */
typedef struct CLEANUP_CONF {
    const char *myhostname;
    const char *myorigin;
    const char *mydomain;
    const char *mail_name;
    const char *remote_header_domain;   /* remote_header_rewrite_domain */
    const char *rcpt_delim;             /* recipient_delimiter */
    const char *undisclosed;            /* undisclosed_recipients_header */
    const char *empty_rcpt;             /* empty_address_recipient */
    const char *always_bcc;
    int long_ids;                       /* enable_long_queue_ids */
    int dir_fsync;                      /* queue_directory_fsync (ours) */
    int append_at_myorigin;
    int append_dot_mydomain;
    int always_add_missing;             /* always_add_missing_headers */
    int original_rcpt;                  /* enable_original_recipient */
    int replace_stray;                  /* cleanup_replace_stray_cr_lf */
    long long size_limit;               /* message_size_limit, 0 = none */
    long hop_limit;                     /* hopcount_limit */
    size_t header_limit;                /* header_size_limit */
    size_t line_limit;                  /* line_length_limit */
    long long body_check_limit;         /* body_checks_size_limit */
    long dup_limit;                     /* duplicate_filter_limit */
    long delay_warn;                    /* delay_warning_time, seconds (0 = none) */
    long valias_recursion;              /* virtual_alias_recursion_limit */
    long valias_expansion;              /* virtual_alias_expansion_limit */
    size_t valias_addr_len;             /* virtual_alias_address_length_limit */
    int propagate_canonical;            /* propagate_unmatched_extensions */
    int propagate_virtual;
    int canon_classes;
    int sender_canon_classes;
    int rcpt_canon_classes;
    int masq_classes;
    ARGV *drop_headers;                 /* message_drop_headers, lower case */
    char reject_chars[256];             /* message_reject_characters (1 = in) */
    char strip_chars[256];              /* message_strip_characters */
    int have_reject_chars;
    int have_strip_chars;
    ARGV *masq_domains;                 /* masquerade_domains, in order */
    ARGV *masq_exceptions;              /* masquerade_exceptions (user names) */
    CLEANUP_MAPS *canonical;
    CLEANUP_MAPS *sender_canonical;
    CLEANUP_MAPS *rcpt_canonical;
    CLEANUP_MAPS *virtual_alias;
    CLEANUP_MAPS *sender_bcc;
    CLEANUP_MAPS *rcpt_bcc;
    CLEANUP_MAPS *header_checks;
    CLEANUP_MAPS *body_checks;
    CLEANUP_MAPS *mime_header_checks;
    CLEANUP_MAPS *nested_header_checks;
    int mime_disabled;                  /* disable_mime_input_processing */
    long mime_nesting;                  /* mime_nesting_limit */
    MATCH_LIST *mydestination;          /* for the bare "user" alias lookup */
    const char *qmgr_path;              /* public/$queue_service_name */
} CLEANUP_CONF;

/* Where the reader is in the message. */
enum { CLEANUP_SEG_ENV, CLEANUP_SEG_CONTENT, CLEANUP_SEG_EXTRA, CLEANUP_SEG_DONE };

/* One request. */
typedef struct CLEANUP_STATE {
    const CLEANUP_CONF *conf;
    char queue_id[QUEUE_ID_BUFSIZE];
    VSTR *path;                 /* incoming/ID */
    int fd;                     /* the queue file, or -1 */
    QFILE_WRITER *w;
    int flags;                  /* CLEANUP_FLAG_* from the client */
    int status;                 /* CLEANUP_STAT_* so far */
    VSTR *reason;               /* text for the client (content rejections) */
    int segment;                /* CLEANUP_SEG_* */
    int hold;                   /* header/body checks said HOLD */
    int discard;                /* header/body checks said DISCARD */
    VSTR *encoding;             /* the envelope's encoding attribute */
    VSTR *filter;               /* FILTER action: transport:destination */
    VSTR *redirect;             /* REDIRECT action: the address */
    ARGV *bcc;                  /* BCC actions: addresses */
    /* Envelope. */
    long arrival_sec, arrival_usec;
    int seen_time;
    int local;                  /* rewrite_context=local */
    int seen_sender;
    int in_rcpt;                /* the first recipient record was seen */
    VSTR *sender;               /* after rewriting */
    VSTR *full_name;
    long submit_uid;            /* submit_uid from pickup, -1 if none */
    VSTR *dsn_orcpt;            /* pending DSN ORCPT for the next recipient */
    int dsn_notify;             /* pending NOTIFY for the next recipient */
    VSTR *orig_rcpt;            /* pending original recipient */
    int have_orig;
    long rcpt_count;
    long qmgr_opts;             /* size record: DSN NOTIFY bits seen, << 1 */
    long smtputf8;              /* size record: SMTPUTF8 flags */
    VSTR *first_rcpt;           /* for log lines: to=<...> */
    HTABLE *dups;               /* duplicate filter: "orcpt\norig\nrcpt" */
    long dup_count;
    /* Logging: client information from the A records. */
    VSTR *log_origin;           /* "host[addr]" */
    VSTR *log_helo;
    VSTR *log_proto;
    /* Content. */
    int in_header;              /* still in the primary header */
    VSTR *hdr;                  /* the logical header being gathered */
    int hdr_truncated;
    size_t hdr_total;           /* bytes of the logical header so far */
    VSTR *line;                 /* a content line being gathered (L pieces) */
    int line_split;             /* part of this body line went out as L */
    int mime_state;             /* CLEANUP_MIME_ST_* */
    int mime_next_nested;       /* the part being started is message/rfc822 */
    ARGV *mime_bounds;          /* open multipart boundaries, outermost first */
    long long content_size;     /* bytes of content so far */
    long long body_size;        /* body bytes seen by body_checks */
    long hops;                  /* Received: headers */
    int seen_hdr;               /* CLEANUP_HDR_* bits */
    int resent;                 /* a Resent- header was seen */
    VSTR *msgid;                /* the Message-Id (for the log) */
    ARGV *extract;              /* recipients from To/Cc/Bcc (EXTRACT) */
    ARGV *extract_resent;       /* ... from Resent-To/Cc/Bcc */
    VSTR *tmp;                  /* scratch */
    VSTR *chk;                  /* a body line as a string, for body_checks */
} CLEANUP_STATE;

/* SMTPUTF8 flags of the size record (Postfix's values). */
#define CLEANUP_UTF8_REQUESTED (1 << 0)
#define CLEANUP_UTF8_HEADER    (1 << 1)
#define CLEANUP_UTF8_SENDER    (1 << 2)

/* Where a body line is (mime_state). */
#define CLEANUP_MIME_ST_BODY   0
#define CLEANUP_MIME_ST_PART   1   /* headers of a MIME part */
#define CLEANUP_MIME_ST_NESTED 2   /* headers of an attached message */

/* Headers seen (seen_hdr). */
#define CLEANUP_HDR_FROM      (1 << 0)
#define CLEANUP_HDR_DATE      (1 << 1)
#define CLEANUP_HDR_MSGID     (1 << 2)
#define CLEANUP_HDR_TO        (1 << 3)
#define CLEANUP_HDR_RFROM     (1 << 4)
#define CLEANUP_HDR_RDATE     (1 << 5)
#define CLEANUP_HDR_RMSGID    (1 << 6)
#define CLEANUP_HDR_RTO       (1 << 7)

/* cleanup_out.c */
int cleanup_out_create(CLEANUP_STATE *st);
void cleanup_out_put(CLEANUP_STATE *st, int type, const void *data, size_t len);
void cleanup_out_puts(CLEANUP_STATE *st, int type, const char *str);
void cleanup_out_attr(CLEANUP_STATE *st, const char *name, const char *value);
void cleanup_out_line(CLEANUP_STATE *st, const char *text, size_t len);
int cleanup_out_finish(CLEANUP_STATE *st);
void cleanup_out_remove(CLEANUP_STATE *st);

/* cleanup_envelope.c */
void cleanup_envelope(CLEANUP_STATE *st, int type, const char *data, size_t len);
void cleanup_extracted(CLEANUP_STATE *st, int type, const char *data, size_t len);
void cleanup_rcpt_out(CLEANUP_STATE *st, const char *rcpt, const char *orig,
                      const char *dsn_orcpt, int notify);
void cleanup_envelope_end(CLEANUP_STATE *st);
int cleanup_has_8bit(const char *text);
void cleanup_extracted_begin(CLEANUP_STATE *st);
void cleanup_extracted_end(CLEANUP_STATE *st);

/* cleanup_message.c */
void cleanup_message_begin(CLEANUP_STATE *st);
void cleanup_message_piece(CLEANUP_STATE *st, int type, char *data, size_t len);
void cleanup_message_end(CLEANUP_STATE *st);
void cleanup_date(VSTR *out, long sec);

/* cleanup_state.c: cleanup_record() takes the client's records in order
 * (data is NUL-terminated and may be changed) and returns 1 after E;
 * cleanup_conclude() then completes the file, or removes it on failure or
 * DISCARD; st->status and st->reason are the answer. */
void cleanup_reject(CLEANUP_STATE *st, int status, const char *reason);
CLEANUP_STATE *cleanup_state_new(const CLEANUP_CONF *conf);
void cleanup_conf_free(CLEANUP_CONF *c);
void cleanup_state_free(CLEANUP_STATE *st);
/* cleanup_state_reset(): as new, keeping the buffers (up to CLEANUP_KEEP_MAX
 * bytes each) for the process's next request; closes the queue file. */
#define CLEANUP_KEEP_MAX (64 * 1024)
void cleanup_state_reset(CLEANUP_STATE *st);
void cleanup_flags(CLEANUP_STATE *st, int flags);
int cleanup_record(CLEANUP_STATE *st, int type, char *data, size_t len);
void cleanup_conclude(CLEANUP_STATE *st);

#endif
