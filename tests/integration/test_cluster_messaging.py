"""Pub/sub on a shoal cluster (3 nodes, 3 shards of 2 replicas, so every
node lacks one shard): PUBLISH on one node reaches subscribers on every
node, once each and in publish order; patterns too; SSUBSCRIBE/SPUBLISH
reach the nodes of the channel's shard, and a node without that shard
answers MOVED; PUBSUB reports each node's own subscribers.
"""
import unittest

from cluster_harness import SharedClusterTestCase, key_slot
from harness import wait_for

# Messages published in the ordering test (acceptance: 1,000).
MESSAGES = 1000


def bulk(s):
    return ("$", s.encode() if isinstance(s, str) else s)


def push(*items):
    """A RESP2 subscribed-mode message: an array of bulks / integers."""
    return ("*", [i if isinstance(i, tuple) else bulk(i) for i in items])


class ClusterPubSubTest(SharedClusterTestCase):
    nodes, shards, replicas = 3, 3, 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Leadership is handed back to the preferred leaders a few seconds
        # after start-up: the flood and keyspace-event tests need it still
        # (2 replicas per shard: the preferred leaders need not be spread).
        try:
            cls.cluster.wait_settled(spread=False)
        except Exception:
            cls.cluster.dump_logs()
            cls.cluster.stop(keep_dir=True)
            raise

    def subscriber(self, node_id, command, *channels):
        conn = self.cluster.node(node_id).raw()
        self.addCleanup(conn.close)
        conn.send(b"".join(_cmd(command, ch) for ch in channels))
        for ch in channels:
            kind, value = conn.read()
            self.assertEqual(kind, "*")
            self.assertEqual(value[0], bulk(command.lower()))
            self.assertEqual(value[1], bulk(ch))
        return conn

    def wait_subscribed(self, node_id, channel, count, shard=False):
        sub = "SHARDNUMSUB" if shard else "NUMSUB"
        node = self.cluster.node(node_id)
        wait_for(lambda: node.call("PUBSUB", sub, channel)[1] == count, timeout=10,
                 what=f"{count} subscriber(s) of {channel} on node {node_id}")

    def test_publish_reaches_every_node_in_order(self):
        subs = {i: self.subscriber(i, "SUBSCRIBE", "news") for i in (1, 2, 3)}
        pattern_sub = self.subscriber(3, "PSUBSCRIBE", "ne*")
        for i in (1, 2, 3):
            self.wait_subscribed(i, "news", 1)
        # PUBSUB answers for the node it is asked: one subscriber each.
        self.assertEqual(self.cluster.node(3).call("PUBSUB", "NUMPAT"), 1)
        self.assertEqual(self.cluster.node(1).call("PUBSUB", "NUMPAT"), 0)
        publisher = self.cluster.node(1).raw()
        self.addCleanup(publisher.close)
        publisher.send(b"".join(_cmd("PUBLISH", "news", f"m{i}") for i in range(MESSAGES)))
        for i in range(MESSAGES):
            # Node 1's own subscriber is counted; the other nodes' are not.
            self.assertEqual(publisher.read(), (":", 1))
        for node_id, conn in subs.items():
            for i in range(MESSAGES):
                self.assertEqual(conn.read(), push("message", "news", f"m{i}"),
                                 f"message {i} on node {node_id}")
        for i in range(MESSAGES):
            self.assertEqual(pattern_sub.read(), push("pmessage", "ne*", "news", f"m{i}"))
        # Each once: nothing more is waiting.
        publisher.send(_cmd("PUBLISH", "news", "last"))
        self.assertEqual(publisher.read(), (":", 1))
        for conn in subs.values():
            self.assertEqual(conn.read(), push("message", "news", "last"))
        self.assertEqual(pattern_sub.read(), push("pmessage", "ne*", "news", "last"))

    def test_a_flood_of_large_messages_neither_loses_them_nor_moves_leaders(self):
        # 300 messages of 100 KB published back to back (30 MB to each
        # node): the bus paces them behind Raft's own messages, so every
        # subscriber gets every one and no shard holds an election.
        count, size = 300, 100 * 1024
        terms = {s: st["term"] for s, st in self.cluster.raft_states()[1]["shards"].items()}
        subs = {i: self.subscriber(i, "SUBSCRIBE", "flood") for i in (1, 2, 3)}
        for i in (1, 2, 3):
            self.wait_subscribed(i, "flood", 1)
        publisher = self.cluster.node(1).raw()
        self.addCleanup(publisher.close)
        body = b"x" * (size - 8)
        publisher.send(b"".join(_cmd("PUBLISH", "flood", b"%08d" % i + body)
                                for i in range(count)))
        for i in range(count):
            self.assertEqual(publisher.read(), (":", 1))
        for node_id, conn in subs.items():
            for i in range(count):
                kind, value = conn.read()
                self.assertEqual(value[2][1][:8], b"%08d" % i, f"message {i} on node {node_id}")
        after = {s: st["term"] for s, st in self.cluster.raft_states()[1]["shards"].items()}
        self.assertEqual(after, terms, "a shard changed leader during the flood")
        self.assertEqual(int(self.cluster.node(1).info("raft")["bus_pubsub_dropped"]), 0)

    def test_keyspace_events_come_from_the_leader_of_the_key(self):
        key = "evkey"
        shard = self.cluster.slot_map()[key_slot(key)]
        leader = self.cluster.leader_of(shard)
        other = next(i for i in (1, 2, 3) if i != leader)
        for i in (1, 2, 3):
            self.assertEqual(self.cluster.node(i).call("CONFIG", "SET", "notify-keyspace-events",
                                                       "KEA"), "OK")
        self.addCleanup(lambda: [self.cluster.node(i).call("CONFIG", "SET",
                                                           "notify-keyspace-events", "")
                                 for i in (1, 2, 3)])
        on_leader = self.subscriber(leader, "SUBSCRIBE", f"__keyspace@0__:{key}")
        on_other = self.subscriber(other, "SUBSCRIBE", f"__keyspace@0__:{key}")
        # Written through a node that forwards to the leader, alone and in
        # a transaction.
        client = self.cluster.node(other).client()
        self.assertTrue(client.set(key, "1"))
        pipe = client.pipeline(transaction=True)
        pipe.incr(key).expire(key, 100)
        self.assertEqual(pipe.execute(), [2, True])
        for event in ("set", "incrby", "expire"):
            self.assertEqual(on_leader.read(), push("message", f"__keyspace@0__:{key}", event))
        # Node-local, as in Redis Cluster: the other node's subscriber got none.
        on_other.sock.settimeout(0.3)
        with self.assertRaises(OSError):
            on_other.read()

    def test_sharded_channels_follow_the_slot(self):
        channel = "orders"
        shard = self.cluster.slot_map()[key_slot(channel)]
        holders = sorted(self.cluster.replicas_of(shard))
        outsider = next(i for i in (1, 2, 3) if i not in holders)
        # A node without the shard sends the subscriber to the leader.
        reply = self.cluster.node(outsider).raw()
        self.addCleanup(reply.close)
        kind, text = reply.call("SSUBSCRIBE", channel)
        self.assertEqual(kind, "-")
        self.assertTrue(text.startswith(f"MOVED {key_slot(channel)} 127.0.0.1:"), text)
        subs = {i: self.subscriber(i, "SSUBSCRIBE", channel) for i in holders}
        for i in holders:
            self.wait_subscribed(i, channel, 1, shard=True)
            self.assertEqual(self.cluster.node(i).call("PUBSUB", "SHARDCHANNELS"), [channel])
        # SPUBLISH on a holder reaches both holders; a plain client's
        # SPUBLISH on the outsider is forwarded.
        pub = self.cluster.node(holders[0]).raw()
        self.addCleanup(pub.close)
        self.assertEqual(pub.call("SPUBLISH", channel, "first"), (":", 1))
        outsider_pub = self.cluster.node(outsider).raw()
        self.addCleanup(outsider_pub.close)
        kind, _ = outsider_pub.call("SPUBLISH", channel, "second")
        self.assertEqual(kind, ":")
        for i, conn in subs.items():
            self.assertEqual(conn.read(), push("smessage", channel, "first"), f"node {i}")
            self.assertEqual(conn.read(), push("smessage", channel, "second"), f"node {i}")
        # Channels of different slots in one SSUBSCRIBE: CROSSSLOT.
        other = next(c for c in (f"ch{i}" for i in range(100))
                     if self.cluster.slot_map()[key_slot(c)] != shard)
        mixed = self.cluster.node(holders[0]).raw()
        self.addCleanup(mixed.close)
        kind, text = mixed.call("SSUBSCRIBE", channel, other)
        self.assertEqual((kind, text), ("-", "CROSSSLOT Keys in request don't hash to the same slot"))


def _cmd(*args):
    from harness import raw_command
    return raw_command(*args)


if __name__ == "__main__":
    unittest.main()
