// shoal-server's settings: one typed struct, a table of parameters with
// Redis's names (so CONFIG GET/SET, redis.conf-style files and
// `--name value` flags all speak the same vocabulary), parsing and
// validation. Only server/ uses this; modules take their own Options.
//
// Thread-safety: Config is not thread-safe; the server guards it with a
// mutex (ConfigStore in server/).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace shoal::config {

// shoal-server's version, printed by --version (and reported by INFO).
inline constexpr const char* kVersion = "0.1.0";

struct ServerConfig {
  // network
  std::string bind = "127.0.0.1";
  int port = 6379;
  int threads = 0;  // 0 = number of cores
  int64_t maxclients = 10000;
  int64_t timeout_s = 0;  // idle client timeout; 0 = never
  int tcp_keepalive_s = 300;
  std::string requirepass;
  // storage
  std::string dir = "./data";
  std::string appendfsync = "everysec";  // always | everysec | no
  uint64_t maxmemory_bytes = 0;          // cache bound; 0 = unbounded
  std::string maxmemory_policy = "noeviction";
  int lfu_log_factor = 10;
  int lfu_decay_time_min = 1;
  uint64_t rocksdb_block_cache_bytes = 64ULL << 20;
  uint64_t rocksdb_write_buffer_bytes = 32ULL << 20;
  int hz = 10;  // active expiry cycles per second
  // protocol limits
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  int64_t max_multibulk_len = 1024LL * 1024 * 1024;
  // cluster (DESIGN.md §4-§5); see docs/operations.md "Running a cluster"
  bool cluster_enabled = false;
  int cluster_node_id = 0;           // this node's id, 1.. (never reused)
  std::string cluster_nodes;         // "1@host:port,2@host:port,..." (client ports)
  int cluster_shards = 0;            // 0 = one per node
  int cluster_replicas = 3;          // capped at the number of nodes
  std::string replication = "sync";  // sync | async
  int raft_tick_ms = 50;
  int raft_election_ticks = 10;              // election timeout in ticks (randomized up to 2x)
  bool cluster_read_lease = false;           // leader reads on a lease instead of ReadIndex
  bool cluster_balance_leaders = true;       // hand leadership back to preferred leaders
  int64_t cluster_write_timeout_ms = 5000;   // then "outcome unknown"
  int64_t raft_log_compact_entries = 20000;  // applied entries kept before compaction
  std::string cluster_redirect = "auto";     // auto | moved | forward
  bool fault_injection = false;              // SHOAL.FAULT (tests, fault harness)
  // logging
  std::string loglevel = "notice";
  std::string logfile;  // empty = stderr
  std::string pidfile;
  // Values of compat_only parameters that a file, a flag or CONFIG SET gave,
  // normalised as CONFIG GET reports them and keyed by the parameter's
  // canonical name (an alias such as hash-max-ziplist-entries stores under
  // hash-max-listpack-entries). A parameter absent here reports its Redis 7
  // default. Nothing in shoal acts on these.
  std::map<std::string, std::string> compat;
};

// One parameter of the table.
struct Param {
  std::string name;  // Redis's name, lower case: "maxmemory-policy"
  std::string help;  // one line, shown by --help
  bool mutable_at_runtime = true;
  // Accepted and reported for compatibility with Redis tools; no effect.
  bool compat_only = false;
  std::function<std::string(const ServerConfig&)> get;
  // Parses and stores; a bad value returns InvalidArgument whose message
  // says what is wrong (the caller adds the parameter name).
  std::function<Status(ServerConfig&, std::string_view)> set;
};

// The full table, in a stable order.
const std::vector<Param>& Params();
// Case-insensitive lookup; nullptr if unknown.
const Param* FindParam(std::string_view name);

// "64mb" -> 67108864 with Redis's memtoll units (k=1000, kb=1024, m, mb,
// g, gb, case-insensitive); plain numbers are bytes. Anything else (empty,
// negative, fractional, unknown unit, more than INT64_MAX bytes) returns
// InvalidArgument.
Result<uint64_t> ParseMemory(std::string_view s);

// Applies a redis.conf-style text: one "name value [value...]" per line,
// '#' comments, quoted values as in redis.conf. Errors name the line and
// the parameter ("line 3: 'port': must be an integer in 0..65535").
Status ApplyConfigText(ServerConfig& cfg, std::string_view text);
Status ApplyConfigFile(ServerConfig& cfg, const std::string& path);

// Sets one parameter by name (CONFIG SET and command-line flags). Errors
// are Redis-style texts without the "ERR " prefix, e.g.
// "Unknown option or number of arguments for CONFIG SET - 'foo'" or
// "Invalid argument 'x' for CONFIG SET 'port' - must be an integer".
Status SetParam(ServerConfig& cfg, std::string_view name, std::string_view value);

// SetParam for CONFIG SET on a running server: additionally refuses
// parameters that are not mutable_at_runtime, with "Invalid argument
// '<value>' for CONFIG SET '<name>' - can't set immutable config".
Status SetParamAtRuntime(ServerConfig& cfg, std::string_view name, std::string_view value);

// Cross-field checks run after all sources are applied.
Status Validate(const ServerConfig& cfg);

// Parses argv as redis-server does: an optional config file as the first
// positional argument, then `--name value` for any parameter, plus --help
// and --version (CLI11). Returns the resulting config; on --help/--version
// prints and sets *exit_code to 0, on bad input prints the error naming the
// setting and sets *exit_code to 1. *exit_code stays -1 to continue.
ServerConfig ParseCommandLine(int argc, char** argv, int* exit_code);

}  // namespace shoal::config
