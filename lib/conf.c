/* conf - main.cf and parameter values; see conf.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "argv.h"
#include "conf.h"
#include "htable.h"
#include "lineread.h"
#include "mem.h"
#include "msg.h"
#include "params.h"
#include "strutil.h"
#include "vstr.h"

#ifndef DEF_CONFIG_DIR
#define DEF_CONFIG_DIR "/etc/postfix"
#endif
#ifndef DEF_DAEMON_DIR
#define DEF_DAEMON_DIR "/usr/lib/postfix/sbin"
#endif
#ifndef DEF_COMMAND_DIR
#define DEF_COMMAND_DIR "/usr/sbin"
#endif
#ifndef DEF_SENDMAIL_PATH
#define DEF_SENDMAIL_PATH "/usr/sbin/sendmail"
#endif
#ifndef DEF_NEWALIASES_PATH
#define DEF_NEWALIASES_PATH "/usr/bin/newaliases"
#endif
#ifndef DEF_MAILQ_PATH
#define DEF_MAILQ_PATH "/usr/bin/mailq"
#endif
#ifndef DEF_QUEUE_DIR
#define DEF_QUEUE_DIR "/var/spool/postfix"
#endif
#ifndef DEF_DATA_DIR
#define DEF_DATA_DIR "/var/lib/postfix"
#endif
#ifndef DEF_META_DIR
#define DEF_META_DIR "/etc/postfix"
#endif
#ifndef DEF_SHLIB_DIR
#define DEF_SHLIB_DIR "/usr/lib/postfix"
#endif

/* One main.cf setting. */
typedef struct CONF_SETTING {
    char *value;
    int line;
} CONF_SETTING;

/* The program's configuration: the one piece of global state this module has. */
static struct {
    int inited;
    char *dir;
    char *path;
    HTABLE *main;       /* name -> CONF_SETTING, from main.cf (last one wins) */
    HTABLE *overrides;  /* name -> char *, conf_override() */
    HTABLE *defaults;   /* name -> char *, conf_set_default() */
    HTABLE *computed;   /* name -> char *, run-time defaults, cached */
    HTABLE *cache;      /* name -> char *, expanded values, cached */
    ARGV *retired;      /* strings handed out before the caches were cleared */
    ARGV *services;     /* master.cf service names, read when first needed */
    ARGV *master_lines; /* master.cf logical lines, for $name references */
    int lenient;        /* conf_set_lenient(): unreadable myorigin file is a warning */
} conf;

/* Per-transport parameters: <service>_<suffix>, with the default they take. */
static const struct {
    const char *suffix;
    const char *def;
} conf_service_params[] = {
    {"_delivery_slot_cost", "$default_delivery_slot_cost"},
    {"_delivery_slot_discount", "$default_delivery_slot_discount"},
    {"_delivery_slot_loan", "$default_delivery_slot_loan"},
    {"_destination_concurrency_failed_cohort_limit",
     "$default_destination_concurrency_failed_cohort_limit"},
    {"_destination_concurrency_limit", "$default_destination_concurrency_limit"},
    {"_destination_concurrency_negative_feedback",
     "$default_destination_concurrency_negative_feedback"},
    {"_destination_concurrency_positive_feedback",
     "$default_destination_concurrency_positive_feedback"},
    {"_destination_rate_delay", "$default_destination_rate_delay"},
    {"_destination_recipient_limit", "$default_destination_recipient_limit"},
    {"_extra_recipient_limit", "$default_extra_recipient_limit"},
    {"_initial_destination_concurrency", "$initial_destination_concurrency"},
    {"_minimum_delivery_slots", "$default_minimum_delivery_slots"},
    {"_recipient_limit", "$default_recipient_limit"},
    {"_recipient_refill_delay", "$default_recipient_refill_delay"},
    {"_recipient_refill_limit", "$default_recipient_refill_limit"},
    {"_transport_rate_delay", "$default_transport_rate_delay"},
    {"_time_limit", "$command_time_limit"},
};

#define CONF_NSERVICE_PARAMS (sizeof(conf_service_params) / sizeof(conf_service_params[0]))

/* Expansion state: the names being expanded, for loop detection. */
typedef struct CONF_EXPAND {
    const char *origin; /* the parameter whose value is being expanded */
    ARGV *stack;
    int nest;           /* ${...} nesting depth */
} CONF_EXPAND;

static void conf_expand_text(VSTR *out, const char *text, size_t len, CONF_EXPAND *ex);

static void conf_require_init(const char *func)
{
    if (!conf.inited)
        msg_panic("%s: called before conf_init()", func);
}

static void conf_setting_free(void *ptr)
{
    CONF_SETTING *s = ptr;

    mem_free(s->value);
    mem_free(s);
}

/* Move a cache's strings to the retired list: callers may still hold them. */
static void conf_retire(HTABLE **table)
{
    const char **keys = htable_keys(*table);
    size_t i;

    for (i = 0; keys[i] != NULL; i++) {
        char *val = htable_get(*table, keys[i]);

        argv_add(conf.retired, val);
    }
    mem_free(keys);
    htable_free(*table, mem_free);
    *table = htable_new(64);
}

static void conf_clear_caches(void)
{
    conf_retire(&conf.cache);
    conf_retire(&conf.computed);
}

void conf_free(void)
{
    if (!conf.inited)
        return;
    htable_free(conf.main, conf_setting_free);
    htable_free(conf.overrides, mem_free);
    htable_free(conf.defaults, mem_free);
    htable_free(conf.computed, mem_free);
    htable_free(conf.cache, mem_free);
    argv_free(conf.retired);
    if (conf.services != NULL)
        argv_free(conf.services);
    if (conf.master_lines != NULL)
        argv_free(conf.master_lines);
    mem_free(conf.dir);
    mem_free(conf.path);
    memset(&conf, 0, sizeof(conf));
}

/* A parameter name: letters, digits, '_' and '-' (service names). */
static int conf_valid_name(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len > CONF_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (!isalnum((unsigned char) name[i]) && name[i] != '_' && name[i] != '-')
            return 0;
    return 1;
}

/* Parse one logical main.cf line into name and value, or fatal. */
static void conf_parse_line(char *line, const char *path, int lineno)
{
    char *eq = strchr(line, '=');
    char *name;
    char *value;
    CONF_SETTING *s;

    if (eq == NULL)
        msg_fatal("%s, line %d: missing '=' after parameter name: \"%.100s\"", path, lineno,
                  str_printable(str_trim(line), 1));
    *eq = 0;
    name = str_trim(line);
    value = str_trim(eq + 1);
    if (!conf_valid_name(name, strlen(name)))
        msg_fatal("%s, line %d: bad parameter name: \"%.100s\"", path, lineno,
                  str_printable(name, 1));
    if (strlen(value) > CONF_VALUE_MAX)
        msg_fatal("%s, line %d: value of %s is longer than %d bytes", path, lineno, name,
                  CONF_VALUE_MAX);
    s = mem_alloc(sizeof(*s));
    s->value = mem_strdup(value);
    s->line = lineno;
    s = htable_put(conf.main, name, s);
    if (s != NULL)
        conf_setting_free(s);
}

static void conf_read_main_cf(void)
{
    FILE *fp;
    LINEREAD *lr;
    char *line;

    if ((fp = fopen(conf.path, "r")) == NULL) {
        if (errno == ENOENT)
            return;
        msg_fatal("open %s: %s", conf.path, strerror(errno));
    }
    lr = lineread_open(fp, conf.path);
    lineread_set_max(lr, CONF_LINE_MAX);
    while ((line = lineread_next(lr)) != NULL)
        conf_parse_line(line, conf.path, lr->first_line);
    if (lr->error != NULL)
        msg_fatal("%s, line %d: %s", conf.path, lr->lineno + 1, lr->error);
    lineread_close(lr);
    fclose(fp);
}

static void conf_init_common(const char *dir, int read_main_cf)
{
    const char *env;

    conf_free();
    if (dir == NULL && (env = getenv("MAIL_CONFIG")) != NULL && *env != 0)
        dir = env;
    if (dir == NULL || *dir == 0)
        dir = DEF_CONFIG_DIR;
    conf.dir = mem_strdup(dir);
    while (strlen(conf.dir) > 1 && conf.dir[strlen(conf.dir) - 1] == '/')
        conf.dir[strlen(conf.dir) - 1] = 0;
    dir = conf.dir;
    conf.path = mem_alloc(strlen(dir) + sizeof("/main.cf"));
    sprintf(conf.path, "%s/main.cf", dir);
    msg_set_config_file(conf.path);
    conf.main = htable_new(128);
    conf.overrides = htable_new(16);
    conf.defaults = htable_new(16);
    conf.computed = htable_new(16);
    conf.cache = htable_new(128);
    conf.retired = argv_new();
    conf.inited = 1;
    if (!read_main_cf)
        return;
    conf_read_main_cf();
    if (strcmp(conf.dir, DEF_CONFIG_DIR) != 0 && !htable_has(conf.main, "config_directory"))
        htable_put(conf.overrides, "config_directory", mem_strdup(conf.dir));
}

void conf_init(const char *dir)
{
    conf_init_common(dir, 1);
}

void conf_init_defaults(const char *dir)
{
    conf_init_common(dir, 0);
}

void conf_set_lenient(int on)
{
    conf_require_init("conf_set_lenient");
    conf.lenient = on;
}

const char *conf_dir(void)
{
    conf_require_init("conf_dir");
    return conf.dir;
}

const char *conf_main_cf_path(void)
{
    conf_require_init("conf_main_cf_path");
    return conf.path;
}

/*
 * Run-time defaults.
 */

static char *conf_hostname(void)
{
    char name[256];
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char *result;

    if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == 0)
        msg_fatal("gethostname: %s", strerror(errno));
    name[sizeof(name) - 1] = 0;
    if (strchr(name, '.') != NULL)
        return mem_strdup(name);
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_CANONNAME;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, NULL, &hints, &res) == 0 && res != NULL && res->ai_canonname != NULL
        && strchr(res->ai_canonname, '.') != NULL && strlen(res->ai_canonname) < 256) {
        result = mem_strdup(res->ai_canonname);
    } else {
        result = mem_alloc(strlen(name) + sizeof(".localdomain"));
        sprintf(result, "%s.localdomain", name);
    }
    if (res != NULL)
        freeaddrinfo(res);
    return result;
}

static char *conf_domain_of(const char *host)
{
    const char *dot = strchr(host, '.');

    return mem_strdup(dot != NULL && dot[1] != 0 ? dot + 1 : "localdomain");
}

/* Append "net/bits" for addr masked to bits, IPv6 in brackets, once. */
static void conf_add_network(VSTR *out, int family, const unsigned char *addr, int bits)
{
    unsigned char net[16];
    char text[INET6_ADDRSTRLEN];
    char item[INET6_ADDRSTRLEN + 8];
    size_t len = family == AF_INET ? 4 : 16;
    size_t i;
    const char *cp;

    for (i = 0; i < len; i++) {
        int keep = bits - (int) (8 * i);

        net[i] = keep >= 8 ? addr[i] : keep <= 0 ? 0 : (unsigned char) (addr[i] & (0xff << (8 - keep)));
    }
    if (inet_ntop(family, net, text, sizeof(text)) == NULL)
        return;
    snprintf(item, sizeof(item), family == AF_INET ? "%s/%d" : "[%s]/%d", text, bits);
    for (cp = vstr_str(out); (cp = strstr(cp, item)) != NULL; cp++)
        if ((cp == vstr_str(out) || cp[-1] == ' ')
            && (cp[strlen(item)] == 0 || cp[strlen(item)] == ' '))
            return;
    if (vstr_len(out) > 0)
        vstr_addch(out, ' ');
    vstr_adds(out, item);
}

static int conf_prefix_len(const unsigned char *mask, size_t len)
{
    int bits = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char b = mask[i];

        while (b & 0x80) {
            bits++;
            b = (unsigned char) (b << 1);
        }
        if (mask[i] != 0xff)
            break;
    }
    return bits;
}

/* mynetworks per mynetworks_style: host, subnet or class. */
static char *conf_mynetworks(void)
{
    const char *style = conf_get("mynetworks_style");
    struct ifaddrs *ifs = NULL;
    struct ifaddrs *ifa;
    VSTR *out = vstr_new(64);
    int pass;
    const char *protocols;
    int want_v4;
    int want_v6;

    if (style == NULL || (strcasecmp(style, "host") != 0 && strcasecmp(style, "subnet") != 0
                          && strcasecmp(style, "class") != 0))
        msg_fatal("unrecognized mynetworks_style value: %s", style ? style : "");
    protocols = conf_get("inet_protocols");
    if (protocols == NULL)
        protocols = "all";
    want_v4 = strstr(protocols, "all") != NULL || strstr(protocols, "ipv4") != NULL;
    want_v6 = strstr(protocols, "all") != NULL || strstr(protocols, "ipv6") != NULL;
    if (getifaddrs(&ifs) != 0)
        msg_fatal("getifaddrs: %s", strerror(errno));
    for (pass = 0; pass < 2; pass++) {
        if ((pass == 0 && !want_v4) || (pass == 1 && !want_v6))
            continue;
        for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
            const unsigned char *addr;
            int bits;

            if (ifa->ifa_addr == NULL)
                continue;
            if (pass == 0 && ifa->ifa_addr->sa_family == AF_INET) {
                addr = (const unsigned char *) &((struct sockaddr_in *) (void *) ifa->ifa_addr)->sin_addr;
                bits = 32;
                if (strcasecmp(style, "class") == 0)
                    bits = addr[0] < 128 ? 8 : addr[0] < 192 ? 16 : addr[0] < 224 ? 24 : 32;
                else if (strcasecmp(style, "subnet") == 0 && ifa->ifa_netmask != NULL)
                    bits = conf_prefix_len(
                        (const unsigned char *) &((struct sockaddr_in *) (void *) ifa->ifa_netmask)->sin_addr, 4);
                conf_add_network(out, AF_INET, addr, bits);
            } else if (pass == 1 && ifa->ifa_addr->sa_family == AF_INET6) {
                addr = (const unsigned char *) &((struct sockaddr_in6 *) (void *) ifa->ifa_addr)->sin6_addr;
                bits = 128;
                if (strcasecmp(style, "host") != 0 && ifa->ifa_netmask != NULL)
                    bits = conf_prefix_len(
                        (const unsigned char *) &((struct sockaddr_in6 *) (void *) ifa->ifa_netmask)->sin6_addr, 16);
                conf_add_network(out, AF_INET6, addr, bits);
            }
        }
    }
    freeifaddrs(ifs);
    return vstr_export(out);
}

/* The default of a per-transport parameter <service>_<suffix>, or NULL. */
static const char *conf_service_default(const char *name)
{
    size_t i;
    size_t len = strlen(name);

    for (i = 0; i < CONF_NSERVICE_PARAMS; i++) {
        size_t slen = strlen(conf_service_params[i].suffix);

        if (len > slen && strcmp(name + len - slen, conf_service_params[i].suffix) == 0)
            return conf_service_params[i].def;
    }
    return NULL;
}

int conf_is_service_param(const char *name, const char *service)
{
    size_t slen = strlen(service);
    size_t i;

    if (strncmp(name, service, slen) != 0 || name[slen] != '_')
        return 0;
    for (i = 0; i < CONF_NSERVICE_PARAMS; i++)
        if (strcmp(name + slen, conf_service_params[i].suffix) == 0)
            return 1;
    return 0;
}

static char *conf_compute(const char *name)
{
    char buf[32];

    if (strcmp(name, "myhostname") == 0)
        return conf_hostname();
    if (strcmp(name, "mydomain") == 0)
        return conf_domain_of(conf_get("myhostname"));
    if (strcmp(name, "mynetworks") == 0)
        return conf_mynetworks();
    if (strcmp(name, "process_id") == 0) {
        snprintf(buf, sizeof(buf), "%ld", (long) getpid());
        return mem_strdup(buf);
    }
    if (strcmp(name, "process_name") == 0)
        return mem_strdup(msg_program() ? msg_program() : "postern");
    if (strcmp(name, "config_directory") == 0)
        return mem_strdup(DEF_CONFIG_DIR);
    if (strcmp(name, "daemon_directory") == 0)
        return mem_strdup(DEF_DAEMON_DIR);
    if (strcmp(name, "command_directory") == 0)
        return mem_strdup(DEF_COMMAND_DIR);
    if (strcmp(name, "queue_directory") == 0)
        return mem_strdup(DEF_QUEUE_DIR);
    if (strcmp(name, "data_directory") == 0)
        return mem_strdup(DEF_DATA_DIR);
    if (strcmp(name, "meta_directory") == 0)
        return mem_strdup(DEF_META_DIR);
    if (strcmp(name, "shlib_directory") == 0)
        return mem_strdup(DEF_SHLIB_DIR);
    if (strcmp(name, "sendmail_path") == 0)
        return mem_strdup(DEF_SENDMAIL_PATH);
    if (strcmp(name, "newaliases_path") == 0)
        return mem_strdup(DEF_NEWALIASES_PATH);
    if (strcmp(name, "mailq_path") == 0)
        return mem_strdup(DEF_MAILQ_PATH);
    msg_panic("conf_compute: no run-time default for %s", name);
}

const char *conf_get_default(const char *name)
{
    const PARAM *p;
    char *val;

    conf_require_init("conf_get_default");
    if ((val = htable_get(conf.defaults, name)) != NULL)
        return val;
    if ((p = params_find(name)) != NULL) {
        if ((p->flags & PARAM_RUNTIME) == 0)
            return p->def;
        if ((val = htable_get(conf.computed, name)) == NULL) {
            val = conf_compute(name);
            htable_put(conf.computed, name, val);
        }
        return val;
    }
    return conf_service_default(name);
}

const char *conf_get_raw(const char *name)
{
    CONF_SETTING *s;
    char *val;

    conf_require_init("conf_get_raw");
    if ((val = htable_get(conf.overrides, name)) != NULL)
        return val;
    if ((s = htable_get(conf.main, name)) != NULL)
        return s->value;
    return conf_get_default(name);
}

int conf_is_set(const char *name)
{
    conf_require_init("conf_is_set");
    return htable_has(conf.overrides, name) || htable_has(conf.main, name);
}

int conf_main_cf_line(const char *name)
{
    CONF_SETTING *s;

    conf_require_init("conf_main_cf_line");
    s = htable_get(conf.main, name);
    return s ? s->line : 0;
}

const char **conf_main_cf_names(void)
{
    conf_require_init("conf_main_cf_names");
    return htable_keys(conf.main);
}

int conf_is_known(const char *name)
{
    return params_find(name) != NULL;
}

/*
 * Expansion.
 */

/* "file, line N: " for the parameter being expanded, or "" when not from main.cf. */
static const char *conf_where(const char *name, char *buf, size_t size)
{
    CONF_SETTING *s;

    if (name != NULL && !htable_has(conf.overrides, name) && (s = htable_get(conf.main, name)) != NULL)
        snprintf(buf, size, "%s, line %d: ", conf.path, s->line);
    else
        snprintf(buf, size, "%s: ", conf.path);
    return buf;
}

__attribute__((noreturn)) static void conf_expand_error(CONF_EXPAND *ex, const char *what)
{
    char where[PATH_MAX + 64];

    msg_fatal("%sparameter %s: %s", conf_where(ex->origin, where, sizeof(where)),
              ex->origin ? ex->origin : "(text)", what);
}

/* Find the '}' or ')' that closes text[0] == '{' or '('; returns its offset or 0. */
static size_t conf_match_close(const char *text, size_t len)
{
    char open = text[0];
    char close = open == '{' ? '}' : ')';
    int depth = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        if (text[i] == open)
            depth++;
        else if (text[i] == close && --depth == 0)
            return i;
    }
    return 0;
}

static const char *conf_skip_space(const char *cp, const char *end)
{
    while (cp < end && isspace((unsigned char) *cp))
        cp++;
    return cp;
}

/* Parse "{text}" at *cpp, setting start and len to the inside; 0 when absent. */
static int conf_braced(const char **cpp, const char *end, const char **start, size_t *len)
{
    const char *cp = conf_skip_space(*cpp, end);
    size_t close;

    if (cp >= end || *cp != '{' || (close = conf_match_close(cp, (size_t) (end - cp))) == 0)
        return 0;
    *start = cp + 1;
    *len = close - 1;
    *cpp = cp + close + 1;
    return 1;
}

/* Append the expanded value of the named parameter. */
static void conf_expand_name(VSTR *out, const char *name, CONF_EXPAND *ex)
{
    const char *raw;
    size_t i;
    size_t start;

    for (i = 0; i < ex->stack->argc; i++) {
        if (strcmp(ex->stack->argv[i], name) == 0) {
            char what[CONF_NAME_MAX + 64];

            snprintf(what, sizeof(what), "recursion (loop through $%s)", name);
            conf_expand_error(ex, what);
        }
    }
    if (ex->stack->argc >= CONF_EXPAND_DEPTH)
        conf_expand_error(ex, "recursion too deep");
    if ((raw = conf_get_raw(name)) == NULL)
        return;
    argv_add(ex->stack, name);
    start = vstr_len(out);
    conf_expand_text(out, raw, strlen(raw), ex);
    argv_truncate(ex->stack, ex->stack->argc - 1);
    /* Debian: myorigin = /etc/mailname reads the name from that file. */
    if (strcmp(name, "myorigin") == 0 && vstr_str(out)[start] == '/') {
        char *path = mem_strdup(vstr_str(out) + start);
        char line[1024];
        FILE *fp;

        if ((fp = fopen(path, "r")) == NULL) {
            if (!conf.lenient)
                msg_fatal("open %s (myorigin): %s", path, strerror(errno));
            msg_warn("open %s (myorigin): %s", path, strerror(errno));
        } else {
            vstr_truncate(out, start);
            if (fgets(line, sizeof(line), fp) != NULL)
                vstr_adds(out, str_trim(line));
            fclose(fp);
        }
        mem_free(path);
    }
}

/* Numeric value of a compatibility level "major[.minor[.patch]]" for comparison. */
static int conf_level_value(const char *text, long long *value)
{
    long part[3] = {0, 0, 0};
    int n = 0;
    const char *cp = text;

    while (n < 3) {
        char *end;

        if (!isdigit((unsigned char) *cp))
            return -1;
        errno = 0;
        part[n++] = strtol(cp, &end, 10);
        if (errno != 0 || part[n - 1] > 99999)
            return -1;
        cp = end;
        if (*cp == 0)
            break;
        if (*cp++ != '.')
            return -1;
    }
    if (*cp != 0)
        return -1;
    *value = ((long long) part[0] * 100000 + part[1]) * 100000 + part[2];
    return 0;
}

/* Evaluate "left op right": op is ==, !=, <, <=, >, >= optionally followed by "level". */
static int conf_compare(const char *left, const char *op, size_t oplen, const char *right, CONF_EXPAND *ex)
{
    long long a;
    long long b;
    long la;
    long lb;
    int level = oplen > 5 && strncmp(op + oplen - 5, "level", 5) == 0;
    size_t n = level ? oplen - 5 : oplen;
    int cmp;

    if (n == 2 && strncmp(op, "==", 2) == 0 && !level)
        return strcmp(left, right) == 0;
    if (n == 2 && strncmp(op, "!=", 2) == 0 && !level)
        return strcmp(left, right) != 0;
    if (level) {
        if (conf_level_value(*left ? left : "0", &a) != 0 || conf_level_value(*right ? right : "0", &b) != 0)
            conf_expand_error(ex, "bad compatibility level in comparison");
    } else {
        if (str_parse_long(left, LONG_MIN, LONG_MAX, &la) != 0
            || str_parse_long(right, LONG_MIN, LONG_MAX, &lb) != 0)
            conf_expand_error(ex, "non-numerical operand in comparison");
        a = la;
        b = lb;
    }
    cmp = a < b ? -1 : a > b;
    if (n == 2 && strncmp(op, "==", 2) == 0)
        return cmp == 0;
    if (n == 2 && strncmp(op, "!=", 2) == 0)
        return cmp != 0;
    if (n == 2 && strncmp(op, "<=", 2) == 0)
        return cmp <= 0;
    if (n == 2 && strncmp(op, ">=", 2) == 0)
        return cmp >= 0;
    if (n == 1 && op[0] == '<')
        return cmp < 0;
    if (n == 1 && op[0] == '>')
        return cmp > 0;
    conf_expand_error(ex, "unknown operator in comparison");
}

/* ${{a} op {b} ? {t} : {f}} with body = "{a} op {b} ? {t} : {f}". */
static void conf_expand_relational(VSTR *out, const char *body, size_t len, CONF_EXPAND *ex)
{
    const char *end = body + len;
    const char *cp = body;
    const char *a, *b, *t, *f = NULL, *op;
    size_t alen, blen, tlen, flen = 0, oplen;
    VSTR *left = vstr_new(32);
    VSTR *right = vstr_new(32);
    int truth;

    if (!conf_braced(&cp, end, &a, &alen))
        conf_expand_error(ex, "syntax error in ${{...} op {...} ? ...}");
    cp = conf_skip_space(cp, end);
    op = cp;
    while (cp < end && strchr("=!<>abcdefghijklmnopqrstuvwxyz", *cp) != NULL)
        cp++;
    oplen = (size_t) (cp - op);
    if (oplen == 0 || !conf_braced(&cp, end, &b, &blen))
        conf_expand_error(ex, "syntax error in ${{...} op {...} ? ...}");
    cp = conf_skip_space(cp, end);
    if (cp >= end || *cp++ != '?' || !conf_braced(&cp, end, &t, &tlen))
        conf_expand_error(ex, "syntax error in ${{...} op {...} ? ...}");
    cp = conf_skip_space(cp, end);
    if (cp < end) {
        if (*cp++ != ':' || !conf_braced(&cp, end, &f, &flen))
            conf_expand_error(ex, "syntax error in ${{...} op {...} ? ...}");
        cp = conf_skip_space(cp, end);
        if (cp != end)
            conf_expand_error(ex, "syntax error in ${{...} op {...} ? ...}");
    }
    conf_expand_text(left, a, alen, ex);
    conf_expand_text(right, b, blen, ex);
    truth = conf_compare(str_trim(vstr_str(left)), op, oplen, str_trim(vstr_str(right)), ex);
    vstr_free(left);
    vstr_free(right);
    if (truth)
        conf_expand_text(out, t, tlen, ex);
    else if (f != NULL)
        conf_expand_text(out, f, flen, ex);
}

/* ${name}, ${name?text}, ${name:text}, ${name?{t}:{f}} with body the inside. */
static void conf_expand_braced_body(VSTR *out, const char *body, size_t len, CONF_EXPAND *ex);

/* The text of ${name?text} or ${name:text}; text may be one {group} (Postfix 3.0). */
static void conf_expand_alternative(VSTR *out, const char *rest, const char *end, CONF_EXPAND *ex)
{
    const char *cp = rest;
    const char *inside;
    size_t len;

    if (conf_braced(&cp, end, &inside, &len) && conf_skip_space(cp, end) == end)
        conf_expand_text(out, inside, len, ex);
    else
        conf_expand_text(out, rest, (size_t) (end - rest), ex);
}

static void conf_expand_braced(VSTR *out, const char *body, size_t len, CONF_EXPAND *ex)
{
    if (++ex->nest > CONF_EXPAND_DEPTH)
        conf_expand_error(ex, "${...} nested too deeply");
    conf_expand_braced_body(out, body, len, ex);
    ex->nest--;
}

static void conf_expand_braced_body(VSTR *out, const char *body, size_t len, CONF_EXPAND *ex)
{
    size_t nlen = 0;
    char name[CONF_NAME_MAX + 1];
    VSTR *val;
    const char *rest;
    const char *end = body + len;
    const char *t, *f;
    size_t tlen, flen;

    if (len > 0 && body[0] == '{') {
        conf_expand_relational(out, body, len, ex);
        return;
    }
    while (nlen < len && body[nlen] != '?' && body[nlen] != ':')
        nlen++;
    if (!conf_valid_name(body, nlen))
        conf_expand_error(ex, "bad parameter name in ${...}");
    memcpy(name, body, nlen);
    name[nlen] = 0;
    if (nlen == len) {
        conf_expand_name(out, name, ex);
        return;
    }
    val = vstr_new(64);
    conf_expand_name(val, name, ex);
    rest = body + nlen + 1;
    if (body[nlen] == '?') {
        const char *cp = rest;

        /* ${name?{t}:{f}} chooses one of two; ${name?text} gives text or nothing. */
        if (conf_braced(&cp, end, &t, &tlen) && (cp = conf_skip_space(cp, end)) < end && *cp == ':'
            && (cp++, conf_braced(&cp, end, &f, &flen)) && conf_skip_space(cp, end) == end) {
            if (vstr_len(val) > 0)
                conf_expand_text(out, t, tlen, ex);
            else
                conf_expand_text(out, f, flen, ex);
        } else if (vstr_len(val) > 0) {
            conf_expand_alternative(out, rest, end, ex);
        }
    } else if (vstr_len(val) == 0) {
        conf_expand_alternative(out, rest, end, ex);
    } else {
        vstr_addmem(out, vstr_str(val), vstr_len(val));
    }
    vstr_free(val);
}

static void conf_expand_text(VSTR *out, const char *text, size_t len, CONF_EXPAND *ex)
{
    const char *cp = text;
    const char *end = text + len;

    while (cp < end) {
        const char *dollar = memchr(cp, '$', (size_t) (end - cp));

        if (dollar == NULL) {
            vstr_addmem(out, cp, (size_t) (end - cp));
            break;
        }
        vstr_addmem(out, cp, (size_t) (dollar - cp));
        cp = dollar + 1;
        if (cp >= end) {
            vstr_addch(out, '$');
        } else if (*cp == '$') {
            vstr_addch(out, '$');
            cp++;
        } else if (*cp == '{' || *cp == '(') {
            size_t close = conf_match_close(cp, (size_t) (end - cp));

            if (close == 0)
                conf_expand_error(ex, *cp == '{' ? "missing '}' after ${" : "missing ')' after $(");
            conf_expand_braced(out, cp + 1, close - 1, ex);
            cp += close + 1;
        } else if (isalnum((unsigned char) *cp) || *cp == '_') {
            char name[CONF_NAME_MAX + 1];
            size_t n = 0;

            while (cp + n < end && (isalnum((unsigned char) cp[n]) || cp[n] == '_'))
                n++;
            if (n > CONF_NAME_MAX)
                conf_expand_error(ex, "parameter name too long after $");
            memcpy(name, cp, n);
            name[n] = 0;
            conf_expand_name(out, name, ex);
            cp += n;
        } else {
            vstr_addch(out, '$');
        }
        if (vstr_len(out) > CONF_EXPAND_MAX)
            conf_expand_error(ex, "expansion result too long");
    }
    if (vstr_len(out) > CONF_EXPAND_MAX)
        conf_expand_error(ex, "expansion result too long");
}

void conf_expand(VSTR *out, const char *text)
{
    CONF_EXPAND ex;

    conf_require_init("conf_expand");
    ex.origin = NULL;
    ex.nest = 0;
    ex.stack = argv_new();
    conf_expand_text(out, text, strlen(text), &ex);
    argv_free(ex.stack);
}

const char *conf_get(const char *name)
{
    char *val;
    CONF_EXPAND ex;
    VSTR *out;

    conf_require_init("conf_get");
    if ((val = htable_get(conf.cache, name)) != NULL)
        return val;
    if (conf_get_raw(name) == NULL)
        return NULL;
    ex.origin = name;
    ex.nest = 0;
    ex.stack = argv_new();
    out = vstr_new(64);
    conf_expand_name(out, name, &ex);
    argv_free(ex.stack);
    val = vstr_export(out);
    htable_put(conf.cache, name, val);
    return val;
}

void conf_override(const char *name, const char *value)
{
    conf_require_init("conf_override");
    mem_free(htable_put(conf.overrides, name, mem_strdup(value)));
    conf_clear_caches();
}

void conf_set_default(const char *name, const char *value)
{
    conf_require_init("conf_set_default");
    mem_free(htable_put(conf.defaults, name, mem_strdup(value)));
    conf_clear_caches();
}

/*
 * Typed values.
 */

static const char *conf_get_checked(const char *name, const char *func)
{
    const char *val = conf_get(name);

    if (val == NULL)
        msg_panic("%s: unknown parameter %s", func, name);
    return val;
}

__attribute__((noreturn)) static void conf_bad_value(const char *name, const char *kind, const char *value)
{
    char where[PATH_MAX + 64];
    CONF_SETTING *s;

    if (!htable_has(conf.overrides, name) && (s = htable_get(conf.main, name)) != NULL)
        snprintf(where, sizeof(where), "%s, line %d: ", conf.path, s->line);
    else
        where[0] = 0;
    msg_fatal("%sbad %s configuration: %s = %.200s", where, kind, name, value);
}

int conf_parse_bool(const char *value)
{
    if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0)
        return 1;
    if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0)
        return 0;
    return -1;
}

int conf_parse_time(const char *value, int def_unit, long *seconds)
{
    char *end;
    long num;
    long mult;
    int unit;

    if (!isdigit((unsigned char) *value))
        return -1;
    errno = 0;
    num = strtol(value, &end, 10);
    if (errno != 0)
        return -1;
    if (*end == 0)
        unit = def_unit ? def_unit : 's';
    else if (end[1] == 0)
        unit = *end;
    else
        return -1;
    switch (unit) {
    case 's':
        mult = 1;
        break;
    case 'm':
        mult = 60;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'd':
        mult = 86400;
        break;
    case 'w':
        mult = 604800;
        break;
    default:
        return -1;
    }
    if (num > LONG_MAX / mult)
        return -1;
    *seconds = num * mult;
    return 0;
}

int conf_get_bool(const char *name)
{
    const char *val = conf_get_checked(name, "conf_get_bool");
    int b = conf_parse_bool(val);

    if (b < 0)
        conf_bad_value(name, "boolean", val);
    return b;
}

long conf_get_int(const char *name)
{
    const char *val = conf_get_checked(name, "conf_get_int");
    long num;

    if (str_parse_long(val, 0, LONG_MAX, &num) != 0)
        conf_bad_value(name, "numerical", val);
    return num;
}

long conf_get_time(const char *name)
{
    const char *val = conf_get_checked(name, "conf_get_time");
    const PARAM *p = params_find(name);
    int unit = p != NULL && p->unit ? p->unit : 's';
    long secs;

    if (p == NULL && conf_service_default(name) != NULL) {
        /* A per-transport time inherits the unit of its default_ parameter. */
        const char *def = conf_service_default(name);
        const PARAM *dp = params_find(def + 1);

        if (dp != NULL && dp->unit)
            unit = dp->unit;
    }
    if (conf_parse_time(val, unit, &secs) != 0)
        conf_bad_value(name, "numerical", val);
    return secs;
}

long long conf_get_size(const char *name)
{
    const char *val = conf_get_checked(name, "conf_get_size");
    char *end;
    long long num;

    if (!isdigit((unsigned char) *val))
        conf_bad_value(name, "numerical", val);
    errno = 0;
    num = strtoll(val, &end, 10);
    if (errno != 0 || *end != 0)
        conf_bad_value(name, "numerical", val);
    return num;
}

/*
 * Unused parameters.
 */

/* The service names of master.cf (first field of each entry, host: removed). */
static void conf_read_master_cf(void)
{
    char *path = mem_alloc(strlen(conf.dir) + sizeof("/master.cf"));
    FILE *fp;
    LINEREAD *lr;
    char *line;

    conf.services = argv_new();
    conf.master_lines = argv_new();
    sprintf(path, "%s/master.cf", conf.dir);
    if ((fp = fopen(path, "r")) != NULL) {
        lr = lineread_open(fp, path);
        while ((line = lineread_next(lr)) != NULL) {
            size_t n = strcspn(line, " \t");
            const char *colon;

            argv_add(conf.master_lines, line);
            line[n] = 0;
            if ((colon = strrchr(line, ':')) != NULL)
                line = (char *) colon + 1;
            argv_add(conf.services, line);
        }
        lineread_close(lr);
        fclose(fp);
    }
    mem_free(path);
}

/* Does text mention $name, ${name...} or $(name...)? */
static int conf_text_refers(const char *text, const char *name)
{
    size_t nlen = strlen(name);
    const char *cp;

    for (cp = text; (cp = strchr(cp, '$')) != NULL; cp++) {
        const char *n = cp + 1;

        if (*n == '{' || *n == '(')
            n++;
        if (strncmp(n, name, nlen) == 0 && !isalnum((unsigned char) n[nlen]) && n[nlen] != '_'
            && n[nlen] != '-')
            return 1;
    }
    return 0;
}

int conf_is_used(const char *name)
{
    const char **keys;
    size_t i;
    int used = 0;

    conf_require_init("conf_is_used");
    if (params_find(name) != NULL)
        return 1;
    if (conf.services == NULL)
        conf_read_master_cf();
    for (i = 0; i < conf.services->argc; i++)
        if (conf_is_service_param(name, conf.services->argv[i]))
            return 1;
    for (i = 0; i < conf.master_lines->argc; i++)
        if (conf_text_refers(conf.master_lines->argv[i], name))
            return 1;
    keys = htable_keys(conf.main);
    for (i = 0; keys[i] != NULL && !used; i++) {
        CONF_SETTING *s = htable_get(conf.main, keys[i]);

        if (strcmp(keys[i], name) != 0 && conf_text_refers(s->value, name))
            used = 1;
    }
    mem_free(keys);
    return used;
}

void conf_warn_unused(void)
{
    const char **keys;
    size_t i;

    conf_require_init("conf_warn_unused");
    keys = htable_keys(conf.main);
    for (i = 0; keys[i] != NULL; i++) {
        CONF_SETTING *s = htable_get(conf.main, keys[i]);

        if (!conf_is_used(keys[i]))
            msg_warn("%s: unused parameter: %s=%s", conf.path, keys[i], s->value);
    }
    mem_free(keys);
}

const char **conf_master_service_names(void)
{
    const char **names;
    size_t i;

    conf_require_init("conf_master_service_names");
    if (conf.services == NULL)
        conf_read_master_cf();
    names = mem_array_grow(NULL, conf.services->argc + 1, sizeof(*names));
    for (i = 0; i < conf.services->argc; i++)
        names[i] = conf.services->argv[i];
    names[i] = NULL;
    return names;
}

void conf_check_setgid_dir(const char *dir)
{
    const char *alt;
    ARGV *list;
    size_t i;
    int ok = 0;

    if (dir == NULL || strcmp(dir, DEF_CONFIG_DIR) == 0 || getegid() == getgid() || getuid() == 0)
        return;
    conf_init(DEF_CONFIG_DIR);
    alt = conf_get("alternate_config_directories");
    list = argv_split(alt ? alt : "", ", \t\r\n");
    for (i = 0; i < list->argc; i++)
        if (strcmp(list->argv[i], dir) == 0)
            ok = 1;
    argv_free(list);
    conf_free();
    if (!ok)
        msg_fatal("%s is not a known configuration directory (set-gid: only %s or one listed"
                  " in alternate_config_directories there)", dir, DEF_CONFIG_DIR);
}
