"""Sorted-set commands over a real socket: ZADD (NX XX GT LT CH INCR) ZINCRBY
ZREM ZCARD ZCOUNT ZLEXCOUNT ZSCORE ZMSCORE ZRANK ZREVRANK ZRANGE (BYSCORE
BYLEX REV LIMIT WITHSCORES) ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE
ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE
ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP BZPOPMIN BZPOPMAX BZMPOP ZRANDMEMBER
ZSCAN ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD.

Replies and error strings are Redis 7's. Happy paths go through redis-py;
errors and exact reply types (RESP2 and RESP3) go through
harness.RawConnection. A seeded random model test compares the commands
against a Python dict.
"""
import random
import threading
import time
import unittest

import harness

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
RANGE_NOT_FLOAT = "ERR min or max is not a float"
RANGE_NOT_LEX = "ERR min or max not valid string range item"
NAN = "ERR resulting score is not a number (NaN)"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def bulk(s):
    return ("$", s.encode() if isinstance(s, str) else s)


def bulks(*items):
    return ("*", [bulk(i) for i in items])


def fmt(score):
    """Redis 7.0's RESP2 score text (%.17g, inf)."""
    if score == float("inf"):
        return "inf"
    if score == float("-inf"):
        return "-inf"
    return "%.17g" % score


class ZsetTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""

    def all(self, key):
        return self.r.zrange(key, 0, -1, withscores=True)

    def fill(self, key="z", **members):
        self.r.zadd(key, members)


class ZaddTest(ZsetTestCase):
    def test_zadd_adds_and_updates(self):
        self.assertEqual(self.r.zadd("z", {"a": 1, "b": 2}), 2)
        self.assertEqual(self.r.zadd("z", {"a": 3, "c": 0}), 1)
        self.assertEqual(self.all("z"), [("c", 0.0), ("b", 2.0), ("a", 3.0)])
        self.assertEqual(self.r.zcard("z"), 3)
        self.assertEqual(self.r.type("z"), "zset")

    def test_ch_counts_changed_scores(self):
        self.fill(a=1, b=2)
        self.assertEqual(self.call("ZADD", "z", "CH", "1", "a", "5", "b", "1", "c"), (":", 2))
        self.assertEqual(self.call("ZADD", "z", "CH", "1", "a"), (":", 0))

    def test_nx_and_xx(self):
        self.fill(a=1)
        self.assertEqual(self.call("ZADD", "z", "NX", "5", "a", "2", "b"), (":", 1))
        self.assertEqual(self.call("ZADD", "z", "XX", "7", "a", "3", "c"), (":", 0))
        self.assertEqual(self.all("z"), [("b", 2.0), ("a", 7.0)])
        self.assertEqual(self.call("ZADD", "nokey", "XX", "1", "a"), (":", 0))
        self.assertEqual(self.r.exists("nokey"), 0)

    def test_gt_and_lt_update_only_in_their_direction_but_still_add(self):
        self.fill(a=5, b=5)
        self.assertEqual(self.call("ZADD", "z", "GT", "CH", "3", "a", "7", "b", "1", "c"),
                         (":", 2))
        self.assertEqual(self.call("ZADD", "z", "LT", "CH", "9", "a", "6", "b"), (":", 1))
        self.assertEqual(self.call("ZADD", "z", "XX", "GT", "CH", "8", "b", "9", "new"), (":", 1))
        self.assertEqual(self.all("z"), [("c", 1.0), ("a", 5.0), ("b", 8.0)])

    def test_incr_returns_the_new_score_or_nil(self):
        self.assertEqual(self.call("ZADD", "z", "INCR", "1.5", "a"), bulk("1.5"))
        self.assertEqual(self.call("ZADD", "z", "INCR", "2", "a"), bulk("3.5"))
        self.assertEqual(self.call("ZADD", "z", "NX", "INCR", "1", "a"), ("$", None))
        self.assertEqual(self.call("ZADD", "z", "XX", "INCR", "1", "b"), ("$", None))
        self.assertEqual(self.call("ZADD", "z", "GT", "INCR", "-1", "a"), ("$", None))
        self.assertEqual(self.call("ZADD", "z", "LT", "INCR", "-1", "a"), bulk("2.5"))
        self.assertEqual(self.call("ZADD", "nokey", "XX", "INCR", "1", "a"), ("$", None))
        self.assertEqual(self.all("z"), [("a", 2.5)])

    def test_a_member_repeated_in_one_call_keeps_the_last_score(self):
        self.assertEqual(self.call("ZADD", "z", "1", "a", "2", "a", "3", "b"), (":", 2))
        self.assertEqual(self.all("z"), [("a", 2.0), ("b", 3.0)])
        # Each pair applies in turn: two updates, though the score ends as it was.
        self.assertEqual(self.call("ZADD", "z", "CH", "5", "a", "2", "a"), (":", 2))
        self.assertEqual(self.r.zscore("z", "a"), 2.0)

    def test_scores_accept_inf_and_exponents(self):
        self.assertEqual(self.call("ZADD", "z", "-inf", "lo", "+inf", "hi", "1e3", "k"), (":", 3))
        self.assertEqual(self.all("z"), [("lo", float("-inf")), ("k", 1000.0),
                                         ("hi", float("inf"))])
        self.assertEqual(self.call("ZSCORE", "z", "hi"), bulk("inf"))
        self.assertEqual(self.call("ZSCORE", "z", "lo"), bulk("-inf"))

    def test_errors_change_nothing(self):
        self.fill(a=1)
        self.assertError(("ZADD", "z", "NX", "1"), SYNTAX)
        self.assertError(("ZADD", "z", "1", "b", "2"), SYNTAX)
        self.assertError(("ZADD", "z", "NX", "CH", "GT"), SYNTAX)
        self.assertError(("ZADD", "z", "NX", "XX", "1", "b"),
                         "ERR XX and NX options at the same time are not compatible")
        for opts in (("GT", "LT"), ("GT", "NX"), ("LT", "NX")):
            self.assertError(("ZADD", "z") + opts + ("1", "b"),
                             "ERR GT, LT, and/or NX options at the same time are not compatible")
        self.assertError(("ZADD", "z", "INCR", "1", "a", "2", "b"),
                         "ERR INCR option supports a single increment-element pair")
        self.assertError(("ZADD", "z", "2", "b", "x", "c"), NOT_FLOAT)
        self.assertError(("ZADD", "z", "nan", "b"), NOT_FLOAT)
        self.assertError(("ZADD", "z", "", "b"), NOT_FLOAT)
        self.assertEqual(self.all("z"), [("a", 1.0)])

    def test_incr_to_nan_is_an_error(self):
        self.fill(a=float("inf"))
        self.assertError(("ZADD", "z", "INCR", "-inf", "a"), NAN)
        self.assertError(("ZINCRBY", "z", "-inf", "a"), NAN)
        self.assertEqual(self.r.zscore("z", "a"), float("inf"))

    def test_zincrby(self):
        self.assertEqual(self.call("ZINCRBY", "z", "2", "a"), bulk("2"))
        self.assertEqual(self.call("ZINCRBY", "z", "-0.5", "a"), bulk("1.5"))
        self.assertEqual(self.call("ZINCRBY", "z", "0.1", "b"), bulk(fmt(0.1)))
        self.assertEqual(self.r.zincrby("z", 1, "a"), 2.5)
        self.assertError(("ZINCRBY", "z", "x", "a"), NOT_FLOAT)
        self.assertEqual(self.all("z"), [("b", 0.1), ("a", 2.5)])

    def test_zadd_over_an_expired_key_starts_fresh(self):
        self.fill(a=1, b=2)
        self.r.pexpire("z", 1)
        harness.wait_for(lambda: self.r.exists("z") == 0, what="z to expire")
        self.assertEqual(self.r.zadd("z", {"c": 3}), 1)
        self.assertEqual(self.all("z"), [("c", 3.0)])
        self.assertEqual(self.r.ttl("z"), -1)


class ReadTest(ZsetTestCase):
    def test_zscore_zmscore_zcard(self):
        self.fill(a=1.5, b=2)
        self.assertEqual(self.call("ZSCORE", "z", "a"), bulk("1.5"))
        self.assertEqual(self.call("ZSCORE", "z", "x"), ("$", None))
        self.assertEqual(self.call("ZSCORE", "nokey", "x"), ("$", None))
        self.assertEqual(self.call("ZMSCORE", "z", "a", "x", "b"),
                         ("*", [bulk("1.5"), ("$", None), bulk("2")]))
        self.assertEqual(self.call("ZMSCORE", "nokey", "a"), ("*", [("$", None)]))
        self.assertEqual(self.call("ZCARD", "z"), (":", 2))
        self.assertEqual(self.call("ZCARD", "nokey"), (":", 0))

    def test_zrank_and_zrevrank(self):
        self.fill(a=1, b=2, c=3, d=3)
        self.assertEqual([self.r.zrank("z", m) for m in "abcd"], [0, 1, 2, 3])
        self.assertEqual([self.r.zrevrank("z", m) for m in "abcd"], [3, 2, 1, 0])
        self.assertEqual(self.call("ZRANK", "z", "x"), ("$", None))
        self.assertEqual(self.call("ZRANK", "nokey", "x"), ("$", None))
        self.assertEqual(self.call("ZRANK", "z", "c", "WITHSCORE"), ("*", [(":", 2), bulk("3")]))
        self.assertEqual(self.call("ZREVRANK", "z", "a", "withscore"),
                         ("*", [(":", 3), bulk("1")]))
        self.assertEqual(self.call("ZRANK", "z", "x", "WITHSCORE"), ("*", None))
        self.assertEqual(self.call("ZRANK", "nokey", "x", "WITHSCORE"), ("*", None))
        self.assertError(("ZRANK", "z", "a", "WITHSCORES"), SYNTAX)
        self.assertError(("ZRANK", "z", "a", "WITHSCORE", "x"), arity("zrank"))
        self.assertError(("ZREVRANK", "z", "a", "WITHSCORE", "x"), arity("zrevrank"))

    def test_zcount(self):
        self.fill(a=1, b=2, c=3, d=4)
        self.assertEqual(self.r.zcount("z", 2, 3), 2)
        self.assertEqual(self.r.zcount("z", "(2", "+inf"), 2)
        self.assertEqual(self.r.zcount("z", "-inf", "(1"), 0)
        self.assertEqual(self.r.zcount("z", "(1", "(4"), 2)
        self.assertEqual(self.r.zcount("z", 3, 2), 0)
        self.assertEqual(self.r.zcount("z", "(2", "2"), 0)
        self.assertEqual(self.r.zcount("nokey", 0, 1), 0)
        self.assertError(("ZCOUNT", "z", "x", "1"), RANGE_NOT_FLOAT)
        self.assertError(("ZCOUNT", "z", "1", "(x"), RANGE_NOT_FLOAT)
        self.assertError(("ZCOUNT", "z", "1", "nan"), RANGE_NOT_FLOAT)

    def test_zlexcount(self):
        self.fill(a=0, b=0, c=0, d=0, e=0)
        self.assertEqual(self.r.zlexcount("z", "-", "+"), 5)
        self.assertEqual(self.r.zlexcount("z", "[b", "(d"), 2)
        self.assertEqual(self.r.zlexcount("z", "(b", "[d"), 2)
        self.assertEqual(self.r.zlexcount("z", "[bb", "+"), 3)
        self.assertEqual(self.r.zlexcount("z", "+", "-"), 0)
        self.assertEqual(self.r.zlexcount("z", "[d", "[b"), 0)
        self.assertEqual(self.r.zlexcount("nokey", "-", "+"), 0)
        for bad in (("a", "+"), ("[a", "b"), ("-x", "+"), ("", "+"), ("-", "+x")):
            self.assertError(("ZLEXCOUNT", "z") + bad, RANGE_NOT_LEX)

    def test_scores_format_like_redis(self):
        self.fill(a=0.1, b=10, c=-2.5, d=1e20, e=3e-5)
        for m, s in (("a", 0.1), ("b", 10), ("c", -2.5), ("d", 1e20), ("e", 3e-5)):
            self.assertEqual(self.call("ZSCORE", "z", m), bulk(fmt(s)))
        self.assertEqual(self.call("ZSCORE", "z", "b"), bulk("10"))
        self.assertEqual(self.call("ZSCORE", "z", "d"), bulk("1e+20"))


class RangeTest(ZsetTestCase):
    def setUp(self):
        super().setUp()
        self.fill(a=1, b=2, c=3, d=4, e=5)

    def test_zrange_by_rank(self):
        self.assertEqual(self.r.zrange("z", 0, -1), list("abcde"))
        self.assertEqual(self.r.zrange("z", 1, 2), ["b", "c"])
        self.assertEqual(self.r.zrange("z", -2, 100), ["d", "e"])
        self.assertEqual(self.r.zrange("z", -100, 0), ["a"])
        self.assertEqual(self.r.zrange("z", 3, 1), [])
        self.assertEqual(self.r.zrange("z", 5, 10), [])
        self.assertEqual(self.r.zrange("z", 0, 1, desc=True), ["e", "d"])
        self.assertEqual(self.r.zrevrange("z", 0, 1, withscores=True), [("e", 5.0), ("d", 4.0)])
        self.assertEqual(self.call("ZRANGE", "z", "0", "0", "WITHSCORES"), bulks("a", "1"))
        self.assertEqual(self.call("ZRANGE", "nokey", "0", "-1"), ("*", []))

    def test_zrange_by_score(self):
        self.assertEqual(self.r.zrangebyscore("z", 2, 4), ["b", "c", "d"])
        self.assertEqual(self.r.zrangebyscore("z", "(2", "(4"), ["c"])
        self.assertEqual(self.r.zrangebyscore("z", "-inf", "+inf", start=1, num=2),
                         ["b", "c"])
        self.assertEqual(self.r.zrevrangebyscore("z", 4, 2), ["d", "c", "b"])
        self.assertEqual(self.r.zrevrangebyscore("z", "+inf", "(3", withscores=True),
                         [("e", 5.0), ("d", 4.0)])
        self.assertEqual(self.call("ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"),
                         bulks("b", "2", "c", "3"))
        self.assertEqual(self.call("ZRANGE", "z", "5", "(3", "BYSCORE", "REV"), bulks("e", "d"))
        self.assertEqual(self.call("ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "1", "-1"),
                         bulks("b", "c", "d", "e"))
        self.assertEqual(self.call("ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "-1", "2"),
                         ("*", []))
        self.assertEqual(self.call("ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "9", "2"),
                         ("*", []))
        self.assertEqual(self.call("ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "0", "0"),
                         ("*", []))
        self.assertEqual(self.call("ZRANGEBYSCORE", "z", "3", "1"), ("*", []))

    def test_zrange_by_lex(self):
        self.r.delete("z")
        self.fill(a=0, b=0, c=0, d=0, e=0, f=0)
        self.assertEqual(self.r.zrangebylex("z", "-", "+"), list("abcdef"))
        self.assertEqual(self.r.zrangebylex("z", "[b", "(e"), ["b", "c", "d"])
        self.assertEqual(self.r.zrangebylex("z", "(b", "+", start=1, num=2), ["d", "e"])
        self.assertEqual(self.r.zrevrangebylex("z", "+", "[d"), ["f", "e", "d"])
        self.assertEqual(self.r.zrevrangebylex("z", "(d", "-", start=1, num=1), ["b"])
        self.assertEqual(self.call("ZRANGE", "z", "[c", "[d", "BYLEX"), bulks("c", "d"))
        self.assertEqual(self.call("ZRANGE", "z", "(e", "-", "BYLEX", "REV"),
                         bulks("d", "c", "b", "a"))
        self.assertEqual(self.call("ZRANGEBYLEX", "z", "[z", "+"), ("*", []))

    def test_lex_ranges_use_byte_order(self):
        self.r.delete("z")
        self.r.zadd("z", {"": 0, "A": 0, "a": 0, "aa": 0, "\x7f": 0})
        self.rb.zadd("z", {b"\xff": 0, b"a\x00": 0})
        self.assertEqual(self.rb.zrangebylex("z", "-", "+"),
                         [b"", b"A", b"a", b"a\x00", b"aa", b"\x7f", b"\xff"])
        self.assertEqual(self.rb.zrangebylex("z", "(a", "[aa"), [b"a\x00", b"aa"])
        self.assertEqual(self.rb.zrangebylex("z", "[", "(A"), [b""])

    def test_range_errors(self):
        self.assertError(("ZRANGE", "z", "a", "1"), NOT_INT)
        self.assertError(("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"),
                         "ERR syntax error, LIMIT is only supported in combination with either "
                         "BYSCORE or BYLEX")
        self.assertError(("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"),
                         "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        self.assertError(("ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "0"), SYNTAX)
        self.assertError(("ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"), NOT_INT)
        self.assertError(("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"), SYNTAX)
        self.assertError(("ZRANGE", "z", "0", "1", "REV", "REV"), SYNTAX)
        self.assertError(("ZRANGE", "z", "0", "1", "FOO"), SYNTAX)
        self.assertError(("ZRANGE", "z", "x", "1", "BYSCORE"), RANGE_NOT_FLOAT)
        self.assertError(("ZRANGE", "z", "a", "b", "BYLEX"), RANGE_NOT_LEX)
        self.assertError(("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"), SYNTAX)
        self.assertError(("ZRANGEBYSCORE", "z", "0", "1", "REV"), SYNTAX)
        self.assertError(("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
                         "ERR syntax error, LIMIT is only supported in combination with either "
                         "BYSCORE or BYLEX")
        self.assertError(("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"),
                         "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        self.assertError(("ZRANGEBYSCORE", "z", "[1", "2"), RANGE_NOT_FLOAT)
        self.assertError(("ZREVRANGEBYLEX", "z", "+", "x"), RANGE_NOT_LEX)

    def test_zrangestore(self):
        self.assertEqual(self.call("ZRANGESTORE", "d", "z", "1", "2"), (":", 2))
        self.assertEqual(self.all("d"), [("b", 2.0), ("c", 3.0)])
        self.assertEqual(self.call("ZRANGESTORE", "d", "z", "4", "(2", "BYSCORE", "REV",
                                   "LIMIT", "0", "1"), (":", 1))
        self.assertEqual(self.all("d"), [("d", 4.0)])
        self.r.set("s", "string")
        self.assertEqual(self.call("ZRANGESTORE", "s", "z", "[a", "[b", "BYLEX"), (":", 2))
        self.assertEqual(self.all("s"), [("a", 1.0), ("b", 2.0)])
        self.assertEqual(self.call("ZRANGESTORE", "d", "z", "9", "10"), (":", 0))
        self.assertEqual(self.r.exists("d"), 0)
        self.assertEqual(self.call("ZRANGESTORE", "s", "nokey", "0", "-1"), (":", 0))
        self.assertEqual(self.r.exists("s"), 0)
        self.assertEqual(self.call("ZRANGESTORE", "z", "z", "0", "1"), (":", 2))
        self.assertEqual(self.all("z"), [("a", 1.0), ("b", 2.0)])
        self.assertError(("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"), SYNTAX)
        self.r.set("str", "x")
        self.assertError(("ZRANGESTORE", "d", "str", "0", "1"), WRONGTYPE)

    def test_zrangestore_drops_the_old_ttl(self):
        self.r.zadd("d", {"x": 1})
        self.r.expire("d", 100)
        self.assertEqual(self.call("ZRANGESTORE", "d", "z", "0", "0"), (":", 1))
        self.assertEqual(self.r.ttl("d"), -1)


class RemoveTest(ZsetTestCase):
    def test_zrem(self):
        self.fill(a=1, b=2, c=3)
        self.assertEqual(self.call("ZREM", "z", "a", "x", "a"), (":", 1))
        self.assertEqual(self.all("z"), [("b", 2.0), ("c", 3.0)])
        self.assertEqual(self.call("ZREM", "nokey", "a"), (":", 0))
        self.assertEqual(self.r.zrem("z", "b", "c"), 2)
        self.assertEqual(self.r.exists("z"), 0)

    def test_an_emptied_set_comes_back_empty(self):
        self.fill(a=1, b=2, c=3)
        self.assertEqual(self.r.zremrangebyrank("z", 0, -1), 3)
        self.assertEqual(self.r.zadd("z", {"d": 4}), 1)
        self.assertEqual(self.all("z"), [("d", 4.0)])
        self.assertEqual(self.r.zpopmin("z"), [("d", 4.0)])
        self.assertEqual(self.r.zadd("z", {"e": 5}), 1)
        self.assertEqual(self.all("z"), [("e", 5.0)])
        self.assertEqual(self.r.zrangebyscore("z", "-inf", "+inf"), ["e"])

    def test_multi_exec_sees_earlier_commands(self):
        pipe = self.r.pipeline(transaction=True)
        pipe.zadd("z", {"a": 1, "b": 2})
        pipe.zincrby("z", 5, "a")
        pipe.zrange("z", 0, -1, withscores=True)
        pipe.zpopmin("z")
        self.assertEqual(pipe.execute(), [2, 6.0, [("b", 2.0), ("a", 6.0)], [("b", 2.0)]])

    def test_zremrangebyrank(self):
        self.fill(a=1, b=2, c=3, d=4, e=5)
        self.assertEqual(self.r.zremrangebyrank("z", 1, 2), 2)
        self.assertEqual(self.r.zrange("z", 0, -1), ["a", "d", "e"])
        self.assertEqual(self.r.zremrangebyrank("z", -1, -1), 1)
        self.assertEqual(self.r.zremrangebyrank("z", 5, 9), 0)
        self.assertEqual(self.r.zremrangebyrank("z", 0, -1), 2)
        self.assertEqual(self.r.exists("z"), 0)
        self.assertEqual(self.r.zremrangebyrank("nokey", 0, -1), 0)
        self.assertError(("ZREMRANGEBYRANK", "z", "x", "1"), NOT_INT)

    def test_zremrangebyscore(self):
        self.fill(a=1, b=2, c=3, d=4, e=5)
        self.assertEqual(self.r.zremrangebyscore("z", "(1", 3), 2)
        self.assertEqual(self.r.zrange("z", 0, -1), ["a", "d", "e"])
        self.assertEqual(self.r.zremrangebyscore("z", 10, 20), 0)
        self.assertEqual(self.r.zremrangebyscore("z", "-inf", "+inf"), 3)
        self.assertEqual(self.r.exists("z"), 0)
        self.assertError(("ZREMRANGEBYSCORE", "z", "x", "1"), RANGE_NOT_FLOAT)

    def test_zremrangebylex(self):
        self.fill(a=0, b=0, c=0, d=0)
        self.assertEqual(self.r.zremrangebylex("z", "[b", "(d"), 2)
        self.assertEqual(self.r.zrange("z", 0, -1), ["a", "d"])
        self.assertEqual(self.r.zremrangebylex("z", "-", "+"), 2)
        self.assertEqual(self.r.exists("z"), 0)
        self.assertError(("ZREMRANGEBYLEX", "z", "b", "c"), RANGE_NOT_LEX)


class PopTest(ZsetTestCase):
    def test_zpopmin_and_zpopmax(self):
        self.fill(a=1, b=2, c=3, d=4)
        self.assertEqual(self.call("ZPOPMIN", "z"), bulks("a", "1"))
        self.assertEqual(self.call("ZPOPMAX", "z", "2"), bulks("d", "4", "c", "3"))
        self.assertEqual(self.call("ZPOPMIN", "z", "0"), ("*", []))
        self.assertEqual(self.call("ZPOPMIN", "z", "10"), bulks("b", "2"))
        self.assertEqual(self.r.exists("z"), 0)
        self.assertEqual(self.call("ZPOPMIN", "z"), ("*", []))
        self.assertEqual(self.call("ZPOPMAX", "z", "3"), ("*", []))
        self.assertError(("ZPOPMIN", "z", "-1"), MUST_BE_POSITIVE)
        self.assertError(("ZPOPMIN", "z", "x"), NOT_INT)
        self.assertError(("ZPOPMIN", "z", "1", "2"), SYNTAX)
        self.r.set("s", "v")
        self.assertError(("ZPOPMIN", "s", "0"), WRONGTYPE)

    def test_zmpop(self):
        self.fill("b", x=1, y=2, z=3)
        self.assertEqual(self.call("ZMPOP", "2", "a", "b", "MIN"),
                         ("*", [bulk("b"), ("*", [bulks("x", "1")])]))
        self.assertEqual(self.call("ZMPOP", "2", "a", "b", "max", "COUNT", "5"),
                         ("*", [bulk("b"), ("*", [bulks("z", "3"), bulks("y", "2")])]))
        self.assertEqual(self.r.exists("b"), 0)
        self.assertEqual(self.call("ZMPOP", "2", "a", "b", "MIN"), ("*", None))
        self.assertError(("ZMPOP", "0", "a", "MIN"), "ERR numkeys should be greater than 0")
        self.assertError(("ZMPOP", "x", "a", "MIN"), "ERR numkeys should be greater than 0")
        self.assertError(("ZMPOP", "3", "a", "MIN"), SYNTAX)
        self.assertError(("ZMPOP", "1", "a", "UP"), SYNTAX)
        self.assertError(("ZMPOP", "1", "a", "MIN", "COUNT", "0"),
                         "ERR count should be greater than 0")
        self.assertError(("ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"), SYNTAX)
        self.assertError(("ZMPOP", "1", "a", "MIN", "COUNT"), SYNTAX)
        self.r.set("s", "v")
        self.assertError(("ZMPOP", "2", "nokey", "s", "MIN"), WRONGTYPE)

    def test_redis_py_helpers(self):
        self.fill(a=1, b=2)
        self.assertEqual(self.r.zpopmin("z"), [("a", 1.0)])
        self.assertEqual(self.r.zpopmax("z", 5), [("b", 2.0)])


class BlockingTest(ZsetTestCase):
    def test_bzpop_pops_at_once_when_data_is_there(self):
        self.fill("b", x=1, y=2, w=3)
        self.assertEqual(self.call("BZPOPMIN", "a", "b", "0"), bulks("b", "x", "1"))
        self.assertEqual(self.call("BZPOPMAX", "a", "b", "1.5"), bulks("b", "w", "3"))
        self.assertEqual(self.r.bzpopmin(["b"], timeout=1), ("b", "y", 2.0))
        self.assertEqual(self.r.exists("b"), 0)

    def test_bzmpop_pops_at_once_when_data_is_there(self):
        self.fill("b", x=1, y=2, w=3)
        self.assertEqual(self.call("BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2"),
                         ("*", [bulk("b"), ("*", [bulks("w", "3"), bulks("y", "2")])]))
        self.assertEqual(self.call("BZMPOP", "0.5", "1", "b", "MIN"),
                         ("*", [bulk("b"), ("*", [bulks("x", "1")])]))

    def test_timeout_errors(self):
        self.fill(a=1)
        for cmd in (("BZPOPMIN", "z"), ("BZPOPMAX", "z")):
            with self.subTest(cmd=cmd[0]):
                self.assertError(cmd + ("x",), TIMEOUT_NOT_FLOAT)
                self.assertError(cmd + ("-1",), TIMEOUT_NEGATIVE)
                self.assertError(cmd + ("inf",), "ERR timeout is out of range")
        self.assertError(("BZMPOP", "x", "1", "z", "MIN"), TIMEOUT_NOT_FLOAT)
        self.assertError(("BZMPOP", "-0.5", "1", "z", "MIN"), TIMEOUT_NEGATIVE)
        self.assertError(("BZMPOP", "0", "0", "z", "MIN"), "ERR numkeys should be greater than 0")
        self.assertError(("BZMPOP", "x", "1", "z", "UP"), SYNTAX)
        self.assertEqual(self.all("z"), [("a", 1.0)])

    def test_blocking_commands_check_types(self):
        self.r.set("s", "v")
        self.assertError(("BZPOPMIN", "s", "0"), WRONGTYPE)
        self.assertError(("BZPOPMAX", "nope", "s", "0"), WRONGTYPE)
        self.assertError(("BZMPOP", "0", "1", "s", "MIN"), WRONGTYPE)

    def test_timeouts_on_empty_sets_reply_null(self):
        start = time.monotonic()
        reply = self.call("BZPOPMIN", "e1", "e2", "0.1")
        if reply == ("*", None) and time.monotonic() - start < 0.05:
            self.skipTest("server-side blocking not in place: replied at once")
        self.assertEqual(reply, ("*", None))
        self.assertEqual(self.call("BZPOPMAX", "e1", "0.1"), ("*", None))
        self.assertEqual(self.call("BZMPOP", "0.1", "1", "e1", "MIN"), ("*", None))
        self.assertEqual(self.r.exists("e1", "e2"), 0)

    def test_a_zadd_wakes_a_blocked_client(self):
        start = time.monotonic()
        if self.call("BZPOPMIN", "e", "0.1") == ("*", None) and time.monotonic() - start < 0.05:
            self.skipTest("server-side blocking not in place: replied at once")
        got = {}

        def waiter():
            c = self.server.client(decode_responses=True)
            try:
                got["reply"] = c.bzpopmax(["w1", "w2"], timeout=10)
            finally:
                c.close()

        t = threading.Thread(target=waiter)
        t.start()
        try:
            harness.wait_for(lambda: self.r.info("clients").get("blocked_clients", 0) >= 1,
                             timeout=1, what="a blocked client")
        except TimeoutError:
            pass
        self.r.zadd("w2", {"lo": 1, "hi": 2})
        t.join(timeout=10)
        self.assertFalse(t.is_alive())
        self.assertEqual(got.get("reply"), ("w2", "hi", 2.0))
        self.assertEqual(self.all("w2"), [("lo", 1.0)])


class RandMemberTest(ZsetTestCase):
    def test_without_count(self):
        self.fill(a=1, b=2, c=3)
        for _ in range(10):
            self.assertIn(self.r.zrandmember("z"), ["a", "b", "c"])
        self.assertEqual(self.call("ZRANDMEMBER", "nokey"), ("$", None))

    def test_positive_count_gives_distinct_members(self):
        members = {f"m{i}": i for i in range(50)}
        self.r.zadd("z", members)
        for n in (1, 5, 20, 49):
            got = self.r.zrandmember("z", n)
            self.assertEqual(len(got), n)
            self.assertEqual(len(set(got)), n)
            self.assertTrue(set(got) <= set(members))
        self.assertEqual(sorted(self.r.zrandmember("z", 100)), sorted(members))
        pairs = self.r.zrandmember("z", 3, withscores=True)
        self.assertEqual(len(pairs), 6)
        for m, s in zip(pairs[::2], pairs[1::2]):
            self.assertEqual(float(s), members[m])

    def test_negative_count_may_repeat(self):
        self.fill(a=1, b=2)
        got = self.r.zrandmember("z", -20)
        self.assertEqual(len(got), 20)
        self.assertTrue(set(got) <= {"a", "b"})
        self.assertEqual(len(self.r.zrandmember("z", -5, withscores=True)), 10)
        self.r.zadd("big", {f"m{i}": i for i in range(500)})
        got = self.r.zrandmember("big", -30, withscores=True)
        for m, s in zip(got[::2], got[1::2]):
            self.assertEqual(f"m{int(float(s))}", m)

    def test_count_edge_cases(self):
        self.fill(a=1)
        self.assertEqual(self.call("ZRANDMEMBER", "z", "0"), ("*", []))
        self.assertEqual(self.call("ZRANDMEMBER", "nokey", "5"), ("*", []))
        self.assertError(("ZRANDMEMBER", "z", "x"), NOT_INT)
        self.assertError(("ZRANDMEMBER", "z", "1", "WITHSCORE"), SYNTAX)
        self.assertError(("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"), SYNTAX)
        self.assertError(("ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"),
                         "ERR value is out of range")
        self.assertError(("ZRANDMEMBER", "z", "-9223372036854775808"),
                         "ERR value is out of range, must be between -9223372036854775807 and "
                         "9223372036854775807")


class ScanTest(ZsetTestCase):
    def scan_all(self, key, count=None, match=None):
        cursor, seen, calls = "0", [], 0
        while True:
            args = ["ZSCAN", key, cursor]
            if count:
                args += ["COUNT", str(count)]
            if match:
                args += ["MATCH", match]
            t, (c, items) = self.call(*args)
            self.assertEqual(t, "*")
            values = [v for _, v in items[1]]
            seen += [(values[i].decode(), float(values[i + 1])) for i in range(0, len(values), 2)]
            cursor = c[1].decode()
            calls += 1
            if cursor == "0":
                return seen, calls

    def test_scan_returns_every_member_once(self):
        members = {f"member:{i:05d}": i * 0.5 for i in range(300)}
        members.update({f"{chr(65 + i)}{i}": i for i in range(20)})
        self.r.zadd("z", members)
        seen, calls = self.scan_all("z", count=10)
        self.assertEqual(sorted(seen), sorted(members.items()))
        self.assertGreater(calls, 1)

    def test_members_with_a_long_common_prefix_come_in_count_sized_calls(self):
        members = {f"user:session:{i:07d}": i for i in range(1000)}
        self.r.zadd("z", members)
        seen, calls = self.scan_all("z", count=50)
        self.assertEqual(sorted(seen), sorted((m, float(s)) for m, s in members.items()))
        self.assertGreaterEqual(calls, 10)
        self.assertLessEqual(calls, 21)

    def test_a_cursor_still_works_when_the_common_prefix_changes(self):
        self.r.zadd("z", {f"p:{i:03d}": i for i in range(100)})
        cursor, items = self.r.zscan("z", 0, count=10)
        self.assertNotEqual(cursor, 0)
        seen = {m for m, _ in items}
        self.r.zadd("z", {"other": 1})  # the common prefix is now empty
        while cursor != 0:
            cursor, items = self.r.zscan("z", cursor, count=10)
            seen |= {m for m, _ in items}
        self.assertTrue({f"p:{i:03d}" for i in range(100)} <= seen)

    def test_match_and_small_sets(self):
        self.fill(a1=1, a2=2, b1=3)
        seen, _ = self.scan_all("z", match="a*")
        self.assertEqual(sorted(seen), [("a1", 1.0), ("a2", 2.0)])
        self.assertEqual(self.r.zscan("z"), (0, [("a1", 1.0), ("a2", 2.0), ("b1", 3.0)]))
        self.assertEqual(self.call("ZSCAN", "nokey", "0"), ("*", [bulk("0"), ("*", [])]))

    def test_members_added_during_a_scan_do_not_hide_others(self):
        members = {f"k{i:04d}": i for i in range(200)}
        self.r.zadd("z", members)
        cursor, seen = 0, set()
        first = True
        while first or cursor != 0:
            first = False
            cursor, items = self.r.zscan("z", cursor, count=20)
            seen |= {m for m, _ in items}
            self.r.zadd("z", {f"new{cursor}": 1})
            self.r.zrem("z", f"k{len(seen) % 7:04d}x")  # absent member: a no-op write
        self.assertTrue(set(members) <= seen)

    def test_scan_errors(self):
        self.fill(a=1)
        self.assertError(("ZSCAN", "z", "x"), "ERR invalid cursor")
        self.assertError(("ZSCAN", "z", "-1"), "ERR invalid cursor")
        self.assertError(("ZSCAN", "z", "0", "COUNT"), SYNTAX)
        self.assertError(("ZSCAN", "z", "0", "COUNT", "0"), SYNTAX)
        self.assertError(("ZSCAN", "z", "0", "COUNT", "x"), NOT_INT)
        self.assertError(("ZSCAN", "z", "0", "FOO", "1"), SYNTAX)


class SetOpsTest(ZsetTestCase):
    def setUp(self):
        super().setUp()
        self.r.zadd("z1", {"a": 1, "b": 2, "c": 3})
        self.r.zadd("z2", {"b": 10, "c": 20, "d": 30})

    def test_zunion(self):
        self.assertEqual(self.r.zunion(["z1", "z2"], withscores=True),
                         [("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
        self.assertEqual(self.call("ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5",
                                   "AGGREGATE", "MAX", "WITHSCORES"),
                         bulks("a", "2", "b", "5", "c", "10", "d", "15"))
        self.assertEqual(self.call("ZUNION", "2", "z1", "nokey"), bulks("a", "b", "c"))
        self.assertEqual(self.call("ZUNION", "1", "nokey"), ("*", []))

    def test_zinter(self):
        self.assertEqual(self.r.zinter(["z1", "z2"], withscores=True),
                         [("b", 12.0), ("c", 23.0)])
        self.assertEqual(self.r.zinter(["z1", "z2"], aggregate="MIN", withscores=True),
                         [("b", 2.0), ("c", 3.0)])
        self.assertEqual(self.call("ZINTER", "2", "z1", "z2", "WEIGHTS", "1", "-1",
                                   "WITHSCORES"), bulks("c", "-17", "b", "-8"))
        self.assertEqual(self.call("ZINTER", "2", "z1", "nokey"), ("*", []))

    def test_zdiff(self):
        self.assertEqual(self.r.zdiff(["z1", "z2"]), ["a"])
        self.assertEqual(self.call("ZDIFF", "2", "z1", "z2", "WITHSCORES"), bulks("a", "1"))
        self.assertEqual(self.call("ZDIFF", "1", "z1"), bulks("a", "b", "c"))
        self.assertEqual(self.call("ZDIFF", "2", "z1", "z1"), ("*", []))
        self.assertEqual(self.call("ZDIFF", "2", "nokey", "z1"), ("*", []))
        self.assertError(("ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1"), SYNTAX)
        self.assertError(("ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"), SYNTAX)

    def test_plain_sets_count_as_score_one(self):
        self.r.sadd("s", "a", "d", "x")
        self.assertEqual(self.r.zunion(["z1", "s"], withscores=True),
                         [("d", 1.0), ("x", 1.0), ("a", 2.0), ("b", 2.0), ("c", 3.0)])
        self.assertEqual(self.r.zinter(["s", "z2"], withscores=True), [("d", 31.0)])
        self.assertEqual(self.r.zintercard(2, ["s", "z1"]), 1)

    def test_store_forms(self):
        self.assertEqual(self.r.zunionstore("dst", ["z1", "z2"]), 4)
        self.assertEqual(self.all("dst"), [("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
        self.assertEqual(self.r.zinterstore("dst", {"z1": 2, "z2": 1}), 2)
        self.assertEqual(self.all("dst"), [("b", 14.0), ("c", 26.0)])
        self.assertEqual(self.r.zdiffstore("dst", ["z2", "z1"]), 1)
        self.assertEqual(self.all("dst"), [("d", 30.0)])
        self.assertEqual(self.call("ZINTERSTORE", "dst", "2", "z1", "nokey"), (":", 0))
        self.assertEqual(self.r.exists("dst"), 0)
        self.assertEqual(self.call("ZUNIONSTORE", "z1", "2", "z1", "z2", "AGGREGATE", "MIN"),
                         (":", 4))
        self.assertEqual(self.all("z1"), [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 30.0)])
        self.r.set("str", "v")
        self.assertEqual(self.r.zunionstore("str", ["z2"]), 3)
        self.assertEqual(self.r.type("str"), "zset")
        self.assertError(("ZUNIONSTORE", "d", "2", "z1", "z2", "WITHSCORES"), SYNTAX)

    def test_zintercard(self):
        self.assertEqual(self.call("ZINTERCARD", "2", "z1", "z2"), (":", 2))
        self.assertEqual(self.call("ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"), (":", 1))
        self.assertEqual(self.call("ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"), (":", 2))
        self.assertEqual(self.call("ZINTERCARD", "2", "z1", "nokey"), (":", 0))
        self.assertError(("ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1"),
                         "ERR LIMIT can't be negative")
        self.assertError(("ZINTERCARD", "2", "z1", "z2", "LIMIT", "x"),
                         "ERR LIMIT can't be negative")
        self.assertError(("ZINTERCARD", "2", "z1", "z2", "WITHSCORES"), SYNTAX)
        self.assertError(("ZINTERCARD", "0", "z1"),
                         "ERR at least 1 input key is needed for 'zintercard' command")

    def test_nan_from_weights_and_infinities_becomes_zero(self):
        self.r.zadd("i1", {"a": float("inf")})
        self.r.zadd("i2", {"a": float("-inf")})
        self.assertEqual(self.call("ZUNION", "2", "i1", "i2", "WITHSCORES"), bulks("a", "0"))
        self.assertEqual(self.call("ZINTER", "1", "i1", "WEIGHTS", "0", "WITHSCORES"),
                         bulks("a", "0"))

    def test_errors(self):
        self.assertError(("ZUNIONSTORE", "d", "0", "z1"),
                         "ERR at least 1 input key is needed for 'zunionstore' command")
        self.assertError(("ZINTER", "0", "z1"),
                         "ERR at least 1 input key is needed for 'zinter' command")
        self.assertError(("ZUNION", "x", "z1"), NOT_INT)
        self.assertError(("ZUNION", "3", "z1", "z2"), SYNTAX)
        self.assertError(("ZUNION", "2", "z1", "z2", "WEIGHTS", "1"), SYNTAX)
        self.assertError(("ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"),
                         "ERR weight value is not a float")
        self.assertError(("ZUNION", "2", "z1", "z2", "AGGREGATE", "AVG"), SYNTAX)
        self.assertError(("ZUNION", "2", "z1", "z2", "AGGREGATE"), SYNTAX)
        self.r.set("str", "v")
        self.assertError(("ZUNION", "2", "z1", "str"), WRONGTYPE)
        self.assertError(("ZINTERSTORE", "d", "2", "str", "z1"), WRONGTYPE)
        # Keys are checked before options, as in Redis.
        self.assertError(("ZUNION", "2", "z1", "str", "BOGUS"), WRONGTYPE)
        self.assertEqual(self.r.exists("d"), 0)


class WrongTypeTest(ZsetTestCase):
    def test_every_command_refuses_a_string(self):
        self.r.set("s", "v")
        for cmd in (("ZADD", "s", "1", "a"), ("ZINCRBY", "s", "1", "a"), ("ZREM", "s", "a"),
                    ("ZCARD", "s"), ("ZCOUNT", "s", "0", "1"), ("ZLEXCOUNT", "s", "-", "+"),
                    ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"), ("ZRANK", "s", "a"),
                    ("ZREVRANK", "s", "a"), ("ZRANGE", "s", "0", "1"),
                    ("ZRANGEBYSCORE", "s", "0", "1"), ("ZREVRANGEBYSCORE", "s", "1", "0"),
                    ("ZRANGEBYLEX", "s", "-", "+"), ("ZREVRANGEBYLEX", "s", "+", "-"),
                    ("ZREVRANGE", "s", "0", "1"), ("ZREMRANGEBYRANK", "s", "0", "1"),
                    ("ZREMRANGEBYSCORE", "s", "0", "1"), ("ZREMRANGEBYLEX", "s", "-", "+"),
                    ("ZPOPMIN", "s"), ("ZPOPMAX", "s", "2"), ("ZMPOP", "1", "s", "MIN"),
                    ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", "2"), ("ZSCAN", "s", "0"),
                    ("ZINTERCARD", "1", "s"), ("ZDIFF", "1", "s")):
            with self.subTest(cmd=cmd[0]):
                self.assertError(cmd, WRONGTYPE)
        self.assertEqual(self.r.get("s"), "v")

    def test_other_commands_refuse_a_zset(self):
        self.fill(a=1)
        self.assertError(("GET", "z"), WRONGTYPE)
        self.assertError(("SADD", "z", "a"), WRONGTYPE)

    def test_arity(self):
        for cmd in (("ZADD", "z", "1"), ("ZINCRBY", "z", "1"), ("ZREM", "z"), ("ZCARD",),
                    ("ZRANGE", "z", "0"), ("ZRANGESTORE", "d", "z", "0"), ("ZPOPMIN",),
                    ("ZMPOP", "1", "z"), ("BZPOPMIN", "z"), ("BZMPOP", "0", "1", "z"),
                    ("ZUNIONSTORE", "d", "1"), ("ZSCAN", "z"), ("ZRANK", "z")):
            with self.subTest(cmd=cmd[0]):
                self.assertError(cmd, arity(cmd[0].lower()))


class Resp3Test(ZsetTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.raw3 = harness.RawConnection(cls.server.port)
        t, _ = cls.raw3.call("HELLO", "3")
        assert t == "%", t

    @classmethod
    def tearDownClass(cls):
        cls.raw3.close()
        super().tearDownClass()

    def test_scores_are_doubles_and_pairs_nest(self):
        c = self.raw3.call
        self.assertEqual(c("ZADD", "z", "1.5", "a", "2", "b", "3", "c"), (":", 3))
        self.assertEqual(c("ZSCORE", "z", "a"), (",", "1.5"))
        self.assertEqual(c("ZSCORE", "z", "x"), ("_", None))
        self.assertEqual(c("ZMSCORE", "z", "b", "x"), ("*", [(",", "2"), ("_", None)]))
        self.assertEqual(c("ZINCRBY", "z", "1", "c"), (",", "4"))
        self.assertEqual(c("ZADD", "z", "NX", "INCR", "1", "c"), ("_", None))
        self.assertEqual(c("ZRANK", "z", "b", "WITHSCORE"), ("*", [(":", 1), (",", "2")]))
        self.assertEqual(c("ZRANK", "z", "x", "WITHSCORE"), ("_", None))
        self.assertEqual(c("ZRANGE", "z", "0", "1", "WITHSCORES"),
                         ("*", [("*", [bulk("a"), (",", "1.5")]),
                                ("*", [bulk("b"), (",", "2")])]))
        self.assertEqual(c("ZRANGE", "z", "0", "1"), bulks("a", "b"))
        self.assertEqual(c("ZUNION", "1", "z", "WITHSCORES"),
                         ("*", [("*", [bulk("a"), (",", "1.5")]),
                                ("*", [bulk("b"), (",", "2")]),
                                ("*", [bulk("c"), (",", "4")])]))
        self.assertEqual(c("ZRANDMEMBER", "z", "-1", "WITHSCORES")[1][0][0], "*")
        # ZSCAN keeps bulk-string scores, as Redis does.
        self.assertEqual(c("ZSCAN", "z", "0", "MATCH", "a"),
                         ("*", [bulk("0"), bulks("a", "1.5")]))

    def test_pop_replies(self):
        c = self.raw3.call
        c("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
        self.assertEqual(c("ZPOPMIN", "z"), ("*", [bulk("a"), (",", "1")]))
        self.assertEqual(c("ZPOPMIN", "z", "1"), ("*", [("*", [bulk("b"), (",", "2")])]))
        self.assertEqual(c("ZPOPMAX", "z", "2"), ("*", [("*", [bulk("e"), (",", "5")]),
                                                        ("*", [bulk("d"), (",", "4")])]))
        self.assertEqual(c("ZPOPMIN", "nokey"), ("*", []))
        self.assertEqual(c("ZMPOP", "1", "nokey", "MIN"), ("_", None))
        self.assertEqual(c("BZPOPMIN", "z", "0"), ("*", [bulk("z"), bulk("c"), (",", "3")]))
        self.assertEqual(c("EXISTS", "z"), (":", 0))
        self.assertEqual(c("ZADD", "z", "inf", "big"), (":", 1))
        self.assertEqual(c("BZMPOP", "0", "1", "z", "MAX"),
                         ("*", [bulk("z"), ("*", [("*", [bulk("big"), (",", "inf")])])]))


class ModelTest(ZsetTestCase):
    """Random commands against a Python dict model; the seed is printed on failure."""

    def model_range(self, model):
        return sorted(model.items(), key=lambda kv: (kv[1], kv[0].encode()))

    def test_random_commands_match_a_model(self):
        seed = random.randrange(1 << 30)
        rnd = random.Random(seed)
        model = {}
        members = [f"m{i}" for i in range(40)]
        pipe_checks = 0
        for step in range(1500):
            op = rnd.randrange(10)
            msg = f"seed {seed} step {step}"
            if op < 3:
                m, s = rnd.choice(members), rnd.randrange(-20, 20) / 2
                added = self.r.zadd("z", {m: s})
                self.assertEqual(added, 0 if m in model else 1, msg)
                model[m] = s
            elif op == 3:
                m, d = rnd.choice(members), rnd.randrange(-5, 5)
                self.assertEqual(self.r.zincrby("z", d, m), model.get(m, 0) + d, msg)
                model[m] = model.get(m, 0) + d
            elif op == 4:
                m = rnd.choice(members)
                self.assertEqual(self.r.zrem("z", m), 1 if m in model else 0, msg)
                model.pop(m, None)
            elif op == 5:
                lo, hi = sorted([rnd.randrange(-12, 12), rnd.randrange(-12, 12)])
                want = [m for m, s in self.model_range(model) if lo <= s <= hi]
                self.assertEqual(self.r.zrangebyscore("z", lo, hi), want, msg)
                self.assertEqual(self.r.zcount("z", lo, hi), len(want), msg)
                self.assertEqual(self.r.zrevrangebyscore("z", hi, lo), want[::-1], msg)
            elif op == 6:
                start, stop = rnd.randrange(-45, 45), rnd.randrange(-45, 45)
                ordered = [m for m, _ in self.model_range(model)]
                n = len(ordered)
                a = max(start + n if start < 0 else start, 0)
                b = stop + n if stop < 0 else stop
                want = ordered[a:b + 1] if a <= b else []
                self.assertEqual(self.r.zrange("z", start, stop), want, msg)
            elif op == 7:
                m = rnd.choice(members)
                ordered = [x for x, _ in self.model_range(model)]
                want = ordered.index(m) if m in model else None
                self.assertEqual(self.r.zrank("z", m), want, msg)
                self.assertEqual(self.r.zscore("z", m), model.get(m), msg)
            elif op == 8 and model and rnd.random() < 0.3:
                n = rnd.randrange(1, 4)
                want = self.model_range(model)[:n]
                self.assertEqual(self.r.zpopmin("z", n), want, msg)
                for m, _ in want:
                    del model[m]
            elif op == 9:
                lo, hi = rnd.randrange(-12, 12), rnd.randrange(-12, 12)
                removed = [m for m, s in model.items() if lo < s <= hi]
                self.assertEqual(self.r.zremrangebyscore("z", f"({lo}", hi), len(removed), msg)
                for m in removed:
                    del model[m]
            pipe_checks += 1
            if step % 100 == 0:
                self.assertEqual(self.all("z"), self.model_range(model), msg)
                self.assertEqual(self.r.zcard("z"), len(model), msg)
        self.assertEqual(self.all("z"), self.model_range(model), f"seed {seed}")


class BigSetTest(ZsetTestCase):
    def test_a_big_set_stays_fast_and_ordered(self):
        n = 20000
        pipe = self.r.pipeline(transaction=False)
        for base in range(0, n, 1000):
            pipe.zadd("big", {f"m{i}": i for i in range(base, base + 1000)})
        pipe.execute()
        self.assertEqual(self.r.zcard("big"), n)
        start = time.monotonic()
        for _ in range(200):
            self.assertEqual(self.r.zscore("big", "m12345"), 12345.0)
            self.assertEqual(self.r.zrangebyscore("big", 19990, "+inf"),
                             [f"m{i}" for i in range(19990, 20000)])
            self.assertEqual(self.r.zrevrange("big", 0, 1), ["m19999", "m19998"])
            self.assertEqual(self.r.zrange("big", 0, 0), ["m0"])
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(self.r.zrank("big", "m15000"), 15000)
        self.assertEqual(self.r.zrevrank("big", "m15000"), 4999)
        self.assertEqual(self.r.zpopmax("big"), [("m19999", 19999.0)])
        self.assertEqual(self.r.zremrangebyrank("big", 0, 9998), 9999)
        self.assertEqual(self.r.zrange("big", 0, 0), ["m9999"])


class RestartTest(ZsetTestCase):
    def restart(self):
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        self.raw.close()
        type(self).raw = harness.RawConnection(self.server.port)

    def test_sorted_sets_survive_a_restart(self):
        self.r.zadd("z", {f"m{i}": i / 4 for i in range(500)})
        self.r.zadd("z", {"m1": 99}, xx=True)
        self.r.zincrby("z", 2.5, "m2")
        self.r.zrem("z", "m3")
        self.r.zremrangebyscore("z", 10, 20)
        self.r.zpopmin("z", 2)
        self.r.zunionstore("u", ["z", "z"], aggregate="MAX")
        self.r.zrangestore("r", "z", 0, 9)
        self.r.zadd("gone", {"x": 1})
        self.r.zpopmax("gone")
        self.assertEqual(self.r.bzpopmin(["z"], timeout=1)[1], "m5")
        before = (self.all("z"), self.all("u"), self.all("r"))
        self.restart()
        self.assertEqual((self.all("z"), self.all("u"), self.all("r")), before)
        self.assertEqual(self.r.exists("gone"), 0)
        self.assertEqual(self.r.zscore("z", "m1"), 99.0)
        self.assertEqual(self.r.zscore("z", "m2"), 3.0)
        self.assertEqual(self.r.zadd("z", {"m1": 0}), 0)
        self.assertEqual(self.r.zrange("z", 0, 0), ["m1"])


if __name__ == "__main__":
    unittest.main()
