#!/bin/bash
# cleanup's address rewriting as main.cf configures it, under master:
# myorigin and append_dot_mydomain for local mail, sender/recipient/plain
# canonical_maps (hash-free texthash: tables) for envelope and headers,
# masquerade_domains with masquerade_exceptions, remote_header_rewrite_domain
# for remote mail, always_add_missing_headers, recipient_delimiter with a
# virtual alias, and virtual_alias_recursion_limit (deferred, not lost).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
inst_setup
printf 'alice@example.com alice.smith@example.com\n' >"$C/sender_canonical"
printf 'bob@example.com robert@example.com\n' >"$C/recipient_canonical"
printf '@legacy.test @example.com\n' >"$C/canonical"
printf 'list@example.com list-owner@relay.test\nloop-a@example.com loop-b@example.com\nloop-b@example.com loop-c@example.com\nloop-c@example.com loop-d@example.com\n' >"$C/virtual"
inst_param append_dot_mydomain yes
inst_param sender_canonical_maps "texthash:$C/sender_canonical"
inst_param recipient_canonical_maps "texthash:$C/recipient_canonical"
inst_param canonical_maps "texthash:$C/canonical"
inst_param masquerade_domains example.com
inst_param masquerade_exceptions root
inst_param virtual_alias_maps "texthash:$C/virtual"
inst_param recipient_delimiter +
inst_param virtual_alias_recursion_limit 2
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup
field() { sed -n "s/^$1=//p" "$T/submit.out"; }
show() { (cd "$Q/incoming" && inst_postcat "$(field queue_id)" | grep -E '^(sender|recipient|original_recipient): |^[A-Z][A-Za-z-]*: ' | grep -v '^Date: \|^Message-Id: \|^Received: \|^message_'); }

printf 'To: bob, carol@host, x@legacy.test, y@sub.legacy.test\nCc: root@mail.example.com\nSubject: s\n\nb\n' |
    inst_submit -a rewrite_context=local -F "Alice" -f alice -r bob -r carol@host -r dave@legacy.test
ok $? "a local message is queued"
is "$(show)" "sender: alice.smith@example.com
original_recipient: bob
recipient: robert@example.com
original_recipient: carol@host
recipient: carol@host.example.com
original_recipient: dave@legacy.test
recipient: dave@example.com
To: robert@example.com, carol@example.com, x@example.com, y@sub.legacy.test
Cc: root@mail.example.com
Subject: s
From: Alice <alice.smith@example.com>" \
    "myorigin, append_dot_mydomain, canonical maps (@domain: that domain only), masquerading of headers (root excepted), not of envelope recipients"

printf 'To: bob\nFrom: joe\nSubject: s\n\nb\n' |
    inst_submit -a rewrite_context=remote -f joe@x.test -r list+tag@example.com
is "$(show)" "sender: joe@x.test
original_recipient: list+tag@example.com
recipient: list-owner+tag@relay.test
To: bob
From: joe
Subject: s" "remote mail: headers left alone, nothing added; the extension follows the alias"

inst_param remote_header_rewrite_domain remote.example
inst_param always_add_missing_headers yes
postfix reload >/dev/null 2>&1
rewritten() {
    printf 'To: bob\nFrom: joe\nSubject: s\n\nb\n' |
        inst_submit -a rewrite_context=remote -f joe@x.test -r b@relay.test
    show | grep -q '^To: bob@remote.example$'
}
check "remote_header_rewrite_domain qualifies remote headers (after reload)" inst_wait rewritten
like "$(cd "$Q/incoming" && inst_postcat -h "$(field queue_id)")" "Message-Id: <[0-9]{14}\.$(field queue_id)@mail\.example\.com>" \
    "always_add_missing_headers adds a Message-Id to remote mail"

printf 'Subject: s\n\nb\n' | inst_submit -a rewrite_context=remote -f a@x.test -r loop-a@example.com
is "$(field status) $(field reason)" "128 4.6.0 Alias expansion error" \
    "virtual_alias_recursion_limit: the message is deferred"
check "and the log says why" inst_log_wait "unreasonable virtual_alias_maps map nesting for loop-d@example.com -- message not accepted"

inst_stop
done_testing
