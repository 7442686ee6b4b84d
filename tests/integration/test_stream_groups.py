"""Stream consumer groups over a real socket: XGROUP (CREATE CREATECONSUMER
DELCONSUMER DESTROY SETID) XREADGROUP (blocking too) XACK XPENDING XCLAIM
XAUTOCLAIM XINFO (STREAM GROUPS CONSUMERS) XSETID, and a random model check.

Conventions (Redis 7.0's replies, what is not asserted, plain()) are those
of test_stream.py.
"""
import random
import unittest

import harness
from stream_support import (OK, WRONGTYPE, SYNTAX, NOT_INT, INVALID_ID, XADD_TOO_SMALL,
                            XGROUP_NO_KEY, BUSYGROUP, UNBALANCED, REPLY_SECS, SHORT_BLOCK_MS,
                            arity, nogroup_xreadgroup, plain, pairs_to_dict, entry, StreamTestCase,
                            FreshServerStreamTestCase, GroupFixture)


class XgroupTest(StreamTestCase):
    def groups(self, key="s"):
        return {g["name"]: g for g in (pairs_to_dict(x) for x in self.cmd("XINFO", "GROUPS", key))}

    def test_create_needs_the_key_unless_mkstream(self):
        self.assertError(("XGROUP", "CREATE", "s", "g", "$"), XGROUP_NO_KEY)
        self.assertEqual(self.r.exists("s"), 0)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), OK)
        self.assertEqual(self.r.type("s"), "stream")
        self.assertEqual(self.r.xlen("s"), 0)
        self.assertError(("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), BUSYGROUP)
        self.assertError(("XGROUP", "CREATE", "s", "g", "0"), BUSYGROUP)

    def test_create_at_dollar_or_an_id(self):
        self.fill("s", 3)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "atend", "$"), OK)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "atzero", "0"), OK)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "attwo", "2-0"), OK)
        groups = self.groups()
        self.assertEqual(groups["atend"]["last-delivered-id"], "3-0")
        self.assertEqual(groups["atzero"]["last-delivered-id"], "0-0")
        self.assertEqual(groups["attwo"]["last-delivered-id"], "2-0")
        self.assertEqual(self.cmd("XREADGROUP", "GROUP", "attwo", "c", "STREAMS", "s", ">"),
                         [["s", [entry("3-0", "f", "3")]]])
        self.assertEqual(self.call("XREADGROUP", "GROUP", "atend", "c", "STREAMS", "s", ">"),
                         ("*", None))

    def test_create_errors(self):
        self.fill("s", 1)
        self.assertError(("XGROUP", "CREATE", "s", "g", "bad"), INVALID_ID)
        self.assertError(("XGROUP", "CREATE", "s", "g", "0", "FOO"),
                         "ERR unknown subcommand or wrong number of arguments for 'CREATE'. "
                         "Try XGROUP HELP.")
        self.r.set("str", "x")
        self.assertError(("XGROUP", "CREATE", "str", "g", "$"), WRONGTYPE)
        self.assertError(("XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"), WRONGTYPE)

    def test_createconsumer_and_delconsumer(self):
        self.fill("s", 3)
        self.cmd("XGROUP", "CREATE", "s", "g", "0")
        self.assertEqual(self.call("XGROUP", "CREATECONSUMER", "s", "g", "alice"), (":", 1))
        self.assertEqual(self.call("XGROUP", "CREATECONSUMER", "s", "g", "alice"), (":", 0))
        self.assertEqual(self.groups()["g"]["consumers"], 1)
        self.cmd("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
        self.assertEqual(self.groups()["g"]["consumers"], 2)
        self.assertEqual(self.groups()["g"]["pending"], 3)
        # Deleting a consumer drops its pending entries and returns how many.
        self.assertEqual(self.call("XGROUP", "DELCONSUMER", "s", "g", "bob"), (":", 3))
        self.assertEqual(self.call("XGROUP", "DELCONSUMER", "s", "g", "bob"), (":", 0))
        self.assertEqual(self.groups()["g"]["pending"], 0)
        self.assertEqual([c[1] for c in self.cmd("XINFO", "CONSUMERS", "s", "g")], ["alice"])

    def test_consumer_commands_need_the_group_and_key(self):
        self.fill("s", 1)
        self.assertError(("XGROUP", "CREATECONSUMER", "s", "nog", "c"),
                         "NOGROUP No such consumer group 'nog' for key name 's'")
        self.assertError(("XGROUP", "DELCONSUMER", "s", "nog", "c"),
                         "NOGROUP No such consumer group 'nog' for key name 's'")
        self.assertError(("XGROUP", "CREATECONSUMER", "nokey", "g", "c"), XGROUP_NO_KEY)

    def test_destroy(self):
        self.fill("s", 1)
        self.cmd("XGROUP", "CREATE", "s", "g", "0")
        self.assertEqual(self.call("XGROUP", "DESTROY", "s", "g"), (":", 1))
        self.assertEqual(self.call("XGROUP", "DESTROY", "s", "g"), (":", 0))
        self.assertEqual(self.cmd("XINFO", "GROUPS", "s"), [])
        self.assertError(("XGROUP", "DESTROY", "nokey", "g"), XGROUP_NO_KEY)
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
                         nogroup_xreadgroup("s", "g"))

    def test_setid_rewinds_and_forwards_delivery(self):
        self.fill("s", 3)
        self.cmd("XGROUP", "CREATE", "s", "g", "$")
        self.assertEqual(self.call("XGROUP", "SETID", "s", "g", "1-0"), OK)
        self.assertEqual(self.groups()["g"]["last-delivered-id"], "1-0")
        self.assertEqual([e[0] for e in self.cmd("XREADGROUP", "GROUP", "g", "c",
                                                   "STREAMS", "s", ">")[0][1]],
                         ["2-0", "3-0"])
        self.assertEqual(self.call("XGROUP", "SETID", "s", "g", "0"), OK)
        self.assertEqual(self.call("XGROUP", "SETID", "s", "g", "$"), OK)
        self.assertEqual(self.groups()["g"]["last-delivered-id"], "3-0")
        self.assertError(("XGROUP", "SETID", "s", "nog", "0"),
                         "NOGROUP No such consumer group 'nog' for key name 's'")
        self.assertError(("XGROUP", "SETID", "s", "g", "bad"), INVALID_ID)
        self.assertError(("XGROUP", "SETID", "nokey", "g", "0"), XGROUP_NO_KEY)

    def test_entriesread_is_reported(self):
        self.fill("s", 3)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "1"), OK)
        self.assertEqual(self.groups()["g"]["entries-read"], 1)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "h", "0"), OK)
        self.assertIsNone(self.groups()["h"]["entries-read"])
        self.assertEqual(self.call("XGROUP", "SETID", "s", "h", "$", "ENTRIESREAD", "3"), OK)
        self.assertEqual(self.groups()["h"]["entries-read"], 3)

    def test_unknown_subcommand(self):
        self.assertEqual(self.call("XGROUP", "FOO")[0], "-")


class XreadgroupTest(GroupFixture, StreamTestCase):

    def test_new_entries_go_to_one_consumer_each(self):
        self.assertEqual(self.read("alice", ">", "COUNT", "1"),
                         [["s", [entry("1-0", "f", "1")]]])
        self.assertEqual(self.read("bob"),
                         [["s", [entry("2-0", "f", "2"), entry("3-0", "f", "3")]]])
        self.assertIsNone(self.read("alice"))
        self.assertEqual(self.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"),
                         ("*", None))

    def test_history_returns_the_consumers_own_pending_entries(self):
        self.read("alice", ">", "COUNT", "2")
        self.read("bob")
        self.assertEqual(self.read("alice", "0"),
                         [["s", [entry("1-0", "f", "1"), entry("2-0", "f", "2")]]])
        self.assertEqual(self.read("alice", "1-0"), [["s", [entry("2-0", "f", "2")]]])
        self.assertEqual(self.read("alice", "0", "COUNT", "1"), [["s", [entry("1-0", "f", "1")]]])
        self.assertEqual(self.read("bob", "0"), [["s", [entry("3-0", "f", "3")]]])
        self.assertEqual(self.read("carol", "0"), [["s", []]])

    def test_acked_entries_leave_the_history(self):
        self.read("alice")
        self.assertEqual(self.call("XACK", "s", "g", "1-0", "3-0", "9-0", "1-0"), (":", 2))
        self.assertEqual(self.read("alice", "0"), [["s", [entry("2-0", "f", "2")]]])
        self.assertEqual(self.call("XACK", "s", "g", "1-0"), (":", 0))

    def test_history_shows_deleted_entries_as_null(self):
        self.read("alice")
        self.assertEqual(self.call("XDEL", "s", "2-0"), (":", 1))
        self.assertEqual(self.read("alice", "0"),
                         [["s", [entry("1-0", "f", "1"), ["2-0", None], entry("3-0", "f", "3")]]])

    def test_history_delivery_increments_the_delivery_count(self):
        self.read("alice", ">", "COUNT", "1")
        self.read("alice", "0")
        self.read("alice", "0")
        self.assertEqual([p[:2] + p[3:] for p in self.cmd("XPENDING", "s", "g", "-", "+", "10")],
                         [["1-0", "alice", 3]])

    def test_noack_does_not_make_entries_pending(self):
        self.assertEqual(len(self.read("alice", ">", "NOACK")[0][1]), 3)
        self.assertEqual(self.cmd("XPENDING", "s", "g"), [0, None, None, None])
        self.assertEqual(self.read("alice", "0"), [["s", []]])

    def test_the_consumer_is_created_by_reading(self):
        self.read("alice")
        consumers = [pairs_to_dict(c) for c in self.cmd("XINFO", "CONSUMERS", "s", "g")]
        self.assertEqual([(c["name"], c["pending"]) for c in consumers], [("alice", 3)])

    def test_errors(self):
        self.assertError(("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"),
                         nogroup_xreadgroup("s", "nog"))
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"),
                         nogroup_xreadgroup("nokey", "g"))
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"),
                         "ERR The $ ID is meaningless in the context of XREADGROUP: you want to "
                         "read the history of this consumer by specifying a proper ID, or use "
                         "the > ID to get new messages. The $ ID would just return an empty "
                         "result set.")
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"), arity("xreadgroup"))
        self.assertError(("XREADGROUP", "GROUP", "g", "STREAMS", "s", ">"), arity("xreadgroup"))
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">"), UNBALANCED)
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "COUNT", "x", "STREAMS", "s", ">"),
                         NOT_INT)
        self.r.set("str", "x")
        self.assertError(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"), WRONGTYPE)


class XreadgroupBlockTest(GroupFixture, FreshServerStreamTestCase):
    def test_block_times_out_with_a_null_array(self):
        self.read("alice")
        self.assertEqual(self.call("XREADGROUP", "GROUP", "g", "alice", "BLOCK", SHORT_BLOCK_MS,
                                   "STREAMS", "s", ">"), ("*", None))

    def test_block_on_history_does_not_block(self):
        self.read("alice")
        self.assertEqual(len(self.read("alice", "0", "BLOCK", "0")[0][1]), 3)

    def test_block_is_woken_by_xadd(self):
        self.read("alice")
        c = self.block("XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
        self.add("s", "4-0", "x", "y")
        self.assertEqual(plain(c.read()), [["s", [entry("4-0", "x", "y")]]])
        self.assertEqual(self.read("bob", "0"), [["s", [entry("4-0", "x", "y")]]])
        self.assertEqual(self.blocked(), 0)

    def test_blocked_consumers_of_a_group_share_new_entries(self):
        self.read("alice")
        c1 = self.block("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        c2 = self.block("XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">")
        self.add("s", "4-0")
        self.assertEqual(plain(c1.read()), [["s", [entry("4-0", "f", "v")]]])
        harness.wait_for(lambda: self.blocked() == 1, timeout=REPLY_SECS,
                         what="the second consumer to stay blocked")
        self.add("s", "5-0")
        self.assertEqual(plain(c2.read()), [["s", [entry("5-0", "f", "v")]]])
        self.assertEqual(self.cmd("XPENDING", "s", "g")[3],
                         [["alice", "3"], ["c1", "1"], ["c2", "1"]])

    def test_one_xadd_wakes_a_reader_of_every_group(self):
        # Consumers of two groups and a plain XREAD wait in one queue; a
        # single entry serves each of them, whatever the order they blocked.
        self.read("alice")
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "other", "$"), OK)
        c1 = self.block("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        c2 = self.block("XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">")
        reader = self.block("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        o1 = self.block("XREADGROUP", "GROUP", "other", "o1", "BLOCK", "0", "STREAMS", "s", ">")
        self.add("s", "4-0")
        want = [["s", [entry("4-0", "f", "v")]]]
        for c in (c1, reader, o1):
            self.assertEqual(plain(c.read()), want)
        harness.wait_for(lambda: self.blocked() == 1, timeout=REPLY_SECS,
                         what="only the second consumer of g to stay blocked")
        self.add("s", "5-0")
        self.assertEqual(plain(c2.read()), [["s", [entry("5-0", "f", "v")]]])

    def test_destroying_the_group_unblocks_its_readers(self):
        self.read("alice")
        c = self.block("XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
        self.assertEqual(self.call("XGROUP", "DESTROY", "s", "g"), (":", 1))
        self.assertEqual(c.read(), ("-", "NOGROUP the consumer group this client was blocked "
                                         "on no longer exists"))
        self.assertEqual(self.blocked(), 0)

    def test_deleting_the_stream_unblocks_group_readers(self):
        self.read("alice")
        c = self.block("XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
        self.assertEqual(self.r.delete("s"), 1)
        self.assertEqual(c.read(), ("-", "UNBLOCKED the stream key no longer exists"))
        self.assertEqual(self.blocked(), 0)


class PendingClaimTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.fill("s", 4)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "g", "0"), OK)

    def deliver(self, consumer, count):
        self.cmd("XREADGROUP", "GROUP", "g", consumer, "COUNT", str(count), "STREAMS", "s", ">")

    def pending(self, *extra):
        """Extended XPENDING without the idle times: [id, consumer, deliveries]."""
        rows = self.cmd("XPENDING", "s", "g", *extra) if extra and extra[0] == "IDLE" else \
            self.cmd("XPENDING", "s", "g", "-", "+", "100", *extra)
        for row in rows:
            self.assertGreaterEqual(row[2], 0)
        return [[row[0], row[1], row[3]] for row in rows]

    def test_summary(self):
        self.assertEqual(self.cmd("XPENDING", "s", "g"), [0, None, None, None])
        self.deliver("alice", 1)
        self.deliver("bob", 2)
        self.assertEqual(self.cmd("XPENDING", "s", "g"),
                         [3, "1-0", "3-0", [["alice", "1"], ["bob", "2"]]])

    def test_extended_range_count_and_consumer(self):
        self.deliver("alice", 1)
        self.deliver("bob", 2)
        self.assertEqual(self.pending(),
                         [["1-0", "alice", 1], ["2-0", "bob", 1], ["3-0", "bob", 1]])
        self.assertEqual([r[0] for r in self.cmd("XPENDING", "s", "g", "(1-0", "+", "1")],
                         ["2-0"])
        self.assertEqual(self.pending("bob"), [["2-0", "bob", 1], ["3-0", "bob", 1]])
        self.assertEqual(self.pending("nobody"), [])
        self.assertEqual(self.cmd("XPENDING", "s", "g", "-", "+", "0"), [])

    def test_idle_filter(self):
        self.deliver("alice", 2)
        self.cmd("XCLAIM", "s", "g", "alice", "0", "2-0", "IDLE", "500000")
        self.assertEqual(self.pending("IDLE", "400000", "-", "+", "10"), [["2-0", "alice", 2]])
        self.assertEqual(self.pending("IDLE", "400000", "-", "+", "10", "bob"), [])
        self.assertEqual(len(self.cmd("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10")), 2)

    def test_xpending_errors(self):
        self.assertError(("XPENDING", "s", "nog"), "NOGROUP No such key 's' or consumer group 'nog'")
        self.assertError(("XPENDING", "nokey", "g"), "NOGROUP No such key 'nokey' or consumer group 'g'")
        self.assertError(("XPENDING", "s", "g", "-", "+"), SYNTAX)
        self.assertError(("XPENDING", "s", "g", "-", "+", "x"), NOT_INT)
        self.assertError(("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"), NOT_INT)
        self.assertError(("XPENDING", "s", "g", "bad", "+", "10"), INVALID_ID)

    def test_xack_errors(self):
        self.assertEqual(self.call("XACK", "s", "nog", "1-0"), (":", 0))
        self.assertEqual(self.call("XACK", "nokey", "g", "1-0"), (":", 0))
        self.assertError(("XACK", "s", "g", "bad"), INVALID_ID)
        self.assertError(("XACK", "s", "g"), arity("xack"))

    def test_xclaim_moves_entries_and_counts_a_delivery(self):
        self.deliver("alice", 3)
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "1-0"), [entry("1-0", "f", "1")])
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "2-0", "JUSTID"), ["2-0"])
        # JUSTID does not count a delivery.
        self.assertEqual(self.pending(),
                         [["1-0", "bob", 2], ["2-0", "bob", 1], ["3-0", "alice", 1]])
        self.assertEqual(self.cmd("XPENDING", "s", "g")[3], [["alice", "1"], ["bob", "2"]])

    def test_xclaim_respects_min_idle_time(self):
        self.deliver("alice", 1)
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "3600000", "1-0"), [])
        self.assertEqual(self.pending(), [["1-0", "alice", 1]])

    def test_xclaim_idle_and_retrycount(self):
        self.deliver("alice", 1)
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "1-0", "IDLE", "5000",
                                  "RETRYCOUNT", "7"), [entry("1-0", "f", "1")])
        row = self.cmd("XPENDING", "s", "g", "-", "+", "10")[0]
        self.assertEqual((row[0], row[1], row[3]), ("1-0", "bob", 7))
        self.assertGreaterEqual(row[2], 5000)
        self.assertLess(row[2], 5000 + 60000)

    def test_xclaim_skips_ids_that_are_not_pending_unless_force(self):
        self.deliver("alice", 1)
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "2-0"), [])
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "2-0", "FORCE", "JUSTID"), ["2-0"])
        # FORCE does not invent entries the stream does not hold.
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "9-0", "FORCE"), [])
        self.assertEqual(self.pending(), [["1-0", "alice", 1], ["2-0", "bob", 1]])

    def test_xclaim_drops_deleted_entries_from_the_pel(self):
        self.deliver("alice", 2)
        self.assertEqual(self.call("XDEL", "s", "2-0"), (":", 1))
        self.assertEqual(self.cmd("XCLAIM", "s", "g", "bob", "0", "2-0"), [])
        self.assertEqual(self.pending(), [["1-0", "alice", 1]])

    def test_xclaim_lastid_advances_the_group(self):
        self.deliver("alice", 1)
        self.cmd("XCLAIM", "s", "g", "bob", "0", "1-0", "LASTID", "3-0")
        groups = [pairs_to_dict(g) for g in self.cmd("XINFO", "GROUPS", "s")]
        self.assertEqual(groups[0]["last-delivered-id"], "3-0")

    def test_xclaim_errors(self):
        self.deliver("alice", 1)
        self.assertError(("XCLAIM", "s", "g", "bob", "bad", "1-0"),
                         "ERR Invalid min-idle-time argument for XCLAIM")
        self.assertError(("XCLAIM", "s", "g", "bob", "0", "bad"),
                         "ERR Unrecognized XCLAIM option 'bad'")
        self.assertError(("XCLAIM", "s", "g", "bob", "0", "1-0", "FOO"),
                         "ERR Unrecognized XCLAIM option 'FOO'")
        self.assertError(("XCLAIM", "s", "g", "bob", "0", "1-0", "RETRYCOUNT", "x"),
                         "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        self.assertError(("XCLAIM", "s", "nog", "bob", "0", "1-0"),
                         "NOGROUP No such key 's' or consumer group 'nog'")
        self.assertError(("XCLAIM", "nokey", "g", "bob", "0", "1-0"),
                         "NOGROUP No such key 'nokey' or consumer group 'g'")
        self.assertError(("XCLAIM", "s", "g", "bob", "0"), arity("xclaim"))

    def test_xautoclaim_walks_with_a_cursor(self):
        self.deliver("alice", 4)
        self.assertEqual(self.cmd("XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2"),
                         ["3-0", [entry("1-0", "f", "1"), entry("2-0", "f", "2")], []])
        self.assertEqual(self.cmd("XAUTOCLAIM", "s", "g", "bob", "0", "3-0", "COUNT", "2"),
                         ["0-0", [entry("3-0", "f", "3"), entry("4-0", "f", "4")], []])
        self.assertEqual(self.pending(), [["1-0", "bob", 2], ["2-0", "bob", 2],
                                          ["3-0", "bob", 2], ["4-0", "bob", 2]])

    def test_xautoclaim_reports_and_drops_deleted_ids(self):
        self.deliver("alice", 4)
        self.assertEqual(self.call("XDEL", "s", "2-0"), (":", 1))
        self.assertEqual(self.cmd("XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2"),
                         ["3-0", [entry("1-0", "f", "1")], ["2-0"]])
        self.assertEqual(self.cmd("XAUTOCLAIM", "s", "g", "bob", "0", "0", "JUSTID"),
                         ["0-0", ["1-0", "3-0", "4-0"], []])
        self.assertEqual(self.cmd("XPENDING", "s", "g"), [3, "1-0", "4-0", [["bob", "3"]]])

    def test_xautoclaim_respects_min_idle_time(self):
        self.deliver("alice", 2)
        self.assertEqual(self.cmd("XAUTOCLAIM", "s", "g", "bob", "3600000", "0"), ["0-0", [], []])
        self.assertEqual(self.pending(), [["1-0", "alice", 1], ["2-0", "alice", 1]])

    def test_xautoclaim_errors(self):
        self.assertError(("XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "0"),
                         "ERR COUNT must be > 0")
        self.assertError(("XAUTOCLAIM", "s", "g", "bob", "0", "bad"), INVALID_ID)
        self.assertError(("XAUTOCLAIM", "s", "g", "bob", "x", "0"),
                         "ERR Invalid min-idle-time argument for XAUTOCLAIM")
        self.assertError(("XAUTOCLAIM", "s", "nog", "bob", "0", "0"),
                         "NOGROUP No such key 's' or consumer group 'nog'")
        self.assertError(("XAUTOCLAIM", "nokey", "g", "bob", "0", "0"),
                         "NOGROUP No such key 'nokey' or consumer group 'g'")


class XinfoXsetidTest(StreamTestCase):
    def test_xinfo_stream(self):
        self.fill("s", 4)
        self.assertEqual(self.call("XDEL", "s", "2-0"), (":", 1))
        self.cmd("XGROUP", "CREATE", "s", "g", "0")
        info = pairs_to_dict(self.cmd("XINFO", "STREAM", "s"))
        self.assertEqual(info["length"], 3)
        self.assertEqual(info["last-generated-id"], "4-0")
        self.assertEqual(info["max-deleted-entry-id"], "2-0")
        self.assertEqual(info["entries-added"], 4)
        self.assertEqual(info["recorded-first-entry-id"], "1-0")
        self.assertEqual(info["groups"], 1)
        self.assertEqual(info["first-entry"], entry("1-0", "f", "1"))
        self.assertEqual(info["last-entry"], entry("4-0", "f", "4"))

    def test_xinfo_stream_of_an_empty_stream(self):
        self.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        info = pairs_to_dict(self.cmd("XINFO", "STREAM", "s"))
        self.assertEqual(info["length"], 0)
        self.assertEqual(info["last-generated-id"], "0-0")
        self.assertIsNone(info["first-entry"])
        self.assertIsNone(info["last-entry"])

    def test_xinfo_stream_full(self):
        self.fill("s", 3)
        self.cmd("XGROUP", "CREATE", "s", "g", "0")
        self.cmd("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
        info = pairs_to_dict(self.cmd("XINFO", "STREAM", "s", "FULL"))
        self.assertEqual(info["length"], 3)
        self.assertEqual(info["entries"], [entry("1-0", "f", "1"), entry("2-0", "f", "2"),
                                           entry("3-0", "f", "3")])
        [group] = [pairs_to_dict(g) for g in info["groups"]]
        self.assertEqual(group["name"], "g")
        self.assertEqual(group["last-delivered-id"], "2-0")
        self.assertEqual(group["pel-count"], 2)
        self.assertEqual([(p[0], p[1], p[3]) for p in group["pending"]],
                         [("1-0", "alice", 1), ("2-0", "alice", 1)])
        [consumer] = [pairs_to_dict(c) for c in group["consumers"]]
        self.assertEqual(consumer["name"], "alice")
        self.assertEqual(consumer["pel-count"], 2)
        self.assertEqual([(p[0], p[2]) for p in consumer["pending"]], [("1-0", 1), ("2-0", 1)])
        info = pairs_to_dict(self.cmd("XINFO", "STREAM", "s", "FULL", "COUNT", "1"))
        self.assertEqual(info["entries"], [entry("1-0", "f", "1")])

    def test_xinfo_groups_and_consumers(self):
        self.fill("s", 3)
        self.cmd("XGROUP", "CREATE", "s", "g1", "0")
        self.cmd("XGROUP", "CREATE", "s", "g2", "$")
        self.cmd("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "s", ">")
        self.cmd("XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "s", ">")
        groups = [pairs_to_dict(g) for g in self.cmd("XINFO", "GROUPS", "s")]
        self.assertEqual([(g["name"], g["consumers"], g["pending"], g["last-delivered-id"])
                          for g in groups],
                         [("g1", 2, 3, "3-0"), ("g2", 0, 0, "3-0")])
        self.assertEqual(groups[0]["entries-read"], 3)
        consumers = [pairs_to_dict(c) for c in self.cmd("XINFO", "CONSUMERS", "s", "g1")]
        self.assertEqual([(c["name"], c["pending"]) for c in consumers],
                         [("alice", 1), ("bob", 2)])
        for c in consumers:
            self.assertGreaterEqual(c["idle"], 0)
            self.assertLess(c["idle"], 60000)

    def test_xinfo_errors(self):
        self.fill("s", 1)
        self.assertError(("XINFO", "STREAM", "nokey"), "ERR no such key")
        self.assertError(("XINFO", "GROUPS", "nokey"), "ERR no such key")
        self.assertError(("XINFO", "CONSUMERS", "s", "nog"),
                         "NOGROUP No such consumer group 'nog' for key name 's'")
        self.r.set("str", "x")
        self.assertError(("XINFO", "STREAM", "str"), WRONGTYPE)

    def test_xsetid(self):
        self.fill("s", 4)
        self.assertError(("XSETID", "s", "3-0"),
                         "ERR The ID specified in XSETID is smaller than the target stream top item")
        self.assertEqual(self.call("XSETID", "s", "10-0"), OK)
        self.assertError(("XADD", "s", "10-0", "f", "v"), XADD_TOO_SMALL)
        self.assertEqual(self.cmd("XADD", "s", "11-0", "f", "v"), "11-0")
        self.assertEqual(self.call("XSETID", "s", "20-0", "ENTRIESADDED", "50",
                                   "MAXDELETEDID", "15-0"), OK)
        info = pairs_to_dict(self.cmd("XINFO", "STREAM", "s"))
        self.assertEqual((info["last-generated-id"], info["entries-added"],
                          info["max-deleted-entry-id"], info["length"]), ("20-0", 50, "15-0", 5))
        self.assertError(("XSETID", "nokey", "1-0"), "ERR no such key")
        self.assertError(("XSETID", "s", "bad"), INVALID_ID)


MAX_U64 = (1 << 64) - 1


class ModelTest(StreamTestCase):
    """Random commands against a Python model of one stream and one group,
    with a printed seed. IDs jump across byte boundaries of ms and seq so
    that every ID encoding is exercised."""

    def check(self, seed, steps=500):
        rnd = random.Random(seed)
        entries = {}  # (ms, seq) -> [field, value, ...]
        last = (0, 0)
        pel = {}  # (ms, seq) -> consumer
        delivered = (0, 0)
        consumers = ["alice", "bob", "carol"]
        self.assertEqual(self.call("XGROUP", "CREATE", "m", "g", "0", "MKSTREAM"), OK)

        def fmt(i):
            return f"{i[0]}-{i[1]}"

        def next_id():
            ms, seq = last
            jump = rnd.choice([0, 0, 1, 255, 1 << 16, 1 << 32, 1 << 48])
            if jump == 0 or ms + jump >= MAX_U64:
                return ms, seq + rnd.choice([1, 2, 255, 1 << 20])
            return ms + jump, rnd.choice([0, 0, 1, 1 << 40])

        def some_id():
            known = sorted(set(entries) | {last, (0, 0)})
            base = rnd.choice(known)
            return rnd.choice([base, (base[0], base[1] + 1), (base[0] + 1, 0),
                               (base[0], max(base[1] - 1, 0))])

        def bound(is_start):
            """A bound as sent and as the inclusive ID it stands for."""
            kind = rnd.random()
            if kind < 0.15:
                return ("-", (0, 0)) if is_start else ("+", (MAX_U64, MAX_U64))
            i = some_id()
            if kind < 0.3:
                return str(i[0]), (i[0], 0 if is_start else MAX_U64)
            if kind < 0.55 and (i != (0, 0) or is_start) and i != (MAX_U64, MAX_U64):
                if is_start:
                    return "(" + fmt(i), (i[0], i[1] + 1) if i[1] < MAX_U64 else (i[0] + 1, 0)
                if i == (0, 0):
                    return fmt(i), i
                return "(" + fmt(i), (i[0], i[1] - 1) if i[1] > 0 else (i[0] - 1, MAX_U64)
            return fmt(i), i

        def as_entries(ids):
            return [[fmt(i), entries[i]] for i in ids]

        for step in range(steps):
            op = rnd.choice(["xadd", "xadd", "xadd", "xdel", "xtrim", "xrange", "xrevrange",
                             "readgroup", "ack", "pending", "history"])
            where = f"seed {seed} step {step} {op}"
            if op == "xadd":
                new = next_id()
                fields = [rnd.choice("abc"), str(step)] * rnd.randint(1, 2)
                if rnd.random() < 0.2:
                    sent = f"{new[0]}-*" if new[0] != last[0] else f"{last[0]}-*"
                    new = (new[0], 0) if new[0] != last[0] else (last[0], last[1] + 1)
                else:
                    sent = fmt(new)
                self.assertEqual(self.call("XADD", "m", sent, *fields), ("$", fmt(new).encode()),
                                 where)
                entries[new], last = fields, new
            elif op == "xdel":
                ids = [some_id() for _ in range(rnd.randint(1, 3))]
                gone = {i for i in ids if i in entries}
                self.assertEqual(self.call("XDEL", "m", *map(fmt, ids)), (":", len(gone)), where)
                for i in gone:
                    del entries[i]
            elif op == "xtrim":
                live = sorted(entries)
                if rnd.random() < 0.5:
                    n = rnd.randint(max(0, len(live) - 3), len(live) + 1)
                    drop = live[:max(0, len(live) - n)]
                    reply = self.call("XTRIM", "m", "MAXLEN", str(n))
                else:
                    limit = some_id()
                    drop = [i for i in live if i < limit]
                    reply = self.call("XTRIM", "m", "MINID", fmt(limit))
                self.assertEqual(reply, (":", len(drop)), where)
                for i in drop:
                    del entries[i]
            elif op in ("xrange", "xrevrange"):
                (s_arg, lo), (e_arg, hi) = bound(True), bound(False)
                count = rnd.choice([None, 1, 2, 5])
                ids = [i for i in sorted(entries) if lo <= i <= hi]
                args = ["XRANGE", "m", s_arg, e_arg]
                if op == "xrevrange":
                    ids.reverse()
                    args = ["XREVRANGE", "m", e_arg, s_arg]
                if count:
                    args += ["COUNT", str(count)]
                    ids = ids[:count]
                self.assertEqual(self.cmd(*args), as_entries(ids), where)
            elif op == "readgroup":
                who, count = rnd.choice(consumers), rnd.randint(1, 4)
                ids = [i for i in sorted(entries) if i > delivered][:count]
                reply = self.cmd("XREADGROUP", "GROUP", "g", who, "COUNT", str(count),
                                 "STREAMS", "m", ">")
                self.assertEqual(reply, [["m", as_entries(ids)]] if ids else None, where)
                for i in ids:
                    pel[i] = who
                if ids:
                    delivered = ids[-1]
            elif op == "ack":
                ids = rnd.sample(sorted(pel), min(len(pel), 2)) + [some_id()]
                acked = {i for i in ids if i in pel}
                self.assertEqual(self.call("XACK", "m", "g", *map(fmt, ids)), (":", len(acked)),
                                 where)
                for i in acked:
                    del pel[i]
            elif op == "pending":
                if pel:
                    counts = sorted((c, str(list(pel.values()).count(c))) for c in set(pel.values()))
                    want = [len(pel), fmt(min(pel)), fmt(max(pel)), [list(c) for c in counts]]
                else:
                    want = [0, None, None, None]
                self.assertEqual(self.cmd("XPENDING", "m", "g"), want, where)
            elif op == "history":
                who = rnd.choice(consumers)
                ids = sorted(i for i, c in pel.items() if c == who)
                want = [[fmt(i), entries.get(i)] for i in ids]
                self.assertEqual(self.cmd("XREADGROUP", "GROUP", "g", who, "STREAMS", "m", "0"),
                                 [["m", want]], where)
            self.assertEqual(self.r.xlen("m"), len(entries), where)
        self.assertEqual(self.cmd("XRANGE", "m", "-", "+"), as_entries(sorted(entries)),
                         f"seed {seed} end")
        info = pairs_to_dict(self.cmd("XINFO", "STREAM", "m"))
        self.assertEqual(info["last-generated-id"], fmt(last), f"seed {seed} end")

    def test_random_commands_match_a_python_model(self):
        seed = random.randrange(1 << 30)
        print(f"\nstream model seed {seed}")
        for s in (1, 2, seed):
            self.r.delete("m")
            self.check(s)


if __name__ == "__main__":
    unittest.main()
