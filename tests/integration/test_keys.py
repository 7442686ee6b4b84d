"""Generic key commands over a real socket: DEL UNLINK EXISTS TYPE EXPIRE
PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT) TTL PTTL EXPIRETIME PEXPIRETIME
PERSIST RENAME RENAMENX COPY KEYS SCAN RANDOMKEY TOUCH OBJECT.

Replies and error strings are Redis 7's. Expiry is awaited by polling
(harness.wait_for), never by a fixed sleep.
"""
import time
import unittest

import harness

NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
INT64_MAX = 9223372036854775807
LFU_NOT_SELECTED = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time "
    "to adjust.")
LFU_SELECTED = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.")


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def bad_expire(cmd):
    return f"ERR invalid expire time in '{cmd}' command"


class KeysTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""

    def wait_gone(self, key):
        harness.wait_for(lambda: self.r.exists(key) == 0, timeout=5, what=f"{key} to expire")


class DelExistsTypeTest(KeysTestCase):
    def test_del_counts_deleted_keys(self):
        self.r.mset({"a": 1, "b": 2, "c": 3})
        self.assertEqual(self.call("DEL", "a", "b", "missing"), (":", 2))
        self.assertEqual(self.r.exists("a", "b", "c"), 1)

    def test_del_of_duplicate_names_counts_once(self):
        self.r.set("a", 1)
        self.assertEqual(self.call("DEL", "a", "a"), (":", 1))

    def test_unlink_behaves_like_del(self):
        self.r.mset({"a": 1, "b": 2})
        self.assertEqual(self.call("UNLINK", "a", "b", "c"), (":", 2))
        self.assertEqual(self.r.exists("a", "b"), 0)

    def test_exists_counts_every_occurrence(self):
        self.r.set("a", 1)
        self.assertEqual(self.call("EXISTS", "a", "a", "missing"), (":", 2))
        self.assertEqual(self.call("EXISTS", "missing"), (":", 0))

    def test_type(self):
        self.r.set("s", "v")
        self.assertEqual(self.call("TYPE", "s"), ("+", "string"))
        self.assertEqual(self.call("TYPE", "missing"), ("+", "none"))

    def test_wrong_arity(self):
        for cmd in ("DEL", "UNLINK", "EXISTS", "TYPE", "TOUCH", "TTL", "PTTL", "EXPIRETIME",
                    "PEXPIRETIME", "PERSIST", "KEYS", "SCAN"):
            self.assertError((cmd,), arity(cmd.lower()))
        self.assertError(("TYPE", "a", "b"), arity("type"))
        self.assertError(("EXPIRE", "a"), arity("expire"))
        self.assertError(("PEXPIREAT", "a"), arity("pexpireat"))
        self.assertError(("RENAME", "a"), arity("rename"))
        self.assertError(("RENAMENX", "a", "b", "c"), arity("renamenx"))
        self.assertError(("COPY", "a"), arity("copy"))
        self.assertError(("RANDOMKEY", "a"), arity("randomkey"))


class ExpireTest(KeysTestCase):
    def test_expire_sets_ttl_and_returns_1(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("EXPIRE", "k", 100), (":", 1))
        self.assertTtl("k", 100)
        self.assertTrue(99000 < self.r.pttl("k") <= 100000)

    def test_pexpire_sets_ttl_in_ms(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("PEXPIRE", "k", 100000), (":", 1))
        self.assertTrue(99000 < self.r.pttl("k") <= 100000)
        self.assertTtl("k", 100)

    def test_expire_on_missing_key_returns_0(self):
        self.assertEqual(self.call("EXPIRE", "missing", 100), (":", 0))
        self.assertEqual(self.call("PEXPIRE", "missing", 100), (":", 0))
        self.assertEqual(self.call("EXPIREAT", "missing", 2000000000), (":", 0))
        self.assertEqual(self.call("PEXPIREAT", "missing", 2000000000000), (":", 0))

    def test_short_pexpire_makes_the_key_disappear(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("PEXPIRE", "k", 5), (":", 1))
        self.wait_gone("k")
        self.assertEqual(self.call("GET", "k"), ("$", None))
        self.assertEqual(self.call("TTL", "k"), (":", -2))
        self.assertEqual(self.call("PTTL", "k"), (":", -2))
        self.assertEqual(self.call("TYPE", "k"), ("+", "none"))

    def test_expired_keys_are_invisible_to_keyspace_commands(self):
        self.r.mset({"gone": "v", "kept": "v"})
        self.r.pexpire("gone", 5)
        self.wait_gone("gone")
        self.assertEqual(self.r.keys("*"), ["kept"])
        cursor, keys = self.r.scan(0, count=100)
        while cursor != 0:
            cursor, more = self.r.scan(cursor, count=100)
            keys += more
        self.assertEqual(keys, ["kept"])
        self.assertEqual(self.r.randomkey(), "kept")
        harness.wait_for(lambda: self.r.dbsize() == 1, timeout=5, what="DBSIZE to drop")

    def test_non_positive_expire_deletes_the_key(self):
        self.r.mset({"a": 1, "b": 2, "c": 3, "d": 4})
        self.assertEqual(self.call("EXPIRE", "a", -1), (":", 1))
        self.assertEqual(self.call("PEXPIRE", "b", 0), (":", 1))
        self.assertEqual(self.call("EXPIREAT", "c", 1), (":", 1))
        self.assertEqual(self.call("PEXPIREAT", "d", 1), (":", 1))
        self.assertEqual(self.r.exists("a", "b", "c", "d"), 0)

    def test_expireat_and_pexpireat_set_absolute_times(self):
        self.r.mset({"a": 1, "b": 2})
        at = int(time.time()) + 1000
        self.assertEqual(self.call("EXPIREAT", "a", at), (":", 1))
        self.assertEqual(self.call("EXPIRETIME", "a"), (":", at))
        self.assertEqual(self.call("PEXPIRETIME", "a"), (":", at * 1000))
        self.assertEqual(self.call("PEXPIREAT", "b", at * 1000 + 250), (":", 1))
        self.assertEqual(self.call("PEXPIRETIME", "b"), (":", at * 1000 + 250))
        self.assertTrue(998 <= self.r.ttl("a") <= 1000)

    def test_ttl_family_on_key_without_expiry_and_missing_key(self):
        self.r.set("k", "v")
        for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
            self.assertEqual(self.call(cmd, "k"), (":", -1), cmd)
            self.assertEqual(self.call(cmd, "missing"), (":", -2), cmd)

    def test_nx_sets_only_without_existing_ttl(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("EXPIRE", "k", 100, "NX"), (":", 1))
        self.assertEqual(self.call("EXPIRE", "k", 200, "NX"), (":", 0))
        self.assertTtl("k", 100)

    def test_xx_sets_only_with_existing_ttl(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("EXPIRE", "k", 100, "XX"), (":", 0))
        self.assertEqual(self.r.ttl("k"), -1)
        self.r.expire("k", 50)
        self.assertEqual(self.call("EXPIRE", "k", 100, "XX"), (":", 1))
        self.assertTtl("k", 100)

    def test_gt_and_lt_compare_with_current_ttl(self):
        self.r.set("k", "v")
        # No TTL counts as infinite: GT never applies, LT always does.
        self.assertEqual(self.call("EXPIRE", "k", 100, "GT"), (":", 0))
        self.assertEqual(self.call("EXPIRE", "k", 100, "LT"), (":", 1))
        self.assertEqual(self.call("EXPIRE", "k", 200, "GT"), (":", 1))
        self.assertEqual(self.call("EXPIRE", "k", 150, "GT"), (":", 0))
        self.assertTtl("k", 200)
        self.assertEqual(self.call("EXPIRE", "k", 300, "LT"), (":", 0))
        self.assertEqual(self.call("PEXPIRE", "k", 50000, "lt"), (":", 1))
        self.assertTtl("k", 50)
        self.assertEqual(self.call("EXPIRE", "k", 60, "XX", "GT"), (":", 1))
        self.assertTtl("k", 60)

    def test_conflicting_and_unknown_options(self):
        self.r.set("k", "v")
        self.assertError(("EXPIRE", "k", "10", "NX", "XX"),
                         "ERR NX and XX, GT or LT options at the same time are not compatible")
        self.assertError(("PEXPIRE", "k", "10", "NX", "GT"),
                         "ERR NX and XX, GT or LT options at the same time are not compatible")
        self.assertError(("EXPIRE", "k", "10", "GT", "LT"),
                         "ERR GT and LT options at the same time are not compatible")
        self.assertError(("EXPIRE", "k", "10", "FOO"), "ERR Unsupported option FOO")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_non_integer_and_overflowing_times(self):
        self.r.set("k", "v")
        self.assertError(("EXPIRE", "k", "abc"), NOT_INT)
        self.assertError(("PEXPIRE", "k", "1.5"), NOT_INT)
        self.assertError(("EXPIREAT", "k", ""), NOT_INT)
        self.assertError(("EXPIRE", "k", str(INT64_MAX)), bad_expire("expire"))
        self.assertError(("PEXPIRE", "k", str(INT64_MAX)), bad_expire("pexpire"))
        self.assertError(("EXPIREAT", "k", str(INT64_MAX)), bad_expire("expireat"))
        self.assertEqual(self.r.ttl("k"), -1)

    def test_persist(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.call("PERSIST", "k"), (":", 1))
        self.assertEqual(self.r.ttl("k"), -1)
        self.assertEqual(self.call("PERSIST", "k"), (":", 0))
        self.assertEqual(self.call("PERSIST", "missing"), (":", 0))


class RenameCopyTest(KeysTestCase):
    def test_rename_moves_value_and_ttl(self):
        self.r.set("src", "v", px=100000)
        self.assertEqual(self.call("RENAME", "src", "dst"), ("+", "OK"))
        self.assertEqual(self.r.exists("src"), 0)
        self.assertEqual(self.r.get("dst"), "v")
        self.assertTrue(99000 < self.r.pttl("dst") <= 100000)

    def test_rename_overwrites_destination_and_its_ttl(self):
        self.r.set("src", "new")
        self.r.set("dst", "old", ex=100)
        self.assertEqual(self.call("RENAME", "src", "dst"), ("+", "OK"))
        self.assertEqual(self.r.get("dst"), "new")
        self.assertEqual(self.r.ttl("dst"), -1)

    def test_rename_missing_key_fails(self):
        self.assertError(("RENAME", "missing", "dst"), "ERR no such key")
        self.assertError(("RENAMENX", "missing", "dst"), "ERR no such key")
        self.assertError(("RENAME", "missing", "missing"), "ERR no such key")

    def test_rename_to_itself(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.call("RENAME", "k", "k"), ("+", "OK"))
        self.assertEqual(self.r.get("k"), "v")
        self.assertTtl("k", 100)
        self.assertEqual(self.call("RENAMENX", "k", "k"), (":", 0))

    def test_renamenx_only_to_a_free_name(self):
        self.r.mset({"a": "1", "b": "2"})
        self.assertEqual(self.call("RENAMENX", "a", "b"), (":", 0))
        self.assertEqual(self.r.mget("a", "b"), ["1", "2"])
        self.assertEqual(self.call("RENAMENX", "a", "c"), (":", 1))
        self.assertEqual(self.r.mget("a", "c"), [None, "1"])

    def test_copy_to_a_new_key_keeps_the_ttl(self):
        self.r.set("src", "v", px=100000)
        self.assertEqual(self.call("COPY", "src", "dst"), (":", 1))
        self.assertEqual(self.r.mget("src", "dst"), ["v", "v"])
        self.assertTrue(99000 < self.r.pttl("dst") <= 100000)
        # The copy is independent of the source.
        self.r.append("dst", "2")
        self.assertEqual(self.r.mget("src", "dst"), ["v", "v2"])

    def test_copy_to_an_existing_key_needs_replace(self):
        self.r.mset({"src": "new", "dst": "old"})
        self.assertEqual(self.call("COPY", "src", "dst"), (":", 0))
        self.assertEqual(self.r.get("dst"), "old")
        self.assertEqual(self.call("COPY", "src", "dst", "REPLACE"), (":", 1))
        self.assertEqual(self.r.get("dst"), "new")

    def test_copy_of_missing_key_returns_0(self):
        self.assertEqual(self.call("COPY", "missing", "dst"), (":", 0))
        self.assertEqual(self.r.exists("dst"), 0)

    def test_copy_within_db_0_is_allowed(self):
        self.r.set("src", "v")
        self.assertEqual(self.call("COPY", "src", "dst", "DB", "0"), (":", 1))
        self.assertEqual(self.r.get("dst"), "v")

    def test_copy_errors(self):
        self.r.set("k", "v")
        self.assertError(("COPY", "k", "k"), "ERR source and destination objects are the same")
        self.assertError(("COPY", "k", "d", "FOO"), SYNTAX)
        self.assertError(("COPY", "k", "d", "DB", "abc"), NOT_INT)
        self.assertEqual(self.r.exists("d"), 0)


class KeysScanTest(KeysTestCase):
    def test_keys_glob_patterns(self):
        self.r.mset({"hello": 1, "hallo": 2, "hxllo": 3, "hllo": 4, "heeeello": 5, "h*llo": 6})
        self.assertEqual(sorted(self.r.keys("*")),
                         sorted(["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo"]))
        self.assertEqual(sorted(self.r.keys("h?llo")), ["h*llo", "hallo", "hello", "hxllo"])
        self.assertEqual(sorted(self.r.keys("h*llo")),
                         sorted(["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo"]))
        self.assertEqual(sorted(self.r.keys("h[ae]llo")), ["hallo", "hello"])
        self.assertEqual(sorted(self.r.keys("h[^e]llo")), ["h*llo", "hallo", "hxllo"])
        self.assertEqual(sorted(self.r.keys("h[a-b]llo")), ["hallo"])
        self.assertEqual(self.r.keys("h\\*llo"), ["h*llo"])
        self.assertEqual(self.r.keys("nomatch*"), [])

    def test_keys_on_empty_db(self):
        self.assertEqual(self.call("KEYS", "*"), ("*", []))

    def test_scan_visits_every_key_exactly_once(self):
        names = {f"key:{i}" for i in range(200)}
        self.r.mset({n: "v" for n in names})
        seen = []
        cursor = "0"
        for _ in range(1000):
            t, reply = self.call("SCAN", cursor, "COUNT", 7)
            self.assertEqual(t, "*")
            (ct, cursor_b), (lt, keys) = reply
            self.assertEqual((ct, lt), ("$", "*"))
            seen += [k.decode() for _, k in keys]
            cursor = cursor_b.decode()
            if cursor == "0":
                break
        self.assertEqual(cursor, "0")
        self.assertEqual(sorted(seen), sorted(names))

    def test_scan_match_and_type(self):
        self.r.mset({f"user:{i}": "v" for i in range(30)})
        self.r.mset({f"other:{i}": "v" for i in range(30)})
        self.assertEqual(sorted(self.r.scan_iter(match="user:*", count=5)),
                         sorted(f"user:{i}" for i in range(30)))
        self.assertEqual(len(list(self.r.scan_iter(_type="string", count=5))), 60)
        self.assertEqual(list(self.r.scan_iter(_type="hash", count=5)), [])
        self.assertEqual(list(self.r.scan_iter(match="nomatch*", count=5)), [])

    def test_scan_of_empty_db(self):
        self.assertEqual(self.call("SCAN", "0"), ("*", [("$", b"0"), ("*", [])]))

    def test_scan_errors(self):
        self.assertError(("SCAN", "abc"), "ERR invalid cursor")
        self.assertError(("SCAN", "1x"), "ERR invalid cursor")
        self.assertError(("SCAN", "0", "COUNT", "0"), SYNTAX)
        self.assertError(("SCAN", "0", "COUNT", "-1"), SYNTAX)
        self.assertError(("SCAN", "0", "COUNT", "abc"), NOT_INT)
        self.assertError(("SCAN", "0", "MATCH"), SYNTAX)
        self.assertError(("SCAN", "0", "TYPE"), SYNTAX)
        self.assertError(("SCAN", "0", "FOO", "bar"), SYNTAX)

    def test_randomkey(self):
        self.assertEqual(self.call("RANDOMKEY"), ("$", None))
        self.r.mset({"a": 1, "b": 2, "c": 3})
        for _ in range(10):
            self.assertIn(self.r.randomkey(), {"a", "b", "c"})

    def test_touch_counts_existing_keys(self):
        self.r.mset({"a": 1, "b": 2})
        self.assertEqual(self.call("TOUCH", "a", "b", "missing"), (":", 2))
        self.assertEqual(self.call("TOUCH", "missing"), (":", 0))


class ObjectTest(KeysTestCase):
    def tearDown(self):
        self.assertEqual(self.call("CONFIG", "SET", "maxmemory-policy", "noeviction"), ("+", "OK"))

    def test_object_encoding_of_strings(self):
        self.r.set("int", "12345")
        self.r.set("short", "hello")
        self.r.set("long", "x" * 50)
        self.r.set("big", "9223372036854775808")
        self.assertEqual(self.call("OBJECT", "ENCODING", "int"), ("$", b"int"))
        self.assertEqual(self.call("OBJECT", "ENCODING", "short"), ("$", b"embstr"))
        self.assertEqual(self.call("OBJECT", "ENCODING", "long"), ("$", b"raw"))
        self.assertEqual(self.call("OBJECT", "ENCODING", "big"), ("$", b"embstr"))
        # shoal reports the encoding Redis would give a value of this content
        # and size; Redis's "raw after APPEND" history is not tracked.

    def test_object_on_missing_key_is_null(self):
        for sub in ("ENCODING", "FREQ", "IDLETIME", "REFCOUNT"):
            self.assertEqual(self.call("OBJECT", sub, "missing"), ("$", None), sub)

    def test_object_idletime_and_refcount_are_integers(self):
        self.r.set("k", "hello")
        t, idle = self.call("OBJECT", "IDLETIME", "k")
        self.assertEqual(t, ":")
        self.assertTrue(0 <= idle <= 5)
        self.assertEqual(self.call("OBJECT", "REFCOUNT", "k"), (":", 1))

    def test_object_freq_needs_an_lfu_policy(self):
        self.r.set("k", "v")
        self.assertError(("OBJECT", "FREQ", "k"), LFU_NOT_SELECTED)
        self.assertEqual(self.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), ("+", "OK"))
        t, freq = self.call("OBJECT", "FREQ", "k")
        self.assertEqual(t, ":")
        self.assertGreaterEqual(freq, 0)
        self.assertError(("OBJECT", "IDLETIME", "k"), LFU_SELECTED)

    def test_object_subcommand_errors(self):
        self.assertError(("OBJECT", "FOO", "k"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
        self.assertError(("OBJECT", "ENCODING"), arity("object|encoding"))
        self.assertError(("OBJECT", "ENCODING", "a", "b"), arity("object|encoding"))
        self.assertError(("OBJECT", "HELP", "x"), arity("object|help"))
        self.assertError(("OBJECT",), arity("object"))

    def test_object_help(self):
        t, lines = self.call("OBJECT", "HELP")
        self.assertEqual(t, "*")
        self.assertTrue(all(lt == "+" for lt, _ in lines))
        text = [v for _, v in lines]
        self.assertTrue(text[0].startswith("OBJECT <subcommand>"))
        for sub in ("ENCODING", "FREQ", "IDLETIME", "REFCOUNT", "HELP"):
            self.assertTrue(any(line.startswith(sub) for line in text), sub)


if __name__ == "__main__":
    unittest.main()
