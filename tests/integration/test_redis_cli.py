"""The real `redis-cli` binary against shoal: commands given as argv, RESP3
mode (-3), commands piped on stdin, -x, -r, --pipe, --scan, --bigkeys,
--csv, authentication and exit codes.

redis-cli writes to a pipe here, so it uses its plain ("raw") output unless
--no-raw asks for the terminal format.
"""
import shutil
import subprocess
import unittest

import harness

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


class RedisCliTestCase(harness.ServerTestCase):
    server_args = ()

    def cli(self, *args, stdin=None, port=None):
        """Runs redis-cli; returns (exit code, stdout, stderr)."""
        proc = subprocess.run(
            [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port or self.server.port)] + list(args),
            input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    def out(self, *args, stdin=None):
        """stdout of a redis-cli run that must exit 0."""
        rc, out, err = self.cli(*args, stdin=stdin)
        self.assertEqual(rc, 0, f"redis-cli {args} failed: {out!r} {err!r}")
        return out


class ArgvCommandsTest(RedisCliTestCase):
    def setUp(self):
        self.assertEqual(self.out("FLUSHALL"), "OK\n")

    def test_ping(self):
        self.assertEqual(self.out("PING"), "PONG\n")
        self.assertEqual(self.out("PING", "hello world"), "hello world\n")

    def test_set_get_and_missing_key(self):
        self.assertEqual(self.out("SET", "greeting", "hello"), "OK\n")
        self.assertEqual(self.out("GET", "greeting"), "hello\n")
        self.assertEqual(self.out("GET", "missing"), "\n")
        self.assertEqual(self.out("--no-raw", "GET", "missing"), "(nil)\n")
        self.assertEqual(self.out("--no-raw", "GET", "greeting"), '"hello"\n')

    def test_integer_replies(self):
        self.assertEqual(self.out("INCR", "counter"), "1\n")
        self.assertEqual(self.out("--no-raw", "INCRBY", "counter", "41"), "(integer) 42\n")
        self.assertEqual(self.out("--no-raw", "TTL", "counter"), "(integer) -1\n")

    def test_array_replies(self):
        self.out("MSET", "a", "1", "b", "2")
        self.assertEqual(self.out("MGET", "a", "missing", "b"), "1\n\n2\n")
        self.assertEqual(self.out("--no-raw", "MGET", "a", "missing", "b"),
                         '1) "1"\n2) (nil)\n3) "2"\n')
        self.assertEqual(self.out("--no-raw", "KEYS", "nomatch*"), "(empty array)\n")

    def test_csv_output(self):
        self.out("MSET", "a", "1", "b", "2")
        self.assertEqual(self.out("--csv", "MGET", "a", "missing", "b"), '"1",NULL,"2"\n')

    def test_error_reply_is_printed(self):
        rc, out, _ = self.cli("NOSUCHCOMMAND", "x")
        self.assertEqual(rc, 0)  # redis-cli exits 0 on an error reply unless -e is given
        self.assertEqual(out.rstrip("\n"),
                         "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ")
        rc, out, _ = self.cli("--no-raw", "INCR", "a", "b")
        self.assertEqual(out.rstrip("\n"),
                         "(error) ERR wrong number of arguments for 'incr' command")

    def test_error_reply_with_e_sets_the_exit_code(self):
        self.out("SET", "s", "abc")
        rc, out, err = self.cli("-e", "INCR", "s")
        self.assertEqual(rc, 1)
        self.assertIn("ERR value is not an integer or out of range", out + err)
        rc, out, _ = self.cli("-e", "INCR", "n")
        self.assertEqual((rc, out), (0, "1\n"))

    def test_config_get_resp2(self):
        self.assertEqual(self.out("CONFIG", "GET", "maxmemory"), "maxmemory\n0\n")
        self.assertEqual(self.out("--no-raw", "CONFIG", "GET", "maxmemory"),
                         '1) "maxmemory"\n2) "0"\n')

    def test_info_section(self):
        out = self.out("INFO", "server")
        lines = out.splitlines()
        self.assertEqual(lines[0].rstrip("\r"), "# Server")
        self.assertTrue(any(l.startswith("redis_version:7.") for l in lines))
        self.assertIn(f"tcp_port:{self.server.port}", [l.rstrip("\r") for l in lines])

    def test_repeat_option(self):
        self.assertEqual(self.out("-r", "3", "INCR", "rr"), "1\n2\n3\n")

    def test_x_reads_last_argument_from_stdin(self):
        self.assertEqual(self.out("-x", "SET", "fromstdin", stdin="hello\nworld"), "OK\n")
        self.assertEqual(self.out("STRLEN", "fromstdin"), "11\n")
        self.assertEqual(self.out("GET", "fromstdin"), "hello\nworld\n")

    def test_select_other_db_is_refused(self):
        rc, out, err = self.cli("-n", "1", "PING")
        self.assertIn("ERR SELECT is not allowed in cluster mode", out + err)


class Resp3ModeTest(RedisCliTestCase):
    def setUp(self):
        self.assertEqual(self.out("FLUSHALL"), "OK\n")

    def test_map_reply(self):
        self.assertEqual(self.out("-3", "CONFIG", "GET", "maxmemory"), "maxmemory 0\n")
        self.assertEqual(self.out("-3", "--no-raw", "CONFIG", "GET", "maxmemory"),
                         '1# "maxmemory" => "0"\n')

    def test_null_reply(self):
        self.assertEqual(self.out("-3", "--no-raw", "GET", "missing"), "(nil)\n")
        self.assertEqual(self.out("-3", "GET", "missing"), "\n")

    def test_hello_handshake(self):
        lines = self.out("-3", "--no-raw", "HELLO", "3").splitlines()
        self.assertEqual(lines[0], '1# "server" => "redis"')
        self.assertTrue(lines[1].startswith('2# "version" => "7.'), lines[1])
        self.assertEqual(lines[2], '3# "proto" => (integer) 3')
        self.assertIn('5# "mode" => "standalone"', lines)
        self.assertIn('6# "role" => "master"', lines)
        self.assertIn('7# "modules" => (empty array)', lines)

    def test_verbatim_replies_print_as_text(self):
        out = self.out("-3", "--no-raw", "CLIENT", "INFO")
        self.assertTrue(out.startswith("id="), out[:40])
        self.assertIn("resp=3", out.split())
        out = self.out("-3", "INFO", "server")
        self.assertTrue(out.startswith("# Server"), out[:40])

    def test_set_replies(self):
        out = self.out("-3", "--no-raw", "COMMAND", "INFO", "get")
        self.assertIn("1~ readonly", out)
        self.assertIn("2~ fast", out)


class StdinScriptTest(RedisCliTestCase):
    def setUp(self):
        self.assertEqual(self.out("FLUSHALL"), "OK\n")

    def test_commands_piped_on_stdin(self):
        script = "SET a 1\nINCR a\nGET a\nGET missing\nSET 'spaced key' \"two words\"\nGET 'spaced key'\n"
        self.assertEqual(self.out(stdin=script), "OK\n2\n2\n\nOK\ntwo words\n")

    def test_error_in_piped_script_does_not_stop_it(self):
        rc, out, _ = self.cli(stdin="SET s abc\nINCR s\nPING\n")
        self.assertEqual(rc, 0)
        self.assertEqual(out.splitlines(),
                         ["OK", "ERR value is not an integer or out of range", "", "PONG"])

    def test_pipe_mode_sends_raw_protocol(self):
        payload = "".join(
            harness.raw_command("SET", f"bulk:{i}", f"value-{i}").decode() for i in range(100))
        payload += harness.raw_command("INCR", "bulk:counter").decode()
        rc, out, _ = self.cli("--pipe", stdin=payload)
        self.assertEqual(rc, 0)
        self.assertIn("errors: 0, replies: 101", out)
        self.assertEqual(self.out("DBSIZE"), "101\n")
        self.assertEqual(self.out("GET", "bulk:42"), "value-42\n")

    def test_pipe_mode_counts_errors(self):
        payload = (harness.raw_command("SET", "k", "v") + harness.raw_command("NOSUCHCOMMAND") +
                   harness.raw_command("GET", "k")).decode()
        rc, out, _ = self.cli("--pipe", stdin=payload)
        self.assertEqual(rc, 1)
        self.assertIn("errors: 1, replies: 3", out)


class ScanAndBigKeysTest(RedisCliTestCase):
    def setUp(self):
        self.assertEqual(self.out("FLUSHALL"), "OK\n")

    def test_scan_with_pattern(self):
        r = self.server.client()
        try:
            r.mset({f"user:{i}": "v" for i in range(150)})
            r.mset({f"other:{i}": "v" for i in range(20)})
        finally:
            r.close()
        out = self.out("--scan", "--pattern", "user:*")
        self.assertEqual(sorted(out.splitlines()), sorted(f"user:{i}" for i in range(150)))
        self.assertEqual(len(self.out("--scan").splitlines()), 170)
        self.assertEqual(self.out("--scan", "--pattern", "nomatch*"), "")

    def test_bigkeys(self):
        r = self.server.client()
        try:
            for i in range(1, 6):
                r.set(f"user:{i}", f"v{i}")
            r.set("other:1", "x")
            r.set("big:1", "a" * 100)
        finally:
            r.close()
        out = self.out("--bigkeys")
        self.assertIn("Sampled 7 keys in the keyspace!", out)
        self.assertIn("Total key length in bytes is 42 (avg len 6.00)", out)
        self.assertIn("Biggest string found '\"big:1\"' has 100 bytes", out)
        self.assertIn("7 strings with 111 bytes (100.00% of keys, avg size 15.86)", out)
        self.assertIn("0 hashs with 0 fields (00.00% of keys, avg size 0.00)", out)

    def test_bigkeys_on_empty_keyspace(self):
        out = self.out("--bigkeys")
        self.assertIn("Sampled 0 keys in the keyspace!", out)


class AuthTest(RedisCliTestCase):
    server_args = ("--requirepass", "s3cret")

    def test_without_password(self):
        rc, out, _ = self.cli("PING")
        self.assertEqual(rc, 0)
        self.assertEqual(out.rstrip("\n"), "NOAUTH Authentication required.")

    def test_with_password(self):
        self.assertEqual(self.out("-a", "s3cret", "--no-auth-warning", "PING"), "PONG\n")
        self.assertEqual(self.out("--pass", "s3cret", "--no-auth-warning", "SET", "k", "v"), "OK\n")
        self.assertEqual(self.out("--user", "default", "--pass", "s3cret", "--no-auth-warning",
                                  "GET", "k"), "v\n")

    def test_with_wrong_password(self):
        rc, out, err = self.cli("-a", "wrong", "--no-auth-warning", "PING")
        self.assertIn("AUTH failed: WRONGPASS invalid username-password pair or user is disabled.",
                      out + err)
        self.assertIn("NOAUTH Authentication required.", out + err)

    def test_password_from_environment(self):
        proc = subprocess.run(
            [REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.server.port), "PING"],
            env={"REDISCLI_AUTH": "s3cret", "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        self.assertEqual((proc.returncode, proc.stdout), (0, "PONG\n"))


class ConnectionFailureTest(unittest.TestCase):
    def test_no_server_listening(self):
        port = harness.free_port()
        proc = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), "PING"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"Could not connect to Redis at 127.0.0.1:{port}: Connection refused",
                      proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()
