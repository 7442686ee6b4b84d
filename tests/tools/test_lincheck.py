"""tools/lincheck.py decides hand-made histories right, says "unknown"
rather than guessing when its time runs out, and passes a large history
produced by simulating a real linearizable store.

Run: cd tests/tools && /usr/bin/python3 -m unittest -v test_lincheck
"""
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

TOOLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, TOOLS_DIR)

import lincheck  # noqa: E402
from lincheck import LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN  # noqa: E402


class History:
    """Builds history records; times are plain small integers."""

    def __init__(self):
        self.ops = []

    def add(self, client, op, key, invoke, ret, value=None, arg=None, type="ok"):
        self.ops.append({"client": client, "op": op, "key": key, "arg": arg,
                         "type": type, "value": value, "invoke": invoke,
                         "return": None if type == "info" else ret})
        return self

    def set(self, c, key, v, invoke, ret, type="ok"):
        return self.add(c, "set", key, invoke, ret, "OK" if type == "ok" else None, v, type)

    def get(self, c, key, value, invoke, ret, type="ok"):
        return self.add(c, "get", key, invoke, ret, value, type=type)

    def incr(self, c, key, value, invoke, ret, type="ok"):
        return self.add(c, "incr", key, invoke, ret, value, type=type)

    def delete(self, c, key, value, invoke, ret, type="ok"):
        return self.add(c, "del", key, invoke, ret, value, type=type)


def verdict(h, time_limit=10.0):
    return lincheck.check(h.ops, time_limit).verdict


class HandMadeHistories(unittest.TestCase):

    def test_sequential_ok_ops_are_linearizable(self):
        h = (History().get(1, "k", None, 0, 1).set(1, "k", "a", 2, 3)
             .get(2, "k", "a", 4, 5).incr(1, "k", "error", 6, 7)
             .set(2, "k", "41", 8, 9).incr(1, "k", 42, 10, 11)
             .get(2, "k", "42", 12, 13).delete(1, "k", 1, 14, 15)
             .delete(1, "k", 0, 16, 17).incr(2, "k", 1, 18, 19))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_concurrent_sets_then_read_may_see_either(self):
        for seen in ("a", "b"):
            with self.subTest(seen=seen):
                h = (History().set(1, "k", "a", 0, 10).set(2, "k", "b", 1, 9)
                     .get(3, "k", seen, 20, 21))
                self.assertEqual(verdict(h), LINEARIZABLE)

    def test_read_of_neither_concurrent_write_is_not_linearizable(self):
        h = (History().set(1, "k", "a", 0, 10).set(2, "k", "b", 1, 9)
             .get(3, "k", None, 20, 21))
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_stale_read_after_completed_set_is_not_linearizable(self):
        h = (History().set(1, "k", "a", 0, 1).set(1, "k", "b", 2, 3)
             .get(2, "k", "a", 4, 5))
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_read_concurrent_with_set_may_see_old_or_new(self):
        for seen in ("a", "b"):
            with self.subTest(seen=seen):
                h = (History().set(1, "k", "a", 0, 1).set(1, "k", "b", 2, 10)
                     .get(2, "k", seen, 3, 4))
                self.assertEqual(verdict(h), LINEARIZABLE)

    def test_lost_acknowledged_write_is_not_linearizable(self):
        h = (History().set(1, "k", "old", 0, 1).set(1, "k", "new", 2, 3)
             .get(2, "k", "new", 4, 5).get(2, "k", "old", 6, 7))
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_info_set_visible_later_is_linearizable(self):
        h = (History().set(1, "k", "a", 0, 1).set(2, "k", "b", 2, None, type="info")
             .get(3, "k", "a", 10, 11).get(3, "k", "b", 50, 51).get(4, "k", "b", 60, 61))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_info_set_that_never_shows_is_linearizable(self):
        h = (History().set(1, "k", "a", 0, 1).set(2, "k", "b", 2, None, type="info")
             .get(3, "k", "a", 10, 11).get(3, "k", "a", 50, 51))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_info_value_that_appears_disappears_reappears_is_not_linearizable(self):
        h = (History().set(1, "k", "a", 0, 1).set(2, "k", "b", 2, None, type="info")
             .get(3, "k", "b", 10, 11).get(3, "k", "a", 20, 21).get(3, "k", "b", 30, 31))
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_info_set_cannot_take_effect_before_its_invoke(self):
        h = (History().set(1, "k", "a", 0, 1).get(3, "k", "b", 10, 11)
             .set(2, "k", "b", 20, None, type="info"))
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_info_get_is_dropped(self):
        h = History().set(1, "k", "a", 0, 1).get(2, "k", None, 5, None, type="info")
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_failed_set_whose_value_is_read_is_not_linearizable(self):
        h = (History().set(1, "k", "a", 0, 1).set(2, "k", "b", 2, 3, type="fail")
             .get(3, "k", "b", 10, 11))
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_failed_set_is_ignored(self):
        h = (History().set(1, "k", "a", 0, 1).set(2, "k", "b", 2, 3, type="fail")
             .get(3, "k", "a", 10, 11))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_concurrent_incrs_returning_1_and_2_are_linearizable(self):
        h = (History().incr(1, "c", 2, 0, 10).incr(2, "c", 1, 1, 9)
             .get(3, "c", "2", 20, 21))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_concurrent_incrs_both_returning_1_are_not_linearizable(self):
        h = History().incr(1, "c", 1, 0, 10).incr(2, "c", 1, 1, 9)
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_info_incr_may_explain_a_skipped_count(self):
        h = (History().incr(1, "c", 1, 0, 1).incr(2, "c", None, 2, None, type="info")
             .incr(1, "c", 3, 10, 11))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_incr_on_non_integer_replies_error_and_keeps_value(self):
        h = (History().set(1, "k", "abc", 0, 1).incr(1, "k", "error", 2, 3)
             .get(1, "k", "abc", 4, 5))
        self.assertEqual(verdict(h), LINEARIZABLE)
        for bad in ("abc", "01", "+1", " 1", "-0", "1.5", str(2**63 - 1)):
            with self.subTest(value=bad):
                h = History().set(1, "k", bad, 0, 1).incr(1, "k", "error", 2, 3)
                self.assertEqual(verdict(h), LINEARIZABLE)
                h = History().set(1, "k", bad, 0, 1).incr(1, "k", 1, 2, 3)
                self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_incr_error_on_an_integer_is_not_linearizable(self):
        h = History().set(1, "k", "-7", 0, 1).incr(1, "k", "error", 2, 3)
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)
        h = History().set(1, "k", "-7", 0, 1).incr(1, "k", -6, 2, 3)
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_del_returns_1_only_when_present(self):
        h = (History().set(1, "k", "a", 0, 1).delete(1, "k", 1, 2, 3)
             .get(1, "k", None, 4, 5).delete(1, "k", 0, 6, 7))
        self.assertEqual(verdict(h), LINEARIZABLE)

    def test_del_returning_1_on_missing_key_is_not_linearizable(self):
        h = History().delete(1, "k", 1, 0, 1)
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)
        h = History().set(1, "k", "a", 0, 1).delete(1, "k", 1, 2, 3).delete(2, "k", 1, 4, 5)
        self.assertEqual(verdict(h), NOT_LINEARIZABLE)

    def test_one_bad_key_among_many_is_named(self):
        h = History()
        for k in range(50):
            key = f"k{k}"
            h.set(1, key, "a", 10 * k, 10 * k + 1).get(2, key, "a", 10 * k + 2, 10 * k + 3)
        h.get(3, "k17", None, 1000, 1001)   # k17 was set and never deleted
        result = lincheck.check(h.ops, 10.0)
        self.assertEqual(result.verdict, NOT_LINEARIZABLE)
        self.assertEqual([k.key for k in result.violations()], ["k17"])
        self.assertEqual(result.counts()[LINEARIZABLE], 49)
        bad = result.keys["k17"]
        self.assertIn("get", [o.op for o in bad.stuck])
        self.assertTrue(bad.window)

    def test_malformed_record_is_rejected(self):
        for bad in ({"op": "get"},
                    {"client": 1, "op": "cas", "key": "k", "type": "ok", "invoke": 0, "return": 1},
                    {"client": 1, "op": "get", "key": "k", "type": "ok", "value": None,
                     "invoke": 5, "return": 1},
                    {"client": 1, "op": "get", "key": "k", "type": "ok", "value": None,
                     "invoke": 5, "return": None}):
            with self.subTest(record=bad):
                with self.assertRaises(ValueError):
                    lincheck.check([bad], 1.0)


class TimeLimit(unittest.TestCase):

    @staticmethod
    def adversarial():
        """60 fully concurrent writes of distinct values, then a read of a
        value nobody wrote: refuting it means trying every order."""
        h = History()
        for c in range(60):
            h.set(c, "k", f"v{c}", c, 1000 + c)
        h.get(99, "k", "v-never-written", 2000, 2001)
        return h

    def test_adversarial_history_with_tiny_limit_is_unknown(self):
        start = time.monotonic()
        result = lincheck.check(self.adversarial().ops, 0.2)
        self.assertEqual(result.verdict, UNKNOWN)
        self.assertEqual(result.keys["k"].verdict, UNKNOWN)
        self.assertLess(time.monotonic() - start, 2.0)

    def test_violation_elsewhere_still_decides_despite_unknown_key(self):
        h = self.adversarial()
        h.set(1, "other", "a", 0, 1).get(1, "other", "b", 2, 3)
        result = lincheck.check(h.ops, 0.2)
        self.assertEqual(result.verdict, NOT_LINEARIZABLE)
        self.assertEqual(result.keys["other"].verdict, NOT_LINEARIZABLE)

    def test_concurrent_writes_with_a_possible_read_are_decided(self):
        # Memoization keeps 12 concurrent writes (12! orders) to a few
        # thousand nodes; plain WGL without it would not finish.
        for seen, expected in (("v5", LINEARIZABLE), ("nope", NOT_LINEARIZABLE)):
            with self.subTest(seen=seen):
                h = History()
                for c in range(12):
                    h.set(c, "k", f"v{c}", c, 1000 + c)
                h.get(99, "k", seen, 2000, 2001)
                self.assertEqual(verdict(h, 10.0), expected)


def simulate(seed, n_ops, n_clients, n_keys, info_rate=0.01, fail_rate=0.02):
    """History of a real linearizable store: each op takes effect at a
    random instant inside its [invoke, return]; info ops take effect or
    not at random; fail ops never do."""
    rng = random.Random(seed)
    pending = []
    clock = [rng.randrange(10) for _ in range(n_clients)]
    for i in range(n_ops):
        c = rng.randrange(n_clients)
        invoke = clock[c] + rng.randrange(1, 20)
        ret = invoke + rng.randrange(1, 60)
        clock[c] = ret
        op = rng.choice(("get", "get", "set", "incr", "del"))
        arg = None
        if op == "set":
            arg = rng.choice((f"v{i}", str(rng.randrange(-3, 5)), "x"))
        r = rng.random()
        typ = "info" if r < info_rate else "fail" if r < info_rate + fail_rate else "ok"
        point = rng.uniform(invoke, ret)
        pending.append((point, {"client": c, "op": op, "key": f"k{rng.randrange(n_keys)}",
                                "arg": arg, "type": typ, "value": None,
                                "invoke": invoke, "return": ret}))
    store = {}
    ops = []
    for point, rec in sorted(pending, key=lambda p: p[0]):
        effective = rec["type"] == "ok" or (rec["type"] == "info" and rng.random() < 0.5)
        if effective:
            o = lincheck.normalize(dict(rec, type="info"), 0)
            reply, new_state = lincheck.apply(store.get(rec["key"]), o)
            store[rec["key"]] = new_state
            if rec["type"] == "ok":
                rec["value"] = reply
        if rec["type"] == "info":
            rec["return"] = None
        ops.append(rec)
    ops.sort(key=lambda r: r["invoke"])
    return ops


class SimulatedStore(unittest.TestCase):

    def test_large_valid_history_is_linearizable(self):
        ops = simulate(seed=1, n_ops=5000, n_clients=30, n_keys=8, info_rate=0.02)
        start = time.monotonic()
        result = lincheck.check(ops, 30.0)
        elapsed = time.monotonic() - start
        self.assertEqual(result.verdict, LINEARIZABLE, f"seed 1, {result.to_json()}")
        self.assertEqual(result.counts()[LINEARIZABLE], 8)
        self.assertLess(elapsed, 10.0)

    def test_small_valid_histories_are_linearizable(self):
        for seed in range(30):
            ops = simulate(seed, n_ops=150, n_clients=6, n_keys=2, info_rate=0.05)
            result = lincheck.check(ops, 10.0)
            self.assertEqual(result.verdict, LINEARIZABLE, f"seed {seed}")

    def test_corrupted_read_in_valid_history_is_caught(self):
        ops = simulate(seed=2, n_ops=2000, n_clients=8, n_keys=10)
        # The last ok get of k3 with a value: make it see a value never written.
        victim = [o for o in ops if o["key"] == "k3" and o["op"] == "get"
                  and o["type"] == "ok" and o["value"] is not None][-1]
        victim["value"] = "corrupt"
        result = lincheck.check(ops, 30.0)
        self.assertEqual(result.verdict, NOT_LINEARIZABLE)
        self.assertEqual([k.key for k in result.violations()], ["k3"])


def brute_force_linearizable(ops):
    """Reference verdict for a tiny one-key history: tries every order of
    the ok ops plus every subset of the info ops."""
    ops = [lincheck.normalize(r, i) for i, r in enumerate(ops)]
    ops = [o for o in ops if o.type == "ok" or (o.type == "info" and o.op != "get")]
    ok = [o for o in ops if o.type == "ok"]
    info = [o for o in ops if o.type == "info"]
    for mask in range(1 << len(info)):
        chosen = ok + [o for b, o in enumerate(info) if mask >> b & 1]
        for order in itertools.permutations(chosen):
            if any(b.ret < a.invoke for i, a in enumerate(order) for b in order[i + 1:]):
                continue
            state = None
            for o in order:
                reply, state = lincheck.apply(state, o)
                if o.type == "ok" and reply != o.value:
                    break
            else:
                return True
    return False


class AgreesWithBruteForce(unittest.TestCase):

    def test_random_tiny_histories_match_exhaustive_search(self):
        rng = random.Random(7)
        verdicts = {LINEARIZABLE: 0, NOT_LINEARIZABLE: 0}
        for seed in range(300):
            ops = simulate(seed, n_ops=6, n_clients=3, n_keys=1, info_rate=0.2, fail_rate=0.1)
            # Corrupt one reply half the time, to get violations too.
            oks = [o for o in ops if o["type"] == "ok"]
            if oks and rng.random() < 0.5:
                o = rng.choice(oks)
                o["value"] = {"get": rng.choice((None, "x", "1", "v0")), "set": "OK",
                              "incr": rng.choice((1, 2, "error")),
                              "del": rng.choice((0, 1))}[o["op"]]
            expected = LINEARIZABLE if brute_force_linearizable(ops) else NOT_LINEARIZABLE
            self.assertEqual(lincheck.check(ops, 10.0).verdict, expected,
                             f"seed {seed}: {json.dumps(ops)}")
            verdicts[expected] += 1
        self.assertGreater(verdicts[NOT_LINEARIZABLE], 50)
        self.assertGreater(verdicts[LINEARIZABLE], 50)


class CommandLine(unittest.TestCase):

    def run_cli(self, h, *args):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for rec in h.ops:
                f.write(json.dumps(rec) + "\n")
        self.addCleanup(os.unlink, f.name)
        return subprocess.run([sys.executable, os.path.join(TOOLS_DIR, "lincheck.py"),
                               f.name, *args], capture_output=True, text=True, timeout=60)

    def test_exit_codes_and_verdict_line(self):
        good = History().set(1, "k", "a", 0, 1).get(2, "k", "a", 2, 3)
        bad = History().set(1, "k", "a", 0, 1).get(2, "k", "b", 2, 3)
        p = self.run_cli(good)
        self.assertEqual((p.returncode, p.stdout.splitlines()[-1]), (0, "linearizable"), p.stderr)
        p = self.run_cli(bad)
        self.assertEqual((p.returncode, p.stdout.splitlines()[-1]), (1, "NOT linearizable"))
        self.assertIn("key 'k': NOT linearizable", p.stdout)
        p = self.run_cli(TimeLimit.adversarial(), "--time-limit", "0.1")
        self.assertEqual((p.returncode, p.stdout.splitlines()[-1]), (2, "unknown"))

    def test_json_output_names_the_violation(self):
        bad = History().set(1, "k", "a", 0, 1).get(2, "k", "b", 2, 3)
        p = self.run_cli(bad, "--json")
        self.assertEqual(p.returncode, 1)
        out = json.loads(p.stdout)
        self.assertEqual(out["verdict"], NOT_LINEARIZABLE)
        self.assertEqual(out["violations"][0]["key"], "k")
        self.assertEqual(out["violations"][0]["stuck"][0]["value"], "b")

    def test_malformed_history_exits_3(self):
        h = History()
        h.ops.append({"op": "get"})
        p = self.run_cli(h)
        self.assertEqual(p.returncode, 3)
        self.assertIn("line 1", p.stderr)


if __name__ == "__main__":
    unittest.main()
