/*
 * cidr - IPv4 and IPv6 addresses and networks as match lists and mynetworks
 * use them.
 *
 * A CIDR is a family (AF_INET or AF_INET6), the address bytes (4 or 16) and
 * a prefix length. Network syntax, as in Postfix's mynetworks:
 *   192.168.0.0/16   1.2.3.4   [1.2.3.4]   [1.2.3.0]/24
 *   [::1]/128   [2001:db8::]/32   [::1]   2001:db8::/32 (unbracketed IPv6 is
 *   accepted when it parses as an address; Postfix wants the brackets)
 * A network whose address has bits set beyond the prefix is refused with
 * "non-null host address bits in "ITEM", perhaps you should use "NET/LEN"
 * instead", as Postfix warns.
 *
 * IPv4-mapped IPv6 (::ffff:a.b.c.d): a client address of that form is
 * matched as the IPv4 address a.b.c.d (Postfix's smtpd converts it the same
 * way), and a network [::ffff:a.b.c.d]/N with N >= 96 is stored as the IPv4
 * network a.b.c.d/(N-96). So 127.0.0.0/8 and [::ffff:127.0.0.0]/104 are the
 * same network and both match 127.0.0.1 and ::ffff:127.0.0.1. Otherwise
 * families never match each other: [::]/0 matches every IPv6 address and no
 * IPv4 one; 0.0.0.0/0 every IPv4 address and no IPv6 one.
 *
 * cidr_format() appends "a.b.c.d/N" or "[v6]/N" to out.
 *
 * Usage:
 *   CIDR net, client;
 *   if (cidr_parse(&net, "10.0.0.0/8", why) < 0) ... vstr_str(why)
 *   if (cidr_parse_addr(&client, "10.1.2.3") == 0 && cidr_match(&net, &client))
 *
 * The default mynetworks (mynetworks_style host, subnet or class, from the
 * interface addresses) is computed in one place, lib/conf.c: callers take
 * conf_get("mynetworks") and give it to match_list_create().
 *
 * Errors: parse functions return -1 (with a reason in why where there is
 * one); nothing here logs or exits, except an impossible family (panic).
 */
#ifndef POSTERN_CIDR_H
#define POSTERN_CIDR_H

#include "vstr.h"

typedef struct CIDR {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];     /* network byte order; 4 used for AF_INET */
    int bits;                   /* prefix length: 0..32 or 0..128 */
} CIDR;

/* Longest text cidr_format() writes, with the NUL. */
#define CIDR_TEXT_MAX 64

int cidr_parse(CIDR *net, const char *text, VSTR *why);
int cidr_parse_addr(CIDR *addr, const char *text);
int cidr_match(const CIDR *net, const CIDR *addr);
void cidr_format(VSTR *out, const CIDR *net);

#endif
