"""A 3-node, 3-shard shoal cluster (every node holds a replica of every
shard) driven by real clients: redis-cli with and without -c, redis-py's
plain and cluster clients, redis-benchmark plain and --cluster, raw
pipelines; the CLUSTER commands; MOVED, CROSSSLOT; leader spread; expiry
replicated to every replica.
"""
import re
import subprocess
import time
import unittest

import redis

from cluster_harness import (REDIS_BENCHMARK, SharedClusterTestCase, final_reports, key_slot,
                             parse_info, redis_cli)
from harness import raw_command, wait_for

KEYS = 200


class ClusterBasicTest(SharedClusterTestCase):
    nodes, shards, replicas = 3, 3, 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.wait_spread()
        except Exception:
            cls.cluster.dump_logs()
            cls.cluster.stop(keep_dir=True)
            raise

    @classmethod
    def wait_spread(cls):
        return cls.cluster.wait_settled()

    def setUp(self):
        self.c = self.cluster
        self.leaders = self.c.wait_healthy(timeout=30)

    def shards_of(self, keys):
        m = self.c.slot_map()
        return {m[key_slot(k)] for k in keys}

    def non_leader_of(self, shard):
        lid = self.c.leader_of(shard)
        self.assertIsNotNone(lid, f"shard {shard} has no leader")
        return next(n for n in self.c.nodes.values() if n.id != lid)

    # -- redis-cli ------------------------------------------------------------

    def test_redis_cli_cluster_and_plain_mode(self):
        ckeys = [f"cli:c:{i}" for i in range(KEYS)]
        pkeys = [f"cli:p:{i}" for i in range(KEYS)]
        self.assertEqual(self.shards_of(ckeys), set(range(3)))
        self.assertEqual(self.shards_of(pkeys), set(range(3)))
        entry = self.c.node(1)
        plain = self.c.node(2)
        # node 2 leads at most some shards: most keys go through forwarding
        led_by_plain = {s for s in range(3) if self.c.leader_of(s) == plain.id}
        m = self.c.slot_map()
        self.assertGreater(sum(1 for k in pkeys if m[key_slot(k)] not in led_by_plain), KEYS // 3)

        stdin = "".join(f"SET {k} v-{k}\n" for k in ckeys)
        p = redis_cli(entry.port, cluster=True, stdin=stdin)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n")[:-1], ["OK"] * KEYS, p.stdout[-2000:])
        stdin = "".join(f"SET {k} v-{k}\n" for k in pkeys)
        p = redis_cli(plain.port, stdin=stdin)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n")[:-1], ["OK"] * KEYS, p.stdout[-2000:])

        allkeys = ckeys + pkeys
        stdin = "".join(f"GET {k}\n" for k in allkeys)
        for port, cluster in ((entry.port, True), (plain.port, False), (self.c.node(3).port, True),
                              (self.c.node(3).port, False)):
            p = redis_cli(port, cluster=cluster, stdin=stdin)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.split("\n")[:-1], [f"v-{k}" for k in allkeys],
                             f"redis-cli {'-c ' if cluster else ''}-p {port}")
        # one command per process, argv style, through a non-leader
        for shard in range(3):
            k = next(k for k in pkeys if m[key_slot(k)] == shard)
            n = self.non_leader_of(shard)
            p = redis_cli(n.port, "GET", k)
            self.assertEqual(p.stdout, f"v-{k}\n")
            p = redis_cli(n.port, "GET", k, cluster=True)
            self.assertEqual(p.stdout, f"v-{k}\n")

    # -- redis-py -------------------------------------------------------------

    def test_redis_py_plain_client_on_every_node(self):
        keys = [f"py:{i}" for i in range(KEYS)]
        self.assertEqual(self.shards_of(keys), set(range(3)))
        w = self.c.client(1)
        pipe = w.pipeline(transaction=False)
        for k in keys:
            pipe.set(k, f"val:{k}")
        self.assertEqual(pipe.execute(), [True] * KEYS)
        for n in self.c.nodes.values():
            r = n.client()
            pipe = r.pipeline(transaction=False)
            for k in keys:
                pipe.get(k)
            self.assertEqual(pipe.execute(), [f"val:{k}" for k in keys], f"reads on node {n.id}")
            # one at a time too (no pipelining)
            for k in keys[:30]:
                self.assertEqual(r.get(k), f"val:{k}")
            r.close()
        w.close()

    def test_redis_py_cluster_client(self):
        rc = self.c.cluster_client()
        try:
            keys = [f"rc:{i}" for i in range(KEYS)]
            for k in keys:
                self.assertTrue(rc.set(k, f"rc-{k}"))
            for k in keys:
                self.assertEqual(rc.get(k), f"rc-{k}")
            self.assertEqual(rc.incr("rc:counter"), 1)
            self.assertEqual(rc.incr("rc:counter"), 2)
            # the client routes each key straight to its shard's leader
            m = self.c.slot_map()
            leaders = self.c.leaders()
            for k in keys[:20]:
                node = rc.get_node_from_key(k)
                self.assertEqual(self.c.node_by_port(node.port).id, leaders[m[key_slot(k)]], k)
            # written through the cluster client, read through plain clients
            r = self.c.client(3)
            self.assertEqual(r.get(keys[7]), f"rc-{keys[7]}")
            r.close()
        finally:
            rc.close()

    # -- routing errors -------------------------------------------------------

    def test_moved_after_cluster_slots_on_non_leader(self):
        keys = self.c.keys_by_shard("moved:", 1)
        for shard, (k,) in keys.items():
            leader = self.c.node(self.c.leader_of(shard))
            other = self.non_leader_of(shard)
            self.assertEqual(self.c.client(1).set(k, "before"), True)
            conn = other.raw()
            try:
                # a plain connection is forwarded
                self.assertEqual(conn.call("GET", k), ("$", b"before"))
                t, _ = conn.call("CLUSTER", "SLOTS")
                self.assertEqual(t, "*")
                slot = key_slot(k)
                want = f"MOVED {slot} 127.0.0.1:{leader.port}"
                self.assertEqual(conn.call("GET", k), ("-", want))
                self.assertEqual(conn.call("SET", k, "after"), ("-", want))
                # the leader itself executes on a cluster-aware connection
                lc = leader.raw()
                self.assertEqual(lc.call("CLUSTER", "SLOTS")[0], "*")
                self.assertEqual(lc.call("GET", k), ("$", b"before"))
                lc.close()
            finally:
                conn.close()
            self.assertEqual(self.c.client(2).get(k), "before", "a MOVED write was executed")
        # READONLY / READWRITE also make a connection cluster-aware
        shard = 0
        k = keys[shard][0]
        conn = self.non_leader_of(shard).raw()
        self.assertEqual(conn.call("READWRITE"), ("+", "OK"))
        t, v = conn.call("SET", k, "x")
        self.assertEqual(t, "-")
        self.assertTrue(v.startswith("MOVED "), v)
        conn.close()

    def test_crossslot(self):
        keys = self.c.keys_by_shard("xs:", 1)
        r = self.c.client(1)
        with self.assertRaises(redis.ResponseError) as cm:
            r.mset({keys[0][0]: "a", keys[1][0]: "b"})
        self.assertTrue(str(cm.exception).startswith("CROSSSLOT"), str(cm.exception))
        with self.assertRaises(redis.ResponseError) as cm:
            r.mget(keys[0][0], keys[2][0])
        self.assertTrue(str(cm.exception).startswith("CROSSSLOT"), str(cm.exception))
        self.assertIsNone(r.get(keys[0][0]), "a refused MSET was partly executed")
        self.assertIsNone(r.get(keys[1][0]), "a refused MSET was partly executed")
        # hash tags keep keys in one slot (one tag in each shard)
        tags = {s: v[0] for s, v in self.c.keys_by_shard("tag", 2).items()}
        for shard, tag in tags.items():
            mapping = {f"{{{tag}}}:a": f"a{tag}", f"{{{tag}}}:b": f"b{tag}",
                       f"{{{tag}}}:c": f"c{tag}"}
            self.assertEqual(self.shards_of(mapping), {shard})
            for n in self.c.nodes.values():
                cl = n.client()
                self.assertTrue(cl.mset(mapping))
                self.assertEqual(cl.mget(list(mapping)), list(mapping.values()))
                cl.close()
        r.close()

    # -- pipelining -----------------------------------------------------------

    def test_pipeline_500_mixed_commands_across_shards(self):
        keys = self.c.keys_by_shard("pl:", 4)
        counters = self.c.keys_by_shard("plc:", 2)
        allkeys = [k for v in keys.values() for k in v]
        allctrs = [k for v in counters.values() for k in v]
        model, cmds, expected = {}, [], []
        for j in range(500):
            kind = j % 3
            if kind == 0:
                k = allkeys[(j * 7) % len(allkeys)]
                model[k] = f"{j}"
                cmds.append(("SET", k, f"{j}"))
                expected.append(("+", "OK"))
            elif kind == 1:
                k = allkeys[(j * 5) % len(allkeys)]
                cmds.append(("GET", k))
                expected.append(("$", model[k].encode()) if k in model else ("$", None))
            else:
                k = allctrs[j % len(allctrs)]
                model[k] = int(model.get(k, 0)) + 1
                cmds.append(("INCR", k))
                expected.append((":", model[k]))
        for n in self.c.nodes.values():
            r = n.client()
            for k in allkeys + allctrs:
                r.delete(k)
            r.close()
            conn = n.raw(timeout=60)
            try:
                conn.send(b"".join(raw_command(*c) for c in cmds))
                got = [conn.read() for _ in cmds]
            finally:
                conn.close()
            for i, (g, e) in enumerate(zip(got, expected)):
                self.assertEqual(g, e, f"node {n.id}: reply {i} to {cmds[i]}")

    # -- redis-benchmark ------------------------------------------------------

    def error_replies(self):
        return {n.id: int(n.info("stats")["total_error_replies"]) for n in self.c.nodes.values()}

    def run_benchmark(self, *extra):
        before = self.error_replies()
        cmd = [REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(self.c.node(2).port), "-q",
               "-n", "20000", "-t", "set,get,incr", *extra]
        p = subprocess.run(cmd, capture_output=True, timeout=240)
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, f"{cmd}: {out[-2000:]} {err[-2000:]}")
        self.assertNotRegex(out + err, r"(?i)error", f"{cmd}")
        self.assertEqual(set(final_reports(out)), {"SET", "GET", "INCR"}, out[-2000:])
        after = self.error_replies()
        self.assertEqual(after, before, "error replies sent during redis-benchmark")

    def test_redis_benchmark_plain(self):
        self.run_benchmark("-r", "100000")

    def test_redis_benchmark_cluster(self):
        self.run_benchmark("--cluster")

    # -- CLUSTER commands -----------------------------------------------------

    def test_cluster_commands(self):
        leaders = self.c.wait_healthy()
        ids = {}
        for n in self.c.nodes.values():
            myid = n.call("CLUSTER", "MYID")
            self.assertRegex(myid, r"^[0-9a-f]{40}$")
            self.assertEqual(int(myid, 16), n.id)
            ids[n.id] = myid
            info = parse_info(n.call("CLUSTER", "INFO"))
            self.assertEqual(info["cluster_state"], "ok")
            self.assertEqual(info["cluster_slots_assigned"], "16384")
            self.assertEqual(info["cluster_slots_ok"], "16384")
            self.assertEqual(info["cluster_known_nodes"], "3")
            self.assertGreaterEqual(int(info["cluster_size"]), 1)

            # CLUSTER NODES: every node once, "myself" on this one, slots cover all
            text = n.call("CLUSTER", "NODES")
            lines = [line for line in text.splitlines() if line]
            self.assertEqual(len(lines), 3, text)
            covered = set()
            for line in lines:
                f = line.split()
                node = self.c.node(int(f[0], 16))
                self.assertEqual(f[1], f"127.0.0.1:{node.port}@{node.port + 10000}")
                self.assertEqual("myself" in f[2], node.id == n.id, line)
                for rng in f[8:]:
                    a, _, b = rng.partition("-")
                    covered.update(range(int(a), int(b or a) + 1))
            self.assertEqual(covered, set(range(16384)))

            # CLUSTER SLOTS: each range's master is its shard's leader
            slots = n.call("CLUSTER", "SLOTS")
            covered = 0
            m = self.c.slot_map()
            for row in slots:
                first, last, master = row[0], row[1], row[2]
                covered += last - first + 1
                self.assertEqual({m[first], m[last]}, {m[first]})
                self.assertEqual(master[1], self.c.node(leaders[m[first]]).port)
                self.assertEqual(len(row), 2 + 3)
            self.assertEqual(covered, 16384)

            # CLUSTER SHARDS: 3 shards of 3 nodes, one master (the leader)
            shards = n.call("CLUSTER", "SHARDS")
            self.assertEqual(len(shards), 3)
            for idx, entry in enumerate(shards):
                nodes = [self._map(x) for x in self._map(entry)["nodes"]]
                self.assertEqual(len(nodes), 3)
                masters = [x for x in nodes if x["role"] == "master"]
                self.assertEqual(len(masters), 1, nodes)
                self.assertEqual(int(masters[0]["id"], 16), leaders[idx])
        self.assertEqual(len(set(ids.values())), 3)

        # KEYSLOT: the Redis documentation's examples, and CRC16 agreement
        n = self.c.node(1)
        self.assertEqual(n.call("CLUSTER", "KEYSLOT", "somekey"), 11058)
        self.assertEqual(n.call("CLUSTER", "KEYSLOT", "foo{hash_tag}"), 2515)
        self.assertEqual(n.call("CLUSTER", "KEYSLOT", "bar{hash_tag}"), 2515)
        for i in range(50):
            self.assertEqual(n.call("CLUSTER", "KEYSLOT", f"k{i}x"), key_slot(f"k{i}x"))

        # COUNTKEYSINSLOT / GETKEYSINSLOT on every node (every node holds
        # every shard here; followers apply shortly after the ack)
        keys = sorted(f"{{slotkeys}}:{i}" for i in range(5))
        slot = key_slot(keys[0])
        r = self.c.client(2)
        r.delete(*keys)
        for k in keys:
            r.set(k, "x")
        r.close()
        for n in self.c.nodes.values():
            wait_for(lambda: n.call("CLUSTER", "COUNTKEYSINSLOT", slot) == 5, timeout=10,
                     what=f"node {n.id}: COUNTKEYSINSLOT {slot} == 5")
            self.assertEqual(sorted(n.call("CLUSTER", "GETKEYSINSLOT", slot, 10)), keys)
            self.assertEqual(len(n.call("CLUSTER", "GETKEYSINSLOT", slot, 2)), 2)
            self.assertIsInstance(n.call("CLUSTER", "COUNTKEYSINSLOT", 16384), redis.ResponseError)

    @staticmethod
    def _map(x):
        if isinstance(x, dict):
            return x
        return {x[i]: x[i + 1] for i in range(0, len(x), 2)}

    # -- leadership spread ----------------------------------------------------

    def test_leaders_spread_over_nodes(self):
        self.assertEqual(self.wait_spread(), {1: 1, 2: 1, 3: 1})
        leaders = self.c.wait_healthy()
        self.assertEqual(sorted(leaders.values()), [1, 2, 3])
        # and it stays that way: no more elections or transfers
        terms = {s: self.c.node(lid).raft()["shards"][s]["term"] for s, lid in leaders.items()}
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            states = self.c.raft_states()
            self.assertEqual(self.c.leaders(states), leaders)
            for s, lid in leaders.items():
                self.assertEqual(states[lid]["shards"][s]["term"], terms[s])
            time.sleep(0.1)

    # -- expiry ---------------------------------------------------------------

    def test_ttl_expiry_reaches_every_replica(self):
        keys = self.c.keys_by_shard("ttl:", 3)
        allkeys = [k for v in keys.values() for k in v]

        def db0(n):
            ks = n.info("keyspace").get("db0", "")
            m = re.search(r"keys=(\d+),expires=(\d+)", ks)
            return (int(m.group(1)), int(m.group(2))) if m else (0, 0)

        slots = sorted({key_slot(k) for k in allkeys})

        def counts(n):
            return [n.call("CLUSTER", "COUNTKEYSINSLOT", sl) for sl in slots]

        base = {n.id: db0(n) for n in self.c.nodes.values()}
        base_counts = {n.id: counts(n) for n in self.c.nodes.values()}
        self.assertEqual({v[1] for v in base.values()}, {0}, "keys with a TTL left by other tests")
        r = self.c.client(1)
        for k in allkeys:
            self.assertTrue(r.set(k, "v", px=300))
        wait_for(lambda: all(r.get(k) is None for k in allkeys), timeout=10, interval=0.05,
                 what="GET of expired keys to return nil")
        for n in self.c.nodes.values():
            nc = n.client()
            for k in allkeys:
                self.assertIsNone(nc.get(k), f"node {n.id}: {k} still readable")
            nc.close()

        last = {}

        def gone_everywhere():
            # the leader's deletions are applied by every replica: key and
            # expiry counts back where they were; the keys are not listed
            for n in self.c.nodes.values():
                listed = [k for k in allkeys
                          if k in n.call("CLUSTER", "GETKEYSINSLOT", key_slot(k), 100000)]
                now, cnt = db0(n), counts(n)
                if listed or now != base[n.id] or cnt != base_counts[n.id]:
                    last["state"] = (f"node {n.id}: listed {listed}, db0 {now} (before "
                                     f"{base[n.id]}), COUNTKEYSINSLOT {cnt} (before "
                                     f"{base_counts[n.id]})")
                    return False
            return True

        try:
            wait_for(gone_everywhere, timeout=15, interval=0.1,
                     what="expired keys deleted on every replica")
        except TimeoutError as e:
            self.fail(f"{e}: {last.get('state')}")
        r.close()


class RedirectMovedModeTest(SharedClusterTestCase):
    """`--cluster-redirect moved`: every non-leader answers -MOVED, so
    redis-cli -c must follow redirects and plain redis-cli sees them."""

    nodes, shards, replicas = 3, 3, 3
    extra_args = ("--cluster-redirect", "moved")

    def test_redis_cli_follows_moved(self):
        c = self.cluster
        c.wait_settled()
        leaders = c.wait_healthy()
        keys = [f"mv:{i}" for i in range(KEYS)]
        m = c.slot_map()
        entry = c.node(1)
        self.assertGreater(sum(1 for k in keys if leaders[m[key_slot(k)]] != entry.id), KEYS // 3)
        def replies(out):
            lines = out.split("\n")[:-1]
            moved = [x for x in lines if x.startswith("-> Redirected to slot")]
            return [x for x in lines if not x.startswith("-> Redirected")], len(moved)

        p = redis_cli(entry.port, cluster=True, stdin="".join(f"SET {k} x-{k}\n" for k in keys))
        self.assertEqual(p.returncode, 0, p.stderr)
        got, moved = replies(p.stdout)
        self.assertEqual(got, ["OK"] * KEYS, p.stdout[-2000:])
        self.assertGreater(moved, 0, "redis-cli -c was never redirected")
        p = redis_cli(entry.port, cluster=True, stdin="".join(f"GET {k}\n" for k in keys))
        self.assertEqual(replies(p.stdout)[0], [f"x-{k}" for k in keys])
        for k in keys[:20]:
            lid = leaders[m[key_slot(k)]]
            for n in c.nodes.values():
                p = redis_cli(n.port, "GET", k)
                if n.id == lid:
                    self.assertEqual(p.stdout, f"x-{k}\n")
                else:
                    self.assertEqual(p.stdout.strip(),
                                     f"MOVED {key_slot(k)} 127.0.0.1:{c.node(lid).port}")
        rc = c.cluster_client()
        try:
            for k in keys:
                self.assertEqual(rc.get(k), f"x-{k}")
        finally:
            rc.close()


if __name__ == "__main__":
    unittest.main()
