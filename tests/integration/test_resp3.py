"""RESP3 reply types after HELLO 3, and their RESP2 equivalents, checked on
the wire with harness.RawConnection (client libraries hide these details).

RESP3 types produced by the implemented commands: null `_`, map `%`,
verbatim string `=`, set `~`, plus the RESP2 ones (simple string, error,
integer, bulk, array). No implemented command answers a RESP3 double:
INCRBYFLOAT replies with a bulk string in both protocols, as in Redis.
"""
import unittest

import harness


def as_dict(map_reply):
    t, v = map_reply
    assert t == "%", map_reply
    return {k[1].decode(): val for k, val in v}


class Resp3TestCase(harness.ServerTestCase):
    def setUp(self):
        self.r3 = harness.RawConnection(self.server.port)
        self.addCleanup(self.r3.close)
        self.assertEqual(self.r3.call("HELLO", "3")[0], "%")
        self.r2 = harness.RawConnection(self.server.port)
        self.addCleanup(self.r2.close)
        self.assertEqual(self.r2.call("FLUSHALL"), ("+", "OK"))

    def both(self, *args):
        """The reply to the same command on the RESP3 and the RESP2 connection."""
        return self.r3.call(*args), self.r2.call(*args)


class HandshakeTest(Resp3TestCase):
    def test_hello_3_is_a_map_and_hello_2_a_flat_array(self):
        c = harness.RawConnection(self.server.port)
        self.addCleanup(c.close)
        t, v = c.call("HELLO", "3")
        self.assertEqual(t, "%")
        fields = {k[1].decode(): val for k, val in v}
        self.assertEqual(fields["proto"], (":", 3))
        self.assertEqual(fields["server"], ("$", b"redis"))
        self.assertEqual(fields["mode"], ("$", b"standalone"))
        self.assertEqual(fields["role"], ("$", b"master"))
        self.assertEqual(fields["modules"], ("*", []))
        self.assertEqual(fields["id"][0], ":")
        t, v = c.call("HELLO", "2")
        self.assertEqual(t, "*")
        flat = dict(zip([k[1].decode() for k in v[0::2]], v[1::2]))
        self.assertEqual(flat["proto"], (":", 2))
        self.assertEqual(flat["id"], fields["id"])

    def test_reset_returns_to_resp2(self):
        self.assertEqual(self.r3.call("GET", "missing"), ("_", None))
        self.assertEqual(self.r3.call("RESET"), ("+", "RESET"))
        self.assertEqual(self.r3.call("GET", "missing"), ("$", None))
        self.assertEqual(self.r3.call("CONFIG", "GET", "maxmemory")[0], "*")

    def test_failed_hello_keeps_the_protocol(self):
        self.assertEqual(self.r3.call("HELLO", "4")[0], "-")
        self.assertEqual(self.r3.call("GET", "missing"), ("_", None))

    def test_pipelined_commands_in_resp3(self):
        self.r3.send(b"".join(harness.raw_command(*c) for c in (
            ("SET", "a", "1"), ("GET", "missing"), ("INCR", "a"), ("CONFIG", "GET", "hz"),
            ("MGET", "a", "missing"))))
        self.assertEqual(self.r3.read(), ("+", "OK"))
        self.assertEqual(self.r3.read(), ("_", None))
        self.assertEqual(self.r3.read(), (":", 2))
        self.assertEqual(self.r3.read()[0], "%")
        self.assertEqual(self.r3.read(), ("*", [("$", b"2"), ("_", None)]))


class NullTest(Resp3TestCase):
    def test_missing_key_reads_are_null(self):
        for cmd in (("GET", "missing"), ("GETDEL", "missing"), ("GETEX", "missing"),
                    ("GETEX", "missing", "PERSIST"), ("OBJECT", "ENCODING", "missing"),
                    ("RANDOMKEY",)):
            with self.subTest(cmd=cmd):
                self.assertEqual(self.both(*cmd), (("_", None), ("$", None)))

    def test_conditional_set_that_does_nothing_is_null(self):
        self.r2.call("SET", "k", "v")
        self.assertEqual(self.both("SET", "k", "x", "NX"), (("_", None), ("$", None)))
        self.assertEqual(self.both("SET", "new", "x", "XX"), (("_", None), ("$", None)))
        self.assertEqual(self.both("SET", "new", "x", "XX", "GET"), (("_", None), ("$", None)))
        self.assertEqual(self.r3.call("GETSET", "fresh3", "v"), ("_", None))
        self.assertEqual(self.r2.call("GETSET", "fresh2", "v"), ("$", None))

    def test_null_elements_inside_arrays(self):
        self.r2.call("SET", "a", "1")
        r3, r2 = self.both("MGET", "a", "missing")
        self.assertEqual(r3, ("*", [("$", b"1"), ("_", None)]))
        self.assertEqual(r2, ("*", [("$", b"1"), ("$", None)]))

    def test_client_getname_without_name_is_null(self):
        self.assertEqual(self.both("CLIENT", "GETNAME"), (("_", None), ("$", None)))

    def test_command_info_of_unknown_command_is_null(self):
        r3, r2 = self.both("COMMAND", "INFO", "nosuchcommand")
        self.assertEqual(r3, ("*", [("_", None)]))
        self.assertEqual(r2, ("*", [("$", None)]))


class MapTest(Resp3TestCase):
    def test_config_get_is_a_map(self):
        r3, r2 = self.both("CONFIG", "GET", "maxmemory")
        self.assertEqual(r3, ("%", [(("$", b"maxmemory"), ("$", b"0"))]))
        self.assertEqual(r2, ("*", [("$", b"maxmemory"), ("$", b"0")]))

    def test_config_get_with_several_matches(self):
        r3, r2 = self.both("CONFIG", "GET", "maxmemory*")
        self.assertEqual(r3[0], "%")
        fields = as_dict(r3)
        self.assertEqual(fields["maxmemory-policy"], ("$", b"noeviction"))
        self.assertEqual(r2[0], "*")
        self.assertEqual(len(r2[1]), 2 * len(r3[1]))

    def test_config_get_without_match_is_an_empty_map(self):
        self.assertEqual(self.both("CONFIG", "GET", "nosuchparameter"), (("%", []), ("*", [])))

    def test_command_docs_is_a_map_of_maps(self):
        r3, r2 = self.both("COMMAND", "DOCS", "get")
        docs = as_dict(r3)
        self.assertEqual(list(docs), ["get"])
        doc = as_dict(docs["get"])
        self.assertEqual(doc["group"], ("$", b"string"))
        self.assertEqual(doc["since"], ("$", b"1.0.0"))
        self.assertEqual(r2[0], "*")
        self.assertEqual(r2[1][0], ("$", b"get"))
        self.assertEqual(r2[1][1][0], "*")


class VerbatimTest(Resp3TestCase):
    def test_info_is_verbatim_text(self):
        r3, r2 = self.both("INFO", "server")
        self.assertEqual(r3[0], "=")
        self.assertTrue(r3[1].startswith(b"txt:# Server\r\n"), r3[1][:40])
        self.assertEqual(r2[0], "$")
        self.assertTrue(r2[1].startswith(b"# Server\r\n"), r2[1][:40])

    def test_client_list_and_info_are_verbatim_text(self):
        for sub in ("LIST", "INFO"):
            with self.subTest(sub=sub):
                r3, r2 = self.both("CLIENT", sub)
                self.assertEqual(r3[0], "=")
                self.assertTrue(r3[1].startswith(b"txt:id="), r3[1][:40])
                self.assertIn(b" resp=3", r3[1])
                self.assertEqual(r2[0], "$")
                self.assertTrue(r2[1].startswith(b"id="), r2[1][:40])

    def test_empty_verbatim_text(self):
        r3, r2 = self.both("INFO", "nosuchsection")
        self.assertEqual(r3, ("=", b"txt:"))
        self.assertEqual(r2, ("$", b""))


class SetTypeTest(Resp3TestCase):
    def test_command_info_flags_and_categories_are_sets(self):
        r3, r2 = self.both("COMMAND", "INFO", "get")
        entry3, entry2 = r3[1][0][1], r2[1][0][1]
        self.assertEqual(entry3[0], ("$", b"get"))
        self.assertEqual(entry3[2][0], "~")
        self.assertEqual({f for _, f in entry3[2][1]}, {"readonly", "fast"})
        self.assertEqual(entry3[6][0], "~")
        self.assertEqual(entry2[2][0], "*")
        self.assertEqual(entry2[6][0], "*")

    def test_command_info_tips_and_key_specs_are_sets(self):
        t, v = self.r3.call("COMMAND", "INFO", "get")
        entry = v[0][1]
        self.assertEqual(len(entry), 10)
        # name, arity, flags, first, last, step, categories, tips, key specs
        self.assertEqual([e[0] for e in entry[:9]],
                         ["$", ":", "~", ":", ":", ":", "~", "~", "~"])
        specs = entry[8][1]
        self.assertEqual(len(specs), 1)
        self.assertEqual(specs[0][0], "%")


class SameInBothProtocolsTest(Resp3TestCase):
    def test_scalar_replies_are_unchanged(self):
        self.assertEqual(self.both("SET", "k", "5"), (("+", "OK"),) * 2)
        self.assertEqual(self.both("GET", "k"), (("$", b"5"),) * 2)
        self.assertEqual(self.both("EXISTS", "k", "missing"), ((":", 1),) * 2)
        self.assertEqual(self.both("TYPE", "k"), (("+", "string"),) * 2)
        self.assertEqual(self.both("TTL", "k"), ((":", -1),) * 2)
        self.assertEqual(self.both("PING"), (("+", "PONG"),) * 2)

    def test_incrbyfloat_is_a_bulk_string_not_a_double(self):
        r3 = self.r3.call("INCRBYFLOAT", "f", "1.5")
        r2 = self.r2.call("INCRBYFLOAT", "f", "1.5")
        self.assertEqual(r3, ("$", b"1.5"))
        self.assertEqual(r2, ("$", b"3"))

    def test_errors_are_unchanged(self):
        self.r2.call("SET", "s", "abc")
        self.assertEqual(self.both("INCR", "s"),
                         (("-", "ERR value is not an integer or out of range"),) * 2)
        self.assertEqual(self.both("GET"),
                         (("-", "ERR wrong number of arguments for 'get' command"),) * 2)

    def test_arrays_are_unchanged(self):
        self.r2.call("MSET", "a", "1", "b", "2")
        r3, r2 = self.both("SCAN", "0", "COUNT", "100")
        self.assertEqual(r3[0], "*")
        self.assertEqual(r3[1][0], ("$", b"0"))
        self.assertEqual(sorted(k for _, k in r3[1][1][1]), [b"a", b"b"])
        self.assertEqual(r2[1][0], ("$", b"0"))
        r3, r2 = self.both("KEYS", "*")
        self.assertEqual(sorted(r3[1]), sorted(r2[1]))
        self.assertEqual(r3[0], "*")
        r3, r2 = self.both("TIME")
        self.assertEqual([e[0] for e in r3[1]], ["$", "$"])
        self.assertEqual([e[0] for e in r2[1]], ["$", "$"])
        self.assertEqual(self.both("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"),
                         (("*", [("$", b"a"), ("$", b"b")]),) * 2)


if __name__ == "__main__":
    unittest.main()
