#!/usr/bin/env python3
"""Side-by-side benchmark: redis-server (AOF, appendfsync everysec) vs
shoal-server (appendfsync everysec) on loopback, driven by redis-benchmark.

For each round the two servers are measured one after the other (the order
alternates between rounds); the table reports the median requests/s of each
and the ratio shoal/redis per test. Then it loads 1M keys of 100 bytes into
each and reports INFO used_memory and process RSS.

Usage: bench/compare.sh [--rounds 3] [--quick]
"""
import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from servers import ServerError, start, stop

TESTS = ["ping", "set", "get", "incr", "mset"]


# (pipeline, requests, keyspace): keyspace None is redis-benchmark's default
# of one key per test; a number passes -r, spreading writes over that many
# keys (no two writes of one group share a key, so none are coalesced).
def configs(n1, n16):
    return [(1, n1, None), (16, n16, None), (16, n16, 1000000)]


def bench(port, pipeline, n, keyspace=None):
    cmd = ["redis-benchmark", "-p", str(port), "-q", "-c", "50", "-n", str(n),
           "-P", str(pipeline), "-t", ",".join(TESTS)]
    if keyspace:
        cmd += ["-r", str(keyspace)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    out = out.replace("\r", "\n")
    results = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([A-Z_]+)(?: \(\d+ keys\))?: ([\d.]+) requests per second", line)
        if m:
            name = m.group(1).lower().replace("ping_mbulk", "ping").replace("ping_inline", "ping_inline")
            if name == "ping_inline":
                continue
            results[name] = float(m.group(2))
    return results


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                          text=True, timeout=120).stdout


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def load_keys(port, count, size):
    value = b"x" * size
    chunks = []
    for i in range(count):
        k = b"key:%010d" % i
        chunks.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, size, value))
    data = b"".join(chunks)
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data, capture_output=True,
                       timeout=600)
    if b"errors: 0" not in r.stdout:
        sys.exit("loading keys failed: " + r.stdout.decode(errors="replace"))


def used_memory(port):
    m = re.search(r"used_memory:(\d+)", cli(port, "info", "memory"))
    return int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller -n, for a smoke run")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    n1, n16 = (200000, 1000000) if not args.quick else (20000, 100000)
    workdir = tempfile.mkdtemp(prefix="shoal-bench-")
    procs = {}
    try:
        for kind in ("redis", "shoal"):
            procs[kind] = start(kind, workdir)
        cfgs = configs(n1, n16)
        samples = {(k, c, t): [] for k in procs for c in cfgs for t in TESTS}
        for r in range(args.rounds):
            order = ["redis", "shoal"] if r % 2 == 0 else ["shoal", "redis"]
            for cfg in cfgs:
                pipeline, n, keyspace = cfg
                for kind in order:
                    res = bench(procs[kind][1], pipeline, n, keyspace)
                    for t in TESTS:
                        if t in res:
                            samples[(kind, cfg, t)].append(res[t])
                    print(f"round {r + 1} -P {pipeline:<2} -r {keyspace or '-':<7} {kind:5}: " +
                          " ".join(f"{t}={res.get(t, 0):.0f}" for t in TESTS), flush=True)
        print()
        print(f"{'test':<8}{'-P':>4}{'-r':>9}{'redis rps':>14}{'shoal rps':>14}{'shoal/redis':>13}")
        for cfg in cfgs:
            pipeline, _, keyspace = cfg
            for t in TESTS:
                red = statistics.median(samples[("redis", cfg, t)] or [0])
                sho = statistics.median(samples[("shoal", cfg, t)] or [0])
                ratio = sho / red if red else 0
                print(f"{t:<8}{pipeline:>4}{keyspace or '-':>9}{red:>14.0f}{sho:>14.0f}"
                      f"{ratio:>13.2f}")
        if not args.skip_memory:
            count = 1000000 if not args.quick else 100000
            print()
            print(f"memory after loading {count} keys of 100 bytes:")
            print(f"{'server':<8}{'used_memory':>16}{'rss':>16}")
            for kind in ("redis", "shoal"):
                proc, port = procs[kind]
                cli(port, "flushall")
                load_keys(port, count, 100)
                print(f"{kind:<8}{used_memory(port):>16}{rss(proc.pid):>16}")
    except ServerError as e:
        sys.exit(f"error: {e}")
    finally:
        for proc, _ in procs.values():
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
