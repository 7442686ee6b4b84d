"""Stream commands over a real socket: XADD XLEN XRANGE XREVRANGE XDEL XTRIM
XREAD (blocking too), RESP3 reply shapes, persistence; consumer groups are
in test_stream_groups.py.

Replies and error strings are Redis 7.0's: every test here passes against
a real redis-server (SHOAL_TEST_AGAINST_REDIS=1). Values Redis itself does
not fix are not asserted: the radix-tree counters of XINFO, a group's lag,
idle times beyond "small", and how much an approximate ("~") trim removes
beyond "at least the threshold is kept".

Replies go through harness.RawConnection and are flattened by plain() so a
test compares them with ordinary lists, dicts, strings and ints; the RESP3
tests compare the typed tuples themselves.
"""
import unittest

import harness
from stream_support import (OK, WRONGTYPE, SYNTAX, NOT_INT, INVALID_ID, XADD_TOO_SMALL, XADD_ZERO,
                            UNBALANCED, LIMIT_NEEDS_TILDE, SHORT_BLOCK_MS, arity, plain, entry,
                            StreamTestCase, FreshServerStreamTestCase)


class XaddTest(StreamTestCase):
    def test_explicit_ids_must_increase(self):
        self.add("s", "1-1")
        self.add("s", "1-2")
        self.add("s", "2-0")
        self.assertError(("XADD", "s", "2-0", "f", "v"), XADD_TOO_SMALL)
        self.assertError(("XADD", "s", "1-5", "f", "v"), XADD_TOO_SMALL)
        self.assertEqual(self.ids("s"), ["1-1", "1-2", "2-0"])
        self.assertEqual(self.r.type("s"), "stream")

    def test_an_id_without_sequence_means_sequence_zero(self):
        self.assertEqual(self.cmd("XADD", "s", "5", "f", "v"), "5-0")
        self.assertError(("XADD", "s", "5", "f", "v"), XADD_TOO_SMALL)

    def test_zero_id_is_rejected(self):
        self.assertError(("XADD", "s", "0-0", "f", "v"), XADD_ZERO)
        self.assertError(("XADD", "s", "0", "f", "v"), XADD_ZERO)
        self.assertEqual(self.r.exists("s"), 0)

    def test_invalid_ids(self):
        for bad in ("abc", "1-", "-1-0", "1-1-1", "1-x",
                    "18446744073709551616-0", "1-18446744073709551616"):
            self.assertError(("XADD", "s", bad, "f", "v"), INVALID_ID)
        self.assertEqual(self.r.exists("s"), 0)

    def test_auto_sequence_with_ms_star(self):
        self.assertEqual(self.cmd("XADD", "s", "0-*", "f", "v"), "0-1")
        self.assertEqual(self.cmd("XADD", "s", "0-*", "f", "v"), "0-2")
        self.assertEqual(self.cmd("XADD", "s", "5-*", "f", "v"), "5-0")
        self.assertEqual(self.cmd("XADD", "s", "5-*", "f", "v"), "5-1")
        self.assertError(("XADD", "s", "4-*", "f", "v"), XADD_TOO_SMALL)

    def test_star_after_a_future_id_increments_the_sequence(self):
        self.add("s", "99999999999999-5")
        self.assertEqual(self.cmd("XADD", "s", "*", "f", "v"), "99999999999999-6")
        self.assertEqual(self.cmd("XADD", "s", "99999999999999-*", "f", "v"),
                         "99999999999999-7")

    def test_star_ids_are_increasing(self):
        got = [self.cmd("XADD", "s", "*", "n", str(i)) for i in range(20)]
        as_tuples = [tuple(int(p) for p in i.split("-")) for i in got]
        self.assertEqual(as_tuples, sorted(set(as_tuples)))
        self.assertEqual(self.ids("s"), got)

    def test_the_last_possible_id_exhausts_the_stream(self):
        top = "18446744073709551615-18446744073709551615"
        self.add("s", top)
        self.assertError(("XADD", "s", "*", "f", "v"),
                         "ERR The stream has exhausted the last possible ID, unable to add more items")

    def test_fields_keep_order_and_duplicates_and_are_binary_safe(self):
        self.add("s", "1-0", "b", "2", "a", "1", "b", "3")
        self.assertEqual(self.cmd("XRANGE", "s", "-", "+"),
                         [entry("1-0", "b", "2", "a", "1", "b", "3")])
        value = b"\x00\r\n\xff"
        self.assertEqual(self.rb.xadd(b"k\x00", {b"f\x00": value}, id=b"1-0"), b"1-0")
        self.assertEqual(self.rb.xrange(b"k\x00"), [(b"1-0", {b"f\x00": value})])

    def test_nomkstream(self):
        self.assertEqual(self.call("XADD", "s", "NOMKSTREAM", "*", "f", "v"), ("$", None))
        self.assertEqual(self.r.exists("s"), 0)
        self.add("s", "1-0")
        self.assertEqual(self.cmd("XADD", "s", "NOMKSTREAM", "2-0", "f", "v"), "2-0")
        self.assertEqual(self.r.xlen("s"), 2)

    def test_exact_maxlen_trims_the_oldest(self):
        self.fill("s", 5)
        self.assertEqual(self.cmd("XADD", "s", "MAXLEN", "3", "6-0", "f", "v"), "6-0")
        self.assertEqual(self.ids("s"), ["4-0", "5-0", "6-0"])
        self.assertEqual(self.cmd("XADD", "s", "MAXLEN", "=", "2", "7-0", "f", "v"), "7-0")
        self.assertEqual(self.ids("s"), ["6-0", "7-0"])
        self.assertEqual(self.cmd("XADD", "s", "MAXLEN", "0", "8-0", "f", "v"), "8-0")
        self.assertEqual(self.r.xlen("s"), 0)
        self.assertEqual(self.r.exists("s"), 1)

    def test_approximate_maxlen_keeps_at_least_the_threshold(self):
        self.fill("s", 50)
        self.cmd("XADD", "s", "MAXLEN", "~", "10", "51-0", "f", "v")
        self.assertGreaterEqual(self.r.xlen("s"), 10)
        self.assertEqual(self.ids("s")[-1], "51-0")
        self.cmd("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "5", "52-0", "f", "v")
        self.assertGreaterEqual(self.r.xlen("s"), 10)

    def test_exact_minid_trims_lower_ids(self):
        self.fill("s", 5)
        self.assertEqual(self.cmd("XADD", "s", "MINID", "3", "6-0", "f", "v"), "6-0")
        self.assertEqual(self.ids("s"), ["3-0", "4-0", "5-0", "6-0"])
        self.cmd("XADD", "s", "MINID", "~", "5", "LIMIT", "100", "7-0", "f", "v")
        self.assertIn("5-0", self.ids("s"))

    def test_trim_option_errors(self):
        self.fill("s", 3)
        self.assertError(("XADD", "s", "MAXLEN", "1", "LIMIT", "10", "*", "f", "v"),
                         LIMIT_NEEDS_TILDE)
        self.assertError(("XADD", "s", "MAXLEN", "abc", "*", "f", "v"), NOT_INT)
        self.assertError(("XADD", "s", "MAXLEN", "-1", "*", "f", "v"),
                         "ERR The MAXLEN argument must be >= 0.")
        self.assertError(("XADD", "s", "MINID", "1", "MAXLEN", "1", "*", "f", "v"),
                         "ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
        self.assertEqual(self.r.xlen("s"), 3)

    def test_arity_and_wrongtype(self):
        self.assertError(("XADD", "s", "*", "f"), arity("xadd"))
        self.assertError(("XADD", "s", "*", "f", "v", "g"), arity("xadd"))
        self.assertError(("XADD", "s", "*"), arity("xadd"))
        self.r.set("str", "x")
        self.assertError(("XADD", "str", "*", "f", "v"), WRONGTYPE)


class RangeTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.fill("s", 5)

    def test_full_range_and_count(self):
        self.assertEqual(self.ids("s"), ["1-0", "2-0", "3-0", "4-0", "5-0"])
        self.assertEqual(self.cmd("XRANGE", "s", "-", "+", "COUNT", "2"),
                         [entry("1-0", "f", "1"), entry("2-0", "f", "2")])
        # A COUNT of zero (or less) replies a null array, not an empty one.
        self.assertEqual(self.call("XRANGE", "s", "-", "+", "COUNT", "0"), ("*", None))
        self.assertEqual(self.cmd("XREVRANGE", "s", "+", "-", "COUNT", "2"),
                         [entry("5-0", "f", "5"), entry("4-0", "f", "4")])

    def test_bounds_without_sequence(self):
        self.assertEqual([e[0] for e in self.cmd("XRANGE", "s", "2", "4")],
                         ["2-0", "3-0", "4-0"])
        self.assertEqual([e[0] for e in self.cmd("XREVRANGE", "s", "4", "2")],
                         ["4-0", "3-0", "2-0"])

    def test_exclusive_bounds(self):
        self.assertEqual([e[0] for e in self.cmd("XRANGE", "s", "(1-0", "(4-0")],
                         ["2-0", "3-0"])
        self.assertEqual([e[0] for e in self.cmd("XRANGE", "s", "(1", "+", "COUNT", "2")],
                         ["2-0", "3-0"])
        # An end without a sequence means sequence max, so "(5" as an end
        # still includes 5-0; "(1" as a start means after 1-0.
        self.assertEqual([e[0] for e in self.cmd("XREVRANGE", "s", "(5", "(1")],
                         ["5-0", "4-0", "3-0", "2-0"])
        self.assertEqual([e[0] for e in self.cmd("XREVRANGE", "s", "(5-0", "(1-0")],
                         ["4-0", "3-0", "2-0"])
        self.assertEqual([e[0] for e in self.cmd("XRANGE", "s", "(1-18446744073709551615", "+")],
                         ["2-0", "3-0", "4-0", "5-0"])

    def test_exclusive_bounds_at_the_id_limits(self):
        self.assertError(("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
                         "ERR invalid start ID for the interval")
        self.assertError(("XRANGE", "s", "-", "(0-0"), "ERR invalid end ID for the interval")

    def test_empty_and_missing(self):
        self.assertEqual(self.cmd("XRANGE", "s", "4", "2"), [])
        self.assertEqual(self.cmd("XREVRANGE", "s", "-", "+"), [])
        self.assertEqual(self.call("XRANGE", "nokey", "-", "+"), ("*", []))
        self.assertEqual(self.call("XREVRANGE", "nokey", "+", "-"), ("*", []))

    def test_errors(self):
        self.assertError(("XRANGE", "s", "x", "+"), INVALID_ID)
        self.assertError(("XRANGE", "s", "-", "+", "COUNT"), SYNTAX)
        self.assertError(("XRANGE", "s", "-", "+", "COUNT", "x"), NOT_INT)
        self.assertError(("XRANGE", "s", "-"), arity("xrange"))
        self.r.set("str", "x")
        self.assertError(("XRANGE", "str", "-", "+"), WRONGTYPE)
        self.assertError(("XREVRANGE", "str", "+", "-"), WRONGTYPE)


class LenDelTrimTest(StreamTestCase):
    def test_xlen(self):
        self.assertEqual(self.call("XLEN", "nokey"), (":", 0))
        self.fill("s", 3)
        self.assertEqual(self.call("XLEN", "s"), (":", 3))
        self.r.set("str", "x")
        self.assertError(("XLEN", "str"), WRONGTYPE)

    def test_xdel_counts_deleted_entries(self):
        self.fill("s", 4)
        self.assertEqual(self.call("XDEL", "s", "2-0", "9-0", "2-0"), (":", 1))
        self.assertEqual(self.call("XDEL", "s", "3", "4-0"), (":", 2))
        self.assertEqual(self.ids("s"), ["1-0"])
        self.assertEqual(self.call("XDEL", "nokey", "1-0"), (":", 0))
        self.assertError(("XDEL", "s", "bad"), INVALID_ID)
        self.assertEqual(self.r.xlen("s"), 1)

    def test_a_deleted_top_id_is_still_the_last_id(self):
        self.fill("s", 3)
        self.assertEqual(self.call("XDEL", "s", "3-0"), (":", 1))
        self.assertError(("XADD", "s", "3-0", "f", "v"), XADD_TOO_SMALL)
        self.assertEqual(self.cmd("XADD", "s", "3-*", "f", "v"), "3-1")

    def test_a_stream_emptied_by_xdel_still_exists(self):
        self.fill("s", 1)
        self.assertEqual(self.call("XDEL", "s", "1-0"), (":", 1))
        self.assertEqual(self.r.exists("s"), 1)
        self.assertEqual(self.r.xlen("s"), 0)
        self.assertError(("XADD", "s", "1-0", "f", "v"), XADD_TOO_SMALL)

    def test_xtrim_maxlen_and_minid(self):
        self.fill("s", 6)
        self.assertEqual(self.call("XTRIM", "s", "MAXLEN", "4"), (":", 2))
        self.assertEqual(self.ids("s"), ["3-0", "4-0", "5-0", "6-0"])
        self.assertEqual(self.call("XTRIM", "s", "MAXLEN", "=", "10"), (":", 0))
        self.assertEqual(self.call("XTRIM", "s", "MINID", "5"), (":", 2))
        self.assertEqual(self.ids("s"), ["5-0", "6-0"])
        self.assertEqual(self.call("XTRIM", "s", "MINID", "=", "6-1"), (":", 2))
        self.assertEqual(self.r.xlen("s"), 0)
        self.assertEqual(self.call("XTRIM", "nokey", "MAXLEN", "1"), (":", 0))

    def test_xtrim_approximate_keeps_at_least_the_threshold(self):
        self.fill("s", 300)
        t, removed = self.call("XTRIM", "s", "MAXLEN", "~", "50")
        self.assertEqual(t, ":")
        self.assertEqual(self.r.xlen("s"), 300 - removed)
        self.assertGreaterEqual(self.r.xlen("s"), 50)
        t, removed = self.call("XTRIM", "s", "MINID", "~", "290", "LIMIT", "1000")
        self.assertEqual(t, ":")
        self.assertIn("290-0", self.ids("s"))

    def test_xtrim_errors(self):
        self.fill("s", 3)
        self.assertError(("XTRIM", "s"), arity("xtrim"))
        self.assertError(("XTRIM", "s", "FOO", "1"), SYNTAX)
        self.assertError(("XTRIM", "s", "MAXLEN", "=", "1", "LIMIT", "5"), LIMIT_NEEDS_TILDE)
        self.assertError(("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "x"), NOT_INT)
        self.assertError(("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "-1"),
                         "ERR The LIMIT argument must be >= 0.")
        self.assertError(("XTRIM", "s", "MINID", "bad"), INVALID_ID)
        self.r.set("str", "x")
        self.assertError(("XTRIM", "str", "MAXLEN", "1"), WRONGTYPE)
        self.assertEqual(self.r.xlen("s"), 3)


class XreadTest(StreamTestCase):
    def test_reads_after_the_given_id(self):
        self.fill("s", 3)
        self.assertEqual(self.cmd("XREAD", "STREAMS", "s", "1"),
                         [["s", [entry("2-0", "f", "2"), entry("3-0", "f", "3")]]])
        self.assertEqual(self.cmd("XREAD", "COUNT", "1", "STREAMS", "s", "0"),
                         [["s", [entry("1-0", "f", "1")]]])

    def test_multiple_streams_only_those_with_data(self):
        self.fill("a", 2)
        self.fill("b", 1)
        self.assertEqual(self.cmd("XREAD", "STREAMS", "a", "nokey", "b", "0", "0", "0"),
                         [["a", [entry("1-0", "f", "1"), entry("2-0", "f", "2")]],
                          ["b", [entry("1-0", "f", "1")]]])
        self.assertEqual(self.cmd("XREAD", "COUNT", "1", "STREAMS", "b", "a", "0", "1"),
                         [["b", [entry("1-0", "f", "1")]], ["a", [entry("2-0", "f", "2")]]])

    def test_nothing_new_is_a_null_array(self):
        self.fill("s", 2)
        self.assertEqual(self.call("XREAD", "STREAMS", "s", "2-0"), ("*", None))
        self.assertEqual(self.call("XREAD", "STREAMS", "s", "$"), ("*", None))
        self.assertEqual(self.call("XREAD", "STREAMS", "nokey", "0"), ("*", None))

    def test_errors(self):
        self.fill("s", 1)
        self.assertError(("XREAD", "STREAMS", "s"), arity("xread"))
        self.assertError(("XREAD", "STREAMS", "s", "s2", "0"), UNBALANCED)
        self.assertError(("XREAD", "STREAMS", "s", "bad"), INVALID_ID)
        self.assertError(("XREAD", "COUNT", "x", "STREAMS", "s", "0"), NOT_INT)
        self.assertError(("XREAD", "BLOCK", "-1", "STREAMS", "s", "0"), "ERR timeout is negative")
        self.assertError(("XREAD", "BLOCK", "abc", "STREAMS", "s", "0"),
                         "ERR timeout is not an integer or out of range")
        self.assertError(("XREAD", "FOO", "STREAMS", "s", "0"), SYNTAX)
        self.r.set("str", "x")
        self.assertError(("XREAD", "STREAMS", "str", "0"), WRONGTYPE)


class XreadBlockTest(FreshServerStreamTestCase):
    def test_block_times_out_with_a_null_array(self):
        self.fill("s", 1)
        self.assertEqual(self.call("XREAD", "BLOCK", SHORT_BLOCK_MS, "STREAMS", "s", "$"),
                         ("*", None))
        self.assertEqual(self.call("XREAD", "BLOCK", SHORT_BLOCK_MS, "STREAMS", "nokey", "0"),
                         ("*", None))

    def test_block_with_data_answers_at_once(self):
        self.fill("s", 1)
        self.assertEqual(self.cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "0"),
                         [["s", [entry("1-0", "f", "1")]]])

    def test_block_is_woken_by_xadd_from_another_client(self):
        self.fill("s", 1)
        c = self.block("XREAD", "BLOCK", "0", "STREAMS", "other", "s", "$", "$")
        self.add("s", "2-0", "g", "new")
        self.assertEqual(plain(c.read()), [["s", [entry("2-0", "g", "new")]]])
        self.assertEqual(self.blocked(), 0)

    def test_block_on_a_missing_key_is_woken_by_its_creation(self):
        c = self.block("XREAD", "COUNT", "1", "BLOCK", "10000", "STREAMS", "s", "$")
        self.add("s", "7-0")
        self.assertEqual(plain(c.read()), [["s", [entry("7-0", "f", "v")]]])

    def test_one_xadd_wakes_every_blocked_reader(self):
        c1 = self.block("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        c2 = self.block("XREAD", "BLOCK", "0", "STREAMS", "s", "0")
        self.add("s", "1-0")
        self.assertEqual(plain(c1.read()), [["s", [entry("1-0", "f", "v")]]])
        self.assertEqual(plain(c2.read()), [["s", [entry("1-0", "f", "v")]]])

    def test_block_ignores_entries_at_or_before_the_id(self):
        self.fill("s", 5)
        c = self.block("XREAD", "BLOCK", "0", "STREAMS", "s", "10-0")
        self.add("s", "6-0")
        self.add("s", "11-0")
        self.assertEqual(plain(c.read()), [["s", [entry("11-0", "f", "v")]]])


class Resp3ShapesTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.c3 = self.connect(resp3=True)
        self.fill("s", 2)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "g", "0"), OK)

    def test_xrange_is_an_array_of_arrays(self):
        self.assertEqual(self.c3.call("XRANGE", "s", "-", "+", "COUNT", "1"),
                         ("*", [("*", [("$", b"1-0"), ("*", [("$", b"f"), ("$", b"1")])])]))

    def test_xread_is_a_map_keyed_by_stream(self):
        self.assertEqual(self.c3.call("XREAD", "COUNT", "1", "STREAMS", "s", "0"),
                         ("%", [(("$", b"s"), ("*", [("*", [("$", b"1-0"),
                                                             ("*", [("$", b"f"), ("$", b"1")])])]))]))
        self.assertEqual(self.c3.call("XREAD", "STREAMS", "s", "$"), ("_", None))
        self.assertEqual(self.c3.call("XREAD", "BLOCK", SHORT_BLOCK_MS, "STREAMS", "s", "$"),
                         ("_", None))

    def test_xreadgroup_is_a_map_and_deleted_history_is_null(self):
        reply = self.c3.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
        self.assertEqual(reply[0], "%")
        self.assertEqual(self.call("XDEL", "s", "1-0"), (":", 1))
        self.assertEqual(self.c3.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
                         ("%", [(("$", b"s"), ("*", [("*", [("$", b"1-0"), ("_", None)]),
                                                     ("*", [("$", b"2-0"),
                                                            ("*", [("$", b"f"), ("$", b"2")])])]))]))
        self.assertEqual(self.c3.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", SHORT_BLOCK_MS,
                                      "STREAMS", "s", ">"), ("_", None))

    def test_xadd_nomkstream_on_a_missing_key_is_null(self):
        self.assertEqual(self.c3.call("XADD", "nokey", "NOMKSTREAM", "*", "f", "v"), ("_", None))

    def test_xinfo_replies_are_maps(self):
        self.c3.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
        t, stream = self.c3.call("XINFO", "STREAM", "s")
        self.assertEqual(t, "%")
        stream = dict(stream)
        self.assertEqual(stream[("$", b"length")], (":", 2))
        self.assertEqual(stream[("$", b"last-generated-id")], ("$", b"2-0"))
        self.assertEqual(stream[("$", b"first-entry")],
                         ("*", [("$", b"1-0"), ("*", [("$", b"f"), ("$", b"1")])]))
        t, groups = self.c3.call("XINFO", "GROUPS", "s")
        self.assertEqual(t, "*")
        self.assertEqual([g[0] for g in groups], ["%"])
        group = dict(groups[0][1])
        self.assertEqual(group[("$", b"name")], ("$", b"g"))
        self.assertEqual(group[("$", b"pending")], (":", 1))
        t, consumers = self.c3.call("XINFO", "CONSUMERS", "s", "g")
        self.assertEqual([c[0] for c in consumers], ["%"])
        self.assertEqual(dict(consumers[0][1])[("$", b"name")], ("$", b"c"))
        t, full = self.c3.call("XINFO", "STREAM", "s", "FULL")
        self.assertEqual(t, "%")
        self.assertEqual([g[0] for g in dict(full)[("$", b"groups")][1]], ["%"])

    def test_xpending_and_xautoclaim_stay_arrays(self):
        self.c3.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
        self.assertEqual(self.c3.call("XPENDING", "s", "g"),
                         ("*", [(":", 1), ("$", b"1-0"), ("$", b"1-0"),
                                ("*", [("*", [("$", b"c"), ("$", b"1")])])]))
        self.assertEqual(self.c3.call("XAUTOCLAIM", "s", "g", "d", "0", "0", "JUSTID"),
                         ("*", [("$", b"0-0"), ("*", [("$", b"1-0")]), ("*", [])]))


@unittest.skipIf(harness.AGAINST_REDIS, "redis-server runs without persistence here")
class PersistenceTest(unittest.TestCase):
    """Entries, IDs, groups, consumers and pending entries survive a clean
    restart on the same data directory."""

    def test_streams_and_groups_survive_a_restart(self):
        server = harness.ShoalServer()
        self.addCleanup(server.cleanup)
        server.start()
        r = server.client(decode_responses=True)
        for i in range(1, 6):
            r.xadd("s", {"f": str(i)}, id=f"{i}-0")
        r.xdel("s", "5-0")
        r.xgroup_create("s", "g", id="0")
        r.xgroup_create("s", "late", id="$")
        r.xreadgroup("g", "alice", {"s": ">"}, count=2)
        r.xack("s", "g", "1-0")
        r.xgroup_createconsumer("s", "g", "bob")
        r.close()
        self.assertEqual(server.stop(), 0)

        server.start()
        r = server.client(decode_responses=True)
        self.addCleanup(r.close)
        self.assertEqual([e[0] for e in r.xrange("s")], ["1-0", "2-0", "3-0", "4-0"])
        self.assertEqual(r.xrange("s", "2-0", "2-0"), [("2-0", {"f": "2"})])
        with self.assertRaises(Exception):
            r.xadd("s", {"f": "v"}, id="5-0")
        info = r.xinfo_stream("s")
        self.assertEqual((info["length"], info["last-generated-id"], info["groups"]),
                         (4, "5-0", 2))
        groups = {g["name"]: g for g in r.xinfo_groups("s")}
        self.assertEqual(sorted(groups), ["g", "late"])
        self.assertEqual(groups["g"]["last-delivered-id"], "2-0")
        self.assertEqual(groups["late"]["last-delivered-id"], "5-0")
        self.assertEqual(groups["g"]["pending"], 1)
        self.assertEqual(sorted(c["name"] for c in r.xinfo_consumers("s", "g")), ["alice", "bob"])
        pending = r.xpending_range("s", "g", "-", "+", 10)
        self.assertEqual([(p["message_id"], p["consumer"]) for p in pending], [("2-0", "alice")])
        self.assertEqual(r.xreadgroup("g", "bob", {"s": ">"}),
                         [["s", [("3-0", {"f": "3"}), ("4-0", {"f": "4"})]]])


if __name__ == "__main__":
    unittest.main()
