#!/usr/bin/env python3
"""A scripted stand-in for Dovecot's auth socket, for test/e2e/sasl-dovecot.sh.

Usage: fake_dovecot.py SOCKET SCENARIO RECORD_FILE
Serves one connection (it gives up after 20 seconds), writes every line the
client sent to RECORD_FILE, and answers as SCENARIO says: a normal handshake
and reply, or one that breaks the protocol in a given way.
"""
import os
import socket
import sys

path, scenario, record = sys.argv[1], sys.argv[2], sys.argv[3]

HELLO = b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nMECH\tCRAM-MD5\tdictionary\tactive\nSPID\t4242\nCUID\t7\nCOOKIE\tabcdef0123456789\nDONE\n"

HANDSHAKES = {
    "version2": b"VERSION\t2\t0\nDONE\n",
    "noversion": b"MECH\tPLAIN\tplaintext\nDONE\n",
    "longline": b"VERSION\t1\t2\nCOOKIE\t" + b"A" * 40000 + b"\nDONE\n",
    "nul": b"VERSION\t1\t2\nMECH\tPL\0AIN\tplaintext\nDONE\n",
    "manymech": b"VERSION\t1\t2\n" + b"".join(b"MECH\tM%d\n" % i for i in range(100)) + b"DONE\n",
    "badmech": b"VERSION\t1\t2\nMECH\tPL@IN\nDONE\n",
    "dupmech": b"VERSION\t1\t2\nMECH\tPLAIN\nMECH\tplain\nDONE\n",
    "badspid": b"VERSION\t1\t2\nSPID\t-1\nDONE\n",
    "silent": b"",
    "private": b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tX-SECRET\tprivate\nMECH\tANONYMOUS\tanonymous\nMECH\tSCRAM-SHA-1\tmutual-auth\tdictionary\nMECH\tX-FS\tforward-secrecy\nDONE\n",
}

REPLIES = {
    "record": [b"OK\t%(id)s\tuser=rec@example.com\n"],
    "nouser": [b"OK\t%(id)s\n"],
    "badcont": [b"CONT\t%(id)s\t!!!notbase64\n"],
    "stale": [b"FAIL\t99\n", b"CONT\t98\tAAAA\n", b"OK\t%(id)s\tuser=carol@example.com\n"],
    "tempfail": [b"FAIL\t%(id)s\ttemp\treason=try later\n"],
    "reason": [b"FAIL\t%(id)s\treason=bad\x01tthing\tuser=eve@example.com\n"],
    "escape": [b"OK\t%(id)s\tuser=a\x01tb\x011c\n"],
    "close": [],
    "garbage": [b"HELLO\tWORLD\n"],
    "badid": [b"OK\tx%(id)s\tuser=x\n"],
    "cont": [b"CONT\t%(id)s\tVXNlcm5hbWU6\n", b"OK\t%(id)s\tuser=cont@example.com\n"],
}

try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
conn.settimeout(20)
rec = open(record, "wb")


def read_line(buf):
    while b"\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, buf
        buf += data
    line, _, rest = buf.partition(b"\n")
    rec.write(line + b"\n")
    rec.flush()
    return line, rest


try:
    buf = b""
    if scenario in HANDSHAKES:
        conn.sendall(HANDSHAKES[scenario])
        if scenario == "silent":
            conn.recv(65536)
            conn.recv(65536)   # until the client gives up
        else:
            while True:
                line, buf = read_line(buf)
                if line is None:
                    break
    else:
        conn.sendall(HELLO)
        replies = list(REPLIES[scenario])
        while True:
            line, buf = read_line(buf)
            if line is None:
                break
            fields = line.split(b"\t")
            if fields[0] not in (b"AUTH", b"CONT"):
                continue
            if not replies:
                break          # "close": hang up on the request
            reply = replies.pop(0)
            while True:
                conn.sendall(reply % {b"id": fields[1]})
                # Stale replies come before the one for this request.
                if not replies or b"%(id)s" in reply:
                    break
                reply = replies.pop(0)
except (socket.timeout, ConnectionError):
    pass
conn.close()
rec.close()
