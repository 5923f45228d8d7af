#!/usr/bin/env python3
"""fake_bounce - TEST-ONLY stand-in for the bounce daemon (lib/bounce_client.h
protocol), for the qmgr tests while the real one is written. Never installed.

Usage: fake_bounce.py QUEUE_DIR OUTFILE [FAIL_FILE [DELAY_FILE]]
Listens on QUEUE_DIR/private/{bounce,defer,trace} (mode 0666), and for each
request appends "service=S nrequest=N queue_id=ID sender=S" to OUTFILE, does
what the daemon would do with the logs (FLUSH removes bounce/ID, EXPIRE
removes defer/H/ID, TRACE removes trace/ID; WARN keeps the log) and answers
status=0 -- or status=-1 while FAIL_FILE exists. While DELAY_FILE exists,
it waits the number of seconds written in it before it answers (a slow
bounce daemon; requests that arrive meanwhile wait in the listen queue). Writes "listening" to
OUTFILE.ready when its sockets are up. Runs until killed.
"""
import os
import select
import socket
import sys
import time

qdir, out = sys.argv[1], sys.argv[2]
fail_file = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
delay_file = sys.argv[4] if len(sys.argv) > 4 else None
socks = {}
for name in ("bounce", "defer", "trace"):
    path = os.path.join(qdir, "private", name)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o666)
    s.listen(16)
    socks[s] = name
with open(out + ".ready", "w") as f:
    f.write("listening\n")


def read_request(c):
    """One attr0 message: name NUL value NUL ... NUL (bounded)."""
    data = b""
    while len(data) < 65536:
        b = c.recv(4096)
        if not b:
            return None
        data += b
        toks = data.split(b"\0")
        attrs, i = {}, 0
        while i < len(toks) - 1:
            if toks[i] == b"":
                return attrs
            if i + 1 >= len(toks) - 1:
                break
            attrs[toks[i].decode(errors="replace")] = toks[i + 1].decode(errors="replace")
            i += 2
    return None


def unlink(path):
    try:
        os.unlink(os.path.join(qdir, path))
    except FileNotFoundError:
        pass


while True:
    ready, _, _ = select.select(list(socks), [], [])
    for s in ready:
        c, _ = s.accept()
        c.settimeout(5)
        try:
            a = read_request(c)
            if a is None:
                continue
            service, n, qid = socks[s], a.get("nrequest", ""), a.get("queue_id", "")
            with open(out, "a") as f:
                f.write("service=%s nrequest=%s queue_id=%s sender=%s\n"
                        % (service, n, qid, a.get("sender", "")))
            if delay_file and os.path.exists(delay_file):
                with open(delay_file) as f:
                    time.sleep(min(float(f.read().strip() or "0"), 60))
            if fail_file and os.path.exists(fail_file):
                c.sendall(b"status\0-1\0queue_id\0\0\0")
                continue
            if n == "1":
                unlink("bounce/" + qid)
            elif n == "4":
                unlink("defer/%s/%s" % (qid[0], qid))
            elif n == "3":
                unlink("trace/" + qid)
            c.sendall(b"status\0" + b"0\0queue_id\0\0\0")
        except OSError:
            pass
        finally:
            c.close()
