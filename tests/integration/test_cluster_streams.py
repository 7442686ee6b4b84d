"""Streams with a consumer group on a 3-node shoal cluster (3 shards of 3
replicas, sync replication), while the leader of the stream's shard is
SIGKILLed twice: producers XADD until 100,000 entries are acknowledged, 4 consumers of one group
XREADGROUP and XACK. Afterwards every acknowledged XADD is in the stream
exactly once with its fields, no entry was added twice, every entry is
either acknowledged or pending (XPENDING), and every replica holds the same
stream.

Clients are plain redis-py connections to the nodes (a node forwards to the
shard's leader). A command that fails (the leader died: -UNKNOWN,
-TRYAGAIN, -CLUSTERDOWN, a closed connection) is not counted as
acknowledged; producers move on to the next entry number, so an unknown
XADD appears at most once.
"""
import random
import threading
import time
import unittest

import redis

from cluster_harness import ClusterTestCase
from harness import wait_for

ENTRIES = 100_000  # acceptance criterion: 100,000 XADDs
PRODUCERS = 2
CONSUMERS = 4
BATCH = 200  # XADDs per pipeline round trip
KILL_AT = (0.3, 0.65)  # fractions of ENTRIES acknowledged when the leader is killed
STREAM = "orders"
GROUP = "workers"
DEADLINE_SECS = 240  # bound on the whole run


class ConsumerGroupFailoverTest(ClusterTestCase):

    def setUp(self):
        self.c = self.start_cluster(3, 3, 3)
        self.c.wait_settled()
        self.shard = self.c.slot_map()[_slot(STREAM)]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked_adds = {}  # id -> (producer, n)
        self.acked_acks = set()  # XACK answered: acknowledged
        self.sent_acks = set()  # XACK sent (its outcome may be unknown)
        self.errors = []  # (who, error text), for the report
        self.produced = 0

    # -- clients ------------------------------------------------------------

    def client(self, rng):
        """A plain client on a random node that is up (forwards to leaders);
        a node that dies meanwhile refuses the connection: try another."""
        deadline = time.monotonic() + 60
        while True:
            node = rng.choice(self.c.up_nodes() or list(self.c.nodes.values()))
            try:
                return node.client(socket_timeout=10, single_connection_client=True)
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # the node is being killed or restarted

    def producer(self, pid, count):
        """Adds entries until `count` are acknowledged. An entry whose XADD
        failed gets no second try under its number (its outcome may be
        unknown); the next number takes its place."""
        rng = random.Random(pid)
        r = self.client(rng)
        n = 0
        acked = 0
        while acked < count and not self.stop.is_set():
            batch = list(range(n, n + min(BATCH, count - acked)))
            n = batch[-1] + 1
            try:
                pipe = r.pipeline(transaction=False)
                for i in batch:
                    pipe.xadd(STREAM, {"p": str(pid), "n": str(i)})
                results = pipe.execute(raise_on_error=False)
            except (redis.ConnectionError, redis.TimeoutError) as e:
                self.note(f"producer {pid}", e)
                r = self.reconnect(r, rng)
                continue
            with self.lock:
                for i, res in zip(batch, results):
                    if isinstance(res, Exception):
                        self.errors.append((f"producer {pid}", str(res)))
                        continue
                    self.acked_adds[res] = (str(pid), str(i))
                    acked += 1
                self.produced = len(self.acked_adds)
            if any(isinstance(x, Exception) for x in results):
                r = self.reconnect(r, rng)

    def consumer(self, cid):
        rng = random.Random(100 + cid)
        r = self.client(rng)
        name = f"c{cid}"
        while not self.stop.is_set():
            try:
                got = r.xreadgroup(GROUP, name, {STREAM: ">"}, count=100, block=200)
                ids = [eid for _, entries in (got or []) for eid, _ in entries]
                with self.lock:
                    self.sent_acks.update(ids)
                if ids and r.xack(STREAM, GROUP, *ids) == len(ids):
                    with self.lock:
                        self.acked_acks.update(ids)
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError) as e:
                self.note(f"consumer {cid}", e)
                r = self.reconnect(r, rng)

    def note(self, who, e):
        with self.lock:
            self.errors.append((who, str(e)))

    def reconnect(self, r, rng):
        try:
            r.close()
        except Exception:
            pass
        time.sleep(0.05)  # a dead node: do not spin on it
        return self.client(rng)

    # -- the test -----------------------------------------------------------

    def test_no_acknowledged_entry_lost_across_two_leader_kills(self):
        admin = self.c.node(1).client()
        self.assertTrue(admin.xgroup_create(STREAM, GROUP, id="$", mkstream=True))
        per = ENTRIES // PRODUCERS
        threads = [threading.Thread(target=self.producer, args=(p, per)) for p in range(PRODUCERS)]
        threads += [threading.Thread(target=self.consumer, args=(c,)) for c in range(CONSUMERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + DEADLINE_SECS
        killed = []
        try:
            for frac in KILL_AT:
                wait_for(lambda: self.produced >= frac * ENTRIES, timeout=DEADLINE_SECS,
                         interval=0.05, what=f"{frac:.0%} of the XADDs acknowledged")
                leader = self.c.leader_of(self.shard)
                self.assertIsNotNone(leader)
                self.c.kill(leader)
                killed.append(leader)
                # A new leader among the other two, then the old one returns.
                wait_for(lambda: self.c.leader_of(self.shard) not in (None, leader), timeout=30,
                         what="a new leader of the stream's shard")
                self.c.restart(leader)
            for t in threads[:PRODUCERS]:
                t.join(timeout=max(1, deadline - time.monotonic()))
                self.assertFalse(t.is_alive(), "producers did not finish in time")
            self.c.wait_healthy(timeout=60)
            # Consumers drain what is left.
            wait_for(lambda: self.drained(admin), timeout=60, interval=0.2,
                     what="the group to have read every entry")
        finally:
            self.stop.set()
            for t in threads:
                t.join(timeout=30)
        self.check(admin, killed)

    def drained(self, admin):
        try:
            info = {g["name"]: g for g in admin.xinfo_groups(STREAM)}
            last = admin.xinfo_stream(STREAM)["last-generated-id"]
            return info[GROUP]["last-delivered-id"] == last
        except (redis.ConnectionError, redis.ResponseError, redis.TimeoutError):
            return False

    def check(self, admin, killed):
        self.assertEqual(len(killed), 2)
        entries = []
        last = "-"
        while True:  # the whole stream, in pages
            page = admin.xrange(STREAM, min=last, max="+", count=10_000)
            if last != "-":
                page = page[1:]
            if not page:
                break
            entries += page
            last = page[-1][0]
        ids = [eid for eid, _ in entries]
        self.assertEqual(len(ids), len(set(ids)))
        by_id = dict(entries)
        # Every acknowledged XADD is there, with its fields.
        missing = [i for i in self.acked_adds if i not in by_id]
        self.assertEqual(missing[:10], [], f"{len(missing)} acknowledged XADDs lost")
        for eid, (p, n) in self.acked_adds.items():
            self.assertEqual(by_id[eid], {"p": p, "n": n}, eid)
        # No (producer, n) twice (an unknown outcome is never retried).
        payloads = [(f["p"], f["n"]) for f in by_id.values()]
        self.assertEqual(len(payloads), len(set(payloads)), "an entry was added twice")
        self.assertEqual(len(self.acked_adds), ENTRIES)
        # Every entry is acknowledged or pending.
        pending = set()
        start = "-"
        while True:
            page = admin.xpending_range(STREAM, GROUP, min=start, max="+", count=10_000)
            if not page:
                break
            pending.update(p["message_id"] for p in page)
            start = "(" + page[-1]["message_id"]
        summary = admin.xpending(STREAM, GROUP)
        self.assertEqual(summary["pending"], len(pending))
        # (An XACK whose outcome is unknown may have acknowledged its IDs.)
        neither = [i for i in ids if i not in self.sent_acks and i not in pending]
        self.assertEqual(neither[:10], [], f"{len(neither)} entries neither acked nor pending")
        both = [i for i in self.acked_acks if i in pending]
        self.assertEqual(both[:10], [], "entries acknowledged but still pending")
        # Every replica holds the same stream (read from each through READONLY).
        want = (len(ids), ids[-1], summary["pending"])
        for node in self.c.nodes.values():
            def same(node=node):
                r = node.client(single_connection_client=True)
                try:
                    r.execute_command("READONLY")
                    last_entry = r.xrevrange(STREAM, count=1)
                    got = (r.xlen(STREAM), last_entry[0][0] if last_entry else None,
                           r.xpending(STREAM, GROUP)["pending"])
                    return got == want
                finally:
                    r.close()
            wait_for(same, timeout=30, what=f"node {node.id}'s replica to match the leader")


class BlockedReaderFailoverTest(ClusterTestCase):
    """Readers blocked (BLOCK 0) on a follower keep waiting across a SIGKILL
    of the stream's leader and get the entry added after the new leader is
    elected; a reader blocked on the killed node sees its connection close
    (an error it can retry), never a hang."""

    def test_blocked_readers_survive_a_leader_kill(self):
        c = self.start_cluster(3, 3, 3)
        c.wait_settled()
        shard = c.slot_map()[_slot(STREAM)]
        leader = c.leader_of(shard)
        follower = next(n for n in c.nodes.values() if n.id != leader)
        admin = follower.client()
        self.assertTrue(admin.xgroup_create(STREAM, GROUP, id="$", mkstream=True))
        reader = follower.raw(timeout=30)
        group_reader = follower.raw(timeout=30)
        on_leader = c.node(leader).raw(timeout=30)
        for conn in (reader, group_reader, on_leader):
            self.addCleanup(conn.close)
        reader.send(_raw("XREAD", "BLOCK", "0", "STREAMS", STREAM, "$"))
        group_reader.send(_raw("XREADGROUP", "GROUP", GROUP, "c1", "BLOCK", "0", "STREAMS",
                               STREAM, ">"))
        on_leader.send(_raw("XREAD", "BLOCK", "0", "STREAMS", STREAM, "$"))
        for node in (follower, c.node(leader)):
            want = 2 if node is follower else 1
            wait_for(lambda node=node, want=want:
                     int(node.info("clients")["blocked_clients"]) == want,
                     timeout=10, what=f"{want} blocked client(s) on node {node.id}")
        c.kill(leader)
        self.assertTrue(on_leader.closed_by_server(timeout=10))
        wait_for(lambda: c.leader_of(shard) not in (None, leader), timeout=30,
                 what="a new leader")
        writer = follower.client()
        eid = None
        for _ in range(100):  # the first writes may meet the election's tail
            try:
                eid = writer.xadd(STREAM, {"after": "failover"})
                break
            except redis.ResponseError as e:
                if not str(e).startswith(("TRYAGAIN", "CLUSTERDOWN")):  # not executed
                    raise
                time.sleep(0.05)
        self.assertIsNotNone(eid)
        entry = ("*", [("$", eid.encode()), ("*", [("$", b"after"), ("$", b"failover")])])
        self.assertEqual(reader.read(), ("*", [("*", [("$", STREAM.encode()), ("*", [entry])])]))
        self.assertEqual(group_reader.read(),
                         ("*", [("*", [("$", STREAM.encode()), ("*", [entry])])]))
        c.restart(leader)


def _raw(*args):
    from harness import raw_command
    return raw_command(*args)


def _slot(key):
    from cluster_harness import key_slot
    return key_slot(key)


if __name__ == "__main__":
    unittest.main()
