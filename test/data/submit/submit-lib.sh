# test/data/submit/submit-lib.sh - set-up for the local submission tests;
# source it after test/lib.sh.
#
#   sub_setup      scratch instance in $T: $C (config), $Q (queue with
#                  maildrop/ and public/ as Postfix has them); group postdrop
#                  and user postfix created when missing; a plain test user
#                  $SUB_USER (GECOS "Alice Example"); the installed postdrop
#                  made set-gid postdrop (what "make install" does as root);
#                  $C listed in alternate_config_directories of the installed
#                  default main.cf (restored at exit), since set-gid postdrop
#                  honours no other configuration directory
#   as_user CMD... runs CMD as $SUB_USER with MAIL_CONFIG=$C (no leak checks)
#   maildrop_files prints the names in $Q/maildrop (one a line)
#   wait_for CMD...  retries CMD for up to 10 s
#   KEEP=1         keeps $T for a look after the test
#   sub_start      writes master.cf (postlog, pickup, cleanup, chrooted as in
#                  Debian's), runs `postfix start`, sets MPID; sub_cleanup
#                  stops it (postfix stop, then by pid)
SUB_USER=pstsub$$
SUB_CREATED_GROUP= SUB_CREATED_POSTFIX= SUB_CREATED_POSTFIX_GROUP= SUB_DEFAULT_CF= SUB_DEFAULT_SAVED=

MPID=
sub_stop() {
    local p kids
    [ -n "$MPID" ] && kill -0 "$MPID" 2>/dev/null || return 0
    kids=$(pgrep -P "$MPID")
    postfix stop >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$MPID" 2>/dev/null
    for p in $kids; do kill -KILL "$p" 2>/dev/null; done
    MPID=
}

sub_cleanup() {
    sub_stop
    userdel "$SUB_USER" 2>/dev/null
    if [ -n "$SUB_DEFAULT_CF" ]; then
        if [ -n "$SUB_DEFAULT_SAVED" ]; then cp "$SUB_DEFAULT_SAVED" "$SUB_DEFAULT_CF"; else rm -f "$SUB_DEFAULT_CF"; fi
    fi
    [ -n "$SUB_CREATED_POSTFIX" ] && userdel postfix 2>/dev/null
    [ -n "$SUB_CREATED_POSTFIX_GROUP" ] && groupdel postfix 2>/dev/null
    [ -n "$SUB_CREATED_GROUP" ] && groupdel postdrop 2>/dev/null
    [ -n "$KEEP" ] || rm -rf "$T"
}

sub_setup() {
    T=$(mktemp -d /tmp/postern-submit.XXXXXX)
    chmod 755 "$T"
    trap sub_cleanup EXIT
    if ! getent group postdrop >/dev/null; then
        groupadd --system postdrop && SUB_CREATED_GROUP=1
    fi
    if ! getent passwd postfix >/dev/null; then
        getent group postfix >/dev/null || { groupadd --system postfix && SUB_CREATED_POSTFIX_GROUP=1; }
        useradd --system -g postfix -d /nonexistent -s /usr/sbin/nologin postfix && SUB_CREATED_POSTFIX=1
    fi
    useradd -M -d /nonexistent -s /bin/sh -c "Alice Example" "$SUB_USER" || return 1
    SUB_UID=$(id -u "$SUB_USER")
    C=$T/etc Q=$T/queue
    mkdir -p "$C" "$Q/maildrop" "$Q/public" "$T/log"
    chown postfix:postdrop "$Q/maildrop" "$Q/public"
    chmod 730 "$Q/maildrop"
    chmod 710 "$Q/public"
    cat >"$C/main.cf" <<EOT
queue_directory = $Q
command_directory = $POSTERN_INST/sbin
daemon_directory = $POSTERN_INST/libexec/postern
mail_owner = postfix
setgid_group = postdrop
EOT
    chgrp postdrop "$POSTERN_INST/sbin/postdrop" && chmod 2555 "$POSTERN_INST/sbin/postdrop"
    SUB_DEFAULT_CF=$POSTERN_INST/etc/postfix/main.cf
    mkdir -p "$POSTERN_INST/etc/postfix"
    if [ -f "$SUB_DEFAULT_CF" ]; then
        SUB_DEFAULT_SAVED=$T/default-main.cf.saved
        cp "$SUB_DEFAULT_CF" "$SUB_DEFAULT_SAVED"
    fi
    printf 'alternate_config_directories = %s\n' "$C" >>"$SUB_DEFAULT_CF"
    export MAIL_CONFIG=$C
}

as_user() {
    # LeakSanitizer cannot run in a set-gid process (it is not dumpable, on
    # purpose); postdrop's leaks are checked by the runs as root.
    runuser -u "$SUB_USER" -- env MAIL_CONFIG="$C" PATH="$PATH" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}

maildrop_files() {
    ls -A "$Q/maildrop"
}

wait_for() {
    local i
    for ((i = 0; i < 100; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

sub_start() {
    cat >>"$C/main.cf" <<EOT
maillog_file = $T/log/maillog
myhostname = mail.example.com
mydomain = example.com
myorigin = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
import_environment = MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS
EOT
    cat >"$C/master.cf" <<EOT
postlog unix-dgram n - n - 1 postlogd
pickup unix n - y 60 1 pickup
cleanup unix n - y - 0 cleanup
EOT
    postfix check >"$T/check.out" 2>&1
    postfix start >"$T/start.out" 2>&1 || return 1
    MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
    [ -n "$MPID" ] && kill -0 "$MPID"
}
