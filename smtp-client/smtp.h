/*
 * smtp - what the modules of the smtp/lmtp delivery agent share: the
 * configuration read once per process (before chroot), and the per-
 * recipient state of one delivery request while servers are tried.
 *
 * smtp.c fills SMTP_CONF in pre_jail from main.cf (smtp_* parameters, or
 * lmtp_* in LMTP mode) and owns the connection cache; smtp_addr.c finds the
 * servers; smtp_proto.c talks to one server; smtp_generic.c,
 * smtp_checks.c and smtp_mime.c shape the content on its way out. Nothing
 * here does I/O.
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "matchlist.h"
#include "sasl_client.h"
#include "smtp_addr.h"
#include "table.h"
#include "tls.h"
#include "vstr.h"

typedef struct SMTP_CONF {
    int lmtp;                    /* LMTP mode (service or program "lmtp") */
    const char *prefix;          /* "smtp" or "lmtp" */
    const char *helo_name;       /* smtp_helo_name / lmtp_lhlo_name */
    unsigned def_port;           /* smtp_tcp_port / lmtp_tcp_port */
    int connect_timeout, helo_timeout, starttls_timeout, mail_timeout, rcpt_timeout;
    int data_init_timeout, data_xfer_timeout, data_done_timeout, rset_timeout, quit_timeout;
    int never_ehlo, skip_quit_response, skip_5xx_greeting;
    size_t line_limit;           /* smtp_line_length_limit, 0: none */
    struct sockaddr_storage bind4, bind6; /* smtp_bind_address(6); family 0: none */
    ARGV *discard_ehlo;          /* smtp_discard_ehlo_keywords, upper case */
    int mx_session_limit;
    int tls_level;               /* smtp_tls_security_level (TLS_LEV_*) */
    TLS_CTX *tls_ctx;            /* NULL when TLS is off everywhere */
    int tls_loglevel;
    TABLE **tls_policy;          /* smtp_tls_policy_maps */
    size_t ntls_policy;
    int tls_reuse;               /* smtp_tls_connection_reuse */
    int tls_wrapper;             /* smtp_tls_wrappermode (port 465) */
    int sasl_enable;
    int sasl_sender_dependent;   /* smtp_sender_dependent_authentication */
    SASL_CLI *sasl;
    TABLE **sasl_maps;           /* smtp_sasl_password_maps */
    size_t nsasl_maps;
    int cache_on_demand;         /* smtp_connection_cache_on_demand */
    MATCH_LIST *cache_dest;      /* smtp_connection_cache_destinations, NULL: none */
    long cache_time_limit, reuse_count_limit, reuse_time_limit;
    int no_mime_conversion;      /* disable_mime_output_conversion */
    TABLE **hdr_checks;          /* smtp_header_checks */
    size_t nhdr_checks;
    TABLE **body_checks;         /* smtp_body_checks */
    size_t nbody_checks;
    TABLE **mime_checks;         /* smtp_mime_header_checks */
    size_t nmime_checks;
    TABLE **nested_checks;       /* smtp_nested_header_checks */
    size_t nnested_checks;
    int send_xforward;           /* smtp_send_xforward_command */
    int xforward_timeout;        /* smtp_xforward_timeout */
    int per_request_deadline;    /* smtp_per_request_deadline */
    unsigned min_data_rate;      /* smtp_min_data_rate (with the deadline) */
    TABLE **generic;             /* smtp_generic_maps */
    size_t ngeneric;
    int resolution;              /* delay_logging_resolution_limit */
    int ipc_timeout_ms;
    SMTP_RESOLVE_OPTS resolve;
} SMTP_CONF;

/* One recipient while servers are tried. */
typedef struct SMTP_RCPT_STATE {
    int done;                    /* sent or bounced: final */
    VSTR *dsn;                   /* the latest soft failure, for the defer */
    VSTR *why;
    VSTR *relay;                 /* where that failure came from ("none") */
    VSTR *reply;                 /* that failure's server reply, "" when none */
    VSTR *mta;                   /* the server that sent it */
} SMTP_RCPT_STATE;

#endif
