"""Data far larger than maxmemory: 1 GiB through a 64 MB cache.

16,384 keys x 64 KiB values (incompressible bytes derived from the key, so
they can be verified without keeping them) are written with pipelining to a
server started with --maxmemory 64mb --maxmemory-policy allkeys-lru, then
every key is read back (in a shuffled order) and compared byte for byte.
Eviction from the cache must never lose data: what left memory is read back
from RocksDB.

Memory: INFO used_memory_cache must stay within maxmemory, and the process
RSS (sampled every 20 ms by a background thread) within what is configured
to be in memory plus a fixed slack:

    maxmemory                                  64 MB
  + RocksDB block cache (default)              64 MB
  + memtables of the one column family written:
    write buffer 32 MB x max 3 memtables       96 MB
  + slack (allocator, thread stacks, RocksDB
    table readers, connection buffers)         64 MB
  = 288 MB

The measured figures are printed to stderr.
"""
import random
import sys
import threading
import time
import unittest

from harness import ShoalServer

MB = 1024 * 1024
MAXMEMORY = 64 * MB
BLOCK_CACHE = 64 * MB
WRITE_BUFFER = 32 * MB
MAX_MEMTABLES = 3
RSS_SLACK = 64 * MB
RSS_BOUND = MAXMEMORY + BLOCK_CACHE + WRITE_BUFFER * MAX_MEMTABLES + RSS_SLACK
# The cache may run over maxmemory by the records of one write group that
# are pinned until flushed (docs/adr/002); one pipeline here is 2 MiB.
CACHE_SLACK = 4 * MB

NKEYS = 16_384
VALUE_BYTES = 64 * 1024
PIPELINE = 32


def key(i):
    return b"mm:%06d" % i


def value_for(k):
    return random.Random(k).randbytes(VALUE_BYTES)


class RssSampler(threading.Thread):
    def __init__(self, server, interval=0.02):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(self.interval):
            try:
                rss = self.server.rss_bytes()
            except OSError:
                return
            self.peak = max(self.peak, rss)
            self.samples += 1

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)


def mib(n):
    return f"{n / MB:.1f} MiB"


class MaxMemoryTest(unittest.TestCase):

    def test_one_gib_through_64mb_cache_reads_back_exactly_within_bounded_memory(self):
        with ShoalServer("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru") as srv:
            c = srv.client(socket_timeout=60)
            info = c.info("memory")
            self.assertEqual(info["maxmemory"], MAXMEMORY)
            self.assertEqual(info["maxmemory_policy"], "allkeys-lru")
            cfg = c.config_get("rocksdb-*")
            self.assertEqual(int(cfg["rocksdb-block-cache-size"]), BLOCK_CACHE)
            self.assertEqual(int(cfg["rocksdb-write-buffer-size"]), WRITE_BUFFER)

            sampler = RssSampler(srv)
            sampler.start()
            peak = {"used_memory": 0, "used_memory_cache": 0, "used_memory_rocksdb": 0}

            def sample_info():
                m = c.info("memory")
                for f in peak:
                    peak[f] = max(peak[f], m[f])
                self.assertLessEqual(m["used_memory_cache"], MAXMEMORY + CACHE_SLACK,
                                     f"cache over maxmemory: {m}")
                return m

            t0 = time.monotonic()
            p = c.pipeline(transaction=False)
            for i in range(NKEYS):
                p.set(key(i), value_for(key(i)))
                if len(p) == PIPELINE:
                    self.assertTrue(all(r is True for r in p.execute()))
                    sample_info()
            if len(p):
                self.assertTrue(all(r is True for r in p.execute()))
            write_s = time.monotonic() - t0
            after_write = sample_info()
            rss_after_write = srv.rss_bytes()
            self.assertEqual(c.dbsize(), NKEYS)
            stats = c.info("stats")
            self.assertGreater(stats["cache_evictions"], NKEYS // 2)
            self.assertEqual(stats["evicted_keys"], 0)  # leaving the cache deletes nothing

            order = list(range(NKEYS))
            random.Random(99).shuffle(order)
            t0 = time.monotonic()
            wrong = []
            for start in range(0, NKEYS, PIPELINE):
                batch = order[start:start + PIPELINE]
                p = c.pipeline(transaction=False)
                for i in batch:
                    p.get(key(i))
                for i, got in zip(batch, p.execute()):
                    if got != value_for(key(i)):
                        wrong.append((key(i), None if got is None else len(got)))
                if start % (PIPELINE * 16) == 0:
                    sample_info()
            read_s = time.monotonic() - t0
            after_read = sample_info()
            stats2 = c.info("stats")
            sampler.stop()
            rss_end = srv.rss_bytes()
            peak_rss = max(sampler.peak, rss_end, rss_after_write)

            print(f"\n  wrote {NKEYS} x {VALUE_BYTES // 1024} KiB = "
                  f"{mib(NKEYS * VALUE_BYTES)} in {write_s:.1f}s, read back in {read_s:.1f}s\n"
                  f"  peak RSS {mib(peak_rss)} ({sampler.samples} samples); bound {mib(RSS_BOUND)}\n"
                  f"  RSS after write {mib(rss_after_write)}, at end {mib(rss_end)}\n"
                  f"  peak used_memory {mib(peak['used_memory'])}, "
                  f"used_memory_cache {mib(peak['used_memory_cache'])}, "
                  f"used_memory_rocksdb {mib(peak['used_memory_rocksdb'])}\n"
                  f"  after write: used_memory {mib(after_write['used_memory'])}, "
                  f"cache {mib(after_write['used_memory_cache'])}, "
                  f"rocksdb {mib(after_write['used_memory_rocksdb'])}, "
                  f"cache_keys {after_write.get('cache_keys')}\n"
                  f"  after read: used_memory {mib(after_read['used_memory'])}, "
                  f"cache {mib(after_read['used_memory_cache'])}, "
                  f"rocksdb {mib(after_read['used_memory_rocksdb'])}, "
                  f"cache_misses {stats2['cache_misses'] - stats['cache_misses']}",
                  file=sys.stderr)

            self.assertEqual(wrong[:10], [], f"{len(wrong)} keys read back wrong")
            # Most reads had to go to RocksDB: the cache holds < 1/16 of the data.
            self.assertGreater(stats2["cache_misses"] - stats["cache_misses"], NKEYS // 2)
            self.assertLessEqual(peak["used_memory_cache"], MAXMEMORY + CACHE_SLACK)
            # used_memory counts cache + RocksDB memtables and block cache.
            self.assertLessEqual(peak["used_memory"],
                                 MAXMEMORY + CACHE_SLACK + BLOCK_CACHE + WRITE_BUFFER * MAX_MEMTABLES)
            self.assertLess(peak_rss, RSS_BOUND,
                            f"peak RSS {mib(peak_rss)} over {mib(RSS_BOUND)}")
            self.assertTrue(srv.alive())


if __name__ == "__main__":
    unittest.main()
