#!/bin/bash
# sendmail's command line against Debian's Postfix 3.7 sendmail + postdrop
# (test/lib/oracle.sh): the same arguments and input, run as root on both
# sides, must give the same exit status, the same messages and the same
# maildrop file, record for record (the arrival time aside). Covers the
# flags scripts use (-t -i -oi -f -F -r -N -R -V -B -G -v), options Postfix
# ignores, bad option values (a warning, not a failure), -bh/-bH, and input
# shapes (CRLF, From_ lines, long lines, a bare CR, no final newline).
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

# The records of a maildrop file, one a line: TYPE DATA (T's value set aside),
# DATA as Python's unicode_escape of its Latin-1 text would print it. awk
# over od's bytes: it runs twice per case, a python3 start each time cost
# more than the rest of the case.
cat >"$T/records.awk" <<'EOF'
# bytes from od -An -v -tu1, any number a line
{ for (k = 1; k <= NF; k++) d[nb++] = $k + 0 }
END {
    i = 0
    while (i < nb) {
        t = sprintf("%c", d[i]); i++; n = 0; m = 1
        while (i < nb) {
            b = d[i]; i++; n += (b % 128) * m; m *= 128
            if (b < 128) break
        }
        out = ""
        for (e = i + n; i < e && i < nb; i++) {
            c = d[i]
            if (c == 92) out = out "\\\\"
            else if (c == 9) out = out "\\t"
            else if (c == 10) out = out "\\n"
            else if (c == 13) out = out "\\r"
            else if (c >= 32 && c < 127) out = out sprintf("%c", c)
            else out = out sprintf("\\x%02x", c)
        }
        i = e
        print t " " (t == "T" ? "TIME" : out)
    }
}
EOF
records() { od -An -v -tu1 "$1" | LC_ALL=C awk -f "$T/records.awk"; }

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

printf 'Subject: plain\n\nbody\n' >"$T/plain"
printf 'From someone Sat Nov 21\r\n>From x\r\nTo: A <t@x.test>, b@y.test\r\nCc: c@z.test\r\nBcc: d@w.test\r\nSubject: s\r\n\r\nbody\r\n.\r\nafter\r\n' >"$T/crlf"
printf 'Resent-To: r1@x.test\nResent-Cc: r2@x.test\nTo: t@x.test\n\nb\n' >"$T/resent"
python3 -c 'import sys; w = sys.stdout.write; w("Subject: long\n\n" + "x" * 5000 + "\n" + "a\rb\n" + "tail")' >"$T/long"
: >"$T/empty"

same "recipients on the command line, in address syntax" "$T/plain" 'A <a@b.test>' 'c@d.test,e@f.test'
same "-t: recipients from To/Cc/Bcc, CRLF input, From_ lines dropped, a dot ends it" "$T/crlf" -t
same "-t -i: a dot is data" "$T/crlf" -t -i
same "-oi with -t and a command-line recipient" "$T/crlf" -oi -t extra@x.test
same "-t with Resent- headers" "$T/resent" -t
same "-f, -F" "$T/plain" -f 'Some One <s@example.org>' -F 'Full Name' a@b.test
same "-r" "$T/plain" -r r@example.org a@b.test
same "-N -R -V -B" "$T/plain" -N success,delay -R hdrs -V envid-1 -B 8BITMIME a@b.test
same "-N never, -B 7BIT" "$T/plain" -N never -B 7BIT a@b.test
same "-t -N failure" "$T/crlf" -t -N failure
same "-v: a report of the first delivery attempt is requested (trace_flags)" "$T/plain" -v a@b.test
same "-G: gateway submission (rewrite_context=remote)" "$T/plain" -G a@b.test
same "a bad -N value is a warning and is ignored" "$T/plain" -N success,bogus a@b.test
same "a bad -R value is a warning and is ignored" "$T/plain" -R bogus a@b.test
same "a bad -V value is a warning and is ignored" "$T/plain" -V "$(printf 'a\tb')" a@b.test
same "options Postfix ignores" "$T/plain" -O a=b -o7 -o8 -om -Am -U -x -c -e m -p x -L lbl -h 9 -m a@b.test
same "-bh does nothing" "$T/plain" -bh
same "-bH does nothing" "$T/plain" -bH
same "a long line, a bare CR, no final newline" "$T/long" a@b.test
same "-t without recipients" "$T/plain" -t
same "no recipients at all" "$T/plain"
same "empty input" "$T/empty" a@b.test
same "arguments after the first recipient are recipients" "$T/plain" a@b.test -v -G
same "an argument without an address is a null recipient" "$T/plain" 'undisclosed-recipients:;'
same "the null address as a recipient" "$T/plain" a@b.test '<>'

done_testing
