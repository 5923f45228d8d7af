/*
 * cleanup_header - message header helpers (see cleanup_header.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cleanup_header.h"
#include "cleanup_rewrite.h"
#include "mem.h"

size_t cleanup_header_name(const char *line, size_t *len)
{
    size_t n = 0;
    size_t i;

    while (n < *len && (unsigned char) line[n] > 32 && (unsigned char) line[n] < 127
           && line[n] != ':')
        n++;
    if (n == 0)
        return 0;
    for (i = n; i < *len && (line[i] == ' ' || line[i] == '\t'); i++)
        /* obsolete white space before the colon */;
    if (i >= *len || line[i] != ':')
        return 0;
    return n;
}

static const struct {
    const char *name;
    int kind;
} cleanup_header_kinds[] = {
    {"From", CLEANUP_HK_FROM},
    {"Sender", CLEANUP_HK_SENDER},
    {"Reply-To", CLEANUP_HK_REPLY_TO},
    {"Errors-To", CLEANUP_HK_ERRORS_TO},
    {"Return-Receipt-To", CLEANUP_HK_RETURN_RECEIPT_TO},
    {"To", CLEANUP_HK_TO},
    {"Cc", CLEANUP_HK_CC},
    {"Bcc", CLEANUP_HK_BCC},
    {"Apparently-To", CLEANUP_HK_APPARENTLY_TO},
    {"Resent-From", CLEANUP_HK_RESENT_FROM},
    {"Resent-Sender", CLEANUP_HK_RESENT_SENDER},
    {"Resent-Reply-To", CLEANUP_HK_RESENT_REPLY_TO},
    {"Resent-To", CLEANUP_HK_RESENT_TO},
    {"Resent-Cc", CLEANUP_HK_RESENT_CC},
    {"Resent-Bcc", CLEANUP_HK_RESENT_BCC},
    {"Resent-Date", CLEANUP_HK_RESENT_DATE},
    {"Resent-Message-Id", CLEANUP_HK_RESENT_MSGID},
    {"Date", CLEANUP_HK_DATE},
    {"Message-Id", CLEANUP_HK_MSGID},
    {"Received", CLEANUP_HK_RECEIVED},
    {"Content-Length", CLEANUP_HK_CONTENT_LENGTH},
    {"Return-Path", CLEANUP_HK_RETURN_PATH},
    {"Content-Type", CLEANUP_HK_CONTENT_TYPE},
};

int cleanup_header_kind(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(cleanup_header_kinds) / sizeof(cleanup_header_kinds[0]); i++)
        if (strlen(cleanup_header_kinds[i].name) == len
            && strncasecmp(cleanup_header_kinds[i].name, name, len) == 0)
            return cleanup_header_kinds[i].kind;
    if (len > 7 && strncasecmp(name, "Resent-", 7) == 0)
        return CLEANUP_HK_RESENT_OTHER;
    return CLEANUP_HK_OTHER;
}

int cleanup_header_is_sender(int kind)
{
    switch (kind) {
    case CLEANUP_HK_FROM: case CLEANUP_HK_SENDER: case CLEANUP_HK_REPLY_TO:
    case CLEANUP_HK_ERRORS_TO: case CLEANUP_HK_RETURN_RECEIPT_TO:
    case CLEANUP_HK_RESENT_FROM: case CLEANUP_HK_RESENT_SENDER:
    case CLEANUP_HK_RESENT_REPLY_TO:
        return 1;
    }
    return 0;
}

int cleanup_header_is_rcpt(int kind)
{
    switch (kind) {
    case CLEANUP_HK_TO: case CLEANUP_HK_CC: case CLEANUP_HK_BCC:
    case CLEANUP_HK_APPARENTLY_TO: case CLEANUP_HK_RESENT_TO: case CLEANUP_HK_RESENT_CC:
    case CLEANUP_HK_RESENT_BCC:
        return 1;
    }
    return 0;
}

/* The value of a header: what follows the colon. */
static const char *cleanup_header_value(const char *header)
{
    const char *colon = strchr(header, ':');

    return colon != NULL ? colon + 1 : "";
}

/* Whether a display name needs quotes in a From: or rebuilt header. */
static int cleanup_needs_quotes(const char *name)
{
    return strpbrk(name, "()<>@,;:\\\".[]") != NULL;
}

static void cleanup_add_display(VSTR *out, const char *name)
{
    const char *p;

    if (!cleanup_needs_quotes(name)) {
        vstr_adds(out, name);
        return;
    }
    vstr_addch(out, '"');
    for (p = name; *p != 0; p++) {
        if (*p == '"' || *p == '\\')
            vstr_addch(out, '\\');
        vstr_addch(out, *p);
    }
    vstr_addch(out, '"');
}

static void cleanup_add_mailbox(VSTR *out, const ADDR_ITEM *item, VSTR *tmp)
{
    vstr_reset(tmp);
    addr_quote(tmp, item->addr);
    if (item->display != NULL && *item->display != 0) {
        cleanup_add_display(out, item->display);
        vstr_printf(out, " <%s>", vstr_str(tmp));
    } else if (*item->addr == 0) {
        vstr_adds(out, "<>");
    } else {
        vstr_adds(out, vstr_str(tmp));
    }
}

int cleanup_header_rewrite(const CLEANUP_CONF *conf, int context, int class,
                           const char *header, VSTR *out)
{
    VSTR *why = vstr_new(0);
    VSTR *addr = vstr_new(0);
    VSTR *tmp = vstr_new(0);
    ADDR_LIST *list;
    const char *group = NULL;
    int changed = 0;
    size_t i;

    list = addr_list_parse(cleanup_header_value(header), why);
    vstr_free(why);
    if (list == NULL) {
        vstr_free(addr);
        vstr_free(tmp);
        return 0;
    }
    for (i = 0; i < list->count; i++) {
        ADDR_ITEM *item = list->items + i;

        if (*item->addr == 0)
            continue;
        vstr_set(addr, item->addr);
        if (context != CLEANUP_CTX_NONE)
            cleanup_rewrite_context(conf, context == CLEANUP_CTX_LOCAL, addr);
        if (cleanup_canonical(conf, class, addr) < 0) {
            changed = -1;
            break;
        }
        cleanup_masquerade(conf, class, addr);
        if (strcmp(vstr_str(addr), item->addr) != 0) {
            mem_free(item->addr);
            item->addr = mem_strdup(vstr_str(addr));
            changed = 1;
        }
    }
    if (changed == 1) {
        vstr_reset(out);
        vstr_addmem(out, header, (size_t) (cleanup_header_value(header) - header));
        vstr_addch(out, ' ');
        for (i = 0; i < list->count; i++) {
            ADDR_ITEM *item = list->items + i;

            if (group != NULL && (item->group == NULL || strcmp(item->group, group) != 0)) {
                vstr_adds(out, ";");
                group = NULL;
            }
            if (i > 0)
                vstr_adds(out, group != NULL ? ", " : ", ");
            if (item->group != NULL && group == NULL) {
                group = item->group;
                cleanup_add_display(out, group);
                vstr_adds(out, ": ");
            }
            if (*item->addr != 0 || item->group == NULL)
                cleanup_add_mailbox(out, item, tmp);
        }
        if (group != NULL)
            vstr_adds(out, ";");
    }
    addr_list_free(list);
    vstr_free(addr);
    vstr_free(tmp);
    return changed;
}

int cleanup_header_addrs(const char *header, ARGV *out)
{
    VSTR *why = vstr_new(0);
    ADDR_LIST *list;
    size_t i;

    list = addr_list_parse(cleanup_header_value(header), why);
    vstr_free(why);
    if (list == NULL)
        return -1;
    for (i = 0; i < list->count; i++)
        if (*list->items[i].addr != 0)
            argv_add(out, list->items[i].addr);
    addr_list_free(list);
    return 0;
}

void cleanup_header_from(VSTR *out, const char *addr, const char *full_name)
{
    VSTR *ext = vstr_new(0);

    addr_quote(ext, addr);
    vstr_set(out, "From: ");
    if (full_name != NULL && *full_name != 0) {
        cleanup_add_display(out, full_name);
        vstr_printf(out, " <%s>", vstr_str(ext));
    } else {
        vstr_adds(out, vstr_str(ext));
    }
    vstr_free(ext);
}
