// One simulated node: its disk (a MemoryStorage holding the Raft log and
// hard state, and a tiny state machine), and the RawNode running over them
// while the node is up.
//
// The disk model: every write is visible at once (the Raft core reads
// `storage`), but only an fsync (Sync) makes it durable. A crash destroys
// the RawNode and every volatile field; a crash with power loss also rolls
// the disk back to the last fsync. Writes reach the disk in order, so what
// survives is always a prefix of what was written (one WAL, as with RocksDB).
// Owned by one Simulator; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/raft/raw_node.h"
#include "cluster/raft/storage.h"

namespace shoal::raft::sim {

// The replicated state machine: the applied index and a running hash of
// every entry applied so far. Two replicas that applied the same entries in
// the same order have the same hash. Applying entry i and recording
// "applied = i" is one write (DESIGN.md §4).
struct SmState {
  static constexpr uint64_t kEmptyHash = 0xcbf29ce484222325ULL;

  Index applied = 0;
  uint64_t hash = kEmptyHash;

  static uint64_t Mix(uint64_t hash, const Entry& e);
  void Apply(const Entry& e) {
    hash = Mix(hash, e);
    applied = e.index;
  }
  std::string Serialize() const;
  bool Restore(std::string_view data);
};

class SimNode {
 public:
  using Write = std::function<void(MemoryStorage&, SmState&)>;

  // `power_loss`: whether crashes of this run may lose unsynced writes (the
  // node then keeps a copy of its disk as of the last fsync).
  SimNode(NodeId id, const ConfState& cs, bool power_loss);
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  NodeId id() const { return id_; }

  // Writes to the disk (not yet durable).
  void Do(const Write& w);
  // fsync: everything written so far is durable.
  void Sync();
  // The process dies. With lose_unsynced, the disk goes back to the last
  // fsync.
  void Crash(bool lose_unsynced);
  // Starts a new incarnation over what is on the disk. `config` carries
  // everything but storage and applied, which come from the disk.
  void Start(Config config);

  // What is on the disk now, and what would survive a power loss.
  const MemoryStorage& storage() const { return storage_; }
  const MemoryStorage& durable_storage() const { return power_loss_ ? synced_storage_ : storage_; }
  const SmState& sm() const { return sm_; }

  RawNode& raw() { return *raw_; }
  const Raft& raft() const { return raw_->raft(); }

  bool up = false;
  bool paused = false;
  uint64_t incarnation = 0;
  uint64_t restart_at = 0;  // while down
  uint64_t resume_at = 0;   // while paused
  int churn_countdown = 0;  // > 0: Readies left before this leader fails

  // What the checks remember about this node. Across incarnations: the
  // highest term it sent a message at, and its last vote sent.
  Term exposed_term = 0;
  Term vote_term = 0;
  NodeId vote_for = kNoNode;
  // Within the incarnation: the last observed term, commit and applied
  // index, how far its commit index was checked, and its last leadership.
  Term seen_term = 0;
  Index seen_commit = 0;
  Index seen_applied = 0;
  Index commit_checked = 0;
  Term leader_term = 0;

 private:
  NodeId id_;
  bool power_loss_;
  MemoryStorage storage_;
  SmState sm_;
  std::unique_ptr<RawNode> raw_;
  MemoryStorage synced_storage_;
  SmState synced_sm_;
  std::vector<Write> unsynced_;
};

}  // namespace shoal::raft::sim
