/*
 * tls - TLS for the SMTP server and client, on OpenSSL, with Postfix's
 * parameters, verification levels and log lines.
 *
 * Contexts are built once per process, before chroot and privilege drop
 * (keys and CA files are read here and never again; a new process after
 * `postfix reload` reads the renewed files). The caller hands over the
 * parameter values in a struct, so this module never reads main.cf itself;
 * tls_server_params_conf()/tls_client_params_conf() fill the struct from
 * lib/conf.h (main.cf plus -o overrides) for daemons that want that.
 *
 *   TLS_SERVER_PARAMS sp;  tls_server_params_conf(&sp, "smtpd", mandatory);
 *   TLS_CTX *sctx = tls_server_init(&sp, why);        NULL: why says why
 *   TLS_CLIENT_PARAMS cp;  tls_client_params_conf(&cp, "smtp");
 *   TLS_CTX *cctx = tls_client_init(&cp, why);
 *
 * The server context loads smtpd_tls_cert_file/key_file (RSA),
 * smtpd_tls_eccert_file/eckey_file (ECDSA) side by side, and/or
 * smtpd_tls_chain_files (PEM files each holding one or more groups of a
 * private key with its certificate chain: the key first, or the leaf then
 * its key, then the chain; each later group starts with its key). OpenSSL
 * then picks the certificate the client's signature algorithms allow.
 * CAfile/CApath are the trust anchors for client certificates, asked for
 * with ask_ccert and required (and required to be trusted) with req_ccert.
 * protocols/ciphers/exclude_ciphers are what the caller chose (the
 * mandatory_ variants when TLS is required: tls_server_params_conf() does
 * that when told). dh1024_param_file (PEM DH parameters) and eecdh_grade
 * (auto, strong, ultra, none) are honoured; tls_random_source is accepted
 * and ignored (OpenSSL 3 seeds itself). Sessions are resumed only from an
 * in-memory cache of this process (session_cache) or not at all; there is
 * no tlsmgr and no ticket key shared between processes. Keys, certificates,
 * CAfile and DH parameters are read by tls_*_init(); OpenSSL reads CApath
 * lazily, during verification, so a chrooted daemon finds it only inside
 * the chroot (as with Postfix): prefer CAfile there.
 *
 * tls_server_params_conf(p, "smtpd", mandatory) reads smtpd_tls_* (the
 * mandatory_ protocol, cipher and exclusion lists when mandatory, as with
 * smtpd_tls_security_level = encrypt; smtpd_tls_req_ccert only then, else
 * warned about); tls_client_params_conf(p, "smtp" or "lmtp") the client's
 * files, and tls_client_props_conf(props, "smtp", level) a session policy
 * from smtp_tls_* (the caller fills in host, nexthop and namaddr, and may
 * override anything, e.g. from smtp_tls_policy_maps). The strings point into
 * lib/conf's storage; the structs may also be filled by hand (tests).
 *
 * Sessions over a connected socket: STARTTLS (after the 220 reply) and
 * wrapper mode (port 465: at once after accept/connect) are the same call.
 * Blocking with a deadline (smtpd, one session per process):
 *
 *   long long deadline = tls_deadline(300 * 1000);      ms from now
 *   TLS_SESS *s = tls_server_start(sctx, fd, "host[addr]", deadline, why);
 *   TLS_SESS *c = tls_client_start(cctx, fd, &props, deadline, why);
 *   n = tls_read(s, buf, len, deadline);   >0 bytes, 0 EOF, -1 error
 *   n = tls_write(s, buf, len, deadline);  len, or -1 error
 *   tls_shutdown(s, deadline); tls_free(s); close(fd);
 *
 * or step by step in an event loop (read/write wants):
 *
 *   s = tls_server_new(sctx, fd, namaddr, why);  (tls_client_new likewise)
 *   switch (tls_handshake(s)) { TLS_DONE, TLS_WANT_READ, TLS_WANT_WRITE,
 *                               TLS_ERROR (tls_why(s)) }
 *   tls_read_nb()/tls_write_nb() return a count (0: the peer's close_notify)
 *   or TLS_WANT_READ, TLS_WANT_WRITE, TLS_ERROR;
 *   tls_pending() says decrypted bytes wait inside OpenSSL (poll() on the
 *   socket cannot see them).
 *
 * The session sets O_NONBLOCK on fd and leaves it set; the caller keeps
 * owning fd and closes it after tls_free(). A deadline is an absolute
 * CLOCK_MONOTONIC time in milliseconds (tls_deadline()); 0 means none.
 * A peer that stalls is cut when the deadline passes, whatever it sends in
 * between. SIGPIPE must be ignored by the program (a write to a closed
 * connection then fails with EPIPE).
 *
 * Client security levels (props.level, smtp_tls_security_level): none (do
 * not call this), may and encrypt (any certificate; status logged), fingerprint
 * (the certificate or public-key digest, smtp_tls_fingerprint_digest, must be
 * in props.match), verify (a chain to CAfile/CApath and a name from
 * props.match, default "hostname", matching props.host), secure (likewise,
 * default "nexthop, dot-nexthop" against props.nexthop). Names match the
 * certificate's DNS names (its CN only when it has none); "*" matches one
 * or, with tls_wildcard_matches_multiple_labels (Postfix's default), more
 * labels, never part of a label. dane and dane-only are refused until DANE
 * exists. SNI comes from props.servername (smtp_tls_servername: "",
 * "hostname", "nexthop" or a name). Client sessions are never resumed.
 * A failed handshake frees the session (tls_*_start() return NULL); after
 * TLS_ERROR from tls_handshake() the caller calls tls_free().
 *
 * After the handshake, tls_info(s) tells what was negotiated and who the peer
 * is: status TLS_PEER_ANONYMOUS (no certificate), _UNTRUSTED (one that does
 * not chain to a trust anchor), _TRUSTED (it does), _VERIFIED (it matched
 * the level's names or fingerprints); protocol, cipher, bits, key exchange,
 * signatures, peer CN, issuer CN, fingerprints. tls_summary() formats
 * Postfix's log line ("Anonymous TLS connection established from
 * host[addr]: TLSv1.3 with cipher ... (256/256 bits) key-exchange X25519
 * server-signature ECDSA (P-256) server-digest SHA256"; "... established to
 * host[addr]:25: ..." for a client), tls_log_summary() logs it, and
 * tls_received_comment() the text smtpd puts in its Received: header,
 * already folded with "\n\t" (smtpd adds the leading tab of the first line):
 *
 *   (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
 *   <TAB> key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
 *   <TAB>(No client certificate requested)
 *
 * (TLS 1.2 has no second line: "... (256/256 bits))"; the last line is
 * "(Client did not present a certificate)" when one was asked for, or
 * "(Client CN \"cn\", Issuer \"cn\" (verified OK|not verified))").
 * Key-exchange and signature details are given for TLS 1.3 only, curves by
 * their NIST names (P-256), as Postfix 3.7 does.
 *
 * STARTTLS: bytes a client sent after STARTTLS, before the server's 220
 * reply, are an injection attempt. The server discards what is in its own
 * read buffer, then calls tls_fd_pending(fd) (bytes waiting in the kernel)
 * and tls_fd_drain(fd) (reads and drops them, at most 1 MB, without
 * blocking) before it answers 220.
 *
 * Error policy: bad parameter values, unreadable or mismatched key and
 * certificate files make tls_*_init() return NULL with the reason; a failed
 * handshake, timeout, policy failure (untrusted or unmatched certificate)
 * or I/O error makes the call return NULL/TLS_ERROR/-1 with the reason in
 * why or tls_why(s) ("timed out", "lost connection", "Server certificate not
 * trusted", an OpenSSL reason). The one thing logged here is Postfix's detail
 * line for a refused server certificate ("server certificate verification
 * failed for host[addr]:25: num=18:self-signed certificate"); the caller
 * logs the rest (tls_log_summary(), its own error lines). Nothing here is
 * fatal; memory exhaustion is
 * (mem.h); misuse (NULL context) is a panic. No global state except
 * OpenSSL's own.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "tls_policy.h"
#include "vstr.h"

typedef struct TLS_CTX TLS_CTX;
typedef struct TLS_SESS TLS_SESS;

/* Key and certificate files, shared by both roles. */
typedef struct TLS_CERT_FILES {
    const char *cert_file, *key_file;     /* RSA; key defaults to cert */
    const char *eccert_file, *eckey_file; /* ECDSA; key defaults to cert */
    const char *chain_files;              /* list of key+chain PEM files */
} TLS_CERT_FILES;

typedef struct TLS_SERVER_PARAMS {
    TLS_CERT_FILES certs;
    const char *CAfile, *CApath;
    int ask_ccert, req_ccert, ccert_verifydepth;
    const char *protocols;          /* smtpd_tls_[mandatory_]protocols */
    const char *ciphers;            /* smtpd_tls_[mandatory_]ciphers: a grade */
    const char *exclude_ciphers;    /* smtpd_tls_exclude_ciphers */
    const char *mandatory_exclude_ciphers; /* also excluded; "" unless mandatory */
    TLS_CIPHERLISTS cipherlists;    /* tls_<grade>_cipherlist */
    const char *dh1024_param_file;  /* "" : OpenSSL's built-in groups */
    const char *eecdh_grade;        /* auto, strong, ultra, none */
    const char *eecdh_auto_curves, *eecdh_strong_curve, *eecdh_ultra_curve;
    const char *random_source;      /* accepted, not used */
    const char *fingerprint_digest; /* sha256 */
    int preempt_cipherlist;
    int session_cache;              /* 1: resume from this process's memory */
    long session_timeout;           /* seconds */
} TLS_SERVER_PARAMS;

typedef struct TLS_CLIENT_PARAMS {
    TLS_CERT_FILES certs;           /* client certificate, usually none */
    const char *CAfile, *CApath;
    int verifydepth;
    const char *fingerprint_digest;
    TLS_CIPHERLISTS cipherlists;
    const char *eecdh_auto_curves;
    int wildcard_multi_labels;      /* tls_wildcard_matches_multiple_labels */
    int session_cache;              /* not used: client sessions are not resumed */
    long session_timeout;
} TLS_CLIENT_PARAMS;

/* Per-session client policy: the level and what it needs. */
typedef struct TLS_CLIENT_PROPS {
    int level;                   /* TLS_LEV_* (not NONE) */
    const char *host;            /* the server's host name (MX) */
    const char *nexthop;         /* the next-hop domain */
    const char *namaddr;         /* "host[addr]:port" for logs */
    const char *servername;      /* smtp_tls_servername, "" for no SNI */
    const char *protocols;       /* smtp_tls_[mandatory_]protocols */
    const char *ciphers;         /* smtp_tls_[mandatory_]ciphers */
    const char *exclude_ciphers; /* smtp_tls_exclude_ciphers */
    const char *mandatory_exclude_ciphers; /* also excluded; "" unless mandatory */
    const char *match;           /* verify/secure: cert match list; fingerprint:
                                    fingerprints; NULL: the level's default */
} TLS_CLIENT_PROPS;

enum { TLS_PEER_ANONYMOUS, TLS_PEER_UNTRUSTED, TLS_PEER_TRUSTED, TLS_PEER_VERIFIED };

typedef struct TLS_INFO {
    int server;                  /* 1: we are the server */
    int status;                  /* TLS_PEER_* */
    int ccert_requested;         /* server: a client certificate was asked for */
    int reused;                  /* the session was resumed (still "established") */
    char *namaddr;
    const char *protocol;        /* "TLSv1.3" */
    const char *cipher;          /* "TLS_AES_256_GCM_SHA384" */
    int cipher_usebits, cipher_algbits;
    char *kex_name, *kex_curve;  /* "X25519", or "ECDHE" + "P-256" */
    int kex_bits;
    char *srvr_sig_name, *srvr_sig_curve, *srvr_sig_dgst;
    int srvr_sig_bits;
    char *clnt_sig_name, *clnt_sig_curve, *clnt_sig_dgst;
    int clnt_sig_bits;
    char *peer_CN, *issuer_CN;   /* "" when absent; printable */
    char *peer_cert_fprint;      /* "AB:CD:..." or "" */
    char *peer_pkey_fprint;
    int verify_error;            /* X509_V_* of the first chain error, 0: none */
    char *verify_text;           /* its text, "" when none */
} TLS_INFO;

#define TLS_DONE 0
#define TLS_ERROR (-1)
#define TLS_WANT_READ (-2)
#define TLS_WANT_WRITE (-3)

void tls_server_params_init(TLS_SERVER_PARAMS *p);
void tls_server_params_conf(TLS_SERVER_PARAMS *p, const char *prefix, int mandatory);
void tls_client_params_init(TLS_CLIENT_PARAMS *p);
void tls_client_params_conf(TLS_CLIENT_PARAMS *p, const char *prefix);
void tls_client_props_conf(TLS_CLIENT_PROPS *props, const char *prefix, int level);

TLS_CTX *tls_server_init(const TLS_SERVER_PARAMS *p, VSTR *why);
TLS_CTX *tls_client_init(const TLS_CLIENT_PARAMS *p, VSTR *why);
void tls_ctx_free(TLS_CTX *ctx);

long long tls_deadline(long ms);
TLS_SESS *tls_server_start(TLS_CTX *ctx, int fd, const char *namaddr, long long deadline,
                           VSTR *why);
TLS_SESS *tls_client_start(TLS_CTX *ctx, int fd, const TLS_CLIENT_PROPS *props,
                           long long deadline, VSTR *why);
TLS_SESS *tls_server_new(TLS_CTX *ctx, int fd, const char *namaddr, VSTR *why);
TLS_SESS *tls_client_new(TLS_CTX *ctx, int fd, const TLS_CLIENT_PROPS *props, VSTR *why);
int tls_handshake(TLS_SESS *s);

ssize_t tls_read(TLS_SESS *s, void *buf, size_t len, long long deadline);
ssize_t tls_write(TLS_SESS *s, const void *buf, size_t len, long long deadline);
ssize_t tls_read_nb(TLS_SESS *s, void *buf, size_t len);
ssize_t tls_write_nb(TLS_SESS *s, const void *buf, size_t len);
size_t tls_pending(TLS_SESS *s);
int tls_shutdown(TLS_SESS *s, long long deadline);
void tls_free(TLS_SESS *s);

const TLS_INFO *tls_info(const TLS_SESS *s);
const char *tls_why(const TLS_SESS *s);
const char *tls_status_name(int status);
void tls_summary(const TLS_SESS *s, VSTR *out);
void tls_log_summary(const TLS_SESS *s);
void tls_received_comment(const TLS_SESS *s, VSTR *out);

ssize_t tls_fd_pending(int fd);
ssize_t tls_fd_drain(int fd);

#endif
