/*
 * bounce_notice - build the text of a delivery status notification (RFC
 * 3464 multipart/report) in the shape Postfix 3.7 sends, line by line.
 *
 * THE NOTICE
 *   Received: by HOST (MAIL_NAME)                  then "\tid NEWID; DATE"
 *   Date:, From: and Subject: from the template (lib/bounce_template.h;
 *   a From: address without a domain gets @HOST: the built-in one is
 *   "MAILER-DAEMON@HOST (Mail Delivery System)"; a postmaster copy has the
 *   template's Postmaster-Subject), To:, Auto-Submitted: auto-replied,
 *   MIME-Version: 1.0,
 *   Content-Type: multipart/report; report-type=delivery-status;
 *   boundary="QUEUEID.TIME/HOST", Content-Transfer-Encoding (when the
 *   original or the notice is 8-bit, or the original said 7bit), then
 *   "This is a MIME-encapsulated message." and three parts:
 *   1. text/plain "Notification" (charset: the template's Charset, utf-8
 *      for 8-bit addresses under us-ascii): the template's expanded text
 *      and one "<rcpt> (expanded from <orig>): reason" paragraph per
 *      recipient, wrapped at 79 columns with 4 spaces of indent;
 *   2. message/delivery-status "Delivery report": Reporting-MTA,
 *      Original-Envelope-Id (ENVID), X-Postfix-Queue-ID, X-Postfix-Sender,
 *      Arrival-Date, then per recipient Final-Recipient, Original-Recipient,
 *      Action, Status, Remote-MTA, Diagnostic-Code, Will-Retry-Until;
 *   3. message/rfc822 (the whole original) or text/rfc822-headers (its
 *      headers only), after a Return-Path: line; a placeholder line when
 *      the original is unavailable.
 * The Message-Id: is cleanup's to add.
 * The template (tmpl) is the caller's choice: the failure template for
 * FAILURE, delay for DELAY, success for SUCCESS, verify for RECORD and
 * VERIFY; it must be expanded (bounce_templates_expand()).
 * A RECORD notice (sendmail -v) has the verify template's text, and its
 * delivery-status part has each record's own Action (delivered, relayed,
 * expanded, delayed, failed). A VERIFY notice (sendmail -bv) has the
 * verify template's text too, and each record keeps its own Action
 * (deliverable, undeliverable).
 * A postmaster copy (postmaster != 0: a double bounce, or a copy per
 * notify_classes) has the template's Postmaster-Subject (built-in:
 * "Postmaster Copy: Undelivered Mail", "Postmaster Warning: Delayed
 * Mail"), Auto-Submitted: auto-generated, and no template text in its
 * first part, only the recipients.
 *
 * USAGE
 *   BOUNCE_NOTICE n = { .kind = BOUNCE_NOTICE_FAILURE, .myhostname = ...,
 *                       .recs = recs, .use = use, ... };
 *   bounce_notice_write(&n, out_fn, ctx);   out_fn(ctx, line, len) is
 *                       called once per line, without a line terminator
 *   bounce_notice_needs_8bit(&n)  1 when the notice carries 8-bit text
 *   bounce_notice_wrap(text, width, indent, out_fn, ctx)  the line wrapper
 * use[i] != 0 selects recs->rec[i]. orig holds the original message as
 * LF-separated lines (not terminated by a last LF), orig == NULL when it
 * could not be read; orig_hdrs_only says that orig holds only the headers
 * (the part is then text/rfc822-headers).
 *
 * Error policy: none at run time; every input is used as given (the
 * caller bounds and cleans it); a NULL in a required field panics.
 */
#ifndef POSTERN_BOUNCE_NOTICE_H
#define POSTERN_BOUNCE_NOTICE_H

#include <stddef.h>

#include "bounce_records.h"
#include "bounce_template.h"
#include "vstr.h"

#define BOUNCE_NOTICE_FAILURE 1 /* failure template */
#define BOUNCE_NOTICE_DELAY   2 /* delay template */
#define BOUNCE_NOTICE_SUCCESS 3 /* success template */
#define BOUNCE_NOTICE_RECORD  4 /* verify template (sendmail -v): every record
                                 * with its own action */
#define BOUNCE_NOTICE_VERIFY  5 /* verify template (sendmail -bv): every record
                                 * with its own action (deliverable,
                                 * undeliverable) */

#define BOUNCE_WRAP_WIDTH  79
#define BOUNCE_WRAP_INDENT 4

typedef void (*BOUNCE_OUT_FN)(void *ctx, const char *line, size_t len);

typedef struct BOUNCE_NOTICE {
    int kind;
    const char *myhostname;
    const char *mail_name;     /* "Postfix" */
    const char *queue_id;      /* the original message */
    const char *notice_id;     /* the notice's own (Received:) */
    const char *sender;        /* the original envelope sender, "" = null */
    const char *to;            /* who gets the notice */
    const char *envid;         /* DSN ENVID, "" when none */
    const char *encoding;      /* the original's body type: "8bit", "7bit", "" */
    long arrival;              /* the original's arrival time, 0 = unknown */
    long now;                  /* for Date:, the boundary */
    long retry_until;          /* Will-Retry-Until (DELAY), 0 = none */
    const BOUNCE_TEMPLATE *tmpl; /* From, Subject, Charset and text (expanded) */
    const BOUNCE_RECS *recs;
    const unsigned char *use;  /* which records; NULL = all */
    const VSTR *orig;          /* the original, LF-separated, or NULL */
    int orig_hdrs_only;        /* orig holds only the headers */
    int postmaster;            /* a copy for the postmaster (see above) */
} BOUNCE_NOTICE;

void bounce_notice_write(const BOUNCE_NOTICE *n, BOUNCE_OUT_FN out, void *ctx);
int bounce_notice_needs_8bit(const BOUNCE_NOTICE *n);
void bounce_notice_wrap(const char *text, size_t width, size_t indent, BOUNCE_OUT_FN out,
                        void *ctx);
void bounce_notice_date(VSTR *out, long sec);

#endif
