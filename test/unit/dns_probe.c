/*
 * dns_probe - run one lib/net/dns lookup and print the result in a fixed
 * form, for test/e2e/dns.sh (which runs it in a network namespace with its
 * own nsd) and test/lib/nsd.sh (which waits until nsd answers).
 *
 * Usage: dns_probe [-f resolv.conf] [-t timeout] [-r tries] [-d] [-F families]
 *                  [-n repeat] [-C chroot_dir] [-v] QUERY ARGS
 *   QUERY: A, AAAA, MX, PTR, TXT, CNAME, TLSA NAME | host NAME | ptr ADDR
 *          | confirm HOST ADDR
 * Output, one line each:
 *   status=OK nxdomain=0 rcode=0 count=2 canon=example.test authentic=0
 *   cname=alias=target            (per CNAME followed)
 *   rr=NAME TYPE ttl=N pref=N TEXT
 *   why=TEXT                      (when the status is not OK)
 * With -n N the lookup runs N times and each run adds a line
 * "order=TEXT,TEXT,...". With -C the program chroots to the (empty)
 * directory after dns_init(), as a daemon does. Exit status 0 after any
 * lookup, 2 on bad usage, 1 when the chroot fails.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "msg.h"
#include "strutil.h"
#include "vstr.h"

__attribute__((noreturn)) static void usage(void)
{
    msg_fatal_status(2, "usage: dns_probe [-f resolv.conf] [-t timeout] [-r tries] [-d] "
                        "[-F families] [-n repeat] [-C dir] TYPE NAME | host NAME | ptr ADDR | "
                        "confirm HOST ADDR");
}

static int run(DNS *dns, char **args, int nargs, int families, DNS_REPLY *reply)
{
    int type;

    if (strcmp(args[0], "host") == 0 && nargs == 2)
        return dns_lookup_host(dns, args[1], families, reply);
    if (strcmp(args[0], "ptr") == 0 && nargs == 2)
        return dns_lookup_ptr(dns, args[1], reply);
    if (strcmp(args[0], "confirm") == 0 && nargs == 3)
        return dns_forward_confirm(dns, args[1], args[2], reply);
    if (nargs == 2 && (type = dns_type_code(args[0])) > 0)
        return dns_lookup(dns, args[1], type, reply);
    usage();
}

static long number(const char *text, long min, long max)
{
    long value;

    if (str_parse_long(text, min, max, &value) < 0)
        usage();
    return value;
}

int main(int argc, char **argv)
{
    DNS_OPTIONS opts = DNS_OPTIONS_DEFAULT;
    const char *conf = NULL;
    const char *jail = NULL;
    int families = DNS_FAMILY_ALL;
    long repeat = 0, i;
    DNS_REPLY *reply;
    DNS_RR *rr;
    VSTR *why;
    DNS *dns;
    size_t k;
    int ch;

    msg_init("dns_probe", MSG_OUT_STDERR);
    while ((ch = getopt(argc, argv, "C:df:F:n:r:t:v")) != -1) {
        switch (ch) {
        case 'C':
            jail = optarg;
            break;
        case 'd':
            opts.flags |= DNS_FLAG_DNSSEC;
            break;
        case 'f':
            conf = optarg;
            break;
        case 'F':
            if (dns_parse_family(optarg, &families) < 0)
                usage();
            break;
        case 'n':
            repeat = number(optarg, 1, 1000);
            break;
        case 'r':
            opts.tries = (int) number(optarg, 0, 100);
            break;
        case 't':
            opts.timeout = (int) number(optarg, 0, 1000);
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            usage();
        }
    }
    if (argc - optind < 2)
        usage();
    why = vstr_new(0);
    if ((dns = dns_init(conf, &opts, why)) == NULL) {
        printf("init=FAIL %s\n", vstr_str(why));
        vstr_free(why);
        return 0;
    }
    vstr_free(why);
    if (jail != NULL && (chroot(jail) < 0 || chdir("/") < 0))
        msg_fatal("chroot %s: %m", jail);
    reply = dns_reply_new();
    for (i = 0; i < repeat; i++) {
        run(dns, argv + optind, argc - optind, families, reply);
        printf("order=");
        for (rr = reply->rrs; rr != NULL; rr = rr->next)
            printf("%s%s", rr->text, rr->next ? "," : "\n");
        if (reply->rrs == NULL)
            printf("\n");
    }
    run(dns, argv + optind, argc - optind, families, reply);
    printf("status=%s nxdomain=%d rcode=%d count=%zu canon=%s authentic=%d\n",
           dns_status_name(reply->status), reply->nxdomain, reply->rcode, reply->count,
           reply->canon ? reply->canon : "", reply->authentic);
    for (k = 0; k < reply->cnames->argc; k++)
        printf("cname=%s\n", reply->cnames->argv[k]);
    for (rr = reply->rrs; rr != NULL; rr = rr->next)
        printf("rr=%s %s ttl=%u pref=%u %s\n", rr->rname, dns_type_name(rr->type), rr->ttl,
               rr->pref, rr->text);
    if (reply->status != DNS_OK)
        printf("why=%s\n", vstr_str(reply->why));
    dns_reply_free(reply);
    dns_free(dns);
    fflush(stdout);                     /* before any exit-time sanitizer check */
    return 0;
}
