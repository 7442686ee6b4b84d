#include "tests/raft/sim/sim_network.h"

#include <algorithm>

namespace shoal::raft::sim {

uint64_t SimNetwork::Delay() {
  if (faults_.max_delay_ticks <= 0 || rng_->Chance(faults_.zero_delay)) return 0;
  return rng_->Range(1, static_cast<uint64_t>(faults_.max_delay_ticks));
}

bool SimNetwork::Send(Message& m, uint64_t now, uint64_t sender_incarnation) {
  if (rng_->Chance(faults_.drop)) return false;
  const bool twice = rng_->Chance(faults_.duplicate);
  auto queue = [&](Message msg) {
    Envelope e;
    e.due = now + Delay();
    e.order = faults_.reorder ? rng_->Next() : seq_++;
    e.sender_incarnation = sender_incarnation;
    e.msg = std::move(msg);
    Push(std::move(e));
  };
  if (twice) queue(m);
  queue(std::move(m));
  return true;
}

void SimNetwork::Defer(Envelope e, uint64_t due) {
  e.due = due;
  e.order = seq_++;
  Push(std::move(e));
}

void SimNetwork::Push(Envelope e) {
  heap_.push_back(std::move(e));
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

std::vector<Envelope> SimNetwork::TakeDue(uint64_t now) {
  std::vector<Envelope> out;
  while (!heap_.empty() && heap_.front().due <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    out.push_back(std::move(heap_.back()));
    heap_.pop_back();
  }
  return out;
}

std::vector<NodeId> SimNetwork::Shuffled() {
  std::vector<NodeId> v = ids_;
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng_->Below(i)]);
  return v;
}

std::string SimNetwork::Isolate(NodeId id) {
  Heal();
  for (NodeId other : ids_) {
    if (other != id) CutBoth(id, other);
  }
  return "isolate " + std::to_string(id);
}

std::string SimNetwork::SymmetricSplit() {
  Heal();
  std::vector<NodeId> v = Shuffled();
  size_t k = rng_->Range(1, v.size() - 1);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = k; j < v.size(); ++j) CutBoth(v[i], v[j]);
  }
  return "split " + Describe();
}

std::string SimNetwork::Asymmetric() {
  Heal();
  for (NodeId a : ids_) {
    for (NodeId b : ids_) {
      if (a != b && rng_->Chance(0.3)) Cut(a, b);
    }
  }
  return "asymmetric " + Describe();
}

std::string SimNetwork::Bridge() {
  Heal();
  std::vector<NodeId> v = Shuffled();
  // v[0] is the bridge; the rest splits into two non-empty sides.
  size_t k = rng_->Range(2, v.size() - 1);
  for (size_t i = 1; i < k; ++i) {
    for (size_t j = k; j < v.size(); ++j) CutBoth(v[i], v[j]);
  }
  return "bridge via " + std::to_string(v[0]) + " " + Describe();
}

std::string SimNetwork::Describe() const {
  if (cut_.empty()) return "healed";
  std::string out = "cut:";
  for (const auto& [a, b] : cut_) out += " " + std::to_string(a) + "->" + std::to_string(b);
  return out;
}

}  // namespace shoal::raft::sim
