/*
 * smtpd_session - one SMTP session, from the banner to QUIT (or to the
 * client's fault): the command loop, the per-command deadline, the
 * transaction state machine, and the hand-off of each message to cleanup.
 *
 * smtpd_session_run(conf, fd) serves the client on fd and returns when the
 * session is over (the caller closes fd). It never exits the process on
 * anything the client does: every command gets a reply (or the session is
 * closed with 421 after a timeout, too many errors, or a lost connection),
 * and every allocation of the session is freed before it returns.
 *
 * Transaction rule: RSET, HELO/EHLO and the end of each message reset the
 * transaction completely (sender, recipients, DSN data, the open cleanup
 * connection, which cleanup then discards). 250 after DATA or BDAT LAST is
 * sent only when cleanup has said the queue file is complete.
 */
#ifndef POSTERN_SMTPD_SESSION_H
#define POSTERN_SMTPD_SESSION_H

#include "smtpd.h"

void smtpd_session_run(const SMTPD_CONF *conf, int fd);

#endif
