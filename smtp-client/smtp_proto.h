/*
 * smtp_proto - one SMTP or LMTP session with one server: connect, greeting,
 * EHLO/HELO/LHLO, STARTTLS per the TLS level, SASL AUTH, then mail
 * transactions (PIPELINING, SIZE, DSN, 8BITMIME, SMTPUTF8), RSET between
 * transactions of a reused session, QUIT.
 *
 *   SMTP_SESS *s;
 *   r = smtp_sess_open(cf, addr, dest, nexthop, &s, dsn, why);
 *       SMTP_OPEN_OK, SMTP_OPEN_NOCONN (connect failed: logged as Postfix
 *       does, "connect to host[addr]:port: reason"), SMTP_OPEN_FAIL (the
 *       server answered but cannot be used: 4xx/5xx greeting, EHLO refused,
 *       TLS required but unavailable, SASL failed), SMTP_OPEN_HARD (a 5xx
 *       greeting when smtp_skip_5xx_greeting = no); dsn/why say why
 *   r = smtp_sess_deliver(cf, s, req, qfd, reader, state, times);
 *       per recipient: 2xx -> deliver_rcpt_sent, 5xx -> deliver_rcpt_bounce
 *       (state[i].done set), 4xx -> state[i] keeps the reason for a later
 *       server or the final defer. 0: the session can be used again,
 *       -1: it is broken (free it).
 *       On output: smtp_generic_maps rewrite MAIL FROM, RCPT TO and the
 *       address headers (smtp_generic.h), smtp_header_checks and
 *       smtp_body_checks apply (smtp_checks.h), and 8-bit content to a
 *       server without 8BITMIME is downgraded (smtp_mime.h). With
 *       smtp_send_xforward_command and a server that announces XFORWARD,
 *       XFORWARD commands go before MAIL FROM (pipelined with it when
 *       the server pipelines) with the original client's attributes from
 *       the request (NAME, ADDR, PORT, PROTO, HELO, IDENT = the original
 *       queue id, SOURCE = LOCAL/REMOTE from the rewrite context), only
 *       those the server announced, in that order, xtext-encoded,
 *       "[UNAVAILABLE]" for an empty one, packed into as few commands as
 *       the 512-byte command line allows; a non-2xx reply is a warning
 *       only. Sent for every transaction, also on a cached session.
 *       NOTIFY=SUCCESS
 *       to a server without DSN is reported as action=relayed; a 4xx
 *       reply is kept in state[i] (reply, mta) for the delay notice.
 *       sendmail -bv (DELIVER_FLAG_USR_VRFY): MAIL FROM and RCPT TO only,
 *       then RSET (QUIT when the session ends): the RCPT TO reply is the
 *       answer (2xx: deliver_rcpt_sent with that reply, which records it
 *       as "deliverable"; 4xx/5xx as above, "undeliverable"); no DATA.
 *   smtp_sess_rset(cf, s)      0: ready for another transaction
 *   smtp_sess_close(cf, s)     QUIT (unless broken) and free
 * Reasons are Postfix's: "host mx[1.2.3.4] said: 550 5.1.1 ... (in reply to
 * RCPT TO command)", "lost connection with mx[1.2.3.4] while sending
 * MAIL FROM", "conversation with mx[1.2.3.4] timed out while ...".
 *
 * Error policy: everything the server does wrong ends in a result and a
 * reason, never a crash; every wait is bounded by the smtp_*_timeout of the
 * step; only bad queue file content is logged as a warning (the recipients
 * are then deferred).
 */
#ifndef POSTERN_SMTP_PROTO_H
#define POSTERN_SMTP_PROTO_H

#include <time.h>

#include "deliver.h"
#include "qfile.h"
#include "smtp.h"
#include "smtp_addr.h"
#include "smtp_conn.h"

#define SMTP_FEAT_ESMTP      0x01
#define SMTP_FEAT_PIPELINING 0x02
#define SMTP_FEAT_SIZE       0x04
#define SMTP_FEAT_DSN        0x08
#define SMTP_FEAT_8BITMIME   0x10
#define SMTP_FEAT_SMTPUTF8   0x20
#define SMTP_FEAT_STARTTLS   0x40
#define SMTP_FEAT_AUTH       0x80

/* The XFORWARD attributes a server announced (SMTP_SESS.xfwd), in the
 * order the commands carry them. */
#define SMTP_XFWD_NAME   0x01
#define SMTP_XFWD_ADDR   0x02
#define SMTP_XFWD_PORT   0x04
#define SMTP_XFWD_PROTO  0x08
#define SMTP_XFWD_HELO   0x10
#define SMTP_XFWD_IDENT  0x20
#define SMTP_XFWD_SOURCE 0x40
#define SMTP_XFWD_CMDS_MAX 7     /* at most one command per attribute */
#define SMTP_XFWD_LINE_MAX 510   /* an SMTP command line without CRLF */

typedef struct SMTP_SESS {
    SMTP_CONN *conn;
    char *host;
    char *addr;
    unsigned port;
    char *hostaddr;    /* "host[addr]" */
    char *namaddr;     /* "host[addr]:port" (UNIX: "host[addr]") */
    int features;
    long size_limit;   /* 0: none announced */
    char *auth_mechs;
    int tls;           /* TLS is active */
    char *key;         /* connection cache key */
    time_t created, last_used;
    long reuse_count;
    int rset_first;    /* a cached session: RSET before the next MAIL FROM,
                        * in the same write when the server pipelines */
    int xfwd;          /* SMTP_XFWD_*: what the server's XFORWARD keyword announced */
    size_t xfwd_pending; /* pipelined XFORWARD commands whose replies are due */
    size_t xfwd_read;    /* of those, read so far */
    int xfwd_na[SMTP_XFWD_CMDS_MAX]; /* per command: it carries name/address attributes */
} SMTP_SESS;

/* smtp_sess_deliver(): a cached session failed its RSET; no recipient touched */
#define SMTP_DELIVER_STALE (-2)

#define SMTP_OPEN_OK 0
#define SMTP_OPEN_NOCONN 1
#define SMTP_OPEN_FAIL 2
#define SMTP_OPEN_HARD 3 /* 5xx greeting with smtp_skip_5xx_greeting = no: bounce */

int smtp_sess_open(const SMTP_CONF *cf, const SMTP_ADDR *a, const SMTP_DEST *d,
                   const char *nexthop, SMTP_SESS **out, VSTR *dsn, VSTR *why);
int smtp_sess_deliver(const SMTP_CONF *cf, SMTP_SESS *s, DELIVER_REQUEST *req, int qfd,
                      QFILE_READER *r, SMTP_RCPT_STATE *state, DELIVER_TIMES *times);
int smtp_sess_rset(const SMTP_CONF *cf, SMTP_SESS *s);
void smtp_sess_close(const SMTP_CONF *cf, SMTP_SESS *s);
void smtp_xtext(VSTR *out, const char *text);
size_t smtp_xforward_cmds(int announced, const DELIVER_REQUEST *req, ARGV *cmds, int *na);

#endif
