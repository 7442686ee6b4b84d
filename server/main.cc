// shoal-server: parses the configuration, opens the keyspace, serves.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

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
  if (!cfg.pidfile.empty()) std::remove(cfg.pidfile.c_str());
  return 0;
}
