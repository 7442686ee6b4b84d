"""Pub/Sub on a single server: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
PUBLISH PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB) SSUBSCRIBE
SUNSUBSCRIBE SPUBLISH, the RESP2 subscribed mode, RESP3 push messages,
keyspace notifications (notify-keyspace-events) and the pubsub output
buffer limit.

Replies and error strings are Redis 7.0's: every test here passes against a
real redis-server (SHOAL_TEST_AGAINST_REDIS=1). Where Redis leaves an order
open (the channels one UNSUBSCRIBE without arguments walks, PUBSUB CHANNELS)
the test compares sets. Subscribers are harness.RawConnection sockets, so a
test reads each push off the wire with its exact RESP type.
"""
import socket
import unittest

import harness

OK = ("+", "OK")
# Bound on any message that must arrive.
REPLY_SECS = 10.0
# How long a message that must not arrive is waited for.
NO_MESSAGE_SECS = 0.3
# Bound on a keyspace event: it is published before the command's reply,
# so it is normally on the wire already when the test reads it.
EVENT_SECS = 3.0
SUBSCRIBED_MODE = ("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                   "PING / QUIT / RESET are allowed in this context")


def bulk(s):
    return ("$", None if s is None else (s.encode() if isinstance(s, str) else s))


def push(kind, *items, t="*"):
    """A pub/sub frame: [kind, items...]; integers stay integers."""
    return (t, [bulk(kind)] + [(":", i) if isinstance(i, int) else bulk(i) for i in items])


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


class PubSubTestCase(harness.CommandTestCase):
    """One server for the class; every test's subscribers are closed by
    cleanup, and the test waits until the server has dropped them."""

    def connect(self, resp3=False, rcvbuf=None):
        if rcvbuf is None:
            c = harness.RawConnection(self.server.port, timeout=REPLY_SECS)
        else:
            # A small receive window makes a reader that never reads
            # back-pressure the server quickly.
            c = harness.RawConnection.__new__(harness.RawConnection)
            c.buf = b""
            c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            c.sock.settimeout(REPLY_SECS)
            c.sock.connect(("127.0.0.1", self.server.port))
        self.addCleanup(c.close)
        if resp3:
            self.assertEqual(c.call("HELLO", "3")[0], "%")
        return c

    def setUp(self):
        super().setUp()
        # Subscribers of the previous test are closed; wait until the
        # server has noticed, so counts start from zero.
        harness.wait_for(lambda: self.call("PUBSUB", "NUMPAT") == (":", 0)
                         and self.call("PUBSUB", "CHANNELS") == ("*", [])
                         and self.call("PUBSUB", "SHARDCHANNELS") == ("*", []),
                         timeout=REPLY_SECS, what="no subscriptions left")

    def multi(self, conn, n, *cmd):
        """Sends one command and reads its n replies."""
        conn.send(harness.raw_command(*cmd))
        return [conn.read() for _ in range(n)]

    def subscriber(self, *channels, kind="SUBSCRIBE", resp3=False):
        c = self.connect(resp3=resp3)
        replies = self.multi(c, len(channels), kind, *channels)
        self.assertEqual([r[1][0] for r in replies], [bulk(kind.lower())] * len(channels))
        return c

    def assertNoMessage(self, conn, secs=NO_MESSAGE_SECS):
        conn.sock.settimeout(secs)
        try:
            if not conn.buf:
                conn._fill()
        except socket.timeout:
            return
        finally:
            conn.sock.settimeout(REPLY_SECS)
        self.fail(f"unexpected bytes {conn.buf!r}")


class SubscribeTest(PubSubTestCase):
    def test_subscribe_replies_count_distinct_channels(self):
        c = self.connect()
        self.assertEqual(self.multi(c, 3, "SUBSCRIBE", "a", "b", "a"),
                         [push("subscribe", "a", 1), push("subscribe", "b", 2),
                          push("subscribe", "a", 2)])

    def test_patterns_add_to_the_channel_count(self):
        c = self.connect()
        self.multi(c, 1, "SUBSCRIBE", "a")
        self.assertEqual(self.multi(c, 2, "PSUBSCRIBE", "p*", "p*"),
                         [push("psubscribe", "p*", 2), push("psubscribe", "p*", 2)])
        self.assertEqual(self.multi(c, 1, "UNSUBSCRIBE", "a"), [push("unsubscribe", "a", 1)])
        self.assertEqual(self.multi(c, 1, "PUNSUBSCRIBE", "p*"), [push("punsubscribe", "p*", 0)])

    def test_shard_channels_have_their_own_count(self):
        c = self.connect()
        self.multi(c, 2, "SUBSCRIBE", "a", "b")
        self.assertEqual(self.multi(c, 2, "SSUBSCRIBE", "sa", "sb"),
                         [push("ssubscribe", "sa", 1), push("ssubscribe", "sb", 2)])
        self.assertEqual(self.multi(c, 1, "SUNSUBSCRIBE", "sa"), [push("sunsubscribe", "sa", 1)])

    def test_unsubscribe_without_arguments_drops_every_channel(self):
        c = self.connect()
        self.multi(c, 3, "SUBSCRIBE", "a", "b", "c")
        self.multi(c, 1, "PSUBSCRIBE", "p*")
        replies = self.multi(c, 3, "UNSUBSCRIBE")
        self.assertEqual(sorted(r[1][1][1] for r in replies), [b"a", b"b", b"c"])
        self.assertEqual([r[1][2] for r in replies], [(":", 3), (":", 2), (":", 1)])
        self.assertEqual(self.multi(c, 1, "PUNSUBSCRIBE"), [push("punsubscribe", "p*", 0)])
        # Out of subscribed mode: ordinary commands work again.
        self.assertEqual(c.call("SET", "k", "v"), OK)

    def test_unsubscribe_when_not_subscribed(self):
        c = self.connect()
        self.assertEqual(c.call("UNSUBSCRIBE"), push("unsubscribe", None, 0))
        self.assertEqual(c.call("PUNSUBSCRIBE"), push("punsubscribe", None, 0))
        self.assertEqual(c.call("SUNSUBSCRIBE"), push("sunsubscribe", None, 0))
        self.assertEqual(self.multi(c, 2, "UNSUBSCRIBE", "a", "b"),
                         [push("unsubscribe", "a", 0), push("unsubscribe", "b", 0)])
        self.assertEqual(c.call("GET", "k"), ("$", None))

    def test_unsubscribing_an_unknown_channel_keeps_the_count(self):
        c = self.subscriber("a")
        self.assertEqual(c.call("UNSUBSCRIBE", "zz"), push("unsubscribe", "zz", 1))
        self.assertEqual(c.call("PUNSUBSCRIBE", "zz"), push("punsubscribe", "zz", 1))

    def test_arity(self):
        self.assertError(("SUBSCRIBE",), arity("subscribe"))
        self.assertError(("PSUBSCRIBE",), arity("psubscribe"))
        self.assertError(("SSUBSCRIBE",), arity("ssubscribe"))
        self.assertError(("PUBLISH", "a"), arity("publish"))
        self.assertError(("SPUBLISH", "a"), arity("spublish"))


class PublishTest(PubSubTestCase):
    def test_publish_counts_receivers(self):
        self.assertEqual(self.call("PUBLISH", "a", "x"), (":", 0))
        s1 = self.subscriber("a")
        s2 = self.subscriber("a", "b")
        self.assertEqual(self.call("PUBLISH", "a", "hello"), (":", 2))
        self.assertEqual(self.call("PUBLISH", "b", "world"), (":", 1))
        self.assertEqual(s1.read(), push("message", "a", "hello"))
        self.assertEqual(s2.read(), push("message", "a", "hello"))
        self.assertEqual(s2.read(), push("message", "b", "world"))
        self.assertNoMessage(s1)

    def test_a_channel_and_a_matching_pattern_both_deliver(self):
        s = self.subscriber("news.tech")
        self.multi(s, 2, "PSUBSCRIBE", "news.*", "other.*")
        self.assertEqual(self.call("PUBLISH", "news.tech", "m1"), (":", 2))
        self.assertEqual(self.call("PUBLISH", "news.art", "m2"), (":", 1))
        self.assertEqual(self.call("PUBLISH", "nothing", "m3"), (":", 0))
        self.assertEqual(s.read(), push("message", "news.tech", "m1"))
        self.assertEqual(s.read(), push("pmessage", "news.*", "news.tech", "m1"))
        self.assertEqual(s.read(), push("pmessage", "news.*", "news.art", "m2"))
        self.assertNoMessage(s)

    def test_glob_patterns(self):
        s = self.subscriber("h?llo", "h[ae]y", "x\\*", kind="PSUBSCRIBE")
        for channel, n in (("hello", 1), ("hallo", 1), ("hllo", 0), ("hay", 1), ("hoy", 0),
                           ("x*", 1), ("xy", 0)):
            self.assertEqual(self.call("PUBLISH", channel, "m"), (":", n), channel)
        self.assertEqual([s.read()[1][2] for _ in range(4)],
                         [bulk("hello"), bulk("hallo"), bulk("hay"), bulk("x*")])

    def test_messages_are_binary_safe(self):
        s = self.subscriber(b"ch\x00\r\n")
        payload = b"\x00\xff\r\n" * 100
        self.assertEqual(self.rb.publish(b"ch\x00\r\n", payload), 1)
        self.assertEqual(s.read(), push("message", b"ch\x00\r\n", payload))

    def test_a_thousand_messages_arrive_in_order(self):
        s = self.subscriber("seq")
        p = self.subscriber("se*", kind="PSUBSCRIBE")
        pipe = self.r.pipeline(transaction=False)
        for i in range(1000):
            pipe.publish("seq", str(i))
        self.assertEqual(pipe.execute(), [2] * 1000)
        for i in range(1000):
            self.assertEqual(s.read(), push("message", "seq", str(i)))
            self.assertEqual(p.read(), push("pmessage", "se*", "seq", str(i)))

    def test_spublish_reaches_only_shard_subscribers(self):
        plain = self.subscriber("c")
        shard = self.subscriber("c", kind="SSUBSCRIBE")
        self.assertEqual(self.call("SPUBLISH", "c", "s1"), (":", 1))
        self.assertEqual(self.call("PUBLISH", "c", "p1"), (":", 1))
        self.assertEqual(shard.read(), push("smessage", "c", "s1"))
        self.assertEqual(plain.read(), push("message", "c", "p1"))
        self.assertNoMessage(shard)
        self.assertNoMessage(plain)

    def test_a_closed_subscriber_stops_counting(self):
        s = self.subscriber("a")
        self.assertEqual(self.call("PUBLISH", "a", "x"), (":", 1))
        s.close()
        harness.wait_for(lambda: self.call("PUBLISH", "a", "x") == (":", 0),
                         timeout=REPLY_SECS, what="the closed subscriber to be dropped")


class PubsubIntrospectionTest(PubSubTestCase):
    def test_channels_numsub_numpat(self):
        self.subscriber("a", "b")
        self.subscriber("a", "abc")
        self.subscriber("a*", "b*", "a*", kind="PSUBSCRIBE")
        self.subscriber("a*", kind="PSUBSCRIBE")
        t, chans = self.call("PUBSUB", "CHANNELS")
        self.assertEqual((t, sorted(chans)), ("*", [bulk("a"), bulk("abc"), bulk("b")]))
        t, chans = self.call("PUBSUB", "CHANNELS", "a*")
        self.assertEqual((t, sorted(chans)), ("*", [bulk("a"), bulk("abc")]))
        self.assertEqual(self.call("PUBSUB", "NUMSUB", "a", "b", "zz"),
                         ("*", [bulk("a"), (":", 2), bulk("b"), (":", 1), bulk("zz"), (":", 0)]))
        self.assertEqual(self.call("PUBSUB", "NUMSUB"), ("*", []))
        # NUMPAT counts distinct patterns, not subscriptions.
        self.assertEqual(self.call("PUBSUB", "NUMPAT"), (":", 2))

    def test_shard_channels_and_shardnumsub(self):
        self.subscriber("sa", "sb", kind="SSUBSCRIBE")
        self.subscriber("sa", kind="SSUBSCRIBE")
        self.subscriber("plain")
        t, chans = self.call("PUBSUB", "SHARDCHANNELS")
        self.assertEqual((t, sorted(chans)), ("*", [bulk("sa"), bulk("sb")]))
        self.assertEqual(self.call("PUBSUB", "SHARDCHANNELS", "*b"), ("*", [bulk("sb")]))
        self.assertEqual(self.call("PUBSUB", "SHARDNUMSUB", "sa", "sb", "plain"),
                         ("*", [bulk("sa"), (":", 2), bulk("sb"), (":", 1),
                                bulk("plain"), (":", 0)]))
        self.assertEqual(self.call("PUBSUB", "CHANNELS"), ("*", [bulk("plain")]))

    def test_errors(self):
        self.assertError(("PUBSUB", "FOO"), "ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")
        self.assertError(("PUBSUB", "CHANNELS", "a", "b"),
                         "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. "
                         "Try PUBSUB HELP.")
        self.assertError(("PUBSUB", "SHARDCHANNELS", "a", "b"),
                         "ERR unknown subcommand or wrong number of arguments for "
                         "'SHARDCHANNELS'. Try PUBSUB HELP.")
        self.assertError(("PUBSUB", "NUMPAT", "x"), arity("pubsub|numpat"))


class SubscribedModeTest(PubSubTestCase):
    def test_other_commands_are_refused_in_resp2(self):
        for kind in ("SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"):
            c = self.subscriber("a", kind=kind)
            self.assertEqual(c.call("GET", "x"), ("-", SUBSCRIBED_MODE.format("get")))
            self.assertEqual(c.call("set", "x", "1"), ("-", SUBSCRIBED_MODE.format("set")))
            self.assertEqual(c.call("PUBSUB", "CHANNELS"),
                             ("-", SUBSCRIBED_MODE.format("pubsub|channels")))
            self.assertEqual(self.r.exists("x"), 0)

    def test_subscription_commands_are_allowed(self):
        c = self.subscriber("a")
        self.assertEqual(c.call("PSUBSCRIBE", "p*"), push("psubscribe", "p*", 2))
        self.assertEqual(c.call("SSUBSCRIBE", "s"), push("ssubscribe", "s", 1))
        self.assertEqual(c.call("SUNSUBSCRIBE", "s"), push("sunsubscribe", "s", 0))
        self.assertEqual(c.call("PUNSUBSCRIBE", "p*"), push("punsubscribe", "p*", 1))

    def test_ping_replies_an_array_in_resp2(self):
        c = self.subscriber("a")
        self.assertEqual(c.call("PING"), push("pong", ""))
        self.assertEqual(c.call("PING", "hello"), push("pong", "hello"))

    def test_reset_leaves_subscribed_mode(self):
        c = self.subscriber("a")
        self.multi(c, 1, "PSUBSCRIBE", "p*")
        self.assertEqual(c.call("RESET"), ("+", "RESET"))
        self.assertEqual(self.call("PUBLISH", "a", "x"), (":", 0))
        self.assertEqual(self.call("PUBLISH", "pq", "x"), (":", 0))
        self.assertEqual(c.call("PING"), ("+", "PONG"))
        self.assertEqual(c.call("GET", "k"), ("$", None))

    def test_quit_closes_a_subscriber(self):
        c = self.subscriber("a")
        self.assertEqual(c.call("QUIT"), OK)
        self.assertTrue(c.closed_by_server(REPLY_SECS))
        harness.wait_for(lambda: self.call("PUBSUB", "NUMSUB", "a")[1][1] == (":", 0),
                         timeout=REPLY_SECS, what="the subscriber to be dropped")


class Resp3PushTest(PubSubTestCase):
    def test_subscription_replies_and_messages_are_pushes(self):
        c = self.connect(resp3=True)
        self.assertEqual(c.call("SUBSCRIBE", "a"), push("subscribe", "a", 1, t=">"))
        self.assertEqual(c.call("PSUBSCRIBE", "a*"), push("psubscribe", "a*", 2, t=">"))
        self.assertEqual(self.call("PUBLISH", "a", "hi"), (":", 2))
        self.assertEqual(c.read(), push("message", "a", "hi", t=">"))
        self.assertEqual(c.read(), push("pmessage", "a*", "a", "hi", t=">"))
        self.assertEqual(c.call("UNSUBSCRIBE", "a"), push("unsubscribe", "a", 1, t=">"))

    def test_normal_commands_work_while_subscribed(self):
        c = self.connect(resp3=True)
        c.call("SUBSCRIBE", "a")
        self.assertEqual(c.call("SET", "k", "v"), OK)
        self.assertEqual(c.call("GET", "k"), ("$", b"v"))
        self.assertEqual(c.call("PING"), ("+", "PONG"))
        self.assertEqual(self.call("PUBLISH", "a", "m"), (":", 1))
        self.assertEqual(c.read(), push("message", "a", "m", t=">"))
        self.assertEqual(c.call("GET", "k"), ("$", b"v"))

    def test_a_client_receives_its_own_publish(self):
        c = self.connect(resp3=True)
        c.call("SSUBSCRIBE", "s")
        c.send(harness.raw_command("SPUBLISH", "s", "self"))
        frames = [c.read(), c.read()]
        self.assertCountEqual(frames, [(":", 1), push("smessage", "s", "self", t=">")])

    def test_unsubscribe_when_not_subscribed_is_a_push(self):
        c = self.connect(resp3=True)
        self.assertEqual(c.call("UNSUBSCRIBE"),
                         (">", [bulk("unsubscribe"), ("_", None), (":", 0)]))

    def test_reset_unsubscribes(self):
        c = self.connect(resp3=True)
        c.call("SUBSCRIBE", "a")
        self.assertEqual(c.call("RESET"), ("+", "RESET"))
        self.assertEqual(self.call("PUBLISH", "a", "x"), (":", 0))


class KeyspaceNotificationTest(PubSubTestCase):
    def notify(self, flags):
        self.assertEqual(self.call("CONFIG", "SET", "notify-keyspace-events", flags), OK)
        self.addCleanup(self.raw.call, "CONFIG", "SET", "notify-keyspace-events", "")

    def events(self, conn, n):
        """Reads n pmessages as (channel, payload) strings."""
        out = []
        conn.sock.settimeout(EVENT_SECS)
        for _ in range(n):
            try:
                t, v = conn.read()
            except socket.timeout:
                self.fail(f"only {len(out)} of {n} events arrived: {out}")
            self.assertEqual((t, v[0]), ("*", bulk("pmessage")))
            out.append((v[2][1].decode(), v[3][1].decode()))
        return out

    def test_off_by_default(self):
        s = self.subscriber("__key*__:*", kind="PSUBSCRIBE")
        self.r.set("k", "v")
        self.assertNoMessage(s)

    def test_keyspace_and_keyevent_for_common_commands(self):
        self.notify("KEA")
        s = self.subscriber("__key*@0__:*", kind="PSUBSCRIBE")
        self.r.set("k", "v")
        self.r.expire("k", 100)
        self.r.delete("k")
        self.r.lpush("l", "a")
        self.r.hset("h", "f", "v")
        self.r.zadd("z", {"m": 1})
        expected = []
        for key, event in (("k", "set"), ("k", "expire"), ("k", "del"), ("l", "lpush"),
                           ("h", "hset"), ("z", "zadd")):
            expected += [(f"__keyspace@0__:{key}", event), (f"__keyevent@0__:{event}", key)]
        self.assertEqual(self.events(s, len(expected)), expected)

    def test_xadd_event(self):
        self.notify("Kt")
        s = self.subscriber("__keyspace@0__:x")
        self.assertEqual(self.call("XADD", "x", "1-0", "f", "v"), ("$", b"1-0"))
        self.assertEqual(s.read(), push("message", "__keyspace@0__:x", "xadd"))
        self.assertEqual(self.r.delete("x"), 1)  # class g is off
        self.assertNoMessage(s)

    def test_expired_event(self):
        self.notify("Ex")
        s = self.subscriber("__keyevent@0__:expired")
        self.r.set("e", "v", px=30)
        # Either active expiry or this lookup (lazy expiry) removes it.
        harness.wait_for(lambda: self.r.exists("e") == 0, timeout=REPLY_SECS,
                         what="the key to expire")
        self.assertEqual(s.read(), push("message", "__keyevent@0__:expired", "e"))
        self.assertNoMessage(s)

    def test_classes_filter_events(self):
        # K: keyspace channel only; g: generic (DEL, EXPIRE); $: strings.
        self.notify("Kg$")
        s = self.subscriber("__key*@0__:*", kind="PSUBSCRIBE")
        self.r.lpush("l", "a")
        self.r.hset("h", "f", "v")
        self.r.set("k", "v")
        self.r.delete("k")
        self.assertEqual(self.events(s, 2),
                         [("__keyspace@0__:k", "set"), ("__keyspace@0__:k", "del")])
        self.assertNoMessage(s)

    def test_keyevent_only(self):
        self.notify("El")
        s = self.subscriber("__key*@0__:*", kind="PSUBSCRIBE")
        self.r.set("k", "v")
        self.r.rpush("l", "a", "b")
        self.assertEqual(self.events(s, 1), [("__keyevent@0__:rpush", "l")])
        self.assertNoMessage(s)

    def keyevents(self, conn, n):
        return [(ch.split(":", 1)[1], key) for ch, key in self.events(conn, n)]

    def test_documented_event_names(self):
        # From Redis's keyspace-notification documentation: INCR, DECR,
        # INCRBY and DECRBY all raise "incrby"; DEL notifies only the keys
        # it removed; EXPIRE with a time in the past deletes the key and
        # raises "del" instead of "expire".
        self.notify("EA")
        s = self.subscriber("__keyevent@0__:*", kind="PSUBSCRIBE")
        self.r.incr("n")
        self.r.decr("n")
        self.r.decrby("n", 5)
        self.r.set("a", "1")
        self.assertEqual(self.r.delete("a", "missing"), 1)
        self.r.set("b", "1")
        self.assertEqual(self.r.expire("b", 0), 1)
        self.assertEqual(self.keyevents(s, 7),
                         [("incrby", "n"), ("incrby", "n"), ("incrby", "n"), ("set", "a"),
                          ("del", "a"), ("set", "b"), ("del", "b")])
        self.assertNoMessage(s)

    def test_a_collection_emptied_by_a_removal_also_raises_del(self):
        self.notify("EA")
        self.r.hset("h", "f", "v")
        self.r.sadd("s", "m")
        self.r.zadd("z", {"m": 1})
        self.r.rpush("l", "x")
        s = self.subscriber("__keyevent@0__:*", kind="PSUBSCRIBE")
        self.assertEqual(self.r.hdel("h", "f"), 1)
        self.assertEqual(self.r.spop("s"), "m")
        self.assertEqual(self.r.zpopmin("z"), [("m", 1.0)])
        self.assertEqual(self.r.lpop("l"), "x")
        self.assertEqual(self.keyevents(s, 8),
                         [("hdel", "h"), ("del", "h"), ("spop", "s"), ("del", "s"),
                          ("zpopmin", "z"), ("del", "z"), ("lpop", "l"), ("del", "l")])

    def test_store_commands_notify_the_destination(self):
        self.notify("EA")
        self.r.sadd("s", "a", "b")
        self.r.zadd("z", {"a": 1})
        self.r.set("dst-empty", "x")
        s = self.subscriber("__keyevent@0__:*", kind="PSUBSCRIBE")
        self.assertEqual(self.r.sunionstore("d1", ["s"]), 2)
        self.assertEqual(self.r.sinterstore("d2", ["s", "s"]), 2)
        self.assertEqual(self.r.zunionstore("d3", ["z"]), 1)
        # An empty result removes an existing destination: "del".
        self.assertEqual(self.r.sdiffstore("dst-empty", ["s", "s"]), 0)
        self.assertEqual(self.keyevents(s, 4),
                         [("sunionstore", "d1"), ("sinterstore", "d2"), ("zunionstore", "d3"),
                          ("del", "dst-empty")])
        self.assertNoMessage(s)

    def test_xgroup_events(self):
        self.notify("EA")
        s = self.subscriber("__keyevent@0__:*", kind="PSUBSCRIBE")
        self.assertEqual(self.call("XGROUP", "CREATE", "x", "g", "$", "MKSTREAM"), OK)
        self.assertEqual(self.call("XGROUP", "CREATECONSUMER", "x", "g", "c"), (":", 1))
        self.assertEqual(self.call("XGROUP", "SETID", "x", "g", "0"), OK)
        self.assertEqual(self.call("XGROUP", "DELCONSUMER", "x", "g", "c"), (":", 0))
        self.assertEqual(self.call("XGROUP", "DESTROY", "x", "g"), (":", 1))
        self.assertEqual(self.keyevents(s, 5),
                         [("xgroup-create", "x"), ("xgroup-createconsumer", "x"),
                          ("xgroup-setid", "x"), ("xgroup-delconsumer", "x"),
                          ("xgroup-destroy", "x")])
        self.assertNoMessage(s)

    def test_commands_inside_a_transaction_notify(self):
        self.notify("EA")
        self.r.set("gone", "x")
        s = self.subscriber("__keyevent@0__:*", kind="PSUBSCRIBE")
        pipe = self.r.pipeline(transaction=True)
        pipe.set("a", "1").lpush("l", "x").delete("gone", "never").incr("a")
        self.assertEqual(pipe.execute(), [True, 1, 1, 2])
        self.assertEqual(self.keyevents(s, 4),
                         [("set", "a"), ("lpush", "l"), ("del", "gone"), ("incrby", "a")])
        self.assertNoMessage(s)

    def test_a_failed_command_notifies_nothing(self):
        self.notify("KEA")
        self.r.set("str", "v")
        s = self.subscriber("__key*@0__:*", kind="PSUBSCRIBE")
        self.assertEqual(self.call("LPUSH", "str", "x")[0], "-")
        self.assertEqual(self.call("DEL", "missing"), (":", 0))
        self.assertNoMessage(s)


class OutputBufferLimitTest(PubSubTestCase):
    # Big enough that a few messages overflow the limit below.
    MESSAGE_BYTES = 256 * 1024
    # Bound on the messages published while waiting for the disconnect
    # (64 MB in all: far beyond the 1 MB limit plus socket buffers).
    MAX_MESSAGES = 256
    # Growth of the server's RSS allowed over the whole test.
    RSS_SLACK_BYTES = 32 * 1024 * 1024

    def test_a_subscriber_that_never_reads_is_disconnected(self):
        self.assertEqual(self.call("CONFIG", "SET", "client-output-buffer-limit",
                                   "pubsub 1mb 512kb 60"), OK)
        self.addCleanup(self.raw.call, "CONFIG", "SET", "client-output-buffer-limit",
                        "pubsub 32mb 8mb 60")
        slow = self.connect(rcvbuf=4096)
        self.assertEqual(slow.call("CLIENT", "SETNAME", "slowsub"), OK)
        self.assertEqual(slow.call("SUBSCRIBE", "big"), push("subscribe", "big", 1))
        fast = self.subscriber("big-other")  # an unrelated subscriber stays
        rss_before = self.server.rss_bytes()

        payload = b"x" * self.MESSAGE_BYTES
        published = 0
        while published < self.MAX_MESSAGES:
            received = self.rb.publish(b"big", payload)
            published += 1
            if received == 0:
                break
        self.assertLess(published, self.MAX_MESSAGES,
                        "the slow subscriber was never disconnected")

        harness.wait_for(lambda: "name=slowsub" not in self.r.execute_command("CLIENT", "LIST"),
                         timeout=REPLY_SECS, what="the slow subscriber to leave CLIENT LIST")
        self.assertEqual(self.call("PUBSUB", "NUMSUB", "big"),
                         ("*", [bulk("big"), (":", 0)]))
        self.assertTrue(slow.closed_by_server(REPLY_SECS), "the server kept the socket open")
        grown = self.server.rss_bytes() - rss_before
        self.assertLess(grown, self.RSS_SLACK_BYTES, f"RSS grew by {grown} bytes")

        self.assertEqual(self.call("PUBLISH", "big-other", "still here"), (":", 1))
        self.assertEqual(fast.read(), push("message", "big-other", "still here"))


if __name__ == "__main__":
    unittest.main()
