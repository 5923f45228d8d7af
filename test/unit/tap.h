/*
 * tap.h - a tiny Test Anything Protocol emitter for the unit tests.
 *
 * Each check prints "ok N - what" or "not ok N - what" (with the expected and
 * actual values on "# " lines); tap_done() prints the plan "1..N" and returns
 * the exit status (0 when all passed). test/run counts the lines.
 *
 *   TAP_OK(cond, "what %s", arg);
 *   TAP_STR(got, want, "what");   NULL-safe string comparison
 *   TAP_INT(got, want, "what");
 *   return tap_done();
 */
#ifndef POSTERN_TAP_H
#define POSTERN_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 0)))
static void tap_vresult(int ok, const char *fmt, va_list ap)
{
    tap_count++;
    if (!ok)
        tap_failed++;
    printf("%sok %d - ", ok ? "" : "not ", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
}

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int ok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_vresult(ok, fmt, ap);
    va_end(ap);
    return ok;
}

__attribute__((format(printf, 3, 4), unused))
static int tap_str(const char *got, const char *want, const char *fmt, ...)
{
    va_list ap;
    int ok = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;

    va_start(ap, fmt);
    tap_vresult(ok, fmt, ap);
    va_end(ap);
    if (!ok)
        printf("#   got:  %s%s%s\n#   want: %s%s%s\n", got ? "\"" : "", got ? got : "NULL",
               got ? "\"" : "", want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
    return ok;
}

__attribute__((format(printf, 3, 4), unused))
static int tap_int(long got, long want, const char *fmt, ...)
{
    va_list ap;
    int ok = got == want;

    va_start(ap, fmt);
    tap_vresult(ok, fmt, ap);
    va_end(ap);
    if (!ok)
        printf("#   got:  %ld\n#   want: %ld\n", got, want);
    return ok;
}

__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#define TAP_OK(cond, ...) tap_ok((cond) ? 1 : 0, __VA_ARGS__)
#define TAP_STR(got, want, ...) tap_str((got), (want), __VA_ARGS__)
#define TAP_INT(got, want, ...) tap_int((long) (got), (long) (want), __VA_ARGS__)

#endif
