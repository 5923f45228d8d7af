/*
 * local_expand - $name expansion of local(8)'s per-recipient attributes in
 * forward_path, luser_relay and home_mailbox-like texts.
 *
 * The names are local(8)'s: user, home, shell, domain, local, extension,
 * recipient, mailbox, recipient_delimiter. Forms: $name, ${name},
 * ${name?text} (text, itself expanded, when the attribute is set and not
 * empty), ${name:text} (text when it is unset or empty), $$ a dollar sign.
 * A name that is not one of these expands through main.cf (conf_get()).
 *
 * Usage:
 *   LOCAL_VARS v = { .user = "alice", .home = "/home/alice", ... };
 *   int flags = local_expand(out, "$home/.forward${recipient_delimiter}${extension}", &v, why);
 *   if (flags < 0) -> why says what is wrong with the text
 *   if (flags & LOCAL_EXPAND_UNDEF) -> a plain $name referred to an unset
 *   attribute (NULL): forward_path skips such an item, as Postfix does.
 *   if (flags & LOCAL_EXPAND_EXT) -> the text used the extension (set):
 *   propagate_unmatched_extensions does not apply to such a .forward.
 * The result is appended to out; it is bounded by LOCAL_EXPAND_MAX bytes
 * and the nesting of ${...?...} by LOCAL_EXPAND_DEPTH.
 *
 * Error policy: bad syntax or a result too long: -1 with why; nothing is
 * fatal.
 */
#ifndef POSTERN_LOCAL_EXPAND_H
#define POSTERN_LOCAL_EXPAND_H

#include "vstr.h"

#define LOCAL_EXPAND_UNDEF 1
#define LOCAL_EXPAND_EXT   2
#define LOCAL_EXPAND_MAX   8192
#define LOCAL_EXPAND_DEPTH 10

typedef struct LOCAL_VARS {
    const char *user;
    const char *home;
    const char *shell;
    const char *domain;
    const char *local;
    const char *extension;           /* NULL when the address has none */
    const char *recipient;
    const char *mailbox;
    const char *recipient_delimiter; /* the one found; NULL when none */
} LOCAL_VARS;

int local_expand(VSTR *out, const char *text, const LOCAL_VARS *vars, VSTR *why);

#endif
