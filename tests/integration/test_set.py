"""Set commands over a real socket: SADD SREM SMEMBERS SISMEMBER SMISMEMBER
SCARD SPOP SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION
SUNIONSTORE SDIFF SDIFFSTORE SSCAN.

Replies and error strings are Redis 7's. Happy paths go through redis-py;
errors and exact reply types (RESP2 and RESP3) through harness.RawConnection.
"""
import unittest

import harness

NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
INT64_MIN = -9223372036854775808
COUNT_RANGE = ("ERR value is out of range, value must between -9223372036854775807 and "
               "9223372036854775807")


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def members(reply):
    """The sorted bulk payloads of an array or set reply."""
    return sorted(v for _, v in reply[1])


class SetTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""

    def sadd(self, key, items):
        items = [str(i) for i in items]
        for i in range(0, len(items), 1000):
            self.r.sadd(key, *items[i:i + 1000])

    def scan_all(self, key, count=None, match=None, cursor=0):
        seen = []
        while True:
            cursor, page = self.r.sscan(key, cursor, match=match, count=count)
            seen.extend(page)
            if cursor == 0:
                return seen


def restart(case):
    """Stops the class's server cleanly and starts it on the same data."""
    case.assertEqual(case.server.stop(), 0)
    case.server.start()
    case.raw.close()
    type(case).raw = harness.RawConnection(case.server.port)


class SaddSremTest(SetTestCase):
    def test_sadd_counts_new_members_once(self):
        self.assertEqual(self.call("SADD", "s", "a", "b", "a"), (":", 2))
        self.assertEqual(self.call("SADD", "s", "b", "c"), (":", 1))
        self.assertEqual(self.call("SADD", "s", "a"), (":", 0))
        self.assertEqual(self.r.smembers("s"), {"a", "b", "c"})
        self.assertEqual(self.r.scard("s"), 3)
        self.assertEqual(self.r.type("s"), "set")

    def test_srem_counts_removed_members_and_deletes_an_empty_set(self):
        self.r.sadd("s", "a", "b", "c")
        self.assertEqual(self.call("SREM", "s", "a", "a", "x"), (":", 1))
        self.assertEqual(self.r.smembers("s"), {"b", "c"})
        self.assertEqual(self.call("SREM", "nokey", "a"), (":", 0))
        self.assertEqual(self.r.srem("s", "b", "c"), 2)
        self.assertEqual(self.r.exists("s"), 0)

    def test_members_are_binary_safe(self):
        m = b"\x00\xff\r\n"
        self.assertEqual(self.rb.sadd(b"s", m, b""), 2)
        self.assertEqual(self.rb.smembers(b"s"), {m, b""})
        self.assertEqual(self.rb.sismember(b"s", b""), True)

    def test_membership_and_cardinality(self):
        self.r.sadd("s", "a", "b")
        self.assertEqual(self.call("SISMEMBER", "s", "a"), (":", 1))
        self.assertEqual(self.call("SISMEMBER", "s", "z"), (":", 0))
        self.assertEqual(self.call("SISMEMBER", "nokey", "a"), (":", 0))
        self.assertEqual(self.call("SMISMEMBER", "s", "a", "z", "b"),
                         ("*", [(":", 1), (":", 0), (":", 1)]))
        self.assertEqual(self.call("SMISMEMBER", "nokey", "a", "b"), ("*", [(":", 0), (":", 0)]))
        self.assertEqual(self.call("SCARD", "s"), (":", 2))
        self.assertEqual(self.call("SCARD", "nokey"), (":", 0))
        self.assertEqual(self.call("SMEMBERS", "nokey"), ("*", []))

    def test_large_set(self):
        self.sadd("s", range(5000))
        self.assertEqual(self.r.scard("s"), 5000)
        self.assertEqual(self.r.smembers("s"), {str(i) for i in range(5000)})
        self.assertEqual(self.r.sismember("s", "4999"), True)

    def test_expired_set_reads_as_missing(self):
        self.r.sadd("s", "a")
        self.r.pexpire("s", 30)
        harness.wait_for(lambda: self.r.scard("s") == 0, timeout=5, what="set to expire")
        self.assertEqual(self.r.sadd("s", "b"), 1)
        self.assertEqual(self.r.smembers("s"), {"b"})


class SpopTest(SetTestCase):
    def test_spop_without_count_removes_one_member(self):
        self.r.sadd("s", "a", "b", "c")
        got = self.r.spop("s")
        self.assertIn(got, {"a", "b", "c"})
        self.assertEqual(self.r.smembers("s"), {"a", "b", "c"} - {got})
        self.r.spop("s")
        self.r.spop("s")
        self.assertEqual(self.r.exists("s"), 0)
        self.assertEqual(self.call("SPOP", "s"), ("$", None))

    def test_spop_with_count(self):
        self.sadd("s", range(100))
        got = self.r.spop("s", 30)
        self.assertEqual(len(set(got)), 30)
        self.assertEqual(self.r.scard("s"), 70)
        self.assertEqual(self.r.smembers("s") & set(got), set())
        rest = self.r.spop("s", 1000)
        self.assertEqual(set(got) | set(rest), {str(i) for i in range(100)})
        self.assertEqual(self.r.exists("s"), 0)

    def test_spop_on_a_large_set(self):
        self.sadd("s", (f"m{i:05}" for i in range(3000)))
        got = self.r.spop("s", 100)
        self.assertEqual(len(set(got)), 100)
        self.assertEqual(self.r.scard("s"), 2900)
        self.assertEqual(self.r.smismember("s", got), [0] * 100)
        got = self.r.spop("s", 2000)  # a large share: distinct too
        self.assertEqual(len(set(got)), 2000)
        self.assertEqual(self.r.scard("s"), 900)

    def test_spop_count_edge_cases(self):
        self.r.sadd("s", "a")
        self.assertEqual(self.call("SPOP", "s", "0"), ("*", []))
        self.assertEqual(self.call("SPOP", "nokey", "3"), ("*", []))
        self.assertError(("SPOP", "s", "-1"), "ERR value is out of range, must be positive")
        self.assertError(("SPOP", "s", "x"), NOT_INT)
        self.assertError(("SPOP", "s", "1", "2"), SYNTAX)
        self.assertEqual(self.r.smembers("s"), {"a"})


class SrandmemberTest(SetTestCase):
    def setUp(self):
        super().setUp()
        self.all = {f"m{i}" for i in range(20)}
        self.r.sadd("s", *self.all)

    def test_single_member(self):
        for _ in range(10):
            self.assertIn(self.r.srandmember("s"), self.all)
        self.assertEqual(self.call("SRANDMEMBER", "nokey"), ("$", None))
        self.assertEqual(self.r.scard("s"), 20)

    def test_positive_count_is_distinct_and_negative_may_repeat(self):
        got = self.r.srandmember("s", 8)
        self.assertEqual(len(set(got)), 8)
        self.assertTrue(set(got) <= self.all)
        self.assertEqual(sorted(self.r.srandmember("s", 50)), sorted(self.all))
        got = self.r.srandmember("s", -60)
        self.assertEqual(len(got), 60)
        self.assertTrue(set(got) <= self.all)

    def test_large_set(self):
        big = {f"u:{i}" for i in range(4000)}
        self.sadd("big", big)
        got = self.r.srandmember("big", 300)
        self.assertEqual(len(set(got)), 300)
        self.assertTrue(set(got) <= big)
        got = self.r.srandmember("big", -300)
        self.assertEqual(len(got), 300)
        self.assertTrue(set(got) <= big)
        self.assertGreater(len(set(got)), 200)  # spread over the set

    def test_edge_cases_and_errors(self):
        self.assertEqual(self.call("SRANDMEMBER", "s", "0"), ("*", []))
        self.assertEqual(self.call("SRANDMEMBER", "nokey", "5"), ("*", []))
        self.assertEqual(self.call("SRANDMEMBER", "nokey", "-5"), ("*", []))
        self.assertError(("SRANDMEMBER", "s", "x"), NOT_INT)
        self.assertError(("SRANDMEMBER", "s", str(INT64_MIN)), COUNT_RANGE)
        self.assertError(("SRANDMEMBER", "s", "1", "2"), SYNTAX)


class SmoveTest(SetTestCase):
    def test_smove_moves_a_member(self):
        self.r.sadd("a", "x", "y")
        self.r.sadd("b", "z")
        self.assertEqual(self.call("SMOVE", "a", "b", "x"), (":", 1))
        self.assertEqual(self.r.smembers("a"), {"y"})
        self.assertEqual(self.r.smembers("b"), {"x", "z"})
        self.assertEqual(self.call("SMOVE", "a", "new", "y"), (":", 1))
        self.assertEqual(self.r.exists("a"), 0)
        self.assertEqual(self.r.smembers("new"), {"y"})

    def test_smove_of_a_member_already_in_the_destination(self):
        self.r.sadd("a", "x", "y")
        self.r.sadd("b", "x")
        self.assertEqual(self.r.smove("a", "b", "x"), True)
        self.assertEqual(self.r.smembers("a"), {"y"})
        self.assertEqual(self.r.smembers("b"), {"x"})

    def test_smove_of_a_missing_member_or_source(self):
        self.r.sadd("a", "x")
        self.assertEqual(self.call("SMOVE", "a", "b", "nope"), (":", 0))
        self.assertEqual(self.call("SMOVE", "nokey", "b", "x"), (":", 0))
        self.assertEqual(self.r.exists("b"), 0)

    def test_smove_to_the_same_set(self):
        self.r.sadd("a", "x")
        self.assertEqual(self.call("SMOVE", "a", "a", "x"), (":", 1))
        self.assertEqual(self.call("SMOVE", "a", "a", "y"), (":", 0))
        self.assertEqual(self.r.smembers("a"), {"x"})

    def test_smove_type_errors(self):
        self.r.sadd("a", "x")
        self.r.set("str", "v")
        self.assertError(("SMOVE", "a", "str", "x"), WRONGTYPE)
        self.assertError(("SMOVE", "str", "a", "x"), WRONGTYPE)
        self.assertEqual(self.r.smembers("a"), {"x"})
        # As Redis: a missing source answers 0 before the destination is looked at.
        self.assertEqual(self.call("SMOVE", "nokey", "str", "x"), (":", 0))


class AlgebraTest(SetTestCase):
    def setUp(self):
        super().setUp()
        self.r.sadd("a", "1", "2", "3", "4")
        self.r.sadd("b", "3", "4", "5")
        self.r.sadd("c", "4", "5", "6")

    def test_sinter_sunion_sdiff(self):
        self.assertEqual(self.r.sinter("a", "b"), {"3", "4"})
        self.assertEqual(self.r.sinter("a", "b", "c"), {"4"})
        self.assertEqual(self.r.sinter("a", "a"), {"1", "2", "3", "4"})
        self.assertEqual(self.r.sinter("a", "nokey"), set())
        self.assertEqual(self.r.sunion("a", "b", "nokey"), {"1", "2", "3", "4", "5"})
        self.assertEqual(self.r.sdiff("a", "b"), {"1", "2"})
        self.assertEqual(self.r.sdiff("a", "b", "c"), {"1", "2"})
        self.assertEqual(self.r.sdiff("a", "nokey"), {"1", "2", "3", "4"})
        self.assertEqual(self.r.sdiff("a", "a"), set())
        self.assertEqual(self.r.sdiff("nokey", "a"), set())
        self.assertEqual(self.r.sunion("nokey"), set())

    def test_results_come_sorted(self):
        self.assertEqual(self.call("SUNION", "c", "a")[1],
                         [("$", str(i).encode()) for i in range(1, 7)])

    def test_any_wrong_type_key_is_an_error(self):
        self.r.set("str", "v")
        for cmd in ("SINTER", "SUNION", "SDIFF"):
            self.assertError((cmd, "a", "str"), WRONGTYPE)
            self.assertError((cmd, "nokey", "str"), WRONGTYPE)
        for cmd in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
            self.assertError((cmd, "dst", "a", "str"), WRONGTYPE)
        self.assertError(("SINTERCARD", "2", "a", "str"), WRONGTYPE)
        self.assertEqual(self.r.exists("dst"), 0)

    def test_store_commands(self):
        self.assertEqual(self.call("SINTERSTORE", "d1", "a", "b"), (":", 2))
        self.assertEqual(self.r.smembers("d1"), {"3", "4"})
        self.assertEqual(self.call("SUNIONSTORE", "d2", "a", "c"), (":", 6))
        self.assertEqual(self.r.scard("d2"), 6)
        self.assertEqual(self.call("SDIFFSTORE", "d3", "a", "b"), (":", 2))
        self.assertEqual(self.r.smembers("d3"), {"1", "2"})

    def test_store_overwrites_the_destination_which_may_be_a_source(self):
        self.assertEqual(self.r.sinterstore("a", "a", "b"), 2)
        self.assertEqual(self.r.smembers("a"), {"3", "4"})
        self.assertEqual(self.r.sunionstore("b", "b", "c"), 4)
        self.assertEqual(self.r.smembers("b"), {"3", "4", "5", "6"})
        self.assertEqual(self.r.sdiffstore("c", "c", "a"), 2)
        self.assertEqual(self.r.smembers("c"), {"5", "6"})

    def test_store_replaces_another_type_and_drops_the_ttl(self):
        self.r.set("dst", "string", ex=100)
        self.assertEqual(self.r.sunionstore("dst", "a"), 4)
        self.assertEqual(self.r.type("dst"), "set")
        self.assertEqual(self.r.ttl("dst"), -1)
        self.r.hset("h", "f", "v")
        self.assertEqual(self.r.sinterstore("h", "a", "b"), 2)
        self.assertEqual(self.r.smembers("h"), {"3", "4"})

    def test_empty_result_deletes_the_destination(self):
        self.r.sadd("dst", "old")
        self.assertEqual(self.call("SINTERSTORE", "dst", "a", "nokey"), (":", 0))
        self.assertEqual(self.r.exists("dst"), 0)
        self.r.set("dst", "x")
        self.assertEqual(self.call("SDIFFSTORE", "dst", "a", "a"), (":", 0))
        self.assertEqual(self.r.exists("dst"), 0)
        self.assertEqual(self.call("SUNIONSTORE", "dst", "nokey"), (":", 0))
        self.assertEqual(self.r.exists("dst"), 0)

    def test_large_sets(self):
        self.sadd("x", range(0, 3000))
        self.sadd("y", range(1500, 4500))
        self.assertEqual(self.r.sintercard(2, ["x", "y"]), 1500)
        self.assertEqual(self.r.sinterstore("z", "x", "y"), 1500)
        self.assertEqual(self.r.sunionstore("u", "x", "y"), 4500)
        self.assertEqual(self.r.sdiff("x", "y"), {str(i) for i in range(1500)})
        self.assertEqual(self.r.smembers("z"), {str(i) for i in range(1500, 3000)})


class SintercardTest(SetTestCase):
    def setUp(self):
        super().setUp()
        self.r.sadd("a", "1", "2", "3", "4")
        self.r.sadd("b", "2", "3", "4", "5")

    def test_counts_and_limits(self):
        self.assertEqual(self.call("SINTERCARD", "2", "a", "b"), (":", 3))
        self.assertEqual(self.call("SINTERCARD", "1", "a"), (":", 4))
        self.assertEqual(self.call("SINTERCARD", "2", "a", "b", "LIMIT", "2"), (":", 2))
        self.assertEqual(self.call("SINTERCARD", "2", "a", "b", "limit", "0"), (":", 3))
        self.assertEqual(self.call("SINTERCARD", "2", "a", "b", "LIMIT", "10"), (":", 3))
        self.assertEqual(self.call("SINTERCARD", "2", "a", "nokey"), (":", 0))

    def test_errors(self):
        self.assertError(("SINTERCARD", "0", "a"), "ERR numkeys should be greater than 0")
        self.assertError(("SINTERCARD", "-1", "a"), "ERR numkeys should be greater than 0")
        self.assertError(("SINTERCARD", "x", "a"), "ERR numkeys should be greater than 0")
        self.assertError(("SINTERCARD", "3", "a", "b"),
                         "ERR Number of keys can't be greater than number of args")
        self.assertError(("SINTERCARD", "2", "a", "b", "LIMIT", "-1"),
                         "ERR LIMIT can't be negative")
        self.assertError(("SINTERCARD", "2", "a", "b", "LIMIT", "x"),
                         "ERR LIMIT can't be negative")
        self.assertError(("SINTERCARD", "2", "a", "b", "LIMIT"), SYNTAX)
        self.assertError(("SINTERCARD", "1", "a", "b"), SYNTAX)
        self.assertError(("SINTERCARD", "1"), arity("sintercard"))


class SscanTest(SetTestCase):
    def test_small_set_comes_back_whole(self):
        self.r.sadd("s", *range(100))
        cursor, page = self.r.sscan("s", 0, count=3)
        self.assertEqual(cursor, 0)
        self.assertEqual(set(page), {str(i) for i in range(100)})

    def test_large_set_in_pages(self):
        self.sadd("s", range(2000))
        seen = self.scan_all("s", count=77)
        self.assertEqual(len(seen), 2000)
        self.assertEqual(set(seen), {str(i) for i in range(2000)})
        seen = self.scan_all("s", count=500, match="1?")
        self.assertEqual(sorted(seen), sorted(str(i) for i in range(10, 20)))

    def test_scan_continues_after_a_restart(self):
        self.sadd("s", range(1000))
        cursor, page = self.r.sscan("s", 0, count=300)
        self.assertNotEqual(cursor, 0)
        restart(self)
        seen = page + self.scan_all("s", count=300, cursor=cursor)
        self.assertEqual(set(seen), {str(i) for i in range(1000)})
        self.assertEqual(len(seen), 1000)

    def test_errors_and_missing_key(self):
        self.assertEqual(self.call("SSCAN", "nokey", "0"), ("*", [("$", b"0"), ("*", [])]))
        self.r.sadd("s", "a")
        self.assertError(("SSCAN", "s", "x"), "ERR invalid cursor")
        self.assertError(("SSCAN", "s", "0", "COUNT", "0"), SYNTAX)
        self.assertError(("SSCAN", "s", "0", "COUNT"), SYNTAX)
        self.assertError(("SSCAN", "s", "0", "NOVALUES"), SYNTAX)


class WrongTypeTest(SetTestCase):
    def test_every_command_refuses_a_string_key(self):
        self.r.set("k", "v")
        for args in (("SADD", "k", "m"), ("SREM", "k", "m"), ("SMEMBERS", "k"),
                     ("SISMEMBER", "k", "m"), ("SMISMEMBER", "k", "m"), ("SCARD", "k"),
                     ("SPOP", "k"), ("SPOP", "k", "2"), ("SRANDMEMBER", "k"),
                     ("SRANDMEMBER", "k", "2"), ("SSCAN", "k", "0")):
            self.assertError(args, WRONGTYPE)
        self.assertEqual(self.r.get("k"), "v")


class Resp3Test(SetTestCase):
    def setUp(self):
        super().setUp()
        self.r3 = harness.RawConnection(self.server.port)
        self.addCleanup(self.r3.close)
        self.assertEqual(self.r3.call("HELLO", "3")[0], "%")
        self.r.sadd("a", "1", "2", "3")
        self.r.sadd("b", "2", "3", "4")

    def test_set_replies_are_sets_in_resp3_and_arrays_in_resp2(self):
        for args in (("SMEMBERS", "a"), ("SINTER", "a", "b"), ("SUNION", "a", "b"),
                     ("SDIFF", "a", "b")):
            t3, v3 = self.r3.call(*args)
            t2, v2 = self.call(*args)
            self.assertEqual((t3, t2), ("~", "*"), args)
            self.assertEqual(sorted(v3), sorted(v2))
        self.assertEqual(self.r3.call("SMEMBERS", "nokey"), ("~", []))
        self.assertEqual(self.r3.call("SINTER", "a", "nokey"), ("~", []))

    def test_spop_count_is_a_set_and_srandmember_count_an_array(self):
        t, v = self.r3.call("SPOP", "a", "2")
        self.assertEqual((t, len(v)), ("~", 2))
        self.assertEqual(self.r3.call("SPOP", "nokey", "2"), ("~", []))
        t, v = self.r3.call("SRANDMEMBER", "b", "-4")
        self.assertEqual((t, len(v)), ("*", 4))
        self.assertEqual(self.r3.call("SRANDMEMBER", "nokey"), ("_", None))
        self.assertEqual(self.r3.call("SPOP", "nokey"), ("_", None))

    def test_other_reply_types(self):
        self.assertEqual(self.r3.call("SMISMEMBER", "b", "2", "9"), ("*", [(":", 1), (":", 0)]))
        self.assertEqual(self.r3.call("SINTERCARD", "2", "a", "b"), (":", 2))
        self.assertEqual(self.r3.call("SSCAN", "b", "0")[0], "*")


class RestartTest(SetTestCase):
    def test_sets_survive_a_restart(self):
        self.sadd("big", range(3000))
        self.r.sadd("a", "1", "2", "3")
        self.r.srem("a", "2")
        self.r.sadd("b", "3", "4")
        self.r.sinterstore("i", "a", "b")
        self.r.smove("b", "c", "4")
        self.r.spop("big", 10)
        big = self.r.smembers("big")
        restart(self)
        self.assertEqual(self.r.smembers("big"), big)
        self.assertEqual(self.r.scard("big"), 2990)
        self.assertEqual(self.r.smembers("a"), {"1", "3"})
        self.assertEqual(self.r.smembers("i"), {"3"})
        self.assertEqual(self.r.smembers("b"), {"3"})
        self.assertEqual(self.r.smembers("c"), {"4"})
        self.assertEqual(self.r.sadd("big", "new"), 1)


if __name__ == "__main__":
    unittest.main()
