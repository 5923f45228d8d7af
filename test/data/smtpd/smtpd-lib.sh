# test/data/smtpd/smtpd-lib.sh - an instance with smtpd and cleanup under
# master, for the smtpd end-to-end tests. Source it after test/lib.sh; it
# builds on the shared intake helper test/lib/instance.sh.
#
#   sd_setup [main.cf lines...]  instance in $T; smtpd on $ADDR:$PORT
#                                (chroot, unprivileged, as Debian ships it),
#                                cleanup, postlogd; the lines ("name = value")
#                                are added to main.cf; DIALOG runs
#                                smtp_dialog.py
#   sd_start                     postfix start, wait (bounded) for the banner
#   sd_reload [main.cf lines...] sets the lines ("name = value"; "name ="
#                                empties it), then postfix reload
#   sd_log REGEX                 wait (bounded) for a maillog line; prints
#                                the first match
#   sd_queue_count               complete files in incoming/, hold/, active/
#   sd_queue_id GREP-ARGS...     the incoming/ files whose postcat output
#                                matches (grep -q GREP-ARGS), one a line
#   sd_dialog NAME [smtp_dialog.py args...] < DIALOG
#                                runs the dialog (stdin, kept as
#                                $T/NAME.dialog) against $ADDR:$PORT;
#                                errors in $T/NAME.err (1 check: the dialog
#                                went as written). Not in a pipeline: the
#                                check must count in the test's own shell.
#                                SD_RETRY=1: retried (bounded) until it goes
#                                so, for the first dialog after a reload (an
#                                smtpd of before may take it);
#                                SD_WHAT="...": the check's text instead of
#                                "dialog: NAME"
#   sd_finish                    stops the instance (1 check: no panic, fatal
#                                error or sanitizer report in the log)
#   SD_IN=CMD                    runs the clients, postfix reload and the
#                                banner check under CMD (e.g. nsd_exec: in
#                                a network namespace)
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
    sd_params "$@"
    inst_master_cf "$ADDR:$PORT inet n - y - - smtpd
cleanup   unix  n       -       y       -       0       cleanup
postlog   unix-dgram n  -       n       -       1       postlogd"
}

sd_params() {
    local l n v
    for l in "$@"; do
        n=${l%%=*} v=${l#*=}
        inst_param "${n// /}" "${v# }"
    done
}

sd_reload() {
    sd_params "$@"
    ${SD_IN-} postfix reload >/dev/null 2>&1
}

sd_banner() {
    ${SD_IN-} python3 - "$ADDR" "$PORT" <<'PY' 2>/dev/null
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

sd_queue_id() {
    local f
    for f in $(inst_queue_files incoming); do
        inst_postcat "$Q/incoming/$f" 2>/dev/null | grep -q "$@" && echo "$f"
    done
}

sd_dialog_run() {
    local name=$1
    shift
    ${SD_IN-} $DIALOG "$@" "$ADDR" "$PORT" "$T/$name.dialog" 2>"$T/$name.err"
}

sd_dialog() {
    local name=$1
    shift
    cat >"$T/$name.dialog"
    if [ -n "${SD_RETRY-}" ]; then
        inst_wait sd_dialog_run "$name" "$@"
    else
        sd_dialog_run "$name" "$@"
    fi
    ok $? "${SD_WHAT:-dialog: $name} $(head -c 300 "$T/$name.err")"
}

sd_finish() {
    inst_stop
    ! grep -E "panic|fatal|AddressSanitizer|runtime error|exit status" "$LOG"
    ok $? "no panic, fatal error or sanitizer report in the log"
}
