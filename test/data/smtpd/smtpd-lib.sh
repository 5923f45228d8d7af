# test/data/smtpd/smtpd-lib.sh - an instance with smtpd and cleanup under
# master, for the smtpd end-to-end tests. Source it after test/lib.sh; it
# builds on the shared intake helper test/lib/instance.sh.
#
#   sd_setup [main.cf lines...]  instance in $T; smtpd on $ADDR:$PORT
#                                (chroot, unprivileged, as Debian ships it),
#                                cleanup, postlogd; the lines are appended
#                                to main.cf; DIALOG runs smtp_dialog.py
#   sd_start                     postfix start, wait (bounded) for the banner
#   sd_log REGEX                 wait (bounded) for a maillog line; prints
#                                the first match
#   sd_queue_count               complete files in incoming/, hold/, active/
#   sd_dialog NAME [smtp_dialog.py args...] < DIALOG
#                                runs the dialog (stdin, kept as
#                                $T/NAME.dialog) against $ADDR:$PORT;
#                                errors in $T/NAME.err (1 check: the dialog
#                                went as written). Not in a pipeline: the
#                                check must count in the test's own shell.
. "$POSTERN_SRC/test/lib/instance.sh"

DIALOG="python3 $POSTERN_SRC/test/tools/smtp_dialog.py"

sd_setup() {
    inst_setup
    PORT=$(inst_port)
    cat >>"$C/main.cf" <<EOF2
mydestination = \$myhostname, localhost
smtpd_error_sleep_time = 0
smtpd_peername_lookup = no
local_recipient_maps = inline:{alice=x, bob=x, carol=x, postmaster=x}
alias_maps =
EOF2
    local l
    for l in "$@"; do
        inst_param "${l%% =*}" "${l#*= }"
    done
    inst_master_cf "$ADDR:$PORT inet n - y - - smtpd
cleanup   unix  n       -       y       -       0       cleanup
postlog   unix-dgram n  -       n       -       1       postlogd"
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
    inst_start || return 1
    inst_wait sd_banner
}

sd_log() {
    inst_log_wait "$1" || return 1
    grep -E -- "$1" "$LOG" | head -1
}

sd_queue_count() {
    local n=0 q f
    for q in incoming hold active; do
        for f in $(inst_queue_files "$q"); do
            inst_complete "$Q/$q/$f" && n=$((n + 1))
        done
    done
    echo "$n"
}

sd_dialog() {
    local name=$1
    shift
    cat >"$T/$name.dialog"
    $DIALOG "$@" "$ADDR" "$PORT" "$T/$name.dialog" 2>"$T/$name.err"
    ok $? "dialog: $name $(head -c 300 "$T/$name.err")"
}
