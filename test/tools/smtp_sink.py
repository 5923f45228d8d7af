#!/usr/bin/env python3
"""smtp_sink - TEST-ONLY capturing SMTP/LMTP server for the smtp client tests.

Usage: smtp_sink.py --out DIR [options] LISTEN...
  LISTEN          ADDR:PORT or [IPV6]:PORT (TCP), or unix:/path (UNIX socket)
  --out DIR       each transaction goes to DIR/msg-N (envelope lines, then
                  "--", then the data as received, dot-unstuffed); each
                  connection appends "conn LISTEN from PEERADDR" to
                  DIR/connections,
                  and "close LISTEN" when it ends
  --lmtp          speak LMTP (LHLO, one reply per recipient after DATA)
  --tls CERT KEY  offer STARTTLS with this certificate (the SNI name a
                  client sends is recorded: "sni LISTEN NAME")
  --auth U:P      offer AUTH PLAIN LOGIN; MAIL before AUTH gets 530
  --rcpt ADDR=REPLY   reply for RCPT TO:<ADDR> (e.g. "550 5.1.1 no such user")
  --data-rcpt ADDR=REPLY  LMTP: ADDR's reply after DATA (default 250)
  --greeting REPLY    instead of "220 ... ESMTP"
  --size N        announce SIZE N
  --no-pipelining     do not announce PIPELINING
  --no-ehlo       answer EHLO with 502 (HELO only)
  --no-smtputf8   do not announce SMTPUTF8
  --no-dsn        do not announce DSN
  --no-8bitmime   do not announce 8BITMIME
  --greeting-delay SEC  wait this long before the greeting
  --tls-broken    announce STARTTLS, answer 220, then send garbage
  --wrapper       TLS at once after accept (port 465), with --tls's files
  --mail-reply REPLY  answer every MAIL FROM with this
Announces PIPELINING, SIZE, DSN, 8BITMIME, SMTPUTF8 (and STARTTLS/AUTH as
configured). Writes DIR/ready once listening. Stops on SIGTERM.
"""
import argparse, base64, os, signal, socket, ssl, sys, threading

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--lmtp", action="store_true")
ap.add_argument("--tls", nargs=2)
ap.add_argument("--auth")
ap.add_argument("--rcpt", action="append", default=[])
ap.add_argument("--data-rcpt", action="append", default=[])
ap.add_argument("--greeting")
ap.add_argument("--size", type=int, default=0)
ap.add_argument("--no-pipelining", action="store_true")
ap.add_argument("--no-ehlo", action="store_true")
ap.add_argument("--no-smtputf8", action="store_true")
ap.add_argument("--no-dsn", action="store_true")
ap.add_argument("--no-8bitmime", action="store_true")
ap.add_argument("--greeting-delay", type=float, default=0)
ap.add_argument("--tls-broken", action="store_true")
ap.add_argument("--wrapper", action="store_true")
ap.add_argument("--mail-reply")
ap.add_argument("listen", nargs="+")
opt = ap.parse_args()

rcpt_replies = {}
for r in opt.rcpt:
    a, _, rep = r.partition("=")
    rcpt_replies[a.lower()] = rep
data_replies = {}
for r in opt.data_rcpt:
    a, _, rep = r.partition("=")
    data_replies[a.lower()] = rep
lock = threading.Lock()
counter = [0]


def record(line):
    with lock:
        with open(os.path.join(opt.out, "connections"), "a") as f:
            f.write(line + "\n")


def save(env, data):
    with lock:
        counter[0] += 1
        n = counter[0]
    tmp = os.path.join(opt.out, ".msg-%d" % n)
    with open(tmp, "wb") as f:
        f.write(("\n".join(env) + "\n--\n").encode())
        f.write(data)
    os.rename(tmp, os.path.join(opt.out, "msg-%d" % n))


class Session:
    def __init__(self, sock, name, peer):
        self.sock = sock
        self.name = name
        self.peer = peer
        self.f = sock.makefile("rb")
        self.tls = False
        self.authed = None

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def readline(self):
        l = self.f.readline(65536)
        if not l:
            return None
        return l.rstrip(b"\r\n").decode("utf-8", "replace")

    def features(self):
        f = ["PIPELINING"] if not opt.no_pipelining else []
        f += ["SIZE %d" % opt.size if opt.size else "SIZE"]
        if not opt.no_dsn:
            f.append("DSN")
        if not opt.no_8bitmime:
            f.append("8BITMIME")
        if not opt.no_smtputf8:
            f.append("SMTPUTF8")
        if (opt.tls or opt.tls_broken) and not self.tls:
            f.append("STARTTLS")
        if opt.auth:
            f.append("AUTH PLAIN LOGIN")
        return f

    def start_tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opt.tls[0], opt.tls[1])
        ctx.sni_callback = lambda sobj, name, c: record("sni %s %s" % (self.name, name))
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            record("tls-failed " + self.name + " " + str(e))
            return False
        self.f = self.sock.makefile("rb")
        self.tls = True
        record("tls " + self.name)
        return True

    def run(self):
        record("conn %s from %s" % (self.name, self.peer))
        if opt.wrapper and not self.start_tls():
            return
        if opt.greeting_delay:
            import time
            time.sleep(opt.greeting_delay)
        if opt.greeting:
            self.send(opt.greeting)
            if not opt.greeting.startswith("2"):
                while True:
                    l = self.readline()
                    if l is None or l.upper().startswith("QUIT"):
                        break
                    self.send("503 5.5.0 go away")
                return
        else:
            self.send("220 sink.test ESMTP")
        env, helo = [], None
        while True:
            l = self.readline()
            if l is None:
                return
            u = l.upper()
            if u.startswith("EHLO") or u.startswith("LHLO") or u.startswith("HELO"):
                if opt.no_ehlo and u.startswith("EHLO"):
                    self.send("502 5.5.2 no EHLO here")
                    continue
                helo = l
                env = []
                if u.startswith("HELO"):
                    self.send("250 sink.test")
                    continue
                feats = self.features()
                lines = ["sink.test"] + feats
                for i, x in enumerate(lines):
                    self.send(("250 " if i == len(lines) - 1 else "250-") + x)
            elif u == "STARTTLS" and opt.tls_broken:
                self.send("220 2.0.0 go ahead")
                self.sock.sendall(b"this is not a TLS record\r\n" * 4)
                record("tls-broken " + self.name)
                return
            elif u == "STARTTLS" and opt.tls and not self.tls:
                self.send("220 2.0.0 go ahead")
                if not self.start_tls():
                    return
            elif u.startswith("AUTH ") and opt.auth:
                parts = l.split()
                if parts[1].upper() != "PLAIN":
                    self.send("504 5.5.4 PLAIN only here")
                    continue
                if len(parts) > 2:
                    resp = parts[2]
                else:
                    self.send("334 ")
                    resp = self.readline() or ""
                try:
                    _, user, pw = base64.b64decode(resp).decode().split("\0")
                except Exception:
                    self.send("501 5.5.2 bad base64")
                    continue
                if user + ":" + pw == opt.auth:
                    self.authed = user
                    record("auth " + user)
                    self.send("235 2.7.0 Authentication successful")
                else:
                    self.send("535 5.7.8 Authentication failed")
            elif u.startswith("MAIL FROM:"):
                if opt.auth and not self.authed:
                    self.send("530 5.7.0 Authentication required")
                    continue
                if opt.mail_reply:
                    env = []
                    self.send(opt.mail_reply)
                    continue
                env = ["helo=" + (helo or ""), "tls=%d" % self.tls, "mail=" + l[10:]]
                self.send("250 2.1.0 Ok")
            elif u.startswith("RCPT TO:"):
                arg = l[8:]
                addr = arg.split(">")[0].lstrip("<").lower()
                rep = rcpt_replies.get(addr, "250 2.1.5 Ok")
                if rep.startswith("2"):
                    env.append("rcpt=" + arg)
                self.send(rep)
            elif u == "DATA":
                rcpts = [e for e in env if e.startswith("rcpt=")]
                if not rcpts:
                    self.send("554 5.5.1 Error: no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while True:
                    raw = self.f.readline(1 << 20)
                    if not raw:
                        return
                    if raw == b".\r\n":
                        break
                    if raw.startswith(b"."):
                        raw = raw[1:]
                    data += raw
                save(env, data)
                n = counter[0]
                if opt.lmtp:
                    for r in rcpts:
                        a = r[5:].split()[0]
                        rep = data_replies.get(a.strip("<>").lower())
                        self.send(rep or "250 2.0.0 %s Saved as %d" % (a, n))
                else:
                    self.send("250 2.0.0 Ok: queued as SINK%d" % n)
                env = env[:3]
            elif u == "RSET":
                env = []
                self.send("250 2.0.0 Ok")
            elif u == "NOOP":
                self.send("250 2.0.0 Ok")
            elif u == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


def serve(lsock, name):
    while True:
        try:
            c, peer = lsock.accept()
            peer = peer[0] if isinstance(peer, tuple) else "unix"
        except OSError:
            return
        def run(c=c, peer=peer):
            try:
                Session(c, name, peer).run()
            except (OSError, ssl.SSLError):
                pass
            finally:
                record("close " + name)
                try:
                    c.close()
                except OSError:
                    pass
        threading.Thread(target=run, daemon=True).start()


socks = []
for l in opt.listen:
    if l.startswith("unix:"):
        path = l[5:]
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, 0o666)
    else:
        host, _, port = l.rpartition(":")
        host = host.strip("[]")
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    s.listen(50)
    socks.append(s)
    threading.Thread(target=serve, args=(s, l), daemon=True).start()
open(os.path.join(opt.out, "ready"), "w").close()
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
while True:
    signal.pause()
