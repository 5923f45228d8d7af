#!/bin/bash
# cleanup's durability steps, seen from outside: the queue file is marked
# complete and fsynced once, then incoming/ is fsynced, before the client
# hears success (queue_directory_fsync = yes, the default; no directory
# fsync with no); the file is written in one write(2) for a small
# message and the request costs few system calls; a full file system
# fails the request and leaves no file; a message that got success
# survives `postfix abort` and a restart.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/lib/instance.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v strace >/dev/null || { echo "1..0 # SKIP needs strace"; exit 0; }
inst_setup
check "postfix start" inst_start
check "cleanup listens" inst_wait_sock public/cleanup

send() {
    printf 'From: a@example.com\nMessage-Id: <%s@x>\nDate: d\nSubject: s\n\nline\n' "$RANDOM" |
        inst_submit -x 34 -a rewrite_context=remote -f a@example.com -r b@relay.test
}
# trace ONE request of the (warm) cleanup process; retried (at most three
# times) when strace attached too late to see it
trace_once() {
    local pid sp
    send
    pid=$(inst_workers cleanup | head -1)
    : >"$T/strace.out"
    strace -q -e trace=all -p "$pid" -o "$T/strace.out" &
    sp=$!
    inst_wait grep -q . "$T/strace.out" 2>/dev/null || sleep 0.5
    sleep 0.3
    send
    id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
    sleep 0.3
    kill "$sp" 2>/dev/null
    wait "$sp" 2>/dev/null
    grep -q 'renameat2' "$T/strace.out"
}
trace() {
    trace_once || trace_once || trace_once
}

if ! trace; then
    for _ in 1 2 3 4 5; do skip "strace cannot follow cleanup here"; done
else
    # the queue file's descriptor, then what happens to it and to others
    qfd=$(sed -nE 's/^write\(([0-9]+), "C.*/\1/p' "$T/strace.out" | head -1)
    seq=$(grep -oE '^(write\([0-9]+, "C|fsync\([0-9]+|fchmod\([0-9]+, 0700|sendto\([0-9]+, "status)' "$T/strace.out" |
        sed -E "s/\\($qfd, /(Q, /; s/\\($qfd\$/(Q/; s/\\([0-9]+, \"status/(\"status/; s/fsync\\([0-9]+\$/fsync(dir/" | tr '\n' ' ')
    is "$seq" 'write(Q, "C fchmod(Q, 0700 fsync(Q fsync(dir sendto("status ' \
        "file written, marked complete, fsynced once, incoming/ fsynced, then the reply"
    n=$(grep -cvE '^(\+\+\+|---)' "$T/strace.out")
    ok $([ "$n" -le 45 ]; echo $?) "one small message costs $n system calls (at most 45)"

    inst_param queue_directory_fsync no
    postfix reload >/dev/null 2>&1
    sleep 0.5
    trace
    ok $? "traced a request after the reload"
    is "$(grep -c '^fsync' "$T/strace.out")" 1 "queue_directory_fsync = no: no fsync of incoming/"
    qfd=$(sed -nE 's/^write\(([0-9]+), "C.*/\1/p' "$T/strace.out" | head -1)
    ok $(grep -q "^fsync($qfd)" "$T/strace.out"; echo $?) "but the file is still fsynced"
fi

# A full file system: the client hears CLEANUP_STAT_WRITE and no file is left.
if mount -t tmpfs -o "size=256k,mode=0700,uid=$(id -u postfix),gid=$(id -g postfix)" tmpfs "$Q/incoming" 2>/dev/null; then
    python3 -c 'import sys; sys.stdout.write("Subject: big\n\n" + ("z" * 70 + "\n") * 20000)' |
        inst_submit -f a@example.com -r b@relay.test
    is "$(sed -n 's/^status=//p' "$T/submit.out")" 2 "disk full: CLEANUP_STAT_WRITE"
    is "$(ls -A "$Q/incoming" | wc -l)" 0 "and nothing is left in incoming/"
    check "the write error is logged" inst_log_wait "write queue file: No space left on device"
    umount "$Q/incoming"
else
    skip "cannot mount a small tmpfs here"
    skip "cannot mount a small tmpfs here"
    skip "cannot mount a small tmpfs here"
fi

# A message that got success survives postfix abort and a restart.
send
ok $? "a message is queued"
id=$(sed -n 's/^queue_id=//p' "$T/submit.out")
kids=$(pgrep -P "$MPID")
postfix abort >/dev/null 2>&1
inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
# The workers see master go and exit on their own; wait for them (they hold
# the old sockets) before starting again.
gone() { local p; for p in $kids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
inst_wait gone
check "after postfix abort the file is complete" inst_complete "$Q/incoming/$id"
MPID=
check "postfix start again" inst_start
check "and it is still there" inst_complete "$Q/incoming/$id"
like "$(cd "$Q/incoming" && inst_postcat -e "$id")" "recipient: b@relay.test" "readable, with its recipient"

inst_stop
done_testing
