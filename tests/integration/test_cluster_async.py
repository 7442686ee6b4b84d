"""Async replication (DESIGN.md §4, ADR 009) against real clusters.

A leader in async mode answers a write once its own log holds it, so a
failover may lose the last writes it acknowledged — but only those
acknowledged shortly before the fault (the loss window), and the replicas
never stay diverged: a deposed leader that applied entries the new leader
lacks discards its data and resyncs from the new leader.

Each test writes unique keys (`SET key value` once per key) and records when
each write was acknowledged; afterwards every acknowledged key is read back:
a key that is missing is a lost acknowledged write.
"""
import sys
import threading
import time
import unittest

import redis

from cluster_harness import ClusterTestCase, wait_for

ELECTION_S = 0.5  # raft-tick-ms 50 x raft-election-ticks 10 (the defaults)


class Writers:
    """Threads writing unique keys of one shard through given nodes (plain
    clients, pipelined); acked[key] = monotonic time of the acknowledgement."""

    def __init__(self, cluster, shard, ports, threads=4, batch=20):
        self.cluster, self.shard = cluster, shard
        self.ports = list(ports)
        self.acked = {}
        self.mu = threading.Lock()
        self.stop = threading.Event()
        # Keys of one slot of the shard (a hash tag), as many as needed.
        tag = cluster.keys_by_shard("async:", 1)[shard][0]
        self.prefix = "{" + tag + "}:"
        self.keys = []
        self.next = 0
        self.threads = [threading.Thread(target=self._run, args=(i, batch), daemon=True)
                        for i in range(threads)]

    def _take(self, n):
        with self.mu:
            ks = [f"{self.prefix}{self.next + i}" for i in range(n)]
            self.keys.extend(ks)
            self.next += n
            return ks

    def _run(self, i, batch):
        port = self.ports[i % len(self.ports)]
        r = redis.Redis(port=port, socket_timeout=2, decode_responses=True)
        while not self.stop.is_set():
            ks = self._take(batch)
            pipe = r.pipeline(transaction=False)
            for k in ks:
                pipe.set(k, "v-" + k)
            try:
                out = pipe.execute(raise_on_error=False)
            except (redis.ConnectionError, redis.TimeoutError):
                # Unknown outcomes; go on through another node.
                self.ports = [p for p in self.ports if p != port] or self.ports
                port = self.ports[(i + 1) % len(self.ports)]
                r = redis.Redis(port=port, socket_timeout=2, decode_responses=True)
                time.sleep(0.01)
                continue
            now = time.monotonic()
            with self.mu:
                for k, res in zip(ks, out):
                    if res is True:
                        self.acked[k] = now

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


class AsyncReplicationTest(ClusterTestCase):
    def start_async(self, extra=()):
        c = self.start_cluster(3, 3, 3, extra_args=["--replication", "async",
                                                    "--fault-injection", "yes", *extra])
        c.wait_settled()
        return c

    def wait_converged(self, c, shard):
        """Every replica of `shard` applied the same index and none resyncs."""
        def same():
            states = [c.node(n).try_raft() for n in c.replicas_of(shard)]
            if any(s is None for s in states):
                return False
            lines = [s["shards"].get(shard) for s in states]
            if any(ln is None for ln in lines):
                return False
            applied = {ln["applied"] for ln in lines}
            return len(applied) == 1 and all(ln["commit"] == ln["applied"] for ln in lines)
        wait_for(same, timeout=60, what=f"every replica of shard {shard} to apply the same index")

    def replica_values(self, c, node, keys):
        r = c.node(node).client(single_connection_client=True, socket_timeout=30)
        r.execute_command("READONLY")
        out = {}
        for i in range(0, len(keys), 1000):
            part = keys[i:i + 1000]
            for k, v in zip(part, r.mget(part)):
                out[k] = v
        r.close()
        return out

    def check(self, c, shard, w, fault_at, window_after):
        """No diverged replicas; lost writes only inside the loss window."""
        self.wait_converged(c, shard)
        written = w.keys[:w.next]
        views = {n: self.replica_values(c, n, written) for n in c.replicas_of(shard)}
        first = next(iter(views.values()))
        for n, view in views.items():
            diff = [k for k in written if view[k] != first[k]]
            self.assertEqual(diff[:5], [], f"node {n} diverged on {len(diff)} keys")
        lost = {k: t for k, t in w.acked.items() if first[k] != "v-" + k}
        for k, t in lost.items():
            self.assertGreaterEqual(t, fault_at - 1.0, f"{k} acked long before the fault, lost")
            self.assertLessEqual(t, fault_at + window_after, f"{k} acked long after the fault, lost")
        self.assertGreater(len(w.acked), 100)
        span = (f", acknowledged {min(lost.values()) - fault_at:+.3f}.."
                f"{max(lost.values()) - fault_at:+.3f} s from the fault" if lost else "")
        print(f"\n{self._testMethodName}: {len(w.acked)} writes acknowledged, {len(lost)} lost"
              + span, file=sys.stderr)
        return lost

    def test_kill_leader_loses_only_recent_writes_and_resyncs(self):
        c = self.start_async()
        shard = 0
        leader = c.leader_of(shard)
        others = [n for n in c.nodes if n != leader]
        ports = [c.node(leader).port] * 3 + [c.node(others[0]).port]
        with Writers(c, shard, ports) as w:
            wait_for(lambda: len(w.acked) > 2000, timeout=30, what="writes")
            fault_at = time.monotonic()
            c.kill(leader)
            wait_for(lambda: c.leader_of(shard) not in (None, leader), timeout=30,
                     what="a new leader")
            acked_then = len(w.acked)
            wait_for(lambda: len(w.acked) > acked_then + 500, timeout=30,
                     what="writes after the failover")
        c.restart(leader)
        c.wait_healthy(timeout=60)
        lost = self.check(c, shard, w, fault_at, 0.05)
        resyncs = int(c.node(leader).info("raft")["raft_async_resyncs"])
        if lost:
            # The killed leader had applied writes the new leader never got.
            self.assertGreaterEqual(resyncs, 1)

    def test_partitioned_leader_stops_acknowledging_within_an_election_timeout(self):
        c = self.start_async()
        shard = 1
        leader = c.leader_of(shard)
        rest = [n for n in c.nodes if n != leader]
        with Writers(c, shard, [c.node(leader).port] * 2 + [c.node(rest[0]).port]) as w:
            wait_for(lambda: len(w.acked) > 2000, timeout=30, what="writes")
            fault_at = time.monotonic()
            c.node(leader).call("SHOAL.FAULT", "BLOCK", *[str(n) for n in rest])
            for n in rest:
                c.node(n).call("SHOAL.FAULT", "BLOCK", str(leader))
            wait_for(lambda: any((c.node(n).raft()["shards"][shard]["role"] == "leader")
                                 for n in rest), timeout=30, what="a leader on the majority side")
            time.sleep(2 * ELECTION_S)  # the cut-off leader keeps being asked meanwhile
            for n in c.nodes:
                c.node(n).call("SHOAL.FAULT", "HEAL")
            acked_then = len(w.acked)
            wait_for(lambda: len(w.acked) > acked_then + 500, timeout=30,
                     what="writes after healing")
        c.wait_healthy(timeout=60)
        lost = self.check(c, shard, w, fault_at, ELECTION_S + 0.25)
        if lost:
            self.assertGreaterEqual(int(c.node(leader).info("raft")["raft_async_resyncs"]), 1)


if __name__ == "__main__":
    unittest.main()
