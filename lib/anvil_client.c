/*
 * anvil_client - both sides of the anvil protocol (anvil_client.h).
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "anvil_client.h"
#include "argv.h"
#include "attr.h"
#include "mem.h"
#include "msg.h"
#include "unix_connect.h"

struct ANVIL_CLIENT {
    char *path;
    int timeout_ms;
    STREAM *s;      /* NULL: not connected */
    time_t quiet_until; /* after a lost or silent anvil: ask nothing till then */
};

static const char *const anvil_requests[] = {
    ANVIL_REQ_CONNECT, ANVIL_REQ_DISCONNECT, ANVIL_REQ_MESSAGE, ANVIL_REQ_RECIPIENT,
    ANVIL_REQ_AUTH, ANVIL_REQ_NEWTLS, ANVIL_REQ_LOOKUP, ANVIL_REQ_NEWTLS_STATUS, NULL,
};

ANVIL_CLIENT *anvil_client_create(const char *path, int timeout_ms)
{
    ANVIL_CLIENT *ac = mem_alloc(sizeof(*ac));

    ac->path = mem_strdup(path);
    ac->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
    ac->s = NULL;
    ac->quiet_until = 0;
    return ac;
}

static void anvil_client_close(ANVIL_CLIENT *ac)
{
    if (ac->s)
        stream_free(ac->s);
    ac->s = NULL;
}

void anvil_client_free(ANVIL_CLIENT *ac)
{
    if (ac == NULL)
        return;
    anvil_client_close(ac);
    mem_free(ac->path);
    mem_free(ac);
}

/* One exchange on the current connection; 0 done, -1 failed (logged by caller). */
static int anvil_client_once(ANVIL_CLIENT *ac, const char *request, const char *ident,
                             int *status, int *count, int *rate)
{
    int fd;

    if (ac->s == NULL) {
        if ((fd = unix_connect(ac->path)) < 0) {
            msg_warn("connect to %s: %m", ac->path);
            return -2; /* no point in a second try */
        }
        ac->s = stream_open(fd, STREAM_CLOSE);
        stream_set_limits(ac->s, ac->timeout_ms, ANVIL_REPLY_MAX);
    }
    if (attr_print(ac->s, 0, ATTR_OUT_STR(ANVIL_ATTR_REQUEST, request),
                   ATTR_OUT_STR(ANVIL_ATTR_IDENT, ident)) < 0
        || attr_scan(ac->s, 0, ATTR_IN_INT(ANVIL_ATTR_STATUS, status),
                     ATTR_IN_INT(ANVIL_ATTR_COUNT, count),
                     ATTR_IN_INT(ANVIL_ATTR_RATE, rate)) != ATTR_OK)
        return -1;
    return 0;
}

int anvil_client_request(ANVIL_CLIENT *ac, const char *request, const char *service,
                         const char *addr, int *count, int *rate)
{
    VSTR *ident = vstr_new(64);
    int status = ANVIL_STAT_FAIL, tries, r = -1, reused;

    *count = *rate = 0;
    if (ac->quiet_until && time(NULL) < ac->quiet_until)
        return ANVIL_STAT_FAIL;
    ac->quiet_until = 0;
    vstr_sprintf(ident, "%s:%s", service, addr);
    if (!anvil_ident_valid(vstr_str(ident))) {
        msg_warn("anvil: bad client identity %.100s", vstr_str(ident));
        vstr_free(ident);
        return ANVIL_STAT_FAIL;
    }
    for (tries = 0; tries < 2; tries++) {
        reused = ac->s != NULL;
        r = anvil_client_once(ac, request, vstr_str(ident), &status, count, rate);
        if (r == 0 || r == -2)
            break;
        msg_warn("problem talking to service %s: %s", ac->path,
                 *stream_why(ac->s) ? stream_why(ac->s) : "lost connection");
        anvil_client_close(ac);
        if (!reused || tries == 1)
            ac->quiet_until = time(NULL) + ANVIL_CLIENT_QUIET;
        if (!reused)
            break;
    }
    vstr_free(ident);
    if (r != 0) {
        *count = *rate = 0;
        return ANVIL_STAT_FAIL;
    }
    if (status != ANVIL_STAT_OK || *count < 0 || *rate < 0) {
        *count = *rate = 0;
        return ANVIL_STAT_FAIL;
    }
    return ANVIL_STAT_OK;
}

int anvil_ident_valid(const char *ident)
{
    size_t len = strlen(ident), i;

    if (len == 0 || len > ANVIL_IDENT_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char) ident[i] <= 0x20 || (unsigned char) ident[i] > 0x7e)
            return 0;
    return 1;
}

int anvil_request_read(STREAM *s, int timeout_ms, VSTR *request, VSTR *ident, VSTR *why)
{
    ARGV *pairs = argv_new();
    int r, ret = -1, i;

    stream_set_limits(s, timeout_ms, ANVIL_REQUEST_MAX);
    r = attr_scan_any(s, pairs, ANVIL_IDENT_MAX);
    if (r == ATTR_EOF) {
        ret = 0;
        goto out;
    }
    if (r != ATTR_OK) {
        vstr_sprintf(why, "malformed request: %s", stream_why(s));
        goto out;
    }
    if (pairs->argc != 4 || strcmp(pairs->argv[0], ANVIL_ATTR_REQUEST) != 0
        || strcmp(pairs->argv[2], ANVIL_ATTR_IDENT) != 0) {
        vstr_set(why, "malformed request: want request and ident");
        goto out;
    }
    for (i = 0; anvil_requests[i]; i++)
        if (strcmp(pairs->argv[1], anvil_requests[i]) == 0)
            break;
    if (anvil_requests[i] == NULL) {
        vstr_set(why, "unknown request");
        goto out;
    }
    if (!anvil_ident_valid(pairs->argv[3])) {
        vstr_set(why, "bad ident value");
        goto out;
    }
    vstr_set(request, pairs->argv[1]);
    vstr_set(ident, pairs->argv[3]);
    ret = 1;
out:
    argv_free(pairs);
    return ret;
}

int anvil_reply(STREAM *s, int status, int count, int rate)
{
    return attr_print(s, 0, ATTR_OUT_INT(ANVIL_ATTR_STATUS, status),
                      ATTR_OUT_INT(ANVIL_ATTR_COUNT, count), ATTR_OUT_INT(ANVIL_ATTR_RATE, rate));
}
