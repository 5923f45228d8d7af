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
. "$POSTERN_SRC/test/data/submit/sendmail-oracle-lib.sh"
so_setup

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
