/*
 * smtpd_log - Postfix-shaped log lines (see smtpd_log.h).
 */
#include <stddef.h>

#include "../lib/msg.h"
#include "smtpd_cmd.h"
#include "smtpd_log.h"

void smtpd_log_action(const SMTPD_STATE *state, const char *action, const char *stage,
                      const char *text, const char *sender, const char *rcpt)
{
    VSTR *line = vstr_new(256);

    vstr_sprintf(line, "%s: %s: %s from %s: %s;", state->queue_id[0] ? state->queue_id : "NOQUEUE",
                 action, stage, state->namaddr, text);
    if (sender)
        vstr_printf(line, " from=<%s>", sender);
    if (rcpt)
        vstr_printf(line, " to=<%s>", rcpt);
    vstr_printf(line, " proto=%s", state->protocol ? state->protocol : "SMTP");
    if (state->helo)
        vstr_printf(line, " helo=<%s>", state->helo);
    msg_info("%s", vstr_str(line));
    vstr_free(line);
}

void smtpd_log_counts(const SMTPD_STATE *state, VSTR *out)
{
    int i, ok = 0, total = 0;

    vstr_reset(out);
    for (i = 0; i < SMTPD_C_COUNT; i++) {
        if (state->cmd_total[i] == 0)
            continue;
        ok += state->cmd_ok[i];
        total += state->cmd_total[i];
        if (state->cmd_ok[i] == state->cmd_total[i])
            vstr_printf(out, " %s=%d", smtpd_cmd_name(i), state->cmd_ok[i]);
        else
            vstr_printf(out, " %s=%d/%d", smtpd_cmd_name(i), state->cmd_ok[i],
                        state->cmd_total[i]);
    }
    if (ok == total)
        vstr_printf(out, " commands=%d", ok);
    else
        vstr_printf(out, " commands=%d/%d", ok, total);
}

void smtpd_log_disconnect(const SMTPD_STATE *state)
{
    VSTR *counts = vstr_new(128);

    smtpd_log_counts(state, counts);
    msg_info("disconnect from %s%s", state->namaddr, vstr_str(counts));
    vstr_free(counts);
}
