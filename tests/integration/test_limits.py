"""Connection limits: maxclients and the idle client timeout."""
import signal
import unittest

import harness
from harness import RawConnection, wait_for


class MaxClientsTest(harness.ServerTestCase):
    server_args = ("--maxclients", "3")

    def test_connection_over_maxclients_gets_the_redis_error_and_is_closed(self):
        conns = [RawConnection(self.server.port) for _ in range(3)]
        try:
            for c in conns:
                self.assertEqual(c.call("PING"), ("+", "PONG"))
            extra = RawConnection(self.server.port)
            self.assertEqual(extra.read(), ("-", "ERR max number of clients reached"))
            self.assertTrue(extra.closed_by_server())
            extra.close()
            # A freed place can be taken again.
            conns.pop().close()

            def new_client_served():
                c = RawConnection(self.server.port)
                try:
                    return c.call("PING") == ("+", "PONG")
                except ConnectionError:
                    return False
                finally:
                    c.close()

            wait_for(new_client_served, timeout=10, what="a freed client slot")
            # The server notices the last probe's close asynchronously:
            # free one more slot for the INFO client.
            conns.pop().close()
            got = {}

            def stats_read():
                try:
                    got.update(self.server.client().info("stats"))
                    return True
                except ConnectionError:
                    return False

            wait_for(stats_read, timeout=10, what="INFO from a free client slot")
            info = got
            self.assertGreaterEqual(info["rejected_connections"], 1)
        finally:
            for c in conns:
                c.close()


class IdleTimeoutTest(harness.ServerTestCase):
    server_args = ("--timeout", "1")

    def test_idle_client_is_closed_and_busy_one_is_not(self):
        idle = RawConnection(self.server.port)
        busy = RawConnection(self.server.port)
        try:
            self.assertEqual(idle.call("PING"), ("+", "PONG"))
            # The busy client keeps talking while the idle one times out.
            closed = []

            def idle_closed():
                self.assertEqual(busy.call("PING"), ("+", "PONG"))
                if idle.closed_by_server(timeout=0.2):
                    closed.append(True)
                return bool(closed)

            wait_for(idle_closed, timeout=10, interval=0.1, what="the idle client to be closed")
            self.assertEqual(busy.call("PING"), ("+", "PONG"))
        finally:
            idle.close()
            busy.close()


class SignalTest(unittest.TestCase):
    def test_sigint_stops_the_server_cleanly_and_keeps_data(self):
        with harness.ShoalServer() as srv:
            srv.client().set("k", "v")
            srv.proc.send_signal(signal.SIGINT)
            self.assertEqual(srv.proc.wait(timeout=30), 0)
            self.assertIn("received SIGINT", srv.log())
            srv.start()
            self.assertEqual(srv.client().get("k"), b"v")


if __name__ == "__main__":
    unittest.main()
