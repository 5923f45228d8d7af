#!/bin/bash
# End-to-end test of lib/net/dns against a real name server: an nsd of our
# own in a network namespace (test/lib/nsd.sh) serving test/data/dns/, queried
# by test/unit/dns_probe run inside that namespace, so /etc/resolv.conf there
# names our nsd and nothing reaches the host's DNS.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/nsd.sh"

PROBE=$POSTERN_BUILD/test/unit/dns_probe
if [ ! -x "$PROBE" ]; then
    echo "dns.sh: $PROBE not built (make tests)" >&2
    exit 77
fi
if ! nsd_available; then
    echo "dns.sh: needs root, ip, nsd and python3" >&2
    exit 77
fi

tmpdir
D=$POSTERN_SRC/test/data/dns
# A zone written by the test itself, as later tests will do.
{
    nsd_soa generated.test
    echo '@ IN MX 5 mail.generated.test.'
    echo 'mail IN AAAA 2001:db8::25'
} >"$T/generated.test.zone"
if ! nsd_start example.test "$D/example.test.zone" \
    generated.test "$T/generated.test.zone" \
    0.0.127.in-addr.arpa "$D/0.0.127.in-addr.arpa.zone" \
    ip6.arpa "$D/ip6.arpa.zone" \
    broken.test "$D/broken.test.zone"; then
    ok 1 "nsd starts in namespace pst-dns-$$"
    done_testing
    exit 1
fi
ok 0 "nsd starts in namespace $NSD_NS and answers on $NSD_ADDR"
is "$(nsd_exec cat /etc/resolv.conf)" "nameserver $NSD_ADDR" \
    "the namespace's /etc/resolv.conf names our nsd"

NSE="Host or domain name not found. Name service error for"

probe() {
    nsd_exec "$PROBE" "$@" 2>"$T/stderr"
    cat "$T/stderr" >>"$T/stderr.all"
}
status_of() {
    printf '%s\n' "$1" | sed -n 's/^status=\([A-Z]*\) .*/\1/p'
}
records() {
    printf '%s\n' "$1" | sed -n 's/^rr=[^ ]* [A-Z]* ttl=[0-9]* pref=\([0-9]*\) \(.*\)$/\1 \2/p'
}

# MX: two preferences, listed in the zone in the wrong order.
out=$(probe MX twomx.example.test)
is "$(status_of "$out")" OK "MX with two preferences: OK"
is "$(records "$out")" "10 mx1.example.test
20 mx2.example.test" "MX records sorted by preference"

# MX with equal preferences: both orders occur over 40 lookups.
out=$(probe -n 40 MX equalmx.example.test)
is "$(printf '%s\n' "$out" | sed -n 's/^order=//p' | sort -u)" \
    "mxa.example.test,mxb.example.test,mxc.example.test
mxb.example.test,mxa.example.test,mxc.example.test" \
    "equal preferences come in both orders over 40 lookups, the higher one last"

out=$(probe MX nullmx.example.test)
is "$(status_of "$out")" NULLMX "null MX: NULLMX"
like "$out" "why=.*does not accept mail \(nullMX\)" "null MX reason"

out=$(probe MX aonly.example.test)
is "$(status_of "$out")" NOTFOUND "no MX, only addresses: NOTFOUND"
like "$out" "nxdomain=0 rcode=0" "... as NODATA, not NXDOMAIN"
like "$out" "why=$NSE name=aonly.example.test type=MX: Host found but no data record of requested type" \
    "NODATA reason"

out=$(probe MX nosuch.example.test)
is "$(status_of "$out")" NOTFOUND "a name that does not exist: NOTFOUND"
like "$out" "nxdomain=1 rcode=3" "... as NXDOMAIN"
like "$out" "why=$NSE name=nosuch.example.test type=MX: Host not found$" "NXDOMAIN reason"

# CNAMEs.
out=$(probe A alias1.example.test)
is "$(status_of "$out")" OK "A through a CNAME chain: OK"
is "$(records "$out")" "0 127.0.0.10" "the chain's address"
like "$out" "canon=aonly.example.test" "the canonical name is the chain's end"
is "$(printf '%s\n' "$out" | grep -c '^cname=')" 2 "both CNAMEs are reported"
out=$(probe MX mxalias.example.test)
is "$(records "$out")" "10 mx1.example.test
20 mx2.example.test" "MX through a CNAME"
out=$(probe CNAME alias1.example.test)
is "$(records "$out")" "0 alias2.example.test" "a CNAME lookup returns the CNAME itself"
out=$(probe A dangling.example.test)
is "$(status_of "$out")" NOTFOUND "a CNAME to a missing name: NOTFOUND"
like "$out" "nxdomain=1" "... NXDOMAIN at the chain's end"
start=$(date +%s)
out=$(probe A loop1.example.test)
is "$(status_of "$out")" FAIL "a CNAME loop: FAIL"
like "$out" "why=.*CNAME loop or chain longer than 10" "CNAME loop reason"
out=$(probe A chain0.example.test)
is "$(status_of "$out")" FAIL "a chain of 12 CNAMEs: FAIL (limit 10)"
ok $(( $(date +%s) - start > 3 )) "CNAME loops end quickly"

out=$(probe MX generated.test)
is "$(records "$out")" "5 mail.generated.test" "a zone the test wrote with nsd_soa"
out=$(probe AAAA mail.generated.test)
is "$(records "$out")" "0 2001:db8::25" "... and its AAAA record"
nsd_add_addr 2001:db8::25 && nsd_add_addr 192.0.2.25
like "$(nsd_exec ip -o addr show dev lo)" "inet6 2001:db8::25/128.*" "nsd_add_addr adds an IPv6 address"
like "$(nsd_exec ip -o addr show dev lo)" "inet 192.0.2.25/32" "nsd_add_addr adds an IPv4 address"

# TXT, TLSA, bad data, limits.
out=$(probe TXT txt.example.test)
is "$(records "$out")" "0 v=spf1 ip4:127.0.0.0/8 -all" "TXT"
out=$(probe TXT txt2.example.test)
is "$(records "$out")" "0 part one part two" "TXT with two strings, joined"
out=$(probe TLSA _25._tcp.mx1.example.test)
hex=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
is "$(records "$out")" "0 3 1 1 $hex" "TLSA"
out=$(probe MX badmx.example.test)
is "$(status_of "$out")" FAIL "an MX target that is no host name: FAIL"
like "$(cat "$T/stderr")" "warning: dns: malformed MX record for badmx.example.test" \
    "... with a warning"
out=$(probe A many.example.test)
like "$out" "status=OK .*count=100 " "120 A records: 100 kept (over TCP)"

# Addresses by family.
out=$(probe host mx2.example.test)
is "$(records "$out")" "0 127.0.0.12
0 ::12" "host lookup, all families"
out=$(probe -F ipv4 host mx2.example.test)
is "$(records "$out")" "0 127.0.0.12" "host lookup, ipv4 only"
out=$(probe -F ipv6 host mx2.example.test)
is "$(records "$out")" "0 ::12" "host lookup, ipv6 only"
out=$(probe -F ipv6 host v4only.example.test)
is "$(status_of "$out")" NOTFOUND "no IPv6 address: NOTFOUND"
out=$(probe host v4only.example.test)
is "$(status_of "$out")" OK "all families, one missing: OK"
out=$(probe host nosuch.example.test)
like "$out" "status=NOTFOUND nxdomain=1" "host lookup of a missing name: NXDOMAIN"

# Reverse lookups and forward confirmation.
out=$(probe ptr 127.0.0.10)
is "$(records "$out")" "0 aonly.example.test" "PTR of 127.0.0.10"
out=$(probe ptr ::10)
is "$(records "$out")" "0 aonly.example.test" "PTR of ::10"
out=$(probe ptr 127.0.0.77)
is "$(status_of "$out")" NOTFOUND "PTR of an address without a name"
out=$(probe confirm aonly.example.test 127.0.0.10)
is "$(status_of "$out")" OK "forward confirmation of 127.0.0.10"
out=$(probe confirm aonly.example.test ::10)
is "$(status_of "$out")" OK "forward confirmation of ::10"
out=$(probe confirm liar.example.test 127.0.0.12)
is "$(status_of "$out")" NOTFOUND "a PTR name that does not point back"
like "$out" "why=hostname liar.example.test does not resolve to address 127.0.0.12" \
    "forward confirmation reason"

# Failures.
long=$(printf 'a%.0s' $(seq 1 64)).example.test
out=$(probe A "$long")
is "$(status_of "$out")" INVAL "a 64-octet label: INVAL"
out=$(probe MX "$(printf 'abcdefghi.%.0s' $(seq 1 26))test")
is "$(status_of "$out")" INVAL "a 264-character name: INVAL"
out=$(probe MX "bad name.example.test")
is "$(status_of "$out")" INVAL "a name with a space: INVAL"
out=$(probe MX example.org)
is "$(status_of "$out")" RETRY "a zone nsd does not serve (REFUSED): RETRY"
like "$out" "rcode=5" "... rcode REFUSED"
like "$out" "why=$NSE name=example.org type=MX: Host not found, try again" "REFUSED reason"

out=$(probe A www.broken.test)
is "$(status_of "$out")" RETRY "a zone nsd cannot load (SERVFAIL): RETRY"
like "$out" "rcode=2" "... rcode SERVFAIL"

# A server that does not answer: RETRY, within timeout * tries.
echo "nameserver 127.0.0.54" >"$T/dead.conf"
start=$(date +%s)
out=$(probe -f "$T/dead.conf" -t 1 -r 2 MX twomx.example.test)
elapsed=$(($(date +%s) - start))
is "$(status_of "$out")" RETRY "no answer: RETRY"
ok $((elapsed < 2 || elapsed > 4)) "no answer costs timeout * tries (took ${elapsed}s, want 2-4)"
out=$(probe -f "$T/dead.conf" -t 1 -r 1 host aonly.example.test)
is "$(status_of "$out")" RETRY "host lookup with no answer: RETRY"

# Resolver set up before chroot keeps working inside an empty chroot, over
# UDP and over TCP (LeakSanitizer cannot work there without /proc).
mkdir "$T/jail"
jailed() {
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" nsd_exec "$PROBE" -C "$T/jail" "$@" 2>&1
}
out=$(jailed MX twomx.example.test)
is "$(records "$out")" "10 mx1.example.test
20 mx2.example.test" "lookups work after chroot to an empty directory"
out=$(jailed A many.example.test)
like "$out" "status=OK .*count=100 " "... also over TCP"

# DNSSEC requested: answers still come, and nsd (not a validator) sets no AD bit.
out=$(probe -d MX twomx.example.test)
like "$out" "status=OK .*authentic=0" "DNSSEC requested: answer without AD is not authentic"

sanitizer=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/stderr.all" | head -3)
is "$sanitizer" "" "no sanitizer reports from any lookup"

# The namespace and its resolv.conf go away with nsd_stop.
ns=$NSD_NS pid=$NSD_PID
nsd_stop
kill -0 "$pid" 2>/dev/null
ok $((! $?)) "nsd_stop stops our nsd (pid $pid)"
ip netns list | grep -qw "$ns"
ok $((! $?)) "nsd_stop removes the namespace"
[ ! -e "/etc/netns/$ns" ]
ok $? "nsd_stop removes /etc/netns/$ns"

done_testing
