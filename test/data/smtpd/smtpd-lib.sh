# test/data/smtpd/smtpd-lib.sh - an instance with smtpd (and cleanup when
# installed) under master, for the smtpd end-to-end tests. Source it after
# test/lib.sh; it uses test/data/master/master-lib.sh (to be replaced by the
# shared test/lib/instance.sh once it exists).
#
#   sd_setup [main.cf lines...]  instance in $T; smtpd on $ADDR:$PORT
#                                (chroot, unprivileged, as Debian ships it);
#                                DIALOG runs test/tools/smtp_dialog.py
#   sd_start                     postfix start, wait (bounded) for the banner
#   sd_log REGEX                 wait (bounded) for a maillog line; prints it
#   sd_have_cleanup              cleanup is installed (DATA end to end)
. "$POSTERN_SRC/test/data/master/master-lib.sh"

DIALOG="python3 $POSTERN_SRC/test/tools/smtp_dialog.py"

sd_have_cleanup() {
    [ -x "$POSTERN_INST/libexec/postern/cleanup" ]
}

sd_setup() {
    mt_setup
    PORT=$(mt_port)
    cp "$POSTERN_INST/libexec/postern/smtpd" "$D/"
    if sd_have_cleanup; then
        cp "$POSTERN_INST/libexec/postern/cleanup" "$D/"
        [ -x "$POSTERN_INST/libexec/postern/qmgr" ] && cp "$POSTERN_INST/libexec/postern/qmgr" "$D/"
    fi
    cat >>"$C/main.cf" <<EOF2
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
mydestination = \$myhostname, localhost
mynetworks = 127.0.0.0/8
smtpd_error_sleep_time = 0
smtpd_peername_lookup = no
local_recipient_maps = inline:{alice=x, bob=x, postmaster=x}
alias_maps =
EOF2
    local l
    for l in "$@"; do
        printf '%s\n' "$l" >>"$C/main.cf"
    done
    cp "$POSTERN_INST/libexec/postern/postlogd" "$D/" 2>/dev/null
    local mcf="$ADDR:$PORT inet n - y - - smtpd
postlog unix-dgram n - n - 1 postlogd"
    if sd_have_cleanup; then
        mcf="$mcf
cleanup unix n - y - 0 cleanup"
    fi
    mt_master_cf "$mcf"
}

sd_banner() {
    python3 - "$ADDR" "$PORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
f = s.makefile("rb")
line = f.readline()
s.sendall(b"QUIT\r\n")
f.readline()
sys.exit(0 if line.startswith(b"220 ") else 1)
PY
}

sd_start() {
    mt_start || return 1
    mt_wait sd_banner
}

sd_log() {
    local i
    for ((i = 0; i < 100; i++)); do
        if grep -qE -- "$1" "$LOG" 2>/dev/null; then
            grep -E -- "$1" "$LOG" | head -1
            return 0
        fi
        sleep 0.1
    done
    return 1
}
