"""Shared by the stream tests (test_stream.py, test_stream_groups.py): Redis's
error texts, reply flattening and the test case classes."""
import harness

OK = ("+", "OK")
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
XADD_TOO_SMALL = ("ERR The ID specified in XADD is equal or smaller than the "
                  "target stream top item")
XADD_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
XGROUP_NO_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that "
                 "for CREATE you may want to use the MKSTREAM option to create an "
                 "empty stream automatically.")
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
UNBALANCED = ("ERR Unbalanced XREAD list of streams: for each stream key an ID "
              "or '$' must be specified.")
LIMIT_NEEDS_TILDE = "ERR syntax error, LIMIT cannot be used without the special ~ option"

# Bound on any reply that must come (blocking commands).
REPLY_SECS = 10.0
# A BLOCK timeout that expires quickly, in milliseconds.
SHORT_BLOCK_MS = "100"


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def nogroup_xreadgroup(key, group):
    return (f"NOGROUP No such key '{key}' or consumer group '{group}' "
            "in XREADGROUP with GROUP option")


def plain(reply):
    """Flattens a RawConnection reply into Python values: bulk and simple
    strings become str, nulls None, arrays lists, maps dicts. An error
    raises, so a test that expects data fails with the server's message."""
    t, v = reply
    if t == "-":
        raise AssertionError(f"unexpected error reply: {v}")
    if t in "$=!":
        return None if v is None else v.decode(errors="replace")
    if t in "*~>":
        return None if v is None else [plain(x) for x in v]
    if t == "%":
        return {plain(k): plain(val) for k, val in v}
    return v


def pairs_to_dict(flat):
    """XINFO replies are flat [name, value, ...] arrays in RESP2."""
    return dict(zip(flat[0::2], flat[1::2]))


def entry(entry_id, *fields):
    return [entry_id, list(fields)]


class StreamTestCase(harness.CommandTestCase):
    """One server for the class; the keyspace is flushed before each test."""

    def cmd(self, *args):
        return plain(self.call(*args))

    def add(self, key, entry_id, *fields):
        self.assertEqual(self.call("XADD", key, entry_id, *(fields or ("f", "v"))),
                         ("$", entry_id.encode()))

    def fill(self, key, n, field="f"):
        """Adds entries 1-0 .. n-0 with field=value i."""
        for i in range(1, n + 1):
            self.add(key, f"{i}-0", field, str(i))

    def ids(self, key):
        return [e[0] for e in self.cmd("XRANGE", key, "-", "+")]

    def connect(self, resp3=False):
        c = harness.RawConnection(self.server.port, timeout=REPLY_SECS)
        self.addCleanup(c.close)
        if resp3:
            self.assertEqual(c.call("HELLO", "3")[0], "%")
        return c

    def blocked(self):
        return int(self.r.info("clients")["blocked_clients"])

    def block(self, *cmd):
        """Sends a blocking command on a new connection and returns it once
        the server counts one more blocked client."""
        c = self.connect()
        before = self.blocked()
        c.send(harness.raw_command(*cmd))
        harness.wait_for(lambda: self.blocked() == before + 1, timeout=REPLY_SECS,
                         what="the client to block")
        return c


class FreshServerStreamTestCase(StreamTestCase):
    """A fresh server per test, for tests that block: a client left blocked
    by one test (a server that never wakes it, or notices its closed socket
    late) cannot leak into the next one's blocked_clients count or consume
    its entries. Starting a server takes ~0.1 s."""

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.server = harness.ShoalServer()
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.r = self.server.client(decode_responses=True)
        self.addCleanup(self.r.close)
        self.rb = self.server.client()
        self.addCleanup(self.rb.close)
        self.raw = harness.RawConnection(self.server.port)
        self.addCleanup(self.raw.close)
        super().setUp()


class GroupFixture:
    """Stream s holds 1-0..3-0 and group g starts at 0."""

    def setUp(self):
        super().setUp()
        self.fill("s", 3)
        self.assertEqual(self.call("XGROUP", "CREATE", "s", "g", "0"), OK)

    def read(self, consumer, entry_id=">", *opts):
        return self.cmd("XREADGROUP", "GROUP", "g", consumer, *opts, "STREAMS", "s", entry_id)
