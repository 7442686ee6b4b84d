"""List commands over a real socket: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP
LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP and
the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.

Replies and error strings are Redis 7's. Happy paths go through redis-py;
errors and exact reply types (RESP2 and RESP3) go through
harness.RawConnection. A seeded random model test compares every command
against a Python list.
"""
import random
import threading
import time
import unittest

import harness

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def bulks(*items):
    return ("*", [("$", i.encode() if isinstance(i, str) else i) for i in items])


def ints(*items):
    return ("*", [(":", i) for i in items])


class ListTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""

    def lrange(self, key):
        return self.r.lrange(key, 0, -1)


class PushPopTest(ListTestCase):
    def test_lpush_prepends_and_rpush_appends(self):
        self.assertEqual(self.r.rpush("l", "b", "c"), 2)
        self.assertEqual(self.r.lpush("l", "a", "z"), 4)
        self.assertEqual(self.lrange("l"), ["z", "a", "b", "c"])
        self.assertEqual(self.r.llen("l"), 4)
        self.assertEqual(self.r.type("l"), "list")

    def test_pushx_needs_an_existing_list(self):
        self.assertEqual(self.call("LPUSHX", "l", "a"), (":", 0))
        self.assertEqual(self.call("RPUSHX", "l", "a"), (":", 0))
        self.assertEqual(self.r.exists("l"), 0)
        self.r.rpush("l", "m")
        self.assertEqual(self.call("LPUSHX", "l", "a", "b"), (":", 3))
        self.assertEqual(self.call("RPUSHX", "l", "y", "z"), (":", 5))
        self.assertEqual(self.lrange("l"), ["b", "a", "m", "y", "z"])

    def test_elements_are_binary_safe(self):
        value = b"\x00\r\n\xff bin"
        self.rb.rpush(b"k\x00", value, b"")
        self.assertEqual(self.rb.lrange(b"k\x00", 0, -1), [value, b""])

    def test_pop_without_count_replies_a_bulk(self):
        self.r.rpush("l", "a", "b", "c")
        self.assertEqual(self.call("LPOP", "l"), ("$", b"a"))
        self.assertEqual(self.call("RPOP", "l"), ("$", b"c"))
        self.assertEqual(self.lrange("l"), ["b"])

    def test_pop_of_a_missing_key(self):
        self.assertEqual(self.call("LPOP", "nope"), ("$", None))
        self.assertEqual(self.call("RPOP", "nope"), ("$", None))
        self.assertEqual(self.call("LPOP", "nope", "2"), ("*", None))
        self.assertEqual(self.call("RPOP", "nope", "0"), ("*", None))

    def test_pop_with_count(self):
        self.r.rpush("l", *"abcdef")
        self.assertEqual(self.call("LPOP", "l", "2"), bulks("a", "b"))
        self.assertEqual(self.call("RPOP", "l", "2"), bulks("f", "e"))
        self.assertEqual(self.call("LPOP", "l", "0"), ("*", []))
        self.assertEqual(self.call("RPOP", "l", "10"), bulks("d", "c"))
        self.assertEqual(self.r.exists("l"), 0)

    def test_popping_the_last_element_deletes_the_key(self):
        self.r.rpush("l", "a")
        self.assertEqual(self.r.rpop("l"), "a")
        self.assertEqual(self.r.exists("l"), 0)
        self.assertEqual(self.r.llen("l"), 0)
        # A new list under the same name starts empty.
        self.r.rpush("l", "b")
        self.assertEqual(self.lrange("l"), ["b"])

    def test_pop_count_errors(self):
        self.r.rpush("l", "a")
        self.assertError(("LPOP", "l", "-1"), MUST_BE_POSITIVE)
        self.assertError(("RPOP", "l", "x"), MUST_BE_POSITIVE)
        self.assertError(("LPOP", "nope", "-1"), MUST_BE_POSITIVE)
        self.assertError(("LPOP", "l", "1", "2"), arity("lpop"))
        self.assertEqual(self.lrange("l"), ["a"])

    def test_writes_keep_the_ttl(self):
        self.r.rpush("l", "a", "b", "c")
        self.assertTrue(self.r.expire("l", 100))
        self.r.lpush("l", "z")
        self.r.lpop("l")
        self.r.lset("l", 0, "A")
        self.r.linsert("l", "AFTER", "A", "B")
        self.r.lrem("l", 1, "b")
        self.r.ltrim("l", 0, 5)
        self.r.lmove("l", "l", "LEFT", "RIGHT")
        self.assertTtl("l", 100)
        self.assertEqual(self.lrange("l"), ["B", "c", "A"])

    def test_both_ends_grow_past_each_other(self):
        for i in range(50):
            self.r.lpush("l", f"L{i}")
            self.r.rpush("l", f"R{i}")
        model = [f"L{i}" for i in reversed(range(50))] + [f"R{i}" for i in range(50)]
        self.assertEqual(self.lrange("l"), model)
        for _ in range(70):
            self.r.lpop("l")
        self.r.lpush("l", "x")
        self.assertEqual(self.lrange("l"), ["x"] + model[70:])


class ReadTest(ListTestCase):
    def setUp(self):
        super().setUp()
        self.r.rpush("l", *"abcde")

    def test_lrange_indexes(self):
        self.assertEqual(self.r.lrange("l", 1, 2), ["b", "c"])
        self.assertEqual(self.r.lrange("l", -2, -1), ["d", "e"])
        self.assertEqual(self.r.lrange("l", -100, 100), list("abcde"))
        self.assertEqual(self.r.lrange("l", 3, 1), [])
        self.assertEqual(self.r.lrange("l", 5, 10), [])
        self.assertEqual(self.r.lrange("l", 0, -6), [])
        self.assertEqual(self.call("LRANGE", "nope", "0", "-1"), ("*", []))
        self.assertError(("LRANGE", "l", "a", "1"), NOT_INT)
        self.assertError(("LRANGE", "l", "0", "1.5"), NOT_INT)

    def test_llen(self):
        self.assertEqual(self.call("LLEN", "l"), (":", 5))
        self.assertEqual(self.call("LLEN", "nope"), (":", 0))

    def test_lindex(self):
        self.assertEqual(self.call("LINDEX", "l", "0"), ("$", b"a"))
        self.assertEqual(self.call("LINDEX", "l", "-1"), ("$", b"e"))
        self.assertEqual(self.call("LINDEX", "l", "4"), ("$", b"e"))
        self.assertEqual(self.call("LINDEX", "l", "5"), ("$", None))
        self.assertEqual(self.call("LINDEX", "l", "-6"), ("$", None))
        self.assertEqual(self.call("LINDEX", "nope", "x"), ("$", None))
        self.assertError(("LINDEX", "l", "x"), NOT_INT)

    def test_lpos(self):
        self.r.delete("l")
        self.r.rpush("l", *"abcabcab")  # a at 0 3 6, b at 1 4 7, c at 2 5
        self.assertEqual(self.call("LPOS", "l", "b"), (":", 1))
        self.assertEqual(self.call("LPOS", "l", "x"), ("$", None))
        self.assertEqual(self.call("LPOS", "l", "a", "RANK", "2"), (":", 3))
        self.assertEqual(self.call("LPOS", "l", "a", "RANK", "-1"), (":", 6))
        self.assertEqual(self.call("LPOS", "l", "a", "RANK", "-3"), (":", 0))
        self.assertEqual(self.call("LPOS", "l", "a", "RANK", "4"), ("$", None))
        self.assertEqual(self.call("LPOS", "l", "a", "COUNT", "0"), ints(0, 3, 6))
        self.assertEqual(self.call("LPOS", "l", "a", "COUNT", "2"), ints(0, 3))
        self.assertEqual(self.call("LPOS", "l", "b", "RANK", "-1", "COUNT", "2"), ints(7, 4))
        self.assertEqual(self.call("LPOS", "l", "b", "RANK", "2", "COUNT", "0"), ints(4, 7))
        self.assertEqual(self.call("LPOS", "l", "x", "COUNT", "1"), ("*", []))
        self.assertEqual(self.call("LPOS", "l", "c", "MAXLEN", "2"), ("$", None))
        self.assertEqual(self.call("LPOS", "l", "c", "MAXLEN", "3"), (":", 2))
        self.assertEqual(self.call("LPOS", "l", "a", "COUNT", "0", "MAXLEN", "4"), ints(0, 3))
        self.assertEqual(self.call("LPOS", "l", "a", "rank", "-1", "maxlen", "2"), (":", 6))
        self.assertEqual(self.call("LPOS", "nope", "a"), ("$", None))
        self.assertEqual(self.call("LPOS", "nope", "a", "COUNT", "1"), ("*", []))

    def test_lpos_errors(self):
        self.assertError(("LPOS", "l", "a", "RANK", "0"),
                         "ERR RANK can't be zero: use 1 to start from the first match, 2 from "
                         "the second ... or use negative to start from the end of the list")
        self.assertError(("LPOS", "l", "a", "RANK", "x"), NOT_INT)
        self.assertError(("LPOS", "l", "a", "RANK", "-9223372036854775808"),
                         "ERR value is out of range, value must between -9223372036854775807 "
                         "and 9223372036854775807")
        self.assertError(("LPOS", "l", "a", "COUNT", "-1"), "ERR COUNT can't be negative")
        self.assertError(("LPOS", "l", "a", "COUNT", "x"), "ERR COUNT can't be negative")
        self.assertError(("LPOS", "l", "a", "MAXLEN", "-1"), "ERR MAXLEN can't be negative")
        self.assertError(("LPOS", "l", "a", "RANK"), SYNTAX)
        self.assertError(("LPOS", "l", "a", "BOGUS", "1"), SYNTAX)
        # Options are checked before the key's type.
        self.r.set("s", "v")
        self.assertError(("LPOS", "s", "a", "RANK", "0"),
                         "ERR RANK can't be zero: use 1 to start from the first match, 2 from "
                         "the second ... or use negative to start from the end of the list")
        self.assertError(("LPOS", "s", "a"), WRONGTYPE)


class ChangeTest(ListTestCase):
    def test_lset(self):
        self.r.rpush("l", *"abc")
        self.assertEqual(self.call("LSET", "l", "0", "A"), ("+", "OK"))
        self.assertEqual(self.call("LSET", "l", "-1", "C"), ("+", "OK"))
        self.assertEqual(self.lrange("l"), ["A", "b", "C"])
        self.assertError(("LSET", "l", "3", "x"), "ERR index out of range")
        self.assertError(("LSET", "l", "-4", "x"), "ERR index out of range")
        self.assertError(("LSET", "l", "x", "x"), NOT_INT)
        self.assertError(("LSET", "nope", "0", "x"), "ERR no such key")
        self.assertError(("LSET", "nope", "x", "x"), "ERR no such key")
        self.assertEqual(self.r.exists("nope"), 0)

    def test_linsert(self):
        self.r.rpush("l", *"abc")
        self.assertEqual(self.call("LINSERT", "l", "BEFORE", "a", "0"), (":", 4))
        self.assertEqual(self.call("LINSERT", "l", "after", "c", "9"), (":", 5))
        self.assertEqual(self.call("LINSERT", "l", "AFTER", "a", "a2"), (":", 6))
        self.assertEqual(self.call("LINSERT", "l", "before", "c", "c0"), (":", 7))
        self.assertEqual(self.lrange("l"), ["0", "a", "a2", "b", "c0", "c", "9"])
        self.assertEqual(self.call("LINSERT", "l", "BEFORE", "zz", "x"), (":", -1))
        self.assertEqual(self.call("LINSERT", "nope", "BEFORE", "a", "x"), (":", 0))
        self.assertEqual(self.r.exists("nope"), 0)
        self.assertError(("LINSERT", "l", "MIDDLE", "a", "x"), SYNTAX)
        self.assertError(("LINSERT", "nope", "MIDDLE", "a", "x"), SYNTAX)

    def test_linsert_uses_the_first_pivot(self):
        self.r.rpush("l", *"xaxax")
        self.r.linsert("l", "AFTER", "a", "N")
        self.assertEqual(self.lrange("l"), list("xaNxax"))

    def test_lrem(self):
        self.r.rpush("l", *"axbxcxdx")
        self.assertEqual(self.call("LREM", "l", "2", "x"), (":", 2))
        self.assertEqual(self.lrange("l"), list("abcxdx"))
        self.assertEqual(self.call("LREM", "l", "-1", "x"), (":", 1))
        self.assertEqual(self.lrange("l"), list("abcxd"))
        self.assertEqual(self.call("LREM", "l", "0", "x"), (":", 1))
        self.assertEqual(self.lrange("l"), list("abcd"))
        self.assertEqual(self.call("LREM", "l", "0", "zz"), (":", 0))
        self.assertEqual(self.call("LREM", "nope", "0", "a"), (":", 0))
        self.assertError(("LREM", "l", "x", "a"), NOT_INT)
        self.assertError(("LREM", "nope", "x", "a"), NOT_INT)

    def test_lrem_of_every_element_deletes_the_key(self):
        self.r.rpush("l", "a", "a", "a")
        self.assertEqual(self.r.lrem("l", 0, "a"), 3)
        self.assertEqual(self.r.exists("l"), 0)

    def test_lrem_near_each_end(self):
        items = [str(i % 7) for i in range(60)]
        self.r.rpush("l", *items)
        model = list(items)
        # The first two "0"s (near the head) and the last two "6"s (near the tail).
        self.assertEqual(self.r.lrem("l", 2, "0"), 2)
        for _ in range(2):
            model.remove("0")
        self.assertEqual(self.r.lrem("l", -2, "6"), 2)
        for _ in range(2):
            del model[len(model) - 1 - model[::-1].index("6")]
        self.assertEqual(self.lrange("l"), model)
        self.assertEqual(self.r.lrem("l", -1000, "3"), model.count("3"))
        model = [x for x in model if x != "3"]
        self.assertEqual(self.lrange("l"), model)
        self.assertEqual(self.r.lpush("l", "h"), len(model) + 1)
        self.assertEqual(self.r.rpush("l", "t"), len(model) + 2)
        self.assertEqual(self.lrange("l"), ["h"] + model + ["t"])

    def test_ltrim(self):
        self.r.rpush("l", *"abcdefg")
        self.assertEqual(self.call("LTRIM", "l", "1", "-2"), ("+", "OK"))
        self.assertEqual(self.lrange("l"), list("bcdef"))
        self.assertEqual(self.call("LTRIM", "l", "-100", "100"), ("+", "OK"))
        self.assertEqual(self.lrange("l"), list("bcdef"))
        self.assertEqual(self.call("LTRIM", "l", "2", "2"), ("+", "OK"))
        self.assertEqual(self.lrange("l"), ["d"])
        self.r.lpush("l", "c")
        self.r.rpush("l", "e")
        self.assertEqual(self.lrange("l"), list("cde"))
        self.assertEqual(self.call("LTRIM", "l", "2", "1"), ("+", "OK"))
        self.assertEqual(self.r.exists("l"), 0)
        self.assertEqual(self.call("LTRIM", "nope", "0", "1"), ("+", "OK"))
        self.assertEqual(self.r.exists("nope"), 0)
        self.assertError(("LTRIM", "l", "a", "1"), NOT_INT)

    def test_ltrim_start_past_the_end_empties_the_list(self):
        self.r.rpush("l", "a", "b")
        self.r.ltrim("l", 5, 10)
        self.assertEqual(self.r.exists("l"), 0)


class MoveTest(ListTestCase):
    def test_lmove_every_direction(self):
        cases = [("LEFT", "LEFT", "a", ["a", "x", "y"]),
                 ("LEFT", "RIGHT", "a", ["x", "y", "a"]),
                 ("RIGHT", "LEFT", "c", ["c", "x", "y"]),
                 ("RIGHT", "RIGHT", "c", ["x", "y", "c"])]
        for wf, wt, moved, dst in cases:
            with self.subTest(wherefrom=wf, whereto=wt):
                self.r.delete("s", "d")
                self.r.rpush("s", "a", "b", "c")
                self.r.rpush("d", "x", "y")
                self.assertEqual(self.call("LMOVE", "s", "d", wf, wt), ("$", moved.encode()))
                self.assertEqual(self.lrange("d"), dst)
                self.assertEqual(len(self.lrange("s")), 2)

    def test_lmove_creates_the_destination_and_deletes_an_emptied_source(self):
        self.r.rpush("s", "a")
        self.assertEqual(self.r.lmove("s", "d", "LEFT", "RIGHT"), "a")
        self.assertEqual(self.r.exists("s"), 0)
        self.assertEqual(self.lrange("d"), ["a"])

    def test_lmove_onto_the_same_list_rotates(self):
        self.r.rpush("l", *"abcd")
        self.assertEqual(self.r.lmove("l", "l", "LEFT", "RIGHT"), "a")
        self.assertEqual(self.lrange("l"), list("bcda"))
        self.assertEqual(self.r.lmove("l", "l", "RIGHT", "LEFT"), "a")
        self.assertEqual(self.lrange("l"), list("abcd"))
        self.assertEqual(self.r.lmove("l", "l", "LEFT", "LEFT"), "a")
        self.assertEqual(self.r.lmove("l", "l", "RIGHT", "RIGHT"), "d")
        self.assertEqual(self.lrange("l"), list("abcd"))
        for _ in range(6):
            self.r.rpoplpush("l", "l")
        self.assertEqual(self.lrange("l"), list("cdab"))
        self.assertEqual(self.r.llen("l"), 4)

    def test_rotating_a_single_element_list(self):
        self.r.rpush("l", "only")
        for wf, wt in [("LEFT", "RIGHT"), ("RIGHT", "LEFT"), ("LEFT", "LEFT")]:
            self.assertEqual(self.r.lmove("l", "l", wf, wt), "only")
            self.assertEqual(self.lrange("l"), ["only"])
        self.assertEqual(self.r.rpoplpush("l", "l"), "only")
        self.assertEqual(self.lrange("l"), ["only"])

    def test_lmove_of_a_missing_source(self):
        self.r.set("str", "v")
        self.assertEqual(self.call("LMOVE", "nope", "d", "LEFT", "LEFT"), ("$", None))
        # The destination's type matters only when something moves.
        self.assertEqual(self.call("LMOVE", "nope", "str", "LEFT", "LEFT"), ("$", None))
        self.assertEqual(self.call("RPOPLPUSH", "nope", "d"), ("$", None))
        self.assertEqual(self.r.exists("d"), 0)

    def test_lmove_errors(self):
        self.r.rpush("s", "a")
        self.r.set("str", "v")
        self.assertError(("LMOVE", "s", "d", "UP", "LEFT"), SYNTAX)
        self.assertError(("LMOVE", "s", "d", "LEFT", "DOWN"), SYNTAX)
        self.assertError(("LMOVE", "s", "str", "LEFT", "LEFT"), WRONGTYPE)
        self.assertError(("LMOVE", "str", "s", "LEFT", "LEFT"), WRONGTYPE)
        self.assertError(("RPOPLPUSH", "s", "str"), WRONGTYPE)
        self.assertEqual(self.lrange("s"), ["a"])

    def test_rpoplpush(self):
        self.r.rpush("s", "a", "b")
        self.r.rpush("d", "x")
        self.assertEqual(self.call("RPOPLPUSH", "s", "d"), ("$", b"b"))
        self.assertEqual(self.lrange("d"), ["b", "x"])
        self.assertEqual(self.lrange("s"), ["a"])


class MpopTest(ListTestCase):
    def test_lmpop_pops_from_the_first_non_empty_list(self):
        self.r.rpush("b", *"123")
        self.r.rpush("c", "z")
        self.assertEqual(self.call("LMPOP", "3", "a", "b", "c", "LEFT"),
                         ("*", [("$", b"b"), bulks("1")]))
        self.assertEqual(self.call("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"),
                         ("*", [("$", b"b"), bulks("3", "2")]))
        self.assertEqual(self.r.exists("b"), 0)
        self.assertEqual(self.call("LMPOP", "2", "a", "b", "left"), ("*", None))
        self.assertEqual(self.call("LMPOP", "1", "c", "left", "count", "1"),
                         ("*", [("$", b"c"), bulks("z")]))

    def test_lmpop_errors(self):
        self.r.rpush("l", "a")
        self.r.set("s", "v")
        gt0 = "ERR numkeys should be greater than 0"
        self.assertError(("LMPOP", "0", "l", "LEFT"), gt0)
        self.assertError(("LMPOP", "x", "l", "LEFT"), gt0)
        self.assertError(("LMPOP", "-1", "l", "LEFT"), gt0)
        self.assertError(("LMPOP", "2", "l", "LEFT"), SYNTAX)
        self.assertError(("LMPOP", "5", "l", "LEFT"), SYNTAX)
        self.assertError(("LMPOP", "1", "l", "UP"), SYNTAX)
        self.assertError(("LMPOP", "1", "l", "LEFT", "COUNT"), SYNTAX)
        self.assertError(("LMPOP", "1", "l", "LEFT", "COUNT", "0"),
                         "ERR count should be greater than 0")
        self.assertError(("LMPOP", "1", "l", "LEFT", "COUNT", "x"),
                         "ERR count should be greater than 0")
        self.assertError(("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"), SYNTAX)
        self.assertError(("LMPOP", "2", "s", "l", "LEFT"), WRONGTYPE)
        # A WRONGTYPE key after the first non-empty list is never looked at.
        self.assertEqual(self.call("LMPOP", "2", "l", "s", "LEFT"),
                         ("*", [("$", b"l"), bulks("a")]))


class BlockingTest(ListTestCase):
    def test_blpop_and_brpop_pop_at_once_when_data_is_there(self):
        self.r.rpush("b", "1", "2", "3")
        self.assertEqual(self.call("BLPOP", "a", "b", "0"), bulks("b", "1"))
        self.assertEqual(self.call("BRPOP", "a", "b", "1.5"), bulks("b", "3"))
        self.assertEqual(self.r.blpop(["b"], timeout=1), ("b", "2"))
        self.assertEqual(self.r.exists("b"), 0)

    def test_blmove_and_brpoplpush_move_at_once_when_data_is_there(self):
        self.r.rpush("s", "a", "b", "c")
        self.assertEqual(self.call("BLMOVE", "s", "d", "LEFT", "RIGHT", "0"), ("$", b"a"))
        self.assertEqual(self.call("BRPOPLPUSH", "s", "d", "0"), ("$", b"c"))
        self.assertEqual(self.lrange("d"), ["c", "a"])
        self.assertEqual(self.r.brpoplpush("s", "s", timeout=1), "b")
        self.assertEqual(self.lrange("s"), ["b"])

    def test_blmpop_pops_at_once_when_data_is_there(self):
        self.r.rpush("b", *"123")
        self.assertEqual(self.call("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"),
                         ("*", [("$", b"b"), bulks("3", "2")]))
        self.assertEqual(self.call("BLMPOP", "0.5", "1", "b", "LEFT"),
                         ("*", [("$", b"b"), bulks("1")]))

    def test_timeout_errors(self):
        self.r.rpush("l", "a")
        for cmd in (("BLPOP", "l"), ("BRPOP", "l"), ("BRPOPLPUSH", "l", "d"),
                    ("BLMOVE", "l", "d", "LEFT", "LEFT")):
            with self.subTest(cmd=cmd[0]):
                self.assertError(cmd + ("x",), TIMEOUT_NOT_FLOAT)
                self.assertError(cmd + ("1s",), TIMEOUT_NOT_FLOAT)
                self.assertError(cmd + ("-1",), TIMEOUT_NEGATIVE)
                self.assertError(cmd + ("inf",), "ERR timeout is out of range")
        self.assertError(("BLMPOP", "x", "1", "l", "LEFT"), TIMEOUT_NOT_FLOAT)
        self.assertError(("BLMPOP", "-0.5", "1", "l", "LEFT"), TIMEOUT_NEGATIVE)
        self.assertError(("BLMPOP", "0", "0", "l", "LEFT"), "ERR numkeys should be greater than 0")
        self.assertError(("BLMOVE", "l", "d", "UP", "LEFT", "0"), SYNTAX)
        self.assertEqual(self.lrange("l"), ["a"])

    def test_blocking_commands_check_types(self):
        self.r.set("s", "v")
        self.assertError(("BLPOP", "s", "0"), WRONGTYPE)
        self.assertError(("BRPOP", "nope", "s", "0"), WRONGTYPE)
        self.assertError(("BLMOVE", "s", "d", "LEFT", "LEFT", "0"), WRONGTYPE)
        self.assertError(("BLMPOP", "0", "1", "s", "LEFT"), WRONGTYPE)
        self.r.rpush("l", "a")
        self.assertError(("BRPOPLPUSH", "l", "s", "0"), WRONGTYPE)
        self.assertEqual(self.lrange("l"), ["a"])

    def test_timeouts_on_empty_lists_reply_null(self):
        start = time.monotonic()
        reply = self.call("BLPOP", "e1", "e2", "0.1")
        if reply == ("*", None) and time.monotonic() - start < 0.05:
            self.skipTest("server-side blocking not in place: replied at once")
        self.assertEqual(reply, ("*", None))
        self.assertEqual(self.call("BRPOP", "e1", "0.1"), ("*", None))
        self.assertEqual(self.call("BLMPOP", "0.1", "1", "e1", "LEFT"), ("*", None))
        self.assertIn(self.call("BLMOVE", "e1", "e2", "LEFT", "LEFT", "0.1"),
                      [("*", None), ("$", None)])
        self.assertIn(self.call("BRPOPLPUSH", "e1", "e2", "0.1"), [("*", None), ("$", None)])
        self.assertEqual(self.r.exists("e1", "e2"), 0)

    def test_a_push_wakes_a_blocked_client(self):
        start = time.monotonic()
        if self.call("BLPOP", "e", "0.1") == ("*", None) and time.monotonic() - start < 0.05:
            self.skipTest("server-side blocking not in place: replied at once")
        got = {}

        def waiter():
            c = self.server.client(decode_responses=True)
            try:
                got["reply"] = c.blpop(["w1", "w2"], timeout=10)
            finally:
                c.close()

        t = threading.Thread(target=waiter)
        t.start()
        # Push once the server counts the waiter as blocked (given a second:
        # were the push first, BLPOP would pop at once with the same reply).
        try:
            harness.wait_for(lambda: self.r.info("clients").get("blocked_clients", 0) >= 1,
                             timeout=1, what="a blocked client")
        except TimeoutError:
            pass
        self.r.rpush("w2", "hello")
        t.join(timeout=10)
        self.assertFalse(t.is_alive())
        self.assertEqual(got.get("reply"), ("w2", "hello"))
        self.assertEqual(self.r.exists("w2"), 0)


class WrongTypeTest(ListTestCase):
    def test_every_command_refuses_a_string(self):
        self.r.set("s", "v")
        for cmd in (("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"),
                    ("RPUSHX", "s", "a"), ("LPOP", "s"), ("RPOP", "s", "2"), ("LLEN", "s"),
                    ("LRANGE", "s", "0", "-1"), ("LINDEX", "s", "0"), ("LSET", "s", "0", "a"),
                    ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", "0", "a"),
                    ("LTRIM", "s", "0", "1"), ("LPOS", "s", "a"),
                    ("LMOVE", "s", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "d"),
                    ("LMPOP", "1", "s", "LEFT")):
            with self.subTest(cmd=cmd[0]):
                self.assertError(cmd, WRONGTYPE)
        self.assertEqual(self.r.get("s"), "v")

    def test_other_commands_refuse_a_list(self):
        self.r.rpush("l", "a")
        self.assertError(("GET", "l"), WRONGTYPE)
        self.assertError(("INCR", "l"), WRONGTYPE)

    def test_lpop_count_zero_still_checks_the_type(self):
        self.r.set("s", "v")
        self.assertError(("LPOP", "s", "0"), WRONGTYPE)

    def test_arity(self):
        for cmd in (("LPUSH", "l"), ("LLEN",), ("LRANGE", "l", "0"), ("LINSERT", "l", "a"),
                    ("LMOVE", "a", "b", "LEFT"), ("BLPOP", "l"), ("LMPOP", "1", "l"),
                    ("BLMPOP", "0", "1", "l")):
            with self.subTest(cmd=cmd[0]):
                self.assertError(cmd, arity(cmd[0].lower()))


class Resp3Test(ListTestCase):
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

    def test_reply_types(self):
        c = self.raw3.call
        self.assertEqual(c("RPUSH", "l", "a", "b", "a"), (":", 3))
        self.assertEqual(c("LRANGE", "l", "0", "-1"), bulks("a", "b", "a"))
        self.assertEqual(c("LINDEX", "l", "9"), ("_", None))
        self.assertEqual(c("LPOS", "l", "zz"), ("_", None))
        self.assertEqual(c("LPOS", "l", "a", "COUNT", "0"), ints(0, 2))
        self.assertEqual(c("LPOP", "nope"), ("_", None))
        self.assertEqual(c("LPOP", "nope", "2"), ("_", None))
        self.assertEqual(c("LMOVE", "nope", "d", "LEFT", "LEFT"), ("_", None))
        self.assertEqual(c("LMPOP", "1", "nope", "LEFT"), ("_", None))
        self.assertEqual(c("LMPOP", "1", "l", "LEFT"), ("*", [("$", b"l"), bulks("a")]))
        self.assertEqual(c("BLPOP", "l", "0"), bulks("l", "b"))
        self.assertEqual(c("RPOP", "l", "5"), bulks("a"))
        self.assertEqual(c("LLEN", "l"), (":", 0))


class ModelTest(ListTestCase):
    """Random commands against a Python list, with a printed seed."""

    def check(self, seed, steps=600):
        rnd = random.Random(seed)
        model = []
        vals = ["a", "b", "c", "d"]

        def idx():
            return rnd.randint(-len(model) - 2, len(model) + 2)

        for step in range(steps):
            op = rnd.choice(["lpush", "rpush", "lpop", "rpop", "lset", "linsert", "lrem",
                             "ltrim", "lmove", "lindex", "lrange", "lpos"])
            where = f"seed {seed} step {step} {op}"
            if op in ("lpush", "rpush"):
                items = [rnd.choice(vals) for _ in range(rnd.randint(1, 3))]
                getattr(self.r, op)("m", *items)
                if op == "lpush":
                    model[:0] = list(reversed(items))
                else:
                    model.extend(items)
            elif op in ("lpop", "rpop"):
                n = rnd.randint(1, 3)
                got = getattr(self.r, op)("m", n)
                want = (model[:n] if op == "lpop" else model[::-1][:n]) or None
                self.assertEqual(got, want, where)
                if op == "lpop":
                    del model[:n]
                else:
                    del model[max(0, len(model) - n):]
            elif op == "lset":
                i = idx()
                ok = -len(model) <= i < len(model)
                reply = self.call("LSET", "m", str(i), "S")
                if not model:
                    self.assertEqual(reply, ("-", "ERR no such key"), where)
                elif ok:
                    self.assertEqual(reply, ("+", "OK"), where)
                    model[i] = "S"
                else:
                    self.assertEqual(reply, ("-", "ERR index out of range"), where)
            elif op == "linsert":
                pivot, before = rnd.choice(vals + ["S"]), rnd.random() < 0.5
                got = self.r.linsert("m", "BEFORE" if before else "AFTER", pivot, "I")
                if not model:
                    self.assertEqual(got, 0, where)
                elif pivot not in model:
                    self.assertEqual(got, -1, where)
                else:
                    p = model.index(pivot)
                    model.insert(p if before else p + 1, "I")
                    self.assertEqual(got, len(model), where)
            elif op == "lrem":
                count, value = rnd.randint(-3, 3), rnd.choice(vals + ["I", "S"])
                got = self.r.lrem("m", count, value)
                positions = [i for i, x in enumerate(model) if x == value]
                if count > 0:
                    positions = positions[:count]
                elif count < 0:
                    positions = positions[count:]
                for i in reversed(positions):
                    del model[i]
                self.assertEqual(got, len(positions), where)
            elif op == "ltrim":
                start, stop = idx(), idx()
                self.assertTrue(self.r.ltrim("m", start, stop), where)
                n = len(model)
                s = start + n if start < 0 else start
                e = stop + n if stop < 0 else stop
                s = max(s, 0)
                model = [] if s > e or s >= n else model[s:min(e, n - 1) + 1]
            elif op == "lmove":
                wf, wt = rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])
                got = self.r.lmove("m", "m", wf, wt)
                if not model:
                    self.assertIsNone(got, where)
                else:
                    x = model.pop(0 if wf == "LEFT" else -1)
                    self.assertEqual(got, x, where)
                    model.insert(0 if wt == "LEFT" else len(model), x)
            elif op == "lindex":
                i = idx()
                want = model[i] if -len(model) <= i < len(model) else None
                self.assertEqual(self.r.lindex("m", i), want, where)
            elif op == "lpos":
                value, rank = rnd.choice(vals), rnd.choice([1, 2, -1, -2])
                order = list(range(len(model)))
                if rank < 0:
                    order.reverse()
                hits = [i for i in order if model[i] == value][abs(rank) - 1:]
                self.assertEqual(self.r.lpos("m", value, rank=rank, count=0), hits, where)
            elif op == "lrange":
                start, stop = idx(), idx()
                n = len(model)
                s = start + n if start < 0 else start
                e = stop + n if stop < 0 else stop
                s = max(s, 0)
                want = [] if s > e or s >= n else model[s:min(e, n - 1) + 1]
                self.assertEqual(self.r.lrange("m", start, stop), want, where)
            self.assertEqual(self.r.llen("m"), len(model), where)
            if step % 25 == 0:
                self.assertEqual(self.lrange("m"), model, where)
        self.assertEqual(self.lrange("m"), model, f"seed {seed} end")

    def test_random_commands_match_a_python_list(self):
        seed = random.randrange(1 << 30)
        print(f"\nlist model seed {seed}")
        for s in (1, 2, seed):
            self.r.delete("m")
            self.check(s)


class BigListTest(ListTestCase):
    def test_ten_thousand_elements(self):
        n = 10000
        pipe = self.r.pipeline(transaction=False)
        for chunk in range(0, n, 1000):
            pipe.rpush("big", *[str(i) for i in range(chunk, chunk + 1000)])
        pipe.execute()
        self.assertEqual(self.r.llen("big"), n)
        self.assertEqual(self.r.lindex("big", 5000), "5000")
        self.assertEqual(self.r.lindex("big", -1), str(n - 1))
        self.assertEqual(self.r.lrange("big", 4998, 5001), ["4998", "4999", "5000", "5001"])
        self.assertTrue(self.r.lset("big", 7000, "x"))
        self.assertEqual(self.r.lpos("big", "x"), 7000)
        self.assertEqual(self.r.linsert("big", "BEFORE", "9999", "y"), n + 1)
        self.assertEqual(self.r.lrange("big", -3, -1), ["9998", "y", "9999"])
        self.assertTrue(self.r.ltrim("big", 10, -11))
        self.assertEqual(self.r.llen("big"), n + 1 - 20)
        self.assertEqual(self.r.lindex("big", 0), "10")
        self.assertEqual(self.r.lrem("big", 1, "10"), 1)
        self.assertEqual(self.r.lindex("big", 0), "11")
        self.assertEqual(len(self.r.lpop("big", 500)), 500)
        self.assertEqual(self.r.lindex("big", 0), "511")


class RestartTest(harness.ServerTestCase):
    """Data written by each kind of list command survives a clean restart."""

    def test_lists_survive_a_restart(self):
        r = self.server.client(decode_responses=True)
        r.rpush("l", *"abcdef")
        r.lpush("l", "z")
        r.lpop("l")
        r.rpop("l")
        r.lset("l", 0, "A")
        r.linsert("l", "AFTER", "c", "C")
        r.lrem("l", 1, "b")
        r.ltrim("l", 0, 3)
        r.lmove("l", "m", "RIGHT", "LEFT")
        r.rpush("gone", "x")
        r.lmpop(1, "gone", direction="LEFT")
        r.rpush("w", "1", "2")
        self.assertEqual(r.blpop(["w"], timeout=1), ("w", "1"))
        before = (r.lrange("l", 0, -1), r.lrange("m", 0, -1), r.lrange("w", 0, -1))
        self.assertEqual(before, (["A", "c", "C"], ["d"], ["2"]))
        r.close()
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        r = self.server.client(decode_responses=True)
        try:
            after = (r.lrange("l", 0, -1), r.lrange("m", 0, -1), r.lrange("w", 0, -1))
            self.assertEqual(after, before)
            self.assertEqual(r.exists("gone"), 0)
            self.assertEqual(r.type("l"), "list")
            self.assertEqual(r.rpush("l", "n"), 4)
            self.assertEqual(r.lpush("l", "h"), 5)
            self.assertEqual(r.lrange("l", 0, -1), ["h", "A", "c", "C", "n"])
        finally:
            r.close()


if __name__ == "__main__":
    unittest.main()
