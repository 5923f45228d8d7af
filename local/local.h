/*
 * local.h - what the parts of the local(8) delivery agent share: its
 * configuration, the state of one delivery request, and the delivery
 * methods of local_deliver.c that local.c calls.
 *
 * local.c reads the request, expands each recipient (aliases, .forward,
 * :include:, luser_relay) and reports every final destination ("leaf")
 * through local_leaf(); local_deliver.c writes one leaf: a mailbox (mbox or
 * Maildir, or mailbox_command), a file, a command, or the new message that
 * forwards the non-local addresses through cleanup.
 *
 * PRIVILEGES. The process runs as root. local_priv_become() takes a
 * user's effective uid, gid and groups before any of that user's files is
 * touched; local_priv_restore() goes back to root. Commands run in a child
 * that drops root for good. Nothing is ever written as root but the spool
 * mbox of a recipient who is root and the open/lock of a spool mbox (the
 * file is created for the user and written with the user's ids).
 *
 * ALIASES. Files and commands named by an alias run with the privileges
 * of the owner of the alias database file that answered (the file the
 * table watches: aliases.db for hash:), or as default_privs when that
 * owner is root or the table has no file (inline:, static:); an owner
 * without a passwd entry defers the recipient, 4.3.0. With
 * owner_request_special = yes, an alias NAME that has a companion alias
 * owner-NAME is expanded with the envelope sender owner-NAME@$myorigin
 * (or the value of owner-NAME, with expand_owner_alias = yes): mailbox,
 * file and command deliveries see it (Return-Path:, From_, $SENDER), and
 * the addresses it forwards go out in a message of their own from that
 * sender, without the original's ENVID, RET and ORCPT, so their bounces
 * go to the list owner. A permanent failure inside that expansion (a
 * /file or |command that fails, a local member's mailbox, an unknown local
 * member) is reported to the owner too: a one-recipient notice at once
 * through the bounce service (BOUNCE_CMD_ONE, Postfix's bounce_one), no
 * record in bounce/ID for the original sender; when the bounce service
 * cannot take it, the recipient is deferred, 4.3.0. Nested aliases without
 * an owner of their own keep the parent's (reset_owner_alias = no).
 * propagate_unmatched_extensions: with "alias",
 * user+ext that matched the alias "user" expands to member+ext; with
 * "forward", a .forward found without ${extension} in its path does the
 * same; with "include", so do the addresses of :include: files below.
 *
 * DEVIATION. A table of alias_maps (or another map of local's) that
 * cannot be opened makes Postfix's local exit (fatal), and master starts
 * it again, in a loop, until the table is fixed. Postern's local stays up:
 * every recipient that needs the table is deferred 4.3.0 "alias database
 * unavailable", one warning per process says why, and the open is retried
 * (at most once a second) at the next lookup, so mail flows again as soon
 * as the table is there, without a crash loop.
 *
 * BIFF. With biff = yes, each mbox delivery (not Maildir, not files)
 * sends the datagram "user@offset" (offset: the mailbox size before the
 * delivery, NUL-terminated) to the comsat service, UDP 127.0.0.1 port
 * "biff" (512). Best effort: errors are ignored (one warning if the socket
 * cannot be made).
 *
 * Error policy: a failure to change ids is fatal (the process cannot be
 * trusted any more); everything else is a deferral or a bounce of the
 * recipient with a reason, never a crash.
 */
#ifndef POSTERN_LOCAL_H
#define POSTERN_LOCAL_H

#include <sys/types.h>
#include <time.h>

#include "argv.h"
#include "deliver.h"
#include "mailbox.h"
#include "matchlist.h"
#include "qfile.h"
#include "table.h"
#include "vstr.h"

#define LOCAL_LEVEL_MAX   20      /* nesting of alias/forward expansion */
#define LOCAL_LEAF_MAX    1000    /* destinations per recipient */
#define LOCAL_FILE_MAX    (256 * 1024) /* a .forward or :include: file */
#define LOCAL_HDR_MAX     1000    /* Delivered-To: headers remembered */

/* Whose privileges a delivery uses. */
typedef struct LOCAL_PRIV {
    uid_t uid;
    gid_t gid;
    char *name;   /* for initgroups() and logs */
    char *home;   /* cwd of commands; may be "/" */
    char *shell;
} LOCAL_PRIV;

/* A list of tables from one parameter ("hash:/a, texthash:/b"). */
typedef struct LOCAL_MAPS {
    const char *param;
    TABLE **t;                 /* NULL entries: could not be opened */
    char **spec;               /* each table's spec, to open it again */
    size_t n;
    int warned;                /* the "unavailable" warning was logged */
    time_t last_try;           /* the last attempt to open a NULL entry */
} LOCAL_MAPS;

typedef struct LOCAL_CONF {
    int resolution;            /* delay_logging_resolution_limit */
    int timeout_ms;            /* ipc_timeout */
    LOCAL_MAPS aliases;        /* alias_maps */
    LOCAL_MAPS mbox_transport_maps;  /* mailbox_transport_maps */
    LOCAL_MAPS mbox_command_maps;    /* mailbox_command_maps */
    LOCAL_MAPS fallback_maps;        /* fallback_transport_maps */
    const char *mbox_transport;      /* mailbox_transport */
    const char *fallback_transport;  /* fallback_transport */
    MATCH_LIST *mydest;        /* mydestination */
    LOCAL_PRIV nobody;         /* default_privs */
    const char *delims;        /* recipient_delimiter */
    const char *myorigin;
    const char *forward_path;  /* raw */
    const char *forward_filter; /* forward_expansion_filter */
    const char *luser_relay;   /* raw */
    const char *home_mailbox;
    const char *spool_dir;     /* mail_spool_directory */
    const char *mailbox_command; /* raw: not $-expanded (postconf(5)) */
    const char *command_shell; /* local_command_shell, "" = /bin/sh */
    const char *exec_dir;      /* command_execution_directory (raw) */
    const char *export_env;    /* export_environment */
    const char *allow_cmd;     /* allow_mail_to_commands */
    const char *allow_file;    /* allow_mail_to_files */
    const char *prepend_dt;    /* prepend_delivered_header */
    const char *cleanup_path;  /* public/$cleanup_service_name */
    long command_time_limit;
    int original_to;           /* enable_original_recipient */
    int strict_owner;          /* strict_mailbox_ownership */
    int owner_special;         /* owner_request_special */
    int expand_owner;          /* expand_owner_alias */
    const char *ext_prop;      /* propagate_unmatched_extensions */
    int biff;                  /* biff */
    int biff_fd;               /* its UDP socket; -1 until first use */
    MAILBOX_OPTS mbox;         /* locks, limit, from main.cf */
} LOCAL_CONF;

/* One delivery request, and the recipient being expanded. */
typedef struct LOCAL_CTX {
    LOCAL_CONF *conf;          /* mutable: maps re-open, the biff socket */
    DELIVER_REQUEST *req;
    int qfd;
    QFILE_READER *reader;
    DELIVER_TIMES times;
    ARGV *delivered_hdrs;      /* Delivered-To: values, lower case */
    /* per top-level recipient */
    size_t rcpt;               /* index in req */
    const char *top_orig;      /* orig_to for every leaf */
    const char *delivered_to;  /* the Delivered-To: we add (frozen) */
    ARGV *been_here;           /* expansions and leaves done */
    ARGV *forward;             /* non-local addresses, for cleanup */
    ARGV *forward_sender;      /* the envelope sender of each forward */
    const char *sender;        /* the envelope sender now (owner- aliases) */
    int nsent, nbounced, ndeferred, nleaves;
    VSTR *dsn, *reason;        /* the recipient's outcome for qmgr */
} LOCAL_CTX;

/* A user's mailbox, as the user (or root's, as root). */
typedef struct LOCAL_USER {
    const LOCAL_PRIV *pw;
    const char *address;       /* recipient as delivered */
    const char *local;         /* local part, lower case */
    const char *extension;     /* NULL when none */
    const char *domain;
    const char *unmatched;     /* "+ext" spliced into the addresses of an
                                * expansion (propagate_unmatched_extensions);
                                * NULL when none */
} LOCAL_USER;

/* local.c */
void local_leaf(LOCAL_CTX *c, const char *to, const MAILBOX_STATUS *st);
void local_leaf_passed(LOCAL_CTX *c, const MAILBOX_STATUS *st);
/* The first value for key in the tables; NULL with *err = 1 on a failure.
 * *which (when not NULL) is the index of the table that answered. */
const char *local_maps_find(LOCAL_MAPS *m, const char *key, int *err);
const char *local_maps_find_in(LOCAL_MAPS *m, const char *key, int *err, size_t *which);
/* Is word in a list like "canonical, virtual" (case-insensitive)? */
int local_word_listed(const char *list, const char *word);

/* local_deliver.c */
void local_priv_become(const LOCAL_PRIV *p);
void local_priv_restore(void);
int local_priv_lookup(LOCAL_PRIV *p, const char *name, uid_t uid, int by_uid);
void local_priv_free(LOCAL_PRIV *p);
void local_deliver_mailbox(LOCAL_CTX *c, const LOCAL_USER *u, MAILBOX_STATUS *st);
void local_deliver_file(LOCAL_CTX *c, const LOCAL_USER *u, const LOCAL_PRIV *p,
                        const char *path, MAILBOX_STATUS *st);
void local_deliver_command(LOCAL_CTX *c, const LOCAL_USER *u, const LOCAL_PRIV *p,
                           const char *cmd, MAILBOX_STATUS *st);
/* One new message from sender to the addresses of c->forward whose
 * c->forward_sender is sender; list: an owner- sender (no ENVID, RET,
 * ORCPT, original recipient). */
int local_deliver_forward(LOCAL_CTX *c, const char *sender, int list, VSTR *new_id, VSTR *why);
/* Hand the destination to another agent ("transport:nexthop"): 1 when that
 * agent answered (it logged and wrote the status records), 0 when local
 * must report st itself. */
int local_deliver_pass(LOCAL_CTX *c, const char *to, const char *spec, MAILBOX_STATUS *st);

#endif
