#!/bin/bash
# proxymap: a chrooted smtpd checks local users with
# local_recipient_maps = proxy:unix:passwd.byname (the password file is not
# in the chroot: without proxymap every user would be unknown); tables not
# listed in proxy_read_maps are refused (a temporary failure for smtpd, a
# warning from proxymap); malformed requests close that client only.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
sd_setup "local_recipient_maps = proxy:unix:passwd.byname" \
    "smtpd_restriction_classes = via_proxy" \
    "via_proxy = check_recipient_access proxy:inline:{{denied@mail.example.com=REJECT}}" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{denied@mail.example.com=via_proxy}}" \
    "proxy_read_maps = proxy:unix:passwd.byname"
printf 'proxymap  unix  -       -       n       -       -       proxymap\n' >>"$C/master.cf"
sd_start
ok $? "master, smtpd, cleanup and proxymap run"
smtpd_pid=$(inst_workers "$ADDR:$PORT" | head -1)
is "$(readlink "/proc/$smtpd_pid/root")" "$Q" "smtpd is chrooted into the queue directory"

cat >"$T/local.dialog" <<'D'
S~ 220 .*
C: EHLO c.example
M: 250
C: MAIL FROM:<alice@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<root@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<nosuchuser4711@mail.example.com>
S: 550 5.1.1 <nosuchuser4711@mail.example.com>: Recipient address rejected: User unknown in local recipient table
C: RCPT TO:<denied@mail.example.com>
S: 451 4.3.0 <denied@mail.example.com>: Recipient address rejected: Temporary lookup failure
C: QUIT
S: 221 2.0.0 Bye
D
$DIALOG "$ADDR" "$PORT" "$T/local.dialog" 2>"$T/local.err"
ok $? "a known user is accepted, an unknown one refused, an unapproved table fails softly $(cat "$T/local.err")"
like "$(sd_log "proxymap.*unapproved")" 'warning: request for unapproved table: "inline:\{\{denied@mail.example.com=REJECT\}\}"' \
    "proxymap names the unapproved table"

# Straight to the socket: garbage closes that client, the next is served.
python3 - "$Q/private/proxymap" >"$T/raw.out" 2>&1 <<'PY'
import socket, sys
def conv(data):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        out += b
        if out.endswith(b"\0\0"):
            break
    s.close()
    return out
print(repr(conv(b"bogus\0\0")))
print(repr(conv(b"request\0lookup\0table\0unix:passwd.byname\0flags\x000\0key\0root\0\0")))
print(repr(conv(b"request\0lookup\0table\0unix:passwd.byname\0flags\x000\0key\0nosuchuser4711\0\0")))
PY
like "$(cat "$T/raw.out" | tr '\n' ' ')" "^b'' b'status\\\\x000\\\\x00value\\\\x00root:x:0:0:[^']*\\\\x00\\\\x00' b'status\\\\x001\\\\x00value\\\\x00\\\\x00\\\\x00' $" \
    "raw protocol: garbage is dropped; OK with the passwd entry; NOKEY"
like "$(sd_log "proxymap.*bad request")" "warning: bad request" "proxymap warns about the malformed request"

inst_stop
! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
ok $? "no panic, fatal error or sanitizer report in the log"
done_testing
