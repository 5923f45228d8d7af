/*
 * flush_client_test - the flush protocol's server-side checks, table-driven:
 * well-formed requests, and every way a request can be wrong (missing,
 * extra, duplicate or misplaced attributes, unknown requests, values that
 * could name a path, overlong values and requests, truncated input); the
 * site syntax; the exact bytes of a reply.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flush_client.h"
#include "msg.h"
#include "stream.h"
#include "tap.h"
#include "vstr.h"

typedef struct CASE {
    const char *name;
    const char *bytes;   /* '|' stands for NUL */
    int ok;
    const char *request, *value;
} CASE;

static const CASE cases[] = {
    {"send_site", "request|send_site|site|example.com||", 1, "send_site", "example.com"},
    {"send_file", "request|send_file|queue_id|8C4FE106096||", 1, "send_file", "8C4FE106096"},
    {"long queue id", "request|send_file|queue_id|4jWrnD4DmPz84cQ||", 1, "send_file",
     "4jWrnD4DmPz84cQ"},
    {"bracketed site", "request|send_site|site|[192.0.2.1]||", 1, "send_site", "[192.0.2.1]"},
    {"no request", "", 0, NULL, NULL},
    {"empty message", "|", 0, NULL, NULL},
    {"request only", "request|send_site||", 0, NULL, NULL},
    {"argument first", "site|example.com|request|send_site||", 0, NULL, NULL},
    {"extra attribute", "request|send_site|site|example.com|x|y||", 0, NULL, NULL},
    {"duplicate request", "request|send_site|request|send_site||", 0, NULL, NULL},
    {"wrong argument", "request|send_file|site|example.com||", 0, NULL, NULL},
    {"unknown request", "request|purge|site|example.com||", 0, NULL, NULL},
    {"queue id path", "request|send_file|queue_id|../../etc/passwd||", 0, NULL, NULL},
    {"site path", "request|send_site|site|a/../b||", 0, NULL, NULL},
    {"empty site", "request|send_site|site|||", 0, NULL, NULL},
    {"truncated", "request|send_site|site|exam", 0, NULL, NULL},
    {"no terminator", "request|send_site|site|example.com|", 0, NULL, NULL},
};

static void run_case(const CASE *c)
{
    size_t len = strlen(c->bytes), i;
    char *buf = strdup(c->bytes);
    STREAM *s;
    VSTR *req = vstr_new(0), *value = vstr_new(0), *why = vstr_new(0);
    int r;

    for (i = 0; i < len; i++)
        if (buf[i] == '|')
            buf[i] = 0;
    s = stream_open_mem(buf, len);
    r = flush_request_read(s, 1000, req, value, why);
    if (c->ok) {
        TAP_INT(r, 0, "%s: accepted (%s)", c->name, vstr_str(why));
        TAP_STR(vstr_str(req), c->request, "%s: request", c->name);
        TAP_STR(vstr_str(value), c->value, "%s: value", c->name);
    } else {
        TAP_INT(r, -1, "%s: refused", c->name);
        TAP_OK(vstr_len(why) > 0, "%s: with a reason (%s)", c->name, vstr_str(why));
    }
    stream_free(s);
    free(buf);
    vstr_free(req);
    vstr_free(value);
    vstr_free(why);
}

static void overlong(void)
{
    VSTR *in = vstr_new(0), *req = vstr_new(0), *value = vstr_new(0), *why = vstr_new(0);
    STREAM *s;
    int i, r;

    vstr_adds(in, "request");
    vstr_addch(in, 0);
    vstr_adds(in, "send_site");
    vstr_addch(in, 0);
    vstr_adds(in, "site");
    vstr_addch(in, 0);
    for (i = 0; i < FLUSH_VALUE_MAX + 1; i++)
        vstr_addch(in, 'a');
    vstr_addch(in, 0);
    vstr_addch(in, 0);
    s = stream_open_mem(vstr_str(in), vstr_len(in));
    r = flush_request_read(s, 1000, req, value, why);
    TAP_INT(r, -1, "a site of %d bytes is refused (%s)", FLUSH_VALUE_MAX + 1, vstr_str(why));
    stream_free(s);
    vstr_reset(in);
    for (i = 0; i < FLUSH_REQUEST_MAX; i++)
        vstr_adds(in, "x");
    s = stream_open_mem(vstr_str(in), vstr_len(in));
    r = flush_request_read(s, 1000, req, value, why);
    TAP_INT(r, -1, "an overlong name is refused (%s)", vstr_str(why));
    stream_free(s);
    vstr_free(in);
    vstr_free(req);
    vstr_free(value);
    vstr_free(why);
}

static void sites(void)
{
    static const struct {
        const char *site;
        int ok;
    } t[] = {
        {"example.com", 1}, {"EXAMPLE.com", 1}, {"a-b_c.example", 1}, {"[192.0.2.1]", 1},
        {"[2001:db8::1]", 1}, {"", 0}, {".example.com", 0}, {"a..b", 0}, {"a/b", 0},
        {"..", 0}, {"[]", 0}, {"[1.2.3.4", 0}, {"a b", 0}, {"a\tb", 0}, {"[1/2]", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        TAP_INT(flush_site_valid(t[i].site), t[i].ok, "site \"%s\"", t[i].site);
}

static void reply(void)
{
    int sv[2];
    char buf[64];
    ssize_t n;
    STREAM *s;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        TAP_OK(0, "socketpair");
        return;
    }
    s = stream_open(sv[0], STREAM_CLOSE);
    TAP_INT(flush_reply(s, FLUSH_STAT_DENY), 0, "flush_reply");
    stream_free(s);
    n = read(sv[1], buf, sizeof(buf));
    TAP_INT(n, 10, "the reply is 10 bytes");
    TAP_OK(n == 10 && memcmp(buf, "status\0" "4\0\0", 10) == 0, "status=4 <end>");
    close(sv[1]);
}

int main(void)
{
    size_t i;

    msg_init("flush_client_test", MSG_OUT_STDERR);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    overlong();
    sites();
    reply();
    return tap_done();
}
