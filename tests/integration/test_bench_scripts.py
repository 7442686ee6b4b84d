"""The bench/ scripts still run end to end: tiny runs of
bench/replication_modes.py and bench/cluster_compare.py on leased ports.

Nothing else runs them in CI, and one stopped working unnoticed when the
helpers it imports changed. No figure is asserted (performance is measured
by running the scripts, never in a test); what is checked is that each
completes with exit status 0, reports its numbers and saw no error reply.
"""
import os
import re
import subprocess
import sys
import unittest

from cluster_harness import PortLease
from harness import BUILD_DIR, SERVER

BENCH_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")
SHOAL_CLUSTER = os.path.join(BUILD_DIR, "tools", "shoal-cluster")
RUN_TIMEOUT_S = 180


def run_script(name, args):
    proc = subprocess.run([sys.executable, os.path.join(BENCH_DIR, name)] + args,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return proc.returncode, proc.stdout + proc.stderr


class BenchScriptsTest(unittest.TestCase):
    def setUp(self):
        for path in (SERVER, SHOAL_CLUSTER):
            if not os.path.exists(path):
                self.fail(f"no binary at {path} (build first)")

    def test_replication_modes_measures_both_modes(self):
        lease = PortLease(3, consecutive=True)
        try:
            code, out = run_script("replication_modes.py", [
                "--rounds", "1", "--requests", "20000", "--warmup", "2000", "--bound", "0",
                "--base-port", str(lease.ports[0]), "--shoal-cluster", SHOAL_CLUSTER])
        finally:
            lease.release()
        self.assertEqual(code, 0, out)
        for mode in ("sync", "async"):
            m = re.search(rf"^{mode}\s+median\s+(\d+) requests/s", out, re.M)
            self.assertIsNotNone(m, out)
            self.assertGreater(int(m.group(1)), 0, out)
            self.assertRegex(out, rf"{mode}\s+CPU per million SETs")
        self.assertRegex(out, r"ratio async/sync = \d+\.\d+")
        self.assertIn("PASS: async/sync", out)  # bound 0: every run counted, none failed

    def test_cluster_compare_measures_both_clusters(self):
        if subprocess.run(["sh", "-c", "command -v redis-server"],
                          capture_output=True).returncode != 0:
            self.fail("redis-server is not installed (scripts/install-deps.sh installs it)")
        redis_ports = PortLease(6, consecutive=True)
        shoal_ports = PortLease(3, consecutive=True)
        try:
            code, out = run_script("cluster_compare.py", [
                "--rounds", "1", "--quick", "--redis-port", str(redis_ports.ports[0]),
                "--shoal-port", str(shoal_ports.ports[0]), "--shoal-cluster", SHOAL_CLUSTER])
        finally:
            redis_ports.release()
            shoal_ports.release()
        self.assertEqual(code, 0, out)
        for test in ("set", "get"):
            for pipeline in (1, 16):
                self.assertRegex(out, rf"(?m)^{test}\s+{pipeline}\s+\d+\s+\d+\s+\d+\.\d+$")
        self.assertIn("no errors in any run", out)


if __name__ == "__main__":
    unittest.main()
