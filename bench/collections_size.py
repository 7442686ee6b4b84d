#!/usr/bin/env python3
"""Single-operation latency on 1,000,000-element collections, and DEL of them.

Usage:
    /usr/bin/python3 bench/collections_size.py [--build DIR] [--size 1000000] [-n 2000]
                                                [--budget-s 8] [--no-redis] [--no-pin]

Starts a shoal-server from DIR (default ./build; DIR/server/shoal-server) on a
free loopback port with a temporary data dir and --appendfsync everysec, and a
redis-server from PATH side by side (free port, no persistence). Fills each
with a list, a hash, a set and a sorted set of --size elements (pipelined
RPUSH / HSET / SADD / ZADD of 1000 members per call). Then, for each
operation, times -n single round trips (one command, wait for its reply;
time.perf_counter on a raw socket; shoal's and redis's round trips
interleaved, so both see the same machine load) and prints median / p90 / p99 / max in ms
for shoal and redis (max shows one-off costs, e.g. a first ZRANK building an
index), and the ratio of the medians (shoal/redis). An operation stops early
once it has spent --budget-s seconds on one server; the "n" column then says
how many round trips were timed.

Before measuring it waits (up to 30 s) until each server is idle, so that
RocksDB's flushes and compactions after the fill do not share the CPUs. With
2+ CPUs the client is pinned to the first and both servers to the others
(--no-pin to disable): on small VMs an unpinned round trip flips between a
~0.02 ms and a ~0.07 ms regime (CPU wake-up placement), for either server,
which would swamp the comparison.

Operations: LPUSH and RPOP (one element each), LINDEX of the middle, HGET,
SISMEMBER, ZADD (new member; and score update of an existing member), ZRANK
of random members (ranks spread over the whole zset) and of members near the
start (rank < 100), ZRANGE of 10 elements at the start and at random ranks.

Finally DELs each of the four keys on shoal (each DEL timed) and prints INFO
persistence's rocksdb_member_records_estimate and rocksdb_disk_bytes before
DEL, before DEL after SHOAL.COMPACT (the members' own footprint on disk),
after DEL, and after a second SHOAL.COMPACT (the space reclaimed). Redis's
DEL times are printed for reference. Asserts nothing: it prints.

The criterion this measures: with a 1,000,000-element list, hash, set and
zset, each single operation above takes well under a millisecond at the
median, and DEL of each returns in under 10 ms with the space reclaimed
later by compaction.
"""
import argparse
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time

from servers import ROOT, ServerError, cpu_seconds, encode, start, stop

BATCH = 1000    # members per filling call
WINDOW = 50     # filling calls in flight per pipeline round


# ---- a minimal RESP2 client over a raw socket ---------------------------------

class ReplyError(Exception):
    pass


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                return line
            self._fill()

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return ReplyError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            v = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return v
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ConnectionError(f"bad reply line {line[:80]!r}")

    def call(self, *args):
        self.sock.sendall(encode(*args))
        r = self.read()
        if isinstance(r, ReplyError):
            raise r
        return r

    def pipeline(self, encoded):
        self.sock.sendall(b"".join(encoded))
        replies = [self.read() for _ in encoded]
        for r in replies:
            if isinstance(r, ReplyError):
                raise r
        return replies


# ---- filling -------------------------------------------------------------------

def fill(conn, size):
    """Fills L, H, S, Z with `size` elements each; returns seconds per key."""
    times = {}
    makers = {
        "L": lambda lo, hi: encode("RPUSH", "L", *[b"e:%07d" % i for i in range(lo, hi)]),
        "H": lambda lo, hi: encode("HSET", "H", *[x for i in range(lo, hi)
                                                  for x in (b"f:%07d" % i, b"v:%07d" % i)]),
        "S": lambda lo, hi: encode("SADD", "S", *[b"m:%07d" % i for i in range(lo, hi)]),
        "Z": lambda lo, hi: encode("ZADD", "Z", *[x for i in range(lo, hi)
                                                  for x in (b"%d" % i, b"z:%07d" % i)]),
    }
    for key, make in makers.items():
        t0 = time.perf_counter()
        calls = [(lo, min(lo + BATCH, size)) for lo in range(0, size, BATCH)]
        for w in range(0, len(calls), WINDOW):
            conn.pipeline([make(lo, hi) for lo, hi in calls[w:w + WINDOW]])
        times[key] = time.perf_counter() - t0
    for key, cmd in (("L", "LLEN"), ("H", "HLEN"), ("S", "SCARD"), ("Z", "ZCARD")):
        n = conn.call(cmd, key)
        if n != size:
            print(f"WARNING: {cmd} {key} = {n}, expected {size}")
    return times


# ---- measuring -----------------------------------------------------------------

def operations(size, n, rng):
    """(label, list of encoded commands) per operation; same commands for both servers."""
    def pick(count, lo=0, hi=size):
        return [rng.randrange(lo, hi) for _ in range(count)]

    mid = size // 2
    ops = [
        ("LPUSH L (1 element)", [encode("LPUSH", "L", b"p:%d" % i) for i in range(n)]),
        ("RPOP L", [encode("RPOP", "L")] * n),
        (f"LINDEX L {mid} (middle)", [encode("LINDEX", "L", mid)] * n),
        ("HGET H (random field)", [encode("HGET", "H", b"f:%07d" % i) for i in pick(n)]),
        ("SISMEMBER S (random)", [encode("SISMEMBER", "S", b"m:%07d" % i) for i in pick(n)]),
        ("ZRANK Z (random member)", [encode("ZRANK", "Z", b"z:%07d" % i) for i in pick(n)]),
        ("ZRANK Z (rank < 100)", [encode("ZRANK", "Z", b"z:%07d" % i)
                                  for i in pick(n, 0, min(100, size))]),
        ("ZRANGE Z 0 9", [encode("ZRANGE", "Z", 0, 9)] * n),
        ("ZRANGE Z r r+9 (random r)", [encode("ZRANGE", "Z", r, r + 9)
                                       for r in pick(n, 0, size - 10)]),
        # After the rank reads, so their ranks are the fill's.
        ("ZADD Z (new member)", [encode("ZADD", "Z", b"%d.5" % i, b"n:%d" % k)
                                 for k, i in enumerate(pick(n))]),
        ("ZADD Z (update score)", [encode("ZADD", "Z", b"%d.25" % j, b"z:%07d" % i)
                                   for i, j in zip(pick(n), pick(n))]),
    ]
    return ops


def time_op(conns, cmds, budget_s):
    """Times each command as one round trip on every connection, interleaved
    (shoal, redis, redis, shoal, ...) so that both see the same machine
    weather; returns ms samples per connection. Stops once a connection has
    spent `budget_s` seconds."""
    samples = [[] for _ in conns]
    spent = [0.0 for _ in conns]
    for i, c in enumerate(cmds):
        order = range(len(conns)) if i % 2 == 0 else reversed(range(len(conns)))
        for j in order:
            conn = conns[j]
            t0 = time.perf_counter()
            conn.sock.sendall(c)
            r = conn.read()
            t1 = time.perf_counter()
            if isinstance(r, ReplyError):
                raise r
            samples[j].append((t1 - t0) * 1000.0)
            spent[j] += t1 - t0
        if max(spent) > budget_s:
            break
    return samples


def settle(pid, limit_s=30.0, window_s=0.5, busy=0.05):
    """Waits until the server is idle (background flushes and compactions
    after the fill done): under `busy` of a CPU over `window_s`. Returns the
    seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        c0 = cpu_seconds(pid)
        time.sleep(window_s)
        if cpu_seconds(pid) - c0 < busy * window_s:
            break
    return time.perf_counter() - t0


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def persistence(conn):
    raw = conn.call("INFO", "persistence").decode()
    info = {}
    for line in raw.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            info[k] = v.strip()
    return (int(info.get("rocksdb_member_records_estimate", -1)),
            int(info.get("rocksdb_disk_bytes", -1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="shoal build dir holding server/shoal-server (default ./build)")
    ap.add_argument("--size", type=int, default=1000000, help="elements per collection")
    ap.add_argument("-n", type=int, default=2000, help="round trips per operation")
    ap.add_argument("--budget-s", type=float, default=8.0,
                    help="most seconds one operation may take on one server")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-redis", action="store_true", help="measure shoal only")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not pin this client to CPU 0 and the servers to the other CPUs")
    args = ap.parse_args()

    shoal_bin = os.path.join(os.path.abspath(args.build), "server", "shoal-server")
    if not os.access(shoal_bin, os.X_OK):
        sys.exit(f"no shoal-server at {shoal_bin} (use --build DIR)")
    kinds = ["shoal"] if args.no_redis or not shutil.which("redis-server") else ["shoal", "redis"]
    print(f"# collections_size: size={args.size} n={args.n} seed={args.seed}")
    print(f"# host: {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
          f"python={platform.python_version()}")
    print(f"# shoal: {shoal_bin} (--appendfsync everysec)")
    if "redis" in kinds:
        print(f"# redis: {shutil.which('redis-server')} (no persistence)")
    all_cpus = sorted(os.sched_getaffinity(0))
    server_cpus = None
    if not args.no_pin and len(all_cpus) >= 2:
        os.sched_setaffinity(0, {all_cpus[0]})
        server_cpus = set(all_cpus[1:])
        print(f"# pinned: client on CPU {all_cpus[0]}, servers on CPUs {sorted(server_cpus)}")
    workdir = tempfile.mkdtemp(prefix="shoal-collbench-")
    procs, conns = {}, {}
    t_start = time.perf_counter()
    try:
        for kind in kinds:
            procs[kind] = start(kind, workdir, shoal_bin, redis_aof=False, cpus=server_cpus,
                                timeout_s=60, probe_write=True)
            conns[kind] = Conn(procs[kind][1])

        print("\n## fill (pipelined, 1000 members per call): seconds")
        print(f"{'key':<6}" + "".join(f"{k:>10}" for k in kinds))
        fills = {k: fill(conns[k], args.size) for k in kinds}
        for key in "LHSZ":
            print(f"{key:<6}" + "".join(f"{fills[k][key]:>10.2f}" for k in kinds))
        waited = {k: settle(procs[k][0].pid) for k in kinds}
        print("idle after the fill (background flushes/compactions done) after: " +
              ", ".join(f"{k} {w:.1f} s" for k, w in waited.items()))

        rng = random.Random(args.seed)
        ops = operations(args.size, args.n, rng)
        print("\n## single round trips, ms (shoal/redis = ratio of medians)")
        hdr = (f"{'operation':<28}{'server':>7}{'n':>6}{'median':>9}{'p90':>9}{'p99':>9}"
               f"{'max':>9}")
        print(hdr + f"{'shoal/redis':>13}")
        print("-" * (len(hdr) + 13))
        summary = []
        for label, cmds in ops:
            medians = {}
            per_kind = time_op([conns[k] for k in kinds], cmds, args.budget_s)
            for kind, s in zip(kinds, per_kind):
                medians[kind] = statistics.median(s)
                ratio = ""
                if kind == kinds[-1] and len(kinds) == 2:
                    ratio = f"{medians['shoal'] / medians['redis']:>13.1f}"
                print(f"{label:<28}{kind:>7}{len(s):>6}{medians[kind]:>9.3f}{pct(s, 90):>9.3f}"
                      f"{pct(s, 99):>9.3f}{max(s):>9.3f}{ratio}", flush=True)
            summary.append((label, medians["shoal"], len(cmds)))

        print("\n## DEL of each collection, ms")
        shoal = conns["shoal"]
        states = [("before DEL", persistence(shoal))]
        t0 = time.perf_counter()
        shoal.call("SHOAL.COMPACT")
        compact1 = time.perf_counter() - t0
        states.append(("before DEL, after SHOAL.COMPACT", persistence(shoal)))
        print(f"{'key':<6}" + "".join(f"{k:>10}" for k in kinds))
        del_ms = {}
        for key in "LHSZ":
            row = f"{key:<6}"
            for kind in kinds:
                t0 = time.perf_counter()
                r = conns[kind].call("DEL", key)
                ms = (time.perf_counter() - t0) * 1000.0
                row += f"{ms:>10.3f}" if r == 1 else f"{'DEL=' + str(r):>10}"
                if kind == "shoal":
                    del_ms[key] = ms
            print(row)
        states.append(("after DEL", persistence(shoal)))
        t0 = time.perf_counter()
        shoal.call("SHOAL.COMPACT")
        compact2 = time.perf_counter() - t0
        states.append(("after DEL, after SHOAL.COMPACT", persistence(shoal)))

        print("\n## shoal INFO persistence")
        print(f"{'when':<34}{'member_records_estimate':>25}{'disk_bytes':>14}")
        for when, (recs, disk) in states:
            print(f"{when:<34}{recs:>25}{disk:>14}")
        print(f"SHOAL.COMPACT took {compact1:.2f} s before DEL, {compact2:.2f} s after DEL")

        print("\n## summary (shoal): criterion median < 1 ms per op, DEL < 10 ms")
        for label, med, _ in summary:
            print(f"{label:<28} median {med:8.3f} ms  {'ok' if med < 1.0 else 'OVER 1 ms'}")
        for key, ms in del_ms.items():
            print(f"{'DEL ' + key:<28} {ms:15.3f} ms  {'ok' if ms < 10.0 else 'OVER 10 ms'}")
        print(f"\n# total runtime {time.perf_counter() - t_start:.0f} s")
    except ServerError as e:
        sys.exit(f"error: {e}")
    finally:
        for c in conns.values():
            try:
                c.sock.close()
            except OSError:
                pass
        for proc, _ in procs.values():
            stop(proc, timeout_s=60)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
