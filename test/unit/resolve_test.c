/*
 * Unit tests for lib/resolve.c: address classes (mydestination, interface
 * literals, virtual alias/mailbox domains, relay_domains, default), the
 * *_transport values with and without a next hop, relayhost, and
 * transport_maps (full address, extension stripped, domain, parent domains
 * with and without parent_domain_matches_subdomains, "*", empty fields,
 * error:, discard:, [host]:port, regexp tables only asked for the full
 * address), the failure cases (broken table, oversized address), and the
 * sender-dependent tables (sender_dependent_relayhost_maps and
 * sender_dependent_default_transport_maps: address, address without its
 * extension, @domain, the null sender's lookup key, DUNNO, a broken table).
 * Table-driven: each configuration is a main.cf written to a scratch
 * directory, then a list of address -> transport, nexthop, class.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "resolve.h"
#include "vstr.h"
#include "tap.h"

#define L RESOLVE_CLASS_LOCAL
#define A RESOLVE_CLASS_ALIAS
#define V RESOLVE_CLASS_VIRTUAL
#define R RESOLVE_CLASS_RELAY
#define D RESOLVE_CLASS_DEFAULT
#define M RESOLVE_FLAG_MAPPED

typedef struct CASE {
    const char *addr;
    const char *transport; /* NULL: resolve fails */
    const char *nexthop;
    int flags;
} CASE;

static char scratch[] = "/tmp/resolve_test.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    if ((fp = fopen(path, "w")) == NULL)
        msg_fatal("open %s: %m", path);
    fputs(text, fp);
    fclose(fp);
}

/* senders[i] (when senders is not NULL and senders[i] is not): resolve_addr_sender(). */
static void run_senders(const char *title, const char *main_cf, const CASE *cases, size_t n,
                        const char *const *senders)
{
    VSTR *why = vstr_new(0);
    RESOLVER *rs;
    RESOLVE_REPLY r;
    size_t i;
    int st;

    write_file("main.cf", main_cf);
    conf_init(scratch);
    rs = resolve_create(why);
    resolve_reply_init(&r);
    for (i = 0; i < n; i++) {
        st = senders && senders[i] ? resolve_addr_sender(rs, senders[i], cases[i].addr, &r)
                                   : resolve_addr(rs, cases[i].addr, &r);
        if (cases[i].transport == NULL) {
            TAP_INT(st, -1, "%s: %s fails (%s)", title, cases[i].addr, vstr_str(r.why));
            continue;
        }
        if (st < 0) {
            TAP_OK(0, "%s: %s: unexpected failure: %s", title, cases[i].addr, vstr_str(r.why));
            continue;
        }
        TAP_STR(vstr_str(r.transport), cases[i].transport, "%s: %s transport", title,
                cases[i].addr);
        TAP_STR(vstr_str(r.nexthop), cases[i].nexthop, "%s: %s nexthop", title, cases[i].addr);
        TAP_INT(r.flags, cases[i].flags, "%s: %s class", title, cases[i].addr);
        TAP_STR(vstr_str(r.recipient), cases[i].addr, "%s: %s recipient unchanged", title,
                cases[i].addr);
    }
    resolve_reply_free(&r);
    resolve_free(rs);
    vstr_free(why);
    conf_free();
}

static void run(const char *title, const char *main_cf, const CASE *cases, size_t n)
{
    run_senders(title, main_cf, cases, n, NULL);
}

#define BASE                                                                                  \
    "myhostname = mail.example.com\nmydomain = example.com\ninet_interfaces = 192.0.2.7, "   \
    "[2001:db8::7]\nproxy_interfaces = 198.51.100.9\ncompatibility_level = 3.6\n"

static void test_classes(void)
{
    static const CASE cases[] = {
        {"bob@mail.example.com", "local", "mail.example.com", L},
        {"bob@MAIL.Example.COM", "local", "mail.example.com", L},
        {"bob@mail.example.com.", "local", "mail.example.com", L},
        {"bob@localhost", "local", "mail.example.com", L},
        {"bob@localhost.example.com", "local", "mail.example.com", L},
        {"bob", "local", "mail.example.com", L},
        {"bob@[192.0.2.7]", "local", "mail.example.com", L},
        {"bob@[198.51.100.9]", "local", "mail.example.com", L},
        {"bob@[IPv6:2001:db8::7]", "local", "mail.example.com", L},
        {"bob@[192.0.2.8]", "smtp", "[192.0.2.8]", D},
        {"bob@sub.mail.example.com", "smtp", "sub.mail.example.com", D},
        {"bob@alias.test", "error", "5.1.1 User unknown in virtual alias table", A},
        {"bob@box.test", "virtual", "box.test", V},
        {"bob@relay.test", "relay", "relay.test", R},
        {"bob@sub.relay.test", "relay", "sub.relay.test", R}, /* relay_domains is in pdms by default */
        {"bob@other.test", "smtp", "other.test", D},
        {"\"a b\"@other.test", "smtp", "other.test", D},
    };

    run("classes",
        BASE "virtual_alias_domains = alias.test\nvirtual_mailbox_domains = box.test\n"
             "relay_domains = relay.test\n",
        cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_transports(void)
{
    static const CASE cases[] = {
        {"bob@mail.example.com", "lmtp", "unix:private/dovecot", L},
        {"bob", "lmtp", "unix:private/dovecot", L},
        {"bob@box.test", "dovecot", "box.test", V},
        {"bob@relay.test", "relay", "[gw.example.net]:2525", R},
        {"bob@other.test", "smtp", "[gw.example.net]:2525", D},
        {"bob@[192.0.2.8]", "smtp", "[gw.example.net]:2525", D},
    };

    run("transports",
        BASE "local_transport = lmtp:unix:private/dovecot\nvirtual_transport = dovecot\n"
             "virtual_mailbox_domains = box.test\nrelay_domains = relay.test\n"
             "relayhost = [gw.example.net]:2525\n",
        cases, sizeof(cases) / sizeof(cases[0]));

    static const CASE cases2[] = {
        {"bob@relay.test", "uucp", "gateway", R},
        {"bob@other.test", "smtp", "smarthost", D},
        {"bob@mail.example.com", "local", "mail.example.com", L},
    };

    run("transport with nexthop",
        BASE "relay_transport = uucp:gateway\ndefault_transport = smtp:smarthost\n"
             "relay_domains = relay.test\nrelayhost = ignored.example\n",
        cases2, sizeof(cases2) / sizeof(cases2[0]));

    static const CASE cases3[] = {
        {"bob@mail.example.com", "local", "mail.example.com", L},
        {"bob@relay.test", "relay", "relay.test", R},
    };

    run("pre-2 compatibility: relay_domains = $mydestination",
        "myhostname = mail.example.com\nmydomain = example.com\ninet_interfaces = 127.0.0.1\n"
        "relay_domains = relay.test\n",
        cases3, sizeof(cases3) / sizeof(cases3[0]));
}

static void test_maps(void)
{
    static const CASE cases[] = {
        /* full address, then without the extension */
        {"vip@other.test", "fast", "[10.0.0.1]", D | M},
        {"bob+tag@other.test", "special", "bob.example", D | M},
        {"bob+tag@unmapped.test", "smtp", "unmapped.test", D},
        /* the domain, then parents as .parent (pdms does not list transport_maps) */
        {"x@other.test", "slow", "other.test", D | M},
        {"x@a.b.parent.test", "smtp", "[relay.parent]:2525", D | M},
        {"x@parent.test", "smtp", "parent.test", D},
        /* empty fields keep the class's */
        {"x@keep-transport.test", "smtp", "[gw.test]", D | M},
        {"x@keep-hop.test", "uucp", "keep-hop.test", D | M},
        {"x@mail.example.com", "local", "mail.example.com", L},
        {"y@mail.example.com", "lmtp", "[store]:24", L | M},
        {"x@err.test", "error", "5.7.1 go away", D | M},
        {"x@err2.test", "error", "", D | M},
        {"x@null.test", "discard", "null.test", D | M},
        {"x@relay.test", "relay", "relay.test", R},
    };

    run("maps",
        BASE "relay_domains = relay.test\n"
             "parent_domain_matches_subdomains = smtpd_access_maps\n"
             "transport_maps = inline:{vip@other.test=fast:[10.0.0.1], "
             "bob@other.test=special:bob.example, other.test=slow:, "
             ".parent.test=smtp:[relay.parent]:2525, keep-transport.test=:[gw.test], "
             "keep-hop.test=uucp:, y@mail.example.com=lmtp:[store]:24, "
             "{err.test=error:5.7.1 go away}, err2.test=error:, null.test=discard:}\n"
             "recipient_delimiter = +\n",
        cases, sizeof(cases) / sizeof(cases[0]));

    static const CASE cases2[] = {
        {"x@parent.test", "p", "hop", D | M},
        {"x@a.b.parent.test", "p", "hop", D | M},
        /* with pdms, ".dotted.test" is no key: the wildcard answers */
        {"x@dotted.test", "wild", "card", D | M},
        {"x@a.dotted.test", "wild", "card", D | M},
        {"x@anything.test", "wild", "card", D | M},
        {"x@mail.example.com", "wild", "card", L | M},
    };

    run("maps pdms and wildcard",
        BASE "parent_domain_matches_subdomains = transport_maps\n"
             "transport_maps = inline:{parent.test=p:hop, .dotted.test=d:x}, "
             "inline:{*=wild:card}\n",
        cases2, sizeof(cases2) / sizeof(cases2[0]));

    write_file("transport.re", "/^rx@/ regex:hop\n/regexp\\.test$/ never:used\n");
    static const CASE cases3[] = {
        {"rx@any.test", "regex", "hop", D | M},
        {"a@regexp.test", "never", "used", D | M},
        {"a@b.test", "smtp", "b.test", D},
    };
    char cf[1024];

    snprintf(cf, sizeof(cf), BASE "transport_maps = regexp:%s/transport.re\n", scratch);
    run("regexp maps", cf, cases3, sizeof(cases3) / sizeof(cases3[0]));
}

static void test_interfaces(void)
{
    static const CASE cases[] = {
        {"bob@[127.0.0.1]", "local", "mail.example.com", L},
        {"bob@[IPv6:::1]", "local", "mail.example.com", L},
        {"bob@[192.0.2.77]", "smtp", "[192.0.2.77]", D},
        {"bob@[not-an-address]", "smtp", "[not-an-address]", D},
    };

    run("loopback-only",
        "myhostname = mail.example.com\nmydomain = example.com\n"
        "inet_interfaces = loopback-only\n",
        cases, sizeof(cases) / sizeof(cases[0]));
    /* "all": the host's addresses, loopback among them. */
    run("all",
        "myhostname = mail.example.com\nmydomain = example.com\ninet_interfaces = all\n",
        cases, 1);
}

static void test_failures(void)
{
    static const CASE cases[] = {
        {"bob@other.test", NULL, NULL, 0},
    };
    char cf[1024];

    snprintf(cf, sizeof(cf), BASE "transport_maps = hash:%s/missing\n", scratch);
    run("broken table", cf, cases, 1);

    char *big = mem_alloc(RESOLVE_ADDR_MAX + 10);
    memset(big, 'a', RESOLVE_ADDR_MAX + 5);
    strcpy(big + RESOLVE_ADDR_MAX + 5, "@x");
    CASE c2[] = {{big, NULL, NULL, 0}};
    run("oversized address", BASE, c2, 1);
    mem_free(big);
}

static void test_sender(void)
{
    static const CASE cases[] = {
        {"bob@other.test", "smtp", "[smtp.gmail.com]:587", D},
        {"bob@other.test", "smtp", "[smtp.gmail.com]:587", D},
        {"bob@other.test", "smtp", "[ses.example]:587", D},
        {"bob@other.test", "smtp", "[alice.example]", D},
        {"bob@other.test", "smtp", "[alice.example]", D},
        {"bob@other.test", "nullt", "[bounce.example]", D},
        {"bob@other.test", "smtp", "[global.example]", D},
        {"bob@other.test", "smtp", "[global.example]", D},
        {"bob@other.test", "smtp", "[global.example]", D},
        {"bob@relay.test", "relay", "[ses.example]:587", R},
        {"bob@mail.example.com", "local", "mail.example.com", L},
        {"bob@other.test", "slow", "[gw.example]", D},
        {"bob@other.test", "slow", "[ses.example]:587", D},
        {"bob@other.test", "nullt", "[bounce.example]", D},
        {"bob@relay.test", "relay", "[bounce.example]", R},
        {"bob@fixed.test", "fixed", "[fixed.example]", D | M},
    };
    static const char *const snd[] = {
        "alice@gmail.test", "Alice@GMAIL.test", "carol@corp.test", "alice@corp.test",
        "alice+x@corp.test", "", "dan@dunno.test", "eve@nowhere.test", NULL,
        "carol@corp.test", "carol@corp.test", "frank@bulk.test", "x@bulk2.test", "", "",
        "carol@corp.test",
    };

    run_senders(
        "sender dependent",
        BASE "relay_domains = relay.test\nrelayhost = [global.example]\nrecipient_delimiter = +\n"
             "sender_dependent_relayhost_maps = inline:{ alice@gmail.test=[smtp.gmail.com]:587,"
             " @corp.test=[ses.example]:587, alice@corp.test=[alice.example],"
             " <>=[bounce.example], @dunno.test=DUNNO, @bulk2.test=[ses.example]:587 }\n"
             "sender_dependent_default_transport_maps = inline:{ frank@bulk.test=slow:[gw.example],"
             " @bulk2.test=slow, <>=nullt }\n"
             "empty_address_default_transport_maps_lookup_key = <>\n"
             "transport_maps = inline:{ fixed.test=fixed:[fixed.example] }\n",
        cases, sizeof(cases) / sizeof(cases[0]), snd);

    static const CASE c3[] = {
        {"bob@other.test", NULL, NULL, 0},
        {"bob@other.test", "smtp", "other.test", D},
    };
    static const char *const snd3[] = {"a@b.test", NULL};
    char cf[1024];

    snprintf(cf, sizeof(cf), BASE "sender_dependent_relayhost_maps = hash:%s/missing\n", scratch);
    run_senders("sender dependent: broken table", cf, c3, 2, snd3);
}

int main(void)
{
    char cmd[600];

    msg_init("resolve_test", MSG_OUT_STDERR);
    if (mkdtemp(scratch) == NULL)
        msg_fatal("mkdtemp: %m");
    test_classes();
    test_transports();
    test_maps();
    test_interfaces();
    test_failures();
    test_sender();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
    if (system(cmd) != 0)
        msg_warn("cannot remove %s", scratch);
    return tap_done();
}
