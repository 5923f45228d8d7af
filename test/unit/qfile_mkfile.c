/*
 * qfile_mkfile - write a queue file with Postern's writer, for the tests
 * that show it to Postfix's own postcat.
 *
 * qfile_mkfile OUTPUT [pointers]: a message shaped like the one cleanup
 * writes for an SMTP client: size, arrival time, create time, attributes,
 * sender, DSN attribute, original recipient and two recipients (the first
 * then marked done in place), a reserved pointer slot, content with a long
 * line split into L records, the extracted segment, end record; then fsync
 * and the completeness mark. With "pointers", a header added after the fact
 * the way cleanup does it: the reserved slot after the headers points to a
 * heap after the end record, whose last record points back. Exit status 0
 * on success.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "qfile.h"

int main(int argc, char **argv)
{
    QFILE_WRITER *w;
    char longline[5000];
    long rcpt_off;
    long slot;
    long back;
    long heap;
    int pointers = argc > 2 && strcmp(argv[2], "pointers") == 0;
    int fd;

    msg_init(argv[0], MSG_OUT_STDERR);
    if (argc < 2)
        msg_fatal("usage: %s OUTPUT", argv[0]);
    if ((fd = open(argv[1], O_CREAT | O_EXCL | O_RDWR, 0600)) < 0)
        msg_fatal("create %s: %s", argv[1], strerror(errno));
    w = qfile_writer_new(fd, argv[1], QFILE_WRITE_SIZE);
    qfile_put_time(w, 1795263260, 666660);
    qfile_put_attr(w, "create_time", "1795263260");
    qfile_put_attr(w, "log_ident", "A2E0D10605F");
    qfile_put_attr(w, "rewrite_context", "local");
    qfile_puts(w, QREC_FULL, "Postern Writer");
    qfile_puts(w, QREC_FROM, "alice@example.com");
    qfile_put_attr(w, "dsn_orig_rcpt", "rfc822;bob@relay.test");
    qfile_puts(w, QREC_ORCP, "bob@relay.test");
    rcpt_off = qfile_puts(w, QREC_RCPT, "bob@relay.test");
    qfile_puts(w, QREC_RCPT, "carol@relay.test");
    qfile_put_ptr(w, 0);
    qfile_put(w, QREC_MESG, "", 0);
    qfile_put_line(w, "Subject: written by Postern", 27);
    qfile_put_line(w, "From: alice@example.com", 23);
    slot = qfile_put_ptr(w, 0);
    back = qfile_writer_offset(w);
    qfile_put_line(w, "", 0);
    memset(longline, 'x', sizeof(longline));
    qfile_put_line(w, longline, sizeof(longline));
    qfile_put_line(w, "end.", 4);
    qfile_put(w, QREC_XTRA, "", 0);
    qfile_puts(w, QREC_RCPT, "dave@down.test");
    qfile_put(w, QREC_END, "", 0);
    heap = qfile_writer_offset(w);
    if (pointers) {
        qfile_put_line(w, "X-Added: by a milter", 20);
        qfile_put_ptr(w, back);
    }
    if (qfile_writer_finish(w) < 0 || qfile_sync(fd) < 0 || qfile_mark_complete(fd) < 0
        || qfile_mark_done(fd, rcpt_off) < 0 || (pointers && qfile_patch_ptr(fd, slot, heap) < 0))
        msg_fatal("write %s: %s", argv[1], strerror(errno));
    qfile_writer_free(w);
    close(fd);
    return 0;
}
