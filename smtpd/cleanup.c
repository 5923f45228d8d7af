/*
 * cleanup - the cleanup daemon: turns a message that smtpd or pickup
 * streams to it into a complete, durable queue file.
 *
 * master.cf: cleanup unix n - y - 0 cleanup (chrooted, unprivileged, one
 * client at a time per process). The conversation is lib/cleanup_client.h's;
 * the modules are listed in cleanup.h. A connection carries one message
 * after another while the client sends them (smtpd and pickup keep theirs
 * for the next message); each message counts as one of max_use, and a
 * connection with no next request within CLEANUP_REUSE_IDLE_MS is closed.
 *
 * TRUST. Nothing the client sends is trusted: every record type is checked
 * against the segment it arrives in, every record is at most
 * CLEANUP_REC_MAX bytes, each record must arrive within ipc_timeout, and
 * the content is streamed to the queue file (memory stays flat). The
 * tables (canonical, virtual alias, header and body checks) are opened as
 * root before the chroot, and read afterwards.
 *
 * A request ends in one of three ways: a success reply after the file is
 * complete (or, for DISCARD, removed); an error reply (status bits, reason)
 * after the file is removed; or, when the client goes away or breaks the
 * record framing, no reply and the file removed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup.h"
#include "cleanup_client.h"
#include "cleanup_rewrite.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "stream.h"

#define CLEANUP_REC_MAX (64 * 1024)  /* bytes in one record from a client */

/* Results of cleanup_read_record(). */
#define CLEANUP_REC_OK    1
#define CLEANUP_REC_EOF   0
#define CLEANUP_REC_ERR   (-1)

/*
 * One record from the client: type byte, length (lib/qfile.h encoding),
 * data. The data is NUL-terminated in buf (it may hold NUL bytes itself).
 */
static int cleanup_read_record(STREAM *s, int *type, VSTR *buf, VSTR *why)
{
    unsigned char lenbuf[QFILE_LEN_MAX_BYTES];
    size_t used = 0, len = 0, got = 0;
    int c, r;

    stream_read_begin(s);
    if ((c = stream_getc(s)) < 0) {
        stream_read_end(s);
        if (stream_eof(s))
            return CLEANUP_REC_EOF;
        vstr_set(why, stream_why(s));
        return CLEANUP_REC_ERR;
    }
    *type = c;
    for (;;) {
        if (got >= sizeof(lenbuf)) {
            vstr_set(why, "malformed record length");
            return CLEANUP_REC_ERR;
        }
        if ((c = stream_getc(s)) < 0) {
            vstr_set(why, stream_eof(s) ? "unexpected end of input" : stream_why(s));
            return CLEANUP_REC_ERR;
        }
        lenbuf[got++] = (unsigned char) c;
        r = qfile_len_decode(lenbuf, got, &len, &used);
        if (r < 0) {
            vstr_set(why, "malformed record length");
            return CLEANUP_REC_ERR;
        }
        if (r == 1)
            break;
    }
    if (len > CLEANUP_REC_MAX) {
        vstr_sprintf(why, "record of %zu bytes exceeds the limit of %d", len, CLEANUP_REC_MAX);
        return CLEANUP_REC_ERR;
    }
    vstr_reset(buf);
    vstr_reserve(buf, len + 1);
    if (len > 0 && stream_read(s, buf->buf, len) != (ssize_t) len) {
        vstr_set(why, stream_error(s) ? stream_why(s) : "unexpected end of input");
        return CLEANUP_REC_ERR;
    }
    buf->len = len;
    buf->buf[len] = 0;
    stream_read_end(s);
    return CLEANUP_REC_OK;
}

/* One request's state, reset and reused by the next request (see cleanup_state_reset()). */
static CLEANUP_STATE *cleanup_reuse;

/*
 * How long a connection may wait for its next request. smtpd and pickup keep
 * their connection for the next message (lib/cleanup_client.h); while one is
 * kept this process is busy for master, so the wait is short: a busy client
 * comes back within milliseconds, an idle one reconnects.
 */
#define CLEANUP_REUSE_IDLE_MS 2000

/* Results of cleanup_request(). */
#define CLEANUP_REQ_DONE  0    /* replied: the connection may carry another request */
#define CLEANUP_REQ_CLOSE (-1) /* no reply (abort, EOF, bad input): close */

/*
 * Step 1 and 2 of a request: the queue id out, the flags in. The first
 * request of a connection starts with the queue id (the client waits for
 * it); a later one starts with the client's flags, so a client that hung up
 * instead costs no queue file.
 */
static int cleanup_request_start(SERVER *srv, CLEANUP_STATE *st, STREAM *s, int first,
                                 int timeout_ms)
{
    int r;

    if (!first) {
        /* The wait for the next request is short: CLEANUP_REUSE_IDLE_MS. */
        stream_set_limits(s, CLEANUP_REUSE_IDLE_MS, 4096);
        r = attr_scan(s, 0, ATTR_IN_INT("flags", &st->flags));
        if (r == ATTR_EOF && stream_error(s) == STREAM_ERR_NONE)
            return -1; /* the client is done with this connection */
        if (r != ATTR_OK && stream_error(s) == STREAM_ERR_TIMEOUT && stream_read_count(s) == 0)
            return -1; /* no next request within the idle time */
        if (r != ATTR_OK) {
            msg_warn("cleanup request: %s",
                     *stream_why(s) ? stream_why(s) : "malformed flags attribute");
            return -1;
        }
        server_single_request(srv); /* it came: one more use of the process */
        stream_set_limits(s, timeout_ms, 4096);
        if (cleanup_out_create(st) < 0)
            return -1;
        if (attr_print(s, 0, ATTR_OUT_STR("queue_id", st->queue_id)) < 0) {
            msg_warn("%s: cleanup request: %s", st->queue_id, stream_why(s));
            cleanup_out_remove(st);
            return -1;
        }
        return 0;
    }
    stream_set_limits(s, timeout_ms, 4096);
    if (cleanup_out_create(st) < 0)
        return -1;
    if (attr_print(s, 0, ATTR_OUT_STR("queue_id", st->queue_id)) < 0
        || (r = attr_scan(s, 0, ATTR_IN_INT("flags", &st->flags))) != ATTR_OK) {
        /* A client that closes before its first record aborted: normal
         * (smtpd after RCPT and QUIT or RSET), as silent as Postfix. */
        if (!stream_eof(s) || stream_error(s) != STREAM_ERR_NONE)
            msg_warn("%s: cleanup request: %s", st->queue_id,
                     *stream_why(s) ? stream_why(s) : "malformed flags attribute");
        cleanup_out_remove(st);
        return -1;
    }
    return 0;
}

/* One message on the connection: CLEANUP_REQ_DONE after a reply, else CLEANUP_REQ_CLOSE. */
static int cleanup_request(SERVER *srv, CLEANUP_STATE *st, STREAM *s, int first, int timeout_ms,
                           VSTR *rec, VSTR *why)
{
    int type = 0;
    int r;

    if (cleanup_request_start(srv, st, s, first, timeout_ms) < 0)
        return CLEANUP_REQ_CLOSE;
    cleanup_flags(st, st->flags);
    stream_set_limits(s, timeout_ms, 0);
    for (;;) {
        r = cleanup_read_record(s, &type, rec, why);
        if (r != CLEANUP_REC_OK) {
            /* The client went away between records (an abort, normal:
             * info) or broke the framing (a warning): no reply. */
            if (r == CLEANUP_REC_EOF)
                msg_info("%s: unexpected EOF from the client: message not queued",
                         st->queue_id);
            else
                msg_warn("%s: bad input: %s", st->queue_id, vstr_str(why));
            cleanup_out_remove(st);
            return CLEANUP_REQ_CLOSE;
        }
        if (cleanup_record(st, type, rec->buf, vstr_len(rec)))
            break;
    }
    cleanup_conclude(st);
    if (attr_print(s, 0, ATTR_OUT_INT("status", st->status),
                   ATTR_OUT_STR("reason", st->status ? vstr_str(st->reason) : "")) < 0) {
        msg_warn("%s: reply to the client: %s", st->queue_id, stream_why(s));
        return CLEANUP_REQ_CLOSE;
    }
    return CLEANUP_REQ_DONE;
}

/*
 * A connection: requests one after another while the client keeps sending
 * them (each counts as a use once it arrives: server_single_request(); the
 * wait for the next one is bounded by CLEANUP_REUSE_IDLE_MS).
 */
static void cleanup_service(SERVER *srv, int fd)
{
    const CLEANUP_CONF *conf = srv->context;
    CLEANUP_STATE *st = cleanup_reuse != NULL ? cleanup_reuse : cleanup_state_new(conf);
    STREAM *s = stream_open(fd, 0);
    VSTR *rec = vstr_new(0);
    VSTR *why = vstr_new(0);
    int timeout_ms = (int) (conf_get_time("ipc_timeout") * 1000);
    int first = 1;
    int r;

    cleanup_reuse = st;
    for (;;) {
        r = cleanup_request(srv, st, s, first, timeout_ms, rec, why);
        cleanup_state_reset(st);
        if (r != CLEANUP_REQ_DONE || !server_single_next(srv))
            break;
        first = 0;
    }
    stream_free(s);
    vstr_free(rec);
    vstr_free(why);
}

/* ---------------------------------------------------------------- config */

static CLEANUP_MAPS *cleanup_open_maps(const char *name)
{
    VSTR *why = vstr_new(0);
    CLEANUP_MAPS *m = cleanup_maps_open(name, conf_get(name), why);

    if (m == NULL)
        msg_fatal("%s", vstr_str(why));
    vstr_free(why);
    return m;
}

/* Whether a comma/space list names word. */
static int cleanup_word_listed(const char *list, const char *word)
{
    ARGV *words = argv_split(list, ", \t\r\n");
    size_t i;
    int found = 0;

    for (i = 0; i < words->argc && !found; i++)
        found = strcasecmp(words->argv[i], word) == 0;
    argv_free(words);
    return found;
}

static void cleanup_pre_jail(SERVER *srv)
{
    CLEANUP_CONF *c = srv->context;
    VSTR *why = vstr_new(0);
    VSTR *path = vstr_new(0);

    /* Load the time zone now: /etc/localtime is not there after the chroot. */
    tzset();
    c->myhostname = conf_get("myhostname");
    c->myorigin = conf_get("myorigin");
    c->mydomain = conf_get("mydomain");
    c->mail_name = conf_get("mail_name");
    c->remote_header_domain = conf_get("remote_header_rewrite_domain");
    c->rcpt_delim = conf_get("recipient_delimiter");
    c->undisclosed = conf_get("undisclosed_recipients_header");
    c->empty_rcpt = conf_get("empty_address_recipient");
    c->always_bcc = conf_get("always_bcc");
    c->long_ids = conf_get_bool("enable_long_queue_ids");
    /* queue_directory_fsync is Postern's own (default yes). */
    c->dir_fsync = conf_get_bool("queue_directory_fsync");
    c->append_at_myorigin = conf_get_bool("append_at_myorigin");
    c->append_dot_mydomain = conf_get_bool("append_dot_mydomain");
    c->always_add_missing = conf_get_bool("always_add_missing_headers");
    c->original_rcpt = conf_get_bool("enable_original_recipient");
    c->replace_stray = conf_get_bool("cleanup_replace_stray_cr_lf");
    c->size_limit = conf_get_size("message_size_limit");
    c->hop_limit = conf_get_int("hopcount_limit");
    c->header_limit = (size_t) conf_get_size("header_size_limit");
    c->line_limit = (size_t) conf_get_int("line_length_limit");
    if (c->line_limit < 40)
        c->line_limit = 40;
    if (c->header_limit < c->line_limit)
        c->header_limit = c->line_limit;
    c->body_check_limit = conf_get_size("body_checks_size_limit");
    c->dup_limit = conf_get_int("duplicate_filter_limit");
    c->delay_warn = conf_get_time("delay_warning_time");
    c->valias_recursion = conf_get_int("virtual_alias_recursion_limit");
    c->valias_expansion = conf_get_int("virtual_alias_expansion_limit");
    c->valias_addr_len = (size_t) conf_get_int("virtual_alias_address_length_limit");
    c->propagate_canonical = cleanup_word_listed(conf_get("propagate_unmatched_extensions"),
                                                 "canonical");
    c->propagate_virtual = cleanup_word_listed(conf_get("propagate_unmatched_extensions"),
                                               "virtual");
    c->canon_classes = cleanup_classes(conf_get("canonical_classes"));
    c->sender_canon_classes = cleanup_classes(conf_get("sender_canonical_classes"));
    c->rcpt_canon_classes = cleanup_classes(conf_get("recipient_canonical_classes"));
    c->masq_classes = cleanup_classes(conf_get("masquerade_classes"));
    c->drop_headers = argv_split(conf_get("message_drop_headers"), ", \t\r\n");
    if ((c->have_reject_chars = cleanup_char_set(conf_get("message_reject_characters"),
                                                 c->reject_chars)) < 0)
        msg_fatal("message_reject_characters: bad \\x escape");
    if ((c->have_strip_chars = cleanup_char_set(conf_get("message_strip_characters"),
                                                c->strip_chars)) < 0)
        msg_fatal("message_strip_characters: bad \\x escape");
    c->masq_domains = argv_split(conf_get("masquerade_domains"), ", \t\r\n");
    c->masq_exceptions = argv_split(conf_get("masquerade_exceptions"), ", \t\r\n");
    c->canonical = cleanup_open_maps("canonical_maps");
    c->sender_canonical = cleanup_open_maps("sender_canonical_maps");
    c->rcpt_canonical = cleanup_open_maps("recipient_canonical_maps");
    c->virtual_alias = cleanup_open_maps("virtual_alias_maps");
    c->sender_bcc = cleanup_open_maps("sender_bcc_maps");
    c->rcpt_bcc = cleanup_open_maps("recipient_bcc_maps");
    c->header_checks = cleanup_open_maps("header_checks");
    c->body_checks = cleanup_open_maps("body_checks");
    c->mime_header_checks = cleanup_open_maps("mime_header_checks");
    c->nested_header_checks = cleanup_open_maps("nested_header_checks");
    /*
     * non_smtpd_milters: Postern has no Milter client. Not applied to mail
     * from sendmail/pickup (it is not refused either): said once per
     * process so the maillog shows why such mail is not, e.g., signed.
     */
    {
        const char *m = conf_get("non_smtpd_milters");

        if (m != NULL && m[strspn(m, " \t,")] != 0)
            msg_warn("non_smtpd_milters = %.200s: Postern has no Milter support; "
                     "mail submitted with sendmail is not passed to any milter", m);
    }
    c->mime_disabled = conf_get_bool("disable_mime_input_processing");
    c->mime_nesting = conf_get_int("mime_nesting_limit");
    c->mydestination = match_list_create("mydestination", conf_get("mydestination"),
                                         MATCH_DOMAIN, why);
    if (vstr_len(why))
        msg_warn("%s", vstr_str(why));
    vstr_sprintf(path, "public/%s", conf_get("queue_service_name"));
    c->qmgr_path = vstr_export(path);
    vstr_free(why);
}

static void cleanup_on_exit(SERVER *srv)
{
    CLEANUP_CONF *c = srv->context;

    if (cleanup_reuse != NULL)
        cleanup_state_free(cleanup_reuse);
    cleanup_reuse = NULL;
    cleanup_conf_free(c);
    mem_free((void *) c->qmgr_path);
    memset(c, 0, sizeof(*c));
}

int main(int argc, char **argv)
{
    static CLEANUP_CONF conf;
    SERVER_OPS ops;

    memset(&ops, 0, sizeof(ops));
    ops.pre_jail = cleanup_pre_jail;
    ops.on_exit = cleanup_on_exit;
    ops.client = cleanup_service;
    ops.context = &conf;
    server_single_main(argc, argv, &ops);
}
