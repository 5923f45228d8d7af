/*
 * cleanup_envelope - the envelope records of a request, and the recipients
 * of its extracted segment.
 *
 * Records accepted from the client, in the envelope (before M):
 *   T "sec usec"     arrival time, the first one wins; cleanup writes it,
 *                    then "A create_time=now"
 *   F name           sender full name (for an added From:)
 *   A name=value     passed through, except submit_uid (pickup's: the
 *                    submitting user, for the added Received:), and
 *                    notify_flags/dsn_orig_rcpt (DSN data of the next
 *                    recipient, as Postfix's clients send them)
 *   i envid, < ret   DSN ENVID and RET: written as A envelope_id= and
 *                    A ret_flags=
 *   S sender         once, before any recipient; rewritten (context,
 *                    canonical, masquerade); before the first recipient
 *                    record a W record (arrival + delay_warning_time) when
 *                    that is set and the sender is not null
 *   n, o, O          NOTIFY, ORCPT and original address of the next R
 *   R recipient      rewritten, expanded (virtual aliases), written as
 *                    [A notify_flags] A dsn_orig_rcpt O R per final
 *                    recipient, duplicates dropped (duplicate_filter_limit)
 * The extracted segment (after X) takes the same recipient records and
 * A records. Anything else is a protocol error (CLEANUP_STAT_BAD).
 * With CLEANUP_FLAG_BCC_OK: sender_bcc_maps adds a recipient after S,
 * recipient_bcc_maps one after each recipient, always_bcc one at the end
 * of the extracted segment (each written as its own original recipient).
 * The extracted segment starts with the L record of a FILTER action, the >
 * record of a REDIRECT action (both for qmgr) and the envelope's encoding
 * attribute once more; it ends with the recipients of BCC check actions
 * and always_bcc, as Postfix writes them.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cleanup.h"
#include "cleanup_client.h"
#include "cleanup_rewrite.h"
#include "cleanup_valias.h"
#include "msg.h"
#include "strutil.h"

#define CLEANUP_ATTR_NAME_MAX 100

static void cleanup_bad(CLEANUP_STATE *st, const char *what)
{
    if (st->status & CLEANUP_STAT_BAD)
        return;
    msg_warn("%s: %s", st->queue_id, what);
    cleanup_reject(st, CLEANUP_STAT_BAD, "4.3.0 Internal protocol error");
}

int cleanup_has_8bit(const char *text)
{
    for (; *text != 0; text++)
        if ((unsigned char) *text >= 0x80)
            return 1;
    return 0;
}

static int cleanup_text_ok(const char *data, size_t len)
{
    return memchr(data, 0, len) == NULL;
}

/* Rewrite a sender or recipient for its class; -1 on a lookup failure. */
static int cleanup_rewrite_env(CLEANUP_STATE *st, int class, VSTR *addr)
{
    cleanup_rewrite_context(st->conf, st->local, addr);
    if (cleanup_canonical(st->conf, class, addr) < 0) {
        msg_warn("%s: canonical_maps lookup failure for %s", st->queue_id, vstr_str(addr));
        cleanup_reject(st, CLEANUP_STAT_DEFER, "4.3.0 Address rewriting lookup failure");
        return -1;
    }
    cleanup_masquerade(st->conf, class, addr);
    return 0;
}

static void cleanup_dsn_reset(CLEANUP_STATE *st)
{
    vstr_reset(st->dsn_orcpt);
    vstr_reset(st->orig_rcpt);
    st->dsn_notify = 0;
    st->have_orig = 0;
}

/* Write one final recipient unless it is a duplicate. */
static void cleanup_rcpt_write(CLEANUP_STATE *st, const char *rcpt, const char *orig,
                               const char *dsn_orcpt, int notify)
{
    VSTR *key = st->tmp;
    char num[32];

    /* "notify\ndsn_orcpt\norig\nrcpt", built without vsnprintf (hot path) */
    snprintf(num, sizeof(num), "%d", notify);
    vstr_set(key, num);
    vstr_addch(key, '\n');
    vstr_adds(key, dsn_orcpt);
    vstr_addch(key, '\n');
    vstr_adds(key, orig);
    vstr_addch(key, '\n');
    vstr_adds(key, rcpt);
    if (htable_has(st->dups, vstr_str(key)))
        return;
    if (st->dup_count < st->conf->dup_limit) {
        htable_put(st->dups, vstr_str(key), NULL);
        st->dup_count++;
    }
    if (notify != 0) {
        snprintf(num, sizeof(num), "%d", notify);
        cleanup_out_attr(st, "notify_flags", num);
    }
    cleanup_out_attr(st, "dsn_orig_rcpt", dsn_orcpt);
    if (st->conf->original_rcpt)
        cleanup_out_puts(st, QREC_ORCP, orig);
    cleanup_out_puts(st, QREC_RCPT, rcpt);
    st->rcpt_count++;
    st->qmgr_opts |= (long) notify << 1;
    if (cleanup_has_8bit(rcpt))
        st->smtputf8 |= CLEANUP_UTF8_REQUESTED;
    if (vstr_len(st->first_rcpt) == 0)
        vstr_set(st->first_rcpt, rcpt);
}

/* Expand a rewritten recipient (virtual aliases) and write the finals. */
static void cleanup_rcpt_expand(CLEANUP_STATE *st, const char *addr, const char *orig,
                                const char *orcpt, int notify)
{
    ARGV *finals = argv_new();
    VSTR *why = vstr_new(0);
    size_t i;

    if ((st->flags & CLEANUP_FLAG_MAP_OK) == 0 || *addr == 0)
        argv_add(finals, addr);
    else if (cleanup_valias_expand(st->conf, addr, finals, why) < 0) {
        msg_warn("%s: %s -- message not accepted", st->queue_id, vstr_str(why));
        cleanup_reject(st, CLEANUP_STAT_DEFER, "4.6.0 Alias expansion error");
    }
    for (i = 0; i < finals->argc && st->status == CLEANUP_STAT_OK; i++)
        cleanup_rcpt_write(st, finals->argv[i], orig, orcpt, notify);
    argv_free(finals);
    vstr_free(why);
}

/*
 * A BCC recipient (always_bcc, sender_bcc_maps, recipient_bcc_maps): the
 * first address of the value, qualified, written as its own original
 * recipient with no DSN data; it does not lead to further BCC lookups.
 */
static void cleanup_bcc(CLEANUP_STATE *st, const char *value)
{
    VSTR *why = vstr_new(0);
    VSTR *addr = vstr_new(0);
    VSTR *orcpt = vstr_new(0);
    ADDR_LIST *list = addr_list_parse(value, why);

    if (list != NULL && list->count > 0 && *list->items[0].addr != 0) {
        vstr_set(addr, list->items[0].addr);
        cleanup_rewrite_context(st->conf, 1, addr);
        vstr_printf(orcpt, "rfc822;%s", vstr_str(addr));
        cleanup_rcpt_expand(st, vstr_str(addr), vstr_str(addr), vstr_str(orcpt), 0);
    } else {
        msg_warn("%s: malformed BCC address: %.100s", st->queue_id, value);
    }
    if (list != NULL)
        addr_list_free(list);
    vstr_free(why);
    vstr_free(addr);
    vstr_free(orcpt);
}

/* sender_bcc_maps or recipient_bcc_maps for one address. */
static void cleanup_bcc_lookup(CLEANUP_STATE *st, CLEANUP_MAPS *maps, const char *addr)
{
    VSTR *value;
    int r;

    if ((st->flags & CLEANUP_FLAG_BCC_OK) == 0 || cleanup_maps_empty(maps) || *addr == 0
        || st->status != CLEANUP_STAT_OK)
        return;
    value = vstr_new(0);
    r = cleanup_addr_lookup(st->conf, maps, addr, 0, value);
    if (r < 0) {
        msg_warn("%s: %s lookup failure for %s", st->queue_id, maps->title, addr);
        cleanup_reject(st, CLEANUP_STAT_DEFER, "4.3.0 BCC lookup failure");
    } else if (r > 0) {
        cleanup_bcc(st, vstr_str(value));
    }
    vstr_free(value);
}

/*
 * A recipient as received (already unquoted, not yet rewritten): rewrite,
 * expand virtual aliases, write the finals, then its recipient_bcc_maps
 * entry. orig is what the client gave as the original recipient (the
 * recipient itself when it gave none).
 */
void cleanup_rcpt_out(CLEANUP_STATE *st, const char *rcpt, const char *orig,
                      const char *dsn_orcpt, int notify)
{
    VSTR *addr = vstr_new(0);
    VSTR *orcpt = vstr_new(0);

    if (dsn_orcpt != NULL && *dsn_orcpt != 0)
        vstr_set(orcpt, dsn_orcpt);
    else
        vstr_printf(orcpt, "rfc822;%s", orig);
    /*
     * The null recipient (sendmail 'undisclosed-recipients:;' writes one,
     * as Postfix's does) goes to empty_address_recipient, as in Postfix.
     */
    if (*rcpt == 0 && st->conf->empty_rcpt != NULL && *st->conf->empty_rcpt != 0)
        rcpt = st->conf->empty_rcpt;
    vstr_set(addr, rcpt);
    if (cleanup_rewrite_env(st, CLEANUP_CLASS_ENV_RCPT, addr) == 0) {
        cleanup_rcpt_expand(st, vstr_str(addr), orig, vstr_str(orcpt), notify);
        cleanup_bcc_lookup(st, st->conf->rcpt_bcc, vstr_str(addr));
    }
    vstr_free(addr);
    vstr_free(orcpt);
}

/* The DSN and original-recipient records that come before an R. */
static int cleanup_rcpt_prefix(CLEANUP_STATE *st, int type, const char *data)
{
    long n;

    switch (type) {
    case QREC_DSN_NOTIFY:
        if (str_parse_long(data, 0, 255, &n) < 0) {
            cleanup_bad(st, "malformed DSN NOTIFY record");
            return 1;
        }
        st->dsn_notify = (int) n;
        return 1;
    case QREC_DSN_ORCPT:
        vstr_set(st->dsn_orcpt, data);
        return 1;
    case QREC_ORCP:
        vstr_set(st->orig_rcpt, data);
        st->have_orig = 1;
        return 1;
    case QREC_RCPT:
        cleanup_rcpt_out(st, data, st->have_orig ? vstr_str(st->orig_rcpt) : data,
                         vstr_str(st->dsn_orcpt), st->dsn_notify);
        cleanup_dsn_reset(st);
        return 1;
    }
    return 0;
}

/* "name=value" attributes: returns 1 when handled here (not written). */
static int cleanup_attr_special(CLEANUP_STATE *st, const char *name, const char *value)
{
    long n;

    if (strcmp(name, "notify_flags") == 0) {
        if (str_parse_long(value, 0, 255, &n) < 0)
            cleanup_bad(st, "malformed notify_flags attribute");
        else
            st->dsn_notify = (int) n;
        return 1;
    }
    if (strcmp(name, "dsn_orig_rcpt") == 0) {
        vstr_set(st->dsn_orcpt, value);
        return 1;
    }
    if (strcmp(name, "submit_uid") == 0) {
        if (str_parse_long(value, 0, 0x7fffffffL, &n) < 0)
            cleanup_bad(st, "malformed submit_uid attribute");
        else
            st->submit_uid = n;
        return 1;
    }
    return 0;
}

static void cleanup_attr_rec(CLEANUP_STATE *st, const char *data, size_t len)
{
    const char *eq = memchr(data, '=', len);
    char name[CLEANUP_ATTR_NAME_MAX + 1];
    size_t nlen;
    size_t i;
    const char *value;

    if (eq == NULL || eq == data || (nlen = (size_t) (eq - data)) > CLEANUP_ATTR_NAME_MAX) {
        cleanup_bad(st, "malformed attribute record");
        return;
    }
    for (i = 0; i < nlen; i++) {
        if (!isalnum((unsigned char) data[i]) && data[i] != '_' && data[i] != '-') {
            cleanup_bad(st, "malformed attribute name");
            return;
        }
        name[i] = data[i];
    }
    name[nlen] = 0;
    value = eq + 1;
    if (cleanup_attr_special(st, name, value))
        return;
    if (strcmp(name, "rewrite_context") == 0)
        st->local = (strcmp(value, "local") == 0);
    else if (strcmp(name, "log_message_origin") == 0)
        vstr_set(st->log_origin, value);
    else if (strcmp(name, "log_helo_name") == 0)
        vstr_set(st->log_helo, value);
    else if (strcmp(name, "log_protocol_name") == 0)
        vstr_set(st->log_proto, value);
    else if (strcmp(name, "encoding") == 0 && st->segment == CLEANUP_SEG_ENV)
        vstr_set(st->encoding, value);
    cleanup_out_put(st, QREC_ATTR, data, len);
}

static void cleanup_time_rec(CLEANUP_STATE *st, const char *data)
{
    long sec = 0, usec = 0;
    char extra;

    if (st->seen_time)
        return;
    if (sscanf(data, "%ld %ld%c", &sec, &usec, &extra) != 2 || sec < 0 || sec > 0x7fffffffffL
        || usec < 0 || usec > 999999) {
        cleanup_bad(st, "malformed time record");
        return;
    }
    st->seen_time = 1;
    st->arrival_sec = sec;
    st->arrival_usec = usec;
    if (st->status == CLEANUP_STAT_OK)
        qfile_put_time(st->w, sec, usec);
    vstr_sprintf(st->tmp, "%ld", (long) time(NULL));
    cleanup_out_attr(st, "create_time", vstr_str(st->tmp));
}

static void cleanup_sender_rec(CLEANUP_STATE *st, const char *data)
{
    if (st->seen_sender) {
        cleanup_bad(st, "more than one sender record");
        return;
    }
    st->seen_sender = 1;
    vstr_set(st->sender, data);
    if (cleanup_has_8bit(data))
        st->smtputf8 |= CLEANUP_UTF8_SENDER;
    if (cleanup_rewrite_env(st, CLEANUP_CLASS_ENV_FROM, st->sender) < 0)
        return;
    cleanup_out_puts(st, QREC_FROM, vstr_str(st->sender));
    cleanup_bcc_lookup(st, st->conf->sender_bcc, vstr_str(st->sender));
}

/*
 * Before the first recipient: the sender must be known, and the time of
 * the delay warning (delay_warning_time) goes out, as Postfix writes it.
 */
static int cleanup_rcpt_start(CLEANUP_STATE *st)
{
    if (st->in_rcpt)
        return 0;
    if (!st->seen_sender) {
        cleanup_bad(st, "envelope recipient precedes sender");
        return -1;
    }
    st->in_rcpt = 1;
    if (st->conf->delay_warn > 0 && vstr_len(st->sender) > 0 && st->w != NULL
        && st->status == CLEANUP_STAT_OK)
        qfile_putf(st->w, QREC_WARN, "%15ld", st->arrival_sec + st->conf->delay_warn);
    return 0;
}

void cleanup_envelope(CLEANUP_STATE *st, int type, const char *data, size_t len)
{
    if (!cleanup_text_ok(data, len)) {
        cleanup_bad(st, "NUL byte in an envelope record");
        return;
    }
    if ((type == QREC_RCPT || type == QREC_ORCP || type == QREC_DSN_NOTIFY
         || type == QREC_DSN_ORCPT) && cleanup_rcpt_start(st) < 0)
        return;
    if (cleanup_rcpt_prefix(st, type, data))
        return;
    switch (type) {
    case QREC_TIME:
        cleanup_time_rec(st, data);
        break;
    case QREC_FULL:
        vstr_set(st->full_name, data);
        cleanup_out_put(st, QREC_FULL, data, len);
        break;
    case QREC_ATTR:
        cleanup_attr_rec(st, data, len);
        break;
    case QREC_DSN_ENVID:
        cleanup_out_attr(st, "envelope_id", data);
        break;
    case QREC_DSN_RET:
        cleanup_out_attr(st, "ret_flags", data);
        break;
    case QREC_FROM:
        cleanup_sender_rec(st, data);
        break;
    default:
        vstr_sprintf(st->tmp, "unexpected record type %d in the envelope", type);
        cleanup_bad(st, vstr_str(st->tmp));
        break;
    }
}

void cleanup_envelope_end(CLEANUP_STATE *st)
{
    if (!st->seen_sender)
        cleanup_bad(st, "no sender record");
    if (!st->seen_time) {
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        vstr_sprintf(st->tmp, "%ld %ld", (long) now.tv_sec, (long) now.tv_nsec / 1000);
        cleanup_time_rec(st, vstr_str(st->tmp));
    }
}

void cleanup_extracted(CLEANUP_STATE *st, int type, const char *data, size_t len)
{
    if (!cleanup_text_ok(data, len)) {
        cleanup_bad(st, "NUL byte in an extracted record");
        return;
    }
    if (cleanup_rcpt_prefix(st, type, data))
        return;
    if (type == QREC_ATTR) {
        cleanup_attr_rec(st, data, len);
        return;
    }
    vstr_sprintf(st->tmp, "unexpected record type %d in the extracted segment", type);
    cleanup_bad(st, vstr_str(st->tmp));
}

/* The > record of a REDIRECT action: one qualified address. */
static void cleanup_redirect(CLEANUP_STATE *st)
{
    VSTR *addr = vstr_new(0);
    VSTR *why = vstr_new(0);
    ADDR_LIST *list = addr_list_parse(vstr_str(st->redirect), why);

    if (list != NULL && list->count > 0 && *list->items[0].addr != 0) {
        vstr_set(addr, list->items[0].addr);
        cleanup_rewrite_context(st->conf, 1, addr);
        cleanup_out_puts(st, QREC_RDR, vstr_str(addr));
    } else {
        msg_warn("%s: malformed REDIRECT address: %.100s", st->queue_id, vstr_str(st->redirect));
    }
    if (list != NULL)
        addr_list_free(list);
    vstr_free(addr);
    vstr_free(why);
}

/*
 * Right after X, before any extracted recipient: the L record of a FILTER
 * action, the > record of a REDIRECT action, and the envelope's encoding
 * attribute again, in Postfix's order.
 */
void cleanup_extracted_begin(CLEANUP_STATE *st)
{
    if (vstr_len(st->filter) > 0)
        cleanup_out_puts(st, QREC_FILT, vstr_str(st->filter));
    if (vstr_len(st->redirect) > 0)
        cleanup_redirect(st);
    if (vstr_len(st->encoding) > 0)
        cleanup_out_attr(st, "encoding", vstr_str(st->encoding));
}

void cleanup_extracted_end(CLEANUP_STATE *st)
{
    size_t i;

    if (st->status == CLEANUP_STAT_OK && st->rcpt_count == 0 && !st->discard)
        cleanup_reject(st, CLEANUP_STAT_RCPT, "5.1.0 No recipients specified");
    for (i = 0; i < st->bcc->argc && st->status == CLEANUP_STAT_OK; i++)
        cleanup_bcc(st, st->bcc->argv[i]);
    if ((st->flags & CLEANUP_FLAG_BCC_OK) && *st->conf->always_bcc != 0
        && st->status == CLEANUP_STAT_OK)
        cleanup_bcc(st, st->conf->always_bcc);

}
