"""Connection and server commands over a real socket: PING ECHO HELLO AUTH
(with and without requirepass) SELECT QUIT RESET CLIENT COMMAND INFO CONFIG
DBSIZE FLUSHDB FLUSHALL TIME SHUTDOWN.

Replies and error strings are Redis 7's. shoal runs as a (one-node) cluster,
so SELECT of a database other than 0 answers Redis Cluster's error.
"""
import time
import unittest

import harness

NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
# Redis 7.0 and 7.2+ word the end of this message slightly differently.
HELLO_NOAUTH = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the "
    "RESP protocol version at the same time",
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
    "select the RESP protocol version at the same time",
)


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def config_set_failed(param):
    """The prefix of Redis 7's CONFIG SET error for a bad value (the reason varies)."""
    return f"ERR CONFIG SET failed (possibly related to argument '{param}') - "


def pairs(reply):
    """A RESP2 flat map or a RESP3 map (RawConnection form) as a python dict of decoded values."""
    t, v = reply
    if t == "%":
        items = [(k, val) for k, val in v]
    else:
        assert t == "*", reply
        items = list(zip(v[0::2], v[1::2]))

    def plain(x):
        xt, xv = x
        if isinstance(xv, bytes):
            return xv.decode()
        if isinstance(xv, list) and xt in "*~":
            return [plain(e) for e in xv]
        return xv
    return {plain(k): plain(val) for k, val in items}


def text(reply):
    """Bulk or verbatim string text (the verbatim 'txt:' prefix removed)."""
    t, v = reply
    assert t in "$=", reply
    v = v.decode()
    return v[4:] if t == "=" else v


def info_fields(info_text):
    fields = {}
    for line in info_text.split("\r\n"):
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


class ServerTestCase(harness.ServerTestCase):
    """One shoal-server per class. Each test gets a fresh raw connection, so
    protocol, name or auth changes never leak into the next test."""
    server_args = ()

    def setUp(self):
        self.conns = []
        self.raw = self.connect()

    def tearDown(self):
        for c in self.conns:
            c.close()

    def connect(self):
        c = harness.RawConnection(self.server.port)
        self.conns.append(c)
        return c

    def call(self, *args):
        return self.raw.call(*args)

    def assertError(self, args, message, conn=None):
        self.assertEqual((conn or self.raw).call(*args), ("-", message), f"command {args!r}")

    def assertErrorStartsWith(self, args, prefix):
        t, v = self.call(*args)
        self.assertEqual(t, "-", f"command {args!r} answered {v!r}")
        self.assertTrue(v.startswith(prefix), f"command {args!r}: {v!r} does not start with {prefix!r}")


class PingEchoTest(ServerTestCase):
    def test_ping(self):
        self.assertEqual(self.call("PING"), ("+", "PONG"))
        self.assertEqual(self.call("PING", "hello"), ("$", b"hello"))
        self.assertEqual(self.call("PING", ""), ("$", b""))
        self.assertError(("PING", "a", "b"), arity("ping"))

    def test_echo(self):
        self.assertEqual(self.call("ECHO", "hello world"), ("$", b"hello world"))
        self.assertEqual(self.call("ECHO", b"\x00\xff"), ("$", b"\x00\xff"))
        self.assertError(("ECHO",), arity("echo"))
        self.assertError(("ECHO", "a", "b"), arity("echo"))

    def test_inline_commands(self):
        self.raw.send(b"PING\r\n")
        self.assertEqual(self.raw.read(), ("+", "PONG"))
        self.raw.send(b"ECHO hi\r\n")
        self.assertEqual(self.raw.read(), ("$", b"hi"))

    def test_unknown_command(self):
        self.assertError(("FOO", "a", "b"),
                         "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ")
        self.assertError(("nosuchcommand",),
                         "ERR unknown command 'nosuchcommand', with args beginning with: ")

    def test_redis_py_ping_and_echo(self):
        r = self.server.client(decode_responses=True)
        try:
            self.assertTrue(r.ping())
            self.assertEqual(r.echo("x y"), "x y")
        finally:
            r.close()


class HelloTest(ServerTestCase):
    def check_hello(self, fields, proto):
        self.assertEqual(fields["server"], "redis")
        self.assertTrue(fields["version"].startswith("7."), fields["version"])
        self.assertEqual(fields["proto"], proto)
        self.assertEqual(fields["id"], self.call("CLIENT", "ID")[1])
        self.assertEqual(fields["mode"], "standalone")
        self.assertEqual(fields["role"], "master")
        self.assertEqual(fields["modules"], [])

    def test_hello_without_arguments_answers_resp2_handshake(self):
        reply = self.call("HELLO")
        self.assertEqual(reply[0], "*")
        self.check_hello(pairs(reply), 2)

    def test_hello_3_switches_to_resp3_and_answers_a_map(self):
        reply = self.call("HELLO", "3")
        self.assertEqual(reply[0], "%")
        self.check_hello(pairs(reply), 3)
        self.assertEqual(self.call("GET", "missing"), ("_", None))

    def test_hello_2_switches_back(self):
        self.call("HELLO", "3")
        reply = self.call("HELLO", "2")
        self.assertEqual(reply[0], "*")
        self.assertEqual(pairs(reply)["proto"], 2)
        self.assertEqual(self.call("GET", "missing"), ("$", None))

    def test_hello_setname(self):
        pairs(self.call("HELLO", "3", "SETNAME", "myconn"))
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", b"myconn"))
        self.assertError(("HELLO", "3", "SETNAME", "a b"),
                         "ERR Client names cannot contain spaces, newlines or special characters.")

    def test_hello_auth_default_user_without_requirepass_is_accepted(self):
        # With no requirepass the default user is "nopass": any password works.
        reply = self.call("HELLO", "3", "AUTH", "default", "anything")
        self.assertEqual(reply[0], "%")
        self.assertEqual(pairs(reply)["proto"], 3)

    def test_hello_rejects_unsupported_versions(self):
        for v in ("1", "4", "-1"):
            self.assertError(("HELLO", v), "NOPROTO unsupported protocol version")
        self.assertError(("HELLO", "abc"), "ERR Protocol version is not an integer or out of range")
        self.assertError(("HELLO", "3.0"), "ERR Protocol version is not an integer or out of range")
        self.assertEqual(self.call("GET", "missing"), ("$", None))  # still RESP2

    def test_hello_option_syntax_errors(self):
        self.assertError(("HELLO", "3", "FOO"), "ERR Syntax error in HELLO option 'FOO'")
        self.assertError(("HELLO", "2", "SETNAME"), "ERR Syntax error in HELLO option 'SETNAME'")
        self.assertError(("HELLO", "2", "AUTH", "default"), "ERR Syntax error in HELLO option 'AUTH'")
        self.assertEqual(self.call("GET", "missing"), ("$", None))


class ConnectionStateTest(ServerTestCase):
    def test_auth_without_requirepass(self):
        self.assertError(("AUTH", "secret"),
                         "ERR AUTH <password> called without any password configured for the "
                         "default user. Are you sure your configuration is correct?")
        self.assertEqual(self.call("AUTH", "default", "whatever"), ("+", "OK"))
        self.assertError(("AUTH", "a", "b", "c"), SYNTAX)
        self.assertError(("AUTH",), arity("auth"))

    def test_select(self):
        self.assertEqual(self.call("SELECT", "0"), ("+", "OK"))
        self.assertError(("SELECT", "1"), "ERR SELECT is not allowed in cluster mode")
        self.assertError(("SELECT", "15"), "ERR SELECT is not allowed in cluster mode")
        self.assertError(("SELECT", "abc"), NOT_INT)
        self.assertError(("SELECT",), arity("select"))
        self.assertEqual(self.call("PING"), ("+", "PONG"))

    def test_quit_replies_ok_and_closes(self):
        self.assertEqual(self.call("QUIT"), ("+", "OK"))
        self.assertTrue(self.raw.closed_by_server())

    def test_quit_after_pipelined_commands_answers_them_all(self):
        self.raw.send(harness.raw_command("SET", "q", "1") + harness.raw_command("INCR", "q") +
                      harness.raw_command("QUIT") + harness.raw_command("INCR", "q"))
        self.assertEqual(self.raw.read(), ("+", "OK"))
        self.assertEqual(self.raw.read(), (":", 2))
        self.assertEqual(self.raw.read(), ("+", "OK"))
        self.assertTrue(self.raw.closed_by_server())
        self.assertEqual(self.connect().call("GET", "q"), ("$", b"2"))

    def test_reset_restores_connection_defaults(self):
        self.call("HELLO", "3", "SETNAME", "before")
        self.assertEqual(self.call("RESET"), ("+", "RESET"))
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", None))
        self.assertEqual(self.call("GET", "missing"), ("$", None))
        self.assertError(("RESET", "x"), arity("reset"))

    def test_time(self):
        t, v = self.call("TIME")
        self.assertEqual(t, "*")
        self.assertEqual([e[0] for e in v], ["$", "$"])
        secs, usecs = int(v[0][1]), int(v[1][1])
        self.assertLess(abs(secs - time.time()), 5)
        self.assertTrue(0 <= usecs < 1000000)
        self.assertError(("TIME", "x"), arity("time"))


class KeyspaceAdminTest(ServerTestCase):
    def test_dbsize_flushdb_flushall(self):
        self.call("FLUSHALL")
        self.assertEqual(self.call("DBSIZE"), (":", 0))
        self.call("MSET", "a", "1", "b", "2", "c", "3")
        self.assertEqual(self.call("DBSIZE"), (":", 3))
        self.assertEqual(self.call("FLUSHDB"), ("+", "OK"))
        self.assertEqual(self.call("DBSIZE"), (":", 0))
        self.call("MSET", "a", "1", "b", "2")
        self.assertEqual(self.call("FLUSHALL", "SYNC"), ("+", "OK"))
        self.assertEqual(self.call("DBSIZE"), (":", 0))
        self.call("SET", "a", "1")
        self.assertEqual(self.call("FLUSHALL", "ASYNC"), ("+", "OK"))
        self.assertEqual(self.call("DBSIZE"), (":", 0))
        self.assertEqual(self.call("GET", "a"), ("$", None))

    def test_flush_and_dbsize_errors(self):
        self.call("SET", "keep", "1")
        self.assertError(("FLUSHALL", "FOO"), SYNTAX)
        self.assertError(("FLUSHDB", "FOO"), SYNTAX)
        self.assertError(("FLUSHALL", "SYNC", "ASYNC"), SYNTAX)
        self.assertError(("DBSIZE", "x"), arity("dbsize"))
        self.assertEqual(self.call("GET", "keep"), ("$", b"1"))

    def test_redis_py_flushall_and_dbsize(self):
        r = self.server.client()
        try:
            r.flushall()
            r.mset({"x": 1, "y": 2})
            self.assertEqual(r.dbsize(), 2)
            self.assertTrue(r.flushall())
            self.assertEqual(r.dbsize(), 0)
        finally:
            r.close()


class RequirePassTest(ServerTestCase):
    server_args = ("--requirepass", "s3cret")

    def test_commands_need_authentication(self):
        self.assertError(("GET", "k"), NOAUTH)
        self.assertError(("PING",), NOAUTH)
        self.assertError(("CLIENT", "ID"), NOAUTH)
        self.assertIn(self.call("HELLO", "3"), [("-", m) for m in HELLO_NOAUTH])
        self.assertIn(self.call("HELLO"), [("-", m) for m in HELLO_NOAUTH])

    def test_quit_works_without_authentication(self):
        self.assertEqual(self.call("QUIT"), ("+", "OK"))
        self.assertTrue(self.raw.closed_by_server())

    def test_wrong_passwords_are_rejected(self):
        self.assertError(("AUTH", "wrong"), WRONGPASS)
        self.assertError(("AUTH", "default", "wrong"), WRONGPASS)
        self.assertError(("AUTH", "bob", "s3cret"), WRONGPASS)
        self.assertError(("GET", "k"), NOAUTH)

    def test_auth_with_password_or_default_user(self):
        self.assertEqual(self.call("AUTH", "s3cret"), ("+", "OK"))
        self.assertEqual(self.call("GET", "k"), ("$", None))
        other = self.connect()
        self.assertEqual(other.call("AUTH", "default", "s3cret"), ("+", "OK"))
        self.assertEqual(other.call("PING"), ("+", "PONG"))

    def test_reset_forgets_authentication(self):
        self.assertEqual(self.call("AUTH", "s3cret"), ("+", "OK"))
        self.assertEqual(self.call("RESET"), ("+", "RESET"))
        self.assertError(("GET", "k"), NOAUTH)

    def test_hello_with_auth(self):
        self.assertError(("HELLO", "3", "AUTH", "default", "wrong"), WRONGPASS)
        self.assertError(("GET", "k"), NOAUTH)
        reply = self.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "me")
        self.assertEqual(reply[0], "%")
        self.assertEqual(pairs(reply)["proto"], 3)
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", b"me"))
        self.assertEqual(self.call("GET", "k"), ("_", None))

    def test_redis_py_with_password(self):
        r = self.server.client(password="s3cret", decode_responses=True)
        try:
            self.assertTrue(r.set("k", "v"))
            self.assertEqual(r.get("k"), "v")
        finally:
            r.close()
        bad = self.server.client(password="nope")
        try:
            with self.assertRaises(Exception) as cm:
                bad.ping()
            self.assertIn("invalid username-password pair", str(cm.exception))
        finally:
            bad.close()


class ClientCommandTest(ServerTestCase):
    def client_id(self, conn):
        t, v = conn.call("CLIENT", "ID")
        self.assertEqual(t, ":")
        return v

    def test_client_id_is_unique_and_increasing(self):
        a = self.client_id(self.raw)
        b = self.client_id(self.connect())
        self.assertGreater(a, 0)
        self.assertGreater(b, a)
        self.assertEqual(self.client_id(self.raw), a)

    def test_setname_and_getname(self):
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", None))
        self.assertEqual(self.call("CLIENT", "SETNAME", "worker-1"), ("+", "OK"))
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", b"worker-1"))
        self.assertEqual(self.call("CLIENT", "SETNAME", ""), ("+", "OK"))
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", None))

    def test_setname_rejects_spaces_and_special_characters(self):
        msg = "ERR Client names cannot contain spaces, newlines or special characters."
        for bad in ("a b", "a\nb", "a\x01b"):
            self.assertError(("CLIENT", "SETNAME", bad), msg)
        self.assertEqual(self.call("CLIENT", "GETNAME"), ("$", None))

    def test_client_list_shows_every_connection(self):
        other = self.connect()
        other.call("CLIENT", "SETNAME", "other-conn")
        my_id, other_id = self.client_id(self.raw), self.client_id(other)
        reply = self.call("CLIENT", "LIST")
        self.assertEqual(reply[0], "$")
        lines = text(reply).split("\n")
        self.assertEqual(lines[-1], "")
        by_id = {}
        for line in lines[:-1]:
            fields = dict(f.split("=", 1) for f in line.split(" "))
            by_id[int(fields["id"])] = fields
        self.assertIn(my_id, by_id)
        self.assertIn(other_id, by_id)
        self.assertEqual(by_id[other_id]["name"], "other-conn")
        self.assertEqual(by_id[my_id]["name"], "")
        self.assertTrue(by_id[my_id]["addr"].startswith("127.0.0.1:"))
        self.assertEqual(by_id[my_id]["laddr"], f"127.0.0.1:{self.server.port}")
        self.assertEqual(by_id[my_id]["db"], "0")
        self.assertEqual(by_id[my_id]["cmd"], "client|list")
        self.assertEqual(by_id[other_id]["cmd"], "client|id")

    def test_client_list_filters(self):
        other = self.connect()
        other_id = self.client_id(other)
        lines = text(self.call("CLIENT", "LIST", "ID", other_id)).splitlines()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith(f"id={other_id} "))
        self.assertEqual(self.call("CLIENT", "LIST", "ID", "999999"), ("$", b""))
        normal = text(self.call("CLIENT", "LIST", "TYPE", "normal")).splitlines()
        self.assertGreaterEqual(len(normal), 2)
        self.assertEqual(self.call("CLIENT", "LIST", "TYPE", "pubsub"), ("$", b""))

    def test_client_list_errors(self):
        self.assertError(("CLIENT", "LIST", "ID", "abc"), "ERR Invalid client ID")
        self.assertError(("CLIENT", "LIST", "TYPE", "foo"), "ERR Unknown client type 'foo'")
        self.assertError(("CLIENT", "LIST", "FOO"), SYNTAX)

    def test_client_info_describes_this_connection(self):
        self.call("CLIENT", "SETNAME", "me")
        info = text(self.call("CLIENT", "INFO"))
        self.assertTrue(info.endswith("\n"))
        self.assertEqual(info.count("\n"), 1)
        fields = dict(f.split("=", 1) for f in info.strip().split(" "))
        self.assertEqual(int(fields["id"]), self.client_id(self.raw))
        self.assertEqual(fields["name"], "me")
        self.assertEqual(fields["resp"], "2")
        self.assertEqual(fields["user"], "default")
        self.assertEqual(fields["cmd"], "client|info")

    def test_client_setinfo_lib_name_and_version(self):
        self.assertEqual(self.call("CLIENT", "SETINFO", "LIB-NAME", "mylib"), ("+", "OK"))
        self.assertEqual(self.call("CLIENT", "SETINFO", "lib-ver", "1.2.3"), ("+", "OK"))
        fields = dict(f.split("=", 1) for f in text(self.call("CLIENT", "INFO")).strip().split(" "))
        self.assertEqual(fields["lib-name"], "mylib")
        self.assertEqual(fields["lib-ver"], "1.2.3")
        self.assertError(("CLIENT", "SETINFO", "LIB-NAME", "my lib"),
                         "ERR LIB-NAME cannot contain spaces, newlines or special characters.")
        self.assertError(("CLIENT", "SETINFO", "foo", "bar"), "ERR Unrecognized option 'foo'")

    def test_client_kill_by_id(self):
        victim = self.connect()
        victim_id = self.client_id(victim)
        self.assertEqual(self.call("CLIENT", "KILL", "ID", victim_id), (":", 1))
        self.assertTrue(victim.closed_by_server())
        self.assertEqual(self.call("CLIENT", "KILL", "ID", victim_id), (":", 0))

    def test_client_kill_by_address_old_form(self):
        victim = self.connect()
        victim_id = self.client_id(victim)
        line = text(self.call("CLIENT", "LIST", "ID", victim_id))
        addr = dict(f.split("=", 1) for f in line.strip().split(" "))["addr"]
        self.assertEqual(self.call("CLIENT", "KILL", addr), ("+", "OK"))
        self.assertTrue(victim.closed_by_server())
        self.assertError(("CLIENT", "KILL", addr), "ERR No such client")
        self.assertError(("CLIENT", "KILL", "1.2.3.4:5"), "ERR No such client")

    def test_client_kill_skips_the_caller_unless_told(self):
        my_id = self.client_id(self.raw)
        self.assertEqual(self.call("CLIENT", "KILL", "ID", my_id), (":", 0))
        self.assertEqual(self.call("CLIENT", "KILL", "ID", my_id, "SKIPME", "yes"), (":", 0))
        self.assertEqual(self.call("PING"), ("+", "PONG"))
        self.assertEqual(self.call("CLIENT", "KILL", "ID", my_id, "SKIPME", "no"), (":", 1))
        self.assertTrue(self.raw.closed_by_server())

    def test_client_kill_filters_that_match_nobody(self):
        self.assertEqual(self.call("CLIENT", "KILL", "TYPE", "pubsub"), (":", 0))
        self.assertEqual(self.call("CLIENT", "KILL", "LADDR", "127.0.0.1:1"), (":", 0))
        self.assertEqual(self.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5"), (":", 0))

    def test_client_kill_errors(self):
        self.assertError(("CLIENT", "KILL", "ID", "0"), "ERR client-id should be greater than 0")
        self.assertError(("CLIENT", "KILL", "ID", "abc"), "ERR client-id should be greater than 0")
        self.assertError(("CLIENT", "KILL", "TYPE", "foo"), "ERR Unknown client type 'foo'")
        self.assertError(("CLIENT", "KILL", "FOO", "bar"), SYNTAX)
        self.assertError(("CLIENT", "KILL", "ID", "1", "SKIPME"), SYNTAX)
        self.assertError(("CLIENT", "KILL", "SKIPME", "maybe"), SYNTAX)
        self.assertError(("CLIENT", "KILL", "USER", "nobody"), "ERR No such user 'nobody'")
        self.assertError(("CLIENT", "KILL"), arity("client|kill"))

    def test_client_no_evict(self):
        self.assertEqual(self.call("CLIENT", "NO-EVICT", "on"), ("+", "OK"))
        self.assertEqual(self.call("CLIENT", "NO-EVICT", "OFF"), ("+", "OK"))
        self.assertError(("CLIENT", "NO-EVICT", "maybe"), SYNTAX)
        self.assertError(("CLIENT", "NO-EVICT"), arity("client|no-evict"))

    def test_client_help(self):
        t, lines = self.call("CLIENT", "HELP")
        self.assertEqual(t, "*")
        self.assertTrue(all(lt == "+" for lt, _ in lines))
        body = [v for _, v in lines]
        self.assertTrue(body[0].startswith("CLIENT <subcommand>"))
        for sub in ("GETNAME", "ID", "INFO", "KILL", "LIST", "SETNAME", "HELP"):
            self.assertTrue(any(l.startswith(sub) for l in body), sub)

    def test_client_subcommand_errors(self):
        self.assertError(("CLIENT",), arity("client"))
        self.assertError(("CLIENT", "FOO"), "ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
        self.assertError(("CLIENT", "ID", "x"), arity("client|id"))
        self.assertError(("CLIENT", "GETNAME", "x"), arity("client|getname"))
        self.assertError(("CLIENT", "SETNAME"), arity("client|setname"))
        self.assertError(("CLIENT", "INFO", "x"), arity("client|info"))

    def test_redis_py_client_commands(self):
        r = self.server.client(decode_responses=True)
        try:
            self.assertTrue(r.client_setname("pyconn"))
            self.assertEqual(r.client_getname(), "pyconn")
            my_id = r.client_id()
            names = {c["id"]: c["name"] for c in r.client_list()}
            self.assertEqual(names[str(my_id)], "pyconn")
            self.assertEqual(r.client_info()["name"], "pyconn")
        finally:
            r.close()


class CommandCommandTest(ServerTestCase):
    IMPLEMENTED = (
        "ping echo hello auth select quit reset client command info config dbsize flushdb "
        "flushall time shutdown get set setnx setex psetex getset getdel getex mget mset msetnx "
        "incr decr incrby decrby incrbyfloat append strlen getrange setrange setbit getbit "
        "bitcount bitpos del unlink exists type expire pexpire expireat pexpireat ttl pttl "
        "expiretime pexpiretime persist rename renamenx copy keys scan randomkey touch object"
    ).split()

    def names(self, reply):
        t, v = reply
        self.assertEqual(t, "*")
        return [n.decode() for _, n in v]

    def command_info(self, name):
        t, v = self.call("COMMAND", "INFO", name)
        self.assertEqual(t, "*")
        self.assertEqual(len(v), 1)
        et, entry = v[0]
        self.assertEqual(et, "*")
        self.assertEqual(len(entry), 10)
        return entry

    def test_count_list_and_full_reply_agree(self):
        t, count = self.call("COMMAND", "COUNT")
        self.assertEqual(t, ":")
        names = self.names(self.call("COMMAND", "LIST"))
        self.assertEqual(len(set(names)), len(names))
        # COMMAND LIST names subcommands too ("config|get"); COUNT does not.
        self.assertEqual(len([n for n in names if "|" not in n]), count)
        t, everything = self.call("COMMAND")
        self.assertEqual(len(everything), count)
        self.assertEqual(len(self.call("COMMAND", "INFO")[1]), count)

    def test_every_implemented_command_is_listed(self):
        names = set(self.names(self.call("COMMAND", "LIST")))
        for name in self.IMPLEMENTED:
            self.assertIn(name, names)

    def test_command_list_includes_subcommands(self):
        names = set(self.names(self.call("COMMAND", "LIST")))
        for name in ("config|get", "config|set", "client|list", "client|kill", "object|encoding",
                     "command|docs"):
            self.assertIn(name, names)

    def test_command_list_filterby_pattern(self):
        names = self.names(self.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "get*"))
        self.assertTrue(all(n.startswith("get") for n in names), names)
        for n in ("get", "getrange", "getset", "getdel", "getex", "getbit"):
            self.assertIn(n, names)
        self.assertError(("COMMAND", "LIST", "FILTERBY", "FOO", "bar"), SYNTAX)
        self.assertError(("COMMAND", "LIST", "FOO"), SYNTAX)

    def test_command_list_filterby_aclcat(self):
        names = self.names(self.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "keyspace"))
        for n in ("del", "expire", "rename", "scan"):
            self.assertIn(n, names)
        self.assertNotIn("get", names)

    def test_command_info_fields(self):
        get = self.command_info("get")
        self.assertEqual(get[0], ("$", b"get"))
        self.assertEqual(get[1], (":", 2))
        self.assertEqual({f for _, f in get[2][1]}, {"readonly", "fast"})
        self.assertEqual(get[3:6], [(":", 1), (":", 1), (":", 1)])
        self.assertTrue({"@read", "@string", "@fast"} <= {c for _, c in get[6][1]})
        mset = self.command_info("mset")
        self.assertEqual(mset[1], (":", -3))
        self.assertIn("write", {f for _, f in mset[2][1]})
        self.assertEqual(mset[3:6], [(":", 1), (":", -1), (":", 2)])
        delete = self.command_info("del")
        self.assertEqual(delete[1], (":", -2))
        self.assertEqual(delete[3:6], [(":", 1), (":", -1), (":", 1)])
        ping = self.command_info("ping")
        self.assertEqual(ping[1], (":", -1))
        self.assertEqual(ping[3:6], [(":", 0), (":", 0), (":", 0)])

    def test_command_info_of_container_lists_subcommands(self):
        config = self.command_info("config")
        self.assertEqual(config[1], (":", -2))
        subs = {e[1][0][1].decode(): e[1][1][1] for e in config[9][1]}
        self.assertEqual(subs["config|get"], -3)
        self.assertEqual(subs["config|set"], -4)

    def test_command_info_is_case_insensitive_and_null_for_unknown(self):
        t, v = self.call("COMMAND", "INFO", "GET", "nosuchcommand")
        self.assertEqual(t, "*")
        self.assertEqual(len(v), 2)
        self.assertEqual(v[0][1][0], ("$", b"get"))
        self.assertEqual(v[1], ("$", None))

    def test_command_docs_shape(self):
        docs = pairs(self.call("COMMAND", "DOCS", "get"))
        self.assertEqual(list(docs), ["get"])
        doc = dict(zip(docs["get"][0::2], docs["get"][1::2]))
        self.assertIsInstance(doc["summary"], str)
        self.assertTrue(doc["summary"])
        self.assertEqual(doc["since"], "1.0.0")
        self.assertEqual(doc["group"], "string")
        self.assertEqual(doc["complexity"], "O(1)")

    def test_command_docs_resp3_is_a_map_with_subcommands(self):
        self.call("HELLO", "3")
        t, v = self.call("COMMAND", "DOCS", "config", "nosuchcommand")
        self.assertEqual(t, "%")
        self.assertEqual(len(v), 1)
        (kt, name), (dt, doc) = v[0]
        self.assertEqual((kt, name, dt), ("$", b"config", "%"))
        fields = {k[1].decode(): val for k, val in doc}
        self.assertEqual(fields["group"], ("$", b"server"))
        st, subs = fields["subcommands"]
        self.assertEqual(st, "%")
        sub_names = {k[1].decode() for k, _ in subs}
        self.assertTrue({"config|get", "config|set", "config|resetstat", "config|help"} <= sub_names)

    def test_command_docs_lists_arguments(self):
        self.call("HELLO", "3")
        t, v = self.call("COMMAND", "DOCS", "get")
        fields = {k[1].decode(): val for k, val in v[0][1][1]}
        self.assertIn("arguments", fields)
        at, args = fields["arguments"]
        self.assertEqual(at, "*")
        first = {k[1].decode(): val[1] for k, val in args[0][1]}
        self.assertEqual(first["name"], b"key")
        self.assertEqual(first["type"], b"key")

    def test_command_docs_without_names_documents_everything(self):
        t, count = self.call("COMMAND", "COUNT")
        docs = pairs(self.call("COMMAND", "DOCS"))
        self.assertEqual(len(docs), count)
        self.assertEqual(self.call("COMMAND", "DOCS", "nosuchcommand"), ("*", []))

    def test_command_getkeys(self):
        def keys(*cmd):
            return self.names(self.call("COMMAND", "GETKEYS", *cmd))
        self.assertEqual(keys("SET", "a", "b"), ["a"])
        self.assertEqual(keys("MSET", "a", "1", "b", "2"), ["a", "b"])
        self.assertEqual(keys("DEL", "a", "b", "c"), ["a", "b", "c"])
        self.assertEqual(keys("RENAME", "a", "b"), ["a", "b"])
        self.assertEqual(keys("COPY", "a", "b", "REPLACE"), ["a", "b"])
        self.assertEqual(keys("OBJECT", "ENCODING", "k"), ["k"])

    def test_command_getkeys_errors(self):
        self.assertError(("COMMAND", "GETKEYS", "PING", "hello"), "ERR The command has no key arguments")
        self.assertError(("COMMAND", "GETKEYS", "GET", "a", "b"),
                         "ERR Invalid number of arguments specified for command")
        self.assertError(("COMMAND", "GETKEYS", "NOSUCH", "a"), "ERR Invalid command specified")
        self.assertError(("COMMAND", "GETKEYS"), arity("command|getkeys"))

    def test_command_help_and_unknown_subcommand(self):
        t, lines = self.call("COMMAND", "HELP")
        self.assertEqual(t, "*")
        body = [v for _, v in lines]
        self.assertTrue(body[0].startswith("COMMAND <subcommand>"))
        for sub in ("COUNT", "LIST", "INFO", "DOCS", "GETKEYS", "HELP"):
            self.assertTrue(any(l.startswith(sub) for l in body), sub)
        self.assertError(("COMMAND", "FOO"), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.")

    def test_subcommands_with_extra_arguments_are_arity_errors(self):
        self.assertError(("COMMAND", "COUNT", "x"), arity("command|count"))
        self.assertError(("COMMAND", "HELP", "x"), arity("command|help"))
        self.assertError(("CONFIG", "HELP", "x"), arity("config|help"))
        self.assertError(("CONFIG", "RESETSTAT", "x"), arity("config|resetstat"))
        self.assertError(("CLIENT", "HELP", "x"), arity("client|help"))

    def test_redis_py_command_count(self):
        r = self.server.client()
        try:
            self.assertEqual(r.command_count(), self.call("COMMAND", "COUNT")[1])
        finally:
            r.close()


class InfoTest(ServerTestCase):
    DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication",
                        "CPU", "Keyspace"]

    def setUp(self):
        super().setUp()
        self.call("FLUSHALL")

    def info(self, *sections):
        reply = self.call("INFO", *sections)
        self.assertEqual(reply[0], "$")
        return text(reply)

    def headers(self, info_text):
        return [l[2:] for l in info_text.split("\r\n") if l.startswith("# ")]

    def test_default_sections(self):
        info = self.info()
        headers = self.headers(info)
        for s in self.DEFAULT_SECTIONS:
            self.assertIn(s, headers)
        self.assertNotIn("Commandstats", headers)
        self.assertEqual(self.headers(self.info("default")), headers)

    def test_server_section(self):
        info = self.info("server")
        self.assertEqual(self.headers(info), ["Server"])
        fields = info_fields(info)
        self.assertTrue(fields["redis_version"].startswith("7."))
        self.assertEqual(fields["redis_mode"], "standalone")
        self.assertEqual(fields["tcp_port"], str(self.server.port))
        self.assertEqual(fields["process_id"], str(self.server.proc.pid))
        self.assertGreaterEqual(int(fields["uptime_in_seconds"]), 0)
        self.assertEqual(fields["run_id"], fields["run_id"].lower())
        self.assertEqual(len(fields["run_id"]), 40)

    def test_several_sections_at_once(self):
        info = self.info("server", "CLIENTS")
        self.assertEqual(self.headers(info), ["Server", "Clients"])

    def test_unknown_section_is_empty(self):
        self.assertEqual(self.info("nosuchsection"), "")

    def test_all_and_everything_include_commandstats(self):
        self.call("PING")
        for arg in ("all", "everything"):
            headers = self.headers(self.info(arg))
            for s in self.DEFAULT_SECTIONS + ["Commandstats"]:
                self.assertIn(s, headers, arg)

    def test_keyspace_section(self):
        self.assertEqual(self.info("keyspace"), "# Keyspace\r\n")
        self.call("MSET", "a", "1", "b", "2", "c", "3")
        self.call("EXPIRE", "a", "100")
        db0 = info_fields(self.info("keyspace"))["db0"]
        self.assertTrue(db0.startswith("keys=3,expires=1,avg_ttl="), db0)

    def test_clients_section_counts_connections(self):
        extra = [self.connect() for _ in range(3)]
        for c in extra:
            c.call("PING")
        n = int(info_fields(self.info("clients"))["connected_clients"])
        self.assertGreaterEqual(n, 4)
        for c in extra:
            c.close()
        harness.wait_for(
            lambda: int(info_fields(self.info("clients"))["connected_clients"]) <= n - 3,
            timeout=5, what="closed connections to leave INFO clients")

    def test_stats_count_commands_and_keyspace_hits(self):
        before = info_fields(self.info("stats"))
        self.call("SET", "k", "v")
        self.call("GET", "k")
        self.call("GET", "missing")
        after = info_fields(self.info("stats"))
        self.assertGreaterEqual(int(after["total_commands_processed"]),
                                int(before["total_commands_processed"]) + 4)
        self.assertEqual(int(after["keyspace_hits"]), int(before["keyspace_hits"]) + 1)
        self.assertEqual(int(after["keyspace_misses"]), int(before["keyspace_misses"]) + 1)
        self.assertGreater(int(after["total_connections_received"]), 0)

    def test_commandstats_and_resetstat(self):
        self.assertEqual(self.call("CONFIG", "RESETSTAT"), ("+", "OK"))
        self.call("SET", "k", "v")
        self.call("GET", "k")
        self.call("GET", "k")
        self.call("CLIENT", "ID")
        stats = info_fields(self.info("commandstats"))
        self.assertTrue(stats["cmdstat_get"].startswith("calls=2,usec="), stats["cmdstat_get"])
        self.assertTrue(stats["cmdstat_set"].startswith("calls=1,"), stats["cmdstat_set"])
        self.assertIn("cmdstat_client|id", stats)
        self.assertEqual(self.call("CONFIG", "RESETSTAT"), ("+", "OK"))
        stats = info_fields(self.info("commandstats"))
        self.assertNotIn("cmdstat_get", stats)

    def test_redis_py_info(self):
        r = self.server.client()
        try:
            info = r.info()
            self.assertEqual(info["tcp_port"], self.server.port)
            self.assertEqual(info["redis_mode"], "standalone")
            self.assertIn("connected_clients", r.info("clients"))
        finally:
            r.close()


class ConfigTest(ServerTestCase):
    def tearDown(self):
        self.connect().call("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")
        super().tearDown()

    def config_get(self, *patterns):
        return pairs(self.call("CONFIG", "GET", *patterns))

    def test_get_single_multiple_and_glob(self):
        self.assertEqual(self.config_get("maxmemory"), {"maxmemory": "0"})
        self.assertEqual(self.config_get("maxmemory", "port"),
                         {"maxmemory": "0", "port": str(self.server.port)})
        glob = self.config_get("maxmemory*")
        self.assertEqual(glob["maxmemory"], "0")
        self.assertEqual(glob["maxmemory-policy"], "noeviction")
        self.assertTrue(all(k.startswith("maxmemory") for k in glob))
        self.assertEqual(self.config_get("nosuchparameter*"), {})

    def test_get_appendonly_and_save(self):
        # shoal always logs every write, so it reports appendonly yes.
        self.assertEqual(self.config_get("appendonly"), {"appendonly": "yes"})
        self.assertEqual(self.config_get("appendfsync"), {"appendfsync": "everysec"})
        save = self.config_get("save")["save"].split()
        self.assertEqual(len(save) % 2, 0)
        self.assertTrue(all(w.isdigit() for w in save))

    def test_set_save_round_trips(self):
        self.assertEqual(self.call("CONFIG", "SET", "save", "3600 1 300 100"), ("+", "OK"))
        self.assertEqual(self.config_get("save"), {"save": "3600 1 300 100"})
        self.assertEqual(self.call("CONFIG", "SET", "save", ""), ("+", "OK"))
        self.assertEqual(self.config_get("save"), {"save": ""})

    def test_set_values(self):
        self.assertEqual(self.call("CONFIG", "SET", "maxmemory", "1gb"), ("+", "OK"))
        self.assertEqual(self.config_get("maxmemory"), {"maxmemory": "1073741824"})
        self.assertEqual(self.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("+", "OK"))
        self.assertEqual(self.config_get("maxmemory-policy"), {"maxmemory-policy": "allkeys-lru"})

    def test_set_several_parameters_at_once(self):
        self.assertEqual(self.call("CONFIG", "SET", "maxmemory", "10mb",
                                   "maxmemory-policy", "allkeys-lfu"), ("+", "OK"))
        self.assertEqual(self.config_get("maxmemory", "maxmemory-policy"),
                         {"maxmemory": "10485760", "maxmemory-policy": "allkeys-lfu"})

    def test_set_is_all_or_nothing(self):
        self.call("CONFIG", "SET", "maxmemory", "10mb")
        self.assertErrorStartsWith(("CONFIG", "SET", "maxmemory", "20mb", "maxmemory-policy", "foo"),
                                   "ERR ")
        self.assertEqual(self.config_get("maxmemory"), {"maxmemory": "10485760"})

    def test_set_duplicate_parameter_is_refused(self):
        self.assertError(("CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "2mb"),
                         config_set_failed("maxmemory") + "duplicate parameter")
        self.assertEqual(self.config_get("maxmemory"), {"maxmemory": "0"})

    def test_set_bad_values(self):
        for param, value in (("maxmemory", "abc"), ("appendonly", "maybe"), ("save", "abc"),
                             ("save", "1 2 3"), ("maxmemory-policy", "foo"),
                             ("appendfsync", "sometimes"), ("hz", "abc"), ("timeout", "-1")):
            with self.subTest(param=param, value=value):
                self.assertErrorStartsWith(("CONFIG", "SET", param, value), "ERR ")
        self.assertEqual(self.config_get("maxmemory", "appendonly", "maxmemory-policy"),
                         {"maxmemory": "0", "appendonly": "yes", "maxmemory-policy": "noeviction"})

    def test_set_bad_value_error_names_the_parameter_like_redis(self):
        self.assertErrorStartsWith(("CONFIG", "SET", "maxmemory", "abc"),
                                   config_set_failed("maxmemory"))

    def test_set_immutable_parameter(self):
        self.assertError(("CONFIG", "SET", "daemonize", "yes"),
                         config_set_failed("daemonize") + "can't set immutable config")

    def test_set_unknown_parameter(self):
        self.assertError(("CONFIG", "SET", "nosuch", "1"),
                         "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")

    def test_config_arity_and_subcommands(self):
        self.assertError(("CONFIG",), arity("config"))
        self.assertError(("CONFIG", "GET"), arity("config|get"))
        self.assertError(("CONFIG", "SET", "maxmemory"), arity("config|set"))
        self.assertError(("CONFIG", "FOO"), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
        self.assertEqual(self.call("CONFIG", "RESETSTAT"), ("+", "OK"))

    def test_config_help(self):
        t, lines = self.call("CONFIG", "HELP")
        self.assertEqual(t, "*")
        body = [v for _, v in lines]
        self.assertTrue(body[0].startswith("CONFIG <subcommand>"))
        for sub in ("GET", "SET", "RESETSTAT", "HELP"):
            self.assertTrue(any(l.startswith(sub) for l in body), sub)

    def test_redis_py_config(self):
        r = self.server.client(decode_responses=True)
        try:
            self.assertEqual(r.config_get("maxmemory"), {"maxmemory": "0"})
            self.assertTrue(r.config_set("maxmemory", "2mb"))
            self.assertEqual(r.config_get("maxmemory"), {"maxmemory": "2097152"})
        finally:
            r.close()


class ShutdownTest(unittest.TestCase):
    """Each test gets its own server, since SHUTDOWN ends it."""

    def setUp(self):
        self.server = harness.ShoalServer()
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.raw = harness.RawConnection(self.server.port)
        self.addCleanup(self.raw.close)

    def assertStillServing(self):
        self.assertTrue(self.server.alive())
        self.assertEqual(self.raw.call("PING"), ("+", "PONG"))

    def test_shutdown_stops_the_server_cleanly(self):
        self.raw.call("SET", "k", "v")
        self.raw.send(harness.raw_command("SHUTDOWN"))
        self.assertTrue(self.raw.closed_by_server())
        self.assertEqual(self.raw.buf, b"")  # no reply on success
        self.assertEqual(self.server.proc.wait(timeout=30), 0)

    def test_shutdown_nosave_via_redis_py(self):
        r = self.server.client()
        try:
            r.shutdown(nosave=True)  # redis-py expects the connection to drop
        finally:
            r.close()
        self.assertEqual(self.server.proc.wait(timeout=30), 0)

    def test_shutdown_abort_without_shutdown_in_progress(self):
        self.assertEqual(self.raw.call("SHUTDOWN", "ABORT"), ("-", "ERR No shutdown in progress."))
        self.assertStillServing()

    def test_shutdown_bad_arguments_keep_the_server_running(self):
        for args in (("FOO",), ("ABORT", "NOW"), ("NOSAVE", "SAVE")):
            with self.subTest(args=args):
                self.assertEqual(self.raw.call("SHUTDOWN", *args), ("-", SYNTAX))
                self.assertStillServing()


if __name__ == "__main__":
    unittest.main()
