#!/usr/bin/env python3
"""Side-by-side cluster benchmark: a local Redis Cluster (3 masters + 3
replicas, AOF appendfsync everysec) vs a local shoal cluster (3 nodes,
3 shards, 3 replicas, sync replication, appendfsync everysec), both on
loopback, driven by `redis-benchmark --cluster`.

Both clusters are started by this script and run at the same time; for each
round, each pipeline depth (-P 1, -P 16) is measured on the two clusters one
after the other (the order alternates between rounds). The table reports the
median requests/s of each and the ratio shoal/redis per test. A run with an
error (redis-benchmark stops at the first error reply; the clusters' INFO
stats total_error_replies must not move) makes the script fail.

Note what is compared: Redis Cluster replicates asynchronously (a write is
acknowledged by the master alone); shoal acknowledges a write once a Raft
quorum (2 of 3) holds it. Redis runs 6 processes, shoal 3.

Usage: /usr/bin/python3 bench/cluster_compare.py [--rounds 3] [--quick]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import (ROOT, in_sync, leaders, machine_facts, parse_raft,  # noqa: E402
                     port_bindable)

SHOAL_CLUSTER = os.environ.get("SHOAL_CLUSTER",
                               os.path.join(ROOT, "build", "tools", "shoal-cluster"))
REDIS_SERVER = "/usr/bin/redis-server"
TESTS = ["set", "get"]
PIPELINES = [1, 16]
REDIS_NODES = 6
SHOAL_NODES = 3
BUS_OFFSET = 10000


def cli(port, *args, timeout=30):
    r = subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    return r.stdout


def info_field(text, field):
    m = re.search(rf"^{field}:(.*?)\r?$", text, re.M)
    return m.group(1) if m else None


def check_ports(ports):
    busy = [p for p in ports if not port_bindable(p) or not port_bindable(p + BUS_OFFSET)]
    if busy:
        sys.exit(f"ports in use (or their bus port +{BUS_OFFSET}): {busy}")


def wait_until(what, pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    sys.exit(f"timed out after {timeout} s waiting for {what}")


# --- Redis Cluster ----------------------------------------------------------

def redis_up(workdir, base):
    ports = [base + i for i in range(REDIS_NODES)]
    check_ports(ports)
    procs = []
    for p in ports:
        d = os.path.join(workdir, "redis", str(p))
        os.makedirs(d)
        log = open(os.path.join(d, "log"), "w")
        procs.append(subprocess.Popen(
            [REDIS_SERVER, "--port", str(p), "--bind", "127.0.0.1", "--dir", d,
             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
            stdout=log, stderr=subprocess.STDOUT))
    for p, proc in zip(ports, procs):
        def ready(p=p, proc=proc):
            if proc.poll() is not None:
                sys.exit(f"redis-server on {p} exited early; see {workdir}/redis/{p}/log")
            return cli(p, "ping").strip() == "PONG"
        wait_until(f"redis-server on {p}", ready, 30)
    r = subprocess.run(["redis-cli", "--cluster", "create"] +
                       [f"127.0.0.1:{p}" for p in ports] +
                       ["--cluster-replicas", "1", "--cluster-yes"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or "[OK] All 16384 slots covered" not in r.stdout:
        sys.exit("redis-cli --cluster create failed:\n" + r.stdout + r.stderr)
    wait_until("cluster_state:ok on every Redis node",
               lambda: all(info_field(cli(p, "cluster", "info"), "cluster_state") == "ok"
                           for p in ports), 60)

    def replicas_synced():
        roles = [cli(p, "info", "replication") for p in ports]
        masters = [t for t in roles if info_field(t, "role") == "master"]
        slaves = [t for t in roles if info_field(t, "role") == "slave"]
        return (len(masters) == 3 and len(slaves) == 3 and
                all(info_field(t, "master_link_status") == "up" for t in slaves) and
                all(info_field(t, "master_sync_in_progress") == "0" for t in slaves))
    wait_until("Redis replicas in sync", replicas_synced, 60)
    return procs, ports


def redis_down(procs):
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- shoal ------------------------------------------------------------------

def sc(args, check=True, timeout=120):
    r = subprocess.run([SHOAL_CLUSTER] + args, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        sys.exit(f"shoal-cluster {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def shoal_up(d, base):
    ports = [base + i for i in range(SHOAL_NODES)]
    check_ports(ports)
    sc(["up", "-n", str(SHOAL_NODES), "--shards", "3", "--replicas", "3", "--dir", d,
        "--base-port", str(base)])
    # Leaders move back to their preferred nodes a few seconds after start;
    # wait until they are spread and have not moved for 3 s, so no hand-over
    # (MOVED for redis-benchmark) happens during a run.
    state = {"last": None, "since": 0.0}

    def settled():
        reports = {i + 1: parse_raft(cli(p, "info", "raft")) for i, p in enumerate(ports)}
        ok, _ = in_sync(reports, 3, 3)
        led = leaders(reports)
        spread = ok and sorted(led.values()) == [1, 2, 3]
        if not spread or led != state["last"]:
            state["last"], state["since"] = (led if spread else None), time.monotonic()
            return False
        return time.monotonic() - state["since"] >= 3.0
    wait_until("shoal leaders spread and stable", settled, 60)
    return ports


# --- measuring --------------------------------------------------------------

def error_replies(ports):
    total = 0
    for p in ports:
        v = info_field(cli(p, "info", "stats"), "total_error_replies")
        if v is None:
            sys.exit(f"no total_error_replies in INFO stats of port {p}")
        total += int(v)
    return total


def bench(port, pipeline, n, clients, keyspace):
    cmd = ["redis-benchmark", "--cluster", "-p", str(port), "-q", "-n", str(n),
           "-c", str(clients), "-t", ",".join(TESTS), "-P", str(pipeline)]
    if keyspace:
        cmd += ["-r", str(keyspace)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    out = (r.stdout + r.stderr).replace("\r", "\n")
    results = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([A-Z_]+): ([\d.]+) requests per second", line)
        if m:
            results[m.group(1).lower()] = float(m.group(2))
    problems = [line.strip() for line in out.splitlines()
                if re.search(r"error|moved|ask |cannot|could not", line, re.I)]
    if r.returncode != 0:
        problems.append(f"redis-benchmark exit status {r.returncode}")
    missing = [t for t in TESTS if t not in results]
    if missing:
        problems.append(f"no result for {','.join(missing)}")
    return results, problems


def main():
    global SHOAL_CLUSTER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller -n, for a smoke run")
    ap.add_argument("-n", type=int, default=0,
                    help="requests per test (default 200000 for -P 1, 1000000 for -P 16)")
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("-r", "--keyspace", type=int, default=0,
                    help="passed as -r to redis-benchmark (default: one key per node)")
    ap.add_argument("--redis-port", type=int, default=7600, help="first Redis port (6 used)")
    ap.add_argument("--shoal-port", type=int, default=7520, help="first shoal port (3 used)")
    ap.add_argument("--shoal-cluster", default=SHOAL_CLUSTER, help="shoal-cluster binary")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs, data)")
    args = ap.parse_args()
    SHOAL_CLUSTER = args.shoal_cluster
    if not os.access(SHOAL_CLUSTER, os.X_OK):
        sys.exit(f"no shoal-cluster at {SHOAL_CLUSTER}; build it or pass --shoal-cluster")
    shoal_server = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(SHOAL_CLUSTER))),
                                "server", "shoal-server")
    if args.n:
        sizes = {1: args.n, 16: args.n}
    else:
        sizes = {1: 200000, 16: 1000000} if not args.quick else {1: 20000, 16: 100000}

    for line in machine_facts(shoal_server, redis_tools=(REDIS_SERVER, "redis-benchmark"),
                              ram=True):
        print(line)
    print(f"redis-benchmark --cluster -c {args.clients} -t {','.join(TESTS)} "
          f"-n {sizes[1]} (-P 1) / {sizes[16]} (-P 16)"
          f"{f' -r {args.keyspace}' if args.keyspace else ''}; {args.rounds} rounds, median")
    print("redis: Redis Cluster, 3 masters + 3 replicas (async), appendonly yes, "
          "appendfsync everysec")
    print("shoal: 3 nodes, 3 shards x 3 replicas (Raft, sync), appendfsync everysec")
    print(flush=True)

    workdir = tempfile.mkdtemp(prefix="shoal-cluster-bench-")
    shoal_dir = os.path.join(workdir, "shoal")
    redis_procs = []
    shoal_started = False
    failures = []
    try:
        redis_procs, redis_ports = redis_up(workdir, args.redis_port)
        shoal_started = True
        shoal_ports = shoal_up(shoal_dir, args.shoal_port)
        clusters = {"redis": redis_ports, "shoal": shoal_ports}
        samples = {(k, p, t): [] for k in clusters for p in PIPELINES for t in TESTS}
        for r in range(args.rounds):
            order = ["redis", "shoal"] if r % 2 == 0 else ["shoal", "redis"]
            for pipeline in PIPELINES:
                for kind in order:
                    ports = clusters[kind]
                    errs_before = error_replies(ports)
                    res, problems = bench(ports[0], pipeline, sizes[pipeline], args.clients,
                                          args.keyspace)
                    errs = error_replies(ports) - errs_before
                    if errs:
                        problems.append(f"total_error_replies grew by {errs}")
                    for t in TESTS:
                        if t in res:
                            samples[(kind, pipeline, t)].append(res[t])
                    print(f"round {r + 1} -P {pipeline:<2} {kind:5}: " +
                          " ".join(f"{t}={res.get(t, 0):.0f}" for t in TESTS) +
                          (f"  ERRORS: {'; '.join(problems[:5])}" if problems else ""),
                          flush=True)
                    if problems:
                        failures.append((r + 1, pipeline, kind, problems))
        print()
        print(f"{'test':<8}{'-P':>4}{'redis_cluster_rps':>20}{'shoal_rps':>14}{'shoal/redis':>13}")
        for pipeline in PIPELINES:
            for t in TESTS:
                red = statistics.median(samples[("redis", pipeline, t)] or [0])
                sho = statistics.median(samples[("shoal", pipeline, t)] or [0])
                ratio = sho / red if red else 0
                print(f"{t:<8}{pipeline:>4}{red:>20.0f}{sho:>14.0f}{ratio:>13.2f}")
        print()
        if failures:
            print(f"{len(failures)} run(s) had errors:")
            for r, pipeline, kind, problems in failures:
                print(f"  round {r} -P {pipeline} {kind}: {'; '.join(problems)}")
            return 1
        print("no errors in any run (redis-benchmark output, total_error_replies)")
        return 0
    finally:
        redis_down(redis_procs)
        if shoal_started:
            r = sc(["down", "--dir", shoal_dir] + ([] if args.keep else ["--wipe"]), check=False)
            if r.returncode != 0:
                print(r.stdout + r.stderr, file=sys.stderr)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
