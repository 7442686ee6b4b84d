// ReadIndex requests waiting for a quorum of heartbeat acknowledgements
// (Raft thesis §6.4). Owned by one Raft instance.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster/raft/types.h"

namespace shoal::raft {

class ReadOnlyQueue {
 public:
  struct Request {
    Index index = 0;        // commit index when the request arrived
    NodeId from = kNoNode;  // who asked (kNoNode or self: local)
    std::string ctx;
    std::set<NodeId> acks;
  };

  // Queues a request (ignored if ctx is already queued).
  void Add(Index index, NodeId from, const std::string& ctx, NodeId self);
  // Records an ack for ctx; returns the number of acks (0 if unknown ctx).
  size_t Ack(NodeId from, const std::string& ctx);
  // Removes and returns every request up to and including ctx: a quorum
  // that answered a later heartbeat answered for earlier requests too.
  std::vector<Request> Advance(const std::string& ctx);
  std::string LastContext() const { return order_.empty() ? std::string() : order_.back(); }
  void Clear();
  size_t size() const { return order_.size(); }

 private:
  std::map<std::string, Request> pending_;
  std::deque<std::string> order_;
};

}  // namespace shoal::raft
