/*
 * table_unix - the unix: type: the system's user and group databases.
 *
 * unix:passwd.byname looks the key up with getpwnam() and returns the
 * passwd(5) line "name:passwd:uid:gid:gecos:dir:shell"; unix:group.byname
 * uses getgrnam() and returns "name:passwd:gid:member,member,...". These are
 * the values Postfix's unix: table returns. Keys are lower-cased under
 * TABLE_FLAG_FOLD (a fixed-string type), as Postfix does.
 *
 * Errors: an unknown map name fails the open; a lookup that the system
 * cannot answer (other than "no such entry") sets TABLE_ERR_RETRY.
 * Read-only, no sequence().
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "table_types.h"

typedef struct TABLE_UNIX {
    TABLE t;
    VSTR *result;
} TABLE_UNIX;

/* "Not found" errno values of getpwnam()/getgrnam(), per their manuals. */
static int unix_not_found(int err)
{
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

static const char *table_unix_passwd(TABLE *t, const char *key)
{
    TABLE_UNIX *u = (TABLE_UNIX *) t;
    struct passwd *pw;

    errno = 0;
    if ((pw = getpwnam(key)) == NULL) {
        if (!unix_not_found(errno)) {
            msg_warn("%s: lookup of \"%s\": %s", t->spec, key, strerror(errno));
            t->error = TABLE_ERR_RETRY;
        }
        return NULL;
    }
    vstr_sprintf(u->result, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd,
                 (long) pw->pw_uid, (long) pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
    return vstr_str(u->result);
}

static const char *table_unix_group(TABLE *t, const char *key)
{
    TABLE_UNIX *u = (TABLE_UNIX *) t;
    struct group *gr;
    char **mem;

    errno = 0;
    if ((gr = getgrnam(key)) == NULL) {
        if (!unix_not_found(errno)) {
            msg_warn("%s: lookup of \"%s\": %s", t->spec, key, strerror(errno));
            t->error = TABLE_ERR_RETRY;
        }
        return NULL;
    }
    vstr_sprintf(u->result, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd, (long) gr->gr_gid);
    for (mem = gr->gr_mem; *mem; mem++) {
        if (mem != gr->gr_mem)
            vstr_addch(u->result, ',');
        vstr_adds(u->result, *mem);
    }
    return vstr_str(u->result);
}

static void table_unix_close(TABLE *t)
{
    vstr_free(((TABLE_UNIX *) t)->result);
    table_free_base(t);
}

TABLE *table_unix_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_UNIX *u;
    const char *(*lookup)(TABLE *, const char *);

    if (strcmp(name, "passwd.byname") == 0) {
        lookup = table_unix_passwd;
    } else if (strcmp(name, "group.byname") == 0) {
        lookup = table_unix_group;
    } else {
        vstr_sprintf(why, "%s:%s: unknown table name (expected passwd.byname or group.byname)",
                     type, name);
        return NULL;
    }
    if (table_read_only(type, name, mode, why) < 0)
        return NULL;
    u = (TABLE_UNIX *) table_alloc(sizeof(*u), type, name, mode, flags, TABLE_PROP_FIXED);
    u->result = vstr_new(128);
    u->t.lookup = lookup;
    u->t.close = table_unix_close;
    return &u->t;
}
