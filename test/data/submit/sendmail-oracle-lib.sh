# test/data/submit/sendmail-oracle-lib.sh - Debian's Postfix sendmail and
# postdrop (test/lib/oracle.sh) beside Postern's, for the tests that compare
# them (sendmail-oracle.sh, sendmail-verify-oracle.sh). Source it after
# test/lib.sh, as root.
#
#   so_setup              tmpdir; skips the test (done_testing, exit 0)
#                         without the oracle; $PF and $PN: each side's
#                         config folder with its own queue/maildrop
#   records FILE          the records of a maildrop file, one a line: TYPE
#                         DATA (T's value set aside)
#   run SIDE INPUT ARGS   (pf or pn) status, stdout and stderr, then the
#                         records of the one maildrop file
#   same WHAT INPUT ARGS  one check: both sides give the same run output

so_setup() {
    tmpdir
    . "$POSTERN_SRC/test/lib/oracle.sh"
    if ! oracle_setup; then
        skip "no Postfix oracle: $ORACLE_WHY"
        done_testing
        exit 0
    fi

    # Postfix's side: its sendmail runs command_directory/postdrop with a clean
    # environment, so a wrapper there points the loader at the unpacked libraries.
    PF=$T/pf PN=$T/pn
    mkdir -p "$PF/bin" "$PF/queue/maildrop" "$PF/queue/public" "$PN/queue/maildrop" "$PN/queue/public"
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/usr/lib/postfix exec %s/usr/sbin/postdrop "$@"\n' \
        "$ORACLE_ROOT" "$ORACLE_ROOT" >"$PF/bin/postdrop"
    chmod 755 "$PF/bin/postdrop"
    { grep -v -E '^(command|queue)_directory' "$ORACLE_CONF/main.cf"; printf 'command_directory = %s/bin\nqueue_directory = %s/queue\n' "$PF" "$PF"; } \
        >"$PF/main.cf"
    printf 'queue_directory = %s/queue\nmyhostname = mail.example.com\nmydomain = example.com\n' "$PN" >"$PN/main.cf"
    printf 'command_directory = %s/sbin\n' "$POSTERN_INST" >>"$PN/main.cf"
}

records() { od -An -v -tu1 "$1" | LC_ALL=C awk -f "$POSTERN_SRC/test/data/submit/maildrop-records.awk"; }

# run SIDE INPUT ARGS...: status, stdout and stderr (program names and the
# pickup warning aside), then the records of the one maildrop file.
run() {
    local side=$1 input=$2 bin f
    shift 2
    if [ "$side" = pf ]; then
        bin=$ORACLE_ROOT/usr/sbin/sendmail
        export LD_LIBRARY_PATH=$ORACLE_ROOT/usr/lib/postfix
    else
        bin=$POSTERN_INST/sbin/sendmail
        unset LD_LIBRARY_PATH
    fi
    rm -f "$T/$side/queue/maildrop/"*
    MAIL_CONFIG=$T/$side timeout 20 "$bin" "$@" <"$input" >"$T/out" 2>"$T/err"
    echo "status $?"
    unset LD_LIBRARY_PATH
    sed 's/^/stdout: /' "$T/out"
    grep -v 'unable to look up public/pickup' "$T/err" | sed -E 's/^(sendmail|postdrop): /\1 /; s/^/stderr: /'
    for f in "$T/$side/queue/maildrop/"*; do
        [ -f "$f" ] && records "$f"
    done
    rm -f "$T/$side/queue/maildrop/"*
}
# same DESCRIPTION INPUT ARGS...
same() {
    local what=$1 input=$2 a b
    shift 2
    a=$(run pf "$input" "$@")
    b=$(run pn "$input" "$@")
    if [ "$a" != "$b" ]; then
        diff <(echo "$a") <(echo "$b") | sed 's/^/# /'
    fi
    is "$b" "$a" "$what: as Postfix's sendmail ($*)"
}
