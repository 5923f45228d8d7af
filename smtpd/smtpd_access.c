/*
 * smtpd_access - access(5) results (see smtpd_access.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "smtpd_access.h"

void smtpd_access_init(SMTPD_ACCESS *a)
{
    memset(a, 0, sizeof(*a));
    a->buf = vstr_new(64);
}

void smtpd_access_free(SMTPD_ACCESS *a)
{
    vstr_free(a->buf);
    a->buf = NULL;
}

/* An enhanced status code "D.DDD.DDD" at text: 1 and its length, or 0. */
int smtpd_dsn_valid(const char *text, size_t *len)
{
    const char *p = text;
    int part, n;

    if (*p != '2' && *p != '4' && *p != '5')
        return 0;
    p++;
    for (part = 0; part < 2; part++) {
        if (*p++ != '.')
            return 0;
        for (n = 0; isdigit((unsigned char) *p) && n < 4; n++)
            p++;
        if (n == 0 || n > 3)
            return 0;
    }
    if (*p != 0 && *p != ' ' && *p != '\t')
        return 0;
    *len = (size_t) (p - text);
    return 1;
}

/* value starts with keyword followed by end or white space: the rest. */
static const char *smtpd_access_kw(const char *value, const char *kw)
{
    size_t n = strlen(kw);

    if (strncasecmp(value, kw, n) != 0)
        return NULL;
    if (value[n] != 0 && value[n] != ' ' && value[n] != '\t')
        return NULL;
    value += n;
    while (*value == ' ' || *value == '\t')
        value++;
    return value;
}

/* "REJECT 5.7.1 text" (postgrey: "DEFER_IF_PERMIT 4.2.0 Greylisted"): the
 * enhanced status code goes to a->dsn, the rest is the text. */
static const char *smtpd_access_dsn(SMTPD_ACCESS *a, const char *rest)
{
    size_t dlen;

    if ((rest[0] == '4' || rest[0] == '5') && smtpd_dsn_valid(rest, &dlen)
        && dlen < sizeof(a->dsn)) {
        memcpy(a->dsn, rest, dlen);
        a->dsn[dlen] = 0;
        rest += dlen;
        while (*rest == ' ' || *rest == '\t')
            rest++;
    }
    return rest;
}

static int smtpd_access_set(SMTPD_ACCESS *a, int action, const char *text)
{
    vstr_set(a->buf, text);
    a->text = vstr_str(a->buf);
    a->action = action;
    return action;
}

int smtpd_access_parse(const char *value, SMTPD_ACCESS *a)
{
    const char *rest;
    size_t i;

    a->code = 0;
    a->dsn[0] = 0;
    while (*value == ' ' || *value == '\t')
        value++;
    for (i = 0; value[i] && isdigit((unsigned char) value[i]); i++)
        ;
    if (i > 0 && value[i] == 0)
        return smtpd_access_set(a, SMTPD_ACC_OK, "");
    if (i == 3 && (value[i] == ' ' || value[i] == '\t')) {
        size_t dlen;

        rest = value + 3;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if ((value[0] != '4' && value[0] != '5') || *rest == 0)
            return smtpd_access_set(a, SMTPD_ACC_BAD, "bad SMTP reply code or missing text");
        a->code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
        if (smtpd_dsn_valid(rest, &dlen) && rest[0] == value[0]) {
            memcpy(a->dsn, rest, dlen);
            a->dsn[dlen] = 0;
            rest += dlen;
            while (*rest == ' ' || *rest == '\t')
                rest++;
        } else {
            strcpy(a->dsn, value[0] == '4' ? "4.7.1" : "5.7.1");
        }
        return smtpd_access_set(a, SMTPD_ACC_REPLY, rest);
    }
    if ((rest = smtpd_access_kw(value, "OK")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_OK, rest);
    if ((rest = smtpd_access_kw(value, "DUNNO")) != NULL
        || (rest = smtpd_access_kw(value, "FILTER")) != NULL
        || (rest = smtpd_access_kw(value, "REDIRECT")) != NULL
        || (rest = smtpd_access_kw(value, "BCC")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_DUNNO, rest);
    if ((rest = smtpd_access_kw(value, "REJECT")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_REJECT, smtpd_access_dsn(a, rest));
    if ((rest = smtpd_access_kw(value, "DEFER")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_DEFER, smtpd_access_dsn(a, rest));
    if ((rest = smtpd_access_kw(value, "DEFER_IF_REJECT")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_DEFER_IF_REJECT, smtpd_access_dsn(a, rest));
    if ((rest = smtpd_access_kw(value, "DEFER_IF_PERMIT")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_DEFER_IF_PERMIT, smtpd_access_dsn(a, rest));
    if ((rest = smtpd_access_kw(value, "HOLD")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_HOLD, rest);
    if ((rest = smtpd_access_kw(value, "DISCARD")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_DISCARD, rest);
    if ((rest = smtpd_access_kw(value, "WARN")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_WARN, rest);
    if ((rest = smtpd_access_kw(value, "INFO")) != NULL)
        return smtpd_access_set(a, SMTPD_ACC_INFO, rest);
    if ((rest = smtpd_access_kw(value, "PREPEND")) != NULL) {
        const char *colon = strchr(rest, ':');
        const char *p;

        if (*rest == 0 || colon == NULL || colon == rest)
            return smtpd_access_set(a, SMTPD_ACC_BAD, "PREPEND without a header");
        for (p = rest; p < colon; p++)
            if ((unsigned char) *p <= ' ' || (unsigned char) *p > 126)
                return smtpd_access_set(a, SMTPD_ACC_BAD, "PREPEND with a bad header name");
        return smtpd_access_set(a, SMTPD_ACC_PREPEND, rest);
    }
    if (*value == 0)
        return smtpd_access_set(a, SMTPD_ACC_BAD, "empty value");
    return smtpd_access_set(a, SMTPD_ACC_RESTRICT, value);
}
