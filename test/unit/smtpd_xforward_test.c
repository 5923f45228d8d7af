/*
 * Unit tests for smtpd/smtpd_xforward.c: XFORWARD attribute parsing as
 * XFORWARD_README describes it (xtext, [UNAVAILABLE], bounds, bad syntax,
 * commands applied whole or not at all, the combined name[addr]).
 */
#include "config.h"

#include <string.h>

#include "../../smtpd/smtpd_xforward.h"
#include "mem.h"
#include "tap.h"

static void test_basic(void)
{
    SMTPD_XFORWARD xf;
    VSTR *reply = vstr_new(0);

    smtpd_xforward_init(&xf);
    TAP_INT(xf.active, 0, "not active before a command");
    TAP_INT(smtpd_xforward_parse(&xf, "NAME=spike.example.org ADDR=192.0.2.7 PROTO=ESMTP", 0,
                                 reply), 0, "first command accepted");
    TAP_STR(vstr_str(reply), "250 2.0.0 Ok", "250 reply");
    TAP_INT(xf.active, 1, "active");
    TAP_STR(xf.name, "spike.example.org", "NAME");
    TAP_STR(xf.addr, "192.0.2.7", "ADDR");
    TAP_STR(xf.proto, "ESMTP", "PROTO");
    TAP_STR(xf.port, "unknown", "PORT preset to unknown");
    TAP_OK(xf.helo == NULL, "HELO not given: none");
    TAP_OK(xf.ident == NULL, "IDENT not given: none");
    TAP_OK(xf.context == NULL, "SOURCE not given: none");
    TAP_STR(xf.namaddr, "spike.example.org[192.0.2.7]", "namaddr");
    TAP_INT(smtpd_xforward_parse(&xf,
                                 "helo=mail+2Eexample.org port=2525 ident=ABC123 source=remote",
                                 0, reply), 0, "second command, lower-case names, xtext");
    TAP_STR(xf.helo, "mail.example.org", "HELO xtext-decoded");
    TAP_STR(xf.port, "2525", "PORT");
    TAP_STR(xf.ident, "ABC123", "IDENT");
    TAP_STR(xf.context, "remote", "SOURCE=REMOTE: remote");
    TAP_STR(xf.name, "spike.example.org", "earlier attributes kept");
    TAP_STR(xf.namaddr, "spike.example.org[192.0.2.7]", "no port in namaddr without port logging");
    TAP_INT(smtpd_xforward_parse(&xf, "NAME=x.example", 1, reply), 0, "port logging");
    TAP_STR(xf.namaddr, "x.example[192.0.2.7]:2525", "namaddr with port");
    TAP_INT(smtpd_xforward_parse(&xf, "ADDR=[unavailable] HELO=[UNAVAILABLE] SOURCE=[UNAVAILABLE]",
                                 0, reply), 0, "[UNAVAILABLE] in any case");
    TAP_STR(xf.addr, "unknown", "ADDR erased");
    TAP_OK(xf.helo == NULL, "HELO erased");
    TAP_STR(xf.context, "local", "SOURCE unavailable: local");
    TAP_STR(xf.namaddr, "x.example", "namaddr without an address is the name");
    TAP_INT(smtpd_xforward_parse(&xf, "NAME=[TEMPUNAVAIL] ADDR=IPv6:2001:DB8::1", 0, reply), 0,
            "[TEMPUNAVAIL], IPv6: prefix");
    TAP_STR(xf.name, "unknown", "NAME [TEMPUNAVAIL]: unknown");
    TAP_STR(xf.addr, "2001:db8::1", "IPv6 address normalised");
    smtpd_xforward_reset(&xf);
    TAP_INT(xf.active, 0, "reset: not active");
    TAP_OK(xf.name == NULL, "reset: nothing kept");
    vstr_free(reply);
}

static void test_errors(void)
{
    const struct {
        const char *args;
        const char *reply;
    } cases[] = {
        {"", "501 5.5.4 Syntax: XFORWARD attribute=value..."},
        {"   ", "501 5.5.4 Syntax: XFORWARD attribute=value..."},
        {"NAME", "501 5.5.4 Error: attribute=value expected"},
        {"NAME=", "501 5.5.4 Error: attribute=value expected"},
        {"FOO=bar", "501 5.5.4 Bad XFORWARD attribute name: FOO"},
        {"ADDR=not-an-address", "501 5.5.4 Bad ADDR syntax: not-an-address"},
        {"ADDR=999.1.1.1", "501 5.5.4 Bad ADDR syntax: 999.1.1.1"},
        {"PORT=65536", "501 5.5.4 Bad PORT syntax: 65536"},
        {"PORT=12a", "501 5.5.4 Bad PORT syntax: 12a"},
        {"PORT=-1", "501 5.5.4 Bad PORT syntax: -1"},
        {"SOURCE=elsewhere", "501 5.5.4 Bad SOURCE syntax: elsewhere"},
        {"PROTO=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "501 5.5.4 Bad PROTO syntax: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    };
    SMTPD_XFORWARD xf;
    VSTR *reply = vstr_new(0);
    char long_value[300 + 6];
    size_t i;

    smtpd_xforward_init(&xf);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TAP_INT(smtpd_xforward_parse(&xf, cases[i].args, 0, reply), -1, "refused: '%s'",
                cases[i].args);
        TAP_STR(vstr_str(reply), cases[i].reply, "reply for '%s'", cases[i].args);
    }
    TAP_INT(xf.active, 0, "refused commands change nothing");
    memcpy(long_value, "NAME=", 5);
    memset(long_value + 5, 'a', 256);
    long_value[5 + 256] = 0;
    TAP_INT(smtpd_xforward_parse(&xf, long_value, 0, reply), -1, "a 256-byte value");
    TAP_STR(vstr_str(reply), "501 5.5.4 Error: attribute value too long", "too long");
    long_value[5 + 255] = 0;
    TAP_INT(smtpd_xforward_parse(&xf, long_value, 0, reply), 0, "a 255-byte value is accepted");
    /* A good attribute before a bad one is not applied either. */
    TAP_INT(smtpd_xforward_parse(&xf, "NAME=good.example PORT=bad", 0, reply), -1,
            "one bad attribute refuses the command");
    TAP_OK(strncmp(xf.name, "aaaa", 4) == 0, "the command was not applied in part");
    /* Neutering: what would break a header comment or a log field. */
    TAP_INT(smtpd_xforward_parse(&xf, "HELO=a<b>(c)+3Bd@e IDENT=x+22y", 0, reply), 0,
            "special characters");
    TAP_STR(xf.helo, "a?b??c??d?e", "HELO neutered");
    TAP_STR(xf.ident, "x?y", "IDENT neutered");
    TAP_INT(smtpd_xforward_parse(&xf, "NAME=old+style+ADDR", 0, reply), 0,
            "a value that is not valid xtext is taken as written");
    TAP_STR(xf.name, "old+style+ADDR", "raw value kept");
    smtpd_xforward_reset(&xf);
    vstr_free(reply);
}

int main(void)
{
    test_basic();
    test_errors();
    return tap_done();
}
