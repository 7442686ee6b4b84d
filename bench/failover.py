#!/usr/bin/env python3
"""Failover time of a local 3-node shoal cluster (DESIGN.md §4, §5, §7):
unplanned (SIGKILL of a leader) and planned (CLUSTER FAILOVER, shoal-cluster
drain) leadership changes.

Starts a cluster with shoal-cluster (3 nodes, 3 shards, 3 replicas; sync
replication, or async, or one cluster of each with --replication both) and
runs --trials trials of each mode chosen with --mode (default all: kill,
then failover, then drain). Each trial picks a shard (rotating) and a
hash-tagged key of it.

kill: a writer sends SET to that key back to back through the two nodes
that do not lead the shard (plain client: they forward to the shard's
leader; on an error or a timeout the writer retries at once on the next
node). While the writer runs, the leader is killed with SIGKILL. The
trial's failover time is the time from the kill to the first OK of a SET
that was sent after the killed process was gone; the node that answered is
then asked (INFO raft) to confirm that the shard has a new leader, not the
killed node, and GET must return the last acknowledged value (async
replication may lose the last acknowledged writes: then that is reported,
not failed). Then the killed node is restarted. Bounds: p50 <= 1 s,
max <= 2 s.

failover / drain (planned transfers): one writer per node (plain client,
so the shard's leader serves it, the others forward) and one cluster-aware
client (redis-py RedisCluster, follows -MOVED) send SET back to back, each
to its own key of the shard, recording the time of every OK and every
error. Once every writer is getting OKs, the trigger: `failover` sends
CLUSTER FAILOVER to a follower of the shard (the target, rotating over the
followers; it takes the leadership of every shard it follows), `drain` runs
`shoal-cluster drain <leader>` (SHOAL.DRAIN ON; the server picks the
target). INFO raft of every node is polled until a node other than the old
leader (for failover: the target) reports itself leader at a higher term:
"moved". A writer's unavailability is the longest interval between two of
its consecutive OKs that overlaps [trigger - 0.5 s, moved + 0.5 s] (a write
still unanswered when the writers stop counts up to then); the trial's is
the largest over the writers. Every error reply, client timeout or
connection error is counted and printed. After the trial, the target must
still lead the shard (failover: no hand-back), and GET of every writer's key
must return its last acknowledged value. Then the preferred leaders are
restored (failover: SHOAL.DRAIN ON at the target until it leads nothing,
then OFF; drain: SHOAL.DRAIN OFF) and the next trial waits until every
shard is in sync and led by its preferred leader. Bounds: max
unavailability < 200 ms, no error.

Between trials the script waits until every shard has all 3 replicas in
sync (lag on the leader numeric and <= 100) and leadership is back on each
shard's preferred leader. Prints every trial, then per mode p50/p90/max
with PASS/FAIL against its bounds, then `shoal-cluster status`. Exit
status 0 only if every mode passes.

Usage: /usr/bin/python3 bench/failover.py [--trials 20] [--mode kill|failover|drain|all]
           [--replication sync|async|both] [--base-port 7500] [--keep]
"""
import argparse
import logging
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
import threading
import time

from servers import ROOT, encode, in_sync, leaders, parse_raft

try:  # the cluster-aware writer of the planned modes (Debian's python3-redis)
    import redis
    import redis.cluster
except ImportError:  # pragma: no cover
    redis = None

SHOAL_CLUSTER = os.environ.get("SHOAL_CLUSTER",
                               os.path.join(ROOT, "build", "tools", "shoal-cluster"))
NODES = 3
SHARDS = 3
REPLICAS = 3
P50_BOUND = 1.0
MAX_BOUND = 2.0
PLANNED_MAX_BOUND = 0.2   # planned transfer: longest write pause, seconds
WINDOW_MARGIN = 0.5       # the unavailability window: [trigger - 0.5 s, moved + 0.5 s]
MODES = ("kill", "failover", "drain")


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


def raft_reports(base, nodes, timeout=1.0):
    """{node: parsed INFO raft} of the nodes that answer."""
    out = {}
    for n in nodes:
        try:
            out[n] = parse_raft(query(port_of(base, n), "INFO", "raft", timeout=timeout))
        except (OSError, ConnectionError, RespError):
            pass
    return out


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


def key_for_shard(base, node, shard, led, start=0):
    """A key whose slot belongs to `shard`; checks the slot with CLUSTER KEYSLOT.
    The key is "{tag}:failover": other keys "{tag}:..." share its slot."""
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
    for i in range(start, start + 100000):
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
        ok, why = in_sync(reports, SHARDS, REPLICAS)
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
        ok, _ = in_sync(reports, SHARDS, REPLICAS)
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


def trial(args, num, pids, repl="sync"):
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
            msg = f"GET {key} = {v!r}, older than the last acknowledged t{num}:{w.last_ok_seq}"
            if repl == "async":
                # DESIGN.md §4: an async failover may lose the writes
                # acknowledged in the last moments.
                res["lost"] = w.last_ok_seq - max(got, 0)
                res["note"] = msg + " (async replication: allowed)"
            else:
                res["error"] = msg
    except (OSError, ConnectionError, RespError) as e:
        res["error"] = f"GET after the failover failed: {e}"
    return res


# --- planned transfers (CLUSTER FAILOVER, shoal-cluster drain) --------------

def leader_by_term(reports, shard):
    """(node, term) of the node that says it leads `shard` at the highest
    term, or None."""
    best = None
    for node, shards in reports.items():
        f = shards.get(shard)
        if f and f.get("role") == "leader":
            term = int(f.get("term", 0))
            if best is None or term > best[1]:
                best = (node, term)
    return best


def led_by(reports, node):
    """Shards `node` leads, by the highest-term leader of each shard."""
    out = []
    for s in range(SHARDS):
        lt = leader_by_term(reports, s)
        if lt is not None and lt[0] == node:
            out.append(s)
    return out


_WRITER_OF_THREAD = {}  # thread ident -> PlannedWriter (redis-py's log records)


class _RedisPyLog(logging.Handler):
    """redis-py's RedisCluster logs every error it retries on its own
    (log.exception: -CLUSTERDOWN, -TRYAGAIN, connection errors; and each
    -MOVED it follows); they go to the writer of the thread, so errors the
    client hid by retrying still count."""

    def emit(self, record):
        w = _WRITER_OF_THREAD.get(record.thread)
        if w is not None:
            w.client_log(record)


if redis is not None:
    _log = logging.getLogger("redis.cluster")
    _log.addHandler(_RedisPyLog())
    _log.setLevel(logging.DEBUG)
    _log.propagate = False


class PlannedWriter(threading.Thread):
    """Sends SET to its own key back to back through one node (plain
    client) or through a cluster-aware client, until stopped; records the
    time of every OK and every error (error reply, client timeout,
    connection error: all count)."""

    def __init__(self, name, key, tag, op_timeout, port=None, cluster_ports=None):
        super().__init__(daemon=True)
        self.label = name
        self.key = key
        self.tag = tag
        self.op_timeout = op_timeout
        self.port = port
        self.cluster_ports = cluster_ports
        self.stop = threading.Event()
        self.acks = []      # monotonic time of every OK
        self.errors = []    # (monotonic time, text)
        self.seq = 0
        self.last_ok_seq = 0
        self.finished = None
        self.conn = None
        self.redirects = 0      # -MOVED followed by the cluster-aware client
        self.logged = set()     # ids of exceptions redis-py logged (and counted)

    def client_log(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if record.levelno < logging.ERROR or exc is None:
            return  # debug chatter, not an error
        if record.getMessage() == "MovedError":
            self.redirects += 1
            return
        if exc is not None:
            self.logged.add(id(exc))
        self.errors.append((time.monotonic(), f"{exc.__class__.__name__} (retried by "
                            f"redis-py): {exc}"))

    def _connect(self):
        if self.cluster_ports:
            nodes = [redis.cluster.ClusterNode("127.0.0.1", p) for p in self.cluster_ports]
            return redis.cluster.RedisCluster(startup_nodes=nodes, socket_timeout=self.op_timeout,
                                              socket_connect_timeout=self.op_timeout,
                                              decode_responses=True)
        return Conn(self.port, self.op_timeout)

    def _close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 (best effort)
                pass
            self.conn = None

    def run(self):
        _WRITER_OF_THREAD[threading.get_ident()] = self
        while not self.stop.is_set():
            self.seq += 1
            value = f"{self.tag}:{self.seq}"
            err = None
            try:
                if self.conn is None:
                    self.conn = self._connect()
                if self.cluster_ports:
                    ok = self.conn.set(self.key, value) is True
                    err = None if ok else "SET replied not OK"
                else:
                    self.conn.send("SET", self.key, value)
                    r = self.conn.read()
                    err = None if r == "OK" else \
                        (f"-{r}" if isinstance(r, RespError) else f"reply {r!r}")
            except socket.timeout:
                err = f"client timeout ({self.op_timeout} s)"
                self._close()
            except (OSError, ConnectionError) as e:
                err = f"connection: {e.__class__.__name__}: {e}"
                self._close()
            except Exception as e:  # noqa: BLE001 (redis-py's errors: all count)
                err = f"{e.__class__.__name__}: {e}"
                if redis is not None and isinstance(e, (redis.ConnectionError, redis.TimeoutError)):
                    self._close()
                if id(e) in self.logged:
                    err = ""  # counted when redis-py logged it
            now = time.monotonic()
            if err is None:
                self.acks.append(now)
                self.last_ok_seq = self.seq
            elif err:
                self.errors.append((now, err))
        self.finished = time.monotonic()
        self._close()

    def longest_gap(self, start, end):
        """(length, from, to) of the longest interval between consecutive
        OKs (or the last OK and the writer's end) that overlaps [start, end]."""
        pts = sorted(self.acks + [self.finished or time.monotonic()])
        best = (0.0, start, start)
        for a, b in zip(pts, pts[1:]):
            if b >= start and a <= end and b - a > best[0]:
                best = (b - a, a, b)
        return best


def wait_led_none(base, node, timeout):
    """Waits until `node` leads no shard and every shard has a leader."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        reports = raft_reports(base, range(1, NODES + 1))
        if not led_by(reports, node) and \
                all(leader_by_term(reports, s) is not None for s in range(SHARDS)):
            return True
        time.sleep(0.02)
    return False


def restore_planned(args, base, mode, res, preferred):
    """Puts leadership back on the preferred leaders after a planned trial:
    failover → SHOAL.DRAIN ON at the target (pinned leader of every shard it
    follows) until it leads nothing, then OFF; drain → SHOAL.DRAIN OFF at the
    drained node. Returns (seconds, why or None)."""
    t0 = time.monotonic()
    why = None
    try:
        if mode == "failover" and res.get("to") is not None:
            node = res["to"]
            query(port_of(base, node), "SHOAL.DRAIN", "ON")
            if not wait_led_none(base, node, 15):
                why = f"node {node} still leads a shard 15 s after SHOAL.DRAIN ON"
            query(port_of(base, node), "SHOAL.DRAIN", "OFF")
        elif mode == "drain" and res.get("from") is not None:
            query(port_of(base, res["from"]), "SHOAL.DRAIN", "OFF")
    except (OSError, ConnectionError, RespError) as e:
        why = f"restoring the leaders: {e}"
    _, settled, swhy = settle(base, preferred, args.settle_timeout)
    if settled is None:
        why = (why + "; " if why else "") + \
            f"not settled {args.settle_timeout:.0f} s after the trial: {swhy}"
    return time.monotonic() - t0, why


def planned_trial(args, mode, num, d):
    """One CLUSTER FAILOVER (mode "failover") or shoal-cluster drain (mode
    "drain") under writes; see the module docstring."""
    base = args.base_port
    shard = num % SHARDS
    reports = raft_reports(base, range(1, NODES + 1))
    lt = leader_by_term(reports, shard)
    if lt is None:
        return {"error": f"shard {shard} has no leader"}
    old, old_term = lt
    res = {"shard": shard, "from": old, "old_term": old_term, "errors": {}, "gaps": {}}
    followers = sorted(n for n in reports[old][shard]["replicas"] if n != old)
    target = followers[(num // SHARDS) % len(followers)] if mode == "failover" else None
    key, slot = key_for_shard(base, followers[0], shard, {shard: old})
    res["key"] = key
    tag = f"{mode[0]}{num}"
    writers = {}
    for n in range(1, NODES + 1):
        writers[n] = PlannedWriter(f"n{n}", key.replace(":failover", f":n{n}"), tag,
                                   args.planned_op_timeout, port=port_of(base, n))
    if redis is not None and not args.no_cluster_client:
        writers["cluster"] = PlannedWriter("cluster", key.replace(":failover", ":cluster"), tag,
                                           args.planned_op_timeout,
                                           cluster_ports=[port_of(base, n)
                                                          for n in range(1, NODES + 1)])
    for w in writers.values():
        w.start()

    def stop_writers():
        for w in writers.values():
            w.stop.set()
        for w in writers.values():
            w.join(timeout=args.planned_op_timeout + 10)

    # Warm up: every writer must be getting OKs before the trigger.
    t_warm = time.monotonic()
    while True:
        time.sleep(0.02)
        now = time.monotonic()
        if now - t_warm >= args.warmup and all(len(w.acks) >= 10 for w in writers.values()):
            break
        if now - t_warm > args.warmup + 10:
            stop_writers()
            res["error"] = "writers not getting OKs before the trigger: " + ", ".join(
                f"{w.label} {len(w.acks)} OKs {w.errors[-1][1] if w.errors else ''}"
                for w in writers.values())
            return res
    warm_errors = {w.label: len(w.errors) for w in writers.values() if w.errors}
    if warm_errors:
        res["warm_errors"] = warm_errors

    # Trigger, then poll INFO raft until the leadership moved.
    proc = None
    t_trig = time.monotonic()
    try:
        if mode == "failover":
            r = query(port_of(base, target), "CLUSTER", "FAILOVER")
            if r != "OK":
                res["error"] = f"CLUSTER FAILOVER replied {r!r}"
        else:
            proc = subprocess.Popen([SHOAL_CLUSTER, "drain", str(old), "--dir", d,
                                     "--timeout", str(int(args.give_up))],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except (OSError, ConnectionError, RespError) as e:
        res["error"] = f"trigger failed: {e}"
    t_moved = None
    new = None
    deadline = t_trig + args.give_up
    while "error" not in res and time.monotonic() < deadline:
        reports = raft_reports(base, range(1, NODES + 1), timeout=0.5)
        lt = leader_by_term(reports, shard)
        if lt is not None and lt[0] != old and lt[1] > old_term and \
                (target is None or lt[0] == target):
            t_moved = time.monotonic()
            new, res["new_term"] = lt
            break
        time.sleep(0.005)
    if proc is not None:
        try:
            out, err = proc.communicate(timeout=args.give_up + 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        res["drain_out"] = out.strip()
        m = re.search(r"leads no shard \((\d+) ms\)", out)
        if proc.returncode != 0 or not m:
            res["error"] = f"shoal-cluster drain {old} exited {proc.returncode}: {out}{err}"
        else:
            res["drain_ms"] = int(m.group(1))
    end = (t_moved if t_moved is not None else time.monotonic()) + WINDOW_MARGIN
    while time.monotonic() < end + 0.1:
        time.sleep(0.02)
    stop_writers()
    if any(w.is_alive() for w in writers.values()):
        res["error"] = "a writer hangs"
    res["to"] = new if new is not None else target
    if t_moved is None:
        res.setdefault("error", f"leadership of shard {shard} did not move from node {old}"
                                f"{f' to node {target}' if target else ''} within "
                                f"{args.give_up:.0f} s")
    else:
        res["moved"] = t_moved - t_trig
    roles = {old: "leader", new: "target"}
    start = t_trig - WINDOW_MARGIN
    for k, w in writers.items():
        label = "cluster" if k == "cluster" else roles.get(k, "other")
        if label in res["gaps"]:  # not moved: two "other" writers
            label = f"{label}-n{k}"
        gap, g_from, g_to = w.longest_gap(start, end)
        res["gaps"][label] = gap
        if gap >= res.get("pause", (0,))[0]:
            res["pause"] = (gap, label, g_from - t_trig, g_to - t_trig)
        # Every error of the trial counts, before the trigger too.
        res["errors"][label] = len(w.errors)
        who = "cluster" if k == "cluster" else f"{label}(n{k})"
        for t, txt in w.errors:
            kind = res.setdefault("error_kinds", {}).setdefault(txt, {"first": t, "by": {}})
            kind["first"] = min(kind["first"], t)
            kind["by"][who] = kind["by"].get(who, 0) + 1
    if t_moved is not None:
        res["unavail"] = max(res["gaps"].values())

    # The new leader keeps the shard (failover: pinned, no hand-back).
    if new is not None:
        try:
            f = parse_raft(query(port_of(base, new), "INFO", "raft"))[shard]
            if f.get("role") != "leader":
                res.setdefault("error", f"node {new} no longer leads shard {shard} "
                                        f"{WINDOW_MARGIN} s after the transfer: {f.get('role')}, "
                                        f"leader {f.get('leader')}")
        except (OSError, ConnectionError, RespError) as e:
            res.setdefault("error", f"INFO raft of node {new}: {e}")
    # Every writer's last acknowledged value is there.
    for k, w in writers.items():
        try:
            v = query(port_of(base, new or old), "GET", w.key)
        except (OSError, ConnectionError, RespError) as e:
            res.setdefault("error", f"GET {w.key}: {e}")
            continue
        got = int(v.split(":")[1]) if isinstance(v, str) and v.startswith(f"{tag}:") else -1
        # A SET that errored may or may not have been applied: up to w.seq.
        if got < w.last_ok_seq or got > w.seq:
            res.setdefault("error", f"GET {w.key} = {v!r}; last acknowledged "
                                    f"{tag}:{w.last_ok_seq}, last sent {tag}:{w.seq}")
    res["error_texts"] = [
        f"{' '.join(f'{w}={n}' for w, n in kind['by'].items())} from trigger"
        f"{kind['first'] - t_trig:+.3f} s: {txt}"
        for txt, kind in sorted(res.get("error_kinds", {}).items(), key=lambda kv: kv[1]["first"])]
    res["writes"] = sum(len(w.acks) for w in writers.values())
    res["redirects"] = sum(w.redirects for w in writers.values())
    return res


def run_planned(args, mode, d, preferred, repl):
    base = args.base_port
    print(f"{mode} trials ({repl} replication): "
          + ("CLUSTER FAILOVER to a follower of the shard" if mode == "failover"
             else "shoal-cluster drain <the shard's leader>")
          + "; writers: a plain client on each node (leader / target / other) "
          + ("and a cluster-aware client" if redis is not None and not args.no_cluster_client
             else "(no cluster-aware client)"), flush=True)
    print(f"{'trial':>5} {'shard':>5} {'from':>4} {'to':>4} {'term':>7} {'moved_ms':>8} "
          f"{'drain_ms':>8} {'leader':>7} {'target':>7} {'other':>7} {'cluster':>7} "
          f"{'max_ms':>7} {'writes':>6} {'errors':>6} {'MOVED':>5} {'restore_s':>9}")
    results = []
    failed = False
    for num in range(args.trials):
        res = planned_trial(args, mode, num, d)
        restore_s, why = restore_planned(args, base, mode, res, preferred)
        if why:
            res["error"] = (res["error"] + "; " if res.get("error") else "") + why

        def ms(v):
            return f"{v * 1000:.1f}" if v is not None else "-"

        g = res.get("gaps", {})
        nerr = sum(res.get("errors", {}).values())
        term = f"{res.get('old_term', '?')}->{res.get('new_term', '?')}"
        print(f"{num + 1:>5} {res.get('shard', '?'):>5} {res.get('from', '?'):>4} "
              f"{res.get('to') or '?':>4} {term:>7} {ms(res.get('moved')):>8} "
              f"{res.get('drain_ms', '-'):>8} {ms(g.get('leader')):>7} {ms(g.get('target')):>7} "
              f"{ms(g.get('other')):>7} {ms(g.get('cluster')):>7} {ms(res.get('unavail')):>7} "
              f"{res.get('writes', 0):>6} {nerr:>6} {res.get('redirects', 0):>5} {restore_s:>9.2f}",
              flush=True)
        if res.get("pause") and res["pause"][0] >= PLANNED_MAX_BOUND / 4:
            gap, who, a, b = res["pause"]
            print(f"      longest pause: {who} writer, {gap * 1000:.1f} ms, from trigger{a:+.3f} s "
                  f"to trigger{b:+.3f} s (moved at +{res.get('moved', float('nan')):.3f} s)",
                  flush=True)
        for t in res.get("error_texts", []):
            print(f"      errors: {t}", flush=True)
        if res.get("warm_errors"):
            print(f"      errors before the trigger: {res['warm_errors']}", flush=True)
        if res.get("error"):
            failed = True
            print(f"      ERROR: {res['error']}", flush=True)
        results.append(res)
        if why and "not settled" in why:
            print("cluster did not recover; stopping the trials")
            print(sc(["status", "--dir", d], check=False).stdout)
            break
    times = [r["unavail"] for r in results if r.get("unavail") is not None]
    errors = sum(sum(r.get("errors", {}).values()) for r in results)
    per_writer = {}
    for r in results:
        for k, v in r.get("errors", {}).items():
            per_writer[k] = per_writer.get(k, 0) + v
    if not times:
        print(f"{mode} ({repl}): no trial measured  FAIL")
        return False
    qs = statistics.quantiles(times, n=10, method="inclusive") if len(times) > 1 else times * 9
    p50, p90, mx = statistics.median(times), qs[8], max(times)
    ok = mx < PLANNED_MAX_BOUND and errors == 0 and not failed and len(times) == args.trials
    moved = [r["moved"] for r in results if r.get("moved") is not None]
    print(f"{mode} ({repl}) over {len(times)}/{args.trials} trials: write unavailability "
          f"p50 {p50 * 1000:.1f} ms  p90 {p90 * 1000:.1f} ms  max {mx * 1000:.1f} ms; "
          f"leadership moved after p50 {statistics.median(moved) * 1000:.1f} ms; "
          f"errors {errors} ({' '.join(f'{k}={v}' for k, v in sorted(per_writer.items()))}) "
          f"(bounds: max < {PLANNED_MAX_BOUND * 1000:.0f} ms, 0 errors)  "
          f"{'PASS' if ok else 'FAIL'}")
    if not ok and failed:
        print("FAIL also because of the trial errors above")
    return ok


def run_kill(args, d, preferred, repl):
    base = args.base_port
    print(f"kill trials ({repl} replication): SIGKILL of the shard's leader, writes through "
          f"the two other nodes", flush=True)
    print(f"{'trial':>5} {'shard':>5} {'killed':>6} {'new':>4} {'term':>9} "
          f"{'failover_s':>10} {'attempts':>8}  {'in_sync_s':>9} {'leaders_s':>9}  "
          f"errors before the ack")
    results = []
    failed = False
    for num in range(args.trials):
        pids = {n: int(sc(["pid", str(n), "--dir", d]).stdout.strip())
                for n in range(1, NODES + 1)}
        res = trial(args, num, pids, repl)
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
        if res.get("note"):
            print(f"      note: {res['note']}", flush=True)
        if res.get("error"):
            failed = True
            print(f"      ERROR: {res['error']}", flush=True)
        results.append(res)
        if settled is None and victim is not None:
            print("cluster did not recover; stopping the trials")
            print(sc(["status", "--dir", d], check=False).stdout)
            break

    times = [r["failover"] for r in results if r.get("failover") is not None]
    if not times:
        print(f"kill ({repl}): no trial measured  FAIL")
        return False
    qs = statistics.quantiles(times, n=10, method="inclusive") if len(times) > 1 else times * 9
    p50, p90, mx = statistics.median(times), qs[8], max(times)
    ok = (p50 <= P50_BOUND and mx <= MAX_BOUND and not failed
          and len(times) == args.trials)
    lost = sum(r.get("lost", 0) for r in results)
    print(f"kill ({repl}) failover over {len(times)}/{args.trials} trials: p50 {p50:.3f} s  "
          f"p90 {p90:.3f} s  max {mx:.3f} s  (bounds: p50 <= {P50_BOUND:.0f} s, "
          f"max <= {MAX_BOUND:.0f} s)"
          + (f"; {lost} acknowledged writes lost (async)" if lost else "")
          + f"  {'PASS' if ok else 'FAIL'}")
    if not ok and failed:
        print("FAIL also because of the trial errors above")
    return ok


def run_cluster(args, repl, d, modes):
    """Starts a cluster in `repl` mode, runs the modes' trials, checks the
    final status. Returns {mode: ok} plus "status"."""
    base = args.base_port
    print(f"== {repl} replication: cluster dir {d}", flush=True)
    oks = {}
    sc(["up", "-n", str(NODES), "--shards", str(SHARDS), "--replicas", str(REPLICAS),
        "--dir", d, "--base-port", str(base), "--replication", repl])
    try:
        preferred = stable_leaders(base, 60)
        if preferred is None:
            print("warning: leaders did not settle on a spread, stable map within 60 s; "
                  "not waiting for preferred leaders between trials")
            print(sc(["status", "--dir", d], check=False).stdout)
            preferred = {}
        else:
            print(f"preferred leaders (shard:node): {fmt_map(preferred)}")
        for mode in modes:
            print()
            if mode == "kill":
                oks[mode] = run_kill(args, d, preferred, repl)
            else:
                oks[mode] = run_planned(args, mode, d, preferred, repl)
        print()
        status = sc(["status", "--dir", d], check=False).stdout
        print(status, end="")
        rows = re.findall(r"^(\d+)\s.*\s(\d+)/(\d+)\s*$", status, re.M)
        all_in_sync = (len(rows) == SHARDS and
                       all(a == b == str(REPLICAS) for _, a, b in rows))
        if not all_in_sync:
            print(f"FAIL: shoal-cluster status does not show {REPLICAS}/{REPLICAS} in-sync "
                  f"replicas for every shard")
        else:
            print(f"status: every shard has {REPLICAS}/{REPLICAS} replicas in sync")
        oks["status"] = all_in_sync
        return oks
    finally:
        if args.keep:
            print(f"kept: shoal-cluster down --wipe --dir {d}")
        else:
            r = sc(["down", "--wipe", "--dir", d], check=False)
            if r.returncode != 0:
                print(r.stdout + r.stderr, file=sys.stderr)


def main():
    global SHOAL_CLUSTER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20, help="trials per mode")
    ap.add_argument("--mode", choices=MODES + ("all",), default="all",
                    help="kill (SIGKILL a leader), failover (CLUSTER FAILOVER), drain "
                         "(shoal-cluster drain), or all three")
    ap.add_argument("--replication", choices=("sync", "async", "both"), default="sync",
                    help="replication mode of the cluster (both: one cluster of each)")
    ap.add_argument("--base-port", type=int, default=7500)
    ap.add_argument("--keep", action="store_true", help="leave the cluster running and its data")
    ap.add_argument("--dir", help="cluster directory (default: a new temp dir)")
    ap.add_argument("--shoal-cluster", default=SHOAL_CLUSTER, help="shoal-cluster binary")
    ap.add_argument("--op-timeout", type=float, default=0.2,
                    help="kill mode: client timeout of one SET, seconds")
    ap.add_argument("--planned-op-timeout", type=float, default=2.0,
                    help="failover/drain: client timeout of one SET, seconds (a timeout "
                         "counts as an error)")
    ap.add_argument("--no-cluster-client", action="store_true",
                    help="failover/drain: no cluster-aware (redis-py) writer")
    ap.add_argument("--warmup", type=float, default=0.5,
                    help="seconds of writes before the kill / the trigger")
    ap.add_argument("--give-up", type=float, default=30.0,
                    help="seconds after the kill without an acknowledged write, or after "
                         "the trigger without the leadership moved: trial fails")
    ap.add_argument("--settle-timeout", type=float, default=60.0,
                    help="seconds to wait for all replicas in sync and the preferred "
                         "leaders after a trial")
    args = ap.parse_args()
    SHOAL_CLUSTER = args.shoal_cluster
    if not os.access(SHOAL_CLUSTER, os.X_OK):
        sys.exit(f"no shoal-cluster at {SHOAL_CLUSTER}; build it or pass --shoal-cluster")
    # Writer threads: hand the GIL over often, so a thread's gap is the server's.
    sys.setswitchinterval(0.0005)
    modes = MODES if args.mode == "all" else (args.mode,)
    repls = ("sync", "async") if args.replication == "both" else (args.replication,)

    top = args.dir or tempfile.mkdtemp(prefix="shoal-failover-")
    base = args.base_port
    print(f"shoal failover: {NODES} nodes, {SHARDS} shards, {REPLICAS} replicas, "
          f"{'+'.join(repls)} replication; modes {','.join(modes)}; "
          f"ports {base}..{base + NODES - 1}; {args.trials} trials per mode; "
          f"{os.cpu_count()} cores; dir {top}", flush=True)
    summary = []
    try:
        for repl in repls:
            d = os.path.join(top, f"cluster-{repl}")
            oks = run_cluster(args, repl, d, modes)
            summary.extend((repl, m, ok) for m, ok in oks.items())
            print()
    finally:
        if not args.dir and not args.keep:
            shutil.rmtree(top, ignore_errors=True)
    print("summary: " + "  ".join(f"{repl}/{m} {'PASS' if ok else 'FAIL'}"
                                   for repl, m, ok in summary))
    return 0 if summary and all(ok for _, _, ok in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
