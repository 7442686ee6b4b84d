"""Faults against real shoal clusters: SIGKILL of leaders under load (no
acknowledged write lost), loss of a shard's quorum (clear errors, nothing
acknowledged, recovery), SIGSTOP of a leader (PreVote: the resumed node
rejoins without an election and never serves the old value), and a
restarted node catching up by snapshot after log compaction.

Error contract (DESIGN.md §5): -CLUSTERDOWN / -TRYAGAIN / -MOVED mean "not
executed"; -UNKNOWN means "proposed, outcome unknown". A connection error
after a command was sent is also an unknown outcome.
"""
import random
import re
import threading
import time
import unittest

import redis

from cluster_harness import ClusterTestCase, key_slot, wait_for

NOT_EXECUTED = ("CLUSTERDOWN", "TRYAGAIN")
UNKNOWN = ("UNKNOWN",)
CLEAR_ERRORS = NOT_EXECUTED + UNKNOWN


def error_kind(err):
    """'not_executed' | 'unknown' | 'other' for a redis-py exception."""
    if isinstance(err, redis.TimeoutError):
        return "unknown"
    if isinstance(err, redis.ConnectionError):
        # "Error 111 connecting to host:port": nothing was sent. Anything
        # else (reset, closed while reading) may follow a sent command.
        return "not_executed" if " connecting to " in str(err) else "unknown"
    text = str(err)
    if text.startswith(NOT_EXECUTED):
        return "not_executed"
    if text.startswith(UNKNOWN):
        return "unknown"
    return "other"


class History:
    """Outcomes of the writes of one writer thread (no locking needed)."""

    def __init__(self):
        self.acked = {}          # key -> highest acknowledged value (int)
        self.maybe = {}          # key -> set of values with unknown outcome
        self.incr_acked = {}     # counter -> [results]
        self.incr_maybe = {}     # counter -> count of unknown outcomes
        self.sets_acked = 0
        self.not_executed = 0
        self.stale_reads = []
        self.other_errors = []


class NoAcknowledgedWriteLostTest(ClusterTestCase):
    """3 nodes; 8 writers on random nodes; a nemesis SIGKILLs the leader of
    a random shard, restarts it a second later, waits for a healthy cluster,
    and repeats (20 kills). Afterwards every key reads back, from every
    node, as its last acknowledged value (or a later one whose outcome was
    unknown), and counters account for every acknowledged INCR exactly once."""

    WRITERS = 8
    KEYS_PER_WRITER = 25
    KILLS = 20

    def writer(self, t, hist, stop, counters):
        rnd = random.Random(1000 + t)
        clients = {n.id: n.client(socket_timeout=15, socket_connect_timeout=2)
                   for n in self.c.nodes.values()}
        seq = 0
        while not stop.is_set():
            r = clients[rnd.choice(list(clients))]
            dice = rnd.random()
            if dice < 0.1:
                # read back an own key: only this thread writes it, so it
                # holds the last acknowledged value or one with an unknown
                # outcome, never an older acknowledged one
                key = f"w{t}:{rnd.randrange(self.KEYS_PER_WRITER)}"
                try:
                    v = r.get(key)
                except redis.RedisError as e:
                    if error_kind(e) == "other":
                        hist.other_errors.append(f"GET {key}: {e!r}")
                    continue
                a, maybe = hist.acked.get(key), hist.maybe.get(key, set())
                if not (v == (None if a is None else str(a)) or (v is not None and int(v) in maybe)
                        or (v is None and a is None)):
                    hist.stale_reads.append(f"GET {key} = {v!r}, acknowledged {a}, "
                                            f"unknown {sorted(maybe)}")
            elif dice < 0.8:
                seq += 1
                key = f"w{t}:{seq % self.KEYS_PER_WRITER}"
                try:
                    ok = r.set(key, str(seq))
                except redis.RedisError as e:
                    kind = error_kind(e)
                    if kind == "unknown":
                        hist.maybe.setdefault(key, set()).add(seq)
                    elif kind == "not_executed":
                        hist.not_executed += 1
                    else:
                        hist.other_errors.append(f"SET {key}: {e!r}")
                    time.sleep(0.02)
                    continue
                if ok is True:
                    hist.acked[key] = seq
                    hist.sets_acked += 1
                else:
                    hist.other_errors.append(f"SET {key} replied {ok!r}")
            else:
                ctr = counters[rnd.randrange(len(counters))]
                try:
                    v = r.incr(ctr)
                except redis.RedisError as e:
                    kind = error_kind(e)
                    if kind == "unknown":
                        hist.incr_maybe[ctr] = hist.incr_maybe.get(ctr, 0) + 1
                    elif kind == "not_executed":
                        hist.not_executed += 1
                    else:
                        hist.other_errors.append(f"INCR {ctr}: {e!r}")
                    time.sleep(0.02)
                    continue
                hist.incr_acked.setdefault(ctr, []).append(v)
        for r in clients.values():
            r.close()

    def test_leader_kills_lose_no_acknowledged_write(self):
        self.c = self.start_cluster(3, 3, 3)
        counters = [v[0] for v in self.c.keys_by_shard("ctr:", 1).values()]
        stop = threading.Event()
        hists = [History() for _ in range(self.WRITERS)]
        threads = [threading.Thread(target=self.writer, args=(t, hists[t], stop, counters),
                                    daemon=True) for t in range(self.WRITERS)]
        for th in threads:
            th.start()
        rnd = random.Random(7)
        kills = 0
        t0 = time.monotonic()
        try:
            while kills < self.KILLS:
                shard = rnd.randrange(self.c.shards)
                leader = self.c.leader_of(shard)
                if leader is None:
                    self.c.wait_healthy(timeout=30)
                    continue
                node = self.c.node(leader)
                node.kill()
                kills += 1
                time.sleep(1.0)  # the nemesis' schedule: down for about a second
                node.start()
                node.wait_ready()
                self.c.wait_healthy(timeout=45, in_sync=True, max_lag=200)
        finally:
            stop.set()
            for th in threads:
                th.join(timeout=60)
        nemesis_secs = time.monotonic() - t0
        self.assertFalse(any(th.is_alive() for th in threads), "a writer thread hangs")
        self.c.wait_healthy(timeout=30, in_sync=True, max_lag=0)

        others = [e for h in hists for e in h.other_errors]
        self.assertEqual(others, [], "replies outside the error contract")
        stale = [e for h in hists for e in h.stale_reads]
        self.assertEqual(stale, [], "reads during the faults returned stale values")
        acked = sum(len(h.acked) for h in hists)
        writes = sum(sum(len(v) for v in h.incr_acked.values()) for h in hists)
        self.assertGreater(acked, 0)
        self.assertGreater(writes, 0)

        # every node answers every key (forwarding to the leaders)
        keys = [(t, f"w{t}:{j}") for t in range(self.WRITERS) for j in range(self.KEYS_PER_WRITER)]
        lost = []
        for n in self.c.nodes.values():
            r = n.client()
            pipe = r.pipeline(transaction=False)
            for _, k in keys:
                pipe.get(k)
            values = pipe.execute()
            for (t, k), v in zip(keys, values):
                h = hists[t]
                a, maybe = h.acked.get(k), h.maybe.get(k, set())
                allowed = ({str(a)} if a is not None else set()) | {str(m) for m in maybe}
                if a is None and not maybe:
                    allowed = {None}
                elif a is None:
                    allowed.add(None)
                if v not in allowed:
                    lost.append(f"node {n.id}: {k} = {v!r}, acknowledged {a}, "
                                f"unknown outcomes {sorted(maybe)}")
            # counters: each acknowledged INCR applied exactly once
            for ctr in counters:
                results = [x for h in hists for x in h.incr_acked.get(ctr, [])]
                unknown = sum(h.incr_maybe.get(ctr, 0) for h in hists)
                final = int(r.get(ctr) or 0)
                self.assertEqual(len(results), len(set(results)),
                                 f"{ctr}: two INCRs acknowledged with the same result")
                if results:
                    self.assertGreaterEqual(final, max(results), f"{ctr} lost an acknowledged INCR")
                self.assertGreaterEqual(final, len(results), f"{ctr} lost an acknowledged INCR")
                self.assertLessEqual(final, len(results) + unknown,
                                     f"{ctr}: more increments than INCRs that may have run")
            r.close()
        self.assertEqual(lost, [], f"{len(lost)} keys lost acknowledged writes")

        # the replicas converged: same applied index per shard, same keys
        def converged():
            states = self.c.raft_states()
            if len(states) != 3:
                return None
            for shard in range(self.c.shards):
                if len({st["shards"][shard]["applied"] for st in states.values()}) != 1:
                    return None
            return states

        try:
            wait_for(converged, timeout=20, interval=0.1, what="equal applied indexes")
        except TimeoutError as e:
            self.fail(f"{e}: {self.c.raft_states()}")
        slots = sorted({key_slot(k) for _, k in keys} | {key_slot(k) for k in counters})
        listed = {}
        for n in self.c.nodes.values():
            listed[n.id] = {sl: sorted(n.call("CLUSTER", "GETKEYSINSLOT", sl, 1000))
                            for sl in slots}
            listed[n.id]["db0"] = n.info("keyspace").get("db0")
        self.assertEqual(listed[1], listed[2], "nodes 1 and 2 hold different keys")
        self.assertEqual(listed[1], listed[3], "nodes 1 and 3 hold different keys")
        maybes = sum(len(v) for h in hists for v in h.maybe.values())
        print(f"\n  {kills} leader kills in {nemesis_secs:.0f}s; "
              f"{sum(h.sets_acked for h in hists)} SETs ({acked} keys) and "
              f"{writes} INCRs acknowledged; {maybes} unknown SETs; "
              f"{sum(h.not_executed for h in hists)} not executed")


class QuorumLossTest(ClusterTestCase):
    """5 nodes, 5 shards of 3 replicas."""

    def write_ok(self, node, key, value, timeout=30):
        """Polls until SET through `node` is acknowledged (failover)."""
        r = node.client(socket_timeout=10)
        last = {}

        def attempt():
            try:
                return r.set(key, value) is True
            except redis.RedisError as e:
                kind = error_kind(e)
                self.assertNotEqual(kind, "other", f"SET {key} through node {node.id}: {e}")
                last["err"] = str(e)
                return False

        try:
            wait_for(attempt, timeout=timeout, interval=0.1, what=f"SET {key} to succeed")
        except TimeoutError as e:
            self.fail(f"{e}; last error: {last.get('err')}")
        finally:
            r.close()

    def test_quorum_loss_and_recovery(self):
        c = self.start_cluster(5, 5, 3, extra_args=["--cluster-write-timeout", "1000"])
        keys = {s: v[0] for s, v in c.keys_by_shard("q:", 1).items()}
        replicas = {s: c.replicas_of(s) for s in range(5)}
        for s, rs in replicas.items():
            self.assertEqual(len(set(rs)), 3, f"shard {s} replicas {rs}")

        # one node down: every shard keeps a quorum and takes writes
        victim = c.leader_of(0)
        c.kill(victim)
        c.wait_healthy(timeout=30)
        entry = next(n for n in c.up_nodes())
        for s, k in keys.items():
            self.write_ok(entry, k, "one-down")
        for n in c.up_nodes():
            r = n.client()
            self.assertEqual([r.get(k) for k in keys.values()], ["one-down"] * 5)
            r.close()
        c.node(victim).start().wait_ready()
        c.wait_healthy(timeout=30, in_sync=True, max_lag=0)

        # two replicas of shard X down: every shard holding both loses its
        # quorum. X's followers are taken (its leader is left without a
        # quorum: writes it proposed can only end "unknown"), choosing the
        # pair that leaves the most shards alive.
        def dead_with(pair):
            return {s for s, rs in replicas.items() if set(pair) <= set(rs)}

        leaders = c.wait_healthy(timeout=30)
        x, (p, q) = min(((s, tuple(i for i in rs if i != leaders[s]))
                         for s, rs in replicas.items()),
                        key=lambda item: (len(dead_with(item[1])), item[0]))
        dead_shards = dead_with((p, q))
        live_shards = set(range(5)) - dead_shards
        self.assertIn(x, dead_shards)
        for s in range(5):
            self.write_ok(c.node(p), keys[s], "before")
        c.kill(p)
        c.kill(q)
        up = c.up_nodes()

        # writes to a dead shard fail with a clear error, through any node,
        # from the moment of the kill on
        attempts = {}  # (shard, value) -> kind
        errors = set()
        seq = 0
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            for n in up:
                for s in sorted(dead_shards):
                    seq += 1
                    value = f"dead-{seq}"
                    r = n.client(socket_timeout=15)
                    try:
                        reply = r.set(keys[s], value)
                        self.fail(f"SET {keys[s]} (shard {s}, no quorum) through node {n.id} "
                                  f"was acknowledged: {reply!r}")
                    except redis.ResponseError as e:
                        text = str(e)
                        self.assertTrue(text.startswith(CLEAR_ERRORS),
                                        f"SET to shard {s} through node {n.id}: {text!r}")
                        attempts[(s, value)] = error_kind(e)
                        errors.add(re.sub(r"\d+", "N", text)[:60])
                    except (redis.ConnectionError, redis.TimeoutError) as e:
                        self.fail(f"SET to shard {s} through node {n.id}: no reply: {e!r}")
                    finally:
                        r.close()
        self.assertGreater(len(attempts), 0)
        kinds = {}
        for (s, _), kind in attempts.items():
            kinds[kind] = kinds.get(kind, 0) + 1
        print(f"\n  nodes {p} and {q} down: shards {sorted(dead_shards)} without quorum; "
              f"refused writes: {kinds}; errors: {sorted(errors)}")

        # the other shards fail over and keep working
        for s in live_shards:
            for n in up:
                self.write_ok(n, keys[s], f"live-{n.id}")
                r = n.client()
                self.assertEqual(r.get(keys[s]), f"live-{n.id}")
                r.close()

        # the surviving replica of each dead shard stops claiming a leader
        for s in dead_shards:
            (rid,) = [i for i in replicas[s] if i not in (p, q)]

            def leaderless(rid=rid, s=s):
                st = c.node(rid).try_raft()
                return st is not None and st["shards"][s]["role"] != "leader" \
                    and st["shards"][s]["leader"] == 0
            wait_for(leaderless, timeout=15, interval=0.1,
                     what=f"node {rid} to see shard {s} without a leader")
            info = c.node(rid).info("cluster")
            self.assertEqual(info["cluster_state"], "fail")

        # reads of the live shards still work everywhere
        for n in up:
            r = n.client()
            for s in live_shards:
                self.assertTrue(r.get(keys[s]).startswith("live-"))
            r.close()

        # one of the two back: the dead shards recover and take writes
        c.node(p).start().wait_ready()
        for s in dead_shards:
            unknown = {v for (sh, v), kind in attempts.items() if sh == s and kind == "unknown"}
            r = c.node(p).client()
            v = wait_for(lambda: self._get_or_none(r, keys[s]), timeout=30, interval=0.1,
                         what=f"a read of shard {s}")
            r.close()
            self.assertIn(v, {"before"} | unknown,
                          f"shard {s}: a write refused as not executed was applied")
            for n in c.up_nodes():
                self.write_ok(n, keys[s], f"recovered-{n.id}", timeout=30)
                r = n.client()
                self.assertEqual(r.get(keys[s]), f"recovered-{n.id}")
                r.close()
        c.wait_healthy(timeout=30)

    @staticmethod
    def _get_or_none(r, key):
        try:
            return r.get(key)
        except redis.ResponseError as e:
            if str(e).startswith(CLEAR_ERRORS):
                return None
            raise


class PausedLeaderTest(ClusterTestCase):
    """SIGSTOP the leader of a shard past the election timeout; PreVote and
    CheckQuorum let the resumed node rejoin as a follower without an
    election, it never serves the value it held before the pause, and a
    write it took while stopped is acknowledged only if applied."""

    ROUNDS = 3

    def test_paused_leader_rejoins_quietly(self):
        # no hand-back transfers: any term change after the resume is an election
        c = self.start_cluster(3, 3, 3, extra_args=["--cluster-balance-leaders", "no"])
        keys = c.keys_by_shard("pause:", 2)
        for rnd in range(self.ROUNDS):
            with self.subTest(round=rnd):
                self.pause_round(c, rnd % 3, *keys[rnd % 3])

    def pause_round(self, c, shard, key, zkey):
        c.wait_healthy(timeout=30, in_sync=True, max_lag=0)
        old_leader = c.leader_of(shard)
        old_term = c.node(old_leader).raft()["shards"][shard]["term"]
        paused = c.node(old_leader)
        w = paused.client()
        self.assertTrue(w.set(key, "old"))
        self.assertEqual(w.get(key), "old")
        self.assertTrue(w.set(zkey, "before"))
        w.close()
        conn = paused.raw(timeout=30)
        self.addCleanup(conn.close)

        paused.pause()
        t_pause = time.monotonic()

        def new_leader():
            lid = c.leader_of(shard)
            return lid if lid is not None and lid != old_leader else None

        new = wait_for(new_leader, timeout=20, interval=0.05, what="a new leader")
        took = time.monotonic() - t_pause
        leaders = c.wait_healthy(timeout=20)  # the paused node is not counted
        states = c.raft_states()
        terms = {s: states[lid]["shards"][s]["term"] for s, lid in leaders.items()}
        self.assertGreater(terms[shard], old_term)
        r = c.node(new).client()
        self.assertTrue(r.set(key, "new"))
        self.assertEqual(r.get(key), "new")
        r.close()

        # reads queued while it is stopped run first thing after SIGCONT
        queued = 20
        conn.send(b"".join(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key.encode())
                           for _ in range(queued)))
        # and a write queued on another connection: the deposed leader may
        # propose it in its old term, but it must never be acknowledged
        # unless it is really applied
        zconn = paused.raw(timeout=30)
        self.addCleanup(zconn.close)
        zconn.send(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$6\r\nzombie\r\n"
                   % (len(zkey), zkey.encode()))
        paused.resume()
        t_resume = time.monotonic()
        replies = [conn.read() for _ in range(queued)]
        while time.monotonic() - t_resume < 2.0:
            replies.append(conn.call("GET", key))
        stale = [x for x in replies if x == ("$", b"old")]
        self.assertEqual(stale, [], f"the resumed node {old_leader} served the old value "
                                    f"{len(stale)} of {len(replies)} times: {replies[:queued]}")
        for t, v in replies:
            if t == "-":
                self.assertTrue(v.startswith(NOT_EXECUTED), v)
            else:
                self.assertEqual((t, v), ("$", b"new"))
        self.assertIn(("$", b"new"), replies)

        # no election: leaders and terms unchanged for 2 s after the resume,
        # and the resumed node follows them
        def follows():
            st = c.node(old_leader).try_raft()
            return st is not None and all(
                st["shards"][s]["role"] == "follower" and st["shards"][s]["leader"] == lid
                and st["shards"][s]["term"] == terms[s] for s, lid in leaders.items())

        wait_for(follows, timeout=10, interval=0.05, what="the resumed node to follow")
        while time.monotonic() - t_resume < 2.5:
            states = c.raft_states()
            self.assertEqual(len(states), 3)
            self.assertEqual(c.leaders(states), leaders)
            for s, lid in leaders.items():
                for nid, st in states.items():
                    self.assertEqual(st["shards"][s]["term"], terms[s],
                                     f"shard {s} term changed on node {nid} after the resume")
            time.sleep(0.1)
        r = paused.client()
        self.assertEqual(r.get(key), "new")
        zreply = zconn.read()
        zvalue = r.get(zkey)
        if zreply == ("+", "OK"):
            self.assertEqual(zvalue, "zombie", "an acknowledged write is missing")
        else:
            self.assertEqual(zreply[0], "-", zreply)
            self.assertTrue(zreply[1].startswith(CLEAR_ERRORS), zreply)
            if zreply[1].startswith(NOT_EXECUTED):
                self.assertEqual(zvalue, "before", f"a write answered {zreply[1]!r} was applied")
        r.close()
        print(f"\n  SET queued on the stopped leader: {zreply}, then {zvalue!r}")
        errors = sum(1 for t, _ in replies if t == "-")
        print(f"\n  shard {shard}: node {new} leads after {took:.2f}s; node {old_leader} "
              f"resumed: {len(replies) - errors} reads of the new value, {errors} refused")


class PartitionTest(ClusterTestCase):
    """SHOAL.FAULT cuts bus links (nodes started with --fault-injection
    yes): a leader cut off from both followers is replaced on the majority
    side, which keeps taking writes; after HEAL the old leader follows and
    every replica holds what the majority acknowledged."""

    def test_partitioned_leader_is_replaced_and_rejoins(self):
        c = self.start_cluster(3, 3, 3, extra_args=["--fault-injection", "yes"])
        c.wait_settled()
        shard, (key,) = next(iter(c.keys_by_shard("part:", 1).items()))
        old = c.leader_of(shard)
        rest = [n for n in c.nodes if n != old]
        self.assertEqual(c.node(old).call("SHOAL.FAULT", "BLOCK", *[str(n) for n in rest]), "OK")
        for n in rest:
            self.assertEqual(c.node(n).call("SHOAL.FAULT", "BLOCK", str(old)), "OK")
        majority = c.node(rest[0])

        def new_leader():
            for n in rest:
                st = c.node(n).raft()["shards"].get(shard)
                if st and st["role"] == "leader":
                    return n
            return None

        wait_for(new_leader, timeout=30, what="a leader on the majority side")
        r = majority.client()
        acked = None
        for i in range(200):  # the first writes may meet the election's tail
            try:
                self.assertTrue(r.set(key, f"v{i}"))
                acked = f"v{i}"
                break
            except redis.ResponseError as e:
                if not str(e).startswith(NOT_EXECUTED):
                    raise
                time.sleep(0.05)
        self.assertIsNotNone(acked)
        for n in c.nodes:
            self.assertEqual(c.node(n).call("SHOAL.FAULT", "HEAL"), "OK")
        c.wait_healthy(timeout=30)

        def converged():
            for n in c.nodes.values():
                ro = n.client(single_connection_client=True)
                try:
                    ro.execute_command("READONLY")
                    if ro.get(key) != acked:
                        return False
                finally:
                    ro.close()
            return True

        wait_for(converged, timeout=30, what="every replica to hold the acknowledged value")

    def test_fault_injection_is_off_by_default(self):
        c = self.start_cluster(3, 3, 3)
        reply = c.node(1).call("SHOAL.FAULT", "BLOCK", "2")
        self.assertIsInstance(reply, redis.ResponseError)
        self.assertIn("fault injection is off", str(reply))


class SnapshotCatchUpTest(ClusterTestCase):
    """A node down while the log is compacted catches up by snapshot."""

    KEYS = 3000

    def test_restarted_node_catches_up_by_snapshot(self):
        c = self.start_cluster(3, 3, 3, extra_args=["--raft-log-compact-entries", "200"])
        c.wait_healthy(timeout=30, in_sync=True, max_lag=0)
        victim = c.node(3)
        before = victim.raft()["shards"]
        victim.kill()
        c.wait_healthy(timeout=30)

        keys = [f"snap:{i}" for i in range(self.KEYS)]
        r = c.client(1, socket_timeout=60)
        for i in range(0, len(keys), 500):
            pipe = r.pipeline(transaction=False)
            for k in keys[i:i + 500]:
                pipe.set(k, f"v{k}")
            self.assertEqual(pipe.execute(), [True] * len(keys[i:i + 500]))
        r.close()

        # the leaders compact (on a tick) past everything the victim holds
        def compacted():
            states = c.raft_states()
            leaders = c.leaders(states)
            return all(lid is not None and states[lid]["shards"][s]["first_index"]
                       > before[s]["last_index"] + 1 for s, lid in leaders.items())

        try:
            wait_for(compacted, timeout=15, interval=0.1, what="the logs to be compacted")
        except TimeoutError as e:
            self.fail(f"{e}: victim's last indexes "
                      f"{ {s: v['last_index'] for s, v in before.items()} }, now {c.raft_states()}")

        victim.start().wait_ready()
        leaders = c.wait_healthy(timeout=60, in_sync=True, max_lag=0)

        def caught_up():
            states = c.raft_states()
            if len(states) != 3:
                return None
            for s, lid in leaders.items():
                if states[3]["shards"][s]["applied"] != states[lid]["shards"][s]["applied"]:
                    return None
            return states

        try:
            states = wait_for(caught_up, timeout=30, interval=0.1, what="applied indexes to match")
        except TimeoutError:
            self.fail(f"applied indexes differ: {c.raft_states()}")
        self.assertGreaterEqual(int(states[3]["node"]["raft_snapshots_installed"]), 3,
                                "the restarted node did not install a snapshot of every shard")

        # its own data (CLUSTER COUNTKEYSINSLOT is answered locally)
        expected = {}
        for k in keys:
            expected[key_slot(k)] = expected.get(key_slot(k), 0) + 1
        slots = sorted(expected)
        counts = {}
        for n in c.nodes.values():
            conn = n.raw(timeout=30)
            conn.send(b"".join(b"*3\r\n$7\r\nCLUSTER\r\n$15\r\nCOUNTKEYSINSLOT\r\n$%d\r\n%d\r\n"
                               % (len(str(s)), s) for s in slots))
            counts[n.id] = {s: conn.read()[1] for s in slots}
            conn.close()
        self.assertEqual(counts[3], expected, "the restarted node's keys per slot")
        for s, lid in leaders.items():
            mine = {x: v for x, v in counts[3].items() if c.shard_of_slot(x) == s}
            theirs = {x: v for x, v in counts[lid].items() if c.shard_of_slot(x) == s}
            self.assertEqual(mine, theirs, f"shard {s}: restarted node vs leader {lid}")
        keyspace = {n.id: n.info("keyspace").get("db0", "") for n in c.nodes.values()}
        m = re.search(r"keys=(\d+)", keyspace[3])
        self.assertEqual(int(m.group(1)) if m else 0, self.KEYS, keyspace)
        self.assertEqual(len(set(keyspace.values())), 1, keyspace)


if __name__ == "__main__":
    unittest.main()
