/*
 * smtpd_cmd - SMTP command lines and ESMTP parameters (see smtpd_cmd.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpd.h"
#include "smtpd_cmd.h"

static const char *const smtpd_cmd_names[SMTPD_C_COUNT] = {
    [SMTPD_C_HELO] = "helo", [SMTPD_C_EHLO] = "ehlo", [SMTPD_C_XFORWARD] = "xforward",
    [SMTPD_C_STARTTLS] = "starttls",
    [SMTPD_C_AUTH] = "auth", [SMTPD_C_MAIL] = "mail", [SMTPD_C_RCPT] = "rcpt",
    [SMTPD_C_DATA] = "data", [SMTPD_C_BDAT] = "bdat", [SMTPD_C_RSET] = "rset",
    [SMTPD_C_NOOP] = "noop", [SMTPD_C_VRFY] = "vrfy", [SMTPD_C_ETRN] = "etrn",
    [SMTPD_C_QUIT] = "quit", [SMTPD_C_HELP] = "help", [SMTPD_C_UNKNOWN] = "unknown",
};

int smtpd_cmd_check(const char *line, size_t len, const char **why)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) line[i];

        if (c == 0) {
            *why = "NUL character in command";
            return -1;
        }
        if (c == '\r') {
            *why = "bare <CR> in command";
            return -1;
        }
        if (c < 0x20 && c != '\t') {
            *why = "control character in command";
            return -1;
        }
        if (c == 0x7f) {
            *why = "control character in command";
            return -1;
        }
    }
    return 0;
}

int smtpd_cmd_verb(const char *line, const char **arg)
{
    size_t n = 0;
    int i;

    while (line[n] && line[n] != ' ' && line[n] != '\t')
        n++;
    *arg = line + n;
    while (**arg == ' ' || **arg == '\t')
        (*arg)++;
    if (n == 0 || n > 8)
        return SMTPD_C_UNKNOWN;
    for (i = 0; i < SMTPD_C_UNKNOWN; i++) {
        /* "unknown" itself is not a command; every name is <= 8 bytes. */
        if (strlen(smtpd_cmd_names[i]) == n && strncasecmp(line, smtpd_cmd_names[i], n) == 0)
            return i;
    }
    return SMTPD_C_UNKNOWN;
}

const char *smtpd_cmd_name(int verb)
{
    if (verb < 0 || verb >= SMTPD_C_COUNT)
        return "unknown";
    return smtpd_cmd_names[verb];
}

const char *smtpd_cmd_keyword(const char *arg, const char *keyword)
{
    size_t n = strlen(keyword);     /* "FROM" or "TO", without the colon */

    if (strncasecmp(arg, keyword, n) != 0)
        return NULL;
    arg += n;
    while (*arg == ' ')
        arg++;
    if (*arg != ':')
        return NULL;
    arg++;
    while (*arg == ' ')
        arg++;
    return arg;
}

int smtpd_xtext_decode(const char *in, size_t len, VSTR *out)
{
    size_t i;

    vstr_reset(out);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) in[i];

        if (c == '+') {
            unsigned v = 0;
            int k;

            if (i + 2 >= len)
                return -1;
            for (k = 1; k <= 2; k++) {
                unsigned char h = (unsigned char) in[i + k];

                if (h >= '0' && h <= '9')
                    v = v * 16 + (unsigned) (h - '0');
                else if (h >= 'A' && h <= 'F')
                    v = v * 16 + (unsigned) (h - 'A' + 10);
                else
                    return -1;
            }
            if (v < 0x21 || v > 0x7e) {
                /* RFC 3461 only encodes printable ASCII (and '+', '='). */
                if (v != 0x20)
                    return -1;
            }
            vstr_addch(out, (int) v);
            i += 2;
        } else if (c == '=' || c < 0x21 || c > 0x7e) {
            /* xtext is printable ASCII: 8-bit bytes are not xchars. */
            return -1;
        } else {
            vstr_addch(out, c);
        }
    }
    return 0;
}

/* The next "NAME[=VALUE]" word of rest: name and value (may be NULL). */
static int smtpd_cmd_next_param(const char **rest, VSTR *name, VSTR *value, int *has_value)
{
    const char *p = *rest, *start, *eq = NULL;

    while (*p == ' ')
        p++;
    if (*p == 0)
        return 0;
    start = p;
    while (*p && *p != ' ') {
        if (*p == '=' && eq == NULL)
            eq = p;
        p++;
    }
    *rest = p;
    vstr_reset(name);
    vstr_reset(value);
    if (eq) {
        vstr_addmem(name, start, (size_t) (eq - start));
        vstr_addmem(value, eq + 1, (size_t) (p - eq - 1));
        *has_value = 1;
    } else {
        vstr_addmem(name, start, (size_t) (p - start));
        *has_value = 0;
    }
    return 1;
}

static int smtpd_cmd_all_digits(const char *s)
{
    if (*s == 0)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char) *s))
            return 0;
    return 1;
}

/* Is parameter name one of an extension the server does not offer? */
static int smtpd_cmd_off(int disabled, const char *name)
{
    if ((disabled & SMTPD_EXT_SIZE) && strcasecmp(name, "SIZE") == 0)
        return 1;
    if ((disabled & SMTPD_EXT_8BITMIME) && strcasecmp(name, "BODY") == 0)
        return 1;
    if ((disabled & SMTPD_EXT_SMTPUTF8) && strcasecmp(name, "SMTPUTF8") == 0)
        return 1;
    if ((disabled & SMTPD_EXT_DSN)
        && (strcasecmp(name, "RET") == 0 || strcasecmp(name, "ENVID") == 0
            || strcasecmp(name, "NOTIFY") == 0 || strcasecmp(name, "ORCPT") == 0))
        return 1;
    return 0;
}

int smtpd_cmd_mail_params(const char *rest, SMTPD_MAIL_PARAMS *p, VSTR *err)
{
    VSTR *name = vstr_new(16), *value = vstr_new(64);
    int has_value, ret = 0;
    int seen_body = 0;

    p->size = -1;
    p->body_8bit = 0;
    p->smtputf8 = 0;
    p->ret = 0;
    vstr_reset(p->envid);
    p->auth_given = 0;
    vstr_reset(p->auth);
    vstr_reset(err);
    while (ret == 0 && smtpd_cmd_next_param(&rest, name, value, &has_value)) {
        const char *n = vstr_str(name), *v = vstr_str(value);

        if (vstr_len(value) > SMTPD_PARAM_MAX || vstr_len(name) > SMTPD_PARAM_MAX) {
            vstr_set(err, "501 5.5.4 Error: parameter too long");
            ret = -1;
        } else if (smtpd_cmd_off(p->disabled, n)) {
            vstr_sprintf(err, "555 5.5.4 Unsupported option: %s", n);
            ret = -1;
        } else if (strcasecmp(n, "SIZE") == 0) {
            if (!has_value || !smtpd_cmd_all_digits(v) || strlen(v) > 18 || p->size >= 0) {
                vstr_set(err, "501 5.5.4 Bad message size syntax");
                ret = -1;
            } else {
                p->size = strtoll(v, NULL, 10);
            }
        } else if (strcasecmp(n, "BODY") == 0) {
            if (!has_value || seen_body) {
                vstr_set(err, "501 5.5.4 Bad BODY keyword");
                ret = -1;
            } else if (strcasecmp(v, "8BITMIME") == 0) {
                p->body_8bit = 1;
            } else if (strcasecmp(v, "7BIT") == 0) {
                p->body_8bit = 0;
            } else {
                vstr_set(err, "501 5.5.4 Unsupported BODY parameter");
                ret = -1;
            }
            seen_body = 1;
        } else if (strcasecmp(n, "SMTPUTF8") == 0) {
            if (has_value || p->smtputf8) {
                vstr_set(err, "501 5.5.4 Bad SMTPUTF8 syntax");
                ret = -1;
            }
            p->smtputf8 = 1;
        } else if (strcasecmp(n, "RET") == 0) {
            if (p->ret || !has_value) {
                vstr_set(err, "501 5.5.4 Bad RET parameter syntax");
                ret = -1;
            } else if (strcasecmp(v, "FULL") == 0) {
                p->ret = SMTPD_RET_FULL;
            } else if (strcasecmp(v, "HDRS") == 0) {
                p->ret = SMTPD_RET_HDRS;
            } else {
                vstr_set(err, "501 5.5.4 Bad RET parameter syntax");
                ret = -1;
            }
        } else if (strcasecmp(n, "ENVID") == 0) {
            if (vstr_len(p->envid) || !has_value || vstr_len(value) > 100
                || smtpd_xtext_decode(v, vstr_len(value), p->envid) < 0
                || vstr_len(p->envid) == 0) {
                vstr_set(err, "501 5.5.4 Bad ENVID parameter syntax");
                ret = -1;
            }
        } else if (strcasecmp(n, "AUTH") == 0) {
            if (p->auth_given) {
                vstr_set(err, "503 5.5.4 Error: multiple AUTH= options");
                ret = -1;
            } else if (!has_value || vstr_len(value) == 0
                       || (strcmp(v, "<>") != 0
                           && (smtpd_xtext_decode(v, vstr_len(value), p->auth) < 0
                               || vstr_len(p->auth) == 0))) {
                vstr_reset(p->auth);
                vstr_set(err, "501 5.5.4 Bad AUTH parameter syntax");
                ret = -1;
            }
            p->auth_given = 1;
        } else {
            VSTR *tmp = vstr_new(0);

            vstr_addmem(tmp, n, strlen(n) > 64 ? 64 : strlen(n));
            vstr_sprintf(err, "555 5.5.4 Unsupported option: %s", vstr_str(tmp));
            vstr_free(tmp);
            ret = -1;
        }
    }
    vstr_free(name);
    vstr_free(value);
    return ret;
}

static int smtpd_cmd_notify(const char *v, int *flags)
{
    const char *p = v;

    *flags = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        int bit;

        if (n == 5 && strncasecmp(p, "NEVER", 5) == 0)
            bit = SMTPD_NOTIFY_NEVER;
        else if (n == 7 && strncasecmp(p, "SUCCESS", 7) == 0)
            bit = SMTPD_NOTIFY_SUCCESS;
        else if (n == 7 && strncasecmp(p, "FAILURE", 7) == 0)
            bit = SMTPD_NOTIFY_FAILURE;
        else if (n == 5 && strncasecmp(p, "DELAY", 5) == 0)
            bit = SMTPD_NOTIFY_DELAY;
        else
            return -1;
        if (*flags & bit)
            return -1;
        *flags |= bit;
        p += n;
        if (*p == ',') {
            p++;
            if (*p == 0)
                return -1;
        }
    }
    /* NEVER stands alone (RFC 3461 section 4.1). */
    if (*flags == 0 || ((*flags & SMTPD_NOTIFY_NEVER) && *flags != SMTPD_NOTIFY_NEVER))
        return -1;
    return 0;
}

/* ORCPT=addr-type;xtext: the type is an atom, the address decoded. */
static int smtpd_cmd_orcpt(const char *v, size_t len, int smtputf8, VSTR *out)
{
    const char *semi = memchr(v, ';', len);
    VSTR *addr;
    size_t i, tlen;
    int ret = 0;

    if (semi == NULL || semi == v)
        return -1;
    tlen = (size_t) (semi - v);
    for (i = 0; i < tlen; i++)
        if (!isalnum((unsigned char) v[i]) && v[i] != '-')
            return -1;
    addr = vstr_new(len);
    if (smtputf8 && tlen == 5 && strncasecmp(v, "utf-8", 5) == 0) {
        vstr_addmem(addr, semi + 1, len - tlen - 1);
    } else if (smtpd_xtext_decode(semi + 1, len - tlen - 1, addr) < 0) {
        ret = -1;
    }
    if (ret == 0 && vstr_len(addr) == 0)
        ret = -1;
    if (ret == 0) {
        vstr_reset(out);
        vstr_addmem(out, v, tlen);
        vstr_addch(out, ';');
        vstr_addmem(out, vstr_str(addr), vstr_len(addr));
    }
    vstr_free(addr);
    return ret;
}

int smtpd_cmd_rcpt_params(const char *rest, int smtputf8, SMTPD_RCPT_PARAMS *p, VSTR *err)
{
    VSTR *name = vstr_new(16), *value = vstr_new(64);
    int has_value, ret = 0;

    p->notify = 0;
    vstr_reset(p->orcpt);
    vstr_reset(err);
    while (ret == 0 && smtpd_cmd_next_param(&rest, name, value, &has_value)) {
        const char *n = vstr_str(name), *v = vstr_str(value);

        if (vstr_len(value) > SMTPD_PARAM_MAX || vstr_len(name) > SMTPD_PARAM_MAX) {
            vstr_set(err, "501 5.5.4 Error: parameter too long");
            ret = -1;
        } else if (smtpd_cmd_off(p->disabled, n)) {
            vstr_sprintf(err, "555 5.5.4 Unsupported option: %s", n);
            ret = -1;
        } else if (strcasecmp(n, "NOTIFY") == 0) {
            if (p->notify || !has_value || smtpd_cmd_notify(v, &p->notify) < 0) {
                vstr_set(err, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
                ret = -1;
            }
        } else if (strcasecmp(n, "ORCPT") == 0) {
            if (vstr_len(p->orcpt) || !has_value
                || smtpd_cmd_orcpt(v, vstr_len(value), smtputf8, p->orcpt) < 0) {
                vstr_set(err, "501 5.5.4 Error: Bad ORCPT parameter syntax");
                ret = -1;
            }
        } else {
            VSTR *tmp = vstr_new(0);

            vstr_addmem(tmp, n, strlen(n) > 64 ? 64 : strlen(n));
            vstr_sprintf(err, "555 5.5.4 Unsupported option: %s", vstr_str(tmp));
            vstr_free(tmp);
            ret = -1;
        }
    }
    vstr_free(name);
    vstr_free(value);
    return ret;
}
