/*
 * mailbox - options, status and the buffered line writer shared by the mbox
 * and Maildir writers. See mailbox.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mailbox.h"
#include "msg.h"
#include "qfile.h"

#define MAILBOX_OUT_CHUNK (64 * 1024)

void mailbox_opts_init(MAILBOX_OPTS *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->sender = "";
    opts->size_limit = 51200000;
    opts->lock_flags = MAILBOX_LOCK_FCNTL | MAILBOX_LOCK_DOTLOCK;
    opts->lock_attempts = 20;
    opts->lock_delay_ms = 1000;
    opts->stale_lock_time = 500;
    opts->uid = (uid_t)-1;
    opts->gid = (gid_t)-1;
    opts->def_dsn = "4.2.0";
}

void mailbox_opts_conf(MAILBOX_OPTS *opts, const char *lock_param, const char *limit_param)
{
    long delay = conf_get_time("deliver_lock_delay");

    opts->lock_attempts = (int)conf_get_int("deliver_lock_attempts");
    if (opts->lock_attempts < 1)
        msg_fatal("bad configuration: deliver_lock_attempts = %d: must be at least 1",
                  opts->lock_attempts);
    opts->lock_delay_ms = delay > 86400 ? 86400000L : delay < 0 ? 0 : delay * 1000L;
    opts->stale_lock_time = conf_get_time("stale_lock_time");
    if (lock_param) {
        VSTR *why = vstr_new(64);

        if (mailbox_lock_parse(conf_get(lock_param), &opts->lock_flags, why) < 0)
            msg_fatal("bad configuration: %s: %s", lock_param, vstr_str(why));
        vstr_free(why);
    }
    if (limit_param) {
        long long limit = conf_get_size(limit_param);

        if (limit < 0)
            msg_fatal("bad configuration: %s = %lld: must not be negative", limit_param, limit);
        opts->size_limit = (off_t)limit;
    }
}

int mailbox_lock_parse(const char *value, int *flags, VSTR *why)
{
    static const struct {
        const char *name;
        int flag;
    } methods[] = {
        {"fcntl", MAILBOX_LOCK_FCNTL},
        {"flock", MAILBOX_LOCK_FLOCK},
        {"dotlock", MAILBOX_LOCK_DOTLOCK},
    };
    const char *p = value;
    int result = 0;

    while (*p) {
        size_t len, i;

        p += strspn(p, ", \t\r\n");
        len = strcspn(p, ", \t\r\n");
        if (len == 0)
            break;
        for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
            if (strlen(methods[i].name) == len && strncmp(p, methods[i].name, len) == 0)
                break;
        if (i == sizeof(methods) / sizeof(methods[0])) {
            if (why)
                vstr_sprintf(why, "unknown mailbox lock method \"%.*s\"",
                             (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        result |= methods[i].flag;
        p += len;
    }
    *flags = result;
    return 0;
}

static void status_vfmt(MAILBOX_STATUS *st, int status, const char *dsn,
                        const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void status_vfmt(MAILBOX_STATUS *st, int status, const char *dsn,
                        const char *fmt, va_list ap)
{
    st->status = status;
    snprintf(st->dsn, sizeof(st->dsn), "%s", dsn);
    vsnprintf(st->text, sizeof(st->text), fmt, ap);
}

void mailbox_status_ok(MAILBOX_STATUS *st, const char *text)
{
    st->status = MAILBOX_OK;
    snprintf(st->dsn, sizeof(st->dsn), "2.0.0");
    snprintf(st->text, sizeof(st->text), "%s", text);
}

void mailbox_status_fmt(MAILBOX_STATUS *st, int status, const char *dsn,
                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    status_vfmt(st, status, dsn, fmt, ap);
    va_end(ap);
}

void mailbox_status_set(MAILBOX_STATUS *st, int err, const char *def_dsn,
                        const char *fmt, ...)
{
    const char *dsn;
    va_list ap;

    if (err == EAGAIN || err == EWOULDBLOCK)
        dsn = "4.2.0";
    else if (err == ENOSPC)
        dsn = "4.3.0";
    else if (err == EFBIG || err == EDQUOT)
        dsn = "5.2.2";
    else
        dsn = def_dsn ? def_dsn : "4.2.0";
    va_start(ap, fmt);
    status_vfmt(st, dsn[0] == '5' ? MAILBOX_BOUNCE : MAILBOX_DEFER, dsn, fmt, ap);
    va_end(ap);
}

void mailbox_status_prepend(MAILBOX_STATUS *st, const char *prefix)
{
    char tmp[MAILBOX_TEXT_MAX];

    snprintf(tmp, sizeof(tmp), "%s%s", prefix, st->text);
    memcpy(st->text, tmp, sizeof(st->text));
}

void mailbox_out_init(MAILBOX_OUT *out, int fd, off_t base, off_t limit, int quote)
{
    memset(out, 0, sizeof(*out));
    out->fd = fd;
    out->buf = vstr_new(MAILBOX_OUT_CHUNK + 1024);
    out->base = base;
    out->limit = limit;
    out->quote = quote;
    out->at_bol = 1;
}

int mailbox_out_flush(MAILBOX_OUT *out)
{
    const char *p = vstr_str(out->buf);
    size_t left = vstr_len(out->buf);

    while (out->err == 0 && left > 0) {
        ssize_t n = write(out->fd, p, left);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            out->err = errno;
        } else if (n == 0) {
            out->err = EIO;
        } else {
            p += n;
            left -= (size_t)n;
            out->done += n;
        }
    }
    vstr_reset(out->buf);
    if (out->err) {
        errno = out->err;
        return -1;
    }
    return 0;
}

void mailbox_out_raw(MAILBOX_OUT *out, const void *data, size_t len)
{
    if (out->err || len == 0)
        return;
    if (out->limit > 0) {
        off_t size = out->base + out->done + (off_t)vstr_len(out->buf);

        if (size > out->limit || (off_t)len > out->limit - size) {
            out->err = EFBIG;
            return;
        }
    }
    vstr_addmem(out->buf, data, len);
    if (vstr_len(out->buf) >= MAILBOX_OUT_CHUNK)
        (void)mailbox_out_flush(out);
}

static void out_pending(MAILBOX_OUT *out)
{
    if (out->npend) {
        mailbox_out_raw(out, out->pend, out->npend);
        out->npend = 0;
    }
}

void mailbox_out_line(MAILBOX_OUT *out, const void *data, size_t len, int complete)
{
    const char *p = data;

    if (out->quote) {
        while (out->at_bol && len > 0) {
            out->pend[out->npend++] = *p++;
            len--;
            if (memcmp(out->pend, "From ", out->npend) != 0) {
                out->at_bol = 0;
                out_pending(out);
            } else if (out->npend == 5) {
                out->at_bol = 0;
                mailbox_out_raw(out, ">", 1);
                out_pending(out);
            }
        }
    } else if (len > 0) {
        out->at_bol = 0;
    }
    mailbox_out_raw(out, p, len);
    if (complete) {
        out_pending(out);
        mailbox_out_raw(out, "\n", 1);
        out->at_bol = 1;
    }
}

void mailbox_out_endline(MAILBOX_OUT *out)
{
    if (out->npend || !out->at_bol)
        mailbox_out_line(out, "", 0, 1);
}

void mailbox_out_headers(MAILBOX_OUT *out, const MAILBOX_OPTS *opts)
{
    VSTR *v = vstr_new(256);

    if (opts->return_path)
        vstr_printf(v, "Return-Path: <%s>\n", opts->return_path);
    if (opts->original_to)
        vstr_printf(v, "X-Original-To: %s\n", opts->original_to);
    if (opts->delivered_to)
        vstr_printf(v, "Delivered-To: %s\n", opts->delivered_to);
    mailbox_out_raw(out, vstr_str(v), vstr_len(v));
    vstr_free(v);
}

int mailbox_out_error(const MAILBOX_OUT *out)
{
    return out->err;
}

void mailbox_out_free(MAILBOX_OUT *out)
{
    if (out->buf)
        vstr_free(out->buf);
    out->buf = NULL;
}

int mailbox_copy_qfile(QFILE_READER *r, MAILBOX_OUT *out, VSTR *why)
{
    QFILE_REC rec;
    int first = 1, st;

    while ((st = qfile_read(r, &rec)) > 0) {
        if (first && rec.type == QREC_MESG) {
            first = 0;
            continue;
        }
        first = 0;
        if (rec.type == QREC_NORM || rec.type == QREC_CONT)
            mailbox_out_line(out, rec.data, rec.len, rec.type == QREC_NORM);
        else if (rec.type == QREC_XTRA)
            return 0;
        else {
            vstr_sprintf(why, "%s: offset %ld: unexpected record type %d in the message content",
                         qfile_reader_name(r), rec.offset, rec.type);
            return -1;
        }
    }
    if (st < 0)
        vstr_sprintf(why, "%s: %s", qfile_reader_name(r), qfile_reader_error(r));
    else
        vstr_sprintf(why, "%s: premature end of file in the message content",
                     qfile_reader_name(r));
    return -1;
}
