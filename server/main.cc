// shoal-server: parses the configuration, opens the keyspace, serves.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "cluster/host.h"
#include "cluster/replicator.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/logging.h"
#include "server/server.h"
#include "storage/keyspace.h"
#include "storage/state_machine.h"

namespace {

shoal::storage::FsyncPolicy FsyncFrom(const std::string& s) {
  if (s == "always") return shoal::storage::FsyncPolicy::kAlways;
  if (s == "no") return shoal::storage::FsyncPolicy::kNo;
  return shoal::storage::FsyncPolicy::kEverySec;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace shoal;
  int exit_code = -1;
  config::ServerConfig cfg = config::ParseCommandLine(argc, argv, &exit_code);
  if (exit_code >= 0) return exit_code;

  auto s = SetupLogging(cfg.loglevel, cfg.logfile);
  if (!s.ok()) {
    std::fprintf(stderr, "shoal-server: %s\n", s.ToString().c_str());
    return 1;
  }
  // A closed client socket must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  storage::KeyspaceOptions ko;
  ko.engine.dir = cfg.dir;
  ko.engine.fsync = FsyncFrom(cfg.appendfsync);
  ko.engine.block_cache_bytes = cfg.rocksdb_block_cache_bytes;
  ko.engine.write_buffer_bytes = cfg.rocksdb_write_buffer_bytes;
  ko.maxmemory_bytes = cfg.maxmemory_bytes;
  ko.policy = storage::ParseEvictionPolicy(cfg.maxmemory_policy)
                  .value_or(storage::EvictionPolicy::kNoEviction);
  auto ks = storage::Keyspace::Open(ko);
  if (!ks.ok()) {
    spdlog::critical("cannot open data directory {}: {}", cfg.dir, ks.status().ToString());
    return 1;
  }
  auto* cs = (*ks)->cache_settings();
  cs->lfu_log_factor = cfg.lfu_log_factor;
  cs->lfu_decay_time_min = cfg.lfu_decay_time_min;

  storage::StateMachine sm(ks->get(), storage::StateMachineOptions{cfg.proto_max_bulk_len});
  cluster::LocalReplicator replicator(&sm);
  server::Server server(cfg, ks->get(), &sm, &replicator, SystemClock::Get());
  s = server.Listen();
  if (!s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  std::unique_ptr<cluster::Host> host;
  if (cfg.cluster_enabled) {
    auto def = cluster::ClusterDefinition::Make(cfg.cluster_nodes, cfg.cluster_shards,
                                                cfg.cluster_replicas, cfg.replication);
    if (!def.ok()) {
      spdlog::critical("{}", def.status().message());
      return 1;
    }
    const cluster::NodeAddress* me = def->Node(static_cast<uint64_t>(cfg.cluster_node_id));
    if (me == nullptr) {
      spdlog::critical("cluster-node-id {} is not in cluster-nodes", cfg.cluster_node_id);
      return 1;
    }
    if (me->port != server.port()) {
      spdlog::critical("cluster-nodes gives node {} port {}, but it listens on {}", me->id,
                       me->port, server.port());
      return 1;
    }
    cluster::HostOptions ho;
    ho.self = me->id;
    ho.bus_host = cfg.bind.substr(0, cfg.bind.find(' '));
    ho.tick_ms = cfg.raft_tick_ms;
    ho.election_ticks = cfg.raft_election_ticks;
    ho.read_lease = cfg.cluster_read_lease;
    ho.balance_leaders = cfg.cluster_balance_leaders;
    ho.compact_entries = cfg.raft_log_compact_entries;
    ho.write_timeout_ms = cfg.cluster_write_timeout_ms;
    ho.async_replication = cfg.replication == "async";
    host = std::make_unique<cluster::Host>(ho, std::move(*def), ks->get(), &sm, SystemClock::Get());
    s = host->Start();
    if (!s.ok()) {
      spdlog::critical("cannot start the cluster host: {}", s.message());
      return 1;
    }
    server.set_host(host.get());
  }
  if (!cfg.pidfile.empty()) {
    std::ofstream(cfg.pidfile) << getpid() << "\n";
  }
  spdlog::info(
      "shoal-server {} started: port {}, dir {}, {} worker threads, appendfsync {}, "
      "maxmemory {} ({}), {} keys",
      config::kVersion, server.port(), cfg.dir, server.workers().size(), cfg.appendfsync,
      cfg.maxmemory_bytes, cfg.maxmemory_policy, (*ks)->key_count());
  spdlog::info("ready to accept connections on {}:{}", cfg.bind, server.port());
  server.Run();
  if (host) host->Stop();
  if (!cfg.pidfile.empty()) std::remove(cfg.pidfile.c_str());
  return 0;
}
