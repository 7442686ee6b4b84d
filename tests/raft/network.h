// An in-memory group of Raft nodes for tests: each node has a
// MemoryStorage and a tiny state machine (the list of applied proposals);
// messages travel through a queue the test controls (deliver, drop, cut
// links). Deterministic: nothing here reads a clock or spawns a thread.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/raft/raw_node.h"
#include "core/coding.h"

namespace shoal::raft::testing {

struct NodeOptions {
  bool pre_vote = true;
  bool check_quorum = true;
  int election_tick = 10;
  int heartbeat_tick = 1;
  ReadOnlyOption read_only = ReadOnlyOption::kSafe;
  size_t max_inflight_msgs = 256;
  uint64_t max_size_per_msg = 1 << 20;
  uint64_t seed = 1;
  bool broadcast_commit = true;
  uint64_t max_uncommitted_entries_size = 0;
};

// The applied state of a node: proposals' data in apply order.
struct StateMachine {
  std::vector<std::string> applied;
  Index applied_index = 0;

  std::string Serialize() const {
    std::string out;
    PutVarint64(&out, applied_index);
    PutVarint64(&out, applied.size());
    for (const auto& s : applied) PutLengthPrefixed(&out, s);
    return out;
  }
  bool Restore(std::string_view data) {
    auto idx = GetVarint64(&data);
    auto n = GetVarint64(&data);
    if (!idx || !n) return false;
    applied.clear();
    for (uint64_t i = 0; i < *n; ++i) {
      auto s = GetLengthPrefixed(&data);
      if (!s) return false;
      applied.emplace_back(*s);
    }
    applied_index = *idx;
    return true;
  }
};

struct TestNode {
  NodeId id = kNoNode;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> raw;
  StateMachine sm;
  ConfState conf;
  std::vector<ReadState> reads;        // read states received
  std::vector<Entry> applied_entries;  // every entry applied, in order
};

class Network {
 public:
  using Logger = std::function<void(const std::string&)>;

  Network(const std::vector<NodeId>& voters, NodeOptions options = {}, Logger logger = nullptr)
      : options_(options), logger_(std::move(logger)) {
    ConfState cs;
    cs.voters = voters;
    for (NodeId id : voters) AddNode(id, cs);
  }

  // Creates (or re-creates, keeping storage) a node with bootstrap conf cs.
  void AddNode(NodeId id, const ConfState& cs) {
    auto& n = nodes_[id];
    n.id = id;
    if (!n.storage) {
      n.storage = std::make_unique<MemoryStorage>();
      n.storage->SetConfState(cs);
      n.conf = cs;
    }
    Start(n);
  }

  // Restarts a node from what its storage holds: anything not persisted
  // (unstable entries, volatile state) is lost, as after a crash.
  void Restart(NodeId id) {
    auto& n = nodes_.at(id);
    Snapshot snap = n.storage->GetSnapshot();
    n.sm = StateMachine{};
    if (!snap.empty()) (void)n.sm.Restore(snap.data);
    n.conf = snap.empty() ? n.storage->InitialConfState() : snap.meta.conf;
    n.applied_entries.clear();
    Start(n);
  }

  TestNode& node(NodeId id) { return nodes_.at(id); }
  RawNode& raw(NodeId id) { return *nodes_.at(id).raw; }
  std::map<NodeId, TestNode>& nodes() { return nodes_; }
  std::deque<Message>& in_flight() { return in_flight_; }

  // Handles one node's Ready: persist, queue messages, apply. Returns
  // whether there was anything to do.
  bool ProcessReady(NodeId id) { return ProcessReady(id, nullptr); }

  // The same, showing the Ready to `observe` (if set) before handling it.
  bool ProcessReady(NodeId id, const std::function<void(const Ready&)>& observe) {
    auto& n = nodes_.at(id);
    if (!n.raw->HasReady()) return false;
    Ready rd = n.raw->GetReady();
    if (observe) observe(rd);
    if (rd.snapshot) {
      CHECK(n.storage->ApplySnapshot(*rd.snapshot).ok());
    }
    n.storage->Append(rd.entries);
    if (rd.hard_state) n.storage->SetHardState(*rd.hard_state);
    for (auto& m : rd.messages) in_flight_.push_back(std::move(m));
    if (rd.snapshot) {
      CHECK(n.sm.Restore(rd.snapshot->data));
      n.conf = rd.snapshot->meta.conf;
    }
    for (const auto& e : rd.committed_entries) Apply(n, e);
    for (const auto& r : rd.read_states) n.reads.push_back(r);
    n.raw->Advance(rd);
    return true;
  }

  // Delivers one message; false if it was dropped (cut link, dead node).
  bool Deliver(const Message& m) {
    if (cut_.count({m.from, m.to}) || down_.count(m.to) || !nodes_.count(m.to)) return false;
    (void)nodes_.at(m.to).raw->Step(m);
    return true;
  }

  // Processes readies and delivers messages until nothing moves.
  void Stabilize(int max_rounds = 1000) {
    for (int round = 0; round < max_rounds; ++round) {
      bool moved = false;
      for (auto& [id, n] : nodes_) {
        if (down_.count(id)) continue;
        moved |= ProcessReady(id);
      }
      std::deque<Message> batch;
      batch.swap(in_flight_);
      for (auto& m : batch) {
        moved = true;
        (void)Deliver(m);
      }
      if (!moved) return;
    }
  }

  void Tick(NodeId id) { nodes_.at(id).raw->Tick(); }
  void TickAll(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (auto& [id, n] : nodes_) {
        if (!down_.count(id)) n.raw->Tick();
      }
    }
  }

  void Cut(NodeId a, NodeId b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void Isolate(NodeId id) {
    for (auto& [other, n] : nodes_) {
      if (other != id) Cut(id, other);
    }
  }
  void Heal() { cut_.clear(); }
  void Down(NodeId id) { down_.insert(id); }
  void Up(NodeId id) { down_.erase(id); }

  // Options for nodes created or restarted from now on.
  NodeOptions& options() { return options_; }
  bool IsDown(NodeId id) const { return down_.count(id) > 0; }
  // Whether m would reach its destination now (link not cut, node up).
  bool CanDeliver(const Message& m) const {
    return !cut_.count({m.from, m.to}) && !down_.count(m.to) && nodes_.count(m.to);
  }

  NodeId Leader() {
    NodeId leader = kNoNode;
    Term best = 0;
    for (auto& [id, n] : nodes_) {
      if (down_.count(id)) continue;
      const auto& r = n.raw->raft();
      if (r.role() == Role::kLeader && r.term() >= best) {
        leader = id;
        best = r.term();
      }
    }
    return leader;
  }

  // Creates a snapshot at the node's applied index and compacts its log.
  void Compact(NodeId id) {
    auto& n = nodes_.at(id);
    Index i = n.sm.applied_index;
    if (i == 0 || i <= n.storage->GetSnapshot().meta.index) return;
    CHECK(n.storage->CreateSnapshot(i, n.conf, n.sm.Serialize()).ok());
    CHECK(n.storage->Compact(i).ok());
  }

 private:
  void Start(TestNode& n) {
    Config c;
    c.id = n.id;
    c.election_tick = options_.election_tick;
    c.heartbeat_tick = options_.heartbeat_tick;
    c.storage = n.storage.get();
    c.applied = n.sm.applied_index;
    c.check_quorum = options_.check_quorum;
    c.pre_vote = options_.pre_vote;
    c.broadcast_commit = options_.broadcast_commit;
    c.max_uncommitted_entries_size = options_.max_uncommitted_entries_size;
    c.read_only = options_.read_only;
    c.max_inflight_msgs = options_.max_inflight_msgs;
    c.max_size_per_msg = options_.max_size_per_msg;
    c.seed = options_.seed * 1000003 + n.id;
    c.logger = logger_;
    n.raw = std::make_unique<RawNode>(c);
  }

  void Apply(TestNode& n, const Entry& e) {
    if (e.type == EntryType::kConfChange) {
      ConfChange cc;
      CHECK(cc.Decode(e.data));
      n.conf = n.raw->ApplyConfChange(cc);
    } else if (!e.data.empty()) {
      n.sm.applied.push_back(e.data);
    }
    n.sm.applied_index = e.index;
    n.applied_entries.push_back(e);
  }

  NodeOptions options_;
  Logger logger_;
  std::map<NodeId, TestNode> nodes_;
  std::deque<Message> in_flight_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::set<NodeId> down_;
};

}  // namespace shoal::raft::testing
