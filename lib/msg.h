/*
 * msg - diagnostics and logging, in Postfix's shape.
 *
 * Call msg_init(program, outputs) first; program is the short name
 * ("postmap", "smtpd"). Outputs:
 *   MSG_OUT_STDERR  "postmap: warning: text" on standard error
 *   MSG_OUT_SYSLOG  syslog with the tag "<syslog_name>/<program>[pid]"
 *   MSG_OUT_FILE    lines "Mon dd hh:mm:ss host postfix/program[pid]: text"
 *                   appended to maillog_file (one write(2) per line)
 * msg_config() applies syslog_name, syslog_facility and maillog_file once the
 * configuration is known; a non-empty maillog_file replaces syslog. The
 * facility names are Postfix's, case-sensitive (mail, daemon, local0...;
 * msg_facility_code() maps one, -1 when unknown); an unknown one is fatal
 * ("file /etc/postfix/main.cf: parameter syslog_facility: unrecognized
 * value: ..."; conf_init() tells msg_set_config_file() which file).
 * msg_set_sink() lets a daemon route lines elsewhere (the postlog socket).
 *
 * Levels and error policy: msg_info and msg_warn log and return;
 * msg_error logs "error: " and counts (msg_error_count()); msg_fatal logs
 * "fatal: ", runs the cleanup hook and exits 1 (a missing resource);
 * msg_panic logs "panic: " and aborts (a broken invariant, a programming
 * error). Control characters in the text are replaced with '?', so a line is
 * always one line, whatever a client sent.
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <stdarg.h>

#define MSG_OUT_STDERR 1
#define MSG_OUT_SYSLOG 2
#define MSG_OUT_FILE   4

extern int msg_verbose;

typedef void (*MSG_SINK_FN)(int level, const char *tag, const char *text);
typedef void (*MSG_CLEANUP_FN)(void);

enum { MSG_INFO, MSG_WARN, MSG_ERROR, MSG_FATAL, MSG_PANIC };

void msg_init(const char *program, int outputs);
int msg_config(const char *syslog_name, const char *facility,
               const char *maillog_file, const char *myhostname);
void msg_set_outputs(int outputs);
void msg_set_config_file(const char *path);
void msg_set_sink(MSG_SINK_FN sink);
void msg_set_cleanup(MSG_CLEANUP_FN fn);
const char *msg_program(void);
const char *msg_tag(void);
int msg_error_count(void);
int msg_facility_code(const char *name);
void msg_format_file_line(char *buf, size_t size, const char *host,
                          const char *tag, long pid, const char *text);

void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_fatal_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void msg_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
