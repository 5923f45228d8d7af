/* bounce_notice - the text of a delivery status notification; see bounce_notice.h. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounce_notice.h"
#include "msg.h"
#include "vstr.h"

static void out_str(BOUNCE_OUT_FN out, void *ctx, const char *s)
{
    out(ctx, s, strlen(s));
}

static void out_fmt(BOUNCE_OUT_FN out, void *ctx, VSTR *buf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void out_fmt(BOUNCE_OUT_FN out, void *ctx, VSTR *buf, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vstr_reset(buf);
    vstr_vprintf(buf, fmt, ap);
    va_end(ap);
    out(ctx, vstr_str(buf), vstr_len(buf));
}

void bounce_notice_date(VSTR *out, long sec)
{
    time_t t = (time_t) sec;
    struct tm tm;
    char buf[128];

    localtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%a, %e %b %Y %H:%M:%S %z (%Z)", &tm);
    /* RFC 5322 day: no leading space or zero ("Sat, 2 Apr"). */
    if (buf[5] == ' ')
        memmove(buf + 5, buf + 6, strlen(buf + 6) + 1);
    vstr_set(out, buf);
}

/*
 * Wrap text at width columns: break at white space, continuation lines
 * indented by indent spaces; a word longer than the line stays whole.
 */
void bounce_notice_wrap(const char *text, size_t width, size_t indent, BOUNCE_OUT_FN out,
                        void *ctx)
{
    VSTR *line = vstr_new(0);
    const char *p = text;
    size_t room = width, len, cut;
    int first = 1;

    if (indent >= width)
        msg_panic("bounce_notice_wrap: indent %zu for width %zu", indent, width);
    do {
        len = strlen(p);
        cut = len;
        if (len > room) {
            /* the last blank at or before room, else the first after it */
            for (cut = room; cut > 0 && p[cut] != ' ' && p[cut] != '\t'; cut--)
                ;
            if (cut == 0)
                cut = strcspn(p, " \t");
        }
        vstr_reset(line);
        if (!first)
            vstr_printf(line, "%*s", (int) indent, "");
        vstr_addmem(line, p, cut);
        while (vstr_len(line) > 0 && (vstr_str(line)[vstr_len(line) - 1] == ' '
                                      || vstr_str(line)[vstr_len(line) - 1] == '\t'))
            vstr_truncate(line, vstr_len(line) - 1);
        out(ctx, vstr_str(line), vstr_len(line));
        p += cut;
        p += strspn(p, " \t");
        first = 0;
        room = width - indent;
    } while (*p);
    vstr_free(line);
}

static int has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s >= 0x80)
            return 1;
    return 0;
}

static int rec_used(const BOUNCE_NOTICE *n, size_t i)
{
    return n->use == NULL || n->use[i];
}

/* 8-bit text in the notice's own parts (addresses; SMTPUTF8). */
static int notice_text_8bit(const BOUNCE_NOTICE *n)
{
    size_t i;

    if (has_8bit(n->sender) || has_8bit(n->envid))
        return 1;
    for (i = 0; n->recs && i < n->recs->n; i++) {
        const BOUNCE_REC *r = &n->recs->rec[i];

        if (rec_used(n, i)
            && (has_8bit(r->recipient) || has_8bit(r->orig_rcpt) || has_8bit(r->dsn_orig_rcpt)
                || has_8bit(r->reason) || has_8bit(r->diag_text)))
            return 1;
    }
    return 0;
}

static int orig_8bit(const BOUNCE_NOTICE *n)
{
    size_t i;

    if (strcmp(n->encoding, "8bit") == 0)
        return 1;
    if (n->orig == NULL)
        return 0;
    for (i = 0; i < vstr_len(n->orig); i++)
        if ((unsigned char) vstr_str(n->orig)[i] >= 0x80)
            return 1;
    return 0;
}

int bounce_notice_needs_8bit(const BOUNCE_NOTICE *n)
{
    return notice_text_8bit(n) || orig_8bit(n) || (!n->postmaster && n->tmpl->eight_bit);
}

/*
 * The template's From: value, with @myhostname after an address that has
 * no domain ("MAILER-DAEMON (Mail Delivery System)", "Name <bounces>").
 */
static void notice_from(VSTR *buf, const char *from, const char *myhostname)
{
    const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    const char *a, *e;

    if (lt && gt) {
        a = lt + 1;
        e = gt;
    } else {
        a = from + strspn(from, " \t");
        e = a + strcspn(a, " \t(");
    }
    if (e == a || memchr(a, '@', (size_t) (e - a)) != NULL) {
        vstr_adds(buf, from);
        return;
    }
    vstr_addmem(buf, from, (size_t) (e - from));
    vstr_printf(buf, "@%s", myhostname);
    vstr_adds(buf, e);
}

static void notice_headers(const BOUNCE_NOTICE *n, const char *boundary, BOUNCE_OUT_FN out,
                           void *ctx, VSTR *buf)
{
    VSTR *date = vstr_new(0);
    const char *subject;

    bounce_notice_date(date, n->now);
    out_fmt(out, ctx, buf, "Received: by %s (%s)", n->myhostname, n->mail_name);
    out_fmt(out, ctx, buf, "\tid %s; %s", n->notice_id, vstr_str(date));
    out_fmt(out, ctx, buf, "Date: %s", vstr_str(date));
    vstr_set(buf, "From: ");
    notice_from(buf, n->tmpl->from, n->myhostname);
    out(ctx, vstr_str(buf), vstr_len(buf));
    subject = n->postmaster && n->tmpl->pm_subject ? n->tmpl->pm_subject : n->tmpl->subject;
    out_fmt(out, ctx, buf, "Subject: %s", subject);
    out_fmt(out, ctx, buf, "To: %s", n->to);
    out_fmt(out, ctx, buf, "Auto-Submitted: %s", n->postmaster ? "auto-generated" : "auto-replied");
    out_str(out, ctx, "MIME-Version: 1.0");
    out_str(out, ctx, "Content-Type: multipart/report; report-type=delivery-status;");
    out_fmt(out, ctx, buf, "\tboundary=\"%s\"", boundary);
    if (bounce_notice_needs_8bit(n))
        out_str(out, ctx, "Content-Transfer-Encoding: 8bit");
    else if (strcmp(n->encoding, "7bit") == 0)
        out_str(out, ctx, "Content-Transfer-Encoding: 7bit");
    out_str(out, ctx, "");
    out_str(out, ctx, "This is a MIME-encapsulated message.");
    vstr_free(date);
}

static void notice_text(const BOUNCE_NOTICE *n, const char *boundary, BOUNCE_OUT_FN out,
                        void *ctx, VSTR *buf)
{
    const char *charset = "us-ascii", *p, *end, *nl;
    size_t i;
    int eight = notice_text_8bit(n);

    if (!n->postmaster) {
        charset = n->tmpl->charset;
        eight |= n->tmpl->eight_bit;
    }
    if (notice_text_8bit(n) && strcasecmp(charset, "us-ascii") == 0)
        charset = "utf-8";
    out_str(out, ctx, "");
    out_fmt(out, ctx, buf, "--%s", boundary);
    out_str(out, ctx, "Content-Description: Notification");
    out_fmt(out, ctx, buf, "Content-Type: text/plain; charset=%s", charset);
    if (eight)
        out_str(out, ctx, "Content-Transfer-Encoding: 8bit");
    if (!n->postmaster) {
        /* the template's text; a postmaster copy has only the recipients */
        out_str(out, ctx, "");
        p = n->tmpl->expanded;
        end = p + strlen(p);
        for (;;) {
            nl = memchr(p, '\n', (size_t) (end - p));
            out(ctx, p, nl ? (size_t) (nl - p) : (size_t) (end - p));
            if (nl == NULL)
                break;
            p = nl + 1;
        }
    }
    for (i = 0; n->recs && i < n->recs->n; i++) {
        const BOUNCE_REC *r = &n->recs->rec[i];

        if (!rec_used(n, i))
            continue;
        out_str(out, ctx, "");
        vstr_reset(buf);
        if (r->orig_rcpt[0] && strcmp(r->orig_rcpt, r->recipient) != 0)
            vstr_printf(buf, "<%s> (expanded from <%s>): %s", r->recipient, r->orig_rcpt,
                        r->reason);
        else
            vstr_printf(buf, "<%s>: %s", r->recipient, r->reason);
        bounce_notice_wrap(vstr_str(buf), BOUNCE_WRAP_WIDTH, BOUNCE_WRAP_INDENT, out, ctx);
    }
}

/* The DSN action word for a record in this kind of notice. */
static const char *rec_action(const BOUNCE_NOTICE *n, const BOUNCE_REC *r)
{
    if (n->kind == BOUNCE_NOTICE_FAILURE)
        return "failed";
    if (n->kind == BOUNCE_NOTICE_DELAY)
        return "delayed";
    return r->action[0] ? r->action : "delivered";
}

static void notice_dsn(const BOUNCE_NOTICE *n, const char *boundary, BOUNCE_OUT_FN out,
                       void *ctx, VSTR *buf)
{
    VSTR *date = vstr_new(0);
    size_t i;

    out_str(out, ctx, "");
    out_fmt(out, ctx, buf, "--%s", boundary);
    out_str(out, ctx, "Content-Description: Delivery report");
    out_str(out, ctx, "Content-Type: message/delivery-status");
    out_str(out, ctx, "");
    out_fmt(out, ctx, buf, "Reporting-MTA: dns; %s", n->myhostname);
    if (n->envid[0])
        out_fmt(out, ctx, buf, "Original-Envelope-Id: %s", n->envid);
    out_fmt(out, ctx, buf, "X-%s-Queue-ID: %s", n->mail_name, n->queue_id);
    out_fmt(out, ctx, buf, "X-%s-Sender: rfc822; %s", n->mail_name,
            n->sender[0] ? n->sender : "MAILER-DAEMON");
    if (n->arrival > 0) {
        bounce_notice_date(date, n->arrival);
        out_fmt(out, ctx, buf, "Arrival-Date: %s", vstr_str(date));
    }
    for (i = 0; n->recs && i < n->recs->n; i++) {
        const BOUNCE_REC *r = &n->recs->rec[i];

        if (!rec_used(n, i))
            continue;
        out_str(out, ctx, "");
        out_fmt(out, ctx, buf, "Final-Recipient: rfc822; %s", r->recipient);
        if (r->dsn_orig_rcpt[0])
            out_fmt(out, ctx, buf, "Original-Recipient: %s", r->dsn_orig_rcpt);
        else if (r->orig_rcpt[0])
            out_fmt(out, ctx, buf, "Original-Recipient: rfc822; %s", r->orig_rcpt);
        out_fmt(out, ctx, buf, "Action: %s", rec_action(n, r));
        out_fmt(out, ctx, buf, "Status: %s", r->status);
        vstr_reset(buf);
        if (r->mta_type[0] && r->mta_mname[0]) {
            vstr_printf(buf, "Remote-MTA: %s; %s", r->mta_type, r->mta_mname);
            bounce_notice_wrap(vstr_str(buf), BOUNCE_WRAP_WIDTH, BOUNCE_WRAP_INDENT, out, ctx);
        }
        vstr_reset(buf);
        if (r->diag_type[0] && r->diag_text[0])
            vstr_printf(buf, "Diagnostic-Code: %s; %s", r->diag_type, r->diag_text);
        else
            vstr_printf(buf, "Diagnostic-Code: X-%s; %s", n->mail_name, r->reason);
        bounce_notice_wrap(vstr_str(buf), BOUNCE_WRAP_WIDTH, BOUNCE_WRAP_INDENT, out, ctx);
        if (n->kind == BOUNCE_NOTICE_DELAY && n->retry_until > 0) {
            bounce_notice_date(date, n->retry_until);
            out_fmt(out, ctx, buf, "Will-Retry-Until: %s", vstr_str(date));
        }
    }
    vstr_free(date);
}

static void notice_original(const BOUNCE_NOTICE *n, const char *boundary, BOUNCE_OUT_FN out,
                            void *ctx, VSTR *buf)
{
    const char *p, *end, *nl;

    out_str(out, ctx, "");
    out_fmt(out, ctx, buf, "--%s", boundary);
    out_fmt(out, ctx, buf, "Content-Description: %s%s",
            n->kind == BOUNCE_NOTICE_SUCCESS || n->kind == BOUNCE_NOTICE_RECORD
                    || n->kind == BOUNCE_NOTICE_VERIFY
                ? ""
                : "Undelivered ",
            n->orig_hdrs_only ? "Message Headers" : "Message");
    out_fmt(out, ctx, buf, "Content-Type: %s",
            n->orig_hdrs_only ? "text/rfc822-headers" : "message/rfc822");
    if (orig_8bit(n))
        out_str(out, ctx, "Content-Transfer-Encoding: 8bit");
    else if (strcmp(n->encoding, "7bit") == 0)
        out_str(out, ctx, "Content-Transfer-Encoding: 7bit");
    out_str(out, ctx, "");
    if (n->orig == NULL) {
        out_str(out, ctx, "\t--- Undelivered message unavailable ---");
    } else {
        out_fmt(out, ctx, buf, "Return-Path: <%s>", n->sender);
        p = vstr_str(n->orig);
        end = p + vstr_len(n->orig);
        while (p < end) {
            nl = memchr(p, '\n', (size_t) (end - p));
            if (nl == NULL)
                nl = end;
            out(ctx, p, (size_t) (nl - p));
            p = nl + 1;
        }
    }
    out_str(out, ctx, "");
    out_fmt(out, ctx, buf, "--%s--", boundary);
}

void bounce_notice_write(const BOUNCE_NOTICE *n, BOUNCE_OUT_FN out, void *ctx)
{
    VSTR *boundary = vstr_new(0), *buf = vstr_new(0);

    if (!n->myhostname || !n->mail_name || !n->queue_id || !n->notice_id || !n->sender || !n->to
        || !n->envid || !n->encoding || !n->tmpl || !n->tmpl->expanded)
        msg_panic("bounce_notice_write: a required field is NULL");
    vstr_sprintf(boundary, "%s.%ld/%s", n->queue_id, n->now, n->myhostname);
    notice_headers(n, vstr_str(boundary), out, ctx, buf);
    notice_text(n, vstr_str(boundary), out, ctx, buf);
    notice_dsn(n, vstr_str(boundary), out, ctx, buf);
    notice_original(n, vstr_str(boundary), out, ctx, buf);
    vstr_free(boundary);
    vstr_free(buf);
}
