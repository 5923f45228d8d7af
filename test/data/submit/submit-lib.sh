# test/data/submit/submit-lib.sh - set-up for the local submission tests;
# source it after test/lib.sh (and test/lib/instance.sh for sub_inst_setup).
#
#   sub_setup        scratch instance in $T without master: $C (config), $Q
#                    (queue with maildrop/ and public/ as Postfix has them);
#                    then sub_user_setup; everything undone at exit
#   sub_inst_setup   the shared intake instance (inst_setup of
#                    test/lib/instance.sh) with pickup and cleanup in
#                    master.cf and the queue layout made (postfix check);
#                    then sub_user_setup; start it with inst_start
#   sub_user_setup   group postdrop and user postfix created when missing; a
#                    plain test user $SUB_USER (GECOS "Alice Example", uid
#                    $SUB_UID); the installed postdrop made set-gid postdrop
#                    (what "make install" does as root); $C listed in
#                    alternate_config_directories of the installed default
#                    main.cf (default_cf_allow of test/lib.sh; taken out
#                    at exit), since set-gid postdrop honours no other
#                    configuration directory
#   as_user CMD...   runs CMD as $SUB_USER with MAIL_CONFIG=$C (no leak checks)
#   maildrop_files   prints the names in $Q/maildrop (one a line)
#   wait_for CMD...  retries CMD for up to 10 s
#   KEEP=1           keeps $T for a look after the test
SUB_USER=pstsub$$
SUB_CREATED_GROUP= SUB_CREATED_POSTFIX= SUB_CREATED_POSTFIX_GROUP= SUB_ALLOWED_DIR=

sub_user_cleanup() {
    userdel "$SUB_USER" 2>/dev/null
    [ -n "$SUB_ALLOWED_DIR" ] && default_cf_disallow "$SUB_ALLOWED_DIR"
    [ -n "$SUB_CREATED_POSTFIX" ] && userdel postfix 2>/dev/null
    [ -n "$SUB_CREATED_POSTFIX_GROUP" ] && groupdel postfix 2>/dev/null
    [ -n "$SUB_CREATED_GROUP" ] && groupdel postdrop 2>/dev/null
}

sub_cleanup() {
    sub_user_cleanup
    [ -n "$KEEP" ] || rm -rf "$T"
}

sub_user_setup() {
    if ! getent group postdrop >/dev/null; then
        groupadd --system postdrop && SUB_CREATED_GROUP=1
    fi
    if ! getent passwd postfix >/dev/null; then
        getent group postfix >/dev/null || { groupadd --system postfix && SUB_CREATED_POSTFIX_GROUP=1; }
        useradd --system -g postfix -d /nonexistent -s /usr/sbin/nologin postfix && SUB_CREATED_POSTFIX=1
    fi
    useradd -M -d /nonexistent -s /bin/sh -c "Alice Example" "$SUB_USER" || return 1
    SUB_UID=$(id -u "$SUB_USER")
    chgrp postdrop "$POSTERN_INST/sbin/postdrop" && chmod 2555 "$POSTERN_INST/sbin/postdrop"
    # Other tests list their own directories at the same time: each adds
    # and removes only its own.
    default_cf_allow "$C" && SUB_ALLOWED_DIR=$C
}

sub_setup() {
    T=$(mktemp -d /tmp/postern-submit.XXXXXX)
    chmod 755 "$T"
    trap sub_cleanup EXIT
    C=$T/etc Q=$T/queue
    mkdir -p "$C" "$Q/maildrop" "$Q/public" "$T/log"
    sub_user_setup || return 1
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
    export MAIL_CONFIG=$C
}

sub_inst_setup() {
    inst_setup
    INST_KEEP=$KEEP
    trap 'sub_user_cleanup; inst_cleanup' EXIT
    inst_master_cf "cleanup   unix  n       -       y       -       0       cleanup
pickup    unix  n       -       y       60      1       pickup
postlog   unix-dgram n  -       n       -       1       postlogd"
    postfix check >"$T/check.out" 2>&1 || { cat "$T/check.out" >&2; return 1; }
    sub_user_setup
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
    wait_until 100 "$@"
}
