/*
 * smtpd_log - smtpd's log lines in Postfix's words, so that log readers
 * (pflogsumm, fail2ban, people) keep working:
 *   connect from host[addr]
 *   NOQUEUE: reject: RCPT from host[addr]: 554 5.7.1 <x@y>: Relay access
 *     denied; from=<a@b> to=<x@y> proto=ESMTP helo=<h>
 *   QUEUEID: client=host[addr]
 *   disconnect from host[addr] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4
 *
 * smtpd_log_action(state, action, stage, text, sender, rcpt): one
 * "QUEUEID-or-NOQUEUE: action: STAGE from host[addr]: text; from=<> to=<>
 * proto= helo=<>" line (from/to/helo only when known).
 * smtpd_log_disconnect(state) writes the command summary;
 * smtpd_log_counts(state, out) builds its text (unit tests).
 * msg.h makes every line printable, so client text cannot forge lines.
 */
#ifndef POSTERN_SMTPD_LOG_H
#define POSTERN_SMTPD_LOG_H

#include "smtpd.h"

void smtpd_log_action(const SMTPD_STATE *state, const char *action, const char *stage,
                      const char *text, const char *sender, const char *rcpt);
void smtpd_log_counts(const SMTPD_STATE *state, VSTR *out);
void smtpd_log_disconnect(const SMTPD_STATE *state);

#endif
