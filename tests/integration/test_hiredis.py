"""hiredis (the C client, Debian's libhiredis-dev 0.14) against shoal.

hiredis_client.c runs a fixed script: plain commands, binary-safe %b
arguments, argv commands, a value larger than hiredis' read buffer, a
pipeline of mixed commands with an error in the middle, and a 2000-command
pipeline. Its output must match what it prints against Redis 7 exactly.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

import harness

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hiredis_client.c")

EXPECTED = """\
ping +PONG
flushall +OK
set +OK
get $11:hello world
get-missing (nil)
incr :1
incrby :42
mget *3[$11:hello world, (nil), $2:42]
incr-error -ERR value is not an integer or out of range
arity-error -ERR wrong number of arguments for 'get' command
expire :1
ttl :100
append :12
strlen :12
set-binary +OK
get-binary $6:a\\x00\\r\\n\\xffz
strlen-binary :6
set-argv +OK
get-argv $11:line1\\nline2
set-big +OK
strlen-big :200000
get-big $200000:xxxxxxxx...
getrange-big $5:xxxxx
pipe[0] +OK
pipe[1] +OK
pipe[2] :1
pipe[3] -ERR value is not an integer or out of range
pipe[4] :2
pipe[5] *4[$1:a, $1:b, $1:2, (nil)]
pipe[6] $1:a
pipe[7] (nil)
pipe[8] :3
pipe[9] :3
pipe[10] *2[$1:0, *0[]]
many last=2000 bad=0
config-get *2[$9:maxmemory, $1:0]
dbsize :6
del :2
keys *1[$15:key with spaces]
quit +OK
"""


def setUpModule():
    global BUILD_DIR, BINARY
    BUILD_DIR = tempfile.mkdtemp(prefix="shoal-hiredis-")
    BINARY = os.path.join(BUILD_DIR, "hiredis_client")
    proc = subprocess.run(["cc", "-std=c99", "-Wall", "-O1", "-o", BINARY, SOURCE, "-lhiredis"],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling {SOURCE} failed:\n{proc.stdout}{proc.stderr}")


def tearDownModule():
    shutil.rmtree(BUILD_DIR, ignore_errors=True)


def run_client(port, *extra):
    proc = subprocess.run([BINARY, "127.0.0.1", str(port)] + list(extra),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


class HiredisScriptTest(harness.ServerTestCase):
    def test_script_output_matches_redis(self):
        rc, out, err = run_client(self.server.port)
        self.assertEqual(err, "")
        self.assertEqual(out, EXPECTED)
        self.assertEqual(rc, 0)

    def test_data_written_by_hiredis_is_read_back_by_redis_py(self):
        rc, out, _ = run_client(self.server.port)
        self.assertEqual(rc, 0, out)
        r = self.server.client()
        try:
            self.assertEqual(r.get("many"), b"2000")
            self.assertEqual(r.get(b"bin\x00key"), b"a\x00\r\n\xffz")
            self.assertEqual(r.get("key with spaces"), b"line1\nline2")
            self.assertEqual(r.strlen("big"), 200000)
            self.assertEqual(r.exists("greeting", "counter", "p:1"), 0)
            self.assertEqual(r.dbsize(), 4)
        finally:
            r.close()

    def test_connection_refused(self):
        rc, out, _ = run_client(harness.free_port())
        self.assertEqual(rc, 2)
        self.assertEqual(out, "connect error: Connection refused\n")


class HiredisAuthTest(harness.ServerTestCase):
    server_args = ("--requirepass", "s3cret",)

    def test_script_after_auth(self):
        rc, out, err = run_client(self.server.port, "s3cret")
        self.assertEqual(err, "")
        self.assertEqual(out, "auth +OK\n" + EXPECTED)
        self.assertEqual(rc, 0)

    def test_without_auth_every_command_is_refused(self):
        rc, out, _ = run_client(self.server.port)
        lines = out.splitlines()
        self.assertEqual(lines[0], "ping -NOAUTH Authentication required.")
        self.assertEqual(lines[1], "flushall -NOAUTH Authentication required.")
        self.assertEqual(lines[2], "set -NOAUTH Authentication required.")
        self.assertEqual(lines[3], "get -NOAUTH Authentication required.")
        self.assertIn(rc, (0, 3))  # a server may drop an unauthenticated client's big request

    def test_wrong_password(self):
        rc, out, _ = run_client(self.server.port, "wrong")
        lines = out.splitlines()
        self.assertEqual(lines[0], "auth -WRONGPASS invalid username-password pair or user is disabled.")
        self.assertEqual(lines[1], "ping -NOAUTH Authentication required.")


if __name__ == "__main__":
    unittest.main()
