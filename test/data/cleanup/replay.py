#!/usr/bin/env python3
# replay.py MODE FILE - TEST-ONLY: turn a fixture's `postcat -o -d -r`
# output back into what a client sent to cleanup.
#   args     cleanup_submit options for the envelope, NUL-separated: -T
#            (arrival time, usec 123456), -a per named attribute in order
#            (log_ident becomes {queue_id}), -f sender, and per recipient
#            -N/-D/-O/-r (-D only when ORCPT is not rfc822;ORIG)
#   content  the content lines (L pieces joined to their line), LF-ended
# Bytes are kept as they are (latin-1 round trip).
import calendar
import re
import sys
import time

mode, path = sys.argv[1], sys.argv[2]
text = open(path, "rb").read().decode("latin-1")
rec = re.compile(r"^\s*\d+\s+(\d+) ?(.*)$")
out = sys.stdout.buffer

if mode == "args":
    args, orcpt = [], None
    for line in text.split("\n"):
        m = rec.match(line)
        if not m:
            continue
        typ, body = int(m.group(1)), m.group(2)
        if typ == 77:
            break
        label, _, val = body.partition(": ")
        if typ == 84:
            sec = calendar.timegm(time.strptime(val, "%a %b %d %H:%M:%S %Y"))
            args += ["-T", "%d.123456" % sec]
        elif typ == 65 and label == "named_attribute":
            name, _, value = val.partition("=")
            if name == "dsn_orig_rcpt":
                orcpt = value
            elif name == "notify_flags":
                args += ["-N", value]
            elif name == "log_ident":
                args += ["-a", "log_ident={queue_id}"]
            else:
                args += ["-a", val]
        elif typ == 83:
            args += ["-f", val]
        elif typ == 79:
            if orcpt is not None and orcpt != "rfc822;" + val:
                args += ["-D", orcpt]
            args += ["-O", val]
            orcpt = None
        elif typ == 82:
            args += ["-r", val]
    out.write("\0".join(args).encode("latin-1") + b"\0")
else:
    on, cur = False, ""
    for line in text.split("\n"):
        if "*** MESSAGE CONTENTS" in line:
            on = True
            continue
        if "*** HEADER EXTRACTED" in line:
            break
        m = rec.match(line)
        if not on or not m:
            continue
        typ, body = int(m.group(1)), m.group(2)
        cur += body
        if typ == 78:
            out.write((cur + "\n").encode("latin-1"))
            cur = ""
