// What a leader knows of each peer's log (match/next, flow control state)
// and the quorum arithmetic over the voters. Owned by one Raft instance.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/raft/types.h"

namespace shoal::raft {

// Append messages in flight to one follower, bounded in count and bytes.
class Inflights {
 public:
  Inflights(size_t max_count, uint64_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}
  void Add(Index last_index, uint64_t bytes);
  // Frees every message whose last index is <= `index` (acknowledged).
  void FreeLE(Index index);
  // Frees the oldest message (no-op when empty).
  void FreeFirstOne();
  bool Full() const { return items_.size() >= max_count_ || (max_bytes_ && bytes_ >= max_bytes_); }
  size_t count() const { return items_.size(); }
  void Reset();

 private:
  size_t max_count_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::deque<std::pair<Index, uint64_t>> items_;
};

enum class ProgressState : uint8_t {
  kProbe,      // one append at a time until the follower's position is known
  kReplicate,  // optimistic pipelining of appends
  kSnapshot,   // waiting for a snapshot to be installed
};
const char* ProgressStateName(ProgressState s);

struct Progress {
  Progress(Index next_index, size_t max_inflight, uint64_t max_inflight_bytes, bool learner)
      : next(next_index), inflights(max_inflight, max_inflight_bytes), is_learner(learner) {}

  Index match = 0;
  Index next = 1;
  ProgressState state = ProgressState::kProbe;
  Index pending_snapshot = 0;         // index of the snapshot being sent
  bool recent_active = false;         // heard from since the last CheckQuorum
  bool probe_sent = false;            // in Probe: an append is outstanding
  uint64_t acked_heartbeat_tick = 0;  // leader tick of the newest acked heartbeat
  Inflights inflights;
  bool is_learner = false;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(Index snapshot_index);
  // A successful append response up to n; false if it was stale.
  bool MaybeUpdate(Index n);
  // A rejection of the append at `rejected`; `match_hint` is where the
  // follower suggests to retry. False if the rejection was stale.
  bool MaybeDecrTo(Index rejected, Index match_hint);
  bool IsPaused() const;
  // Entries up to `last` were sent (bytes of them).
  void SentEntries(Index last, uint64_t bytes);
  std::string Describe() const;
};

enum class VoteResult { kPending, kWon, kLost };

// Voters, learners, their progress, and votes of the current election.
class Tracker {
 public:
  Tracker(size_t max_inflight, uint64_t max_inflight_bytes)
      : max_inflight_(max_inflight), max_inflight_bytes_(max_inflight_bytes) {}

  void Reset(const ConfState& cs, Index next_index);
  ConfState conf() const;
  bool IsVoter(NodeId id) const { return voters_.count(id) > 0; }
  bool IsLearner(NodeId id) const { return learners_.count(id) > 0; }
  bool Contains(NodeId id) const { return progress_.count(id) > 0; }
  const std::set<NodeId>& voters() const { return voters_; }
  size_t quorum() const { return voters_.size() / 2 + 1; }

  Progress* Get(NodeId id);
  std::map<NodeId, Progress>& progress() { return progress_; }
  const std::map<NodeId, Progress>& progress() const { return progress_; }

  void AddVoter(NodeId id, Index next_index);
  void AddLearner(NodeId id, Index next_index);
  void Remove(NodeId id);

  // The highest index replicated on a quorum of voters.
  Index Committed() const;
  // Whether a quorum of voters was recently active (CheckQuorum).
  bool QuorumActive(NodeId self) const;

  void ResetVotes() { votes_.clear(); }
  void RecordVote(NodeId id, bool granted);
  VoteResult TallyVotes() const;

 private:
  size_t max_inflight_;
  uint64_t max_inflight_bytes_;
  std::set<NodeId> voters_;
  std::set<NodeId> learners_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
};

}  // namespace shoal::raft
