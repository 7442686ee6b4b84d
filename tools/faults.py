#!/usr/bin/python3
"""Jepsen-style fault harness for shoal: real clusters, real clients, a
nemesis, and checks of what the clients were told against what survived.

    /usr/bin/python3 tools/faults.py [--mode sync|async] [--duration 120]
        [--seed N] [--nodes 3] [--shards 3] [--replicas 3] [--keys 24]
        [--clients 12] [--nemesis kill,pause,restart,partition,oneway,bridge|all]
        [--out DIR] [--keep] [--runs K] [--json [PATH]]   (--help: all options)

Long run (what to leave running overnight; 20 runs of ~2.5 minutes):

    /usr/bin/python3 tools/faults.py --mode sync --duration 130 --runs 20

Replay a failing run with its seed and options (in its schedule.json):
`tools/faults.py --seed S --duration D ...`. CI runs short sync and async
runs: tests/tools/test_faults_harness.py (ctest -R faults).

A run. A cluster (tests/integration/cluster_harness.py, `--fault-injection
yes --replication MODE`) is started and settled. `--clients` threads talk to
it over plain connections (nodes forward to the shard leaders): each picks
a random node and moves to another one after a connection error or an
unknown outcome. Each client works on a few of the `--keys` keys (several
clients per key, keys spread over all shards): registers take GET, SET of
unique values ("c<client>-<n>") and DEL; counters (separate keys, never
deleted) take INCR and GET. A share of the operations are write-once SETs of
fresh "witness" keys w:<client>:<n>. Every operation is recorded with
monotonic invoke/return times and an outcome, following the error contract
(DESIGN.md §5): a reply is "ok"; -CLUSTERDOWN / -TRYAGAIN / -MOVED / -LOADING
and "Error ... connecting to" are "fail" (certainly not executed); -UNKNOWN,
a timeout (2 s) or a connection error after the command was sent are "info"
(outcome unknown; the client then reconnects). Any other error is recorded
as "info" and reported as a reply outside the contract.

The nemesis (seeded: --seed replays the same schedule) repeats: wait
--wait seconds, apply a fault for --hold seconds, heal it, wait for a healthy
cluster. Kinds are drawn from a shuffled deck of the enabled ones, so every
kind comes up before one repeats. Each fault hits one node, never more than
a minority: kill (SIGKILL, restarted at heal), pause (SIGSTOP/SIGCONT),
restart (SIGKILL and an immediate restart), partition (the node and all the
others stop sending to each other: SHOAL.FAULT BLOCK on every side), oneway
(the node stops sending to the others only), bridge (the other nodes split
in two halves that cannot talk; the chosen node talks to both). For kill,
pause, partition and oneway the target is, half of the time, the current
leader of a shard (so a replayed seed may hit different nodes there: the
leader at that moment may differ; kinds, timings and the other choices are
the same). A monitor polls INFO raft every 50 ms and logs leader changes.

After --duration the nemesis stops, everything is healed, the clients stop,
and once every replica of every shard has applied the same index:
  (a) lost acknowledged writes: every acknowledged witness must read back
      (via the leader) with its value; an acknowledged INCR is lost when a
      later observation of its counter (an INCR reply, a GET, the final
      value) is below its result, and a counter above acknowledged + unknown
      INCRs was over-applied;
  (b) divergence: every key ever written is read on every replica of its
      shard (READONLY on followers) and must be equal everywhere;
  (c) linearizability of the whole history (final leader reads included)
      by tools/lincheck.py;
  (d) the longest write unavailability per shard: the longest interval in
      which a write to the shard's keys was pending (invoked, or failed and
      about to be retried) and none was acknowledged. Clients block, so a
      leader that hangs (paused, or cut off) shows up as about the 2 s
      client timeout; writes sent to a node that was itself paused or down
      are left out.
sync mode fails a run on any lost write, divergence or NOT linearizable
verdict ("unknown", when the checker's time limit runs out, is reported
and does not fail). async mode only promises a bounded loss window: each
lost write is attributed to a fault, and must have been acknowledged no
earlier than --loss-window before the fault started and no later than its
start + --election-timeout + --loss-slack; a lost write outside every
window, or a divergence, fails the run; the linearizability verdict is
reported only. Any run also fails if the cluster does not recover from a
fault, the replicas do not converge, or a reply is outside the contract.

A failing run keeps, under --out, its history (lincheck JSON lines; rerun
`tools/lincheck.py DIR/history.jsonl`), schedule.json (seed, options,
faults), leaders.jsonl, report.json and the node logs; a passing run's
directory is deleted unless --keep. Exit status 0 iff every run passed.
"""
import argparse
import bisect
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import lincheck  # noqa: E402

KINDS = ("kill", "pause", "restart", "partition", "oneway", "bridge")
NOT_EXECUTED = ("CLUSTERDOWN", "TRYAGAIN", "MOVED", "LOADING")
UNKNOWN_OUTCOME = ("UNKNOWN",)
OP_TIMEOUT = 2.0
WRITES = ("set", "incr", "del")
ch = None  # cluster_harness, imported in main() once --server is known


def now_ns():
    return time.monotonic_ns()


def secs(ns, t0):
    return round((ns - t0) / 1e9, 3)


# ---------------------------------------------------------------- clients

class Client(threading.Thread):
    """One client thread; appends its operations to self.history."""

    def __init__(self, cid, ports, keys, counters, opts, stop):
        super().__init__(daemon=True, name=f"client-{cid}")
        self.cid, self.ports, self.keys, self.counters = cid, ports, keys, counters
        self.opts, self.stop = opts, stop      # ports: {node id: port}
        self.rng = random.Random(opts.seed * 1000 + cid)
        self.node = self.rng.choice(sorted(ports))
        self.conn = None
        self.history, self.odd = [], []
        self.n = 0

    def drop(self, move=True):
        if self.conn is not None:
            self.conn.disconnect()
            self.conn = None
        if move and len(self.ports) > 1:
            self.node = self.rng.choice([n for n in sorted(self.ports) if n != self.node])

    def next_op(self):
        self.n += 1
        if self.rng.random() < self.opts.witness_share:
            return "set", f"w:{self.cid}:{self.n}", f"c{self.cid}-w{self.n}"
        key = self.rng.choice(self.keys)
        d = self.rng.random()
        if key in self.counters:
            return ("incr", key, None) if d < 0.75 else ("get", key, None)
        if d < 0.45:
            return "get", key, None
        if d < 0.92:
            return "set", key, f"c{self.cid}-{self.n}"
        return "del", key, None

    def execute(self, op, key, arg):
        rec = {"client": self.cid, "op": op, "key": key, "arg": arg, "type": "fail",
               "value": None, "invoke": now_ns(), "return": None, "node": self.node}
        if self.conn is None:
            self.conn = redis.Connection(port=self.ports[self.node], socket_timeout=OP_TIMEOUT,
                                         socket_connect_timeout=1.0, decode_responses=True)
            try:
                self.conn.connect()
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                self.drop()          # "Error ... connecting to": nothing was sent
                rec["return"] = now_ns()
                return rec
        rec["invoke"] = now_ns()
        try:
            self.conn.send_command(op.upper(), key, *([arg] if arg is not None else []))
            reply = self.conn.read_response()
            rec["type"], rec["value"] = "ok", reply
        except redis.ResponseError as e:
            text = str(e)
            rec["error"] = text[:60]
            if op == "incr" and "not an integer" in text:
                rec["type"], rec["value"] = "ok", "error"
            elif text.startswith(NOT_EXECUTED):
                rec["type"] = "fail"
            else:
                rec["type"] = "info"
                if not text.startswith(UNKNOWN_OUTCOME):
                    self.odd.append(f"{op.upper()} {key}: -{text}")
        except (redis.ConnectionError, redis.TimeoutError, OSError) as e:
            rec["type"], rec["error"] = "info", str(e)[:60]   # sent: may have run
        if rec["type"] == "ok" and op == "set" and rec["value"] not in ("OK", True):
            self.odd.append(f"SET {key} replied {rec['value']!r}")
        if rec["type"] == "ok" and op == "set":
            rec["value"] = "OK"
        if rec["type"] == "info":
            self.drop()
        else:
            rec["return"] = now_ns()
        return rec

    def run(self):
        errors = 0
        while not self.stop.is_set():
            rec = self.execute(*self.next_op())
            self.history.append(rec)
            errors = errors + 1 if rec["type"] != "ok" else 0
            pause = self.opts.think_ms / 1000 * self.rng.uniform(0.5, 1.5)
            if errors:
                pause += min(0.01 * 2 ** (errors - 1), 0.2)
            self.stop.wait(pause)
        self.drop(move=False)


def assign_keys(keys, clients, per_client, rng):
    """per_client distinct keys for each client, dealt in turn from a
    shuffled order: each key gets about clients * per_client / len(keys)."""
    order, k = list(keys), min(per_client, len(keys))
    rng.shuffle(order)
    return [[order[(c * k + j) % len(order)] for j in range(k)] for c in range(clients)]


# ---------------------------------------------------------------- monitor

class Monitor(threading.Thread):
    """Polls INFO raft of the running nodes; logs leader changes per shard
    (leader = the node claiming leadership with the highest term)."""

    def __init__(self, cluster, t0, stop):
        super().__init__(daemon=True, name="monitor")
        self.cluster, self.t0, self.stop = cluster, t0, stop
        self.current = {}     # shard -> (leader or None, term)
        self.changes = []     # {"t", "shard", "leader", "term"}
        self.conns = {}

    def poll_node(self, node):
        c = self.conns.get(node.id)
        try:
            if c is None:
                c = self.conns[node.id] = redis.Connection(
                    port=node.port, socket_timeout=0.3, socket_connect_timeout=0.3,
                    decode_responses=True)
            c.send_command("INFO", "raft")
            info = ch.parse_info(c.read_response())
            return {int(k[6:]): ch.parse_shard_line(v) for k, v in info.items()
                    if k.startswith("shard_")}
        except (redis.RedisError, OSError, ValueError):
            if c is not None:
                c.disconnect()
            self.conns.pop(node.id, None)
            return None

    def run(self):
        while not self.stop.is_set():
            best = {}
            for node in list(self.cluster.nodes.values()):
                if not node.up():
                    continue
                for shard, s in (self.poll_node(node) or {}).items():
                    if s["role"] == "leader" and s["term"] >= best.get(shard, (0, -1))[1]:
                        best[shard] = (node.id, s["term"])
            t = now_ns()
            for shard in range(self.cluster.shards):
                cur = best.get(shard, (None, None))
                if self.current.get(shard) != cur:
                    self.changes.append({"t": secs(t, self.t0), "shard": shard,
                                         "leader": cur[0], "term": cur[1]})
                    self.current[shard] = cur
            self.stop.wait(0.05)
        for c in self.conns.values():
            c.disconnect()


# ---------------------------------------------------------------- nemesis

def block(cluster, frm, to):
    """frm stops sending bus traffic to the nodes `to`."""
    r = cluster.node(frm).call("SHOAL.FAULT", "BLOCK", *[str(t) for t in to], timeout=3.0)
    if r != "OK":
        raise RuntimeError(f"SHOAL.FAULT BLOCK on node {frm}: {r!r}")


def heal_all(cluster):
    """Resumes paused nodes, starts dead ones, HEALs every link."""
    started = []
    for node in cluster.nodes.values():
        if node.paused:
            node.resume()
        if not node.alive():
            node.start()
            started.append(node)
    for node in started:
        node.wait_ready()
    for node in cluster.nodes.values():
        try:
            node.call("SHOAL.FAULT", "HEAL", timeout=3.0)
        except OSError:
            pass


class Nemesis(threading.Thread):
    def __init__(self, cluster, opts, monitor, t0, stop, log):
        super().__init__(daemon=True, name="nemesis")
        self.cluster, self.opts, self.monitor = cluster, opts, monitor
        self.t0, self.stop, self.log = t0, stop, log
        self.rng = random.Random(opts.seed)
        self.deck, self.faults, self.problems = [], [], []

    def draw(self):
        """All random choices of one cycle, drawn in a fixed order."""
        r = self.rng
        if not self.deck:
            self.deck = list(self.opts.kinds)
            r.shuffle(self.deck)
        return {"wait": r.uniform(*self.opts.wait), "kind": self.deck.pop(),
                "hold": r.uniform(*self.opts.hold), "node": r.randrange(1, self.cluster.n + 1),
                "prefer_leader": r.random() < 0.5, "shard": r.randrange(self.cluster.shards),
                "order": r.sample(sorted(self.cluster.nodes), self.cluster.n)}

    def apply(self, kind, target, d):
        c = self.cluster
        others = [n for n in sorted(c.nodes) if n != target]
        if kind == "kill":
            c.kill(target)
        elif kind == "pause":
            c.pause(target)
        elif kind == "restart":
            c.kill(target)
            c.node(target).start()
            c.node(target).wait_ready()
        elif kind == "partition":
            block(c, target, others)
            for o in others:
                block(c, o, [target])
        elif kind == "oneway":
            block(c, target, others)
        elif kind == "bridge":
            rest = [n for n in d["order"] if n != target]
            a, b = rest[:len(rest) // 2], rest[len(rest) // 2:]
            for x in a:
                block(c, x, b)
            for y in b:
                block(c, y, a)
            return f"node {target} bridges {a} and {b}"
        return f"node {target}"

    def one_fault(self, d):
        kind = d["kind"]
        leaders = {s: v[0] for s, v in self.monitor.current.items()}
        target = d["node"]
        if d["prefer_leader"] and kind in ("kill", "pause", "partition", "oneway") \
                and leaders.get(d["shard"]):
            target = leaders[d["shard"]]
        if kind == "bridge":
            target = d["order"][0]
        f = {"id": len(self.faults) + 1, "kind": kind, "node": target,
             "led": sorted(s for s, lid in leaders.items() if lid == target),
             "start": now_ns()}
        try:
            f["what"] = self.apply(kind, target, d)
        except Exception as e:  # noqa: BLE001 (reported, then healed)
            f["what"] = f"node {target}: could not apply: {e}"
            self.problems.append(f"fault {f['id']} ({kind}): {e}")
        self.faults.append(f)
        self.log(f"fault {f['id']}: {kind} {f['what']} (led shards {f['led']})"
                 + ("" if kind == "restart" else f" for {d['hold']:.1f}s"))
        if kind != "restart":
            self.stop.wait(d["hold"])
        heal_all(self.cluster)
        f["end"] = now_ns()
        try:
            self.cluster.wait_healthy(timeout=self.opts.recovery_timeout)
            f["recovered"] = now_ns()
            self.log(f"fault {f['id']}: healed, recovered in "
                     f"{(f['recovered'] - f['end']) / 1e9:.1f}s")
        except TimeoutError as e:
            f["recovered"] = None
            self.problems.append(f"fault {f['id']} ({kind}): no recovery: {e}")
            self.log(f"fault {f['id']}: NOT recovered: {e}")

    def run(self):
        while not self.stop.is_set():
            d = self.draw()
            if self.stop.wait(d["wait"]):
                break
            if self.faults and not self.faults[-1]["recovered"]:
                try:                        # no new fault on an unhealthy cluster
                    self.cluster.wait_healthy(timeout=self.opts.recovery_timeout)
                    self.faults[-1]["recovered"] = now_ns()
                except TimeoutError:
                    continue
            self.one_fault(d)


# ---------------------------------------------------------------- final phase

def wait_converged(cluster, timeout=60.0):
    """Waits until every replica of every shard reports the same applied
    index, equal to the commit index, twice in a row; returns the states."""
    last = [None]

    def same():
        states = cluster.raft_states()
        if len(states) != cluster.n:
            return None
        view = {}
        for shard in range(cluster.shards):
            seen = {(st["shards"][shard]["applied"], st["shards"][shard]["commit"])
                    for st in states.values() if shard in st["shards"]}
            if len(seen) != 1 or len(set(next(iter(seen)))) != 1:
                last[0] = None
                return None
            view[shard] = seen
        if view == last[0]:
            return states
        last[0] = view
        return None

    return ch.wait_for(same, timeout=timeout, interval=0.2, what="equal applied indexes")


def read_keys(port, keys, readonly):
    """GETs of `keys` pipelined on one connection: (values, invoke, return)."""
    c = redis.Connection(port=port, socket_timeout=20, decode_responses=True)
    try:
        c.connect()
        if readonly:
            c.send_command("READONLY")
            c.read_response()
        values, invoke = [], now_ns()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            c.send_packed_command(c.pack_commands([("GET", k) for k in chunk]))
            values += [c.read_response() for _ in chunk]
        return values, invoke, now_ns()
    finally:
        c.disconnect()


def read_replicas(cluster, states, keys_of_shard):
    """{shard: {node id: [values]}} and the leaders' reads as history ops."""
    out, final_ops = {}, []
    for shard, keys in keys_of_shard.items():
        leader = cluster.leader_of(shard, states)
        replicas = next(st["shards"][shard]["replicas"] for st in states.values()
                        if shard in st["shards"])
        out[shard] = {}
        for nid in replicas:
            for attempt in range(5):
                try:
                    vals, inv, ret = read_keys(cluster.node(nid).port, keys, nid != leader)
                    break
                except redis.RedisError:
                    if attempt == 4:
                        raise
                    time.sleep(1.0)
            out[shard][nid] = vals
            if nid == leader:
                final_ops += [{"client": "final", "op": "get", "key": k, "arg": None,
                               "type": "ok", "value": v, "invoke": inv, "return": ret}
                              for k, v in zip(keys, vals)]
    return out, final_ops


def lost_incrs(history, finals):
    """Acknowledged INCRs that a later observation of their counter shows
    undone; plus counters above acknowledged + unknown INCRs."""
    lost, over = [], []
    by_key = {}
    for o in history:
        if o["key"] in finals:
            by_key.setdefault(o["key"], []).append(o)
    for key, ops in by_key.items():
        final = int(finals[key] or 0)
        acked = [o for o in ops if o["op"] == "incr" and o["type"] == "ok"
                 and isinstance(o["value"], int)]
        unknown = sum(1 for o in ops if o["op"] == "incr" and o["type"] == "info")
        # observed states after an op's invoke: an INCR replying w saw w-1
        obs = sorted([(o["invoke"], o["value"] - 1) for o in acked]
                     + [(o["invoke"], int(o["value"] or 0)) for o in ops
                        if o["op"] == "get" and o["type"] == "ok"
                        and o["client"] != "final"]
                     + [(float("inf"), final)])
        suffix_min, m = [0] * len(obs), float("inf")
        for i in range(len(obs) - 1, -1, -1):
            m = min(m, obs[i][1])
            suffix_min[i] = m
        invokes = [x[0] for x in obs]
        for o in acked:
            i = bisect.bisect_right(invokes, o["return"])
            if i < len(obs) and suffix_min[i] < o["value"]:
                lost.append({"key": key, "op": "incr", "value": o["value"], "ack": o["return"]})
        if final > len(acked) + unknown:
            over.append(f"{key}: {final} > {len(acked)} acknowledged + {unknown} unknown INCRs")
    return lost, over


def unavailability(history, shard_of, t0, t_end, faults):
    """{shard: {"max_s", "at_s", "faults"}}: per shard, the longest interval
    during which a write to one of its keys was pending and none was
    acknowledged. A write is pending from its invoke to its reply; one that
    failed or has an unknown outcome, until its client's next operation
    (the client still wants to write through its backoff). Writes sent to a
    node while it was paused or down are left out: they measure the node
    the client talked to, not the shard (writes forwarded to a paused
    leader do count)."""
    down = [(f["node"], f["start"], f.get("end") or t_end) for f in faults
            if f["kind"] in ("kill", "pause", "restart")]
    nxt, last = {}, {}
    for o in history:                       # sorted by invoke
        if o["client"] in last:
            nxt[id(last[o["client"]])] = o["invoke"]
        last[o["client"]] = o
    per = {}
    for o in history:
        if o["op"] in WRITES:
            end = o["return"] if o["type"] == "ok" else nxt.get(id(o), t_end)
            if any(n == o.get("node") and a <= end and o["invoke"] <= b for n, a, b in down):
                continue
            per.setdefault(shard_of(o["key"]), []).append((o["invoke"], end, o["type"] == "ok"))
    out = {}
    for shard, ws in sorted(per.items()):
        acks = sorted(e for _, e, ok in ws if ok)
        merged = []
        for s, e, _ in sorted(ws):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        best = (0, t0, t0)
        for s, e in merged:                 # acknowledgements cut the pieces
            i, cur = bisect.bisect_right(acks, s), s
            for cut in acks[i:bisect.bisect_right(acks, e)] + [e]:
                if cut - cur > best[0]:
                    best = (cut - cur, cur, cut)
                cur = cut
        hit = [f"{f['id']}:{f['kind']}" for f in faults
               if f["start"] <= best[2] and (f.get("recovered") or t_end) >= best[1]]
        out[shard] = {"max_s": round(best[0] / 1e9, 3), "at_s": secs(best[1], t0), "faults": hit}
    return out


def attribute(lost, faults, opts, t0):
    """Async mode: blames each lost write on the fault whose loss window
    [start - loss_window, start + election timeout + slack] holds its
    acknowledgement (the nearest start if several); returns ({fault id:
    [ack - start in s]}, lost writes outside every window)."""
    per_fault, outside = {}, []
    after = opts.election_timeout + opts.loss_slack
    for w in lost:
        cands = [f for f in faults
                 if f["start"] - opts.loss_window * 1e9 <= w["ack"] <= f["start"] + after * 1e9]
        if not cands:
            w["outside"] = True
            near = min(faults, key=lambda f: abs(f["start"] - w["ack"]), default=None)
            w["fault"] = near and near["id"]
            w["ack_minus_start_s"] = near and round((w["ack"] - near["start"]) / 1e9, 3)
            outside.append(w)
            continue
        f = min(cands, key=lambda f: abs(f["start"] - w["ack"]))
        w["fault"] = f["id"]
        w["ack_minus_start_s"] = round((w["ack"] - f["start"]) / 1e9, 3)
        per_fault.setdefault(f["id"], []).append(w["ack_minus_start_s"])
    for w in lost:
        w["ack_s"] = secs(w.pop("ack"), t0)
    return per_fault, outside


# ---------------------------------------------------------------- one run

def run_once(opts, seed, out_root, log):
    """One run: returns its report (a dict)."""
    opts.seed = seed
    run_dir = os.path.join(out_root, f"run-seed-{seed}")
    os.makedirs(run_dir, exist_ok=True)
    rep = {"seed": seed, "mode": opts.mode, "duration": opts.duration, "failures": [],
           "notes": [], "dir": run_dir}
    extra = ["--fault-injection", "yes", "--replication", opts.mode]
    cluster = ch.Cluster(opts.nodes, opts.shards, opts.replicas, extra, name="faults")
    stop_clients, stop_nemesis = threading.Event(), threading.Event()
    done, history, nemesis, monitor, t0 = False, [], None, None, now_ns()
    try:
        try:
            cluster.start()
            cluster.wait_settled(timeout=60)
        except Exception as e:  # noqa: BLE001
            rep["failures"].append(f"cluster did not start: {str(e).splitlines()[0]}")
            done = True
            return finish(rep, cluster, history, None, opts, t0, run_dir)
        slot_map = cluster.slot_map()
        keys, counters = make_keys(cluster, opts)
        ports = {n.id: n.port for n in cluster.nodes.values()}
        t0 = now_ns()
        mine = assign_keys(keys, opts.clients, opts.keys_per_client, random.Random(seed))
        clients = [Client(i, ports, mine[i], counters, opts, stop_clients)
                   for i in range(opts.clients)]
        monitor = Monitor(cluster, t0, stop_nemesis)
        nemesis = Nemesis(cluster, opts, monitor, t0, stop_nemesis,
                          lambda m: log(f"[{(now_ns() - t0) / 1e9:7.2f}s] {m}"))
        for th in clients + [monitor]:
            th.start()
        time.sleep(0.2)
        nemesis.start()
        time.sleep(opts.duration)

        nemesis.log("stopping the nemesis, healing")
        stop_nemesis.set()
        nemesis.join(timeout=opts.recovery_timeout + 60)
        heal_all(cluster)
        try:
            cluster.wait_healthy(timeout=opts.recovery_timeout)
        except TimeoutError as e:
            rep["failures"].append(f"no recovery after the final heal: {e}")
        time.sleep(1.0)                     # some writes after the heal
        stop_clients.set()
        t_end = now_ns()
        for th in clients:
            th.join(timeout=OP_TIMEOUT + 10)
        monitor.join(timeout=5)
        history = sorted((o for c in clients for o in c.history), key=lambda o: o["invoke"])
        rep["failures"] += nemesis.problems
        odd = [x for c in clients for x in c.odd]
        if odd:
            rep["failures"].append(f"{len(odd)} replies outside the error contract, "
                                   f"e.g. {odd[:3]}")
        rep["unavailability"] = unavailability(history, lambda k: slot_map[ch.key_slot(k)],
                                               t0, t_end, nemesis.faults)
        try:
            history += final_checks(cluster, opts, rep, history, keys, counters,
                                    nemesis.faults, t0)
        except Exception as e:  # noqa: BLE001 (kept as a failure with the artefacts)
            rep["failures"].append(f"final checks could not run: {e!r}")
        time.sleep(1.2)                     # the servers flush their logs every second
        done = True
        return finish(rep, cluster, history, nemesis, opts, t0, run_dir, monitor)
    finally:
        stop_nemesis.set()
        stop_clients.set()
        cluster.stop(keep_dir=not done)
        if not done:
            log(f"interrupted: cluster directory kept in {cluster.dir}")


def make_keys(cluster, opts):
    """(keys, counters): registers and counters, each spread over the shards."""
    n_ctr = max(opts.shards, opts.keys // 4)
    regs = interleave(cluster.keys_by_shard("reg:", -(-(opts.keys - n_ctr) // opts.shards)))
    ctrs = interleave(cluster.keys_by_shard("ctr:", -(-n_ctr // opts.shards)))
    return regs[:opts.keys - n_ctr] + ctrs[:n_ctr], set(ctrs[:n_ctr])


def interleave(by_shard):
    lists = list(by_shard.values())
    return [lst[i] for i in range(max(map(len, lists))) for lst in lists if i < len(lst)]


def final_checks(cluster, opts, rep, history, keys, counters, faults, t0):
    """Once the replicas converged: reads every key ever written on every
    replica, checks lost writes and divergence; returns the leaders' reads
    as history ops."""
    try:
        states = wait_converged(cluster)
    except TimeoutError as e:
        rep["failures"].append(f"replicas did not converge: {e}")
        states = cluster.raft_states()
    slot_map = cluster.slot_map()
    by_shard = {}
    for k in sorted({o["key"] for o in history if o["type"] != "fail"} | set(keys)):
        by_shard.setdefault(slot_map[ch.key_slot(k)], []).append(k)
    reads, final_ops = read_replicas(cluster, states, by_shard)
    check_final(rep, history, final_ops, reads, by_shard, counters, faults, opts, t0)
    return final_ops


def check_final(rep, history, final_ops, reads, by_shard, counters, faults, opts, t0):
    finals = {o["key"]: o["value"] for o in final_ops}
    lost = []
    for o in history:
        if o["key"].startswith("w:") and o["type"] == "ok" and finals.get(o["key"]) != o["arg"]:
            lost.append({"key": o["key"], "op": "set", "value": o["arg"],
                         "found": finals.get(o["key"]), "ack": o["return"]})
    lost_i, over = lost_incrs(history, {k: finals.get(k) for k in counters})
    lost += lost_i
    if over:
        rep["failures"].append(f"counters over-applied: {over[:5]}")
    rep["lost_writes"] = len(lost)
    diverged = []
    for shard, per_node in reads.items():
        for i, k in enumerate(by_shard[shard]):
            vals = {nid: v[i] for nid, v in per_node.items()}
            if len(set(vals.values())) > 1:
                diverged.append({"key": k, "shard": shard, "values": vals})
    rep["diverged"] = diverged[:50]
    rep["divergence"] = f"DIVERGED ({len(diverged)} keys)" if diverged else "none"
    if diverged:
        rep["failures"].append(f"{len(diverged)} keys differ between replicas")
    if opts.mode == "async":
        per_fault, outside = attribute(lost, faults, opts, t0)
        rep["lost_by_fault"] = {fid: {"lost": len(v), "ack_minus_start_s": sorted(v)}
                                for fid, v in sorted(per_fault.items())}
        if outside:
            rep["failures"].append(f"{len(outside)} writes lost outside the loss window")
            lost.sort(key=lambda w: not w.get("outside"))     # listed first
    else:
        for w in lost:
            w["ack_s"] = secs(w.pop("ack"), t0)
        if lost:
            rep["failures"].append(f"{len(lost)} acknowledged writes lost")
    rep["lost"] = lost[:100]


def finish(rep, cluster, history, nemesis, opts, t0, run_dir, monitor=None):
    """Runs the checker, fills the report, writes or deletes the run dir."""
    client_ops = [o for o in history if o["client"] != "final"]
    rep["ops"] = {t: sum(1 for o in client_ops if o["type"] == t) for t in ("ok", "fail", "info")}
    rep["acked_writes"] = sum(1 for o in client_ops if o["type"] == "ok" and o["op"] in WRITES)
    faults = nemesis.faults if nemesis else []
    rep["faults"] = {k: sum(1 for f in faults if f["kind"] == k) for k in opts.kinds}
    rep["leader_changes"] = len(monitor.changes) if monitor else 0
    if history:
        res = lincheck.check(history, opts.lincheck_time)
        rep["linearizability"] = res.verdict
        rep["lincheck"] = res.to_json()
        if res.verdict == lincheck.NOT_LINEARIZABLE and opts.mode == "sync":
            rep["failures"].append("history NOT linearizable")
        if res.verdict == lincheck.UNKNOWN:
            rep["notes"].append("linearizability unknown: the checker's time limit ran out "
                                "(not a failure)")
    else:
        rep["linearizability"] = "n/a"
    rep.setdefault("divergence", "n/a")
    rep.setdefault("lost_writes", 0)
    rep["passed"] = not rep["failures"]
    save(rep, cluster, history, faults, monitor, opts, t0, run_dir)
    if rep["passed"] and not opts.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
        rep["dir"] = None
    return rep


def save(rep, cluster, history, faults, monitor, opts, t0, run_dir):
    """Writes a run's artefacts (deleted again if it passed, unless --keep)."""
    with open(os.path.join(run_dir, "history.jsonl"), "w") as f:
        for o in history:
            f.write(json.dumps(o) + "\n")
    sched = [{**{k: v for k, v in f.items() if k not in ("start", "end", "recovered")},
              "start_s": secs(f["start"], t0), "end_s": f.get("end") and secs(f["end"], t0),
              "recovered_s": f.get("recovered") and secs(f["recovered"], t0)} for f in faults]
    rep["schedule"] = sched
    with open(os.path.join(run_dir, "schedule.json"), "w") as f:
        json.dump({"seed": rep["seed"], "t0_ns": t0, "options": vars(opts), "faults": sched},
                  f, indent=1)
    with open(os.path.join(run_dir, "leaders.jsonl"), "w") as f:
        for c in (monitor.changes if monitor else []):
            f.write(json.dumps(c) + "\n")
    with open(os.path.join(run_dir, "report.json"), "w") as f:
        json.dump(rep, f, indent=1, default=str)
    for node in cluster.nodes.values():
        dst = os.path.join(run_dir, f"node{node.id}")
        os.makedirs(dst, exist_ok=True)
        for p in (node.log_path, node.out_path):
            if os.path.exists(p):
                shutil.copy(p, dst)


# ---------------------------------------------------------------- reporting

def describe(rep, log):
    o = rep.get("ops", {})
    log(f"run seed {rep['seed']} ({rep['mode']}, {rep['duration']}s): "
        f"{'PASSED' if rep['passed'] else 'FAILED'}")
    log(f"  ops ok/fail/info {o.get('ok', 0)}/{o.get('fail', 0)}/{o.get('info', 0)}, "
        f"acknowledged writes {rep.get('acked_writes', 0)}, lost {rep['lost_writes']}")
    log(f"  linearizability: {rep['linearizability']}; divergence: {rep['divergence']}; "
        f"leader changes seen: {rep.get('leader_changes', 0)}")
    log(f"  faults: {rep.get('faults', {})}")
    for s, u in sorted(rep.get("unavailability", {}).items()):
        log(f"  shard {s}: longest write unavailability {u['max_s']:.2f}s at {u['at_s']:.1f}s "
            f"(faults {u['faults']})")
    for fid, v in rep.get("lost_by_fault", {}).items():
        d = v["ack_minus_start_s"]
        log(f"  fault {fid}: {v['lost']} writes lost, acknowledged {d[0]:+.3f}s to {d[-1]:+.3f}s "
            "from the fault's start")
    for w in rep.get("lost", [])[:10]:
        log(f"  lost: {w}")
    for d in rep.get("diverged", [])[:10]:
        log(f"  diverged: {d}")
    for x in rep["failures"] + rep["notes"]:
        log(f"  - {x}")
    if rep.get("dir"):
        log(f"  kept in {rep['dir']}")


def table(reps, log):
    log("\n run  seed        mode   ops ok/fail/info      acked   lost  linearizable  "
        "diverged  max unavail (s)   result  faults")
    for i, r in enumerate(reps, 1):
        o = r.get("ops", {})
        ops = f"{o.get('ok', 0)}/{o.get('fail', 0)}/{o.get('info', 0)}"
        un = ",".join(f"{u['max_s']:.1f}" for _, u in sorted(r.get("unavailability", {}).items()))
        fl = ",".join(f"{k[:4]}{v}" for k, v in r.get("faults", {}).items() if v)
        lin = {"linearizable": "yes", "NOT linearizable": "NO"}.get(r["linearizability"],
                                                                     r["linearizability"])
        log(f" {i:<4} {r['seed']:<11} {r['mode']:<6} {ops:<21} {r.get('acked_writes', 0):<7} "
            f"{r['lost_writes']:<5} {lin:<13} {'no' if r['divergence'] == 'none' else 'YES':<9} "
            f"{un:<17} {'pass' if r['passed'] else 'FAIL':<7} {fl}")


def span(text):
    lo, _, hi = text.partition(":")
    return float(lo), float(hi or lo)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("sync", "async"), default="sync")
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of faults per run")
    ap.add_argument("--seed", type=int, help="nemesis seed (run i uses seed+i); default random")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--keys", type=int, default=24, help="register + counter keys")
    ap.add_argument("--keys-per-client", type=int, default=4)
    ap.add_argument("--clients", type=int, default=12)
    ap.add_argument("--think-ms", type=float, default=15.0, help="mean pause between ops")
    ap.add_argument("--witness-share", type=float, default=0.2)
    ap.add_argument("--nemesis", default="all", help="comma list of " + ",".join(KINDS))
    ap.add_argument("--wait", type=span, default=(3.0, 8.0), help="LO:HI s between faults")
    ap.add_argument("--hold", type=span, default=(2.0, 6.0), help="LO:HI s a fault lasts")
    ap.add_argument("--recovery-timeout", type=float, default=60.0)
    ap.add_argument("--loss-window", type=float, default=1.0,
                    help="async: s before a fault's start a lost write may be acknowledged")
    ap.add_argument("--election-timeout", type=float, default=0.5,
                    help="async: s (raft-tick-ms x raft-election-ticks)")
    ap.add_argument("--loss-slack", type=float, default=1.0,
                    help="async: s after start + election timeout a lost write may be acked")
    ap.add_argument("--lincheck-time", type=float, default=60.0)
    ap.add_argument("--out", help="where failing runs are kept (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep passing runs too")
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH",
                    help="write a JSON summary to PATH (none or '-': stdout, and the "
                         "report goes to stderr)")
    ap.add_argument("--server", help="shoal-server binary (default: build/server/shoal-server)")
    opts = ap.parse_args(argv)
    opts.kinds = list(KINDS) if opts.nemesis == "all" else opts.nemesis.split(",")
    bad = [k for k in opts.kinds if k not in KINDS]
    if bad or not opts.kinds:
        ap.error(f"unknown nemesis kinds {bad}")
    if opts.nodes < 3:
        ap.error("--nodes must be at least 3 (faults hit a minority)")
    return opts


def main(argv=None):
    global ch
    opts = parse_args(argv)
    if opts.server:
        os.environ["SHOAL_SERVER"] = os.path.abspath(opts.server)
    import cluster_harness
    ch = cluster_harness
    out = opts.out or tempfile.mkdtemp(prefix="shoal-faults-")
    os.makedirs(out, exist_ok=True)
    to_stderr = opts.json == "-"

    def log(msg):
        print(msg, file=sys.stderr if to_stderr else sys.stdout, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    first = opts.seed if opts.seed is not None else random.SystemRandom().randrange(1, 10**9)
    reps = []
    for i in range(opts.runs):
        seed = first + i
        log(f"== run {i + 1}/{opts.runs}: seed {seed}, mode {opts.mode}, "
            f"{opts.duration:.0f}s, nemesis {','.join(opts.kinds)}; output under {out}")
        rep = run_once(opts, seed, out, log)
        describe(rep, log)
        reps.append(rep)
    table(reps, log)
    passed = all(r["passed"] for r in reps)
    log(f"\n{sum(r['passed'] for r in reps)}/{len(reps)} runs passed"
        + ("" if passed else f"; failing runs kept under {out}"))
    if opts.json:
        summary = {"passed": passed, "runs": reps}
        if opts.json == "-":
            json.dump(summary, sys.stdout, indent=1, default=str)
        else:
            with open(opts.json, "w") as f:
                json.dump(summary, f, indent=1, default=str)
    if not opts.out and not os.listdir(out):
        os.rmdir(out)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
