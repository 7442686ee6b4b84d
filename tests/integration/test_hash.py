"""Hash commands over a real socket: HSET HSETNX HGET HMGET HMSET HGETALL
HDEL HLEN HEXISTS HKEYS HVALS HINCRBY HINCRBYFLOAT HSTRLEN HSCAN HRANDFIELD.

Replies and error strings are Redis 7's. Happy paths go through redis-py;
errors and exact reply types (RESP2 and RESP3) through harness.RawConnection.
"""
import unittest

import harness

NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
OVERFLOW = "ERR increment or decrement would overflow"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808
COUNT_RANGE = ("ERR value is out of range, value must between -9223372036854775807 and "
               "9223372036854775807")


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def bulks(*items):
    return [("$", i.encode() if isinstance(i, str) else i) for i in items]


class HashTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""

    def scan_all(self, key, count=None, match=None, cursor=0):
        """HSCAN to the end; returns every (field, value) seen, in order."""
        seen = []
        while True:
            cursor, page = self.r.hscan(key, cursor, match=match, count=count)
            seen.extend(page.items())
            if cursor == 0:
                return seen


class HsetHgetTest(HashTestCase):
    def test_hset_counts_new_fields_and_hget_reads_them(self):
        self.assertEqual(self.r.hset("h", mapping={"a": "1", "b": "2"}), 2)
        self.assertEqual(self.r.hset("h", mapping={"b": "3", "c": "4"}), 1)
        self.assertEqual(self.r.hget("h", "a"), "1")
        self.assertEqual(self.r.hget("h", "b"), "3")
        self.assertEqual(self.r.hlen("h"), 3)
        self.assertEqual(self.r.type("h"), "hash")

    def test_field_given_twice_counts_once_and_keeps_the_last_value(self):
        self.assertEqual(self.call("HSET", "h", "f", "1", "f", "2"), (":", 1))
        self.assertEqual(self.r.hget("h", "f"), "2")
        self.assertEqual(self.r.hlen("h"), 1)

    def test_hset_with_odd_pairs_is_an_arity_error(self):
        self.assertError(("HSET", "h", "f"), arity("hset"))
        self.assertError(("HSET", "h", "f", "v", "g"), arity("hset"))
        self.assertError(("hmset", "h", "f", "v", "g"), arity("hmset"))
        self.assertEqual(self.r.exists("h"), 0)

    def test_hmset_replies_ok(self):
        self.assertEqual(self.call("HMSET", "h", "a", "1", "b", "2"), ("+", "OK"))
        self.assertEqual(self.r.hgetall("h"), {"a": "1", "b": "2"})

    def test_hsetnx_only_sets_missing_fields(self):
        self.assertEqual(self.call("HSETNX", "h", "f", "1"), (":", 1))
        self.assertEqual(self.call("HSETNX", "h", "f", "2"), (":", 0))
        self.assertEqual(self.r.hget("h", "f"), "1")
        self.assertEqual(self.call("HSETNX", "h", "g", "3"), (":", 1))
        self.assertEqual(self.r.hlen("h"), 2)

    def test_missing_key_and_field_read_as_null(self):
        self.assertEqual(self.call("HGET", "nokey", "f"), ("$", None))
        self.r.hset("h", "f", "v")
        self.assertEqual(self.call("HGET", "h", "other"), ("$", None))

    def test_hmget_returns_nulls_for_missing_fields(self):
        self.r.hset("h", mapping={"a": "1", "b": "2"})
        self.assertEqual(self.r.hmget("h", "a", "x", "b"), ["1", None, "2"])
        self.assertEqual(self.call("HMGET", "nokey", "a", "b"), ("*", [("$", None), ("$", None)]))

    def test_fields_and_values_are_binary_safe(self):
        field, value = b"f\x00\r\n\xff", b"\x00v\r\n"
        self.assertEqual(self.rb.hset(b"h\x00", field, value), 1)
        self.assertEqual(self.rb.hget(b"h\x00", field), value)
        self.assertEqual(self.rb.hgetall(b"h\x00"), {field: value})
        self.assertEqual(self.rb.hset(b"h\x00", b"", b""), 1)
        self.assertEqual(self.rb.hget(b"h\x00", b""), b"")

    def test_hgetall_hkeys_hvals_agree(self):
        data = {f"field:{i}": f"value:{i}" for i in range(300)}
        self.r.hset("h", mapping=data)
        self.assertEqual(self.r.hgetall("h"), data)
        self.assertEqual(sorted(self.r.hkeys("h")), sorted(data))
        self.assertEqual(sorted(self.r.hvals("h")), sorted(data.values()))
        self.assertEqual(self.r.hlen("h"), 300)

    def test_reads_of_a_missing_key_are_empty(self):
        self.assertEqual(self.r.hgetall("nokey"), {})
        self.assertEqual(self.r.hkeys("nokey"), [])
        self.assertEqual(self.r.hvals("nokey"), [])
        self.assertEqual(self.r.hlen("nokey"), 0)
        self.assertEqual(self.r.hexists("nokey", "f"), False)
        self.assertEqual(self.r.hstrlen("nokey", "f"), 0)

    def test_hexists_and_hstrlen(self):
        self.r.hset("h", mapping={"f": "hello", "e": ""})
        self.assertEqual(self.call("HEXISTS", "h", "f"), (":", 1))
        self.assertEqual(self.call("HEXISTS", "h", "e"), (":", 1))
        self.assertEqual(self.call("HEXISTS", "h", "x"), (":", 0))
        self.assertEqual(self.call("HSTRLEN", "h", "f"), (":", 5))
        self.assertEqual(self.call("HSTRLEN", "h", "e"), (":", 0))
        self.assertEqual(self.call("HSTRLEN", "h", "x"), (":", 0))

    def test_set_overwrites_a_hash_and_hset_recreates_it_empty(self):
        self.r.hset("h", mapping={"a": "1", "b": "2"})
        self.r.set("h", "plain")
        self.r.delete("h")
        self.assertEqual(self.r.hset("h", "c", "3"), 1)
        self.assertEqual(self.r.hgetall("h"), {"c": "3"})

    def test_expired_hash_reads_as_missing(self):
        self.r.hset("h", "f", "v")
        self.assertEqual(self.r.pexpire("h", 30), True)
        harness.wait_for(lambda: self.r.hget("h", "f") is None, timeout=5, what="hash to expire")
        self.assertEqual(self.r.hlen("h"), 0)
        self.assertEqual(self.r.hset("h", "g", "w"), 1)
        self.assertEqual(self.r.hgetall("h"), {"g": "w"})
        self.assertEqual(self.r.ttl("h"), -1)

    def test_hset_keeps_the_ttl(self):
        self.r.hset("h", "f", "v")
        self.r.expire("h", 100)
        self.r.hset("h", "g", "w")
        self.assertTtl("h", 100)


class HdelTest(HashTestCase):
    def test_hdel_counts_removed_fields(self):
        self.r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
        self.assertEqual(self.call("HDEL", "h", "a", "a", "x"), (":", 1))
        self.assertEqual(self.r.hgetall("h"), {"b": "2", "c": "3"})
        self.assertEqual(self.call("HDEL", "nokey", "a"), (":", 0))

    def test_deleting_the_last_field_deletes_the_key(self):
        self.r.hset("h", mapping={"a": "1", "b": "2"})
        self.assertEqual(self.r.hdel("h", "a", "b"), 2)
        self.assertEqual(self.r.exists("h"), 0)
        self.assertEqual(self.r.type("h"), "none")


class HincrbyTest(HashTestCase):
    def test_hincrby_creates_and_increments(self):
        self.assertEqual(self.call("HINCRBY", "h", "f", "5"), (":", 5))
        self.assertEqual(self.call("HINCRBY", "h", "f", "-7"), (":", -2))
        self.assertEqual(self.r.hget("h", "f"), "-2")
        self.assertEqual(self.r.hlen("h"), 1)

    def test_hincrby_errors_change_nothing(self):
        self.assertError(("HINCRBY", "h", "f", "x"), NOT_INT)
        self.assertError(("HINCRBY", "h", "f", "1.5"), NOT_INT)
        self.assertEqual(self.r.exists("h"), 0)
        self.r.hset("h", mapping={"s": "abc", "big": str(INT64_MAX), "small": str(INT64_MIN),
                                  "space": " 1"})
        self.assertError(("HINCRBY", "h", "s", "1"), "ERR hash value is not an integer")
        self.assertError(("HINCRBY", "h", "space", "1"), "ERR hash value is not an integer")
        self.assertError(("HINCRBY", "h", "big", "1"), OVERFLOW)
        self.assertError(("HINCRBY", "h", "small", "-1"), OVERFLOW)
        self.assertEqual(self.r.hget("h", "big"), str(INT64_MAX))
        self.assertEqual(self.r.hget("h", "s"), "abc")
        self.assertEqual(self.call("HINCRBY", "h", "big", str(INT64_MIN)), (":", -1))

    def test_hincrbyfloat_formats_like_redis(self):
        self.r.hset("h", "f", "10.50")
        self.assertEqual(self.call("HINCRBYFLOAT", "h", "f", "0.1"), ("$", b"10.6"))
        self.assertEqual(self.call("HINCRBYFLOAT", "h", "f", "-5"), ("$", b"5.6"))
        self.r.hset("h", "e", "5.0e3")
        self.assertEqual(self.call("HINCRBYFLOAT", "h", "e", "2.0e2"), ("$", b"5200"))
        self.assertEqual(self.call("HINCRBYFLOAT", "h", "new", "3"), ("$", b"3"))
        self.assertEqual(self.r.hget("h", "new"), "3")
        self.assertEqual(self.r.hget("h", "f"), "5.6")
        self.r.hset("h", "i", "7")
        self.assertEqual(self.call("HINCRBYFLOAT", "h", "i", "-7"), ("$", b"0"))

    def test_hincrbyfloat_errors_change_nothing(self):
        self.assertError(("HINCRBYFLOAT", "h", "f", "abc"), NOT_FLOAT)
        self.assertError(("HINCRBYFLOAT", "h", "f", "nan"), NOT_FLOAT)
        self.assertError(("HINCRBYFLOAT", "h", "f", "inf"), "ERR value is NaN or Infinity")
        self.assertError(("HINCRBYFLOAT", "h", "f", "-inf"), "ERR value is NaN or Infinity")
        self.assertEqual(self.r.exists("h"), 0)
        self.r.hset("h", mapping={"s": "abc", "n": "1.5"})
        self.assertError(("HINCRBYFLOAT", "h", "s", "1"), "ERR hash value is not a float")
        self.assertEqual(self.r.hgetall("h"), {"s": "abc", "n": "1.5"})


class HscanTest(HashTestCase):
    def test_small_hash_comes_back_whole_from_cursor_zero(self):
        data = {f"f{i}": str(i) for i in range(50)}
        self.r.hset("h", mapping=data)
        cursor, page = self.r.hscan("h", 0, count=5)
        self.assertEqual(cursor, 0)
        self.assertEqual(page, data)

    def test_large_hash_is_scanned_in_pages_each_field_once(self):
        data = {f"field:{i:05}": f"v{i}" for i in range(1000)}
        self.r.hset("h", mapping=data)
        t, v = self.call("HSCAN", "h", "0", "COUNT", "100")
        self.assertEqual(t, "*")
        self.assertNotEqual(v[0][1], b"0")
        self.assertEqual(len(v[1][1]), 200)  # field, value pairs, flat
        seen = self.scan_all("h", count=100)
        self.assertEqual(len(seen), 1000)
        self.assertEqual(dict(seen), data)

    def test_match_filters_fields(self):
        data = {f"a:{i}": "x" for i in range(200)}
        data.update({f"b:{i}": "y" for i in range(200)})
        self.r.hset("h", mapping=data)
        seen = self.scan_all("h", count=50, match="b:1*")
        self.assertEqual(sorted(f for f, _ in seen), sorted(f for f in data if f.startswith("b:1")))

    def test_scan_continues_after_a_restart(self):
        data = {f"k{i:04}": str(i) for i in range(600)}
        self.r.hset("h", mapping=data)
        seen = []
        cursor, page = self.r.hscan("h", 0, count=100)
        seen.extend(page.items())
        cursor, page = self.r.hscan("h", cursor, count=100)
        seen.extend(page.items())
        self.assertNotEqual(cursor, 0)
        restart(self)
        seen.extend(self.scan_all("h", count=100, cursor=cursor))
        self.assertEqual(dict(seen), data)
        self.assertEqual(len(seen), 600)

    def test_fields_present_throughout_are_returned_despite_writes(self):
        data = {f"k{i:04}": str(i) for i in range(500)}
        self.r.hset("h", mapping=data)
        cursor, page = self.r.hscan("h", 0, count=50)
        seen = dict(page)
        self.r.hset("h", mapping={f"new{i}": "n" for i in range(100)})
        self.r.hdel("h", *[f"k{i:04}" for i in range(490, 500)])
        while cursor != 0:
            cursor, page = self.r.hscan("h", cursor, count=50)
            seen.update(page)
        for i in range(490):
            self.assertIn(f"k{i:04}", seen)

    def test_scan_errors_and_missing_key(self):
        self.assertEqual(self.call("HSCAN", "nokey", "0"), ("*", [("$", b"0"), ("*", [])]))
        self.r.hset("h", "f", "v")
        self.assertError(("HSCAN", "h", "abc"), "ERR invalid cursor")
        self.assertError(("HSCAN", "h", "-1"), "ERR invalid cursor")
        self.assertError(("HSCAN", "h", "0", "COUNT", "0"), SYNTAX)
        self.assertError(("HSCAN", "h", "0", "COUNT", "x"), NOT_INT)
        self.assertError(("HSCAN", "h", "0", "MATCH"), SYNTAX)
        self.assertError(("HSCAN", "h", "0", "BOGUS", "1"), SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "match", "*", "count", "1"),
                         ("*", [("$", b"0"), ("*", bulks("f", "v"))]))


class HrandfieldTest(HashTestCase):
    def setUp(self):
        super().setUp()
        self.data = {f"f{i}": f"v{i}" for i in range(20)}
        self.r.hset("h", mapping=self.data)

    def test_single_field(self):
        for _ in range(10):
            self.assertIn(self.r.hrandfield("h"), self.data)
        self.assertEqual(self.call("HRANDFIELD", "nokey"), ("$", None))

    def test_positive_count_gives_distinct_fields(self):
        got = self.r.hrandfield("h", 7)
        self.assertEqual(len(got), 7)
        self.assertEqual(len(set(got)), 7)
        self.assertTrue(set(got) <= set(self.data))
        self.assertEqual(sorted(self.r.hrandfield("h", 100)), sorted(self.data))

    def test_negative_count_may_repeat(self):
        got = self.r.hrandfield("h", -50)
        self.assertEqual(len(got), 50)
        self.assertTrue(set(got) <= set(self.data))

    def test_withvalues_pairs_match_the_hash(self):
        for count in (5, -30, 100):
            got = self.r.hrandfield("h", count, withvalues=True)
            self.assertEqual(len(got), 2 * min(abs(count), 20) if count > 0 else 60)
            for f, v in zip(got[::2], got[1::2]):
                self.assertEqual(self.data[f], v)

    def test_zero_count_and_missing_key_are_empty_arrays(self):
        self.assertEqual(self.call("HRANDFIELD", "h", "0"), ("*", []))
        self.assertEqual(self.call("HRANDFIELD", "nokey", "5"), ("*", []))
        self.assertEqual(self.call("HRANDFIELD", "nokey", "-5", "WITHVALUES"), ("*", []))

    def test_argument_errors(self):
        self.assertError(("HRANDFIELD", "h", "x"), NOT_INT)
        self.assertError(("HRANDFIELD", "h", str(INT64_MIN)), COUNT_RANGE)
        self.assertError(("HRANDFIELD", "h", "1", "WITHSCORES"), SYNTAX)
        self.assertError(("HRANDFIELD", "h", "1", "WITHVALUES", "x"), SYNTAX)
        self.assertError(("HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"),
                         "ERR value is out of range")
        self.assertError(("HRANDFIELD", "h", str(INT64_MAX), "WITHVALUES"),
                         "ERR value is out of range")

    def test_large_hash_sampling(self):
        big = {f"m{i:05}": str(i) for i in range(3000)}
        self.r.hset("big", mapping=big)
        got = self.r.hrandfield("big", 40, withvalues=True)
        fields = got[::2]
        self.assertEqual(len(set(fields)), 40)
        for f, v in zip(fields, got[1::2]):
            self.assertEqual(big[f], v)
        got = self.r.hrandfield("big", 2500)
        self.assertEqual(len(set(got)), 2500)
        self.assertTrue(set(got) <= set(big))
        got = self.r.hrandfield("big", -100)
        self.assertEqual(len(got), 100)
        self.assertTrue(set(got) <= set(big))
        # Picks spread over the hash rather than sticking to one spot.
        self.assertGreater(len(set(self.r.hrandfield("big") for _ in range(30))), 20)


class WrongTypeTest(HashTestCase):
    def test_every_command_refuses_a_string_key(self):
        self.r.set("s", "x")
        for args in (("HSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"), ("HGET", "s", "f"),
                     ("HMGET", "s", "f"), ("HMSET", "s", "f", "v"), ("HGETALL", "s"),
                     ("HDEL", "s", "f"), ("HLEN", "s"), ("HEXISTS", "s", "f"), ("HKEYS", "s"),
                     ("HVALS", "s"), ("HINCRBY", "s", "f", "1"),
                     ("HINCRBYFLOAT", "s", "f", "1"), ("HSTRLEN", "s", "f"),
                     ("HSCAN", "s", "0"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "2")):
            self.assertError(args, WRONGTYPE)
        self.assertEqual(self.r.get("s"), "x")

    def test_string_commands_refuse_a_hash(self):
        self.r.hset("h", "f", "v")
        self.assertError(("GET", "h"), WRONGTYPE)
        self.assertError(("SADD", "h", "m"), WRONGTYPE)


class Resp3Test(HashTestCase):
    def setUp(self):
        super().setUp()
        self.r3 = harness.RawConnection(self.server.port)
        self.addCleanup(self.r3.close)
        self.assertEqual(self.r3.call("HELLO", "3")[0], "%")

    def test_hgetall_is_a_map_in_resp3_and_flat_in_resp2(self):
        self.r.hset("h", mapping={"a": "1", "b": "2"})
        self.assertEqual(self.r3.call("HGETALL", "h"),
                         ("%", [(("$", b"a"), ("$", b"1")), (("$", b"b"), ("$", b"2"))]))
        self.assertEqual(self.call("HGETALL", "h"), ("*", bulks("a", "1", "b", "2")))
        self.assertEqual(self.r3.call("HGETALL", "nokey"), ("%", []))

    def test_hrandfield_withvalues_nests_pairs_in_resp3(self):
        self.r.hset("h", "a", "1")
        self.assertEqual(self.r3.call("HRANDFIELD", "h", "-2", "WITHVALUES"),
                         ("*", [("*", bulks("a", "1")), ("*", bulks("a", "1"))]))
        self.assertEqual(self.call("HRANDFIELD", "h", "-2", "WITHVALUES"),
                         ("*", bulks("a", "1", "a", "1")))
        self.assertEqual(self.r3.call("HRANDFIELD", "h", "1", "WITHVALUES"),
                         ("*", [("*", bulks("a", "1"))]))

    def test_other_reply_types(self):
        self.r.hset("h", mapping={"a": "1"})
        self.assertEqual(self.r3.call("HGET", "h", "x"), ("_", None))
        self.assertEqual(self.r3.call("HMGET", "h", "a", "x"), ("*", [("$", b"1"), ("_", None)]))
        self.assertEqual(self.r3.call("HKEYS", "h"), ("*", bulks("a")))
        self.assertEqual(self.r3.call("HINCRBYFLOAT", "h", "a", "0.5"), ("$", b"1.5"))
        self.assertEqual(self.r3.call("HSCAN", "h", "0"),
                         ("*", [("$", b"0"), ("*", bulks("a", "1.5"))]))
        self.assertEqual(self.r3.call("HRANDFIELD", "nokey"), ("_", None))


def restart(case):
    """Stops the class's server cleanly and starts it on the same data."""
    case.assertEqual(case.server.stop(), 0)
    case.server.start()
    case.raw.close()
    type(case).raw = harness.RawConnection(case.server.port)


class RestartTest(HashTestCase):
    def test_hashes_survive_a_restart(self):
        data = {f"f{i}": f"v{i}" for i in range(1000)}
        self.r.hset("big", mapping=data)
        self.r.hset("small", mapping={"a": "1", "b": "2"})
        self.r.hdel("small", "a")
        self.r.hincrby("small", "n", 41)
        self.r.hincrbyfloat("small", "x", "0.25")
        self.r.hset("gone", "f", "v")
        self.r.hdel("gone", "f")
        restart(self)
        self.assertEqual(self.r.hgetall("big"), data)
        self.assertEqual(self.r.hlen("big"), 1000)
        self.assertEqual(self.r.hgetall("small"), {"b": "2", "n": "41", "x": "0.25"})
        self.assertEqual(self.r.exists("gone"), 0)
        self.assertEqual(self.r.hincrby("small", "n", 1), 42)


if __name__ == "__main__":
    unittest.main()
