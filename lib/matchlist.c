/*
 * matchlist - Postfix-style match lists; see matchlist.h.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "lineread.h"
#include "matchlist.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "table.h"

#define MATCH_SEP " \t\r\n,"

enum { ITEM_NAME, ITEM_CIDR, ITEM_TABLE, ITEM_BAD };

typedef struct MATCH_ITEM {
    int type;
    int negate;
    char *text;                 /* ITEM_NAME: the lower-cased pattern */
    size_t len;
    CIDR cidr;
    TABLE *table;
    char *error;                /* ITEM_BAD: why */
} MATCH_ITEM;

struct MATCH_LIST {
    char *title;
    int flags;
    MATCH_ITEM *items;
    size_t count;
    size_t cap;
    const char *error;          /* why the last match failed */
    VSTR *error_buf;
    VSTR *why;                  /* create only: the first problem */
};

/* Compile-time context: where the text came from. */
typedef struct MATCH_SRC {
    const char *file;           /* NULL for the parameter value */
    int line;
    int depth;
} MATCH_SRC;

static void match_parse_text(MATCH_LIST *list, char *text, const MATCH_SRC *src);

static MATCH_ITEM *match_item_add(MATCH_LIST *list, int type, int negate)
{
    MATCH_ITEM *item;

    if (list->count == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 8;
        list->items = mem_array_grow(list->items, list->cap, sizeof(*list->items));
    }
    item = &list->items[list->count++];
    memset(item, 0, sizeof(*item));
    item->type = type;
    item->negate = negate;
    return item;
}

/* Record a broken item; the first problem also goes to the caller's why. */
static void match_item_bad(MATCH_LIST *list, const MATCH_SRC *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void match_item_bad(MATCH_LIST *list, const MATCH_SRC *src, const char *fmt, ...)
{
    VSTR *text = vstr_new(128);
    va_list ap;
    MATCH_ITEM *item;

    vstr_printf(text, "%s: ", list->title);
    if (src->file != NULL)
        vstr_printf(text, "%s, line %d: ", src->file, src->line);
    va_start(ap, fmt);
    vstr_vprintf(text, fmt, ap);
    va_end(ap);
    if (list->why != NULL && vstr_len(list->why) == 0)
        vstr_set(list->why, vstr_str(text));
    if (list->count >= MATCH_LIST_MAX_ITEMS && list->count > 0
        && list->items[list->count - 1].type == ITEM_BAD) {
        vstr_free(text);        /* the list is already broken at its end */
        return;
    }
    item = match_item_add(list, ITEM_BAD, 0);
    item->error = vstr_export(text);
}

/* Does an item look like an IP address or network (host lists)? */
static int match_looks_numeric(const char *item)
{
    CIDR probe;
    char buf[CIDR_TEXT_MAX];
    const char *slash;
    size_t len;

    if (item[0] == '[')
        return 1;
    if (item[0] >= '0' && item[0] <= '9' && strspn(item, "0123456789./") == strlen(item))
        return 1;
    /* Unbracketed IPv6, with or without a prefix length. */
    slash = strchr(item, '/');
    len = slash ? (size_t) (slash - item) : strlen(item);
    if (len == 0 || len >= sizeof(buf) || memchr(item, ':', len) == NULL)
        return 0;
    memcpy(buf, item, len);
    buf[len] = 0;
    return cidr_parse_addr(&probe, buf) == 0;
}

static void match_add_file(MATCH_LIST *list, const char *path, const MATCH_SRC *src)
{
    FILE *fp;
    LINEREAD *lr;
    char *line;
    MATCH_SRC sub;

    if ((fp = fopen(path, "r")) == NULL) {
        match_item_bad(list, src, "open \"%s\": %s", path, strerror(errno));
        return;
    }
    lr = lineread_open(fp, path);
    lineread_set_max(lr, 64 * 1024);
    sub.file = path;
    sub.depth = src->depth + 1;
    sub.line = 0;
    while ((line = lineread_next(lr)) != NULL) {
        sub.line = lr->first_line;
        match_parse_text(list, line, &sub);
        if (list->count >= MATCH_LIST_MAX_ITEMS)
            break;
    }
    if (lr->error != NULL) {
        sub.line = lr->lineno + 1;      /* the physical line that failed */
        match_item_bad(list, &sub, "%s", lr->error);
    }
    lineread_close(lr);
    (void) fclose(fp);
}

static void match_add_table(MATCH_LIST *list, const char *spec, int negate, const MATCH_SRC *src)
{
    VSTR *why = vstr_new(0);
    TABLE *t = table_open(spec, TABLE_READ, TABLE_FLAGS_READ, why);

    if (t == NULL) {
        match_item_bad(list, src, "%s", vstr_len(why) ? vstr_str(why) : spec);
    } else {
        MATCH_ITEM *item = match_item_add(list, ITEM_TABLE, negate);

        item->table = t;
        item->text = mem_strdup(spec);
    }
    vstr_free(why);
}

/* Compile one item (braces already removed). */
static void match_add_item(MATCH_LIST *list, char *item, const MATCH_SRC *src)
{
    int negate = 0;
    int kind = list->flags & MATCH_KIND_MASK;
    VSTR *why;

    if (list->count >= MATCH_LIST_MAX_ITEMS) {
        match_item_bad(list, src, "more than %d items", MATCH_LIST_MAX_ITEMS);
        return;
    }
    for (; *item == '!'; item++)
        negate = !negate;
    if (*item == 0) {
        match_item_bad(list, src, "\"!\" without a pattern");
        return;
    }
    if (*item == '/') {
        if (negate)
            match_item_bad(list, src, "negation of a file is not supported: \"!%s\"", item);
        else if (src->depth >= MATCH_LIST_MAX_DEPTH)
            match_item_bad(list, src, "files nested more than %d deep at \"%s\"",
                           MATCH_LIST_MAX_DEPTH, item);
        else
            match_add_file(list, item, src);
        return;
    }
    if (kind == MATCH_HOST && match_looks_numeric(item)) {
        MATCH_ITEM *it;
        CIDR net;

        why = vstr_new(0);
        if (cidr_parse(&net, item, why) < 0) {
            match_item_bad(list, src, "%s", vstr_str(why));
        } else {
            it = match_item_add(list, ITEM_CIDR, negate);
            it->cidr = net;
            it->text = mem_strdup(item);
        }
        vstr_free(why);
        return;
    }
    if (strchr(item, ':') != NULL && item[0] != '[') {
        match_add_table(list, item, negate, src);
        return;
    }
    {
        MATCH_ITEM *it = match_item_add(list, ITEM_NAME, negate);

        it->text = str_lower(mem_strdup(item));
        it->len = strlen(it->text);
    }
}

/*
 * Split text into items at separators outside braces and compile each.
 * An item that is one brace group "{ text }" stands for its trimmed text.
 */
static void match_parse_text(MATCH_LIST *list, char *text, const MATCH_SRC *src)
{
    char *cp = text;

    while (*cp != 0) {
        char *start;
        int depth = 0;
        int unbalanced = 0;

        cp += strspn(cp, MATCH_SEP);
        if (*cp == 0)
            break;
        start = cp;
        for (; *cp != 0; cp++) {
            if (*cp == '{') {
                if (++depth > MATCH_LIST_MAX_DEPTH) {
                    unbalanced = 1;
                    break;
                }
            } else if (*cp == '}') {
                if (--depth < 0) {
                    unbalanced = 1;
                    break;
                }
            } else if (depth == 0 && strchr(MATCH_SEP, *cp) != NULL) {
                break;
            }
        }
        if (unbalanced || depth != 0) {
            match_item_bad(list, src, "unbalanced \"{\" or \"}\" in \"%.100s\"", start);
            return;
        }
        if (*cp != 0)
            *cp++ = 0;
        if (strlen(start) > MATCH_LIST_MAX_ITEM) {
            match_item_bad(list, src, "item longer than %d bytes: \"%.40s...\"",
                           MATCH_LIST_MAX_ITEM, start);
            continue;
        }
        if (start[0] == '{') {
            size_t len = strlen(start);

            if (start[len - 1] != '}') {
                match_item_bad(list, src, "text after \"}\" in \"%.100s\"", start);
                continue;
            }
            start[len - 1] = 0;
            start = str_trim(start + 1);
            if (*start == 0)
                continue;
            match_add_item(list, start, src);
        } else {
            match_add_item(list, start, src);
        }
        if (list->count >= MATCH_LIST_MAX_ITEMS && *cp != 0) {
            match_item_bad(list, src, "more than %d items", MATCH_LIST_MAX_ITEMS);
            return;
        }
    }
}

MATCH_LIST *match_list_create(const char *title, const char *text, int flags, VSTR *why)
{
    MATCH_LIST *list = mem_calloc(1, sizeof(*list));
    MATCH_SRC src = {NULL, 0, 0};
    char *copy = mem_strdup(text);
    int kind = flags & MATCH_KIND_MASK;

    if (kind != MATCH_DOMAIN && kind != MATCH_HOST && kind != MATCH_STRING)
        msg_panic("match_list_create: bad kind %d", kind);
    list->title = mem_strdup(title);
    list->flags = flags;
    list->why = why;
    if (why != NULL)
        vstr_reset(why);
    match_parse_text(list, copy, &src);
    list->why = NULL;
    mem_free(copy);
    return list;
}

/* Does a name pattern match a domain name (both case-insensitive)? */
static int match_name(const MATCH_LIST *list, const MATCH_ITEM *item, const char *name, size_t len)
{
    const char *tail;

    if (len == item->len && strcasecmp(name, item->text) == 0)
        return 1;
    if (item->text[0] == '.') {
        return len > item->len && strcasecmp(name + len - item->len, item->text) == 0;
    }
    if (list->flags & MATCH_FLAG_PARENT) {
        if (len <= item->len + 1)
            return 0;
        tail = name + len - item->len;
        return tail[-1] == '.' && strcasecmp(tail, item->text) == 0;
    }
    return 0;
}

/* Look a key up; 1 found, 0 not, -1 error (list->error set). */
static int match_table_key(MATCH_LIST *list, MATCH_ITEM *item, const char *key)
{
    if (table_lookup(item->table, key) != NULL)
        return 1;
    if (item->table->error != TABLE_OK) {
        if (list->error_buf == NULL)
            list->error_buf = vstr_new(0);
        vstr_sprintf(list->error_buf, "%s: %s: table lookup of \"%.100s\" failed: %s",
                     list->title, item->text, key, table_error_text(item->table->error));
        list->error = vstr_str(list->error_buf);
        return -1;
    }
    return 0;
}

/* Look up a domain and its parents in a table. */
static int match_table_domain(MATCH_LIST *list, MATCH_ITEM *item, const char *name)
{
    const char *entry = name;
    int found;

    if ((found = match_table_key(list, item, name)) != 0)
        return found;
    if ((item->table->props & TABLE_PROP_FIXED) == 0)
        return 0;
    while ((entry = strchr(entry + 1, '.')) != NULL) {
        const char *key = (list->flags & MATCH_FLAG_PARENT) ? entry + 1 : entry;

        if (*key == 0 || (*key == '.' && key[1] == 0))
            break;
        if ((found = match_table_key(list, item, key)) != 0)
            return found;
    }
    return 0;
}

/*
 * Walk the list. name: a domain or host name (or NULL); addr: a parsed client
 * address (or NULL); addr_text its text for tables; str: MATCH_STRING.
 */
static int match_list_walk(MATCH_LIST *list, const char *name, const CIDR *addr,
                           const char *addr_text)
{
    size_t i;
    size_t name_len = name ? strlen(name) : 0;
    int kind = list->flags & MATCH_KIND_MASK;

    list->error = NULL;
    for (i = 0; i < list->count; i++) {
        MATCH_ITEM *item = &list->items[i];
        int found = 0;

        switch (item->type) {
        case ITEM_BAD:
            list->error = item->error;
            return MATCH_ERROR;
        case ITEM_NAME:
            if (name == NULL)
                break;
            if (kind == MATCH_STRING)
                found = name_len == item->len && strcasecmp(name, item->text) == 0;
            else
                found = match_name(list, item, name, name_len);
            break;
        case ITEM_CIDR:
            found = addr != NULL && cidr_match(&item->cidr, addr);
            break;
        case ITEM_TABLE:
            if (name != NULL && *name != 0) {
                if (kind == MATCH_STRING)
                    found = match_table_key(list, item, name);
                else
                    found = match_table_domain(list, item, name);
            }
            if (found == 0 && addr_text != NULL && *addr_text != 0)
                found = match_table_key(list, item, addr_text);
            if (found < 0)
                return MATCH_ERROR;
            break;
        default:
            msg_panic("match_list_walk: bad item type %d", item->type);
        }
        if (found)
            return item->negate ? MATCH_NO : MATCH_YES;
    }
    return MATCH_NO;
}

static void match_list_check_kind(const MATCH_LIST *list, int kind, const char *fn)
{
    if ((list->flags & MATCH_KIND_MASK) != kind)
        msg_panic("%s: list \"%s\" is of another kind", fn, list->title);
}

int match_list_domain(MATCH_LIST *list, const char *name)
{
    match_list_check_kind(list, MATCH_DOMAIN, "match_list_domain");
    return match_list_walk(list, name, NULL, NULL);
}

int match_list_host(MATCH_LIST *list, const char *name, const char *addr)
{
    CIDR parsed;
    int have_addr;

    match_list_check_kind(list, MATCH_HOST, "match_list_host");
    have_addr = addr != NULL && cidr_parse_addr(&parsed, addr) == 0;
    return match_list_walk(list, name, have_addr ? &parsed : NULL, addr);
}

int match_list_string(MATCH_LIST *list, const char *str)
{
    match_list_check_kind(list, MATCH_STRING, "match_list_string");
    return match_list_walk(list, str, NULL, NULL);
}

const char *match_list_error(const MATCH_LIST *list)
{
    return list->error;
}

size_t match_list_count(const MATCH_LIST *list)
{
    return list->count;
}

int match_list_parent_flag(const char *name, const char *pdms)
{
    size_t len = strlen(name);
    const char *cp = pdms;

    if (cp == NULL || len == 0)
        return 0;
    for (;;) {
        size_t n;

        cp += strspn(cp, MATCH_SEP);
        if (*cp == 0)
            return 0;
        n = strcspn(cp, MATCH_SEP);
        if (n == len && strncasecmp(cp, name, len) == 0)
            return MATCH_FLAG_PARENT;
        cp += n;
    }
}

void match_list_free(MATCH_LIST *list)
{
    size_t i;

    if (list == NULL)
        return;
    for (i = 0; i < list->count; i++) {
        mem_free(list->items[i].text);
        mem_free(list->items[i].error);
        if (list->items[i].table != NULL)
            table_close(list->items[i].table);
    }
    mem_free(list->items);
    mem_free(list->title);
    if (list->error_buf != NULL)
        vstr_free(list->error_buf);
    mem_free(list);
}
