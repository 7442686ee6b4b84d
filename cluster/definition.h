// The cluster definition every node starts with (DESIGN.md §5): node ids
// and client addresses, the number of shards, replicas per shard and the
// replication mode. From it every node derives the same placement: slot
// -> shard (consistent-hash ring), shard -> replica nodes (rendezvous), and
// a preferred leader per shard. Plain data; thread-safe once built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/placement.h"
#include "core/status.h"

namespace shoal::cluster {

struct NodeAddress {
  uint64_t id = 0;
  std::string host;
  int port = 0;  // client port; the bus listens on port + kBusPortOffset
  bool operator==(const NodeAddress&) const = default;
};

inline constexpr int kBusPortOffset = 10000;
inline constexpr uint64_t kMaxNodeId = 65535;

class ClusterDefinition {
 public:
  // nodes: "1@127.0.0.1:7001,2@127.0.0.1:7002" (ids distinct, 1..65535).
  // shards 0 = one per node; replicas is capped at the number of nodes.
  static Result<ClusterDefinition> Make(std::string_view nodes, int shards, int replicas,
                                        std::string replication);

  const std::vector<NodeAddress>& nodes() const { return nodes_; }
  const NodeAddress* Node(uint64_t id) const;
  uint32_t shards() const { return slot_map_.shards(); }
  int replicas() const { return replicas_; }
  const std::string& replication() const { return replication_; }
  const SlotMap& slot_map() const { return slot_map_; }
  // Replica node ids of a shard (rendezvous order) and its preferred leader.
  const std::vector<uint64_t>& Replicas(uint32_t shard) const { return replicas_of_[shard]; }
  uint64_t PreferredLeader(uint32_t shard) const { return preferred_[shard]; }
  bool IsReplica(uint32_t shard, uint64_t node) const;

  // A canonical one-line form, stored at first start so a restart with a
  // different definition is refused (data would not match the placement).
  std::string Canonical() const;

 private:
  std::vector<NodeAddress> nodes_;
  int replicas_ = 0;
  std::string replication_;
  SlotMap slot_map_ = SlotMap::Build(1);
  std::vector<std::vector<uint64_t>> replicas_of_;
  std::vector<uint64_t> preferred_;
};

}  // namespace shoal::cluster
