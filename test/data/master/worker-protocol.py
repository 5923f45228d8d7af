"""Drive one test_echo worker the way master does, without master, and
check the skeleton's side of the protocol (lib/server.h): descriptors 3
(status) and 4 (listening socket), 'B'/'A' status bytes, max_use, and
end-of-file from master. Prints TAP lines; argv: test_echo path."""
import os
import socket
import subprocess
import sys
import time

n = 0
failed = 0


def check(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what), flush=True)


def spawn(prog, *opts):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(10)
    ls.setblocking(False)
    m, w = socket.socketpair()

    def place():
        # Out of the way first: the sources may sit on 3 or 4 themselves.
        hw = os.dup2(w.fileno(), 100)
        hl = os.dup2(ls.fileno(), 101)
        os.dup2(hw, 3)
        os.dup2(hl, 4)

    p = subprocess.Popen([prog, "-n", "proto", "-t", "inet"] + list(opts),
                         preexec_fn=place, close_fds=False,
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    w.close()
    m.settimeout(5)
    return p, m, ls


def client(ls):
    c = socket.create_connection(ls.getsockname(), timeout=5)
    f = c.makefile("rwb")
    hello = f.readline()
    return c, f, hello


def status(m, count):
    got = b""
    while len(got) < count:
        b = m.recv(count - len(got))
        if not b:
            break
        got += b
    return got


prog = sys.argv[1]

p, m, ls = spawn(prog, "-o", "max_use=2")
c, f, hello = client(ls)
check(hello.startswith(b"hello service=proto "), "the worker serves a client on descriptor 4")
check(status(m, 1) == b"B", "it reports busy on descriptor 3 when it takes the client")
f.write(b"quit\n")
f.flush()
check(status(m, 1) == b"A", "and available when the client is done")
c.close()
c, f, hello = client(ls)
f.write(b"quit\n")
f.flush()
check(status(m, 2) == b"BA", "a second client: busy, then available")
check(status(m, 1) == b"", "max_use=2: then it hangs up its status channel")
check(p.wait(5) == 0, "and exits 0")
m.close()
ls.close()

p, m, ls = spawn(prog)
c, f, hello = client(ls)
check(status(m, 1) == b"B", "a new worker takes a client")
m.close()  # master hangs up: reload or stop
deadline = time.time() + 5
link = ""
while time.time() < deadline:
    link = os.readlink("/proc/%d/fd/4" % p.pid)
    if link == "/dev/null":
        break
    time.sleep(0.05)
check(link == "/dev/null", "when master hangs up, a busy worker lets go of its listening socket at once")
f.write(b"still there\n")
f.flush()
check(f.readline() == b"still there\n", "and still serves its client")
f.write(b"quit\n")
f.flush()
check(p.wait(5) == 0, "then exits 0")
c.close()
ls.close()

p, m, ls = spawn(prog)
m.close()
check(p.wait(5) == 0, "an idle worker exits 0 as soon as master hangs up")
ls.close()

r = subprocess.run([prog, "-n", "x"], stdin=subprocess.DEVNULL, capture_output=True)
check(r.returncode == 1 and b"usage:" in r.stderr, "without -t the worker prints its usage and exits 1")
print("1..%d" % n)
sys.exit(1 if failed else 0)
