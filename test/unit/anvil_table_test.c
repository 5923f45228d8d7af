/*
 * anvil_table_test - anvil's client table: counting, rate windows, expiry
 * of idle clients, the bound on entries; and the request checks of
 * lib/anvil_client.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "anvil_client.h"
#include "anvil_table.h"
#include "attr.h"
#include "stream.h"
#include "tap.h"
#include "vstr.h"

typedef struct LINES {
    char text[8][200];
    int n;
} LINES;

static int prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static void collect(void *ctx, const char *text)
{
    LINES *l = ctx;

    if (l->n < 8)
        snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", text);
}

static void test_counts(void)
{
    ANVIL_TABLE *t = anvil_table_create(100, 60);
    int count, rate, i;

    TAP_INT(anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", 1000, &count, &rate), 0,
            "connect");
    TAP_INT(count, 1, "count 1");
    TAP_INT(rate, 1, "connection rate 1");
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", 1001, &count, &rate);
    TAP_INT(count, 2, "count 2");
    TAP_INT(rate, 2, "connection rate 2");
    anvil_table_event(t, ANVIL_EV_DISCONNECT, "smtp:192.0.2.1", 1002, &count, &rate);
    TAP_INT(count, 1, "disconnect: count 1");
    TAP_INT(rate, 2, "disconnect: the connection rate stays");
    for (i = 0; i < 3; i++)
        anvil_table_event(t, ANVIL_EV_MESSAGE, "smtp:192.0.2.1", 1003, &count, &rate);
    TAP_INT(rate, 3, "message rate 3");
    anvil_table_event(t, ANVIL_EV_RECIPIENT, "smtp:192.0.2.1", 1003, &count, &rate);
    TAP_INT(rate, 1, "recipient rate counts apart");
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.2", 1003, &count, &rate);
    TAP_INT(count, 1, "another client counts apart");
    /* a new window: rates start again, the open connection stays */
    anvil_table_event(t, ANVIL_EV_MESSAGE, "smtp:192.0.2.1", 1060, &count, &rate);
    TAP_INT(rate, 1, "a new window starts the message rate again");
    TAP_INT(count, 1, "the open connection is still counted");
    anvil_table_event(t, ANVIL_EV_DISCONNECT, "smtp:192.0.2.1", 1061, &count, &rate);
    anvil_table_event(t, ANVIL_EV_DISCONNECT, "smtp:192.0.2.1", 1061, &count, &rate);
    TAP_INT(count, 0, "the count never goes below zero");
    anvil_table_event(t, ANVIL_EV_LOOKUP, "smtp:198.51.100.9", 1061, &count, &rate);
    TAP_INT(anvil_table_size(t), 2, "a lookup of an unknown client creates nothing");
    anvil_table_free(t);
}

static void test_expiry(void)
{
    ANVIL_TABLE *t = anvil_table_create(100, 60);
    int count, rate;

    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", 1000, &count, &rate);
    anvil_table_event(t, ANVIL_EV_DISCONNECT, "smtp:192.0.2.1", 1000, &count, &rate);
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.2", 1000, &count, &rate);
    anvil_table_expire(t, 1059);
    TAP_INT(anvil_table_size(t), 2, "nothing expires within the window");
    anvil_table_expire(t, 1060);
    TAP_INT(anvil_table_size(t), 1, "an idle client expires after the window");
    anvil_table_event(t, ANVIL_EV_LOOKUP, "smtp:192.0.2.2", 5000, &count, &rate);
    TAP_INT(count, 1, "a connected client does not expire");
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", 5000, &count, &rate);
    TAP_INT(rate, 1, "an expired client starts from zero");
    /* the table sweeps by itself as time passes */
    anvil_table_event(t, ANVIL_EV_DISCONNECT, "smtp:192.0.2.1", 5000, &count, &rate);
    anvil_table_event(t, ANVIL_EV_LOOKUP, "smtp:192.0.2.2", 5100, &count, &rate);
    TAP_INT(anvil_table_size(t), 1, "idle entries go without an explicit expire");
    anvil_table_free(t);
}

static void test_bound(void)
{
    ANVIL_TABLE *t = anvil_table_create(3, 60);
    char ident[64];
    int count, rate, i;

    for (i = 0; i < 3; i++) {
        snprintf(ident, sizeof(ident), "smtp:192.0.2.%d", i + 1);
        anvil_table_event(t, ANVIL_EV_CONNECT, ident, 1000 + i, &count, &rate);
    }
    anvil_table_event(t, ANVIL_EV_DISCONNECT, "smtp:192.0.2.2", 1010, &count, &rate);
    TAP_INT(anvil_table_event(t, ANVIL_EV_MESSAGE, "smtp:192.0.2.9", 1010, &count, &rate), 0,
            "full table: an idle client makes room");
    TAP_INT(anvil_table_size(t), 3, "the table stays at its bound");
    anvil_table_event(t, ANVIL_EV_LOOKUP, "smtp:192.0.2.2", 1010, &count, &rate);
    TAP_INT(rate, 0, "the idle client was the one dropped");
    anvil_table_event(t, ANVIL_EV_LOOKUP, "smtp:192.0.2.1", 1010, &count, &rate);
    TAP_INT(count, 1, "connected clients were kept");
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.9", 1010, &count, &rate);
    TAP_INT(anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.10", 1011, &count, &rate), -1,
            "full of connected clients: refused");
    TAP_INT(count, 0, "refused: no count");
    TAP_INT(anvil_table_size(t), 3, "still at the bound");
    anvil_table_free(t);
}

static void test_stats(void)
{
    ANVIL_TABLE *t = anvil_table_create(100, 60);
    LINES l;
    int count, rate;

    memset(&l, 0, sizeof(l));
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", 1000, &count, &rate);
    anvil_table_event(t, ANVIL_EV_CONNECT, "smtp:192.0.2.1", 1000, &count, &rate);
    anvil_table_event(t, ANVIL_EV_MESSAGE, "smtp:192.0.2.1", 1000, &count, &rate);
    anvil_table_stats(t, collect, &l);
    TAP_INT(l.n, 4, "four statistics lines");
    TAP_OK(prefix(l.text[0], "statistics: max connection rate 2/60s for (smtp:192.0.2.1) at "),
           "connection rate line: %s", l.text[0]);
    TAP_OK(prefix(l.text[1], "statistics: max connection count 2 for (smtp:192.0.2.1) at "),
           "connection count line: %s", l.text[1]);
    TAP_OK(prefix(l.text[2], "statistics: max message rate 1/60s for (smtp:192.0.2.1) at "),
           "message rate line: %s", l.text[2]);
    TAP_OK(prefix(l.text[3], "statistics: max cache size 1 at "),
           "cache size line: %s", l.text[3]);
    l.n = 0;
    anvil_table_stats(t, collect, &l);
    TAP_INT(l.n, 0, "peaks are forgotten once logged");
    anvil_table_free(t);
}

static int request_of(const char *bytes, size_t len, VSTR *req, VSTR *ident, VSTR *why)
{
    STREAM *s = stream_open_mem(bytes, len);
    int r = anvil_request_read(s, 1000, req, ident, why);

    stream_free(s);
    return r;
}

static void test_protocol(void)
{
    VSTR *req = vstr_new(0), *ident = vstr_new(0), *why = vstr_new(0), *big = vstr_new(0);
    static const char good[] = "request\0connect\0ident\0smtp:192.0.2.1\0";
    static const char unknown[] = "request\0explode\0ident\0smtp:192.0.2.1\0";
    static const char space[] = "request\0connect\0ident\0smtp:192.0 .2.1\0";
    static const char extra[] = "request\0connect\0ident\0smtp:x\0more\0x\0";
    int i;

    TAP_INT(request_of(good, sizeof(good), req, ident, why), 1, "a good request");
    TAP_STR(vstr_str(req), "connect", "its name");
    TAP_STR(vstr_str(ident), "smtp:192.0.2.1", "its ident");
    TAP_INT(request_of(unknown, sizeof(unknown), req, ident, why), -1, "unknown request refused");
    TAP_INT(request_of(space, sizeof(space), req, ident, why), -1, "ident with a space refused");
    TAP_INT(request_of(extra, sizeof(extra), req, ident, why), -1, "extra attribute refused");
    TAP_INT(request_of("", 0, req, ident, why), 0, "EOF is the end, not an error");
    vstr_addmem(big, "request\0connect\0ident\0smtp:", 27);
    for (i = 0; i < 2000; i++)
        vstr_addmem(big, "1", 1);
    vstr_addmem(big, "\0\0", 2);
    TAP_INT(request_of(vstr_str(big), vstr_len(big), req, ident, why), -1,
            "an overlong request is refused");
    TAP_OK(anvil_ident_valid("smtp:::1"), "IPv6 ident is valid");
    vstr_free(req);
    vstr_free(ident);
    vstr_free(why);
    vstr_free(big);
}

int main(void)
{
    test_counts();
    test_expiry();
    test_bound();
    test_stats();
    test_protocol();
    return tap_done();
}
