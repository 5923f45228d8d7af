#!/bin/bash
# Install everything Postern needs to build and test, on Debian 12, as root.
# Idempotent: when every package is present, it does nothing.
set -euo pipefail

PACKAGES=(
    # build
    autoconf automake make gcc clang pkg-config
    libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for clang (only Recommended by clang)
    libssl-dev libdb5.3-dev liblmdb-dev libcdb-dev libpcre2-dev
    libsasl2-dev libldns-dev libevent-dev
    # test peers and tools
    python3 openssl swaks nsd ldnsutils sasl2-bin db5.3-util lmdb-utils tinycdb
    # SASL: the Cyrus mechanism plugins (PLAIN, LOGIN, CRAM-MD5, ...; only
    # recommended by libsasl2-2) and Dovecot's auth server
    libsasl2-modules dovecot-core
    # the LMTP server the lmtp client delivers to (test/e2e/smtp-dovecot.sh)
    dovecot-lmtpd
    postgrey  # a real policy server for check_policy_service (test/e2e/smtpd-policy.sh); no postfix dependency
    pflogsumm  # the log report the delivery tests read Postern's maillog with
    iproute2 procps psmisc file
    strace  # bench/run's system call counts (test/e2e/bench-smoke.sh)
    # run-time libraries of Debian's Postfix, the compatibility oracle
    # (the postfix packages themselves are only downloaded and unpacked)
    libicu72 libnsl2 libsasl2-2 libssl3 libdb5.3 liblmdb0 libcdb1 libpcre2-8-0
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "test/deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/postern-apt.log 2>&1; then
    apt-get update -q >>/tmp/postern-apt.log 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/postern-apt.log 2>&1 || {
        tail -20 /tmp/postern-apt.log >&2
        exit 1
    }
fi
# Debian starts nsd on install; the tests run their own instances.
systemctl disable --now nsd >/dev/null 2>&1 || true
# Debian also starts dovecot; the SASL tests run their own with their own config.
systemctl disable --now dovecot >/dev/null 2>&1 || true
# Debian starts postgrey on install too; smtpd-policy.sh runs its own.
systemctl disable --now postgrey >/dev/null 2>&1 || true
