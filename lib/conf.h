/*
 * conf - main.cf: Postfix's parameters, their defaults and their values.
 *
 * conf_init(dir) picks the configuration directory (dir when not NULL, else
 * $MAIL_CONFIG, else DEF_CONFIG_DIR) and reads dir/main.cf: `name = value`
 * lines, continuation lines that start with white space, `#` comment lines.
 * A main.cf that does not exist is no error (every parameter has its
 * default). Values are expanded when asked for: $name, ${name},
 * ${name?text} (text when name is non-empty), ${name:text} (text when name
 * is empty), recursively, with loop detection. Every parameter Postern
 * implements has one entry in the defaults table (params.c), with Postfix's
 * name, type and default; a name main.cf sets that is not in the table is
 * kept, and warned about once by conf_warn_unused() as Postfix does.
 * Debian's `myorigin = /etc/mailname` is honoured: a value of myorigin that
 * starts with '/' is replaced by the first line of that file (a file that
 * cannot be read is fatal; after conf_set_lenient(1), as postconf does, it
 * is a warning and the value stays as written).
 *
 * Typed getters convert on every call (callers that care cache the result):
 * booleans yes/no (also true/false), integers, times with an optional unit
 * (s, m, h, d, w; the parameter's default unit otherwise), sizes in bytes.
 * Error policy: a main.cf that cannot be read or parsed, or a value that does
 * not convert, is fatal with the file, line and parameter name, e.g.
 * "fatal: /etc/postfix/main.cf, line 12: bad numerical configuration:
 * smtpd_timeout = 30x". Asking for a name that is neither set nor in the
 * defaults table is a programming error (panic) for the typed getters;
 * conf_get() returns NULL for it.
 *
 * conf_override(name, value) sets a value that wins over main.cf (master.cf
 * -o options, command-line -o); conf_set_default(name, value) changes a
 * default at run time (for example from compatibility_level).
 *
 * Strings returned by conf_get() and conf_get_raw() stay valid until
 * conf_init() or conf_free() (an override does not free the old ones).
 * Calling anything but conf_init() before conf_init() is a panic.
 *
 * Also here: conf_free() releases everything (tests); conf_init_defaults()
 * is conf_init() without reading main.cf (`postconf -d`); conf_get_default()
 * gives the default as `postconf -d` shows it (unexpanded; host-dependent
 * ones computed); conf_expand() appends the expansion of any text;
 * conf_main_cf_names() is the sorted list of names main.cf sets (free the
 * array with mem_free), conf_main_cf_line() where one is set (0: not);
 * conf_is_known() says whether a name is in the defaults table;
 * conf_is_service_param(name, service) whether name is a per-transport
 * parameter of that master.cf service (<service>_destination_rate_delay,
 * ...), which conf_get() also answers with its default ($default_...).
 * conf_parse_bool() (1, 0, -1: bad) and conf_parse_time() (0, -1: bad)
 * convert text the way the getters do. conf_is_used(name) is Postfix's
 * notion of a parameter in use: known, a per-transport parameter of a
 * master.cf service, or named as $name in another main.cf value or in
 * master.cf (`-o smtpd_client_restrictions=$mua_client_restrictions`);
 * conf_master_service_names() lists master.cf's service names (host: part
 * removed; array to mem_free, strings owned by conf).
 * Limits: a logical main.cf line of CONF_LINE_MAX bytes, a value of
 * CONF_VALUE_MAX, names of CONF_NAME_MAX, expansion nesting of
 * CONF_EXPAND_DEPTH and results of CONF_EXPAND_MAX bytes; beyond them it is
 * fatal, naming the file, line and parameter. An expansion that loops
 * ($a -> $b -> $a) is fatal: "... parameter a: recursion (loop through $a)".
 * A $name that is neither set nor known expands to nothing, as in Postfix.
 */
#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

void conf_init(const char *dir);
const char *conf_dir(void);
const char *conf_main_cf_path(void);
const char *conf_get(const char *name);          /* expanded, or NULL */
const char *conf_get_raw(const char *name);      /* as written, or default, or NULL */
int conf_get_bool(const char *name);
long conf_get_int(const char *name);
long conf_get_time(const char *name);             /* seconds */
long long conf_get_size(const char *name);        /* bytes */
int conf_is_set(const char *name);                /* set in main.cf or overridden */
void conf_override(const char *name, const char *value);
void conf_set_default(const char *name, const char *value);
void conf_warn_unused(void);

/*
 * For set-gid programs (postdrop, postqueue): a configuration directory
 * other than DEF_CONFIG_DIR is accepted only when the default main.cf lists
 * it in alternate_config_directories; otherwise fatal. Root, non-set-gid
 * runs and dir == NULL are not checked. Leaves no configuration loaded.
 */
void conf_check_setgid_dir(const char *dir);

#include "vstr.h"

#define CONF_LINE_MAX (256 * 1024)
#define CONF_VALUE_MAX (128 * 1024)
#define CONF_NAME_MAX 200
#define CONF_EXPAND_DEPTH 100
#define CONF_EXPAND_MAX (1024 * 1024)

void conf_free(void);
void conf_init_defaults(const char *dir);
void conf_set_lenient(int on);
int conf_is_used(const char *name);
const char **conf_master_service_names(void);
const char *conf_get_default(const char *name);
void conf_expand(VSTR *out, const char *text);
const char **conf_main_cf_names(void);
int conf_main_cf_line(const char *name);
int conf_is_known(const char *name);
int conf_is_service_param(const char *name, const char *service);
int conf_parse_bool(const char *value);
int conf_parse_time(const char *value, int def_unit, long *seconds);

#endif
