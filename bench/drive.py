#!/usr/bin/env python3
"""bench/drive.py - the timing and sampling half of bench/run.

bench/run (bash) sets up the mail systems; this helper does what needs a
clock or /proc:

  drive.py load   --source BIN --target HOST:PORT -n N --size BYTES
                  --sessions S --wait none|sink:FILE|maildir:DIR|mbox:FILE
                  --master PID --timeout SECONDS
      Runs smtp-source once and prints one line of key=value pairs:
      accept_s (smtp-source start to exit), done_s (start until the sink,
      Maildir or mbox holds all N new messages; = accept_s for --wait none),
      cpu_s (user+sys of master and everything under it, exited children
      included, during the run), peak_rss_kb and peak_pss_kb (largest
      sampled sums of Rss and Pss of master and its descendants, every
      50 ms), status=ok|timeout|failed.
  drive.py latency --source BIN --target HOST:PORT --sink FILE -n N
                  --timeout SECONDS
      Sends N messages one at a time, each after the previous one reached
      the sink; prints median_ms, p99_ms and status.
  drive.py disk   --dir DIR [--seconds S] [--max N] [--jobs J]
      The disk's own limit: create, write 2 KB, fsync, rename, unlink, as
      fast as possible for S seconds (at most N cycles) in J threads at
      once; prints ops_s (cycles per second, all threads).
  drive.py strace FILE
      Parses `strace -c -f` output: prints "fsyncs=N syscalls=N".

Every loop is bounded by a count and a deadline; on timeout the child
smtp-source is killed by pid and status=timeout is printed. Bad input
(a missing file, an unparsable counter) is treated as "nothing yet" until
the deadline. Exit status is 0 whenever a result line was printed.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time

CLK = os.sysconf("SC_CLK_TCK")
MAX_READ = 1 << 16


# ---------------------------------------------------------------- /proc


def _proc_table():
    """pid -> (ppid, user+sys+cutime+cstime ticks); processes that vanish
    while being read are skipped."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read(4096)
        except OSError:
            continue
        # comm may hold spaces and parentheses: split after the last ')'.
        end = data.rfind(b")")
        if end < 0:
            continue
        fields = data[end + 2:].split()
        if len(fields) < 15:
            continue
        try:
            ppid = int(fields[1])
            ticks = sum(int(x) for x in fields[11:15])
        except ValueError:
            continue
        table[int(name)] = (ppid, ticks)
    return table


def _tree(table, root):
    """root and all its descendants present in table."""
    kids = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo and len(out) < 100000:
        p = todo.pop()
        if p in table:
            out.append(p)
            todo.extend(kids.get(p, []))
    return out


def cpu_ticks(root):
    """Cumulative CPU ticks of the tree under root: every live process's
    own and reaped children's time. A worker that exited was reaped by its
    parent (master), whose cutime/cstime then holds its whole time."""
    table = _proc_table()
    return sum(table[p][1] for p in _tree(table, root))


def mem_kb(root):
    """(sum of Rss, sum of Pss) in kB over the tree under root; Pss shares
    each shared page among the processes mapping it, so it does not count
    the shared libraries once per process as the Rss sum does."""
    rss = pss = 0
    for pid in _tree(_proc_table(), root):
        try:
            with open("/proc/%d/smaps_rollup" % pid, "rb") as f:
                for line in f.read(8192).splitlines():
                    if line.startswith(b"Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith(b"Pss:"):
                        pss += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self, root, interval=0.05):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = self.peak_pss = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            rss, pss = mem_kb(self.root)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.stop.wait(self.interval)


# ---------------------------------------------------------------- counters


def sink_count(path):
    """Last mesg=N of smtp-sink -c output (counters end with CR)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256))
            tail = f.read(256)
    except OSError:
        return 0
    found = re.findall(rb"mesg=(\d+)", tail)
    return int(found[-1]) if found else 0


def maildir_count(path):
    try:
        return sum(1 for _ in os.scandir(os.path.join(path, "new")))
    except OSError:
        return 0


class MboxCounter:
    """Counts 'From ' separator lines, reading only what was appended."""

    def __init__(self, path):
        self.path, self.offset, self.count, self.carry = path, 0, 0, b"\n"

    def __call__(self, _path=None):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                while True:
                    chunk = f.read(MAX_READ)
                    if not chunk:
                        break
                    data = self.carry + chunk
                    self.count += data.count(b"\nFrom ")
                    self.carry = data[-6:]
                    self.offset += len(chunk)
        except OSError:
            pass
        return self.count


def counter_for(spec):
    if spec == "none":
        return None, 0.0
    kind, _, path = spec.partition(":")
    if kind == "sink":
        return (lambda: sink_count(path)), 0.01
    if kind == "maildir":
        return (lambda: maildir_count(path)), 0.05
    if kind == "mbox":
        c = MboxCounter(path)
        return c, 0.05
    sys.exit("drive.py: bad --wait %r" % spec)


# ---------------------------------------------------------------- workloads


def source_cmd(a, n, sessions):
    return [a.source, "-s", str(sessions), "-m", str(n), "-l", str(a.size),
            "-f", a.sender, "-t", a.rcpt, "-M", "client.example.com", a.target]


def do_load(a):
    counter, interval = counter_for(a.wait)
    base = counter() if counter else 0
    deadline = time.monotonic() + a.timeout
    cpu0 = cpu_ticks(a.master)
    sampler = Sampler(a.master)
    sampler.start()
    t0 = time.monotonic()
    with open(a.log, "ab") as log:
        proc = subprocess.Popen(source_cmd(a, a.n, a.sessions), stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL)
        status = "ok"
        try:
            rc = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            if rc != 0:
                status = "failed"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = "timeout"
    t_accept = time.monotonic() - t0
    t_done = t_accept
    if status == "ok" and counter:
        while counter() - base < a.n:
            if time.monotonic() > deadline:
                status = "timeout"
                break
            time.sleep(interval)
        t_done = time.monotonic() - t0
    cpu = (cpu_ticks(a.master) - cpu0) / CLK
    sampler.stop.set()
    sampler.join()
    print("status=%s accept_s=%.4f done_s=%.4f cpu_s=%.3f peak_rss_kb=%d "
          "peak_pss_kb=%d" % (status, t_accept, t_done, cpu, sampler.peak_rss,
                              sampler.peak_pss))


def do_latency(a):
    deadline = time.monotonic() + a.timeout
    lat = []
    status = "ok"
    with open(a.log, "ab") as log:
        for _ in range(a.n):
            base = sink_count(a.sink)
            t0 = time.monotonic()
            rc = subprocess.call(source_cmd(a, 1, 1), stdout=log, stderr=log,
                                 stdin=subprocess.DEVNULL,
                                 timeout=max(0.1, deadline - t0))
            if rc != 0:
                status = "failed"
                break
            while sink_count(a.sink) <= base and time.monotonic() < deadline:
                time.sleep(0.001)
            if sink_count(a.sink) <= base:
                status = "timeout"
                break
            lat.append((time.monotonic() - t0) * 1000.0)
    if not lat:
        print("status=%s median_ms=nan p99_ms=nan" % status)
        return
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
    print("status=%s median_ms=%.2f p99_ms=%.2f n=%d"
          % (status, statistics.median(lat), p99, len(lat)))


def _disk_writer(d, tag, end, limit, counts, slot):
    buf = b"x" * 2048
    n = 0
    while n < limit and time.monotonic() < end:
        tmp = os.path.join(d, "t%s.%d" % (tag, n))
        fin = os.path.join(d, "f%s.%d" % (tag, n))
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        try:
            os.write(fd, buf)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, fin)
        os.unlink(fin)
        n += 1
    counts[slot] = n


def do_disk(a):
    jobs = max(1, min(a.jobs, 256))
    counts = [0] * jobs
    t0 = time.monotonic()
    end = t0 + a.seconds
    # fsync releases the GIL: threads wait on the disk in parallel.
    threads = [threading.Thread(target=_disk_writer,
                                args=(a.dir, "%d.%d" % (os.getpid(), i), end,
                                      a.max // jobs + 1, counts, i))
               for i in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("status=ok ops_s=%.1f" % (sum(counts) / (time.monotonic() - t0)))


def do_strace(a):
    fsyncs = total = 0
    try:
        with open(a.file, "r", errors="replace") as f:
            lines = f.read(1 << 20).splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) < 5:
            continue
        name = parts[-1]
        try:
            # columns: % time, seconds, usecs/call, calls, [errors,] syscall
            calls = int(parts[3])
        except ValueError:
            continue
        if name == "total":
            total = calls
        elif name in ("fsync", "fdatasync", "syncfs", "sync", "sync_file_range"):
            fsyncs += calls
    print("fsyncs=%d syscalls=%d" % (fsyncs, total))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("load", "latency"):
        s = sub.add_parser(name)
        s.add_argument("--source", required=True)
        s.add_argument("--target", required=True)
        s.add_argument("-n", type=int, required=True)
        s.add_argument("--size", type=int, default=1000)
        s.add_argument("--sessions", type=int, default=20)
        s.add_argument("--sender", default="sender@client.example.com")
        s.add_argument("--rcpt", default="rcpt@remote.example.net")
        s.add_argument("--timeout", type=float, default=600)
        s.add_argument("--log", default="/dev/null")
        if name == "load":
            s.add_argument("--wait", default="none")
            s.add_argument("--master", type=int, required=True)
        else:
            s.add_argument("--sink", required=True)
    s = sub.add_parser("disk")
    s.add_argument("--dir", required=True)
    s.add_argument("--seconds", type=float, default=3)
    s.add_argument("--max", type=int, default=200000)
    s.add_argument("--jobs", type=int, default=1)
    s = sub.add_parser("strace")
    s.add_argument("file")
    a = p.parse_args()
    if getattr(a, "n", 1) < 1 or getattr(a, "n", 1) > 10000000:
        sys.exit("drive.py: -n out of range")
    {"load": do_load, "latency": do_latency, "disk": do_disk,
     "strace": do_strace}[a.cmd](a)


if __name__ == "__main__":
    main()
