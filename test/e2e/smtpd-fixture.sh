#!/bin/bash
# The client scripts that made Postfix 3.7's queue files in test/data/queue
# (hold-dsn, hold-8bitmime, hold-smtputf8, hold-emptybody; copies in
# test/data/smtpd/fixture-*.py), replayed against Postern's smtpd and
# cleanup from localhost: postcat prints the same records, byte for byte,
# except what must differ (queue id, times, the client port, the server
# address and port, and the offset those lengths move).
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
grep -qE '^127\.0\.0\.1[[:space:]]+localhost' /etc/hosts ||
    { echo "1..0 # SKIP /etc/hosts does not name 127.0.0.1 localhost"; exit 0; }
sd_setup "smtpd_peername_lookup = yes"
sd_start
ok $? "master, smtpd and cleanup run"

# norm QUEUEID: what must differ, made equal.
norm() {
    sed -E "s/$1/QUEUEID/g; s/(client_port|server_port|server_address)=.*/\\1=X/;
            s/^(message_arrival_time|create_time): .*/\\1: X/;
            s/^(regular_text: 	(for <[^>]*>; )?)[A-Z][a-z]{2}, [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \\+0000 \\(UTC\\)$/\\1DATE/;
            s#\\*\\*\\* ([A-Z ]+) .*\\*\\*\\*#*** \\1 ***#"
}
# The data offset (message_size field 2) moves with the lengths of what
# differs: measure them in each file.
varlen() {
    awk -F= '/^named_attribute: (log_ident|log_client_port|client_port|server_port|server_address)=/ { n += length($2) }
        END { print n + 0 }' "$1"
}
offset() { awk '/^message_size:/ { print $3; exit }' "$1"; }
# The extracted section and the content flags (message_size field 6) are
# cleanup's findings about the content, not smtpd's: left out here.
size_fix() {
    awk '/^message_size:/ { printf "message_size: %15s %15s %15s %15s %15s\n", $2, "X", $4, $5, $6; next }
        /^\*\*\* HEADER EXTRACTED/ { exit } { print }'
}

for fixture in hold-dsn.C6647106031 hold-8bitmime.E5F17106068 hold-smtputf8.2F9E6106062 \
    hold-emptybody.705F4106069; do
    name=${fixture%%.*}
    name=${name#hold-}
    inst_queue_files incoming >"$T/before"
    python3 "$POSTERN_SRC/test/data/smtpd/fixture-$name.py" "$ADDR" "$PORT" >"$T/$name.out" 2>&1
    ok $? "$name: Postfix's client script runs against smtpd $(tail -2 "$T/$name.out")"
    id=$(inst_queue_files incoming | comm -13 "$T/before" - | head -1)
    inst_postcat -v "$Q/incoming/$id" >"$T/$name.ours" 2>/dev/null
    ok $? "$name: postcat reads $id"
    theirs=$POSTERN_SRC/test/data/queue/$fixture.postcat
    # ... and by the microseconds of the arrival time record ("sec usec",
    # 1 to 6 digits), which postcat does not show: allow 5 either way.
    d=$(($(offset "$T/$name.ours") - $(offset "$theirs") - $(varlen "$T/$name.ours") + $(varlen "$theirs")))
    ok $([ "$d" -ge -5 ] && [ "$d" -le 5 ] && echo 0 || echo 1) \
        "$name: the data offset differs only by the lengths of the queue id, ports, addresses and time ($d)"
    norm "${fixture#*.}" <"$theirs" | size_fix >"$T/$name.theirs.norm"
    norm "$id" <"$T/$name.ours" | size_fix >"$T/$name.ours.norm"
    diff "$T/$name.theirs.norm" "$T/$name.ours.norm" >"$T/$name.diff"
    ok $? "$name: the same records as Postfix's queue file $(head -c 1500 "$T/$name.diff")"
done

inst_stop
done_testing
