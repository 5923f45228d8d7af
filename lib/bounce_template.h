/*
 * bounce_template - the texts of delivery status notifications: Postern's
 * built-in templates, and the bounce_template_file that overrides them in
 * Postfix's bounce(5) format. The bounce daemon and `postconf -b/-t` use it.
 *
 * THE FILE (bounce(5)): lines "NAME = VALUE"; NAME is one of
 * failure_template, delay_template, success_template, verify_template; a
 * VALUE "<<MARKER" (MARKER starts with a letter or digit) takes the
 * following lines up to one that is exactly MARKER. Outside a << block,
 * empty lines, blank lines and lines starting with '#' are ignored. A
 * template is: header lines "Label: value" (Charset, From, Subject,
 * Postmaster-Subject - the last for failure and delay only; labels in any
 * case, values ASCII, one line, not empty, never expanded), then optional
 * empty lines, then the text. The text may hold $name, ${name}, $(name),
 * ${name?text}, ${name:text} and $$: main.cf parameters, and the special
 * delay_warning_time_UNIT and maximal_queue_lifetime_UNIT with UNIT one of
 * seconds, minutes, hours, days, weeks (the value divided by the unit,
 * rounded down). Non-ASCII text needs a Charset other than us-ascii.
 * Templates the file does not name keep the built-in ones.
 *
 * USAGE
 *   BOUNCE_TEMPLATES *ts = bounce_templates_new();      the built-in set
 *   bounce_templates_load(ts, path);                    override from a file
 *   bounce_templates_expand(ts, bounce_template_conf_lookup, NULL);
 *   t = bounce_templates_get(ts, BOUNCE_TMPL_FAILURE);  t->from, t->subject,
 *       t->pm_subject (NULL for success and verify), t->charset,
 *       t->expanded (LF-separated lines, after bounce_templates_expand),
 *       t->eight_bit (the text has 8-bit bytes)
 *   bounce_templates_verify(ts)  the verify template (sendmail -v and
 *                                sendmail -bv reports)
 *   bounce_templates_dump(ts, out, ctx)           `postconf -t` text
 *   bounce_templates_dump_expanded(ts, out, ctx)  `postconf -b` text
 *   bounce_templates_free(ts);
 * out(ctx, line) is called once per output line, without a newline.
 * A lookup function returns 1 with the value in out, 0 for an undefined
 * name, -1 for an error (the reason in out); bounce_template_conf_lookup()
 * answers from main.cf (conf.h) with the two special time names.
 *
 * ERROR POLICY: nothing here is fatal. A file that cannot be read, is not
 * a regular file, is larger than BOUNCE_TMPL_FILE_MAX, has a line longer
 * than BOUNCE_TMPL_LINE_MAX, a NUL byte, a line without '=' or a bad end
 * marker is ignored as a whole: a warning, every template stays built-in.
 * A template with a bad header (unknown, empty, not printable ASCII, too
 * long, a Charset that is not a MIME token), no text, 8-bit text in
 * us-ascii, control
 * characters, or (at expansion) an undefined $name, bad $ syntax, a bad
 * time unit, or an expanded line over BOUNCE_TMPL_LINE_MAX is replaced by
 * the built-in one, with a warning naming the file and the template. An
 * unknown template name and a missing end marker are warnings (the rest is
 * used, as Postfix does). The load and expand functions return 0, or -1
 * when something was warned about that Postfix's postconf treats as fatal
 * (the file could not be used, bad syntax, an undefined or bad $name), so
 * `postconf -b` can exit non-zero.
 */
#ifndef POSTERN_BOUNCE_TEMPLATE_H
#define POSTERN_BOUNCE_TEMPLATE_H

#include <stddef.h>

#include "vstr.h"

#define BOUNCE_TMPL_FAILURE 0
#define BOUNCE_TMPL_DELAY   1
#define BOUNCE_TMPL_SUCCESS 2
#define BOUNCE_TMPL_VERIFY  3
#define BOUNCE_TMPL_COUNT   4

#define BOUNCE_TMPL_FILE_MAX   (256 * 1024) /* bytes of a template file */
#define BOUNCE_TMPL_LINE_MAX   998          /* bytes of a line, read or expanded */
#define BOUNCE_TMPL_HEADER_MAX 200          /* bytes of a header value */
#define BOUNCE_TMPL_DEPTH      10           /* nesting of ${name?text} */

typedef struct BOUNCE_TEMPLATE {
    int cls;            /* BOUNCE_TMPL_* */
    char *origin;       /* "[built-in]" or the file's path */
    char *charset;
    char *from;
    char *subject;
    char *pm_subject;   /* Postmaster-Subject; NULL: success, verify */
    char *text;         /* as written, LF-separated */
    char *expanded;     /* NULL until bounce_templates_expand() */
    int eight_bit;      /* text has bytes above 127 */
} BOUNCE_TEMPLATE;

typedef struct BOUNCE_TEMPLATES {
    BOUNCE_TEMPLATE t[BOUNCE_TMPL_COUNT];
} BOUNCE_TEMPLATES;

typedef int (*BOUNCE_TMPL_LOOKUP)(void *ctx, const char *name, VSTR *out);
typedef void (*BOUNCE_TMPL_OUT)(void *ctx, const char *line);

BOUNCE_TEMPLATES *bounce_templates_new(void);
int bounce_templates_load(BOUNCE_TEMPLATES *ts, const char *path);
int bounce_templates_load_buf(BOUNCE_TEMPLATES *ts, const char *origin, const char *buf,
                              size_t len);
int bounce_templates_expand(BOUNCE_TEMPLATES *ts, BOUNCE_TMPL_LOOKUP lookup, void *ctx);
const BOUNCE_TEMPLATE *bounce_templates_get(const BOUNCE_TEMPLATES *ts, int cls);
const BOUNCE_TEMPLATE *bounce_templates_verify(const BOUNCE_TEMPLATES *ts);
void bounce_templates_dump(const BOUNCE_TEMPLATES *ts, BOUNCE_TMPL_OUT out, void *ctx);
void bounce_templates_dump_expanded(const BOUNCE_TEMPLATES *ts, BOUNCE_TMPL_OUT out, void *ctx);
void bounce_templates_free(BOUNCE_TEMPLATES *ts);
const char *bounce_template_name(int cls);   /* "failure", "delay", ... */
int bounce_template_conf_lookup(void *ctx, const char *name, VSTR *out);

#endif
