/*
 * flush_client - the flush service's protocol; see flush_client.h.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "argv.h"
#include "attr.h"
#include "flush_client.h"
#include "queue_id.h"
#include "unix_connect.h"

int flush_site_valid(const char *site)
{
    size_t len = strlen(site), i;

    if (len == 0 || len > FLUSH_VALUE_MAX)
        return 0;
    if (site[0] == '[')
        return site[len - 1] == ']' && len > 2
               && strspn(site + 1, "0123456789abcdefABCDEF.:") == len - 2;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) site[i];

        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return 0;
    }
    return site[0] != '.' && strstr(site, "..") == NULL;
}

int flush_request(const char *qdir, const char *request, const char *value, int timeout_ms)
{
    const char *name = strcmp(request, FLUSH_REQ_SEND_FILE) == 0 ? FLUSH_ATTR_QUEUE_ID
                       : FLUSH_ATTR_SITE;
    VSTR *path = vstr_new(0);
    STREAM *s;
    int fd, status = FLUSH_STAT_FAIL;

    vstr_sprintf(path, "%s/public/flush", qdir);
    fd = unix_connect(vstr_str(path));
    vstr_free(path);
    if (fd < 0)
        return FLUSH_STAT_FAIL;
    s = stream_open(fd, STREAM_CLOSE);
    stream_set_limits(s, timeout_ms, FLUSH_REQUEST_MAX);
    if (attr_print(s, 0, ATTR_OUT_STR(FLUSH_ATTR_REQUEST, request), ATTR_OUT_STR(name, value)) < 0
        || attr_scan(s, 0, ATTR_IN_INT(FLUSH_ATTR_STATUS, &status)) != ATTR_OK)
        status = FLUSH_STAT_FAIL;
    stream_free(s);
    return status;
}

int flush_request_read(STREAM *s, int timeout_ms, VSTR *request, VSTR *value, VSTR *why)
{
    ARGV *pairs = argv_new();
    const char *want;
    int r, ret = -1;

    stream_set_limits(s, timeout_ms, FLUSH_REQUEST_MAX);
    r = attr_scan_any(s, pairs, FLUSH_VALUE_MAX);
    if (r != ATTR_OK) {
        vstr_sprintf(why, "malformed request: %s",
                     r == ATTR_EOF ? "no request" : stream_why(s));
        goto out;
    }
    if (pairs->argc != 4 || strcmp(pairs->argv[0], FLUSH_ATTR_REQUEST) != 0) {
        vstr_set(why, "malformed request: want request and one argument");
        goto out;
    }
    if (strcmp(pairs->argv[1], FLUSH_REQ_SEND_SITE) == 0)
        want = FLUSH_ATTR_SITE;
    else if (strcmp(pairs->argv[1], FLUSH_REQ_SEND_FILE) == 0)
        want = FLUSH_ATTR_QUEUE_ID;
    else {
        vstr_set(why, "unknown request");
        goto out;
    }
    if (strcmp(pairs->argv[2], want) != 0) {
        vstr_sprintf(why, "malformed request: %s wants %s", pairs->argv[1], want);
        goto out;
    }
    if (strcmp(want, FLUSH_ATTR_SITE) == 0 ? !flush_site_valid(pairs->argv[3])
        : !queue_id_valid(pairs->argv[3])) {
        vstr_sprintf(why, "bad %s value", want);
        goto out;
    }
    vstr_set(request, pairs->argv[1]);
    vstr_set(value, pairs->argv[3]);
    ret = 0;
out:
    argv_free(pairs);
    return ret;
}

int flush_reply(STREAM *s, int status)
{
    return attr_print(s, 0, ATTR_OUT_INT(FLUSH_ATTR_STATUS, status));
}
