#!/usr/bin/env python3
"""smtp_tls.py - small SMTP-over-TLS client steps for the smtpd TLS tests.

Usage: smtp_tls.py [--wrapper] HOST PORT SCRIPT

SCRIPT lines (one action each; '#' and empty lines ignored):
  C: text      send text + CR LF (through TLS once it is active)
  R: text      send text raw (Python escapes), no CR LF added
  S: text      expect exactly this reply line
  S~ regex     expect a reply line matching the regex (re.fullmatch)
  M: N         a multi-line reply: print its lines, expect final code N
  TLS          start TLS now (after a 220 to STARTTLS); no verification
  EOF          expect the server to close the connection
  WAITFILE: p  wait (up to 30 s) until the file p exists
Every reply line read is printed to stdout as "S: line"; exit 1 on a
mismatch or a timeout, with the reason on stderr.
"""
import re
import os
import socket
import ssl
import sys
import time


class Conn:
    def __init__(self, host, port, wrapper):
        self.sock = socket.create_connection((host, port), timeout=15)
        self.buf = b""
        if wrapper:
            self.starttls(host)

    def starttls(self, host):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if self.buf:
            raise SystemExit("bytes after 220 before TLS: %r" % self.buf)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=host)

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.rstrip(b"\r").decode("latin-1")
        print("S: " + text, flush=True)
        return text


def main():
    args = sys.argv[1:]
    wrapper = False
    if args and args[0] == "--wrapper":
        wrapper = True
        args = args[1:]
    host, port, script = args[0], int(args[1]), args[2]
    c = Conn(host, port, wrapper)
    try:
        for raw in open(script, encoding="utf-8"):
            raw = raw.rstrip("\n")
            if not raw or raw.startswith("#"):
                continue
            if raw.startswith("C:"):
                c.sock.sendall(raw[2:].lstrip(" ").encode("utf-8") + b"\r\n")
            elif raw.startswith("R:"):
                text = raw[2:].lstrip(" ")
                c.sock.sendall(text.encode("utf-8").decode("unicode_escape").encode("latin-1"))
            elif raw.startswith("S:"):
                want = raw[2:].lstrip(" ")
                got = c.line()
                if got != want:
                    sys.exit("expected %r, got %r" % (want, got))
            elif raw.startswith("S~"):
                want = raw[2:].lstrip(" ")
                got = c.line()
                if not re.fullmatch(want, got):
                    sys.exit("expected /%s/, got %r" % (want, got))
            elif raw.startswith("M:"):
                want = raw[2:].strip()
                while True:
                    got = c.line()
                    if len(got) < 4 or got[3] != "-":
                        break
                if not got.startswith(want + " "):
                    sys.exit("expected final %s, got %r" % (want, got))
            elif raw.startswith("WAITFILE:"):
                path = raw[9:].strip()
                deadline = time.time() + 30
                while not os.path.exists(path):
                    if time.time() > deadline:
                        sys.exit("timeout waiting for " + path)
                    time.sleep(0.05)
            elif raw == "TLS":
                c.starttls(host)
            elif raw == "EOF":
                try:
                    got = c.line()
                    sys.exit("expected EOF, got %r" % got)
                except (EOFError, ConnectionResetError, ssl.SSLError):
                    pass
            else:
                sys.exit("bad script line %r" % raw)
    except EOFError:
        sys.exit("connection closed early")
    except socket.timeout:
        sys.exit("timeout")


main()
