/*
 * anvil_table - the anvil daemon's table of clients: per "service:address"
 * identity, the connections open now and the events (connections,
 * messages, recipients, AUTH commands, new TLS sessions) of the current
 * rate window, plus the peaks for anvil's statistics lines.
 *
 * t = anvil_table_create(max_entries, unit);   unit: anvil_rate_time_unit
 * r = anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", now,
 *                       &count, &rate);
 *   counts the event and says the identity's concurrent connections and
 *   the rate that the event is about (the connection rate for CONNECT,
 *   DISCONNECT and LOOKUP; NEWTLS_STATUS counts nothing either and
 *   answers the NEWTLS rate). A rate window starts with the identity's first
 *   event and lasts unit seconds; the next event after it starts a new one
 *   with all rates at zero. DISCONNECT never takes a count below zero.
 *   LOOKUP and DISCONNECT of an unknown identity create nothing.
 *   Returns 0, or -1 when the table is full of clients that are connected
 *   now (nothing is counted: the caller answers "no limit").
 * The bound: at most max_entries identities. An identity with no open
 * connection whose window has passed is idle and is dropped by
 * anvil_table_expire(t, now) (which the table also runs by itself every
 * half unit, and whenever it is full); when the table is still full, the
 * idle-most identity without an open connection (the oldest window) makes
 * room for a new one.
 * anvil_table_stats(t, emit, ctx) calls emit with each of Postfix's
 * "statistics: max ..." lines for the peaks since the last call that are
 * non-zero, then forgets them.
 * anvil_table_size(t) says how many identities it holds.
 *
 * Error policy: the caller checks identities (anvil_client.h); memory
 * exhaustion is fatal (mem.h); an unknown event kind is a panic.
 */
#ifndef POSTERN_ANVIL_TABLE_H
#define POSTERN_ANVIL_TABLE_H

#include <stddef.h>
#include <time.h>

#define ANVIL_EV_CONNECT    0
#define ANVIL_EV_MESSAGE    1
#define ANVIL_EV_RECIPIENT  2
#define ANVIL_EV_AUTH       3
#define ANVIL_EV_NEWTLS     4
#define ANVIL_EV_RATES      5   /* the kinds above have a rate */
#define ANVIL_EV_DISCONNECT 5
#define ANVIL_EV_LOOKUP     6
#define ANVIL_EV_NEWTLS_STATUS 7 /* like LOOKUP, answers the newtls rate */

typedef struct ANVIL_TABLE ANVIL_TABLE;

ANVIL_TABLE *anvil_table_create(size_t max_entries, long unit);
void anvil_table_free(ANVIL_TABLE *t);
int anvil_table_event(ANVIL_TABLE *t, int kind, const char *ident, time_t now,
                      int *count, int *rate);
void anvil_table_expire(ANVIL_TABLE *t, time_t now);
size_t anvil_table_size(const ANVIL_TABLE *t);
void anvil_table_stats(ANVIL_TABLE *t, void (*emit)(void *ctx, const char *text), void *ctx);

#endif
