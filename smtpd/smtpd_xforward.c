/*
 * smtpd_xforward - XFORWARD attributes (see smtpd_xforward.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../lib/mem.h"
#include "../lib/strutil.h"
#include "smtpd_cmd.h"
#include "smtpd_xforward.h"

#define XF_UNKNOWN "unknown"

/* The attributes of one command, before they are applied. */
typedef struct XF_UPDATE {
    int given;
    int family;
    char *value[7];     /* indexed by the bit number of SMTPD_XF_* */
    int erased[7];      /* [UNAVAILABLE] */
} XF_UPDATE;

static const struct {
    const char *name;
    int flag;
} xf_names[] = {
    {"NAME", SMTPD_XF_NAME}, {"ADDR", SMTPD_XF_ADDR},   {"PORT", SMTPD_XF_PORT},
    {"PROTO", SMTPD_XF_PROTO}, {"HELO", SMTPD_XF_HELO}, {"IDENT", SMTPD_XF_IDENT},
    {"SOURCE", SMTPD_XF_SOURCE},
};

static int xf_index(int flag)
{
    int i = 0;

    while ((flag >>= 1) != 0)
        i++;
    return i;
}

void smtpd_xforward_init(SMTPD_XFORWARD *xf)
{
    memset(xf, 0, sizeof(*xf));
}

void smtpd_xforward_reset(SMTPD_XFORWARD *xf)
{
    mem_free(xf->name);
    mem_free(xf->addr);
    mem_free(xf->port);
    mem_free(xf->proto);
    mem_free(xf->helo);
    mem_free(xf->ident);
    mem_free(xf->context);
    mem_free(xf->namaddr);
    smtpd_xforward_init(xf);
}

/* Printable, and nothing that breaks a Received: comment or a log field. */
static void xf_neuter(char *value)
{
    char *cp;

    str_printable(value, 0);
    for (cp = value; *cp; cp++)
        if (strchr("<>()\\\";:@ \t", *cp) != NULL)
            *cp = '?';
}

/* An IPv4 or IPv6 address ("IPv6:" prefix allowed): its text form, or NULL. */
static char *xf_address(const char *value, int *family)
{
    struct in6_addr a6;
    struct in_addr a4;
    char buf[INET6_ADDRSTRLEN];

    if (strncasecmp(value, "IPv6:", 5) == 0) {
        if (inet_pton(AF_INET6, value + 5, &a6) != 1)
            return NULL;
    } else if (inet_pton(AF_INET, value, &a4) == 1) {
        *family = AF_INET;
        return inet_ntop(AF_INET, &a4, buf, sizeof(buf)) ? mem_strdup(buf) : NULL;
    } else if (inet_pton(AF_INET6, value, &a6) != 1) {
        return NULL;
    }
    *family = AF_INET6;
    return inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) ? mem_strdup(buf) : NULL;
}

/* One checked value (decoded), or -1 with the 501 reply. */
static int xf_value(XF_UPDATE *up, int flag, const char *attr, char *value, VSTR *reply)
{
    int i = xf_index(flag);
    long port;

    if (strcasecmp(value, "[UNAVAILABLE]") == 0 || strcasecmp(value, "[TEMPUNAVAIL]") == 0) {
        mem_free(up->value[i]);
        up->value[i] = NULL;
        up->erased[i] = 1;
        if (flag == SMTPD_XF_ADDR)
            up->family = 0;
        up->given |= flag;
        return 0;
    }
    switch (flag) {
    case SMTPD_XF_ADDR: {
        int family = 0;
        char *addr = xf_address(value, &family);

        if (addr == NULL) {
            xf_neuter(value);
            vstr_sprintf(reply, "501 5.5.4 Bad %s syntax: %s", attr, value);
            return -1;
        }
        mem_free(up->value[i]);
        up->value[i] = addr;
        up->family = family;
        break;
    }
    case SMTPD_XF_PORT:
        if (strspn(value, "0123456789") != strlen(value) || strlen(value) > 5
            || str_parse_long(value, 0, 65535, &port) < 0) {
            xf_neuter(value);
            vstr_sprintf(reply, "501 5.5.4 Bad %s syntax: %s", attr, value);
            return -1;
        }
        break;
    case SMTPD_XF_PROTO:
        if (strlen(value) > SMTPD_XFORWARD_PROTO_MAX) {
            xf_neuter(value);
            vstr_sprintf(reply, "501 5.5.4 Bad %s syntax: %s", attr, value);
            return -1;
        }
        break;
    case SMTPD_XF_SOURCE:
        if (strcasecmp(value, "LOCAL") == 0) {
            strcpy(value, "local");
        } else if (strcasecmp(value, "REMOTE") == 0) {
            strcpy(value, "remote");
        } else {
            xf_neuter(value);
            vstr_sprintf(reply, "501 5.5.4 Bad %s syntax: %s", attr, value);
            return -1;
        }
        break;
    default:
        break;
    }
    if (flag != SMTPD_XF_ADDR) {
        xf_neuter(value);
        mem_free(up->value[i]);
        up->value[i] = mem_strdup(value);
    }
    up->erased[i] = 0;
    up->given |= flag;
    return 0;
}

static void xf_update_free(XF_UPDATE *up)
{
    size_t i;

    for (i = 0; i < sizeof(up->value) / sizeof(up->value[0]); i++)
        mem_free(up->value[i]);
}

/* Replace *field by the update for flag when the command named it. */
static void xf_apply(const XF_UPDATE *up, int flag, char **field, const char *unknown)
{
    int i = xf_index(flag);

    if ((up->given & flag) == 0)
        return;
    mem_free(*field);
    if (up->erased[i] || up->value[i] == NULL)
        *field = unknown ? mem_strdup(unknown) : NULL;
    else
        *field = mem_strdup(up->value[i]);
}

static void xf_preset(SMTPD_XFORWARD *xf)
{
    smtpd_xforward_reset(xf);
    xf->active = 1;
    xf->name = mem_strdup(XF_UNKNOWN);
    xf->addr = mem_strdup(XF_UNKNOWN);
    xf->port = mem_strdup(XF_UNKNOWN);
    xf->proto = mem_strdup(XF_UNKNOWN);
    xf->namaddr = mem_strdup(XF_UNKNOWN);
}

int smtpd_xforward_parse(SMTPD_XFORWARD *xf, const char *args, int port_logging, VSTR *reply)
{
    XF_UPDATE up;
    VSTR *decoded = vstr_new(64), *namaddr;
    const char *p = args;
    int r = -1;

    memset(&up, 0, sizeof(up));
    vstr_reset(reply);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == 0) {
        vstr_set(reply, "501 5.5.4 Syntax: XFORWARD attribute=value...");
        goto done;
    }
    while (*p) {
        size_t wlen = strcspn(p, " \t"), nlen = strcspn(p, "= \t"), i;
        const char *val = nlen < wlen ? p + nlen + 1 : p + wlen;
        size_t vlen = nlen < wlen ? wlen - nlen - 1 : 0;
        char attr[16];
        int flag = 0;

        if (nlen >= wlen || vlen == 0) {
            vstr_set(reply, "501 5.5.4 Error: attribute=value expected");
            goto done;
        }
        if (vlen > SMTPD_XFORWARD_VALUE_MAX) {
            vstr_set(reply, "501 5.5.4 Error: attribute value too long");
            goto done;
        }
        for (i = 0; i < sizeof(xf_names) / sizeof(xf_names[0]); i++)
            if (strlen(xf_names[i].name) == nlen && strncasecmp(p, xf_names[i].name, nlen) == 0)
                flag = xf_names[i].flag;
        if (flag == 0) {
            char shown[64];

            snprintf(shown, sizeof(shown), "%.*s", (int) (nlen > 60 ? 60 : nlen), p);
            xf_neuter(shown);
            vstr_sprintf(reply, "501 5.5.4 Bad XFORWARD attribute name: %s", shown);
            goto done;
        }
        snprintf(attr, sizeof(attr), "%s", xf_names[xf_index(flag)].name);
        /* Postfix before 2.3 sent values unencoded: take those as written. */
        if (smtpd_xtext_decode(val, vlen, decoded) < 0
            || strlen(vstr_str(decoded)) != vstr_len(decoded)) {
            vstr_reset(decoded);
            vstr_addmem(decoded, val, vlen);
        }
        if (xf_value(&up, flag, attr, vstr_str(decoded), reply) < 0)
            goto done;
        p += wlen;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    /* The whole command is good: apply it. */
    if (!xf->active)
        xf_preset(xf);
    xf_apply(&up, SMTPD_XF_NAME, &xf->name, XF_UNKNOWN);
    xf_apply(&up, SMTPD_XF_ADDR, &xf->addr, XF_UNKNOWN);
    xf_apply(&up, SMTPD_XF_PORT, &xf->port, XF_UNKNOWN);
    xf_apply(&up, SMTPD_XF_PROTO, &xf->proto, XF_UNKNOWN);
    xf_apply(&up, SMTPD_XF_HELO, &xf->helo, NULL);
    xf_apply(&up, SMTPD_XF_IDENT, &xf->ident, NULL);
    if (up.given & SMTPD_XF_SOURCE) {
        int i = xf_index(SMTPD_XF_SOURCE);

        mem_free(xf->context);
        /* SOURCE=[UNAVAILABLE]: a local submission, as Postfix takes it. */
        xf->context = mem_strdup(up.erased[i] ? "local" : up.value[i]);
    }
    if (up.given & SMTPD_XF_ADDR)
        xf->family = up.family;
    xf->given |= up.given;
    namaddr = vstr_new(64);
    if (strcmp(xf->addr, XF_UNKNOWN) == 0)
        vstr_set(namaddr, xf->name);
    else if (port_logging && strcmp(xf->port, XF_UNKNOWN) != 0)
        vstr_sprintf(namaddr, "%s[%s]:%s", xf->name, xf->addr, xf->port);
    else
        vstr_sprintf(namaddr, "%s[%s]", xf->name, xf->addr);
    mem_free(xf->namaddr);
    xf->namaddr = vstr_export(namaddr);
    vstr_set(reply, "250 2.0.0 Ok");
    r = 0;
done:
    xf_update_free(&up);
    vstr_free(decoded);
    return r;
}
