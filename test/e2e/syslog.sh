#!/bin/bash
# Logging through syslog(3): the tag comes from syslog_name, the facility
# from syslog_facility. The test runs in its own mount namespace with a
# private /dev, where /dev/log is a datagram socket it reads itself, so the
# host's logging is never touched.
. "$POSTERN_SRC/test/lib.sh"

if [ -z "${POSTERN_SYSLOG_NS:-}" ]; then
    if ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
        echo "1..0 # SKIP no mount namespaces here"
        exit 0
    fi
    POSTERN_SYSLOG_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

tmpdir
LPID=
stop_listener() {
    [ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
    LPID=
}
trap 'stop_listener; rm -rf "$T"' EXIT

# A private /dev with the few nodes the programs use, and our /dev/log.
mount -t tmpfs -o mode=755 tmpfs /dev || exit 1
for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
    IFS=: read -r name major minor <<<"$n"
    mknod -m 666 "/dev/$name" c "$major" "$minor" || exit 1
done
python3 -u - "$T/syslog.out" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
EOF
LPID=$!
for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.1; done
check "a syslog socket listens on the private /dev/log" test -S /dev/log

# Waits (bounded) for a logged line matching REGEX and prints the last one.
log_wait() {
    local i
    for i in $(seq 100); do
        grep -E -- "$1" "$T/syslog.out" 2>/dev/null | tail -1 | grep . && return 0
        sleep 0.1
    done
    return 1
}
# The facility and severity of a line "<PRI>...": "facility.severity" numbers.
pri() {
    local p=${1#<}
    p=${p%%>*}
    echo "$((p / 8)).$((p % 8))"
}

C=$T/etc
mkdir -p "$C" "$T/q"
conf() {
    printf 'queue_directory = %s\nmail_owner = postfix\n%s\n' "$T/q" "$1" >"$C/main.cf"
}

# 1. The default facility is mail; the tag is Postfix's.
conf ""
postfix -c "$C" status >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:postfix/postfix-script: the Postfix mail system is not running" \
    "postfix status on stderr"
line=$(log_wait 'the Postfix mail system is not running')
like "$line" '^<[0-9]+>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} postfix/postfix-script\[[0-9]+\]: the Postfix mail system is not running$' \
    "the syslog line has Postfix's tag and pid"
is "$(pri "$line")" "2.6" "default facility mail (2), severity info (6)"

# 2. syslog_facility and syslog_name.
: >"$T/syslog.out"
conf $'syslog_facility = local3\nsyslog_name = postfix-out'
postfix -c "$C" status >/dev/null 2>/dev/null
line=$(log_wait 'the Postfix mail system is not running')
like "$line" '^<[0-9]+>.* postfix-out/postfix-script\[[0-9]+\]: the Postfix' "syslog_name is the tag's prefix"
is "$(pri "$line")" "19.6" "syslog_facility = local3 (19) is used"

# 3. Each facility name Postfix knows.
for f in auth:4 authpriv:10 daemon:3 user:1 local0:16 local7:23 lpr:6 news:7 uucp:8 cron:9 syslog:5; do
    : >"$T/syslog.out"
    conf "syslog_facility = ${f%%:*}"
    postfix -c "$C" status >/dev/null 2>&1
    line=$(log_wait 'the Postfix mail system is not running')
    is "$(pri "$line")" "${f#*:}.6" "syslog_facility = ${f%%:*}"
done

# 4. A facility name Postfix does not know (they are case-sensitive) is fatal.
for f in nosuch MAIL; do
    : >"$T/syslog.out"
    conf "syslog_facility = $f"
    postfix -c "$C" status >/dev/null 2>"$T/err"
    is "$?:$(cat "$T/err")" "1:postfix: fatal: file $C/main.cf: parameter syslog_facility: unrecognized value: $f" \
        "syslog_facility = $f is fatal, naming the file and the parameter"
    line=$(log_wait 'unrecognized value')
    is "$(pri "$line")" "2.2" "$f: the fatal error is logged as mail.crit"
done

# 5. postmap and postalias log their warnings and errors too, as Postfix's do.
: >"$T/syslog.out"
conf $'syslog_facility = local5\nsyslog_name = pm'
printf 'k v1\nk v2\n' >"$T/src"
postmap -c "$C" hash:"$T/src" 2>"$T/err"
is "$(cat "$T/err")" "postmap: warning: $T/src.db: duplicate entry: \"k\"" "postmap warns on stderr"
line=$(log_wait 'duplicate entry')
like "$line" "^<[0-9]+>.* pm/postmap\[[0-9]+\]: warning: $T/src.db: duplicate entry: \"k\"\$" \
    "and in syslog, tagged syslog_name/postmap"
is "$(pri "$line")" "21.4" "as local5.warning"
postalias -c "$C" -q x hash:"$T/nosuch" 2>/dev/null
line=$(log_wait 'postalias.*open database')
like "$line" "^<[0-9]+>.* pm/postalias\[[0-9]+\]: fatal: open database $T/nosuch.db: No such file or directory\$" \
    "postalias logs its fatal error"
is "$(pri "$line")" "21.2" "as local5.crit"

# 6. The same lines as Debian's Postfix writes, but for the time and pid.
. "$POSTERN_SRC/test/lib/oracle.sh"
if oracle_setup; then
    trap 'stop_listener; _oracle_cleanup' EXIT
    strip() { sed -E 's/^(<[0-9]+>)[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} /\1/; s/\[[0-9]+\]:/[PID]:/'; }
    cp "$ORACLE_CONF/main.cf" "$T/oracle.main.cf"
    for settings in $'syslog_facility = local5\nsyslog_name = pm' "syslog_facility = nosuch"; do
        printf '%s\n' "$settings" | cat "$T/oracle.main.cf" - >"$ORACLE_CONF/main.cf"
        conf "$settings"
        : >"$T/syslog.out"
        postmap -c "$C" hash:"$T/src" 2>/dev/null
        postalias -c "$C" -q x hash:"$T/nosuch" 2>/dev/null
        log_wait 'postalias' >/dev/null
        sed "s|$C/main.cf|MAIN.CF|" "$T/syslog.out" | strip >"$T/ours.log"
        : >"$T/syslog.out"
        oracle_postmap hash:"$T/src" 2>/dev/null
        oracle_postalias -q x hash:"$T/nosuch" 2>/dev/null
        log_wait 'postalias' >/dev/null
        sed "s|$ORACLE_CONF/main.cf|MAIN.CF|" "$T/syslog.out" | strip >"$T/theirs.log"
        is "$(wc -l <"$T/theirs.log")" "2" "Postfix's postmap and postalias logged a line each"
        is "$(cat "$T/ours.log")" "$(cat "$T/theirs.log")" \
            "postmap and postalias log what Postfix's log ($(echo "$settings" | tr '\n' ' '))"
    done
else
    skip "no Postfix oracle: $ORACLE_WHY"
fi

stop_listener
done_testing
