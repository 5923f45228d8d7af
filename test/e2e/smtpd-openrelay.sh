#!/bin/bash
# Postfix's open-relay safety net: when neither smtpd_relay_restrictions nor
# smtpd_recipient_restrictions (nor a restriction class they name) holds a
# restriction that can refuse relaying (reject_unauth_destination,
# defer_unauth_destination, reject, defer, defer_if_permit), smtpd refuses
# to run with Postfix's fatal message, and nobody gets to relay; a class
# holding reject_unauth_destination is enough.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination" \
    "service_throttle_time = 1s" "mynetworks = 127.0.0.1/32"
sd_start
ok $? "master and smtpd run"

# relay_try: connect from 127.0.0.2, try to relay; prints the reply to RCPT
# or "closed" when smtpd drops the connection without a greeting.
relay_try() {
    python3 - "$ADDR" "$PORT" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3, source_address=("127.0.0.2", 0))
f = s.makefile("rb")
def reply():
    while True:
        try:
            l = f.readline()
        except OSError:
            return None
        if not l:
            return None
        if l[3:4] != b"-":
            return l.decode().strip()
r = reply()
if r is None or not r.startswith("220"):
    print("closed")
    sys.exit(0)
for cmd in (b"EHLO x.example.net", b"MAIL FROM:<a@example.net>", b"RCPT TO:<victim@elsewhere.test>"):
    s.sendall(cmd + b"\r\n")
    r = reply()
print(r if r else "closed")
PY
}

inst_param smtpd_relay_restrictions "permit_mynetworks, permit"
inst_param smtpd_recipient_restrictions "permit"
postfix reload >/dev/null 2>&1
relay_try >"$T/open.out" 2>&1
inst_log_wait "fatal: in parameters smtpd_relay_restrictions and smtpd_recipient_restrictions, specify at least one working instance of: reject_unauth_destination, defer_unauth_destination, reject, defer, defer_if_permit or check_relay_domains"
ok $? "no relay guard in either list: smtpd stops with Postfix's fatal message"
is "$(cat "$T/open.out")" "closed" "no relay guard: the client is never told 250 for an outside recipient"

inst_param smtpd_restriction_classes "guard"
inst_param guard "reject_unauth_destination"
inst_param smtpd_recipient_restrictions "permit_mynetworks, guard"
postfix reload >/dev/null 2>&1
inst_wait bash -c "$(declare -f relay_try); ADDR=$ADDR PORT=$PORT relay_try | grep -qx '554 5.7.1 <victim@elsewhere.test>: Relay access denied'"
ok $? "a restriction class with reject_unauth_destination is a guard: relaying refused with 554 5.7.1"

inst_stop
! grep -E "panic|AddressSanitizer|runtime error" "$LOG"
ok $? "no panic or sanitizer report in the log"
done_testing
