"""Collections, transactions and blocking pops on a 3-node shoal cluster
(3 shards of 3 replicas, the defaults for 3 nodes): the full default
redis-benchmark suite (plain and --cluster) without an error reply;
MULTI/EXEC sent to a node that does not lead the keys' shard, checked on
every replica through READONLY connections; CROSSSLOT and WATCH in cluster
mode; clients blocked on a follower served in FIFO order across a SIGKILL
of the shard's leader.
"""
import select
import subprocess
import threading
import time
import unittest

from cluster_harness import (REDIS_BENCHMARK, ClusterTestCase, SharedClusterTestCase, final_reports,
                             key_slot)
from harness import raw_command, wait_for

OK = ("+", "OK")
QUEUED = ("+", "QUEUED")
NULL_ARRAY = ("*", None)
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
# The timeout that means "wait forever".
FOREVER = "0"
# Bound on a reply that must come (a failover included).
REPLY_SECS = 20.0
# How long a reply that must not come is waited for.
NO_REPLY_SECS = 0.3

# The tests redis-benchmark 7.0 runs without -t (their -q report names).
DEFAULT_BENCHMARK_TESTS = {
    "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
    "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
    "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)", "MSET (10 keys)"}


def bulk(s):
    return ("$", s.encode() if isinstance(s, str) else s)


def bulks(*items):
    return ("*", [bulk(i) for i in items])


def has_reply(conn):
    """True if bytes wait on a RawConnection (without consuming them)."""
    if conn.buf:
        return True
    ready, _, _ = select.select([conn.sock], [], [], 0)
    return bool(ready)


class ClusterHelpers:
    """Shared by the test classes below; `self.c` is the cluster."""

    def shard_of(self, key):
        return self.c.slot_map()[key_slot(key)]

    def tagged_keys(self, prefix, *names):
        """Keys '{tag}:name' of one hash tag, and the shard they live in."""
        shard, (tag,) = next(iter(self.c.keys_by_shard(prefix, 1).items()))
        return shard, [f"{{{tag}}}:{n}" for n in names]

    def non_leader_of(self, shard):
        lid = self.c.leader_of(shard)
        self.assertIsNotNone(lid, f"shard {shard} has no leader")
        return next(n for n in self.c.nodes.values() if n.id != lid)

    def readonly_client(self, node):
        """A redis-py client on one connection that sent READONLY: reads of
        shards this node holds are answered from its own replica."""
        r = node.client(single_connection_client=True)
        self.assertIn(r.execute_command("READONLY"), ("OK", True))
        return r

    def blocked_on(self, node):
        return int(node.info("clients")["blocked_clients"])

    def wait_blocked(self, node, n, timeout=REPLY_SECS):
        try:
            wait_for(lambda: self.blocked_on(node) == n, timeout=timeout,
                     what=f"node {node.id}: blocked_clients == {n}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; it is {self.blocked_on(node)}") from None

    def transaction(self, conn, *commands):
        self.assertEqual(conn.call("MULTI"), OK)
        for cmd in commands:
            self.assertEqual(conn.call(*cmd), QUEUED, f"queueing {cmd!r}")
        return conn.call("EXEC")


class SettledClusterTestCase(SharedClusterTestCase):
    """A shared cluster whose leaders are spread and stable: a start-up
    cluster hands leadership back to the preferred leaders a few seconds
    in, and a write routed during that hand-off is refused (-TRYAGAIN)."""

    nodes, shards, replicas = 3, 3, 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.cluster.wait_settled()
        except Exception:
            cls.cluster.dump_logs()
            cls.cluster.stop(keep_dir=True)
            raise


class BenchmarkTest(SettledClusterTestCase, ClusterHelpers):
    """Its own cluster, so 'no error reply' means total_error_replies:0."""

    def setUp(self):
        self.c = self.cluster
        self.c.wait_healthy(timeout=30)

    def error_replies(self):
        return {n.id: int(n.info("stats")["total_error_replies"]) for n in self.c.nodes.values()}

    def benchmark(self, port, *args):
        cmd = [REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(port), "-q", "-n", "2000", *args]
        p = subprocess.run(cmd, capture_output=True, timeout=50)
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, f"{cmd}: {out[-2000:]} {err[-2000:]}")
        self.assertNotRegex(out + err, r"(?i)error", f"{cmd}")
        return out

    def run_default_suite(self, port, *extra):
        out = self.benchmark(port, *extra)
        self.assertEqual(set(final_reports(out)), DEFAULT_BENCHMARK_TESTS, out[-3000:])
        # redis-benchmark 7.0 has no built-in XADD test (-t xadd runs
        # nothing): the same command as a custom one. In --cluster mode the
        # key needs a hash tag, which redis-benchmark fills in per node.
        stream = "{bench}stream" if "--cluster" in extra else "bench-stream"
        before = self.c.node(1).client().xlen(stream)
        out = self.benchmark(port, *extra, "XADD", stream, "*", "field", "value")
        self.assertEqual(len(final_reports(out)), 1, out[-1000:])
        if "--cluster" not in extra:
            self.assertEqual(self.c.node(1).client().xlen(stream) - before, 2000)
        self.assertEqual(self.error_replies(), {n: 0 for n in self.c.nodes},
                         f"error replies sent during the suite against port {port} {extra}")

    def test_default_suite_with_cluster_option(self):
        self.run_default_suite(self.c.node(1).port, "--cluster")

    def test_default_suite_against_one_node(self):
        self.run_default_suite(self.c.node(2).port)


class ClusterTransactionTest(SettledClusterTestCase, ClusterHelpers):
    def setUp(self):
        self.c = self.cluster
        self.c.wait_healthy(timeout=30)

    def connect(self, node, resp3=False):
        conn = node.raw(timeout=REPLY_SECS)
        self.addCleanup(conn.close)
        if resp3:
            self.assertEqual(conn.call("HELLO", "3")[0], "%")
        return conn

    # -- MULTI/EXEC through a non-leader, seen on every replica ---------------

    def test_transaction_through_a_non_leader_reaches_every_replica(self):
        shard, (lst, hsh, zst, ctr) = self.tagged_keys("tx1-", "list", "hash", "zset", "ctr")
        entry = self.non_leader_of(shard)
        conn = self.connect(entry)
        reply = self.transaction(conn, ("LPUSH", lst, "a", "b"), ("HSET", hsh, "f", "1", "g", "2"),
                                 ("ZADD", zst, "1", "m", "2", "n"), ("INCR", ctr),
                                 ("INCR", ctr), ("LRANGE", lst, "0", "-1"))
        self.assertEqual(reply, ("*", [(":", 2), (":", 2), (":", 2), (":", 1), (":", 2),
                                       bulks("b", "a")]))
        expected = (["b", "a"], {"f": "1", "g": "2"}, [("m", 1.0), ("n", 2.0)], "2")
        self.assertEqual(set(self.c.replicas_of(shard)), set(self.c.nodes))
        for n in self.c.nodes.values():
            r = self.readonly_client(n)
            try:
                def state():
                    return (r.lrange(lst, 0, -1), r.hgetall(hsh),
                            r.zrange(zst, 0, -1, withscores=True), r.get(ctr))

                last = {}

                def caught_up():
                    last["state"] = state()
                    return last["state"] == expected

                try:
                    wait_for(caught_up, timeout=10, what=f"node {n.id}'s replica to apply")
                except TimeoutError as e:
                    self.fail(f"{e}: {last.get('state')}")
            finally:
                r.close()

    def test_replicas_never_show_half_a_transaction(self):
        """Transactions INCR ctr + RPUSH list through a non-leader, while a
        READONLY reader on every node reads ctr, then LLEN list: a replica
        that applied the INCR without the RPUSH would show ctr > LLEN."""
        shard, (lst, ctr) = self.tagged_keys("tx2-", "list", "ctr")
        entry = self.non_leader_of(shard)
        conn = self.connect(entry)
        rounds = 150
        stop = threading.Event()
        errors, reads = [], {}

        def reader(node):
            r = self.readonly_client(node)
            n = 0
            try:
                while not stop.is_set():
                    c = int(r.get(ctr) or 0)
                    ln = r.llen(lst)
                    n += 1
                    if ln < c:
                        errors.append(f"node {node.id}: {ctr}={c} but LLEN {lst}={ln}")
                        return
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(f"node {node.id} reader: {e!r}")
            finally:
                reads[node.id] = n
                r.close()

        threads = [threading.Thread(target=reader, args=(n,)) for n in self.c.nodes.values()]
        for t in threads:
            t.start()
        try:
            for i in range(rounds):
                reply = self.transaction(conn, ("INCR", ctr), ("RPUSH", lst, str(i)))
                self.assertEqual(reply, ("*", [(":", i + 1), (":", i + 1)]))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        self.assertFalse(any(t.is_alive() for t in threads), "a reader hangs")
        self.assertEqual(errors, [])
        for n in self.c.nodes.values():
            self.assertGreater(reads.get(n.id, 0), 10, f"node {n.id}: too few reads")
            r = self.readonly_client(n)
            try:
                wait_for(lambda: r.get(ctr) == str(rounds) and r.llen(lst) == rounds,
                         timeout=10, what=f"node {n.id}'s replica to apply every transaction")
                self.assertEqual(r.lrange(lst, 0, -1), [str(i) for i in range(rounds)])
            finally:
                r.close()

    def test_runtime_errors_inside_a_cluster_transaction(self):
        shard, (s, lst, h) = self.tagged_keys("tx3-", "s", "list", "h")
        entry = self.non_leader_of(shard)
        conn = self.connect(entry)
        self.assertEqual(conn.call("SET", s, "text"), OK)
        reply = self.transaction(conn, ("LPUSH", s, "x"), ("RPUSH", lst, "a"), ("INCR", s),
                                 ("HSET", h, "f", "v"))
        self.assertEqual(reply, ("*", [("-", WRONGTYPE),
                                       (":", 1),
                                       ("-", "ERR value is not an integer or out of range"),
                                       (":", 1)]))
        for n in self.c.nodes.values():
            r = self.readonly_client(n)
            try:
                wait_for(lambda: r.hgetall(h) == {"f": "v"}, timeout=10,
                         what=f"node {n.id}'s replica to apply")
                self.assertEqual(r.get(s), "text")
                self.assertEqual(r.lrange(lst, 0, -1), ["a"])
            finally:
                r.close()

    def test_exec_reply_in_resp3_through_a_non_leader(self):
        shard, (h, z) = self.tagged_keys("tx4-", "h", "z")
        leader = self.c.node(self.c.leader_of(shard))
        expected = ("*", [(":", 1), ("%", [(bulk("f"), bulk("1"))]), (":", 1), (",", "1.5"),
                          ("_", None)])
        for node in (leader, self.non_leader_of(shard)):
            with self.subTest(node=node.id, leader=node is leader):
                conn = self.connect(node, resp3=True)
                self.assertEqual(conn.call("DEL", h, z)[0], ":")
                reply = self.transaction(conn, ("HSET", h, "f", "1"), ("HGETALL", h),
                                         ("ZADD", z, "1.5", "m"), ("ZSCORE", z, "m"),
                                         ("GET", h + "missing"))
                self.assertEqual(reply, expected)

    def test_keyless_transaction_in_cluster_mode(self):
        conn = self.connect(self.c.node(1))
        reply = self.transaction(conn, ("PING",), ("ECHO", "hi"))
        self.assertEqual(reply, ("*", [("+", "PONG"), bulk("hi")]))

    # -- CROSSSLOT --------------------------------------------------------------

    def test_keys_of_two_shards_are_crossslot(self):
        keys = self.c.keys_by_shard("xs-tx-", 1)
        a, b = keys[0][0], keys[1][0]
        for n in self.c.nodes.values():
            with self.subTest(node=n.id):
                conn = self.connect(n)
                reply = self.transaction(conn, ("SET", a, "1"), ("SET", b, "2"))
                self.assertEqual(reply, ("-", "CROSSSLOT Keys in request don't hash to the same slot"))
                self.assertEqual(conn.call("EXEC"), ("-", "ERR EXEC without MULTI"))
                self.assertEqual(conn.call("EXISTS", a), (":", 0), "part of a refused transaction ran")
                self.assertEqual(conn.call("EXISTS", b), (":", 0), "part of a refused transaction ran")

    def test_a_watched_key_of_another_shard_is_crossslot(self):
        keys = self.c.keys_by_shard("xs-w-", 1)
        a, b = keys[0][0], keys[2][0]
        conn = self.connect(self.c.node(2))
        self.assertEqual(conn.call("WATCH", a), OK)
        reply = self.transaction(conn, ("SET", b, "1"))
        self.assertEqual(reply, ("-", "CROSSSLOT Keys in request don't hash to the same slot"))
        self.assertEqual(conn.call("EXISTS", b), (":", 0))

    # -- WATCH ------------------------------------------------------------------

    def test_watch_aborts_when_another_node_changes_the_key(self):
        shard, (k, lst) = self.tagged_keys("w1-", "k", "list")
        leader = self.c.node(self.c.leader_of(shard))
        entry = self.non_leader_of(shard)
        other = next(n for n in self.c.nodes.values() if n.id not in (leader.id, entry.id))
        conn = self.connect(entry)
        self.assertEqual(conn.call("SET", k, "v1"), OK)
        self.assertEqual(conn.call("RPUSH", lst, "a"), (":", 1))
        for changer in (leader, other):
            with self.subTest(changer=changer.id):
                w = changer.client()
                self.assertEqual(conn.call("WATCH", k, lst), OK)
                self.assertTrue(w.set(k, f"by-{changer.id}"))
                self.assertEqual(self.transaction(conn, ("SET", k, "mine")), NULL_ARRAY)
                self.assertEqual(conn.call("GET", k), bulk(f"by-{changer.id}"))
                self.assertEqual(conn.call("WATCH", k, lst), OK)
                self.assertEqual(w.rpush(lst, "b"), 2 if changer is leader else 3)
                self.assertEqual(self.transaction(conn, ("SET", k, "mine")), NULL_ARRAY)
                w.close()
        # unchanged: the transaction runs
        self.assertEqual(conn.call("WATCH", k, lst), OK)
        self.assertEqual(self.transaction(conn, ("SET", k, "mine")), ("*", [OK]))
        self.assertEqual(self.c.client(leader.id).get(k), "mine")

    def test_watch_after_an_own_write_does_not_abort(self):
        """The client's own acknowledged SET, then WATCH on a follower (whose
        replica may not have applied the SET yet), then EXEC: nothing changed
        the key after WATCH, so the transaction must run (Redis never aborts
        here). Each round writes a value the key never had before."""
        shard, (k,) = self.tagged_keys("w2-", "k")
        leader = self.c.leader_of(shard)
        rounds, aborted = 1000, []
        for node in self.c.nodes.values():
            if node.id == leader:
                continue
            conn = self.connect(node)
            for i in range(rounds):
                self.assertEqual(conn.call("SET", k, f"v{node.id}-{i}"), OK)
                self.assertEqual(conn.call("WATCH", k), OK)
                reply = self.transaction(conn, ("SET", k, f"done{node.id}-{i}"))
                if reply == NULL_ARRAY:
                    aborted.append((node.id, i))
                else:
                    self.assertEqual(reply, ("*", [OK]))
        self.assertEqual(aborted, [], f"{len(aborted)} of {2 * rounds} transactions (node, round) "
                         "aborted although only the client itself wrote the key, before its WATCH")

    # -- commands whose keys follow a count --------------------------------------

    def test_lmpop_and_zmpop_through_any_node(self):
        shard, (lst, zst) = self.tagged_keys("mp-", "list", "zset")
        for n in self.c.nodes.values():
            with self.subTest(node=n.id):
                conn = self.connect(n)
                self.assertEqual(conn.call("RPUSH", lst, "a", "b"), (":", 2))
                self.assertEqual(conn.call("ZADD", zst, "1", "m"), (":", 1))
                self.assertEqual(conn.call("LMPOP", "1", lst, "LEFT", "COUNT", "2"),
                                 ("*", [bulk(lst), bulks("a", "b")]))
                self.assertEqual(conn.call("ZMPOP", "1", zst, "MIN"),
                                 ("*", [bulk(zst), ("*", [bulks("m", "1")])]))
                self.assertEqual(conn.call("EXISTS", lst), (":", 0))

    def test_movable_key_commands_over_two_shards_are_crossslot(self):
        keys = self.c.keys_by_shard("mk-", 1)
        a, b = keys[0][0], keys[1][0]
        conn = self.connect(self.c.node(1))
        crossslot = ("-", "CROSSSLOT Keys in request don't hash to the same slot")
        for cmd in (("ZUNION", "2", a, b), ("ZINTERCARD", "2", a, b), ("SINTERCARD", "2", a, b),
                    ("LMPOP", "2", a, b, "LEFT")):
            with self.subTest(cmd=cmd[0]):
                self.assertEqual(conn.call(*cmd), crossslot)

    # -- blocking pops through a follower ---------------------------------------

    def test_blocking_pops_on_a_non_leader_are_served(self):
        shard, (l1, l2, l3, l4, dst, z1, z2, z3) = self.tagged_keys(
            "bl1-", "l1", "l2", "l3", "l4", "dst", "z1", "z2", "z3")
        entry = self.non_leader_of(shard)
        w = self.c.client(self.c.leader_of(shard))
        self.addCleanup(w.close)
        cases = [
            (("BLPOP", l1, FOREVER), lambda: w.rpush(l1, "a", "b"), bulks(l1, "a")),
            (("BRPOP", l2, FOREVER), lambda: w.rpush(l2, "a", "b"), bulks(l2, "b")),
            (("BLMOVE", l3, dst, "LEFT", "RIGHT", FOREVER), lambda: w.rpush(l3, "x", "y"),
             bulk("x")),
            (("BLMPOP", FOREVER, "1", l4, "LEFT", "COUNT", "5"), lambda: w.rpush(l4, "d", "e"),
             ("*", [bulk(l4), bulks("d", "e")])),
            (("BZPOPMIN", z1, FOREVER), lambda: w.zadd(z1, {"m": 1, "n": 2}), bulks(z1, "m", "1")),
            (("BZPOPMAX", z2, FOREVER), lambda: w.zadd(z2, {"m": 1, "n": 2}), bulks(z2, "n", "2")),
            (("BZMPOP", FOREVER, "1", z3, "MIN", "COUNT", "2"),
             lambda: w.zadd(z3, {"m": 1, "n": 2, "o": 3}),
             ("*", [bulk(z3), ("*", [bulks("m", "1"), bulks("n", "2")])])),
        ]
        for cmd, push, expected in cases:
            with self.subTest(cmd=cmd[0]):
                conn = self.connect(entry)
                before = self.blocked_on(entry)
                conn.send(raw_command(*cmd))
                self.wait_blocked(entry, before + 1)
                push()
                self.assertEqual(conn.read(), expected)
        self.assertEqual(w.lrange(dst, 0, -1), ["x"])
        self.assertEqual(w.lrange(l3, 0, -1), ["y"])
        self.assertEqual(w.exists(l4), 0)
        self.assertEqual(w.zrange(z3, 0, -1), ["o"])

    def test_blocking_timeouts_on_a_non_leader(self):
        shard, (lst, zst) = self.tagged_keys("bl2-", "list", "zset")
        conn = self.connect(self.non_leader_of(shard))
        for cmd in (("BLPOP", lst, "0.2"), ("BZPOPMIN", zst, "0.2"),
                    ("BLMOVE", lst, lst + "d", "LEFT", "LEFT", "0.2")):
            with self.subTest(cmd=cmd[0]):
                start = time.monotonic()
                self.assertEqual(conn.call(*cmd), NULL_ARRAY)
                self.assertGreaterEqual(time.monotonic() - start, 0.19)


class BlockingFailoverTest(ClusterTestCase, ClusterHelpers):
    CLIENTS = 100
    BEFORE_KILL = 30

    def test_blpop_fifo_across_a_leader_failover(self):
        self.c = self.start_cluster(3, 3, 3)
        self.c.wait_settled()
        shard, (key,) = self.tagged_keys("fifo-", "q")
        leaders = self.c.wait_healthy()
        leader = self.c.node(leaders[shard])
        follower = self.non_leader_of(shard)

        conns = []
        self.addCleanup(lambda: [c.close() for c in conns])
        for i in range(self.CLIENTS):
            conn = follower.raw(timeout=REPLY_SECS)
            conns.append(conn)
            conn.send(raw_command("BLPOP", key, FOREVER))
            self.wait_blocked(follower, i + 1)

        def deliver(i, writer):
            self.assertEqual(writer(f"e{i}"), 1, f"RPUSH of e{i}")
            self.assertEqual(conns[i].read(), bulks(key, f"e{i}"), f"client {i}")

        w = leader.client()
        for i in range(self.BEFORE_KILL):
            deliver(i, lambda v: w.rpush(key, v))
        w.close()
        self.assertEqual(self.blocked_on(follower), self.CLIENTS - self.BEFORE_KILL)

        leader.kill()

        def new_leader():
            lid = self.c.leader_of(shard)
            return lid if lid not in (None, leader.id) else None

        new_lid = wait_for(new_leader, timeout=30, what=f"a new leader of shard {shard}")
        self.c.wait_healthy(timeout=30)
        # the waiters noticed nothing: still blocked, no reply
        self.assertEqual(self.blocked_on(follower), self.CLIENTS - self.BEFORE_KILL)
        early = [i for i in range(self.BEFORE_KILL, self.CLIENTS) if has_reply(conns[i])]
        self.assertEqual(early, [], "clients answered during the failover: "
                         + repr([conns[i].read() for i in early[:3]]))

        w = follower.client()
        for i in range(self.BEFORE_KILL, self.CLIENTS):
            deliver(i, lambda v: w.rpush(key, v))
        w.close()
        self.assertEqual(self.blocked_on(follower), 0)
        r = self.c.client(new_lid)
        self.assertEqual(r.exists(key), 0)
        r.close()
        late = [i for i in range(self.CLIENTS) if has_reply(conns[i])]
        self.assertEqual(late, [], "clients with a second reply")

        leader.start()
        leader.wait_ready()
        self.c.wait_healthy(timeout=30)


if __name__ == "__main__":
    unittest.main()
