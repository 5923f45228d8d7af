#!/bin/bash
# smtpd with smtpd_sasl_type = dovecot: a real Dovecot (only its auth
# service, with a configuration in the instance, stopped by pid) listens on
# queue_directory/private/auth as the tutorials set it up
# (smtpd_sasl_path = private/auth, chrooted smtpd); swaks logs in with PLAIN
# and LOGIN over STARTTLS and relays; a wrong password is refused (535),
# logged, and cannot relay.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
. "$POSTERN_SRC/test/data/smtpd/tls-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
if ! command -v swaks >/dev/null || ! command -v dovecot >/dev/null; then
    skip "swaks or dovecot missing"
    done_testing
    exit
fi
DPID=

sd_setup "smtpd_tls_security_level = may" \
    "smtpd_tls_cert_file = \$config_directory/server.pem" \
    "smtpd_tls_key_file = \$config_directory/server.key" \
    "smtpd_sasl_auth_enable = yes" \
    "smtpd_sasl_type = dovecot" \
    "smtpd_sasl_path = private/auth" \
    "smtpd_tls_auth_only = yes" \
    "mynetworks = 192.0.2.0/24" \
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
tls_cert server mail.example.com

# Dovecot: stopped before the instance's own cleanup (EXIT trap chain).
dovecot_stop() {
    [ -n "$DPID" ] || return 0
    # Dovecot's auth process outlives its master while smtpd keeps a connection.
    local kids
    kids=$(pgrep -P "$DPID")
    kill "$DPID" $kids 2>/dev/null
    for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DPID" $kids 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=
}
trap 'dovecot_stop; inst_cleanup' EXIT
mkdir -p "$T/dovecot/run" "$T/dovecot/state" "$Q/private"
printf 'dove@example.com:{PLAIN}Dove-pass1::::::\n' >"$T/dovecot/users"
cat >"$T/dovecot/dovecot.conf" <<EOF
base_dir = $T/dovecot/run
state_dir = $T/dovecot/state
log_path = $T/dovecot/dovecot.log
protocols =
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = $T/dovecot/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $Q/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
dovecot -F -c "$T/dovecot/dovecot.conf" >"$T/dovecot/out" 2>&1 3>&- &
DPID=$!
inst_wait test -S "$Q/private/auth"
ok $? "Dovecot's auth socket appears in queue_directory/private"

sd_start
ok $? "master and smtpd run"

for mech in PLAIN LOGIN; do
    swaks_run --tls --auth "$mech" --auth-user dove@example.com --auth-password Dove-pass1 \
        --from dove@example.com --to "bob-$mech@outside.test"
    is "$rc" 0 "Dovecot SASL: swaks --tls --auth $mech logs in and relays"
    like "$out" "250-AUTH PLAIN LOGIN" "$mech: Dovecot's mechanisms offered after STARTTLS"
    id=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' <<<"$out" | tail -1)
    sd_log "$id: client=unknown\[127\.0\.0\.1\], sasl_method=$mech, sasl_username=dove@example\.com" >/dev/null
    ok $? "$mech: logged in as dove@example.com"
done

swaks_run --tls --auth PLAIN --auth-user dove@example.com --auth-password wrong \
    --from dove@example.com --to bob@outside.test
like "$out" "535 5\.7\.8 Error: authentication failed" "a wrong password: 535 5.7.8"
sd_log "warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: .*sasl_username=dove@example\.com" >/dev/null
ok $? "the failure is logged with the fail2ban warning"
swaks_run --tls --from dove@example.com --to bob@outside.test
like "$out" "554 5\.7\.1 <bob@outside\.test>: Relay access denied" "without AUTH: no relaying"

# Dovecot gone: no AUTH offered, a warning, and still no relaying.
dovecot_stop
swaks_run --tls --auth PLAIN --auth-user dove@example.com --auth-password Dove-pass1 \
    --from dove@example.com --to bob@outside.test
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "Dovecot stopped: swaks cannot log in"
is "$(grep -c '250-AUTH' <<<"$out")" 0 "Dovecot stopped: AUTH is not offered"
sd_log "warning: SASL authentication not available for unknown\[127\.0\.0\.1\]" >/dev/null
ok $? "Dovecot stopped: logged"
swaks_run --tls --from dove@example.com --to bob@outside.test
like "$out" "554 5\.7\.1 <bob@outside\.test>: Relay access denied" "Dovecot stopped: no relaying"

inst_stop
done_testing
