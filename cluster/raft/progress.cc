#include "cluster/raft/progress.h"

#include <algorithm>

#include "core/check.h"

namespace shoal::raft {

void Inflights::Add(Index last_index, uint64_t bytes) {
  items_.emplace_back(last_index, bytes);
  bytes_ += bytes;
}

void Inflights::FreeLE(Index index) {
  while (!items_.empty() && items_.front().first <= index) {
    bytes_ -= items_.front().second;
    items_.pop_front();
  }
}

void Inflights::FreeFirstOne() {
  if (items_.empty()) return;
  bytes_ -= items_.front().second;
  items_.pop_front();
}

void Inflights::Reset() {
  items_.clear();
  bytes_ = 0;
}

const char* ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "?";
}

void Progress::BecomeProbe() {
  if (state == ProgressState::kSnapshot) {
    // Resume right after the snapshot, if it was larger than what matched.
    Index pending = pending_snapshot;
    state = ProgressState::kProbe;
    next = std::max(match + 1, pending + 1);
  } else {
    state = ProgressState::kProbe;
    next = match + 1;
  }
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(Index snapshot_index) {
  state = ProgressState::kSnapshot;
  pending_snapshot = snapshot_index;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(Index n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::MaybeDecrTo(Index rejected, Index match_hint) {
  if (state == ProgressState::kReplicate) {
    // Stale if it rejects something already matched.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probe: only the rejection of what was just sent counts.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), Index{1});
  probe_sent = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.Full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

void Progress::SentEntries(Index last, uint64_t bytes) {
  if (state == ProgressState::kReplicate) {
    if (last >= next) {
      next = last + 1;
      inflights.Add(last, bytes);
    }
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

std::string Progress::Describe() const {
  std::string s = std::string(ProgressStateName(state)) + " match=" + std::to_string(match) +
                  " next=" + std::to_string(next);
  if (is_learner) s += " learner";
  if (state == ProgressState::kSnapshot) s += " pending_snap=" + std::to_string(pending_snapshot);
  if (inflights.count()) s += " inflight=" + std::to_string(inflights.count());
  if (probe_sent) s += " paused";
  return s;
}

void Tracker::Reset(const ConfState& cs, Index next_index) {
  voters_.clear();
  learners_.clear();
  progress_.clear();
  for (NodeId id : cs.voters) AddVoter(id, next_index);
  for (NodeId id : cs.learners) AddLearner(id, next_index);
}

ConfState Tracker::conf() const {
  ConfState cs;
  cs.voters.assign(voters_.begin(), voters_.end());
  cs.learners.assign(learners_.begin(), learners_.end());
  return cs;
}

Progress* Tracker::Get(NodeId id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

void Tracker::AddVoter(NodeId id, Index next_index) {
  learners_.erase(id);
  voters_.insert(id);
  auto it = progress_.find(id);
  if (it != progress_.end()) {
    it->second.is_learner = false;  // promotion keeps the progress
    return;
  }
  // A new member counts as recently active, or a leader running
  // CheckQuorum right after adding it could step down for no reason.
  auto [it2, ok] =
      progress_.emplace(id, Progress(next_index, max_inflight_, max_inflight_bytes_, false));
  it2->second.recent_active = true;
}

void Tracker::AddLearner(NodeId id, Index next_index) {
  if (voters_.count(id)) return;  // demotion is not supported
  learners_.insert(id);
  if (!progress_.count(id)) {
    auto [it, ok] =
        progress_.emplace(id, Progress(next_index, max_inflight_, max_inflight_bytes_, true));
    it->second.recent_active = true;
  }
}

void Tracker::Remove(NodeId id) {
  voters_.erase(id);
  learners_.erase(id);
  progress_.erase(id);
  votes_.erase(id);
}

Index Tracker::Committed() const {
  if (voters_.empty()) return 0;
  std::vector<Index> matches;
  matches.reserve(voters_.size());
  for (NodeId id : voters_) matches.push_back(progress_.at(id).match);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return matches[quorum() - 1];
}

bool Tracker::QuorumActive(NodeId self) const {
  size_t active = 0;
  for (NodeId id : voters_) {
    if (id == self || progress_.at(id).recent_active) ++active;
  }
  return active >= quorum();
}

void Tracker::RecordVote(NodeId id, bool granted) { votes_.emplace(id, granted); }

VoteResult Tracker::TallyVotes() const {
  size_t granted = 0, rejected = 0;
  for (NodeId id : voters_) {
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    (it->second ? granted : rejected) += 1;
  }
  if (granted >= quorum()) return VoteResult::kWon;
  if (rejected > voters_.size() - quorum()) return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace shoal::raft
