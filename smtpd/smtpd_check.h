/*
 * smtpd_check - the restriction lists: smtpd_client_restrictions,
 * smtpd_helo_restrictions, smtpd_sender_restrictions,
 * smtpd_relay_restrictions, smtpd_recipient_restrictions,
 * smtpd_data_restrictions, smtpd_end_of_data_restrictions,
 * smtpd_etrn_restrictions, with Postfix's evaluation rules.
 *
 * Each list is evaluated left to right. "permit" (or an access table OK)
 * ends that list with success and evaluation goes on with the next list;
 * "reject" ends everything. With smtpd_delay_reject (the default) the
 * client, helo and sender lists are evaluated at RCPT time, before the relay
 * and recipient lists, so a rejection is logged with the recipient. After
 * the recipient lists accept, an unknown recipient of a local, virtual or
 * relay domain is refused (smtpd_reject_unlisted_recipient) when the
 * corresponding maps are set (local_recipient_maps, ...).
 *
 * Restrictions: permit, reject, defer, defer_if_permit, defer_if_reject,
 * warn_if_reject, permit_mynetworks, permit_sasl_authenticated (the client
 * has passed AUTH), reject_sender_login_mismatch,
 * reject_authenticated_sender_login_mismatch,
 * reject_unauthenticated_sender_login_mismatch,
 * reject_known_sender_login_mismatch (only senders listed in the maps are
 * protected; smtpd_sender_login_maps:
 * user@domain, user for a local domain, @domain give the owners, a list of
 * SASL login names; 553 5.7.1 "not owned by user NAME" / "not logged in"),
 * reject_unauth_destination,
 * reject_unauth_pipelining (input pending from a client that did not say
 * EHLO, or after DATA: 503 5.5.0), reject_multi_recipient_bounce (a null
 * sender with more than one recipient: multi_recipient_bounce_reject_code),
 * defer_unauth_destination, permit_auth_destination, reject_unlisted_recipient,
 * reject_unlisted_sender, reject_unknown_sender_domain,
 * reject_unknown_recipient_domain, reject_non_fqdn_sender,
 * reject_non_fqdn_recipient, reject_non_fqdn_helo_hostname,
 * reject_invalid_helo_hostname, reject_unknown_client_hostname,
 * reject_unknown_reverse_client_hostname, reject_rbl_client DOMAIN[=ADDR],
 * check_client_access, check_helo_access, check_sender_access,
 * check_recipient_access TABLE (access(5) results, see smtpd_access.h),
 * check_policy_service SERVER (policy delegation, smtpd_policy.h; the
 * server's action is applied as an access(5) result), and
 * the names in smtpd_restriction_classes.
 *
 * DNS lists (one lookup path, filters and templates in smtpd_dnsxl.h):
 * reject_rbl_client, reject_rhsbl_client (verified name),
 * reject_rhsbl_reverse_client, reject_rhsbl_helo, reject_rhsbl_sender,
 * reject_rhsbl_recipient DOMAIN[=PATTERN] (PATTERN: 127.0.0.[2;4..7]);
 * the reply is default_rbl_reply, or rbl_reply_maps' template for the
 * argument as written (then for the bare domain), with $rbl_code
 * (maps_rbl_reject_code), $rbl_class, $rbl_what, $rbl_domain (as written),
 * $rbl_reason (the TXT record), $client..., $sender..., $recipient...; a
 * template that does not give a 4XX/5XX code is a configuration error (451).
 * permit_dnswl_client (address) and permit_rhswl_client (verified name)
 * permit a listed client, but never a recipient that
 * reject_unauth_destination would refuse (DUNNO then); a lookup that fails
 * for now sets defer_if_reject. Filter dnswl.org's 127.0.0.255 ("limit
 * exceeded") out with a pattern, e.g. list.dnswl.org=127.0.[0..255].[0..254].
 *
 * Server access: check_{sender,recipient,helo,client,reverse_client}_
 * {mx,ns}_access and check_{sender,recipient,helo,reverse_client}_a_access
 * TABLE look up the MX hosts (none: the domain itself), the NS hosts (none:
 * the closest parent that has some) or the domain's addresses, and for MX
 * and NS the host names too; OK is refused there (warning, DUNNO).
 *
 * TLS and SASL: reject_plaintext_session (plaintext_reject_code, "Session
 * encryption is required"), permit_tls_clientcerts (the certificate or
 * public-key fingerprint, smtpd_tls_fingerprint_digest, in
 * relay_clientcerts), permit_tls_all_clientcerts (any certificate that
 * chains to smtpd_tls_CAfile/CApath), check_ccert_access TABLE (the two
 * fingerprints; "<CN>: Client certificate rejected"), check_sasl_access
 * TABLE (the SASL login name). reject_unverified_sender and
 * reject_unverified_recipient need a verify service Postern does not have:
 * the first use in a process logs a warning, and they are DUNNO.
 *
 * smtpd_check_conf(conf, why) looks at every list at start-up, warns
 * about unknown names and a missing table argument (they are answered with
 * 451 when reached, as in Postfix), and opens every table the lists name
 * into conf->tables: call it before chroot. Then per command:
 *   r = smtpd_check_client(state, reply)      at connect (no delay_reject)
 *   r = smtpd_check_helo(state, reply)        at HELO/EHLO (no delay_reject)
 *   r = smtpd_check_mail(state, sender, reply)
 *   r = smtpd_check_rcpt(state, rcpt, reply)
 *   r = smtpd_check_vrfy(state, addr, reply)  (the RCPT checks, for VRFY)
 *   r = smtpd_check_data(state, reply), smtpd_check_eod(state, reply)
 *   r = smtpd_check_etrn(state, domain, reply)  smtpd_etrn_restrictions
 *       (after the client and HELO lists when smtpd_delay_reject), with
 *       check_etrn_access TABLE looking up the domain and its parents
 * r is SMTPD_CHECK_OK (go on) or SMTPD_CHECK_REJECT with the whole SMTP
 * reply in reply ("554 5.7.1 <x@y>: Relay access denied"). HOLD, DISCARD
 * and PREPEND results are recorded in the state and do not stop anything.
 *
 * Error policy: a table lookup that fails, an unknown restriction, or a
 * table that could not be opened is logged as a warning and answered with
 * "451 4.3.5 Server configuration error" (or 451 4.3.0 for a temporary
 * lookup failure), never with a silent permit.
 */
#ifndef POSTERN_SMTPD_CHECK_H
#define POSTERN_SMTPD_CHECK_H

#include "smtpd.h"

#define SMTPD_CHECK_OK 0
#define SMTPD_CHECK_REJECT (-1)

int smtpd_check_conf(SMTPD_CONF *conf, VSTR *why);
int smtpd_check_client(SMTPD_STATE *state, VSTR *reply);
int smtpd_check_helo(SMTPD_STATE *state, VSTR *reply);
int smtpd_check_mail(SMTPD_STATE *state, const char *sender, VSTR *reply);
int smtpd_check_rcpt(SMTPD_STATE *state, const char *rcpt, VSTR *reply);
int smtpd_check_vrfy(SMTPD_STATE *state, const char *rcpt, VSTR *reply);
int smtpd_check_data(SMTPD_STATE *state, VSTR *reply);
int smtpd_check_eod(SMTPD_STATE *state, VSTR *reply);
int smtpd_check_etrn(SMTPD_STATE *state, const char *domain, VSTR *reply);
int smtpd_check_is_local_domain(const SMTPD_STATE *state, const char *domain);
TABLE *smtpd_check_table(const SMTPD_CONF *conf, const char *spec);

#endif
