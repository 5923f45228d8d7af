/*
 * smtp_conn - one outbound connection of the smtp/lmtp client: connect with
 * a deadline (TCP or UNIX socket), buffered line I/O over the plain socket
 * or, after STARTTLS, over a TLS session (lib/net/tls.h), and reading one
 * SMTP reply (single or multi-line) with bounds.
 *
 *   int fd = smtp_conn_connect(sa, salen, bind_sa, timeout_ms, why);   -1: why
 *                                            (bind_sa: a local address of
 *                                            the same family, or NULL; a
 *                                            failed bind is an error)
 *   SMTP_CONN *c = smtp_conn_new(fd);        takes the descriptor
 *   long long dl = tls_deadline(ms);         absolute deadline (0: none)
 *   smtp_conn_puts(c, "MAIL FROM:<a@b>\r\n"); (buffered; no I/O)
 *   smtp_conn_flush(c, dl);                  0, or -1 with c->why
 *   smtp_conn_flush_data(c, &dl, rate);      the same for message content:
 *                                            with rate > 0 every byte
 *                                            written moves *dl later by
 *                                            1/rate s (smtp_min_data_rate)
 *   SMTP_REPLY rep; smtp_reply_init(&rep);
 *   smtp_reply_read(c, &rep, dl);            0, or -1 with c->why
 *   rep.code (200..599), rep.dsn ("5.1.1", from the text or the class),
 *   rep.text (all lines joined by one space), rep.lines (each line after
 *   the code and separator, for EHLO keywords)
 *   c->tls = tls_client_start(...);          the caller starts TLS; later
 *                                            I/O goes through it
 *   smtp_conn_free(c);                       TLS freed, descriptor closed
 *
 * Deadlines: an absolute deadline bounds the whole operation (a flush, a
 * reply) when c->per_call is 0 (smtp_per_request_deadline = yes). With
 * c->per_call set (the default, smtp_per_request_deadline = no, as in
 * Postfix) the time from the call to its deadline is a limit per read or
 * write instead: it starts again whenever data moved.
 *
 * Bounds: a reply line longer than SMTP_LINE_MAX is truncated (the rest of
 * it read and dropped), a reply of more than SMTP_REPLY_LINES_MAX lines or
 * a line that does not start with three digits is an error ("malformed
 * reply"). Every wait is bounded by the deadline given.
 *
 * Error policy: I/O errors, timeouts, EOF and malformed replies return -1
 * with the reason in c->why ("timeout", "lost connection", ...) and are
 * sticky (c->broken); nothing a server sends can crash the client.
 */
#ifndef POSTERN_SMTP_CONN_H
#define POSTERN_SMTP_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "argv.h"
#include "tls.h"
#include "vstr.h"

#define SMTP_LINE_MAX 2048
#define SMTP_REPLY_LINES_MAX 100
#define SMTP_RBUF_SIZE 16384

#define SMTP_ERR_NONE 0
#define SMTP_ERR_TIMEOUT 1
#define SMTP_ERR_EOF 2
#define SMTP_ERR_IO 3
#define SMTP_ERR_PROTO 4

typedef struct SMTP_CONN {
    int fd;
    TLS_SESS *tls;
    char rbuf[SMTP_RBUF_SIZE];
    size_t rpos, rlen;
    VSTR *wbuf;
    int broken;        /* SMTP_ERR_* (sticky) */
    VSTR *why;
    int poll_first;    /* the next refill waits before it reads (smtp_conn_expect_wait) */
    int per_call;      /* time limits per read or write, not per operation */
    long long span;    /* per_call: the current operation's limit, ms */
    unsigned long long rate_acc; /* flush_data: bytes * 1000 not yet credited */
} SMTP_CONN;

typedef struct SMTP_REPLY {
    int code;
    char dsn[16];
    VSTR *text;
    ARGV *lines;
} SMTP_REPLY;

int smtp_conn_connect(const struct sockaddr *sa, socklen_t salen,
                      const struct sockaddr_storage *bind_sa, int timeout_ms, VSTR *why);
SMTP_CONN *smtp_conn_new(int fd);
void smtp_conn_free(SMTP_CONN *c);
/* The peer's answer cannot be there yet (e.g. after the message content):
 * the next read waits with poll(2) first instead of failing with EAGAIN. */
void smtp_conn_expect_wait(SMTP_CONN *c);
void smtp_conn_puts(SMTP_CONN *c, const char *str);
void smtp_conn_write(SMTP_CONN *c, const char *data, size_t len);
int smtp_conn_flush(SMTP_CONN *c, long long deadline);
int smtp_conn_flush_data(SMTP_CONN *c, long long *deadline, unsigned rate);
int smtp_conn_getline(SMTP_CONN *c, VSTR *line, size_t max, long long deadline);

void smtp_reply_init(SMTP_REPLY *r);
void smtp_reply_free(SMTP_REPLY *r);
int smtp_reply_read(SMTP_CONN *c, SMTP_REPLY *r, long long deadline);
int smtp_reply_dsn(const char *text, char klass, char *dsn, size_t size);

#endif
