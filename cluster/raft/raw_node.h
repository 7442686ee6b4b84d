// The application's handle on a Raft group: inputs (Tick, Step, Propose,
// ReadIndex, TransferLeader, ProposeConfChange) and the Ready/Advance
// cycle. A Ready lists what to do, in this order:
//   1. persist `entries`, `hard_state` and `snapshot` (fsync if must_sync);
//   2. send `messages`;
//   3. apply `snapshot` and then `committed_entries` to the state machine;
//   4. serve `read_states` once the applied index reaches each one;
//   5. call Advance(ready).
// Not thread-safe: one owner (an Asio strand, a simulated node) drives it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/raft/raft.h"

namespace shoal::raft {

struct SoftState {
  NodeId lead = kNoNode;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

struct Ready {
  std::optional<SoftState> soft_state;  // set when leader or role changed
  std::optional<HardState> hard_state;  // set when it must be persisted
  std::vector<Entry> entries;           // to append to stable storage
  std::optional<Snapshot> snapshot;     // to install (replaces the log)
  std::vector<Entry> committed_entries;
  std::vector<Message> messages;
  std::vector<ReadState> read_states;
  bool must_sync = false;

  bool empty() const {
    return !soft_state && !hard_state && entries.empty() && !snapshot &&
           committed_entries.empty() && messages.empty() && read_states.empty();
  }
};

class RawNode {
 public:
  explicit RawNode(const Config& config);

  void Tick() { raft_.Tick(); }
  void Campaign();
  Status Propose(std::string data);
  Status ProposeConfChange(const ConfChange& cc);
  // Feeds a message from a peer. Local message types are refused.
  Status Step(Message m);
  // Asks for a linearizable read; the answer is a ReadState with `ctx`.
  void ReadIndex(std::string ctx);
  void TransferLeader(NodeId transferee);
  ConfState ApplyConfChange(const ConfChange& cc) { return raft_.ApplyConfChange(cc); }
  // The transport could not deliver to `id` / the snapshot sent to `id`
  // was installed or failed.
  void ReportUnreachable(NodeId id);
  void ReportSnapshot(NodeId id, bool ok);

  // The application applied the committed entries up to `index` on its own
  // (an async leader applies its entries ahead of their commit): they are
  // not handed out in committed_entries. Ignored while a Ready's committed
  // entries await their Advance.
  void SkipAppliedTo(Index index);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& rd);

  Raft& raft() { return raft_; }
  const Raft& raft() const { return raft_; }

 private:
  Raft raft_;
  SoftState prev_soft_;
  HardState prev_hard_;
};

}  // namespace shoal::raft
