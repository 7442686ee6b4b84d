// The parameter table: shoal's own settings first, then the compat_only
// ones. Names, ranges and reported forms follow Redis 7 where Redis has the
// setting, so CONFIG GET/SET behave as tools expect.
#include <utility>

#include "config/config.h"
#include "config/param_builders.h"
#include "core/strutil.h"

namespace shoal::config {
namespace {

using internal::EnumParam;
using internal::Immutable;
using internal::IntParam;
using internal::kInt64Max;
using internal::kIntMax;
using internal::MemoryParam;
using internal::StringParam;
using internal::YesNoParam;

constexpr uint64_t kKb = 1024;
constexpr uint64_t kMb = 1024 * kKb;

std::vector<Param> BuildParams() {
  std::vector<Param> t;
  // network
  t.push_back(Immutable(StringParam(
      "bind", "addresses to listen on, space separated (\"127.0.0.1 ::1\")", &ServerConfig::bind,
      /*allow_empty=*/false)));
  t.push_back(Immutable(IntParam("port", "TCP port to listen on (0 = any free port)",
                                 &ServerConfig::port, 0, 65535)));
  t.push_back(Immutable(IntParam("threads", "worker threads (0 = cores - 1, at least 1)",
                                 &ServerConfig::threads, 0, 256)));
  t.push_back(IntParam("maxclients", "maximum number of connected clients",
                       &ServerConfig::maxclients, 1, kInt64Max));
  t.push_back(IntParam("timeout", "close a client idle for this many seconds (0 = never)",
                       &ServerConfig::timeout_s, 0, kIntMax));
  t.push_back(IntParam("tcp-keepalive", "TCP keepalive period in seconds (0 = off)",
                       &ServerConfig::tcp_keepalive_s, 0, kIntMax));
  t.push_back(StringParam("requirepass", "password clients must AUTH with (empty = none)",
                          &ServerConfig::requirepass, /*allow_empty=*/true));
  // storage
  t.push_back(Immutable(StringParam("dir", "data directory (RocksDB and Raft state)",
                                    &ServerConfig::dir, /*allow_empty=*/false)));
  t.push_back(EnumParam("appendfsync", "when the log is fsynced: always, everysec or no",
                        &ServerConfig::appendfsync, {"always", "everysec", "no"}));
  t.push_back(MemoryParam("maxmemory", "bound of the in-memory cache (0 = unbounded)",
                          &ServerConfig::maxmemory_bytes, 0));
  t.push_back(EnumParam("maxmemory-policy", "what the cache evicts when maxmemory is reached",
                        &ServerConfig::maxmemory_policy,
                        {"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
                         "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}));
  t.push_back(IntParam("lfu-log-factor", "LFU counter logarithm factor",
                       &ServerConfig::lfu_log_factor, 0, kIntMax));
  t.push_back(IntParam("lfu-decay-time", "minutes after which an LFU counter is halved",
                       &ServerConfig::lfu_decay_time_min, 0, kIntMax));
  t.push_back(Immutable(MemoryParam("rocksdb-block-cache-size", "RocksDB block cache size",
                                    &ServerConfig::rocksdb_block_cache_bytes, 0)));
  // RocksDB silently raises smaller write buffers to 64kb; refusing them
  // keeps CONFIG GET truthful.
  t.push_back(
      Immutable(MemoryParam("rocksdb-write-buffer-size", "RocksDB memtable size (at least 64kb)",
                            &ServerConfig::rocksdb_write_buffer_bytes, 64 * kKb)));
  t.push_back(IntParam("hz", "background task frequency (active expiry) per second",
                       &ServerConfig::hz, 1, 500));
  // protocol limits; Redis 7 refuses limits under 1mb for these two.
  t.push_back(MemoryParam("proto-max-bulk-len", "largest bulk string a request may carry",
                          &ServerConfig::proto_max_bulk_len, kMb));
  t.push_back(MemoryParam("client-query-buffer-limit", "largest query buffer of one client",
                          &ServerConfig::client_query_buffer_limit, kMb));
  t.push_back(IntParam("max-multibulk-len", "most arguments one request may carry",
                       &ServerConfig::max_multibulk_len, 1, kInt64Max));
  // logging
  t.push_back(EnumParam("loglevel", "debug, verbose, notice, warning or nothing",
                        &ServerConfig::loglevel,
                        {"debug", "verbose", "notice", "warning", "nothing"}));
  t.push_back(Immutable(StringParam("logfile", "log file path (empty = stderr)",
                                    &ServerConfig::logfile, /*allow_empty=*/true)));
  t.push_back(Immutable(StringParam("pidfile", "write the process id to this file (empty = none)",
                                    &ServerConfig::pidfile, /*allow_empty=*/true)));

  // cluster
  t.push_back(Immutable(YesNoParam("cluster-enabled", "run as a node of a shoal cluster",
                                   &ServerConfig::cluster_enabled)));
  t.push_back(Immutable(IntParam("cluster-node-id", "this node's id in cluster-nodes (1..)",
                                 &ServerConfig::cluster_node_id, 0, 65535)));
  t.push_back(Immutable(StringParam("cluster-nodes",
                                    "every node: id@host:port,... (client ports; bus = port+10000)",
                                    &ServerConfig::cluster_nodes, /*allow_empty=*/true)));
  t.push_back(Immutable(IntParam("cluster-shards", "shards (Raft groups); 0 = one per node",
                                 &ServerConfig::cluster_shards, 0, 4096)));
  t.push_back(Immutable(IntParam("cluster-replicas", "replicas per shard (capped at the nodes)",
                                 &ServerConfig::cluster_replicas, 1, 7)));
  t.push_back(Immutable(EnumParam("replication", "sync (quorum before ack) or async",
                                  &ServerConfig::replication, {"sync", "async"})));
  t.push_back(Immutable(IntParam("raft-tick-ms", "Raft tick (heartbeat interval) in milliseconds",
                                 &ServerConfig::raft_tick_ms, 10, 10000)));
  t.push_back(Immutable(IntParam("raft-election-ticks",
                                 "ticks without a leader before an election (randomized to 2x)",
                                 &ServerConfig::raft_election_ticks, 3, 1000)));
  t.push_back(Immutable(YesNoParam("cluster-read-lease",
                                   "leaders serve reads on a lease instead of a ReadIndex round",
                                   &ServerConfig::cluster_read_lease)));
  t.push_back(Immutable(YesNoParam("cluster-balance-leaders",
                                   "hand leadership back to each shard's preferred leader",
                                   &ServerConfig::cluster_balance_leaders)));
  t.push_back(IntParam("cluster-write-timeout",
                       "milliseconds before a proposed write is answered as outcome unknown",
                       &ServerConfig::cluster_write_timeout_ms, 100, kInt64Max));
  t.push_back(IntParam("raft-log-compact-entries",
                       "applied Raft log entries kept before the log is compacted",
                       &ServerConfig::raft_log_compact_entries, 100, kInt64Max));
  t.push_back(EnumParam("cluster-redirect",
                        "non-leader replies: auto (MOVED for cluster clients), moved or forward",
                        &ServerConfig::cluster_redirect, {"auto", "moved", "forward"}));
  t.push_back(Immutable(YesNoParam(
      "fault-injection", "allow SHOAL.FAULT to cut this node's bus links (tests, fault harness)",
      &ServerConfig::fault_injection)));

  internal::AppendCompatParams(&t);
  return t;
}

}  // namespace

const std::vector<Param>& Params() {
  static const std::vector<Param>* const kParams = new std::vector<Param>(BuildParams());
  return *kParams;
}

const Param* FindParam(std::string_view name) {
  for (const Param& p : Params()) {
    if (EqualsIgnoreCase(p.name, name)) return &p;
  }
  return nullptr;
}

}  // namespace shoal::config
