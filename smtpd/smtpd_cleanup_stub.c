/*
 * TEMPORARY: stands in for lib/cleanup_client.c until the cleanup branch
 * lands; cleanup_open() reports the service unavailable, so smtpd answers
 * 451 at the first accepted RCPT. Removed when cleanup is merged.
 */
#include "../lib/cleanup_client.h"

CLEANUP *cleanup_open(const char *path, int flags, int timeout, VSTR *why)
{
    (void) path;
    (void) flags;
    (void) timeout;
    vstr_set(why, "cleanup client not yet implemented");
    return NULL;
}

const char *cleanup_queue_id(const CLEANUP *c) { (void) c; return ""; }
void cleanup_time(CLEANUP *c, long sec, long usec) { (void) c; (void) sec; (void) usec; }
void cleanup_full_name(CLEANUP *c, const char *name) { (void) c; (void) name; }
void cleanup_attr(CLEANUP *c, const char *name, const char *value) { (void) c; (void) name; (void) value; }
void cleanup_sender(CLEANUP *c, const char *addr) { (void) c; (void) addr; }
void cleanup_rcpt(CLEANUP *c, const char *addr, const char *orig, const char *dsn_orcpt, int dsn_notify)
{
    (void) c; (void) addr; (void) orig; (void) dsn_orcpt; (void) dsn_notify;
}
void cleanup_content_begin(CLEANUP *c) { (void) c; }
void cleanup_line(CLEANUP *c, const char *text, size_t len) { (void) c; (void) text; (void) len; }
int cleanup_finish(CLEANUP *c, VSTR *reason) { (void) c; vstr_set(reason, "no cleanup"); return CLEANUP_STAT_WRITE; }
void cleanup_close(CLEANUP *c) { (void) c; }
const char *cleanup_stat_reply(int status, const char *reason, VSTR *out)
{
    (void) status; (void) reason;
    vstr_set(out, "451 4.3.0 Error: queue file write error");
    return vstr_str(out);
}
const char *cleanup_stat_text(int status) { (void) status; return "error"; }
