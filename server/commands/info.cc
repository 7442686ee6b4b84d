// INFO: Redis's sections (server, clients, memory, persistence, stats,
// replication, cpu, keyspace, commandstats) with shoal's own fields added.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "config/config.h"
#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/server.h"

namespace shoal::server {
namespace {

std::string Human(uint64_t bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f%s", v, units[u]);
  }
  return buf;
}

uint64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

class InfoWriter {
 public:
  void Section(const char* name) {
    if (!text_.empty()) text_ += "\r\n";
    text_ += "# ";
    text_ += name;
    text_ += "\r\n";
  }
  template <typename T>
  void Field(std::string_view name, const T& v) {
    text_.append(name);
    text_ += ':';
    if constexpr (std::is_arithmetic_v<T>) {
      text_ += std::to_string(v);
    } else {
      text_ += v;
    }
    text_ += "\r\n";
  }
  std::string& text() { return text_; }

 private:
  std::string text_;
};

void ServerSection(CommandContext& ctx, InfoWriter& w, const config::ServerConfig& cfg) {
  auto& srv = ctx.server;
  int64_t uptime_s = (ctx.now_ms - srv.start_time_ms()) / 1000;
  w.Section("Server");
  w.Field("redis_version", "7.0.0");
  w.Field("shoal_version", config::kVersion);
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_mode", "standalone");
  w.Field("os", "Linux");
  w.Field("arch_bits", 64);
  w.Field("multiplexing_api", "epoll");
  w.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
  w.Field("process_id", static_cast<int64_t>(getpid()));
  w.Field("run_id", srv.run_id());
  w.Field("tcp_port", srv.port());
  w.Field("server_time_usec", ctx.now_ms * 1000);
  w.Field("uptime_in_seconds", uptime_s);
  w.Field("uptime_in_days", uptime_s / 86400);
  w.Field("hz", cfg.hz);
  w.Field("worker_threads", static_cast<int64_t>(srv.workers().size()));
}

void ClientsSection(CommandContext& ctx, InfoWriter& w, const config::ServerConfig& cfg) {
  w.Section("Clients");
  w.Field("connected_clients", static_cast<uint64_t>(ctx.server.client_count()));
  w.Field("maxclients", cfg.maxclients);
  w.Field("blocked_clients", ctx.server.blocking().waiting());
  w.Field("tracking_clients", 0);
}

void MemorySection(CommandContext& ctx, InfoWriter& w, const config::ServerConfig& cfg) {
  auto& ks = ctx.ks();
  uint64_t cache = ks.cache_bytes();
  uint64_t rocks = ks.engine()->MemoryUsageBytes();
  uint64_t used = cache + rocks;
  uint64_t rss = RssBytes();
  w.Section("Memory");
  w.Field("used_memory", used);
  w.Field("used_memory_human", Human(used));
  w.Field("used_memory_rss", rss);
  w.Field("used_memory_rss_human", Human(rss));
  w.Field("used_memory_cache", cache);
  w.Field("used_memory_cache_human", Human(cache));
  w.Field("used_memory_rocksdb", rocks);
  w.Field("used_memory_rocksdb_human", Human(rocks));
  w.Field("cache_keys", ks.cache_entries());
  w.Field("maxmemory", cfg.maxmemory_bytes);
  w.Field("maxmemory_human", Human(cfg.maxmemory_bytes));
  w.Field("maxmemory_policy", cfg.maxmemory_policy);
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "%.2f", used ? static_cast<double>(rss) / used : 0.0);
  w.Field("mem_fragmentation_ratio", std::string(ratio));
}

void PersistenceSection(CommandContext& ctx, InfoWriter& w, const config::ServerConfig& cfg) {
  w.Section("Persistence");
  w.Field("loading", 0);
  w.Field("aof_enabled", 1);
  w.Field("appendfsync", cfg.appendfsync);
  w.Field("rdb_changes_since_last_save", ctx.server.state_machine().changes());
  w.Field("rdb_bgsave_in_progress", 0);
  w.Field("rdb_last_save_time", ctx.server.start_time_ms() / 1000);
  w.Field("aof_rewrite_in_progress", 0);
  w.Field("rocksdb_disk_bytes", ctx.ks().engine()->DiskUsageBytes());
  // Collection members on disk, stale ones included until compaction.
  w.Field("rocksdb_member_records_estimate", ctx.ks().engine()->EstimateRecords(storage::Cf::kSub));
}

void StatsSection(CommandContext& ctx, InfoWriter& w) {
  auto& s = ctx.server.stats();
  auto& ks = ctx.ks();
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  w.Section("Stats");
  w.Field("total_connections_received", ld(s.connections_received));
  w.Field("total_commands_processed", ld(s.commands_processed));
  w.Field("instantaneous_ops_per_sec", ld(s.ops_last_second));
  w.Field("total_net_input_bytes", ld(s.net_input_bytes));
  w.Field("total_net_output_bytes", ld(s.net_output_bytes));
  w.Field("rejected_connections", ld(s.rejected_connections));
  w.Field("expired_keys", ld(s.expired_keys));
  // Leaving the cache deletes nothing in shoal, so no key is ever evicted
  // in Redis's sense; cache_evictions counts records dropped from memory.
  w.Field("evicted_keys", 0);
  w.Field("cache_evictions", ld(ks.cache_settings()->evicted));
  w.Field("keyspace_hits", ks.keyspace_hits());
  w.Field("keyspace_misses", ks.keyspace_misses());
  w.Field("cache_hits", ks.cache_hits());
  w.Field("cache_misses", ks.cache_misses());
  w.Field("pubsub_channels", ctx.server.pubsub().ChannelCount(false));
  w.Field("pubsub_patterns", ctx.server.pubsub().NumPat());
  w.Field("pubsubshard_channels", ctx.server.pubsub().ChannelCount(true));
  w.Field("client_output_buffer_limit_disconnections", ld(s.output_limit_disconnections));
  w.Field("keyspace_notifications", ld(s.keyspace_notifications));
  w.Field("total_error_replies", ld(s.error_replies));
  w.Field("protocol_errors", ld(s.protocol_errors));
}

void ReplicationSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Replication");
  w.Field("role", "master");
  w.Field("connected_slaves", 0);
  w.Field("master_replid", ctx.server.run_id());
  w.Field("master_repl_offset", 0);
}

void CpuSection(InfoWriter& w) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(t.tv_sec),
                  static_cast<long>(t.tv_usec));
    return std::string(buf);
  };
  w.Section("CPU");
  w.Field("used_cpu_sys", secs(ru.ru_stime));
  w.Field("used_cpu_user", secs(ru.ru_utime));
}

void KeyspaceSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Keyspace");
  int64_t keys = ctx.ks().key_count();
  if (keys > 0) {
    w.Field("db0", "keys=" + std::to_string(keys) +
                       ",expires=" + std::to_string(ctx.ks().keys_with_expiry()) + ",avg_ttl=0");
  }
}

// Each local shard replica: role, term, leader, commit and applied index;
// on the leader the lag of each follower (entries behind, or "down").
void RaftSection(CommandContext& ctx, InfoWriter& w, const config::ServerConfig& cfg) {
  w.Section("Raft");
  cluster::Host* host = ctx.server.host();
  if (host == nullptr) return;
  auto shards = host->Shards();
  w.Field("raft_node_id", host->self());
  w.Field("raft_tick_ms", cfg.raft_tick_ms);
  w.Field("raft_election_ticks", cfg.raft_election_ticks);
  w.Field("raft_groups", std::count_if(shards.begin(), shards.end(),
                                       [](const cluster::ShardInfo& s) { return s.local; }));
  auto st = host->stats();
  w.Field("raft_rounds", st.rounds);
  w.Field("raft_flushes", st.flushes);
  w.Field("raft_proposals", st.proposals);
  w.Field("raft_reads", st.reads);
  w.Field("raft_snapshots_sent", st.snapshots_sent);
  w.Field("raft_snapshots_installed", st.snapshots_installed);
  w.Field("bus_pubsub_dropped", st.broadcasts_dropped);
  w.Field("raft_compactions", st.compactions);
  w.Field("raft_replication", host->def().replication());
  w.Field("raft_async_resyncs", st.resyncs);
  w.Field("raft_async_resyncs_served", st.resyncs_served);
  w.Field("raft_draining", host->draining() ? 1 : 0);
  for (const auto& s : shards) {
    if (!s.local) continue;
    std::string v = "role=" + s.role + ",term=" + std::to_string(s.term) +
                    ",leader=" + std::to_string(s.leader) + ",commit=" + std::to_string(s.commit) +
                    ",applied=" + std::to_string(s.applied) +
                    ",last_index=" + std::to_string(s.last_index) +
                    ",first_index=" + std::to_string(s.first_index) + ",replicas=";
    for (size_t i = 0; i < s.replicas.size(); ++i) {
      if (i > 0) v += ';';
      v += std::to_string(s.replicas[i]);
    }
    v += ",lag=";
    for (size_t i = 0; i < s.lag.size(); ++i) {
      if (i > 0) v += ';';
      v += std::to_string(s.lag[i].first) + ":" +
           (s.lag[i].second < 0 ? std::string("down") : std::to_string(s.lag[i].second));
    }
    if (s.resyncing) v += ",resyncing=1";
    w.Field("shard_" + std::to_string(s.shard), v);
  }
}

void ClusterSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Cluster");
  cluster::Host* host = ctx.server.host();
  w.Field("cluster_enabled", host != nullptr ? 1 : 0);
  if (host == nullptr) return;
  uint32_t with_leader = host->ShardsWithLeader();
  w.Field("cluster_node_id", host->self());
  w.Field("cluster_nodes", host->def().nodes().size());
  w.Field("cluster_shards", host->def().shards());
  w.Field("cluster_replicas", host->def().replicas());
  w.Field("cluster_replication", host->def().replication());
  w.Field("cluster_shards_with_leader", with_leader);
  uint32_t led = 0;
  for (uint32_t s = 0; s < host->def().shards(); ++s) led += host->LeadsShard(s) ? 1 : 0;
  w.Field("cluster_shards_led", led);
  w.Field("cluster_state", with_leader == host->def().shards() ? "ok" : "fail");
}

void CommandStatsSection(CommandContext& ctx, InfoWriter& w) {
  w.Section("Commandstats");
  const auto& table = CommandTable::Get();
  auto specs = table.with_subcommands();
  for (size_t i = 0; i < specs.size(); ++i) {
    auto t = ctx.server.TotalsFor(i);
    if (t.calls == 0 && t.rejected == 0) continue;
    char per[32];
    std::snprintf(per, sizeof(per), "%.2f", t.calls ? static_cast<double>(t.usec) / t.calls : 0.0);
    w.Field("cmdstat_" + std::string(specs[i]->name),
            "calls=" + std::to_string(t.calls) + ",usec=" + std::to_string(t.usec) +
                ",usec_per_call=" + per + ",rejected_calls=" + std::to_string(t.rejected) +
                ",failed_calls=" + std::to_string(t.failed));
  }
}

}  // namespace

void InfoCmd(CommandContext& ctx, Args a) {
  static const std::set<std::string> kDefault = {"server",      "clients",  "memory",
                                                 "persistence", "stats",    "replication",
                                                 "cpu",         "keyspace", "cluster"};
  std::set<std::string> want;
  bool all = false;
  if (a.size() == 1) want = kDefault;
  for (size_t i = 1; i < a.size(); ++i) {
    std::string s = ToLower(a[i]);
    if (s == "default") {
      want.insert(kDefault.begin(), kDefault.end());
    } else if (s == "all" || s == "everything") {
      all = true;
    } else {
      want.insert(s);
    }
  }
  auto has = [&](const char* s) { return all || want.count(s) > 0; };
  auto cfg = ctx.server.config();
  InfoWriter w;
  if (has("server")) ServerSection(ctx, w, cfg);
  if (has("clients")) ClientsSection(ctx, w, cfg);
  if (has("memory")) MemorySection(ctx, w, cfg);
  if (has("persistence")) PersistenceSection(ctx, w, cfg);
  if (has("stats")) StatsSection(ctx, w);
  if (has("replication")) ReplicationSection(ctx, w);
  if (has("cpu")) CpuSection(w);
  if (has("commandstats")) CommandStatsSection(ctx, w);
  if (has("keyspace")) KeyspaceSection(ctx, w);
  if (has("cluster")) ClusterSection(ctx, w);
  if (has("raft")) RaftSection(ctx, w, cfg);
  ctx.out.Verbatim("txt", w.text());
}

}  // namespace shoal::server
