#!/usr/bin/env python3
"""smtp_xsink - TEST-ONLY SMTP server for the smtp client's XFORWARD and
deadline tests: it logs every command line exactly as received, and can
hold its pipelined replies or drip its replies a byte at a time.

Usage: smtp_xsink.py --log FILE --port-file FILE [options] ADDR
  ADDR              listen on ADDR, port 0 (the kernel's choice); the port
                    goes to --port-file once listening
  --log FILE        per connection "conn", then each command line as
                    received; "<data N lines>" for a message's content
  --ehlo KEYWORD    an EHLO keyword to announce (repeatable, in order; e.g.
                    "PIPELINING", "XFORWARD NAME ADDR PROTO HELO")
  --xforward-reply REPLY  the reply to XFORWARD (default "250 2.0.0 Ok")
  --greeting TEXT   the greeting (default "220 xsink.test ESMTP")
  --drip SEC        send every reply of --drip-what one byte per SEC seconds
  --drip-what WHAT  greeting (default), or a command verb (MAIL, DATA, ...;
                    DOT: the reply after the content)
  --msgs DIR        each message's content, dot-unstuffed, to DIR/msg-N
With PIPELINING announced, the server holds its replies until a command
that needs an answer before the client can go on (EHLO, HELO, DATA, QUIT,
NOOP, the end of the content), as RFC 2920 allows: a client that waits for
the reply to XFORWARD, MAIL or RCPT before it sends the next command then
waits in vain. Stops on SIGTERM.
"""
import argparse, os, signal, socket, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--ehlo", action="append", default=[])
ap.add_argument("--xforward-reply", default="250 2.0.0 Ok")
ap.add_argument("--greeting", default="220 xsink.test ESMTP")
ap.add_argument("--drip", type=float, default=0)
ap.add_argument("--drip-what", default="greeting")
ap.add_argument("--msgs")
ap.add_argument("addr")
opt = ap.parse_args()
lock = threading.Lock()
counter = [0]
pipelining = any(k.upper() == "PIPELINING" for k in opt.ehlo)
SYNC = ("greeting", "EHLO", "HELO", "DATA", "QUIT", "NOOP", "DOT")


def note(text):
    with lock:
        with open(opt.log, "a") as f:
            f.write(text + "\n")


class Session:
    def __init__(self, sock):
        self.sock = sock
        self.f = sock.makefile("rb")
        self.held = []

    def send(self, text, what):
        data = text.encode() + b"\r\n"
        if opt.drip and what == opt.drip_what:
            self.flush()
            for i in range(len(data)):
                time.sleep(opt.drip)
                self.sock.sendall(data[i:i + 1])
            return
        self.held.append(data)
        if not pipelining or what in SYNC:
            self.flush()

    def flush(self):
        if self.held:
            self.sock.sendall(b"".join(self.held))
            self.held = []

    def run(self):
        note("conn")
        self.send(opt.greeting, "greeting")
        while True:
            raw = self.f.readline(4096)
            if not raw:
                return
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            note(line)
            verb = line.split(" ")[0].split(":")[0].upper()
            if verb in ("EHLO", "HELO"):
                lines = ["xsink.test"] + (opt.ehlo if verb == "EHLO" else [])
                text = "\r\n".join(("250 " if i == len(lines) - 1 else "250-") + x
                                   for i, x in enumerate(lines))
                self.send(text, verb)
            elif verb == "XFORWARD":
                self.send(opt.xforward_reply, verb)
            elif verb == "DATA":
                self.send("354 go ahead", verb)
                n, data = 0, b""
                while True:
                    raw = self.f.readline(1 << 20)
                    if not raw:
                        return
                    if raw == b".\r\n":
                        break
                    n += 1
                    data += raw[1:] if raw.startswith(b".") else raw
                note("<data %d lines>" % n)
                if opt.msgs:
                    with lock:
                        counter[0] += 1
                        name = os.path.join(opt.msgs, "msg-%d" % counter[0])
                    with open(name + ".tmp", "wb") as f:
                        f.write(data)
                    os.rename(name + ".tmp", name)
                self.send("250 2.0.0 Ok: queued", "DOT")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye", verb)
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.send("250 2.0.0 Ok", verb)
            else:
                self.send("502 5.5.2 Error: command not recognized", verb)


def serve(c):
    try:
        Session(c).run()
    except OSError:
        pass
    finally:
        note("close")
        try:
            c.close()
        except OSError:
            pass


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((opt.addr, 0))
s.listen(16)
tmp = opt.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(tmp, opt.port_file)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
