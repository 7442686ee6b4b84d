#!/usr/bin/env python3
"""Write throughput of a local shoal cluster in async vs sync replication
(ADR 009), driven by `redis-benchmark --cluster -t set -P 16`.

What is measured: requests/s of pipelined SETs (redis-benchmark's default
50 clients, -P 16, -n --requests) against a cluster of --nodes nodes,
--shards shards x --replicas replicas started with `shoal-cluster up
--replication sync` and, separately, `--replication async`. Sync
acknowledges a write once a Raft quorum holds it; async once the leader's
own log holds it (while it heard from a quorum within an election timeout).
The acceptance bound is async >= 1.5 x sync (median over rounds).

Why it is done this way: the mode is immutable and recorded in the data dir,
so it cannot be switched on a running cluster. "Same cluster" therefore
means the same machine, binary, nodes, shards, replicas and ports, started
back to back from a fresh dir: each measurement is `shoal-cluster up`, wait
until every shard is led, in sync, leaders spread (no node leads more than
ceil(shards/nodes)) and the leader map unchanged for 3 s (longer than the
2 s start-up hand-back to the preferred leaders, so no MOVED during the run),
a warm-up run (--warmup requests), the timed run, checks, `shoal-cluster
down --wipe`. Each round measures both modes; which goes first alternates
between rounds (sync first in odd rounds), so drift on the machine does not
favour one mode. Reported: every run, the median of each mode and the ratio
median(async) / median(sync), with PASS if >= --bound.

A run counts only if redis-benchmark exits 0 and prints no error/MOVED
line, every node's INFO stats total_error_replies is 0 afterwards (the
cluster is fresh, so this covers warm-up and timed run), every node's INFO
raft says raft_replication:<mode>, and the leader and term of every shard
are the same after the timed run as before it.

Resolution: with --cluster, redis-benchmark (7.x) runs one thread per
master and then stops a run only from its 250 ms throughput timer
(showThroughput: `if (config.num_threads && requests_finished >=
config.requests) aeStop`), so the elapsed time is rounded up to the next
250 ms step and requests/s can only take values near N / (k x 0.25 s). At
the default -n 300000 and ~150-300k requests/s one step is 17-25% of a run,
and the ratio of two runs moves in such steps (e.g. 1.33 = 2.0 s/1.5 s,
1.5 = 1.5 s/1.0 s). The script prints the step relative to the median run;
a larger --requests (e.g. 3000000: ~1.5-2%) makes it finer.

On a small VM (e.g. 2 cores) the benchmark client and the 3 servers share
the cores, so absolute numbers are low and noisy and the run is mostly
bound by CPU: each run line prints the CPU seconds of the timed run spent
by the client, by the servers and by anything else on the machine
(cpu_other_s, from /proc/stat; other processes distort the numbers), and
the 1-minute load average before it. Compare the modes within one run, not
numbers across runs or machines.

What bounds the ratio: with every core busy (the client and three servers
on a small machine, at redis-benchmark's default 50 clients) throughput is
CPU / (CPU per SET), so async/sync can be at most the ratio of the CPU both
spend per SET, printed as "CPU ratio". Both modes do the same work per write
on every replica (append, persist, apply; parse and reply on the leader);
sync adds the commit round trip before its reply. With fewer clients (e.g.
--clients 3) the cores are not all busy and the latency decides: there async
answers without waiting for the followers.

Usage: /usr/bin/python3 bench/replication_modes.py [--rounds 3] [--requests 300000]
    [--warmup 20000] [--base-port 7700] [--nodes 3] [--shards 3] [--replicas 3]
    [--clients 50] [--bound 1.5] [--keep]
"""
import argparse
import math
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import (ROOT, cpu_seconds, encode, in_sync, leaders, machine_facts,  # noqa: E402
                     parse_raft, port_bindable)

SHOAL_CLUSTER = os.environ.get("SHOAL_CLUSTER",
                               os.path.join(ROOT, "build", "tools", "shoal-cluster"))
MODES = ("sync", "async")
BUS_OFFSET = 10000         # a node's cluster bus listens on port + 10000
SETTLE_HOLD_S = 3.0        # leader map unchanged this long = settled (hand-back is 2 s)
SETTLE_TIMEOUT_S = 60
BENCH_TIMEOUT_S = 1800


class RunError(Exception):
    """A cluster did not come up or settle; the message says why."""


# --- INFO over RESP ---------------------------------------------------------

class RespError(Exception):
    """An error reply, or a reply this script does not expect."""


def query(port, *args, timeout=2.0):
    """One command on a fresh connection; returns a simple or bulk string
    reply as text (INFO is all this script asks). Raises RespError on an
    error reply, OSError/ConnectionError on a connection problem."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(encode(*args))
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"port {port} closed the connection")
            buf += chunk
        head, rest = buf.split(b"\r\n", 1)
        kind, body = head[:1], head[1:]
        if kind == b"+":
            return body.decode()
        if kind == b"-":
            raise RespError(body.decode(errors="replace"))
        if kind != b"$":
            raise RespError(f"unexpected reply {head[:40]!r}")
        n = int(body)
        while len(rest) < n + 2:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"port {port} closed the connection")
            rest += chunk
        return rest[:n].decode(errors="replace")


def sc(args, timeout=180):
    return subprocess.run([SHOAL_CLUSTER] + args, capture_output=True, text=True,
                          timeout=timeout)


def wait_ports_free(ports, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        busy = [p for p in ports if not port_bindable(p) or not port_bindable(p + BUS_OFFSET)]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise RunError(f"ports in use (or their bus port +{BUS_OFFSET}): {busy}")
        time.sleep(0.2)


def up_args(args, mode, d):
    return ["up", "-n", str(args.nodes), "--shards", str(args.shards),
            "--replicas", str(args.replicas), "--dir", d, "--base-port", str(args.base_port),
            "--replication", mode]


def raft_reports(ports):
    """{node: parsed INFO raft}; a node that does not answer is left out."""
    out = {}
    for i, p in enumerate(ports):
        try:
            out[i + 1] = parse_raft(query(p, "INFO", "raft", timeout=2.0))
        except (OSError, ConnectionError, RespError):
            pass
    return out


def leader_terms(reports):
    """{shard: (leader node, term)} as the leaders report it."""
    return {s: (n, reports[n][s].get("term")) for s, n in leaders(reports).items()}


def settle(ports, shards, replicas):
    """Waits until every shard is led and in sync, the leaders are spread
    (no node leads more than ceil(shards/nodes)) and the leader map (with
    terms) has not changed for SETTLE_HOLD_S. Returns that map."""
    cap = math.ceil(shards / len(ports))
    t0 = time.monotonic()
    last, since, why = None, t0, ""
    while time.monotonic() - t0 < SETTLE_TIMEOUT_S:
        reports = raft_reports(ports)
        ok, why = in_sync(reports, shards, replicas)
        led = leader_terms(reports)
        nodes = [n for n, _ in led.values()]
        spread = ok and all(nodes.count(n) <= cap for n in set(nodes))
        if ok and not spread:
            why = f"leaders not spread: {fmt_leaders(led)}"
        if spread and led == last:
            if time.monotonic() - since >= SETTLE_HOLD_S:
                return led
        else:
            last, since = (led if spread else None), time.monotonic()
        time.sleep(0.1)
    raise RunError(f"cluster not settled after {SETTLE_TIMEOUT_S} s: {why}")


def fmt_leaders(led):
    return " ".join(f"{s}:n{n}@t{t}" for s, (n, t) in sorted(led.items()))


# --- one measurement --------------------------------------------------------

def bench_cmd(port, n, clients):
    return ["redis-benchmark", "--cluster", "-p", str(port), "-q", "-t", "set", "-P", "16",
            "-c", str(clients), "-n", str(n)]


def run_bench(cmd):
    """Runs redis-benchmark; returns (requests/s or None, p50 ms or None,
    client CPU seconds, wall seconds, problems)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=BENCH_TIMEOUT_S)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    out = (r.stdout + r.stderr).replace("\r", "\n")
    rps = p50 = None
    for line in out.splitlines():
        m = re.match(r"^\s*SET: ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?", line)
        if m:
            rps = float(m.group(1))
            p50 = float(m.group(2)) if m.group(2) else None
    problems = [line.strip() for line in out.splitlines()
                if re.search(r"error|moved|ask |cannot|could not", line, re.I)]
    if r.returncode != 0:
        problems.append(f"redis-benchmark exit status {r.returncode}")
    if rps is None:
        problems.append("no 'SET: ... requests per second' in its output")
    return rps, p50, cpu, wall, problems


def info_field(port, section, field):
    text = query(port, "INFO", section, timeout=5.0)
    m = re.search(rf"^{field}:(.*?)\r?$", text, re.M)
    return m.group(1) if m else None


def machine_busy_cpu():
    """CPU seconds all cores spent busy (not idle, not iowait) since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def server_cpu(pids):
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def measure(args, mode, d, started):
    """One cluster: up, settle, warm-up, timed run, checks, down. Returns a
    dict with rps and problems. `started` collects the dirs brought up, so
    the caller can bring them down whatever happens."""
    ports = [args.base_port + i for i in range(args.nodes)]
    res = {"mode": mode, "rps": None, "problems": []}
    wait_ports_free(ports)
    started.append(d)
    r = sc(up_args(args, mode, d))
    if r.returncode != 0:
        raise RunError(f"shoal-cluster up failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    try:
        pids = []
        for n in range(1, args.nodes + 1):
            p = sc(["pid", str(n), "--dir", d])
            if p.returncode == 0 and p.stdout.strip().isdigit():
                pids.append(int(p.stdout.strip()))
        led = settle(ports, args.shards, args.replicas)
        res["leaders"] = fmt_leaders(led)
        _, _, _, _, warm_problems = run_bench(bench_cmd(ports[0], args.warmup, args.clients))
        res["problems"] += [f"warm-up: {p}" for p in warm_problems]
        before = leader_terms(raft_reports(ports))
        if before != led:
            res["problems"].append(f"leaders moved during the warm-up: {fmt_leaders(led)} -> "
                                   f"{fmt_leaders(before)}")
        cmd = bench_cmd(ports[0], args.requests, args.clients)
        res["cmd"] = cmd
        res["load"] = os.getloadavg()[0]
        cpu0, busy0 = server_cpu(pids), machine_busy_cpu()
        rps, p50, ccpu, wall, problems = run_bench(cmd)
        scpu, busy = server_cpu(pids) - cpu0, machine_busy_cpu() - busy0
        res.update(rps=rps, p50=p50, client_cpu=ccpu, wall=wall, server_cpu=scpu,
                   other_cpu=max(0.0, busy - scpu - ccpu))
        res["problems"] += problems
        after = leader_terms(raft_reports(ports))
        if after != before:
            res["problems"].append(f"leadership changed during the run: {fmt_leaders(before)} "
                                   f"-> {fmt_leaders(after)}")
        errs, modes = [], []
        for p in ports:
            try:
                errs.append(info_field(p, "stats", "total_error_replies"))
                modes.append(info_field(p, "raft", "raft_replication"))
            except (OSError, ConnectionError, RespError) as e:
                errs.append(f"? ({e})")
                modes.append("?")
        res["errors"], res["modes"] = errs, modes
        if any(e != "0" for e in errs):
            res["problems"].append(f"total_error_replies not 0: {','.join(map(str, errs))}")
        if any(m != mode for m in modes):
            res["problems"].append(f"raft_replication {','.join(map(str, modes))}, "
                                   f"expected {mode}")
    finally:
        down(d, args.keep)
        started.remove(d)
    return res


def down(d, keep):
    r = sc(["down", "--dir", d] + ([] if keep else ["--wipe"]))
    if r.returncode != 0:
        print(f"shoal-cluster down --dir {d} failed ({r.returncode}):\n{r.stdout}{r.stderr}",
              file=sys.stderr)


# --- main -------------------------------------------------------------------

def on_sigterm(signum, frame):
    # Unwind through the finally blocks, which bring the clusters down.
    raise SystemExit(128 + signum)


def reproduce_cmd(args):
    cmd = ["/usr/bin/python3", "bench/replication_modes.py", "--rounds", str(args.rounds),
           "--requests", str(args.requests), "--warmup", str(args.warmup),
           "--base-port", str(args.base_port), "--nodes", str(args.nodes),
           "--shards", str(args.shards), "--replicas", str(args.replicas),
           "--clients", str(args.clients), "--bound", str(args.bound)]
    return shlex.join(cmd)


def main():
    global SHOAL_CLUSTER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="rounds; each measures both modes")
    ap.add_argument("--requests", type=int, default=300000, help="-n of the timed run")
    ap.add_argument("--warmup", type=int, default=20000, help="-n of the warm-up run")
    ap.add_argument("--base-port", type=int, default=7700,
                    help="port of node 1 (nodes use base..base+N-1, bus ports +10000)")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--clients", type=int, default=50,
                    help="redis-benchmark -c (its default, 50, is the acceptance run)")
    ap.add_argument("--bound", type=float, default=1.5,
                    help="PASS if median async / median sync >= this")
    ap.add_argument("--shoal-cluster", default=SHOAL_CLUSTER, help="shoal-cluster binary")
    ap.add_argument("--keep", action="store_true",
                    help="keep the clusters' data dirs and logs (stopped) in the work dir")
    args = ap.parse_args()
    SHOAL_CLUSTER = args.shoal_cluster
    if not os.access(SHOAL_CLUSTER, os.X_OK):
        sys.exit(f"no shoal-cluster at {SHOAL_CLUSTER}; build it or pass --shoal-cluster")
    if args.rounds < 1 or args.nodes < 1 or args.requests < 1 or args.clients < 1:
        sys.exit("--rounds, --nodes, --requests and --clients must be >= 1")
    shoal_server = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(SHOAL_CLUSTER))),
                                "server", "shoal-server")
    signal.signal(signal.SIGTERM, on_sigterm)

    for line in machine_facts(shoal_server, redis_tools=("redis-benchmark",), ram=True,
                              load_average=True):
        print(line)
    print(f"cluster: {args.nodes} nodes, {args.shards} shards x {args.replicas} replicas, "
          f"ports {args.base_port}..{args.base_port + args.nodes - 1}, appendfsync everysec (default); "
          f"fresh dir per run")
    print(f"run:     {shlex.join(bench_cmd(args.base_port, args.requests, args.clients))}  "
          f"(after a warm-up with -n {args.warmup})")
    print(f"rounds:  {args.rounds}, both modes per round, sync first in odd rounds; "
          f"median per mode; bound async/sync >= {args.bound}")
    print(flush=True)

    workdir = tempfile.mkdtemp(prefix="shoal-replication-modes-")
    started = []
    samples = {m: [] for m in MODES}
    cpu_per_m = {m: [] for m in MODES}    # CPU-s (client + servers) per million SETs
    busy_share = {m: [] for m in MODES}   # of all cores, during the timed run
    pairs = []
    failures = []
    try:
        print(f"{'round':>5} {'mode':<5} {'set_rps':>10} {'p50_ms':>7} {'wall_s':>7} "
              f"{'cpu_client_s':>12} {'cpu_servers_s':>13} {'cpu_other_s':>11} {'load1':>5}  "
              f"{'error_replies':<13} {'raft_replication':<17} leaders (shard:node@term)")
        for rnd in range(1, args.rounds + 1):
            order = MODES if rnd % 2 == 1 else MODES[::-1]
            got = {}
            for mode in order:
                d = os.path.join(workdir, f"round{rnd}-{mode}")
                try:
                    res = measure(args, mode, d, started)
                except (RunError, subprocess.TimeoutExpired) as e:
                    res = {"mode": mode, "rps": None, "problems": [str(e)]}
                ok = res["rps"] is not None and not res["problems"]
                if ok:
                    samples[mode].append(res["rps"])
                    cpu_per_m[mode].append(
                        (res["client_cpu"] + res["server_cpu"]) * 1e6 / args.requests)
                    busy_share[mode].append(
                        (res["client_cpu"] + res["server_cpu"] + res["other_cpu"]) /
                        (res["wall"] * (os.cpu_count() or 1)))
                    got[mode] = res["rps"]
                rps = f"{res['rps']:.0f}" if res.get("rps") is not None else "-"
                p50 = f"{res['p50']:.3f}" if res.get("p50") is not None else "-"
                print(f"{rnd:>5} {mode:<5} {rps:>10} {p50:>7} "
                      f"{res.get('wall', 0):>7.2f} {res.get('client_cpu', 0):>12.2f} "
                      f"{res.get('server_cpu', 0):>13.2f} {res.get('other_cpu', 0):>11.2f} "
                      f"{res.get('load', 0):>5.2f}  "
                      f"{','.join(map(str, res.get('errors', ['?']))):<13} "
                      f"{','.join(map(str, res.get('modes', ['?']))):<17} "
                      f"{res.get('leaders', '-')}", flush=True)
                if not ok:
                    failures.append((rnd, mode, res["problems"]))
                    for p in res["problems"][:5]:
                        print(f"      ERROR: {p}", flush=True)
            if len(got) == 2:
                pairs.append(got["async"] / got["sync"])
                print(f"{'':>5} round {rnd} async/sync = {pairs[-1]:.2f}", flush=True)

        print()
        meds = {m: statistics.median(samples[m]) if samples[m] else None for m in MODES}
        for m in MODES:
            vals = " ".join(f"{v:.0f}" for v in samples[m]) or "-"
            med = f"{meds[m]:.0f}" if meds[m] is not None else "-"
            print(f"{m:<5} median {med:>8} requests/s  (runs: {vals})")
        if meds["sync"] and meds["async"]:
            ratio = meds["async"] / meds["sync"]
            print(f"ratio async/sync = {ratio:.2f}  (per round: "
                  f"{' '.join(f'{p:.2f}' for p in pairs) or '-'})")
        else:
            ratio = None
            print("ratio async/sync: not measured")
        cpu_meds = {m: statistics.median(cpu_per_m[m]) if cpu_per_m[m] else None for m in MODES}
        for m in MODES:
            if cpu_meds[m]:
                print(f"{m:<5} CPU per million SETs (client + servers): {cpu_meds[m]:.2f} s; "
                      f"all cores busy {100 * statistics.median(busy_share[m]):.0f}% "
                      f"of the run")
        if cpu_meds["sync"] and cpu_meds["async"]:
            # requests/s = busy share x cores / CPU per request, per mode.
            busy_ratio = (statistics.median(busy_share["async"]) /
                          statistics.median(busy_share["sync"]))
            print(f"throughput ratio ~= CPU ratio sync/async "
                  f"{cpu_meds['sync'] / cpu_meds['async']:.2f} x busy ratio async/sync "
                  f"{busy_ratio:.2f} = {busy_ratio * cpu_meds['sync'] / cpu_meds['async']:.2f} "
                  f"(once all cores are busy, only less CPU per SET raises it)")
        for m in MODES:
            if meds[m]:
                run_s = args.requests / meds[m]
                print(f"{m:<5} resolution: one run takes ~{run_s:.2f} s; redis-benchmark "
                      f"--cluster ends runs on a 250 ms timer, so one step is "
                      f"{100 * 0.25 / run_s:.0f}% of it")
        passed = (ratio is not None and ratio >= args.bound and not failures
                  and all(len(samples[m]) == args.rounds for m in MODES))
        verdict = "PASS" if passed else "FAIL"
        print(f"{verdict}: async/sync {f'{ratio:.2f}' if ratio else '-'} "
              f"{'>=' if ratio and ratio >= args.bound else '<'} {args.bound} "
              f"(redis-benchmark --cluster -t set -P 16, median of {args.rounds} rounds)")
        if failures:
            print(f"FAIL also because {len(failures)} run(s) had errors:")
            for rnd, mode, problems in failures:
                print(f"  round {rnd} {mode}: {'; '.join(problems)}")
        print()
        print(f"reproduce: {reproduce_cmd(args)}")
        up = shlex.join(up_args(args, "MODE", "DIR")).replace("MODE", "sync|async")
        print(f"each run:  {SHOAL_CLUSTER} {up}   # DIR: a fresh dir")
        print(f"           {shlex.join(bench_cmd(args.base_port, args.warmup, args.clients))}"
              f"   # warm-up")
        print(f"           {shlex.join(bench_cmd(args.base_port, args.requests, args.clients))}")
        print(f"           {SHOAL_CLUSTER} down --wipe --dir DIR")
        return 0 if passed else 1
    finally:
        for d in list(started):
            down(d, args.keep)
        if args.keep:
            print(f"kept (stopped) cluster dirs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; the clusters started are down", file=sys.stderr)
        sys.exit(130)
