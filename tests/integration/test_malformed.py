"""Malformed input never crashes the server, and other clients keep being served.

Every test runs a canary: a second client doing SET/GET round trips (and
checking the values) in a background thread for the whole test. Protocol
errors must be answered with Redis's "-ERR Protocol error: ..." text where
Redis defines one, followed by the server closing the connection, as Redis
does.
"""
import random
import socket
import sys
import threading
import time
import unittest

from harness import RawConnection, ShoalServer, raw_command, wait_for

PROTO_MAX_BULK = 2 * 1024 * 1024


class Canary(threading.Thread):
    """SET/GET round trips with checked values until stopped."""

    def __init__(self, server, name, **client_kwargs):
        super().__init__(daemon=True)
        self.client = server.client(socket_timeout=15, **client_kwargs)
        self.name = name
        self.rounds = 0
        self.failures = []
        self.max_latency = 0.0
        self._stop_event = threading.Event()

    def run(self):
        i = 0
        while not self._stop_event.is_set() and i < 10_000_000:
            key = f"canary:{self.name}:{i % 64}"
            value = f"{self.name}-{i}".encode()
            t0 = time.monotonic()
            try:
                if self.client.set(key, value) is not True:
                    self.failures.append(f"SET {key} did not reply OK")
                got = self.client.get(key)
                if got != value:
                    self.failures.append(f"GET {key} = {got!r}, want {value!r}")
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                self.failures.append(f"round {i}: {type(e).__name__}: {e}")
                return
            self.max_latency = max(self.max_latency, time.monotonic() - t0)
            self.rounds += 1
            i += 1

    def finish(self):
        # Let it complete at least a few rounds after the test's own work.
        start = self.rounds
        wait_for(lambda: self.rounds >= start + 3 or self.failures or not self.is_alive(),
                 timeout=15, what="canary rounds")
        self._stop_event.set()
        self.join(timeout=20)
        self.client.close()


def reply_after_eof(port, payload, timeout=10.0):
    """Sends payload, half-closes, and returns every byte the server sent
    before closing the connection (the server must close after our EOF)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may already have closed on a protocol error
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    finally:
        s.close()


class MalformedInputTestBase(unittest.TestCase):
    SERVER_ARGS = ()
    CLIENT_KWARGS = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = ShoalServer(*cls.SERVER_ARGS)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        self.assertTrue(self.srv.alive(), "server died in an earlier test:\n" + self.srv.log()[-3000:])
        self.canary = Canary(self.srv, self._testMethodName[:40], **self.CLIENT_KWARGS)
        self.canary.start()
        wait_for(lambda: self.canary.rounds > 0 or self.canary.failures, timeout=10,
                 what="canary to start")

    def tearDown(self):
        self.canary.finish()
        self.assertTrue(self.srv.alive(), "shoal-server died:\n" + self.srv.log()[-3000:])
        self.assertEqual(self.canary.failures[:3], [], "the second client was not served")
        self.assertGreater(self.canary.rounds, 0)
        self.assertEqual(self.srv.client(**self.CLIENT_KWARGS).ping(), True)

    def assert_protocol_error(self, payload, expected=None, port=None):
        """Sends payload on a fresh connection; expects one protocol error
        reply (exactly `expected` when given) and the connection closed."""
        conn = RawConnection(port or self.srv.port)
        try:
            try:
                conn.send(payload)
            except OSError:
                pass  # closed while we were still sending: the reply is buffered
            kind, msg = conn.read()
            self.assertEqual(kind, "-", f"reply to {payload[:40]!r}: {msg!r}")
            if expected is not None:
                self.assertEqual(msg, expected, f"reply to {payload[:40]!r}")
            else:
                self.assertTrue(msg.startswith("ERR Protocol error: "), msg)
            self.assertTrue(conn.closed_by_server(), f"connection left open after {payload[:40]!r}")
        finally:
            conn.close()


class MalformedInputTest(MalformedInputTestBase):
    SERVER_ARGS = ("--proto-max-bulk-len", str(PROTO_MAX_BULK))

    def test_negative_bulk_length_is_invalid_bulk_length(self):
        for header in (b"$-5", b"$-1", b"$-99999999999999"):
            self.assert_protocol_error(b"*1\r\n" + header + b"\r\n",
                                       "ERR Protocol error: invalid bulk length")

    def test_huge_or_garbage_bulk_length_is_invalid_bulk_length(self):
        for header in (b"$99999999999999", b"$99999999999999999999999", b"$abc", b"$", b"$1x",
                       b"$+3", b"$ 3"):
            self.assert_protocol_error(b"*2\r\n$4\r\nECHO\r\n" + header + b"\r\n",
                                       "ERR Protocol error: invalid bulk length")

    def test_bulk_length_over_proto_max_bulk_len_is_refused_and_at_the_limit_accepted(self):
        self.assert_protocol_error(b"*3\r\n$3\r\nSET\r\n$4\r\nover\r\n$%d\r\n" % (PROTO_MAX_BULK + 1),
                                   "ERR Protocol error: invalid bulk length")
        c = self.srv.client()
        self.assertEqual(c.exists("over"), 0)
        value = bytes(range(256)) * (PROTO_MAX_BULK // 256)
        self.assertEqual(len(value), PROTO_MAX_BULK)
        self.assertTrue(c.set("at-limit", value))
        self.assertEqual(c.get("at-limit"), value)
        # A string may not grow past proto-max-bulk-len either (Redis's check).
        with self.assertRaises(Exception) as ctx:
            c.append("at-limit", "x")
        self.assertIn("string exceeds maximum allowed size", str(ctx.exception))
        c.delete("at-limit")

    def test_garbage_multibulk_count_is_invalid_multibulk_length(self):
        for header in (b"*abc", b"*", b"*1x", b"*-", b"*+1", b"* 1", b"*3000000000",
                       b"*99999999999999999999"):
            self.assert_protocol_error(header + b"\r\n$4\r\nPING\r\n",
                                       "ERR Protocol error: invalid multibulk length")

    def test_over_long_header_lines_are_refused(self):
        self.assert_protocol_error(b"*" + b"1" * 70_000,
                                   "ERR Protocol error: too big mbulk count string")
        self.assert_protocol_error(b"*1\r\n$" + b"1" * 70_000,
                                   "ERR Protocol error: too big bulk count string")

    def test_non_dollar_element_in_multibulk_is_reported(self):
        self.assert_protocol_error(b"*1\r\nxPING\r\n", "ERR Protocol error: expected '$', got 'x'")
        self.assert_protocol_error(b"*2\r\n$3\r\nGET\r\n:1\r\n",
                                   "ERR Protocol error: expected '$', got ':'")

    def test_commands_after_a_protocol_error_are_not_executed(self):
        payload = b"*1\r\n$-5\r\n" + raw_command("SET", "after-error", "1")
        self.assert_protocol_error(payload, "ERR Protocol error: invalid bulk length")
        self.assertEqual(self.srv.client().exists("after-error"), 0)

    def test_bulk_not_followed_by_crlf_is_a_protocol_error(self):
        # Redis skips the two bytes blindly; shoal refuses the frame.
        self.assert_protocol_error(b"*1\r\n$4\r\nPINGxx\r\n")

    def test_unbalanced_quotes_in_inline_command(self):
        for line in (b'SET k "abc\r\n', b"SET k 'abc\r\n", b'SET k "a"b\r\n', b'ECHO "\\"\r\n'):
            self.assert_protocol_error(line, "ERR Protocol error: unbalanced quotes in request")
        # Balanced quoting with escapes works on the same server.
        conn = RawConnection(self.srv.port)
        conn.send(b'SET "quoted key" "a\\x41\\n\\"q\\"" \r\nGET "quoted key"\r\n')
        self.assertEqual(conn.read(), ("+", "OK"))
        self.assertEqual(conn.read(), ("$", b'aA\n"q"'))
        conn.close()

    def test_inline_line_over_64kb_is_too_big_inline_request(self):
        self.assert_protocol_error(b"SET k " + b"a" * 70_000,
                                   "ERR Protocol error: too big inline request")
        self.assert_protocol_error(b"SET k " + b"a" * 300_000 + b"\r\n",
                                   "ERR Protocol error: too big inline request")
        self.assertEqual(self.srv.client().exists("k"), 0)

    def test_split_frames_are_reassembled_at_every_byte_boundary(self):
        first = raw_command("SET", "split", "value-1")
        frame = first + b"PING\r\n"
        conn = RawConnection(self.srv.port)
        try:
            for cut in range(1, len(frame)):
                conn.send(frame[:cut])
                # Nothing may be answered for an incomplete first command.
                conn.sock.setblocking(False)
                try:
                    early = conn.sock.recv(100)
                except BlockingIOError:
                    early = None
                conn.sock.setblocking(True)
                conn.sock.settimeout(10)
                if cut < len(first):
                    self.assertIsNone(early, f"reply before the frame was complete (cut {cut})")
                elif early:
                    conn.buf += early
                conn.send(frame[cut:])
                self.assertEqual(conn.read(), ("+", "OK"), f"cut {cut}")
                self.assertEqual(conn.read(), ("+", "PONG"), f"cut {cut}")
        finally:
            conn.close()
        self.assertEqual(self.srv.client().get("split"), b"value-1")

    def test_half_sent_command_then_disconnect_leaves_no_trace(self):
        c = self.srv.client()
        baseline = c.info("clients")["connected_clients"]
        partials = [
            b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc",
            b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10",
            b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n",
            b"*3\r\n$3\r\nSE",
            b"*3",
            b"SET half value",  # inline without its newline
        ]
        for p in partials:
            conn = RawConnection(self.srv.port)
            conn.send(p)
            conn.close()
        wait_for(lambda: c.info("clients")["connected_clients"] <= baseline, timeout=10,
                 what="half-sent connections to be closed by the server")
        self.assertEqual(c.exists("half"), 0)
        # A 1M-element multibulk abandoned half way.
        conn = RawConnection(self.srv.port)
        conn.send(b"*1000000\r\n" + b"$6\r\nEXISTS\r\n" + b"$3\r\nabc\r\n" * 400_000)
        conn.close()
        wait_for(lambda: c.info("clients")["connected_clients"] <= baseline, timeout=10,
                 what="abandoned multibulk connection to be closed")

    def test_million_element_multibulk_gets_a_normal_reply(self):
        c = self.srv.client()
        present = [0, 1, 499_999, 999_998]
        for i in present:
            c.set(f"mb:{i}", "x")

        def send_chunked(conn, payload):
            for off in range(0, len(payload), 256 * 1024):
                conn.send(payload[off:off + 256 * 1024])

        conn = RawConnection(self.srv.port, timeout=60)
        try:
            # EXISTS with 999,999 keys: a 1,000,000-element multibulk.
            send_chunked(conn, raw_command("EXISTS", *[f"mb:{i}" for i in range(999_999)]))
            self.assertEqual(conn.read(), (":", len(present)))
            self.assertEqual(conn.call("PING"), ("+", "PONG"))
            # MSET with 999,999 arguments (1,000,000 elements): odd, so a
            # wrong-arity error, not a crash, and the connection stays usable.
            pairs = []
            for i in range(500_000):
                pairs += [f"ms:{i}", f"v{i}"]
            send_chunked(conn, raw_command("MSET", *pairs[:-1]))
            kind, msg = conn.read()
            self.assertEqual(kind, "-")
            self.assertEqual(msg, "ERR wrong number of arguments for 'mset' command")
            self.assertEqual(conn.call("PING"), ("+", "PONG"))
            # MSET with 499,999 pairs.
            send_chunked(conn, raw_command("MSET", *pairs[:-2]))
            self.assertEqual(conn.read(), ("+", "OK"))
        finally:
            conn.close()
        self.assertEqual(c.get("ms:0"), b"v0")
        self.assertEqual(c.get("ms:499998"), b"v499998")
        self.assertIsNone(c.get("ms:499999"))
        self.assertEqual(c.exists("ms:1", "ms:250000", "ms:499998"), 3)

    def test_null_bytes(self):
        c = self.srv.client()
        key, value = b"nul\x00key\x00", b"\x00\xff\x00v\x00"
        conn = RawConnection(self.srv.port)
        self.assertEqual(conn.call("SET", key, value), ("+", "OK"))
        self.assertEqual(conn.call("GET", key), ("$", value))
        self.assertIsNone(c.get(b"nul"))
        # NUL inside a command name: unknown command, not a protocol error.
        kind, msg = conn.call(b"PI\x00G")
        self.assertEqual(kind, "-")
        self.assertTrue(msg.startswith("ERR unknown command"), msg)
        self.assertEqual(conn.call("PING"), ("+", "PONG"))
        conn.close()
        self.assertEqual(c.get(key), value)
        # Inline lines with NUL bytes: any reply, no crash, connection closed on our EOF.
        for line in (b"\x00\x00\x00\r\n", b"SET a\x00b c\r\n", b"\x00", b"GET \x00\r\n\x00\x00"):
            _, closed = reply_after_eof(self.srv.port, line)
            self.assertTrue(closed)

    def test_random_bytes_never_crash_the_server(self):
        rng = random.Random(20240601)
        for i in range(1000):
            n = rng.choice([1, 2, 5, 17, 100, 1000, 5000])
            blob = rng.randbytes(n)
            if i % 3 == 0:
                blob = rng.choice([b"*", b"$", b"*3\r\n$"]) + blob
            _, closed = reply_after_eof(self.srv.port, blob)
            self.assertTrue(closed, f"server kept connection {i} open after EOF")
            if i % 50 == 0:
                self.assertTrue(self.srv.alive(), self.srv.log()[-3000:])
                self.assertTrue(self.srv.client().ping())

    def test_mutated_valid_frames_never_crash_the_server(self):
        rng = random.Random(4242)
        base = b"".join([
            raw_command("SET", "fz:a", "hello"),
            raw_command("GET", "fz:a"),
            raw_command("APPEND", "fz:b", "xyz"),
            raw_command("EXISTS", "fz:a", "fz:b", "fz:c"),
            raw_command("ECHO", "payload"),
            raw_command("MSET", "fz:c", "1", "fz:d", "2"),
            raw_command("INCR", "fz:c"),
            b"PING\r\n",
            b'ECHO "quoted \\x41"\r\n',
        ])
        numbers = [b"-1", b"-5", b"0", b"99999999999999", b"2147483648", b"18446744073709551616",
                   b"x", b""]
        for i in range(1000):
            data = bytearray(base)
            for _ in range(rng.randrange(1, 4)):
                if not data:
                    break
                op = rng.randrange(5)
                pos = rng.randrange(len(data))
                if op == 0:
                    data[pos] = rng.randrange(256)
                elif op == 1:
                    del data[pos:pos + rng.randrange(1, 20)]
                elif op == 2:
                    data[pos:pos] = rng.randbytes(rng.randrange(1, 20))
                elif op == 3:
                    # Replace a length header's number.
                    starts = [j for j in range(len(data) - 1) if data[j] in b"*$" and
                              chr(data[j + 1]).isdigit()]
                    if starts:
                        j = rng.choice(starts) + 1
                        k = j
                        while k < len(data) and chr(data[k]).isdigit():
                            k += 1
                        data[j:k] = rng.choice(numbers)
                else:
                    data = data[:pos]  # truncate
            _, closed = reply_after_eof(self.srv.port, bytes(data))
            self.assertTrue(closed, f"server kept mutated connection {i} open after EOF")
        self.assertTrue(self.srv.client().ping())


class QueryBufferLimitTest(MalformedInputTestBase):
    SERVER_ARGS = ("--client-query-buffer-limit", "1mb")

    def test_incomplete_command_over_query_buffer_limit_closes_connection(self):
        conn = RawConnection(self.srv.port)
        try:
            # 1.5 MB of a 2 MB argument, and no more: the query buffer holds
            # more than the limit, so the server must drop the client.
            conn.send(b"*3\r\n$3\r\nSET\r\n$3\r\nqbl\r\n$2097152\r\n" + b"x" * 1_500_000)
        except OSError:
            pass
        self.assertTrue(conn.closed_by_server(timeout=10))
        self.assertEqual(conn.buf, b"")  # Redis sends no reply either
        conn.close()
        self.assertEqual(self.srv.client().exists("qbl"), 0)
        self.assertIn("query buffer", self.srv.log())

    def test_single_argument_over_query_buffer_limit_is_refused(self):
        # Redis drops a client whose query buffer (here: one 2 MB argument)
        # passes client-query-buffer-limit, however fast it arrives. Whether
        # the whole argument lands in one read is up to timing, so try a few
        # times: every attempt must be refused.
        executed = []
        for attempt in range(8):
            key = f"qbl-fast:{attempt}"
            conn = RawConnection(self.srv.port)
            try:
                conn.send(raw_command("SET", key, b"y" * (2 * 1024 * 1024)))
            except OSError:
                pass
            try:
                reply = conn.read()  # must end in EOF, with no reply
            except ConnectionError:
                reply = None
            finally:
                conn.close()
            if reply is not None:
                executed.append((attempt, reply))
        self.assertEqual(executed, [],
                         "commands larger than client-query-buffer-limit were executed")
        c = self.srv.client()
        self.assertEqual(c.exists(*[f"qbl-fast:{i}" for i in range(8)]), 0)

    def test_commands_under_the_limit_and_long_pipelines_still_work(self):
        c = self.srv.client()
        value = b"z" * (512 * 1024)
        self.assertTrue(c.set("qbl-ok", value))
        self.assertEqual(c.get("qbl-ok"), value)
        # A pipeline of ~4 MB in total, made of small commands, is consumed
        # as it arrives and never fills the query buffer.
        n = 80_000
        payload = b"".join(raw_command("SET", f"pl:{i}", f"value-{i:08d}") for i in range(n))
        self.assertGreater(len(payload), 3 * 1024 * 1024)
        conn = RawConnection(self.srv.port, timeout=30)
        sender = threading.Thread(target=conn.send, args=(payload,), daemon=True)
        sender.start()
        want = b"+OK\r\n" * n
        got = bytearray()
        while len(got) < len(want):
            chunk = conn.sock.recv(1 << 20)
            if not chunk:
                break
            got += chunk
        self.assertEqual(bytes(got), want)
        sender.join(timeout=30)
        conn.close()
        self.assertEqual(c.get("pl:79999"), b"value-00079999")


class DeclaredBulkLengthTest(MalformedInputTestBase):
    """Default limits: proto-max-bulk-len 512 MB."""

    def test_declared_bulk_length_does_not_commit_memory(self):
        # A bulk header announces a large value, but only a few bytes follow.
        # Redis reserves room for the value without touching it, so its RSS
        # does not move; a handful of 30-byte headers must not make the
        # server commit gigabytes.
        declared = 256 * 1024 * 1024
        c = self.srv.client()
        rss_before = self.srv.rss_bytes()
        conns = []
        try:
            for i in range(4):
                conn = RawConnection(self.srv.port)
                conns.append(conn)
                header = b"*3\r\n$3\r\nSET\r\n$5\r\nbig:%d\r\n$%d\r\n" % (i, declared)
                conn.send(header + b"v" * 200)
            # A server that commits such memory does so within a second; watch
            # the RSS for a bounded window (ends early once all of it is there).
            limit = 128 * 1024 * 1024
            try:
                wait_for(lambda: self.srv.rss_bytes() - rss_before > 0.9 * 4 * declared,
                         timeout=3, interval=0.05, what="RSS growth")
            except TimeoutError:
                pass
            grown = self.srv.rss_bytes() - rss_before
            print(f"\n  RSS grew by {grown / 2**20:.1f} MiB after 4 clients each declared a "
                  f"{declared >> 20} MiB bulk and sent 200 bytes of it", file=sys.stderr)
            self.assertLess(grown, limit, "declared-but-unsent bulk lengths committed server memory")
        finally:
            for conn in conns:
                conn.close()
        self.assertEqual(c.exists("big:0", "big:1", "big:2", "big:3"), 0)


class UnauthenticatedLimitsTest(MalformedInputTestBase):
    """With requirepass, a client that has not authenticated may only send
    small requests (Redis: at most 10 arguments of at most 16 KB)."""
    SERVER_ARGS = ("--requirepass", "s3cret")
    CLIENT_KWARGS = {"password": "s3cret"}

    def test_unauthenticated_client_cannot_send_a_long_multibulk(self):
        self.assert_protocol_error(b"*11\r\n",
                                   "ERR Protocol error: unauthenticated multibulk length")
        self.assert_protocol_error(b"*1000000\r\n$6\r\nEXISTS\r\n",
                                   "ERR Protocol error: unauthenticated multibulk length")

    def test_unauthenticated_client_cannot_send_a_large_bulk(self):
        self.assert_protocol_error(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
                                   "ERR Protocol error: unauthenticated bulk length")
        self.assert_protocol_error(b"*2\r\n$4\r\nAUTH\r\n$536870000\r\n",
                                   "ERR Protocol error: unauthenticated bulk length")

    def test_small_unauthenticated_requests_get_normal_replies_and_auth_lifts_the_limits(self):
        conn = RawConnection(self.srv.port)
        try:
            kind, msg = conn.call("AUTH", "a" * 16384)
            self.assertEqual(kind, "-")
            self.assertTrue(msg.startswith("WRONGPASS"), msg)
            self.assertEqual(conn.call("GET", "x")[0], "-")  # NOAUTH, connection kept
            self.assertEqual(conn.call("AUTH", "s3cret"), ("+", "OK"))
            keys = [f"ua:{i}" for i in range(1000)]
            self.assertEqual(conn.call("EXISTS", *keys), (":", 0))
            value = b"v" * (1024 * 1024)
            self.assertEqual(conn.call("SET", "ua:big", value), ("+", "OK"))
            self.assertEqual(conn.call("STRLEN", "ua:big"), (":", len(value)))
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
