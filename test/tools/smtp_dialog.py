#!/usr/bin/env python3
"""smtp_dialog.py - run an SMTP dialog script against a server, byte-exact.

Usage: smtp_dialog.py [--bind ADDR] [--timeout SEC] HOST PORT SCRIPT

SCRIPT lines (one action each; '#' lines and empty lines are ignored):
  C: text     send text + CR LF ("C:" alone: an empty line)
  R: text     send text raw, with Python escapes (\\r \\n \\x00 \\\\), no CR LF added
  S: text     expect exactly this reply line (without its CR LF)
  S~ regex    expect a reply line matching the regex (re.fullmatch)
  M: N        expect a multi-line reply: skip lines until the last one
              (code followed by a space) and expect that its code is N
  SLOW: n text  send text raw (escapes as R:) one byte every n seconds,
              stopping quietly when the server closes the connection
  EOF         expect the server to close the connection (no more data)
  SLEEP: sec  wait
Every line the server sends must be expected: a mismatch, a line that
does not end with CR LF, or a timeout prints what happened and exits 1.
"""
import re
import socket
import sys
import time


def unescape(text):
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


class Dialog:
    def __init__(self, sock, timeout):
        self.sock = sock
        self.buf = b""
        self.timeout = timeout
        self.sock.settimeout(timeout)

    def line(self):
        deadline = time.time() + self.timeout
        while b"\n" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no reply line within %ss" % self.timeout)
            data = self.sock.recv(65536)
            if not data:
                if self.buf:
                    raise EOFError("connection closed after partial line %r" % self.buf)
                return None
            self.buf += data
        raw, self.buf = self.buf.split(b"\n", 1)
        if not raw.endswith(b"\r"):
            raise ValueError("reply line without CR LF: %r" % raw)
        return raw[:-1].decode("utf-8", "replace")

    def eof(self):
        if self.buf:
            return False
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        return data == b""


def fail(lineno, text):
    sys.stderr.write("dialog line %d: %s\n" % (lineno, text))
    sys.exit(1)


def main():
    args = sys.argv[1:]
    bind = None
    timeout = 10.0
    while args and args[0].startswith("--"):
        if args[0] == "--bind":
            bind = args[1]
            args = args[2:]
        elif args[0] == "--timeout":
            timeout = float(args[1])
            args = args[2:]
        else:
            fail(0, "unknown option " + args[0])
    host, port, script = args[0], int(args[1]), args[2]
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    if bind:
        sock.bind((bind, 0))
    sock.connect((host, port))
    d = Dialog(sock, timeout)
    with open(script, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, text in enumerate(lines, 1):
        if not text.strip() or text.startswith("#"):
            continue
        try:
            if text == "C:":
                sock.sendall(b"\r\n")
            elif text.startswith("C: "):
                sock.sendall(text[3:].encode("utf-8") + b"\r\n")
            elif text.startswith("R: "):
                sock.sendall(unescape(text[3:]))
            elif text.startswith("SLOW: "):
                delay, payload = text[6:].split(" ", 1)
                for byte in unescape(payload):
                    try:
                        sock.sendall(bytes([byte]))
                    except (BrokenPipeError, ConnectionResetError):
                        break
                    time.sleep(float(delay))
            elif text.startswith("S: "):
                got = d.line()
                if got != text[3:]:
                    fail(n, "expected %r, got %r" % (text[3:], got))
            elif text.startswith("S~ "):
                got = d.line()
                if got is None or not re.fullmatch(text[3:], got):
                    fail(n, "expected /%s/, got %r" % (text[3:], got))
            elif text.startswith("M: "):
                while True:
                    got = d.line()
                    if got is None:
                        fail(n, "connection closed in a multi-line reply")
                    if len(got) < 4 or got[3] != "-":
                        break
                if not got.startswith(text[3:] + " "):
                    fail(n, "expected final %s, got %r" % (text[3:], got))
            elif text.startswith("SLEEP: "):
                time.sleep(float(text[7:]))
            elif text == "EOF":
                if not d.eof():
                    fail(n, "expected the connection to close, got %r" % d.line())
            else:
                fail(n, "bad script line %r" % text)
        except (TimeoutError, socket.timeout) as e:
            fail(n, "timeout: %s" % e)
        except (EOFError, ValueError, ConnectionResetError, BrokenPipeError) as e:
            fail(n, str(e))
    sock.close()


if __name__ == "__main__":
    main()
