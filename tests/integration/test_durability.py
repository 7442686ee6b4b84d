"""Durability: acknowledged writes survive kill -9, SIGTERM and SHUTDOWN.

The crash test runs several writer threads, each owning its own keys, so
each thread's model of its keys is exact: after every acknowledged reply the
model holds the key's value and its absolute expire time (read back with
PEXPIRETIME right after the write, and checked against the window the
relative TTL allows). The server is killed with SIGKILL while the writers
are still writing; the one command each writer had in flight may or may not
have been applied, everything acknowledged must be there after a restart on
the same data directory, with the same PEXPIRETIME.
"""
import random
import shutil
import sys
import tempfile
import threading
import time
import unittest

from harness import RawConnection, ShoalServer, raw_command, wait_for

ABSENT = (None, None)  # (value, ttl window); ttl window is None or (lo, hi) ms


def now_ms():
    return int(time.time() * 1000)


class Writer(threading.Thread):
    """Issues seeded random writes on its own keys over a raw connection and
    keeps an exact model of their state after each acknowledged reply."""

    def __init__(self, port, wid, nkeys=32, max_ops=200_000):
        super().__init__(daemon=True)
        self.port = port
        self.wid = wid
        self.rng = random.Random(1000 + wid)
        self.keys = [f"dur:{wid}:{i}" for i in range(nkeys)]
        self.state = {k: ABSENT for k in self.keys}
        self.pending = None  # {key: state} of the command in flight at the crash
        self.acked = 0
        self.max_ops = max_ops
        self.errors = []  # wrong replies while the server was up
        self.stopped_by_connection_loss = False
        self.ttl_exact = 0
        self.ttl_window_only = 0

    # -- helpers -----------------------------------------------------------
    def _value(self):
        if self.rng.random() < 0.4:
            return str(self.rng.randrange(-1000, 10**6)).encode()
        n = self.rng.randrange(1, 120)
        return bytes(self.rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789:-_ ") for _ in range(n))

    @staticmethod
    def _is_int(v):
        if v is None:
            return True
        try:
            n = int(v)
        except ValueError:
            return False
        return str(n).encode() == v and -2**63 <= n < 2**63 - 1

    def _check(self, what, got, want):
        if got != want:
            self.errors.append(f"{what}: got {got!r}, want {want!r}")

    # -- one command -------------------------------------------------------
    def _plan(self):
        """Returns (args, post_states, reply_check, ttl_key, ttl_rel_ms)."""
        rng = self.rng
        k = rng.choice(self.keys)
        val, ttl = self.state[k]
        r = rng.random()
        if r < 0.15:
            v = self._value()
            return ["SET", k, v], {k: (v, None)}, ("+", "OK"), None, 0
        if r < 0.25:
            v = self._value()
            secs = rng.randrange(300, 900)
            return ["SET", k, v, "EX", secs], {k: (v, "ttl")}, ("+", "OK"), k, secs * 1000
        if r < 0.35:
            v = self._value()
            ms = rng.randrange(300_000, 900_000)
            return ["SET", k, v, "PX", ms], {k: (v, "ttl")}, ("+", "OK"), k, ms
        if r < 0.50:
            if not self._is_int(val):
                v = str(rng.randrange(100)).encode()
                return ["SET", k, v], {k: (v, None)}, ("+", "OK"), None, 0
            n = (int(val) if val is not None else 0) + 1
            return ["INCR", k], {k: (str(n).encode(), ttl)}, (":", n), None, 0
        if r < 0.62:
            suffix = self._value()
            nv = (val or b"") + suffix
            return ["APPEND", k, suffix], {k: (nv, ttl)}, (":", len(nv)), None, 0
        if r < 0.72:
            k2 = rng.choice(self.keys)
            ks = [k] if k2 == k else [k, k2]
            existing = sum(1 for x in ks if self.state[x][0] is not None)
            return ["DEL"] + ks, {x: ABSENT for x in ks}, (":", existing), None, 0
        if r < 0.85:
            secs = rng.randrange(300, 900)
            if val is None:
                return ["EXPIRE", k, secs], {}, (":", 0), None, 0
            return ["EXPIRE", k, secs], {k: (val, "ttl")}, (":", 1), k, secs * 1000
        ks = rng.sample(self.keys, rng.randrange(2, 5))
        args, post = ["MSET"], {}
        for x in ks:
            v = self._value()
            args += [x, v]
            post[x] = (v, None)
        return args, post, ("+", "OK"), None, 0

    def run(self):
        try:
            conn = RawConnection(self.port, timeout=30)
        except OSError as e:
            self.errors.append(f"connect: {e}")
            return
        try:
            for _ in range(self.max_ops):
                args, post, want, ttl_key, rel_ms = self._plan()
                payload = raw_command(*args)
                if ttl_key is not None:
                    payload += raw_command("PEXPIRETIME", ttl_key)
                lo = now_ms() + rel_ms - 2
                # Until the reply arrives the command may or may not apply;
                # a TTL command's deadline is then only known as a window.
                pending = {}
                for key, (v, t) in post.items():
                    pending[key] = (v, None if t is None else ("window", lo, None))
                self.pending = pending
                try:
                    conn.send(payload)
                    reply = conn.read()
                except (OSError, ConnectionError):
                    self.stopped_by_connection_loss = True
                    return
                hi = now_ms() + rel_ms + 2
                self._check(" ".join(map(str, args[:2])), reply, want)
                self.pending = None
                self.acked += 1
                for key, (v, t) in post.items():
                    if t == "ttl":
                        self.state[key] = (v, (lo, hi))
                    else:
                        self.state[key] = (v, t)
                if ttl_key is not None:
                    try:
                        t, pt = conn.read()
                    except (OSError, ConnectionError):
                        self.ttl_window_only += 1
                        self.stopped_by_connection_loss = True
                        return
                    if t != ":" or not (lo <= pt <= hi):
                        self.errors.append(
                            f"PEXPIRETIME after {args[:2]} = {pt!r}, outside [{lo}, {hi}]")
                    else:
                        self.state[ttl_key] = (self.state[ttl_key][0], (pt, pt))
                        self.ttl_exact += 1
        finally:
            conn.close()


def read_state(client, keys):
    """{key: (value, pexpiretime)} read with one pipeline."""
    p = client.pipeline(transaction=False)
    for k in keys:
        p.get(k)
        p.pexpiretime(k)
    out = p.execute()
    return {k: (out[2 * i], out[2 * i + 1]) for i, k in enumerate(keys)}


def matches(actual, expected):
    """actual: (value, pexpiretime); expected: (value, None | (lo, hi) | ("window", lo, None))."""
    value, pt = actual
    ev, ettl = expected
    if value != ev:
        return False
    if ev is None:
        return pt == -2
    if ettl is None:
        return pt == -1
    if ettl[0] == "window":
        # In-flight TTL command: its deadline is at least the send time + TTL.
        return pt >= ettl[1]
    return ettl[0] <= pt <= ettl[1]


def fill_mixed(client, prefix, n, seed):
    """Writes n keys of assorted kinds with pipelining; returns their keys."""
    rng = random.Random(seed)
    keys = []
    p = client.pipeline(transaction=False)
    for i in range(n):
        k = f"{prefix}:{i}"
        keys.append(k)
        kind = i % 6
        if kind == 0:
            p.set(k, rng.randbytes(rng.randrange(1, 300)))
        elif kind == 1:
            p.set(k, f"v{i}", px=rng.randrange(600_000, 900_000))
        elif kind == 2:
            p.set(k, f"v{i}", ex=rng.randrange(600, 900))
        elif kind == 3:
            p.incrby(k, rng.randrange(1, 1000))
            p.incr(k)
        elif kind == 4:
            p.append(k, b"head-")
            p.append(k, f"tail-{i}")
            p.expire(k, rng.randrange(600, 900))
        else:
            p.set(k, "doomed")
            p.delete(k)
        if len(p) >= 500:
            p.execute()
    p.execute()
    m = {f"{prefix}:mset:{j}": f"m{j}" for j in range(50)}
    client.mset(m)
    keys.extend(m)
    return keys


class DurabilityTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shoal-durability-")
        self.servers = []
        self.addCleanup(shutil.rmtree, self.dir, True)

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def server(self, *args):
        s = ShoalServer(*args, data_dir=self.dir)
        self.servers.append(s)
        return s.start()

    def assert_same_state(self, client, before, what):
        after = read_state(client, list(before))
        diffs = [(k, before[k], after[k]) for k in before if before[k] != after[k]]
        self.assertEqual(diffs[:10], [], f"{len(diffs)} keys differ after {what}")
        live = sum(1 for v, _ in before.values() if v is not None)
        self.assertEqual(client.dbsize(), live)

    # ------------------------------------------------------------------
    def run_writers_then(self, fsync, stop, what, target=4000, extra=()):
        """Runs 8 writers against a server with `fsync`, calls stop(server)
        once `target` writes are acknowledged (writers still writing),
        restarts on the same directory and checks every writer's keys."""
        srv = self.server("--appendfsync", fsync, *extra)
        writers = [Writer(srv.port, w) for w in range(8)]
        for w in writers:
            w.start()
        wait_for(lambda: sum(w.acked for w in writers) >= target or
                 not any(w.is_alive() for w in writers),
                 timeout=90, interval=0.05, what=f"{target} acknowledged writes")
        still_writing = sum(1 for w in writers if w.is_alive())
        stop(srv)
        for w in writers:
            w.join(timeout=30)
            self.assertFalse(w.is_alive(), f"writer {w.wid} did not stop after {what}")
        for w in writers:
            self.assertEqual(w.errors[:5], [], f"writer {w.wid} got wrong replies")
        self.assertEqual(still_writing, len(writers), f"{what} must come while every writer writes")
        self.assertTrue(all(w.stopped_by_connection_loss for w in writers))
        acked = sum(w.acked for w in writers)
        in_flight = sum(1 for w in writers if w.pending)
        exact = sum(w.ttl_exact for w in writers)
        print(f"\n  {what} after {acked} acknowledged writes, {in_flight} in flight, "
              f"{exact} TTLs known exactly", file=sys.stderr)
        self.assertGreaterEqual(acked, target)

        srv2 = self.server("--appendfsync", fsync, *extra)
        c = srv2.client()
        expected_live = 0
        in_flight_applied = 0
        problems = []
        for w in writers:
            actual = read_state(c, w.keys)
            pending = w.pending or {}
            outcomes = set()  # definite outcomes of this writer's in-flight command
            for k in w.keys:
                confirmed = w.state[k]
                as_acked = matches(actual[k], confirmed)
                as_applied = k in pending and matches(actual[k], pending[k])
                if not as_acked and not as_applied:
                    problems.append(f"{k}: after restart {actual[k]!r}, acknowledged state "
                                    f"{confirmed!r}, in-flight state {pending.get(k)!r}")
                    continue
                if as_acked != as_applied and k in pending:
                    outcomes.add(as_applied)
                if actual[k][0] is not None:
                    expected_live += 1
            # A multi-key command (MSET, DEL k1 k2) applies entirely or not at all.
            if len(outcomes) > 1:
                problems.append(f"writer {w.wid}: in-flight {sorted(pending)} applied partially")
            in_flight_applied += outcomes == {True}
        self.assertEqual(problems[:10], [], f"{len(problems)} keys lost or wrong after {what}:\n"
                         + srv2.log()[-3000:])
        self.assertEqual(c.dbsize(), expected_live)
        print(f"  after restart: {in_flight_applied} of {in_flight} in-flight writes were applied",
              file=sys.stderr)

    def test_acknowledged_writes_survive_kill9_mid_stream_with_appendfsync_always(self):
        self.run_writers_then("always", lambda srv: srv.kill9(), "kill -9")

    def test_acknowledged_writes_survive_kill9_with_several_worker_threads(self):
        # Four workers commit and flush groups concurrently (docs/adr/001, 002).
        self.run_writers_then("always", lambda srv: srv.kill9(), "kill -9 (4 workers)",
                              extra=("--threads", "4"))

    def test_acknowledged_writes_survive_sigterm_mid_stream_with_appendfsync_everysec(self):
        def sigterm(srv):
            self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        self.run_writers_then("everysec", sigterm, "SIGTERM", target=20000)

    def test_acknowledged_pipelined_writes_survive_kill9_with_appendfsync_everysec(self):
        # docs/adr/002: with everysec a write reaches the OS before its reply,
        # so a process crash (not a machine crash) loses nothing acknowledged.
        srv = self.server("--appendfsync", "everysec")
        c = srv.client()
        keys = fill_mixed(c, "es", 3000, seed=7)
        before = read_state(c, keys)
        srv.kill9()
        c2 = self.server("--appendfsync", "everysec").client()
        self.assert_same_state(c2, before, "kill -9 with appendfsync everysec")

    def test_sigterm_shutdown_keeps_every_write_with_appendfsync_everysec(self):
        srv = self.server("--appendfsync", "everysec")
        c = srv.client()
        keys = fill_mixed(c, "term", 6000, seed=11)
        before = read_state(c, keys)
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        c2 = self.server("--appendfsync", "everysec").client()
        self.assert_same_state(c2, before, "SIGTERM")

    def test_shutdown_command_keeps_every_write(self):
        srv = self.server("--appendfsync", "everysec")
        c = srv.client()
        keys = fill_mixed(c, "shut", 6000, seed=13)
        before = read_state(c, keys)
        conn = RawConnection(srv.port)
        conn.send(raw_command("SHUTDOWN"))
        # Redis closes the connection without a reply when SHUTDOWN succeeds.
        self.assertTrue(conn.closed_by_server(timeout=20))
        self.assertEqual(conn.buf, b"")
        conn.close()
        srv.proc.wait(timeout=30)
        self.assertEqual(srv.proc.returncode, 0, srv.log()[-2000:])
        c2 = self.server("--appendfsync", "everysec").client()
        self.assert_same_state(c2, before, "SHUTDOWN")

    def test_ttl_is_an_absolute_deadline_across_restart(self):
        srv = self.server()
        c = srv.client()
        self.assertTrue(c.set("short", "s", px=1500))
        self.assertTrue(c.set("long", "l", px=600_000))
        self.assertTrue(c.set("forever", "f"))
        short_at = c.pexpiretime("short")
        long_at = c.pexpiretime("long")
        self.assertGreater(short_at, now_ms())
        self.assertEqual(srv.stop(), 0)

        c2 = self.server().client()
        self.assertEqual(c2.pexpiretime("short"), short_at)
        self.assertEqual(c2.pexpiretime("long"), long_at)
        self.assertEqual(c2.pexpiretime("forever"), -1)
        self.assertLess(now_ms(), short_at - 100, "restart took too long to observe the key live")
        self.assertEqual(c2.get("short"), b"s")
        wait_for(lambda: c2.get("short") is None, timeout=10, interval=0.005,
                 what="the PX 1500 key to expire")
        gone_at = now_ms()
        # Not before its original deadline, and promptly after it (a TTL
        # restarted at boot would push the expiry later by the downtime).
        self.assertGreaterEqual(gone_at, short_at)
        self.assertLess(gone_at, short_at + 300)
        self.assertEqual(c2.pttl("short"), -2)
        self.assertEqual(c2.get("long"), b"l")

    def test_key_whose_deadline_passes_while_server_is_down_is_gone_after_restart(self):
        srv = self.server()
        c = srv.client()
        self.assertTrue(c.set("brief", "b", px=400))
        self.assertTrue(c.set("kept", "k"))
        deadline = c.pexpiretime("brief")
        self.assertEqual(srv.stop(), 0)
        # Wait for the wall clock, not for a fixed time.
        wait_for(lambda: now_ms() > deadline + 50, timeout=5, what="deadline to pass")
        c2 = self.server().client()
        self.assertIsNone(c2.get("brief"))
        self.assertEqual(c2.exists("brief"), 0)
        self.assertEqual(c2.pttl("brief"), -2)
        self.assertEqual(c2.get("kept"), b"k")


if __name__ == "__main__":
    unittest.main()
