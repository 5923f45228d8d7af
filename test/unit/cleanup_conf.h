/*
 * cleanup_conf.h - the cleanup configuration the cleanup unit tests
 * (cleanup_message_test, cleanup_rewrite_test) start from: Postfix's
 * defaults for a host mail.example.com in example.com, no tables open.
 *
 *   CLEANUP_CONF c;
 *   cleanup_conf_base(&c);     zeroes c, then sets the shared settings
 *   c.rcpt_delim = "+";        ... the test's own settings and tables
 *
 * Error policy: none; it only assigns constants (the strings are static).
 */
#ifndef POSTERN_CLEANUP_CONF_H
#define POSTERN_CLEANUP_CONF_H

#include <string.h>

#include "cleanup.h"
#include "cleanup_rewrite.h"

static inline void cleanup_conf_base(CLEANUP_CONF *c)
{
    memset(c, 0, sizeof(*c));
    c->myhostname = "mail.example.com";
    c->myorigin = "example.com";
    c->mydomain = "example.com";
    c->mail_name = "Postfix";
    c->remote_header_domain = "";
    c->propagate_canonical = 1;
    c->propagate_virtual = 1;
    c->undisclosed = "";
    c->append_at_myorigin = 1;
    c->valias_expansion = 1000;
    c->valias_addr_len = 1000;
    c->canon_classes = cleanup_classes("envelope_sender, envelope_recipient, header_sender, header_recipient");
    c->masq_classes = cleanup_classes("envelope_sender, header_sender, header_recipient");
}

#endif
