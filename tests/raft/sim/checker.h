// The simulator's invariants, fed incrementally as the run goes (each call
// checks what just happened against everything seen so far, across all
// nodes and all time). The first violation is kept; the Simulator stops
// there and reports it with the seed.
//
//   election safety     at most one leader per term
//   log matching        an (index, term) names one entry, whose predecessor
//                       is always the same (so equal entries ⇒ equal prefixes)
//   commit safety       every node's committed prefix agrees
//   leader completeness a new leader of term T holds every entry committed
//                       at a term below T
//   state-machine safety every node applies the same entry at each index, in
//                       order, without gaps; snapshots carry that state
//   votes               a node never votes for two candidates in one term
//   reads               a ReadIndex answer is >= the commit index known to
//                       anyone when the read was issued (so it covers every
//                       write acknowledged before it)
//   durability          an acknowledged write is on the durable disk of a
//                       quorum, and in the final log of every node
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cluster/raft/log.h"
#include "cluster/raft/storage.h"
#include "tests/raft/sim/sim_node.h"

namespace shoal::raft::sim {

class Checker {
 public:
  explicit Checker(size_t voters) : quorum_(voters / 2 + 1) {}

  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  void Fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  // `id` is leader at `term` (called on every observation; cheap when known).
  void OnLeader(NodeId id, Term term, const RaftLog& log);
  // `entries` were just written to `storage` (the node's disk).
  void OnPersisted(NodeId id, const MemoryStorage& storage, const std::vector<Entry>& entries);
  // The node, at `term`, moved its commit index from `from` to `to`.
  void OnCommitted(NodeId id, Term term, const RaftLog& log, Index from, Index to);
  // The node, whose state machine is `before`, applies `e`.
  void OnApplied(NodeId id, const SmState& before, const Entry& e);
  // The node's state machine was replaced by a snapshot's.
  void OnSnapshotRestored(NodeId id, const SmState& sm);
  // A vote request (voter == candidate) or grant left `voter`.
  void OnVoteSent(NodeId voter, Term term, NodeId candidate);

  void OnReadIssued(const std::string& ctx);
  void OnReadState(NodeId id, const ReadState& rs);

  // A client was told its write at (index, term) succeeded.
  void OnAcked(Index index, Term term);
  Index max_acked() const { return acked_.empty() ? 0 : max_acked_.first; }
  // The highest acknowledged write is on a quorum of these durable disks.
  void CheckAckedDurable(const std::vector<const MemoryStorage*>& disks);
  // Every acknowledged write is in the node's log (or its snapshot) and
  // applied by its state machine.
  void CheckFinal(NodeId id, const RaftLog& log, const SmState& sm);

  Index committed_index() const { return committed_index_; }
  size_t leaders_elected() const { return leaders_.size(); }
  size_t acked() const { return acked_.size(); }

 private:
  struct EntryInfo {
    EntryType type;
    std::string data;
    Term prev_term;  // 0: unknown (first seen after compaction)
  };
  struct Applied {
    Term term;
    uint64_t hash_after;  // state machine hash once this entry is applied
  };

  size_t quorum_;
  std::string failure_;
  std::unordered_map<Term, NodeId> leaders_;
  std::map<std::pair<Index, Term>, EntryInfo> entries_;
  std::vector<Term> committed_terms_{0};  // by index; 0: not known
  // By index: the lowest term at which a node knew the entry committed. The
  // entry was committed at that term or before.
  std::vector<Term> commit_terms_{0};
  Index committed_index_ = 0;                               // highest index anyone committed
  std::vector<Applied> applied_{{0, SmState::kEmptyHash}};  // by index
  std::map<std::pair<NodeId, Term>, NodeId> votes_;
  std::unordered_map<std::string, Index> read_bounds_;
  std::vector<std::pair<Index, Term>> acked_;
  std::pair<Index, Term> max_acked_{0, 0};
};

}  // namespace shoal::raft::sim
