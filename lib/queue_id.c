/* queue_id - Postfix short and long queue ids; see queue_id.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "msg.h"
#include "queue_id.h"

static const char qid_alphabet[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

#define QID_SEC_BASE   52
#define QID_SEC_PAD    6
#define QID_USEC_BASE  52
#define QID_USEC_PAD   4
#define QID_INUM_BASE  51
#define QID_SEP        'z'
#define QID_HEX_USEC   5

/* Encode val in base, at least pad digits; returns the length. */
static size_t qid_encode(char *out, unsigned long val, unsigned base, size_t pad)
{
    char tmp[80];
    size_t n = 0;
    size_t i;

    do {
        tmp[n++] = qid_alphabet[val % base];
        val /= base;
    } while (val);
    while (n < pad)
        tmp[n++] = '0';
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

static int qid_digit(int ch, unsigned base)
{
    const char *p;

    if (ch == 0 || (p = strchr(qid_alphabet, ch)) == NULL || (unsigned) (p - qid_alphabet) >= base)
        return -1;
    return (int) (p - qid_alphabet);
}

void queue_id_short(char *buf, long usec, unsigned long inode)
{
    if (usec < 0 || usec > 999999)
        msg_panic("queue_id_short: bad microseconds %ld", usec);
    snprintf(buf, QUEUE_ID_BUFSIZE, "%05lX%lX", (unsigned long) usec, inode);
}

void queue_id_long(char *buf, long sec, long usec, unsigned long inode)
{
    size_t n;

    if (usec < 0 || usec > 999999 || sec < 0)
        msg_panic("queue_id_long: bad time %ld.%06ld", sec, usec);
    n = qid_encode(buf, (unsigned long) sec, QID_SEC_BASE, QID_SEC_PAD);
    n += qid_encode(buf + n, (unsigned long) usec, QID_USEC_BASE, QID_USEC_PAD);
    buf[n++] = QID_SEP;
    qid_encode(buf + n, inode, QID_INUM_BASE, 0);
}

static int valid_short(const char *id, size_t len)
{
    size_t i;

    if (len < QID_HEX_USEC + 1 || len > QID_HEX_USEC + 16)
        return 0;
    for (i = 0; i < len; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'F')))
            return 0;
    return 1;
}

static int valid_long(const char *id, size_t len)
{
    const char *sep = strrchr(id, QID_SEP);
    size_t tlen;
    size_t i;

    if (sep == NULL)
        return 0;
    tlen = (size_t) (sep - id);
    if (tlen < QID_SEC_PAD + QID_USEC_PAD || sep[1] == 0 || len - tlen - 1 > 13)
        return 0;
    for (i = 0; i < tlen; i++)
        if (qid_digit(id[i], QID_SEC_BASE) < 0)
            return 0;
    for (i = tlen + 1; i < len; i++)
        if (qid_digit(id[i], QID_INUM_BASE) < 0)
            return 0;
    return 1;
}

int queue_id_valid(const char *id)
{
    size_t len;

    if (id == NULL)
        return 0;
    len = strnlen(id, QUEUE_ID_MAXLEN + 1);
    if (len == 0 || len > QUEUE_ID_MAXLEN)
        return 0;
    if (valid_short(id, len))
        return QUEUE_ID_SHORT;
    if (valid_long(id, len))
        return QUEUE_ID_LONG;
    return 0;
}

int queue_id_hash(const char *id, int depth, char *out)
{
    char hex[16];
    int kind = queue_id_valid(id);
    int i;

    if (kind == 0)
        msg_panic("queue_id_hash: invalid queue id");
    if (depth < 0 || depth > QUEUE_ID_MAX_DEPTH)
        msg_panic("queue_id_hash: bad depth %d", depth);
    if (kind == QUEUE_ID_SHORT) {
        memcpy(hex, id, QID_HEX_USEC);
    } else {
        const char *sep = strrchr(id, QID_SEP);
        unsigned long usec = 0;

        for (i = 0; i < QID_USEC_PAD; i++)
            usec = usec * QID_USEC_BASE
                + (unsigned long) qid_digit(sep[i - QID_USEC_PAD], QID_USEC_BASE);
        if (usec > 0xFFFFF)
            usec = 0;
        snprintf(hex, sizeof(hex), "%05lX", usec);
    }
    for (i = 0; i < depth; i++)
        out[i] = hex[i];
    out[depth] = 0;
    return depth;
}

int queue_id_is_hashed(const char *queue_name, const char *hash_queue_names)
{
    size_t qlen = strlen(queue_name);
    const char *cp = hash_queue_names;

    while (*cp) {
        size_t n;

        cp += strspn(cp, " \t\r\n,");
        n = strcspn(cp, " \t\r\n,");
        if (n == qlen && n > 0 && strncmp(cp, queue_name, n) == 0)
            return 1;
        cp += n;
    }
    return 0;
}

const char *queue_id_path(VSTR *out, const char *queue_name, const char *id, int depth)
{
    char hash[QUEUE_ID_MAX_DEPTH + 1];
    int i;

    queue_id_hash(id, depth, hash);
    vstr_set(out, queue_name);
    vstr_addch(out, '/');
    for (i = 0; i < depth; i++) {
        vstr_addch(out, hash[i]);
        vstr_addch(out, '/');
    }
    vstr_adds(out, id);
    return vstr_str(out);
}

int queue_id_inode(const char *id, unsigned long *inode)
{
    int kind = queue_id_valid(id);
    const char *cp;
    unsigned base;
    unsigned long val = 0;

    if (kind == 0)
        return -1;
    if (kind == QUEUE_ID_SHORT) {
        cp = id + QID_HEX_USEC;
        base = 16;
    } else {
        cp = strrchr(id, QID_SEP) + 1;
        base = QID_INUM_BASE;
    }
    for (; *cp; cp++) {
        unsigned digit;

        if (base == 16)
            digit = (unsigned) (*cp <= '9' ? *cp - '0' : *cp - 'A' + 10);
        else
            digit = (unsigned) qid_digit(*cp, base);
        if (val > (~0UL - digit) / base)
            return -1;
        val = val * base + digit;
    }
    *inode = val;
    return 0;
}

/* rename without replacing; link+unlink where the file system lacks it. */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#endif
    if (link(from, to) < 0)
        return -1;
    (void) unlink(from);
    return 0;
}

/* Our process id, asked of the kernel once per process (fork asks again). */
static long queue_id_pid;

static void queue_id_pid_reset(void)
{
    queue_id_pid = 0;
}

static long queue_id_getpid(void)
{
    static int registered;

    if (!registered) {
        if (pthread_atfork(NULL, NULL, queue_id_pid_reset) != 0)
            return (long) getpid();
        registered = 1;
    }
    if (queue_id_pid == 0)
        queue_id_pid = (long) getpid();
    return queue_id_pid;
}

int queue_id_enter(const char *dir, int long_form, char *id, VSTR *path)
{
    VSTR *tmp = vstr_new(64);
    struct timeval tv;
    struct stat st;
    int tries;
    int fd;
    int saved;

    gettimeofday(&tv, NULL);
    vstr_sprintf(tmp, "%s/.%ld.%ld.%06ld", dir, queue_id_getpid(), (long) tv.tv_sec,
                 (long) tv.tv_usec);
    if ((fd = open(vstr_str(tmp), O_CREAT | O_EXCL | O_RDWR, 0600)) < 0) {
        vstr_free(tmp);
        return -1;
    }
    if (fstat(fd, &st) < 0)
        goto fail;
    for (tries = 0; tries < 1000; tries++) {
        gettimeofday(&tv, NULL);
        if (long_form)
            queue_id_long(id, (long) tv.tv_sec, (long) tv.tv_usec, (unsigned long) st.st_ino);
        else
            queue_id_short(id, (long) tv.tv_usec, (unsigned long) st.st_ino);
        vstr_set(path, dir);
        vstr_addch(path, '/');
        vstr_adds(path, id);
        if (rename_noreplace(vstr_str(tmp), vstr_str(path)) == 0) {
            vstr_free(tmp);
            return fd;
        }
        if (errno != EEXIST)
            goto fail;
    }
    errno = EEXIST;
fail:
    saved = errno;
    close(fd);
    (void) unlink(vstr_str(tmp));
    vstr_free(tmp);
    errno = saved;
    return -1;
}
