#include "cluster/definition.h"

#include <algorithm>
#include <set>

#include "core/strutil.h"

namespace shoal::cluster {

Result<ClusterDefinition> ClusterDefinition::Make(std::string_view nodes, int shards, int replicas,
                                                  std::string replication) {
  ClusterDefinition d;
  std::set<uint64_t> ids;
  size_t pos = 0;
  while (pos <= nodes.size()) {
    size_t comma = nodes.find(',', pos);
    if (comma == std::string_view::npos) comma = nodes.size();
    std::string_view item = nodes.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    size_t at = item.find('@');
    size_t colon = item.rfind(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) {
      return Status::InvalidArgument("cluster-nodes: '" + std::string(item) +
                                     "' is not id@host:port");
    }
    auto id = ParseInt64(item.substr(0, at));
    auto port = ParseInt64(item.substr(colon + 1));
    if (!id || *id < 1 || static_cast<uint64_t>(*id) > kMaxNodeId) {
      return Status::InvalidArgument("cluster-nodes: bad node id in '" + std::string(item) + "'");
    }
    if (!port || *port < 1 || *port > 65535 - kBusPortOffset) {
      return Status::InvalidArgument("cluster-nodes: bad port in '" + std::string(item) +
                                     "' (the bus needs port + 10000 <= 65535)");
    }
    if (!ids.insert(static_cast<uint64_t>(*id)).second) {
      return Status::InvalidArgument("cluster-nodes: node id " + std::to_string(*id) +
                                     " appears twice");
    }
    d.nodes_.push_back(NodeAddress{static_cast<uint64_t>(*id),
                                   std::string(item.substr(at + 1, colon - at - 1)),
                                   static_cast<int>(*port)});
  }
  if (d.nodes_.empty()) return Status::InvalidArgument("cluster-nodes: no nodes given");
  std::sort(d.nodes_.begin(), d.nodes_.end(),
            [](const NodeAddress& a, const NodeAddress& b) { return a.id < b.id; });
  if (shards <= 0) shards = static_cast<int>(d.nodes_.size());
  d.replicas_ = std::min(replicas, static_cast<int>(d.nodes_.size()));
  d.replication_ = std::move(replication);
  d.slot_map_ = SlotMap::Build(static_cast<uint32_t>(shards));
  std::vector<uint64_t> node_ids;
  for (const auto& n : d.nodes_) node_ids.push_back(n.id);
  for (uint32_t s = 0; s < static_cast<uint32_t>(shards); ++s) {
    d.replicas_of_.push_back(PlaceReplicas(s, node_ids, d.replicas_));
  }
  d.preferred_ = PreferredLeaders(d.slot_map_, node_ids, d.replicas_);
  return d;
}

const NodeAddress* ClusterDefinition::Node(uint64_t id) const {
  for (const auto& n : nodes_) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

bool ClusterDefinition::IsReplica(uint32_t shard, uint64_t node) const {
  const auto& r = replicas_of_[shard];
  return std::find(r.begin(), r.end(), node) != r.end();
}

std::string ClusterDefinition::Canonical() const {
  // Addresses may change between restarts (a node moved); ids, shard count,
  // replicas and mode may not.
  std::string out = "v1 nodes=";
  for (const auto& n : nodes_) out += std::to_string(n.id) + ";";
  out += " shards=" + std::to_string(shards()) + " replicas=" + std::to_string(replicas_) +
         " replication=" + replication_;
  return out;
}

}  // namespace shoal::cluster
