"""String commands over a real socket: GET SET (all options) SETNX SETEX
PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR INCRBY DECRBY
INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE SETBIT GETBIT BITCOUNT BITPOS.

Replies and error strings are Redis 7's, byte for byte. Happy paths go
through redis-py (a real client); errors and exact reply types go through
harness.RawConnection so the full error line ("ERR ...") is compared.
"""
import time
import unittest

import harness

NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
OVERFLOW = "ERR increment or decrement would overflow"
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def bad_expire(cmd):
    return f"ERR invalid expire time in '{cmd}' command"


class StringsTestCase(harness.CommandTestCase):
    """One shoal-server for the class; the keyspace is flushed before each test."""


class GetSetTest(StringsTestCase):
    def test_set_then_get_returns_the_value(self):
        self.assertTrue(self.r.set("k", "hello"))
        self.assertEqual(self.r.get("k"), "hello")

    def test_get_of_a_missing_key_is_a_null_bulk(self):
        self.assertEqual(self.call("GET", "missing"), ("$", None))

    def test_values_are_binary_safe(self):
        value = b"\x00\r\n\xff binary \x00"
        self.assertTrue(self.rb.set(b"bin\x00key", value))
        self.assertEqual(self.rb.get(b"bin\x00key"), value)
        self.assertEqual(self.rb.strlen(b"bin\x00key"), len(value))

    def test_empty_value_is_stored_and_exists(self):
        self.assertTrue(self.r.set("k", ""))
        self.assertEqual(self.call("GET", "k"), ("$", b""))
        self.assertEqual(self.r.exists("k"), 1)

    def test_large_value_round_trips(self):
        value = b"x" * (1 << 20) + b"end"
        self.assertTrue(self.rb.set("big", value))
        self.assertEqual(self.rb.get("big"), value)

    def test_set_overwrites_and_clears_ttl(self):
        self.r.set("k", "v1", ex=100)
        self.assertTrue(self.r.set("k", "v2"))
        self.assertEqual(self.r.get("k"), "v2")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_set_nx_only_sets_a_missing_key(self):
        self.assertEqual(self.call("SET", "k", "v1", "NX"), ("+", "OK"))
        self.assertEqual(self.call("SET", "k", "v2", "NX"), ("$", None))
        self.assertEqual(self.r.get("k"), "v1")

    def test_set_xx_only_sets_an_existing_key(self):
        self.assertEqual(self.call("SET", "k", "v1", "XX"), ("$", None))
        self.assertEqual(self.r.exists("k"), 0)
        self.r.set("k", "v1")
        self.assertEqual(self.call("SET", "k", "v2", "XX"), ("+", "OK"))
        self.assertEqual(self.r.get("k"), "v2")

    def test_set_options_are_case_insensitive(self):
        self.assertEqual(self.call("set", "k", "v", "nx", "ex", "100"), ("+", "OK"))
        self.assertTtl("k", 100)

    def test_set_get_returns_the_old_value(self):
        self.assertEqual(self.call("SET", "k", "v1", "GET"), ("$", None))
        self.assertEqual(self.call("SET", "k", "v2", "GET"), ("$", b"v1"))
        self.assertEqual(self.r.get("k"), "v2")

    def test_set_nx_get_returns_old_value_and_does_not_overwrite(self):
        self.assertEqual(self.call("SET", "k", "v1", "NX", "GET"), ("$", None))
        self.assertEqual(self.call("SET", "k", "v2", "NX", "GET"), ("$", b"v1"))
        self.assertEqual(self.r.get("k"), "v1")

    def test_set_xx_get_on_missing_key_sets_nothing(self):
        self.assertEqual(self.call("SET", "k", "v", "XX", "GET"), ("$", None))
        self.assertEqual(self.r.exists("k"), 0)
        self.r.set("k", "old")
        self.assertEqual(self.call("SET", "k", "new", "XX", "GET"), ("$", b"old"))
        self.assertEqual(self.r.get("k"), "new")

    def test_set_ex_and_px_set_a_ttl(self):
        self.assertTrue(self.r.set("a", "v", ex=100))
        self.assertTtl("a", 100)
        self.assertTrue(self.r.set("b", "v", px=100000))
        self.assertTrue(99000 < self.r.pttl("b") <= 100000)

    def test_set_exat_and_pxat_set_an_absolute_expiry(self):
        at = int(time.time()) + 1000
        self.assertEqual(self.call("SET", "a", "v", "EXAT", at), ("+", "OK"))
        self.assertEqual(self.call("EXPIRETIME", "a"), (":", at))
        at_ms = at * 1000 + 123
        self.assertEqual(self.call("SET", "b", "v", "PXAT", at_ms), ("+", "OK"))
        self.assertEqual(self.call("PEXPIRETIME", "b"), (":", at_ms))

    def test_set_exat_in_the_past_deletes_the_key(self):
        self.r.set("k", "old")
        self.assertEqual(self.call("SET", "k", "v", "EXAT", 1), ("+", "OK"))
        self.assertEqual(self.call("GET", "k"), ("$", None))
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_keepttl_keeps_the_ttl(self):
        self.r.set("k", "v1", ex=100)
        self.assertEqual(self.call("SET", "k", "v2", "KEEPTTL"), ("+", "OK"))
        self.assertEqual(self.r.get("k"), "v2")
        self.assertTtl("k", 100)

    def test_set_px_short_ttl_expires(self):
        self.assertEqual(self.call("SET", "k", "v", "PX", 5), ("+", "OK"))
        harness.wait_for(lambda: self.r.get("k") is None, timeout=5, what="k to expire")
        self.assertEqual(self.r.exists("k"), 0)
        self.assertEqual(self.r.ttl("k"), -2)

    def test_set_conflicting_options_are_syntax_errors(self):
        self.assertError(("SET", "k", "v", "NX", "XX"), SYNTAX)
        self.assertError(("SET", "k", "v", "EX", "10", "PX", "100"), SYNTAX)
        self.assertError(("SET", "k", "v", "EX", "10", "EXAT", "9999999999"), SYNTAX)
        self.assertError(("SET", "k", "v", "KEEPTTL", "EX", "10"), SYNTAX)
        self.assertError(("SET", "k", "v", "PXAT", "1", "KEEPTTL"), SYNTAX)
        self.assertError(("SET", "k", "v", "FOO"), SYNTAX)
        self.assertError(("SET", "k", "v", "EX"), SYNTAX)
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_non_integer_expire_is_not_an_integer_error(self):
        self.assertError(("SET", "k", "v", "EX", "abc"), NOT_INT)
        self.assertError(("SET", "k", "v", "PX", "1.5"), NOT_INT)
        self.assertError(("SET", "k", "v", "EX", "99999999999999999999"), NOT_INT)

    def test_set_non_positive_or_overflowing_expire_is_invalid(self):
        for args in (("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PXAT", "-5"),
                     ("EX", str(INT64_MAX)), ("PX", str(INT64_MAX)),
                     ("EXAT", str(INT64_MAX))):
            self.assertError(("SET", "k", "v") + args, bad_expire("set"))
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_and_get_wrong_arity(self):
        self.assertError(("SET", "k"), arity("set"))
        self.assertError(("GET",), arity("get"))
        self.assertError(("GET", "a", "b"), arity("get"))


class SetVariantsTest(StringsTestCase):
    def test_setnx_returns_1_then_0(self):
        self.assertEqual(self.call("SETNX", "k", "v1"), (":", 1))
        self.assertEqual(self.call("SETNX", "k", "v2"), (":", 0))
        self.assertEqual(self.r.get("k"), "v1")

    def test_setex_sets_value_and_ttl(self):
        self.assertEqual(self.call("SETEX", "k", 100, "v"), ("+", "OK"))
        self.assertEqual(self.r.get("k"), "v")
        self.assertTtl("k", 100)

    def test_psetex_sets_value_and_ttl_in_ms(self):
        self.assertEqual(self.call("PSETEX", "k", 100000, "v"), ("+", "OK"))
        self.assertEqual(self.r.get("k"), "v")
        self.assertTrue(99000 < self.r.pttl("k") <= 100000)

    def test_setex_and_psetex_reject_bad_times(self):
        self.assertError(("SETEX", "k", "0", "v"), bad_expire("setex"))
        self.assertError(("SETEX", "k", "-10", "v"), bad_expire("setex"))
        self.assertError(("SETEX", "k", str(INT64_MAX), "v"), bad_expire("setex"))
        self.assertError(("PSETEX", "k", "-1", "v"), bad_expire("psetex"))
        self.assertError(("SETEX", "k", "abc", "v"), NOT_INT)
        self.assertError(("PSETEX", "k", "1.5", "v"), NOT_INT)
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_variants_wrong_arity(self):
        self.assertError(("SETNX", "k"), arity("setnx"))
        self.assertError(("SETEX", "k", "10"), arity("setex"))
        self.assertError(("PSETEX", "k", "10", "v", "x"), arity("psetex"))
        self.assertError(("GETSET", "k"), arity("getset"))
        self.assertError(("GETDEL",), arity("getdel"))
        self.assertError(("GETEX",), arity("getex"))

    def test_getset_returns_old_value_and_clears_ttl(self):
        self.assertEqual(self.call("GETSET", "k", "v1"), ("$", None))
        self.r.expire("k", 100)
        self.assertEqual(self.call("GETSET", "k", "v2"), ("$", b"v1"))
        self.assertEqual(self.r.get("k"), "v2")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_getdel_returns_value_and_deletes(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("GETDEL", "k"), ("$", b"v"))
        self.assertEqual(self.r.exists("k"), 0)
        self.assertEqual(self.call("GETDEL", "k"), ("$", None))


class GetExTest(StringsTestCase):
    def test_getex_without_options_keeps_ttl(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.call("GETEX", "k"), ("$", b"v"))
        self.assertTtl("k", 100)

    def test_getex_sets_relative_and_absolute_expiry(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("GETEX", "k", "EX", 100), ("$", b"v"))
        self.assertTtl("k", 100)
        self.assertEqual(self.call("GETEX", "k", "PX", 200000), ("$", b"v"))
        self.assertTrue(199000 < self.r.pttl("k") <= 200000)
        at = int(time.time()) + 500
        self.assertEqual(self.call("GETEX", "k", "EXAT", at), ("$", b"v"))
        self.assertEqual(self.call("EXPIRETIME", "k"), (":", at))
        self.assertEqual(self.call("GETEX", "k", "PXAT", at * 1000 + 7), ("$", b"v"))
        self.assertEqual(self.call("PEXPIRETIME", "k"), (":", at * 1000 + 7))

    def test_getex_persist_removes_ttl(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.call("GETEX", "k", "PERSIST"), ("$", b"v"))
        self.assertEqual(self.r.ttl("k"), -1)

    def test_getex_short_px_expires_the_key(self):
        self.r.set("k", "v")
        self.assertEqual(self.call("GETEX", "k", "PX", 5), ("$", b"v"))
        harness.wait_for(lambda: self.r.exists("k") == 0, timeout=5, what="k to expire")

    def test_getex_of_missing_key_is_null(self):
        self.assertEqual(self.call("GETEX", "missing"), ("$", None))
        self.assertEqual(self.call("GETEX", "missing", "EX", 10), ("$", None))

    def test_getex_on_missing_key_replies_null_before_checking_the_time(self):
        # Redis looks the key up first: a missing key answers nil even when
        # the expire time is invalid.
        self.assertEqual(self.call("GETEX", "missing", "EX", 0), ("$", None))
        self.assertEqual(self.call("GETEX", "missing", "EX", "abc"), ("$", None))

    def test_getex_invalid_times_on_existing_key(self):
        self.r.set("k", "v")
        self.assertError(("GETEX", "k", "EX", "0"), bad_expire("getex"))
        self.assertError(("GETEX", "k", "PX", "-5"), bad_expire("getex"))
        self.assertError(("GETEX", "k", "PX", str(INT64_MAX)), bad_expire("getex"))
        self.assertError(("GETEX", "k", "EX", "abc"), NOT_INT)
        self.assertEqual(self.r.ttl("k"), -1)

    def test_getex_syntax_errors(self):
        self.r.set("k", "v")
        self.assertError(("GETEX", "k", "PERSIST", "EX", "10"), SYNTAX)
        self.assertError(("GETEX", "k", "EX", "10", "PX", "10"), SYNTAX)
        self.assertError(("GETEX", "k", "FOO"), SYNTAX)
        self.assertError(("GETEX", "k", "EX"), SYNTAX)


class MultiKeyTest(StringsTestCase):
    def test_mset_then_mget(self):
        self.assertEqual(self.call("MSET", "a", "1", "b", "2", "c", "3"), ("+", "OK"))
        self.assertEqual(self.r.mget("a", "b", "missing", "c"), ["1", "2", None, "3"])

    def test_mget_reply_shape_with_missing_keys(self):
        self.r.set("a", "1")
        self.assertEqual(self.call("MGET", "missing", "a"), ("*", [("$", None), ("$", b"1")]))

    def test_mset_later_pair_wins_and_ttl_is_cleared(self):
        self.r.set("a", "old", ex=100)
        self.assertEqual(self.call("MSET", "a", "1", "a", "2"), ("+", "OK"))
        self.assertEqual(self.r.get("a"), "2")
        self.assertEqual(self.r.ttl("a"), -1)

    def test_msetnx_sets_all_or_nothing(self):
        self.assertEqual(self.call("MSETNX", "a", "1", "b", "2"), (":", 1))
        self.assertEqual(self.call("MSETNX", "b", "x", "c", "3"), (":", 0))
        self.assertEqual(self.r.mget("a", "b", "c"), ["1", "2", None])

    def test_multi_key_wrong_arity(self):
        self.assertError(("MGET",), arity("mget"))
        self.assertError(("MSET",), arity("mset"))
        self.assertError(("MSET", "a"), arity("mset"))
        self.assertError(("MSET", "a", "1", "b"), arity("mset"))
        self.assertError(("MSETNX", "a"), arity("msetnx"))
        self.assertError(("MSETNX", "a", "1", "b"), arity("msetnx"))
        self.assertEqual(self.r.exists("a", "b"), 0)


class CounterTest(StringsTestCase):
    def test_incr_and_decr_on_missing_key_start_at_zero(self):
        self.assertEqual(self.call("INCR", "a"), (":", 1))
        self.assertEqual(self.call("DECR", "b"), (":", -1))
        self.assertEqual(self.call("INCRBY", "c", 10), (":", 10))
        self.assertEqual(self.call("DECRBY", "d", 10), (":", -10))

    def test_incr_family_on_existing_value(self):
        self.r.set("n", "10")
        self.assertEqual(self.r.incr("n"), 11)
        self.assertEqual(self.r.decr("n"), 10)
        self.assertEqual(self.r.incrby("n", -25), -15)
        self.assertEqual(self.r.decrby("n", -20), 5)
        self.assertEqual(self.r.get("n"), "5")

    def test_incr_keeps_the_ttl(self):
        self.r.set("n", "1", ex=100)
        self.assertEqual(self.r.incr("n"), 2)
        self.assertTtl("n", 100)

    def test_incr_on_non_integer_values_fails(self):
        for value in ("abc", "1.5", " 1", "1 ", "01", "", "+1", "99999999999999999999"):
            self.r.set("n", value)
            self.assertError(("INCR", "n"), NOT_INT)
            self.assertEqual(self.r.get("n"), value)

    def test_non_integer_increment_fails(self):
        self.assertError(("INCRBY", "n", "abc"), NOT_INT)
        self.assertError(("DECRBY", "n", "1.0"), NOT_INT)
        self.assertError(("INCRBY", "n", "9223372036854775808"), NOT_INT)
        self.assertEqual(self.r.exists("n"), 0)

    def test_overflow_is_refused(self):
        self.r.set("n", str(INT64_MAX))
        self.assertError(("INCR", "n"), OVERFLOW)
        self.assertError(("INCRBY", "n", 1), OVERFLOW)
        self.assertError(("DECRBY", "n", -1), OVERFLOW)
        self.assertEqual(self.r.get("n"), str(INT64_MAX))
        self.r.set("n", str(INT64_MIN))
        self.assertError(("DECR", "n"), OVERFLOW)
        self.assertError(("INCRBY", "n", -1), OVERFLOW)
        self.assertEqual(self.r.get("n"), str(INT64_MIN))

    def test_decrby_of_int64_min_is_refused(self):
        self.assertError(("DECRBY", "n", str(INT64_MIN)), "ERR decrement would overflow")

    def test_extreme_values_are_reachable(self):
        self.r.set("n", str(INT64_MAX - 1))
        self.assertEqual(self.call("INCR", "n"), (":", INT64_MAX))
        self.assertEqual(self.call("INCRBY", "m", str(INT64_MIN)), (":", INT64_MIN))

    def test_counter_wrong_arity(self):
        self.assertError(("INCR",), arity("incr"))
        self.assertError(("DECR", "a", "b"), arity("decr"))
        self.assertError(("INCRBY", "a"), arity("incrby"))
        self.assertError(("DECRBY", "a"), arity("decrby"))
        self.assertError(("INCRBYFLOAT", "a"), arity("incrbyfloat"))


class IncrByFloatTest(StringsTestCase):
    def test_incrbyfloat_adds_and_formats_like_redis(self):
        self.r.set("f", "10.50")
        self.assertEqual(self.call("INCRBYFLOAT", "f", "0.1"), ("$", b"10.6"))
        self.assertEqual(self.r.get("f"), "10.6")

    def test_incrbyfloat_on_missing_key_and_exponent(self):
        self.assertEqual(self.call("INCRBYFLOAT", "f", "3.0e3"), ("$", b"3000"))

    def test_incrbyfloat_result_has_no_trailing_zeros(self):
        self.r.set("f", "5")
        self.assertEqual(self.call("INCRBYFLOAT", "f", "-5"), ("$", b"0"))
        self.assertEqual(self.call("INCRBYFLOAT", "f", "1.5"), ("$", b"1.5"))
        self.assertEqual(self.call("INCRBYFLOAT", "f", "1e-3"), ("$", b"1.501"))

    def test_incrbyfloat_result_is_not_an_integer_for_incr(self):
        self.r.set("f", "1")
        self.r.incrbyfloat("f", 0.5)
        self.assertError(("INCR", "f"), NOT_INT)

    def test_incrbyfloat_keeps_the_ttl(self):
        self.r.set("f", "1", ex=100)
        self.assertEqual(self.r.incrbyfloat("f", 1), 2.0)
        self.assertTtl("f", 100)

    def test_incrbyfloat_invalid_input(self):
        self.assertError(("INCRBYFLOAT", "f", "abc"), NOT_FLOAT)
        self.r.set("f", "abc")
        self.assertError(("INCRBYFLOAT", "f", "1"), NOT_FLOAT)
        self.r.set("g", "1")
        self.assertError(("INCRBYFLOAT", "g", "inf"), "ERR increment would produce NaN or Infinity")
        self.assertEqual(self.r.get("g"), "1")


class AppendRangeTest(StringsTestCase):
    def test_append_creates_and_extends(self):
        self.assertEqual(self.call("APPEND", "k", "hello"), (":", 5))
        self.assertEqual(self.call("APPEND", "k", " world"), (":", 11))
        self.assertEqual(self.r.get("k"), "hello world")

    def test_append_keeps_the_ttl(self):
        self.r.set("k", "a", ex=100)
        self.r.append("k", "b")
        self.assertTtl("k", 100)

    def test_append_and_strlen_wrong_arity(self):
        self.assertError(("APPEND", "k"), arity("append"))
        self.assertError(("STRLEN",), arity("strlen"))
        self.assertError(("STRLEN", "a", "b"), arity("strlen"))

    def test_strlen(self):
        self.r.set("k", "hello")
        self.assertEqual(self.call("STRLEN", "k"), (":", 5))
        self.assertEqual(self.call("STRLEN", "missing"), (":", 0))
        self.r.set("n", "12345")
        self.assertEqual(self.call("STRLEN", "n"), (":", 5))

    def test_getrange_with_positive_and_negative_offsets(self):
        self.r.set("k", "This is a string")
        self.assertEqual(self.r.getrange("k", 0, 3), "This")
        self.assertEqual(self.r.getrange("k", -3, -1), "ing")
        self.assertEqual(self.r.getrange("k", 0, -1), "This is a string")
        self.assertEqual(self.r.getrange("k", 10, 100), "string")
        self.assertEqual(self.r.getrange("k", -100, 3), "This")

    def test_getrange_empty_results(self):
        self.r.set("k", "hello")
        self.assertEqual(self.call("GETRANGE", "k", 3, 1), ("$", b""))
        self.assertEqual(self.call("GETRANGE", "k", 10, 20), ("$", b""))
        self.assertEqual(self.call("GETRANGE", "missing", 0, -1), ("$", b""))

    def test_getrange_errors(self):
        self.r.set("k", "hello")
        self.assertError(("GETRANGE", "k", "a", "b"), NOT_INT)
        self.assertError(("GETRANGE", "k", "0"), arity("getrange"))

    def test_setrange_overwrites_and_pads_with_zero_bytes(self):
        self.r.set("k", "Hello World")
        self.assertEqual(self.call("SETRANGE", "k", 6, "Redis"), (":", 11))
        self.assertEqual(self.r.get("k"), "Hello Redis")
        self.assertEqual(self.call("SETRANGE", "p", 3, "ab"), (":", 5))
        self.assertEqual(self.rb.get("p"), b"\x00\x00\x00ab")

    def test_setrange_with_empty_value(self):
        self.assertEqual(self.call("SETRANGE", "missing", 0, ""), (":", 0))
        self.assertEqual(self.r.exists("missing"), 0)
        self.r.set("k", "abc")
        self.assertEqual(self.call("SETRANGE", "k", 10, ""), (":", 3))
        self.assertEqual(self.r.get("k"), "abc")

    def test_setrange_errors(self):
        self.assertError(("SETRANGE", "k", "-1", "x"), "ERR offset is out of range")
        self.assertError(("SETRANGE", "k", "536870912", "x"),
                         "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        self.assertError(("SETRANGE", "k", "abc", "x"), NOT_INT)
        self.assertError(("SETRANGE", "k", "1"), arity("setrange"))
        self.assertEqual(self.r.exists("k"), 0)


class BitTest(StringsTestCase):
    def test_setbit_returns_old_bit_and_grows_the_string(self):
        self.assertEqual(self.call("SETBIT", "b", 7, 1), (":", 0))
        self.assertEqual(self.call("SETBIT", "b", 7, 1), (":", 1))
        self.assertEqual(self.rb.get("b"), b"\x01")
        self.assertEqual(self.call("SETBIT", "b", 23, 1), (":", 0))
        self.assertEqual(self.rb.get("b"), b"\x01\x00\x01")
        self.assertEqual(self.call("SETBIT", "b", 7, 0), (":", 1))
        self.assertEqual(self.rb.get("b"), b"\x00\x00\x01")

    def test_getbit(self):
        self.rb.set("b", b"\x80\x01")
        self.assertEqual(self.call("GETBIT", "b", 0), (":", 1))
        self.assertEqual(self.call("GETBIT", "b", 1), (":", 0))
        self.assertEqual(self.call("GETBIT", "b", 15), (":", 1))
        self.assertEqual(self.call("GETBIT", "b", 1000), (":", 0))
        self.assertEqual(self.call("GETBIT", "missing", 3), (":", 0))

    def test_bit_argument_errors(self):
        self.assertError(("SETBIT", "b", "0", "2"), "ERR bit is not an integer or out of range")
        self.assertError(("SETBIT", "b", "0", "a"), "ERR bit is not an integer or out of range")
        offset_err = "ERR bit offset is not an integer or out of range"
        self.assertError(("SETBIT", "b", "-1", "1"), offset_err)
        self.assertError(("SETBIT", "b", "4294967296", "1"), offset_err)
        self.assertError(("SETBIT", "b", "abc", "1"), offset_err)
        self.assertError(("GETBIT", "b", "-1"), offset_err)
        self.assertError(("SETBIT", "b", "1"), arity("setbit"))
        self.assertError(("GETBIT", "b"), arity("getbit"))
        self.assertEqual(self.r.exists("b"), 0)

    def test_bitcount_whole_and_byte_ranges(self):
        self.r.set("k", "foobar")
        self.assertEqual(self.call("BITCOUNT", "k"), (":", 26))
        self.assertEqual(self.call("BITCOUNT", "k", 0, 0), (":", 4))
        self.assertEqual(self.call("BITCOUNT", "k", 1, 1), (":", 6))
        self.assertEqual(self.call("BITCOUNT", "k", 1, 1, "BYTE"), (":", 6))
        self.assertEqual(self.call("BITCOUNT", "k", -2, -1), (":", 7))
        self.assertEqual(self.call("BITCOUNT", "k", 4, 2), (":", 0))
        self.assertEqual(self.call("BITCOUNT", "missing"), (":", 0))

    def test_bitcount_bit_ranges(self):
        self.r.set("k", "foobar")
        self.assertEqual(self.call("BITCOUNT", "k", 5, 30, "BIT"), (":", 17))
        self.assertEqual(self.call("BITCOUNT", "k", 0, -1, "bit"), (":", 26))

    def test_bitcount_errors(self):
        self.r.set("k", "foobar")
        self.assertError(("BITCOUNT", "k", "0"), SYNTAX)
        self.assertError(("BITCOUNT", "k", "0", "1", "FOO"), SYNTAX)
        self.assertError(("BITCOUNT", "k", "a", "b"), NOT_INT)
        self.assertError(("BITCOUNT",), arity("bitcount"))

    def test_bitpos_finds_first_set_and_clear_bits(self):
        self.rb.set("k", b"\xff\xf0\x00")
        self.assertEqual(self.call("BITPOS", "k", 0), (":", 12))
        self.rb.set("k", b"\x00\xff\xf0")
        self.assertEqual(self.call("BITPOS", "k", 1, 0), (":", 8))
        self.assertEqual(self.call("BITPOS", "k", 1, 2), (":", 16))
        self.assertEqual(self.call("BITPOS", "k", 1, 2, -1, "BYTE"), (":", 16))
        self.assertEqual(self.call("BITPOS", "k", 1, 7, 15, "BIT"), (":", 8))
        self.rb.set("k", b"\x00\x00\x00")
        self.assertEqual(self.call("BITPOS", "k", 1), (":", -1))

    def test_bitpos_clear_bit_past_the_end(self):
        self.rb.set("k", b"\xff\xff")
        # Without an explicit end the string is treated as padded with zeros.
        self.assertEqual(self.call("BITPOS", "k", 0), (":", 16))
        self.assertEqual(self.call("BITPOS", "k", 0, 0), (":", 16))
        self.assertEqual(self.call("BITPOS", "k", 0, 0, -1), (":", -1))

    def test_bitpos_on_missing_key(self):
        self.assertEqual(self.call("BITPOS", "missing", 0), (":", 0))
        self.assertEqual(self.call("BITPOS", "missing", 1), (":", -1))

    def test_bitpos_errors(self):
        self.r.set("k", "abc")
        self.assertError(("BITPOS", "k", "2"), "ERR The bit argument must be 1 or 0.")
        self.assertError(("BITPOS", "k", "1", "a"), NOT_INT)
        self.assertError(("BITPOS", "k", "1", "0", "1", "FOO"), SYNTAX)
        self.assertError(("BITPOS", "k"), arity("bitpos"))


if __name__ == "__main__":
    unittest.main()
