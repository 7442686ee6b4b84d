// The simulated network: messages wait in a queue ordered by delivery tick;
// each may be dropped, duplicated, delayed or (within a tick) reordered,
// and directed links can be cut to form partitions. Owned by one Simulator;
// all randomness comes from the Rng it is given.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/raft/types.h"
#include "tests/raft/sim/rng.h"

namespace shoal::raft::sim {

struct NetFaults {
  double drop = 0;
  double duplicate = 0;
  int max_delay_ticks = 0;
  double zero_delay = 1;
  bool reorder = false;
};

struct Envelope {
  uint64_t due = 0;    // tick it arrives
  uint64_t order = 0;  // tie-break among messages due the same tick
  uint64_t sender_incarnation = 0;
  Message msg;
};

class SimNetwork {
 public:
  SimNetwork(std::vector<NodeId> ids, Rng* rng) : ids_(std::move(ids)), rng_(rng) {}

  void set_faults(const NetFaults& f) { faults_ = f; }
  const NetFaults& faults() const { return faults_; }

  // Queues `m` (sent at tick `now`), applying drop, duplicate and delay.
  // Takes `m` and returns true, or leaves it and returns false if it was
  // dropped on the way.
  bool Send(Message& m, uint64_t now, uint64_t sender_incarnation);
  // Queues a message again, for delivery at `due` (a paused receiver).
  void Defer(Envelope e, uint64_t due);
  // Removes and returns every message due at or before `now`, in order.
  std::vector<Envelope> TakeDue(uint64_t now);
  size_t in_flight() const { return heap_.size(); }

  // Links: a cut link loses whatever is delivered over it.
  bool LinkUp(NodeId from, NodeId to) const { return !cut_.count({from, to}); }
  void Cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
  void CutBoth(NodeId a, NodeId b) {
    Cut(a, b);
    Cut(b, a);
  }
  void Heal() { cut_.clear(); }
  bool partitioned() const { return !cut_.empty(); }

  // Topologies (each replaces the current one); they return a description.
  std::string Isolate(NodeId id);
  // Splits the nodes in two random non-empty groups that cannot talk.
  std::string SymmetricSplit();
  // Cuts random directed links (a hears b, b does not hear a).
  std::string Asymmetric();
  // Two sides that cannot talk, joined only through one bridge node.
  std::string Bridge();
  std::string Describe() const;

 private:
  struct Later {
    bool operator()(const Envelope& a, const Envelope& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };
  uint64_t Delay();
  std::vector<NodeId> Shuffled();

  std::vector<NodeId> ids_;
  Rng* rng_;
  NetFaults faults_;
  void Push(Envelope e);

  std::vector<Envelope> heap_;  // a min-heap on (due, order)
  uint64_t seq_ = 0;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

}  // namespace shoal::raft::sim
