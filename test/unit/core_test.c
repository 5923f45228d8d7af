/* Unit tests for lib/ core: mem, vstr, argv, htable, strutil, lineread, msg. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "argv.h"
#include "htable.h"
#include "lineread.h"
#include "mem.h"
#include "msg.h"
#include "strutil.h"
#include "vstr.h"
#include "tap.h"

static void test_vstr(void)
{
    VSTR *v = vstr_new(0);
    int i;

    vstr_adds(v, "abc");
    vstr_addch(v, 'd');
    TAP_STR(vstr_str(v), "abcd", "vstr appends text and characters");
    for (i = 0; i < 10000; i++)
        vstr_addch(v, 'x');
    TAP_INT(vstr_len(v), 10004, "vstr grows past its initial size");
    TAP_INT(vstr_str(v)[vstr_len(v)], 0, "vstr stays terminated after growth");
    vstr_sprintf(v, "%d-%s", 42, "z");
    TAP_STR(vstr_str(v), "42-z", "vstr_sprintf replaces the content");
    vstr_printf(v, "%0500d", 7);
    TAP_INT(vstr_len(v), 504, "vstr_printf appends beyond the current capacity");
    vstr_addmem(v, "a\0b", 3);
    TAP_INT(vstr_len(v), 507, "vstr_addmem keeps embedded NUL bytes");
    vstr_truncate(v, 2);
    TAP_STR(vstr_str(v), "42", "vstr_truncate shortens");
    vstr_truncate(v, 100);
    TAP_STR(vstr_str(v), "42", "vstr_truncate never lengthens");
    vstr_free(v);
}

static void test_argv(void)
{
    ARGV *a = argv_split("  one, two,,three  ", ", ");

    TAP_INT(a->argc, 3, "argv_split skips empty fields");
    TAP_STR(a->argv[2], "three", "argv_split keeps the order");
    TAP_OK(a->argv[3] == NULL, "argv is NULL-terminated");
    argv_truncate(a, 1);
    TAP_INT(a->argc, 1, "argv_truncate");
    argv_free(a);
}

static void test_htable(void)
{
    HTABLE *t = htable_new(1);
    char key[32];
    const char **keys;
    int i, found = 0;

    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%04d", i);
        htable_put(t, key, mem_strdup(key));
    }
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%04d", i);
        found += htable_get(t, key) != NULL && strcmp(htable_get(t, key), key) == 0;
    }
    TAP_INT(found, 1000, "htable finds every key after growth");
    mem_free(htable_put(t, "k0001", mem_strdup("new")));
    TAP_STR(htable_get(t, "k0001"), "new", "htable_put replaces a value");
    mem_free(htable_remove(t, "k0002"));
    TAP_OK(!htable_has(t, "k0002"), "htable_remove removes");
    TAP_OK(htable_get(t, "nope") == NULL, "htable_get of a missing key is NULL");
    keys = htable_keys(t);
    TAP_STR(keys[0], "k0000", "htable_keys are sorted (first)");
    TAP_STR(keys[998], "k0999", "htable_keys are sorted (last)");
    TAP_OK(keys[999] == NULL, "htable_keys is NULL-terminated");
    mem_free(keys);
    htable_free(t, mem_free);
}

static void test_strutil(void)
{
    char buf[64], *cp, *tok;
    long n;

    strcpy(buf, " \t hello world \r\n");
    TAP_STR(str_trim(buf), "hello world", "str_trim");
    strcpy(buf, "MiXeD\xc3\x84");
    TAP_STR(str_lower(buf), "mixed\xc3\x84", "str_lower folds ASCII only");
    strcpy(buf, "a,, b ,c");
    cp = buf;
    tok = str_token(&cp, ", ");
    TAP_STR(tok, "a", "str_token first");
    tok = str_token(&cp, ", ");
    TAP_STR(tok, "b", "str_token skips delimiters");
    tok = str_token(&cp, ", ");
    TAP_STR(tok, "c", "str_token last");
    TAP_OK(str_token(&cp, ", ") == NULL, "str_token end");
    strcpy(buf, "bad\r\nline\x01\xff");
    TAP_STR(str_printable(buf, 0), "bad??line??", "str_printable replaces control and 8-bit bytes");
    TAP_OK(str_parse_long("123", 0, 1000, &n) == 0 && n == 123, "str_parse_long accepts a number");
    TAP_OK(str_parse_long("12x", 0, 1000, &n) < 0, "str_parse_long rejects trailing junk");
    TAP_OK(str_parse_long("", 0, 1000, &n) < 0, "str_parse_long rejects empty text");
    TAP_OK(str_parse_long("99999999999999999999", 0, 1000, &n) < 0, "str_parse_long rejects overflow");
    TAP_OK(str_parse_long("2000", 0, 1000, &n) < 0, "str_parse_long enforces the range");
}

static LINEREAD *lr_from(const char *text, size_t len, FILE **fpp)
{
    FILE *fp = fmemopen((void *) text, len, "r");

    *fpp = fp;
    return lineread_open(fp, "test.cf");
}

static void test_lineread(void)
{
    static const char text[] =
        "# comment\n"
        "a = 1\n"
        "  # indented comment inside\n"
        "\n"
        "b = two\n"
        "    continued\r\n"
        "\tmore\n"
        "   \n"
        "c=3";
    FILE *fp;
    LINEREAD *lr = lr_from(text, sizeof(text) - 1, &fp);
    char *line;

    line = lineread_next(lr);
    TAP_STR(line, "a = 1", "lineread: first logical line");
    TAP_INT(lr->first_line, 2, "lineread: line number of the first line");
    line = lineread_next(lr);
    TAP_STR(line, "b = two    continued\tmore", "lineread: continuation lines keep their white space");
    TAP_INT(lr->first_line, 5, "lineread: continuation starts at its first line");
    TAP_INT(lr->last_line, 7, "lineread: continuation ends at its last line");
    line = lineread_next(lr);
    TAP_STR(line, "c=3", "lineread: last line without newline");
    TAP_INT(lr->first_line, 9, "lineread: line number counts skipped lines");
    TAP_OK(lineread_next(lr) == NULL && lr->error == NULL, "lineread: clean end of file");
    lineread_close(lr);
    fclose(fp);

    {
        static const char nul_text[] = "a = 1\nb = x\0y\n";

        lr = lr_from(nul_text, sizeof(nul_text) - 1, &fp);
        lineread_next(lr);
        TAP_OK(lineread_next(lr) == NULL && lr->error != NULL, "lineread: a NUL byte is an error");
        lineread_close(lr);
        fclose(fp);
    }
    {
        char *big = mem_alloc(5000);

        memset(big, 'x', 4999);
        big[4999] = 0;
        lr = lr_from(big, 4999, &fp);
        lineread_set_max(lr, 1000);
        TAP_OK(lineread_next(lr) == NULL && lr->error && strstr(lr->error, "too long"),
               "lineread: an overlong physical line is an error");
        lineread_close(lr);
        fclose(fp);
        memset(big, ' ', 4999);
        big[0] = 'k';
        for (int i = 100; i < 4999; i += 100) {
            big[i - 1] = 'y';
            big[i] = '\n';
        }
        lr = lr_from(big, 4999, &fp);
        lineread_set_max(lr, 1000);
        TAP_OK(lineread_next(lr) == NULL && lr->error != NULL,
               "lineread: an overlong logical line (continuations) is an error");
        lineread_close(lr);
        fclose(fp);
        mem_free(big);
    }
}

static void test_msg(void)
{
    char path[] = "/tmp/postern-msg-XXXXXX";
    int fd = mkstemp(path);
    char buf[512];
    ssize_t n;

    close(fd);
    msg_init("unittest", 0);
    TAP_OK(msg_config("postfix", "mail", path, "mail.example.com") == 0, "msg_config opens maillog_file");
    msg_warn("bad\nclient \"%s\"", "x\r");
    msg_info("plain");
    fd = open(path, O_RDONLY);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    TAP_OK(strstr(buf, " mail postfix/unittest[") != NULL, "log line has host and postfix/program[pid]");
    TAP_OK(strstr(buf, "]: warning: bad?client \"x?\"\n") != NULL, "warnings are prefixed and made one line");
    TAP_OK(strstr(buf, "]: plain\n") != NULL, "info lines have no prefix");
    TAP_OK(msg_facility_code("local3") >= 0 && msg_facility_code("bogus") < 0, "syslog facility names");
    TAP_OK(msg_facility_code("ftp") >= 0 && msg_facility_code("MAIL") < 0, "facility names are Postfix's, case-sensitive");
    msg_config("postfix/submission", NULL, NULL, NULL);
    TAP_STR(msg_tag(), "postfix/submission/unittest",
            "syslog_name naming a service: the program still follows (postfix/submission/smtpd)");
    unlink(path);
    msg_set_outputs(MSG_OUT_STDERR);
}

int main(void)
{
    msg_init("core_test", MSG_OUT_STDERR);
    test_vstr();
    test_argv();
    test_htable();
    test_strutil();
    test_lineread();
    test_msg();
    return tap_done();
}
