"""Blocking pops on a single node: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP
BZPOPMIN BZPOPMAX BZMPOP.

A client blocks when every key is empty; a write that makes a key ready
wakes the clients blocked on it, first come first served
(server/blocking.h). Timeouts are Redis's: seconds, fractions allowed, 0 =
forever; a timeout replies a null array. Blocked clients are driven through
harness.RawConnection, so a test knows exactly when each one blocked
(INFO clients blocked_clients) and reads each reply off its own socket.
"""
import socket
import time
import unittest

import harness

OK = ("+", "OK")
NULL_ARRAY = ("*", None)
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"

# The timeout that means "wait forever".
FOREVER = "0"
# How long a reply that must not come is waited for.
NO_REPLY_SECS = 0.3
# How long the server is given to notice a closed client.
NOTICE_SECS = 2.0
# Bound on any reply that must come.
REPLY_SECS = 10.0


def bulk(s):
    return ("$", s.encode() if isinstance(s, str) else s)


def bulks(*items):
    return ("*", [bulk(i) for i in items])


class BlockingTestCase(unittest.TestCase):
    """A fresh shoal-server per test: a client left blocked by one test
    (the server may not notice a closed socket at once) never leaks into
    the next one's counts and queues. Starting one takes ~0.1 s."""

    def setUp(self):
        self.server = harness.ShoalServer()
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.r = self.server.client(decode_responses=True)
        self.addCleanup(self.r.close)
        self.raw = self.connect()

    def call(self, *args):
        return self.raw.call(*args)

    def blocked(self):
        return int(self.r.info("clients")["blocked_clients"])

    def wait_blocked(self, n, timeout=REPLY_SECS):
        try:
            harness.wait_for(lambda: self.blocked() == n, timeout=timeout,
                             what=f"blocked_clients == {n}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; it is {self.blocked()}") from None

    def connect(self, resp3=False):
        c = harness.RawConnection(self.server.port, timeout=REPLY_SECS)
        self.addCleanup(c.close)
        if resp3:
            self.assertEqual(c.call("HELLO", "3")[0], "%")
        return c

    def block(self, *cmd, conn=None, resp3=False):
        """Sends a blocking command on a new (or the given) connection and
        waits until the server counts one more blocked client."""
        c = conn or self.connect(resp3=resp3)
        before = self.blocked()
        c.send(harness.raw_command(*cmd))
        self.wait_blocked(before + 1)
        return c

    def assertNoReply(self, conn, secs=NO_REPLY_SECS):
        conn.sock.settimeout(secs)
        try:
            conn._fill()
        except socket.timeout:
            return
        finally:
            conn.sock.settimeout(REPLY_SECS)
        self.fail(f"unexpected reply bytes {conn.buf!r}")


class ServedWhenDataArrivesTest(BlockingTestCase):
    def test_blpop(self):
        c = self.block("BLPOP", "k", FOREVER)
        self.assertNoReply(c)
        self.assertEqual(self.r.lpush("k", "a", "b", "c"), 3)
        self.assertEqual(c.read(), bulks("k", "c"))
        self.assertEqual(self.r.lrange("k", 0, -1), ["b", "a"])
        self.assertEqual(self.blocked(), 0)

    def test_brpop_pops_from_the_tail(self):
        c = self.block("BRPOP", "k", FOREVER)
        self.r.rpush("k", "a", "b", "c")
        self.assertEqual(c.read(), bulks("k", "c"))
        self.assertEqual(self.r.lrange("k", 0, -1), ["a", "b"])

    def test_the_last_element_taken_deletes_the_key(self):
        c = self.block("BLPOP", "k", FOREVER)
        self.r.rpush("k", "only")
        self.assertEqual(c.read(), bulks("k", "only"))
        self.assertEqual(self.r.exists("k"), 0)

    def test_blmove_moves_the_element(self):
        c = self.block("BLMOVE", "src", "dst", "RIGHT", "LEFT", FOREVER)
        self.r.rpush("dst", "old")
        self.assertNoReply(c)
        self.r.rpush("src", "a", "b")
        self.assertEqual(c.read(), bulk("b"))
        self.assertEqual(self.r.lrange("src", 0, -1), ["a"])
        self.assertEqual(self.r.lrange("dst", 0, -1), ["b", "old"])

    def test_blmove_onto_the_same_list(self):
        c = self.block("BLMOVE", "l", "l", "LEFT", "RIGHT", FOREVER)
        self.r.rpush("l", "a", "b")
        self.assertEqual(c.read(), bulk("a"))
        self.assertEqual(self.r.lrange("l", 0, -1), ["b", "a"])

    def test_brpoplpush_moves_the_element(self):
        c = self.block("BRPOPLPUSH", "src", "dst", FOREVER)
        self.r.rpush("src", "a", "b")
        self.assertEqual(c.read(), bulk("b"))
        self.assertEqual(self.r.lrange("src", 0, -1), ["a"])
        self.assertEqual(self.r.lrange("dst", 0, -1), ["b"])

    def test_blmpop_with_count(self):
        c = self.block("BLMPOP", FOREVER, "2", "k1", "k2", "RIGHT", "COUNT", "2")
        self.r.rpush("k2", "a", "b", "c")
        self.assertEqual(c.read(), ("*", [bulk("k2"), bulks("c", "b")]))
        self.assertEqual(self.r.lrange("k2", 0, -1), ["a"])

    def test_bzpopmin_and_bzpopmax(self):
        lo = self.block("BZPOPMIN", "z", FOREVER)
        hi = self.block("BZPOPMAX", "z", FOREVER)
        self.r.zadd("z", {"a": 1, "b": 2, "c": 3})
        self.assertEqual(lo.read(), bulks("z", "a", "1"))
        self.assertEqual(hi.read(), bulks("z", "c", "3"))
        self.assertEqual(self.r.zrange("z", 0, -1), ["b"])

    def test_bzmpop_with_count(self):
        c = self.block("BZMPOP", FOREVER, "2", "z1", "z2", "MAX", "COUNT", "2")
        self.r.zadd("z2", {"a": 1, "b": 2.5, "c": 3})
        self.assertEqual(c.read(), ("*", [bulk("z2"), ("*", [bulks("c", "3"), bulks("b", "2.5")])]))
        self.assertEqual(self.r.zrange("z2", 0, -1), ["a"])

    def test_replies_after_blocking_in_resp3(self):
        lst = self.block("BLPOP", "l", FOREVER, resp3=True)
        zs = self.block("BZPOPMIN", "z", FOREVER, resp3=True)
        zm = self.block("BZMPOP", FOREVER, "1", "z2", "MIN", resp3=True)
        self.r.rpush("l", "a")
        self.r.zadd("z", {"m": 1.5})
        self.r.zadd("z2", {"n": 2})
        self.assertEqual(lst.read(), bulks("l", "a"))
        self.assertEqual(zs.read(), ("*", [bulk("z"), bulk("m"), (",", "1.5")]))
        self.assertEqual(zm.read(), ("*", [bulk("z2"), ("*", [("*", [bulk("n"), (",", "2")])])]))

    def test_a_client_blocked_on_two_keys_is_served_by_either(self):
        c = self.block("BLPOP", "k1", "k2", FOREVER)
        self.r.rpush("k2", "x")
        self.assertEqual(c.read(), bulks("k2", "x"))
        self.block("BLPOP", "k1", "k2", FOREVER, conn=c)
        self.r.rpush("k1", "y")
        self.assertEqual(c.read(), bulks("k1", "y"))
        self.assertEqual(self.r.exists("k1", "k2"), 0)
        self.assertEqual(self.blocked(), 0)

    def test_bzpopmin_on_two_keys_is_served_by_either(self):
        c = self.block("BZPOPMIN", "z1", "z2", FOREVER)
        self.r.zadd("z2", {"m": 7})
        self.assertEqual(c.read(), bulks("z2", "m", "7"))

    def test_a_push_inside_a_transaction_wakes_a_blocked_client(self):
        c = self.block("BLPOP", "k", FOREVER)
        p = self.r.pipeline(transaction=True)
        p.set("other", "1").rpush("k", "a", "b")
        self.assertEqual(p.execute(), [True, 2])
        self.assertEqual(c.read(), bulks("k", "a"))
        self.assertEqual(self.r.lrange("k", 0, -1), ["b"])

    def test_a_transaction_that_pushes_and_pops_leaves_the_client_blocked(self):
        c = self.block("BLPOP", "k", FOREVER)
        p = self.r.pipeline(transaction=True)
        p.rpush("k", "a").lpop("k")
        self.assertEqual(p.execute(), [1, "a"])
        self.assertNoReply(c)
        self.assertEqual(self.blocked(), 1)
        self.r.rpush("k", "b")
        self.assertEqual(c.read(), bulks("k", "b"))

    def test_lmove_into_the_key_wakes_a_blocked_client(self):
        c = self.block("BLPOP", "dst", FOREVER)
        self.r.rpush("src", "a")
        self.assertEqual(self.r.lmove("src", "dst", "LEFT", "RIGHT"), "a")
        self.assertEqual(c.read(), bulks("dst", "a"))

    def test_blmove_feeds_a_client_blocked_on_its_destination(self):
        first = self.block("BLMOVE", "a", "b", "LEFT", "RIGHT", FOREVER)
        second = self.block("BLPOP", "b", FOREVER)
        self.r.rpush("a", "x")
        self.assertEqual(first.read(), bulk("x"))
        self.assertEqual(second.read(), bulks("b", "x"))
        self.assertEqual(self.r.exists("a", "b"), 0)

    def test_a_key_of_another_type_does_not_wake_the_client(self):
        # Redis serves a blocked BLPOP only from a list (BZPOPMIN only from
        # a sorted set): another type created at the key leaves it blocked.
        c = self.block("BLPOP", "k", FOREVER)
        z = self.block("BZPOPMIN", "s", FOREVER)
        self.r.set("k", "string")
        self.r.delete("k")
        self.r.zadd("k", {"m": 1})
        self.r.rpush("s", "x")
        self.assertNoReply(c)
        self.assertNoReply(z)
        self.assertEqual(self.blocked(), 2)
        self.r.delete("k", "s")
        self.r.rpush("k", "a")
        self.r.zadd("s", {"n": 2})
        self.assertEqual(c.read(), bulks("k", "a"))
        self.assertEqual(z.read(), bulks("s", "n", "2"))

    def test_commands_pipelined_behind_a_blocked_one_wait_for_it(self):
        c = self.connect()
        c.send(harness.raw_command("BLPOP", "k", FOREVER) + harness.raw_command("PING"))
        self.wait_blocked(1)
        self.assertNoReply(c)
        self.r.rpush("k", "a")
        self.assertEqual(c.read(), bulks("k", "a"))
        self.assertEqual(c.read(), ("+", "PONG"))

    def test_data_already_there_is_popped_at_once(self):
        self.r.rpush("k", "a")
        self.r.zadd("z", {"m": 1})
        c = self.connect()
        self.assertEqual(c.call("BLPOP", "k", "0"), bulks("k", "a"))
        self.assertEqual(c.call("BZPOPMAX", "z", "0"), bulks("z", "m", "1"))
        self.assertEqual(self.blocked(), 0)


class TimeoutTest(BlockingTestCase):
    COMMANDS = (("BLPOP", "e1", "e2", "0.1"), ("BRPOP", "e1", "0.1"),
                ("BLMOVE", "e1", "d", "LEFT", "RIGHT", "0.1"), ("BRPOPLPUSH", "e1", "d", "0.1"),
                ("BLMPOP", "0.1", "2", "e1", "e2", "LEFT"), ("BZPOPMIN", "z1", "z2", "0.1"),
                ("BZPOPMAX", "z1", "0.1"), ("BZMPOP", "0.1", "1", "z1", "MIN", "COUNT", "3"))

    def test_every_command_times_out_with_a_null_array(self):
        for resp3, null in ((False, NULL_ARRAY), (True, ("_", None))):
            c = self.connect(resp3=resp3)
            for cmd in self.COMMANDS:
                with self.subTest(cmd=cmd[0], resp3=resp3):
                    start = time.monotonic()
                    self.assertEqual(c.call(*cmd), null)
                    elapsed = time.monotonic() - start
                    self.assertGreaterEqual(elapsed, 0.095, "replied before the timeout")
                    self.assertLess(elapsed, 3.0, "timeout of 0.1 s took too long")
        self.assertEqual(self.r.exists("e1", "e2", "d", "z1", "z2"), 0)
        self.assertEqual(self.blocked(), 0)

    def test_fractional_timeouts_are_honoured(self):
        c = self.connect()
        start = time.monotonic()
        self.assertEqual(c.call("BLPOP", "k", "0.35"), NULL_ARRAY)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.345)
        self.assertLess(elapsed, 3.0)

    def test_timeout_zero_waits_until_served(self):
        c = self.block("BLPOP", "k", FOREVER)
        self.assertNoReply(c, secs=1.0)
        self.assertEqual(self.blocked(), 1)
        self.r.rpush("k", "late")
        self.assertEqual(c.read(), bulks("k", "late"))

    def test_served_before_the_timeout(self):
        c = self.block("BLPOP", "k", "5")
        start = time.monotonic()
        self.r.rpush("k", "a")
        self.assertEqual(c.read(), bulks("k", "a"))
        self.assertLess(time.monotonic() - start, 4.0)

    def test_a_timed_out_client_takes_nothing(self):
        quick = self.block("BLPOP", "k", "0.5")
        slow = self.block("BLPOP", "k", FOREVER)
        self.assertEqual(quick.read(), NULL_ARRAY)
        self.wait_blocked(1)
        self.r.rpush("k", "a")
        self.assertEqual(slow.read(), bulks("k", "a"))
        self.assertNoReply(quick)
        self.assertEqual(self.r.exists("k"), 0)

    def test_the_connection_is_usable_after_a_timeout(self):
        c = self.connect()
        self.assertEqual(c.call("BRPOP", "k", "0.1"), NULL_ARRAY)
        self.assertEqual(c.call("PING"), ("+", "PONG"))
        self.r.rpush("k", "a")
        self.assertEqual(c.call("BRPOP", "k", "0.1"), bulks("k", "a"))


class FifoTest(BlockingTestCase):
    CLIENTS = 100

    def test_100_clients_are_served_in_the_order_they_blocked(self):
        conns = [self.block("BLPOP", "q", FOREVER) for _ in range(self.CLIENTS)]
        self.assertEqual(self.blocked(), self.CLIENTS)
        for i, c in enumerate(conns):
            self.assertEqual(self.r.rpush("q", f"e{i}"), 1)
            self.assertEqual(c.read(), bulks("q", f"e{i}"), f"client {i}")
            self.assertEqual(self.blocked(), self.CLIENTS - i - 1)
        self.assertEqual(self.r.exists("q"), 0)

    def test_one_push_of_many_elements_serves_many_clients_in_order(self):
        conns = [self.block("BRPOP", "q", FOREVER) for _ in range(10)]
        # RPUSH e0..e9 then BRPOP from the tail: the first waiter gets e9.
        self.assertEqual(self.r.rpush("q", *[f"e{i}" for i in range(10)]), 10)
        got = [c.read() for c in conns]
        self.assertEqual(got, [bulks("q", f"e{9 - i}") for i in range(10)])
        self.wait_blocked(0)
        self.assertEqual(self.r.exists("q"), 0)

    def test_more_waiters_than_elements(self):
        conns = [self.block("BLPOP", "q", FOREVER) for _ in range(5)]
        self.r.rpush("q", "a", "b")
        self.assertEqual(conns[0].read(), bulks("q", "a"))
        self.assertEqual(conns[1].read(), bulks("q", "b"))
        self.wait_blocked(3)
        for c in conns[2:]:
            self.assertNoReply(c, secs=0.1)
        self.r.rpush("q", "c")
        self.assertEqual(conns[2].read(), bulks("q", "c"))

    def test_waiters_on_two_keys_keep_their_order_per_key(self):
        both = self.block("BLPOP", "k1", "k2", FOREVER)
        only2 = self.block("BLPOP", "k2", FOREVER)
        only1 = self.block("BLPOP", "k1", FOREVER)
        self.r.rpush("k2", "a")
        self.assertEqual(both.read(), bulks("k2", "a"))
        self.r.rpush("k1", "b")
        self.assertEqual(only1.read(), bulks("k1", "b"))
        self.r.rpush("k2", "c")
        self.assertEqual(only2.read(), bulks("k2", "c"))
        self.assertEqual(self.blocked(), 0)


class DisconnectTest(BlockingTestCase):
    """Redis keeps reading a blocked client's socket: a client that goes
    away stops waiting at once, and the next waiter gets the next element.
    Each case runs with timeout 0 and with a finite timeout (then a timer
    is pending too)."""

    FINITE = "30"

    def await_noticed(self, n):
        """Gives the server a moment to count a closed client out. Whether
        it does is asserted by test_a_closed_waiter_is_no_longer_counted;
        the other tests assert where the elements go."""
        try:
            harness.wait_for(lambda: self.blocked() == n, timeout=NOTICE_SECS)
        except TimeoutError:
            pass

    def closed_waiter_is_no_longer_counted(self, timeout):
        conns = [self.block("BLPOP", "k", timeout) for _ in range(3)]
        conns[1].close()
        self.wait_blocked(2)
        conns[0].close()
        conns[2].close()
        self.wait_blocked(0)

    def test_a_closed_waiter_is_no_longer_counted(self):
        self.closed_waiter_is_no_longer_counted(FOREVER)

    def test_a_closed_waiter_with_a_timeout_is_no_longer_counted(self):
        self.closed_waiter_is_no_longer_counted(self.FINITE)

    def closed_waiter_loses_nothing(self, timeout):
        gone = self.block("BLPOP", "k", timeout)
        stays = self.block("BLPOP", "k", timeout)
        gone.close()
        self.await_noticed(1)
        self.assertEqual(self.r.rpush("k", "a"), 1)
        self.assertEqual(stays.read(), bulks("k", "a"))
        self.assertEqual(self.r.exists("k"), 0)

    def test_a_closed_waiter_does_not_lose_the_next_element(self):
        self.closed_waiter_loses_nothing(FOREVER)

    def test_a_closed_waiter_with_a_timeout_does_not_lose_the_next_element(self):
        self.closed_waiter_loses_nothing(self.FINITE)

    def test_every_other_waiter_disconnects(self):
        conns = [self.block("BLPOP", "k", self.FINITE) for _ in range(10)]
        for c in conns[0::2]:
            c.close()
        self.await_noticed(5)
        for i, c in enumerate(conns[1::2]):
            self.r.rpush("k", f"e{i}")
            self.assertEqual(c.read(), bulks("k", f"e{i}"), f"waiter {2 * i + 1}")
        self.assertEqual(self.r.exists("k"), 0)

    def test_a_closed_blmove_waiter_moves_nothing(self):
        gone = self.block("BLMOVE", "src", "gone-dst", "LEFT", "LEFT", self.FINITE)
        stays = self.block("BLMOVE", "src", "dst", "LEFT", "LEFT", self.FINITE)
        gone.close()
        self.await_noticed(1)
        self.r.rpush("src", "a")
        self.assertEqual(stays.read(), bulk("a"))
        self.assertEqual(self.r.lrange("dst", 0, -1), ["a"])
        self.assertEqual(self.r.exists("src", "gone-dst"), 0)

    def test_client_kill_of_a_blocked_client(self):
        victim = self.connect()
        t, cid = victim.call("CLIENT", "ID")
        self.assertEqual(t, ":")
        self.block("BLPOP", "k", FOREVER, conn=victim)
        stays = self.block("BLPOP", "k", FOREVER)
        self.assertEqual(self.call("CLIENT", "KILL", "ID", str(cid)), (":", 1))
        self.assertTrue(victim.closed_by_server(timeout=REPLY_SECS), "killed client still open")
        self.wait_blocked(1)
        self.r.rpush("k", "a")
        self.assertEqual(stays.read(), bulks("k", "a"))


class InfoTest(BlockingTestCase):
    def test_blocked_clients_counts_waiters(self):
        self.assertEqual(self.blocked(), 0)
        conns = [self.block("BLPOP", "k", FOREVER), self.block("BZPOPMIN", "z", FOREVER),
                 self.block("BLMOVE", "k", "d", "LEFT", "LEFT", FOREVER),
                 self.block("BLPOP", "k", "z", "other", FOREVER)]
        self.assertEqual(self.blocked(), 4)
        self.r.rpush("k", "a")
        self.assertEqual(conns[0].read(), bulks("k", "a"))
        self.assertEqual(self.blocked(), 3)
        self.r.zadd("z", {"m": 1})
        self.assertEqual(conns[1].read(), bulks("z", "m", "1"))
        self.assertEqual(self.blocked(), 2)
        conns[2].close()
        self.wait_blocked(1)
        short = self.block("BRPOP", "x", "0.5")
        self.assertEqual(short.read(), NULL_ARRAY)
        self.wait_blocked(1)
        self.r.rpush("other", "b")
        self.assertEqual(conns[3].read(), bulks("other", "b"))
        self.assertEqual(self.blocked(), 0)


if __name__ == "__main__":
    unittest.main()
