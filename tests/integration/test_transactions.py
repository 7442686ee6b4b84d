"""MULTI / EXEC / DISCARD / WATCH / UNWATCH on a single node.

A transaction is one replicated operation (server/transaction.cc): the
queued commands run all together, and WATCH compares a digest of each
watched key taken at WATCH with the key's state when EXEC is applied.
Replies and error strings are Redis 7's; the exact reply types (RESP2 and
RESP3) are checked on the wire with harness.RawConnection.
"""
import threading
import time
import unittest

import redis

import harness

EXECABORT = "EXECABORT Transaction discarded because of previous errors."
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
QUEUED = ("+", "QUEUED")
OK = ("+", "OK")
NULL_ARRAY = ("*", None)

# Bound of the concurrency tests (seconds of load).
LOAD_SECONDS = 3.0


def bulk(s):
    return ("$", s.encode() if isinstance(s, str) else s)


class TransactionTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""

    def setUp(self):
        super().setUp()
        # A connection left inside MULTI (or watching) by a failed test
        # would queue every later command: start each test clean.
        self.call("DISCARD")
        self.assertEqual(self.call("UNWATCH"), OK)

    def connect(self, resp3=False):
        c = harness.RawConnection(self.server.port)
        self.addCleanup(c.close)
        if resp3:
            self.assertEqual(c.call("HELLO", "3")[0], "%")
        return c

    def transaction(self, conn, *commands):
        """MULTI, each command (asserting QUEUED), EXEC; returns EXEC's reply."""
        self.assertEqual(conn.call("MULTI"), OK)
        for cmd in commands:
            self.assertEqual(conn.call(*cmd), QUEUED, f"queueing {cmd!r}")
        return conn.call("EXEC")


class QueueAndExecTest(TransactionTestCase):
    def test_exec_runs_the_queued_commands_in_order(self):
        reply = self.transaction(self.raw, ("SET", "k", "1"), ("INCR", "k"), ("GET", "k"),
                                 ("RPUSH", "l", "a", "b"), ("LRANGE", "l", "0", "-1"))
        self.assertEqual(reply, ("*", [OK, (":", 2), bulk("2"), (":", 2),
                                       ("*", [bulk("a"), bulk("b")])]))
        self.assertEqual(self.r.get("k"), "2")

    def test_queued_commands_do_not_run_before_exec(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        self.assertIsNone(self.r.get("k"), "a queued SET ran before EXEC")
        self.assertEqual(self.call("EXEC"), ("*", [OK]))
        self.assertEqual(self.r.get("k"), "v")

    def test_an_empty_transaction_replies_an_empty_array(self):
        self.assertEqual(self.transaction(self.raw), ("*", []))

    def test_keyless_ping_echo_time_dbsize_can_be_queued(self):
        self.r.set("x", "1")
        t, v = self.transaction(self.raw, ("PING",), ("ECHO", "hi"), ("SET", "y", "2"),
                                ("DBSIZE",), ("TIME",))
        self.assertEqual(t, "*")
        self.assertEqual(v[:4], [("+", "PONG"), bulk("hi"), OK, (":", 2)])
        self.assertEqual(v[4][0], "*")
        secs, usecs = (int(x[1]) for x in v[4][1])
        self.assertLess(abs(secs - time.time()), 60)
        self.assertLess(usecs, 1_000_000)

    def test_exec_leaves_multi_state(self):
        self.assertEqual(self.transaction(self.raw, ("SET", "k", "v")), ("*", [OK]))
        self.assertEqual(self.call("GET", "k"), bulk("v"))
        self.assertEqual(self.call("EXEC"), ("-", "ERR EXEC without MULTI"))

    def test_redis_py_transactional_pipeline(self):
        p = self.r.pipeline(transaction=True)
        p.set("a", "1").incrby("a", 41).hset("h", mapping={"f": "v"}).zadd("z", {"m": 2})
        p.get("a").hgetall("h").zscore("z", "m")
        self.assertEqual(p.execute(), [True, 42, 1, 1, "42", {"f": "v"}, 2.0])


class QueueingErrorsTest(TransactionTestCase):
    def test_nested_multi_is_an_error_and_keeps_the_transaction(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        self.assertEqual(self.call("MULTI"), ("-", "ERR MULTI calls can not be nested"))
        self.assertEqual(self.call("EXEC"), ("*", [OK]))
        self.assertEqual(self.r.get("k"), "v")

    def test_exec_without_multi(self):
        self.assertEqual(self.call("EXEC"), ("-", "ERR EXEC without MULTI"))

    def test_discard_without_multi(self):
        self.assertEqual(self.call("DISCARD"), ("-", "ERR DISCARD without MULTI"))

    def test_watch_inside_multi_is_an_error_and_keeps_the_transaction(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("WATCH", "k"), ("-", "ERR WATCH inside MULTI is not allowed"))
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        self.assertEqual(self.call("EXEC"), ("*", [OK]))
        self.assertEqual(self.r.get("k"), "v")

    def test_unknown_command_while_queueing_discards_the_transaction(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        t, msg = self.call("NOSUCHCOMMAND", "x")
        self.assertEqual(t, "-")
        self.assertTrue(msg.startswith("ERR unknown command 'NOSUCHCOMMAND'"), msg)
        self.assertEqual(self.call("INCR", "n"), QUEUED)
        self.assertEqual(self.call("EXEC"), ("-", EXECABORT))
        self.assertEqual(self.r.exists("k", "n"), 0, "a discarded transaction ran")
        # and the connection is out of MULTI
        self.assertEqual(self.call("EXEC"), ("-", "ERR EXEC without MULTI"))
        self.assertEqual(self.call("SET", "k", "w"), OK)

    def test_wrong_arity_while_queueing_discards_the_transaction(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        self.assertEqual(self.call("GET"), ("-", "ERR wrong number of arguments for 'get' command"))
        self.assertEqual(self.call("LPUSH", "l"),
                         ("-", "ERR wrong number of arguments for 'lpush' command"))
        self.assertEqual(self.call("EXEC"), ("-", EXECABORT))
        self.assertEqual(self.r.exists("k"), 0)

    def test_a_command_that_cannot_be_queued_discards_the_transaction(self):
        # shoal runs a transaction as one replicated op: keyless commands
        # other than PING/ECHO/TIME/DBSIZE are refused while queueing.
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        t, msg = self.call("FLUSHALL")
        self.assertEqual(t, "-")
        self.assertTrue(msg.startswith("ERR"), msg)
        self.assertEqual(self.call("EXEC"), ("-", EXECABORT))
        self.assertEqual(self.r.exists("k"), 0)

    def test_discard_drops_the_queue(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("SET", "k", "v"), QUEUED)
        self.assertEqual(self.call("DISCARD"), OK)
        self.assertEqual(self.r.exists("k"), 0)
        self.assertEqual(self.call("EXEC"), ("-", "ERR EXEC without MULTI"))
        self.assertEqual(self.call("GET", "k"), ("$", None))

    def test_discard_after_a_queueing_error_leaves_the_connection_usable(self):
        self.assertEqual(self.call("MULTI"), OK)
        self.assertEqual(self.call("NOSUCHCOMMAND")[0], "-")
        self.assertEqual(self.call("DISCARD"), OK)
        self.assertEqual(self.transaction(self.raw, ("SET", "k", "v")), ("*", [OK]))


class RuntimeErrorsTest(TransactionTestCase):
    def test_runtime_errors_are_in_the_array_and_the_other_commands_run(self):
        self.r.set("s", "text")
        reply = self.transaction(self.raw, ("SET", "a", "1"), ("LPUSH", "s", "x"),
                                 ("INCR", "s"), ("HSET", "h", "f", "v"), ("INCR", "a"))
        self.assertEqual(reply, ("*", [OK, ("-", WRONGTYPE), ("-", NOT_INT), (":", 1), (":", 2)]))
        self.assertEqual(self.r.get("a"), "2")
        self.assertEqual(self.r.get("s"), "text")
        self.assertEqual(self.r.hgetall("h"), {"f": "v"})

    def test_syntax_errors_found_when_running_are_in_the_array(self):
        reply = self.transaction(self.raw, ("SET", "k", "v", "NX", "XX"), ("SET", "j", "w"))
        self.assertEqual(reply, ("*", [("-", "ERR syntax error"), OK]))
        self.assertEqual(self.r.exists("k"), 0)
        self.assertEqual(self.r.get("j"), "w")

    def test_a_command_sees_the_writes_of_the_earlier_ones(self):
        reply = self.transaction(self.raw, ("RPUSH", "l", "a", "b", "c"), ("LPOP", "l"),
                                 ("RENAME", "l", "m"), ("LRANGE", "m", "0", "-1"),
                                 ("EXISTS", "l"), ("DEL", "m"), ("TYPE", "m"))
        self.assertEqual(reply, ("*", [(":", 3), bulk("a"), OK, ("*", [bulk("b"), bulk("c")]),
                                       (":", 0), (":", 1), ("+", "none")]))

    def test_blocking_commands_inside_multi_do_not_block(self):
        self.r.rpush("full", "x", "y")
        self.r.zadd("zfull", {"m": 1, "n": 2})
        start = time.monotonic()
        reply = self.transaction(
            self.raw, ("BLPOP", "empty", "0"), ("BRPOP", "empty", "0"),
            ("BLMPOP", "0", "1", "empty", "LEFT"), ("BZPOPMIN", "zempty", "0"),
            ("BZPOPMAX", "zempty", "0"), ("BZMPOP", "0", "1", "zempty", "MIN"),
            ("BLPOP", "full", "0"), ("BZPOPMAX", "zfull", "0"))
        self.assertLess(time.monotonic() - start, 5.0)
        self.assertEqual(reply, ("*", [NULL_ARRAY] * 6 + [
            ("*", [bulk("full"), bulk("x")]),
            ("*", [bulk("zfull"), bulk("n"), bulk("2")])]))
        self.assertEqual(self.r.info("clients")["blocked_clients"], 0)
        self.assertEqual(self.r.lrange("full", 0, -1), ["y"])
        self.assertEqual(self.call("PING"), ("+", "PONG"))

    def test_blmove_and_brpoplpush_inside_multi_reply_a_null_bulk_on_empty(self):
        # Redis: a non-blocking BLMOVE on an empty list replies null (not
        # the null array of a timeout).
        reply = self.transaction(self.raw, ("BLMOVE", "empty", "d", "LEFT", "RIGHT", "0"),
                                 ("BRPOPLPUSH", "empty", "d", "0"))
        self.assertEqual(reply, ("*", [("$", None), ("$", None)]))
        self.assertEqual(self.r.exists("d"), 0)


class ReplyProtocolTest(TransactionTestCase):
    COMMANDS = (("HSET", "h", "f", "1"), ("HGETALL", "h"), ("ZADD", "z", "1.5", "m"),
                ("ZSCORE", "z", "m"), ("SADD", "s", "x"), ("SMEMBERS", "s"), ("GET", "missing"),
                ("LPUSH", "h", "x"), ("INCR", "n"))

    def test_exec_reply_in_resp2(self):
        reply = self.transaction(self.raw, *self.COMMANDS)
        self.assertEqual(reply, ("*", [
            (":", 1), ("*", [bulk("f"), bulk("1")]), (":", 1), bulk("1.5"), (":", 1),
            ("*", [bulk("x")]), ("$", None), ("-", WRONGTYPE), (":", 1)]))

    def test_exec_reply_in_resp3(self):
        c = self.connect(resp3=True)
        reply = self.transaction(c, *self.COMMANDS)
        self.assertEqual(reply, ("*", [
            (":", 1), ("%", [(bulk("f"), bulk("1"))]), (":", 1), (",", "1.5"), (":", 1),
            ("~", [bulk("x")]), ("_", None), ("-", WRONGTYPE), (":", 1)]))

    def test_aborted_exec_is_a_null_array_in_resp2_and_a_null_in_resp3(self):
        for resp3, expected in ((False, NULL_ARRAY), (True, ("_", None))):
            with self.subTest(resp3=resp3):
                c = self.connect(resp3=resp3)
                self.assertEqual(c.call("WATCH", "k"), OK)
                self.r.set("k", f"changed-{resp3}")
                self.assertEqual(self.transaction(c, ("SET", "k", "mine")), expected)
                self.assertEqual(self.r.get("k"), f"changed-{resp3}")


class WatchTest(TransactionTestCase):
    def watch_then(self, keys, change, *commands):
        """WATCH keys on a fresh connection, let `change()` run (another
        client), then MULTI/commands/EXEC; returns EXEC's reply."""
        c = self.connect()
        self.assertEqual(c.call("WATCH", *keys), OK)
        change()
        return self.transaction(c, *commands)

    def assertAborts(self, keys, change, msg=None):
        reply = self.watch_then(keys, change, ("SET", "marker", "ran"))
        self.assertEqual(reply, NULL_ARRAY, msg)
        self.assertIsNone(self.r.get("marker"), "an aborted transaction wrote")

    def assertRuns(self, keys, change, msg=None):
        self.r.delete("marker")
        reply = self.watch_then(keys, change, ("SET", "marker", "ran"))
        self.assertEqual(reply, ("*", [OK]), msg)
        self.assertEqual(self.r.get("marker"), "ran")

    def test_unchanged_keys_let_exec_run(self):
        self.r.set("k", "v")
        self.r.rpush("l", "a")

        def reads_and_other_writes():
            self.assertEqual(self.r.get("k"), "v")
            self.assertEqual(self.r.lrange("l", 0, -1), ["a"])
            self.r.set("other", "x")
            self.r.rpush("other-list", "y")

        self.assertRuns(["k", "l", "missing"], reads_and_other_writes)

    def test_a_string_changed_by_another_client_aborts(self):
        self.r.set("k", "v1")
        self.assertAborts(["k"], lambda: self.r.set("k", "v2"))
        self.assertEqual(self.r.get("k"), "v2")

    def test_an_incr_by_another_client_aborts(self):
        self.r.set("n", "1")
        self.assertAborts(["n"], lambda: self.r.incr("n"))

    def test_a_list_changed_by_another_client_aborts(self):
        self.r.rpush("l", "a", "b")
        self.assertAborts(["l"], lambda: self.r.rpush("l", "c"))
        self.assertAborts(["l"], lambda: self.r.lset("l", 0, "z"))
        self.assertAborts(["l"], lambda: self.r.lpop("l"))
        self.assertEqual(self.r.lrange("l", 0, -1), ["b", "c"])

    def test_a_list_replaced_by_one_of_the_same_length_aborts(self):
        self.r.rpush("l", "a")

        def replace():
            p = self.r.pipeline(transaction=False)
            p.lpop("l").rpush("l", "b")
            self.assertEqual(p.execute(), ["a", 1])

        self.assertAborts(["l"], replace)

    def test_hash_set_and_zset_changes_abort(self):
        self.r.hset("h", "f", "1")
        self.r.sadd("s", "x")
        self.r.zadd("z", {"m": 1})
        self.assertAborts(["h"], lambda: self.r.hset("h", "f", "2"))
        self.assertAborts(["h"], lambda: self.r.hincrby("h", "g", 1))
        self.assertAborts(["s"], lambda: self.r.sadd("s", "y"))
        self.assertAborts(["z"], lambda: self.r.zincrby("z", 1, "m"))
        self.assertAborts(["z"], lambda: self.r.zadd("z", {"m": 5}))

    def test_a_del_by_another_client_aborts(self):
        self.r.set("k", "v")
        self.r.rpush("l", "a")
        self.assertAborts(["k"], lambda: self.r.delete("k"))
        self.assertAborts(["l"], lambda: self.r.delete("l"))

    def test_creating_a_watched_missing_key_aborts(self):
        self.assertAborts(["k"], lambda: self.r.set("k", "v"))
        self.assertAborts(["l"], lambda: self.r.rpush("l", "a"))

    def test_expiry_of_a_watched_key_aborts(self):
        self.r.set("k", "v", px=100)
        self.r.rpush("l", "a")
        self.r.pexpire("l", 100)

        def expire():
            harness.wait_for(lambda: self.r.exists("k", "l") == 0, timeout=5,
                             what="k and l to expire")

        self.assertAborts(["k", "l"], expire)

    def test_a_ttl_change_aborts(self):
        self.r.set("k", "v")
        self.assertAborts(["k"], lambda: self.r.expire("k", 100))
        self.assertAborts(["k"], lambda: self.r.persist("k"))

    def test_any_of_several_watched_keys_aborts(self):
        self.r.mset({"a": "1", "b": "1", "c": "1"})
        self.assertAborts(["a", "b", "c"], lambda: self.r.set("c", "2"))
        self.assertAborts(["a"], lambda: self.r.mset({"x": "1", "a": "3"}))

    def test_a_transaction_of_another_client_aborts(self):
        self.r.set("k", "1")

        def other_transaction():
            p = self.r.pipeline(transaction=True)
            p.incr("k").incr("j")
            self.assertEqual(p.execute(), [2, 1])

        self.assertAborts(["k"], other_transaction)

    def test_a_write_by_the_watching_client_itself_aborts(self):
        self.r.set("k", "1")
        c = self.connect()
        self.assertEqual(c.call("WATCH", "k"), OK)
        self.assertEqual(c.call("SET", "k", "2"), OK)
        self.assertEqual(self.transaction(c, ("SET", "k", "3")), NULL_ARRAY)
        self.assertEqual(self.r.get("k"), "2")

    def test_a_list_deleted_and_recreated_in_the_same_batch_aborts(self):
        # The watching client pipelines its own DEL + RPUSH (Redis aborts on
        # any write to a watched key, by any client). The new list has the
        # same length but another element.
        c = self.connect()
        cmds = [("RPUSH", "l", "a"), ("WATCH", "l"), ("DEL", "l"), ("RPUSH", "l", "b"),
                ("MULTI",), ("LRANGE", "l", "0", "-1"), ("EXEC",)]
        c.send(b"".join(harness.raw_command(*x) for x in cmds))
        replies = [c.read() for _ in cmds]
        self.assertEqual(replies[:6], [(":", 1), OK, (":", 1), (":", 1), OK, QUEUED])
        self.assertEqual(replies[6], NULL_ARRAY,
                         "EXEC ran although the watched list [a] was replaced by [b]")

    def test_unwatch_forgets_the_watched_keys(self):
        self.r.set("k", "v")
        c = self.connect()
        self.assertEqual(c.call("WATCH", "k"), OK)
        self.r.set("k", "changed")
        self.assertEqual(c.call("UNWATCH"), OK)
        self.assertEqual(self.transaction(c, ("GET", "k")), ("*", [bulk("changed")]))

    def test_unwatch_without_watch_is_ok(self):
        self.assertEqual(self.call("UNWATCH"), OK)

    def test_exec_forgets_the_watched_keys(self):
        self.r.set("k", "v")
        c = self.connect()
        self.assertEqual(c.call("WATCH", "k"), OK)
        self.r.set("k", "changed")
        self.assertEqual(self.transaction(c, ("GET", "k")), NULL_ARRAY)
        self.r.set("k", "again")
        self.assertEqual(self.transaction(c, ("GET", "k")), ("*", [bulk("again")]))
        # a successful EXEC forgets them too
        self.assertEqual(c.call("WATCH", "k"), OK)
        self.assertEqual(self.transaction(c, ("GET", "k")), ("*", [bulk("again")]))
        self.r.set("k", "third")
        self.assertEqual(self.transaction(c, ("GET", "k")), ("*", [bulk("third")]))

    def test_discard_forgets_the_watched_keys(self):
        self.r.set("k", "v")
        c = self.connect()
        self.assertEqual(c.call("WATCH", "k"), OK)
        self.assertEqual(c.call("MULTI"), OK)
        self.assertEqual(c.call("DISCARD"), OK)
        self.r.set("k", "changed")
        self.assertEqual(self.transaction(c, ("GET", "k")), ("*", [bulk("changed")]))

    def test_execabort_forgets_the_watched_keys(self):
        self.r.set("k", "v")
        c = self.connect()
        self.assertEqual(c.call("WATCH", "k"), OK)
        self.assertEqual(c.call("MULTI"), OK)
        self.assertEqual(c.call("NOSUCHCOMMAND")[0], "-")
        self.assertEqual(c.call("EXEC"), ("-", EXECABORT))
        self.r.set("k", "changed")
        self.assertEqual(self.transaction(c, ("GET", "k")), ("*", [bulk("changed")]))

    def test_watch_several_times_accumulates_keys(self):
        self.r.mset({"a": "1", "b": "1"})
        c = self.connect()
        self.assertEqual(c.call("WATCH", "a"), OK)
        self.assertEqual(c.call("WATCH", "b"), OK)
        self.r.set("a", "2")
        self.assertEqual(self.transaction(c, ("GET", "b")), NULL_ARRAY)

    def test_watch_needs_a_key(self):
        self.assertEqual(self.call("WATCH"),
                         ("-", "ERR wrong number of arguments for 'watch' command"))

    def test_optimistic_increments_lose_no_update(self):
        """The WATCH/GET/MULTI/SET/EXEC retry loop of the Redis docs, from
        several clients at once: every increment lands exactly once."""
        threads_n, per_thread = 4, 60
        self.r.set("counter", "0")
        errors, aborts = [], [0]
        mu = threading.Lock()

        def worker():
            c = self.server.client(decode_responses=True)
            try:
                done = 0
                deadline = time.monotonic() + 30
                while done < per_thread and time.monotonic() < deadline:
                    with c.pipeline() as p:
                        try:
                            p.watch("counter")
                            v = int(p.get("counter"))
                            p.multi()
                            p.set("counter", v + 1)
                            p.execute()
                            done += 1
                        except redis.WatchError:
                            with mu:
                                aborts[0] += 1
                if done < per_thread:
                    errors.append(f"only {done} increments in 30 s")
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(repr(e))
            finally:
                c.close()

        ts = [threading.Thread(target=worker) for _ in range(threads_n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=60)
        self.assertFalse(any(t.is_alive() for t in ts), "a worker hangs")
        self.assertEqual(errors, [])
        self.assertEqual(self.r.get("counter"), str(threads_n * per_thread),
                         f"lost updates ({aborts[0]} aborted attempts)")


class AtomicityTest(TransactionTestCase):
    def test_readers_never_see_half_a_transaction(self):
        """One client runs MULTI / INCR a / INCR b / EXEC in a loop; other
        clients read a and b: MGET and a read-only transaction always see
        a == b, and GET a then GET b see a <= b."""
        stop = threading.Event()
        execs, errors = [0], []

        def writer():
            c = self.server.client(decode_responses=True)
            try:
                while not stop.is_set():
                    p = c.pipeline(transaction=True)
                    p.incr("a").incr("b")
                    a, b = p.execute()
                    if a != b:
                        errors.append(f"EXEC replied INCR a={a}, INCR b={b}")
                    execs[0] += 1
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(f"writer: {e!r}")
            finally:
                c.close()

        def reader(kind, seen):
            c = self.server.client(decode_responses=True)
            try:
                while not stop.is_set():
                    if kind == "mget":
                        a, b = c.mget("a", "b")
                    elif kind == "multi":
                        p = c.pipeline(transaction=True)
                        a, b = p.get("a").get("b").execute()
                    else:
                        a = c.get("a")
                        b = c.get("b")
                    a, b = int(a or 0), int(b or 0)
                    seen[0] += 1
                    if (kind == "get" and a > b) or (kind != "get" and a != b):
                        errors.append(f"{kind}: a={a} b={b}")
                        return
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(f"reader {kind}: {e!r}")
            finally:
                c.close()

        counts = {k: [0] for k in ("mget", "multi", "get")}
        ts = [threading.Thread(target=writer)] + [
            threading.Thread(target=reader, args=(k, counts[k])) for k in counts]
        for t in ts:
            t.start()
        try:
            time.sleep(LOAD_SECONDS)  # the load's duration, not a wait for a condition
        finally:
            stop.set()
            for t in ts:
                t.join(timeout=30)
        self.assertFalse(any(t.is_alive() for t in ts), "a client thread hangs")
        self.assertEqual(errors, [])
        self.assertGreater(execs[0], 50)
        for k, n in counts.items():
            self.assertGreater(n[0], 50, f"too few {k} reads to mean anything")
        self.assertEqual(self.r.mget("a", "b"), [str(execs[0])] * 2)

    def test_a_pipeline_of_transactions_replies_in_order(self):
        c = self.connect()
        cmds = []
        for i in range(50):
            cmds += [("MULTI",), ("INCR", "a"), ("RPUSH", "l", str(i)), ("EXEC",)]
        c.send(b"".join(harness.raw_command(*x) for x in cmds))
        for i in range(50):
            self.assertEqual(c.read(), OK)
            self.assertEqual(c.read(), QUEUED)
            self.assertEqual(c.read(), QUEUED)
            self.assertEqual(c.read(), ("*", [(":", i + 1), (":", i + 1)]))
        self.assertEqual(self.r.lrange("l", 0, -1), [str(i) for i in range(50)])


class DurabilityTest(harness.ServerTestCase):
    def test_an_acknowledged_transaction_survives_sigkill(self):
        r = self.server.client(decode_responses=True)
        p = r.pipeline(transaction=True)
        p.set("k", "v").rpush("l", "a", "b").hset("h", "f", "1").zadd("z", {"m": 3})
        self.assertEqual(p.execute(), [True, 2, 1, 1])
        r.close()
        self.server.kill9()
        self.server.start()
        r = self.server.client(decode_responses=True)
        try:
            self.assertEqual(r.get("k"), "v")
            self.assertEqual(r.lrange("l", 0, -1), ["a", "b"])
            self.assertEqual(r.hgetall("h"), {"f": "1"})
            self.assertEqual(r.zscore("z", "m"), 3.0)
        finally:
            r.close()


if __name__ == "__main__":
    unittest.main()
