#!/usr/bin/env python3
# rawclient.py SOCKET MODE - TEST-ONLY: speaks the cleanup protocol by hand,
# to send what no well-behaved client sends. Prints the queue id, then
# "reply=<repr of the bytes cleanup answered>" (b'' when it hung up).
#   badlen    a record length encoding longer than 5 bytes
#   huge      a record announced as 10 MB
#   badflags  a non-numeric flags attribute
#   badtype   a record type that does not belong in the content
#   eof       the connection closed in the middle of a record
import socket
import sys


def rec(t, data=b""):
    n, enc = len(data), b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            enc += bytes([b | 0x80])
        else:
            enc += bytes([b])
            break
    return t + enc + data


s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
mode = sys.argv[2]
data = b""
while data.count(b"\0") < 3:
    chunk = s.recv(100)
    if not chunk:
        break
    data += chunk
print(data.split(b"\0")[1].decode() if data.count(b"\0") >= 2 else "none")
sys.stdout.flush()
env = rec(b"T", b"1795263242 0") + rec(b"S", b"a@b.test") + rec(b"R", b"c@d.test")
if mode == "badflags":
    s.sendall(b"flags\0abc\0\0")
else:
    s.sendall(b"flags\x000\x00\x00")
if mode == "badlen":
    s.sendall(env + b"M\x00N\xff\xff\xff\xff\xff\xff\x01")
elif mode == "huge":
    s.sendall(env + rec(b"M") + b"N\x80\xad\xe2\x04" + b"x" * 1000)
elif mode == "badtype":
    s.sendall(env + rec(b"M") + rec(b"N", b"Subject: x") + rec(b"Q", b"what") + rec(b"X") + rec(b"E"))
elif mode == "eof":
    s.sendall(env + rec(b"M") + b"N\x10abc")
    s.shutdown(socket.SHUT_WR)
reply = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
except (socket.timeout, ConnectionResetError):
    pass
print("reply=%r" % reply)
