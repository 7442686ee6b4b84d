"""The real redis-benchmark runs against shoal-server without errors.

`redis-benchmark -q -n 100000 -t ping,set,get,incr,mset`, once plain and
once pipelined with -P 16, must exit 0, report every test, print no error,
and leave INFO stats total_error_replies at 0. Without -r, redis-benchmark
INCRs the single key "counter:__rand_int__", so afterwards that key must
hold exactly the number of INCRs sent: none lost, none doubled.
"""
import re
import shutil
import subprocess
import sys
import time
import unittest

from harness import ShoalServer

REQUESTS = 100_000
TESTS = "ping,set,get,incr,mset"
EXPECTED_REPORTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]
BENCHMARK = shutil.which("redis-benchmark")


def final_reports(output):
    """{test name: requests per second} from redis-benchmark -q output
    (progress lines are separated by carriage returns)."""
    reports = {}
    for line in re.split(r"[\r\n]+", output):
        m = re.match(r"^\s*(.+?): ([\d.]+) requests per second", line)
        if m:
            reports[m.group(1)] = float(m.group(2))
    return reports


@unittest.skipIf(BENCHMARK is None, "redis-benchmark is not installed")
class RedisBenchmarkTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = ShoalServer()
        cls.srv.start()
        cls.incrs_sent = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def run_benchmark(self, *extra):
        cmd = [BENCHMARK, "-h", "127.0.0.1", "-p", str(self.srv.port), "-q",
               "-n", str(REQUESTS), "-t", TESTS, *extra]
        before = self.srv.client().info("stats")
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
        elapsed = time.monotonic() - t0
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        reports = final_reports(out)
        print(f"\n  {' '.join(cmd[1:])}: {elapsed:.1f}s\n" +
              "\n".join(f"    {k}: {v:,.0f} requests/s" for k, v in reports.items()),
              file=sys.stderr)
        self.assertEqual(proc.returncode, 0, f"redis-benchmark failed:\n{out[-2000:]}\n{err}")
        self.assertTrue(self.srv.alive(), self.srv.log()[-3000:])
        error_lines = [l for l in re.split(r"[\r\n]+", out + err)
                       if "ERR" in l or "error" in l.lower()]
        self.assertEqual(error_lines[:5], [])
        self.assertEqual(list(reports), EXPECTED_REPORTS, out[-2000:])
        for name, rps in reports.items():
            self.assertGreater(rps, 0, name)

        after = self.srv.client().info("stats")
        self.assertEqual(after["total_error_replies"], 0)
        self.assertEqual(after.get("protocol_errors", 0), 0)
        # Every request reached the server: 6 tests x REQUESTS commands.
        self.assertGreaterEqual(after["total_commands_processed"] - before["total_commands_processed"],
                                len(EXPECTED_REPORTS) * REQUESTS)
        type(self).incrs_sent += REQUESTS
        c = self.srv.client()
        self.assertEqual(c.get("counter:__rand_int__"), str(self.incrs_sent).encode())
        self.assertEqual(c.strlen("key:__rand_int__"), 3)  # SET/MSET value, -d 3 default

    def test_redis_benchmark_runs_without_errors(self):
        self.run_benchmark()

    def test_redis_benchmark_pipelined_with_p16_runs_without_errors(self):
        self.run_benchmark("-P", "16")


if __name__ == "__main__":
    unittest.main()
