/* table_cidr - the cidr: table type; see table_cidr.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lineread.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table_cidr.h"
#include "table_types.h"

enum { CIDR_MATCH, CIDR_IF, CIDR_ENDIF };

typedef struct CIDR_NET {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;
} CIDR_NET;

typedef struct CIDR_RULE {
    int op;                     /* CIDR_* */
    int negate;
    int lineno;
    size_t endif;               /* CIDR_IF: index of its endif (nrules: end of file) */
    CIDR_NET net;
    char *result;               /* CIDR_MATCH */
} CIDR_RULE;

typedef struct TABLE_CIDR {
    TABLE t;
    CIDR_RULE *rules;
    size_t nrules;
    size_t cap;
} TABLE_CIDR;

#define CIDR_SHOW 100           /* at most this much of a bad pattern is shown */

/* An address as inet_pton() reads it: IPv6 when it has a ':'. 0 or -1. */
static int cidr_addr(const char *text, int *family, unsigned char *addr)
{
    *family = strchr(text, ':') ? AF_INET6 : AF_INET;
    return inet_pton(*family, text, addr) == 1 ? 0 : -1;
}

static int cidr_has_host_bits(const CIDR_NET *net)
{
    int len = net->family == AF_INET ? 4 : 16;
    int i;

    for (i = 0; i < len; i++) {
        int keep = net->bits - 8 * i;
        unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char) (0xff << (8 - keep));

        if (net->addr[i] & (unsigned char) ~mask)
            return 1;
    }
    return 0;
}

static int cidr_contains(const CIDR_NET *net, int family, const unsigned char *addr)
{
    int full = net->bits / 8, rest = net->bits % 8;

    if (family != net->family || memcmp(net->addr, addr, (size_t) full) != 0)
        return 0;
    return rest == 0 || ((net->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * Parse a network pattern (brackets around the address allowed, as
 * "[addr]/len" or "[addr/len]"). Return 0, or -1 with the reason in why.
 */
static int cidr_parse_net(const char *pattern, CIDR_NET *net, VSTR *why)
{
    char *text = mem_strdup(pattern);
    char *slash, *close, *cp;
    int ret = -1;
    long bits = 0;

    if (text[0] == '[' && (close = strchr(text, ']')) != NULL) {
        memmove(close, close + 1, strlen(close + 1) + 1);
        memmove(text, text + 1, strlen(text + 1) + 1);
    }
    if ((slash = strchr(text, '/')) != NULL) {
        cp = slash + 1;
        if (*cp == 0 || strspn(cp, "0123456789") != strlen(cp)) {
            vstr_sprintf(why, "bad mask value in \"%.*s\"", CIDR_SHOW, text);
            goto out;
        }
        for (bits = 0; *cp && bits <= 128; cp++)
            bits = bits * 10 + (*cp - '0');
        *slash = 0;
    }
    if (cidr_addr(text, &net->family, net->addr) < 0) {
        vstr_sprintf(why, "bad address pattern: \"%.*s\"", CIDR_SHOW, text);
        goto out;
    }
    if (slash == NULL) {
        net->bits = net->family == AF_INET ? 32 : 128;
    } else if (bits > (net->family == AF_INET ? 32 : 128)) {
        *slash = '/';
        vstr_sprintf(why, "bad mask length in \"%.*s\"", CIDR_SHOW, text);
        goto out;
    } else {
        net->bits = (int) bits;
    }
    if (cidr_has_host_bits(net)) {
        char shown[INET6_ADDRSTRLEN];
        CIDR_NET fixed = *net;
        int i;

        for (i = 0; i < 16; i++) {
            int keep = net->bits - 8 * i;

            fixed.addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char) (0xff << (8 - keep));
        }
        inet_ntop(net->family, fixed.addr, shown, sizeof(shown));
        if (slash != NULL)
            *slash = '/';
        vstr_sprintf(why, "non-null host address bits in \"%.*s\", perhaps you should use "
                          "\"%s/%d\" instead", CIDR_SHOW, text, shown, net->bits);
        goto out;
    }
    ret = 0;
out:
    mem_free(text);
    return ret;
}

static const char *table_cidr_lookup(TABLE *t, const char *key)
{
    TABLE_CIDR *c = (TABLE_CIDR *) t;
    unsigned char addr[16];
    int family;
    size_t i;

    if (cidr_addr(key, &family, addr) < 0)
        return NULL;
    for (i = 0; i < c->nrules; i++) {
        const CIDR_RULE *r = c->rules + i;
        int in;

        if (r->op == CIDR_ENDIF)
            continue;
        /* Only an address of the network's family can be in it, or not in it. */
        in = family == r->net.family ? cidr_contains(&r->net, family, addr) != r->negate : 0;
        if (r->op == CIDR_IF) {
            if (!in)
                i = r->endif;
            continue;
        }
        if (in)
            return r->result;
    }
    return NULL;
}

static void table_cidr_close(TABLE *t)
{
    TABLE_CIDR *c = (TABLE_CIDR *) t;
    size_t i;

    for (i = 0; i < c->nrules; i++)
        mem_free(c->rules[i].result);
    mem_free(c->rules);
    table_free_base(t);
}

static CIDR_RULE *cidr_add(TABLE_CIDR *c, int op, int lineno)
{
    CIDR_RULE *r;

    if (c->nrules == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->rules = mem_array_grow(c->rules, c->cap, sizeof(*c->rules));
    }
    r = c->rules + c->nrules++;
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->lineno = lineno;
    return r;
}

static int cidr_keyword(const char *line, const char *word)
{
    size_t len = strlen(word);

    return strncasecmp(line, word, len) == 0 && (line[len] == 0 || isspace((unsigned char) line[len]));
}

/* One logical line; a rule that cannot be used is skipped with a warning. */
static void cidr_parse_line(TABLE_CIDR *c, char *line, int lineno, size_t *stack, size_t *depth,
                            VSTR *why)
{
    char *cp = str_trim(line);
    char *pattern, *result = "";
    int op = CIDR_MATCH, negate = 0;
    CIDR_NET net;
    CIDR_RULE *r;

    vstr_reset(why);
    if (cidr_keyword(cp, "endif")) {
        if (*str_trim(cp + 5) != 0)
            vstr_sprintf(why, "garbage after ENDIF");
        else if (*depth == 0)
            vstr_sprintf(why, "ENDIF without IF");
        if (vstr_len(why) == 0) {
            c->rules[stack[--*depth]].endif = c->nrules;
            cidr_add(c, CIDR_ENDIF, lineno);
        }
    } else {
        if (cidr_keyword(cp, "if")) {
            op = CIDR_IF;
            cp = str_trim(cp + 2);
        }
        if (*cp == '!') {
            negate = 1;
            cp = str_trim(cp + 1);
        }
        pattern = cp;
        if (op == CIDR_MATCH) {
            cp += strcspn(cp, " \t\r\n");
            if (*cp) {
                *cp++ = 0;
                result = str_trim(cp);
            }
        }
        if (cidr_parse_net(pattern, &net, why) < 0) {
            /* why says it */
        } else if (op == CIDR_MATCH && *result == 0) {
            vstr_sprintf(why, "no lookup result");
        } else if (op == CIDR_IF && *depth >= TABLE_CIDR_IF_MAX) {
            vstr_sprintf(why, "IF nested more than %d deep", TABLE_CIDR_IF_MAX);
        } else {
            r = cidr_add(c, op, lineno);
            r->net = net;
            r->negate = negate;
            if (op == CIDR_IF)
                stack[(*depth)++] = c->nrules - 1;
            else
                r->result = mem_strdup(result);
        }
    }
    if (vstr_len(why) > 0)
        msg_warn("cidr map %s, line %d: %s: skipping this rule", c->t.name, lineno, vstr_str(why));
}

TABLE *table_cidr_open(const char *type, const char *name, int mode, int flags, VSTR *why)
{
    TABLE_CIDR *c;
    FILE *fp;
    LINEREAD *lr;
    char *line;
    size_t stack[TABLE_CIDR_IF_MAX];
    size_t depth = 0;
    VSTR *err;
    int failed = 0;

    if (mode != TABLE_READ) {
        vstr_sprintf(why, "%s:%s: the %s type is read-only", type, name, type);
        return NULL;
    }
    if ((fp = fopen(name, "r")) == NULL) {
        vstr_sprintf(why, "open %s: %s", name, strerror(errno));
        return NULL;
    }
    c = (TABLE_CIDR *) table_alloc(sizeof(*c), type, name, mode, flags, TABLE_PROP_PATTERN);
    c->t.lookup = table_cidr_lookup;
    c->t.close = table_cidr_close;
    err = vstr_new(0);
    lr = lineread_open(fp, name);
    while ((line = lineread_next(lr)) != NULL)
        cidr_parse_line(c, line, lr->first_line, stack, &depth, err);
    if (lr->error != NULL) {
        vstr_sprintf(why, "cidr map %s, line %d: %s", name, lr->lineno + 1, lr->error);
        failed = 1;
    }
    /* An if without its endif: warned about, and it extends to the end. */
    while (!failed && depth > 0) {
        CIDR_RULE *r = c->rules + stack[--depth];

        msg_warn("cidr map %s, line %d: IF has no matching ENDIF", name, r->lineno);
        r->endif = c->nrules;
    }
    lineread_close(lr);
    fclose(fp);
    vstr_free(err);
    if (failed) {
        table_cidr_close(&c->t);
        return NULL;
    }
    table_watch(&c->t, name);
    return &c->t;
}
