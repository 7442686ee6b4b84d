"""Starts real shoal-server processes for integration tests.

Each ShoalServer gets a free loopback port and its own data directory.
Readiness is awaited by polling PING (bounded), never by a fixed sleep.
Use /usr/bin/python3: Debian's python3-redis is importable there.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import redis

SERVER = os.environ.get(
    "SHOAL_SERVER",
    os.path.join(os.path.dirname(__file__), "..", "..", "build", "server", "shoal-server"))
BUILD_DIR = os.environ.get(
    "SHOAL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
# Opt-in: SHOAL_TEST_AGAINST_REDIS=1 runs the same tests against a real
# redis-server (no persistence), to validate that a test encodes Redis's
# behaviour before shoal implements it. Off by default.
AGAINST_REDIS = os.environ.get("SHOAL_TEST_AGAINST_REDIS") == "1"
REDIS_SERVER = os.environ.get("SHOAL_REDIS_SERVER", "redis-server")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.01, what="condition"):
    """Polls predicate() until it returns a truthy value or timeout expires."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class ShoalServer:
    """A shoal-server process. Usable as a context manager."""

    def __init__(self, *args, data_dir=None, port=None):
        self.args = list(args)
        self.port = port or free_port()
        self._own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="shoal-test-")
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self, timeout=20.0):
        log = open(self.log_path, "ab")
        if AGAINST_REDIS:
            argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir] + self.args
        else:
            argv = [SERVER, "--port", str(self.port), "--dir",
                    os.path.join(self.dir, "db")] + self.args
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"shoal-server exited with {self.proc.returncode}:\n" + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    data = s.recv(64)
                    return data.startswith(b"+PONG") or data.startswith(b"-NOAUTH")
            except OSError:
                return False

        wait_for(ready, timeout=timeout, what="shoal-server to answer PING")
        return self

    def client(self, **kwargs):
        kwargs.setdefault("socket_timeout", 30)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL: no chance to flush anything."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout=30):
        """SIGTERM and wait for a clean exit; returns the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode if self.proc else None

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cleanup(self):
        if self.alive():
            self.kill9()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


def raw_command(*args):
    """Encodes one command as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawConnection:
    """A socket speaking raw RESP, with a small RESP2/RESP3 reply parser, for
    tests of protocol details that client libraries hide (RESP3 types,
    malformed input, pipelining)."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.send(raw_command(*args))
        return self.read()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        """Returns (type_char, value). Aggregates hold lists of (type, value);
        maps hold lists of ((kt, kv), (vt, vv)) pairs."""
        line = self._line()
        t, rest = chr(line[0]), line[1:]
        if t in "+-":
            return t, rest.decode(errors="replace")
        if t == ":":
            return t, int(rest)
        if t == "_":
            return t, None
        if t == ",":
            return t, rest.decode()
        if t == "#":
            return t, rest == b"t"
        if t == "(":
            return t, int(rest)
        if t in "$=!":
            n = int(rest)
            if n < 0:
                return t, None
            return t, self._exact(n)
        if t in "*~>":
            n = int(rest)
            if n < 0:
                return t, None
            return t, [self.read() for _ in range(n)]
        if t == "%":
            n = int(rest)
            return t, [(self.read(), self.read()) for _ in range(n)]
        raise ValueError(f"unknown RESP type byte {line!r}")

    def closed_by_server(self, timeout=5.0):
        """True if the server closes the connection (reads EOF) in time."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


class ServerTestCase(unittest.TestCase):
    """One shoal-server per test class, started with `server_args`."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(*cls.server_args)
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()


class CommandTestCase(ServerTestCase):
    """A server per class with a redis-py client (`r`, decoded), a bytes
    client (`rb`) and a raw RESP connection (`raw`); the keyspace is flushed
    before each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.r = cls.server.client(decode_responses=True)
            cls.rb = cls.server.client()  # bytes in, bytes out
            cls.raw = RawConnection(cls.server.port)
        except Exception:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.raw.close()
        cls.r.close()
        cls.rb.close()
        super().tearDownClass()

    def setUp(self):
        self.assertEqual(self.raw.call("FLUSHALL"), ("+", "OK"))

    def call(self, *args):
        return self.raw.call(*args)

    def assertError(self, args, message):
        self.assertEqual(self.call(*args), ("-", message), f"command {args!r}")

    def assertTtl(self, key, expected):
        """TTL rounds to the nearest second; allow one second for a slow machine."""
        t, ttl = self.raw.call("TTL", key)
        self.assertEqual(t, ":")
        self.assertIn(ttl, (expected - 1, expected), f"TTL of {key}")
