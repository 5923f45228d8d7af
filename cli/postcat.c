/*
 * postcat - show the content of Postfix queue files, as Postfix 3.7 does.
 *
 * postcat [-bdehoqrv] [-c config_dir] [-s offset] [files...]
 *   -e  envelope records (and the segment banners), -h  header text,
 *   -b  body text; none of the three means all three. Header and body are
 *       printed as plain text unless -v labels every content record
 *       (regular_text:, unterminated_text:).
 *   -o  print each record's file offset, -d its decimal record type.
 *   -r  (with -v) records in file order to the end of the file, pointer
 *       records shown but not followed. Without -v, pointer and padding
 *       records are followed and skipped silently, as in Postfix.
 *   -q  the arguments are queue ids, looked up in queue_directory's
 *       maildrop, incoming, active, deferred, hold and saved queues.
 *   -s offset  start reading at this offset (no envelope banner then).
 * With no file, standard input is read.
 *
 * Trust: the files are data, possibly damaged or hostile. Every record goes
 * through the bounded qfile reader; a damaged file gives a warning with the
 * offset and the reason and exit status 1, never a crash. Queue ids given
 * with -q must have a queue id's shape before they become paths.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "qfile.h"
#include "queue_id.h"
#include "strutil.h"
#include "vstr.h"

#define PC_BODY    (1 << 0)
#define PC_ENV     (1 << 1)
#define PC_HEAD    (1 << 2)
#define PC_OFFSET  (1 << 3)
#define PC_DEC     (1 << 4)
#define PC_RAW     (1 << 5)
#define PC_QUEUE   (1 << 6)
#define PC_VERBOSE (1 << 7)
#define PC_SECTIONS (PC_BODY | PC_ENV | PC_HEAD)

enum { ST_ENV, ST_CONTENT, ST_EXTRACT, ST_DONE };
enum { SEC_HEADER, SEC_BODY };

typedef struct PC_STATE {
    const char *name;   /* as shown in the banners */
    int flags;
    int state;
    int section;        /* header or body, within the content */
    int mid_line;       /* an L record was printed without a newline */
} PC_STATE;

static const char *const pc_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const pc_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* atol() without its undefined overflow: leading blanks, sign, digits. */
static long pc_atol(const char *cp)
{
    long val = 0;
    int neg = 0;

    while (*cp == ' ' || *cp == '\t' || *cp == '\n' || *cp == '\r' || *cp == '\f'
           || *cp == '\v')
        cp++;
    if (*cp == '-' || *cp == '+')
        neg = *cp++ == '-';
    while (*cp >= '0' && *cp <= '9') {
        if (val > (LONG_MAX - 9) / 10)
            return neg ? LONG_MIN : LONG_MAX;
        val = val * 10 + (*cp++ - '0');
    }
    return neg ? -val : val;
}

/* Local time in asctime()'s shape without its newline. */
static void pc_print_time(const char *label, const char *data)
{
    time_t when = (time_t) pc_atol(data);
    struct tm tm;

    if (localtime_r(&when, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0
        || tm.tm_mon > 11) {
        printf("%s: %s\n", label, data);
        return;
    }
    printf("%s: %.3s %.3s%3d %.2d:%.2d:%.2d %ld\n", label, pc_days[tm.tm_wday],
           pc_months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (long) tm.tm_year + 1900);
}

static void pc_prefix(const PC_STATE *st, const QFILE_REC *rec)
{
    if (st->flags & PC_OFFSET)
        printf("%9ld ", rec->start);
    if (st->flags & PC_DEC)
        printf("%3d ", rec->type);
}

static void pc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void pc_warn(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    va_start(ap, fmt);
    msg_vlog(MSG_WARN, fmt, ap);
    va_end(ap);
}

/* One envelope or extracted-segment record. */
static void pc_print_envelope(PC_STATE *st, const QFILE_REC *rec)
{
    pc_prefix(st, rec);
    switch (rec->type) {
    case QREC_TIME:
    case QREC_WARN:
        pc_print_time(qfile_type_name(rec->type), rec->data);
        break;
    case QREC_ATTR: {
        char *copy = mem_strdup(rec->data);
        char *name;
        char *value;
        const char *why;

        if (qfile_attr_split(copy, &name, &value, &why) < 0)
            pc_warn("%s: malformed attribute: %s: %.100s", st->name, why, rec->data);
        else if (strcmp(name, "create_time") == 0)
            pc_print_time("create_time", value);
        else
            printf("%s: %s=%s\n", qfile_type_name(rec->type), name, value);
        mem_free(copy);
        break;
    }
    case QREC_SIZE: {
        QFILE_SIZE size;

        printf("%s: %s\n", qfile_type_name(rec->type), rec->data);
        if (qfile_size_parse(rec->data, &size) < 0)
            pc_warn("invalid size record: %.100s", rec->data);
        break;
    }
    default:
        printf("%s: %s\n", qfile_type_name(rec->type), rec->data);
        break;
    }
}

/* Header line: Postfix's shape of "Name:" (printable ASCII, blanks before ':'). */
static int pc_is_header(const char *data, size_t len)
{
    size_t i;
    int seen_space = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) data[i];

        if (c == ':')
            return i > 0;
        if (c == ' ' || c == '\t') {
            if (i == 0)
                return 0;
            seen_space = 1;
        } else if (c > 32 && c < 127) {
            if (seen_space)
                return 0;
        } else {
            return 0;
        }
    }
    return 0;
}

/* Returns 1 when the content section visible to this run is over. */
static int pc_content(PC_STATE *st, const QFILE_REC *rec)
{
    int visible;

    /*
     * Like Postfix, a record is judged header or body unless it continues
     * an unterminated line that was printed without a newline.
     */
    if ((rec->type == QREC_NORM || rec->type == QREC_CONT) && !st->mid_line
        && st->section == SEC_HEADER) {
        if (!(rec->len > 0 && (rec->data[0] == ' ' || rec->data[0] == '\t'))
            && !pc_is_header(rec->data, rec->len)) {
            st->section = SEC_BODY;
            if (!(st->flags & (PC_BODY | PC_ENV)))
                return 1;
        }
    }
    visible = st->section == SEC_HEADER ? (st->flags & PC_HEAD) : (st->flags & PC_BODY);
    if (!visible)
        return 0;
    pc_prefix(st, rec);
    if (rec->type == QREC_NORM || rec->type == QREC_CONT) {
        if (st->flags & PC_VERBOSE)
            printf("%s: ", rec->type == QREC_NORM ? "regular_text" : "unterminated_text");
        fwrite(rec->data, 1, rec->len, stdout);
        st->mid_line = !(rec->type == QREC_NORM || (st->flags & (PC_OFFSET | PC_VERBOSE)));
        if (!st->mid_line)
            putchar('\n');
    } else {
        printf("%s: %s\n", qfile_type_name(rec->type), rec->data);
        st->mid_line = 0;
    }
    return 0;
}

static void pc_banner(const PC_STATE *st, const QFILE_REC *rec, const char *what)
{
    if (!(st->flags & PC_ENV))
        return;
    pc_prefix(st, rec);
    printf("*** %s %s ***\n", what, st->name);
}

static int pc_is_content_type(const PC_STATE *st, int type)
{
    if (type == QREC_NORM)
        return 1;
    if (type == QREC_CONT || type == QREC_DTXT)
        return st->state == ST_CONTENT || st->state == ST_DONE;
    if (type == QREC_PTR)
        return st->state == ST_CONTENT;
    return 0;
}

static const char pc_first_types[] = "MCTcFILSDRO/WVA>K<ion";

/* Print one queue file; returns 0, or -1 when it is damaged. */
static int pc_file(int fd, const char *name, int flags, long start)
{
    PC_STATE st;
    QFILE_READER *r;
    QFILE_REC rec;
    int rflags = QFILE_READ_RAW;
    int n;
    int first = 1;
    int ret = 0;
    int ended = 0;

    if (!(flags & PC_VERBOSE))
        rflags |= QFILE_READ_FOLLOW;
    r = qfile_reader_open(fd, name, rflags);
    if (start > 0 && qfile_reader_seek(r, start) < 0) {
        pc_warn("%s: %s", name, qfile_reader_error(r));
        qfile_reader_free(r);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    st.name = name;
    st.flags = flags;
    st.state = ST_ENV;
    st.section = SEC_HEADER;

    /* Like Postfix, judge the first type byte before the record is read. */
    if (start == 0 && (n = qfile_reader_peek_type(r)) >= 0
        && (n == 0 || strchr(pc_first_types, n) == NULL)) {
        pc_warn("%s: input is not a valid queue file", name);
        qfile_reader_free(r);
        return 0;
    }
    while ((n = qfile_read(r, &rec)) > 0) {
        if (first) {
            first = 0;
            if ((flags & PC_ENV) && start == 0)
                printf("*** ENVELOPE RECORDS %s ***\n", name);
        }
        if (rec.type == QREC_END && st.state != ST_DONE) {
            if (st.state != ST_EXTRACT)
                pc_warn("%s: out-of-order message end marker", name);
            pc_banner(&st, &rec, "MESSAGE FILE END");
            st.state = ST_DONE;
            ended = 1;
            if (!(flags & PC_RAW))
                break;
            continue;
        }
        if (rec.type == QREC_MESG && st.state != ST_DONE) {
            if (st.state != ST_ENV)
                pc_warn("%s: out-of-order message content marker", name);
            pc_banner(&st, &rec, "MESSAGE CONTENTS");
            st.state = ST_CONTENT;
            st.section = SEC_HEADER;
            st.mid_line = 0;
            if (!(flags & (PC_HEAD | PC_BODY | PC_ENV)))
                break;
            continue;
        }
        if (rec.type == QREC_XTRA && st.state != ST_DONE) {
            if (st.state != ST_CONTENT)
                pc_warn("%s: out-of-order extracted segment marker", name);
            if (!(flags & PC_ENV))
                break;
            pc_banner(&st, &rec, "HEADER EXTRACTED");
            st.state = ST_EXTRACT;
            continue;
        }
        if (pc_is_content_type(&st, rec.type)) {
            if (pc_content(&st, &rec))
                break;
        } else if (flags & PC_ENV) {
            pc_print_envelope(&st, &rec);
        }
        /* With -v the reader does not follow pointers: do it here unless -r. */
        if (rec.type == QREC_PTR && (flags & PC_VERBOSE) && !(flags & PC_RAW)) {
            long target = pc_atol(rec.data);

            if (target > 0 && qfile_reader_seek(r, target) < 0) {
                n = -1;
                break;
            }
        }
    }
    if (n < 0) {
        pc_warn("%s: %s", name, qfile_reader_error(r));
        ret = -1;
    } else if (n == 0 && !first && !ended && (flags & PC_ENV) && !(flags & PC_RAW)) {
        pc_warn("%s: premature end of file: no end record", name);
        ret = -1;
    }
    qfile_reader_free(r);
    return ret;
}

static const char *const pc_queues[] = {"maildrop", "incoming", "active", "deferred", "hold",
                                        "saved"};

/* -q: find the id in the queues of queue_directory (main.cf, via conf). */
static int pc_open_queued(const char *id, VSTR *path)
{
    const char *qdir = conf_get("queue_directory");
    const char *hashed = conf_get("hash_queue_names");
    long depth = conf_get_int("hash_queue_depth");
    size_t i;
    int fd = -1;

    if (!queue_id_valid(id))
        msg_fatal("bad mail queue ID: %s", id);
    if (depth < 1 || depth > QUEUE_ID_MAX_DEPTH)
        msg_fatal("%s: bad hash_queue_depth value: %ld", conf_main_cf_path(), depth);
    if (qdir == NULL || *qdir == 0)
        qdir = DEF_QUEUE_DIR;
    if (chdir(qdir) < 0)
        msg_fatal("chdir %s: %s", qdir, strerror(errno));
    for (i = 0; i < sizeof(pc_queues) / sizeof(pc_queues[0]); i++) {
        int h = queue_id_is_hashed(pc_queues[i], hashed ? hashed : "");

        queue_id_path(path, pc_queues[i], id, h ? (int) depth : 0);
        if ((fd = open(vstr_str(path), O_RDONLY)) >= 0)
            break;
        if (errno != ENOENT)
            msg_fatal("open queue file %s: %s", vstr_str(path), strerror(errno));
    }
    if (fd < 0)
        msg_fatal("open queue file %s: %s", id, strerror(ENOENT));
    return fd;
}

static void pc_usage(const char *prog)
{
    msg_fatal("usage: %s [-b (body text)] [-c config_dir] [-d (decimal record type)] "
              "[-e (envelope records)] [-h (header text)] [-o (offsets)] "
              "[-q (access queue)] [-r (file order)] [-s offset] [-v] [file(s)...]",
              prog);
}

int main(int argc, char **argv)
{
    static char outbuf[64 * 1024];
    const char *config_dir = NULL;
    int flags = 0;
    long start = 0;
    int ch;
    int status = 0;

    msg_init(argv[0], MSG_OUT_STDERR);
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    while ((ch = getopt(argc, argv, "bc:dehoqrs:v")) != -1) {
        switch (ch) {
        case 'b': flags |= PC_BODY; break;
        case 'c': config_dir = optarg; break;
        case 'd': flags |= PC_DEC; break;
        case 'e': flags |= PC_ENV; break;
        case 'h': flags |= PC_HEAD; break;
        case 'o': flags |= PC_OFFSET; break;
        case 'q': flags |= PC_QUEUE; break;
        case 'r': flags |= PC_RAW; break;
        case 's':
            if (str_parse_long(optarg, 0, LONG_MAX, &start) < 0)
                msg_fatal("bad offset: %s", optarg);
            break;
        case 'v': flags |= PC_VERBOSE; break;
        default: pc_usage(msg_program());
        }
    }
    if ((flags & PC_SECTIONS) == 0)
        flags |= PC_SECTIONS;
    /* -r means something only when pointers are shown, that is with -v. */
    if (!(flags & PC_VERBOSE))
        flags &= ~PC_RAW;

    if (flags & PC_QUEUE)
        conf_init(config_dir);
    if (optind == argc) {
        if (flags & PC_QUEUE)
            pc_usage(msg_program());
        if (pc_file(STDIN_FILENO, "stdin", flags, start) < 0)
            status = 1;
    }
    for (; optind < argc; optind++) {
        VSTR *path = vstr_new(64);
        int fd;

        if (flags & PC_QUEUE) {
            fd = pc_open_queued(argv[optind], path);
        } else {
            vstr_set(path, argv[optind]);
            if ((fd = open(argv[optind], O_RDONLY)) < 0)
                msg_fatal("open %s: %s", argv[optind], strerror(errno));
        }
        if (pc_file(fd, vstr_str(path), flags, start) < 0)
            status = 1;
        close(fd);
        vstr_free(path);
    }
    if (flags & PC_QUEUE)
        conf_free();
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write error on standard output: %s", strerror(errno));
    return status;
}
