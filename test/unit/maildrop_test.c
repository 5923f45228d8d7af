/*
 * maildrop_test - the maildrop record rules (lib/maildrop.h), table-driven:
 * valid record sequences, every kind of misplaced, malformed or oversized
 * record, the attribute allow-list, and the -N / -R value parsers.
 */
#include "config.h"

#include <string.h>

#include "maildrop.h"
#include "qfile.h"
#include "tap.h"

/*
 * A sequence is a string of record letters; '1' = a NUL byte inside the
 * data of the next record. Data per type: T "1 2", S/R "a@b", F "Name",
 * A "rewrite_context=local", others empty; 'a' = A with a custom value.
 */
typedef struct CASE {
    const char *seq;
    const char *attr;     /* data of 'a' records */
    long long limit;
    int want_last;        /* result of the last record */
    int want_done;
    const char *what;
} CASE;

static const CASE cases[] = {
    {"TASMNNXRE", NULL, 0, MAILDROP_OK, 1, "sendmail -t shape (fixture)"},
    {"TFSRRMNXE", NULL, 0, MAILDROP_OK, 1, "command-line recipients"},
    {"TSMXE", NULL, 0, MAILDROP_OK, 1, "empty content"},
    {"TSMLNXE", NULL, 0, MAILDROP_OK, 1, "long line pieces"},
    {"TSMX", NULL, 0, MAILDROP_OK, 0, "no end record: not done"},
    {"TMXE", NULL, 0, MAILDROP_BAD, 0, "no sender"},
    {"TSSM", NULL, 0, MAILDROP_BAD, 0, "two senders"},
    {"TTS", NULL, 0, MAILDROP_BAD, 0, "two times"},
    {"TFFS", NULL, 0, MAILDROP_BAD, 0, "two full names"},
    {"TSMR", NULL, 0, MAILDROP_BAD, 0, "recipient in the content"},
    {"TSMNE", NULL, 0, MAILDROP_BAD, 0, "end inside the content"},
    {"TSN", NULL, 0, MAILDROP_BAD, 0, "content in the envelope"},
    {"TSMXN", NULL, 0, MAILDROP_BAD, 0, "content after X"},
    {"TSMXEN", NULL, 0, MAILDROP_BAD, 0, "record after E"},
    {"TSMXEE", NULL, 0, MAILDROP_BAD, 0, "second E"},
    {"TSp", NULL, 0, MAILDROP_BAD, 0, "pointer record"},
    {"TSC", NULL, 0, MAILDROP_BAD, 0, "size record"},
    {"TSD", NULL, 0, MAILDROP_BAD, 0, "done recipient"},
    {"TSK", NULL, 0, MAILDROP_BAD, 0, "killed record"},
    {"T1S", NULL, 0, MAILDROP_BAD, 0, "NUL in the sender"},
    {"TS1R", NULL, 0, MAILDROP_BAD, 0, "NUL in a recipient"},
    {"TSM1N", NULL, 0, MAILDROP_OK, 0, "NUL in content is data"},
    {"TSMNNNN", NULL, 10, MAILDROP_BAD, 0, "content over the size limit"},
    {"TSMNN", NULL, 10, MAILDROP_OK, 0, "content within the size limit"},
    {"Ta", "rewrite_context=remote", 0, MAILDROP_OK, 0, "rewrite_context=remote"},
    {"Ta", "rewrite_context=other", 0, MAILDROP_SKIP, 0, "bad rewrite_context skipped"},
    {"Ta", "encoding=8bit", 0, MAILDROP_OK, 0, "encoding=8bit"},
    {"Ta", "encoding=binary", 0, MAILDROP_SKIP, 0, "encoding=binary skipped"},
    {"Ta", "envelope_id=abc+2B", 0, MAILDROP_OK, 0, "envelope_id"},
    {"Ta", "envelope_id=a b", 0, MAILDROP_SKIP, 0, "envelope_id with a space skipped"},
    {"Ta", "ret_flags=2", 0, MAILDROP_OK, 0, "ret_flags=2"},
    {"Ta", "ret_flags=4", 0, MAILDROP_SKIP, 0, "ret_flags=4 skipped"},
    {"Ta", "notify_flags=10", 0, MAILDROP_OK, 0, "notify_flags=10"},
    {"Ta", "notify_flags=3", 0, MAILDROP_SKIP, 0, "NEVER with SUCCESS skipped"},
    {"Ta", "notify_flags=010", 0, MAILDROP_SKIP, 0, "leading zero skipped"},
    {"Ta", "notify_flags=99999999999999", 0, MAILDROP_SKIP, 0, "huge number skipped"},
    {"Ta", "trace_flags=1", 0, MAILDROP_SKIP, 0, "other attribute skipped"},
    {"Ta", "noequals", 0, MAILDROP_BAD, 0, "attribute without '='"},
    {"Ta", "=value", 0, MAILDROP_BAD, 0, "attribute without a name"},
    {"TSMXa", "notify_flags=2", 0, MAILDROP_OK, 0, "notify_flags before an extracted R"},
    {"TSMXR", "", 0, MAILDROP_OK, 0, "extracted recipient"},
    {"Tb", NULL, 0, MAILDROP_BAD, 0, "malformed time"},
};

static int run(const CASE *c, int *done)
{
    MAILDROP_CHECK mc;
    const char *why;
    char data[64];
    int nul = 0, r = MAILDROP_OK;
    const char *cp;

    maildrop_check_init(&mc, c->limit);
    for (cp = c->seq; *cp; cp++) {
        int type = *cp;
        size_t len;

        if (type == '1') {
            nul = 1;
            continue;
        }
        switch (type) {
        case 'T': strcpy(data, "1795263242 885634"); break;
        case 'b': strcpy(data, "12x 3"); type = 'T'; break;
        case 'S': case 'R': strcpy(data, "a@b"); break;
        case 'F': strcpy(data, "Name"); break;
        case 'A': strcpy(data, "rewrite_context=local"); break;
        case 'a': snprintf(data, sizeof(data), "%s", c->attr); type = 'A'; break;
        case 'N': case 'L': strcpy(data, "line"); break;
        default: data[0] = 0;
        }
        len = strlen(data);
        if (nul) {
            data[1] = 0;
            if (len < 2)
                len = 2;
            nul = 0;
        }
        r = maildrop_check(&mc, type, data, len, &why);
        if (r == MAILDROP_BAD)
            break;
    }
    *done = maildrop_check_done(&mc);
    return r;
}

int main(void)
{
    size_t i;
    MAILDROP_CHECK mc;
    const char *why;
    long n;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int done;
        int r = run(&cases[i], &done);

        TAP_INT(r, cases[i].want_last, "%s: result", cases[i].what);
        if (cases[i].want_last != MAILDROP_BAD)
            TAP_INT(done, cases[i].want_done, "%s: done", cases[i].what);
    }

    /* The recipient limit. */
    maildrop_check_init(&mc, 0);
    maildrop_check(&mc, 'T', "1 2", 3, &why);
    maildrop_check(&mc, 'S', "a", 1, &why);
    for (n = 0; n < MAILDROP_RCPT_MAX; n++)
        if (maildrop_check(&mc, 'R', "a", 1, &why) != MAILDROP_OK)
            break;
    TAP_INT(n, MAILDROP_RCPT_MAX, "MAILDROP_RCPT_MAX recipients pass");
    TAP_INT(maildrop_check(&mc, 'R', "a", 1, &why), MAILDROP_BAD, "one more is refused");
    TAP_STR(why, "too many recipients", "the reason says so");

    /* An attribute longer than the check buffer is malformed, not a crash. */
    {
        static char big[QFILE_LINE_LIMIT * 2];

        memset(big, 'x', sizeof(big));
        memcpy(big, "envelope_id=", 12);
        maildrop_check_init(&mc, 0);
        TAP_INT(maildrop_check(&mc, 'A', big, sizeof(big), &why), MAILDROP_BAD,
                "oversized attribute refused");
    }

    TAP_INT(maildrop_notify_parse("never"), 1, "-N never");
    TAP_INT(maildrop_notify_parse("success,delay"), 10, "-N success,delay");
    TAP_INT(maildrop_notify_parse("SUCCESS,Failure,delay"), 14, "-N case-insensitive");
    TAP_INT(maildrop_notify_parse("never,success"), -1, "-N never with others");
    TAP_INT(maildrop_notify_parse("success,success"), -1, "-N duplicate");
    TAP_INT(maildrop_notify_parse("success,"), -1, "-N trailing comma");
    TAP_INT(maildrop_notify_parse(""), -1, "-N empty");
    TAP_INT(maildrop_notify_parse("bogus"), -1, "-N unknown word");
    TAP_INT(maildrop_ret_parse("hdrs"), 2, "-R hdrs");
    TAP_INT(maildrop_ret_parse("FULL"), 1, "-R FULL");
    TAP_INT(maildrop_ret_parse("x"), -1, "-R bad");
    return tap_done();
}
