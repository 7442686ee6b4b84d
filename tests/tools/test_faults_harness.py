"""tools/faults.py against real clusters: one short sync run under every
nemesis kind passes (no acknowledged write lost, linearizable, replicas
equal); one short async run keeps every lost write inside its fault's loss window and the replicas
equal. Plus the harness's history analysis on hand-made histories.

Needs the server binary (SHOAL_SERVER, else build/server/shoal-server).
About a minute per mode.
Run: cd tests/tools && /usr/bin/python3 -m unittest -v test_faults_harness
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from types import SimpleNamespace

TOOLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
FAULTS = os.path.join(TOOLS_DIR, "faults.py")
sys.path.insert(0, TOOLS_DIR)

import faults  # noqa: E402  (also puts tests/integration on sys.path)
from harness import SERVER  # noqa: E402

# Short runs: faults every 2-4 s, held 1.5-3 s, so that ~6 faults (the
# nemesis deals kinds from a shuffled deck: most kinds come up) fit.
SHORT = ["--duration", "40", "--wait", "2:4", "--hold", "1.5:3", "--nemesis", "all",
         "--lincheck-time", "30"]


def run_harness(mode, seed):
    """(summary of the single run, output). Keeps failing runs' artefacts
    under a temp dir (the path is in the output)."""
    out = tempfile.mkdtemp(prefix=f"shoal-faults-ci-{mode}-")
    summary = os.path.join(out, "summary.json")
    proc = subprocess.run([sys.executable, FAULTS, "--mode", mode, "--seed", str(seed),
                           "--out", out, "--json", summary] + SHORT,
                          capture_output=True, text=True, timeout=240)
    output = proc.stdout + proc.stderr
    if not os.path.exists(summary):
        raise AssertionError(f"faults.py wrote no summary (exit {proc.returncode}):\n{output}")
    with open(summary) as f:
        run = json.load(f)["runs"][0]
    os.remove(summary)
    if run["passed"]:
        os.rmdir(out)
    return run, output


class FaultHarnessRunTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(SERVER):
            self.fail(f"no server binary at {SERVER} (build it, or set SHOAL_SERVER)")

    def check_common(self, run, output):
        print(f"\n{output[-1500:]}")
        self.assertGreater(run["ops"]["ok"], 2000, "too few operations completed")
        self.assertGreater(run["acked_writes"], 1000)
        kinds = [k for k, n in run["faults"].items() if n]
        self.assertGreaterEqual(sum(run["faults"].values()), 4, f"faults: {run['faults']}")
        self.assertGreaterEqual(len(kinds), 3, f"faults: {run['faults']}")
        self.assertEqual(run["divergence"], "none", run.get("diverged"))

    def test_sync_run_passes(self):
        run, output = run_harness("sync", 42)
        self.check_common(run, output)
        self.assertEqual(run["lost_writes"], 0, run.get("lost"))
        self.assertEqual(run["linearizability"], "linearizable", output)
        self.assertTrue(run["passed"], run["failures"])

    def test_async_run_loses_only_inside_the_loss_window(self):
        run, output = run_harness("async", 43)
        self.check_common(run, output)
        outside = [w for w in run.get("lost", []) if w.get("outside")]
        self.assertEqual(outside, [], "writes lost outside the loss window")
        self.assertTrue(run["passed"], run["failures"])


def op(client, kind, key, invoke, ret, value=None, typ="ok", arg=None, node=1):
    return {"client": client, "op": kind, "key": key, "arg": arg, "type": typ,
            "value": value, "invoke": invoke, "return": ret if typ != "info" else None,
            "node": node}


class AnalysisTest(unittest.TestCase):
    """The harness's checks on hand-made histories (times in ns)."""

    def test_lost_incr_found_by_a_later_lower_observation(self):
        h = [op(1, "incr", "c", 0, 10, 1), op(1, "incr", "c", 20, 30, 2),
             op(2, "incr", "c", 40, 50, 2)]           # state went back: the first 2 is lost
        lost, over = faults.lost_incrs(h, {"c": "2"})
        self.assertEqual([(w["value"], w["ack"]) for w in lost], [(2, 30)])
        self.assertEqual(over, [])

    def test_incr_beyond_the_final_value_is_lost(self):
        h = [op(1, "incr", "c", 0, 10, 1), op(1, "incr", "c", 20, 30, 2)]
        lost, _ = faults.lost_incrs(h, {"c": "1"})
        self.assertEqual([w["value"] for w in lost], [2])

    def test_unknown_incrs_bound_the_final_value(self):
        h = [op(1, "incr", "c", 0, 10, 1), op(1, "incr", "c", 20, None, typ="info")]
        self.assertEqual(faults.lost_incrs(h, {"c": "2"}), ([], []))
        self.assertEqual(len(faults.lost_incrs(h, {"c": "3"})[1]), 1)

    def test_unavailability_is_the_longest_pending_gap(self):
        s = 10**9
        h = [op(1, "set", "k", 0, 1, "OK", arg="a"),
             op(1, "set", "k", 2 * s, None, typ="info", arg="b"),     # pending 2s..4s
             op(1, "set", "k", 4 * s, 4 * s + 5, "OK", arg="c"),
             op(2, "set", "k", 6 * s, None, typ="info", arg="d", node=3)]  # node 3 was down
        down = [{"id": 1, "kind": "pause", "node": 3, "start": 5 * s, "end": 8 * s,
                 "recovered": 8 * s}]
        u = faults.unavailability(h, lambda k: 0, 0, 9 * s, down)
        self.assertAlmostEqual(u[0]["max_s"], 2.0, places=3)
        self.assertEqual(u[0]["at_s"], 2.0)

    def test_async_losses_are_attributed_to_the_fault_window(self):
        s = 10**9
        opts = SimpleNamespace(loss_window=1.0, election_timeout=0.5, loss_slack=0.5)
        fs = [{"id": 1, "start": 10 * s}, {"id": 2, "start": 30 * s}]
        lost = [{"ack": 9 * s + s // 2}, {"ack": 30 * s + s // 2}, {"ack": 20 * s}]
        per_fault, outside = faults.attribute(lost, fs, opts, 0)
        self.assertEqual(per_fault, {1: [-0.5], 2: [0.5]})
        self.assertEqual([w["ack_s"] for w in outside], [20.0])


if __name__ == "__main__":
    unittest.main()
