/*
 * cleanup_state - one request's state: create, free, and the rejection
 * bookkeeping (see cleanup.h).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "mem.h"
#include "msg.h"

CLEANUP_STATE *cleanup_state_new(const CLEANUP_CONF *conf)
{
    CLEANUP_STATE *st = mem_calloc(1, sizeof(*st));

    st->conf = conf;
    st->fd = -1;
    st->path = vstr_new(0);
    st->reason = vstr_new(0);
    st->sender = vstr_new(0);
    st->full_name = vstr_new(0);
    st->submit_uid = -1;
    st->dsn_orcpt = vstr_new(0);
    st->orig_rcpt = vstr_new(0);
    st->first_rcpt = vstr_new(0);
    st->dups = htable_new(16);
    st->log_origin = vstr_new(0);
    st->log_helo = vstr_new(0);
    st->log_proto = vstr_new(0);
    st->hdr = vstr_new(0);
    st->line = vstr_new(0);
    st->mime_bounds = argv_new();
    st->msgid = vstr_new(0);
    st->extract = argv_new();
    st->extract_resent = argv_new();
    st->tmp = vstr_new(0);
    st->chk = vstr_new(0);
    st->filter = vstr_new(0);
    st->encoding = vstr_new(0);
    st->redirect = vstr_new(0);
    st->bcc = argv_new();
    return st;
}

void cleanup_state_free(CLEANUP_STATE *st)
{
    if (st->w != NULL)
        qfile_writer_free(st->w);
    if (st->fd >= 0)
        close(st->fd);
    vstr_free(st->path);
    vstr_free(st->reason);
    vstr_free(st->sender);
    vstr_free(st->full_name);
    vstr_free(st->dsn_orcpt);
    vstr_free(st->orig_rcpt);
    vstr_free(st->first_rcpt);
    htable_free(st->dups, NULL);
    vstr_free(st->log_origin);
    vstr_free(st->log_helo);
    vstr_free(st->log_proto);
    vstr_free(st->hdr);
    vstr_free(st->line);
    argv_free(st->mime_bounds);
    vstr_free(st->msgid);
    argv_free(st->extract);
    argv_free(st->extract_resent);
    vstr_free(st->tmp);
    vstr_free(st->chk);
    vstr_free(st->filter);
    vstr_free(st->encoding);
    vstr_free(st->redirect);
    argv_free(st->bcc);
    mem_free(st);
}

/* A buffer kept for the next request, or a fresh one when it grew big. */
static VSTR *cleanup_keep_vstr(VSTR *v)
{
    if (v->cap > CLEANUP_KEEP_MAX) {
        vstr_free(v);
        return vstr_new(0);
    }
    vstr_reset(v);
    return v;
}

static ARGV *cleanup_keep_argv(ARGV *a)
{
    argv_truncate(a, 0);
    return a;
}

/*
 * Make a used state as cleanup_state_new() makes one, keeping its buffers:
 * allocating and freeing its ~26 buffers for every message was a good part
 * of cleanup's work. The queue file is closed here.
 */
void cleanup_state_reset(CLEANUP_STATE *st)
{
    CLEANUP_STATE old = *st;

    if (st->w != NULL)
        qfile_writer_free(st->w);
    if (st->fd >= 0)
        close(st->fd);
    htable_free(st->dups, NULL);
    memset(st, 0, sizeof(*st));
    st->conf = old.conf;
    st->fd = -1;
    st->submit_uid = -1;
    st->path = cleanup_keep_vstr(old.path);
    st->reason = cleanup_keep_vstr(old.reason);
    st->sender = cleanup_keep_vstr(old.sender);
    st->full_name = cleanup_keep_vstr(old.full_name);
    st->dsn_orcpt = cleanup_keep_vstr(old.dsn_orcpt);
    st->orig_rcpt = cleanup_keep_vstr(old.orig_rcpt);
    st->first_rcpt = cleanup_keep_vstr(old.first_rcpt);
    st->dups = htable_new(16);
    st->log_origin = cleanup_keep_vstr(old.log_origin);
    st->log_helo = cleanup_keep_vstr(old.log_helo);
    st->log_proto = cleanup_keep_vstr(old.log_proto);
    st->hdr = cleanup_keep_vstr(old.hdr);
    st->line = cleanup_keep_vstr(old.line);
    st->mime_bounds = cleanup_keep_argv(old.mime_bounds);
    st->msgid = cleanup_keep_vstr(old.msgid);
    st->extract = cleanup_keep_argv(old.extract);
    st->extract_resent = cleanup_keep_argv(old.extract_resent);
    st->tmp = cleanup_keep_vstr(old.tmp);
    st->chk = cleanup_keep_vstr(old.chk);
    st->filter = cleanup_keep_vstr(old.filter);
    st->encoding = cleanup_keep_vstr(old.encoding);
    st->redirect = cleanup_keep_vstr(old.redirect);
    st->bcc = cleanup_keep_argv(old.bcc);
}

/* The client's request flags. */
void cleanup_flags(CLEANUP_STATE *st, int flags)
{
    st->flags = flags;
    if (flags & CLEANUP_FLAG_HOLD)
        st->hold = 1;
    if (flags & CLEANUP_FLAG_DISCARD)
        st->discard = 1;
    if (flags & CLEANUP_FLAG_SMTPUTF8)
        st->smtputf8 = CLEANUP_UTF8_REQUESTED;
}

/* The first problem wins the reason; every status bit is kept. */
void cleanup_reject(CLEANUP_STATE *st, int status, const char *reason)
{
    if (st->status == CLEANUP_STAT_OK)
        vstr_set(st->reason, reason);
    st->status |= status;
}

static void cleanup_protocol_error(CLEANUP_STATE *st, const char *what, int type)
{
    if ((st->status & CLEANUP_STAT_BAD) == 0)
        msg_warn("%s: %s (record type %d)", st->queue_id, what, type);
    cleanup_reject(st, CLEANUP_STAT_BAD, "4.3.0 Internal protocol error");
}

/* The recipients taken from To/Cc/Bcc (or their Resent- versions). */
static void cleanup_extract_out(CLEANUP_STATE *st)
{
    ARGV *list = st->extract_resent->argc > 0 ? st->extract_resent : st->extract;
    size_t i;

    for (i = 0; i < list->argc; i++)
        cleanup_rcpt_out(st, list->argv[i], list->argv[i], NULL, 0);
}

/* One record in its segment; returns 1 after E. */
int cleanup_record(CLEANUP_STATE *st, int type, char *data, size_t len)
{
    switch (st->segment) {
    case CLEANUP_SEG_ENV:
        if (type == QREC_MESG) {
            cleanup_envelope_end(st);
            cleanup_out_put(st, QREC_MESG, "", 0);
            cleanup_message_begin(st);
            st->segment = CLEANUP_SEG_CONTENT;
        } else if (type == QREC_END || type == QREC_XTRA) {
            cleanup_protocol_error(st, "no message content", type);
            return type == QREC_END;
        } else {
            cleanup_envelope(st, type, data, len);
        }
        return 0;
    case CLEANUP_SEG_CONTENT:
        if (type == QREC_NORM || type == QREC_CONT) {
            cleanup_message_piece(st, type, data, len);
        } else if (type == QREC_XTRA) {
            cleanup_message_end(st);
            cleanup_out_put(st, QREC_XTRA, "", 0);
            cleanup_extracted_begin(st);
            cleanup_extract_out(st);
            st->segment = CLEANUP_SEG_EXTRA;
        } else {
            cleanup_protocol_error(st, "unexpected record in the content", type);
            return type == QREC_END;
        }
        return 0;
    case CLEANUP_SEG_EXTRA:
        if (type == QREC_END) {
            cleanup_extracted_end(st);
            cleanup_out_put(st, QREC_END, "", 0);
            st->segment = CLEANUP_SEG_DONE;
            return 1;
        }
        cleanup_extracted(st, type, data, len);
        return 0;
    }
    return 1;
}

/* Write the file out (or remove it) and say how it went. */
void cleanup_conclude(CLEANUP_STATE *st)
{
    if (st->status == CLEANUP_STAT_OK && !st->discard) {
        if (cleanup_out_finish(st) < 0)
            cleanup_reject(st, CLEANUP_STAT_WRITE, "4.3.0 Error: queue file write error");
    }
    if (st->status != CLEANUP_STAT_OK || st->discard)
        cleanup_out_remove(st);
}

/* Release what the configuration opened (tables, lists); NULL members are fine. */
void cleanup_conf_free(CLEANUP_CONF *c)
{
    argv_free(c->drop_headers);
    argv_free(c->masq_domains);
    argv_free(c->masq_exceptions);
    cleanup_maps_free(c->canonical);
    cleanup_maps_free(c->sender_canonical);
    cleanup_maps_free(c->rcpt_canonical);
    cleanup_maps_free(c->virtual_alias);
    cleanup_maps_free(c->sender_bcc);
    cleanup_maps_free(c->rcpt_bcc);
    cleanup_maps_free(c->header_checks);
    cleanup_maps_free(c->body_checks);
    cleanup_maps_free(c->mime_header_checks);
    cleanup_maps_free(c->nested_header_checks);
    match_list_free(c->mydestination);
}
