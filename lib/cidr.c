/*
 * cidr - IPv4 and IPv6 addresses and networks; see cidr.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "msg.h"

static const unsigned char cidr_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int cidr_size(int family)
{
    if (family == AF_INET)
        return 4;
    if (family == AF_INET6)
        return 16;
    msg_panic("cidr: unknown address family %d", family);
}

/* Turn an IPv4-mapped IPv6 value with at least 96 prefix bits into IPv4. */
static void cidr_unmap(CIDR *c)
{
    if (c->family == AF_INET6 && c->bits >= 96
        && memcmp(c->addr, cidr_mapped_prefix, sizeof(cidr_mapped_prefix)) == 0) {
        memmove(c->addr, c->addr + 12, 4);
        memset(c->addr + 4, 0, 12);
        c->family = AF_INET;
        c->bits -= 96;
    }
}

/* Parse an address without brackets or prefix into c (bits = full). */
static int cidr_pton(CIDR *c, const char *text)
{
    memset(c, 0, sizeof(*c));
    if (inet_pton(AF_INET, text, c->addr) == 1) {
        c->family = AF_INET;
        c->bits = 32;
        return 0;
    }
    if (strchr(text, ':') != NULL && inet_pton(AF_INET6, text, c->addr) == 1) {
        c->family = AF_INET6;
        c->bits = 128;
        return 0;
    }
    return -1;
}

/* Clear the bits beyond the prefix; return 1 when any was set. */
static int cidr_mask(CIDR *c)
{
    int size = cidr_size(c->family);
    int changed = 0;
    int i;

    for (i = 0; i < size; i++) {
        int keep = c->bits - 8 * i;
        unsigned char mask;

        if (keep >= 8)
            continue;
        mask = keep <= 0 ? 0 : (unsigned char) (0xff << (8 - keep));
        if ((c->addr[i] & ~mask) != 0)
            changed = 1;
        c->addr[i] &= mask;
    }
    return changed;
}

int cidr_parse(CIDR *net, const char *text, VSTR *why)
{
    char buf[CIDR_TEXT_MAX];
    const char *addr_start;
    const char *addr_end;
    const char *slash = NULL;
    size_t len = strlen(text);

    if (len == 0 || len >= sizeof(buf)) {
        vstr_sprintf(why, "bad address or network: \"%.80s%s\"", text, len > 80 ? "..." : "");
        return -1;
    }
    if (text[0] == '[') {
        addr_start = text + 1;
        if ((addr_end = strchr(addr_start, ']')) == NULL) {
            vstr_sprintf(why, "missing \"]\" in \"%s\"", text);
            return -1;
        }
        if (addr_end[1] == '/')
            slash = addr_end + 1;
        else if (addr_end[1] != 0) {
            vstr_sprintf(why, "garbage after \"]\" in \"%s\"", text);
            return -1;
        }
    } else {
        addr_start = text;
        slash = strchr(text, '/');
        addr_end = slash ? slash : text + len;
    }
    memcpy(buf, addr_start, (size_t) (addr_end - addr_start));
    buf[addr_end - addr_start] = 0;
    if (cidr_pton(net, buf) < 0) {
        vstr_sprintf(why, "bad address or network: \"%s\"", text);
        return -1;
    }
    if (slash != NULL) {
        const char *cp = slash + 1;
        int bits = 0;
        int max = net->family == AF_INET ? 32 : 128;

        if (*cp == 0 || strlen(cp) > 3 || strspn(cp, "0123456789") != strlen(cp)) {
            vstr_sprintf(why, "bad network prefix length in \"%s\"", text);
            return -1;
        }
        for (; *cp; cp++)
            bits = bits * 10 + (*cp - '0');
        if (bits > max) {
            vstr_sprintf(why, "network prefix length %d too large in \"%s\"", bits, text);
            return -1;
        }
        net->bits = bits;
    }
    cidr_unmap(net);
    if (cidr_mask(net)) {
        VSTR *fixed = vstr_new(CIDR_TEXT_MAX);

        cidr_format(fixed, net);
        vstr_sprintf(why, "non-null host address bits in \"%s\", perhaps you should use \"%s\" instead",
                     text, vstr_str(fixed));
        vstr_free(fixed);
        return -1;
    }
    return 0;
}

int cidr_parse_addr(CIDR *addr, const char *text)
{
    if (strlen(text) >= CIDR_TEXT_MAX || cidr_pton(addr, text) < 0)
        return -1;
    cidr_unmap(addr);
    return 0;
}

int cidr_match(const CIDR *net, const CIDR *addr)
{
    int full;
    int rest;

    if (net->family != addr->family)
        return 0;
    full = net->bits / 8;
    rest = net->bits % 8;
    if (memcmp(net->addr, addr->addr, (size_t) full) != 0)
        return 0;
    if (rest != 0) {
        unsigned char mask = (unsigned char) (0xff << (8 - rest));

        if ((net->addr[full] & mask) != (addr->addr[full] & mask))
            return 0;
    }
    return 1;
}

void cidr_format(VSTR *out, const CIDR *net)
{
    char buf[INET6_ADDRSTRLEN];

    if (inet_ntop(net->family, net->addr, buf, sizeof(buf)) == NULL)
        msg_panic("cidr_format: inet_ntop: %s", strerror(errno));
    if (net->family == AF_INET)
        vstr_printf(out, "%s/%d", buf, net->bits);
    else
        vstr_printf(out, "[%s]/%d", buf, net->bits);
}
