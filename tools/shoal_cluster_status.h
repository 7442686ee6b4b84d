// shoal-cluster's view of a running cluster: what the nodes report in INFO
// raft / INFO cluster, and the shards × nodes table of `status` / `watch`.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tools/shoal_cluster_proc.h"

namespace shoal::tools {

// One `shard_K:role=...,term=...,...` line of INFO raft.
struct ShardInfo {
  int shard = -1;
  std::string role;  // "leader", "follower", "candidate", ...
  uint64_t term = 0;
  int leader = 0;  // 0 = unknown
  uint64_t commit = 0;
  uint64_t applied = 0;
  uint64_t last_index = 0;
  std::vector<int> replicas;
  // Filled on the leader only: follower id -> entries behind, or nullopt
  // when the leader has not heard from it recently ("id:down").
  std::map<int, std::optional<int64_t>> lag;
};

// The shard lines of an INFO raft reply, in order. Other lines and
// malformed fields are skipped: the tool must keep working against servers
// that report more, less, or nothing at all.
std::vector<ShardInfo> ParseInfoRaft(std::string_view text);
// The value of `field:` in an INFO reply; nullopt if absent.
std::optional<std::string> InfoField(std::string_view text, std::string_view field);

// Connects to 127.0.0.1:port and sends each command in one pipeline;
// returns the replies' text (bulk or verbatim). Failed if the node does not
// answer within `timeout` or answers with an error.
Result<std::vector<std::string>> QueryNode(int port,
                                           const std::vector<std::vector<std::string>>& cmds,
                                           std::chrono::milliseconds timeout);

struct NodeReport {
  int node = 0;
  NodeProc proc;
  bool answered = false;
  std::string error;          // why it did not answer, when it did not
  std::string cluster_state;  // INFO cluster's cluster_state, "" if absent
  std::vector<ShardInfo> shards;

  const ShardInfo* Shard(int shard) const;
};

// Probes and queries every node (INFO raft, INFO cluster), all in parallel,
// each bounded by `timeout`. Down and paused nodes are not queried.
std::vector<NodeReport> CollectReports(const ClusterConfig& cfg, std::chrono::milliseconds timeout);

// The node reporting role=leader for `shard` with the highest term; nullopt
// if no answering node leads it.
std::optional<int> FindLeader(const std::vector<NodeReport>& reports, int shard);

// The status text: one line per node, then one row per shard.
std::string RenderStatus(const ClusterConfig& cfg, const std::vector<NodeReport>& reports);

}  // namespace shoal::tools
