/*
 * rcpt_extract - recipients from To/Cc/Bcc for sendmail -t; see rcpt_extract.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "maildrop.h"
#include "mem.h"
#include "rcpt_extract.h"
#include "vstr.h"

struct RCPT_EXTRACT {
    int in_header;      /* still in the primary header */
    int line_open;      /* the last piece did not end its line */
    int have_field;     /* field holds a header field being gathered */
    int field_cut;      /* it grew past RCPT_EXTRACT_FIELD_MAX */
    VSTR *field;
    ARGV *plain;        /* To, Cc, Bcc */
    ARGV *resent;       /* Resent-To, Resent-Cc, Resent-Bcc */
};

RCPT_EXTRACT *rcpt_extract_new(void)
{
    RCPT_EXTRACT *rx = mem_calloc(1, sizeof(*rx));

    rx->in_header = 1;
    rx->field = vstr_new(256);
    rx->plain = argv_new();
    rx->resent = argv_new();
    return rx;
}

void rcpt_extract_free(RCPT_EXTRACT *rx)
{
    if (rx == NULL)
        return;
    vstr_free(rx->field);
    argv_free(rx->plain);
    argv_free(rx->resent);
    mem_free(rx);
}

int rcpt_extract_in_header(const RCPT_EXTRACT *rx)
{
    return rx->in_header;
}

/* The length of a header field name that starts text and ends at ':', or 0. */
static size_t field_name_len(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];

        if (c == ':')
            return i;
        if (c <= 0x20 || c >= 0x7f)
            return 0;
    }
    return 0;
}

/* Whether a line can start a header field: "name:", or a name cut short. */
static int field_start(const char *text, size_t len, int complete)
{
    size_t i;

    if (field_name_len(text, len) > 0)
        return 1;
    if (complete)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char) text[i] <= 0x20 || (unsigned char) text[i] >= 0x7f || text[i] == ':')
            return 0;
    return 1;
}

static int name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static void field_append(RCPT_EXTRACT *rx, const char *text, size_t len)
{
    size_t room = RCPT_EXTRACT_FIELD_MAX - vstr_len(rx->field);

    if (rx->field_cut)
        return;
    if (len > room) {
        len = room;
        rx->field_cut = 1;
    }
    vstr_addmem(rx->field, text, len);
}

/* Parse the gathered field when it names recipients. */
static void field_flush(RCPT_EXTRACT *rx)
{
    const char *text = vstr_str(rx->field);
    size_t nlen = field_name_len(text, vstr_len(rx->field));
    ARGV *dest = NULL;
    ADDR_LIST *list;
    VSTR *why;
    size_t i;

    if (!rx->have_field)
        return;
    rx->have_field = 0;
    if (name_is(text, nlen, "To") || name_is(text, nlen, "Cc") || name_is(text, nlen, "Bcc"))
        dest = rx->plain;
    else if (name_is(text, nlen, "Resent-To") || name_is(text, nlen, "Resent-Cc")
             || name_is(text, nlen, "Resent-Bcc"))
        dest = rx->resent;
    if (dest != NULL && memchr(text, 0, vstr_len(rx->field)) == NULL) {
        why = vstr_new(0);
        if ((list = addr_list_parse(text + nlen + 1, why)) != NULL) {
            for (i = 0; i < list->count; i++)
                if (*list->items[i].addr && dest->argc < MAILDROP_RCPT_MAX)
                    argv_add(dest, list->items[i].addr);
            addr_list_free(list);
        }
        vstr_free(why);
    }
    vstr_reset(rx->field);
    rx->field_cut = 0;
}

void rcpt_extract_line(RCPT_EXTRACT *rx, const char *text, size_t len, int complete)
{
    if (!rx->in_header)
        return;
    if (rx->line_open) {
        if (rx->have_field)
            field_append(rx, text, len);
    } else if (len == 0) {
        field_flush(rx);
        rx->in_header = 0;
        return;
    } else if ((text[0] == ' ' || text[0] == '\t') && rx->have_field) {
        field_append(rx, text, len);
    } else if (field_start(text, len, complete)) {
        field_flush(rx);
        rx->have_field = 1;
        field_append(rx, text, len);
    } else {
        field_flush(rx);
        rx->in_header = 0;
        return;
    }
    rx->line_open = !complete;
    if (rx->have_field && !field_start(vstr_str(rx->field), vstr_len(rx->field), complete)) {
        /* A line that looked like a field name when cut short but is none. */
        rx->have_field = 0;
        vstr_reset(rx->field);
        rx->in_header = 0;
    }
}

ARGV *rcpt_extract_finish(RCPT_EXTRACT *rx)
{
    field_flush(rx);
    rx->in_header = 0;
    return rx->resent->argc > 0 ? rx->resent : rx->plain;
}
