/*
 * smtpd.h - the SMTP server's two data types: its configuration (read once,
 * before chroot) and one client session.
 *
 * smtpd serves one client at a time (lib/server.h, single server model) and
 * is reused for max_use sessions, so a session's state is created when the
 * client connects and freed when it leaves; nothing of one client survives
 * into the next. The configuration (SMTPD_CONF) is the program's only
 * global-ish state and is built by smtpd_conf_load() in pre_jail, where
 * tables, match lists and the resolver can still be opened.
 *
 * The modules:
 *   smtpd.c          main(), configuration, server callbacks
 *   smtpd_session.c  the command loop and the SMTP state machine
 *   smtpd_cmd.c      command line and ESMTP parameter parsing (pure)
 *   smtpd_data.c     DATA/BDAT content: line framing, smuggling rules (pure)
 *   smtpd_check.c    restriction lists (smtpd_*_restrictions)
 *   smtpd_access.c   access(5) table results (pure)
 *   smtpd_policy.c   check_policy_service (policy delegation)
 *   smtpd_peer.c     client address and name (PTR + forward confirmation)
 *   smtpd_log.c      Postfix-shaped log lines and the disconnect summary
 *   smtpd_tls.c      STARTTLS and wrapper mode (lib/net/tls.h)
 *   smtpd_sasl.c     AUTH (lib/net/sasl_server.h)
 *   smtpd_xforward.c XFORWARD attributes (smtpd_authorized_xforward_hosts)
 *   smtpd_footer.c   smtpd_reject_footer text after 4XX/5XX replies
 *
 * Trust: everything a client sends is untrusted: lengths are bounded when
 * read, text is made printable before it is logged, and no client byte
 * reaches a shell or a file name.
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stddef.h>
#include <time.h>

#include "../lib/argv.h"
#include "../lib/htable.h"
#include "../lib/matchlist.h"
#include "../lib/stream.h"
#include "../lib/table.h"
#include "../lib/vstr.h"
#include "smtpd_footer.h"
#include "smtpd_sasl.h"
#include "smtpd_tls.h"
#include "smtpd_xforward.h"

struct DNS;
struct TLS_SESS;
struct SASL_SRV_SESS;
struct CLEANUP;
struct SMTPD_HOSTS;
struct SMTPD_ANVIL;

/* smtpd_forbid_bare_newline */
#define SMTPD_BARE_NORMALIZE 0
#define SMTPD_BARE_REJECT 1

/* Bounds on what one client may make us hold. */
#define SMTPD_PARAM_MAX 512         /* one ESMTP parameter value */
#define SMTPD_HELO_MAX 255          /* a HELO/EHLO argument we keep */


/* What milter_default_action does when smtpd_milters is set (SMTPD_CONF). */
#define SMTPD_MILTER_NONE 0         /* no smtpd_milters */
#define SMTPD_MILTER_ACCEPT 1       /* as if there were none */
#define SMTPD_MILTER_TEMPFAIL 2     /* MAIL FROM: 451 4.7.1 */
#define SMTPD_MILTER_REJECT 3       /* MAIL FROM: 550 5.7.1 */
#define SMTPD_MILTER_QUARANTINE 4   /* accepted, into the hold queue */

typedef struct SMTPD_CONF {
    char *myhostname;
    char *mail_name;
    char *banner;
    int timeout;                    /* smtpd_timeout, seconds */
    int per_request_deadline;
    long min_data_rate;             /* bytes per second, DATA deadline */
    long recipient_limit;
    long hard_error_limit;
    long soft_error_limit;
    long error_sleep;               /* seconds */
    long junk_command_limit;
    long long message_size_limit;   /* 0: none */
    long line_length_limit;
    int disable_vrfy;
    int soft_bounce;                /* soft_bounce: every 5xx reply becomes 4xx */
    /*
     * smtpd_milters: Postern has no Milter client. A configured milter is
     * treated as one that cannot be reached: milter_default_action applies
     * to every transaction (SMTPD_MILTER_*), as Postfix does for a dead one.
     */
    int milter_action;
    int delay_reject;
    int helo_required;
    int strict_rfc821;
    int smtputf8_enable;
    int bare_newline;               /* SMTPD_BARE_* */
    int bare_newline_code;          /* smtpd_forbid_bare_newline_reject_code */
    MATCH_LIST *bare_newline_exclusions;
    int reject_unlisted_recipient;
    int reject_unlisted_sender;
    int show_unknown_table;
    int peername_lookup;
    int port_logging;               /* smtpd_client_port_logging */
    int access_parent;              /* smtpd_access_maps in parent_domain_matches_subdomains */
    ARGV *discard_ehlo;             /* lower-cased keywords */
    ARGV *discard_ehlo_maps;        /* smtpd_discard_ehlo_keyword_address_maps */
    MATCH_LIST *forbidden_cmds;     /* smtpd_forbidden_commands */
    MATCH_LIST *xforward_hosts;     /* smtpd_authorized_xforward_hosts */
    char *reject_footer;            /* smtpd_reject_footer, not $name-expanded */
    ARGV *reject_footer_maps;       /* smtpd_reject_footer_maps */
    SMTPD_FOOTER_FILTER expand_filter;  /* smtpd_expansion_filter */
    ARGV *noop_cmds;                /* smtpd_noop_commands: answered 250, not run */
    char *null_access_key;
    char *recipient_delimiter;
    char *cleanup_path;             /* public/cleanup (master.cf column 2: n) */
    int ipc_timeout;
    /* what is accepted */
    MATCH_LIST *mynetworks;
    MATCH_LIST *mydestination;
    MATCH_LIST *relay_domains;
    MATCH_LIST *virtual_alias_domains;
    MATCH_LIST *virtual_mailbox_domains;
    ARGV *rewrite_clients;          /* local_header_rewrite_clients words */
    ARGV *interfaces;               /* this host's addresses (permit_inet_interfaces) */
    ARGV *local_rcpt_maps;          /* table specs, opened in tables */
    ARGV *virtual_alias_maps;
    ARGV *virtual_mailbox_maps;
    ARGV *relay_recipient_maps;
    /* restriction lists, split into words */
    ARGV *client_restr, *helo_restr, *sender_restr, *relay_restr;
    ARGV *recipient_restr, *data_restr, *eod_restr, *etrn_restr;
    HTABLE *classes;                /* smtpd_restriction_classes -> ARGV */
    HTABLE *tables;                 /* spec -> TABLE, all opened pre-chroot */
    /* reply codes */
    int reject_code, defer_code, access_reject_code, access_defer_code;
    int relay_reject_code, unknown_local_code, unknown_virtual_code;
    int unknown_relay_code, non_fqdn_code, invalid_hostname_code;
    int unknown_address_code, unknown_client_code, rbl_code;
    int multi_rcpt_bounce_code;     /* multi_recipient_bounce_reject_code */
    char *rbl_reply;                /* default_rbl_reply, unexpanded */
    ARGV *rbl_reply_maps;           /* rbl_reply_maps: table specs */
    ARGV *relay_ccerts;             /* relay_clientcerts: table specs */
    int plaintext_code;             /* plaintext_reject_code */
    struct DNS *dns;                /* NULL: no resolver */
    struct SMTPD_HOSTS *hosts;      /* /etc/hosts, read pre-chroot */
    SMTPD_TLS_CONF tls;             /* smtpd_tls_* (smtpd_tls.h) */
    SMTPD_SASL_CONF sasl;           /* smtpd_sasl_* (smtpd_sasl.h) */
    struct SMTPD_ANVIL *anvil;      /* client limits (smtpd_anvil.h); NULL: none */
} SMTPD_CONF;

/* Command counters for the disconnect line. */
enum {
    SMTPD_C_HELO, SMTPD_C_EHLO, SMTPD_C_XFORWARD, SMTPD_C_STARTTLS, SMTPD_C_AUTH, SMTPD_C_MAIL,
    SMTPD_C_RCPT, SMTPD_C_DATA, SMTPD_C_BDAT, SMTPD_C_RSET, SMTPD_C_NOOP,
    SMTPD_C_VRFY, SMTPD_C_ETRN, SMTPD_C_QUIT, SMTPD_C_HELP, SMTPD_C_UNKNOWN,
    SMTPD_C_COUNT
};

typedef struct SMTPD_STATE {
    const SMTPD_CONF *conf;
    STREAM *client;
    /* the peer */
    char addr[64];                  /* "127.0.0.1", "::1" */
    char port[8];
    char server_addr[64];
    char server_port[8];
    int family;                     /* AF_INET, AF_INET6 */
    char name[256];                 /* verified name, or "unknown" */
    char reverse_name[256];         /* PTR name, or "unknown" */
    char namaddr[340];              /* name[addr] for logs */
    int name_status;                /* SMTPD_PEER_* (smtpd_peer.h) */
    ARGV *discard_ehlo;             /* this client's EHLO keywords to hide
                                     * (discard maps); NULL: conf's */
    int xforward_ok;                /* in smtpd_authorized_xforward_hosts */
    SMTPD_XFORWARD xforward;        /* this transaction's XFORWARD data */
    /* session */
    char *helo;                     /* NULL until HELO/EHLO */
    const char *protocol;           /* "SMTP", "ESMTP", "UTF8SMTP" */
    int esmtp;
    const char *where;              /* the command being served, for logs */
    int error_count;
    int junk_count;
    int ill_pipelining;             /* "improper command pipelining" logged */
    int cmd_ok[SMTPD_C_COUNT];
    int cmd_total[SMTPD_C_COUNT];
    /* transaction */
    char *sender;                   /* NULL: no MAIL yet */
    char *envid;                    /* ENVID, xtext-decoded */
    int ret_flags;                  /* DSN RET: 1 FULL, 2 HDRS */
    int body_8bit;
    int smtputf8;
    long long declared_size;
    long long act_size;             /* content bytes received, set at END-OF-MESSAGE */
    ARGV *rcpts;                    /* accepted recipients */
    ARGV *rcpt_orcpts;              /* their DSN ORCPT ("rfc822;addr") */
    ARGV *rcpt_notify;              /* their NOTIFY bits, decimal */
    int cleanup_flags;              /* the flags cleanup was opened with */
    int last_code;                  /* the last reply's code */
    char *client_reject;            /* smtpd_client_restrictions said no at
                                     * connect (no delay): the greeting, and
                                     * 503 to all but QUIT */
    int rcpt_count;                 /* accepted */
    int rcpt_tried;
    struct CLEANUP *cleanup;
    char queue_id[64];
    ARGV *prepend;                  /* header lines from PREPEND */
    int hold, discard;
    char *hold_reason;
    char *discard_reason;
    int bdat_active;                /* a BDAT transfer is in progress */
    int bdat_error;                 /* the BDAT transfer failed; skip chunks */
    struct SMTPD_DATA *bdat;
    long long bdat_bytes;
    time_t arrival;
    long arrival_usec;
    /* TLS and SASL */
    struct TLS_SESS *tls;           /* NULL: plain text */
    struct SASL_SRV_SESS *sasl;     /* NULL until AUTH is offered or used */
    char *sasl_username;            /* NULL: not authenticated */
    char *sasl_method;
    char *sasl_sender;              /* MAIL FROM AUTH=, believed (authenticated
                                     * clients only); NULL: none or <> */
    /* reply footer $sender / $recipient while MAIL, RCPT, VRFY are served */
    const char *footer_sender;
    const char *footer_rcpt;
    int anvil_connected;            /* anvil counts this connection (smtpd_anvil.h) */
} SMTPD_STATE;

#endif
