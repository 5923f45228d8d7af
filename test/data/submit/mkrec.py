#!/usr/bin/env python3
# mkrec.py - write queue-file records to stdout, for postdrop/pickup tests.
# Arguments: TYPE:DATA (DATA may use Python escapes), "raw:HEX" for raw bytes,
# "big:TYPE:N" for a record of N 'x' bytes.
import sys


def rec(t, data):
    n = len(data)
    out = bytearray(t.encode("latin-1"))
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            break
    return bytes(out) + data


buf = bytearray()
for arg in sys.argv[1:]:
    if arg.startswith("raw:"):
        buf += bytes.fromhex(arg[4:])
    elif arg.startswith("big:"):
        _, t, n = arg.split(":")
        buf += rec(t, b"x" * int(n))
    else:
        t, data = arg[0], arg[2:]
        buf += rec(t, data.encode("latin-1").decode("unicode_escape").encode("latin-1"))
sys.stdout.buffer.write(bytes(buf))
