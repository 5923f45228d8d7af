#!/bin/bash
# The worker skeleton's side of the master protocol, driven without master
# (test/data/master/worker-protocol.py): status bytes, max_use, end-of-file.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
mt_setup
printf 'maillog_file =\n' >>"$C/main.cf"
postfix check >/dev/null 2>&1
python3 "$POSTERN_SRC/test/data/master/worker-protocol.py" "$D/test_echo"
