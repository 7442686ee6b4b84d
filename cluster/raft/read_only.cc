#include "cluster/raft/read_only.h"

namespace shoal::raft {

void ReadOnlyQueue::Add(Index index, NodeId from, const std::string& ctx, NodeId self) {
  if (pending_.count(ctx)) return;
  Request r;
  r.index = index;
  r.from = from;
  r.ctx = ctx;
  r.acks.insert(self);
  pending_.emplace(ctx, std::move(r));
  order_.push_back(ctx);
}

size_t ReadOnlyQueue::Ack(NodeId from, const std::string& ctx) {
  auto it = pending_.find(ctx);
  if (it == pending_.end()) return 0;
  it->second.acks.insert(from);
  return it->second.acks.size();
}

std::vector<ReadOnlyQueue::Request> ReadOnlyQueue::Advance(const std::string& ctx) {
  std::vector<Request> out;
  if (!pending_.count(ctx)) return out;
  while (!order_.empty()) {
    std::string c = order_.front();
    order_.pop_front();
    auto it = pending_.find(c);
    out.push_back(std::move(it->second));
    pending_.erase(it);
    if (c == ctx) break;
  }
  return out;
}

void ReadOnlyQueue::Clear() {
  pending_.clear();
  order_.clear();
}

}  // namespace shoal::raft
