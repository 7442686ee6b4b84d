"""What the benchmark scripts in bench/ share: starting and stopping one
redis-server or shoal-server on a free loopback port, RESP encoding, and
the facts about the machine and the binaries a report starts with.

The scripts run as `python3 bench/x.py`, so bench/ is on sys.path and they
`import servers`. Nothing here prints or exits: a server that does not come
up raises ServerError with a message that says which and why, and each
script's main turns that into its own exit.
"""
import os
import platform
import re
import signal
import socket
import subprocess
import time
from typing import NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The shoal-server a script uses unless told otherwise.
SHOAL_SERVER = os.environ.get("SHOAL_SERVER",
                              os.path.join(ROOT, "build", "server", "shoal-server"))
READY_POLL_S = 0.05       # pause between two readiness probes
PROBE_TIMEOUT_S = 5.0     # most one probe's connect and reply may take
LOG_TAIL_BYTES = 2000     # how much of a failed server's log an error quotes
VERSION_TIMEOUT_S = 10


class ServerError(Exception):
    """A server exited or did not answer in time; the message names the
    server, its port and the end of its log."""


class Server(NamedTuple):
    proc: subprocess.Popen
    port: int


def free_port():
    """A loopback TCP port nothing listens on right now (the kernel's pick;
    another process may still take it before the server binds it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def encode(*args):
    """One command as a RESP2 array of bulk strings. bytes are sent as they
    are; anything else (str, int, float) as the UTF-8 of str()."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, (bytes, bytearray)) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _reply_line(sock):
    buf = b""
    while b"\r\n" not in buf:
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf.split(b"\r\n", 1)[0]


def _answers(port, probe_write, timeout_s):
    """True if the server on `port` answers PING with PONG or, with
    probe_write, SET with OK (a shoal node takes writes only once it has
    elected itself)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        if not probe_write:
            s.sendall(b"PING\r\n")
            return _reply_line(s) == b"+PONG"
        s.sendall(encode("SET", "__bench_ready", "1"))
        if _reply_line(s) != b"+OK":
            return False
        s.sendall(encode("DEL", "__bench_ready"))
        _reply_line(s)
        return True


def _log_tail(path):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - LOG_TAIL_BYTES))
            text = f.read().decode(errors="replace").strip()
    except OSError:
        return ""
    return f"; its log ends:\n{text}" if text else "; its log is empty"


def wait_ready(port, proc, name, timeout_s=30, probe_write=False, log=None):
    """Returns once the server `proc` listening on `port` answers (see
    _answers). Raises ServerError if it exits first or has not answered
    after timeout_s seconds; the message quotes the end of `log` if given."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{name} on port {port} exited early "
                              f"(status {proc.returncode}){_log_tail(log) if log else ''}")
        try:
            left_s = deadline - time.monotonic()
            if _answers(port, probe_write, max(0.1, min(left_s, PROBE_TIMEOUT_S))):
                return
        except OSError:
            pass
        time.sleep(READY_POLL_S)
    raise ServerError(f"{name} on port {port} not ready after {timeout_s} s"
                      f"{_log_tail(log) if log else ''}")


def start(kind, workdir, shoal_bin=SHOAL_SERVER, redis_aof=True, cpus=None,
          timeout_s=30, probe_write=False):
    """Starts a server of `kind` ("redis" or "shoal") on a free loopback
    port, in the new directory workdir/kind (its output goes to
    workdir/kind/log), and waits until it answers (see wait_ready).

    redis: redis-server from PATH, no RDB snapshots; with redis_aof
    `--appendonly yes --appendfsync everysec`, else `--appendonly no`.
    shoal: shoal_bin with `--appendfsync everysec --loglevel warning` and
    its data in workdir/kind/db.
    cpus: a set of CPU numbers the server is pinned to (None: not pinned).

    Returns Server(proc, port). Raises ServerError if it does not come up;
    the process is stopped first."""
    port = free_port()
    d = os.path.join(workdir, kind)
    os.makedirs(d)
    if kind == "redis":
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
               "--save", ""]
        cmd += ["--appendonly", "yes", "--appendfsync", "everysec"] if redis_aof else \
            ["--appendonly", "no"]
    elif kind == "shoal":
        cmd = [shoal_bin, "--port", str(port), "--dir", os.path.join(d, "db"),
               "--appendfsync", "everysec", "--loglevel", "warning"]
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    log = os.path.join(d, "log")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pin)
    try:
        wait_ready(port, proc, f"{kind}-server", timeout_s, probe_write, log)
    except ServerError:
        stop(proc)
        raise
    return Server(proc, port)


def stop(proc, timeout_s=30):
    """Stops a server: SIGTERM, and SIGKILL if it has not exited within
    timeout_s seconds. Returns once it has exited."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def version(cmd):
    """The stripped stdout of running cmd (e.g. [binary, "--version"]), or
    "? (<error>)" if it cannot be run."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=VERSION_TIMEOUT_S).stdout.strip()
    except OSError as e:
        return f"? ({e})"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name")), "?")
    except OSError:
        return "?"


def _ram():
    try:
        with open("/proc/meminfo") as f:
            return f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "?"


def machine_facts(shoal_bin, redis_tools=("redis-server",), ram=False, load_average=False):
    """The lines a report starts with: the machine (host, cores, CPU model,
    with `ram` its memory, the kernel, with `load_average` the 1-minute load
    average), the --version of each of redis_tools (the first line headed
    "redis:"), and shoal_bin's --version with its path and the git describe
    of this checkout."""
    machine = (f"machine: {platform.node()}  {os.cpu_count()} cores "
               f"({len(os.sched_getaffinity(0))} usable)  {_cpu_model()}  ")
    if ram:
        machine += f"{_ram()} RAM  "
    machine += f"Linux {platform.release()}"
    if load_average:
        machine += f"  load average {os.getloadavg()[0]:.2f}"
    lines = [machine]
    for i, tool in enumerate(redis_tools):
        lines.append(f"{'redis:' if i == 0 else '':<9}{version([tool, '--version'])}")
    git = version(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    lines.append(f"shoal:   {version([shoal_bin, '--version'])}  ({shoal_bin}, git {git})")
    return lines


# ---- cluster facts from INFO raft (bench/failover.py, replication_modes.py)

IN_SYNC_LAG = 100  # the in-sync bound of `shoal-cluster status`


def port_bindable(port):
    """True if a server could bind 127.0.0.1:port now (connections of an
    earlier run in TIME_WAIT do not make it busy: SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def parse_raft(info):
    """INFO raft -> {shard: {field: value}}, with "lag" as {node: int or
    None} and "replicas" as a list of node ids."""
    shards = {}
    for line in info.splitlines():
        m = re.match(r"^shard_(\d+):(.*)$", line.strip())
        if not m:
            continue
        f = dict(kv.partition("=")[::2] for kv in m.group(2).split(","))
        lag = {}
        for item in filter(None, f.get("lag", "").split(";")):
            n, _, v = item.partition(":")
            lag[int(n)] = int(v) if re.fullmatch(r"-?\d+", v) else None
        f["lag"] = lag
        f["replicas"] = [int(x) for x in filter(None, f.get("replicas", "").split(";"))]
        shards[int(m.group(1))] = f
    return shards


def leaders(reports):
    """{shard: node} from the nodes that say they lead it ({node: parse_raft})."""
    return {s: node for node, shards in reports.items()
            for s, f in shards.items() if f.get("role") == "leader"}


def in_sync(reports, shards, replicas):
    """(ok, why): every shard has a leader that lists `replicas` replicas, all
    others at a numeric lag <= IN_SYNC_LAG."""
    led = leaders(reports)
    for s in range(shards):
        if s not in led:
            return False, f"shard {s}: no leader"
        f = reports[led[s]][s]
        if len(f["replicas"]) != replicas:
            return False, f"shard {s}: replicas={f['replicas']}"
        for r in f["replicas"]:
            if r == led[s]:
                continue
            lag = f["lag"].get(r)
            if lag is None or lag < 0 or lag > IN_SYNC_LAG:
                return False, f"shard {s}: node {r} lag={f['lag'].get(r, 'missing')}"
    return True, ""
