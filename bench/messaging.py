#!/usr/bin/env python3
"""Messaging throughput: pub/sub fan-out, stream appends and consumer-group
reads, shoal-server vs redis-server on loopback.

Usage:
    /usr/bin/python3 bench/messaging.py [--rounds 3] [--quick] [--subscribers 50]
        [--messages 100000] [--size 64] [--publishers 1] [--reader-procs 2]
        [--xadd-n 200000] [--xadd-n16 1000000] [--group-n 200000] [--consumers 4]
        [--skip-pubsub] [--skip-xadd] [--skip-group]

Starts a redis-server (AOF, appendfsync everysec, as bench/compare.py) and a
shoal-server (appendfsync everysec; $SHOAL_SERVER or build/server/shoal-server)
on free loopback ports. Each round measures both servers one after the other,
alternating which goes first; the table gives the median of the rounds and
the ratio shoal/redis (above 1 = shoal faster).

fan-out: --subscribers connections SUBSCRIBE to one channel, spread over
  --reader-procs forked reader processes (epoll, recv_into a preallocated
  buffer: no parsing while timed). --publishers connections then PUBLISH
  --messages messages of --size bytes between them, pipelined with at most
  PUB_WINDOW unanswered. deliveries/s = subscribers * messages / (time from
  the first PUBLISH sent to the last byte of the last subscriber). Every
  PUBLISH must answer :<subscribers>, and every subscriber must receive
  exactly the expected byte stream (each message once, in publish order per
  publisher); anything else fails the run with the first difference.
xadd: redis-benchmark -c 50 -P 1 and -P 16 of `XADD mystream * field value`
  on an emptied key; afterwards XLEN mystream must equal -n.
xreadgroup: a stream of --group-n entries (loaded untimed), XGROUP CREATE at
  0, then --consumers forked consumers loop XREADGROUP COUNT 100 ... > with
  the XACK of the previous batch in the same write, until the group has
  nothing new. entries/s = group-n / time until the last consumer is done;
  every entry must reach exactly one consumer and XPENDING must then be 0.

Exit status: 0 if every measurement ran and every check passed, 1 otherwise
(a server answering an error, e.g. "ERR command not implemented", is
reported and its rows show "-").
"""
import argparse
import functools
import os
import re
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from servers import SHOAL_SERVER as SHOAL
from servers import ServerError, cpu_seconds, encode, machine_facts, start, stop

KINDS = ("redis", "shoal")
CHANNEL = b"bench:fanout"
PUB_BATCH = 256            # PUBLISH commands per send
PUB_WINDOW = 2048          # most PUBLISH commands sent but not yet answered
RECV_CHUNK_BYTES = 1 << 20  # most bytes one recv_into may take
SOCK_RCVBUF_BYTES = 4 << 20  # kernel receive buffer asked for (capped by rmem_max)
REDIS_BENCHMARK_TIMEOUT_S = 300


class BenchError(Exception):
    """A server misbehaved or a check failed; the message says which."""


def recv_exact(sock, n, what):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise BenchError(f"{what}: connection closed after {bytes(buf)!r}")
        buf += chunk
    return bytes(buf)


def call(port, *args, timeout=30):
    """One command on a fresh connection; returns the raw reply line(s) read
    within a short wait (enough for the small replies used here)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(encode(*args))
        data = s.recv(65536)
        if data.startswith(b"-"):
            name = args[0].decode() if isinstance(args[0], bytes) else args[0]
            raise BenchError(f"{name} on port {port}: {data.decode(errors='replace').strip()}")
        return data


def spawn(target, *args):
    """Forks a child that runs target(*args, out, go_fd) and exits: `out` is
    a text file whose lines the parent reads back, go_fd a pipe the child
    reads the start byte "g" from. An exception escaping target is written
    as an "error ..." line. Returns (pid, result file, go write fd)."""
    rr, rw = os.pipe()
    gr, gw = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rr)
        os.close(gw)
        out = os.fdopen(rw, "w")
        try:
            target(*args, out, gr)
        except BaseException as e:  # noqa: B036 - a child must never unwind
            text = str(e) if isinstance(e, (BenchError, OSError)) else repr(e)
            out.write(f"error {text}\n".replace("\n", " ").rstrip() + "\n")
        finally:
            out.flush()
            os._exit(0)
    os.close(rw)
    os.close(gr)
    return pid, os.fdopen(rr, "r"), gw


def reap(kids):
    for pid, rf, gw in kids:
        rf.close()
        os.close(gw)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)


def first_of(errors):
    """One error text for a list of them: the first, and how many more."""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return errors[0] + more


# ---------------------------------------------------------------- fan-out

PAYLOAD_HEAD_BYTES = 14  # "pp:ssssssssss:": publisher, sequence number


def payload(pub, seq, size):
    head = b"%02d:%010d:" % (pub, seq)
    return head + b"." * (size - len(head))


def frame(msg):
    """A RESP2 message push as both servers write it to a subscriber."""
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        len(CHANNEL), CHANNEL, len(msg), msg)


def publisher_shares(messages, publishers):
    return [messages // publishers + (1 if p < messages % publishers else 0)
            for p in range(publishers)]


@functools.lru_cache(maxsize=1)
def single_stream(seqs, size):
    return b"".join(frame(payload(0, s, size)) for s in range(seqs))


def check_stream(buf, shares, size):
    """None if buf is every publisher's messages, each once and in its order
    (interleaving between publishers is free); else the first difference."""
    flen = len(frame(payload(0, 0, size)))
    total = sum(shares) * flen
    if len(buf) != total:
        return f"{len(buf)} bytes, expected {total}"
    if len(shares) == 1:
        expected = single_stream(shares[0], size)
        if buf == expected:
            return None
        i = next(k for k in range(shares[0])
                 if buf[k * flen:(k + 1) * flen] != expected[k * flen:(k + 1) * flen])
        return (f"message {i}: got {bytes(buf[i * flen:(i + 1) * flen])!r}, "
                f"expected {expected[i * flen:(i + 1) * flen]!r}")
    nxt = [0] * len(shares)
    for i in range(sum(shares)):
        got = bytes(buf[i * flen:(i + 1) * flen])
        try:
            pub = int(got[-size - 2:][:2])
            want = frame(payload(pub, nxt[pub], size))
        except (ValueError, IndexError):
            return f"message {i}: unexpected bytes {got!r}"
        if got != want:
            return f"message {i}: got {got!r}, expected {want!r}"
        nxt[pub] += 1
    return None


def reader_proc(port, first, count, shares, size, deadline_s, out, go_fd):
    """Child: subscribes `count` connections, writes "ready", waits for the
    go byte, reads until every connection has its whole stream, then
    verifies and writes one line per subscriber: index, last-byte monotonic
    time (or -1), error text; and a line "cpu <seconds spent reading>"."""
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL)
    conns = []
    for _ in range(count):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCK_RCVBUF_BYTES)
        s.connect(("127.0.0.1", port))
        s.settimeout(30)
        s.sendall(encode(b"SUBSCRIBE", CHANNEL))
        conns.append(s)
    for i, s in enumerate(conns):
        got = recv_exact(s, len(confirm), f"subscriber {first + i}")
        if got != confirm:
            raise BenchError(f"subscriber {first + i}: SUBSCRIBE answered {got!r}")
    out.write("ready\n")
    out.flush()
    if os.read(go_fd, 1) != b"g":
        return

    flen = len(frame(payload(0, 0, size)))
    total = sum(shares) * flen
    sel = selectors.DefaultSelector()
    state = {}
    for i, s in enumerate(conns):
        s.setblocking(False)
        buf = bytearray(total + flen)   # slack to catch extra messages
        state[s.fileno()] = [s, first + i, buf, memoryview(buf), 0, -1.0, ""]
        sel.register(s, selectors.EVENT_READ, s.fileno())
    cpu0 = time.process_time()
    deadline = time.monotonic() + deadline_s
    left = len(conns)
    while left:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            break
        for key, _ in sel.select(timeout):
            st = state[key.data]
            try:
                n = st[0].recv_into(st[3][st[4]:], min(len(st[2]) - st[4], RECV_CHUNK_BYTES))
            except BlockingIOError:
                continue
            except OSError as e:
                n, st[6] = 0, f"recv failed: {e}"
            if n == 0:
                st[6] = st[6] or f"connection closed after {st[4]} of {total} bytes"
            st[4] += n
            if n == 0 or st[4] >= total:
                st[5] = time.monotonic()
                sel.unregister(st[0])
                left -= 1
    cpu_s = time.process_time() - cpu0
    for st in state.values():
        err = st[6]
        if not err and st[4] < total:
            err = f"timed out after {deadline_s} s with {st[4]} of {total} bytes"
        if not err:
            err = check_stream(st[3][:st[4]], shares, size) or ""
        out.write(f"{st[1]} {st[5] if not err else -1} {err}".rstrip() + "\n")
    out.write(f"cpu {cpu_s}\n")


def publish(port, pub, seqs, size, subscribers, start_evt, done, errors):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            cmds = [encode(b"PUBLISH", CHANNEL, payload(pub, q, size)) for q in range(seqs)]
            reply = b":%d\r\n" % subscribers
            start_evt.wait()
            sent = acked = 0
            pending = b""
            while acked < seqs:
                if sent < seqs and sent - acked < PUB_WINDOW:
                    batch = cmds[sent:sent + PUB_BATCH]
                    s.sendall(b"".join(batch))
                    sent += len(batch)
                    continue
                data = s.recv(65536)
                if not data:
                    raise BenchError("publisher connection closed")
                pending += data
                whole = len(pending) // len(reply)
                chunk, pending = pending[:whole * len(reply)], pending[whole * len(reply):]
                if chunk != reply * whole:
                    bad = next(chunk[k:k + len(reply)] for k in range(0, len(chunk), len(reply))
                               if chunk[k:k + len(reply)] != reply)
                    raise BenchError(f"PUBLISH answered {bad + pending[:60]!r}, "
                                     f"expected {reply!r} (subscribers that got it)")
                acked += whole
            done[pub] = time.monotonic()
    except (OSError, BenchError) as e:
        errors.append(f"publisher {pub}: {e}")


def fanout(port, server_pid, args):
    """One fan-out run; returns a dict of results. Raises BenchError."""
    shares = publisher_shares(args.messages, args.publishers)
    procs = max(1, min(args.reader_procs, args.subscribers))
    readers = []
    try:
        first = 0
        for i in range(procs):
            count = args.subscribers // procs + (1 if i < args.subscribers % procs else 0)
            readers.append(spawn(reader_proc, port, first, count, shares, args.size,
                                 args.timeout_s))
            first += count
        for _, rf, _ in readers:
            line = rf.readline().strip()
            if line != "ready":
                raise BenchError(f"reader: {line or 'exited before subscribing'}")
        numsub = call(port, b"PUBSUB", b"NUMSUB", CHANNEL)
        if not numsub.endswith(b":%d\r\n" % args.subscribers):
            raise BenchError(f"PUBSUB NUMSUB answered {numsub!r}, expected {args.subscribers}")
        start_evt = threading.Event()
        done = [0.0] * args.publishers
        errors = []
        threads = [threading.Thread(target=publish, args=(port, p, shares[p], args.size,
                                                           args.subscribers, start_evt, done,
                                                           errors), daemon=True)
                   for p in range(args.publishers)]
        for t in threads:
            t.start()
        time.sleep(0.2)  # publishers have encoded their commands and connected
        for _, _, gw in readers:
            os.write(gw, b"g")
        cpu0 = cpu_seconds(server_pid)
        pub_cpu0 = time.process_time()
        t0 = time.monotonic()
        start_evt.set()
        for t in threads:
            t.join(args.timeout_s + 30)
        if errors:
            raise BenchError(first_of(errors))
        last, reader_cpu, failures = 0.0, 0.0, []
        for _, rf, _ in readers:
            for line in rf:
                tag, _, rest = line.strip().partition(" ")
                if tag == "error":
                    failures.append(f"reader: {rest}")
                    continue
                if tag == "cpu":
                    reader_cpu += float(rest)
                    continue
                t, _, err = rest.partition(" ")
                if err:
                    failures.append(f"subscriber {tag}: {err}")
                else:
                    last = max(last, float(t))
        server_cpu = cpu_seconds(server_pid) - cpu0
        pub_cpu = time.process_time() - pub_cpu0
        if failures:
            raise BenchError(first_of(failures))
        if last == 0.0:
            raise BenchError("readers reported no result")
        wall = last - t0
        return {"deliveries_s": args.subscribers * args.messages / wall,
                "publish_s": args.messages / (max(done) - t0),
                "wall_s": wall, "server_cpu_s": server_cpu, "reader_cpu_s": reader_cpu,
                "publisher_cpu_s": pub_cpu}
    finally:
        reap(readers)


# ---------------------------------------------------------------- xadd

XADD_CMD = ["XADD", "mystream", "*", "field", "value"]


def xadd_bench(port, pipeline, n):
    """requests/s of redis-benchmark's custom XADD, after which the stream
    must hold exactly n entries. Raises BenchError."""
    call(port, b"DEL", b"mystream")
    cmd = ["redis-benchmark", "-p", str(port), "-q", "-c", "50", "-n", str(n),
           "-P", str(pipeline)] + XADD_CMD
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=REDIS_BENCHMARK_TIMEOUT_S)
    out = (r.stdout + r.stderr).replace("\r", "\n")
    m = re.search(r"Error from server: (.*)", out)
    if m:
        raise BenchError(f"XADD: {m.group(1).strip()}")
    m = re.search(r"^XADD [^:]*: ([\d.]+) requests per second", out, re.M)
    if r.returncode != 0 or not m:
        raise BenchError(f"redis-benchmark exited {r.returncode}: {out.strip()[-300:]}")
    xlen = call(port, b"XLEN", b"mystream")
    if xlen != b":%d\r\n" % n:
        raise BenchError(f"XLEN mystream is {xlen!r} after {n} XADDs")
    call(port, b"DEL", b"mystream")
    return float(m.group(1))


# ---------------------------------------------------------------- consumer group

GROUP_KEY = b"bench:group"
GROUP_COUNT = 100   # entries per XREADGROUP
GROUP_HEAD = re.compile(rb"\*1\r\n\*2\r\n\$%d\r\n%s\r\n\*(\d+)\r\n"
                        % (len(GROUP_KEY), re.escape(GROUP_KEY)))
GROUP_ENTRY = re.compile(rb"\*2\r\n\$\d+\r\n(\d+-\d+)\r\n"
                         rb"\*2\r\n\$5\r\nfield\r\n\$5\r\nvalue\r\n")
GROUP_MAX_ENTRY_BYTES = 100  # longer than any entry GROUP_ENTRY matches


def recv_more(sock, buf):
    data = sock.recv(1 << 20)
    if not data:
        raise BenchError(f"connection closed; unanswered: {buf[:200]!r}")
    return buf + data


def consumer_proc(port, name, out, go_fd):
    """Child: XREADGROUP COUNT GROUP_COUNT until the group has nothing new,
    acking each batch in the same write as the next read; writes the ids it
    got on one line."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    read = encode(b"XREADGROUP", b"GROUP", b"g", name, b"COUNT", GROUP_COUNT,
                  b"STREAMS", GROUP_KEY, b">")
    if os.read(go_fd, 1) != b"g":
        return
    got, acks, buf = [], [], b""
    while True:
        s.sendall((encode(b"XACK", GROUP_KEY, b"g", *acks) if acks else b"") + read)
        if acks:
            while b"\r\n" not in buf:
                buf = recv_more(s, buf)
            line, buf = buf.split(b"\r\n", 1)
            if line != b":%d" % len(acks):
                raise BenchError(f"XACK of {len(acks)} answered {line[:200]!r}")
        ids, pos = [], 0
        while not buf.startswith((b"*-1\r\n", b"*0\r\n")):   # one XREADGROUP reply
            m = GROUP_HEAD.match(buf)
            if m:
                ids, pos = [], m.end()
                while len(ids) < int(m.group(1)):
                    e = GROUP_ENTRY.match(buf, pos)
                    if not e:
                        break
                    ids.append(e.group(1))
                    pos = e.end()
                if len(ids) == int(m.group(1)):
                    break
                if len(buf) - pos > GROUP_MAX_ENTRY_BYTES:
                    raise BenchError(f"XREADGROUP reply not understood at {buf[pos:pos + 80]!r}")
            elif buf.startswith(b"-") and b"\r\n" in buf or len(buf) > 200:
                raise BenchError(f"XREADGROUP answered {buf[:200]!r}")
            buf = recv_more(s, buf)
        if not ids:
            break
        buf = buf[pos:]
        got += ids
        acks = ids
    out.write(" ".join(i.decode() for i in got) + "\n")


def group_bench(port, server_pid, n, consumers, timeout_s):
    """(entries per second, server cpu seconds) of `consumers` connections
    reading with XREADGROUP and XACK a stream of n entries. Raises
    BenchError."""
    call(port, b"DEL", GROUP_KEY)
    load = b"".join(encode(b"XADD", GROUP_KEY, b"*", b"field", b"value") for _ in range(n))
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=load, capture_output=True,
                       timeout=REDIS_BENCHMARK_TIMEOUT_S)
    if b"errors: 0" not in r.stdout:
        raise BenchError("loading the stream: " + r.stdout.decode(errors="replace").strip()[-300:])
    call(port, b"XGROUP", b"CREATE", GROUP_KEY, b"g", b"0")
    kids = []
    try:
        for c in range(consumers):
            kids.append(spawn(consumer_proc, port, b"c%d" % c))
        time.sleep(0.2)  # consumers connected
        cpu0 = cpu_seconds(server_pid)
        t0 = time.monotonic()
        for _, _, gw in kids:
            os.write(gw, b"g")
        lines = []
        for _, rf, _ in kids:
            sel = selectors.DefaultSelector()
            sel.register(rf, selectors.EVENT_READ)
            if not sel.select(max(0.0, t0 + timeout_s - time.monotonic())):
                raise BenchError(f"consumers not done after {timeout_s} s")
            lines.append(rf.readline().strip())
        wall = time.monotonic() - t0
        server_cpu = cpu_seconds(server_pid) - cpu0
    finally:
        reap(kids)
    errors = [line[6:] for line in lines if line.startswith("error ")]
    if errors:
        raise BenchError(first_of(errors))
    ids = [i for line in lines for i in line.split()]
    if len(ids) != n or len(set(ids)) != n:
        raise BenchError(f"consumers got {len(ids)} entries ({len(set(ids))} distinct), "
                         f"expected {n}")
    pending = call(port, b"XPENDING", GROUP_KEY, b"g")
    if not pending.startswith(b"*4\r\n:0\r\n"):
        raise BenchError(f"XPENDING after XACK of every entry: {pending[:120]!r}")
    call(port, b"DEL", GROUP_KEY)
    return n / wall, server_cpu


# ---------------------------------------------------------------- report

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller runs (about a quarter)")
    ap.add_argument("--subscribers", type=int, default=50)
    ap.add_argument("--messages", type=int, default=None,
                    help="PUBLISHes per run (100000; --quick 20000)")
    ap.add_argument("--size", type=int, default=64, help="message payload bytes")
    ap.add_argument("--publishers", type=int, default=1)
    ap.add_argument("--reader-procs", type=int, default=2,
                    help="processes the subscriber connections are spread over")
    ap.add_argument("--timeout-s", type=float, default=60.0, help="bound of one fan-out run")
    ap.add_argument("--xadd-n", type=int, default=None, help="XADDs per -P 1 run (200000)")
    ap.add_argument("--xadd-n16", type=int, default=None, help="XADDs per -P 16 run (1000000)")
    ap.add_argument("--group-n", type=int, default=None,
                    help="entries consumed per XREADGROUP run (200000)")
    ap.add_argument("--consumers", type=int, default=4, help="XREADGROUP consumers")
    ap.add_argument("--skip-pubsub", action="store_true")
    ap.add_argument("--skip-xadd", action="store_true")
    ap.add_argument("--skip-group", action="store_true")
    args = ap.parse_args()
    args.messages = args.messages or (20000 if args.quick else 100000)
    args.xadd_n = args.xadd_n or (50000 if args.quick else 200000)
    args.xadd_n16 = args.xadd_n16 or (200000 if args.quick else 1000000)
    args.group_n = args.group_n or (50000 if args.quick else 200000)
    if min(args.subscribers, args.messages, args.publishers, args.rounds) < 1:
        ap.error("--subscribers, --messages, --publishers and --rounds must be at least 1")
    if args.publishers > 99:
        ap.error("--publishers must be at most 99")
    if args.size < PAYLOAD_HEAD_BYTES:
        ap.error(f"--size must be at least {PAYLOAD_HEAD_BYTES}")
    if not os.access(SHOAL, os.X_OK):
        sys.exit(f"{SHOAL} not found: run ./scripts/build.sh or set SHOAL_SERVER")

    for line in machine_facts(SHOAL, load_average=True):
        print(line)
    print(f"fan-out: {args.subscribers} subscribers in {args.reader_procs} reader processes, "
          f"{args.publishers} publisher(s), {args.messages} messages of {args.size} bytes; "
          f"xadd: -c 50, -n {args.xadd_n} at -P 1, {args.xadd_n16} at -P 16; "
          f"xreadgroup: {args.consumers} consumers, {args.group_n} entries, "
          f"COUNT {GROUP_COUNT}; "
          f"{args.rounds} rounds", flush=True)

    tests = []   # (name, unit, runner(kind) -> float)
    extra = {}   # fan-out cpu figures per kind
    servers = {}

    def fan(kind):
        proc, port = servers[kind]
        r = fanout(port, proc.pid, args)
        extra.setdefault(kind, []).append(r)
        return r["deliveries_s"], (f"{r['deliveries_s']:.0f} deliveries/s "
                                   f"({r['publish_s']:.0f} publishes/s, {r['wall_s']:.2f} s, "
                                   f"cpu: server {r['server_cpu_s']:.2f} s, "
                                   f"readers {r['reader_cpu_s']:.2f} s, "
                                   f"publisher {r['publisher_cpu_s']:.2f} s)")

    def xadd(pipeline, n):
        def run(kind):
            rps = xadd_bench(servers[kind][1], pipeline, n)
            return rps, f"{rps:.0f} rps"
        return run

    if not args.skip_pubsub:
        tests.append((f"fan-out {args.subscribers}x", "deliveries/s", fan))
    if not args.skip_xadd:
        tests.append(("XADD -P 1", "requests/s", xadd(1, args.xadd_n)))
        tests.append(("XADD -P 16", "requests/s", xadd(16, args.xadd_n16)))
    if not args.skip_group:
        def group(kind):
            proc, port = servers[kind]
            rate, cpu = group_bench(port, proc.pid, args.group_n, args.consumers,
                                    args.timeout_s)
            return rate, (f"{rate:.0f} entries/s read and acked "
                          f"({args.group_n / rate:.2f} s, server cpu {cpu:.2f} s)")
        tests.append((f"XREADGROUP {args.consumers}x", "entries/s", group))

    samples = {(t[0], k): [] for t in tests for k in KINDS}
    failed = {}  # (test, kind) -> error text; the pair is not run again
    workdir = tempfile.mkdtemp(prefix="shoal-messaging-")
    try:
        for kind in KINDS:
            servers[kind] = start(kind, workdir)
        for r in range(args.rounds):
            order = KINDS if r % 2 == 0 else KINDS[::-1]
            for name, _, runner in tests:
                for kind in order:
                    if (name, kind) in failed:
                        continue
                    try:
                        value, text = runner(kind)
                        samples[(name, kind)].append(value)
                    except (BenchError, OSError, subprocess.TimeoutExpired) as e:
                        failed[(name, kind)] = str(e)
                        text = f"FAILED: {e}"
                    print(f"round {r + 1} {name:<14} {kind:5}: {text}", flush=True)
    except (BenchError, ServerError) as e:
        print(f"error: {e}", file=sys.stderr)
        failed[("setup", "")] = str(e)
    finally:
        for proc, _ in servers.values():
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"{'test':<16}{'unit':<14}{'redis':>12}{'shoal':>12}{'shoal/redis':>13}")
    for name, unit, _ in tests:
        med = {k: statistics.median(samples[(name, k)]) if samples[(name, k)]
               and (name, k) not in failed else None for k in KINDS}
        cells = [f"{med[k]:>12.0f}" if med[k] else f"{'-':>12}" for k in KINDS]
        ratio = (f"{med['shoal'] / med['redis']:>13.2f}" if med["shoal"] and med["redis"]
                 else f"{'-':>13}")
        print(f"{name:<16}{unit:<14}{''.join(cells)}{ratio}")
    for kind, runs in extra.items():
        wall = statistics.median(x["wall_s"] for x in runs)
        print(f"fan-out {kind}: median {wall:.2f} s per run; cpu per run: server "
              f"{statistics.median(x['server_cpu_s'] for x in runs):.2f} s, readers "
              f"{statistics.median(x['reader_cpu_s'] for x in runs):.2f} s "
              f"(over {args.reader_procs} processes)")
    if failed:
        print()
        for (name, kind), err in failed.items():
            print(f"FAILED {name} {kind}: {err}")
        sys.exit(1)


if __name__ == "__main__":
    main()
