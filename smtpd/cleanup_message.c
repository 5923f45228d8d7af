/*
 * cleanup_message - the content of a request: N and L records between M
 * and X.
 *
 * Lines are gathered from their pieces (a line is L... N); the primary
 * header is processed one logical header at a time (a header line and its
 * continuation lines, at most header_size_limit bytes each: more is cut
 * off with a warning), so memory stays flat however large the message is. Per
 * header: header_checks, Received: counting (hopcount_limit), removal of
 * Bcc:, Resent-Bcc:, Content-Length: and Return-Path:, address rewriting
 * of address headers, recipient extraction for sendmail -t
 * (CLEANUP_FLAG_EXTRACT), and the message-id log line. At the end of the
 * header: the missing Message-Id:, Date:, From: (or their Resent-
 * versions when the message has Resent- headers) for local mail or with
 * always_add_missing_headers, and the Received: of a local submission
 * (submit_uid) at the top. In the body, the headers of MIME parts and of
 * attached messages (cleanup_mime.h) go through mime_header_checks and
 * nested_header_checks; other body lines go through body_checks (within
 * body_checks_size_limit) and are written in pieces of line_length_limit.
 * Stray CR and LF bytes inside a line become spaces
 * (cleanup_replace_stray_cr_lf); message_reject_characters refuse the
 * message, message_strip_characters are removed; message_drop_headers
 * (Bcc, Content-Length, Resent-Bcc, Return-Path) are dropped. message_size_limit counts the content
 * bytes, one per line end.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "cleanup_header.h"
#include "cleanup_mime.h"
#include "msg.h"

#define CLEANUP_LOG_TEXT_MAX 200
#define CLEANUP_BCC_ACTIONS_MAX 100    /* BCC actions kept per message */

void cleanup_date(VSTR *out, long sec)
{
    time_t t = (time_t) sec;
    struct tm tm;
    char buf[128];

    localtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
    vstr_set(out, buf);
}

/* "from host[addr]; from=<s> to=<r> proto=P helo=<h>" for check log lines. */
static void cleanup_log_context(CLEANUP_STATE *st, VSTR *out)
{
    vstr_printf(out, " from %s; from=<%s>",
                vstr_len(st->log_origin) ? vstr_str(st->log_origin) : "local",
                vstr_str(st->sender));
    if (vstr_len(st->first_rcpt))
        vstr_printf(out, " to=<%s>", vstr_str(st->first_rcpt));
    if (vstr_len(st->log_proto))
        vstr_printf(out, " proto=%s", vstr_str(st->log_proto));
    if (vstr_len(st->log_helo))
        vstr_printf(out, " helo=<%s>", vstr_str(st->log_helo));
}

/*
 * Apply one check answer. where is "header" or "body"; text the line.
 * Returns what to do with the line: 0 keep, 1 drop (IGNORE), 2 replace it
 * with *repl. A PREPEND line is written at once.
 */
static int cleanup_check_act(CLEANUP_STATE *st, const char *where, const char *line,
                             const char *value, const char **repl)
{
    CHECK_ACTION a;
    VSTR *log = vstr_new(0);
    VSTR *reason;
    int ret = 0;

    check_action_parse(value, &a);
    vstr_printf(log, "%s: %s: %s %.*s", st->queue_id, check_action_name(a.action), where,
                CLEANUP_LOG_TEXT_MAX, line);
    cleanup_log_context(st, log);
    switch (a.action) {
    case CHECK_ACT_REJECT:
        reason = vstr_new(0);
        if (a.code != 0) {
            if (*a.text >= '2' && *a.text <= '5' && a.text[1] == '.')
                vstr_printf(reason, "%d %s", a.code, a.text);
            else
                vstr_printf(reason, "%d %c.7.1 %s", a.code, a.code / 100 + '0',
                            *a.text ? a.text : "Message content rejected");
        } else if (*a.text == 0) {
            vstr_adds(reason, "5.7.1 Message content rejected");
        } else if ((*a.text == '4' || *a.text == '5') && a.text[1] == '.') {
            vstr_adds(reason, a.text);
        } else {
            vstr_printf(reason, "5.7.1 %s", a.text);
        }
        msg_info("%s: %s", vstr_str(log), vstr_str(reason));
        cleanup_reject(st, CLEANUP_STAT_CONT, vstr_str(reason));
        vstr_free(reason);
        break;
    case CHECK_ACT_DISCARD:
    case CHECK_ACT_HOLD:
    case CHECK_ACT_WARN:
        if (*a.text)
            msg_info("%s: %s", vstr_str(log), a.text);
        else
            msg_info("%s", vstr_str(log));
        if (a.action == CHECK_ACT_DISCARD)
            st->discard = 1;
        else if (a.action == CHECK_ACT_HOLD)
            st->hold = 1;
        break;
    case CHECK_ACT_IGNORE:
        ret = 1;
        break;
    case CHECK_ACT_REPLACE:
        msg_info("%s: %s", vstr_str(log), a.text);
        *repl = a.text;
        ret = 2;
        break;
    case CHECK_ACT_PREPEND:
        msg_info("%s: %s", vstr_str(log), a.text);
        cleanup_out_line(st, a.text, strlen(a.text));
        break;
    case CHECK_ACT_FILTER:
    case CHECK_ACT_REDIRECT:
    case CHECK_ACT_BCC:
        msg_info("%s: %s", vstr_str(log), a.text);
        if (a.action == CHECK_ACT_FILTER)
            vstr_set(st->filter, a.text);
        else if (a.action == CHECK_ACT_REDIRECT)
            vstr_set(st->redirect, a.text);
        else if (st->bcc->argc < CLEANUP_BCC_ACTIONS_MAX)
            argv_add(st->bcc, a.text);
        break;
    case CHECK_ACT_DUNNO:
    case CHECK_ACT_OK:
        break;
    default:
        check_action_warn_unknown(st->queue_id, where, value);
        break;
    }
    vstr_free(log);
    return ret;
}

/* header_checks/body_checks lookup; returns as cleanup_check_act(). */
static int cleanup_check(CLEANUP_STATE *st, CLEANUP_MAPS *maps, const char *where,
                         const char *line, VSTR *copy)
{
    const char *value;
    const char *repl = NULL;
    int r;

    if ((st->flags & CLEANUP_FLAG_FILTER) == 0 || cleanup_maps_empty(maps)
        || st->status != CLEANUP_STAT_OK)
        return 0;
    value = cleanup_maps_find(maps, line);
    if (value == NULL) {
        if (maps->error != TABLE_OK) {
            msg_warn("%s: %s_checks lookup error", st->queue_id, where);
            cleanup_reject(st, CLEANUP_STAT_DEFER, "4.3.0 Content check lookup failure");
        }
        return 0;
    }
    /* The table's answer lives until the next lookup: copy it for REPLACE. */
    r = cleanup_check_act(st, where, line, value, &repl);
    if (r == 2)
        vstr_set(copy, repl);
    return r;
}

/* Write a logical header: its lines separated by '\n'. */
static void cleanup_write_header(CLEANUP_STATE *st, const char *text)
{
    const char *nl;

    while ((nl = strchr(text, '\n')) != NULL) {
        cleanup_out_line(st, text, (size_t) (nl - text));
        text = nl + 1;
    }
    cleanup_out_line(st, text, strlen(text));
}

static void cleanup_log_msgid(CLEANUP_STATE *st, const char *label, const char *value)
{
    while (*value == ' ' || *value == '\t' || *value == '\n')
        value++;
    msg_info("%s: %s=%.*s", st->queue_id, label, CLEANUP_LOG_TEXT_MAX, value);
}

static int cleanup_hdr_context(CLEANUP_STATE *st)
{
    if (st->local)
        return CLEANUP_CTX_LOCAL;
    return *st->conf->remote_header_domain ? CLEANUP_CTX_REMOTE : CLEANUP_CTX_NONE;
}

/* A Content-Type: header opens a multipart level or announces a message. */
static void cleanup_mime_header(CLEANUP_STATE *st, const char *text)
{
    VSTR *boundary;

    if (st->conf->mime_disabled)
        return;
    boundary = vstr_new(0);
    switch (cleanup_mime_content_type(text, boundary)) {
    case CLEANUP_MIME_MULTIPART:
        if ((long) st->mime_bounds->argc < st->conf->mime_nesting)
            argv_add(st->mime_bounds, vstr_str(boundary));
        else if (st->mime_bounds->argc == (size_t) st->conf->mime_nesting)
            msg_warn("%s: MIME nesting exceeds mime_nesting_limit", st->queue_id);
        break;
    case CLEANUP_MIME_MESSAGE:
        st->mime_next_nested = 1;
        break;
    }
    vstr_free(boundary);
}

/* A MIME part header or an attached message's header: checks, then out. */
static void cleanup_part_header_done(CLEANUP_STATE *st)
{
    int nested = (st->mime_state == CLEANUP_MIME_ST_NESTED);
    size_t len = vstr_len(st->hdr);
    size_t nlen;
    int r;

    if (len == 0)
        return;
    r = cleanup_check(st, nested ? st->conf->nested_header_checks : st->conf->mime_header_checks,
                      "header", vstr_str(st->hdr), st->tmp);
    if (r != 1) {
        if (r == 2)
            vstr_set(st->hdr, vstr_str(st->tmp));
        len = vstr_len(st->hdr);
        nlen = cleanup_header_name(vstr_str(st->hdr), &len);
        if (nlen && cleanup_header_kind(vstr_str(st->hdr), nlen) == CLEANUP_HK_CONTENT_TYPE)
            cleanup_mime_header(st, vstr_str(st->hdr));
        cleanup_write_header(st, vstr_str(st->hdr));
    }
    vstr_reset(st->hdr);
    st->hdr_truncated = 0;
    st->hdr_total = 0;
}

/* message_drop_headers: Bcc, Content-Length, Resent-Bcc, Return-Path by default. */
static int cleanup_drop_header(const CLEANUP_CONF *c, const char *name, size_t len)
{
    size_t i;

    for (i = 0; c->drop_headers != NULL && i < c->drop_headers->argc; i++)
        if (strlen(c->drop_headers->argv[i]) == len
            && strncasecmp(c->drop_headers->argv[i], name, len) == 0)
            return 1;
    return 0;
}

/* Whether anything could change a header address (else skip parsing). */
static int cleanup_may_rewrite(CLEANUP_STATE *st)
{
    const CLEANUP_CONF *c = st->conf;

    return cleanup_hdr_context(st) != CLEANUP_CTX_NONE || !cleanup_maps_empty(c->canonical)
           || !cleanup_maps_empty(c->sender_canonical) || !cleanup_maps_empty(c->rcpt_canonical)
           || (c->masq_domains != NULL && c->masq_domains->argc > 0);
}

/* One complete logical header in st->hdr. */
static void cleanup_header_done(CLEANUP_STATE *st)
{
    char *text = st->hdr->buf;
    size_t len = vstr_len(st->hdr);
    size_t nlen;
    int kind;
    int r;
    VSTR *out;

    if (len == 0)
        return;
    r = cleanup_check(st, st->conf->header_checks, "header", text, st->tmp);
    if (r == 1)
        goto done;
    if (r == 2) {
        vstr_set(st->hdr, vstr_str(st->tmp));
        text = st->hdr->buf;
        len = vstr_len(st->hdr);
    }
    if (cleanup_has_8bit(text))
        st->smtputf8 |= CLEANUP_UTF8_HEADER;
    nlen = cleanup_header_name(text, &len);
    kind = nlen ? cleanup_header_kind(text, nlen) : CLEANUP_HK_OTHER;
    if (kind >= CLEANUP_HK_RESENT_FROM && kind <= CLEANUP_HK_RESENT_OTHER)
        st->resent = 1;
    if ((st->flags & CLEANUP_FLAG_EXTRACT) && cleanup_header_is_rcpt(kind)
        && kind != CLEANUP_HK_APPARENTLY_TO) {
        ARGV *list = (kind >= CLEANUP_HK_RESENT_FROM) ? st->extract_resent : st->extract;

        if (list->argc < (size_t) st->conf->valias_expansion)
            (void) cleanup_header_addrs(text, list);
    }
    if (nlen && cleanup_drop_header(st->conf, text, nlen))
        goto done;
    switch (kind) {
    case CLEANUP_HK_RECEIVED:
        if (++st->hops > st->conf->hop_limit) {
            msg_info("%s: reject: hopcount exceeded (%ld)", st->queue_id, st->hops);
            cleanup_reject(st, CLEANUP_STAT_HOPS, "5.4.0 Too many hops");
        }
        break;
    case CLEANUP_HK_CONTENT_TYPE:
        cleanup_mime_header(st, text);
        break;
    case CLEANUP_HK_FROM: st->seen_hdr |= CLEANUP_HDR_FROM; break;
    case CLEANUP_HK_DATE: st->seen_hdr |= CLEANUP_HDR_DATE; break;
    case CLEANUP_HK_TO: case CLEANUP_HK_CC: st->seen_hdr |= CLEANUP_HDR_TO; break;
    case CLEANUP_HK_RESENT_FROM: st->seen_hdr |= CLEANUP_HDR_RFROM; break;
    case CLEANUP_HK_RESENT_DATE: st->seen_hdr |= CLEANUP_HDR_RDATE; break;
    case CLEANUP_HK_RESENT_TO: case CLEANUP_HK_RESENT_CC: st->seen_hdr |= CLEANUP_HDR_RTO; break;
    case CLEANUP_HK_MSGID:
        if ((st->seen_hdr & CLEANUP_HDR_MSGID) == 0)
            cleanup_log_msgid(st, "message-id", strchr(text, ':') + 1);
        st->seen_hdr |= CLEANUP_HDR_MSGID;
        break;
    case CLEANUP_HK_RESENT_MSGID:
        if ((st->seen_hdr & CLEANUP_HDR_RMSGID) == 0)
            cleanup_log_msgid(st, "resent-message-id", strchr(text, ':') + 1);
        st->seen_hdr |= CLEANUP_HDR_RMSGID;
        break;
    }
    if ((cleanup_header_is_sender(kind) || cleanup_header_is_rcpt(kind))
        && cleanup_may_rewrite(st)) {
        out = vstr_new(0);
        r = cleanup_header_rewrite(st->conf, cleanup_hdr_context(st),
                                   cleanup_header_is_sender(kind) ? CLEANUP_CLASS_HDR_FROM
                                                                  : CLEANUP_CLASS_HDR_RCPT,
                                   text, out);
        if (r < 0) {
            msg_warn("%s: canonical_maps lookup failure in a header", st->queue_id);
            cleanup_reject(st, CLEANUP_STAT_DEFER, "4.3.0 Address rewriting lookup failure");
        } else if (r > 0) {
            cleanup_write_header(st, vstr_str(out));
            vstr_free(out);
            goto done;
        }
        vstr_free(out);
    }
    cleanup_write_header(st, text);

done:
    vstr_reset(st->hdr);
    st->hdr_truncated = 0;
    st->hdr_total = 0;
}

/* The headers a message lacks, after the last header. */
static void cleanup_headers_end(CLEANUP_STATE *st)
{
    VSTR *h;
    VSTR *date;
    int add = st->local || st->conf->always_add_missing;
    int have_msgid;
    const char *prefix;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];

    cleanup_header_done(st);
    h = vstr_new(0);
    date = vstr_new(0);
    have_msgid = st->seen_hdr & (st->resent ? CLEANUP_HDR_RMSGID : CLEANUP_HDR_MSGID);
    prefix = st->resent ? "Resent-" : "";
    if (!have_msgid) {
        if (add) {
            localtime_r(&now, &tm);
            strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
            vstr_sprintf(h, "%sMessage-Id: <%s.%s@%s>", prefix, stamp, st->queue_id,
                         st->conf->myhostname);
            cleanup_out_line(st, vstr_str(h), vstr_len(h));
            msg_info("%s: %smessage-id=<%s.%s@%s>", st->queue_id, st->resent ? "resent-" : "",
                     stamp, st->queue_id, st->conf->myhostname);
        } else if (!st->resent) {
            msg_info("%s: message-id=<>", st->queue_id);
        }
    }
    if (add && (st->seen_hdr & (st->resent ? CLEANUP_HDR_RDATE : CLEANUP_HDR_DATE)) == 0) {
        cleanup_date(date, st->arrival_sec);
        vstr_sprintf(h, "%sDate: %s", prefix, vstr_str(date));
        cleanup_out_line(st, vstr_str(h), vstr_len(h));
    }
    if (add && (st->seen_hdr & (st->resent ? CLEANUP_HDR_RFROM : CLEANUP_HDR_FROM)) == 0) {
        if (vstr_len(st->sender) == 0)
            vstr_sprintf(h, "%sFrom: MAILER-DAEMON", prefix);
        else {
            cleanup_header_from(date, vstr_str(st->sender), vstr_str(st->full_name));
            vstr_sprintf(h, "%s%s", prefix, vstr_str(date));
        }
        cleanup_out_line(st, vstr_str(h), vstr_len(h));
    }
    if (add && !st->resent && (st->seen_hdr & CLEANUP_HDR_TO) == 0
        && *st->conf->undisclosed != 0) {
        cleanup_out_line(st, st->conf->undisclosed, strlen(st->conf->undisclosed));
    }
    st->in_header = 0;
    if (st->mime_next_nested) {
        st->mime_next_nested = 0;
        st->mime_state = CLEANUP_MIME_ST_NESTED;
    }
    vstr_free(h);
    vstr_free(date);
}

void cleanup_message_begin(CLEANUP_STATE *st)
{
    VSTR *h;
    VSTR *date;

    st->in_header = 1;
    if (st->submit_uid < 0)
        return;
    h = vstr_new(0);
    date = vstr_new(0);
    cleanup_date(date, st->arrival_sec);
    vstr_sprintf(h, "Received: by %s (%s, from userid %ld)", st->conf->myhostname,
                 st->conf->mail_name, st->submit_uid);
    cleanup_out_line(st, vstr_str(h), vstr_len(h));
    vstr_sprintf(h, "\tid %s; %s", st->queue_id, vstr_str(date));
    cleanup_out_line(st, vstr_str(h), vstr_len(h));
    st->hops++;
    vstr_free(h);
    vstr_free(date);
}

static void cleanup_body_full(CLEANUP_STATE *st, const char *text, size_t len);

/* A header-section line (complete; text belongs to the caller). */
static void cleanup_header_line(CLEANUP_STATE *st, const char *line, size_t len)
{
    size_t n = len;

    if (len == 0) {
        cleanup_headers_end(st);
        cleanup_out_line(st, "", 0);
        return;
    }
    if ((line[0] == ' ' || line[0] == '\t') && vstr_len(st->hdr) > 0) {
        if (st->hdr_total + len + 1 > st->conf->header_limit) {
            if (!st->hdr_truncated)
                msg_warn("%s: header_size_limit exceeded: header truncated", st->queue_id);
            st->hdr_truncated = 1;
            return;
        }
        vstr_addch(st->hdr, '\n');
        vstr_addmem(st->hdr, line, len);
        st->hdr_total += len + 1;
        return;
    }
    if (cleanup_header_name(line, &n) == 0) {
        /* Not a header: the body starts; the missing empty line is added. */
        cleanup_headers_end(st);
        cleanup_out_line(st, "", 0);
        cleanup_body_full(st, line, len);
        return;
    }
    cleanup_header_done(st);
    if (st->hdr_total + len > st->conf->header_limit) {
        if (!st->hdr_truncated)
            msg_warn("%s: header_size_limit exceeded: header truncated", st->queue_id);
        st->hdr_truncated = 1;
        return;
    }
    vstr_addmem(st->hdr, line, len);
    st->hdr_total += len + 1;
}

/* A body piece: checked, then written as L (more follows) or N. */
static void cleanup_body_write(CLEANUP_STATE *st, int type, const char *text, size_t len)
{
    int r = 0;

    if (st->body_size < st->conf->body_check_limit) {
        st->body_size += (long long) len;
        if (!cleanup_maps_empty(st->conf->body_checks)) {
            vstr_reset(st->chk);
            vstr_addmem(st->chk, text, len);
            r = cleanup_check(st, st->conf->body_checks, "body", vstr_str(st->chk), st->tmp);
        }
    }
    if (r == 1)
        return;
    if (r == 2) {
        text = vstr_str(st->tmp);
        len = vstr_len(st->tmp);
    }
    cleanup_out_put(st, type, text, len);
}

/* MIME part or nested headers end: the body of that part follows. */
static void cleanup_mime_headers_end(CLEANUP_STATE *st)
{
    if (st->mime_state == CLEANUP_MIME_ST_BODY)
        return;
    cleanup_part_header_done(st);
    if (st->mime_state == CLEANUP_MIME_ST_PART && st->mime_next_nested)
        st->mime_state = CLEANUP_MIME_ST_NESTED;
    else
        st->mime_state = CLEANUP_MIME_ST_BODY;
    st->mime_next_nested = 0;
}

/*
 * A complete body line shorter than line_length_limit: a boundary opens
 * the headers of the next part (or closes its multipart), part and nested
 * headers are gathered and checked like the primary ones, the rest is body.
 */
static void cleanup_body_line(CLEANUP_STATE *st, const char *text, size_t len)
{
    size_t n = len;
    int b;

    if (st->mime_bounds->argc > 0
        && (b = cleanup_mime_boundary_line(text, len, st->mime_bounds)) != 0) {
        cleanup_part_header_done(st);
        st->mime_next_nested = 0;
        if (b < 0) {
            argv_truncate(st->mime_bounds, (size_t) (-b - 1));
            st->mime_state = CLEANUP_MIME_ST_BODY;
        } else {
            argv_truncate(st->mime_bounds, (size_t) b);
            st->mime_state = CLEANUP_MIME_ST_PART;
        }
        cleanup_body_write(st, QREC_NORM, text, len);
        return;
    }
    if (st->mime_state != CLEANUP_MIME_ST_BODY) {
        if (len == 0) {
            cleanup_mime_headers_end(st);
            cleanup_out_line(st, "", 0);
            return;
        }
        if ((text[0] == ' ' || text[0] == '\t') && vstr_len(st->hdr) > 0) {
            if (st->hdr_total + len + 1 <= st->conf->header_limit) {
                vstr_addch(st->hdr, '\n');
                vstr_addmem(st->hdr, text, len);
                st->hdr_total += len + 1;
            }
            return;
        }
        if (cleanup_header_name(text, &n) != 0) {
            cleanup_part_header_done(st);
            vstr_addmem(st->hdr, text, len);
            st->hdr_total = len + 1;
            return;
        }
        cleanup_mime_headers_end(st);
    }
    cleanup_body_write(st, QREC_NORM, text, len);
}

/* A whole body line in hand (the first one, when no empty line came). */
static void cleanup_body_full(CLEANUP_STATE *st, const char *text, size_t len)
{
    size_t limit = st->conf->line_limit;

    if (len < limit) {
        cleanup_body_line(st, text, len);
        return;
    }
    cleanup_mime_headers_end(st);
    while (len >= limit) {
        cleanup_body_write(st, QREC_CONT, text, limit);
        text += limit;
        len -= limit;
    }
    cleanup_body_write(st, QREC_NORM, text, len);
}

void cleanup_message_piece(CLEANUP_STATE *st, int type, char *data, size_t len)
{
    size_t limit = st->conf->line_limit;
    size_t i;

    st->content_size += (long long) len + (type == QREC_NORM);
    if (st->conf->size_limit > 0 && st->content_size > st->conf->size_limit
        && st->status == CLEANUP_STAT_OK) {
        msg_info("%s: reject: message size exceeds message_size_limit", st->queue_id);
        cleanup_reject(st, CLEANUP_STAT_SIZE, "5.3.4 Message too big for system");
    }
    if (st->status != CLEANUP_STAT_OK)
        return;
    if (st->conf->replace_stray)
        for (i = 0; i < len; i++)
            if (data[i] == '\r' || data[i] == '\n')
                data[i] = ' ';
    if (st->conf->have_reject_chars)
        for (i = 0; i < len; i++)
            if (st->conf->reject_chars[(unsigned char) data[i]]) {
                msg_info("%s: reject: disallowed character in the content (message_reject_characters)",
                         st->queue_id);
                cleanup_reject(st, CLEANUP_STAT_CONT, "5.3.0 Message content rejected");
                return;
            }
    if (st->conf->have_strip_chars) {
        size_t j = 0;

        for (i = 0; i < len; i++)
            if (!st->conf->strip_chars[(unsigned char) data[i]])
                data[j++] = data[i];
        len = j;
    }
    if (st->in_header) {
        /* A header line is gathered whole, within header_size_limit. */
        if (vstr_len(st->line) + len > st->conf->header_limit) {
            size_t room = st->conf->header_limit - vstr_len(st->line);

            if (!st->hdr_truncated)
                msg_warn("%s: header_size_limit exceeded: header truncated", st->queue_id);
            st->hdr_truncated = 1;
            len = room < len ? room : len;
        }
        vstr_addmem(st->line, data, len);
        if (type == QREC_NORM) {
            cleanup_header_line(st, vstr_str(st->line), vstr_len(st->line));
            vstr_reset(st->line);
        }
        return;
    }
    /* Body: pieces of exactly line_length_limit, then the rest as N. */
    vstr_addmem(st->line, data, len);
    while (vstr_len(st->line) >= limit && (vstr_len(st->line) > limit || type != QREC_NORM)) {
        if (!st->line_split)
            cleanup_mime_headers_end(st);
        st->line_split = 1;
        cleanup_body_write(st, QREC_CONT, vstr_str(st->line), limit);
        memmove(st->line->buf, st->line->buf + limit, vstr_len(st->line) - limit);
        vstr_truncate(st->line, vstr_len(st->line) - limit);
    }
    if (type == QREC_NORM) {
        if (!st->line_split && vstr_len(st->line) < limit) {
            cleanup_body_line(st, vstr_str(st->line), vstr_len(st->line));
        } else {
            cleanup_mime_headers_end(st);
            if (vstr_len(st->line) == limit) {
                cleanup_body_write(st, QREC_CONT, vstr_str(st->line), limit);
                vstr_reset(st->line);
            }
            cleanup_body_write(st, QREC_NORM, vstr_str(st->line), vstr_len(st->line));
        }
        vstr_reset(st->line);
        st->line_split = 0;
    }
}

void cleanup_message_end(CLEANUP_STATE *st)
{
    if (st->status != CLEANUP_STAT_OK)
        return;
    if (vstr_len(st->line) > 0)
        cleanup_message_piece(st, QREC_NORM, st->line->buf + vstr_len(st->line), 0);
    if (st->in_header)
        cleanup_headers_end(st);
    cleanup_part_header_done(st);
}
