#!/usr/bin/env python3
"""pipeline-late.py - a client whose pipelined command reaches smtpd after
smtpd has read the command before it, so smtpd finds it in the socket, not
in its own buffer (test/e2e/smtpd-pipelining.sh).

Usage: pipeline-late.py ADDR PORT READY GO
  EHLO, then the client's port is written to READY and the client waits
  (at most 30 s) for the file GO: meanwhile the test makes smtpd's reads
  slow (strace -e inject=...:delay_exit). Then NOOP is sent alone; once
  smtpd has taken it from the socket (its Recv-Q is 0, asked of ss(8)) and
  while its read is still held back, MAIL FROM:<late@example.com> follows.
  Both replies and QUIT's are checked. Exit 0 when the dialog went so, 1
  with the reason on standard error.
"""
import os
import socket
import subprocess
import sys
import time


def reply(f):
    """One whole reply (the last line of a multi-line one)."""
    while True:
        line = f.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("connection closed or partial line: %r" % line)
        if line[3:4] != b"-":
            return line[:-2].decode("ascii", "replace")


def wait_for(cond, what, seconds):
    end = time.time() + seconds
    while not cond():
        if time.time() > end:
            raise TimeoutError(what)
        time.sleep(0.02)


def server_recv_q(addr, port, cport):
    """Bytes smtpd has not read yet on this connection (None: not found)."""
    out = subprocess.run(["ss", "-Htn", "src", "%s:%s" % (addr, port),
                          "dst", "127.0.0.1:%d" % cport],
                         capture_output=True, text=True).stdout.split()
    # State Recv-Q Send-Q Local Peer
    return int(out[1]) if len(out) >= 2 and out[1].isdigit() else None


def main():
    addr, port, ready, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(30)
    s.connect((addr, port))
    f = s.makefile("rb")
    want = [("220", reply(f))]
    s.sendall(b"EHLO c.example\r\n")
    want.append(("250", reply(f)))
    cport = s.getsockname()[1]
    with open(ready + ".tmp", "w") as r:
        r.write("%d\n" % cport)
    os.rename(ready + ".tmp", ready)
    wait_for(lambda: os.path.exists(go), "no go within 30 s", 30)
    s.sendall(b"NOOP\r\n")
    wait_for(lambda: server_recv_q(addr, port, cport) == 0,
             "smtpd did not read NOOP within 10 s", 10)
    s.sendall(b"MAIL FROM:<late@example.com>\r\n")
    want.append(("250 2.0.0 Ok", reply(f)))
    want.append(("250 2.1.0 Ok", reply(f)))
    s.sendall(b"QUIT\r\n")
    want.append(("221 2.0.0 Bye", reply(f)))
    for prefix, got in want:
        if not got.startswith(prefix):
            print("expected %r, got %r" % (prefix, got), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError, TimeoutError) as e:
        print("pipeline-late: %s" % e, file=sys.stderr)
        sys.exit(1)
