/*
 * maildrop - checks for maildrop/ files; see maildrop.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistd.h>

#include "conf.h"
#include "maildrop.h"
#include "matchlist.h"
#include "qfile.h"

void maildrop_check_init(MAILDROP_CHECK *mc, long long size_limit)
{
    memset(mc, 0, sizeof(*mc));
    mc->segment = MAILDROP_SEG_ENV;
    mc->size_limit = size_limit > 0 ? size_limit : 0;
}

/* A small non-negative decimal number, no sign, no leading zeros. */
static int small_number(const char *text, long max, long *val)
{
    char *end;
    long v;

    if (text[0] < '0' || text[0] > '9' || (text[0] == '0' && text[1] != 0) || strlen(text) > 9)
        return -1;
    v = strtol(text, &end, 10);
    if (*end != 0 || v > max)
        return -1;
    *val = v;
    return 0;
}

static int printable(const char *text)
{
    for (; *text; text++)
        if ((unsigned char) *text <= 0x20 || (unsigned char) *text >= 0x7f)
            return 0;
    return 1;
}

int maildrop_attr_allowed(const char *name, const char *value)
{
    long v;

    if (strcmp(name, "rewrite_context") == 0)
        return strcmp(value, "local") == 0 || strcmp(value, "remote") == 0;
    if (strcmp(name, "encoding") == 0)
        return strcmp(value, "7bit") == 0 || strcmp(value, "8bit") == 0
               || strcmp(value, "none") == 0;
    if (strcmp(name, "envelope_id") == 0)
        return *value != 0 && strlen(value) <= MAILDROP_ENVID_MAX && printable(value);
    if (strcmp(name, "ret_flags") == 0)
        return small_number(value, 3, &v) == 0 && v > 0;
    if (strcmp(name, "trace_flags") == 0) /* sendmail -v (1024), -bv (512) */
        return small_number(value, MAILDROP_TRACE_MASK, &v) == 0 && v > 0
               && (v & ~MAILDROP_TRACE_MASK) == 0;
    if (strcmp(name, "notify_flags") == 0)
        return small_number(value, 15, &v) == 0 && v > 0
               && (v == MAILDROP_NOTIFY_NEVER || (v & MAILDROP_NOTIFY_NEVER) == 0);
    return 0;
}

/* An A record: 1 allowed, 0 not allowed, -1 malformed. */
static int check_attr(const char *data, size_t len)
{
    char buf[QFILE_LINE_LIMIT + 1];
    const char *eq;

    if (len >= sizeof(buf) || (eq = memchr(data, '=', len)) == NULL || eq == data)
        return -1;
    memcpy(buf, data, len);
    buf[len] = 0;
    buf[eq - data] = 0;
    return maildrop_attr_allowed(buf, buf + (eq - data) + 1);
}

/* A "sec usec" arrival time. */
static int check_time(const char *data)
{
    char *end;
    long sec, usec;

    if (data[0] < '0' || data[0] > '9')
        return -1;
    sec = strtol(data, &end, 10);
    if (*end != ' ' || end[1] < '0' || end[1] > '9')
        return -1;
    usec = strtol(end + 1, &end, 10);
    if (*end != 0 || sec < 0 || usec < 0 || usec > 999999)
        return -1;
    return 0;
}

#define BAD(text) (*why = (text), MAILDROP_BAD)

int maildrop_check(MAILDROP_CHECK *mc, int type, const char *data, size_t len,
                   const char **why)
{
    int text_record = (type == QREC_FROM || type == QREC_RCPT || type == QREC_FULL
                       || type == QREC_ATTR || type == QREC_TIME);
    int r;

    *why = NULL;
    if (text_record && memchr(data, 0, len) != NULL)
        return BAD("NUL byte in an envelope record");
    switch (mc->segment) {
    case MAILDROP_SEG_ENV:
        switch (type) {
        case QREC_TIME:
            if (++mc->times > 1)
                return BAD("more than one arrival time record");
            return check_time(data) == 0 ? MAILDROP_OK : BAD("malformed arrival time record");
        case QREC_FULL:
            if (++mc->full_names > 1)
                return BAD("more than one full name record");
            return MAILDROP_OK;
        case QREC_FROM:
            if (++mc->senders > 1)
                return BAD("more than one sender record");
            return MAILDROP_OK;
        case QREC_ATTR:
            if ((r = check_attr(data, len)) < 0)
                return BAD("malformed attribute record");
            return r ? MAILDROP_OK : MAILDROP_SKIP;
        case QREC_RCPT: /* may be empty: cleanup sends it to empty_address_recipient */
            if (++mc->rcpts > MAILDROP_RCPT_MAX)
                return BAD("too many recipients");
            return MAILDROP_OK;
        case QREC_MESG:
            if (mc->senders != 1)
                return BAD("no sender record");
            mc->segment = MAILDROP_SEG_CONTENT;
            return MAILDROP_OK;
        default:
            return BAD("unexpected record type in the envelope");
        }
    case MAILDROP_SEG_CONTENT:
        switch (type) {
        case QREC_NORM:
        case QREC_CONT:
            mc->content += (long long) len + (type == QREC_NORM);
            if (mc->size_limit > 0 && mc->content > mc->size_limit)
                return BAD("message too large");
            return MAILDROP_OK;
        case QREC_XTRA:
            mc->segment = MAILDROP_SEG_EXTRACT;
            return MAILDROP_OK;
        default:
            return BAD("unexpected record type in the message content");
        }
    case MAILDROP_SEG_EXTRACT:
        switch (type) {
        case QREC_RCPT:
            if (len == 0)
                return BAD("empty recipient record");
            if (++mc->rcpts > MAILDROP_RCPT_MAX)
                return BAD("too many recipients");
            mc->extracted++;
            return MAILDROP_OK;
        case QREC_ATTR:
            if ((r = check_attr(data, len)) < 0)
                return BAD("malformed attribute record");
            return r ? MAILDROP_OK : MAILDROP_SKIP;
        case QREC_END:
            mc->segment = MAILDROP_SEG_DONE;
            return MAILDROP_OK;
        default:
            return BAD("unexpected record type after the message content");
        }
    default:
        return BAD("data after the end record");
    }
}

int maildrop_check_done(const MAILDROP_CHECK *mc)
{
    return mc->segment == MAILDROP_SEG_DONE;
}

int maildrop_notify_parse(const char *text)
{
    static const struct {
        const char *name;
        int bit;
    } words[] = {
        {"never", MAILDROP_NOTIFY_NEVER},
        {"success", MAILDROP_NOTIFY_SUCCESS},
        {"failure", MAILDROP_NOTIFY_FAILURE},
        {"delay", MAILDROP_NOTIFY_DELAY},
    };
    const char *cp = text;
    int bits = 0;
    size_t i, n;

    if (*text == 0 || strlen(text) > 64)
        return -1;
    while (*cp) {
        n = strcspn(cp, ",");
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (strlen(words[i].name) == n && strncasecmp(cp, words[i].name, n) == 0)
                break;
        if (i == sizeof(words) / sizeof(words[0]) || (bits & words[i].bit))
            return -1;
        bits |= words[i].bit;
        cp += n;
        if (*cp == ',' && *++cp == 0)
            return -1;
    }
    if ((bits & MAILDROP_NOTIFY_NEVER) && bits != MAILDROP_NOTIFY_NEVER)
        return -1;
    return bits;
}

int maildrop_ret_parse(const char *text)
{
    if (strcasecmp(text, "full") == 0)
        return MAILDROP_RET_FULL;
    if (strcasecmp(text, "hdrs") == 0)
        return MAILDROP_RET_HDRS;
    return -1;
}

int maildrop_submit_allowed(const char *login, VSTR *why)
{
    const char *acl = conf_get("authorized_submit_users");
    MATCH_LIST *list;
    int res;

    list = match_list_create("authorized_submit_users", acl ? acl : "", MATCH_STRING, why);
    res = match_list_string(list, login);
    if (res == MATCH_ERROR)
        vstr_sprintf(why, "authorized_submit_users: %s", match_list_error(list));
    match_list_free(list);
    return res == MATCH_ERROR ? -1 : res == MATCH_YES;
}
