#!/bin/bash
# sendmail -bv against Debian's Postfix 3.7 sendmail + postdrop
# (test/lib/oracle.sh), as test/e2e/sendmail-oracle.sh compares the other
# flags: the same arguments, run as root on both sides, must give the same
# exit status, the same messages and the same maildrop file, record for
# record (the arrival time aside): trace_flags=512 after the sender, no
# message read from stdin but a made-up one (From: the sender, Subject:
# probe, a folded To: with the command line's recipients), and the refusals
# of -bv with -t, -N, -R and -v (in that order).
. "$POSTERN_SRC/test/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
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

# The records of a maildrop file, one a line: TYPE DATA (T's value set aside).
cat >"$T/records.py" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
i = 0
while i < len(d):
    t = chr(d[i]); i += 1; n = 0; s = 0
    while True:
        b = d[i]; i += 1; n |= (b & 0x7f) << s; s += 7
        if not b & 0x80:
            break
    v = d[i:i + n]; i += n
    print(t, "TIME" if t == "T" else v.decode("latin-1").encode("unicode_escape").decode())
EOF

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
        [ -f "$f" ] && python3 "$T/records.py" "$f"
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

printf 'Subject: not read\n\nbody\n' >"$T/plain"

same "-bv: one recipient, stdin not read" "$T/plain" -bv a@b.test
same "-bv: recipients in address syntax" "$T/plain" -bv a@b.test 'C <c@d.test>' e@f.test,g@h.test
same "-bv -f -F" "$T/plain" -bv -f x@y.test -F 'Full Name' a@b.test
same "-bv -G -V" "$T/plain" -bv -G -V envid-2 a@b.test
same "-bv stays with a later -bm" "$T/plain" -bv -bm a@b.test
same "-bv without recipients" "$T/plain" -bv
same "-bv -v is refused" "$T/plain" -bv -v a@b.test
same "-bv -t is refused" "$T/plain" -bv -t a@b.test
same "-bv -N is refused" "$T/plain" -bv -N success a@b.test
same "-bv -R is refused" "$T/plain" -bv -R full a@b.test
same "-bv: -t is named first" "$T/plain" -bv -R full -N success -t a@b.test
same "-bv: then -N" "$T/plain" -bv -R full -N success a@b.test
same "-bv: then -R" "$T/plain" -bv -v -R full a@b.test

done_testing
