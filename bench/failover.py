#!/usr/bin/env python3
"""Failover time of a local 3-node shoal cluster (DESIGN.md §4, §5, §7).

Starts a cluster with shoal-cluster (3 nodes, 3 shards, 3 replicas, sync
replication). Each trial picks a shard (rotating), finds its leader and a
key of that shard, and runs a writer that sends SET to that key back to back
through the other two nodes (plain client: they forward to the shard's
leader; on an error or a timeout the writer retries at once on the next
node). While the writer runs, the leader is killed with SIGKILL. The trial's
failover time is the time from the kill to the first OK of a SET that was
sent after the killed process was gone; the node that answered is then asked
(INFO raft) to confirm that the shard has a new leader, not the killed node.
Then the killed node is restarted and the script waits until every shard
has all 3 replicas in sync again (lag on the leader numeric and <= 100) and
leadership is back on each shard's preferred leader, before the next trial.

Prints every trial, then p50/p90/max with PASS/FAIL against the acceptance
bounds (p50 <= 1 s, max <= 2 s), then `shoal-cluster status`.

Usage: /usr/bin/python3 bench/failover.py [--trials 20] [--base-port 7500] [--keep]
"""
import argparse
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from servers import ROOT, encode

SHOAL_CLUSTER = os.environ.get("SHOAL_CLUSTER",
                               os.path.join(ROOT, "build", "tools", "shoal-cluster"))
NODES = 3
SHARDS = 3
REPLICAS = 3
IN_SYNC_LAG = 100  # the in-sync bound of `shoal-cluster status`
P50_BOUND = 1.0
MAX_BOUND = 2.0


# --- a minimal RESP2 client -------------------------------------------------

class RespError(Exception):
    pass


class Conn:
    def __init__(self, port, timeout):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, *args):
        self.sock.sendall(encode(*args))

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def read(self):
        """One reply; error replies are returned as RespError instances."""
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RespError(rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if t in (b"*", b"%"):
            n = int(rest)
            if n < 0:
                return None
            n = n * 2 if t == b"%" else n
            return [self.read() for _ in range(n)]
        raise ConnectionError(f"unexpected reply type {line[:40]!r}")

    def call(self, *args):
        self.send(*args)
        r = self.read()
        if isinstance(r, RespError):
            raise r
        return r


def query(port, *args, timeout=2.0):
    c = Conn(port, timeout)
    try:
        return c.call(*args)
    finally:
        c.close()


# --- cluster facts ----------------------------------------------------------

def port_of(base, node):
    return base + node - 1


def parse_raft(info):
    """INFO raft -> {shard: {field: value}}; lag as {node: int or None}."""
    shards = {}
    for line in info.splitlines():
        m = re.match(r"^shard_(\d+):(.*)$", line.strip())
        if not m:
            continue
        f = {}
        for kv in m.group(2).split(","):
            k, _, v = kv.partition("=")
            f[k] = v
        lag = {}
        for item in filter(None, f.get("lag", "").split(";")):
            n, _, v = item.partition(":")
            lag[int(n)] = int(v) if re.fullmatch(r"-?\d+", v) else None
        f["lag"] = lag
        f["replicas"] = [int(x) for x in filter(None, f.get("replicas", "").split(";"))]
        shards[int(m.group(1))] = f
    return shards


def raft_reports(base, nodes, timeout=1.0):
    """{node: parsed INFO raft} of the nodes that answer."""
    out = {}
    for n in nodes:
        try:
            out[n] = parse_raft(query(port_of(base, n), "INFO", "raft", timeout=timeout))
        except (OSError, ConnectionError, RespError):
            pass
    return out


def leaders(reports):
    """{shard: node} from the nodes that say they lead it."""
    led = {}
    for node, shards in reports.items():
        for s, f in shards.items():
            if f.get("role") == "leader":
                led[s] = node
    return led


def in_sync(reports):
    """(ok, why): every shard has a leader whose lag lists all other replicas
    as numeric and <= IN_SYNC_LAG."""
    led = leaders(reports)
    for s in range(SHARDS):
        if s not in led:
            return False, f"shard {s}: no leader"
        f = reports[led[s]][s]
        if len(f["replicas"]) != REPLICAS:
            return False, f"shard {s}: replicas={f['replicas']}"
        for r in f["replicas"]:
            if r == led[s]:
                continue
            lag = f["lag"].get(r)
            if lag is None or lag < 0 or lag > IN_SYNC_LAG:
                return False, f"shard {s}: node {r} lag={f['lag'].get(r, 'missing')}"
    return True, ""


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def shard_slots(base, node):
    """CLUSTER SHARDS -> list (one per reply entry) of (set of slots, master node id)."""
    out = []
    for entry in query(port_of(base, node), "CLUSTER", "SHARDS"):
        d = dict(zip(entry[0::2], entry[1::2]))
        slots = set()
        ranges = d["slots"]
        for a, b in zip(ranges[0::2], ranges[1::2]):
            slots.update(range(int(a), int(b) + 1))
        master = None
        for n in d["nodes"]:
            nd = dict(zip(n[0::2], n[1::2]))
            if nd.get("role") == "master":
                master = int(nd["id"])
        out.append((slots, master))
    return out


def key_for_shard(base, node, shard, led):
    """A key whose slot belongs to `shard`; checks the slot with CLUSTER KEYSLOT."""
    entries = shard_slots(base, node)
    slots = None
    # CLUSTER SHARDS lists shards in shard order; confirm by the master.
    if shard < len(entries) and entries[shard][1] == led[shard]:
        slots = entries[shard][0]
    else:
        match = [e for e in entries if e[1] == led[shard]]
        if len(match) == 1:
            slots = match[0][0]
    if not slots:
        sys.exit(f"cannot tell the slots of shard {shard} from CLUSTER SHARDS")
    for i in range(100000):
        tag = f"fo{i}"
        if crc16(tag.encode()) % 16384 in slots:
            key = f"{{{tag}}}:failover"
            slot = query(port_of(base, node), "CLUSTER", "KEYSLOT", key)
            if slot not in slots:
                sys.exit(f"CLUSTER KEYSLOT {key} = {slot}, expected one of shard {shard}'s")
            return key, slot
    sys.exit(f"no key found for shard {shard}")


# --- shoal-cluster ----------------------------------------------------------

def sc(args, check=True, timeout=120):
    r = subprocess.run([SHOAL_CLUSTER] + args, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        sys.exit(f"shoal-cluster {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def proc_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def settle(base, preferred, timeout):
    """Waits until every shard has all replicas in sync and (if known) is led
    by its preferred leader. Returns (seconds until in sync, seconds until
    also on the preferred leaders, None) or (.., .., why)."""
    t0 = time.monotonic()
    synced = None
    why = ""
    while time.monotonic() - t0 < timeout:
        reports = raft_reports(base, range(1, NODES + 1))
        ok, why = in_sync(reports)
        if ok and synced is None:
            synced = time.monotonic() - t0
        if ok and preferred:
            led = leaders(reports)
            if led != preferred:
                ok, why = False, f"leaders {fmt_map(led)}, preferred {fmt_map(preferred)}"
        if ok:
            return synced, time.monotonic() - t0, None
        time.sleep(0.05)
    return synced, None, why


def fmt_map(m):
    return " ".join(f"{k}:{v}" for k, v in sorted(m.items()))


def stable_leaders(base, timeout, hold=3.0):
    """The leader map once every shard is in sync, the leaders are spread
    (no node leads more than ceil(S/N) shards) and the map has not changed
    for `hold` seconds (longer than the server's hand-back delay), i.e. the
    preferred leaders."""
    t0 = time.monotonic()
    last, since = None, None
    cap = math.ceil(SHARDS / NODES)
    while time.monotonic() - t0 < timeout:
        reports = raft_reports(base, range(1, NODES + 1))
        ok, _ = in_sync(reports)
        led = leaders(reports)
        spread = ok and all(list(led.values()).count(n) <= cap for n in set(led.values()))
        if spread and led == last:
            if time.monotonic() - since >= hold:
                return led
        else:
            last, since = (led if spread else None), time.monotonic()
        time.sleep(0.1)
    return None


# --- one trial --------------------------------------------------------------

class Writer:
    """SETs to one key, round-robin over `ports` on errors."""

    def __init__(self, ports, key, op_timeout, tag):
        self.ports = ports
        self.key = key
        self.op_timeout = op_timeout
        self.tag = tag
        self.i = 0
        self.conns = {}
        self.seq = 0
        self.errors = {}
        self.last_ok_seq = 0

    def _conn(self, port):
        c = self.conns.get(port)
        if c is None:
            c = Conn(port, self.op_timeout)
            self.conns[port] = c
        return c

    def _drop(self, port):
        c = self.conns.pop(port, None)
        if c:
            c.close()

    def close(self):
        for p in list(self.conns):
            self._drop(p)

    def step(self):
        """One SET. Returns (sent_at, replied_at, port, ok)."""
        port = self.ports[self.i % len(self.ports)]
        self.seq += 1
        value = f"{self.tag}:{self.seq}"
        sent = time.monotonic()
        try:
            c = self._conn(port)
            c.send("SET", self.key, value)
            r = c.read()
        except socket.timeout:
            self._drop(port)
            r = RespError("client timeout")
        except (OSError, ConnectionError) as e:
            self._drop(port)
            r = RespError(f"connection: {e.__class__.__name__}")
        done = time.monotonic()
        if r == "OK":
            self.last_ok_seq = self.seq
            return sent, done, port, True
        kind = str(r).split()[0] if str(r) else "?"
        if kind == "client":
            kind = "timeout"
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.i += 1
        return sent, done, port, False


def trial(args, num, pids):
    base = args.base_port
    shard = num % SHARDS
    reports = raft_reports(base, range(1, NODES + 1))
    led = leaders(reports)
    if shard not in led:
        return {"error": f"shard {shard} has no leader"}
    victim = led[shard]
    old_term = int(reports[victim][shard]["term"])
    others = [n for n in range(1, NODES + 1) if n != victim]
    key, slot = key_for_shard(base, others[0], shard, led)
    pid = pids[victim]
    w = Writer([port_of(base, n) for n in others], key, args.op_timeout, f"t{num}")

    # Warm up: the writer must be getting OKs before the kill.
    warm_until = time.monotonic() + args.warmup
    warm_ok = 0
    while time.monotonic() < warm_until or warm_ok < 10:
        if w.step()[3]:
            warm_ok += 1
        if time.monotonic() > warm_until + 10:
            w.close()
            return {"error": f"writer got only {warm_ok} OKs before the kill: {w.errors}"}
    w.errors.clear()

    t_kill = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    t_dead = None
    t_ack = None
    ack_port = None
    attempts = 0
    deadline = t_kill + args.give_up
    while time.monotonic() < deadline:
        if t_dead is None and proc_gone(pid):
            t_dead = time.monotonic()
        sent, done, port, ok = w.step()
        attempts += 1
        # Only a SET sent after the killed process was gone counts: it
        # cannot have been acknowledged by the old leader.
        if ok and t_dead is not None and sent >= t_dead:
            t_ack, ack_port = done, port
            break
    w.close()
    errors = dict(w.errors)
    res = {"shard": shard, "victim": victim, "key": key, "slot": slot, "old_term": old_term,
           "attempts": attempts, "errors": errors,
           "dead_after": (t_dead - t_kill) if t_dead else None}
    if t_ack is None:
        res["error"] = f"no acknowledged write within {args.give_up:.0f} s"
        return res
    res["failover"] = t_ack - t_kill
    # Confirm the write went to a new leader: the answering node must name
    # a leader other than the killed node. INFO raft's leader is current,
    # but its term is refreshed once per Raft tick, so poll for the new term.
    try:
        until = time.monotonic() + 1.0
        while True:
            info = parse_raft(query(ack_port, "INFO", "raft"))[shard]
            res["new_leader"] = int(info.get("leader", 0))
            res["new_term"] = int(info.get("term", 0))
            if res["new_term"] > old_term or time.monotonic() > until:
                break
            time.sleep(0.02)
        if res["new_leader"] == victim or res["new_leader"] == 0:
            res["error"] = f"after the OK, node on port {ack_port} names leader {info.get('leader')}"
        elif res["new_term"] <= old_term:
            res["error"] = f"term did not advance ({old_term} -> {res['new_term']}) within 1 s"
    except (OSError, ConnectionError, RespError) as e:
        res["error"] = f"INFO raft on port {ack_port} after the OK failed: {e}"
    # The acknowledged value (or a later one) must be readable.
    try:
        v = query(ack_port, "GET", key)
        got = int(str(v).split(":")[1]) if v and str(v).startswith(f"t{num}:") else -1
        if got < w.last_ok_seq:
            res["error"] = f"GET {key} = {v!r}, older than the last acknowledged t{num}:{w.last_ok_seq}"
    except (OSError, ConnectionError, RespError) as e:
        res["error"] = f"GET after the failover failed: {e}"
    return res


def main():
    global SHOAL_CLUSTER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--base-port", type=int, default=7500)
    ap.add_argument("--keep", action="store_true", help="leave the cluster running and its data")
    ap.add_argument("--dir", help="cluster directory (default: a new temp dir)")
    ap.add_argument("--shoal-cluster", default=SHOAL_CLUSTER, help="shoal-cluster binary")
    ap.add_argument("--op-timeout", type=float, default=0.2,
                    help="client timeout of one SET, seconds")
    ap.add_argument("--warmup", type=float, default=0.5,
                    help="seconds of writes before the kill")
    ap.add_argument("--give-up", type=float, default=30.0,
                    help="seconds after the kill without an acknowledged write: trial fails")
    ap.add_argument("--settle-timeout", type=float, default=60.0,
                    help="seconds to wait for all replicas in sync after a restart")
    args = ap.parse_args()
    SHOAL_CLUSTER = args.shoal_cluster
    if not os.access(SHOAL_CLUSTER, os.X_OK):
        sys.exit(f"no shoal-cluster at {SHOAL_CLUSTER}; build it or pass --shoal-cluster")

    d = args.dir or os.path.join(tempfile.mkdtemp(prefix="shoal-failover-"), "cluster")
    base = args.base_port
    print(f"shoal failover: {NODES} nodes, {SHARDS} shards, {REPLICAS} replicas, sync; "
          f"ports {base}..{base + NODES - 1}; {args.trials} trials; "
          f"{os.cpu_count()} cores; dir {d}", flush=True)
    results = []
    failed = False
    try:
        sc(["up", "-n", str(NODES), "--shards", str(SHARDS), "--replicas", str(REPLICAS),
            "--dir", d, "--base-port", str(base)])
        preferred = stable_leaders(base, 60)
        if preferred is None:
            print("warning: leaders did not settle on a spread, stable map within 60 s; "
                  "not waiting for preferred leaders between trials")
            print(sc(["status", "--dir", d], check=False).stdout)
            preferred = {}
        else:
            print(f"preferred leaders (shard:node): {fmt_map(preferred)}")
        print()
        print(f"{'trial':>5} {'shard':>5} {'killed':>6} {'new':>4} {'term':>9} "
              f"{'failover_s':>10} {'attempts':>8}  {'in_sync_s':>9} {'leaders_s':>9}  "
              f"errors before the ack")
        for num in range(args.trials):
            pids = {n: int(sc(["pid", str(n), "--dir", d]).stdout.strip())
                    for n in range(1, NODES + 1)}
            res = trial(args, num, pids)
            victim = res.get("victim")
            synced = settled = None
            if victim is not None:
                t0 = time.monotonic()
                sc(["restart", str(victim), "--dir", d])
                restarted = time.monotonic() - t0
                synced, settled, why = settle(base, preferred, args.settle_timeout)
                if synced is not None:
                    synced += restarted
                if settled is not None:
                    settled += restarted
                else:
                    res["error"] = (res.get("error", "") + "; " if res.get("error") else "") + \
                        f"not settled {args.settle_timeout:.0f} s after restart: {why}"
            fo = res.get("failover")
            errs = " ".join(f"{k}={v}" for k, v in sorted(res.get("errors", {}).items())) or "-"
            term = f"{res.get('old_term', '?')}->{res.get('new_term', '?')}"
            print(f"{num + 1:>5} {res.get('shard', '?'):>5} {victim or '?':>6} "
                  f"{res.get('new_leader', '?'):>4} {term:>9} "
                  f"{(f'{fo:.3f}' if fo is not None else '-'):>10} {res.get('attempts', 0):>8}  "
                  f"{(f'{synced:.2f}' if synced is not None else '-'):>9} "
                  f"{(f'{settled:.2f}' if settled is not None else '-'):>9}  {errs}",
                  flush=True)
            if res.get("error"):
                failed = True
                print(f"      ERROR: {res['error']}", flush=True)
            results.append(res)
            if settled is None and victim is not None:
                print("cluster did not recover; stopping the trials")
                print(sc(["status", "--dir", d], check=False).stdout)
                break

        times = [r["failover"] for r in results if r.get("failover") is not None]
        print()
        if times:
            qs = statistics.quantiles(times, n=10, method="inclusive") if len(times) > 1 else times * 9
            p50, p90, mx = statistics.median(times), qs[8], max(times)
            ok = (p50 <= P50_BOUND and mx <= MAX_BOUND and not failed
                  and len(times) == args.trials)
            print(f"failover over {len(times)}/{args.trials} trials: p50 {p50:.3f} s  "
                  f"p90 {p90:.3f} s  max {mx:.3f} s  (bounds: p50 <= {P50_BOUND:.0f} s, "
                  f"max <= {MAX_BOUND:.0f} s)  {'PASS' if ok else 'FAIL'}")
            if not ok and failed:
                print("FAIL also because of the trial errors above")
        else:
            print("failover: no trial measured  FAIL")
            ok = False
        print()
        status = sc(["status", "--dir", d], check=False).stdout
        print(status, end="")
        rows = re.findall(r"^(\d+)\s.*\s(\d+)/(\d+)\s*$", status, re.M)
        all_in_sync = (len(rows) == SHARDS and
                       all(a == b == str(REPLICAS) for _, a, b in rows))
        if not all_in_sync:
            print(f"FAIL: shoal-cluster status does not show {REPLICAS}/{REPLICAS} in-sync "
                  f"replicas for every shard")
            ok = False
        else:
            print(f"status: every shard has {REPLICAS}/{REPLICAS} replicas in sync")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept: shoal-cluster down --wipe --dir {d}")
        else:
            r = sc(["down", "--wipe", "--dir", d], check=False)
            if r.returncode != 0:
                print(r.stdout + r.stderr, file=sys.stderr)
            if not args.dir:
                shutil.rmtree(os.path.dirname(d), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
