"""Planned leadership changes and replica acknowledgements against real
shoal clusters: CLUSTER FAILOVER (a planned Raft transfer to the node it is
sent to, kept there: no hand-back), SHOAL.DRAIN and `shoal-cluster drain`
(leadership moved off a node and kept off until OFF or a restart), WAIT in
cluster mode (followers holding the connection's last write), and the basics
of `--replication async`.

Writes during a planned transfer must see no error, only a brief pause
(DESIGN.md §5: writes at the old leader wait for the transfer; afterwards
plain clients' writes are handed on to the new leader).

Leadership changes are awaited with wait_for; "stays there" is checked by a
bounded loop that asserts on every poll for longer than the hand-back delay
(4 election timeouts = 2 s with the default ticks).
"""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import redis

from cluster_harness import (PortLease, SharedClusterTestCase, parse_info, parse_shard_line,
                             to_py)
from harness import BUILD_DIR, SERVER, RawConnection, ShoalServer, wait_for

SHOAL_CLUSTER = os.path.join(BUILD_DIR, "tools", "shoal-cluster")
HAND_BACK_S = 2.0        # 4 election timeouts of 10 ticks of 50 ms
STAYS_S = 3.0            # "stays there": longer than the hand-back delay
BRIEF_PAUSE_S = 1.0      # what a test accepts as "a brief pause" (bench: < 200 ms)
NOT_A_REPLICA = ("ERR You should send CLUSTER FAILOVER to a replica (this node leads every "
                 "shard it holds)")
NO_CLUSTER = "ERR This instance has cluster support disabled"


def wait_binary(path, timeout=120.0):
    """The build dir may be rebuilt concurrently: a binary can be missing
    for a moment."""
    wait_for(lambda: os.access(path, os.X_OK), timeout=timeout, interval=0.5,
             what=f"{path} to exist")


class Writer(threading.Thread):
    """SETs back to back (cycling over `keys`) through one plain redis-py
    connection to one node; records every acknowledgement (time, value) and
    every error."""

    def __init__(self, node, keys, tag):
        super().__init__(daemon=True)
        self.node, self.keys, self.tag = node, list(keys), tag
        self.stop = threading.Event()
        self.acked = {}       # key -> last acknowledged sequence number
        self.ack_times = []
        self.errors = []
        self.finished = None

    def run(self):
        r = self.node.client(single_connection_client=True, socket_timeout=10)
        seq = 0
        try:
            while not self.stop.is_set():
                seq += 1
                key = self.keys[seq % len(self.keys)]
                try:
                    ok = r.set(key, f"{self.tag}:{seq}")
                except redis.RedisError as e:
                    self.errors.append(f"t={time.monotonic():.3f} node {self.node.id}: "
                                       f"SET {key}: {e!r}")
                    time.sleep(0.005)
                    continue
                if ok is True:
                    self.acked[key] = seq
                    self.ack_times.append(time.monotonic())
                else:
                    self.errors.append(f"t={time.monotonic():.3f} node {self.node.id}: "
                                       f"SET {key} replied {ok!r}")
        finally:
            self.finished = time.monotonic()
            r.close()

    def acks_since(self, t):
        return sum(1 for x in self.ack_times if x >= t)

    def longest_pause(self):
        pts = self.ack_times + [self.finished or time.monotonic()]
        return max((b - a for a, b in zip(pts, pts[1:])), default=0.0)

    def value(self, key):
        return f"{self.tag}:{self.acked[key]}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(timeout=30)
        return False


class PlannedCase(SharedClusterTestCase):
    """A shared 3-node cluster (3 shards x 3 replicas) whose preferred
    leaders (spread, stable) are known; every test leaves leadership on
    them."""

    nodes, shards, replicas = 3, 3, 3
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.cluster.wait_settled()
            cls.preferred = cls.cluster.leaders()
        except Exception:
            cls.cluster.dump_logs()
            cls.cluster.stop(keep_dir=True)
            raise

    def setUp(self):
        self.c = self.cluster

    # -- helpers ----------------------------------------------------------------

    def leads(self, node_id, states=None):
        """Shards `node_id` leads (highest-term claims); None if a shard has
        no leader."""
        leaders = self.c.leaders(states)
        if None in leaders.values():
            return None
        return sorted(s for s, lid in leaders.items() if lid == node_id)

    def wait_leads(self, node_id, shards, timeout=15.0, what=None):
        wait_for(lambda: self.leads(node_id) == sorted(shards), timeout=timeout, interval=0.02,
                 what=what or f"node {node_id} to lead exactly shards {sorted(shards)}")

    def wait_preferred(self, timeout=30.0):
        last = {}

        def back():
            last["leaders"] = self.c.leaders()
            return last["leaders"] == self.preferred

        try:
            wait_for(back, timeout=timeout, interval=0.05, what="the preferred leaders")
        except TimeoutError as e:
            raise AssertionError(f"{e}: leaders {last.get('leaders')}, "
                                 f"preferred {self.preferred}") from None

    def restore_preferred(self, pinned):
        """Leadership a CLUSTER FAILOVER pinned on node `pinned` goes back
        to the preferred leaders: SHOAL.DRAIN ON there until it leads no
        shard, OFF, then the hand-backs."""
        n = self.c.node(pinned)
        if not n.up():
            return
        try:
            self.assertEqual(n.call("SHOAL.DRAIN", "ON"), "OK")
            self.wait_leads(pinned, [], what=f"drained node {pinned} to lead no shard")
        finally:
            n.call("SHOAL.DRAIN", "OFF")
        self.wait_preferred()

    def shard_key(self, shard, name):
        tag = self.c.keys_by_shard(f"{name}:", 1)[shard][0]
        return "{" + tag + "}:" + name

    def assert_stays(self, node_id, shards, seconds=STAYS_S):
        """Polls for `seconds` (longer than the hand-back delay) and asserts
        at every poll that node_id leads exactly `shards`."""
        end = time.monotonic() + seconds
        polls = 0
        while True:
            self.assertEqual(self.leads(node_id), sorted(shards),
                             f"poll {polls}: node {node_id} no longer leads exactly {shards}: "
                             f"leaders {self.c.leaders()}")
            polls += 1
            if time.monotonic() >= end:
                break
            time.sleep(0.25)
        self.assertGreaterEqual(polls, int(seconds / 0.25) // 2)


class PlannedTransferTest(PlannedCase):

    def test_failover_moves_leadership_to_the_replica_and_keeps_it(self):
        c = self.c
        shard = 0
        leaders = c.wait_healthy()
        old = leaders[shard]
        followers = sorted(n for n in c.replicas_of(shard) if n != old)
        target, third = followers[0], followers[1]
        key = self.shard_key(shard, "failover")
        self.addCleanup(self.restore_preferred, target)
        with Writer(c.node(third), [key], "third") as w, \
                Writer(c.node(old), [key + ":old"], "old") as w_old:
            wait_for(lambda: len(w.ack_times) >= 20 and len(w_old.ack_times) >= 20,
                     timeout=10, what="writes acknowledged before the failover")
            asked = time.monotonic()
            self.assertEqual(c.node(target).call("CLUSTER", "FAILOVER"), "OK")
            wait_for(lambda: c.leader_of(shard) == target, timeout=10, interval=0.01,
                     what=f"node {target} to lead shard {shard}")
            moved = time.monotonic()
            wait_for(lambda: w.acks_since(moved) >= 20 and w_old.acks_since(moved) >= 20,
                     timeout=10, what="writes acknowledged after the failover")
        self.assertEqual(w.errors + w_old.errors, [], "write errors during a planned transfer "
                         f"of shard {shard} from node {old} to node {target} (CLUSTER "
                         f"FAILOVER at t={asked:.3f}, moved seen at t={moved:.3f})")
        self.assertLess(w.longest_pause(), BRIEF_PAUSE_S)
        self.assertLess(w_old.longest_pause(), BRIEF_PAUSE_S)
        for n in c.nodes.values():
            r = n.client()
            self.assertEqual(r.get(key), w.value(key), f"GET {key} through node {n.id}")
            self.assertEqual(r.get(key + ":old"), w_old.value(key + ":old"))
            r.close()
        # The target follows every shard here, so now it leads all of them,
        # and keeps them: no hand-back to the preferred leaders.
        self.assert_stays(target, range(c.shards))

    def test_failover_errors(self):
        c = self.c
        leaders = c.wait_healthy()
        node = c.node(leaders[0])
        for args in (("BOGUS",), ("FORCE", "TAKEOVER"), ("TAKEOVER", "x")):
            self.assertEqual(str(node.call("CLUSTER", "FAILOVER", *args)), "ERR syntax error",
                             f"CLUSTER FAILOVER {' '.join(args)}")
        self.assertEqual(str(node.call("SHOAL.DRAIN", "MAYBE")), "ERR syntax error")
        self.assertEqual(str(node.call("SHOAL.DRAIN", "ON", "OFF")), "ERR syntax error")
        # Every shard moves to the node; then it leads all it holds.
        x = leaders[1] if leaders[1] != leaders[0] else leaders[2]
        self.addCleanup(self.restore_preferred, x)
        self.assertEqual(c.node(x).call("CLUSTER", "FAILOVER", "TAKEOVER"), "OK")
        self.wait_leads(x, range(c.shards))
        for args in ((), ("FORCE",), ("takeover",)):
            self.assertEqual(str(c.node(x).call("CLUSTER", "FAILOVER", *args)), NOT_A_REPLICA,
                             f"CLUSTER FAILOVER {' '.join(args)} on a node leading every shard")
        self.assertEqual(self.leads(x), list(range(c.shards)))

    def test_drain_moves_leadership_away_until_off(self):
        c = self.c
        c.wait_healthy()
        self.wait_preferred()
        x = self.preferred[1]
        mine = sorted(s for s, n in self.preferred.items() if n == x)
        keys = [self.shard_key(s, "drain") for s in range(c.shards)]
        node = c.node(x)
        self.addCleanup(node.call, "SHOAL.DRAIN", "OFF")
        writers = [Writer(n, [f"{k}:{n.id}" for k in keys], f"w{n.id}") for n in c.nodes.values()]
        for w in writers:
            w.start()
        try:
            wait_for(lambda: all(len(w.ack_times) >= 20 for w in writers), timeout=10,
                     what="writes acknowledged before the drain")
            marks = {"ON": time.monotonic()}
            self.assertEqual(node.call("SHOAL.DRAIN"), "OK")  # ON is the default
            self.wait_leads(x, [], what=f"draining node {x} to lead no shard")
            moved = marks["led none"] = time.monotonic()
            # It gets no leadership back while it drains (longer than the
            # hand-back delay).
            self.assert_stays(x, [])
            marks["OFF"] = time.monotonic()
            self.assertEqual(node.call("SHOAL.DRAIN", "OFF"), "OK")
            self.wait_leads(x, mine, timeout=20,
                            what=f"node {x} to lead its preferred shards {mine} after OFF")
            marks["back"] = time.monotonic()
            wait_for(lambda: all(w.acks_since(moved) >= 20 for w in writers), timeout=10,
                     what="writes acknowledged after the drain")
        finally:
            for w in writers:
                w.stop.set()
            for w in writers:
                w.join(timeout=30)
        self.assertEqual([e for w in writers for e in w.errors], [],
                         f"write errors while leadership moved off node {x} and back "
                         f"(times: {', '.join(f'{k} {v:.3f}' for k, v in marks.items())})")
        for w in writers:
            self.assertLess(w.longest_pause(), BRIEF_PAUSE_S, f"writer via node {w.node.id}")
        r = c.node(x).client()
        for w in writers:
            for k in w.acked:
                self.assertEqual(r.get(k), w.value(k))
        r.close()
        self.wait_preferred()


class WaitTest(PlannedCase):

    def test_wait_counts_the_followers_holding_the_write(self):
        c = self.c
        leaders = c.wait_healthy(in_sync=True)
        shard = 0
        lead = leaders[shard]
        others = sorted(n for n in c.replicas_of(shard) if n != lead)
        key = self.shard_key(shard, "wait")
        for via in (lead, others[0]):
            conn = c.node(via).raw()
            try:
                self.assertEqual(to_py(conn.call("SET", key, f"v{via}")), "OK")
                t0 = time.monotonic()
                self.assertEqual(to_py(conn.call("WAIT", "2", "1000")), 2,
                                 f"WAIT 2 1000 through node {via}")
                self.assertLess(time.monotonic() - t0, 1.0)
            finally:
                conn.close()

        # One follower stopped: only the other one holds new writes.
        paused = others[1]
        self.addCleanup(c.wait_healthy, timeout=30, in_sync=True)
        c.pause(paused)
        try:
            for via in (lead, others[0]):
                conn = c.node(via).raw()
                try:
                    self.assertEqual(to_py(conn.call("SET", key, f"p{via}")), "OK")
                    t0 = time.monotonic()
                    self.assertEqual(to_py(conn.call("WAIT", "2", "300")), 1,
                                     f"WAIT 2 300 through node {via}, node {paused} stopped")
                    took = time.monotonic() - t0
                    self.assertGreaterEqual(took, 0.25, "WAIT returned before its timeout")
                    self.assertLess(took, 5.0)
                    n = to_py(conn.call("WAIT", "1", "0"))
                    self.assertIsInstance(n, int)
                    self.assertGreaterEqual(n, 1, f"WAIT 1 0 through node {via}")
                finally:
                    conn.close()
        finally:
            c.resume(paused)

    def test_wait_without_a_write_and_errors(self):
        c = self.c
        c.wait_healthy()
        for n in c.nodes.values():
            conn = n.raw()
            try:
                t0 = time.monotonic()
                self.assertEqual(to_py(conn.call("WAIT", "1", "100")), 0)
                self.assertLess(time.monotonic() - t0, 1.0)
                self.assertEqual(str(to_py(conn.call("WAIT", "x", "100"))),
                                 "ERR value is not an integer or out of range")
                self.assertEqual(str(to_py(conn.call("WAIT", "1", "x"))),
                                 "ERR timeout is not an integer or out of range")
                self.assertEqual(str(to_py(conn.call("WAIT", "1", "-1"))),
                                 "ERR timeout is negative")
                self.assertEqual(str(to_py(conn.call("WAIT", "1"))),
                                 "ERR wrong number of arguments for 'wait' command")
            finally:
                conn.close()


class StandaloneTest(unittest.TestCase):

    def test_cluster_commands_on_a_standalone_server(self):
        with ShoalServer() as s:
            conn = RawConnection(s.port)
            try:
                for args in (("CLUSTER", "FAILOVER"), ("CLUSTER", "FAILOVER", "FORCE"),
                             ("SHOAL.DRAIN",), ("SHOAL.DRAIN", "OFF")):
                    self.assertEqual(str(to_py(conn.call(*args))), NO_CLUSTER, " ".join(args))
                self.assertEqual(to_py(conn.call("SET", "k", "v")), "OK")
                t0 = time.monotonic()
                self.assertEqual(to_py(conn.call("WAIT", "1", "2000")), 0)
                self.assertLess(time.monotonic() - t0, 1.0, "standalone WAIT must not wait")
                self.assertEqual(str(to_py(conn.call("WAIT", "1", "-5"))),
                                 "ERR timeout is negative")
            finally:
                conn.close()


class AsyncReplicationTest(SharedClusterTestCase):
    nodes, shards, replicas = 3, 3, 3
    extra_args = ("--replication", "async")

    def setUp(self):
        self.c = self.cluster

    shard_key = PlannedCase.shard_key

    def test_set_get_incr_through_every_node(self):
        c = self.c
        leaders = c.wait_healthy()
        for n in c.nodes.values():
            r = n.client()
            for shard in range(c.shards):
                key = self.shard_key(shard, f"async{n.id}")
                self.assertTrue(r.set(key, f"v{n.id}"))
                self.assertEqual(r.get(key), f"v{n.id}")
                self.assertEqual(r.incr(key + ":n"), 1)
                self.assertEqual(r.incr(key + ":n", 4), 5)
            r.close()
        # A follower's own replica (READONLY) gets there too.
        for shard in range(c.shards):
            key = self.shard_key(shard, "async1")
            follower = next(x for x in c.replicas_of(shard) if x != leaders[shard])
            r = c.node(follower).client(single_connection_client=True)
            self.assertIn(r.execute_command("READONLY"), ("OK", True))
            wait_for(lambda: r.get(key) == "v1" and r.get(key + ":n") == "5", timeout=10,
                     what=f"follower {follower} of shard {shard} to see the writes")
            r.close()

    def test_wait_counts_followers_in_async_mode(self):
        c = self.c
        leaders = c.wait_healthy()
        shard = 1
        key = self.shard_key(shard, "asyncwait")
        other = next(n for n in c.replicas_of(shard) if n != leaders[shard])
        for via in (leaders[shard], other):
            conn = c.node(via).raw()
            try:
                self.assertEqual(to_py(conn.call("SET", key, f"v{via}")), "OK")
                self.assertEqual(to_py(conn.call("WAIT", "2", "1000")), 2,
                                 f"WAIT 2 1000 through node {via}")
            finally:
                conn.close()


# ---------------------------------------------------------------------------
# shoal-cluster drain (its own cluster: shoal-cluster up takes consecutive
# ports from a base port)


class ShoalClusterDrainTest(unittest.TestCase):
    """`shoal-cluster drain I [--stop]` on a cluster made by `shoal-cluster up`."""

    def sc(self, *args, timeout=120):
        return subprocess.run([SHOAL_CLUSTER] + [str(a) for a in args], capture_output=True,
                              text=True, timeout=timeout)

    def port(self, node):
        return self.base + node - 1

    def leaders(self):
        """{shard: node} by the highest-term leader claim of the nodes that
        answer (None: no node claims it)."""
        best = {}
        for node in range(1, 4):
            try:
                conn = RawConnection(self.port(node), timeout=2)
                try:
                    info = parse_info(to_py(conn.call("INFO", "raft")))
                finally:
                    conn.close()
            except (OSError, ConnectionError, AttributeError):
                continue
            for k, v in info.items():
                if not k.startswith("shard_"):
                    continue
                s, line = int(k[len("shard_"):]), parse_shard_line(v)
                if line["role"] == "leader" and (s not in best or line["term"] > best[s][1]):
                    best[s] = (node, line["term"])
        return {s: best[s][0] if s in best else None for s in range(3)}

    def stable_leaders(self, quiet=HAND_BACK_S + 0.5, timeout=40):
        seen = {"m": None, "since": 0.0}

        def stable():
            m = self.leaders()
            now = time.monotonic()
            if m != seen["m"]:
                seen["m"], seen["since"] = m, now
                return None
            spread = sorted(m.values()) == [1, 2, 3]
            return m if spread and now - seen["since"] >= quiet else None

        return wait_for(stable, timeout=timeout, interval=0.1,
                        what="spread, stable leaders (the preferred ones)")

    def test_drain_stop_and_restart(self):
        wait_binary(SHOAL_CLUSTER)
        lease = PortLease(3, consecutive=True)
        self.addCleanup(lease.release)
        self.base = lease.ports[0]
        top = tempfile.mkdtemp(prefix="shoal-planned-drain-")
        d = os.path.join(top, "cluster")

        def cleanup():
            pids = []
            for node in range(1, 4):
                r = self.sc("pid", node, "--dir", d)
                if r.returncode == 0 and r.stdout.strip().isdigit():
                    pids.append(int(r.stdout.strip()))
            down = self.sc("down", "--wipe", "--dir", d)
            for pid in pids:  # whatever `down` left behind
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            if down.returncode != 0:
                print(down.stdout + down.stderr)
            shutil.rmtree(top, ignore_errors=True)

        self.addCleanup(cleanup)
        up = self.sc("up", "-n", 3, "--shards", 3, "--replicas", 3, "--dir", d,
                     "--base-port", self.base, "--server", os.path.abspath(SERVER))
        self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
        preferred = self.stable_leaders()
        shard = 0
        x = preferred[shard]
        mine = sorted(s for s, n in preferred.items() if n == x)

        r = self.sc("drain", x, "--dir", d, "--timeout", 20, "--stop")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(rf"^node {x} leads no shard \((\d+) ms\); leaders:((?: \d+->\d+){{3}})$",
                      r.stdout, re.M)
        self.assertIsNotNone(m, f"shoal-cluster drain output: {r.stdout!r}")
        named = dict(tuple(map(int, p.split("->"))) for p in m.group(2).split())
        self.assertEqual(sorted(named), [0, 1, 2])
        self.assertNotIn(x, named.values(), r.stdout)
        self.assertIn(f"node {x} stopped", r.stdout)
        self.assertEqual(self.sc("pid", x, "--dir", d).returncode, 1, "the node still runs")
        led = self.leaders()
        self.assertNotIn(None, led.values())
        self.assertNotIn(x, led.values())

        # Back: the node is caught up, then gets its preferred shards back.
        r = self.sc("restart", x, "--dir", d)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_for(lambda: self.leaders() == preferred, timeout=30, interval=0.1,
                 what=f"the preferred leaders {preferred} (node {x} leads {mine} again)")


if __name__ == "__main__":
    unittest.main()
