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
. "$POSTERN_SRC/test/data/submit/sendmail-oracle-lib.sh"
so_setup

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
