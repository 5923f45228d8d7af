/* table_pattern - regexp:/pcre: file syntax and lookups; see table_pattern.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lineread.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table_pattern.h"

enum { RULE_MATCH, RULE_IF, RULE_ENDIF };

typedef struct PATTERN_RULE {
    int op;                     /* RULE_* */
    int negate;
    int lineno;
    size_t endif;               /* RULE_IF: index of its endif */
    void *re;                   /* compiled pattern (RULE_MATCH, RULE_IF) */
    size_t nspans;              /* groups the result needs, plus one; 0: none */
    char *result;               /* RULE_MATCH */
} PATTERN_RULE;

typedef struct TABLE_PATTERN {
    TABLE t;
    const TABLE_PATTERN_OPS *ops;
    void *state;
    PATTERN_RULE *rules;
    size_t nrules;
    size_t cap;
    VSTR *result;
    VSTR *err;
    TABLE_PATTERN_SPAN spans[TABLE_PATTERN_GROUP_MAX + 1];
} TABLE_PATTERN;

#define NAME_SHOW 40            /* at most this much of a bad $name is shown */

static int is_name_char(int ch)
{
    return isalnum((unsigned char) ch) || ch == '_';
}

/*
 * Expand the result template tmpl into out with the groups of key, or, with
 * spans NULL, only check it and set *max_ref to the highest group it names
 * (-1: none). Return 0, or -1 with the reason in err.
 */
static int pattern_expand(const char *tmpl, const char *key, const TABLE_PATTERN_SPAN *spans,
                          size_t nspans, VSTR *out, long *max_ref, VSTR *err)
{
    const char *cp = tmpl;
    const char *name;
    const char *end;
    size_t name_len;
    size_t len;
    long n;
    size_t i;

    if (max_ref)
        *max_ref = -1;
    vstr_reset(out);
    while (*cp) {
        if (*cp != '$') {
            end = strchr(cp, '$');
            len = end ? (size_t) (end - cp) : strlen(cp);
            name = cp;
            cp += len;
            goto append;
        }
        cp++;
        if (*cp == '$') {
            name = cp++;
            len = 1;
            goto append;
        }
        if (*cp == '{' || *cp == '(') {
            name = cp + 1;
            if ((end = strchr(name, *cp == '{' ? '}' : ')')) == NULL) {
                vstr_sprintf(err, "missing '%c' after \"$%c\" in result \"%s\"",
                             *cp == '{' ? '}' : ')', *cp, tmpl);
                return -1;
            }
            name_len = (size_t) (end - name);
            cp = end + 1;
        } else if (is_name_char(*cp)) {
            name = cp;
            while (is_name_char(*cp))
                cp++;
            name_len = (size_t) (cp - name);
        } else {
            name = cp - 1;      /* a lone "$" stays */
            len = 1;
            goto append;
        }
        for (i = 0; i < name_len; i++)
            if (!isdigit((unsigned char) name[i]))
                break;
        if (name_len == 0 || i < name_len) {
            vstr_sprintf(err, "non-numeric replacement index \"%.*s\" in result \"%s\"",
                         (int) (name_len > NAME_SHOW ? NAME_SHOW : name_len), name, tmpl);
            return -1;
        }
        if (name_len > 2) {
            vstr_sprintf(err, "replacement index \"%.*s\" is larger than %d",
                         (int) (name_len > NAME_SHOW ? NAME_SHOW : name_len), name,
                         TABLE_PATTERN_GROUP_MAX);
            return -1;
        }
        n = name[0] - '0';
        if (name_len == 2)
            n = n * 10 + (name[1] - '0');
        if (spans == NULL) {
            if (n > *max_ref)
                *max_ref = n;
            continue;
        }
        if ((size_t) n >= nspans || spans[n].start < 0 || spans[n].end < spans[n].start)
            continue;
        name = key + spans[n].start;
        len = (size_t) (spans[n].end - spans[n].start);
    append:
        if (spans == NULL)
            continue;
        if (len > TABLE_PATTERN_RESULT_MAX - vstr_len(out)) {
            vstr_sprintf(err, "result is longer than %d bytes", TABLE_PATTERN_RESULT_MAX);
            return -1;
        }
        vstr_addmem(out, name, len);
    }
    return 0;
}

static const char *table_pattern_lookup(TABLE *t, const char *key)
{
    TABLE_PATTERN *p = (TABLE_PATTERN *) t;
    PATTERN_RULE *r;
    size_t i;
    int m;

    for (i = 0; i < p->nrules; i++) {
        r = p->rules + i;
        if (r->op == RULE_ENDIF)
            continue;
        m = p->ops->match(p->state, r->re, key, p->spans, r->op == RULE_IF ? 0 : r->nspans, p->err);
        if (m < 0) {
            msg_warn("%s map %s, line %d: %s", p->ops->kind, t->name, r->lineno,
                     vstr_str(p->err));
            t->error = TABLE_ERR_RETRY;
            return NULL;
        }
        if (r->op == RULE_IF) {
            if (m == r->negate)
                i = r->endif;
            continue;
        }
        if (m == r->negate)
            continue;
        if (pattern_expand(r->result, key, p->spans, r->nspans, p->result, NULL, p->err) < 0) {
            msg_warn("%s map %s, line %d: %s", p->ops->kind, t->name, r->lineno,
                     vstr_str(p->err));
            t->error = TABLE_ERR_CONFIG;
            return NULL;
        }
        return vstr_str(p->result);
    }
    return NULL;
}

static void table_pattern_close(TABLE *t)
{
    TABLE_PATTERN *p = (TABLE_PATTERN *) t;
    size_t i;

    for (i = 0; i < p->nrules; i++) {
        if (p->rules[i].re)
            p->ops->free(p->rules[i].re);
        mem_free(p->rules[i].result);
    }
    mem_free(p->rules);
    if (p->ops->state_free)
        p->ops->state_free(p->state);
    vstr_free(p->result);
    vstr_free(p->err);
    table_free_base(t);
}

static PATTERN_RULE *pattern_add(TABLE_PATTERN *p, int op, int lineno)
{
    PATTERN_RULE *r;

    if (p->nrules == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->rules = mem_array_grow(p->rules, p->cap, sizeof(*p->rules));
    }
    r = p->rules + p->nrules++;
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->lineno = lineno;
    return r;
}

/*
 * Parse "[!]<d>pattern<d>flags" at *cursor, in place; leave *cursor after
 * the flags and the white space that ends them. Return 0 or -1 with err.
 */
static int pattern_parse_spec(const TABLE_PATTERN_OPS *ops, char **cursor, int *negate,
                              char **pattern, char **flags, VSTR *err)
{
    char *cp = *cursor;
    int delim;

    *negate = 0;
    while (*cp == '!') {
        *negate = !*negate;
        cp++;
        cp += strspn(cp, " \t");
    }
    delim = (unsigned char) *cp;
    if (delim == 0 || isalnum(delim) || isspace(delim) || delim == '\\' || delim == '!') {
        vstr_sprintf(err, "expected \"/pattern/\" (any delimiter but a letter, digit, space, "
                          "'!' or '\\\\'), found \"%.*s\"", NAME_SHOW, cp);
        return -1;
    }
    *pattern = ++cp;
    while (*cp && (unsigned char) *cp != delim) {
        if (*cp == '\\' && cp[1] != 0)
            cp++;
        cp++;
    }
    if (*cp == 0) {
        vstr_sprintf(err, "missing closing delimiter '%c' after the pattern", delim);
        return -1;
    }
    *cp++ = 0;
    *flags = cp;
    for (; *cp && !isspace((unsigned char) *cp); cp++) {
        if (strchr(ops->flag_letters, *cp) == NULL) {
            vstr_sprintf(err, "unknown %s flag '%c' (valid: %s)", ops->kind, *cp,
                         ops->flag_letters);
            return -1;
        }
    }
    if (*cp)
        *cp++ = 0;
    *cursor = cp;
    return 0;
}

static int keyword(const char *line, const char *word)
{
    size_t len = strlen(word);

    return strncasecmp(line, word, len) == 0 && !is_name_char(line[len]);
}

/* Parse one logical line into a rule. Return 0 or -1 with err. */
static int pattern_parse_line(TABLE_PATTERN *p, char *line, int lineno, size_t *stack,
                              size_t *depth, VSTR *err)
{
    const TABLE_PATTERN_OPS *ops = p->ops;
    PATTERN_RULE *r;
    char *cp = str_trim(line);
    char *pattern;
    char *flags;
    char *result;
    size_t ngroups;
    int negate;
    int op = RULE_MATCH;
    long max_ref = -1;
    void *re;

    if (keyword(cp, "endif")) {
        if (*str_trim(cp + 5) != 0) {
            vstr_sprintf(err, "text after \"endif\"");
            return -1;
        }
        if (*depth == 0) {
            vstr_sprintf(err, "\"endif\" without a matching \"if\"");
            return -1;
        }
        p->rules[stack[--*depth]].endif = p->nrules;
        pattern_add(p, RULE_ENDIF, lineno);
        return 0;
    }
    if (keyword(cp, "if")) {
        op = RULE_IF;
        cp = str_trim(cp + 2);
        if (*depth >= TABLE_PATTERN_IF_MAX) {
            vstr_sprintf(err, "\"if\" nested more than %d deep", TABLE_PATTERN_IF_MAX);
            return -1;
        }
    }
    if (pattern_parse_spec(ops, &cp, &negate, &pattern, &flags, err) < 0)
        return -1;
    result = str_trim(cp);
    if (op == RULE_IF && *result != 0) {
        vstr_sprintf(err, "text after the \"if\" pattern: \"%.*s\"", NAME_SHOW, result);
        return -1;
    }
    if (op == RULE_MATCH) {
        if (pattern_expand(result, "", NULL, 0, p->result, &max_ref, err) < 0)
            return -1;
        if (negate && max_ref >= 0) {
            vstr_sprintf(err, "$%ld in the result of a negated pattern", max_ref);
            return -1;
        }
    }
    if ((re = ops->compile(p->state, pattern, flags, &ngroups, err)) == NULL)
        return -1;
    if (op == RULE_MATCH && max_ref >= 0 && (size_t) max_ref > ngroups) {
        vstr_sprintf(err, "replacement index $%ld is beyond the %zu group%s of the pattern",
                     max_ref, ngroups, ngroups == 1 ? "" : "s");
        ops->free(re);
        return -1;
    }
    r = pattern_add(p, op, lineno);
    r->re = re;
    r->negate = negate;
    if (op == RULE_IF) {
        stack[(*depth)++] = p->nrules - 1;
        return 0;
    }
    if (*result == 0)
        msg_warn("%s map %s, line %d: no result after the pattern: using an empty string",
                 ops->kind, p->t.name, lineno);
    r->result = mem_strdup(result);
    r->nspans = max_ref >= 0 ? (size_t) max_ref + 1 : 0;
    return 0;
}

/*
 * An inline table, "{ {rule}, {rule} ... }" (Postfix 3.7): each rule, with
 * the white space after its '{' and before its '}' removed, becomes one
 * line of text. 0 ok, -1 with the reason in why.
 */
static int pattern_inline_text(const char *name, VSTR *text, VSTR *why)
{
    size_t len = strlen(name), i, start;
    int depth;

    if (len < 2 || name[0] != '{' || name[len - 1] != '}') {
        vstr_sprintf(why, "inline table {%s}: need { {rule} ... }", name);
        return -1;
    }
    for (i = 1; i < len - 1;) {
        if (isspace((unsigned char) name[i]) || name[i] == ',') {
            i++;
            continue;
        }
        if (name[i] != '{') {
            vstr_sprintf(why, "inline table %s: a rule must be enclosed in { }", name);
            return -1;
        }
        start = ++i;
        for (depth = 1; i < len - 1 && depth > 0; i++) {
            if (name[i] == '{')
                depth++;
            else if (name[i] == '}')
                depth--;
        }
        if (depth != 0) {
            vstr_sprintf(why, "inline table %s: unbalanced { }", name);
            return -1;
        }
        {
            size_t a = start, b = i - 1;    /* [a, b): the rule */

            while (a < b && isspace((unsigned char) name[a]))
                a++;
            while (b > a && isspace((unsigned char) name[b - 1]))
                b--;
            vstr_addmem(text, name + a, b - a);
            vstr_addch(text, '\n');
        }
    }
    if (vstr_len(text) == 0)
        vstr_addch(text, '\n');
    return 0;
}

TABLE *table_pattern_open(const TABLE_PATTERN_OPS *ops, const char *type, const char *name,
                          int mode, int flags, VSTR *why)
{
    TABLE_PATTERN *p;
    FILE *fp;
    LINEREAD *lr;
    char *line;
    size_t stack[TABLE_PATTERN_IF_MAX];
    size_t depth = 0;
    int failed = 0;
    VSTR *inline_text = NULL;

    if (table_read_only(type, name, mode, why) < 0)
        return NULL;
    if (name[0] == '{') {
        inline_text = vstr_new(strlen(name) + 1);
        if (pattern_inline_text(name, inline_text, why) < 0
            || (fp = fmemopen(vstr_str(inline_text), vstr_len(inline_text), "r")) == NULL) {
            if (vstr_len(why) == 0)
                vstr_sprintf(why, "inline table %s: %s", name, strerror(errno));
            vstr_free(inline_text);
            return NULL;
        }
    } else if ((fp = fopen(name, "r")) == NULL) {
        vstr_sprintf(why, "open %s: %s", name, strerror(errno));
        return NULL;
    }
    p = (TABLE_PATTERN *) table_alloc(sizeof(*p), type, name, mode, flags, TABLE_PROP_PATTERN);
    p->ops = ops;
    p->state = ops->state_new ? ops->state_new() : NULL;
    p->result = vstr_new(0);
    p->err = vstr_new(0);
    p->t.lookup = table_pattern_lookup;
    p->t.close = table_pattern_close;
    lr = lineread_open(fp, name);
    while (!failed && (line = lineread_next(lr)) != NULL) {
        if (pattern_parse_line(p, line, lr->first_line, stack, &depth, p->err) < 0) {
            vstr_sprintf(why, "%s map %s, line %d: %s", ops->kind, name, lr->first_line,
                         vstr_str(p->err));
            failed = 1;
        }
    }
    if (!failed && lr->error != NULL) {
        vstr_sprintf(why, "%s map %s, line %d: %s", ops->kind, name, lr->lineno + 1, lr->error);
        failed = 1;
    }
    if (!failed && depth > 0) {
        vstr_sprintf(why, "%s map %s, line %d: \"if\" without a matching \"endif\"", ops->kind,
                     name, p->rules[stack[depth - 1]].lineno);
        failed = 1;
    }
    lineread_close(lr);
    fclose(fp);
    if (inline_text)
        vstr_free(inline_text);
    if (failed) {
        table_pattern_close(&p->t);
        return NULL;
    }
    if (name[0] != '{')
        table_watch(&p->t, name);
    return &p->t;
}
