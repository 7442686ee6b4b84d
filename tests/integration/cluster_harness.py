"""Starts real shoal-server processes as a local cluster for integration tests.

A Cluster is N ClusterNode processes (`--cluster-enabled yes`) on loopback
ports taken from 7400-7499 (the bus listens on port + 10000). Every node
has its own data directory and log under one temporary directory; the logs
are printed when a test fails, and the directory is then kept.

Nodes are driven from here: kill(i) (SIGKILL), pause(i)/resume(i)
(SIGSTOP/SIGCONT), restart(i). Node state comes from INFO raft / INFO
cluster, parsed by shard_info() / node_state(). Waits poll with a deadline
(wait_for), never a blind sleep.

Use /usr/bin/python3: Debian's python3-redis is importable there.
"""
import atexit
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import redis
import redis.cluster

from harness import SERVER, RawConnection, wait_for

PORT_FIRST, PORT_LAST = 7400, 7499
BUS_OFFSET = 10000
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
REDIS_BENCHMARK = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
LOCK_DIR = os.path.join(tempfile.gettempdir(), "shoal-cluster-port-locks")

# Every node process started by this module, so none outlives the test run.
_LIVE = set()
_LIVE_MU = threading.Lock()


def _kill_leftovers():
    with _LIVE_MU:
        procs = list(_LIVE)
    for p in procs:
        try:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=10)
        except Exception:  # noqa: BLE001 (best effort at exit)
            pass


atexit.register(_kill_leftovers)


# ---------------------------------------------------------------------------
# ports


def bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _lock_port(port):
    """The held lock file of `port` if it and its bus port are free, else None."""
    f = open(os.path.join(LOCK_DIR, f"{port}.lock"), "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    if bindable(port) and bindable(port + BUS_OFFSET):
        return f
    f.close()
    return None


class PortLease:
    """n ports from 7400-7499 (consecutive ones if asked) whose port and
    port+10000 are free, each held under an flock so concurrent test
    processes never pick the same one."""

    def __init__(self, n, consecutive=False):
        os.makedirs(LOCK_DIR, exist_ok=True)
        self.ports, self._files = [], []
        for port in range(PORT_FIRST, PORT_LAST + 1):
            if len(self.ports) == n:
                break
            f = _lock_port(port)
            if f is None:
                if consecutive:  # a run of n starts again after a busy port
                    self.release()
                continue
            self.ports.append(port)
            self._files.append(f)
        if len(self.ports) < n:
            self.release()
            raise RuntimeError(f"fewer than {n} free ports in {PORT_FIRST}-{PORT_LAST}")

    def release(self):
        for f in self._files:
            f.close()
        self.ports, self._files = [], []


# ---------------------------------------------------------------------------
# RESP helpers


def to_py(reply):
    """(type, value) from RawConnection.read() -> plain Python values
    (bytes decoded; errors as ResponseError instances)."""
    t, v = reply
    if t == "-":
        return redis.ResponseError(v)
    if t in "$=!" and v is not None:
        return v.decode(errors="replace")
    if t in "*~>":
        return None if v is None else [to_py(x) for x in v]
    if t == "%":
        return {to_py(k): to_py(x) for k, x in v}
    return v


def pairs_to_dict(flat):
    """A RESP2 map (flat [k1, v1, k2, v2...]) -> dict."""
    if isinstance(flat, dict):
        return flat
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def parse_info(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        k, v = line.split(":", 1)
        out[k] = v
    return out


def parse_shard_line(value):
    """'role=leader,term=3,...,replicas=1;2;3,lag=2:0;3:down' -> dict."""
    d = {}
    for part in value.split(","):
        k, _, v = part.partition("=")
        d[k] = v
    out = {"role": d.get("role", "")}
    for k in ("term", "leader", "commit", "applied", "last_index", "first_index"):
        out[k] = int(d.get(k, "0") or 0)
    out["replicas"] = [int(x) for x in d.get("replicas", "").split(";") if x]
    lag = {}
    for item in d.get("lag", "").split(";"):
        if not item:
            continue
        peer, _, n = item.partition(":")
        lag[int(peer)] = None if n == "down" else int(n)
    out["lag"] = lag
    return out


_CRC16_TABLE = []
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x1021) if _c & 0x8000 else (_c << 1)
    _CRC16_TABLE.append(_c & 0xFFFF)


def key_slot(key):
    """Redis Cluster hash slot (CRC16-XMODEM of the key or its {hash tag})."""
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    crc = 0
    for b in key:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc % 16384


# ---------------------------------------------------------------------------
# nodes


_EVENT = re.compile(r"became leader|lost leadership|handing leadership|TimeoutNow| [WEC] \[")


class ClusterNode:
    """One shoal-server process of a cluster (ids are 1-based)."""

    def __init__(self, cluster, node_id, port):
        self.cluster = cluster
        self.id = node_id
        self.port = port
        self.dir = os.path.join(cluster.dir, f"node{node_id}")
        self.data_dir = os.path.join(self.dir, "db")
        self.log_path = os.path.join(self.dir, "server.log")
        self.out_path = os.path.join(self.dir, "stdout.log")
        self.proc = None
        self.paused = False
        os.makedirs(self.dir, exist_ok=True)

    def argv(self):
        return [SERVER, "--port", str(self.port), "--dir", self.data_dir,
                "--logfile", self.log_path,
                "--cluster-enabled", "yes",
                "--cluster-node-id", str(self.id),
                "--cluster-nodes", self.cluster.nodes_arg(),
                "--cluster-shards", str(self.cluster.shards),
                "--cluster-replicas", str(self.cluster.replicas)] + list(self.cluster.extra_args)

    def start(self):
        assert not self.alive(), f"node {self.id} is already running"
        out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        out.close()
        self.paused = False
        with _LIVE_MU:
            _LIVE.add(self.proc)
        return self

    def wait_ready(self, timeout=30.0):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.id} exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(64).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(ready, timeout=timeout, interval=0.05, what=f"node {self.id} to answer PING")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def up(self):
        """Running and not paused: expected to answer."""
        return self.alive() and not self.paused

    @property
    def pid(self):
        return self.proc.pid

    def kill(self):
        """SIGKILL (also works on a stopped process)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.paused = False
        with _LIVE_MU:
            _LIVE.discard(self.proc)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def restart(self, wait=True):
        self.kill()
        self.start()
        if wait:
            self.wait_ready()

    # -- talking to the node -----------------------------------------------

    def client(self, **kw):
        """A plain redis-py client (the node forwards to shard leaders)."""
        kw.setdefault("socket_timeout", 20)
        kw.setdefault("socket_connect_timeout", 5)
        kw.setdefault("decode_responses", True)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self, timeout=10.0):
        return RawConnection(self.port, timeout=timeout)

    def call(self, *args, timeout=5.0):
        """One command on a fresh raw connection; Python value (errors as
        ResponseError instances). Raises OSError when the node is unreachable.
        Used for admin commands (CLUSTER SHARDS makes a connection
        cluster-aware, so data commands never share these connections)."""
        c = RawConnection(self.port, timeout=timeout)
        try:
            return to_py(c.call(*args))
        finally:
            c.close()

    def info(self, section, timeout=3.0):
        v = self.call("INFO", section, timeout=timeout)
        if isinstance(v, Exception):
            raise v
        return parse_info(v)

    def raft(self, timeout=3.0):
        """{'node': {...raft_* fields}, 'shards': {n: parsed shard line}}."""
        info = self.info("raft", timeout=timeout)
        shards = {int(k[len("shard_"):]): parse_shard_line(v)
                  for k, v in info.items() if k.startswith("shard_")}
        return {"node": info, "shards": shards}

    def try_raft(self, timeout=2.0):
        if not self.up():
            return None
        try:
            return self.raft(timeout=timeout)
        except (OSError, ConnectionError, redis.ResponseError, ValueError):
            return None

    def try_info(self, section, timeout=2.0):
        if not self.up():
            return None
        try:
            return self.info(section, timeout=timeout)
        except (OSError, ConnectionError, redis.ResponseError, ValueError):
            return None

    def log_events(self, lines=40):
        """Leadership changes, warnings and errors from the node's log."""
        try:
            with open(self.log_path, "r", errors="replace") as f:
                text = [ln.rstrip("\n") for ln in f if _EVENT.search(ln)]
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def log_tail(self, lines=60):
        out = []
        for path in (self.log_path, self.out_path):
            try:
                with open(path, "r", errors="replace") as f:
                    text = f.readlines()
            except OSError:
                continue
            if text:
                out.append(f"---- {path} (last {min(lines, len(text))} of {len(text)} lines)")
                out.extend(line.rstrip("\n") for line in text[-lines:])
        return "\n".join(out)


class Cluster:
    """N nodes, `shards` Raft groups of `replicas` members each."""

    def __init__(self, n, shards, replicas, extra_args=(), name="cluster"):
        self.n, self.shards, self.replicas = n, shards, replicas
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix=f"shoal-{name}-")
        self._lease = PortLease(n)
        self.nodes = {i + 1: ClusterNode(self, i + 1, p) for i, p in enumerate(self._lease.ports)}
        self._slot_map = None

    def nodes_arg(self):
        return ",".join(f"{n.id}@127.0.0.1:{n.port}" for n in self.nodes.values())

    def node(self, i):
        return self.nodes[i]

    def node_by_port(self, port):
        for n in self.nodes.values():
            if n.port == int(port):
                return n
        return None

    def up_nodes(self):
        return [n for n in self.nodes.values() if n.up()]

    # -- lifecycle ----------------------------------------------------------

    def start(self, timeout=60.0):
        for n in self.nodes.values():
            n.start()
        for n in self.nodes.values():
            n.wait_ready()
        self.wait_healthy(timeout=timeout)
        return self

    def kill(self, i):
        self.nodes[i].kill()

    def pause(self, i):
        self.nodes[i].pause()

    def resume(self, i):
        self.nodes[i].resume()

    def restart(self, i, wait=True):
        self.nodes[i].restart(wait=wait)

    def stop(self, keep_dir=False):
        for n in self.nodes.values():
            n.kill()
        self._lease.release()
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dump_logs(self, lines=80, file=None):
        file = file or sys.stderr
        if any(n.alive() for n in self.nodes.values()):
            time.sleep(1.2)  # the servers flush their logs every second
        print(f"\n==== cluster logs (kept in {self.dir})", file=file)
        for n in self.nodes.values():
            state = "paused" if n.paused else ("running" if n.alive() else "down")
            print(f"==== node {n.id} port {n.port} ({state})", file=file)
            print("---- leadership changes, warnings, errors (last 40)", file=file)
            print(n.log_events(), file=file)
            print(n.log_tail(lines), file=file)
        file.flush()

    # -- state --------------------------------------------------------------

    def raft_states(self):
        """{node id: parsed INFO raft} of every node that answers."""
        out = {}
        for n in self.up_nodes():
            r = n.try_raft()
            if r is not None:
                out[n.id] = r
        return out

    def replicas_of(self, shard):
        """The shard's replica node ids, from INFO raft of any member."""
        for st in self.raft_states().values():
            if shard in st["shards"]:
                return st["shards"][shard]["replicas"]
        raise RuntimeError(f"no answering node holds shard {shard}")

    def leader_of(self, shard, states=None):
        """Node id that reports itself leader of `shard` with the highest
        term among answering nodes; None if none does."""
        states = states if states is not None else self.raft_states()
        best = None
        for nid, st in states.items():
            s = st["shards"].get(shard)
            if s and s["role"] == "leader" and (best is None or s["term"] > best[1]):
                best = (nid, s["term"])
        return best[0] if best else None

    def leaders(self, states=None):
        states = states if states is not None else self.raft_states()
        return {s: self.leader_of(s, states) for s in range(self.shards)}

    def health(self, in_sync=False, max_lag=10):
        """(ok, leaders or reason). Healthy: every node that is up answers
        with cluster_state:ok; every shard has one leader whose up replicas
        all follow it in its term; every up node names that leader as the
        shard's master (CLUSTER SHARDS); with in_sync, the leader's lag for
        every up replica is known and <= max_lag."""
        states = {}
        for n in self.up_nodes():
            st = n.try_raft()
            ci = n.try_info("cluster")
            if st is None or ci is None:
                return False, f"node {n.id} does not answer"
            if ci.get("cluster_state") != "ok":
                return False, f"node {n.id}: cluster_state:{ci.get('cluster_state')}"
            states[n.id] = st
        up = set(states)
        leaders = {}
        for shard in range(self.shards):
            lid = self.leader_of(shard, states)
            if lid is None:
                return False, f"shard {shard}: no leader"
            ls = states[lid]["shards"][shard]
            for rid in ls["replicas"]:
                if rid not in up or rid == lid:
                    continue
                rs = states[rid]["shards"].get(shard)
                if rs is None or rs["role"] != "follower" or rs["leader"] != lid \
                        or rs["term"] != ls["term"]:
                    return False, f"shard {shard}: node {rid} is {rs} (leader {lid})"
                if in_sync:
                    lag = ls["lag"].get(rid)
                    if lag is None or lag > max_lag:
                        return False, f"shard {shard}: node {rid} lag {lag}"
            leaders[shard] = lid
        # every node routes to those leaders (nodes that hold no replica of
        # a shard learn its leader from the leader's announcements)
        for n in self.up_nodes():
            try:
                shards = n.call("CLUSTER", "SHARDS", timeout=2.0)
            except OSError:
                return False, f"node {n.id} does not answer CLUSTER SHARDS"
            for idx, entry in enumerate(shards):
                masters = [int(pairs_to_dict(x)["id"], 16)
                           for x in pairs_to_dict(entry)["nodes"]
                           if pairs_to_dict(x)["role"] == "master"]
                if masters != [leaders[idx]]:
                    return False, f"node {n.id} routes shard {idx} to {masters}, " \
                                  f"leader is {leaders[idx]}"
        return True, leaders

    def wait_healthy(self, timeout=30.0, in_sync=False, max_lag=10):
        """Waits until health() holds; returns {shard: leader node id}."""
        last = ["never checked"]

        def check():
            ok, v = self.health(in_sync=in_sync, max_lag=max_lag)
            if ok:
                return v
            last[0] = v
            return None

        try:
            return wait_for(check, timeout=timeout, interval=0.1, what="a healthy cluster")
        except TimeoutError as e:
            raise TimeoutError(f"{e}; last: {last[0]}") from None

    def wait_settled(self, quiet=2.5, timeout=40.0, spread=True):
        """Waits until every node answers, leaders are spread (each node
        leads at least shards // nodes shards; skipped without `spread`,
        for placements whose preferred leaders are not spread) and no shard's leader or
        term changed for `quiet` seconds (leadership is handed back to the
        preferred leaders after 4 election timeouts). Returns
        {node id: shards led}."""
        seen = {"state": None, "since": 0.0}
        fair = self.shards // len(self.nodes) if spread else 0

        def settled():
            states = self.raft_states()
            if len(states) != len(self.nodes):
                return None
            leaders = self.leaders(states)
            terms = {s: states[lid]["shards"][s]["term"] if lid else None
                     for s, lid in leaders.items()}
            now = time.monotonic()
            if (leaders, terms) != seen["state"]:
                seen["state"], seen["since"] = (leaders, terms), now
                return None
            led = {nid: sum(1 for v in leaders.values() if v == nid) for nid in self.nodes}
            if None not in leaders.values() and all(v >= fair for v in led.values()) \
                    and now - seen["since"] >= quiet:
                return led
            return None

        return wait_for(settled, timeout=timeout, interval=0.1,
                        what="leaders spread over the nodes and stable")

    # -- keys and slots -----------------------------------------------------

    def any_up(self):
        nodes = self.up_nodes()
        if not nodes:
            raise RuntimeError("no node is up")
        return nodes[0]

    def slot_map(self, refresh=False):
        """[shard of slot] for the 16384 slots, from CLUSTER SHARDS (entry i
        describes shard i)."""
        if self._slot_map is None or refresh:
            shards = self.any_up().call("CLUSTER", "SHARDS")
            m = [None] * 16384
            for idx, entry in enumerate(shards):
                slots = pairs_to_dict(entry)["slots"]
                for a, b in zip(slots[0::2], slots[1::2]):
                    for s in range(a, b + 1):
                        m[s] = idx
            assert None not in m, "CLUSTER SHARDS leaves slots unassigned"
            self._slot_map = m
        return self._slot_map

    def shard_of_slot(self, slot):
        return self.slot_map()[slot]

    def shard_of_key(self, key):
        """Shard of a key: CLUSTER KEYSLOT on a node, then CLUSTER SHARDS."""
        slot = self.any_up().call("CLUSTER", "KEYSLOT", key)
        return self.shard_of_slot(slot)

    def keys_by_shard(self, prefix, per_shard, start=0):
        """{shard: [keys]}: `per_shard` keys '<prefix>N' in every shard
        (computed locally with key_slot(), the same CRC16 as CLUSTER KEYSLOT)."""
        m = self.slot_map()
        out = {s: [] for s in range(self.shards)}
        i = start
        while any(len(v) < per_shard for v in out.values()):
            k = f"{prefix}{i}"
            lst = out[m[key_slot(k)]]
            if len(lst) < per_shard:
                lst.append(k)
            i += 1
            if i - start > 1_000_000:
                raise RuntimeError("could not find keys for every shard")
        return out

    # -- clients ------------------------------------------------------------

    def client(self, i, **kw):
        return self.nodes[i].client(**kw)

    def cluster_client(self, **kw):
        """redis-py's RedisCluster, bootstrapped from every node."""
        kw.setdefault("socket_timeout", 20)
        kw.setdefault("decode_responses", True)
        startup = [redis.cluster.ClusterNode("127.0.0.1", n.port) for n in self.up_nodes()]
        return redis.cluster.RedisCluster(startup_nodes=startup, **kw)


def final_reports(output):
    """{test name: requests per second} from redis-benchmark -q output."""
    reports = {}
    for line in re.split(r"[\r\n]+", output):
        m = re.match(r"^\s*(.+?): ([\d.]+) requests per second", line)
        if m:
            reports[m.group(1)] = float(m.group(2))
    return reports


def redis_cli(port, *args, cluster=False, stdin=None, timeout=120):
    """Runs redis-cli; returns CompletedProcess (text)."""
    cmd = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port)] + (["-c"] if cluster else []) \
        + [str(a) for a in args]
    return subprocess.run(cmd, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def has_failed(test):
    """True once `test` (the running TestCase) has a failure or error recorded.
    (unittest resets _outcome.success around tearDown and each cleanup, so
    the result's lists are what tells.)"""
    outcome = getattr(test, "_outcome", None)
    result = getattr(outcome, "result", None)
    if result is None:
        return False
    return any(t is test for t, _ in list(getattr(result, "failures", []))
               + list(getattr(result, "errors", [])))


class ClusterTestCase(unittest.TestCase):
    """Test cases that start clusters: start_cluster() registers the cleanup,
    which prints the logs if the test failed (and keeps the directory)."""

    def _test_failed(self):
        return has_failed(self)

    def start_cluster(self, n, shards, replicas, extra_args=(), timeout=60.0):
        c = Cluster(n, shards, replicas, extra_args, name=self._testMethodName)

        def cleanup():
            failed = self._test_failed()
            if failed:
                c.dump_logs()
            c.stop(keep_dir=failed)

        self.addCleanup(cleanup)
        c.start(timeout=timeout)
        return c


class SharedClusterTestCase(unittest.TestCase):
    """One cluster per test class (`nodes`, `shards`, `replicas`,
    `extra_args`); logs are printed after a failing test."""

    nodes, shards, replicas = 3, 3, 3
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(cls.nodes, cls.shards, cls.replicas, cls.extra_args,
                              name=cls.__name__)
        cls._failed = False
        try:
            cls.cluster.start()
        except Exception:
            cls.cluster.dump_logs()
            cls.cluster.stop(keep_dir=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop(keep_dir=cls._failed)

    def tearDown(self):
        if has_failed(self):
            type(self)._failed = True
            self.cluster.dump_logs()
